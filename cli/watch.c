// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * watch.c - `mmiotap watch [-o FILE] [--stop] [--read|--write] WHAT... -- PROG ARGS`
 *
 * and `mmiotap watch --pid PID WHAT...` (the ptrace backend: the objects
 * resolved in the running process, runtime/ptrace/pt_watch.c).
 *
 * Watchpoints without a limit on their number: each WHAT (SYMBOL[+OFF][:LEN]
 * or ADDR:LEN) becomes a line of MMIOTAP_WATCH (mmiotap/rt_env.h) and the
 * program runs under `mmiotap record` with no device files traced; the
 * preloaded runtime (runtime/preload/watch.c) keeps the objects' pages
 * PROT_NONE and records every access to them. Symbols of the program are
 * resolved here from its ELF symbol table (libelf: cli/watch_sym.c), so that
 * static, unexported globals work; others are left to the runtime, which
 * finds them with dlsym() once their library is loaded (dlopen too).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "mmiotap/mmiotap.h"
#include "mmiotap/rt_env.h"
#include "watch_sym.h"

int mt_cli_watch(int argc, char **argv);
int mt_cli_record(int argc, char **argv);

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mmiotap watch [-o FILE] [--stop] [--read|--write] WHAT... -- PROG [ARGS...]\n"
		"       mmiotap watch --pid PID [-o FILE] [--read|--write] WHAT...\n"
		"Run PROG and record every access any of its threads makes to the watched\n"
		"objects (no limit on their number). WHAT is SYMBOL[+OFF][:LEN] (a data\n"
		"symbol of PROG or of a shared library, dlopen'ed ones included) or ADDR:LEN.\n"
		"  -o, --output FILE  trace file (default mmiotap.trace); `mmiotap dump` prints it\n"
		"  -r, --read         record loads only\n"
		"  -w, --write        record stores only\n"
		"  -s, --stop         SIGTRAP after each watched access (for a debugger)\n"
		"      --pid PID      watch running process PID (ptrace); Ctrl-C or\n"
		"                     `mmiotap stop PID` detaches, PID keeps running\n"
		"      --lib PATH     preload library (default: next to mmiotap)\n"
		"  -q, --quiet        no summary line\n"
		"See mmiotap-watch(1); from gdb: source mmiotap.gdb, then mwatch EXPR.\n");
}

