// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * textparse.c - mmiotrace text (kernel VERSION 20070824 lines + the mmiotap
 * keywords of docs/FORMAT.md section 2) into struct mt_event.
 *
 * Kernel lines are parsed strictly (single spaces, the kernel's number
 * forms), so that printing them again gives the same bytes. Lines with
 * keywords we do not interpret (PCIDEV, LSPCI, VERSION, anything else) are
 * kept verbatim as TEXT records.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader_int.h"

#define QLEN 4
#define MAX_LINE_TEXT (1u << 17)

struct tq {
	struct mt_event ev;
	uint8_t wide[256], orig[256], insn[16];
	char *text;             /* malloc'd MARK/TEXT text or MAP path */
	size_t text_cap;
	uint64_t line;
};

struct window {
	uint32_t text_id;
	uint16_t map_id;
	uint8_t implicit;
	uint64_t phys;
};

struct mt_text_parser {
	uint64_t next_seq;
	uint32_t pid, tid;
	uint16_t cpu;
	uint64_t line;          /* current line number, 1-based */
	uint64_t line_off;      /* file offset of the current line */
	struct tq q[QLEN];
	unsigned qhead, qn;
	struct tq cur;          /* storage of the event handed out */
	struct window *win;
	size_t nwin, wincap, wcache;
	uint8_t used[65536 / 8];
	uint32_t id_hint;
};

/* ---- errors ----------------------------------------------------------------- */

static int perr(struct mt_reader *r, size_t col, const char *what)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "line %" PRIu64 " (offset %" PRIu64 "): %s", r->tp->line,
		 r->tp->line_off + col, what);
	mt__set_err(r, -EINVAL, msg);
	return r->err;
}

/* ---- map windows ------------------------------------------------------------ */

static int id_used(struct mt_text_parser *t, unsigned id)
{
	return t->used[id >> 3] & (1u << (id & 7));
}
static void id_set(struct mt_text_parser *t, unsigned id, int on)
{
	if (on)
		t->used[id >> 3] |= (uint8_t)(1u << (id & 7));
	else
		t->used[id >> 3] &= (uint8_t)~(1u << (id & 7));
}

static int alloc_id(struct mt_text_parser *t, uint32_t want, uint16_t *out)
{
	unsigned i;

	if (want < 65536 && !id_used(t, want)) {
		*out = (uint16_t)want;
		id_set(t, want, 1);
		return 0;
	}
	for (i = 0; i < 65536; i++) {
		unsigned id = (t->id_hint + i) & 0xffff;

		if (!id_used(t, id)) {
			id_set(t, id, 1);
			t->id_hint = id + 1;
			*out = (uint16_t)id;
			return 0;
		}
	}
	return -ENOSPC;
}

static int add_window(struct mt_text_parser *t, uint32_t text_id, uint64_t phys, int implicit,
		      uint16_t *map_id)
{
	if (t->nwin == t->wincap) {
		size_t nc = t->wincap ? t->wincap * 2 : 16;
		struct window *nw = realloc(t->win, nc * sizeof(*nw));

		if (!nw)
			return -ENOMEM;
		t->win = nw;
		t->wincap = nc;
	}
	if (alloc_id(t, implicit ? 0x10000u : text_id, map_id))
		return -ENOSPC;
	t->win[t->nwin].text_id = text_id;
	t->win[t->nwin].map_id = *map_id;
	t->win[t->nwin].implicit = (uint8_t)implicit;
	t->win[t->nwin].phys = phys;
	t->nwin++;
	return 0;
}

static void drop_windows(struct mt_text_parser *t, uint32_t text_id)
{
	size_t i = 0;

	while (i < t->nwin) {
		if (t->win[i].text_id == text_id) {
			id_set(t, t->win[i].map_id, 0);
			t->win[i] = t->win[--t->nwin];
		} else {
			i++;
		}
	}
	t->wcache = 0;
}

static int fits(const struct window *w, uint64_t phys)
{
	return phys >= w->phys && phys - w->phys <= 0xffffffffull;
}

