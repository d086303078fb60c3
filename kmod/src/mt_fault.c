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

struct mtk_region mtk_regions[MTK_MAX_REGIONS];
/* Per CPU, summed by mtk_stats_sum(); probe_ns is timed on every 16th fault
 * (probe_timed of them): a second clock read per access would cost more
 * than the statistic is worth. */
static DEFINE_PER_CPU(struct mtk_stats, mtk_stats);

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

/* ---- ordering: one lock around "device access + sequence number" ------- */

static arch_spinlock_t mtk_order_lock = __ARCH_SPIN_LOCK_UNLOCKED;
static DEFINE_PER_CPU(int, mtk_order_held);
static atomic64_t mtk_seq = ATOMIC64_INIT(0);

/* Returns true if the lock was taken (false: NMI nested in our own
 * critical section on this CPU; the record is flagged NESTED). */
static bool mtk_order_begin(void)
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

static void mtk_order_end(bool taken)
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
static u64 mtk_next_seqs(unsigned int n)
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

unsigned int mtk_regions_armed(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < MTK_MAX_REGIONS; i++)
		n += READ_ONCE(mtk_regions[i].state) == MTK_R_ARMED;
	return n;
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
		r->ts_ns = local_clock();
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

/* ---- regions -------------------------------------------------------------- */

/* Regions in use are below this index (it only grows): the fault path's
 * scan stops there. */
static unsigned int mtk_regions_hw;

struct mtk_region *mtk_region_find(unsigned long addr)
{
	unsigned int i, hw = READ_ONCE(mtk_regions_hw);

	for (i = 0; i < hw; i++) {
		struct mtk_region *r = &mtk_regions[i];
		int st = smp_load_acquire(&r->state);

		if ((st == MTK_R_ARMED || st == MTK_R_DYING) &&
		    addr - r->virt < r->size)
			return r;
	}
	return NULL;
}

static void mtk_flush_one(void *unused)
{
	__flush_tlb_all();
}

static void mtk_flush_all(void)
{
	on_each_cpu(mtk_flush_one, NULL, 1);
}

/* Clear the entries mapping r; refuse 1G (and unknown) levels. */
static int mtk_region_arm(struct mtk_region *r)
{
	unsigned int i, level;
	unsigned long pmd_va = 1; /* 2M entry cleared last (1 = none) */

	for (i = 0; i < r->npages; i++) {
		unsigned long va = r->virt + (unsigned long)i * PAGE_SIZE;
		pte_t *pte;

		if ((va & PMD_MASK) == pmd_va)
			continue; /* covered by the 2M entry cleared before */
		pte = lookup_address(va, &level);
		if (!pte || !(pte_flags(*pte) & _PAGE_PRESENT))
			goto fail;
		if (level == PG_LEVEL_4K) {
			r->ptep[i] = pte;
			r->saved[i] = pte_val(*pte);
			r->level[i] = PG_LEVEL_4K;
			pte_clear(&init_mm, va, pte);
		} else if (level == PG_LEVEL_2M) {
			r->ptep[i] = pte;
			r->saved[i] = pte_val(*pte);
			r->level[i] = PG_LEVEL_2M;
			pmd_va = va & PMD_MASK;
			pmd_clear((pmd_t *)pte);
		} else {
			pr_err("mmiotap: %#lx is mapped with a 1G page: not traced (refused)\n", va);
			goto fail;
		}
	}
	mtk_flush_all();
	return 0;
fail:
	while (i--) {
		if (r->level[i] == PG_LEVEL_4K)
			set_pte(r->ptep[i], __pte(r->saved[i]));
		else if (r->level[i] == PG_LEVEL_2M)
			set_pmd((pmd_t *)r->ptep[i], __pmd(r->saved[i]));
		r->level[i] = 0;
	}
	mtk_flush_all();
	return -EOPNOTSUPP;
}

static void mtk_region_disarm(struct mtk_region *r)
{
	unsigned long flags;
	unsigned int i;
	bool taken;

	/* Under the order lock: a CPU single-stepping an instruction on one
	 * of these pages (mtk_step) holds it until the page is cleared
	 * again, so the entries restored here stay restored. */
	local_irq_save(flags);
	taken = mtk_order_begin();
	for (i = 0; i < r->npages; i++) {
		if (r->level[i] == PG_LEVEL_4K)
			set_pte(r->ptep[i], __pte(r->saved[i]));
		else if (r->level[i] == PG_LEVEL_2M)
			set_pmd((pmd_t *)r->ptep[i], __pmd(r->saved[i]));
		r->level[i] = 0;
	}
	mtk_order_end(taken);
	local_irq_restore(flags);
	mtk_flush_all();
}

