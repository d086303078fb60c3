// SPDX-License-Identifier: GPL-2.0
/*
 * mt_vec.c - core/'s vector and opmask register callbacks for the module:
 * the LIVE registers, read and written with inline asm (one asm per
 * register index: a switch). Kernel code can only use vector registers
 * between kernel_fpu_begin() and kernel_fpu_end(), where they hold its
 * values; the fault path is built with -mgeneral-regs-only and never
 * touches them, so at the fault they are the faulting code's.
 *
 * Widths: xmm0-15 always (x86-64 has SSE2); ymm with AVX; zmm, xmm16-31,
 * ymm16-31 and k0-7 with AVX-512F (kmovq needs AVX512BW, else kmovw: 16
 * bits). A read wider than the hardware gives zeros above; a write of the
 * low part leaves the bytes above alone (read, modify, write the whole
 * register, since VEX/EVEX loads zero the upper part).
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <asm/cpufeature.h>
#include "mt_kmod.h"

bool mtk_have_avx, mtk_have_avx512;
static bool mtk_have_avx512bw;

void mtk_vec_init(void)
{
	mtk_have_avx = boot_cpu_has(X86_FEATURE_AVX) && boot_cpu_has(X86_FEATURE_OSXSAVE);
	mtk_have_avx512 = mtk_have_avx && boot_cpu_has(X86_FEATURE_AVX512F);
	mtk_have_avx512bw = mtk_have_avx512 && boot_cpu_has(X86_FEATURE_AVX512BW);
}

#define MTK_R16(m) m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7) m(8) m(9) \
	m(10) m(11) m(12) m(13) m(14) m(15)
#define MTK_R32(m) MTK_R16(m) m(16) m(17) m(18) m(19) m(20) m(21) m(22) \
	m(23) m(24) m(25) m(26) m(27) m(28) m(29) m(30) m(31)

typedef struct { u8 b[16]; } mtk_v16;
typedef struct { u8 b[32]; } mtk_v32;
typedef struct { u8 b[64]; } mtk_v64;

/* xmm0-15: legacy SSE (a store leaves bits 128 and up alone). */
#define GX(n) case n: asm volatile("movdqu %%xmm" #n ", %0" : "=m"(*(mtk_v16 *)buf)); break;
#define SX(n) case n: asm volatile("movdqu %0, %%xmm" #n : : "m"(*(const mtk_v16 *)buf)); break;
/* xmm16-31 (EVEX): read only (a write goes through the zmm). */
#define GXE(n) case n: asm volatile("vmovdqu64 %%xmm" #n ", %0" : "=m"(*(mtk_v16 *)buf)); break;
#define GY(n) case n: asm volatile("vmovdqu %%ymm" #n ", %0" : "=m"(*(mtk_v32 *)buf)); break;
#define SY(n) case n: asm volatile("vmovdqu %0, %%ymm" #n : : "m"(*(const mtk_v32 *)buf)); break;
#define GYE(n) case n: asm volatile("vmovdqu64 %%ymm" #n ", %0" : "=m"(*(mtk_v32 *)buf)); break;
#define GZ(n) case n: asm volatile("vmovdqu64 %%zmm" #n ", %0" : "=m"(*(mtk_v64 *)buf)); break;
#define SZ(n) case n: asm volatile("vmovdqu64 %0, %%zmm" #n : : "m"(*(const mtk_v64 *)buf)); break;

static void mtk_get16(unsigned int idx, void *buf)
{
	switch (idx) { MTK_R16(GX) }
}

static void mtk_get16e(unsigned int idx, void *buf)
{
	switch (idx) {
	GXE(16) GXE(17) GXE(18) GXE(19) GXE(20) GXE(21) GXE(22) GXE(23)
	GXE(24) GXE(25) GXE(26) GXE(27) GXE(28) GXE(29) GXE(30) GXE(31)
	}
}

static void mtk_set16(unsigned int idx, const void *buf)
{
	switch (idx) { MTK_R16(SX) }
}

static void mtk_get32(unsigned int idx, void *buf)
{
	switch (idx) {
	MTK_R16(GY)
	GYE(16) GYE(17) GYE(18) GYE(19) GYE(20) GYE(21) GYE(22) GYE(23)
	GYE(24) GYE(25) GYE(26) GYE(27) GYE(28) GYE(29) GYE(30) GYE(31)
	}
}

static void mtk_set32(unsigned int idx, const void *buf)
{
	switch (idx) { MTK_R16(SY) }
}

static void mtk_get64(unsigned int idx, void *buf)
{
	switch (idx) { MTK_R32(GZ) }
}

static void mtk_set64(unsigned int idx, const void *buf)
{
	switch (idx) { MTK_R32(SZ) }
}

/* Bytes of register idx that exist on this CPU (0: none). */
static unsigned int mtk_vec_width(unsigned int idx)
{
	if (mtk_have_avx512)
		return idx < 32 ? 64 : 0;
	if (idx >= 16)
		return 0;
	return mtk_have_avx ? 32 : 16;
}

int mtk_vec_get(void *opaque, unsigned int idx, void *buf, unsigned int size)
{
	unsigned int w = mtk_vec_width(idx), n = min(size, w);

	if (size != 16 && size != 32 && size != 64)
		return -EINVAL;
	memset(buf, 0, size);
	if (n == 16)
		(idx < 16 ? mtk_get16 : mtk_get16e)(idx, buf);
	else if (n == 32)
		mtk_get32(idx, buf);
	else if (n == 64)
		mtk_get64(idx, buf);
	return 0;
}

int mtk_vec_set(void *opaque, unsigned int idx, const void *buf, unsigned int size)
{
	unsigned int w = mtk_vec_width(idx), n = min(size, w);
	mtk_v64 full;

	if (size != 16 && size != 32 && size != 64)
		return -EINVAL;
	if (!n)
		return 0;
	if (n == 16 && idx < 16) {
		mtk_set16(idx, buf);
		return 0;
	}
	if (n == w) {
		(w == 64 ? mtk_set64 : mtk_set32)(idx, buf);
		return 0;
	}
	/* The low part of a wider register: keep the bytes above. */
	(w == 64 ? mtk_get64 : mtk_get32)(idx, &full);
	memcpy(&full, buf, n);
	(w == 64 ? mtk_set64 : mtk_set32)(idx, &full);
	return 0;
}

#define GK(n) case n: asm volatile("kmovq %%k" #n ", %0" : "=r"(v)); break;
#define SK(n) case n: asm volatile("kmovq %0, %%k" #n : : "r"(val)); break;
#define GKW(n) case n: asm volatile("kmovw %%k" #n ", %k0" : "=r"(v)); break;
#define SKW(n) case n: asm volatile("kmovw %k0, %%k" #n : : "r"(val)); break;
#define MTK_K8(m) m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7)

int mtk_kmask_get(void *opaque, unsigned int idx, u64 *val)
{
	u64 v = 0;

	if (!mtk_have_avx512 || idx >= 8)
		return -EINVAL;
	if (mtk_have_avx512bw) {
		switch (idx) { MTK_K8(GK) }
	} else {
		switch (idx) { MTK_K8(GKW) }
		v &= 0xffff;
	}
	*val = v;
	return 0;
}

int mtk_kmask_set(void *opaque, unsigned int idx, u64 val)
{
	if (!mtk_have_avx512 || idx >= 8)
		return -EINVAL;
	if (mtk_have_avx512bw) {
		switch (idx) { MTK_K8(SK) }
	} else {
		switch (idx) { MTK_K8(SKW) }
	}
	return 0;
}
