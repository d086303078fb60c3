// SPDX-License-Identifier: GPL-2.0
/*
 * mtk_ivtest.ko - a test driver for mmiotap.ko on QEMU's ivshmem-plain
 * (PCI 1af4:1110). BAR0 holds four 32-bit registers (QEMU logs every access
 * to it: the ground truth), BAR2 is RAM (not logged by QEMU: every value is
 * checked against what was written, and through a second mapping).
 *
 * At load the driver maps BAR0 and the whole BAR2 with pci_iomap (BAR2 of
 * 4M or more at a 2M-aligned address: ioremap uses 2M pages, and the driver
 * reports the page size lookup_address() sees), and one page of BAR2 again
 * with ioremap (4K pages). Then it makes one "round" (iters= iterations;
 * none with iters=0); writing N to /sys/module/mtk_ivtest/parameters/run
 * makes another round of N iterations at any time (the write fails with EIO
 * if a value was wrong), so accesses can be made after a recording attached
 * to the existing mappings. With hammer_ms= a round goes on past its
 * iterations until that many ms have passed or Y is written to debugfs
 * mtk_ivtest/stop (unload tests). Reading .../parameters/pages tells the
 * page size of each mapping at that moment ("not present" while armed).
 *
 * A round: one kthread per CPU (cpus=), all at once, each iteration
 *   - BAR0 (bar0=1): CPU 0 owns IntrMask and IntrStatus (write/read back in
 *     1, 2, 4, 8 bytes, MOVZX/MOVSX, MOV imm, ADD/OR/TEST/CMP on memory,
 *     LOCK OR, XADD, XCHG, CMPXCHG (success and failure), LOCK BTS, MOVNTI,
 *     an SSE MOVDQU load of all four registers), CPU 1 reads IVPosition in
 *     every width and rings the doorbell (ignored by ivshmem-plain); both
 *     use unused registers (read 0, writes ignored) for memcpy_toio/fromio
 *     (REP MOVS), memset_io (REP STOS), __iowrite32_copy, LOCK OR, MOVDQU;
 *   - BAR2, an area of its own per CPU (CPU 0 in the first 2M page, CPU 1
 *     in the second): the same families on RAM, every read checked, plus an
 *     8-byte access across a 4K boundary, SSE MOVDQU/MOVNTDQA and AVX VMOVDQU
 *     (when the CPU has them) inside kernel_fpu_begin/end; CPU 0 also makes
 *     an 8-byte access across the 2M boundary, writes through one mapping
 *     and reads through the other, and writes the injection word;
 *   - hardirq (irq=1): a pinned hrtimer on each worker's CPU every
 *     period_us, whose callback reads/writes an unused BAR0 register (0x90)
 *     and an area of BAR2 of its own, checked; each worker waits for 3 ticks
 *     before it stops its timer.
 * After the workers, with step=1, a CRC32 m32 on BAR2 (an instruction
 * mmiotap single-steps) is checked against a traced readl.
 *
 * set= (0-7) moves every BAR2 address of a round (distinct per test phase).
 * For the injection test: ivpos_inject= is the value 4-byte IVPosition reads
 * must return, inj_xor= what the injection word's writes are XORed with.
 *
 * A round ends with one line (the VM test reads it):
 *   mtk_ivtest: round R: set S iters N cpus C: bar2 R <bytes> W <bytes>;
 *   vec R16 a W16 b R32 c W32 d; irq ticks t0,t1 bar0 n bar2 R x W y;
 *   inject n; stepped s; errors e
 * bar2 R/W count the bytes of every traced BAR2 access the round makes,
 * hardirq ones included (the CRC32's own read is not counted: it is
 * executed natively, recorded as UNKNOWN).
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/hrtimer.h>
#include <linux/hardirq.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/sizes.h>
#include <linux/debugfs.h>
#include <asm/fpu/api.h>
#include <asm/pgtable.h>

static int iters = 100;
module_param(iters, int, 0444);
MODULE_PARM_DESC(iters, "iterations of the round made at load (0: none)");
static int cpus = 2;
module_param(cpus, int, 0644);
MODULE_PARM_DESC(cpus, "worker threads, one per CPU 0..cpus-1 (1-8, at most the CPUs online)");
static bool bar0 = true;
module_param(bar0, bool, 0644);
MODULE_PARM_DESC(bar0, "rounds access BAR0 too (else BAR2 only)");
static bool irq = true;
module_param(irq, bool, 0644);
MODULE_PARM_DESC(irq, "a pinned hrtimer per worker CPU accesses both BARs in hardirq context");
static uint period_us = 200;
module_param(period_us, uint, 0644);
MODULE_PARM_DESC(period_us, "hrtimer period");
static bool step;
module_param(step, bool, 0644);
MODULE_PARM_DESC(step, "after the workers: a CRC32 m32 on BAR2 (single-stepped by mmiotap), checked");
static uint set;
module_param(set, uint, 0644);
MODULE_PARM_DESC(set, "BAR2 address set 0-7 (each moves every BAR2 address of a round)");
static bool resched = true;
module_param(resched, bool, 0644);
MODULE_PARM_DESC(resched, "sleep briefly every 64 iterations (unloading mmiotap waits for voluntary switches)");
static uint hammer_ms;
module_param(hammer_ms, uint, 0644);
MODULE_PARM_DESC(hammer_ms, "a round goes on past its iterations until this many ms have passed, or until Y is written to debugfs mtk_ivtest/stop (unload tests)");
static uint ivpos_inject;
module_param(ivpos_inject, uint, 0644);
MODULE_PARM_DESC(ivpos_inject, "nonzero: the value 4-byte IVPosition reads must return (injected)");
static uint inj_xor;
module_param(inj_xor, uint, 0644);
MODULE_PARM_DESC(inj_xor, "writes of the injection word reach BAR2 XORed with this (injected)");

/* ivshmem registers (QEMU hw/misc/ivshmem.c) and unused offsets we use. */
#define IV_INTRMASK 0x00
#define IV_INTRSTATUS 0x04
#define IV_IVPOSITION 0x08
#define IV_DOORBELL 0x0c
#define IV_MARK 0x80          /* written by the VM test's script (phase marks) */
#define IV_IRQREG 0x90        /* only the hrtimer callbacks use it */
#define IV_UNUSED(cpu) (0x40 + ((cpu) ? 0x80 : 0)) /* 0x40 (CPU 0), 0xc0 (others) */