DEFINE_MUTEX(mtk_region_mutex);

/* MAP (pc: r->map_pc, the caller of the ioremap) or UNMAP (pc: the caller
 * of iounmap, 0 at the end of a recording). */
static void mtk_emit_map(struct mtk_region *r, bool unmap, unsigned long pc)
{
	struct mmiotap_krec *rec;
	bool taken;
	unsigned long flags;

	local_irq_save(flags);
	taken = mtk_order_begin();
	rec = mtk_buf_reserve();
	if (rec) {
		rec->seq = mtk_next_seq();
		rec->ts_ns = local_clock();
		rec->type = unmap ? MMIOTAP_KREC_UNMAP : MMIOTAP_KREC_MAP;
		rec->phys = r->phys;
		rec->virt = r->virt;
		rec->value = r->size;
		rec->pc = unmap ? pc : r->map_pc;
		rec->pid = current->pid;
		rec->cpu = smp_processor_id();
		rec->width = r->bar;
		rec->map_id = r->id;
		rec->pci = r->pci;
		mtk_buf_commit(rec);
	}
	mtk_order_end(taken);
	local_irq_restore(flags);
}

/*
 * The start of the vmalloc area that holds va: areas are separated by a
 * guard page, so walk back while the previous page is mapped or armed.
 * Called with mtk_region_mutex held.
 */
static unsigned long mtk_map_start(unsigned long va)
{
	unsigned int level;

	for (;;) {
		unsigned long prev = va - PAGE_SIZE;
		struct mtk_region *r = mtk_region_find(prev);
		pte_t *pte;

		if (r) {
			va = r->map_start;
			continue;
		}
		if (prev < VMALLOC_START)
			return va;
		pte = lookup_address(prev, &level);
		if (!pte || !(pte_flags(*pte) & _PAGE_PRESENT))
			return va;
		va = level == PG_LEVEL_4K ? prev : prev & PMD_MASK;
	}
}

/*
 * Arm [virt, virt+size) (page aligned), which maps phys; alias is a second
 * mapping of the same range that the module owns from now on. record: the
 * recording selected it (MAP record, accesses recorded); else it is held
 * only by probes (refs). Caller holds mtk_region_mutex.
 */
int mtk_region_add_locked(unsigned long virt, phys_addr_t phys, unsigned long size,
			  void __iomem *alias, u32 pci, u8 bar, bool record,
			  struct mtk_region **out)
{
	static u16 next_id;
	struct mtk_region *r = NULL;
	unsigned int n = size >> PAGE_SHIFT;
	unsigned long va;
	int i, ret;

	lockdep_assert_held(&mtk_region_mutex);
	/* Never two regions on one page: a cleared PTE would be saved as the
	 * page's entry. */
	for (va = virt; va - virt < size; va += PAGE_SIZE)
		if (mtk_region_find(va))
			return -EBUSY;
	for (i = 0; i < MTK_MAX_REGIONS; i++) {
		if (mtk_regions[i].state == MTK_R_FREE) {
			r = &mtk_regions[i];
			break;
		}
	}
	if (!r)
		return -ENOSPC;
	if (i + 1 > mtk_regions_hw)
		WRITE_ONCE(mtk_regions_hw, i + 1); /* before the state is published */
	ret = -ENOMEM;
	r->ptep = kcalloc(n, sizeof(*r->ptep), GFP_KERNEL);
	r->saved = kcalloc(n, sizeof(*r->saved), GFP_KERNEL);
	r->level = kcalloc(n, 1, GFP_KERNEL);
	if (!r->ptep || !r->saved || !r->level)
		goto out_free;
	r->virt = virt;
	r->size = size;
	r->npages = n;
	r->phys = phys;
	r->alias = alias;
	r->pci = pci;
	r->bar = bar;
	r->id = ++next_id;
	r->map_start = mtk_map_start(virt);
	r->map_pc = 0;
	r->refs = 0;
	WRITE_ONCE(r->record, record);
	r->inject_mask = record ? mtk_inject_match(phys, size, pci, bar) : 0;
	/* Publish before arming: a fault can come the moment a PTE is gone. */
	smp_store_release(&r->state, MTK_R_ARMED);
	ret = mtk_region_arm(r);
	if (ret) {
		smp_store_release(&r->state, MTK_R_DYING);
		synchronize_rcu();
		smp_store_release(&r->state, MTK_R_FREE);
		goto out_free;
	}
	if (out)
		*out = r;
	return 0;
out_free:
	kfree(r->ptep);
	kfree(r->saved);
	kfree(r->level);
	r->ptep = NULL;
	r->saved = NULL;
	r->level = NULL;
	return ret;
}

