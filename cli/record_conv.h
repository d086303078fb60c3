/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* record_conv.h - ring events into trace records (cli/record_conv.c). */
#ifndef MMIOTAP_CLI_RECORD_CONV_H
#define MMIOTAP_CLI_RECORD_CONV_H

#include <stddef.h>
#include <stdint.h>

#include "mmiotap/rt_ring.h"
#include "mmiotap/trace.h"
#include "mmiotap/sym.h"

struct conv {
	struct mt_writer *w;
	const char *out;
	struct mt_enc_stream st;
	uint64_t virt[65536];     /* map_id -> start address */
	uint8_t *buf;
	size_t used, cap;
	uint64_t nrec, nlost, last_seq, last_ts;
	int failed;               /* output broken: count, do not write */
	struct mt_objtrack *objs; /* objects written (OBJECT records), NULL: none */
	struct conv_file_seen *files; /* FILE dedup table (MT_CONV_FILES_MAX), or NULL */
	int quiet;
};

/* FILE records: per (path, offset), the hash of the content last written. */
#define MT_CONV_FILES_MAX 65536
struct conv_file_seen {
	uint64_t key, content;
};

/* Write what c->buf holds (nev events) to the trace; a failing output is
 * reported once, and what follows counted lost. */
void mt_conv_flush(struct conv *c, uint64_t nev);
/* Encode one event into c->buf: 1 encoded, 0 skipped, -ENOSPC flush first. */
int mt_conv_event(struct conv *c, const struct mt_ev *ev);
/* Take what the ring holds (waiting up to timeout ms) into the trace. */
void mt_conv_drain(struct conv *c, struct mt_ring_reader *rd, uint8_t *tmp, size_t tmpsz,
		   int timeout);

#endif
