// SPDX-License-Identifier: GPL-2.0
/*
 * mtk_probetest.ko - a test of mmiotap.ko's probe API
 * (kmod/include/mmiotap_probe.h) on QEMU's edu device. Load fails (-EIO)
 * with a message if any check fails:
 *   1. registration: overlap over the whole range (a probe whose first page
 *      is free but whose range reaches a registered probe: -EEXIST), a
 *      probe across a page boundary sharing a page with another, double
 *      registration (-EBUSY), bad ranges (-EINVAL);
 *   2. handlers change values: a post handler makes the 4-byte id read
 *      0xabcd00ed, a pre handler XORs the liveness writes with 0xff00 (the
 *      driver reads back ~(v ^ 0xff00)), from 2 CPUs at once; hit counts;
 *   3. unregistration with hits in flight: CPU 1 reads the id register
 *      without pause while CPU 0 registers and unregisters 40 probes one
 *      after the other; a handler running after its probe's unregister
 *      returned is an error, and the values CPU 1 sees must be the
 *      device's or a live probe's.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/vmalloc.h>
#include <mmiotap_probe.h>

static int iters = 100;
module_param(iters, int, 0444);

static void __iomem *bar;
static struct pci_dev *pdev;
static atomic_t errors;

#define FAIL(fmt, ...) do { atomic_inc(&errors); \
	pr_err("mtk_probetest: FAIL: " fmt "\n", ##__VA_ARGS__); } while (0)

static void id_post(struct mmiotap_probe *p, struct mmiotap_access *a)
{
	if (!a->write && a->width == 4)
		*(u32 *)a->value = 0xabcd0000u | (*(u32 *)a->value & 0xffff);
}

static void live_pre(struct mmiotap_probe *p, struct mmiotap_access *a)
{
	if (a->write && a->width == 4)
		*(u32 *)a->value ^= 0xff00;
}

static struct mmiotap_probe pid = { .len = 4, .post = id_post };
static struct mmiotap_probe plive = { .len = 4, .pre = live_pre };

#define NCYCLE 40
static struct mmiotap_probe pcyc[NCYCLE];
static atomic_t cyc_state[NCYCLE]; /* 0 not yet, 1 registered, 2 unregistered */
static atomic_t late, seen_probe;

static void cyc_post(struct mmiotap_probe *p, struct mmiotap_access *a)
{
	long k = (long)p->private;

	if (atomic_read(&cyc_state[k]) != 1)
		atomic_inc(&late);
	if (!a->write && a->width == 4)
		*(u32 *)a->value = 0x5a5a0000u | (u32)k;
}

static struct completion done[2];
static int phase;          /* 2: values test, 3: unregister under fire */
static atomic_t stop;

static int worker(void *arg)
{
	long cpu = (long)arg;
	int i;

	if (phase == 2) {
		for (i = 0; i < iters; i++) {
			if (cpu == 0) {
				u32 v = 0x1000u * i + 0x5a, got;

				writel(v, bar + 4);
				got = readl(bar + 4);
				if (got != (u32)~(v ^ 0xff00))
					FAIL("iteration %d: liveness read %#x, want %#x", i, got, ~(v ^ 0xff00));
			} else {
				u32 got = readl(bar);
				u64 q = readq(bar);

				if (got != 0xabcd00ed)
					FAIL("iteration %d: id read %#x, want 0xabcd00ed", i, got);
				if (q != ~0ull)
					FAIL("iteration %d: readq(id) %#llx, want ~0", i, q);
			}
		}
	} else {
		while (!atomic_read(&stop)) {
			u32 got = readl(bar);

			/* A voluntary preemption point, as real driver loops
			 * have: without one, a non-preemptible kernel never
			 * runs ksoftirqd here once it is woken, RCU softirq
			 * work stops on this CPU, and CPU 0's synchronize_rcu()
			 * (in unregister) waits forever (seen once: RCU stall). */
			cond_resched();
			if (got == 0x010000ed)
				continue;
			if ((got & 0xffff0000u) == 0x5a5a0000u && (got & 0xffff) < NCYCLE) {
				atomic_inc(&seen_probe);
				continue;
			}
			FAIL("phase 3: id read %#x", got);
			break;
		}
	}
	complete(&done[cpu]);
	return 0;
}

static int run_on(int cpu)
{
	struct task_struct *t;

	init_completion(&done[cpu]);
	t = kthread_create(worker, (void *)(long)cpu, "mtk_probetest/%d", cpu);
	if (IS_ERR(t))
		return PTR_ERR(t);
	kthread_bind(t, cpu % num_online_cpus());
	wake_up_process(t);
	return 0;
}

static void expect(const char *what, int got, int want)
{
	if (got != want)
		FAIL("%s returned %d, want %d", what, got, want);
}

