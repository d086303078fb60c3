// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * merge.c - k-way merge of traces by time stamp, each input in its own
 * sequence order (see mmiotap/merge.h for the rules). Streaming: one
 * record per input is held (the reader's), plus a map-id table per input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmiotap/merge.h"

struct input {
	struct mt_reader *r;
	struct mt_event ev;   /* next record, valid while has */
	int has;
	uint16_t *remap;      /* old map id -> new, 0 = not yet given */
};

struct merge {
	struct input *in;
	size_t n;
	const char *const *names;
	struct mt_merge_err *err;
	uint32_t next_map;    /* next new map id */
	uint8_t *obj;         /* an OBJECT record with its seq renumbered */
	size_t objcap;
};

static int fail(struct merge *m, int input, int rc, const char *fmt, const char *what)
{
	m->err->input = input;
	snprintf(m->err->msg, sizeof(m->err->msg), fmt, what);
	return rc;
}

static int advance(struct merge *m, size_t i)
{
	int rc = mt_reader_next(m->in[i].r, &m->in[i].ev);

	m->in[i].has = rc > 0;
	if (rc < 0)
		return fail(m, (int)i, -EBADMSG, "%s", mt_reader_errmsg(m->in[i].r));
	return 0;
}

static uint16_t clock_of(struct input *in)
{
	const struct mt_file_header *h = mt_reader_header(in->r);

	return h ? h->clock : MT_CLOCK_TEXT;
}

static const char *clock_name(uint16_t c)
{
	switch (c) {
	case MT_CLOCK_MONOTONIC: return "CLOCK_MONOTONIC";
	case MT_CLOCK_KERNEL: return "the kernel trace clock (a kernel trace of an older mmiotap)";
	case MT_CLOCK_TEXT: return "mmiotrace text time";
	default: return "an unknown clock";
	}
}

/* Same clock everywhere; the output header's options. */
static int check_clocks(struct merge *m, struct mt_writer_opts *wo)
{
	uint16_t c0 = clock_of(&m->in[0]);
	size_t i;

	wo->clock = c0;
	wo->source = MT_SRC_MERGED;
	wo->compat = MT_COMPAT_SORTED;
	for (i = 0; i < m->n; i++) {
		const struct mt_file_header *h = mt_reader_header(m->in[i].r);
		uint16_t c = clock_of(&m->in[i]);

		if (c != c0) {
			m->err->input = (int)i;
			snprintf(m->err->msg, sizeof(m->err->msg),
				 "recorded on %s, but %s is on %s: traces on different clocks "
				 "cannot be merged", clock_name(c), m->names[0], clock_name(c0));
			return -EINVAL;
		}
		if (h && h->start_realtime_ns &&
		    (!wo->start_realtime_ns || h->start_realtime_ns < wo->start_realtime_ns))
			wo->start_realtime_ns = h->start_realtime_ns;
	}
	return 0;
}

/* The input whose next record goes first: smallest ts, then first given. */
static ssize_t pick(const struct merge *m)
{
	ssize_t best = -1;
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->in[i].has && (best < 0 || m->in[i].ev.ts < m->in[best].ev.ts))
			best = (ssize_t)i;
	return best;
}

static int new_map_id(struct merge *m, size_t i, uint16_t old, uint16_t *out)
{
	uint16_t *slot = &m->in[i].remap[old];

	if (!*slot) {
		if (m->next_map > 0xffff)
			return fail(m, (int)i, -EINVAL, "%s",
				    "more than 65535 maps in all: cannot be numbered in one trace");
		*slot = (uint16_t)m->next_map++;
	}
	*out = *slot;
	return 0;
}

