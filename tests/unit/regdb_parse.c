// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * regdb_parse.c - the rnndb and SVD parsers on the test databases
 * (tests/regdb/db: every construct), the shipped databases (regdb/db), and
 * malformed files (tests/regdb/bad: each error names file:line and what).
 * Run from the top of the tree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmiotap/regdb.h"

static int fails, checks;

#define CHECK(cond, ...)                                                 \
	do {                                                             \
		checks++;                                                \
		if (!(cond)) {                                           \
			fails++;                                         \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);      \
			printf(__VA_ARGS__);                             \
			printf("\n");                                    \
		}                                                        \
	} while (0)

/* name and decoded value at offset, "-" when no register */
static void expect(const struct regdb_domain *d, uint64_t off, unsigned w, uint64_t v,
		   const char *name, const char *dec)
{
	struct regdb_hit h;
	char n[256], f[512];

	if (!regdb_lookup(d, off, w, &h)) {
		CHECK(!strcmp(name, "-"), "%s @%#llx: no register, want %s", regdb_domain_name(d),
		      (unsigned long long)off, name);
		return;
	}
	regdb_name(&h, n, sizeof(n));
	regdb_format_value(&h, w, v, f, sizeof(f));
	CHECK(!strcmp(n, name), "@%#llx: name '%s', want '%s'", (unsigned long long)off, n, name);
	if (dec)
		CHECK(!strcmp(f, dec), "@%#llx %s = %#llx: '%s', want '%s'", (unsigned long long)off,
		      n, (unsigned long long)v, f, dec);
}

static int collect(const char *name, unsigned low, unsigned bits, uint64_t v, const char *text,
		   void *ctx)
{
	char *b = ctx;
	size_t n = strlen(b);

	snprintf(b + n, 512 - n, "%s%s@%u:%u=%llx(%s)", n ? " " : "", name ? name : "?", low, bits,
		 (unsigned long long)v, text);
	return 0;
}

static void fields(const struct regdb_domain *d)
{
	struct regdb_hit h;
	char b[512] = "";

	CHECK(regdb_lookup(d, 0x140, 4, &h), "CH[1].CFG");
	CHECK(regdb_fields(&h, 0x123, collect, b) == 4, "4 calls");
	CHECK(!strcmp(b, "A@0:1=1(TRUE) B@1:1=1(TRUE) C@4:2=2(C_TWO) ?@0:32=100(0x100)"), "fields: %s", b);
	b[0] = 0;
	CHECK(regdb_lookup(d, 0x10, 2, &h) && regdb_fields(&h, 5, collect, b) == 1 &&
	      !strcmp(b, "HALF@0:16=5(FAST)"), "enum register: %s", b);
}

