/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * vec_oracle.c - the CPU as the oracle for the vector part of the core:
 * SSE/AVX/AVX-512 moves and gathers/scatters (explicit semantics in
 * core/src/emu_vec.c) and displaced execution (vector ALU, compares into k,
 * masked down-converting stores, integer leftovers).
 *
 * For every form in the table below, N random cases (default 1000,
 * VEC_ORACLE_N to change): random registers (xmm/ymm/zmm 0-31 where the
 * encoding allows, opmask k1-k7 with merging or zeroing, or none), random
 * GPRs and flags, random memory, a random addressing form
 * ([base + index*scale + disp]); the instruction is encoded with Zydis's
 * encoder, run natively with mt_xrun() on buffer A and emulated with
 * mt_emulate() on a copy B (exec_displaced implemented with
 * mt_xrun_displaced()). Compared: all GPRs but RSP, arithmetic flags, MXCSR,
 * zmm0-31, k0-7, every memory byte, rip advance. For forms whose memory
 * operand is only written, the set of bytes the emulator wrote must equal
 * the set the CPU wrote (found by running natively over memory and over its
 * complement): masked stores write exactly the selected elements.
 *
 * Gathers and scatters (VSIB, AVX2 and AVX-512: the second table) get their
 * own case generator (indices inside the buffer, see below), the check that
 * each selected element is one access in element order, and N more cases
 * each with a fault: element k on a PROT_NONE page, the CPU's registers at
 * the fault taken from the signal frame, compared with the emulator's after
 * MT_EMU_MEMFAULT.
 *
 * Prints one line per form and "vec oracle: N forms, C cases, M mismatches".
 * Exit 0 if no mismatch, 1 otherwise, 77 if the CPU lacks AVX-512.
 *
 * A program of its own (tests/oracle/vec.mk builds it with
 * -DMT_VEC_ORACLE_MAIN, with gcc and with clang); without that macro this
 * file is empty, so the oracle framework's wildcard over tests/oracle
 * can link it harmlessly.
 */
#ifdef MT_VEC_ORACLE_MAIN
#include "mmiotap/emu.h"
#include "mmiotap/xrun.h"

#include <cpuid.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

/* ---- random -------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
static unsigned rndn(unsigned n) { return (unsigned)(rnd() % n); }

/* ---- forms ----------------------------------------------------------------- */

#define E_L ZYDIS_ENCODABLE_ENCODING_LEGACY
#define E_V ZYDIS_ENCODABLE_ENCODING_VEX
#define E_E ZYDIS_ENCODABLE_ENCODING_EVEX
#define MN(x) ZYDIS_MNEMONIC_##x

/*
 * pat: operands in Intel order, space separated:
 *   x y z   xmm/ymm/zmm register     k   opmask (none/merge), kz (none/merge/zero)
 *   K       opmask destination        m   memory of msize bytes
 *   b       memory, {1toN} broadcast of bsize bytes half of the time
 *   i       imm8                      r4 r8  32/64-bit GPR
 *   D       hidden [rdi] (MASKMOVDQU: no operand in the request)
 * align: 1 = memory must be aligned to msize (MOVDQA, MOVNT*, ...).
 */
struct form {
	const char *name;
	ZydisMnemonic mn;
	ZydisEncodableEncoding enc;
	const char *pat;
	unsigned msize, align, bsize;
	int expect_family; /* MT_FAM_VMOV / MT_FAM_VALU / MT_FAM_OTHER */
};

#define VM MT_FAM_VMOV
#define VA MT_FAM_VALU
#define OT MT_FAM_OTHER

