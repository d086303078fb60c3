/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * emu_vec.h - core-internal: vector moves (SSE/AVX/AVX-512) and the generic
 * displaced execution of any other single-memory-operand instruction.
 *
 * The integer part of the core (emu.c) classifies its own families first
 * and then asks mt__vec_classify(); handlers numbered >= MT_VH_BASE belong
 * to this file and are run by mt__vec_emulate(). mt__vec_supported() says
 * whether a given backend (its ops) can run a classified instruction:
 * explicit vector moves need vec_get/vec_set (and kmask_get when an EVEX
 * opmask is used), gathers and scatters vec_get/vec_set (AVX-512 ones also
 * kmask_get/kmask_set: they clear the opmask), displaced forms need
 * exec_displaced, which the kernel module does not provide.
 *
 * In the kernel (__KERNEL__) or with MT_NO_ENCODER defined the displaced
 * path is compiled out (no Zydis encoder needed); such instructions are
 * still classified (family VALU/OTHER) but are never supported.
 */
#ifndef MMIOTAP_EMU_VEC_H
#define MMIOTAP_EMU_VEC_H

#include "mmiotap/emu.h"

#if defined(__KERNEL__) && !defined(MT_NO_ENCODER)
#define MT_NO_ENCODER 1
#endif

/* Handler numbers (struct mt_decoded.handler) owned by emu_vec.c. */
enum mt_vec_handler {
	MT_VH_BASE = 128,
	MT_VH_LOAD = 128,       /* vreg <- m (full or low part), merge/zero per encoding */
	MT_VH_STORE,            /* m <- part of vreg (MOV*, PEXTR*, EXTRACTPS, VEXTRACT*) */
	MT_VH_INSERT,           /* vreg <- src with one part from m (PINSR*, MOVLPS.., VINSERT*) */
	MT_VH_BCAST,            /* vreg <- m replicated (VBROADCAST*, VPBROADCAST*) */
	MT_VH_MASKMOV_LOAD,     /* VMASKMOVPS/PD, VPMASKMOVD/Q loads */
	MT_VH_MASKMOV_STORE,    /* ... stores */
	MT_VH_MASKMOVDQU,       /* (V)MASKMOVDQU: byte-masked store to [rdi] */
	MT_VH_GATHER,           /* VSIB loads: AVX2 (vector mask), AVX-512 (opmask) */
	MT_VH_SCATTER,          /* VSIB stores: AVX-512 (opmask) */
	MT_VH_DISPLACED = 160,  /* anything else: re-encode, run on a scratch copy */
};

/* 1 if d is handled here (sets *family and *handler), else 0. */
int mt__vec_classify(const struct mt_decoded *d, uint8_t *family,
		     uint8_t *handler);

/* Whether ops can run d (d->handler must come from mt__vec_classify). */
bool mt__vec_supported(const struct mt_decoded *d, const struct mt_emu_ops *ops);

/* Emulate d. Returns 0 or MT_EMU_*; does NOT advance cpu->rip. */
int mt__vec_emulate(const struct mt_decoded *d, struct mt_cpu *cpu,
		    const struct mt_emu_ops *ops, void *opaque);

#endif /* MMIOTAP_EMU_VEC_H */
