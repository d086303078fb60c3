/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * pt_int.h - internals of the ptrace tracer (not installed): what the files
 * of runtime/ptrace/ share. Everything runs in the one tracer thread.
 *
 *   pt_task.c    tasks and address spaces, waiting, stop bookkeeping
 *   pt_rsys.c    the tracee's memory, system calls run inside the tracee
 *   pt_region.c  traced regions: aliases, adding, cutting, arming, maps
 *   pt_gone.c    faults on regions cut while the fault waited: run again
 *   pt_mmap.c    the mmap-family system calls of the tracee
 *   pt_sysptr.c  watch --pid: futex and buffer calls on watch pages
 *   pt_event.c   events into the ring
 *   pt_emu.c     emulation context: registers, XSAVE state, memory
 *   pt_fault.c   SIGSEGV stops on traced pages, single-stepping
 *   pt_proc.c    one stop: process events, fork/clone/exec
 *   pt_detach.c  detaching from a process (requests and the detach itself)
 *   pt_run.c     session, spawn/attach, the run loop (mt_ptrace_run)
 */
#ifndef MMIOTAP_PT_INT_H
#define MMIOTAP_PT_INT_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "mmiotap/devfile.h"
#include "mmiotap/emu.h"
#include "mmiotap/rt_access.h"
#include "mmiotap/rt_retry.h"
#include "mmiotap/rt_watch.h"
#include "mt_ptrace.h"

#define PT_DCACHE_SLOTS 64

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

#define PAGE 4096ull
#define PAGE_UP(x) (((x) + PAGE - 1) & ~(PAGE - 1))
#define PAGE_DOWN(x) ((x) & ~(PAGE - 1))

/* The tracer's own mapping of a traced file range, shared by the regions
 * cut from it and by forked copies of an address space. */
struct pt_alias {
	int refs;
	uint8_t *base;
	size_t len;
};

struct pt_region {
	uint64_t start, end;     /* tracee's range (kept PROT_NONE) */
	struct pt_alias *al;
	uint64_t al_off;         /* offset of start inside al */
	uint64_t offset;         /* file offset of start */
	uint64_t phys;           /* physical address of start, 0 unknown */
	int prot;                /* protection the program asked for */
	int bar;
	uint32_t map_id;
	uint64_t map_start;      /* start of the range its MAP record described */
	uint64_t map_size;
	struct mt_pci_info pci;       /* of the MAP (phys = MAP's byte 0) */
	char *path;
	int watch;               /* a page of watched objects (pt_watch.c): map_id 0 */
	uint64_t talias;         /* watch page: the tracee's own read-write view of
				  * its memfd (futexes go there, pt_sysptr.c), 0 none */
};

/* One address space (thread group, or vfork-shared). */
struct pt_mm {
	int refs;
	pid_t tgid;
	int untraced;            /* detached in seccomp mode: only pass through */
	int detached;            /* detach_mm() ran: never again for this mm */
	uint64_t sys_insn;       /* address of a `syscall` instruction, 0 unknown */
	struct pt_region *reg;
	int nreg, capreg;
	uint32_t gen;            /* pt_gone.c: bumped by every cut */
	struct mt_watch_obj *wobj; /* pt_watch.c: watched objects (rt_watch.h) */
	int nwobj;
	uint8_t **wsnap;         /* fork child: its watch pages as they were at the
				  * fork event, one per region (pt_watch_fork) */
	struct mt_dcache dc;
	struct mt_decoded slots[PT_DCACHE_SLOTS];
};

enum pt_stop {
	PT_RUNNING = 0,
	PT_STOP_SIG,      /* signal-delivery-stop */
	PT_STOP_EVENT,    /* PTRACE_EVENT_* stop (interrupt, clone, exec...) */
	PT_STOP_SC_ENTRY, /* syscall-entry-stop or seccomp stop */
	PT_STOP_SC_EXIT,  /* syscall-exit-stop */
	PT_STOP_GROUP,    /* group-stop (listening) */
	PT_DEAD,          /* exited (status may be pending) */
};

