/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* int_forms.c - integer instruction forms for the oracle. */
#include "oracle.h"

#include <stdbool.h>
#include <string.h>

#define R { OK_R, 0 }
#define M { OK_M, 0 }
#define I { OK_I, 0 }
#define I8 { OK_I8, 0 }
#define CL { OK_CL, 0 }
#define ONE { OK_ONE, 0 }

#define F2(nm, fam, mn, a, b, w, fl) { nm, fam, ZYDIS_MNEMONIC_##mn, 2, { a, b }, w, fl, 0, NULL, NULL, NULL, NULL, 0 }

#define ALU(mn, lc)                                                            \
	F2(lc " m,r", "alu", mn, M, R, WINT, 0),                                \
	F2(lc " r,m", "alu", mn, R, M, WINT, 0),                                \
	F2(lc " m,i", "alu", mn, M, I, WINT, 0)
#define ALU_L(mn, lc)                                                          \
	ALU(mn, lc),                                                           \
	F2("lock " lc " m,r", "alu", mn, M, R, WINT, OF_LOCK),                  \
	F2("lock " lc " m,i", "alu", mn, M, I, WINT, OF_LOCK)

static const struct or_form alu_forms[] = {
	ALU_L(ADD, "add"), ALU_L(OR, "or"), ALU_L(ADC, "adc"), ALU_L(SBB, "sbb"),
	ALU_L(AND, "and"), ALU_L(SUB, "sub"), ALU_L(XOR, "xor"),
	ALU(CMP, "cmp"),
	F2("test m,r", "alu", TEST, M, R, WINT, 0),
	F2("test m,i", "alu", TEST, M, I, WINT, 0),
};
ORACLE_FORMS(alu_forms)

static const struct or_form mov_forms[] = {
	F2("mov m,r", "mov", MOV, M, R, WINT, 0),
	F2("mov r,m", "mov", MOV, R, M, WINT, 0),
	F2("mov m,i", "mov", MOV, M, I, WINT, 0),
};
ORACLE_FORMS(mov_forms)

/* ---- unary, shifts, bits ---- */

#define F1(nm, fam, mn, a, w, fl) { nm, fam, ZYDIS_MNEMONIC_##mn, 1, { a }, w, fl, 0, NULL, NULL, NULL, NULL, 0 }
#define F3(nm, fam, mn, a, b, c, w, fl) { nm, fam, ZYDIS_MNEMONIC_##mn, 3, { a, b, c }, w, fl, 0, NULL, NULL, NULL, NULL, 0 }

#define UN(mn, lc) F1(lc " m", "alu", mn, M, WINT, 0), F1("lock " lc " m", "alu", mn, M, WINT, OF_LOCK)
static const struct or_form unary_forms[] = {
	UN(NOT, "not"), UN(NEG, "neg"), UN(INC, "inc"), UN(DEC, "dec"),
};
ORACLE_FORMS(unary_forms)

#define SH(mn, lc)                                                   \
	F2(lc " m,1", "shift", mn, M, ONE, WINT, 0),                  \
	F2(lc " m,cl", "shift", mn, M, CL, WINT, 0),                  \
	F2(lc " m,i8", "shift", mn, M, I8, WINT, 0)
static const struct or_form shift_forms[] = {
	SH(SHL, "shl"), SH(SHR, "shr"), SH(SAR, "sar"), SH(ROL, "rol"),
	SH(ROR, "ror"), SH(RCL, "rcl"), SH(RCR, "rcr"),
	F3("shld m,r,i8", "shift", SHLD, M, R, I8, W2 | W4 | W8, 0),
	F3("shld m,r,cl", "shift", SHLD, M, R, CL, W2 | W4 | W8, 0),
	F3("shrd m,r,i8", "shift", SHRD, M, R, I8, W2 | W4 | W8, 0),
	F3("shrd m,r,cl", "shift", SHRD, M, R, CL, W2 | W4 | W8, 0),
};
ORACLE_FORMS(shift_forms)

/* BT* with a register offset: the offset addresses beyond the operand, so
 * keep it within +-2000 bits; the high bits above the width are garbage. */
