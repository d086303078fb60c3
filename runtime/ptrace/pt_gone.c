// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pt_gone.c - traced regions that went away while a fault on them waited
 * for the tracer.
 *
 * Thread A touches a traced page (PROT_NONE in the tracee) and stops with
 * SIGSEGV; thread B's mmap(MAP_FIXED)/munmap/mremap of that range is seen
 * first, and the region is cut. A's stop then finds no region. Without us
 * A's access would have happened before B's call and succeeded: the fault
 * is not the program's. A is resumed without the signal and runs the
 * instruction again, on what is there now (a real fault comes back as one).
 *
 * Each cut bumps the address space's generation. A SIGSEGV (SEGV_ACCERR)
 * with no region is retried once per generation per task and address, at
 * most PT_RETRY_MAX times in a row (rt_retry.h): the same task faulting
 * again at the same address with the table unchanged since is the
 * program's own. No list of cut ranges is kept: a bounded one forgot
 * ranges when one call cut many regions, and a fault racing it was then
 * delivered as the program's. An address never traced costs one more stop.
 */
#include "pt_int.h"

void pt_region_gone(struct pt_mm *mm)
{
	mm->gen++;
}

int pt_region_retry(struct pt_task *t, uint64_t addr)
{
	return t->mm && mt_retry_fault(&t->retry, addr, t->mm->gen, PT_RETRY_MAX);
}
