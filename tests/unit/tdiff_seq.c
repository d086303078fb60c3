// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tdiff_seq.c - mt_seqdiff() gives a valid edit script, and a shortest one
 * (length checked against the LCS computed by dynamic programming) on
 * random sequences over small alphabets; the heuristic cut-off still gives
 * a valid script on large very different inputs; register selectors parse;
 * asynchronous accesses compare as sets per segment.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmiotap/tdiff.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static size_t lcs(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
	size_t *row = calloc((nb + 1) * 2, sizeof(size_t)), i, j, r;
	size_t *prev = row, *cur = row + nb + 1;

	for (i = 1; i <= na; i++) {
		size_t *t;

		for (j = 1; j <= nb; j++)
			cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1
			       : prev[j] > cur[j - 1] ? prev[j] : cur[j - 1];
		t = prev;
		prev = cur;
		cur = t;
	}
	r = prev[nb];
	free(row);
	return r;
}

/* The unmarked elements of a and b, in order, are equal; returns how many. */
static long common(const uint64_t *a, size_t na, const uint64_t *b, size_t nb,
		   const uint64_t *del, const uint64_t *ins)
{
	size_t i = 0, j = 0, n = 0;

	for (;;) {
		while (i < na && mt_bit(del, i))
			i++;
		while (j < nb && mt_bit(ins, j))
			j++;
		if (i == na || j == nb)
			break;
		if (a[i] != b[j])
			return -1;
		i++, j++, n++;
	}
	if (i != na || j != nb)
		return -1;
	return (long)n;
}

static void one(size_t na, size_t nb, unsigned alpha, int mutate)
{
	uint64_t *a = malloc((na + 1) * 8), *b = malloc((nb + 1) * 8);
	uint64_t *del = malloc((na + 64) / 64 * 8), *ins = malloc((nb + 64) / 64 * 8);
	size_t i;
	long c;

	for (i = 0; i < na; i++)
		a[i] = (uint64_t)(rand() % alpha);
	for (i = 0; i < nb; i++)
		b[i] = mutate && i < na && rand() % 8 ? a[i] : (uint64_t)(rand() % alpha);
	CHECK(mt_seqdiff(a, na, b, nb, del, ins, 1) == 0);
	c = common(a, na, b, nb, del, ins);
	CHECK(c >= 0);
	if (c >= 0 && (size_t)c != lcs(a, na, b, nb)) {
		fprintf(stderr, "na %zu nb %zu alpha %u: common %ld, lcs %zu\n", na, nb, alpha, c,
			lcs(a, na, b, nb));
		failures++;
	}
	/* the non-minimal mode is at least valid */
	CHECK(mt_seqdiff(a, na, b, nb, del, ins, 0) == 0);
	CHECK(common(a, na, b, nb, del, ins) >= 0);
	free(a);
	free(b);
	free(del);
	free(ins);
}

/* Anchors are matched, the script stays valid, bad anchors are refused. */
static void anchored(void)
{
	uint64_t a[200], b[220], del[4], ins[4];
	size_t aa[3] = { 50, 120, 199 }, ab[3] = { 40, 150, 219 }, i;

	for (i = 0; i < 200; i++)
		a[i] = (uint64_t)(rand() % 3);
	for (i = 0; i < 220; i++)
		b[i] = (uint64_t)(rand() % 3);
	for (i = 0; i < 3; i++)
		a[aa[i]] = b[ab[i]] = 100 + i;
	CHECK(mt_seqdiff_anchored(a, 200, b, 220, aa, ab, 3, del, ins, 1) == 0);
	CHECK(common(a, 200, b, 220, del, ins) >= 0);
	for (i = 0; i < 3; i++)
		CHECK(!mt_bit(del, aa[i]) && !mt_bit(ins, ab[i]));
	a[50] = 7;
	CHECK(mt_seqdiff_anchored(a, 200, b, 220, aa, ab, 3, del, ins, 1) == -EINVAL);
}

static void big_different(void)
{
	size_t n = 60000, i;
	uint64_t *a = malloc(n * 8), *b = malloc(n * 8);
	uint64_t *del = malloc((n + 63) / 64 * 8), *ins = malloc((n + 63) / 64 * 8);

	for (i = 0; i < n; i++) {
		a[i] = (uint64_t)rand() % 50;
		b[i] = (uint64_t)rand() % 50;
	}
	CHECK(mt_seqdiff(a, n, b, n, del, ins, 0) == 0);
	CHECK(common(a, n, b, n, del, ins) > 0);
	free(a);
	free(b);
	free(del);
	free(ins);
}

