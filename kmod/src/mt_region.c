// SPDX-License-Identifier: GPL-2.0
/*
 * mt_region.c - regions: the armed mappings (their cleared page-table entries,
 * alias, identity), found locklessly by the fault path, added and torn down
 * under mtk_region_mutex, with their MAP/UNMAP records.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/tracepoint.h>
#include <linux/ftrace.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/preempt.h>
#include <linux/hardirq.h>
#include <linux/smp.h>
#include <linux/io.h>
#include <asm/tlbflush.h>
#include <asm/pgtable.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/ptrace.h>
#include <asm/trap_pf.h>
#include <asm/debugreg.h>
#include <linux/kdebug.h>
#include <Zydis/Zydis.h>
#include <mmiotap_probe.h>
#include "mt_kmod.h"
/* The emulator: core/ (emu.h), compiled into the module. */
#include <mmiotap/emu.h>
#include "mt_fault.h"

struct mtk_region mtk_regions[MTK_MAX_REGIONS];

unsigned int mtk_regions_armed(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < MTK_MAX_REGIONS; i++)
		n += READ_ONCE(mtk_regions[i].state) == MTK_R_ARMED;
	return n;
}



/* Regions in use are below this index (it only grows): the fault path's
 * scan stops there. */
static unsigned int mtk_regions_hw;

struct mtk_region *mtk_region_find(unsigned long addr)
{
	unsigned int i, hw = READ_ONCE(mtk_regions_hw);

	for (i = 0; i < hw; i++) {
		struct mtk_region *r = &mtk_regions[i];
		int st = smp_load_acquire(&r->state);

		if ((st == MTK_R_ARMED || st == MTK_R_DYING) &&
		    addr - r->virt < r->size)
			return r;
	}
	return NULL;
}

static void mtk_flush_one(void *unused)
{
	__flush_tlb_all();
}

static void mtk_flush_all(void)
{
	on_each_cpu(mtk_flush_one, NULL, 1);
}

/* Clear the entries mapping r; refuse 1G (and unknown) levels. */
static int mtk_region_arm(struct mtk_region *r)
{
	unsigned int i, level;
	unsigned long pmd_va = 1; /* 2M entry cleared last (1 = none) */

	for (i = 0; i < r->npages; i++) {
		unsigned long va = r->virt + (unsigned long)i * PAGE_SIZE;
		pte_t *pte;

		if ((va & PMD_MASK) == pmd_va)
			continue; /* covered by the 2M entry cleared before */
		pte = lookup_address(va, &level);
		if (!pte || !(pte_flags(*pte) & _PAGE_PRESENT))
			goto fail;
		if (level == PG_LEVEL_4K) {
			r->ptep[i] = pte;
			r->saved[i] = pte_val(*pte);
			r->level[i] = PG_LEVEL_4K;
			pte_clear(&init_mm, va, pte);
		} else if (level == PG_LEVEL_2M) {
			r->ptep[i] = pte;
			r->saved[i] = pte_val(*pte);
			r->level[i] = PG_LEVEL_2M;
			pmd_va = va & PMD_MASK;
			pmd_clear((pmd_t *)pte);
		} else {
			pr_err("mmiotap: %#lx is mapped with a 1G page: not traced (refused)\n", va);
			goto fail;
		}
	}
	mtk_flush_all();
	return 0;
fail:
	while (i--) {
		if (r->level[i] == PG_LEVEL_4K)
			set_pte(r->ptep[i], __pte(r->saved[i]));
		else if (r->level[i] == PG_LEVEL_2M)
			set_pmd((pmd_t *)r->ptep[i], __pmd(r->saved[i]));
		r->level[i] = 0;
	}
	mtk_flush_all();
	return -EOPNOTSUPP;
}

static void mtk_region_disarm(struct mtk_region *r)
{
	unsigned long flags;
	unsigned int i;
	bool taken;

	/* Under the order lock: a CPU single-stepping an instruction on one
	 * of these pages (mtk_step) holds it until the page is cleared
	 * again, so the entries restored here stay restored. */
	local_irq_save(flags);
	taken = mtk_order_begin();
	for (i = 0; i < r->npages; i++) {
		if (r->level[i] == PG_LEVEL_4K)
			set_pte(r->ptep[i], __pte(r->saved[i]));
		else if (r->level[i] == PG_LEVEL_2M)
			set_pmd((pmd_t *)r->ptep[i], __pmd(r->saved[i]));
		r->level[i] = 0;
	}
	mtk_order_end(taken);
	local_irq_restore(flags);
	mtk_flush_all();
}

