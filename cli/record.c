// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * record.c - `mmiotap record [-o FILE] [--trace-file GLOB]... [--inject RULE]...
 *            -- PROG ARGS`
 *
 * Creates the shared event ring (/dev/shm), runs PROG with
 * libmmiotap-preload.so in LD_PRELOAD and the configuration in the
 * environment (mmiotap/rt_env.h), and drains the ring into the trace file
 * while PROG runs. The ring is drained by this process alone, so the
 * program never blocks on file I/O; if the output fails (disk full), the
 * rest is counted, reported on stderr and as a LOST record when possible,
 * and the program keeps running. A traced thread that died holding the
 * ring's order lock with nobody waiting for it is found here (mt_ring_reap,
 * every round) so that the others and the trace go on. Exits with PROG's
 * status and re-raises the signal that killed it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mmiotap/inject.h"
#include "mmiotap/rt_env.h"
#include "mmiotap/rt_ring.h"
#include "mmiotap/trace.h"
#include "ptrace_record.h"
#include "record_conv.h"

int mt_cli_record(int argc, char **argv);

#define RING_SIZE_DEFAULT (16u << 20)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mmiotap record [-o FILE] [--trace-file GLOB]... [--inject RULE]...\n"
		"                      [--no-default-files] [-q] [--ptrace] -- PROG [ARGS...]\n"
		"       mmiotap record --pid PID [opts]\n"
		"Run PROG and record every access it makes to traced device mappings.\n"
		"  -o, --output FILE      trace file (default mmiotap.trace)\n"
		"  -t, --trace-file GLOB  also trace MAP_SHARED mappings of files matching\n"
		"                         GLOB (fnmatch; e.g. /dev/shm/*, '/memfd:*')\n"
		"      --no-default-files do not trace /dev/mem, /dev/uioN, PCI resourceN, VFIO\n"
		"  -i, --inject RULE      fault injection rule (see mmiotap-record(1))\n"
		"      --lib PATH         preload library (default: next to mmiotap)\n"
		"  -q, --quiet            no summary line\n"
		"      --ptrace           trace from outside with ptrace (any binary, static too)\n"
		"      --pid PID          attach to running process PID (ptrace); Ctrl-C or\n"
		"                         `mmiotap stop PID` detaches, PID keeps running\n"
		"      --syscall-stops    ptrace: stop at every syscall instead of using a\n"
		"                         seccomp filter for the mmap family\n");
}

static pid_t child_pid;      /* the program, until it is reaped (then 0) */
static const int end_sigs[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP };
static volatile sig_atomic_t got_sig, sig_from_kernel;

/* SIGINT, SIGQUIT, SIGTERM, SIGHUP while a preloaded PROG runs: noted; the
 * drain loop passes it on (only to a child still there) and ends. */
static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	sig_from_kernel = si->si_code > 0; /* the terminal's: PROG got it too */
}

/* Installed before the ring and the trace file are made: SIGINT, SIGQUIT,
 * SIGTERM and SIGHUP are noted from then on. Before the program runs one
 * ends the recording cleanly (setup_interrupted()); while a preloaded
 * PROG runs, see drain_while_running(). (The ptrace backend installs its
 * own handlers: mt_record_ptrace_start.) */
static void record_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	for (size_t i = 0; i < sizeof(end_sigs) / sizeof(end_sigs[0]); i++)
		sigaction(end_sigs[i], &sa, NULL);
}

/* The preload library: --lib, $MMIOTAP_LIB, next to this executable, or
 * ../lib/mmiotap/ relative to it. */
static char *find_lib(const char *opt)
{
	if (opt)
		return realpath(opt, NULL);
	const char *env = getenv(MT_ENV_LIB);
	if (env && *env)
		return realpath(env, NULL);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = 0;
	static const char *const rel[] = {
		"/libmmiotap-preload.so",
		"/../lib/mmiotap/libmmiotap-preload.so",
		"/../lib/libmmiotap-preload.so",
	};
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		char p[PATH_MAX + 64];
		snprintf(p, sizeof(p), "%s%s", exe, rel[i]);
		if (!access(p, R_OK))
			return realpath(p, NULL);
	}
	return NULL;
}

static void __attribute__((noreturn)) reraise(int sig)
{
	struct rlimit rl = { 0, 0 };
	setrlimit(RLIMIT_CORE, &rl); /* the program already dumped core if it could */
	signal(sig, SIG_DFL);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	kill(getpid(), sig);
	_exit(128 + sig);
}

/* A program built with ASan refuses to start when a library is preloaded
 * ahead of ASan's runtime, as ours must be (it interposes mmap): let it,
 * unless the user decided otherwise. Called in the child, before exec. */
static void asan_allow_preload(void)
{
	const char *o = getenv("ASAN_OPTIONS");
	if (o && strstr(o, "verify_asan_link_order"))
		return;
	size_t l = (o ? strlen(o) : 0) + 32;
	char *v = malloc(l);
	if (!v)
		return;
	snprintf(v, l, "%s%sverify_asan_link_order=0", o ? o : "", o && *o ? ":" : "");
	setenv("ASAN_OPTIONS", v, 1);
	free(v);
}

static char *join_lines(char **v, int n)
{
	size_t len = 1;
	for (int i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	char *s = calloc(1, len);
	if (!s)
		return NULL;
	for (int i = 0; i < n; i++) {
		strcat(s, v[i]);
		if (i + 1 < n)
			strcat(s, "\n");
	}
	return s;
}

/* What record allocates for its whole run; mt_cli_record() frees it on
 * every way out (LeakSanitizer checks at exit). */
static struct {
	char **globs, **rules;
	char *lib, *tf, *inj;
	uint8_t *tmp;
} mem;

static int record_main(int argc, char **argv);

int mt_cli_record(int argc, char **argv)
{
	int rc = record_main(argc, argv);
	free(mem.globs);
	free(mem.rules);
	free(mem.lib);
	free(mem.tf);
	free(mem.inj);
	free(mem.tmp);
	memset(&mem, 0, sizeof(mem));
	return rc;
}

/* ---- options ----------------------------------------------------------------- */

struct rec_opts {
	const char *out, *libopt;
	char **globs, **rules;    /* --trace-file, --inject (mem.globs, mem.rules) */
	int nglobs, nrules;
	int nodef, quiet;
	int use_ptrace, sysstops; /* --ptrace / --pid: cli/ptrace_record.c */
	pid_t attach_pid;
	char **prog;              /* PROG ARGS, NULL with --pid */
};

/* Every --inject rule parses (the runtime would only find out in PROG). */
static int check_rules(const struct rec_opts *o)
{
	for (int i = 0; i < o->nrules; i++) {
		struct mt_inject_rule rule;
		struct mt_rule_error err;
		memset(&err, 0, sizeof(err));
		if (mt_rule_parse(o->rules[i], &rule, &err) < 0) {
			fprintf(stderr, "mmiotap record: --inject '%s': column %u: %s%s%s\n",
				o->rules[i], err.column, err.msg, err.token[0] ? " near " : "",
				err.token);
			return 2;
		}
	}
	return -1;
}

/* Fill *o from the command line: -1 to go on, else the exit status. */
static const struct option record_lo[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "trace-file", required_argument, NULL, 't' },
	{ "inject", required_argument, NULL, 'i' },
	{ "no-default-files", no_argument, NULL, 'N' },
	{ "lib", required_argument, NULL, 'L' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "ptrace", no_argument, NULL, 'P' },
	{ "pid", required_argument, NULL, 'p' },
	{ "syscall-stops", no_argument, NULL, 'S' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_opts(int argc, char **argv, struct rec_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->out = "mmiotap.trace";
	o->globs = mem.globs = calloc((size_t)argc + 1, sizeof(char *));
	o->rules = mem.rules = calloc((size_t)argc + 1, sizeof(char *));
	if (!o->globs || !o->rules) {
		fprintf(stderr, "mmiotap record: out of memory\n");
		return 1;
	}
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:t:i:qh", record_lo, NULL)) != -1) {
		switch (c) {
		case 'o': o->out = optarg; break;
		case 't': o->globs[o->nglobs++] = optarg; break;
		case 'i': o->rules[o->nrules++] = optarg; break;
		case 'N': o->nodef = 1; break;
		case 'L': o->libopt = optarg; break;
		case 'q': o->quiet = 1; break;
		case 'P': o->use_ptrace = 1; break;
		case 'p':
			o->attach_pid = (pid_t)atoi(optarg);
			o->use_ptrace = 1;
			if (o->attach_pid <= 0) {
				fprintf(stderr, "mmiotap record: --pid wants a process id\n");
				return 2;
			}
			break;
		case 'S': o->sysstops = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc && !o->attach_pid) {
		fprintf(stderr, "mmiotap record: no program given (usage: mmiotap record [opts] -- PROG ARGS)\n");
		return 2;
	}
	o->prog = o->attach_pid ? NULL : argv + optind;
	return check_rules(o);
}

/* ---- the ring and the trace file ------------------------------------------------ */

/* One recording: the ring the program writes, the trace file it goes to. */
struct rec {
	char ring_path[128];
	struct mt_ring *ring;
	struct mt_ring_reader rd;
	struct conv cv;
	uint8_t *tmp;             /* drain buffer (mem.tmp) */
	size_t tmpsz;
};

static int ring_create(struct rec *r)
{
	snprintf(r->ring_path, sizeof(r->ring_path), "/dev/shm/mmiotap-%d.ring", (int)getpid());
	unlink(r->ring_path);
	int rc = mt_ring_create(r->ring_path, RING_SIZE_DEFAULT, &r->ring);
	r->rd.r = r->ring;
	if (rc)
		fprintf(stderr, "mmiotap record: cannot create %s: %s\n", r->ring_path,
			strerror(-rc));
	return rc;
}

/* The trace file; when it cannot be opened, the program runs anyway and
 * its records are counted as lost. */
static void writer_open(struct conv *cv, const struct rec_opts *o)
{
	struct mt_writer_opts wo;
	memset(&wo, 0, sizeof(wo));
	wo.sz = sizeof(wo);
	wo.clock = MT_CLOCK_MONOTONIC;
	wo.source = o->use_ptrace ? MT_SRC_PTRACE : MT_SRC_PRELOAD;
	wo.compat = MT_COMPAT_SORTED;
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	wo.start_realtime_ns = (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec;
	int rc = mt_writer_open_path(&cv->w, o->out, &wo);
	if (rc) {
		fprintf(stderr,
			"mmiotap record: cannot write %s: %s; records are lost (the program runs anyway)\n",
			o->out, mt_writer_strerror(rc));
		cv->w = NULL;
		cv->failed = 1;
	}
	mt_enc_stream_reset(&cv->st);
}

/* The ring, the conversion buffers and the trace file. 0, else the ring
 * is gone again. */
static int rec_setup(struct rec *r, const struct rec_opts *o)
{
	if (ring_create(r))
		return -1;
	r->cv.out = o->out;
	r->cv.quiet = o->quiet;
	r->cv.cap = 4u << 20;
	r->cv.buf = malloc(r->cv.cap);
	r->tmpsz = 1u << 20;
	r->tmp = mem.tmp = malloc(r->tmpsz);
	if (!r->cv.buf || !r->tmp) {
		fprintf(stderr, "mmiotap record: out of memory\n");
		unlink(r->ring_path);
		return -1;
	}
	writer_open(&r->cv, o);
	return 0;
}

/* ---- starting the program ------------------------------------------------------- */

static int start_ptrace(struct rec *r, const struct rec_opts *o)
{
	struct mt_record_ptrace_args pa = {
		.argv = o->prog,
		.pid = o->attach_pid,
		.globs = (const char *const *)o->globs,
		.nglobs = (unsigned)o->nglobs,
		.rules = (const char *const *)o->rules,
		.nrules = (unsigned)o->nrules,
		.no_defaults = o->nodef,
		.no_seccomp = o->sysstops,
		.verbose = getenv(MT_ENV_DEBUG) != NULL,
		.ring = r->ring,
	};
	child_pid = o->attach_pid;
	return mt_record_ptrace_start(&pa) < 0 ? -1 : 0;
}

/* In the child: the runtime's configuration in the environment
 * (mmiotap/rt_env.h), the library first in LD_PRELOAD, exec. */
static void __attribute__((noreturn)) exec_preloaded(const struct rec_opts *o, const char *lib,
						      const char *ring_path, int errfd)
{
	setenv(MT_ENV_RING, ring_path, 1);
	setenv(MT_ENV_LIB, lib, 1);
	if (o->nglobs)
		setenv(MT_ENV_TRACE_FILES, mem.tf, 1);
	if (o->nrules)
		setenv(MT_ENV_INJECT, mem.inj, 1);
	if (o->nodef)
		setenv(MT_ENV_DEFAULTS, "0", 1);
	const char *old = getenv("LD_PRELOAD");
	char *pre = malloc(strlen(lib) + (old ? strlen(old) : 0) + 2);
	sprintf(pre, "%s%s%s", lib, old && *old ? ":" : "", old && *old ? old : "");
	setenv("LD_PRELOAD", pre, 1);
	asan_allow_preload();
	execvp(o->prog[0], o->prog);
	int e = errno;
	(void)!write(errfd, &e, sizeof(e));
	_exit(127);
}

static void end_sigset(sigset_t *s)
{
	sigemptyset(s);
	for (size_t i = 0; i < sizeof(end_sigs) / sizeof(end_sigs[0]); i++)
		sigaddset(s, end_sigs[i]);
}

/* Before the fork: the signals that end the recording are blocked, and
 * one that came already ends it before there is a program (-1). */
static int fork_begin(sigset_t *old)
{
	sigset_t s;
	end_sigset(&s);
	sigprocmask(SIG_BLOCK, &s, old);
	if (!got_sig)
		return 0;
	sigprocmask(SIG_SETMASK, old, NULL);
	return -1;
}

/* After it: one that came while they were blocked was sent before the
 * program existed (the terminal's too): the drain loop passes it on. */
static void fork_end(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
	if (got_sig)
		sig_from_kernel = 0;
}

/* Fork and exec PROG with the preload runtime; an exec failure is
 * reported here (the child writes its errno into a pipe). */
static int spawn_preload(struct rec *r, const struct rec_opts *o, const char *lib)
{
	mem.tf = join_lines(o->globs, o->nglobs);
	mem.inj = join_lines(o->rules, o->nrules);
	int pfd[2];
	sigset_t old;
	if (fork_begin(&old))
		return -1;
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		fork_end(&old);
		perror("mmiotap record: pipe");
		return -1;
	}
	child_pid = fork();
	if (child_pid == 0) {
		/* the terminal's signal must reach PROG, not our handler */
		for (size_t i = 0; i < sizeof(end_sigs) / sizeof(end_sigs[0]); i++)
			signal(end_sigs[i], SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(pfd[0]);
		exec_preloaded(o, lib, r->ring_path, pfd[1]);
	}
	fork_end(&old);
	if (child_pid < 0) {
		perror("mmiotap record: fork");
		return -1;
	}
	close(pfd[1]);
	int exec_errno = 0;
	if (read(pfd[0], &exec_errno, sizeof(exec_errno)) == sizeof(exec_errno))
		fprintf(stderr, "mmiotap record: cannot run %s: %s\n", o->prog[0],
			strerror(exec_errno));
	close(pfd[0]);
	return 0;
}

static int start_program(struct rec *r, const struct rec_opts *o, const char *lib)
{
	if (!o->use_ptrace)
		return spawn_preload(r, o, lib);
	if (got_sig)
		return -1;
	if (start_ptrace(r, o))
		return -1;
	if (got_sig)
		raise(got_sig); /* came before its own handlers: detach */
	return 0;
}

/* ---- the drain loop --------------------------------------------------------------- */

/* A traced thread that died holding the order lock, with nobody waiting
 * for the lock to notice: take it over (writes the LOST event), so the
 * other processes and the trace go on. Cheap when the lock is free. */
static void reap(struct mt_ring *r)
{
	mt_ring_reap(r, (uint32_t)getpid(), 0);
}

/* One round: what the ring holds (waiting up to 50 ms for some), then the
 * lock of a dead holder. */
static void drain_round(struct rec *r)
{
	mt_conv_drain(&r->cv, &r->rd, r->tmp, r->tmpsz, 50);
	reap(r->ring);
}

/* 1 when the traced program has ended (*status: its wait status; the
 * child is reaped: child_pid 0 from then on, nothing is sent to it). */
static int program_done(const struct rec_opts *o, int *status)
{
	if (o->use_ptrace)
		return mt_record_ptrace_poll(status, 0);
	if (child_pid > 0 && waitpid(child_pid, status, WNOHANG) == child_pid) {
		child_pid = 0;
		return 1;
	}
	return 0;
}

#define SIGNAL_GRACE_MS 2000

/*
 * Drain the ring into the trace file until the program ends; returns its
 * wait status, or -1 if a signal ended the recording while it still runs.
 * A signal (preload backend) is passed on to the program, unless the
 * terminal sent it to the program as well, and the program is given
 * SIGNAL_GRACE_MS to end; the recording ends then in any case.
 */
static int drain_while_running(struct rec *r, const struct rec_opts *o)
{
	int status = 0, waited_ms = 0, sig = 0;
	for (;;) {
		drain_round(r);
		if (program_done(o, &status))
			return status;
		if (!sig && got_sig && !o->use_ptrace) {
			sig = got_sig;
			if (!sig_from_kernel && child_pid > 0)
				kill(child_pid, sig);
		}
		if (sig && (waited_ms += 50) >= SIGNAL_GRACE_MS)
			return -1;
	}
}

#define REST_MAX_MS 1000

/* Descendants (forked children) may still produce: drain until the ring
 * has been quiet for 200 ms, REST_MAX_MS at most; then close it: every
 * traced process still running stops tracing (its mappings get their
 * protection back, what it would still put is discarded and counted), and
 * take what is left. */
static void drain_rest(struct rec *r)
{
	for (int quiet_ms = 0, ms = 0; quiet_ms < 200 && ms < REST_MAX_MS; ms += 50) {
		uint64_t before = r->ring->h->head;
		drain_round(r);
		quiet_ms = r->ring->h->head == before ? quiet_ms + 50 : 0;
	}
	__atomic_store_n(&r->ring->h->closing, MT_RING_CLOSED, __ATOMIC_SEQ_CST);
	/* wake producers waiting for room: they see closing and go on */
	__atomic_fetch_add(&r->ring->h->tail_futex, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &r->ring->h->tail_futex, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
	mt_conv_drain(&r->cv, &r->rd, r->tmp, r->tmpsz, 0);
	unlink(r->ring_path);
}

/* ---- the end -------------------------------------------------------------------- */

/* Close the trace file, with a LOST record for what the output lost if it
 * works again. */
static void writer_close(struct conv *cv, const char *out)
{
	if (cv->nlost && cv->w) {
		struct mt_event le;
		memset(&le, 0, sizeof(le));
		le.kind = MT_REC_LOST;
		le.value = cv->nlost;
		le.seq = cv->last_seq + 1;
		le.ts = cv->last_ts;
		le.cpu = MT_CPU_UNKNOWN;
		le.tid = MT_TID_UNKNOWN;
		le.pid = (uint32_t)child_pid;
		mt_writer_event(cv->w, &le);
	}
	if (cv->w) {
		int rc = mt_writer_close(cv->w);
		if (rc && !cv->failed) {
			fprintf(stderr, "mmiotap record: writing %s: %s\n", out, strerror(-rc));
			cv->failed = 1;
		}
	}
}

static void summary(const struct rec *r, const struct rec_opts *o)
{
	const struct conv *cv = &r->cv;
	const struct mt_ring_hdr *ring = r->ring->h;
	if (cv->failed)
		fprintf(stderr, "mmiotap record: %llu records lost (output %s failed)\n",
			(unsigned long long)cv->nlost, o->out);
	else if (!o->quiet)
		fprintf(stderr, "mmiotap record: %llu records written to %s\n",
			(unsigned long long)cv->nrec, o->out);
	uint32_t nrec = __atomic_load_n(&ring->nrecovered, __ATOMIC_RELAXED);
	if (nrec) {
		uint64_t d = ring->last_dead;
		fprintf(stderr,
			"mmiotap record: %u time%s a traced thread died holding the order lock (last: pid %u, tid %u); %llu records lost there, marked by LOST records\n",
			nrec, nrec == 1 ? "" : "s", (unsigned)(d >> 32), (unsigned)d,
			(unsigned long long)ring->nlost_dead);
	}
	if (ring->ndiscarded)
		fprintf(stderr, "mmiotap record: %llu records of processes still running after the recording ended were not recorded (those processes run on untraced)\n",
			(unsigned long long)ring->ndiscarded);
	if (r->rd.nbad)
		fprintf(stderr, "mmiotap record: the program overwrote the event ring %llu time%s: what followed there was skipped\n",
			(unsigned long long)r->rd.nbad, r->rd.nbad == 1 ? "" : "s");
}

/* A signal before the program ran: no ring left behind, the trace file
 * complete (no records), then die of it as without us. */
static void __attribute__((noreturn)) setup_interrupted(struct rec *r, const struct rec_opts *o)
{
	unlink(r->ring_path);
	writer_close(&r->cv, o->out);
	fprintf(stderr, "mmiotap record: %s before %s started: nothing recorded\n",
		strsignal(got_sig), o->prog ? o->prog[0] : "the tracer");
	reraise(got_sig);
}

/* Exit as the program did: its status, or its fatal signal again. */
static int exit_like(int status)
{
	if (WIFSIGNALED(status))
		reraise(WTERMSIG(status));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int record_main(int argc, char **argv)
{
	struct rec_opts o;
	int rc = parse_opts(argc, argv, &o);
	if (rc >= 0)
		return rc;
	char *lib = mem.lib = o.use_ptrace ? NULL : find_lib(o.libopt);
	if (!lib && !o.use_ptrace) {
		fprintf(stderr, "mmiotap record: cannot find libmmiotap-preload.so (use --lib PATH)\n");
		return 1;
	}
	static struct rec r; /* large (the conversion's map table) */
	record_signals();
	if (rec_setup(&r, &o))
		return 1;
	if (start_program(&r, &o, lib)) {
		if (got_sig)
			setup_interrupted(&r, &o);
		unlink(r.ring_path);
		return 1;
	}
	int status = drain_while_running(&r, &o);
	drain_rest(&r);
	writer_close(&r.cv, o.out);
	summary(&r, &o);
	if (status == -1) {
		fprintf(stderr, "mmiotap record: %s: the recording ends; %s (pid %d) still runs, untraced\n",
			strsignal(got_sig), o.prog[0], (int)child_pid);
		reraise(got_sig);
	}
	return exit_like(status);
}
