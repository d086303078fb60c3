// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * sud.c - system calls while pages are watched (Syscall User Dispatch).
 *
 * A watched page is PROT_NONE: the kernel's own access to it (a futex
 * word, a read() buffer) would fail with EFAULT instead of faulting into
 * the handler. So while a watch is armed every system call of every thread
 * traps (prctl(PR_SET_SYSCALL_USER_DISPATCH), Linux 5.11+, x86-64): the
 * kernel sends SIGSYS instead of running it, and on_sys() looks at it.
 *
 * - Most calls have no pointer into a watched page (a lock-free look at
 *   the table of watch pages, sysptr.c): they are run by the program
 *   itself. The handler points the context's RIP at a trampoline made for
 *   that call site, "syscall; jmp back", in the exempt range (the only
 *   addresses whose system calls do not trap), and returns: sigreturn
 *   puts back every register and the signal mask, the call runs in the
 *   program's own context (restart after a signal, clone's child on its
 *   new stack, vfork, rt_sigreturn of the program's handlers: all as
 *   without us), and jumps back to the instruction after the program's.
 * - Calls with a pointer into a watched page are run by the handler from
 *   the exempt range (sysptr.c): futex on the page's alias, data buffers
 *   through a bounce buffer, the kernel's accesses recorded.
 * - SIGSYS must never be blocked while calls trap (a blocked SIGSYS kills:
 *   the kernel forces it): masks the program sets (rt_sigprocmask,
 *   sigaction's sa_mask, rt_sigreturn's frame, sigsuspend) lose SIGSYS.
 *
 * Dispatch is per thread and not inherited by clone, fork or exec: each
 * thread turns it on itself (pthread_create and thrd_create below wrap the
 * start routine; threads libc makes otherwise (timer_create's SIGEV_THREAD,
 * mq_notify) and raw clone()s do not;
 * threads running when the first watch is armed are asked by a queued
 * SIGSYS), and a new program after exec runs untraced, as it should. The
 * switch (the selector) is one byte for the whole process: "block" while
 * at least one watch page is armed, "allow" otherwise; before the first
 * watch nothing is turned on at all.
 */
#include "internal.h"

#include <errno.h>
#include <linux/audit.h>
#include <pthread.h>
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_ON 1
#endif
#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2
#endif
#define SEL_ALLOW 0
#define SEL_BLOCK 1
#define SA_RESTORER_FLAG 0x04000000
#define SIGSYS_BIT (1ull << (SIGSYS - 1))
#define ENABLE_MAGIC 0x6d6d7364 /* si_value of the queued "turn it on" */


/* The code copied into the exempt range: a raw system call of up to six
 * arguments (C calling convention) and the restorer of on_sys(). */
__asm__(".pushsection .text\n"
	".p2align 4\n"
	"mt_sud_code_begin:\n"
	"	endbr64\n"
	"	movq %rdi, %rax\n"
	"	movq %rsi, %rdi\n"
	"	movq %rdx, %rsi\n"
	"	movq %rcx, %rdx\n"
	"	movq %r8, %r10\n"
	"	movq %r9, %r8\n"
	"	movq 8(%rsp), %r9\n"
	"	syscall\n"
	"	ret\n"
	"mt_sud_restorer_code:\n"
	"	movq $15, %rax\n"
	"	syscall\n"
	"	hlt\n"
	"mt_sud_code_end:\n"
	".popsection\n");
extern const char mt_sud_code_begin[] MT_HIDDEN, mt_sud_restorer_code[] MT_HIDDEN,
	mt_sud_code_end[] MT_HIDDEN;

#define STUB_SIZE (64u * 1024)
#define TRAMP0 256u            /* trampolines start here */
#define TRAMP_SIZE 16u
#define NSITES ((STUB_SIZE - TRAMP0) / TRAMP_SIZE)
#define HASH 8192u             /* > 2 * NSITES */

MT_HIDDEN volatile char mt_sud_selector = SEL_ALLOW;
MT_HIDDEN int mt_sud_active;       /* turned on in this process */
MT_HIDDEN long (*mt_sud_raw)(long, long, long, long, long, long, long);
static uint8_t *stub_x, *stub_w;   /* the exempt range, and a writable view */
static void (*restorer)(void);
static int sud_failed;
static __thread int thread_on __attribute__((tls_model("initial-exec")));
static int nacks;

