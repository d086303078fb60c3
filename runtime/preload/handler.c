// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * handler.c - the SIGSEGV/SIGTRAP handlers of the preload runtime.
 *
 * One access, start to end: the program touches a PROT_NONE page of a traced
 * region; on_segv() fetches the instruction bytes at RIP, decodes them
 * through this thread's decode cache, takes the order lock, and runs
 * mt_emulate() with callbacks that perform each access on the region's
 * alias (and record it, probes and injection included) while the lock is
 * held; then writes GPRs, RIP and RFLAGS back into the ucontext (vector
 * and opmask registers were written straight into the frame's XSAVE area
 * by the callbacks) and returns: the program continues after the
 * instruction.
 *
 * Instructions the core cannot emulate are executed natively by
 * single-stepping: the region is unprotected, TF is set, the order lock
 * stays held (other threads' emulated accesses wait) and all asynchronous
 * signals stay blocked until the SIGTRAP that follows the one instruction
 * re-protects the region. Limit: during that one instruction other threads
 * that touch the same region natively are not trapped (not traced).
 */
#include "internal.h"
#include "mmiotap/rt_replay.h"

#include <cpuid.h>
#include <pthread.h>
#include <sched.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <immintrin.h>

#include "mmiotap/rt_access.h"
#include "mmiotap/xrun.h"

static __thread struct mt_tls *tls_state __attribute__((tls_model("initial-exec")));
static pthread_key_t tls_key;
static int tls_key_ok;

/* Thread exit: release the per-thread block (decode cache, xrun state). */
static void tls_release(void *p)
{
	if (p == tls_state)
		tls_state = NULL;
	mt_xrun_thread_fini();
	if (mt_real.munmap)
		mt_real.munmap(p, sizeof(struct mt_tls));
}

/* The program's own dispositions for the signals we take over. */
static struct sigaction prog_act[NSIG];
static int prog_act_valid[NSIG];

MT_HIDDEN struct mt_tls *mt_tls_get(void)
{
	struct mt_tls *t = tls_state;
	if (MT_LIKELY(t != NULL))
		return t;
	void *p = mt_real.mmap ? mt_real.mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
					      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
			       : MAP_FAILED;
	if (p == MAP_FAILED)
		p = (void *)syscall(SYS_mmap, NULL, sizeof(*t), PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	t = p;
	mt_dcache_init(&t->dc, t->slots, MT_DCACHE_SLOTS);
	tls_state = t;
	/* a low key lives in the thread's static block: no allocation here */
	if (tls_key_ok)
		pthread_setspecific(tls_key, t);
	return t;
}

/* After fork the child's only thread keeps the parent's cached tid. */
MT_HIDDEN void mt_tls_after_fork(void)
{
	if (tls_state)
		tls_state->tid = 0;
}

MT_HIDDEN uint32_t mt_gettid(void)
{
	struct mt_tls *t = tls_state;
	if (t && t->tid)
		return t->tid;
	uint32_t tid = (uint32_t)syscall(SYS_gettid);
	if (t)
		t->tid = tid;
	return tid;
}

/* ---- the program's view of SIGSEGV/SIGTRAP ---------------------------------- */

MT_HIDDEN int mt_is_taken_signal(int sig)
{
	return (mt_handlers_installed && (sig == SIGSEGV || sig == SIGBUS || sig == SIGTRAP)) ||
	       (sig == SIGSYS && mt_sud_is_active());
}

MT_HIDDEN void mt_prog_sigaction(int sig, const struct sigaction *act,
				 struct sigaction *old)
{
	if (old)
		*old = prog_act[sig];
	if (act) {
		prog_act[sig] = *act;
		prog_act_valid[sig] = 1;
	}
}

/* sud.c: the program's disposition of a signal it takes over, as it was. */
MT_HIDDEN void mt_prog_sigaction_init(int sig, const struct sigaction *act)
{
	if (!prog_act_valid[sig]) {
		prog_act[sig] = *act;
		prog_act_valid[sig] = 1;
	}
}

/*
 * Queue sig (with si, or as tgkill would) to this thread so that it
 * arrives once the handler has returned: it is blocked here first (our
 * handler runs with SIGSEGV and SIGBUS unblocked, and would take it at
 * once, inside our code), and sigreturn puts back the mask of the
 * interrupted context (uc_sigmask), where it is delivered.
 */
static void send_on_return(int sig, siginfo_t *si)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	mt_real.pthread_sigmask(SIG_BLOCK, &s, NULL);
	if (si)
		syscall(SYS_rt_tgsigqueueinfo, (int)syscall(SYS_getpid), (int)mt_gettid(), sig, si);
	else
		syscall(SYS_tgkill, (int)syscall(SYS_getpid), (int)mt_gettid(), sig);
}

/*
 * Deliver a signal that is not ours to the program's own handler, as the
 * kernel would have. synthetic: a fault the CPU would have raised on the
 * program's memory, which we met emulating (si says where): with no
 * handler (or the signal blocked or ignored, which the kernel does not
 * allow for a fault) it is queued to this thread, to be delivered with
 * that si as we return, and kill as the kernel's own would.
 */
static void chain_ex(int sig, siginfo_t *si, ucontext_t *uc, int synthetic)
{
	struct sigaction *a = &prog_act[sig];
	void (*h)(int) = a->sa_handler;

	if (synthetic && sigismember(&uc->uc_sigmask, sig))
		h = SIG_DFL;
	if (h == SIG_IGN && si->si_code <= 0)
		return; /* sent by kill(): ignored */
	if (h == SIG_DFL || h == SIG_IGN) {
		/* Give the signal back to the kernel: a fault re-faults after
		 * return and kills with the right signal (and core). */
		struct sigaction dfl;
		if (synthetic || si->si_code > 0)
			mt_crash_mark(sig, si, uc); /* it is about to kill */
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		mt_real.sigaction(sig, &dfl, NULL);
		if (synthetic) {
			sigdelset(&uc->uc_sigmask, sig);
			send_on_return(sig, si);
		} else if (si->si_code <= 0 || sig == SIGTRAP) {
			send_on_return(sig, NULL);
		}
		return;
	}
	sigset_t m = uc->uc_sigmask;
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&a->sa_mask, s))
			sigaddset(&m, s);
	if (!(a->sa_flags & SA_NODEFER))
		sigaddset(&m, sig);
	int flags = a->sa_flags;
	void (*sa)(int, siginfo_t *, void *) = a->sa_sigaction;
	if (flags & SA_RESETHAND) {
		memset(a, 0, sizeof(*a));
		a->sa_handler = SIG_DFL;
	}
	sigset_t all;
	mt_real.pthread_sigmask(SIG_SETMASK, &m, &all);
	if (flags & SA_SIGINFO)
		sa(sig, si, uc);
	else
		h(sig);
	mt_real.pthread_sigmask(SIG_SETMASK, &all, NULL);
}