/* Window of text_id covering phys; -1 if none. */
static long find_window(struct mt_text_parser *t, uint32_t text_id, uint64_t phys, int any)
{
	size_t i;
	long best = -1;

	if (t->wcache < t->nwin && t->win[t->wcache].text_id == text_id &&
	    (any || fits(&t->win[t->wcache], phys)))
		return (long)t->wcache;
	for (i = 0; i < t->nwin; i++) {
		if (t->win[i].text_id != text_id || !(any || fits(&t->win[i], phys)))
			continue;
		if (best < 0 || (!t->win[i].implicit && t->win[best].implicit))
			best = (long)i;
	}
	if (best >= 0)
		t->wcache = (size_t)best;
	return best;
}

/* ---- queue -------------------------------------------------------------------- */

static struct tq *q_push(struct mt_text_parser *t)
{
	struct tq *e = &t->q[(t->qhead + t->qn) % QLEN];

	t->qn++;
	memset(&e->ev, 0, sizeof(e->ev));
	e->ev.tid = MT_TID_UNKNOWN;
	e->ev.cpu = MT_CPU_UNKNOWN;
	e->ev.map.bar = 0xff;
	e->line = t->line;
	return e;
}

static struct tq *q_back(struct mt_text_parser *t)
{
	return t->qn ? &t->q[(t->qhead + t->qn - 1) % QLEN] : NULL;
}

static int set_text(struct tq *e, const char *s, size_t len)
{
	if (len + 1 > e->text_cap) {
		char *n = realloc(e->text, len + 1);

		if (!n)
			return -ENOMEM;
		e->text = n;
		e->text_cap = len + 1;
	}
	memcpy(e->text, s, len);
	e->text[len] = 0;
	return 0;
}

/* ---- field scanner ------------------------------------------------------------ */

struct cur {
	const char *s;
	size_t len, i;
};

static int at_end(const struct cur *c)
{
	return c->i >= c->len;
}

static int sp(struct cur *c)
{
	if (c->i < c->len && c->s[c->i] == ' ') {
		c->i++;
		return 0;
	}
	return -1;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1; /* the kernel prints lower case only */
}

static int dec(struct cur *c, uint64_t *v, uint64_t max)
{
	size_t st = c->i;
	uint64_t x = 0;

	while (c->i < c->len && c->s[c->i] >= '0' && c->s[c->i] <= '9') {
		unsigned d = (unsigned)(c->s[c->i] - '0');

		if (x > (max - d) / 10)
			return -1;
		x = x * 10 + d;
		c->i++;
	}
	if (c->i == st || (c->i - st > 1 && c->s[st] == '0'))
		return -1;
	*v = x;
	return 0;
}

/* 0x + 1..16 lower-case hex digits, no leading zeros (as %lx prints). */
static int hex64(struct cur *c, uint64_t *v)
{
	size_t st;
	uint64_t x = 0;

	if (c->len - c->i < 3 || c->s[c->i] != '0' || c->s[c->i + 1] != 'x')
		return -1;
	c->i += 2;
	st = c->i;
	while (c->i < c->len && hexval(c->s[c->i]) >= 0) {
		if (c->i - st >= 16)
			return -1;
		x = x << 4 | (uint64_t)hexval(c->s[c->i]);
		c->i++;
	}
	if (c->i == st || (c->i - st > 1 && c->s[st] == '0'))
		return -1;
	*v = x;
	return 0;
}

