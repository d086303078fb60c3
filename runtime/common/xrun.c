/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * xrun.c - run one instruction natively with a chosen register state.
 *
 * The stub is a template assembled into this object (three variants: SSE,
 * AVX, AVX-512) and copied, once per thread, to the start of a 2-page RWX
 * mapping. The template addresses its save area RIP-relative at +4096 from
 * its own start, so the copy finds the save area in the mapping's second
 * page. Per call we only copy the instruction into the template's slot,
 * follow it with a JMP rel32 to the store half, copy the state in, call,
 * and copy the state out.
 */
#include "mmiotap/xrun.h"

#include <cpuid.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#define XR_SAVE 4096
#define XR_OFF_RFLAGS 128
#define XR_OFF_MXCSR 136
#define XR_OFF_K 144
#define XR_OFF_ZMM 256
#define XR_OFF_XFLAGS 140
#define XR_OFF_X87 2304
#define XR_OFF_HOSTRSP 2496
#define XR_OFF_HOSTMXCSR 2504
#define XR_OFF_GUESTFX 2560 /* FXSAVE64 image of the instruction's x87 state */
#define XR_OFF_HOSTFX 3072  /* ... and of the caller's */
#define XR_SLOT 32

_Static_assert(offsetof(struct mt_xstate, rflags) == XR_OFF_RFLAGS, "layout");
_Static_assert(offsetof(struct mt_xstate, mxcsr) == XR_OFF_MXCSR, "layout");
_Static_assert(offsetof(struct mt_xstate, k) == XR_OFF_K, "layout");
_Static_assert(offsetof(struct mt_xstate, zmm) == XR_OFF_ZMM, "layout");
_Static_assert(offsetof(struct mt_xstate, xflags) == XR_OFF_XFLAGS, "layout");
_Static_assert(offsetof(struct mt_xstate, x87) == XR_OFF_X87, "layout");
_Static_assert(sizeof(struct mt_x87) == 160, "layout");
_Static_assert(offsetof(struct mt_x87, st) == 32, "layout");
_Static_assert(sizeof(struct mt_xstate) <= XR_OFF_HOSTRSP, "layout");
_Static_assert(XR_OFF_HOSTFX + 512 <= 4096, "layout");

#define XS_(x) #x
#define XS(x) XS_(x)
/* operand "(T_start + 4096 + OFF)(%rip)" */
#define M(T, off) "(" T "_start+" XS(XR_SAVE) "+" off ")(%rip)"

#define GPR_LD(T)                                                        \
	"mov " M(T, "0") ",%rax\n\tmov " M(T, "8") ",%rcx\n\t"            \
	"mov " M(T, "16") ",%rdx\n\tmov " M(T, "24") ",%rbx\n\t"          \
	"mov " M(T, "40") ",%rbp\n\tmov " M(T, "48") ",%rsi\n\t"          \
	"mov " M(T, "56") ",%rdi\n\tmov " M(T, "64") ",%r8\n\t"           \
	"mov " M(T, "72") ",%r9\n\tmov " M(T, "80") ",%r10\n\t"           \
	"mov " M(T, "88") ",%r11\n\tmov " M(T, "96") ",%r12\n\t"          \
	"mov " M(T, "104") ",%r13\n\tmov " M(T, "112") ",%r14\n\t"        \
	"mov " M(T, "120") ",%r15\n\tmov " M(T, "32") ",%rsp\n\t"
#define GPR_ST(T)                                                        \
	"mov %rax," M(T, "0") "\n\tmov %rcx," M(T, "8") "\n\t"            \
	"mov %rdx," M(T, "16") "\n\tmov %rbx," M(T, "24") "\n\t"          \
	"mov %rbp," M(T, "40") "\n\tmov %rsi," M(T, "48") "\n\t"          \
	"mov %rdi," M(T, "56") "\n\tmov %r8," M(T, "64") "\n\t"           \
	"mov %r9," M(T, "72") "\n\tmov %r10," M(T, "80") "\n\t"           \
	"mov %r11," M(T, "88") "\n\tmov %r12," M(T, "96") "\n\t"          \
	"mov %r13," M(T, "104") "\n\tmov %r14," M(T, "112") "\n\t"        \
	"mov %r15," M(T, "120") "\n\tmov %rsp," M(T, "32") "\n\t"

