// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pt-churn.c - STATIC target for attach/detach cycles: threads come and go
 * all the time while they hammer a traced mapping.
 *
 *   pt-churn FILE NTHREADS READY_FILE STOP_FILE
 *
 * Maps FILE (created, MAP_SHARED) and runs rounds until STOP_FILE exists:
 * each round creates NTHREADS threads; thread i writes k (k = 1..ITERS) to
 * its 8-byte slot i, reads it back and checks it, then exits; the round
 * joins them and checks their sums. So a tracer that attaches or detaches
 * at any moment meets threads being created, faulting, and exiting. Any
 * wrong value or failed pthread_create is counted; the output depends only
 * on NTHREADS (identical traced, attached, detached or not):
 *   "pt-churn: N threads per round: all values correct"
 * Exit 1 on any error. Creates READY_FILE after the first round.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ITERS 200

static volatile uint64_t *dev;

static void *worker(void *arg)
{
	long i = (long)arg;
	uint64_t sum = 0, bad = 0;
	for (uint64_t k = 1; k <= ITERS; k++) {
		dev[i * 8] = k;
		uint64_t v = dev[i * 8];
		bad += v != k;
		sum += v;
	}
	return (void *)(uintptr_t)(bad ? ~0ull : sum);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: pt-churn FILE NTHREADS READY_FILE STOP_FILE\n");
		return 2;
	}
	int n = atoi(argv[2]);
	if (n < 1 || n > 64)
		return 2;
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 4096) < 0)
		return 2;
	dev = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (dev == MAP_FAILED)
		return 2;
	const uint64_t want = (uint64_t)ITERS * (ITERS + 1) / 2;
	long rounds = 0, create_fail = 0, wrong = 0;
	for (;;) {
		pthread_t th[64];
		int ok[64];
		for (long i = 0; i < n; i++) {
			int rc = pthread_create(&th[i], NULL, worker, (void *)i);
			ok[i] = rc == 0;
			if (rc) {
				fprintf(stderr, "pt-churn: pthread_create: %s\n", strerror(rc));
				create_fail++;
			}
		}
		for (long i = 0; i < n; i++) {
			void *r;
			if (!ok[i])
				continue;
			pthread_join(th[i], &r);
			if ((uint64_t)(uintptr_t)r != want)
				wrong++;
		}
		if (++rounds == 1)
			close(open(argv[3], O_WRONLY | O_CREAT, 0600));
		if (access(argv[4], F_OK) == 0)
			break;
	}
	munmap((void *)dev, 4096);
	close(fd);
	unlink(argv[1]);
	if (create_fail || wrong) {
		printf("pt-churn: %d threads per round: %ld failed creations, %ld wrong sums in %ld rounds\n",
		       n, create_fail, wrong, rounds);
		return 1;
	}
	printf("pt-churn: %d threads per round: all values correct\n", n);
	return 0;
}