/* A recorded region (MAP record); pc: the caller of the ioremap that made
 * the mapping (0: found by the page-table walk). */
int mtk_region_add_pc(unsigned long virt, phys_addr_t phys, unsigned long size,
		      void __iomem *alias, u32 pci, u8 bar, unsigned long pc)
{
	struct mtk_region *r;
	int ret;

	mutex_lock(&mtk_region_mutex);
	ret = mtk_region_add_locked(virt, phys, size, alias, pci, bar, true, &r);
	if (!ret) {
		r->map_pc = pc;
		mtk_emit_map(r, false, 0);
	}
	mutex_unlock(&mtk_region_mutex);
	return ret;
}

int mtk_region_add(unsigned long virt, phys_addr_t phys, unsigned long size,
		   void __iomem *alias, u32 pci, u8 bar)
{
	return mtk_region_add_pc(virt, phys, size, alias, pci, bar, 0);
}

static void mtk_region_teardown(struct mtk_region *r, unsigned long pc)
{
	/* DYING: faults already under way still find it and emulate. */
	smp_store_release(&r->state, MTK_R_DYING);
	mtk_region_disarm(r);
	/* Every fault probe runs with interrupts off: an RCU reader. */
	synchronize_rcu();
	if (r->record)
		mtk_emit_map(r, true, pc);
	if (r->alias)
		iounmap(r->alias);
	kfree(r->ptep);
	kfree(r->saved);
	kfree(r->level);
	r->ptep = NULL;
	r->saved = NULL;
	r->level = NULL;
	r->alias = NULL;
	smp_store_release(&r->state, MTK_R_FREE);
}

/* A probe lets go of r (caller holds mtk_region_mutex). */
void mtk_region_put_locked(struct mtk_region *r)
{
	lockdep_assert_held(&mtk_region_mutex);
	if (r->refs)
		r->refs--;
	if (!r->refs && !r->record)
		mtk_region_teardown(r, 0);
}

/* The mapping that starts at virt goes away (called before iounmap): every
 * region in it, probes on it included (those probes are made inert). pc:
 * the caller of iounmap, for the UNMAP record. */
void mtk_region_remove_pc(unsigned long virt, unsigned long pc)
{
	int i;

	virt &= PAGE_MASK;
	mutex_lock(&mtk_region_mutex);
	for (i = 0; i < MTK_MAX_REGIONS; i++) {
		struct mtk_region *r = &mtk_regions[i];

		if (r->state == MTK_R_ARMED &&
		    (r->map_start == virt || virt - r->virt < r->size)) {
			if (r->refs)
				mtk_probes_kill(r->virt, r->size);
			mtk_region_teardown(r, pc);
		}
	}
	mutex_unlock(&mtk_region_mutex);
}

void mtk_region_remove(unsigned long virt)
{
	mtk_region_remove_pc(virt, 0);
}

/* End of a recording (all = false: regions that probes hold stay armed,
 * unrecorded) or of the module (all = true). */
void mtk_region_remove_all(bool all)
{
	int i;

	mutex_lock(&mtk_region_mutex);
	for (i = 0; i < MTK_MAX_REGIONS; i++) {
		struct mtk_region *r = &mtk_regions[i];

		if (r->state != MTK_R_ARMED)
			continue;
		if (!all && r->refs) {
			if (r->record) {
				r->inject_mask = 0;
				mtk_emit_map(r, true, 0);
				WRITE_ONCE(r->record, false);
			}
			continue;
		}
		mtk_region_teardown(r, 0);
	}
	mutex_unlock(&mtk_region_mutex);
}

