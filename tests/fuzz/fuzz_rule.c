// SPDX-License-Identifier: GPL-2.0 OR MIT
/* fuzz_rule.c - libFuzzer target for the injection rule parser: no crash,
 * errors carry a column inside the rule, canonical form re-parses equal. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmiotap/inject.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mt_inject_rule r, r2;
	struct mt_rule_error e;
	char *s, buf[1024];
	uint64_t cnt = 0;
	uint8_t v[64] = { 0 };
	struct mt_inject_result res;

	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = 0;
	if (mt_rule_parse(s, &r, &e) == 0) {
		if (mt_rule_format(&r, buf, sizeof(buf)) < 0)
			abort();
		if (mt_rule_parse(buf, &r2, &e) || memcmp(&r, &r2, sizeof(r)))
			abort();
		mt_inject_apply(&r, 1, &cnt, 0, 0, r.width ? r.width : 4, 1, v, &res);
	} else if (e.column < 1 || e.column > strlen(s) + 1) {
		abort();
	}
	free(s);
	return 0;
}
