/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* oracle.c - native-vs-emulated comparison driver (see oracle.h). */
#include "oracle.h"

#include <asm/prctl.h>
#include <cpuid.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BUFSZ (16 * 1024)
#define BUFMID (BUFSZ / 2)

/* ---- registry ---- */

static const struct or_form *forms[2048];
static size_t nforms;

void oracle_register(const struct or_form *f, size_t n)
{
	for (size_t i = 0; i < n && nforms < sizeof(forms) / sizeof(forms[0]); i++)
		forms[nforms++] = &f[i];
}

/* ---- helpers ---- */

uint64_t or_rand(struct or_ctx *c)
{
	uint64_t x = c->rng;
	x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
	c->rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

uint64_t or_value(struct or_ctx *c)
{
	static const uint64_t special[] = {
		0, 1, 2, ~0ull, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
		0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffffull,
		0x8000000000000000ull, 0x100, 0x10000, 0x100000000ull,
	};
	switch (or_range(c, 8)) {
	case 0:
		return special[or_range(c, sizeof(special) / sizeof(special[0]))];
	case 1:
		return special[or_range(c, sizeof(special) / sizeof(special[0]))] ^ or_range(c, 4);
	case 2:
		return or_range(c, 70);
	case 3:
		return (uint64_t) - (int64_t)or_range(c, 70);
	default:
		return or_rand(c);
	}
}

uint64_t or_target(struct or_ctx *c, unsigned spread)
{
	return c->bufaddr + BUFMID - spread + or_range(c, 2 * (uint64_t)spread + 1);
}

int or_gpr_index(ZydisRegister r)
{
	if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_R15B) {
		unsigned i = r - ZYDIS_REGISTER_AL;
		return i < 4 ? (int)i : i < 8 ? (int)i - 4 : (int)i - 4;
	}
	if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_R15W)
		return r - ZYDIS_REGISTER_AX;
	if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_R15D)
		return r - ZYDIS_REGISTER_EAX;
	if (r >= ZYDIS_REGISTER_RAX && r <= ZYDIS_REGISTER_R15)
		return r - ZYDIS_REGISTER_RAX;
	return -1;
}

ZydisRegister or_gpr(unsigned idx, unsigned bytes)
{
	switch (bytes) {
	case 1: return (ZydisRegister)(idx < 4 ? ZYDIS_REGISTER_AL + idx : ZYDIS_REGISTER_AL + idx + 4);
	case 2: return (ZydisRegister)(ZYDIS_REGISTER_AX + idx);
	case 4: return (ZydisRegister)(ZYDIS_REGISTER_EAX + idx);
	default: return (ZydisRegister)(ZYDIS_REGISTER_RAX + idx);
	}
}

int or_cpuid_bit(unsigned leaf, unsigned sub, unsigned reg, unsigned bit)
{
	unsigned r[4];
	if (!__get_cpuid_count(leaf, sub, &r[0], &r[1], &r[2], &r[3]))
		return 0;
	return (r[reg & 3] >> bit) & 1;
}

int or_encode(struct or_case *c)
{
	ZyanUSize len = sizeof(c->code);
	if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&c->req, c->code, &len)))
		return -1;
	c->len = (unsigned)len;
	return 0;
}

static unsigned pick_width(struct or_ctx *c, unsigned mask)
{
	unsigned opts[8], n = 0;
	for (unsigned b = 0; b < 8; b++)
		if (mask & (1u << b))
			opts[n++] = 1u << b;
	return n ? opts[or_range(c, n)] : 8;
}

static int pick_gpr(struct or_ctx *c, uint32_t avoid)
{
	for (int tries = 0; tries < 64; tries++) {
		int r = (int)or_range(c, 16);
		if (r != 4 && !(avoid & (1u << r)))
			return r;
	}
	return -1;
}

/* ---- the generic generator ---- */

