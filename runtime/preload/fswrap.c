// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fswrap.c - the path-taking libc functions a user-space driver uses to
 * find its device (DPDK's EAL: opendir/readdir, open, fopen+fgets,
 * readlink, access, stat, realpath): while recording, what they looked at
 * under the device-describing prefixes is recorded (fsrec.c); while
 * replaying (MMIOTAP_REPLAY_ROOT: the tree `mmiotap replay` built from the
 * FILE records), an absolute path under those prefixes is answered from
 * that tree instead of the real one: the real /sys/bus/pci, /sys/class/uio
 * ... are never seen, whatever they hold (a file the recording did not
 * see does not exist). Symlinks in the tree are relative as in sysfs, so
 * the kernel resolves them inside it; an absolute result (realpath,
 * readlink) has the tree's directory taken off again. mknod() under the
 * prefixes goes to the tree too.
 *
 * Paths are normalised (".", "..", "//") before the prefix test, taken
 * relative to dirfd or the working directory, and symlinks of the real
 * /sys and /dev leading under the prefixes are followed to the tree.
 * Not translated: functions not listed here (scandir, nftw, glob, statx,
 * system calls made directly...); see
 * docs/INTERNALS.md "Replay of the files describing a device".
 */
#include "internal.h"
#include "mmiotap/devfile.h"

#include <dirent.h>
#include <dlfcn.h>
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

MT_HIDDEN const char *mt_fs_root; /* replay tree, or NULL */
static size_t rootlen;

MT_HIDDEN void mt_fs_init(const char *root)
{
	if (!root || root[0] != '/' || strlen(root) >= PATH_MAX / 2)
		mt_replay_refuse("bad replay file tree");
	rootlen = strlen(root);
	mt_fs_root = strdup(root); /* the program may change its environment */
	if (!mt_fs_root)
		mt_replay_refuse("out of memory");
}

/* Work space of one translated path, mapped for it (not on the stack:
 * the wrappers may run on a small thread or signal stack; not malloc:
 * they may run in a signal handler). */
struct mt_fs_buf {
	char out[PATH_MAX], abs[PATH_MAX], rest[PATH_MAX];
};

#define LINKS_MAX 40

/* path as ROOT + path (with "//" squeezed) in b->out if it lies under
 * the prefixes, else path. */
static const char *tree_path(const char *path, struct mt_fs_buf *b)
{
	char *buf = b->out;
	size_t k = rootlen, n = sizeof(b->out);

	memcpy(buf, mt_fs_root, rootlen);
	for (const char *s = path; *s; s++) {
		if (*s == '/' && k > rootlen && buf[k - 1] == '/')
			continue;
		if (k + 1 >= n) {
			if (!mt_devfile_described(path))
				return path;
			/* too long for us: a path the tree cannot hold,
			 * not the real one */
			snprintf(buf, n, "%s/.too-long", mt_fs_root);
			return buf;
		}
		buf[k++] = *s;
	}
	while (k > rootlen + 1 && buf[k - 1] == '/')
		k--;
	buf[k] = 0;
	return mt_devfile_described(buf + rootlen) ? buf : path;
}

/* Whether an absolute path may name something under the prefixes (all
 * under /sys or /dev): most paths are not, and need no work space. */
static int maybe_ours(const char *path)
{
	while (*path == '/')
		path++;
	return !strncmp(path, "sys", 3) || !strncmp(path, "dev", 3);
}

/* A result naming the tree: the tree's directory taken off (in place). */
static void untree(char *s)
{
	if (mt_fs_root && s && !strncmp(s, mt_fs_root, rootlen) && s[rootlen] == '/')
		memmove(s, s + rootlen, strlen(s + rootlen) + 1);
}

/* Absolute path s without ".", ".." or repeated '/' (in place), as the
 * kernel would read it if no component were a symlink. */
static void normalise(char *s)
{
	char *r = s, *w = s;

	while (*r) {
		while (*r == '/')
			r++;
		char *e = strchrnul(r, '/');
		size_t cl = (size_t)(e - r);
		if (cl == 1 && r[0] == '.') {
		} else if (cl == 2 && r[0] == '.' && r[1] == '.') {
			while (w > s && *--w != '/')
				;
		} else if (cl) {
			*w++ = '/';
			memmove(w, r, cl);
			w += cl;
		}
		r = e;
	}
	if (w == s)
		*w++ = '/';
	*w = 0;
}