/* START: regions that probes armed before are recorded too if selected. */
void mtk_region_select_existing(void)
{
	int i;

	mutex_lock(&mtk_region_mutex);
	for (i = 0; i < MTK_MAX_REGIONS; i++) {
		struct mtk_region *r = &mtk_regions[i];
		u32 pci;
		u8 bar;

		if (r->state != MTK_R_ARMED || r->record ||
		    !mtk_selected(r->phys, r->size, &pci, &bar))
			continue;
		r->pci = pci;
		r->bar = bar;
		r->inject_mask = mtk_inject_match(r->phys, r->size, pci, bar);
		WRITE_ONCE(r->record, true);
		mtk_emit_map(r, false, 0);
	}
	mutex_unlock(&mtk_region_mutex);
}

/* ---- emulation -------------------------------------------------------------- */

/* pt_regs offsets of the GPRs in hardware encoding order. */
static const u16 mtk_gpr_off[16] = {
	offsetof(struct pt_regs, ax), offsetof(struct pt_regs, cx),
	offsetof(struct pt_regs, dx), offsetof(struct pt_regs, bx),
	offsetof(struct pt_regs, sp), offsetof(struct pt_regs, bp),
	offsetof(struct pt_regs, si), offsetof(struct pt_regs, di),
	offsetof(struct pt_regs, r8), offsetof(struct pt_regs, r9),
	offsetof(struct pt_regs, r10), offsetof(struct pt_regs, r11),
	offsetof(struct pt_regs, r12), offsetof(struct pt_regs, r13),
	offsetof(struct pt_regs, r14), offsetof(struct pt_regs, r15),
};

static inline unsigned long *mtk_gpr(struct pt_regs *regs, unsigned int i)
{
	return (unsigned long *)((char *)regs + mtk_gpr_off[i]);
}

struct mtk_ctx {
	struct pt_regs *regs;
	struct mtk_region *r;   /* the faulting access's region (first guess) */
	unsigned long pc;
	u64 ts;                 /* local_clock() at the fault: records' time */
	u16 flags;
	bool taken;
};

static u16 mtk_ctx_flags(void)
{
	if (in_nmi())
		return MMIOTAP_KF_NMI;
	if (in_hardirq())
		return MMIOTAP_KF_HARDIRQ;
	if (in_serving_softirq())
		return MMIOTAP_KF_SOFTIRQ;
	return 0;
}

/* The device access itself, on the alias; returns the first 8 bytes. */
static __always_inline u64 mtk_io(void __iomem *p, void *buf, unsigned int size, bool write)
{
	u64 v = 0;

	switch (size) {
	case 1:
		if (write) writeb(*(u8 *)buf, p); else *(u8 *)buf = readb(p);
		return *(u8 *)buf;
	case 2:
		if (write) writew(*(u16 *)buf, p); else *(u16 *)buf = readw(p);
		return *(u16 *)buf;
	case 4:
		if (write) writel(*(u32 *)buf, p); else *(u32 *)buf = readl(p);
		return *(u32 *)buf;
	case 8:
		if (write) writeq(*(u64 *)buf, p); else *(u64 *)buf = readq(p);
		return *(u64 *)buf;
	default: {
		/* Wider (vector) accesses: 8-byte pieces, in address order. */
		unsigned int off;

		for (off = 0; off + 8 <= size; off += 8) {
			if (write) writeq(*(u64 *)((u8 *)buf + off), p + off);
			else *(u64 *)((u8 *)buf + off) = readq(p + off);
		}
		for (; off < size; off++) {
			if (write) writeb(((u8 *)buf)[off], p + off);
			else ((u8 *)buf)[off] = readb(p + off);
		}
		memcpy(&v, buf, 8);
		return v;
	}
	}
}

/* The access's record (and, wider than 8 bytes, its DATA records). v: the
 * value (first 8 bytes); orig: the value before injection (ifl has
 * MMIOTAP_KF_INJECTED). */
