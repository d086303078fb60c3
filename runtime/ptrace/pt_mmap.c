// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pt_mmap.c - the tracee's system calls of the mmap family: at their entry
 * (a seccomp or syscall-entry stop) decide whether their exit matters; at
 * their exit follow them in the region table (new traced mappings are
 * added and armed, unmapped or remapped ones cut, protections noted and
 * the pages armed again).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pt_int.h"

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static int shared_file_map(int fl)
{
	int shared = (fl & 3) == MAP_SHARED || (fl & 3) == MAP_SHARED_VALIDATE;
	return shared && !(fl & MAP_ANONYMOUS);
}

int pt_sc_interesting(struct pt_task *t, long nr, const uint64_t *a)
{
	struct pt_mm *mm = t->mm;
	if (!mm || mm->untraced)
		return 0;
	switch (nr) {
	case SYS_mmap: {
		int fl = (int)a[3];
		if (shared_file_map(fl))
			return 1;
		return (fl & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && pt_overlaps(mm, a[0], a[1]);
	}
	case SYS_munmap:
	case SYS_mprotect:
	case SYS_pkey_mprotect:
		return pt_overlaps(mm, a[0], a[1]);
	case SYS_mremap:
		return pt_overlaps(mm, a[0], a[1]) ||
		       ((a[3] & MREMAP_FIXED) && pt_overlaps(mm, a[4], a[2]));
	}
	return 0;
}

/* Path the tracer opens for its alias of [start, start + len): the
 * mapping's /proc/TGID/map_files entry, else the descriptor's fdp. */
static void map_file(pid_t tgid, uint64_t start, uint64_t len, const char *fdp, char *mf,
		     size_t n)
{
	snprintf(mf, n, "/proc/%d/map_files/%llx-%llx", (int)tgid, (unsigned long long)start,
		 (unsigned long long)(start + len));
	if (fdp && access(mf, F_OK) != 0)
		snprintf(mf, n, "%s", fdp);
}

static void mmap_exit(struct pt_task *t, uint64_t start)
{
	const uint64_t *a = t->sc_args;
	uint64_t len = PAGE_UP(a[1]);
	pt_region_cut(t, t->mm, start, start + len, 0, 1);
	if (!shared_file_map((int)a[3]))
		return;
	char fdp[64], name[4096];
	snprintf(fdp, sizeof(fdp), "/proc/%d/fd/%d", (int)t->tgid, (int)a[4]);
	ssize_t k = readlink(fdp, name, sizeof(name) - 1);
	if (k <= 0)
		return;
	name[k] = 0;
	if (!mt_devfile_traced(name, pt.defaults, pt.o->globs, pt.o->nglobs))
		return;
	char mf[128];
	map_file(t->tgid, start, len, fdp, mf, sizeof(mf));
	pt_region_add(t, start, start + len, a[5], (int)a[2], name, mf);
}

/* The protection is the program's; the pages stay armed. */
static void mprotect_exit(struct pt_task *t)
{
	struct pt_mm *mm = t->mm;
	const uint64_t *a = t->sc_args;
	uint64_t lo = a[0], hi = a[0] + PAGE_UP(a[1]);
	pt_region_set_prot(mm, lo, hi, (int)a[2]);
	for (int i = 0; i < mm->nreg; i++) {
		struct pt_region *r = &mm->reg[i];
		if (r->start >= lo && r->end <= hi)
			pt_remote_mprotect(t, r->start, r->end - r->start, PROT_NONE);
	}
}

static void mremap_exit(struct pt_task *t, uint64_t nw)
{
	struct pt_mm *mm = t->mm;
	const uint64_t *a = t->sc_args;
	uint64_t old = a[0], oldlen = PAGE_UP(a[1]), newlen = PAGE_UP(a[2]);
	struct pt_region *r = pt_region_find(mm, old);
	struct pt_region keep;
	char *path = NULL;
	if (r) {
		keep = *r;
		path = strdup(r->path);
	}
	pt_region_cut(t, mm, old, old + oldlen, 0, 1);
	if (a[3] & MREMAP_FIXED)
		pt_region_cut(t, mm, a[4], a[4] + newlen, 0, 1);
	if (r && path) {
		char mf[128];
		map_file(t->tgid, nw, newlen, NULL, mf, sizeof(mf));
		pt_region_add(t, nw, nw + newlen, keep.offset + (old - keep.start), keep.prot, path,
			      mf);
	}
	free(path);
}

void pt_sc_exit(struct pt_task *t, int64_t rval, int is_error)
{
	struct pt_mm *mm = t->mm;
	const uint64_t *a = t->sc_args;
	t->sc_pending = 0;
	if (!mm || mm->untraced || is_error)
		return;
	switch (t->sc_nr) {
	case SYS_mmap:
		mmap_exit(t, (uint64_t)rval);
		break;
	case SYS_munmap:
		pt_region_cut(t, mm, a[0], a[0] + PAGE_UP(a[1]), 0, 1);
		break;
	case SYS_mprotect:
	case SYS_pkey_mprotect:
		mprotect_exit(t);
		break;
	case SYS_mremap:
		mremap_exit(t, (uint64_t)rval);
		break;
	}
}
