// SPDX-License-Identifier: GPL-2.0 OR MIT
/* ring.c - the shared event ring (see mmiotap/rt_ring.h). Only raw
 * syscalls and atomics: everything here runs inside signal handlers. */
#include "mmiotap/rt_ring.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

static struct mt_ring *map_ring(int fd, size_t total)
{
	void *p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

int mt_ring_create(const char *path, size_t data_size, struct mt_ring **out)
{
	if (!data_size || (data_size & (data_size - 1)) || data_size < 4 * MT_EV_MAX)
		return -EINVAL;
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	size_t total = MT_RING_HDR_SIZE + data_size;
	if (ftruncate(fd, (off_t)total) < 0) {
		int e = -errno;
		close(fd);
		unlink(path);
		return e;
	}
	struct mt_ring *r = map_ring(fd, total);
	int e = r ? 0 : -errno;
	close(fd);
	if (!r) {
		unlink(path);
		return e;
	}
	memset(r, 0, MT_RING_HDR_SIZE);
	r->data_size = data_size;
	r->version = MT_RING_VERSION;
	__atomic_store_n(&r->magic, MT_RING_MAGIC, __ATOMIC_RELEASE);
	*out = r;
	return 0;
}

int mt_ring_open(const char *path, struct mt_ring **out)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	struct mt_ring *r = NULL;
	int e = 0;
	if (fstat(fd, &st) < 0)
		e = -errno;
	else if ((size_t)st.st_size < MT_RING_HDR_SIZE + 4 * MT_EV_MAX)
		e = -EINVAL;
	else if (!(r = map_ring(fd, (size_t)st.st_size)))
		e = -errno;
	close(fd);
	if (e)
		return e;
	if (r->magic != MT_RING_MAGIC || r->version != MT_RING_VERSION ||
	    MT_RING_HDR_SIZE + r->data_size != (uint64_t)st.st_size) {
		munmap(r, (size_t)st.st_size);
		return -EPROTO;
	}
	*out = r;
	return 0;
}

