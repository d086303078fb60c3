// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * watch.c - watchpoints on ordinary memory (`mmiotap watch`, mmiotap_watch()).
 *
 * The device-memory mechanism, on any page: the page the watched object is
 * in stays PROT_NONE, every access to it faults, is emulated by the same
 * handler and access path as a device access (handler.c, common/access.c)
 * on an alias of the same page, and is recorded if it touched a watched
 * byte (the MAP of each watched object has source MT_MAPSRC_WATCH). Other
 * bytes of the page are emulated silently (counted).
 *
 * The alias. A device file can simply be mapped twice; a private page
 * (.data, .bss, heap, anonymous memory) has no second name. So, with the
 * order lock held, the page is first made PROT_NONE (from here on every
 * thread's access faults and waits for the lock: nobody slips past), its
 * contents are copied through /proc/self/mem (which reads PROT_NONE pages)
 * into a new memfd, and a PROT_NONE MAP_SHARED view of the memfd replaces
 * the page in one mremap(MREMAP_FIXED). The alias is a second mapping of
 * the memfd. The page is never accessible in between. Unwatching does the
 * reverse (an anonymous private copy mremap'ed over it). A MAP_SHARED page
 * is aliased as libmmiotap probes do (mremap with old size 0).
 *
 * fork(): a memfd page would be shared with the child. With the lock held
 * (lock.c's prepare handler) each watched page is copied into a private
 * anonymous snapshot; the child puts the snapshots in place of the pages
 * and runs unwatched; the parent drops them. Watches do not survive exec.
 */
#include "internal.h"
#include "mmiotap/rt_env.h"

#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

MT_HIDDEN struct mt_watch_obj mt_watch_objs[MT_MAX_WATCH];
MT_HIDDEN char mt_watch_names[MT_MAX_WATCH][MT_WATCH_NAME];
MT_HIDDEN int mt_nwatches;          /* highest used index + 1 */
static uint64_t nsilent_local;

#define PG 4096ul

/* ---- the handler's side (lock held) --------------------------------------------- */

_Static_assert(MMIOTAP_WATCH_READ == MT_WATCH_READ && MMIOTAP_WATCH_WRITE == MT_WATCH_WRITE &&
	       MMIOTAP_WATCH_STOP == MT_WATCH_STOP, "the public flags are rt_watch.h's");

static unsigned kinds(unsigned flags)
{
	unsigned k = flags & (MMIOTAP_WATCH_READ | MMIOTAP_WATCH_WRITE);
	return k ? k : MMIOTAP_WATCH_READ | MMIOTAP_WATCH_WRITE;
}

MT_HIDDEN void mt_watch_piece(const struct mt_region *r, uint64_t addr, int is_write,
			      struct mt_acc_region *ar)
{
	uint64_t lo, hi;
	int i = mt_watch_piece_of(mt_watch_objs, mt_nwatches, r->start, r->end, addr, is_write,
				  &lo, &hi);
	ar->start = lo;
	ar->end = hi;
	ar->alias = r->alias + (lo - r->start);
	ar->prot = r->prot;
	ar->map_id = i >= 0 ? mt_watch_objs[i].map_id : 0;
	ar->map_start = i >= 0 ? mt_watch_objs[i].start : lo;
	ar->map_phys = 0;
	ar->rules = 0;
	ar->priv = (void *)r;
}

MT_HIDDEN const struct mt_watch_obj *mt_watch_by_id(uint32_t map_id)
{
	for (int i = 0; i < mt_nwatches && map_id; i++)
		if (mt_watch_objs[i].used && mt_watch_objs[i].map_id == map_id)
			return &mt_watch_objs[i];
	return NULL;
}

MT_HIDDEN const struct mt_watch_obj *mt_watch_at(uintptr_t addr)
{
	for (int i = 0; i < mt_nwatches; i++)
		if (mt_watch_objs[i].used && addr >= mt_watch_objs[i].start && addr < mt_watch_objs[i].end)
			return &mt_watch_objs[i];
	return NULL;
}

MT_HIDDEN void mt_watch_count_silent(void)
{
	nsilent_local++;
	if (mt_ring)
		__atomic_fetch_add(&mt_ring->h->nsilent, 1, __ATOMIC_RELAXED);
}

/* ---- what may be watched ------------------------------------------------------------ */

struct mapping {
	uintptr_t start, end;
	int prot, shared;
	char name[256];
};

/* The mapping holding addr, from /proc/self/maps (read in pieces: no
 * allocation, no static buffer). 0 or -ENOMEM (not mapped), -errno. */
static int mapping_at(uintptr_t addr, struct mapping *m)
{
	int fd = mt_real.open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char buf[8192];
	size_t used = 0;
	ssize_t k;
	int rc = -ENOMEM;
	while (rc && (k = read(fd, buf + used, sizeof(buf) - 1 - used)) > 0) {
		used += (size_t)k;
		buf[used] = 0;
		char *line = buf, *nl;
		while (rc && (nl = strchr(line, '\n'))) {
			*nl = 0;
			unsigned long s, e;
			char perms[8];
			int pos = 0;
			if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &s, &e, perms, &pos) >= 3 &&
			    addr >= s && addr < e) {
				m->start = s;
				m->end = e;
				m->prot = (perms[0] == 'r' ? PROT_READ : 0) |
					  (perms[1] == 'w' ? PROT_WRITE : 0) |
					  (perms[2] == 'x' ? PROT_EXEC : 0);
				m->shared = perms[3] == 's';
				snprintf(m->name, sizeof(m->name), "%s", pos ? line + pos : "");
				rc = 0;
			}
			line = nl + 1;
		}
		used = (size_t)(buf + used - line);
		memmove(buf, line, used);
		if (used == sizeof(buf) - 1)
			used = 0; /* a line longer than the buffer: skip it */
	}
	close(fd);
	return rc;
}

static int overlaps(uintptr_t a, uintptr_t b, uintptr_t s, uintptr_t e)
{
	return a < e && s < b;
}

/* Objects whose memory the handler itself uses. */
static int runtime_object(const char *path)
{
	static const char *const names[] = { "libmmiotap", "libc.so", "ld-linux", "libZydis",
					     "libpthread.so", "libdl.so", "libgcc_s" };
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strncmp(base, names[i], strlen(names[i])))
			return 1;
	return 0;
}

