/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * rt_access.h - one emulated memory access of a user-space backend (the
 * LD_PRELOAD runtime and the ptrace tracer), in one place: the core's
 * mem_read/mem_write callbacks of both call mt_acc_read()/mt_acc_write().
 *
 * An access is split at traced-region boundaries. Untraced pieces go to the
 * backend's ordinary-memory accessor. For a traced piece the region's
 * protection is checked, then, in this order:
 *   write: pre probes, injection rules, sequence number, device write
 *          (unless dropped), post probes (on a copy: the device has its value)
 *   read:  pre probes (on a zeroed copy), sequence number, device read,
 *          injection rules, post probes
 * and one R/W event is built and put: the value the device received or the
 * program sees, flags by mt_inject_flags() (mmiotap/inject.h), the original
 * value when it says so.
 *
 * The sequence number is reserved right before the device access and the
 * event put right after (ring.c: a holder dying in between leaves a
 * reservation, which becomes a LOST event) when the backend reserves
 * (reserve_seq, with the order lock held around the whole emulation: the
 * preload runtime); else the backend numbers the event when it puts it
 * (the ptrace tracer, which takes the lock per event).
 *
 * No allocation, no locks of its own; async-signal-safe if the callbacks are.
 */
#ifndef MMIOTAP_RT_ACCESS_H
#define MMIOTAP_RT_ACCESS_H

#include <stdint.h>

#include "mmiotap/rt_ring.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MT_ACC_MAX 64u /* largest access (struct mt_emu_ops: 1..64 bytes) */

/* What the backend says about the address of an access. */
struct mt_acc_region {
	uint64_t start, end;      /* traced: the region; untraced: end = first
				   * traced address above (or UINT64_MAX) */
	volatile uint8_t *alias;  /* the alias's byte for `start` */
	int prot;                 /* PROT_READ / PROT_WRITE the program asked for */
	uint32_t map_id;          /* MAP id; 0: not recorded (no seq, no event) */
	uint64_t map_start;       /* address of the MAP's byte 0 (rule offsets) */
	uint64_t map_phys;        /* physical address of map_start, 0 unknown */
	uint64_t rules;           /* injection rules on it, 0 none (inject not called) */
	void *priv;               /* the backend's region */
};

struct mt_acc_ops {
	/* 1 and *r filled if addr is traced; 0 if not, with r->end set. */
	int (*region)(void *be, uint64_t addr, struct mt_acc_region *r);
	/* Ordinary memory: 0, or a negative errno with *fault = the first
	 * address not accessed. */
	int (*plain)(void *be, uint64_t addr, void *buf, unsigned n, int is_write,
		     uint64_t *fault);
	/* Probes (NULL: none): run the pre (post = 0) or post handlers on val,
	 * which they may change; MT_EVF_DROPPED if a pre handler drops a write. */
	unsigned (*probe)(void *be, int post, uint64_t addr, void *val, unsigned size,
			  int is_write);
	/* Injection rules (NULL: none): may change val; returns MT_EVF_DROPPED
	 * (write not performed) and MT_EVF_DELAYED (delayed, delay over). */
	unsigned (*inject)(void *be, const struct mt_acc_region *r, uint64_t addr,
			   int is_write, void *val, unsigned size);
	/* Sequence number of the next recorded access, reserved right before
	 * its device access (NULL: put numbers the event). */
	uint64_t (*reserve_seq)(void *be);
	/* Give back the number just reserved: its device access failed (dev
	 * below), there is no event. NULL: the number stays unused. */
	void (*unreserve_seq)(void *be, uint64_t seq);
	/* The device access of size bytes at p, the alias of program address
	 * addr (NULL: mt_dev_read/mt_dev_write, which cannot fail). 0, or a
	 * negative errno when the alias faulted (a truncated file, a device
	 * gone: SIGBUS), with *fault = the program's address of the byte. */
	int (*dev)(void *be, uint64_t addr, volatile uint8_t *p, void *val, unsigned size,
		   int is_write, uint64_t *fault);
	/* Fill the event's pid, tid, cpu and ts (and seq without reserve_seq)
	 * and put it into the ring. */
	void (*put)(void *be, struct mt_ev *ev);
};

/* One emulated instruction's accesses. */
struct mt_acc {
	const struct mt_acc_ops *ops;
	void *be;               /* the backend's context, for every callback */
	uint64_t pc;            /* of the instruction */
	int is_write;           /* the access in progress is a write (for
				 * ops->region: a watch may want one kind) */
	int denied;             /* a traced access was refused (region's prot)
				 * at fault_addr */
	int fault_write;        /* denied: it was a write */
	int faulted;            /* ordinary memory failed at fault_addr */
	int devfault;           /* a device access failed at fault_addr (ops->dev) */
	uint64_t fault_addr;    /* denied, faulted, devfault */
	uint64_t ntraced;       /* traced pieces performed */
};

/* One access of size bytes (1..MT_ACC_MAX) at addr; flags: the core's
 * MT_ACC_*. 0 or a negative errno (-EFAULT: denied, faulted or devfault;
 * a failed device access has no event and no sequence number). */
int mt_acc_read(struct mt_acc *a, uint64_t addr, void *buf, unsigned size, unsigned flags);
int mt_acc_write(struct mt_acc *a, uint64_t addr, const void *buf, unsigned size,
		 unsigned flags);
/* Whether mt_emulate()'s status rc means the instruction stopped at one
 * of its accesses as the CPU would, part-way (denied, faulted or devfault):
 * the accesses before it stand (a REP string: RCX/RSI/RDI past the
 * elements done), so the backend stores the emulated registers and
 * delivers that fault (SIGSEGV SEGV_ACCERR at fault_addr for denied; the
 * fault met for faulted; SIGBUS for devfault). Returning from the
 * program's handler runs the rest. */
int mt_acc_stopped(const struct mt_acc *a, int rc);
/* The same as struct mt_emu_ops' mem_read/mem_write, for a backend whose
 * emulation context (the core's opaque pointer) begins with its struct
 * mt_acc. */
int mt_acc_emu_read(void *opaque, uint64_t addr, void *buf, unsigned size, unsigned flags);
int mt_acc_emu_write(void *opaque, uint64_t addr, const void *buf, unsigned size,
		     unsigned flags);

#ifdef __cplusplus
}
#endif
#endif
