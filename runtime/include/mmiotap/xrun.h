/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * xrun.h - run one instruction natively with a chosen register state.
 *
 * User space only. mt_xrun() copies the instruction bytes into a per-thread
 * generated stub (an mmap'd page, no allocation per call), loads all GPRs
 * except RSP, the arithmetic flags and DF, MXCSR, the vector registers
 * (zmm0-31 on AVX-512 machines, ymm0-15 with AVX, xmm0-15 otherwise; chosen
 * once, at the first call, with CPUID/XGETBV) and the opmask registers k0-7
 * (AVX-512 only), executes the instruction once, and stores all of them back.
 *
 * RSP is not loaded (unless MT_XSTATE_RSP): the instruction runs on the
 * caller's stack (with the caller's RSP), and st->gpr[MT_XRUN_RSP] is left
 * as it was. Instructions
 * that use RSP, the stack, or branch are not meant to be run this way.
 * Only RFLAGS bits CF PF AF ZF SF OF and DF are loaded and stored; the other
 * bits of st->rflags are preserved. MXCSR is loaded as given (reserved bits
 * are cleared to avoid #GP) and the caller's MXCSR is restored afterwards.
 *
 * x87/MMX: with MT_XSTATE_X87 in st->xflags the runner also loads the whole
 * x87 state (control, status and tag words, ST0-7/MM0-7, FOP/FIP/FDP) from
 * st->x87 with FXRSTOR and stores it back with FXSAVE, restoring the
 * caller's own x87 state afterwards. Without the flag an x87 or MMX
 * instruction would run on the caller's x87 state: backends that run
 * displaced instructions must carry it (the core sends x87/MMX forms).
 * The runner refuses (-EDOM, nothing run) a state in which the instruction
 * could raise a floating-point exception inside the stub instead of at the
 * program's instruction, or behave differently because of one: any SIMD
 * exception unmasked in MXCSR (#XM), and with MT_XSTATE_X87 any x87
 * exception unmasked in FCW or already pending (FSW.ES): an unmasked x87
 * exception suppresses a store to memory, which the displaced copy-back
 * could not see. The caller then falls back (e.g. single step).
 * After an x87 instruction FIP is the stub's address and FDP the scratch
 * buffer's: mt_xrun_x87_fixup() maps them back. When the instruction did
 * not update them (FIP does not name the stub), FOP/FIP/FDP are returned as
 * given (FXRSTOR does not load FOP on every CPU).
 *
 * Users: the oracle tests (native side of each case) and the user-space
 * backend's displaced execution (mt_xrun_displaced()). Async-signal-safe
 * once the thread's stub exists: call mt_xrun_thread_init() at thread start
 * outside signal handlers if you can; otherwise the first call mmaps it
 * (mmap is async-signal-safe too).
 */
#ifndef MMIOTAP_XRUN_H
#define MMIOTAP_XRUN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MT_XRUN_RSP 4
#define MT_XRUN_FLAGS_MASK 0xcd5ull /* CF PF AF ZF SF OF DF */

/*
 * x87/MMX state, laid out exactly as bytes 0..159 of an FXSAVE64 image (and
 * so of the legacy region of an XSAVE area, e.g. a signal frame's fpregs):
 * a backend can copy those 160 bytes in and out. The two MXCSR words at
 * offset 24 are ignored here (struct mt_xstate.mxcsr is authoritative).
 * ftw is the abridged tag word (one bit per register, 1 = valid); st[i]
 * holds ST(i) (80 bits, MMi in its low 64 bits) in a 16-byte slot.
 */
struct mt_x87 {
	uint16_t fcw, fsw;
	uint8_t ftw, rsvd0;
	uint16_t fop;
	uint64_t fip, fdp;
	uint32_t mxcsr_ignored, mxcsr_mask_ignored;
	uint8_t st[8][16];
};

/* struct mt_xstate.xflags */
#define MT_XSTATE_X87 0x1u /* x87 holds valid state: load it, store it back */
#define MT_XSTATE_RSP 0x2u /* load and store RSP too (tests: PUSH/POP m); the
			    * instruction then runs on that stack, so it must
			    * be writable and no signal may arrive meanwhile */

struct mt_xstate {
	uint64_t gpr[16];   /* hardware order: rax rcx rdx rbx rsp rbp rsi rdi r8..r15 */
	uint64_t rflags;
	uint32_t mxcsr;
	uint32_t xflags;    /* MT_XSTATE_*; was padding (0: no x87 state given) */
	uint64_t k[8];
	uint8_t zmm[32][64] __attribute__((aligned(64)));
	/* Added later; used only with MT_XSTATE_X87. */
	struct mt_x87 x87 __attribute__((aligned(16)));
} __attribute__((aligned(64)));

/* Vector flavour the runner uses on this machine. */
enum mt_xrun_vec {
	MT_XRUN_SSE = 1,    /* xmm0-15 (16 bytes each), no k   */
	MT_XRUN_AVX = 2,    /* ymm0-15 (32 bytes each), no k   */
	MT_XRUN_AVX512 = 3, /* zmm0-31 (64 bytes each), k0-7   */
};

/* Detects the CPU once; returns enum mt_xrun_vec. Cheap after the first call. */
int mt_xrun_vec_flavour(void);
/* Number of vector registers and their bytes for the flavour. */
void mt_xrun_vec_shape(unsigned *nregs, unsigned *bytes, unsigned *nkregs);

/* Create this thread's stub. 0 or -errno. */
int mt_xrun_thread_init(void);
/* Release this thread's stub (optional; e.g. before thread exit). */
void mt_xrun_thread_fini(void);

/*
 * Address at which the instruction will run in this thread's stub (the RIP
 * of the instruction). Stable for the thread's lifetime; 0 on error. Useful
 * to encode RIP-relative operands. The stub is mapped in the low 2 GiB when
 * the kernel allows (MAP_32BIT), so buffers mapped there are reachable with
 * disp32 and with 32-bit addressing.
 */
uint64_t mt_xrun_code_address(void);

/*
 * Run code[0..len) (one instruction, len <= 15) with state st, then store the
 * resulting state into st. Returns 0, or -EINVAL for a bad length, or
 * -ENOMEM if the stub cannot be created.
 */
int mt_xrun(const uint8_t *code, size_t len, struct mt_xstate *st);

/*
 * Displaced execution (see struct mt_displaced in mmiotap/emu.h): runs code
 * with gpr[scratch_reg] temporarily set to `scratch`, then restores that
 * register's original value in st. Everything else as mt_xrun().
 */
int mt_xrun_displaced(const uint8_t *code, size_t len, unsigned scratch_reg,
		      void *scratch, struct mt_xstate *st);

/*
 * After a displaced run with MT_XSTATE_X87 of an x87 instruction, the
 * last-instruction pointers name the stub, the scratch buffer and the
 * re-encoded ModRM. If FIP equals mt_xrun_code_address(), set FIP to rip
 * (the program's instruction), FOP to fop (the original's opcode, struct
 * mt_displaced.fop) and an FDP equal to scratch to fdp (struct
 * mt_displaced.fdp: the original operand's offset).
 */
void mt_xrun_x87_fixup(struct mt_xstate *st, uint64_t rip, const void *scratch,
		       uint64_t fdp, uint16_t fop);

#ifdef __cplusplus
}
#endif
#endif /* MMIOTAP_XRUN_H */
