// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * source.c - a trace as a stream of diff elements (tdiff.h): each access
 * keyed by its device identity and register address, filters applied.
 *
 * Device identity and register address of an access (stable across runs):
 *   PCI BAR mapping          "DDDD:BB:DD.F BARn", BAR offset (file offset + offset)
 *   /dev/mem                 "mem", physical address
 *   other file (uio, memfd)  the path, file offset + offset
 *   kernel ioremap / none    "phys", physical address
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmiotap/regbind.h"
#include "tdiff_int.h"

#define NMAPS 65536

void mt_tdiff_devs_free(struct mt_tdiff_devs *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->names[i]);
	free(d->names);
	free(d->bars);
	memset(d, 0, sizeof(*d));
}

/* Index of name (added if new), or -ENOMEM. Few devices: linear search. */
static long devs_intern(struct mt_tdiff_devs *d, const char *name, uint8_t bar)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->names[i], name))
			return (long)i;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		char **nn = realloc(d->names, cap * sizeof(*nn));
		uint8_t *nb;

		if (!nn)
			return -ENOMEM;
		d->names = nn;
		nb = realloc(d->bars, cap);
		if (!nb)
			return -ENOMEM;
		d->bars = nb;
		d->cap = cap;
	}
	d->names[d->n] = strdup(name);
	if (!d->names[d->n])
		return -ENOMEM;
	d->bars[d->n] = bar;
	return (long)d->n++;
}

static int note_map(struct mt_tdiff_src *s, const struct mt_map_info *m)
{
	char name[320];
	uint64_t base;
	uint8_t bar = 0xff;
	long dev;

	if (m->bar != 0xff) {
		snprintf(name, sizeof(name), "%04x:%02x:%02x.%u BAR%u", m->pci_domain,
			 m->pci_bus, m->pci_devfn >> 3, m->pci_devfn & 7, m->bar);
		bar = m->bar;
		base = m->file_offset;
	} else if (!strcmp(m->path, "/dev/mem")) {
		snprintf(name, sizeof(name), "mem");
		base = m->phys;
	} else if (m->path[0] && m->source == MT_MAPSRC_FILE) {
		snprintf(name, sizeof(name), "%.300s", m->path);
		base = m->file_offset;
	} else {
		snprintf(name, sizeof(name), "phys");
		base = m->phys;
	}
	dev = devs_intern(s->devs, name, bar);
	if (dev < 0)
		return (int)dev;
	if (s->names) {
		struct regdb_err e;

		if (regbind_map(s->names, m, &e) && !s->name_err[0])
			snprintf(s->name_err, sizeof(s->name_err), "MAP %u: %.400s", m->text_id,
				 e.msg);
		s->bound += regbind_domain(s->names, m->map_id) != NULL;
	}
	if (s->memo)
		tdiff_memo_clear(s->memo);
	s->map_dev[m->map_id] = (uint32_t)dev + 1;
	s->map_base[m->map_id] = base;
	return 0;
}

static int has_names(const struct mt_tdiff_opts *o)
{
	size_t i;

	for (i = 0; i < o->nignore; i++)
		if (o->ignore[i].name)
			return 1;
	for (i = 0; i < o->nignore_value; i++)
		if (o->ignore_value[i].name)
			return 1;
	return 0;
}

int mt_tdiff_src_open(struct mt_tdiff_src *s, int fd, const struct mt_tdiff_opts *o,
		      struct mt_tdiff_devs *devs, struct regbind *names)
{
	struct mt_reader_opts ro = { .sz = sizeof(ro), .sorted = 1 };
	int rc;

	memset(s, 0, sizeof(*s));
	s->o = o;
	s->devs = devs;
	s->names = names;
	s->map_dev = calloc(NMAPS, sizeof(*s->map_dev));
	s->map_base = calloc(NMAPS, sizeof(*s->map_base));
	s->hits[0] = calloc(o->nignore + 1, sizeof(uint64_t));
	s->hits[1] = calloc(o->nignore_value + 1, sizeof(uint64_t));
	if (!s->map_dev || !s->map_base || !s->hits[0] || !s->hits[1] ||
	    (has_names(o) && tdiff_memo_new(&s->memo))) {
		mt_tdiff_src_close(s);
		return -ENOMEM;
	}
	rc = mt_reader_open_fd(&s->r, fd, &ro);
	if (rc) {
		mt_tdiff_src_close(s);
		return rc;
	}
	return 0;
}