#define IVT_MAXCPU 8
/* BAR2 layout (offsets), S = set: see the VM test. */
#define IVT_AREA(c, s) (((c) % 2) * SZ_2M + SZ_1M + (s) * 0x10000 + ((c) / 2) * 0x4000)
#define IVT_IRQAREA(c, s) (((c) % 2) * SZ_2M + SZ_1M + 0x80000 + (s) * 0x1000 + ((c) / 2) * 0x100)
#define IVT_CROSS(s) (SZ_2M - 4 - (s) * 16)   /* 8 bytes across the 2M boundary */
#define IVT_ALT(s) ((s) * 0x100)             /* in page 0, mapped twice */
#define IVT_INJ(s) (IVT_AREA(0, s) + 0x800)  /* the injection word */

static struct pci_dev *pdev;
static void __iomem *r0, *r2, *alt;
static resource_size_t bar2_len;
static u32 ivpos;
static u32 round_no;
static int round_iters;
static unsigned long round_end; /* jiffies: hammer_ms after the round started */
static bool ivt_stop;           /* debugfs mtk_ivtest/stop: end the hammering */
static struct dentry *ivt_dbg;

struct ivt_bad {
	int iter;
	const char *what;
	u64 want, got;
};

struct ivt_w {
	int cpu;
	struct task_struct *t;
	struct completion done;
	/* worker: bytes of BAR2 read/written, vector accesses */
	u64 rb, wb, v16r, v16w, v32r, v32w, inj;
	int errors;
	struct ivt_bad bad;
	/* its hrtimer (hardirq, same CPU): separate counters */
	struct hrtimer timer;
	unsigned int ticks;
	u64 irb, iwb, i0;
	int ierrors;
	struct ivt_bad ibad;
};
static struct ivt_w ivt_w[IVT_MAXCPU];

static void ivt_fail(int *errors, struct ivt_bad *b, int i, const char *what, u64 want, u64 got)
{
	if (!(*errors)++)
		*b = (struct ivt_bad){ i, what, want, got };
}

#define CHECK(w, i, what, want, got) do {                                     \
	u64 _want = (want), _got = (got);                                     \
	if (_want != _got)                                                    \
		ivt_fail(&(w)->errors, &(w)->bad, i, what, _want, _got);      \
} while (0)

/* ---- instruction forms on device memory ---------------------------------- */

static inline u32 ivt_movzb(const volatile void __iomem *p)
{
	u32 v;

	asm volatile("movzbl (%1), %0" : "=r"(v) : "r"(p) : "memory");
	return v;
}

static inline u32 ivt_movzw(const volatile void __iomem *p)
{
	u32 v;

	asm volatile("movzwl (%1), %0" : "=r"(v) : "r"(p) : "memory");
	return v;
}

static inline s32 ivt_movsb(const volatile void __iomem *p)
{
	s32 v;

	asm volatile("movsbl (%1), %0" : "=r"(v) : "r"(p) : "memory");
	return v;
}

static inline s32 ivt_movsw(const volatile void __iomem *p)
{
	s32 v;

	asm volatile("movswl (%1), %0" : "=r"(v) : "r"(p) : "memory");
	return v;
}

/* MOV m32, imm32 */
static inline void ivt_movimm(volatile void __iomem *p)
{
	asm volatile("movl $0x5a5aa5a5, (%0)" : : "r"(p) : "memory");
}