/* PROG as execvp() will find it. */
static int find_prog(const char *prog, char *out, size_t n)
{
	if (strchr(prog, '/')) {
		snprintf(out, n, "%s", prog);
		return access(out, R_OK) ? -1 : 0;
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/bin:/usr/bin";
	for (const char *p = path; *p;) {
		const char *q = strchr(p, ':');
		size_t dl = q ? (size_t)(q - p) : strlen(p);
		snprintf(out, n, "%.*s%s%s", (int)dl, p, dl ? "/" : "", prog);
		if (!access(out, X_OK))
			return 0;
		if (!q)
			break;
		p = q + 1;
	}
	return -1;
}

static int what_line(const char *what, const char *exe, unsigned flags, char *line, size_t n);

/* --pid: the load address (offset-0 mapping) of path in process pid, 0
 * if not mapped. */
static uint64_t load_base(pid_t pid, const char *path)
{
	char maps[64], line[PATH_MAX + 128];
	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(maps, "re");
	uint64_t base = 0;
	while (f && !base && fgets(line, sizeof(line), f)) {
		unsigned long s, off;
		int pos = 0;
		if (sscanf(line, "%lx-%*x %*s %lx %*s %*s %n", &s, &off, &pos) == 2 && pos && !off) {
			line[strcspn(line, "\n")] = 0;
			if (!strcmp(line + pos, path))
				base = s;
		}
	}
	if (f)
		fclose(f);
	return base;
}

/* --pid: sym in one of the files process pid maps (not its executable):
 * 1 and its absolute address and size. */
static int pid_lib_symbol(pid_t pid, const char *exe, const char *sym, uint64_t *addr,
			  struct mt_elf_sym *s)
{
	char maps[64], line[PATH_MAX + 128];
	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(maps, "re");
	int found = 0;
	while (f && !found && fgets(line, sizeof(line), f)) {
		unsigned long start, off;
		int pos = 0;
		if (sscanf(line, "%lx-%*x %*s %lx %*s %*s %n", &start, &off, &pos) != 2 || !pos ||
		    off || line[pos] != '/')
			continue;
		line[strcspn(line, "\n")] = 0;
		const char *err;
		if (strcmp(line + pos, exe) && mt_elf_find_symbol(line + pos, sym, s, &err) == 1) {
			*addr = s->value + (s->dyn ? start : 0);
			found = 1;
		}
	}
	if (f)
		fclose(f);
	return found;
}

/* --pid: one WHAT as an absolute "A" line (pt_watch.c), or -1. */
static int pid_line(pid_t pid, const char *what, unsigned flags, char *line, size_t n)
{
	char exe[PATH_MAX], sym[128], name[96];
	char link[64];
	uint64_t off = 0, len = 0, addr;
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	ssize_t k = readlink(link, exe, sizeof(exe) - 1);
	if (k <= 0) {
		error_msg("process %d: cannot read %s", (int)pid, link);
		return -1;
	}
	exe[k] = 0;
	/* the same parsing as for a program we start, on its executable */
	if (what_line(what, link, flags, line, n))
		return -1;
	struct mt_elf_sym s;
	const char *err;
	if (line[0] == 'A')
		return 0;
	if (line[0] == 'E') {
		unsigned long long v;
		unsigned fl;
		if (sscanf(line, "E %llx %" SCNx64 " %x %95s", &v, &len, &fl, name) != 4 ||
		    mt_elf_find_symbol(link, "", &s, &err) < 0)
			return -1;
		uint64_t base = s.dyn ? load_base(pid, exe) : 0;
		if (s.dyn && !base) {
			error_msg("process %d: cannot find where %s is loaded", (int)pid, exe);
			return -1;
		}
		snprintf(line, n, "A %llx %" PRIx64 " %x %s\n", v + base, len, fl, name);
		return 0;
	}
	unsigned fl;
	if (sscanf(line, "S %127s %" SCNx64 " %" SCNx64 " %x %95s", sym, &off, &len, &fl, name) != 5)
		return -1;
	if (!pid_lib_symbol(pid, exe, sym, &addr, &s)) {
		error_msg("'%s': no such symbol in process %d or the libraries it has loaded", sym,
			  (int)pid);
		return -1;
	}
	if (s.tls) {
		error_msg("'%s' is thread-local: not supported with --pid", sym);
		return -1;
	}
	if (!len)
		len = s.size > off ? s.size - off : 0;
	if (!len) {
		error_msg("'%s': the symbol has no size: give one (SYMBOL:LEN)", what);
		return -1;
	}
	snprintf(line, n, "A %" PRIx64 " %" PRIx64 " %x %s\n", addr + off, len, fl, name);
	return 0;
}

/* One WHAT as a line of MMIOTAP_WATCH into line (0), or -1 (said why). */
static int what_line(const char *what, const char *exe, unsigned flags, char *line, size_t n)
{
	char sym[128], name[96];
	uint64_t off = 0, len = 0;
	const char *colon = strrchr(what, ':');
	snprintf(name, sizeof(name), "%s", what);
	for (char *c = name; *c; c++)
		if (isspace((unsigned char)*c))
			*c = '_';
	if (colon && (mt_cli_parse_u64(colon + 1, &len) || !len)) {
		error_msg("'%s': bad length after ':'", what);
		return -1;
	}
	size_t head = colon ? (size_t)(colon - what) : strlen(what);
	if (isdigit((unsigned char)what[0])) {
		char a[64];
		uint64_t addr;
		snprintf(a, sizeof(a), "%.*s", (int)(head < 63 ? head : 63), what);
		if (!colon || mt_cli_parse_u64(a, &addr)) {
			error_msg("'%s': want ADDR:LEN or SYMBOL[+OFF][:LEN]", what);
			return -1;
		}
		snprintf(line, n, "A %" PRIx64 " %" PRIx64 " %x %s\n", addr, len, flags, name);
		return 0;
	}
	const char *plus = memchr(what, '+', head);
	size_t sl = plus ? (size_t)(plus - what) : head;
	if (!sl || sl >= sizeof(sym)) {
		error_msg("'%s': bad symbol name", what);
		return -1;
	}
	snprintf(sym, sizeof(sym), "%.*s", (int)sl, what);
	for (const char *c = sym; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_.$@", *c)) {
			error_msg("'%s': bad symbol name", what);
			return -1;
		}
	if (plus) {
		char o[64];
		snprintf(o, sizeof(o), "%.*s", (int)(head - sl - 1 < 63 ? head - sl - 1 : 63), plus + 1);
		if (mt_cli_parse_u64(o, &off)) {
			error_msg("'%s': bad offset after '+'", what);
			return -1;
		}
	}
	struct mt_elf_sym s;
	const char *err = "";
	int found = mt_elf_find_symbol(exe, sym, &s, &err);
	if (found < 0) {
		error_msg("%s: %s", exe, err);
		return -1;
	}
	if (!found) { /* a library's: the runtime finds it when it is loaded */
		snprintf(line, n, "S %s %" PRIx64 " %" PRIx64 " %x %s\n", sym, off, len, flags, name);
		return 0;
	}
	if (s.tls) {
		error_msg("'%s' is thread-local: each thread has its own; watch it from the program with mmiotap_watch(&%s, sizeof %s, 0)",
			  sym, sym, sym);
		return -1;
	}
	if (!len)
		len = s.size > off ? s.size - off : 0;
	if (!len) {
		error_msg("'%s': the symbol has no size%s: give one (SYMBOL:LEN)", what,
			  off ? " past that offset" : "");
		return -1;
	}
	snprintf(line, n, "E %" PRIx64 " %" PRIx64 " %x %s\n", s.value + off, len, flags, name);
	return 0;
}

static const struct option watch_lo[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "read", no_argument, NULL, 'r' },
	{ "write", no_argument, NULL, 'w' },
	{ "stop", no_argument, NULL, 's' },
	{ "lib", required_argument, NULL, 'L' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "pid", required_argument, NULL, 'p' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* `mmiotap watch --pid PID WHAT...`: the objects resolved in the running
 * process, then `record --pid` (the ptrace backend: pt_watch.c). */
static int watch_pid(pid_t pid, int argc, char **argv, const char *out, unsigned flags,
		     int quiet)
{
	if (flags & MMIOTAP_WATCH_STOP)
		error_msg_and_help("--stop is not supported with --pid (the process has its own debugger, or none)");
	if (optind >= argc)
		error_msg_and_help("nothing to watch (--pid PID WHAT...)");
	size_t cap = 1, used = 0;
	for (int i = optind; i < argc; i++)
		cap += strlen(argv[i]) * 2 + 300;
	char *spec = calloc(1, cap);
	if (!spec)
		error_msg_and_die("out of memory");
	for (int i = optind; i < argc; i++) {
		if (!strcmp(argv[i], "--") || pid_line(pid, argv[i], flags, spec + used, cap - used)) {
			if (!strcmp(argv[i], "--"))
				error_msg("--pid takes no program");
			free(spec);
			return 2;
		}
		used += strlen(spec + used);
	}
	setenv(MT_ENV_WATCH, spec, 1);
	free(spec);
	char pidarg[32];
	snprintf(pidarg, sizeof(pidarg), "%d", (int)pid);
	char *rv[] = { "record", "-o", (char *)out, "--no-default-files", "--pid", pidarg,
		       quiet ? "-q" : NULL, NULL };
	return mt_cli_record(quiet ? 7 : 6, rv);
}

int mt_cli_watch(int argc, char **argv)
{
	const char *out = "mmiotap.trace", *lib = NULL;
	unsigned flags = 0;
	int quiet = 0, c;
	pid_t pid = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:rwsqh", watch_lo, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'r': flags |= MMIOTAP_WATCH_READ; break;
		case 'w': flags |= MMIOTAP_WATCH_WRITE; break;
		case 's': flags |= MMIOTAP_WATCH_STOP; break;
		case 'L': lib = optarg; break;
		case 'q': quiet = 1; break;
		case 'p':
			pid = (pid_t)atoi(optarg);
			if (pid <= 0)
				error_msg_and_help("--pid wants a process id");
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind > 1 && !strcmp(argv[optind - 1], "--")) /* getopt took it */
		error_msg_and_help("nothing to watch (WHAT... -- PROG)");
	if (pid)
		return watch_pid(pid, argc, argv, out, flags, quiet);
	int dd = optind;
	while (dd < argc && strcmp(argv[dd], "--"))
		dd++;
	if (dd == optind)
		error_msg_and_help("nothing to watch (WHAT... -- PROG)");
	if (dd >= argc - 1)
		error_msg_and_help("no program given (mmiotap watch WHAT... -- PROG ARGS)");
	char exe[PATH_MAX];
	if (find_prog(argv[dd + 1], exe, sizeof(exe)))
		error_msg_and_die("%s: not found", argv[dd + 1]);
	size_t cap = 1, used = 0;
	for (int i = optind; i < dd; i++)
		cap += strlen(argv[i]) * 2 + 300;
	char *spec = calloc(1, cap);
	if (!spec)
		error_msg_and_die("out of memory");
	for (int i = optind; i < dd; i++) {
		if (what_line(argv[i], exe, flags, spec + used, cap - used)) {
			free(spec);
			return 2;
		}
		used += strlen(spec + used);
	}
	setenv(MT_ENV_WATCH, spec, 1);
	free(spec);
	/* record, with no device file traced: only the watched objects */
	char **rv = calloc((size_t)(argc - dd) + 8, sizeof(*rv));
	if (!rv)
		error_msg_and_die("out of memory");
	int k = 0;
	rv[k++] = "record";
	rv[k++] = "-o";
	rv[k++] = (char *)out;
	rv[k++] = "--no-default-files";
	if (quiet)
		rv[k++] = "-q";
	if (lib) {
		rv[k++] = "--lib";
		rv[k++] = (char *)lib;
	}
	for (int i = dd; i < argc; i++)
		rv[k++] = argv[i];
	int rc = mt_cli_record(k, rv);
	free(rv);
	return rc;
}
