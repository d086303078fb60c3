// SPDX-License-Identifier: GPL-2.0
/*
 * mt_fault.c - getting control of faults on traced pages, emulating the
 * access on the alias mapping, and resuming after the instruction.
 *
 * Path (DESIGN.md section 6): exc_page_fault -> handle_page_fault ->
 * trace_page_fault_kernel (our probe: emulate, write registers, record,
 * then point regs->ip at one of our stubs and clear IF in the saved flags)
 * -> do_kern_addr_fault -> bad_area_nosemaphore -> kernelmode_fixup_or_oops
 * -> fixup_exception, which finds the stub in our exception table and
 * resumes there. The stub (IF still clear, so no interrupt, preemption or
 * migration can come in between) re-enables interrupts if they were on
 * (STI's shadow covers the jump) and jumps through a per-CPU slot to the
 * next instruction. No register, flag or stack byte of the interrupted
 * context is touched. NMIs get their own slot and stubs.
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

/* Per CPU, summed by mtk_stats_sum(); probe_ns is timed on every 16th fault
 * (probe_timed of them): a second clock read per access would cost more
 * than the statistic is worth. */
DEFINE_PER_CPU(struct mtk_stats, mtk_stats);

void mtk_stats_sum(struct mtk_stats *sum)
{
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct mtk_stats *s = per_cpu_ptr(&mtk_stats, cpu);

		sum->faults += READ_ONCE(s->faults);
		sum->unknown += READ_ONCE(s->unknown);
		sum->stepped += READ_ONCE(s->stepped);
		sum->probe_ns += READ_ONCE(s->probe_ns);
		sum->probe_timed += READ_ONCE(s->probe_timed);
		sum->waits += READ_ONCE(s->waits);
	}
}

/* ---- resume stubs ------------------------------------------------------- */

DEFINE_PER_CPU(unsigned long, mtk_resume0); /* task/softirq/hardirq */
DEFINE_PER_CPU(unsigned long, mtk_resume1); /* NMI */

void mtk_stub_sti0(void);
void mtk_stub_cli0(void);
void mtk_stub_sti1(void);
void mtk_stub_cli1(void);

#define MTK_STUB(name, pre, slot)                                             \
	".pushsection .text, \"ax\"\n"                                        \
	".balign 16\n"                                                        \
	".globl " #name "\n"                                                  \
	".type " #name ", @function\n"                                        \
	#name ":\n"                                                           \
	pre                                                                   \
	ANNOTATE_RETPOLINE_SAFE                                               \
	"jmp *%gs:" #slot "\n"                                                \
	"int3\n"                                                              \
	".size " #name ", . - " #name "\n"                                    \
	_ASM_EXTABLE(name, name)                                              \
	".popsection\n"

asm(MTK_STUB(mtk_stub_sti0, "sti\n", mtk_resume0)
    MTK_STUB(mtk_stub_cli0, "", mtk_resume0)
    MTK_STUB(mtk_stub_sti1, "sti\n", mtk_resume1)
    MTK_STUB(mtk_stub_cli1, "", mtk_resume1));

static int mtk_fetch16(u8 *code, unsigned long ip)
{
	pagefault_disable();
	__get_kernel_nofault(code, (void *)ip, u64, Efault);
	__get_kernel_nofault(code + 8, (void *)(ip + 8), u64, Efault);
	pagefault_enable();
	return 0;
Efault:
	pagefault_enable();
	return -EFAULT;
}

/* How a fault ends. */
enum mtk_verdict {
	MTK_NOT_OURS,   /* the kernel's own fault handling goes on */
	MTK_RESUME,     /* dealt with: resume at regs->ip */
	MTK_SLEEP,      /* ftrace hook: return through mtk_fault_sleep() */
};

/* Faults of this CPU inside mtk_handle()'s decode-to-emulation section. */
DEFINE_PER_CPU(int, mtk_dnest);