/* Whether [pa, pb) is in the stack mapping of another thread of this
 * process: the mapping holding its stack pointer, as
 * /proc/self/task/TID/syscall tells for a thread blocked in the kernel (a
 * thread running on another CPU at this moment is not seen). */
static int other_thread_stack(uintptr_t pa, uintptr_t pb)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int hit = 0;
	pid_t self = (pid_t)mt_gettid();
	while (d && !hit && (de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);
		if (tid <= 0 || tid == self)
			continue;
		char path[64], buf[256];
		snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
		int fd = mt_real.open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		/* "NR ARGS... SP PC", or "-1 SP PC": SP is the next to last */
		char *last = strrchr(buf, ' ');
		if (!last)
			continue;
		*last = 0;
		char *spf = strrchr(buf, ' ');
		unsigned long sp = spf ? strtoul(spf + 1, NULL, 16) : 0;
		struct mapping m;
		if (sp && !mapping_at(sp, &m) && overlaps(pa, pb, m.start, m.end))
			hit = 1;
	}
	if (d)
		closedir(d);
	return hit;
}

/* dl_iterate_phdr: 1 if the calling thread's TLS block of a runtime
 * object (libc, the runtime...) overlaps the pages data[0]..data[1]. */
static int runtime_tls(struct dl_phdr_info *info, size_t size, void *data)
{
	const uintptr_t *p = data;
	(void)size;
	if (!info->dlpi_tls_data || !info->dlpi_name || !runtime_object(info->dlpi_name))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_TLS) {
			uintptr_t b = (uintptr_t)info->dlpi_tls_data;
			/* the block, and a page of neighbours (alignment, the
			 * static TLS surplus) */
			return overlaps(p[0], p[1], b > PG ? b - PG : 0,
					b + info->dlpi_phdr[i].p_memsz + PG);
		}
	return 0;
}

