/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* cp_report.h - `mmiotap campaign report` (report.c, report_html.c). */
#ifndef MMIOTAP_CAMPAIGN_REPORT_H
#define MMIOTAP_CAMPAIGN_REPORT_H

#include <stdio.h>

#include "campaign.h"

struct cp_row {
	struct cp_result r;
	const char *dir;        /* where it ran (its traces, outputs, command) */
	size_t order;           /* position in the input (the last line of an ID wins) */
	char device[300];       /* the rule's target, for the table */
};

/* One distinct failure: verdict, detail and crash site alike. */
struct cp_failure {
	const struct cp_row *first; /* lowest ID */
	size_t count;
};

struct cp_table {
	struct cp_row *rows;        /* sorted by ID, one per ID (the last line wins) */
	size_t n;
	struct cp_failure *fail;
	size_t nfail;
};

#define CP_NVERDICTS 5
extern const char *const cp_verdicts[CP_NVERDICTS]; /* crash hang error different same */
int cp_verdict_index(const char *v);

/* Rerun command of a row: "mmiotap record --inject 'RULE' -o rerun.trace ..." */
void cp_rerun_command(const struct cp_row *row, char *buf, size_t room);
/* First lines of the experiment's stderr (what the program reported). */
void cp_first_report(const struct cp_row *row, char *buf, size_t room);

/* rows[] ordered by device, register, fault, ID (NULL-terminated, free()). */
const struct cp_row **cp_rows_by_register(const struct cp_table *t);

int cp_html_write(const char *path, const struct cp_table *t);

/* collect.c: results of experiments another runner ran (DIR/eID.status). */
int cp_collect(const struct cp_plan *p, const char *dir,
	       void (*msg)(const char *fmt, ...) __attribute__((format(printf, 1, 2))));

int cp_report(const char *const *dirs, size_t ndirs, FILE *out, const char *html,
	      void (*msg)(const char *fmt, ...) __attribute__((format(printf, 1, 2))));

#endif
