// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ptrace_record.c - the ptrace backend of `mmiotap record`:
 *   mmiotap record --ptrace [opts] -- PROG ARGS   (any binary, static too)
 *   mmiotap record --pid PID [opts]               (attach to a running process)
 *
 * cli/record.c owns the options, the ring and the trace file; it calls
 * mt_record_ptrace_start() instead of starting PROG with LD_PRELOAD, and
 * mt_record_ptrace_poll() instead of waitpid(). The tracer (libmtptrace.a)
 * runs in its own thread (every ptrace request must come from the thread
 * that attached) and puts its events into the same ring, so record.c's
 * drain loop, `mmiotap mark` and the trace format are shared unchanged.
 * --inject rules are applied by the rule engine the preload runtime uses
 * (mmiotap/rt_inject.h over format's mt_inject_apply()).
 *
 * Signals: SIGINT, SIGTERM and SIGHUP detach from everything (the traced
 * program keeps running untraced); SIGUSR1 carrying a pid in si_value
 * (sent by `mmiotap stop PID`) detaches from that process only.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "mmiotap/rt_inject.h"
#include "mt_ptrace.h"
#include "ptrace_record.h"
#include "mmiotap/rt_ring.h"
#include "mmiotap/sym.h"

static struct {
	struct mt_ptrace_opts o;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started, finished, rc, status;
	/* --inject: the rule engine shared with the preload runtime */
	struct mt_rt_rules *rules;
	/* per map id: mask of the rules that target it (computed at its first access) */
	struct pt_map_rules {
		uint32_t map_id;
		uint64_t mask;
	} *maps;
	unsigned nmaps;
	struct mt_objtrack *objs; /* the tracer thread's: objects put into the ring */
	uint32_t fresh;           /* the next object of this process is its image's
				   * first (NEWIMAGE): 0 none */
} R = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

/* An object of a traced process as an MT_EV_OBJECT event (record_conv.c
 * makes it an OBJECT record). It takes no sequence number: it carries the
 * next event's. */
static int put_object(void *arg, const struct mt_object_info *oi,
		      const struct mt_obj_range *r)
{
	struct mt_ring *ring = arg;
	union {
		struct mt_ev ev;
		uint64_t align;
		uint8_t b[MT_EV_MAX];
	} u;
	struct mt_ev_object *o = (struct mt_ev_object *)u.ev.data;
	unsigned n = oi->nranges > MT_EV_OBJ_RANGES_MAX ? MT_EV_OBJ_RANGES_MAX : oi->nranges;
	size_t sz = sizeof(struct mt_ev) + sizeof(*o) + 24u * n + oi->build_id_len + oi->path_len;
	if (sz > MT_EV_MAX)
		return 0;
	memset(u.b, 0, (sz + 7) & ~(size_t)7);
	u.ev.type = MT_EV_OBJECT;
	u.ev.size = (uint16_t)((sz + 7) & ~(size_t)7);
	u.ev.pid = oi->pid;
	u.ev.cpu = ~0u;
	if (R.fresh && R.fresh == oi->pid) { /* what the recorder knew of it is stale */
		u.ev.flags |= MT_EVF_NEWIMAGE;
		R.fresh = 0;
	}
	o->bias = oi->bias;
	o->nranges = (uint16_t)n;
	o->build_id_len = oi->build_id_len;
	o->pathlen = oi->path_len;
	for (unsigned i = 0; i < n; i++) {
		o->ranges[3 * i] = r[i].start;
		o->ranges[3 * i + 1] = r[i].end;
		o->ranges[3 * i + 2] = r[i].file_offset;
	}
	uint8_t *tail = (uint8_t *)(o->ranges + 3 * n);
	memcpy(tail, oi->build_id, oi->build_id_len);
	memcpy(tail + oi->build_id_len, oi->path, oi->path_len);
	mt_ring_lock(ring, (uint32_t)getpid(), (uint32_t)gettid());
	u.ev.seq = ring->h->seq;
	u.ev.ts = mt_ring_now();
	mt_ring_put(ring, &u.ev);
	mt_ring_unlock(ring);
	return 0;
}

/* The tracer, about to put an event at pc of tgid (stopped): its objects. */
static void code_cb(void *arg, pid_t tgid, uint64_t pc)
{
	(void)arg;
	if (R.objs && !pc) { /* it ran exec() */
		mt_objtrack_forget(R.objs, (uint32_t)tgid);
	} else if (R.objs && R.o.ring) {
		/* nothing known of it (new, or since its exec): the first object
		 * put tells the recorder to forget what it knew of the pid */
		R.fresh = mt_objtrack_has_pid(R.objs, (uint32_t)tgid) ? 0 : (uint32_t)tgid;
		mt_objtrack_pc(R.objs, (uint32_t)tgid, pc, 0, 0, put_object, R.o.ring);
		R.fresh = 0;
	}
}

static void log_cb(void *arg, const char *msg)
{
	(void)arg;
	error_msg("ptrace: %s", msg);
}

static void started_cb(void *arg, pid_t pid)
{
	(void)arg;
	(void)pid;
	pthread_mutex_lock(&R.mu);
	R.started = 1;
	pthread_cond_broadcast(&R.cv);
	pthread_mutex_unlock(&R.mu);
}

static struct pt_map_rules *rules_of(const struct mt_ptrace_map *m)
{
	for (unsigned i = 0; i < R.nmaps; i++)
		if (R.maps[i].map_id == m->map_id)
			return &R.maps[i];
	struct pt_map_rules *n = realloc(R.maps, (R.nmaps + 1) * sizeof(*n));
	if (!n)
		return NULL;
	R.maps = n;
	struct pt_map_rules *e = &R.maps[R.nmaps++];
	struct mt_pci_info pi = {
		.dom = m->pci_domain, .bus = m->pci_bus, .dev = m->pci_dev, .fn = m->pci_fn,
		.bar = m->bar, .phys = m->map_phys,
	};
	e->map_id = m->map_id;
	e->mask = mt_rt_rules_match(R.rules, m->path, &pi, m->map_size);
	return e;
}

/* Runs in the tracer thread, with the traced thread stopped. */
static void inject_cb(void *arg, const struct mt_ptrace_map *m, int is_write, void *value,
		      unsigned size, unsigned *evflags)
{
	(void)arg;
	struct pt_map_rules *mr = rules_of(m);
	if (mr && mr->mask)
		*evflags |= mt_rt_rules_apply(R.rules, mr->mask, m->map_phys, m->map_offset,
					      is_write, value, size);
}

static void on_detach_sig(int sig)
{
	(void)sig;
	mt_ptrace_request_detach(0);
}

static void on_stop_sig(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_code == SI_QUEUE)
		mt_ptrace_request_detach((pid_t)si->si_value.sival_int);
	else
		mt_ptrace_request_detach(0);
}

