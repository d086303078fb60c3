// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * stop.c - `mmiotap stop PID`: stop tracing process PID, which keeps running.
 *
 * PID must be traced by `mmiotap record --ptrace` or `--pid`. The tracer is
 * found through /proc/PID/status (TracerPid) and asked, with SIGUSR1
 * carrying PID (sigqueue), to give the traced pages their protection back
 * and detach. A process started with --ptrace keeps its seccomp filter,
 * which needs a tracer, so that tracer stays attached passing its mmap
 * calls through (no more records) until the process exits.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

int mt_cli_stop(int argc, char **argv);

static int status_field(pid_t pid, const char *key)
{
	char p[64], line[256];
	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	FILE *f = fopen(p, "re");
	if (!f)
		return -1;
	int v = -1;
	size_t kl = strlen(key);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = atoi(line + kl + 1);
			break;
		}
	fclose(f);
	return v;
}

int mt_cli_stop(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	int c, quiet = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+hq", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("usage: mmiotap stop [-q] PID\n"
			       "Stop tracing process PID (traced by `mmiotap record --ptrace` or\n"
			       "`--pid`): its device pages get their protection back and it keeps\n"
			       "running untraced. The recording ends when nothing else is traced.\n");
			return 0;
		case 'q': quiet = 1; break;
		default: error_msg_and_help("unknown option");
		}
	}
	if (optind + 1 != argc)
		error_msg_and_help("expected one PID");
	uint64_t v;
	if (mt_cli_parse_u64(argv[optind], &v) || !v || v > INT_MAX)
		error_msg_and_help("'%s' is not a process id", argv[optind]);
	pid_t pid = (pid_t)v;
	pid_t tgid = status_field(pid, "Tgid");
	if (tgid <= 0)
		error_msg_and_die("no process %d", (int)pid);
	pid_t tracer = status_field(pid, "TracerPid");
	if (tracer <= 0)
		error_msg_and_die("process %d is not being traced (stop works on processes "
				  "traced by `mmiotap record --ptrace` or `--pid`)", (int)pid);
	char link[64], exe[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)tracer);
	ssize_t n = readlink(link, exe, sizeof(exe) - 1);
	if (n <= 0)
		error_msg_and_die("cannot inspect the tracer (%d) of process %d", (int)tracer,
				  (int)pid);
	exe[n] = 0;
	const char *base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	if (!strstr(base, "mmiotap"))
		error_msg_and_die("process %d is traced by %s (%d), not by mmiotap", (int)pid,
				  base, (int)tracer);
	union sigval sv;
	sv.sival_int = tgid;
	if (sigqueue(tracer, SIGUSR1, sv) < 0)
		perror_msg_and_die("cannot signal the tracer %d", (int)tracer);
	/* wait for the detach (a --ptrace child stays attached: see above) */
	int seccomp = status_field(pid, "Seccomp") == 2;
	for (int i = 0; i < 50 && !seccomp; i++) {
		int tp = status_field(pid, "TracerPid");
		if (tp <= 0) {
			if (!quiet)
				fprintf(stderr, "mmiotap stop: process %d detached\n", (int)pid);
			return 0;
		}
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (seccomp) {
		if (!quiet)
			fprintf(stderr, "mmiotap stop: tracing of process %d stopped (its tracer "
					"stays attached for its seccomp filter)\n", (int)pid);
		return 0;
	}
	error_msg_and_die("process %d is still attached after 5 s", (int)pid);
}
