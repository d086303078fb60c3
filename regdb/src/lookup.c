// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * lookup.c - offset -> register (regdb_lookup, regdb_name) and the lookup
 * cache. A register hit exactly wins over one the access lands inside, so
 * overlapping definitions (a 64-bit register and its 32-bit halves) name the
 * one that starts at the offset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regdb_int.h"

static uint64_t reg_bytes(const struct regdb_elem *el)
{
	return el->width ? (el->width + 7) / 8 : 4;
}

static uint64_t elem_stride(const struct regdb_elem *el)
{
	if (el->stride)
		return el->stride;
	return el->kind == RDB_E_REG ? reg_bytes(el) : 0;
}

/* Search el's kids for off; best = within smallest. Returns 1 on a hit. */
static int find(const struct regdb_elem *el, uint64_t off, struct regdb_hit *h,
		unsigned depth, struct regdb_hit *best)
{
	size_t i;
	int found = 0;

	for (i = 0; i < el->nkids; i++) {
		const struct regdb_elem *k = el->kids[i];
		uint64_t stride = elem_stride(k), len = k->length ? k->length : 1, idx, rel;

		if (!k->active || off < k->offset)
			continue;
		rel = off - k->offset;
		if (len > 1 && stride) {
			idx = rel / stride;
			if (idx >= len)
				continue;
			rel -= idx * stride;
		} else {
			idx = 0;
		}
		if (k->kind == RDB_E_REG) {
			if (rel >= reg_bytes(k))
				continue;
			if (found && rel >= best->within)
				continue;
			*best = *h;
			best->reg = k;
			best->reg_index = idx;
			best->within = rel;
			found = 1;
			if (rel == 0)
				return 1;
			continue;
		}
		if (depth >= REGDB_MAX_DEPTH)
			continue;
		h->path[depth] = k;
		h->index[depth] = idx;
		h->depth = depth + 1;
		{
			struct regdb_hit sub;

			if (find(k, rel, h, depth + 1, &sub) && (!found || sub.within < best->within)) {
				*best = sub;
				found = 1;
				if (sub.within == 0)
					return 1;
			}
		}
		h->depth = depth;
	}
	return found;
}

int regdb_lookup(const struct regdb_domain *d, uint64_t offset, unsigned width,
		 struct regdb_hit *out)
{
	struct regdb_hit h;

	(void)width;
	memset(&h, 0, sizeof(h));
	if (d->absolute) {
		if (offset < d->base)
			return 0;
		offset -= d->base;
	}
	return find(&d->root, offset, &h, 0, out);
}

/* The name of value v of enum en (an active one), or NULL. */
static const char *value_name(const struct rdb_enum *en, uint64_t v)
{
	for (const struct rdb_value *x = en ? en->values : NULL; x; x = x->next)
		if (x->has_value && x->value == v && x->active)
			return x->name;
	return NULL;
}

static int put_name(char *buf, size_t room, size_t *n, const struct regdb_elem *el,
		    uint64_t idx)
{
	const char *nm = el->name, *vn;
	uint64_t len = el->length ? el->length : 1;
	int w;

	if (*n >= room)
		return 0;
	if (len > 1 && (vn = value_name(el->index_en, idx))) {
		/* rnndb index="ENUM" */
		w = snprintf(buf + *n, room - *n, "%s[%s]", nm ? nm : "", vn);
	} else if (el->idxnames && idx < len) {
		/* SVD: NAME%s with dimIndex names */
		const char *p = nm ? strstr(nm, "%s") : NULL;

		if (p)
			w = snprintf(buf + *n, room - *n, "%.*s%s%s", (int)(p - nm), nm,
				     el->idxnames[idx], p + 2);
		else
			w = snprintf(buf + *n, room - *n, "%s%s", nm ? nm : "", el->idxnames[idx]);
	} else if (nm && len > 1) {
		w = snprintf(buf + *n, room - *n, "%s[0x%llx]", nm, (unsigned long long)idx);
	} else if (nm) {
		w = snprintf(buf + *n, room - *n, "%s", nm);
	} else if (len > 1) {
		w = snprintf(buf + *n, room - *n, "[0x%llx]", (unsigned long long)idx);
	} else {
		return 0;
	}
	if (w > 0)
		*n += (size_t)w;
	return w > 0;
}

