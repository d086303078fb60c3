// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pt_task.c - the tracer's bookkeeping of traced tasks and their address
 * spaces: the task list, the CPU a task ran on, waiting for and classifying
 * stops, and stopping/resuming the other tasks of an address space.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pt_int.h"

/* ---- tasks and address spaces ------------------------------------------------------ */

struct pt_task *pt_task_find(pid_t tid)
{
	struct pt_task **pp = &pt.tasks;
	for (struct pt_task *t = pt.tasks; t; pp = &t->next, t = t->next) {
		if (t->tid == tid) {
			if (pp != &pt.tasks) { /* move to front: hot tasks stay cheap */
				*pp = t->next;
				t->next = pt.tasks;
				pt.tasks = t;
			}
			return t;
		}
	}
	return NULL;
}

struct pt_task *pt_task_new(pid_t tid, struct pt_mm *mm, pid_t tgid)
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
	t->next = pt.tasks;
	pt.tasks = t;
	return t;
}

void pt_task_del(struct pt_task *t)
{
	for (struct pt_task **pp = &pt.tasks; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	pt_mm_put(t->mm);
	if (t->stat_fd > 0)
		close(t->stat_fd - 1);
	free(t);
}

/* Field 39 (processor) of /proc/TID/stat, with one pread on a descriptor
 * kept per task (~4 us: the kernel formats the whole line); -1 unknown. */
static int stat_cpu(struct pt_task *t)
{
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
	return atoi(q);
}

/*
 * CPU the stopped task last ran on (where the access it stopped for was
 * made), read once per stop. Cheap way: the cpu_id field of the thread's
 * rseq area (glibc 2.35+ registers one for every thread; the kernel
 * updates it before every return to user space on a new CPU), located once
 * with PTRACE_GET_RSEQ_CONFIGURATION and read with process_vm_readv
 * (~0.3 us). Otherwise /proc/TID/stat (stat_cpu). -1 if unknown.
 */
int pt_task_cpu(struct pt_task *t)
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
		if (pt_rmem_read(t->tid, t->rseq_cpu, &id, sizeof(id), NULL) == 0 && id >= 0)
			return t->cpu = id;
		t->rseq_cpu = 0;
	}
	t->cpu = stat_cpu(t);
	return t->cpu;
}

pid_t pt_read_tgid(pid_t tid)
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

struct pt_mm *pt_mm_new(pid_t tgid)
{
	struct pt_mm *mm = calloc(1, sizeof(*mm));
	if (!mm)
		return NULL;
	mm->tgid = tgid;
	mt_dcache_init(&mm->dc, mm->slots, PT_DCACHE_SLOTS);
	return mm;
}

void pt_mm_put(struct pt_mm *mm)
{
	if (!mm || --mm->refs > 0)
		return;
	for (int i = 0; i < mm->nreg; i++)
		pt_region_free(&mm->reg[i]);
	free(mm->reg);
	free(mm->wobj);
	for (int i = 0; mm->wsnap && i < mm->nreg; i++)
		free(mm->wsnap[i]);
	free(mm->wsnap);
	free(mm);
}

/* ---- waiting --------------------------------------------------------------------------- */

int pt_wait_task(pid_t tid)
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

int pt_is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

void pt_classify(struct pt_task *t, int status)
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

int pt_pending_event(const struct pt_task *u)
{
	return u->have_pending && WIFSTOPPED(u->pending_status) ?
		       (int)((unsigned)u->pending_status >> 16) : 0;
}

int pt_stop_event(pid_t tid)
{
	siginfo_t si;
	if (ptrace(PTRACE_GETSIGINFO, tid, 0, &si) < 0)
		return -1;
	if (si.si_signo != SIGTRAP || si.si_code <= 0 || (si.si_code & 0xff) != SIGTRAP)
		return 0;
	return si.si_code >> 8;
}

void pt_defer_signal(struct pt_task *t, int sig)
{
	if (t->ndeferred < (int)(sizeof(t->deferred_sig) / sizeof(t->deferred_sig[0])))
		t->deferred_sig[t->ndeferred++] = sig;
}

/* Signals that arrived while we ran something in the tracee are delivered
 * (and reported to us) at the next resume. */
void pt_requeue_deferred(struct pt_task *t)
{
	for (int i = 0; i < t->ndeferred; i++)
		syscall(SYS_tgkill, t->tgid, t->tid, t->deferred_sig[i]);
	t->ndeferred = 0;
}

int pt_take_stop(struct pt_task *u)
{
	int st = pt_wait_task(u->tid);
	if (st < 0) {
		u->stop = PT_DEAD;
		return -1;
	}
	u->have_pending = 1;
	u->pending_status = st;
	pt_classify(u, st);
	return 0;
}

int pt_own_stop(struct pt_task *t)
{
	t->cpu_stale = 1;
	int st = pt_wait_task(t->tid);
	if (st >= 0 && WIFSTOPPED(st))
		return st;
	t->stop = PT_DEAD;
	if (st >= 0) {
		t->have_pending = 1;
		t->pending_status = st;
	}
	return -1;
}

/* Wait for the PTRACE_INTERRUPT stop of every task marked interrupted (1)
 * and keep it as its pending status for the main loop; the task is then
 * marked 2 (collected, still "interrupted" for resume_others). */
void pt_collect_interrupt_stops(void)
{
	for (struct pt_task *u = pt.tasks; u; u = u->next) {
		if (u->interrupted != 1)
			continue;
		u->interrupted = 2;
		pt_take_stop(u);
	}
}

/* Stop every running task of mm except `except`; their stops are kept as
 * pending statuses for the main loop (the PTRACE_INTERRUPT stop is dropped
 * by pt_resume_others). */
void pt_stop_others(struct pt_mm *mm, struct pt_task *except)
{
	for (struct pt_task *u = pt.tasks; u; u = u->next) {
		u->interrupted = 0;
		if (u->mm != mm || u == except || u->stop != PT_RUNNING || u->have_pending)
			continue;
		if (ptrace(PTRACE_INTERRUPT, u->tid, 0, 0) == 0)
			u->interrupted = 1;
	}
	pt_collect_interrupt_stops();
}

void pt_resume_others(struct pt_mm *mm)
{
	for (struct pt_task *u = pt.tasks; u; u = u->next) {
		if (u->mm != mm || !u->interrupted)
			continue;
		u->interrupted = 0;
		if (u->have_pending && WIFSTOPPED(u->pending_status) &&
		    (unsigned)u->pending_status >> 16 == PTRACE_EVENT_STOP &&
		    !pt_is_stop_signal(WSTOPSIG(u->pending_status))) {
			u->have_pending = 0;
			pt_resume(u, 0);
		}
	}
}

int pt_resume(struct pt_task *t, int sig)
{
	int req = PTRACE_CONT;
	if (!pt.seccomp || t->sc_pending)
		req = PTRACE_SYSCALL;
	if (ptrace(req, t->tid, 0, (void *)(long)sig) < 0)
		return -errno;
	t->stop = PT_RUNNING;
	t->cpu_stale = 1;
	return 0;
}
