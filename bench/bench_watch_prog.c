// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * bench_watch_prog.c - the program bench_watch.sh runs: N stores to
 * `target` (argv[1] = "target") or to `other`, a variable on the same page
 * (argv[1] = "other"), then prints "NS <total ns of the loop>". The loop is
 * the same in every mode; only what watches it changes. argv[1] = "syscall":
 * N getppid() system calls instead (under `mmiotap watch target` every
 * system call traps: runtime/preload/sud.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

volatile long target __attribute__((aligned(64)));
volatile long other __attribute__((aligned(64)));

static unsigned long long now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

__attribute__((noinline)) void ready(void)
{
	__asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	volatile long *p = strcmp(argv[1], "target") ? &other : &target;
	long n = atol(argv[2]);
	int sys = !strcmp(argv[1], "syscall");
	ready();
	unsigned long long t0 = now();
	if (sys)
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
	else
		for (long i = 0; i < n; i++)
			*p = i;
	unsigned long long t1 = now();
	printf("NS %llu\n", t1 - t0);
	return 0;
}