/* ADD m32, imm8 and OR m32, r32 (no LOCK): a read and a write each */
static inline void ivt_add3(volatile void __iomem *p)
{
	asm volatile("addl $3, (%0)" : : "r"(p) : "memory", "cc");
}

static inline void ivt_or(volatile void __iomem *p, u32 x)
{
	asm volatile("orl %1, (%0)" : : "r"(p), "r"(x) : "memory", "cc");
}

/* TEST m32, imm8 (read only): bit 3 set? */
static inline bool ivt_test(const volatile void __iomem *p)
{
	bool nz;

	asm volatile("testl $8, (%1)\n\tsetnz %0" : "=q"(nz) : "r"(p) : "memory", "cc");
	return nz;
}

/* CMP m32, r32 (read only): equal? */
static inline bool ivt_cmpeq(const volatile void __iomem *p, u32 x)
{
	bool eq;

	asm volatile("cmpl %2, (%1)\n\tsete %0" : "=q"(eq) : "r"(p), "r"(x) : "memory", "cc");
	return eq;
}

static inline void ivt_lock_or(volatile void __iomem *p, u32 x)
{
	asm volatile("lock orl %1, (%0)" : : "r"(p), "r"(x) : "memory", "cc");
}

/* LOCK XADD: returns the old value */
static inline u32 ivt_xadd(volatile void __iomem *p, u32 x)
{
	asm volatile("lock xaddl %0, (%1)" : "+r"(x) : "r"(p) : "memory", "cc");
	return x;
}

/* XCHG (implicitly locked): returns the old value */
static inline u32 ivt_xchg(volatile void __iomem *p, u32 x)
{
	asm volatile("xchgl %0, (%1)" : "+r"(x) : "r"(p) : "memory");
	return x;
}

/* LOCK CMPXCHG: returns the old value (written only if it was old) */
static inline u32 ivt_cmpxchg(volatile void __iomem *p, u32 old, u32 new)
{
	u32 prev;

	asm volatile("lock cmpxchgl %2, (%3)" : "=a"(prev) : "0"(old), "r"(new), "r"(p) : "memory", "cc");
	return prev;
}

/* LOCK BTS m32, 31: the old bit */
static inline bool ivt_bts31(volatile void __iomem *p)
{
	bool c;

	asm volatile("lock btsl $31, (%1)\n\tsetc %0" : "=q"(c) : "r"(p) : "memory", "cc");
	return c;
}

static inline void ivt_movnti(volatile void __iomem *p, u32 v)
{
	asm volatile("movnti %1, (%0)" : : "r"(p), "r"(v) : "memory");
}

static u64 ivt_val(u32 round, int cpu, int i)
{
	u64 x = ((u64)round << 40) ^ ((u64)cpu << 32) ^ ((u32)i * 0x9e3779b9u);

	x ^= x >> 31;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 29;
	return x | 1; /* never 0 */
}

/* ---- BAR0 ------------------------------------------------------------------ */