int or_gen_generic(struct or_ctx *x, const struct or_form *f, struct or_case *c)
{
	ZydisEncoderRequest *q = &c->req;
	uint32_t used = 0;
	int memi = -1;

	memset(q, 0, sizeof(*q));
	q->machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
	q->mnemonic = f->mnem;
	q->operand_count = f->nops;
	if (f->flags & OF_LOCK)
		q->prefixes |= ZYDIS_ATTRIB_HAS_LOCK;
	c->width = pick_width(x, f->widths ? f->widths : W8);
	for (unsigned i = 0; i < f->nops; i++) {
		const struct or_opspec *s = &f->op[i];
		ZydisEncoderOperand *o = &q->operands[i];
		unsigned w = s->widths ? pick_width(x, s->widths) : c->width;
		int g;

		c->regop_gpr[i] = -1;
		switch (s->kind) {
		case OK_R:
			g = pick_gpr(x, f->avoid);
			if (g < 0)
				return -1;
			o->type = ZYDIS_OPERAND_TYPE_REGISTER;
			o->reg.value = or_gpr((unsigned)g, w);
			if (w == 1 && g < 4 && or_range(x, 4) == 0)
				o->reg.value = (ZydisRegister)(ZYDIS_REGISTER_AH + g);
			c->regop_gpr[i] = g;
			used |= 1u << g;
			break;
		case OK_CL:
			o->type = ZYDIS_OPERAND_TYPE_REGISTER;
			o->reg.value = ZYDIS_REGISTER_CL;
			c->regop_gpr[i] = 1;
			used |= 2;
			break;
		case OK_I:
		case OK_I8: {
			unsigned iw = s->kind == OK_I8 ? 1 : (w > 4 ? 4 : w);
			uint64_t v = or_range(x, 3) ? or_value(x) : (uint64_t)(int64_t)(int8_t)or_rand(x);
			o->type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
			if (iw < 8)
				v = (uint64_t)((int64_t)(v << (64 - 8 * iw)) >> (64 - 8 * iw));
			if (s->kind == OK_I8)
				v &= 0xff;
			o->imm.u = v;
			break;
		}
		case OK_ONE:
			o->type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
			o->imm.u = 1;
			break;
		case OK_XMM:
		case OK_YMM:
		case OK_ZMM: {
			unsigned n = (f->flags & OF_EVEX) ? 32 : 16;
			ZydisRegister base = s->kind == OK_XMM ? ZYDIS_REGISTER_XMM0 :
					     s->kind == OK_YMM ? ZYDIS_REGISTER_YMM0 : ZYDIS_REGISTER_ZMM0;
			o->type = ZYDIS_OPERAND_TYPE_REGISTER;
			o->reg.value = (ZydisRegister)(base + or_range(x, n));
			break;
		}
		case OK_K:
			o->type = ZYDIS_OPERAND_TYPE_REGISTER;
			o->reg.value = (ZydisRegister)(ZYDIS_REGISTER_K1 + or_range(x, 7));
			break;
		case OK_MM:
			o->type = ZYDIS_OPERAND_TYPE_REGISTER;
			o->reg.value = (ZydisRegister)(ZYDIS_REGISTER_MM0 + or_range(x, 8));
			break;
		case OK_M:
			o->type = ZYDIS_OPERAND_TYPE_MEMORY;
			o->mem.size = (ZyanU16)((f->flags & OF_MEMSIZE_ARG) ? f->arg : w);
			memi = (int)i;
			break;
		default:
			return -1;
		}
	}
	if (memi >= 0) {
		ZydisEncoderOperand *o = &q->operands[memi];
		uint32_t avoid = f->avoid | ((f->flags & OF_DISTINCT) ? used : 0);
		unsigned mode = (f->flags & OF_NOSEG) ? 0 : (unsigned)or_range(x, 10);
		uint64_t t = or_target(x, 512), segbase = 0;
		int b = pick_gpr(x, avoid), ix = -1;
		unsigned scale = 1u << or_range(x, 4);
		int64_t disp;

		if (b < 0)
			return -1;
		if (f->flags & (OF_ALIGN16 | OF_ALIGN)) {
			unsigned a = (f->flags & OF_ALIGN16) ? 16 : o->mem.size;
			t &= ~(uint64_t)(a - 1);
		}
		switch (or_range(x, 4)) {
		case 0: disp = 0; break;
		case 1: disp = (int64_t)or_range(x, 256) - 128; break;
		case 2: disp = (int64_t)(or_rand(x) | 0x80000000u); disp = (int32_t)disp; break;
		default: disp = (int64_t)or_range(x, 0x100000) - 0x80000; break;
		}
		if (or_range(x, 3) == 0)
			ix = pick_gpr(x, avoid);
		if (ix == b && (f->flags & (OF_ALIGN16 | OF_ALIGN)))
			ix = -1;
		c->memaddr = t;
		if (mode == 1) { /* RIP-relative */
			o->mem.base = ZYDIS_REGISTER_RIP;
			o->mem.displacement = 0;
			if (or_encode(c))
				return -1;
			o->mem.displacement = (int64_t)(t - (x->code_addr + c->len));
			return or_encode(c);
		}
		if (mode == 2) { /* absolute disp32 */
			o->mem.displacement = (int64_t)t;
			return or_encode(c);
		}
		if (mode == 3) {
			q->prefixes |= ZYDIS_ATTRIB_HAS_SEGMENT_FS;
			segbase = x->fs_base;
		} else if (mode == 4) {
			q->prefixes |= ZYDIS_ATTRIB_HAS_SEGMENT_GS;
			segbase = x->gs_base;
		}
		if (mode == 5) { /* 32-bit address size; garbage in the high halves */
			uint64_t iv = ix >= 0 ? or_range(x, 64) : 0;
			uint32_t bv = (uint32_t)(t - (uint64_t)disp - iv * scale);
			o->mem.base = or_gpr((unsigned)b, 4);
			if (ix >= 0 && ix != b) {
				o->mem.index = or_gpr((unsigned)ix, 4);
				o->mem.scale = (ZyanU8)scale;
				c->st.gpr[ix] = (or_rand(x) << 32) | iv;
			} else {
				ix = -1;
				bv = (uint32_t)(t - (uint64_t)disp);
			}
			c->st.gpr[b] = (or_rand(x) << 32) | bv;
			o->mem.displacement = disp;
			q->address_size_hint = ZYDIS_ADDRESS_SIZE_HINT_32;
			return or_encode(c);
		}
		o->mem.base = or_gpr((unsigned)b, 8);
		o->mem.displacement = disp;
		if (ix >= 0) {
			o->mem.index = or_gpr((unsigned)ix, 8);
			o->mem.scale = (ZyanU8)scale;
			if (ix == b) {
				/* v*(1+scale) + disp + segbase == t */
				uint64_t want = t - segbase - (uint64_t)disp;
				uint64_t v = want / (1 + scale);
				c->st.gpr[b] = v;
				c->memaddr = v * (1 + scale) + (uint64_t)disp + segbase;
				if (c->memaddr < x->bufaddr + 64 || c->memaddr > x->bufaddr + BUFSZ - 128)
					return -1;
				return or_encode(c);
			}
			c->st.gpr[ix] = (uint64_t)(int64_t)((int64_t)or_range(x, 64) - 32);
		}
		c->st.gpr[b] = t - segbase - (uint64_t)disp -
			       (ix >= 0 ? c->st.gpr[ix] * scale : 0);
	}
	return or_encode(c);
}

