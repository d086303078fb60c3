// SPDX-License-Identifier: GPL-2.0
/*
 * mt_step.c - single-stepping an instruction core/ cannot emulate, with its
 * page made present for one instruction, and disarming a page for good
 * where no step can be taken.
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
#include <linux/irq_work.h>
#include <linux/workqueue.h>
#include <Zydis/Zydis.h>
#include <mmiotap_probe.h>
#include "mt_kmod.h"
/* The emulator: core/ (emu.h), compiled into the module. */
#include <mmiotap/emu.h>
#include "mt_fault.h"

/* Index of the entry (4K, or the 2M entry's first page) mapping addr in r;
 * its level is 0 when the page is not armed. */
unsigned int mtk_page_idx(struct mtk_region *r, unsigned long addr)
{
	unsigned int i = (addr - r->virt) >> PAGE_SHIFT;

	if (r->level[i] == 0 && (addr & PMD_MASK) >= r->virt &&
	    r->level[((addr & PMD_MASK) - r->virt) >> PAGE_SHIFT] == PG_LEVEL_2M)
		i = ((addr & PMD_MASK) - r->virt) >> PAGE_SHIFT;
	return i;
}

/* The entry of the traced page at addr is neither armed by us nor
 * restored by us: its area was torn down behind our back (mt_entry.c), an
 * access there is not to the device. A page not armed any more (level 0:
 * restored by a teardown under way, disarmed) still is the device's. */
bool mtk_page_gone(struct mtk_region *r, unsigned long addr)
{
	unsigned int i = mtk_page_idx(r, addr);
	u8 level = READ_ONCE(r->level[i]);

	return level && mtk_entry_state(r->ptep[i], level, r->saved[i]) == MTK_E_GONE;
}

/* Make armed page i present (mt_entry.c): false if it is not armed, or its
 * entry is no longer ours (the area was torn down: never map it again). */
static bool mtk_page_present(struct mtk_region *r, unsigned int i)
{
	u8 level = READ_ONCE(r->level[i]);

	return level && mtk_entry_restore_saved(r->ptep[i], level, r->saved[i]);
}

/* An instruction we cannot emulate, and cannot single-step (NMI, or nested
 * in our own critical section): make its page present again, for good, and
 * let it run natively (the UNKNOWN record says so: MMIOTAP_KF_DISARMED). */
void mtk_disarm_page(struct mtk_region *r, unsigned long addr)
{
	unsigned int i = mtk_page_idx(r, addr);

	if (mtk_page_present(r, i))
		r->level[i] = 0;
	/* Else its area is gone: the fault path leaves the next fault on it
	 * to the kernel (mtk_handle()). Local TLB: a not-present entry is
	 * never cached, so nothing stale. */
}

/*
 * Single-stepping an instruction core/ cannot emulate, keeping the page
 * traced. The fault path (order lock held, interrupts off in the saved
 * flags) makes the page present, sets TF and resumes at the instruction
 * (through the no-STI stub when the tracepoint hook is used: the stub's JMP
 * traps first, phase 1 -> 2). The #DB after the instruction (die notifier,
 * DIE_DEBUG with DR_STEP) clears the entry again, flushes it from this
 * CPU's TLB, restores TF and IF and releases the order lock.
 *
 * Race window (as mmiotrace's): while the page is present, another CPU
 * that touches it natively is not traced, and it may keep the entry in
 * its TLB afterwards until the next flush. Faults on other traced pages
 * meanwhile wait for the order lock (NMIs go nested), and a region being
 * torn down waits too (mtk_region_disarm takes the lock), so the entry is
 * never cleared after the region's teardown restored it.
 */
struct mtk_step {
	struct mtk_region *r;
	unsigned long addr;     /* the faulting address */
	unsigned long target;   /* the instruction */
	unsigned long flags;    /* TF and IF of the interrupted context */
	unsigned int idx;       /* entry made present for the step */
	u8 level;               /* its level, as it was made present */
	int phase;              /* 0 idle, 1 the stub's JMP, 2 the instruction */
};
static DEFINE_PER_CPU(struct mtk_step, mtk_step);

/* Another CPU that touched the page natively while it was present for a
 * step may keep its entry in its TLB: flush every CPU's soon after (from a
 * work item: the #DB cannot send IPIs), so that untraced window is short. */
static void mtk_step_flush_fn(struct work_struct *w)
{
	mtk_flush_all();
}
static DECLARE_WORK(mtk_step_flush_work, mtk_step_flush_fn);

static void mtk_step_flush_irq(struct irq_work *w)
{
	schedule_work(&mtk_step_flush_work);
}
static DEFINE_IRQ_WORK(mtk_step_flush_iw, mtk_step_flush_irq);

/* The step is over (regs: the context that stepped, to get its TF and IF
 * back; NULL if it is not to be resumed: an oops). */
