// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * decode_fmt.c - an access as a decoded line (regbind_format_access): the
 * text layout of envytools' demmio, or mmiotap dump's JSON object with the
 * register and its decoded value added.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mmiotap/regbind.h"
#include "strbuf.h"

static size_t json_str(char *o, size_t room, const char *s)
{
	size_t n = 0;

	for (; *s && n + 7 < room; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			o[n++] = '\\';
			o[n++] = (char)c;
		} else if (c < 0x20) {
			n += (size_t)snprintf(o + n, room - n, "\\u%04x", c);
		} else {
			o[n++] = (char)c;
		}
	}
	o[n] = 0;
	return n;
}

static void value_hex(const struct mt_event *ev, char *v, size_t room)
{
	unsigned i, w = ev->width;

	if (w > 8 && ev->wide && 2 * w + 3 <= room) {
		size_t n = 0;

		v[n++] = '0';
		v[n++] = 'x';
		for (i = w; i-- > 0;)
			n += (size_t)snprintf(v + n, room - n, "%02x", ev->wide[i]);
		return;
	}
	{
		struct sb o = { v, room, 0 };

		sb_hex(&o, ev->value, w && w <= 8 ? 2 * w : 2);
	}
}

/* The text line, written in place (the hot path: no intermediate copies). */
static int text_line(const struct mt_event *ev, const struct regdb_cached *c, char *buf,
		     size_t room)
{
	struct sb o = { buf, room, 0 };
	uint64_t us = ev->ts / 1000;
	char frac[6], v[140];
	int i;

	sb_mem(&o, "[", 1);
	if (ev->cpu == MT_CPU_UNKNOWN)
		sb_mem(&o, "-", 1);
	else
		sb_u64(&o, ev->cpu);
	sb_mem(&o, "] ", 2);
	sb_u64(&o, us / 1000000);
	for (i = 5; i >= 0; i--, us /= 10)
		frac[i] = (char)('0' + us % 10);
	sb_mem(&o, ".", 1);
	sb_mem(&o, frac, 6);
	sb_mem(&o, " MMIO", 5);
	sb_u64(&o, ev->width * 8u);
	sb_mem(&o, ev->kind == MT_REC_READ ? " R " : ev->kind == MT_REC_WRITE ? " W " : " U ", 3);
	sb_hex(&o, ev->phys, 1);
	sb_mem(&o, " ", 1);
	value_hex(ev, v, sizeof(v));
	sb_str(&o, v);
	sb_mem(&o, " ", 1);
	if (c)
		sb_str(&o, c->name);
	else
		sb_hex(&o, ev->offset, 1);
	sb_mem(&o, ev->kind == MT_REC_WRITE ? " <= " : " => ", 4);
	if (ev->kind == MT_REC_UNKNOWN)
		sb_str(&o, "(instruction not decoded)");
	else if (c && ev->width <= 8 && o.n + 2 < room)
		o.n += (size_t)regdb_format_value(&c->hit, ev->width, ev->value, buf + o.n,
						  room - o.n - 1);
	else
		sb_str(&o, v);
	sb_mem(&o, "\n", 1);
	if (o.n + 1 >= room)
		return -ENOSPC;
	return (int)o.n;
}

int regbind_format_access(struct regbind *b, const struct mt_event *ev, int jsonl, char *buf,
			  size_t room)
{
	const struct regdb_cached *c;
	const char *dom = NULL;
	char name[600], dec[1200], v[140];
	int n;

	if (ev->kind != MT_REC_READ && ev->kind != MT_REC_WRITE && ev->kind != MT_REC_UNKNOWN)
		return 0;
	c = regbind_lookup(b, ev->map_id, ev->offset, ev->width, &dom);
	if (!jsonl)
		return text_line(ev, c, buf, room);
	if (c) {
		size_t l = strlen(c->name);

		if (l >= sizeof(name))
			l = sizeof(name) - 1;
		memcpy(name, c->name, l);
		name[l] = 0;
	} else {
		struct sb o = { name, sizeof(name), 0 };

		sb_hex(&o, ev->offset, 1);
	}
	value_hex(ev, v, sizeof(v));
	if (ev->kind == MT_REC_UNKNOWN)
		snprintf(dec, sizeof(dec), "(instruction not decoded)");
	else if (c && ev->width <= 8)
		regdb_format_value(&c->hit, ev->width, ev->value, dec, sizeof(dec));
	else
		memcpy(dec, v, strlen(v) + 1);
	{
		char js[4096];
		char jn[1300], jd[2500], jdom[300];
		int k = mt_jsonl_format(ev, js, sizeof(js));

		if (k < 2)
			return k < 0 ? k : -EINVAL;
		js[k - 2] = 0; /* drop "}\n" */
		json_str(jn, sizeof(jn), name);
		json_str(jd, sizeof(jd), dec);
		json_str(jdom, sizeof(jdom), dom ? dom : "");
		if (dom && c)
			n = snprintf(buf, room, "%s,\"domain\":\"%s\",\"reg\":\"%s\",\"decoded\":\"%s\"}\n",
				     js, jdom, jn, jd);
		else if (dom)
			n = snprintf(buf, room, "%s,\"domain\":\"%s\",\"reg\":null,\"decoded\":\"%s\"}\n",
				     js, jdom, jd);
		else
			n = snprintf(buf, room, "%s,\"domain\":null,\"reg\":null,\"decoded\":\"%s\"}\n",
				     js, jd);
	}
	if (n < 0 || (size_t)n >= room)
		return -ENOSPC;
	return n;
}
