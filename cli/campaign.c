// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * campaign.c - `mmiotap campaign plan|run|report`: fault-injection
 * campaigns (mmiotap-campaign(1)). Option parsing only; the work is in
 * campaign/ (plan.c, run.c, report.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "campaign.h"
#include "cli.h"
#include "cp_report.h"
#include "cp_run.h"

int mt_cli_campaign(int argc, char **argv);

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mmiotap campaign plan --from TRACE [--faults LIST] [--occurrences WHICH] [-o PLAN]\n"
		"       mmiotap campaign run [-j N] [--timeout S] [--shard K/N] [RECORD OPTIONS]\n"
		"                            PLAN -o DIR -- PROG [ARGS...]\n"
		"       mmiotap campaign report [--html FILE] DIR...\n"
		"       mmiotap campaign collect PLAN DIR   (results of DIR/eID.status files)\n"
		"Fault-injection campaigns: one run of PROG per experiment of PLAN, each with\n"
		"one --inject rule, classified against a baseline run (see mmiotap-campaign(1)).\n"
		"plan:\n"
		"      --from TRACE          the baseline recording\n"
		"      --faults LIST         all-ones,zero,flip:BIT,stuck:VALUE,delay:US\n"
		"                            (default all-ones)\n"
		"      --occurrences WHICH   first (default), all, every:N reads of each site\n"
		"  -o, --output PLAN         plan file (default: standard output)\n"
		"run:\n"
		"  -j, --jobs N              experiments at a time (default 1)\n"
		"      --timeout S           seconds before a run is a hang (default 10)\n"
		"      --shard K/N           run experiments K, K+N, K+2N... (1 <= K <= N)\n"
		"  -o, --output DIR          results, traces and outputs (created)\n"
		"  -t, --trace-file GLOB, --no-default-files, --ptrace, --syscall-stops,\n"
		"  --lib PATH                passed to mmiotap record\n"
		"report:\n"
		"      --html FILE           also write a self-contained HTML report\n");
}

static void cli_msg(const char *fmt, ...) MT_CLI_ATTR_PRINTF(1, 2);
static void cli_msg(const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	error_msg("%s", buf);
}

static int cmd_plan(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "faults", required_argument, NULL, 'F' },
		{ "occurrences", required_argument, NULL, 'O' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cp_fault faults[CP_MAX_FAULTS];
	struct cp_occ occ = { CP_OCC_FIRST, 0 };
	struct cp_plan plan = { 0 };
	const char *from = NULL, *out = "-", *flist = "all-ones";
	char err[CP_ERR_MAX];
	size_t nf;
	int c, fd, rc;
	FILE *f;

	while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'f': from = optarg; break;
		case 'F': flist = optarg; break;
		case 'O':
			if (cp_occ_parse(optarg, &occ))
				error_msg_and_help("bad --occurrences '%s' (first, all, every:N)", optarg);
			break;
		case 'o': out = optarg; break;
		case 'h': usage(stdout); return 0;
		default: error_msg_and_help("bad option");
		}
	}
	if (!from)
		error_msg_and_help("plan needs --from TRACE");
	if (optind != argc)
		error_msg_and_help("unexpected argument '%s'", argv[optind]);
	if (cp_fault_parse_list(flist, faults, CP_MAX_FAULTS, &nf, err, sizeof(err)))
		error_msg_and_help("--faults: %s", err);
	fd = mt_cli_open_input(from);
	if (strcmp(out, "-")) {
		struct stat is, os;

		/* the plan would replace the baseline recording it comes from */
		if (!fstat(fd, &is) && !stat(out, &os) && is.st_dev == os.st_dev &&
		    is.st_ino == os.st_ino)
			error_msg_and_die("%s is the trace itself: choose another -o", out);
	}
	rc = cp_plan_from_trace(fd, faults, nf, &occ, &plan, err, sizeof(err));
	close(fd);
	if (rc < 0)
		error_msg_and_die("%s: %s", from, err);
	if (!plan.n)
		error_msg_and_die("%s: no reads of traced device memory: no experiments", from);
	f = strcmp(out, "-") ? fopen(out, "w") : stdout;
	if (!f)
		perror_msg_and_die("%s", out);
	if (cp_plan_write(f, &plan, from) < 0 || (f != stdout && fclose(f)))
		perror_msg_and_die("%s", out);
	if (f != stdout)
		fprintf(stderr, "%s: %zu experiments\n", out, plan.n);
	cp_plan_free(&plan);
	return 0;
}

static void load_plan(const char *path, struct cp_plan *p)
{
	char err[CP_ERR_MAX];
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;

	if (!f)
		perror_msg_and_die("%s", path);
	if (cp_plan_read(f, path, p, err, sizeof(err)) < 0)
		error_msg_and_die("%s", err);
	if (f != stdin)
		fclose(f);
}

