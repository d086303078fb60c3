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
 * The reader is woken (poll) once a ring is a quarter full, by a function
 * call on another CPU (an irq_work from NMI): safe from any lock the traced
 * driver holds, and the reader does not queue up behind it on this CPU;
 * and wakes writers that wait for room (mt_fault.c) after each read.
 *
 * Lifetime: the rings exist from START to the end of the session; readers
 * and writers use them with preemption off, so mtk_quiesce() (mt_order.c)
 * before the memory goes covers both. Readers move records to a bounce
 * buffer under a spinlock and copy to user space after it: a reader that
 * the traced code preempts never holds up the others.
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
#include <linux/smp.h>
#include <linux/cpumask.h>
#include <linux/log2.h>
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
/* Readers: only while moving records out of the rings (preemption off, no
 * sleeping: a reader preempted there by the traced code would stop every
 * other reader); they copy to user space from their own bounce buffer. */
static DEFINE_SPINLOCK(mtk_read_lock);

/* Readers sleep in poll() on mtk_read_wq; writers wanting room sleep on
 * mtk_room_wq (mt_fault.c) until a read moves mtk_read_gen. */
static DECLARE_WAIT_QUEUE_HEAD(mtk_read_wq);
DECLARE_WAIT_QUEUE_HEAD(mtk_room_wq);
atomic_t mtk_read_gen = ATOMIC_INIT(0);
static bool mtk_reader_waiting;

static int mtk_reader_cpu = -1;

/*
 * Waking the reader from the fault path: a function call on another CPU
 * (where the reader then runs: woken from here, the scheduler could queue
 * it behind the traced code on this CPU, which may keep preemption off),
 * or from NMI an irq_work. False if there is no other CPU.
 */
static void mtk_wake_fn(void *unused);
static call_single_data_t mtk_kick_csd = CSD_INIT(mtk_wake_fn, NULL);
static atomic_t mtk_kick_busy = ATOMIC_INIT(0);

static void mtk_wake_fn(void *unused)
{
	atomic_set(&mtk_kick_busy, 0);
	wake_up_interruptible(&mtk_read_wq);
}

static void mtk_wake_iw(struct irq_work *w)
{
	wake_up_interruptible(&mtk_read_wq);
}
static struct irq_work mtk_reader_iw = IRQ_WORK_INIT(mtk_wake_iw);

