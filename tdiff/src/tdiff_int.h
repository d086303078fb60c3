/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* tdiff_int.h - libmttdiff's insides shared between its files. */
#ifndef MT_TDIFF_INT_H
#define MT_TDIFF_INT_H

#include <stdint.h>
#include "mmiotap/tdiff.h"

/* memo.c: two small numbers per (map id, address, width) */
int tdiff_memo_new(struct mt_tdiff_namememo **m);
void tdiff_memo_free(struct mt_tdiff_namememo *m);
void tdiff_memo_clear(struct mt_tdiff_namememo *m);
/* 1 and v filled if known, else 0 */
int tdiff_memo_get(const struct mt_tdiff_namememo *m, uint16_t map, uint64_t addr, uint8_t width,
		   uint8_t v[2]);
int tdiff_memo_put(struct mt_tdiff_namememo *m, uint16_t map, uint64_t addr, uint8_t width,
		   const uint8_t v[2]);

/* async.c */
int tdiff_tasks_has(struct mt_tdiff_tasks *t, uint32_t pid, uint32_t tid);
/* the record's flags say interrupt context (hardirq, softirq, NMI) */
int tdiff_irq_context(uint16_t flags);

#endif
