// SPDX-License-Identifier: GPL-2.0
/*
 * mtk_edutest.ko - a test driver for mmiotap.ko on QEMU's edu device.
 * Maps BAR0 with pci_iomap (-> ioremap, so the hook sees it), then makes
 * accesses from two CPUs at once: CPU 0 writes the liveness register and
 * checks it reads back inverted; CPU 1 reads the id register (and an 8-byte
 * read). Load fails with -EIO if any value read was wrong, so the test sees
 * that emulation returned what the device returned. Prints ns per access.
 * irqs=1 or 2 adds accesses from NMI, hardirq and softirq context on both
 * CPUs while the loops run (see edutest_nmi() below).
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
#include <linux/irq_work.h>
#include <linux/interrupt.h>
#include <asm/fpu/api.h>
#include <asm/apic.h>
#include <asm/nmi.h>
#include <mmiotap_probe.h>

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

static int irqs;
module_param(irqs, int, 0444);
MODULE_PARM_DESC(irqs, "with cpus=2: while the loops run, every 4th iteration queues an irq_work (hardirq: reads edu's irq status +0x24, want 0, writes +0x10) that schedules a tasklet (softirq: reads +0x0c, want ~0, writes +0x14), and NMIs come (the handler reads edu's status +0x20, want 0, and writes +0x18): 1: each loop keeps one NMI in flight to the other CPU; 2: from inside mmiotap's emulation of the loops' accesses (needs mmiotap.ko loaded: a probe on BAR0+0..7 whose pre handler, on every 8th access, and post handler, on every 8th from the 4th, sends this CPU an NMI and waits for it); values and contexts checked, counts printed");

static int irq_nmis = 50;
module_param(irq_nmis, int, 0444);
MODULE_PARM_DESC(irq_nmis, "with irqs=1: the loops go on past iters until each CPU has taken this many NMIs (at most 5 s: under QEMU TCG on a loaded host an NMI round trip can take milliseconds); each loop's iterations are printed");

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
static int loops[2]; /* iterations each loop made */

/*
 * irqs=1/2. Per CPU: NMIs sent to it (one at a time: the next only after
 * the handler counted the last, so none coalesce and the handler can tell
 * ours from any other NMI), and runs of each context. Each context uses its
 * own edu registers, so the test can tell its accesses apart in QEMU's log.
 */
#define EDU_NMI_R 0x20  /* status: 0 (no factorial computing, no IRQ enabled) */
#define EDU_NMI_W 0x18  /* not a register: edu ignores the write, QEMU logs it */
#define EDU_HARD_R 0x24 /* interrupt status: 0 (nobody raises one) */
#define EDU_HARD_W 0x10
#define EDU_SOFT_R 0x0c /* not a register: reads ~0 */
#define EDU_SOFT_W 0x14
static struct edu_irqctx {
	atomic_t nmi_sent;
	int nmi_got;
	unsigned int hard, soft;
	unsigned int hits, pre_nmis, post_nmis; /* irqs=2: probe hits, NMIs sent from pre/post */
	struct irq_work work;
	struct tasklet_struct tl;
} ictx[2];
static bool nmi_registered;
/* First wrong value seen in an interrupt context (any CPU). */
static atomic_t ibad_claimed;
static struct { long cpu; const char *what; u64 want, got; } ibad;

static void icheck(long cpu, const char *what, u64 want, u64 got)
{
	if (want == got)
		return;
	atomic_inc(&errors);
	if (!atomic_xchg(&ibad_claimed, 1))
		ibad = (typeof(ibad)){ cpu, what, want, got };
}

static int edutest_nmi(unsigned int type, struct pt_regs *regs)
{
	long cpu = smp_processor_id();
	struct edu_irqctx *x;
	int n;

	if (cpu > 1)
		return NMI_DONE;
	x = &ictx[cpu];
	n = READ_ONCE(x->nmi_got);
	if (atomic_read(&x->nmi_sent) == n)
		return NMI_DONE; /* not one of ours */
	icheck(cpu, "NMI: in_nmi()", 1, !!in_nmi());
	icheck(cpu, "NMI: readl(status +0x20)", 0, readl(bar + EDU_NMI_R));
	writel(0x4e000000 | (cpu << 16) | (n & 0xffff), bar + EDU_NMI_W);
	smp_store_release(&x->nmi_got, n + 1);
	return NMI_HANDLED;
}

/* From CPU cpu's loop: an NMI to the other CPU, unless one is in flight. */
static void nmi_kick(long cpu)
{
	struct edu_irqctx *x = &ictx[!cpu];

	if (atomic_read(&x->nmi_sent) != smp_load_acquire(&x->nmi_got))
		return;
	atomic_inc(&x->nmi_sent);
	apic->send_IPI(!cpu, NMI_VECTOR);
}