/* ---- emulation side ---- */

struct emu_env {
	struct or_ctx *x;
	uint8_t *ebuf;
	struct mt_xstate *vs; /* vector/mask registers of the emulated side */
	int fault;
	char why[160];
	unsigned naccess;
	unsigned yield_at;    /* access number answered MT_MEM_YIELD (0: none) */
};

/* A successful access: MT_MEM_YIELD on the chosen one (ends a REP chunk). */
static int em_done(struct emu_env *e)
{
	return e->naccess == e->yield_at ? MT_MEM_YIELD : 0;
}

static int em_read(void *op, uint64_t addr, void *buf, unsigned size, unsigned flags)
{
	struct emu_env *e = op;
	(void)flags;
	e->naccess++;
	if (addr < e->x->bufaddr || addr + size > e->x->bufaddr + e->x->bufsize || addr + size < addr) {
		snprintf(e->why, sizeof(e->why), "read of %u bytes at %#llx outside the buffer",
			 size, (unsigned long long)addr);
		e->fault = 1;
		return -EFAULT;
	}
	memcpy(buf, e->ebuf + (addr - e->x->bufaddr), size);
	return em_done(e);
}

static int em_write(void *op, uint64_t addr, const void *buf, unsigned size, unsigned flags)
{
	struct emu_env *e = op;
	(void)flags;
	e->naccess++;
	if (addr < e->x->bufaddr || addr + size > e->x->bufaddr + e->x->bufsize || addr + size < addr) {
		snprintf(e->why, sizeof(e->why), "write of %u bytes at %#llx outside the buffer",
			 size, (unsigned long long)addr);
		e->fault = 1;
		return -EFAULT;
	}
	memcpy(e->ebuf + (addr - e->x->bufaddr), buf, size);
	return em_done(e);
}

static int em_vget(void *op, unsigned idx, void *buf, unsigned size)
{
	struct emu_env *e = op;
	if (idx >= 32 || size > 64)
		return -EINVAL;
	memset(buf, 0, size);
	if (idx < e->x->vregs)
		memcpy(buf, e->vs->zmm[idx], size < e->x->vbytes ? size : e->x->vbytes);
	return 0;
}

static int em_vset(void *op, unsigned idx, const void *buf, unsigned size)
{
	struct emu_env *e = op;
	if (idx >= 32 || size > 64)
		return -EINVAL;
	if (idx < e->x->vregs)
		memcpy(e->vs->zmm[idx], buf, size < e->x->vbytes ? size : e->x->vbytes);
	return 0;
}

static int em_kget(void *op, unsigned idx, uint64_t *v)
{
	struct emu_env *e = op;
	if (idx >= 8)
		return -EINVAL;
	*v = e->x->kregs ? e->vs->k[idx] : 0;
	return 0;
}

