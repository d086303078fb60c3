// SPDX-License-Identifier: GPL-2.0 OR MIT
/* ring.c - the shared event ring (see mmiotap/rt_ring.h). Only raw
 * syscalls and atomics: everything here runs inside signal handlers. */
#include "mmiotap/rt_ring.h"
#include "mmiotap/rt_task.h"

#include <errno.h>
#include <stdbool.h>
#include <linux/futex.h>
#include <string.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

/* The data area by the private geometry only (n <= r->size). */
static void copy_in(struct mt_ring *r, uint64_t pos, const void *src, size_t n)
{
	uint64_t mask = r->size - 1, off = pos & mask;
	size_t first = n;
	if (off + n > r->size)
		first = (size_t)(r->size - off);
	memcpy(r->data + off, src, first);
	if (first < n)
		memcpy(r->data, (const uint8_t *)src + first, n - first);
}

static void copy_out(struct mt_ring *r, uint64_t pos, void *dst, size_t n)
{
	uint64_t mask = r->size - 1, off = pos & mask;
	size_t first = n;
	if (off + n > r->size)
		first = (size_t)(r->size - off);
	memcpy(dst, r->data + off, first);
	if (first < n)
		memcpy((uint8_t *)dst + first, r->data, n - first);
}

/* A put waited 20 ms for room: is anybody left to make it? (The recorder
 * gone - SIGKILL, OOM - nobody ever will: the ring is orphaned.) */
static int recorder_gone(struct mt_ring_hdr *h)
{
	uint32_t pid = __atomic_load_n(&h->recorder_pid, __ATOMIC_RELAXED);
	return pid && mt_task_dead(pid, __atomic_load_n(&h->recorder_start, __ATOMIC_RELAXED));
}

/* Wait (20 ms at most) for the consumer to make room; orphan the ring if
 * its recorder is gone. */
static void wait_room(struct mt_ring_hdr *h, uint64_t tail)
{
	uint32_t tf = __atomic_load_n(&h->tail_futex, __ATOMIC_ACQUIRE);
	__atomic_store_n(&h->producers_waiting, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&h->tail, __ATOMIC_SEQ_CST) != tail)
		return;
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	if (futex(&h->tail_futex, FUTEX_WAIT, tf, &ts) < 0 && errno == ETIMEDOUT &&
	    recorder_gone(h)) {
		uint32_t z = 0;
		__atomic_compare_exchange_n(&h->closing, &z, MT_RING_ORPHANED, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
	}
}

/* head and tail come from the shared header and may be anything: they only
 * choose where, modulo the private size, the event goes. */
void mt_ring_put(struct mt_ring *r, const struct mt_ev *ev)
{
	struct mt_ring_hdr *h = r->h;
	int saved = errno;
	size_t n = ev->size;
	uint64_t head = h->head;
	for (;;) {
		if (__atomic_load_n(&h->closing, __ATOMIC_ACQUIRE)) {
			h->ndiscarded++;
			h->pub_seq = h->seq;
			h->pub_head = head;
			errno = saved;
			return;
		}
		uint64_t tail = __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE);
		if (r->size - (head - tail) >= n)
			break;
		wait_room(h, tail); /* full: wait for the consumer (never drop) */
	}
	copy_in(r, head, ev, n);
	__atomic_store_n(&h->head, head + n, __ATOMIC_SEQ_CST);
	/* noted for a taker if we die from here on (see recover()) */
	h->pub_seq = h->seq;
	h->pub_head = head + n;
	/* Wake a sleeping consumer only once a quarter of the ring is used:
	 * a wake-up per event would cost a context switch per access. The
	 * consumer also polls with a timeout. */
	if (__atomic_load_n(&h->consumer_waiting, __ATOMIC_SEQ_CST) &&
	    head + n - __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE) > r->size / 4) {
		__atomic_store_n(&h->consumer_waiting, 0, __ATOMIC_RELAXED);
		__atomic_fetch_add(&h->head_futex, 1, __ATOMIC_SEQ_CST);
		futex(&h->head_futex, FUTEX_WAKE, 1, NULL);
	}
	errno = saved;
}

/* An event as the consumer copied it, checked: every length it gives
 * stays inside it. */
