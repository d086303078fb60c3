// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pt_run.c - the out-of-process tracer's session (see mt_ptrace.h and
 * docs/man/mmiotap-ptrace.7): starting a program under a seccomp filter
 * that stops it only on the mmap family, or attaching to every thread of a
 * running process, and the loop that takes one stop at a time until no
 * traced task is left. The parts are listed in pt_int.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pt_int.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

struct pt_session pt;
volatile pid_t pt_tracer_tid;

void pt_log(const char *fmt, ...)
{
	if (!pt.o || !pt.o->log)
		return;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pt.o->log(pt.o->log_arg, buf);
}

pid_t mt_ptrace_tracer_tid(void)
{
	return pt_tracer_tid;
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
		if (pt.seccomp)
			o |= PTRACE_O_TRACESECCOMP;
	}
	return o;
}

/* The child of spawn(): wait until the tracer has seized it, then the
 * filter and exec; an errno that stops it goes to opts.exec_errfd. */
static void __attribute__((noreturn)) spawn_child(int sync_fd)
{
	char c;
	while (read(sync_fd, &c, 1) < 0 && errno == EINTR)
		;
	close(sync_fd);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (pt.o->sz >= offsetof(struct mt_ptrace_opts, before_exec) + sizeof(pt.o->before_exec) &&
	    pt.o->before_exec)
		pt.o->before_exec();
	if (!pt.seccomp || install_filter() == 0)
		execvp(pt.o->argv[0], pt.o->argv);
	int e = errno;
	if (pt.o->exec_errfd >= 0)
		(void)!write(pt.o->exec_errfd, &e, sizeof(e));
	_exit(127);
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
		close(sync[1]);
		spawn_child(sync[0]);
	}
	close(sync[0]);
	if (ptrace(PTRACE_SEIZE, pid, 0, (void *)ptrace_options(1)) < 0) {
		int e = -errno;
		kill(pid, SIGKILL);
		close(sync[1]);
		waitpid(pid, NULL, 0);
		return e;
	}
	pt.main_pid = pid;
	struct pt_mm *mm = pt_mm_new(pid);
	struct pt_task *t = mm ? pt_task_new(pid, mm, pid) : NULL;
	if (!t) {
		kill(pid, SIGKILL);
		close(sync[1]);
		return -ENOMEM;
	}
	(void)!write(sync[1], "g", 1);
	close(sync[1]);
	if (pt.o->exec_errfd >= 0)
		close(pt.o->exec_errfd);
	return 0;
}

/* One pass over /proc/TGID/task: seize and interrupt the threads not
 * traced yet. Returns how many were added, or -errno when the process
 * itself cannot be seized (first pass only; *gone: the directory is). */
static int seize_pass(pid_t tgid, struct pt_mm *mm, int first, int *gone)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/task", (int)tgid);
	DIR *d = opendir(p);
	*gone = !d;
	if (!d)
		return 0;
	int added = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);
		if (tid <= 0 || pt_task_find(tid))
			continue;
		if (ptrace(PTRACE_SEIZE, tid, 0, (void *)ptrace_options(0)) < 0) {
			int e = -errno;
			if (first && tid == tgid) {
				closedir(d);
				return e;
			}
			continue;
		}
		struct pt_task *t = pt_task_new(tid, mm, tgid);
		if (!t)
			continue;
		ptrace(PTRACE_INTERRUPT, tid, 0, 0);
		t->interrupted = 1;
		added++;
	}
	closedir(d);
	return added;
}

static int attach(pid_t pid)
{
	pid_t tgid = pt_read_tgid(pid);
	if (tgid <= 0)
		return -ESRCH;
	struct pt_mm *mm = pt_mm_new(tgid);
	if (!mm)
		return -ENOMEM;
	pt.main_pid = tgid;
	int added, gone, first = 1;
	do {
		added = seize_pass(tgid, mm, first, &gone);
		if (first && (gone || added < 0)) {
			free(mm);
			return gone ? -ESRCH : added;
		}
		if (gone)
			return 0;
		first = 0;
		/* Once every thread seized so far is stopped, no clone of theirs
		 * is half done: a thread created just before its creator was
		 * seized (so not traced along) is in the list by now, and the
		 * next pass must find it. Else it would run untraced and die on
		 * the first armed page. */
		pt_collect_interrupt_stops();
	} while (added);
	struct pt_task *inj = pt_pick_rsys(mm);
	if (inj)
		pt_scan_maps(inj, 0, 0);
	if (inj && pt.o->sz >= offsetof(struct mt_ptrace_opts, watch) + sizeof(pt.o->watch) &&
	    pt.o->watch)
		pt_watch_arm(inj, pt.o->watch);
	pt_sysptr_settle(mm, 1);
	if (!inj)
		pt_log("process %d: no thread can run mprotect; nothing armed", (int)tgid);
	pt_resume_others(mm);
	return 0;
}

