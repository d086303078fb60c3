// SPDX-License-Identifier: GPL-2.0
/*
 * mtk_trusttest.ko - a test driver that does what real drivers do and
 * tracers get wrong (tests/vm/test-kmod-{bulk,exactonce,vmap,stress}.sh).
 * Each mode is a module parameter; every result is one line
 * "mtk_trusttest: <mode>: ..." in the kernel log.
 *
 *  bulk=1      ivshmem BAR2 (>= 2M): one REP STOSB of 1 MiB (0x5a), one REP
 *              MOVSQ of 256 KiB and one REP MOVSL of 256 KiB from RAM (byte
 *              patterns i*7+1 and i*13+5), in process context at load:
 *              1,146,880 device writes. bulk_atomic=1: the same with
 *              preemption off (no fault may wait there).
 *  toio_kib=N  time one memcpy_toio() of N KiB RAM to ivshmem BAR2 (bench).
 *  icr=1       e1000 (8086:100e, no driver bound) BAR0 with ICR (0xc0,
 *              cleared by a read), each scenario after an ICS write sets
 *              ICR bits: a plain read; MOVSL ICR into a kernel buffer whose
 *              destination is a guard page (faults after its device read);
 *              REP MOVSL of ICR,ITR,ICS into the last 8 bytes before a guard
 *              page (two elements done, the third faults after its read);
 *              REP MOVSL of the three into a user page of insmod's not yet
 *              faulted in (paged in, the element run again, as the CPU
 *              does), and the same with preemption off (cannot page in:
 *              the copy fails). Prints what each copy left (remaining count
 *              and values): equal with and without tracing.
 *  vmap=1      ioremap_prot() one page of ivshmem BAR2 at load (a mapping
 *              no ioremap hook sees: only the page-table walk arms it; what
 *              a vmap_pfn() user has, which some kernels do not build);
 *              `echo CMD > .../parameters/cmd`:
 *              touch (read it), vunmap, vfree (a teardown without
 *              iounmap), reuse (vmalloc() pages until one lands at the old
 *              address, fill it with a pattern), check (the pattern is
 *              intact and the page maps RAM, not the device).
 *  mapids=N    N x (ioremap, readl, iounmap) of edu BAR0 while one mapping
 *              of it stays live; prints the live mapping's address.
 *  churn=1     a kthread ioremaps, reads and iounmaps edu BAR0 and maps
 *              (ioremap_prot), reads and vunmaps/vfrees ivshmem BAR2 (when
 *              present) until unload.
 *  churn_pause (writable): while Y the kthread maps nothing and says so in
 *              churn_idle (read-only): the stress test's unloader pauses it
 *              around rmmod/insmod of mmiotap, whose ftrace (un)registration
 *              rewrites the first bytes of ioremap and remove_vm_area while
 *              the kthread would run them: QEMU's multi-threaded TCG does
 *              not keep that cross-modification safe (docs/HOWTO_TEST.md).
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/io.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/uaccess.h>
#include <linux/kthread.h>
#include <linux/delay.h>
#include <linux/sched/clock.h>
#include <asm/asm.h>
#include <asm/smap.h>
#include <asm/pgtable.h>

static bool bulk;
module_param(bulk, bool, 0444);
static bool bulk_atomic;
module_param(bulk_atomic, bool, 0444);
static uint toio_kib;
module_param(toio_kib, uint, 0444);
static bool icr;
module_param(icr, bool, 0444);
static bool tt_vmap_on;
module_param_named(vmap, tt_vmap_on, bool, 0444);
static uint mapids;
module_param(mapids, uint, 0444);
static bool churn;
module_param(churn, bool, 0444);
static bool churn_pause;
module_param(churn_pause, bool, 0644);
static bool churn_idle;
module_param(churn_idle, bool, 0444);

#define PFX "mtk_trusttest: "

static struct pci_dev *tt_dev(unsigned int vendor, unsigned int device)
{
	struct pci_dev *pdev = pci_get_device(vendor, device, NULL);

	if (pdev && pci_enable_device_mem(pdev)) {
		pci_dev_put(pdev);
		return NULL;
	}
	return pdev;
}

/* ---- bulk ---------------------------------------------------------------- */

static void tt_rep_stosb(void __iomem *dst, u8 v, unsigned long n)
{
	asm volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(v) : "memory");
}

