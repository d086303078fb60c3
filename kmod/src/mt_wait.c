// SPDX-License-Identifier: GPL-2.0
/*
 * mt_wait.c - faults that wait instead of losing records.
 *
 * The fault path runs with interrupts off and cannot sleep. Where the
 * interrupted code could sleep (process context, interrupts on, no lock,
 * no RCU read side, page faults allowed), a fault that finds its CPU's
 * ring nearly full, or a user page of the instruction's other operand not
 * present, does not emulate: the ftrace hook returns through
 * mtk_fault_sleep() instead of kernelmode_fixup_or_oops(), which runs in
 * the interrupted context, as the rest of the kernel's page fault handler
 * does when it pages memory in: it enables interrupts, waits (for the
 * reader to drain, bounded by MTK_WAIT_MS; or for the page to be faulted
 * in) and returns; the exception returns to the instruction, which faults
 * again and is emulated with room.
 *
 * Where the driver cannot sleep (softirq, spinlocks, preemption or
 * interrupts off, the tracepoint hook), the fault spins instead for the
 * reader (woken on another CPU) to make room, as long as it makes progress
 * (mtk_spin_for_room()). Where nothing can wait (NMI, hardirq, no other CPU for the
 * reader) or the wait ran out (the reader stalled: no more waits until it
 * reads again), the access is emulated anyway and what does not fit is
 * counted in a LOST record.
 * A task sent here once for an instruction is not sent again for it if the
 * wait could not be taken or did not help (mtk_nowait), so nothing loops.
 */
#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/pagemap.h>
#include <linux/rcupdate.h>
#include <linux/delay.h>
#include <linux/sched/clock.h>
#include "mt_fault.h"

#define MTK_WAIT_MS 1000
#define MTK_SPIN_MS 200
#define MTK_SPIN_IRQOFF_MS 20

enum { MTK_SLEEP_ROOM = 1, MTK_SLEEP_FAULT_IN };

/* What the fault asked for (read back by mtk_fault_sleep() on the same
 * CPU, interrupts still off). */
struct mtk_sleep_req {
	unsigned long uaddr;
	unsigned int size;      /* FAULT_IN: bytes at uaddr */
	int gen;                /* ROOM: mtk_read_gen when the room was low */
	u8 kind;
	bool write;
};
static DEFINE_PER_CPU(struct mtk_sleep_req, mtk_sleep_req);

/* A task at an instruction that is not to be sent to wait again (the wait
 * was refused or did not help): checked on every CPU, it may have moved. */
struct mtk_nowait {
	struct task_struct *task;
	unsigned long ip;
};
static DEFINE_PER_CPU(struct mtk_nowait, mtk_nowait);

/* A task whose user operand at uaddr was paged in for the instruction at
 * ip, tries times in a row (each within MTK_FAULT_IN_NS of the last): if
 * it still does not get through (paged out again at once, or an address
 * that faulting in does not help), the fault goes to the kernel's own
 * handling instead of looping. */
#define MTK_FAULT_IN_TRIES 3
#define MTK_FAULT_IN_NS NSEC_PER_SEC
struct mtk_faulted {
	struct task_struct *task;
	unsigned long ip, uaddr;
	u64 last;
	unsigned int tries;
};
static DEFINE_PER_CPU(struct mtk_faulted, mtk_faulted);

static bool mtk_reader_stalled;
static atomic_t mtk_sleepers = ATOMIC_INIT(0);

/* The reader got records again: waiting makes sense again. */
void mtk_wait_reader_progress(void)
{
	if (READ_ONCE(mtk_reader_stalled))
		WRITE_ONCE(mtk_reader_stalled, false);
}

/*
 * Fault path, where the fault could not be sent to sleep (an atomic
 * section, softirq, the tracepoint hook): spin until the reader made room,
 * if it can run on another CPU (woken there). Interrupts are enabled
 * meanwhile if the driver had them on (preemption stays off: this CPU's
 * ring is the one we wait for). The reader must show progress (a read)
 * every MTK_SPIN_MS (MTK_SPIN_IRQOFF_MS with interrupts off); else it is
 * marked stalled and no fault waits until it reads again. Not in NMI or
 * hardirq context: nothing waits there.
 */