/* Call sites: the return address -> its trampoline (an open hash, slots
 * written under site_lock, read without it: ret published last). */
static struct site {
	uint64_t ret;
	uint32_t off;
} sites[HASH];
static int nsites, site_lock;

static uint8_t *tramp_for(uint64_t ret, const uint8_t insn[2])
{
	uint32_t h = (uint32_t)((ret * 0x9e3779b97f4a7c15ull) >> 51) & (HASH - 1);
	for (uint32_t i = 0; i < HASH; i++) {
		struct site *s = &sites[(h + i) & (HASH - 1)];
		uint64_t r = __atomic_load_n(&s->ret, __ATOMIC_ACQUIRE);
		if (r == ret)
			return stub_x + s->off;
		if (r)
			continue;
		/* not there: add it (async signals are blocked here) */
		while (__atomic_exchange_n(&site_lock, 1, __ATOMIC_ACQUIRE))
			;
		uint8_t *t = NULL;
		int taken = __atomic_load_n(&s->ret, __ATOMIC_ACQUIRE) != 0;
		if (!taken && nsites >= (int)NSITES) {
			__atomic_store_n(&site_lock, 0, __ATOMIC_RELEASE);
			return NULL; /* the table is full */
		}
		if (!taken) {
			uint32_t off = TRAMP0 + (uint32_t)nsites++ * TRAMP_SIZE;
			uint8_t *w = stub_w + off;
			w[0] = insn[0]; /* syscall (0f 05) or int $0x80 (cd 80) */
			w[1] = insn[1];
			w[2] = 0xff;    /* jmp *0(%rip) */
			w[3] = 0x25;
			memset(w + 4, 0, 4);
			memcpy(w + 8, &ret, 8);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			s->off = off;
			__atomic_store_n(&s->ret, ret, __ATOMIC_RELEASE);
			t = stub_x + off;
		}
		__atomic_store_n(&site_lock, 0, __ATOMIC_RELEASE);
		if (t)
			return t;
		if (__atomic_load_n(&s->ret, __ATOMIC_ACQUIRE) == ret)
			return stub_x + s->off;
		/* another site took the slot meanwhile: probe on */
	}
	return NULL;
}

/* Run the trapped call as the program would have: from its trampoline,
 * once this handler returned. 0 if there is none (then: in the handler). */
static int run_native(ucontext_t *uc, long nr)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uint64_t ret = (uint64_t)g[REG_RIP];
	/* the instruction just ran: its bytes are there (no mt_tls_get()
	 * here: its mmap is a trapped call, which comes here) */
	const volatile uint8_t *p = (const volatile uint8_t *)(uintptr_t)(ret - 2);
	uint8_t insn[2] = { p[0], p[1] };
	if (!((insn[0] == 0x0f && insn[1] == 0x05) || (insn[0] == 0xcd && insn[1] == 0x80)))
		return 0;
	uint8_t *tr = tramp_for(ret, insn);
	if (!tr)
		return 0;
	g[REG_RAX] = nr;
	g[REG_RIP] = (greg_t)(uintptr_t)tr;
	return 1;
}

static uint64_t *ctx_mask(ucontext_t *uc)
{
	return (uint64_t *)(void *)&uc->uc_sigmask;
}

/* Run it here, from the exempt range, with the program's signal mask (a
 * blocking call must not hold signals back); a signal meanwhile restarts
 * it there, or makes it return EINTR, as the program's call would. */
MT_HIDDEN long mt_sud_run_here(ucontext_t *uc, long nr, const long a[6])
{
	uint64_t m = *ctx_mask(uc) & ~SIGSYS_BIT, cur = 0;
	mt_sud_raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)&m, (long)&cur, 8, 0, 0);
	long r = mt_sud_raw(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	mt_sud_raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)&cur, 0, 8, 0, 0);
	return r;
}

/* A system call from the runtime's own code: from the exempt range once
 * there is one (no SIGSYS round trip), else libc's. -errno on failure. */