/* 0x + exactly 2*width hex digits into bytes (little-endian number). */
static int hexwide(struct cur *c, uint8_t *out, unsigned width)
{
	unsigned k;

	if (c->len - c->i < 2 + 2 * (size_t)width || c->s[c->i] != '0' || c->s[c->i + 1] != 'x')
		return -1;
	c->i += 2;
	for (k = 0; k < width; k++) {
		int hi = hexval(c->s[c->i]), lo = hexval(c->s[c->i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[width - 1 - k] = (uint8_t)(hi << 4 | lo);
		c->i += 2;
	}
	if (c->i < c->len && hexval(c->s[c->i]) >= 0)
		return -1;
	return 0;
}

/* secs.usecs (exactly 6 digits, as the kernel prints) -> ns */
static int tstamp(struct cur *c, uint64_t *ns)
{
	uint64_t secs, us = 0;
	unsigned k;

	if (dec(c, &secs, UINT64_MAX / 1000000000ull))
		return -1;
	if (c->i >= c->len || c->s[c->i] != '.')
		return -1;
	c->i++;
	for (k = 0; k < 6; k++) {
		if (c->i >= c->len || c->s[c->i] < '0' || c->s[c->i] > '9')
			return -1;
		us = us * 10 + (uint64_t)(c->s[c->i] - '0');
		c->i++;
	}
	if (c->i < c->len && c->s[c->i] >= '0' && c->s[c->i] <= '9')
		return -1;
	if (secs * 1000000000ull > UINT64_MAX - us * 1000ull)
		return -1;
	*ns = secs * 1000000000ull + us * 1000ull;
	return 0;
}

static int word_is(const char *s, size_t len, const char *kw)
{
	size_t k = strlen(kw);

	return len > k && !memcmp(s, kw, k) && s[k] == ' ';
}

/* ---- line parsers ---------------------------------------------------------- */

static uint64_t take_seq(struct mt_text_parser *t)
{
	return t->next_seq++;
}

static int win_err(struct mt_reader *r, int rc)
{
	return perr(r, 0, rc == -ENOSPC ? "more than 65536 live maps" : "out of memory");
}

/* Map (text_id, phys) to (map_id, offset), pushing an implicit MAP if needed. */
static int locate(struct mt_reader *r, uint32_t text_id, uint64_t phys, uint64_t seq,
		  uint64_t ts, int any, uint16_t *map_id, uint64_t *offset)
{
	struct mt_text_parser *t = r->tp;
	long w = find_window(t, text_id, phys, any);

	if (w < 0) {
		struct tq *e;
		uint64_t base = any ? 0 : phys & ~0xfffull;
		int rc = add_window(t, text_id, base, 1, map_id);

		if (rc)
			return win_err(r, rc);
		e = q_push(t);
		e->ev.kind = MT_REC_MAP;
		e->ev.seq = e->ev.map.seq = seq; /* same seq as the access: sorts first */
		e->ev.ts = e->ev.map.ts = ts;
		e->ev.map_id = e->ev.map.map_id = *map_id;
		e->ev.map.text_id = text_id;
		e->ev.map.phys = base;
		e->ev.map.mflags = MT_MAPF_IMPLICIT;
		e->ev.map.path = "";
		*offset = phys - base;
		return 0;
	}
	*map_id = t->win[w].map_id;
	*offset = any ? 0 : phys - t->win[w].phys;
	return 0;
}

/* Queue an R/W, UNKNOWN or UNMAP record of the current context at the map
 * window of (text_id, phys), or at any window of text_id when any. */
static struct tq *push_access(struct mt_reader *r, uint8_t kind, uint64_t text_id, uint64_t phys,
			      int any, uint64_t ts, uint64_t pc, uint64_t pid)
{
	struct mt_text_parser *t = r->tp;
	uint64_t seq = take_seq(t), off = 0;
	uint16_t map_id;
	struct tq *e;

	if (locate(r, (uint32_t)text_id, phys, seq, ts, any, &map_id, &off))
		return NULL;
	e = q_push(t);
	e->ev.kind = kind;
	e->ev.seq = seq;
	e->ev.ts = ts;
	e->ev.map_id = map_id;
	e->ev.offset = off;
	e->ev.pc = pc;
	e->ev.pid = (uint32_t)pid;
	e->ev.tid = t->tid;
	e->ev.cpu = t->cpu;
	return e;
}

/* "bad WHAT in KW line" at the cursor */
static int bad_field(struct mt_reader *r, const struct cur *c, const char *what, const char *kw)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "bad %s in %s line", what, kw);
	return perr(r, c->i, msg);
}

/* The fields of record lines, each after one space. */
static int f_id(struct mt_reader *r, struct cur *c, uint64_t *id, const char *kw)
{
	return sp(c) || dec(c, id, UINT32_MAX) ? bad_field(r, c, "map id", kw) : 0;
}

static int f_hex(struct mt_reader *r, struct cur *c, uint64_t *v, const char *what, const char *kw)
{
	return sp(c) || hex64(c, v) ? bad_field(r, c, what, kw) : 0;
}