void mt_tdiff_src_close(struct mt_tdiff_src *s)
{
	if (s->r)
		mt_reader_close(s->r);
	free(s->map_dev);
	free(s->map_base);
	free(s->hits[0]);
	free(s->hits[1]);
	tdiff_memo_free(s->memo);
	free(s->mark[0]);
	free(s->mark[1]);
	memset(s, 0, sizeof(*s));
}

const char *mt_tdiff_src_errmsg(const struct mt_tdiff_src *s)
{
	const char *m = s->r ? mt_reader_errmsg(s->r) : "";

	return *m ? m : "out of memory";
}

/* 1 + the index of the first selector of regs[0..n) that matches e, or 0.
 * name: e's register name (NULL: none known). */
static uint8_t first_match(const struct mt_tdiff_reg *regs, size_t n,
			   const struct mt_tdiff_src *s, const struct mt_tdiff_elem *e,
			   const char *domain, const char *name)
{
	size_t i;

	for (i = 0; i < n && i < 255; i++) {
		const struct mt_tdiff_reg *r = &regs[i];

		if (r->bar != 0xff && r->bar != s->devs->bars[e->dev])
			continue;
		if (r->name ? name && mt_tdiff_reg_name_match(r, domain, name)
			    : r->addr <= e->addr && e->addr <= r->last)
			return (uint8_t)(i + 1);
	}
	return 0;
}

/* The selectors matching e: v[0] --ignore, v[1] --ignore-value (1 + index,
 * or 0). Name selectors look the register up once (memo). 0 or -ENOMEM. */
static int classify(struct mt_tdiff_src *s, const struct mt_tdiff_elem *e, uint8_t v[2])
{
	const struct mt_tdiff_opts *o = s->o;
	const struct regdb_cached *c = NULL;
	const char *dom = NULL;

	if (s->memo && tdiff_memo_get(s->memo, e->map_id, e->addr, e->width, v))
		return 0;
	if (s->memo && s->names)
		c = regbind_lookup(s->names, e->map_id, e->offset, e->width, &dom);
	v[0] = first_match(o->ignore, o->nignore, s, e, dom, c ? c->name : NULL);
	v[1] = first_match(o->ignore_value, o->nignore_value, s, e, dom, c ? c->name : NULL);
	return s->memo ? tdiff_memo_put(s->memo, e->map_id, e->addr, e->width, v) : 0;
}

/* 64-bit mixer (splitmix64's finaliser) folded over the compared fields. */
static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

static void key_of(const struct mt_tdiff_src *s, struct mt_tdiff_elem *e, int ignore_value)
{
	unsigned c = s->o->compare;
	uint64_t h = mix(0, (uint64_t)e->kind << 8 | e->width);
	size_t i;

	if (e->kind == MT_REC_MARK) {
		for (i = 0; i < e->text_len; i++)
			h = mix(h, (uint8_t)e->text[i]);
		e->key = h;
		return;
	}
	h = mix(h, e->dev);
	h = mix(h, e->addr);
	e->value_ignored = ignore_value;
	h = mix(h, ignore_value ? 0 : e->value);
	if (c & MT_TDIFF_CMP_PC)
		h = mix(h, e->pc);
	if (c & MT_TDIFF_CMP_PID)
		h = mix(h, e->pid);
	if (c & MT_TDIFF_CMP_TID)
		h = mix(h, e->tid);
	if (c & MT_TDIFF_CMP_FLAGS)
		h = mix(h, e->flags);
	e->key = h;
}

int mt_tdiff_elem_equal(const struct mt_tdiff_elem *x, const struct mt_tdiff_elem *y,
			unsigned c)
{
	if (x->kind != y->kind || x->width != y->width)
		return 0;
	if (x->kind == MT_REC_MARK)
		return x->text_len == y->text_len && !memcmp(x->text, y->text, x->text_len);
	return x->dev == y->dev && x->addr == y->addr &&
	       (x->value == y->value || (x->value_ignored && y->value_ignored)) &&
	       (!(c & MT_TDIFF_CMP_PC) || x->pc == y->pc) &&
	       (!(c & MT_TDIFF_CMP_PID) || x->pid == y->pid) &&
	       (!(c & MT_TDIFF_CMP_TID) || x->tid == y->tid) &&
	       (!(c & MT_TDIFF_CMP_FLAGS) || x->flags == y->flags);
}

