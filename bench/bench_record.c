// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * bench_record.c - cost of one traced access in user space, against its
 * baselines, in one run on this machine:
 *
 *   untraced     a plain load from the same memfd mapping
 *   floor        SIGSEGV on a PROT_NONE page, handler skips the load
 *                (the bare fault-signal-return round trip)
 *   single-step  mmiotrace's way: unprotect in the SIGSEGV handler, TF,
 *                re-protect in the SIGTRAP handler
 *   traced       the real thing: this program re-executed under
 *                libmmiotap-preload.so with a recording ring that this
 *                process drains (decode cache hit, emulation on the alias,
 *                one record per access, the order lock)
 *   threads      traced throughput with 1, 2 and 4 threads
 *
 * Prints ns per access and the ratios the design targets (traced within
 * 1.15x of the floor, single-step at least 4x slower than traced). Never
 * asserts on times. Options: -n ITER (traced/floor iterations).
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "mmiotap/rt_env.h"
#include "mmiotap/rt_ring.h"

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* one 2-byte load instruction: 8b 07  mov (%rdi),%eax */
static inline uint32_t load(volatile void *p)
{
	uint32_t v;
	__asm__ volatile("movl (%1), %0" : "=a"(v) : "D"(p) : "memory");
	return v;
}

static double per_access(volatile uint8_t *p, long n)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++)
		load(p);
	return (double)(now_ns() - t0) / (double)n;
}

static uint8_t *page;

static void floor_handler(int sig, siginfo_t *si, void *ucv)
{
	(void)sig; (void)si;
	ucontext_t *uc = ucv;
	uc->uc_mcontext.gregs[REG_RAX] = 0;
	uc->uc_mcontext.gregs[REG_RIP] += 2;
}

static void step_segv(int sig, siginfo_t *si, void *ucv)
{
	(void)sig; (void)si;
	ucontext_t *uc = ucv;
	mprotect(page, 4096, PROT_READ | PROT_WRITE);
	uc->uc_mcontext.gregs[REG_EFL] |= 0x100;
}

static void step_trap(int sig, siginfo_t *si, void *ucv)
{
	(void)sig; (void)si;
	ucontext_t *uc = ucv;
	mprotect(page, 4096, PROT_NONE);
	uc->uc_mcontext.gregs[REG_EFL] &= ~0x100LL;
}

static void set_handler(int sig, void (*h)(int, siginfo_t *, void *))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = h;
	sa.sa_flags = SA_SIGINFO;
	sigaction(sig, &sa, NULL);
}

static int map_dev(void)
{
	int fd = memfd_create("mt-bench", 0);
	if (fd < 0 || ftruncate(fd, 4096) < 0)
		return -1;
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return page == MAP_FAILED ? -1 : fd;
}

/* ---- traced side (runs under the preload library) ------------------------- */

static long thr_n;
static void *thr_main(void *a)
{
	(void)a;
	for (long i = 0; i < thr_n; i++)
		load(page + 64);
	return NULL;
}

static int traced_child(long n)
{
	if (map_dev() < 0)
		return 99;
	load(page); /* warm: decode cache, ring */
	double traced = per_access(page, n);
	printf("traced %.1f\n", traced);
	for (int t = 1; t <= 4; t *= 2) {
		pthread_t th[4];
		thr_n = n / 2;
		uint64_t t0 = now_ns();
		for (int i = 0; i < t; i++)
			pthread_create(&th[i], NULL, thr_main, NULL);
		for (int i = 0; i < t; i++)
			pthread_join(th[i], NULL);
		double secs = (double)(now_ns() - t0) / 1e9;
		printf("threads %d %.0f\n", t, (double)t * (double)thr_n / secs);
	}
	return 0;
}

static char *find_lib(void)
{
	const char *e = getenv(MT_ENV_LIB);
	if (e && *e)
		return realpath(e, NULL);
	char exe[PATH_MAX];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (k <= 0)
		return NULL;
	exe[k] = 0;
	char *s = strrchr(exe, '/');
	if (!s)
		return NULL;
	*s = 0;
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/../libmmiotap-preload.so", exe);
	return realpath(p, NULL);
}

