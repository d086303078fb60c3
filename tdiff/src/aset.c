// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * aset.c - the asynchronous accesses of two traces compared as sets
 * (tdiff.h, `mmiotap diff --async`): per segment between two anchors
 * (common markers), each distinct key of one side that the other side's
 * same segment never has is a difference, reported once with how often
 * it occurred. Memory: 24 bytes per asynchronous access.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mmiotap/tdiff.h"

void mt_tdiff_aset_free(struct mt_tdiff_aset *a)
{
	free(a->v);
	free(a->only);
	memset(a, 0, sizeof(*a));
}

int mt_tdiff_aset_add(struct mt_tdiff_aset *a, uint64_t key, size_t marks_before)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 1024;
		struct mt_tdiff_aelem *v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n] = (struct mt_tdiff_aelem){ key, marks_before, 0, a->n };
	a->n++;
	return 0;
}

/* Segment = number of anchors (marker ordinals anc[0..nanc), increasing)
 * before the element: elements come in trace order, one sweep. */
static void segments(struct mt_tdiff_aset *a, const size_t *anc, size_t nanc)
{
	size_t i, k = 0;

	for (i = 0; i < a->n; i++) {
		while (k < nanc && anc[k] < a->v[i].marks)
			k++;
		a->v[i].seg = k;
	}
}

static int by_seg_key(const void *x, const void *y)
{
	const struct mt_tdiff_aelem *a = x, *b = y;

	if (a->seg != b->seg)
		return a->seg < b->seg ? -1 : 1;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int by_idx(const void *x, const void *y)
{
	const struct mt_tdiff_aonly *a = x, *b = y;

	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int add_only(struct mt_tdiff_aset *a, const struct mt_tdiff_aelem *first, uint64_t count)
{
	if (a->nonly == a->ocap) {
		size_t cap = a->ocap ? a->ocap * 2 : 64;
		struct mt_tdiff_aonly *o = realloc(a->only, cap * sizeof(*o));

		if (!o)
			return -ENOMEM;
		a->only = o;
		a->ocap = cap;
	}
	a->only[a->nonly++] = (struct mt_tdiff_aonly){ first->idx, first->seg, count };
	return 0;
}

/* Walk both sorted arrays; groups of equal (seg, key) present on one side
 * only go to that side's list. */
static int merge(struct mt_tdiff_aset *a, struct mt_tdiff_aset *b)
{
	size_t i = 0, j = 0;
	int rc = 0;

	while (!rc && (i < a->n || j < b->n)) {
		const struct mt_tdiff_aelem *x = i < a->n ? &a->v[i] : NULL;
		const struct mt_tdiff_aelem *y = j < b->n ? &b->v[j] : NULL;
		int c = !x ? 1 : !y ? -1 : x->seg != y->seg ? (x->seg < y->seg ? -1 : 1)
					 : x->key != y->key ? (x->key < y->key ? -1 : 1) : 0;
		size_t i0 = i, j0 = j;

		if (c <= 0)
			while (i < a->n && a->v[i].seg == x->seg && a->v[i].key == x->key)
				i++;
		if (c >= 0)
			while (j < b->n && b->v[j].seg == y->seg && b->v[j].key == y->key)
				j++;
		if (c < 0)
			rc = add_only(a, x, i - i0);
		else if (c > 0)
			rc = add_only(b, y, j - j0);
	}
	return rc;
}

int mt_tdiff_aset_compare(struct mt_tdiff_aset *a, const size_t *anc_a, struct mt_tdiff_aset *b,
			  const size_t *anc_b, size_t nanc)
{
	int rc;

	segments(a, anc_a, nanc);
	segments(b, anc_b, nanc);
	if (a->n)
		qsort(a->v, a->n, sizeof(*a->v), by_seg_key);
	if (b->n)
		qsort(b->v, b->n, sizeof(*b->v), by_seg_key);
	a->nonly = b->nonly = 0;
	rc = merge(a, b);
	if (rc)
		return rc;
	if (a->nonly)
		qsort(a->only, a->nonly, sizeof(*a->only), by_idx);
	if (b->nonly)
		qsort(b->only, b->nonly, sizeof(*b->only), by_idx);
	free(a->v);
	free(b->v);
	a->v = b->v = NULL;
	a->cap = b->cap = 0;
	return 0;
}
