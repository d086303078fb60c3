// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * preload.c - libmmiotap-preload.so: interposed libc functions, the region
 * registry, events, and the libmmiotap API (the order lock as it takes it:
 * lock.c).
 *
 * Configuration comes only from the environment (mmiotap/rt_env.h). The
 * region table and the event ring are guarded by one lock (the ring's
 * order lock, shared by all processes of the recording); normal-context
 * code blocks all signals while it holds it, so the SIGSEGV handler of the
 * same thread can never deadlock on it.
 */
#include "internal.h"
#include "mmiotap/rt_env.h"
#include "mmiotap/rt_replay.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

MT_HIDDEN struct mt_real mt_real;
MT_HIDDEN struct mt_ring *mt_ring;
MT_HIDDEN struct mt_region mt_regions[MT_MAX_REGIONS];
MT_HIDDEN int mt_nregions;
MT_HIDDEN struct mt_probe_slot mt_probes[MT_MAX_PROBES];
MT_HIDDEN int mt_nprobes;
MT_HIDDEN pid_t mt_pid;
MT_HIDDEN int mt_handlers_installed;

int mt_is_taken_signal(int sig) MT_HIDDEN;
void mt_prog_sigaction(int sig, const struct sigaction *act, struct sigaction *old) MT_HIDDEN;

static __thread int in_rt __attribute__((tls_model("initial-exec")));
static int resolving;

/* configuration */
#define MAX_GLOBS 32
static char *globs[MAX_GLOBS];
static int nglobs;
static int use_defaults = 1;
static int debug;
static char *saved_env[8]; /* "NAME=value" of every MMIOTAP_* variable we use */
static int nsaved_env;
static char *lib_path;


/* fd -> path given to open(), for MAP records that name what the program
 * opened (the symlinked sysfs path) rather than what /proc resolves */
#define MAX_FDS 1024
static struct {
	dev_t dev;
	ino_t ino;
	char *path;
} fdtab[MAX_FDS];

