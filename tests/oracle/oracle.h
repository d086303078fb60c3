/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * oracle.h - the CPU as the emulator's oracle.
 *
 * A "form" describes one instruction shape (mnemonic + operand kinds). For
 * each random case the framework builds the instruction with Zydis's
 * encoder (random registers, widths, immediates, addressing modes), makes a
 * random machine state (GPRs, flags, MXCSR, vector and mask registers) and a
 * random data buffer, then (x87/MMX state included, random: control word with
 * any rounding/precision and sometimes unmasked exceptions, TOP, condition
 * codes, tags, ST0-7 values of every class):
 *   - runs it natively with mt_xrun() on the real buffer,
 *   - emulates it with mt_decode()+mt_emulate() on a copy of the buffer
 *     (the memory callbacks translate the same addresses to the copy),
 * and compares every GPR (but RSP), the arithmetic flags and DF, RIP,
 * MXCSR, every vector and mask register, the x87 state (FCW FSW FTW FOP
 * FIP FDP ST0-7) and every buffer byte.
 *
 * Form tables live in tests/oracle/<name>_forms.c (or vec_*.c) and register
 * themselves with ORACLE_FORMS(table); all files in tests/oracle/ are linked
 * into one program. See int_forms.c for examples.
 */
#ifndef MMIOTAP_ORACLE_H
#define MMIOTAP_ORACLE_H

#include <stddef.h>
#include <stdint.h>
#include <Zydis/Zydis.h>
#include "mmiotap/emu.h"
#include "mmiotap/xrun.h"

/* Operand kinds of a generic form. */
enum or_kind {
	OK_NONE = 0,
	OK_R,     /* general purpose register */
	OK_M,     /* memory operand into the buffer (random addressing mode) */
	OK_I,     /* immediate of min(width, 4) bytes */
	OK_I8,    /* 8-bit immediate */
	OK_CL,    /* the CL register */
	OK_ONE,   /* immediate 1 */
	OK_XMM,   /* vector registers: xmm0-15 (xmm0-31 with OF_EVEX) */
	OK_YMM,
	OK_ZMM,
	OK_K,     /* opmask k1-k7 (written after the destination, as Zydis wants) */
	OK_MM,    /* MMX register mm0-7 */
};

/* Widths as a bit mask of operand byte sizes. */
#define W1 0x01
#define W2 0x02
#define W4 0x04
#define W8 0x08
#define W16 0x10
#define W32 0x20
#define W64 0x40
#define WINT (W1 | W2 | W4 | W8)

struct or_opspec {
	uint8_t kind;   /* enum or_kind */
	uint8_t widths; /* 0: the case's width; else a mask to choose from */
};

/* Form flags */
#define OF_LOCK 0x0001      /* emit a LOCK prefix */
#define OF_DISTINCT 0x0002  /* base/index differ from the register operands */
#define OF_NOSEG 0x0004     /* no FS/GS/RIP-relative/addr32 variants */
#define OF_EVEX 0x0008      /* vector registers 0-31 allowed */
#define OF_ALIGN16 0x0010   /* memory operand aligned to its size (16) */
#define OF_ALIGN 0x0020     /* memory operand aligned to its size */
#define OF_MEMSIZE_ARG 0x0040 /* memory operand of form->arg bytes (m80, m28) */
#define OF_ENV 0x0080       /* stores an x87 environment (m28): on AMD its FIP,
			     * FCS/FOP and FDP (bytes 12-23) are not compared */

struct or_ctx;
struct or_case;
struct or_form;

typedef int (*or_gen_fn)(struct or_ctx *, const struct or_form *, struct or_case *);
typedef void (*or_fix_fn)(struct or_ctx *, const struct or_form *, struct or_case *);

struct or_form {
	const char *name;      /* unique, shown in reports; -f filters on it */
	const char *family;    /* table row; NULL: the decoder's family name */
	ZydisMnemonic mnem;
	uint8_t nops;
	struct or_opspec op[4];
	uint8_t widths;        /* case width choices (W1|W2|...) */
	uint32_t flags;        /* OF_* */
	uint16_t avoid;        /* GPR mask never used for registers/base/index */
	or_gen_fn gen;         /* custom generator (NULL: generic) */
	or_fix_fn fix;         /* adjust the state after the generic generator */
	int (*cpu_has)(void);  /* NULL or nonzero when the CPU can run it */
	const char *needs;     /* what cpu_has checks, for the skip message */
	uintptr_t arg;         /* free for gen/fix */
};

struct or_ctx {
	uint64_t rng;
	uint8_t *buf;          /* native data buffer (low 2 GiB) */
	size_t bufsize;
	uint64_t bufaddr;
	uint64_t code_addr;    /* RIP of the instruction under test */
	uint64_t fs_base, gs_base;
	unsigned vregs, vbytes, kregs; /* vector shape of this CPU */
};

struct or_case {
	uint8_t code[16];
	unsigned len;
	struct mt_xstate st;   /* initial state; generators edit it */
	ZydisEncoderRequest req; /* generic generator: what was encoded */
	unsigned width;        /* bytes chosen for this case */
	uint64_t memaddr;      /* address of the memory operand (generic) */
	int regop_gpr[4];      /* GPR index of register operand i, or -1 */
};

/* Random numbers (xorshift64*). */
uint64_t or_rand(struct or_ctx *c);
static inline uint64_t or_range(struct or_ctx *c, uint64_t n) { return n ? or_rand(c) % n : 0; }
/* An "interesting" 64-bit value: 0, 1, -1, sign boundaries, small, random. */
uint64_t or_value(struct or_ctx *c);
/* A random address inside the buffer's safe middle, plus or minus `spread`. */
uint64_t or_target(struct or_ctx *c, unsigned spread);

/* GPR index of a Zydis GPR (any width); -1 if not one. */
int or_gpr_index(ZydisRegister r);
ZydisRegister or_gpr(unsigned idx, unsigned bytes);

/* Encode c->req into c->code/len; 0 or -1. */
int or_encode(struct or_case *c);
/* The generic generator (also callable from custom ones). */
int or_gen_generic(struct or_ctx *, const struct or_form *, struct or_case *);

void oracle_register(const struct or_form *forms, size_t n);
#define ORACLE_FORMS(tbl)                                                  \
	static void __attribute__((constructor)) or_reg_##tbl(void)        \
	{                                                                  \
		oracle_register(tbl, sizeof(tbl) / sizeof(tbl[0]));        \
	}

/* CPUID helpers for cpu_has. */
int or_cpuid_bit(unsigned leaf, unsigned sub, unsigned reg /*0 a,1 b,2 c,3 d*/, unsigned bit);

#endif
