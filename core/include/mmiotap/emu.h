/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * emu.h - the mmiotap emulator core: the public contract.
 *
 * Given one x86-64 instruction that faulted on a traced page, the core says
 * which memory accesses it makes, performs them through the caller's
 * callbacks (in program order), and leaves the register context exactly as
 * the CPU would have left it, including RFLAGS. It never touches memory
 * itself and never allocates. It is reentrant: all state lives in the
 * objects passed in.
 *
 * The same code runs in a SIGSEGV handler (runtime/preload), a ptrace
 * tracer (runtime/ptrace) and the kernel module (kmod/). Only
 * mmiotap/platform.h knows which.
 *
 * Typical use by a backend:
 *
 *     struct mt_decoded *d = mt_dcache_lookup(cache, rip, bytes, n);
 *     if (!d) { d = mt_dcache_slot(cache, rip); rc = mt_decode(d, bytes, n, rip); }
 *     rc = mt_emulate(d, &cpu, &ops, backend_state);
 *     // rc == 0: cpu.rip now points past the instruction (at the
 *     //   target for JMP/CALL m64); copy cpu back.
 *     // rc == MT_EMU_UNSUPPORTED: record UNKNOWN with d->bytes, fall back.
 */
#ifndef MMIOTAP_EMU_H
#define MMIOTAP_EMU_H

#include "mmiotap/platform.h"
#include <Zydis/Zydis.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- results ------------------------------------------------------------ */

/* Every core function returns 0 or one of these (all negative, distinct). */
enum mt_emu_status {
	MT_EMU_OK = 0,
	MT_EMU_NEED_BYTES = -1000, /* decoder ran out of bytes: fetch more   */
	MT_EMU_INVALID = -1001,    /* not a valid x86-64 instruction          */
	MT_EMU_UNSUPPORTED = -1002,/* valid, but the core has no semantics   */
	MT_EMU_MEMFAULT = -1003,   /* a memory callback returned an error     */
	MT_EMU_REGFAULT = -1004,   /* a register accessor returned an error   */
	MT_EMU_NOMEM_OPERAND = -1005, /* instruction does not access memory   */
	MT_EMU_BADARG = -1006,     /* caller error (NULL, bad size, ...)       */
	MT_EMU_DIVIDE_ERROR = -1007, /* the CPU raises #DE (DIV/IDIV): nothing
				      * written; the operand read stands */
};

/* Short stable name of a status ("unsupported", ...); never NULL. */
const char *mt_emu_strerror(int status);

/* ---- register context ----------------------------------------------------- */

/* General purpose registers in hardware encoding order. */
enum mt_gpr {
	MT_RAX, MT_RCX, MT_RDX, MT_RBX, MT_RSP, MT_RBP, MT_RSI, MT_RDI,
	MT_R8, MT_R9, MT_R10, MT_R11, MT_R12, MT_R13, MT_R14, MT_R15,
	MT_NGPR
};

/*
 * The integer part of the context, copied in and out by the backend (from
 * ucontext's gregs, ptrace's user_regs_struct or the kernel's pt_regs).
 * rip is the address of the faulting instruction on entry and the address of
 * the next instruction after a successful mt_emulate() (for JMP m64 and
 * CALL m64: the target read from memory).
 */
struct mt_cpu {
	uint64_t gpr[MT_NGPR];
	uint64_t rip;
	uint64_t rflags;
	uint64_t fs_base;
	uint64_t gs_base;
};

/* ---- callbacks ------------------------------------------------------------- */

/* Flags passed with each memory access. */
#define MT_ACC_LOCKED 0x1u  /* part of a LOCK-ed (or XCHG) read-modify-write */
#define MT_ACC_RMW 0x2u     /* read half / write half of a read-modify-write */
#define MT_ACC_STRING 0x4u  /* one element of a (REP) string instruction     */
#define MT_ACC_NT 0x8u      /* non-temporal / direct store (MOVNTI, MOVDIRI) */
#define MT_ACC_PARTIAL 0x10u /* masked vector access: a run of selected elements,
			      * or one element of a gather or scatter */

