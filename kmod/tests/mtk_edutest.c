// SPDX-License-Identifier: GPL-2.0
/*
 * mtk_edutest.ko - a test driver for mmiotap.ko on QEMU's edu device.
 * Maps BAR0 with pci_iomap (-> ioremap, so the hook sees it), then makes
 * accesses from two CPUs at once: CPU 0 writes the liveness register and
 * checks it reads back inverted; CPU 1 reads the id register (and an 8-byte
 * read). Load fails with -EIO if any value read was wrong, so the test sees
 * that emulation returned what the device returned. Prints ns per access.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/sched/clock.h>
#include <linux/io.h>
#include <linux/vmalloc.h>
#include <linux/uaccess.h>
#include <linux/delay.h>
#include <asm/fpu/api.h>

static int iters = 100;
module_param(iters, int, 0444);
static int cpus = 2;
module_param(cpus, int, 0444);
MODULE_PARM_DESC(cpus, "1: only CPU 0's liveness loop; 2: both loops at once");
/* What to expect when mmiotap injects (the injection test sets these). */
static uint id_want = 0x010000ed;
module_param(id_want, uint, 0444);
MODULE_PARM_DESC(id_want, "value the 4-byte id read must return");
static bool resched;
module_param(resched, bool, 0444);
MODULE_PARM_DESC(resched, "sleep briefly every 64 iterations, as real drivers do: unregistering mmiotap's ftrace hooks waits (RCU Tasks) until every task switched voluntarily");
static uint live_xor;
module_param(live_xor, uint, 0444);
MODULE_PARM_DESC(live_xor, "the liveness read must return ~(written ^ live_xor)");

static bool extra;
module_param(extra, bool, 0444);
MODULE_PARM_DESC(extra, "after the loops, on one CPU: an instruction mmiotap cannot emulate (CRC32 m32 on BAR0+8, single-stepped), then vector moves (SSE MOVD/MOVDQU/MOVNTDQA) on BAR0 inside kernel_fpu_begin/end, each checked");

static int step_iters;
module_param(step_iters, int, 0444);
MODULE_PARM_DESC(step_iters, "with extra=1: then time this many CRC32 m32 (single-stepped) and MOVDQU m128 (emulated) reads of BAR0+8 / BAR0 (benchmark; prints ns per instruction)");

static int floor_iters;
module_param(floor_iters, int, 0444);
MODULE_PARM_DESC(floor_iters, "first time this many 4-byte copy_from_kernel_nofault() reads of a not-present kernel page (a vmalloc guard page): a kernel page fault fixed up through the exception table, the floor under any fault-based tracer (benchmark; prints ns per fault)");

static bool stepper;
module_param(stepper, bool, 0444);
MODULE_PARM_DESC(stepper, "CPU 1 also runs a CRC32 m32 on BAR0+8 (single-stepped by mmiotap) every iteration, concurrently with CPU 0's accesses to the same page; its result is checked");

static void __iomem *bar;
static u32 crc_want; /* crc32l(~0, BAR0+8) as read with readl at load */
static struct pci_dev *pdev;
static atomic_t errors;
/* First wrong value per CPU, printed so a failure says what went wrong. */
static struct { int iter; const char *what; u64 want, got; } bad[2];

static void check(long cpu, int i, const char *what, u64 want, u64 got)
{
	if (want == got)
		return;
	atomic_inc(&errors);
	if (!bad[cpu].what)
		bad[cpu] = (typeof(bad[cpu])){ i, what, want, got };
}
static struct completion done[2];
static u64 elapsed[2];

static int worker(void *arg)
{
	long cpu = (long)arg;
	u64 t0 = local_clock();
	int i;

	for (i = 0; i < iters; i++) {
		if (resched && !(i % 64))
			usleep_range(20, 50);
		if (cpu == 0) {
			u32 v = 0x1000u * i + 0x5a;

			writel(v, bar + 4);
			check(cpu, i, "readl(liveness)", (u32)~(v ^ live_xor), readl(bar + 4));
		} else {
			check(cpu, i, "readl(id)", id_want, readl(bar));
			/* edu answers ~0 to any 8-byte access below 0x80 */
			check(cpu, i, "readq(id)", ~0ull, readq(bar));
			if (stepper) {
				u32 c = ~0u;

				asm volatile("crc32l 8(%1), %0" : "+r"(c) : "r"(bar) : "memory");
				check(cpu, i, "crc32l(BAR0+8)", crc_want, c);
			}
		}
	}
	elapsed[cpu] = local_clock() - t0;
	complete(&done[cpu]);
	return 0;
}

