/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * report.h - the per-device, per-register summary behind `mmiotap report`
 * (cli/report_data.c collects, cli/report.c prints text, cli/report_html.c
 * writes the HTML page).
 */
#ifndef MMIOTAP_CLI_REPORT_H
#define MMIOTAP_CLI_REPORT_H

#include <stdint.h>
#include <stdio.h>
#include "mmiotap/regbind.h"

#define REPORT_PCS 8          /* distinct PCs kept per register */
#define REPORT_POINTS 4096    /* value changes kept per register for the plot */
#define REPORT_MAX_REGS (1u << 20)   /* registers (offsets) tracked; more: counted per device */
#define REPORT_MAX_VALUES (4u << 20) /* (register, value) pairs tracked for 'values' */

struct report_point {
	uint64_t ts, value;
	uint8_t write;
};

struct report_reg {
	size_t dev;
	uint64_t offset;              /* of the register's start in the map */
	unsigned width;
	char *name;                   /* register name, or the offset in hex */
	struct regdb_hit hit;         /* the register (whole: within 0), if named */
	int named;
	uint64_t reads, writes, distinct;
	int distinct_capped;          /* more values than tracked: distinct is a lower bound */
	uint64_t first_ts, first_value, last_ts, last_value;
	int written;
	uint64_t final_write, final_write_ts;
	uint64_t pcs[REPORT_PCS];
	uint32_t pc_pids[REPORT_PCS]; /* the process of each (user-space PCs are per process) */
	unsigned npcs;
	uint64_t more_pcs;
	struct report_point *pts;
	size_t npts, ptcap;
	int pts_truncated;
};

struct report_dev {
	uint32_t text_id;
	uint64_t phys, size;
	const char *domain;           /* NULL: no database */
	char where[96];               /* "pci 0000:00:04.0 bar 0", a path, or "" */
	uint64_t unknown, injected, accesses;
	uint64_t untracked;           /* accesses beyond REPORT_MAX_REGS registers */
	size_t *regs;                 /* indexes into report.regs, in offset order at the end */
	size_t nregs;
};

struct report {
	struct report_dev *devs;
	size_t ndevs;
	struct report_reg *regs;
	size_t nregs, rcap;
	uint64_t lost_records, lost_events, unknown, injected, accesses;
	uint64_t first_ts, last_ts;
	/* internal */
	size_t map_dev[65536];        /* map id -> dev + 1 (0: none) */
	struct report_slot *slots;    /* (dev, offset, width) -> reg */
	size_t scap, sused;
	struct report_vslot *vslots;  /* (reg, value) seen */
	size_t vcap, vused;
};

void report_init(struct report *r);
/* Feed every record in order; selected: regsel's verdict for accesses. */
void report_event(struct report *r, struct regbind *b, const struct mt_event *ev, int selected);
/* Sort each device's registers by offset. */
void report_finish(struct report *r);
void report_free(struct report *r);

/* The name shown for a PC (hex now; the symbolizer later). */
/* The symbols the report names PCs with (the trace's own OBJECT/KSYM
 * records: mt_pcname_open(TRACE)); NULL: PCs in hex. */
struct mt_pcname;
void report_set_symbols(struct mt_pcname *pcn);
const char *report_pc_name(uint32_t pid, uint64_t pc, char *buf, size_t room);

void report_text(const struct report *r, FILE *f);
int report_html(const struct report *r, const char *title, FILE *f);

#endif
