// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * export.c - `mmiotap export --format csv|chrome-json|perfetto TRACE -o FILE`
 *
 * Reads a trace record by record (the reader, in sequence order) and hands
 * each to an exporter (export/): memory stays flat whatever the length.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli.h"
#include "mmiotap/export.h"
#include "mmiotap/trace.h"
#include "mmiotap/pcname.h"
#include "mmiotap/regbind.h"
#include "regopts.h"

int mt_cli_export(int argc, char **argv);

struct export_names {
	struct mt_pcname *pcn;  /* the trace's own symbol records (a file: they may
				 * be at its end, so not standard input) */
	struct regbind *b;      /* --db bindings, and the installed databases */
};

static const char *export_pc_name(void *ctx, uint32_t pid, uint64_t pc, uint64_t seq)
{
	return mt_pcname_get(((struct export_names *)ctx)->pcn, pid, pc, seq);
}

/* Each MAP chooses its database (the --db bindings, else by its PCI ids). */
static void export_map(void *ctx, const struct mt_map_info *info)
{
	struct regdb_err e;

	if (regbind_map(((struct export_names *)ctx)->b, info, &e))
		error_msg("MAP %u: %s (its registers left unnamed)", info->text_id, e.msg);
}

static const char *export_reg_name(void *ctx, uint16_t map_id, const struct mt_map_info *info,
				   uint64_t offset, unsigned width)
{
	const struct regdb_cached *c = regbind_lookup(((struct export_names *)ctx)->b, map_id,
						      offset, width, NULL);

	(void)info;
	return c ? c->name : NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mmiotap export --format csv|chrome-json|perfetto [-o OUT] TRACE|-\n"
		"Convert a trace (binary, or mmiotrace text) for other tools.\n"
		"  -f, --format FMT   csv (one row per record, with a header row),\n"
		"                     chrome-json (Trace Event Format: chrome://tracing,\n"
		"                     Perfetto), or perfetto (Perfetto protobuf)\n"
		"  -o, --output OUT   write to OUT (default: stdout, not a terminal for\n"
		"                     perfetto)\n"
		"  -s, --symbols      name each PC's function (func column, event args) from\n"
		"                     the trace's symbol records (TRACE must be a file; one\n"
		"                     more pass over it)\n"
		"Register names (--db is repeatable; MAPs with PCI ids also find the installed\n"
		"databases by themselves):\n"
		REGOPTS_HELP
		"  TRACE              trace file, or - for standard input\n");
}

static int parse_args(int argc, char **argv, enum mt_export_format *fmt, const char **out,
		      struct regopts *db, int *symbols)
{
	static const struct option lopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		REGOPTS_OPTIONS,
		{ "symbols", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "f:o:sh", lopts, NULL)) != -1) {
		if (regopts_option(db, c, optarg))
			continue;
		switch (c) {
		case 'f':
			*fmt = mt_export_format_parse(optarg);
			if (!*fmt)
				error_msg_and_help("unknown format '%s' (csv, chrome-json, perfetto)",
						   optarg);
			break;
		case 'o':
			*out = optarg;
			break;
		case 's':
			*symbols = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			error_msg_and_help("bad option");
		}
	}
	if (!*fmt)
		error_msg_and_help("missing --format (csv, chrome-json, perfetto)");
	mt_cli_trace_operand(argc, argv, optind);
	return optind;
}

int mt_cli_export(int argc, char **argv)
{
	struct mt_reader_opts ro = { .sz = sizeof(ro), .sorted = 1 };
	enum mt_export_format fmt = 0;
	const char *out = NULL, *in, *oname;
	struct mt_exporter *x;
	struct export_names en = { 0 };
	struct regopts db;
	int symbols = 0;
	struct mt_export_names names = { .ctx = &en, .map = export_map, .reg = export_reg_name,
					 .pc = export_pc_name };
	struct mt_reader *r;
	struct mt_event ev;
	int fd, outfd = STDOUT_FILENO, rc;

	regopts_init(&db);
	in = argv[parse_args(argc, argv, &fmt, &out, &db, &symbols)];
	if (symbols) {
		struct stat st;

		if (!strcmp(in, "-") || (!stat(in, &st) && !S_ISREG(st.st_mode)))
			error_msg_and_help("--symbols needs TRACE as a regular file (its symbol records, "
					   "maybe at its end, are read in a pass of their own)");
	}
	regopts_finish(&db);
	en.b = db.b;
	fd = mt_cli_open_input(in);
	rc = mt_reader_open_fd(&r, fd, &ro);
	if (rc)
		errno_msg_and_die(rc, "%s", in);
	oname = out && strcmp(out, "-") ? out : "stdout";
	if (out && strcmp(out, "-")) {
		struct stat is, os;

		if (!fstat(fd, &is) && !stat(out, &os) && is.st_dev == os.st_dev && is.st_ino == os.st_ino)
			error_msg_and_die("%s is the trace itself: choose another -o", out);
		outfd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (outfd < 0)
			perror_msg_and_die("%s", out);
	} else if (fmt == MT_EXPORT_PERFETTO && isatty(outfd)) {
		error_msg_and_die("refusing to write protobuf to a terminal (use -o)");
	}
	rc = mt_export_open(&x, fmt, outfd);
	if (rc)
		errno_msg_and_die(rc, "%s", oname);
	if (symbols)
		en.pcn = mt_pcname_open(in);
	mt_export_set_names(x, &names);
	while ((rc = mt_reader_next(r, &ev)) > 0) {
		int erc = mt_export_event(x, &ev);

		if (erc)
			errno_msg_and_die(erc, "%s: record seq %llu", oname,
					  (unsigned long long)ev.seq);
	}
	if (rc < 0) {
		/* what was exported so far stays (a valid file up to there) */
		mt_export_close(x);
		error_msg_and_die("%s: %s", in, mt_reader_errmsg(r));
	}
	rc = mt_export_close(x);
	if (rc)
		errno_msg_and_die(rc, "%s", oname);
	if (outfd != STDOUT_FILENO && close(outfd))
		perror_msg_and_die("%s", out);
	mt_reader_close(r);
	mt_pcname_free(en.pcn);
	regopts_free(&db);
	if (fd != STDIN_FILENO)
		close(fd);
	return 0;
}
