// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pt_event.c - the tracer's events into the shared ring. The tracer thread
 * takes the ring's order lock around each event only: it numbers the event
 * (mt_ring_next_seq) and publishes it under one hold, after the device
 * access it describes. Its accesses are ordered by the one tracer thread
 * making them all; a number reserved without publishing it under the same
 * hold would break the ring's protocol (every reservation is published
 * before the next one, which may be another process's).
 */
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "pt_int.h"

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void ev_put(struct mt_ev *ev)
{
	struct mt_ring *ring = pt.o->ring;
	if (!ring)
		return;
	mt_ring_lock(ring, pt.ring_pid, pt.ring_tid);
	ev->seq = mt_ring_next_seq(ring);
	ev->ts = now_ns();
	mt_ring_put(ring, ev);
	mt_ring_unlock(ring);
}

/* Whether a live region of any traced address space has id's number in
 * the trace (its low 16 bits: record_conv.c). */
static int map_id16_live(uint32_t id)
{
	for (struct pt_task *t = pt.tasks; t; t = t->next)
		for (int i = 0; t->mm && i < t->mm->nreg; i++)
			if (t->mm->reg[i].map_id && (uint16_t)t->mm->reg[i].map_id == (uint16_t)id)
				return 1;
	return 0;
}

/* The next map id: past the 16-bit wrap, the numbers of live mappings
 * (of every process traced: the tracer sees them all) and 0 are skipped. */
uint32_t pt_new_map_id(void)
{
	static uint32_t local;
	struct mt_ring *ring = pt.o->ring;
	uint32_t id, tries = 0;
	if (ring)
		mt_ring_lock(ring, pt.ring_pid, pt.ring_tid);
	do /* bounded: 65535 live mappings would take every number */
		id = ring ? ++ring->h->next_map_id : ++local;
	while (!(id & 0xffff) || (map_id16_live(id) && ++tries < 0x10000));
	if (ring)
		mt_ring_unlock(ring);
	return id;
}

/* Who made the event: process, thread, the CPU it ran on. */
static void ev_who(struct mt_ev *ev, struct pt_task *t)
{
	ev->pid = (uint32_t)t->tgid;
	ev->tid = (uint32_t)t->tid;
	int cpu = pt_task_cpu(t);
	ev->cpu = cpu < 0 ? ~0u : (uint32_t)cpu;
}

static void ev_head(struct mt_ev *ev, int type, struct pt_task *t, uint32_t map_id,
		    uint64_t addr, uint64_t pc)
{
	ev->type = (uint16_t)type;
	ev_who(ev, t);
	ev->map_id = map_id;
	ev->pc = pc;
	ev->addr = addr;
	ev->width = 0;
	ev->flags = 0;
}

static void map_event(struct pt_task *t, const struct pt_region *r, const struct mt_pci_info *pi,
		      unsigned evflags);

void pt_emit_map(struct pt_task *t, const struct pt_region *r, const struct mt_pci_info *pi)
{
	map_event(t, r, pi, 0);
}

void pt_emit_watch_map(struct pt_task *t, uint64_t start, uint64_t end, uint32_t map_id,
		       const char *name)
{
	struct pt_region r;
	struct mt_pci_info pi = { -1, -1, -1, -1, -1, 0 };
	memset(&r, 0, sizeof(r));
	r.start = start;
	r.end = end;
	r.map_id = map_id;
	r.path = (char *)name;
	map_event(t, &r, &pi, MT_EVF_WATCH);
}

static void map_event(struct pt_task *t, const struct pt_region *r, const struct mt_pci_info *pi,
		      unsigned evflags)
{
	union {
		struct mt_ev ev;
		uint8_t b[MT_EV_MAX];
	} u;
	memset(&u, 0, sizeof(struct mt_ev) + sizeof(struct mt_ev_map));
	ev_head(&u.ev, MT_EV_MAP, t, r->map_id, r->start, 0);
	u.ev.flags = (uint16_t)evflags;
	struct mt_ev_map *m = (struct mt_ev_map *)u.ev.data;
	m->len = r->end - r->start;
	m->offset = r->offset;
	m->phys = r->phys;
	m->prot = (uint32_t)r->prot;
	m->bar = pi->bar;
	m->pci_domain = pi->dom;
	m->pci_bus = pi->bus;
	m->pci_dev = pi->dev;
	m->pci_fn = pi->fn;
	size_t max = MT_EV_MAX - sizeof(struct mt_ev) - sizeof(*m);
	size_t pl = strlen(r->path);
	if (pl > max)
		pl = max;
	m->pathlen = (uint16_t)pl;
	memcpy(m->path, r->path, pl);
	size_t sz = sizeof(struct mt_ev) + sizeof(*m) + pl;
	u.ev.size = (uint16_t)((sz + 7) & ~7u);
	memset(u.b + sz, 0, u.ev.size - sz);
	ev_put(&u.ev);
}

/* The caller's look at the code of an event about to be put. */
static void code_seen(struct pt_task *t, uint64_t pc)
{
	const struct mt_ptrace_opts *o = pt.o;
	if (pc && o->sz >= offsetof(struct mt_ptrace_opts, code_arg) + sizeof(o->code_arg) &&
	    o->code)
		o->code(o->code_arg, t->tgid, pc);
}

/* tgid ran exec(): the caller's objects of it are stale. */
void pt_code_exec(struct pt_task *t)
{
	const struct mt_ptrace_opts *o = pt.o;
	if (o->sz >= offsetof(struct mt_ptrace_opts, code_arg) + sizeof(o->code_arg) && o->code)
		o->code(o->code_arg, t->tgid, 0);
}

void pt_emit_simple(int type, struct pt_task *t, uint32_t map_id, uint64_t addr, uint64_t pc,
		    const void *data, unsigned len, unsigned flags)
{
	if (type == MT_EV_UNKNOWN)
		code_seen(t, pc);
	union {
		struct mt_ev ev;
		uint8_t b[sizeof(struct mt_ev) + 128];
	} u;
	if (len > 128)
		len = 128;
	ev_head(&u.ev, type, t, map_id, addr, pc);
	u.ev.width = (uint16_t)len;
	u.ev.flags = (uint16_t)flags;
	u.ev.size = (uint16_t)((sizeof(struct mt_ev) + len + 7) & ~7u);
	memset(u.ev.data, 0, (len + 7) & ~7u);
	if (len)
		memcpy(u.ev.data, data, len);
	ev_put(&u.ev);
}

void pt_put_access(struct pt_task *t, struct mt_ev *ev)
{
	code_seen(t, ev->pc);
	ev_who(ev, t);
	ev_put(ev);
}
