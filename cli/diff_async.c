// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * diff_async.c - `mmiotap diff --async`: accesses that timers, work items
 * and interrupts make come a timing-dependent number of times at
 * timing-dependent places; they are taken out of the ordered comparison and
 * compared as sets, segment by segment between the anchors (common
 * markers): a distinct access (same key as in the ordered diff: direction,
 * device, register, width, value unless --ignore-value) that one trace's
 * segment has and the other's never has is a difference. Pass 3 re-reads
 * both traces to print those, segment by segment (cli/diff.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "diff.h"

void diff_async_option(struct diffrun *d, const char *arg)
{
	d->async_on = 1;
	if (!strcmp(arg, "irq")) {
		d->o.async_irq = 1;
		return;
	}
	if (!*arg)
		error_msg_and_help("--async: want irq or a function name glob");
	if (d->o.nasync_funcs == sizeof(d->async_funcs) / sizeof(d->async_funcs[0]))
		error_msg_and_help("--async: more than %zu functions",
				   sizeof(d->async_funcs) / sizeof(d->async_funcs[0]));
	d->async_funcs[d->o.nasync_funcs++] = arg;
	d->o.async_funcs = d->async_funcs;
}

void diff_async_tasks(struct diffrun *d, struct side *s)
{
	const char *path = s->fd == STDIN_FILENO ? "/proc/self/fd/0" : s->path;
	char err[512];
	int nosym, rc;

	if (!d->o.nasync_funcs)
		return;
	if (s->fd < 0 && (s->fd = open(s->path, O_RDONLY | O_CLOEXEC)) < 0)
		diff_trouble("%s: %s", s->path, strerror(errno));
	rc = mt_tdiff_async_tasks(s->fd, path, &d->o, &s->tasks, &nosym, err, sizeof(err));
	if (rc)
		diff_trouble("%s: %s", s->path, err);
	if (nosym)
		error_msg("warning: %s has no symbols (KSYM/OBJECT records): --async FUNC finds "
			  "no task in it", s->path);
}

void diff_async_compare(struct diffrun *d)
{
	struct side *A = &d->s[0], *B = &d->s[1];

	if (mt_tdiff_aset_compare(&A->aset, A->anc, &B->aset, B->anc, d->nanc))
		diff_trouble("out of memory");
}

/* The header of segment seg's differences, once. */
static void seg_header(struct diffrun *d, const struct side *s, size_t seg)
{
	char where[160];

	if (d->ahdr == seg + 1)
		return;
	d->ahdr = seg + 1;
	if (seg)
		snprintf(where, sizeof(where), "asynchronous accesses after MARK %s", s->atext);
	else if (d->nanc)
		snprintf(where, sizeof(where), "asynchronous accesses before the first common marker");
	else
		snprintf(where, sizeof(where), "asynchronous accesses"); /* one segment */
	if (!d->first_async[0])
		snprintf(d->first_async, sizeof(d->first_async), "%s", where);
	if (d->quiet)
		return;
	if (!d->header_out) {
		fprintf(d->out, "--- %s\n+++ %s\n", d->s[0].path, d->s[1].path);
		d->header_out = 1;
	}
	fprintf(d->out, "@@ %s @@\n", where);
}

/* Note an anchor MARK just read on side k. */
static void note_mark(struct diffrun *d, int k)
{
	struct side *s = &d->s[k];
	const struct mt_tdiff_elem *e = &s->e;

	if (s->aanc < d->nanc && s->anc[s->aanc] == s->amarks) {
		snprintf(s->atext, sizeof(s->atext), "%.*s",
			 (int)(e->text_len > 100 ? 100 : e->text_len), e->text);
		s->aanc++;
	}
	s->amarks++;
}

/* Read side k on to print its differences of segment seg. */
static void side_segment(struct diffrun *d, int k, size_t seg)
{
	struct side *s = &d->s[k];
	const struct mt_tdiff_aset *a = &s->aset;

	while (s->li < a->nonly && a->only[s->li].seg == seg) {
		const struct mt_tdiff_aonly *o = &a->only[s->li];
		char buf[1200];
		int rc = mt_tdiff_src_next(&s->src, &s->e);

		if (rc < 0)
			diff_trouble("%s: %s", s->path, mt_tdiff_src_errmsg(&s->src));
		if (rc == 0)
			diff_trouble("%s: changed while being compared", s->path);
		if (s->e.kind == MT_REC_MARK)
			note_mark(d, k);
		if (!s->e.async || s->ai++ != o->idx)
			continue;
		seg_header(d, s, seg);
		if (!d->nch && seg == d->afirst && !d->first[k][0])
			diff_fmt_elem(d, s, &s->e, 1, d->first[k], sizeof(d->first[k]));
		if (!d->quiet) {
			diff_fmt_elem(d, s, &s->e, 0, buf, sizeof(buf));
			fprintf(d->out, "%c%s", k ? '+' : '-', buf);
			if (o->count > 1)
				fprintf(d->out, " (%" PRIu64 " times)", o->count);
			fputc('\n', d->out);
		}
		s->li++;
	}
}

size_t diff_async_report(struct diffrun *d)
{
	struct side *A = &d->s[0], *B = &d->s[1];
	int k;

	if (!A->aset.nonly && !B->aset.nonly)
		return 0;
	/* the first divergence: the ordered one if any, else here */
	d->afirst = A->aset.nonly ? A->aset.only[0].seg : SIZE_MAX;
	if (B->aset.nonly && B->aset.only[0].seg < d->afirst)
		d->afirst = B->aset.only[0].seg;
	for (k = 0; k < 2; k++) {
		mt_tdiff_src_close(&d->s[k].src);
		diff_side_open(d, &d->s[k]);
	}
	while (A->li < A->aset.nonly || B->li < B->aset.nonly) {
		size_t sa = A->li < A->aset.nonly ? A->aset.only[A->li].seg : SIZE_MAX;
		size_t sb = B->li < B->aset.nonly ? B->aset.only[B->li].seg : SIZE_MAX;
		size_t seg = sa < sb ? sa : sb;

		side_segment(d, 0, seg);
		side_segment(d, 1, seg);
	}
	return A->aset.nonly + B->aset.nonly;
}

void diff_async_summary(struct diffrun *d)
{
	const struct side *A = &d->s[0], *B = &d->s[1];

	fprintf(d->out, "async: A %zu accesses, B %zu (sets per segment); ", A->nasync, B->nasync);
	if (!A->aset.nonly && !B->aset.nonly)
		fprintf(d->out, "same\n");
	else
		fprintf(d->out, "%zu distinct only in A, %zu only in B\n", A->aset.nonly,
			B->aset.nonly);
}

void diff_async_free(struct diffrun *d)
{
	int k;

	for (k = 0; k < 2; k++) {
		mt_tdiff_aset_free(&d->s[k].aset);
		mt_tdiff_tasks_free(d->s[k].tasks);
		free(d->s[k].anc);
		d->s[k].tasks = NULL;
		d->s[k].anc = NULL;
	}
}
