/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * rt_retry.h - whether a fault that found no traced region is run again
 * (runtime/preload/gone.c, runtime/ptrace/pt_gone.c). Plain arithmetic on
 * the thread's own state: async-signal-safe; the caller holds whatever
 * lock orders the region table (the generation is read under it).
 *
 * A fault finding no region may have raced a cut of its region (munmap,
 * mmap MAP_FIXED, mremap, the recording abandoned): it is run again once
 * per generation of the table. The same thread faulting again at the same
 * address with the generation unchanged since its last retry looked the
 * table up consistently: the fault is the program's. And at most max
 * retries in a row at one address whatever the generation does, so that a
 * thread really faulting at X while others churn mappings gets its signal.
 * A fault that does find a region ends the row.
 *
 * max: the bound only has to end a livelock, never to cut a real race
 * short. A thread reading a page that another replaces over and over can
 * meet its region gone at several faults in a row: on a loaded machine 3
 * and more under preload, more under the ptrace tracer, which sees the
 * threads' stops in its own order (tests/e2e/test-record-trust.sh
 * "vanish"). Both allow 64: a real fault at X under such churn reaches
 * the program after 64 extra faults.
 */
#ifndef MMIOTAP_RT_RETRY_H
#define MMIOTAP_RT_RETRY_H

#include <stdint.h>

#define MT_RETRY_MAX 64
#define PT_RETRY_MAX 64

struct mt_retry {
	uint64_t addr;   /* address of the row of retries, if n */
	uint32_t gen;    /* generation at its last retry */
	unsigned n;      /* retries in a row at addr (0: no row) */
};

/* 1: run the faulting instruction again; 0: the fault is the program's. */
static inline int mt_retry_fault(struct mt_retry *s, uint64_t addr, uint32_t gen,
				 unsigned max)
{
	if (s->n && s->addr == addr) {
		if (s->gen == gen || s->n >= max)
			return 0;
	} else {
		s->addr = addr;
		s->n = 0;
	}
	s->gen = gen;
	s->n++;
	return 1;
}

/* The thread's fault found a region: it got somewhere, a new row starts. */
static inline void mt_retry_progress(struct mt_retry *s)
{
	s->n = 0;
}

#endif