static const struct form forms[] = {
	/* ---- legacy SSE moves ---- */
	{"movd x,m32", MN(MOVD), E_L, "x m", 4, 0, 0, VM},
	{"movd m32,x", MN(MOVD), E_L, "m x", 4, 0, 0, VM},
	{"movq x,m64", MN(MOVQ), E_L, "x m", 8, 0, 0, VM},
	{"movq m64,x", MN(MOVQ), E_L, "m x", 8, 0, 0, VM},
	{"movdqa x,m", MN(MOVDQA), E_L, "x m", 16, 1, 0, VM},
	{"movdqa m,x", MN(MOVDQA), E_L, "m x", 16, 1, 0, VM},
	{"movdqu x,m", MN(MOVDQU), E_L, "x m", 16, 0, 0, VM},
	{"movdqu m,x", MN(MOVDQU), E_L, "m x", 16, 0, 0, VM},
	{"movaps x,m", MN(MOVAPS), E_L, "x m", 16, 1, 0, VM},
	{"movaps m,x", MN(MOVAPS), E_L, "m x", 16, 1, 0, VM},
	{"movups x,m", MN(MOVUPS), E_L, "x m", 16, 0, 0, VM},
	{"movups m,x", MN(MOVUPS), E_L, "m x", 16, 0, 0, VM},
	{"movapd x,m", MN(MOVAPD), E_L, "x m", 16, 1, 0, VM},
	{"movapd m,x", MN(MOVAPD), E_L, "m x", 16, 1, 0, VM},
	{"movupd x,m", MN(MOVUPD), E_L, "x m", 16, 0, 0, VM},
	{"movupd m,x", MN(MOVUPD), E_L, "m x", 16, 0, 0, VM},
	{"movntdq m,x", MN(MOVNTDQ), E_L, "m x", 16, 1, 0, VM},
	{"movntps m,x", MN(MOVNTPS), E_L, "m x", 16, 1, 0, VM},
	{"movntpd m,x", MN(MOVNTPD), E_L, "m x", 16, 1, 0, VM},
	{"movntdqa x,m", MN(MOVNTDQA), E_L, "x m", 16, 1, 0, VM},
	{"lddqu x,m", MN(LDDQU), E_L, "x m", 16, 0, 0, VM},
	{"movss x,m32", MN(MOVSS), E_L, "x m", 4, 0, 0, VM},
	{"movss m32,x", MN(MOVSS), E_L, "m x", 4, 0, 0, VM},
	{"movsd x,m64", MN(MOVSD), E_L, "x m", 8, 0, 0, VM},
	{"movsd m64,x", MN(MOVSD), E_L, "m x", 8, 0, 0, VM},
	{"movlps x,m64", MN(MOVLPS), E_L, "x m", 8, 0, 0, VM},
	{"movlps m64,x", MN(MOVLPS), E_L, "m x", 8, 0, 0, VM},
	{"movhps x,m64", MN(MOVHPS), E_L, "x m", 8, 0, 0, VM},
	{"movhps m64,x", MN(MOVHPS), E_L, "m x", 8, 0, 0, VM},
	{"movlpd x,m64", MN(MOVLPD), E_L, "x m", 8, 0, 0, VM},
	{"movlpd m64,x", MN(MOVLPD), E_L, "m x", 8, 0, 0, VM},
	{"movhpd x,m64", MN(MOVHPD), E_L, "x m", 8, 0, 0, VM},
	{"movhpd m64,x", MN(MOVHPD), E_L, "m x", 8, 0, 0, VM},
	{"pinsrb x,m8,i", MN(PINSRB), E_L, "x m i", 1, 0, 0, VM},
	{"pinsrw x,m16,i", MN(PINSRW), E_L, "x m i", 2, 0, 0, VM},
	{"pinsrd x,m32,i", MN(PINSRD), E_L, "x m i", 4, 0, 0, VM},
	{"pinsrq x,m64,i", MN(PINSRQ), E_L, "x m i", 8, 0, 0, VM},
	{"pextrb m8,x,i", MN(PEXTRB), E_L, "m x i", 1, 0, 0, VM},
	{"pextrw m16,x,i", MN(PEXTRW), E_L, "m x i", 2, 0, 0, VM},
	{"pextrd m32,x,i", MN(PEXTRD), E_L, "m x i", 4, 0, 0, VM},
	{"pextrq m64,x,i", MN(PEXTRQ), E_L, "m x i", 8, 0, 0, VM},
	{"extractps m32,x,i", MN(EXTRACTPS), E_L, "m x i", 4, 0, 0, VM},
	{"maskmovdqu x,x", MN(MASKMOVDQU), E_L, "x x D", 16, 0, 0, VM},
	/* ---- VEX moves ---- */
	{"vmovd x,m32", MN(VMOVD), E_V, "x m", 4, 0, 0, VM},
	{"vmovd m32,x", MN(VMOVD), E_V, "m x", 4, 0, 0, VM},
	{"vmovq x,m64", MN(VMOVQ), E_V, "x m", 8, 0, 0, VM},
	{"vmovq m64,x", MN(VMOVQ), E_V, "m x", 8, 0, 0, VM},
	{"vmovdqa x,m", MN(VMOVDQA), E_V, "x m", 16, 1, 0, VM},
	{"vmovdqa y,m", MN(VMOVDQA), E_V, "y m", 32, 1, 0, VM},
	{"vmovdqa m,y", MN(VMOVDQA), E_V, "m y", 32, 1, 0, VM},
	{"vmovdqu x,m", MN(VMOVDQU), E_V, "x m", 16, 0, 0, VM},
	{"vmovdqu y,m", MN(VMOVDQU), E_V, "y m", 32, 0, 0, VM},
	{"vmovdqu m,x", MN(VMOVDQU), E_V, "m x", 16, 0, 0, VM},
	{"vmovdqu m,y", MN(VMOVDQU), E_V, "m y", 32, 0, 0, VM},
	{"vmovaps y,m", MN(VMOVAPS), E_V, "y m", 32, 1, 0, VM},
	{"vmovaps m,x", MN(VMOVAPS), E_V, "m x", 16, 1, 0, VM},
	{"vmovups y,m", MN(VMOVUPS), E_V, "y m", 32, 0, 0, VM},
	{"vmovups m,y", MN(VMOVUPS), E_V, "m y", 32, 0, 0, VM},
	{"vmovapd x,m", MN(VMOVAPD), E_V, "x m", 16, 1, 0, VM},
	{"vmovapd m,y", MN(VMOVAPD), E_V, "m y", 32, 1, 0, VM},
	{"vmovupd x,m", MN(VMOVUPD), E_V, "x m", 16, 0, 0, VM},
	{"vmovupd m,y", MN(VMOVUPD), E_V, "m y", 32, 0, 0, VM},
	{"vmovntdq m,y", MN(VMOVNTDQ), E_V, "m y", 32, 1, 0, VM},
	{"vmovntps m,x", MN(VMOVNTPS), E_V, "m x", 16, 1, 0, VM},
	{"vmovntpd m,y", MN(VMOVNTPD), E_V, "m y", 32, 1, 0, VM},
	{"vmovntdqa x,m", MN(VMOVNTDQA), E_V, "x m", 16, 1, 0, VM},
	{"vmovntdqa y,m", MN(VMOVNTDQA), E_V, "y m", 32, 1, 0, VM},
	{"vlddqu y,m", MN(VLDDQU), E_V, "y m", 32, 0, 0, VM},
	{"vmovss x,m32", MN(VMOVSS), E_V, "x m", 4, 0, 0, VM},
	{"vmovss m32,x", MN(VMOVSS), E_V, "m x", 4, 0, 0, VM},
	{"vmovsd x,m64", MN(VMOVSD), E_V, "x m", 8, 0, 0, VM},
	{"vmovsd m64,x", MN(VMOVSD), E_V, "m x", 8, 0, 0, VM},
	{"vmovlps x,x,m64", MN(VMOVLPS), E_V, "x x m", 8, 0, 0, VM},
	{"vmovlps m64,x", MN(VMOVLPS), E_V, "m x", 8, 0, 0, VM},
	{"vmovhps x,x,m64", MN(VMOVHPS), E_V, "x x m", 8, 0, 0, VM},
	{"vmovhps m64,x", MN(VMOVHPS), E_V, "m x", 8, 0, 0, VM},
	{"vmovlpd x,x,m64", MN(VMOVLPD), E_V, "x x m", 8, 0, 0, VM},
	{"vmovhpd x,x,m64", MN(VMOVHPD), E_V, "x x m", 8, 0, 0, VM},
	{"vmovhpd m64,x", MN(VMOVHPD), E_V, "m x", 8, 0, 0, VM},
	{"vpinsrb x,x,m8,i", MN(VPINSRB), E_V, "x x m i", 1, 0, 0, VM},
	{"vpinsrw x,x,m16,i", MN(VPINSRW), E_V, "x x m i", 2, 0, 0, VM},
	{"vpinsrd x,x,m32,i", MN(VPINSRD), E_V, "x x m i", 4, 0, 0, VM},
	{"vpinsrq x,x,m64,i", MN(VPINSRQ), E_V, "x x m i", 8, 0, 0, VM},
	{"vpextrb m8,x,i", MN(VPEXTRB), E_V, "m x i", 1, 0, 0, VM},
	{"vpextrw m16,x,i", MN(VPEXTRW), E_V, "m x i", 2, 0, 0, VM},
	{"vpextrd m32,x,i", MN(VPEXTRD), E_V, "m x i", 4, 0, 0, VM},
	{"vpextrq m64,x,i", MN(VPEXTRQ), E_V, "m x i", 8, 0, 0, VM},
	{"vextractps m32,x,i", MN(VEXTRACTPS), E_V, "m x i", 4, 0, 0, VM},
	{"vbroadcastss x,m32", MN(VBROADCASTSS), E_V, "x m", 4, 0, 0, VM},
	{"vbroadcastss y,m32", MN(VBROADCASTSS), E_V, "y m", 4, 0, 0, VM},
	{"vbroadcastsd y,m64", MN(VBROADCASTSD), E_V, "y m", 8, 0, 0, VM},
	{"vbroadcastf128 y,m", MN(VBROADCASTF128), E_V, "y m", 16, 0, 0, VM},
	{"vbroadcasti128 y,m", MN(VBROADCASTI128), E_V, "y m", 16, 0, 0, VM},
	{"vpbroadcastb x,m8", MN(VPBROADCASTB), E_V, "x m", 1, 0, 0, VM},
	{"vpbroadcastb y,m8", MN(VPBROADCASTB), E_V, "y m", 1, 0, 0, VM},
	{"vpbroadcastw y,m16", MN(VPBROADCASTW), E_V, "y m", 2, 0, 0, VM},
	{"vpbroadcastd x,m32", MN(VPBROADCASTD), E_V, "x m", 4, 0, 0, VM},
	{"vpbroadcastq y,m64", MN(VPBROADCASTQ), E_V, "y m", 8, 0, 0, VM},
	{"vmaskmovps x,x,m", MN(VMASKMOVPS), E_V, "x x m", 16, 0, 0, VM},
	{"vmaskmovps y,y,m", MN(VMASKMOVPS), E_V, "y y m", 32, 0, 0, VM},
	{"vmaskmovps m,y,y", MN(VMASKMOVPS), E_V, "m y y", 32, 0, 0, VM},
	{"vmaskmovpd x,x,m", MN(VMASKMOVPD), E_V, "x x m", 16, 0, 0, VM},
	{"vmaskmovpd m,x,x", MN(VMASKMOVPD), E_V, "m x x", 16, 0, 0, VM},
	{"vpmaskmovd y,y,m", MN(VPMASKMOVD), E_V, "y y m", 32, 0, 0, VM},
	{"vpmaskmovd m,x,x", MN(VPMASKMOVD), E_V, "m x x", 16, 0, 0, VM},
	{"vpmaskmovq x,x,m", MN(VPMASKMOVQ), E_V, "x x m", 16, 0, 0, VM},
	{"vpmaskmovq m,y,y", MN(VPMASKMOVQ), E_V, "m y y", 32, 0, 0, VM},
	{"vextractf128 m,y,i", MN(VEXTRACTF128), E_V, "m y i", 16, 0, 0, VM},
	{"vextracti128 m,y,i", MN(VEXTRACTI128), E_V, "m y i", 16, 0, 0, VM},
	{"vinsertf128 y,y,m,i", MN(VINSERTF128), E_V, "y y m i", 16, 0, 0, VM},
	{"vinserti128 y,y,m,i", MN(VINSERTI128), E_V, "y y m i", 16, 0, 0, VM},
	{"vmaskmovdqu x,x", MN(VMASKMOVDQU), E_V, "x x D", 16, 0, 0, VM},
	/* ---- EVEX moves ---- */
	{"vmovdqu8 z{k}{z},m", MN(VMOVDQU8), E_E, "z kz m", 64, 0, 0, VM},
	{"vmovdqu8 y{k}{z},m", MN(VMOVDQU8), E_E, "y kz m", 32, 0, 0, VM},
	{"vmovdqu8 m{k},z", MN(VMOVDQU8), E_E, "m k z", 64, 0, 0, VM},
	{"vmovdqu8 m{k},x", MN(VMOVDQU8), E_E, "m k x", 16, 0, 0, VM},
	{"vmovdqu16 z{k}{z},m", MN(VMOVDQU16), E_E, "z kz m", 64, 0, 0, VM},
	{"vmovdqu16 m{k},y", MN(VMOVDQU16), E_E, "m k y", 32, 0, 0, VM},
	{"vmovdqu32 x{k}{z},m", MN(VMOVDQU32), E_E, "x kz m", 16, 0, 0, VM},
	{"vmovdqu32 m{k},z", MN(VMOVDQU32), E_E, "m k z", 64, 0, 0, VM},
	{"vmovdqu64 z{k}{z},m", MN(VMOVDQU64), E_E, "z kz m", 64, 0, 0, VM},
	{"vmovdqu64 m{k},z", MN(VMOVDQU64), E_E, "m k z", 64, 0, 0, VM},
	{"vmovdqa32 z{k}{z},m", MN(VMOVDQA32), E_E, "z kz m", 64, 1, 0, VM},
	{"vmovdqa32 m{k},y", MN(VMOVDQA32), E_E, "m k y", 32, 1, 0, VM},
	{"vmovdqa64 y{k}{z},m", MN(VMOVDQA64), E_E, "y kz m", 32, 1, 0, VM},
	{"vmovdqa64 m{k},z", MN(VMOVDQA64), E_E, "m k z", 64, 1, 0, VM},
	{"vmovups z{k}{z},m", MN(VMOVUPS), E_E, "z kz m", 64, 0, 0, VM},
	{"vmovups m{k},z", MN(VMOVUPS), E_E, "m k z", 64, 0, 0, VM},
	{"vmovaps z{k}{z},m", MN(VMOVAPS), E_E, "z kz m", 64, 1, 0, VM},
	{"vmovaps m{k},x", MN(VMOVAPS), E_E, "m k x", 16, 1, 0, VM},
	{"vmovupd y{k}{z},m", MN(VMOVUPD), E_E, "y kz m", 32, 0, 0, VM},
	{"vmovupd m{k},z", MN(VMOVUPD), E_E, "m k z", 64, 0, 0, VM},
	{"vmovapd z{k}{z},m", MN(VMOVAPD), E_E, "z kz m", 64, 1, 0, VM},
	{"vmovapd m{k},z", MN(VMOVAPD), E_E, "m k z", 64, 1, 0, VM},
	{"vmovd x16-31,m32", MN(VMOVD), E_E, "x m", 4, 0, 0, VM},
	{"vmovd m32,x16-31", MN(VMOVD), E_E, "m x", 4, 0, 0, VM},
	{"vmovq x16-31,m64", MN(VMOVQ), E_E, "x m", 8, 0, 0, VM},
	{"vmovq m64,x16-31", MN(VMOVQ), E_E, "m x", 8, 0, 0, VM},
	{"vmovss x{k}{z},m32", MN(VMOVSS), E_E, "x kz m", 4, 0, 0, VM},
	{"vmovss m32{k},x", MN(VMOVSS), E_E, "m k x", 4, 0, 0, VM},
	{"vmovsd x{k}{z},m64", MN(VMOVSD), E_E, "x kz m", 8, 0, 0, VM},
	{"vmovsd m64{k},x", MN(VMOVSD), E_E, "m k x", 8, 0, 0, VM},
	{"vmovntdq m,z", MN(VMOVNTDQ), E_E, "m z", 64, 1, 0, VM},
	{"vmovntdqa z,m", MN(VMOVNTDQA), E_E, "z m", 64, 1, 0, VM},
	{"vmovhps x,x,m64 (evex)", MN(VMOVHPS), E_E, "x x m", 8, 0, 0, VM},
	{"vmovlpd m64,x (evex)", MN(VMOVLPD), E_E, "m x", 8, 0, 0, VM},
	{"vpinsrw x,x,m16,i (evex)", MN(VPINSRW), E_E, "x x m i", 2, 0, 0, VM},
	{"vpextrd m32,x,i (evex)", MN(VPEXTRD), E_E, "m x i", 4, 0, 0, VM},
	{"vbroadcastss z{k}{z},m32", MN(VBROADCASTSS), E_E, "z kz m", 4, 0, 0, VM},
	{"vbroadcastsd y{k}{z},m64", MN(VBROADCASTSD), E_E, "y kz m", 8, 0, 0, VM},
	{"vbroadcastf32x4 z{k}{z},m", MN(VBROADCASTF32X4), E_E, "z kz m", 16, 0, 0, VM},
	{"vbroadcasti64x4 z{k}{z},m", MN(VBROADCASTI64X4), E_E, "z kz m", 32, 0, 0, VM},
	{"vbroadcasti32x2 z{k}{z},m", MN(VBROADCASTI32X2), E_E, "z kz m", 8, 0, 0, VM},
	{"vpbroadcastb z{k}{z},m8", MN(VPBROADCASTB), E_E, "z kz m", 1, 0, 0, VM},
	{"vpbroadcastw x{k}{z},m16", MN(VPBROADCASTW), E_E, "x kz m", 2, 0, 0, VM},
	{"vpbroadcastq z{k}{z},m64", MN(VPBROADCASTQ), E_E, "z kz m", 8, 0, 0, VM},
	{"vextractf32x4 m{k},z,i", MN(VEXTRACTF32X4), E_E, "m k z i", 16, 0, 0, VM},
	{"vextracti64x4 m{k},z,i", MN(VEXTRACTI64X4), E_E, "m k z i", 32, 0, 0, VM},
	{"vextracti32x4 m{k},y,i", MN(VEXTRACTI32X4), E_E, "m k y i", 16, 0, 0, VM},
	{"vinsertf32x4 z{k}{z},z,m,i", MN(VINSERTF32X4), E_E, "z kz z m i", 16, 0, 0, VM},
	{"vinserti64x4 z{k}{z},z,m,i", MN(VINSERTI64X4), E_E, "z kz z m i", 32, 0, 0, VM},
	{"vinserti64x2 y{k}{z},y,m,i", MN(VINSERTI64X2), E_E, "y kz y m i", 16, 0, 0, VM},
	/* ---- displaced: vector ALU and friends ---- */
	{"paddd x,m", MN(PADDD), E_L, "x m", 16, 1, 0, VA},
	{"pxor x,m", MN(PXOR), E_L, "x m", 16, 1, 0, VA},
	{"addps x,m", MN(ADDPS), E_L, "x m", 16, 1, 0, VA},
	{"sqrtsd x,m64", MN(SQRTSD), E_L, "x m", 8, 0, 0, VA},
	{"pshufb x,m", MN(PSHUFB), E_L, "x m", 16, 1, 0, VA},
	{"pmovzxbd x,m32", MN(PMOVZXBD), E_L, "x m", 4, 0, 0, VA},
	{"ptest x,m", MN(PTEST), E_L, "x m", 16, 1, 0, VA},
	{"ucomiss x,m32", MN(UCOMISS), E_L, "x m", 4, 0, 0, VA},
	{"cvtsi2sd x,m64", MN(CVTSI2SD), E_L, "x m", 8, 0, 0, VA},
	{"cvttsd2si r8,m64", MN(CVTTSD2SI), E_L, "r8 m", 8, 0, 0, VA},
	{"insertps x,m32,i", MN(INSERTPS), E_L, "x m i", 4, 0, 0, VA},
	{"movddup x,m64", MN(MOVDDUP), E_L, "x m", 8, 0, 0, VA},
	{"vpaddd y,y,m", MN(VPADDD), E_V, "y y m", 32, 0, 0, VA},
	{"vpcmpeqb x,x,m", MN(VPCMPEQB), E_V, "x x m", 16, 0, 0, VA},
	{"vfmadd231ps y,y,m", MN(VFMADD231PS), E_V, "y y m", 32, 0, 0, VA},
	{"vpermd y,y,m", MN(VPERMD), E_V, "y y m", 32, 0, 0, VA},
	{"vpaddd z{k}{z},z,m/b", MN(VPADDD), E_E, "z kz z b", 64, 0, 4, VA},
	{"vpaddq x{k}{z},x,m/b", MN(VPADDQ), E_E, "x kz x b", 16, 0, 8, VA},
	{"vaddps y{k}{z},y,m/b", MN(VADDPS), E_E, "y kz y b", 32, 0, 4, VA},
	{"vpandq z{k}{z},z,m/b", MN(VPANDQ), E_E, "z kz z b", 64, 0, 8, VA},
	{"vpermd z{k}{z},z,m", MN(VPERMD), E_E, "z kz z m", 64, 0, 0, VA},
	{"vpmovzxbd z{k}{z},m128", MN(VPMOVZXBD), E_E, "z kz m", 16, 0, 0, VA},
	{"vcvtps2pd z{k}{z},m256", MN(VCVTPS2PD), E_E, "z kz m", 32, 0, 0, VA},
	{"vpaddb y{k}{z},y,m", MN(VPADDB), E_E, "y kz y m", 32, 0, 0, VA},
	{"vmulpd z{k}{z},z,m/b", MN(VMULPD), E_E, "z kz z b", 64, 0, 8, VA},
	{"vpcmpeqd K{k},z,m/b", MN(VPCMPEQD), E_E, "K k z b", 64, 0, 4, VA},
	{"vpcmpub K{k},y,m,i", MN(VPCMPUB), E_E, "K k y m i", 32, 0, 0, VA},
	{"vpcompressd m{k},z", MN(VPCOMPRESSD), E_E, "m k z", 64, 0, 0, VA},
	{"vpmovdb m{k},z", MN(VPMOVDB), E_E, "m k z", 16, 0, 0, VA},
	{"vpmovqw m{k},y", MN(VPMOVQW), E_E, "m k y", 8, 0, 0, VA},
	/* ---- displaced: integer forms the integer core leaves ---- */
	{"crc32 r4,m32", MN(CRC32), E_L, "r4 m", 4, 0, 0, OT},
	{"popcnt r8,m64", MN(POPCNT), E_L, "r8 m", 8, 0, 0, OT},
	{"lzcnt r4,m32", MN(LZCNT), E_L, "r4 m", 4, 0, 0, OT},
	{"tzcnt r8,m64", MN(TZCNT), E_L, "r8 m", 8, 0, 0, OT},
	{"bsf r8,m64", MN(BSF), E_L, "r8 m", 8, 0, 0, OT},
	{"bsr r4,m32", MN(BSR), E_L, "r4 m", 4, 0, 0, OT},
	{"imul r8,m64", MN(IMUL), E_L, "r8 m", 8, 0, 0, OT},
	{"imul r4,m32,i", MN(IMUL), E_L, "r4 m i", 4, 0, 0, OT},
	{"andn r8,r8,m64", MN(ANDN), E_V, "r8 r8 m", 8, 0, 0, OT},
	{"pdep r4,r4,m32", MN(PDEP), E_V, "r4 r4 m", 4, 0, 0, OT},
	{"shlx r8,m64,r8", MN(SHLX), E_V, "r8 m r8", 8, 0, 0, OT},
};
#define NFORMS (sizeof(forms) / sizeof(forms[0]))

