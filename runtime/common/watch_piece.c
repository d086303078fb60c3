// SPDX-License-Identifier: GPL-2.0 OR MIT
/* watch_piece.c - the piece of a watched page an access falls in (rt_watch.h). */
#include "mmiotap/rt_watch.h"

static unsigned kinds(unsigned flags)
{
	unsigned k = flags & (MT_WATCH_READ | MT_WATCH_WRITE);
	return k ? k : MT_WATCH_READ | MT_WATCH_WRITE;
}

int mt_watch_piece_of(const struct mt_watch_obj *w, int n, uint64_t pstart, uint64_t pend,
		      uint64_t addr, int is_write, uint64_t *lo, uint64_t *hi)
{
	unsigned want = is_write ? MT_WATCH_WRITE : MT_WATCH_READ;
	uint64_t l = pstart, h = pend;
	for (int i = 0; i < n; i++) {
		if (!w[i].used || w[i].end <= pstart || w[i].start >= pend ||
		    !(kinds(w[i].flags) & want))
			continue;
		if (addr >= w[i].start && addr < w[i].end) {
			*lo = w[i].start > pstart ? w[i].start : pstart;
			*hi = w[i].end < pend ? w[i].end : pend;
			return i;
		}
		if (w[i].end <= addr && w[i].end > l)
			l = w[i].end;
		if (w[i].start > addr && w[i].start < h)
			h = w[i].start;
	}
	*lo = l;
	*hi = h;
	return -1;
}
