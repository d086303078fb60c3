// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * run.c - `mmiotap campaign run`: the baseline, then each experiment of the
 * shard, every one a `mmiotap record -q --inject RULE -- PROG ARGS` in its
 * own process group (stdout and stderr to files, stdin /dev/null), up to
 * -j at a time. A run past --timeout is a hang: its group gets SIGTERM,
 * SIGKILL 2 s later, and the ring a killed recorder leaves in /dev/shm is
 * removed. Each outcome is one line appended (one write, O_APPEND) to
 * DIR/results.txt, so shards sharing DIR interleave whole lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "campaign.h"
#include "cp_outcome.h"
#include "cp_run.h"

#define KILL_GRACE 2.0

volatile int cp_run_stop;

struct job {
	pid_t pid;               /* 0: free slot */
	const struct cp_exp *e;  /* NULL: the baseline */
	double start;
	double termed_at;        /* when SIGTERM was sent */
	int termed;              /* SIGTERM sent (timeout or stop) */
	int timed_out;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void name_of(const struct cp_run_opts *o, const struct cp_exp *e, const char *ext,
		    char *buf, size_t room)
{
	if (e)
		snprintf(buf, room, "%s/e%u.%s", o->dir, e->id, ext);
	else
		snprintf(buf, room, "%s/baseline.s%u.%s", o->dir, o->shard_k, ext);
}

static void child(const struct cp_run_opts *o, const struct cp_exp *e)
{
	char trace[4096], out[4096], err[4096];
	char **argv = calloc((size_t)o->nrec + 64, sizeof(char *));
	int n = 0, fd;

	setpgid(0, 0);
	name_of(o, e, "trace", trace, sizeof(trace));
	name_of(o, e, "out", out, sizeof(out));
	name_of(o, e, "err", err, sizeof(err));
	if ((fd = open("/dev/null", O_RDONLY)) < 0 || dup2(fd, 0) < 0 ||
	    (fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0 || dup2(fd, 1) < 0 ||
	    (fd = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0 || dup2(fd, 2) < 0)
		_exit(126);
	if (!argv)
		_exit(126);
	argv[n++] = (char *)o->self;
	argv[n++] = "record";
	argv[n++] = "-q";
	argv[n++] = "-o";
	argv[n++] = trace;
	if (e) {
		argv[n++] = "--inject";
		argv[n++] = e->rule;
	}
	for (int i = 0; i < o->nrec; i++)
		argv[n++] = o->rec_opts[i];
	argv[n++] = "--";
	size_t base = (size_t)n, np = 0;
	while (o->prog[np])
		np++;
	char **all = realloc(argv, (base + np + 1) * sizeof(char *));
	if (!all)
		_exit(126);
	memcpy(all + base, o->prog, (np + 1) * sizeof(char *));
	if (o->before_exec)
		o->before_exec();
	execv(o->self, all);
	_exit(127);
}

static int start(struct job *j, const struct cp_run_opts *o, const struct cp_exp *e)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0)
		child(o, e);
	setpgid(pid, pid); /* also here: no race with the kill of a timeout */
	j->pid = pid;
	j->e = e;
	j->start = now();
	j->termed = j->timed_out = 0;
	return 0;
}

static int files_equal(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int eq = fa && fb, ca, cb;

	while (eq) {
		ca = getc(fa);
		cb = getc(fb);
		if (ca != cb)
			eq = 0;
		if (ca == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return eq;
}

struct ctx {
	const struct cp_run_opts *o;
	struct cp_baseline base;
	int base_exit;
	int results_fd;
	size_t done, total;
	void (*msg)(const char *fmt, ...);
};

static void classify(struct ctx *c, const struct job *j, int status, struct cp_result *r)
{
	char out[4096], bout[4096];

	if (j->timed_out) {
		snprintf(r->verdict, sizeof(r->verdict), "hang");
		snprintf(r->detail, sizeof(r->detail), "timeout %g s", c->o->timeout);
	} else if (WIFSIGNALED(status)) {
		snprintf(r->verdict, sizeof(r->verdict), "crash");
		const char *abbrev = sigabbrev_np(WTERMSIG(status));
		if (abbrev)
			snprintf(r->detail, sizeof(r->detail), "SIG%s", abbrev);
		else
			snprintf(r->detail, sizeof(r->detail), "signal %d", WTERMSIG(status));
	} else if (WEXITSTATUS(status) != c->base_exit) {
		snprintf(r->verdict, sizeof(r->verdict), "error");
		snprintf(r->detail, sizeof(r->detail), "exit %d", WEXITSTATUS(status));
	} else {
		name_of(c->o, j->e, "out", out, sizeof(out));
		name_of(c->o, NULL, "out", bout, sizeof(bout));
		snprintf(r->verdict, sizeof(r->verdict), "%s",
			 files_equal(out, bout) ? "same" : "different");
		snprintf(r->detail, sizeof(r->detail), "exit %d", WEXITSTATUS(status));
	}
}

static int finish(struct ctx *c, struct job *j, int status)
{
	const struct cp_exp *e = j->e;
	struct cp_result r;
	char trace[4096], line[4096];
	int n;

	memset(&r, 0, sizeof(r));
	r.id = e->id;
	r.secs = now() - j->start;
	classify(c, j, status, &r);
	name_of(c->o, e, "trace", trace, sizeof(trace));
	cp_outcome_read(trace, &c->base, &r);
	snprintf(r.fault, sizeof(r.fault), "%s", e->fault);
	snprintf(r.reg, sizeof(r.reg), "0x%llx/%u", (unsigned long long)e->off, e->width);
	snprintf(r.rule, sizeof(r.rule), "%s", e->rule);
	n = cp_result_format(&r, line, sizeof(line));
	if (n < 0 || write(c->results_fd, line, (size_t)n) != n) {
		c->msg("cannot write %s/results.txt: %s", c->o->dir, strerror(errno));
		return -1;
	}
	c->done++;
	if (!c->o->quiet)
		fprintf(stderr, "[%zu/%zu] %u %s %s %s\n", c->done, c->total, e->id, r.fault,
			r.verdict, r.detail);
	return 0;
}

/* A job past its time, or any job once the campaign is stopped, gets
 * SIGTERM (its process group), then SIGKILL KILL_GRACE s after that SIGTERM
 * (not after the timeout: a stop must not wait for it). */
static void police(struct job *j, double timeout)
{
	double t = now(), age = t - j->start;

	if (!j->termed && (age > timeout || cp_run_stop)) {
		j->timed_out = !cp_run_stop;
		j->termed = 1;
		j->termed_at = t;
		kill(-j->pid, SIGTERM);
	} else if (j->termed && t - j->termed_at > KILL_GRACE) {
		kill(-j->pid, SIGKILL);
	}
}

static void drop_ring(pid_t recorder)
{
	char ring[64];

	snprintf(ring, sizeof(ring), "/dev/shm/mmiotap-%d.ring", (int)recorder);
	unlink(ring); /* left behind only by a SIGKILLed recorder */
}

/* Wait for one job of js[0..n) to end: its index and status, -1 on error. */
static int reap(struct job *js, unsigned n, double timeout, int *status)
{
	struct timespec tick = { 0, 20 * 1000000L };

	for (;;) {
		for (unsigned i = 0; i < n; i++) {
			if (!js[i].pid)
				continue;
			siginfo_t si;
			si.si_pid = 0;
			/* ended? (not reaped yet: its PID, the group's ID, stays ours) */
			if (waitid(P_PID, (id_t)js[i].pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
				return -1;
			if (si.si_pid == js[i].pid) {
				kill(-js[i].pid, SIGKILL); /* what the program left running */
				/* before the reap: while the zombie holds the PID no
				 * other recorder (another shard's) can have this ring */
				drop_ring(js[i].pid);
				if (waitpid(js[i].pid, status, 0) != js[i].pid)
					return -1;
				return (int)i;
			}
			police(&js[i], timeout);
		}
		nanosleep(&tick, NULL);
	}
}

/* 'word' quoted for a POSIX shell when it needs it. */
static void put_quoted(FILE *f, const char *w)
{
	if (*w && strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
		     "@%+=:,./-_") == strlen(w)) {
		fputs(w, f);
		return;
	}
	fputc('\'', f);
	for (; *w; w++) {
		if (*w == '\'')
			fputs("'\\''", f);
		else
			fputc(*w, f);
	}
	fputc('\'', f);
}

/* DIR/command: the record options and the workload, quoted, for the
 * report's rerun commands: `mmiotap record --inject RULE <this>`; then the
 * directory the campaign ran in (PROG and its arguments may be relative). */
static int write_command(const struct cp_run_opts *o)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/command", o->dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	for (int i = 0; i < o->nrec; i++) {
		put_quoted(f, o->rec_opts[i]);
		fputc(' ', f);
	}
	fputs("--", f);
	for (char **a = o->prog; *a; a++) {
		fputc(' ', f);
		put_quoted(f, *a);
	}
	fputc('\n', f);
	char cwd[4096];
	if (getcwd(cwd, sizeof(cwd)))
		fprintf(f, "%s\n", cwd);
	return fclose(f) ? -1 : 0;
}

static int baseline(struct ctx *c)
{
	struct job j;
	int status;
	char trace[4096];

	if (start(&j, c->o, NULL) < 0 || reap(&j, 1, c->o->timeout, &status) < 0) {
		c->msg("cannot run the baseline: %s", strerror(errno));
		return -1;
	}
	if (cp_run_stop)
		return -1;
	if (j.timed_out || !WIFEXITED(status) || WEXITSTATUS(status) >= 126) {
		name_of(c->o, NULL, "err", trace, sizeof(trace));
		c->msg("the baseline run failed (%s; see %s): nothing to compare with",
		       j.timed_out ? "timeout" : WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) :
		       "exit 126/127, could not run", trace);
		return -1;
	}
	c->base_exit = WEXITSTATUS(status);
	name_of(c->o, NULL, "trace", trace, sizeof(trace));
	int rc = cp_baseline_load(trace, &c->base);
	if (rc < 0) {
		c->msg("cannot read the baseline trace %s: %s", trace, strerror(-rc));
		return -1;
	}
	if (!c->o->quiet)
		fprintf(stderr, "baseline: exit %d, %zu accesses\n", c->base_exit, c->base.n);
	return 0;
}

static int run_all(struct ctx *c, const struct cp_plan *p)
{
	struct job *js = calloc(c->o->jobs, sizeof(*js));
	size_t next = (size_t)c->o->shard_k - 1, running = 0;
	int status, rc = 0;

	if (!js)
		return -1;
	for (;;) {
		for (unsigned i = 0; i < c->o->jobs && next < p->n && !cp_run_stop && !rc; i++) {
			if (js[i].pid)
				continue;
			if (start(&js[i], c->o, &p->exp[next]) < 0) {
				c->msg("fork: %s", strerror(errno));
				rc = -1;
				break;
			}
			next += c->o->shard_n;
			running++;
		}
		if (!running)
			break;
		int i = reap(js, c->o->jobs, c->o->timeout, &status);
		if (i < 0) {
			c->msg("waitpid: %s", strerror(errno));
			rc = -1;
			break;
		}
		running--;
		if (!cp_run_stop && finish(c, &js[i], status) < 0)
			rc = -1;
		js[i].pid = 0;
	}
	free(js);
	return cp_run_stop ? -1 : rc;
}

int cp_run(const struct cp_plan *p, const struct cp_run_opts *o,
	   void (*msg)(const char *fmt, ...))
{
	struct ctx c = { .o = o, .msg = msg };
	char path[4096];
	int rc;

	if (mkdir(o->dir, 0777) < 0 && errno != EEXIST) {
		msg("cannot create %s: %s", o->dir, strerror(errno));
		return -1;
	}
	if (write_command(o) < 0) {
		msg("cannot write %s/command: %s", o->dir, strerror(errno));
		return -1;
	}
	for (size_t i = (size_t)o->shard_k - 1; i < p->n; i += o->shard_n)
		c.total++;
	snprintf(path, sizeof(path), "%s/results.txt", o->dir);
	c.results_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (c.results_fd < 0) {
		msg("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	rc = baseline(&c);
	if (!rc)
		rc = run_all(&c, p);
	if (cp_run_stop)
		msg("stopped: %zu of %zu experiments done", c.done, c.total);
	cp_baseline_free(&c.base);
	close(c.results_fd);
	return rc;
}