/* Why the pages [pa, pb) cannot be watched, or NULL. */
static const char *refusal(uintptr_t pa, uintptr_t pb)
{
	pthread_attr_t at;
	if (pthread_getattr_np(pthread_self(), &at) == 0) {
		void *sa = NULL;
		size_t ss = 0;
		pthread_attr_getstack(&at, &sa, &ss);
		pthread_attr_destroy(&at);
		if (overlaps(pa, pb, (uintptr_t)sa, (uintptr_t)sa + ss))
			return "the stack of a running thread (this one)";
	}
	if (other_thread_stack(pa, pb))
		return "the stack of a running thread (another one)";
	stack_t alt;
	if (sigaltstack(NULL, &alt) == 0 && !(alt.ss_flags & SS_DISABLE) &&
	    overlaps(pa, pb, (uintptr_t)alt.ss_sp, (uintptr_t)alt.ss_sp + alt.ss_size))
		return "the alternate signal stack (signal frames)";
	/* this thread's control block (the stack protector's canary, rseq,
	 * ...) and the TLS blocks of libc and the runtime (errno, ours):
	 * the handler itself reads them */
	uintptr_t tp = (uintptr_t)pthread_self();
	if (overlaps(pa, pb, tp, tp + PG) || dl_iterate_phdr(runtime_tls, (void *)(uintptr_t[2]){ pa, pb }))
		return "thread-local storage or the thread control block (libc's)";
	struct mt_tls *t = mt_tls_get();
	if (t && overlaps(pa, pb, (uintptr_t)t, (uintptr_t)t + sizeof(*t)))
		return "the runtime's own memory";
	if (mt_ring && overlaps(pa, pb, (uintptr_t)mt_ring->h,
				(uintptr_t)mt_ring->h + MT_RING_HDR_SIZE + mt_ring->size))
		return "the runtime's own memory (the event ring)";
	for (uintptr_t pg = pa; pg < pb; pg += PG) {
		Dl_info di;
		if (dladdr((void *)pg, &di) && di.dli_fname && runtime_object(di.dli_fname))
			return "memory of libc, the dynamic linker or the runtime itself";
		struct mapping m;
		if (mapping_at(pg, &m))
			return "not mapped";
		if (!strcmp(m.name, "[stack]") || !strncmp(m.name, "[stack:", 7))
			return "the stack of a running thread";
		if (!strcmp(m.name, "[vdso]") || !strcmp(m.name, "[vvar]") ||
		    !strcmp(m.name, "[vsyscall]"))
			return "the kernel's [vdso]/[vvar] pages";
		struct mt_region *r = mt_region_find(pg); /* re-checked under the lock */
		if (strstr(m.name, "mmiotap-") && (strstr(m.name, "memfd:") || strstr(m.name, ".ring")) &&
		    !(r && r->watch))
			return "the runtime's own memory (an alias or the event ring)";
		if (runtime_object(m.name))
			return "memory of libc, the dynamic linker or the runtime itself";
		if (m.prot & PROT_EXEC)
			return "executable memory (its instructions could not be fetched)";
	}
	return NULL;
}

/* ---- arming and disarming pages (lock held) ----------------------------------------- */

/* Replace the private page run [pg, pg+len) by a memfd's pages, their
 * contents copied, never accessible in between (see the top). */
static struct mt_region *arm_private(uintptr_t pg, size_t len, int prot)
{
	void *alias = MAP_FAILED;
	int fd = -1, mem = -1, err = 0;
	if (mt_real.mprotect((void *)pg, len, PROT_NONE) < 0)
		return NULL;
	fd = (int)syscall(SYS_memfd_create, "mmiotap-watch", MFD_CLOEXEC);
	mem = mt_real.open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || mem < 0 || ftruncate(fd, (off_t)len) < 0)
		goto fail;
	alias = mt_real.mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (alias == MAP_FAILED || pread(mem, alias, len, (off_t)pg) != (ssize_t)len)
		goto fail;
	void *view = mt_real.mmap(NULL, len, PROT_NONE, MAP_SHARED, fd, 0);
	if (view == MAP_FAILED)
		goto fail;
	if (mt_real.mremap(view, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)pg) == MAP_FAILED) {
		err = errno;
		mt_real.munmap(view, len);
		errno = err;
		goto fail;
	}
	close(fd);
	close(mem);
	struct mt_region *r = mt_region_add();
	if (!r) { /* cannot happen: the caller checked for room */
		mt_real.mprotect((void *)pg, len, prot);
		mt_real.munmap(alias, len);
		errno = ENOSPC;
		return NULL;
	}
	r->start = pg;
	r->end = pg + len;
	r->alias = alias;
	r->prot = prot;
	r->map_start = pg;
	r->watch = 1;
	return r;
fail:
	err = errno ? errno : EIO;
	if (alias != MAP_FAILED)
		mt_real.munmap(alias, len);
	if (fd >= 0)
		close(fd);
	if (mem >= 0)
		close(mem);
	mt_real.mprotect((void *)pg, len, prot);
	mt_region_gone(); /* a thread that faulted meanwhile runs it again */
	errno = err;
	return NULL;
}

/* A private anonymous copy of len bytes at src, with protection prot,
 * mremap'ed over dst (its pages replaced in one step). */
static int put_private_copy(uintptr_t dst, const void *src, size_t len, int prot)
{
	void *p = mt_real.mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	memcpy(p, src, len);
	mt_real.mprotect(p, len, prot);
	if (mt_real.mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)dst) == MAP_FAILED) {
		int e = errno;
		mt_real.munmap(p, len);
		return -e;
	}
	return 0;
}

/*
 * Whether the page of memfd watch region r is still the memfd's. glibc
 * unmaps and maps memory without the interposed calls (free() of a large
 * block: munmap; malloc(): mmap), so a watched heap page can go away, and
 * its address be mapped again, behind our back; the region is then stale,
 * and copying its alias over that address (fork, the recording's end)
 * would overwrite the program's new memory. Checked by flipping a byte of
 * the alias and reading the page through /proc/self/mem. Lock held (no
 * one else writes the page, or the alias); async-signal-safe. 1 ours,
 * 0 stale, -1 cannot tell (taken as ours: what was done before).
 */
