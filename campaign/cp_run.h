/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* cp_run.h - running a campaign's experiments (run.c). */
#ifndef MMIOTAP_CAMPAIGN_RUN_H
#define MMIOTAP_CAMPAIGN_RUN_H

#include "campaign.h"

struct cp_run_opts {
	const char *self;        /* the mmiotap binary (its `record` runs each experiment) */
	const char *dir;
	unsigned jobs;           /* experiments at a time */
	double timeout;          /* seconds per run */
	unsigned shard_k, shard_n; /* run experiments i (0-based) with i % n == k - 1 */
	char **rec_opts;         /* extra `record` options */
	int nrec;
	char **prog;             /* PROG ARGS, NULL-terminated */
	int quiet;
	void (*before_exec)(void); /* in each run's child before exec; may be NULL */
};

/* Run the baseline and the shard's experiments; results appended to
 * DIR/results.txt. 0, or -1 with the error printed (msg callback). */
int cp_run(const struct cp_plan *p, const struct cp_run_opts *o,
	   void (*msg)(const char *fmt, ...) __attribute__((format(printf, 1, 2))));

/* Was a stop asked (SIGINT/SIGTERM/SIGHUP)? set by the caller's handler. */
extern volatile int cp_run_stop;

#endif