bool mtk_buf_kick_reader(void)
{
	int me = smp_processor_id(), cpu = READ_ONCE(mtk_reader_cpu);

	if (in_nmi()) {
		irq_work_queue(&mtk_reader_iw);
		return true;
	}
	if (cpu < 0 || cpu == me || !cpu_online(cpu))
		cpu = cpumask_any_but(cpu_online_mask, me);
	if (cpu >= nr_cpu_ids)
		return false;
	if (atomic_cmpxchg(&mtk_kick_busy, 0, 1) == 0 &&
	    smp_call_function_single_async(cpu, &mtk_kick_csd))
		atomic_set(&mtk_kick_busy, 0);
	return true;
}

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
	/* Taken whole: a nested writer (NMI) in between sees none, and no
	 * loss is reported twice. */
	lost = local_xchg(&rg->lost, 0);
	if (lost) {
		r = mtk_ring_take(rg, 2);
		if (!r) {
			local_add(lost, &rg->lost);
			goto full;
		}
		r->seq = mtk_next_seq();
		r->ts_ns = mtk_now_ns();
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
		if (!mtk_buf_kick_reader())
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

/* End of the rings: no writer or reader is inside them once this returns
 * (readers, like writers, use them with preemption off: mtk_quiesce()'s
 * grace period covers both). Called under the control mutex. */
void mtk_buf_free(void)
{
	if (READ_ONCE(mtk_buf_ready)) {
		WRITE_ONCE(mtk_buf_ready, false);
		mtk_quiesce();
	}
	mtk_buf_release_all();
	wake_up_all(&mtk_room_wq);
	wake_up_interruptible_all(&mtk_read_wq);
	irq_work_sync(&mtk_reader_iw);
	while (atomic_read(&mtk_kick_busy))
		cpu_relax();
}

/* The default per-CPU size: 65536 records (4 MiB), fewer on machines with
 * many CPUs so that the rings take at most MTK_BUF_TOTAL_MAX together,
 * never under 4096 records. */
#define MTK_BUF_TOTAL_MAX (256UL << 20)
static unsigned int mtk_buf_default_records(void)
{
	unsigned long per_cpu = MTK_BUF_TOTAL_MAX / sizeof(struct mmiotap_krec) /
				num_possible_cpus();

	return clamp_t(unsigned long, rounddown_pow_of_two(per_cpu), 4096, 65536);
}

int mtk_buf_alloc(unsigned int nrec)
{
	int cpu;

	if (!nrec)
		nrec = mtk_buf_default_records();
	if (nrec < 64 || nrec > (1u << 24) || (nrec & (nrec - 1)))
		return -EINVAL;
	mtk_buf_free();
	for_each_possible_cpu(cpu) {
		struct mtk_ring *rg = per_cpu_ptr(&mtk_rings, cpu);

		rg->rec = vzalloc(array_size(nrec, sizeof(*rg->rec)));
		if (!rg->rec) {
			mtk_buf_release_all();
			return -ENOMEM;
		}
		rg->mask = nrec - 1;
		local_set(&rg->head, 0);
		local_set(&rg->nest, 0);
		rg->pub = 0;
		rg->tail = 0;
		local_set(&rg->lost, 0);
	}
	atomic64_set(&mtk_lost_total, 0);
	smp_store_release(&mtk_buf_ready, true);
	return 0;
}

/* Move up to max records of rg to dst (read lock held); the slots may be
 * overwritten once tail moved. Returns how many. */
static unsigned long mtk_ring_move(struct mtk_ring *rg, struct mmiotap_krec *dst,
				   unsigned long max)
{
	unsigned long t = rg->tail, n = min(smp_load_acquire(&rg->pub) - t, max);
	unsigned long i = t & rg->mask, first = min(n, rg->mask + 1 - i);

	memcpy(dst, &rg->rec[i], first * sizeof(*dst));
	memcpy(dst + first, &rg->rec[0], (n - first) * sizeof(*dst));
	smp_store_release(&rg->tail, t + n);
	return n;
}

#define MTK_READ_MAX 4096 /* records per read(): the bounce buffer */

static int mtk_read_next = -1; /* under mtk_read_lock */

/* The possible CPU after cpu, wrapping around. */
static int mtk_cpu_after(int cpu)
{
	cpu = cpumask_next(cpu, cpu_possible_mask);
	return cpu < nr_cpu_ids ? cpu : cpumask_first(cpu_possible_mask);
}

/* Copy whole records out, CPU by CPU, what each CPU has published: moved
 * to a bounce buffer under the read lock, then copied to user space. */
ssize_t mtk_buf_read(char __user *ubuf, size_t len)
{
	unsigned long max = min_t(size_t, len / sizeof(struct mmiotap_krec), MTK_READ_MAX);
	struct mmiotap_krec *bb;
	unsigned long done = 0;
	int cpu;

	if (!max)
		return 0;
	bb = kvmalloc_array(max, sizeof(*bb), GFP_KERNEL);
	if (!bb)
		return -ENOMEM;
	WRITE_ONCE(mtk_reader_cpu, raw_smp_processor_id());
	/* Softirqs off: one that faults on a traced page here, its ring
	 * full, would spin for a reader (mt_wait.c) that waits for this
	 * lock. */
	spin_lock_bh(&mtk_read_lock);
	if (smp_load_acquire(&mtk_buf_ready)) {
		/* Each read starts at the next CPU: a busy one's records do
		 * not keep the others' waiting. */
		unsigned int i, n = num_possible_cpus();

		cpu = mtk_read_next = mtk_cpu_after(mtk_read_next);
		for (i = 0; i < n && done < max; i++, cpu = mtk_cpu_after(cpu))
			done += mtk_ring_move(per_cpu_ptr(&mtk_rings, cpu), bb + done, max - done);
	}
	spin_unlock_bh(&mtk_read_lock);
	if (done) {
		mtk_wait_reader_progress();
		atomic_inc(&mtk_read_gen);
		if (wq_has_sleeper(&mtk_room_wq))
			wake_up_all(&mtk_room_wq);
	}
	if (done && copy_to_user(ubuf, bb, done * sizeof(*bb))) {
		atomic64_add(done, &mtk_lost_total); /* taken out, never delivered */
		done = 0;
		kvfree(bb);
		return -EFAULT;
	}
	kvfree(bb);
	return done * sizeof(*bb);
}

/* Whether any ring holds published records not read yet. */
static bool mtk_buf_pending(void)
{
	bool any = false;
	int cpu;

	preempt_disable(); /* the rings stay while we look (mtk_buf_free()) */
	if (smp_load_acquire(&mtk_buf_ready)) {
		for_each_possible_cpu(cpu) {
			struct mtk_ring *rg = per_cpu_ptr(&mtk_rings, cpu);

			if (smp_load_acquire(&rg->pub) != READ_ONCE(rg->tail)) {
				any = true;
				break;
			}
		}
	}
	preempt_enable();
	return any;
}

__poll_t mtk_buf_poll(struct file *f, poll_table *pt)
{
	poll_wait(f, &mtk_read_wq, pt);
	WRITE_ONCE(mtk_reader_cpu, raw_smp_processor_id());
	WRITE_ONCE(mtk_reader_waiting, true);
	smp_mb(); /* pairs with the writers' used count before their check */
	return mtk_buf_pending() ? EPOLLIN | EPOLLRDNORM : 0;
}
