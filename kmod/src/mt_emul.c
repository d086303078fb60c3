// SPDX-License-Identifier: GPL-2.0
/*
 * mt_emul.c - one instruction's device accesses on pt_regs: plain moves
 * straight on the registers, everything else through core/'s mt_emulate();
 * injection, probes and the access records.
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
#include <mmiotap/inject.h>
#include "mt_fault.h"

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

u16 mtk_ctx_flags(void)
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

/*
 * An access to a region with probes or injection rules on it. afl: the
 * access's MMIOTAP_KF_LOCKED / _STRING. Returns the record's flags.
 * The rule every backend follows (docs/INJECT.md, mt_inject_flags()): the
 * record is flagged INJECTED, with the original value, exactly when the
 * value the device received (write) or the driver saw (read) differs from
 * the original, or the write was dropped (DROPPED too); DELAYED when a rule
 * delayed it, also alone.
 */
static noinline u16 mtk_device_rw_hooked(struct mtk_ctx *c, struct mtk_region *r,
					 unsigned long addr, void *buf, unsigned int size,
					 bool write, u16 afl)
{
	void __iomem *p = r->alias + (addr - r->virt);
	struct mmiotap_probe *pr = NULL;
	struct mmiotap_access acc;
	u8 tmp[64], orig[64];
	u64 v = 0, orig8 = 0;
	bool pdrop = false;
	unsigned int f;
	u16 ifl = 0;

	if (WARN_ON_ONCE(size > sizeof(tmp)))
		return 0;
	if (unlikely(r->refs)) {
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
	if (write) {
		/* The probe's pre handler, then injection, on a copy (buf
		 * is the driver's value). */
		memcpy(orig, buf, size);
		memcpy(tmp, buf, size);
		if (pr && pr->pre) {
			pr->pre(pr, &acc);
			if (acc.drop)
				pdrop = true;
		}
		if (r->inject_mask)
			ifl |= mtk_inject_access(r->inject_mask, r->phys, addr - r->virt, size,
						 true, tmp, &c->delay_left);
		memcpy(&v, tmp, min(size, 8u));
		if (!pdrop && !(ifl & MMIOTAP_KF_DROPPED))
			mtk_io(p, tmp, size, true);
		if (pr && pr->post)
			pr->post(pr, &acc);
		buf = tmp;
	} else {
		if (pr && pr->pre) {
			memset(tmp, 0, size);
			pr->pre(pr, &acc);
		}
		mtk_io(p, buf, size, false);
		memcpy(orig, buf, size);
		/* Injection, then the probe's post handler; the driver sees
		 * the result. */
		if (r->inject_mask)
			ifl |= mtk_inject_access(r->inject_mask, r->phys, addr - r->virt, size,
						 false, buf, &c->delay_left);
		if (pr && pr->post) {
			memcpy(tmp, buf, size);
			pr->post(pr, &acc);
			memcpy(buf, tmp, size);
		}
		memcpy(&v, buf, min(size, 8u));
	}
	/* The rule all backends share (mt_inject_flags()); the kernel's
	 * records flag a probe's change INJECTED as a rule's. */
	f = mt_inject_flags(orig, buf, size, (r->inject_mask ? MT_INJ_RULE : 0) | (pr ? MT_INJ_PROBE : 0),
			    ((ifl & MMIOTAP_KF_DROPPED) ? MT_INJ_RULE : 0) | (pdrop ? MT_INJ_PROBE : 0),
			    ifl & MMIOTAP_KF_DELAYED);
	ifl = (f & MT_INJF_ORIG ? MMIOTAP_KF_INJECTED : 0) |
	      (f & MT_INJF_DROPPED ? MMIOTAP_KF_DROPPED : 0) |
	      (f & MT_INJF_DELAYED ? MMIOTAP_KF_DELAYED : 0);
	memcpy(&orig8, orig, min(size, 8u));
	if (READ_ONCE(r->record))
		mtk_record_access(c, r, addr, buf, size, write, v, orig8, ifl | afl);
	return ifl;
}

/* One device access on the emulated instruction's behalf: buf holds the
 * value to write, or receives the value read. afl: MMIOTAP_KF_LOCKED /
 * _STRING for the record. Returns the record's injection flags. */
static inline u16 mtk_device_rw(struct mtk_ctx *c, struct mtk_region *r,
				unsigned long addr, void *buf, unsigned int size,
				bool write, u16 afl)
{
	u64 v;

	if (unlikely(r->refs || r->inject_mask))
		return mtk_device_rw_hooked(c, r, addr, buf, size, write, afl);
	v = mtk_io(r->alias + (addr - r->virt), buf, size, write);
	if (READ_ONCE(r->record))
		mtk_record_access(c, r, addr, buf, size, write, v, 0, afl);
	return 0;
}

/* copy_to_kernel_nofault() is not exported; the accessor macro is. */
int mtk_write_nofault(void *dst, const void *src, size_t size)
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

/*
 * Ordinary memory on the instruction's behalf (the other side of a string
 * op, say): kernel memory through the nofault accessors; user memory only
 * where the interrupted code may touch it (EFLAGS.AC set: inside a
 * user-access section, or no SMAP), without paging it in (interrupts are
 * off). A failure is noted in c for mtk_handle().
 */
static int mtk_ordinary(struct mtk_ctx *c, unsigned long addr, void *buf,
			unsigned int size, bool write)
{
	int ret;

	if (addr + size - 1 < TASK_SIZE_MAX) {
		/* Not allowed (SMAP, outside a user-access section): the CPU
		 * would have faulted for good, nothing to page in. */
		ret = -EFAULT;
		if ((c->regs->flags & X86_EFLAGS_AC) || !boot_cpu_has(X86_FEATURE_SMAP)) {
			ret = write ? copy_to_user_nofault((void __user *)addr, buf, size)
				    : copy_from_user_nofault(buf, (const void __user *)addr, size);
			c->fault_user = ret != 0;
		}
	} else if (write) {
		ret = mtk_write_nofault((void *)addr, buf, size);
	} else {
		ret = copy_from_kernel_nofault(buf, (const void *)addr, size);
	}
	if (ret) {
		c->fault_addr = addr;
		c->fault_size = size;
		c->fault_write = write;
	}
	return ret ? -EFAULT : 0;
}

/*
 * One memory access of the instruction, split where it crosses from a
 * traced region into other memory (or another region). Returns
 * MT_MEM_YIELD after a delayed access: a REP string then ends its chunk,
 * so that no fault sums up delays.
 */
static int mtk_mem(struct mtk_ctx *c, unsigned long addr, void *buf,
		   unsigned int size, bool write, unsigned int fl)
{
	u16 afl = (fl & MT_ACC_LOCKED ? MMIOTAP_KF_LOCKED : 0) |
		  (fl & MT_ACC_STRING ? MMIOTAP_KF_STRING : 0);
	u16 ifl = 0;

	while (size) {
		struct mtk_region *r = c->r;
		unsigned int n = size;

		if (addr - r->virt >= r->size) {
			r = mtk_region_find(addr);
			/* another region's page whose area went away: the
			 * address is someone else's memory now */
			if (r && mtk_page_gone(r, addr)) {
				r = NULL;
				n = min_t(unsigned long, n, PAGE_SIZE - (addr & ~PAGE_MASK));
			}
		}
		if (r) {
			n = min_t(unsigned long, n, r->virt + r->size - addr);
			ifl |= mtk_device_rw(c, r, addr, buf, n, write, afl);
		} else {
			unsigned int i;

			/* Up to the next traced byte (of a live entry). */
			for (i = 1; i < n; i++) {
				struct mtk_region *o = mtk_region_find(addr + i);

				if (o && !mtk_page_gone(o, addr + i))
					break;
			}
			n = i;
			if (mtk_ordinary(c, addr, buf, n, write))
				return -EFAULT;
		}
		addr += n;
		buf += n;
		size -= n;
	}
	return (ifl & MMIOTAP_KF_DELAYED) ? MT_MEM_YIELD : 0;
}


struct mtk_core_pcpu __percpu *mtk_core;   /* [MTK_DCACHE_DEPTH] per CPU */

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
struct mt_emu_ops mtk_emu_ops __ro_after_init = {
	.mem_read = mtk_ops_read,
	.mem_write = mtk_ops_write,
	.vec_get = mtk_vec_get,
	.vec_set = mtk_vec_set,
	.flags = MT_OPS_NO_STACK, /* never push onto the interrupted kernel stack */
	.rep_max = MTK_REP_CHUNK, /* bounded time with interrupts off */
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

int mtk_core_run(struct mtk_ctx *c, const struct mt_decoded *d)
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
	if (st && st != MT_EMU_MEMFAULT)
		return -EOPNOTSUPP;
	/* A memory fault part-way leaves the registers as the CPU would
	 * (a REP string: the elements done; a gather: the elements done and
	 * their mask); those device accesses stand: they are not repeated. */
	for (i = 0; i < 16; i++)
		*mtk_gpr(c->regs, i) = cpu.gpr[i];
	c->regs->ip = cpu.rip;
	/* Arithmetic flags only; IF/TF/etc. stay the interrupted context's. */
	c->regs->flags = (c->regs->flags & ~0x8d5ul) | (cpu.rflags & 0x8d5ul);
	return st ? -EFAULT : 0;
}

void mtk_record_unknown(struct mtk_ctx *c, struct mtk_region *r,
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


/* The per-CPU decode caches (one per nesting depth of the fault path) and
 * the vector accessors this CPU allows. */
int mtk_emul_init(void)
{
	int cpu;

	mtk_core = __alloc_percpu(MTK_DCACHE_DEPTH * sizeof(struct mtk_core_pcpu), 64);
	if (!mtk_core)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct mtk_core_pcpu *pc = per_cpu_ptr(mtk_core, cpu);
		int k;

		for (k = 0; k < MTK_DCACHE_DEPTH; k++) {
			pc[k].slots = kvcalloc(MTK_DCACHE_SLOTS, sizeof(struct mt_decoded), GFP_KERNEL);
			if (!pc[k].slots)
				return -ENOMEM; /* mtk_emul_exit() frees what was allocated */
			mt_dcache_init(&pc[k].cache, pc[k].slots, MTK_DCACHE_SLOTS);
		}
	}
	mtk_vec_init();
	if (mtk_have_avx512) {
		mtk_emu_ops.kmask_get = mtk_kmask_get;
		mtk_emu_ops.kmask_set = mtk_kmask_set;
	}
	return 0;
}

void mtk_emul_exit(void)
{
	int cpu;

	if (!mtk_core)
		return;
	for_each_possible_cpu(cpu) {
		struct mtk_core_pcpu *pc = per_cpu_ptr(mtk_core, cpu);
		int k;

		for (k = 0; k < MTK_DCACHE_DEPTH; k++)
			kvfree(pc[k].slots);
	}
	free_percpu(mtk_core);
	mtk_core = NULL;
}
