// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pt_emu.c - the emulation context of one SIGSEGV stop: the tracee's GPRs
 * (PTRACE_GETREGS), its vector, opmask and x87 state (NT_X86_XSTATE, read
 * once per stop when an instruction needs it and written back if changed),
 * displaced execution in the tracer itself, and memory: device bytes
 * through the tracer's alias of the region, normal memory through
 * process_vm_readv/writev.
 */
#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#include "mmiotap/rt_access.h"
#include "mmiotap/xrun.h"
#include "pt_int.h"

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif

/* ---- XSAVE state --------------------------------------------------------------------------- */

void pt_xs_layout(void)
{
	unsigned eax, ebx, ecx, edx;
	if (!__get_cpuid_count(0xd, 0, &eax, &ebx, &ecx, &edx) || !ecx) {
		pt.xs_size = 0;
		return;
	}
	pt.xs_size = ecx > 4096 ? ecx : 4096;
	for (unsigned i = 2; i < 8; i++) {
		if (!((eax >> i) & 1))
			continue;
		unsigned a2 = 0, b2 = 0, c2 = 0, d2 = 0;
		__get_cpuid_count(0xd, i, &a2, &b2, &c2, &d2);
		pt.xoff[i] = b2;
	}
	pt.xs_buf = malloc(pt.xs_size);
	if (!pt.xs_buf)
		pt.xs_size = 0;
}

static int xs_load(struct pt_ectx *c)
{
	if (c->xs_loaded)
		return 0;
	if (!pt.xs_size)
		return -ENOTSUP;
	struct iovec iov = { pt.xs_buf, pt.xs_size };
	if (ptrace(PTRACE_GETREGSET, c->t->tid, (void *)NT_X86_XSTATE, &iov) < 0)
		return -errno;
	c->xs_len = iov.iov_len;
	c->xs_loaded = 1;
	return 0;
}

/* Write the XSAVE state back if an instruction changed it. */
void pt_xs_store(struct pt_ectx *c)
{
	if (!c->xs_dirty)
		return;
	struct iovec iov = { pt.xs_buf, c->xs_len };
	ptrace(PTRACE_SETREGSET, c->t->tid, (void *)NT_X86_XSTATE, &iov);
}

static uint64_t xs_bv(void)
{
	uint64_t bv;
	memcpy(&bv, pt.xs_buf + 512, 8);
	return bv;
}

static void xs_set_bv(struct pt_ectx *c, uint64_t bits)
{
	uint64_t bv = xs_bv() | bits;
	memcpy(pt.xs_buf + 512, &bv, 8);
	c->xs_dirty = 1;
}

static uint8_t *xs_ptr(struct pt_ectx *c, unsigned comp, size_t off, size_t n, int write)
{
	size_t base = comp == 1 ? 160 : pt.xoff[comp];
	if (comp > 1 && !base)
		return NULL;
	if (base + off + n > c->xs_len)
		return NULL;
	if (write)
		xs_set_bv(c, 1ull << comp);
	return pt.xs_buf + base + off;
}

/* ---- vector and opmask registers --------------------------------------------------------- */

static int vec_io(struct pt_ectx *c, unsigned idx, uint8_t *buf, unsigned size, int write)
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
	struct pt_ectx *c = op;
	return vec_io(c, idx, buf, size, 0);
}

static int op_vec_set(void *op, unsigned idx, const void *buf, unsigned size)
{
	struct pt_ectx *c = op;
	return vec_io(c, idx, (uint8_t *)buf, size, 1);
}

static int op_kmask_get(void *op, unsigned idx, uint64_t *val)
{
	struct pt_ectx *c = op;
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
	struct pt_ectx *c = op;
	if (idx > 7 || xs_load(c))
		return -EINVAL;
	uint8_t *p = xs_ptr(c, 5, idx * 8, 8, 1);
	if (!p)
		return -EINVAL;
	memcpy(p, &val, 8);
	return 0;
}

/* ---- displaced execution ------------------------------------------------------------------ */

