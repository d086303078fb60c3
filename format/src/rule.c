// SPDX-License-Identifier: GPL-2.0 OR MIT
/* rule.c - parser and printer of injection rules (docs/INJECT.md). */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmiotap/inject.h"

static int fail(struct mt_rule_error *err, const char *text, size_t col, size_t len,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int fail(struct mt_rule_error *err, const char *text, size_t col, size_t len,
		const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -EINVAL;
	err->column = (unsigned)col + 1;
	if (len >= sizeof(err->token))
		len = sizeof(err->token) - 1;
	memcpy(err->token, text + col, len);
	err->token[len] = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* whole-string unsigned number: decimal or 0x hex */
static int num(const char *s, size_t len, uint64_t *v)
{
	char buf[32], *end;

	if (!len || len >= sizeof(buf) || s[0] == '-' || s[0] == '+' || s[0] == ' ')
		return -1;
	memcpy(buf, s, len);
	buf[len] = 0;
	errno = 0;
	*v = strtoull(buf, &end, 0);
	return errno || *end ? -1 : 0;
}

/* A-B (inclusive) or A+LEN or A */
static int range(const char *s, size_t len, uint64_t *lo, uint64_t *hi)
{
	const char *d = memchr(s, '-', len), *p = memchr(s, '+', len);

	if (d) {
		if (num(s, (size_t)(d - s), lo) || num(d + 1, len - (size_t)(d - s) - 1, hi) ||
		    *hi < *lo)
			return -1;
		return 0;
	}
	if (p) {
		uint64_t n;

		if (num(s, (size_t)(p - s), lo) || num(p + 1, len - (size_t)(p - s) - 1, &n) || !n ||
		    *lo + n - 1 < *lo)
			return -1;
		*hi = *lo + n - 1;
		return 0;
	}
	if (num(s, len, lo))
		return -1;
	*hi = *lo;
	return 0;
}

/* when=N | N+ | N+S | N..M | N..M+S | ..M */
static int when(const char *s, size_t len, struct mt_inject_rule *r)
{
	const char *dots = NULL, *plus = memchr(s, '+', len);
	size_t i, end = plus ? (size_t)(plus - s) : len;

	for (i = 0; i + 1 < end; i++)
		if (s[i] == '.' && s[i + 1] == '.') {
			dots = s + i;
			break;
		}
	if (dots) {
		if (dots == s)
			r->first = 1;
		else if (num(s, (size_t)(dots - s), &r->first))
			return -1;
		if (num(dots + 2, end - (size_t)(dots - s) - 2, &r->last))
			return -1;
	} else {
		if (num(s, end, &r->first))
			return -1;
		r->last = plus ? UINT64_MAX : r->first;
	}
	if (plus) {
		if (plus + 1 == s + len)
			r->step = 1;
		else if (num(plus + 1, len - end - 1, &r->step) || !r->step)
			return -1;
		if (!dots)
			r->last = UINT64_MAX;
	}
	if (!r->first || r->last < r->first)
		return -1;
	return 0;
}

static int pci_bdf(const char *s, size_t len, struct mt_inject_rule *r)
{
	unsigned dom = 0, bus, dev, fn;
	char buf[20], tail;
	int k;

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = 0;
	if (len == 12)
		k = sscanf(buf, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &tail) == 4;
	else if (len == 7)
		k = sscanf(buf, "%2x:%2x.%1x%c", &bus, &dev, &fn, &tail) == 3;
	else
		k = 0;
	if (!k || dev > 31 || fn > 7 || strspn(buf, "0123456789abcdefABCDEF:.") != len)
		return -1;
	r->pci_domain = (uint16_t)dom;
	r->pci_bus = (uint8_t)bus;
	r->pci_devfn = (uint8_t)(dev << 3 | fn);
	return 0;
}

/* delay=N[ns|us|ms|s] (default us) */
static int duration(const char *s, size_t len, uint64_t *ns)
{
	static const struct {
		const char *suf;
		uint64_t mul;
	} u[] = { { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 } };
	uint64_t v, mul = 1000;
	unsigned i;

	for (i = 0; i < 4; i++) {
		size_t k = strlen(u[i].suf);

		if (len > k && !memcmp(s + len - k, u[i].suf, k) &&
		    (k == 2 || (s[len - 2] >= '0' && s[len - 2] <= '9'))) {
			mul = u[i].mul;
			len -= k;
			break;
		}
	}
	if (num(s, len, &v) || v > UINT64_MAX / mul || v * mul > 10000000000ull)
		return -1; /* at most 10 s */
	*ns = v * mul;
	return 0;
}

/* probability: 0.25, 25%, 1 */
static int prob(const char *s, size_t len, uint32_t *p)
{
	char buf[32], *end;
	double d;

	if (!len || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = 0;
	errno = 0;
	d = strtod(buf, &end);
	if (end == buf || errno)
		return -1;
	if (*end == '%' && end[1] == 0)
		d /= 100.0;
	else if (*end)
		return -1;
	if (!(d >= 0.0 && d <= 1.0))
		return -1;
	*p = d >= 1.0 ? 0xffffffffu : (uint32_t)(d * 4294967296.0);
	return 0;
}

int mt_rule_parse(const char *text, struct mt_inject_rule *r, struct mt_rule_error *err)
{
	size_t pos = 0, len;
	int have_target = 0, have_action = 0;

	if (err)
		memset(err, 0, sizeof(*err));
	if (!text || !r)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->dir = MT_DIR_RW;
	r->bar = -1;
	r->first = 1;
	r->last = UINT64_MAX;
	r->step = 1;
	r->prob = 0xffffffffu;
	len = strlen(text);
	if (!len)
		return fail(err, text, 0, 0, "empty rule");
	while (pos <= len) {
		size_t end = pos, klen, vpos, vlen;
		const char *k = text + pos, *v;

		while (end < len && text[end] != ',')
			end++;
		if (end == pos)
			return fail(err, text, pos, 1, "empty item (two commas?)");
		klen = 0;
		while (pos + klen < end && text[pos + klen] != '=')
			klen++;
		vpos = pos + klen + (pos + klen < end ? 1 : 0);
		v = text + vpos;
		vlen = end - vpos;
#define IS(name) (klen == sizeof(name) - 1 && !memcmp(k, name, klen))
#define BAD(what) return fail(err, text, pos, end - pos, "%s", what)
		if (pos + klen == end && !IS("drop"))
			BAD("expected key=value");
		if (pos + klen < end && !vlen)
			BAD("empty value");
		if (IS("file")) {
			if (have_target)
				BAD("a rule has one target (file=, pci= or phys=)");
			if (vlen >= MT_RULE_PATH_MAX)
				BAD("path too long");
			r->target = MT_TGT_FILE;
			memcpy(r->path, v, vlen);
			r->path[vlen] = 0;
			have_target = 1;
		} else if (IS("pci")) {
			if (have_target)
				BAD("a rule has one target (file=, pci= or phys=)");
			if (pci_bdf(v, vlen, r))
				BAD("bad PCI address (want DDDD:BB:DD.F or BB:DD.F)");
			r->target = MT_TGT_PCI;
			have_target = 1;
		} else if (IS("bar")) {
			uint64_t b;

			if (num(v, vlen, &b) || b > 5)
				BAD("bad BAR number (0-5)");
			r->bar = (int16_t)b;
		} else if (IS("phys")) {
			if (have_target)
				BAD("a rule has one target (file=, pci= or phys=)");
			if (range(v, vlen, &r->phys_lo, &r->phys_hi))
				BAD("bad physical range (want A-B, A+LEN or A)");
			r->target = MT_TGT_PHYS;
			have_target = 1;
		} else if (IS("off") || IS("offset")) {
			if (range(v, vlen, &r->off_lo, &r->off_hi))
				BAD("bad offset range (want A-B, A+LEN or A)");
			r->has_off = 1;
		} else if (IS("width")) {
			uint64_t w;

			if (num(v, vlen, &w) || !(w == 1 || w == 2 || w == 4 || w == 8 || w == 10 ||
						  w == 16 || w == 32 || w == 64))
				BAD("bad width (1, 2, 4, 8, 16, 32 or 64)");
			r->width = (uint8_t)w;
		} else if (IS("dir")) {
			if (vlen == 1 && *v == 'r')
				r->dir = MT_DIR_R;
			else if (vlen == 1 && *v == 'w')
				r->dir = MT_DIR_W;
			else if (vlen == 2 && !memcmp(v, "rw", 2))
				r->dir = MT_DIR_RW;
			else
				BAD("bad direction (r, w or rw)");
		} else if (IS("value") || IS("xor") || IS("and") || IS("or")) {
			uint64_t x;

			if (num(v, vlen, &x))
				BAD("bad number");
			if (IS("value")) {
				r->value = x;
				r->actions |= MT_ACT_VALUE;
			} else if (IS("xor")) {
				r->xor_mask = x;
				r->actions |= MT_ACT_XOR;
			} else if (IS("and")) {
				r->and_mask = x;
				r->actions |= MT_ACT_AND;
			} else {
				r->or_mask = x;
				r->actions |= MT_ACT_OR;
			}
			have_action = 1;
		} else if (IS("drop")) {
			if (pos + klen != end)
				BAD("drop takes no value");
			r->actions |= MT_ACT_DROP;
			have_action = 1;
		} else if (IS("delay")) {
			if (duration(v, vlen, &r->delay_ns))
				BAD("bad delay (N[ns|us|ms|s], at most 10 s)");
			r->actions |= MT_ACT_DELAY;
			have_action = 1;
		} else if (IS("when")) {
			if (when(v, vlen, r))
				BAD("bad occurrence (N, N+, N+STEP, N..M, N..M+STEP)");
		} else if (IS("prob")) {
			if (prob(v, vlen, &r->prob))
				BAD("bad probability (0..1 or N%)");
		} else if (IS("seed")) {
			if (num(v, vlen, &r->seed))
				BAD("bad seed");
		} else {
			return fail(err, text, pos, klen, "unknown key");
		}
#undef IS
#undef BAD
		pos = end + 1;
	}
	if (!have_action)
		return fail(err, text, 0, len, "no action (value=, xor=, and=, or=, drop or delay=)");
	if ((r->actions & MT_ACT_DROP) && !(r->dir & MT_DIR_W))
		return fail(err, text, 0, len, "drop applies to writes: use dir=w");
	if ((r->actions & MT_ACT_DROP) && r->dir == MT_DIR_RW)
		r->dir = MT_DIR_W;
	if (r->bar >= 0 && r->target != MT_TGT_PCI && r->target != MT_TGT_FILE)
		return fail(err, text, 0, len, "bar= needs a pci= or file= target");
	return 0;
}

int mt_rule_format(const struct mt_inject_rule *r, char *buf, size_t room)
{
	size_t n = 0;
	int k;

#define P(...)                                                           \
	do {                                                             \
		k = snprintf(buf + n, room - n, __VA_ARGS__);            \
		if (k < 0 || (size_t)k >= room - n)                      \
			return -ENOSPC;                                  \
		n += (size_t)k;                                          \
	} while (0)
	if (!room)
		return -ENOSPC;
	buf[0] = 0;
	if (r->target == MT_TGT_FILE)
		P("file=%s,", r->path);
	else if (r->target == MT_TGT_PCI)
		P("pci=%04x:%02x:%02x.%x,", r->pci_domain, r->pci_bus, r->pci_devfn >> 3,
		  r->pci_devfn & 7);
	else if (r->target == MT_TGT_PHYS)
		P("phys=0x%" PRIx64 "-0x%" PRIx64 ",", r->phys_lo, r->phys_hi);
	if (r->bar >= 0)
		P("bar=%d,", r->bar);
	if (r->has_off)
		P("off=0x%" PRIx64 "-0x%" PRIx64 ",", r->off_lo, r->off_hi);
	if (r->width)
		P("width=%u,", r->width);
	P("dir=%s", r->dir == MT_DIR_R ? "r" : r->dir == MT_DIR_W ? "w" : "rw");
	if (r->actions & MT_ACT_VALUE)
		P(",value=0x%" PRIx64, r->value);
	if (r->actions & MT_ACT_AND)
		P(",and=0x%" PRIx64, r->and_mask);
	if (r->actions & MT_ACT_OR)
		P(",or=0x%" PRIx64, r->or_mask);
	if (r->actions & MT_ACT_XOR)
		P(",xor=0x%" PRIx64, r->xor_mask);
	if (r->actions & MT_ACT_DROP)
		P(",drop");
	if (r->actions & MT_ACT_DELAY)
		P(",delay=%" PRIu64 "ns", r->delay_ns);
	if (r->first != 1 || r->last != UINT64_MAX || r->step != 1) {
		if (r->last == UINT64_MAX)
			P(",when=%" PRIu64 "+%" PRIu64, r->first, r->step);
		else if (r->step != 1)
			P(",when=%" PRIu64 "..%" PRIu64 "+%" PRIu64, r->first, r->last, r->step);
		else
			P(",when=%" PRIu64 "..%" PRIu64, r->first, r->last);
	}
	if (r->prob != 0xffffffffu)
		P(",prob=%.17g", r->prob / 4294967296.0);
	if (r->seed)
		P(",seed=%" PRIu64, r->seed);
#undef P
	return (int)n;
}

int mt_rule_match_region(const struct mt_inject_rule *r, const struct mt_region_id *reg)
{
	switch (r->target) {
	case MT_TGT_ANY:
		return 1;
	case MT_TGT_FILE:
		if (!reg->path || fnmatch(r->path, reg->path, 0))
			return 0;
		return r->bar < 0 || reg->bar == r->bar;
	case MT_TGT_PCI:
		if (!reg->has_pci || reg->pci_domain != r->pci_domain || reg->pci_bus != r->pci_bus ||
		    reg->pci_devfn != r->pci_devfn)
			return 0;
		return r->bar < 0 || reg->bar == r->bar;
	case MT_TGT_PHYS:
		if (!reg->has_phys)
			return 0;
		/* overlap of [phys, phys+size) with [lo, hi] */
		return reg->phys <= r->phys_hi &&
		       (reg->size == 0 || reg->phys + reg->size - 1 >= r->phys_lo);
	}
	return 0;
}
