/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* cp_outcome.h - reading an experiment's trace against the baseline's (outcome.c). */
#ifndef MMIOTAP_CAMPAIGN_OUTCOME_H
#define MMIOTAP_CAMPAIGN_OUTCOME_H

#include <stddef.h>
#include <stdint.h>

#include "campaign.h"

struct cp_acc {
	uint8_t kind, width;
	uint16_t map_id;
	uint64_t offset, value;
};

struct cp_baseline {
	struct cp_acc *acc;
	size_t n, cap;
};

int cp_baseline_load(const char *path, struct cp_baseline *b);
void cp_baseline_free(struct cp_baseline *b);
/* Fill r->inj, r->crash, r->div from the experiment's trace. */
int cp_outcome_read(const char *path, const struct cp_baseline *b, struct cp_result *r);
/* Name a crash site: "func+0xoff in OBJECT+0xOFF" when the trace has
 * symbols for pc (process pid), else the mark's "OBJECT+0xOFF". */
struct mt_pcname;
void cp_symbolize(const char *site, struct mt_pcname *pcn, uint32_t pid, uint64_t pc,
		  uint64_t seq, char *buf, size_t room);

#endif
