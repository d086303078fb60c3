// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_trust.c - what a program does that a tracer must survive
 * (tests/e2e/test-record-trust.sh). The "device" is a memfd named mt-e2e.
 *
 *   faults     instructions that fault part-way on ordinary memory, each
 *              caught by the program's own SIGSEGV handler: REP MOVSB from
 *              the device into a page whose second half is PROT_NONE, into
 *              a read-only page, into an unmapped page, and from a PROT_NONE
 *              page into the device. The handler checks si_addr, si_code and
 *              the registers (RCX/RSI/RDI as the CPU leaves them), then
 *              either makes the page accessible and returns (the copy
 *              finishes) or siglongjmps. Prints the accesses the device
 *              sees ("R|W WIDTH OFFSET VALUE"): the faulting element's read
 *              happens twice, as on the CPU.
 *   denied     REP MOVSB of 16 bytes across two traced mappings of the
 *              device, the second one read-only: 8 stores made, the 9th
 *              refused. The program's SIGSEGV handler sees SEGV_ACCERR at the
 *              refused byte with RCX/RSI/RDI after the 8 done, makes the page
 *              writable and returns: the copy goes on from there, each store
 *              reaches the device once. Prints the accesses (offsets in
 *              each mapping's MAP).
 *   mapids N   maps the device once, then maps and unmaps another page of
 *              it N times (default 70000: the 16-bit map ids wrap), then
 *              touches the first mapping again: its MAP's id must never be
 *              given to another. Prints the two accesses.
 *   vanish N   a thread reads one address all the time while another
 *              replaces the mapping there (mmap MAP_FIXED), by the device
 *              and by anonymous memory in turn, N times: the address is
 *              always readable, the program must never get SIGSEGV. Then
 *              the address becomes the program's own PROT_NONE page: a
 *              read there reaches its handler once (SEGV_ACCERR).
 *   vanish-many N  the same with 24 device pages, each its own mapping:
 *              each round one mmap(MAP_FIXED) replaces all 24 (one call
 *              cutting 24 traced regions) while the thread reads the first,
 *              then they are mapped again one by one.
 *   nohandler  REP MOVSB from the device into a PROT_NONE page with no
 *              handler: dies of SIGSEGV (the shell checks 139).
 *   sigbus     the device is a file (memfd) truncated under the program:
 *              a load, a store and a REP MOVSB (4 elements in, then past
 *              the end) on the lost page each reach the program's SIGBUS
 *              handler with BUS_ADRERR at the program's own address (REP:
 *              RCX/RSI/RDI at the failing element), then the device goes
 *              on. Prints the accesses the device sees.
 *   sigbus-nohandler  the same load without a handler: dies of SIGBUS.
 *   resend N   a thread stores to the device N times (run it with a delay
 *              rule: each store waits inside the runtime's handler); another
 *              sends it SIGSEGV with tgkill in the middle of each. The
 *              program's handler must run N times, each time interrupting
 *              the program's own code (RIP in its text), never the
 *              runtime's.
 *   fork N     pthread_atfork handlers that mmap/munmap, a thread touching
 *              the device all the time, N forks whose children touch it.
 *   atfork N   N forks with pthread_atfork handlers that touch the device,
 *              registered before the runtime's own (from .preinit_array,
 *              as a library's constructor would: those run before the
 *              preloaded runtime's): the prepare handler (which also
 *              mmaps and munmaps) runs after the runtime's, which holds
 *              the order lock; the parent and
 *              child handlers before the runtime's. Each fork: W 0x10 0x11
 *              (prepare), W 0x11 0x22 (parent), R 0x10, W 0x12 0x33 (child);
 *              a thread touches the device (0x40..0x7f) all the time.
 *   churn N    N device writes (a hammer), then "done" on stdout.
 *   daemon     forks a child that leaves the session and touches the
 *              device until killed; the parent makes one access and exits.
 *   ignore     ignores SIGINT/SIGTERM/SIGHUP and touches the device until
 *              killed.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ucontext.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile uint8_t *dev;

