/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * merge.h - merge traces recorded apart on one clock into one trace
 * (libmtformat; `mmiotap merge`, `mmiotap record --kernel`).
 *
 * Order: each input is read in its own sequence order and keeps it exactly;
 * the inputs are interleaved by time stamp: the next record written is the
 * one with the smallest time stamp among the inputs' next records. Tie
 * rule: on equal time stamps the input given first goes first. Records get
 * new sequence numbers (0, 1, ... in the merged order); map ids are
 * renumbered so that maps of different inputs never share one: 1, 2, ...
 * in the order the merged output first meets each (input, map id) pair;
 * the printed id (text_id) becomes the new id too; pid, tid, CPU, PC and
 * values are kept. Inputs must share header.clock (mmiotrace text counts as
 * MT_CLOCK_TEXT); the output has source MT_SRC_MERGED, pid 0 and the
 * earliest non-zero start_realtime_ns of the inputs.
 */
#ifndef MMIOTAP_MERGE_H
#define MMIOTAP_MERGE_H

#include <stddef.h>
#include <stdint.h>
#include "mmiotap/trace.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Why a merge failed: which input (-1: the output) and a message. */
struct mt_merge_err {
	int input;
	char msg[256];
};

/*
 * Merge the n traces open on fds[] (names[] for messages) into out_fd.
 * Returns 0, or a negative errno with *err filled: -EINVAL for inputs on
 * different clocks or too many maps (more than 65535 in all), -EBADMSG for
 * an input that does not read (its message), other errnos for I/O.
 * Records counted into *nrec if not NULL.
 */
int mt_merge_fds(const int *fds, const char *const *names, size_t n, int out_fd,
		 uint64_t *nrec, struct mt_merge_err *err);

#ifdef __cplusplus
}
#endif
#endif /* MMIOTAP_MERGE_H */
