// SPDX-License-Identifier: GPL-2.0
/*
 * mt_vmwatch.c - seeing vmalloc areas go away.
 *
 * Mappings armed by the page-table walk may belong to code that never
 * calls iounmap: vmap_pfn() + vunmap() or vfree(), get_vm_area() +
 * ioremap_page_range() + free_vm_area(). Every one of those ends in
 * remove_vm_area(start), which this file watches with a plain ftrace
 * callback (no IPMODIFY, no sleeping): the regions in the area are marked
 * torn at once, before its entries are cleared, and a work item tears them
 * down (mt_region.c) without ever writing their saved entries back into
 * what may already be someone else's vmalloc space. The last removals are
 * kept in a small ring so that the walk can tell whether the area of a
 * mapping it just armed was being removed meanwhile.
 *
 * Where remove_vm_area cannot be traced, the armed entries' exchange
 * (mt_entry.c) is what is left, and it is enough for the page tables: the
 * module says so at load (test_vmwatch_off= provokes it).
 */
#include <linux/kernel.h>
#include <linux/ftrace.h>
#include <linux/atomic.h>
#include <linux/module.h>
#include "mt_kmod.h"

#define MTK_RM_RING 1024

static unsigned long mtk_rm_ring[MTK_RM_RING];
static atomic_long_t mtk_rm_seq = ATOMIC_LONG_INIT(0);

/* From the ftrace callback of the ioremap hooks (mt_select.c: one
 * ftrace_ops for all, so that rmmod waits for RCU Tasks once): the area
 * at start is being removed. Any context but NMI. */
void notrace mtk_vmwatch_hit(unsigned long start)
{
	long seq = atomic_long_inc_return(&mtk_rm_seq);

	WRITE_ONCE(mtk_rm_ring[seq % MTK_RM_RING], start);
	mtk_region_area_gone(start);
}

unsigned long mtk_vmwatch_seq(void)
{
	return atomic_long_read(&mtk_rm_seq);
}

static bool test_vmwatch_guess;
module_param(test_vmwatch_guess, bool, 0400);
MODULE_PARM_DESC(test_vmwatch_guess, "testing only: every mapping the page-table walk arms counts as removed meanwhile, as after more removals than the ring holds");

/*
 * Whether an area holding [virt, virt+size) (starting at start) began to
 * be removed after seq `seen`. Too many removals to tell: yes (the caller
 * then does not trace the mapping, which is safe).
 */
bool mtk_vmwatch_removed_since(unsigned long seen, unsigned long start, unsigned long virt,
			       unsigned long size)
{
	unsigned long now, s;

	/* Pairs with the full barrier of the increment in mtk_vmwatch_hit():
	 * either the hit's scan saw the region the caller published (and
	 * armed) before calling, or the sequence read here counts the hit. */
	smp_mb();
	now = mtk_vmwatch_seq();
	if (now - seen >= MTK_RM_RING || test_vmwatch_guess)
		return true;
	for (s = seen + 1; s <= now; s++) {
		unsigned long a = READ_ONCE(mtk_rm_ring[s % MTK_RM_RING]);

		if (a == start || a - virt < size)
			return true;
	}
	return false;
}

static bool test_vmwatch_off;
module_param(test_vmwatch_off, bool, 0400);
MODULE_PARM_DESC(test_vmwatch_off, "testing only: remove_vm_area is not watched, as where it cannot be traced");

/* Add remove_vm_area to ops' filter. Optional: says so if it cannot. */
void mtk_vmwatch_filter(struct ftrace_ops *ops)
{
	static char glob[] = "remove_vm_area";
	int ret = test_vmwatch_off ? -ENODEV : ftrace_set_filter(ops, glob, strlen(glob), 0);

	if (ret)
		pr_warn("mmiotap: cannot watch remove_vm_area (%d): a mapping armed by the page-table walk and torn down without iounmap is seen only when the recording ends\n",
			ret);
}
