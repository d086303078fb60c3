/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * regbind.h - which register database describes which mapping of a trace.
 *
 *   --db FILE[,domain=NAME][,pci=VENDOR:DEVICE|pci=[DDDD:]BB:DD.F][,bar=N][,phys=ADDR]
 *
 * A binding applies the database's domain (the first by default) to every
 * MAP it matches: pci=VENDOR:DEVICE by the ids recorded with the MAP (a
 * DATA record of sub-kind 4, docs/FORMAT.md), or, when the trace has no
 * ids and bar= is given too, by the BAR alone (never by this machine's
 * sysfs: the trace may come from another one); pci=BDF by the MAP's PCI address (kernel MAPs; user-space maps of
 * /sys/bus/pci/devices/BDF/resourceN by their path); bar=N by the BAR;
 * phys=ADDR by a MAP that contains ADDR, with the domain's offset 0 at ADDR.
 * Without pci/bar/phys a binding matches every MAP. FILE without a '/'
 * that does not exist is looked up in the search path:
 * $MMIOTAP_REGDB_PATH (directories separated by ':'), then the installed
 * directory. MAPs no binding matched are looked up by PCI id in the
 * regdb.index files of the search path (lines "VENDOR:DEVICE BAR FILE
 * [DOMAIN]"), unless regbind_set_auto(b, 0).
 *
 * Usage: regbind_new; regbind_add per --db; regbind_set_variant; then per
 * MAP record regbind_map(); per access regbind_lookup().
 */
#ifndef MMIOTAP_REGBIND_H
#define MMIOTAP_REGBIND_H

#include <stdint.h>
#include "mmiotap/regdb.h"
#include "mmiotap/trace.h"

#ifdef __cplusplus
extern "C" {
#endif

struct regbind;

int regbind_new(struct regbind **b);
void regbind_free(struct regbind *b);
/* Parse and load one --db argument. 0 or -1 with e filled. */
int regbind_add(struct regbind *b, const char *spec, struct regdb_err *e);
/* --variant NAME=VALUE: applied to every database added so far that knows
 * the varset (-1 if none does), and to those regdb.index finds later. */
int regbind_set_variant(struct regbind *b, const char *name_eq_value, struct regdb_err *e);
void regbind_set_auto(struct regbind *b, int on);
/* Directories searched, in order (for messages and --help): a
 * NULL-terminated array valid until regbind_free. */
const char *const *regbind_search_path(struct regbind *b);

/* A MAP record: choose its database (by m->pci_ids when m->has_pci_ids).
 * A failing auto-load is remembered in *e (returns -1) but the MAP is left
 * unbound, decoding goes on. */
int regbind_map(struct regbind *b, const struct mt_map_info *m, struct regdb_err *e);
/* Register at (map_id, offset): NULL if the map is unbound or no register
 * is there. *domain (if not NULL) gets the domain's name when bound. */
const struct regdb_cached *regbind_lookup(struct regbind *b, uint16_t map_id, uint64_t offset,
					  unsigned width, const char **domain);
/* The domain bound to map_id, or NULL. */
const struct regdb_domain *regbind_domain(struct regbind *b, uint16_t map_id);

/* One access (READ, WRITE, UNKNOWN) decoded as a line ending in '\n':
 *   text:  "[CPU] SECS.USECS MMIO32 R 0xPHYS 0xVALUE REG => { FIELDS }"
 *          (envytools' demmio layout: "<=" for writes, "=>" for reads; REG
 *          is the offset in hex when no register is there)
 *   jsonl: mmiotap dump's JSON object plus "domain", "reg", "decoded".
 * Other records give "" (0). Returns the length or -ENOSPC. */
#define REGBIND_LINE_MAX 16384
int regbind_format_access(struct regbind *b, const struct mt_event *ev, int jsonl, char *buf,
			  size_t room);

#ifdef __cplusplus
}
#endif
#endif