/* " PC PID" that ends every record line */
static int f_pc_pid_end(struct mt_reader *r, struct cur *c, uint64_t *pc, uint64_t *pid,
			const char *kw)
{
	char msg[96];

	if (f_hex(r, c, pc, "PC", kw))
		return r->err;
	if (sp(c) || dec(c, pid, UINT32_MAX))
		return bad_field(r, c, "PID", kw);
	if (!at_end(c)) {
		snprintf(msg, sizeof(msg), "unexpected text after the PID in %s line", kw);
		return perr(r, c->i, msg);
	}
	return 0;
}

static int parse_rw(struct mt_reader *r, const char *s, size_t len)
{
	struct cur c = { s, len, 2 };
	uint64_t width, ts, id, phys, value = 0, pc, pid;
	uint8_t wide[256];
	struct tq *e;

	if (dec(&c, &width, 255) || width == 0)
		return perr(r, c.i, "bad width in R/W line");
	if (sp(&c) || tstamp(&c, &ts))
		return perr(r, c.i, "bad timestamp in R/W line");
	if (f_id(r, &c, &id, "R/W") || f_hex(r, &c, &phys, "physical address", "R/W"))
		return r->err;
	if (sp(&c) || (width > 8 ? hexwide(&c, wide, (unsigned)width) : hex64(&c, &value)))
		return perr(r, c.i, "bad value in R/W line");
	if (f_pc_pid_end(r, &c, &pc, &pid, "R/W"))
		return r->err;
	e = push_access(r, s[0] == 'R' ? MT_REC_READ : MT_REC_WRITE, id, phys, 0, ts, pc, pid);
	if (!e)
		return r->err;
	e->ev.width = (uint8_t)width;
	if (width > 8) {
		memcpy(e->wide, wide, width);
		e->ev.wide = e->wide;
		memcpy(&e->ev.value, wide, 8);
	} else {
		e->ev.value = value;
	}
	return 0;
}

static int parse_unknown(struct mt_reader *r, const char *s, size_t len)
{
	struct cur c = { s, len, 8 };
	uint64_t ts, id, phys, pc, pid, v = 0;
	struct tq *e;
	int k;

	if (tstamp(&c, &ts))
		return perr(r, c.i, "bad timestamp in UNKNOWN line");
	if (f_id(r, &c, &id, "UNKNOWN") || f_hex(r, &c, &phys, "physical address", "UNKNOWN"))
		return r->err;
	if (sp(&c))
		return perr(r, c.i, "bad UNKNOWN line");
	for (k = 0; k < 3; k++) {
		int hi, lo;

		if (c.len - c.i < 2)
			return perr(r, c.i, "bad opcode bytes in UNKNOWN line");
		hi = hexval(s[c.i]);
		lo = hexval(s[c.i + 1]);
		if (hi < 0 || lo < 0)
			return perr(r, c.i, "bad opcode bytes in UNKNOWN line");
		v = v << 8 | (uint64_t)(hi << 4 | lo);
		c.i += 2;
		if (k < 2) {
			if (c.i >= c.len || s[c.i] != ',')
				return perr(r, c.i, "bad opcode bytes in UNKNOWN line");
			c.i++;
		}
	}
	if (f_pc_pid_end(r, &c, &pc, &pid, "UNKNOWN"))
		return r->err;
	e = push_access(r, MT_REC_UNKNOWN, id, phys, 0, ts, pc, pid);
	if (!e)
		return r->err;
	e->ev.value = v;
	return 0;
}