/*
 * Displaced execution request: the instruction re-encoded so that its one
 * explicit memory operand is [scratch_reg]. The backend runs it natively
 * with the context's GPRs, arithmetic flags and vector/mask state loaded,
 * except that scratch_reg holds the address of `scratch`, then stores the
 * resulting state back (scratch_reg keeps its original value). The core
 * fills `scratch` from memory before (if the operand is read) and writes it
 * back after (if written), so flags and results are exact by construction.
 */
struct mt_displaced {
	uint8_t code[16];
	uint8_t len;
	uint8_t scratch_reg; /* enum mt_gpr */
	uint16_t size;       /* bytes of the memory operand */
	uint8_t *scratch;    /* 64-byte aligned, at least 64 bytes */
	uint64_t fdp;        /* x87 FDP of the original: the operand's
			      * offset (address without the FS/GS base) */
	uint16_t fop;        /* x87 FOP of the original (opcode bits), else 0 */
};

struct mt_emu_ops {
	/*
	 * Memory. Called for every memory access of the instruction, in program
	 * order, device memory or not: the backend decides what is traced.
	 * One call per memory operand (or per string element, or per run of
	 * selected elements, see MT_ACC_PARTIAL, or per selected element of a
	 * gather or scatter, in element order, 4 or 8 bytes at the element's
	 * own address): size is the byte size of the
	 * operand as the instruction defines it, 1..64. Besides 1, 2, 4, 8,
	 * 16, 32 and 64, the x87 forms give sizes that are not powers of two:
	 * 10 (FLD/FSTP m80, FBLD/FBSTP m80) and 28 or 14 (FLDENV/FNSTENV
	 * m28, or m14 with a 66 prefix); a MT_ACC_PARTIAL run is any size
	 * 1..64. A backend that can only make power-of-two device accesses
	 * splits the call itself (and says so in its trace). A read may
	 * return different bytes than the device holds (injection).
	 * Return 0 or a negative errno, or MT_MEM_YIELD: the access was made,
	 * and a REP string instruction should stop after this element (its
	 * registers left as the CPU leaves them when interrupted there; see
	 * rep_max), e.g. because the access was delayed.
	 */
	int (*mem_read)(void *opaque, uint64_t addr, void *buf, unsigned size,
			unsigned flags);
	int (*mem_write)(void *opaque, uint64_t addr, const void *buf,
			 unsigned size, unsigned flags);

	/*
	 * Vector registers: idx 0..31 (xmm/ymm/zmm). get reads the low `size`
	 * bytes (16, 32 or 64); set writes the low `size` bytes and leaves the
	 * bytes above alone. A backend whose registers are narrower than
	 * `size` ignores the excess on set and returns zeros on get.
	 * May be NULL: vector instructions are then MT_EMU_UNSUPPORTED.
	 */
	int (*vec_get)(void *opaque, unsigned idx, void *buf, unsigned size);
	int (*vec_set)(void *opaque, unsigned idx, const void *buf, unsigned size);
	/* Opmask registers k0..k7. May be NULL (then EVEX masking unsupported). */
	int (*kmask_get)(void *opaque, unsigned idx, uint64_t *val);
	int (*kmask_set)(void *opaque, unsigned idx, uint64_t val);

	/* Optional: run a displaced instruction (see struct mt_displaced).
	 * NULL means forms that need it are MT_EMU_UNSUPPORTED. It must carry
	 * the x87/MMX state too (x87 and MMX forms are displaced), e.g. with
	 * mt_xrun() and MT_XSTATE_X87. Return 0 or a negative errno (the core
	 * then returns MT_EMU_REGFAULT with nothing written to memory). */
	int (*exec_displaced)(void *opaque, struct mt_cpu *cpu,
			      const struct mt_displaced *d);

	/* MT_OPS_* below; 0 for an ordinary user-space backend. */
	unsigned flags;

