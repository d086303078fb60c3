// SPDX-License-Identifier: GPL-2.0
/*
 * mt_inject.c - fault injection in the kernel: the rules compiled in user
 * space by format/'s mt_rule_parse() (struct mt_inject_rule, flat, no
 * pointers) arrive by MMIOTAP_KIOC_INJECT; each mapping is matched once
 * when armed (a bit mask of rules in the region); per access,
 * format/src/inject_apply.c (compiled into the module unchanged) changes
 * the value or drops the write, and we delay if asked (capped: the fault
 * path runs with interrupts off).
 *
 * Occurrence counters are changed under the order lock (one global order,
 * so "the 3rd read of the id register" means the same thing as in the
 * trace). An NMI nested in an emulation on the same CPU runs without the
 * lock; its counter updates may race with the interrupted ones (documented).
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/delay.h>
#include <mmiotap/inject.h>
#include "mt_kmod.h"

static struct mt_inject_rule *mtk_rules;
static u64 mtk_rule_counters[MMIOTAP_KINJECT_MAX];
static unsigned int mtk_nrules;

/* Called with the control mutex held and tracing off. */
int mtk_inject_set(const struct mmiotap_kinject *k)
{
	struct mt_inject_rule *rules = NULL;
	unsigned int i;

	if (k->nrules > MMIOTAP_KINJECT_MAX)
		return -E2BIG;
	if (k->nrules && k->rule_size != sizeof(struct mt_inject_rule))
		return -EINVAL;
	if (k->nrules) {
		rules = memdup_user(u64_to_user_ptr(k->rules),
				    array_size(k->nrules, sizeof(*rules)));
		if (IS_ERR(rules))
			return PTR_ERR(rules);
	}
	for (i = 0; i < k->nrules; i++) {
		const struct mt_inject_rule *r = &rules[i];

		if (r->target == MT_TGT_FILE || r->target > MT_TGT_PHYS ||
		    !r->dir || r->dir > MT_DIR_RW || r->first == 0 ||
		    (r->width && r->width != 1 && r->width != 2 && r->width != 4 &&
		     r->width != 8 && r->width != 16 && r->width != 32 && r->width != 64)) {
			kfree(rules);
			return -EINVAL;
		}
	}
	kfree(mtk_rules);
	mtk_rules = rules;
	mtk_nrules = k->nrules;
	memset(mtk_rule_counters, 0, sizeof(mtk_rule_counters));
	return 0;
}

void mtk_inject_clear(void)
{
	kfree(mtk_rules);
	mtk_rules = NULL;
	mtk_nrules = 0;
}

/* Which rules target the mapping (physical range, PCI identity, BAR). */
u32 mtk_inject_match(phys_addr_t phys, unsigned long size, u32 pci, u8 bar)
{
	unsigned int i;
	u32 mask = 0;

	for (i = 0; i < mtk_nrules; i++) {
		const struct mt_inject_rule *r = &mtk_rules[i];
		bool m = false;

		switch (r->target) {
		case MT_TGT_ANY:
			m = true;
			break;
		case MT_TGT_PCI:
			m = pci != 0xffffffffu && (pci >> 16) == r->pci_domain &&
			    ((pci >> 8) & 0xff) == r->pci_bus && (pci & 0xff) == r->pci_devfn &&
			    (r->bar < 0 || (bar != 0xff && r->bar == bar));
			break;
		case MT_TGT_PHYS:
			m = phys <= r->phys_hi && phys + size - 1 >= r->phys_lo;
			break;
		}
		if (m)
			mask |= 1u << i;
	}
	return mask;
}

/*
 * One access of `width` bytes at `offset` in a mapping of physical address
 * map_phys; value: for a write what will be written, for a read what the
 * driver will see, changed in place. Returns MMIOTAP_KF_* flags
 * (INJECTED, DROPPED, DELAYED), 0 if no rule acted. Interrupts are off.
 */
u16 mtk_inject_access(u32 mask, u64 map_phys, u64 offset, unsigned int width,
		      bool write, u8 *value)
{
	u64 delay = 0;
	u16 fl = 0;

	while (mask) {
		unsigned int i = __ffs(mask);
		struct mt_inject_result res;

		mask &= mask - 1;
		if (i >= mtk_nrules)
			break;
		if (!mt_inject_apply(&mtk_rules[i], 1, &mtk_rule_counters[i], map_phys,
				     offset, width, write, value, &res))
			continue;
		fl |= MMIOTAP_KF_INJECTED;
		if (res.drop && write)
			fl |= MMIOTAP_KF_DROPPED;
		delay += res.delay_ns;
	}
	if (delay) {
		fl |= MMIOTAP_KF_DELAYED;
		delay = min_t(u64, delay, MMIOTAP_KINJECT_DELAY_MAX_NS);
		if (delay >= 1000)
			udelay(delay / 1000);
		ndelay(delay % 1000);
	}
	return fl;
}