/* The tracee's state for mt_xrun: GPRs, flags, MXCSR, x87/MMX (bytes
 * 0..159 of its XSAVE image, FXSAVE layout, or the init state when
 * XSTATE_BV[0] says so; also kept in *x87_in), vector and opmask registers. */
static void displaced_load(struct pt_ectx *c, const struct mt_cpu *cpu, struct mt_xstate *st,
			   struct mt_x87 *x87_in, unsigned nregs, unsigned bytes, unsigned nk)
{
	memset(st, 0, sizeof(*st));
	memcpy(st->gpr, cpu->gpr, sizeof(st->gpr));
	st->rflags = cpu->rflags;
	memcpy(&st->mxcsr, pt.xs_buf + 24, 4);
	if (c->xs_len >= 512 + 64 && (xs_bv() & 1)) {
		memcpy(x87_in, pt.xs_buf, sizeof(*x87_in));
	} else {
		memset(x87_in, 0, sizeof(*x87_in));
		x87_in->fcw = 0x37f;
	}
	st->x87 = *x87_in;
	st->xflags = MT_XSTATE_X87;
	for (unsigned i = 0; i < nregs; i++)
		vec_io(c, i, st->zmm[i], bytes, 0);
	for (unsigned i = 0; i < nk; i++)
		op_kmask_get(c, i, &st->k[i]);
}

/* x87 state and MXCSR back into the XSAVE image, where they changed. */
static void displaced_store_fpu(struct pt_ectx *c, const struct mt_x87 *x87_in,
				const struct mt_xstate *st)
{
	/* FCW..FDP at 0..23, ST0-7 at 32..159; MXCSR at 24 below */
	const uint8_t *a = (const uint8_t *)x87_in, *b = (const uint8_t *)&st->x87;
	if (memcmp(a, b, 24) || memcmp(a + 32, b + 32, 128)) {
		memcpy(pt.xs_buf, b, 24);
		memcpy(pt.xs_buf + 32, b + 32, 128);
		xs_set_bv(c, 1);
	}
	uint32_t oldmx;
	memcpy(&oldmx, pt.xs_buf + 24, 4);
	if (oldmx != st->mxcsr) {
		memcpy(pt.xs_buf + 24, &st->mxcsr, 4);
		c->xs_dirty = 1;
	}
}

/* Vector and opmask registers back, those that changed. */
static void displaced_store_vec(struct pt_ectx *c, const struct mt_xstate *st, unsigned nregs,
				unsigned bytes, unsigned nk)
{
	for (unsigned i = 0; i < nregs; i++) {
		uint8_t old[64];
		vec_io(c, i, old, bytes, 0);
		if (memcmp(old, st->zmm[i], bytes))
			vec_io(c, i, (uint8_t *)st->zmm[i], bytes, 1);
	}
	for (unsigned i = 0; i < nk; i++) {
		uint64_t old;
		op_kmask_get(c, i, &old);
		if (old != st->k[i])
			op_kmask_set(c, i, st->k[i]);
	}
}

/* Displaced forms (vector ALU, x87, MMX) run here, in the tracer, on the
 * tracee's register and x87 state: the instruction only touches registers
 * and the scratch operand, and tracer and tracee run on the same CPU. If
 * the state could raise an FP exception in the stub (unmasked in MXCSR or
 * FCW, or pending), mt_xrun refuses (-EDOM) and the caller single-steps. */
static int op_exec_displaced(void *op, struct mt_cpu *cpu, const struct mt_displaced *d)
{
	struct pt_ectx *c = op;
	static struct mt_xstate st;
	unsigned nregs, bytes, nk;
	int rc = xs_load(c);
	if (rc)
		return rc;
	mt_xrun_vec_shape(&nregs, &bytes, &nk);
	struct mt_x87 x87_in;
	displaced_load(c, cpu, &st, &x87_in, nregs, bytes, nk);
	rc = mt_xrun_displaced(d->code, d->len, d->scratch_reg, d->scratch, &st);
	if (rc)
		return rc;
	/* FIP/FDP/FOP name the stub and the scratch buffer: the program's */
	mt_xrun_x87_fixup(&st, cpu->rip, d->scratch, d->fdp, d->fop);
	memcpy(cpu->gpr, st.gpr, sizeof(st.gpr));
	cpu->rflags = st.rflags;
	displaced_store_fpu(c, &x87_in, &st);
	displaced_store_vec(c, &st, nregs, bytes, nk);
	return 0;
}

