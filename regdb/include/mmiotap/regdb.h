/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * regdb.h - register databases (libmtregdb): rnndb XML (envytools, Mesa,
 * drivers/gpu/drm/msm/registers) and CMSIS-SVD, both read with libxml2,
 * into one model: a database holds domains; a domain holds elements
 * (registers, arrays, stripes) at offsets; a register has a type (bitset of
 * fields, enum, number).
 *
 * Typical use (decode, report, diff, export tools):
 *
 *     struct regdb *db; struct regdb_err e;
 *     if (regdb_load(&db, "e1000.xml", &e)) die("%s", e.msg);   // "file:line: what"
 *     const struct regdb_domain *d = regdb_domain_find(db, NULL); // first domain
 *     struct regdb_hit h;
 *     if (regdb_lookup(d, 0x8, 4, &h))                        // offset, width (bytes)
 *         regdb_name(&h, name, sizeof(name));                 // "STATUS", "RA[0x1].RAL", "CTRL+0x2"
 *     regdb_format_value(&h, value, buf, sizeof(buf));        // "{ FD | LU | SPEED = 2 }"
 *     regdb_free(db);
 *
 * Lookups walk the element tree (O(elements)); callers that look up the
 * same offsets many times cache the result: struct regdb_cache below.
 * Nothing here prints; errors are returned as text.
 */
#ifndef MMIOTAP_REGDB_H
#define MMIOTAP_REGDB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct regdb;
struct regdb_domain;
struct regdb_elem;

/* "file:line: what went wrong" (line 0 when unknown). */
struct regdb_err {
	char msg[512];
};

/* Load FILE (rnndb XML or CMSIS-SVD, told apart by the root element). rnndb
 * <import file=...> is resolved relative to the importing file. 0 or -1
 * with e filled. */
int regdb_load(struct regdb **db, const char *path, struct regdb_err *e);
/* Same from memory; `name` is used in messages and for relative imports
 * (imports are refused when allow_import is 0: fuzzers). */
int regdb_load_mem(struct regdb **db, const char *buf, size_t len, const char *name,
		   int allow_import, struct regdb_err *e);
void regdb_free(struct regdb *db);

/* Domains in file order. NULL name: the first. */
const struct regdb_domain *regdb_domain_find(const struct regdb *db, const char *name);
size_t regdb_domain_count(const struct regdb *db);
const struct regdb_domain *regdb_domain_at(const struct regdb *db, size_t i);
const char *regdb_domain_name(const struct regdb_domain *d);
/* Absolute domains (SVD) are looked up by physical address from `base`,
 * relative ones (rnndb) by offset within the mapping. */
int regdb_domain_absolute(const struct regdb_domain *d, uint64_t *base);

/* Select a variant: varset (an enum named in variants="" ranges, e.g.
 * "chipset") = value name (e.g. "NV50"). Elements whose variants exclude it
 * are ignored by lookups. Unknown varset or value: -1 with e filled. */
int regdb_set_variant(struct regdb *db, const char *varset, const char *value,
		      struct regdb_err *e);

/* Result of a lookup. */
#define REGDB_MAX_DEPTH 8
struct regdb_hit {
	const struct regdb_elem *reg;            /* the register */
	const struct regdb_elem *path[REGDB_MAX_DEPTH]; /* arrays/stripes, outermost first */
	uint64_t index[REGDB_MAX_DEPTH];         /* their indexes */
	unsigned depth;
	uint64_t reg_index;                      /* register arrays (length > 1) */
	uint64_t within;                         /* byte offset inside the register */
};
/* 1 and *h filled if a register covers offset (width in bytes, for the
 * choice among overlapping registers), else 0. */
int regdb_lookup(const struct regdb_domain *d, uint64_t offset, unsigned width,
		 struct regdb_hit *h);
/* "ARRAY[0x1].REG", "REG+0x4". Returns the length (truncated to room-1). */
int regdb_name(const struct regdb_hit *h, char *buf, size_t room);
/* The value decoded: "{ FIELD = 0x3 | FLAG | MODE = NAME | 0x80 }", an enum
 * name, or the number. A hit inside a register (within != 0) shifts the
 * value into place first. Returns the length (truncated to room-1). */
int regdb_format_value(const struct regdb_hit *h, unsigned width, uint64_t value,
		       char *buf, size_t room);
/* The fields of a value one by one, for tools that need them apart (JSON
 * export, diffs): cb(name, low bit, width in bits, field value, its text,
 * ctx) for each field of the register's bitset (flags too, set or not), then
 * once with name NULL for the bits no field covers when some are set. A
 * register without a bitset gives one call named after the register. The
 * callback returns nonzero to stop. Returns the number of calls. */
typedef int (*regdb_field_cb)(const char *name, unsigned low, unsigned bits, uint64_t value,
			      const char *text, void *ctx);
int regdb_fields(const struct regdb_hit *h, uint64_t value, regdb_field_cb cb, void *ctx);
/* Register facts. */
unsigned regdb_reg_width(const struct regdb_elem *reg);   /* bits */
const char *regdb_reg_access(const struct regdb_elem *reg); /* "r", "w", "rw" ... or "" */
const char *regdb_elem_where(const struct regdb_elem *el, int *line); /* file */

/* A cache of lookups by (offset, width) for one domain: name and hit.
 * regdb_cache_get returns NULL when no register covers the offset. */
struct regdb_cache;
struct regdb_cached {
	struct regdb_hit hit;
	char name[];
};
struct regdb_cache *regdb_cache_new(const struct regdb_domain *d);
const struct regdb_cached *regdb_cache_get(struct regdb_cache *c, uint64_t offset,
					   unsigned width);
void regdb_cache_free(struct regdb_cache *c);

#ifdef __cplusplus
}
#endif
#endif /* MMIOTAP_REGDB_H */