static int parse_map(struct mt_reader *r, const char *s, size_t len)
{
	struct mt_text_parser *t = r->tp;
	struct cur c = { s, len, 4 };
	uint64_t ts, id, phys, virt, size, pc, pid;
	uint16_t map_id;
	struct tq *e;
	int rc;

	if (tstamp(&c, &ts))
		return perr(r, c.i, "bad timestamp in MAP line");
	if (f_id(r, &c, &id, "MAP") || f_hex(r, &c, &phys, "physical address", "MAP") ||
	    f_hex(r, &c, &virt, "virtual address", "MAP") || f_hex(r, &c, &size, "length", "MAP") ||
	    f_pc_pid_end(r, &c, &pc, &pid, "MAP"))
		return r->err;
	drop_windows(t, (uint32_t)id);
	rc = add_window(t, (uint32_t)id, phys, 0, &map_id);
	if (rc)
		return win_err(r, rc);
	e = q_push(t);
	e->ev.kind = MT_REC_MAP;
	e->ev.seq = e->ev.map.seq = take_seq(t);
	e->ev.ts = e->ev.map.ts = ts;
	e->ev.map_id = e->ev.map.map_id = map_id;
	e->ev.map.text_id = (uint32_t)id;
	e->ev.map.phys = phys;
	e->ev.map.virt = virt;
	e->ev.map.size = size;
	e->ev.map.pc = e->ev.pc = pc;
	e->ev.map.pid = e->ev.pid = (uint32_t)pid;
	e->ev.map.path = "";
	return 0;
}

static int parse_unmap(struct mt_reader *r, const char *s, size_t len)
{
	struct cur c = { s, len, 6 };
	uint64_t ts, id, pc, pid;

	if (tstamp(&c, &ts))
		return perr(r, c.i, "bad timestamp in UNMAP line");
	if (f_id(r, &c, &id, "UNMAP") || f_pc_pid_end(r, &c, &pc, &pid, "UNMAP"))
		return r->err;
	if (!push_access(r, MT_REC_UNMAP, id, 0, 1, ts, pc, pid))
		return r->err;
	drop_windows(r->tp, (uint32_t)id);
	return 0;
}

static int parse_mark(struct mt_reader *r, const char *s, size_t len)
{
	struct cur c = { s, len, 5 };
	uint64_t ts;
	struct tq *e;

	if (tstamp(&c, &ts))
		return perr(r, c.i, "bad timestamp in MARK line");
	if (sp(&c))
		return perr(r, c.i, "missing space after the MARK timestamp");
	e = q_push(r->tp);
	e->ev.kind = MT_REC_MARK;
	e->ev.seq = take_seq(r->tp);
	e->ev.ts = ts;
	if (set_text(e, s + c.i, len - c.i))
		return perr(r, 0, "out of memory");
	e->ev.text = e->text;
	e->ev.text_len = len - c.i;
	return 0;
}

static int parse_lost(struct mt_reader *r, const char *s, size_t len)
{
	struct mt_text_parser *t = r->tp;
	struct cur c = { s, len, 5 };
	uint64_t ts, n;
	struct tq *e;

	if (tstamp(&c, &ts))
		return perr(r, c.i, "bad timestamp in LOST line");
	if (sp(&c) || dec(&c, &n, UINT64_MAX))
		return perr(r, c.i, "bad count in LOST line");
	if (!at_end(&c))
		return perr(r, c.i, "unexpected text after the LOST count");
	e = q_push(t);
	e->ev.kind = MT_REC_LOST;
	e->ev.seq = t->next_seq;
	e->ev.ts = ts;
	e->ev.value = n;
	e->ev.pid = t->pid;
	e->ev.tid = t->tid;
	e->ev.cpu = t->cpu;
	t->next_seq += n ? n : 1;
	return 0;
}

static int parse_ctx(struct mt_reader *r, const char *s, size_t len)
{
	struct mt_text_parser *t = r->tp;
	struct cur c = { s, len, 4 };
	uint64_t pid, tid = MT_TID_UNKNOWN, cpu = MT_CPU_UNKNOWN;

	if (dec(&c, &pid, UINT32_MAX) || sp(&c))
		return perr(r, c.i, "bad PID in CTX line");
	if (c.i < len && s[c.i] == '-')
		c.i++;
	else if (dec(&c, &tid, MT_TID_UNKNOWN - 1))
		return perr(r, c.i, "bad TID in CTX line");
	if (sp(&c))
		return perr(r, c.i, "bad CTX line");
	if (c.i < len && s[c.i] == '-')
		c.i++;
	else if (dec(&c, &cpu, MT_CPU_UNKNOWN - 1))
		return perr(r, c.i, "bad CPU in CTX line");
	if (!at_end(&c))
		return perr(r, c.i, "unexpected text in CTX line");
	t->pid = (uint32_t)pid;
	t->tid = (uint32_t)tid;
	t->cpu = (uint16_t)cpu;
	return 0;
}