typedef struct { u8 b[16]; } v16;

/*
 * extra=1. The accesses, in order (the VM test compares them with QEMU's
 * log; the CRC32 is the trace's only UNKNOWN, the first read at +8):
 *   crc32l 8(bar)          R4 +8   UNKNOWN: runs natively, single-stepped
 *   readl(bar + 8)         R4 +8   traced: the CRC32 used the same value
 *   writel(v, bar + 4)     W4 +4
 *   movd 4(bar), %xmm3     R4 +4   vector load: ~v
 *   movd %xmm4, 4(bar)     W4 +4   vector store of w
 *   readl(bar + 4)         R4 +4   ~w
 *   movdqu (bar), %xmm0    R16 +0  (QEMU: two 8-byte reads, all ones)
 *   movntdqa (bar), %xmm1  R16 +0  (same)
 *   movdqu %xmm2, 16(bar)  W16 +16 (edu ignores 8-byte writes there)
 * and with AVX:
 *   vmovdqu (bar), %ymm5   R32 +0  (QEMU: four 8-byte reads)
 *   vmovdqu %ymm6, 32(bar) W32 +32
 * Returns the number of wrong values.
 */
static int edutest_extra(void)
{
	u32 c1 = ~0u, c2 = ~0u, f, v = 0x13572468, w = 0x0badf00d, got;
	v16 x0, x1, ones, pat;
	int bad = 0;

	asm volatile("crc32l 8(%1), %0" : "+r"(c1) : "r"(bar) : "memory");
	f = readl(bar + 8);
	asm volatile("crc32l %1, %0" : "+r"(c2) : "m"(f));
	if (c1 != c2) {
		pr_err("mtk_edutest: crc32 of BAR0+8 = %#x, want %#x (register %#x)\n", c1, c2, f);
		bad++;
	}
	memset(&ones, 0xff, sizeof(ones));
	memset(&pat, 0xa5, sizeof(pat));
	writel(v, bar + 4);
	kernel_fpu_begin();
	asm volatile("pxor %%xmm3, %%xmm3\n\t"
		     "movd 4(%1), %%xmm3\n\t"
		     "movd %%xmm3, %0" : "=r"(got) : "r"(bar) : "memory");
	asm volatile("movd %0, %%xmm4\n\t"
		     "movd %%xmm4, 4(%1)" : : "r"(w), "r"(bar) : "memory");
	kernel_fpu_end();
	if (got != ~v) {
		pr_err("mtk_edutest: movd from liveness = %#x, want %#x\n", got, ~v);
		bad++;
	}
	got = readl(bar + 4);
	if (got != ~w) {
		pr_err("mtk_edutest: liveness after movd store = %#x, want %#x\n", got, ~w);
		bad++;
	}
	kernel_fpu_begin();
	asm volatile("pxor %%xmm0, %%xmm0\n\t"
		     "pxor %%xmm1, %%xmm1\n\t"
		     "movdqu (%2), %%xmm0\n\t"
		     "movntdqa (%2), %%xmm1\n\t"
		     "movdqu %%xmm0, %0\n\t"
		     "movdqu %%xmm1, %1" : "=m"(x0), "=m"(x1) : "r"(bar) : "memory");
	asm volatile("movdqu %0, %%xmm2\n\t"
		     "movdqu %%xmm2, 16(%1)" : : "m"(pat), "r"(bar) : "memory");
	kernel_fpu_end();
	if (memcmp(&x0, &ones, 16) || memcmp(&x1, &ones, 16)) {
		pr_err("mtk_edutest: movdqu/movntdqa from BAR0: %16phN / %16phN, want all ones\n", &x0, &x1);
		bad++;
	}
	if (boot_cpu_has(X86_FEATURE_AVX)) {
		/* AVX: vmovdqu ymm load (R32 +0) and store (W32 +32). */
		struct { u8 b[32]; } y, yp;

		memset(&yp, 0x3c, sizeof(yp));
		kernel_fpu_begin();
		asm volatile("vpxor %%ymm5, %%ymm5, %%ymm5\n\t"
			     "vmovdqu (%1), %%ymm5\n\t"
			     "vmovdqu %%ymm5, %0" : "=m"(y) : "r"(bar) : "memory");
		asm volatile("vmovdqu %0, %%ymm6\n\t"
			     "vmovdqu %%ymm6, 32(%1)" : : "m"(yp), "r"(bar) : "memory");
		kernel_fpu_end();
		if (memchr_inv(&y, 0xff, sizeof(y))) {
			pr_err("mtk_edutest: vmovdqu ymm from BAR0: %32phN, want all ones\n", &y);
			bad++;
		}
	}
	if (step_iters > 0) {
		u64 t0, t1, t2;
		int i;

		t0 = local_clock();
		for (i = 0; i < step_iters; i++)
			asm volatile("crc32l 8(%1), %0" : "+r"(c1) : "r"(bar) : "memory");
		t1 = local_clock();
		kernel_fpu_begin();
		for (i = 0; i < step_iters; i++)
			asm volatile("movdqu (%1), %%xmm0\n\tmovdqu %%xmm0, %0" : "=m"(x0) : "r"(bar) : "memory");
		kernel_fpu_end();
		t2 = local_clock();
		pr_info("mtk_edutest: %d iterations: crc32 (single-stepped) %llu ns, movdqu m128 (emulated) %llu ns per instruction\n",
			step_iters, (t1 - t0) / step_iters, (t2 - t1) / step_iters);
	}
	pr_info("mtk_edutest: extra: crc32 %#x over %#x, avx %d, vector moves %s\n", c1, f,
		boot_cpu_has(X86_FEATURE_AVX) ? 1 : 0, bad ? "WRONG" : "right");
	return bad;
}

