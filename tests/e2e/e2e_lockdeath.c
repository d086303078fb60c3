// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_lockdeath.c - traced processes killed while they hold the order lock
 * (runtime/common/ring.c), under `mmiotap record`. The traced "device" is
 * one memfd page "mt-e2e"; progress counters live in an untraced shared
 * page.
 *
 * The victims of rounds 1 and 2 stop inside the critical section on
 * purpose: they register a libmmiotap probe (found with dlsym: the program
 * is not linked with libmmiotap) on the register at STOP_OFF whose post
 * handler says so on a pipe and then sleeps forever. A post handler runs in
 * the SIGSEGV handler with the lock held, after the device read and before
 * its record is published: that read's record is lost and must show up as
 * a LOST record of count 1 with the victim's pid.
 *
 *   round 1  waiters and a zombie holder: SURVIVORS processes (forked
 *            before, waiting on a flag) start hammering while the victim
 *            holds the lock; they must make no progress; the victim is
 *            SIGKILLed and NOT reaped until they are done; they must finish.
 *   round 2  nobody waiting and a vanished non-leader thread: the victim's
 *            second thread stops in the probe; the victim is killed and
 *            reaped; only then does this process fork (the interposed fork
 *            takes the lock) and two more survivors hammer.
 *   round 3  random kills: KILLS times a child hammering with REP STOSQ (32
 *            records per instruction, all under one hold of the lock) is
 *            SIGKILLed after a random 0-2 ms while two survivors hammer on;
 *            `mmiotap record` says how many kills landed inside.
 *
 * Survivor i writes 1..ACCESSES (8 bytes) to the register at 8*i. Lines on
 * stdout for the harness (written at once, so a harness that kills a hung
 * run still finds the pids):
 *   P pid                   this process
 *   S pid offset count      a survivor, its register and accesses
 *   V pid tid writes        a stopped victim, the thread that held the
 *                           lock, and its recorded writes before the stop
 *   K pid                   a round-3 victim
 * Exit 0 when every survivor finished with the right values, 1 otherwise.
 * Usage: e2e_lockdeath SURVIVORS ACCESSES KILLS
 */
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mmiotap/mmiotap.h"

#define STOP_OFF 0x800
#define VICTIM_OFF 0x400 /* victims' own register (8 bytes each) */
#define MAXS 32
#define VICTIM_WRITES 5

static volatile uint8_t *dev;
static struct ctl {
	volatile int go[4];
	volatile long progress[2 * MAXS + 8];
} *ctl;
static int stop_pipe[2];
static int (*probe_register)(struct mmiotap_probe *);

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)!write(1, buf, (size_t)n);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Post handler: runs with the order lock held. Say so, then never return
 * (every signal is blocked in the handler; SIGKILL still kills). */
static void stop_here(struct mmiotap_probe *p, struct mmiotap_access *a)
{
	(void)p;
	(void)a;
	char tid[16];
	int n = snprintf(tid, sizeof(tid), "%ld\n", (long)syscall(SYS_gettid));
	(void)!write(stop_pipe[1], tid, (size_t)n);
	for (;;)
		pause();
}

static struct mmiotap_probe probe = {
	.struct_size = sizeof(struct mmiotap_probe),
	.len = 4,
	.post = stop_here,
};

static void *victim_stop(void *arg)
{
	(void)arg;
	(void)*(volatile uint32_t *)(dev + STOP_OFF);
	return NULL; /* not reached */
}

/* A victim: VICTIM_WRITES recorded writes, then a read that stops inside
 * the critical section (in a second thread if threaded). */
static void victim(int threaded)
{
	probe.addr = (void *)(dev + STOP_OFF);
	if (probe_register(&probe)) {
		out("FAIL probe_register\n");
		_exit(3);
	}
	for (uint64_t i = 1; i <= VICTIM_WRITES; i++)
		*(volatile uint64_t *)(dev + VICTIM_OFF) = i;
	if (threaded) {
		pthread_t t;
		pthread_create(&t, NULL, victim_stop, NULL);
		for (;;)
			pause();
	}
	victim_stop(NULL);
	_exit(4);
}

/* Start a victim; returns once it holds the lock; *tid = the holder. */
static pid_t start_victim(int threaded, long *tid)
{
	pid_t p = fork();
	if (p == 0)
		victim(threaded);
	char buf[32];
	ssize_t n = read(stop_pipe[0], buf, sizeof(buf) - 1);
	if (n <= 0) {
		out("FAIL victim %d never stopped in the probe\n", (int)p);
		exit(1);
	}
	buf[n] = 0;
	*tid = atol(buf);
	out("V %d %ld %d\n", (int)p, *tid, VICTIM_WRITES);
	return p;
}

static void hammer(int slot, long n, int gate)
{
	volatile uint64_t *reg = (volatile uint64_t *)(dev + 8 * slot);
	while (gate >= 0 && !ctl->go[gate])
		sleep_ms(1);
	for (long j = 1; j <= n; j++) {
		*reg = (uint64_t)j;
		ctl->progress[slot] = j;
	}
	_exit(0);
}