MT_HIDDEN void mt_debug(const char *msg)
{
	if (!debug)
		return;
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "mmiotap[%d]: %s\n", (int)getpid(), msg);
	if (n > 0)
		(void)!write(2, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

MT_HIDDEN void mt_resolve_real(void)
{
	if (mt_real.sigaction || resolving)
		return;
	resolving = 1;
#define R(name) mt_real.name = (__typeof__(mt_real.name))dlsym(RTLD_NEXT, #name)
	R(mmap);
	R(munmap);
	R(mremap);
	R(mprotect);
	R(open);
	R(openat);
	R(fork);
	R(execve);
	R(execvpe);
	R(sigprocmask);
	R(pthread_sigmask);
	R(sigaction);
#undef R
	mt_dl_real = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	resolving = 0;
}

MT_HIDDEN uint64_t mt_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- regions ------------------------------------------------------------------ */

MT_HIDDEN struct mt_region *mt_region_find(uintptr_t addr)
{
	for (int i = 0; i < mt_nregions; i++) {
		struct mt_region *r = &mt_regions[i];
		if (r->used && addr >= r->start && addr < r->end)
			return r;
	}
	return NULL;
}

MT_HIDDEN uintptr_t mt_region_next(uintptr_t addr, uintptr_t limit)
{
	for (int i = 0; i < mt_nregions; i++)
		if (mt_regions[i].used && mt_regions[i].start > addr && mt_regions[i].start < limit)
			limit = mt_regions[i].start;
	return limit;
}

MT_HIDDEN struct mt_region *mt_region_add(void)
{
	for (int i = 0; i < MT_MAX_REGIONS; i++) {
		if (!mt_regions[i].used) {
			memset(&mt_regions[i], 0, sizeof(mt_regions[i]));
			mt_regions[i].used = 1;
			mt_regions[i].replay_dev = -1;
			if (i >= mt_nregions)
				mt_nregions = i + 1;
			return &mt_regions[i];
		}
	}
	return NULL;
}

static int map_id_live(uint32_t id)
{
	for (int i = 0; i < mt_nregions; i++)
		if (mt_regions[i].used && mt_regions[i].map_id == id)
			return 1;
	return 0;
}

MT_HIDDEN int mt_recording_over(void)
{
	return mt_ring && __atomic_load_n(&mt_ring->h->closing, __ATOMIC_ACQUIRE);
}

MT_HIDDEN void mt_abandon(void)
{
	mt_region_cut(0, UINTPTR_MAX, 1);
}

MT_HIDDEN void mt_region_cut(uintptr_t a, uintptr_t b, int restore)
{
	int watch = 0;
	for (int i = 0; i < mt_nregions; i++) {
		struct mt_region *r = &mt_regions[i];
		if (!r->used || b <= r->start || a >= r->end)
			continue;
		uintptr_t s = a > r->start ? a : r->start;
		uintptr_t e = b < r->end ? b : r->end;
		mt_region_gone();
		watch |= r->watch;
		/* pages of one page: s, e are r's. A stale one (its page unmapped
		 * or mapped again behind our back) is not the region's to restore */
		int stale = restore && r->watch && mt_watch_unshare(r);
		if (!r->watch || !mt_sysptr_alias_gone(r->alias + (s - r->start), e - s))
			mt_real.munmap(r->alias + (s - r->start), e - s);
		if (restore && !stale)
			mt_real.mprotect((void *)s, e - s, r->prot);
		if (r->watch) /* after: see watch.c's arm_pages */
			mt_sysptr_page(r->start, r->end, 0);
		if (s == r->start && e == r->end) {
			r->used = 0;
			if (r->map_id && !map_id_live(r->map_id))
				mt_emit_simple(MT_EV_UNMAP, r->map_id, r->start, 0, NULL, 0, 0);
		} else if (s == r->start) {
			r->alias += e - r->start;
			r->offset += e - r->start;
			r->start = e;
		} else if (e == r->end) {
			r->end = s;
		} else {
			struct mt_region *n = mt_region_add();
			if (n) {
				*n = *r;
				n->used = 1;
				n->alias = r->alias + (e - r->start);
				n->offset = r->offset + (e - r->start);
				n->start = e;
			} else {
				/* table full: give the tail back to the program untraced */
				mt_real.munmap(r->alias + (e - r->start), r->end - e);
				mt_real.mprotect((void *)e, r->end - e, r->prot);
			}
			r->end = s;
		}
	}
	while (mt_nregions && !mt_regions[mt_nregions - 1].used)
		mt_nregions--;
	if (watch)
		mt_watch_cut(a, b);
}

/* ---- events -------------------------------------------------------------------- */

static void ev_fill(struct mt_ev *ev, int type, uint32_t map_id, uint64_t addr, uint64_t pc)
{
	ev->type = (uint16_t)type;
	ev->pid = (uint32_t)mt_pid;
	ev->tid = mt_gettid();
	int cpu = sched_getcpu();
	ev->cpu = cpu < 0 ? ~0u : (uint32_t)cpu;
	ev->map_id = map_id;
	ev->seq = mt_ring_next_seq(mt_ring);
	ev->ts = mt_now();
	ev->pc = pc;
	ev->addr = addr;
}

MT_HIDDEN void mt_emit_simple(int type, uint32_t map_id, uint64_t addr, uint64_t pc,
			      const void *data, unsigned len, unsigned flags)
{
	if (!mt_ring)
		return;
	union {
		struct mt_ev ev;
		uint8_t b[MT_EV_MAX];
	} u;
	unsigned max = MT_EV_MAX - sizeof(struct mt_ev);
	if (len > max)
		len = max;
	memset(&u.ev, 0, sizeof(u.ev));
	ev_fill(&u.ev, type, map_id, addr, pc);
	u.ev.width = (uint16_t)len;
	u.ev.flags = (uint16_t)flags;
	u.ev.size = (uint16_t)((sizeof(struct mt_ev) + len + 7) & ~7u);
	memset(u.ev.data, 0, ((len + 7) & ~7u));
	if (len)
		memcpy(u.ev.data, data, len);
	mt_ring_put(mt_ring, &u.ev);
}


static void mt_emit_map_pi(const struct mt_region *r, const char *path, uint64_t pc,
			   const struct mt_pci_info *pip);

MT_HIDDEN void mt_emit_map(const struct mt_region *r, const char *path, uint64_t pc)
{
	struct mt_pci_info pi;
	mt_devfile_identify(path, r->offset, &pi);
	mt_emit_map_pi(r, path, pc, &pi);
}

static void mt_emit_map_pi(const struct mt_region *r, const char *path, uint64_t pc,
			   const struct mt_pci_info *pip)
{
	if (!mt_ring)
		return;
	union {
		struct mt_ev ev;
		uint8_t b[MT_EV_MAX];
	} u;
	memset(&u, 0, sizeof(struct mt_ev) + sizeof(struct mt_ev_map));
	ev_fill(&u.ev, MT_EV_MAP, r->map_id, r->start, pc);
	struct mt_ev_map *m = (struct mt_ev_map *)u.ev.data;
	struct mt_pci_info pi = *pip;
	m->len = r->end - r->start;
	m->offset = r->offset;
	m->phys = pi.phys;
	m->prot = (uint32_t)r->prot;
	m->bar = pi.bar;
	m->pci_domain = pi.dom;
	m->pci_bus = pi.bus;
	m->pci_dev = pi.dev;
	m->pci_fn = pi.fn;
	size_t max = MT_EV_MAX - sizeof(struct mt_ev) - sizeof(*m);
	size_t pl = strlen(path);
	if (pl > max)
		pl = max;
	m->pathlen = (uint16_t)pl;
	memcpy(m->path, path, pl);
	size_t sz = sizeof(struct mt_ev) + sizeof(*m) + pl;
	u.ev.width = 0;
	u.ev.size = (uint16_t)((sz + 7) & ~7u);
	memset(u.b + sz, 0, u.ev.size - sz);
	mt_ring_put(mt_ring, &u.ev);
}

/* The MAP of a watched object: its name as path, its address as addr. */
MT_HIDDEN void mt_emit_watch_map(const struct mt_watch_obj *w, uint64_t pc)
{
	if (!mt_ring || !w->map_id)
		return;
	union {
		struct mt_ev ev;
		uint8_t b[MT_EV_MAX];
	} u;
	memset(&u, 0, sizeof(struct mt_ev) + sizeof(struct mt_ev_map));
	ev_fill(&u.ev, MT_EV_MAP, w->map_id, w->start, pc);
	u.ev.flags = MT_EVF_WATCH;
	struct mt_ev_map *m = (struct mt_ev_map *)u.ev.data;
	m->len = w->end - w->start;
	m->prot = (uint32_t)w->flags;
	m->bar = m->pci_domain = m->pci_bus = m->pci_dev = m->pci_fn = -1;
	const char *name = mt_watch_names[w - mt_watch_objs];
	size_t pl = strnlen(name, MT_WATCH_NAME);
	m->pathlen = (uint16_t)pl;
	memcpy(m->path, name, pl);
	size_t sz = sizeof(struct mt_ev) + sizeof(*m) + pl;
	u.ev.size = (uint16_t)((sz + 7) & ~7u);
	memset(u.b + sz, 0, u.ev.size - sz);
	mt_ring_put(mt_ring, &u.ev);
}

/* Whether a live region's MAP has id's number in the trace (its low 16
 * bits: record_conv.c). */
static int map_id16_live(uint32_t id)
{
	for (int i = 0; i < mt_nregions; i++)
		if (mt_regions[i].used && mt_regions[i].map_id &&
		    (uint16_t)mt_regions[i].map_id == (uint16_t)id)
			return 1;
	return 0;
}

/* The next map id (lock held): the trace has 16 bits of it, so once the
 * counter wraps the numbers of this process's live mappings (inherited
 * ones too) are skipped, and 0 (not recorded). At most MT_MAX_REGIONS are
 * live: the search ends. Other processes' live ids are not known here. */
MT_HIDDEN uint32_t mt_new_map_id(void)
{
	static uint32_t local;
	for (;;) {
		uint32_t id = mt_ring ? ++mt_ring->h->next_map_id : ++local;
		if ((id & 0xffff) && !map_id16_live(id))
			return id;
	}
}

/* ---- traced files --------------------------------------------------------------- */

static int glob_hit(const char *name)
{
	return mt_devfile_traced(name, use_defaults, (const char *const *)globs, (size_t)nglobs) ||
	       mt_replay_dev_of(name) >= 0;
}

/* A file the user's --trace-file globs (or the defaults) trace: fsrec.c
 * never reads it to record it. */
MT_HIDDEN int mt_traced_name(const char *name)
{
	return mt_devfile_traced(name, 1, (const char *const *)globs, (size_t)nglobs);
}

/* Whether fd is a traced file; fills the name to put into MAP. */
static int traced_fd(int fd, char *name, size_t n)
{
	char link[64], real[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t k = readlink(link, real, sizeof(real) - 1);
	if (k < 0)
		return 0;
	real[k] = 0;
	const char *opened = NULL;
	if (fd < MAX_FDS && fdtab[fd].path) {
		struct stat st;
		if (!fstat(fd, &st) && st.st_dev == fdtab[fd].dev && st.st_ino == fdtab[fd].ino)
			opened = fdtab[fd].path;
	}
	if (!glob_hit(real) && !glob_hit(opened))
		return 0;
	snprintf(name, n, "%s",
		 opened && (strstr(opened, "/resource") || mt_replay_active()) ? opened : real);
	return 1;
}

static void note_open(int fd, const char *path)
{
	if (fd < 0 || fd >= MAX_FDS || !path || !mt_ring || in_rt)
		return;
	if (!glob_hit(path))
		return;
	in_rt++;
	struct stat st;
	if (!fstat(fd, &st)) {
		char *old = fdtab[fd].path;
		fdtab[fd].path = strdup(path);
		fdtab[fd].dev = st.st_dev;
		fdtab[fd].ino = st.st_ino;
		free(old);
	}
	in_rt--;
}

/* ---- mmap and friends -------------------------------------------------------------- */

static void *raw_mmap(void *a, size_t l, int p, int f, int fd, off_t o)
{
	if (mt_real.mmap)
		return mt_real.mmap(a, l, p, f, fd, o);
	return (void *)syscall(SYS_mmap, a, l, p, f, fd, o);
}

static size_t page_round(size_t n)
{
	return (n + 4095) & ~(size_t)4095;
}

static void untrace_range(uintptr_t a, size_t len)
{
	if (!mt_nregions)
		return;
	sigset_t old;
	mt_glock(&old);
	mt_region_cut(a, a + page_round(len), 0);
	mt_gunlock(&old);
}

/* Make [p, p+len) a traced region aliasing fd/off (or, fd < 0, a duplicate
 * of the shared mapping itself). Lock held. */
MT_HIDDEN struct mt_region *mt_arm(void *p, size_t len, int prot, int fd, off_t off,
				   const char *name, int record, uint64_t pc)
{
	len = page_round(len);
	int aprot = prot & (PROT_READ | PROT_WRITE);
	void *alias;
	if (fd >= 0) {
		alias = raw_mmap(NULL, len, aprot, MAP_SHARED, fd, off);
	} else {
		/* mremap with old_size 0 duplicates a shared mapping */
		alias = mt_real.mremap(p, 0, len, MREMAP_MAYMOVE);
		if (alias != MAP_FAILED && mt_real.mprotect(alias, len, aprot) < 0) {
			mt_real.munmap(alias, len);
			alias = MAP_FAILED;
		}
	}
	if (alias == MAP_FAILED) {
		mt_debug("cannot create the alias mapping; not traced");
		return NULL;
	}
	struct mt_region *r = mt_region_add();
	if (!r) {
		mt_real.munmap(alias, len);
		mt_debug("too many traced regions; not traced");
		return NULL;
	}
	r->start = (uintptr_t)p;
	r->end = (uintptr_t)p + len;
	r->alias = alias;
	r->offset = (uint64_t)off;
	r->prot = prot;
	r->probe_owned = fd < 0;
	if (mt_real.mprotect(p, len, PROT_NONE) < 0) {
		mt_real.munmap(alias, len);
		r->used = 0;
		return NULL;
	}
	r->map_start = r->start;
	r->replay_dev = (int16_t)mt_replay_dev_of(name);
	struct mt_pci_info pi = { -1, -1, -1, -1, -1, 0 };
	if (record && mt_ring) {
		if (r->replay_dev >= 0)
			mt_replay_identify(r->replay_dev, r->offset, &pi);
		else
			mt_devfile_identify(name, r->offset, &pi);
		r->map_phys = pi.phys;
		r->rule_mask = mt_rt_inject_match(name, &pi, len);
		r->map_id = mt_new_map_id();
		mt_emit_map_pi(r, name, pc, &pi);
	}
	return r;
}

static void *do_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off,
		     uint64_t pc)
{
	mt_resolve_real();
	int shared = (flags & MAP_TYPE) == MAP_SHARED || (flags & MAP_TYPE) == MAP_SHARED_VALIDATE;
	char name[PATH_MAX];
	if (in_rt || !mt_ring || fd < 0 || !shared || !mt_handlers_installed ||
	    mt_recording_over()) {
		void *p = raw_mmap(addr, len, prot, flags, fd, off);
		if (p != MAP_FAILED && (flags & MAP_FIXED) && !in_rt)
			untrace_range((uintptr_t)p, len);
		return p;
	}
	in_rt++;
	int traced = traced_fd(fd, name, sizeof(name));
	if (traced)
		mt_objects_emit(); /* the code that will touch it, for symbols: before its MAP */
	void *p = raw_mmap(addr, len, prot, flags, fd, off);
	if (p != MAP_FAILED) {
		sigset_t old;
		mt_glock(&old);
		if (flags & MAP_FIXED)
			mt_region_cut((uintptr_t)p, (uintptr_t)p + page_round(len), 0);
		if (traced)
			mt_arm(p, len, prot, fd, off, name, 1, pc);
		mt_gunlock(&old);
	}
	in_rt--;
	return p;
}

MT_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return do_mmap(addr, len, prot, flags, fd, off,
		       (uint64_t)(uintptr_t)__builtin_return_address(0));
}

