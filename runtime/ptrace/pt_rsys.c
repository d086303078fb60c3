// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pt_rsys.c - reaching into the tracee: its memory (process_vm_readv and
 * writev), and system calls it runs on our behalf. Protections are changed
 * by making the tracee run mprotect itself: its registers are saved,
 * pointed at a `syscall` instruction of its vDSO and single-stepped (or, at
 * a syscall-entry stop, the pending syscall is replaced and restarted
 * afterwards).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "pt_int.h"

/* ---- memory of the tracee ------------------------------------------------------------- */

static int rmem_io(pid_t pid, uint64_t addr, void *buf, size_t n, size_t *done, int write)
{
	struct iovec l = { buf, n }, r = { (void *)(uintptr_t)addr, n };
	ssize_t k = write ? process_vm_writev(pid, &l, 1, &r, 1, 0)
			  : process_vm_readv(pid, &l, 1, &r, 1, 0);
	if (done)
		*done = k > 0 ? (size_t)k : 0;
	return k == (ssize_t)n ? 0 : -EFAULT;
}

int pt_rmem_read(pid_t pid, uint64_t addr, void *buf, size_t n, size_t *done)
{
	return rmem_io(pid, addr, buf, n, done, 0);
}

int pt_rmem_write(pid_t pid, uint64_t addr, const void *buf, size_t n, size_t *done)
{
	return rmem_io(pid, addr, (void *)buf, n, done, 1);
}

/* ---- finding a `syscall` instruction -------------------------------------------------- */

/* The vDSO's executable range (cand[0]) and the first other r-x mapping
 * (cand[1]) of the tracee, from /proc/TID/maps. */
static int exec_ranges(pid_t tid, uint64_t cand[2][2])
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
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
	return 0;
}

/* Address of the first `syscall` (0f 05) in [a, b) of the tracee, 0 none. */
static uint64_t find_0f05(pid_t tid, uint64_t a, uint64_t b)
{
	static uint8_t buf[1 << 16];
	for (uint64_t p = a; p < b; p += sizeof(buf) - 1) {
		size_t n = b - p < sizeof(buf) ? (size_t)(b - p) : sizeof(buf);
		if (pt_rmem_read(tid, p, buf, n, NULL))
			break;
		for (size_t i = 0; i + 1 < n; i++)
			if (buf[i] == 0x0f && buf[i + 1] == 0x05)
				return p + i;
	}
	return 0;
}

/* Find a `syscall` instruction in the tracee: the vDSO has some (its
 * fallbacks), else any executable mapping. */
