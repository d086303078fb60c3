// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * model.c - the database model: memory pool, loading (rnndb or SVD by the
 * root element), resolution of named types and groups, variants.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "regdb_int.h"

struct rdb_block {
	struct rdb_block *next;
	max_align_t data[];
};

void *rdb_alloc(struct regdb *db, size_t n)
{
	struct rdb_block *b = calloc(1, sizeof(*b) + n);

	if (!b)
		return NULL;
	b->next = db->pool;
	db->pool = b;
	return b->data;
}

char *rdb_strdup(struct regdb *db, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = rdb_alloc(db, n);

	if (p)
		memcpy(p, s, n);
	return p;
}

void rdb_errf(struct regdb_err *e, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!e)
		return;
	if (line > 0)
		n = snprintf(e->msg, sizeof(e->msg), "%s:%d: ", file ? file : "?", line);
	else
		n = snprintf(e->msg, sizeof(e->msg), "%s: ", file ? file : "?");
	if (n < 0 || (size_t)n >= sizeof(e->msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(e->msg + n, sizeof(e->msg) - n, fmt, ap);
	va_end(ap);
}

int rdb_parse_num(const char *s, uint64_t *v)
{
	char *end;
	int base = 0;
	unsigned long long x;

	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	if (*s == '#') {
		s++;
		base = 2;
	} else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
		s += 2;
		base = 2;
	} else if (s[0] == '0' && s[1] >= '0' && s[1] <= '9') {
		base = 10; /* rnndb/SVD: no octal */
	}
	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	x = strtoull(s, &end, base);
	if (errno || end == s)
		return -1;
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	if (*end)
		return -1;
	*v = x;
	return 0;
}

int rdb_add_kid(struct regdb *db, struct regdb_elem *parent, struct regdb_elem *kid)
{
	if (++db->nrefs > RDB_MAX_REFS)
		return -1;
	if (parent->nkids == parent->kcap) {
		size_t cap = parent->kcap ? parent->kcap * 2 : 8;
		struct regdb_elem **k = rdb_alloc(db, cap * sizeof(*k));

		if (!k)
			return -1;
		if (parent->nkids)
			memcpy(k, parent->kids, parent->nkids * sizeof(*k));
		parent->kids = k;
		parent->kcap = cap;
	}
	parent->kids[parent->nkids++] = kid;
	return 0;
}

struct regdb_domain *rdb_domain_new(struct regdb *db, const char *name)
{
	struct regdb_domain *d = rdb_alloc(db, sizeof(*d));

	if (!d)
		return NULL;
	d->name = rdb_strdup(db, name);
	d->width = 32;
	d->root.kind = RDB_E_STRIPE;
	d->root.length = 1;
	d->root.active = 1;
	*db->dtail = d;
	db->dtail = &d->next;
	db->ndomains++;
	return d;
}

struct rdb_enum *rdb_enum_find(struct regdb *db, const char *name)
{
	struct rdb_enum *en;

	for (en = db->enums; en; en = en->next)
		if (!en->inline_ && !strcmp(en->name, name))
			return en;
	return NULL;
}

static struct rdb_bitset *bitset_find(struct regdb *db, const char *name)
{
	struct rdb_bitset *bs;

	for (bs = db->bitsets; bs; bs = bs->next)
		if (!bs->inline_ && !strcmp(bs->name, name))
			return bs;
	return NULL;
}

static const struct {
	const char *name;
	enum rdb_tkind kind;
} builtin_types[] = {
	{ "hex", RDB_T_HEX }, { "uint", RDB_T_UINT }, { "int", RDB_T_INT },
	{ "boolean", RDB_T_BOOL }, { "fixed", RDB_T_FIXED }, { "ufixed", RDB_T_UFIXED },
	{ "float", RDB_T_FLOAT }, { "address", RDB_T_HEX }, { "waddress", RDB_T_HEX },
	{ "a3xx_regid", RDB_T_HEX }, { "uoffset", RDB_T_UINT }, { "offset", RDB_T_INT },
};

static int resolve_type(struct regdb *db, struct rdb_type *t, const char *file, int line,
			struct regdb_err *e)
{
	const struct rdb_alias *a;
	size_t i;
	int hops;

