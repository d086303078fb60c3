/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * rt_inject.h - --inject rules applied by the user-space backends: a fixed
 * set of format/'s rules (mmiotap/inject.h) with their occurrence counters,
 * matched once per mapping (a bit mask of rule indexes) and applied per
 * access through format's pure mt_inject_apply(). The LD_PRELOAD runtime
 * and the ptrace backend (cli/ptrace_record.c) both use it, so a rule acts
 * the same way whichever backend records.
 *
 * No allocation; mt_rt_rules_apply() is async-signal-safe (it may sleep for
 * a delay= action, preserving errno). The caller serialises calls (the
 * order lock, or the single tracer thread): counters are not atomic.
 */
#ifndef MMIOTAP_RT_INJECT_H
#define MMIOTAP_RT_INJECT_H

#include <stdint.h>

#include "mmiotap/devfile.h"
#include "mmiotap/inject.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MT_RT_MAX_RULES 64 /* one bit each in a mapping's mask */

struct mt_rt_rules {
	unsigned n;
	struct mt_inject_rule rule[MT_RT_MAX_RULES];
	uint64_t count[MT_RT_MAX_RULES]; /* occurrence counters */
};

/* Parse one rule and append it. 0, -EINVAL (*err filled, may be NULL) or
 * -E2BIG (more than MT_RT_MAX_RULES). */
int mt_rt_rules_add(struct mt_rt_rules *rs, const char *text, struct mt_rule_error *err);

/* Rules of one mapping: bit i set if rule i targets it (path, device as
 * derived by mt_devfile_identify, size in bytes). */
uint64_t mt_rt_rules_match(const struct mt_rt_rules *rs, const char *path,
			   const struct mt_pci_info *pi, uint64_t size);

/*
 * Apply the rules in mask to one access of `size` bytes at offset `off`
 * within the mapping (map_phys: physical address of its byte 0, 0 unknown).
 * value is changed in place. Returns MT_EVF_DROPPED for a dropped write (the
 * caller then does not write) and MT_EVF_DELAYED when a rule delayed it (the
 * delay is over on return). Whether the access counts as injected is the
 * caller's to decide from the values (mt_inject_flags(), mmiotap/inject.h).
 */
unsigned mt_rt_rules_apply(struct mt_rt_rules *rs, uint64_t mask, uint64_t map_phys,
			   uint64_t off, int is_write, void *value, unsigned size);

#ifdef __cplusplus
}
#endif
#endif
