/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * regsel.h - which accesses `mmiotap decode` and `mmiotap report` look at:
 * --reg GLOB, --between MARK1 MARK2, --from/--to SECONDS, --pid, --tid,
 * --cpu, --changes (cli/regsel.c).
 */
#ifndef MMIOTAP_CLI_REGSEL_H
#define MMIOTAP_CLI_REGSEL_H

#include <stdint.h>
#include "mmiotap/regbind.h"

struct regsel {
	const char *globs[32];
	unsigned nglobs;
	const char *mark1, *mark2;
	int inside;
	int has_from, has_to;
	uint64_t from_ns, to_ns;
	int64_t pid, tid, cpu; /* -1: any */
	int changes;
	struct regsel_last *last; /* --changes: last value per register */
	size_t lcap, lused;
};

#define REGSEL_HELP \
	"      --reg GLOB     only registers whose name (or DOMAIN.NAME) matches GLOB\n" \
	"                     (fnmatch; repeatable: any of them)\n" \
	"      --between MARK1 MARK2  only accesses after a marker MARK1 and before the\n" \
	"                     next marker MARK2 (every such window)\n" \
	"      --from SECS, --to SECS  only accesses in this time range (trace clock,\n" \
	"                     seconds as mmiotap dump prints them)\n" \
	"      --pid N, --tid N, --cpu N  only accesses of this process, thread, CPU\n" \
	"      --changes      only accesses whose value differs from the previous access\n" \
	"                     to the same register\n"

enum { REGSEL_REG = 0x1000, REGSEL_BETWEEN, REGSEL_FROM, REGSEL_TO, REGSEL_PID, REGSEL_TID,
       REGSEL_CPU, REGSEL_CHANGES };
#define REGSEL_OPTIONS \
	{ "reg", required_argument, NULL, REGSEL_REG }, \
	{ "between", required_argument, NULL, REGSEL_BETWEEN }, \
	{ "from", required_argument, NULL, REGSEL_FROM }, \
	{ "to", required_argument, NULL, REGSEL_TO }, \
	{ "pid", required_argument, NULL, REGSEL_PID }, \
	{ "tid", required_argument, NULL, REGSEL_TID }, \
	{ "cpu", required_argument, NULL, REGSEL_CPU }, \
	{ "changes", no_argument, NULL, REGSEL_CHANGES }

void regsel_init(struct regsel *s);
/* 1 if getopt's c was a selection option (handled; dies on a bad value;
 * --between takes argv[optind] as MARK2), else 0. */
int regsel_option(struct regsel *s, int c, const char *arg, int argc, char **argv);
/* Feed every record: MARKs open and close --between windows; returns 1 for
 * an access (READ, WRITE, UNKNOWN) that is selected. */
int regsel_pass(struct regsel *s, struct regbind *b, const struct mt_event *ev);
void regsel_free(struct regsel *s);

#endif
