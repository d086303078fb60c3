/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmiotap_probe.h - the probe API mmiotap.ko exports to other modules (in
 * the spirit of the 2003 kmmio patch), without its known problems:
 *
 *   - overlap is checked over the whole range of a new probe against every
 *     registered probe (kmmio checked only the first page): -EEXIST;
 *   - fault pages are counted: probes on the same page, and a recording
 *     that traces the same mapping, share one armed page; the page is
 *     given back only when its last user goes;
 *   - unregistration is safe with hits in flight: handlers run in the page
 *     fault path with interrupts off (an RCU read-side section), and
 *     mmiotap_unregister_probe() returns only after synchronize_rcu(), so
 *     once it returns no handler of the probe is running or will run;
 *   - no single-stepping: the access is emulated on a second mapping, so
 *     every CPU stays online and the post handler always runs.
 *
 * Usage:
 *	static void post(struct mmiotap_probe *p, struct mmiotap_access *a)
 *	{
 *		if (!a->write)
 *			*(u32 *)a->value |= 1;	// the driver reads bit 0 set
 *	}
 *	static struct mmiotap_probe pr = { .len = 4, .post = post };
 *	pr.addr = (unsigned long)(regs + 0x10);	// inside an ioremap()ed range
 *	ret = mmiotap_register_probe(&pr);
 *	...
 *	mmiotap_unregister_probe(&pr);
 *
 * Handlers run in any context the driver accesses the device from (task,
 * softirq, hardirq, NMI), with interrupts off: they must not sleep, take
 * locks an interrupted context may hold, or access probed memory.
 */
#ifndef MMIOTAP_PROBE_H
#define MMIOTAP_PROBE_H

#include <linux/types.h>

struct pt_regs;

/* One device access, as the handlers see it. */
struct mmiotap_access {
	unsigned long addr;   /* virtual address accessed (inside the probe) */
	phys_addr_t phys;     /* its physical address */
	unsigned long pc;     /* the accessing instruction */
	struct pt_regs *regs; /* the interrupted context (read only) */
	unsigned int width;   /* bytes: 1, 2, 4, 8 (wider vector accesses too) */
	bool write;
	/*
	 * pre:  write: the value about to be written (may be changed);
	 *       read: undefined (the device has not been read yet).
	 * post: read: the value the driver will see (may be changed);
	 *       write: the value written.
	 */
	u8 *value;
	bool drop;            /* pre, write: set to skip the device write */
};

struct mmiotap_probe;
typedef void (*mmiotap_probe_handler_t)(struct mmiotap_probe *p,
					struct mmiotap_access *a);

struct mmiotap_probe {
	unsigned long addr;   /* first byte, in a mapping made by the ioremap family */
	unsigned long len;    /* bytes */
	mmiotap_probe_handler_t pre;   /* before the device access, or NULL */
	mmiotap_probe_handler_t post;  /* after it, or NULL */
	/* An access that reaches two probes (wider than both) goes to one. */
	void *private;        /* for the owner */
	/* mmiotap's, read only: */
	atomic64_t hits;      /* accesses seen */
	bool mt_on;           /* registered */
	bool mt_dead;         /* its mapping was unmapped while registered */
};

/*
 * 0, or -EINVAL (bad range: empty, wraps, not in the vmalloc area, RAM, a
 * page not mapped with 4K pages and not traced), -EEXIST (overlaps a registered
 * probe), -EBUSY (probe already registered), -ENOSPC (too many probes or
 * armed regions), -ENOMEM.
 */
int mmiotap_register_probe(struct mmiotap_probe *p);
/* Sleeps (synchronize_rcu); after it returns no handler of p runs. */
void mmiotap_unregister_probe(struct mmiotap_probe *p);

#endif /* MMIOTAP_PROBE_H */
