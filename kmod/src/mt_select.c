// SPDX-License-Identifier: GPL-2.0
/*
 * mt_select.c - what is traced (physical ranges, PCI BARs), the ftrace
 * hooks on the ioremap family and iounmap that arm new mappings, and the
 * vmalloc page-table walk that arms mappings made before we started.
 */
#include <linux/kernel.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/ftrace.h>
#include <linux/pci.h>
#include <linux/io.h>
#include <linux/vmalloc.h>
#include <linux/mutex.h>
#include <asm/pgtable.h>
#include "mt_kmod.h"

#define MTK_MAX_SEL 32
struct mtk_sel {
	phys_addr_t start, end;
	u32 pci;
	u8 bar;
};
/* Written under mtk_ctl_mutex and mtk_region_mutex; read under either. */
static struct mtk_sel mtk_sels[MTK_MAX_SEL];
static int mtk_nsel;
static bool mtk_tracing;

bool mtk_tracing_on(void)
{
	return READ_ONCE(mtk_tracing);
}

/* Under mtk_region_mutex: a new mapping is armed for the recording only
 * while this is true, checked under the same mutex (mtk_after_map()). */
void mtk_tracing_set(bool on)
{
	mutex_lock(&mtk_region_mutex);
	WRITE_ONCE(mtk_tracing, on);
	mutex_unlock(&mtk_region_mutex);
}

static int mtk_select_add_locked(const struct mmiotap_ksel *s);

int mtk_select_add(const struct mmiotap_ksel *s)
{
	int ret;

	mutex_lock(&mtk_region_mutex);
	ret = mtk_select_add_locked(s);
	mutex_unlock(&mtk_region_mutex);
	return ret;
}

static int mtk_select_add_locked(const struct mmiotap_ksel *s)
{
	struct pci_dev *pdev;
	int bar, added = 0;

	if (s->kind == MMIOTAP_KSEL_PHYS) {
		if (s->end <= s->start || mtk_nsel >= MTK_MAX_SEL)
			return -EINVAL;
		mtk_sels[mtk_nsel++] = (struct mtk_sel){ s->start, s->end, 0xffffffff, 0xff };
		return 0;
	}
	if (s->kind != MMIOTAP_KSEL_PCI)
		return -EINVAL;
	pdev = pci_get_domain_bus_and_slot(s->pci_domain, s->pci_bus, s->pci_devfn);
	if (!pdev)
		return -ENODEV;
	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		if (s->bar != 0xff && s->bar != bar)
			continue;
		if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM) ||
		    !pci_resource_len(pdev, bar))
			continue;
		if (mtk_nsel >= MTK_MAX_SEL)
			break;
		mtk_sels[mtk_nsel++] = (struct mtk_sel){
			pci_resource_start(pdev, bar),
			pci_resource_start(pdev, bar) + pci_resource_len(pdev, bar),
			(u32)pci_domain_nr(pdev->bus) << 16 | pdev->bus->number << 8 | pdev->devfn,
			bar };
		added++;
	}
	pci_dev_put(pdev);
	return added ? 0 : -ENXIO;
}

void mtk_select_clear(void)
{
	mutex_lock(&mtk_region_mutex);
	mtk_nsel = 0;
	mutex_unlock(&mtk_region_mutex);
}

bool mtk_selected(phys_addr_t phys, unsigned long size, u32 *pci, u8 *bar)
{
	int i;

	for (i = 0; i < mtk_nsel; i++) {
		if (phys < mtk_sels[i].end && phys + size > mtk_sels[i].start) {
			*pci = mtk_sels[i].pci;
			*bar = mtk_sels[i].bar;
			return true;
		}
	}
	return false;
}

/* ---- new mappings ---------------------------------------------------------- */

enum { MTK_V_UC, MTK_V_UC2, MTK_V_WC, MTK_V_WT, MTK_V_CACHE };

/* pc: the caller of the ioremap (the wrapper's return address: ftrace
 * redirected the call, so it returns straight to the caller). */
static void __iomem *mtk_alias_map(phys_addr_t phys, unsigned long len, int variant)
{
	switch (variant) {
	case MTK_V_UC2: return ioremap_uc(phys, len);
	case MTK_V_WC: return ioremap_wc(phys, len);
	case MTK_V_WT: return ioremap_wt(phys, len);
	case MTK_V_CACHE: return ioremap_cache(phys, len);
	default: return ioremap(phys, len);
	}
}

