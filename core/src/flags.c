/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * flags.c - arithmetic results and flags computed by the CPU itself.
 *
 * Each operation is executed natively on register copies, with the
 * context's arithmetic flags (CF PF AF ZF SF OF) loaded first and read back
 * after, so results and flags are bit-exact on this CPU, "undefined" flags
 * included. Only those six bits are merged into/out of the host RFLAGS:
 * IF, AC, DF, TF and the rest keep the host's values (this code runs in
 * the kernel too, where POPF at CPL0 would otherwise change IF). The asm
 * moves RSP below the red zone first (user space may keep data there).
 */
#include "flags.h"

#define FL_PRE                                                      \
	"lea -128(%%rsp),%%rsp\n\t"                                 \
	"pushfq\n\t"                                                \
	"andq $-0x8d6,(%%rsp)\n\t"                                  \
	"orq %[f],(%%rsp)\n\t"                                      \
	"popfq\n\t"
#define FL_POST                                                     \
	"\n\tpushfq\n\t"                                            \
	"popq %[f]\n\t"                                             \
	"lea 128(%%rsp),%%rsp"

/* x = x OP y */
#define NAT2(INS, T)                                                         \
	do {                                                                 \
		T x_ = (T)a, y_ = (T)b;                                      \
		__asm__ volatile(FL_PRE INS " %[y],%[x]" FL_POST             \
				 : [x] "+r"(x_), [f] "+r"(f)                 \
				 : [y] "r"(y_)                               \
				 : "cc", "memory");                          \
		r = x_;                                                      \
	} while (0)
/* x = OP x */
#define NAT1(INS, T)                                                         \
	do {                                                                 \
		T x_ = (T)a;                                                 \
		__asm__ volatile(FL_PRE INS " %[x]" FL_POST                  \
				 : [x] "+r"(x_), [f] "+r"(f)                 \
				 :                                           \
				 : "cc", "memory");                          \
		r = x_;                                                      \
	} while (0)
/* x = x OP cl */
#define NATC(INS, T)                                                         \
	do {                                                                 \
		T x_ = (T)a;                                                 \
		uint8_t c_ = (uint8_t)b;                                     \
		__asm__ volatile(FL_PRE INS " %%cl,%[x]" FL_POST             \
				 : [x] "+r"(x_), [f] "+r"(f)                 \
				 : "c"(c_)                                   \
				 : "cc", "memory");                          \
		r = x_;                                                      \
	} while (0)
/* x = SHxD x, y, cl */
#define NATD(INS, T)                                                         \
	do {                                                                 \
		T x_ = (T)a, y_ = (T)b;                                      \
		uint8_t c_ = (uint8_t)cnt;                                   \
		__asm__ volatile(FL_PRE INS " %%cl,%[y],%[x]" FL_POST        \
				 : [x] "+r"(x_), [f] "+r"(f)                 \
				 : [y] "r"(y_), "c"(c_)                      \
				 : "cc", "memory");                          \
		r = x_;                                                      \
	} while (0)

#define SIZES(M, INS)                                                        \
	switch (size) {                                                      \
	case 1: M(INS, uint8_t); break;                                      \
	case 2: M(INS, uint16_t); break;                                     \
	case 4: M(INS, uint32_t); break;                                     \
	default: M(INS, uint64_t); break;                                    \
	}
/* no 8-bit form (BT*, SHLD/SHRD) */
#define SIZES_NO8(M, INS)                                                    \
	switch (size) {                                                      \
	case 2: M(INS, uint16_t); break;                                     \
	case 4: M(INS, uint32_t); break;                                     \
	default: M(INS, uint64_t); break;                                    \
	}

