// SPDX-License-Identifier: GPL-2.0
/*
 * mt_buf.c - per-CPU record rings. Written only by their own CPU (any
 * context, NMI included: slots are reserved with a local cmpxchg), drained
 * by read() under a mutex. A full ring counts losses and, as soon as there
 * is room again, writes a LOST record with the count where they happened.
 */
#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/uaccess.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <asm/local.h>
#include "mt_kmod.h"

struct mtk_ring {
	struct mmiotap_krec *rec;
	u8 *ready;
	unsigned int mask;
	local_t head;           /* next slot to reserve (this CPU only) */
	unsigned long tail;     /* next slot to read (reader only) */
	local_t lost;           /* records dropped since the last LOST */
};

static DEFINE_PER_CPU(struct mtk_ring, mtk_rings);
static bool mtk_buf_ready;
atomic64_t mtk_lost_total = ATOMIC64_INIT(0);
static DEFINE_MUTEX(mtk_read_mutex);

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

/* Called with interrupts off (fault path) or from NMI. */
struct mmiotap_krec *mtk_buf_reserve(void)
{
	struct mtk_ring *rg;
	struct mmiotap_krec *r;
	long lost;

	if (!READ_ONCE(mtk_buf_ready))
		return NULL;
	rg = this_cpu_ptr(&mtk_rings);
	lost = local_read(&rg->lost);
	if (lost) {
		r = mtk_ring_take(rg, 2);
		if (!r) {
			local_inc(&rg->lost);
			atomic64_inc(&mtk_lost_total);
			return NULL;
		}
		local_sub(lost, &rg->lost);
		r->seq = mtk_next_seq();
		r->ts_ns = local_clock();
		r->type = MMIOTAP_KREC_LOST;
		r->value = lost;
		r->cpu = smp_processor_id();
		r->pid = current->pid;
		mtk_buf_commit(r);
	}
	r = mtk_ring_take(rg, 1);
	if (!r) {
		local_inc(&rg->lost);
		atomic64_inc(&mtk_lost_total);
	}
	return r;
}

void mtk_buf_commit(struct mmiotap_krec *r)
{
	struct mtk_ring *rg = this_cpu_ptr(&mtk_rings);

	smp_store_release(&rg->ready[r - rg->rec], 1);
}

void mtk_buf_free(void)
{
	int cpu;

	WRITE_ONCE(mtk_buf_ready, false);
	synchronize_rcu(); /* writers run with interrupts off */
	for_each_possible_cpu(cpu) {
		struct mtk_ring *rg = per_cpu_ptr(&mtk_rings, cpu);

		vfree(rg->rec);
		vfree(rg->ready);
		rg->rec = NULL;
		rg->ready = NULL;
	}
}

int mtk_buf_alloc(unsigned int nrec)
{
	int cpu;

	if (!nrec)
		nrec = 65536;
	if (nrec < 64 || nrec > (1u << 24) || (nrec & (nrec - 1)))
		return -EINVAL;
	mtk_buf_free();
	for_each_possible_cpu(cpu) {
		struct mtk_ring *rg = per_cpu_ptr(&mtk_rings, cpu);

		rg->rec = vzalloc(array_size(nrec, sizeof(*rg->rec)));
		rg->ready = vzalloc(nrec);
		if (!rg->rec || !rg->ready) {
			mtk_buf_free();
			return -ENOMEM;
		}
		rg->mask = nrec - 1;
		local_set(&rg->head, 0);
		rg->tail = 0;
		local_set(&rg->lost, 0);
	}
	atomic64_set(&mtk_lost_total, 0);
	WRITE_ONCE(mtk_buf_ready, true);
	return 0;
}

/* Copy whole records out, CPU by CPU. */
ssize_t mtk_buf_read(char __user *ubuf, size_t len)
{
	size_t done = 0;
	int cpu;

	mutex_lock(&mtk_read_mutex);
	if (!READ_ONCE(mtk_buf_ready))
		goto out;
	for_each_possible_cpu(cpu) {
		struct mtk_ring *rg = per_cpu_ptr(&mtk_rings, cpu);

		while (done + sizeof(struct mmiotap_krec) <= len) {
			unsigned long t = rg->tail;
			unsigned int i = t & rg->mask;

			if (t == (unsigned long)local_read(&rg->head) ||
			    !smp_load_acquire(&rg->ready[i]))
				break;
			if (copy_to_user(ubuf + done, &rg->rec[i], sizeof(rg->rec[i]))) {
				if (!done)
					done = -EFAULT;
				goto out;
			}
			rg->ready[i] = 0;
			smp_store_release(&rg->tail, t + 1);
			done += sizeof(struct mmiotap_krec);
		}
	}
out:
	mutex_unlock(&mtk_read_mutex);
	return done;
}
