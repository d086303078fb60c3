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
 * Where remove_vm_area cannot be traced, the entry check at disarm time
 * (an entry we cleared that is no longer empty is left alone) is what is
 * left: the module says so at load.
 */
#include <linux/kernel.h>
#include <linux/ftrace.h>
#include <linux/atomic.h>
#include "mt_kmod.h"

#define MTK_RM_RING 64

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

/*
 * Whether an area holding [virt, virt+size) (starting at start) began to
 * be removed after seq `seen`. Too many removals to tell: yes (the caller
 * then does not trace the mapping, which is safe).
 */
bool mtk_vmwatch_removed_since(unsigned long seen, unsigned long start, unsigned long virt,
			       unsigned long size)
{
	unsigned long now = mtk_vmwatch_seq(), s;

	smp_rmb();
	if (now - seen >= MTK_RM_RING)
		return true;
	for (s = seen + 1; s <= now; s++) {
		unsigned long a = READ_ONCE(mtk_rm_ring[s % MTK_RM_RING]);

		if (a == start || a - virt < size)
			return true;
	}
	return false;
}

/* Add remove_vm_area to ops' filter. Optional: says so if it cannot. */
void mtk_vmwatch_filter(struct ftrace_ops *ops)
{
	static char glob[] = "remove_vm_area";
	int ret = ftrace_set_filter(ops, glob, strlen(glob), 0);

	if (ret)
		pr_warn("mmiotap: cannot watch remove_vm_area (%d): a mapping armed by the page-table walk and torn down without iounmap is caught only by the entry check at disarm\n",
			ret);
}