int mt_ev_valid(const struct mt_ev *ev)
{
	size_t room = ev->size - sizeof(*ev);
	switch (ev->type) {
	case MT_EV_READ:
	case MT_EV_WRITE: {
		size_t dlen = ev->width > 64 ? 64 : ev->width;
		size_t need = dlen * (ev->flags & (MT_EVF_INJECTED | MT_EVF_PROBE) ? 2 : 1);
		return ev->width && need <= room;
	}
	case MT_EV_MAP: {
		const struct mt_ev_map *m = (const struct mt_ev_map *)ev->data;
		return room >= sizeof(*m) && m->pathlen <= room - sizeof(*m);
	}
	case MT_EV_UNKNOWN:
	case MT_EV_MARK:
		return ev->width <= room;
	case MT_EV_OBJECT: {
		const struct mt_ev_object *o = (const struct mt_ev_object *)ev->data;
		return room >= sizeof(*o) && o->nranges && o->nranges <= MT_EV_OBJ_RANGES_MAX &&
		       o->build_id_len <= 64 &&
		       sizeof(*o) + 24u * o->nranges + o->build_id_len + o->pathlen <= room;
	}
	case MT_EV_FILE:
		return ev->width >= 48 && ev->width <= room; /* MT_REC_FILE_FIXED */
	default:
		return 1; /* UNMAP, LOST, kinds a newer runtime puts: no lengths */
	}
}

/* The producers' head, after waiting up to timeout_ms for one past tail. */
static uint64_t wait_head(struct mt_ring_hdr *h, uint64_t tail, int timeout_ms)
{
	uint64_t head = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE);
	if (head != tail || timeout_ms <= 0)
		return head;
	uint32_t hf = __atomic_load_n(&h->head_futex, __ATOMIC_ACQUIRE);
	__atomic_store_n(&h->consumer_waiting, 1, __ATOMIC_SEQ_CST);
	head = __atomic_load_n(&h->head, __ATOMIC_SEQ_CST);
	if (head == tail) {
		struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };
		futex(&h->head_futex, FUTEX_WAIT, hf, &ts);
		head = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE);
	}
	return head;
}

/* Whole, checked events of [tail, head) into buf (max bytes); their bytes.
 * A bad one: counted, and if it is the first, the rest is skipped (*tail
 * moved to head) rather than stall. */
static size_t take_events(struct mt_ring_reader *rd, uint64_t *tail, uint64_t head, void *buf,
			  size_t max)
{
	size_t got = 0;
	while (*tail + got < head && got + sizeof(struct mt_ev) <= max) {
		struct mt_ev *ev = (struct mt_ev *)((uint8_t *)buf + got);
		copy_out(rd->r, *tail + got, ev, sizeof(*ev));
		/* read once: the private copy's size is the one checked */
		uint16_t size = ev->size;
		int ok = size >= sizeof(*ev) && size <= MT_EV_MAX && !(size & 7) &&
			 *tail + got + size <= head;
		if (ok && got + size > max)
			break;
		if (ok) {
			copy_out(rd->r, *tail + got, ev, size);
			ev->size = size;
			ok = mt_ev_valid(ev);
		}
		if (!ok) {
			rd->nbad++;
			if (!got)
				*tail = head;
			break;
		}
		got += size;
	}
	return got;
}

size_t mt_ring_get(struct mt_ring_reader *rd, void *buf, size_t max, int timeout_ms)
{
	struct mt_ring_hdr *h = rd->r->h;
	/* Our cursor is ours: the program shares the ring and could scribble
	 * over h->tail (which only tells the producers how far we got). */
	uint64_t tail = rd->tail, tail0 = tail;
	uint64_t head = wait_head(h, tail, timeout_ms);
	if (head - tail > rd->r->size)
		head = tail; /* scribbled: nothing trustworthy */
	size_t got = take_events(rd, &tail, head, buf, max);
	rd->tail = tail + got;
	/* The producers' view of our cursor, put right if it was scribbled
	 * over (a wrong one could keep them waiting for room forever). */
	if (got || tail != tail0 || __atomic_load_n(&h->tail, __ATOMIC_RELAXED) != rd->tail) {
		__atomic_store_n(&h->tail, rd->tail, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&h->producers_waiting, __ATOMIC_SEQ_CST)) {
			__atomic_store_n(&h->producers_waiting, 0, __ATOMIC_RELAXED);
			__atomic_fetch_add(&h->tail_futex, 1, __ATOMIC_SEQ_CST);
			futex(&h->tail_futex, FUTEX_WAKE, INT32_MAX, NULL);
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
	sigdelset(&all, SIGSYS); /* the preload runtime's system calls may trap (sud.c) */
	sigprocmask(SIG_SETMASK, &all, &old);
	mt_ring_lock(r, u.ev.pid, u.ev.tid);
	u.ev.ts = mt_ring_now();
	u.ev.seq = mt_ring_next_seq(r);
	mt_ring_put(r, &u.ev);
	mt_ring_unlock(r);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return 0;
}
