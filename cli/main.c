// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * main.c - `mmiotap <command> [args]`: the subcommand table and the shared
 * error helpers of cli.h.
 *
 * Adding a command: write cli/NAME.c with `int mt_cli_NAME(int argc, char **argv)`
 * and add one line to `commands` below. Entries are weak references, so a
 * build without a command's file still links and says "not built".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli.h"
#include "mt_config.h"

const char mt_cli_version[] = MT_VERSION; /* the Makefile's VERSION (mt_config.h) */
const char *mt_cli_prog = "mmiotap";

#define WEAK __attribute__((weak))
int mt_cli_record(int argc, char **argv) WEAK;
int mt_cli_kernel(int argc, char **argv) WEAK;
int mt_cli_dump(int argc, char **argv) WEAK;
int mt_cli_export(int argc, char **argv) WEAK;
int mt_cli_merge(int argc, char **argv) WEAK;
int mt_cli_decode(int argc, char **argv) WEAK;
int mt_cli_report(int argc, char **argv) WEAK;
int mt_cli_mark(int argc, char **argv) WEAK;
int mt_cli_inject_check(int argc, char **argv) WEAK;
int mt_cli_stop(int argc, char **argv) WEAK;
int mt_cli_campaign(int argc, char **argv) WEAK;
int mt_cli_watch(int argc, char **argv) WEAK;
int mt_cli_diff(int argc, char **argv) WEAK;
int mt_cli_replay(int argc, char **argv) WEAK;

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "record", mt_cli_record, "run a program and trace its device-memory accesses" },
	{ "kernel", mt_cli_kernel, "trace drivers' MMIO with the kernel module" },
	{ "watch", mt_cli_watch, "run a program with unlimited watchpoints on its memory" },
	{ "dump", mt_cli_dump, "print a trace as mmiotrace text or JSON lines" },
	{ "export", mt_cli_export, "convert a trace to CSV, Chrome JSON or Perfetto" },
	{ "merge", mt_cli_merge, "merge traces recorded on one clock into one timeline" },
	{ "decode", mt_cli_decode, "print accesses with register names and decoded values" },
	{ "report", mt_cli_report, "summarise a trace per region and register" },
	{ "diff", mt_cli_diff, "compare two traces access by access (like diff -u)" },
	{ "replay", mt_cli_replay, "run a program against a recording instead of its device" },
	{ "mark", mt_cli_mark, "put a marker into a running recording" },
	{ "stop", mt_cli_stop, "stop tracing a process traced with ptrace (it keeps running)" },
	{ "inject-check", mt_cli_inject_check, "parse injection rules and print them back" },
	{ "campaign", mt_cli_campaign, "fault-injection campaigns: plan, run, report" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void vmsg(const char *fmt, va_list ap, int err)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (err)
		fprintf(stderr, "%s: %s: %s\n", mt_cli_prog, buf, strerror(err));
	else
		fprintf(stderr, "%s: %s\n", mt_cli_prog, buf);
}

void error_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
}

void perror_msg(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, e);
	va_end(ap);
}

void error_msg_and_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
	exit(1);
}

void perror_msg_and_die(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, e);
	va_end(ap);
	exit(1);
}

void error_msg_and_help(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", mt_cli_prog);
	exit(2);
}

void errno_msg(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, err < 0 ? -err : err);
	va_end(ap);
}

void errno_msg_and_die(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, err < 0 ? -err : err);
	va_end(ap);
	exit(1);
}

int mt_cli_parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

int mt_cli_parse_size(const char *s, uint64_t *v)
{
	char buf[64];
	size_t n;
	unsigned shift = 0;
	uint64_t x;

	if (!s || (n = strlen(s)) == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n + 1);
	switch (buf[n - 1]) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	}
	if (shift)
		buf[n - 1] = 0;
	if (mt_cli_parse_u64(buf, &x) || (shift && x > (UINT64_MAX >> shift)))
		return -1;
	*v = x << shift;
	return 0;
}

const char *mt_cli_trace_operand(int argc, char **argv, int optind)
{
	if (optind != argc - 1)
		error_msg_and_help(optind == argc ? "missing TRACE (or - for stdin)"
						  : "more than one TRACE");
	return argv[optind];
}

int mt_cli_open_input(const char *path)
{
	int fd;

	if (!strcmp(path, "-"))
		return STDIN_FILENO;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		perror_msg_and_die("%s", path);
	return fd;
}

int mt_cli_create_trace(const char *path)
{
	/* O_NONBLOCK: a FIFO without a reader fails (ENXIO), never hangs */
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	struct stat st;
	int err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || fcntl(fd, F_SETFL, 0))
		err = -errno;
	else if (S_ISREG(st.st_mode) ? st.st_uid != geteuid() : !S_ISCHR(st.st_mode))
		err = -EPERM; /* another user's file, a FIFO, a socket... */
	else if (S_ISREG(st.st_mode) && ftruncate(fd, 0))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: mmiotap <command> [options] [args]\n"
		   "       mmiotap --help | --version\n\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		if (commands[i].fn)
			fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'mmiotap <command> --help' describes a command; see mmiotap(1).\n");
}

int main(int argc, char **argv)
{
	static char progbuf[64];
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("mmiotap %s\n", mt_cli_version);
		return 0;
	}
	for (i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		if (!commands[i].fn)
			error_msg_and_die("command '%s' is not built into this mmiotap",
					  commands[i].name);
		snprintf(progbuf, sizeof(progbuf), "mmiotap %s", commands[i].name);
		mt_cli_prog = progbuf;
		mt_cli_sigchld_default();
		return commands[i].fn(argc - 1, argv + 1);
	}
	error_msg_and_help("unknown command '%s'", argv[1]);
}
