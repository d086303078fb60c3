// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * gone.c - traced regions that went away while a fault on them was on its
 * way to our handler.
 *
 * A thread touches a traced page (PROT_NONE under us) and faults; before
 * its handler takes the order lock, another thread replaces or unmaps the
 * mapping (mmap MAP_FIXED, munmap, mremap: the region is cut under the
 * lock). The handler then finds no region. Without us the access would
 * have happened before the change and succeeded, so the fault is not the
 * program's: the handler returns and the instruction runs again, natively
 * on what is there now (or faults for real: MAPERR, or a traced page).
 *
 * Every cut bumps a generation counter and notes the range in a small ring
 * of recent removals. A fault that finds no region at an address the ring
 * holds is retried once per generation: when the same thread faults again
 * at the same address and the table has not changed since its last lookup,
 * the lookup was consistent and the fault is the program's own. Addresses
 * never ours are passed on at once. All under the order lock.
 */
#include "internal.h"

#define GONE_MAX 16

static uint32_t gen;
static struct {
	uintptr_t start, end;
} gone[GONE_MAX];
static unsigned ngone;

MT_HIDDEN void mt_region_gone(uintptr_t a, uintptr_t b)
{
	gen++;
	gone[ngone % GONE_MAX].start = a;
	gone[ngone % GONE_MAX].end = b;
	ngone++;
}

static int was_ours(uintptr_t addr)
{
	for (unsigned i = 0; i < GONE_MAX && i < ngone; i++)
		if (addr >= gone[i].start && addr < gone[i].end)
			return 1;
	return 0;
}

MT_HIDDEN int mt_region_retry(struct mt_tls *t, uintptr_t addr)
{
	if (!was_ours(addr) || (t->retry_addr == addr && t->retry_gen == gen))
		return 0;
	t->retry_addr = addr;
	t->retry_gen = gen;
	return 1;
}