MT_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return do_mmap(addr, len, prot, flags, fd, off,
		       (uint64_t)(uintptr_t)__builtin_return_address(0));
}

MT_EXPORT int munmap(void *addr, size_t len)
{
	mt_resolve_real();
	if (in_rt || !mt_nregions)
		return mt_real.munmap(addr, len);
	sigset_t old;
	mt_glock(&old);
	int rc = mt_real.munmap(addr, len);
	int e = errno;
	if (rc == 0)
		mt_region_cut((uintptr_t)addr, (uintptr_t)addr + page_round(len), 0);
	mt_gunlock(&old);
	errno = e;
	return rc;
}

MT_EXPORT int mprotect(void *addr, size_t len, int prot)
{
	mt_resolve_real();
	if (in_rt || !mt_nregions)
		return mt_real.mprotect(addr, len, prot);
	sigset_t old;
	mt_glock(&old);
	uintptr_t a = (uintptr_t)addr, b = a + page_round(len);
	int rc = 0;
	/* untraced pieces get the protection, traced ones keep PROT_NONE and
	 * their alias follows the program's protection */
	uintptr_t cur = a;
	while (cur < b && rc == 0) {
		struct mt_region *r = mt_region_find(cur);
		if (r) {
			uintptr_t e = r->end < b ? r->end : b;
			rc = mt_real.mprotect(r->alias + (cur - r->start), e - cur,
					      prot & (PROT_READ | PROT_WRITE));
			if (rc == 0 && cur == r->start && e == r->end)
				r->prot = prot;
			else if (rc == 0)
				r->prot |= prot; /* partial: keep it permissive */
			cur = e;
		} else {
			uintptr_t e = mt_region_next(cur, b);
			rc = mt_real.mprotect((void *)cur, e - cur, prot);
			cur = e;
		}
	}
	int e = errno;
	mt_gunlock(&old);
	errno = e;
	return rc;
}

