/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef MMIOTAP_FLAGS_H
#define MMIOTAP_FLAGS_H
#include "core_int.h"

enum mt__op {
	MT_OP_ADD, MT_OP_OR, MT_OP_ADC, MT_OP_SBB, MT_OP_AND, MT_OP_SUB,
	MT_OP_XOR, MT_OP_CMP, MT_OP_TEST,
	MT_OP_NOT, MT_OP_NEG, MT_OP_INC, MT_OP_DEC,
	MT_OP_SHL, MT_OP_SHR, MT_OP_SAR, MT_OP_ROL, MT_OP_ROR, MT_OP_RCL, MT_OP_RCR,
	MT_OP_SHLD, MT_OP_SHRD,
	MT_OP_BT, MT_OP_BTS, MT_OP_BTR, MT_OP_BTC,
};

/*
 * Run `a OP b` (or OP a, or a OP= b by count) natively at operand size
 * `size` (1, 2, 4, 8) with *rflags' arithmetic flags loaded; returns the
 * result (masked to size; for CMP/TEST/BT: a) and merges the new CF PF AF
 * ZF SF OF into *rflags. `cnt` is the count of SHLD/SHRD (b is then the
 * source register); shifts/rotates take their count in b.
 */
uint64_t mt__native_op(enum mt__op op, unsigned size, uint64_t a, uint64_t b,
		       uint64_t cnt, uint64_t *rflags);

/*
 * One-operand MUL/IMUL/DIV/IDIV of `size` bytes with source src on the
 * accumulator pair rax/rdx (full 64-bit register values: the CPU's own
 * merging and zero-extension apply), run natively with *rflags' arithmetic
 * flags loaded: bit-exact results and flags, "undefined" ones included.
 * For DIV/IDIV a zero divisor or a quotient that does not fit is detected
 * first and returns MT_EMU_DIVIDE_ERROR with nothing changed (the CPU would
 * raise #DE); the division never runs on such inputs. Returns 0 otherwise.
 */
enum mt__mdop { MT_MD_MUL, MT_MD_IMUL, MT_MD_DIV, MT_MD_IDIV };
int mt__native_muldiv(enum mt__mdop op, unsigned size, uint64_t *rax,
		      uint64_t *rdx, uint64_t src, uint64_t *rflags);
#endif