DEFINE_MUTEX(mtk_region_mutex);

/* MAP (pc: r->map_pc, the caller of the ioremap) or UNMAP (pc: the caller
 * of iounmap, 0 at the end of a recording). */
void mtk_emit_map(struct mtk_region *r, bool unmap, unsigned long pc)
{
	struct mmiotap_krec *rec;
	bool taken;
	unsigned long flags;

	local_irq_save(flags);
	taken = mtk_order_begin();
	rec = mtk_buf_reserve();
	if (rec) {
		rec->seq = mtk_next_seq();
		rec->ts_ns = local_clock();
		rec->type = unmap ? MMIOTAP_KREC_UNMAP : MMIOTAP_KREC_MAP;
		rec->phys = r->phys;
		rec->virt = r->virt;
		rec->value = r->size;
		rec->pc = unmap ? pc : r->map_pc;
		rec->pid = current->pid;
		rec->cpu = smp_processor_id();
		rec->width = r->bar;
		rec->map_id = r->id;
		rec->pci = r->pci;
		mtk_buf_commit(rec);
	}
	mtk_order_end(taken);
	local_irq_restore(flags);
}

/*
 * The start of the vmalloc area that holds va: areas are separated by a
 * guard page, so walk back while the previous page is mapped or armed.
 * Called with mtk_region_mutex held.
 */
static unsigned long mtk_map_start(unsigned long va)
{
	unsigned int level;

	for (;;) {
		unsigned long prev = va - PAGE_SIZE;
		struct mtk_region *r = mtk_region_find(prev);
		pte_t *pte;

		if (r) {
			va = r->map_start;
			continue;
		}
		if (prev < VMALLOC_START)
			return va;
		pte = lookup_address(prev, &level);
		if (!pte || !(pte_flags(*pte) & _PAGE_PRESENT))
			return va;
		va = level == PG_LEVEL_4K ? prev : prev & PMD_MASK;
	}
}

/*
 * Arm [virt, virt+size) (page aligned), which maps phys; alias is a second
 * mapping of the same range that the module owns from now on. record: the
 * recording selected it (MAP record, accesses recorded); else it is held
 * only by probes (refs). Caller holds mtk_region_mutex.
 */
int mtk_region_add_locked(unsigned long virt, phys_addr_t phys, unsigned long size,
			  void __iomem *alias, u32 pci, u8 bar, bool record,
			  struct mtk_region **out)
{
	static u16 next_id;
	struct mtk_region *r = NULL;
	unsigned int n = size >> PAGE_SHIFT;
	unsigned long va;
	int i, ret;

	lockdep_assert_held(&mtk_region_mutex);
	/* Never two regions on one page: a cleared PTE would be saved as the
	 * page's entry. */
	for (va = virt; va - virt < size; va += PAGE_SIZE)
		if (mtk_region_find(va))
			return -EBUSY;
	for (i = 0; i < MTK_MAX_REGIONS; i++) {
		if (mtk_regions[i].state == MTK_R_FREE) {
			r = &mtk_regions[i];
			break;
		}
	}
	if (!r)
		return -ENOSPC;
	if (i + 1 > mtk_regions_hw)
		WRITE_ONCE(mtk_regions_hw, i + 1); /* before the state is published */
	ret = -ENOMEM;
	r->ptep = kcalloc(n, sizeof(*r->ptep), GFP_KERNEL);
	r->saved = kcalloc(n, sizeof(*r->saved), GFP_KERNEL);
	r->level = kcalloc(n, 1, GFP_KERNEL);
	if (!r->ptep || !r->saved || !r->level)
		goto out_free;
	r->virt = virt;
	r->size = size;
	r->npages = n;
	r->phys = phys;
	r->alias = alias;
	r->pci = pci;
	r->bar = bar;
	r->id = ++next_id;
	r->map_start = mtk_map_start(virt);
	r->map_pc = 0;
	r->refs = 0;
	WRITE_ONCE(r->record, record);
	r->inject_mask = record ? mtk_inject_match(phys, size, pci, bar) : 0;
	/* Publish before arming: a fault can come the moment a PTE is gone. */
	smp_store_release(&r->state, MTK_R_ARMED);
	ret = mtk_region_arm(r);
	if (ret) {
		smp_store_release(&r->state, MTK_R_DYING);
		synchronize_rcu();
		smp_store_release(&r->state, MTK_R_FREE);
		goto out_free;
	}
	if (out)
		*out = r;
	return 0;
out_free:
	kfree(r->ptep);
	kfree(r->saved);
	kfree(r->level);
	r->ptep = NULL;
	r->saved = NULL;
	r->level = NULL;
	return ret;
}