MT_EXPORT void *mremap(void *old_addr, size_t old_len, size_t new_len, int flags, ...)
{
	mt_resolve_real();
	void *new_addr = NULL;
	if (flags & MREMAP_FIXED) {
		va_list ap;
		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
	}
	if (in_rt || !mt_nregions)
		return mt_real.mremap(old_addr, old_len, new_len, flags, new_addr);
	sigset_t old;
	mt_glock(&old);
	uintptr_t a = (uintptr_t)old_addr;
	struct mt_region *r = mt_region_find(a);
	void *p;
	if (r && !r->watch && r->start == a && r->end == a + page_round(old_len) && old_len) {
		p = mt_real.mremap(old_addr, old_len, new_len, flags, new_addr);
		if (p != MAP_FAILED) {
			mt_region_gone();
			void *na = mt_real.mremap(r->alias, old_len, new_len, MREMAP_MAYMOVE);
			if (na == MAP_FAILED) {
				/* cannot follow: give the program its pages back */
				mt_real.munmap(r->alias, old_len);
				mt_real.mprotect(p, new_len, r->prot);
				r->used = 0;
				if (r->map_id)
					mt_emit_simple(MT_EV_UNMAP, r->map_id, a, 0, NULL, 0, 0);
			} else {
				uint32_t oid = r->map_id;
				r->alias = na;
				r->start = (uintptr_t)p;
				r->end = (uintptr_t)p + page_round(new_len);
				r->map_start = r->start;
				mt_real.mprotect(p, new_len, PROT_NONE);
				if (oid) {
					mt_emit_simple(MT_EV_UNMAP, oid, a, 0, NULL, 0, 0);
					r->map_id = mt_new_map_id();
					mt_emit_map(r, "mremap", 0);
				}
			}
		}
	} else {
		/* Not a whole traced mapping: remap; traced parts are
		 * untraced first (documented limit). Watch pages too: their
		 * objects are watched no more (UNMAP), the pages plain memory
		 * with their contents, then moved as asked. */
		if (r || mt_region_find(a + old_len - 1))
			mt_region_cut(a, a + page_round(old_len), 1);
		p = mt_real.mremap(old_addr, old_len, new_len, flags, new_addr);
	}
	int e = errno;
	mt_gunlock(&old);
	errno = e;
	return p;
}