static void bt_fix(struct or_ctx *x, const struct or_form *f, struct or_case *c)
{
	int g = c->regop_gpr[1];
	int64_t off = (int64_t)or_range(x, 4001) - 2000;
	unsigned bits = c->width * 8;
	(void)f;
	if (g < 0)
		return;
	if (bits == 64)
		c->st.gpr[g] = (uint64_t)off;
	else
		c->st.gpr[g] = (or_rand(x) << bits) | ((uint64_t)off & ((1ull << bits) - 1));
}
#define BTR_(nm, mn, fl) { nm, "bit", ZYDIS_MNEMONIC_##mn, 2, { M, R }, W2 | W4 | W8, OF_DISTINCT | (fl), 0, NULL, bt_fix, NULL, NULL, 0 }
static const struct or_form bit_forms[] = {
	BTR_("bt m,r", BT, 0), BTR_("bts m,r", BTS, 0), BTR_("btr m,r", BTR, 0), BTR_("btc m,r", BTC, 0),
	BTR_("lock bts m,r", BTS, OF_LOCK), BTR_("lock btr m,r", BTR, OF_LOCK),
	BTR_("lock btc m,r", BTC, OF_LOCK),
	F2("bt m,i8", "bit", BT, M, I8, W2 | W4 | W8, 0),
	F2("bts m,i8", "bit", BTS, M, I8, W2 | W4 | W8, 0),
	F2("btr m,i8", "bit", BTR, M, I8, W2 | W4 | W8, 0),
	F2("btc m,i8", "bit", BTC, M, I8, W2 | W4 | W8, 0),
	F2("lock bts m,i8", "bit", BTS, M, I8, W2 | W4 | W8, OF_LOCK),
	F2("lock btr m,i8", "bit", BTR, M, I8, W2 | W4 | W8, OF_LOCK),
	F2("lock btc m,i8", "bit", BTC, M, I8, W2 | W4 | W8, OF_LOCK),
};
ORACLE_FORMS(bit_forms)

/* ---- atomics ---- */

static uint64_t memval(struct or_ctx *x, uint64_t addr, unsigned n)
{
	uint64_t v = 0;
	memcpy(&v, x->buf + (addr - x->bufaddr), n > 8 ? 8 : n);
	return v;
}

/* Half of the cases: the accumulator equals memory (success path). */
static void cmpxchg_fix(struct or_ctx *x, const struct or_form *f, struct or_case *c)
{
	uint64_t m;
	(void)f;
	if (or_range(x, 2))
		return;
	m = memval(x, c->memaddr, c->width);
	if (c->width == 8)
		c->st.gpr[0] = m;
	else
		c->st.gpr[0] = (c->st.gpr[0] & ~((1ull << (8 * c->width)) - 1)) | m;
}

static void cmpxchgnb_fix(struct or_ctx *x, const struct or_form *f, struct or_case *c)
{
	(void)f;
	if (or_range(x, 2))
		return;
	if (c->width == 8) {
		uint64_t m = memval(x, c->memaddr, 8);
		c->st.gpr[0] = (c->st.gpr[0] & ~0xffffffffull) | (m & 0xffffffffull);
		c->st.gpr[2] = (c->st.gpr[2] & ~0xffffffffull) | (m >> 32);
	} else {
		c->st.gpr[0] = memval(x, c->memaddr, 8);
		c->st.gpr[2] = memval(x, c->memaddr + 8, 8);
	}
}

#define AT(nm, mn, a, b, fl, av, fix) { nm, "atomic", ZYDIS_MNEMONIC_##mn, 2, { a, b }, WINT, fl, av, NULL, fix, NULL, NULL, 0 }
static const struct or_form atomic_forms[] = {
	AT("xchg m,r", XCHG, M, R, 0, 0, NULL),
	AT("lock xchg m,r", XCHG, M, R, OF_LOCK, 0, NULL),
	AT("xadd m,r", XADD, M, R, 0, 0, NULL),
	AT("lock xadd m,r", XADD, M, R, OF_LOCK, 0, NULL),
	AT("cmpxchg m,r", CMPXCHG, M, R, 0, 1, cmpxchg_fix),
	AT("lock cmpxchg m,r", CMPXCHG, M, R, OF_LOCK, 1, cmpxchg_fix),
	{ "cmpxchg8b m", "atomic", ZYDIS_MNEMONIC_CMPXCHG8B, 1, { M }, W8, 0, 0xf, NULL, cmpxchgnb_fix, NULL, NULL, 0 },
	{ "lock cmpxchg8b m", "atomic", ZYDIS_MNEMONIC_CMPXCHG8B, 1, { M }, W8, OF_LOCK, 0xf, NULL, cmpxchgnb_fix, NULL, NULL, 0 },
	{ "cmpxchg16b m", "atomic", ZYDIS_MNEMONIC_CMPXCHG16B, 1, { M }, W16, OF_ALIGN16, 0xf, NULL, cmpxchgnb_fix, NULL, NULL, 0 },
	{ "lock cmpxchg16b m", "atomic", ZYDIS_MNEMONIC_CMPXCHG16B, 1, { M }, W16, OF_LOCK | OF_ALIGN16, 0xf, NULL, cmpxchgnb_fix, NULL, NULL, 0 },
};
ORACLE_FORMS(atomic_forms)