static int page_is_ours(const struct mt_region *r)
{
	size_t len = r->end - r->start;
	uint8_t b1, b2;
	int mem = mt_real.open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	if (mem < 0)
		return -1;
	int rc = -1;
	if (pread(mem, &b1, 1, (off_t)r->start) != 1) {
		rc = errno == EIO ? 0 : -1; /* EIO: nothing mapped there */
	} else if (mt_real.mprotect(r->alias, len, PROT_READ | PROT_WRITE) == 0) {
		volatile uint8_t *a = (volatile uint8_t *)r->alias;
		uint8_t a0 = *a, flipped = (uint8_t)(a0 ^ 0xffu);
		if (a0 != b1) {
			rc = 0;
		} else {
			*a = flipped;
			rc = pread(mem, &b2, 1, (off_t)r->start) == 1 ? b2 == flipped : -1;
			*a = a0;
		}
		mt_real.mprotect(r->alias, len, r->prot & (PROT_READ | PROT_WRITE));
	}
	close(mem);
	return rc;
}

/* A stale watch region (page_is_ours() said 0): dropped, its objects with
 * it; the page, the program's now, is left alone. Lock held. */
static void drop_stale(struct mt_region *r)
{
	uintptr_t s = r->start, e = r->end;
	mt_region_gone();
	mt_sysptr_page(s, e, 0);
	if (!mt_sysptr_alias_gone(r->alias, e - s))
		mt_real.munmap(r->alias, e - s);
	r->used = 0;
	mt_watch_cut(s, e);
}

/* A memfd watch page whose region is going away with the page kept
 * (the recording ended): a private copy in its place, so that a later
 * fork() does not share it. Lock held. 1 if the page is no longer the
 * region's (stale: the caller must leave it alone), else 0. */
MT_HIDDEN int mt_watch_unshare(const struct mt_region *r)
{
	size_t len = r->end - r->start;
	if (!r->watch || r->probe_owned)
		return 0;
	if (page_is_ours(r) == 0)
		return 1;
	mt_real.mprotect(r->alias, len, PROT_READ);
	put_private_copy(r->start, r->alias, len, PROT_NONE); /* the caller restores prot */
	return 0;
}

/* [a, b) went away under watch regions (munmap, mmap MAP_FIXED over it,
 * the recording's end): the objects wholly in it are watched no more
 * (their UNMAP). Left in the table, one would come back to life, under
 * its old MAP, when a later watch arms its page again. Lock held. */
MT_HIDDEN void mt_watch_cut(uintptr_t a, uintptr_t b)
{
	for (int i = 0; i < mt_nwatches; i++) {
		struct mt_watch_obj *w = &mt_watch_objs[i];
		if (!w->used || w->start < a || w->end > b)
			continue;
		w->used = 0;
		if (w->map_id && mt_ring)
			mt_emit_simple(MT_EV_UNMAP, w->map_id, w->start, 0, NULL, 0, 0);
	}
	while (mt_nwatches && !mt_watch_objs[mt_nwatches - 1].used)
		mt_nwatches--;
}

/* Give the page of watch region r back to the program as plain memory. */
static void disarm(struct mt_region *r)
{
	size_t len = r->end - r->start;
	mt_region_gone();
	if (r->probe_owned) { /* a shared mapping's dup (mt_region_cut: the pages too) */
		mt_region_cut(r->start, r->end, 1);
		return;
	}
	mt_real.mprotect(r->alias, len, PROT_READ);
	if (put_private_copy(r->start, r->alias, len, r->prot) < 0)
		mt_real.mprotect((void *)r->start, len, r->prot); /* stays the memfd's */
	mt_sysptr_page(r->start, r->end, 0); /* accessible again (see arm_pages) */
	if (!mt_sysptr_alias_gone(r->alias, len))
		mt_real.munmap(r->alias, len);
	r->used = 0;
	while (mt_nregions && !mt_regions[mt_nregions - 1].used)
		mt_nregions--;
}