MT_HIDDEN long mt_sud_sys(long nr, long a, long b, long c, long d)
{
	if (mt_sud_raw)
		return mt_sud_raw(nr, a, b, c, d, 0, 0);
	long r = syscall(nr, a, b, c, d);
	return r < 0 ? -errno : r;
}

/* The signals a mask the program sets must not block: SIGSYS (the
 * trapped calls), the faults of the watched pages. */
static uint64_t never_blocked(void)
{
	uint64_t keep = (1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)) | SIGSYS_BIT;
	if (mt_handlers_installed)
		keep |= (1ull << (SIGSEGV - 1)) | (1ull << (SIGBUS - 1)) | (1ull << (SIGTRAP - 1));
	return keep;
}

/* rt_sigprocmask, on the context's mask (what sigreturn puts back). */
static long sigprocmask_emu(ucontext_t *uc, const long a[6])
{
	uint64_t set = 0, *cur = ctx_mask(uc), old = *cur;
	if (a[3] != 8)
		return -EINVAL;
	if (a[1]) {
		if (mt_sysptr_copy(uc, (uintptr_t)a[1], &set, 8, 0))
			return -EFAULT;
		set &= ~never_blocked();
		if (a[0] == SIG_BLOCK)
			*cur |= set;
		else if (a[0] == SIG_UNBLOCK)
			*cur &= ~set;
		else if (a[0] == SIG_SETMASK)
			*cur = set;
		else
			return -EINVAL;
	}
	if (a[2] && mt_sysptr_copy(uc, (uintptr_t)a[2], &old, 8, 1))
		return -EFAULT;
	return 0;
}

int mt_sysptr(ucontext_t *uc, long nr, long a[6], long *res) MT_HIDDEN;

/* A mask argument that blocks SIGSYS: its copy that does not. */
struct mask_copy {
	uint64_t m;
	struct { uint64_t ss, len; } pair; /* pselect6, io_pgetevents: {mask, size} */
};

/* Argument idx of the call, a mask (sigsuspend, ppoll, epoll_pwait,
 * epoll_pwait2) or, if pair, a {mask, size} pair (pselect6,
 * io_pgetevents): if it blocks SIGSYS (or a fault: a handler run during
 * the call may touch a watched page), replaced by a copy that does not
 * (in c). 1 if replaced. */
static int strip_mask_arg(ucontext_t *uc, long a[6], int idx, int pair, struct mask_copy *c)
{
	uintptr_t mp = (uintptr_t)a[idx];
	if (!mp)
		return 0;
	if (pair) {
		if (mt_sysptr_copy(uc, mp, &c->pair, sizeof(c->pair), 0) || c->pair.len != 8)
			return 0;
		mp = (uintptr_t)c->pair.ss;
	}
	if (!mp || mt_sysptr_copy(uc, mp, &c->m, 8, 0) || !(c->m & never_blocked()))
		return 0;
	c->m &= ~never_blocked();
	if (pair) {
		c->pair.ss = (uint64_t)(uintptr_t)&c->m;
		a[idx] = (long)&c->pair;
	} else {
		a[idx] = (long)&c->m;
	}
	return 1;
}

/* A call whose mask loses SIGSYS: run here (with its buffers bounced if
 * they are on a watched page); else as any other. */
static int masked_call(ucontext_t *uc, long nr, long a[6], int idx, int pair, long *res)
{
	struct mask_copy c;
	if (!strip_mask_arg(uc, a, idx, pair, &c))
		return mt_sysptr(uc, nr, a, res);
	if (!mt_sysptr(uc, nr, a, res))
		*res = mt_sud_run_here(uc, nr, a);
	return 1;
}

struct ksigaction {
	long h, flags, restorer;
	uint64_t mask;
};

void mt_prog_sigaction(int sig, const struct sigaction *act, struct sigaction *old) MT_HIDDEN;

/* A raw rt_sigaction of SIGSYS: the program's disposition, kept apart
 * (ours stays), as the sigaction() interposer does. */
