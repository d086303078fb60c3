// SPDX-License-Identifier: GPL-2.0 OR MIT
/* report_data.c - collects the per-register summary of `mmiotap report`. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "mmiotap/pcname.h"

struct report_slot {
	uint64_t key;  /* (dev+1) << 40 ^ offset << 8 ^ width, 0 empty */
	size_t reg;
};
struct report_vslot {
	uint64_t reg;  /* reg + 1, 0 empty */
	uint64_t value;
};

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);

	if (!p)
		error_msg_and_die("out of memory");
	return p;
}

void report_init(struct report *r)
{
	memset(r, 0, sizeof(*r));
	r->first_ts = UINT64_MAX;
}

static struct mt_pcname *report_pcn;

void report_set_symbols(struct mt_pcname *pcn)
{
	report_pcn = pcn;
}

/* "function+0xoff" from the trace's symbols, else the PC in hex. */
const char *report_pc_name(uint32_t pid, uint64_t pc, char *buf, size_t room)
{
	const char *fn = mt_pcname_get(report_pcn, pid, pc, UINT64_MAX); /* per register: no one seq */

	if (fn)
		snprintf(buf, room, "%s", fn);
	else
		snprintf(buf, room, "0x%" PRIx64, pc);
	return buf;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	return x ^ (x >> 33);
}

/* 1 if (reg, value) was not seen before, 0 if it was, -1 if the table is full. */
static int value_new(struct report *r, size_t reg, uint64_t value)
{
	size_t j;

	if ((r->vused + 1) * 2 > r->vcap) {
		size_t ncap = r->vcap ? r->vcap * 2 : 4096, i;
		struct report_vslot *n = xcalloc(ncap, sizeof(*n));

		for (i = 0; i < r->vcap; i++) {
			if (!r->vslots[i].reg)
				continue;
			for (j = mix(r->vslots[i].reg * 31 + r->vslots[i].value) & (ncap - 1); n[j].reg;
			     j = (j + 1) & (ncap - 1))
				;
			n[j] = r->vslots[i];
		}
		free(r->vslots);
		r->vslots = n;
		r->vcap = ncap;
	}
	for (j = mix((reg + 1) * 31 + value) & (r->vcap - 1); r->vslots[j].reg;
	     j = (j + 1) & (r->vcap - 1))
		if (r->vslots[j].reg == reg + 1 && r->vslots[j].value == value)
			return 0;
	if (r->vused >= REPORT_MAX_VALUES)
		return -1;
	r->vslots[j].reg = reg + 1;
	r->vslots[j].value = value;
	r->vused++;
	return 1;
}

static size_t new_dev(struct report *r, const struct mt_map_info *m, const char *domain)
{
	struct report_dev *d;
	size_t i;

	for (i = 0; i < r->ndevs; i++)
		if (r->devs[i].phys == m->phys && r->devs[i].size == m->size &&
		    (r->devs[i].domain == domain ||
		     (domain && r->devs[i].domain && !strcmp(domain, r->devs[i].domain))))
			return i;
	d = realloc(r->devs, (r->ndevs + 1) * sizeof(*d));
	if (!d)
		error_msg_and_die("out of memory");
	r->devs = d;
	d = &r->devs[r->ndevs];
	memset(d, 0, sizeof(*d));
	d->text_id = m->text_id;
	d->phys = m->phys;
	d->size = m->size;
	d->domain = domain;
	if (m->source == MT_MAPSRC_PCI)
		snprintf(d->where, sizeof(d->where), "pci %04x:%02x:%02x.%x bar %u", m->pci_domain,
			 m->pci_bus, m->pci_devfn >> 3, m->pci_devfn & 7, m->bar);
	else if (m->path && m->path[0])
		snprintf(d->where, sizeof(d->where), "%.95s", m->path);
	return r->ndevs++;
}

/* The register's index, or SIZE_MAX when REPORT_MAX_REGS are tracked already. */
static size_t reg_of(struct report *r, struct regbind *b, size_t dev, const struct mt_event *ev)
{
	const struct regdb_cached *c = regbind_lookup(b, ev->map_id, ev->offset, ev->width, NULL);
	uint64_t off = ev->offset - (c ? c->hit.within : 0);
	unsigned w = c ? 0 : ev->width; /* a register is one line whatever the width */
	uint64_t key = ((uint64_t)(dev + 1) << 40) ^ (off << 8) ^ w;
	struct report_reg *g;
	size_t j;

	if ((r->sused + 1) * 2 > r->scap) {
		size_t ncap = r->scap ? r->scap * 2 : 1024, i;
		struct report_slot *n = xcalloc(ncap, sizeof(*n));

		for (i = 0; i < r->scap; i++) {
			if (!r->slots[i].key)
				continue;
			for (j = mix(r->slots[i].key) & (ncap - 1); n[j].key; j = (j + 1) & (ncap - 1))
				;
			n[j] = r->slots[i];
		}
		free(r->slots);
		r->slots = n;
		r->scap = ncap;
	}
	for (j = mix(key) & (r->scap - 1); r->slots[j].key; j = (j + 1) & (r->scap - 1))
		if (r->slots[j].key == key)
			return r->slots[j].reg;
	if (r->nregs >= REPORT_MAX_REGS)
		return SIZE_MAX;
	if (r->nregs == r->rcap) {
		size_t ncap = r->rcap ? r->rcap * 2 : 256;
		struct report_reg *n = realloc(r->regs, ncap * sizeof(*n));

		if (!n)
			error_msg_and_die("out of memory");
		r->regs = n;
		r->rcap = ncap;
	}
	g = &r->regs[r->nregs];
	memset(g, 0, sizeof(*g));
	g->dev = dev;
	g->offset = off;
	g->width = c ? regdb_reg_width(c->hit.reg) / 8 : ev->width;
	if (c) {
		char nm[512];

		g->named = 1;
		g->hit = c->hit;
		g->hit.within = 0;
		regdb_name(&g->hit, nm, sizeof(nm));
		g->name = strdup(nm);
	} else if (asprintf(&g->name, "0x%" PRIx64 "/%u", off, ev->width) < 0) { /* offset/width */
		g->name = NULL;
	}
	if (!g->name)
		error_msg_and_die("out of memory");
	r->slots[j].key = key;
	r->slots[j].reg = r->nregs;
	r->sused++;
	return r->nregs++;
}

