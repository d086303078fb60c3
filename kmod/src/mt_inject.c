// SPDX-License-Identifier: GPL-2.0
/*
 * mt_inject.c - fault injection in the kernel: the rules compiled in user
 * space by format/'s mt_rule_parse() (struct mt_inject_rule, flat, no
 * pointers) arrive by MMIOTAP_KIOC_INJECT; each mapping is matched once
 * when armed (a bit mask of rules in the region); per access,
 * format/src/inject_apply.c (compiled into the module unchanged) changes
 * the value or drops the write, and we delay if asked (capped per fault:
 * the fault path runs with interrupts off).
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

/* The rule set of the session: published whole (smp_store_release),
 * read once per access by the fault path, freed only after mtk_quiesce(). */
struct mtk_rules {
	unsigned int n;
	u64 counters[MMIOTAP_KINJECT_MAX];
	struct mt_inject_rule rule[];
};
static struct mtk_rules *mtk_rules;

static void mtk_rules_replace(struct mtk_rules *rs)
{
	struct mtk_rules *old = mtk_rules;

	smp_store_release(&mtk_rules, rs);
	if (old) {
		mtk_quiesce();
		kfree(old);
	}
}

static bool mtk_rule_valid(const struct mt_inject_rule *r)
{
	return r->target != MT_TGT_FILE && r->target <= MT_TGT_PHYS &&
	       r->dir && r->dir <= MT_DIR_RW && r->first &&
	       (!r->width || (r->width <= 64 && !(r->width & (r->width - 1))));
}

/* Called with the control mutex held and tracing off. */
int mtk_inject_set(const struct mmiotap_kinject *k)
{
	struct mtk_rules *rs = NULL;
	unsigned int i;

	if (k->nrules > MMIOTAP_KINJECT_MAX)
		return -E2BIG;
	if (k->nrules && k->rule_size != sizeof(struct mt_inject_rule))
		return -EINVAL;
	if (k->nrules) {
		rs = kzalloc(struct_size(rs, rule, k->nrules), GFP_KERNEL);
		if (!rs)
			return -ENOMEM;
		if (copy_from_user(rs->rule, u64_to_user_ptr(k->rules),
				   array_size(k->nrules, sizeof(rs->rule[0])))) {
			kfree(rs);
			return -EFAULT;
		}
		rs->n = k->nrules;
		for (i = 0; i < rs->n; i++) {
			if (!mtk_rule_valid(&rs->rule[i])) {
				kfree(rs);
				return -EINVAL;
			}
		}
	}
	mtk_rules_replace(rs);
	return 0;
}

void mtk_inject_clear(void)
{
	mtk_rules_replace(NULL);
}

/* Which rules target the mapping (physical range, PCI identity, BAR). */
u32 mtk_inject_match(phys_addr_t phys, unsigned long size, u32 pci, u8 bar)
{
	const struct mtk_rules *rs = READ_ONCE(mtk_rules);
	unsigned int i;
	u32 mask = 0;

	for (i = 0; rs && i < rs->n; i++) {
		const struct mt_inject_rule *r = &rs->rule[i];
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
 * (INJECTED, DROPPED, DELAYED), 0 if no rule acted. Interrupts are off:
 * delays are taken from *delay_left_ns, the fault's budget (what is left
 * of MMIOTAP_KINJECT_DELAY_MAX_NS), and a REP string ends its chunk after
 * a delayed element (mt_emul.c), so no fault waits longer.
 */
u16 mtk_inject_access(u32 mask, u64 map_phys, u64 offset, unsigned int width,
		      bool write, u8 *value, u64 *delay_left_ns)
{
	struct mtk_rules *rs = READ_ONCE(mtk_rules);
	u64 delay = 0;
	u16 fl = 0;

	if (!rs)
		return 0;
	while (mask) {
		unsigned int i = __ffs(mask);
		struct mt_inject_result res;

		mask &= mask - 1;
		if (i >= rs->n)
			break;
		if (!mt_inject_apply(&rs->rule[i], 1, &rs->counters[i], map_phys,
				     offset, width, write, value, &res))
			continue;
		fl |= MMIOTAP_KF_INJECTED;
		if (res.drop && write)
			fl |= MMIOTAP_KF_DROPPED;
		delay += res.delay_ns;
	}
	if (delay) {
		fl |= MMIOTAP_KF_DELAYED;
		delay = min(delay, *delay_left_ns);
		*delay_left_ns -= delay;
		if (delay >= 1000)
			udelay(delay / 1000);
		ndelay(delay % 1000);
	}
	return fl;
}