static volatile uint8_t *map_dev(size_t len)
{
	int fd = memfd_create("mt-e2e", 0);
	void *p;

	if (fd < 0 || ftruncate(fd, (off_t)len) < 0)
		exit(99);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		exit(99);
	return p;
}

/* ---- faults ---------------------------------------------------------------- */

static sigjmp_buf jb;
static struct {
	void *addr;
	int code;
	uint64_t rcx, rsi, rdi;
	char *fix;          /* page to make writable, then return */
	int fix_prot;
	int hits;
} got;

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig;
	got.hits++;
	got.addr = si->si_addr;
	got.code = si->si_code;
	got.rcx = (uint64_t)uc->uc_mcontext.gregs[REG_RCX];
	got.rsi = (uint64_t)uc->uc_mcontext.gregs[REG_RSI];
	got.rdi = (uint64_t)uc->uc_mcontext.gregs[REG_RDI];
	if (got.fix) {
		mprotect(got.fix, 4096, got.fix_prot);
		got.fix = NULL;
		return; /* the instruction goes on */
	}
	siglongjmp(jb, 1);
}

static void rep_movsb(volatile void *dst, volatile const void *src, uint64_t n)
{
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

static int check(const char *what, void *addr, int code, uint64_t rcx, uint64_t rsi, uint64_t rdi)
{
	if (got.hits != 1 || got.addr != addr || got.code != code || got.rcx != rcx ||
	    got.rsi != rsi || got.rdi != rdi) {
		fprintf(stderr,
			"%s: handler ran %d times with si_addr %p code %d rcx %lu rsi %#lx rdi %#lx; want %p %d %lu %#lx %#lx\n",
			what, got.hits, got.addr, got.code, (unsigned long)got.rcx,
			(unsigned long)got.rsi, (unsigned long)got.rdi, addr, code,
			(unsigned long)rcx, (unsigned long)rsi, (unsigned long)rdi);
		return 1;
	}
	memset(&got, 0, sizeof(got));
	return 0;
}

static int faults(void)
{
	struct sigaction sa;
	char *two, *ro, *gone;
	uint8_t shadow[64];
	volatile int bad = 0;

	dev = map_dev(4096);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* below mmap_min_addr: never mapped (a munmap()ed hole could be
	 * reused by the next mmap, the tracer's included) */
	gone = (char *)4096;
	if (two == MAP_FAILED || ro == MAP_FAILED)
		return 99;
	mprotect(two + 4096, 4096, PROT_NONE);
	/* device bytes i at offset i, written untraced? no: every access to
	 * the device is traced, so the harness expects these writes too */
	for (unsigned i = 0; i < 64; i++) {
		dev[i] = (uint8_t)(0xa0 + i);
		printf("W 1 0x%x 0x%x\n", i, 0xa0 + i);
		shadow[i] = (uint8_t)(0xa0 + i);
	}

	/* 1. into a page whose second half is PROT_NONE: fault after 8
	 * elements (the 9th element's read done, its store faults); the
	 * handler opens the page and returns: the copy finishes */
	got.fix = two + 4096;
	got.fix_prot = PROT_READ | PROT_WRITE;
	rep_movsb(two + 4096 - 8, dev, 16);
	bad |= check("into PROT_NONE, resumed", two + 4096, SEGV_ACCERR, 8,
		     (uint64_t)(uintptr_t)(dev + 8), (uint64_t)(uintptr_t)(two + 4096));
	bad |= memcmp(two + 4096 - 8, shadow, 16) != 0;
	for (unsigned i = 0; i < 9; i++)
		printf("R 1 0x%x 0x%x\n", i, shadow[i]);
	for (unsigned i = 8; i < 16; i++)
		printf("R 1 0x%x 0x%x\n", i, shadow[i]);

	/* 2. into a read-only page: siglongjmp out */
	if (!sigsetjmp(jb, 1))
		rep_movsb(ro, dev + 16, 4);
	bad |= check("into read-only", ro, SEGV_ACCERR, 4, (uint64_t)(uintptr_t)(dev + 16),
		     (uint64_t)(uintptr_t)ro);
	printf("R 1 0x10 0x%x\n", shadow[16]);

	/* 3. into an unmapped page */
	if (!sigsetjmp(jb, 1))
		rep_movsb(gone, dev + 20, 4);
	bad |= check("into unmapped", gone, SEGV_MAPERR, 4, (uint64_t)(uintptr_t)(dev + 20),
		     (uint64_t)(uintptr_t)gone);
	printf("R 1 0x14 0x%x\n", shadow[20]);

	/* 4. from a PROT_NONE page into the device: the read faults first,
	 * nothing reaches the device */
	mprotect(two, 4096, PROT_NONE);
	if (!sigsetjmp(jb, 1))
		rep_movsb(dev + 32, two + 4096 - 4, 4);
	bad |= check("from PROT_NONE", two + 4096 - 4, SEGV_ACCERR, 4,
		     (uint64_t)(uintptr_t)(two + 4096 - 4), (uint64_t)(uintptr_t)(dev + 32));
	fflush(stdout);
	if (bad)
		fprintf(stderr, "faults: wrong state or bytes\n");
	return bad;
}

/* ---- sigbus ------------------------------------------------------------------ */

static void on_bus(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig;
	got.hits++;
	got.addr = si->si_addr;
	got.code = si->si_code;
	got.rcx = (uint64_t)uc->uc_mcontext.gregs[REG_RCX];
	got.rsi = (uint64_t)uc->uc_mcontext.gregs[REG_RSI];
	got.rdi = (uint64_t)uc->uc_mcontext.gregs[REG_RDI];
	siglongjmp(jb, 1);
}

/* A memfd device of two pages; the second one lost by ftruncate. */
static int truncated_dev(void)
{
	int fd = memfd_create("mt-e2e", 0);

	if (fd < 0 || ftruncate(fd, 8192) < 0)
		exit(99);
	dev = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (dev == MAP_FAILED)
		exit(99);
	for (unsigned i = 0; i < 8; i++) {
		dev[i] = (uint8_t)(i + 1);
		printf("W 1 0x%x 0x%x\n", i, i + 1);
	}
	return fd;
}

static int sigbus(void)
{
	struct sigaction sa;
	volatile uint8_t *lost;
	uint8_t src[8] = { 0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7 };
	volatile int bad = 0;
	int fd = truncated_dev();

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_bus;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGBUS, &sa, NULL);
	if (ftruncate(fd, 4096) < 0)
		return 99;
	lost = dev + 4096;
	if (!sigsetjmp(jb, 1))
		(void)lost[16];
	bad |= check("load", (void *)(lost + 16), BUS_ADRERR, got.rcx, got.rsi, got.rdi);
	if (!sigsetjmp(jb, 1))
		lost[24] = 1;
	bad |= check("store", (void *)(lost + 24), BUS_ADRERR, got.rcx, got.rsi, got.rdi);
	if (!sigsetjmp(jb, 1))
		rep_movsb(lost - 4, src, 8);
	bad |= check("rep movsb", (void *)lost, BUS_ADRERR, 4, (uint64_t)(uintptr_t)(src + 4),
		     (uint64_t)(uintptr_t)lost);
	for (unsigned i = 0; i < 4; i++)
		printf("W 1 0x%x 0x%x\n", 4092 + i, src[i]);
	printf("R 1 0x0 0x%x\n", dev[0]);
	if (bad)
		fprintf(stderr, "sigbus: wrong si_addr, si_code or registers\n");
	return bad;
}

static int sigbus_nohandler(void)
{
	int fd = truncated_dev();

	fflush(stdout);
	if (ftruncate(fd, 4096) < 0)
		return 99;
	return dev[4096];
}

static int denied(void)
{
	struct sigaction sa;
	uint8_t src[16], back[16];
	volatile int bad = 0;
	int fd = memfd_create("mt-e2e", 0);
	char *a, *b;

	if (fd < 0 || ftruncate(fd, 8192) < 0)
		return 99;
	/* two traced mappings, side by side: page 0 writable, page 1 not */
	a = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (a == MAP_FAILED)
		return 99;
	b = mmap(a + 4096, 4096, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 4096);
	if (b != a + 4096)
		return 99;
	for (unsigned i = 0; i < 16; i++)
		src[i] = (uint8_t)(0xc0 + i);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	got.fix = b;
	got.fix_prot = PROT_READ | PROT_WRITE;
	rep_movsb(b - 8, src, 16);
	bad |= check("into a read-only mapping", b, SEGV_ACCERR, 8, (uint64_t)(uintptr_t)(src + 8),
		     (uint64_t)(uintptr_t)b);
	/* the file's bytes through read(), which the tracer does not see */
	bad |= pread(fd, back, 16, 4096 - 8) != 16 || memcmp(back, src, 16) != 0;
	/* offsets in each MAP (a memfd has no physical address) */
	for (unsigned i = 0; i < 16; i++)
		printf("W 1 0x%x 0x%x\n", i < 8 ? 4096 - 8 + i : i - 8, src[i]);
	if (bad)
		fprintf(stderr, "denied: wrong state or bytes\n");
	return bad;
}

static int mapids(long n)
{
	int fd = memfd_create("mt-e2e", 0);
	volatile uint8_t *a;

	if (fd < 0 || ftruncate(fd, 8192) < 0)
		return 99;
	a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (a == MAP_FAILED)
		return 99;
	a[0] = 0x5a;
	for (long i = 0; i < n; i++) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
		if (p == MAP_FAILED || munmap(p, 4096))
			return 99;
	}
	a[1] = 0xa5;
	printf("W 1 0x0 0x5a\nW 1 0x1 0xa5\n");
	return 0;
}