	/*
	 * Bounded work per call: a REP string instruction runs at most this
	 * many iterations (0: MT_REP_CHUNK_DEFAULT) and then returns 0 with
	 * RCX, RSI, RDI and the flags as the CPU leaves them when an interrupt
	 * arrives between iterations (Intel SDM, "REP prefix"), and cpu->rip
	 * still at the instruction: executing it again continues the copy.
	 * A backend that resumes the context at cpu->rip gets this for free
	 * (the instruction faults again); mt_emu_rep_pending() tells.
	 */
	unsigned rep_max;
};

#define MT_MEM_YIELD 1
#define MT_REP_CHUNK_DEFAULT 1024u

/*
 * The backend cannot take accesses to the interrupted context's stack
 * (PUSH m, POP m, CALL m64): the kernel module, where the exception frame
 * sits right below the interrupted RSP. mt_emu_supported() is then false
 * and mt_emulate() returns MT_EMU_UNSUPPORTED for them. Core compiled with
 * __KERNEL__ behaves so whatever the flag.
 */
#define MT_OPS_NO_STACK 0x1u

/* ---- decoding and the decode cache ------------------------------------------ */

/* Instruction families, for reports and the census. */
enum mt_family {
	MT_FAM_NONE = 0,      /* no explicit/implicit memory operand */
	MT_FAM_MOV,           /* MOV, MOVZX, MOVSX, MOVSXD, MOVBE, moffs, imm */
	MT_FAM_ALU,           /* ADD OR ADC SBB AND SUB XOR CMP TEST NOT NEG INC DEC */
	MT_FAM_SHIFT,         /* SHL SHR SAR ROL ROR RCL RCR SHLD SHRD */
	MT_FAM_BIT,           /* BT BTS BTR BTC */
	MT_FAM_ATOMIC,        /* XCHG CMPXCHG CMPXCHG8B/16B XADD */
	MT_FAM_COND,          /* SETcc CMOVcc */
	MT_FAM_NT,            /* MOVNTI MOVDIRI MOVDIR64B */
	MT_FAM_STRING,        /* MOVS STOS LODS CMPS SCAS, REP/REPE/REPNE */
	MT_FAM_VMOV,          /* SSE/AVX/AVX-512 moves, PINSR/PEXTR */
	MT_FAM_VALU,          /* vector ALU with a memory operand (displaced) */
	MT_FAM_GATHER,        /* gathers and scatters (VSIB memory operand) */
	MT_FAM_OTHER,         /* anything else with a memory operand */
	MT_FAM_COUNT
};
const char *mt_family_name(enum mt_family fam);

/*
 * Plain moves between a general purpose register (or an immediate) and
 * memory: MOV r,m / MOV m,r / MOV m,imm / MOVZX, MOVSX, MOVSXD r,m, with a
 * base + index*scale + disp (or RIP-relative) address, 64-bit addressing and
 * no FS/GS override. They are what readl()/writel() and most driver code
 * compile to. mt_decode() describes them here so that a backend can perform
 * them on its own register file with the mt_plain_*() helpers below, without
 * the struct mt_cpu round trip; mt_emulate() takes the same path, which is
 * how the oracle tests cover it. None of them changes RFLAGS.
 */
enum mt_plain_kind { MT_PLAIN_NONE = 0, MT_PLAIN_LOAD, MT_PLAIN_STORE };
#define MT_PLAIN_NOREG 0xff
#define MT_PLAIN_HI8 0x1u    /* the register is AH, CH, DH or BH (reg 0-3) */
#define MT_PLAIN_SX 0x2u     /* load: sign-extend the memory value */
#define MT_PLAIN_IMM 0x4u    /* store: of imm, not of a register */
#define MT_PLAIN_RIPREL 0x8u /* address: next instruction's RIP + disp */
struct mt_plain {
	uint8_t kind;       /* enum mt_plain_kind */
	uint8_t size;       /* memory operand bytes: 1, 2, 4 or 8 */
	uint8_t reg;        /* enum mt_gpr: load destination / store source */
	uint8_t reg_size;   /* load: destination register bytes 1, 2, 4 or 8 */
	uint8_t flags;      /* MT_PLAIN_* */
	uint8_t base;       /* enum mt_gpr or MT_PLAIN_NOREG */
	uint8_t index;      /* enum mt_gpr or MT_PLAIN_NOREG */
	uint8_t scale;      /* 1, 2, 4 or 8 */
	int64_t disp;
	uint64_t imm;       /* store of an immediate: the value (sign-extended) */
};

