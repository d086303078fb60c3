// SPDX-License-Identifier: GPL-2.0 OR MIT
/* results.c - one line per experiment in DIR/results.txt: tab-separated
 * fields, so that lines of several shards append and merge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"

#define NFIELDS 10

/* Copy s into a field: tabs and line ends become spaces. */
static void clean(char *dst, size_t room, const char *s)
{
	size_t i;

	for (i = 0; i + 1 < room && s[i]; i++)
		dst[i] = s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ? ' ' : s[i];
	dst[i] = 0;
}

int cp_result_format(const struct cp_result *r, char *buf, size_t room)
{
	char detail[sizeof(r->detail)], crash[sizeof(r->crash)], div[sizeof(r->div)],
		rule[sizeof(r->rule)];
	int n;

	clean(detail, sizeof(detail), r->detail[0] ? r->detail : "-");
	clean(crash, sizeof(crash), r->crash[0] ? r->crash : "-");
	clean(div, sizeof(div), r->div[0] ? r->div : "-");
	clean(rule, sizeof(rule), r->rule);
	n = snprintf(buf, room, "%u\t%s\t%s\t%.3f\t%lu\t%s\t%s\t%s\t%s\t%s\n", r->id, r->verdict,
		     detail, r->secs, r->inj, crash, div, r->fault, r->reg, rule);
	return n < 0 || (size_t)n >= room ? -1 : n;
}

static int field(char *dst, size_t room, const char *s)
{
	if (strlen(s) >= room)
		return -1;
	strcpy(dst, s);
	return 0;
}

int cp_result_parse(char *line, struct cp_result *r)
{
	char *f[NFIELDS], *s = line, *end;
	size_t n = 0;

	line[strcspn(line, "\r\n")] = 0;
	if (!*line || *line == '#')
		return 0;
	while (n < NFIELDS) {
		f[n++] = s;
		s = strchr(s, '\t');
		if (!s)
			break;
		*s++ = 0;
	}
	if (n != NFIELDS || s)
		return -1;
	memset(r, 0, sizeof(*r));
	unsigned long id = strtoul(f[0], &end, 10);
	if (*end || !id || id > 0xffffffffu)
		return -1;
	r->id = (unsigned)id;
	r->secs = strtod(f[3], &end);
	if (*end)
		return -1;
	r->inj = strtoul(f[4], &end, 10);
	if (*end)
		return -1;
	if (field(r->verdict, sizeof(r->verdict), f[1]) || field(r->detail, sizeof(r->detail), f[2]) ||
	    field(r->crash, sizeof(r->crash), f[5]) || field(r->div, sizeof(r->div), f[6]) ||
	    field(r->fault, sizeof(r->fault), f[7]) || field(r->reg, sizeof(r->reg), f[8]) ||
	    field(r->rule, sizeof(r->rule), f[9]))
		return -1;
	return 1;
}
