// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * bench_ptrace.c - per-access cost of the ptrace tracer, against, in the
 * same run:
 *   untraced        the same load on an accessible mapping
 *   fault floor     in-process SIGSEGV + handler skipping the instruction
 *   ptrace floor    a minimal ptrace tracer: SIGSEGV stop, GETREGS,
 *                   SETREGS (rip += 2), PTRACE_CONT - no emulation
 *   in-process      `mmiotap record`'s LD_PRELOAD runtime (if built:
 *                   BUILD/libmmiotap-preload.so next to bench/)
 *   ptrace tracer   libmtptrace (mt_ptrace_run), events into a ring that a
 *                   second thread drains, as `mmiotap record --ptrace` does
 * The workload runs in a child (this program re-executed with --child):
 * N loads `mov (%rax),%eax` from a 4 KiB MAP_SHARED /dev/shm file; the child
 * measures its own loop time. Prints ns per access and ratios; never fails
 * on timing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "mt_ptrace.h"
#include "mmiotap/rt_ring.h"
#include "mmiotap/rt_env.h"

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t load(volatile void *p)
{
	uint32_t v;
	/* 8b 00: mov (%rax),%eax - 2 bytes, the floor handlers skip it */
	__asm__ volatile("mov (%%rax), %%eax" : "=a"(v) : "a"(p) : "memory");
	return v;
}

static void skip_handler(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = ucv;
	uc->uc_mcontext.gregs[REG_RIP] += 2;
}

/* The workload: N loads; prints "ns_total" on fd 3 if open, else stdout. */
static int child(const char *path, long n, int mode)
{
	int fd = open(path, O_RDWR);
	if (fd < 0)
		return 2;
	volatile uint8_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 2;
	if (mode == 1) { /* fault floor: our own PROT_NONE page + skipping handler */
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = skip_handler;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGSEGV, &sa, NULL);
	}
	if (mode == 1 || mode == 2)
		mprotect((void *)p, 4096, PROT_NONE);
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++)
		load(p + (i & 63) * 4);
	uint64_t t = now_ns() - t0;
	printf("%llu\n", (unsigned long long)t);
	return 0;
}

static char self[PATH_MAX];
static const char *devpath;
static long N;

/* Run the child with extra env; return its loop ns, or 0 on failure. */
static uint64_t read_result(int rfd)
{
	char buf[64];
	ssize_t k = read(rfd, buf, sizeof(buf) - 1);
	close(rfd);
	if (k <= 0)
		return 0;
	buf[k] = 0;
	return strtoull(buf, NULL, 10);
}

static uint64_t run_plain(int protect, char *const *env_extra)
{
	int p[2];
	if (pipe(p) < 0)
		return 0;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		for (int i = 0; env_extra && env_extra[i]; i++)
			putenv(env_extra[i]);
		char ns[32];
		snprintf(ns, sizeof(ns), "%ld", N);
		execl(self, self, "--child", devpath, ns, protect ? "1" : "0", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	uint64_t t = read_result(p[0]);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? t : 0;
}

/* Minimal ptrace floor: the tracer only skips the faulting instruction. */
static uint64_t run_ptrace_floor(void)
{
	int p[2];
	if (pipe(p) < 0)
		return 0;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		char ns[32];
		snprintf(ns, sizeof(ns), "%ld", N);
		/* protect=2: PROT_NONE without a handler (faults go to the tracer) */
		execl(self, self, "--child", devpath, ns, "2", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	int st;
	waitpid(pid, &st, 0);
	ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)(long)PTRACE_O_EXITKILL);
	ptrace(PTRACE_CONT, pid, 0, 0);
	for (;;) {
		if (waitpid(pid, &st, 0) < 0 || WIFEXITED(st) || WIFSIGNALED(st))
			break;
		int sig = WSTOPSIG(st);
		if (sig == SIGSEGV) {
			struct user_regs_struct r;
			ptrace(PTRACE_GETREGS, pid, 0, &r);
			r.rip += 2;
			ptrace(PTRACE_SETREGS, pid, 0, &r);
			sig = 0;
		} else if (sig == SIGTRAP) {
			sig = 0;
		}
		ptrace(PTRACE_CONT, pid, 0, (void *)(long)sig);
	}
	return read_result(p[0]);
}

static struct mt_ring *ring;
static volatile int draining;
static uint64_t drained;

static void *drain(void *arg)
{
	static uint8_t buf[1 << 20];
	struct mt_ring_reader rd = { .r = ring };
	for (;;) {
		int last = !draining;
		size_t n = mt_ring_get(&rd, buf, sizeof(buf), 20);
		for (size_t off = 0; off < n;) {
			const struct mt_ev *ev = (const void *)(buf + off);
			drained++;
			off += ev->size;
		}
		if (!n && last)
			break;
	}
	return arg;
}

