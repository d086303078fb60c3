// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_watchsys.c - system calls on watched pages, for
 * tests/e2e/test-watch-sys.sh (runtime/preload/sud.c, sysptr.c).
 *
 * `shared` is one page: a counter (watched), then a pthread mutex and
 * condition variable, a timespec and the rest. NT threads take turns
 * through the condition variable (a token passed round: every hand-over is
 * a futex wait and wake on the watched page) and count under the mutex.
 * Then read() into `rbuf` (watched) from a pipe, write() from it, writev()
 * and readv() with an iovec on it, select() with its fd set and timeout on
 * the page, sendmsg() and recvmsg() with their buffers on it, nanosleep
 * and clock_gettime with their timespec on the page. Prints its account.
 * argv[1]: "fork" (a child does the same, unwatched), "exec PROG ARGS"
 * (then execs PROG), "rawexec PROG" (execve by a raw system call), "late"
 * (the counter and rbuf watched through the library API while the threads
 * run, some of them blocked on the page's futexes), "signals" (system(),
 * posix_spawn(), popen(); a read() into rbuf interrupted by SIGALRM, whose
 * handler blocks everything and writes the page: restarted with
 * SA_RESTART, EINTR without; nanosleep interrupted; a system call with
 * every signal blocked; a pselect() with a mask blocking all but SIGALRM,
 * whose handler makes a system call), "mremap" (a watched block moved by mremap),
 * "cycles" (the counter watched and unwatched over and over under the
 * threads), "forksites" (new system call sites in a fork child that
 * watches and in its parent), "c11" (a read() into rbuf by a C11 thread),
 * "unwatchword" (a futex waiter on a shared page whose watch goes),
 * "altstack" (a writev() from rbuf by a handler on a small sigaltstack),
 * "sigwait" (rbuf watched while a thread waits in sigtimedwait()).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <sys/uio.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#define NT 4
static int rounds = 200;

struct shared {
	long counter;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct timespec ts;
	fd_set fds;
	struct timeval tv;
	int turn;
	long total;
};
struct shared shared __attribute__((aligned(4096))) = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
};
char rbuf[64] __attribute__((aligned(64)));

static void *worker(void *arg)
{
	int me = (int)(long)arg;
	for (int i = 0; i < rounds; i++) {
		pthread_mutex_lock(&shared.mu);
		while (shared.turn != me)
			pthread_cond_wait(&shared.cv, &shared.mu);
		shared.counter++;
		shared.total += me + 1;
		shared.turn = (me + 1) % NT;
		pthread_cond_broadcast(&shared.cv);
		pthread_mutex_unlock(&shared.mu);
	}
	return NULL;
}

typedef int (*watch_fn)(void *, size_t, unsigned, const char *);

static int run(const char *who, int late)
{
	pthread_t th[NT];
	for (long t = 0; t < NT; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)t))
			return 1;
	if (late) {
		/* the threads are running, some waiting on the page's futexes:
		 * the page is armed under them (library API) */
		watch_fn w = (watch_fn)dlsym(RTLD_DEFAULT, "mmiotap_watch_named");
		while (__atomic_load_n(&shared.counter, __ATOMIC_RELAXED) < rounds)
			sched_yield();
		int rc = w ? w((void *)&shared.counter, sizeof(shared.counter), 0, "counter") : -1;
		int rc2 = w ? w(rbuf, sizeof(rbuf), 0, "rbuf") : -1;
		printf("%s late watch %d %d\n", who, rc, rc2);
	}
	for (int t = 0; t < NT; t++)
		pthread_join(th[t], NULL);
	printf("%s counter %ld total %ld\n", who, shared.counter, shared.total);

	int p[2], rc;
	if (pipe(p))
		return 1;
	const char msg[] = "kernel-wrote-this";
	if (write(p[1], msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		return 1;
	ssize_t n = read(p[0], rbuf, sizeof(msg));
	printf("%s read %zd \"%s\"\n", who, n, n > 0 ? rbuf : "");
	rbuf[0] = 'K';
	n = write(p[1], rbuf, 6);
	char back[8] = { 0 };
	if (n != 6 || read(p[0], back, 6) != 6)
		return 1;
	printf("%s write %zd \"%s\"\n", who, n, back);
	struct iovec v[2] = { { rbuf, 3 }, { (char *)"-v", 2 } };
	n = writev(p[1], v, 2);
	memset(back, 0, sizeof(back));
	if (read(p[0], back, 5) != 5 || write(p[1], "abcde", 5) != 5)
		return 1;
	printf("%s writev %zd \"%s\"\n", who, n, back);
	struct iovec r2[2] = { { back, 2 }, { rbuf + 32, 3 } };
	n = readv(p[0], r2, 2);
	printf("%s readv %zd \"%.2s\" \"%.3s\"\n", who, n, back, rbuf + 32);
	if (write(p[1], "s", 1) != 1)
		return 1;
	FD_ZERO(&shared.fds);
	FD_SET(p[0], &shared.fds);
	shared.tv.tv_sec = 5;
	shared.tv.tv_usec = 0;
	rc = select(p[0] + 1, &shared.fds, NULL, NULL, &shared.tv);
	printf("%s select %d readable %d\n", who, rc, FD_ISSET(p[0], &shared.fds) != 0);
	if (read(p[0], back, 1) != 1)
		return 1;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		return 1;
	struct iovec sio[2] = { { rbuf + 40, 4 }, { (char *)"-msg", 4 } };
	memcpy(rbuf + 40, "send", 4);
	struct msghdr sm = { .msg_iov = sio, .msg_iovlen = 2 };
	n = sendmsg(sv[0], &sm, 0);
	struct iovec rio[1] = { { rbuf + 48, 8 } };
	struct msghdr rm = { .msg_iov = rio, .msg_iovlen = 1 };
	ssize_t n2 = recvmsg(sv[1], &rm, 0);
	printf("%s sendmsg %zd recvmsg %zd \"%.8s\" flags %d\n", who, n, n2, rbuf + 48, rm.msg_flags);
	close(sv[0]);
	close(sv[1]);
	shared.ts.tv_sec = 0;
	shared.ts.tv_nsec = 1000000;
	rc = nanosleep(&shared.ts, NULL);
	rc |= (int)syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &shared.ts);
	printf("%s nanosleep+clock_gettime %d %d\n", who, rc, shared.ts.tv_sec > 0);
	close(p[0]);
	close(p[1]);
	fflush(stdout);
	return 0;
}