/* Every page of [pa, pb) a watch region. */
static int arm_pages(uintptr_t pa, uintptr_t pb, uint64_t pc)
{
	for (uintptr_t pg = pa; pg < pb; pg += PG) {
		struct mt_region *r = mt_region_find(pg);
		if (r && r->watch && !r->probe_owned && page_is_ours(r) == 0) {
			drop_stale(r);
			r = NULL;
		}
		if (r) {
			if (!r->watch)
				return -EBUSY; /* traced by the recording, or probed */
			continue;
		}
		struct mapping m;
		int rc = mapping_at(pg, &m);
		if (rc)
			return rc;
		if (mt_nregions >= MT_MAX_REGIONS - 1)
			return -ENOSPC;
		/* in sysptr.c's table before the page becomes inaccessible (and
		 * out of it after it is accessible again): a system call that
		 * finds it there waits for the lock, and then knows */
		mt_sysptr_page(pg, pg + PG, 1);
		if (m.shared) {
			r = mt_arm((void *)pg, PG, m.prot, -1, 0, "watch", 0, pc);
			if (r)
				r->watch = 1;
		} else {
			errno = 0;
			r = arm_private(pg, PG, m.prot);
		}
		if (!r) {
			int e = errno;
			mt_sysptr_page(pg, pg + PG, 0);
			return e ? -e : -ENOTSUP;
		}
		mt_sysptr_wake_page(r->start, r->end);
	}
	return 0;
}

/* Pages of [pa, pb) with no watched byte left: plain memory again. */
static void disarm_unused(uintptr_t pa, uintptr_t pb)
{
	for (uintptr_t pg = pa; pg < pb; pg += PG) {
		struct mt_region *r = mt_region_find(pg);
		int used = 0;
		for (int i = 0; i < mt_nwatches && !used; i++)
			used = mt_watch_objs[i].used && overlaps(pg, pg + PG, mt_watch_objs[i].start,
							       mt_watch_objs[i].end);
		if (r && r->watch && !used)
			disarm(r);
	}
}

/* ---- adding and removing (normal context) ---------------------------------------- */

static void say(const char *name, uintptr_t a, const char *why)
{
	char m[400];
	int n = snprintf(m, sizeof(m), "mmiotap: cannot watch %s at %#lx: %s\n",
			 name && *name ? name : "memory", (unsigned long)a, why);
	if (n > 0)
		(void)!write(2, m, (size_t)n < sizeof(m) ? (size_t)n : sizeof(m) - 1);
}

static int watch_add(uintptr_t a, size_t len, unsigned flags, const char *name, uint64_t pc)
{
	mt_resolve_real();
	if (!len || a + len < a || (flags & ~(MMIOTAP_WATCH_READ | MMIOTAP_WATCH_WRITE |
					       MMIOTAP_WATCH_STOP)))
		return -EINVAL;
	int rc = mt_install_handlers();
	if (rc)
		return rc;
	uintptr_t pa = a & ~(PG - 1), pb = (a + len + PG - 1) & ~(PG - 1);
	/* the caller's memory is read before the lock: it may be on a watched
	 * page, whose fault must not come while SIGSEGV is blocked */
	char nm_copy[MT_WATCH_NAME];
	snprintf(nm_copy, sizeof(nm_copy), "%s", name ? name : "");
	name = nm_copy;
	if (pb <= pa || (pb - pa) / PG >= MT_MAX_REGIONS) {
		/* more pages than regions: refused before refusal() reads
		 * /proc/self/maps for each of them (one read per page) */
		say(name, a, "too many watched objects or pages");
		return -ENOSPC;
	}
	const char *why = refusal(pa, pb);
	if (why) {
		say(name, a, why);
		return -EPERM;
	}
	mt_sud_activate(); /* before the page is armed: the kernel's accesses */
	sigset_t old;
	mt_glock(&old);
	int slot = -1;
	for (int i = 0; i < MT_MAX_WATCH && !rc; i++) {
		struct mt_watch_obj *w = &mt_watch_objs[i];
		if (w->used && overlaps(a, a + len, w->start, w->end)) {
			if (mt_region_find(w->start)) {
				rc = -EBUSY;
				break;
			}
			w->used = 0; /* its pages went away (munmap): stale */
		}
		if (!w->used && slot < 0)
			slot = i;
	}
	if (!rc && slot < 0)
		rc = -ENOSPC;
	if (!rc) {
		struct mt_watch_obj *w = &mt_watch_objs[slot];
		memset(w, 0, sizeof(*w));
		w->start = a;
		w->end = a + len;
		w->flags = flags;
		w->used = 1;
		char *nm = mt_watch_names[slot];
		if (name && *name)
			snprintf(nm, MT_WATCH_NAME, "%s", name);
		else
			snprintf(nm, MT_WATCH_NAME, "%#lx:%zu", (unsigned long)a, len);
		if (slot >= mt_nwatches)
			mt_nwatches = slot + 1;
		rc = arm_pages(pa, pb, pc);
		if (rc) {
			w->used = 0;
			disarm_unused(pa, pb);
		} else {
			w->map_id = mt_new_map_id();
			mt_emit_watch_map(w, pc);
		}
	}
	mt_gunlock(&old);
	if (rc == -EBUSY)
		say(name, a, "overlaps a watched object, a traced mapping or a probe");
	else if (rc == -ENOSPC)
		say(name, a, "too many watched objects or pages");
	else if (rc)
		say(name, a, strerror(-rc));
	return rc;
}

