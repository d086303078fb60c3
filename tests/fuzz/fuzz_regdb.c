// SPDX-License-Identifier: GPL-2.0 OR MIT
/* fuzz_regdb.c - libFuzzer target for the register database parsers
 * (regdb/): rnndb XML (-DFUZZ_RNNDB) and CMSIS-SVD (-DFUZZ_SVD). Inputs
 * that do not start with the target's root element get it prepended, so
 * each target stays on its own parser. No crash, no leak; a refusal has a
 * message naming the input; a database that loads answers lookups, names
 * and value formatting within bounds for offsets across its domains. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmiotap/regdb.h"

#ifdef FUZZ_SVD
static const char root[] = "<device><name>F</name><peripherals>";
#else
static const char root[] = "<database>";
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct regdb *db;
	struct regdb_err e;
	char *s, name[256], val[256];
	size_t n = 0, i;
	uint64_t off;

	if (size > 65536)
		return 0;
	s = malloc(size + sizeof(root));
	if (!memmem(data, size, root, 8)) {
		memcpy(s, root, sizeof(root) - 1);
		n = sizeof(root) - 1;
	}
	memcpy(s + n, data, size);
	n += size;
	e.msg[0] = 0;
	if (regdb_load_mem(&db, s, n, "fuzz", 0, &e)) {
		if (strncmp(e.msg, "fuzz", 4))
			abort();
		free(s);
		return 0;
	}
	regdb_set_variant(db, "chipset", "NV50", &e);
	for (i = 0; i < regdb_domain_count(db) && i < 4; i++) {
		const struct regdb_domain *d = regdb_domain_at(db, i);
		struct regdb_cache *c = regdb_cache_new(d);
		uint64_t base = 0;

		regdb_domain_absolute(d, &base);
		for (off = 0; off < 0x400; off += 4) {
			struct regdb_hit h;
			const struct regdb_cached *cv;

			if (regdb_lookup(d, base + off, 4, &h)) {
				if (regdb_name(&h, name, sizeof(name)) >= (int)sizeof(name) ||
				    regdb_format_value(&h, 4, off * 0x01010101u, val, sizeof(val)) >=
					    (int)sizeof(val))
					abort();
			}
			cv = c ? regdb_cache_get(c, base + off, 4) : NULL;
			if (cv && strlen(cv->name) > 600)
				abort();
		}
		regdb_cache_free(c);
	}
	regdb_free(db);
	free(s);
	return 0;
}
