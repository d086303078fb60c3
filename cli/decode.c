// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * decode.c - `mmiotap decode [--db SPEC]... [--variant NAME=VALUE]... TRACE|-`
 *
 * Every access with its register name and decoded value (regbind.h's
 * line formats), selected by register glob, marker window, time range,
 * pid/tid/cpu, or only value changes. The databases bind to MAPs as they
 * come (regbind_map); the work per access is a cache lookup.
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "mmiotap/regbind.h"
#include "regopts.h"
#include "mmiotap/trace.h"
#include "regsel.h"

int mt_cli_decode(int argc, char **argv);

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mmiotap decode [--db SPEC]... [--variant NAME=VALUE]... [options] TRACE|-\n"
		"Print every access with its register name and decoded value.\n"
		REGOPTS_HELP
		"  -f, --format FMT   text (default, as envytools' demmio) or jsonl\n"
		"  -o, --output OUT   write to OUT instead of stdout\n"
		REGSEL_HELP
		"  TRACE              binary trace or mmiotrace text, - for standard input\n");
}

#define OUTBUF (256u << 10)

/* Write the lines formatted so far; nonzero on a write error. */
static int flush_out(FILE *of, const char *buf, size_t *used)
{
	size_t n = *used;

	*used = 0;
	return n && fwrite(buf, 1, n, of) != n;
}

int mt_cli_decode(int argc, char **argv)
{
	static const struct option lopts[] = {
		REGOPTS_OPTIONS,
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		REGSEL_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mt_reader_opts ro = { .sz = sizeof(ro), .sorted = 1 };
	struct regbind *b;
	struct regsel sel;
	struct regdb_err e;
	struct mt_reader *r;
	struct mt_event ev;
	struct regopts ro_db;
	const char *out = NULL, *in;
	size_t used = 0;
	int c, rc, jsonl = 0, fd;
	FILE *of = stdout;
	char *line;

	regopts_init(&ro_db);
	regsel_init(&sel);
	while ((c = getopt_long(argc, argv, "d:f:o:h", lopts, NULL)) != -1) {
		if (regsel_option(&sel, c, optarg, argc, argv) || regopts_option(&ro_db, c, optarg))
			continue;
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "jsonl") || !strcmp(optarg, "json"))
				jsonl = 1;
			else if (!strcmp(optarg, "text") || !strcmp(optarg, "demmio"))
				jsonl = 0;
			else
				error_msg_and_help("unknown format '%s' (text, jsonl)", optarg);
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			regopts_free(&ro_db);
			return 0;
		default:
			error_msg_and_help("bad option");
		}
	}
	regopts_finish(&ro_db);
	b = ro_db.b;
	in = mt_cli_trace_operand(argc, argv, optind);
	fd = mt_cli_open_input(in);
	if ((rc = mt_reader_open_fd(&r, fd, &ro)))
		errno_msg_and_die(rc, "%s", in);
	if (out && strcmp(out, "-") && !(of = fopen(out, "we")))
		perror_msg_and_die("%s", out);
	setvbuf(of, NULL, _IOFBF, 1 << 16);
	/* lines are formatted straight into a big output buffer */
	if (!(line = malloc(OUTBUF)))
		error_msg_and_die("out of memory");
	while ((rc = mt_reader_next(r, &ev)) > 0) {
		int n;

		if (ev.kind == MT_REC_MAP) {
			if (regbind_map(b, &ev.map, &e))
				error_msg("MAP %u: %s (left undecoded)", ev.map.text_id, e.msg);
			if (!jsonl) {
				const struct regdb_domain *d = regbind_domain(b, ev.map_id);

				flush_out(of, line, &used);
				fprintf(of, "# MAP %u %#" PRIx64 " %#" PRIx64 " %s\n", ev.map.text_id,
					ev.map.phys, ev.map.size, d ? regdb_domain_name(d) : "(no database)");
			}
			continue;
		}
		if (!regsel_pass(&sel, b, &ev))
			continue;
		if (OUTBUF - used < REGBIND_LINE_MAX && flush_out(of, line, &used))
			break;
		n = regbind_format_access(b, &ev, jsonl, line + used, REGBIND_LINE_MAX);
		if (n < 0)
			errno_msg_and_die(n, "formatting seq %" PRIu64, ev.seq);
		used += (size_t)n;
	}
	flush_out(of, line, &used);
	if (rc < 0) {
		fflush(of);
		error_msg_and_die("%s: %s", in, mt_reader_errmsg(r));
	}
	if (fflush(of) || ferror(of))
		perror_msg_and_die("%s", out ? out : "write error on stdout");
	if (of != stdout && fclose(of))
		perror_msg_and_die("%s", out);
	free(line);
	mt_reader_close(r);
	regsel_free(&sel);
	regopts_free(&ro_db);
	if (fd != STDIN_FILENO)
		close(fd);
	return 0;
}