/* A recorded region (MAP record); pc: the caller of the ioremap that made
 * the mapping (0: found by the page-table walk). */
int mtk_region_add_pc(unsigned long virt, phys_addr_t phys, unsigned long size,
		      void __iomem *alias, u32 pci, u8 bar, unsigned long pc)
{
	struct mtk_region *r;
	int ret;

	mutex_lock(&mtk_region_mutex);
	ret = mtk_region_add_locked(virt, phys, size, alias, pci, bar, true, &r);
	if (!ret) {
		r->map_pc = pc;
		mtk_emit_map(r, false, 0);
	}
	mutex_unlock(&mtk_region_mutex);
	return ret;
}

int mtk_region_add(unsigned long virt, phys_addr_t phys, unsigned long size,
		   void __iomem *alias, u32 pci, u8 bar)
{
	return mtk_region_add_pc(virt, phys, size, alias, pci, bar, 0);
}

static void mtk_region_teardown(struct mtk_region *r, unsigned long pc)
{
	/* DYING: faults already under way still find it and emulate. */
	smp_store_release(&r->state, MTK_R_DYING);
	mtk_region_disarm(r);
	/* Every fault probe runs with interrupts off: an RCU reader. */
	synchronize_rcu();
	if (r->record)
		mtk_emit_map(r, true, pc);
	if (r->alias)
		iounmap(r->alias);
	kfree(r->ptep);
	kfree(r->saved);
	kfree(r->level);
	r->ptep = NULL;
	r->saved = NULL;
	r->level = NULL;
	r->alias = NULL;
	smp_store_release(&r->state, MTK_R_FREE);
}

/* A probe lets go of r (caller holds mtk_region_mutex). */
void mtk_region_put_locked(struct mtk_region *r)
{
	lockdep_assert_held(&mtk_region_mutex);
	if (r->refs)
		r->refs--;
	if (!r->refs && !r->record)
		mtk_region_teardown(r, 0);
}

/* The mapping that starts at virt goes away (called before iounmap): every
 * region in it, probes on it included (those probes are made inert). pc:
 * the caller of iounmap, for the UNMAP record. */
void mtk_region_remove_pc(unsigned long virt, unsigned long pc)
{
	int i;

	virt &= PAGE_MASK;
	mutex_lock(&mtk_region_mutex);
	for (i = 0; i < MTK_MAX_REGIONS; i++) {
		struct mtk_region *r = &mtk_regions[i];

		if (r->state == MTK_R_ARMED &&
		    (r->map_start == virt || virt - r->virt < r->size)) {
			if (r->refs)
				mtk_probes_kill(r->virt, r->size);
			mtk_region_teardown(r, pc);
		}
	}
	mutex_unlock(&mtk_region_mutex);
}

void mtk_region_remove(unsigned long virt)
{
	mtk_region_remove_pc(virt, 0);
}

/* End of a recording (all = false: regions that probes hold stay armed,
 * unrecorded) or of the module (all = true). */
void mtk_region_remove_all(bool all)
{
	int i;

	mutex_lock(&mtk_region_mutex);
	for (i = 0; i < MTK_MAX_REGIONS; i++) {
		struct mtk_region *r = &mtk_regions[i];

		if (r->state != MTK_R_ARMED)
			continue;
		if (!all && r->refs) {
			if (r->record) {
				r->inject_mask = 0;
				mtk_emit_map(r, true, 0);
				WRITE_ONCE(r->record, false);
			}
			continue;
		}
		mtk_region_teardown(r, 0);
	}
	mutex_unlock(&mtk_region_mutex);
}

/* START: regions that probes armed before are recorded too if selected. */
void mtk_region_select_existing(void)
{
	int i;

	mutex_lock(&mtk_region_mutex);
	for (i = 0; i < MTK_MAX_REGIONS; i++) {
		struct mtk_region *r = &mtk_regions[i];
		u32 pci;
		u8 bar;

		if (r->state != MTK_R_ARMED || r->record ||
		    !mtk_selected(r->phys, r->size, &pci, &bar))
			continue;
		r->pci = pci;
		r->bar = bar;
		r->inject_mask = mtk_inject_match(r->phys, r->size, pci, bar);
		WRITE_ONCE(r->record, true);
		mtk_emit_map(r, false, 0);
	}
	mutex_unlock(&mtk_region_mutex);
}