/* The decoded instruction at regs->ip, through this CPU's decode cache of
 * the fault path's nesting depth (an NMI, or a fault inside the emulation,
 * may arrive while an outer fault uses its entry: mt_fault.h). code/n: its
 * bytes. NULL if it cannot be fetched or decoded, or nested too deep. */
static const struct mt_decoded *mtk_decode_at(struct pt_regs *regs, u8 *code, size_t *n,
					      int depth)
{
	struct mtk_core_pcpu *pc = this_cpu_ptr(mtk_core) + min(depth, MTK_DCACHE_DEPTH - 1);
	const struct mt_decoded *d;
	int st;

	/* Two 8-byte loads (the common case), else byte by byte as far as
	 * the text is mapped. */
	*n = ZYDIS_MAX_INSTRUCTION_LENGTH;
	if (mtk_fetch16(code, regs->ip)) {
		while (*n && copy_from_kernel_nofault(code, (void *)regs->ip, *n))
			(*n)--;
		if (!*n)
			return NULL;
	}
	if (depth >= MTK_DCACHE_DEPTH)
		return NULL;
	d = mt_dcache_lookup(&pc->cache, regs->ip, code, *n);
	return d ? d : mt_dcache_fill(&pc->cache, regs->ip, code, *n, &st);
}

/* Resume after the instruction through a stub (tracepoint hook, see the
 * top): interrupts stay off until the stub. */
static void mtk_via_stub(struct pt_regs *regs, bool nmi)
{
	if (nmi) {
		this_cpu_write(mtk_resume1, regs->ip);
		regs->ip = (regs->flags & X86_EFLAGS_IF) ? (unsigned long)mtk_stub_sti1
							 : (unsigned long)mtk_stub_cli1;
	} else {
		this_cpu_write(mtk_resume0, regs->ip);
		regs->ip = (regs->flags & X86_EFLAGS_IF) ? (unsigned long)mtk_stub_sti0
							 : (unsigned long)mtk_stub_cli0;
	}
	regs->flags &= ~X86_EFLAGS_IF;
}

/*
 * An instruction we cannot emulate (order lock held: c->taken): recorded
 * UNKNOWN, then run natively, single-stepped with its page present (the
 * lock stays held until the #DB after it: MTK_RESUME with regs->ip
 * unchanged and TF set) or, where a step cannot be taken (NMI, nested),
 * with its page disarmed for good.
 */
static enum mtk_verdict mtk_unknown(struct mtk_ctx *c, unsigned long address,
				    const u8 *code, size_t n, bool via_stub, bool nmi)
{
	bool step = c->taken && !nmi && mtk_step_allowed(c->regs);

	this_cpu_dec(mtk_stats.faults);
	this_cpu_inc(mtk_stats.unknown);
	if (step && mtk_step_begin(c->r, address, c->regs, via_stub)) {
		mtk_record_unknown(c, c->r, address, code, n, MMIOTAP_KF_STEPPED);
		this_cpu_inc(mtk_stats.stepped);
		if (via_stub) {
			this_cpu_write(mtk_resume0, c->regs->ip);
			c->regs->ip = (unsigned long)mtk_stub_cli0;
		}
		return MTK_RESUME; /* the lock is released after the step */
	}
	/* Not stepped: its page is disarmed (here, or by the region's
	 * teardown under way), it runs natively; or its area is gone and
	 * the next fault is the kernel's. */
	mtk_record_unknown(c, c->r, address, code, n, MMIOTAP_KF_DISARMED);
	mtk_disarm_page(c->r, address);
	mtk_order_end(c->taken);
	if (via_stub)
		mtk_via_stub(c->regs, nmi); /* to the instruction itself */
	return MTK_RESUME;
}

/*
 * The instruction faulted part-way on ordinary memory (c->fault_addr):
 * its registers are as the CPU leaves them at that fault, its device
 * accesses made and recorded. A user page that is not present is paged in
 * and the instruction run again, where the driver could have slept (as the
 * CPU's own fault would have done); anything else goes to the kernel's own
 * fault handling (exception-table fixup, or oops) as it would have without
 * tracing: nothing is executed natively a second time.
 */
