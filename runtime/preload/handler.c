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

/* XSAVE layout of this CPU (standard format, as in signal frames). */
static uint32_t xoff[8], xsize[8];
static int have_fsgsbase;

#define FP_XSTATE_MAGIC1_ 0x46505853u

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
	return mt_handlers_installed && (sig == SIGSEGV || sig == SIGTRAP);
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

/* Deliver a signal that is not ours to the program's own handler, as the
 * kernel would have. We run with every signal blocked. */
static void chain(int sig, siginfo_t *si, ucontext_t *uc)
{
	struct sigaction *a = &prog_act[sig];
	void (*h)(int) = a->sa_handler;

	if (h == SIG_IGN && si->si_code <= 0)
		return; /* sent by kill(): ignored */
	if (h == SIG_DFL || h == SIG_IGN) {
		/* Give the signal back to the kernel: a fault re-faults after
		 * return and kills with the right signal (and core). */
		struct sigaction dfl;
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		mt_real.sigaction(sig, &dfl, NULL);
		if (si->si_code <= 0 || sig == SIGTRAP)
			syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
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

/* ---- vector registers in the signal frame ------------------------------------ */

struct ectx {
	struct mt_acc acc; /* memory (pc; denied: the program's own fault); first:
			    * mt_acc_emu_read/write are the memory callbacks */
	struct mt_tls *t;
	ucontext_t *uc;
	uint8_t *xs;      /* XSAVE area of the frame, or NULL */
	uint32_t xsz;     /* its size */
};
_Static_assert(offsetof(struct ectx, acc) == 0, "mt_acc_emu_read wants acc first");

static uint64_t *xbv(struct ectx *c)
{
	return (uint64_t *)(c->xs + 512);
}

static int comp_ok(struct ectx *c, int comp)
{
	if (!c->xs)
		return 0;
	if (comp < 2)
		return 1;
	return xoff[comp] && xoff[comp] + xsize[comp] <= c->xsz;
}

/* Pointer to component comp's bytes, initialising it (zero) if the header
 * says it is in its init state and we are about to write it. */
static uint8_t *comp_ptr(struct ectx *c, int comp, int for_write)
{
	uint8_t *p = comp == 1 ? c->xs + 160 : c->xs + xoff[comp];
	uint32_t sz = comp == 1 ? 256 : xsize[comp];
	if (!(*xbv(c) & (1ull << comp))) {
		if (!for_write)
			return NULL; /* init state: reads as zero */
		memset(p, 0, sz);
		*xbv(c) |= 1ull << comp;
	}
	return p;
}

static int vec_get(void *op, unsigned idx, void *buf, unsigned size)
{
	struct ectx *c = op;
	uint8_t *out = buf;
	memset(buf, 0, size);
	if (!c->xs || idx > 31)
		return -EINVAL;
	if (idx < 16) {
		uint8_t *p = comp_ptr(c, 1, 0);
		if (p)
			memcpy(out, p + 16 * idx, 16);
		if (size > 16 && comp_ok(c, 2) && (p = comp_ptr(c, 2, 0)))
			memcpy(out + 16, p + 16 * idx, 16);
		if (size > 32 && comp_ok(c, 6) && (p = comp_ptr(c, 6, 0)))
			memcpy(out + 32, p + 32 * idx, 32);
		return 0;
	}
	if (!comp_ok(c, 7))
		return -EINVAL;
	uint8_t *p = comp_ptr(c, 7, 0);
	if (p)
		memcpy(out, p + 64 * (idx - 16), size > 64 ? 64 : size);
	return 0;
}

static int vec_set(void *op, unsigned idx, const void *buf, unsigned size)
{
	struct ectx *c = op;
	const uint8_t *in = buf;
	if (!c->xs || idx > 31)
		return -EINVAL;
	if (idx < 16) {
		memcpy(comp_ptr(c, 1, 1) + 16 * idx, in, 16);
		if (size > 16 && comp_ok(c, 2))
			memcpy(comp_ptr(c, 2, 1) + 16 * idx, in + 16, 16);
		if (size > 32 && comp_ok(c, 6))
			memcpy(comp_ptr(c, 6, 1) + 32 * idx, in + 32, 32);
		return 0;
	}
	if (!comp_ok(c, 7))
		return -EINVAL;
	memcpy(comp_ptr(c, 7, 1) + 64 * (idx - 16), in, size > 64 ? 64 : size);
	return 0;
}

static int kmask_get(void *op, unsigned idx, uint64_t *val)
{
	struct ectx *c = op;
	*val = 0;
	if (idx > 7 || !comp_ok(c, 5))
		return -EINVAL;
	uint8_t *p = comp_ptr(c, 5, 0);
	if (p)
		memcpy(val, p + 8 * idx, 8);
	return 0;
}

static int kmask_set(void *op, unsigned idx, uint64_t val)
{
	struct ectx *c = op;
	if (idx > 7 || !comp_ok(c, 5))
		return -EINVAL;
	memcpy(comp_ptr(c, 5, 1) + 8 * idx, &val, 8);
	return 0;
}

static int exec_displaced(void *op, struct mt_cpu *cpu, const struct mt_displaced *d)
{
	struct ectx *c = op;
	struct mt_xstate *xs = &c->t->xst;
	unsigned nregs, bytes, nk;
	mt_xrun_vec_shape(&nregs, &bytes, &nk);
	if (!c->xs)
		return -EOPNOTSUPP; /* no XSAVE frame: vector/x87 state not reachable */
	memcpy(xs->gpr, cpu->gpr, sizeof(xs->gpr));
	xs->rflags = cpu->rflags;
	xs->mxcsr = *(uint32_t *)(c->xs + 24);
	/* x87/MMX state: bytes 0..159 of the frame's legacy region, or the
	 * init state when XSTATE_BV[0] says so */
	xs->xflags = MT_XSTATE_X87;
	struct mt_x87 x87_in;
	if (*xbv(c) & 1) {
		memcpy(&x87_in, c->xs, sizeof(x87_in));
	} else {
		memset(&x87_in, 0, sizeof(x87_in));
		x87_in.fcw = 0x37f;
	}
	xs->x87 = x87_in;
	for (unsigned i = 0; i < nregs; i++)
		vec_get(c, i, xs->zmm[i], bytes);
	for (unsigned i = 0; i < nk; i++)
		kmask_get(c, i, &xs->k[i]);
	int rc = mt_xrun_displaced(d->code, d->len, d->scratch_reg, d->scratch, xs);
	if (rc)
		return rc;
	mt_xrun_x87_fixup(xs, cpu->rip, d->scratch, d->fdp, d->fop);
	memcpy(cpu->gpr, xs->gpr, sizeof(xs->gpr));
	cpu->rflags = xs->rflags;
	*(uint32_t *)(c->xs + 24) = xs->mxcsr;
	{	/* FCW..FDP at 0..23, ST0-7 at 32..159 */
		const uint8_t *a = (const uint8_t *)&x87_in, *b = (const uint8_t *)&xs->x87;
		if (memcmp(a, b, 24) || memcmp(a + 32, b + 32, 128)) {
			memcpy(c->xs, b, 24); /* MXCSR at 24 kept */
			memcpy(c->xs + 32, b + 32, 128);
			*xbv(c) |= 1;
		}
	}
	/* Write back only registers that changed, so init-state components
	 * stay init (cheaper sigreturn, and exact for untouched state). */
	for (unsigned i = 0; i < nregs; i++) {
		uint8_t old[64];
		vec_get(c, i, old, bytes);
		if (memcmp(old, xs->zmm[i], bytes))
			vec_set(c, i, xs->zmm[i], bytes);
	}
	for (unsigned i = 0; i < nk; i++) {
		uint64_t k;
		kmask_get(c, i, &k);
		if (k != xs->k[i])
			kmask_set(c, i, xs->k[i]);
	}
	return 0;
}

/* ---- memory: the shared access path (runtime/common/access.c) -------------------------- */

static int acc_region(void *be, uint64_t addr, struct mt_acc_region *ar)
{
	struct mt_region *r = mt_region_find(addr);
	if (!r) {
		ar->end = mt_region_next(addr, UINTPTR_MAX);
		return 0;
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

/* Not traced: the program's own memory, directly. */
static int acc_plain(void *be, uint64_t addr, void *buf, unsigned n, int is_write,
		     uint64_t *fault)
{
	if (is_write)
		memcpy((void *)addr, buf, n);
	else
		memcpy(buf, (const void *)addr, n);
	return 0;
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

static void acc_put(void *be, struct mt_ev *ev)
{
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
	.put = acc_put,
};

static const struct mt_emu_ops ops_full = {
	.mem_read = mt_acc_emu_read,
	.mem_write = mt_acc_emu_write,
	.vec_get = vec_get,
	.vec_set = vec_set,
	.kmask_get = kmask_get,
	.kmask_set = kmask_set,
	.exec_displaced = exec_displaced,
};

/* ---- context ---------------------------------------------------------------- */

static const int greg_of[MT_NGPR] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

static void frame_xsave(ucontext_t *uc, struct ectx *c)
{
	uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;
	c->xs = NULL;
	c->xsz = 0;
	if (!fp)
		return;
	uint32_t magic1, xsz;
	memcpy(&magic1, fp + 464, 4);
	memcpy(&xsz, fp + 464 + 16, 4);
	c->xs = fp;
	c->xsz = magic1 == FP_XSTATE_MAGIC1_ ? xsz : 512;
	if (c->xsz < 576) {
		/* legacy FXSAVE only: no header; fake a permissive view */
		c->xs = NULL;
	}
}

__attribute__((target("fsgsbase"))) static uint64_t rdfs(void) { return _readfsbase_u64(); }
__attribute__((target("fsgsbase"))) static uint64_t rdgs(void) { return _readgsbase_u64(); }

static void load_cpu(struct mt_cpu *cpu, const ucontext_t *uc, const struct mt_decoded *d)
{
	for (int i = 0; i < MT_NGPR; i++)
		cpu->gpr[i] = (uint64_t)uc->uc_mcontext.gregs[greg_of[i]];
	cpu->rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	cpu->rflags = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
	cpu->fs_base = cpu->gs_base = 0;
	if (d->insn.attributes & (ZYDIS_ATTRIB_HAS_SEGMENT_FS | ZYDIS_ATTRIB_HAS_SEGMENT_GS)) {
		if (have_fsgsbase) {
			cpu->fs_base = rdfs();
			cpu->gs_base = rdgs();
		} else {
			unsigned long v = 0;
			syscall(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, &v);
			cpu->fs_base = v;
			syscall(SYS_arch_prctl, 0x1004 /* ARCH_GET_GS */, &v);
			cpu->gs_base = v;
		}
	}
}

static void store_cpu(const struct mt_cpu *cpu, ucontext_t *uc)
{
	for (int i = 0; i < MT_NGPR; i++)
		uc->uc_mcontext.gregs[greg_of[i]] = (greg_t)cpu->gpr[i];
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)cpu->rip;
	uc->uc_mcontext.gregs[REG_EFL] = (greg_t)cpu->rflags;
}

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
	mt_ring_unlock(mt_lockp());
}

static void emit_unknown(struct mt_region *r, uint64_t addr, uint64_t pc,
			 const uint8_t *bytes, unsigned n, unsigned flags)
{
	if (mt_ring && r->map_id)
		mt_emit_simple(MT_EV_UNKNOWN, r->map_id, addr, pc, bytes, n, flags);
}

/* ---- handlers ------------------------------------------------------------------ */

static size_t fetch(uint64_t rip, uint8_t *bytes, size_t want)
{
	size_t room = 4096 - (rip & 4095);
	size_t n = want < room ? want : room;
	memcpy(bytes, (const void *)rip, n);
	return n;
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

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
	int saved_errno = errno;
	ucontext_t *uc = ucv;
	struct mt_tls *t = mt_tls_get();

	if (t && t->step_active) {
		uintptr_t fa = (uintptr_t)si->si_addr;
		struct mt_region *r = si->si_code == SEGV_ACCERR ? mt_region_find(fa) : NULL;
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

	uint64_t rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	uint8_t bytes[ZYDIS_MAX_INSTRUCTION_LENGTH];
	size_t n = fetch(rip, bytes, sizeof(bytes));
	const struct mt_decoded *d = mt_dcache_lookup(&t->dc, rip, bytes, n);
	int st = 0;
	if (!d) {
		d = mt_dcache_fill(&t->dc, rip, bytes, n, &st);
		if (!d && st == MT_EMU_NEED_BYTES && n < sizeof(bytes)) {
			n = sizeof(bytes);
			memcpy(bytes, (const void *)rip, n);
			d = mt_dcache_fill(&t->dc, rip, bytes, n, &st);
		}
	}

	struct mt_ring *L = mt_lockp();
	mt_ring_lock(L, (uint32_t)mt_pid, mt_gettid());
	struct mt_region *r = mt_region_find((uintptr_t)si->si_addr);
	if (!r) {
		mt_ring_unlock(L);
		chain(sig, si, uc);
		goto out;
	}
	if (!d || !mt_emu_supported(d, &ops_full)) {
		if (!(r->prot & (PROT_READ | PROT_WRITE))) {
			mt_ring_unlock(L);
			chain(sig, si, uc);
			goto out;
		}
		emit_unknown(r, (uintptr_t)si->si_addr, rip, d ? d->bytes : bytes,
			     d ? d->len : (unsigned)n,
			     MT_EVF_STEPPED | (d ? 0 : MT_EVF_UNDECODED));
		step_begin(t, r, uc); /* keeps the lock until SIGTRAP */
		goto out;
	}
	struct mt_cpu cpu;
	struct ectx c = { .t = t, .uc = uc, .acc = { .ops = &acc_ops, .pc = rip } };
	c.acc.be = &c;
	frame_xsave(uc, &c);
	load_cpu(&cpu, uc, d);
	int rc = mt_emulate(d, &cpu, &ops_full, &c);
	if (rc == 0) {
		store_cpu(&cpu, uc);
		mt_ring_unlock(L);
	} else if (rc == MT_EMU_MEMFAULT || c.acc.denied) {
		/* the CPU would have faulted too: the program's business */
		mt_ring_unlock(L);
		chain(sig, si, uc);
	} else if (rc == MT_EMU_DIVIDE_ERROR) {
		/* the divisor was read (and recorded) once; nothing written */
		mt_ring_unlock(L);
		raise_divide_error(uc, rip);
	} else {
		emit_unknown(r, (uintptr_t)si->si_addr, rip, d->bytes, d->len, MT_EVF_STEPPED);
		step_begin(t, r, uc);
	}
out:
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

static void xsave_layout(void)
{
	unsigned a, b, c, d;
	for (int i = 2; i < 8; i++) {
		if (__get_cpuid_count(0xd, (unsigned)i, &a, &b, &c, &d)) {
			xsize[i] = a;
			xoff[i] = b;
		}
	}
	have_fsgsbase = (getauxval(AT_HWCAP2) & 2) != 0;
}

MT_HIDDEN int mt_install_handlers(void)
{
	if (mt_handlers_installed)
		return 0;
	xsave_layout();
	if (!tls_key_ok && pthread_key_create(&tls_key, tls_release) == 0)
		tls_key_ok = 1;
	mt_xrun_vec_flavour();
	mt_xrun_thread_init();
	int sigs[2] = { SIGSEGV, SIGTRAP };
	for (int i = 0; i < 2; i++) {
		struct sigaction sa, old;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = sigs[i] == SIGSEGV ? on_segv : on_trap;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
		sigfillset(&sa.sa_mask);
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