static void chain(int sig, siginfo_t *si, ucontext_t *uc)
{
	chain_ex(sig, si, uc, 0);
}

MT_HIDDEN void mt_chain_signal(int sig, siginfo_t *si, ucontext_t *uc)
{
	chain(sig, si, uc);
}

/* The fault the CPU would have raised part-way through the instruction
 * (f, met on the program's memory); the context already shows the state
 * at that point (a REP string: the elements done). */
static void deliver_fault(const struct mt_fault *f, ucontext_t *uc)
{
	siginfo_t fi;
	memset(&fi, 0, sizeof(fi));
	fi.si_signo = f->sig;
	fi.si_code = f->code;
	fi.si_addr = f->addr;
	uc->uc_mcontext.gregs[REG_ERR] = f->err;
	uc->uc_mcontext.gregs[REG_TRAPNO] = f->trapno;
	uc->uc_mcontext.gregs[REG_CR2] = (greg_t)(uintptr_t)f->addr;
	chain_ex(f->sig, &fi, uc, 1);
}

/* The fault of a traced access the program's protection refused (the
 * page is PROT_NONE under us; the program's may be readable): what the
 * CPU raises at that byte. Page fault error code: user, write, present. */
static void denied_fault(const struct mt_acc *a, struct mt_fault *f)
{
	struct mt_region *r = mt_region_find(a->fault_addr);
	f->sig = SIGSEGV;
	f->code = SEGV_ACCERR;
	f->addr = (void *)(uintptr_t)a->fault_addr;
	f->err = 4 | (a->fault_write ? 2 : 0) | (r && r->prot != PROT_NONE ? 1 : 0);
	f->trapno = 14;
}

