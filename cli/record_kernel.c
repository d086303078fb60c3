// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * record_kernel.c - `mmiotap record --kernel --pci BDF[,bar=N]... [--phys
 * A-B]... [-o OUT] [RECORD OPTIONS] -- PROG ARGS`: one recording of a
 * program's user-space MMIO and of the kernel's MMIO to the chosen devices,
 * on one clock (CLOCK_MONOTONIC), merged into one trace.
 *
 * Runs `mmiotap kernel record SELECTION -o OUT.kernel -- mmiotap record
 * RECORD-OPTIONS -o OUT.user -- PROG ARGS` (this same program), so that the
 * kernel recording spans the whole of the program's, then merges the two
 * into OUT (format/src/merge.c: by time, each in its own order; on equal
 * time stamps the user-space record first) and removes the parts. If the
 * merge fails the parts stay and are named. Exit status: PROG's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cli.h"
#include "mmiotap/merge.h"

int mt_cli_record_kernel(int argc, char **argv);

/* record's options that take a value (the next argument, or =VALUE). */
static int user_takes_value(const char *a)
{
	static const char *const v[] = { "-t", "--trace-file", "-i", "--inject", "--lib" };
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (!strcmp(a, v[i]))
			return 1;
	return 0;
}

static int kernel_takes_value(const char *a)
{
	return !strcmp(a, "--pci") || !strcmp(a, "--phys") || !strcmp(a, "--buf-records") ||
	       !strcmp(a, "--module");
}

static int has_prefix(const char *a, const char *p)
{
	return !strncmp(a, p, strlen(p));
}

struct rk {
	char **kargs, **uargs; /* argument vectors being built */
	int nk, nu;
	const char *out;
	int quiet, nsel;
	char **prog;
};

static void split_args(int argc, char **argv, struct rk *k)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--kernel"))
			continue;
		if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			k->quiet = 1;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (++i == argc)
				error_msg_and_help("%s wants a file", a);
			k->out = argv[i];
		} else if (has_prefix(a, "--output=")) {
			k->out = a + 9;
		} else if (has_prefix(a, "-o")) {
			k->out = a + 2; /* -oFILE */
		} else if (!strcmp(a, "--pid") || has_prefix(a, "--pid=")) {
			error_msg_and_help("--kernel records a program it runs, not --pid");
		} else if (kernel_takes_value(a) || has_prefix(a, "--pci=") || has_prefix(a, "--phys=") ||
			   has_prefix(a, "--buf-records=") || has_prefix(a, "--module=") ||
			   !strcmp(a, "--keep-module")) {
			k->nsel += has_prefix(a, "--pci") || has_prefix(a, "--phys");
			k->kargs[k->nk++] = argv[i];
			if (kernel_takes_value(a)) {
				if (++i == argc)
					error_msg_and_help("%s wants a value", a);
				k->kargs[k->nk++] = argv[i];
			}
		} else {
			k->uargs[k->nu++] = argv[i];
			if (user_takes_value(a) && i + 1 < argc)
				k->uargs[k->nu++] = argv[++i];
		}
	}
	if (i >= argc - 1)
		error_msg_and_help("no program given (mmiotap record --kernel [opts] -- PROG ARGS)");
	if (!k->nsel)
		error_msg_and_help("--kernel: nothing selected for the kernel: give --pci BDF or --phys A-B");
	k->prog = argv + i + 1;
}

/* self kernel record KARGS -o K -q -- self record UARGS -o U -q -- PROG ARGS */
static char **build_argv(const struct rk *k, const char *self, const char *kout,
			 const char *uout)
{
	int n = 0, i, np = 0;
	char **v;

	while (k->prog[np])
		np++;
	v = calloc((size_t)(k->nk + k->nu + np) + 16, sizeof(char *));
	if (!v)
		error_msg_and_die("out of memory");
	v[n++] = (char *)self;
	v[n++] = "kernel";
	v[n++] = "record";
	for (i = 0; i < k->nk; i++)
		v[n++] = k->kargs[i];
	v[n++] = "-o";
	v[n++] = (char *)kout;
	v[n++] = "-q";
	/* CMD is `mmiotap record`: after a signal it waits for PROG (its own
	 * bounded grace) and writes its trace; not SIGKILLed mid-flush */
	v[n++] = "--child-grace";
	v[n++] = "30000";
	v[n++] = "--";
	v[n++] = (char *)self;
	v[n++] = "record";
	for (i = 0; i < k->nu; i++)
		v[n++] = k->uargs[i];
	v[n++] = "-o";
	v[n++] = (char *)uout;
	v[n++] = "-q";
	v[n++] = "--";
	for (i = 0; i < np; i++)
		v[n++] = k->prog[i];
	v[n] = NULL;
	return v;
}

static volatile pid_t child;

/* Passed on to the recording when another process sent it; the terminal's
 * Ctrl-C or hangup reached the recording (our process group) already. */
static void forward(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (si->si_code <= 0 && child > 0)
		kill(child, sig);
}

static const int fwd_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
static struct mt_cli_endsigs fwd = { .sigs = fwd_sigs,
				     .n = sizeof(fwd_sigs) / sizeof(fwd_sigs[0]) };

/* Runs the two recordings; returns the wait status of `kernel record`. */
static int run(char **v)
{
	sigset_t all, old;
	int status;
	pid_t p;

	mt_cli_endsigs_catch(&fwd, forward, SA_SIGINFO | SA_RESTART);
	sigemptyset(&all);
	mt_cli_endsigs_set(&fwd, &all);
	sigprocmask(SIG_BLOCK, &all, &old);
	p = fork();
	if (p < 0)
		perror_msg_and_die("fork");
	if (!p) {
		mt_cli_endsigs_restore(&fwd);
		mt_cli_sigchld_restore(); /* the recorders give it to the program */
		sigprocmask(SIG_SETMASK, &old, NULL);
		execv(v[0], v);
		perror_msg("%s", v[0]);
		_exit(127);
	}
	child = p;
	sigprocmask(SIG_SETMASK, &old, NULL);
	while (waitpid(p, &status, 0) < 0)
		if (errno != EINTR)
			perror_msg_and_die("waitpid");
	child = 0;
	mt_cli_endsigs_restore(&fwd);
	return status;
}

/* While the merge writes OUT (a regular file of ours): an ending signal
 * removes it, then kills us of it as without us. A half-written OUT would
 * read as a whole trace (a trace has no end marker); the parts, not yet
 * removed, stay. */
static const char *volatile merging_out;

static void die_merging(int sig, siginfo_t *si, void *uc)
{
	struct sigaction sa;

	(void)si;
	(void)uc;
	if (merging_out)
		unlink(merging_out);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(sig, &sa, NULL);
	raise(sig);
}

static int merge_parts(const char *kout, const char *uout, const char *out, int quiet)
{
	const char *names[2] = { uout, kout };
	struct mt_merge_err err;
	struct stat st;
	uint64_t n = 0;
	int fds[2], fd, rc, reg;

	fds[0] = mt_cli_open_input(uout);
	fds[1] = mt_cli_open_input(kout);
	fd = mt_cli_create_trace(out);
	if (fd < 0) {
		errno_msg(fd, "%s (the recordings stay in %s and %s)", out, uout, kout);
		return 1;
	}
	reg = !fstat(fd, &st) && S_ISREG(st.st_mode);
	if (reg) {
		merging_out = out;
		mt_cli_endsigs_catch(&fwd, die_merging, 0);
	}
	rc = mt_merge_fds(fds, names, 2, fd, &n, &err);
	if (close(fd) && !rc)
		rc = -errno;
	close(fds[0]);
	close(fds[1]);
	if (rc) {
		error_msg("merging into %s: %s%s%s (the recordings stay in %s and %s)", out,
			  err.input >= 0 ? names[err.input] : "", err.input >= 0 ? ": " : "",
			  err.msg[0] ? err.msg : strerror(-rc), uout, kout);
		if (reg)
			unlink(out); /* ours (mt_cli_create_trace), never a device */
		if (reg)
			mt_cli_endsigs_restore(&fwd);
		merging_out = NULL;
		return 1;
	}
	if (reg)
		mt_cli_endsigs_restore(&fwd);
	merging_out = NULL;
	unlink(uout);
	unlink(kout);
	if (!quiet)
		fprintf(stderr, "%s: %llu records (user space and kernel, merged by time) written to %s\n",
			mt_cli_prog, (unsigned long long)n, out);
	return 0;
}

int mt_cli_record_kernel(int argc, char **argv)
{
	struct rk k = { .out = "mmiotap.trace" };
	char self[PATH_MAX], *kout, *uout, **v;
	ssize_t len;
	int status, rc;

	k.kargs = calloc((size_t)argc + 1, sizeof(char *));
	k.uargs = calloc((size_t)argc + 1, sizeof(char *));
	if (!k.kargs || !k.uargs)
		error_msg_and_die("out of memory");
	split_args(argc, argv, &k);
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0)
		perror_msg_and_die("/proc/self/exe");
	self[len] = 0;
	if (asprintf(&kout, "%s.kernel", k.out) < 0 || asprintf(&uout, "%s.user", k.out) < 0)
		error_msg_and_die("out of memory");
	/* never merge what an earlier run left */
	if (!access(kout, F_OK) || !access(uout, F_OK))
		error_msg_and_die("%s exists (left by an earlier recording?): remove it or choose another -o",
				  !access(kout, F_OK) ? kout : uout);
	v = build_argv(&k, self, kout, uout);
	status = run(v);
	if (access(kout, F_OK) || access(uout, F_OK)) {
		if (!access(kout, F_OK) || !access(uout, F_OK))
			error_msg("no %s recording was written (see above); %s stays",
				  access(kout, F_OK) ? "kernel" : "user-space",
				  access(kout, F_OK) ? uout : kout);
		else
			error_msg("no recording was written (see above)");
		rc = 1;
	} else {
		rc = merge_parts(kout, uout, k.out, k.quiet);
	}
	free(v);
	free(kout);
	free(uout);
	free(k.kargs);
	free(k.uargs);
	if (rc)
		return rc;
	if (WIFSIGNALED(status)) {
		signal(WTERMSIG(status), SIG_DFL);
		raise(WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}
