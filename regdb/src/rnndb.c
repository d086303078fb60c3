// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * rnndb.c - rnndb XML (envytools, Mesa, drivers/gpu/drm/msm/registers):
 * database, import, domain, reg8/16/32/64, array, stripe, group/use-group,
 * bitset/bitfield, enum/value, variants/varset, access. Every error names
 * file:line. Documentation elements (doc, brief, copyright...) are skipped.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "regdb_int.h"

struct ctx {
	struct regdb *db;
	const char *file;
	int allow_import, depth;
	struct regdb_err *e;
};

#define LINE(n) ((int)xmlGetLineNo(n))

static int is_doc(const xmlNode *n)
{
	static const char *const skip[] = { "doc", "brief", "copyright", "license", "author",
					    "nick", "description", NULL };
	int i;

	for (i = 0; skip[i]; i++)
		if (!xmlStrcmp(n->name, BAD_CAST skip[i]))
			return 1;
	return 0;
}

/* Attribute as a pool string, or NULL. */
static const char *attr(struct ctx *c, xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetProp(n, BAD_CAST name);
	const char *s;

	if (!v)
		return NULL;
	s = rdb_strdup(c->db, (const char *)v);
	xmlFree(v);
	return s;
}

static int oom(struct ctx *c, xmlNode *n)
{
	rdb_errf(c->e, c->file, LINE(n), "out of memory");
	return -1;
}

/* Numeric attribute: 0 (set *v), 1 absent (*v = def), -1 invalid. */
static int num_attr(struct ctx *c, xmlNode *n, const char *name, uint64_t def, uint64_t *v)
{
	const char *s = attr(c, n, name);

	*v = def;
	if (!s)
		return 1;
	if (rdb_parse_num(s, v)) {
		rdb_errf(c->e, c->file, LINE(n), "<%s %s=\"%s\">: not a number", (const char *)n->name,
			 name, s);
		return -1;
	}
	return 0;
}

static const char *need_attr(struct ctx *c, xmlNode *n, const char *name)
{
	const char *s = attr(c, n, name);

	if (!s || !*s)
		rdb_errf(c->e, c->file, LINE(n), "<%s> without %s=", (const char *)n->name, name);
	return s && *s ? s : NULL;
}

