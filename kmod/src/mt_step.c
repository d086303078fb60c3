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
#include <Zydis/Zydis.h>
#include <mmiotap_probe.h>
#include "mt_kmod.h"
/* The emulator: core/ (emu.h), compiled into the module. */
#include <mmiotap/emu.h>
#include "mt_fault.h"

/* Index of the entry (4K, or the 2M entry's first page) mapping addr in r;
 * its level is 0 when the page is not armed. */
static unsigned int mtk_page_idx(struct mtk_region *r, unsigned long addr)
{
	unsigned int i = (addr - r->virt) >> PAGE_SHIFT;

	if (r->level[i] == 0 && (addr & PMD_MASK) >= r->virt &&
	    r->level[((addr & PMD_MASK) - r->virt) >> PAGE_SHIFT] == PG_LEVEL_2M)
		i = ((addr & PMD_MASK) - r->virt) >> PAGE_SHIFT;
	return i;
}

static void mtk_page_present(struct mtk_region *r, unsigned int i)
{
	if (READ_ONCE(r->torn))
		return; /* its area is gone: never map it again */
	if (r->level[i] == PG_LEVEL_4K)
		set_pte(r->ptep[i], __pte(r->saved[i]));
	else if (r->level[i] == PG_LEVEL_2M)
		set_pmd((pmd_t *)r->ptep[i], __pmd(r->saved[i]));
}

/* An instruction we cannot emulate, and cannot single-step (NMI, or nested
 * in our own critical section): make its page present again, for good, and
 * let it run natively (the UNKNOWN record says so: MMIOTAP_KF_DISARMED). */
void mtk_disarm_page(struct mtk_region *r, unsigned long addr)
{
	unsigned int i = mtk_page_idx(r, addr);

	mtk_page_present(r, i);
	r->level[i] = 0;
	/* Local TLB: a not-present entry is never cached, so nothing stale. */
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
	int phase;              /* 0 idle, 1 the stub's JMP, 2 the instruction */
};
static DEFINE_PER_CPU(struct mtk_step, mtk_step);

static void notrace mtk_step_finish(struct mtk_step *s, struct pt_regs *regs)
{
	struct mtk_region *r = s->r;
	unsigned int i = s->idx;

	if (r->level[i] == PG_LEVEL_4K)
		pte_clear(&init_mm, s->addr, r->ptep[i]);
	else if (r->level[i] == PG_LEVEL_2M)
		pmd_clear((pmd_t *)r->ptep[i]);
	asm volatile("invlpg (%0)" : : "r"(s->addr) : "memory");
	regs->flags = (regs->flags & ~(X86_EFLAGS_TF | X86_EFLAGS_IF)) | s->flags;
	s->phase = 0;
	mtk_order_end(true);
}

static int notrace mtk_die_cb(struct notifier_block *nb, unsigned long val, void *data)
{
	struct die_args *args = data;
	struct mtk_step *s = this_cpu_ptr(&mtk_step);
	unsigned long *dr6;

	if (val != DIE_DEBUG || !s->phase || user_mode(args->regs))
		return NOTIFY_DONE;
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

/* Set up the step of the instruction at regs->ip (order lock held:
 * c->taken, not in NMI). Returns false if the page is not armed (a region
 * being torn down): it then runs natively, nothing to step. */
bool mtk_step_begin(struct mtk_region *r, unsigned long addr,
			   struct pt_regs *regs, bool via_stub)
{
	struct mtk_step *s = this_cpu_ptr(&mtk_step);
	unsigned int i = mtk_page_idx(r, addr);

	if (!r->level[i])
		return false;
	s->r = r;
	s->addr = addr;
	s->idx = i;
	s->target = regs->ip;
	s->flags = regs->flags & (X86_EFLAGS_TF | X86_EFLAGS_IF);
	s->phase = via_stub ? 1 : 2;
	mtk_page_present(r, i);
	regs->flags = (regs->flags & ~X86_EFLAGS_IF) | X86_EFLAGS_TF;
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
}
