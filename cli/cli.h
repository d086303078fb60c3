/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * cli.h - helpers shared by the mmiotap subcommands (cli/<command>.c).
 *
 * Only CLI code prints errors: one clear line on stderr, prefixed with
 * "mmiotap[ CMD]: ", and a non-zero exit (strace error_prints.h style).
 * A subcommand is `int mt_cli_NAME(int argc, char **argv)` (argv[0] is the
 * command name, getopt-ready) registered in the table in cli/main.c.
 */
#ifndef MMIOTAP_CLI_H
#define MMIOTAP_CLI_H

#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <sys/types.h>

/* "mmiotap" or "mmiotap dump" once a subcommand runs (set by main.c). */
extern const char *mt_cli_prog;

#define MT_CLI_ATTR_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* "PROG: message\n" */
void error_msg(const char *fmt, ...) MT_CLI_ATTR_PRINTF(1, 2);
/* "PROG: message: strerror(errno)\n" */
void perror_msg(const char *fmt, ...) MT_CLI_ATTR_PRINTF(1, 2);
/* ... and exit(1). */
void error_msg_and_die(const char *fmt, ...) MT_CLI_ATTR_PRINTF(1, 2)
	__attribute__((noreturn));
void perror_msg_and_die(const char *fmt, ...) MT_CLI_ATTR_PRINTF(1, 2)
	__attribute__((noreturn));
/* "PROG: message\nTry 'PROG --help' for more information.\n", exit(2). */
void error_msg_and_help(const char *fmt, ...) MT_CLI_ATTR_PRINTF(1, 2)
	__attribute__((noreturn));
/* "PROG: message: strerror(-err)\n" for a library's negative errno. */
void errno_msg(int err, const char *fmt, ...) MT_CLI_ATTR_PRINTF(2, 3);
void errno_msg_and_die(int err, const char *fmt, ...) MT_CLI_ATTR_PRINTF(2, 3)
	__attribute__((noreturn));

/* Numbers: decimal, 0x hex or 0 octal, whole string, no overflow. 0 / -1. */
int mt_cli_parse_u64(const char *s, uint64_t *v);
/* Same, with a K/M/G (binary) suffix allowed. */
int mt_cli_parse_size(const char *s, uint64_t *v);
/* The one TRACE operand left after the options (argv[optind]); dies with
 * the usage hint when there is none or more than one. */
const char *mt_cli_trace_operand(int argc, char **argv, int optind);
/* Open FILE for reading, "-" is stdin; dies with a clear message. */
int mt_cli_open_input(const char *path);
/* Create or truncate a trace file for writing (mode 0600): never through a
 * symbolic link, a regular file only if it is the caller's, else a
 * character device (/dev/null). fd, or a negative errno (-EPERM, -ELOOP). */
int mt_cli_create_trace(const char *path);

/* The signals that end a recording: cli/endsig.c. */
#define MT_CLI_ENDSIGS_MAX 4
struct mt_cli_endsigs {
	const int *sigs;
	size_t n; /* <= MT_CLI_ENDSIGS_MAX */
	struct sigaction old[MT_CLI_ENDSIGS_MAX]; /* as we found them */
};
void mt_cli_endsigs_catch(struct mt_cli_endsigs *e,
			  void (*fn)(int, siginfo_t *, void *), int flags);
void mt_cli_endsigs_restore(const struct mt_cli_endsigs *e);
void mt_cli_endsigs_set(const struct mt_cli_endsigs *e, sigset_t *s);
/* SIGCHLD inherited ignored (children reaped by the kernel: our waits would
 * never see them): set to default for mmiotap itself by main(), and given
 * back to the program in the child before exec. */
void mt_cli_sigchld_default(void);
void mt_cli_sigchld_restore(void);

/* Reap child pid (wait status in *status): 0 if it ended within grace_ms;
 * else it is SIGKILLed: 1 once reaped, -1 if it still was not after
 * MT_CLI_REAP_KILL_MS more (stuck in the kernel; left behind). cli/reap.c */
#define MT_CLI_REAP_KILL_MS 5000
int mt_cli_reap_bounded(pid_t pid, int grace_ms, int *status);
/* *status after mt_cli_reap_bounded() when no wait status came: the child
 * was left behind (-1), or was no child of ours or already reaped
 * (ECHILD). Never a wait status (WIFSIGNALED would say true: test it
 * first). */
#define MT_CLI_STATUS_UNKNOWN (-1)

/* Version string, e.g. "0.1". */
extern const char mt_cli_version[];

#endif
