/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* ptrace_record.h - the ptrace backend of `mmiotap record` (cli/ptrace_record.c). */
#ifndef MMIOTAP_CLI_PTRACE_RECORD_H
#define MMIOTAP_CLI_PTRACE_RECORD_H

#include <sys/types.h>

struct mt_ring;

struct mt_record_ptrace_args {
	char **argv;              /* --ptrace: PROG ARGS (NULL-terminated) */
	pid_t pid;                /* --pid: process to attach to (argv unused) */
	const char *const *globs; /* --trace-file */
	unsigned nglobs;
	const char *const *rules; /* --inject */
	unsigned nrules;
	int no_defaults;          /* --no-default-files */
	int no_seccomp;           /* stop at every syscall instead of seccomp */
	int verbose;              /* print the tracer's messages */
	struct mt_ring *ring;
	const char *watch;        /* `mmiotap watch --pid`: mt_ptrace_opts.watch */
};

/*
 * Start the tracer thread: spawn argv under ptrace or attach to pid. Prints
 * its own error line and returns a negative errno on failure. Installs
 * handlers for SIGINT, SIGTERM, SIGHUP (detach everything) and SIGUSR1
 * (`mmiotap stop PID`).
 */
int mt_record_ptrace_start(const struct mt_record_ptrace_args *a);
/* 1 when tracing has ended (*status: wait status of PROG / the attached
 * process if it ended while traced, 0 after a detach), else 0 after
 * waiting up to timeout_ms. */
int mt_record_ptrace_poll(int *status, int timeout_ms);

#endif
