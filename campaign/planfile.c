// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * planfile.c - the plan as a text file a user reads and edits:
 *
 *     mmiotap-campaign-plan 1
 *     # ID  FAULT     REG     OCC  SITE             RULE
 *     1     all-ones  0x8/4   1    pc=0x55d0c1a2b3  file=/dev/uio0,off=0x8,...
 *
 * Read back with line-numbered errors; every RULE is parsed by the rule
 * language's own parser, so a plan that loads runs.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"

int cp_plan_add(struct cp_plan *p, const struct cp_exp *e, const char *rule)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		struct cp_exp *n = realloc(p->exp, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		p->exp = n;
		p->cap = cap;
	}
	p->exp[p->n] = *e;
	p->exp[p->n].rule = strdup(rule);
	if (!p->exp[p->n].rule)
		return -ENOMEM;
	p->n++;
	return 0;
}

void cp_plan_free(struct cp_plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->exp[i].rule);
	free(p->exp);
	memset(p, 0, sizeof(*p));
}

int cp_plan_write(FILE *out, const struct cp_plan *p, const char *from)
{
	size_t i;

	fprintf(out, "%s\n", CP_PLAN_MAGIC);
	if (from)
		fprintf(out, "# from %s: %zu experiments\n", from, p->n);
	fprintf(out, "# Each line is one run of the workload with RULE (mmiotap-campaign(1)).\n"
		     "# Delete lines to skip experiments; edit RULE to change one.\n"
		     "# ID\tFAULT\tREG\tOCC\tSITE\tRULE\n");
	for (i = 0; i < p->n; i++) {
		const struct cp_exp *e = &p->exp[i];
		fprintf(out, "%u\t%s\t0x%" PRIx64 "/%u\t%" PRIu64 "\tpc=0x%" PRIx64 "\t%s\n", e->id,
			e->fault, e->off, e->width, e->occ, e->pc, e->rule);
	}
	return fflush(out) || ferror(out) ? -EIO : 0;
}

/* Next whitespace-separated word of *s (NUL-terminated in place). */
static char *word(char **s)
{
	char *w = *s, *e;

	while (isspace((unsigned char)*w))
		w++;
	if (!*w)
		return NULL;
	for (e = w; *e && !isspace((unsigned char)*e); e++)
		;
	if (*e)
		*e++ = 0;
	*s = e;
	return w;
}

static int u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

/* One experiment line; returns NULL or what is wrong. */
static const char *parse_line(char *s, struct cp_exp *e, char **rule, struct mt_rule_error *re)
{
	char *id = word(&s), *fault = word(&s), *reg = word(&s), *occ = word(&s),
	     *site = word(&s), *slash;
	uint64_t v;
	struct mt_inject_rule r;

	memset(e, 0, sizeof(*e));
	if (!site)
		return "expected: ID FAULT REG OCC SITE RULE";
	if (u64(id, &v) || v == 0 || v > UINT32_MAX)
		return "ID is not a number from 1";
	e->id = (unsigned)v;
	if (strlen(fault) >= sizeof(e->fault))
		return "FAULT is too long";
	strcpy(e->fault, fault);
	slash = strchr(reg, '/');
	if (!slash)
		return "REG is not OFFSET/WIDTH";
	*slash = 0;
	if (u64(reg, &e->off) || u64(slash + 1, &v) || v == 0 || v > 64)
		return "REG is not OFFSET/WIDTH";
	e->width = (unsigned)v;
	if (u64(occ, &e->occ))
		return "OCC is not a number";
	if (strncmp(site, "pc=", 3) || u64(site + 3, &e->pc))
		return "SITE is not pc=ADDRESS";
	while (isspace((unsigned char)*s))
		s++;
	*rule = s;
	if (!*s)
		return "no RULE";
	if (mt_rule_parse(s, &r, re) < 0)
		return "bad RULE";
	return NULL;
}

static int bad(char *err, size_t errlen, const char *name, unsigned line, const char *what)
{
	snprintf(err, errlen, "%s:%u: %s", name, line, what);
	return -EINVAL;
}

static int by_id(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return x < y ? -1 : x > y;
}

/* Results merge by ID: two experiments with one ID would hide each other. */
static int unique_ids(const struct cp_plan *p, char *err, size_t errlen, const char *name)
{
	unsigned *ids = malloc((p->n + 1) * sizeof(*ids));
	int rc = 0;

	if (!ids) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->n; i++)
		ids[i] = p->exp[i].id;
	qsort(ids, p->n, sizeof(*ids), by_id);
	for (size_t i = 1; i < p->n && !rc; i++) {
		if (ids[i] == ids[i - 1]) {
			snprintf(err, errlen, "%s: experiment ID %u appears twice", name, ids[i]);
			rc = -EINVAL;
		}
	}
	free(ids);
	return rc;
}

int cp_plan_read(FILE *in, const char *name, struct cp_plan *p, char *err, size_t errlen)
{
	char *line = NULL, *rule;
	size_t cap = 0;
	ssize_t len;
	unsigned lineno = 0;
	int rc = 0;

	while ((len = getline(&line, &cap, in)) >= 0) {
		struct cp_exp e;
		struct mt_rule_error re;
		const char *why;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (lineno == 1) {
			if (strcmp(line, CP_PLAN_MAGIC)) {
				rc = bad(err, errlen, name, 1, "not a campaign plan (no '"
					 CP_PLAN_MAGIC "' line)");
				break;
			}
			continue;
		}
		if (strspn(line, " \t") == (size_t)len || line[strspn(line, " \t")] == '#')
			continue;
		memset(&re, 0, sizeof(re));
		why = parse_line(line, &e, &rule, &re);
		if (why && re.msg[0]) {
			char msg[400];
			snprintf(msg, sizeof(msg), "RULE column %u: %s: '%s'", re.column, re.msg,
				 re.token);
			rc = bad(err, errlen, name, lineno, msg);
			break;
		}
		if (why) {
			rc = bad(err, errlen, name, lineno, why);
			break;
		}
		rc = cp_plan_add(p, &e, rule);
		if (rc < 0) {
			snprintf(err, errlen, "out of memory");
			break;
		}
	}
	if (!rc && lineno == 0)
		rc = bad(err, errlen, name, 1, "empty file, not a campaign plan");
	if (!rc)
		rc = unique_ids(p, err, errlen, name);
	if (!rc && ferror(in)) {
		snprintf(err, errlen, "%s: read error", name);
		rc = -EIO;
	}
	free(line);
	return rc;
}

void cp_rule_device(const char *rule, char *buf, size_t room)
{
	struct mt_inject_rule r;

	if (mt_rule_parse(rule, &r, NULL) < 0) {
		snprintf(buf, room, "?");
		return;
	}
	switch (r.target) {
	case MT_TGT_FILE:
		snprintf(buf, room, "%s", r.path);
		break;
	case MT_TGT_PCI:
		snprintf(buf, room, "pci %04x:%02x:%02x.%x bar %d", r.pci_domain, r.pci_bus,
			 r.pci_devfn >> 3, r.pci_devfn & 7, r.bar);
		break;
	case MT_TGT_PHYS:
		snprintf(buf, room, "phys");
		break;
	default:
		snprintf(buf, room, "any");
	}
}