static int find_sys_insn(struct pt_mm *mm, pid_t tid)
{
	uint64_t cand[2][2] = { { 0, 0 }, { 0, 0 } }; /* vdso, other r-x */
	int rc = exec_ranges(tid, cand);
	if (rc)
		return rc;
	for (int c = 0; c < 2; c++) {
		uint64_t at = cand[c][0] ? find_0f05(tid, cand[c][0], cand[c][1]) : 0;
		if (at) {
			mm->sys_insn = at;
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- system calls run inside the tracee ----------------------------------------------- */

/* Task t is in the delivery stop of a SIGSEGV that a traced page raised (a
 * fault queued before we stopped it). Such a signal can simply be dropped:
 * the faulting instruction runs again when the task resumes at it, faults
 * again while its page is armed, and works once the page is restored.
 * Re-queueing it with tgkill instead would give the program an SI_TKILL
 * SIGSEGV that is no longer recognised as ours. */
int pt_own_fault(struct pt_task *t)
{
	siginfo_t si;
	return t->mm && ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) == 0 && si.si_code > 0 &&
	       pt_region_find(t->mm, (uint64_t)(uintptr_t)si.si_addr) != NULL;
}

/* Not at the events that the kernel reports from inside a system call
 * (clone, fork, vfork, vfork-done, exec, exit): it writes that call's
 * result into RAX after the stop, over the number of the injected call,
 * and the interrupted call would return our call's result (a clone that
 * "failed" with -ENOSYS while its thread runs, for one). */
int pt_rsys_safe(const struct pt_task *t)
{
	if (t->stop == PT_RUNNING || t->stop == PT_DEAD)
		return 0;
	int ev = pt_stop_event(t->tid);
	return ev == 0 || ev == PTRACE_EVENT_STOP || ev == PTRACE_EVENT_SECCOMP;
}

/* Registers r (a copy of the task's) made to run syscall nr(a...): at a
 * syscall-entry stop the pending call is replaced, elsewhere RIP points at
 * a `syscall` instruction. Returns 0 or -errno. */
static int rsys_setup(struct pt_task *t, struct user_regs_struct *r, long nr,
		      const uint64_t a[6], int at_entry)
{
	r->rdi = a[0];
	r->rsi = a[1];
	r->rdx = a[2];
	r->r10 = a[3];
	r->r8 = a[4];
	r->r9 = a[5];
	if (at_entry) {
		r->orig_rax = (uint64_t)nr;
		return 0;
	}
	if (!t->mm->sys_insn && find_sys_insn(t->mm, t->tid) < 0)
		return -ENOENT;
	r->rip = t->mm->sys_insn;
	r->rax = (uint64_t)nr;
	r->orig_rax = (uint64_t)-1;
	return 0;
}

/* Run the prepared call to its end: the syscall-exit stop (at_entry) or
 * the trap after the `syscall` instruction at rip. Other signals are kept
 * for later; our own SIGSEGVs dropped. 0 or -errno. */
static int rsys_run(struct pt_task *t, int at_entry, uint64_t rip)
{
	int req = at_entry ? PTRACE_SYSCALL : PTRACE_SINGLESTEP;
	for (;;) {
		if (ptrace(req, t->tid, 0, 0) < 0)
			return -errno;
		int st = pt_own_stop(t);
		if (st < 0)
			return -ESRCH;
		int sig = WSTOPSIG(st), ev = (unsigned)st >> 16;
		if (ev)
			continue; /* our own seccomp stop, interrupt, group stop */
		if (at_entry && sig == (SIGTRAP | 0x80))
			return 0;
		if (!at_entry && (sig == SIGTRAP || sig == (SIGTRAP | 0x80))) {
			struct user_regs_struct q;
			if (ptrace(PTRACE_GETREGS, t->tid, 0, &q) == 0 && q.rip == rip + 2)
				return 0;
			continue;
		}
		if (sig == SIGSEGV && pt_own_fault(t))
			continue; /* dropped: the instruction faults again (or works) */
		pt_defer_signal(t, sig);
	}
}

/* After the call: the task's registers back, and where it now stands. At a
 * syscall-entry stop we are at the exit of our call: rewind to the
 * original `syscall` instruction so that it runs again on resume. */
static int rsys_restore(struct pt_task *t, struct user_regs_struct *saved, int at_entry)
{
	int err = 0;
	if (at_entry) {
		saved->rip -= 2;
		saved->rax = saved->orig_rax;
		t->stop = PT_STOP_SC_EXIT;
		t->sc_pending = 0;
	} else {
		t->stop = PT_STOP_SIG;
	}
	if (ptrace(PTRACE_SETREGS, t->tid, 0, saved) < 0)
		err = -errno;
	pt_requeue_deferred(t);
	return err;
}

long pt_rsys(struct pt_task *t, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
	     int *err)
{
	const uint64_t a[6] = { a0, a1, a2, a3, 0, 0 };
	return pt_rsys6(t, nr, a, err);
}

long pt_rsys6(struct pt_task *t, long nr, const uint64_t a[6], int *err)
{
	struct user_regs_struct saved, r;
	if (t->stop == PT_RUNNING || t->stop == PT_DEAD) {
		*err = -ESRCH;
		return -1;
	}
	if (!pt_rsys_safe(t)) {
		*err = -EBUSY;
		return -1;
	}
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &saved) < 0) {
		*err = -errno;
		return -1;
	}
	r = saved;
	int at_entry = t->stop == PT_STOP_SC_ENTRY;
	*err = rsys_setup(t, &r, nr, a, at_entry);
	if (!*err && ptrace(PTRACE_SETREGS, t->tid, 0, &r) < 0)
		*err = -errno;
	if (*err)
		return -1;
	pt.st.injected++;
	*err = rsys_run(t, at_entry, r.rip);
	if (!*err && ptrace(PTRACE_GETREGS, t->tid, 0, &r) < 0)
		*err = -errno;
	if (*err)
		return -1;
	*err = rsys_restore(t, &saved, at_entry);
	return (long)r.rax;
}

int pt_remote_mprotect(struct pt_task *t, uint64_t a, uint64_t len, int prot)
{
	int err;
	long rc = pt_rsys(t, SYS_mprotect, a, len, (uint64_t)prot, 0, &err);
	if (err)
		return err;
	return rc < 0 && rc > -4096 ? (int)rc : 0;
}
