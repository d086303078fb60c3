// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_watch.c - a self-describing program for tests/e2e/test-watch.sh.
 *
 * 61 globals wv0..wv60 (watched from the command line), a heap block and a
 * TLS variable of the main thread (through the library API), and an object
 * of a dlopen'ed library (libwatchdl.so: watched by symbol, resolved when it
 * loads): 64 objects. 8 threads; thread t owns the objects j with
 * j % 8 == t and does, ITER times for each, one load and one store of
 * (value + 1) (volatile: exactly one access each). Each object's first
 * access is made after every watch is in place (a barrier). `neighbor`
 * shares the globals' page and is touched NSILENT times (not watched).
 * Prints its own account: "obj NAME reads N writes N final V" and
 * "silent N". argv[1]: the library's path. With "refuse", tries what must
 * be refused instead; with "fork", forks (forked()).
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define ITER 50
#define NSILENT 100
#define NT 8

#define G(n) volatile long wv##n __attribute__((aligned(16)));
#define G10(a) G(a##0) G(a##1) G(a##2) G(a##3) G(a##4) G(a##5) G(a##6) G(a##7) G(a##8) G(a##9)
G10() G10(1) G10(2) G10(3) G10(4) G10(5) G(60) G(61)
volatile long neighbor;

#define P(n) &wv##n,
#define P10(a) P(a##0) P(a##1) P(a##2) P(a##3) P(a##4) P(a##5) P(a##6) P(a##7) P(a##8) P(a##9)
static volatile long *objs[64] = { P10() P10(1) P10(2) P10(3) P10(4) P10(5) P(60) };
/* the main thread's TLS: a block big enough that its middle is on a page of
 * its own (libc's TLS and the thread control block are refused) */
static __thread long tlsbig[2048];
static const char *names[64];
static char namebuf[64][16];
/* Not next to a watched object: the kernel's futex on a watched page
 * fails (EFAULT; mmiotap-watch(1), LIMITS). */
static pthread_barrier_t *bar;

typedef int (*watch_fn)(void *, size_t, unsigned, const char *);

static void *worker(void *arg)
{
	long t = (long)arg;
	pthread_barrier_wait(bar);
	for (int i = 0; i < ITER; i++)
		for (int j = (int)t; j < 64; j += NT) {
			long v = *objs[j];
			*objs[j] = v + 1;
		}
	return NULL;
}

static volatile long *other_local;
static int pfd[2];

/* A thread blocked in read() with a local variable. */
static void *blocked(void *arg)
{
	volatile long mine = 1;
	char c;
	(void)arg;
	other_local = &mine;
	if (read(pfd[0], &c, 1) < 0)
		return NULL;
	return NULL;
}

static int refuse(watch_fn w)
{
	long local = 0;
	stack_t ss = { .ss_sp = malloc(65536), .ss_size = 65536 };
	sigaltstack(&ss, NULL);
	int bad = 0;
#define EXPECT(what, call)                                                    \
	do {                                                                  \
		int rc = call;                                                \
		printf("refuse %s rc %d\n", what, rc);                        \
		bad |= rc != -EPERM;                                          \
	} while (0)
	EXPECT("stack", w((void *)&local, sizeof(local), 0, "local"));
	EXPECT("sigaltstack", w((char *)ss.ss_sp + 100, 8, 0, "altstack"));
	EXPECT("errno", w((void *)&errno, sizeof(int), 0, "errno"));
	EXPECT("libc", w((void *)(uintptr_t)printf, 8, 0, "printf"));
	pthread_t th;
	if (pipe(pfd) || pthread_create(&th, NULL, blocked, NULL))
		return 1;
	while (!other_local)
		usleep(1000);
	usleep(50000); /* in read() by now */
	EXPECT("thread-stack", w((void *)other_local, sizeof(long), 0, "other_local"));
	if (write(pfd[1], "x", 1) != 1 || pthread_join(th, NULL))
		return 1;
	printf("refuse bad-args rc %d\n", w((void *)&neighbor, 0, 0, "zero"));
	/* the API's own arguments on a watched page: read and written by
	 * the handler's emulation, never with SIGSEGV blocked */
	int (*list)(char *, size_t) = (int (*)(char *, size_t))dlsym(RTLD_DEFAULT,
								      "mmiotap_watch_list");
	char *blk = calloc(1, 4096);
	if (!list || !blk || w(blk, 8, 0, "blk"))
		return 1;
	strcpy(blk + 64, "name-on-a-watched-page");
	int rc = w(blk + 128, 8, 0, blk + 64);
	int n = list(blk + 256, 1024);
	printf("watched-page-args rc %d n %d listed %d\n", rc, n,
	       strstr(blk + 256, "name-on-a-watched-page") != NULL);
	return bad;
}

/* fork: the child has its own copy of the watched page (a store there is
 * not seen by the parent), and runs unwatched. */
static int forked(void)
{
	wv0 = 1;
	pid_t pid = fork();
	if (pid == 0) {
		wv0 = 42;
		printf("child %ld\n", wv0);
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("parent %ld\n", wv0);
	wv0 = 2;
	return !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(int argc, char **argv)
{
	watch_fn w = (watch_fn)dlsym(RTLD_DEFAULT, "mmiotap_watch_named");
	if (argc > 1 && !strcmp(argv[1], "refuse"))
		return w ? refuse(w) : 3;
	if (argc > 1 && !strcmp(argv[1], "fork"))
		return forked();
	void *h = dlopen(argc > 1 ? argv[1] : "libwatchdl.so", RTLD_NOW);
	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	objs[61] = &tlsbig[1024];
	objs[62] = (volatile long *)dlsym(h, "dl_counter");
	objs[63] = calloc(1, 64);
	if (w && (w((void *)objs[63], sizeof(long), 0, "heap") ||
		  w((void *)objs[61], sizeof(long), 0, "tls")))
		return 2;
	for (int j = 0; j < 61; j++) {
		snprintf(namebuf[j], sizeof(namebuf[j]), "wv%d", j);
		names[j] = namebuf[j];
	}
	names[61] = "tls";
	names[62] = "dl_counter";
	names[63] = "heap";
	for (int i = 0; i < NSILENT; i++)
		neighbor++;
	bar = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bar == MAP_FAILED || pthread_barrier_init(bar, NULL, NT))
		return 1;
	pthread_t th[NT];
	for (long t = 0; t < NT; t++)
		pthread_create(&th[t], NULL, worker, (void *)t);
	for (int t = 0; t < NT; t++)
		pthread_join(th[t], NULL);
	/* one more load of each: the value printed */
	for (int j = 0; j < 64; j++)
		printf("obj %s reads %d writes %d final %ld\n", names[j], ITER + 1, ITER, *objs[j]);
	printf("silent %d\n", NSILENT);
	return 0;
}
