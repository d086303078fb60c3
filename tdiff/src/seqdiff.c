// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * seqdiff.c - shortest edit script of two key arrays: Myers' O(ND) diff
 * with the linear-space refinement (a forward and a backward search meet in
 * a "middle snake"; recurse on both halves), as in GNU diffutils' diffseq.h.
 * When the cost of one split passes `too_expensive` (about the square root
 * of the input size, at least 256) the split is taken at the furthest point
 * either search reached: the script is then still valid but may not be the
 * shortest; that bounds the time on very different inputs at
 * O(N * too_expensive). Memory: two int32 per element of the input left
 * after the common prefix and suffix are removed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmiotap/tdiff.h"

typedef int32_t off;
#define OFF_MAX INT32_MAX

struct ctx {
	const uint64_t *x, *y;
	off *fd, *bd;           /* indexed by diagonal x - y */
	off too_expensive;
	uint64_t *del, *ins;
	size_t xbase, ybase;    /* x[0] is element xbase of the caller's a, y[0] ybase of b */
};

struct part {
	off xmid, ymid;
	int lo_min, hi_min;
};

static void set_bit(uint64_t *bits, size_t i)
{
	bits[i >> 6] |= (uint64_t)1 << (i & 63);
}

/* Furthest-reaching cut-off: the better of the two searches' best points. */
static void give_up(const struct ctx *c, off xoff, off xlim, off yoff, off ylim, off fmin,
		    off fmax, off bmin, off bmax, struct part *p)
{
	off fxy = -1, fx = 0, bxy = OFF_MAX, bx = 0, d;

	for (d = fmax; d >= fmin; d -= 2) {
		off x = c->fd[d] < xlim ? c->fd[d] : xlim, y = x - d;

		if (ylim < y) {
			x = ylim + d;
			y = ylim;
		}
		if (fxy < x + y) {
			fxy = x + y;
			fx = x;
		}
	}
	for (d = bmax; d >= bmin; d -= 2) {
		off x = c->bd[d] > xoff ? c->bd[d] : xoff, y = x - d;

		if (y < yoff) {
			x = yoff + d;
			y = yoff;
		}
		if (x + y < bxy) {
			bxy = x + y;
			bx = x;
		}
	}
	if ((xlim + ylim) - bxy < fxy - (xoff + yoff)) {
		p->xmid = fx;
		p->ymid = fxy - fx;
		p->lo_min = 1;
		p->hi_min = 0;
	} else {
		p->xmid = bx;
		p->ymid = bxy - bx;
		p->lo_min = 0;
		p->hi_min = 1;
	}
}

/* One step of the forward search on every active diagonal; 1 if it met
 * the backward search. */
static int fwd_step(const struct ctx *c, off fmin, off fmax, off bmin, off bmax, off xlim,
		    off ylim, int odd, struct part *p)
{
	off d;

	for (d = fmax; d >= fmin; d -= 2) {
		off lo = c->fd[d - 1], hi = c->fd[d + 1];
		off x0 = lo < hi ? hi : lo + 1, x = x0, y = x0 - d;

		while (x < xlim && y < ylim && c->x[x] == c->y[y]) {
			x++;
			y++;
		}
		c->fd[d] = x;
		if (odd && bmin <= d && d <= bmax && c->bd[d] <= x) {
			p->xmid = x;
			p->ymid = y;
			p->lo_min = p->hi_min = 1;
			return 1;
		}
	}
	return 0;
}

static int bwd_step(const struct ctx *c, off fmin, off fmax, off bmin, off bmax, off xoff,
		    off yoff, int odd, struct part *p)
{
	off d;

	for (d = bmax; d >= bmin; d -= 2) {
		off lo = c->bd[d - 1], hi = c->bd[d + 1];
		off x0 = lo < hi ? lo : hi - 1, x = x0, y = x0 - d;

		while (xoff < x && yoff < y && c->x[x - 1] == c->y[y - 1]) {
			x--;
			y--;
		}
		c->bd[d] = x;
		if (!odd && fmin <= d && d <= fmax && x <= c->fd[d]) {
			p->xmid = x;
			p->ymid = y;
			p->lo_min = p->hi_min = 1;
			return 1;
		}
	}
	return 0;
}

/* Find the middle snake of x[xoff..xlim) and y[yoff..ylim) (both non-empty,
 * first and last elements differ). */
static void diag(const struct ctx *c, off xoff, off xlim, off yoff, off ylim, int minimal,
		 struct part *p)
{
	const off dmin = xoff - ylim, dmax = xlim - yoff;
	const off fmid = xoff - yoff, bmid = xlim - ylim;
	off fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid, cost;
	int odd = (fmid - bmid) & 1;