/* CPU 0: IntrMask and IntrStatus are its own (no other code touches them). */
static void ivt_bar0_owner(struct ivt_w *w, int i)
{
	void __iomem *m = r0 + IV_INTRMASK, *s = r0 + IV_INTRSTATUS, *u = r0 + IV_UNUSED(0);
	u32 v = (u32)ivt_val(round_no, 100, i), o;
	u8 pat[32], buf[32];
	int k;

	writel(v, m);
	CHECK(w, i, "bar0 readl(IntrMask)", v, readl(m));
	/* the register is 4 bytes wide: a narrower write sets it zero-extended */
	writew(v >> 16, m);
	CHECK(w, i, "bar0 readw(IntrMask)", (u16)(v >> 16), readw(m));
	CHECK(w, i, "bar0 readl(IntrMask) after writew", (u16)(v >> 16), readl(m));
	writeb(v, m);
	CHECK(w, i, "bar0 readb(IntrMask)", (u8)v, readb(m));
	CHECK(w, i, "bar0 movzbl(IntrMask)", (u8)v, ivt_movzb(m));
	CHECK(w, i, "bar0 movsbl(IntrMask)", (u32)(s32)(s8)v, (u32)ivt_movsb(m));
	CHECK(w, i, "bar0 movzwl(IntrMask)", (u8)v, ivt_movzw(m));
	CHECK(w, i, "bar0 movswl(IntrMask)", (u8)v, (u32)ivt_movsw(m));
	/* 8 bytes: IntrMask and IntrStatus; reading IntrStatus clears it */
	writeq((u64)~v << 32 | v, m);
	CHECK(w, i, "bar0 readq(IntrMask)", (u64)~v << 32 | v, readq(m));
	CHECK(w, i, "bar0 readl(IntrStatus) after a read", 0, readl(s));
	ivt_movimm(m);
	ivt_add3(m);
	ivt_or(m, 0x10000);
	CHECK(w, i, "bar0 mov imm/add/or", 0x5a5ba5a8, readl(m));
	CHECK(w, i, "bar0 test", 1, ivt_test(m));
	CHECK(w, i, "bar0 cmp", 1, ivt_cmpeq(m, 0x5a5ba5a8));
	writel(v, m);
	ivt_lock_or(m, 0x10000);
	CHECK(w, i, "bar0 lock or", v | 0x10000, readl(m));
	o = ivt_xadd(m, 5);
	CHECK(w, i, "bar0 xadd old", v | 0x10000, o);
	CHECK(w, i, "bar0 xadd new", o + 5, readl(m));
	o = ivt_xchg(m, v);
	CHECK(w, i, "bar0 xchg old", (v | 0x10000) + 5, o);
	CHECK(w, i, "bar0 cmpxchg (succeeds)", v, ivt_cmpxchg(m, v, v + 1));
	CHECK(w, i, "bar0 cmpxchg (fails)", v + 1, ivt_cmpxchg(m, v, 0));
	CHECK(w, i, "bar0 bts old bit", (v + 1) >> 31, ivt_bts31(m));
	CHECK(w, i, "bar0 bts", (v + 1) | 0x80000000u, readl(m));
	ivt_movnti(m, ~v);
	CHECK(w, i, "bar0 movnti", ~v, readl(m));
	/* string instructions on unused registers: writes ignored, reads 0 */
	for (k = 0; k < 32; k++)
		pat[k] = (u8)(v + k);
	memcpy_toio(u, pat, 32);
	memset(buf, 0xee, sizeof(buf));
	memcpy_fromio(buf, u, 32);
	CHECK(w, i, "bar0 memcpy_fromio(unused)", 0, memchr_inv(buf, 0, 32) != NULL);
	memset_io(u, 0xa5, 16);
	__iowrite32_copy(u + 16, pat, 4);
	/* SSE: all four registers at once (IntrStatus is 0, the doorbell reads 0) */
	writel(v, m);
	{
		u32 x[4];

		kernel_fpu_begin();
		asm volatile("pxor %%xmm0, %%xmm0\n\t"
			     "movdqu (%1), %%xmm0\n\t"
			     "movdqu %%xmm0, %0" : "=m"(x) : "r"(m) : "memory");
		asm volatile("movdqu %0, %%xmm1\n\t"
			     "movdqu %%xmm1, (%1)" : : "m"(pat), "r"(u) : "memory");
		kernel_fpu_end();
		CHECK(w, i, "bar0 movdqu IntrMask", v, x[0]);
		CHECK(w, i, "bar0 movdqu IntrStatus", 0, x[1]);
		CHECK(w, i, "bar0 movdqu IVPosition", ivpos, x[2]);
		CHECK(w, i, "bar0 movdqu Doorbell", 0, x[3]);
	}
}

/* Other CPUs: IVPosition (read only), the doorbell (no peers: ignored),
 * their unused registers. */
static void ivt_bar0_other(struct ivt_w *w, int i)
{
	void __iomem *ivp = r0 + IV_IVPOSITION, *u = r0 + IV_UNUSED(w->cpu);
	u32 want = ivpos_inject ? ivpos_inject : ivpos, x[4];
	u8 pat[16], buf[16];
	int k;

	CHECK(w, i, "bar0 readl(IVPosition)", want, readl(ivp));
	CHECK(w, i, "bar0 readw(IVPosition)", (u16)ivpos, readw(ivp));
	CHECK(w, i, "bar0 readb(IVPosition)", (u8)ivpos, readb(ivp));
	CHECK(w, i, "bar0 movzwl(IVPosition)", (u16)ivpos, ivt_movzw(ivp));
	CHECK(w, i, "bar0 readq(IVPosition)", ivpos, readq(ivp));
	writel(i & 0xffff, r0 + IV_DOORBELL);
	/* CMP reads 4 bytes: injected like readl */
	CHECK(w, i, "bar0 cmp(IVPosition)", 1, ivt_cmpeq(ivp, want));
	ivt_lock_or(u, 1);
	CHECK(w, i, "bar0 readl(unused)", 0, readl(u));
	for (k = 0; k < 16; k++)
		pat[k] = (u8)(i + k);
	memcpy_toio(u, pat, 16);
	memset(buf, 0xee, sizeof(buf));
	memcpy_fromio(buf, u, 16);
	CHECK(w, i, "bar0 memcpy_fromio(unused)", 0, memchr_inv(buf, 0, 16) != NULL);
	memset_io(u + 16, 0, 8);
	kernel_fpu_begin();
	asm volatile("movdqu (%1), %%xmm2\n\t"
		     "movdqu %%xmm2, %0" : "=m"(x) : "r"(u) : "memory");
	kernel_fpu_end();
	CHECK(w, i, "bar0 movdqu(unused)", 0, x[0] | x[1] | x[2] | x[3]);
}

/* ---- BAR2 ---------------------------------------------------------------- */

typedef struct { u8 b[16]; } ivt_v16;
typedef struct { u8 b[32]; } ivt_v32;

