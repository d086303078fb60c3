// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * inject.c - --inject rules (format/'s rule language, mmiotap/inject.h)
 * applied to traced accesses. Rules come from MMIOTAP_INJECT (one per
 * line), are matched once per mapping (mt_region.rule_mask) and applied
 * per access with the order lock held, so occurrence counters count
 * accesses of all threads of the process in their exact order.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmiotap/inject.h"

#define MAX_RULES 64
static struct mt_inject_rule rules[MAX_RULES];
static uint64_t counters[MAX_RULES];
static unsigned nrules;

MT_HIDDEN int mt_rt_inject_init(const char *text)
{
	char *copy = strdup(text), *save = NULL;
	if (!copy)
		return -ENOMEM;
	int rc = 0;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (nrules >= MAX_RULES) {
			rc = -E2BIG;
			break;
		}
		if (mt_rule_parse(line, &rules[nrules], NULL) < 0) {
			rc = -EINVAL;
			break;
		}
		nrules++;
	}
	free(copy);
	if (rc)
		nrules = 0;
	return rc;
}

MT_HIDDEN uint64_t mt_rt_inject_match(const char *path, const struct mt_pci_info *pi,
				      uint64_t size)
{
	uint64_t mask = 0;
	struct mt_region_id id;
	memset(&id, 0, sizeof(id));
	id.path = path;
	id.has_pci = pi->bus >= 0;
	if (id.has_pci) {
		id.pci_domain = (uint16_t)pi->dom;
		id.pci_bus = (uint8_t)pi->bus;
		id.pci_devfn = (uint8_t)((pi->dev << 3) | pi->fn);
	}
	id.bar = pi->bar;
	id.has_phys = pi->phys != 0;
	id.phys = pi->phys;
	id.size = size;
	for (unsigned i = 0; i < nrules; i++)
		if (mt_rule_match_region(&rules[i], &id) > 0)
			mask |= 1ull << i;
	return mask;
}

static void delay(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

MT_HIDDEN void mt_rt_inject_apply(const struct mt_region *r, int is_write, uint64_t off,
				  void *value, unsigned size, unsigned *evflags)
{
	for (unsigned i = 0; i < nrules; i++) {
		if (!(r->rule_mask & (1ull << i)))
			continue;
		struct mt_inject_result res;
		memset(&res, 0, sizeof(res));
		if (mt_inject_apply(&rules[i], 1, &counters[i], r->map_phys, off, size, is_write,
				    value, &res) <= 0 && !res.injected)
			continue;
		*evflags |= MT_EVF_INJECTED;
		if (res.drop && is_write)
			*evflags |= MT_EVF_DROPPED;
		if (res.delay_ns) {
			int e = errno;
			delay(res.delay_ns);
			errno = e;
		}
	}
}
