// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tracer.c - the out-of-process tracer (see mt_ptrace.h and
 * docs/man/mmiotap-ptrace.7).
 *
 * One access, from the tracer's side:
 *   tracee touches a traced page (kept PROT_NONE)  -> SIGSEGV signal-delivery-stop
 *   PTRACE_GETSIGINFO: si_addr inside a region of this address space?
 *   PTRACE_GETREGS, instruction bytes with process_vm_readv (code is normal memory)
 *   mt_emulate(): device bytes through the tracer's own alias mapping of the
 *     same file range (never PEEK/POKE: the tracee's page is PROT_NONE and
 *     PEEKDATA would split 8-byte device reads), normal memory through
 *     process_vm_readv/writev, vectors through NT_X86_XSTATE, displaced
 *     vector ALU, x87 and MMX forms run in the tracer itself (mt_xrun) on
 *     the tracee's register and x87 state
 *   PTRACE_SETREGS (+ SETREGSET if vectors changed), resume with signal 0.
 *
 * Protections are changed by making the tracee itself run mprotect: its
 * registers are saved, pointed at a `syscall` instruction of its vDSO and
 * single-stepped (or, at a syscall-entry stop, the pending syscall is
 * replaced and restarted afterwards).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cpuid.h>
#include <elf.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mmiotap/xrun.h"
#include "pt_int.h"

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif
#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PAGE 4096ull
#define PAGE_UP(x) (((x) + PAGE - 1) & ~(PAGE - 1))
#define PAGE_DOWN(x) ((x) & ~(PAGE - 1))

/* ---- session state ---------------------------------------------------------- */

static struct {
	const struct mt_ptrace_opts *o;
	int defaults;
	int seccomp;
	struct pt_task *tasks;
	pid_t main_pid;
	int main_status;
	struct mt_ptrace_stats st;
	/* XSAVE standard-format layout (CPUID leaf 0xd), read once */
	size_t xs_size;
	unsigned xoff[8];
	uint8_t *xs_buf;
} S;

static volatile pid_t g_tracer_tid;
/* who takes the ring's order lock (the tracer thread; see mt_ring_lock) */
static uint32_t ring_pid, ring_tid;
/* Wakes the tracer thread out of waitpid: empty handler, no SA_RESTART. */
#define MT_WAKE_SIG SIGURG
static void wake_handler(int sig)
{
	(void)sig;
}
#define MAX_DETACH_REQ 16
static volatile sig_atomic_t g_detach_n;
static volatile pid_t g_detach_pid[MAX_DETACH_REQ];
static volatile sig_atomic_t g_detach_all;

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
	if (!S.o || !S.o->log)
		return;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	S.o->log(S.o->log_arg, buf);
}

void mt_ptrace_request_detach(pid_t pid)
{
	if (pid <= 0) {
		g_detach_all = 1;
	} else {
		int n = __atomic_fetch_add(&g_detach_n, 1, __ATOMIC_SEQ_CST);
		if (n < MAX_DETACH_REQ)
			g_detach_pid[n] = pid;
		else
			g_detach_all = 1;
	}
	/* interrupt the tracer's waitpid (a periodic timer covers the case
	 * where this lands just before it blocks) */
	pid_t t = g_tracer_tid;
	if (t > 0)
		syscall(SYS_tgkill, getpid(), t, MT_WAKE_SIG);
}

pid_t mt_ptrace_tracer_tid(void)
{
	return g_tracer_tid;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- tasks and address spaces ------------------------------------------------------ */

static struct pt_task *task_find(pid_t tid)
{
	struct pt_task **pp = &S.tasks;
	for (struct pt_task *t = S.tasks; t; pp = &t->next, t = t->next) {
		if (t->tid == tid) {
			if (pp != &S.tasks) { /* move to front: hot tasks stay cheap */
				*pp = t->next;
				t->next = S.tasks;
				S.tasks = t;
			}
			return t;
		}
	}
	return NULL;
}

static struct pt_task *task_new(pid_t tid, struct pt_mm *mm, pid_t tgid)
{
	struct pt_task *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->tid = tid;
	t->tgid = tgid;
	t->mm = mm;
	if (mm)
		mm->refs++;
	t->stop = PT_RUNNING;
	t->cpu = -1;
	t->cpu_stale = 1;
	t->next = S.tasks;
	S.tasks = t;
	return t;
}

static int rmem_read(pid_t pid, uint64_t addr, void *buf, size_t n);

/*
 * CPU the stopped task last ran on (where the access it stopped for was
 * made), read once per stop. Cheap way: the cpu_id field of the thread's
 * rseq area (glibc 2.35+ registers one for every thread; the kernel
 * updates it before every return to user space on a new CPU), located once
 * with PTRACE_GET_RSEQ_CONFIGURATION and read with process_vm_readv
 * (~0.3 us). Otherwise field 39 (processor) of /proc/TID/stat, with one
 * pread on a descriptor kept per task (~4 us: the kernel formats the whole
 * line). -1 if unknown.
 */
static int task_cpu(struct pt_task *t)
{
	if (!t->cpu_stale)
		return t->cpu;
	t->cpu_stale = 0;
	t->cpu = -1;
	if (!t->rseq_cpu) {
		struct __ptrace_rseq_configuration rc;
		memset(&rc, 0, sizeof(rc));
		if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION, t->tid, (void *)sizeof(rc), &rc) > 0 &&
		    rc.rseq_abi_pointer)
			t->rseq_cpu = rc.rseq_abi_pointer + 4; /* struct rseq.cpu_id */
	}
	if (t->rseq_cpu) {
		int32_t id;
		if (rmem_read(t->tid, t->rseq_cpu, &id, sizeof(id)) == 0 && id >= 0)
			return t->cpu = id;
		t->rseq_cpu = 0;
	}
	if (t->stat_fd == 0) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/stat", (int)t->tid);
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		t->stat_fd = fd < 0 ? -1 : fd + 1;
	}
	if (t->stat_fd < 0)
		return -1;
	char buf[1024];
	ssize_t n = pread(t->stat_fd - 1, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *q = strrchr(buf, ')'); /* the command name may hold spaces */
	if (!q)
		return -1;
	q++;
	for (int field = 2; field < 39; field++) {
		q = strchr(q, ' ');
		if (!q)
			return -1;
		q++;
	}
	t->cpu = atoi(q);
	return t->cpu;
}

static struct pt_mm *mm_new(pid_t tgid)
{
	struct pt_mm *mm = calloc(1, sizeof(*mm));
	if (!mm)
		return NULL;
	mm->tgid = tgid;
	mt_dcache_init(&mm->dc, mm->slots, PT_DCACHE_SLOTS);
	return mm;
}

static void alias_put(struct pt_alias *al)
{
	if (al && --al->refs == 0) {
		munmap(al->base, al->len);
		free(al);
	}
}

static void region_free(struct pt_region *r)
{
	alias_put(r->al);
	free(r->path);
}

static void mm_put(struct pt_mm *mm)
{
	if (!mm || --mm->refs > 0)
		return;
	for (int i = 0; i < mm->nreg; i++)
		region_free(&mm->reg[i]);
	free(mm->reg);
	free(mm);
}

static void task_del(struct pt_task *t)
{
	for (struct pt_task **pp = &S.tasks; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	mm_put(t->mm);
	if (t->stat_fd > 0)
		close(t->stat_fd - 1);
	free(t);
}

static struct pt_region *region_find(struct pt_mm *mm, uint64_t a)
{
	for (int i = 0; i < mm->nreg; i++)
		if (a >= mm->reg[i].start && a < mm->reg[i].end)
			return &mm->reg[i];
	return NULL;
}

static int overlaps(struct pt_mm *mm, uint64_t a, uint64_t len)
{
	uint64_t b = a + PAGE_UP(len);
	for (int i = 0; i < mm->nreg; i++)
		if (mm->reg[i].start < b && a < mm->reg[i].end)
			return 1;
	return 0;
}

static struct pt_region *region_slot(struct pt_mm *mm)
{
	if (mm->nreg == mm->capreg) {
		int nc = mm->capreg ? mm->capreg * 2 : 8;
		struct pt_region *n = realloc(mm->reg, (size_t)nc * sizeof(*n));
		if (!n)
			return NULL;
		mm->reg = n;
		mm->capreg = nc;
	}
	struct pt_region *r = &mm->reg[mm->nreg++];
	memset(r, 0, sizeof(*r));
	return r;
}

/* ---- waiting --------------------------------------------------------------------------- */

/* Wait for a stop or the end of one task. Returns the waitpid status or
 * -errno. */
static int wait_task(pid_t tid)
{
	for (;;) {
		int st;
		pid_t p = waitpid(tid, &st, __WALL);
		if (p == tid)
			return st;
		if (p < 0 && errno != EINTR)
			return -errno;
	}
}

static int is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* Classify a stop into t->stop (PT_STOP_*). */
static void classify(struct pt_task *t, int status)
{
	if (!WIFSTOPPED(status)) {
		t->stop = PT_DEAD;
		return;
	}
	int ev = (unsigned)status >> 16, sig = WSTOPSIG(status);
	if (ev == PTRACE_EVENT_SECCOMP) {
		t->stop = PT_STOP_SC_ENTRY;
	} else if (ev) {
		t->stop = PT_STOP_EVENT;
	} else if (sig == (SIGTRAP | 0x80)) {
		struct __ptrace_syscall_info si;
		memset(&si, 0, sizeof(si));
		ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof(si), &si);
		t->stop = si.op == PTRACE_SYSCALL_INFO_EXIT ? PT_STOP_SC_EXIT : PT_STOP_SC_ENTRY;
	} else {
		t->stop = PT_STOP_SIG;
	}
}

static void defer_signal(struct pt_task *t, int sig)
{
	if (t->ndeferred < (int)(sizeof(t->deferred_sig) / sizeof(t->deferred_sig[0])))
		t->deferred_sig[t->ndeferred++] = sig;
}

