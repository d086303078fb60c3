// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * objtrack.c - while `mmiotap record` drains a user-space recording: the
 * ELF objects of the traced processes, as OBJECT records. A PC (of an
 * access, UNKNOWN or MAP) that lies in no object written so far for its
 * process makes us read /proc/PID/maps once and write every executable
 * file mapping not written yet, with its build id and load bias (libelf).
 * So objects loaded later by dlopen() are written when their first traced
 * access shows up. A PC in no file mapping (JIT code, anonymous memory)
 * marks its page as seen, so it never makes us read maps again. Memory is
 * bounded by MT_OBJTRACK_MAX ranges; past it no more objects are looked
 * for.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <elfutils/libdwelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmiotap/sym.h"

#define MT_OBJTRACK_MAX 65536
#define MAX_RANGES 64

struct range {
	uint32_t pid;
	int neg;                /* a page of a PC in no object */
	uint64_t start, end;
};

struct mt_objtrack {
	struct range *v;        /* sorted by (pid, start) */
	size_t n, cap;
	struct range hit;       /* last range a PC fell in */
	int full;
};

struct mt_objtrack *mt_objtrack_new(void)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	return calloc(1, sizeof(struct mt_objtrack));
}

void mt_objtrack_free(struct mt_objtrack *t)
{
	if (t)
		free(t->v);
	free(t);
}

static int before(uint32_t pid, uint64_t a, const struct range *r)
{
	return pid < r->pid || (pid == r->pid && a < r->start);
}

/* Index of the first range not before (pid, a). */
static size_t lower(const struct mt_objtrack *t, uint32_t pid, uint64_t a)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (!before(pid, a, &t->v[mid]))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct range *covering(const struct mt_objtrack *t, uint32_t pid, uint64_t pc)
{
	size_t i = lower(t, pid, pc);

	if (i && t->v[i - 1].pid == pid && t->v[i - 1].start <= pc && pc < t->v[i - 1].end)
		return &t->v[i - 1];
	return NULL;
}

static int add_range(struct mt_objtrack *t, uint32_t pid, uint64_t start, uint64_t end,
		     int neg)
{
	size_t i;

	/* an object's range replaces the PC pages found in no object before */
	for (i = 0; !neg && i < t->n;) {
		const struct range *r = &t->v[i];

		if (r->neg && r->pid == pid && r->start < end && start < r->end) {
			memmove(t->v + i, t->v + i + 1, (t->n - i - 1) * sizeof(*t->v));
			t->n--;
		} else {
			i++;
		}
	}
	if (t->n >= MT_OBJTRACK_MAX) {
		t->full = 1;
		return -ENOSPC;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct range *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	i = lower(t, pid, start);
	memmove(t->v + i + 1, t->v + i, (t->n - i) * sizeof(*t->v));
	t->v[i] = (struct range){ pid, neg, start, end };
	t->hit.pid = 0;
	t->hit.end = 0;
	t->n++;
	return 0;
}

/* An object seen in maps: its executable ranges. */
struct obj {
	char path[4096];
	struct mt_obj_range r[MAX_RANGES];
	unsigned nr;
};

/* Build id and bias of the file (the bias from its first executable range);
 * the file as the process sees it (its root: another mount namespace). */
static int elf_facts(uint32_t pid, const struct obj *o, uint8_t *id, size_t *idlen,
		     uint64_t *bias)
{
	char rooted[4096 + 64];
	int fd;

	snprintf(rooted, sizeof(rooted), "/proc/%" PRIu32 "/root%s", pid, o->path);
	/* O_NONBLOCK, and regular files only: the path is the traced
	 * process's word, and the fallback is looked up in our namespace,
	 * where a FIFO of that name would block the recorder (or the tracer,
	 * its tracees stopped) in open() for ever */
	fd = open(rooted, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		fd = open(o->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
	}
	Elf *e;
	size_t n, i;
	const void *bid;
	ssize_t bl;
	int rc = -1;

	if (fd < 0)
		return -1;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (e && elf_kind(e) == ELF_K_ELF && !elf_getphdrnum(e, &n)) {
		for (i = 0; i < n; i++) {
			GElf_Phdr ph;

			if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD)
				continue;
			if ((ph.p_offset & ~(uint64_t)0xfff) <= o->r[0].file_offset &&
			    o->r[0].file_offset < ph.p_offset + ph.p_filesz) {
				*bias = o->r[0].start - o->r[0].file_offset + ph.p_offset - ph.p_vaddr;
				rc = 0;
				break;
			}
		}
		bl = dwelf_elf_gnu_build_id(e, &bid);
		*idlen = bl > 0 && bl <= 64 ? (size_t)bl : 0;
		if (*idlen)
			memcpy(id, bid, *idlen);
	}
	if (e)
		elf_end(e);
	close(fd);
	return rc;
}

int mt_objtrack_emit_writer(void *w, const struct mt_object_info *oi,
			    const struct mt_obj_range *r)
{
	uint8_t buf[MT_REC_OBJECT_FIXED + MAX_RANGES * MT_OBJ_RANGE_SIZE + 64 + 4096 + 8];
	struct mt_event ev;
	int n = mt_object_encode(buf, sizeof(buf), oi, r);

	if (n < 0)
		return 0; /* too long a path: no record */
	memset(&ev, 0, sizeof(ev));
	ev.kind = MT_REC_OBJECT;
	ev.text = (const char *)buf;
	ev.text_len = (size_t)n;
	return mt_writer_event(w, &ev);
}

struct emitter {
	mt_objtrack_emit_fn fn;
	void *arg;
};

static int write_obj(struct mt_objtrack *t, const struct emitter *em, uint32_t pid,
		     const struct obj *o, uint64_t seq, uint64_t ts)
{
	uint8_t id[64];
	size_t idlen = 0;
	struct mt_object_info oi;
	unsigned i;
	int rc;

	memset(&oi, 0, sizeof(oi));
	if (elf_facts(pid, o, id, &idlen, &oi.bias))
		return 0; /* not an ELF file we can read: nothing to symbolize with */
	oi.pid = pid;
	oi.ts = ts;
	oi.seq = seq;
	oi.nranges = (uint16_t)o->nr;
	oi.build_id = id;
	oi.build_id_len = (uint8_t)idlen;
	oi.path = o->path;
	oi.path_len = (uint16_t)strlen(o->path);
	rc = em->fn(em->arg, &oi, o->r);
	if (rc < 0)
		return rc;
	for (i = 0; i < o->nr; i++)
		add_range(t, pid, o->r[i].start, o->r[i].end, 0);
	return 1;
}

/* "start-end perms offset dev inode path": an executable file mapping. */
static int parse_maps_line(char *line, uint64_t *s, uint64_t *e, uint64_t *off, char **path)
{
	char perms[8];
	int pos = 0;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s %n", s, e, perms, off,
		   &pos) < 4 || !pos)
		return 0;
	*path = line + pos;
	(*path)[strcspn(*path, "\n")] = 0;
	return perms[2] == 'x' && (*path)[0] == '/' && !strstr(*path, " (deleted)");
}