MT_EXPORT int mmiotap_watch_named(void *addr, size_t len, unsigned flags, const char *name)
{
	return watch_add((uintptr_t)addr, len, flags, name,
			 (uint64_t)(uintptr_t)__builtin_return_address(0));
}

MT_EXPORT int mmiotap_watch(void *addr, size_t len, unsigned flags)
{
	return watch_add((uintptr_t)addr, len, flags, NULL,
			 (uint64_t)(uintptr_t)__builtin_return_address(0));
}

MT_EXPORT int mmiotap_unwatch(void *addr, size_t len)
{
	mt_resolve_real();
	uintptr_t a = (uintptr_t)addr, b = a + len;
	sigset_t old;
	mt_glock(&old);
	int n = 0;
	for (int i = 0; i < mt_nwatches; i++) {
		struct mt_watch_obj *w = &mt_watch_objs[i];
		if (!w->used || (len ? !(w->start >= a && w->end <= b) : w->start != a))
			continue;
		w->used = 0;
		if (w->map_id && mt_ring)
			mt_emit_simple(MT_EV_UNMAP, w->map_id, w->start, 0, NULL, 0, 0);
		disarm_unused(w->start & ~(PG - 1), (w->end + PG - 1) & ~(PG - 1));
		n++;
	}
	while (mt_nwatches && !mt_watch_objs[mt_nwatches - 1].used)
		mt_nwatches--;
	mt_gunlock(&old);
	return n ? n : -ENOENT;
}

MT_EXPORT int mmiotap_watch_list(char *buf, size_t size)
{
	int n = 0;
	size_t used = 0;
	if (buf && size)
		buf[0] = 0;
	for (int i = 0;; i++) {
		/* one entry at a time under the lock, written to buf without it
		 * (buf may be on a watched page: its fault must not come while
		 * SIGSEGV is blocked) */
		struct mt_watch_obj w;
		char nm[MT_WATCH_NAME];
		sigset_t old;
		mt_glock(&old);
		int end = i >= mt_nwatches;
		if (!end) {
			w = mt_watch_objs[i];
			memcpy(nm, mt_watch_names[i], sizeof(nm));
		}
		mt_gunlock(&old);
		if (end)
			break;
		if (!w.used)
			continue;
		n++;
		if (buf && used + 1 < size) {
			char line[MT_WATCH_NAME + 64];
			int k = snprintf(line, sizeof(line), "%#lx %lu %s%s%s %s\n",
					 (unsigned long)w.start, (unsigned long)(w.end - w.start),
					 kinds(w.flags) & MMIOTAP_WATCH_READ ? "r" : "",
					 kinds(w.flags) & MMIOTAP_WATCH_WRITE ? "w" : "",
					 w.flags & MMIOTAP_WATCH_STOP ? "s" : "", nm);
			size_t take = k > 0 ? (size_t)k : 0;
			if (take > size - used - 1)
				take = size - used - 1;
			memcpy(buf + used, line, take);
			used += take;
			buf[used] = 0;
		}
	}
	return n;
}

/* ---- MMIOTAP_WATCH (`mmiotap watch`) -------------------------------------------- */

#define MAX_PENDING 256
static pthread_mutex_t pending_mu = PTHREAD_MUTEX_INITIALIZER; /* dlopen in threads */
MT_HIDDEN void *(*mt_dl_real)(const char *, int); /* libc's dlopen (mt_resolve_real) */
MT_HIDDEN int mt_dl_pending;                      /* npending != 0, for dlopen below */
static struct pending {
	char sym[128];
	char name[96];
	uint64_t off, len;
	unsigned flags;
} pending[MAX_PENDING];
static int npending;

static int first_object(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	*(uintptr_t *)data = (uintptr_t)info->dlpi_addr;
	return 1; /* the main program comes first */
}

static void *(*real_dlopen)(const char *, int);

/* The path of the want-th loaded object, copied (dl_iterate_phdr). */
struct nth {
	int want, i;
	char *path;
	size_t size;
};

static int nth_object(struct dl_phdr_info *info, size_t size, void *data)
{
	struct nth *q = data;
	(void)size;
	if (q->i++ != q->want)
		return 0;
	snprintf(q->path, q->size, "%s", info->dlpi_name ? info->dlpi_name : "");
	return 1;
}

/*
 * The symbol in each loaded object in turn (dlopen'ed RTLD_LOCAL ones are
 * not in RTLD_DEFAULT's scope). dlopen/dlclose are called outside
 * dl_iterate_phdr: it holds the loader's write lock, which a dlopen()
 * in another thread takes after the load lock that dlopen() here would
 * wait for (a deadlock). The list may change between calls: an object
 * missed or seen twice costs nothing.
 */
