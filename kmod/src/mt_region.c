// SPDX-License-Identifier: GPL-2.0
/*
 * mt_region.c - regions: the armed mappings (their cleared page-table entries,
 * alias, identity), found locklessly by the fault path, added and torn down
 * under mtk_region_mutex, with their MAP/UNMAP records.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/delay.h>
#include <linux/workqueue.h>
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

/* Whether a region lies in the mapping that starts at virt, or covers it. */
static bool mtk_region_holds(unsigned long virt)
{
	unsigned int i, hw = READ_ONCE(mtk_regions_hw);

	for (i = 0; i < hw; i++) {
		struct mtk_region *r = &mtk_regions[i];

		if (smp_load_acquire(&r->state) == MTK_R_ARMED &&
		    (READ_ONCE(r->map_start) == virt || virt - READ_ONCE(r->virt) < READ_ONCE(r->size)))
			return true;
	}
	return false;
}

static void mtk_flush_one(void *unused)
{
	__flush_tlb_all();
}

void mtk_flush_all(void)
{
	on_each_cpu(mtk_flush_one, NULL, 1);
}

static bool mtk_entry_maps(pte_t e, unsigned int level, unsigned long va, phys_addr_t pa)
{
	if (level == PG_LEVEL_4K)
		return pte_pfn(e) == PHYS_PFN(pa);
	if (level == PG_LEVEL_2M)
		return pmd_pfn(__pmd(pte_val(e))) + ((va & ~PMD_MASK) >> PAGE_SHIFT) == PHYS_PFN(pa);
	return true; /* refused below */
}

/* Put back the entries of pages 0..n-1 that are still as we left them.
 * Under the order lock, as mtk_region_disarm(): a fault may already be
 * single-stepping on one of them (the region is published before it is
 * armed), and the step holds the lock until it armed the entry again. */
static void mtk_region_unarm(struct mtk_region *r, unsigned int n)
{
	unsigned long flags;
	unsigned int i;
	bool taken;

	local_irq_save(flags);
	taken = mtk_order_begin();
	for (i = 0; i < n; i++) {
		if (r->level[i])
			mtk_entry_restore_saved(r->ptep[i], r->level[i], r->saved[i]);
		WRITE_ONCE(r->level[i], 0);
	}
	mtk_order_end(taken);
	local_irq_restore(flags);
}

/* Arm the entries mapping r (mt_entry.c), each only if it still maps phys
 * (a walk looked a moment ago); refuse 1G (and unknown) levels. */
static int mtk_region_arm(struct mtk_region *r)
{
	unsigned int i, level;
	unsigned long pmd_va = 1; /* 2M entry armed before (1 = none) */

	for (i = 0; i < r->npages; i++) {
		unsigned long va = r->virt + (unsigned long)i * PAGE_SIZE, v;
		pte_t *pte;

		if ((va & PMD_MASK) == pmd_va)
			continue; /* covered by the 2M entry armed before */
		pte = lookup_address(va, &level);
		if (!pte)
			goto fail;
		v = READ_ONCE(*(unsigned long *)pte);
		if (!(v & _PAGE_PRESENT) || !mtk_entry_maps(__pte(v), level, va, r->phys + (va - r->virt)))
			goto fail;
		if (level != PG_LEVEL_4K && level != PG_LEVEL_2M) {
			pr_err("mmiotap: %#lx is mapped with a 1G page: not traced (refused)\n", va);
			goto fail;
		}
		/* Filled in before the entry is armed: a fault on it (on
		 * another CPU, or an interrupt's here) must find it ours. */
		r->ptep[i] = pte;
		r->saved[i] = v;
		WRITE_ONCE(r->level[i], level);
		if (!mtk_entry_arm(pte, level, v)) {
			WRITE_ONCE(r->level[i], 0);
			goto fail; /* changed under us */
		}
		if (level == PG_LEVEL_2M)
			pmd_va = va & PMD_MASK;
	}
	mtk_flush_all();
	return 0;
fail:
	mtk_region_unarm(r, i);
	mtk_flush_all();
	return -EOPNOTSUPP;
}

/*
 * Put back the entry that mapped page i, if it is still the armed entry we
 * left (mt_entry.c). Anything else means the mapping was torn down behind
 * our back and the space maybe reused: writing the saved entry there would
 * map the device into someone else's memory. A torn region (its area's
 * removal began, mt_vmwatch.c) is restored the same way: before the
 * kernel clears the area's entries that is harmless (they are cleared
 * after), after it the exchange fails; and if the removal was not of this
 * mapping after all, the mapping stays usable.
 */