/* One decoded instruction, as cached. Treat as read-only outside core/. */
struct mt_decoded {
	uint64_t rip;                 /* cache key */
	uint8_t bytes[ZYDIS_MAX_INSTRUCTION_LENGTH];
	uint8_t len;
	uint8_t family;               /* enum mt_family */
	uint8_t handler;              /* core-internal dispatch index; 0 = unsupported */
	uint8_t mem_op;               /* index in ops[] of the explicit memory operand
				       * (plain, not VSIB or MIB), 0xff if none */
	struct mt_plain plain;        /* kind MT_PLAIN_NONE unless a plain move */
	ZydisDecodedInstruction insn;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
};

/*
 * Decode one instruction. On success fills *d (including family/handler, so
 * mt_emu_supported() is known before any access is made).
 * Returns 0, MT_EMU_NEED_BYTES or MT_EMU_INVALID.
 */
int mt_decode(struct mt_decoded *d, const uint8_t *bytes, size_t len,
	      uint64_t rip);

/* True if mt_emulate() has semantics for this instruction (given the ops
 * the backend provides: vector/displaced forms need those callbacks, AVX-512
 * gathers and scatters kmask_set too, stack forms need ops->flags without
 * MT_OPS_NO_STACK). mt_emulate() may still
 * refuse an instruction it supports with MT_EMU_UNSUPPORTED, for inputs on
 * which the CPU raises #GP (reserved MXCSR bits for LDMXCSR, a misaligned
 * operand of a legacy SSE form that requires 16-byte alignment): the
 * backend lets the CPU fault. */
bool mt_emu_supported(const struct mt_decoded *d, const struct mt_emu_ops *ops);

/*
 * Decode cache: a direct-mapped table of struct mt_decoded keyed by RIP and
 * validated against the instruction bytes, in storage the caller owns (a
 * per-thread or per-CPU block: the cache has no locks).
 */
struct mt_dcache {
	struct mt_decoded *slots;
	uint32_t mask;                /* nslots - 1 */
	uint64_t hits, misses;
};
/* nslots must be a power of two. */
int mt_dcache_init(struct mt_dcache *c, struct mt_decoded *slots, uint32_t nslots);
/* Return the cached decode of the instruction at rip whose first bytes are
 * `bytes` (n available), or NULL. */
const struct mt_decoded *mt_dcache_lookup(struct mt_dcache *c, uint64_t rip,
					  const uint8_t *bytes, size_t n);
/* Decode into the slot for rip and return it (NULL + *status on failure). */
const struct mt_decoded *mt_dcache_fill(struct mt_dcache *c, uint64_t rip,
					const uint8_t *bytes, size_t n, int *status);

/* ---- emulation ------------------------------------------------------------ */

/*
 * Plain moves on a backend's own register file: register i (enum mt_gpr) is
 * the uint64_t at (char *)regs + off[i] (for struct mt_cpu: off[i] = 8 * i;
 * for the kernel's pt_regs: offsetof(struct pt_regs, ax), ...). The backend
 * computes the address, makes the access of d->plain.size bytes itself, then
 * (a load) hands the value read to mt_plain_load() or (a store) writes
 * mt_plain_store_value(), and moves RIP to d->rip + d->len.
 */
#define MT_PLAIN_REG(regs, off, i) (*(uint64_t *)((char *)(regs) + (off)[i]))