void mt_ring_close(struct mt_ring *r)
{
	if (r)
		munmap(r, MT_RING_HDR_SIZE + r->data_size);
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

static char *fmt_u32(char *p, uint32_t v)
{
	char tmp[12];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* Whether thread tid has exited (or is a zombie). Raw syscalls only: this
 * runs inside the SIGSEGV handler, and open() is interposed by the
 * preload library. errno is preserved. */
static int holder_dead(uint32_t tid)
{
	int saved = errno, dead = 0;
	char path[32], *p = path;
	memcpy(p, "/proc/", 6);
	p = fmt_u32(p + 6, tid);
	memcpy(p, "/stat", 6);
	long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		/* no /proc/TID: gone (or no /proc: ask kill) */
		if (errno == ENOENT)
			dead = syscall(SYS_kill, (pid_t)tid, 0) < 0 && errno == ESRCH;
	} else {
		/* "tid (comm) S ...": the state follows the last ')' */
		char buf[128];
		long n = syscall(SYS_read, (int)fd, buf, sizeof(buf));
		syscall(SYS_close, (int)fd);
		for (long i = n - 3; i > 0; i--) {
			if (buf[i] == ')') {
				char st = buf[i + 2];
				dead = st == 'Z' || st == 'X' || st == 'x';
				break;
			}
		}
	}
	errno = saved;
	return dead;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* We just took the lock from dead thread dead_tid (word already ours):
 * account for it and publish what it left unpublished. */
static void recover(struct mt_ring *r, uint32_t dead_tid, uint64_t me)
{
	uint64_t old = r->owner;
	uint64_t dead = (uint32_t)old == dead_tid ? old : dead_tid;
	r->owner = me;
	__atomic_store_n(&r->last_dead, dead, __ATOMIC_RELAXED);
	__atomic_fetch_add(&r->nrecovered, 1, __ATOMIC_RELAXED);
	if (r->magic != MT_RING_MAGIC || !r->data_size)
		return; /* process-local lock: no ring to repair */
	uint64_t pub = r->pub_seq;
	if (r->head != r->pub_head)
		pub = r->seq; /* died after publishing, before noting it */
	if (r->seq <= pub)
		return;
	uint64_t n = r->seq - pub;
	struct mt_ev ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = MT_EV_LOST;
	ev.size = sizeof(ev);
	ev.pid = (uint32_t)(dead >> 32);
	ev.tid = (uint32_t)dead;
	ev.cpu = ~0u;
	ev.seq = pub;
	ev.ts = now_ns();
	ev.addr = n;
	__atomic_fetch_add(&r->nlost_dead, n, __ATOMIC_RELAXED);
	mt_ring_put(r, &ev);
}

static void lock_slow(struct mt_ring *r, uint32_t tid, uint64_t me)
{
	int saved = errno;
	uint32_t want = tid | MT_RING_LOCK_WAITERS;
	for (;;) {
		uint32_t c = __atomic_load_n(&r->lock, __ATOMIC_RELAXED);
		if (c == 0) {
			if (__atomic_compare_exchange_n(&r->lock, &c, want, false,
							__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				break;
			continue;
		}
		if (!(c & MT_RING_LOCK_WAITERS)) {
			if (!__atomic_compare_exchange_n(&r->lock, &c, c | MT_RING_LOCK_WAITERS,
							 false, __ATOMIC_RELAXED,
							 __ATOMIC_RELAXED))
				continue;
			c |= MT_RING_LOCK_WAITERS;
		}
		struct timespec ts = { 0, LOCK_WAIT_NS };
		if (futex(&r->lock, FUTEX_WAIT, c, &ts) == 0 || errno != ETIMEDOUT)
			continue;
		/* a whole wait without a wake-up: is the holder still there? */
		if (!holder_dead(c & MT_RING_LOCK_TID))
			continue;
		if (__atomic_compare_exchange_n(&r->lock, &c, want, false, __ATOMIC_ACQUIRE,
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
	if (__atomic_compare_exchange_n(&r->lock, &c, tid, false, __ATOMIC_ACQUIRE,
					__ATOMIC_RELAXED))
		goto out;
	for (int spin = 0; spin < 100; spin++) {
		__builtin_ia32_pause();
		c = 0;
		if (__atomic_compare_exchange_n(&r->lock, &c, tid, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			goto out;
	}
	lock_slow(r, tid, me);
out:
	r->owner = me;
}

void mt_ring_unlock(struct mt_ring *r)
{
	if (__atomic_exchange_n(&r->lock, 0, __ATOMIC_RELEASE) & MT_RING_LOCK_WAITERS)
		futex(&r->lock, FUTEX_WAKE, 1, NULL);
}

int mt_ring_reap(struct mt_ring *r, uint32_t pid, uint32_t tid)
{
	uint32_t c = __atomic_load_n(&r->lock, __ATOMIC_ACQUIRE);
	if (!c || !holder_dead(c & MT_RING_LOCK_TID))
		return 0;
	/* No one can publish while the dead holder "holds" the lock: the room
	 * seen now is there after the takeover. */
	uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	if (r->data_size - (r->head - tail) < sizeof(struct mt_ev))
		return 0;
	if (!tid)
		tid = raw_gettid();
	tid &= MT_RING_LOCK_TID;
	if (!__atomic_compare_exchange_n(&r->lock, &c, tid | (c & MT_RING_LOCK_WAITERS), false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return 0;
	recover(r, c & MT_RING_LOCK_TID, (uint64_t)pid << 32 | tid);
	mt_ring_unlock(r);
	return 1;
}

static void copy_in(struct mt_ring *r, uint64_t pos, const void *src, size_t n)
{
	uint64_t mask = r->data_size - 1, off = pos & mask;
	size_t first = n;
	if (off + n > r->data_size)
		first = (size_t)(r->data_size - off);
	memcpy(r->data + off, src, first);
	if (first < n)
		memcpy(r->data, (const uint8_t *)src + first, n - first);
}

static void copy_out(struct mt_ring *r, uint64_t pos, void *dst, size_t n)
{
	uint64_t mask = r->data_size - 1, off = pos & mask;
	size_t first = n;
	if (off + n > r->data_size)
		first = (size_t)(r->data_size - off);
	memcpy(dst, r->data + off, first);
	if (first < n)
		memcpy((uint8_t *)dst + first, r->data, n - first);
}

void mt_ring_put(struct mt_ring *r, const struct mt_ev *ev)
{
	size_t n = ev->size;
	uint64_t head = r->head;
	for (;;) {
		if (__atomic_load_n(&r->closing, __ATOMIC_ACQUIRE)) {
			r->ndiscarded++;
			r->pub_seq = r->seq;
			r->pub_head = head;
			return;
		}
		uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		if (r->data_size - (head - tail) >= n)
			break;
		/* Full: wait for the consumer (never drop). */
		uint32_t tf = __atomic_load_n(&r->tail_futex, __ATOMIC_ACQUIRE);
		__atomic_store_n(&r->producers_waiting, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&r->tail, __ATOMIC_SEQ_CST) != tail)
			continue;
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		futex(&r->tail_futex, FUTEX_WAIT, tf, &ts);
	}
	copy_in(r, head, ev, n);
	__atomic_store_n(&r->head, head + n, __ATOMIC_SEQ_CST);
	/* noted for a taker if we die from here on (see recover()) */
	r->pub_seq = r->seq;
	r->pub_head = head + n;
	/* Wake a sleeping consumer only once a quarter of the ring is used:
	 * a wake-up per event would cost a context switch per access. The
	 * consumer also polls with a timeout. */
	if (__atomic_load_n(&r->consumer_waiting, __ATOMIC_SEQ_CST) &&
	    head + n - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) > r->data_size / 4) {
		__atomic_store_n(&r->consumer_waiting, 0, __ATOMIC_RELAXED);
		__atomic_fetch_add(&r->head_futex, 1, __ATOMIC_SEQ_CST);
		futex(&r->head_futex, FUTEX_WAKE, 1, NULL);
	}
}

size_t mt_ring_get(struct mt_ring *r, void *buf, size_t max, int timeout_ms)
{
	uint64_t tail = r->tail;
	uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	if (head == tail && timeout_ms > 0) {
		uint32_t hf = __atomic_load_n(&r->head_futex, __ATOMIC_ACQUIRE);
		__atomic_store_n(&r->consumer_waiting, 1, __ATOMIC_SEQ_CST);
		head = __atomic_load_n(&r->head, __ATOMIC_SEQ_CST);
		if (head == tail) {
			struct timespec ts = { timeout_ms / 1000,
					       (timeout_ms % 1000) * 1000000L };
			futex(&r->head_futex, FUTEX_WAIT, hf, &ts);
			head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
		}
	}
	size_t got = 0;
	uint64_t tail0 = tail;
	while (tail + got < head) {
		struct mt_ev h;
		copy_out(r, tail + got, &h, sizeof(h));
		if (h.size < sizeof(h) || h.size > MT_EV_MAX || (h.size & 7)) {
			/* corrupt (the program scribbled on the ring): skip the
			 * rest rather than stall every producer forever */
			if (!got)
				tail = head;
			break;
		}
		if (got + h.size > max)
			break;
		copy_out(r, tail + got, (uint8_t *)buf + got, h.size);
		got += h.size;
	}
	if (got || tail != tail0) {
		__atomic_store_n(&r->tail, tail + got, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&r->producers_waiting, __ATOMIC_SEQ_CST)) {
			__atomic_store_n(&r->producers_waiting, 0, __ATOMIC_RELAXED);
			__atomic_fetch_add(&r->tail_futex, 1, __ATOMIC_SEQ_CST);
			futex(&r->tail_futex, FUTEX_WAKE, INT32_MAX, NULL);
		}
	}
	return got;
}

int mt_ring_mark(struct mt_ring *r, const char *text, uint64_t pc)
{
	union {
		struct mt_ev ev;
		uint8_t b[MT_EV_MAX];
	} u;
	size_t len = strlen(text), max = MT_EV_MAX - sizeof(struct mt_ev);
	if (len > max)
		return -E2BIG;
	memset(&u, 0, sizeof(struct mt_ev) + ((len + 7) & ~(size_t)7));
	u.ev.type = MT_EV_MARK;
	u.ev.size = (uint16_t)((sizeof(struct mt_ev) + len + 7) & ~(size_t)7);
	u.ev.width = (uint16_t)len;
	u.ev.pid = (uint32_t)getpid();
	u.ev.tid = (uint32_t)syscall(SYS_gettid);
	u.ev.cpu = ~0u;
	u.ev.pc = pc;
	memcpy(u.ev.data, text, len);
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	mt_ring_lock(r, u.ev.pid, u.ev.tid);
	u.ev.ts = now_ns();
	u.ev.seq = mt_ring_next_seq(r);
	mt_ring_put(r, &u.ev);
	mt_ring_unlock(r);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return 0;
}
