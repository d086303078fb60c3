// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pt_fault.c - one access, from the tracer's side:
 *   tracee touches a traced page (kept PROT_NONE)  -> SIGSEGV signal-delivery-stop
 *   PTRACE_GETSIGINFO: si_addr inside a region of this address space?
 *   PTRACE_GETREGS, instruction bytes with process_vm_readv (code is normal memory)
 *   mt_emulate() with the context of pt_emu.c
 *   PTRACE_SETREGS (+ SETREGSET if vectors changed), resume with signal 0.
 * Instructions that cannot be emulated are recorded UNKNOWN and
 * single-stepped natively; a divide error gets the program its SIGFPE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "pt_int.h"

/* ---- single-stepping ------------------------------------------------------------------------ */

/* The page of the SIGSEGV t stopped with, if it is traced (0 if not). */
static uint64_t traced_fault_page(struct pt_task *t)
{
	siginfo_t si;
	uint64_t pa = 0;
	if (ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) == 0)
		pa = PAGE_DOWN((uint64_t)(uintptr_t)si.si_addr);
	return pa && pt_region_find(t->mm, pa) ? pa : 0;
}

/* Single-step t's instruction, giving each traced page it touches
 * (pages[0..np), up to 8) its protection back first. A real fault of the
 * program is kept pending for delivery. Returns the pages unprotected. */
static int step_pages(struct pt_task *t, uint64_t pages[8], int np)
{
	int done = 0;
	for (int tries = 0; tries < 16 && !done && t->stop != PT_DEAD;) {
		struct pt_region *r = pt_region_find(t->mm, pages[np - 1]);
		if (r)
			pt_remote_mprotect(t, pages[np - 1], PAGE, r->prot);
		if (ptrace(PTRACE_SINGLESTEP, t->tid, 0, 0) < 0)
			break;
		int st = pt_own_stop(t);
		if (st < 0)
			break;
		t->stop = PT_STOP_SIG;
		int sig = WSTOPSIG(st);
		if ((unsigned)st >> 16)
			continue;
		if (sig == SIGTRAP) {
			done = 1;
		} else if (sig == SIGSEGV) {
			uint64_t pa = traced_fault_page(t);
			if (!pa || np == 8) {
				/* a real fault of the program: deliver it */
				t->have_pending = 1;
				t->pending_status = st;
				break;
			}
			pages[np++] = pa;
			tries++;
		} else {
			pt_defer_signal(t, sig);
			tries++;
		}
	}
	return np;
}

/* Run the faulting instruction natively: give its traced pages their
 * protection back, single-step it with every other thread of the process
 * stopped (so nothing else slips through untraced), re-arm. */