	if (t->kind != RDB_T_NAMED)
		return 0;
	/* spectype aliases, followed a few times */
	for (hops = 0; hops < 8; hops++) {
		for (a = db->aliases; a; a = a->next)
			if (!strcmp(a->name, t->tname))
				break;
		if (!a || !strcmp(a->type, t->tname))
			break;
		t->tname = a->type;
	}
	for (i = 0; i < sizeof(builtin_types) / sizeof(builtin_types[0]); i++)
		if (!strcmp(t->tname, builtin_types[i].name)) {
			t->kind = builtin_types[i].kind;
			return 0;
		}
	if ((t->en = rdb_enum_find(db, t->tname))) {
		t->kind = RDB_T_ENUM;
		return 0;
	}
	if ((t->bs = bitset_find(db, t->tname))) {
		t->kind = RDB_T_BITSET;
		return 0;
	}
	rdb_errf(e, file, line, "unknown type '%s'", t->tname);
	return -1;
}

static int resolve_bitsets(struct regdb *db, struct regdb_err *e)
{
	struct rdb_bitset *bs;
	struct rdb_field *f;

	for (bs = db->bitsets; bs; bs = bs->next)
		for (f = bs->fields; f; f = f->next)
			if (resolve_type(db, &f->type, f->file, f->line, e))
				return -1;
	return 0;
}

static struct rdb_group *group_find(struct regdb *db, const char *name)
{
	struct rdb_group *g;

	for (g = db->groups; g; g = g->next)
		if (!strcmp(g->name, name))
			return g;
	return NULL;
}

/* Replace use-group elements by the group's elements (shared, read-only). */
static int resolve_elem(struct regdb *db, struct regdb_elem *el, int depth,
			struct regdb_err *e)
{
	size_t i, j;

	if (el->kind == RDB_E_REG)
		return resolve_type(db, &el->type, el->file, el->line, e);
	if (el->index && !el->index_en) /* an enum not loaded: numbers, as without */
		el->index_en = rdb_enum_find(db, el->index);
	for (i = 0; i < el->nkids; i++) {
		struct regdb_elem *k = el->kids[i];

		if (k->kind == RDB_E_USEGROUP) {
			struct rdb_group *g = group_find(db, k->name);

			if (!g) {
				rdb_errf(e, k->file, k->line, "use-group: no group '%s'", k->name);
				return -1;
			}
			if (depth >= 32) {
				rdb_errf(e, k->file, k->line,
					 "use-group '%s': groups used recursively (or nested > 32)", k->name);
				return -1;
			}
			if (resolve_elem(db, &g->root, depth + 1, e))
				return -1;
			/* splice g's kids in place of k */
			el->nkids--;
			memmove(&el->kids[i], &el->kids[i + 1], (el->nkids - i) * sizeof(*el->kids));
			for (j = 0; j < g->root.nkids; j++) {
				if (rdb_add_kid(db, el, g->root.kids[j])) {
					rdb_errf(e, k->file, k->line,
						 "use-group '%s': over %u elements (or out of memory)",
						 k->name, RDB_MAX_REFS);
					return -1;
				}
			}
			i--;
			continue;
		}
		if (resolve_elem(db, k, depth + 1, e))
			return -1;
	}
	return 0;
}

int rdb_finalize(struct regdb *db, struct regdb_err *e)
{
	struct regdb_domain *d;

	if (resolve_bitsets(db, e))
		return -1;
	for (d = db->domains; d; d = d->next)
		if (resolve_elem(db, &d->root, 0, e))
			return -1;
	if (!db->domains) {
		rdb_errf(e, db->name, 0, "no domain or peripheral in the database");
		return -1;
	}
	rdb_apply_variants(db);
	return 0;
}

/* The first error libxml2 reports (the last one is often "premature end"). */
struct first_err {
	char msg[300];
	int line, set;
};

static void keep_first(void *ctx, xmlErrorPtr err)
{
	struct first_err *f = ctx;
	size_t n;

	if (f->set || !err || !err->message)
		return;
	snprintf(f->msg, sizeof(f->msg), "%s", err->message);
	n = strlen(f->msg);
	while (n && f->msg[n - 1] == '\n')
		f->msg[--n] = 0;
	f->line = err->line;
	f->set = 1;
}

