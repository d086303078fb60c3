// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * lock.c - the order lock as the preload runtime takes it: in normal
 * context (mt_glock: all signals blocked, so this thread's own SIGSEGV
 * handler never waits for it), in the handler (mt_hlock), and across
 * fork().
 *
 * fork(): the lock is held from our prepare handler to our parent/child
 * handler, so that the child's copy of the region table is consistent (no
 * other thread is in the middle of changing it). Prepare handlers run in
 * the reverse order of registration, parent and child handlers in order.
 * The program's own handlers, registered from main() or later, run before
 * our prepare handler; but those of libraries loaded with the program are
 * registered by their constructors, which run before ours: their prepare
 * handlers run after ours (the lock held), their parent and child handlers
 * before ours. Such a handler may mmap/munmap through us, or touch a traced
 * mapping. So while this thread holds the lock for a fork, taking it again
 * is a no-op (mt_fork_holds()), and SIGSEGV, SIGBUS and SIGTRAP stay
 * deliverable (everything else is blocked). In the child, before our child
 * handler ran, the lock is the parent's: the child takes it as anyone
 * would, under its own pid and tid. Only the parent releases it (the lock
 * word is shared with the child; a process-local lock is the child's own
 * copy, reset).
 */
#include "internal.h"

#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

void mt_tls_after_fork(void) MT_HIDDEN;

static struct mt_ring_hdr local_hdr;
MT_HIDDEN struct mt_ring mt_local_lock = { .h = &local_hdr };

/* This thread took the lock for fork() in process fork_holder (0: no). */
static __thread pid_t fork_holder __attribute__((tls_model("initial-exec")));
static __thread int fork_pending __attribute__((tls_model("initial-exec")));
static __thread sigset_t fork_mask;

MT_HIDDEN struct mt_ring *mt_lockp(void)
{
	return mt_ring ? mt_ring : &mt_local_lock;
}

/* A new process's own identity: pid, tid, process-local lock; and
 * whether it may still use the ring (its PID namespace: pidns.c). */
static void child_reset(void)
{
	fork_holder = 0;
	mt_pid = getpid();
	mt_tls_after_fork();
	mt_local_lock.h->lock = 0; /* if held, by a thread of the parent */
	mt_pidns_child();
}

MT_HIDDEN int mt_fork_holds(void)
{
	if (MT_LIKELY(!fork_holder))
		return 0;
	if ((pid_t)syscall(SYS_getpid) == fork_holder)
		return 1;
	child_reset(); /* the child, before our child handler ran */
	return 0;
}

MT_HIDDEN void mt_glock(sigset_t *old)
{
	sigset_t all;
	sigfillset(&all);
	sigdelset(&all, SIGSYS); /* sud.c: system calls under the lock may trap */
	if (mt_fork_holds()) {
		mt_real.pthread_sigmask(SIG_SETMASK, NULL, old);
		return;
	}
	mt_real.pthread_sigmask(SIG_SETMASK, &all, old);
	mt_ring_lock(mt_lockp(), (uint32_t)mt_pid, mt_gettid());
}

MT_HIDDEN void mt_gunlock(const sigset_t *old)
{
	if (mt_fork_holds())
		return;
	mt_ring_unlock(mt_lockp());
	mt_real.pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* mt_fork_holds() first: in a child it may change what lock is ours. */
MT_HIDDEN void mt_hlock(void)
{
	if (!mt_fork_holds())
		mt_ring_lock(mt_lockp(), (uint32_t)mt_pid, mt_gettid());
}

MT_HIDDEN void mt_hunlock(void)
{
	if (!mt_fork_holds())
		mt_ring_unlock(mt_lockp());
}

static void fork_prepare(void)
{
	if (!mt_handlers_installed)
		return;
	mt_glock(&fork_mask);
	mt_watch_fork_prepare();
	fork_pending = 1;
	fork_holder = (pid_t)syscall(SYS_getpid);
	/* the handlers that run after ours may fault on a traced page */
	sigset_t sync;
	sigemptyset(&sync);
	sigaddset(&sync, SIGSEGV);
	sigaddset(&sync, SIGBUS);
	sigaddset(&sync, SIGTRAP);
	mt_real.pthread_sigmask(SIG_UNBLOCK, &sync, NULL);
}

static void fork_parent(void)
{
	if (!fork_pending)
		return;
	fork_pending = 0;
	fork_holder = 0;
	mt_watch_fork_parent();
	mt_gunlock(&fork_mask);
}

static void fork_child(void)
{
	int held = fork_pending;
	fork_pending = 0;
	child_reset(); /* again, if a child handler before ours took the lock */
	mt_pidns_child_refuse();
	if (!held)
		return;
	mt_watch_fork_child();
	mt_real.pthread_sigmask(SIG_SETMASK, &fork_mask, NULL);
	if (mt_ring)
		__atomic_fetch_add(&mt_ring->h->nattached, 1, __ATOMIC_RELAXED);
}

MT_HIDDEN void mt_fork_register(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}
