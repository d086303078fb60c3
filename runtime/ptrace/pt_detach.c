// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pt_detach.c - detaching from a traced process while it runs: requests
 * (async-signal-safe, from any thread), bringing every task of the process
 * to a stop that loses nothing, giving the traced pages their protection
 * back, and letting the tasks go (or, under the seccomp filter, which
 * cannot be removed, staying attached and passing everything through).
 */
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pt_int.h"

/* ---- requests -------------------------------------------------------------------------------- */

#define MAX_DETACH_REQ 16
static volatile sig_atomic_t g_detach_n;
static volatile pid_t g_detach_pid[MAX_DETACH_REQ];
static volatile sig_atomic_t g_detach_all;

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
	pid_t t = pt_tracer_tid;
	if (t > 0)
		syscall(SYS_tgkill, getpid(), t, PT_WAKE_SIG);
}

int pt_detach_requested(void)
{
	return g_detach_all || g_detach_n;
}

void pt_detach_requests_clear(void)
{
	g_detach_all = 0;
	__atomic_store_n(&g_detach_n, 0, __ATOMIC_SEQ_CST);
}

/* ---- a task to run system calls in ----------------------------------------------------------- */

/* Take u, stopped at a clone or fork event, on to that call's
 * syscall-exit stop (handling its event if still pending). 1 if it got
 * there (u's stop then pending). */
static int past_clone(struct pt_task *u)
{
	int ev = pt_stop_event(u->tid);
	if (ev != PTRACE_EVENT_CLONE && ev != PTRACE_EVENT_FORK)
		return 0; /* (vfork: its call returns only when the child execs) */
	if (pt_pending_event(u) == ev) {
		pt_on_new_child(u, ev);
		u->have_pending = 0;
	}
	if (ptrace(PTRACE_SYSCALL, u->tid, 0, 0) < 0)
		return 0;
	u->stop = PT_RUNNING;
	u->cpu_stale = 1;
	return pt_take_stop(u) == 0;
}

/*
 * A stopped task of mm (all of them stopped) in which system calls can be
 * run (pt_rsys_safe), preferring one that is not at a syscall-entry stop.
 * If every one is inside clone or fork (its event stop), one of them is
 * first taken on to that call's syscall-exit stop. NULL if none.
 */
struct pt_task *pt_pick_rsys(struct pt_mm *mm)
{
	struct pt_task *inj = NULL;
	for (struct pt_task *u = pt.tasks; u; u = u->next)
		if (u->mm == mm && (!inj || inj->stop == PT_STOP_SC_ENTRY) && pt_rsys_safe(u))
			inj = u;
	if (inj)
		return inj;
	for (struct pt_task *u = pt.tasks; u; u = u->next) {
		if (u->mm != mm || u->stop == PT_RUNNING || u->stop == PT_DEAD)
			continue;
		if (past_clone(u) && u->mm == mm && pt_rsys_safe(u))
			return u;
	}
	return NULL;
}

/* ---- stopping everything --------------------------------------------------------------------- */

/* 1 if a SIGSEGV of a traced page of mm waits in the private signal queue
 * of stopped task u (PTRACE_PEEKSIGINFO: the queue is left alone). */
static int queued_fault(struct pt_task *u, struct pt_mm *mm)
{
	struct __ptrace_peeksiginfo_args a = { .off = 0, .flags = 0, .nr = 8 };
	siginfo_t si[8];
	int n = (int)ptrace(PTRACE_PEEKSIGINFO, u->tid, &a, si);
	for (int i = 0; i < n; i++)
		if (si[i].si_signo == SIGSEGV && si[i].si_code > 0 &&
		    pt_region_find(mm, (uint64_t)(uintptr_t)si[i].si_addr))
			return 1;
	return 0;
}

/* One stopped task of mm with a pending status, in a detach round: 1 if
 * something changed (see stop_all_for_detach). */
static int settle_for_detach(struct pt_task *u, struct pt_mm *mm, int events)
{
	int ev = pt_pending_event(u);
	if (events && (ev == PTRACE_EVENT_CLONE || ev == PTRACE_EVENT_FORK ||
		       ev == PTRACE_EVENT_VFORK)) {
		/* the task stays in its event stop, the event is taken: its
		 * new task is now in pt.tasks, still to be stopped if it
		 * shares mm */
		pt_on_new_child(u, ev);
		u->pending_status = (SIGTRAP << 8) | 0x7f | (PTRACE_EVENT_STOP << 16);
		return 1;
	}
	if (ev == PTRACE_EVENT_STOP && !pt_is_stop_signal(WSTOPSIG(u->pending_status)) &&
	    queued_fault(u, mm)) {
		u->have_pending = 0;
		if (pt_resume(u, 0) < 0)
			return 0;
		return pt_take_stop(u) == 0;
	}
	return 0;
}