/* b->abs (absolute, normalised) names a real path outside the prefixes
 * whose symlinks may lead under them (/sys/class/net/eth0/device/config,
 * /dev/char/M:N): resolved on the real tree until it gets there; 1 and the
 * path under the prefixes in b->abs, or 0. */
static int resolve_in(struct mt_fs_buf *b)
{
	char *done = b->out, *rest = b->rest, *r = rest;
	int links = 0;

	memcpy(rest, b->abs, strlen(b->abs) + 1);
	done[0] = 0;
	for (;;) {
		struct stat st;
		size_t dl = strlen(done);

		while (*r == '/')
			r++;
		if (!*r)
			return 0;
		char *e = strchrnul(r, '/');
		size_t cl = (size_t)(e - r);
		if ((cl == 1 && r[0] == '.') || (cl == 2 && r[0] == '.' && r[1] == '.')) {
			if (cl == 2 && strrchr(done, '/'))
				*strrchr(done, '/') = 0;
			r = e;
			continue;
		}
		if (dl + 1 + cl >= PATH_MAX)
			return 0;
		done[dl] = '/';
		memcpy(done + dl + 1, r, cl);
		done[dl + 1 + cl] = 0;
		r = e;
		if (mt_devfile_described(done)) {
			if ((size_t)snprintf(b->abs, PATH_MAX, "%s%s", done, r) >= PATH_MAX)
				return 0;
			normalise(b->abs);
			return 1;
		}
		if (syscall(SYS_newfstatat, AT_FDCWD, done, &st, AT_SYMLINK_NOFOLLOW))
			return 0;
		if (S_ISLNK(st.st_mode)) {
			ssize_t k = syscall(SYS_readlinkat, AT_FDCWD, done, b->abs, PATH_MAX - 1);
			if (k <= 0 || ++links > LINKS_MAX || (size_t)k + strlen(r) >= PATH_MAX)
				return 0;
			memcpy(b->abs + k, r, strlen(r) + 1);
			memcpy(rest, b->abs, strlen(b->abs) + 1);
			r = rest;
			if (rest[0] == '/')
				done[0] = 0;
			else
				*strrchr(done, '/') = 0;
		} else if (!S_ISDIR(st.st_mode)) {
			return 0;
		}
	}
}

/* dirfd + path, absolute and normalised, in b->abs: 0, or -1 if it
 * cannot be told. *in_tree: dirfd (or the working directory) is in the
 * replay tree. */
static int abs_path(struct mt_fs_buf *b, int dirfd, const char *path, int *in_tree)
{
	char link[64];
	size_t k;

	*in_tree = 0;
	if (path[0] == '/') {
		b->abs[0] = 0;
	} else if (dirfd == AT_FDCWD) {
		if (!getcwd(b->abs, PATH_MAX))
			return -1;
	} else {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
		ssize_t r = syscall(SYS_readlinkat, AT_FDCWD, link, b->abs, PATH_MAX - 1);
		if (r <= 0)
			return -1;
		b->abs[r] = 0;
	}
	if (b->abs[0] && b->abs[0] != '/')
		return -1; /* not a directory (a pipe, an anonymous inode) */
	*in_tree = !strncmp(b->abs, mt_fs_root, rootlen) && b->abs[rootlen] == '/';
	untree(b->abs);
	k = strlen(b->abs);
	if ((size_t)snprintf(b->abs + k, PATH_MAX - k, "/%s", path) >= PATH_MAX - k)
		return -1;
	normalise(b->abs);
	return 0;
}

/* The path to use for dirfd + path: while replaying, when it lies under
 * the prefixes (after ".", ".." and "//" are taken out, relative to
 * dirfd or the working directory, or through symlinks of the real /sys
 * or /dev leading there), its copy in the replay tree, in a buffer
 * mapped for it (*bp; give it back with mt_fs_unmap()); else path, *bp
 * NULL. Not inlined: a wrapper's own frame stays small when not
 * replaying. Device files of the replay table never get here: open()
 * gives their memfd first. */
