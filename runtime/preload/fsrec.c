// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fsrec.c - record what the traced program reads about its device before
 * it maps it: every path under the device-describing prefixes
 * (mt_devfile_described(): /sys/bus, /sys/devices/pci0000:00, /sys/class/uio,
 * ...) that the program opens, lists, stats, accesses, resolves or reads
 * the link of becomes FILE records (MT_EV_FILE events): each symlink met
 * on the way (its target), and at the end what is there. Its content only
 * when the program opened it for reading (MT_FS_READ): a regular file's
 * bytes (read here, whole, up to FILE_MAX; MT_FILE_F_CUT beyond), a
 * directory's listing (names and types; the targets of the symlinks in it
 * too). Otherwise (stat, access, open for writing...), and for files never
 * read here whatever the program does (BARs, ROM, VPD, sysfs binary
 * attributes but config, the defaults and the user's --trace-file files),
 * the entry only (MT_FILE_F_ENTRY: its type and mode). `mmiotap replay`
 * rebuilds the tree from them (replay_tree.c).
 *
 * Everything here uses raw system calls: no interposed function is
 * re-entered. A path is not put again while its content stays the same
 * (the recorder also drops what another process put already).
 */
#include "internal.h"
#include "mmiotap/devfile.h"
#include "mmiotap/rt_ring.h"
#include "mmiotap/trace_format.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FILE_MAX (64 * 1024) /* content kept of one file or listing */
#define SEEN_MAX 4096        /* (path, content) hashes put; power of two */
#define SEEN_PROBE 8
#define LINKS_MAX 40

/* Per path (hash), the hash of the content last put for it. */
static struct {
	uint64_t path, content;
} seen[SEEN_MAX];
static int seen_busy;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	return h;
}

/* 1 if path's last content put is content (entry: if path was put at
 * all); else it is now. */
static int seen_check(uint64_t path, uint64_t content, int entry)
{
	int hit = 0;

	path |= 1;
	if (__atomic_exchange_n(&seen_busy, 1, __ATOMIC_ACQUIRE))
		return 0; /* another thread: put it again rather than wait */
	/* a short probe; when it is full, its first slot is taken over (that
	 * path is put again next time: the recorder drops the copy) */
	unsigned home = (unsigned)path & (SEEN_MAX - 1), k = home;
	for (unsigned i = 0; i <= SEEN_PROBE; i++, k = (k + 1) & (SEEN_MAX - 1)) {
		if (i == SEEN_PROBE)
			k = home;
		if (i == SEEN_PROBE || seen[k].path == path || !seen[k].path) {
			hit = seen[k].path == path && (entry || seen[k].content == content);
			if (hit)
				break;
			seen[k].path = path;
			seen[k].content = content;
			break;
		}
	}
	__atomic_store_n(&seen_busy, 0, __ATOMIC_RELEASE);
	return hit;
}

static int raw_lstat(const char *p, struct stat *st)
{
	return (int)syscall(SYS_newfstatat, AT_FDCWD, p, st, AT_SYMLINK_NOFOLLOW);
}

static ssize_t raw_readlink(const char *p, char *buf, size_t n)
{
	return syscall(SYS_readlinkat, AT_FDCWD, p, buf, n);
}

static int raw_open(const char *p, int flags)
{
	return (int)syscall(SYS_openat, AT_FDCWD, p, flags | O_CLOEXEC | O_NOCTTY, 0);
}

union file_ev {
	struct mt_ev ev;
	uint8_t b[MT_EV_MAX];
};

/* Work space of one note, mapped for it (not on the stack: open() may be
 * called on a small thread or signal stack; not malloc: it may be called
 * from a signal handler). */
struct scratch {
	char abs[PATH_MAX], done[PATH_MAX], rest[PATH_MAX], tmp[PATH_MAX], tgt[PATH_MAX];
	char sub[PATH_MAX], base[PATH_MAX], ent[4096];
	int how; /* MT_FS_* */
	union file_ev u;
	char buf[FILE_MAX];
};

