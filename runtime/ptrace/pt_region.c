// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pt_region.c - the traced regions of an address space: the tracer's alias
 * of each traced file range, adding and arming a region (the tracee's
 * pages made PROT_NONE, a MAP event), cutting and splitting regions, and
 * finding traced mappings in /proc/TGID/maps (attach, exec).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pt_int.h"

/* ---- the table -------------------------------------------------------------------------- */

static void alias_put(struct pt_alias *al)
{
	if (al && --al->refs == 0) {
		munmap(al->base, al->len);
		free(al);
	}
}

void pt_region_free(struct pt_region *r)
{
	alias_put(r->al);
	free(r->path);
}

struct pt_region *pt_region_find(struct pt_mm *mm, uint64_t a)
{
	for (int i = 0; i < mm->nreg; i++)
		if (a >= mm->reg[i].start && a < mm->reg[i].end)
			return &mm->reg[i];
	return NULL;
}

uint64_t pt_region_next(struct pt_mm *mm, uint64_t a, uint64_t limit)
{
	for (int i = 0; i < mm->nreg; i++) {
		uint64_t s = mm->reg[i].start;
		if (s > a && s < limit)
			limit = s;
	}
	return limit;
}

int pt_overlaps(struct pt_mm *mm, uint64_t a, uint64_t len)
{
	uint64_t b = a + PAGE_UP(len);
	for (int i = 0; i < mm->nreg; i++)
		if (mm->reg[i].start < b && a < mm->reg[i].end)
			return 1;
	return 0;
}

static struct pt_region *region_slot(struct pt_mm *mm)
{
	if (mm->nreg == mm->capreg) {
		int nc = mm->capreg ? mm->capreg * 2 : 8;
		struct pt_region *n = realloc(mm->reg, (size_t)nc * sizeof(*n));
		if (!n)
			return NULL;
		mm->reg = n;
		mm->capreg = nc;
	}
	struct pt_region *r = &mm->reg[mm->nreg++];
	memset(r, 0, sizeof(*r));
	return r;
}

/* Let r begin at `at` (inside it). */
static void region_trim_front(struct pt_region *r, uint64_t at)
{
	r->al_off += at - r->start;
	r->offset += at - r->start;
	r->start = at;
}

/* Split region i at `at` (inside it): it keeps [start, at), the new region
 * returned (NULL: out of memory, nothing changed) gets [at, end). */
static struct pt_region *region_split(struct pt_mm *mm, int i, uint64_t at)
{
	struct pt_region copy = mm->reg[i];
	struct pt_region *n = region_slot(mm);
	if (!n)
		return NULL;
	*n = copy;
	n->path = strdup(copy.path ? copy.path : "");
	n->al->refs++;
	region_trim_front(n, at);
	mm->reg[i].end = at;
	return n;
}

/* ---- adding and arming ------------------------------------------------------------------ */

/* The tracer's alias of `len` bytes at `offset` of open_path (read-write if
 * it can be opened so, else read-only unless the program writes). */
static struct pt_alias *alias_open(const char *path, const char *open_path, uint64_t offset,
				   size_t len, int prot, int *err)
{
	int fd = open(open_path, O_RDWR | O_CLOEXEC), rw = 1;
	if (fd < 0) {
		fd = open(open_path, O_RDONLY | O_CLOEXEC);
		rw = 0;
	}
	if (fd < 0) {
		*err = -errno;
		pt_log("cannot open %s for the alias: %s; not traced", path, strerror(errno));
		return NULL;
	}
	if (!rw && (prot & PROT_WRITE)) {
		close(fd);
		pt_log("%s: writable mapping but the alias can only be read; not traced", path);
		*err = -EACCES;
		return NULL;
	}
	void *base = mmap(NULL, len, PROT_READ | (rw ? PROT_WRITE : 0), MAP_SHARED, fd,
			  (off_t)offset);
	int e = errno;
	close(fd);
	if (base == MAP_FAILED) {
		pt_log("%s: alias mmap failed: %s; not traced", path, strerror(e));
		*err = -e;
		return NULL;
	}
	struct pt_alias *al = calloc(1, sizeof(*al));
	if (!al) {
		munmap(base, len);
		*err = -ENOMEM;
		return NULL;
	}
	al->refs = 1;
	al->base = base;
	al->len = len;
	return al;
}

