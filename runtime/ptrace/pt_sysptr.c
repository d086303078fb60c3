// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pt_sysptr.c - `watch --pid`: system calls of the traced process given a
 * futex word on a watch page (pt_watch.c), as runtime/preload/sysptr.c
 * does in-process. A watch page is PROT_NONE in the tracee, so the kernel
 * would fail such a call with EFAULT (glibc's futex users abort on it).
 *
 * Each watch page has a second, read-write view of its memfd in the tracee
 * (struct pt_region.talias). The attached tracer resumes its tasks with
 * PTRACE_SYSCALL already (no filter can be put into a running process: a
 * RET_TRACE filter with no tracer fails every call with ENOSYS, and none
 * can be removed at detach), so every system call stops at its entry and
 * exit anyway: at the entry of a futex call whose word (or uaddr2 of
 * requeue and wake_op) lies on a watch page, the argument's register is
 * pointed at the same word in the alias; at the exit, the program's
 * register is put back (the kernel preserves argument registers, code
 * relies on it). Every futex call on the page is moved the same way, so
 * waiters and wakers meet on one key (a private futex's key is the
 * address). Futex accesses are not recorded.
 *
 * read, pread64, write and pwrite64 with a buffer inside one watch page
 * (whose protection allows the kernel's access) are moved the same way;
 * at the exit, the bytes the call reports are recorded as accesses of the
 * watched objects by the system call's instruction (what read(2) stored
 * shows as writes, in naturally aligned pieces of at most 8 bytes), as
 * the preload runtime does. Other calls, and buffers reaching past their
 * watch page, still fail with EFAULT.
 *
 * Waits in flight when pages are armed or disarmed: every task is stopped
 * then, so its wait was interrupted. One restarted as the same call goes
 * through its entry again; one that would restart through
 * restart_syscall (a timed wait) would keep the address it had, which is
 * wrong from then on, so it returns 0 instead: a spurious wake-up, which
 * futex users expect (they look at the word and wait again). A timed
 * wait already in restart_syscall when a page is armed (the process was
 * stopped and continued before: its restart block is the kernel's, with
 * the old address) is told apart by its registers, which still hold its
 * futex arguments, and returns 0 the same way.
 */
#include <linux/futex.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "pt_int.h"

#define ERESTART_RESTARTBLOCK 516 /* kernel-internal: restart via restart_syscall */

/* The register of system call argument i. */
static unsigned long long *arg_reg(struct user_regs_struct *r, int i)
{
	switch (i) {
	case 0: return &r->rdi;
	case 1: return &r->rsi;
	case 2: return &r->rdx;
	case 3: return &r->r10;
	case 4: return &r->r8;
	default: return &r->r9;
	}
}

/* The alias in the tracee of futex word w, if w is on a watch page. */
static int alias_of(struct pt_mm *mm, uint64_t w, uint64_t *out)
{
	struct pt_region *r = pt_region_find(mm, w);
	if (!r || !r->watch || !r->talias || (w & 3) || w + 4 > r->end)
		return 0;
	*out = r->talias + (w - r->start);
	return 1;
}

/* Futex ops whose uaddr2 (argument 4) is a word too. */
static int two_words(uint64_t op)
{
	int cmd = (int)op & FUTEX_CMD_MASK;
	return cmd == FUTEX_REQUEUE || cmd == FUTEX_CMP_REQUEUE || cmd == FUTEX_WAKE_OP ||
	       cmd == FUTEX_CMP_REQUEUE_PI || cmd == FUTEX_WAIT_REQUEUE_PI;
}

/* The alias in the tracee of buffer [b, b + n), if it lies on one watch
 * page whose protection allows the kernel's access. */
static int buf_alias(struct pt_mm *mm, uint64_t b, uint64_t n, int kernel_writes, uint64_t *out)
{
	struct pt_region *r = pt_region_find(mm, b);
	if (!r || !r->watch || !r->talias || !n || n > r->end - b ||
	    !(r->prot & (kernel_writes ? PROT_WRITE : PROT_READ)))
		return 0;
	*out = r->talias + (b - r->start);
	return 1;
}

/* The arguments of call nr (args a) to move, in to[] (bit per argument). */
static int moves(struct pt_mm *mm, long nr, const uint64_t *a, uint64_t to[6])
{
	int mask = 0;
	switch (nr) {
	case SYS_futex:
		if (alias_of(mm, a[0], &to[0]))
			mask |= 1;
		if (two_words(a[1]) && alias_of(mm, a[4], &to[4]))
			mask |= 1 << 4;
		break;
	case SYS_read:
	case SYS_pread64:
	case SYS_write:
	case SYS_pwrite64:
		if (buf_alias(mm, a[1], a[2], nr == SYS_read || nr == SYS_pread64, &to[1]))
			mask |= 1 << 1;
		break;
	}
	return mask;
}

void pt_sysptr_entry(struct pt_task *t, long nr, const uint64_t *a)
{
	if (nr != SYS_restart_syscall)
		t->redir_restart = 0; /* a restart of ours was dropped */
	if (t->redir && nr == t->redir_nr)
		return; /* the same call again (pt_rsys rewound it): moved already */
	t->redir = 0;
	struct pt_mm *mm = t->mm;
	if (!mm || mm->untraced || !mm->nwobj)
		return;
	uint64_t to[6];
	int mask = moves(mm, nr, a, to);
	struct user_regs_struct r;
	if (!mask || ptrace(PTRACE_GETREGS, t->tid, 0, &r) < 0)
		return;
	for (int i = 0; i < 6; i++)
		if (mask & (1 << i))
			*arg_reg(&r, i) = to[i];
	if (ptrace(PTRACE_SETREGS, t->tid, 0, &r) < 0)
		return;
	t->redir = mask;
	t->redir_nr = nr;
	memcpy(t->redir_orig, a, sizeof(t->redir_orig));
}

/* The largest naturally aligned piece (1, 2, 4, 8) at a, at most n. */
static size_t piece(uint64_t a, size_t n)
{
	size_t s = 8;
	while (s > 1 && ((a & (s - 1)) || s > n))
		s >>= 1;
	return s;
}

/* The kernel's access to [addr, addr + n) of t's watch page, as the
 * accesses of the call's instruction at pc: of the watched bytes, reads
 * or writes in naturally aligned pieces of at most 8 bytes (the values
 * are the page's now: after the call). */
static void record(struct pt_task *t, uint64_t addr, size_t n, int is_write, uint64_t pc)
{
	struct pt_region *r = pt_region_find(t->mm, addr);
	if (!r || !r->watch || n > r->end - addr)
		return;
	for (size_t done = 0; done < n;) {
		uint64_t p = addr + done;
		struct mt_acc_region ar;
		pt_watch_piece(t->mm, r, p, is_write, &ar);
		size_t k = ar.end - p < n - done ? (size_t)(ar.end - p) : n - done;
		for (size_t o = 0; ar.map_id && o < k;) {
			size_t sz = piece(p + o, k - o);
			pt_emit_simple(is_write ? MT_EV_WRITE : MT_EV_READ, t, ar.map_id, p + o, pc,
				       (const uint8_t *)ar.alias + (p + o - ar.start), (unsigned)sz, 0);
			o += sz;
		}
		done += k;
	}
}

/* The program's argument registers back in r (t->redir cleared). */
static void put_back(struct pt_task *t, struct user_regs_struct *r)
{
	for (int i = 0; i < 6; i++)
		if (t->redir & (1 << i))
			*arg_reg(r, i) = t->redir_orig[i];
	t->redir = 0;
}

void pt_sysptr_exit(struct pt_task *t, int64_t rval)
{
	if (t->sc_nr == SYS_restart_syscall)
		t->redir_restart = t->redir_restart && rval == -ERESTART_RESTARTBLOCK;
	if (!t->redir)
		return;
	struct user_regs_struct r;
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) < 0)
		return;
	long nr = t->redir_nr;
	uint64_t buf = t->redir_orig[1];
	put_back(t, &r);
	/* interrupted timed wait: its restart_syscall waits on the alias */
	t->redir_restart = nr == SYS_futex && rval == -ERESTART_RESTARTBLOCK;
	ptrace(PTRACE_SETREGS, t->tid, 0, &r);
	if (nr != SYS_futex && rval > 0)
		record(t, buf, (size_t)rval, nr == SYS_read || nr == SYS_pread64, r.rip - 2);
}