/* Next element before poll collapsing: 1, 0 end, <0 error. */
static int raw_next(struct mt_tdiff_src *s, struct mt_tdiff_elem *e)
{
	struct mt_event ev;
	int rc;

	while ((rc = mt_reader_next(s->r, &ev)) > 0) {
		s->records++;
		if (ev.kind == MT_REC_MAP) {
			rc = note_map(s, &ev.map);
			if (rc)
				return rc;
			continue;
		}
		if (ev.kind == MT_REC_LOST) {
			s->lost += ev.value;
			continue;
		}
		if (ev.kind != MT_REC_READ && ev.kind != MT_REC_WRITE &&
		    ev.kind != MT_REC_UNKNOWN && ev.kind != MT_REC_MARK)
			continue;
		memset(e, 0, sizeof(*e));
		e->kind = ev.kind;
		e->seq = ev.seq;
		e->repeat = 1;
		if (ev.kind == MT_REC_MARK) {
			e->text = ev.text;
			e->text_len = ev.text_len;
			key_of(s, e, 0);
			return 1;
		}
		e->width = ev.width;
		e->flags = ev.flags;
		e->pc = ev.pc;
		e->pid = ev.pid;
		e->tid = ev.tid;
		e->value = ev.value;
		e->map_id = ev.map_id;
		e->offset = ev.offset;
		/* interrupt context belongs to no task (its pid is the one
		 * interrupted): asynchronous by --async irq alone */
		e->async = tdiff_irq_context(ev.flags) ? s->o->async_irq
						       : tdiff_tasks_has(s->tasks, ev.pid, ev.tid);
		if (s->map_dev[ev.map_id]) {
			e->dev = s->map_dev[ev.map_id] - 1;
			e->addr = s->map_base[ev.map_id] + ev.offset;
		} else {
			long d = devs_intern(s->devs, "phys", 0xff);

			if (d < 0)
				return (int)d;
			e->dev = (uint32_t)d;
			e->addr = ev.phys;
		}
		if (s->o->nignore || s->o->nignore_value) {
			uint8_t v[2];

			if ((rc = classify(s, e, v)))
				return rc;
			if (v[0]) {
				s->hits[0][v[0] - 1]++;
				continue;
			}
			if (v[1])
				s->hits[1][v[1] - 1]++;
			key_of(s, e, v[1] != 0);
		} else {
			key_of(s, e, 0);
		}
		return 1;
	}
	return rc;
}

/* Copy a MARK's text out of the reader into buffer `slot`: the pending
 * element outlives the reader's next record. Two slots: the element handed
 * out last call and the pending one. */
static int keep_mark(struct mt_tdiff_src *s, struct mt_tdiff_elem *e, int slot)
{
	if (e->kind != MT_REC_MARK)
		return 0;
	if (s->mark_cap[slot] < e->text_len + 1) {
		char *m = realloc(s->mark[slot], e->text_len + 1);

		if (!m)
			return -ENOMEM;
		s->mark[slot] = m;
		s->mark_cap[slot] = e->text_len + 1;
	}
	memcpy(s->mark[slot], e->text, e->text_len);
	e->text = s->mark[slot];
	return 0;
}

int mt_tdiff_src_next(struct mt_tdiff_src *s, struct mt_tdiff_elem *e)
{
	struct mt_tdiff_elem n;
	int rc;

	if (!s->o->collapse_polls)
		return raw_next(s, e);
	if (!s->have_pend) {
		if (s->eof)
			return 0;
		rc = raw_next(s, &s->pend);
		if (rc <= 0)
			return rc;
		rc = keep_mark(s, &s->pend, s->slot);
		if (rc)
			return rc;
		s->have_pend = 1;
	}
	/* the pending element absorbs the identical reads that follow it; an
	 * asynchronous element in between goes out at once (the order of the
	 * two kinds does not matter), not ending a synchronous poll */
	while ((rc = raw_next(s, &n)) > 0) {
		if (s->pend.kind == MT_REC_READ && n.key == s->pend.key &&
		    n.async == s->pend.async && mt_tdiff_elem_equal(&n, &s->pend, s->o->compare)) {
			s->pend.repeat++;
			continue;
		}
		if (n.async && !s->pend.async && s->pend.kind == MT_REC_READ) {
			*e = n;
			return 1;
		}
		*e = s->pend;
		s->slot ^= 1;
		rc = keep_mark(s, &n, s->slot);
		if (rc)
			return rc;
		s->pend = n;
		return 1;
	}
	if (rc < 0)
		return rc;
	s->eof = 1;
	s->have_pend = 0;
	*e = s->pend;
	return 1;
}