/* ---- memory and emulator callbacks ------------------------------------------- */

#define MEMSZ 1024u
#define MEMOFF 384u /* operand placed in [MEMOFF, MEMOFF+256) */

static uint8_t mem0[MEMSZ] __attribute__((aligned(64)));
/* The CPU's buffer: in the low 2 GiB when possible (MAP_32BIT), so that
 * 32-bit addressing (0x67) and RIP-relative operands from the runner's stub
 * can reach it. */
static uint8_t *memA;
static int memA_low;
static unsigned amode_count[3];
static uint8_t memA2[MEMSZ] __attribute__((aligned(64)));
static uint8_t memB[MEMSZ] __attribute__((aligned(64)));
static uint8_t wrote[MEMSZ];
static uint8_t readb[MEMSZ]; /* bytes the emulator read */

struct acc_rec {
	uint64_t addr;
	unsigned size, flags;
	int write;
};

struct ctx {
	struct mt_xstate *st;
	int bad;       /* access outside the buffer */
	unsigned nacc;
	unsigned nwrite;
	unsigned npartial;
	struct acc_rec log[64]; /* the first 64 accesses, in order */
	uint64_t guard_hit;     /* first access refused on the guard page */
};

static void log_access(struct ctx *c, uint64_t addr, unsigned size,
		       unsigned flags, int write)
{
	if (c->nacc < 64)
		c->log[c->nacc] = (struct acc_rec){ addr, size, flags, write };
}

/* The emulator's view: addresses in [xl_native, xl_native + MEMSZ) are
 * served from xl_copy (memA -> memB; the fault tests switch to their own
 * pair); an access to [xl_guard, xl_guard + 4096) fails like a fault. */
static uint8_t *xl_native, *xl_copy = memB;
static uint64_t xl_guard;

static uint8_t *xlate(struct ctx *c, uint64_t addr, unsigned size)
{
	uint64_t a = (uint64_t)(uintptr_t)xl_native;
	if (xl_guard && addr + size > xl_guard && addr < xl_guard + 4096) {
		if (!c->guard_hit)
			c->guard_hit = addr;
		return NULL;
	}
	if (addr < a || addr + size > a + MEMSZ || size == 0 || size > 64) {
		c->bad = 1;
		return NULL;
	}
	return xl_copy + (addr - a);
}

static int cb_read(void *o, uint64_t addr, void *buf, unsigned size,
		   unsigned flags)
{
	struct ctx *c = o;
	uint8_t *p = xlate(c, addr, size);
	if (!p)
		return -14;
	memcpy(buf, p, size);
	memset(readb + (p - xl_copy), 1, size);
	log_access(c, addr, size, flags, 0);
	c->nacc++;
	return 0;
}

static int cb_write(void *o, uint64_t addr, const void *buf, unsigned size,
		    unsigned flags)
{
	struct ctx *c = o;
	uint8_t *p = xlate(c, addr, size);
	if (!p)
		return -14;
	memcpy(p, buf, size);
	for (unsigned i = 0; i < size; i++)
		wrote[p - xl_copy + i] = 1;
	log_access(c, addr, size, flags, 1);
	c->nacc++;
	c->nwrite++;
	if (flags & MT_ACC_PARTIAL)
		c->npartial++;
	return 0;
}

static int cb_vget(void *o, unsigned idx, void *buf, unsigned size)
{
	struct ctx *c = o;
	if (idx >= 32 || size > 64)
		return -22;
	memcpy(buf, c->st->zmm[idx], size);
	return 0;
}

static int cb_vset(void *o, unsigned idx, const void *buf, unsigned size)
{
	struct ctx *c = o;
	if (idx >= 32 || size > 64)
		return -22;
	memcpy(c->st->zmm[idx], buf, size);
	return 0;
}

static int cb_kget(void *o, unsigned idx, uint64_t *v)
{
	struct ctx *c = o;
	if (idx >= 8)
		return -22;
	*v = c->st->k[idx];
	return 0;
}

static int cb_kset(void *o, unsigned idx, uint64_t v)
{
	struct ctx *c = o;
	if (idx >= 8)
		return -22;
	c->st->k[idx] = v;
	return 0;
}

static int cb_exec(void *o, struct mt_cpu *cpu, const struct mt_displaced *x)
{
	struct ctx *c = o;
	int rc;

	if (((uintptr_t)x->scratch & 63) || x->len == 0 || x->len > 15)
		return -22;
	memcpy(c->st->gpr, cpu->gpr, sizeof(c->st->gpr));
	c->st->rflags = cpu->rflags;
	rc = mt_xrun_displaced(x->code, x->len, x->scratch_reg, x->scratch, c->st);
	if (rc)
		return rc;
	for (unsigned i = 0; i < 16; i++)
		if (i != MT_RSP)
			cpu->gpr[i] = c->st->gpr[i];
	cpu->rflags = (cpu->rflags & ~(uint64_t)MT_XRUN_FLAGS_MASK) |
		      (c->st->rflags & MT_XRUN_FLAGS_MASK);
	return 0;
}

static const struct mt_emu_ops ops = {
	.mem_read = cb_read, .mem_write = cb_write,
	.vec_get = cb_vget, .vec_set = cb_vset,
	.kmask_get = cb_kget, .kmask_set = cb_kset,
	.exec_displaced = cb_exec,
};

/* ---- case generation ---------------------------------------------------------- */

static ZydisRegister gpr64(unsigned i) { return (ZydisRegister)(ZYDIS_REGISTER_RAX + i); }
static ZydisRegister gpr32(unsigned i) { return (ZydisRegister)(ZYDIS_REGISTER_EAX + i); }

struct gen {
	uint8_t code[16];
	size_t len;
	uint64_t addr;      /* address of the memory operand in memA */
	int write_only;     /* memory operand only written */
	int amode;          /* 0 [b+i*s+d], 1 32-bit addressing, 2 RIP-relative */
	int encode_failed;
};

/* Pick a GPR not in *used (never RSP), mark it used. */
static unsigned pick_gpr(uint32_t *used)
{
	for (;;) {
		unsigned r = rndn(16);
		if (r == MT_RSP || (*used & (1u << r)))
			continue;
		*used |= 1u << r;
		return r;
	}
}

