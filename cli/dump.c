// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * dump.c - `mmiotap dump [--format mmiotrace|jsonl|binary] [-o OUT]
 *            [--symbols] FILE|-`
 *
 * Reads a binary trace or mmiotrace text (detected by the first byte) and
 * prints it as mmiotrace text (default; a kernel log comes out unchanged),
 * JSON lines, or writes it as a binary trace (OBJECT and KSYM records
 * kept). --symbols: the function, offset and source line of each record's
 * PC (sym/), as an `EXT sym=... src=... obj=...` line in text, or "sym",
 * "src", "obj" fields in JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "mmiotap/trace.h"
#include "mmiotap/sym.h"

int mt_cli_dump(int argc, char **argv);

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mmiotap dump [--format mmiotrace|jsonl|binary] [-o OUT] [--file-order]\n"
		"                    [--symbols] FILE|-\n"
		"Print a trace (binary, or mmiotrace text) as mmiotrace text.\n"
		"  -f, --format FMT   mmiotrace (default), jsonl, or binary (needs -o or a\n"
		"                     non-terminal stdout)\n"
		"  -o, --output OUT   write to OUT instead of stdout\n"
		"      --file-order   records in file order, not sequence order\n"
		"      --symbols      function+offset and file:line of each PC (from the\n"
		"                     trace's OBJECT and KSYM records; needs a FILE)\n"
		"  FILE               trace file, or - for standard input\n");
}

enum { FMT_TEXT, FMT_JSONL, FMT_BINARY };

static int has_pc(const struct mt_event *ev)
{
	return ev->kind == MT_REC_READ || ev->kind == MT_REC_WRITE || ev->kind == MT_REC_UNKNOWN ||
	       ev->kind == MT_REC_UNMAP || ev->kind == MT_REC_MAP;
}

/* s with spaces and control bytes as '?' (EXT values end at a space). */
static void put_word(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s <= ' ' || *s == 0x7f ? '?' : *s, f);
}

static void put_json(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* The symbol of ev's PC after its text lines, or as JSON fields (buf holds
 * the formatted object, k bytes ending in "}\n"). */
static void print_sym(FILE *f, struct mt_sym *sy, const struct mt_event *ev, int json,
		      char *buf, int k)
{
	struct mt_sym_loc loc;
	char name[1024];
	int found = mt_sym_lookup(sy, ev->pid, ev->pc, ev->seq, &loc);

	mt_sym_format(&loc, found, ev->pc, name, sizeof(name));
	if (json) {
		fwrite(buf, 1, (size_t)k - 2, f);
		fputs(",\"sym\":", f);
		put_json(f, name);
		if (loc.file) {
			fputs(",\"src\":", f);
			put_json(f, loc.file);
			fprintf(f, ",\"line\":%d", loc.line);
		}
		if (found) {
			fputs(",\"obj\":", f);
			put_json(f, loc.object);
		}
		if (loc.build_id_mismatch)
			fputs(",\"build_id_differs\":true", f);
		fputs("}\n", f);
		return;
	}
	fwrite(buf, 1, (size_t)k, f);
	fputs("EXT sym=", f);
	put_word(f, name);
	if (loc.file) {
		fputs(" src=", f);
		put_word(f, loc.file);
		fprintf(f, ":%d", loc.line);
	}
	if (loc.build_id_mismatch)
		fputs(" build-id=differs", f);
	if (found) {
		fputs(" obj=", f);
		put_word(f, loc.object);
	}
	fputc('\n', f);
}

/* `mmiotap watch` traces: the name of each watched object's MAP, so that
 * every access is printed with the symbol and offset it touched
 * (EXT var=NAME+0xOFF; text readers ignore the key). */
static char *watch_names[65536];

static void note_map(const struct mt_event *ev)
{
	char **slot = &watch_names[ev->map.map_id];
	free(*slot);
	*slot = NULL;
	if (ev->map.source == MT_MAPSRC_WATCH)
		*slot = strndup(ev->map.path ? ev->map.path : "", ev->map.path_len);
}

/* Append var= to the record's EXT line in buf (k bytes), or add one. */
static int add_var(char *buf, int k, size_t room, const struct mt_event *ev)
{
	const char *name = watch_names[ev->map_id];
	if (!name || (ev->kind != MT_REC_READ && ev->kind != MT_REC_WRITE &&
		      ev->kind != MT_REC_UNKNOWN) || k <= 0 || buf[k - 1] != '\n')
		return k;
	int ls = k - 1;
	while (ls > 0 && buf[ls - 1] != '\n')
		ls--;
	int ext = !strncmp(buf + ls, "EXT ", 4);
	int n = snprintf(buf + k - ext, room - (size_t)(k - ext), "%svar=%s+0x%llx\n",
			 ext ? " " : "EXT ", name, (unsigned long long)ev->offset);
	if (n > 0 && (size_t)n < room - (size_t)(k - ext))
		return k - ext + n;
	buf[k - 1] = '\n'; /* no room (a name from a hostile file): the record as it was */
	buf[k] = 0;
	return k;
}

static void free_names(void)
{
	for (size_t i = 0; i < sizeof(watch_names) / sizeof(watch_names[0]); i++) {
		free(watch_names[i]);
		watch_names[i] = NULL;
	}
}

int mt_cli_dump(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "file-order", no_argument, NULL, 'F' },
		{ "symbols", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mt_reader_opts ro = { .sz = sizeof(ro), .sorted = 1 };
	struct mt_sym *sy = NULL;
	int symbols = 0;
	const char *out = NULL, *in;
	int fmt = FMT_TEXT, c, fd, rc, outfd = STDOUT_FILENO;
	struct mt_reader *r;
	struct mt_writer *w = NULL;
	struct mt_text_state st;
	struct mt_event ev;
	FILE *of = stdout;
	char *buf;
	uint64_t n = 0;

	while ((c = getopt_long(argc, argv, "f:o:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "mmiotrace") || !strcmp(optarg, "text"))
				fmt = FMT_TEXT;
			else if (!strcmp(optarg, "jsonl") || !strcmp(optarg, "json"))
				fmt = FMT_JSONL;
			else if (!strcmp(optarg, "binary"))
				fmt = FMT_BINARY;
			else
				error_msg_and_help("unknown format '%s' (mmiotrace, jsonl, binary)",
						   optarg);
			break;
		case 'o':
			out = optarg;
			break;
		case 'F':
			ro.sorted = 0;
			break;
		case 'S':
			symbols = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			error_msg_and_help("bad option");
		}
	}
	if (optind != argc - 1)
		error_msg_and_help(optind == argc ? "missing FILE (or - for stdin)"
						  : "more than one FILE");
	in = argv[optind];
	if (symbols && fmt == FMT_BINARY)
		error_msg_and_help("--symbols prints symbols: not with --format binary "
				   "(which keeps the symbol records anyway)");
	if (symbols) {
		char err[512];

		if (!strcmp(in, "-"))
			error_msg_and_die("--symbols needs a trace FILE, not standard input "
					  "(the symbol records may be at its end)");
		rc = mt_sym_open_path(&sy, in, err, sizeof(err));
		if (rc)
			error_msg_and_die("%s", err);
	}
	ro.meta = fmt == FMT_BINARY; /* a binary copy keeps OBJECT and KSYM */
	ro.files = 1;                /* FILE: printed, and kept */
	fd = mt_cli_open_input(in);
	rc = mt_reader_open_fd(&r, fd, &ro);
	if (rc)
		errno_msg_and_die(rc, "%s", in);
	if (out && strcmp(out, "-")) {
		outfd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (outfd < 0)
			perror_msg_and_die("%s", out);
	}
	if (fmt == FMT_BINARY) {
		const struct mt_file_header *h;
		struct mt_writer_opts wo = { .sz = sizeof(wo) };

		if (outfd == STDOUT_FILENO && isatty(outfd))
			error_msg_and_die("refusing to write a binary trace to a terminal (use -o)");
		/* First record decides the format; header comes from the reader. */
		rc = mt_reader_next(r, &ev);
		h = mt_reader_header(r);
		if (h) {
			wo.clock = h->clock;
			wo.source = h->source;
			wo.pid = h->pid;
			wo.start_realtime_ns = h->start_realtime_ns;
		} else {
			wo.clock = MT_CLOCK_TEXT;
			wo.source = MT_SRC_TEXT;
		}
		wo.compat = ro.sorted ? MT_COMPAT_SORTED : 0;
		if (rc >= 0) {
			int wrc = mt_writer_open_fd(&w, outfd, &wo);

			if (wrc)
				errno_msg_and_die(wrc, "%s", out ? out : "stdout");
		}
		while (rc > 0) {
			int wrc = mt_writer_event(w, &ev);

			if (wrc)
				errno_msg_and_die(wrc, "%s: record %llu (seq %llu)",
						  out ? out : "stdout", (unsigned long long)n,
						  (unsigned long long)ev.seq);
			n++;
			rc = mt_reader_next(r, &ev);
		}
		if (rc < 0)
			error_msg_and_die("%s: %s", in, mt_reader_errmsg(r));
		rc = mt_writer_close(w);
		if (rc)
			errno_msg_and_die(rc, "%s", out ? out : "stdout");
		mt_reader_close(r);
		if (outfd != STDOUT_FILENO && close(outfd))
			perror_msg_and_die("%s", out);
		return 0;
	}
	if (outfd != STDOUT_FILENO) {
		of = fdopen(outfd, "w");
		if (!of)
			perror_msg_and_die("%s", out);
	}
	setvbuf(of, NULL, _IOFBF, 1 << 16);
	buf = malloc(MT_TEXT_MAX);
	if (!buf)
		error_msg_and_die("out of memory");
	mt_text_state_init(&st);
	while ((rc = mt_reader_next(r, &ev)) > 0) {
		int k = fmt == FMT_JSONL ? mt_jsonl_format(&ev, buf, MT_TEXT_MAX)
					 : mt_text_format(&st, &ev, buf, MT_TEXT_MAX);
		if (ev.kind == MT_REC_MAP)
			note_map(&ev);
		else if (fmt == FMT_TEXT)
			k = add_var(buf, k, MT_TEXT_MAX, &ev);

		if (k < 0)
			errno_msg_and_die(k, "%s: formatting record seq %llu", in,
					  (unsigned long long)ev.seq);
		if (k && sy && has_pc(&ev))
			print_sym(of, sy, &ev, fmt == FMT_JSONL, buf, k);
		else if (k && fwrite(buf, 1, (size_t)k, of) != (size_t)k)
			break;
		n++;
	}
	if (rc < 0) {
		fflush(of);
		error_msg_and_die("%s: %s", in, mt_reader_errmsg(r));
	}
	if (fflush(of) || ferror(of))
		perror_msg_and_die("%s", out ? out : "write error on stdout");
	if (of != stdout && fclose(of))
		perror_msg_and_die("%s", out);
	free(buf);
	mt_sym_free(sy);
	free_names();
	mt_reader_close(r);
	if (fd != STDIN_FILENO)
		close(fd);
	return 0;
}
