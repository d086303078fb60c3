/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* int_forms.c - integer instruction forms for the oracle. */
#include "oracle.h"

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