/* Queue signals that arrived while we ran something in the tracee: they are
 * delivered (and reported to us) at the next resume. Their siginfo is lost. */
static void requeue_deferred(struct pt_task *t)
{
	for (int i = 0; i < t->ndeferred; i++)
		syscall(SYS_tgkill, t->tgid, t->tid, t->deferred_sig[i]);
	t->ndeferred = 0;
}

/* Wait for u's next stop and keep it, classified, as u's pending status;
 * -1 (u marked PT_DEAD) when u is gone. */
static int take_stop(struct pt_task *u)
{
	int st = wait_task(u->tid);
	if (st < 0) {
		u->stop = PT_DEAD;
		return -1;
	}
	u->have_pending = 1;
	u->pending_status = st;
	classify(u, st);
	return 0;
}

/* Wait for the PTRACE_INTERRUPT stop of every task marked interrupted (1)
 * and keep it as its pending status for the main loop; the task is then
 * marked 2 (collected, still "interrupted" for resume_others). */
static void collect_interrupt_stops(void)
{
	for (struct pt_task *u = S.tasks; u; u = u->next) {
		if (u->interrupted != 1)
			continue;
		u->interrupted = 2;
		take_stop(u);
	}
}

/* Stop every running task of mm except `except`; their stops are kept as
 * pending statuses for the main loop (the PTRACE_INTERRUPT stop is dropped
 * by resume_others). */
static void stop_others(struct pt_mm *mm, struct pt_task *except)
{
	for (struct pt_task *u = S.tasks; u; u = u->next) {
		u->interrupted = 0;
		if (u->mm != mm || u == except || u->stop != PT_RUNNING || u->have_pending)
			continue;
		if (ptrace(PTRACE_INTERRUPT, u->tid, 0, 0) == 0)
			u->interrupted = 1;
	}
	collect_interrupt_stops();
}

static int resume(struct pt_task *t, int sig);

static void resume_others(struct pt_mm *mm)
{
	for (struct pt_task *u = S.tasks; u; u = u->next) {
		if (u->mm != mm || !u->interrupted)
			continue;
		u->interrupted = 0;
		if (u->have_pending && WIFSTOPPED(u->pending_status) &&
		    (unsigned)u->pending_status >> 16 == PTRACE_EVENT_STOP &&
		    !is_stop_signal(WSTOPSIG(u->pending_status))) {
			u->have_pending = 0;
			resume(u, 0);
		}
	}
}

static int resume(struct pt_task *t, int sig)
{
	int req = PTRACE_CONT;
	if (!S.seccomp || t->sc_pending)
		req = PTRACE_SYSCALL;
	if (ptrace(req, t->tid, 0, (void *)(long)sig) < 0)
		return -errno;
	t->stop = PT_RUNNING;
	t->cpu_stale = 1;
	return 0;
}

/* ---- memory of the tracee ------------------------------------------------------------- */

static int rmem_read(pid_t pid, uint64_t addr, void *buf, size_t n)
{
	struct iovec l = { buf, n }, r = { (void *)(uintptr_t)addr, n };
	ssize_t k = process_vm_readv(pid, &l, 1, &r, 1, 0);
	return k == (ssize_t)n ? 0 : -EFAULT;
}

static int rmem_write(pid_t pid, uint64_t addr, const void *buf, size_t n)
{
	struct iovec l = { (void *)buf, n }, r = { (void *)(uintptr_t)addr, n };
	ssize_t k = process_vm_writev(pid, &l, 1, &r, 1, 0);
	return k == (ssize_t)n ? 0 : -EFAULT;
}

/* Find a `syscall` instruction (0f 05) in the tracee: the vDSO has some
 * (its fallbacks), else any executable mapping. */
static int find_sys_insn(struct pt_mm *mm, pid_t tid)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	uint64_t cand[2][2] = { { 0, 0 }, { 0, 0 } }; /* vdso, other r-x */
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a, b;
		char perms[8];
		if (sscanf(line, "%llx-%llx %7s", &a, &b, perms) != 3 || perms[2] != 'x' ||
		    perms[0] != 'r')
			continue;
		if (strstr(line, "[vdso]"))
			cand[0][0] = a, cand[0][1] = b;
		else if (!cand[1][0] && !strstr(line, "[vsyscall]"))
			cand[1][0] = a, cand[1][1] = b;
	}
	fclose(f);
	static uint8_t buf[1 << 16];
	for (int c = 0; c < 2; c++) {
		uint64_t a = cand[c][0], b = cand[c][1];
		if (!a)
			continue;
		for (uint64_t p = a; p < b; p += sizeof(buf) - 1) {
			size_t n = b - p < sizeof(buf) ? (size_t)(b - p) : sizeof(buf);
			if (rmem_read(tid, p, buf, n))
				break;
			for (size_t i = 0; i + 1 < n; i++)
				if (buf[i] == 0x0f && buf[i + 1] == 0x05) {
					mm->sys_insn = p + i;
					return 0;
				}
		}
	}
	return -ENOENT;
}

/* Task t is in the delivery stop of a SIGSEGV that a traced page raised (a
 * fault queued before we stopped it). Such a signal can simply be dropped:
 * the faulting instruction runs again when the task resumes at it, faults
 * again while its page is armed, and works once the page is restored.
 * Re-queueing it with tgkill instead would give the program an SI_TKILL
 * SIGSEGV that is no longer recognised as ours. */
static int own_fault(struct pt_task *t)
{
	siginfo_t si;
	return t->mm && ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) == 0 && si.si_code > 0 &&
	       region_find(t->mm, (uint64_t)(uintptr_t)si.si_addr) != NULL;
}

/* The ptrace event stopped task tid reports (PTRACE_EVENT_*): 0 for a
 * signal-delivery or syscall stop, -1 if unknown. */
static int stop_event(pid_t tid)
{
	siginfo_t si;
	if (ptrace(PTRACE_GETSIGINFO, tid, 0, &si) < 0)
		return -1;
	if (si.si_signo != SIGTRAP || si.si_code <= 0 || (si.si_code & 0xff) != SIGTRAP)
		return 0;
	return si.si_code >> 8;
}

/* 1 if a system call can be run in stopped task t. Not at the events that
 * the kernel reports from inside a system call (clone, fork, vfork,
 * vfork-done, exec, exit): it writes that call's result into RAX after the
 * stop, over the number of the injected call, and the interrupted call
 * would return our call's result (a clone that "failed" with -ENOSYS while
 * its thread runs, for one). */
static int inject_safe(const struct pt_task *t)
{
	if (t->stop == PT_RUNNING || t->stop == PT_DEAD)
		return 0;
	int ev = stop_event(t->tid);
	return ev == 0 || ev == PTRACE_EVENT_STOP || ev == PTRACE_EVENT_SECCOMP;
}

/*
 * Run syscall nr(a...) inside stopped task t and return its result (or
 * -errno of our own failure in *err). The task's registers are restored.
 */
static long inject(struct pt_task *t, long nr, uint64_t a0, uint64_t a1, uint64_t a2,
		   uint64_t a3, int *err)
{
	struct user_regs_struct saved, r;
	*err = 0;
	if (t->stop == PT_RUNNING || t->stop == PT_DEAD) {
		*err = -ESRCH;
		return -1;
	}
	if (!inject_safe(t)) {
		*err = -EBUSY;
		return -1;
	}
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &saved) < 0) {
		*err = -errno;
		return -1;
	}
	r = saved;
	r.rdi = a0;
	r.rsi = a1;
	r.rdx = a2;
	r.r10 = a3;
	int at_entry = t->stop == PT_STOP_SC_ENTRY;
	int req = PTRACE_SINGLESTEP;
	if (at_entry) {
		/* replace the pending syscall, restart it afterwards */
		r.orig_rax = (uint64_t)nr;
		req = PTRACE_SYSCALL;
	} else {
		if (!t->mm->sys_insn && find_sys_insn(t->mm, t->tid) < 0) {
			*err = -ENOENT;
			return -1;
		}
		r.rip = t->mm->sys_insn;
		r.rax = (uint64_t)nr;
		r.orig_rax = (uint64_t)-1;
	}
	if (ptrace(PTRACE_SETREGS, t->tid, 0, &r) < 0) {
		*err = -errno;
		return -1;
	}
	S.st.injected++;
	for (;;) {
		if (ptrace(req, t->tid, 0, 0) < 0) {
			*err = -errno;
			return -1;
		}
		t->cpu_stale = 1;
		int st = wait_task(t->tid);
		if (st < 0 || !WIFSTOPPED(st)) {
			t->stop = PT_DEAD;
			if (st >= 0) {
				t->have_pending = 1;
				t->pending_status = st;
			}
			*err = -ESRCH;
			return -1;
		}
		int sig = WSTOPSIG(st), ev = (unsigned)st >> 16;
		if (ev)
			continue; /* our own seccomp stop, interrupt, group stop */
		if (at_entry && sig == (SIGTRAP | 0x80))
			break;
		if (!at_entry && (sig == SIGTRAP || sig == (SIGTRAP | 0x80))) {
			struct user_regs_struct q;
			if (ptrace(PTRACE_GETREGS, t->tid, 0, &q) == 0 && q.rip == r.rip + 2)
				break;
			continue;
		}
		if (sig == SIGSEGV && own_fault(t))
			continue; /* dropped: the instruction faults again (or works) */
		defer_signal(t, sig);
	}
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) < 0) {
		*err = -errno;
		return -1;
	}
	long ret = (long)r.rax;
	if (at_entry) {
		/* we are at the exit of our syscall: rewind to the original
		 * `syscall` instruction so that it runs again on resume */
		saved.rip -= 2;
		saved.rax = saved.orig_rax;
		t->stop = PT_STOP_SC_EXIT;
		t->sc_pending = 0;
	} else {
		t->stop = PT_STOP_SIG;
	}
	if (ptrace(PTRACE_SETREGS, t->tid, 0, &saved) < 0)
		*err = -errno;
	requeue_deferred(t);
	return ret;
}