#define ZO(i) XS(XR_OFF_ZMM) "+" #i "*64"
#define VLD(T, ins, reg, i) ins " " M(T, ZO(i)) ",%" reg #i "\n\t"
#define VST(T, ins, reg, i) ins " %" reg #i "," M(T, ZO(i)) "\n\t"
#define V16(X, T, ins, reg)                                               \
	X(T, ins, reg, 0) X(T, ins, reg, 1) X(T, ins, reg, 2) X(T, ins, reg, 3) \
	X(T, ins, reg, 4) X(T, ins, reg, 5) X(T, ins, reg, 6) X(T, ins, reg, 7) \
	X(T, ins, reg, 8) X(T, ins, reg, 9) X(T, ins, reg, 10)                  \
	X(T, ins, reg, 11) X(T, ins, reg, 12) X(T, ins, reg, 13)               \
	X(T, ins, reg, 14) X(T, ins, reg, 15)
#define V16HI(X, T, ins, reg)                                              \
	X(T, ins, reg, 16) X(T, ins, reg, 17) X(T, ins, reg, 18)               \
	X(T, ins, reg, 19) X(T, ins, reg, 20) X(T, ins, reg, 21)               \
	X(T, ins, reg, 22) X(T, ins, reg, 23) X(T, ins, reg, 24)               \
	X(T, ins, reg, 25) X(T, ins, reg, 26) X(T, ins, reg, 27)               \
	X(T, ins, reg, 28) X(T, ins, reg, 29) X(T, ins, reg, 30)               \
	X(T, ins, reg, 31)
#define KO(i) XS(XR_OFF_K) "+" #i "*8"
#define KLD(i) "kmovq " M("mt__xr3", KO(i)) ",%k" #i "\n\t"
#define KST(i) "kmovq %k" #i "," M("mt__xr3", KO(i)) "\n\t"
#define K8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

/* x87/MMX state (MT_XSTATE_X87): the caller's saved and the instruction's
 * loaded before everything else (FXRSTOR also loads MXCSR and xmm0-15,
 * which the vector loads then overwrite); after the run the instruction's
 * saved and the caller's restored. Relative jumps only: the template is
 * copied. */
#define X87_LD(T)                                                         \
	"testl $1," M(T, XS(XR_OFF_XFLAGS)) "\n\tjz 1f\n\t"                 \
	"fxsave64 " M(T, XS(XR_OFF_HOSTFX)) "\n\t"                          \
	"fxrstor64 " M(T, XS(XR_OFF_GUESTFX)) "\n1:\n\t"
#define X87_ST(T)                                                         \
	"testl $1," M(T, XS(XR_OFF_XFLAGS)) "\n\tjz 2f\n\t"                 \
	"fxsave64 " M(T, XS(XR_OFF_GUESTFX)) "\n\t"                         \
	"fxrstor64 " M(T, XS(XR_OFF_HOSTFX)) "\n2:\n\t"

#define TEMPLATE(T, VECLOAD, VECSTORE, VZU)                                \
	".p2align 6\n" T "_start:\n\t"                                     \
	"push %rbx\n\tpush %rbp\n\tpush %r12\n\t"                          \
	"push %r13\n\tpush %r14\n\tpush %r15\n\t"                          \
	"mov %rsp," M(T, XS(XR_OFF_HOSTRSP)) "\n\t"                        \
	"stmxcsr " M(T, XS(XR_OFF_HOSTMXCSR)) "\n\t"                       \
	X87_LD(T)                                                          \
	"ldmxcsr " M(T, XS(XR_OFF_MXCSR)) "\n\t"                           \
	VECLOAD                                                           \
	"testl $2," M(T, XS(XR_OFF_XFLAGS)) "\n\tjnz 3f\n\t"                \
	"mov %rsp," M(T, "32") "\n3:\n\t"                                  \
	"pushq " M(T, XS(XR_OFF_RFLAGS)) "\n\tpopfq\n\t"                   \
	GPR_LD(T)                                                          \
	"\n" T "_slot:\n\t.fill " XS(XR_SLOT) ",1,0xcc\n"                 \
	T "_post:\n\t"                                                     \
	GPR_ST(T)                                                          \
	"mov " M(T, XS(XR_OFF_HOSTRSP)) ",%rsp\n\t"                        \
	"pushfq\n\tpopq " M(T, XS(XR_OFF_RFLAGS)) "\n\t"                   \
	"stmxcsr " M(T, XS(XR_OFF_MXCSR)) "\n\t"                           \
	VECSTORE                                                          \
	X87_ST(T)                                                          \
	"ldmxcsr " M(T, XS(XR_OFF_HOSTMXCSR)) "\n\t"                       \
	"mov " M(T, XS(XR_OFF_HOSTRSP)) ",%rsp\n\t"                        \
	"pop %r15\n\tpop %r14\n\tpop %r13\n\t"                             \
	"pop %r12\n\tpop %rbp\n\tpop %rbx\n\t"                             \
	"cld\n\t" VZU "ret\n" T "_end:\n"