/* Fill new region r: [start, end) of the tracee, file range at `offset`. */
static void region_fill(struct pt_region *r, struct pt_alias *al, uint64_t start,
			uint64_t end, uint64_t offset, int prot, char *path)
{
	r->start = start;
	r->end = end;
	r->al = al;
	r->al_off = 0;
	r->offset = offset;
	r->prot = prot;
	r->path = path;
	mt_devfile_identify(path, offset, &r->pci);
	r->phys = r->pci.phys;
	r->bar = r->pci.bar;
	r->map_start = start;
	r->map_size = end - start;
	r->map_id = pt_new_map_id();
}

struct pt_region *pt_region_add_watch(struct pt_task *t, uint64_t start, uint64_t end,
				      int prot, const char *open_path, int *err)
{
	struct pt_mm *mm = t->mm;
	struct pt_alias *al = alias_open("watch", open_path, 0, (size_t)(end - start),
					 PROT_READ | PROT_WRITE, err);
	if (!al)
		return NULL;
	char *p = strdup("watch");
	struct pt_region *r = p ? region_slot(mm) : NULL;
	if (!r) {
		free(p);
		alias_put(al);
		*err = -ENOMEM;
		return NULL;
	}
	region_fill(r, al, start, end, 0, prot, p);
	r->map_id = 0; /* the objects have the MAPs */
	r->watch = 1;
	pt.st.regions++;
	return r;
}

/* Add and arm [start, end) of tracee t's address space: file range at
 * `offset` named `path`, opened for our alias through `open_path`. */
int pt_region_add(struct pt_task *t, uint64_t start, uint64_t end, uint64_t offset,
		  int prot, const char *path, const char *open_path)
{
	struct pt_mm *mm = t->mm;
	size_t len = (size_t)(end - start);
	int rc = 0;
	struct pt_alias *al = alias_open(path, open_path, offset, len, prot, &rc);
	if (!al)
		return rc;
	char *p = strdup(path);
	struct pt_region *r = p ? region_slot(mm) : NULL;
	if (!r) {
		free(p);
		alias_put(al);
		return -ENOMEM;
	}
	region_fill(r, al, start, end, offset, prot, p);
	rc = pt_remote_mprotect(t, start, len, PROT_NONE);
	if (rc) {
		pt_log("%s: cannot arm (mprotect in the tracee: %s); not traced", path,
		       strerror(-rc));
		mm->nreg--;
		pt_region_free(r);
		return rc;
	}
	pt.st.regions++;
	pt_emit_map(t, r, &r->pci);
	return 0;
}

/* ---- cutting ---------------------------------------------------------------------------- */

/*
 * Remove [a, b) from the traced set. restore: give the tracee's pages their
 * protection back (through t). unmap_ev: emit UNMAP for regions that go
 * entirely.
 */
void pt_region_cut(struct pt_task *t, struct pt_mm *mm, uint64_t a, uint64_t b, int restore,
		   int unmap_ev)
{
	for (int i = 0; i < mm->nreg; i++) {
		struct pt_region *r = &mm->reg[i];
		if (r->end <= a || b <= r->start)
			continue;
		uint64_t lo = r->start > a ? r->start : a, hi = r->end < b ? r->end : b;
		pt_region_gone(mm);
		if (restore && t)
			pt_remote_mprotect(t, lo, hi - lo, r->prot);
		if (lo > r->start && hi < r->end) {
			/* hole in the middle: split in two */
			if (!region_split(mm, i, hi))
				continue;
			mm->reg[i].end = lo;
		} else if (lo > r->start) {
			r->end = lo;
		} else if (hi < r->end) {
			region_trim_front(r, hi);
		} else {
			if (unmap_ev && t)
				pt_emit_simple(MT_EV_UNMAP, t, r->map_id, r->start, 0, NULL, 0, 0);
			pt_region_free(r);
			mm->reg[i] = mm->reg[--mm->nreg];
			i--;
		}
	}
}