/* Whether stopped task u's registers r hold a futex wait on an address
 * that is wrong after this (dis)arming, to be restarted through
 * restart_syscall (or that restart, not run yet). */
static int stale_restart(struct pt_task *u, const struct user_regs_struct *r, int arm)
{
	long nr = (long)r->orig_rax;
	int restart = (long)r->rax == -ERESTART_RESTARTBLOCK;
	if (arm) {
		uint64_t x;
		long cmd = (long)(r->rsi & FUTEX_CMD_MASK);
		/* a timed wait the kernel restarts through restart_syscall (the
		 * process was stopped and continued before): the registers still
		 * hold its futex arguments, the restart block its old address */
		if (nr == SYS_restart_syscall)
			return restart && (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET) &&
			       alias_of(u->mm, r->rdi, &x);
		return nr == SYS_futex && restart &&
		       (alias_of(u->mm, r->rdi, &x) || (two_words(r->rsi) && alias_of(u->mm, r->r8, &x)));
	}
	if (!u->redir_restart)
		return 0;
	if (nr == SYS_restart_syscall && u->stop == PT_STOP_SC_ENTRY)
		return 1; /* not run yet: skipped */
	return restart && (nr == SYS_futex || nr == SYS_restart_syscall);
}

void pt_sysptr_settle(struct pt_mm *mm, int arm)
{
	for (struct pt_task *u = pt.tasks; u; u = u->next) {
		struct user_regs_struct r;
		if (u->mm != mm || u->stop == PT_RUNNING || u->stop == PT_DEAD ||
		    (arm && !mm->nwobj))
			continue;
		/* its exit stop, not seen yet (not one pt_rsys left rewound to
		 * run the call again: no status pending then) */
		if (!arm && u->redir && u->stop == PT_STOP_SC_EXIT && u->have_pending &&
		    WIFSTOPPED(u->pending_status) && WSTOPSIG(u->pending_status) == (SIGTRAP | 0x80) &&
		    ptrace(PTRACE_GETREGS, u->tid, 0, &r) == 0)
			pt_sysptr_exit(u, (int64_t)r.rax);
		if (ptrace(PTRACE_GETREGS, u->tid, 0, &r) < 0)
			continue;
		int fix = stale_restart(u, &r, arm), moved = !arm && u->redir;
		if (!arm)
			u->redir_restart = 0;
		if (!fix && !moved)
			continue;
		if (moved)
			put_back(u, &r); /* at its entry: runs as the program made it */
		if (fix) {
			r.rax = 0;           /* woken */
			r.orig_rax = -1ull;  /* no restart (or, at entry: the call skipped) */
		}
		ptrace(PTRACE_SETREGS, u->tid, 0, &r);
	}
}
