// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * bind.c - --db specifications, the database search path and its
 * regdb.index files, and the per-MAP choice of a domain (mmiotap/regbind.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmiotap/regbind.h"
#include "regdb_int.h"

#include "mt_config.h" /* MT_REGDB_DIR */

static void bind_err(struct regdb_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void bind_err(struct regdb_err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

struct loaded {
	char *path;
	struct regdb *db;
	struct loaded *next;
};

struct spec {
	const struct regdb_domain *dom;
	int has_ids, has_bdf, bar, has_phys;
	uint16_t vendor, device, pci_domain;
	uint8_t bus, devfn;
	uint64_t phys;
	struct spec *next;
};

struct mapb {
	const struct regdb_domain *dom;
	struct regdb_cache *cache;
	int64_t adjust;   /* key = offset + adjust (phys-based bindings) */
	int use_phys;
	uint64_t map_phys, phys_origin;
};

struct regbind {
	struct loaded *dbs;
	struct spec *specs, **stail;
	struct mapb *maps[65536];
	char **path;
	int autobind;
	char *vars[16];           /* --variant NAME=VALUE, for databases loaded later */
	size_t nvars;
};

int regbind_new(struct regbind **out)
{
	struct regbind *b = calloc(1, sizeof(*b));
	const char *env = getenv("MMIOTAP_REGDB_PATH");
	size_t n = 2;
	char *dup, *tok, *save = NULL;

	*out = NULL;
	if (!b)
		return -ENOMEM;
	b->stail = &b->specs;
	b->autobind = 1;
	if (env)
		for (const char *p = env; *p; p++)
			n += *p == ':';
	b->path = calloc(n + 1, sizeof(*b->path));
	dup = strdup(env ? env : "");
	if (!b->path || !dup) {
		free(dup);
		regbind_free(b);
		return -ENOMEM;
	}
	n = 0;
	for (tok = strtok_r(dup, ":", &save); tok; tok = strtok_r(NULL, ":", &save))
		if (*tok && !(b->path[n++] = strdup(tok)))
			n--;
	b->path[n++] = strdup(MT_REGDB_DIR);
	free(dup);
	*out = b;
	return 0;
}

void regbind_free(struct regbind *b)
{
	struct loaded *l, *ln;
	struct spec *s, *sn;
	size_t i;

	if (!b)
		return;
	for (i = 0; i < 65536; i++)
		if (b->maps[i]) {
			regdb_cache_free(b->maps[i]->cache);
			free(b->maps[i]);
		}
	for (l = b->dbs; l; l = ln) {
		ln = l->next;
		regdb_free(l->db);
		free(l->path);
		free(l);
	}
	for (s = b->specs; s; s = sn) {
		sn = s->next;
		free(s);
	}
	for (i = 0; i < b->nvars; i++)
		free(b->vars[i]);
	for (i = 0; b->path && b->path[i]; i++)
		free(b->path[i]);
	free(b->path);
	free(b);
}

const char *const *regbind_search_path(struct regbind *b)
{
	return (const char *const *)b->path;
}

void regbind_set_auto(struct regbind *b, int on)
{
	b->autobind = on;
}

/* FILE as given, or NAME[.xml|.svd] in the search path. malloc'd or NULL. */
static char *find_file(struct regbind *b, const char *name)
{
	static const char *const ext[] = { "", ".xml", ".svd" };
	size_t i, j;

	if (strchr(name, '/') || !access(name, F_OK))
		return strdup(name);
	for (i = 0; b->path[i]; i++)
		for (j = 0; j < 3; j++) {
			char *p;

			if (asprintf(&p, "%s/%s%s", b->path[i], name, ext[j]) < 0)
				return NULL;
			if (!access(p, R_OK))
				return p;
			free(p);
		}
	return strdup(name);
}

static struct regdb *load(struct regbind *b, const char *path, struct regdb_err *e)
{
	struct loaded *l;

	for (l = b->dbs; l; l = l->next)
		if (!strcmp(l->path, path))
			return l->db;
	l = calloc(1, sizeof(*l));
	if (!l || !(l->path = strdup(path))) {
		free(l);
		rdb_errf(e, path, 0, "out of memory");
		return NULL;
	}
	if (regdb_load(&l->db, path, e)) {
		free(l->path);
		free(l);
		return NULL;
	}
	l->next = b->dbs;
	b->dbs = l;
	/* databases found later (regdb.index) get the variants selected so far */
	for (size_t i = 0; i < b->nvars; i++) {
		const char *v = b->vars[i];
		struct regdb_err e2;

		if (rdb_enum_find(l->db, v))
			regdb_set_variant(l->db, v, v + strlen(v) + 1, &e2);
	}
	return l->db;
}

static int parse_bdf(const char *s, uint16_t *dom, uint8_t *bus, uint8_t *devfn)
{
	unsigned d = 0, bu, dv, fn;
	int n = 0;

	if (sscanf(s, "%x:%x:%x.%x%n", &d, &bu, &dv, &fn, &n) == 4 && !s[n]) {
	} else if (d = 0, n = 0, sscanf(s, "%x:%x.%x%n", &bu, &dv, &fn, &n) == 3 && !s[n]) {
	} else {
		return -1;
	}
	if (d > 0xffff || bu > 0xff || dv > 31 || fn > 7)
		return -1;
	*dom = (uint16_t)d;
	*bus = (uint8_t)bu;
	*devfn = (uint8_t)(dv << 3 | fn);
	return 0;
}

static int parse_opt(struct spec *s, char *kv, const char **dname, struct regdb_err *e)
{
	char *v = strchr(kv, '=');
	uint64_t x;

	if (!v) {
		bind_err(e, "'%s': expected KEY=VALUE (domain, pci, bar, phys)", kv);
		return -1;
	}
	*v++ = 0;
	if (!strcmp(kv, "domain")) {
		*dname = v;
	} else if (!strcmp(kv, "pci")) {
		unsigned ven, dev;
		int n = 0;

		if (sscanf(v, "%4x:%4x%n", &ven, &dev, &n) == 2 && !v[n] && strlen(v) == 9) {
			s->has_ids = 1;
			s->vendor = (uint16_t)ven;
			s->device = (uint16_t)dev;
		} else if (!parse_bdf(v, &s->pci_domain, &s->bus, &s->devfn)) {
			s->has_bdf = 1;
		} else {
			bind_err(e, "pci=%s: expected VENDOR:DEVICE (hex, 4 digits each) or [DOMAIN:]BUS:DEV.FN", v);
			return -1;
		}
	} else if (!strcmp(kv, "bar")) {
		if (rdb_parse_num(v, &x) || x > 5) {
			bind_err(e, "bar=%s: expected 0..5", v);
			return -1;
		}
		s->bar = (int)x;
	} else if (!strcmp(kv, "phys")) {
		if (rdb_parse_num(v, &x)) {
			bind_err(e, "phys=%s: not a number", v);
			return -1;
		}
		s->has_phys = 1;
		s->phys = x;
	} else {
		bind_err(e, "unknown key '%s' (domain, pci, bar, phys)", kv);
		return -1;
	}
	return 0;
}

int regbind_add(struct regbind *b, const char *arg, struct regdb_err *e)
{
	struct spec *s = calloc(1, sizeof(*s));
	char *dup = strdup(arg), *tok, *save = NULL, *path = NULL;
	const char *dname = NULL;
	struct regdb *db;
	int rc = -1;

	if (!s || !dup) {
		bind_err(e, "out of memory");
		goto out;
	}
	s->bar = -1;
	tok = strtok_r(dup, ",", &save);
	if (!tok || !*tok) {
		bind_err(e, "'%s': missing FILE", arg);
		goto out;
	}
	path = find_file(b, tok);
	while ((tok = strtok_r(NULL, ",", &save)))
		if (parse_opt(s, tok, &dname, e))
			goto out;
	if (!path) {
		bind_err(e, "out of memory");
		goto out;
	}
	if (!(db = load(b, path, e)))
		goto out;
	s->dom = regdb_domain_find(db, dname);
	if (!s->dom) {
		rdb_errf(e, path, 0, "no domain '%s'", dname);
		goto out;
	}
	*b->stail = s;
	b->stail = &s->next;
	s = NULL;
	rc = 0;
out:
	free(s);
	free(dup);
	free(path);
	return rc;
}

int regbind_set_variant(struct regbind *b, const char *nv, struct regdb_err *e)
{
	char *dup = strdup(nv), *eq;
	struct loaded *l;
	int ok = 0;

	if (!dup) {
		bind_err(e, "out of memory");
		return -1;
	}
	eq = strchr(dup, '=');
	if (!eq || eq == dup || !eq[1]) {
		bind_err(e, "'%s': expected NAME=VALUE", nv);
		free(dup);
		return -1;
	}
	*eq = 0;
	for (l = b->dbs; l; l = l->next) {
		struct regdb_err e2;

		if (rdb_enum_find(l->db, dup)) {
			if (regdb_set_variant(l->db, dup, eq + 1, &e2)) {
				snprintf(e->msg, sizeof(e->msg), "--variant %.60s: %.400s", nv, e2.msg);
				free(dup);
				return -1;
			}
			ok = 1;
		}
	}
	if (!ok) {
		bind_err(e, "no database given with --db has a varset '%s'", dup);
		free(dup);
		return -1;
	}
	if (b->nvars < sizeof(b->vars) / sizeof(b->vars[0]))
		b->vars[b->nvars++] = dup; /* "NAME\0VALUE" */
	else
		free(dup);
	return 0;
}

/* BDF and BAR of a user-space map of a PCI resource file in sysfs:
 * /sys/bus/pci/devices/BDF/resourceN[_wc], /sys/devices/pci.../BDF/resourceN. */
static int sysfs_path_bdf(const char *p, uint16_t *dom, uint8_t *bus, uint8_t *devfn, int *bar)
{
	const char *r = strrchr(p, '/'), *s;
	char bdf[32];
	unsigned n;
	int k = 0;

	if (strncmp(p, "/sys/", 5) || !r || r == p || sscanf(r, "/resource%u%n", &n, &k) != 1 ||
	    n > 5 || (r[k] && strcmp(r + k, "_wc")))
		return -1;
	for (s = r - 1; s > p && *s != '/'; s--)
		;
	if ((size_t)(r - s - 1) >= sizeof(bdf))
		return -1;
	memcpy(bdf, s + 1, r - s - 1);
	bdf[r - s - 1] = 0;
	if (parse_bdf(bdf, dom, bus, devfn))
		return -1;
	*bar = (int)n;
	return 0;
}

struct mapfacts {
	int has_bdf, has_ids, bar;
	uint16_t pci_domain, vendor, device;
	uint8_t bus, devfn;
};

static void facts(const struct mt_map_info *m, struct mapfacts *f)
{
	memset(f, 0, sizeof(*f));
	f->bar = m->bar == 0xff ? -1 : m->bar;
	if (m->source == MT_MAPSRC_PCI || m->pci_bus || m->pci_devfn || m->pci_domain) {
		f->has_bdf = 1;
		f->pci_domain = m->pci_domain;
		f->bus = m->pci_bus;
		f->devfn = m->pci_devfn;
	}
	if (m->path && !sysfs_path_bdf(m->path, &f->pci_domain, &f->bus, &f->devfn, &f->bar))
		f->has_bdf = 1;
	if (m->has_pci_ids) {
		f->has_ids = 1;
		f->vendor = m->pci_ids.vendor;
		f->device = m->pci_ids.device;
	}
}

static int matches(const struct spec *s, const struct mt_map_info *m, const struct mapfacts *f)
{
	if (s->has_ids) {
		if (f->has_ids) {
			if (f->vendor != s->vendor || f->device != s->device)
				return 0;
		} else if (s->bar < 0) {
			return 0; /* ids unknown: only pci= with bar= binds, by the BAR */
		}
	}
	if (s->has_bdf && (!f->has_bdf || f->pci_domain != s->pci_domain || f->bus != s->bus ||
			   f->devfn != s->devfn))
		return 0;
	if (s->bar >= 0 && f->bar != s->bar)
		return 0;
	if (s->has_phys && (s->phys < m->phys || s->phys - m->phys >= m->size))
		return 0;
	return 1;
}

/* regdb.index of the search path: the first line for vendor:device, bar. */
static int index_find(struct regbind *b, const struct mapfacts *f, char **file, char **dom)
{
	size_t i;

	for (i = 0; b->path[i]; i++) {
		char p[4096], line[1024];
		FILE *fp;

		snprintf(p, sizeof(p), "%s/regdb.index", b->path[i]);
		if (!(fp = fopen(p, "re")))
			continue;
		while (fgets(line, sizeof(line), fp)) {
			unsigned v, d;
			int bar;
			char fn[512], dn[128];
			int n = sscanf(line, "%x:%x %d %511s %127s", &v, &d, &bar, fn, dn);

			if (line[0] == '#' || n < 4 || v != f->vendor || d != f->device ||
			    (bar != f->bar && bar != -1))
				continue;
			fclose(fp);
			if (fn[0] == '/')
				*file = strdup(fn);
			else if (asprintf(file, "%s/%s", b->path[i], fn) < 0)
				*file = NULL;
			*dom = n == 5 ? strdup(dn) : NULL;
			return *file ? 0 : -1;
		}
		fclose(fp);
	}
	return -1;
}

static const struct regdb_domain *auto_domain(struct regbind *b, const struct mapfacts *f,
					      struct regdb_err *e, int *err)
{
	char *file = NULL, *dname = NULL;
	const struct regdb_domain *d = NULL;
	struct regdb *db;

	if (!f->has_ids || index_find(b, f, &file, &dname))
		return NULL;
	if ((db = load(b, file, e))) {
		d = regdb_domain_find(db, dname);
		if (!d) {
			rdb_errf(e, file, 0, "no domain '%s' (named in regdb.index)", dname);
			*err = 1;
		}
	} else {
		*err = 1;
	}
	free(file);
	free(dname);
	return d;
}

int regbind_map(struct regbind *b, const struct mt_map_info *m, struct regdb_err *e)
{
	struct mapfacts f;
	const struct spec *s;
	const struct regdb_domain *d = NULL;
	struct mapb *mb = b->maps[m->map_id];
	int err = 0;

	if (mb) {
		regdb_cache_free(mb->cache);
		free(mb);
		b->maps[m->map_id] = NULL;
	}
	facts(m, &f);
	for (s = b->specs; s; s = s->next)
		if (matches(s, m, &f)) {
			d = s->dom;
			break;
		}
	if (!d && b->autobind)
		d = auto_domain(b, &f, e, &err);
	if (!d)
		return err ? -1 : 0;
	mb = calloc(1, sizeof(*mb));
	if (!mb || !(mb->cache = regdb_cache_new(d))) {
		free(mb);
		bind_err(e, "out of memory");
		return -1;
	}
	mb->dom = d;
	mb->map_phys = m->phys;
	if (s && s->has_phys) {
		mb->use_phys = 1;
		mb->phys_origin = s->phys;
	} else if (regdb_domain_absolute(d, NULL)) {
		mb->use_phys = 1;
		mb->phys_origin = 0;
	}
	b->maps[m->map_id] = mb;
	return 0;
}

const struct regdb_domain *regbind_domain(struct regbind *b, uint16_t map_id)
{
	return b->maps[map_id] ? b->maps[map_id]->dom : NULL;
}

const struct regdb_cached *regbind_lookup(struct regbind *b, uint16_t map_id, uint64_t offset,
					  unsigned width, const char **domain)
{
	struct mapb *mb = b->maps[map_id];
	uint64_t key = offset, base = 0;

	if (!mb)
		return NULL;
	if (domain)
		*domain = mb->dom->name;
	if (mb->use_phys) {
		uint64_t a = mb->map_phys + offset;

		if (a < mb->phys_origin)
			return NULL;
		key = a - mb->phys_origin;
		if (mb->phys_origin && regdb_domain_absolute(mb->dom, &base))
			key += base; /* phys= puts the domain's start there */
	}
	return regdb_cache_get(mb->cache, key, width);
}
