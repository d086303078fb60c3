/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* internal.h - shared state of the preload runtime (not installed). */
#ifndef MMIOTAP_PRELOAD_INTERNAL_H
#define MMIOTAP_PRELOAD_INTERNAL_H

#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <ucontext.h>

#include "mmiotap/devfile.h"
#include "mmiotap/emu.h"
#include "mmiotap/mmiotap.h"
#include "mmiotap/rt_access.h"
#include "mmiotap/rt_retry.h"
#include "mmiotap/rt_ring.h"
#include "mmiotap/rt_watch.h"
#include "mmiotap/xrun.h"

#define MT_HIDDEN __attribute__((visibility("hidden")))
#define MT_EXPORT __attribute__((visibility("default")))

#define MT_MAX_REGIONS 1024
#define MT_MAX_PROBES 64
#define MT_DCACHE_SLOTS 32

struct mt_region {
	uintptr_t start, end;   /* program's (PROT_NONE) range */
	uint8_t *alias;         /* accessible alias of the same memory */
	uint64_t offset;        /* file offset of start */
	int prot;               /* the protection the program asked for */
	uint32_t map_id;        /* 0: not recorded (probe-only, no recording) */
	uintptr_t map_start;    /* program address of the whole mapping's byte 0 */
	uint64_t map_phys;      /* physical address of map_start, 0 unknown */
	uint64_t rule_mask;     /* --inject rules that target this mapping */
	int16_t replay_dev;     /* replay table device answering it, -1 none (replay.c) */
	uint8_t probe_owned;    /* alias made for a probe (mremap dup) */
	uint8_t watch;          /* pages of watched objects (watch.c): the
				 * program's pages are a memfd's, alias the same */
	uint8_t used;
};

/* Watched objects (watch.c): the table the access path cuts pages by
 * (rt_watch.h: start, end, map id (0: none), MMIOTAP_WATCH_* flags), and
 * their names, at the same index. */
#define MT_MAX_WATCH 1024
#define MT_WATCH_NAME 96

struct mt_probe_slot {
	uintptr_t start, end;
	struct mmiotap_probe *p;
};

/* A fault the CPU raised on the program's memory while we copied it
 * (safecopy.c), as the program's handler is to see it. */
struct mt_fault {
	int sig, code;
	void *addr;
	long err, trapno;
};

struct mt_tls {
	struct mt_dcache dc;
	uint32_t tid;
	int in_handler;         /* inside on_segv() (its own faults are not caught) */
	int resend;             /* a SIGSEGV/SIGBUS kill()ed meanwhile, sent again after */
	int sc_active;          /* inside mt_safe_copy() */
	struct mt_fault sc_fault; /* its last fault, or mt_dev_safe()'s */
	int dev_active;         /* inside mt_dev_safe()'s access of */
	uintptr_t dev_lo;       /* ... dev_len bytes at dev_lo (the alias) */
	unsigned dev_len;
	sigjmp_buf dev_jb;      /* where its fault returns */
	struct mt_retry retry;  /* gone.c: its faults that found no region */
	int bp_patched;         /* the faulting instruction read from its file (origcode.c) */
	int step_active;
	int nstep;
	struct mt_region *step_regs[4];
	sigset_t step_saved_mask;
	struct mt_xstate xst;
	struct mt_decoded slots[MT_DCACHE_SLOTS];
};

/* real libc functions */
struct mt_real {
	void *(*mmap)(void *, size_t, int, int, int, off_t);
	int (*munmap)(void *, size_t);
	void *(*mremap)(void *, size_t, size_t, int, ...);
	int (*mprotect)(void *, size_t, int);
	int (*sigaction)(int, const struct sigaction *, struct sigaction *);
	int (*open)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	pid_t (*fork)(void);
	int (*execve)(const char *, char *const[], char *const[]);
	int (*execvpe)(const char *, char *const[], char *const[]);
	int (*sigprocmask)(int, const sigset_t *, sigset_t *);
	int (*pthread_sigmask)(int, const sigset_t *, sigset_t *);
};