/* ---- open ------------------------------------------------------------------------- */

/* What an open() with these flags lets fsrec.c record: the content only
 * if the program reads it. */
static int fs_how(int flags)
{
	return (flags & O_PATH) || (flags & O_ACCMODE) == O_WRONLY ? MT_FS_ENTRY : MT_FS_READ;
}

/* open()/openat() while replaying: a device file of the recording gives
 * the replay's memfd, a path under the prefixes its copy in the replay
 * tree. Not inlined, its work space mapped: open()'s own frame stays
 * small (it may run on a small signal stack). */
static __attribute__((noinline)) int open_replay(int at, int dirfd, const char *path, int flags,
						 mode_t mode)
{
	struct mt_fs_buf *b;
	char *abs = raw_mmap(NULL, PATH_MAX, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (abs == MAP_FAILED)
		return -1;
	int fd = mt_replay_openat(dirfd, path, flags, abs, PATH_MAX);
	if (fd >= 0)
		note_open(fd, abs); /* the replay's memfd for a device file */
	if (fd == -2) {
		const char *p = mt_fs_map(dirfd, path, &b);
		fd = at ? mt_real.openat(dirfd, p, flags, mode) : mt_real.open(p, flags, mode);
		mt_fs_unmap(b);
		if (fd >= 0 && (!at || path[0] == '/'))
			note_open(fd, path);
		mt_fs_fd(fd, dirfd, path);
	}
	int e = errno;
	syscall(SYS_munmap, abs, PATH_MAX);
	errno = e;
	return fd;
}

MT_EXPORT int open(const char *path, int flags, ...)
{
	mt_resolve_real();
	mode_t mode = 0;
	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (mt_replay_active())
		return open_replay(0, AT_FDCWD, path, flags, mode);
	int fd = mt_real.open(path, flags, mode);
	if (fd >= 0)
		note_open(fd, path);
	mt_fs_fd(fd, AT_FDCWD, path);
	mt_fs_note(AT_FDCWD, path, !(flags & O_NOFOLLOW), fs_how(flags));
	return fd;
}

MT_EXPORT int open64(const char *path, int flags, ...) __attribute__((alias("open")));

MT_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	mt_resolve_real();
	mode_t mode = 0;
	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (mt_replay_active())
		return open_replay(1, dirfd, path, flags, mode);
	int fd = mt_real.openat(dirfd, path, flags, mode);
	if (fd >= 0 && path[0] == '/')
		note_open(fd, path);
	mt_fs_fd(fd, dirfd, path);
	mt_fs_note(dirfd, path, !(flags & O_NOFOLLOW), fs_how(flags));
	return fd;
}

MT_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
	__attribute__((alias("openat")));

/* _FORTIFY_SOURCE's open() without a mode calls these: the same as ours
 * (they never create, so no mode). */
MT_EXPORT int __open_2(const char *path, int flags)
{
	return open(path, flags);
}

MT_EXPORT int __open64_2(const char *path, int flags) __attribute__((alias("__open_2")));

MT_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	return openat(dirfd, path, flags);
}

MT_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
	__attribute__((alias("__openat_2")));

/* fopen() opens through libc's internal open: while replaying, a device
 * file must still become the replay's memfd (or be refused). */
/* fopen() while replaying (not inlined: see open_replay()). */
static __attribute__((noinline)) FILE *fopen_replay(FILE *(*real_fopen)(const char *, const char *),
						    const char *path, const char *mode)
{
	int flags = strchr(mode, '+') ? O_RDWR : *mode == 'r' ? O_RDONLY : O_WRONLY;
	if (strchr(mode, 'e'))
		flags |= O_CLOEXEC;
	char *abs = raw_mmap(NULL, PATH_MAX, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (abs == MAP_FAILED)
		return NULL;
	FILE *f = NULL;
	int fd = mt_replay_openat(AT_FDCWD, path, flags, abs, PATH_MAX);
	if (fd >= 0) {
		note_open(fd, abs);
		f = fdopen(fd, mode);
		if (!f)
			close(fd);
	} else if (fd == -2) {
		struct mt_fs_buf *b;
		f = real_fopen(mt_fs_map(AT_FDCWD, path, &b), mode);
		mt_fs_unmap(b);
		if (f)
			mt_fs_fd(fileno(f), AT_FDCWD, path);
	}
	int e = errno;
	syscall(SYS_munmap, abs, PATH_MAX);
	errno = e;
	return f;
}

MT_EXPORT FILE *fopen(const char *path, const char *mode)
{
	static FILE *(*real_fopen)(const char *, const char *);
	if (!real_fopen)
		real_fopen = (FILE * (*)(const char *, const char *))dlsym(RTLD_NEXT, "fopen");
	if (!real_fopen) {
		errno = ENOSYS;
		return NULL;
	}
	if (mt_replay_active() && mode)
		return fopen_replay(real_fopen, path, mode);
	FILE *f = real_fopen(path, mode);
	if (f)
		mt_fs_fd(fileno(f), AT_FDCWD, path);
	mt_fs_note(AT_FDCWD, path, 1,
		   mode && (*mode == 'r' || strchr(mode, '+')) ? MT_FS_READ : MT_FS_ENTRY);
	return f;
}

MT_EXPORT FILE *fopen64(const char *path, const char *mode) __attribute__((alias("fopen")));

/* ---- signals ------------------------------------------------------------------------ */

/* The signals we take synchronously (a fault on a traced page, a system
 * call that traps: sud.c), which a handler's sa_mask must not block: the
 * kernel kills with a blocked one. drop: take them out of *m; else: 1 if
 * m has one. */
static const int sync_sigs[] = { SIGSEGV, SIGBUS, SIGTRAP, SIGSYS };

MT_HIDDEN int mt_sync_in(const sigset_t *m)
{
	for (unsigned i = 0; i < sizeof(sync_sigs) / sizeof(sync_sigs[0]); i++)
		if (sigismember(m, sync_sigs[i]))
			return 1;
	return 0;
}

MT_HIDDEN void mt_sync_drop(sigset_t *m)
{
	for (unsigned i = 0; i < sizeof(sync_sigs) / sizeof(sync_sigs[0]); i++)
		sigdelset(m, sync_sigs[i]);
}

MT_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	mt_resolve_real();
	struct sigaction copy;
	if (act && mt_sync_in(&act->sa_mask)) {
		copy = *act;
		mt_sync_drop(&copy.sa_mask);
		act = &copy;
	}
	if (sig > 0 && sig < NSIG && mt_is_taken_signal(sig)) {
		sigset_t o;
		mt_glock(&o);
		mt_prog_sigaction(sig, act, old);
		mt_gunlock(&o);
		return 0;
	}
	return mt_real.sigaction(sig, act, old);
}

