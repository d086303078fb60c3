// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * record_conv.c - ring events (mmiotap/rt_ring.h), as `mmiotap record`
 * drains them, into trace records (mmiotap/trace.h). The events come from
 * the traced program's memory: mt_ring_get() has checked each in its own
 * copy (mt_ev_valid()); nothing here trusts more than that.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record_conv.h"
#include "pcisysfs.h"


void mt_conv_flush(struct conv *c, uint64_t nev)
{
	if (!c->used && !nev)
		return;
	if (!c->failed) {
		int rc = c->w ? mt_writer_append(c->w, c->buf, c->used) : -EBADF;
		if (!rc)
			rc = mt_writer_flush(c->w);
		if (rc) {
			c->failed = 1;
			fprintf(stderr,
				"mmiotap: writing %s: %s; records from here on are lost "
				"(the program keeps running)\n",
				c->out, strerror(-rc));
		} else {
			c->nrec += nev;
		}
	}
	if (c->failed)
		c->nlost += nev;
	c->used = 0;
	mt_enc_stream_reset(&c->st);
}

static uint16_t evf_to_rf(unsigned f)
{
	uint16_t r = 0;
	if (f & (MT_EVF_INJECTED | MT_EVF_PROBE)) r |= MT_RF_INJECTED;
	if (f & MT_EVF_DROPPED) r |= MT_RF_DROPPED;
	if (f & MT_EVF_DELAYED) r |= MT_RF_DELAYED;
	if (f & MT_EVF_LOCKED) r |= MT_RF_LOCKED;
	if (f & MT_EVF_RMW) r |= MT_RF_RMW;
	if (f & MT_EVF_STRING) r |= MT_RF_STRING;
	if (f & MT_EVF_NT) r |= MT_RF_NT;
	if (f & MT_EVF_PARTIAL) r |= MT_RF_PARTIAL;
	if (f & MT_EVF_STEPPED) r |= MT_RF_STEPPED;
	return r;
}

static uint16_t ev_cpu(const struct mt_ev *ev)
{
	return ev->cpu == ~0u || ev->cpu > 0xfffe ? MT_CPU_UNKNOWN : (uint16_t)ev->cpu;
}

/* READ, WRITE (value, wide value, original), UNKNOWN (instruction bytes)
 * and UNMAP. */
static int conv_access(struct conv *c, const struct mt_ev *ev, uint8_t *p, size_t room)
{
	struct mt_enc_event e;
	memset(&e, 0, sizeof(e));
	e.kind = ev->type == MT_EV_READ ? MT_REC_READ
		 : ev->type == MT_EV_WRITE ? MT_REC_WRITE
		 : ev->type == MT_EV_UNKNOWN ? MT_REC_UNKNOWN : MT_REC_UNMAP;
	e.map_id = (uint16_t)ev->map_id;
	e.cpu = ev_cpu(ev);
	e.pid = ev->pid;
	e.tid = ev->tid;
	e.seq = ev->seq;
	e.ts = ev->ts;
	e.pc = ev->pc;
	uint64_t base = c->virt[e.map_id];
	e.offset = ev->addr >= base ? (uint32_t)(ev->addr - base) : 0;
	if (ev->type == MT_EV_READ || ev->type == MT_EV_WRITE) {
		unsigned dlen = ev->width > 64 ? 64 : ev->width;
		e.width = (uint8_t)dlen;
		e.flags = evf_to_rf(ev->flags);
		memcpy(&e.value, ev->data, dlen < 8 ? dlen : 8);
		if (dlen > 8)
			e.wide = ev->data;
		if (e.flags & MT_RF_INJECTED)
			e.orig = ev->data + dlen;
	} else if (ev->type == MT_EV_UNKNOWN) {
		unsigned len = ev->width > 15 ? 15 : ev->width;
		e.flags = evf_to_rf(ev->flags) & MT_RF_STEPPED;
		e.insn = ev->data;
		e.insn_len = (uint8_t)len;
		e.value = (len > 0 ? (uint64_t)ev->data[0] << 16 : 0) |
			  (len > 1 ? (uint64_t)ev->data[1] << 8 : 0) |
			  (len > 2 ? ev->data[2] : 0);
	} else {
		e.offset = 0;
	}
	return mt_enc_event(&c->st, p, room, &e);
}