static int em_kset(void *op, unsigned idx, uint64_t v)
{
	struct emu_env *e = op;
	if (idx >= 8)
		return -EINVAL;
	if (e->x->kregs)
		e->vs->k[idx] = v;
	return 0;
}

static int em_displaced(void *op, struct mt_cpu *cpu, const struct mt_displaced *d)
{
	struct emu_env *e = op;
	int rc;
	memcpy(e->vs->gpr, cpu->gpr, sizeof(cpu->gpr));
	e->vs->rflags = cpu->rflags;
	rc = mt_xrun_displaced(d->code, d->len, d->scratch_reg, d->scratch, e->vs);
	if (rc)
		return rc;
	mt_xrun_x87_fixup(e->vs, cpu->rip, d->scratch, d->fdp, d->fop);
	memcpy(cpu->gpr, e->vs->gpr, sizeof(cpu->gpr));
	cpu->rflags = (cpu->rflags & ~MT_XRUN_FLAGS_MASK) | (e->vs->rflags & MT_XRUN_FLAGS_MASK);
	return 0;
}

static const struct mt_emu_ops em_ops = {
	.mem_read = em_read, .mem_write = em_write,
	.vec_get = em_vget, .vec_set = em_vset,
	.kmask_get = em_kget, .kmask_set = em_kset,
	.exec_displaced = em_displaced,
	/* REP strings in chunks of 3 (the generators run up to 13
	 * iterations): each case is re-executed as the CPU re-executes an
	 * interrupted REP, until RIP moves (see run_case). */
	.rep_max = 3,
};

/* ---- native side, guarded ---- */

static sigjmp_buf native_jmp;
static volatile sig_atomic_t native_armed;
static volatile int native_sig;

