// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * merge.c - `mmiotap merge A B... -o C`: traces recorded apart on one clock
 * into one trace, by time, each keeping its own order (format/src/merge.c).
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
#include "mmiotap/merge.h"

int mt_cli_merge(int argc, char **argv);

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mmiotap merge [-q] TRACE TRACE... -o OUT\n"
		"Merge traces recorded on the same clock (e.g. a user-space and a kernel\n"
		"recording) into one, ordered by time stamp; each trace keeps its own\n"
		"order, and on equal time stamps the trace given first goes first.\n"
		"  -o, --output OUT   the merged trace (binary; - for stdout)\n"
		"  -q, --quiet        no summary line\n");
}

int mt_cli_merge(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	struct mt_merge_err err;
	struct stat st;
	int c, quiet = 0, outfd = STDOUT_FILENO, rc, *fds;
	uint64_t nrec = 0;
	size_t n, i;

	while ((c = getopt_long(argc, argv, "o:qh", lopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return 0;
		default: error_msg_and_help("bad option");
		}
	}
	if (!out)
		error_msg_and_help("missing -o OUT");
	if (argc - optind < 2)
		error_msg_and_help("give at least two traces to merge");
	n = (size_t)(argc - optind);
	fds = calloc(n, sizeof(*fds));
	if (!fds)
		error_msg_and_die("out of memory");
	for (i = 0; i < n; i++) {
		if (!strcmp(argv[optind + i], "-"))
			error_msg_and_help("merge reads files, not standard input");
		fds[i] = mt_cli_open_input(argv[optind + i]);
	}
	if (strcmp(out, "-")) {
		/* truncating an input would lose it */
		for (i = 0; i < n && !stat(out, &st); i++) {
			struct stat in;

			if (!fstat(fds[i], &in) && in.st_dev == st.st_dev && in.st_ino == st.st_ino)
				error_msg_and_die("%s is also an input: choose another -o", out);
		}
		outfd = mt_cli_create_trace(out);
		if (outfd < 0)
			errno_msg_and_die(outfd, "%s", out);
	} else if (isatty(outfd)) {
		error_msg_and_die("refusing to write a binary trace to a terminal (use -o)");
	}
	rc = mt_merge_fds(fds, (const char *const *)argv + optind, n, outfd, &nrec, &err);
	if (rc) {
		if (outfd != STDOUT_FILENO && !fstat(outfd, &st) && S_ISREG(st.st_mode))
			unlink(out); /* ours (mt_cli_create_trace), never a device */
		if (err.input >= 0)
			error_msg_and_die("%s: %s", argv[optind + err.input], err.msg);
		error_msg_and_die("%s: %s", strcmp(out, "-") ? out : "stdout",
				  err.msg[0] ? err.msg : strerror(-rc));
	}
	if (outfd != STDOUT_FILENO && close(outfd))
		perror_msg_and_die("%s", out);
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	if (!quiet)
		fprintf(stderr, "%s: %llu records from %zu traces written to %s\n", mt_cli_prog,
			(unsigned long long)nrec, n, out);
	return 0;
}