/* ---- waking the loop ---------------------------------------------------------------------------------- */

static void wake_handler(int sig)
{
	(void)sig;
}

struct wake {
	sigset_t oldmask;
	struct sigaction oldsa;
	timer_t tm;
	int have_timer;
};

/* Detach requests interrupt waitpid with PT_WAKE_SIG; a per-thread timer
 * repeats it every 100 ms so that a request landing between the check and
 * waitpid is never lost. */
static void wake_setup(struct wake *w)
{
	sigset_t wake;
	sigemptyset(&wake);
	sigaddset(&wake, PT_WAKE_SIG);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wake_handler;
	sigaction(PT_WAKE_SIG, &sa, &w->oldsa);
	pthread_sigmask(SIG_UNBLOCK, &wake, &w->oldmask);
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = PT_WAKE_SIG;
	sev._sigev_un._tid = pt_tracer_tid;
	w->have_timer = timer_create(CLOCK_MONOTONIC, &sev, &w->tm) == 0;
	if (w->have_timer) {
		struct itimerspec its = { { 0, 100 * 1000 * 1000 }, { 0, 100 * 1000 * 1000 } };
		timer_settime(w->tm, 0, &its, NULL);
	}
}

static void wake_teardown(struct wake *w)
{
	if (w->have_timer)
		timer_delete(w->tm);
	pthread_sigmask(SIG_SETMASK, &w->oldmask, NULL);
	sigaction(PT_WAKE_SIG, &w->oldsa, NULL);
}

/* ---- the run loop -------------------------------------------------------------------------------------- */

/* Take stops (kept pending ones first) until no traced task is left. */
static void run_loop(void)
{
	while (pt.tasks) {
		if (pt_detach_requested())
			pt_process_detach();
		struct pt_task *p = NULL;
		for (struct pt_task *t = pt.tasks; t; t = t->next)
			if (t->have_pending) {
				p = t;
				break;
			}
		if (p) {
			p->have_pending = 0;
			pt_handle_status(p->tid, p->pending_status);
			continue;
		}
		int st;
		pid_t w = waitpid(-1, &st, __WALL);
		if (w > 0) {
			pt_handle_status(w, st);
			continue;
		}
		if (w < 0 && errno != EINTR)
			break;
	}
	/* tasks left only if waitpid failed */
	while (pt.tasks)
		pt_task_del(pt.tasks);
}

/* The end of a run, whichever way: detach requests are cleared. */
static void run_end(struct wake *w)
{
	wake_teardown(w);
	pt_tracer_tid = 0;
	pt_detach_requests_clear();
	free(pt.xs_buf);
	pt.xs_buf = NULL;
}

int mt_ptrace_run(const struct mt_ptrace_opts *o, int *status, struct mt_ptrace_stats *stats)
{
	if (!o || o->sz < offsetof(struct mt_ptrace_opts, exec_errfd) ||
	    (!o->argv && o->pid <= 0) || (o->argv && !o->argv[0]))
		return -EINVAL;
	memset(&pt, 0, sizeof(pt));
	pt.o = o;
	pt.defaults = !(o->flags & MT_PTRACE_NO_DEFAULTS);
	pt.seccomp = o->argv && !(o->flags & MT_PTRACE_NO_SECCOMP);
	pt_xs_layout();
	/* detach requests made before this point (Ctrl-C while the caller set
	 * up) are kept and served right after the start */
	pt_tracer_tid = (pid_t)syscall(SYS_gettid);
	pt.ring_pid = (uint32_t)getpid();
	pt.ring_tid = (uint32_t)pt_tracer_tid;
	struct wake w;
	wake_setup(&w);
	int rc = o->argv ? spawn() : attach(o->pid);
	if (rc) {
		run_end(&w);
		return rc;
	}
	if (o->started)
		o->started(o->started_arg, pt.main_pid);
	run_loop();
	if (status)
		*status = pt.main_status;
	if (stats)
		*stats = pt.st;
	run_end(&w);
	return 0;
}