static void add_point(struct report_reg *g, const struct mt_event *ev, uint64_t v)
{
	if (g->npts && g->pts[g->npts - 1].value == v)
		return; /* only changes */
	if (g->npts == REPORT_POINTS) {
		g->pts_truncated = 1;
		return;
	}
	if (g->npts == g->ptcap) {
		size_t ncap = g->ptcap ? g->ptcap * 2 : 16;
		struct report_point *n = realloc(g->pts, ncap * sizeof(*n));

		if (!n)
			error_msg_and_die("out of memory");
		g->pts = n;
		g->ptcap = ncap;
	}
	g->pts[g->npts].ts = ev->ts;
	g->pts[g->npts].value = v;
	g->pts[g->npts].write = ev->kind == MT_REC_WRITE;
	g->npts++;
}

static void access_event(struct report *r, struct regbind *b, const struct mt_event *ev)
{
	size_t dev = r->map_dev[ev->map_id], ri;
	struct report_dev *d;
	struct report_reg *g;
	unsigned i;

	if (!dev)
		return; /* access to a map we never saw (a damaged trace) */
	d = &r->devs[dev - 1];
	r->accesses++;
	d->accesses++;
	if (ev->flags & MT_RF_INJECTED) {
		r->injected++;
		d->injected++;
	}
	if (ev->kind == MT_REC_UNKNOWN) {
		r->unknown++;
		d->unknown++;
		return;
	}
	ri = reg_of(r, b, dev - 1, ev);
	if (ri == SIZE_MAX) {
		d->untracked++;
		return;
	}
	g = &r->regs[ri];
	if (ev->kind == MT_REC_READ)
		g->reads++;
	else
		g->writes++;
	if (g->reads + g->writes == 1) {
		g->first_ts = ev->ts;
		g->first_value = ev->value;
	}
	g->last_ts = ev->ts;
	g->last_value = ev->value;
	if (ev->kind == MT_REC_WRITE) {
		g->written = 1;
		g->final_write = ev->value;
		g->final_write_ts = ev->ts;
	}
	switch (value_new(r, ri, ev->value)) {
	case 1:
		g->distinct++;
		break;
	case -1:
		g->distinct_capped = 1;
		break;
	}
	for (i = 0; i < g->npcs && (g->pcs[i] != ev->pc || g->pc_pids[i] != ev->pid); i++)
		;
	if (i == g->npcs) {
		if (g->npcs < REPORT_PCS) {
			g->pc_pids[g->npcs] = ev->pid;
			g->pcs[g->npcs++] = ev->pc;
		} else
			g->more_pcs++;
	}
	add_point(g, ev, ev->value);
}

void report_event(struct report *r, struct regbind *b, const struct mt_event *ev, int selected)
{
	if (ev->kind == MT_REC_MAP) {
		const struct regdb_domain *d = regbind_domain(b, ev->map_id);

		r->map_dev[ev->map_id] = new_dev(r, &ev->map, d ? regdb_domain_name(d) : NULL) + 1;
		return;
	}
	if (ev->kind == MT_REC_LOST) {
		r->lost_records++;
		r->lost_events += ev->value;
		return;
	}
	if (!selected)
		return;
	if (ev->ts < r->first_ts)
		r->first_ts = ev->ts;
	if (ev->ts > r->last_ts)
		r->last_ts = ev->ts;
	access_event(r, b, ev);
}

static const struct report *sort_r;

static int by_offset(const void *a, const void *b)
{
	const struct report_reg *x = &sort_r->regs[*(const size_t *)a];
	const struct report_reg *y = &sort_r->regs[*(const size_t *)b];

	return x->offset < y->offset ? -1 : x->offset > y->offset ? 1 : (int)x->width - (int)y->width;
}

void report_finish(struct report *r)
{
	size_t i;

	for (i = 0; i < r->nregs; i++)
		r->devs[r->regs[i].dev].nregs++;
	for (i = 0; i < r->ndevs; i++) {
		r->devs[i].regs = xcalloc(r->devs[i].nregs + 1, sizeof(size_t));
		r->devs[i].nregs = 0;
	}
	for (i = 0; i < r->nregs; i++) {
		struct report_dev *d = &r->devs[r->regs[i].dev];

		d->regs[d->nregs++] = i;
	}
	sort_r = r;
	for (i = 0; i < r->ndevs; i++)
		qsort(r->devs[i].regs, r->devs[i].nregs, sizeof(size_t), by_offset);
	if (r->first_ts == UINT64_MAX)
		r->first_ts = 0;
}

void report_free(struct report *r)
{
	size_t i;

	for (i = 0; i < r->nregs; i++) {
		free(r->regs[i].name);
		free(r->regs[i].pts);
	}
	for (i = 0; i < r->ndevs; i++)
		free(r->devs[i].regs);
	free(r->devs);
	free(r->regs);
	free(r->slots);
	free(r->vslots);
}