/* ---- memory: the shared access path (runtime/common/access.c) -------------------------- */

static int acc_region(void *be, uint64_t addr, struct mt_acc_region *ar)
{
	struct ectx *c = be;
	struct mt_region *r = mt_region_find(addr);
	if (!r) {
		ar->end = mt_region_next(addr, UINTPTR_MAX);
		return 0;
	}
	if (r->watch) {
		mt_watch_piece(r, addr, c->acc.is_write, ar);
		return 1;
	}
	ar->start = r->start;
	ar->end = r->end;
	ar->alias = r->alias;
	ar->prot = r->prot;
	ar->map_id = r->map_id;
	ar->map_start = r->map_start;
	ar->map_phys = r->map_phys;
	ar->rules = r->rule_mask;
	ar->priv = r;
	return 1;
}

/* Not traced: the program's own memory, which may fault (safecopy.c). */
static int acc_plain(void *be, uint64_t addr, void *buf, unsigned n, int is_write,
		     uint64_t *fault)
{
	struct ectx *c = be;
	int rc = is_write ? mt_safe_copy(c->t, (void *)addr, buf, n)
			  : mt_safe_copy(c->t, buf, (const void *)addr, n);
	if (rc)
		*fault = (uint64_t)(uintptr_t)c->t->sc_fault.addr;
	return rc;
}

/* The libmmiotap probes covering addr, pre or post handlers, on val. */
static unsigned acc_probe(void *be, int post, uint64_t addr, void *val, unsigned size,
			  int is_write)
{
	struct ectx *c = be;
	unsigned evf = 0;
	for (int i = 0; i < mt_nprobes; i++) {
		struct mt_probe_slot *s = &mt_probes[i];
		if (!s->p || addr < s->start || addr >= s->end)
			continue;
		mmiotap_handler_t h = post ? s->p->post : s->p->pre;
		if (!h)
			continue;
		struct mmiotap_access a;
		memset(&a, 0, sizeof(a));
		a.addr = addr;
		a.pc = c->acc.pc;
		a.size = size;
		a.flags = is_write ? MMIOTAP_ACCESS_WRITE : 0;
		memcpy(a.value, val, size);
		h(s->p, &a);
		memcpy(val, a.value, size);
		if (is_write && !post && (a.flags & MMIOTAP_ACCESS_DROP))
			evf |= MT_EVF_DROPPED;
	}
	return evf;
}

static unsigned acc_inject(void *be, const struct mt_acc_region *r, uint64_t addr,
			   int is_write, void *val, unsigned size)
{
	return mt_rt_inject_apply(r->rules, r->map_phys, addr - r->map_start, is_write, val,
				  size);
}

/* The order lock is held around the whole emulation: the number is
 * reserved right before the device access, so that if this thread dies
 * between the access and the event, the next holder of the lock sees the
 * reservation and records the loss (ring.c). */
static uint64_t acc_reserve_seq(void *be)
{
	return mt_ring ? mt_ring_next_seq(mt_ring) : 0;
}

/* The device access failed (devsafe.c): no event, the number back. It is
 * the last one reserved, under the lock we hold. */