struct pt_task {
	pid_t tid;
	pid_t tgid;              /* process id reported in events */
	struct pt_mm *mm;        /* NULL until its creator's event is seen */
	int stop;                /* enum pt_stop */
	int initial;             /* first stop not seen yet / not yet resumed */
	int interrupted;         /* PTRACE_INTERRUPT sent by stop_others/attach */
	int drop_sig;            /* detach: pending SIGSEGV was ours */
	int have_pending;        /* a stop status waiting for the main loop */
	int pending_status;
	int sc_pending;          /* syscall whose exit we must see */
	long sc_nr;
	uint64_t sc_args[6];
	int redir;               /* pt_sysptr.c: pointer arguments of the call in
				  * progress moved to watch aliases (bit per arg) */
	long redir_nr;           /* that call's number */
	uint64_t redir_orig[6];  /* their values as the program gave them */
	int redir_restart;       /* its pending restart_syscall waits on an alias */
	int deferred_sig[4];     /* signals caught during an injection */
	int ndeferred;
	int stat_fd;             /* /proc/TID/stat + 1; 0 not open, -1 unusable */
	int cpu;                 /* CPU it last ran on, -1 unknown */
	int cpu_stale;           /* resumed since cpu was read */
	uint64_t rseq_cpu;       /* address of its rseq area's cpu_id, 0 none */
	struct mt_retry retry;   /* pt_gone.c: its SIGSEGVs that found no region */
	struct pt_task *next;
};

/* ---- session (pt_run.c) ---------------------------------------------------- */

struct pt_session {
	const struct mt_ptrace_opts *o;
	int defaults;            /* trace /dev/mem, uio, resourceN, VFIO */
	int seccomp;             /* the spawned program runs under our filter */
	struct pt_task *tasks;
	pid_t main_pid;
	int main_status;
	struct mt_ptrace_stats st;
	uint32_t ring_pid, ring_tid; /* who takes the ring's order lock */
	/* XSAVE standard-format layout (CPUID leaf 0xd), read once */
	size_t xs_size;
	unsigned xoff[8];
	uint8_t *xs_buf;
};

extern struct pt_session pt;
extern volatile pid_t pt_tracer_tid;
/* Wakes the tracer thread out of waitpid: empty handler, no SA_RESTART. */
#define PT_WAKE_SIG SIGURG

void pt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- tasks, address spaces, stops (pt_task.c) ------------------------------ */

struct pt_task *pt_task_find(pid_t tid);
struct pt_task *pt_task_new(pid_t tid, struct pt_mm *mm, pid_t tgid);
void pt_task_del(struct pt_task *t);
int pt_task_cpu(struct pt_task *t);
pid_t pt_read_tgid(pid_t tid);
struct pt_mm *pt_mm_new(pid_t tgid);
void pt_mm_put(struct pt_mm *mm);

/* Wait for a stop or the end of one task: the waitpid status or -errno. */
int pt_wait_task(pid_t tid);
int pt_is_stop_signal(int sig);
/* Classify a stop into t->stop (PT_STOP_*). */
void pt_classify(struct pt_task *t, int status);
/* The PTRACE_EVENT_* of u's pending stop status, 0 if none. */
int pt_pending_event(const struct pt_task *u);
/* The PTRACE_EVENT_* stopped task tid reports: 0 for a signal-delivery or
 * syscall stop, -1 if unknown. */
int pt_stop_event(pid_t tid);
/* Keep a signal that arrived while we ran something in the tracee, and
 * queue them again (tgkill; their siginfo is lost). */
void pt_defer_signal(struct pt_task *t, int sig);
void pt_requeue_deferred(struct pt_task *t);
/* Wait for u's next stop and keep it, classified, as its pending status;
 * -1 (u marked PT_DEAD) when u is gone. */
int pt_take_stop(struct pt_task *u);
/* A task's stop after we resumed it ourselves (step, injected syscall):
 * the status, or -1 when it is gone (PT_DEAD, its status kept pending). */