int rdb_load_mem(struct regdb *db, const char *buf, size_t len, const char *name,
		 int allow_import, int depth, struct regdb_err *e)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	int rc;

	if (!db->name && !(db->name = rdb_strdup(db, name))) {
		rdb_errf(e, name, 0, "out of memory");
		return -1;
	}
	if (len > 64u << 20) {
		rdb_errf(e, name, 0, "file too large");
		return -1;
	}
	{
		struct first_err fe = { .set = 0 };

		xmlSetStructuredErrorFunc(&fe, keep_first);
		doc = xmlReadMemory(buf, (int)len, name, NULL,
				    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		xmlSetStructuredErrorFunc(NULL, NULL);
		if (!doc) {
			if (fe.set)
				rdb_errf(e, name, fe.line, "not well-formed XML: %s", fe.msg);
			else
				rdb_errf(e, name, 0, "not well-formed XML");
			return -1;
		}
	}
	root = xmlDocGetRootElement(doc);
	if (!root) {
		rdb_errf(e, name, 0, "empty document");
		rc = -1;
	} else if (!xmlStrcmp(root->name, BAD_CAST "database")) {
		rc = rdb_parse_rnndb(db, doc, name, allow_import, depth, e);
	} else if (!xmlStrcmp(root->name, BAD_CAST "device")) {
		rc = rdb_parse_svd(db, doc, name, e);
	} else {
		rdb_errf(e, name, xmlGetLineNo(root),
			 "root element <%s> is neither rnndb <database> nor SVD <device>",
			 (const char *)root->name);
		rc = -1;
	}
	xmlFreeDoc(doc);
	return rc;
}

int rdb_load_file(struct regdb *db, const char *path, int depth, struct regdb_err *e)
{
	FILE *f;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	int rc;

	if (depth > RDB_MAX_IMPORT_DEPTH) {
		rdb_errf(e, path, 0, "imports nested too deep (or a cycle)");
		return -1;
	}
	f = fopen(path, "re");
	if (!f) {
		rdb_errf(e, path, 0, "%s", strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			char *nb;

			cap = cap ? cap * 2 : 65536;
			if (cap > (64u << 20) + 1 || !(nb = realloc(buf, cap))) {
				rdb_errf(e, path, 0, cap > (64u << 20) + 1 ? "file too large"
									  : "out of memory");
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		rdb_errf(e, path, 0, "read error");
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	rc = rdb_load_mem(db, buf, len, path, 1, depth, e);
	free(buf);
	return rc;
}

static struct regdb *regdb_new(void)
{
	struct regdb *db = calloc(1, sizeof(*db));

	if (db)
		db->dtail = &db->domains;
	return db;
}

int regdb_load(struct regdb **out, const char *path, struct regdb_err *e)
{
	struct regdb *db = regdb_new();

	*out = NULL;
	if (!db) {
		rdb_errf(e, path, 0, "out of memory");
		return -1;
	}
	if (rdb_load_file(db, path, 0, e) || rdb_finalize(db, e)) {
		regdb_free(db);
		return -1;
	}
	*out = db;
	return 0;
}

int regdb_load_mem(struct regdb **out, const char *buf, size_t len, const char *name,
		   int allow_import, struct regdb_err *e)
{
	struct regdb *db = regdb_new();

	*out = NULL;
	if (!db) {
		rdb_errf(e, name, 0, "out of memory");
		return -1;
	}
	if (rdb_load_mem(db, buf, len, name, allow_import, 0, e) || rdb_finalize(db, e)) {
		regdb_free(db);
		return -1;
	}
	*out = db;
	return 0;
}

void regdb_free(struct regdb *db)
{
	struct rdb_block *b, *n;

	if (!db)
		return;
	for (b = db->pool; b; b = n) {
		n = b->next;
		free(b);
	}
	free(db);
}

const struct regdb_domain *regdb_domain_find(const struct regdb *db, const char *name)
{
	const struct regdb_domain *d;

	for (d = db->domains; d; d = d->next)
		if (!name || !strcmp(d->name, name))
			return d;
	return NULL;
}

size_t regdb_domain_count(const struct regdb *db)
{
	return db->ndomains;
}

const struct regdb_domain *regdb_domain_at(const struct regdb *db, size_t i)
{
	const struct regdb_domain *d = db->domains;

	while (d && i--)
		d = d->next;
	return d;
}

const char *regdb_domain_name(const struct regdb_domain *d)
{
	return d->name;
}

int regdb_domain_absolute(const struct regdb_domain *d, uint64_t *base)
{
	if (base)
		*base = d->base;
	return d->absolute;
}