/*
 * irqs=2: an NMI to this CPU from inside mmiotap's emulation of an access
 * (a probe handler runs there, order lock held, interrupts off), waited
 * for, so it lands there: its accesses are nested in the emulation. From
 * the pre handler the NMI's accesses reach the device before the
 * interrupted one, from the post handler after it.
 */
static void nmi_self(long cpu, unsigned int *count)
{
	struct edu_irqctx *x = &ictx[cpu];
	int n = READ_ONCE(x->nmi_got), k;

	atomic_inc(&x->nmi_sent);
	apic->send_IPI(cpu, NMI_VECTOR);
	for (k = 0; k < 100000 && READ_ONCE(x->nmi_got) == n; k++)
		udelay(1);
	if (READ_ONCE(x->nmi_got) == n)
		icheck(cpu, "probe: the NMI sent to this CPU came inside the emulation", 1, 0);
	else
		(*count)++;
}

static void probe_pre(struct mmiotap_probe *p, struct mmiotap_access *a)
{
	long cpu = smp_processor_id();

	if (cpu < 2 && ictx[cpu].hits++ % 8 == 0)
		nmi_self(cpu, &ictx[cpu].pre_nmis);
}

static void probe_post(struct mmiotap_probe *p, struct mmiotap_access *a)
{
	long cpu = smp_processor_id();

	if (cpu < 2 && ictx[cpu].hits % 8 == 4)
		nmi_self(cpu, &ictx[cpu].post_nmis);
}

static struct mmiotap_probe nprobe = { .len = 8, .pre = probe_pre, .post = probe_post };
static typeof(&mmiotap_unregister_probe) nprobe_unreg;

static void edutest_hardirq(struct irq_work *w)
{
	struct edu_irqctx *x = container_of(w, struct edu_irqctx, work);
	long cpu = x - ictx;

	icheck(cpu, "irq_work: CPU", cpu, smp_processor_id());
	icheck(cpu, "irq_work: in_hardirq()", 1, !!in_hardirq());
	icheck(cpu, "hardirq: readl(irq status +0x24)", 0, readl(bar + EDU_HARD_R));
	writel(0x48000000 | (cpu << 16) | (x->hard & 0xffff), bar + EDU_HARD_W);
	x->hard++;
	tasklet_schedule(&x->tl);
}

static void edutest_softirq(struct tasklet_struct *t)
{
	struct edu_irqctx *x = from_tasklet(x, t, tl);
	long cpu = x - ictx;

	icheck(cpu, "tasklet: CPU", cpu, smp_processor_id());
	icheck(cpu, "tasklet: in_serving_softirq()", 1, !!in_serving_softirq());
	icheck(cpu, "softirq: readl(+0x0c)", 0xffffffff, readl(bar + EDU_SOFT_R));
	writel(0x53000000 | (cpu << 16) | (x->soft & 0xffff), bar + EDU_SOFT_W);
	x->soft++;
}

static int edutest_irqs_start(void)
{
	int c, ret;

	for (c = 0; c < 2; c++) {
		atomic_set(&ictx[c].nmi_sent, 0);
		ictx[c].nmi_got = 0;
		ictx[c].work = IRQ_WORK_INIT_HARD(edutest_hardirq);
		tasklet_setup(&ictx[c].tl, edutest_softirq);
	}
	ret = register_nmi_handler(NMI_LOCAL, edutest_nmi, 0, "mtk_edutest");
	if (ret) {
		pr_err("mtk_edutest: register_nmi_handler: %d\n", ret);
		return ret;
	}
	nmi_registered = true;
	if (irqs == 2) {
		/* Not a link-time dependency: the module loads without mmiotap.ko. */
		typeof(&mmiotap_register_probe) reg = symbol_get(mmiotap_register_probe);

		nprobe_unreg = symbol_get(mmiotap_unregister_probe);
		ret = reg && nprobe_unreg ? 0 : -ENOENT;
		if (!ret) {
			nprobe.addr = (unsigned long)bar;
			ret = reg(&nprobe);
		}
		if (reg)
			symbol_put(mmiotap_register_probe);
		if (ret) {
			pr_err("mtk_edutest: irqs=2: cannot register a probe with mmiotap.ko (loaded?): %d\n", ret);
			if (nprobe_unreg)
				symbol_put(mmiotap_unregister_probe);
			nprobe_unreg = NULL;
			unregister_nmi_handler(NMI_LOCAL, "mtk_edutest");
			nmi_registered = false;
			return ret;
		}
	}
	return 0;
}

