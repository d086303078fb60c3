/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* core_int.h - internals shared by core/src files (not installed). */
#ifndef MMIOTAP_CORE_INT_H
#define MMIOTAP_CORE_INT_H

#include "mmiotap/emu.h"

/* Handler indices (struct mt_decoded.handler). 0 = unsupported.
 * 1..127 integer (this file's owner), 128..255 vector (emu_vec.c). */
enum mt__handler {
	MT_H_NONE = 0,
	MT_H_MOV,        /* MOV r/m, r/m/imm, moffs */
	MT_H_MOVX,       /* MOVZX MOVSX MOVSXD */
	MT_H_MOVBE,
	MT_H_ALU2,       /* ADD OR ADC SBB AND SUB XOR CMP TEST */
	MT_H_ALU1,       /* NOT NEG INC DEC */
	MT_H_SHIFT,      /* SHL SHR SAR ROL ROR RCL RCR */
	MT_H_SHD,        /* SHLD SHRD */
	MT_H_BT,         /* BT BTS BTR BTC */
	MT_H_XCHG,
	MT_H_CMPXCHG,
	MT_H_CMPXCHGNB,  /* CMPXCHG8B CMPXCHG16B */
	MT_H_XADD,
	MT_H_SETCC,
	MT_H_CMOVCC,
	MT_H_NTSTORE,    /* MOVNTI MOVDIRI */
	MT_H_MOVDIR64B,
	MT_H_STRING,     /* MOVS STOS LODS CMPS SCAS */
	MT_H_MULDIV,     /* MUL IMUL DIV IDIV r/m (one operand: rDX:rAX) */
	MT_H_XLAT,
	MT_H_PUSHM,      /* PUSH m (not in the kernel: see below) */
	MT_H_POPM,       /* POP m */
	MT_H_JMPM,       /* JMP m64 (near, indirect) */
	MT_H_CALLM,      /* CALL m64 (near, indirect; not in the kernel) */
	MT_H_INT_COUNT,
	MT_H_VEC_FIRST = 128,
};

/* PUSH m / POP m / CALL m64 write or read the interrupted stack. In the
 * kernel the exception frame sits right below the interrupted RSP: never
 * there (their handlers are compiled out). Elsewhere a backend refuses
 * them with MT_OPS_NO_STACK. They are classified either way, so the
 * family is the same in both worlds. */
#if defined(__KERNEL__) && !defined(MT_NO_STACK_OPS)
#define MT_NO_STACK_OPS 1
#endif

static inline bool mt__stack_handler(unsigned h)
{
	return h == MT_H_PUSHM || h == MT_H_POPM || h == MT_H_CALLM;
}

/* Whether ops may run handler h (stack forms only without MT_OPS_NO_STACK,
 * and never in the kernel). */
static inline bool mt__stack_ok(unsigned h, const struct mt_emu_ops *ops)
{
	if (!mt__stack_handler(h))
		return true;
#ifdef MT_NO_STACK_OPS
	(void)ops;
	return false;
#else
	return !(ops->flags & MT_OPS_NO_STACK);
#endif
}

#define MT_ARITH_FLAGS 0x8d5ull /* CF PF AF ZF SF OF */
#define MT_FL_CF 0x001ull
#define MT_FL_PF 0x004ull
#define MT_FL_AF 0x010ull
#define MT_FL_ZF 0x040ull
#define MT_FL_SF 0x080ull
#define MT_FL_DF 0x400ull
#define MT_FL_OF 0x800ull

/* Integer classification: 1 and sets family/handler if ours. */
int mt__int_classify(const struct mt_decoded *d, uint8_t *family, uint8_t *handler);
int mt__int_emulate(const struct mt_decoded *d, struct mt_cpu *cpu,
		    const struct mt_emu_ops *ops, void *opaque);

/* GPR access by Zydis register (8/16/32/64-bit incl. AH..BH).
 * mt__reg_read returns the zero-extended value; mt__reg_write merges 8/16
 * bits and zero-extends 32-bit writes, as the CPU does. Return 0 or
 * MT_EMU_UNSUPPORTED for a register that is not a GPR. */
int mt__reg_read(const struct mt_cpu *cpu, ZydisRegister r, uint64_t *v);
int mt__reg_write(struct mt_cpu *cpu, ZydisRegister r, uint64_t v);

static inline uint64_t mt__mask(unsigned bytes)
{
	return bytes >= 8 ? ~0ull : (1ull << (bytes * 8)) - 1;
}

#endif
