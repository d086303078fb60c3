/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * x87_forms.c - x87 and MMX forms for the oracle. Both run by displaced
 * execution, so the native runner must carry the whole x87 state (control,
 * status and tag words, ST0-7 = MM0-7, FOP/FIP/FDP); oracle.c gives every
 * case a random x87 state and compares all of it.
 *
 * Memory operand sizes (also m80 and the 28-byte environment) come from the
 * form's arg in bytes (OF_MEMSIZE_ARG).
 */
#include "oracle.h"


#define M { OK_M, 0 }
#define MM { OK_MM, 0 }
#define X { OK_XMM, 0 }
#define I8 { OK_I8, 0 }

#define XM(nm, mn, bytes) { nm, "x87", ZYDIS_MNEMONIC_##mn, 1, { M }, 0, OF_MEMSIZE_ARG, 0, NULL, NULL, NULL, NULL, bytes }

static const struct or_form x87_forms[] = {
	XM("fld m32", FLD, 4), XM("fld m64", FLD, 8), XM("fld m80", FLD, 10),
	XM("fst m32", FST, 4), XM("fst m64", FST, 8),
	XM("fstp m32", FSTP, 4), XM("fstp m64", FSTP, 8), XM("fstp m80", FSTP, 10),
	XM("fild m16", FILD, 2), XM("fild m32", FILD, 4), XM("fild m64", FILD, 8),
	XM("fist m16", FIST, 2), XM("fist m32", FIST, 4),
	XM("fistp m16", FISTP, 2), XM("fistp m32", FISTP, 4), XM("fistp m64", FISTP, 8),
	XM("fisttp m16", FISTTP, 2), XM("fisttp m32", FISTTP, 4), XM("fisttp m64", FISTTP, 8),
	XM("fadd m32", FADD, 4), XM("fadd m64", FADD, 8),
	XM("fsub m64", FSUB, 8), XM("fsubr m32", FSUBR, 4),
	XM("fmul m64", FMUL, 8), XM("fdiv m64", FDIV, 8), XM("fdivr m32", FDIVR, 4),
	XM("fcom m64", FCOM, 8), XM("fcomp m32", FCOMP, 4),
	XM("fiadd m32", FIADD, 4), XM("fimul m16", FIMUL, 2), XM("ficom m32", FICOM, 4),
	XM("fidiv m16", FIDIV, 2),
	XM("fbld m80", FBLD, 10), XM("fbstp m80", FBSTP, 10),
	XM("fldcw m16", FLDCW, 2), XM("fnstcw m16", FNSTCW, 2), XM("fnstsw m16", FNSTSW, 2),
	XM("fldenv m28", FLDENV, 28),
	/* With no exception pending, AMD CPUs neither save nor restore the
	 * x87 instruction and data pointers (XSAVE writes zeros, XRSTOR
	 * leaves the registers as they were), so FNSTENV stores whatever the
	 * last x87 instruction executed before left there: on the native run
	 * that can be the kernel's (its context switch runs one on AMD). The
	 * oracle does not compare those bytes there (OF_ENV). */
	{ "fnstenv m28", "x87", ZYDIS_MNEMONIC_FNSTENV, 1, { M }, 0, OF_MEMSIZE_ARG | OF_ENV, 0, NULL, NULL, NULL, NULL, 28 },
};
ORACLE_FORMS(x87_forms)

#define MX2(nm, mn, a, b, bytes) { nm, "mmx", ZYDIS_MNEMONIC_##mn, 2, { a, b }, 0, OF_MEMSIZE_ARG, 0, NULL, NULL, NULL, NULL, bytes }
#define MX3(nm, mn, a, b, c, bytes) { nm, "mmx", ZYDIS_MNEMONIC_##mn, 3, { a, b, c }, 0, OF_MEMSIZE_ARG, 0, NULL, NULL, NULL, NULL, bytes }

static const struct or_form mmx_forms[] = {
	MX2("movd mm,m32", MOVD, MM, M, 4), MX2("movd m32,mm", MOVD, M, MM, 4),
	MX2("movq mm,m64", MOVQ, MM, M, 8), MX2("movq m64,mm", MOVQ, M, MM, 8),
	MX2("movntq m64,mm", MOVNTQ, M, MM, 8),
	MX2("paddd mm,m64", PADDD, MM, M, 8), MX2("pxor mm,m64", PXOR, MM, M, 8),
	MX2("pmaddwd mm,m64", PMADDWD, MM, M, 8), MX2("psubusb mm,m64", PSUBUSB, MM, M, 8),
	MX2("punpcklbw mm,m32", PUNPCKLBW, MM, M, 4),
	MX3("pshufw mm,m64,i8", PSHUFW, MM, M, I8, 8),
	MX3("pinsrw mm,m16,i8", PINSRW, MM, M, I8, 2),
	MX2("cvtpi2ps xmm,m64", CVTPI2PS, X, M, 8), MX2("cvtps2pi mm,m64", CVTPS2PI, MM, M, 8),
};
ORACLE_FORMS(mmx_forms)