static int gen_case(const struct form *f, struct mt_xstate *st, struct gen *g)
{
	ZydisEncoderRequest req;
	const char *p = f->pat;
	uint32_t used = 1u << MT_RSP;
	unsigned nvreg = f->enc == E_E ? 32 : 16;
	unsigned msize = f->msize;
	int bcast = 0, hidden_rdi = 0;
	ZydisEncoderOperand *mop = NULL;
	unsigned vbytes = 16;

	memset(&req, 0, sizeof(req));
	req.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
	req.allowed_encodings = f->enc;
	req.mnemonic = f->mn;
	g->write_only = 0;

	if (strchr(p, 'D'))
		used |= 1u << MT_RDI;
	while (*p) {
		ZydisEncoderOperand *op = &req.operands[req.operand_count];
		char t = *p;
		int zero_ok = p[1] == 'z';
		int r8 = p[1] == '8';

		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
		switch (t) {
		case 'x': case 'y': case 'z': {
			unsigned r = rndn(nvreg);
			ZydisRegister base = t == 'x' ? ZYDIS_REGISTER_XMM0 :
					     t == 'y' ? ZYDIS_REGISTER_YMM0 :
							ZYDIS_REGISTER_ZMM0;
			/* EVEX-only forms of VMOVD/Q/HPS...: use 16-31 */
			if (f->enc == E_E && !strchr(f->pat, 'k') &&
			    !strchr(f->pat, 'K'))
				r = 16 + rndn(16);
			vbytes = t == 'x' ? 16 : t == 'y' ? 32 : 64;
			op->type = ZYDIS_OPERAND_TYPE_REGISTER;
			op->reg.value = (ZydisRegister)(base + r);
			req.operand_count++;
			break;
		}
		case 'k': {
			unsigned mode = rndn(zero_ok ? 3 : 2);
			/* the encoder wants the opmask operand: k0 = none */
			op->type = ZYDIS_OPERAND_TYPE_REGISTER;
			op->reg.value = mode == 0 ? ZYDIS_REGISTER_K0 :
				(ZydisRegister)(ZYDIS_REGISTER_K1 + rndn(7));
			req.evex.zeroing_mask = mode == 2;
			req.operand_count++;
			break;
		}
		case 'K':
			op->type = ZYDIS_OPERAND_TYPE_REGISTER;
			op->reg.value = (ZydisRegister)(ZYDIS_REGISTER_K0 + rndn(8));
			req.operand_count++;
			break;
		case 'r': {
			unsigned r = pick_gpr(&used);
			op->type = ZYDIS_OPERAND_TYPE_REGISTER;
			op->reg.value = r8 ? gpr64(r) : gpr32(r);
			req.operand_count++;
			break;
		}
		case 'i':
			op->type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
			op->imm.u = rnd() & 0xff;
			req.operand_count++;
			break;
		case 'm': case 'b':
			op->type = ZYDIS_OPERAND_TYPE_MEMORY;
			mop = op;
			if (t == 'b' && rndn(2)) {
				bcast = 1;
				msize = f->bsize;
			}
			req.operand_count++;
			break;
		case 'D':
			hidden_rdi = 1;
			break;
		default:
			return -1;
		}
	}
	if (bcast) {
		unsigned n = vbytes / f->bsize;
		req.evex.broadcast = n == 2 ? ZYDIS_BROADCAST_MODE_1_TO_2 :
				     n == 4 ? ZYDIS_BROADCAST_MODE_1_TO_4 :
				     n == 8 ? ZYDIS_BROADCAST_MODE_1_TO_8 :
					      ZYDIS_BROADCAST_MODE_1_TO_16;
	}

	/* operand address inside memA */
	{
		unsigned span = 256 - 64, off = rndn(span);
		if (f->align)
			off &= ~(msize - 1u);
		g->addr = (uint64_t)(uintptr_t)memA + MEMOFF + off;
	}
	g->amode = 0;
	if (hidden_rdi) {
		st->gpr[MT_RDI] = g->addr;
	} else if (mop && memA_low && rndn(4) == 0) {
		/* RIP-relative: the encoder turns the absolute address into
		 * a displacement from the runner's instruction address */
		mop->mem.base = ZYDIS_REGISTER_RIP;
		mop->mem.size = (ZyanU16)msize;
		mop->mem.displacement = (ZyanI64)g->addr;
		g->amode = 2;
	} else if (mop && memA_low && rndn(3) == 0) {
		/* 32-bit addressing (0x67): [ebase + disp] */
		unsigned base = pick_gpr(&used);
		int64_t disp = (int64_t)rndn(256) - 128;
		mop->mem.base = gpr32(base);
		mop->mem.size = (ZyanU16)msize;
		mop->mem.displacement = disp;
		st->gpr[base] = (rnd() << 32) |
				(uint32_t)(g->addr - (uint64_t)disp);
		g->amode = 1;
	} else if (mop) {
		/* [base + index*scale + disp] with random parts */
		unsigned base = pick_gpr(&used);
		int64_t disp = 0;
		uint64_t rest = g->addr;

		mop->mem.base = gpr64(base);
		mop->mem.size = (ZyanU16)msize;
		switch (rndn(3)) {
		case 0: disp = 0; break;
		case 1: disp = (int64_t)rndn(256) - 128; break;
		default: disp = (int64_t)(rnd() % 0x200000) - 0x100000; break;
		}
		if (rndn(2)) {
			unsigned idx = pick_gpr(&used);
			unsigned sc = 1u << rndn(4);
			int64_t iv = (int64_t)rndn(4096) - 2048;
			mop->mem.index = gpr64(idx);
			mop->mem.scale = (ZyanU8)sc;
			st->gpr[idx] = (uint64_t)iv;
			rest -= (uint64_t)(iv * (int64_t)sc);
		}
		mop->mem.displacement = disp;
		st->gpr[base] = rest - (uint64_t)disp;
	}
	g->len = sizeof(g->code);
	if (g->amode == 2) {
		if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstructionAbsolute(
			    &req, g->code, &g->len, mt_xrun_code_address())))
			return -1;
	} else if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&req, g->code,
								 &g->len))) {
		return -1;
	}
	return 0;
}

/* ---- one case ------------------------------------------------------------------- */

static int compare(const struct form *f, const struct mt_xstate *n,
		   const struct mt_xstate *e, char *why, size_t wl)
{
	for (unsigned i = 0; i < 16; i++)
		if (i != MT_RSP && n->gpr[i] != e->gpr[i]) {
			snprintf(why, wl, "gpr%u native %#llx emu %#llx", i,
				 (unsigned long long)n->gpr[i],
				 (unsigned long long)e->gpr[i]);
			return 1;
		}
	if ((n->rflags ^ e->rflags) & MT_XRUN_FLAGS_MASK) {
		snprintf(why, wl, "rflags native %#llx emu %#llx",
			 (unsigned long long)n->rflags, (unsigned long long)e->rflags);
		return 1;
	}
	if (n->mxcsr != e->mxcsr) {
		snprintf(why, wl, "mxcsr native %#x emu %#x", n->mxcsr, e->mxcsr);
		return 1;
	}
	for (unsigned i = 0; i < 8; i++)
		if (n->k[i] != e->k[i]) {
			snprintf(why, wl, "k%u native %#llx emu %#llx", i,
				 (unsigned long long)n->k[i],
				 (unsigned long long)e->k[i]);
			return 1;
		}
	for (unsigned i = 0; i < 32; i++)
		for (unsigned b = 0; b < 64; b++)
			if (n->zmm[i][b] != e->zmm[i][b]) {
				snprintf(why, wl, "zmm%u byte %u native %02x emu %02x",
					 i, b, n->zmm[i][b], e->zmm[i][b]);
				return 1;
			}
	for (unsigned b = 0; b < MEMSZ; b++)
		if (memA[b] != memB[b]) {
			snprintf(why, wl, "mem byte %u native %02x emu %02x", b,
				 memA[b], memB[b]);
			return 1;
		}
	(void)f;
	return 0;
}

/* The memory operand (explicit or hidden, e.g. MASKMOVDQU's [rdi]). */
static int mem_operand(const struct mt_decoded *d)
{
	for (unsigned i = 0; i < d->insn.operand_count; i++)
		if (d->ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    d->ops[i].mem.type == ZYDIS_MEMOP_TYPE_MEM)
			return (int)i;
	return -1;
}

static void dump_code(const struct gen *g)
{
	for (size_t i = 0; i < g->len; i++)
		fprintf(stderr, "%02x ", g->code[i]);
}