static void rnndb(void)
{
	struct regdb *db;
	struct regdb_err e;
	const struct regdb_domain *d;
	struct regdb_cache *c;
	const struct regdb_cached *cv;

	if (regdb_load(&db, "tests/regdb/db/rnn-main.xml", &e)) {
		CHECK(0, "load: %s", e.msg);
		return;
	}
	d = regdb_domain_find(db, NULL);
	CHECK(d && !strcmp(regdb_domain_name(d), "TESTDEV"), "first domain");
	/* ENABLE | MODE=5 (FAST) | COUNT=3 | ADDR=0x12<<4 | DELTA=-1 | NEWBIT | bit 26 unknown */
	expect(d, 0, 4, 0x1 | 5 << 1 | 3 << 4 | 0x12 << 12 | 0xfu << 20 | 1u << 24 | 1u << 26, "CTRL",
	       "{ ENABLE | MODE = FAST | COUNT = 3 | ADDR = 0x120 | DELTA = -1 | NEWBIT | 0x4000000 }");
	expect(d, 0, 4, 0, "CTRL", "{ MODE = OFF | COUNT = 0 | ADDR = 0x0 | DELTA = 0 }");
	expect(d, 2, 2, 0x1, "CTRL+0x2", NULL);
	expect(d, 8, 8, 0x1122334455667788ull, "BIG", "0x1122334455667788");
	expect(d, 0xc, 4, 1, "BIG+0x4", NULL);
	expect(d, 0x10, 2, 1, "HALF", "SLOW");
	expect(d, 0x10, 2, 7, "HALF", "0x7");
	expect(d, 0x12, 1, 0xab, "BYTE", "0xab");
	expect(d, 0x28, 4, 0, "TABLE[0x1]", NULL);
	expect(d, 0x2c, 4, 0, "-", NULL); /* the gap in the stride */
	expect(d, 0x140, 4, 0x23, "CH[0x1].CFG", "{ A | B | C = C_TWO }");
	expect(d, 0x15c, 4, 0, "CH[0x1].SLOT[0x1].DATA", NULL);
	expect(d, 0x1b0, 4, 0, "CH[0x2].COMMON_ID", NULL);
	expect(d, 0x1100, 4, 0, "PART[0x1].STAT", NULL);
	/* array index="ENUM": elements named by the enum's values, else numbered */
	expect(d, 0x3010, 4, 0, "ENG[CE].CTL", NULL);
	expect(d, 0x3000, 4, 0, "ENG[GR].CTL", NULL);
	expect(d, 0x3020, 4, 0, "ENG[0x2].CTL", NULL);
	expect(d, 0x3110, 4, 0, "NOIDX[0x1].R", NULL);
	expect(d, 0x200, 4, 0, "-", NULL);
	/* no variant selected: the first matching definition */
	expect(d, 0x2000, 4, 0, "OLDREG", NULL);
	CHECK(regdb_set_variant(db, "chipset", "C3", &e) == 0, "variant: %s", e.msg);
	expect(d, 0x2000, 4, 0, "NEWREG", NULL);
	expect(d, 0x2004, 4, 0, "-", NULL);
	expect(d, 0, 4, 1u << 24, "CTRL", "{ MODE = OFF | COUNT = 0 | ADDR = 0x0 | DELTA = 0 | NEWBIT }");
	CHECK(regdb_set_variant(db, "chipset", "C1", &e) == 0, "variant: %s", e.msg);
	expect(d, 0x2000, 4, 0, "OLDREG", NULL);
	expect(d, 0x2004, 4, 0, "C1ONLY", NULL);
	expect(d, 0, 4, 1u << 24, "CTRL", "{ MODE = OFF | COUNT = 0 | ADDR = 0x0 | DELTA = 0 | 0x1000000 }");
	CHECK(regdb_set_variant(db, "chipset", "C9", &e) < 0 && strstr(e.msg, "C9"), "bad variant value");
	CHECK(regdb_set_variant(db, "nosuch", "C1", &e) < 0, "bad varset");
	fields(d);
	c = regdb_cache_new(d);
	cv = regdb_cache_get(c, 0x140, 4);
	CHECK(cv && !strcmp(cv->name, "CH[0x1].CFG"), "cache name");
	CHECK(regdb_cache_get(c, 0x140, 4) == cv, "cache hit is the same entry");
	CHECK(!regdb_cache_get(c, 0x200, 4) && !regdb_cache_get(c, 0x200, 4), "cache miss");
	regdb_cache_free(c);
	regdb_free(db);
}

static void imports(void)
{
	struct regdb *db;
	struct regdb_err e;

	/* tests/regdb/db/sub/rnn-sub.xml imports rnn-chips.xml of the parent directory */
	if (regdb_load(&db, "tests/regdb/db/sub/rnn-sub.xml", &e)) {
		CHECK(0, "load: %s", e.msg);
		return;
	}
	expect(regdb_domain_find(db, NULL), 0x10, 4, 5, "MODE", "FAST");
	regdb_free(db);
}

