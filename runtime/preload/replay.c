// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * replay.c - `mmiotap replay`: the device is the recording. The table
 * (mmiotap/rt_replay.h, compiled by the CLI) is mapped shared; opening a
 * device file it names gives a memfd instead (the real file is never
 * opened), mapping that memfd is traced as usual (PROT_NONE + the SIGSEGV
 * emulation), and every emulated access of a replayed region is answered
 * here instead of touching the alias. Device files the table does not name
 * cannot be opened (ENODEV) while replaying.
 */
#include "internal.h"
#include "mmiotap/rt_replay.h"
#include "mmiotap/trace_format.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static struct mt_replay_hdr *tab;
static struct mt_replay_dev *devs;
static struct mt_replay_reg *regs;
static struct mt_replay_ent *ents;
MT_HIDDEN volatile int mt_replay_stop_pending;

static void say(const char *m)
{
	(void)!write(2, m, strlen(m));
}

MT_HIDDEN void mt_replay_refuse(const char *why)
{
	char m[256];

	snprintf(m, sizeof(m), "mmiotap replay: %s; not running the program\n", why);
	say(m);
	_exit(127);
}

/* The table comes from our own CLI; still, nothing in it may make us
 * read out of bounds. */
static int valid(const struct mt_replay_hdr *h, uint64_t size)
{
	uint64_t i;

	if (size < sizeof(*h) || h->magic != MT_REPLAY_MAGIC || h->version != MT_REPLAY_VERSION ||
	    h->size != size || h->mode > MT_REPLAY_MODEL || h->ndev > 4096 ||
	    h->dev_off != sizeof(*h) ||
	    h->reg_off != h->dev_off + h->ndev * sizeof(struct mt_replay_dev) ||
	    h->ent_off != h->reg_off + (uint64_t)h->nreg * sizeof(struct mt_replay_reg) ||
	    h->ent_off > size || h->nent > (size - h->ent_off) / sizeof(struct mt_replay_ent) ||
	    size != h->ent_off + h->nent * sizeof(struct mt_replay_ent))
		return 0;
	const struct mt_replay_reg *r = (const void *)((const char *)h + h->reg_off);
	for (i = 0; i < h->nreg; i++)
		if (r[i].dev >= h->ndev || r[i].first > h->nent || r[i].count > h->nent - r[i].first)
			return 0;
	return 1;
}

MT_HIDDEN void mt_replay_init(const char *path)
{
	struct stat st;
	int fd = mt_real.open(path, O_RDWR | O_CLOEXEC, 0);

	if (fd < 0 || fstat(fd, &st) < 0)
		mt_replay_refuse("cannot open the replay table");
	void *p = mt_real.mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED || !valid(p, (uint64_t)st.st_size))
		mt_replay_refuse("bad replay table");
	tab = p;
	devs = (void *)((char *)p + tab->dev_off);
	regs = (void *)((char *)p + tab->reg_off);
	ents = (void *)((char *)p + tab->ent_off);
	for (uint32_t i = 0; i < tab->ndev; i++)
		devs[i].path[MT_REPLAY_PATH_MAX - 1] = 0;
}

MT_HIDDEN int mt_replay_active(void)
{
	return tab != NULL;
}

MT_HIDDEN int mt_replay_dev_of(const char *path)
{
	if (!tab || !path)
		return -1;
	for (uint32_t i = 0; i < tab->ndev; i++)
		if (!strcmp(devs[i].path, path))
			return (int)i;
	return -1;
}

/* open()/openat() of path: -2 not ours (open it for real), else the fd of a
 * memfd standing for the device, or -1 with errno. */