	c->fd[fmid] = xoff;
	c->bd[bmid] = xlim;
	for (cost = 1;; cost++) {
		if (fmin > dmin)
			c->fd[--fmin - 1] = -1;
		else
			++fmin;
		if (fmax < dmax)
			c->fd[++fmax + 1] = -1;
		else
			--fmax;
		if (fwd_step(c, fmin, fmax, bmin, bmax, xlim, ylim, odd, p))
			return;
		if (bmin > dmin)
			c->bd[--bmin - 1] = OFF_MAX;
		else
			++bmin;
		if (bmax < dmax)
			c->bd[++bmax + 1] = OFF_MAX;
		else
			--bmax;
		if (bwd_step(c, fmin, fmax, bmin, bmax, xoff, yoff, odd, p))
			return;
		if (!minimal && cost >= c->too_expensive) {
			give_up(c, xoff, xlim, yoff, ylim, fmin, fmax, bmin, bmax, p);
			return;
		}
	}
}

static void compareseq(const struct ctx *c, off xoff, off xlim, off yoff, off ylim, int minimal)
{
	for (;;) {
		struct part p;

		while (xoff < xlim && yoff < ylim && c->x[xoff] == c->y[yoff]) {
			xoff++;
			yoff++;
		}
		while (xoff < xlim && yoff < ylim && c->x[xlim - 1] == c->y[ylim - 1]) {
			xlim--;
			ylim--;
		}
		if (xoff == xlim) {
			for (; yoff < ylim; yoff++)
				set_bit(c->ins, c->ybase + (size_t)yoff);
			return;
		}
		if (yoff == ylim) {
			for (; xoff < xlim; xoff++)
				set_bit(c->del, c->xbase + (size_t)xoff);
			return;
		}
		diag(c, xoff, xlim, yoff, ylim, minimal, &p);
		compareseq(c, xoff, p.xmid, yoff, p.ymid, p.lo_min);
		/* the second half as a loop: bounded stack on long scripts */
		xoff = p.xmid;
		yoff = p.ymid;
		minimal = p.hi_min;
	}
}

/* a[0..na) against b[0..nb), elements a0 and b0 of the whole inputs; the
 * bitmaps are already clear. */
static int seqdiff_range(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, size_t a0,
			 size_t b0, uint64_t *del, uint64_t *ins, int minimal)
{
	struct ctx c = { 0 };
	size_t pre = 0, nd, diags;
	off *mem;

	while (pre < na && pre < nb && a[pre] == b[pre])
		pre++;
	while (na > pre && nb > pre && a[na - 1] == b[nb - 1]) {
		na--;
		nb--;
	}
	c.x = a + pre;
	c.y = b + pre;
	c.del = del;
	c.ins = ins;
	c.xbase = a0 + pre;
	c.ybase = b0 + pre;
	na -= pre;
	nb -= pre;
	if (!na || !nb) {
		compareseq(&c, 0, (off)na, 0, (off)nb, minimal);
		return 0;
	}
	diags = na + nb + 3;
	mem = malloc(2 * diags * sizeof(off));
	if (!mem)
		return -ENOMEM;
	c.fd = mem + nb + 1;
	c.bd = c.fd + diags;
	for (c.too_expensive = 1, nd = diags; nd; nd >>= 2)
		c.too_expensive <<= 1;
	if (c.too_expensive < 256)
		c.too_expensive = 256;
	compareseq(&c, 0, (off)na, 0, (off)nb, minimal);
	free(mem);
	return 0;
}

int mt_seqdiff_anchored(const uint64_t *a, size_t na, const uint64_t *b, size_t nb,
			const size_t *anc_a, const size_t *anc_b, size_t nanc, uint64_t *del,
			uint64_t *ins, int minimal)
{
	size_t i, pa = 0, pb = 0;
	int rc;

	if (na >= OFF_MAX / 2 || nb >= OFF_MAX / 2)
		return -EOVERFLOW;
	for (i = 0; i < nanc; i++)
		if (anc_a[i] < pa || anc_a[i] >= na || anc_b[i] < pb || anc_b[i] >= nb ||
		    a[anc_a[i]] != b[anc_b[i]])
			return -EINVAL;
		else
			pa = anc_a[i] + 1, pb = anc_b[i] + 1;
	memset(del, 0, (na + 63) / 64 * 8);
	memset(ins, 0, (nb + 63) / 64 * 8);
	pa = pb = 0;
	for (i = 0; i <= nanc; i++) {
		size_t ea = i < nanc ? anc_a[i] : na, eb = i < nanc ? anc_b[i] : nb;

		rc = seqdiff_range(a + pa, ea - pa, b + pb, eb - pb, pa, pb, del, ins, minimal);
		if (rc)
			return rc;
		pa = ea + 1;
		pb = eb + 1;
	}
	return 0;
}

int mt_seqdiff(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, uint64_t *del,
	       uint64_t *ins, int minimal)
{
	return mt_seqdiff_anchored(a, na, b, nb, NULL, NULL, 0, del, ins, minimal);
}