static void mtk_record_access(struct mtk_ctx *c, struct mtk_region *r, unsigned long addr,
			      const void *buf, unsigned int size, bool write, u64 v,
			      u64 orig, u16 ifl)
{
	struct mmiotap_krec *rec = mtk_buf_reserve();
	unsigned int ndata, k;
	u64 seq;

	if (!rec)
		return;
	/* Wider than 8 bytes: DATA records with the bytes above the first 8
	 * follow, numbered right after (kabi.h). */
	ndata = size > 8 ? (size - 8 + 15) / 16 : 0;
	seq = ndata ? mtk_next_seqs(1 + ndata) : mtk_next_seq();
	rec->seq = seq;
	rec->ts_ns = c->ts;
	rec->type = write ? MMIOTAP_KREC_WRITE : MMIOTAP_KREC_READ;
	rec->phys = r->phys + (addr - r->virt);
	rec->value = v;
	rec->virt = ifl & MMIOTAP_KF_INJECTED ? orig : addr;
	rec->pc = c->pc;
	rec->pid = current->pid;
	rec->cpu = smp_processor_id();
	rec->width = size;
	rec->map_id = r->id;
	rec->flags = c->flags | ifl | (c->taken ? 0 : MMIOTAP_KF_NESTED) |
		     (ndata ? MMIOTAP_KF_MORE : 0);
	rec->pci = r->pci;
	mtk_buf_commit(rec);
	for (k = 0; k < ndata; k++) {
		unsigned int off = 8 + 16 * k, len = min(size - off, 16u);
		struct mmiotap_krec *dr = mtk_buf_reserve();

		if (!dr)
			break; /* counted lost; the reader zero-fills */
		dr->seq = seq + 1 + k;
		dr->ts_ns = c->ts;
		dr->type = MMIOTAP_KREC_DATA;
		memcpy(dr->insn, (const u8 *)buf + off, len);
		dr->pc = c->pc;
		dr->pid = current->pid;
		dr->cpu = smp_processor_id();
		dr->width = len;
		dr->map_id = r->id;
		dr->flags = k + 1 < ndata ? MMIOTAP_KF_MORE : 0;
		mtk_buf_commit(dr);
	}
}

/* An access to a region with probes or injection rules on it. afl: the
 * access's MMIOTAP_KF_LOCKED / _STRING. */
static noinline void mtk_device_rw_hooked(struct mtk_ctx *c, struct mtk_region *r,
					  unsigned long addr, void *buf, unsigned int size,
					  bool write, u16 afl)
{
	void __iomem *p = r->alias + (addr - r->virt);
	struct mmiotap_probe *pr = NULL;
	struct mmiotap_access acc;
	u8 tmp[64];
	u64 v = 0, orig = 0;
	u16 ifl = 0;

	if (unlikely(r->refs) && size <= sizeof(tmp)) {
		pr = mtk_probe_find(addr, size);
		if (pr) {
			atomic64_inc(&pr->hits);
			acc = (struct mmiotap_access){
				.addr = addr, .phys = r->phys + (addr - r->virt),
				.pc = c->pc, .regs = c->regs, .width = size,
				.write = write, .value = tmp,
			};
		}
	}
	/* A write: probe's pre handler, then injection, on a copy (buf is
	 * the driver's value). */
	if (write && size <= sizeof(tmp) && (pr || unlikely(r->inject_mask))) {
		memcpy(tmp, buf, size);
		memcpy(&orig, buf, min(size, 8u));
		if (pr && pr->pre) {
			pr->pre(pr, &acc);
			if (memcmp(tmp, buf, size))
				ifl |= MMIOTAP_KF_INJECTED;
			if (acc.drop)
				ifl |= MMIOTAP_KF_INJECTED | MMIOTAP_KF_DROPPED;
		}
		if (r->inject_mask)
			ifl |= mtk_inject_access(r->inject_mask, r->phys, addr - r->virt, size, true, tmp);
		buf = tmp;
		if (ifl & MMIOTAP_KF_DROPPED) {
			memcpy(&v, buf, min(size, 8u));
			goto post;
		}
	} else if (pr && pr->pre) {
		memset(tmp, 0, size);
		pr->pre(pr, &acc);
	}
	v = mtk_io(p, buf, size, write);
	/* A read: injection, then the probe's post handler; the driver sees
	 * the result. */
	if (!write && (unlikely(r->inject_mask) || pr)) {
		orig = v;
		if (r->inject_mask)
			ifl = mtk_inject_access(r->inject_mask, r->phys, addr - r->virt, size, false, buf);
		if (pr && pr->post) {
			memcpy(tmp, buf, size);
			pr->post(pr, &acc);
			if (memcmp(tmp, buf, size)) {
				memcpy(buf, tmp, size);
				ifl |= MMIOTAP_KF_INJECTED;
			}
		}
		if (ifl)
			memcpy(&v, buf, min(size, 8u));
	}
post:
	if (write && pr && pr->post) {
		if (buf != tmp)
			memcpy(tmp, buf, size);
		pr->post(pr, &acc);
	}
	if (READ_ONCE(r->record))
		mtk_record_access(c, r, addr, buf, size, write, v, orig, ifl | afl);
}

