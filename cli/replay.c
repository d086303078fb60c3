// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * replay.c - `mmiotap replay [--on-diverge stop|warn|model] [-o OUT] TRACE
 * -- PROG ARGS`: run PROG with no device. The trace is compiled into a
 * replay table (replay_table.c); PROG runs under `mmiotap record` with the
 * preload runtime, which opens memfds instead of the device files the
 * trace names and answers every access from the table (runtime/preload/
 * replay.c). The replay is itself recorded (OUT), for `mmiotap diff`.
 * Exit status: PROG's, or 3 after a divergence (stop, warn); 2 bad usage, 1 trouble.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "mmiotap/rt_replay.h"
#include "replay_table.h"
#include "replay_tree.h"

int mt_cli_replay(int argc, char **argv);
int mt_cli_record(int argc, char **argv);

#define MAX_ANY 64 /* --ignore-value offsets */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mmiotap replay [--on-diverge stop|warn|model] [-o OUT] [--ignore-value OFF]...\n"
		"                     TRACE -- PROG [ARGS...]\n"
		"Run PROG with no device: its device files (/dev/mem, PCI resourceN, /dev/uioN)\n"
		"are answered from the recording TRACE; reads get the recorded values, writes\n"
		"are checked against the recorded ones. The files describing the device that\n"
		"PROG read when recorded (/sys/bus/pci, /sys/class/uio...) are served from the\n"
		"recording too.\n"
		"  -d, --on-diverge M  stop (default): report the first divergence, end PROG;\n"
		"                      warn: report each and go on; model: answer from the\n"
		"                      per-register model (last value written) silently\n"
		"  -o, --output OUT    the replay's own trace (default mmiotap-replay.trace)\n"
		"  -I, --ignore-value OFF  writes at byte offset OFF of a device file match\n"
		"                      whatever value they write (DMA addresses such as a\n"
		"                      descriptor ring's base differ from machine to machine)\n"
		"  -q, --quiet         no summary on stderr\n"
		"Exit status: PROG's; 3 after a divergence (stop, warn); 2 bad usage; 1 other\n"
		"trouble (unreadable trace, program refused).\n");
}

/* PROG as execvp would find it. */
static int find_prog(const char *prog, char *out, size_t n)
{
	const char *path = getenv("PATH");

	if (strchr(prog, '/')) {
		snprintf(out, n, "%s", prog);
		return access(out, X_OK);
	}
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		const char *e = strchrnul(p, ':');

		snprintf(out, n, "%.*s/%s", (int)(e - p), p, prog);
		if (!access(out, X_OK))
			return 0;
		p = *e ? e + 1 : e;
	}
	return -1;
}

/* The preload runtime must be in PROG, or it would use the real device:
 * refuse static, set-id and non-ELF64 (scripts: their interpreter's). */
static void check_prog(const char *prog, int depth)
{
	char path[4096], line[256];
	struct stat st;
	Elf64_Ehdr eh;
	int fd, i, interp = 0;

	if (find_prog(prog, path, sizeof(path)))
		error_msg_and_die("%s: no such program", prog);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		perror_msg_and_die("%s", path);
	if (st.st_mode & (S_ISUID | S_ISGID))
		error_msg_and_die("%s is set-id: the runtime cannot be preloaded", path);
	if (pread(fd, line, sizeof(line) - 1, 0) > 2 && line[0] == '#' && line[1] == '!') {
		char *s = line + 2, *e;

		line[sizeof(line) - 1] = 0;
		while (*s == ' ')
			s++;
		e = s + strcspn(s, " \t\n");
		*e = 0;
		close(fd);
		if (depth > 4)
			error_msg_and_die("%s: too many nested interpreters", path);
		check_prog(s, depth + 1);
		return;
	}
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64)
		error_msg_and_die("%s: not a 64-bit ELF program", path);
	for (i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) !=
		    sizeof(ph))
			break;
		interp |= ph.p_type == PT_INTERP;
	}
	close(fd);
	if (!interp)
		error_msg_and_die("%s is statically linked: replay needs the preload runtime in "
				  "it (a dynamically linked build of the program)", path);
}

/* The table lives in a memfd of ours; the replayed processes open it as
 * /proc/OUR_PID/fd/N (nothing to clean up, whatever way we end). */
static struct mt_replay_hdr *load_table(const char *trace, const struct mt_replay_build_opts *bo,
					char *tpath, size_t n)
{
	char err[512];
	struct stat st;
	int in, fd;
	void *p;

	fd = memfd_create("mmiotap-replay-table", MFD_CLOEXEC);
	if (fd < 0)
		perror_msg_and_die("memfd_create");
	snprintf(tpath, n, "/proc/%d/fd/%d", (int)getpid(), fd);
	in = mt_cli_open_input(trace);
	if (mt_replay_table_build(in, fd, bo, err, sizeof(err)))
		error_msg_and_die("%s: %s", trace, err);
	if (in != STDIN_FILENO)
		close(in);
	if (fstat(fd, &st))
		perror_msg_and_die("%s", tpath);
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		perror_msg_and_die("%s", tpath);
	return p; /* fd stays open for the replayed processes */
}

/* The recorded files' tree goes away however we end (exit after an error
 * too); only in the process that made it. */
static struct mt_replay_tree *the_tree;
static pid_t tree_pid;

static void tree_cleanup(void)
{
	if (the_tree && getpid() == tree_pid)
		mt_replay_tree_free(the_tree);
	the_tree = NULL;
}

static void summary(const struct mt_replay_hdr *h, const struct mt_replay_tree *t)
{
	if (mt_replay_tree_files(t) || mt_replay_tree_skipped(t))
		fprintf(stderr, "mmiotap replay: %u recorded files describing the device served "
			"(%u FILE records refused)\n", mt_replay_tree_files(t),
			mt_replay_tree_skipped(t));
	if (mt_replay_tree_cut(t))
		fprintf(stderr, "mmiotap replay: warning: %u recorded files or listings were cut at "
			"64 KiB (what lay beyond does not exist in the replay)\n",
			mt_replay_tree_cut(t));
	fprintf(stderr, "mmiotap replay: %" PRIu64 " accesses answered from the recording, %"
		PRIu64 " repeated polls, %" PRIu64 " recorded polls skipped, %" PRIu64
		" divergences", h->served, h->repeated, h->skipped, h->diverged);
	if (h->unknown_regs)
		fprintf(stderr, " (%" PRIu64 " at registers never recorded)", h->unknown_regs);
	fprintf(stderr, "\n");
	if (h->diverged && h->first[0] && h->mode != MT_REPLAY_MODEL)
		fprintf(stderr, "first divergence: %s", h->first + strlen("mmiotap replay: divergence: "));
}

int mt_cli_replay(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "on-diverge", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "ignore-value", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = "mmiotap-replay.trace", *trace;
	int mode = MT_REPLAY_STOP, quiet = 0, c, rc, n, k;
	struct mt_replay_hdr *h;
	struct mt_replay_tree *tree;
	struct mt_replay_build_opts bo;
	uint64_t any[MAX_ANY];
	size_t nany = 0;
	char tpath[64], err[512];
	char **rargv;

	while ((c = getopt_long(argc, argv, "+d:o:qI:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!strcmp(optarg, "stop"))
				mode = MT_REPLAY_STOP;
			else if (!strcmp(optarg, "warn"))
				mode = MT_REPLAY_WARN;
			else if (!strcmp(optarg, "model"))
				mode = MT_REPLAY_MODEL;
			else
				error_msg_and_help("--on-diverge: stop, warn or model, not '%s'", optarg);
			break;
		case 'o':
			out = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'I': {
			char *e;

			errno = 0;
			if (nany == MAX_ANY)
				error_msg_and_help("--ignore-value: at most %d offsets", MAX_ANY);
			any[nany++] = strtoull(optarg, &e, 0);
			if (errno || e == optarg || *e || optarg[0] == '-')
				error_msg_and_help("--ignore-value: not an offset: '%s'", optarg);
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			error_msg_and_help("bad option");
		}
	}
	if (optind >= argc)
		error_msg_and_help("missing TRACE");
	trace = argv[optind++];
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind >= argc)
		error_msg_and_help("missing PROG (mmiotap replay TRACE -- PROG ARGS)");
	check_prog(argv[optind], 0);
	tree = mt_replay_tree_new(err, sizeof(err));
	if (!tree)
		error_msg_and_die("%s", err);
	the_tree = tree;
	tree_pid = getpid();
	atexit(tree_cleanup);
	bo.mode = mode;
	bo.tree = tree;
	bo.any_value = any;
	bo.nany = nany;
	h = load_table(trace, &bo, tpath, sizeof(tpath));
	if (setenv(MT_ENV_REPLAY, tpath, 1) ||
	    setenv(MT_ENV_REPLAY_ROOT, mt_replay_tree_root(tree), 1))
		perror_msg_and_die("setenv");
	n = argc - optind;
	rargv = calloc((size_t)n + 6, sizeof(*rargv));
	if (!rargv)
		error_msg_and_die("out of memory");
	k = 0;
	rargv[k++] = "record";
	rargv[k++] = "-q";
	rargv[k++] = "-o";
	rargv[k++] = (char *)out;
	rargv[k++] = "--";
	memcpy(rargv + k, argv + optind, (size_t)n * sizeof(*rargv));
	mt_cli_prog = "mmiotap replay";
	rc = mt_cli_record(k + n, rargv);
	unsetenv(MT_ENV_REPLAY);
	unsetenv(MT_ENV_REPLAY_ROOT);
	if (!quiet)
		summary(h, tree);
	tree_cleanup();
	free(rargv);
	if (h->diverged && mode != MT_REPLAY_MODEL)
		return MT_REPLAY_STOP_STATUS;
	return rc;
}
