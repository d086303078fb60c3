// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * objects.c - the ELF objects of this process (program, shared libraries),
 * as MT_EV_OBJECT events, so that the recorder writes OBJECT records and
 * the trace's PCs get symbols (sym/). Taken from dl_iterate_phdr(): the
 * load bias, the executable PT_LOAD segments and the GNU build id note, all
 * from memory. Called after a traced mapping is made (do_mmap) and at
 * exit (mt_fini), outside the order lock (dl_iterate_phdr takes the
 * loader's lock: a thread in a library constructor may hold it while it
 * touches a traced page and so waits for the order lock); the lock is
 * taken only to put the events, after dl_iterate_phdr returned. Each object goes out once per process
 * (keyed by bias and first segment); the loader's adds counter tells
 * whether anything was loaded since the last look. dlopen() is not
 * interposed: glibc finds the caller's RUNPATH and namespace from its
 * return address, which a wrapper would change. A library dlopen()ed
 * after the last traced mapping is found by `mmiotap record` itself, which
 * reads /proc/PID/maps when a PC lies in no object it knows
 * (sym/objtrack.c), or here at exit.
 */
#include "internal.h"
#include "mmiotap/rt_ring.h"

#include <elf.h>
#include <link.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#define MAX_SEEN 1024

static uint64_t seen[MAX_SEEN];
static int nseen;
static unsigned long long last_adds;
static int busy;
static int announced; /* the image's first object went out (NEWIMAGE) */

union obj_ev {
	struct mt_ev ev;
	uint8_t b[MT_EV_MAX];
};

static int was_seen(uint64_t key)
{
	for (int i = 0; i < nseen; i++)
		if (seen[i] == key)
			return 1;
	return 0;
}

/* The GNU build id from the object's PT_NOTE segments in memory. */
static unsigned build_id(const struct dl_phdr_info *info, uint8_t *out)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const uint8_t *p, *end;

		if (ph->p_type != PT_NOTE)
			continue;
		p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
		end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
			size_t nsz = (n->n_namesz + 3) & ~3u, dsz = (n->n_descsz + 3) & ~3u;
			const uint8_t *name = p + sizeof(*n), *desc = name + nsz;

			if (desc + dsz > end)
				break;
			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
			    !memcmp(name, "GNU", 4) && n->n_descsz && n->n_descsz <= 64) {
				memcpy(out, desc, n->n_descsz);
				return n->n_descsz;
			}
			p = desc + dsz;
		}
	}
	return 0;
}

/* Fill one event for info; 0 if there is nothing to say (no file, no
 * executable segment, already sent). */
static int fill(union obj_ev *u, const struct dl_phdr_info *info)
{
	struct mt_ev_object *o = (struct mt_ev_object *)u->ev.data;
	uint64_t *r = o->ranges;
	char exe[PATH_MAX];
	const char *path = info->dlpi_name;
	uint8_t id[64];
	unsigned n = 0, idl;
	size_t pl, sz;

	if (!path || !path[0]) {
		ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		if (k <= 0)
			return 0;
		exe[k] = 0;
		path = exe;
	}
	if (path[0] != '/')
		return 0; /* the vdso */
	memset(u, 0, sizeof(struct mt_ev) + sizeof(*o));
	for (int i = 0; i < info->dlpi_phnum && n < MT_EV_OBJ_RANGES_MAX; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		r[3 * n] = info->dlpi_addr + ph->p_vaddr;
		r[3 * n + 1] = r[3 * n] + ph->p_memsz;
		r[3 * n + 2] = ph->p_offset;
		n++;
	}
	if (!n || was_seen(info->dlpi_addr ^ r[0] << 1))
		return 0;
	idl = build_id(info, id);
	pl = strlen(path);
	sz = sizeof(struct mt_ev) + sizeof(*o) + 24u * n + idl + pl;
	if (sz > MT_EV_MAX)
		return 0;
	if (nseen < MAX_SEEN)
		seen[nseen++] = info->dlpi_addr ^ r[0] << 1;
	o->bias = info->dlpi_addr;
	o->nranges = (uint16_t)n;
	o->build_id_len = (uint16_t)idl;
	o->pathlen = (uint16_t)pl;
	memcpy((uint8_t *)(r + 3 * n), id, idl);
	memcpy((uint8_t *)(r + 3 * n) + idl, path, pl);
	u->ev.type = MT_EV_OBJECT;
	u->ev.size = (uint16_t)((sz + 7) & ~7u);
	memset(u->b + sz, 0, u->ev.size - sz);
	return 1;
}

/* The want-th object (dl_iterate_phdr): its event filled in, if any. */
struct nth {
	int want, i, filled;
	union obj_ev *u;
};

static int nth_one(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct nth *q = arg;

	(void)size;
	if (q->i++ != q->want)
		return 0;
	last_adds = info->dlpi_adds;
	q->filled = fill(q->u, info);
	return 1;
}

void mt_put_unnumbered(struct mt_ev *ev)
{
	sigset_t old;

	mt_glock(&old);
	if (mt_ring) {
		ev->pid = (uint32_t)mt_pid;
		ev->tid = mt_gettid();
		ev->cpu = ~0u;
		ev->seq = mt_ring->h->seq; /* the next event's: takes no number */
		ev->ts = mt_now();
		mt_ring_put(mt_ring, ev);
	}
	mt_gunlock(&old);
}

static void put_one(union obj_ev *u)
{
	if (!__atomic_exchange_n(&announced, 1, __ATOMIC_RELAXED))
		u->ev.flags |= MT_EVF_NEWIMAGE; /* an exec()ed image at the old one's addresses */
	mt_put_unnumbered(&u->ev);
}

static int adds_only(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	*(unsigned long long *)arg = info->dlpi_adds;
	return 1;
}

MT_HIDDEN void mt_objects_emit(void)
{
	unsigned long long adds = 0;

	if (!mt_ring || __atomic_exchange_n(&busy, 1, __ATOMIC_ACQUIRE))
		return;
	dl_iterate_phdr(adds_only, &adds);
	/* One object per dl_iterate_phdr() call, each event put after it
	 * returned: it holds the loader's write lock, and waiting for the
	 * order lock with it held kept it held across a fork() (the order
	 * lock's holder), into the child, where glibc does not reset it:
	 * the child's dlopen() then hung. The list may change between
	 * calls: an object missed is found next time (adds), one seen twice
	 * is not sent twice (seen). */
	if (adds != last_adds || !nseen) {
		union obj_ev u;
		for (int k = 0;; k++) {
			struct nth q = { k, 0, 0, &u };
			if (!dl_iterate_phdr(nth_one, &q))
				break;
			if (q.filled)
				put_one(&u);
		}
	}
	__atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
}