static void acc_unreserve_seq(void *be, uint64_t seq)
{
	if (mt_ring && mt_ring->h->seq == seq + 1)
		mt_ring->h->seq = seq;
}

static int acc_dev(void *be, uint64_t addr, volatile uint8_t *p, void *val, unsigned size,
		   int is_write, uint64_t *fault)
{
	struct ectx *c = be;
	if (mt_replay_active()) {
		const struct mt_region *r = mt_region_find((uintptr_t)addr);
		if (r && r->replay_dev >= 0)
			return mt_replay_access(r, addr, val, size, is_write);
	}
	return mt_dev_safe(c->t, addr, p, val, size, is_write, fault);
}

static void acc_put(void *be, struct mt_ev *ev)
{
	struct ectx *c = be;
	c->nput++;
	if (mt_nwatches) {
		const struct mt_watch_obj *w = mt_watch_by_id(ev->map_id);
		if (w && (w->flags & MMIOTAP_WATCH_STOP))
			c->stop = 1;
	}
	if (!mt_ring)
		return;
	ev->pid = (uint32_t)mt_pid;
	ev->tid = mt_gettid();
	int cpu = sched_getcpu();
	ev->cpu = cpu < 0 ? ~0u : (uint32_t)cpu;
	ev->ts = mt_now();
	mt_ring_put(mt_ring, ev);
}

static const struct mt_acc_ops acc_ops = {
	.region = acc_region,
	.plain = acc_plain,
	.probe = acc_probe,
	.inject = acc_inject,
	.reserve_seq = acc_reserve_seq,
	.unreserve_seq = acc_unreserve_seq,
	.dev = acc_dev,
	.put = acc_put,
};

/* ---- single-step fallback ---------------------------------------------------- */

#define TF_BIT 0x100

static void step_begin(struct mt_tls *t, struct mt_region *r, ucontext_t *uc)
{
	if (t->nstep < 4)
		t->step_regs[t->nstep++] = r;
	mt_real.mprotect((void *)r->start, r->end - r->start, r->prot);
	if (!t->step_active) {
		t->step_saved_mask = uc->uc_sigmask;
		sigfillset(&uc->uc_sigmask);
		sigdelset(&uc->uc_sigmask, SIGSEGV);
		sigdelset(&uc->uc_sigmask, SIGTRAP);
		sigdelset(&uc->uc_sigmask, SIGBUS);
		sigdelset(&uc->uc_sigmask, SIGILL);
		sigdelset(&uc->uc_sigmask, SIGFPE);
		sigdelset(&uc->uc_sigmask, SIGSYS); /* sud.c */
	}
	t->step_active = 1;
	uc->uc_mcontext.gregs[REG_EFL] |= TF_BIT;
}

static void step_end(struct mt_tls *t, ucontext_t *uc)
{
	for (int i = 0; i < t->nstep; i++) {
		struct mt_region *r = t->step_regs[i];
		if (r->used)
			mt_real.mprotect((void *)r->start, r->end - r->start, PROT_NONE);
	}
	t->nstep = 0;
	t->step_active = 0;
	uc->uc_mcontext.gregs[REG_EFL] &= ~(greg_t)TF_BIT;
	uc->uc_sigmask = t->step_saved_mask;
	mt_hunlock();
}

static void emit_unknown(struct mt_region *r, uint64_t addr, uint64_t pc,
			 const uint8_t *bytes, unsigned n, unsigned flags)
{
	uint32_t id = r->map_id;
	if (r->watch) {
		/* single-stepped on a watch page: recorded if the fault was
		 * on a watched byte (which bytes it touches is not known) */
		const struct mt_watch_obj *w = mt_watch_at(addr);
		id = w ? w->map_id : 0;
	}
	if (mt_ring && id)
		mt_emit_simple(MT_EV_UNKNOWN, id, addr, pc, bytes, n, flags);
}

/* `mmiotap watch --stop`: SIGTRAP for this thread once the handler has
 * returned (it is blocked here), after the instruction: a debugger that
 * does not expect it stops there with the access done, as at a hardware
 * watchpoint. */