static void mtk_entry_restore(struct mtk_region *r, unsigned int i)
{
	unsigned long va = r->virt + (unsigned long)i * PAGE_SIZE;

	if (r->level[i] &&
	    !mtk_entry_restore_saved(r->ptep[i], r->level[i], r->saved[i]) &&
	    !READ_ONCE(r->torn) &&
	    mtk_entry_state(r->ptep[i], r->level[i], r->saved[i]) != MTK_E_PRESENT)
		pr_warn_ratelimited("mmiotap: %#lx was unmapped or remapped while armed: its entry is left as it is\n",
				    va);
	r->level[i] = 0;
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
	for (i = 0; i < r->npages; i++)
		mtk_entry_restore(r, i);
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
		rec->ts_ns = mtk_now_ns();
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

/* Map ids are 16 bits (kabi.h): the next one that no live region holds
 * (nor 0). Caller holds mtk_region_mutex; at most MTK_MAX_REGIONS live. */
static u16 mtk_next_id;
static unsigned int mtk_map_id_base; /* testing: where ids start */
module_param_named(test_map_id_base, mtk_map_id_base, uint, 0400);
MODULE_PARM_DESC(test_map_id_base, "testing only: the first map id handed out (to reach the wrap-around quickly)");

static u16 mtk_new_map_id(void)
{
	unsigned int i;

	if (!mtk_next_id)
		mtk_next_id = (u16)mtk_map_id_base;
	for (;;) {
		bool used = false;

		if (!++mtk_next_id)
			continue;
		for (i = 0; i < MTK_MAX_REGIONS && !used; i++)
			used = mtk_regions[i].state != MTK_R_FREE && mtk_regions[i].id == mtk_next_id;
		if (!used)
			return mtk_next_id;
	}
}

static void mtk_region_free_arrays(struct mtk_region *r)
{
	kvfree(r->ptep);
	kvfree(r->saved);
	kvfree(r->level);
	r->ptep = NULL;
	r->saved = NULL;
	r->level = NULL;
}

/*
 * The last step of a region whose entries are all put back (or gone): no
 * fault may find it any more (SETUP: invisible to mtk_region_find()), and
 * after a grace period none is still looking at it (every fault probe runs
 * with interrupts off: an RCU reader), so its arrays and alias can go.
 * Caller holds mtk_region_mutex.
 */
static void mtk_region_retire(struct mtk_region *r)
{
	smp_store_release(&r->state, MTK_R_SETUP);
	synchronize_rcu();
	if (r->alias)
		iounmap(r->alias);
	r->alias = NULL;
	mtk_region_free_arrays(r);
	smp_store_release(&r->state, MTK_R_FREE);
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
	r->ptep = kvcalloc(n, sizeof(*r->ptep), GFP_KERNEL);
	r->saved = kvcalloc(n, sizeof(*r->saved), GFP_KERNEL);
	r->level = kvcalloc(n, 1, GFP_KERNEL);
	if (!r->ptep || !r->saved || !r->level)
		goto out_free;
	r->virt = virt;
	r->size = size;
	r->npages = n;
	r->phys = phys;
	r->alias = alias;
	r->pci = pci;
	r->bar = bar;
	r->id = mtk_new_map_id();
	r->map_start = mtk_map_start(virt);
	r->map_pc = 0;
	r->refs = 0;
	r->torn = false;
	WRITE_ONCE(r->record, record);
	r->inject_mask = record ? mtk_inject_match(phys, size, pci, bar) : 0;
	/* Publish before arming: a fault can come the moment a PTE is gone. */
	smp_store_release(&r->state, MTK_R_ARMED);
	ret = mtk_region_arm(r);
	if (ret) {
		r->alias = NULL; /* the caller's still, on failure */
		mtk_region_retire(r);
		return ret;
	}
	if (out)
		*out = r;
	return 0;
out_free:
	mtk_region_free_arrays(r);
	return ret;
}

/* A recorded region (MAP record) of a new mapping made by a caller at pc
 * of the ioremap family. Caller holds mtk_region_mutex. */
int mtk_region_add_map_locked(unsigned long virt, phys_addr_t phys, unsigned long size,
			      void __iomem *alias, u32 pci, u8 bar, unsigned long pc)
{
	struct mtk_region *r;
	int ret = mtk_region_add_locked(virt, phys, size, alias, pci, bar, true, &r);

	if (!ret) {
		r->map_pc = pc;
		mtk_emit_map(r, false, 0);
	}
	return ret;
}

/* A recorded region (the self-test's). */
int mtk_region_add(unsigned long virt, phys_addr_t phys, unsigned long size,
		   void __iomem *alias, u32 pci, u8 bar)
{
	int ret;

	mutex_lock(&mtk_region_mutex);
	ret = mtk_region_add_map_locked(virt, phys, size, alias, pci, bar, 0);
	mutex_unlock(&mtk_region_mutex);
	return ret;
}

/* Whether [virt, virt+size) overlaps a region's alias (the walk, without
 * the mutex, may have seen an alias being set up: mtk_after_map() makes it
 * before its region is published). Caller holds mtk_region_mutex. */
static bool mtk_overlaps_alias(unsigned long virt, unsigned long size)
{
	unsigned int i;

	lockdep_assert_held(&mtk_region_mutex);
	for (i = 0; i < MTK_MAX_REGIONS; i++) {
		struct mtk_region *r = &mtk_regions[i];
		unsigned long a = (unsigned long)r->alias & PAGE_MASK;

		if (r->state != MTK_R_FREE && r->alias && virt < a + r->size && a < virt + size)
			return true;
	}
	return false;
}

/*
 * A recorded region found by the page-table walk: the mapping was seen
 * present a moment ago (mtk_vmwatch_seq() was seen before the walk looked
 * at its first entry), but its owner may be removing it right now.
 * mtk_region_arm() checks each entry still maps phys; if remove_vm_area()
 * of the area started since (mt_vmwatch.c), the region is marked torn and
 * torn down. (A removal that began before and clears the entries after we
 * armed them is safe too: mt_entry.c.)
 */
int mtk_region_add_walked(unsigned long virt, phys_addr_t phys, unsigned long size,
			  void __iomem *alias, u32 pci, u8 bar, unsigned long seen)
{
	struct mtk_region *r;
	int ret;

	mutex_lock(&mtk_region_mutex);
	ret = mtk_overlaps_alias(virt, size) ? -EBUSY :
	      mtk_region_add_locked(virt, phys, size, alias, pci, bar, true, &r);
	if (!ret) {
		mtk_emit_map(r, false, 0);
		if (mtk_vmwatch_removed_since(seen, r->map_start, r->virt, r->size))
			mtk_region_area_gone(r->map_start);
	}
	mutex_unlock(&mtk_region_mutex);
	return ret;
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
	mtk_region_retire(r);
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

static void mtk_region_remove_locked(unsigned long virt, unsigned long pc)
{
	int i;

	for (i = 0; i < MTK_MAX_REGIONS; i++) {
		struct mtk_region *r = &mtk_regions[i];

		if (r->state == MTK_R_ARMED &&
		    (r->map_start == virt || virt - r->virt < r->size)) {
			if (r->refs)
				mtk_probes_kill(r->virt, r->size);
			mtk_region_teardown(r, pc);
		}
	}
}

/* The mapping that starts at virt goes away (iounmap: called before the
 * real function): every region in it, probes on it included (those probes
 * are made inert). pc: the caller, for the UNMAP record. Called on every
 * iounmap of the system: without a region there, it takes no mutex. */
void mtk_region_remove_pc(unsigned long virt, unsigned long pc)
{
	virt &= PAGE_MASK;
	if (!mtk_region_holds(virt))
		return;
	mutex_lock(&mtk_region_mutex);
	mtk_region_remove_locked(virt, pc);
	mutex_unlock(&mtk_region_mutex);
}

/*
 * A vmalloc area went away without iounmap (vunmap, vfree, free_vm_area
 * of a vmap_pfn() or ioremap_page_range() mapping the walk armed):
 * mt_vmwatch.c saw remove_vm_area(start) and marks the regions in it torn
 * (their saved entries are never written back: the space may be reused);
 * this work tears them down.
 */
static unsigned int test_torn_delay_ms;
module_param(test_torn_delay_ms, uint, 0400);
MODULE_PARM_DESC(test_torn_delay_ms, "testing only: the teardown of regions marked torn waits this long first");

static void mtk_torn_work_fn(struct work_struct *w)
{
	int i;

	if (test_torn_delay_ms)
		msleep(test_torn_delay_ms);
	mutex_lock(&mtk_region_mutex);
	for (i = 0; i < MTK_MAX_REGIONS; i++) {
		struct mtk_region *r = &mtk_regions[i];

		if (r->state == MTK_R_ARMED && READ_ONCE(r->torn)) {
			if (r->refs)
				mtk_probes_kill(r->virt, r->size);
			mtk_region_teardown(r, 0);
		}
	}
	mutex_unlock(&mtk_region_mutex);
}
static DECLARE_WORK(mtk_torn_work, mtk_torn_work_fn);

/* Any context but NMI, no lock: mark the regions in the area at start. */
void mtk_region_area_gone(unsigned long start)
{
	unsigned int i, hw = READ_ONCE(mtk_regions_hw);
	bool any = false;

	for (i = 0; i < hw; i++) {
		struct mtk_region *r = &mtk_regions[i];

		if (smp_load_acquire(&r->state) == MTK_R_ARMED &&
		    (READ_ONCE(r->map_start) == start || start - READ_ONCE(r->virt) < READ_ONCE(r->size))) {
			WRITE_ONCE(r->torn, true);
			any = true;
		}
	}
	if (any)
		schedule_work(&mtk_torn_work);
}

void mtk_region_flush_torn(void)
{
	flush_work(&mtk_torn_work);
}

void mtk_region_remove(unsigned long virt)
{
	mutex_lock(&mtk_region_mutex);
	mtk_region_remove_locked(virt & PAGE_MASK, 0);
	mutex_unlock(&mtk_region_mutex);
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