static int remote_mprotect(struct pt_task *t, uint64_t a, uint64_t len, int prot)
{
	int err;
	long rc = inject(t, SYS_mprotect, a, len, (uint64_t)prot, 0, &err);
	if (err)
		return err;
	return rc < 0 && rc > -4096 ? (int)rc : 0;
}

/* ---- events ---------------------------------------------------------------------------------- */

static void ev_put(struct mt_ev *ev)
{
	struct mt_ring *ring = S.o->ring;
	if (!ring)
		return;
	mt_ring_lock(ring, ring_pid, ring_tid);
	ev->seq = mt_ring_next_seq(ring);
	ev->ts = now_ns();
	mt_ring_put(ring, ev);
	mt_ring_unlock(ring);
}

static uint32_t new_map_id(void)
{
	static uint32_t local;
	struct mt_ring *ring = S.o->ring;
	uint32_t id;
	if (ring) {
		mt_ring_lock(ring, ring_pid, ring_tid);
		id = ++ring->next_map_id;
		if (!(id & 0xffff))
			id = ++ring->next_map_id;
		mt_ring_unlock(ring);
	} else {
		id = ++local;
	}
	return id;
}

static void ev_head(struct mt_ev *ev, int type, struct pt_task *t, uint32_t map_id,
		    uint64_t addr, uint64_t pc)
{
	ev->type = (uint16_t)type;
	ev->pid = (uint32_t)t->tgid;
	ev->tid = (uint32_t)t->tid;
	int cpu = task_cpu(t);
	ev->cpu = cpu < 0 ? ~0u : (uint32_t)cpu;
	ev->map_id = map_id;
	ev->pc = pc;
	ev->addr = addr;
	ev->width = 0;
	ev->flags = 0;
}

static void emit_map(struct pt_task *t, const struct pt_region *r, const struct mt_pci_info *pi)
{
	union {
		struct mt_ev ev;
		uint8_t b[MT_EV_MAX];
	} u;
	memset(&u, 0, sizeof(struct mt_ev) + sizeof(struct mt_ev_map));
	ev_head(&u.ev, MT_EV_MAP, t, r->map_id, r->start, 0);
	struct mt_ev_map *m = (struct mt_ev_map *)u.ev.data;
	m->len = r->end - r->start;
	m->offset = r->offset;
	m->phys = r->phys;
	m->prot = (uint32_t)r->prot;
	m->bar = pi->bar;
	m->pci_domain = pi->dom;
	m->pci_bus = pi->bus;
	m->pci_dev = pi->dev;
	m->pci_fn = pi->fn;
	size_t max = MT_EV_MAX - sizeof(struct mt_ev) - sizeof(*m);
	size_t pl = strlen(r->path);
	if (pl > max)
		pl = max;
	m->pathlen = (uint16_t)pl;
	memcpy(m->path, r->path, pl);
	size_t sz = sizeof(struct mt_ev) + sizeof(*m) + pl;
	u.ev.size = (uint16_t)((sz + 7) & ~7u);
	memset(u.b + sz, 0, u.ev.size - sz);
	ev_put(&u.ev);
}

static void emit_simple(int type, struct pt_task *t, uint32_t map_id, uint64_t addr,
			uint64_t pc, const void *data, unsigned len, unsigned flags)
{
	union {
		struct mt_ev ev;
		uint8_t b[sizeof(struct mt_ev) + 128];
	} u;
	if (len > 128)
		len = 128;
	ev_head(&u.ev, type, t, map_id, addr, pc);
	u.ev.width = (uint16_t)len;
	u.ev.flags = (uint16_t)flags;
	u.ev.size = (uint16_t)((sizeof(struct mt_ev) + len + 7) & ~7u);
	memset(u.ev.data, 0, (len + 7) & ~7u);
	if (len)
		memcpy(u.ev.data, data, len);
	ev_put(&u.ev);
}

static void emit_rw(int type, struct pt_task *t, const struct pt_region *r, uint64_t addr,
		    uint64_t pc, const void *val, const void *orig, unsigned size,
		    unsigned evf)
{
	union {
		struct mt_ev ev;
		uint8_t b[sizeof(struct mt_ev) + 2 * 64 + 8];
	} u;
	unsigned dlen = size > 64 ? 64 : size;
	unsigned total = dlen * (orig ? 2 : 1);
	ev_head(&u.ev, type, t, r->map_id, addr, pc);
	u.ev.size = (uint16_t)((sizeof(struct mt_ev) + total + 7) & ~7u);
	u.ev.width = (uint16_t)size;
	u.ev.flags = (uint16_t)evf;
	memset(u.ev.data, 0, (total + 7) & ~7u);
	memcpy(u.ev.data, val, dlen);
	if (orig)
		memcpy(u.ev.data + dlen, orig, dlen);
	ev_put(&u.ev);
}

/* ---- regions: adding, cutting, arming ----------------------------------------------------------- */

/* Add and arm [start, end) of tracee t's address space: file range at
 * `offset` named `path`, opened for our alias through `open_path`. */
static int region_add(struct pt_task *t, uint64_t start, uint64_t end, uint64_t offset,
		      int prot, const char *path, const char *open_path)
{
	struct pt_mm *mm = t->mm;
	int fd = open(open_path, O_RDWR | O_CLOEXEC), rw = 1;
	if (fd < 0) {
		fd = open(open_path, O_RDONLY | O_CLOEXEC);
		rw = 0;
	}
	if (fd < 0) {
		logmsg("cannot open %s for the alias: %s; not traced", path, strerror(errno));
		return -errno;
	}
	if (!rw && (prot & PROT_WRITE)) {
		close(fd);
		logmsg("%s: writable mapping but the alias can only be read; not traced", path);
		return -EACCES;
	}
	size_t len = (size_t)(end - start);
	void *base = mmap(NULL, len, PROT_READ | (rw ? PROT_WRITE : 0), MAP_SHARED, fd,
			  (off_t)offset);
	int e = errno;
	close(fd);
	if (base == MAP_FAILED) {
		logmsg("%s: alias mmap failed: %s; not traced", path, strerror(e));
		return -e;
	}
	struct pt_alias *al = calloc(1, sizeof(*al));
	char *p = strdup(path);
	struct pt_region *r = al && p ? region_slot(mm) : NULL;
	if (!r) {
		free(al);
		free(p);
		munmap(base, len);
		return -ENOMEM;
	}
	al->refs = 1;
	al->base = base;
	al->len = len;
	r->start = start;
	r->end = end;
	r->al = al;
	r->al_off = 0;
	r->offset = offset;
	r->prot = prot;
	r->path = p;
	struct mt_pci_info pi;
	mt_devfile_identify(path, offset, &pi);
	r->phys = pi.phys;
	r->bar = pi.bar;
	r->pci = pi;
	r->map_start = start;
	r->map_size = len;
	r->map_id = new_map_id();
	int rc = remote_mprotect(t, start, len, PROT_NONE);
	if (rc) {
		logmsg("%s: cannot arm (mprotect in the tracee: %s); not traced", path,
		       strerror(-rc));
		mm->nreg--;
		region_free(r);
		return rc;
	}
	S.st.regions++;
	emit_map(t, r, &pi);
	return 0;
}

/*
 * Remove [a, b) from the traced set. restore: give the tracee's pages their
 * protection back (through t). unmap_ev: emit UNMAP for regions that go
 * entirely.
 */
static void region_cut(struct pt_task *t, struct pt_mm *mm, uint64_t a, uint64_t b,
		       int restore, int unmap_ev)
{
	for (int i = 0; i < mm->nreg; i++) {
		struct pt_region *r = &mm->reg[i];
		if (r->end <= a || b <= r->start)
			continue;
		uint64_t lo = r->start > a ? r->start : a, hi = r->end < b ? r->end : b;
		if (restore && t)
			remote_mprotect(t, lo, hi - lo, r->prot);
		if (lo > r->start && hi < r->end) {
			/* hole in the middle: split in two */
			struct pt_region copy = *r;
			struct pt_region *n = region_slot(mm);
			if (!n)
				continue;
			r = &mm->reg[i]; /* realloc */
			*n = copy;
			n->path = strdup(copy.path ? copy.path : "");
			n->al->refs++;
			n->al_off += hi - copy.start;
			n->offset += hi - copy.start;
			n->start = hi;
			r->end = lo;
		} else if (lo > r->start) {
			r->end = lo;
		} else if (hi < r->end) {
			r->al_off += hi - r->start;
			r->offset += hi - r->start;
			r->start = hi;
		} else {
			if (unmap_ev && t)
				emit_simple(MT_EV_UNMAP, t, r->map_id, r->start, 0, NULL, 0, 0);
			region_free(r);
			mm->reg[i] = mm->reg[--mm->nreg];
			i--;
		}
	}
}

/* Split so that [a, b) is made of whole regions, then set their prot. */
static void region_set_prot(struct pt_mm *mm, uint64_t a, uint64_t b, int prot)
{
	for (int i = 0; i < mm->nreg; i++) {
		struct pt_region *r = &mm->reg[i];
		if (r->end <= a || b <= r->start)
			continue;
		uint64_t cut = 0;
		if (r->start < a)
			cut = a;
		else if (r->end > b)
			cut = b;
		if (cut) {
			struct pt_region copy = *r;
			struct pt_region *n = region_slot(mm);
			if (!n)
				return;
			r = &mm->reg[i];
			*n = copy;
			n->path = strdup(copy.path ? copy.path : "");
			n->al->refs++;
			n->al_off += cut - copy.start;
			n->offset += cut - copy.start;
			n->start = cut;
			r->end = cut;
			i--; /* look at the left part again */
			continue;
		}
		r->prot = prot;
	}
}

