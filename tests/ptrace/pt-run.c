// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pt-run.c - test driver of the ptrace tracer without the CLI: runs
 * mt_ptrace_run() and prints every event of the ring as one text line
 *   MAP PATH LEN | R|W WIDTH +OFFSET VALUE [FLAGS] | UNKNOWN ... | UNMAP | MARK TEXT
 * (the same VALUE notation as tests/ptrace/pt-families.c prints).
 *
 *   pt-run [-o FILE] [-t GLOB]... [-N] [-S] [-s] (-p PID | -- PROG ARGS)
 *     -N no default traced files, -S syscall stops instead of seccomp,
 *     -s print the tracer's statistics on stderr at the end.
 * SIGINT/SIGTERM: detach from everything. Exit: PROG's status, or 0.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mt_ptrace.h"
#include "mmiotap/rt_ring.h"

static struct mt_ring *ring;
static FILE *out;
static volatile int done;
static uint64_t start_of[65536];

static void print_ev(const struct mt_ev *ev)
{
	uint32_t id = ev->map_id & 0xffff;
	switch (ev->type) {
	case MT_EV_MAP: {
		const struct mt_ev_map *m = (const void *)ev->data;
		start_of[id] = ev->addr;
		fprintf(out, "MAP %.*s %#llx\n", m->pathlen, m->path, (unsigned long long)m->len);
		break;
	}
	case MT_EV_READ:
	case MT_EV_WRITE: {
		fprintf(out, "%c %u +%#llx ", ev->type == MT_EV_READ ? 'R' : 'W', ev->width,
			(unsigned long long)(ev->addr - start_of[id]));
		if (ev->width <= 8) {
			uint64_t v = 0;
			memcpy(&v, ev->data, ev->width);
			fprintf(out, "%#llx", (unsigned long long)v);
		} else {
			for (unsigned i = 0; i < ev->width && i < 64; i++)
				fprintf(out, "%02x", ev->data[i]);
		}
		if (ev->flags & MT_EVF_INJECTED)
			fprintf(out, " injected");
		fprintf(out, "\n");
		break;
	}
	case MT_EV_UNKNOWN:
		fprintf(out, "UNKNOWN +%#llx len %u flags %#x\n",
			(unsigned long long)(ev->addr - start_of[id]), ev->width, ev->flags);
		break;
	case MT_EV_UNMAP:
		fprintf(out, "UNMAP\n");
		break;
	case MT_EV_MARK:
		fprintf(out, "MARK %.*s\n", ev->width, (const char *)ev->data);
		break;
	}
}

static void *drain(void *arg)
{
	static uint8_t buf[1 << 20];
	struct mt_ring_reader rd = { .r = ring };
	for (;;) {
		int last = done;
		size_t n = mt_ring_get(&rd, buf, sizeof(buf), 50);
		for (size_t off = 0; off < n;) {
			const struct mt_ev *ev = (const void *)(buf + off);
			print_ev(ev);
			off += ev->size;
		}
		if (!n && last)
			break;
	}
	fflush(out);
	return arg;
}

static void on_sig(int sig)
{
	(void)sig;
	mt_ptrace_request_detach(0);
}

static void log_cb(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "pt-run: %s\n", msg);
}

int main(int argc, char **argv)
{
	const char *globs[16];
	size_t ng = 0;
	const char *outp = NULL;
	int c, stats = 0;
	struct mt_ptrace_opts o;
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.exec_errfd = -1;
	while ((c = getopt(argc, argv, "+o:t:NSsp:")) != -1) {
		switch (c) {
		case 'o': outp = optarg; break;
		case 't': if (ng < 16) globs[ng++] = optarg; break;
		case 'N': o.flags |= MT_PTRACE_NO_DEFAULTS; break;
		case 'S': o.flags |= MT_PTRACE_NO_SECCOMP; break;
		case 's': stats = 1; break;
		case 'p': o.pid = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: pt-run [-o FILE] [-t GLOB]... [-N] [-S] [-s] (-p PID | -- PROG ARGS)\n");
			return 2;
		}
	}
	if (!o.pid) {
		if (optind >= argc) {
			fprintf(stderr, "pt-run: no program\n");
			return 2;
		}
		o.argv = argv + optind;
	}
	o.globs = globs;
	o.nglobs = ng;
	o.log = log_cb;
	out = outp ? fopen(outp, "w") : stdout;
	if (!out) {
		perror("pt-run: output");
		return 2;
	}
	char rp[64];
	snprintf(rp, sizeof(rp), "/dev/shm/pt-run-%d.ring", (int)getpid());
	unlink(rp);
	int rc = mt_ring_create(rp, 4u << 20, &ring);
	if (rc) {
		fprintf(stderr, "pt-run: ring: %s\n", strerror(-rc));
		return 2;
	}
	o.ring = ring;
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	pthread_t th;
	pthread_create(&th, NULL, drain, NULL);
	int status = 0;
	struct mt_ptrace_stats st;
	rc = mt_ptrace_run(&o, &status, &st);
	done = 1;
	pthread_join(th, NULL);
	unlink(rp);
	if (rc) {
		fprintf(stderr, "pt-run: %s\n", strerror(-rc));
		return 2;
	}
	if (stats)
		fprintf(stderr,
			"pt-run: accesses %llu faults %llu stepped %llu sysstops %llu injected %llu regions %llu signals %llu\n",
			(unsigned long long)st.accesses, (unsigned long long)st.faults,
			(unsigned long long)st.stepped, (unsigned long long)st.sysstops,
			(unsigned long long)st.injected, (unsigned long long)st.regions,
			(unsigned long long)st.signals);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 0;
}