void mtk_spin_for_room(struct pt_regs *regs)
{
	bool irqs = regs->flags & X86_EFLAGS_IF;
	u64 bound = (irqs ? MTK_SPIN_MS : MTK_SPIN_IRQOFF_MS) * NSEC_PER_MSEC, last;
	int gen;

	if (in_nmi() || in_hardirq() || READ_ONCE(mtk_reader_stalled) || !mtk_buf_kick_reader())
		return;
	this_cpu_inc(mtk_stats.waits);
	preempt_disable();
	if (irqs)
		local_irq_enable();
	gen = atomic_read(&mtk_read_gen);
	last = local_clock();
	while (mtk_buf_room_low()) {
		u64 now = local_clock();

		if (atomic_read(&mtk_read_gen) != gen) {
			gen = atomic_read(&mtk_read_gen);
			last = now;
		} else if (now - last > bound) {
			WRITE_ONCE(mtk_reader_stalled, true);
			break;
		}
		cpu_relax();
	}
	if (irqs)
		local_irq_disable();
	preempt_enable();
}

/* One-shot: true (and forgotten) if current was refused a wait at ip. */
static bool mtk_nowait_hit(unsigned long ip)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct mtk_nowait *nw = per_cpu_ptr(&mtk_nowait, cpu);

		if (READ_ONCE(nw->task) == current && READ_ONCE(nw->ip) == ip) {
			WRITE_ONCE(nw->task, NULL);
			return true;
		}
	}
	return false;
}

/* The slot (any CPU: the task may have moved) that counts current's
 * fault-ins at ip for uaddr, or NULL. */
static struct mtk_faulted *mtk_faulted_find(unsigned long ip, unsigned long uaddr)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct mtk_faulted *f = per_cpu_ptr(&mtk_faulted, cpu);

		if (READ_ONCE(f->task) == current && READ_ONCE(f->ip) == ip &&
		    READ_ONCE(f->uaddr) == uaddr)
			return f;
	}
	return NULL;
}

/* mtk_fault_sleep(): the page-in for this instruction worked. */
static void mtk_faulted_count(unsigned long ip, unsigned long uaddr)
{
	struct mtk_faulted *f = mtk_faulted_find(ip, uaddr);
	u64 now = local_clock();

	unsigned int tries = 1;

	/* Counted again on this CPU's slot (where the retry most likely
	 * completes: mtk_wait_done()). */
	if (f) {
		if (now - READ_ONCE(f->last) < MTK_FAULT_IN_NS)
			tries = READ_ONCE(f->tries) + 1;
		WRITE_ONCE(f->task, NULL);
	}
	f = this_cpu_ptr(&mtk_faulted);
	WRITE_ONCE(f->task, NULL);
	WRITE_ONCE(f->ip, ip);
	WRITE_ONCE(f->uaddr, uaddr);
	WRITE_ONCE(f->last, now);
	WRITE_ONCE(f->tries, tries);
	WRITE_ONCE(f->task, current);
}

/* Fault path: the instruction at ip completed. A fault-in it needed is
 * forgotten (this CPU's slot; the common case: the retry after the page-in
 * runs where the page-in was counted), so that tries count only retries
 * that keep failing. */
void mtk_wait_done(unsigned long ip)
{
	struct mtk_faulted *f = this_cpu_ptr(&mtk_faulted);

	if (unlikely(READ_ONCE(f->task) == current) && READ_ONCE(f->ip) == ip)
		WRITE_ONCE(f->task, NULL);
}

/* Fault path: may this fault be sent to wait at all? (The rest of the
 * checks need the interrupted context's preempt count, which the ftrace
 * callback may have raised: mtk_fault_sleep() makes them.) */
static bool mtk_may_send(struct pt_regs *regs)
{
	if (!IS_ENABLED(CONFIG_PREEMPT_COUNT) || in_nmi() || in_hardirq() ||
	    in_serving_softirq() || !(regs->flags & X86_EFLAGS_IF))
		return false;
	return !mtk_nowait_hit(regs->ip);
}

/* Fault path, ftrace hook: the ring of this CPU is nearly full. True if
 * the fault is to return through mtk_fault_sleep() (nothing emulated). */