static void tt_rep_movsq(void __iomem *dst, const void *src, unsigned long n)
{
	asm volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

static void tt_rep_movsl(void __iomem *dst, const void *src, unsigned long n)
{
	asm volatile("rep movsl" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

static int tt_bulk(bool atomic)
{
	struct pci_dev *pdev = tt_dev(0x1af4, 0x1110);
	void __iomem *bar;
	u8 *buf;
	u64 t0, t1;
	int i;

	if (!pdev)
		return -ENODEV;
	bar = pci_iomap(pdev, 2, 0);
	buf = vmalloc(SZ_512K);
	if (!bar || !buf || pci_resource_len(pdev, 2) < SZ_2M) {
		pr_err(PFX "bulk: no ivshmem BAR2 of 2M or more\n");
		goto out;
	}
	for (i = 0; i < SZ_256K; i++) {
		buf[i] = (u8)(i * 7 + 1);
		buf[SZ_256K + i] = (u8)(i * 13 + 5);
	}
	t0 = local_clock();
	if (atomic)
		preempt_disable();
	tt_rep_stosb(bar, 0x5a, SZ_1M);
	tt_rep_movsq(bar + SZ_1M, buf, SZ_256K / 8);
	tt_rep_movsl(bar + SZ_1M + SZ_256K, buf + SZ_256K, SZ_256K / 4);
	if (atomic)
		preempt_enable();
	t1 = local_clock();
	pr_info(PFX "bulk: %u device writes in %llu ms%s\n", SZ_1M + SZ_256K / 8 + SZ_256K / 4,
		(t1 - t0) / 1000000, atomic ? " (preemption off)" : "");
out:
	vfree(buf);
	if (bar)
		pci_iounmap(pdev, bar);
	pci_dev_put(pdev);
	return 0;
}

static int tt_toio(unsigned int kib)
{
	struct pci_dev *pdev = tt_dev(0x1af4, 0x1110);
	void __iomem *bar;
	u8 *buf;
	u64 t0, t1;

	if (!pdev)
		return -ENODEV;
	bar = pci_iomap(pdev, 2, 0);
	buf = vmalloc((unsigned long)kib << 10);
	if (bar && buf && pci_resource_len(pdev, 2) >= ((u64)kib << 10)) {
		memset(buf, 0xa5, (unsigned long)kib << 10);
		t0 = local_clock();
		memcpy_toio(bar, buf, (unsigned long)kib << 10);
		t1 = local_clock();
		pr_info(PFX "toio: %u KiB in %llu ns\n", kib, t1 - t0);
	} else {
		pr_err(PFX "toio: no ivshmem BAR2 of %u KiB\n", kib);
	}
	vfree(buf);
	if (bar)
		pci_iounmap(pdev, bar);
	pci_dev_put(pdev);
	return 0;
}

/* ---- icr: device accesses of an instruction that faults part-way --------- */

#define E1000_ICR 0xc0
#define E1000_ICS 0xc8

/* REP MOVSL n dwords from src to a kernel dst; a fault on dst ends the
 * copy through the exception table. Returns the count left. */
static unsigned long tt_movsl_k(void *dst, const void __iomem *src, unsigned long n, bool rep)
{
	if (rep)
		asm volatile("1: rep movsl\n2:\n" _ASM_EXTABLE(1b, 2b)
			     : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
	else
		asm volatile("1: movsl\n\tdec %%rcx\n2:\n" _ASM_EXTABLE(1b, 2b)
			     : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
	return n;
}

/* The same into user memory, inside a user-access section. */
static unsigned long tt_movsl_u(void __user *dst, const void __iomem *src, unsigned long n)
{
	stac();
	asm volatile("1: rep movsl\n2:\n" _ASM_EXTABLE_UA(1b, 2b)
		     : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
	clac();
	return n;
}

static int tt_icr(void)
{
	struct pci_dev *pdev = tt_dev(0x8086, 0x100e);
	u32 *kbuf = vmalloc(PAGE_SIZE), out[3] = { 0 }, v;
	unsigned long left, ua;
	void __iomem *bar;
	u32 __user *ubuf;

	if (!pdev || !kbuf) {
		vfree(kbuf);
		return -ENODEV;
	}
	bar = pci_iomap(pdev, 0, 0);
	if (!bar)
		goto out;
	/* the page after a vmalloc()ed page is a guard page */
	writel(0x11, bar + E1000_ICS);
	v = readl(bar + E1000_ICR);
	pr_info(PFX "icr: plain read %#x\n", v);

	writel(0x22, bar + E1000_ICS);
	left = tt_movsl_k((u8 *)kbuf + PAGE_SIZE, bar + E1000_ICR, 1, false);
	pr_info(PFX "icr: movsl to a guard page: left %lu, icr then %#x\n", left,
		readl(bar + E1000_ICR));

	writel(0x44, bar + E1000_ICS);
	left = tt_movsl_k((u8 *)kbuf + PAGE_SIZE - 8, bar + E1000_ICR, 3, true);
	pr_info(PFX "icr: rep movsl x3 ending on a guard page: left %lu, got %#x %#x\n", left,
		kbuf[PAGE_SIZE / 4 - 2], kbuf[PAGE_SIZE / 4 - 1]);

	ua = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(ua)) {
		pr_err(PFX "icr: vm_mmap failed\n");
		goto out;
	}
	ubuf = (u32 __user *)ua;
	writel(0x88, bar + E1000_ICS);
	left = tt_movsl_u(ubuf, bar + E1000_ICR, 3);
	if (copy_from_user(out, ubuf, sizeof(out)))
		pr_err(PFX "icr: copy_from_user failed\n");
	pr_info(PFX "icr: rep movsl x3 to a user page not yet present: left %lu, got %#x %#x %#x\n",
		left, out[0], out[1], out[2]);
	vm_munmap(ua, PAGE_SIZE);

	ua = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(ua))
		goto out;
	ubuf = (u32 __user *)ua;
	writel(0x99, bar + E1000_ICS);
	preempt_disable();
	pagefault_disable();
	left = tt_movsl_u(ubuf, bar + E1000_ICR, 3);
	pagefault_enable();
	preempt_enable();
	pr_info(PFX "icr: the same with preemption off: left %lu, icr then %#x\n", left,
		readl(bar + E1000_ICR));
	vm_munmap(ua, PAGE_SIZE);
out:
	if (bar)
		pci_iounmap(pdev, bar);
	pci_dev_put(pdev);
	vfree(kbuf);
	return 0;
}

/* ---- vmap: a mapping torn down without iounmap ----------------------------- */

static struct pci_dev *tt_vdev;
static void *tt_vaddr;         /* the ioremap_prot() mapping (or NULL) */
static unsigned long tt_vold;  /* where it was */
static void *tt_reused;        /* a vmalloc() page at tt_vold */

/* One page of BAR2 in the vmalloc area, mapped so that only the page-table
 * walk finds it and torn down later by vunmap()/vfree(), not iounmap(). */
static void *tt_map_page(struct pci_dev *pdev)
{
	return (void __force *)ioremap_prot(pci_resource_start(pdev, 2), PAGE_SIZE,
					    pgprot_val(pgprot_noncached(PAGE_KERNEL)));
}

static int tt_vmap_map(void)
{
	tt_vdev = tt_dev(0x1af4, 0x1110);
	if (!tt_vdev)
		return -ENODEV;
	tt_vaddr = tt_map_page(tt_vdev);
	if (!tt_vaddr)
		return -ENOMEM;
	tt_vold = (unsigned long)tt_vaddr;
	pr_info(PFX "vmap: BAR2 page at %px\n", tt_vaddr);
	return 0;
}

static void tt_vmap_reuse(void)
{
	void **held = kcalloc(256, sizeof(*held), GFP_KERNEL);
	int n = 0, i;

	if (!held)
		return;
	vm_unmap_aliases(); /* purge lazily freed areas: the address is free now */
	while (n < 256) {
		void *p = vmalloc(PAGE_SIZE);

		if (!p)
			break;
		if ((unsigned long)p == tt_vold) {
			tt_reused = p;
			memset(p, 0x3c, PAGE_SIZE);
			break;
		}
		held[n++] = p;
	}
	for (i = 0; i < n; i++)
		vfree(held[i]);
	kfree(held);
	pr_info(PFX "vmap: reuse: %s\n", tt_reused ? "a vmalloc() page took the old address" :
		"the old address was not handed out again");
}

static void tt_vmap_check(void)
{
	unsigned int level, i, bad = 0;
	pte_t *pte;

	if (!tt_reused) {
		pr_info(PFX "vmap: check: nothing reused\n");
		return;
	}
	pte = lookup_address((unsigned long)tt_reused, &level);
	for (i = 0; i < PAGE_SIZE; i++)
		bad += ((u8 *)tt_reused)[i] != 0x3c;
	pr_info(PFX "vmap: check: page maps %s, %u bytes changed\n",
		pte && pte_pfn(*pte) == PHYS_PFN(pci_resource_start(tt_vdev, 2)) ? "THE DEVICE" : "RAM",
		bad);
}

static int tt_cmd_set(const char *val, const struct kernel_param *kp)
{
	if (sysfs_streq(val, "touch") && tt_vaddr) {
		pr_info(PFX "vmap: touch: %#x\n", readl((void __iomem *)tt_vaddr));
	} else if (sysfs_streq(val, "vunmap") && tt_vaddr) {
		vunmap(tt_vaddr);
		tt_vaddr = NULL;
		pr_info(PFX "vmap: vunmap done\n");
	} else if (sysfs_streq(val, "vfree") && tt_vaddr) {
		vfree(tt_vaddr); /* frees an ioremap area too: no page to free */
		tt_vaddr = NULL;
		pr_info(PFX "vmap: vfree done\n");
	} else if (sysfs_streq(val, "reuse")) {
		tt_vmap_reuse();
	} else if (sysfs_streq(val, "check")) {
		tt_vmap_check();
	} else {
		return -EINVAL;
	}
	return 0;
}
static const struct kernel_param_ops tt_cmd_ops = { .set = tt_cmd_set };
module_param_cb(cmd, &tt_cmd_ops, NULL, 0200);

/* ---- mapids and churn -------------------------------------------------------- */

static int tt_mapids(unsigned int n)
{
	struct pci_dev *pdev = tt_dev(0x1234, 0x11e8);
	void __iomem *live, *p;
	unsigned int i;

	if (!pdev)
		return -ENODEV;
	live = pci_iomap(pdev, 0, 0);
	if (!live)
		goto out;
	readl(live);
	for (i = 0; i < n; i++) {
		p = pci_iomap(pdev, 0, 0);
		if (!p)
			break;
		readl(p);
		pci_iounmap(pdev, p);
	}
	readl(live);
	pr_info(PFX "mapids: %u mappings made and gone while %px stayed\n", i, live);
	pci_iounmap(pdev, live);
out:
	pci_dev_put(pdev);
	return 0;
}

static struct task_struct *tt_churn_task;

static int tt_churn_fn(void *unused)
{
	struct pci_dev *edu = tt_dev(0x1234, 0x11e8), *iv = tt_dev(0x1af4, 0x1110);
	unsigned long rounds = 0;

	while (!kthread_should_stop()) {
		if (READ_ONCE(churn_pause)) {
			WRITE_ONCE(churn_idle, true);
			usleep_range(200, 2000);
			continue;
		}
		WRITE_ONCE(churn_idle, false);
		if (edu) {
			void __iomem *p = pci_iomap(edu, 0, 0);

			if (p) {
				readl(p);
				/* edu's DMA source address: inert without a
				 * command (not the liveness register, which
				 * mtk_edutest checks at the same time) */
				writel((u32)rounds, p + 0x80);
				pci_iounmap(edu, p);
			}
		}
		if (iv) {
			void *v = tt_map_page(iv);

			if (v) {
				readl((void __iomem *)v);
				if (rounds & 1)
					vunmap(v);
				else
					vfree(v);
			}
		}
		rounds++;
		usleep_range(200, 2000);
	}
	pr_info(PFX "churn: %lu rounds\n", rounds);
	pci_dev_put(edu);
	pci_dev_put(iv);
	return 0;
}

static int __init tt_init(void)
{
	int ret = 0;

	if (bulk || bulk_atomic)
		ret = tt_bulk(bulk_atomic);
	if (!ret && toio_kib)
		ret = tt_toio(toio_kib);
	if (!ret && icr)
		ret = tt_icr();
	if (!ret && tt_vmap_on)
		ret = tt_vmap_map();
	if (!ret && mapids)
		ret = tt_mapids(mapids);
	if (!ret && churn) {
		tt_churn_task = kthread_run(tt_churn_fn, NULL, "mtk_churn");
		if (IS_ERR(tt_churn_task))
			ret = PTR_ERR(tt_churn_task);
	}
	return ret;
}

static void __exit tt_exit(void)
{
	if (!IS_ERR_OR_NULL(tt_churn_task))
		kthread_stop(tt_churn_task);
	if (tt_vaddr)
		vunmap(tt_vaddr);
	vfree(tt_reused);
	pci_dev_put(tt_vdev);
}

module_init(tt_init);
module_exit(tt_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mmiotap test driver: bulk copies, faults part-way, teardown without iounmap");
