// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * plan.c - the experiments of a campaign from a baseline recording: every
 * read of a traced register is numbered among the reads of that register
 * (device, offset in the map, width) and of its read site (pc); the reads
 * --occurrences selects become one experiment per fault, whose rule hits
 * exactly that read: the register's Nth read (when=N).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmiotap/trace.h"
#include "campaign.h"

#define MAX_MAPS 65536

struct site {
	uint64_t pc, count;
};

struct reg {
	char target[MT_RULE_PATH_MAX + 64];
	uint64_t off;
	unsigned width;
	uint64_t reads;
	struct site *sites;
	size_t nsites, capsites;
};

struct planner {
	char *target[MAX_MAPS];     /* rule target per map id, NULL: none */
	uint8_t is_phys[MAX_MAPS];
	uint64_t phys[MAX_MAPS];
	struct reg *regs;
	size_t nregs, capregs;
	size_t *index;              /* reg index + 1 by hash of (target, off, width), 0: free */
	size_t index_cap;           /* a power of two, at least twice nregs */
	char *err;
	size_t errlen;
};

/* The map's device as a rule target that stays the same across runs. */
static int map_target(struct planner *pl, const struct mt_map_info *m)
{
	char buf[MT_RULE_PATH_MAX + 64], *o = buf;
	const char *s;

	if (m->source == MT_MAPSRC_PCI) {
		int n = snprintf(buf, sizeof(buf), "pci=%04x:%02x:%02x.%x", m->pci_domain,
				 m->pci_bus, m->pci_devfn >> 3, m->pci_devfn & 7);
		if (m->bar <= 5) /* else unknown: the whole function */
			snprintf(buf + n, sizeof(buf) - (size_t)n, ",bar=%u", m->bar);
	} else if (m->path_len) {
		if (m->path_len >= MT_RULE_PATH_MAX / 2 || strchr(m->path, ',')) {
			snprintf(pl->err, pl->errlen, "map %u: path '%.*s' cannot be a rule target "
				 "(a ',' or too long)", m->map_id, (int)m->path_len, m->path);
			return -EINVAL;
		}
		o += sprintf(o, "file=");
		for (s = m->path; *s; s++) {
			if (strchr("*?[\\", *s))
				*o++ = '\\';
			*o++ = *s;
		}
		*o = 0;
	} else {
		pl->is_phys[m->map_id] = 1;
		pl->phys[m->map_id] = m->phys;
		buf[0] = 0; /* phys= per access */
	}
	free(pl->target[m->map_id]);
	pl->target[m->map_id] = strdup(buf);
	return pl->target[m->map_id] ? 0 : -ENOMEM;
}

static int reg_is(const struct reg *r, const char *target, uint64_t off, unsigned width)
{
	return r->off == off && r->width == width && !strcmp(r->target, target);
}

static size_t reg_hash(const char *target, uint64_t off, unsigned width)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *target; target++)
		h = (h ^ (unsigned char)*target) * 0x100000001b3ull;
	h ^= off * 0x9e3779b97f4a7c15ull;
	h ^= (uint64_t)width << 57;
	h ^= h >> 31;
	h *= 0xff51afd7ed558ccdull;
	return (size_t)(h ^ (h >> 29));
}

/* Twice the slots; every register again. -1: out of memory. */
static int index_grow(struct planner *pl)
{
	size_t cap = pl->index_cap ? 2 * pl->index_cap : 4096, i, j;
	size_t *v = calloc(cap, sizeof(*v));

	if (!v)
		return -1;
	for (i = 0; i < pl->nregs; i++) {
		const struct reg *r = &pl->regs[i];

		for (j = reg_hash(r->target, r->off, r->width) & (cap - 1); v[j]; j = (j + 1) & (cap - 1))
			;
		v[j] = i + 1;
	}
	free(pl->index);
	pl->index = v;
	pl->index_cap = cap;
	return 0;
}

/* The register (target, off, width), made at its first read. A hash table
 * over all of them: a trace reading many distinct offsets (a large BAR
 * read through) stays linear, not quadratic. */
static struct reg *reg_get(struct planner *pl, const char *target, uint64_t off, unsigned width)
{
	size_t j;

	if ((pl->nregs + 1) * 2 > pl->index_cap && index_grow(pl))
		return NULL;
	for (j = reg_hash(target, off, width) & (pl->index_cap - 1); pl->index[j];
	     j = (j + 1) & (pl->index_cap - 1))
		if (reg_is(&pl->regs[pl->index[j] - 1], target, off, width))
			return &pl->regs[pl->index[j] - 1];
	if (pl->nregs == pl->capregs) {
		size_t cap = pl->capregs ? 2 * pl->capregs : 64;
		struct reg *n = realloc(pl->regs, cap * sizeof(*n));
		if (!n)
			return NULL;
		pl->regs = n;
		pl->capregs = cap;
	}
	pl->index[j] = pl->nregs + 1;
	struct reg *r = &pl->regs[pl->nregs++];
	memset(r, 0, sizeof(*r));
	snprintf(r->target, sizeof(r->target), "%s", target);
	r->off = off;
	r->width = width;
	return r;
}

