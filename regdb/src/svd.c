// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * svd.c - CMSIS-SVD: device/peripherals/peripheral (baseAddress,
 * derivedFrom, dim), register (derivedFrom: REG of the same block or
 * PERIPH.[CLUSTER.]REG, its elements overriding the source's) and cluster
 * (addressOffset, size, access, resetValue, dim/dimIncrement/dimIndex),
 * field (bitOffset+bitWidth, lsb/msb, bitRange), enumeratedValues. The
 * device becomes one absolute domain (named after the device) holding
 * every peripheral at its base address, followed by one absolute domain
 * per peripheral (per element of a peripheral array).
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "regdb_int.h"

struct sctx {
	struct regdb *db;
	const char *file;
	struct regdb_err *e;
};

#define LINE(n) ((int)xmlGetLineNo(n))

static xmlNode *child(xmlNode *n, const char *name)
{
	xmlNode *k;

	for (k = n ? n->children : NULL; k; k = k->next)
		if (k->type == XML_ELEMENT_NODE && !xmlStrcmp(k->name, BAD_CAST name))
			return k;
	return NULL;
}

static int blank(char ch)
{
	return ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r';
}

/* s without the blanks around it: its start, its length in *len. */
static const char *trim(const char *s, size_t *len)
{
	size_t l;

	while (blank(*s))
		s++;
	l = strlen(s);
	while (l && blank(s[l - 1]))
		l--;
	*len = l;
	return s;
}

/* Text of <name> under n as a pool string (trimmed), or NULL. */
static const char *text(struct sctx *c, xmlNode *n, const char *name)
{
	xmlNode *k = child(n, name);
	xmlChar *t;
	char *s, *p;
	size_t l;

	if (!k || !(t = xmlNodeGetContent(k)))
		return NULL;
	s = rdb_strdup(c->db, (const char *)t);
	xmlFree(t);
	if (!s)
		return NULL;
	p = (char *)trim(s, &l);
	p[l] = 0;
	return p;
}

/* 0 set, 1 absent (def), -1 bad (error set). */
static int num(struct sctx *c, xmlNode *n, const char *name, uint64_t def, uint64_t *v)
{
	const char *s = text(c, n, name);

	*v = def;
	if (!s)
		return 1;
	if (rdb_parse_num(s, v)) {
		rdb_errf(c->e, c->file, LINE(child(n, name)), "<%s>%s</%s>: not a number", name, s,
			 name);
		return -1;
	}
	return 0;
}

static int oom(struct sctx *c, xmlNode *n)
{
	rdb_errf(c->e, c->file, LINE(n), "out of memory");
	return -1;
}

static int parse_enumvals(struct sctx *c, xmlNode *ev, struct rdb_type *t)
{
	struct rdb_enum *en = rdb_alloc(c->db, sizeof(*en));
	struct rdb_value **tail;
	xmlNode *k;

	if (!en)
		return oom(c, ev);
	en->name = "";
	en->inline_ = 1;
	en->next = c->db->enums;
	c->db->enums = en;
	tail = &en->values;
	for (k = ev->children; k; k = k->next) {
		struct rdb_value *v;
		const char *s;

		if (k->type != XML_ELEMENT_NODE || xmlStrcmp(k->name, BAD_CAST "enumeratedValue"))
			continue;
		if (!(s = text(c, k, "value")))
			continue; /* isDefault */
		if (!(v = rdb_alloc(c->db, sizeof(*v))))
			return oom(c, k);
		v->name = text(c, k, "name");
		if (!v->name) {
			rdb_errf(c->e, c->file, LINE(k), "<enumeratedValue> without <name>");
			return -1;
		}
		if (rdb_parse_num(s, &v->value)) {
			/* "#1x0" don't-care bits: not representable as one value */
			if (strchr(s, 'x') && s[0] == '#')
				continue;
			rdb_errf(c->e, c->file, LINE(k), "<enumeratedValue> %s: bad <value>%s</value>",
				 v->name, s);
			return -1;
		}
		v->has_value = 1;
		v->active = 1;
		*tail = v;
		tail = &v->next;
	}
	t->kind = RDB_T_ENUM;
	t->en = en;
	return 0;
}

static int parse_field(struct sctx *c, xmlNode *f, struct rdb_field ***tail, unsigned bits)
{
	struct rdb_field *fd = rdb_alloc(c->db, sizeof(*fd));
	uint64_t off, w, lsb, msb;
	const char *br;
	xmlNode *ev;
	int ro, rw;

	if (!fd)
		return oom(c, f);
	if (!(fd->name = text(c, f, "name"))) {
		rdb_errf(c->e, c->file, LINE(f), "<field> without <name>");
		return -1;
	}
	if ((ro = num(c, f, "bitOffset", 0, &off)) < 0 || (rw = num(c, f, "bitWidth", 1, &w)) < 0)
		return -1;
	if (ro == 0) {
		lsb = off;
		msb = off + w - 1;
		if (w == 0 || off + w < off) {
			rdb_errf(c->e, c->file, LINE(f), "<field> %s: bitWidth 0", fd->name);
			return -1;
		}
	} else if ((br = text(c, f, "bitRange"))) {
		unsigned long long a, b;
		char end;

		if (sscanf(br, "[%llu:%llu%c", &a, &b, &end) != 3 || end != ']') {
			rdb_errf(c->e, c->file, LINE(f), "<field> %s: bad <bitRange>%s</bitRange>",
				 fd->name, br);
			return -1;
		}
		msb = a;
		lsb = b;
	} else {
		int rl = num(c, f, "lsb", 0, &lsb), rm = num(c, f, "msb", 0, &msb);

		if (rl < 0 || rm < 0)
			return -1;
		if (rl || rm) {
			rdb_errf(c->e, c->file, LINE(f),
				 "<field> %s: needs bitOffset+bitWidth, lsb+msb or bitRange", fd->name);
			return -1;
		}
	}
	if (msb < lsb || msb >= bits) {
		rdb_errf(c->e, c->file, LINE(f), "<field> %s: bits %llu..%llu do not fit %u bits",
			 fd->name, (unsigned long long)lsb, (unsigned long long)msb, bits);
		return -1;
	}
	fd->low = (unsigned)lsb;
	fd->high = (unsigned)msb;
	fd->active = 1;
	fd->file = c->file;
	fd->line = LINE(f);
	fd->type.kind = fd->low == fd->high ? RDB_T_NONE : RDB_T_HEX;
	if ((ev = child(f, "enumeratedValues")) && parse_enumvals(c, ev, &fd->type))
		return -1;
	**tail = fd;
	*tail = &fd->next;
	return 0;
}

struct dflt {
	uint64_t size;
	const char *access;
};

/* dim, dimIncrement, dimIndex ("0-3" or "A,B,C") of n into el. */
static int parse_dim(struct sctx *c, xmlNode *n, struct regdb_elem *el)
{
	uint64_t dim, inc;
	const char *idx;
	int r;

	if ((r = num(c, n, "dim", 1, &dim)) < 0 || num(c, n, "dimIncrement", 0, &inc) < 0)
		return -1;
	if (r == 1)
		return 0;
	if (dim == 0 || dim > 65536 || (dim > 1 && !inc)) {
		rdb_errf(c->e, c->file, LINE(n), "%s: <dim>%llu</dim> needs 1..65536 and <dimIncrement>",
			 el->name, (unsigned long long)dim);
		return -1;
	}
	el->length = dim;
	el->stride = inc;
	idx = text(c, n, "dimIndex");
	if (el->name && strstr(el->name, "[%s]")) {
		/* NAME[%s]: an array, printed NAME[0x1] */
		char *p = strstr(el->name, "[%s]");

		*p = 0;
		return 0;
	}
	if (el->name && strstr(el->name, "%s")) {
		uint64_t i;
		unsigned long a, b;
		char *dup = NULL, *tok, *save = NULL;

		el->idxnames = rdb_alloc(c->db, dim * sizeof(*el->idxnames));
		if (!el->idxnames)
			return oom(c, n);
		if (idx && sscanf(idx, "%lu-%lu", &a, &b) == 2 && b >= a && b - a + 1 == dim) {
			for (i = 0; i < dim; i++) {
				char buf[24];

				snprintf(buf, sizeof(buf), "%lu", a + (unsigned long)i);
				if (!(el->idxnames[i] = rdb_strdup(c->db, buf)))
					return oom(c, n);
			}
			return 0;
		}
		if (idx && !(dup = rdb_strdup(c->db, idx)))
			return oom(c, n);
		for (i = 0, tok = idx ? strtok_r(dup, ",", &save) : NULL; i < dim; i++) {
			char buf[24];

			if (tok) {
				el->idxnames[i] = tok;
				tok = strtok_r(NULL, ",", &save);
			} else if (idx) {
				rdb_errf(c->e, c->file, LINE(n), "%s: <dimIndex> has fewer than %llu names",
					 el->name, (unsigned long long)dim);
				return -1;
			} else {
				snprintf(buf, sizeof(buf), "%llu", (unsigned long long)i);
				if (!(el->idxnames[i] = rdb_strdup(c->db, buf)))
					return oom(c, n);
			}
		}
	}
	return 0;
}

static int parse_block(struct sctx *c, xmlNode *n, struct regdb_elem *parent, struct dflt d,
		       int depth);

/* A register's derivedFrom chain: the register, then what it derives from. */
#define SVD_MAX_DERIVE 16
struct rchain {
	xmlNode *n[SVD_MAX_DERIVE + 1];
	int len;
};

/* The <tag> child of the first node of the chain that has one. */
static xmlNode *own_or(const struct rchain *ch, const char *tag)
{
	for (int i = 0; i < ch->len; i++)
		if (child(ch->n[i], tag))
			return ch->n[i];
	return ch->n[0];
}

/* Whether n's <name> is name[0..len), blanks around it aside (not copied
 * into the pool: a search runs once per derived register). */
static int has_name(xmlNode *n, const char *name, size_t len)
{
	xmlNode *k = child(n, "name");
	xmlChar *t = k ? xmlNodeGetContent(k) : NULL;
	const char *s;
	size_t l;
	int eq;

	if (!t)
		return 0;
	s = trim((const char *)t, &l);
	eq = l == len && !strncmp(s, name, len);
	xmlFree(t);
	return eq;
}

/* The element named name among the <tag> children of n. */
static xmlNode *named(struct sctx *c, xmlNode *n, const char *tag, const char *name, size_t len)
{
	(void)c;
	for (xmlNode *k = n ? n->children : NULL; k; k = k->next)
		if (k->type == XML_ELEMENT_NODE && !xmlStrcmp(k->name, BAD_CAST tag) &&
		    has_name(k, name, len))
			return k;
	return NULL;
}

/* derivedFrom="REG" (a register of the same block) or "PERIPH.[CLUSTER.]REG". */
static xmlNode *derive_source(struct sctx *c, xmlNode *r, const char *from)
{
	const char *dot = strchr(from, '.'), *s;
	xmlNode *n;

	if (!dot)
		return named(c, r->parent, "register", from, strlen(from));
	xmlNode *ps = child(xmlDocGetRootElement(r->doc), "peripherals");

	n = named(c, ps, "peripheral", from, (size_t)(dot - from));
	/* a peripheral derived from another has the other's registers */
	for (int hops = 0; n && !child(n, "registers") && hops <= SVD_MAX_DERIVE; hops++) {
		xmlChar *df = xmlGetProp(n, BAD_CAST "derivedFrom");

		n = df ? named(c, ps, "peripheral", (const char *)df, strlen((const char *)df)) : NULL;
		xmlFree(df);
	}
	n = child(n, "registers");
	for (s = dot + 1; n && (dot = strchr(s, '.')); s = dot + 1)
		n = named(c, n, "cluster", s, (size_t)(dot - s));
	return n ? named(c, n, "register", s, strlen(s)) : NULL;
}

static int derive_chain(struct sctx *c, xmlNode *r, const char *name, struct rchain *ch)
{
	const char *first = NULL; /* the register's own derivedFrom, for the message */
	xmlChar *df;

	ch->n[0] = r;
	ch->len = 1;
	while ((df = xmlGetProp(ch->n[ch->len - 1], BAD_CAST "derivedFrom"))) {
		char *from = rdb_strdup(c->db, (const char *)df);
		xmlNode *src;

		xmlFree(df);
		if (!from)
			return oom(c, r);
		if (!first)
			first = from;
		src = ch->len <= SVD_MAX_DERIVE ? derive_source(c, ch->n[ch->len - 1], from) : NULL;
		for (int i = 0; src && i < ch->len; i++)
			if (ch->n[i] == src)
				src = NULL;
		if (!src) {
			rdb_errf(c->e, c->file, LINE(r), "<register> %s: derivedFrom=\"%s\" %s", name,
				 first, ch->len > SVD_MAX_DERIVE ? "nests too deep" : "not found or loops");
			return -1;
		}
		ch->n[ch->len++] = src;
	}
	return 0;
}

static int parse_register(struct sctx *c, xmlNode *r, struct regdb_elem *parent, struct dflt d)
{
	struct regdb_elem *el = rdb_alloc(c->db, sizeof(*el));
	uint64_t size;
	xmlNode *fs, *f;
	struct rdb_field **tail;
	struct rchain ch;
	int rr;

	if (!el)
		return oom(c, r);
	el->kind = RDB_E_REG;
	el->file = c->file;
	el->line = LINE(r);
	el->active = 1;
	el->length = 1;
	if (!(el->name = text(c, r, "name"))) {
		rdb_errf(c->e, c->file, LINE(r), "<register> without <name>");
		return -1;
	}
	if (derive_chain(c, r, el->name, &ch))
		return -1;
	if ((rr = num(c, own_or(&ch, "addressOffset"), "addressOffset", 0, &el->offset)) != 0) {
		if (rr > 0)
			rdb_errf(c->e, c->file, LINE(r), "<register> %s without <addressOffset>", el->name);
		return -1;
	}
	if (num(c, own_or(&ch, "size"), "size", d.size, &size) < 0)
		return -1;
	if (size == 0 || size > 64) {
		rdb_errf(c->e, c->file, LINE(r), "<register> %s: <size>%llu</size> (1..64 bits)",
			 el->name, (unsigned long long)size);
		return -1;
	}
	el->width = (unsigned)size;
	el->access = text(c, own_or(&ch, "access"), "access");
	if (!el->access)
		el->access = d.access;
	if ((rr = num(c, own_or(&ch, "resetValue"), "resetValue", 0, &el->reset)) < 0)
		return -1;
	el->has_reset = rr == 0;
	if (parse_dim(c, own_or(&ch, "dim"), el))
		return -1;
	if ((fs = child(own_or(&ch, "fields"), "fields"))) {
		struct rdb_bitset *bs = rdb_alloc(c->db, sizeof(*bs));

		if (!bs)
			return oom(c, r);
		bs->name = "";
		bs->inline_ = 1;
		bs->next = c->db->bitsets;
		c->db->bitsets = bs;
		tail = &bs->fields;
		for (f = fs->children; f; f = f->next)
			if (f->type == XML_ELEMENT_NODE && !xmlStrcmp(f->name, BAD_CAST "field") &&
			    parse_field(c, f, &tail, el->width))
				return -1;
		el->type.kind = RDB_T_BITSET;
		el->type.bs = bs;
	}
	return rdb_add_kid(c->db, parent, el) ? oom(c, r) : 0;
}

static int parse_cluster(struct sctx *c, xmlNode *n, struct regdb_elem *parent, struct dflt d,
			 int depth)
{
	struct regdb_elem *el = rdb_alloc(c->db, sizeof(*el));

	if (!el)
		return oom(c, n);
	el->kind = RDB_E_STRIPE;
	el->file = c->file;
	el->line = LINE(n);
	el->active = 1;
	el->length = 1;
	if (!(el->name = text(c, n, "name"))) {
		rdb_errf(c->e, c->file, LINE(n), "<cluster> without <name>");
		return -1;
	}
	if (num(c, n, "addressOffset", 0, &el->offset) < 0 || parse_dim(c, n, el))
		return -1;
	if (parse_block(c, n, el, d, depth + 1))
		return -1;
	return rdb_add_kid(c->db, parent, el) ? oom(c, n) : 0;
}

static int parse_block(struct sctx *c, xmlNode *n, struct regdb_elem *parent, struct dflt d,
		       int depth)
{
	xmlNode *k;

	if (depth > REGDB_MAX_DEPTH) {
		rdb_errf(c->e, c->file, LINE(n), "clusters nested deeper than %d", REGDB_MAX_DEPTH);
		return -1;
	}
	if (num(c, n, "size", d.size, &d.size) < 0)
		return -1;
	if (child(n, "access"))
		d.access = text(c, n, "access");
	for (k = n->children; k; k = k->next) {
		if (k->type != XML_ELEMENT_NODE)
			continue;
		if (!xmlStrcmp(k->name, BAD_CAST "register")) {
			if (parse_register(c, k, parent, d))
				return -1;
		} else if (!xmlStrcmp(k->name, BAD_CAST "cluster")) {
			if (parse_cluster(c, k, parent, d, depth))
				return -1;
		}
	}
	return 0;
}

static xmlNode *find_peripheral(xmlNode *ps, const char *name, struct sctx *c)
{
	xmlNode *k;

	for (k = ps->children; k; k = k->next) {
		const char *nm;

		if (k->type != XML_ELEMENT_NODE || xmlStrcmp(k->name, BAD_CAST "peripheral"))
			continue;
		nm = text(c, k, "name");
		if (nm && !strcmp(nm, name))
			return k;
	}
	return NULL;
}

/* One absolute domain per peripheral (per element of a peripheral array:
 * NAME%s with its dimIndex names, or NAME[%s] as NAME0, NAME1, ...). */
static int peripheral_domains(struct sctx *c, xmlNode *p, const char *name,
			      const struct regdb_elem *el)
{
	for (uint64_t i = 0; i < el->length; i++) {
		char buf[256];
		const char *arr = strstr(name, "[%s]"), *pct = strstr(name, "%s");
		struct regdb_domain *pd;

		/* as parse_dim() reads the name: [%s] first, then %s */
		if (arr)
			snprintf(buf, sizeof(buf), "%.*s%llu%s", (int)(arr - name), name,
				 (unsigned long long)i, arr + 4);
		else if (pct && el->idxnames)
			snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(pct - name), name,
				 el->idxnames[i], pct + 2);
		else
			snprintf(buf, sizeof(buf), "%s", name);
		if (!(pd = rdb_domain_new(c->db, buf)))
			return oom(c, p);
		pd->absolute = 1;
		pd->base = el->offset + i * el->stride;
		pd->root.kids = el->kids;
		pd->root.nkids = pd->root.kcap = el->nkids;
	}
	return 0;
}

