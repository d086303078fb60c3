/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * regopts.h - the register-database options that decode, report and export
 * share (--db, --variant, --no-auto; cli/regopts.c): which database names
 * the registers of which MAP (regdb/include/mmiotap/regbind.h).
 */
#ifndef MMIOTAP_CLI_REGOPTS_H
#define MMIOTAP_CLI_REGOPTS_H

#include <stddef.h>
#include "mmiotap/regbind.h"

struct regopts {
	struct regbind *b;
	const char *variants[64]; /* applied once every --db is loaded */
	size_t nvar;
	int status;               /* exit status of a bad --db / --variant */
};

#define REGOPTS_HELP \
	"  --db FILE[,domain=NAME][,pci=VENDOR:DEVICE|pci=BDF][,bar=N][,phys=ADDR]\n" \
	"                     apply a register database (rnndb XML or CMSIS-SVD) to the\n" \
	"                     MAPs it matches (all MAPs without pci/bar/phys); FILE may\n" \
	"                     be a name in $MMIOTAP_REGDB_PATH or the installed databases\n" \
	"      --no-auto      do not look up MAPs by PCI id in the databases' regdb.index\n" \
	"      --variant NAME=VALUE  select a variant (e.g. chipset=NV50)\n"

#define REGOPTS_OPTIONS \
	{ "db", required_argument, NULL, 'd' }, \
	{ "variant", required_argument, NULL, 'V' }, \
	{ "no-auto", no_argument, NULL, 'A' }

/* A new binding (dies on out of memory). Errors exit with status 1, or
 * with `status` (mmiotap diff: 2, its 1 means "different"). */
void regopts_init(struct regopts *o);
void regopts_init_status(struct regopts *o, int status);
/* getopt's c and optarg: 1 if it was one of ours (done, or died with a
 * one-line message), 0 if not. */
int regopts_option(struct regopts *o, int c, const char *arg);
/* After the options: the variants, onto every database loaded. */
void regopts_finish(struct regopts *o);
void regopts_free(struct regopts *o);

#endif