static void forms(void)
{
	struct regdb *db;
	struct regdb_err e;
	const struct regdb_domain *d;

	if (regdb_load(&db, "tests/regdb/db/rnn-forms.xml", &e)) {
		CHECK(0, "load: %s", e.msg);
		return;
	}
	d = regdb_domain_find(db, "FORMS");
	CHECK(d && regdb_domain_count(db) == 2, "domains");
	expect(d, 0x0, 4, 0x1f, "OBJ", "0x1f");
	expect(d, 0x4, 4, 0, "IN_GROUP", NULL);
	expect(d, 0x8, 4, 0x12, "MIXED", "{ M = MODE_TWO | FLAG }");
	expect(d, 0x110, 4, 0, "[0x1].ANON", NULL);
	expect(regdb_domain_find(db, "NESTED"), 0x8, 4, 0, "NESTED_REG", NULL);
	regdb_free(db);
}

static void svd(void)
{
	struct regdb *db;
	struct regdb_err e;
	const struct regdb_domain *d;
	uint64_t base = 0;

	if (regdb_load(&db, "tests/regdb/db/test.svd", &e)) {
		CHECK(0, "load: %s", e.msg);
		return;
	}
	d = regdb_domain_find(db, NULL);
	CHECK(d && !strcmp(regdb_domain_name(d), "TESTMCU") && regdb_domain_absolute(d, &base) &&
	      base == 0, "device domain");
	CHECK(regdb_domain_count(db) == 8, "device + 7 peripherals: %zu", regdb_domain_count(db));
	expect(d, 0x40001000, 4, 0x1205, "UART0.CR", "{ EN | PARITY = EVEN | BAUD = 0x12 }");
	expect(d, 0x40001000, 4, 0x7, "UART0.CR", "{ EN | PARITY = ODD | BAUD = 0x0 }");
	expect(d, 0x40001004, 2, 0x5, "UART0.SR", "0x5");
	expect(d, 0x40001006, 2, 0x5, "-", NULL);
	expect(d, 0x40001018, 4, 0, "UART0.BUFC", NULL);
	expect(d, 0x40001028, 4, 0, "UART0.FIFO[0x2]", NULL);
	expect(d, 0x40001054, 4, 0, "UART0.CH[0x1].CTL", NULL);
	expect(d, 0x40002000, 4, 0x1, "UART1.CR", "{ EN | PARITY = NONE | BAUD = 0x0 }");
	/* register derivedFrom: in the same block, and PERIPH.REG elsewhere */
	expect(d, 0x40001008, 4, 0x1205, "UART0.CR2", "{ EN | PARITY = EVEN | BAUD = 0x12 }");
	expect(d, 0x40003104, 2, 0x5, "TIMB.STAT", "0x5"); /* SR's 16 bits */
	expect(d, 0x40003108, 4, 0x7, "TIMB.CTL", "{ EN | PARITY = ODD | BAUD = 0x0 }");
	expect(d, 0x4000300c, 2, 0x5, "TIMA.STAT2", "0x5"); /* UART1 derives its registers */
	/* peripheral arrays: NAME%s with dimIndex, NAME[%s] */
	expect(d, 0x40003000, 4, 0, "TIMA.CNT", NULL);
	expect(d, 0x40004014, 4, 0, "GPIO[0x1].OUT", NULL);
	d = regdb_domain_find(db, "TIMB");
	CHECK(d && regdb_domain_absolute(d, &base) && base == 0x40003100, "TIMB domain");
	if (d)
		expect(d, 0x40003100, 4, 0, "CNT", NULL);
	d = regdb_domain_find(db, "GPIO1");
	CHECK(d && regdb_domain_absolute(d, &base) && base == 0x40004010, "GPIO1 domain");
	d = regdb_domain_find(db, "SOLOZ"); /* an array of one: named by its dimIndex too */
	CHECK(d && regdb_domain_absolute(d, &base) && base == 0x40005000, "SOLOZ domain");
	d = regdb_domain_find(db, NULL);
	d = regdb_domain_find(db, "UART1");
	CHECK(d && regdb_domain_absolute(d, &base) && base == 0x40002000, "peripheral domain");
	if (d)
		expect(d, 0x40002014, 4, 0, "BUFB", NULL);
	regdb_free(db);
}