static int conv_map(struct conv *c, const struct mt_ev *ev, uint8_t *p, size_t room)
{
	const struct mt_ev_map *m = (const struct mt_ev_map *)ev->data;
	struct mt_enc_map em;
	memset(&em, 0, sizeof(em));
	em.map_id = (uint16_t)ev->map_id;
	em.text_id = ev->map_id;
	em.pid = ev->pid;
	em.seq = ev->seq;
	em.ts = ev->ts;
	em.phys = m->phys;
	em.virt = ev->addr;
	em.size = m->len;
	em.pc = ev->pc;
	em.file_offset = m->offset;
	em.path = m->path;
	em.path_len = m->pathlen;
	em.bar = m->bar >= 0 ? (uint8_t)m->bar : 0xff;
	em.source = MT_MAPSRC_FILE;
	if (ev->flags & MT_EVF_WATCH) {
		/* ordinary memory has no physical address: the virtual one,
		 * so that phys + offset is the address of each access */
		em.source = MT_MAPSRC_WATCH;
		em.phys = ev->addr;
		em.file_offset = 0;
	} else if (m->pci_bus >= 0) {
		em.source = MT_MAPSRC_PCI;
		em.pci_domain = (uint16_t)m->pci_domain;
		em.pci_bus = (uint8_t)m->pci_bus;
		em.pci_devfn = (uint8_t)(((unsigned)m->pci_dev & 31) << 3 | ((unsigned)m->pci_fn & 7));
	}
	c->virt[em.map_id] = ev->addr;
	int n = mt_enc_map(p, room, &em);
	struct mt_pci_ids ids;
	if (n < 0 || em.source != MT_MAPSRC_PCI ||
	    mt_pci_ids_read(em.pci_domain, em.pci_bus, em.pci_devfn, &ids))
		return n;
	if ((size_t)n + MT_REC_DATA_FIXED + MT_ALIGN8(MT_PCI_IDS_LEN) > room)
		return -ENOSPC;
	return n + (int)mt__enc_data(p + n, MT_DATA_PCI_IDS, &ids, MT_PCI_IDS_LEN);
}

/* An object of the traced process (the runtime's MT_EV_OBJECT): an OBJECT
 * record, and its ranges known to the PC check (mt_conv_objects_pc). */
static int conv_object(struct conv *c, const struct mt_ev *ev, uint8_t *p, size_t room)
{
	const struct mt_ev_object *o = (const struct mt_ev_object *)ev->data;
	struct mt_obj_range r[MT_EV_OBJ_RANGES_MAX];
	struct mt_object_info oi;
	const uint8_t *tail = (const uint8_t *)(o->ranges + 3 * o->nranges);
	memset(&oi, 0, sizeof(oi));
	for (unsigned i = 0; i < o->nranges; i++) {
		r[i].start = o->ranges[3 * i];
		r[i].end = o->ranges[3 * i + 1];
		r[i].file_offset = o->ranges[3 * i + 2];
		if (r[i].start >= r[i].end)
			return 0;
	}
	oi.pid = ev->pid;
	oi.seq = ev->seq;
	oi.ts = ev->ts;
	oi.bias = o->bias;
	oi.nranges = o->nranges;
	oi.build_id = tail;
	oi.build_id_len = (uint8_t)o->build_id_len;
	oi.path = (const char *)tail + o->build_id_len;
	oi.path_len = o->pathlen;
	if (ev->flags & MT_EVF_NEWIMAGE) /* after an exec: what maps said is stale */
		mt_objtrack_forget(c->objs, ev->pid);
	if (memchr(oi.path, 0, oi.path_len) || memchr(oi.path, '\n', oi.path_len) ||
	    mt_objtrack_known(c->objs, ev->pid, r[0].start))
		return 0; /* written already (read from /proc/PID/maps) */
	int n = mt_object_encode(p, room, &oi, r);
	if (n > 0)
		for (unsigned i = 0; i < o->nranges; i++)
			mt_objtrack_note(c->objs, ev->pid, r[i].start, r[i].end);
	return n == -E2BIG ? 0 : n;
}

/* A file describing the device (the runtime's MT_EV_FILE): its FILE
 * record, checked, with the event's pid, time and sequence number. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	return h;
}

/* 1 if the same bytes were written last for this path and offset (another
 * process of the recording read the same file); else noted. */
