// SPDX-License-Identifier: GPL-2.0 OR MIT
/* regsel.c - the access selection shared by decode and report (regsel.h). */
#include <fnmatch.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "regsel.h"

struct regsel_last {
	uint64_t key; /* 0: empty */
	uint64_t value;
};

void regsel_init(struct regsel *s)
{
	memset(s, 0, sizeof(*s));
	s->pid = s->tid = s->cpu = -1;
}

void regsel_free(struct regsel *s)
{
	free(s->last);
	s->last = NULL;
}

static uint64_t parse_secs(const char *opt, const char *a)
{
	char *end;
	double d = strtod(a, &end);

	if (end == a || *end || !isfinite(d) || d < 0 || d > 1.8e10)
		error_msg_and_help("%s %s: expected seconds (e.g. 12.5)", opt, a);
	return (uint64_t)llround(d * 1e9);
}

static int64_t parse_id(const char *opt, const char *a)
{
	uint64_t v;

	if (mt_cli_parse_u64(a, &v) || v > 0xffffffffu)
		error_msg_and_help("%s %s: expected a number", opt, a);
	return (int64_t)v;
}

int regsel_option(struct regsel *s, int c, const char *arg, int argc, char **argv)
{
	switch (c) {
	case REGSEL_REG:
		if (s->nglobs == sizeof(s->globs) / sizeof(s->globs[0]))
			error_msg_and_help("too many --reg");
		s->globs[s->nglobs++] = arg;
		return 1;
	case REGSEL_BETWEEN:
		if (optind >= argc)
			error_msg_and_help("--between needs two markers: MARK1 MARK2");
		s->mark1 = arg;
		s->mark2 = argv[optind++];
		return 1;
	case REGSEL_FROM:
		s->has_from = 1;
		s->from_ns = parse_secs("--from", arg);
		return 1;
	case REGSEL_TO:
		s->has_to = 1;
		s->to_ns = parse_secs("--to", arg);
		return 1;
	case REGSEL_PID:
		s->pid = parse_id("--pid", arg);
		return 1;
	case REGSEL_TID:
		s->tid = parse_id("--tid", arg);
		return 1;
	case REGSEL_CPU:
		s->cpu = parse_id("--cpu", arg);
		return 1;
	case REGSEL_CHANGES:
		s->changes = 1;
		return 1;
	}
	return 0;
}

static int mark_is(const struct mt_event *ev, const char *m)
{
	size_t l = strlen(m);

	return ev->text_len == l && !memcmp(ev->text, m, l);
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ull;
	return x ^ (x >> 29);
}

/* 1 if value differs from the last one stored for key (or is the first). */
static int changed(struct regsel *s, uint64_t key, uint64_t value)
{
	size_t j;

	key |= 1ull << 63; /* never 0 */
	if ((s->lused + 1) * 2 > s->lcap) {
		size_t ncap = s->lcap ? s->lcap * 2 : 1024, i;
		struct regsel_last *n = calloc(ncap, sizeof(*n));

		if (!n)
			error_msg_and_die("out of memory");
		for (i = 0; i < s->lcap; i++) {
			if (!s->last[i].key)
				continue;
			for (j = mix(s->last[i].key) & (ncap - 1); n[j].key; j = (j + 1) & (ncap - 1))
				;
			n[j] = s->last[i];
		}
		free(s->last);
		s->last = n;
		s->lcap = ncap;
	}
	for (j = mix(key) & (s->lcap - 1); s->last[j].key; j = (j + 1) & (s->lcap - 1))
		if (s->last[j].key == key) {
			if (s->last[j].value == value)
				return 0;
			s->last[j].value = value;
			return 1;
		}
	s->last[j].key = key;
	s->last[j].value = value;
	s->lused++;
	return 1;
}

int regsel_pass(struct regsel *s, struct regbind *b, const struct mt_event *ev)
{
	const struct regdb_cached *c = NULL;
	int looked = 0;

	if (ev->kind == MT_REC_MARK && s->mark1) {
		if (!s->inside && mark_is(ev, s->mark1))
			s->inside = 1;
		else if (s->inside && mark_is(ev, s->mark2))
			s->inside = 0;
		return 0;
	}
	if (ev->kind != MT_REC_READ && ev->kind != MT_REC_WRITE && ev->kind != MT_REC_UNKNOWN)
		return 0;
	if (s->mark1 && !s->inside)
		return 0;
	if ((s->has_from && ev->ts < s->from_ns) || (s->has_to && ev->ts > s->to_ns))
		return 0;
	if ((s->pid >= 0 && ev->pid != s->pid) || (s->tid >= 0 && ev->tid != s->tid) ||
	    (s->cpu >= 0 && ev->cpu != s->cpu))
		return 0;
	if (s->nglobs) {
		const char *dom = NULL;
		char off[32], full[700];
		unsigned i;
		int ok = 0;

		c = regbind_lookup(b, ev->map_id, ev->offset, ev->width, &dom);
		looked = 1;
		snprintf(off, sizeof(off), "%#llx", (unsigned long long)ev->offset);
		snprintf(full, sizeof(full), "%s.%s", dom ? dom : "", c ? c->name : off);
		for (i = 0; i < s->nglobs && !ok; i++)
			/* the name itself first: ARRAY[0x1].REG as a glob is a
			 * character class */
			ok = !strcmp(s->globs[i], c ? c->name : off) || !strcmp(s->globs[i], full) ||
			     !fnmatch(s->globs[i], c ? c->name : off, 0) ||
			     !fnmatch(s->globs[i], full, 0);
		if (!ok)
			return 0;
	}
	if (s->changes && ev->kind != MT_REC_UNKNOWN) {
		uint64_t off = ev->offset;

		if (!looked)
			c = regbind_lookup(b, ev->map_id, ev->offset, ev->width, NULL);
		if (c)
			off -= c->hit.within;
		if (!changed(s, (uint64_t)ev->map_id << 40 ^ off << 8 ^ ev->width, ev->value))
			return 0;
	}
	return 1;
}