static void put(union file_ev *u)
{
	mt_put_unnumbered(&u->ev);
}

/* FILE events for path: data split over as many as needed. */
static void emit(struct scratch *sc, uint8_t type, uint32_t mode, const char *path, const void *data,
		 size_t total)
{
	union file_ev *up = &sc->u;
	size_t plen = strlen(path), off = 0;
	size_t room = MT_EV_MAX - sizeof(struct mt_ev) - MT_REC_FILE_FIXED - 8;

	if (plen > room / 2 ||
	    seen_check(fnv(0xcbf29ce484222325ull, path, plen),
		       fnv(0xcbf29ce484222325ull ^ type ^ ((uint64_t)mode << 8), data, total),
		       !!(mode & MT_FILE_F_ENTRY)))
		return;
	room -= plen;
	do {
		size_t n = total - off < room ? total - off : room;
		size_t rec = MT_REC_FILE_FIXED + ((plen + n + 7) & ~(size_t)7);
		struct mt_rec_file h;

		memset(up, 0, sizeof(struct mt_ev) + rec);
		memset(&h, 0, sizeof(h));
		h.kind = MT_REC_FILE;
		h.type = type;
		h.size = (uint16_t)rec;
		h.path_len = (uint16_t)plen;
		h.data_len = (uint16_t)n;
		h.mode = mode;
		h.offset = off;
		h.total = total;
		memcpy(up->ev.data, &h, sizeof(h));
		memcpy(up->ev.data + sizeof(h), path, plen);
		if (n)
			memcpy(up->ev.data + sizeof(h) + plen, (const char *)data + off, n);
		up->ev.type = MT_EV_FILE;
		up->ev.width = (uint16_t)rec;
		up->ev.size = (uint16_t)(sizeof(struct mt_ev) + rec);
		put(up);
		off += n;
	} while (off < total);
}