/* One device access on the emulated instruction's behalf: buf holds the
 * value to write, or receives the value read. afl: MMIOTAP_KF_LOCKED /
 * _STRING for the record. */
static inline void mtk_device_rw(struct mtk_ctx *c, struct mtk_region *r,
				 unsigned long addr, void *buf, unsigned int size,
				 bool write, u16 afl)
{
	u64 v;

	if (unlikely(r->refs || r->inject_mask)) {
		mtk_device_rw_hooked(c, r, addr, buf, size, write, afl);
		return;
	}
	v = mtk_io(r->alias + (addr - r->virt), buf, size, write);
	if (READ_ONCE(r->record))
		mtk_record_access(c, r, addr, buf, size, write, v, 0, afl);
}

/* copy_to_kernel_nofault() is not exported; the accessor macro is. */
static int mtk_write_nofault(void *dst, const void *src, size_t size)
{
	pagefault_disable();
	while (size >= 4) {
		__put_kernel_nofault(dst, src, u32, Efault);
		dst += 4; src += 4; size -= 4;
	}
	while (size) {
		__put_kernel_nofault(dst, src, u8, Efault);
		dst++; src++; size--;
	}
	pagefault_enable();
	return 0;
Efault:
	pagefault_enable();
	return -EFAULT;
}

static int mtk_mem(struct mtk_ctx *c, unsigned long addr, void *buf,
		   unsigned int size, bool write, unsigned int fl)
{
	struct mtk_region *r = c->r;

	if (addr - r->virt >= r->size)
		r = mtk_region_find(addr);
	if (r) {
		if (addr + size - r->virt > r->size)
			return -EFAULT; /* straddles the end: not handled */
		mtk_device_rw(c, r, addr, buf, size, write,
			      (fl & MT_ACC_LOCKED ? MMIOTAP_KF_LOCKED : 0) |
			      (fl & MT_ACC_STRING ? MMIOTAP_KF_STRING : 0));
		return 0;
	}
	/* Ordinary memory (the other side of a string op, say). */
	if (write)
		return mtk_write_nofault((void *)addr, buf, size);
	return copy_from_kernel_nofault(buf, (const void *)addr, size);
}


#define MTK_DCACHE_SLOTS 32
struct mtk_core_pcpu {
	struct mt_dcache cache;
	struct mt_decoded *slots;
};
static struct mtk_core_pcpu __percpu *mtk_core;   /* [2] per CPU: normal, NMI */

static int mtk_ops_read(void *o, uint64_t addr, void *buf, unsigned size, unsigned fl)
{
	return mtk_mem(o, addr, buf, size, false, fl);
}

static int mtk_ops_write(void *o, uint64_t addr, const void *buf, unsigned size, unsigned fl)
{
	return mtk_mem(o, addr, (void *)buf, size, true, fl);
}

/* Vector and opmask callbacks (mt_vec.c) are filled in at load, after the
 * CPU features are known. */
static struct mt_emu_ops mtk_emu_ops __ro_after_init = {
	.mem_read = mtk_ops_read,
	.mem_write = mtk_ops_write,
	.vec_get = mtk_vec_get,
	.vec_set = mtk_vec_set,
	.flags = MT_OPS_NO_STACK, /* never push onto the interrupted kernel stack */
};

/*
 * Plain moves (struct mt_plain: what readl()/writel() compile to) straight
 * on pt_regs: no struct mt_cpu round trip, no callbacks. -EAGAIN: the access
 * is not inside r (another region, or ordinary memory): nothing was done,
 * the general path takes it.
 */
static int mtk_plain(struct mtk_ctx *c, const struct mt_decoded *d)
{
	unsigned long a = mt_plain_addr(d, c->regs, mtk_gpr_off);
	unsigned int size = d->plain.size;
	struct mtk_region *r = c->r;
	u64 v = 0;

	if (a - r->virt >= r->size || a + size - r->virt > r->size)
		return -EAGAIN;
	if (d->plain.kind == MT_PLAIN_LOAD) {
		mtk_device_rw(c, r, a, &v, size, false, 0);
		mt_plain_load(d, c->regs, mtk_gpr_off, v);
	} else {
		v = mt_plain_store_value(d, c->regs, mtk_gpr_off);
		mtk_device_rw(c, r, a, &v, size, true, 0);
	}
	c->regs->ip = d->rip + d->len;
	return 0;
}

