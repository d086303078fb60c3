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
 * Each cut bumps the address space's generation and notes the range in a
 * small ring. A SIGSEGV with no region, at an address the ring holds, is
 * retried once per generation per task: the same task faulting again at
 * the same address with the table unchanged since is the program's own.
 * Addresses never traced are the program's at once.
 */
#include "pt_int.h"

void pt_region_gone(struct pt_mm *mm, uint64_t a, uint64_t b)
{
	mm->gen++;
	mm->gone[mm->ngone % PT_GONE_MAX].start = a;
	mm->gone[mm->ngone % PT_GONE_MAX].end = b;
	mm->ngone++;
}

static int was_ours(const struct pt_mm *mm, uint64_t addr)
{
	for (unsigned i = 0; i < PT_GONE_MAX && i < mm->ngone; i++)
		if (addr >= mm->gone[i].start && addr < mm->gone[i].end)
			return 1;
	return 0;
}

int pt_region_retry(struct pt_task *t, uint64_t addr)
{
	struct pt_mm *mm = t->mm;
	if (!mm || !was_ours(mm, addr) || (t->retry_addr == addr && t->retry_gen == mm->gen))
		return 0;
	t->retry_addr = addr;
	t->retry_gen = mm->gen;
	return 1;
}