int regdb_name(const struct regdb_hit *h, char *buf, size_t room)
{
	size_t n = 0;
	unsigned i;

	if (!room)
		return 0;
	buf[0] = 0;
	for (i = 0; i < h->depth; i++) {
		if (put_name(buf, room, &n, h->path[i], h->index[i]) && n < room - 1)
			buf[n++] = '.';
		buf[n < room ? n : room - 1] = 0;
	}
	put_name(buf, room, &n, h->reg, h->reg_index);
	if (n < room && h->within)
		n += snprintf(buf + n, room - n, "+%#llx", (unsigned long long)h->within);
	if (n >= room)
		n = room - 1;
	buf[n] = 0;
	return (int)n;
}

unsigned regdb_reg_width(const struct regdb_elem *reg)
{
	return reg->width;
}

const char *regdb_reg_access(const struct regdb_elem *reg)
{
	return reg->access ? reg->access : "";
}

const char *regdb_elem_where(const struct regdb_elem *el, int *line)
{
	if (line)
		*line = el->line;
	return el->file ? el->file : "";
}

/* ---- cache: open addressing on (offset, width) --------------------------- */

struct cslot {
	uint64_t key; /* offset << 8 | width, +1 (0 = empty) */
	struct regdb_cached *val; /* NULL: no register there */
};
struct regdb_cache {
	const struct regdb_domain *d;
	struct cslot *slots;
	size_t cap, used;
};
#define CACHE_MAX (1u << 18) /* entries; more are answered uncached */

struct regdb_cache *regdb_cache_new(const struct regdb_domain *d)
{
	struct regdb_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->d = d;
	c->cap = 256;
	c->slots = calloc(c->cap, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return NULL;
	}
	return c;
}

static uint64_t hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static int grow(struct regdb_cache *c)
{
	size_t ncap = c->cap * 2, i, j;
	struct cslot *ns = calloc(ncap, sizeof(*ns));

	if (!ns)
		return -1;
	for (i = 0; i < c->cap; i++) {
		if (!c->slots[i].key)
			continue;
		for (j = hash64(c->slots[i].key) & (ncap - 1); ns[j].key; j = (j + 1) & (ncap - 1))
			;
		ns[j] = c->slots[i];
	}
	free(c->slots);
	c->slots = ns;
	c->cap = ncap;
	return 0;
}

static struct regdb_cached *make(const struct regdb_domain *d, uint64_t off, unsigned w,
				 int *miss, struct regdb_cached *tmp, size_t tmpsz)
{
	struct regdb_hit h;
	struct regdb_cached *v;
	char name[512];
	int n;

	if (!regdb_lookup(d, off, w, &h)) {
		*miss = 1;
		return NULL;
	}
	*miss = 0;
	n = regdb_name(&h, name, sizeof(name));
	v = malloc(sizeof(*v) + n + 1);
	if (!v) { /* no memory: answer from the caller's scratch */
		if (tmp && tmpsz > sizeof(*tmp)) {
			tmp->hit = h;
			snprintf(tmp->name, tmpsz - sizeof(*tmp), "%s", name);
		}
		return NULL;
	}
	v->hit = h;
	memcpy(v->name, name, n + 1);
	return v;
}

const struct regdb_cached *regdb_cache_get(struct regdb_cache *c, uint64_t off, unsigned w)
{
	static __thread union {
		struct regdb_cached c;
		char b[sizeof(struct regdb_cached) + 512];
	} scratch;
	uint64_t key = ((off << 8) | (w & 0xff)) + 1;
	size_t j;
	int miss;
	struct regdb_cached *v;

	for (j = hash64(key) & (c->cap - 1); c->slots[j].key; j = (j + 1) & (c->cap - 1))
		if (c->slots[j].key == key)
			return c->slots[j].val;
	v = make(c->d, off, w, &miss, &scratch.c, sizeof(scratch));
	if (!v && !miss)
		return &scratch.c; /* out of memory: not cached */
	if (c->used >= CACHE_MAX || ((c->used + 1) * 2 > c->cap && grow(c))) {
		/* full: answer without caching (scratch copy) */
		if (!v)
			return NULL;
		scratch.c.hit = v->hit;
		snprintf(scratch.c.name, sizeof(scratch) - sizeof(scratch.c), "%s", v->name);
		free(v);
		return &scratch.c;
	}
	for (j = hash64(key) & (c->cap - 1); c->slots[j].key; j = (j + 1) & (c->cap - 1))
		;
	c->slots[j].key = key;
	c->slots[j].val = v;
	c->used++;
	return v;
}

void regdb_cache_free(struct regdb_cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->cap; i++)
		free(c->slots[i].val);
	free(c->slots);
	free(c);
}