/* ---- SETcc, CMOVcc ---- */

#define CC(X) X(O, "o") X(NO, "no") X(B, "b") X(NB, "nb") X(Z, "z") X(NZ, "nz") \
	X(BE, "be") X(NBE, "nbe") X(S, "s") X(NS, "ns") X(P, "p") X(NP, "np")   \
	X(L, "l") X(NL, "nl") X(LE, "le") X(NLE, "nle")
#define SETF(c, lc) F1("set" lc " m", "cond", SET##c, M, W1, 0),
#define CMOVF(c, lc) F2("cmov" lc " r,m", "cond", CMOV##c, R, M, W2 | W4 | W8, 0),
static const struct or_form cond_forms[] = { CC(SETF) CC(CMOVF) };
ORACLE_FORMS(cond_forms)

/* ---- MOV family ---- */

static int has_movbe(void) { return or_cpuid_bit(1, 0, 2, 22); }
static int has_movdiri(void) { return or_cpuid_bit(7, 0, 2, 27); }
static int has_movdir64b(void) { return or_cpuid_bit(7, 0, 2, 28); }

static const struct or_form movx_forms[] = {
	{ "movzx r,m", "mov", ZYDIS_MNEMONIC_MOVZX, 2, { R, { OK_M, W1 | W2 } }, W2 | W4 | W8, 0, 0, NULL, NULL, NULL, NULL, 0 },
	{ "movsx r,m", "mov", ZYDIS_MNEMONIC_MOVSX, 2, { R, { OK_M, W1 | W2 } }, W2 | W4 | W8, 0, 0, NULL, NULL, NULL, NULL, 0 },
	{ "movsxd r64,m32", "mov", ZYDIS_MNEMONIC_MOVSXD, 2, { R, { OK_M, W4 } }, W8, 0, 0, NULL, NULL, NULL, NULL, 0 },
	{ "movbe r,m", "mov", ZYDIS_MNEMONIC_MOVBE, 2, { R, M }, W2 | W4 | W8, 0, 0, NULL, NULL, has_movbe, "MOVBE", 0 },
	{ "movbe m,r", "mov", ZYDIS_MNEMONIC_MOVBE, 2, { M, R }, W2 | W4 | W8, 0, 0, NULL, NULL, has_movbe, "MOVBE", 0 },
	{ "movnti m,r", "nt-store", ZYDIS_MNEMONIC_MOVNTI, 2, { M, R }, W4 | W8, 0, 0, NULL, NULL, NULL, NULL, 0 },
	{ "movdiri m,r", "nt-store", ZYDIS_MNEMONIC_MOVDIRI, 2, { M, R }, W4 | W8, 0, 0, NULL, NULL, has_movdiri, "MOVDIRI", 0 },
};
ORACLE_FORMS(movx_forms)

/* MOVDIR64B r, m512: destination address in a register (64-byte aligned). */
static int gen_movdir64b(struct or_ctx *x, const struct or_form *f, struct or_case *c)
{
	int rc;
	uint64_t dst = or_target(x, 256) & ~63ull;
	static const struct or_form g = { "g", NULL, ZYDIS_MNEMONIC_MOVDIR64B, 2, { R, M }, W8, OF_NOSEG | OF_DISTINCT, 0, NULL, NULL, NULL, NULL, 0 };
	(void)f;
	if ((rc = or_gen_generic(x, &g, c)))
		return rc;
	c->st.gpr[c->regop_gpr[0]] = dst;
	return 0;
}

/* MOV with a moffs operand (A0-A3): 64-bit absolute, or 32-bit with 0x67. */
static int gen_moffs(struct or_ctx *x, const struct or_form *f, struct or_case *c)
{
	unsigned w = 1u << or_range(x, 4), n = 0, seg = (unsigned)or_range(x, 5);
	uint64_t t = or_target(x, 512), a = t;
	bool a32 = or_range(x, 4) == 0;

	if (seg == 1) {
		c->code[n++] = 0x64;
		a = t - x->fs_base;
	} else if (seg == 2) {
		c->code[n++] = 0x65;
		a = t - x->gs_base;
	}
	if (a32) {
		if (seg)
			return -1; /* FS base is not in the low 4 GiB */
		c->code[n++] = 0x67;
	}
	if (w == 2)
		c->code[n++] = 0x66;
	if (w == 8)
		c->code[n++] = 0x48;
	c->code[n++] = (uint8_t)(f->arg + (w > 1));
	memcpy(c->code + n, &a, a32 ? 4 : 8);
	n += a32 ? 4 : 8;
	c->len = n;
	c->width = w;
	return 0;
}