/* ---- memory --------------------------------------------------------------------------------- */

static int acc_region(void *be, uint64_t addr, struct mt_acc_region *ar)
{
	struct pt_ectx *c = be;
	struct pt_region *r = pt_region_find(c->mm, addr);
	if (!r) {
		ar->end = pt_region_next(c->mm, addr, UINT64_MAX);
		return 0;
	}
	if (r->watch) {
		pt_watch_piece(c->mm, r, addr, c->acc.is_write, ar);
		return 1;
	}
	ar->start = r->start;
	ar->end = r->end;
	ar->alias = r->al->base + r->al_off;
	ar->prot = r->prot;
	ar->map_id = r->map_id;
	ar->map_start = r->map_start;
	ar->map_phys = r->pci.phys;
	ar->rules = pt.o->inject != NULL;
	ar->priv = r;
	return 1;
}

/* Normal memory of the tracee; a partial transfer names the fault. */
static int acc_plain(void *be, uint64_t addr, void *buf, unsigned n, int is_write,
		     uint64_t *fault)
{
	struct pt_ectx *c = be;
	size_t done = 0;
	int rc = is_write ? pt_rmem_write(c->t->tid, addr, buf, n, &done)
			  : pt_rmem_read(c->t->tid, addr, buf, n, &done);
	if (rc)
		*fault = addr + done;
	return rc;
}

/* The caller's --inject hook (mt_ptrace_opts.inject). */
static unsigned acc_inject(void *be, const struct mt_acc_region *ar, uint64_t addr,
			   int is_write, void *val, unsigned size)
{
	const struct pt_region *r = ar->priv;
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
	unsigned evf = 0;
	pt.o->inject(pt.o->inject_arg, &m, is_write, val, size, &evf);
	return evf & (MT_EVF_DROPPED | MT_EVF_DELAYED);
}

static void acc_put(void *be, struct mt_ev *ev)
{
	struct pt_ectx *c = be;
	c->nput++;
	pt_put_access(c->t, ev);
}

static int acc_dev(void *be, uint64_t addr, volatile uint8_t *p, void *val, unsigned size,
		   int is_write, uint64_t *fault)
{
	struct pt_ectx *c = be;
	return pt_dev_safe(addr, p, val, size, is_write, fault, &c->dev_code);
}

/* No reserve_seq: events are numbered as they are put (pt_event.c). */
static const struct mt_acc_ops acc_ops = {
	.region = acc_region,
	.plain = acc_plain,
	.inject = acc_inject,
	.dev = acc_dev,
	.put = acc_put,
};

void pt_ectx_init(struct pt_ectx *c, struct pt_task *t, uint64_t pc)
{
	memset(c, 0, sizeof(*c));
	c->t = t;
	c->mm = t->mm;
	c->acc.ops = &acc_ops;
	c->acc.be = c;
	c->acc.pc = pc;
}

_Static_assert(offsetof(struct pt_ectx, acc) == 0, "mt_acc_emu_read wants acc first");

const struct mt_emu_ops pt_emu_ops = {
	.mem_read = mt_acc_emu_read,
	.mem_write = mt_acc_emu_write,
	.vec_get = op_vec_get,
	.vec_set = op_vec_set,
	.kmask_get = op_kmask_get,
	.kmask_set = op_kmask_set,
	.exec_displaced = op_exec_displaced,
};

/* ---- general registers ---------------------------------------------------------------------- */

void pt_regs_to_cpu(const struct user_regs_struct *u, struct mt_cpu *c)
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

void pt_cpu_to_regs(const struct mt_cpu *c, struct user_regs_struct *u)
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