static void ivt_bar2(struct ivt_w *w, int i)
{
	void __iomem *p = r2 + IVT_AREA(w->cpu, set);
	u64 v = ivt_val(round_no, w->cpu, i);
	u32 v32 = (u32)v, o;
	u16 v16 = (u16)(v >> 32);
	u8 v8 = (u8)(v >> 48), pat[64], buf[64];
	int k;

	writeb(v8, p);
	CHECK(w, i, "bar2 readb", v8, readb(p));
	writew(v16, p + 2);
	CHECK(w, i, "bar2 readw", v16, readw(p + 2));
	writel(v32, p + 4);
	CHECK(w, i, "bar2 readl", v32, readl(p + 4));
	writeq(v, p + 8);
	CHECK(w, i, "bar2 readq", v, readq(p + 8));
	w->wb += 1 + 2 + 4 + 8;
	w->rb += 1 + 2 + 4 + 8;
	CHECK(w, i, "bar2 movzbl", v8, ivt_movzb(p));
	CHECK(w, i, "bar2 movsbl", (u32)(s32)(s8)v8, (u32)ivt_movsb(p));
	CHECK(w, i, "bar2 movzwl", v16, ivt_movzw(p + 2));
	CHECK(w, i, "bar2 movswl", (u32)(s32)(s16)v16, (u32)ivt_movsw(p + 2));
	w->rb += 1 + 1 + 2 + 2;
	ivt_movimm(p + 16);                   /* W4 */
	ivt_add3(p + 16);                     /* R4 W4 */
	ivt_or(p + 16, v32 & 0x0f000000);     /* R4 W4 */
	CHECK(w, i, "bar2 mov imm/add/or", 0x5a5aa5a8u | (v32 & 0x0f000000), readl(p + 16));
	CHECK(w, i, "bar2 test", 1, ivt_test(p + 16));
	CHECK(w, i, "bar2 cmp", 1, ivt_cmpeq(p + 16, 0x5a5aa5a8u | (v32 & 0x0f000000)));
	w->wb += 4 + 4 + 4;
	w->rb += 4 + 4 + 4 + 4 + 4;
	writel(v32 & 0x7ffffffe, p + 20);     /* W4 */
	ivt_lock_or(p + 20, 1);               /* R4 W4 */
	o = ivt_xadd(p + 20, 2);              /* R4 W4 */
	CHECK(w, i, "bar2 lock or + xadd old", (v32 & 0x7ffffffe) | 1, o);
	o = ivt_xchg(p + 20, v32);            /* R4 W4 */
	CHECK(w, i, "bar2 xchg old", ((v32 & 0x7ffffffe) | 1) + 2, o);
	CHECK(w, i, "bar2 cmpxchg (succeeds)", v32, ivt_cmpxchg(p + 20, v32, ~v32)); /* R4 W4 */
	CHECK(w, i, "bar2 cmpxchg (fails)", ~v32, ivt_cmpxchg(p + 20, v32, 0));    /* R4 */
	CHECK(w, i, "bar2 bts old bit", (~v32) >> 31, ivt_bts31(p + 20));         /* R4 W4 */
	CHECK(w, i, "bar2 after bts", ~v32 | 0x80000000u, readl(p + 20));        /* R4 */
	ivt_movnti(p + 24, v32 ^ 0x55aa55aa);                                      /* W4 */
	CHECK(w, i, "bar2 movnti", v32 ^ 0x55aa55aa, readl(p + 24));              /* R4 */
	w->wb += 4 + 4 + 4 + 4 + 4 + 4 + 4;
	w->rb += 4 + 4 + 4 + 4 + 4 + 4 + 4 + 4;
	/* across a 4K page boundary (both pages in one 2M page) */
	writeq(~v, p + 0xffc);
	CHECK(w, i, "bar2 readq across 4K", ~v, readq(p + 0xffc));
	w->wb += 8;
	w->rb += 8;
	/* string instructions */
	for (k = 0; k < 64; k++)
		pat[k] = (u8)(v + 7 * k);
	memcpy_toio(p + 0x100, pat, 64);
	memset(buf, 0, sizeof(buf));
	memcpy_fromio(buf, p + 0x100, 64);
	CHECK(w, i, "bar2 memcpy_fromio", 0, memcmp(buf, pat, 64) != 0);
	memset(buf, 0, sizeof(buf));
	memcpy_fromio(buf, p + 0x101, 13); /* unaligned: MOVSB, MOVSW, REP MOVSL, MOVSW */
	CHECK(w, i, "bar2 memcpy_fromio unaligned", 0, memcmp(buf, pat + 1, 13) != 0);
	memset_io(p + 0x200, v8, 64);
	memset(buf, ~v8, sizeof(buf));
	memcpy_fromio(buf, p + 0x200, 64);
	CHECK(w, i, "bar2 memset_io", 0, memchr_inv(buf, v8, 64) != NULL);
	__iowrite32_copy(p + 0x300, pat, 8);
	memset(buf, 0, sizeof(buf));
	__ioread32_copy(buf, p + 0x300, 8);
	CHECK(w, i, "bar2 __iowrite32_copy/__ioread32_copy", 0, memcmp(buf, pat, 32) != 0);
	w->wb += 64 + 64 + 32;
	w->rb += 64 + 13 + 64 + 32;
	/* vector moves */
	{
		ivt_v16 a, b, c;
		ivt_v32 y, z;

		memcpy(&a, pat + 16, 16);
		memcpy(&y, pat + 32, 32);
		memset(&b, 0, sizeof(b));
		memset(&c, 0, sizeof(c));
		memset(&z, 0, sizeof(z));
		kernel_fpu_begin();
		asm volatile("movdqu %0, %%xmm3\n\t"
			     "movdqu %%xmm3, (%1)" : : "m"(a), "r"(p + 0x400) : "memory");
		asm volatile("pxor %%xmm4, %%xmm4\n\t"
			     "movdqu (%1), %%xmm4\n\t"
			     "movdqu %%xmm4, %0" : "=m"(b) : "r"(p + 0x400) : "memory");
		w->v16w++;
		w->v16r++;
		w->wb += 16;
		w->rb += 16;
		if (boot_cpu_has(X86_FEATURE_XMM4_1)) {
			asm volatile("pxor %%xmm5, %%xmm5\n\t"
				     "movntdqa (%1), %%xmm5\n\t"
				     "movdqu %%xmm5, %0" : "=m"(c) : "r"(p + 0x400) : "memory");
			w->v16r++;
			w->rb += 16;
		} else {
			c = a;
		}
		if (boot_cpu_has(X86_FEATURE_AVX)) {
			asm volatile("vmovdqu %0, %%ymm6\n\t"
				     "vmovdqu %%ymm6, (%1)" : : "m"(y), "r"(p + 0x440) : "memory");
			asm volatile("vpxor %%ymm7, %%ymm7, %%ymm7\n\t"
				     "vmovdqu (%1), %%ymm7\n\t"
				     "vmovdqu %%ymm7, %0" : "=m"(z) : "r"(p + 0x440) : "memory");
			w->v32w++;
			w->v32r++;
			w->wb += 32;
			w->rb += 32;
		} else {
			z = y;
		}
		kernel_fpu_end();
		CHECK(w, i, "bar2 movdqu", 0, memcmp(&a, &b, 16) != 0);
		CHECK(w, i, "bar2 movntdqa", 0, memcmp(&a, &c, 16) != 0);
		CHECK(w, i, "bar2 vmovdqu ymm", 0, memcmp(&y, &z, 32) != 0);
	}
	if (w->cpu != 0)
		return;
	/* across the 2M boundary: two 2M pages */
	writeq(v ^ 0x0f0f0f0f0f0f0f0full, r2 + IVT_CROSS(set));
	CHECK(w, i, "bar2 readq across 2M", v ^ 0x0f0f0f0f0f0f0f0full, readq(r2 + IVT_CROSS(set)));
	/* the second mapping (4K pages) of the first page */
	writel(v32, alt + IVT_ALT(set));
	CHECK(w, i, "bar2 write via 2nd mapping, read via 1st", v32, readl(r2 + IVT_ALT(set)));
	writel(~v32, r2 + IVT_ALT(set) + 4);
	CHECK(w, i, "bar2 write via 1st mapping, read via 2nd", ~v32, readl(alt + IVT_ALT(set) + 4));
	/* the injection word */
	writel(v32, r2 + IVT_INJ(set));
	CHECK(w, i, "bar2 injection word", v32 ^ inj_xor, readl(r2 + IVT_INJ(set)));
	w->inj++;
	w->wb += 8 + 4 + 4 + 4;
	w->rb += 8 + 4 + 4 + 4;
}