int pt_own_stop(struct pt_task *t);
void pt_collect_interrupt_stops(void);
void pt_stop_others(struct pt_mm *mm, struct pt_task *except);
void pt_resume_others(struct pt_mm *mm);
int pt_resume(struct pt_task *t, int sig);

/* ---- the tracee's memory and system calls (pt_rsys.c) ----------------------- */

/* 0 or -EFAULT; *done (may be NULL) gets the bytes transferred. */
int pt_rmem_read(pid_t pid, uint64_t addr, void *buf, size_t n, size_t *done);
int pt_rmem_write(pid_t pid, uint64_t addr, const void *buf, size_t n, size_t *done);
/* 1 if stopped task t is in the delivery stop of a SIGSEGV of a traced page. */
int pt_own_fault(struct pt_task *t);
/* 1 if a system call can be run in stopped task t. */
int pt_rsys_safe(const struct pt_task *t);
/* Run syscall nr(a0..a3) inside stopped task t; its result, or -1 with our
 * own failure's -errno in *err. The task's registers are restored. */
long pt_rsys(struct pt_task *t, long nr, uint64_t a0, uint64_t a1, uint64_t a2,
	     uint64_t a3, int *err);
int pt_remote_mprotect(struct pt_task *t, uint64_t a, uint64_t len, int prot);
/* pt_rsys() with six arguments. */
long pt_rsys6(struct pt_task *t, long nr, const uint64_t a[6], int *err);

/* ---- regions (pt_region.c) -------------------------------------------------- */

struct pt_region *pt_region_find(struct pt_mm *mm, uint64_t a);
/* Start of the first region above a (below limit), else limit. */
uint64_t pt_region_next(struct pt_mm *mm, uint64_t a, uint64_t limit);
int pt_overlaps(struct pt_mm *mm, uint64_t a, uint64_t len);
void pt_region_free(struct pt_region *r);
int pt_region_add(struct pt_task *t, uint64_t start, uint64_t end, uint64_t offset,
		  int prot, const char *path, const char *open_path);
void pt_region_cut(struct pt_task *t, struct pt_mm *mm, uint64_t a, uint64_t b,
		   int restore, int unmap_ev);
void pt_region_set_prot(struct pt_mm *mm, uint64_t a, uint64_t b, int prot);
/* A watch page [start, end) of t's address space, already swapped for a
 * memfd's page in the tracee (pt_watch.c): its alias through open_path,
 * map id 0, no MAP. */
struct pt_region *pt_region_add_watch(struct pt_task *t, uint64_t start, uint64_t end,
				      int prot, const char *open_path, int *err);

/* ---- watched objects (pt_watch.c) ------------------------------------------- */

/* Arm the objects of spec (lines "A ADDR LEN FLAGS NAME", hex) in stopped
 * task t's address space; each refusal is logged. Returns how many. */
int pt_watch_arm(struct pt_task *t, const char *spec);
/* fork: a copy of each watch page for child mm (at the parent's fork
 * event), and, before the child first runs, those copies put in place
 * as its own private pages, its watch regions dropped (it runs unwatched,
 * as under the preload runtime). */
void pt_watch_fork(struct pt_mm *child);
void pt_watch_child_start(struct pt_task *c);
/* Detach: the watch pages private again, contents kept (t: stopped,
 * can run system calls). */
void pt_watch_detach(struct pt_task *t, struct pt_mm *mm);
/* The piece of watch region r holding addr (rt_access.h's region callback). */
void pt_watch_piece(const struct pt_mm *mm, const struct pt_region *r, uint64_t addr,
		    int is_write, struct mt_acc_region *ar);
/* pt_gone.c: a range of mm stopped being traced (a new generation); whether
 * t's SIGSEGV at addr, in no region, should run the instruction again (its
 * region may have gone away since the fault) rather than be the program's
 * (rt_retry.h). */
void pt_region_gone(struct pt_mm *mm);
int pt_region_retry(struct pt_task *t, uint64_t addr);
void pt_scan_maps(struct pt_task *t, uint64_t lo, uint64_t hi);
struct pt_mm *pt_mm_copy(struct pt_mm *src, pid_t tgid);