uint64_t mt__native_op(enum mt__op op, unsigned size, uint64_t a, uint64_t b,
		       uint64_t cnt, uint64_t *rflags)
{
	uint64_t f = *rflags & MT_ARITH_FLAGS;
	uint64_t r = a;

	switch (op) {
	case MT_OP_ADD: SIZES(NAT2, "add"); break;
	case MT_OP_OR: SIZES(NAT2, "or"); break;
	case MT_OP_ADC: SIZES(NAT2, "adc"); break;
	case MT_OP_SBB: SIZES(NAT2, "sbb"); break;
	case MT_OP_AND: SIZES(NAT2, "and"); break;
	case MT_OP_SUB: SIZES(NAT2, "sub"); break;
	case MT_OP_XOR: SIZES(NAT2, "xor"); break;
	case MT_OP_CMP: SIZES(NAT2, "cmp"); r = a; break;
	case MT_OP_TEST: SIZES(NAT2, "test"); r = a; break;
	case MT_OP_NOT: SIZES(NAT1, "not"); break;
	case MT_OP_NEG: SIZES(NAT1, "neg"); break;
	case MT_OP_INC: SIZES(NAT1, "inc"); break;
	case MT_OP_DEC: SIZES(NAT1, "dec"); break;
	case MT_OP_SHL: SIZES(NATC, "shl"); break;
	case MT_OP_SHR: SIZES(NATC, "shr"); break;
	case MT_OP_SAR: SIZES(NATC, "sar"); break;
	case MT_OP_ROL: SIZES(NATC, "rol"); break;
	case MT_OP_ROR: SIZES(NATC, "ror"); break;
	case MT_OP_RCL: SIZES(NATC, "rcl"); break;
	case MT_OP_RCR: SIZES(NATC, "rcr"); break;
	case MT_OP_SHLD: SIZES_NO8(NATD, "shld"); break;
	case MT_OP_SHRD: SIZES_NO8(NATD, "shrd"); break;
	case MT_OP_BT: SIZES_NO8(NAT2, "bt"); r = a; break;
	case MT_OP_BTS: SIZES_NO8(NAT2, "bts"); break;
	case MT_OP_BTR: SIZES_NO8(NAT2, "btr"); break;
	case MT_OP_BTC: SIZES_NO8(NAT2, "btc"); break;
	}
	*rflags = (*rflags & ~MT_ARITH_FLAGS) | (f & MT_ARITH_FLAGS);
	return r & mt__mask(size);
}

/* ---- MUL IMUL DIV IDIV (one operand) ---------------------------------------- */

#define NATMD(INS, T)                                                        \
	do {                                                                 \
		T s_ = (T)src;                                               \
		__asm__ volatile(FL_PRE INS " %[s]" FL_POST                  \
				 : "+a"(a), "+d"(dx), [f] "+r"(f)            \
				 : [s] "r"(s_)                               \
				 : "cc", "memory");                          \
	} while (0)

/* Unsigned 128/64 division whose quotient is known to fit (hi < d). */
static uint64_t udiv128(uint64_t hi, uint64_t lo, uint64_t d)
{
	uint64_t q, r;
	__asm__("divq %[d]" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), [d] "r"(d) : "cc");
	(void)r;
	return q;
}

/* Would DIV/IDIV of (hi:lo, 2*size bytes) by d (size bytes) raise #DE? */
static bool div_faults(bool sgn, unsigned size, uint64_t hi, uint64_t lo, uint64_t d)
{
	unsigned bits = size * 8;
	uint64_t m = mt__mask(size);
	bool nneg, dneg;
	uint64_t q;

	hi &= m, lo &= m, d &= m;
	if (d == 0)
		return true;
	if (!sgn)
		return hi >= d;
	nneg = (hi >> (bits - 1)) & 1;
	dneg = (d >> (bits - 1)) & 1;
	if (dneg)
		d = (0 - d) & m;
	if (nneg) { /* negate the 2*bits dividend */
		lo = (0 - lo) & m;
		hi = (~hi + (lo == 0)) & m;
	}
	if (hi >= d)
		return true; /* even the magnitude of the quotient does not fit */
	if (size == 8)
		q = udiv128(hi, lo, d);
	else
		q = ((hi << bits) | lo) / d;
	/* |q| <= 2^(bits-1) - 1, or 2^(bits-1) for a negative quotient */
	return q > ((1ull << (bits - 1)) - (nneg == dneg ? 1 : 0));
}

int mt__native_muldiv(enum mt__mdop op, unsigned size, uint64_t *rax,
		      uint64_t *rdx, uint64_t src, uint64_t *rflags)
{
	uint64_t f = *rflags & MT_ARITH_FLAGS;
	uint64_t a = *rax, dx = *rdx;

	if (op == MT_MD_DIV || op == MT_MD_IDIV) {
		uint64_t hi = size == 1 ? a >> 8 : dx, lo = a;
		if (div_faults(op == MT_MD_IDIV, size, hi, lo, src))
			return MT_EMU_DIVIDE_ERROR;
	}
	switch (op) {
	case MT_MD_MUL: SIZES(NATMD, "mul"); break;
	case MT_MD_IMUL: SIZES(NATMD, "imul"); break;
	case MT_MD_DIV: SIZES(NATMD, "div"); break;
	case MT_MD_IDIV: SIZES(NATMD, "idiv"); break;
	}
	*rax = a;
	*rdx = dx;
	*rflags = (*rflags & ~MT_ARITH_FLAGS) | (f & MT_ARITH_FLAGS);
	return 0;
}