static int parse_seq(struct mt_reader *r, const char *s, size_t len)
{
	struct cur c = { s, len, 4 };
	uint64_t n;

	if (dec(&c, &n, UINT64_MAX) || !at_end(&c))
		return perr(r, c.i, "bad SEQ line");
	r->tp->next_seq = n;
	return 0;
}

static int parse_ext(struct mt_reader *r, const char *s, size_t len)
{
	struct mt_text_parser *t = r->tp;
	struct tq *e = q_back(t);
	struct cur c = { s, len, 3 };
	struct mt_event *ev;

	if (!e || e->line != t->line - 1)
		return perr(r, 0, "EXT line does not follow a record line");
	ev = &e->ev;
	if (ev->kind == MT_REC_MARK || ev->kind == MT_REC_TEXT ||
	    (ev->kind == MT_REC_MAP && (ev->map.mflags & MT_MAPF_IMPLICIT)))
		return perr(r, 0, "EXT line after a line it cannot extend");
	while (!at_end(&c)) {
		size_t ks, kl, vs, ve;

		if (sp(&c))
			return perr(r, c.i, "expected a space in EXT line");
		ks = c.i;
		while (c.i < len && s[c.i] != '=' && s[c.i] != ' ')
			c.i++;
		if (c.i >= len || s[c.i] != '=' || c.i == ks)
			return perr(r, c.i, "expected key=value in EXT line");
		kl = c.i - ks;
		c.i++;
		vs = c.i;
		if (kl == 4 && !memcmp(s + ks, "path", 4)) {
			if (ev->kind != MT_REC_MAP)
				return perr(r, ks, "path= only after a MAP line");
			if (len - vs > MT_REC_VAR_MAX - MT_REC_MAP_FIXED)
				return perr(r, vs, "path too long");
			if (set_text(e, s + vs, len - vs))
				return perr(r, 0, "out of memory");
			ev->map.path = e->text;
			ev->map.path_len = (uint16_t)(len - vs);
			c.i = len;
			break;
		}
		while (c.i < len && s[c.i] != ' ')
			c.i++;
		ve = c.i;
#define KEY(k) (kl == sizeof(k) - 1 && !memcmp(s + ks, k, kl))
		if (ev->kind == MT_REC_MAP) {
			struct cur v = { s, ve, vs };

			if (KEY("src")) {
				if (ve - vs == 4 && !memcmp(s + vs, "file", 4))
					ev->map.source = MT_MAPSRC_FILE;
				else if (ve - vs == 3 && !memcmp(s + vs, "pci", 3))
					ev->map.source = MT_MAPSRC_PCI;
				else if (ve - vs == 4 && !memcmp(s + vs, "none", 4))
					ev->map.source = MT_MAPSRC_NONE;
				else if (ve - vs == 5 && !memcmp(s + vs, "watch", 5))
					ev->map.source = MT_MAPSRC_WATCH;
				else
					return perr(r, vs, "bad src= value");
			} else if (KEY("pci")) {
				unsigned dom, bus, dev, fn;
				char tail;

				if (ve - vs != 12 ||
				    sscanf(s + vs, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &tail) < 4 ||
				    dev > 31 || fn > 7)
					return perr(r, vs, "bad pci= value (want DDDD:BB:DD.F)");
				ev->map.pci_domain = (uint16_t)dom;
				ev->map.pci_bus = (uint8_t)bus;
				ev->map.pci_devfn = (uint8_t)(dev << 3 | fn);
			} else if (KEY("bar")) {
				uint64_t b;

				if (dec(&v, &b, 254) || v.i != ve)
					return perr(r, vs, "bad bar= value");
				ev->map.bar = (uint8_t)b;
			} else if (KEY("foff")) {
				uint64_t f;

				if (hex64(&v, &f) || v.i != ve)
					return perr(r, vs, "bad foff= value");
				ev->map.file_offset = f;
			} else if (KEY("pciid")) {
				unsigned v[6];
				struct mt_pci_ids *d = &ev->map.pci_ids;

				int shape = ve - vs == 29;

				for (size_t q = 0; shape && q < 29; q++) /* VVVV:DDDD:SSSS:SSSS:RR:CCCCCC */
					shape = (q == 4 || q == 9 || q == 14 || q == 19 || q == 22)
							? s[vs + q] == ':' : hexval(s[vs + q]) >= 0;
				if (!shape ||
				    sscanf(s + vs, "%4x:%4x:%4x:%4x:%2x:%6x", &v[0], &v[1], &v[2], &v[3],
					   &v[4], &v[5]) != 6)
					return perr(r, vs, "bad pciid= value (want VVVV:DDDD:SSSS:SSSS:RR:CCCCCC)");
				d->vendor = (uint16_t)v[0];
				d->device = (uint16_t)v[1];
				d->subsys_vendor = (uint16_t)v[2];
				d->subsys_device = (uint16_t)v[3];
				d->revision = (uint8_t)v[4];
				d->class_base = (uint8_t)(v[5] >> 16);
				d->class_sub = (uint8_t)(v[5] >> 8);
				d->class_prog = (uint8_t)v[5];
				ev->map.has_pci_ids = 1;
			}
			/* unknown keys: ignored (newer writers) */
			continue;
		}
		if (KEY("flags")) {
			size_t i = vs;

			while (i < ve) {
				size_t j = i;
				unsigned bit;

				while (j < ve && s[j] != ',')
					j++;
				bit = mt__flag_bit(s + i, j - i);
				if (!bit)
					return perr(r, i, "unknown flag name in EXT flags=");
				ev->flags |= (uint16_t)bit;
				i = j + 1;
			}
		} else if (KEY("orig")) {
			struct cur v = { s, ve, vs };
			unsigned w = ev->width;

			if (!w || ev->kind == MT_REC_LOST)
				return perr(r, vs, "orig= on a record without a value");
			if (w > 8) {
				if (hexwide(&v, e->orig, w) || v.i != ve)
					return perr(r, vs, "bad orig= value");
			} else {
				uint64_t o;
				unsigned k;

				if (hex64(&v, &o) || v.i != ve)
					return perr(r, vs, "bad orig= value");
				if (w < 8 && (o >> (8 * w)))
					return perr(r, vs, "orig= value wider than the access");
				for (k = 0; k < w; k++)
					e->orig[k] = (uint8_t)(o >> (8 * k));
			}
			ev->orig = e->orig;
			ev->orig_len = (uint16_t)w;
		} else if (KEY("insn")) {
			size_t n = ve - vs, k;

			if (!n || (n & 1) || n > 32)
				return perr(r, vs, "bad insn= value");
			for (k = 0; k < n / 2; k++) {
				int hi = hexval(s[vs + 2 * k]), lo = hexval(s[vs + 2 * k + 1]);

				if (hi < 0 || lo < 0)
					return perr(r, vs, "bad insn= value");
				e->insn[k] = (uint8_t)(hi << 4 | lo);
			}
			ev->insn = e->insn;
			ev->insn_len = (uint8_t)(n / 2);
		}
#undef KEY
	}
	e->line = t->line; /* a further EXT line may follow */
	return 0;
}

