// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pt_watch.c - `mmiotap watch --pid`: watched objects of ordinary memory in
 * a traced process, as runtime/preload/watch.c does in-process (see
 * docs/INTERNALS.md, "One watched access"): each page holding a watched
 * object is made PROT_NONE in the tracee, its contents copied (through
 * /proc/PID/mem, which reads PROT_NONE pages) into a memfd the tracee
 * creates, and a PROT_NONE MAP_SHARED view of the memfd replaces the page
 * with one mremap(MREMAP_FIXED), all by system calls run in the stopped
 * tracee: the page is never accessible in between. The tracer maps the
 * same memfd (/proc/PID/fd/N) as its alias. The access path is the shared
 * one (common/access.c); the pieces of a page, common/watch_piece.c.
 * Private mappings only; what the preload runtime refuses is refused here
 * by the command line (the target's stacks) or not checked (documented).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <unistd.h>

#include "pt_int.h"

void pt_watch_piece(const struct pt_mm *mm, const struct pt_region *r, uint64_t addr,
		    int is_write, struct mt_acc_region *ar)
{
	uint64_t lo, hi;
	int i = mt_watch_piece_of(mm->wobj, mm->nwobj, r->start, r->end, addr, is_write, &lo,
				  &hi);
	ar->start = lo;
	ar->end = hi;
	ar->alias = r->al->base + r->al_off + (lo - r->start);
	ar->prot = r->prot;
	ar->map_id = i >= 0 ? mm->wobj[i].map_id : 0;
	ar->map_start = i >= 0 ? mm->wobj[i].start : lo;
	ar->map_phys = 0;
	ar->rules = 0;
	ar->priv = (void *)r;
}

/* Pages one object may span: each is a memfd in the tracee and a mapping
 * in the tracer (as the preload runtime's table of 1024 regions bounds). */
#define PT_WATCH_MAX_PAGES 1024

/* The mapping [*s, *e) holding addr in process tgid (0), else -ENOMEM;
 * its protection and whether it is shared or a [stack] in *prot, *bad. */
static int mapping_of(pid_t tgid, uint64_t addr, uint64_t *ms, uint64_t *me, int *prot, int *bad);

/* Whether [a, b) is in the stack mapping of a thread of t's process: the
 * mapping holding its stack pointer (every thread is stopped here). */
static int thread_stack(struct pt_task *t, uint64_t a, uint64_t b)
{
	for (struct pt_task *u = pt.tasks; u; u = u->next) {
		struct user_regs_struct r;
		uint64_t s, e;
		int prot, bad;
		if (u->mm != t->mm || u->stop == PT_RUNNING || u->stop == PT_DEAD ||
		    ptrace(PTRACE_GETREGS, u->tid, 0, &r) < 0)
			continue;
		if (!mapping_of(t->tgid, r.rsp, &s, &e, &prot, &bad) && a < e && s < b)
			return 1;
	}
	return 0;
}

/* The protection of the private mapping holding addr in process tgid:
 * 0 and *prot, or -ENOMEM (not mapped), -ENOTSUP (shared, or a stack). */
static int mapping_prot(pid_t tgid, uint64_t addr, int *prot)
{
	uint64_t s, e;
	int bad;
	int rc = mapping_of(tgid, addr, &s, &e, prot, &bad);
	return rc ? rc : bad || (*prot & PROT_EXEC) ? -ENOTSUP : 0;
}

static int mapping_of(pid_t tgid, uint64_t addr, uint64_t *ms, uint64_t *me, int *prot, int *bad)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)tgid);
	FILE *f = fopen(path, "re");
	int rc = -ENOMEM;
	while (f && rc == -ENOMEM && fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		char perms[8];
		int pos = 0;
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &s, &e, perms, &pos) < 3 ||
		    addr < s || addr >= e)
			continue;
		*prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
			(perms[2] == 'x' ? PROT_EXEC : 0);
		*bad = perms[3] == 's' || (pos && strstr(line + pos, "[stack"));
		*ms = s;
		*me = e;
		rc = 0;
	}
	if (f)
		fclose(f);
	return rc;
}

/* Run nr in t; the result, or a negative errno (ours or the call's). */
static long rcall(struct pt_task *t, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		  uint64_t a4, uint64_t a5)
{
	const uint64_t a[6] = { a0, a1, a2, a3, a4, a5 };
	int err = 0;
	long rc = pt_rsys6(t, nr, a, &err);
	if (err)
		return err;
	return rc;
}

/* Replace page pg of t's address space by a memfd's page with the same
 * contents (see the top) and make it a watch region. */
