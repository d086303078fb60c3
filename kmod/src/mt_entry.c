// SPDX-License-Identifier: GPL-2.0
/*
 * mt_entry.c - the page-table entry of an armed page, and its changes.
 *
 * An armed page's entry (a PTE, or the PMD of a 2M page) is not cleared to
 * zero: it is its own value with the present bit cleared and _PAGE_PROTNONE
 * set, the page frame number stored inverted as the kernel stores it in
 * every not-present entry (L1TF: asm/pgtable-invert.h). The hardware sees a
 * not-present entry and faults; the kernel's helpers read it as a PROT_NONE
 * entry of the same frame (pte_present(), pte_pfn(), pmd_large()), so
 * vunmap_range() clears it without a warning when the area is torn down
 * behind our back.
 *
 * That value is what makes disarming safe: every change of an armed entry
 * is a compare-and-exchange from the value we left. If the owner of the
 * mapping removed its area meanwhile (vunmap, vfree, free_vm_area: the
 * kernel clears every entry, and the space may be mapped again by someone
 * else), the exchange fails and nothing is written back: a saved entry
 * never lands in someone else's vmalloc space, whatever the timing
 * (mt_vmwatch.c sees most removals early; this does not depend on it).
 */
#include <linux/kernel.h>
#include <linux/atomic.h>
#include <asm/pgtable.h>
#include <asm/pgtable-invert.h>
#include "mt_fault.h"

static unsigned long mtk_pfn_mask(u8 level)
{
	return level == PG_LEVEL_2M ? PHYSICAL_PMD_PAGE_MASK : PTE_PFN_MASK;
}

/* The armed form of the present entry saved (at level). */
unsigned long mtk_entry_armed(unsigned long saved, u8 level)
{
	unsigned long v = (saved & ~_PAGE_PRESENT) | _PAGE_PROTNONE;

	return flip_protnone_guard(saved, v, mtk_pfn_mask(level));
}

static bool mtk_entry_xchg(pte_t *p, unsigned long old, unsigned long new)
{
	return try_cmpxchg((unsigned long *)p, &old, new);
}

/* Arm the entry at p, if it still holds seen (a present entry). */
bool mtk_entry_arm(pte_t *p, u8 level, unsigned long seen)
{
	return mtk_entry_xchg(p, seen, mtk_entry_armed(seen, level));
}

/* Make the armed entry at p present again (saved), if it is still ours. */
bool mtk_entry_restore_saved(pte_t *p, u8 level, unsigned long saved)
{
	return mtk_entry_xchg(p, mtk_entry_armed(saved, level), saved);
}

/* Arm again an entry made present for a single step, if it still is
 * (the CPU may have set its accessed and dirty bits meanwhile: an entry
 * made without them; armed again from the saved value, unchanged). */
bool mtk_entry_rearm(pte_t *p, u8 level, unsigned long saved)
{
	unsigned long ad = _PAGE_ACCESSED | _PAGE_DIRTY;
	unsigned long v = READ_ONCE(*(unsigned long *)p);

	/* again if another CPU set A or D between the read and the exchange */
	do {
		if ((v & ~ad) != (saved & ~ad))
			return false;
	} while (!try_cmpxchg((unsigned long *)p, &v, mtk_entry_armed(saved, level)));
	return true;
}

/* What the entry at p holds now: our armed value, the saved present one,
 * or something else (the area was torn down, or mapped anew). */
enum mtk_entry_state mtk_entry_state(const pte_t *p, u8 level, unsigned long saved)
{
	unsigned long v = READ_ONCE(*(const unsigned long *)p);

	if (v == mtk_entry_armed(saved, level))
		return MTK_E_ARMED;
	/* present: as saved, but for the bits the CPU sets (rearm above) */
	return ((v ^ saved) & ~(_PAGE_ACCESSED | _PAGE_DIRTY)) ? MTK_E_GONE : MTK_E_PRESENT;
}