static int mtk_core_run(struct mtk_ctx *c, const struct mt_decoded *d)
{
	struct mt_cpu cpu;
	int st, i;

	if (d->plain.kind != MT_PLAIN_NONE && mtk_plain(c, d) == 0)
		return 0;
	for (i = 0; i < 16; i++)
		cpu.gpr[i] = *mtk_gpr(c->regs, i);
	cpu.rip = c->regs->ip;
	cpu.rflags = c->regs->flags;
	cpu.fs_base = 0;
	cpu.gs_base = 0;
	st = mt_emulate(d, &cpu, &mtk_emu_ops, c);
	if (st)
		return st == MT_EMU_MEMFAULT ? -EFAULT : -EOPNOTSUPP;
	for (i = 0; i < 16; i++)
		*mtk_gpr(c->regs, i) = cpu.gpr[i];
	c->regs->ip = cpu.rip;
	/* Arithmetic flags only; IF/TF/etc. stay the interrupted context's. */
	c->regs->flags = (c->regs->flags & ~0x8d5ul) | (cpu.rflags & 0x8d5ul);
	return 0;
}

static void mtk_record_unknown(struct mtk_ctx *c, struct mtk_region *r,
			       unsigned long addr, const u8 *code, size_t n,
			       u16 flags)
{
	struct mmiotap_krec *rec = mtk_buf_reserve();

	if (!rec)
		return;
	rec->seq = mtk_next_seq();
	rec->ts_ns = c->ts;
	rec->type = MMIOTAP_KREC_UNKNOWN;
	rec->phys = r->phys + (addr - r->virt);
	memcpy(rec->insn, code, min_t(size_t, n, 16));
	rec->pc = c->pc;
	rec->pid = current->pid;
	rec->cpu = smp_processor_id();
	rec->width = n;
	rec->map_id = r->id;
	rec->flags = c->flags | flags;
	rec->pci = r->pci;
	mtk_buf_commit(rec);
}

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
	if (r->level[i] == PG_LEVEL_4K)
		set_pte(r->ptep[i], __pte(r->saved[i]));
	else if (r->level[i] == PG_LEVEL_2M)
		set_pmd((pmd_t *)r->ptep[i], __pmd(r->saved[i]));
}

/* An instruction we cannot emulate, and cannot single-step (NMI, or nested
 * in our own critical section): make its page present again, for good, and
 * let it run natively (the UNKNOWN record says so: MMIOTAP_KF_DISARMED). */
static void mtk_disarm_page(struct mtk_region *r, unsigned long addr)
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
static bool mtk_die_on;

/* Set up the step of the instruction at regs->ip (order lock held:
 * c->taken, not in NMI). Returns false if the page is not armed (a region
 * being torn down): it then runs natively, nothing to step. */
