// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * frame.c - the signal frame as the emulator's register file: GPRs, RIP and
 * RFLAGS in the ucontext, vector, opmask and x87 state in the frame's XSAVE
 * area (written back with the component's XSTATE_BV bit set), and
 * displaced execution with that state loaded (mt_xrun).
 */
#include "internal.h"

#include <cpuid.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <immintrin.h>

#include "mmiotap/rt_access.h"
#include "mmiotap/xrun.h"

/* XSAVE layout of this CPU (standard format, as in signal frames). */
static uint32_t xoff[8], xsize[8];
static int have_fsgsbase;

#define FP_XSTATE_MAGIC1_ 0x46505853u

/* ---- vector registers in the signal frame ------------------------------------ */


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

/* ---- context ---------------------------------------------------------------- */

static const int greg_of[MT_NGPR] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

MT_HIDDEN void mt_frame_xsave(ucontext_t *uc, struct ectx *c)
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

MT_HIDDEN void mt_frame_load(struct mt_cpu *cpu, const ucontext_t *uc, const struct mt_decoded *d)
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

MT_HIDDEN void mt_frame_store(const struct mt_cpu *cpu, ucontext_t *uc)
{
	for (int i = 0; i < MT_NGPR; i++)
		uc->uc_mcontext.gregs[greg_of[i]] = (greg_t)cpu->gpr[i];
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)cpu->rip;
	uc->uc_mcontext.gregs[REG_EFL] = (greg_t)cpu->rflags;
}

MT_HIDDEN void mt_frame_layout(void)
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

MT_HIDDEN const struct mt_emu_ops mt_frame_ops = {
	.mem_read = mt_acc_emu_read,
	.mem_write = mt_acc_emu_write,
	.vec_get = vec_get,
	.vec_set = vec_set,
	.kmask_get = kmask_get,
	.kmask_set = kmask_set,
	.exec_displaced = exec_displaced,
};

