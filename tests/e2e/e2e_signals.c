// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_signals.c - the program's own signal handling under `mmiotap record`.
 *
 *  1. its SIGSEGV handler (installed with sigaction, on a sigaltstack, or
 *     with signal() when argv[1] is "signal") runs for a fault on an
 *     untraced PROT_NONE page and recovers with siglongjmp;
 *  2. a program that blocks every signal (sigprocmask) can still make
 *     traced accesses;
 *  3. an interval timer's SIGALRM handler makes traced accesses of its own
 *     while the main loop makes traced accesses (signals arriving during
 *     emulation): every access is recorded once;
 *  4. its SIGTRAP handler runs for int3.
 * Prints the expected accesses ("R|W WIDTH OFFSET VALUE"); the harness
 * compares them as sorted lists (the timer interleaves nondeterministically).
 */
#define _GNU_SOURCE 1
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

static volatile uint32_t *dev;
static sigjmp_buf jb;
static volatile sig_atomic_t segv_seen, trap_seen, on_alt;
static volatile uint32_t alarms;
static char *alt_lo, *alt_hi;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)uc; (void)si;
	char probe;
	on_alt = &probe >= alt_lo && &probe < alt_hi;
	segv_seen++;
	siglongjmp(jb, 1);
}

static void on_segv_plain(int sig)
{
	(void)sig;
	segv_seen++;
	siglongjmp(jb, 1);
}

static void on_trap(int sig)
{
	(void)sig;
	trap_seen++;
}

static void on_alarm(int sig)
{
	(void)sig;
	uint32_t n = alarms + 1;
	dev[512 + (n % 64)] = n; /* traced, from the handler */
	alarms = n;
}

int main(int argc, char **argv)
{
	int use_signal = argc > 1 && !strcmp(argv[1], "signal");
	int fd = memfd_create("mt-e2e", 0);
	if (fd < 0 || ftruncate(fd, 4096) < 0)
		return perror("memfd"), 99;
	dev = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *guard = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dev == MAP_FAILED || guard == MAP_FAILED)
		return perror("mmap"), 99;

	/* 1. own SIGSEGV handler */
	stack_t ss = { .ss_sp = malloc(65536), .ss_size = 65536 };
	alt_lo = ss.ss_sp;
	alt_hi = alt_lo + 65536;
	sigaltstack(&ss, NULL);
	if (use_signal) {
		signal(SIGSEGV, on_segv_plain);
	} else {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_segv;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
		sigaction(SIGSEGV, &sa, NULL);
		struct sigaction back;
		sigaction(SIGSEGV, NULL, &back);
		if (back.sa_sigaction != on_segv) {
			fprintf(stderr, "sigaction did not return the program's own handler\n");
			return 1;
		}
	}
	dev[0] = 1;
	printf("W 4 0x0 0x1\n");
	for (int i = 0; i < 3; i++) {
		if (!sigsetjmp(jb, 1))
			*(volatile char *)guard = 1; /* not traced: the program's fault */
		dev[1] = (uint32_t)i;            /* traced again afterwards */
		printf("W 4 0x4 0x%x\n", i);
	}
	if (segv_seen != 3) {
		fprintf(stderr, "own SIGSEGV handler ran %d times, want 3\n", (int)segv_seen);
		return 1;
	}
	if (!use_signal && !on_alt) {
		fprintf(stderr, "own SIGSEGV handler did not run on the sigaltstack\n");
		return 1;
	}

	/* 2. all signals blocked */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	dev[2] = 0x22;
	printf("W 4 0x8 0x22\n");
	sigprocmask(SIG_SETMASK, &old, NULL);

	/* 3. timer signals during emulation */
	signal(SIGALRM, on_alarm);
	struct itimerval it = { { 0, 500 }, { 0, 500 } };
	setitimer(ITIMER_REAL, &it, NULL);
	uint32_t sum = 0;
	for (int i = 0; i < 20000 && alarms < 50; i++) {
		dev[3] = (uint32_t)i;
		sum += dev[3];
		printf("W 4 0xc 0x%x\nR 4 0xc 0x%x\n", i, i);
	}
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_IGN);
	for (uint32_t n = 1; n <= alarms; n++)
		printf("W 4 0x%x 0x%x\n", (unsigned)(4 * (512 + (n % 64))), n);
	if (alarms == 0) {
		fprintf(stderr, "no timer signal arrived\n");
		return 1;
	}

	/* 4. own SIGTRAP handler */
	signal(SIGTRAP, on_trap);
	__asm__ volatile("int3");
	if (trap_seen != 1) {
		fprintf(stderr, "own SIGTRAP handler did not run\n");
		return 1;
	}
	fflush(stdout);
	fprintf(stderr, "e2e_signals: %u timer signals, sum %u\n", (unsigned)alarms, sum);
	return 0;
}
