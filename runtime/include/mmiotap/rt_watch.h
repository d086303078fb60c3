/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * rt_watch.h - watched objects of ordinary memory (`mmiotap watch`): which
 * piece of a watched page an access falls in. Shared by the backends'
 * region callbacks (rt_access.h): a page holding watched objects is one
 * traced region, cut into the objects (recorded, their own map id) and the
 * bytes between them (emulated, not recorded). Pure, no libc.
 */
#ifndef MMIOTAP_RT_WATCH_H
#define MMIOTAP_RT_WATCH_H

#include <stdint.h>

/* MMIOTAP_WATCH_* of mmiotap.h */
#define MT_WATCH_READ 0x1u
#define MT_WATCH_WRITE 0x2u
#define MT_WATCH_STOP 0x4u

struct mt_watch_obj {
	uint64_t start, end;
	uint32_t map_id;
	unsigned flags;      /* MT_WATCH_*; neither READ nor WRITE: both */
	uint8_t used;
};

/* The piece of the page [pstart, pend) holding addr, for an access of this
 * kind: *lo, *hi its bounds; returns the index of the watched object it
 * is (objects that do not want this kind of access do not count), or -1
 * for bytes between objects. n objects in w; objects may overlap the page
 * partly. */
int mt_watch_piece_of(const struct mt_watch_obj *w, int n, uint64_t pstart, uint64_t pend,
		      uint64_t addr, int is_write, uint64_t *lo, uint64_t *hi);

#endif