static volatile int nsig;

static void on_alarm(int s)
{
	(void)s;
	nsig++;
	shared.total++; /* the watched page, from the handler */
}

static void alarm_in(long us, int restart)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigfillset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 0 }, { 0, us } };
	setitimer(ITIMER_REAL, &it, NULL);
}

/* A handler that makes a system call, run during a pselect() whose mask
 * blocks everything else (SIGSYS too: mmiotap takes it out). */
static void on_alarm_sys(int s)
{
	(void)s;
	nsig += getppid() > 0;
	shared.total++; /* the watched page: a fault, not blocked either */
}

static void pselect_mask(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm_sys;
	sigaction(SIGALRM, &sa, NULL);
	sigset_t m;
	sigfillset(&m);
	sigdelset(&m, SIGALRM);
	struct itimerval it = { { 0, 0 }, { 0, 100000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	struct timespec ts = { 5, 0 };
	int rc = pselect(0, NULL, NULL, NULL, &ts, &m);
	printf("pselect %d %s signals %d\n", rc, rc ? strerror(errno) : "", nsig);
}

static int signals(void)
{
	extern char **environ;
	fflush(stdout);
	printf("system %d\n", system("echo system-ok"));
	pid_t pid;
	char *av[] = { "/bin/echo", "spawn-ok", NULL };
	int st = -1, rc = posix_spawn(&pid, "/bin/echo", NULL, NULL, av, environ);
	waitpid(pid, &st, 0);
	printf("spawn %d %d\n", rc, st);
	FILE *f = popen("echo popen-ok", "r");
	char line[64] = "";
	if (!f || !fgets(line, sizeof(line), f))
		return 1;
	printf("popen %s", line);
	pclose(f);
	fflush(stdout);
	int p[2];
	if (pipe(p))
		return 1;
	if ((pid = fork()) == 0) {
		usleep(300000);
		_exit(write(p[1], "late-data", 9) != 9);
	}
	alarm_in(100000, 1);
	ssize_t n = read(p[0], rbuf, 9);
	printf("restarted read %zd \"%.9s\" signals %d\n", n, rbuf, nsig);
	alarm_in(100000, 0);
	n = read(p[0], rbuf, 9);
	printf("interrupted read %zd %s signals %d\n", n, n < 0 ? strerror(errno) : "", nsig);
	alarm_in(100000, 1);
	shared.ts.tv_sec = 0;
	shared.ts.tv_nsec = 300000000;
	rc = nanosleep(&shared.ts, &shared.ts);
	printf("nanosleep %d %s signals %d\n", rc, rc ? strerror(errno) : "", nsig);
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	printf("all blocked, getppid %d\n", getppid() > 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	pselect_mask();
	waitpid(pid, &st, 0);
	printf("handler's stores %ld\n", shared.total - 2000);
	return 0;
}

/* mremap of a watched page (library API): the contents move with it, the
 * object is watched no more, the program goes on. */
static int remapped(void)
{
	watch_fn w = (watch_fn)dlsym(RTLD_DEFAULT, "mmiotap_watch_named");
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	strcpy(p, "before-mremap");
	int rc = w ? w(p, 16, 0, "block") : -1;
	p[0] = 'B';
	char *q = mremap(p, 4096, 3 * 4096, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		return 1;
	q[1] = 'E';
	q[2 * 4096] = 'x';
	int (*list)(char *, size_t) = (int (*)(char *, size_t))dlsym(RTLD_DEFAULT,
								      "mmiotap_watch_list");
	printf("mremap watch %d contents %s watched after %d\n", rc, q, list ? list(NULL, 0) : -1);
	return 0;
}

/* The counter watched and unwatched over and over while the threads hand
 * the token round (futex waiters on the page's alias when it goes, on the
 * page when it comes). */
static int cycles(void)
{
	watch_fn w = (watch_fn)dlsym(RTLD_DEFAULT, "mmiotap_watch_named");
	int (*u)(void *, size_t) = (int (*)(void *, size_t))dlsym(RTLD_DEFAULT, "mmiotap_unwatch");
	pthread_t th[NT];
	rounds = 2000;
	for (long t = 0; t < NT; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)t))
			return 1;
	int n = 0;
	while (w && u && __atomic_load_n(&shared.counter, __ATOMIC_RELAXED) < NT * rounds - 100) {
		n += w((void *)&shared.counter, sizeof(shared.counter), 0, "counter") == 0;
		usleep(2000);
		u((void *)&shared.counter, sizeof(shared.counter));
		usleep(1000);
	}
	for (int t = 0; t < NT; t++)
		pthread_join(th[t], NULL);
	printf("cycles counter %ld total %ld watched %d\n", shared.counter, shared.total, n > 1);
	return 0;
}

/* NSITE functions, each its own getpid system call instruction: a call
 * site (and trampoline) of its own. */
#define SITE(n)                                                                     \
	__attribute__((noinline)) static long site##n(void)                          \
	{                                                                           \
		long r;                                                             \
		__asm__ volatile("syscall" : "=a"(r) : "a"((long)SYS_getpid) : "rcx", "r11", "memory"); \
		return r;                                                           \
	}
SITE(0) SITE(1) SITE(2) SITE(3) SITE(4) SITE(5) SITE(6) SITE(7)
SITE(8) SITE(9) SITE(10) SITE(11) SITE(12) SITE(13) SITE(14) SITE(15)
#define NSITE 16
static long (*const sitefn[NSITE])(void) = { site0, site1, site2,  site3,  site4,  site5,
					     site6, site7, site8,  site9,  site10, site11,
					     site12, site13, site14, site15 };

/* How many of sites [from, to) do not return pid. */
static int sites_wrong(int from, int to, long pid)
{
	int bad = 0;
	for (int i = from; i < to; i++)
		bad += sitefn[i]() != pid;
	return bad;
}

/* fork: the child watches a page of its own and makes new system call
 * sites, then the parent (watched all along) makes new ones: each must
 * run its own calls (their trampolines are no longer shared). */
static int forksites(void)
{
	watch_fn w = (watch_fn)dlsym(RTLD_DEFAULT, "mmiotap_watch_named");
	int p1[2], p2[2];
	char c;
	if (pipe(p1) || pipe(p2))
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		int rc = w ? w(rbuf, sizeof(rbuf), 0, "rbuf") : -1;
		int bad = sites_wrong(0, NSITE / 2, getpid());
		if (write(p1[1], "x", 1) != 1 || read(p2[0], &c, 1) != 1)
			_exit(2);
		bad += sites_wrong(0, NSITE / 2, getpid());
		printf("forksites child watch %d wrong %d\n", rc, bad);
		fflush(stdout);
		_exit(0);
	}
	if (read(p1[0], &c, 1) != 1)
		return 1;
	int bad = sites_wrong(NSITE / 2, NSITE, getpid());
	if (write(p2[1], "y", 1) != 1)
		return 1;
	int st;
	waitpid(pid, &st, 0);
	bad += sites_wrong(NSITE / 2, NSITE, getpid());
	printf("forksites parent wrong %d child status %d\n", bad, st);
	return 0;
}

/* A C11 thread (thrd_create) reads into the watched rbuf. */
static int c11_reader(void *arg)
{
	int fd = *(int *)arg;
	ssize_t n = read(fd, rbuf, 6);
	printf("c11 read %zd %s \"%.6s\"\n", n, n < 0 ? strerror(errno) : "", rbuf);
	return 0;
}

static int c11(void)
{
	int p[2];
	thrd_t t;
	if (pipe(p) || write(p[1], "c11-ok", 6) != 6 || thrd_create(&t, c11_reader, &p[0]) != thrd_success)
		return 1;
	thrd_join(t, NULL);
	return 0;
}

/* A process-shared page (MAP_SHARED): a thread waits on a futex word of
 * it while a counter next to it is watched, then unwatched (library API).
 * The word must keep its value throughout (nobody stores to it). */
struct wpage {
	uint32_t word;
	long counter;
};

static void *word_waiter(void *arg)
{
	struct wpage *pg = arg;
	while (__atomic_load_n(&pg->word, __ATOMIC_SEQ_CST) == 0)
		syscall(SYS_futex, &pg->word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	return NULL;
}

static int unwatchword(void)
{
	watch_fn w = (watch_fn)dlsym(RTLD_DEFAULT, "mmiotap_watch_named");
	int (*u)(void *, size_t) = (int (*)(void *, size_t))dlsym(RTLD_DEFAULT, "mmiotap_unwatch");
	struct wpage *pg = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_t t;
	if (pg == MAP_FAILED || !w || !u)
		return 1;
	int rc = w(&pg->counter, sizeof(pg->counter), 0, "counter");
	if (pthread_create(&t, NULL, word_waiter, pg))
		return 1;
	usleep(200000);
	int rc2 = u(&pg->counter, sizeof(pg->counter));
	usleep(200000);
	uint32_t seen = __atomic_load_n(&pg->word, __ATOMIC_SEQ_CST);
	__atomic_store_n(&pg->word, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &pg->word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	pthread_join(t, NULL);
	printf("unwatchword watch %d unwatch %d word %#x\n", rc, rc2, seen);
	return 0;
}

/* A writev() from the watched rbuf, by a SA_ONSTACK handler on a small
 * sigaltstack: room for two of the kernel's signal frames (the handler's
 * and the SIGSYS of the trapped call, on the same stack) and 1280 bytes. */
static volatile int alt_fd;
static volatile ssize_t alt_n;

static void on_usr1_alt(int s)
{
	(void)s;
	struct iovec v[2] = { { rbuf, 4 }, { rbuf + 4, 4 } };
	alt_n = writev(alt_fd, v, 2);
}

static int altstack(void)
{
	unsigned long min = getauxval(AT_MINSIGSTKSZ);
	size_t sz = 2 * (min ? min : 2048) + 1280;
	stack_t ss = { .ss_sp = malloc(sz), .ss_size = sz };
	struct sigaction sa;
	char got[9] = "";
	int p[2];
	memcpy(rbuf, "alt-ok!\n", 8);
	if (!ss.ss_sp || pipe(p) || sigaltstack(&ss, NULL))
		return 1;
	alt_fd = p[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1_alt;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	if (read(p[0], got, 8) != 8)
		return 1;
	printf("altstack writev %zd %s", alt_n, got);
	return 0;
}

/* A thread in sigtimedwait() for every signal when the first watch is
 * armed: mmiotap's "turn on" SIGSYS must not be what it gets. */
static void *sig_waiter(void *arg)
{
	sigset_t all;
	siginfo_t si;
	struct timespec ts = { 1, 0 };
	(void)arg;
	sigfillset(&all);
	int s = sigtimedwait(&all, &si, &ts);
	printf("sigwait %d %s\n", s, s < 0 ? strerror(errno) : "");
	return NULL;
}

static int sigwait_thread(void)
{
	watch_fn w = (watch_fn)dlsym(RTLD_DEFAULT, "mmiotap_watch_named");
	sigset_t all, old;
	pthread_t t;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&t, NULL, sig_waiter, NULL))
		return 1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	usleep(200000);
	int rc = w ? w(rbuf, sizeof(rbuf), 0, "rbuf") : -1;
	pthread_join(t, NULL);
	printf("sigwait watch %d\n", rc);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	if (!strcmp(mode, "cycles"))
		return cycles();
	if (!strcmp(mode, "forksites"))
		return forksites();
	if (!strcmp(mode, "c11"))
		return c11();
	if (!strcmp(mode, "sigwait"))
		return sigwait_thread();
	if (!strcmp(mode, "altstack"))
		return altstack();
	if (!strcmp(mode, "unwatchword"))
		return unwatchword();
	if (run("main", !strcmp(mode, "late")))
		return 1;
	if (!strcmp(mode, "signals"))
		return signals();
	if (!strcmp(mode, "mremap"))
		return remapped();
	if (!strcmp(mode, "fork")) {
		pid_t pid = fork();
		if (pid == 0) {
			shared.turn = 0;
			_exit(run("child", 0));
		}
		int st;
		waitpid(pid, &st, 0);
		printf("child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		shared.turn = 0;
		return run("after-fork", 0);
	}
	if (!strcmp(mode, "exec") && argc > 2) {
		fflush(stdout);
		execv(argv[2], argv + 2);
		perror("execv");
		return 1;
	}
	if (!strcmp(mode, "rawexec") && argc > 2) {
		extern char **environ;
		fflush(stdout);
		syscall(SYS_execve, argv[2], argv + 2, environ);
		perror("execve");
		return 1;
	}
	return 0;
}