static void edutest_floor(void)
{
	char *p = vmalloc(PAGE_SIZE);
	int i, refused = 0;
	u64 t0, t1;
	u32 v;

	if (!p)
		return;
	t0 = local_clock();
	for (i = 0; i < floor_iters; i++)
		refused += copy_from_kernel_nofault(&v, p + PAGE_SIZE, sizeof(v)) != 0;
	t1 = local_clock();
	vfree(p);
	pr_info("mtk_edutest: %d faults (%d fixed up): %llu ns per kernel page fault fixed up\n",
		floor_iters, refused, (t1 - t0) / floor_iters);
}

static int __init edutest_init(void)
{
	struct task_struct *t[2];
	long c;
	int ret;

	pdev = pci_get_device(0x1234, 0x11e8, NULL);
	if (!pdev)
		return -ENODEV;
	ret = pci_enable_device(pdev);
	if (ret)
		goto put;
	/* Where the mapping is made from (the test checks MAP's PC). */
	pr_info("mtk_edutest: init at %px\n", edutest_init);
	bar = pci_iomap(pdev, 0, 0);
	if (!bar) {
		ret = -ENOMEM;
		goto disable;
	}
	if (cpus != 1 && cpus != 2) {
		ret = -EINVAL;
		goto unmap;
	}
	if (stepper) {
		u32 f = readl(bar + 8);

		crc_want = ~0u;
		asm volatile("crc32l %1, %0" : "+r"(crc_want) : "m"(f));
	}
	if (floor_iters > 0)
		edutest_floor();
	for (c = 0; c < cpus; c++) {
		init_completion(&done[c]);
		t[c] = kthread_create(worker, (void *)c, "mtk_edutest/%ld", c);
		if (IS_ERR(t[c])) {
			ret = PTR_ERR(t[c]);
			goto unmap;
		}
		kthread_bind(t[c], c % num_online_cpus());
	}
	for (c = 0; c < cpus; c++)
		wake_up_process(t[c]);
	for (c = 0; c < cpus; c++)
		wait_for_completion(&done[c]);
	pr_info("mtk_edutest: %d iterations, errors %d, ns/access cpu0 %llu cpu1 %llu\n",
		iters, atomic_read(&errors), elapsed[0] / (2 * iters),
		cpus > 1 ? elapsed[1] / (2 * iters) : 0);
	if (extra)
		atomic_add(edutest_extra(), &errors);
	for (c = 0; c < 2; c++)
		if (bad[c].what)
			pr_err("mtk_edutest: cpu%ld iteration %d: %s = %#llx, want %#llx\n",
			       c, bad[c].iter, bad[c].what, bad[c].got, bad[c].want);
	if (atomic_read(&errors)) {
		ret = -EIO;
		goto unmap;
	}
	return 0;
unmap:
	pci_iounmap(pdev, bar);
disable:
	pci_disable_device(pdev);
put:
	pci_dev_put(pdev);
	return ret;
}

static void __exit edutest_exit(void)
{
	pr_info("mtk_edutest: exit at %px\n", edutest_exit);
	pci_iounmap(pdev, bar);
	pci_disable_device(pdev);
	pci_dev_put(pdev);
}

module_init(edutest_init);
module_exit(edutest_exit);
MODULE_LICENSE("GPL");