/* Rewrite the record's sequence number and map ids for the output. */
static int renumber(struct merge *m, size_t i, struct mt_event *ev, uint64_t seq)
{
	int rc = 0;

	ev->seq = seq;
	switch (ev->kind) {
	case MT_REC_OBJECT: /* its seq (bytes 16..23) names the next record: renumbered */
		if (ev->text_len < 24)
			return fail(m, (int)i, -EINVAL, "%s", "malformed OBJECT record");
		if (ev->text_len > m->objcap) {
			uint8_t *b = realloc(m->obj, ev->text_len);
			if (!b)
				return fail(m, -1, -ENOMEM, "%s", strerror(ENOMEM));
			m->obj = b;
			m->objcap = ev->text_len;
		}
		memcpy(m->obj, ev->text, ev->text_len);
		for (int b = 0; b < 8; b++)
			m->obj[16 + b] = (uint8_t)(seq >> (8 * b));
		ev->text = (const char *)m->obj;
		break;
	case MT_REC_MAP:
		rc = new_map_id(m, i, ev->map.map_id, &ev->map.map_id);
		ev->map.text_id = ev->map.map_id;
		ev->map.seq = seq;
		break;
	case MT_REC_READ:
	case MT_REC_WRITE:
	case MT_REC_UNKNOWN:
	case MT_REC_UNMAP:
		rc = new_map_id(m, i, ev->map_id, &ev->map_id);
		break;
	default:
		break;
	}
	return rc;
}

static int run(struct merge *m, int out_fd, uint64_t *nrec)
{
	struct mt_writer_opts wo = { .sz = sizeof(wo) };
	struct mt_writer *w;
	uint64_t seq = 0;
	ssize_t i;
	size_t k;
	int rc;

	for (k = 0; k < m->n; k++)
		if ((rc = advance(m, k)))
			return rc;
	if ((rc = check_clocks(m, &wo)))
		return rc;
	rc = mt_writer_open_fd(&w, out_fd, &wo);
	if (rc)
		return fail(m, -1, rc, "%s", strerror(-rc));
	while (!rc && (i = pick(m)) >= 0) {
		struct mt_event ev = m->in[i].ev;

		rc = renumber(m, (size_t)i, &ev, seq);
		if (!rc && (rc = mt_writer_event(w, &ev)))
			fail(m, -1, rc, "%s", strerror(-rc));
		if (!rc)
			rc = advance(m, (size_t)i);
		/* OBJECT, KSYM (symbols) and FILE (copied raw) are not in the numbering */
		if (ev.kind != MT_REC_OBJECT && ev.kind != MT_REC_KSYM && ev.kind != MT_REC_FILE)
			seq++;
	}
	k = (size_t)mt_writer_close(w);
	if (!rc && k)
		rc = fail(m, -1, (int)k, "%s", strerror(-(int)k));
	if (nrec)
		*nrec = seq;
	return rc;
}

int mt_merge_fds(const int *fds, const char *const *names, size_t n, int out_fd,
		 uint64_t *nrec, struct mt_merge_err *err)
{
	struct mt_reader_opts ro = { .sz = sizeof(ro), .sorted = 1, .meta = 1, .files = 1 };
	struct merge m = { .n = n, .names = names, .err = err, .next_map = 1 };
	size_t i;
	int rc = 0;

	err->input = -1;
	err->msg[0] = 0;
	if (!n)
		return -EINVAL;
	m.in = calloc(n, sizeof(*m.in));
	if (!m.in)
		return -ENOMEM;
	for (i = 0; i < n && !rc; i++) {
		m.in[i].remap = calloc(65536, sizeof(uint16_t));
		if (!m.in[i].remap)
			rc = -ENOMEM;
		else if ((rc = mt_reader_open_fd(&m.in[i].r, fds[i], &ro)))
			fail(&m, (int)i, rc, "%s", strerror(-rc));
	}
	if (!rc)
		rc = run(&m, out_fd, nrec);
	for (i = 0; i < n; i++) {
		if (m.in[i].r)
			mt_reader_close(m.in[i].r);
		free(m.in[i].remap);
	}
	free(m.in);
	free(m.obj);
	return rc;
}
