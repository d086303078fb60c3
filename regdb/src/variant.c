// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * variant.c - variants="NV04-NV50 NVC0:NVE0" against the values selected
 * with regdb_set_variant(): ranges are positions in the varset enum, "A-B"
 * excludes B, "A:B" includes it, an open end runs to the enum's end.
 */
#include <string.h>

#include "regdb_int.h"

static long value_pos(const struct rdb_enum *en, const char *name)
{
	const struct rdb_value *v;
	long i = 0;

	for (v = en->values; v; v = v->next, i++)
		if (!strcmp(v->name, name))
			return i;
	return -1;
}

static long enum_len(const struct rdb_enum *en)
{
	const struct rdb_value *v;
	long i = 0;

	for (v = en->values; v; v = v->next)
		i++;
	return i;
}

/* 1 if var admits the selection (or nothing is selected for its varset). */
static int admits(struct regdb *db, const struct rdb_variants *var, const char *inherited)
{
	const char *vs = var->varset ? var->varset : inherited;
	const struct rdb_varsel *sel;
	const struct rdb_vrange *r;
	struct rdb_enum *en;
	long pos, a, b;

	if (!var->ranges)
		return 1;
	for (sel = db->varsel; sel; sel = sel->next)
		if (!vs || !strcmp(sel->varset, vs))
			break;
	if (!sel || !(en = rdb_enum_find(db, sel->varset)))
		return 1;
	pos = value_pos(en, sel->value);
	for (r = var->ranges; r; r = r->next) {
		a = r->first ? value_pos(en, r->first) : 0;
		if (r->last) {
			b = value_pos(en, r->last);
			if (b >= 0 && r->inclusive)
				b++;
		} else {
			b = r->first && r->inclusive == 2 ? a + 1 : enum_len(en);
		}
		if (a >= 0 && b >= 0 && pos >= a && pos < b)
			return 1;
	}
	return 0;
}

static void apply_elem(struct regdb *db, struct regdb_elem *el, const char *vs, int depth)
{
	size_t i;

	if (depth > 64)
		return;
	if (el->var.varset)
		vs = el->var.varset;
	el->active = admits(db, &el->var, vs);
	for (i = 0; i < el->nkids; i++)
		apply_elem(db, el->kids[i], vs, depth + 1);
}

void rdb_apply_variants(struct regdb *db)
{
	struct regdb_domain *d;
	struct rdb_bitset *bs;
	struct rdb_field *f;
	struct rdb_enum *en;
	struct rdb_value *v;

	for (d = db->domains; d; d = d->next)
		apply_elem(db, &d->root, d->varset, 0);
	for (bs = db->bitsets; bs; bs = bs->next)
		for (f = bs->fields; f; f = f->next)
			f->active = admits(db, &f->var, NULL);
	for (en = db->enums; en; en = en->next)
		for (v = en->values; v; v = v->next)
			v->active = admits(db, &v->var, NULL);
}

int regdb_set_variant(struct regdb *db, const char *varset, const char *value,
		      struct regdb_err *e)
{
	struct rdb_enum *en = rdb_enum_find(db, varset);
	struct rdb_varsel *s;

	if (!en) {
		rdb_errf(e, "--variant", 0, "no enum '%s' to select a variant from", varset);
		return -1;
	}
	if (value_pos(en, value) < 0) {
		rdb_errf(e, "variant", 0, "'%s' is not a value of enum '%s'", value, varset);
		return -1;
	}
	for (s = db->varsel; s; s = s->next)
		if (!strcmp(s->varset, varset))
			break;
	if (!s) {
		s = rdb_alloc(db, sizeof(*s));
		if (!s) {
			rdb_errf(e, "variant", 0, "out of memory");
			return -1;
		}
		s->varset = rdb_strdup(db, varset);
		s->next = db->varsel;
		db->varsel = s;
	}
	s->value = rdb_strdup(db, value);
	rdb_apply_variants(db);
	return 0;
}