static long sigsys_action(ucontext_t *uc, const long a[6])
{
	struct ksigaction k;
	struct sigaction n, o;
	if (a[3] != 8)
		return -EINVAL;
	if (a[1] && mt_sysptr_copy(uc, (uintptr_t)a[1], &k, sizeof(k), 0))
		return -EFAULT;
	memset(&n, 0, sizeof(n));
	if (a[1]) {
		n.sa_handler = (void (*)(int))k.h;
		n.sa_flags = (int)k.flags;
		memcpy(&n.sa_mask, &k.mask, sizeof(k.mask));
	}
	mt_prog_sigaction(SIGSYS, a[1] ? &n : NULL, &o);
	if (a[2]) {
		memset(&k, 0, sizeof(k));
		k.h = (long)o.sa_handler;
		k.flags = o.sa_flags;
		memcpy(&k.mask, &o.sa_mask, sizeof(k.mask));
		if (mt_sysptr_copy(uc, (uintptr_t)a[2], &k, sizeof(k), 1))
			return -EFAULT;
	}
	return 0;
}

/* rt_sigaction with SIGSYS in sa_mask: a copy without it. */
static int strip_sigaction(ucontext_t *uc, long nr, long a[6], long *res)
{
	struct mt_tls *t = mt_tls_get();
	struct ksigaction ka;
	if (a[0] == SIGSYS) {
		*res = sigsys_action(uc, a);
		return 1;
	}
	if (!a[1] || !t || mt_safe_copy(t, &ka, (const void *)a[1], sizeof(ka)) ||
	    !(ka.mask & SIGSYS_BIT))
		return 0;
	ka.mask &= ~(SIGSYS_BIT | (1ull << (SIGSEGV - 1)) | (1ull << (SIGBUS - 1)) |
		     (1ull << (SIGTRAP - 1)));
	a[1] = (long)&ka;
	*res = mt_sud_run_here(uc, nr, a);
	return 1;
}

/* The program's rt_sigreturn: the frame's mask loses SIGSYS (the frame's
 * ucontext is at the stack pointer of the restorer's system call). */
static void strip_frame(ucontext_t *uc)
{
	struct mt_tls *t = mt_tls_get();
	ucontext_t *f = (ucontext_t *)(uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
	uint64_t m;
	if (t && !mt_safe_copy(t, &m, &f->uc_sigmask, 8) && (m & SIGSYS_BIT)) {
		m &= ~SIGSYS_BIT;
		mt_safe_copy(t, &f->uc_sigmask, &m, 8);
	}
}

static void enable_thread(void)
{
	if (thread_on || !stub_x)
		return;
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, (unsigned long)stub_x,
		  (unsigned long)STUB_SIZE, &mt_sud_selector) == 0)
		thread_on = 1;
}

void mt_chain_signal(int sig, siginfo_t *si, ucontext_t *uc) MT_HIDDEN;
int mt_is_taken_signal(int sig) MT_HIDDEN;

/* The calls looked at: masks (SIGSYS out of them) and pointers into
 * watched pages (sysptr.c). 1 if run here (*res its result). */
static int run_special(ucontext_t *uc, long nr, long a[6], long *res)
{
	switch (nr) {
	case SYS_rt_sigprocmask:
		*res = sigprocmask_emu(uc, a);
		return 1;
	case SYS_rt_sigaction:
		return strip_sigaction(uc, nr, a, res);
	case SYS_rt_sigsuspend:
		return masked_call(uc, nr, a, 0, 0, res);
	case SYS_ppoll:
		return masked_call(uc, nr, a, 3, 0, res);
	case SYS_epoll_pwait:
	case 441: /* epoll_pwait2 */
		return masked_call(uc, nr, a, 4, 0, res);
	case SYS_pselect6:
		return masked_call(uc, nr, a, 5, 1, res);
	case SYS_io_pgetevents:
		return masked_call(uc, nr, a, 5, 1, res);
	default:
		return mt_sysptr(uc, nr, a, res);
	}
}