static void step_native(struct pt_task *t, uint64_t fault_addr)
{
	struct pt_mm *mm = t->mm;
	uint64_t pages[8];
	pt_stop_others(mm, t);
	pages[0] = PAGE_DOWN(fault_addr);
	int np = step_pages(t, pages, 1);
	for (int i = 0; i < np && t->stop != PT_DEAD; i++)
		if (pt_region_find(mm, pages[i]))
			pt_remote_mprotect(t, pages[i], PAGE, PROT_NONE);
	if (t->stop != PT_DEAD)
		pt_requeue_deferred(t);
	pt.st.stepped++;
	pt_resume_others(mm);
	if (t->stop != PT_DEAD && !t->have_pending)
		pt_resume(t, 0);
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

/* ---- divide errors ---------------------------------------------------------------------------- */

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

/* Reset t's signal sig to the default action and unblock it, with system
 * calls run in the tracee (their arguments below its red zone). */
static void sig_default(struct pt_task *t, uint64_t rsp, int sig)
{
	/* kernel struct sigaction {handler, flags, restorer, mask} (all zero:
	 * SIG_DFL) and a sigset with sig */
	uint64_t buf[5] = { 0, 0, 0, 0, 1ull << (sig - 1) }, saved[5];
	uint64_t at = (rsp - 256) & ~15ull;
	int err;
	if (pt_rmem_read(t->tid, at, saved, sizeof(saved), NULL) ||
	    pt_rmem_write(t->tid, at, buf, sizeof(buf), NULL))
		return;
	pt_rsys(t, SYS_rt_sigaction, sig, at, 0, 8, &err);
	if (!err)
		pt_rsys(t, SYS_rt_sigprocmask, SIG_UNBLOCK, at + 32, 0, 8, &err);
	pt_rmem_write(t->tid, at, saved, sizeof(saved), NULL);
}

/* Deliver the fault sig/code at addr the CPU would have raised. Like the
 * kernel's force_sig_fault(), a blocked or ignored signal is first reset
 * to the default action and unblocked (a signal injected by ptrace would
 * stay pending and the instruction fault again, forever). */
static void deliver(struct pt_task *t, uint64_t rsp, int sig, int code, uint64_t addr)
{
	if (proc_sigmask_has(t->tid, "SigBlk:", sig) || proc_sigmask_has(t->tid, "SigIgn:", sig)) {
		sig_default(t, rsp, sig);
		if (t->stop == PT_DEAD)
			return;
	}
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_signo = sig;
	si.si_code = code;
	si.si_addr = (void *)(uintptr_t)addr;
	ptrace(PTRACE_SETSIGINFO, t->tid, 0, &si);
	pt.st.signals++;
	pt_resume(t, sig);
}

/* Whether addr is inside a mapping of t (SEGV_ACCERR) or not (MAPERR). */
static int maps_hold(pid_t tid, uint64_t addr)
{
	char p[64], line[512];
	snprintf(p, sizeof(p), "/proc/%d/maps", (int)tid);
	FILE *f = fopen(p, "re");
	int in = 0;
	if (!f)
		return 1;
	while (!in && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		if (sscanf(line, "%llx-%llx", &lo, &hi) == 2 && addr >= lo && addr < hi)
			in = 1;
	}
	fclose(f);
	return in;
}

/*
 * The instruction raises #DE (DIV/IDIV; the core found it after reading the
 * operand, which is recorded once): deliver the SIGFPE the CPU would have
 * raised (FPE_INTDIV, si_addr = RIP, context at the instruction) instead of
 * single-stepping, which would read the device a second time. Like the
 * kernel's force_sig_fault(), a blocked or ignored SIGFPE is first reset to
 * the default action and unblocked.
 */
static void deliver_divide_error(struct pt_task *t, uint64_t rip, uint64_t rsp)
{
	deliver(t, rsp, SIGFPE, FPE_INTDIV, rip);
}

/* ---- the fault -------------------------------------------------------------------------------- */

/* The address of t's SIGSEGV if it hit a traced page of its address space. */
static int traced_fault(struct pt_task *t, uint64_t *fa)
{
	struct pt_mm *mm = t->mm;
	if (!mm || mm->untraced || !mm->nreg)
		return 0;
	siginfo_t si;
	if (ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) < 0 || si.si_code <= 0)
		return 0;
	*fa = (uint64_t)(uintptr_t)si.si_addr;
	return pt_region_find(mm, *fa) != NULL;
}

/* The instruction at rip: its bytes (*n of them, up to 15, fewer at the end
 * of readable memory) and its decoding (NULL: *status says why). */
static const struct mt_decoded *decode_at(struct pt_task *t, uint64_t rip, uint8_t bytes[16],
					  size_t *n, int *status)
{
	struct pt_mm *mm = t->mm;
	size_t k = 15;
	while (k && pt_rmem_read(t->tid, rip, bytes, k, NULL))
		k = k > (PAGE - (rip & (PAGE - 1))) ? PAGE - (rip & (PAGE - 1)) : k - 1;
	*n = k;
	*status = MT_EMU_NEED_BYTES;
	const struct mt_decoded *d = k ? mt_dcache_lookup(&mm->dc, rip, bytes, k) : NULL;
	if (!d && k)
		d = mt_dcache_fill(&mm->dc, rip, bytes, k, status);
	return d;
}

/* Emulate d in stopped task t (registers u); on success the registers go
 * back and t is resumed. Returns mt_emulate()'s status. */
static int emulate(struct pt_task *t, struct user_regs_struct *u, const struct mt_decoded *d,
		   struct pt_ectx *c)
{
	struct mt_cpu cpu;
	pt_regs_to_cpu(u, &cpu);
	if (needs_own_fpu(d))
		return MT_EMU_UNSUPPORTED;
	int rc = mt_emulate(d, &cpu, &pt_emu_ops, c);
	if (rc && !mt_acc_stopped(&c->acc, rc))
		return rc;
	/* done, or a fault part-way: the CPU's state there (a REP string:
	 * the elements done) */
	pt_cpu_to_regs(&cpu, u);
	ptrace(PTRACE_SETREGS, t->tid, 0, u);
	pt_xs_store(c);
	if (!rc)
		pt_resume(t, 0);
	return rc;
}

