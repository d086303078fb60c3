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

static int by_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
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

static int write_sym(struct mt_writer *w, const struct kstab *t, size_t i)
{
	uint8_t buf[MT_REC_KSYM_FIXED + 1024];
	struct mt_ksym_info k;
	struct mt_event ev;
	size_t j;
	int n;

	memset(&k, 0, sizeof(k));
	k.addr = t->v[i].addr;
	k.type = t->v[i].type;
	k.name = t->pool + t->v[i].name;
	k.name_len = (uint16_t)strnlen(k.name, 512);
	k.module = t->pool + t->v[i].mod;
	k.module_len = (uint16_t)strnlen(k.module, 256);
	for (j = i + 1; j < t->n && t->v[j].addr == k.addr; j++)
		;
	/* up to the next function of the same object; 0: unknown (the last) */
	k.size = j < t->n && !strcmp(t->pool + t->v[j].mod, k.module) ? t->v[j].addr - k.addr : 0;
	n = mt_ksym_encode(buf, sizeof(buf), &k);
	if (n < 0)
		return n;
	memset(&ev, 0, sizeof(ev));
	ev.kind = MT_REC_KSYM;
	ev.text = (const char *)buf;
	ev.text_len = (size_t)n;
	return mt_writer_event(w, &ev);
}

int mt_ksym_record(struct mt_writer *w, const struct mt_pcset *s, const char *kallsyms_path)
{
	struct kstab t = { 0 };
	uint64_t *pcs;
	size_t i, n = 0;
	long last = -1;
	int rc, count = 0;

	if (!s->n)
		return 0;
	rc = load(&t, kallsyms_path);
	pcs = rc ? NULL : malloc(s->n * sizeof(*pcs));
	if (!rc && !pcs)
		rc = -ENOMEM;
	for (i = 0; !rc && i < s->cap; i++)
		if (s->v[i])
			pcs[n++] = s->v[i];
	if (!rc)
		qsort(pcs, n, sizeof(*pcs), by_u64);
	for (i = 0; !rc && i < n; i++) {
		long k = find(&t, pcs[i]);

		if (k < 0 || k == last)
			continue;
		/* several names at one address: the first (sorted) one */
		while (k > 0 && t.v[k - 1].addr == t.v[k].addr)
			k--;
		if (k == last)
			continue;
		last = k;
		rc = write_sym(w, &t, (size_t)k);
		if (!rc)
			count++;
	}
	free(pcs);
	free(t.v);
	free(t.pool);
	return rc ? rc : count;
}