static void watch_stop(void)
{
	syscall(SYS_tgkill, (int)syscall(SYS_getpid), (int)mt_gettid(), SIGTRAP);
}

/* ---- handlers ------------------------------------------------------------------ */

/* The instruction's bytes, as far as they can be read (0: none). */
static size_t fetch(struct mt_tls *t, uint64_t rip, uint8_t *bytes, size_t want)
{
	while (want && mt_safe_copy(t, bytes, (const void *)(uintptr_t)rip, want))
		want = (uintptr_t)t->sc_fault.addr > rip ? (uintptr_t)t->sc_fault.addr - rip : 0;
	return want;
}

/*
 * The instruction raises #DE (DIV/IDIV by zero or overflow, found after its
 * operand was read from the device): give the program the SIGFPE the CPU
 * would have, instead of single-stepping (a second device read). The signal
 * is queued to this thread with FPE_INTDIV and si_addr = RIP; it is
 * delivered as soon as this handler returns (synchronous signals first),
 * with the context still at the instruction, so a handler that returns
 * re-executes it, as on the CPU. Like the kernel's force_sig_fault(), a
 * blocked or ignored SIGFPE is reset to the default action (kills).
 */
static void raise_divide_error(ucontext_t *uc, uint64_t rip)
{
	struct sigaction cur;
	if (sigismember(&uc->uc_sigmask, SIGFPE) ||
	    (mt_real.sigaction(SIGFPE, NULL, &cur) == 0 && !(cur.sa_flags & SA_SIGINFO) &&
	     cur.sa_handler == SIG_IGN)) {
		struct sigaction dfl;
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		mt_real.sigaction(SIGFPE, &dfl, NULL);
		sigdelset(&uc->uc_sigmask, SIGFPE);
	}
	siginfo_t fi;
	memset(&fi, 0, sizeof(fi));
	fi.si_signo = SIGFPE;
	fi.si_code = FPE_INTDIV;
	fi.si_addr = (void *)(uintptr_t)rip;
	syscall(SYS_rt_tgsigqueueinfo, (int)syscall(SYS_getpid), (int)mt_gettid(), SIGFPE, &fi);
}

/* The decoded instruction at rip (bytes: as fetched), or NULL. */
static const struct mt_decoded *decode_at(struct mt_tls *t, uint64_t rip, uint8_t *bytes,
					  size_t *n)
{
	const struct mt_decoded *d;
	int st = 0;
	*n = fetch(t, rip, bytes, 4096 - (rip & 4095) < ZYDIS_MAX_INSTRUCTION_LENGTH
				  ? 4096 - (rip & 4095) : ZYDIS_MAX_INSTRUCTION_LENGTH);
	if (!*n)
		return NULL;
	t->bp_patched = 0;
	if (bytes[0] == 0xcc) {
		/* a debugger's breakpoint on the faulting instruction (an int3
		 * accesses no data): the instruction as its file has it */
		size_t m = mt_orig_code(rip, bytes, ZYDIS_MAX_INSTRUCTION_LENGTH);
		if (m && bytes[0] != 0xcc) {
			*n = m;
			t->bp_patched = 1;
		}
	}
	d = mt_dcache_lookup(&t->dc, rip, bytes, *n);
	if (d)
		return d;
	d = mt_dcache_fill(&t->dc, rip, bytes, *n, &st);
	if (!d && st == MT_EMU_NEED_BYTES && *n < ZYDIS_MAX_INSTRUCTION_LENGTH) {
		*n = fetch(t, rip, bytes, ZYDIS_MAX_INSTRUCTION_LENGTH);
		d = *n ? mt_dcache_fill(&t->dc, rip, bytes, *n, &st) : NULL;
	}
	return d;
}

/* Emulate d for the fault at fa in region r (order lock held, released
 * here, or by the SIGTRAP after a single-step). */
