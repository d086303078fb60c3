// SPDX-License-Identifier: GPL-2.0
/*
 * mt_order.c - the global order of records: one lock around "device access +
 * sequence number", the sequence counter, and MARK records.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/tracepoint.h>
#include <linux/ftrace.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/preempt.h>
#include <linux/hardirq.h>
#include <linux/smp.h>
#include <linux/io.h>
#include <asm/tlbflush.h>
#include <asm/pgtable.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/ptrace.h>
#include <asm/trap_pf.h>
#include <asm/debugreg.h>
#include <linux/kdebug.h>
#include <Zydis/Zydis.h>
#include <mmiotap_probe.h>
#include "mt_kmod.h"
/* The emulator: core/ (emu.h), compiled into the module. */
#include <mmiotap/emu.h>
#include "mt_fault.h"

static arch_spinlock_t mtk_order_lock = __ARCH_SPIN_LOCK_UNLOCKED;
static DEFINE_PER_CPU(int, mtk_order_held);
static atomic64_t mtk_seq = ATOMIC64_INIT(0);

/* Returns true if the lock was taken (false: NMI nested in our own
 * critical section on this CPU; the record is flagged NESTED). */
bool mtk_order_begin(void)
{
	if (this_cpu_read(mtk_order_held))
		return false;
	/* Mark first: an NMI between the two must not spin on a lock this
	 * CPU is about to hold. */
	this_cpu_write(mtk_order_held, 1);
	barrier();
	arch_spin_lock(&mtk_order_lock);
	return true;
}

void mtk_order_end(bool taken)
{
	if (taken) {
		arch_spin_unlock(&mtk_order_lock);
		barrier();
		this_cpu_write(mtk_order_held, 0);
	}
}

/* Atomic: a nested NMI takes numbers without the lock. */
u64 mtk_next_seq(void)
{
	return atomic64_inc_return(&mtk_seq);
}

/* n consecutive numbers (an access and its DATA records); the first. */
u64 mtk_next_seqs(unsigned int n)
{
	return atomic64_add_return(n, &mtk_seq) - n + 1;
}

/* The last number handed out; every record numbered up to it is committed
 * (records are numbered and committed inside the order lock). */
u64 mtk_last_seq(void)
{
	unsigned long flags;
	bool taken;
	u64 v;

	local_irq_save(flags);
	taken = mtk_order_begin();
	v = atomic64_read(&mtk_seq);
	mtk_order_end(taken);
	local_irq_restore(flags);
	return v;
}

/* A MARK, split into 16-byte records with consecutive numbers. */
int mtk_mark(const char *text, unsigned int len)
{
	unsigned long flags;
	unsigned int off = 0;
	bool taken;
	int ret = 0;

	local_irq_save(flags);
	taken = mtk_order_begin();
	do {
		struct mmiotap_krec *r = mtk_buf_reserve();
		unsigned int n = min(len - off, 16u);

		if (!r) {
			ret = -ENOSPC;
			break;
		}
		r->seq = mtk_next_seq();
		r->ts_ns = mtk_now_ns();
		r->type = MMIOTAP_KREC_MARK;
		memcpy(r->insn, text + off, n);
		r->width = n;
		r->pid = current->pid;
		r->cpu = smp_processor_id();
		off += n;
		r->flags = off < len ? MMIOTAP_KF_MORE : 0;
		mtk_buf_commit(r);
	} while (off < len);
	mtk_order_end(taken);
	local_irq_restore(flags);
	return ret;
}


/*
 * Wait until no CPU is in the fault path any more with something
 * unpublished before the call (rules, rings): every fault probe runs with
 * interrupts off or in NMI, a read-side section for synchronize_rcu(); a
 * single-step in flight holds the order lock from its fault to its debug
 * trap, so taking the lock once waits for it.
 */
void mtk_quiesce(void)
{
	unsigned long flags;
	bool taken;

	synchronize_rcu();
	local_irq_save(flags);
	taken = mtk_order_begin();
	mtk_order_end(taken);
	local_irq_restore(flags);
}