/* A new mapping: armed if a recording runs and selected it, decided under
 * mtk_region_mutex, which STOP takes to turn tracing off: a mapping made
 * while STOP runs is either armed before STOP disarms everything, or not
 * at all. */
static void mtk_after_map(resource_size_t phys, unsigned long size,
			  void __iomem *p, int variant, unsigned long pc)
{
	unsigned long off = offset_in_page(phys), len = PAGE_ALIGN(size + off);
	void __iomem *alias;
	u32 pci;
	u8 bar;

	if (!p || !READ_ONCE(mtk_tracing))
		return;
	mutex_lock(&mtk_region_mutex);
	if (!mtk_tracing || !mtk_selected(phys, size, &pci, &bar))
		goto out;
	alias = mtk_alias_map(phys - off, len, variant);
	if (!alias) {
		pr_warn("mmiotap: no alias mapping for %pa: not traced\n", &phys);
		goto out;
	}
	if (mtk_region_add_map_locked((unsigned long)p & PAGE_MASK, phys - off, len, alias,
				      pci, bar, pc))
		iounmap(alias);
out:
	mutex_unlock(&mtk_region_mutex);
}

/*
 * Tasks inside a wrapper: counted from the ftrace callback that sends
 * them there to the wrapper's last line. The wrappers sleep (ioremap
 * allocates, the region mutex), and a sleeping task is quiescent for RCU
 * Tasks, so unregistering the ftrace_ops does not wait for them: module
 * exit waits for this count, then for RCU Tasks again (a task preempted
 * between the decrement and the return is not quiescent).
 */
static atomic_t mtk_in_wrappers = ATOMIC_INIT(0);

static unsigned int test_wrapper_delay_ms;
module_param(test_wrapper_delay_ms, uint, 0400);
MODULE_PARM_DESC(test_wrapper_delay_ms, "testing only: every ioremap wrapper sleeps this long (to unload the module while a task is inside one)");

static void mtk_wrapper_out(void)
{
	if (unlikely(test_wrapper_delay_ms)) {
		pr_info("mmiotap: testing: a wrapper sleeps %u ms\n", test_wrapper_delay_ms);
		msleep(test_wrapper_delay_ms);
	}
	atomic_dec(&mtk_in_wrappers);
}

static void __iomem *mtk_w_ioremap(resource_size_t phys, unsigned long size)
{
	void __iomem *p = ioremap(phys, size);

	mtk_after_map(phys, size, p, MTK_V_UC, _RET_IP_);
	mtk_wrapper_out();
	return p;
}

static void __iomem *mtk_w_ioremap_uc(resource_size_t phys, unsigned long size)
{
	void __iomem *p = ioremap_uc(phys, size);

	mtk_after_map(phys, size, p, MTK_V_UC2, _RET_IP_);
	mtk_wrapper_out();
	return p;
}

static void __iomem *mtk_w_ioremap_wc(resource_size_t phys, unsigned long size)
{
	void __iomem *p = ioremap_wc(phys, size);

	mtk_after_map(phys, size, p, MTK_V_WC, _RET_IP_);
	mtk_wrapper_out();
	return p;
}

static void __iomem *mtk_w_ioremap_wt(resource_size_t phys, unsigned long size)
{
	void __iomem *p = ioremap_wt(phys, size);

	mtk_after_map(phys, size, p, MTK_V_WT, _RET_IP_);
	mtk_wrapper_out();
	return p;
}

static void __iomem *mtk_w_ioremap_cache(resource_size_t phys, unsigned long size)
{
	void __iomem *p = ioremap_cache(phys, size);

	mtk_after_map(phys, size, p, MTK_V_CACHE, _RET_IP_);
	mtk_wrapper_out();
	return p;
}

/*
 * The wrappers must really *call* the hooked function: a sibling call (jmp)
 * would leave the original caller's return address as parent_ip, the ftrace
 * callback would redirect to the wrapper again, forever. Something after
 * the call keeps it out of tail position (checked: objdump shows call).
 */
static void mtk_w_iounmap(volatile void __iomem *addr)
{
	mtk_region_remove_pc((unsigned long)addr, _RET_IP_);
	iounmap(addr);
	mtk_wrapper_out();
}