extern MT_HIDDEN struct mt_real mt_real;
extern MT_HIDDEN struct mt_ring *mt_ring;      /* shared ring, or NULL */
extern MT_HIDDEN struct mt_ring mt_local_lock; /* lock when no ring */
extern MT_HIDDEN struct mt_region mt_regions[MT_MAX_REGIONS];
extern MT_HIDDEN int mt_nregions;              /* highest used index + 1 */
extern MT_HIDDEN struct mt_probe_slot mt_probes[MT_MAX_PROBES];
extern MT_HIDDEN int mt_nprobes;
extern MT_HIDDEN pid_t mt_pid;
extern MT_HIDDEN int mt_handlers_installed;

void mt_resolve_real(void) MT_HIDDEN;
/* lock.c: the order lock (the ring's, or mt_local_lock). */
struct mt_ring *mt_lockp(void) MT_HIDDEN;
/* Normal context: block signals + take the order lock. */
void mt_glock(sigset_t *old) MT_HIDDEN;
void mt_gunlock(const sigset_t *old) MT_HIDDEN;
/* In the handler (signals blocked by the handler's mask). */
void mt_hlock(void) MT_HIDDEN;
void mt_hunlock(void) MT_HIDDEN;
/* This thread holds the lock for a fork() of this process: the calls
 * above do nothing (see lock.c). */
int mt_fork_holds(void) MT_HIDDEN;
void mt_fork_register(void) MT_HIDDEN; /* the pthread_atfork handlers */

/* pidns.c: PIDs in the ring mean the recorder's namespace's tasks. At
 * start: 1 (message printed) if this process must not use ring r. In a
 * child (before anything else it does under the lock): stop using the
 * ring if the namespace differs; then (lock free, our child handler) give
 * the mappings back and say so. */
int mt_pidns_refuse(struct mt_ring *r) MT_HIDDEN;
void mt_pidns_child(void) MT_HIDDEN;
void mt_pidns_child_refuse(void) MT_HIDDEN;
uint32_t mt_gettid(void) MT_HIDDEN;
struct mt_tls *mt_tls_get(void) MT_HIDDEN;
uint64_t mt_now(void) MT_HIDDEN;
int mt_install_handlers(void) MT_HIDDEN;

/* regions (lock held) */
struct mt_region *mt_region_find(uintptr_t addr) MT_HIDDEN;
/* Start of the first region above addr and below limit, else limit. */
uintptr_t mt_region_next(uintptr_t addr, uintptr_t limit) MT_HIDDEN;
struct mt_region *mt_region_add(void) MT_HIDDEN;
/* Remove [a, b) from the traced set (lock held): unmaps alias parts, emits
 * UNMAP, splits regions. restore: give the program pages back their prot. */
void mt_region_cut(uintptr_t a, uintptr_t b, int restore) MT_HIDDEN;
/* gone.c (lock held): a range stopped being traced (a new generation);
 * whether a fault at addr that found no region should run the instruction
 * again (its region may have gone away since the fault) rather than be the
 * program's (rt_retry.h). */
void mt_region_gone(void) MT_HIDDEN;
int mt_region_retry(struct mt_tls *t, uintptr_t addr) MT_HIDDEN;

/* objects.c (lock not held): MT_EV_OBJECT events for objects not sent yet */
void mt_objects_emit(void) MT_HIDDEN;
/* Put an event that takes no sequence number (OBJECT, FILE): it carries
 * the next event's; pid, tid, cpu, seq and ts filled in here. */
struct mt_ev;
void mt_put_unnumbered(struct mt_ev *ev) MT_HIDDEN;