static int arm_page(struct pt_task *t, uint64_t pg, int prot)
{
	struct user_regs_struct u;
	static const char name[] = "mmiotap-watch";
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &u) < 0)
		return -errno;
	uint64_t name_at = (u.rsp - 1024) & ~15ull; /* below the red zone */
	if (pt_rmem_write(t->tid, name_at, name, sizeof(name), NULL))
		return -EFAULT;
	int rc = pt_remote_mprotect(t, pg, PAGE, PROT_NONE);
	if (rc)
		return rc;
	long fd = rcall(t, SYS_memfd_create, name_at, MFD_CLOEXEC, 0, 0, 0, 0);
	long view = -1;
	if (fd < 0)
		goto fail;
	rc = (int)rcall(t, SYS_ftruncate, (uint64_t)fd, PAGE, 0, 0, 0, 0);
	char fdpath[64];
	snprintf(fdpath, sizeof(fdpath), "/proc/%d/fd/%ld", (int)t->tgid, fd);
	struct pt_region *r = rc ? NULL : pt_region_add_watch(t, pg, pg + PAGE, prot, fdpath, &rc);
	if (!r)
		goto fail_fd;
	char mempath[64];
	snprintf(mempath, sizeof(mempath), "/proc/%d/mem", (int)t->tgid);
	int mem = open(mempath, O_RDONLY | O_CLOEXEC);
	ssize_t got = mem >= 0 ? pread(mem, r->al->base + r->al_off, PAGE, (off_t)pg) : -1;
	if (mem >= 0)
		close(mem);
	view = got == (ssize_t)PAGE ? rcall(t, SYS_mmap, 0, PAGE, PROT_NONE, MAP_SHARED,
					     (uint64_t)fd, 0) : -EIO;
	if (view < 0 && view > -4096)
		goto fail_region;
	long mv = rcall(t, SYS_mremap, (uint64_t)view, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
			pg, 0);
	if (mv < 0 && mv > -4096) {
		rcall(t, SYS_munmap, (uint64_t)view, PAGE, 0, 0, 0, 0);
		view = mv;
		goto fail_region;
	}
	/* the tracee's own view, for its futex calls (pt_sysptr.c); without
	 * one they fail with EFAULT, as they did before */
	long ta = rcall(t, SYS_mmap, 0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, (uint64_t)fd, 0);
	r = pt_region_find(t->mm, pg);
	if (r && !(ta < 0 && ta > -4096))
		r->talias = (uint64_t)ta;
	rcall(t, SYS_close, (uint64_t)fd, 0, 0, 0, 0, 0);
	return 0;
fail_region:
	pt_region_cut(NULL, t->mm, pg, pg + PAGE, 0, 0);
	rc = (int)view;
fail_fd:
	rcall(t, SYS_close, (uint64_t)fd, 0, 0, 0, 0, 0);
fail:
	pt_remote_mprotect(t, pg, PAGE, prot);
	pt_region_gone(t->mm);
	return rc ? rc : (fd < 0 ? (int)fd : -EIO);
}

