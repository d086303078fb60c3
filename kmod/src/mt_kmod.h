/* SPDX-License-Identifier: GPL-2.0 */
/* mt_kmod.h - internal interfaces between the files of mmiotap.ko.
 * Kernel-local names use mtk_ (the kernel's maple tree owns mt_init etc.). */
#ifndef MT_KMOD_H
#define MT_KMOD_H

#include <linux/types.h>
#include <linux/io.h>
#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/fs.h>
#include <linux/timekeeping.h>
#include <linux/sched/clock.h>
#include <linux/percpu.h>
#include <asm/pgtable_types.h>
#include <mmiotap/kabi.h>

#define MTK_MAX_REGIONS 64

enum { MTK_R_FREE, MTK_R_SETUP, MTK_R_ARMED, MTK_R_DYING };

struct mtk_region {
	int state;              /* MTK_R_*, read locklessly by the fault probe */
	unsigned long virt;     /* first traced byte's page, page aligned */
	unsigned long size;     /* page multiple */
	phys_addr_t phys;       /* physical address of virt */
	void __iomem *alias;    /* same pages, mapped again, never armed */
	u32 pci;
	u8 bar;
	u16 id;
	unsigned int npages;
	pte_t **ptep;           /* per page: the cleared PTE (4K) or PMD (2M, first page only) */
	unsigned long *saved;   /* per page: saved entry value */
	u8 *level;              /* per page: PG_LEVEL_4K / PG_LEVEL_2M / 0 (shared 2M) */
	u32 inject_mask;        /* injection rules targeting this mapping */
	unsigned long map_start;/* start of the vmalloc area (the ioremap) holding it */
	unsigned int refs;      /* pages of registered probes in it (mt_probe.c) */
	bool record;            /* selected by the recording: MAP and R/W records */
	unsigned long map_pc;   /* caller of the ioremap (MAP record's PC), or 0 */
	bool torn;              /* its vmalloc area was removed without iounmap */
};
extern struct mtk_region mtk_regions[MTK_MAX_REGIONS];

/* mt_decode.c */
int mtk_decoder_selftest(void);

/* mt_fault.c */
enum mtk_fault_hook_kind { MTK_HOOK_FTRACE, MTK_HOOK_TRACEPOINT };
int mtk_fault_init(void);
int mtk_fault_hook_attach(enum mtk_fault_hook_kind kind);
void mtk_fault_hook_detach(void);
extern const char *mtk_fault_hook_name;
void mtk_fault_exit(void);
int mtk_fault_selftest(void);

/* mt_region.c */
extern struct mutex mtk_region_mutex;
int mtk_region_add(unsigned long virt, phys_addr_t phys, unsigned long size,
		   void __iomem *alias, u32 pci, u8 bar);
int mtk_region_add_map_locked(unsigned long virt, phys_addr_t phys, unsigned long size,
			      void __iomem *alias, u32 pci, u8 bar, unsigned long pc);
void mtk_region_remove(unsigned long virt);
int mtk_region_add_walked(unsigned long virt, phys_addr_t phys, unsigned long size,
			  void __iomem *alias, u32 pci, u8 bar, unsigned long seen);
void mtk_region_remove_pc(unsigned long virt, unsigned long pc);
void mtk_region_area_gone(unsigned long start);
void mtk_region_flush_torn(void);

/* mt_vmwatch.c */
struct ftrace_ops;
void mtk_vmwatch_filter(struct ftrace_ops *ops);
void mtk_vmwatch_hit(unsigned long start);
unsigned long mtk_vmwatch_seq(void);
bool mtk_vmwatch_removed_since(unsigned long seen, unsigned long start, unsigned long virt,
			       unsigned long size);
void mtk_region_remove_all(bool all);
void mtk_region_select_existing(void);
struct mtk_region *mtk_region_find(unsigned long addr);
int mtk_region_add_locked(unsigned long virt, phys_addr_t phys, unsigned long size,
			  void __iomem *alias, u32 pci, u8 bar, bool record,
			  struct mtk_region **out);
void mtk_region_put_locked(struct mtk_region *r);
unsigned int mtk_regions_armed(void);

/* mt_order.c */
u64 mtk_next_seq(void);
u64 mtk_last_seq(void);
int mtk_mark(const char *text, unsigned int len);
void mtk_quiesce(void);

