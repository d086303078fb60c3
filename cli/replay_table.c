// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * replay_table.c - compile a recorded trace into the replay table
 * (mmiotap/rt_replay.h) the preloaded runtime answers from: the device
 * files the program mapped, and per register (file, offset) its recorded
 * reads and writes in order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "mmiotap/rt_replay.h"
#include "mmiotap/trace.h"
#include "replay_table.h"
#include "replay_tree.h"

struct acc {
	uint64_t foff, value, seq, idx;
	uint32_t dev;
	uint8_t kind, width;
};

struct build {
	struct mt_replay_dev devs[MT_REPLAY_MAX_DEVS];
	uint32_t ndev;
	int32_t map_dev[65536];         /* map id -> dev, -1 none */
	uint64_t map_foff[65536];
	struct acc *acc;
	size_t nacc, cap;
};

static int dev_of(struct build *b, const struct mt_map_info *m, char *err, size_t errlen)
{
	struct mt_replay_dev *d;
	uint32_t i;

	if (!m->path[0])
		return -1; /* kernel ioremap: nothing a program opens */
	if (strlen(m->path) >= MT_REPLAY_PATH_MAX) {
		snprintf(err, errlen, "device path too long: %s", m->path);
		return -2;
	}
	if (!strncmp(m->path, "anon_inode:", 11)) {
		snprintf(err, errlen, "%s: VFIO mappings cannot be replayed", m->path);
		return -2;
	}
	for (i = 0; i < b->ndev; i++)
		if (!strcmp(b->devs[i].path, m->path))
			break;
	if (i == b->ndev) {
		if (b->ndev == MT_REPLAY_MAX_DEVS) {
			snprintf(err, errlen, "more than %d device files", MT_REPLAY_MAX_DEVS);
			return -2;
		}
		d = &b->devs[b->ndev++];
		memset(d, 0, sizeof(*d));
		snprintf(d->path, sizeof(d->path), "%s", m->path);
		d->dom = d->bus = d->dev = d->fn = d->bar = -1;
		if (m->bar != 0xff) {
			d->dom = m->pci_domain;
			d->bus = m->pci_bus;
			d->dev = m->pci_devfn >> 3;
			d->fn = m->pci_devfn & 7;
			d->bar = m->bar;
		}
		if (m->phys >= m->file_offset) {
			d->phys0 = m->phys - m->file_offset;
			d->has_phys = 1;
		}
	}
	d = &b->devs[i];
	if (m->file_offset + m->size > d->size)
		d->size = m->file_offset + m->size;
	return (int)i;
}