static void emulate(struct mt_tls *t, struct mt_region *r, const struct mt_decoded *d,
		    const uint8_t *bytes, size_t n, uint64_t fa, int sig, siginfo_t *si,
		    ucontext_t *uc)
{
	uint64_t rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	if (!d || !mt_emu_supported(d, &mt_frame_ops)) {
		if (!(r->prot & (PROT_READ | PROT_WRITE))) {
			mt_hunlock();
			t->in_handler = 0;
			chain(sig, si, uc);
			return;
		}
		emit_unknown(r, fa, rip, d ? d->bytes : bytes, d ? d->len : (unsigned)n,
			     MT_EVF_STEPPED | (d ? 0 : MT_EVF_UNDECODED));
		step_begin(t, r, uc); /* keeps the lock until SIGTRAP */
		t->in_handler = 0;
		return;
	}
	struct mt_cpu cpu;
	struct ectx c = { .t = t, .uc = uc, .acc = { .ops = &acc_ops, .pc = rip } };
	c.acc.be = &c;
	mt_frame_xsave(uc, &c);
	mt_frame_load(&cpu, uc, d);
	int rc = mt_emulate(d, &cpu, &mt_frame_ops, &c);
	int part_way = mt_acc_stopped(&c.acc, rc);
	if (rc == 0 || part_way)
		mt_frame_store(&cpu, uc); /* a fault part-way: the CPU's state there */
	if (c.acc.denied)
		denied_fault(&c.acc, &t->sc_fault);
	if (rc != 0 && rc != MT_EMU_MEMFAULT && rc != MT_EMU_DIVIDE_ERROR) {
		emit_unknown(r, fa, rip, d->bytes, d->len, MT_EVF_STEPPED);
		step_begin(t, r, uc);
		t->in_handler = 0;
		return;
	}
	if (r->watch && !c.nput)
		mt_watch_count_silent();
	mt_hunlock();
	t->in_handler = 0;
	/* A debugger stepping this instruction: the trap flag set at the
	 * fault (the frame kept the TF it forced), or its breakpoint on the
	 * instruction (where it waits for the handler to return: we return
	 * past it). The step ends after the emulated instruction with one
	 * SIGTRAP. Left in the context, TF would stay set for good after
	 * sigreturn (the debugger no longer owns it) and trap after every
	 * instruction. */
	int stepped = rc == 0 && ((uc->uc_mcontext.gregs[REG_EFL] & TF_BIT) || t->bp_patched);
	if (stepped)
		uc->uc_mcontext.gregs[REG_EFL] &= ~(greg_t)TF_BIT;
	if (rc == 0 && (c.stop || stepped))
		watch_stop();
	if (part_way)
		deliver_fault(&t->sc_fault, uc); /* refused, its other memory, the device gone */
	else if (rc == MT_EMU_MEMFAULT)
		chain(sig, si, uc); /* cannot happen: the program's fault as it came */
	else if (rc == MT_EMU_DIVIDE_ERROR)
		raise_divide_error(uc, rip); /* the divisor read (and recorded) once */
}

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
	int saved_errno = errno;
	ucontext_t *uc = ucv;
	struct mt_tls *t = tls_state;

	/* A fault of our own copy of the program's memory (safecopy.c). */
	if (mt_safe_copy_caught(t, sig, si, uc))
		goto out;
	/* Of our access to the device (devsafe.c): does not return. */
	mt_dev_safe_caught(t, sig, si, uc);
	if (t && t->in_handler) {
		/* Faulting inside the handler outside a safe copy (a bug, or a
		 * probe's): as without us, it kills. A kill()ed SIGSEGV here
		 * comes again once we are done. */
		if (si->si_code > 0) {
			struct sigaction dfl;
			memset(&dfl, 0, sizeof(dfl));
			dfl.sa_handler = SIG_DFL;
			mt_real.sigaction(sig, &dfl, NULL);
		} else {
			t->resend = sig;
		}
		goto out;
	}
	if (!t)
		t = mt_tls_get();
	if (t && t->step_active) {
		uintptr_t fa = (uintptr_t)si->si_addr;
		struct mt_region *r = sig == SIGSEGV && si->si_code == SEGV_ACCERR ? mt_region_find(fa) : NULL;
		if (r && t->nstep < 4 && (r->prot & (PROT_READ | PROT_WRITE))) {
			/* the stepped instruction touches a second traced region */
			step_begin(t, r, uc);
			goto out;
		}
		step_end(t, uc);
		chain(sig, si, uc);
		goto out;
	}
	if (!t || si->si_code != SEGV_ACCERR || sig != SIGSEGV) {
		chain(sig, si, uc);
		goto out;
	}

	t->in_handler = 1;
	uint64_t rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	uint8_t bytes[ZYDIS_MAX_INSTRUCTION_LENGTH];
	size_t n;
	const struct mt_decoded *d = decode_at(t, rip, bytes, &n);
	mt_hlock();
	struct mt_region *r = mt_region_find((uintptr_t)si->si_addr);
	if (r && mt_recording_over()) {
		/* the recorder ended or died: give the mappings back, and
		 * let the instruction run natively */
		mt_abandon();
		mt_hunlock();
		t->in_handler = 0;
		goto out;
	}
	if (r)
		mt_retry_progress(&t->retry);
	if (!r && mt_region_retry(t, (uintptr_t)si->si_addr)) {
		/* its region went away since the fault (gone.c): again */
		mt_hunlock();
		t->in_handler = 0;
		goto out;
	}
	if (!r || !n) {
		mt_hunlock();
		t->in_handler = 0;
		chain(sig, si, uc);
		goto out;
	}
	emulate(t, r, d, bytes, n, (uintptr_t)si->si_addr, sig, si, uc);
