// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * reg.c - register selectors of `mmiotap diff --ignore/--ignore-value`:
 * an offset ("0x10"), a BAR and offset ("0:0x10", "BAR0:0x10"), or a name
 * glob matched against the register databases' names ("STATUS", "RA*").
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mmiotap/tdiff.h"

static int parse_num(const char *s, uint64_t *v);

/* "A" or "A-B" (B >= A) */
static int parse_range(const char *s, struct mt_tdiff_reg *reg)
{
	const char *dash = strchr(s, '-');
	char a[32];

	if (!dash) {
		if (parse_num(s, &reg->addr))
			return -EINVAL;
		reg->last = reg->addr;
		return 0;
	}
	if ((size_t)(dash - s) >= sizeof(a))
		return -EINVAL;
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = 0;
	if (parse_num(a, &reg->addr) || parse_num(dash + 1, &reg->last) || reg->last < reg->addr)
		return -EINVAL;
	return 0;
}

static int parse_num(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -EINVAL : 0;
}

int mt_tdiff_reg_parse(const char *s, struct mt_tdiff_reg *reg)
{
	const char *colon = strchr(s, ':');
	uint64_t bar;

	reg->bar = 0xff;
	reg->name = NULL;
	reg->addr = reg->last = 0;
	if (colon) {
		char b[16];
		const char *p = b;
		size_t n = (size_t)(colon - s);

		if (n >= sizeof(b))
			return -EINVAL;
		memcpy(b, s, n);
		b[n] = 0;
		if (!strncasecmp(b, "bar", 3))
			p += 3;
		if (parse_num(p, &bar) || bar > 5)
			return -EINVAL;
		reg->bar = (uint8_t)bar;
		s = colon + 1;
	}
	if (*s >= '0' && *s <= '9')
		return parse_range(s, reg);
	if (!*s || strchr(s, ':'))
		return -EINVAL;
	reg->name = s;
	return 0;
}

int mt_tdiff_reg_name_match(const struct mt_tdiff_reg *reg, const char *domain,
			    const char *name)
{
	char full[600];

	/* the name itself first: ARRAY[0x1].REG as a glob is a character class */
	if (!strcmp(reg->name, name) || !fnmatch(reg->name, name, 0))
		return 1;
	if (!domain)
		return 0;
	snprintf(full, sizeof(full), "%s.%s", domain, name);
	return !strcmp(reg->name, full) || !fnmatch(reg->name, full, 0);
}