/* After the loops: let the NMIs in flight land, then tear down. */
static void edutest_irqs_stop(void)
{
	int c, k;

	if (nprobe_unreg) {
		nprobe_unreg(&nprobe);
		symbol_put(mmiotap_unregister_probe);
		nprobe_unreg = NULL;
	}
	for (c = 0; c < 2; c++) {
		for (k = 0; k < 100000 && atomic_read(&ictx[c].nmi_sent) !=
					  smp_load_acquire(&ictx[c].nmi_got); k++)
			udelay(10);
		icheck(c, "NMIs handled (sent - handled)", 0,
		       atomic_read(&ictx[c].nmi_sent) - ictx[c].nmi_got);
		irq_work_sync(&ictx[c].work);
		tasklet_kill(&ictx[c].tl);
	}
	if (nmi_registered)
		unregister_nmi_handler(NMI_LOCAL, "mtk_edutest");
	nmi_registered = false;
	pr_info("mtk_edutest: irqs: cpu0 iterations %d nmi %d (pre %u post %u) hardirq %u softirq %u, cpu1 iterations %d nmi %d (pre %u post %u) hardirq %u softirq %u\n",
		loops[0], ictx[0].nmi_got, ictx[0].pre_nmis, ictx[0].post_nmis, ictx[0].hard, ictx[0].soft,
		loops[1], ictx[1].nmi_got, ictx[1].pre_nmis, ictx[1].post_nmis, ictx[1].hard, ictx[1].soft);
}

/* Another iteration? iters, then (irqs=1) until both CPUs took irq_nmis
 * NMIs (the counts only grow: both loops stop on the same condition). */
static bool worker_more(int i, u64 t0)
{
	if (i < iters)
		return true;
	if (irqs != 1 || local_clock() - t0 > 5 * NSEC_PER_SEC)
		return false;
	return smp_load_acquire(&ictx[0].nmi_got) < irq_nmis ||
	       smp_load_acquire(&ictx[1].nmi_got) < irq_nmis;
}

static int worker(void *arg)
{
	long cpu = (long)arg;
	u64 t0 = local_clock();
	int i;

	for (i = 0; worker_more(i, t0); i++) {
		if (resched && !(i % 64))
			usleep_range(20, 50);
		if (irqs) {
			if (irqs == 1)
				nmi_kick(cpu);
			if (!(i % 4))
				irq_work_queue(&ictx[cpu].work);
		}
		if (cpu == 0) {
			u32 v = 0x1000u * i + 0x5a;

			writel(v, bar + 4);
			if (irqs == 1)
				nmi_kick(cpu);
			check(cpu, i, "readl(liveness)", (u32)~(v ^ live_xor), readl(bar + 4));
		} else {
			check(cpu, i, "readl(id)", id_want, readl(bar));
			if (irqs == 1)
				nmi_kick(cpu);
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
	loops[cpu] = i;
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
	if (irqs < 0 || irqs > 2 || (irqs && (cpus != 2 || num_online_cpus() < 2))) {
		pr_err("mtk_edutest: irqs=%d: want 0, or 1 or 2 with cpus=2 and 2 online CPUs\n", irqs);
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
			while (c--)
				kthread_stop(t[c]);
			goto unmap;
		}
		kthread_bind(t[c], c % num_online_cpus());
	}
	if (irqs) {
		ret = edutest_irqs_start();
		if (ret) {
			for (c = 0; c < cpus; c++)
				kthread_stop(t[c]);
			goto unmap;
		}
	}
	for (c = 0; c < cpus; c++)
		wake_up_process(t[c]);
	for (c = 0; c < cpus; c++)
		wait_for_completion(&done[c]);
	if (irqs)
		edutest_irqs_stop();
	pr_info("mtk_edutest: %d iterations, errors %d, ns/access cpu0 %llu cpu1 %llu\n",
		iters, atomic_read(&errors), elapsed[0] / (2 * max(loops[0], 1)),
		cpus > 1 ? elapsed[1] / (2 * max(loops[1], 1)) : 0);
	if (extra)
		atomic_add(edutest_extra(), &errors);
	for (c = 0; c < 2; c++)
		if (bad[c].what)
			pr_err("mtk_edutest: cpu%ld iteration %d: %s = %#llx, want %#llx\n",
			       c, bad[c].iter, bad[c].what, bad[c].got, bad[c].want);
	if (ibad.what)
		pr_err("mtk_edutest: cpu%ld: %s = %#llx, want %#llx\n",
		       ibad.cpu, ibad.what, ibad.got, ibad.want);
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