/* Returns 0 ok, 1 mismatch, 2 form could not be generated. */
static int run_case(const struct form *f, unsigned *nacc_total,
		    unsigned *partial_seen)
{
	static struct mt_xstate st0, stn, stn2, ste;
	struct mt_decoded d;
	struct mt_cpu cpu;
	struct gen g;
	struct ctx c = {0};
	char why[160];
	int rc, mi;

	for (unsigned i = 0; i < 16; i++)
		st0.gpr[i] = rnd();
	st0.rflags = 0x202 | (rnd() & 0x8d5); /* CF PF AF ZF SF OF, DF clear */
	st0.mxcsr = 0x1f80 | ((unsigned)rndn(4) << 13);
	for (unsigned i = 0; i < 8; i++)
		st0.k[i] = rndn(8) == 0 ? 0 : rndn(8) == 0 ? ~0ull : rnd();
	for (unsigned i = 0; i < 32; i++)
		for (unsigned b = 0; b < 64; b += 8) {
			uint64_t v = rnd();
			memcpy(&st0.zmm[i][b], &v, 8);
		}
	for (unsigned b = 0; b < MEMSZ; b += 8) {
		uint64_t v = rnd();
		memcpy(&mem0[b], &v, 8);
	}
	if (gen_case(f, &st0, &g)) {
		if (getenv("VEC_ORACLE_DEBUG"))
			fprintf(stderr, "%s: not encodable\n", f->name);
		return 2;
	}

	amode_count[g.amode]++;

	/* native on memA */
	stn = st0;
	memcpy(memA, mem0, MEMSZ);
	if (mt_xrun(g.code, g.len, &stn)) {
		fprintf(stderr, "%s: mt_xrun failed\n", f->name);
		return 1;
	}

	/* emulated on memB */
	memcpy(memB, mem0, MEMSZ);
	memset(wrote, 0, sizeof(wrote));
	memset(readb, 0, sizeof(readb));
	ste = st0;
	c.st = &ste;
	memset(&cpu, 0, sizeof(cpu));
	memcpy(cpu.gpr, st0.gpr, sizeof(cpu.gpr));
	cpu.rflags = st0.rflags;
	cpu.rip = mt_xrun_code_address();
	rc = mt_decode(&d, g.code, g.len, cpu.rip);
	if (rc) {
		why[0] = 0;
		snprintf(why, sizeof(why), "decode: %s", mt_emu_strerror(rc));
		goto mismatch;
	}
	if (d.family != f->expect_family) {
		snprintf(why, sizeof(why), "family %s, expected %s",
			 mt_family_name((enum mt_family)d.family),
			 mt_family_name((enum mt_family)f->expect_family));
		goto mismatch;
	}
	if (!mt_emu_supported(&d, &ops)) {
		snprintf(why, sizeof(why), "not supported");
		goto mismatch;
	}
	rc = mt_emulate(&d, &cpu, &ops, &c);
	if (rc || c.bad) {
		snprintf(why, sizeof(why), "emulate: %s%s", mt_emu_strerror(rc),
			 c.bad ? " (access outside the operand buffer)" : "");
		goto mismatch;
	}
	if (cpu.rip != mt_xrun_code_address() + g.len) {
		snprintf(why, sizeof(why), "rip not advanced by %zu", g.len);
		goto mismatch;
	}
	for (unsigned i = 0; i < 16; i++)
		if (i != MT_RSP)
			ste.gpr[i] = cpu.gpr[i];
	ste.rflags = cpu.rflags;
	if (compare(f, &stn, &ste, why, sizeof(why)))
		goto mismatch;

	mi = mem_operand(&d);
	/* masked EVEX memory source with fault suppression (SDM: exception
	 * classes E1-E6 without NF): exactly the selected elements are read,
	 * a broadcast element iff any is selected; other classes read all */
	if (mi >= 0 && f->expect_family == VA &&
	    d.insn.encoding == ZYDIS_INSTRUCTION_ENCODING_EVEX &&
	    (d.ops[mi].actions & ZYDIS_OPERAND_ACTION_MASK_READ) &&
	    !(d.ops[mi].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) &&
	    d.ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER) {
		unsigned size = d.ops[mi].size / 8u, es = d.ops[mi].element_size / 8u;
		/* elements: of the destination, or of the vector source when
		 * the destination is an opmask (compares) */
		const ZydisDecodedOperand *ev = &d.ops[0];
		for (unsigned i = 1; ev->reg.value >= ZYDIS_REGISTER_K0 &&
				     ev->reg.value <= ZYDIS_REGISTER_K7 && i < d.insn.operand_count_visible; i++)
			if (d.ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
			    d.ops[i].reg.value >= ZYDIS_REGISTER_XMM0 && d.ops[i].reg.value <= ZYDIS_REGISTER_ZMM31)
				ev = &d.ops[i];
		unsigned ndst = ev->element_size ? ev->size / ev->element_size : 1;
		int bc = d.insn.avx.broadcast.mode != ZYDIS_BROADCAST_MODE_INVALID;
		int nf = 1;
		uint64_t k = ~0ull;
		size_t off = (size_t)(g.addr - (uint64_t)(uintptr_t)memA);

		switch (d.insn.meta.exception_class) {
		case ZYDIS_EXCEPTION_CLASS_E1: case ZYDIS_EXCEPTION_CLASS_E2:
		case ZYDIS_EXCEPTION_CLASS_E3: case ZYDIS_EXCEPTION_CLASS_E4:
		case ZYDIS_EXCEPTION_CLASS_E5: case ZYDIS_EXCEPTION_CLASS_E6:
			nf = 0;
			break;
		default:
			break;
		}
		if (d.insn.avx.mask.reg >= ZYDIS_REGISTER_K1 && d.insn.avx.mask.reg <= ZYDIS_REGISTER_K7)
			k = st0.k[d.insn.avx.mask.reg - ZYDIS_REGISTER_K0];
		if (ndst < 64)
			k &= (1ull << ndst) - 1;
		for (unsigned b = 0; b < size && off + b < MEMSZ; b++) {
			int want = nf ? 1 : bc ? k != 0 : (int)((k >> (b / (es ? es : 1))) & 1);
			if (readb[off + b] != want) {
				snprintf(why, sizeof(why), "operand byte %u %sread (mask %#llx, es %u)",
					 b, want ? "not " : "", (unsigned long long)k, es);
				goto mismatch;
			}
		}
	}
	/* write-only memory operand: emulator's written bytes == CPU's */
	if (mi >= 0 &&
	    (d.ops[mi].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) &&
	    !(d.ops[mi].actions & ZYDIS_OPERAND_ACTION_MASK_READ)) {
		/* run again over the complement (the operand address is
		 * inside memA: keep the first result in memA2) */
		stn2 = st0;
		memcpy(memA2, memA, MEMSZ);
		for (unsigned b = 0; b < MEMSZ; b++)
			memA[b] = (uint8_t)~mem0[b];
		if (mt_xrun(g.code, g.len, &stn2)) {
			snprintf(why, sizeof(why), "mt_xrun (probe) failed");
			goto mismatch;
		}
		for (unsigned b = 0; b < MEMSZ; b++) {
			int cpu_wrote = memA[b] == memA2[b];
			if (cpu_wrote != wrote[b]) {
				snprintf(why, sizeof(why),
					 "byte %u written by %s only", b,
					 cpu_wrote ? "the CPU" : "the emulator");
				goto mismatch;
			}
		}
		/* MT_ACC_PARTIAL exactly when only part of the operand is
		 * written; a full write is one access */
		{
			unsigned size = d.ops[mi].size / 8u, w = 0;
			size_t off = (size_t)(g.addr - (uint64_t)(uintptr_t)memA);
			for (unsigned b = 0; b < size && off + b < MEMSZ; b++)
				w += wrote[off + b];
			if ((w == size && (c.nwrite != 1 || c.npartial)) ||
			    (w && w < size && c.npartial != c.nwrite) ||
			    (!w && c.nwrite)) {
				snprintf(why, sizeof(why),
					 "%u of %u bytes written in %u accesses, %u flagged partial",
					 w, size, c.nwrite, c.npartial);
				goto mismatch;
			}
		}
	}
	*nacc_total += c.nacc;
	if (c.nacc == 0)
		(*partial_seen)++;
	return 0;

mismatch:
	fprintf(stderr, "MISMATCH %s: %s; code ", f->name, why);
	dump_code(&g);
	fprintf(stderr, "\n");
	return 1;
}

/*
 * Backends without some callbacks (the kernel has no exec_displaced):
 * displaced forms must then be unsupported and refused, explicit moves
 * still supported; without vec_get/vec_set nothing here is supported;
 * without kmask_get only unmasked forms are. Returns mismatches.
 */
static unsigned check_support_matrix(void)
{
	struct mt_emu_ops nodisp = ops, novec = ops, nok = ops;
	static struct mt_xstate st;
	unsigned bad = 0;

	nodisp.exec_displaced = NULL;
	novec.vec_get = NULL;
	novec.vec_set = NULL;
	nok.kmask_get = NULL;
	for (unsigned fi = 0; fi < NFORMS; fi++) {
		const struct form *f = &forms[fi];
		struct mt_decoded d;
		struct mt_cpu cpu = {0};
		struct gen g;
		struct ctx c = {.st = &st};
		int explicit_mov = f->expect_family == MT_FAM_VMOV;
		int masked, rc;

		if (gen_case(f, &st, &g) || mt_decode(&d, g.code, g.len, 0))
			continue;
		masked = d.insn.encoding == ZYDIS_INSTRUCTION_ENCODING_EVEX &&
			 d.insn.avx.mask.reg >= ZYDIS_REGISTER_K1 &&
			 d.insn.avx.mask.reg <= ZYDIS_REGISTER_K7;
		if (mt_emu_supported(&d, &nodisp) != explicit_mov) {
			fprintf(stderr, "%s: supported without exec_displaced: %d\n",
				f->name, !explicit_mov);
			bad++;
		}
		if (!explicit_mov) {
			rc = mt_emulate(&d, &cpu, &nodisp, &c);
			if (rc != MT_EMU_UNSUPPORTED || c.nacc) {
				fprintf(stderr, "%s: emulate without exec_displaced: %s, %u accesses\n",
					f->name, mt_emu_strerror(rc), c.nacc);
				bad++;
			}
		}
		if (explicit_mov && mt_emu_supported(&d, &novec)) {
			fprintf(stderr, "%s: supported without vec_get/vec_set\n", f->name);
			bad++;
		}
		if (explicit_mov && mt_emu_supported(&d, &nok) == masked) {
			fprintf(stderr, "%s: kmask_get NULL, masked %d, supported %d\n",
				f->name, masked, !masked);
			bad++;
		}
	}
	printf("support matrix (no exec_displaced / no vec / no kmask): %u mismatches\n", bad);
	return bad;
}

/* ---- gathers and scatters (VSIB) ---------------------------------------------- */

/*
 * Every AVX2 gather (VEX: destination, [base + vindex*scale + disp], vector
 * mask) and AVX-512 gather and scatter (EVEX, opmask k1-k7, merging), in
 * each data/index register width. Per case: random registers (destination,
 * index and mask all different for AVX2; destination != index for AVX-512
 * gathers, as the CPU requires; a scatter's index may be its source),
 * random mask (all, none or random elements; AVX2 mask elements with
 * random low bits; opmask bits above the element count random), random
 * scale, and indices that put every selected element inside the buffer:
 * negative ones, repeated ones, for scatters overlapping ones (partially,
 * with scale 1), a random bias so that indices are large, and garbage in
 * unselected elements (the CPU does not touch those). Addressing: base +
 * disp, 32-bit base (0x67, wrapping past 4 GiB), or no base (disp32).
 * Checked beyond the full state and memory: one access per selected
 * element, in element order, at its address, of the element size, flagged
 * MT_ACC_PARTIAL; for scatters, the bytes written equal those the CPU wrote.
 */
struct gform {
	const char *name;
	ZydisMnemonic mn;
	ZydisEncodableEncoding enc;
	char data, index;  /* register widths: 'x' 'y' 'z' */
	unsigned es, isz;  /* element bytes, index element bytes */
	int scatter;
};