/* Traced mappings of the tracee listed in /proc/TGID/maps within [lo, hi)
 * (everything when hi == 0) that are not regions yet: add and arm them. */
static void scan_maps(struct pt_task *t, uint64_t lo, uint64_t hi)
{
	char path[64], line[4096 + 256];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)t->tgid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	struct { uint64_t a, b, off; int prot; char *path; } found[64];
	int nf = 0;
	while (fgets(line, sizeof(line), f) && nf < 64) {
		unsigned long long a, b, off;
		char perms[8];
		int pos = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*u %n", &a, &b, perms, &off, &pos) < 4 ||
		    !pos)
			continue;
		if (hi && (b <= lo || a >= hi))
			continue;
		if (perms[3] != 's')
			continue;
		char *name = line + pos;
		name[strcspn(name, "\n")] = 0;
		if (!mt_devfile_traced(name, S.defaults, S.o->globs, S.o->nglobs))
			continue;
		if (region_find(t->mm, a))
			continue;
		found[nf].a = a;
		found[nf].b = b;
		found[nf].off = off;
		found[nf].prot = (perms[0] == 'r' ? PROT_READ : 0) |
				 (perms[1] == 'w' ? PROT_WRITE : 0) |
				 (perms[2] == 'x' ? PROT_EXEC : 0);
		found[nf].path = strdup(name);
		nf++;
	}
	fclose(f);
	for (int i = 0; i < nf; i++) {
		char mf[128];
		snprintf(mf, sizeof(mf), "/proc/%d/map_files/%llx-%llx", (int)t->tgid,
			 (unsigned long long)found[i].a, (unsigned long long)found[i].b);
		if (found[i].path)
			region_add(t, found[i].a, found[i].b, found[i].off, found[i].prot,
				   found[i].path, mf);
		free(found[i].path);
	}
}

/* ---- syscalls of the mmap family ------------------------------------------------------------------ */