static size_t read_all(int fd, char *buf, size_t max)
{
	size_t got = 0;

	while (got < max) {
		ssize_t k = read(fd, buf + got, max - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	return got;
}

static char type_letter(unsigned char t)
{
	switch (t) {
	case DT_REG: return 'f';
	case DT_DIR: return 'd';
	case DT_LNK: return 'l';
	case DT_CHR: return 'c';
	case DT_BLK: return 'b';
	case DT_FIFO: return 'p';
	case DT_SOCK: return 's';
	default: return '?';
	}
}

static void put_link(struct scratch *sc, const char *path, uint32_t mode)
{
	ssize_t k = raw_readlink(path, sc->tgt, sizeof(sc->tgt));

	if (k > 0 && k < (ssize_t)sizeof(sc->tgt))
		emit(sc, MT_FILE_LNK, mode, path, sc->tgt, (size_t)k);
}

/* A listing: "Tname\n" per entry; then the targets of its symlinks. */
static void put_dir(struct scratch *sc, const char *path, uint32_t mode)
{
	char *buf = sc->buf, *ent = sc->ent, *sub = sc->sub;
	size_t n = 0;
	int fd;
	long k;

	if (sc->how != MT_FS_READ) {
		emit(sc, MT_FILE_DIR, mode | MT_FILE_F_ENTRY, path, NULL, 0);
		return;
	}
	fd = raw_open(path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return;
	while ((k = syscall(SYS_getdents64, fd, ent, sizeof(sc->ent))) > 0) {
		for (long o = 0; o < k;) {
			struct dirent64 *d = (struct dirent64 *)(ent + o);
			size_t l = strlen(d->d_name);

			o += d->d_reclen;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, "..") ||
			    memchr(d->d_name, '\n', l))
				continue;
			if (n + l + 2 > FILE_MAX) {
				mode |= MT_FILE_F_CUT;
				continue;
			}
			buf[n++] = type_letter(d->d_type);
			memcpy(buf + n, d->d_name, l);
			n += l;
			buf[n++] = '\n';
		}
	}
	close(fd);
	emit(sc, MT_FILE_DIR, mode, path, buf, n);
	for (size_t i = 0; i < n;) {
		char *e = memchr(buf + i, '\n', n - i);
		if (!e)
			break;
		if (buf[i] == 'l' &&
		    snprintf(sub, sizeof(sc->sub), "%s/%.*s", path, (int)(e - buf - i - 1),
			     buf + i + 1) < (int)sizeof(sc->sub))
			put_link(sc, sub, 0120777);
		i = (size_t)(e - buf) + 1;
	}
}

/* A sysfs binary attribute (its size is its own; a text attribute's is a
 * page), but PCI config space: the kernel reads it with config cycles, no
 * BAR is touched, and EAL needs it at replay (the command register). */
static int binary_attr(const char *path, const struct stat *st)
{
	const char *b = strrchr(path, '/');

	return !strncmp(path, "/sys/", 5) && st->st_size != getpagesize() &&
	       strcmp(b ? b + 1 : path, "config");
}

/* 1 if a regular file at path must not be read here: the program did not
 * open it for reading, or it is a device file (by name, the defaults or
 * the user's --trace-file globs, as opened or as resolved), or a sysfs
 * binary attribute. */
static int no_read(struct scratch *sc, const char *path, const struct stat *st)
{
	return sc->how != MT_FS_READ || !(st->st_mode & 0444) || mt_devfile_noread(path) ||
	       mt_traced_name(path) || mt_traced_name(sc->abs) || binary_attr(path, st);
}

/* A regular file's content, up to FILE_MAX (*cut: there was more). */
static size_t read_file(struct scratch *sc, const char *path, int *cut)
{
	size_t n = 0;
	int fd = raw_open(path, O_RDONLY | O_NONBLOCK);

	*cut = 0;
	if (fd < 0)
		return 0;
	n = read_all(fd, sc->buf, FILE_MAX);
	*cut = n == FILE_MAX && read_all(fd, sc->ent, 1) == 1;
	close(fd);
	return n;
}

/* The object at path (no symlink to follow): its FILE record(s). */
static void put_final(struct scratch *sc, const char *path, const struct stat *st)
{
	if (S_ISLNK(st->st_mode)) {
		put_link(sc, path, st->st_mode);
	} else if (S_ISCHR(st->st_mode)) {
		emit(sc, MT_FILE_CHR, st->st_mode, path, NULL, 0);
	} else if (S_ISDIR(st->st_mode)) {
		put_dir(sc, path, st->st_mode);
	} else if (S_ISREG(st->st_mode)) {
		if (no_read(sc, path, st)) {
			emit(sc, MT_FILE_REG, st->st_mode | MT_FILE_F_ENTRY, path, NULL, 0);
		} else {
			int cut;
			size_t n = read_file(sc, path, &cut);
			emit(sc, MT_FILE_REG, st->st_mode | (cut ? MT_FILE_F_CUT : 0), path, sc->buf, n);
		}
	}
}

/* Resolve path as the kernel would (symlinks, ".", ".."), putting each
 * symlink met under the prefixes, then the object at the end. */
static void walk(struct scratch *sc, const char *path, int follow_last)
{
	char *done = sc->done, *rest = sc->rest, *r = rest;
	int links = 0;

	done[0] = 0;
	if (snprintf(rest, PATH_MAX, "%s", path) >= PATH_MAX)
		return;
	for (;;) {
		struct stat st;
		size_t cl, dl = strlen(done);
		char *e;

		while (*r == '/')
			r++;
		if (!*r)
			return;
		e = strchrnul(r, '/');
		cl = (size_t)(e - r);
		if ((cl == 1 && r[0] == '.') || (cl == 2 && r[0] == '.' && r[1] == '.')) {
			if (cl == 2 && strrchr(done, '/'))
				*strrchr(done, '/') = 0;
			r = e;
			continue;
		}
		if (dl + 1 + cl >= PATH_MAX)
			return;
		done[dl] = '/';
		memcpy(done + dl + 1, r, cl);
		done[dl + 1 + cl] = 0;
		r = e;
		while (*e == '/')
			e++;
		int last = !*e;
		if (raw_lstat(done, &st))
			return;
		if (S_ISLNK(st.st_mode) && (!last || follow_last)) {
			ssize_t k = raw_readlink(done, sc->tgt, PATH_MAX - 1);
			if (k <= 0 || ++links > LINKS_MAX)
				return;
			sc->tgt[k] = 0;
			if (mt_devfile_described(done))
				emit(sc, MT_FILE_LNK, st.st_mode, done, sc->tgt, (size_t)k);
			if (snprintf(sc->tmp, PATH_MAX, "%s%s", sc->tgt, r) >= PATH_MAX)
				return;
			memcpy(rest, sc->tmp, strlen(sc->tmp) + 1);
			r = rest;
			if (sc->tgt[0] == '/')
				done[0] = 0;
			else
				*strrchr(done, '/') = 0;
			continue;
		}
		if (last) {
			if (mt_devfile_described(done))
				put_final(sc, done, &st);
			return;
		}
		if (!S_ISDIR(st.st_mode))
			return;
	}
}

/* dirfd + path as an absolute path in sc->abs, 0; -1 if it cannot be told. */
static int fs_abs(struct scratch *sc, int dirfd, const char *path)
{
	char *base = sc->base, *abs = sc->abs, link[64];
	size_t n = sizeof(sc->abs);
	ssize_t k;

	if (!path)
		return -1;
	if (path[0] == '/') {
		base[0] = 0;
	} else if (dirfd == AT_FDCWD) {
		if (!getcwd(base, PATH_MAX))
			return -1;
	} else {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
		k = raw_readlink(link, base, PATH_MAX - 1);
		if (k <= 0)
			return -1;
		base[k] = 0;
	}
	return (size_t)snprintf(abs, n, "%s%s%s", base, base[0] && path[0] != '/' ? "/" : "",
				path) < n ? 0 : -1;
}

/* Descriptors the program opened under the prefixes (or relative to one
 * of them): only a path relative to one of these is resolved to be
 * checked (a /proc/self/fd readlink per call made `find` 2.5 times
 * slower). Paths relative to the working directory are not recorded (nor
 * served at replay). */
#define FD_MARKS 4096
static uint8_t fd_marks[FD_MARKS / 8];

static int fd_marked(int fd)
{
	return fd >= 0 && fd < FD_MARKS &&
	       (__atomic_load_n(&fd_marks[fd / 8], __ATOMIC_RELAXED) >> (fd % 8) & 1);
}

/* fd was just opened for dirfd + path (fd < 0: nothing). */
MT_HIDDEN void mt_fs_fd(int fd, int dirfd, const char *path)
{
	if (fd < 0 || fd >= FD_MARKS || !path || !mt_ring)
		return;
	int ours = path[0] == '/' ? mt_devfile_described(path) : dirfd != AT_FDCWD && fd_marked(dirfd);
	uint8_t bit = (uint8_t)(1u << (fd % 8));
	if (ours)
		__atomic_fetch_or(&fd_marks[fd / 8], bit, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&fd_marks[fd / 8], (uint8_t)~bit, __ATOMIC_RELAXED);
}

/* The program used dirfd + path (following its last symlink or not):
 * record what it saw, if it is a file describing a device. Keeps errno. */
MT_HIDDEN void mt_fs_note(int dirfd, const char *path, int follow_last, int how)
{
	int e = errno;

	if (!mt_ring || mt_replay_active() || mt_fs_root || !path)
		return;
	/* cheap tests first: most paths are not ours */
	if (path[0] == '/' ? !mt_devfile_described(path) : !fd_marked(dirfd))
		return;
	long p = syscall(SYS_mmap, NULL, sizeof(struct scratch), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == -1) {
		errno = e;
		return;
	}
	struct scratch *sc = (struct scratch *)p;
	sc->how = how;
	if (fs_abs(sc, dirfd, path) == 0 && mt_devfile_described(sc->abs))
		walk(sc, sc->abs, follow_last);
	syscall(SYS_munmap, sc, sizeof(struct scratch));
	errno = e;
}
