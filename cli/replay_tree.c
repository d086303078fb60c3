// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * replay_tree.c - the files describing the device, rebuilt for `mmiotap
 * replay` from the trace's FILE records in a private directory (ROOT):
 * /sys/bus/pci/devices/X/vendor becomes ROOT/sys/bus/pci/devices/X/vendor
 * and so on. The preload runtime answers the program's paths under the
 * same prefixes from there (runtime/preload/fswrap.c).
 *
 * The records come from a trace, so from anyone: nothing here follows a
 * symlink (every component is opened O_NOFOLLOW from ROOT down), paths
 * must be under the prefixes with no ".", ".." or empty component, and a
 * symlink's target must be relative, ".."s first, staying inside ROOT
 * (sysfs links are all like that: ../../../devices/pci0000:00/...).
 * A record that breaks a rule is skipped and counted.
 *
 * Regular files get the recorded bytes and mode; a directory listing
 * makes the entries it names (an entry whose content was never read: an
 * empty file of mode 0); an entry-only record (MT_FILE_F_ENTRY: the
 * program stat()ed it, or it is a file the runtime never reads) an empty
 * file of its mode, unless the content is there already; a device node
 * (/dev/uioN) becomes an empty file (the runtime gives the program an
 * eventfd for it).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmiotap/devfile.h"
#include "mmiotap/trace.h"
#include "replay_tree.h"

/* What a trace may make (a hostile one: one 64 KiB listing makes ~20k
 * files): a whole /sys/bus/pci of hundreds of devices is far below. */
#define TREE_ENTRIES_MAX 50000
#define TREE_BYTES_MAX (256ull << 20)

struct mt_replay_tree {
	char root[4096];
	int rootfd;
	unsigned nfiles, nbad, ncut;
	unsigned long long nent, nbytes; /* entries made, bytes written */
};

struct mt_replay_tree *mt_replay_tree_new(char *err, size_t errlen)
{
	struct mt_replay_tree *t = calloc(1, sizeof(*t));
	const char *tmp = getenv("TMPDIR");

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(t->root, sizeof(t->root), "%s/mmiotap-replay.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(t->root) ||
	    (t->rootfd = open(t->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot make a directory for the recorded files: %s: %s",
			 t->root, strerror(errno));
		free(t);
		return NULL;
	}
	return t;
}

const char *mt_replay_tree_root(const struct mt_replay_tree *t)
{
	return t->root;
}

unsigned mt_replay_tree_files(const struct mt_replay_tree *t)
{
	return t->nfiles;
}

unsigned mt_replay_tree_skipped(const struct mt_replay_tree *t)
{
	return t->nbad;
}

unsigned mt_replay_tree_cut(const struct mt_replay_tree *t)
{
	return t->ncut;
}

/* Each component of path (n bytes, from "/") is a plain name. */
static int clean(const char *path, size_t n)
{
	if (!n || path[0] != '/' || path[n - 1] == '/')
		return 0;
	for (size_t i = 1; i <= n;) {
		const char *e = memchr(path + i, '/', n - i);
		size_t cl = (e ? (size_t)(e - path) : n) - i;

		if (!cl || (cl == 1 && path[i] == '.') ||
		    (cl == 2 && path[i] == '.' && path[i + 1] == '.'))
			return 0;
		i += cl + 1;
	}
	return 1;
}

/* The directory holding path's last component, made as needed (no
 * symlink followed); its fd, the last name in *name. -1 if impossible. */
static int parent_dir(struct mt_replay_tree *t, char *path, char **name)
{
	int fd = dup(t->rootfd);
	char *s = path + 1, *e;

	while (fd >= 0 && (e = strchr(s, '/'))) {
		*e = 0;
		if (mkdirat(fd, s, 0755) && errno != EEXIST) {
			close(fd);
			return -1;
		}
		int next = openat(fd, s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
		*e = '/';
		s = e + 1;
	}
	*name = s;
	return fd;
}

/* Target of a symlink at depth (components of its directory): relative,
 * its ".." first and no more of them than depth, no "." or empty part. */
static int link_ok(const char *tgt, size_t n, unsigned depth)
{
	unsigned ups = 0;
	int names = 0;

	if (!n || tgt[0] == '/' || memchr(tgt, 0, n))
		return 0;
	for (size_t i = 0; i < n;) {
		const char *e = memchr(tgt + i, '/', n - i);
		size_t cl = (e ? (size_t)(e - tgt) : n) - i;

		if (!cl || (cl == 1 && tgt[i] == '.'))
			return 0;
		if (cl == 2 && tgt[i] == '.' && tgt[i + 1] == '.') {
			if (names || ++ups > depth)
				return 0;
		} else {
			names = 1;
		}
		i += cl + 1;
	}
	return 1;
}

/* Make room for a new entry name in dir: a non-directory is removed. */
static int clear(int dir, const char *name, int keep_dir)
{
	struct stat st;

	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW))
		return 0;
	if (S_ISDIR(st.st_mode))
		return keep_dir ? 0 : -1;
	return unlinkat(dir, name, 0);
}

static int put_reg(int dir, const char *name, const struct mt_file_info *f, int node)
{
	struct stat st;

	if ((f->flags & MT_FILE_F_ENTRY) && !fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) &&
	    S_ISREG(st.st_mode) && (st.st_mode & 0777))
		return 0; /* its content is there: an entry-only record keeps it */

	if (!fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) && !S_ISREG(st.st_mode) && clear(dir, name, 0))
		return -1;
	if (!fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW))
		(void)!fchmodat(dir, name, 0600, 0); /* a regular file: ours to write (if not, openat says so) */
	/* no O_TRUNC: the recorder drops a piece equal to the last one
	 * written at its offset, so what is there stays valid; ftruncate()
	 * then gives the new length */
	int fd = openat(dir, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	int rc = (f->data_len && pwrite(fd, f->data, f->data_len, (off_t)f->offset) != f->data_len) ||
		 ftruncate(fd, node ? 0 : (off_t)f->total) || fchmod(fd, f->mode & 0777);
	close(fd);
	return rc ? -1 : 0;
}

/* The listing's entries not in the tree yet: directories, empty files. */
static void put_listing(int dir, const struct mt_file_info *f)
{
	const char *p = (const char *)f->data, *end = p + f->data_len;

	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		char name[256];
		size_t l;

		if (!e)
			break;
		l = (size_t)(e - p);
		if (l >= 2 && l - 1 < sizeof(name) && !memchr(p + 1, '/', l - 1) &&
		    !memchr(p + 1, 0, l - 1)) {
			memcpy(name, p + 1, l - 1);
			name[l - 1] = 0;
			if (strcmp(name, ".") && strcmp(name, "..") && p[0] != 'l') {
				if (p[0] == 'd')
					mkdirat(dir, name, 0755);
				else
					close(openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
								O_CLOEXEC, 0));
			}
		}
		p = e + 1;
	}
}

static int put_one(struct mt_replay_tree *t, const struct mt_file_info *f, char *path)
{
	unsigned depth = 0;
	char *name;
	int rc = -1;

	for (const char *s = path; *s; s++)
		depth += *s == '/';
	int dir = parent_dir(t, path, &name);
	if (dir < 0)
		return -1;
	switch (f->type) {
	case MT_FILE_REG:
	case MT_FILE_CHR:
		rc = put_reg(dir, name, f, f->type == MT_FILE_CHR);
		break;
	case MT_FILE_DIR:
		if (!clear(dir, name, 1) && (!mkdirat(dir, name, 0755) || errno == EEXIST)) {
			int d = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (d >= 0) {
				put_listing(d, f);
				close(d);
				rc = 0;
			}
		}
		break;
	case MT_FILE_LNK: {
		char tgt[4096];

		if (f->offset || f->data_len != f->total || f->total >= sizeof(tgt) ||
		    !link_ok((const char *)f->data, f->data_len, depth - 1))
			break;
		memcpy(tgt, f->data, f->data_len);
		tgt[f->data_len] = 0;
		if (!clear(dir, name, 0))
			rc = symlinkat(tgt, dir, name);
		break;
	}
	}
	close(dir);
	return rc;
}

int mt_replay_tree_add(struct mt_replay_tree *t, const struct mt_event *ev, char *err,
		       size_t errlen)
{
	struct mt_file_info f;
	char path[4096];

	if (mt_file_parse(ev->text, ev->text_len, &f) || f.path_len >= sizeof(path) ||
	    !clean(f.path, f.path_len)) {
		t->nbad++;
		return 0;
	}
	/* counted before anything is made: a listing's entries, a file's
	 * declared length (ftruncate() would make it, sparse); every record,
	 * whatever its offset (a piece at offset 1 makes the file too) */
	t->nent++;
	t->nbytes += f.total;
	if (f.type == MT_FILE_DIR)
		for (const uint8_t *q = f.data; (q = memchr(q, '\n', (size_t)(f.data + f.data_len - q)));
		     q++)
			t->nent++;
	if (t->nent > TREE_ENTRIES_MAX || t->nbytes > TREE_BYTES_MAX) {
		snprintf(err, errlen, "the FILE records make more than %u files or %llu MiB: "
			 "not a recording of the files describing a device", TREE_ENTRIES_MAX,
			 TREE_BYTES_MAX >> 20);
		return -1;
	}
	if (f.offset == 0 && (f.flags & MT_FILE_F_CUT))
		t->ncut++;
	memcpy(path, f.path, f.path_len);
	path[f.path_len] = 0;
	if (!mt_devfile_described(path) || put_one(t, &f, path)) {
		t->nbad++;
		return 0;
	}
	if (f.offset == 0)
		t->nfiles++;
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(p);
	else
		unlink(p);
	return 0;
}

void mt_replay_tree_free(struct mt_replay_tree *t)
{
	if (!t)
		return;
	close(t->rootfd);
	nftw(t->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
}