/* One object: its pages armed, then its MAP. */
static int watch_one(struct pt_task *t, uint64_t a, uint64_t len, unsigned flags,
		     const char *name)
{
	struct pt_mm *mm = t->mm;
	if (!len || a + len < a || PAGE_UP(a + len) <= PAGE_DOWN(a))
		return -EINVAL; /* wraps round the address space */
	if ((PAGE_UP(a + len) - PAGE_DOWN(a)) / PAGE > PT_WATCH_MAX_PAGES)
		return -E2BIG;
	for (int i = 0; i < mm->nwobj; i++)
		if (mm->wobj[i].start < a + len && a < mm->wobj[i].end)
			return -EBUSY;
	if (thread_stack(t, PAGE_DOWN(a), PAGE_UP(a + len)))
		return -EPERM; /* the kernel writes signal frames there */
	struct mt_watch_obj *n = realloc(mm->wobj, (size_t)(mm->nwobj + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	mm->wobj = n;
	for (uint64_t pg = PAGE_DOWN(a); pg < a + len; pg += PAGE) {
		struct pt_region *r = pt_region_find(mm, pg);
		if (r && !r->watch)
			return -EBUSY;
		int prot = 0, rc = r ? 0 : mapping_prot(t->tgid, pg, &prot);
		if (!rc && !r)
			rc = arm_page(t, pg, prot);
		if (rc)
			return rc; /* pages armed so far stay watch pages, silent */
	}
	struct mt_watch_obj *w = &mm->wobj[mm->nwobj++];
	memset(w, 0, sizeof(*w));
	w->start = a;
	w->end = a + len;
	w->flags = flags;
	w->used = 1;
	w->map_id = pt_new_map_id();
	pt_emit_watch_map(t, a, a + len, w->map_id, name);
	return 0;
}

/* A watch the user asked for was refused: said whether or not the tracer
 * logs (its log callback, else stderr: this runs in the command's process). */
static void refused(const char *name, unsigned long long a, const char *why)
{
	if (pt.o->log)
		pt_log("cannot watch %s at %#llx: %s", name, a, why);
	else
		fprintf(stderr, "mmiotap watch: cannot watch %s at %#llx: %s\n", name, a, why);
}

int pt_watch_arm(struct pt_task *t, const char *spec)
{
	int n = 0;
	char *copy = strdup(spec), *save = NULL;
	for (char *l = copy ? strtok_r(copy, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
		unsigned long long a, len;
		unsigned flags;
		char name[96];
		if (sscanf(l, "A %llx %llx %x %95s", &a, &len, &flags, name) != 4 || !len) {
			refused(l, 0, "malformed line");
			continue;
		}
		int rc = watch_one(t, a, len, flags & ~MT_WATCH_STOP, name);
		if (rc)
			refused(name, a,
			       rc == -ENOTSUP ? "not a private, non-executable mapping (or a stack)"
			       : rc == -EPERM ? "the stack of a thread (signal frames go there)"
			       : rc == -EBUSY ? "overlaps a watched or traced range"
			       : rc == -E2BIG ? "more pages than can be watched"
			       : strerror(-rc));
		else
			n++;
	}
	free(copy);
	return n;
}

/* ---- fork ------------------------------------------------------------------------------- */

void pt_watch_fork(struct pt_mm *child)
{
	int any = 0;
	for (int i = 0; i < child->nreg && !any; i++)
		any = child->reg[i].watch;
	if (!any)
		return;
	child->wsnap = calloc((size_t)child->nreg, sizeof(*child->wsnap));
	for (int i = 0; child->wsnap && i < child->nreg; i++) {
		struct pt_region *r = &child->reg[i];
		if (!r->watch || !(child->wsnap[i] = malloc(PAGE)))
			continue;
		memcpy(child->wsnap[i], r->al->base + r->al_off, PAGE);
	}
}

/* One page of c: a private anonymous copy of snap, with prot, in its place. */
static int put_private(struct pt_task *c, uint64_t pg, const uint8_t *snap, int prot)
{
	long p = rcall(c, SYS_mmap, 0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       (uint64_t)-1, 0);
	if (p < 0 && p > -4096)
		return (int)p;
	if (pt_rmem_write(c->tid, (uint64_t)p, snap, PAGE, NULL) ||
	    rcall(c, SYS_mprotect, (uint64_t)p, PAGE, (uint64_t)prot, 0, 0, 0) != 0 ||
	    rcall(c, SYS_mremap, (uint64_t)p, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, pg, 0) !=
		    (long)pg) {
		rcall(c, SYS_munmap, (uint64_t)p, PAGE, 0, 0, 0, 0);
		return -EIO;
	}
	return 0;
}

void pt_watch_child_start(struct pt_task *c)
{
	struct pt_mm *mm = c->mm;
	if (!mm || !mm->wsnap)
		return;
	uint8_t **snap = mm->wsnap;
	int n = mm->nreg;
	mm->wsnap = NULL;
	for (int i = n - 1; i >= 0; i--) {
		if (i >= mm->nreg || !mm->reg[i].watch)
			continue;
		struct pt_region *r = &mm->reg[i];
		uint64_t pg = r->start;
		int prot = r->prot;
		if (r->talias) /* the parent's futex view: not the child's */
			rcall(c, SYS_munmap, r->talias, PAGE, 0, 0, 0, 0);
		int shared = !snap[i] || put_private(c, pg, snap[i], prot);
		if (shared)
			/* shared with the parent, as the memfd's: said, not hidden */
			refused("a page in a forked child", pg,
				"it shares the watched page with its parent");
		/* the memfd's view is PROT_NONE: with no region left, the
		 * child's first access would kill it. Its protection back. */
		pt_region_cut(shared ? c : NULL, mm, pg, pg + PAGE, shared, 0);
	}
	for (int i = 0; i < n; i++)
		free(snap[i]);
	free(snap);
}

/* Detach (every task stopped, t can run system calls): each watch page
 * becomes a private page again with its current contents, so that a later
 * fork does not share it; one that cannot stays the memfd's (the caller's
 * cut gives it its protection back). */
void pt_watch_detach(struct pt_task *t, struct pt_mm *mm)
{
	for (int i = mm->nreg - 1; i >= 0; i--) {
		if (i >= mm->nreg || !mm->reg[i].watch)
			continue;
		struct pt_region *r = &mm->reg[i];
		uint64_t pg = r->start;
		if (r->talias) /* no call uses it any more: pt_sysptr_settle */
			rcall(t, SYS_munmap, r->talias, PAGE, 0, 0, 0, 0);
		r->talias = 0;
		if (!put_private(t, pg, r->al->base + r->al_off, r->prot))
			pt_region_cut(NULL, mm, pg, pg + PAGE, 0, 0);
	}
}
