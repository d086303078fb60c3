/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* regdb_int.h - the model behind mmiotap/regdb.h, shared by the parsers. */
#ifndef MT_REGDB_INT_H
#define MT_REGDB_INT_H

#include <stdint.h>
#include "mmiotap/regdb.h"

/* Everything of a database is allocated from its pool, freed at once. */
void *rdb_alloc(struct regdb *db, size_t n);       /* zeroed; NULL on OOM */
char *rdb_strdup(struct regdb *db, const char *s);

/* Variant ranges "A-B" (B excluded), "A:B" (B included), "A-", "-B", "A". */
struct rdb_vrange {
	const char *first, *last; /* NULL: open */
	int inclusive;
	struct rdb_vrange *next;
};
struct rdb_variants {
	const char *varset;       /* enum naming the values; NULL: inherited */
	struct rdb_vrange *ranges;
};

enum rdb_tkind {
	RDB_T_NONE,     /* plain number (hex) */
	RDB_T_HEX,
	RDB_T_UINT,
	RDB_T_INT,
	RDB_T_BOOL,
	RDB_T_ENUM,
	RDB_T_BITSET,
	RDB_T_FIXED,
	RDB_T_UFIXED,
	RDB_T_FLOAT,
	RDB_T_NAMED,    /* not resolved yet: tname */
};

struct rdb_value {
	const char *name;
	uint64_t value;
	int has_value;
	struct rdb_variants var;
	int active;
	struct rdb_value *next;
};
struct rdb_enum {
	const char *name;
	struct rdb_value *values;
	int inline_;
	struct rdb_enum *next;
};
struct rdb_type {
	enum rdb_tkind kind;
	const char *tname;        /* named type, before resolution */
	struct rdb_enum *en;
	struct rdb_bitset *bs;
	unsigned shr, radix;
	int min_set;
};
struct rdb_field {
	const char *name;
	unsigned low, high;
	struct rdb_type type;
	struct rdb_variants var;
	int active;
	const char *file;
	int line;
	struct rdb_field *next;
};
struct rdb_bitset {
	const char *name;
	struct rdb_field *fields;
	int inline_;
	struct rdb_bitset *next;
};

enum rdb_ekind { RDB_E_REG, RDB_E_ARRAY, RDB_E_STRIPE, RDB_E_USEGROUP };

struct regdb_elem {
	enum rdb_ekind kind;
	const char *name;         /* may be NULL (stripe); SVD: may hold "%s" */
	const char **idxnames;    /* SVD dimIndex names, length entries, or NULL */
	const char *index;        /* rnndb array index="ENUM": names its elements */
	struct rdb_enum *index_en;/* ... resolved (NULL: not found, numbers) */
	uint64_t offset, stride, length;
	unsigned width;           /* register bits */
	const char *access;
	uint64_t reset;
	int has_reset;
	struct rdb_type type;     /* registers */
	struct rdb_variants var;
	int active;
	struct regdb_elem **kids; /* arrays, stripes */
	size_t nkids, kcap;
	const char *file;
	int line;
};

struct regdb_domain {
	const char *name;
	uint64_t size, base;
	unsigned width;
	int absolute;
	const char *varset;       /* prefix="" / varset="" of the domain */
	struct regdb_elem root;   /* a stripe holding the top elements */
	struct regdb_domain *next;
};

struct rdb_group {
	const char *name;
	struct regdb_elem root;
	struct rdb_group *next;
};

/* <spectype name="object" type="hex"/>: a name for another type */
struct rdb_alias {
	const char *name, *type;
	struct rdb_alias *next;
};

struct rdb_varsel {
	const char *varset, *value;
	struct rdb_varsel *next;
};

struct rdb_block;
struct regdb {
	struct rdb_block *pool;
	struct regdb_domain *domains, **dtail;
	struct rdb_enum *enums;
	struct rdb_bitset *bitsets;
	struct rdb_group *groups;
	struct rdb_alias *aliases;
	struct rdb_varsel *varsel;
	const char *name;         /* the first file, for messages */
	size_t nrefs;             /* element references, capped (groups multiply them) */
	size_t ndomains;
};

int rdb_add_kid(struct regdb *db, struct regdb_elem *parent, struct regdb_elem *kid);
struct regdb_domain *rdb_domain_new(struct regdb *db, const char *name);
/* After every file: resolve named types and use-group, validate. */
int rdb_finalize(struct regdb *db, struct regdb_err *e);
/* Recompute `active` from the selected variants. */
void rdb_apply_variants(struct regdb *db);
struct rdb_enum *rdb_enum_find(struct regdb *db, const char *name);

/* Parsers (rnndb.c, svd.c): fill db from a libxml2 document. */
struct _xmlDoc;
int rdb_parse_rnndb(struct regdb *db, struct _xmlDoc *doc, const char *file,
		    int allow_import, int depth, struct regdb_err *e);
int rdb_parse_svd(struct regdb *db, struct _xmlDoc *doc, const char *file,
		  struct regdb_err *e);
int rdb_load_file(struct regdb *db, const char *path, int depth, struct regdb_err *e);
int rdb_load_mem(struct regdb *db, const char *buf, size_t len, const char *name,
		 int allow_import, int depth, struct regdb_err *e);
void rdb_errf(struct regdb_err *e, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Numbers in databases: 0x.., 0b.., #binary (SVD), decimal. 0 / -1. */
int rdb_parse_num(const char *s, uint64_t *v);

#define RDB_MAX_IMPORT_DEPTH 16
#define RDB_MAX_LENGTH (1ull << 32)
#define RDB_MAX_REFS (4u << 20)

#endif