MT_HIDDEN int mt_replay_open(const char *path, int flags)
{
	if (!tab || !path || path[0] != '/')
		return -2;
	int d = mt_replay_dev_of(path);
	if (d < 0) {
		if (!mt_devfile_traced(path, 1, NULL, 0))
			return -2;
		if (mt_fs_recorded_node(path)) {
			/* /dev/uioN opened for its interrupts: an eventfd
			 * that never becomes readable (no interrupt is
			 * replayed). 8-byte writes are taken; igb_uio's
			 * 4-byte interrupt enable fails (EINVAL). */
			return eventfd(0, ((flags & O_CLOEXEC) ? EFD_CLOEXEC : 0) |
					      ((flags & O_NONBLOCK) ? EFD_NONBLOCK : 0));
		}
		errno = ENODEV; /* a device the recording did not use */
		return -1;
	}
	char name[64];
	snprintf(name, sizeof(name), "mmiotap-replay-%d", d);
	int fd = memfd_create(name, (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)devs[d].size) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The same for a path relative to dirfd (or the working directory); the
 * absolute path, to note for the mapping, in abs (n bytes). */
MT_HIDDEN int mt_replay_openat(int dirfd, const char *path, int flags, char *abs, size_t n)
{
	char link[64];
	size_t k;

	if (!tab || !path)
		return -2;
	if (path[0] == '/') {
		abs[0] = 0;
	} else if (dirfd == AT_FDCWD) {
		if (!getcwd(abs, n))
			return -2;
	} else {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
		ssize_t r = readlink(link, abs, n - 1);
		if (r <= 0)
			return -2;
		abs[r] = 0;
	}
	k = strlen(abs);
	if ((size_t)snprintf(abs + k, n - k, "%s%s", k ? "/" : "", path) >= n - k)
		return -2;
	return mt_replay_open(abs, flags);
}

/* The PCI identity and physical address the recording had (MAP records
 * of the replay then match the recorded ones). */
MT_HIDDEN void mt_replay_identify(int d, uint64_t off, struct mt_pci_info *pi)
{
	const struct mt_replay_dev *v = &devs[d];

	pi->dom = v->dom;
	pi->bus = v->bus;
	pi->dev = v->dev;
	pi->fn = v->fn;
	pi->bar = v->bar;
	pi->phys = v->has_phys ? v->phys0 + off : 0;
}

static struct mt_replay_reg *reg_find(uint32_t dev, uint64_t foff)
{
	uint32_t lo = 0, hi = tab->nreg;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct mt_replay_reg *r = &regs[mid];

		if (r->dev < dev || (r->dev == dev && r->foff < foff))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < tab->nreg && regs[lo].dev == dev && regs[lo].foff == foff ? &regs[lo] : NULL;
}

static uint64_t model_value(const struct mt_replay_reg *r)
{
	if (!r)
		return 0;
	if (r->have_model)
		return r->model;
	return r->have_read ? r->last_read : 0;
}

static void diverge(int d, uint64_t foff, int is_write, unsigned size, uint64_t value,
		    const struct mt_replay_ent *want, uint64_t answer)
{
	char m[MT_REPLAY_MSG_MAX], rec[160];

	tab->diverged++;
	if (tab->mode == MT_REPLAY_MODEL)
		return;
	if (want)
		snprintf(rec, sizeof(rec), "%s %u 0x%llx (recorded seq %llu)",
			 want->kind == MT_REC_WRITE ? "W" : "R", want->width,
			 (unsigned long long)want->value, (unsigned long long)want->seq);
	else
		snprintf(rec, sizeof(rec), "nothing more");
	if (is_write)
		snprintf(m, sizeof(m), "mmiotap replay: divergence: %s offset 0x%llx: program "
			 "wrote W %u 0x%llx, recording has %s\n", devs[d].path,
			 (unsigned long long)foff, size, (unsigned long long)value, rec);
	else
		snprintf(m, sizeof(m), "mmiotap replay: divergence: %s offset 0x%llx: program "
			 "read R %u, recording has %s; answered 0x%llx\n", devs[d].path,
			 (unsigned long long)foff, size, rec, (unsigned long long)answer);
	if (!tab->first[0])
		memcpy(tab->first, m, sizeof(m));
	say(m);
	if (tab->mode == MT_REPLAY_STOP)
		mt_replay_stop_pending = 1;
}

static void do_read(int d, uint64_t foff, struct mt_replay_reg *r, void *val, unsigned size)
{
	uint64_t v;
	const struct mt_replay_ent *e = r && r->cur < r->count ? &ents[r->first + r->cur] : NULL;

	if (e && e->kind == MT_REC_READ && e->width == size) {
		v = e->value;
		if (r->have_model && v == r->rec_written)
			v = r->model; /* reads back what was written */
		r->cur++;
		r->last_read = v;
		r->have_read = 1;
		tab->served++;
	} else if (r && r->have_read && (!e || e->kind == MT_REC_WRITE)) {
		v = r->last_read; /* polling longer than recorded */
		tab->repeated++;
	} else {
		if (!r)
			tab->unknown_regs++;
		v = model_value(r);
		diverge(d, foff, 0, size, 0, e, v);
	}
	memcpy(val, &v, size); /* little-endian: the low bytes */
}

static void do_write(int d, uint64_t foff, struct mt_replay_reg *r, const void *val, unsigned size)
{
	uint64_t v = 0, k;

	memcpy(&v, val, size);
	if (r) {
		/* polled less than recorded: skip the reads before the next write */
		for (k = r->cur; k < r->count && ents[r->first + k].kind == MT_REC_READ; k++)
			;
		const struct mt_replay_ent *e = k < r->count ? &ents[r->first + k] : NULL;
		if (e && e->width == size) {
			/* that write (another value: a divergence, and the
			 * register goes on from there) */
			tab->skipped += k - r->cur;
			r->cur = k + 1;
			r->rec_written = e->value;
			if (e->value == v || r->any_value)
				tab->served++;
			else
				diverge(d, foff, 1, size, v, e, 0);
		} else {
			r->rec_written = v;
			diverge(d, foff, 1, size, v, e, 0);
		}
		r->model = v;
		r->have_model = 1;
		return;
	}
	tab->unknown_regs++;
	diverge(d, foff, 1, size, v, NULL, 0);
}

/* One emulated access of a replayed region (lock held): the device's
 * answer. Wider than 8 bytes: divergence (the table keeps <= 8). */
MT_HIDDEN int mt_replay_access(const struct mt_region *rg, uint64_t addr, void *val,
			       unsigned size, int is_write)
{
	int d = rg->replay_dev;
	uint64_t foff = rg->offset + (addr - rg->start);
	struct mt_replay_reg *r = reg_find((uint32_t)d, foff);

	if (size > 8) {
		if (!is_write)
			memset(val, 0, size);
		diverge(d, foff, is_write, size, 0, NULL, 0);
		return 0;
	}
	if (is_write)
		do_write(d, foff, r, val, size);
	else
		do_read(d, foff, r, val, size);
	return 0;
}

/* execve() of path while replaying: 1 (message printed) if the runtime
 * would not be in the new program (statically linked, set-id), which then
 * would open the real device files. Scripts and unreadable files: 0 (the
 * kernel decides). */
MT_HIDDEN int mt_replay_exec_refused(const char *path)
{
	Elf64_Ehdr eh;
	struct stat st;
	int fd, interp = 0;

	if (!tab || !path)
		return 0;
	fd = mt_real.open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) || pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64) {
		close(fd);
		return 0;
	}
	for (unsigned i = 0; i < eh.e_phnum && i < 256; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) !=
		    sizeof(ph))
			break;
		interp |= ph.p_type == PT_INTERP;
	}
	close(fd);
	if (interp && !(st.st_mode & (S_ISUID | S_ISGID)))
		return 0;
	char m[PATH_MAX + 128];
	snprintf(m, sizeof(m), "mmiotap replay: not running %s: %s, it would not be replayed\n",
		 path, interp ? "set-id" : "statically linked");
	say(m);
	return 1;
}