/* Split so that [a, b) is made of whole regions, then set their prot. */
void pt_region_set_prot(struct pt_mm *mm, uint64_t a, uint64_t b, int prot)
{
	for (int i = 0; i < mm->nreg; i++) {
		struct pt_region *r = &mm->reg[i];
		if (r->end <= a || b <= r->start)
			continue;
		uint64_t cut = 0;
		if (r->start < a)
			cut = a;
		else if (r->end > b)
			cut = b;
		if (cut) {
			if (!region_split(mm, i, cut))
				return;
			i--; /* look at the left part again */
			continue;
		}
		r->prot = prot;
	}
}

/* A forked copy of src's regions (aliases shared) for process tgid. */
struct pt_mm *pt_mm_copy(struct pt_mm *src, pid_t tgid)
{
	struct pt_mm *mm = pt_mm_new(tgid);
	if (!mm)
		return NULL;
	for (int i = 0; i < src->nreg; i++) {
		struct pt_region *r = region_slot(mm);
		if (!r)
			break;
		*r = src->reg[i];
		r->al->refs++;
		r->path = strdup(src->reg[i].path);
	}
	mm->sys_insn = src->sys_insn;
	mm->untraced = src->untraced;
	pt_watch_fork(mm);
	return mm;
}

/* ---- /proc/TGID/maps -------------------------------------------------------------------- */

struct found_map {
	uint64_t a, b, off;
	int prot;
	char *path;
};

/* One line of /proc/TGID/maps: 1 and *m filled if it is a traced shared
 * mapping within [lo, hi) (everything when hi == 0) not yet a region. */
static int maps_line(struct pt_task *t, char *line, uint64_t lo, uint64_t hi,
		     struct found_map *m)
{
	unsigned long long a, b, off;
	char perms[8];
	int pos = 0;
	if (sscanf(line, "%llx-%llx %7s %llx %*s %*u %n", &a, &b, perms, &off, &pos) < 4 || !pos)
		return 0;
	if (hi && (b <= lo || a >= hi))
		return 0;
	if (perms[3] != 's')
		return 0;
	char *name = line + pos;
	name[strcspn(name, "\n")] = 0;
	if (!mt_devfile_traced(name, pt.defaults, pt.o->globs, pt.o->nglobs))
		return 0;
	if (pt_region_find(t->mm, a))
		return 0;
	m->a = a;
	m->b = b;
	m->off = off;
	m->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
		  (perms[2] == 'x' ? PROT_EXEC : 0);
	m->path = strdup(name);
	return 1;
}

/* Traced mappings of the tracee listed in /proc/TGID/maps within [lo, hi)
 * (everything when hi == 0) that are not regions yet: add and arm them. */
void pt_scan_maps(struct pt_task *t, uint64_t lo, uint64_t hi)
{
	char path[64], line[4096 + 256];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)t->tgid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	struct found_map found[64];
	int nf = 0;
	while (fgets(line, sizeof(line), f) && nf < 64)
		nf += maps_line(t, line, lo, hi, &found[nf]);
	fclose(f);
	for (int i = 0; i < nf; i++) {
		char mf[128];
		snprintf(mf, sizeof(mf), "/proc/%d/map_files/%llx-%llx", (int)t->tgid,
			 (unsigned long long)found[i].a, (unsigned long long)found[i].b);
		if (found[i].path)
			pt_region_add(t, found[i].a, found[i].b, found[i].off, found[i].prot,
				      found[i].path, mf);
		free(found[i].path);
	}
}
