// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * access.c - one emulated memory access of a user-space backend: split at
 * traced-region boundaries, traced pieces on the alias with probes and
 * injection, one R/W event each (see mmiotap/rt_access.h). Runs inside the
 * preload runtime's SIGSEGV handler: no allocation, no libc beyond memcpy.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "mmiotap/devfile.h"
#include "mmiotap/emu.h"
#include "mmiotap/inject.h"
#include "mmiotap/rt_access.h"

/* What was done to one traced piece on its way to or from the device. */
struct piece {
	unsigned size;
	uint8_t orig[MT_ACC_MAX];  /* write: the program's value; read: the device's */
	unsigned changed_by;       /* MT_INJ_RULE / MT_INJ_PROBE */
	unsigned dropped_by;
	int delayed;
	uint64_t seq;
};

static void note_change(struct piece *p, const uint8_t *before, const uint8_t *val,
			unsigned who)
{
	if (memcmp(before, val, p->size))
		p->changed_by |= who;
}

/* The region's injection rules on val. */
static void apply_rules(struct mt_acc *a, const struct mt_acc_region *r, uint64_t addr,
			uint8_t *val, int is_write, struct piece *p)
{
	uint8_t before[MT_ACC_MAX];
	if (!r->rules || !a->ops->inject)
		return;
	memcpy(before, val, p->size);
	unsigned f = a->ops->inject(a->be, r, addr, is_write, val, p->size);
	if (is_write && (f & MT_EVF_DROPPED))
		p->dropped_by |= MT_INJ_RULE;
	if (f & MT_EVF_DELAYED)
		p->delayed = 1;
	note_change(p, before, val, MT_INJ_RULE);
}

/* The probes' pre or post handlers on val (changes noted) or, with
 * `scratch`, on a copy whose changes do not count. */
static void run_probes(struct mt_acc *a, int post, uint64_t addr, uint8_t *val, int is_write,
		       struct piece *p, int scratch)
{
	uint8_t copy[MT_ACC_MAX];
	if (!a->ops->probe)
		return;
	memcpy(copy, val, p->size);
	unsigned f = a->ops->probe(a->be, post, addr, scratch ? copy : val, p->size, is_write);
	if (is_write && !post && (f & MT_EVF_DROPPED))
		p->dropped_by |= MT_INJ_PROBE;
	if (!scratch)
		note_change(p, copy, val, MT_INJ_PROBE);
}

static void reserve(struct mt_acc *a, const struct mt_acc_region *r, struct piece *p)
{
	p->seq = r->map_id && a->ops->reserve_seq ? a->ops->reserve_seq(a->be) : 0;
}

static void unreserve(struct mt_acc *a, const struct mt_acc_region *r, struct piece *p)
{
	if (r->map_id && a->ops->reserve_seq && a->ops->unreserve_seq)
		a->ops->unreserve_seq(a->be, p->seq);
}

/* The device access on the alias: 0, or -EFAULT with a->fault_addr. */
static int dev_access(struct mt_acc *a, const struct mt_acc_region *r, uint64_t addr,
		      uint8_t *val, unsigned size, int is_write)
{
	volatile uint8_t *p = r->alias + (addr - r->start);
	if (a->ops->dev)
		return a->ops->dev(a->be, addr, p, val, size, is_write, &a->fault_addr);
	if (is_write)
		mt_dev_write(p, val, size);
	else
		mt_dev_read(p, val, size);
	return 0;
}

static int write_piece(struct mt_acc *a, const struct mt_acc_region *r, uint64_t addr,
		       uint8_t *val, struct piece *p)
{
	memcpy(p->orig, val, p->size);
	run_probes(a, 0, addr, val, 1, p, 0);
	apply_rules(a, r, addr, val, 1, p);
	reserve(a, r, p);
	if (!p->dropped_by && dev_access(a, r, addr, val, p->size, 1))
		return -EFAULT;
	run_probes(a, 1, addr, val, 1, p, 1); /* the device has its value */
	return 0;
}

static int read_piece(struct mt_acc *a, const struct mt_acc_region *r, uint64_t addr,
		      uint8_t *val, struct piece *p)
{
	uint8_t zero[MT_ACC_MAX];
	memset(zero, 0, p->size); /* a load's value is not known before it */
	run_probes(a, 0, addr, zero, 0, p, 1);
	reserve(a, r, p);
	if (dev_access(a, r, addr, val, p->size, 0))
		return -EFAULT;
	memcpy(p->orig, val, p->size);
	apply_rules(a, r, addr, val, 0, p);
	run_probes(a, 1, addr, val, 0, p, 0);
	return 0;
}

static unsigned evf_of(unsigned injf)
{
	return (injf & MT_INJF_INJECTED ? MT_EVF_INJECTED : 0) |
	       (injf & MT_INJF_PROBE ? MT_EVF_PROBE : 0) |
	       (injf & MT_INJF_DROPPED ? MT_EVF_DROPPED : 0) |
	       (injf & MT_INJF_DELAYED ? MT_EVF_DELAYED : 0);
}

