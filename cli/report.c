// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * report.c - `mmiotap report [--db SPEC]... [--html FILE] TRACE|-`: per
 * device and register, reads, writes, distinct values, first and last
 * value with times, the code that touched it; the final value of every
 * written register; LOST, UNKNOWN and injected counts. Text on stdout;
 * --html writes one self-contained page (cli/report_html.c).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "regsel.h"
#include "report.h"
#include "regopts.h"
#include "mmiotap/pcname.h"

int mt_cli_report(int argc, char **argv);

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mmiotap report [--db SPEC]... [--variant NAME=VALUE]... [--html FILE] [options] TRACE|-\n"
		"Summarise a trace per device and register.\n"
		REGOPTS_HELP
		"      --html FILE    also write a self-contained HTML page with the tables and\n"
		"                     a plot of every register's value over time\n"
		REGSEL_HELP
		"  TRACE              binary trace or mmiotrace text, - for standard input\n");
}

static void ts_str(uint64_t ts, char *b, size_t n)
{
	snprintf(b, n, "%" PRIu64 ".%06" PRIu64, ts / 1000000000, ts % 1000000000 / 1000);
}

static void reg_line(const struct report_reg *g, FILE *f)
{
	char a[32], b[32], pc[64];
	unsigned i;

	ts_str(g->first_ts, a, sizeof(a));
	ts_str(g->last_ts, b, sizeof(b));
	fprintf(f, "  %-24s %8" PRIu64 " %8" PRIu64 " %6" PRIu64 "%s  0x%-10" PRIx64 " @%-14s 0x%-10" PRIx64
		   " @%-14s",
		g->name, g->reads, g->writes, g->distinct, g->distinct_capped ? "+" : " ", g->first_value, a,
		g->last_value, b);
	for (i = 0; i < g->npcs; i++)
		fprintf(f, " %s", report_pc_name(g->pc_pids[i], g->pcs[i], pc, sizeof(pc)));
	if (g->more_pcs)
		fprintf(f, " (+%" PRIu64 " more)", g->more_pcs);
	fputc('\n', f);
}

void report_text(const struct report *r, FILE *f)
{
	size_t i, j;
	char dec[1200];

	fprintf(f, "accesses %" PRIu64 ", LOST %" PRIu64 " (records lost: %" PRIu64 "), UNKNOWN %" PRIu64
		   ", injected %" PRIu64 "\n",
		r->accesses, r->lost_records, r->lost_events, r->unknown, r->injected);
	for (i = 0; i < r->ndevs; i++) {
		const struct report_dev *d = &r->devs[i];

		fprintf(f, "\ndevice map %u at 0x%" PRIx64 " (0x%" PRIx64 " bytes) %s%s%s: %" PRIu64
			   " accesses, UNKNOWN %" PRIu64 ", injected %" PRIu64 "\n",
			d->text_id, d->phys, d->size, d->domain ? d->domain : "(no database)",
			d->where[0] ? ", " : "", d->where, d->accesses, d->unknown, d->injected);
		if (d->untracked)
			fprintf(f, "  (%" PRIu64 " accesses to offsets beyond the first %u registers: counted only)\n",
				d->untracked, REPORT_MAX_REGS);
		if (!d->nregs)
			continue;
		fprintf(f, "  %-24s %8s %8s %7s  %-12s %-15s %-12s %-15s %s\n", "register", "reads",
			"writes", "values", "first", "", "last", "", "code (pc)");
		for (j = 0; j < d->nregs; j++)
			reg_line(&r->regs[d->regs[j]], f);
		fprintf(f, "  written registers, final value:\n");
		for (j = 0; j < d->nregs; j++) {
			const struct report_reg *g = &r->regs[d->regs[j]];

			if (!g->written)
				continue;
			if (g->named)
				regdb_format_value(&g->hit, g->width, g->final_write, dec, sizeof(dec));
			else
				snprintf(dec, sizeof(dec), "0x%" PRIx64, g->final_write);
			fprintf(f, "    %s = 0x%" PRIx64 "%s%s\n", g->name, g->final_write,
				g->named ? " " : "", g->named ? dec : "");
		}
	}
}

int mt_cli_report(int argc, char **argv)
{
	static const struct option lopts[] = {
		REGOPTS_OPTIONS,
		{ "html", required_argument, NULL, 'H' },
		REGSEL_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mt_reader_opts ro = { .sz = sizeof(ro), .sorted = 1, .meta = 1 };
	struct report *rep;
	struct mt_pcname *pcn;
	struct regbind *b;
	struct regsel sel;
	struct regdb_err e;
	struct mt_reader *rd;
	struct mt_event ev;
	struct regopts ro_db;
	const char *html = NULL, *in;
	int c, rc, fd;

	regopts_init(&ro_db);
	regsel_init(&sel);
	while ((c = getopt_long(argc, argv, "d:h", lopts, NULL)) != -1) {
		if (regsel_option(&sel, c, optarg, argc, argv) || regopts_option(&ro_db, c, optarg))
			continue;
		switch (c) {
		case 'H':
			html = optarg;
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
	if ((rc = mt_reader_open_fd(&rd, fd, &ro)))
		errno_msg_and_die(rc, "%s", in);
	if (!(rep = malloc(sizeof(*rep))))
		error_msg_and_die("out of memory");
	report_init(rep);
	/* the trace's symbol records, taken in this same pass: the names are
	 * asked for only when the report is printed */
	if (!(pcn = mt_pcname_new()))
		error_msg_and_die("out of memory");
	report_set_symbols(pcn);
	while ((rc = mt_reader_next(rd, &ev)) > 0) {
		int s;

		if (ev.kind == MT_REC_OBJECT || ev.kind == MT_REC_KSYM) {
			if ((rc = mt_pcname_add(pcn, &ev)))
				errno_msg_and_die(rc, "%s: symbol record", in);
			continue;
		}

		if (ev.kind == MT_REC_MAP && regbind_map(b, &ev.map, &e))
			error_msg("MAP %u: %s (left undecoded)", ev.map.text_id, e.msg);
		s = regsel_pass(&sel, b, &ev);
		report_event(rep, b, &ev, s);
	}
	if (rc < 0)
		error_msg_and_die("%s: %s", in, mt_reader_errmsg(rd));
	report_finish(rep);
	if (html) {
		FILE *hf = fopen(html, "we");

		if (!hf)
			perror_msg_and_die("%s", html);
		if (report_html(rep, in, hf) || fflush(hf) || ferror(hf))
			perror_msg_and_die("%s", html);
		if (fclose(hf))
			perror_msg_and_die("%s", html);
	}
	report_text(rep, stdout);
	if (fflush(stdout) || ferror(stdout))
		perror_msg_and_die("write error on stdout");
	report_free(rep);
	free(rep);
	report_set_symbols(NULL);
	mt_pcname_free(pcn);
	mt_reader_close(rd);
	regsel_free(&sel);
	regopts_free(&ro_db);
	if (fd != STDIN_FILENO)
		close(fd);
	return 0;
}