/* ---- system calls given a pointer into a watch page (pt_sysptr.c) ---------- */

/* At syscall-entry stop of t (nr, args a): futex words on a watch page
 * moved to the page's alias in the tracee (registers changed, kept in
 * t->redir); at its exit stop, the program's registers back. */
void pt_sysptr_entry(struct pt_task *t, long nr, const uint64_t *a);
void pt_sysptr_exit(struct pt_task *t, int64_t rval);
/* Every task of mm stopped: pages were just armed (arm = 1) or are about
 * to be disarmed (arm = 0). A futex wait on one of them that the stop
 * interrupted and that would restart through restart_syscall (with the
 * address it had) returns 0 instead, a spurious wake-up; at a disarm the
 * registers of a redirected call are the program's again. */
void pt_sysptr_settle(struct pt_mm *mm, int arm);

/* ---- mmap-family system calls (pt_mmap.c) ----------------------------------- */

int pt_sc_interesting(struct pt_task *t, long nr, const uint64_t *a);
void pt_sc_exit(struct pt_task *t, int64_t rval, int is_error);

/* ---- events (pt_event.c) ---------------------------------------------------- */

uint32_t pt_new_map_id(void);
void pt_emit_map(struct pt_task *t, const struct pt_region *r, const struct mt_pci_info *pi);
/* The MAP of a watched object (source watch: name, virtual address). */
void pt_emit_watch_map(struct pt_task *t, uint64_t start, uint64_t end, uint32_t map_id,
		       const char *name);
void pt_code_exec(struct pt_task *t);
void pt_emit_simple(int type, struct pt_task *t, uint32_t map_id, uint64_t addr,
		    uint64_t pc, const void *data, unsigned len, unsigned flags);
/* An R/W event built by runtime/common/access.c: pid, tid, cpu, numbered, put. */
void pt_put_access(struct pt_task *t, struct mt_ev *ev);

/* ---- emulation context (pt_emu.c) ------------------------------------------- */

struct pt_ectx {
	struct mt_acc acc;       /* memory (pc; denied: the program's own fault); first:
				  * mt_acc_emu_read/write are the memory callbacks */
	struct pt_task *t;
	struct pt_mm *mm;
	int xs_loaded, xs_dirty;
	size_t xs_len;
	int dev_code;            /* acc.devfault: the SIGBUS's si_code */
	unsigned nput;           /* events put (a watch page: none means a silent access) */
};

extern const struct mt_emu_ops pt_emu_ops;
/* The context of stopped task t's instruction at pc. */
void pt_ectx_init(struct pt_ectx *c, struct pt_task *t, uint64_t pc);
void pt_xs_layout(void);
/* Write the tracee's XSAVE state back if the instruction changed it. */
void pt_xs_store(struct pt_ectx *c);
void pt_regs_to_cpu(const struct user_regs_struct *u, struct mt_cpu *c);
void pt_cpu_to_regs(const struct mt_cpu *c, struct user_regs_struct *u);

/* The device access on the tracer's alias p of tracee address addr
 * (pt_devsafe.c): 0, or -EFAULT when it raised SIGBUS (a truncated file,
 * a device gone), with the tracee's address of the byte and si_code. */
int pt_dev_safe(uint64_t addr, volatile uint8_t *p, void *val, unsigned size, int is_write,
		uint64_t *fault, int *code);

/* ---- faults (pt_fault.c) ---------------------------------------------------- */

/* A SIGSEGV stop: 1 if it was ours (handled, task resumed). */
int pt_handle_fault(struct pt_task *t);

/* ---- stops and process events (pt_proc.c) ----------------------------------- */

void pt_on_new_child(struct pt_task *t, int ev);
void pt_handle_status(pid_t pid, int status);

/* ---- detach (pt_detach.c) --------------------------------------------------- */

/* A stopped task of mm in which system calls can be run, or NULL. */
struct pt_task *pt_pick_rsys(struct pt_mm *mm);
int pt_detach_requested(void);
void pt_process_detach(void);
void pt_detach_requests_clear(void);

#endif
