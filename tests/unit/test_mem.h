/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * test_mem.h - what the core's unit tests share (one translation unit each
 * includes it): CHECK(), and a flat 4 KiB memory at MEMBASE behind memory
 * callbacks rd()/wr() that log every access (log_, nlog) and fail (-EFAULT)
 * outside the memory, at access number fail_at, or at address fail_addr.
 */
#ifndef MMIOTAP_TEST_MEM_H
#define MMIOTAP_TEST_MEM_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int failures;
#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			failures++;                                        \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);        \
			printf(__VA_ARGS__);                               \
			printf("\n");                                      \
		}                                                          \
	} while (0)

#define MEMBASE 0x100000ull
static uint8_t mem[4096];
struct acc { char dir; uint64_t addr; unsigned size, flags; };
static struct acc log_[64];
static unsigned nlog;
static uint64_t fail_at = ~0ull;   /* access number that fails */
static uint64_t fail_addr = ~0ull; /* accesses to this address fail */

/* Log the access; -14 (EFAULT) if it must fail. */
static int mem_log(char dir, uint64_t a, unsigned n, unsigned fl)
{
	if (nlog == fail_at || a == fail_addr || a < MEMBASE || a + n > MEMBASE + sizeof(mem))
		return -14;
	if (nlog < 64)
		log_[nlog] = (struct acc){ dir, a, n, fl };
	nlog++;
	return 0;
}

static int rd(void *o, uint64_t a, void *b, unsigned n, unsigned fl)
{
	(void)o;
	if (mem_log('R', a, n, fl))
		return -14;
	memcpy(b, mem + (a - MEMBASE), n);
	return 0;
}

static int wr(void *o, uint64_t a, const void *b, unsigned n, unsigned fl)
{
	(void)o;
	if (mem_log('W', a, n, fl))
		return -14;
	memcpy(mem + (a - MEMBASE), b, n);
	return 0;
}

#endif
