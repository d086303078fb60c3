// SPDX-License-Identifier: GPL-2.0
/*
 * mt_probe.c - the probe API for other modules (include/mmiotap_probe.h).
 *
 * A probe covers [addr, addr+len) of an ioremap()ed mapping. Its pages are
 * armed as regions of their own (one page each, held by counted
 * references: region->refs) unless a region (the recording's, or another
 * probe's page) already covers them, in which case that region is shared.
 * The fault path finds the probe by address in a small table read without
 * locks (interrupts are off there); registration and unregistration change
 * the table under mtk_region_mutex, and unregistration waits for an RCU
 * grace period before returning, which covers every handler in flight.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>
#include <linux/rcupdate.h>
#include <linux/ioport.h>
#include <asm/pgtable.h>
#include <mmiotap_probe.h>
#include "mt_kmod.h"

#define MTK_MAX_PROBES 64
static struct mmiotap_probe *mtk_probes[MTK_MAX_PROBES];
static unsigned int mtk_nprobes; /* slots in use (hint for the fault path) */

/* Fault path (interrupts off): the probe covering any byte of the access. */
struct mmiotap_probe *mtk_probe_find(unsigned long addr, unsigned int size)
{
	unsigned int i;

	if (!READ_ONCE(mtk_nprobes))
		return NULL;
	for (i = 0; i < MTK_MAX_PROBES; i++) {
		struct mmiotap_probe *p = READ_ONCE(mtk_probes[i]);

		if (p && addr < p->addr + p->len && addr + size > p->addr)
			return p;
	}
	return NULL;
}

static bool mtk_overlaps(unsigned long a, unsigned long len, unsigned long b,
			 unsigned long blen)
{
	return a < b + blen && b < a + len;
}

/* Drop the page references of p's pages [from, to). */
static void mtk_probe_unref(struct mmiotap_probe *p, unsigned long from,
			    unsigned long to)
{
	unsigned long va;

	for (va = from; va < to; va += PAGE_SIZE) {
		struct mtk_region *r = mtk_region_find(va);

		if (r)
			mtk_region_put_locked(r);
	}
}

/* Take a reference on the region covering the page at va, arming the page
 * as a region of its own if nothing covers it. */
static int mtk_probe_ref_page(unsigned long va)
{
	struct mtk_region *r = mtk_region_find(va);
	void __iomem *alias;
	unsigned int level;
	phys_addr_t pa;
	pte_t *pte;
	int ret;

	if (r) {
		r->refs++;
		return 0;
	}
	pte = lookup_address(va, &level);
	if (!pte || level != PG_LEVEL_4K || !pte_present(*pte))
		return -EINVAL;
	/* Device memory only: RAM in the vmalloc area is a stack, a module,
	 * vmalloc()ed data. */
	if (page_is_ram(pte_pfn(*pte)))
		return -EINVAL;
	pa = (phys_addr_t)pte_pfn(*pte) << PAGE_SHIFT;
	alias = ioremap_prot(pa, PAGE_SIZE, pte_flags(*pte) & _PAGE_CACHE_MASK);
	if (!alias)
		return -ENOMEM;
	ret = mtk_region_add_locked(va, pa, PAGE_SIZE, alias, 0xffffffff, 0xff, false, &r);
	if (ret) {
		iounmap(alias);
		return ret;
	}
	r->refs = 1;
	return 0;
}

int mmiotap_register_probe(struct mmiotap_probe *p)
{
	unsigned long first, end, va;
	int i, slot = -1, ret;

	if (!p->len || p->addr + p->len < p->addr ||
	    !is_vmalloc_addr((void *)p->addr) || !is_vmalloc_addr((void *)(p->addr + p->len - 1)))
		return -EINVAL;
	first = p->addr & PAGE_MASK;
	end = PAGE_ALIGN(p->addr + p->len);
	mutex_lock(&mtk_region_mutex);
	ret = -EBUSY;
	if (p->mt_on)
		goto out;
	/* The whole range against every probe (not just the first page). */
	for (i = 0; i < MTK_MAX_PROBES; i++) {
		struct mmiotap_probe *q = mtk_probes[i];

		if (!q) {
			if (slot < 0)
				slot = i;
			continue;
		}
		if (mtk_overlaps(p->addr, p->len, q->addr, q->len)) {
			ret = -EEXIST;
			goto out;
		}
	}
	ret = -ENOSPC;
	if (slot < 0)
		goto out;
	for (va = first; va < end; va += PAGE_SIZE) {
		ret = mtk_probe_ref_page(va);
		if (ret) {
			mtk_probe_unref(p, first, va);
			goto out;
		}
	}
	atomic64_set(&p->hits, 0);
	p->mt_dead = false;
	p->mt_on = true;
	/* Published after its pages are armed; a fault on them before this
	 * store is emulated without the probe. */
	WRITE_ONCE(mtk_nprobes, mtk_nprobes + 1);
	smp_store_release(&mtk_probes[slot], p);
	ret = 0;
out:
	mutex_unlock(&mtk_region_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(mmiotap_register_probe);

static bool mtk_probe_unpublish(struct mmiotap_probe *p)
{
	int i;

	for (i = 0; i < MTK_MAX_PROBES; i++) {
		if (mtk_probes[i] == p) {
			WRITE_ONCE(mtk_probes[i], NULL);
			WRITE_ONCE(mtk_nprobes, mtk_nprobes - 1);
			return true;
		}
	}
	return false;
}

void mmiotap_unregister_probe(struct mmiotap_probe *p)
{
	mutex_lock(&mtk_region_mutex);
	if (!p->mt_on) {
		mutex_unlock(&mtk_region_mutex);
		return;
	}
	mtk_probe_unpublish(p);
	/* Every handler runs in the fault path with interrupts off: after a
	 * grace period none of p's is running and none can start. */
	synchronize_rcu();
	if (!p->mt_dead)
		mtk_probe_unref(p, p->addr & PAGE_MASK, PAGE_ALIGN(p->addr + p->len));
	p->mt_on = false;
	mutex_unlock(&mtk_region_mutex);
}
EXPORT_SYMBOL_GPL(mmiotap_unregister_probe);

/* The mapping holding [virt, virt+size) is going away while probes are on
 * it: make them inert (their owner still calls unregister). Caller holds
 * mtk_region_mutex; the region teardown that follows waits for a grace
 * period before the mapping can go. */
void mtk_probes_kill(unsigned long virt, unsigned long size)
{
	int i;

	for (i = 0; i < MTK_MAX_PROBES; i++) {
		struct mmiotap_probe *p = mtk_probes[i];

		if (p && mtk_overlaps(p->addr, p->len, virt, size)) {
			pr_warn("mmiotap: probe at %#lx (%ps) still registered when its mapping was unmapped\n",
				p->addr, p->pre ? (void *)p->pre : (void *)p->post);
			mtk_probe_unpublish(p);
			p->mt_dead = true;
		}
	}
}
