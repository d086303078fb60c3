// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pt-threads.c - STATIC multi-threaded target for attach/detach tests.
 *
 *   pt-threads FILE NTHREADS ITERS [READY_FILE]
 *
 * Maps FILE (created, MAP_SHARED) and runs NTHREADS threads; thread i
 * writes k (k = 1..ITERS) to its 8-byte slot i, reads it back and checks it,
 * with a short sleep every iteration, so the run lasts long enough to be
 * attached to and detached from in the middle. Threads are started
 * staggered, so some start while a tracer is attached. Prints a result that
 * depends only on the arguments (identical traced, attached, detached or
 * not) and exits 1 on any wrong value. Creates READY_FILE once running.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t *dev;
static long iters;
static int errors[64];
static uint64_t sums[64];

static void *worker(void *arg)
{
	long i = (long)arg;
	struct timespec ts = { 0, 200 * 1000 };
	for (long k = 1; k <= iters; k++) {
		dev[i * 8] = (uint64_t)k;          /* one cache line per thread */
		uint64_t v = dev[i * 8];
		if (v != (uint64_t)k)
			errors[i]++;
		sums[i] += v;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: pt-threads FILE NTHREADS ITERS [READY_FILE]\n");
		return 2;
	}
	int n = atoi(argv[2]);
	iters = atol(argv[3]);
	if (n < 1 || n > 64)
		return 2;
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 4096) < 0)
		return 2;
	dev = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (dev == MAP_FAILED)
		return 2;
	if (argc > 4)
		close(open(argv[4], O_WRONLY | O_CREAT, 0600));
	pthread_t th[64];
	for (long i = 0; i < n; i++) {
		int rc = pthread_create(&th[i], NULL, worker, (void *)i);
		if (rc) {
			fprintf(stderr, "pt-threads: pthread_create: %s\n", strerror(rc));
			return 1;
		}
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	int bad = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		printf("thread %d sum %llu errors %d\n", i, (unsigned long long)sums[i], errors[i]);
		bad += errors[i];
	}
	munmap((void *)dev, 4096);
	close(fd);
	unlink(argv[1]);
	return bad ? 1 : 0;
}
