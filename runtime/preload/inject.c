// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * inject.c - --inject rules of the preload runtime: they come from
 * MMIOTAP_INJECT (one per line), are matched once per mapping
 * (mt_region.rule_mask) and applied per access with the order lock held, so
 * occurrence counters count the accesses of all threads of the process in
 * their exact order. The rule engine is shared with the ptrace backend
 * (runtime/common/rt_inject.c over format's mt_inject_apply()).
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mmiotap/rt_inject.h"

static struct mt_rt_rules rules;

MT_HIDDEN int mt_rt_inject_init(const char *text)
{
	char *copy = strdup(text), *save = NULL;
	if (!copy)
		return -ENOMEM;
	int rc = 0;
	for (char *line = strtok_r(copy, "\n", &save); line && !rc;
	     line = strtok_r(NULL, "\n", &save))
		rc = mt_rt_rules_add(&rules, line, NULL);
	free(copy);
	if (rc)
		rules.n = 0;
	return rc;
}

MT_HIDDEN uint64_t mt_rt_inject_match(const char *path, const struct mt_pci_info *pi,
				      uint64_t size)
{
	return mt_rt_rules_match(&rules, path, pi, size);
}

MT_HIDDEN unsigned mt_rt_inject_apply(uint64_t mask, uint64_t map_phys, uint64_t off,
				      int is_write, void *value, unsigned size)
{
	return mt_rt_rules_apply(&rules, mask, map_phys, off, is_write, value, size);
}
