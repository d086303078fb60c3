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
 * Every cut bumps a generation counter. Any fault (SEGV_ACCERR) that
 * finds no region is run again, once per generation per thread and
 * address, at most MT_RETRY_MAX times in a row (rt_retry.h): the same
 * thread faulting again at the same address with the table unchanged
 * since its last lookup looked it up consistently, and the fault is the
 * program's own. No list of cut ranges is kept: a bounded one forgot
 * ranges when one call cut many regions (mt_abandon() cuts them all), and
 * a fault racing it was then passed on as the program's. A fault at an
 * address never traced costs one extra fault. All under the order lock.
 */
#include "internal.h"

static uint32_t gen;

MT_HIDDEN void mt_region_gone(void)
{
	gen++;
}

MT_HIDDEN int mt_region_retry(struct mt_tls *t, uintptr_t addr)
{
	return mt_retry_fault(&t->retry, addr, gen, MT_RETRY_MAX);
}