static const struct or_form special_mov_forms[] = {
	{ "mov acc,moffs", "mov", 0, 0, { R }, 0, 0, 0, gen_moffs, NULL, NULL, NULL, 0xa0 },
	{ "mov moffs,acc", "mov", 0, 0, { R }, 0, 0, 0, gen_moffs, NULL, NULL, NULL, 0xa2 },
	{ "movdir64b r,m", "nt-store", 0, 0, { R }, 0, 0, 0, gen_movdir64b, NULL, has_movdir64b, "MOVDIR64B", 0 },
};
ORACLE_FORMS(special_mov_forms)

/* ---- string instructions ---- */

/* arg: opcode (even) | prefix << 8 (0 none, 0xf3 rep/repe, 0xf2 repne) */
static int gen_string(struct or_ctx *x, const struct or_form *f, struct or_case *c)
{
	unsigned op = f->arg & 0xff, pfx = (unsigned)(f->arg >> 8) & 0xff;
	unsigned w = 1u << or_range(x, 4), n = 0, seg = (unsigned)or_range(x, 6);
	bool a32 = or_range(x, 3) == 0, df = or_range(x, 2);
	bool uses_si = op == 0xa4 || op == 0xa6 || op == 0xac;
	uint64_t cnt = pfx ? or_range(x, 13) : or_rand(x);
	uint64_t si = or_target(x, 256), di = or_target(x, 256), sbase = 0;
	uint64_t hi = a32 ? (or_rand(x) << 32) : 0;

	if (uses_si && seg == 1 && !a32) {
		c->code[n++] = 0x64;
		sbase = x->fs_base;
	} else if (uses_si && seg == 2 && !a32) {
		c->code[n++] = 0x65;
		sbase = x->gs_base;
	}
	if (a32)
		c->code[n++] = 0x67;
	if (pfx)
		c->code[n++] = (uint8_t)pfx;
	if (w == 2)
		c->code[n++] = 0x66;
	if (w == 8)
		c->code[n++] = 0x48;
	c->code[n++] = (uint8_t)(op + (w > 1));
	c->len = n;
	c->width = w;
	c->st.rflags = (c->st.rflags & ~0x400ull) | (df ? 0x400 : 0);
	c->st.gpr[1] = pfx ? (a32 ? ((or_rand(x) << 32) | cnt) : cnt) : c->st.gpr[1];
	c->st.gpr[6] = hi | ((si - sbase) & (a32 ? 0xffffffffull : ~0ull));
	c->st.gpr[7] = (a32 ? (or_rand(x) << 32) : 0) | di;
	/* make the compared data equal for a random prefix of elements so
	 * REPE/REPNE run more than one iteration */
	if (op == 0xa6 || op == 0xae) {
		unsigned k = (unsigned)or_range(x, 14);
		for (unsigned e = 0; e < k; e++) {
			int64_t d = df ? -(int64_t)(e * w) : (int64_t)(e * w);
			uint8_t *dp = x->buf + (di + (uint64_t)d - x->bufaddr);
			if (op == 0xa6)
				memmove(dp, x->buf + (si + (uint64_t)d - x->bufaddr), w);
			else
				memcpy(dp, &c->st.gpr[0], w);
		}
		if (pfx == 0xf2 && or_range(x, 2)) /* REPNE: a match somewhere */
			memcpy(x->buf + (di - x->bufaddr), &c->st.gpr[0], w);
	}
	return 0;
}

#define STR(nm, opc, pfx) { nm, "string", 0, 0, { R }, 0, 0, 0, gen_string, NULL, NULL, NULL, (opc) | ((pfx) << 8) }
static const struct or_form string_forms[] = {
	STR("movs", 0xa4, 0), STR("rep movs", 0xa4, 0xf3),
	STR("stos", 0xaa, 0), STR("rep stos", 0xaa, 0xf3),
	STR("lods", 0xac, 0), STR("rep lods", 0xac, 0xf3),
	STR("cmps", 0xa6, 0), STR("repe cmps", 0xa6, 0xf3), STR("repne cmps", 0xa6, 0xf2),
	STR("scas", 0xae, 0), STR("repe scas", 0xae, 0xf3), STR("repne scas", 0xae, 0xf2),
};
ORACLE_FORMS(string_forms)