static int sc_interesting(struct pt_task *t, long nr, const uint64_t *a)
{
	struct pt_mm *mm = t->mm;
	if (!mm || mm->untraced)
		return 0;
	switch (nr) {
	case SYS_mmap: {
		int fl = (int)a[3];
		int shared = (fl & 3) == MAP_SHARED || (fl & 3) == MAP_SHARED_VALIDATE;
		if (shared && !(fl & MAP_ANONYMOUS))
			return 1;
		return (fl & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && overlaps(mm, a[0], a[1]);
	}
	case SYS_munmap:
	case SYS_mprotect:
	case SYS_pkey_mprotect:
		return overlaps(mm, a[0], a[1]);
	case SYS_mremap:
		return overlaps(mm, a[0], a[1]) ||
		       ((a[3] & MREMAP_FIXED) && overlaps(mm, a[4], a[2]));
	}
	return 0;
}

static void sc_exit(struct pt_task *t, int64_t rval, int is_error)
{
	struct pt_mm *mm = t->mm;
	uint64_t *a = t->sc_args;
	t->sc_pending = 0;
	if (!mm || mm->untraced || is_error)
		return;
	switch (t->sc_nr) {
	case SYS_mmap: {
		uint64_t start = (uint64_t)rval, len = PAGE_UP(a[1]);
		region_cut(t, mm, start, start + len, 0, 1);
		int fl = (int)a[3];
		int shared = (fl & 3) == MAP_SHARED || (fl & 3) == MAP_SHARED_VALIDATE;
		if (!shared || (fl & MAP_ANONYMOUS))
			return;
		char fdp[64], name[4096];
		snprintf(fdp, sizeof(fdp), "/proc/%d/fd/%d", (int)t->tgid, (int)a[4]);
		ssize_t k = readlink(fdp, name, sizeof(name) - 1);
		if (k <= 0)
			return;
		name[k] = 0;
		if (!mt_devfile_traced(name, S.defaults, S.o->globs, S.o->nglobs))
			return;
		char mf[128];
		snprintf(mf, sizeof(mf), "/proc/%d/map_files/%llx-%llx", (int)t->tgid,
			 (unsigned long long)start, (unsigned long long)(start + len));
		if (access(mf, F_OK) != 0)
			snprintf(mf, sizeof(mf), "%s", fdp);
		region_add(t, start, start + len, a[5], (int)a[2], name, mf);
		break;
	}
	case SYS_munmap:
		region_cut(t, mm, a[0], a[0] + PAGE_UP(a[1]), 0, 1);
		break;
	case SYS_mprotect:
	case SYS_pkey_mprotect: {
		uint64_t lo = a[0], hi = a[0] + PAGE_UP(a[1]);
		region_set_prot(mm, lo, hi, (int)a[2]);
		for (int i = 0; i < mm->nreg; i++) {
			struct pt_region *r = &mm->reg[i];
			if (r->start >= lo && r->end <= hi)
				remote_mprotect(t, r->start, r->end - r->start, PROT_NONE);
		}
		break;
	}
	case SYS_mremap: {
		uint64_t old = a[0], oldlen = PAGE_UP(a[1]), nw = (uint64_t)rval,
			 newlen = PAGE_UP(a[2]);
		struct pt_region *r = region_find(mm, old);
		struct pt_region keep;
		char *path = NULL;
		if (r) {
			keep = *r;
			path = strdup(r->path);
		}
		region_cut(t, mm, old, old + oldlen, 0, 1);
		if (a[3] & MREMAP_FIXED)
			region_cut(t, mm, a[4], a[4] + newlen, 0, 1);
		if (r && path) {
			char mf[128];
			snprintf(mf, sizeof(mf), "/proc/%d/map_files/%llx-%llx", (int)t->tgid,
				 (unsigned long long)nw, (unsigned long long)(nw + newlen));
			region_add(t, nw, nw + newlen, keep.offset + (old - keep.start),
				   keep.prot, path, mf);
		}
		free(path);
		break;
	}
	}
}

/* ---- emulation -------------------------------------------------------------------------------------- */

static void xs_layout(void)
{
	unsigned eax, ebx, ecx, edx;
	if (!__get_cpuid_count(0xd, 0, &eax, &ebx, &ecx, &edx) || !ecx) {
		S.xs_size = 0;
		return;
	}
	S.xs_size = ecx > 4096 ? ecx : 4096;
	for (unsigned i = 2; i < 8; i++) {
		if (!((eax >> i) & 1))
			continue;
		unsigned a2 = 0, b2 = 0, c2 = 0, d2 = 0;
		__get_cpuid_count(0xd, i, &a2, &b2, &c2, &d2);
		S.xoff[i] = b2;
	}
	S.xs_buf = malloc(S.xs_size);
	if (!S.xs_buf)
		S.xs_size = 0;
}

struct ectx {
	struct pt_task *t;
	struct pt_mm *mm;
	uint64_t pc;
	int denied;
	int xs_loaded, xs_dirty;
	size_t xs_len;
};

static int xs_load(struct ectx *c)
{
	if (c->xs_loaded)
		return 0;
	if (!S.xs_size)
		return -ENOTSUP;
	struct iovec iov = { S.xs_buf, S.xs_size };
	if (ptrace(PTRACE_GETREGSET, c->t->tid, (void *)NT_X86_XSTATE, &iov) < 0)
		return -errno;
	c->xs_len = iov.iov_len;
	c->xs_loaded = 1;
	return 0;
}

static uint8_t *xs_ptr(struct ectx *c, unsigned comp, size_t off, size_t n, int write)
{
	size_t base = comp == 1 ? 160 : S.xoff[comp];
	if (comp > 1 && !base)
		return NULL;
	if (base + off + n > c->xs_len)
		return NULL;
	if (write) {
		uint64_t bv;
		memcpy(&bv, S.xs_buf + 512, 8);
		bv |= 1ull << comp;
		memcpy(S.xs_buf + 512, &bv, 8);
		c->xs_dirty = 1;
	}
	return S.xs_buf + base + off;
}

static int vec_io(struct ectx *c, unsigned idx, uint8_t *buf, unsigned size, int write)
{
	if (idx > 31 || (size != 16 && size != 32 && size != 64))
		return -EINVAL;
	int rc = xs_load(c);
	if (rc)
		return rc;
	for (unsigned part = 0; part < size; part += 16) {
		uint8_t *p;
		if (idx >= 16)
			p = xs_ptr(c, 7, (idx - 16) * 64 + part, 16, write);
		else if (part == 0)
			p = xs_ptr(c, 1, idx * 16, 16, write);
		else if (part == 16)
			p = xs_ptr(c, 2, idx * 16, 16, write);
		else
			p = xs_ptr(c, 6, idx * 32 + (part - 32), 16, write);
		if (!p) {
			if (!write)
				memset(buf + part, 0, 16);
			else if (idx >= 16 || part == 0)
				return -EINVAL;
			continue;
		}
		if (write)
			memcpy(p, buf + part, 16);
		else
			memcpy(buf + part, p, 16);
	}
	return 0;
}

static int op_vec_get(void *op, unsigned idx, void *buf, unsigned size)
{
	return vec_io(op, idx, buf, size, 0);
}

static int op_vec_set(void *op, unsigned idx, const void *buf, unsigned size)
{
	return vec_io(op, idx, (uint8_t *)buf, size, 1);
}

static int op_kmask_get(void *op, unsigned idx, uint64_t *val)
{
	struct ectx *c = op;
	if (idx > 7 || xs_load(c))
		return -EINVAL;
	uint8_t *p = xs_ptr(c, 5, idx * 8, 8, 0);
	if (!p)
		return -EINVAL;
	memcpy(val, p, 8);
	return 0;
}

static int op_kmask_set(void *op, unsigned idx, uint64_t val)
{
	struct ectx *c = op;
	if (idx > 7 || xs_load(c))
		return -EINVAL;
	uint8_t *p = xs_ptr(c, 5, idx * 8, 8, 1);
	if (!p)
		return -EINVAL;
	memcpy(p, &val, 8);
	return 0;
}

/* Displaced forms (vector ALU, x87, MMX) run here, in the tracer, on the
 * tracee's register and x87 state: the instruction only touches registers
 * and the scratch operand, and tracer and tracee run on the same CPU. If
 * the state could raise an FP exception in the stub (unmasked in MXCSR or
 * FCW, or pending), mt_xrun refuses (-EDOM) and the caller single-steps. */
static int op_exec_displaced(void *op, struct mt_cpu *cpu, const struct mt_displaced *d)
{
	struct ectx *c = op;
	static struct mt_xstate st;
	unsigned nregs, bytes, nk;
	int rc = xs_load(c);
	if (rc)
		return rc;
	mt_xrun_vec_shape(&nregs, &bytes, &nk);
	memset(&st, 0, sizeof(st));
	memcpy(st.gpr, cpu->gpr, sizeof(st.gpr));
	st.rflags = cpu->rflags;
	memcpy(&st.mxcsr, S.xs_buf + 24, 4);
	/* x87/MMX state: bytes 0..159 of the tracee's XSAVE image (FXSAVE
	 * layout), or the init state when XSTATE_BV[0] says so */
	struct mt_x87 x87_in;
	uint64_t bv;
	memcpy(&bv, S.xs_buf + 512, 8);
	if (c->xs_len >= 512 + 64 && (bv & 1)) {
		memcpy(&x87_in, S.xs_buf, sizeof(x87_in));
	} else {
		memset(&x87_in, 0, sizeof(x87_in));
		x87_in.fcw = 0x37f;
	}
	st.x87 = x87_in;
	st.xflags = MT_XSTATE_X87;
	for (unsigned i = 0; i < nregs; i++)
		vec_io(c, i, st.zmm[i], bytes, 0);
	for (unsigned i = 0; i < nk; i++)
		op_kmask_get(c, i, &st.k[i]);
	rc = mt_xrun_displaced(d->code, d->len, d->scratch_reg, d->scratch, &st);
	if (rc)
		return rc;
	/* FIP/FDP/FOP name the stub and the scratch buffer: the program's */
	mt_xrun_x87_fixup(&st, cpu->rip, d->scratch, d->fdp, d->fop);
	memcpy(cpu->gpr, st.gpr, sizeof(st.gpr));
	cpu->rflags = st.rflags;
	{	/* FCW..FDP at 0..23, ST0-7 at 32..159; MXCSR at 24 below */
		const uint8_t *a = (const uint8_t *)&x87_in, *b = (const uint8_t *)&st.x87;
		if (memcmp(a, b, 24) || memcmp(a + 32, b + 32, 128)) {
			memcpy(S.xs_buf, b, 24);
			memcpy(S.xs_buf + 32, b + 32, 128);
			bv |= 1;
			memcpy(S.xs_buf + 512, &bv, 8);
			c->xs_dirty = 1;
		}
	}
	uint32_t oldmx;
	memcpy(&oldmx, S.xs_buf + 24, 4);
	if (oldmx != st.mxcsr) {
		memcpy(S.xs_buf + 24, &st.mxcsr, 4);
		c->xs_dirty = 1;
	}
	for (unsigned i = 0; i < nregs; i++) {
		uint8_t old[64];
		vec_io(c, i, old, bytes, 0);
		if (memcmp(old, st.zmm[i], bytes))
			vec_io(c, i, st.zmm[i], bytes, 1);
	}
	for (unsigned i = 0; i < nk; i++) {
		uint64_t old;
		op_kmask_get(c, i, &old);
		if (old != st.k[i])
			op_kmask_set(c, i, st.k[i]);
	}
	return 0;
}

static int traced_access(struct ectx *c, struct pt_region *r, uint64_t addr, void *buf,
			 unsigned size, unsigned flags, int is_write)
{
	if (!(r->prot & (is_write ? PROT_WRITE : PROT_READ))) {
		c->denied = 1;
		return -EFAULT;
	}
	volatile uint8_t *a = r->al->base + r->al_off + (addr - r->start);
	unsigned evf = mt_devfile_evflags(flags);
	uint8_t orig[64];
	unsigned dlen = size > 64 ? 64 : size;
	struct mt_ptrace_map m = {
		.map_id = r->map_id,
		.map_offset = addr - r->map_start,
		.map_size = r->map_size,
		.map_phys = r->pci.phys,
		.file_offset = r->offset + (addr - r->start),
		.pci_domain = r->pci.dom,
		.pci_bus = r->pci.bus,
		.pci_dev = r->pci.dev,
		.pci_fn = r->pci.fn,
		.bar = r->bar,
		.path = r->path,
	};
	if (is_write) {
		memcpy(orig, buf, dlen);
		if (S.o->inject)
			S.o->inject(S.o->inject_arg, &m, 1, buf, size, &evf);
		if (!(evf & MT_EVF_DROPPED))
			mt_dev_write(a, buf, size);
	} else {
		mt_dev_read(a, buf, size);
		memcpy(orig, buf, dlen);
		if (S.o->inject)
			S.o->inject(S.o->inject_arg, &m, 0, buf, size, &evf);
	}
	int changed = memcmp(orig, buf, dlen) != 0;
	if (changed)
		evf |= MT_EVF_INJECTED;
	S.st.accesses++;
	emit_rw(is_write ? MT_EV_WRITE : MT_EV_READ, c->t, r, addr, c->pc, buf,
		changed || (evf & MT_EVF_DROPPED) ? orig : NULL, size, evf);
	return 0;
}

static int do_access(void *op, uint64_t addr, void *buf, unsigned size, unsigned flags,
		     int is_write)
{
	struct ectx *c = op;
	uint8_t *b = buf;
	while (size) {
		struct pt_region *r = region_find(c->mm, addr);
		unsigned n = size;
		int rc;
		if (r) {
			if (addr + n > r->end)
				n = (unsigned)(r->end - addr);
			rc = traced_access(c, r, addr, b, n, flags, is_write);
		} else {
			/* normal memory up to the next region */
			for (int i = 0; i < c->mm->nreg; i++) {
				uint64_t s = c->mm->reg[i].start;
				if (s > addr && s < addr + n)
					n = (unsigned)(s - addr);
			}
			rc = is_write ? rmem_write(c->t->tid, addr, b, n)
				      : rmem_read(c->t->tid, addr, b, n);
		}
		if (rc)
			return rc;
		addr += n;
		b += n;
		size -= n;
	}
	return 0;
}

static int op_read(void *op, uint64_t addr, void *buf, unsigned size, unsigned flags)
{
	return do_access(op, addr, buf, size, flags, 0);
}

static int op_write(void *op, uint64_t addr, const void *buf, unsigned size, unsigned flags)
{
	return do_access(op, addr, (void *)buf, size, flags, 1);
}

static const struct mt_emu_ops emu_ops = {
	.mem_read = op_read,
	.mem_write = op_write,
	.vec_get = op_vec_get,
	.vec_set = op_vec_set,
	.kmask_get = op_kmask_get,
	.kmask_set = op_kmask_set,
	.exec_displaced = op_exec_displaced,
};

static void regs_to_cpu(const struct user_regs_struct *u, struct mt_cpu *c)
{
	c->gpr[MT_RAX] = u->rax;
	c->gpr[MT_RCX] = u->rcx;
	c->gpr[MT_RDX] = u->rdx;
	c->gpr[MT_RBX] = u->rbx;
	c->gpr[MT_RSP] = u->rsp;
	c->gpr[MT_RBP] = u->rbp;
	c->gpr[MT_RSI] = u->rsi;
	c->gpr[MT_RDI] = u->rdi;
	c->gpr[MT_R8] = u->r8;
	c->gpr[MT_R9] = u->r9;
	c->gpr[MT_R10] = u->r10;
	c->gpr[MT_R11] = u->r11;
	c->gpr[MT_R12] = u->r12;
	c->gpr[MT_R13] = u->r13;
	c->gpr[MT_R14] = u->r14;
	c->gpr[MT_R15] = u->r15;
	c->rip = u->rip;
	c->rflags = u->eflags;
	c->fs_base = u->fs_base;
	c->gs_base = u->gs_base;
}

static void cpu_to_regs(const struct mt_cpu *c, struct user_regs_struct *u)
{
	u->rax = c->gpr[MT_RAX];
	u->rcx = c->gpr[MT_RCX];
	u->rdx = c->gpr[MT_RDX];
	u->rbx = c->gpr[MT_RBX];
	u->rsp = c->gpr[MT_RSP];
	u->rbp = c->gpr[MT_RBP];
	u->rsi = c->gpr[MT_RSI];
	u->rdi = c->gpr[MT_RDI];
	u->r8 = c->gpr[MT_R8];
	u->r9 = c->gpr[MT_R9];
	u->r10 = c->gpr[MT_R10];
	u->r11 = c->gpr[MT_R11];
	u->r12 = c->gpr[MT_R12];
	u->r13 = c->gpr[MT_R13];
	u->r14 = c->gpr[MT_R14];
	u->r15 = c->gpr[MT_R15];
	u->rip = c->rip;
	u->eflags = c->rflags;
}

/* Run the faulting instruction natively: give its traced pages their
 * protection back, single-step it with every other thread of the process
 * stopped (so nothing else slips through untraced), re-arm. */
static void step_native(struct pt_task *t, uint64_t fault_addr)
{
	struct pt_mm *mm = t->mm;
	uint64_t pages[8];
	int np = 0;
	stop_others(mm, t);
	pages[np++] = PAGE_DOWN(fault_addr);
	int done = 0;
	for (int tries = 0; tries < 16 && !done && t->stop != PT_DEAD;) {
		struct pt_region *r = region_find(mm, pages[np - 1]);
		if (r)
			remote_mprotect(t, pages[np - 1], PAGE, r->prot);
		if (ptrace(PTRACE_SINGLESTEP, t->tid, 0, 0) < 0)
			break;
		t->cpu_stale = 1;
		int st = wait_task(t->tid);
		if (st < 0 || !WIFSTOPPED(st)) {
			t->stop = PT_DEAD;
			if (st >= 0) {
				t->have_pending = 1;
				t->pending_status = st;
			}
			break;
		}
		t->stop = PT_STOP_SIG;
		int sig = WSTOPSIG(st);
		if ((unsigned)st >> 16)
			continue;
		if (sig == SIGTRAP) {
			done = 1;
		} else if (sig == SIGSEGV) {
			siginfo_t si;
			uint64_t pa = 0;
			if (ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) == 0)
				pa = PAGE_DOWN((uint64_t)(uintptr_t)si.si_addr);
			if (!pa || !region_find(mm, pa) || np == 8) {
				/* a real fault of the program: deliver it */
				t->have_pending = 1;
				t->pending_status = st;
				break;
			}
			pages[np++] = pa;
			tries++;
		} else {
			defer_signal(t, sig);
			tries++;
		}
	}
	for (int i = 0; i < np && t->stop != PT_DEAD; i++)
		if (region_find(mm, pages[i]))
			remote_mprotect(t, pages[i], PAGE, PROT_NONE);
	if (t->stop != PT_DEAD)
		requeue_deferred(t);
	S.st.stepped++;
	resume_others(mm);
	if (t->stop != PT_DEAD && !t->have_pending)
		resume(t, 0);
}