static uint64_t run_with_ring(int use_ptrace, const char *lib)
{
	char rp[64];
	snprintf(rp, sizeof(rp), "/dev/shm/bench-ptrace-%d.ring", (int)getpid());
	unlink(rp);
	if (mt_ring_create(rp, 16u << 20, &ring))
		return 0;
	drained = 0;
	draining = 1;
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &chld, NULL);
	pthread_t th;
	pthread_create(&th, NULL, drain, NULL);
	uint64_t t = 0;
	char glob[PATH_MAX + 8];
	snprintf(glob, sizeof(glob), "%s", devpath);
	if (use_ptrace) {
		int p[2];
		if (pipe(p) == 0) {
			char ns[32];
			snprintf(ns, sizeof(ns), "%ld", N);
			/* the child's stdout is the pipe: swap it in around the spawn */
			int saved = dup(1);
			dup2(p[1], 1);
			close(p[1]);
			char *argv[] = { self, "--child", (char *)devpath, ns, "0", NULL };
			const char *globs[] = { glob };
			struct mt_ptrace_opts o;
			memset(&o, 0, sizeof(o));
			o.sz = sizeof(o);
			o.argv = argv;
			o.globs = globs;
			o.nglobs = 1;
			o.flags = MT_PTRACE_NO_DEFAULTS;
			o.ring = ring;
			o.exec_errfd = -1;
			int st = 0;
			/* read the result in a thread-free way: the pipe holds < 64 bytes */
			int rc = mt_ptrace_run(&o, &st, NULL);
			dup2(saved, 1);
			close(saved);
			t = rc == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? read_result(p[0]) : 0;
			if (!t)
				close(p[0]);
		}
	} else {
		char e1[128], e2[PATH_MAX + 64], e3[PATH_MAX + 64], e4[64];
		snprintf(e1, sizeof(e1), "%s=%s", MT_ENV_RING, rp);
		snprintf(e2, sizeof(e2), "%s=%s", MT_ENV_TRACE_FILES, glob);
		snprintf(e3, sizeof(e3), "LD_PRELOAD=%s", lib);
		snprintf(e4, sizeof(e4), "%s=0", MT_ENV_DEFAULTS);
		char *env[] = { e1, e2, e3, e4, NULL };
		t = run_plain(0, env);
	}
	draining = 0;
	pthread_join(th, NULL);
	mt_ring_close(ring);
	unlink(rp);
	pthread_sigmask(SIG_UNBLOCK, &chld, NULL);
	return t;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "--child"))
		return child(argv[2], atol(argv[3]), atoi(argv[4]));
	N = argc > 1 ? atol(argv[1]) : 20000;
	ssize_t k = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (k <= 0)
		return 1;
	self[k] = 0;
	char lib[PATH_MAX + 64];
	snprintf(lib, sizeof(lib), "%.*s/../libmmiotap-preload.so",
		 (int)(strrchr(self, '/') - self), self);
	int have_lib = access(lib, R_OK) == 0;
	char dp[64];
	snprintf(dp, sizeof(dp), "/dev/shm/bench-ptrace-%d.dev", (int)getpid());
	devpath = dp;
	int fd = open(dp, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 4096) < 0) {
		perror("bench_ptrace: device file");
		return 1;
	}
	close(fd);

	uint64_t t_plain = run_plain(0, NULL);
	uint64_t t_fault = run_plain(1, NULL);
	uint64_t t_pfloor = run_ptrace_floor();
	uint64_t t_pre = have_lib ? run_with_ring(0, lib) : 0;
	uint64_t drained_pre = drained;
	uint64_t t_pt = run_with_ring(1, NULL);
	uint64_t drained_pt = drained;
	unlink(dp);

	double n = (double)N;
	printf("bench_ptrace: %ld loads of 4 bytes from a MAP_SHARED /dev/shm page\n", N);
	printf("  untraced                    %9.1f ns/access\n", t_plain / n);
	printf("  fault floor (in-process)    %9.1f ns/access\n", t_fault / n);
	printf("  ptrace floor (stop+skip)    %9.1f ns/access\n", t_pfloor / n);
	if (have_lib)
		printf("  in-process tracer (preload) %9.1f ns/access  (%llu events)\n",
		       t_pre / n, (unsigned long long)drained_pre);
	else
		printf("  in-process tracer (preload) not built (%s)\n", lib);
	printf("  ptrace tracer               %9.1f ns/access  (%llu events)\n", t_pt / n,
	       (unsigned long long)drained_pt);
	if (t_pt && t_pfloor)
		printf("  ratio ptrace tracer / ptrace floor    %.2fx\n", (double)t_pt / (double)t_pfloor);
	if (t_pt && t_fault)
		printf("  ratio ptrace tracer / fault floor     %.2fx\n", (double)t_pt / (double)t_fault);
	if (t_pt && t_pre)
		printf("  ratio ptrace tracer / in-process      %.2fx\n", (double)t_pt / (double)t_pre);
	if (!t_pt || (have_lib && !t_pre) || !t_pfloor || !t_fault)
		printf("  note: a measurement failed (0 above)\n");
	return 0;
}
