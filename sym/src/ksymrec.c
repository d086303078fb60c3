// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ksymrec.c - at the end of `mmiotap kernel record`: the kernel functions
 * (kallsyms, modules included) that hold the trace's PCs, as KSYM records,
 * so that the trace decodes on another machine. Memory: the PC set
 * (bounded, MT_PCSET_MAX) and one copy of kallsyms' text symbols.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmiotap/sym.h"

static size_t slot(uint64_t pc, size_t cap)
{
	return (size_t)((pc * 0x9e3779b97f4a7c15ull) >> 20) & (cap - 1);
}

static int grow(struct mt_pcset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 4096, i;
	uint64_t *v = calloc(cap, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (i = 0; i < s->cap; i++) {
		size_t j;

		if (!s->v[i])
			continue;
		for (j = slot(s->v[i], cap); v[j]; j = (j + 1) & (cap - 1))
			;
		v[j] = s->v[i];
	}
	free(s->v);
	s->v = v;
	s->cap = cap;
	return 0;
}

int mt_pcset_add(struct mt_pcset *s, uint64_t pc)
{
	size_t j;

	if (!pc)
		return 0;
	if (s->cap) {
		for (j = slot(pc, s->cap); s->v[j]; j = (j + 1) & (s->cap - 1))
			if (s->v[j] == pc)
				return 0;
	}
	if (s->n >= MT_PCSET_MAX) {
		s->dropped++;
		return 0;
	}
	if ((s->n + 1) * 2 > s->cap && grow(s)) {
		s->dropped++;
		return -ENOMEM;
	}
	for (j = slot(pc, s->cap); s->v[j]; j = (j + 1) & (s->cap - 1))
		;
	s->v[j] = pc;
	s->n++;
	return 0;
}

void mt_pcset_free(struct mt_pcset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

struct ks {
	uint64_t addr;
	size_t name;            /* offsets into the string pool */
	size_t mod;
	char type;
};

struct kstab {
	struct ks *v;
	size_t n, cap;
	char *pool;
	size_t plen, pcap;
};

static long pool_add(struct kstab *t, const char *s, size_t len)
{
	size_t at = t->plen;

	if (t->plen + len + 1 > t->pcap) {
		size_t cap = t->pcap ? t->pcap * 2 : 1 << 20;
		char *p;

		while (cap < t->plen + len + 1)
			cap *= 2;
		p = realloc(t->pool, cap);
		if (!p)
			return -1;
		t->pool = p;
		t->pcap = cap;
	}
	memcpy(t->pool + at, s, len);
	t->pool[at + len] = 0;
	t->plen += len + 1;
	return (long)at;
}

/* One line of kallsyms: "ADDR T NAME[\t[MODULE]]". 1 kept, 0 skipped, -1 error. */
static int parse_line(struct kstab *t, char *line, int *zero)
{
	char *end, *name, *mod = NULL;
	uint64_t addr = strtoull(line, &end, 16);
	char type;
	long no, mo;

	if (end == line || end[0] != ' ' || !end[1] || end[2] != ' ')
		return 0;
	type = end[1];
	name = end + 3;
	name[strcspn(name, "\n")] = 0;
	if (strchr(name, '\t')) {
		mod = strchr(name, '\t');
		*mod++ = 0;
		if (*mod == '[')
			mod++;
		mod[strcspn(mod, "]")] = 0;
	}
	if (addr)
		*zero = 0;
	if (type != 't' && type != 'T' && type != 'w' && type != 'W')
		return 0;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 65536;
		struct ks *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	no = pool_add(t, name, strlen(name));
	mo = pool_add(t, mod ? mod : "", mod ? strlen(mod) : 0);
	if (no < 0 || mo < 0)
		return -1;
	t->v[t->n].addr = addr;
	t->v[t->n].name = (size_t)no;
	t->v[t->n].mod = (size_t)mo;
	t->v[t->n].type = type;
	t->n++;
	return 1;
}

static int by_addr(const void *a, const void *b)
{
	const struct ks *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Module text ends, from /proc/modules ("NAME SIZE REFS DEPS STATE ADDR"):
 * the size of a module's last function. */
struct modend {
	char name[64];
	uint64_t end;
};

static size_t load_modules(struct modend *m, size_t max, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[1024];
	size_t n = 0;

	while (f && n < max && fgets(line, sizeof(line), f)) {
		unsigned long long size, addr;
		char name[64];

		if (sscanf(line, "%63s %llu %*s %*s %*s %llx", name, &size, &addr) == 3 && addr) {
			snprintf(m[n].name, sizeof(m[n].name), "%s", name);
			m[n].end = addr + size;
			n++;
		}
	}
	if (f)
		fclose(f);
	return n;
}

static int load(struct kstab *t, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[1024];
	int zero = 1, rc = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (parse_line(t, line, &zero) < 0) {
			rc = -ENOMEM;
			break;
		}
	fclose(f);
	if (!rc && zero)
		rc = -EPERM;
	if (!rc)
		qsort(t->v, t->n, sizeof(*t->v), by_addr);
	return rc;
}

static void kstab_free(struct kstab *t)
{
	free(t->v);
	free(t->pool);
	memset(t, 0, sizeof(*t));
}

/* Index of the last symbol at or below pc, or -1. */
static long find(const struct kstab *t, uint64_t pc)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->v[mid].addr <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

struct span {
	uint64_t start, end;
};

#define MAX_MODS 1024

struct mt_ksymrec {
	char *kallsyms, *modules;
	struct kstab t;         /* the last snapshot of kallsyms (text symbols) */
	struct modend *mods;
	size_t nmods;
	int have, stale;
	struct span *done;      /* functions written, sorted */
	size_t ndone, cdone;
	struct mt_pcset pending; /* PCs in no function written yet */
	uint64_t unresolved;
	int err;                /* first error reading kallsyms (reported once) */
};

struct mt_ksymrec *mt_ksymrec_new(const char *kallsyms_path, const char *modules_path)
{
	struct mt_ksymrec *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->kallsyms = strdup(kallsyms_path);
	k->modules = strdup(modules_path);
	k->mods = calloc(MAX_MODS, sizeof(*k->mods));
	if (!k->kallsyms || !k->modules || !k->mods) {
		mt_ksymrec_free(k);
		return NULL;
	}
	return k;
}

void mt_ksymrec_free(struct mt_ksymrec *k)
{
	if (!k)
		return;
	kstab_free(&k->t);
	mt_pcset_free(&k->pending);
	free(k->done);
	free(k->mods);
	free(k->kallsyms);
	free(k->modules);
	free(k);
}

static const struct span *done_find(const struct mt_ksymrec *k, uint64_t pc)
{
	size_t lo = 0, hi = k->ndone;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->done[mid].start <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && pc < k->done[lo - 1].end ? &k->done[lo - 1] : NULL;
}

static int done_add(struct mt_ksymrec *k, uint64_t start, uint64_t end)
{
	size_t i;

	if (k->ndone == k->cdone) {
		size_t c = k->cdone ? k->cdone * 2 : 256;
		struct span *v = realloc(k->done, c * sizeof(*v));

		if (!v)
			return -ENOMEM;
		k->done = v;
		k->cdone = c;
	}
	for (i = k->ndone; i > 0 && k->done[i - 1].start > start; i--)
		k->done[i] = k->done[i - 1];
	k->done[i] = (struct span){ start, end };
	k->ndone++;
	return 0;
}

void mt_ksymrec_pc(struct mt_ksymrec *k, uint64_t pc)
{
	if (k && pc && !done_find(k, pc))
		mt_pcset_add(&k->pending, pc);
}

void mt_ksymrec_stale(struct mt_ksymrec *k)
{
	if (k)
		k->stale = 1;
}

uint64_t mt_ksymrec_unresolved(const struct mt_ksymrec *k)
{
	return k ? k->unresolved + k->pending.dropped : 0;
}

static int snapshot(struct mt_ksymrec *k)
{
	kstab_free(&k->t);
	k->have = k->stale = 0;
	k->nmods = load_modules(k->mods, MAX_MODS, k->modules);
	int rc = load(&k->t, k->kallsyms);
	if (rc) {
		kstab_free(&k->t);
		return rc;
	}
	k->have = 1;
	return 0;
}

/* End of function i of the snapshot: the next function of its object, or
 * the end of its module; 0 if unknown. */
static uint64_t func_end(const struct mt_ksymrec *k, size_t i)
{
	const struct kstab *t = &k->t;
	const char *mod = t->pool + t->v[i].mod;
	size_t j;

	for (j = i + 1; j < t->n && t->v[j].addr == t->v[i].addr; j++)
		;
	if (j < t->n && !strcmp(t->pool + t->v[j].mod, mod))
		return t->v[j].addr;
	for (j = 0; *mod && j < k->nmods; j++)
		if (!strcmp(k->mods[j].name, mod) && k->mods[j].end > t->v[i].addr)
			return k->mods[j].end;
	return 0;
}

static int write_sym(struct mt_ksymrec *k, struct mt_writer *w, size_t i, uint64_t end)
{
	const struct kstab *t = &k->t;
	uint8_t buf[MT_REC_KSYM_FIXED + 1024];
	struct mt_ksym_info ki;
	struct mt_event ev;
	int n;

	memset(&ki, 0, sizeof(ki));
	ki.addr = t->v[i].addr;
	ki.size = end - ki.addr;
	ki.type = t->v[i].type;
	ki.name = t->pool + t->v[i].name;
	ki.name_len = (uint16_t)strnlen(ki.name, 512);
	ki.module = t->pool + t->v[i].mod;
	ki.module_len = (uint16_t)strnlen(ki.module, 256);
	n = mt_ksym_encode(buf, sizeof(buf), &ki);
	if (n < 0)
		return n;
	memset(&ev, 0, sizeof(ev));
	ev.kind = MT_REC_KSYM;
	ev.text = (const char *)buf;
	ev.text_len = (size_t)n;
	n = mt_writer_event(w, &ev);
	return n ? n : done_add(k, ki.addr, end);
}

/* Resolve pc in the snapshot: 1 written (or written already), 0 not found. */
static int resolve(struct mt_ksymrec *k, struct mt_writer *w, uint64_t pc)
{
	long i;
	uint64_t end;

	if (done_find(k, pc))
		return 1;
	i = find(&k->t, pc);
	if (i < 0)
		return 0;
	while (i > 0 && k->t.v[i - 1].addr == k->t.v[i].addr)
		i--; /* several names at one address: the first */
	end = func_end(k, (size_t)i);
	if (!end || pc >= end)
		return 0;
	return write_sym(k, w, (size_t)i, end) ? -1 : 1;
}

int mt_ksymrec_flush(struct mt_ksymrec *k, struct mt_writer *w)
{
	struct mt_pcset left = { 0 };
	int count = 0, fresh = 0, rc = 0;

	if (!k || !k->pending.n)
		return 0;
	if (k->err) { /* said once; kallsyms is not read again */
		k->unresolved += k->pending.n;
		mt_pcset_free(&k->pending);
		return 0;
	}
	if (!k->have || k->stale) {
		rc = snapshot(k);
		fresh = 1;
	}
	for (int pass = 0; !rc && pass < 2; pass++) {
		size_t i;

		for (i = 0; i < k->pending.cap; i++) {
			uint64_t pc = k->pending.v[i];
			int r;

			if (!pc)
				continue;
			r = resolve(k, w, pc);
			if (r < 0) {
				rc = -EIO;
				break;
			}
			if (r)
				count++;
			else if (pass == 1 || fresh)
				k->unresolved++;
			else
				mt_pcset_add(&left, pc);
		}
		mt_pcset_free(&k->pending);
		k->pending = left;
		memset(&left, 0, sizeof(left));
		if (pass == 0 && !fresh && k->pending.n)
			rc = snapshot(k); /* code loaded since: look again once */
		else
			break;
	}
	mt_pcset_free(&k->pending);
	mt_pcset_free(&left);
	if (rc && !k->err)
		k->err = rc;
	return rc ? rc : count;
}
