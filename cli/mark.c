// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * mark.c - `mmiotap mark [--ring PATH] TEXT...`: put a MARK record into a
 * running recording, in order with the accesses (it takes the recording's
 * order lock). The recording is found through $MMIOTAP_RING (set inside
 * the traced program's environment), --ring, -p PID of the `mmiotap record`
 * process, or as the only one running.
 */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmiotap/rt_env.h"
#include "mmiotap/rt_ring.h"
#include "mmiotap/rt_task.h"

int mt_cli_mark(int argc, char **argv);
int mt_cli_kernel_mark_args(int argc, char **argv) __attribute__((weak));

int mt_cli_mark(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ring", required_argument, NULL, 'r' },
		{ "pid", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ring_path = getenv(MT_ENV_RING);
	char buf[128];
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+r:p:h", lo, NULL)) != -1) {
		switch (c) {
		case 'r': ring_path = optarg; break;
		case 'p':
			snprintf(buf, sizeof(buf), "/dev/shm/mmiotap-%d.ring", atoi(optarg));
			ring_path = buf;
			break;
		case 'h':
			printf("usage: mmiotap mark [--ring PATH | -p RECORD_PID] TEXT...\n"
			       "Put a marker into the running `mmiotap record` recording.\n");
			return 0;
		default:
			fprintf(stderr, "usage: mmiotap mark [--ring PATH | -p RECORD_PID] TEXT...\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "mmiotap mark: no text given\n");
		return 2;
	}
	glob_t g;
	memset(&g, 0, sizeof(g));
	if (!ring_path || !*ring_path) {
		if (glob("/dev/shm/mmiotap-*.ring", 0, NULL, &g) || g.gl_pathc == 0) {
			/* No user-space recording: a kernel one (cli/kernel.c)? */
			if (mt_cli_kernel_mark_args && mt_cli_kernel_mark_args(argc - optind, argv + optind) == 0)
				return 0;
			fprintf(stderr, "mmiotap mark: no recording is running\n");
			return 1;
		}
		/* keep only rings whose `mmiotap record` is alive (a killed
		 * recorder leaves its ring behind) */
		size_t live = 0;
		for (size_t i = 0; i < g.gl_pathc; i++) {
			int pid = 0;
			if (sscanf(g.gl_pathv[i], "/dev/shm/mmiotap-%d.ring", &pid) == 1 && pid > 0 &&
			    (kill(pid, 0) == 0 || errno == EPERM))
				g.gl_pathv[live++] = g.gl_pathv[i];
		}
		if (live == 0) {
			globfree(&g);
			if (mt_cli_kernel_mark_args && mt_cli_kernel_mark_args(argc - optind, argv + optind) == 0)
				return 0;
			fprintf(stderr, "mmiotap mark: no recording is running\n");
			return 1;
		}
		g.gl_pathc = live;
		if (g.gl_pathc > 1) {
			fprintf(stderr, "mmiotap mark: %zu recordings are running; choose one with -p PID of `mmiotap record`\n",
				g.gl_pathc);
			globfree(&g);
			return 1;
		}
		ring_path = g.gl_pathv[0];
	}
	size_t len = 0;
	for (int i = optind; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *text = calloc(1, len + 1);
	if (!text) {
		fprintf(stderr, "mmiotap mark: out of memory\n");
		return 1;
	}
	for (int i = optind; i < argc; i++) {
		strcat(text, argv[i]);
		if (i + 1 < argc)
			strcat(text, " ");
	}
	struct mt_ring *r;
	int rc = mt_ring_open(ring_path, &r);
	if (rc) {
		fprintf(stderr, "mmiotap mark: %s: %s\n", ring_path,
			rc == -ENOENT ? "no such recording" :
			rc == -EPERM ? "not a recording of this user (owner or mode wrong): refused" :
			rc == -ELOOP ? "a symbolic link: refused" :
			rc == -EPROTO || rc == -EINVAL ? "not an mmiotap recording ring" : strerror(-rc));
		free(text);
		if (g.gl_pathc)
			globfree(&g);
		return 1;
	}
	if (mt_ring_same_pidns(r) == 0) {
		/* our pid and tid would go into the lock word and the MARK */
		fprintf(stderr, "mmiotap mark: %s: its recorder runs in another PID namespace: refused\n",
			ring_path);
		mt_ring_close(r);
		free(text);
		if (g.gl_pathc)
			globfree(&g);
		return 1;
	}
	if (r->h->recorder_pid && mt_task_dead(r->h->recorder_pid, r->h->recorder_start)) {
		fprintf(stderr, "mmiotap mark: %s: its recorder is gone\n", ring_path);
		mt_ring_close(r);
		free(text);
		if (g.gl_pathc)
			globfree(&g);
		return 1;
	}
	rc = mt_ring_mark(r, text, 0);
	mt_ring_close(r);
	if (g.gl_pathc)
		globfree(&g);
	free(text);
	if (rc) {
		fprintf(stderr, "mmiotap mark: %s\n", strerror(-rc));
		return 1;
	}
	return 0;
}