static int __init probetest_init(void)
{
	struct mmiotap_probe b = { .len = 4, .post = id_post };
	struct mmiotap_probe span = { .len = 0x10, .post = id_post };
	struct mmiotap_probe c = { .len = 4, .post = id_post };
	void *vbuf;
	int ret, k, t;

	pdev = pci_get_device(0x1234, 0x11e8, NULL);
	if (!pdev)
		return -ENODEV;
	ret = pci_enable_device(pdev);
	if (ret)
		goto put;
	bar = pci_iomap(pdev, 0, 0);
	if (!bar) {
		ret = -ENOMEM;
		goto disable;
	}

	/* 1. registration */
	pid.addr = (unsigned long)bar;
	plive.addr = (unsigned long)bar + 4;
	expect("register(id)", mmiotap_register_probe(&pid), 0);
	expect("register(id) again", mmiotap_register_probe(&pid), -EBUSY);
	b.addr = (unsigned long)bar + 2;
	expect("register(0x2..0x5, overlaps id)", mmiotap_register_probe(&b), -EEXIST);
	span.addr = (unsigned long)bar + 0xffc;
	expect("register(0xffc..0x100b, across pages)", mmiotap_register_probe(&span), 0);
	c.addr = (unsigned long)bar + 0x1008;
	expect("register(0x1008..0x100b, second page of another probe)", mmiotap_register_probe(&c), -EEXIST);
	c.addr = (unsigned long)bar + 0x1000 - 0x20;
	c.len = 0x30;
	expect("register(0xfe0..0x100f, ends inside another probe)", mmiotap_register_probe(&c), -EEXIST);
	c.addr = (unsigned long)bar + 0x10;
	c.len = 0;
	expect("register(len 0)", mmiotap_register_probe(&c), -EINVAL);
	vbuf = vmalloc(PAGE_SIZE);
	if (vbuf) {
		c.addr = (unsigned long)vbuf;
		c.len = 4;
		expect("register(vmalloc()ed RAM)", mmiotap_register_probe(&c), -EINVAL);
		vfree(vbuf);
	}
	mmiotap_unregister_probe(&span);
	mmiotap_unregister_probe(&span); /* twice: a no-op */
	expect("register(liveness)", mmiotap_register_probe(&plive), 0);

	/* 2. values changed by handlers, 2 CPUs at once */
	phase = 2;
	for (k = 0; k < 2; k++)
		if (run_on(k))
			FAIL("kthread");
	wait_for_completion(&done[0]);
	wait_for_completion(&done[1]);
	if (atomic64_read(&pid.hits) != 2 * iters)
		FAIL("id probe: %lld hits, want %d", (long long)atomic64_read(&pid.hits), 2 * iters);
	if (atomic64_read(&plive.hits) != 2 * iters)
		FAIL("liveness probe: %lld hits, want %d", (long long)atomic64_read(&plive.hits), 2 * iters);
	mmiotap_unregister_probe(&pid);
	mmiotap_unregister_probe(&plive);
	if (readl(bar) != 0x010000ed)
		FAIL("id read after unregister is not the device's");

	/* 3. register/unregister while CPU 1 hammers the probed register */
	phase = 3;
	atomic_set(&stop, 0);
	if (run_on(1))
		FAIL("kthread");
	for (k = 0; k < NCYCLE; k++) {
		pcyc[k].addr = (unsigned long)bar;
		pcyc[k].len = 4;
		pcyc[k].post = cyc_post;
		pcyc[k].private = (void *)(long)k;
		atomic_set(&cyc_state[k], 1);
		ret = mmiotap_register_probe(&pcyc[k]);
		if (ret) {
			FAIL("cycle %d: register %d", k, ret);
			break;
		}
		/* Let CPU 1 hit it a few times (up to 200 ms), then unregister
		 * while it keeps hitting. */
		for (t = 0; t < 1000 && atomic64_read(&pcyc[k].hits) < 3; t++)
			usleep_range(100, 200);
		mmiotap_unregister_probe(&pcyc[k]);
		atomic_set(&cyc_state[k], 2);
	}
	udelay(200);
	atomic_set(&stop, 1);
	wait_for_completion(&done[1]);
	if (atomic_read(&late))
		FAIL("%d handler calls after their probe's unregister returned", atomic_read(&late));
	if (!atomic_read(&seen_probe))
		FAIL("phase 3: CPU 1 never saw a probe's value");
	pr_info("mtk_probetest: %d iterations, errors %d, phase 3: %d reads changed by %d short-lived probes, %d late handler calls\n",
		iters, atomic_read(&errors), atomic_read(&seen_probe), NCYCLE, atomic_read(&late));
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

static void __exit probetest_exit(void)
{
	pci_iounmap(pdev, bar);
	pci_disable_device(pdev);
	pci_dev_put(pdev);
}

module_init(probetest_init);
module_exit(probetest_exit);
MODULE_LICENSE("GPL");