__asm__(".pushsection .text\n"
	TEMPLATE("mt__xr1",
		 V16(VLD, "mt__xr1", "movdqu", "xmm"),
		 V16(VST, "mt__xr1", "movdqu", "xmm"), "")
	TEMPLATE("mt__xr2",
		 V16(VLD, "mt__xr2", "vmovdqu", "ymm"),
		 V16(VST, "mt__xr2", "vmovdqu", "ymm"), "vzeroupper\n\t")
	TEMPLATE("mt__xr3",
		 V16(VLD, "mt__xr3", "vmovdqu64", "zmm")
		 V16HI(VLD, "mt__xr3", "vmovdqu64", "zmm") K8(KLD),
		 V16(VST, "mt__xr3", "vmovdqu64", "zmm")
		 V16HI(VST, "mt__xr3", "vmovdqu64", "zmm") K8(KST),
		 "vzeroupper\n\t")
	".popsection\n");

extern const unsigned char mt__xr1_start[], mt__xr1_slot[], mt__xr1_post[], mt__xr1_end[];
extern const unsigned char mt__xr2_start[], mt__xr2_slot[], mt__xr2_post[], mt__xr2_end[];
extern const unsigned char mt__xr3_start[], mt__xr3_slot[], mt__xr3_post[], mt__xr3_end[];

struct xr_tmpl {
	const unsigned char *start, *slot, *post, *end;
};

static int xr_flavour; /* 0 = not yet detected; racy init is idempotent */

static int detect(void)
{
	unsigned a, b, c, d;
	unsigned long long xcr0 = 0;
	int fl = MT_XRUN_SSE;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return fl;
	if ((c & bit_OSXSAVE) && (c & bit_AVX)) {
		unsigned lo, hi;
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		xcr0 = ((unsigned long long)hi << 32) | lo;
		if ((xcr0 & 6) == 6)
			fl = MT_XRUN_AVX;
	}
	if (fl == MT_XRUN_AVX && __get_cpuid_count(7, 0, &a, &b, &c, &d) &&
	    (b & bit_AVX512F) && (b & bit_AVX512BW) && (xcr0 & 0xe6) == 0xe6)
		fl = MT_XRUN_AVX512;
	return fl;
}

int mt_xrun_vec_flavour(void)
{
	int f = __atomic_load_n(&xr_flavour, __ATOMIC_RELAXED);
	if (!f) {
		f = detect();
		__atomic_store_n(&xr_flavour, f, __ATOMIC_RELAXED);
	}
	return f;
}

void mt_xrun_vec_shape(unsigned *nregs, unsigned *bytes, unsigned *nkregs)
{
	switch (mt_xrun_vec_flavour()) {
	case MT_XRUN_AVX512:
		*nregs = 32, *bytes = 64, *nkregs = 8;
		break;
	case MT_XRUN_AVX:
		*nregs = 16, *bytes = 32, *nkregs = 0;
		break;
	default:
		*nregs = 16, *bytes = 16, *nkregs = 0;
		break;
	}
}

static struct xr_tmpl tmpl_for(int fl)
{
	struct xr_tmpl t;
	if (fl == MT_XRUN_AVX512)
		t = (struct xr_tmpl){ mt__xr3_start, mt__xr3_slot, mt__xr3_post, mt__xr3_end };
	else if (fl == MT_XRUN_AVX)
		t = (struct xr_tmpl){ mt__xr2_start, mt__xr2_slot, mt__xr2_post, mt__xr2_end };
	else
		t = (struct xr_tmpl){ mt__xr1_start, mt__xr1_slot, mt__xr1_post, mt__xr1_end };
	return t;
}

struct xr_ctx {
	unsigned char *page; /* 2 pages: code, save area */
	size_t slot_off, post_off;
};

static __thread struct xr_ctx xr_tls __attribute__((tls_model("initial-exec")));

int mt_xrun_thread_init(void)
{
	struct xr_ctx *c = &xr_tls;
	struct xr_tmpl t;
	void *p;

	if (c->page)
		return 0;
	t = tmpl_for(mt_xrun_vec_flavour());
	p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (p == MAP_FAILED)
		p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	memcpy(p, t.start, (size_t)(t.end - t.start));
	c->slot_off = (size_t)(t.slot - t.start);
	c->post_off = (size_t)(t.post - t.start);
	c->page = p;
	return 0;
}

void mt_xrun_thread_fini(void)
{
	if (xr_tls.page)
		munmap(xr_tls.page, 2 * 4096);
	xr_tls.page = NULL;
}