static void on_sys(int sig, siginfo_t *si, void *ucv)
{
	int saved_errno = errno;
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	if (si->si_code == SI_QUEUE && si->si_value.sival_int == ENABLE_MAGIC &&
	    si->si_pid == mt_pid) {
		enable_thread();
		__atomic_fetch_add(&nacks, 1, __ATOMIC_SEQ_CST);
		goto out;
	}
	if (si->si_code != SYS_USER_DISPATCH) {
		mt_chain_signal(sig, si, uc);
		goto out;
	}
	if (si->si_arch != AUDIT_ARCH_X86_64) {
		/* int $0x80 (i386 numbers): run as it is, not looked at */
		if (!run_native(uc, si->si_syscall))
			g[REG_RAX] = -ENOSYS;
		goto out;
	}
	long nr = si->si_syscall, res = 0;
	long a[6] = { g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9] };
	if (nr == SYS_rt_sigreturn) {
		/* the program's restorer: ours does the same from the exempt
		 * range, on the same stack (no trampoline needed) */
		strip_frame(uc);
		g[REG_RAX] = nr;
		g[REG_RIP] = (greg_t)(uintptr_t)restorer;
		goto out;
	}
	int done = run_special(uc, nr, a, &res);
	if (!done && !run_native(uc, nr)) {
		if (nr == SYS_clone || nr == SYS_clone3 || nr == SYS_vfork || nr == SYS_fork)
			res = -ENOMEM; /* cannot be run from here; the table is full */
		else
			res = mt_sud_run_here(uc, nr, a);
		done = 1;
	}
	if (done)
		g[REG_RAX] = res;
out:
	errno = saved_errno;
}

/* ---- turning it on -------------------------------------------------------------- */

static int setup(void)
{
	int fd = (int)syscall(SYS_memfd_create, "mmiotap-sud", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, STUB_SIZE) < 0) {
		close(fd);
		return -EIO;
	}
	void *w = mt_real.mmap(NULL, STUB_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	void *x = mt_real.mmap(NULL, STUB_SIZE, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	close(fd);
	if (w == MAP_FAILED || x == MAP_FAILED) {
		if (w != MAP_FAILED)
			mt_real.munmap(w, STUB_SIZE);
		if (x != MAP_FAILED)
			mt_real.munmap(x, STUB_SIZE);
		return -ENOMEM;
	}
	memcpy(w, mt_sud_code_begin, (size_t)(mt_sud_code_end - mt_sud_code_begin));
	stub_w = w;
	stub_x = x;
	mt_sud_raw = (long (*)(long, long, long, long, long, long, long))(void *)stub_x;
	restorer = (void (*)(void))(void *)(stub_x + (mt_sud_restorer_code - mt_sud_code_begin));
	return 0;
}

/* Our SIGSYS handler, with our restorer (glibc's would trap). Again in a
 * child of fork that watches: the program may have set its own there. */
static int install(void)
{
	struct { void *h; unsigned long flags; void *restorer; uint64_t mask; } ka, old;
	ka.h = (void *)on_sys;
	ka.flags = SA_SIGINFO | SA_NODEFER | SA_RESTART | SA_RESTORER_FLAG;
	ka.restorer = (void *)restorer;
	ka.mask = ~0ull & ~(SIGSYS_BIT | (1ull << (SIGSEGV - 1)) | (1ull << (SIGBUS - 1)) |
			    (1ull << (SIGTRAP - 1)) | (1ull << (SIGILL - 1)) | (1ull << (SIGFPE - 1)));
	struct sigaction prev;
	mt_real.sigaction(SIGSYS, NULL, &prev);
	mt_prog_sigaction_init(SIGSYS, &prev);
	if (syscall(SYS_rt_sigaction, SIGSYS, &ka, &old, 8) < 0)
		return -errno;
	/* our fault handlers return through our restorer too: glibc's
	 * rt_sigreturn would trap, a second signal for every watched access */
	static const int ours[] = { SIGSEGV, SIGBUS, SIGTRAP };
	for (unsigned i = 0; mt_handlers_installed && i < sizeof(ours) / sizeof(ours[0]); i++) {
		if (syscall(SYS_rt_sigaction, ours[i], NULL, &old, 8) < 0 || !old.h ||
		    old.h == (void *)SIG_IGN)
			continue;
		old.flags |= SA_RESTORER_FLAG;
		old.restorer = (void *)restorer;
		syscall(SYS_rt_sigaction, ours[i], &old, NULL, 8);
	}
	return 0;
}

/* Handlers the program set before: SIGSYS (and the faults) out of their masks. */
static void strip_old_masks(void)
{
	for (int s = 1; s < NSIG; s++) {
		struct sigaction sa;
		if (s == SIGKILL || s == SIGSTOP || s == SIGSYS || mt_is_taken_signal(s) ||
		    mt_real.sigaction(s, NULL, &sa) < 0)
			continue;
		if (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN && mt_sync_in(&sa.sa_mask)) {
			mt_sync_drop(&sa.sa_mask);
			mt_real.sigaction(s, &sa, NULL);
		}
	}
}

static void warn(const char *m)
{
	(void)!write(2, m, strlen(m));
}

/* /proc/self/task/TID/NAME into buf (n bytes, NUL-terminated); "" if not. */
static void task_file(pid_t tid, const char *name, char *buf, size_t n)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", (int)tid, name);
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	ssize_t k = fd < 0 ? 0 : read(fd, buf, n - 1);
	if (fd >= 0)
		close(fd);
	buf[k > 0 ? k : 0] = 0;
}