static int parse_peripheral(struct sctx *c, xmlNode *ps, xmlNode *p, struct regdb_domain *dev,
			    struct dflt d)
{
	const char *name = text(c, p, "name"), *from = NULL;
	struct regdb_elem *el = rdb_alloc(c->db, sizeof(*el));
	const char *pattern = name;
	xmlNode *regs, *src = p;
	xmlChar *df;
	uint64_t base;
	int hops;

	if (!el)
		return oom(c, p);
	if (!name) {
		rdb_errf(c->e, c->file, LINE(p), "<peripheral> without <name>");
		return -1;
	}
	if (num(c, p, "baseAddress", 0, &base)) {
		if (!c->e->msg[0])
			rdb_errf(c->e, c->file, LINE(p), "<peripheral> %s without <baseAddress>", name);
		return -1;
	}
	/* derivedFrom: the registers of another peripheral (chains followed) */
	for (hops = 0; !child(src, "registers") && (df = xmlGetProp(src, BAD_CAST "derivedFrom"));
	     hops++) {
		from = rdb_strdup(c->db, (const char *)df);
		xmlFree(df);
		if (!from || hops > 16 || !(src = find_peripheral(ps, from, c))) {
			rdb_errf(c->e, c->file, LINE(p), "<peripheral> %s: derivedFrom=\"%s\" %s", name,
				 from ? from : "?", hops > 16 ? "loops" : "not found");
			return -1;
		}
	}
	if (num(c, src, "size", d.size, &d.size) < 0)
		return -1;
	el->kind = RDB_E_STRIPE;
	el->name = name;
	el->offset = base;
	el->length = 1;
	el->active = 1;
	el->file = c->file;
	el->line = LINE(p);
	/* a peripheral array: its own <dim> (the name is cut at [%s] for it) */
	if (!(pattern = rdb_strdup(c->db, name)) || parse_dim(c, p, el))
		return pattern ? -1 : oom(c, p);
	if ((regs = child(src, "registers")) && parse_block(c, regs, el, d, 0))
		return -1;
	if (rdb_add_kid(c->db, &dev->root, el))
		return oom(c, p);
	return peripheral_domains(c, p, pattern, el);
}

int rdb_parse_svd(struct regdb *db, xmlDoc *doc, const char *file, struct regdb_err *e)
{
	struct sctx c = { db, NULL, e };
	xmlNode *root = xmlDocGetRootElement(doc), *ps, *p;
	struct regdb_domain *dev;
	struct dflt d = { 32, NULL };
	const char *name;

	e->msg[0] = 0;
	if (!(c.file = rdb_strdup(db, file)))
		return oom(&c, root);
	name = text(&c, root, "name");
	if (!name) {
		rdb_errf(e, file, LINE(root), "<device> without <name>");
		return -1;
	}
	if (num(&c, root, "size", 32, &d.size) < 0)
		return -1;
	d.access = text(&c, root, "access");
	if (!(ps = child(root, "peripherals"))) {
		rdb_errf(e, file, LINE(root), "<device> without <peripherals>");
		return -1;
	}
	if (!(dev = rdb_domain_new(db, name)))
		return oom(&c, root);
	dev->absolute = 1;
	for (p = ps->children; p; p = p->next)
		if (p->type == XML_ELEMENT_NODE && !xmlStrcmp(p->name, BAD_CAST "peripheral") &&
		    parse_peripheral(&c, ps, p, dev, d))
			return -1;
	return 0;
}