/* The R/W event of piece p: val, then the original where the rule says. */
static void put_event(struct mt_acc *a, const struct mt_acc_region *r, uint64_t addr,
		      const uint8_t *val, const struct piece *p, unsigned flags, int is_write)
{
	union {
		struct mt_ev ev;
		uint8_t b[sizeof(struct mt_ev) + 2 * MT_ACC_MAX];
	} u;
	unsigned injf = mt_inject_flags(p->orig, val, p->size, p->changed_by, p->dropped_by,
					p->delayed);
	unsigned total = p->size * (injf & MT_INJF_ORIG ? 2 : 1);
	memset(&u.ev, 0, sizeof(u.ev));
	u.ev.type = is_write ? MT_EV_WRITE : MT_EV_READ;
	u.ev.size = (uint16_t)((sizeof(struct mt_ev) + total + 7) & ~7u);
	u.ev.width = (uint16_t)p->size;
	u.ev.flags = (uint16_t)(mt_devfile_evflags(flags) | evf_of(injf));
	u.ev.map_id = r->map_id;
	u.ev.seq = p->seq;
	u.ev.pc = a->pc;
	u.ev.addr = addr;
	memset(u.ev.data, 0, (total + 7) & ~7u);
	memcpy(u.ev.data, val, p->size);
	if (injf & MT_INJF_ORIG)
		memcpy(u.ev.data + p->size, p->orig, p->size);
	a->ops->put(a->be, &u.ev);
}

static int allowed(const struct mt_acc_region *r, int is_write)
{
	return (r->prot & (is_write ? PROT_WRITE : PROT_READ)) != 0;
}

/* The program's protection refuses the traced byte at addr: the CPU
 * faults there. */
static int deny(struct mt_acc *a, uint64_t addr, int is_write)
{
	a->denied = 1;
	a->fault_addr = addr;
	a->fault_write = is_write;
	return -EFAULT;
}

/* One piece inside a traced region. */
static int traced(struct mt_acc *a, const struct mt_acc_region *r, uint64_t addr, uint8_t *val,
		  unsigned size, unsigned flags, int is_write)
{
	if (!allowed(r, is_write))
		return deny(a, addr, is_write);
	struct piece p = { .size = size };
	int rc = is_write ? write_piece(a, r, addr, val, &p) : read_piece(a, r, addr, val, &p);
	if (rc) {
		/* the device access itself failed: nothing happened, no event */
		unreserve(a, r, &p);
		a->devfault = 1;
		return rc;
	}
	a->ntraced++;
	if (r->map_id)
		put_event(a, r, addr, val, &p, flags, is_write);
	return 0;
}

static int untraced(struct mt_acc *a, uint64_t addr, uint8_t *buf, unsigned n, int is_write)
{
	uint64_t fault = addr;
	int rc = a->ops->plain(a->be, addr, buf, n, is_write, &fault);
	if (rc) {
		a->faulted = 1;
		a->fault_addr = fault;
	}
	return rc;
}

/* The region at addr (1: traced) and how many of the size bytes are in it. */
static int piece_at(struct mt_acc *a, uint64_t addr, unsigned size, struct mt_acc_region *r,
		    unsigned *n)
{
	memset(r, 0, sizeof(*r));
	int tr = a->ops->region(a->be, addr, r);
	*n = r->end > addr && r->end - addr < size ? (unsigned)(r->end - addr) : size;
	return tr;
}

/* An access over several regions: the CPU checks every page's protection
 * before it touches any byte, so a refused piece anywhere means no piece
 * is made (the device sees nothing). */
static int refused(struct mt_acc *a, uint64_t addr, unsigned size, int is_write)
{
	while (size) {
		struct mt_acc_region r;
		unsigned n;
		if (piece_at(a, addr, size, &r, &n) && !allowed(&r, is_write))
			return deny(a, addr, is_write);
		addr += n;
		size -= n;
	}
	return 0;
}

static int access_split(struct mt_acc *a, uint64_t addr, uint8_t *b, unsigned size,
			unsigned flags, int is_write)
{
	if (size > MT_ACC_MAX)
		return -EINVAL;
	a->is_write = is_write;
	for (int first = 1; size; first = 0) {
		struct mt_acc_region r;
		unsigned n;
		int tr = piece_at(a, addr, size, &r, &n);
		if (first && n < size && refused(a, addr, size, is_write))
			return -EFAULT;
		int rc = tr ? traced(a, &r, addr, b, n, flags, is_write)
			    : untraced(a, addr, b, n, is_write);
		if (rc)
			return rc;
		addr += n;
		b += n;
		size -= n;
	}
	return 0;
}

int mt_acc_read(struct mt_acc *a, uint64_t addr, void *buf, unsigned size, unsigned flags)
{
	return access_split(a, addr, buf, size, flags, 0);
}

int mt_acc_write(struct mt_acc *a, uint64_t addr, const void *buf, unsigned size,
		 unsigned flags)
{
	uint8_t tmp[MT_ACC_MAX];
	if (size > sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, buf, size); /* probes and rules may change it */
	return access_split(a, addr, tmp, size, flags, 1);
}

int mt_acc_stopped(const struct mt_acc *a, int rc)
{
	return rc == MT_EMU_MEMFAULT && (a->faulted || a->devfault || a->denied);
}

int mt_acc_emu_read(void *opaque, uint64_t addr, void *buf, unsigned size, unsigned flags)
{
	return mt_acc_read(opaque, addr, buf, size, flags);
}

int mt_acc_emu_write(void *opaque, uint64_t addr, const void *buf, unsigned size,
		     unsigned flags)
{
	return mt_acc_write(opaque, addr, buf, size, flags);
}
