/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * mt_ptrace.h - the out-of-process (ptrace) tracer: libmtptrace.a.
 *
 * Traces the device-memory accesses of a program it starts (any binary,
 * static or not) or of a running process it attaches to, without loading
 * anything into the program. Events go into the same shared ring as the
 * LD_PRELOAD runtime's (mmiotap/rt_ring.h), so `mmiotap record` turns them
 * into the same trace file, and `mmiotap mark` works unchanged.
 *
 * The tracer runs in the calling thread: every ptrace request must come from
 * the thread that attached, so mt_ptrace_run() does everything and returns
 * when no traced task is left (or after a detach). Library rules: returns 0
 * or a negative errno, never prints (messages through opts.log), never exits.
 */
#ifndef MMIOTAP_MT_PTRACE_H
#define MMIOTAP_MT_PTRACE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mmiotap/rt_ring.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What an --inject hook sees about the region of an access. */
struct mt_ptrace_map {
	uint32_t map_id;
	uint64_t map_offset;      /* offset of the access within the MAP record's range */
	uint64_t map_size;        /* bytes of the MAP */
	uint64_t map_phys;        /* physical address of the MAP's byte 0, 0 unknown */
	uint64_t file_offset;     /* file offset of the access */
	int pci_domain, pci_bus, pci_dev, pci_fn; /* -1 unknown */
	int bar;                  /* PCI BAR, -1 unknown */
	const char *path;
};

/*
 * Injection hook: may change *value (size bytes, little endian) and set
 * MT_EVF_DROPPED (write not performed) and MT_EVF_DELAYED (the access was
 * delayed) in *evflags. The tracer flags the access MT_EVF_INJECTED and
 * records the original value beside the new one when the value changed or
 * the write was dropped (mt_inject_flags() in mmiotap/inject.h).
 */
typedef void (*mt_ptrace_inject_fn)(void *arg, const struct mt_ptrace_map *m,
				    int is_write, void *value, unsigned size,
				    unsigned *evflags);

/* opts.flags */
#define MT_PTRACE_NO_SECCOMP 0x1u  /* spawn: stop at every syscall instead of
				    * installing the seccomp filter */
#define MT_PTRACE_NO_DEFAULTS 0x2u /* do not trace /dev/mem, /dev/uioN, PCI
				    * resourceN, VFIO: only opts.globs */

struct mt_ptrace_opts {
	size_t sz;                 /* sizeof(struct mt_ptrace_opts) */
	char *const *argv;         /* program to start (execvp), or NULL ... */
	pid_t pid;                 /* ... process to attach to (any of its tids) */
	const char *const *globs;  /* extra traced path globs (fnmatch, no flags) */
	size_t nglobs;
	unsigned flags;            /* MT_PTRACE_* */
	struct mt_ring *ring;      /* where events go; NULL: count only */
	mt_ptrace_inject_fn inject;/* may be NULL */
	void *inject_arg;
	void (*log)(void *arg, const char *msg); /* may be NULL */
	void *log_arg;
	int exec_errfd;            /* spawn: the child writes its execvp errno
				    * (an int) here on failure; -1 none */
	void (*started)(void *arg, pid_t pid); /* called once the program runs */
	void *started_arg;
	/* Called by the tracer thread before it puts an access or UNKNOWN
	 * event of process tgid at pc, the task stopped (its memory map as
	 * it is then): the caller may put events of its own into ring
	 * (MT_EV_OBJECT: the objects for the trace's symbols). Called with
	 * pc 0 once tgid ran exec(): its objects are new, even at the old
	 * addresses. May be NULL. */
	void (*code)(void *arg, pid_t tgid, uint64_t pc);
	void *code_arg;
	/* attach: objects to watch (`mmiotap watch --pid`), lines
	 * "A ADDR LEN FLAGS NAME" (hex; runtime/ptrace/pt_watch.c); NULL none */
	const char *watch;
	/* spawn: run in the child just before exec (async-signal-safe: it
	 * is a fork of a threaded process); may be NULL */
	void (*before_exec)(void);
};

struct mt_ptrace_stats {
	uint64_t accesses;        /* traced device accesses emulated */
	uint64_t faults;          /* SIGSEGV stops on traced pages */
	uint64_t stepped;         /* instructions single-stepped (UNKNOWN) */
	uint64_t sysstops;        /* syscall / seccomp stops handled */
	uint64_t injected;        /* syscalls run inside the tracee */
	uint64_t regions;         /* regions armed */
	uint64_t signals;         /* signals passed through to the program */
};

/*
 * Start opts->argv (or attach to opts->pid) and trace until every traced
 * task has exited or been detached. *status receives the wait status of the
 * started program (spawn) or of the attached process if it ended while
 * traced; it is 0 after a detach. Returns 0 or a negative errno
 * (-EPERM/-ESRCH: cannot attach; -ENOEXEC... from the spawn).
 */
int mt_ptrace_run(const struct mt_ptrace_opts *opts, int *status,
		  struct mt_ptrace_stats *stats);

/*
 * Ask the running tracer to detach from process pid (its whole thread
 * group), or from everything when pid is 0: traced pages get their
 * protection back and the process continues untraced. Async-signal-safe;
 * callable from any thread of the tracer's process. A request made before
 * mt_ptrace_run() has started (a Ctrl-C while the caller sets up) is
 * served as soon as it has; requests are cleared when the run ends.
 */
void mt_ptrace_request_detach(pid_t pid);

/* Tracer thread id of the running mt_ptrace_run(), 0 if none. */
pid_t mt_ptrace_tracer_tid(void);

#ifdef __cplusplus
}
#endif
#endif