static const struct gform gforms[] = {
	/* ---- AVX2 ---- */
	{"vpgatherdd x,[x],x", MN(VPGATHERDD), E_V, 'x', 'x', 4, 4, 0},
	{"vpgatherdd y,[y],y", MN(VPGATHERDD), E_V, 'y', 'y', 4, 4, 0},
	{"vpgatherdq x,[x],x", MN(VPGATHERDQ), E_V, 'x', 'x', 8, 4, 0},
	{"vpgatherdq y,[x],y", MN(VPGATHERDQ), E_V, 'y', 'x', 8, 4, 0},
	{"vpgatherqd x,[x],x", MN(VPGATHERQD), E_V, 'x', 'x', 4, 8, 0},
	{"vpgatherqd x,[y],x", MN(VPGATHERQD), E_V, 'x', 'y', 4, 8, 0},
	{"vpgatherqq x,[x],x", MN(VPGATHERQQ), E_V, 'x', 'x', 8, 8, 0},
	{"vpgatherqq y,[y],y", MN(VPGATHERQQ), E_V, 'y', 'y', 8, 8, 0},
	{"vgatherdps x,[x],x", MN(VGATHERDPS), E_V, 'x', 'x', 4, 4, 0},
	{"vgatherdps y,[y],y", MN(VGATHERDPS), E_V, 'y', 'y', 4, 4, 0},
	{"vgatherdpd x,[x],x", MN(VGATHERDPD), E_V, 'x', 'x', 8, 4, 0},
	{"vgatherdpd y,[x],y", MN(VGATHERDPD), E_V, 'y', 'x', 8, 4, 0},
	{"vgatherqps x,[x],x", MN(VGATHERQPS), E_V, 'x', 'x', 4, 8, 0},
	{"vgatherqps x,[y],x", MN(VGATHERQPS), E_V, 'x', 'y', 4, 8, 0},
	{"vgatherqpd x,[x],x", MN(VGATHERQPD), E_V, 'x', 'x', 8, 8, 0},
	{"vgatherqpd y,[y],y", MN(VGATHERQPD), E_V, 'y', 'y', 8, 8, 0},
	/* ---- AVX-512 gathers ---- */
	{"vpgatherdd x{k},[x]", MN(VPGATHERDD), E_E, 'x', 'x', 4, 4, 0},
	{"vpgatherdd y{k},[y]", MN(VPGATHERDD), E_E, 'y', 'y', 4, 4, 0},
	{"vpgatherdd z{k},[z]", MN(VPGATHERDD), E_E, 'z', 'z', 4, 4, 0},
	{"vpgatherdq x{k},[x]", MN(VPGATHERDQ), E_E, 'x', 'x', 8, 4, 0},
	{"vpgatherdq y{k},[x]", MN(VPGATHERDQ), E_E, 'y', 'x', 8, 4, 0},
	{"vpgatherdq z{k},[y]", MN(VPGATHERDQ), E_E, 'z', 'y', 8, 4, 0},
	{"vpgatherqd x{k},[x]", MN(VPGATHERQD), E_E, 'x', 'x', 4, 8, 0},
	{"vpgatherqd x{k},[y]", MN(VPGATHERQD), E_E, 'x', 'y', 4, 8, 0},
	{"vpgatherqd y{k},[z]", MN(VPGATHERQD), E_E, 'y', 'z', 4, 8, 0},
	{"vpgatherqq x{k},[x]", MN(VPGATHERQQ), E_E, 'x', 'x', 8, 8, 0},
	{"vpgatherqq y{k},[y]", MN(VPGATHERQQ), E_E, 'y', 'y', 8, 8, 0},
	{"vpgatherqq z{k},[z]", MN(VPGATHERQQ), E_E, 'z', 'z', 8, 8, 0},
	{"vgatherdps x{k},[x]", MN(VGATHERDPS), E_E, 'x', 'x', 4, 4, 0},
	{"vgatherdps y{k},[y]", MN(VGATHERDPS), E_E, 'y', 'y', 4, 4, 0},
	{"vgatherdps z{k},[z]", MN(VGATHERDPS), E_E, 'z', 'z', 4, 4, 0},
	{"vgatherdpd x{k},[x]", MN(VGATHERDPD), E_E, 'x', 'x', 8, 4, 0},
	{"vgatherdpd y{k},[x]", MN(VGATHERDPD), E_E, 'y', 'x', 8, 4, 0},
	{"vgatherdpd z{k},[y]", MN(VGATHERDPD), E_E, 'z', 'y', 8, 4, 0},
	{"vgatherqps x{k},[x]", MN(VGATHERQPS), E_E, 'x', 'x', 4, 8, 0},
	{"vgatherqps x{k},[y]", MN(VGATHERQPS), E_E, 'x', 'y', 4, 8, 0},
	{"vgatherqps y{k},[z]", MN(VGATHERQPS), E_E, 'y', 'z', 4, 8, 0},
	{"vgatherqpd x{k},[x]", MN(VGATHERQPD), E_E, 'x', 'x', 8, 8, 0},
	{"vgatherqpd y{k},[y]", MN(VGATHERQPD), E_E, 'y', 'y', 8, 8, 0},
	{"vgatherqpd z{k},[z]", MN(VGATHERQPD), E_E, 'z', 'z', 8, 8, 0},
	/* ---- AVX-512 scatters ---- */
	{"vpscatterdd [x]{k},x", MN(VPSCATTERDD), E_E, 'x', 'x', 4, 4, 1},
	{"vpscatterdd [y]{k},y", MN(VPSCATTERDD), E_E, 'y', 'y', 4, 4, 1},
	{"vpscatterdd [z]{k},z", MN(VPSCATTERDD), E_E, 'z', 'z', 4, 4, 1},
	{"vpscatterdq [x]{k},x", MN(VPSCATTERDQ), E_E, 'x', 'x', 8, 4, 1},
	{"vpscatterdq [x]{k},y", MN(VPSCATTERDQ), E_E, 'y', 'x', 8, 4, 1},
	{"vpscatterdq [y]{k},z", MN(VPSCATTERDQ), E_E, 'z', 'y', 8, 4, 1},
	{"vpscatterqd [x]{k},x", MN(VPSCATTERQD), E_E, 'x', 'x', 4, 8, 1},
	{"vpscatterqd [y]{k},x", MN(VPSCATTERQD), E_E, 'x', 'y', 4, 8, 1},
	{"vpscatterqd [z]{k},y", MN(VPSCATTERQD), E_E, 'y', 'z', 4, 8, 1},
	{"vpscatterqq [x]{k},x", MN(VPSCATTERQQ), E_E, 'x', 'x', 8, 8, 1},
	{"vpscatterqq [y]{k},y", MN(VPSCATTERQQ), E_E, 'y', 'y', 8, 8, 1},
	{"vpscatterqq [z]{k},z", MN(VPSCATTERQQ), E_E, 'z', 'z', 8, 8, 1},
	{"vscatterdps [x]{k},x", MN(VSCATTERDPS), E_E, 'x', 'x', 4, 4, 1},
	{"vscatterdps [y]{k},y", MN(VSCATTERDPS), E_E, 'y', 'y', 4, 4, 1},
	{"vscatterdps [z]{k},z", MN(VSCATTERDPS), E_E, 'z', 'z', 4, 4, 1},
	{"vscatterdpd [x]{k},x", MN(VSCATTERDPD), E_E, 'x', 'x', 8, 4, 1},
	{"vscatterdpd [x]{k},y", MN(VSCATTERDPD), E_E, 'y', 'x', 8, 4, 1},
	{"vscatterdpd [y]{k},z", MN(VSCATTERDPD), E_E, 'z', 'y', 8, 4, 1},
	{"vscatterqps [x]{k},x", MN(VSCATTERQPS), E_E, 'x', 'x', 4, 8, 1},
	{"vscatterqps [y]{k},x", MN(VSCATTERQPS), E_E, 'x', 'y', 4, 8, 1},
	{"vscatterqps [z]{k},y", MN(VSCATTERQPS), E_E, 'y', 'z', 4, 8, 1},
	{"vscatterqpd [x]{k},x", MN(VSCATTERQPD), E_E, 'x', 'x', 8, 8, 1},
	{"vscatterqpd [y]{k},y", MN(VSCATTERQPD), E_E, 'y', 'y', 8, 8, 1},
	{"vscatterqpd [z]{k},z", MN(VSCATTERQPD), E_E, 'z', 'z', 8, 8, 1},
};
#define NGFORMS (sizeof(gforms) / sizeof(gforms[0]))

static unsigned vwidth(char c) { return c == 'x' ? 16u : c == 'y' ? 32u : 64u; }

static ZydisRegister vreg(char c, unsigned i)
{
	return (ZydisRegister)((c == 'x' ? ZYDIS_REGISTER_XMM0 :
				c == 'y' ? ZYDIS_REGISTER_YMM0 : ZYDIS_REGISTER_ZMM0) + i);
}

static unsigned gf_count(const struct gform *gf)
{
	unsigned a = vwidth(gf->data) / gf->es, b = vwidth(gf->index) / gf->isz;
	return a < b ? a : b;
}

/* floor and ceiling of a / b for b > 0 */
static int64_t fdiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
static int64_t cdiv(int64_t a, int64_t b) { return -fdiv(-a, b); }

struct ggen {
	uint8_t code[16];
	size_t len;
	unsigned n;          /* elements */
	uint64_t sel;        /* selected elements */
	uint64_t addr[16];   /* address of each selected element */
	int amode;           /* 0 base+disp, 1 32-bit base (0x67), 2 no base */
};

/*
 * Where selected elements may go: [lo, hi] (element start addresses), and
 * for the fault test element `fk` (-1: none) in [flo, fhi] and elements
 * above it there too one time in three.
 */
struct gplace {
	uint64_t center, lo, hi;
	int fk;
	uint64_t flo, fhi;
	int allow_amodes; /* 32-bit and no-base addressing (buffer in the low 2 GiB) */
};

static int gen_gcase(const struct gform *gf, const struct gplace *pl,
		     struct mt_xstate *st, struct ggen *g)
{
	ZydisEncoderRequest req;
	ZydisEncoderOperand *mop, *dop, *kop = NULL, *vmop = NULL;
	uint32_t used = 1u << MT_RSP;
	unsigned nvreg = gf->enc == E_E ? 32 : 16;
	unsigned data, index, vmask = 0, kreg = 0, s = 1u << rndn(4);
	int64_t idx[16], bias = 0, disp = 0;
	uint64_t center = pl->center;
	unsigned n = gf_count(gf);

	memset(&req, 0, sizeof(req));
	req.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
	req.allowed_encodings = gf->enc;
	req.mnemonic = gf->mn;
	g->n = n;

	/* registers */
	data = rndn(nvreg);
	do
		index = rndn(nvreg);
	while (index == data && !(gf->scatter && rndn(8) == 0));
	if (gf->enc == E_V) {
		do
			vmask = rndn(nvreg);
		while (vmask == data || vmask == index);
	} else {
		kreg = 1 + rndn(7);
	}

	/* mask */
	switch (rndn(8)) {
	case 0: g->sel = ~0ull; break;
	case 1: g->sel = 0; break;
	default: g->sel = rnd(); break;
	}
	g->sel &= n >= 64 ? ~0ull : (1ull << n) - 1;
	if (pl->fk >= 0)
		g->sel |= 1ull << pl->fk;
	if (gf->enc == E_V) {
		for (unsigned j = 0; j < n; j++) {
			uint8_t *e = &st->zmm[vmask][j * gf->es];
			e[gf->es - 1] = (uint8_t)((e[gf->es - 1] & 0x7f) |
						  (((g->sel >> j) & 1) ? 0x80 : 0));
		}
	} else {
		uint64_t low = (1ull << n) - 1;
		st->k[kreg] = ((rndn(2) ? rnd() : 0) & ~low) | g->sel;
	}

	/* addressing */
	g->amode = 0;
	if (pl->allow_amodes && rndn(4) == 0)
		g->amode = 1;
	else if (pl->allow_amodes && rndn(6) == 0)
		g->amode = 2;
	switch (rndn(3)) {
	case 0: bias = 0; break;
	case 1: bias = (int64_t)rndn(1u << 29) - (1 << 28); break;
	default: bias = (int64_t)(1 << 30) / (int64_t)s; break;
	}
	if (g->amode == 2 && (bias * (int64_t)s > (1 << 29) || bias * (int64_t)s < -(1 << 29)))
		bias = 0;

	/* indices: selected elements at an address in range */
	for (unsigned j = 0; j < n; j++) {
		uint64_t lo = pl->lo, hi = pl->hi;
		int64_t ilo, ihi;

		if (!((g->sel >> j) & 1)) {
			idx[j] = rndn(2) ? (int64_t)rnd() : (int64_t)rndn(64) - 32;
			if (gf->isz == 4)
				idx[j] = (int32_t)idx[j];
			continue;
		}
		if (pl->fk >= 0 && ((int)j == pl->fk || ((int)j > pl->fk && rndn(3) == 0)))
			lo = pl->flo, hi = pl->fhi;
		ilo = cdiv((int64_t)(lo - center), (int64_t)s);
		ihi = fdiv((int64_t)(hi - center), (int64_t)s);
		idx[j] = ilo + (int64_t)rndn((unsigned)(ihi - ilo + 1));
		if (j && rndn(4) == 0) {
			/* repeat (or, scale 1, partly overlap) an earlier one */
			unsigned i = rndn(j);
			if ((g->sel >> i) & 1) {
				int64_t t = idx[i] - bias + (gf->scatter ? (int64_t)rndn(5) - 2 : 0);
				if (t >= ilo && t <= ihi)
					idx[j] = t;
			}
		}
		g->addr[j] = center + (uint64_t)(idx[j] * (int64_t)s);
		idx[j] += bias;
	}
	for (unsigned j = 0; j < n; j++)
		memcpy(&st->zmm[index][j * gf->isz], &idx[j], gf->isz);