/* Instructions whose state the displaced runner (mt_xrun) does not carry
 * whole: FXSAVE/XSAVE images (they would also store the tracer's view of
 * the other components). Single-step them in the tracee instead. x87 and
 * MMX forms are displaced with the tracee's x87 state (MT_XSTATE_X87). */
static int needs_own_fpu(const struct mt_decoded *d)
{
	switch (d->insn.meta.isa_ext) {
	case ZYDIS_ISA_EXT_XSAVE:
	case ZYDIS_ISA_EXT_XSAVEC:
	case ZYDIS_ISA_EXT_XSAVEOPT:
	case ZYDIS_ISA_EXT_XSAVES:
		return 1;
	default:
		break;
	}
	switch (d->insn.mnemonic) {
	case ZYDIS_MNEMONIC_FXSAVE:
	case ZYDIS_MNEMONIC_FXSAVE64:
	case ZYDIS_MNEMONIC_FXRSTOR:
	case ZYDIS_MNEMONIC_FXRSTOR64:
		return 1;
	default:
		return 0;
	}
}

/* Bit of sig in the mask named `key` ("SigBlk:", "SigIgn:") of
 * /proc/TID/status; 0 when it cannot be read. */
static int proc_sigmask_has(pid_t tid, const char *key, int sig)
{
	char p[64], line[256];
	snprintf(p, sizeof(p), "/proc/%d/status", (int)tid);
	FILE *f = fopen(p, "re");
	if (!f)
		return 0;
	unsigned long long m = 0;
	size_t kl = strlen(key);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl)) {
			m = strtoull(line + kl, NULL, 16);
			break;
		}
	fclose(f);
	return (int)((m >> (sig - 1)) & 1);
}

/*
 * The instruction raises #DE (DIV/IDIV; the core found it after reading the
 * operand, which is recorded once): deliver the SIGFPE the CPU would have
 * raised (FPE_INTDIV, si_addr = RIP, context at the instruction) instead of
 * single-stepping, which would read the device a second time. Like the
 * kernel's force_sig_fault(), a blocked or ignored SIGFPE is first reset to
 * the default action and unblocked (syscalls run in the tracee).
 */
static void deliver_divide_error(struct pt_task *t, uint64_t rip, uint64_t rsp)
{
	if (proc_sigmask_has(t->tid, "SigBlk:", SIGFPE) ||
	    proc_sigmask_has(t->tid, "SigIgn:", SIGFPE)) {
		/* kernel struct sigaction {handler, flags, restorer, mask} (all
		 * zero: SIG_DFL) and a sigset with SIGFPE, below the red zone */
		uint64_t buf[5] = { 0, 0, 0, 0, 1ull << (SIGFPE - 1) }, saved[5];
		uint64_t at = (rsp - 256) & ~15ull;
		int err;
		if (rmem_read(t->tid, at, saved, sizeof(saved)) == 0 &&
		    rmem_write(t->tid, at, buf, sizeof(buf)) == 0) {
			inject(t, SYS_rt_sigaction, SIGFPE, at, 0, 8, &err);
			if (!err)
				inject(t, SYS_rt_sigprocmask, SIG_UNBLOCK, at + 32, 0, 8, &err);
			rmem_write(t->tid, at, saved, sizeof(saved));
		}
		if (t->stop == PT_DEAD)
			return;
	}
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGFPE;
	si.si_code = FPE_INTDIV;
	si.si_addr = (void *)(uintptr_t)rip;
	ptrace(PTRACE_SETSIGINFO, t->tid, 0, &si);
	S.st.signals++;
	resume(t, SIGFPE);
}

/* A SIGSEGV stop: 1 if it was ours (handled, task resumed). */
static int handle_fault(struct pt_task *t)
{
	struct pt_mm *mm = t->mm;
	if (!mm || mm->untraced || !mm->nreg)
		return 0;
	siginfo_t si;
	if (ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) < 0 || si.si_code <= 0)
		return 0;
	uint64_t fa = (uint64_t)(uintptr_t)si.si_addr;
	if (!region_find(mm, fa))
		return 0;
	S.st.faults++;
	struct user_regs_struct u;
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &u) < 0)
		return 0;
	struct mt_cpu cpu;
	regs_to_cpu(&u, &cpu);
	uint8_t bytes[16];
	size_t n = 15;
	while (n && rmem_read(t->tid, u.rip, bytes, n))
		n = n > (PAGE - (u.rip & (PAGE - 1))) ? PAGE - (u.rip & (PAGE - 1)) : n - 1;
	int status = MT_EMU_NEED_BYTES;
	const struct mt_decoded *d = n ? mt_dcache_lookup(&mm->dc, u.rip, bytes, n) : NULL;
	if (!d && n)
		d = mt_dcache_fill(&mm->dc, u.rip, bytes, n, &status);
	struct ectx c = { .t = t, .mm = mm, .pc = u.rip };
	int rc = d ? (needs_own_fpu(d) ? MT_EMU_UNSUPPORTED : mt_emulate(d, &cpu, &emu_ops, &c))
		   : status;
	if (rc == 0) {
		cpu_to_regs(&cpu, &u);
		ptrace(PTRACE_SETREGS, t->tid, 0, &u);
		if (c.xs_dirty) {
			struct iovec iov = { S.xs_buf, c.xs_len };
			ptrace(PTRACE_SETREGSET, t->tid, (void *)NT_X86_XSTATE, &iov);
		}
		resume(t, 0);
		return 1;
	}
	if (c.denied || rc == MT_EMU_MEMFAULT)
		return 0; /* the program's own fault: deliver SIGSEGV */
	if (rc == MT_EMU_DIVIDE_ERROR) {
		deliver_divide_error(t, u.rip, u.rsp);
		return 1;
	}
	/* not emulated: record UNKNOWN and run it natively */
	struct pt_region *r = region_find(mm, fa);
	unsigned evf = MT_EVF_STEPPED | (rc == MT_EMU_INVALID || rc == MT_EMU_NEED_BYTES
					 ? MT_EVF_UNDECODED : 0);
	unsigned ilen = d ? d->len : (unsigned)n;
	emit_simple(MT_EV_UNKNOWN, t, r->map_id, fa, u.rip, bytes, ilen, evf);
	logmsg("pid %d: %s instruction at %#llx, single-stepped", (int)t->tid,
	       mt_emu_strerror(rc), (unsigned long long)u.rip);
	step_native(t, fa);
	return 1;
}

/* ---- process events ------------------------------------------------------------------------------- */

static pid_t read_tgid(pid_t tid)
{
	char p[64], line[128];
	snprintf(p, sizeof(p), "/proc/%d/status", (int)tid);
	FILE *f = fopen(p, "re");
	if (!f)
		return -1;
	pid_t tg = -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tg) == 1)
			break;
	fclose(f);
	return tg;
}

static struct pt_mm *mm_copy(struct pt_mm *src, pid_t tgid)
{
	struct pt_mm *mm = mm_new(tgid);
	if (!mm)
		return NULL;
	for (int i = 0; i < src->nreg; i++) {
		struct pt_region *r = region_slot(mm);
		if (!r)
			break;
		*r = src->reg[i];
		r->al->refs++;
		r->path = strdup(src->reg[i].path);
	}
	mm->sys_insn = src->sys_insn;
	mm->untraced = src->untraced;
	return mm;
}

static void on_new_child(struct pt_task *t, int ev)
{
	unsigned long msg = 0;
	if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &msg) < 0 || !msg)
		return;
	pid_t ntid = (pid_t)msg;
	struct pt_mm *mm;
	pid_t tgid;
	if (ev == PTRACE_EVENT_VFORK) {
		mm = t->mm; /* shares the parent's memory until it execs */
		tgid = ntid;
		if (mm)
			mm->refs++;
	} else if (ev == PTRACE_EVENT_CLONE && read_tgid(ntid) == t->tgid) {
		mm = t->mm;
		tgid = t->tgid;
		if (mm)
			mm->refs++;
	} else {
		mm = t->mm ? mm_copy(t->mm, ntid) : NULL;
		tgid = ntid;
		if (mm)
			mm->refs++;
	}
	struct pt_task *c = task_find(ntid);
	if (c) {
		/* its first stop came first: it waits for us */
		mm_put(c->mm);
		c->mm = mm;
		c->tgid = tgid;
		if (c->initial == 2) {
			c->initial = 0;
			resume(c, 0);
		}
	} else {
		c = task_new(ntid, NULL, tgid);
		if (!c) {
			mm_put(mm);
			return;
		}
		c->mm = mm;
		c->initial = 1;
	}
}