static enum mtk_verdict mtk_memfault(struct mtk_ctx *c, bool can_sleep)
{
	if (c->fault_user && can_sleep &&
	    mtk_wait_fault_in(c->regs, c->fault_addr, c->fault_size, c->fault_write))
		return MTK_SLEEP;
	return MTK_NOT_OURS;
}

/*
 * The access that faulted at address, on a traced page. via_stub: the
 * tracepoint hook (resume through a stub); else the ftrace hook, which may
 * also send the fault to wait (MTK_SLEEP, mt_wait.c). Emulated: regs->ip
 * advanced (or left at a REP string that has more to do: it faults again).
 */
static enum mtk_verdict mtk_handle(struct pt_regs *regs, unsigned long address,
				   unsigned long error_code, bool via_stub)
{
	const struct mt_decoded *d;
	struct mtk_region *r;
	struct mtk_ctx c;
	u8 code[16];
	size_t n;
	u64 t0;
	bool nmi, timed;
	int ret;

	if (user_mode(regs) || address < TASK_SIZE_MAX)
		return MTK_NOT_OURS;
	r = mtk_region_find(address);
	/* An entry neither armed nor restored by us: the area was removed
	 * (mt_entry.c), an access there faults as it would untraced. (Not
	 * r->torn: that is a guess, mt_vmwatch.c; a torn region whose entry
	 * is still armed still maps the device.) */
	if (!r || mtk_page_gone(r, address))
		return MTK_NOT_OURS;
	/* Instruction fetch faults on a traced page are not ours to fix. */
	if (error_code & X86_PF_INSTR)
		return MTK_NOT_OURS;
	/* Lossless where the driver can wait: no emulation until the reader
	 * made room (sleeping: the fault comes again; else spinning, with
	 * interrupts on if they were: hence before the decode cache is
	 * used, which an interrupt's fault may use too). */
	if (mtk_buf_room_low()) {
		if (!via_stub && mtk_wait_for_room(regs))
			return MTK_SLEEP;
		mtk_spin_for_room(regs);
	}
	nmi = in_nmi();
	d = mtk_decode_at(regs, code, &n, this_cpu_inc_return(mtk_dnest) - 1);
	if (!n) {
		this_cpu_dec(mtk_dnest);
		return MTK_NOT_OURS;
	}
	t0 = mtk_now_ns();
	timed = !(this_cpu_inc_return(mtk_stats.faults) & 15);
	c = (struct mtk_ctx){
		.ts = t0, .r = r, .regs = regs, .pc = regs->ip, .flags = mtk_ctx_flags(),
		.delay_left = MMIOTAP_KINJECT_DELAY_MAX_NS,
	};
	c.taken = mtk_order_begin();
	ret = d ? mtk_core_run(&c, d) : -EINVAL;
	this_cpu_dec(mtk_dnest); /* d is not used past here */
	if (ret == -EFAULT) {
		this_cpu_dec(mtk_stats.faults);
		mtk_order_end(c.taken);
		return mtk_memfault(&c, !via_stub);
	}
	if (ret)
		return mtk_unknown(&c, address, code, n, via_stub, nmi);
	mtk_order_end(c.taken);
	mtk_wait_done(c.pc);
	if (timed) {
		this_cpu_add(mtk_stats.probe_ns, mtk_now_ns() - t0);
		this_cpu_inc(mtk_stats.probe_timed);
	}
	if (via_stub)
		mtk_via_stub(regs, nmi);
	return MTK_RESUME;
}

/* Testing only (tests/vm/test-kmod-selftest.sh): both hooks ignore every
 * fault, as on a kernel whose fault path does not reach them; the load-time
 * self-test must then fail and the module refuse to load. */
static bool test_hook_off;
module_param(test_hook_off, bool, 0400);
MODULE_PARM_DESC(test_hook_off, "testing only: the fault hook ignores every fault, so that the load-time self-test fails and the module refuses to load");

/* Tracepoint hook (second under fault_hook=auto): the exceptions:
 * page_fault_kernel tracepoint. An instruction we could not emulate re-runs
 * natively: the fault path finds its page present again (a spurious fault)
 * and returns to it. */
