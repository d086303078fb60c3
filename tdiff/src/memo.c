// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * memo.c - the verdicts of the --ignore/--ignore-value selectors per
 * register (map id, address, width), so that a name selector costs one
 * register database lookup per register, not per access. Open addressing,
 * doubled at half full; emptied when a MAP record (re)binds map ids.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tdiff_int.h"

struct memo_ent {
	uint64_t addr;
	uint16_t map;
	uint8_t width, used;
	uint8_t v[2];
};

struct mt_tdiff_namememo {
	struct memo_ent *t;
	size_t cap, used;
};

static size_t slot(uint16_t map, uint64_t addr, uint8_t width, size_t cap)
{
	uint64_t h = addr * 0x9e3779b97f4a7c15ull ^ ((uint64_t)map << 8 | width);

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return (size_t)(h ^ (h >> 32)) & (cap - 1);
}

static struct memo_ent *find(const struct mt_tdiff_namememo *m, uint16_t map, uint64_t addr,
			     uint8_t width)
{
	size_t j;

	for (j = slot(map, addr, width, m->cap); m->t[j].used; j = (j + 1) & (m->cap - 1))
		if (m->t[j].addr == addr && m->t[j].map == map && m->t[j].width == width)
			return &m->t[j];
	return &m->t[j];
}

int tdiff_memo_new(struct mt_tdiff_namememo **m)
{
	*m = calloc(1, sizeof(**m));
	if (!*m || !((*m)->t = calloc(256, sizeof(struct memo_ent)))) {
		free(*m);
		*m = NULL;
		return -ENOMEM;
	}
	(*m)->cap = 256;
	return 0;
}

void tdiff_memo_free(struct mt_tdiff_namememo *m)
{
	if (m)
		free(m->t);
	free(m);
}

void tdiff_memo_clear(struct mt_tdiff_namememo *m)
{
	memset(m->t, 0, m->cap * sizeof(*m->t));
	m->used = 0;
}

int tdiff_memo_get(const struct mt_tdiff_namememo *m, uint16_t map, uint64_t addr, uint8_t width,
		   uint8_t v[2])
{
	const struct memo_ent *e = find(m, map, addr, width);

	if (!e->used)
		return 0;
	v[0] = e->v[0];
	v[1] = e->v[1];
	return 1;
}

static int grow(struct mt_tdiff_namememo *m)
{
	size_t cap = m->cap * 2, i;
	struct memo_ent *old = m->t, *n = calloc(cap, sizeof(*n));

	if (!n)
		return -ENOMEM;
	m->t = n;
	m->cap = cap;
	for (i = 0; i < cap / 2; i++)
		if (old[i].used)
			*find(m, old[i].map, old[i].addr, old[i].width) = old[i];
	free(old);
	return 0;
}

int tdiff_memo_put(struct mt_tdiff_namememo *m, uint16_t map, uint64_t addr, uint8_t width,
		   const uint8_t v[2])
{
	struct memo_ent *e;

	if ((m->used + 1) * 2 > m->cap && grow(m))
		return -ENOMEM;
	e = find(m, map, addr, width);
	if (!e->used)
		m->used++;
	*e = (struct memo_ent){ addr, map, width, 1, { v[0], v[1] } };
	return 0;
}
