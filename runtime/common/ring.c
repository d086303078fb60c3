// SPDX-License-Identifier: GPL-2.0 OR MIT
/* ring.c - the shared event ring (see mmiotap/rt_ring.h). Only raw
 * syscalls and atomics: everything here runs inside signal handlers. */
#include "mmiotap/rt_ring.h"
#include "mmiotap/rt_task.h"

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
	r->recorder_pid = (uint32_t)getpid();
	r->recorder_start = mt_task_start(r->recorder_pid);
	__atomic_store_n(&r->magic, MT_RING_MAGIC, __ATOMIC_RELEASE);
	*out = r;
	return 0;
}

/* A ring file may only be one of ours: a regular file of our own user that
 * nobody else may write (a ring planted in /dev/shm by someone else could
 * hold its lock forever, or feed the recorder). */
static int ring_file_ok(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	if (st->st_uid != geteuid() || (st->st_mode & 077))
		return -EPERM;
	if ((size_t)st->st_size < MT_RING_HDR_SIZE + 4 * MT_EV_MAX)
		return -EINVAL;
	return 0;
}

int mt_ring_open(const char *path, struct mt_ring **out)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct stat st;
	struct mt_ring *r = NULL;
	int e = 0;
	if (fstat(fd, &st) < 0)
		e = -errno;
	else if ((e = ring_file_ok(&st)) == 0 && !(r = map_ring(fd, (size_t)st.st_size)))
		e = -errno;
	close(fd);
	if (e)
		return e;
	uint64_t data_size = r->data_size; /* read once */
	if (r->magic != MT_RING_MAGIC || r->version != MT_RING_VERSION ||
	    !data_size || (data_size & (data_size - 1)) ||
	    MT_RING_HDR_SIZE + data_size != (uint64_t)st.st_size) {
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

/* A put waited 20 ms for room: is anybody left to make it? (The recorder
 * gone - SIGKILL, OOM - nobody ever will: the ring is orphaned.) */
static int recorder_gone(struct mt_ring *r)
{
	uint32_t pid = __atomic_load_n(&r->recorder_pid, __ATOMIC_RELAXED);
	return pid && mt_task_dead(pid, __atomic_load_n(&r->recorder_start, __ATOMIC_RELAXED));
}

void mt_ring_put(struct mt_ring *r, const struct mt_ev *ev)
{
	int saved = errno;
	size_t n = ev->size;
	uint64_t head = r->head;
	for (;;) {
		if (__atomic_load_n(&r->closing, __ATOMIC_ACQUIRE)) {
			r->ndiscarded++;
			r->pub_seq = r->seq;
			r->pub_head = head;
			errno = saved;
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
		if (futex(&r->tail_futex, FUTEX_WAIT, tf, &ts) < 0 && errno == ETIMEDOUT &&
		    recorder_gone(r)) {
			uint32_t z = 0;
			__atomic_compare_exchange_n(&r->closing, &z, MT_RING_ORPHANED, false,
						    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
		}
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
	default:
		return 1; /* UNMAP, LOST, kinds a newer runtime puts: no lengths */
	}
}

size_t mt_ring_get(struct mt_ring_reader *rd, void *buf, size_t max, int timeout_ms)
{
	struct mt_ring *r = rd->r;
	/* Our cursor is ours: the program shares the ring and could scribble
	 * over r->tail (which only tells the producers how far we got). */
	uint64_t tail = rd->tail;
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
	if (head - tail > r->data_size)
		head = tail; /* scribbled: nothing trustworthy */
	size_t got = 0;
	uint64_t tail0 = tail;
	while (tail + got < head && got + sizeof(struct mt_ev) <= max) {
		struct mt_ev *ev = (struct mt_ev *)((uint8_t *)buf + got);
		copy_out(r, tail + got, ev, sizeof(*ev));
		/* read once: the private copy's size is the one checked */
		uint16_t size = ev->size;
		if (size < sizeof(*ev) || size > MT_EV_MAX || (size & 7) ||
		    tail + got + size > head) {
			rd->nbad++;
			if (!got)
				tail = head; /* skip the rest rather than stall */
			break;
		}
		if (got + size > max)
			break;
		copy_out(r, tail + got, ev, size);
		ev->size = size;
		if (!mt_ev_valid(ev)) {
			rd->nbad++;
			if (!got)
				tail = head;
			break;
		}
		got += size;
	}
	if (got || tail != tail0) {
		rd->tail = tail + got;
		__atomic_store_n(&r->tail, rd->tail, __ATOMIC_SEQ_CST);
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
	u.ev.ts = mt_ring_now();
	u.ev.seq = mt_ring_next_seq(r);
	mt_ring_put(r, &u.ev);
	mt_ring_unlock(r);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return 0;
}
