// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * rt_watch.c - the pieces of a watched page (mmiotap/rt_watch.h): objects,
 * the gaps between them, read-only/write-only objects, objects across the
 * page's edges, unused slots, objects of other pages.
 */
#include <stdio.h>
#include <string.h>

#include "mmiotap/rt_watch.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

int main(void)
{
	struct mt_watch_obj w[4];
	uint64_t lo, hi;
	memset(w, 0, sizeof(w));
	/* page 0x1000-0x2000: A [0x1100,0x1108) both kinds; B [0x1200,0x1210)
	 * writes only; C [0x0ff0,0x1010) across the page's start; w[3] unused */
	w[0] = (struct mt_watch_obj){ 0x1100, 0x1108, 1, 0, 1 };
	w[1] = (struct mt_watch_obj){ 0x1200, 0x1210, 2, MT_WATCH_WRITE, 1 };
	w[2] = (struct mt_watch_obj){ 0x0ff0, 0x1010, 3, MT_WATCH_READ | MT_WATCH_STOP, 1 };
	w[3] = (struct mt_watch_obj){ 0x1300, 0x1400, 4, 0, 0 };

	CHECK(mt_watch_piece_of(w, 4, 0x1000, 0x2000, 0x1104, 0, &lo, &hi) == 0);
	CHECK(lo == 0x1100 && hi == 0x1108);
	CHECK(mt_watch_piece_of(w, 4, 0x1000, 0x2000, 0x1104, 1, &lo, &hi) == 0);
	/* the gap between A and B */
	CHECK(mt_watch_piece_of(w, 4, 0x1000, 0x2000, 0x1108, 1, &lo, &hi) == -1);
	CHECK(lo == 0x1108 && hi == 0x1200);
	/* B counts for writes only: a read there is in the gap after A */
	CHECK(mt_watch_piece_of(w, 4, 0x1000, 0x2000, 0x1204, 1, &lo, &hi) == 1);
	CHECK(lo == 0x1200 && hi == 0x1210);
	CHECK(mt_watch_piece_of(w, 4, 0x1000, 0x2000, 0x1204, 0, &lo, &hi) == -1);
	CHECK(lo == 0x1108 && hi == 0x2000);
	/* C: clipped to the page; a write there is a gap up to A */
	CHECK(mt_watch_piece_of(w, 4, 0x1000, 0x2000, 0x1000, 0, &lo, &hi) == 2);
	CHECK(lo == 0x1000 && hi == 0x1010);
	CHECK(mt_watch_piece_of(w, 4, 0x1000, 0x2000, 0x1000, 1, &lo, &hi) == -1);
	CHECK(lo == 0x1000 && hi == 0x1100);
	/* the unused slot is no object */
	CHECK(mt_watch_piece_of(w, 4, 0x1000, 0x2000, 0x1380, 0, &lo, &hi) == -1);
	CHECK(lo == 0x1108 && hi == 0x2000); /* B does not count for a read */
	/* an object of another page does not cut this one */
	CHECK(mt_watch_piece_of(w, 4, 0x3000, 0x4000, 0x3000, 0, &lo, &hi) == -1);
	CHECK(lo == 0x3000 && hi == 0x4000);
	/* no objects */
	CHECK(mt_watch_piece_of(w, 0, 0x1000, 0x2000, 0x1500, 0, &lo, &hi) == -1);
	CHECK(lo == 0x1000 && hi == 0x2000);
	if (failures)
		return 1;
	printf("rt_watch: ok\n");
	return 0;
}