MT_HIDDEN __attribute__((noinline)) const char *mt_fs_map(int dirfd, const char *path,
							  struct mt_fs_buf **bp)
{
	int in_tree;

	*bp = NULL;
	if (!mt_fs_root || !path || !*path || (path[0] == '/' && !maybe_ours(path)))
		return path;
	long p = syscall(SYS_mmap, NULL, sizeof(struct mt_fs_buf), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == -1)
		return ""; /* ENOENT rather than the real file */
	struct mt_fs_buf *b = *bp = (struct mt_fs_buf *)p;
	if (abs_path(b, dirfd, path, &in_tree))
		return path;
	if (mt_devfile_described(b->abs) || (maybe_ours(b->abs) && resolve_in(b)))
		return tree_path(b->abs, b);
	/* not ours: from a directory of the tree, the real path */
	return in_tree ? b->abs : path;
}

MT_HIDDEN void mt_fs_unmap(struct mt_fs_buf *b)
{
	int e = errno;

	if (b)
		syscall(SYS_munmap, b, sizeof(*b));
	errno = e;
}

/* A device node the recording saw the program open (/dev/uioN): 1. */
MT_HIDDEN int mt_fs_recorded_node(const char *path)
{
	struct mt_fs_buf *b;
	struct stat st;
	const char *p = mt_fs_map(AT_FDCWD, path, &b);
	int rc = p != path && *p && !stat(p, &st);

	mt_fs_unmap(b);
	return rc;
}

#define REAL(var, name)                                                      \
	do {                                                                 \
		if (!var)                                                    \
			var = (__typeof__(var))dlsym(RTLD_NEXT, name);       \
		if (!var) {                                                  \
			errno = ENOSYS;                                      \
			return 0;                                            \
		}                                                            \
	} while (0)

MT_EXPORT DIR *opendir(const char *path)
{
	static DIR *(*real)(const char *);
	struct mt_fs_buf *b;

	REAL(real, "opendir");
	DIR *d = real(mt_fs_map(AT_FDCWD, path, &b));
	mt_fs_unmap(b);
	if (d)
		mt_fs_fd(dirfd(d), AT_FDCWD, path);
	mt_fs_note(AT_FDCWD, path, 1, MT_FS_READ);
	return d;
}

MT_EXPORT int access(const char *path, int mode)
{
	static int (*real)(const char *, int);
	struct mt_fs_buf *b;

	if (!real && !(real = (__typeof__(real))dlsym(RTLD_NEXT, "access")))
		return errno = ENOSYS, -1;
	int rc = real(mt_fs_map(AT_FDCWD, path, &b), mode);
	mt_fs_unmap(b);
	mt_fs_note(AT_FDCWD, path, 1, MT_FS_ENTRY);
	return rc;
}

MT_EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	static int (*real)(int, const char *, int, int);
	struct mt_fs_buf *b;

	if (!real && !(real = (__typeof__(real))dlsym(RTLD_NEXT, "faccessat")))
		return errno = ENOSYS, -1;
	int rc = real(dirfd, mt_fs_map(dirfd, path, &b), mode, flags);
	mt_fs_unmap(b);
	mt_fs_note(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), MT_FS_ENTRY);
	return rc;
}

static int stat_at(int dirfd, const char *path, struct stat *st, int flags)
{
	static int (*real)(int, const char *, struct stat *, int);
	struct mt_fs_buf *b;

	if (!real && !(real = (__typeof__(real))dlsym(RTLD_NEXT, "fstatat")))
		return errno = ENOSYS, -1;
	int rc = real(dirfd, mt_fs_map(dirfd, path, &b), st, flags);
	mt_fs_unmap(b);
	if (!(flags & AT_EMPTY_PATH) || (path && *path))
		mt_fs_note(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), MT_FS_ENTRY);
	return rc;
}

MT_EXPORT int stat(const char *path, struct stat *st)
{
	return stat_at(AT_FDCWD, path, st, 0);
}

MT_EXPORT int stat64(const char *path, struct stat64 *st)
{
	return stat_at(AT_FDCWD, path, (struct stat *)st, 0);
}