/* Write the objects of pid not written yet; their number, or <0. */
static int scan(struct mt_objtrack *t, const struct emitter *em, uint32_t pid, uint64_t seq,
		uint64_t ts)
{
	char name[64], line[4096 + 256];
	struct obj *o = calloc(1, sizeof(*o));
	FILE *f;
	int count = 0, rc = 0;

	if (!o)
		return -ENOMEM;
	snprintf(name, sizeof(name), "/proc/%" PRIu32 "/maps", pid);
	f = fopen(name, "re");
	while (f && fgets(line, sizeof(line), f) && rc >= 0) {
		uint64_t s, e, off;
		char *path;

		if (!parse_maps_line(line, &s, &e, &off, &path) || mt_objtrack_known(t, pid, s))
			continue;
		if (o->nr && (strcmp(o->path, path) || o->nr == MAX_RANGES)) {
			rc = write_obj(t, em, pid, o, seq, ts);
			count += rc > 0;
			o->nr = 0;
		}
		snprintf(o->path, sizeof(o->path), "%s", path);
		o->r[o->nr++] = (struct mt_obj_range){ s, e, off };
	}
	if (o->nr && rc >= 0) {
		rc = write_obj(t, em, pid, o, seq, ts);
		count += rc > 0;
	}
	if (f)
		fclose(f);
	free(o);
	return rc < 0 ? rc : count;
}

int mt_objtrack_pc(struct mt_objtrack *t, uint32_t pid, uint64_t pc, uint64_t seq, uint64_t ts,
		   mt_objtrack_emit_fn emit, void *arg)
{
	const struct emitter em = { emit, arg };
	const struct range *r;
	int rc;

	if (!t || !pc || t->full)
		return 0;
	if (t->hit.pid == pid && t->hit.start <= pc && pc < t->hit.end)
		return 0;
	r = covering(t, pid, pc);
	if (r) {
		t->hit = *r;
		return 0;
	}
	rc = scan(t, &em, pid, seq, ts);
	if (rc >= 0 && !covering(t, pid, pc)) /* in no object: do not look again */
		add_range(t, pid, pc & ~(uint64_t)0xfff, (pc & ~(uint64_t)0xfff) + 0x1000, 1);
	return rc;
}

int mt_objtrack_known(const struct mt_objtrack *t, uint32_t pid, uint64_t start)
{
	const struct range *r = t ? covering(t, pid, start) : NULL;

	return r && !r->neg;
}

int mt_objtrack_has_pid(const struct mt_objtrack *t, uint32_t pid)
{
	size_t i = t ? lower(t, pid, 0) : 0;

	return t && i < t->n && t->v[i].pid == pid;
}

void mt_objtrack_forget(struct mt_objtrack *t, uint32_t pid)
{
	size_t i, j;

	if (!t)
		return;
	i = lower(t, pid, 0);
	for (j = i; j < t->n && t->v[j].pid == pid; j++)
		;
	if (j == i)
		return;
	memmove(t->v + i, t->v + j, (t->n - j) * sizeof(*t->v));
	t->n -= j - i;
	t->hit.pid = 0;
	t->hit.end = 0;
}

void mt_objtrack_note(struct mt_objtrack *t, uint32_t pid, uint64_t start, uint64_t end)
{
	if (t && !mt_objtrack_known(t, pid, start))
		add_range(t, pid, start, end, 0);
}