static void on_stop(int sig)
{
	(void)sig;
	cp_run_stop = 1;
}

/* PROG ARGS after the first "--": cut there. */
static char **split_prog(int *argc, char **argv)
{
	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--")) {
			argv[i] = NULL;
			*argc = i;
			return argv + i + 1;
		}
	}
	return NULL;
}

static void parse_shard(const char *s, struct cp_run_opts *o)
{
	unsigned k, n;
	char end;

	if (sscanf(s, "%u/%u%c", &k, &n, &end) != 2 || !n || !k || k > n)
		error_msg_and_help("bad --shard '%s' (K/N with 1 <= K <= N)", s);
	o->shard_k = k;
	o->shard_n = n;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "jobs", required_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "shard", required_argument, NULL, 'S' },
		{ "output", required_argument, NULL, 'o' },
		{ "trace-file", required_argument, NULL, 't' },
		{ "no-default-files", no_argument, NULL, 'N' },
		{ "ptrace", no_argument, NULL, 'P' },
		{ "syscall-stops", no_argument, NULL, 'Y' },
		{ "lib", required_argument, NULL, 'L' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cp_run_opts o = { .jobs = 1, .timeout = 10, .shard_k = 1, .shard_n = 1 };
	struct cp_plan plan = { 0 };
	char self[PATH_MAX], **prog = split_prog(&argc, argv), *end;
	uint64_t v;
	int c, rc;

	o.rec_opts = calloc((size_t)argc * 2 + 1, sizeof(char *));
	if (!o.rec_opts)
		error_msg_and_die("out of memory");
	while ((c = getopt_long(argc, argv, "j:o:t:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'j':
			if (mt_cli_parse_u64(optarg, &v) || !v || v > 256)
				error_msg_and_help("bad -j '%s' (1..256)", optarg);
			o.jobs = (unsigned)v;
			break;
		case 'T':
			o.timeout = strtod(optarg, &end);
			if (*end || !(o.timeout > 0 && o.timeout <= 86400))
				error_msg_and_help("bad --timeout '%s' (seconds, up to 86400)", optarg);
			break;
		case 'S': parse_shard(optarg, &o); break;
		case 'o': o.dir = optarg; break;
		case 't': o.rec_opts[o.nrec++] = "--trace-file"; o.rec_opts[o.nrec++] = optarg; break;
		case 'N': o.rec_opts[o.nrec++] = "--no-default-files"; break;
		case 'P': o.rec_opts[o.nrec++] = "--ptrace"; break;
		case 'Y': o.rec_opts[o.nrec++] = "--syscall-stops"; break;
		case 'L': o.rec_opts[o.nrec++] = "--lib"; o.rec_opts[o.nrec++] = optarg; break;
		case 'q': o.quiet = 1; break;
		case 'h': usage(stdout); return 0;
		default: error_msg_and_help("bad option");
		}
	}
	if (!prog || !*prog)
		error_msg_and_help("run needs -- PROG [ARGS...]");
	if (optind != argc - 1)
		error_msg_and_help("run needs exactly one PLAN");
	if (!o.dir)
		error_msg_and_help("run needs -o DIR");
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		perror_msg_and_die("/proc/self/exe");
	self[n] = 0;
	o.self = self;
	o.prog = prog;
	o.before_exec = mt_cli_sigchld_restore; /* each run's record gives it to the program */
	load_plan(argv[optind], &plan);
	struct sigaction sa = { .sa_handler = on_stop };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	rc = cp_run(&plan, &o, cli_msg);
	cp_plan_free(&plan);
	free(o.rec_opts);
	return rc < 0 ? 1 : 0;
}

static int cmd_collect(int argc, char **argv)
{
	struct cp_plan plan = { 0 };
	int rc;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc != 3)
		error_msg_and_help("collect needs PLAN DIR");
	load_plan(argv[1], &plan);
	rc = cp_collect(&plan, argv[2], cli_msg);
	cp_plan_free(&plan);
	return rc < 0 ? 1 : 0;
}

static int cmd_report(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "html", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *html = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'H': html = optarg; break;
		case 'h': usage(stdout); return 0;
		default: error_msg_and_help("bad option");
		}
	}
	if (optind == argc)
		error_msg_and_help("report needs at least one DIR");
	return cp_report((const char *const *)argv + optind, (size_t)(argc - optind), stdout,
			 html, cli_msg) < 0 ? 1 : 0;
}

int mt_cli_campaign(int argc, char **argv)
{
	if (argc < 2)
		error_msg_and_help("which: plan, run or report?");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "plan"))
		return cmd_plan(argc - 1, argv + 1);
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "report"))
		return cmd_report(argc - 1, argv + 1);
	if (!strcmp(argv[1], "collect"))
		return cmd_collect(argc - 1, argv + 1);
	error_msg_and_help("unknown campaign command '%s' (plan, run, report, collect)", argv[1]);
}
