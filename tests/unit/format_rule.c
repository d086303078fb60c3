// SPDX-License-Identifier: GPL-2.0 OR MIT
/* format_rule.c - injection rule parser (errors with columns) and mt_inject_apply semantics. */
#include <stdio.h>
#include <string.h>

#include "mmiotap/inject.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static void parse_ok(const char *in, const char *canon)
{
	struct mt_inject_rule r, r2;
	struct mt_rule_error e;
	char buf[512];

	CHECK(mt_rule_parse(in, &r, &e) == 0);
	CHECK(mt_rule_format(&r, buf, sizeof(buf)) > 0);
	if (strcmp(buf, canon)) {
		fprintf(stderr, "'%s' -> '%s', want '%s'\n", in, buf, canon);
		failures++;
	}
	/* canonical form parses to the same rule */
	CHECK(mt_rule_parse(buf, &r2, &e) == 0 && !memcmp(&r, &r2, sizeof(r)));
}

static void parse_bad(const char *in, unsigned col, const char *tok)
{
	struct mt_inject_rule r;
	struct mt_rule_error e;

	CHECK(mt_rule_parse(in, &r, &e) < 0);
	if (e.column != col || strcmp(e.token, tok)) {
		fprintf(stderr, "'%s': column %u token '%s' (%s), want %u '%s'\n", in, e.column,
			e.token, e.msg, col, tok);
		failures++;
	}
}

static int apply(struct mt_inject_rule *r, uint64_t *cnt, uint64_t off, unsigned w, int wr,
		 uint32_t *v, struct mt_inject_result *res)
{
	return mt_inject_apply(r, 1, cnt, 0xfea00000, off, w, wr, (uint8_t *)v, res);
}

