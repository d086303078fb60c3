/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * pcname.h - "function+0xoff" of a trace's PCs for trace readers
 * (export, report, ...): the trace's OBJECT/KSYM records through sym/, with
 * a small cache in front (a trace touches few distinct PCs, many times).
 */
#ifndef MMIOTAP_PCNAME_H
#define MMIOTAP_PCNAME_H

#include <stdint.h>
#include "mmiotap/trace.h"

struct mt_pcname;

/* The symbols of the trace file at path; NULL when there are none to use
 * (standard input, no OBJECT/KSYM records, unreadable: the caller then
 * shows addresses; a malformed trace is reported by its own reader). */
struct mt_pcname *mt_pcname_open(const char *path);
/* An empty one to fill from a reader that returns OBJECT/KSYM (option
 * meta) in the caller's own pass: mt_pcname_add() each; NULL on out of
 * memory. Names are asked for once all are added. */
struct mt_pcname *mt_pcname_new(void);
/* An OBJECT or KSYM event (others: ignored). 0 or a negative errno. */
int mt_pcname_add(struct mt_pcname *p, const struct mt_event *ev);
/* "func+0xoff" (or "object+0xoff") of pc of pid in the record numbered
 * seq (UINT64_MAX: as of the trace's end; see mt_sym_lookup()), NULL if
 * unknown. Valid until the next call. */
const char *mt_pcname_get(struct mt_pcname *p, uint32_t pid, uint64_t pc, uint64_t seq);
/* Whether the last mt_pcname_get()'s answer depends on its seq (other
 * objects of the process held pc at other times): not to be cached by
 * (pid, pc) alone. */
int mt_pcname_varies(const struct mt_pcname *p);
void mt_pcname_free(struct mt_pcname *p);

#endif