/* Whether thread tid blocks SIGSYS (its SigBlk), or waits for it in
 * sigwaitinfo() (rt_sigtimedwait, its set holding SIGSYS): the queued
 * SIGSYS would stay pending there, or be taken by the program. */
static int blocks_sigsys(pid_t tid)
{
	char buf[2048];
	task_file(tid, "status", buf, sizeof(buf));
	const char *b = strstr(buf, "\nSigBlk:");
	if (b && (strtoull(b + 8, NULL, 16) & SIGSYS_BIT))
		return 1;
	task_file(tid, "syscall", buf, sizeof(buf));
	char *e;
	if (strtol(buf, &e, 10) != SYS_rt_sigtimedwait || *e != ' ')
		return 0;
	uint64_t set = 0, a0 = strtoull(e + 1, NULL, 16);
	struct mt_tls *t = mt_tls_get();
	return !a0 || !t || mt_safe_copy(t, &set, (const void *)(uintptr_t)a0, 8) ||
	       (set & SIGSYS_BIT);
}

/* The other threads of this process, asked to turn it on (a queued
 * SIGSYS); waits up to a second for their answers. Threads that block
 * SIGSYS are not asked (said once). */
static void enable_others(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int sent = 0, skipped = 0;
	pid_t self = (pid_t)mt_gettid();
	__atomic_store_n(&nacks, 0, __ATOMIC_SEQ_CST);
	while (d && (de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);
		if (tid <= 0 || tid == self)
			continue;
		if (blocks_sigsys(tid)) {
			skipped++;
			continue;
		}
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		si.si_signo = SIGSYS;
		si.si_code = SI_QUEUE;
		si.si_pid = mt_pid;
		si.si_uid = getuid();
		si.si_value.sival_int = ENABLE_MAGIC;
		if (syscall(SYS_rt_tgsigqueueinfo, mt_pid, tid, SIGSYS, &si) == 0)
			sent++;
	}
	if (d)
		closedir(d);
	for (int i = 0; i < 1000 && __atomic_load_n(&nacks, __ATOMIC_SEQ_CST) < sent; i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	if (skipped)
		warn("mmiotap: watch: a thread blocks SIGSYS (sigwait?): it was not asked to "
		     "trap its system calls; those on watched pages fail with EFAULT\n");
	if (__atomic_load_n(&nacks, __ATOMIC_SEQ_CST) < sent)
		warn("mmiotap: watch: a thread did not answer (SIGSYS blocked?): its system "
			 "calls on watched pages fail with EFAULT\n");
}

/* Before the first watch is armed (normal context, lock not held). */
MT_HIDDEN void mt_sud_activate(void)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	if (__atomic_load_n(&mt_sud_active, __ATOMIC_ACQUIRE)) {
		enable_thread();
		return;
	}
	pthread_mutex_lock(&mu);
	if (!mt_sud_active && !sud_failed) {
		int rc = stub_x ? 0 : setup();
		if (rc == 0)
			rc = install();
		if (rc == 0 && prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
				     (unsigned long)stub_x, (unsigned long)STUB_SIZE,
				     &mt_sud_selector) == 0) {
			thread_on = 1;
			strip_old_masks();
			__atomic_store_n(&mt_sud_active, 1, __ATOMIC_SEQ_CST);
			enable_others();
		} else {
			sud_failed = 1;
			warn("mmiotap: watch: no syscall user dispatch (Linux 5.11+): system "
				 "calls given a pointer into a watched page fail with EFAULT\n");
		}
	}
	pthread_mutex_unlock(&mu);
}