static void *sym_in_objects(const char *sym)
{
	char path[4096];
	void *addr = NULL;
	for (int k = 0; !addr && real_dlopen; k++) {
		struct nth q = { k, 0, path, sizeof(path) };
		if (!dl_iterate_phdr(nth_object, &q))
			break;
		if (!path[0])
			continue;
		void *h = real_dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
		if (!h)
			continue;
		addr = dlsym(h, sym);
		dlclose(h);
	}
	return addr;
}

/* A symbol of a loaded object: 1 and its address and size, else 0. */
static int find_symbol(const char *sym, uintptr_t *addr, uint64_t *size)
{
	void *p = dlsym(RTLD_DEFAULT, sym);
	if (!real_dlopen)
		real_dlopen = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	if (!p)
		p = sym_in_objects(sym);
	if (!p)
		return 0;
	Dl_info di;
	const ElfW(Sym) *es = NULL;
	*addr = (uintptr_t)p;
	*size = dladdr1(p, &di, (void **)&es, RTLD_DL_SYMENT) && es ? es->st_size : 0;
	return 1;
}

/* Resolve what can be (pending_mu held). */
static void resolve_locked(void)
{
	for (int i = 0; i < npending; i++) {
		struct pending *q = &pending[i];
		uintptr_t a;
		uint64_t size;
		if (!q->sym[0] || !find_symbol(q->sym, &a, &size))
			continue;
		uint64_t len = q->len ? q->len : (size > q->off ? size - q->off : 0);
		q->sym[0] = 0;
		if (!len) {
			say(q->name, a, "the symbol has no size: give one (SYMBOL:LEN)");
			continue;
		}
		watch_add(a + q->off, len, q->flags, q->name, 0);
	}
	while (npending && !pending[npending - 1].sym[0])
		npending--;
	__atomic_store_n(&mt_dl_pending, npending != 0, __ATOMIC_RELEASE);
}

/*
 * After a dlopen, in any thread. Never waits for another thread doing it:
 * that one may be waiting for the dynamic linker's lock (dlsym) that this
 * one holds (a dlopen from a library constructor). It is asked to go round
 * once more instead, and does.
 */
MT_HIDDEN void mt_watch_resolve_pending(void)
{
	static int again;
	__atomic_store_n(&again, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&again, __ATOMIC_SEQ_CST) && pthread_mutex_trylock(&pending_mu) == 0) {
		__atomic_store_n(&again, 0, __ATOMIC_SEQ_CST);
		resolve_locked();
		pthread_mutex_unlock(&pending_mu);
	}
}

/* One line of MMIOTAP_WATCH (rt_env.h). */
static void watch_line(char *line, uintptr_t bias)
{
	char kind = line[0], sym[128], name[96];
	unsigned long long a = 0, off = 0, len = 0;
	unsigned flags = 0;
	if (kind == 'S') {
		if (sscanf(line + 1, " %127s %llx %llx %x %95s", sym, &off, &len, &flags, name) != 5)
			goto bad;
		if (npending >= MAX_PENDING) {
			say(name, 0, "too many symbols");
			return;
		}
		struct pending *q = &pending[npending++];
		snprintf(q->sym, sizeof(q->sym), "%s", sym);
		snprintf(q->name, sizeof(q->name), "%s", name);
		q->off = off;
		q->len = len;
		q->flags = flags;
		return;
	}
	if ((kind != 'E' && kind != 'A') ||
	    sscanf(line + 1, " %llx %llx %x %95s", &a, &len, &flags, name) != 4)
		goto bad;
	watch_add((uintptr_t)a + (kind == 'E' ? bias : 0), (size_t)len, flags, name, 0);
	return;
bad:
	say("MMIOTAP_WATCH", 0, "malformed line");
}

MT_HIDDEN void mt_watch_env(const char *spec)
{
	uintptr_t bias = 0;
	dl_iterate_phdr(first_object, &bias);
	char *copy = strdup(spec), *save = NULL;
	if (!copy)
		return;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		watch_line(l, bias);
	free(copy);
	mt_watch_resolve_pending();
}

/*
 * A symbol of a library not loaded yet is watched once dlopen() loaded it.
 * dlopen() finds a relative name with its caller's RUNPATH and $ORIGIN, and
 * takes the caller from its return address: so while nothing is pending,
 * the exported dlopen below is a bare jump to libc's (the program's return
 * address stays on the stack: the caller is the program's), whatever the
 * compiler does. Limit: while a symbol is pending, libc's dlopen() is
 * called from here, and sees this library as its caller.
 */