static void *tracer_thread(void *arg)
{
	(void)arg;
	int status = 0;
	int rc = mt_ptrace_run(&R.o, &status, NULL);
	mt_objtrack_free(R.objs);
	R.objs = NULL;
	pthread_mutex_lock(&R.mu);
	R.rc = rc;
	R.status = status;
	R.finished = 1;
	pthread_cond_broadcast(&R.cv);
	pthread_mutex_unlock(&R.mu);
	return NULL;
}

int mt_record_ptrace_start(const struct mt_record_ptrace_args *a)
{
	memset(&R.o, 0, sizeof(R.o));
	R.o.sz = sizeof(R.o);
	R.o.argv = a->pid > 0 ? NULL : a->argv;
	R.o.pid = a->pid;
	R.o.globs = a->globs;
	R.o.nglobs = a->nglobs;
	R.o.flags = (a->no_defaults ? MT_PTRACE_NO_DEFAULTS : 0) |
		    (a->no_seccomp ? MT_PTRACE_NO_SECCOMP : 0);
	R.o.ring = a->ring;
	R.o.log = a->verbose ? log_cb : NULL;
	R.o.started = started_cb;
	R.o.exec_errfd = -1;
	R.objs = mt_objtrack_new();
	R.o.code = code_cb;
	R.o.before_exec = mt_cli_sigchld_restore;
	R.o.watch = a->watch;

	if (a->nrules) {
		R.rules = calloc(1, sizeof(*R.rules));
		if (!R.rules) {
			error_msg("out of memory");
			return -ENOMEM;
		}
		for (unsigned i = 0; i < a->nrules; i++) {
			struct mt_rule_error e;
			memset(&e, 0, sizeof(e));
			int rc = mt_rt_rules_add(R.rules, a->rules[i], &e);
			if (rc == -E2BIG) {
				error_msg("--inject: at most %d rules", MT_RT_MAX_RULES);
				return rc;
			}
			if (rc) {
				error_msg("--inject '%s': column %u: %s", a->rules[i], e.column, e.msg);
				return rc;
			}
		}
		R.o.inject = inject_cb;
	}

	int pfd[2] = { -1, -1 };
	if (R.o.argv) {
		if (pipe2(pfd, O_CLOEXEC) < 0) {
			perror_msg("pipe");
			return -errno;
		}
		R.o.exec_errfd = pfd[1];
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_detach_sig;
	/* SIGHUP we were started with ignored (nohup) stays ignored; SIGINT
	 * and SIGTERM always end the recording (a background job's SIGINT is
	 * ignored by the shell: `kill -INT` must still stop us) */
	static const int det_sigs[] = { SIGINT, SIGTERM, SIGHUP };
	for (size_t i = 0; i < sizeof(det_sigs) / sizeof(det_sigs[0]); i++) {
		struct sigaction old;
		sigaction(det_sigs[i], NULL, &old);
		if (det_sigs[i] != SIGHUP || (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_IGN)
			sigaction(det_sigs[i], &sa, NULL);
	}
	sa.sa_handler = NULL;
	sa.sa_sigaction = on_stop_sig;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);

	int rc = pthread_create(&R.th, NULL, tracer_thread, NULL);
	if (rc) {
		errno_msg(-rc, "cannot start the tracer thread");
		return -rc;
	}
	pthread_mutex_lock(&R.mu);
	while (!R.started && !R.finished)
		pthread_cond_wait(&R.cv, &R.mu);
	int failed = R.finished && R.rc;
	rc = R.rc;
	pthread_mutex_unlock(&R.mu);
	if (failed) {
		if (pfd[0] >= 0)
			close(pfd[0]);
		if (a->pid > 0)
			errno_msg(-rc, "cannot attach to process %d%s", (int)a->pid,
				  rc == -EPERM ? " (need root or CAP_SYS_PTRACE; "
						 "see /proc/sys/kernel/yama/ptrace_scope)" : "");
		else
			errno_msg(-rc, "cannot start %s under ptrace", a->argv[0]);
		pthread_join(R.th, NULL);
		return rc;
	}
	if (pfd[0] >= 0) {
		int e = 0;
		if (read(pfd[0], &e, sizeof(e)) == sizeof(e))
			errno_msg(-e, "cannot run %s", a->argv[0]);
		close(pfd[0]);
	}
	return 0;
}

int mt_record_ptrace_poll(int *status, int timeout_ms)
{
	pthread_mutex_lock(&R.mu);
	if (!R.finished && timeout_ms > 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		ts.tv_sec += timeout_ms / 1000 + ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&R.cv, &R.mu, &ts);
	}
	int fin = R.finished;
	if (fin)
		*status = R.status;
	pthread_mutex_unlock(&R.mu);
	if (fin)
		pthread_join(R.th, NULL);
	return fin;
}
