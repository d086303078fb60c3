// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_threads.c - N threads each make M traced accesses to one shared
 * counter with `lock xadd` (one read and one write per instruction) on a
 * memfd "mt-e2e" page. In process: every value returned is unique and the
 * final counter is exact. The harness then checks the trace: exactly
 * N*M records, the reads return 0, 1, 2, ... in file order and each write
 * (value read + 1) follows its read from the same thread: any lost,
 * duplicated or reordered record breaks the sequence.
 * Usage: e2e_threads [THREADS [ACCESSES_PER_THREAD]]
 */
#define _GNU_SOURCE 1
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile uint64_t *ctr;
static long per_thread;
static uint8_t *seen;

static void *worker(void *arg)
{
	(void)arg;
	for (long i = 0; i < per_thread / 2; i++) {
		uint64_t v = 1;
		__asm__ volatile("lock xaddq %0, (%1)" : "+r"(v) : "r"(ctr) : "memory", "cc");
		seen[v] = 1; /* unique v: no race on the byte */
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 8;
	per_thread = argc > 2 ? atol(argv[2]) : 100000;
	int fd = memfd_create("mt-e2e", 0);
	if (fd < 0 || ftruncate(fd, 4096) < 0)
		return perror("memfd"), 99;
	ctr = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ctr == MAP_FAILED)
		return perror("mmap"), 99;
	long total = n * (per_thread / 2);
	seen = calloc((size_t)total + 1, 1);
	pthread_t t[64];
	for (int i = 0; i < n && i < 64; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < n && i < 64; i++)
		pthread_join(t[i], NULL);
	uint64_t final;
	if (pread(fd, &final, 8, 0) != 8)
		return perror("pread"), 99;
	long missing = 0;
	for (long i = 0; i < total; i++)
		missing += !seen[i];
	printf("threads %d accesses %ld final %llu missing %ld\n", n, total * 2,
	       (unsigned long long)final, missing);
	return final == (uint64_t)total && !missing ? 0 : 1;
}