MT_EXPORT int lstat(const char *path, struct stat *st)
{
	return stat_at(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

MT_EXPORT int lstat64(const char *path, struct stat64 *st)
{
	return stat_at(AT_FDCWD, path, (struct stat *)st, AT_SYMLINK_NOFOLLOW);
}

MT_EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	return stat_at(dirfd, path, st, flags);
}

MT_EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
	return stat_at(dirfd, path, (struct stat *)st, flags);
}

/* Programs built against glibc < 2.33 call these (x86-64: one stat ABI). */
MT_EXPORT int __xstat(int ver, const char *path, struct stat *st)
{
	(void)ver;
	return stat_at(AT_FDCWD, path, st, 0);
}

MT_EXPORT int __lxstat(int ver, const char *path, struct stat *st)
{
	(void)ver;
	return stat_at(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

MT_EXPORT int __xstat64(int ver, const char *path, struct stat64 *st)
	__attribute__((alias("__xstat")));
MT_EXPORT int __lxstat64(int ver, const char *path, struct stat64 *st)
	__attribute__((alias("__lxstat")));

MT_EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
	(void)ver;
	return stat_at(dirfd, path, st, flags);
}

MT_EXPORT int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags)
	__attribute__((alias("__fxstatat")));

static ssize_t link_result(char *buf, ssize_t k)
{
	if (k > 0 && mt_fs_root && (size_t)k > rootlen && !strncmp(buf, mt_fs_root, rootlen) &&
	    buf[rootlen] == '/') {
		memmove(buf, buf + rootlen, (size_t)k - rootlen);
		k -= (ssize_t)rootlen;
	}
	return k;
}

MT_EXPORT ssize_t readlink(const char *path, char *out, size_t n)
{
	static ssize_t (*real)(const char *, char *, size_t);
	struct mt_fs_buf *b;

	if (!real && !(real = (__typeof__(real))dlsym(RTLD_NEXT, "readlink")))
		return errno = ENOSYS, -1;
	ssize_t k = link_result(out, real(mt_fs_map(AT_FDCWD, path, &b), out, n));
	mt_fs_unmap(b);
	mt_fs_note(AT_FDCWD, path, 0, MT_FS_ENTRY);
	return k;
}

MT_EXPORT ssize_t readlinkat(int dirfd, const char *path, char *out, size_t n)
{
	static ssize_t (*real)(int, const char *, char *, size_t);
	struct mt_fs_buf *b;

	if (!real && !(real = (__typeof__(real))dlsym(RTLD_NEXT, "readlinkat")))
		return errno = ENOSYS, -1;
	ssize_t k = link_result(out, real(dirfd, mt_fs_map(dirfd, path, &b), out, n));
	mt_fs_unmap(b);
	mt_fs_note(dirfd, path, 0, MT_FS_ENTRY);
	return k;
}

MT_EXPORT char *realpath(const char *path, char *resolved)
{
	static char *(*real)(const char *, char *);
	struct mt_fs_buf *b;

	REAL(real, "realpath");
	char *r = real(mt_fs_map(AT_FDCWD, path, &b), resolved);
	mt_fs_unmap(b);
	untree(r);
	mt_fs_note(AT_FDCWD, path, 1, MT_FS_ENTRY);
	return r;
}

/* EAL's --create-uio-dev makes /dev/uioN itself: while replaying, in the
 * tree (the real /dev is never touched; open() then gives the eventfd of
 * a recorded node). */
MT_EXPORT int mknodat(int dirfd, const char *path, mode_t mode, dev_t dev)
{
	static int (*real)(int, const char *, mode_t, dev_t);
	struct mt_fs_buf *b;

	if (!real && !(real = (__typeof__(real))dlsym(RTLD_NEXT, "mknodat")))
		return errno = ENOSYS, -1;
	int rc = real(dirfd, mt_fs_map(dirfd, path, &b), mode, dev);
	mt_fs_unmap(b);
	return rc;
}

MT_EXPORT int mknod(const char *path, mode_t mode, dev_t dev)
{
	return mknodat(AT_FDCWD, path, mode, dev);
}
