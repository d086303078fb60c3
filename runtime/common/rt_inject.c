// SPDX-License-Identifier: GPL-2.0 OR MIT
/* rt_inject.c - --inject rules for the user-space backends (mmiotap/rt_inject.h). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "mmiotap/rt_inject.h"
#include "mmiotap/rt_ring.h"

int mt_rt_rules_add(struct mt_rt_rules *rs, const char *text, struct mt_rule_error *err)
{
	if (rs->n >= MT_RT_MAX_RULES)
		return -E2BIG;
	if (mt_rule_parse(text, &rs->rule[rs->n], err) < 0)
		return -EINVAL;
	rs->count[rs->n] = 0;
	rs->n++;
	return 0;
}

uint64_t mt_rt_rules_match(const struct mt_rt_rules *rs, const char *path,
			   const struct mt_pci_info *pi, uint64_t size)
{
	struct mt_region_id id;
	memset(&id, 0, sizeof(id));
	id.path = path;
	id.has_pci = pi->bus >= 0 && pi->dev >= 0;
	if (id.has_pci) {
		id.pci_domain = (uint16_t)(pi->dom < 0 ? 0 : pi->dom);
		id.pci_bus = (uint8_t)pi->bus;
		id.pci_devfn = (uint8_t)((pi->dev << 3) | (pi->fn & 7));
	}
	id.bar = pi->bar;
	id.has_phys = pi->phys != 0;
	id.phys = pi->phys;
	id.size = size;
	uint64_t mask = 0;
	for (unsigned i = 0; i < rs->n; i++)
		if (mt_rule_match_region(&rs->rule[i], &id) > 0)
			mask |= 1ull << i;
	return mask;
}

static void delay(uint64_t ns)
{
	int e = errno;
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	errno = e;
}

unsigned mt_rt_rules_apply(struct mt_rt_rules *rs, uint64_t mask, uint64_t map_phys,
			   uint64_t off, int is_write, void *value, unsigned size)
{
	unsigned evf = 0;
	for (unsigned i = 0; mask && i < rs->n; i++) {
		if (!(mask & (1ull << i)))
			continue;
		mask &= ~(1ull << i);
		struct mt_inject_result res;
		memset(&res, 0, sizeof(res));
		if (!mt_inject_apply(&rs->rule[i], 1, &rs->count[i], map_phys, off, size, is_write,
				     value, &res) && !res.injected)
			continue;
		if (res.drop && is_write)
			evf |= MT_EVF_DROPPED;
		if (res.delay_ns) {
			evf |= MT_EVF_DELAYED;
			delay(res.delay_ns);
		}
	}
	return evf;
}
