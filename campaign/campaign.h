/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * campaign.h - fault-injection campaigns (mmiotap-campaign(1)).
 *
 * A plan is a list of experiments, each one injection rule of the existing
 * language (docs/INJECT.md) that hits one read of one register: the
 * register's Nth read overall (when=N), N taken from a baseline recording.
 * Up to the injection the experiment runs as the baseline did, so the Nth
 * read is the planned one whatever ASLR does to addresses; the read site's
 * PC in the plan is the recording's, for the reader.
 *
 * Plan file (text, one experiment a line, '#' comments):
 *     mmiotap-campaign-plan 1
 *     ID FAULT REG OCC SITE RULE
 * REG is OFFSET/WIDTH, OCC the site's occurrence ("#k of site"), SITE the
 * read's pc=0x... in the recording, RULE the rest of the line.
 *
 * Results (DIR/results.txt, appended by every shard, one line each):
 *     ID<TAB>VERDICT<TAB>DETAIL<TAB>SECS<TAB>INJ<TAB>CRASH<TAB>DIV<TAB>FAULT<TAB>REG<TAB>RULE
 */
#ifndef MMIOTAP_CAMPAIGN_H
#define MMIOTAP_CAMPAIGN_H

#include <stdint.h>
#include <stdio.h>

#include "mmiotap/inject.h"

#define CP_PLAN_MAGIC "mmiotap-campaign-plan 1"

/* faults (--faults) */
enum cp_fault_kind { CP_ALL_ONES, CP_ZERO, CP_FLIP, CP_STUCK, CP_DELAY };
struct cp_fault {
	enum cp_fault_kind kind;
	uint64_t arg;   /* FLIP: bit; STUCK: value; DELAY: microseconds */
};
#define CP_MAX_FAULTS 32

/* --occurrences */
enum cp_occ_mode { CP_OCC_FIRST, CP_OCC_ALL, CP_OCC_EVERY };
struct cp_occ {
	enum cp_occ_mode mode;
	uint64_t every; /* CP_OCC_EVERY: 1, 1+N, 1+2N... of each site */
};

struct cp_exp {
	unsigned id;
	char fault[40];   /* "all-ones", "flip:3", ... */
	uint64_t off;
	unsigned width;
	uint64_t occ;     /* occurrence of the site (1-based) */
	uint64_t pc;      /* read site in the recording */
	char *rule;       /* rule text (the rest of the plan line) */
};

struct cp_plan {
	struct cp_exp *exp;
	size_t n, cap;
};

/* Error text for callers (plan parse, trace read); one line. */
#define CP_ERR_MAX 512

/* fault.c */
int cp_fault_parse_list(const char *s, struct cp_fault *f, size_t max, size_t *n,
			char *err, size_t errlen);
int cp_occ_parse(const char *s, struct cp_occ *o);
/* Name ("flip:3") and rule actions ("xor=0x8") of fault f on a width-byte
 * register; 0, or -1 if the fault does not apply (a bit past the width). */
int cp_fault_name(const struct cp_fault *f, char *buf, size_t room);
int cp_fault_actions(const struct cp_fault *f, unsigned width, uint64_t nth, char *buf,
		     size_t room);

/* plan.c: the plan from a baseline trace (fd), appended to *p. */
int cp_plan_from_trace(int fd, const struct cp_fault *f, size_t nf, const struct cp_occ *o,
		       struct cp_plan *p, char *err, size_t errlen);
/* planfile.c */
int cp_plan_write(FILE *out, const struct cp_plan *p, const char *from);
int cp_plan_read(FILE *in, const char *name, struct cp_plan *p, char *err, size_t errlen);
int cp_plan_add(struct cp_plan *p, const struct cp_exp *e, const char *rule);
void cp_plan_free(struct cp_plan *p);

/* Device named by a rule's target ("file /dev/uio0", "pci 0000:00:03.0 bar 0"). */
void cp_rule_device(const char *rule, char *buf, size_t room);

/* results.c */
struct cp_result {
	unsigned id;
	char verdict[16];   /* crash hang error same different */
	char detail[128];   /* SIGSEGV, exit 1, timeout 10 s, ... */
	double secs;
	unsigned long inj;  /* accesses the rule changed/delayed in the trace */
	char crash[512];    /* crash site: "SIGSEGV pc=... in /obj+0x..." or "-" */
	char div[512];      /* first divergence from the baseline, or "-" */
	char fault[40];
	char reg[48];
	char rule[1024];
};
int cp_result_format(const struct cp_result *r, char *buf, size_t room);
/* 1 parsed, 0 not a result line (comment/blank), -1 malformed. */
int cp_result_parse(char *line, struct cp_result *r);

#endif
