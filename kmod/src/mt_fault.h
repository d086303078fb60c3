/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mt_fault.h - what the files of the fault path share (mt_fault.c: the
 * hooks and mtk_handle(); mt_order.c; mt_region.c; mt_emul.c; mt_step.c).
 */
#ifndef MT_FAULT_H
#define MT_FAULT_H

#include <linux/types.h>
#include <asm/ptrace.h>
#include <mmiotap/emu.h>
#include "mt_kmod.h"

/* One fault's emulation. */
struct mtk_ctx {
	struct pt_regs *regs;
	struct mtk_region *r;   /* the faulting access's region (first guess) */
	unsigned long pc;
	u64 ts;                 /* local_clock() at the fault: records' time */
	u64 delay_left;         /* injection delay this fault may still take, ns */
	unsigned long fault_addr; /* ordinary memory that failed (MT_EMU_MEMFAULT) */
	unsigned int fault_size;
	u16 flags;
	bool taken;
	bool fault_user;        /* fault_addr is a user address */
	bool fault_write;
};

/* mt_order.c */
bool mtk_order_begin(void);
void mtk_order_end(bool taken);
u64 mtk_next_seqs(unsigned int n);

/* mt_entry.c: an armed page's entry (see there) */
enum mtk_entry_state { MTK_E_ARMED, MTK_E_PRESENT, MTK_E_GONE };
unsigned long mtk_entry_armed(unsigned long saved, u8 level);
bool mtk_entry_arm(pte_t *p, u8 level, unsigned long seen);
bool mtk_entry_restore_saved(pte_t *p, u8 level, unsigned long saved);
bool mtk_entry_rearm(pte_t *p, u8 level, unsigned long saved);
enum mtk_entry_state mtk_entry_state(const pte_t *p, u8 level, unsigned long saved);

/* mt_region.c */
void mtk_flush_all(void);
void mtk_emit_map(struct mtk_region *r, bool unmap, unsigned long pc);

/* mt_emul.c */
#define MTK_DCACHE_SLOTS 32
/* Decode caches per CPU: the fault path can nest (an NMI's fault inside a
 * fault, a fault on a page armed meanwhile inside the emulation), and a
 * nested fault must not refill the cache entry the outer one is using. */
#define MTK_DCACHE_DEPTH 3
struct mtk_core_pcpu {
	struct mt_dcache cache;
	struct mt_decoded *slots;
};
extern struct mtk_core_pcpu __percpu *mtk_core;   /* [2] per CPU: normal, NMI */
extern struct mt_emu_ops mtk_emu_ops;
int mtk_emul_init(void);
void mtk_emul_exit(void);
u16 mtk_ctx_flags(void);
int mtk_core_run(struct mtk_ctx *c, const struct mt_decoded *d);
void mtk_record_unknown(struct mtk_ctx *c, struct mtk_region *r, unsigned long addr,
			const u8 *code, size_t n, u16 flags);
int mtk_write_nofault(void *dst, const void *src, size_t size);

/* mt_step.c */
unsigned int mtk_page_idx(struct mtk_region *r, unsigned long addr);
bool mtk_page_gone(struct mtk_region *r, unsigned long addr);
extern bool mtk_die_on;
int mtk_step_init(void);
void mtk_step_exit(void);
bool mtk_step_allowed(struct pt_regs *regs);
bool mtk_step_begin(struct mtk_region *r, unsigned long addr, struct pt_regs *regs,
		    bool via_stub);
void mtk_disarm_page(struct mtk_region *r, unsigned long addr);

/* mt_wait.c */
bool mtk_wait_for_room(struct pt_regs *regs);
void mtk_spin_for_room(struct pt_regs *regs);
bool mtk_wait_fault_in(struct pt_regs *regs, unsigned long uaddr, unsigned int size, bool write);
void mtk_fault_sleep(struct pt_regs *regs);
void mtk_wait_done(unsigned long ip);
void mtk_wait_exit(void);

/* mt_fault.c */
DECLARE_PER_CPU(struct mtk_stats, mtk_stats);
extern void mtk_stub_cli0(void);
DECLARE_PER_CPU(unsigned long, mtk_resume0);

#endif