/* sysptr.c: the first watch page armed, the last one gone (lock held). */
MT_HIDDEN void mt_sud_block(int on)
{
	if (mt_sud_active)
		__atomic_store_n(&mt_sud_selector, on ? SEL_BLOCK : SEL_ALLOW, __ATOMIC_SEQ_CST);
}

MT_HIDDEN int mt_sud_is_active(void)
{
	return __atomic_load_n(&mt_sud_active, __ATOMIC_ACQUIRE);
}

/* The child of fork(): the trampolines, a copy of its own. The memfd is
 * shared with the parent while sites[] is not: both would put their new
 * call sites at the same offsets, each jumping back into the other's code.
 * If that fails, the child's calls do not trap any more (sud_failed). */
static void private_stub(void)
{
	if (!stub_x)
		return;
	int fd = (int)syscall(SYS_memfd_create, "mmiotap-sud", MFD_CLOEXEC);
	size_t done = 0;
	while (fd >= 0 && done < STUB_SIZE) {
		long n = syscall(SYS_pwrite64, fd, stub_w + done, STUB_SIZE - done, (long)done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (done < STUB_SIZE ||
	    mt_real.mmap(stub_w, STUB_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
			 0) == MAP_FAILED ||
	    mt_real.mmap(stub_x, STUB_SIZE, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED, fd,
			 0) == MAP_FAILED) {
		/* stub_x keeps the code at its start (never written again):
		 * the runtime's own raw calls still work */
		sud_failed = 1;
	}
	if (fd >= 0)
		close(fd);
}

/* The child of fork(): dispatch is not inherited, the watches are gone. */
MT_HIDDEN void mt_sud_fork_child(void)
{
	private_stub();
	thread_on = 0;
	mt_sud_active = 0;
	mt_sud_selector = SEL_ALLOW;
	site_lock = 0; /* if a thread of the parent held it */
}

/* ---- threads ---------------------------------------------------------------------- */

struct start {
	void *(*fn)(void *);
	void *arg;
};

static void *thread_start(void *p)
{
	struct start s = *(struct start *)p;
	free(p);
	if (__atomic_load_n(&mt_sud_active, __ATOMIC_SEQ_CST))
		enable_thread();
	return s.fn(s.arg);
}

MT_EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *),
			     void *arg)
{
	static int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
	if (!real)
		real = (int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))
			dlsym(RTLD_NEXT, "pthread_create");
	if (!real)
		return EAGAIN;
	struct start *s = malloc(sizeof(*s));
	if (!s)
		return real(th, attr, fn, arg);
	s->fn = fn;
	s->arg = arg;
	int rc = real(th, attr, thread_start, s);
	if (rc)
		free(s);
	return rc;
}

/* C11 threads: glibc's thrd_create calls its pthread_create directly (not
 * through the interposed symbol). */
struct cstart {
	thrd_start_t fn;
	void *arg;
};

static int cthread_start(void *p)
{
	struct cstart s = *(struct cstart *)p;
	free(p);
	if (__atomic_load_n(&mt_sud_active, __ATOMIC_SEQ_CST))
		enable_thread();
	return s.fn(s.arg);
}

MT_EXPORT int thrd_create(thrd_t *th, thrd_start_t fn, void *arg)
{
	static int (*real)(thrd_t *, thrd_start_t, void *);
	if (!real)
		real = (int (*)(thrd_t *, thrd_start_t, void *))dlsym(RTLD_NEXT, "thrd_create");
	if (!real)
		return thrd_error;
	struct cstart *s = malloc(sizeof(*s));
	if (!s)
		return real(th, fn, arg);
	s->fn = fn;
	s->arg = arg;
	int rc = real(th, cthread_start, s);
	if (rc != thrd_success)
		free(s);
	return rc;
}