static int parse_variants(struct ctx *c, xmlNode *n, struct rdb_variants *var)
{
	const char *s = attr(c, n, "variants");
	char *dup, *tok, *save = NULL;

	var->varset = attr(c, n, "varset");
	if (!s)
		return 0;
	dup = rdb_strdup(c->db, s);
	if (!dup)
		return oom(c, n);
	for (tok = strtok_r(dup, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		struct rdb_vrange *r = rdb_alloc(c->db, sizeof(*r));
		char *sep = strpbrk(tok, "-:");

		if (!r)
			return oom(c, n);
		if (sep) {
			r->inclusive = *sep == ':';
			*sep = 0;
			r->first = *tok ? tok : NULL;
			r->last = sep[1] ? sep + 1 : NULL;
		} else {
			r->first = tok;
			r->inclusive = 2; /* just this one */
		}
		r->next = var->ranges;
		var->ranges = r;
	}
	return 0;
}

static int parse_value(struct ctx *c, xmlNode *n, struct rdb_enum *en, struct rdb_value ***tail)
{
	struct rdb_value *v = rdb_alloc(c->db, sizeof(*v));
	int rc;

	if (!v)
		return oom(c, n);
	if (!(v->name = need_attr(c, n, "name")))
		return -1;
	rc = num_attr(c, n, "value", 0, &v->value);
	if (rc < 0)
		return -1;
	v->has_value = rc == 0;
	if (parse_variants(c, n, &v->var))
		return -1;
	v->active = 1;
	**tail = v;
	*tail = &v->next;
	(void)en;
	return 0;
}

static struct rdb_enum *new_enum(struct ctx *c, const char *name, int inline_)
{
	struct rdb_enum *en = rdb_alloc(c->db, sizeof(*en));

	if (!en)
		return NULL;
	en->name = name ? name : "";
	en->inline_ = inline_;
	en->next = c->db->enums;
	c->db->enums = en;
	return en;
}

static struct rdb_bitset *new_bitset(struct ctx *c, const char *name, int inline_)
{
	struct rdb_bitset *bs = rdb_alloc(c->db, sizeof(*bs));

	if (!bs)
		return NULL;
	bs->name = name ? name : "";
	bs->inline_ = inline_;
	bs->next = c->db->bitsets;
	c->db->bitsets = bs;
	return bs;
}

static int parse_enum(struct ctx *c, xmlNode *n)
{
	const char *name = need_attr(c, n, "name");
	struct rdb_enum *en;
	struct rdb_value **tail;
	xmlNode *k;

	if (!name)
		return -1;
	if (!(en = new_enum(c, name, 0)))
		return oom(c, n);
	tail = &en->values;
	for (k = n->children; k; k = k->next) {
		if (k->type != XML_ELEMENT_NODE || is_doc(k))
			continue;
		if (xmlStrcmp(k->name, BAD_CAST "value")) {
			rdb_errf(c->e, c->file, LINE(k), "<%s> inside <enum>", (const char *)k->name);
			return -1;
		}
		if (parse_value(c, k, en, &tail))
			return -1;
	}
	return 0;
}

static int parse_bitfields(struct ctx *c, xmlNode *n, struct rdb_bitset *bs,
			   unsigned maxbits);
static int parse_bitset(struct ctx *c, xmlNode *n);

/* type=, shr=, radix= and inline <value>/<bitfield> children of n. */
static int parse_type(struct ctx *c, xmlNode *n, struct rdb_type *t, unsigned bits)
{
	const char *ty = attr(c, n, "type");
	uint64_t x;
	xmlNode *k;
	struct rdb_value **tail = NULL;

	if (num_attr(c, n, "shr", 0, &x) < 0)
		return -1;
	if (x >= 64) {
		rdb_errf(c->e, c->file, LINE(n), "shr=%llu out of range", (unsigned long long)x);
		return -1;
	}
	t->shr = (unsigned)x;
	if (num_attr(c, n, "radix", 0, &x) < 0)
		return -1;
	t->radix = x < 64 ? (unsigned)x : 63;
	if (ty) {
		t->kind = RDB_T_NAMED;
		t->tname = ty;
	}
	for (k = n->children; k; k = k->next) {
		if (k->type != XML_ELEMENT_NODE || is_doc(k))
			continue;
		if (!xmlStrcmp(k->name, BAD_CAST "value")) {
			/* values of the whole register beside bitfields (envytools
			 * has some): checked, kept, but the fields decode */
			if (!t->en) {
				if (!(t->en = new_enum(c, NULL, 1)))
					return oom(c, k);
				tail = &t->en->values;
				if (!t->bs)
					t->kind = RDB_T_ENUM;
			}
			if (parse_value(c, k, t->en, &tail))
				return -1;
		} else if (!xmlStrcmp(k->name, BAD_CAST "bitfield")) {
			if (!t->bs) {
				if (!(t->bs = new_bitset(c, NULL, 1)))
					return oom(c, k);
				t->kind = RDB_T_BITSET;
				if (parse_bitfields(c, n, t->bs, bits))
					return -1;
			}
		} else if (!xmlStrcmp(k->name, BAD_CAST "enum")) {
			if (parse_enum(c, k)) /* a named enum defined in place */
				return -1;
		} else if (!xmlStrcmp(k->name, BAD_CAST "bitset")) {
			if (parse_bitset(c, k))
				return -1;
		} else {
			rdb_errf(c->e, c->file, LINE(k), "unexpected <%s> inside <%s>",
				 (const char *)k->name, (const char *)n->name);
			return -1;
		}
	}
	return 0;
}

static int parse_bitfield(struct ctx *c, xmlNode *n, struct rdb_field ***tail, unsigned maxbits)
{
	struct rdb_field *f = rdb_alloc(c->db, sizeof(*f));
	uint64_t lo, hi, pos;
	int rp, rl, rh;

	if (!f)
		return oom(c, n);
	if (!(f->name = need_attr(c, n, "name")))
		return -1;
	if ((rp = num_attr(c, n, "pos", 0, &pos)) < 0 || (rl = num_attr(c, n, "low", 0, &lo)) < 0 ||
	    (rh = num_attr(c, n, "high", 0, &hi)) < 0)
		return -1;
	if (rp == 0) {
		lo = hi = pos;
	} else if (rl || rh) {
		rdb_errf(c->e, c->file, LINE(n), "<bitfield name=\"%s\"> needs pos= or low= and high=",
			 f->name);
		return -1;
	}
	if (hi < lo || hi >= maxbits) {
		rdb_errf(c->e, c->file, LINE(n),
			 "<bitfield name=\"%s\">: bits %llu..%llu do not fit %u bits", f->name,
			 (unsigned long long)lo, (unsigned long long)hi, maxbits);
		return -1;
	}
	f->low = (unsigned)lo;
	f->high = (unsigned)hi;
	f->active = 1;
	f->file = c->file;
	f->line = LINE(n);
	if (parse_variants(c, n, &f->var) || parse_type(c, n, &f->type, f->high - f->low + 1))
		return -1;
	**tail = f;
	*tail = &f->next;
	return 0;
}

static int parse_bitfields(struct ctx *c, xmlNode *n, struct rdb_bitset *bs, unsigned maxbits)
{
	struct rdb_field **tail = &bs->fields;
	xmlNode *k;

	for (k = n->children; k; k = k->next) {
		if (k->type != XML_ELEMENT_NODE || is_doc(k))
			continue;
		if (!xmlStrcmp(k->name, BAD_CAST "bitfield")) {
			if (parse_bitfield(c, k, &tail, maxbits))
				return -1;
		} else if (!xmlStrcmp(n->name, BAD_CAST "bitset")) {
			if (!xmlStrcmp(k->name, BAD_CAST "enum")) {
				if (parse_enum(c, k))
					return -1;
				continue;
			}
			rdb_errf(c->e, c->file, LINE(k), "<%s> inside <bitset>", (const char *)k->name);
			return -1;
		}
	}
	return 0;
}

static int parse_bitset(struct ctx *c, xmlNode *n)
{
	const char *name = need_attr(c, n, "name");
	struct rdb_bitset *bs;

	if (!name)
		return -1;
	if (!(bs = new_bitset(c, name, 0)))
		return oom(c, n);
	return parse_bitfields(c, n, bs, 64);
}

static int parse_elems(struct ctx *c, xmlNode *n, struct regdb_elem *parent);
static int parse_group(struct ctx *c, xmlNode *n);
static int parse_domain(struct ctx *c, xmlNode *n);

static int parse_spectype(struct ctx *c, xmlNode *n)
{
	struct rdb_alias *a = rdb_alloc(c->db, sizeof(*a));

	if (!a)
		return oom(c, n);
	if (!(a->name = need_attr(c, n, "name")) || !(a->type = need_attr(c, n, "type")))
		return -1;
	a->next = c->db->aliases;
	c->db->aliases = a;
	return 0;
}

static struct regdb_elem *new_elem(struct ctx *c, xmlNode *n, enum rdb_ekind kind)
{
	struct regdb_elem *el = rdb_alloc(c->db, sizeof(*el));

	if (!el)
		return NULL;
	el->kind = kind;
	el->file = c->file;
	el->line = LINE(n);
	el->active = 1;
	el->length = 1;
	return el;
}

static int parse_reg(struct ctx *c, xmlNode *n, struct regdb_elem *parent, unsigned bits)
{
	struct regdb_elem *el = new_elem(c, n, RDB_E_REG);

	if (!el)
		return oom(c, n);
	el->width = bits;
	if (!(el->name = need_attr(c, n, "name")))
		return -1;
	if (num_attr(c, n, "offset", 0, &el->offset) ||
	    num_attr(c, n, "length", 1, &el->length) < 0 ||
	    num_attr(c, n, "stride", 0, &el->stride) < 0) {
		if (!c->e->msg[0] || !strstr(c->e->msg, "not a number"))
			rdb_errf(c->e, c->file, LINE(n), "<%s name=\"%s\"> without offset=",
				 (const char *)n->name, el->name);
		return -1;
	}
	el->access = attr(c, n, "access");
	if (parse_variants(c, n, &el->var) || parse_type(c, n, &el->type, bits))
		return -1;
	return rdb_add_kid(c->db, parent, el) ? oom(c, n) : 0;
}

static int parse_array(struct ctx *c, xmlNode *n, struct regdb_elem *parent, int stripe)
{
	struct regdb_elem *el = new_elem(c, n, stripe ? RDB_E_STRIPE : RDB_E_ARRAY);

	if (!el)
		return oom(c, n);
	el->name = attr(c, n, "name"); /* anonymous arrays exist (envytools' pci.xml) */
	el->index = attr(c, n, "index");
	if (num_attr(c, n, "offset", 0, &el->offset) < 0 ||
	    num_attr(c, n, "stride", 0, &el->stride) < 0 ||
	    num_attr(c, n, "length", 1, &el->length) < 0)
		return -1;
	if (!stripe && (!el->stride || !el->length)) {
		rdb_errf(c->e, c->file, LINE(n), "<array name=\"%s\"> needs stride= and length=",
			 el->name ? el->name : "");
		return -1;
	}
	if (el->length > RDB_MAX_LENGTH || (el->stride && el->length > UINT64_MAX / el->stride)) {
		rdb_errf(c->e, c->file, LINE(n), "<%s>: length too large", (const char *)n->name);
		return -1;
	}
	if (parse_variants(c, n, &el->var))
		return -1;
	if (!el->var.varset)
		el->var.varset = attr(c, n, "prefix");
	if (parse_elems(c, n, el))
		return -1;
	return rdb_add_kid(c->db, parent, el) ? oom(c, n) : 0;
}

static int reg_bits(const xmlNode *n)
{
	static const char *const names[] = { "reg8", "reg16", "reg32", "reg64" };
	int i;

	for (i = 0; i < 4; i++)
		if (!xmlStrcmp(n->name, BAD_CAST names[i]))
			return 8 << i;
	return 0;
}

static int parse_elems(struct ctx *c, xmlNode *n, struct regdb_elem *parent)
{
	xmlNode *k;
	int bits;

	for (k = n->children; k; k = k->next) {
		if (k->type != XML_ELEMENT_NODE || is_doc(k))
			continue;
		if ((bits = reg_bits(k))) {
			if (parse_reg(c, k, parent, (unsigned)bits))
				return -1;
		} else if (!xmlStrcmp(k->name, BAD_CAST "array")) {
			if (parse_array(c, k, parent, 0))
				return -1;
		} else if (!xmlStrcmp(k->name, BAD_CAST "stripe")) {
			if (parse_array(c, k, parent, 1))
				return -1;
		} else if (!xmlStrcmp(k->name, BAD_CAST "use-group")) {
			struct regdb_elem *el = new_elem(c, k, RDB_E_USEGROUP);

			if (!el)
				return oom(c, k);
			if (!(el->name = need_attr(c, k, "name")))
				return -1;
			if (rdb_add_kid(c->db, parent, el))
				return oom(c, k);
		} else if (!xmlStrcmp(k->name, BAD_CAST "bitset")) {
			if (parse_bitset(c, k))
				return -1;
		} else if (!xmlStrcmp(k->name, BAD_CAST "enum")) {
			if (parse_enum(c, k))
				return -1;
		} else if (!xmlStrcmp(k->name, BAD_CAST "group")) {
			if (parse_group(c, k))
				return -1;
		} else if (!xmlStrcmp(k->name, BAD_CAST "domain")) {
			if (parse_domain(c, k)) /* a domain defined in place is a domain of its own */
				return -1;
		} else if (!xmlStrcmp(k->name, BAD_CAST "spectype")) {
			if (parse_spectype(c, k))
				return -1;
		} else {
			rdb_errf(c->e, c->file, LINE(k), "unexpected <%s> inside <%s>",
				 (const char *)k->name, (const char *)n->name);
			return -1;
		}
	}
	return 0;
}

static int parse_domain(struct ctx *c, xmlNode *n)
{
	const char *name = need_attr(c, n, "name");
	struct regdb_domain *d;
	uint64_t w;

	if (!name)
		return -1;
	/* a domain may be continued in another file: same name, more elements */
	for (d = c->db->domains; d; d = d->next)
		if (!strcmp(d->name, name))
			break;
	if (!d && !(d = rdb_domain_new(c->db, name)))
		return oom(c, n);
	if (num_attr(c, n, "width", d->width, &w) < 0 || num_attr(c, n, "size", d->size, &d->size) < 0)
		return -1;
	if (w != 8 && w != 16 && w != 32 && w != 64) {
		rdb_errf(c->e, c->file, LINE(n), "<domain name=\"%s\">: width=%llu (8, 16, 32 or 64)",
			 name, (unsigned long long)w);
		return -1;
	}
	d->width = (unsigned)w;
	if (!d->varset)
		d->varset = attr(c, n, "varset");
	if (!d->varset)
		d->varset = attr(c, n, "prefix");
	return parse_elems(c, n, &d->root);
}

static int parse_group(struct ctx *c, xmlNode *n)
{
	struct rdb_group *g = rdb_alloc(c->db, sizeof(*g));

	if (!g)
		return oom(c, n);
	if (!(g->name = need_attr(c, n, "name")))
		return -1;
	g->root.kind = RDB_E_STRIPE;
	g->root.length = 1;
	g->root.active = 1;
	g->next = c->db->groups;
	c->db->groups = g;
	return parse_elems(c, n, &g->root);
}

/* Where <import file=F> is: F beside the importing file, else beside one
 * of its parent directories (envytools and Linux's msm registers name
 * imports from their root: "adreno/adreno_common.xml"), else in a
 * $MMIOTAP_REGDB_PATH directory. malloc'd; F as given if none exists. */
static char *import_path(const char *from, const char *f)
{
	const char *env = getenv("MMIOTAP_REGDB_PATH");
	char *dir, *p = NULL, *slash;

	if (f[0] == '/')
		return strdup(f);
	dir = strdup(from);
	if (!dir)
		return NULL;
	while ((slash = strrchr(dir, '/'))) {
		*slash = 0;
		if (asprintf(&p, "%s/%s", *dir ? dir : "", f) < 0) {
			free(dir);
			return NULL;
		}
		if (!access(p, R_OK)) {
			free(dir);
			return p;
		}
		free(p);
		p = NULL;
	}
	free(dir);
	if (!access(f, R_OK) && !strchr(from, '/'))
		return strdup(f); /* importing file in the current directory */
	if (env) {
		char *e = strdup(env), *tok, *save = NULL;

		for (tok = e ? strtok_r(e, ":", &save) : NULL; tok; tok = strtok_r(NULL, ":", &save)) {
			if (asprintf(&p, "%s/%s", tok, f) < 0)
				break;
			if (!access(p, R_OK)) {
				free(e);
				return p;
			}
			free(p);
			p = NULL;
		}
		free(e);
	}
	slash = strrchr(from, '/');
	if (asprintf(&p, "%.*s%s", slash ? (int)(slash - from + 1) : 0, from, f) < 0)
		return NULL;
	return p;
}

static int parse_import(struct ctx *c, xmlNode *n)
{
	const char *f = need_attr(c, n, "file");
	char *path;
	int rc;

	if (!f)
		return -1;
	if (!c->allow_import) {
		rdb_errf(c->e, c->file, LINE(n), "<import file=\"%s\">: imports not allowed here", f);
		return -1;
	}
	path = import_path(c->file, f);
	if (!path)
		return oom(c, n);
	{
		/* each file once: envytools' databases import the same ones often */
		char *rp = realpath(path, NULL);
		const char *key = rp ? rp : path;
		struct rdb_group *g;

		for (g = c->db->groups; g; g = g->next)
			if (!strncmp(g->name, "\001import:", 8) && !strcmp(g->name + 8, key))
				break;
		if (g) {
			free(rp);
			free(path);
			return 0;
		}
		g = rdb_alloc(c->db, sizeof(*g));
		if (!g || !(g->name = rdb_alloc(c->db, strlen(key) + 9))) {
			free(rp);
			free(path);
			return oom(c, n);
		}
		strcpy((char *)g->name, "\001import:");
		strcat((char *)g->name, key);
		g->next = c->db->groups;
		c->db->groups = g;
		free(rp);
	}
	{
		const char *pooled = rdb_strdup(c->db, path);

		free(path);
		if (!pooled)
			return oom(c, n);
		rc = rdb_load_file(c->db, pooled, c->depth + 1, c->e);
	}
	if (rc && !c->e->msg[0])
		rdb_errf(c->e, c->file, LINE(n), "<import file=\"%s\"> failed", f);
	return rc; /* an error names the imported file:line */
}

int rdb_parse_rnndb(struct regdb *db, xmlDoc *doc, const char *file, int allow_import,
		    int depth, struct regdb_err *e)
{
	struct ctx c = { db, NULL, allow_import, depth, e };
	xmlNode *root = xmlDocGetRootElement(doc), *k;

	c.file = rdb_strdup(db, file);
	if (!c.file)
		return oom(&c, root);
	e->msg[0] = 0;
	for (k = root->children; k; k = k->next) {
		int rc = 0;

		if (k->type != XML_ELEMENT_NODE || is_doc(k))
			continue;
		if (!xmlStrcmp(k->name, BAD_CAST "import"))
			rc = parse_import(&c, k);
		else if (!xmlStrcmp(k->name, BAD_CAST "domain"))
			rc = parse_domain(&c, k);
		else if (!xmlStrcmp(k->name, BAD_CAST "enum"))
			rc = parse_enum(&c, k);
		else if (!xmlStrcmp(k->name, BAD_CAST "bitset"))
			rc = parse_bitset(&c, k);
		else if (!xmlStrcmp(k->name, BAD_CAST "group"))
			rc = parse_group(&c, k);
		else if (!xmlStrcmp(k->name, BAD_CAST "spectype"))
			rc = parse_spectype(&c, k);
		else {
			rdb_errf(e, c.file, LINE(k), "unexpected <%s> inside <database>",
				 (const char *)k->name);
			rc = -1;
		}
		if (rc)
			return -1;
	}
	return 0;
}