static int file_seen(struct conv *c, const struct mt_file_info *f)
{
	uint64_t key = fnv(0xcbf29ce484222325ull ^ f->offset, f->path, f->path_len) | 1;
	uint64_t h = 0xcbf29ce484222325ull ^ f->type ^ (f->total << 8) ^ ((uint64_t)f->mode << 40) ^
		     ((uint64_t)(f->flags >> 24) << 56);

	h = fnv(h, f->data, f->data_len);
	if (!c->files && !(c->files = calloc(MT_CONV_FILES_MAX, sizeof(*c->files))))
		return 0;
	for (unsigned i = 0, k = (unsigned)key % MT_CONV_FILES_MAX; i < MT_CONV_FILES_MAX;
	     i++, k = (k + 1) % MT_CONV_FILES_MAX) {
		struct conv_file_seen *s = &c->files[k];

		if (s->key == key || !s->key) {
			int hit = s->key == key && s->content == h;
			s->key = key;
			s->content = h;
			return hit;
		}
	}
	return 0;
}

static int conv_file(struct conv *c, const struct mt_ev *ev, uint8_t *p, size_t room)
{
	struct mt_file_info f;

	if (mt_file_parse(ev->data, ev->width, &f) || file_seen(c, &f))
		return 0; /* malformed (the program's memory), or written already */
	f.pid = ev->pid;
	f.ts = ev->ts;
	f.seq = ev->seq;
	int n = mt_file_encode(p, room, &f);
	return n == -E2BIG ? 0 : n;
}

/* Put by the thread that took the order lock over from a dead holder:
 * addr records from seq on were never published. */
static int conv_lost(struct conv *c, const struct mt_ev *ev, uint8_t *p, size_t room)
{
	struct mt_enc_event e;
	memset(&e, 0, sizeof(e));
	e.kind = MT_REC_LOST;
	e.cpu = ev_cpu(ev);
	e.pid = ev->pid;
	e.tid = ev->tid ? ev->tid : MT_TID_UNKNOWN;
	e.seq = ev->seq;
	e.ts = ev->ts;
	e.value = ev->addr;
	c->last_seq = ev->seq + (ev->addr ? ev->addr - 1 : 0);
	return mt_enc_event(&c->st, p, room, &e);
}

/* Encode one ring event; returns 1 if something was encoded. */
int mt_conv_event(struct conv *c, const struct mt_ev *ev)
{
	if (c->cap - c->used < MT_EV_MAX * 2 + MT_ENC_MAX)
		return -ENOSPC;
	uint8_t *p = c->buf + c->used;
	size_t room = c->cap - c->used;
	int n;
	if (ev->type != MT_EV_OBJECT && ev->type != MT_EV_FILE) { /* they take no number */
		c->last_seq = ev->seq;
		c->last_ts = ev->ts;
	}
	if (ev->type != MT_EV_OBJECT && ev->type != MT_EV_LOST && ev->type != MT_EV_MARK &&
	    ev->type != MT_EV_FILE && c->objs && c->w && !c->failed)
		mt_objtrack_pc(c->objs, ev->pid, ev->pc, ev->seq, ev->ts, mt_objtrack_emit_writer,
			       c->w);
	switch (ev->type) {
	case MT_EV_READ:
	case MT_EV_WRITE:
	case MT_EV_UNKNOWN:
	case MT_EV_UNMAP:
		n = conv_access(c, ev, p, room);
		break;
	case MT_EV_MAP:
		n = conv_map(c, ev, p, room);
		break;
	case MT_EV_MARK:
		n = mt_enc_text(p, room, MT_REC_MARK, ev->seq, ev->ts, (const char *)ev->data,
				ev->width);
		break;
	case MT_EV_LOST:
		n = conv_lost(c, ev, p, room);
		break;
	case MT_EV_OBJECT:
		n = conv_object(c, ev, p, room);
		break;
	case MT_EV_FILE:
		n = conv_file(c, ev, p, room);
		break;
	default:
		return 0;
	}
	if (n < 0)
		return n;
	c->used += (size_t)n;
	return 1;
}

void mt_conv_drain(struct conv *c, struct mt_ring_reader *rd, uint8_t *tmp, size_t tmpsz,
		  int timeout)
{
	size_t got = mt_ring_get(rd, tmp, tmpsz, timeout);
	uint64_t nev = 0;
	for (size_t off = 0; off < got;) {
		const struct mt_ev *ev = (const struct mt_ev *)(tmp + off);
		if (mt_conv_event(c, ev) == -ENOSPC) {
			mt_conv_flush(c, nev);
			nev = 0;
			continue;
		}
		nev++;
		off += ev->size;
	}
	mt_conv_flush(c, nev);
}