/*
 * Bring every task of mm to a stop whose status is kept pending, such that
 * detaching it loses nothing:
 *  - running tasks are interrupted (pt_stop_others);
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
		pt_stop_others(mm, NULL);
		for (struct pt_task *u = pt.tasks; u; u = u->next)
			if (u->mm == mm && u->have_pending && u->stop != PT_DEAD)
				again |= settle_for_detach(u, mm, events);
		/* tasks of mm not stopped yet (new ones, or resumed by
		 * pt_on_new_child) */
		for (struct pt_task *u = pt.tasks; u; u = u->next)
			if (u->mm == mm && u->stop == PT_RUNNING && !u->have_pending)
				again = 1;
		if (!again)
			break;
	}
}

/* ---- letting go ------------------------------------------------------------------------------- */

/* Mark the tasks of mm whose pending SIGSEGV is ours: the restored page
 * will just work. */
static void mark_own_faults(struct pt_mm *mm)
{
	for (struct pt_task *u = pt.tasks; u; u = u->next) {
		u->drop_sig = 0;
		if (u->mm != mm || !u->have_pending || !WIFSTOPPED(u->pending_status) ||
		    WSTOPSIG(u->pending_status) != SIGSEGV || (unsigned)u->pending_status >> 16)
			continue;
		siginfo_t si;
		if (ptrace(PTRACE_GETSIGINFO, u->tid, 0, &si) == 0 && si.si_code > 0 &&
		    pt_region_find(mm, (uint64_t)(uintptr_t)si.si_addr))
			u->drop_sig = 1;
	}
}

/* A SECCOMP_RET_TRACE filter cannot be removed, and without a tracer its
 * syscalls fail with ENOSYS: stay attached, passing everything through. */
static void pass_through(struct pt_mm *mm)
{
	mm->untraced = 1;
	for (struct pt_task *u = pt.tasks; u; u = u->next)
		if (u->mm == mm && u->drop_sig) {
			u->have_pending = 0;
			pt_resume(u, 0);
		}
	pt_resume_others(mm);
}

/* PTRACE_DETACH every task of mm, with the signal of its pending
 * signal-delivery stop unless it was ours. */
static void detach_tasks(struct pt_mm *mm)
{
	for (struct pt_task *u = pt.tasks, *next; u; u = next) {
		next = u->next;
		if (u->mm != mm)
			continue;
		if (u->stop == PT_DEAD && u->have_pending) {
			/* exited (threads end all the time): reap it now, the
			 * loop below must not see it again */
			u->have_pending = 0;
			pt_handle_status(u->tid, u->pending_status);
			continue;
		}
		int sig = 0;
		if (u->have_pending && WIFSTOPPED(u->pending_status) &&
		    !((unsigned)u->pending_status >> 16) && !u->drop_sig &&
		    WSTOPSIG(u->pending_status) != (SIGTRAP | 0x80))
			sig = WSTOPSIG(u->pending_status);
		ptrace(PTRACE_DETACH, u->tid, 0, (void *)(long)sig);
		pt_task_del(u);
	}
	/* new threads whose creator's event we will not see any more */
	for (struct pt_task *u = pt.tasks, *next; u; u = next) {
		next = u->next;
		if (!u->mm && u->initial == 2 && pt_read_tgid(u->tid) == mm->tgid) {
			ptrace(PTRACE_DETACH, u->tid, 0, 0);
			pt_task_del(u);
		}
	}
}

static void detach_mm(struct pt_mm *mm)
{
	mm->refs++; /* keep it while tasks go */
	mm->detached = 1;
	stop_all_for_detach(mm, !pt.seccomp);
	struct pt_task *inj = pt_pick_rsys(mm);
	if (!inj)
		pt_log("process %d: no thread can run mprotect; traced pages stay protected",
		       (int)mm->tgid);
	mark_own_faults(mm);
	pt_sysptr_settle(mm, 0);
	if (inj)
		pt_watch_detach(inj, mm);
	pt_region_cut(inj, mm, 0, ~0ull, 1, 0);
	if (pt.seccomp)
		pass_through(mm);
	else
		detach_tasks(mm);
	pt_mm_put(mm);
}

/* The address space a request names (first match), or NULL. */
static struct pt_mm *detach_target(int all, int n)
{
	for (struct pt_task *t = pt.tasks; t; t = t->next) {
		if (!t->mm || t->mm->detached || (pt.seccomp && t->mm->untraced))
			continue;
		if (all)
			return t->mm;
		for (int i = 0; i < n; i++)
			if (g_detach_pid[i] == t->tgid || g_detach_pid[i] == t->tid)
				return t->mm;
	}
	return NULL;
}

void pt_process_detach(void)
{
	int all = g_detach_all;
	int n = g_detach_n;
	if (n > MAX_DETACH_REQ)
		n = MAX_DETACH_REQ;
	struct pt_mm *target;
	while ((target = detach_target(all, n))) {
		pt_log("detaching from process %d", (int)target->tgid);
		detach_mm(target);
	}
	pt_detach_requests_clear();
}