/*
 * One ftrace_ops for the whole family (one filter address each): removing
 * an ftrace_ops waits for every task to pass a voluntary switch (RCU
 * Tasks), so six of them made rmmod under load six times slower.
 */
struct mtk_hook {
	void *func;
	void *wrapper;
};

static const struct mtk_hook mtk_hooks[] = {
	{ .func = ioremap, .wrapper = mtk_w_ioremap },
	{ .func = ioremap_uc, .wrapper = mtk_w_ioremap_uc },
	{ .func = ioremap_wc, .wrapper = mtk_w_ioremap_wc },
	{ .func = ioremap_wt, .wrapper = mtk_w_ioremap_wt },
	{ .func = ioremap_cache, .wrapper = mtk_w_ioremap_cache },
	{ .func = iounmap, .wrapper = mtk_w_iounmap },
};
static struct ftrace_ops mtk_map_ops;
static bool mtk_map_ops_on;

static void notrace mtk_ftrace_cb(unsigned long ip, unsigned long parent_ip,
				  struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);
	int i;

	if (!regs)
		return;
	/* Our wrappers call the real function: let those through. */
	if (within_module(parent_ip, THIS_MODULE))
		return;
	/* ip is the function's ftrace call site: its first instruction, or
	 * the one after an ENDBR64. */
	for (i = 0; i < ARRAY_SIZE(mtk_hooks); i++) {
		if (ip - (unsigned long)mtk_hooks[i].func < 8) {
			atomic_inc(&mtk_in_wrappers);
			regs->ip = (unsigned long)mtk_hooks[i].wrapper;
			return;
		}
	}
	/* The only other function in the filter: remove_vm_area(addr). */
	mtk_vmwatch_hit(regs->di);
}

void mtk_ioremap_hooks_exit(void)
{
	if (mtk_map_ops_on)
		unregister_ftrace_function(&mtk_map_ops);
	mtk_map_ops_on = false;
	ftrace_free_filter(&mtk_map_ops);
	/* No task is sent to a wrapper any more; wait for those inside. */
	while (atomic_read(&mtk_in_wrappers))
		msleep(1);
	synchronize_rcu_tasks();
	mtk_region_flush_torn();
}

int mtk_ioremap_hooks_init(void)
{
	int i, ret = 0;

	mtk_map_ops.func = mtk_ftrace_cb;
	mtk_map_ops.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_RECURSION |
			    FTRACE_OPS_FL_IPMODIFY;
	for (i = 0; i < ARRAY_SIZE(mtk_hooks) && !ret; i++) {
		ret = ftrace_set_filter_ip(&mtk_map_ops, (unsigned long)mtk_hooks[i].func, 0, 0);
		if (ret)
			pr_err("mmiotap: cannot hook %ps: %d\n", mtk_hooks[i].func, ret);
	}
	if (!ret) {
		mtk_vmwatch_filter(&mtk_map_ops);
		ret = register_ftrace_function(&mtk_map_ops);
		if (ret)
			pr_err("mmiotap: cannot hook the ioremap family: %d\n", ret);
	}
	if (ret) {
		mtk_ioremap_hooks_exit();
		return ret;
	}
	mtk_map_ops_on = true;
	return 0;
}

/* ---- existing mappings: walk the vmalloc area ------------------------------ */

static bool mtk_is_alias(unsigned long va)
{
	int i;

	for (i = 0; i < MTK_MAX_REGIONS; i++) {
		struct mtk_region *r = &mtk_regions[i];

		if (r->state != MTK_R_FREE && r->alias &&
		    va - ((unsigned long)r->alias & PAGE_MASK) < r->size)
			return true;
		if (r->state != MTK_R_FREE && va - r->virt < r->size)
			return true;
	}
	return false;
}

/* Device memory only: RAM in the vmalloc area is a stack, module text or
 * data, vmalloc()ed memory; arming it would fault inside the fault path
 * (a --phys range covering RAM selects it). */
static bool mtk_is_ram(unsigned long va, phys_addr_t pa)
{
	if (!page_is_ram(PHYS_PFN(pa)))
		return false;
	pr_warn_ratelimited("mmiotap: %#lx maps RAM at %pa: not traced\n", va, &pa);
	return true;
}

