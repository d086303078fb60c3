// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_divide.c - a division by a value read from the device raises #DE.
 * Under either backend the program must get the SIGFPE the CPU raises
 * (si_code FPE_INTDIV, si_addr = the DIV instruction, context at the
 * instruction) and the device must be read exactly once per execution.
 *
 *  1. divl by a device zero, own SA_SIGINFO handler leaves with siglongjmp;
 *  2. the handler writes a non-zero divisor to the device and returns: the
 *     DIV runs again (a second read, now of the new value) and completes;
 *  3. idivq overflow (INT64_MIN / -1, the divisor read from the device);
 *  4. a child that blocks SIGFPE dies of SIGFPE (as with the kernel's
 *     forced signal) after one read.
 * Prints the expected accesses ("R|W WIDTH OFFSET VALUE") in order; exits 1
 * if a check fails. The device is a memfd named mt-e2e.
 */
#define _GNU_SOURCE 1
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile uint32_t *dev;
static sigjmp_buf jb;
static volatile sig_atomic_t fpe_seen, fpe_code_ok, fpe_addr_ok, fix_divisor;
static void *volatile want_addr;

extern char mt_div32_at[], mt_idiv64_at[];

__attribute__((noinline)) static uint32_t div32(volatile uint32_t *p, uint32_t num)
{
	uint32_t lo = num, hi = 0;
	__asm__ volatile(".globl mt_div32_at\nmt_div32_at:\n\tdivl (%2)"
			 : "+a"(lo), "+d"(hi) : "r"(p) : "memory", "cc");
	return lo;
}

__attribute__((noinline)) static int64_t idiv64(volatile uint32_t *p, int64_t num)
{
	int64_t lo = num, hi = num < 0 ? -1 : 0;
	__asm__ volatile(".globl mt_idiv64_at\nmt_idiv64_at:\n\tidivq (%2)"
			 : "+a"(lo), "+d"(hi) : "r"(p) : "memory", "cc");
	return lo;
}

static void on_fpe(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fpe_seen++;
	fpe_code_ok += si->si_code == FPE_INTDIV;
	fpe_addr_ok += si->si_addr == want_addr;
	if (fix_divisor) {
		fix_divisor = 0;
		dev[0] = 5; /* traced too; then return: the DIV runs again */
		return;
	}
	siglongjmp(jb, 1);
}

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); return 1; } } while (0)

int main(void)
{
	int fd = memfd_create("mt-e2e-div", 0);
	if (fd < 0 || ftruncate(fd, 4096) < 0)
		return perror("memfd"), 99;
	dev = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (dev == MAP_FAILED)
		return perror("mmap"), 99;
	setvbuf(stdout, NULL, _IONBF, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fpe;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGFPE, &sa, NULL);

	/* 1. divide by a device zero, leave the handler with siglongjmp */
	dev[0] = 0;
	printf("W 4 0x0 0x0\n");
	want_addr = mt_div32_at;
	volatile uint32_t q = 1;
	if (!sigsetjmp(jb, 1))
		q = div32(dev, 100);
	printf("R 4 0x0 0x0\n");
	CHECK(fpe_seen == 1 && fpe_code_ok == 1 && fpe_addr_ok == 1 && q == 1,
	      "1: SIGFPE seen %d, FPE_INTDIV %d, si_addr right %d, q %u", (int)fpe_seen,
	      (int)fpe_code_ok, (int)fpe_addr_ok, q);

	/* 2. the handler fixes the divisor and returns: DIV executes again */
	fix_divisor = 1;
	if (!sigsetjmp(jb, 1))
		q = div32(dev, 100);
	printf("R 4 0x0 0x0\nW 4 0x0 0x5\nR 4 0x0 0x5\n");
	CHECK(fpe_seen == 2 && fpe_code_ok == 2 && fpe_addr_ok == 2 && q == 20,
	      "2: SIGFPE seen %d, FPE_INTDIV %d, si_addr right %d, q %u (want 20)",
	      (int)fpe_seen, (int)fpe_code_ok, (int)fpe_addr_ok, q);

	/* 3. idivq overflow: INT64_MIN / -1 */
	dev[2] = 0xffffffff;
	dev[3] = 0xffffffff;
	printf("W 4 0x8 0xffffffff\nW 4 0xc 0xffffffff\n");
	want_addr = mt_idiv64_at;
	volatile int64_t r = 7;
	if (!sigsetjmp(jb, 1))
		r = idiv64(dev + 2, INT64_MIN);
	printf("R 8 0x8 0xffffffffffffffff\n");
	CHECK(fpe_seen == 3 && fpe_code_ok == 3 && fpe_addr_ok == 3 && r == 7,
	      "3: SIGFPE seen %d, FPE_INTDIV %d, si_addr right %d", (int)fpe_seen,
	      (int)fpe_code_ok, (int)fpe_addr_ok);

	/* 4. SIGFPE blocked: the forced signal kills */
	dev[0] = 0;
	printf("W 4 0x0 0x0\n");
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, SIGFPE);
		sigprocmask(SIG_BLOCK, &s, NULL);
		div32(dev, 100);
		_exit(3);
	}
	int st = 0;
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid, "4: fork/wait failed");
	printf("R 4 0x0 0x0\n");
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGFPE, "4: child status %#x, want killed by SIGFPE",
	      st);
	return 0;
}