MT_HIDDEN void *mt_dlopen_slow(const char *file, int mode)
{
	if (!real_dlopen)
		real_dlopen = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	if (!real_dlopen)
		return NULL;
	void *h = real_dlopen(file, mode);
	if (h && npending)
		mt_watch_resolve_pending();
	return h;
}

/* libc's dlopen found before the first dlopen: a constructor of a library
 * loaded with the program runs before ours (mt_init) and may dlopen by its
 * RUNPATH or $ORIGIN, which the slow path (this library as the caller)
 * would not find. Called from the stub below, its arguments saved. */
MT_HIDDEN void mt_dl_resolve(void)
{
	mt_resolve_real();
	if (!mt_dl_real)
		mt_dl_real = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
}

__asm__(".text\n"
	".globl dlopen\n"
	".type dlopen, @function\n"
	"dlopen:\n"
	"	endbr64\n"
	"	cmpl $0, mt_dl_pending(%rip)\n"
	"	jne 1f\n"
	"	movq mt_dl_real(%rip), %rax\n"
	"	testq %rax, %rax\n"
	"	jz 2f\n"
	"	jmp *%rax\n"
	"2:	pushq %rdi\n"
	"	pushq %rsi\n"
	"	subq $8, %rsp\n" /* the call's stack aligned to 16 */
	"	call mt_dl_resolve\n"
	"	addq $8, %rsp\n"
	"	popq %rsi\n"
	"	popq %rdi\n"
	"	movq mt_dl_real(%rip), %rax\n"
	"	testq %rax, %rax\n"
	"	jz 1f\n"
	"	jmp *%rax\n"
	"1:	jmp mt_dlopen_slow\n"
	".size dlopen, .-dlopen\n");

/* At exit: symbols never found, and the silent accesses (also in the
 * ring header for `mmiotap watch`). */
__attribute__((destructor)) static void watch_fini(void)
{
	for (int i = 0; i < npending; i++)
		if (pending[i].sym[0])
			say(pending[i].name, 0, "no such symbol was ever loaded");
}

/* ---- fork ------------------------------------------------------------------------ */

static void *fork_snap[MT_MAX_REGIONS];

MT_HIDDEN void mt_watch_fork_prepare(void)
{
	for (int i = 0; i < mt_nregions; i++) {
		struct mt_region *r = &mt_regions[i];
		fork_snap[i] = NULL;
		if (!r->used || !r->watch || r->probe_owned)
			continue;
		if (page_is_ours(r) == 0) {
			drop_stale(r); /* the child's page is the program's */
			continue;
		}
		size_t len = r->end - r->start;
		void *p = mt_real.mmap(NULL, len, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			continue;
		mt_real.mprotect(r->alias, len, PROT_READ);
		memcpy(p, r->alias, len);
		mt_real.mprotect(r->alias, len, r->prot & (PROT_READ | PROT_WRITE));
		fork_snap[i] = p;
	}
}

MT_HIDDEN void mt_watch_fork_parent(void)
{
	for (int i = 0; i < mt_nregions; i++) {
		if (fork_snap[i])
			mt_real.munmap(fork_snap[i], mt_regions[i].end - mt_regions[i].start);
		fork_snap[i] = NULL;
	}
}

/* The child's only thread: its own copies in place, no watches (the
 * lock is the parent's: nothing is put into the ring). */
MT_HIDDEN void mt_watch_fork_child(void)
{
	for (int i = 0; i < mt_nregions; i++) {
		struct mt_region *r = &mt_regions[i];
		if (!r->used || !r->watch)
			continue;
		size_t len = r->end - r->start;
		if (fork_snap[i]) {
			mt_real.mprotect(fork_snap[i], len, r->prot);
			mt_real.mremap(fork_snap[i], len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
				       (void *)r->start);
		} else if (r->probe_owned ||
			   (mt_real.mprotect(r->alias, len, PROT_READ),
			    put_private_copy(r->start, r->alias, len, r->prot) < 0)) {
			/* a shared mapping, as it was. Without a snapshot (its
			 * mmap failed in the parent) the child copies the page
			 * as it is now (the parent may have written since the
			 * fork) rather than share it; only if that fails too
			 * does the memfd's page stay shared with the parent */
			mt_real.mprotect((void *)r->start, len, r->prot);
		}
		fork_snap[i] = NULL;
		mt_real.munmap(r->alias, len);
		r->used = 0;
	}
	while (mt_nregions && !mt_regions[mt_nregions - 1].used)
		mt_nregions--;
	memset(mt_watch_objs, 0, sizeof(mt_watch_objs));
	mt_nwatches = 0;
	mt_sysptr_reset();
	mt_sud_fork_child();
	npending = 0;
	mt_dl_pending = 0;
	(void)nsilent_local;
}