static inline uint64_t mt_plain_addr(const struct mt_decoded *d, const void *regs,
				     const uint16_t *off)
{
	const struct mt_plain *p = &d->plain;
	uint64_t a = (uint64_t)p->disp;

	if (p->base != MT_PLAIN_NOREG)
		a += MT_PLAIN_REG(regs, off, p->base);
	else if (p->flags & MT_PLAIN_RIPREL)
		a += d->rip + d->len;
	if (p->index != MT_PLAIN_NOREG)
		a += MT_PLAIN_REG(regs, off, p->index) * p->scale;
	return a;
}

/* The bytes a plain store writes (the low d->plain.size bytes count). */
static inline uint64_t mt_plain_store_value(const struct mt_decoded *d, const void *regs,
					    const uint16_t *off)
{
	const struct mt_plain *p = &d->plain;

	if (p->flags & MT_PLAIN_IMM)
		return p->imm;
	if (p->flags & MT_PLAIN_HI8)
		return MT_PLAIN_REG(regs, off, p->reg) >> 8;
	return MT_PLAIN_REG(regs, off, p->reg);
}

/* Complete a plain load: v holds the d->plain.size bytes read (above them:
 * anything). Writes the destination register as the CPU does (32-bit
 * destinations zero the upper half, 8- and 16-bit ones merge). */
static inline void mt_plain_load(const struct mt_decoded *d, void *regs,
				 const uint16_t *off, uint64_t v)
{
	const struct mt_plain *p = &d->plain;
	uint64_t *r = &MT_PLAIN_REG(regs, off, p->reg);

	switch (p->size) {
	case 1: v = p->flags & MT_PLAIN_SX ? (uint64_t)(int64_t)(int8_t)v : (uint8_t)v; break;
	case 2: v = p->flags & MT_PLAIN_SX ? (uint64_t)(int64_t)(int16_t)v : (uint16_t)v; break;
	case 4: v = p->flags & MT_PLAIN_SX ? (uint64_t)(int64_t)(int32_t)v : (uint32_t)v; break;
	default: break;
	}
	switch (p->reg_size) {
	case 1:
		if (p->flags & MT_PLAIN_HI8)
			*r = (*r & ~0xff00ull) | ((v & 0xff) << 8);
		else
			*r = (*r & ~0xffull) | (v & 0xff);
		break;
	case 2: *r = (*r & ~0xffffull) | (v & 0xffff); break;
	case 4: *r = v & 0xffffffffull; break;
	default: *r = v; break;
	}
}

/*
 * Compute the effective (linear) address of operand `opidx` of d with the
 * context cpu (segment bases for FS/GS applied, RIP-relative resolved).
 */
int mt_operand_address(const struct mt_decoded *d, unsigned opidx,
		       const struct mt_cpu *cpu, uint64_t *addr);

/*
 * Emulate d against cpu. All memory accesses go through ops; registers other
 * than the integer context go through ops' accessors. On success returns 0
 * and cpu->rip points past the instruction (at the branch target for JMP
 * m64 and CALL m64). On failure the context and
 * memory are unchanged unless the status is MT_EMU_MEMFAULT, in which case
 * accesses already made stand (as they would on the CPU); a gather or
 * scatter then also leaves its destination and mask registers as the CPU
 * does after a fault on the failing element (the elements below it done,
 * their mask elements cleared), so running it again finishes the rest.
 */
int mt_emulate(const struct mt_decoded *d, struct mt_cpu *cpu,
	       const struct mt_emu_ops *ops, void *opaque);

/* After mt_emulate() returned 0: true if d is a REP string instruction
 * stopped part-way (rep_max, MT_MEM_YIELD): cpu->rip is still d->rip. */
static inline bool mt_emu_rep_pending(const struct mt_decoded *d, const struct mt_cpu *cpu)
{
	return cpu->rip == d->rip;
}

#ifdef __cplusplus
}
#endif
#endif /* MMIOTAP_EMU_H */