/* Run ourselves traced; drain the ring (discarding) meanwhile. */
static int run_traced(long n, double *traced, double thr[3])
{
	char *lib = find_lib();
	if (!lib) {
		fprintf(stderr, "bench_record: libmmiotap-preload.so not found (set MMIOTAP_LIB)\n");
		return -1;
	}
	char ring_path[64];
	snprintf(ring_path, sizeof(ring_path), "/dev/shm/mt-bench-%d.ring", (int)getpid());
	struct mt_ring *r;
	int rc = mt_ring_create(ring_path, 16u << 20, &r);
	if (rc) {
		fprintf(stderr, "bench_record: ring: %s\n", strerror(-rc));
		return -1;
	}
	int pfd[2];
	if (pipe(pfd) < 0)
		return -1;
	pid_t p = fork();
	if (p == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		setenv(MT_ENV_RING, ring_path, 1);
		setenv(MT_ENV_TRACE_FILES, "/memfd:mt-bench*", 1);
		setenv(MT_ENV_LIB, lib, 1);
		setenv("LD_PRELOAD", lib, 1);
		char nbuf[32];
		snprintf(nbuf, sizeof(nbuf), "%ld", n);
		execl("/proc/self/exe", "bench_record", "--traced-child", nbuf, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	static uint8_t buf[1 << 20];
	struct mt_ring_reader rd = { .r = r };
	int status;
	uint64_t bytes = 0;
	for (;;) {
		bytes += mt_ring_get(&rd, buf, sizeof(buf), 20);
		if (waitpid(p, &status, WNOHANG) == p)
			break;
	}
	while ((rc = (int)mt_ring_get(&rd, buf, sizeof(buf), 0)) > 0)
		bytes += (uint64_t)rc;
	unlink(ring_path);
	FILE *f = fdopen(pfd[0], "r");
	char line[128];
	int t;
	double v;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "traced %lf", &v) == 1)
			*traced = v;
		else if (sscanf(line, "threads %d %lf", &t, &v) == 2)
			thr[t == 1 ? 0 : t == 2 ? 1 : 2] = v;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bench_record: traced child failed\n");
		return -1;
	}
	printf("  ring: %.1f MB of events drained\n", (double)bytes / 1e6);
	return 0;
}

int main(int argc, char **argv)
{
	long n = 200000;
	if (argc > 2 && !strcmp(argv[1], "--traced-child"))
		return traced_child(atol(argv[2]));
	if (argc > 2 && !strcmp(argv[1], "-n"))
		n = atol(argv[2]);
	if (map_dev() < 0) {
		perror("bench_record: memfd");
		return 1;
	}
	double untraced = per_access(page, n * 20);

	mprotect(page, 4096, PROT_NONE);
	set_handler(SIGSEGV, floor_handler);
	load(page);
	double floor_ns = per_access(page, n);

	set_handler(SIGSEGV, step_segv);
	set_handler(SIGTRAP, step_trap);
	load(page);
	double step = per_access(page, n / 4);
	signal(SIGSEGV, SIG_DFL);
	signal(SIGTRAP, SIG_DFL);

	double traced = 0, thr[3] = { 0, 0, 0 };
	printf("bench_record: %ld accesses per measurement, one 4-byte load each\n", n);
	if (run_traced(n, &traced, thr) < 0)
		return 1;
	printf("  untraced access           %9.1f ns\n", untraced);
	printf("  bare fault floor          %9.1f ns\n", floor_ns);
	printf("  single-step (mmiotrace)   %9.1f ns\n", step);
	printf("  traced (mmiotap record)   %9.1f ns\n", traced);
	printf("  traced / floor            %9.2fx   (target <= 1.15x)\n", traced / floor_ns);
	printf("  single-step / traced      %9.2fx   (target >= 4x)\n", step / traced);
	printf("  traced throughput: 1 thread %.0f/s, 2 threads %.0f/s, 4 threads %.0f/s\n",
	       thr[0], thr[1], thr[2]);
	return 0;
}