static void on_fault(int sig)
{
	if (native_armed) {
		native_sig = sig;
		native_armed = 0;
		siglongjmp(native_jmp, 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static int run_native(const struct or_case *c, struct mt_xstate *st)
{
	if (sigsetjmp(native_jmp, 1)) {
		unsigned m = 0x1f80;
		__asm__ volatile("ldmxcsr %0" ::"m"(m));
		__asm__ volatile("cld; fninit; emms");
		return -native_sig;
	}
	native_armed = 1;
	int rc = mt_xrun(c->code, c->len, st);
	native_armed = 0;
	return rc;
}

/* ---- one case ---- */

struct form_stats {
	unsigned long cases, mismatches, genfail, printed, de;
};

static unsigned max_print = 3;
static int verbose;

static void disasm(const uint8_t *code, unsigned len, uint64_t rip, char *out, size_t n)
{
	ZydisDisassembledInstruction di;
	if (ZYAN_SUCCESS(ZydisDisassembleIntel(ZYDIS_MACHINE_MODE_LONG_64, rip, code, len, &di)))
		snprintf(out, n, "%s", di.text);
	else
		snprintf(out, n, "(undecodable)");
}

static void report(const struct or_form *f, struct form_stats *s, const struct or_case *c,
		   struct or_ctx *x, const char *what)
{
	char text[128], hex[64];
	unsigned i, p = 0;

	s->mismatches++;
	if (s->printed++ >= max_print)
		return;
	disasm(c->code, c->len, x->code_addr, text, sizeof(text));
	for (i = 0; i < c->len && p + 3 < sizeof(hex); i++)
		p += (unsigned)snprintf(hex + p, sizeof(hex) - p, "%02x", c->code[i]);
	printf("MISMATCH %s: %s  [%s]  %s\n", f->name, text, hex, what);
	printf("    in:");
	for (i = 0; i < 16; i++)
		if (i != 4)
			printf(" r%u=%llx", i, (unsigned long long)c->st.gpr[i]);
	printf(" fl=%llx\n", (unsigned long long)c->st.rflags);
}

static uint8_t *ebuf;
static struct mt_xstate nst, est, ist;

/* An 80-bit value of a random class: normal near 1.0 or anywhere, zero,
 * denormal, infinity, NaN, unnormal/garbage, integer-valued. */
static void random_f80(struct or_ctx *x, uint8_t *p)
{
	uint64_t m = or_rand(x);
	uint16_t se = (uint16_t)(or_rand(x) & 0x8000);

	switch (or_range(x, 10)) {
	case 0: m = 0; break;                                        /* zero */
	case 1: m >>= 1 + or_range(x, 62); break;                    /* denormal */
	case 2: m = 1ull << 63; se |= 0x7fff; break;                 /* infinity */
	case 3: m |= 1ull << 63; se |= 0x7fff; break;                /* NaN */
	case 4: se |= (uint16_t)(or_rand(x) & 0x7fff); break;        /* anything */
	case 5: /* a small integer: exactly representable */
		m = (or_value(x) & 0xffff) | 1;
		se |= (uint16_t)(0x3fff + 63);
		while (!(m >> 63)) {
			m <<= 1;
			se--;
		}
		break;
	case 6: m |= 1ull << 63; se |= (uint16_t)(0x3fff + 20 + or_range(x, 60)); break;
	default: m |= 1ull << 63; se |= (uint16_t)(0x3fff - 8 + or_range(x, 16)); break;
	}
	memcpy(p, &m, 8);
	memcpy(p + 8, &se, 2);
}

static void random_x87(struct or_ctx *x, struct mt_xstate *st)
{
	struct mt_x87 *f = &st->x87;

	memset(f, 0, sizeof(*f));
	st->xflags = MT_XSTATE_X87;
	/* rounding and precision control random, exceptions masked (the
	 * runner refuses unmasked ones: tests/unit/core_xrun.c) */
	f->fcw = (uint16_t)(0x0040 | 0x3f | (or_rand(x) & 0x0f00));
	/* TOP and C0-C3 random; no exception pending */
	f->fsw = (uint16_t)(or_rand(x) & 0x7f00);
	f->ftw = (uint8_t)(or_range(x, 4) == 0 ? 0xff : or_range(x, 4) == 0 ? 0 : or_rand(x));
	f->fop = (uint16_t)(or_rand(x) & 0x7ff);
	f->fip = or_rand(x);
	f->fdp = or_rand(x);
	for (unsigned i = 0; i < 8; i++)
		random_f80(x, f->st[i]);
}

static void random_state(struct or_ctx *x, struct or_case *c)
{
	unsigned i;
	for (i = 0; i < 16; i++)
		c->st.gpr[i] = or_value(x);
	c->st.gpr[4] = 0;
	c->st.rflags = (or_rand(x) & MT_XRUN_FLAGS_MASK) | 0x202;
	c->st.mxcsr = 0x1f80 | (uint32_t)(or_range(x, 4) << 13);
	for (i = 0; i < 8; i++)
		c->st.k[i] = or_rand(x);
	for (i = 0; i < 32; i++)
		for (unsigned j = 0; j < 64; j += 8) {
			uint64_t v = or_rand(x);
			memcpy(&c->st.zmm[i][j], &v, 8);
		}
	random_x87(x, &c->st);
	if (x->kregs == 0)
		memset(c->st.k, 0, sizeof(c->st.k));
	for (i = x->vregs; i < 32; i++)
		memset(c->st.zmm[i], 0, 64);
	if (x->vbytes < 64)
		for (i = 0; i < 32; i++)
			memset(&c->st.zmm[i][x->vbytes], 0, 64 - x->vbytes);
	for (i = 0; i < x->bufsize; i += 8) {
		uint64_t v = or_rand(x);
		memcpy(x->buf + i, &v, 8);
	}
}

/* AuthenticAMD or HygonGenuine (see OF_ENV). */
static bool cpu_is_amd(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(0, &a, &b, &c, &d))
		return false;
	return (b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163) || /* AuthenticAMD */
	       (b == 0x6f677948 && d == 0x6e65476e && c == 0x656e6975);   /* HygonGenuine */
}

static void run_case(struct or_ctx *x, const struct or_form *f, struct form_stats *s)
{
	static struct or_case c;
	static struct mt_decoded d;
	struct emu_env env;
	struct mt_cpu cpu;
	char what[256];
	int rc, tries;
	unsigned i;

	for (tries = 0; tries < 50; tries++) {
		memset(&c, 0, sizeof(c));
		random_state(x, &c);
		rc = (f->gen ? f->gen : or_gen_generic)(x, f, &c);
		if (rc == 0 && f->fix)
			f->fix(x, f, &c);
		if (rc == 0)
			break;
	}
	if (rc) {
		s->genfail++;
		return;
	}
	s->cases++;
	ist = c.st;
	memcpy(ebuf, x->buf, x->bufsize);

	/* emulated */
	memset(&env, 0, sizeof(env));
	env.x = x;
	env.ebuf = ebuf;
	est = c.st;
	env.vs = &est;
	memset(&cpu, 0, sizeof(cpu));
	memcpy(cpu.gpr, c.st.gpr, sizeof(cpu.gpr));
	cpu.rip = x->code_addr;
	cpu.rflags = c.st.rflags;
	cpu.fs_base = x->fs_base;
	cpu.gs_base = x->gs_base;
	rc = mt_decode(&d, c.code, c.len, x->code_addr);
	if (rc == 0 && !mt_emu_supported(&d, &em_ops))
		rc = MT_EMU_UNSUPPORTED;
	env.yield_at = or_range(x, 4) ? 0 : 1 + (unsigned)or_range(x, 8);
	if (rc == 0)
		rc = mt_emulate(&d, &cpu, &em_ops, &env);
	/* A REP string stopped between iterations (rep_max, MT_MEM_YIELD):
	 * run it again from the state it left, as the CPU does. */
	for (i = 0; rc == 0 && mt_emu_rep_pending(&d, &cpu) && i < 64; i++)
		rc = mt_emulate(&d, &cpu, &em_ops, &env);

	/* native */
	nst = c.st;
	int nrc = run_native(&c, &nst);

	if (nrc == -SIGFPE && rc == MT_EMU_DIVIDE_ERROR) {
		/* #DE on both sides: the emulated context must be untouched */
		if (memcmp(cpu.gpr, ist.gpr, sizeof(cpu.gpr)) || cpu.rflags != ist.rflags ||
		    cpu.rip != x->code_addr || memcmp(x->buf, ebuf, x->bufsize)) {
			snprintf(what, sizeof(what), "divide error: emulated state changed");
			report(f, s, &c, x, what);
		}
		s->de++;
		return;
	}
	if (nrc) {
		snprintf(what, sizeof(what), "native run failed (%d): generator error", nrc);
		report(f, s, &c, x, what);
		return;
	}
	if (rc) {
		snprintf(what, sizeof(what), "emulation returned %s%s%s", mt_emu_strerror(rc),
			 env.fault ? ": " : "", env.fault ? env.why : "");
		report(f, s, &c, x, what);
		return;
	}
	for (i = 0; i < 16; i++) {
		if ((i == 4 && !(c.st.xflags & MT_XSTATE_RSP)) || cpu.gpr[i] == nst.gpr[i])
			continue;
		snprintf(what, sizeof(what), "gpr %u: native %#llx emulated %#llx (was %#llx)", i,
			 (unsigned long long)nst.gpr[i], (unsigned long long)cpu.gpr[i],
			 (unsigned long long)ist.gpr[i]);
		report(f, s, &c, x, what);
		return;
	}
	if ((cpu.rflags ^ nst.rflags) & MT_XRUN_FLAGS_MASK) {
		snprintf(what, sizeof(what), "rflags: native %#llx emulated %#llx (was %#llx)",
			 (unsigned long long)(nst.rflags & MT_XRUN_FLAGS_MASK),
			 (unsigned long long)(cpu.rflags & MT_XRUN_FLAGS_MASK),
			 (unsigned long long)(ist.rflags & MT_XRUN_FLAGS_MASK));
		report(f, s, &c, x, what);
		return;
	}
	if (cpu.rip != x->code_addr + c.len) {
		snprintf(what, sizeof(what), "rip: expected +%u, emulated +%lld", c.len,
			 (long long)(cpu.rip - x->code_addr));
		report(f, s, &c, x, what);
		return;
	}
	if (nst.mxcsr != est.mxcsr) {
		snprintf(what, sizeof(what), "mxcsr: native %#x emulated %#x", nst.mxcsr, est.mxcsr);
		report(f, s, &c, x, what);
		return;
	}
	{
		const struct mt_x87 *a = &nst.x87, *b = &est.x87;
		const char *fld = NULL;
		uint64_t nv = 0, ev = 0;
		if (a->fcw != b->fcw) fld = "fcw", nv = a->fcw, ev = b->fcw;
		else if (a->fsw != b->fsw) fld = "fsw", nv = a->fsw, ev = b->fsw;
		else if (a->ftw != b->ftw) fld = "ftw", nv = a->ftw, ev = b->ftw;
		else if (a->fop != b->fop) fld = "fop", nv = a->fop, ev = b->fop;
		else if (a->fip != b->fip) fld = "fip", nv = a->fip, ev = b->fip;
		else if (a->fdp != b->fdp) fld = "fdp", nv = a->fdp, ev = b->fdp;
		if (fld) {
			snprintf(what, sizeof(what), "x87 %s: native %#llx emulated %#llx", fld,
				 (unsigned long long)nv, (unsigned long long)ev);
			report(f, s, &c, x, what);
			return;
		}
		for (i = 0; i < 8; i++)
			if (memcmp(a->st[i], b->st[i], 10)) {
				snprintf(what, sizeof(what), "x87 st%u: native %04x:%016llx emulated %04x:%016llx",
					 i, *(const uint16_t *)(a->st[i] + 8),
					 (unsigned long long)*(const uint64_t *)a->st[i],
					 *(const uint16_t *)(b->st[i] + 8),
					 (unsigned long long)*(const uint64_t *)b->st[i]);
				report(f, s, &c, x, what);
				return;
			}
	}
	for (i = 0; i < x->kregs; i++)
		if (nst.k[i] != est.k[i]) {
			snprintf(what, sizeof(what), "k%u: native %#llx emulated %#llx", i,
				 (unsigned long long)nst.k[i], (unsigned long long)est.k[i]);
			report(f, s, &c, x, what);
			return;
		}
	for (i = 0; i < x->vregs; i++)
		if (memcmp(nst.zmm[i], est.zmm[i], x->vbytes)) {
			unsigned j = 0;
			while (nst.zmm[i][j] == est.zmm[i][j])
				j++;
			snprintf(what, sizeof(what), "vector reg %u byte %u: native %02x emulated %02x",
				 i, j, nst.zmm[i][j], est.zmm[i][j]);
			report(f, s, &c, x, what);
			return;
		}
	if ((f->flags & OF_ENV) && cpu_is_amd() && c.memaddr >= x->bufaddr &&
	    c.memaddr + 24 <= x->bufaddr + x->bufsize)
		memcpy(ebuf + (c.memaddr - x->bufaddr) + 12, x->buf + (c.memaddr - x->bufaddr) + 12, 12);
	if (memcmp(x->buf, ebuf, x->bufsize)) {
		size_t j = 0;
		while (x->buf[j] == ebuf[j])
			j++;
		snprintf(what, sizeof(what), "memory at %#llx: native %02x emulated %02x",
			 (unsigned long long)(x->bufaddr + j), x->buf[j], ebuf[j]);
		report(f, s, &c, x, what);
		return;
	}
}

/* ---- the runner's refusals and x87 round trip ---- */

/* States in which an FP exception could be raised inside the stub are
 * refused (-EDOM, nothing run); a carried x87 state reaches the
 * instruction (fild) and comes back. Returns the number of failures. */
static int xrun_selftest(struct or_ctx *x)
{
	static struct mt_xstate st;
	static const uint8_t fild[] = { 0xdb, 0x00 };     /* fild dword [rax] */
	static const uint8_t nop[] = { 0x90 };
	int32_t v = -12345;
	int bad = 0, rc;

	memset(&st, 0, sizeof(st));
	st.mxcsr = 0x1f80 & ~0x0200u; /* divide-by-zero unmasked */
	rc = mt_xrun(nop, 1, &st);
	bad += rc != -EDOM;
	st.mxcsr = 0x1f80;
	st.xflags = MT_XSTATE_X87;
	st.x87.fcw = 0x37e; /* invalid operation unmasked */
	rc = mt_xrun(nop, 1, &st);
	bad += rc != -EDOM;
	st.x87.fcw = 0x37f;
	st.x87.fsw = 0x80; /* exception pending */
	rc = mt_xrun(nop, 1, &st);
	bad += rc != -EDOM;
	st.x87.fsw = 0x3800; /* TOP 7, nothing pending; all empty */
	memcpy(x->buf, &v, 4);
	st.gpr[0] = x->bufaddr;
	rc = mt_xrun(fild, sizeof(fild), &st);
	/* loaded into ST0 = physical 6: TOP 6, tag of register 6 valid,
	 * value -12345 = -0x3039 = -1.1000000111001b * 2^13 */
	bad += rc != 0 || ((st.x87.fsw >> 11) & 7) != 6 || st.x87.ftw != 0x40 ||
	       *(uint64_t *)st.x87.st[0] != 0xc0e4000000000000ull ||
	       *(uint16_t *)(st.x87.st[0] + 8) != 0xc00c;
	if (bad)
		printf("FAIL xrun self-test: %d check(s) (refusals of unmasked FP exceptions, x87 round trip)\n", bad);
	else
		printf("xrun self-test: FP-exception refusals and x87 round trip ok\n");
	return bad;
}

/* ---- main ---- */

struct fam_row {
	const char *name;
	unsigned forms, skipped;
	unsigned long cases, mismatches;
};

static void usage(void)
{
	fprintf(stderr, "usage: oracle [-n cases] [-s seed] [-f name-substring] [-p max-printed] [-v] [-l]\n");
}

int main(int argc, char **argv)
{
	unsigned long ncases = 1000, seed = 0x6d6d696f;
	const char *filter = NULL;
	int list = 0, opt;
	struct or_ctx x;
	struct fam_row rows[64];
	unsigned nrows = 0, i;
	unsigned long total_cases = 0, total_mis = 0, total_genfail = 0;
	unsigned total_forms = 0, total_skipped = 0;
	uint8_t *area;

	while ((opt = getopt(argc, argv, "n:s:f:p:vl")) != -1) {
		switch (opt) {
		case 'n': ncases = strtoul(optarg, NULL, 0); break;
		case 's': seed = strtoul(optarg, NULL, 0); break;
		case 'f': filter = optarg; break;
		case 'p': max_print = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'v': verbose = 1; break;
		case 'l': list = 1; break;
		default: usage(); return 2;
		}
	}
	if (list) {
		for (i = 0; i < nforms; i++)
			printf("%s\n", forms[i]->name);
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&x, 0, sizeof(x));
	x.rng = seed * 0x9e3779b97f4a7c15ull + 1;
	if (mt_xrun_thread_init()) {
		printf("cannot create the native runner's stub\n");
		return 1;
	}
	x.code_addr = mt_xrun_code_address();
	mt_xrun_vec_shape(&x.vregs, &x.vbytes, &x.kregs);
	/* buffer with a guard page on each side, in the low 2 GiB */
	area = mmap(NULL, BUFSZ + 2 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (area == MAP_FAILED || mprotect(area + 4096, BUFSZ, PROT_READ | PROT_WRITE)) {
		printf("cannot map the data buffer in the low 2 GiB: %s\n", strerror(errno));
		return 1;
	}
	x.buf = area + 4096;
	x.bufsize = BUFSZ;
	x.bufaddr = (uint64_t)(uintptr_t)x.buf;
	ebuf = aligned_alloc(64, BUFSZ);
	if (syscall(SYS_arch_prctl, ARCH_GET_FS, &x.fs_base))
		x.fs_base = 0;
	x.gs_base = x.bufaddr + 0x40;
	if (syscall(SYS_arch_prctl, ARCH_SET_GS, x.gs_base)) {
		printf("cannot set the GS base: %s\n", strerror(errno));
		return 1;
	}
	signal(SIGSEGV, on_fault);
	signal(SIGBUS, on_fault);
	signal(SIGILL, on_fault);
	signal(SIGFPE, on_fault);
	if (xrun_selftest(&x))
		return 1;
	printf("oracle: %zu forms registered, %lu cases per form, seed %#lx, vector shape %ux%u bytes, %u k regs\n",
	       nforms, ncases, seed, x.vregs, x.vbytes, x.kregs);

	for (i = 0; i < nforms; i++) {
		const struct or_form *f = forms[i];
		struct form_stats s = { 0, 0, 0, 0, 0 };
		const char *fam = f->family;
		unsigned r;
		int skipped = 0;

		if (filter && !strstr(f->name, filter))
			continue;
		if (f->cpu_has && !f->cpu_has()) {
			printf("SKIP %s: this CPU lacks %s (emulation checked by a unit test instead)\n",
			       f->name, f->needs ? f->needs : "a feature");
			skipped = 1;
		} else {
			for (unsigned long k = 0; k < ncases; k++)
				run_case(&x, f, &s);
		}
		if (!fam) {
			static struct mt_decoded d;
			static struct or_case c;
			memset(&c, 0, sizeof(c));
			fam = "?";
			if (!skipped && !(f->gen ? f->gen : or_gen_generic)(&x, f, &c) &&
			    !mt_decode(&d, c.code, c.len, x.code_addr))
				fam = mt_family_name((enum mt_family)d.family);
		}
		for (r = 0; r < nrows; r++)
			if (!strcmp(rows[r].name, fam))
				break;
		if (r == nrows && nrows < 64)
			rows[nrows++] = (struct fam_row){ fam, 0, 0, 0, 0 };
		if (r < 64) {
			rows[r].forms++;
			rows[r].skipped += (unsigned)skipped;
			rows[r].cases += s.cases;
			rows[r].mismatches += s.mismatches;
		}
		total_forms++;
		total_skipped += (unsigned)skipped;
		total_cases += s.cases;
		total_mis += s.mismatches;
		if (s.genfail)
			printf("NOTE %s: %lu cases could not be generated\n", f->name, s.genfail);
		if (s.de)
			printf("NOTE %s: %lu cases raised #DE natively and returned divide-error emulated\n",
			       f->name, s.de);
		if (!skipped && s.cases < ncases / 2) {
			printf("FAIL %s: only %lu of %lu cases generated\n", f->name, s.cases, ncases);
			total_genfail++;
		}
		if (verbose || s.mismatches)
			printf("%-4s %-28s %6lu cases %6lu mismatches\n", s.mismatches ? "BAD" : "ok",
			       f->name, s.cases, s.mismatches);
	}
	printf("\n%-10s %6s %8s %10s %11s\n", "family", "forms", "skipped", "cases", "mismatches");
	for (i = 0; i < nrows; i++)
		printf("%-10s %6u %8u %10lu %11lu\n", rows[i].name, rows[i].forms, rows[i].skipped,
		       rows[i].cases, rows[i].mismatches);
	printf("%-10s %6u %8u %10lu %11lu\n", "total", total_forms, total_skipped, total_cases, total_mis);
	return (total_mis || total_genfail) ? 1 : 0;
}