int main(void)
{
	struct mt_inject_rule r;
	struct mt_inject_result res;
	uint64_t cnt;
	uint32_t v;
	int i, hits;

	parse_ok("pci=0000:00:03.0,bar=0,off=0x100-0x1ff,dir=w,drop",
		 "pci=0000:00:03.0,bar=0,off=0x100-0x1ff,dir=w,drop");
	parse_ok("pci=00:03.0,dir=r,value=0xffffffff", "pci=0000:00:03.0,dir=r,value=0xffffffff");
	parse_ok("phys=0xfea00000+0x20000,xor=1,when=3..10+2",
		 "phys=0xfea00000-0xfea1ffff,dir=rw,xor=0x1,when=3..10+2");
	parse_ok("file=/dev/uio*,width=4,and=0xff,or=0x100,when=5",
		 "file=/dev/uio*,width=4,dir=rw,and=0xff,or=0x100,when=5..5");
	parse_ok("delay=5ms,when=2+", "dir=rw,delay=5000000ns,when=2+1");
	parse_ok("dir=r,value=1,prob=50%,seed=9", "dir=r,value=0x1,prob=0.5,seed=9");

	parse_bad("pci=00:03.0,dir=r,valeu=3", 19, "valeu");
	parse_bad("phys=0x10-0x5,xor=1", 1, "phys=0x10-0x5");
	parse_bad("xor=1,width=3", 7, "width=3");
	parse_bad("xor=1,,drop", 7, ",");
	parse_bad("xor=1,when=0", 7, "when=0");
	parse_bad("xor=1,prob=2", 7, "prob=2");
	parse_bad("file=/a,pci=00:01.0,xor=1", 9, "pci=00:01.0");
	parse_bad("off=4", 1, "off=4");          /* no action */
	parse_bad("dir=r,drop", 1, "dir=r,drop"); /* drop on reads */
	parse_bad("xor=", 1, "xor=");

	/* when=3..10+2: occurrences 3,5,7,9 of matching accesses */
	CHECK(mt_rule_parse("off=0x8,width=4,dir=r,xor=0x1,when=3..10+2", &r, NULL) == 0);
	cnt = 0;
	hits = 0;
	for (i = 1; i <= 12; i++) {
		v = 0x10;
		if (apply(&r, &cnt, 8, 4, 0, &v, &res)) {
			hits++;
			CHECK(v == 0x11 && res.injected && !res.drop && res.rule == 0);
			CHECK(i == 3 || i == 5 || i == 7 || i == 9);
		} else {
			CHECK(v == 0x10);
		}
		/* non-matching accesses do not count */
		v = 0x10;
		CHECK(!apply(&r, &cnt, 12, 4, 0, &v, &res) && v == 0x10);
		CHECK(!apply(&r, &cnt, 8, 2, 0, &v, &res));
		CHECK(!apply(&r, &cnt, 8, 4, 1, &v, &res));
	}
	CHECK(hits == 4 && cnt == 12);

	/* drop a write, value is kept; value= on reads truncated to width */
	CHECK(mt_rule_parse("phys=0xfea00000-0xfea000ff,dir=w,drop", &r, NULL) == 0);
	cnt = 0;
	v = 7;
	CHECK(apply(&r, &cnt, 0x10, 4, 1, &v, &res) && res.drop && v == 7);
	CHECK(!apply(&r, &cnt, 0x100, 4, 1, &v, &res)); /* outside phys range */
	CHECK(mt_rule_parse("dir=r,value=0x1234567890", &r, NULL) == 0);
	cnt = 0;
	v = 0;
	CHECK(apply(&r, &cnt, 0, 2, 0, &v, &res) && v == 0x7890);

	/* wide access: masks apply per 8-byte lane */
	{
		uint8_t wide[16];

		memset(wide, 0, sizeof(wide));
		CHECK(mt_rule_parse("width=16,or=0x80", &r, NULL) == 0);
		cnt = 0;
		CHECK(mt_inject_apply(&r, 1, &cnt, 0, 0, 16, 1, wide, &res));
		CHECK(wide[0] == 0x80 && wide[8] == 0x80 && wide[1] == 0);
	}

	/* probability: reproducible for a seed, close to the rate */
	{
		int h1 = 0, h2 = 0, same = 1;

		CHECK(mt_rule_parse("dir=r,xor=1,prob=0.25,seed=42", &r, NULL) == 0);
		cnt = 0;
		for (i = 0; i < 20000; i++) {
			v = 0;
			h1 += apply(&r, &cnt, 0, 4, 0, &v, &res);
		}
		cnt = 0;
		for (i = 0; i < 20000; i++) {
			int a;

			v = 0;
			a = apply(&r, &cnt, 0, 4, 0, &v, &res);
			h2 += a;
		}
		same = h1 == h2;
		CHECK(same && h1 > 4600 && h1 < 5400);
	}

	/* region matching */
	{
		struct mt_region_id reg = { .path = "/dev/uio0", .bar = -1 };

		CHECK(mt_rule_parse("file=/dev/uio*,xor=1", &r, NULL) == 0);
		CHECK(mt_rule_match_region(&r, &reg));
		reg.path = "/dev/mem";
		CHECK(!mt_rule_match_region(&r, &reg));
		CHECK(mt_rule_parse("pci=0000:00:03.0,bar=2,xor=1", &r, NULL) == 0);
		reg.has_pci = 1;
		reg.pci_devfn = 3 << 3;
		reg.bar = 2;
		CHECK(mt_rule_match_region(&r, &reg));
		reg.bar = 0;
		CHECK(!mt_rule_match_region(&r, &reg));
		CHECK(mt_rule_parse("phys=0xfea00100+4,xor=1", &r, NULL) == 0);
		reg.has_phys = 1;
		reg.phys = 0xfea00000;
		reg.size = 0x1000;
		CHECK(mt_rule_match_region(&r, &reg));
		reg.phys = 0xfeb00000;
		CHECK(!mt_rule_match_region(&r, &reg));
	}
	if (failures) {
		printf("FAIL: %d checks failed\n", failures);
		return 1;
	}
	printf("PASS: format_rule\n");
	return 0;
}