/* events (lock held) */
void mt_emit_map(const struct mt_region *r, const char *path, uint64_t pc) MT_HIDDEN;
/* crashmark.c: a MARK naming the fault that is about to kill the program. */
void mt_crash_mark(int sig, const siginfo_t *si, const ucontext_t *uc) MT_HIDDEN;
void mt_emit_simple(int type, uint32_t map_id, uint64_t addr, uint64_t pc,
		    const void *data, unsigned len, unsigned flags) MT_HIDDEN;

/* injection (inject.c) */
int mt_rt_inject_init(const char *rules) MT_HIDDEN;
/* Which rules target a mapping (bit i = rule i). */
uint64_t mt_rt_inject_match(const char *path, const struct mt_pci_info *pi,
			    uint64_t size) MT_HIDDEN;
/* Apply rules `mask` (a region's rule_mask) to one access (lock held) at
 * offset off of a map at physical address map_phys; may change value.
 * Returns MT_EVF_DROPPED / MT_EVF_DELAYED (mt_rt_rules_apply). */
unsigned mt_rt_inject_apply(uint64_t mask, uint64_t map_phys, uint64_t off, int is_write,
			    void *value, unsigned size) MT_HIDDEN;

void mt_debug(const char *msg) MT_HIDDEN;

/* preload.c, for watch.c (lock held) */
uint32_t mt_new_map_id(void) MT_HIDDEN;
struct mt_region *mt_arm(void *p, size_t len, int prot, int fd, off_t off, const char *name,
			 int record, uint64_t pc) MT_HIDDEN;
void mt_emit_watch_map(const struct mt_watch_obj *w, uint64_t pc) MT_HIDDEN;

/* watch.c: watched objects of ordinary memory (`mmiotap watch`) */
extern MT_HIDDEN struct mt_watch_obj mt_watch_objs[MT_MAX_WATCH];
extern MT_HIDDEN char mt_watch_names[MT_MAX_WATCH][MT_WATCH_NAME];
extern MT_HIDDEN int mt_nwatches;
/* At start (lock free): the objects MMIOTAP_WATCH names; again after each
 * dlopen for symbols not found yet. */
void mt_watch_env(const char *spec) MT_HIDDEN;
void mt_watch_resolve_pending(void) MT_HIDDEN;
extern MT_HIDDEN void *(*mt_dl_real)(const char *, int); /* libc's dlopen */
void *mt_dlopen_slow(const char *file, int mode) MT_HIDDEN;
void mt_dl_resolve(void) MT_HIDDEN;
/* In the handler (lock held): the piece of watch region r at addr, for an
 * access of this kind (rt_access.h's region callback). */
void mt_watch_piece(const struct mt_region *r, uint64_t addr, int is_write,
		    struct mt_acc_region *ar) MT_HIDDEN;
/* The watched object with this map id, or at this address (NULL: none). */
const struct mt_watch_obj *mt_watch_by_id(uint32_t map_id) MT_HIDDEN;
const struct mt_watch_obj *mt_watch_at(uintptr_t addr) MT_HIDDEN;
/* A watch page kept while its region goes (lock held): made private. */
int mt_watch_unshare(const struct mt_region *r) MT_HIDDEN;
void mt_watch_cut(uintptr_t a, uintptr_t b) MT_HIDDEN;
/* An instruction touched watched pages but no watched byte. */
void mt_watch_count_silent(void) MT_HIDDEN;
/* fork (lock held from prepare to parent/child): the child gets private
 * copies of the watched pages as they were at fork, and runs unwatched. */
void mt_watch_fork_prepare(void) MT_HIDDEN;
void mt_watch_fork_parent(void) MT_HIDDEN;
void mt_watch_fork_child(void) MT_HIDDEN;
/* sud.c: system calls while pages are watched (Syscall User Dispatch).
 * Before the first watch is armed (lock free): turned on, for every
 * thread. mt_sud_is_active(): it was. */
