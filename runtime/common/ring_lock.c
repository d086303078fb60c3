// SPDX-License-Identifier: GPL-2.0 OR MIT
/* ring_lock.c - the order lock of the event ring (see mmiotap/rt_ring.h),
 * robust to its holder dying. Only raw syscalls and atomics: everything
 * here runs inside signal handlers. */
#include "mmiotap/rt_ring.h"
#include "mmiotap/rt_task.h"

#include <errno.h>
#include <stdbool.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

/*
 * The order lock, robust to its holder dying.
 *
 * Word: 0 free, else the holder's TID | MT_RING_LOCK_WAITERS when someone
 * may sleep in FUTEX_WAIT on it (the shape of the kernel's robust/PI futex
 * words, but neither is used: glibc already owns each thread's one robust
 * list, and PI futexes hand a dead owner's lock to a waiter without telling
 * it). Shared futex (no FUTEX_PRIVATE_FLAG): other processes map the file.
 *
 *   lock      CAS 0 -> tid; else spin a little; else set WAITERS, sleep in
 *             FUTEX_WAIT with a timeout, and on waking CAS 0 -> tid|WAITERS
 *             (there may be other sleepers: keep waking them on unlock).
 *   unlock    XCHG 0; FUTEX_WAKE one if WAITERS was set.
 *   takeover  a sleeper whose wait timed out (50 ms) looks the holder's TID
 *             up: no /proc/TID, or a zombie, means it died holding the lock
 *             (the process was killed, or another thread called exit_group
 *             while this one was inside the SIGSEGV handler). It CASes the
 *             word it saw (dead TID) -> its own TID|WAITERS: of several
 *             sleepers exactly one wins, the others see a live TID and go
 *             back to sleep. The recorder, which never takes the lock,
 *             does the same from mt_ring_reap(), so a holder that dies
 *             with nobody waiting is noticed too.
 *
 * The fast paths are one locked instruction each, as in Drepper's mutex2
 * (CAS / XCHG); the holder also stores its pid.tid into r->owner, so the
 * LOST event can name the dead process (the TID alone is gone with it).
 *
 * What a dead holder can leave half done, and how the next holder repairs
 * it (recover()):
 *   - an event partly copied into the ring: invisible, head is only moved
 *     (one store) after the whole event is in place; the next put overwrites
 *     the bytes;
 *   - sequence numbers reserved but not published: every event's seq is
 *     reserved right before its device access and published right after,
 *     one at a time, and mt_ring_put() then notes pub_seq = seq and
 *     pub_head = head. So after a death, seqs [pub_seq, seq) are accesses
 *     that may have reached the device and whose records are lost (if
 *     head != pub_head the holder died between publishing and noting:
 *     nothing is lost). The taker puts one LOST event {seq = pub_seq,
 *     addr = count, pid/tid of the dead holder}; `mmiotap record` writes it
 *     as a LOST record and keeps going. Repair is idempotent: a taker that
 *     dies while repairing is repaired in turn;
 *   - next_map_id bumped without a MAP: a skipped id, harmless;
 *   - its process's region table: dies with the process (only a whole
 *     process can die inside the handler; a single thread leaving while
 *     holding the lock would need pthread_exit from a probe handler).
 *
 * Limits: TIDs are reused; a dead holder whose TID was taken by a new
 * thread before anyone looked is seen alive until that thread exits. The
 * TID must be the caller's real one (cached TIDs are reset on fork by the
 * interposed fork(); a raw clone() that keeps the parent's cache is not
 * supported). Without /proc a zombie holder counts as alive until reaped.
 */
#define LOCK_WAIT_NS (50 * 1000 * 1000)

static uint32_t raw_gettid(void)
{
	return (uint32_t)syscall(SYS_gettid);
}

uint64_t mt_ring_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* We just took the lock from dead thread dead_tid (word already ours):
 * account for it and publish what it left unpublished. */
static void recover(struct mt_ring *r, uint32_t dead_tid, uint64_t me)
{
	struct mt_ring_hdr *h = r->h;
	uint64_t old = h->owner;
	uint64_t dead = (uint32_t)old == dead_tid ? old : dead_tid;
	h->owner = me;
	__atomic_store_n(&h->last_dead, dead, __ATOMIC_RELAXED);
	__atomic_fetch_add(&h->nrecovered, 1, __ATOMIC_RELAXED);
	if (!r->size)
		return; /* process-local lock: no ring to repair */
	uint64_t pub = h->pub_seq;
	if (h->head != h->pub_head)
		pub = h->seq; /* died after publishing, before noting it */
	if (h->seq <= pub)
		return;
	uint64_t n = h->seq - pub;
	struct mt_ev ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = MT_EV_LOST;
	ev.size = sizeof(ev);
	ev.pid = (uint32_t)(dead >> 32);
	ev.tid = (uint32_t)dead;
	ev.cpu = ~0u;
	ev.seq = pub;
	ev.ts = mt_ring_now();
	ev.addr = n;
	__atomic_fetch_add(&h->nlost_dead, n, __ATOMIC_RELAXED);
	mt_ring_put(r, &ev);
}