static int parse_text_line(struct mt_reader *r, const char *s, size_t len)
{
	struct tq *e = q_push(r->tp);

	e->ev.kind = MT_REC_TEXT;
	/* a leading VERSION line takes no sequence number (the formatter agrees) */
	if (r->tp->line == 1 && len >= 8 && !memcmp(s, "VERSION ", 8))
		e->ev.seq = r->tp->next_seq;
	else
		e->ev.seq = take_seq(r->tp);
	if (len > MT_REC_VAR_MAX - MT_REC_TEXT_FIXED)
		return perr(r, 0, "line too long");
	if (set_text(e, s, len))
		return perr(r, 0, "out of memory");
	e->ev.text = e->text;
	e->ev.text_len = len;
	return 0;
}

static int parse_line(struct mt_reader *r, const char *s, size_t len)
{
	if (memchr(s, 0, len))
		return perr(r, (size_t)((const char *)memchr(s, 0, len) - s),
			    "NUL byte in text (binary data?)");
	if (word_is(s, len, "R") || word_is(s, len, "W"))
		return parse_rw(r, s, len);
	if (word_is(s, len, "MAP"))
		return parse_map(r, s, len);
	if (word_is(s, len, "UNMAP"))
		return parse_unmap(r, s, len);
	if (word_is(s, len, "MARK"))
		return parse_mark(r, s, len);
	if (word_is(s, len, "UNKNOWN"))
		return parse_unknown(r, s, len);
	if (word_is(s, len, "LOST"))
		return parse_lost(r, s, len);
	if (word_is(s, len, "CTX"))
		return parse_ctx(r, s, len);
	if (word_is(s, len, "SEQ"))
		return parse_seq(r, s, len);
	if (word_is(s, len, "EXT"))
		return parse_ext(r, s, len);
	return parse_text_line(r, s, len); /* VERSION, PCIDEV, LSPCI, others: verbatim */
}