void mt_sud_activate(void) MT_HIDDEN;
int mt_sud_is_active(void) MT_HIDDEN;
void mt_sud_fork_child(void) MT_HIDDEN;
/* A raw system call of the runtime's (-errno on failure). */
long mt_sud_sys(long nr, long a, long b, long c, long d) MT_HIDDEN;
/* origcode.c: n bytes of code at addr from the file it is mapped from
 * (a debugger's int3 there): n, or 0. */
size_t mt_orig_code(uint64_t addr, uint8_t *bytes, size_t n) MT_HIDDEN;
void mt_prog_sigaction_init(int sig, const struct sigaction *act) MT_HIDDEN;
/* preload.c: SIGSEGV, SIGBUS, SIGTRAP, SIGSYS (taken synchronously, never
 * to be blocked by a handler's sa_mask): whether m has one; out of m. */
int mt_sync_in(const sigset_t *m) MT_HIDDEN;
void mt_sync_drop(sigset_t *m) MT_HIDDEN;
/* sysptr.c (lock held): a watch page [s, e) armed (add) or gone; its
 * alias going away: 1 if a system call still uses it (not to be unmapped
 * by the caller); the child of fork: none. */
void mt_sysptr_page(uintptr_t s, uintptr_t e, int add) MT_HIDDEN;
void mt_sysptr_wake_page(uintptr_t s, uintptr_t e) MT_HIDDEN;
int mt_sysptr_alias_gone(void *alias, size_t len) MT_HIDDEN;
void mt_sysptr_reset(void) MT_HIDDEN;
/* sysptr.c and sysvec.c, in the SIGSYS handler: whether [a, a+len)
 * touches a watch page (lock-free, errs towards yes); n bytes between the
 * program's memory at addr and buf, watched pages through their alias,
 * watched bytes recorded (lock held; 0 or -EFAULT); the same taking the
 * lock if needed; the largest buffer copied. sud.c: run a call from the
 * exempt range with the program's mask. sysvec.c: the iovec and msghdr
 * calls. */
#define MT_SYS_MAX_BOUNCE (64ul << 20)
int mt_sys_touches(uintptr_t a, size_t len) MT_HIDDEN;
int mt_sysmem(struct mt_tls *t, uintptr_t addr, uint8_t *buf, size_t n, int to_prog,
	      uint64_t pc, unsigned *nput) MT_HIDDEN;
int mt_sysptr_copy(ucontext_t *uc, uintptr_t addr, void *buf, size_t n, int to_prog) MT_HIDDEN;
long mt_sud_run_here(ucontext_t *uc, long nr, const long a[6]) MT_HIDDEN;
extern MT_HIDDEN long (*mt_sud_raw)(long, long, long, long, long, long, long);
int mt_sys_iov(ucontext_t *uc, long nr, long a[6], long *res) MT_HIDDEN;
int mt_sys_msg(ucontext_t *uc, long nr, long a[6], long *res) MT_HIDDEN;
/* replay.c: `mmiotap replay` (MT_ENV_REPLAY): the recording answers. */
void mt_replay_init(const char *table_path) MT_HIDDEN;
/* Say why and _exit(127): the program must not run without the replay. */
void mt_replay_refuse(const char *why) MT_HIDDEN __attribute__((noreturn));
int mt_replay_active(void) MT_HIDDEN;
/* execve of a program the runtime would not be in (static, set-id). */
int mt_replay_exec_refused(const char *path) MT_HIDDEN;
int mt_replay_dev_of(const char *path) MT_HIDDEN;
/* -2: not a replayed file; else a memfd standing for it, or -1 + errno. */
int mt_replay_open(const char *path, int flags) MT_HIDDEN;
int mt_replay_openat(int dirfd, const char *path, int flags, char *abs, size_t n) MT_HIDDEN;
void mt_replay_identify(int dev, uint64_t off, struct mt_pci_info *pi) MT_HIDDEN;
int mt_replay_access(const struct mt_region *r, uint64_t addr, void *val, unsigned size,
		     int is_write) MT_HIDDEN;