/* mt_probe.c (the exported probe API: include/mmiotap_probe.h) */
struct mmiotap_probe;
struct mmiotap_probe *mtk_probe_find(unsigned long addr, unsigned int size);
void mtk_probes_kill(unsigned long virt, unsigned long size);
/* Fault statistics (per CPU inside; mtk_stats_sum() adds them up). */
struct mtk_stats {
	u64 faults;       /* accesses emulated */
	u64 unknown;      /* instructions not emulated (UNKNOWN records) */
	u64 stepped;      /* of those, single-stepped */
	u64 probe_ns;     /* time inside the fault probe, over probe_timed faults */
	u64 probe_timed;
	u64 waits;        /* faults that waited for the reader to make room */
};
void mtk_stats_sum(struct mtk_stats *sum);

/* mt_buf.c */
#define MTK_REP_CHUNK 256 /* iterations of a REP string per fault */
int mtk_buf_alloc(unsigned int nrec);
void mtk_buf_free(void);
struct mmiotap_krec *mtk_buf_reserve(void);
void mtk_buf_commit(struct mmiotap_krec *r);
bool mtk_buf_room_low(void);
bool mtk_buf_active(void);
ssize_t mtk_buf_read(char __user *ubuf, size_t len);
__poll_t mtk_buf_poll(struct file *f, struct poll_table_struct *pt);
extern atomic64_t mtk_lost_total;
extern struct wait_queue_head mtk_room_wq;
extern atomic_t mtk_read_gen;
void mtk_wait_reader_progress(void); /* mt_wait.c */
bool mtk_buf_kick_reader(void);

/* mt_select.c */
int mtk_select_add(const struct mmiotap_ksel *s);
void mtk_select_clear(void);
bool mtk_selected(phys_addr_t phys, unsigned long size, u32 *pci, u8 *bar);
int mtk_ioremap_hooks_init(void);
void mtk_ioremap_hooks_exit(void);
int mtk_attach_existing(void);
bool mtk_tracing_on(void);
void mtk_tracing_set(bool on);

/* mt_session.c */
int mtk_session_may_open(void);
long mtk_session_ioctl(struct file *f, unsigned int cmd, unsigned long arg);
bool mtk_session_may_read(struct file *f);
void mtk_session_release(struct file *f);
int mtk_session_start_module(const struct mmiotap_ksel *sel, unsigned int nsel,
			     unsigned int buf_records);
void mtk_session_exit(void);

/* mt_inject.c */
int mtk_inject_set(const struct mmiotap_kinject *k);
void mtk_inject_clear(void);
u32 mtk_inject_match(phys_addr_t phys, unsigned long size, u32 pci, u8 bar);
u16 mtk_inject_access(u32 mask, u64 map_phys, u64 offset, unsigned int width,
		      bool write, u8 *value, u64 *delay_left_ns);

/* mt_vec.c: the live vector and opmask registers (the faulting kernel code
 * is inside kernel_fpu_begin(); the fault path does not touch them) */
extern bool mtk_have_avx, mtk_have_avx512;
void mtk_vec_init(void);
int mtk_vec_get(void *opaque, unsigned int idx, void *buf, unsigned int size);
int mtk_vec_set(void *opaque, unsigned int idx, const void *buf, unsigned int size);
int mtk_kmask_get(void *opaque, unsigned int idx, u64 *val);
int mtk_kmask_set(void *opaque, unsigned int idx, u64 val);

/* mt_dev.c */
int mtk_dev_init(void);
void mtk_dev_exit(void);

/*
 * Time stamp of a record: CLOCK_MONOTONIC ns, the clock user-space
 * recordings use, so that kernel and user-space traces merge on one
 * timeline (header.clock MT_CLOCK_MONOTONIC). NMI-safe: read from the fault
 * handler in any context.
 */
DECLARE_PER_CPU(int, mtk_dnest); /* mt_fault.c: faults being decoded on this CPU */
static inline u64 mtk_now_ns(void)
{
	/* The clocksource may be MMIO (HPET): traced (--phys over it), its
	 * read faults into the handler, whose own time stamp faults again...
	 * Past one nested level, the scheduler clock (never MMIO) ends it. */
	if (unlikely(this_cpu_read(mtk_dnest) > 2))
		return local_clock();
	return ktime_get_mono_fast_ns();
}

#endif
