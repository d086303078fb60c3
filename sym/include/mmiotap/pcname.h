/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * pcname.h - "function+0xoff" of a trace's PCs for trace readers
 * (export, report, ...): the trace's OBJECT/KSYM records through sym/, with
 * a small cache in front (a trace touches few distinct PCs, many times).
 */
#ifndef MMIOTAP_PCNAME_H
#define MMIOTAP_PCNAME_H

#include <stdint.h>

struct mt_pcname;

/* The symbols of the trace file at path; NULL when there are none to use
 * (standard input, no OBJECT/KSYM records, unreadable: the caller then
 * shows addresses; a malformed trace is reported by its own reader). */
struct mt_pcname *mt_pcname_open(const char *path);
/* "func+0xoff" (or "object+0xoff"), NULL if unknown. Valid until the next
 * call. */
const char *mt_pcname_get(struct mt_pcname *p, uint32_t pid, uint64_t pc);
void mt_pcname_free(struct mt_pcname *p);

#endif