static void regs(void)
{
	struct mt_tdiff_reg r;

	CHECK(mt_tdiff_reg_parse("0x10", &r) == 0 && r.addr == 0x10 && r.bar == 0xff);
	CHECK(mt_tdiff_reg_parse("2:0x8", &r) == 0 && r.addr == 8 && r.bar == 2);
	CHECK(mt_tdiff_reg_parse("BAR0:16", &r) == 0 && r.addr == 16 && r.bar == 0);
	CHECK(mt_tdiff_reg_parse("7:0x8", &r) == -EINVAL);
	CHECK(mt_tdiff_reg_parse("0x1g", &r) == -EINVAL);
	CHECK(mt_tdiff_reg_parse("0:", &r) == -EINVAL);
	CHECK(mt_tdiff_reg_parse("STATUS", &r) == 0 && r.name && !strcmp(r.name, "STATUS") &&
	      r.bar == 0xff);
	CHECK(mt_tdiff_reg_parse("BAR0:RA*", &r) == 0 && !strcmp(r.name, "RA*") && r.bar == 0);
	CHECK(mt_tdiff_reg_parse("0:", &r) == -EINVAL && mt_tdiff_reg_parse("", &r) == -EINVAL);
	CHECK(mt_tdiff_reg_parse("0x10", &r) == 0 && !r.name);
	CHECK(mt_tdiff_reg_parse("RA*", &r) == 0 && mt_tdiff_reg_name_match(&r, NULL, "RA[0x1].RAL"));
	CHECK(mt_tdiff_reg_parse("e1000.STAT*", &r) == 0 && mt_tdiff_reg_name_match(&r, "e1000", "STATUS") &&
	      !mt_tdiff_reg_name_match(&r, NULL, "STATUS") && !mt_tdiff_reg_name_match(&r, "x", "STATUS"));
	CHECK(mt_tdiff_reg_parse("0:0x4000-0x40ff", &r) == 0 && r.addr == 0x4000 &&
	      r.last == 0x40ff && r.bar == 0);
	CHECK(mt_tdiff_reg_parse("0x10", &r) == 0 && r.last == 0x10);
	CHECK(mt_tdiff_reg_parse("0x20-0x10", &r) == -EINVAL);
}

/* Asynchronous accesses as sets per segment: A has keys 5 5 7 | 9 (one
 * anchor after its 3rd element, its 1st marker), B has 7 5 | 9 9 8 (anchor
 * after its 2nd element, its 2nd marker; its 1st marker is no anchor):
 * equal before the anchor whatever the counts, 8 only in B after it. */
static void aset(void)
{
	struct mt_tdiff_aset a = { 0 }, b = { 0 };
	const size_t anc_a[] = { 0 }, anc_b[] = { 1 };

	CHECK(!mt_tdiff_aset_add(&a, 5, 0) && !mt_tdiff_aset_add(&a, 5, 0) &&
	      !mt_tdiff_aset_add(&a, 7, 0) && !mt_tdiff_aset_add(&a, 9, 1));
	CHECK(!mt_tdiff_aset_add(&b, 7, 0) && !mt_tdiff_aset_add(&b, 5, 1) &&
	      !mt_tdiff_aset_add(&b, 9, 2) && !mt_tdiff_aset_add(&b, 9, 2) &&
	      !mt_tdiff_aset_add(&b, 8, 2) && !mt_tdiff_aset_add(&b, 8, 2));
	CHECK(!mt_tdiff_aset_compare(&a, anc_a, &b, anc_b, 1));
	CHECK(a.nonly == 0);
	CHECK(b.nonly == 1 && b.only[0].idx == 4 && b.only[0].seg == 1 && b.only[0].count == 2);
	mt_tdiff_aset_free(&a);
	mt_tdiff_aset_free(&b);
	/* no anchors: one segment; 5 only in A (twice) */
	CHECK(!mt_tdiff_aset_add(&a, 5, 0) && !mt_tdiff_aset_add(&a, 6, 3) &&
	      !mt_tdiff_aset_add(&a, 5, 4));
	CHECK(!mt_tdiff_aset_add(&b, 6, 0));
	CHECK(!mt_tdiff_aset_compare(&a, NULL, &b, NULL, 0));
	CHECK(a.nonly == 1 && a.only[0].idx == 0 && a.only[0].count == 2 && b.nonly == 0);
	mt_tdiff_aset_free(&a);
	mt_tdiff_aset_free(&b);
}

int main(void)
{
	int k;

	srand(1);
	one(0, 0, 2, 0);
	one(0, 5, 2, 0);
	one(7, 0, 2, 0);
	for (k = 0; k < 1000; k++)
		one((size_t)(rand() % 40), (size_t)(rand() % 40), 2 + (unsigned)(k % 6), k & 1);
	for (k = 0; k < 20; k++)
		one(300 + (size_t)(rand() % 200), 300 + (size_t)(rand() % 200), 4, 1);
	anchored();
	big_different();
	regs();
	aset();
	if (failures) {
		printf("tdiff_seq: %d failures\n", failures);
		return 1;
	}
	printf("tdiff_seq: ok\n");
	return 0;
}