static void mtk_attach_run(unsigned long va, phys_addr_t pa, unsigned long len,
			   unsigned long cache, unsigned long seen)
{
	void __iomem *alias;
	u32 pci;
	u8 bar;

	if (!len || !mtk_selected(pa, len, &pci, &bar))
		return;

	alias = ioremap_prot(pa, len, cache);
	if (!alias)
		return;
	if (mtk_region_add_walked(va, pa, len, alias, pci, bar, seen))
		iounmap(alias);
}

/*
 * Arm every present mapping, in the vmalloc area, of a selected physical
 * range: 4K pages, and 2M pages (the whole 2M page is armed, a 2M entry
 * becomes the region's PMD entry, cleared and restored by mtk_region_arm()
 * and mtk_region_disarm()). Runs of contiguous virtual and physical memory
 * with the same cache mode become one region; its alias is an ioremap of
 * the same range with that cache mode. A selected 1G mapping is refused
 * (kernel log message) and left untraced.
 */
int mtk_attach_existing(void)
{
	unsigned long va = VMALLOC_START, run_va = 0, run_len = 0, run_cache = 0, run_seen = 0;
	phys_addr_t run_pa = 0;
	unsigned int level;

	/* Pages probes armed before (their own regions) are recorded if selected. */
	mtk_region_select_existing();

	while (va < VMALLOC_END && va >= VMALLOC_START) {
		/* Before the entry is looked at: removals of the area from
		 * here on are seen by mtk_region_add_walked(). */
		unsigned long seen = mtk_vmwatch_seq();
		pte_t *pte = lookup_address(va, &level);
		unsigned long step = PAGE_SIZE, cache = 0;
		bool present = pte && (pte_flags(*pte) & _PAGE_PRESENT), take = false;
		phys_addr_t pa = 0;
		u32 pci;
		u8 bar;

		if (!pte) {
			step = level == PG_LEVEL_NONE ? P4D_SIZE :
			       level == PG_LEVEL_512G ? PUD_SIZE : PMD_SIZE;
			step = ((va + step) & ~(step - 1)) - va;
		} else if (level == PG_LEVEL_2M && present) {
			step = PMD_SIZE - (va & ~PMD_MASK);
			pa = ((phys_addr_t)pmd_pfn(*(pmd_t *)pte) << PAGE_SHIFT) + (va & ~PMD_MASK);
			/* a large entry keeps PAT in bit 12: the 4K layout for ioremap_prot */
			cache = protval_large_2_4k(pte_flags(*pte)) & _PAGE_CACHE_MASK;
			take = mtk_selected(pa, step, &pci, &bar) && !mtk_is_alias(va) &&
			       !mtk_is_ram(va, pa);
		} else if (level != PG_LEVEL_4K) {
			unsigned long sz = level == PG_LEVEL_2M ? PMD_SIZE :
					   level == PG_LEVEL_1G ? PUD_SIZE : P4D_SIZE;

			step = ((va + sz) & ~(sz - 1)) - va;
			if (level == PG_LEVEL_1G && present) {
				pa = ((phys_addr_t)pud_pfn(*(pud_t *)pte) << PAGE_SHIFT) + (va & ~PUD_MASK);
				if (mtk_selected(pa, step, &pci, &bar) && !mtk_is_alias(va))
					pr_err("mmiotap: %#lx (phys %pa) is mapped with a 1G page: not traced (refused)\n",
					       va, &pa);
			}
		} else if (present) {
			pa = (phys_addr_t)pte_pfn(*pte) << PAGE_SHIFT;
			cache = pte_flags(*pte) & _PAGE_CACHE_MASK;
			take = mtk_selected(pa, PAGE_SIZE, &pci, &bar) && !mtk_is_alias(va) &&
			       !mtk_is_ram(va, pa);
		}
		if (take && run_len && va == run_va + run_len && pa == run_pa + run_len &&
		    cache == run_cache) {
			run_len += step;
		} else {
			mtk_attach_run(run_va, run_pa, run_len, run_cache, run_seen);
			run_len = 0;
			if (take) {
				run_seen = seen;
				run_va = va;
				run_pa = pa;
				run_len = step;
				run_cache = cache;
			}
		}
		va += step;
		cond_resched();
	}
	mtk_attach_run(run_va, run_pa, run_len, run_cache, run_seen);
	return 0;
}
