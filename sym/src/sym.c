// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * sym.c - PC -> function+offset and file:line, from a trace's OBJECT
 * records (user space, through elfutils' libdwfl: one Dwfl per object,
 * opened at its first lookup) and KSYM records (kernel, a sorted table).
 */
#include <errno.h>
#include <fcntl.h>
#include <elfutils/libdwfl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "mmiotap/sym.h"

struct object {
	uint32_t pid;
	uint64_t seq;           /* the record's: objects of a pid before an exec and after */
	uint64_t bias, lo, hi;  /* lo/hi: span of its ranges */
	struct mt_obj_range *r;
	unsigned nr;
	uint8_t build_id[64];
	unsigned build_id_len;
	char *path;
	Dwfl *dwfl;             /* opened at the first lookup */
	Dwfl_Module *mod;
	int tried, mismatch;
};

struct ksym {
	uint64_t addr, size;
	char *name;
	char *module;           /* "[e1000]" or "[kernel]" */
};

struct mt_sym {
	struct object *o;
	size_t no, co;
	struct ksym *k;
	size_t nk, ck;
	int k_sorted;
};

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

struct mt_sym *mt_sym_new(void)
{
	return calloc(1, sizeof(struct mt_sym));
}

static char *dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

static int add_object(struct mt_sym *s, const struct mt_object_info *oi)
{
	struct object *o;
	unsigned i;

	if (s->no == s->co) {
		size_t c = s->co ? s->co * 2 : 64;
		struct object *v = realloc(s->o, c * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->o = v;
		s->co = c;
	}
	o = &s->o[s->no];
	memset(o, 0, sizeof(*o));
	o->r = calloc(oi->nranges, sizeof(*o->r));
	o->path = dup_n(oi->path, oi->path_len);
	if (!o->r || !o->path) {
		free(o->r);
		free(o->path);
		return -ENOMEM;
	}
	o->pid = oi->pid;
	o->seq = oi->seq;
	o->bias = oi->bias;
	o->nr = oi->nranges;
	o->lo = UINT64_MAX;
	for (i = 0; i < o->nr; i++) {
		mt_object_range(oi, i, &o->r[i]);
		if (o->r[i].start < o->lo)
			o->lo = o->r[i].start;
		if (o->r[i].end > o->hi)
			o->hi = o->r[i].end;
	}
	o->build_id_len = oi->build_id_len > sizeof(o->build_id) ? 0 : oi->build_id_len;
	memcpy(o->build_id, oi->build_id, o->build_id_len);
	s->no++;
	return 0;
}

static int add_ksym(struct mt_sym *s, const struct mt_ksym_info *ki)
{
	struct ksym *k;

	if (s->nk == s->ck) {
		size_t c = s->ck ? s->ck * 2 : 256;
		struct ksym *v = realloc(s->k, c * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->k = v;
		s->ck = c;
	}
	k = &s->k[s->nk];
	k->addr = ki->addr;
	k->size = ki->size;
	k->name = dup_n(ki->name, ki->name_len);
	k->module = malloc((size_t)ki->module_len + 9);
	if (!k->name || !k->module) {
		free(k->name);
		free(k->module);
		return -ENOMEM;
	}
	if (ki->module_len)
		snprintf(k->module, (size_t)ki->module_len + 3, "[%.*s]", (int)ki->module_len,
			 ki->module);
	else
		strcpy(k->module, "[kernel]");
	s->nk++;
	s->k_sorted = 0;
	return 0;
}

int mt_sym_add(struct mt_sym *s, const struct mt_event *ev)
{
	if (ev->kind == MT_REC_OBJECT) {
		struct mt_object_info oi;

		if (mt_object_parse(ev->text, ev->text_len, &oi))
			return -EINVAL;
		return add_object(s, &oi);
	}
	if (ev->kind == MT_REC_KSYM) {
		struct mt_ksym_info ki;

		if (mt_ksym_parse(ev->text, ev->text_len, &ki))
			return -EINVAL;
		return add_ksym(s, &ki);
	}
	return 0;
}

int mt_sym_open_path(struct mt_sym **sp, const char *path, char *err, size_t errlen)
{
	struct mt_reader_opts ro = { .sz = sizeof(ro), .meta = 1 };
	struct mt_reader *r;
	struct mt_event ev;
	struct mt_sym *s;
	int fd, rc;

	*sp = NULL;
	/* The symbols are read in a pass of their own, before the caller's: of
	 * a pipe or FIFO (`<(...)`, /dev/fd/N) this pass would take records
	 * the caller's never sees (or block). Regular files only. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	{
		struct stat st;

		if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
			close(fd);
			snprintf(err, errlen, "%s: not a regular file: symbols need a trace FILE "
				 "(they are read before the records)", path);
			return -ESPIPE;
		}
	}
	rc = mt_reader_open_fd(&r, fd, &ro);
	if (rc) {
		close(fd);
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	s = mt_sym_new();
	rc = s ? 0 : -ENOMEM;
	while (!rc && (rc = mt_reader_next(r, &ev)) > 0)
		rc = mt_sym_add(s, &ev);
	if (rc < 0) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "%s: out of memory", path);
		else
			snprintf(err, errlen, "%s: %s", path, mt_reader_errmsg(r));
		mt_sym_free(s);
		s = NULL;
	}
	mt_reader_close(r);
	close(fd);
	*sp = s;
	return rc < 0 ? rc : 0;
}

/* The path comes from the trace (an OBJECT record): only a regular file
 * is given to libdwfl, which would block for ever opening a FIFO (or read
 * a device). Opened without blocking to look. */
static int regular_file(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), ok;

	if (fd < 0)
		return 0;
	ok = !fstat(fd, &st) && S_ISREG(st.st_mode);
	close(fd);
	return ok;
}

static void open_dwfl(struct object *o)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	int len;

	o->tried = 1;
	if (!regular_file(o->path))
		return;
	o->dwfl = dwfl_begin(&callbacks);
	if (!o->dwfl)
		return;
	dwfl_report_begin(o->dwfl);
	o->mod = dwfl_report_elf(o->dwfl, o->path, o->path, -1, o->bias, true);
	dwfl_report_end(o->dwfl, NULL, NULL);
	if (!o->mod)
		return;
	len = dwfl_module_build_id(o->mod, &bits, &vaddr);
	if (o->build_id_len && (len != (int)o->build_id_len || memcmp(bits, o->build_id, (size_t)len)))
		o->mismatch = 1;
}

static int holds(const struct object *c, uint64_t pc)
{
	if (pc < c->lo || pc >= c->hi)
		return 0;
	for (unsigned j = 0; j < c->nr; j++)
		if (c->r[j].start <= pc && pc < c->r[j].end)
			return 1;
	return 0;
}

/*
 * The object of pid holding pc at record seq: of those holding it, the
 * last one written at or before seq (an exec at the same addresses, a
 * library unloaded and another loaded there), else the first one after
 * (written at exit, or found later by the recorder). Objects of any pid
 * when pid has none: a fork's child runs its parent's objects.
 */
static struct object *find_object(struct mt_sym *s, uint32_t pid, uint64_t pc, uint64_t seq,
				  int *many)
{
	struct object *before = NULL, *after = NULL;
	unsigned n = 0;

	for (int pass = 0; pass < 2 && !n; pass++)
		for (size_t i = s->no; i-- > 0;) {
			struct object *c = &s->o[i];

			if ((pass == 0 && c->pid != pid) || !holds(c, pc))
				continue;
			n++;
			if (c->seq <= seq) {
				if (!before || c->seq > before->seq)
					before = c;
			} else if (!after || c->seq <= after->seq) {
				after = c;
			}
		}
	*many = n > 1;
	return before ? before : after;
}

static int lookup_object(struct mt_sym *s, uint32_t pid, uint64_t pc, uint64_t seq,
			 struct mt_sym_loc *loc)
{
	struct object *o = find_object(s, pid, pc, seq, &loc->ambiguous);

	if (!o)
		return 0;
	if (!o->tried)
		open_dwfl(o);
	loc->object = o->path;
	loc->off = pc - o->bias;
	loc->build_id_mismatch = o->mismatch;
	if (o->mod && !o->mismatch) {
		GElf_Off off;
		GElf_Sym sym;
		const char *name = dwfl_module_addrinfo(o->mod, pc, &off, &sym, NULL, NULL, NULL);
		Dwfl_Line *line = dwfl_module_getsrc(o->mod, pc);

		if (name) {
			loc->func = name;
			loc->off = off;
		}
		if (line) {
			int ln = 0;
			const char *f = dwfl_lineinfo(line, NULL, &ln, NULL, NULL, NULL);

			if (f) {
				loc->file = f;
				loc->line = ln;
			}
		}
	}
	return 1;
}

static int by_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int lookup_ksym(struct mt_sym *s, uint64_t pc, struct mt_sym_loc *loc)
{
	size_t lo = 0, hi = s->nk;
	const struct ksym *k;

	if (!s->k_sorted) {
		qsort(s->k, s->nk, sizeof(*s->k), by_addr);
		s->k_sorted = 1;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->k[mid].addr <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return 0;
	k = &s->k[lo - 1];
	if (pc - k->addr >= k->size)
		return 0;
	loc->func = k->name;
	loc->off = pc - k->addr;
	loc->object = k->module;
	return 1;
}

int mt_sym_lookup(struct mt_sym *s, uint32_t pid, uint64_t pc, uint64_t seq,
		  struct mt_sym_loc *loc)
{
	memset(loc, 0, sizeof(*loc));
	if (!s || !pc)
		return 0;
	if (s->nk && lookup_ksym(s, pc, loc))
		return 1;
	return lookup_object(s, pid, pc, seq, loc);
}

int mt_sym_format(const struct mt_sym_loc *loc, int found, uint64_t pc, char *buf, size_t room)
{
	if (!found)
		return snprintf(buf, room, "0x%" PRIx64, pc);
	if (loc->func)
		return snprintf(buf, room, "%s+0x%" PRIx64, loc->func, loc->off);
	return snprintf(buf, room, "%s+0x%" PRIx64, loc->object, loc->off);
}

void mt_sym_free(struct mt_sym *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->no; i++) {
		if (s->o[i].dwfl)
			dwfl_end(s->o[i].dwfl);
		free(s->o[i].r);
		free(s->o[i].path);
	}
	for (i = 0; i < s->nk; i++) {
		free(s->k[i].name);
		free(s->k[i].module);
	}
	free(s->o);
	free(s->k);
	free(s);
}
