// SPDX-License-Identifier: GPL-2.0 OR MIT
/* format_inject_flags.c - mt_inject_flags(): the one rule for when an access
 * is flagged injected (or probe) and carries its original value. */
#include <stdio.h>
#include <string.h>

#include "mmiotap/inject.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

int main(void)
{
	const uint8_t a[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t b[8];

	/* nothing happened */
	CHECK(mt_inject_flags(a, a, 8, 0, 0, 0) == 0);
	/* a rule (or probe) acted but left the value equal: nothing */
	CHECK(mt_inject_flags(a, a, 8, MT_INJ_RULE, 0, 0) == 0);
	CHECK(mt_inject_flags(a, a, 8, MT_INJ_PROBE, 0, 0) == 0);
	/* a delay alone: DELAYED, no original */
	CHECK(mt_inject_flags(a, a, 8, MT_INJ_RULE, 0, 1) == MT_INJF_DELAYED);
	CHECK(!(mt_inject_flags(a, a, 8, 0, 0, 1) & MT_INJF_ORIG));

	/* a changed value, by whom */
	memcpy(b, a, 8);
	b[7] ^= 0x80; /* the last byte counts too */
	CHECK(mt_inject_flags(a, b, 8, MT_INJ_RULE, 0, 0) == MT_INJF_INJECTED);
	CHECK(mt_inject_flags(a, b, 8, MT_INJ_PROBE, 0, 0) == MT_INJF_PROBE);
	CHECK(mt_inject_flags(a, b, 8, MT_INJ_RULE | MT_INJ_PROBE, 0, 0) ==
	      (MT_INJF_INJECTED | MT_INJF_PROBE));
	CHECK(mt_inject_flags(a, b, 8, 0, 0, 0) == MT_INJF_INJECTED); /* unclaimed */
	CHECK(mt_inject_flags(a, b, 8, MT_INJ_RULE, 0, 1) ==
	      (MT_INJF_INJECTED | MT_INJF_DELAYED));
	/* only the first width bytes are compared */
	CHECK(mt_inject_flags(a, b, 7, MT_INJ_RULE, 0, 0) == 0);

	/* a dropped write: flagged with its original even if the value is equal */
	CHECK(mt_inject_flags(a, a, 8, 0, MT_INJ_RULE, 0) ==
	      (MT_INJF_INJECTED | MT_INJF_DROPPED));
	CHECK(mt_inject_flags(a, a, 8, 0, MT_INJ_PROBE, 0) ==
	      (MT_INJF_PROBE | MT_INJF_DROPPED));
	/* a probe changed it, a rule dropped it */
	CHECK(mt_inject_flags(a, b, 8, MT_INJ_PROBE, MT_INJ_RULE, 1) ==
	      (MT_INJF_INJECTED | MT_INJF_PROBE | MT_INJF_DROPPED | MT_INJF_DELAYED));
	/* changed and changed back: equal, nothing */
	CHECK(mt_inject_flags(a, a, 8, MT_INJ_RULE | MT_INJ_PROBE, 0, 0) == 0);

	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	return failures ? 1 : 0;
}