static void on_exec(struct pt_task *t)
{
	unsigned long old = 0;
	ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &old);
	if (old && (pid_t)old != t->tid) {
		struct pt_task *o = task_find((pid_t)old);
		if (o)
			task_del(o);
	}
	struct pt_mm *nm = mm_new(t->tid);
	if (!nm)
		return;
	nm->refs = 1;
	nm->untraced = t->mm && t->mm->untraced;
	mm_put(t->mm);
	t->mm = nm;
	t->tgid = t->tid;
	t->sc_pending = 0;
	t->rseq_cpu = 0; /* the new image registers its own rseq area */
	if (t->stat_fd > 0)
		close(t->stat_fd - 1);
	t->stat_fd = 0;
	scan_maps(t, 0, 0);
}

/* ---- detach --------------------------------------------------------------------------------------- */

static int pending_event(const struct pt_task *u);

/*
 * A stopped task of mm (all of them stopped) in which system calls can be
 * run (inject_safe), preferring one that is not at a syscall-entry stop.
 * If every one is inside clone or fork (its event stop), one of them is
 * first taken on to that call's syscall-exit stop (its event is handled
 * here if still pending). NULL if none.
 */
static struct pt_task *pick_inj(struct pt_mm *mm)
{
	struct pt_task *inj = NULL;
	for (struct pt_task *u = S.tasks; u; u = u->next)
		if (u->mm == mm && (!inj || inj->stop == PT_STOP_SC_ENTRY) && inject_safe(u))
			inj = u;
	if (inj)
		return inj;
	for (struct pt_task *u = S.tasks; u; u = u->next) {
		if (u->mm != mm || u->stop == PT_RUNNING || u->stop == PT_DEAD)
			continue;
		int ev = stop_event(u->tid);
		if (ev != PTRACE_EVENT_CLONE && ev != PTRACE_EVENT_FORK)
			continue; /* (vfork: its call returns only when the child execs) */
		if (pending_event(u) == ev) {
			on_new_child(u, ev);
			u->have_pending = 0;
		}
		if (ptrace(PTRACE_SYSCALL, u->tid, 0, 0) < 0)
			continue;
		u->stop = PT_RUNNING;
		u->cpu_stale = 1;
		if (take_stop(u) < 0)
			continue;
		if (u->mm == mm && inject_safe(u))
			return u;
	}
	return NULL;
}

/* 1 if a SIGSEGV of a traced page of mm waits in the private signal queue
 * of stopped task u (PTRACE_PEEKSIGINFO: the queue is left alone). */
static int queued_fault(struct pt_task *u, struct pt_mm *mm)
{
	struct __ptrace_peeksiginfo_args a = { .off = 0, .flags = 0, .nr = 8 };
	siginfo_t si[8];
	int n = (int)ptrace(PTRACE_PEEKSIGINFO, u->tid, &a, si);
	for (int i = 0; i < n; i++)
		if (si[i].si_signo == SIGSEGV && si[i].si_code > 0 &&
		    region_find(mm, (uint64_t)(uintptr_t)si[i].si_addr))
			return 1;
	return 0;
}

static int pending_event(const struct pt_task *u)
{
	return u->have_pending && WIFSTOPPED(u->pending_status) ?
		       (int)((unsigned)u->pending_status >> 16) : 0;
}

/*
 * Bring every task of mm to a stop whose status is kept pending, such that
 * detaching it loses nothing:
 *  - running tasks are interrupted (stop_others);
 *  - a pending clone/fork/vfork event is taken now (detach: `events`), so
 *    that the new task is known, then stopped (its first stop) and detached
 *    with its creator if it shares mm;
 *  - a task stopped by the interrupt may already have a SIGSEGV of a traced
 *    page queued: it faulted just before, and the kernel reports the
 *    interrupt trap before it dequeues signals. Detached, that SIGSEGV would
 *    kill the program although its page works again. It is resumed once to
 *    take the signal into a signal-delivery-stop, which detach_mm drops.
 * Repeated until nothing changes.
 */
static void stop_all_for_detach(struct pt_mm *mm, int events)
{
	for (int round = 0; round < 64; round++) {
		int again = 0;
		stop_others(mm, NULL);
		for (struct pt_task *u = S.tasks; u; u = u->next) {
			if (u->mm != mm || !u->have_pending || u->stop == PT_DEAD)
				continue;
			int ev = pending_event(u);
			if (events && (ev == PTRACE_EVENT_CLONE || ev == PTRACE_EVENT_FORK ||
				       ev == PTRACE_EVENT_VFORK)) {
				/* the task stays in its event stop, the event is
				 * taken: its new task is now in S.tasks, still to
				 * be stopped if it shares mm */
				on_new_child(u, ev);
				u->pending_status = (SIGTRAP << 8) | 0x7f |
						    (PTRACE_EVENT_STOP << 16);
				again = 1;
				continue;
			}
			if (ev == PTRACE_EVENT_STOP && !is_stop_signal(WSTOPSIG(u->pending_status)) &&
			    queued_fault(u, mm)) {
				u->have_pending = 0;
				if (resume(u, 0) < 0)
					continue;
				if (take_stop(u) < 0)
					continue;
				again = 1;
			}
		}
		/* tasks of mm not stopped yet (new ones, or resumed by
		 * on_new_child) */
		for (struct pt_task *u = S.tasks; u; u = u->next)
			if (u->mm == mm && u->stop == PT_RUNNING && !u->have_pending)
				again = 1;
		if (!again)
			break;
	}
}

static void handle_status(pid_t pid, int status);

static void detach_mm(struct pt_mm *mm)
{
	mm->refs++; /* keep it while tasks go */
	mm->detached = 1;
	stop_all_for_detach(mm, !S.seccomp);
	struct pt_task *inj = pick_inj(mm);
	if (!inj)
		logmsg("process %d: no thread can run mprotect; traced pages stay protected",
		       (int)mm->tgid);
	/* which pending SIGSEGVs are ours: the restored page will just work */
	for (struct pt_task *u = S.tasks; u; u = u->next) {
		u->drop_sig = 0;
		if (u->mm != mm || !u->have_pending || !WIFSTOPPED(u->pending_status) ||
		    WSTOPSIG(u->pending_status) != SIGSEGV || (unsigned)u->pending_status >> 16)
			continue;
		siginfo_t si;
		if (ptrace(PTRACE_GETSIGINFO, u->tid, 0, &si) == 0 && si.si_code > 0 &&
		    region_find(mm, (uint64_t)(uintptr_t)si.si_addr))
			u->drop_sig = 1;
	}
	region_cut(inj, mm, 0, ~0ull, 1, 0);
	if (S.seccomp) {
		/* A SECCOMP_RET_TRACE filter cannot be removed, and without a
		 * tracer its syscalls fail with ENOSYS: stay attached, passing
		 * everything through. */
		mm->untraced = 1;
		for (struct pt_task *u = S.tasks; u; u = u->next)
			if (u->mm == mm && u->drop_sig) {
				u->have_pending = 0;
				resume(u, 0);
			}
		resume_others(mm);
	} else {
		for (struct pt_task *u = S.tasks, *next; u; u = next) {
			next = u->next;
			if (u->mm != mm)
				continue;
			if (u->stop == PT_DEAD && u->have_pending) {
				/* exited (threads end all the time): reap it
				 * now, the loop below must not see it again */
				u->have_pending = 0;
				handle_status(u->tid, u->pending_status);
				continue;
			}
			int sig = 0;
			if (u->have_pending && WIFSTOPPED(u->pending_status) &&
			    !((unsigned)u->pending_status >> 16) && !u->drop_sig &&
			    WSTOPSIG(u->pending_status) != (SIGTRAP | 0x80))
				sig = WSTOPSIG(u->pending_status);
			ptrace(PTRACE_DETACH, u->tid, 0, (void *)(long)sig);
			task_del(u);
		}
		/* new threads whose creator's event we will not see any more */
		for (struct pt_task *u = S.tasks, *next; u; u = next) {
			next = u->next;
			if (!u->mm && u->initial == 2 && read_tgid(u->tid) == mm->tgid) {
				ptrace(PTRACE_DETACH, u->tid, 0, 0);
				task_del(u);
			}
		}
	}
	mm_put(mm);
}

static void process_detach(void)
{
	int all = g_detach_all;
	int n = g_detach_n;
	if (n > MAX_DETACH_REQ)
		n = MAX_DETACH_REQ;
	for (;;) {
		struct pt_mm *target = NULL;
		for (struct pt_task *t = S.tasks; t && !target; t = t->next) {
			if (!t->mm || t->mm->detached || (S.seccomp && t->mm->untraced))
				continue;
			if (all)
				target = t->mm;
			for (int i = 0; i < n && !target; i++)
				if (g_detach_pid[i] == t->tgid || g_detach_pid[i] == t->tid)
					target = t->mm;
		}
		if (!target)
			break;
		logmsg("detaching from process %d", (int)target->tgid);
		detach_mm(target);
	}
	g_detach_all = 0;
	__atomic_store_n(&g_detach_n, 0, __ATOMIC_SEQ_CST);
}

/* ---- one stop ------------------------------------------------------------------------------------------ */