bool mtk_wait_for_room(struct pt_regs *regs)
{
	struct mtk_sleep_req *q = this_cpu_ptr(&mtk_sleep_req);

	if (READ_ONCE(mtk_reader_stalled) || !mtk_may_send(regs))
		return false;
	q->kind = MTK_SLEEP_ROOM;
	q->gen = atomic_read(&mtk_read_gen);
	atomic_inc(&mtk_sleepers);
	return true;
}

/* Fault path, ftrace hook: the instruction's user operand at uaddr is not
 * present (its registers are already as the CPU leaves them at that
 * fault). True if the fault returns through mtk_fault_sleep() to page it
 * in and run the instruction again, as the CPU's own fault would. */
bool mtk_wait_fault_in(struct pt_regs *regs, unsigned long uaddr, unsigned int size,
		       bool write)
{
	struct mtk_sleep_req *q = this_cpu_ptr(&mtk_sleep_req);
	struct mtk_faulted *f = mtk_faulted_find(regs->ip, uaddr);

	if (f && READ_ONCE(f->tries) >= MTK_FAULT_IN_TRIES &&
	    local_clock() - READ_ONCE(f->last) < MTK_FAULT_IN_NS) {
		WRITE_ONCE(f->task, NULL);
		return false;
	}
	if (!current->mm || !mtk_may_send(regs))
		return false;
	q->kind = MTK_SLEEP_FAULT_IN;
	q->uaddr = uaddr;
	q->size = size;
	q->write = write;
	atomic_inc(&mtk_sleepers);
	return true;
}

/* The interrupted code could sleep here (it is where it would be had the
 * CPU faulted on a user page in it). */
static bool mtk_can_sleep(struct pt_regs *regs)
{
	/* A task that set its state to sleep (between set_current_state()
	 * and schedule()) must not sleep for us: its wake-up would be lost. */
	return !in_atomic() && !pagefault_disabled() && !rcu_preempt_depth() &&
	       READ_ONCE(current->__state) == TASK_RUNNING &&
	       !is_idle_task(current) && !oops_in_progress;
}

static bool mtk_sleep_room(int gen)
{
	long left;

	this_cpu_inc(mtk_stats.waits);
	left = wait_event_timeout(mtk_room_wq,
				  atomic_read(&mtk_read_gen) != gen || !mtk_buf_active(),
				  msecs_to_jiffies(MTK_WAIT_MS));
	if (left)
		return true;
	WRITE_ONCE(mtk_reader_stalled, true);
	return false;
}

static bool mtk_sleep_fault_in(const struct mtk_sleep_req *q)
{
	char __user *p = (char __user *)q->uaddr;

	return !(q->write ? fault_in_safe_writeable(p, q->size) : fault_in_readable(p, q->size));
}

/*
 * Where the ftrace hook sends a fault that is to wait, in place of
 * kernelmode_fixup_or_oops(regs, ...): called (by the ftrace return) with
 * that function's arguments, regs first, interrupts off; returning goes
 * back up the page fault handler, which returns to regs->ip.
 */
void notrace noinline mtk_fault_sleep(struct pt_regs *regs)
{
	struct mtk_sleep_req q = *this_cpu_ptr(&mtk_sleep_req);
	bool ok = false;

	if (mtk_can_sleep(regs)) {
		local_irq_enable();
		ok = q.kind == MTK_SLEEP_ROOM ? mtk_sleep_room(q.gen) : mtk_sleep_fault_in(&q);
		local_irq_disable();
	}
	if (ok && q.kind == MTK_SLEEP_FAULT_IN)
		mtk_faulted_count(regs->ip, q.uaddr);
	if (!ok) {
		struct mtk_nowait *nw = this_cpu_ptr(&mtk_nowait);

		WRITE_ONCE(nw->ip, regs->ip);
		WRITE_ONCE(nw->task, current);
	}
	/* Interrupts stay off from here until the exception returns: after
	 * this, mtk_wait_exit()'s grace period covers the rest of our text. */
	atomic_dec(&mtk_sleepers);
}

/* Module exit, after the fault hook is gone: no task is left in
 * mtk_fault_sleep(). */
void mtk_wait_exit(void)
{
	wake_up_all(&mtk_room_wq);
	while (atomic_read(&mtk_sleepers))
		msleep(10);
	synchronize_rcu();
}
