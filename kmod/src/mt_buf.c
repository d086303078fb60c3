// SPDX-License-Identifier: GPL-2.0
/*
 * mt_buf.c - per-CPU record rings of the recording session.
 *
 * Written only by their own CPU, in any context (NMI included): a slot is
 * reserved with a local cmpxchg on head, filled, and committed. Commit
 * publishes: `pub` is the end of the records that are complete. Writers nest
 * (an NMI can interrupt a writer between reserve and commit on the same
 * CPU), so only the outermost writer moves `pub`, to the head it sees, and
 * looks again after leaving (the nested writer's records are complete once
 * it returned). The reader copies [tail, pub) in at most two pieces and
 * moves `tail`; a full ring counts losses and writes a LOST record with the
 * count as soon as there is room again, where they happened.
 *
 * The reader is woken (poll) through an irq_work once a ring is a quarter
 * full (irq_work: safe from NMI and from any lock the traced driver holds),
 * and wakes writers that wait for room (mt_fault.c) after each read.
 *
 * Lifetime: the rings exist from START to the end of the session; readers
 * hold mtk_read_mutex, which mtk_buf_free() takes; the fault path is
 * covered by mtk_quiesce() (mt_fault.c) before the memory goes.
 */
#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/uaccess.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/irq_work.h>
#include <linux/wait.h>
#include <linux/poll.h>
#include <asm/local.h>
#include "mt_kmod.h"

struct mtk_ring {
	struct mmiotap_krec *rec;
	unsigned long mask;
	local_t head;           /* next slot to reserve (this CPU only) */
	local_t nest;           /* writers between reserve and commit */
	unsigned long pub;      /* slots below it are complete */
	unsigned long tail;     /* next slot to read (reader only) */
	local_t lost;           /* records dropped since the last LOST */
};

static DEFINE_PER_CPU(struct mtk_ring, mtk_rings);
static bool mtk_buf_ready;
atomic64_t mtk_lost_total = ATOMIC64_INIT(0);
static DEFINE_MUTEX(mtk_read_mutex);

/* Readers sleep in poll() on mtk_read_wq; writers wanting room sleep on
 * mtk_room_wq (mt_fault.c) until a read moves mtk_read_gen. */
static DECLARE_WAIT_QUEUE_HEAD(mtk_read_wq);
DECLARE_WAIT_QUEUE_HEAD(mtk_room_wq);
atomic_t mtk_read_gen = ATOMIC_INIT(0);
static bool mtk_reader_waiting;

static void mtk_wake_reader(struct irq_work *w)
{
	wake_up_interruptible(&mtk_read_wq);
}
static struct irq_work mtk_reader_iw = IRQ_WORK_INIT(mtk_wake_reader);

static struct mmiotap_krec *mtk_ring_take(struct mtk_ring *rg, unsigned int need)
{
	long h;

	do {
		h = local_read(&rg->head);
		if ((unsigned long)h + need - READ_ONCE(rg->tail) > rg->mask + 1)
			return NULL;
	} while (local_cmpxchg(&rg->head, h, h + 1) != h);
	memset(&rg->rec[h & rg->mask], 0, sizeof(struct mmiotap_krec));
	return &rg->rec[h & rg->mask];
}

static void mtk_ring_publish(struct mtk_ring *rg)
{
	unsigned long h;

	for (;;) {
		if (local_read(&rg->nest) == 1) {
			do {
				h = local_read(&rg->head);
				smp_store_release(&rg->pub, h);
			} while (h != (unsigned long)local_read(&rg->head));
		}
		if (local_dec_return(&rg->nest))
			return; /* nested: the outer writer publishes */
		if ((unsigned long)local_read(&rg->head) == READ_ONCE(rg->pub))
			return;
		/* A nested writer came and went after we published. */
		local_inc(&rg->nest);
	}
}

/* Called with interrupts off (fault path) or from NMI. Every successful
 * reserve is followed by one mtk_buf_commit(). */
struct mmiotap_krec *mtk_buf_reserve(void)
{
	struct mtk_ring *rg;
	struct mmiotap_krec *r;
	long lost;

	if (!READ_ONCE(mtk_buf_ready))
		return NULL;
	rg = this_cpu_ptr(&mtk_rings);
	local_inc(&rg->nest);
	lost = local_read(&rg->lost);
	if (lost) {
		r = mtk_ring_take(rg, 2);
		if (!r)
			goto full;
		local_sub(lost, &rg->lost);
		r->seq = mtk_next_seq();
		r->ts_ns = local_clock();
		r->type = MMIOTAP_KREC_LOST;
		r->value = lost;
		r->cpu = smp_processor_id();
		r->pid = current->pid;
		local_inc(&rg->nest); /* committed right away, inside ours */
		mtk_buf_commit(r);
	}
	r = mtk_ring_take(rg, 1);
	if (r)
		return r;
full:
	local_inc(&rg->lost);
	atomic64_inc(&mtk_lost_total);
	mtk_ring_publish(rg); /* leaves the writer count as it was */
	return NULL;
}

void mtk_buf_commit(struct mmiotap_krec *r)
{
	struct mtk_ring *rg = this_cpu_ptr(&mtk_rings);
	unsigned long used;

	mtk_ring_publish(rg);
	used = (unsigned long)local_read(&rg->head) - READ_ONCE(rg->tail);
	if (unlikely(READ_ONCE(mtk_reader_waiting)) && used > (rg->mask + 1) / 4) {
		WRITE_ONCE(mtk_reader_waiting, false);
		irq_work_queue(&mtk_reader_iw);
	}
}