static bool mtk_step_begin(struct mtk_region *r, unsigned long addr,
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

/*
 * Emulate the access that faulted at address. Returns true if the fault is
 * dealt with: either emulated (regs->ip advanced; via_stub: through a
 * resume stub, see the top) or, for an instruction we cannot emulate, the
 * page disarmed so that it re-runs natively (regs->ip unchanged).
 */
static bool mtk_handle(struct pt_regs *regs, unsigned long address,
		       unsigned long error_code, bool via_stub)
{
	const struct mt_decoded *d;
	struct mtk_core_pcpu *pc;
	struct mtk_region *r;
	struct mtk_ctx c;
	u8 code[16];
	size_t n = ZYDIS_MAX_INSTRUCTION_LENGTH;
	u64 t0;
	bool nmi, timed;
	int ret;

	if (user_mode(regs) || address < TASK_SIZE_MAX)
		return false;
	r = mtk_region_find(address);
	if (!r)
		return false;
	/* Instruction fetch faults on a traced page are not ours to fix. */
	if (error_code & X86_PF_INSTR)
		return false;
	/* Instruction bytes: two 8-byte loads (the common case), else byte
	 * by byte as far as the text is mapped. */
	if (mtk_fetch16(code, regs->ip)) {
		n = ZYDIS_MAX_INSTRUCTION_LENGTH;
		while (n && copy_from_kernel_nofault(code, (void *)regs->ip, n))
			n--;
		if (!n)
			return false;
	}
	nmi = in_nmi();
	/* The decode cache: per CPU, a second one for NMIs (an NMI may
	 * arrive while this CPU's normal context is filling a slot). */
	pc = this_cpu_ptr(mtk_core) + (nmi ? 1 : 0);
	d = mt_dcache_lookup(&pc->cache, regs->ip, code, n);
	if (!d)
		d = mt_dcache_fill(&pc->cache, regs->ip, code, n, &ret);
	t0 = local_clock();
	timed = !(this_cpu_inc_return(mtk_stats.faults) & 15);
	c.ts = t0;
	c.r = r;
	c.regs = regs;
	c.pc = regs->ip;
	c.flags = mtk_ctx_flags();
	c.taken = mtk_order_begin();
	ret = d ? mtk_core_run(&c, d) : -EINVAL;
	if (ret) {
		/* Nothing emulated (or a fault part-way: its accesses stand and
		 * are recorded; the native run repeats them). The instruction
		 * runs natively, single-stepped with its page present (the lock
		 * stays held until the #DB after it), or, where a step cannot
		 * be taken (NMI, nested), with its page disarmed for good. */
		bool step = c.taken && !nmi && mtk_die_on;

		mtk_record_unknown(&c, r, address, code, n, step ? 0 : MMIOTAP_KF_DISARMED);
		this_cpu_dec(mtk_stats.faults);
		this_cpu_inc(mtk_stats.unknown);
		if (step && mtk_step_begin(r, address, regs, via_stub)) {
			this_cpu_inc(mtk_stats.stepped);
			if (!via_stub)
				return true; /* regs->ip unchanged, TF set */
			this_cpu_write(mtk_resume0, regs->ip);
			regs->ip = (unsigned long)mtk_stub_cli0;
			return true;
		}
		if (!step)
			mtk_disarm_page(r, address);
		mtk_order_end(c.taken);
		/* regs->ip unchanged: resume at the instruction itself. */
	} else {
		mtk_order_end(c.taken);
		if (timed) {
			this_cpu_add(mtk_stats.probe_ns, local_clock() - t0);
			this_cpu_inc(mtk_stats.probe_timed);
		}
	}
	if (!via_stub)
		return true; /* straight back to regs->ip */
	/* Resume after the instruction through a stub (see the top). */
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
	return true;
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
	if (mtk_handle(regs, address, fr->si, false))
		fr->ip = (unsigned long)mtk_fixup_skip;
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
	int ret, cpu;

	mtk_core = __alloc_percpu(2 * sizeof(struct mtk_core_pcpu), 64);
	if (!mtk_core)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct mtk_core_pcpu *pc = per_cpu_ptr(mtk_core, cpu);
		int k;

		for (k = 0; k < 2; k++) {
			pc[k].slots = kvcalloc(MTK_DCACHE_SLOTS, sizeof(struct mt_decoded), GFP_KERNEL);
			if (!pc[k].slots)
				return -ENOMEM; /* mtk_fault_exit() frees what was allocated */
			mt_dcache_init(&pc[k].cache, pc[k].slots, MTK_DCACHE_SLOTS);
		}
	}
	mtk_vec_init();
	if (mtk_have_avx512) {
		mtk_emu_ops.kmask_get = mtk_kmask_get;
		mtk_emu_ops.kmask_set = mtk_kmask_set;
	}
	ret = register_die_notifier(&mtk_die_nb);
	if (ret)
		pr_warn("mmiotap: cannot register a die notifier (%d): instructions that cannot be emulated disarm their page\n", ret);
	else
		mtk_die_on = true;
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
	int cpu;

	mtk_fault_hook_detach();
	if (mtk_die_on) {
		/* No step is in flight: the regions are gone (their teardown
		 * waited for the order lock). */
		unregister_die_notifier(&mtk_die_nb);
		mtk_die_on = false;
	}
	if (mtk_core) {
		for_each_possible_cpu(cpu) {
			struct mtk_core_pcpu *pc = per_cpu_ptr(mtk_core, cpu);

			kvfree(pc[0].slots);
			kvfree(pc[1].slots);
		}
		free_percpu(mtk_core);
		mtk_core = NULL;
	}
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