static volatile uint32_t *vanish_at;
static volatile int vanish_stop;

static void *vanish_reader(void *arg)
{
	unsigned long *n = arg;

	while (!vanish_stop) {
		(void)*vanish_at;
		++*n;
	}
	return NULL;
}

/* The address, once traced, now the program's own PROT_NONE page: its
 * fault is the program's (once), not retried forever. */
static int vanish_then_fault(char *p)
{
	struct sigaction sa;

	if (mmap(p, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != p)
		return 99;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	memset(&got, 0, sizeof(got));
	if (!sigsetjmp(jb, 1))
		(void)*(volatile char *)p;
	if (got.hits != 1 || got.addr != p || got.code != SEGV_ACCERR) {
		fprintf(stderr, "vanish: the program's own fault: %d hits at %p code %d\n", got.hits,
			got.addr, got.code);
		return 1;
	}
	return 0;
}

/* A thread reads one address all the time; the other replaces the
 * mapping there, in one mmap(MAP_FIXED) each time, by the device and by
 * anonymous memory in turn: the address is always readable, as it is
 * without the tracer. A read that faulted on the traced page just before
 * it was replaced must not become the program's SIGSEGV. */
static int vanish(long n)
{
	int fd = memfd_create("mt-e2e", 0);
	unsigned long reads = 0;
	pthread_t th;
	char *p;

	if (fd < 0 || ftruncate(fd, 4096) < 0)
		return 99;
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 99;
	vanish_at = (volatile uint32_t *)p;
	pthread_create(&th, NULL, vanish_reader, &reads);
	for (long i = 0; i < n; i++) {
		int dev_turn = i & 1;
		void *q = dev_turn ? mmap(p, 4096, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0)
				   : mmap(p, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
					  -1, 0);
		if (q != p)
			return 99;
	}
	vanish_stop = 1;
	pthread_join(th, NULL);
	printf("vanish: %ld replacements, %lu reads\n", n, reads);
	return vanish_then_fault(p);
}

/* vanish with many regions: VM_PAGES device pages, each its own mmap (its
 * own traced region), the thread reading the first; each round one
 * mmap(MAP_FIXED) of anonymous memory replaces them all (one call cutting
 * more regions than the runtime once remembered cuts of), then they are
 * mapped again page by page. */
#define VM_PAGES 24
static int vanish_many(long n)
{
	int fd = memfd_create("mt-e2e", 0);
	unsigned long reads = 0;
	pthread_t th;
	char *p;

	if (fd < 0 || ftruncate(fd, VM_PAGES * 4096) < 0)
		return 99;
	p = mmap(NULL, VM_PAGES * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 99;
	for (int k = 0; k < VM_PAGES; k++)
		if (mmap(p + k * 4096, 4096, PROT_READ, MAP_SHARED | MAP_FIXED, fd, k * 4096) !=
		    p + k * 4096)
			return 99;
	vanish_at = (volatile uint32_t *)p;
	pthread_create(&th, NULL, vanish_reader, &reads);
	for (long i = 0; i < n; i++) {
		if (mmap(p, VM_PAGES * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
			 0) != p)
			return 99;
		for (int k = 0; k < VM_PAGES; k++)
			if (mmap(p + k * 4096, 4096, PROT_READ, MAP_SHARED | MAP_FIXED, fd,
				 k * 4096) != p + k * 4096)
				return 99;
	}
	vanish_stop = 1;
	pthread_join(th, NULL);
	printf("vanish-many: %ld rounds of %d regions, %lu reads\n", n, VM_PAGES, reads);
	return vanish_then_fault(p);
}

static int nohandler(void)
{
	char *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	dev = map_dev(4096);
	rep_movsb(p, dev, 4);
	return 0; /* not reached */
}

/* ---- resend ------------------------------------------------------------------ */

extern char __executable_start[], etext[];
static volatile int rs_phase, rs_hits, rs_outside;
static volatile pid_t rs_tid;
static void *rs_rip;

static void on_tkill(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	char *rip = (char *)uc->uc_mcontext.gregs[REG_RIP];

	(void)sig;
	if (si->si_code != SI_TKILL)
		_exit(98);
	rs_hits++;
	if (rip < __executable_start || rip >= etext) {
		rs_outside++;
		rs_rip = rip;
	}
}

static void *rs_storer(void *arg)
{
	int n = (int)(intptr_t)arg;

	rs_tid = gettid();
	for (int i = 0; i < n; i++) {
		__atomic_store_n(&rs_phase, i + 1, __ATOMIC_SEQ_CST);
		dev[8] = (uint8_t)i;
	}
	/* alive until the last signal came (a late one would find no thread),
	 * spinning in the program's text (a bounded spin: ~1 s) */
	for (long k = 0; rs_hits < n && k < 1000000000L; k++)
		;
	return NULL;
}

static int resend(int n)
{
	struct sigaction sa;
	pthread_t th;

	dev = map_dev(4096);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_tkill;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	pthread_create(&th, NULL, rs_storer, (void *)(intptr_t)n);
	for (int i = 1; i <= n; i++) {
		while (__atomic_load_n(&rs_phase, __ATOMIC_SEQ_CST) < i)
			;
		usleep(5000); /* inside the store's delay */
		tgkill(getpid(), rs_tid, SIGSEGV);
		/* the next only once this one was handled: two sent while the
		 * thread is in one handler are one pending signal (a late
		 * sender on a loaded machine did that) */
		for (int ms = 0; ms < 2000 && rs_hits < i; ms++)
			usleep(1000);
	}
	pthread_join(th, NULL);
	printf("resend: %d signals, %d handled, %d outside the program (last at %p)\n", n,
	       rs_hits, rs_outside, rs_rip);
	return rs_hits != n || rs_outside;
}

/* ---- fork --------------------------------------------------------------- */

static volatile int stop_toucher;

static void atfork_map(void)
{
	void *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED)
		munmap(p, 65536);
}

static void *toucher(void *unused)
{
	(void)unused;
	for (uint32_t i = 0; !stop_toucher; i++)
		dev[64 + (i & 63)] = (uint8_t)i;
	return NULL;
}

static int forks(int n)
{
	pthread_t th;

	dev = map_dev(4096);
	pthread_atfork(atfork_map, atfork_map, atfork_map);
	pthread_create(&th, NULL, toucher, NULL);
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		int st;

		if (p == 0) {
			dev[8] = 1;
			_exit(dev[8] == 1 ? 0 : 1);
		}
		if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "fork %d failed\n", i);
			return 1;
		}
	}
	stop_toucher = 1;
	pthread_join(th, NULL);
	printf("forks: %d\n", n);
	return 0;
}