static void mtk_probe(void *data, unsigned long address, struct pt_regs *regs,
		      unsigned long error_code)
{
	if (unlikely(test_hook_off))
		return;
	mtk_handle(regs, address, error_code, true);
}

/*
 * ftrace hook (first under fault_hook=auto): an ftrace_ops (IPMODIFY) on
 * kernelmode_fixup_or_oops(regs, error_code, address, ...) (6.1:
 * kernelmode_fixup_or_oops.constprop.0), which a kernel-mode fault on a not-present vmalloc page reaches through
 * bad_area_nosemaphore(). If we deal with the fault, the function is
 * skipped (it returns at once) and the exception returns to regs->ip: the
 * next instruction, or the same one on a page made present again. The
 * arguments are checked: address must equal CR2.
 */
static void notrace noinline mtk_fixup_skip(void)
{
	barrier();
}

static bool mtk_ftrace_on;
static struct ftrace_ops mtk_fixup_ops;

static void notrace mtk_fixup_cb(unsigned long ip, unsigned long parent_ip,
				 struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	struct pt_regs *fr = ftrace_get_regs(fregs);
	struct pt_regs *regs;
	unsigned long address;

	if (!fr || unlikely(test_hook_off))
		return;
	regs = (struct pt_regs *)fr->di;
	address = fr->dx;
	/* Only if the arguments are what we expect (a clone with other
	 * parameters would not pass): the fault address is CR2, the saved
	 * registers are in kernel memory (a stack). */
	if (address != read_cr2() || (unsigned long)regs < PAGE_OFFSET)
		return;
	switch (mtk_handle(regs, address, fr->si, false)) {
	case MTK_RESUME:
		fr->ip = (unsigned long)mtk_fixup_skip;
		break;
	case MTK_SLEEP:
		fr->ip = (unsigned long)mtk_fault_sleep;
		break;
	case MTK_NOT_OURS:
		break;
	}
}

static int mtk_fixup_hook_init(void)
{
	/* Writable: the filter parser edits the glob in place. */
	static char glob[] = "kernelmode_fixup_or_oops*";
	int ret;

	mtk_fixup_ops.func = mtk_fixup_cb;
	mtk_fixup_ops.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY;
	ret = ftrace_set_filter(&mtk_fixup_ops, glob, strlen(glob), 1);
	if (ret) {
		pr_err("mmiotap: kernelmode_fixup_or_oops not found for the ftrace fault hook: %d\n", ret);
		return ret;
	}
	ret = register_ftrace_function(&mtk_fixup_ops);
	if (ret) {
		pr_err("mmiotap: cannot hook kernelmode_fixup_or_oops: %d%s\n", ret,
		       ret == -EBUSY ? " (another ftrace user already modifies its IP: a live patch?)" : "");
		ftrace_free_filter(&mtk_fixup_ops);
		return ret;
	}
	mtk_ftrace_on = true;
	return 0;
}

static void mtk_fixup_hook_exit(void)
{
	if (!mtk_ftrace_on)
		return;
	unregister_ftrace_function(&mtk_fixup_ops);
	ftrace_free_filter(&mtk_fixup_ops);
	mtk_ftrace_on = false;
}

/* ---- the tracepoint ------------------------------------------------------- */

static struct tracepoint *mtk_tp;

static void mtk_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "page_fault_kernel"))
		mtk_tp = tp;
}

const char *mtk_fault_hook_name = "none";

int mtk_fault_init(void)
{
	int ret = mtk_emul_init();

	if (ret)
		return ret;
	mtk_step_init();
	return 0;
}

/*
 * Attach the fault hook: MTK_HOOK_FTRACE (an ftrace_ops on
 * kernelmode_fixup_or_oops) or MTK_HOOK_TRACEPOINT (exceptions:
 * page_fault_kernel + the resume stubs). Both are checked by
 * mtk_fault_selftest() afterwards; mt_main.c tries ftrace first under
 * fault_hook=auto because it ends the fault earlier: the tracepoint path
 * goes on through fixup_exception(), whose two exception-table searches
 * (the kernel's, then the module's) cost as much as the emulation itself
 * (docs/INTERNALS.md, bench/bench_kmod.sh).
 */