/* Read one line and parse it. 1 parsed, 0 EOF, <0 error. */
static int next_line(struct mt_reader *r)
{
	struct mt_text_parser *t = r->tp;
	size_t n, want = 4096;
	const uint8_t *nl;

	for (;;) {
		n = mt__avail(r, want);
		if (r->err)
			return r->err;
		nl = memchr(r->buf + r->pos, '\n', n);
		if (nl || n < want)
			break;
		if (want >= MAX_LINE_TEXT) {
			t->line_off = mt__cur_off(r);
			t->line++;
			return perr(r, 0, "line too long");
		}
		want *= 2;
	}
	if (n == 0)
		return 0;
	{
		size_t len = nl ? (size_t)(nl - (r->buf + r->pos)) : n;
		int rc;

		t->line++;
		t->line_off = mt__cur_off(r);
		rc = parse_line(r, (const char *)r->buf + r->pos, len);
		r->pos += len + (nl ? 1 : 0);
		return rc < 0 ? rc : 1;
	}
}

int mt__text_next(struct mt_reader *r, struct mt_event *ev)
{
	struct mt_text_parser *t = r->tp;
	int eof = 0;

	for (;;) {
		if (t->qn >= 2 || (t->qn && eof)) {
			struct tq *e = &t->q[t->qhead];
			char *keep = t->cur.text;
			size_t keepcap = t->cur.text_cap;

			/* move into cur (swap text buffers to avoid copies) */
			t->cur.ev = e->ev;
			memcpy(t->cur.wide, e->wide, sizeof(e->wide));
			memcpy(t->cur.orig, e->orig, sizeof(e->orig));
			memcpy(t->cur.insn, e->insn, sizeof(e->insn));
			t->cur.text = e->text;
			t->cur.text_cap = e->text_cap;
			e->text = keep;
			e->text_cap = keepcap;
			if (t->cur.ev.wide)
				t->cur.ev.wide = t->cur.wide;
			if (t->cur.ev.orig)
				t->cur.ev.orig = t->cur.orig;
			if (t->cur.ev.insn)
				t->cur.ev.insn = t->cur.insn;
			if (t->cur.ev.kind == MT_REC_MARK || t->cur.ev.kind == MT_REC_TEXT)
				t->cur.ev.text = t->cur.text;
			if (t->cur.ev.kind == MT_REC_MAP)
				t->cur.ev.map.path = t->cur.ev.map.path_len ? t->cur.text : "";
			t->qhead = (t->qhead + 1) % QLEN;
			t->qn--;
			*ev = t->cur.ev;
			ev->file_offset = 0;
			return 1;
		}
		if (eof)
			return 0;
		{
			int rc = next_line(r);

			if (rc < 0)
				return rc;
			if (rc == 0)
				eof = 1;
		}
	}
}

int mt__text_init(struct mt_reader *r)
{
	r->tp = calloc(1, sizeof(*r->tp));
	if (!r->tp) {
		mt__set_err(r, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	r->tp->tid = MT_TID_UNKNOWN;
	r->tp->cpu = MT_CPU_UNKNOWN;
	return 0;
}

void mt__text_fini(struct mt_reader *r)
{
	unsigned i;

	if (!r->tp)
		return;
	for (i = 0; i < QLEN; i++)
		free(r->tp->q[i].text);
	free(r->tp->cur.text);
	free(r->tp->win);
	free(r->tp);
	r->tp = NULL;
}