	/* operands */
	dop = &req.operands[req.operand_count++];
	if (gf->scatter) {
		mop = dop;
		kop = &req.operands[req.operand_count++];
		dop = &req.operands[req.operand_count++];
	} else {
		if (gf->enc == E_E)
			kop = &req.operands[req.operand_count++];
		mop = &req.operands[req.operand_count++];
		if (gf->enc == E_V)
			vmop = &req.operands[req.operand_count++];
	}
	dop->type = ZYDIS_OPERAND_TYPE_REGISTER;
	dop->reg.value = vreg(gf->data, data);
	if (kop) {
		kop->type = ZYDIS_OPERAND_TYPE_REGISTER;
		kop->reg.value = (ZydisRegister)(ZYDIS_REGISTER_K0 + kreg);
	}
	if (vmop) {
		vmop->type = ZYDIS_OPERAND_TYPE_REGISTER;
		vmop->reg.value = vreg(gf->data, vmask);
	}
	mop->type = ZYDIS_OPERAND_TYPE_MEMORY;
	mop->mem.index = vreg(gf->index, index);
	mop->mem.scale = (ZyanU8)s;
	mop->mem.size = (ZyanU16)gf->es;
	switch (rndn(3)) {
	case 0: disp = 0; break;
	case 1: disp = (int64_t)rndn(256) - 128; break;
	default: disp = (int64_t)(rnd() % 0x200000) - 0x100000; break;
	}
	if (g->amode == 2) {
		/* [vindex*scale + disp32] */
		disp = (int64_t)center - bias * (int64_t)s;
		mop->mem.base = ZYDIS_REGISTER_NONE;
	} else {
		unsigned base = pick_gpr(&used);
		uint64_t bv = center - (uint64_t)disp - (uint64_t)(bias * (int64_t)s);

		if (g->amode == 1) {
			/* 32-bit: the upper half of the base is ignored and
			 * the sum wraps at 4 GiB */
			mop->mem.base = gpr32(base);
			st->gpr[base] = (rnd() << 32) | (uint32_t)bv;
		} else {
			mop->mem.base = gpr64(base);
			st->gpr[base] = bv;
		}
	}
	mop->mem.displacement = disp;
	g->len = sizeof(g->code);
	return ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&req, g->code, &g->len)) ? 0 : -1;
}

static void random_state(struct mt_xstate *st)
{
	for (unsigned i = 0; i < 16; i++)
		st->gpr[i] = rnd();
	st->rflags = 0x202 | (rnd() & 0x8d5);
	st->mxcsr = 0x1f80 | ((unsigned)rndn(4) << 13);
	for (unsigned i = 0; i < 8; i++)
		st->k[i] = rndn(8) == 0 ? 0 : rndn(8) == 0 ? ~0ull : rnd();
	for (unsigned i = 0; i < 32; i++)
		for (unsigned b = 0; b < 64; b += 8) {
			uint64_t v = rnd();
			memcpy(&st->zmm[i][b], &v, 8);
		}
}

static void dump_gcode(const struct ggen *g)
{
	for (size_t i = 0; i < g->len; i++)
		fprintf(stderr, "%02x ", g->code[i]);
}

/* Decode and check the classification; 0 or a reason in why. */
static int gdecode(const struct gform *gf, const struct ggen *g, struct mt_decoded *d,
		   char *why, size_t wl)
{
	int rc = mt_decode(d, g->code, g->len, mt_xrun_code_address());

	if (rc) {
		snprintf(why, wl, "decode: %s", mt_emu_strerror(rc));
		return 1;
	}
	if (d->family != MT_FAM_GATHER) {
		snprintf(why, wl, "family %s, expected gather",
			 mt_family_name((enum mt_family)d->family));
		return 1;
	}
	if (d->insn.mnemonic != gf->mn) {
		snprintf(why, wl, "encoded as %s", ZydisMnemonicGetString(d->insn.mnemonic));
		return 1;
	}
	if (!mt_emu_supported(d, &ops)) {
		snprintf(why, wl, "not supported");
		return 1;
	}
	return 0;
}

/* The access log holds exactly the selected elements below `upto`, in
 * order: address, size, MT_ACC_PARTIAL, direction. */
static int check_gaccesses(const struct gform *gf, const struct ggen *g,
			   const struct ctx *c, unsigned upto, char *why, size_t wl)
{
	unsigned a = 0;

	for (unsigned j = 0; j < upto; j++) {
		const struct acc_rec *r;

		if (!((g->sel >> j) & 1))
			continue;
		if (a >= c->nacc) {
			snprintf(why, wl, "element %u not accessed (%u accesses)", j, c->nacc);
			return 1;
		}
		r = &c->log[a++];
		if (r->addr != g->addr[j] || r->size != gf->es ||
		    r->flags != MT_ACC_PARTIAL || r->write != gf->scatter) {
			snprintf(why, wl, "access %u: %s %#llx size %u flags %#x, expected "
				 "element %u at %#llx", a - 1, r->write ? "write" : "read",
				 (unsigned long long)r->addr, r->size, r->flags, j,
				 (unsigned long long)g->addr[j]);
			return 1;
		}
	}
	if (a != c->nacc) {
		snprintf(why, wl, "%u accesses, %u elements selected", c->nacc, a);
		return 1;
	}
	return 0;
}

static unsigned gamode_count[3];

/* One random case: 0 ok, 1 mismatch, 2 not encodable. */
static int run_gcase(const struct gform *gf, unsigned *nacc_total)
{
	static struct mt_xstate st0, stn, stn2, ste;
	struct mt_decoded d;
	struct mt_cpu cpu;
	struct ggen g;
	struct gplace pl;
	struct ctx c = {0};
	char why[200];
	int rc;

	random_state(&st0);
	for (unsigned b = 0; b < MEMSZ; b += 8) {
		uint64_t v = rnd();
		memcpy(&mem0[b], &v, 8);
	}
	pl.center = (uint64_t)(uintptr_t)memA + MEMOFF + rndn(256);
	pl.lo = (uint64_t)(uintptr_t)memA;
	pl.hi = pl.lo + MEMSZ - gf->es;
	pl.fk = -1;
	pl.allow_amodes = memA_low;
	if (gen_gcase(gf, &pl, &st0, &g))
		return 2;
	gamode_count[g.amode]++;

	stn = st0;
	memcpy(memA, mem0, MEMSZ);
	if (mt_xrun(g.code, g.len, &stn)) {
		fprintf(stderr, "%s: mt_xrun failed\n", gf->name);
		return 1;
	}

	memcpy(memB, mem0, MEMSZ);
	memset(wrote, 0, sizeof(wrote));
	memset(readb, 0, sizeof(readb));
	ste = st0;
	c.st = &ste;
	memset(&cpu, 0, sizeof(cpu));
	memcpy(cpu.gpr, st0.gpr, sizeof(cpu.gpr));
	cpu.rflags = st0.rflags;
	cpu.rip = mt_xrun_code_address();
	if (gdecode(gf, &g, &d, why, sizeof(why)))
		goto mismatch;
	rc = mt_emulate(&d, &cpu, &ops, &c);
	if (rc || c.bad) {
		snprintf(why, sizeof(why), "emulate: %s%s", mt_emu_strerror(rc),
			 c.bad ? " (access outside the buffer)" : "");
		goto mismatch;
	}
	if (cpu.rip != mt_xrun_code_address() + g.len) {
		snprintf(why, sizeof(why), "rip not advanced by %zu", g.len);
		goto mismatch;
	}
	for (unsigned i = 0; i < 16; i++)
		if (i != MT_RSP)
			ste.gpr[i] = cpu.gpr[i];
	ste.rflags = cpu.rflags;
	if (compare(NULL, &stn, &ste, why, sizeof(why)) ||
	    check_gaccesses(gf, &g, &c, g.n, why, sizeof(why)))
		goto mismatch;
	if (gf->scatter) {
		/* the bytes the CPU wrote (run over the complement) */
		stn2 = st0;
		memcpy(memA2, memA, MEMSZ);
		for (unsigned b = 0; b < MEMSZ; b++)
			memA[b] = (uint8_t)~mem0[b];
		if (mt_xrun(g.code, g.len, &stn2)) {
			snprintf(why, sizeof(why), "mt_xrun (probe) failed");
			goto mismatch;
		}
		for (unsigned b = 0; b < MEMSZ; b++)
			if ((memA[b] == memA2[b]) != wrote[b]) {
				snprintf(why, sizeof(why), "byte %u written by %s only", b,
					 wrote[b] ? "the emulator" : "the CPU");
				goto mismatch;
			}
	}
	*nacc_total += c.nacc;
	return 0;

mismatch:
	fprintf(stderr, "MISMATCH %s: %s; code ", gf->name, why);
	dump_gcode(&g);
	fprintf(stderr, "\n");
	return 1;
}

/*
 * Fault on element k, against the CPU: element k of a random case is put
 * on a PROT_NONE page right after the buffer (elements above k there too,
 * one time in three). The CPU's SIGSEGV handler takes the vector and mask
 * registers from the signal frame's XSAVE area and the buffer as it is at
 * the fault, then opens the page so the instruction completes. The
 * emulator, whose memory callback fails on that page, must return
 * MT_EMU_MEMFAULT with the same registers and memory, RIP unchanged, and
 * have accessed exactly the selected elements below k.
 */
static uint8_t *fbuf;              /* MEMSZ bytes right before the guard page */
static uint8_t fbufB[MEMSZ] __attribute__((aligned(64)));
static uint8_t fsnap[MEMSZ];
static uint32_t xs_off[8];
static volatile int f_faults;
static volatile uint64_t f_addr;
static struct mt_xstate f_state;   /* zmm and k at the fault */

static void on_guard_segv(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	const uint8_t *xs = (const uint8_t *)uc->uc_mcontext.fpregs;
	uint64_t a = (uint64_t)(uintptr_t)si->si_addr, bv;
	uint64_t guard = (uint64_t)(uintptr_t)fbuf + MEMSZ;

	uint32_t magic1 = 0;

	(void)sig;
	if (xs)
		memcpy(&magic1, xs + 464, 4); /* fpstate.sw_reserved.magic1 */
	if (a < guard || a >= guard + 4096 || !xs || magic1 != 0x46505853u || f_faults) {
		static const char msg[] =
			"vec_oracle: SIGSEGV not on the guard page, or no XSAVE signal frame\n";
		if (write(2, msg, sizeof(msg) - 1) < 0) {}
		_exit(99);
	}
	f_faults++;
	f_addr = a;
	memcpy(&bv, xs + 512, 8); /* XSTATE_BV: a clear bit means init (zeros) */
	memset(f_state.zmm, 0, sizeof(f_state.zmm));
	memset(f_state.k, 0, sizeof(f_state.k));
	for (unsigned i = 0; i < 16; i++) {
		if (bv & 2)
			memcpy(f_state.zmm[i], xs + 160 + 16 * i, 16);
		if (bv & 4)
			memcpy(f_state.zmm[i] + 16, xs + xs_off[2] + 16 * i, 16);
		if (bv & 64)
			memcpy(f_state.zmm[i] + 32, xs + xs_off[6] + 32 * i, 32);
	}
	for (unsigned i = 16; i < 32; i++)
		if (bv & 128)
			memcpy(f_state.zmm[i], xs + xs_off[7] + 64 * (i - 16), 64);
	if (bv & 32)
		memcpy(f_state.k, xs + xs_off[5], 64);
	memcpy(fsnap, fbuf, MEMSZ);
	mprotect((void *)guard, 4096, PROT_READ | PROT_WRITE);
}