out:
	if (mt_replay_stop_pending && t && !t->in_handler)
		_exit(MT_REPLAY_STOP_STATUS);
	if (t && t->resend && !t->in_handler) {
		int rs = t->resend;
		t->resend = 0;
		send_on_return(rs, NULL); /* not into our code, as it was */
	}
	errno = saved_errno;
}

static void on_trap(int sig, siginfo_t *si, void *ucv)
{
	int saved_errno = errno;
	ucontext_t *uc = ucv;
	struct mt_tls *t = tls_state;
	if (t && t->step_active && si->si_code == TRAP_TRACE) {
		step_end(t, uc);
	} else {
		if (t && t->step_active)
			step_end(t, uc);
		chain(sig, si, uc);
	}
	errno = saved_errno;
}

MT_HIDDEN int mt_install_handlers(void)
{
	if (mt_handlers_installed)
		return 0;
	mt_frame_layout();
	if (!tls_key_ok && pthread_key_create(&tls_key, tls_release) == 0)
		tls_key_ok = 1;
	mt_xrun_vec_flavour();
	mt_xrun_thread_init();
	int sigs[3] = { SIGSEGV, SIGBUS, SIGTRAP };
	for (int i = 0; i < 3; i++) {
		struct sigaction sa, old;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = sigs[i] == SIGTRAP ? on_trap : on_segv;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
		sigfillset(&sa.sa_mask);
		sigdelset(&sa.sa_mask, SIGSYS); /* sud.c: system calls in here may trap */
		if (sigs[i] != SIGTRAP) {
			/* our copies of the program's memory may fault, and
			 * must come back to us (safecopy.c) */
			sa.sa_flags |= SA_NODEFER;
			sigdelset(&sa.sa_mask, SIGSEGV);
			sigdelset(&sa.sa_mask, SIGBUS);
		}
		if (mt_real.sigaction(sigs[i], &sa, &old) < 0)
			return -errno;
		if (!prog_act_valid[sigs[i]]) {
			prog_act[sigs[i]] = old;
			prog_act_valid[sigs[i]] = 1;
		}
	}
	mt_handlers_installed = 1;
	return 0;
}