/* ---- atfork handlers that touch the device ---------------------------------- */

static volatile int atfork_dev;

static void dev_prepare(void)
{
	if (!atfork_dev)
		return;
	atfork_map(); /* munmap: the runtime's lock, already held */
	dev[16] = 0x11;
}

static void dev_parent(void)
{
	if (atfork_dev)
		dev[17] = 0x22;
}

static void dev_child(void)
{
	if (atfork_dev)
		dev[18] = (uint8_t)(dev[16] + 0x22); /* R 0x10 0x11, W 0x12 0x33 */
}

/* Before any library's constructor, the preloaded runtime's included. */
static void register_early(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	pthread_atfork(dev_prepare, dev_parent, dev_child);
}
__attribute__((section(".preinit_array"), used))
static void (*const early[])(int, char **, char **) = { register_early };

static int atfork_touch(int n)
{
	pthread_t th;

	dev = map_dev(4096);
	atfork_dev = 1;
	stop_toucher = 0;
	pthread_create(&th, NULL, toucher, NULL);
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		int st;

		if (p == 0)
			_exit(dev[18] == 0x33 ? 0 : 1);
		if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "fork %d failed\n", i);
			return 1;
		}
	}
	stop_toucher = 1;
	pthread_join(th, NULL);
	printf("atfork: %d\n", n);
	return 0;
}