/* Whether this CPU's ring (interrupts off) has less room than one fault
 * may need: a chunk of a REP string with its records (MTK_REP_CHUNK), or a
 * quarter of a small ring. False when not recording. */
bool mtk_buf_room_low(void)
{
	struct mtk_ring *rg;
	unsigned long used, want;

	if (!READ_ONCE(mtk_buf_ready))
		return false;
	rg = this_cpu_ptr(&mtk_rings);
	used = (unsigned long)local_read(&rg->head) - READ_ONCE(rg->tail);
	want = min_t(unsigned long, 2 * MTK_REP_CHUNK, (rg->mask + 1) / 4);
	return rg->mask + 1 - used < want;
}

bool mtk_buf_active(void)
{
	return READ_ONCE(mtk_buf_ready);
}

static void mtk_buf_release_all(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct mtk_ring *rg = per_cpu_ptr(&mtk_rings, cpu);

		vfree(rg->rec);
		rg->rec = NULL;
	}
}

/* End of the rings: no writer can be inside them once this returns. */
void mtk_buf_free(void)
{
	mutex_lock(&mtk_read_mutex);
	if (READ_ONCE(mtk_buf_ready)) {
		WRITE_ONCE(mtk_buf_ready, false);
		mtk_quiesce();
	}
	mtk_buf_release_all();
	mutex_unlock(&mtk_read_mutex);
	wake_up_all(&mtk_room_wq);
	wake_up_interruptible_all(&mtk_read_wq);
	irq_work_sync(&mtk_reader_iw);
}

int mtk_buf_alloc(unsigned int nrec)
{
	int cpu, ret = 0;

	if (!nrec)
		nrec = 65536;
	if (nrec < 64 || nrec > (1u << 24) || (nrec & (nrec - 1)))
		return -EINVAL;
	mtk_buf_free();
	mutex_lock(&mtk_read_mutex);
	for_each_possible_cpu(cpu) {
		struct mtk_ring *rg = per_cpu_ptr(&mtk_rings, cpu);

		rg->rec = vzalloc(array_size(nrec, sizeof(*rg->rec)));
		if (!rg->rec) {
			mtk_buf_release_all();
			ret = -ENOMEM;
			goto out;
		}
		rg->mask = nrec - 1;
		local_set(&rg->head, 0);
		local_set(&rg->nest, 0);
		rg->pub = 0;
		rg->tail = 0;
		local_set(&rg->lost, 0);
	}
	atomic64_set(&mtk_lost_total, 0);
	WRITE_ONCE(mtk_buf_ready, true);
out:
	mutex_unlock(&mtk_read_mutex);
	return ret;
}

/* Copy n records of rg from slot t on (n fits without wrapping twice). */
static int mtk_copy_out(struct mtk_ring *rg, char __user *ubuf, unsigned long t,
			unsigned long n)
{
	unsigned long i = t & rg->mask, first = min(n, rg->mask + 1 - i);

	if (copy_to_user(ubuf, &rg->rec[i], first * sizeof(*rg->rec)))
		return -EFAULT;
	if (n > first && copy_to_user(ubuf + first * sizeof(*rg->rec), &rg->rec[0],
				      (n - first) * sizeof(*rg->rec)))
		return -EFAULT;
	return 0;
}

/* Copy whole records out, CPU by CPU, what each CPU has published. */
ssize_t mtk_buf_read(char __user *ubuf, size_t len)
{
	size_t done = 0;
	ssize_t ret;
	int cpu;

	mutex_lock(&mtk_read_mutex);
	if (!READ_ONCE(mtk_buf_ready))
		goto out;
	for_each_possible_cpu(cpu) {
		struct mtk_ring *rg = per_cpu_ptr(&mtk_rings, cpu);
		unsigned long t = rg->tail, n = smp_load_acquire(&rg->pub) - t;

		n = min_t(unsigned long, n, (len - done) / sizeof(*rg->rec));
		if (!n)
			continue;
		if (mtk_copy_out(rg, ubuf + done, t, n)) {
			ret = done ? (ssize_t)done : -EFAULT;
			goto unlock;
		}
		/* The slots may be overwritten from here on. */
		smp_store_release(&rg->tail, t + n);
		done += n * sizeof(*rg->rec);
	}
out:
	ret = done;
unlock:
	mutex_unlock(&mtk_read_mutex);
	if (done) {
		mtk_wait_reader_progress();
		atomic_inc(&mtk_read_gen);
		if (wq_has_sleeper(&mtk_room_wq))
			wake_up_all(&mtk_room_wq);
	}
	return ret;
}

/* Whether any ring holds published records not read yet. */
static bool mtk_buf_pending(void)
{
	int cpu;

	if (!READ_ONCE(mtk_buf_ready))
		return false;
	for_each_possible_cpu(cpu) {
		struct mtk_ring *rg = per_cpu_ptr(&mtk_rings, cpu);

		if (smp_load_acquire(&rg->pub) != READ_ONCE(rg->tail))
			return true;
	}
	return false;
}

__poll_t mtk_buf_poll(struct file *f, poll_table *pt)
{
	__poll_t mask = 0;

	poll_wait(f, &mtk_read_wq, pt);
	mutex_lock(&mtk_read_mutex);
	WRITE_ONCE(mtk_reader_waiting, true);
	smp_mb(); /* pairs with the writers' used count before their check */
	if (mtk_buf_pending())
		mask |= EPOLLIN | EPOLLRDNORM;
	mutex_unlock(&mtk_read_mutex);
	return mask;
}