static void notrace mtk_step_finish(struct mtk_step *s, struct pt_regs *regs)
{
	struct mtk_region *r = s->r;
	unsigned int i = s->idx;

	/* Armed again, unless its area went away during the step. */
	mtk_entry_rearm(r->ptep[i], s->level, r->saved[i]);
	asm volatile("invlpg (%0)" : : "r"(s->addr) : "memory");
	irq_work_queue(&mtk_step_flush_iw);
	pagefault_enable();
	if (regs)
		regs->flags = (regs->flags & ~(X86_EFLAGS_TF | X86_EFLAGS_IF)) | s->flags;
	s->phase = 0;
	mtk_order_end(true);
}

/*
 * A die notification mid-step: the stepped instruction raised an exception
 * of its own (#GP, #UD, ...), or this CPU oopses: no #DB may ever come. The
 * step ends here (page armed again, order lock released: other CPUs'
 * faults wait for it), the exception goes on as it would untraced. (A #PF
 * of the instruction that the kernel fixes up resumes with TF still set:
 * the #DB after the fixup's first instruction ends the step.)
 */
static void notrace mtk_step_abort(struct mtk_step *s, unsigned long val, struct pt_regs *regs)
{
	if (val == DIE_OOPS)
		mtk_step_finish(s, NULL);
	else if (regs->ip == s->target)
		mtk_step_finish(s, regs);
}

static int notrace mtk_die_cb(struct notifier_block *nb, unsigned long val, void *data)
{
	struct die_args *args = data;
	struct mtk_step *s = this_cpu_ptr(&mtk_step);
	unsigned long *dr6;

	if (!s->phase || user_mode(args->regs))
		return NOTIFY_DONE;
	if (val != DIE_DEBUG) {
		mtk_step_abort(s, val, args->regs);
		return NOTIFY_DONE;
	}
	dr6 = (unsigned long *)args->err;
	if (!(*dr6 & DR_STEP))
		return NOTIFY_DONE;
	*dr6 &= ~DR_STEP;
	if (s->phase == 1 && args->regs->ip == s->target) {
		s->phase = 2; /* the stub jumped to the instruction: step it */
		return NOTIFY_STOP;
	}
	mtk_step_finish(s, args->regs);
	return NOTIFY_STOP;
}

static struct notifier_block mtk_die_nb = { .notifier_call = mtk_die_cb };
bool mtk_die_on;

/* Whether the instruction at regs->ip may be single-stepped at all (the
 * caller holds the order lock, not in NMI). Not inside a user-access
 * section (AC): it may touch a user page, whose fault the kernel would
 * take with interrupts off and the order lock held, and sleep in. */
bool mtk_step_allowed(struct pt_regs *regs)
{
	/* TIF_BLOCKSTEP: DEBUGCTL.BTF may be set in kernel mode too (the
	 * task's own block-stepping): TF would trap at the next branch, not
	 * after one instruction. */
	return mtk_die_on && !test_thread_flag(TIF_BLOCKSTEP) &&
	       !((regs->flags & X86_EFLAGS_AC) && boot_cpu_has(X86_FEATURE_SMAP));
}

/* Set up the step of the instruction at regs->ip (order lock held:
 * c->taken, not in NMI). Returns false if the page is not armed (a region
 * being torn down: it then runs natively, nothing to step; or its area
 * went away: its next fault is the kernel's). */
bool mtk_step_begin(struct mtk_region *r, unsigned long addr,
			   struct pt_regs *regs, bool via_stub)
{
	struct mtk_step *s = this_cpu_ptr(&mtk_step);
	unsigned int i = mtk_page_idx(r, addr);
	u8 level = READ_ONCE(r->level[i]);

	if (!level || !mtk_entry_restore_saved(r->ptep[i], level, r->saved[i]))
		return false;
	s->r = r;
	s->addr = addr;
	s->idx = i;
	s->level = level;
	s->target = regs->ip;
	s->flags = regs->flags & (X86_EFLAGS_TF | X86_EFLAGS_IF);
	s->phase = via_stub ? 1 : 2;
	regs->flags = (regs->flags & ~X86_EFLAGS_IF) | X86_EFLAGS_TF;
	/* A user page the instruction touches (a CPU without SMAP lets any
	 * kernel code do it, AC or not) must not be paged in by a sleeping
	 * fault while the order lock is held: such a fault goes to the
	 * exception fixup instead. Until mtk_step_finish(), same task. */
	pagefault_disable();
	return true;
}


int mtk_step_init(void)
{
	int ret = register_die_notifier(&mtk_die_nb);

	if (ret)
		pr_warn("mmiotap: cannot register a die notifier (%d): instructions that cannot be emulated disarm their page\n", ret);
	else
		mtk_die_on = true;
	return ret;
}

void mtk_step_exit(void)
{
	if (mtk_die_on) {
		/* No step is in flight: the regions are gone (their teardown
		 * waited for the order lock). */
		unregister_die_notifier(&mtk_die_nb);
		mtk_die_on = false;
	}
	irq_work_sync(&mtk_step_flush_iw);
	flush_work(&mtk_step_flush_work);
}
