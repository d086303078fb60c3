// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * sysptr.c - system calls given a pointer into a watched page (sud.c traps
 * them; this file runs them).
 *
 * The covered calls and their pointer arguments are the table below, and
 * futex. Each is run by the SIGSYS handler from the exempt range, with the
 * program's signal mask:
 *
 * - futex: the word (and uaddr2 of requeue/wake_op) is replaced by its
 *   address in the page's alias. The alias is the same memory (a memfd
 *   page), so the kernel reads and writes what the program's emulated
 *   atomics read and write; every futex call on a watched page goes there,
 *   so waiters and wakers meet on the same key. A watch page unarmed while
 *   a thread waits in such a call (pinned: mt_sysptr_alias_gone()) keeps
 *   its alias until the call returns; its pinned words are woken (never
 *   changed: on a shared page the alias is the program's own memory), so
 *   the waiter returns (a spurious wake-up, which futex users expect); a
 *   pinned wait runs in slices of 50 ms, so one that had not entered the
 *   kernel yet returns at the end of its slice: both go round and wait on
 *   the program's own page. Futex accesses are
 *   not recorded (the value the kernel compared is not known).
 * - data buffers: through a bounce buffer. What the kernel reads (write,
 *   send, poll's array, the timespec of nanosleep) is copied from the
 *   program's memory first; what it wrote (read, recv, stat, clock_gettime)
 *   is copied back after, the bytes the call reports. Copies of watched
 *   bytes are recorded: a read of a watched object, or a write to it, by
 *   the system call's instruction (its PC), in naturally aligned pieces of
 *   at most 8 bytes: read(2) into a watched buffer shows as the writes the
 *   kernel made.
 *
 * - readv, writev, preadv, pwritev, sendmsg, recvmsg: the same, their
 *   scattered buffers in one bounce buffer (sysvec.c).
 *
 * Not covered (still EFAULT on a watched page): path names and other
 * strings, sendmmsg and recvmmsg, ioctl, and any call not in the table.
 */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

void mt_sud_block(int on) MT_HIDDEN;

/* ---- the watch pages, readable without the lock ------------------------------------- */

static uintptr_t pg_start[MT_MAX_REGIONS], pg_end[MT_MAX_REGIONS];
static int pg_hi, pg_n;

/* Lock held. */
MT_HIDDEN void mt_sysptr_page(uintptr_t s, uintptr_t e, int add)
{
	if (add) {
		for (int i = 0; i < MT_MAX_REGIONS; i++)
			if (!__atomic_load_n(&pg_start[i], __ATOMIC_RELAXED)) {
				__atomic_store_n(&pg_end[i], e, __ATOMIC_RELAXED);
				__atomic_store_n(&pg_start[i], s, __ATOMIC_RELEASE);
				if (i >= pg_hi)
					__atomic_store_n(&pg_hi, i + 1, __ATOMIC_RELEASE);
				if (pg_n++ == 0)
					mt_sud_block(1);
				return;
			}
		return;
	}
	for (int i = 0; i < pg_hi; i++)
		if (pg_start[i] == s) {
			__atomic_store_n(&pg_start[i], 0, __ATOMIC_RELEASE);
			if (--pg_n == 0)
				mt_sud_block(0);
		}
}

static struct pin {
	uintptr_t word, page; /* in the alias */
	size_t len;
	int n, dead;
} pins[256];
#define NPINS 256

/* The child of fork: no watch page, no call in flight (its threads are
 * the parent's). */
MT_HIDDEN void mt_sysptr_reset(void)
{
	memset(pg_start, 0, sizeof(pg_start));
	pg_hi = pg_n = 0;
	memset(pins, 0, sizeof(pins));
}

MT_HIDDEN int mt_sys_touches(uintptr_t a, size_t len)
{
	if (!len || !__atomic_load_n(&pg_n, __ATOMIC_RELAXED))
		return 0;
	uintptr_t b = a + len < a ? UINTPTR_MAX : a + len;
	int hi = __atomic_load_n(&pg_hi, __ATOMIC_ACQUIRE);
	for (int i = 0; i < hi; i++) {
		uintptr_t s = __atomic_load_n(&pg_start[i], __ATOMIC_ACQUIRE);
		if (s && a < __atomic_load_n(&pg_end[i], __ATOMIC_RELAXED) && s < b)
			return 1;
	}
	return 0;
}


/* ---- futex ---------------------------------------------------------------------------- */


/* The alias address of word w of a watch page, pinned (lock held); 0 if
 * w is not on one (or no pin is left: the call then fails as before). */
static uintptr_t pin(uintptr_t w, int *slot)
{
	struct mt_region *r = mt_region_find(w);
	*slot = -1;
	if (!r || !r->watch)
		return 0;
	uintptr_t aw = (uintptr_t)r->alias + (w - r->start), free_i = NPINS;
	for (int i = 0; i < NPINS; i++) {
		if (pins[i].n && pins[i].word == aw && !pins[i].dead) {
			pins[i].n++;
			*slot = i;
			return aw;
		}
		if (!pins[i].n && free_i == NPINS)
			free_i = (uintptr_t)i;
	}
	if (free_i == NPINS)
		return 0;
	struct pin *p = &pins[free_i];
	p->word = aw;
	p->page = (uintptr_t)r->alias;
	p->len = r->end - r->start;
	p->n = 1;
	p->dead = 0;
	*slot = (int)free_i;
	return aw;
}

static void unpin(int slot)
{
	if (slot < 0 || --pins[slot].n)
		return;
	if (!pins[slot].dead)
		return;
	uintptr_t page = pins[slot].page;
	for (int i = 0; i < NPINS; i++)
		if (pins[i].n && pins[i].page == page)
			return; /* still in use */
	mt_sud_raw(SYS_munmap, (long)page, (long)pins[slot].len, 0, 0, 0, 0);
}

static long futex_wake_all(uintptr_t w, int priv)
{
	return mt_sud_raw(SYS_futex, (long)w, FUTEX_WAKE | (priv ? FUTEX_PRIVATE_FLAG : 0), INT_MAX,
			  0, 0, 0);
}

/* The alias at page (len bytes) is going away (lock held): 1 if a system
 * call still uses it (the caller must not unmap it: the last one does). */
MT_HIDDEN int mt_sysptr_alias_gone(void *page, size_t len)
{
	int busy = 0;
	for (int i = 0; i < NPINS; i++) {
		struct pin *p = &pins[i];
		if (!p->n || p->page != (uintptr_t)page)
			continue;
		if (!busy)
			mt_real.mprotect(page, len, PROT_READ | PROT_WRITE);
		busy = 1;
		/* the word is never changed (on a shared page it is the
		 * program's own): a waiter in the kernel is woken, one still on
		 * its way in wakes at the end of its slice (pinned_wait) */
		__atomic_store_n(&p->dead, 1, __ATOMIC_RELEASE);
		futex_wake_all(p->word, 1);
		futex_wake_all(p->word, 0);
	}
	return busy;
}

/* A page just armed (lock held): threads that were waiting on a futex
 * word of it, at its own address, wait on the alias from now on (every
 * futex call on the page goes there): woken, they go round and wait there.
 * A private futex's wake needs no access to the word. */
MT_HIDDEN void mt_sysptr_wake_page(uintptr_t s, uintptr_t e)
{
	if (!mt_sud_raw)
		return;
	for (uintptr_t w = s; w < e; w += 4)
		futex_wake_all(w, 1);
}

#define SLICE_NS 50000000L /* a pinned wait's slice */

static void ts_add(struct timespec *t, long ns)
{
	t->tv_nsec += ns;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
}

static int ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* FUTEX_WAIT(_BITSET) on a pinned alias word (b[0]), in slices of at most
 * SLICE_NS: after each one, if the page was unwatched meanwhile (its pin
 * dead), a spurious wake-up (0): the caller goes round and waits on its
 * own page. The program's timeout (b[3], a copy in our memory if it was
 * on a watched page) is kept. */
static long pinned_wait(ucontext_t *uc, const long b[6], int slot)
{
	int cmd = (int)b[1] & FUTEX_CMD_MASK;
	int clk = (b[1] & FUTEX_CLOCK_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
	struct mt_tls *t = mt_tls_get();
	struct timespec now, end, slice;
	int has_end = b[3] != 0;
	if (has_end && (!t || mt_safe_copy(t, &end, (const void *)b[3], sizeof(end))))
		return mt_sud_run_here(uc, SYS_futex, b);
	if (mt_sud_raw(SYS_clock_gettime, clk, (long)&now, 0, 0, 0, 0))
		return mt_sud_run_here(uc, SYS_futex, b);
	if (has_end && cmd == FUTEX_WAIT) { /* relative */
		if (end.tv_sec < 0 || end.tv_nsec < 0 || end.tv_nsec >= 1000000000L)
			return -EINVAL;
		struct timespec rel = end;
		end = now;
		if (rel.tv_sec > INT64_MAX / 2 - end.tv_sec) /* saturated, as ktime_add_safe */
			has_end = 0; /* as good as no timeout */
		else {
			end.tv_sec += rel.tv_sec;
			ts_add(&end, rel.tv_nsec);
		}
	}
	long c[6] = { b[0], FUTEX_WAIT_BITSET | (b[1] & ~(long)FUTEX_CMD_MASK), b[2],
		      (long)&slice, 0, cmd == FUTEX_WAIT ? (long)FUTEX_BITSET_MATCH_ANY : b[5] };
	for (;;) {
		slice = now;
		ts_add(&slice, SLICE_NS);
		int last = has_end && !ts_before(&slice, &end);
		if (last)
			slice = end;
		long r = mt_sud_run_here(uc, SYS_futex, c);
		if (r != -ETIMEDOUT || last)
			return r;
		if (__atomic_load_n(&pins[slot].dead, __ATOMIC_ACQUIRE))
			return 0;
		if (mt_sud_raw(SYS_clock_gettime, clk, (long)&now, 0, 0, 0, 0))
			return -EINVAL;
	}
}

static int futex_call(ucontext_t *uc, long a[6], long *res)
{
	int cmd = (int)a[1] & FUTEX_CMD_MASK;
	int two = cmd == FUTEX_REQUEUE || cmd == FUTEX_CMP_REQUEUE || cmd == FUTEX_WAKE_OP ||
		  cmd == FUTEX_CMP_REQUEUE_PI || cmd == FUTEX_WAIT_REQUEUE_PI;
	int timed = cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_LOCK_PI ||
		    cmd == FUTEX_WAIT_REQUEUE_PI || cmd == 13 /* FUTEX_LOCK_PI2 */;
	int w1 = mt_sys_touches((uintptr_t)a[0], 4), w2 = two && mt_sys_touches((uintptr_t)a[4], 4);
	int wt = timed && a[3] && mt_sys_touches((uintptr_t)a[3], sizeof(struct timespec));
	if (!w1 && !w2 && !wt) {
		/* run here, not from the trampoline: if its page was armed
		 * since the look (EFAULT, which glibc's futex users abort on),
		 * it goes again, on the alias */
		*res = mt_sud_run_here(uc, SYS_futex, a);
		if (*res != -EFAULT)
			return 1;
		mt_hlock(); /* an arming or disarming in progress: let it end */
		mt_hunlock();
		w1 = mt_sys_touches((uintptr_t)a[0], 4);
		w2 = two && mt_sys_touches((uintptr_t)a[4], 4);
		wt = timed && a[3] && mt_sys_touches((uintptr_t)a[3], sizeof(struct timespec));
		if (!w1 && !w2 && !wt) {
			*res = mt_sud_run_here(uc, SYS_futex, a); /* disarmed meanwhile */
			return 1;
		}
	}
	int s1 = -1, s2 = -1;
	long b[6];
	memcpy(b, a, sizeof(b));
	/* a timeout on a watched page: a copy (read through the alias) */
	struct timespec ts;
	struct mt_tls *t = wt ? mt_tls_get() : NULL;
	unsigned nput = 0;
	mt_hlock();
	uintptr_t x;
	if (w1 && (x = pin((uintptr_t)a[0], &s1)))
		b[0] = (long)x;
	if (w2 && (x = pin((uintptr_t)a[4], &s2)))
		b[4] = (long)x;
	if (t && !mt_sysmem(t, (uintptr_t)a[3], (uint8_t *)&ts, sizeof(ts), 0,
			 (uint64_t)uc->uc_mcontext.gregs[REG_RIP] - 2, &nput))
		b[3] = (long)&ts;
	mt_hunlock();
	if (s1 >= 0 && (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET))
		*res = pinned_wait(uc, b, s1);
	else
		*res = mt_sud_run_here(uc, SYS_futex, b);
	mt_hlock();
	unpin(s1);
	unpin(s2);
	mt_hunlock();
	return 1;
}

/* ---- data buffers ------------------------------------------------------------------------ */

enum { IN = 1, OUT = 2 };
/* what the kernel wrote, copied back: the return value's bytes (times
 * mul); all of it on success; all of it on EINTR; all of it on success or
 * EINTR (select's timeout) */
enum { BACK_RET, BACK_RETMUL, BACK_OK, BACK_EINTR, BACK_OKINTR };

static const struct pdesc {
	int nr;
	int8_t idx, lenidx; /* pointer argument; its length argument, or -1: fixed */
	uint16_t fixed;
	uint8_t mul, dir, back;
} descs[] = {
	{ SYS_read, 1, 2, 0, 1, OUT, BACK_RET },
	{ SYS_pread64, 1, 2, 0, 1, OUT, BACK_RET },
	{ SYS_recvfrom, 1, 2, 0, 1, OUT, BACK_RET },
	{ SYS_getrandom, 0, 1, 0, 1, OUT, BACK_RET },
	{ SYS_write, 1, 2, 0, 1, IN, 0 },
	{ SYS_pwrite64, 1, 2, 0, 1, IN, 0 },
	{ SYS_sendto, 1, 2, 0, 1, IN, 0 },
	{ SYS_fstat, 1, -1, sizeof(struct stat), 1, OUT, BACK_OK },
	{ SYS_stat, 1, -1, sizeof(struct stat), 1, OUT, BACK_OK },
	{ SYS_lstat, 1, -1, sizeof(struct stat), 1, OUT, BACK_OK },
	{ SYS_newfstatat, 2, -1, sizeof(struct stat), 1, OUT, BACK_OK },
	{ SYS_clock_gettime, 1, -1, 16, 1, OUT, BACK_OK },
	{ SYS_gettimeofday, 0, -1, 16, 1, OUT, BACK_OK },
	{ SYS_nanosleep, 0, -1, 16, 1, IN, 0 },
	{ SYS_nanosleep, 1, -1, 16, 1, OUT, BACK_EINTR },
	{ SYS_clock_nanosleep, 2, -1, 16, 1, IN, 0 },
	{ SYS_clock_nanosleep, 3, -1, 16, 1, OUT, BACK_EINTR },
	{ SYS_poll, 0, 1, 0, 8, IN | OUT, BACK_OK },
	{ SYS_epoll_wait, 1, 2, 0, 12, OUT, BACK_RETMUL },
	{ SYS_epoll_pwait, 1, 2, 0, 12, OUT, BACK_RETMUL },
	/* mul 0: an fd set of a[lenidx] descriptors (whole longs) */
	{ SYS_select, 1, 0, 0, 0, IN | OUT, BACK_OK },
	{ SYS_select, 2, 0, 0, 0, IN | OUT, BACK_OK },
	{ SYS_select, 3, 0, 0, 0, IN | OUT, BACK_OK },
	{ SYS_select, 4, -1, 16, 1, IN | OUT, BACK_OKINTR },
	{ SYS_pselect6, 1, 0, 0, 0, IN | OUT, BACK_OK },
	{ SYS_pselect6, 2, 0, 0, 0, IN | OUT, BACK_OK },
	{ SYS_pselect6, 3, 0, 0, 0, IN | OUT, BACK_OK },
	{ SYS_pselect6, 4, -1, 16, 1, IN | OUT, BACK_OKINTR },
};
#define NDESCS (sizeof(descs) / sizeof(descs[0]))
#define MAX_BOUNCE MT_SYS_MAX_BOUNCE
#define MAX_PTRS 4

/* The largest naturally aligned piece (1, 2, 4, 8) at a, at most n. */
static size_t piece(uintptr_t a, size_t n)
{
	size_t s = 8;
	while (s > 1 && ((a & (s - 1)) || s > n))
		s >>= 1;
	return s;
}

/* Copy n bytes between the program's memory at addr and buf (to_prog:
 * into the program), watched pages through their alias, the watched bytes
 * recorded (lock held). 0 or -EFAULT. */
MT_HIDDEN int mt_sysmem(struct mt_tls *t, uintptr_t addr, uint8_t *buf, size_t n, int to_prog,
		      uint64_t pc, unsigned *nput)
{
	size_t done = 0;
	while (done < n) {
		uintptr_t p = addr + done;
		struct mt_region *r = mt_region_find(p);
		if (r && r->watch) {
			struct mt_acc_region ar;
			mt_watch_piece(r, p, to_prog, &ar);
			size_t k = ar.end - p < n - done ? ar.end - p : n - done;
			if (!(r->prot & (to_prog ? PROT_WRITE : PROT_READ)))
				return -EFAULT;
			uint8_t *al = (uint8_t *)(uintptr_t)ar.alias + (p - ar.start);
			if (to_prog)
				memcpy(al, buf + done, k);
			else
				memcpy(buf + done, al, k);
			for (size_t o = 0; ar.map_id && o < k;) {
				size_t s = piece(p + o, k - o);
				mt_emit_simple(to_prog ? MT_EV_WRITE : MT_EV_READ, ar.map_id, p + o, pc,
					       buf + done + o, (unsigned)s, 0);
				(*nput)++;
				o += s;
			}
			done += k;
			continue;
		}
		uintptr_t lim = r ? r->end : mt_region_next(p, p + (n - done));
		size_t k = lim - p < n - done ? lim - p : n - done;
		if (to_prog ? mt_safe_copy(t, (void *)p, buf + done, k)
			    : mt_safe_copy(t, buf + done, (const void *)p, k))
			return -EFAULT;
		done += k;
	}
	return 0;
}

/* For sud.c's emulations: n bytes of the program's memory at addr read
 * (to_prog 0) or written, watched pages through their alias (recorded).
 * 0 or -EFAULT. */
MT_HIDDEN int mt_sysptr_copy(ucontext_t *uc, uintptr_t addr, void *buf, size_t n, int to_prog)
{
	struct mt_tls *t = mt_tls_get();
	if (!t)
		return -EFAULT;
	if (!mt_sys_touches(addr, n))
		return to_prog ? mt_safe_copy(t, (void *)addr, buf, n)
			       : mt_safe_copy(t, buf, (const void *)addr, n);
	unsigned nput = 0;
	mt_hlock();
	int rc = mt_sysmem(t, addr, buf, n, to_prog, (uint64_t)uc->uc_mcontext.gregs[REG_RIP] - 2,
			&nput);
	mt_hunlock();
	return rc;
}

struct bounce {
	const struct pdesc *d;
	uintptr_t prog;
	size_t len;
	uint8_t *buf;
};

/* The pointer arguments of call nr that touch a watched page (bb, at most
 * MAX_PTRS); *known: it has pointer arguments that do not. */
static int data_find(long nr, const long a[6], struct bounce *bb, int *known)
{
	int nb = 0;
	*known = 0;
	for (size_t i = 0; i < NDESCS && nb < MAX_PTRS; i++) {
		const struct pdesc *d = &descs[i];
		if (d->nr != nr || !a[d->idx])
			continue;
		if (d->lenidx >= 0 && (a[d->lenidx] < 0 || (size_t)a[d->lenidx] > MAX_BOUNCE / 8))
			continue;
		size_t len = d->lenidx < 0 ? d->fixed
			     : d->mul ? (size_t)a[d->lenidx] * d->mul
				      : ((size_t)a[d->lenidx] + 63) / 64 * 8;
		if (len > MAX_BOUNCE)
			continue;
		if (!mt_sys_touches((uintptr_t)a[d->idx], len)) {
			*known = 1;
			continue;
		}
		bb[nb++] = (struct bounce){ d, (uintptr_t)a[d->idx], len, NULL };
	}
	return nb;
}

/* How many bytes of bounce b the kernel wrote, given the result rc. */
static size_t data_back(const struct bounce *b, long rc)
{
	const struct pdesc *d = b->d;
	size_t back = 0;
	if (!(d->dir & OUT) ||
	    (rc < 0 && !((d->back == BACK_EINTR || d->back == BACK_OKINTR) && rc == -EINTR)))
		back = 0;
	else if (d->back == BACK_RET)
		back = (size_t)rc;
	else if (d->back == BACK_RETMUL)
		back = (size_t)rc * d->mul;
	else if (d->back == BACK_OK || d->back == BACK_OKINTR)
		back = b->len;
	else if (rc == -EINTR)
		back = b->len;
	return back < b->len ? back : b->len;
}

/* Run call nr with the nb bounces of bb in place of their arguments. */
static long data_run(ucontext_t *uc, long nr, const long a[6], struct bounce *bb, int nb)
{
	struct mt_tls *t = mt_tls_get();
	uint64_t pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP] - 2;
	long b[6], rc = t ? 0 : -ENOMEM;
	memcpy(b, a, sizeof(b));
	for (int i = 0; i < nb && !rc; i++) {
		long p = mt_sud_raw(SYS_mmap, 0, (long)bb[i].len, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p < 0 && p > -4096)
			rc = p;
		else
			b[bb[i].d->idx] = (long)(bb[i].buf = (uint8_t *)p);
	}
	unsigned nput = 0;
	mt_hlock();
	for (int i = 0; i < nb && !rc; i++)
		if (bb[i].d->dir & IN)
			rc = mt_sysmem(t, bb[i].prog, bb[i].buf, bb[i].len, 0, pc, &nput);
	mt_hunlock();
	if (!rc)
		rc = mt_sud_run_here(uc, nr, b);
	mt_hlock();
	for (int i = 0; i < nb && bb[i].buf; i++) {
		size_t back = data_back(&bb[i], rc);
		if (back && mt_sysmem(t, bb[i].prog, bb[i].buf, back, 1, pc, &nput) && rc >= 0)
			rc = -EFAULT;
	}
	if (!nput)
		mt_watch_count_silent();
	mt_hunlock();
	for (int i = 0; i < nb && bb[i].buf; i++)
		mt_sud_raw(SYS_munmap, (long)bb[i].buf, (long)bb[i].len, 0, 0, 0, 0);
	return rc;
}

static int data_call(ucontext_t *uc, long nr, long a[6], long *res)
{
	struct bounce bb[MAX_PTRS];
	int known, nb = data_find(nr, a, bb, &known);
	if (!nb && !known)
		return 0; /* no pointer argument we know of */
	if (!nb) {
		/* run here, not from the trampoline: if a page was armed since
		 * the look (EFAULT), it goes again once the arming is over */
		*res = mt_sud_run_here(uc, nr, a);
		if (*res != -EFAULT)
			return 1;
		mt_hlock();
		mt_hunlock();
		nb = data_find(nr, a, bb, &known);
		if (!nb) {
			*res = mt_sud_run_here(uc, nr, a);
			return 1;
		}
	}
	*res = data_run(uc, nr, a, bb, nb);
	return 1;
}

/* A trapped call (sud.c): 1 if run here (*res its result), 0 if it has
 * no pointer into a watched page. */
MT_HIDDEN int mt_sysptr(ucontext_t *uc, long nr, long a[6], long *res)
{
	if (nr == SYS_futex)
		return futex_call(uc, a, res);
	if (nr == SYS_readv || nr == SYS_writev || nr == SYS_preadv || nr == SYS_pwritev)
		return mt_sys_iov(uc, nr, a, res);
	if (nr == SYS_sendmsg || nr == SYS_recvmsg)
		return mt_sys_msg(uc, nr, a, res);
	return data_call(uc, nr, a, res);
}
