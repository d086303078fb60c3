// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * rt_retry.c - when a fault that found no traced region runs again
 * (mmiotap/rt_retry.h, used by runtime/preload/gone.c and
 * runtime/ptrace/pt_gone.c). The generation stands for the region table:
 * each cut bumps it, so one abandon of N regions bumps it N times.
 */
#include <stdio.h>

#include "mmiotap/rt_retry.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

int main(void)
{
	struct mt_retry s = { 0 };
	uint32_t gen = 0;

	/* A fault on region #0 of 40 races an abandon that cuts them all
	 * (40 generations, far more than any ring of recent cuts held): it
	 * runs again; faulting again with the table unchanged, it is the
	 * program's (the page is not accessible: a real fault). */
	gen += 40;
	CHECK(mt_retry_fault(&s, 0x1000, gen, MT_RETRY_MAX) == 1);
	CHECK(mt_retry_fault(&s, 0x1000, gen, MT_RETRY_MAX) == 0);
	CHECK(mt_retry_fault(&s, 0x1000, gen, MT_RETRY_MAX) == 0);

	/* An address never traced: one retry, then the program's. */
	CHECK(mt_retry_fault(&s, 0x5000, gen, MT_RETRY_MAX) == 1);
	CHECK(mt_retry_fault(&s, 0x5000, gen, MT_RETRY_MAX) == 0);

	/* A thread really faulting at X while another churns mmap/munmap
	 * (the generation changes between every two of its faults): at most
	 * MT_RETRY_MAX retries, then its signal, and it stays its. */
	int retried = 0;
	for (int i = 0; i < 100; i++) {
		gen++;
		if (mt_retry_fault(&s, 0x9000, gen, MT_RETRY_MAX))
			retried++;
		else
			break;
	}
	CHECK(retried == MT_RETRY_MAX);
	gen++;
	CHECK(mt_retry_fault(&s, 0x9000, gen, MT_RETRY_MAX) == 0);

	/* Another address starts a new row. */
	CHECK(mt_retry_fault(&s, 0xa000, gen, MT_RETRY_MAX) == 1);

	/* A fault that found a region (progress) ends the row: a later race
	 * at the same address is retried again. */
	s = (struct mt_retry){ 0 };
	for (int i = 0; i < MT_RETRY_MAX; i++)
		CHECK(mt_retry_fault(&s, 0x2000, ++gen, MT_RETRY_MAX) == 1);
	CHECK(mt_retry_fault(&s, 0x2000, ++gen, MT_RETRY_MAX) == 0);
	mt_retry_progress(&s);
	CHECK(mt_retry_fault(&s, 0x2000, ++gen, MT_RETRY_MAX) == 1);
	CHECK(mt_retry_fault(&s, 0x2000, gen, MT_RETRY_MAX) == 0);

	/* Generation wrap-around is only inequality. */
	s = (struct mt_retry){ 0 };
	gen = UINT32_MAX;
	CHECK(mt_retry_fault(&s, 0x3000, gen, MT_RETRY_MAX) == 1);
	CHECK(mt_retry_fault(&s, 0x3000, gen + 1, MT_RETRY_MAX) == 1);
	CHECK(mt_retry_fault(&s, 0x3000, gen + 1, MT_RETRY_MAX) == 0);

	if (failures) {
		fprintf(stderr, "rt_retry: %d failure(s)\n", failures);
		return 1;
	}
	printf("rt_retry: ok\n");
	return 0;
}
