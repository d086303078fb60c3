/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * diff.h - the state of one `mmiotap diff` run, shared by cli/diff.c (the
 * options, the ordered comparison and its hunks) and cli/diff_async.c (the
 * asynchronous accesses: --async).
 */
#ifndef MMIOTAP_CLI_DIFF_H
#define MMIOTAP_CLI_DIFF_H

#include <stdio.h>
#include "mmiotap/tdiff.h"
#include "regopts.h"

#define MAX_REGS 64

struct side {
	const char *path;
	int fd;
	struct regbind *names;  /* this trace's register databases (map ids are its own) */
	struct mt_tdiff_src src;
	uint64_t *keys;
	size_t n, cap;
	uint64_t *bits;         /* deleted (A) / inserted (B) elements */
	size_t *marks;          /* indices of the MARK elements */
	size_t nmarks, mcap;
	size_t pos;             /* pass 2: elements read */
	struct mt_tdiff_elem e;
	struct mt_tdiff_tasks *tasks; /* --async FUNC: its asynchronous tasks */
	struct mt_tdiff_aset aset;    /* its asynchronous accesses */
	size_t nasync;
	size_t *anc;            /* marker ordinals of the anchors */
	/* pass 3 (async): position */
	size_t li, ai, amarks, aanc;
	char atext[128];        /* text of the last anchor passed */
};

struct change {
	size_t a0, na, b0, nb;
};

struct diffrun {
	struct mt_tdiff_opts o;
	struct regopts db[2];   /* the same --db options, bound to A and to B */
	uint64_t bound;         /* MAPs of A and B a database describes */
	uint64_t hits[2][MAX_REGS]; /* accesses each --ignore / --ignore-value matched */
	struct mt_tdiff_devs devs;
	struct side s[2];
	struct change *ch;
	size_t nch, chcap;
	size_t ctx;
	int quiet, minimal, no_anchors;
	FILE *out;
	char first[2][1200];    /* the first divergence, both sides (decoded) */
	size_t nanc;            /* anchors (common markers) */
	int async_on;           /* --async given */
	const char *async_funcs[32];
	char first_async[160];  /* where the first async difference is */
	size_t ahdr;            /* pass 3: segment whose header is out, + 1 */
	int header_out;         /* the "--- A / +++ B" lines are out */
	size_t afirst;          /* segment of the first async difference */
};

#define ASYNC_HELP \
	"  -a, --async irq|FUNC    compare these accesses as sets per marker segment, not\n" \
	"                          in order: irq (hardirq/softirq/NMI), or every access of\n" \
	"                          a task that ran a function matching glob FUNC (timer,\n" \
	"                          work item; from the trace's symbols); repeatable\n"

void diff_trouble(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* (Re)open side s for a pass from the start of its file. */
void diff_side_open(struct diffrun *d, struct side *s);
/* One element as a line, without its tag. decode: fields of the value too. */
void diff_fmt_elem(const struct diffrun *d, const struct side *s, const struct mt_tdiff_elem *e,
		   int decode, char *buf, size_t room);

/* cli/diff_async.c */
/* --async ARG. */
void diff_async_option(struct diffrun *d, const char *arg);
/* Before pass 1 of side s: its asynchronous tasks (--async FUNC). */
void diff_async_tasks(struct diffrun *d, struct side *s);
/* After the ordered comparison: compare the asynchronous accesses (sets). */
void diff_async_compare(struct diffrun *d);
/* Pass 3: print them (unless quiet), note the first; returns the number of
 * differences (distinct accesses only in A plus only in B). */
size_t diff_async_report(struct diffrun *d);
/* The "async:" line of the summary. */
void diff_async_summary(struct diffrun *d);
void diff_async_free(struct diffrun *d);

#endif