static void lock_slow(struct mt_ring *r, uint32_t tid, uint64_t me)
{
	int saved = errno;
	uint32_t want = tid | MT_RING_LOCK_WAITERS;
	for (;;) {
		uint32_t c = __atomic_load_n(&r->h->lock, __ATOMIC_RELAXED);
		if (c == 0) {
			if (__atomic_compare_exchange_n(&r->h->lock, &c, want, false,
							__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				break;
			continue;
		}
		if (!(c & MT_RING_LOCK_WAITERS)) {
			if (!__atomic_compare_exchange_n(&r->h->lock, &c, c | MT_RING_LOCK_WAITERS,
							 false, __ATOMIC_RELAXED,
							 __ATOMIC_RELAXED))
				continue;
			c |= MT_RING_LOCK_WAITERS;
		}
		struct timespec ts = { 0, LOCK_WAIT_NS };
		if (futex(&r->h->lock, FUTEX_WAIT, c, &ts) == 0 || errno != ETIMEDOUT)
			continue;
		/* a whole wait without a wake-up: is the holder still there? */
		if (!mt_task_dead(c & MT_RING_LOCK_TID, 0))
			continue;
		if (__atomic_compare_exchange_n(&r->h->lock, &c, want, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED)) {
			recover(r, c & MT_RING_LOCK_TID, me);
			break;
		}
	}
	errno = saved;
}

void mt_ring_lock(struct mt_ring *r, uint32_t pid, uint32_t tid)
{
	if (__builtin_expect(!(tid & MT_RING_LOCK_TID), 0))
		tid = raw_gettid();
	tid &= MT_RING_LOCK_TID;
	uint64_t me = (uint64_t)pid << 32 | tid;
	uint32_t c = 0;
	if (__atomic_compare_exchange_n(&r->h->lock, &c, tid, false, __ATOMIC_ACQUIRE,
					__ATOMIC_RELAXED))
		goto out;
	for (int spin = 0; spin < 100; spin++) {
		__builtin_ia32_pause();
		c = 0;
		if (__atomic_compare_exchange_n(&r->h->lock, &c, tid, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			goto out;
	}
	lock_slow(r, tid, me);
out:
	r->h->owner = me;
}

int mt_ring_lock_timed(struct mt_ring *r, uint32_t pid, uint32_t tid, uint64_t ns)
{
	if (__builtin_expect(!(tid & MT_RING_LOCK_TID), 0))
		tid = raw_gettid();
	tid &= MT_RING_LOCK_TID;
	uint64_t deadline = mt_ring_now() + ns, next_check = 0;
	for (;;) {
		uint32_t c = 0;
		if (__atomic_compare_exchange_n(&r->h->lock, &c, tid, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED)) {
			r->h->owner = (uint64_t)pid << 32 | tid;
			return 1;
		}
		uint64_t now = mt_ring_now();
		if (now >= deadline)
			return 0;
		if (now >= next_check) {
			/* a dead holder: the ordinary path takes it over */
			if (c && mt_task_dead(c & MT_RING_LOCK_TID, 0)) {
				mt_ring_lock(r, pid, tid);
				return 1;
			}
			next_check = now + LOCK_WAIT_NS;
		}
		struct timespec ts = { 0, 200 * 1000 };
		nanosleep(&ts, NULL);
	}
}

void mt_ring_unlock(struct mt_ring *r)
{
	if (__atomic_exchange_n(&r->h->lock, 0, __ATOMIC_RELEASE) & MT_RING_LOCK_WAITERS)
		futex(&r->h->lock, FUTEX_WAKE, 1, NULL);
}

int mt_ring_reap(struct mt_ring *r, uint32_t pid, uint32_t tid)
{
	uint32_t c = __atomic_load_n(&r->h->lock, __ATOMIC_ACQUIRE);
	if (!c || !mt_task_dead(c & MT_RING_LOCK_TID, 0))
		return 0;
	/* No one can publish while the dead holder "holds" the lock: the room
	 * seen now is there after the takeover. */
	uint64_t tail = __atomic_load_n(&r->h->tail, __ATOMIC_ACQUIRE);
	if (r->size - (r->h->head - tail) < sizeof(struct mt_ev))
		return 0;
	if (!tid)
		tid = raw_gettid();
	tid &= MT_RING_LOCK_TID;
	if (!__atomic_compare_exchange_n(&r->h->lock, &c, tid | (c & MT_RING_LOCK_WAITERS), false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return 0;
	recover(r, c & MT_RING_LOCK_TID, (uint64_t)pid << 32 | tid);
	mt_ring_unlock(r);
	return 1;
}