/* ---- churn, daemon, ignore ------------------------------------------------ */

static int churn(long n)
{
	dev = map_dev(4096);
	for (long i = 0; i < n; i++)
		dev[i & 4095] = (uint8_t)i;
	printf("done\n");
	return 0;
}

static int daemon_child(void)
{
	pid_t p;

	dev = map_dev(4096);
	p = fork();
	if (p == 0) {
		setsid();
		for (uint32_t i = 0;; i++) {
			dev[i & 4095] = (uint8_t)i;
			if (!(i & 1023))
				usleep(1000);
		}
	}
	dev[0] = 1;
	printf("%d\n", (int)p);
	return 0;
}

static __attribute__((noreturn)) int ignore(void)
{
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	dev = map_dev(4096);
	printf("%d\n", (int)getpid());
	fflush(stdout);
	for (uint32_t i = 0;; i++) {
		dev[i & 4095] = (uint8_t)i;
		if (!(i & 1023))
			usleep(1000);
	}
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(m, "faults"))
		return faults();
	if (!strcmp(m, "denied"))
		return denied();
	if (!strcmp(m, "mapids"))
		return mapids(argc > 2 ? atol(argv[2]) : 70000);
	if (!strcmp(m, "vanish-many"))
		return vanish_many(argc > 2 ? atol(argv[2]) : 2000);
	if (!strcmp(m, "vanish"))
		return vanish(argc > 2 ? atol(argv[2]) : 20000);
	if (!strcmp(m, "nohandler"))
		return nohandler();
	if (!strcmp(m, "sigbus"))
		return sigbus();
	if (!strcmp(m, "sigbus-nohandler"))
		return sigbus_nohandler();
	if (!strcmp(m, "resend"))
		return resend(argc > 2 ? atoi(argv[2]) : 10);
	if (!strcmp(m, "fork"))
		return forks(argc > 2 ? atoi(argv[2]) : 50);
	if (!strcmp(m, "atfork"))
		return atfork_touch(argc > 2 ? atoi(argv[2]) : 20);
	if (!strcmp(m, "churn"))
		return churn(argc > 2 ? atol(argv[2]) : 1000000);
	if (!strcmp(m, "daemon"))
		return daemon_child();
	if (!strcmp(m, "ignore"))
		return ignore();
	fprintf(stderr, "usage: e2e_trust faults|denied|mapids [N]|vanish [N]|vanish-many [N]|nohandler|sigbus|sigbus-nohandler|resend [N]|fork [N]|atfork [N]|churn [N]|daemon|ignore\n");
	return 2;
}