MT_EXPORT sighandler_t signal(int sig, sighandler_t h)
{
	mt_resolve_real();
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h;
	sa.sa_flags = SA_RESTART; /* glibc's BSD semantics */
	sigemptyset(&sa.sa_mask);
	if (sig > 0 && sig < NSIG)
		sigaddset(&sa.sa_mask, sig);
	if (sigaction(sig, &sa, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}

/* A synchronous SIGSEGV/SIGBUS/SIGTRAP that is blocked kills the process: keep
 * them deliverable whatever mask the program sets. */
static const sigset_t *keep_ours(int how, const sigset_t *set, sigset_t *tmp)
{
	if (!set || !mt_handlers_installed || how == SIG_UNBLOCK)
		return set;
	*tmp = *set;
	sigdelset(tmp, SIGSEGV);
	sigdelset(tmp, SIGBUS);
	sigdelset(tmp, SIGTRAP);
	sigdelset(tmp, SIGSYS); /* sud.c: a blocked SIGSYS kills while calls trap */
	return tmp;
}

MT_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	mt_resolve_real();
	sigset_t tmp;
	return mt_real.sigprocmask(how, keep_ours(how, set, &tmp), old);
}

MT_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	mt_resolve_real();
	sigset_t tmp;
	return mt_real.pthread_sigmask(how, keep_ours(how, set, &tmp), old);
}

/* ---- fork and exec ------------------------------------------------------------------ */

/* envp plus LD_PRELOAD with this library and every MMIOTAP_* setting. */
static char **fix_env(char *const envp[])
{
	size_t n = 0;
	while (envp && envp[n])
		n++;
	char **e = malloc((n + nsaved_env + 2) * sizeof(*e));
	if (!e)
		return NULL;
	size_t k = 0;
	const char *preload = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!strncmp(envp[i], "MMIOTAP_", 8))
			continue;
		if (!strncmp(envp[i], "LD_PRELOAD=", 11)) {
			preload = envp[i] + 11;
			continue;
		}
		e[k++] = envp[i];
	}
	for (int i = 0; i < nsaved_env; i++)
		e[k++] = saved_env[i];
	if (lib_path) {
		if (preload && strstr(preload, lib_path)) {
			e[k++] = (char *)preload - 11;
		} else {
			size_t l = strlen(lib_path) + (preload ? strlen(preload) : 0) + 16;
			char *s = malloc(l);
			if (s) {
				snprintf(s, l, "LD_PRELOAD=%s%s%s", lib_path, preload ? ":" : "",
					 preload ? preload : "");
				e[k++] = s;
			}
		}
	} else if (preload) {
		e[k++] = (char *)preload - 11;
	}
	e[k] = NULL;
	return e;
}

MT_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	mt_resolve_real();
	if (mt_replay_exec_refused(path)) {
		errno = EACCES;
		return -1;
	}
	if (!mt_ring)
		return mt_real.execve(path, argv, envp);
	char **e = fix_env(envp);
	int rc = mt_real.execve(path, argv, e ? e : envp);
	int err = errno;
	free(e);
	errno = err;
	return rc;
}

/* execvpe() when libc's could not be found: PATH searched as it does
 * (a name with a slash is run as it is; ENOENT/EACCES go on searching). */
static int path_execve(const char *file, char *const argv[], char *const envp[])
{
	if (!mt_real.execve) {
		errno = ENOSYS;
		return -1;
	}
	if (!*file) {
		errno = ENOENT;
		return -1;
	}
	if (strchr(file, '/'))
		return mt_real.execve(file, argv, envp);
	const char *path = getenv("PATH");
	if (!path)
		path = "/bin:/usr/bin";
	int err = ENOENT;
	for (const char *p = path;; p++) {
		const char *q = strchr(p, ':');
		size_t dl = q ? (size_t)(q - p) : strlen(p);
		char full[PATH_MAX];
		if (dl + strlen(file) + 2 <= sizeof(full)) {
			snprintf(full, sizeof(full), "%.*s%s%s", (int)dl, p, dl ? "/" : "", file);
			mt_real.execve(full, argv, envp);
			if (errno != ENOENT && errno != ENOTDIR)
				err = errno;
		}
		if (!q)
			break;
		p = q;
	}
	errno = err;
	return -1;
}