int mtk_fault_hook_attach(enum mtk_fault_hook_kind kind)
{
	int ret;

	if (kind == MTK_HOOK_FTRACE) {
		ret = mtk_fixup_hook_init();
		if (!ret)
			mtk_fault_hook_name = "ftrace on kernelmode_fixup_or_oops";
		return ret;
	}
	for_each_kernel_tracepoint(mtk_find_tp, NULL);
	if (!mtk_tp) {
		pr_warn("mmiotap: tracepoint exceptions:page_fault_kernel not found\n");
		return -ENOENT;
	}
	ret = tracepoint_probe_register(mtk_tp, mtk_probe, NULL);
	if (ret) {
		pr_warn("mmiotap: cannot attach to page_fault_kernel: %d\n", ret);
		mtk_tp = NULL;
		return ret;
	}
	mtk_fault_hook_name = "tracepoint page_fault_kernel";
	return 0;
}

void mtk_fault_hook_detach(void)
{
	if (mtk_tp) {
		tracepoint_probe_unregister(mtk_tp, mtk_probe, NULL);
		tracepoint_synchronize_unregister();
		mtk_tp = NULL;
	}
	mtk_fixup_hook_exit();
	mtk_fault_hook_name = "none";
}

void mtk_fault_exit(void)
{
	mtk_fault_hook_detach();
	mtk_wait_exit();
	mtk_step_exit();
	mtk_emul_exit();
}

/*
 * Load-time self-test: trace a vmap of a private page (alias: its linear
 * map) and touch it through the nofault accessors. If the hook does not
 * take the fault on this kernel, the accessor's own fixup returns -EFAULT
 * and we refuse to load, instead of leaving armed pages behind.
 */
int mtk_fault_selftest(void)
{
	struct page *pg = alloc_page(GFP_KERNEL | __GFP_ZERO);
	void *va;
	u32 v = 0, w = 0x5a5aa5a5;
	const char *why = "";
	int ret, i;

	if (!pg)
		return -ENOMEM;
	va = vmap(&pg, 1, VM_MAP, PAGE_KERNEL);
	if (!va) {
		__free_page(pg);
		return -ENOMEM;
	}
	*(u32 *)page_address(pg) = 0x12345678;
	ret = mtk_region_add((unsigned long)va, page_to_phys(pg), PAGE_SIZE,
			     (void __iomem *)page_address(pg), 0xffffffff, 0xff);
	if (ret)
		goto out;
	/* Not -ENOSYS: kmod's insmod takes that from finit_module() for "no
	 * such system call" and loads the module a second time. */
	ret = -EOPNOTSUPP;
	why = "a read of the traced page was not emulated: this kernel's page fault path does not reach the hook";
	if (copy_from_kernel_nofault(&v, va, 4))
		goto fail;
	why = "a read of the traced page returned a wrong value";
	if (v != 0x12345678)
		goto fail;
	why = "a write to the traced page was not emulated: this kernel's page fault path does not reach the hook";
	if (mtk_write_nofault(va + 8, &w, 4))
		goto fail;
	why = "a write to the traced page did not reach the memory behind it";
	if (*(u32 *)(page_address(pg) + 8) != w)
		goto fail;
	ret = 0;
fail:
	/* The alias is the linear map: not ours to iounmap. */
	for (i = 0; i < MTK_MAX_REGIONS; i++)
		if (mtk_regions[i].virt == (unsigned long)va &&
		    mtk_regions[i].state == MTK_R_ARMED)
			mtk_regions[i].alias = NULL;
	mtk_region_remove((unsigned long)va);
	if (ret)
		pr_warn("mmiotap: fault hook %s: self-test failed: %s\n",
			mtk_fault_hook_name, why);
out:
	vunmap(va);
	__free_page(pg);
	return ret;
}

