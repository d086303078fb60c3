// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pt_proc.c - one stop of a traced task, as the run loop gets it from
 * waitpid: exits, the first stop of a new task, ptrace events (new
 * threads and processes, exec), seccomp and syscall stops of the mmap
 * family, and signals (ours: a traced page; else passed on).
 */
#include <linux/audit.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pt_int.h"

/* ---- new tasks and exec ------------------------------------------------------------------- */

/* The address space of ntid, new child of t by event ev: t's (vfork, or a
 * thread of t's process), else a copy of t's regions. A reference is taken. */
static struct pt_mm *child_mm(struct pt_task *t, int ev, pid_t ntid, pid_t *tgid)
{
	struct pt_mm *mm;
	if (ev == PTRACE_EVENT_VFORK) {
		mm = t->mm; /* shares the parent's memory until it execs */
		*tgid = ntid;
	} else if (ev == PTRACE_EVENT_CLONE && pt_read_tgid(ntid) == t->tgid) {
		mm = t->mm;
		*tgid = t->tgid;
	} else {
		mm = t->mm ? pt_mm_copy(t->mm, ntid) : NULL;
		*tgid = ntid;
	}
	if (mm)
		mm->refs++;
	return mm;
}

void pt_on_new_child(struct pt_task *t, int ev)
{
	unsigned long msg = 0;
	if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &msg) < 0 || !msg)
		return;
	pid_t ntid = (pid_t)msg, tgid;
	struct pt_mm *mm = child_mm(t, ev, ntid, &tgid);
	struct pt_task *c = pt_task_find(ntid);
	if (c) {
		/* its first stop came first: it waits for us */
		pt_mm_put(c->mm);
		c->mm = mm;
		c->tgid = tgid;
		if (c->initial == 2) {
			c->initial = 0;
			pt_watch_child_start(c);
			pt_resume(c, 0);
		}
	} else {
		c = pt_task_new(ntid, NULL, tgid);
		if (!c) {
			pt_mm_put(mm);
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
		struct pt_task *o = pt_task_find((pid_t)old);
		if (o)
			pt_task_del(o);
	}
	struct pt_mm *nm = pt_mm_new(t->tid);
	if (!nm)
		return;
	nm->refs = 1;
	nm->untraced = t->mm && t->mm->untraced;
	pt_mm_put(t->mm);
	t->mm = nm;
	t->tgid = t->tid;
	t->sc_pending = 0;
	t->redir = 0;
	t->redir_restart = 0;
	t->rseq_cpu = 0; /* the new image registers its own rseq area */
	if (t->stat_fd > 0)
		close(t->stat_fd - 1);
	t->stat_fd = 0;
	pt_code_exec(t);
	pt_scan_maps(t, 0, 0);
}

/* ---- one stop ------------------------------------------------------------------------------ */

/* The first stop of task t (new, or seized): 1 if it was taken here. */
static int first_stop(struct pt_task *t, int ev)
{
	if (!t->mm) {
		t->initial = 2; /* waits for its creator's event */
		return 1;
	}
	t->initial = 0;
	pt_watch_child_start(t);
	if (ev != PTRACE_EVENT_STOP)
		return 0;
	pt_resume(t, 0);
	return 1;
}

static void seccomp_stop(struct pt_task *t)
{
	pt.st.sysstops++;
	struct __ptrace_syscall_info si;
	if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof(si), &si) > 0 &&
	    si.op == PTRACE_SYSCALL_INFO_SECCOMP) {
		t->sc_nr = (long)si.seccomp.nr;
		memcpy(t->sc_args, si.seccomp.args, sizeof(t->sc_args));
		t->sc_pending = pt_sc_interesting(t, t->sc_nr, t->sc_args);
	}
	pt_resume(t, 0);
}

static void syscall_stop(struct pt_task *t)
{
	pt.st.sysstops++;
	struct __ptrace_syscall_info si;
	memset(&si, 0, sizeof(si));
	ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof(si), &si);
	if (si.op == PTRACE_SYSCALL_INFO_ENTRY) {
		t->sc_nr = (long)si.entry.nr;
		memcpy(t->sc_args, si.entry.args, sizeof(t->sc_args));
		t->sc_pending = pt_sc_interesting(t, t->sc_nr, t->sc_args);
		/* x86-64 calls only: an int 0x80 or x32 call's numbers and
		 * arguments are other ones (left to fail as before: EFAULT) */
		if (si.arch == AUDIT_ARCH_X86_64 && !(t->sc_nr & 0x40000000L))
			pt_sysptr_entry(t, t->sc_nr, t->sc_args);
		else
			t->redir = 0;
	} else if (si.op == PTRACE_SYSCALL_INFO_EXIT) {
		pt_sysptr_exit(t, si.exit.rval);
		if (t->sc_pending)
			pt_sc_exit(t, si.exit.rval, si.exit.is_error);
	}
	pt_resume(t, 0);
}

/* A PTRACE_EVENT_* stop (ev != 0); the task is resumed or left listening. */
static void event_stop(struct pt_task *t, int ev, int sig)
{
	switch (ev) {
	case PTRACE_EVENT_SECCOMP:
		seccomp_stop(t);
		return;
	case PTRACE_EVENT_CLONE:
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
		pt_on_new_child(t, ev);
		break;
	case PTRACE_EVENT_EXEC:
		on_exec(t);
		break;
	case PTRACE_EVENT_STOP:
		if (pt_is_stop_signal(sig)) {
			/* group-stop: stay stopped, but keep reporting */
			ptrace(PTRACE_LISTEN, t->tid, 0, 0);
			t->stop = PT_RUNNING;
			return;
		}
		break;
	}
	pt_resume(t, 0);
}

/* A task not known yet: a new child before its creator's event. */
static void unknown_task(pid_t pid)
{
	struct pt_task *t = pt_task_new(pid, NULL, pid);
	if (!t) {
		ptrace(PTRACE_DETACH, pid, 0, 0);
		return;
	}
	t->initial = 2;
	t->stop = PT_STOP_EVENT;
}

void pt_handle_status(pid_t pid, int status)
{
	struct pt_task *t = pt_task_find(pid);
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		if (pid == pt.main_pid)
			pt.main_status = status;
		if (t)
			pt_task_del(t);
		return;
	}
	if (!WIFSTOPPED(status))
		return;
	if (!t) {
		unknown_task(pid);
		return;
	}
	pt_classify(t, status);
	int sig = WSTOPSIG(status), ev = (unsigned)status >> 16;
	if (t->initial && first_stop(t, ev))
		return;
	if (ev) {
		event_stop(t, ev, sig);
		return;
	}
	if (sig == (SIGTRAP | 0x80)) {
		syscall_stop(t);
		return;
	}
	if (sig == SIGSEGV && pt_handle_fault(t))
		return;
	pt.st.signals++;
	pt_resume(t, sig);
}