uint64_t mt_xrun_code_address(void)
{
	if (mt_xrun_thread_init())
		return 0;
	return (uint64_t)(uintptr_t)(xr_tls.page + xr_tls.slot_off);
}

int mt_xrun(const uint8_t *code, size_t len, struct mt_xstate *st)
{
	struct xr_ctx *c = &xr_tls;
	struct mt_xstate *save;
	unsigned char *slot, *fx;
	uint32_t xflags;
	uint64_t rsp, rflags;
	int32_t rel;
	int rc;

	if (!code || !st || len == 0 || len > 15)
		return -EINVAL;
	if (!c->page && (rc = mt_xrun_thread_init()))
		return rc;
	slot = c->page + c->slot_off;
	memcpy(slot, code, len);
	slot[len] = 0xe9;
	rel = (int32_t)((long)c->post_off - (long)(c->slot_off + len + 5));
	memcpy(slot + len + 1, &rel, 4);

	/* A floating-point exception must happen at the program's
	 * instruction, never inside the stub: refuse states that allow one. */
	if ((st->mxcsr & 0x1f80) != 0x1f80)
		return -EDOM;
	if ((st->xflags & MT_XSTATE_X87) &&
	    ((st->x87.fsw & 0x80) || (st->x87.fcw & 0x3f) != 0x3f))
		return -EDOM;
	save = (struct mt_xstate *)(void *)(c->page + XR_SAVE);
	fx = c->page + XR_SAVE + XR_OFF_GUESTFX;
	rsp = st->gpr[MT_XRUN_RSP];
	rflags = st->rflags;
	memcpy(save, st, sizeof(*st));
	save->rflags = (rflags & MT_XRUN_FLAGS_MASK) | 0x202;
	save->mxcsr = st->mxcsr & 0xffff;
	save->xflags = st->xflags & (MT_XSTATE_X87 | MT_XSTATE_RSP);
	if (save->xflags & MT_XSTATE_X87) {
		uint32_t mx = save->mxcsr;
		memset(fx, 0, 512);
		memcpy(fx, &st->x87, sizeof(st->x87));
		memcpy(fx + 24, &mx, 4);
	}
	__asm__ volatile("" ::: "memory");
	((void (*)(void))(void *)c->page)();
	__asm__ volatile("" ::: "memory");
	xflags = st->xflags;
	memcpy(st, save, offsetof(struct mt_xstate, x87));
	st->xflags = xflags;
	if (save->xflags & MT_XSTATE_X87) {
		uint64_t fip;
		memcpy(&fip, fx + 8, 8);
		if (fip == (uint64_t)(uintptr_t)slot) {
			memcpy(&st->x87, fx, sizeof(st->x87));
		} else {
			/* not an x87 data instruction: pointers as given */
			uint16_t fop = st->x87.fop;
			uint64_t ofip = st->x87.fip, ofdp = st->x87.fdp;
			memcpy(&st->x87, fx, sizeof(st->x87));
			st->x87.fop = fop;
			st->x87.fip = ofip;
			st->x87.fdp = ofdp;
		}
	}
	if (!(save->xflags & MT_XSTATE_RSP))
		st->gpr[MT_XRUN_RSP] = rsp;
	st->rflags = (rflags & ~MT_XRUN_FLAGS_MASK) | (save->rflags & MT_XRUN_FLAGS_MASK);
	return 0;
}

void mt_xrun_x87_fixup(struct mt_xstate *st, uint64_t rip, const void *scratch,
		       uint64_t fdp, uint16_t fop)
{
	if (!st || !(st->xflags & MT_XSTATE_X87) || !xr_tls.page ||
	    st->x87.fip != (uint64_t)(uintptr_t)(xr_tls.page + xr_tls.slot_off))
		return;
	st->x87.fip = rip;
	st->x87.fop = fop & 0x7ff;
	if (st->x87.fdp == (uint64_t)(uintptr_t)scratch)
		st->x87.fdp = fdp;
}

int mt_xrun_displaced(const uint8_t *code, size_t len, unsigned scratch_reg,
		      void *scratch, struct mt_xstate *st)
{
	uint64_t orig;
	int rc;

	if (!st || scratch_reg >= 16 || scratch_reg == MT_XRUN_RSP)
		return -EINVAL;
	orig = st->gpr[scratch_reg];
	st->gpr[scratch_reg] = (uint64_t)(uintptr_t)scratch;
	rc = mt_xrun(code, len, st);
	st->gpr[scratch_reg] = orig;
	return rc;
}