static void shipped(void)
{
	static const char *const files[] = { "edu.xml", "e1000.xml", "ahci.xml", "virtio-pci.xml",
					     "ivshmem.xml" };
	struct regdb *db;
	struct regdb_err e;
	char p[128];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "regdb/db/%s", files[i]);
		CHECK(regdb_load(&db, p, &e) == 0, "%s: %s", p, e.msg);
		if (!db)
			continue;
		if (!strcmp(files[i], "ahci.xml"))
			expect(regdb_domain_find(db, NULL), 0x100 + 3 * 0x80 + 0x18, 4, 0x11,
			       "PORT[0x3].CMD", "{ ST | FRE | CCS = 0 | ICC = 0 }");
		if (!strcmp(files[i], "virtio-pci.xml")) {
			expect(regdb_domain_find(db, NULL), 0x14, 1, 0xf, "COMMON.DEVICE_STATUS",
			       "{ ACKNOWLEDGE | DRIVER | DRIVER_OK | FEATURES_OK }");
			expect(regdb_domain_find(db, "COMMON"), 0x20, 8, 0x1000, "QUEUE_DESC", "0x1000");
		}
		if (!strcmp(files[i], "e1000.xml"))
			expect(regdb_domain_find(db, NULL), 0x20, 4, 0x08210000 | 1u << 28,
			       "MDIC", "{ DATA = 0x0 | REGADD = PHY_STATUS | PHYADD = 1 | OP = READ | READY }");
		regdb_free(db);
	}
}

static void bad(void)
{
	static const struct {
		const char *file, *want;
	} cases[] = {
		{ "no-offset.xml", "no-offset.xml:4: <reg32 name=\"A\"> without offset=" },
		{ "bad-number.xml", "bad-number.xml:4: <reg32 offset=\"0x1g\">: not a number" },
		{ "field-range.xml", "field-range.xml:5: <bitfield name=\"F\">: bits 4..40 do not fit 32 bits" },
		{ "unknown-type.xml", "unknown-type.xml:4: unknown type 'nosuch'" },
		{ "not-wellformed.xml", "not-wellformed.xml:5: not well-formed XML" },
		{ "group-loop.xml", "group-loop.xml:7: use-group 'g': groups used recursively" },
		{ "import-self.xml", "missing.xml: No such file or directory" },
		{ "svd-bitrange.svd", "svd-bitrange.svd:13: <field> F: bits 9..3 do not fit" },
		{ "svd-derived.svd", "svd-derived.svd:5: <peripheral> P: derivedFrom=\"NOPE\" not found" },
		{ "svd-regloop.svd", "svd-regloop.svd:9: <register> A: derivedFrom=\"B\" not found or loops" },
		{ "wrong-root.xml", "wrong-root.xml:2: root element <svg> is neither" },
	};
	struct regdb *db;
	struct regdb_err e;
	char p[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(p, sizeof(p), "tests/regdb/bad/%s", cases[i].file);
		memset(&e, 0, sizeof(e));
		CHECK(regdb_load(&db, p, &e) < 0 && !db, "%s loaded", p);
		CHECK(strstr(e.msg, cases[i].want), "%s: '%s', want '%s'", p, e.msg, cases[i].want);
	}
	CHECK(regdb_load_mem(&db, "", 0, "empty", 0, &e) < 0 && strstr(e.msg, "empty: "), "empty: %s",
	      e.msg);
	CHECK(regdb_load_mem(&db, "<database><import file=\"x\"/></database>", 40, "mem", 0, &e) < 0 &&
	      strstr(e.msg, "mem:1: <import file=\"x\">: imports not allowed"), "no imports: %s", e.msg);
}

int main(void)
{
	rnndb();
	imports();
	forms();
	svd();
	shipped();
	bad();
	printf("%d checks, %d failed\n", checks, fails);
	return fails ? 1 : 0;
}