/* Not emulated: record UNKNOWN with the instruction's bytes, run it natively. */
static void unknown(struct pt_task *t, uint64_t fa, uint64_t rip, int rc, unsigned ilen,
		    const uint8_t *bytes)
{
	struct pt_region *r = pt_region_find(t->mm, fa);
	unsigned evf = MT_EVF_STEPPED | (rc == MT_EMU_INVALID || rc == MT_EMU_NEED_BYTES
					 ? MT_EVF_UNDECODED : 0);
	uint32_t id = r->map_id;
	if (r->watch) { /* recorded if the fault was on a watched byte */
		struct mt_acc_region ar;
		pt_watch_piece(t->mm, r, fa, 0, &ar);
		if (!ar.map_id)
			pt_watch_piece(t->mm, r, fa, 1, &ar);
		id = ar.map_id;
	}
	if (id)
		pt_emit_simple(MT_EV_UNKNOWN, t, id, fa, rip, bytes, ilen, evf);
	pt_log("pid %d: %s instruction at %#llx, single-stepped", (int)t->tid,
	       mt_emu_strerror(rc), (unsigned long long)rip);
	step_native(t, fa);
}

/* A SIGSEGV on a traced page whose region was cut since (pt_gone.c): the
 * instruction runs again, without the signal. */
static int gone_fault(struct pt_task *t)
{
	siginfo_t si;
	if (!t->mm || ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) < 0 || si.si_code != SEGV_ACCERR ||
	    !pt_region_retry(t, (uint64_t)(uintptr_t)si.si_addr))
		return 0;
	pt_resume(t, 0);
	return 1;
}

int pt_handle_fault(struct pt_task *t)
{
	uint64_t fa;
	if (!traced_fault(t, &fa))
		return gone_fault(t);
	mt_retry_progress(&t->retry);
	pt.st.faults++;
	struct user_regs_struct u;
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &u) < 0)
		return 0;
	uint8_t bytes[16];
	size_t n;
	int rc;
	const struct mt_decoded *d = decode_at(t, u.rip, bytes, &n, &rc);
	struct pt_ectx c;
	pt_ectx_init(&c, t, u.rip);
	if (d)
		rc = emulate(t, &u, d, &c);
	pt.st.accesses += c.acc.ntraced;
	struct pt_region *fr = pt_region_find(t->mm, fa);
	if (rc == 0 && fr && fr->watch && !c.nput && pt.o->ring) /* a silent access */
		__atomic_fetch_add(&pt.o->ring->h->nsilent, 1, __ATOMIC_RELAXED);
	if (rc == 0)
		return 1;
	if (rc == MT_EMU_MEMFAULT && c.acc.denied) {
		/* a traced page the program's protection refuses, part-way */
		deliver(t, u.rsp, SIGSEGV, SEGV_ACCERR, c.acc.fault_addr);
		return 1;
	}
	if (rc == MT_EMU_MEMFAULT && c.acc.faulted) {
		/* on the program's memory: that fault, where the CPU met it */
		deliver(t, u.rsp, SIGSEGV, maps_hold(t->tid, c.acc.fault_addr) ? SEGV_ACCERR
									   : SEGV_MAPERR,
			c.acc.fault_addr);
		return 1;
	}
	if (rc == MT_EMU_MEMFAULT && c.acc.devfault) {
		/* the device behind the page is gone: its SIGBUS */
		deliver(t, u.rsp, SIGBUS, c.dev_code, c.acc.fault_addr);
		return 1;
	}
	if (rc == MT_EMU_MEMFAULT)
		return 0; /* cannot happen: the program's SIGSEGV as it came */
	if (rc == MT_EMU_DIVIDE_ERROR) {
		deliver_divide_error(t, u.rip, u.rsp);
		return 1;
	}
	unknown(t, fa, u.rip, rc, d ? d->len : (unsigned)n, bytes);
	return 1;
}