/* A divergence in --on-diverge stop mode: the handler ends the process
 * once it has released the lock. */
extern MT_HIDDEN volatile int mt_replay_stop_pending;

/* fsrec.c, fswrap.c: the files describing a device (FILE records). */
extern MT_HIDDEN const char *mt_fs_root; /* replay tree, or NULL */
void mt_fs_init(const char *root) MT_HIDDEN;
struct mt_fs_buf;
const char *mt_fs_map(int dirfd, const char *path, struct mt_fs_buf **bp) MT_HIDDEN;
void mt_fs_unmap(struct mt_fs_buf *b) MT_HIDDEN;
int mt_fs_recorded_node(const char *path) MT_HIDDEN;
/* what the program did with the path (mt_fs_note) */
#define MT_FS_ENTRY 0 /* stat, access, readlink, realpath, open for writing */
#define MT_FS_READ 1  /* open for reading, opendir: the content too */
void mt_fs_note(int dirfd, const char *path, int follow_last, int how) MT_HIDDEN;
int mt_traced_name(const char *name) MT_HIDDEN;
void mt_fs_fd(int fd, int dirfd, const char *path) MT_HIDDEN;

/* safecopy.c: copy the program's memory from inside the handler; a fault
 * gives -EFAULT with t->sc_fault filled in (mt_safe_copy_caught(), first
 * thing in the SIGSEGV/SIGBUS handler, resumes the copy's fixup). */
int mt_safe_copy(struct mt_tls *t, void *dst, const void *src, size_t n) MT_HIDDEN;
int mt_safe_copy_caught(struct mt_tls *t, int sig, const siginfo_t *si, ucontext_t *uc) MT_HIDDEN;

/* devsafe.c: the device access on the alias from inside the handler; a
 * SIGBUS (or SIGSEGV) there gives -EFAULT with *fault = the program's
 * address of the byte and t->sc_fault filled in (mt_dev_safe_caught(),
 * early in the handler, jumps back; it returns only if the fault is not
 * one of an access in progress). */
int mt_dev_safe(struct mt_tls *t, uint64_t addr, volatile uint8_t *p, void *val,
		unsigned size, int is_write, uint64_t *fault) MT_HIDDEN;
void mt_dev_safe_caught(struct mt_tls *t, int sig, const siginfo_t *si,
			const ucontext_t *uc) MT_HIDDEN;

/* The recording is over (the recorder closed the ring, or died): every
 * traced mapping gets its protection back, nothing more is traced. Lock
 * held. mt_recording_over() tells (cheap). */
void mt_abandon(void) MT_HIDDEN;
int mt_recording_over(void) MT_HIDDEN;

/* frame.c: one emulation's context, the signal frame as register file */
struct ectx {
	struct mt_acc acc; /* memory (pc; denied: the program's own fault); first:
			    * mt_acc_emu_read/write are the memory callbacks */
	struct mt_tls *t;
	ucontext_t *uc;
	uint8_t *xs;      /* XSAVE area of the frame, or NULL */
	uint32_t xsz;     /* its size */
	unsigned nput;    /* events put (a watch page: none means a silent access) */
	int stop;         /* a watched object with MMIOTAP_WATCH_STOP was accessed */
};
_Static_assert(offsetof(struct ectx, acc) == 0, "mt_acc_emu_read wants acc first");
void mt_frame_layout(void) MT_HIDDEN;                 /* once, at start */
void mt_frame_xsave(ucontext_t *uc, struct ectx *c) MT_HIDDEN;
void mt_frame_load(struct mt_cpu *cpu, const ucontext_t *uc, const struct mt_decoded *d) MT_HIDDEN;
void mt_frame_store(const struct mt_cpu *cpu, ucontext_t *uc) MT_HIDDEN;
extern const struct mt_emu_ops mt_frame_ops MT_HIDDEN;

#endif