static int add_acc(struct build *b, const struct mt_event *ev)
{
	struct acc *a;

	if (b->nacc == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		struct acc *n = realloc(b->acc, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		b->acc = n;
		b->cap = cap;
	}
	a = &b->acc[b->nacc];
	a->dev = (uint32_t)b->map_dev[ev->map_id];
	a->foff = b->map_foff[ev->map_id] + ev->offset;
	a->value = ev->value;
	a->seq = ev->seq;
	a->kind = ev->kind;
	a->width = ev->width;
	a->idx = b->nacc++;
	return 0;
}

static int cmp_acc(const void *x, const void *y)
{
	const struct acc *a = x, *c = y;

	if (a->dev != c->dev)
		return a->dev < c->dev ? -1 : 1;
	if (a->foff != c->foff)
		return a->foff < c->foff ? -1 : 1;
	return a->idx < c->idx ? -1 : a->idx > c->idx;
}

static int read_trace(struct build *b, int fd, struct mt_replay_tree *tree, char *err,
		      size_t errlen)
{
	struct mt_reader_opts ro = { .sz = sizeof(ro), .sorted = 1, .files = tree != NULL };
	struct mt_reader *r;
	struct mt_event ev;
	int rc;

	rc = mt_reader_open_fd(&r, fd, &ro);
	if (rc) {
		snprintf(err, errlen, "%s", strerror(-rc));
		return -1;
	}
	while ((rc = mt_reader_next(r, &ev)) > 0) {
		if (ev.kind == MT_REC_FILE) {
			if (mt_replay_tree_add(tree, &ev, err, errlen)) {
				rc = -1;
				break;
			}
		} else if (ev.kind == MT_REC_MAP) {
			int d = dev_of(b, &ev.map, err, errlen);

			if (d == -2)
				break;
			b->map_dev[ev.map.map_id] = d;
			b->map_foff[ev.map.map_id] = ev.map.file_offset;
		} else if ((ev.kind == MT_REC_READ || ev.kind == MT_REC_WRITE) &&
			   b->map_dev[ev.map_id] >= 0 && ev.width <= 8) {
			if (add_acc(b, &ev)) {
				snprintf(err, errlen, "out of memory");
				rc = -1;
				break;
			}
		}
	}
	if (rc < 0 && !err[0])
		snprintf(err, errlen, "%s", mt_reader_errmsg(r));
	mt_reader_close(r);
	if (!err[0] && !b->ndev)
		snprintf(err, errlen, "no device file mappings to replay (a kernel trace?)");
	return err[0] ? -1 : 0;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t k = write(fd, c, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

static int emit(struct build *b, int out, const struct mt_replay_build_opts *o)
{
	struct mt_replay_hdr h = { 0 };
	size_t i, nreg = 0;
	struct mt_replay_reg *regs;
	int rc = 0;

	qsort(b->acc, b->nacc, sizeof(*b->acc), cmp_acc);
	regs = calloc(b->nacc ? b->nacc : 1, sizeof(*regs));
	if (!regs)
		return -1;
	for (i = 0; i < b->nacc; i++) {
		if (!nreg || regs[nreg - 1].dev != b->acc[i].dev ||
		    regs[nreg - 1].foff != b->acc[i].foff) {
			regs[nreg].dev = b->acc[i].dev;
			regs[nreg].foff = b->acc[i].foff;
			regs[nreg].first = i;
			nreg++;
		}
		regs[nreg - 1].count++;
	}
	for (i = 0; i < nreg; i++)
		for (size_t k = 0; k < o->nany; k++)
			regs[i].any_value |= regs[i].foff == o->any_value[k];
	h.magic = MT_REPLAY_MAGIC;
	h.version = MT_REPLAY_VERSION;
	h.mode = (uint32_t)o->mode;
	h.ndev = b->ndev;
	h.nreg = (uint32_t)nreg;
	h.nent = b->nacc;
	h.dev_off = sizeof(h);
	h.reg_off = h.dev_off + b->ndev * sizeof(struct mt_replay_dev);
	h.ent_off = h.reg_off + nreg * sizeof(struct mt_replay_reg);
	h.size = h.ent_off + b->nacc * sizeof(struct mt_replay_ent);
	if (write_all(out, &h, sizeof(h)) ||
	    write_all(out, b->devs, b->ndev * sizeof(struct mt_replay_dev)) ||
	    write_all(out, regs, nreg * sizeof(*regs)))
		rc = -1;
	for (i = 0; !rc && i < b->nacc; i++) {
		struct mt_replay_ent e = { .value = b->acc[i].value, .seq = b->acc[i].seq,
					   .kind = b->acc[i].kind, .width = b->acc[i].width };

		rc = write_all(out, &e, sizeof(e));
	}
	free(regs);
	return rc;
}

int mt_replay_table_build(int in, int out, const struct mt_replay_build_opts *o, char *err,
			  size_t errlen)
{
	struct build *b = calloc(1, sizeof(*b));
	int rc;

	err[0] = 0;
	if (!b) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memset(b->map_dev, 0xff, sizeof(b->map_dev));
	rc = read_trace(b, in, o->tree, err, errlen);
	if (!rc && emit(b, out, o)) {
		snprintf(err, errlen, "writing the replay table: %s", strerror(errno));
		rc = -1;
	}
	free(b->acc);
	free(b);
	return rc;
}