/* ---- hardirq ------------------------------------------------------------- */

static enum hrtimer_restart ivt_tick(struct hrtimer *t)
{
	struct ivt_w *w = container_of(t, struct ivt_w, timer);
	int cpu = smp_processor_id();
	unsigned int n = w->ticks++;
	void __iomem *q = r2 + IVT_IRQAREA(cpu < IVT_MAXCPU ? cpu : 0, set) + (n % 64) * 4;
	u32 v = (u32)ivt_val(round_no, 200 + cpu, n), got;

	if (!in_hardirq() || cpu != w->cpu)
		ivt_fail(&w->ierrors, &w->ibad, n, "hrtimer callback not in hardirq on its CPU", 1, 0);
	if (bar0) {
		got = readl(r0 + IV_IRQREG);
		if (got)
			ivt_fail(&w->ierrors, &w->ibad, n, "hardirq bar0 readl(unused)", 0, got);
		writel(v, r0 + IV_IRQREG);
		w->i0 += 2;
	}
	writel(v, q);
	got = readl(q);
	if (got != v)
		ivt_fail(&w->ierrors, &w->ibad, n, "hardirq bar2 readl", v, got);
	w->iwb += 4;
	w->irb += 4;
	hrtimer_forward_now(t, ns_to_ktime((u64)period_us * 1000));
	return HRTIMER_RESTART;
}

