// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * format.c - a register value decoded as envytools' rnndec does:
 * "{ FIELD = 0x3 | FLAG | MODE = NAME | 0x80 }" for bitsets (1-bit fields
 * without a type are flags, printed when set; bits no field covers come
 * last, in hex), an enum's value name, or the number in the register's type.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "regdb_int.h"

#include "strbuf.h"

#define out sb

/* printf only for the rare floating-point types */
static void put(struct out *o, const char *fmt, double d)
{
	char t[64];

	snprintf(t, sizeof(t), fmt, d);
	sb_str(o, t);
}

static uint64_t mask_of(unsigned bits)
{
	return bits >= 64 ? ~0ull : (1ull << bits) - 1;
}

static void fmt_type(struct out *o, const struct rdb_type *t, uint64_t v, unsigned bits,
		     int depth);

static void fmt_bitset(struct out *o, const struct rdb_bitset *bs, uint64_t v,
		       unsigned bits, int depth)
{
	const struct rdb_field *f;
	uint64_t rest = v & mask_of(bits);
	int first = 1;

	sb_mem(o, "{", 1);
	for (f = bs->fields; f; f = f->next) {
		unsigned fb;
		uint64_t fv, fm;

		if (!f->active || f->low >= 64 || f->high < f->low)
			continue;
		fb = f->high - f->low + 1;
		fm = mask_of(fb) << f->low;
		fv = (v & fm) >> f->low;
		rest &= ~fm;
		if (f->type.kind == RDB_T_BOOL || (f->type.kind == RDB_T_NONE && fb == 1)) {
			if (!fv)
				continue;
			if (first)
				sb_lit(o, " ");
			else
				sb_lit(o, " | ");
			sb_str(o, f->name);
		} else {
			if (first)
				sb_lit(o, " ");
			else
				sb_lit(o, " | ");
			sb_str(o, f->name);
			sb_mem(o, " = ", 3);
			fmt_type(o, &f->type, fv, fb, depth + 1);
		}
		first = 0;
	}
	if (rest || first) {
		if (first)
			sb_lit(o, " ");
		else
			sb_lit(o, " | ");
		sb_hex(o, rest, 1);
	}
	sb_mem(o, " }", 2);
}

static const struct rdb_value *enum_find_value(const struct rdb_enum *en, uint64_t v)
{
	const struct rdb_value *x;
	uint64_t i = 0;

	for (x = en->values; x; x = x->next, i++)
		if (x->active && (x->has_value ? x->value : i) == v)
			return x;
	return NULL;
}

static void fmt_type(struct out *o, const struct rdb_type *t, uint64_t v, unsigned bits,
		     int depth)
{
	const struct rdb_value *ev;
	uint64_t sv = t->shr < 64 ? v << t->shr : 0;

	if (depth > 8) {
		sb_hex(o, v, 1);
		return;
	}
	switch (t->kind) {
	case RDB_T_ENUM:
		if (t->en && (ev = enum_find_value(t->en, v)))
			sb_str(o, ev->name);
		else
			sb_hex(o, v, 1);
		return;
	case RDB_T_BITSET:
		if (t->bs) {
			fmt_bitset(o, t->bs, v, bits, depth);
			return;
		}
		break;
	case RDB_T_BOOL:
		sb_str(o, v ? "TRUE" : "FALSE");
		return;
	case RDB_T_UINT:
		sb_u64(o, sv);
		return;
	case RDB_T_INT:
		if (bits && bits < 64 && (v >> (bits - 1)) & 1)
			sb_i64(o, (int64_t)(v | ~mask_of(bits)));
		else
			sb_i64(o, (int64_t)v);
		return;
	case RDB_T_FIXED:
	case RDB_T_UFIXED: {
		double d;

		if (t->kind == RDB_T_FIXED && bits && bits < 64 && (v >> (bits - 1)) & 1)
			d = (double)(int64_t)(v | ~mask_of(bits));
		else
			d = (double)v;
		put(o, "%g", t->radix < 64 ? d / (double)(1ull << t->radix) : d);
		return;
	}
	case RDB_T_FLOAT:
		if (bits == 32) {
			float f;
			uint32_t u = (uint32_t)v;

			memcpy(&f, &u, 4);
			put(o, "%g", (double)f);
			return;
		}
		break;
	default:
		break;
	}
	sb_hex(o, sv, 1);
}

int regdb_format_value(const struct regdb_hit *h, unsigned width, uint64_t value,
		       char *buf, size_t room)
{
	struct out o = { buf, room, 0 };
	const struct regdb_elem *r = h->reg;
	unsigned bits = r->width ? r->width : 32;

	if (!room)
		return 0;
	buf[0] = 0;
	if (h->within) {
		/* a part of the register: place it, show only the covered fields */
		if (h->within >= 8) {
			sb_hex(&o, value, 1);
			return (int)o.n;
		}
		value <<= 8 * h->within;
	}
	(void)width;
	if (r->type.kind == RDB_T_NONE)
		sb_hex(&o, value, 1);
	else
		fmt_type(&o, &r->type, value, bits, 0);
	return (int)o.n;
}

int regdb_fields(const struct regdb_hit *h, uint64_t value, regdb_field_cb cb, void *ctx)
{
	const struct regdb_elem *r = h->reg;
	unsigned bits = r->width ? r->width : 32;
	const struct rdb_field *f;
	uint64_t rest;
	char t[512];
	int n = 0;

	if (h->within)
		value = h->within < 8 ? value << (8 * h->within) : 0;
	if (r->type.kind != RDB_T_BITSET || !r->type.bs) {
		struct out o = { t, sizeof(t), 0 };

		t[0] = 0;
		fmt_type(&o, &r->type, value, bits, 0);
		return cb(r->name ? r->name : "", 0, bits, value, t, ctx), 1;
	}
	rest = value & mask_of(bits);
	for (f = r->type.bs->fields; f; f = f->next) {
		struct out o = { t, sizeof(t), 0 };
		unsigned fb;
		uint64_t fv;

		if (!f->active || f->low >= 64 || f->high < f->low)
			continue;
		fb = f->high - f->low + 1;
		fv = (value >> f->low) & mask_of(fb);
		rest &= ~(mask_of(fb) << f->low);
		t[0] = 0;
		if (f->type.kind == RDB_T_NONE && fb == 1)
			sb_str(&o, fv ? "TRUE" : "FALSE");
		else
			fmt_type(&o, &f->type, fv, fb, 1);
		n++;
		if (cb(f->name, f->low, fb, fv, t, ctx))
			return n;
	}
	if (rest) {
		struct out o = { t, sizeof(t), 0 };

		t[0] = 0;
		sb_hex(&o, rest, 1);
		n++;
		cb(NULL, 0, bits, rest, t, ctx);
	}
	return n;
}