static void handle_status(pid_t pid, int status)
{
	struct pt_task *t = task_find(pid);
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		if (pid == S.main_pid)
			S.main_status = status;
		if (t)
			task_del(t);
		return;
	}
	if (!WIFSTOPPED(status))
		return;
	if (!t) {
		/* a new child before its creator's event */
		t = task_new(pid, NULL, pid);
		if (!t) {
			ptrace(PTRACE_DETACH, pid, 0, 0);
			return;
		}
		t->initial = 2;
		t->stop = PT_STOP_EVENT;
		return;
	}
	classify(t, status);
	int sig = WSTOPSIG(status), ev = (unsigned)status >> 16;
	if (t->initial) {
		if (!t->mm) {
			t->initial = 2;
			return;
		}
		t->initial = 0;
		if (ev == PTRACE_EVENT_STOP) {
			resume(t, 0);
			return;
		}
	}
	switch (ev) {
	case 0:
		break;
	case PTRACE_EVENT_SECCOMP: {
		S.st.sysstops++;
		struct __ptrace_syscall_info si;
		if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof(si), &si) > 0 &&
		    si.op == PTRACE_SYSCALL_INFO_SECCOMP) {
			t->sc_nr = (long)si.seccomp.nr;
			memcpy(t->sc_args, si.seccomp.args, sizeof(t->sc_args));
			t->sc_pending = sc_interesting(t, t->sc_nr, t->sc_args);
		}
		resume(t, 0);
		return;
	}
	case PTRACE_EVENT_CLONE:
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
		on_new_child(t, ev);
		resume(t, 0);
		return;
	case PTRACE_EVENT_EXEC:
		on_exec(t);
		resume(t, 0);
		return;
	case PTRACE_EVENT_STOP:
		if (is_stop_signal(sig)) {
			/* group-stop: stay stopped, but keep reporting */
			ptrace(PTRACE_LISTEN, t->tid, 0, 0);
			t->stop = PT_RUNNING;
		} else {
			resume(t, 0);
		}
		return;
	default:
		resume(t, 0);
		return;
	}
	if (sig == (SIGTRAP | 0x80)) {
		S.st.sysstops++;
		struct __ptrace_syscall_info si;
		memset(&si, 0, sizeof(si));
		ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof(si), &si);
		if (si.op == PTRACE_SYSCALL_INFO_ENTRY) {
			t->sc_nr = (long)si.entry.nr;
			memcpy(t->sc_args, si.entry.args, sizeof(t->sc_args));
			t->sc_pending = sc_interesting(t, t->sc_nr, t->sc_args);
		} else if (si.op == PTRACE_SYSCALL_INFO_EXIT && t->sc_pending) {
			sc_exit(t, si.exit.rval, si.exit.is_error);
		}
		resume(t, 0);
		return;
	}
	if (sig == SIGSEGV && handle_fault(t))
		return;
	S.st.signals++;
	resume(t, sig);
}

/* ---- starting ------------------------------------------------------------------------------------------ */

static int install_filter(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_munmap, 6, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mremap, 5, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mprotect, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pkey_mprotect, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 3, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* 11: trace */
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
		/* 12: mmap: trace MAP_FIXED* and shared file mappings only */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[3])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, MAP_FIXED | MAP_FIXED_NOREPLACE, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, MAP_ANONYMOUS, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, MAP_SHARED, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { (unsigned short)(sizeof(f) / sizeof(f[0])), f };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
		return 0;
	if (errno != EACCES)
		return -errno;
	/* without CAP_SYS_ADMIN the kernel wants no_new_privs */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0 ? 0 : -errno;
}

static long ptrace_options(int spawn)
{
	long o = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
		 PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC;
	if (spawn) {
		o |= PTRACE_O_EXITKILL;
		if (S.seccomp)
			o |= PTRACE_O_TRACESECCOMP;
	}
	return o;
}

static int spawn(void)
{
	int sync[2];
	if (pipe2(sync, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(sync[0]);
		close(sync[1]);
		return e;
	}
	if (pid == 0) {
		char c;
		close(sync[1]);
		/* wait until the tracer has seized us */
		while (read(sync[0], &c, 1) < 0 && errno == EINTR)
			;
		close(sync[0]);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (S.seccomp && install_filter() < 0) {
			int e = errno;
			if (S.o->exec_errfd >= 0)
				(void)!write(S.o->exec_errfd, &e, sizeof(e));
			_exit(127);
		}
		execvp(S.o->argv[0], S.o->argv);
		int e = errno;
		if (S.o->exec_errfd >= 0)
			(void)!write(S.o->exec_errfd, &e, sizeof(e));
		_exit(127);
	}
	close(sync[0]);
	if (ptrace(PTRACE_SEIZE, pid, 0, (void *)ptrace_options(1)) < 0) {
		int e = -errno;
		kill(pid, SIGKILL);
		close(sync[1]);
		waitpid(pid, NULL, 0);
		return e;
	}
	S.main_pid = pid;
	struct pt_mm *mm = mm_new(pid);
	struct pt_task *t = mm ? task_new(pid, mm, pid) : NULL;
	if (!t) {
		kill(pid, SIGKILL);
		close(sync[1]);
		return -ENOMEM;
	}
	(void)!write(sync[1], "g", 1);
	close(sync[1]);
	if (S.o->exec_errfd >= 0)
		close(S.o->exec_errfd);
	return 0;
}

static int attach(pid_t pid)
{
	pid_t tgid = read_tgid(pid);
	if (tgid <= 0)
		return -ESRCH;
	struct pt_mm *mm = mm_new(tgid);
	if (!mm)
		return -ENOMEM;
	S.main_pid = tgid;
	int added, first = 1;
	do {
		added = 0;
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/task", (int)tgid);
		DIR *d = opendir(p);
		if (!d) {
			if (first)
				free(mm);
			return first ? -ESRCH : 0;
		}
		struct dirent *de;
		while ((de = readdir(d))) {
			pid_t tid = (pid_t)atoi(de->d_name);
			if (tid <= 0 || task_find(tid))
				continue;
			if (ptrace(PTRACE_SEIZE, tid, 0, (void *)ptrace_options(0)) < 0) {
				int e = -errno;
				if (first && tid == tgid) {
					closedir(d);
					free(mm);
					return e;
				}
				continue;
			}
			struct pt_task *t = task_new(tid, mm, tgid);
			if (!t)
				continue;
			ptrace(PTRACE_INTERRUPT, tid, 0, 0);
			t->interrupted = 1;
			added++;
		}
		closedir(d);
		first = 0;
		/* Once every thread seized so far is stopped, no clone of theirs
		 * is half done: a thread created just before its creator was
		 * seized (so not traced along) is in the list by now, and the
		 * next pass must find it. Else it would run untraced and die on
		 * the first armed page. */
		collect_interrupt_stops();
	} while (added);
	struct pt_task *inj = pick_inj(mm);
	if (inj)
		scan_maps(inj, 0, 0);
	else
		logmsg("process %d: no thread can run mprotect; nothing armed", (int)tgid);
	resume_others(mm);
	return 0;
}

int mt_ptrace_run(const struct mt_ptrace_opts *o, int *status, struct mt_ptrace_stats *stats)
{
	if (!o || o->sz < offsetof(struct mt_ptrace_opts, exec_errfd) ||
	    (!o->argv && o->pid <= 0) || (o->argv && !o->argv[0]))
		return -EINVAL;
	memset(&S, 0, sizeof(S));
	S.o = o;
	S.defaults = !(o->flags & MT_PTRACE_NO_DEFAULTS);
	S.seccomp = o->argv && !(o->flags & MT_PTRACE_NO_SECCOMP);
	xs_layout();
	/* g_detach_*: a request made before this point (Ctrl-C while the
	 * caller set up) is kept and served right after the start; they are
	 * cleared when the run ends */
	g_tracer_tid = (pid_t)syscall(SYS_gettid);
	ring_pid = (uint32_t)getpid();
	ring_tid = (uint32_t)g_tracer_tid;

	/* Detach requests interrupt waitpid with MT_WAKE_SIG; a per-thread
	 * timer repeats it every 100 ms so that a request landing between the
	 * check and waitpid is never lost. */
	sigset_t wake, oldmask;
	sigemptyset(&wake);
	sigaddset(&wake, MT_WAKE_SIG);
	struct sigaction sa, oldsa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wake_handler;
	sigaction(MT_WAKE_SIG, &sa, &oldsa);
	pthread_sigmask(SIG_UNBLOCK, &wake, &oldmask);
	timer_t tm;
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = MT_WAKE_SIG;
	sev._sigev_un._tid = g_tracer_tid;
	int have_timer = timer_create(CLOCK_MONOTONIC, &sev, &tm) == 0;
	if (have_timer) {
		struct itimerspec its = { { 0, 100 * 1000 * 1000 }, { 0, 100 * 1000 * 1000 } };
		timer_settime(tm, 0, &its, NULL);
	}

	int rc = o->argv ? spawn() : attach(o->pid);
	if (rc) {
		if (have_timer)
			timer_delete(tm);
		pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
		sigaction(MT_WAKE_SIG, &oldsa, NULL);
		g_tracer_tid = 0;
		g_detach_all = 0;
		g_detach_n = 0;
		free(S.xs_buf);
		return rc;
	}
	if (o->started)
		o->started(o->started_arg, S.main_pid);
	while (S.tasks) {
		if (g_detach_all || g_detach_n)
			process_detach();
		struct pt_task *p = NULL;
		for (struct pt_task *t = S.tasks; t; t = t->next)
			if (t->have_pending) {
				p = t;
				break;
			}
		if (p) {
			p->have_pending = 0;
			handle_status(p->tid, p->pending_status);
			continue;
		}
		int st;
		pid_t w = waitpid(-1, &st, __WALL);
		if (w > 0) {
			handle_status(w, st);
			continue;
		}
		if (w < 0 && errno != EINTR)
			break;
	}
	/* tasks left only if waitpid failed */
	while (S.tasks)
		task_del(S.tasks);
	if (have_timer)
		timer_delete(tm);
	pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	sigaction(MT_WAKE_SIG, &oldsa, NULL);
	if (status)
		*status = S.main_status;
	if (stats)
		*stats = S.st;
	g_tracer_tid = 0;
	g_detach_all = 0;
	g_detach_n = 0;
	free(S.xs_buf);
	S.xs_buf = NULL;
	return 0;
}