/* ---- a round ----------------------------------------------------------------- */

static int ivt_worker(void *arg)
{
	struct ivt_w *w = arg;
	int i, waited;

	if (irq) {
		hrtimer_init(&w->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
		w->timer.function = ivt_tick;
		hrtimer_start(&w->timer, ns_to_ktime((u64)period_us * 1000), HRTIMER_MODE_REL_PINNED_HARD);
	}
	for (i = 0; i < round_iters || (!READ_ONCE(ivt_stop) && time_before(jiffies, round_end)); i++) {
		if (resched && !(i % 64))
			usleep_range(20, 50);
		if (bar0) {
			if (w->cpu == 0)
				ivt_bar0_owner(w, i);
			else
				ivt_bar0_other(w, i);
		}
		ivt_bar2(w, i);
	}
	if (irq) {
		for (waited = 0; READ_ONCE(w->ticks) < 3 && waited < 2000; waited++)
			msleep(1);
		hrtimer_cancel(&w->timer);
		if (w->ticks < 3)
			ivt_fail(&w->errors, &w->bad, -1, "hrtimer ticks", 3, w->ticks);
	}
	complete(&w->done);
	return 0;
}

/* A CRC32 m32 on BAR2 (mmiotap: UNKNOWN, single-stepped) and a traced readl
 * of the same word: the CRC32 must have seen the same value. */
static int ivt_step(u64 *rb)
{
	void __iomem *p = r2 + IVT_AREA(0, set) + 4;
	u32 c1 = ~0u, c2 = ~0u, f;

	asm volatile("crc32l (%1), %0" : "+r"(c1) : "r"(p) : "memory");
	f = readl(p);
	*rb += 4;
	asm volatile("crc32l %1, %0" : "+r"(c2) : "m"(f));
	if (c1 != c2) {
		pr_err("mtk_ivtest: crc32 of BAR2 word %#x = %#x, want %#x\n", f, c1, c2);
		return 1;
	}
	return 0;
}

static int ivt_round(int n)
{
	u64 rb = 0, wb = 0, v16r = 0, v16w = 0, v32r = 0, v32w = 0, i0 = 0, inj = 0, irb = 0, iwb = 0;
	int c, ncpu = cpus, errors = 0, stepped = 0;
	char ticks[64] = "";

	if (ncpu < 1 || ncpu > IVT_MAXCPU || ncpu > num_online_cpus() || set > 7 || !period_us) {
		pr_err("mtk_ivtest: cpus=%d (1-%d, at most %u online), set=%u (0-7), period_us=%u (> 0)\n",
		       cpus, IVT_MAXCPU, num_online_cpus(), set, period_us);
		return -EINVAL;
	}
	if (bar2_len < SZ_4M) {
		pr_err("mtk_ivtest: BAR2 is %#llx bytes: rounds need 4M or more (run-vm.sh --dev ivshmem=4M)\n",
		       (u64)bar2_len);
		return -EINVAL;
	}
	round_no++;
	round_iters = n;
	round_end = jiffies + msecs_to_jiffies(hammer_ms);
	WRITE_ONCE(ivt_stop, false);
	for (c = 0; c < ncpu; c++) {
		struct ivt_w *w = &ivt_w[c];

		memset(w, 0, sizeof(*w));
		w->cpu = c;
		init_completion(&w->done);
		w->t = kthread_create(ivt_worker, w, "mtk_ivtest/%d", c);
		if (IS_ERR(w->t)) {
			int ret = PTR_ERR(w->t);

			while (c--)
				kthread_stop(ivt_w[c].t);
			return ret;
		}
		kthread_bind(w->t, c);
	}
	for (c = 0; c < ncpu; c++)
		wake_up_process(ivt_w[c].t);
	for (c = 0; c < ncpu; c++)
		wait_for_completion(&ivt_w[c].done);
	if (step) {
		stepped = 1;
		errors += ivt_step(&rb);
	}
	for (c = 0; c < ncpu; c++) {
		struct ivt_w *w = &ivt_w[c];
		size_t l = strlen(ticks);

		rb += w->rb + w->irb;
		wb += w->wb + w->iwb;
		irb += w->irb;
		iwb += w->iwb;
		v16r += w->v16r;
		v16w += w->v16w;
		v32r += w->v32r;
		v32w += w->v32w;
		i0 += w->i0;
		inj += w->inj;
		errors += w->errors + w->ierrors;
		snprintf(ticks + l, sizeof(ticks) - l, "%s%u", c ? "," : "", w->ticks);
		if (w->errors)
			pr_err("mtk_ivtest: cpu%d iteration %d: %s = %#llx, want %#llx (%d wrong)\n",
			       c, w->bad.iter, w->bad.what, w->bad.got, w->bad.want, w->errors);
		if (w->ierrors)
			pr_err("mtk_ivtest: cpu%d hardirq tick %d: %s = %#llx, want %#llx (%d wrong)\n",
			       c, w->ibad.iter, w->ibad.what, w->ibad.got, w->ibad.want, w->ierrors);
	}
	pr_info("mtk_ivtest: round %u: set %u iters %d cpus %d: bar2 R %llu W %llu; vec R16 %llu W16 %llu R32 %llu W32 %llu; irq ticks %s bar0 %llu bar2 R %llu W %llu; inject %llu; stepped %d; errors %d\n",
		round_no, set, n, ncpu, rb, wb, v16r, v16w, v32r, v32w, irq ? ticks : "-", i0,
		irb, iwb, inj, stepped, errors);
	return errors ? -EIO : 0;
}

static int ivt_run_set(const char *val, const struct kernel_param *kp)
{
	int n, ret = kstrtoint(val, 0, &n);

	if (ret || n <= 0)
		return -EINVAL;
	return ivt_round(n);
}

static const struct kernel_param_ops ivt_run_ops = { .set = ivt_run_set };
module_param_cb(run, &ivt_run_ops, NULL, 0200);
MODULE_PARM_DESC(run, "write N: make one round of N iterations now (EIO if a value was wrong)");

static const char *ivt_level(const volatile void __iomem *p)
{
	unsigned int level;
	pte_t *pte = lookup_address((unsigned long)p, &level);

	if (!pte || !(pte_flags(*pte) & _PAGE_PRESENT))
		return "not present";
	return level == PG_LEVEL_4K ? "4K pages" : level == PG_LEVEL_2M ? "2M pages" :
	       level == PG_LEVEL_1G ? "1G pages" : "other pages";
}

/* Read: the page sizes lookup_address() sees now ("not present" while
 * mmiotap has the mapping armed). */
static int ivt_pages_get(char *buf, const struct kernel_param *kp)
{
	if (!r0)
		return sysfs_emit(buf, "not mapped\n");
	return sysfs_emit(buf, "BAR0 %s, BAR2 %s, BAR2 page 0 again %s\n",
			  ivt_level(r0), ivt_level(r2), ivt_level(alt));
}

static const struct kernel_param_ops ivt_pages_ops = { .get = ivt_pages_get };
module_param_cb(pages, &ivt_pages_ops, NULL, 0444);
MODULE_PARM_DESC(pages, "read: the page size of each mapping now (\"not present\": armed by mmiotap)");

static int __init ivt_init(void)
{
	resource_size_t b0, b2;
	int ret;

	pdev = pci_get_device(0x1af4, 0x1110, NULL);
	if (!pdev) {
		pr_err("mtk_ivtest: no ivshmem-plain device (PCI 1af4:1110)\n");
		return -ENODEV;
	}
	ret = pci_enable_device(pdev);
	if (ret)
		goto put;
	b0 = pci_resource_start(pdev, 0);
	b2 = pci_resource_start(pdev, 2);
	bar2_len = pci_resource_len(pdev, 2);
	ret = -ENOMEM;
	r0 = pci_iomap(pdev, 0, 0);
	r2 = pci_iomap(pdev, 2, 0);
	alt = ioremap(b2, PAGE_SIZE);
	if (!r0 || !r2 || !alt)
		goto unmap;
	ivpos = readl(r0 + IV_IVPOSITION);
	pr_info("mtk_ivtest: BAR0 %pa at %px (%s), BAR2 %pa size %#llx at %px (%s), BAR2 page 0 again at %px (%s), IVPosition %#x\n",
		&b0, r0, ivt_level(r0), &b2, (u64)bar2_len, r2, ivt_level(r2), alt, ivt_level(alt), ivpos);
	/* Written while a round runs: the run parameter's write holds the
	 * module's parameter lock until the round ends. */
	ivt_dbg = debugfs_create_dir("mtk_ivtest", NULL);
	debugfs_create_bool("stop", 0600, ivt_dbg, &ivt_stop);
	if (iters > 0) {
		ret = ivt_round(iters);
		if (ret)
			goto unmap;
	}
	return 0;
unmap:
	debugfs_remove_recursive(ivt_dbg);
	if (alt)
		iounmap(alt);
	if (r2)
		pci_iounmap(pdev, r2);
	if (r0)
		pci_iounmap(pdev, r0);
	pci_disable_device(pdev);
put:
	pci_dev_put(pdev);
	return ret;
}

static void __exit ivt_exit(void)
{
	debugfs_remove_recursive(ivt_dbg);
	iounmap(alt);
	pci_iounmap(pdev, r2);
	pci_iounmap(pdev, r0);
	pci_disable_device(pdev);
	pci_dev_put(pdev);
}

module_init(ivt_init);
module_exit(ivt_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("test driver for mmiotap.ko on QEMU's ivshmem-plain");