MT_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	mt_resolve_real();
	if (!mt_real.execvpe) {
		char **e = mt_ring ? fix_env(envp) : NULL;
		int rc = path_execve(file, argv, e ? e : envp);
		int err = errno;
		free(e);
		errno = err;
		return rc;
	}
	if (!mt_ring)
		return mt_real.execvpe(file, argv, envp);
	char **e = fix_env(envp);
	int rc = mt_real.execvpe(file, argv, e ? e : envp);
	int err = errno;
	free(e);
	errno = err;
	return rc;
}

/* ---- libmmiotap API --------------------------------------------------------------- */

MT_EXPORT int mmiotap_is_recording(void)
{
	return mt_ring != NULL;
}

MT_EXPORT int mmiotap_mark(const char *text)
{
	mt_resolve_real();
	if (!mt_ring)
		return -ENOTCONN;
	if (!text)
		return -EINVAL;
	/* copied before the lock: text may be on a watched page, whose fault
	 * must not come while SIGSEGV is blocked */
	char copy[MT_EV_MAX];
	size_t len = strnlen(text, sizeof(copy));
	memcpy(copy, text, len);
	sigset_t old;
	mt_glock(&old);
	mt_emit_simple(MT_EV_MARK, 0, 0, (uint64_t)(uintptr_t)__builtin_return_address(0),
		       copy, (unsigned)len, 0);
	mt_gunlock(&old);
	return 0;
}

/* Find the mapping containing [a, a+len) in /proc/self/maps: its start,
 * end, protection and whether it is shared. */
static int find_mapping(uintptr_t a, size_t len, uintptr_t *ms, uintptr_t *me, int *prot,
			int *shared)
{
	int fd = mt_real.open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	static char buf[65536];
	size_t used = 0;
	ssize_t k;
	int found = -ENOENT;
	while ((k = read(fd, buf + used, sizeof(buf) - 1 - used)) > 0) {
		used += (size_t)k;
		buf[used] = 0;
		char *line = buf, *nl;
		while ((nl = strchr(line, '\n'))) {
			*nl = 0;
			unsigned long s, e;
			char perms[8];
			if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) == 3 && a >= s &&
			    a + len <= e) {
				*ms = s;
				*me = e;
				*prot = (perms[0] == 'r' ? PROT_READ : 0) |
					(perms[1] == 'w' ? PROT_WRITE : 0) |
					(perms[2] == 'x' ? PROT_EXEC : 0);
				*shared = perms[3] == 's';
				found = 0;
			}
			line = nl + 1;
		}
		used = (size_t)(buf + used - line);
		memmove(buf, line, used);
	}
	close(fd);
	return found;
}

MT_EXPORT int mmiotap_probe_register(struct mmiotap_probe *p)
{
	mt_resolve_real();
	if (!p || !p->addr || !p->len || p->struct_size < offsetof(struct mmiotap_probe, priv))
		return -EINVAL;
	int rc = mt_install_handlers();
	if (rc)
		return rc;
	uintptr_t a = (uintptr_t)p->addr, b = a + p->len;
	uintptr_t pa = a & ~(uintptr_t)4095, pb = (b + 4095) & ~(uintptr_t)4095;
	sigset_t old;
	mt_glock(&old);
	rc = 0;
	int slot = -1;
	for (int i = 0; i < MT_MAX_PROBES; i++) {
		if (mt_probes[i].p && a < mt_probes[i].end && b > mt_probes[i].start) {
			rc = -EBUSY;
			break;
		}
		if (!mt_probes[i].p && slot < 0)
			slot = i;
	}
	if (!rc && slot < 0)
		rc = -ENOSPC;
	if (!rc) {
		/* make every page of the range traced */
		for (uintptr_t pg = pa; pg < pb && !rc; pg += 4096) {
			if (mt_region_find(pg))
				continue;
			uintptr_t ms = 0, me = 0;
			int prot = 0, shared = 0;
			mt_gunlock(&old); /* reads /proc: not under the lock */
			rc = find_mapping(pg, 4096, &ms, &me, &prot, &shared);
			mt_glock(&old);
			if (rc)
				break;
			if (!shared) {
				rc = -ENOTSUP;
				break;
			}
			uintptr_t e = me < pb ? me : pb;
			/* the run of untraced pages from pg */
			for (uintptr_t q = pg; q < e; q += 4096)
				if (mt_region_find(q)) {
					e = q;
					break;
				}
			if (!mt_arm((void *)pg, e - pg, prot, -1, 0, "probe", 1,
				 (uint64_t)(uintptr_t)__builtin_return_address(0)))
				rc = -ENOTSUP;
			pg = e - 4096;
		}
	}
	if (!rc) {
		mt_probes[slot].start = a;
		mt_probes[slot].end = b;
		mt_probes[slot].p = p;
		if (slot >= mt_nprobes)
			mt_nprobes = slot + 1;
	}
	mt_gunlock(&old);
	return rc;
}

MT_EXPORT int mmiotap_probe_unregister(struct mmiotap_probe *p)
{
	mt_resolve_real();
	sigset_t old;
	mt_glock(&old);
	int rc = -ENOENT;
	for (int i = 0; i < mt_nprobes; i++) {
		if (mt_probes[i].p != p)
			continue;
		uintptr_t pa = mt_probes[i].start & ~(uintptr_t)4095;
		uintptr_t pb = (mt_probes[i].end + 4095) & ~(uintptr_t)4095;
		mt_probes[i].p = NULL;
		/* give back pages armed for probes only */
		for (uintptr_t pg = pa; pg < pb; pg += 4096) {
			struct mt_region *r = mt_region_find(pg);
			if (r && r->probe_owned)
				mt_region_cut(pg, pg + 4096, 1);
		}
		rc = 0;
	}
	while (mt_nprobes && !mt_probes[mt_nprobes - 1].p)
		mt_nprobes--;
	mt_gunlock(&old);
	return rc;
}