static struct sigaction f_oldsa;

static int fault_setup(void)
{
	unsigned a, b, c, d;
	uint8_t *p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sigaction sa;

	if (p == MAP_FAILED)
		return -1;
	for (unsigned i = 2; i < 8; i++) {
		if (!__get_cpuid_count(0xd, i, &a, &b, &c, &d))
			return -1;
		xs_off[i] = b;
	}
	fbuf = p + 4096 - MEMSZ;
	if (mprotect(p + 4096, 4096, PROT_NONE))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_guard_segv;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSEGV, &sa, &f_oldsa);
}

static int run_gfault(const struct gform *gf)
{
	static struct mt_xstate st0, stn, ste;
	uint64_t guard = (uint64_t)(uintptr_t)fbuf + MEMSZ;
	struct mt_decoded d;
	struct mt_cpu cpu;
	struct ggen g;
	struct gplace pl;
	struct ctx c = {0};
	char why[200];
	unsigned n = gf_count(gf);
	int rc;

	random_state(&st0);
	for (unsigned b = 0; b < MEMSZ; b += 8) {
		uint64_t v = rnd();
		memcpy(&mem0[b], &v, 8);
	}
	pl.center = guard - 64 - rndn(128);
	pl.lo = guard - MEMSZ;
	pl.hi = guard - gf->es;
	pl.fk = (int)rndn(n);
	pl.flo = guard;
	pl.fhi = guard + 256 - gf->es;
	pl.allow_amodes = 0;
	if (gen_gcase(gf, &pl, &st0, &g))
		return 2;

	stn = st0;
	memcpy(fbuf, mem0, MEMSZ);
	f_faults = 0;
	if (mt_xrun(g.code, g.len, &stn)) {
		fprintf(stderr, "%s: mt_xrun failed\n", gf->name);
		return 1;
	}
	if (mprotect((void *)guard, 4096, PROT_NONE)) {
		fprintf(stderr, "%s: mprotect failed\n", gf->name);
		return 1;
	}
	if (f_faults != 1 || f_addr != g.addr[pl.fk]) {
		snprintf(why, sizeof(why), "the CPU faulted %d times, at %#llx, not on element %d at %#llx",
			 f_faults, (unsigned long long)f_addr, pl.fk,
			 (unsigned long long)g.addr[pl.fk]);
		goto mismatch;
	}

	xl_native = fbuf;
	xl_copy = fbufB;
	xl_guard = guard;
	memcpy(fbufB, mem0, MEMSZ);
	memset(wrote, 0, sizeof(wrote));
	memset(readb, 0, sizeof(readb));
	ste = st0;
	c.st = &ste;
	memset(&cpu, 0, sizeof(cpu));
	memcpy(cpu.gpr, st0.gpr, sizeof(cpu.gpr));
	cpu.rflags = st0.rflags;
	cpu.rip = mt_xrun_code_address();
	if (gdecode(gf, &g, &d, why, sizeof(why)))
		goto mismatch_emu;
	rc = mt_emulate(&d, &cpu, &ops, &c);
	if (rc != MT_EMU_MEMFAULT || c.bad || c.guard_hit != g.addr[pl.fk]) {
		snprintf(why, sizeof(why), "emulate: %s%s, refused access at %#llx",
			 mt_emu_strerror(rc), c.bad ? " (access outside the buffer)" : "",
			 (unsigned long long)c.guard_hit);
		goto mismatch_emu;
	}
	if (cpu.rip != mt_xrun_code_address() ||
	    memcmp(cpu.gpr, st0.gpr, sizeof(cpu.gpr))) {
		snprintf(why, sizeof(why), "rip or a GPR changed on the fault");
		goto mismatch_emu;
	}
	for (unsigned i = 0; i < 8; i++)
		if (f_state.k[i] != ste.k[i]) {
			snprintf(why, sizeof(why), "k%u at the fault %#llx, emulated %#llx", i,
				 (unsigned long long)f_state.k[i], (unsigned long long)ste.k[i]);
			goto mismatch_emu;
		}
	for (unsigned i = 0; i < 32; i++)
		for (unsigned b = 0; b < 64; b++)
			if (f_state.zmm[i][b] != ste.zmm[i][b]) {
				snprintf(why, sizeof(why), "zmm%u byte %u at the fault %02x, emulated %02x",
					 i, b, f_state.zmm[i][b], ste.zmm[i][b]);
				goto mismatch_emu;
			}
	for (unsigned b = 0; b < MEMSZ; b++)
		if (fsnap[b] != fbufB[b]) {
			snprintf(why, sizeof(why), "mem byte %u at the fault %02x, emulated %02x",
				 b, fsnap[b], fbufB[b]);
			goto mismatch_emu;
		}
	if (check_gaccesses(gf, &g, &c, (unsigned)pl.fk, why, sizeof(why)))
		goto mismatch_emu;
	xl_native = memA;
	xl_copy = memB;
	xl_guard = 0;
	return 0;

mismatch_emu:
	xl_native = memA;
	xl_copy = memB;
	xl_guard = 0;
mismatch:
	fprintf(stderr, "MISMATCH %s (fault on element %d): %s; code ", gf->name, pl.fk, why);
	dump_gcode(&g);
	fprintf(stderr, "\n");
	return 1;
}

/* Backends: without vec_get/vec_set nothing here is supported; AVX-512
 * forms need kmask_get and kmask_set; no exec_displaced is needed (the
 * kernel module's ops). Returns mismatches. */
static unsigned check_gather_support(void)
{
	struct mt_emu_ops nodisp = ops, novec = ops, nokget = ops, nokset = ops;
	static struct mt_xstate st;
	unsigned bad = 0;

	nodisp.exec_displaced = NULL;
	novec.vec_set = NULL;
	nokget.kmask_get = NULL;
	nokset.kmask_set = NULL;
	for (unsigned fi = 0; fi < NGFORMS; fi++) {
		const struct gform *gf = &gforms[fi];
		struct gplace pl = { (uint64_t)(uintptr_t)memA + MEMOFF,
				     (uint64_t)(uintptr_t)memA,
				     (uint64_t)(uintptr_t)memA + MEMSZ - 8, -1, 0, 0, 0 };
		struct mt_decoded d;
		struct ggen g;
		int evex = gf->enc == E_E;

		if (gen_gcase(gf, &pl, &st, &g) || mt_decode(&d, g.code, g.len, 0)) {
			fprintf(stderr, "%s: cannot encode\n", gf->name);
			bad++;
			continue;
		}
		if (!mt_emu_supported(&d, &nodisp) || mt_emu_supported(&d, &novec) ||
		    mt_emu_supported(&d, &nokget) == evex ||
		    mt_emu_supported(&d, &nokset) == evex) {
			fprintf(stderr, "%s: support matrix wrong\n", gf->name);
			bad++;
		}
	}
	printf("gather support matrix (no exec_displaced / no vec / no kmask get, set): %u mismatches\n",
	       bad);
	return bad;
}

/* Run every gather/scatter form: n random cases and n fault cases each. */
static void run_gathers(unsigned n, unsigned *total_cases, unsigned *total_mis,
			unsigned *bad_forms)
{
	int fault_ok = fault_setup() == 0;

	if (!fault_ok)
		printf("note: no guard page or XSAVE layout, fault cases not run\n");
	printf("%-32s %6s %6s %8s %6s %6s\n", "gather/scatter form", "cases", "mism",
	       "accesses", "faults", "mism");
	for (unsigned fi = 0; fi < NGFORMS; fi++) {
		const struct gform *gf = &gforms[fi];
		unsigned mis = 0, acc = 0, done = 0, genfail = 0, fdone = 0, fmis = 0;

		for (unsigned i = 0; i < n && mis < 5 && genfail <= 20; i++) {
			int rc = run_gcase(gf, &acc);
			if (rc == 2) {
				genfail++;
				i--;
				continue;
			}
			done++;
			mis += rc;
		}
		for (unsigned i = 0; fault_ok && i < n && fmis < 5 && genfail <= 20; i++) {
			int rc = run_gfault(gf);
			if (rc == 2) {
				genfail++;
				i--;
				continue;
			}
			fdone++;
			fmis += rc;
		}
		if (done < n || (fault_ok && fdone < n)) {
			fprintf(stderr, "%s: only %u + %u of %u + %u cases ran (%u not encodable)\n",
				gf->name, done, fdone, n, n, genfail);
			(*bad_forms)++;
		}
		printf("%-32s %6u %6u %8u %6u %6u\n", gf->name, done, mis, acc, fdone, fmis);
		*total_cases += done + fdone;
		*total_mis += mis + fmis;
	}
	if (fault_ok)
		sigaction(SIGSEGV, &f_oldsa, NULL);
	else
		(*bad_forms)++;
	*total_mis += check_gather_support();
	printf("gather addressing: %u [base+vindex*scale+disp], %u 32-bit (0x67), %u no base\n",
	       gamode_count[0], gamode_count[1], gamode_count[2]);
}

int main(void)
{
	unsigned n = 1000, total_cases = 0, total_mis = 0, bad_forms = 0;
	const char *s = getenv("VEC_ORACLE_N");

	if (s && atoi(s) > 0)
		n = (unsigned)atoi(s);
	xl_native = memA = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (memA == MAP_FAILED) {
		xl_native = memA = aligned_alloc(64, 4096);
		if (!memA) {
			printf("cannot allocate the operand buffer\n");
			return 99;
		}
	}
	memA_low = (uintptr_t)memA + 4096 <= 0x80000000ull &&
		   mt_xrun_code_address() &&
		   mt_xrun_code_address() < 0x80000000ull;
	if (!memA_low)
		printf("note: no low mapping, 32-bit and RIP-relative addressing not tested\n");
	if (mt_xrun_vec_flavour() != MT_XRUN_AVX512) {
		printf("SKIP: hardware: the CPU lacks AVX-512F/BW/VL (oracle needs zmm and k)\n");
		return 77;
	}
	printf("%-32s %6s %6s %8s %8s\n", "form", "cases", "mism", "accesses",
	       "no-acc");
	for (unsigned fi = 0; fi < NFORMS; fi++) {
		const struct form *f = &forms[fi];
		unsigned mis = 0, acc = 0, noacc = 0, done = 0, genfail = 0;

		for (unsigned i = 0; i < n; i++) {
			int rc = run_case(f, &acc, &noacc);
			if (rc == 2) {
				genfail++;
				if (genfail > 20)
					break;
				continue;
			}
			done++;
			if (rc == 1 && ++mis >= 5)
				break; /* enough detail for one form */
		}
		if (done < n) {
			fprintf(stderr, "%s: only %u of %u cases ran (%u not encodable)\n",
				f->name, done, n, genfail);
			bad_forms++;
		}
		printf("%-32s %6u %6u %8u %8u\n", f->name, done, mis, acc, noacc);
		total_cases += done;
		total_mis += mis;
	}
	total_mis += check_support_matrix();
	printf("addressing: %u [base+index*scale+disp], %u 32-bit (0x67), %u rip-relative\n",
	       amode_count[0], amode_count[1], amode_count[2]);
	run_gathers(n, &total_cases, &total_mis, &bad_forms);
	printf("vec oracle: %zu forms, %u cases, %u mismatches, %u incomplete forms\n",
	       NFORMS + NGFORMS, total_cases, total_mis, bad_forms);
	return (total_mis || bad_forms) ? 1 : 0;
}
#endif /* MT_VEC_ORACLE_MAIN */
