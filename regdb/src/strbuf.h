/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* strbuf.h - bounded string building without printf on the decode path
 * (printf was 70% of `mmiotap decode`'s time). Output is truncated at
 * room - 1 and always NUL-terminated. */
#ifndef MT_REGDB_STRBUF_H
#define MT_REGDB_STRBUF_H

#include <stdint.h>
#include <string.h>

struct sb {
	char *buf;
	size_t room, n;
};

static inline void sb_mem(struct sb *o, const char *s, size_t l)
{
	if (o->n + 1 >= o->room)
		return;
	if (l > o->room - 1 - o->n)
		l = o->room - 1 - o->n;
	memcpy(o->buf + o->n, s, l);
	o->n += l;
	o->buf[o->n] = 0;
}

/* a string literal: its length known at compile time */
#define sb_lit(o, lit) sb_mem((o), "" lit, sizeof(lit) - 1)

static inline void sb_str(struct sb *o, const char *s)
{
	sb_mem(o, s, strlen(s));
}

/* "0x" and at least `digits` hex digits */
static inline void sb_hex(struct sb *o, uint64_t v, unsigned digits)
{
	char t[20];
	unsigned i = 20;

	do {
		t[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while ((v || 20 - i < digits) && i > 2);
	t[--i] = 'x';
	t[--i] = '0';
	sb_mem(o, t + i, 20 - i);
}

static inline void sb_u64(struct sb *o, uint64_t v)
{
	char t[21];
	unsigned i = 21;

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sb_mem(o, t + i, 21 - i);
}

static inline void sb_i64(struct sb *o, int64_t v)
{
	if (v < 0) {
		sb_mem(o, "-", 1);
		sb_u64(o, (uint64_t)0 - (uint64_t)v);
	} else {
		sb_u64(o, (uint64_t)v);
	}
}

#endif