/* ---- raw-syscall mappings -------------------------------------------------------- */

/* A traced file mapped with syscall(SYS_mmap) bypasses the interposed
 * mmap and cannot be traced; say so at exit for every such mapping still
 * present (the only place it can be seen without seccomp). */
__attribute__((destructor)) static void mt_fini(void)
{
	if (!mt_ring)
		return;
	in_rt++;
	mt_objects_emit(); /* libraries loaded since the last traced mapping */
	FILE *f = fopen("/proc/self/maps", "re");
	char line[PATH_MAX + 128];
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		char perms[8];
		int pos = 0;
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &s, &e, perms, &pos) < 3 || !pos)
			continue;
		char *path = line + pos;
		path[strcspn(path, "\n")] = 0;
		if (perms[3] != 's' || !glob_hit(path))
			continue;
		int known = 0;
		for (int i = 0; i < mt_nregions && !known; i++)
			known = mt_regions[i].used && ((mt_regions[i].start < e && mt_regions[i].end > s) ||
				((uintptr_t)mt_regions[i].alias < e &&
				 (uintptr_t)mt_regions[i].alias + (mt_regions[i].end - mt_regions[i].start) > s));
		if (!known)
			fprintf(stderr, "mmiotap: %s is mapped at %#lx without libc's mmap (raw syscall?): its accesses were not traced\n",
				path, s);
	}
	if (f)
		fclose(f);
	in_rt--;
}

/* ---- start-up --------------------------------------------------------------------- */

static void save_env(const char *name)
{
	const char *v = getenv(name);
	if (!v || nsaved_env >= (int)(sizeof(saved_env) / sizeof(saved_env[0])))
		return;
	size_t l = strlen(name) + strlen(v) + 2;
	char *s = malloc(l);
	if (!s)
		return;
	snprintf(s, l, "%s=%s", name, v);
	saved_env[nsaved_env++] = s;
}

__attribute__((constructor)) static void mt_init(void)
{
	mt_resolve_real();
	mt_pid = getpid();
	mt_fork_register();
	const char *d = getenv(MT_ENV_DEBUG);
	debug = d && *d == '1';
	const char *ring = getenv(MT_ENV_RING);
	const char *rp = getenv(MT_ENV_REPLAY);
	if (rp && *rp) {
		/* replaying: no device file is opened for real from here on */
		save_env(MT_ENV_REPLAY);
		mt_replay_init(rp);
		const char *root = getenv(MT_ENV_REPLAY_ROOT);
		if (root && *root) {
			save_env(MT_ENV_REPLAY_ROOT);
			mt_fs_init(root);
		}
	}
	if (!ring || !*ring) {
		if (rp && *rp)
			mt_replay_refuse("no recording ring");
		return; /* not recording: probes only */
	}
	in_rt++;
	save_env(MT_ENV_RING);
	save_env(MT_ENV_TRACE_FILES);
	save_env(MT_ENV_INJECT);
	save_env(MT_ENV_DEFAULTS);
	save_env(MT_ENV_LIB);
	save_env(MT_ENV_DEBUG);
	const char *lib = getenv(MT_ENV_LIB);
	if (lib)
		lib_path = strdup(lib);
	const char *def = getenv(MT_ENV_DEFAULTS);
	use_defaults = !(def && *def == '0');
	const char *tf = getenv(MT_ENV_TRACE_FILES);
	if (tf) {
		char *copy = strdup(tf), *save = NULL;
		for (char *g = strtok_r(copy, "\n", &save); g && nglobs < MAX_GLOBS;
		     g = strtok_r(NULL, "\n", &save))
			globs[nglobs++] = g;
	}
	const char *inj = getenv(MT_ENV_INJECT);
	if (inj && *inj && mt_rt_inject_init(inj) < 0) {
		static const char m[] = "mmiotap: bad --inject rule in " MT_ENV_INJECT "; injection off\n";
		(void)!write(2, m, sizeof(m) - 1);
	}
	struct mt_ring *r;
	int rc = mt_ring_open(ring, &r);
	if (rc) {
		char m[256];
		int n = snprintf(m, sizeof(m), "mmiotap: cannot open the recording ring %s: %s; not tracing\n",
				 ring, strerror(-rc));
		(void)!write(2, m, (size_t)n);
		if (mt_replay_active())
			mt_replay_refuse("no recording ring");
		in_rt--;
		return;
	}
	if (mt_pidns_refuse(r)) {
		mt_ring_close(r);
		if (mt_replay_active())
			mt_replay_refuse("another PID namespace");
		in_rt--;
		return;
	}
	__atomic_fetch_add(&r->h->nattached, 1, __ATOMIC_RELAXED);
	if (mt_install_handlers() == 0)
		mt_ring = r;
	else if (mt_replay_active())
		mt_replay_refuse("cannot install the fault handlers");
	const char *w = getenv(MT_ENV_WATCH);
	if (w && *w && mt_ring)
		mt_watch_env(w);
	/* its addresses are this program's: not for what it runs (execve
	 * strips MMIOTAP_*, posix_spawn and system would pass it on) */
	unsetenv(MT_ENV_WATCH);
	in_rt--;
}