static pid_t start_survivor(int slot, long n, int gate)
{
	pid_t p = fork();
	if (p == 0)
		hammer(slot, n, gate);
	out("S %d %#x %ld\n", (int)p, 8 * slot, n);
	return p;
}

static pid_t kids[2 * MAXS + 8];
static int nkids;

static void kill_all(void)
{
	for (int i = 0; i < nkids; i++)
		kill(kids[i], SIGKILL);
}

/* Wait for survivors [from, to) to exit 0 within secs. */
static int wait_survivors(int from, int to, double secs)
{
	double end = now_s() + secs;
	int left = to - from, bad = 0, done[2 * MAXS + 8] = { 0 };
	while (left) {
		/* by pid: a killed victim may have to stay a zombie meanwhile */
		for (int i = from; i < to; i++) {
			int st;
			if (done[i] || waitpid(kids[i], &st, WNOHANG) != kids[i])
				continue;
			done[i] = 1;
			left--;
			if (!WIFEXITED(st) || WEXITSTATUS(st)) {
				out("FAIL survivor %d: status %#x\n", (int)kids[i], st);
				bad = 1;
			}
		}
		if (left && now_s() > end) {
			out("FAIL %d survivors still running after %.0f s (stuck on the lock?)\n",
			    left, secs);
			for (int i = from; i < to; i++)
				out("    survivor %d progress %ld\n", (int)kids[i], ctl->progress[i]);
			kill_all();
			exit(1);
		}
		sleep_ms(5);
	}
	return bad;
}

static int reap_killed(pid_t p)
{
	int st;
	if (waitpid(p, &st, 0) != p || !WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL) {
		out("FAIL victim %d: status %#x, want killed by SIGKILL\n", (int)p, st);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int ns = argc > 1 ? atoi(argv[1]) : 3;
	long n = argc > 2 ? atol(argv[2]) : 20000;
	int kills = argc > 3 ? atoi(argv[3]) : 40;
	if (ns < 1 || ns > MAXS || n < 1 || kills < 0) {
		fprintf(stderr, "usage: e2e_lockdeath SURVIVORS(1..%d) ACCESSES KILLS\n", MAXS);
		return 2;
	}
	out("P %d\n", (int)getpid());
	probe_register = (int (*)(struct mmiotap_probe *))dlsym(RTLD_DEFAULT,
								"mmiotap_probe_register");
	if (!probe_register)
		return out("FAIL not running under mmiotap record\n"), 1;
	int fd = memfd_create("mt-e2e", 0);
	if (fd < 0 || ftruncate(fd, 4096) < 0)
		return perror("memfd"), 99;
	dev = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (dev == MAP_FAILED || ctl == MAP_FAILED || pipe(stop_pipe))
		return perror("setup"), 99;
	int bad = 0;
	long tid;

	/* round 1: waiters, zombie holder */
	for (int i = 0; i < ns; i++)
		kids[nkids++] = start_survivor(i, n, 0);
	pid_t v1 = start_victim(0, &tid);
	ctl->go[0] = 1;
	sleep_ms(300);
	for (int i = 0; i < ns; i++) {
		if (ctl->progress[i]) {
			out("FAIL survivor %d made %ld accesses while the victim held the lock\n",
			    (int)kids[i], ctl->progress[i]);
			bad = 1;
		}
	}
	kill(v1, SIGKILL);
	bad |= wait_survivors(0, ns, 30);
	bad |= reap_killed(v1);

	/* round 2: a thread that is gone, nobody waiting */
	pid_t v2 = start_victim(1, &tid);
	kill(v2, SIGKILL);
	bad |= reap_killed(v2);
	int r2 = nkids;
	kids[nkids++] = start_survivor(ns, n, -1);
	kids[nkids++] = start_survivor(ns + 1, n, -1);
	bad |= wait_survivors(r2, nkids, 30);

	/* round 3: random kills while two survivors hammer */
	int r3 = nkids;
	kids[nkids++] = start_survivor(ns + 2, n * 4, -1);
	kids[nkids++] = start_survivor(ns + 3, n * 4, -1);
	srand((unsigned)getpid());
	for (int k = 0; k < kills; k++) {
		pid_t p = fork();
		if (p == 0) {
			/* REP STOSQ of 32 registers: 32 records under one
			 * hold of the lock, so that many kills land inside */
			for (uint64_t j = 1;; j++) {
				void *d = (void *)(dev + VICTIM_OFF + 8);
				unsigned long c = 32;
				__asm__ volatile("rep stosq"
						 : "+D"(d), "+c"(c)
						 : "a"(j)
						 : "memory");
			}
		}
		out("K %d\n", (int)p);
		sleep_ms(rand() % 3);
		kill(p, SIGKILL);
		bad |= reap_killed(p);
	}
	bad |= wait_survivors(r3, nkids, 60);
	return bad;
}