static struct site *site_get(struct reg *r, uint64_t pc)
{
	size_t i;

	for (i = 0; i < r->nsites; i++)
		if (r->sites[i].pc == pc)
			return &r->sites[i];
	if (r->nsites == r->capsites) {
		size_t cap = r->capsites ? 2 * r->capsites : 8;
		struct site *n = realloc(r->sites, cap * sizeof(*n));
		if (!n)
			return NULL;
		r->sites = n;
		r->capsites = cap;
	}
	r->sites[r->nsites].pc = pc;
	r->sites[r->nsites].count = 0;
	return &r->sites[r->nsites++];
}

static int selected(const struct cp_occ *o, uint64_t k)
{
	if (o->mode == CP_OCC_FIRST)
		return k == 1;
	if (o->mode == CP_OCC_EVERY)
		return (k - 1) % o->every == 0;
	return 1;
}

static int add_exps(struct cp_plan *p, const struct reg *r, const struct site *s,
		    const struct cp_fault *f, size_t nf)
{
	char act[128], rule[MT_RULE_PATH_MAX + 256];
	struct cp_exp e;
	size_t i;

	for (i = 0; i < nf; i++) {
		memset(&e, 0, sizeof(e));
		if (cp_fault_actions(&f[i], r->width, r->reads, act, sizeof(act)) < 0)
			continue; /* does not apply to this width */
		cp_fault_name(&f[i], e.fault, sizeof(e.fault));
		e.id = (unsigned)p->n + 1;
		e.off = r->off;
		e.width = r->width;
		e.occ = s->count;
		e.pc = s->pc;
		if (r->target[0])
			snprintf(rule, sizeof(rule), "%s,off=0x%" PRIx64 ",width=%u,dir=r,%s",
				 r->target, r->off, r->width, act);
		else /* kernel ioremap: the physical address is the identity */
			snprintf(rule, sizeof(rule), "phys=0x%" PRIx64 ",width=%u,dir=r,%s",
				 r->off, r->width, act);
		if (cp_plan_add(p, &e, rule) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int on_read(struct planner *pl, const struct mt_event *ev, const struct cp_fault *f,
		   size_t nf, const struct cp_occ *o, struct cp_plan *p)
{
	const char *t = pl->target[ev->map_id];
	uint64_t off = ev->offset;
	struct reg *r;
	struct site *s;

	if (!t)
		return 0; /* no MAP: not a device we can name */
	if (pl->is_phys[ev->map_id])
		off = pl->phys[ev->map_id] + ev->offset;
	r = reg_get(pl, t, off, ev->width);
	s = r ? site_get(r, ev->pc) : NULL;
	if (!s)
		return -ENOMEM;
	r->reads++;
	s->count++;
	return selected(o, s->count) ? add_exps(p, r, s, f, nf) : 0;
}

static void planner_free(struct planner *pl)
{
	size_t i;

	for (i = 0; i < MAX_MAPS; i++)
		free(pl->target[i]);
	for (i = 0; i < pl->nregs; i++)
		free(pl->regs[i].sites);
	free(pl->regs);
	free(pl->index);
	free(pl);
}

int cp_plan_from_trace(int fd, const struct cp_fault *f, size_t nf, const struct cp_occ *o,
		       struct cp_plan *p, char *err, size_t errlen)
{
	struct mt_reader_opts ro = { .sz = sizeof(ro), .format = MT_INPUT_AUTO, .sorted = 1 };
	struct planner *pl = calloc(1, sizeof(*pl));
	struct mt_reader *rd = NULL;
	struct mt_event ev;
	int rc;

	*err = 0;
	if (!pl)
		return -ENOMEM;
	pl->err = err;
	pl->errlen = errlen;
	rc = mt_reader_open_fd(&rd, fd, &ro);
	if (rc < 0) {
		snprintf(err, errlen, "cannot read the trace: %s", strerror(-rc));
		free(pl);
		return rc;
	}
	while ((rc = mt_reader_next(rd, &ev)) > 0) {
		if (ev.kind == MT_REC_MAP)
			rc = map_target(pl, &ev.map);
		else if (ev.kind == MT_REC_READ && ev.width)
			rc = on_read(pl, &ev, f, nf, o, p);
		if (rc < 0)
			break;
	}
	if (rc < 0 && !*err)
		snprintf(err, errlen, "%s", rc == -ENOMEM ? "out of memory" : mt_reader_errmsg(rd));
	mt_reader_close(rd);
	planner_free(pl);
	return rc < 0 ? rc : 0;
}
