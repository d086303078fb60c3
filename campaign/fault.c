// SPDX-License-Identifier: GPL-2.0 OR MIT
/* fault.c - the faults and occurrence choices of `campaign plan`, and the
 * rule items each fault becomes. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"

static int num(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

static int fault_one(const char *s, struct cp_fault *f)
{
	const char *colon = strchr(s, ':');

	memset(f, 0, sizeof(*f));
	if (!strcmp(s, "all-ones"))
		f->kind = CP_ALL_ONES;
	else if (!strcmp(s, "zero"))
		f->kind = CP_ZERO;
	else if (!strncmp(s, "flip:", 5))
		f->kind = CP_FLIP;
	else if (!strncmp(s, "stuck:", 6))
		f->kind = CP_STUCK;
	else if (!strncmp(s, "delay:", 6))
		f->kind = CP_DELAY;
	else
		return -1;
	if (f->kind <= CP_ZERO)
		return 0;
	if (num(colon + 1, &f->arg))
		return -1;
	if (f->kind == CP_FLIP && f->arg > 63)
		return -1;
	if (f->kind == CP_DELAY && (f->arg == 0 || f->arg > 10000000))
		return -1; /* the rule language's limit: 10 s */
	return 0;
}

int cp_fault_parse_list(const char *s, struct cp_fault *f, size_t max, size_t *n,
			char *err, size_t errlen)
{
	char *copy = strdup(s), *save = NULL, *tok;

	if (!copy)
		return -ENOMEM;
	*n = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n >= max) {
			snprintf(err, errlen, "more than %zu faults", max);
			goto bad;
		}
		if (fault_one(tok, &f[*n])) {
			snprintf(err, errlen,
				 "bad fault '%s' (all-ones, zero, flip:BIT (0-63), stuck:VALUE, "
				 "delay:US (1-10000000))", tok);
			goto bad;
		}
		(*n)++;
	}
	free(copy);
	if (!*n) {
		snprintf(err, errlen, "no faults given");
		return -EINVAL;
	}
	return 0;
bad:
	free(copy);
	return -EINVAL;
}

int cp_occ_parse(const char *s, struct cp_occ *o)
{
	o->every = 0;
	if (!strcmp(s, "first"))
		o->mode = CP_OCC_FIRST;
	else if (!strcmp(s, "all"))
		o->mode = CP_OCC_ALL;
	else if (!strncmp(s, "every:", 6) && !num(s + 6, &o->every) && o->every > 0)
		o->mode = CP_OCC_EVERY;
	else
		return -1;
	return 0;
}

int cp_fault_name(const struct cp_fault *f, char *buf, size_t room)
{
	static const char *const names[] = { "all-ones", "zero", "flip", "stuck", "delay" };
	int n;

	if (f->kind == CP_ALL_ONES || f->kind == CP_ZERO)
		n = snprintf(buf, room, "%s", names[f->kind]);
	else if (f->kind == CP_STUCK)
		n = snprintf(buf, room, "stuck:0x%" PRIx64, f->arg);
	else
		n = snprintf(buf, room, "%s:%" PRIu64, names[f->kind], f->arg);
	return n < 0 || (size_t)n >= room ? -1 : 0;
}

int cp_fault_actions(const struct cp_fault *f, unsigned width, uint64_t nth, char *buf,
		     size_t room)
{
	uint64_t ones = width >= 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * width)) - 1;
	int n;

	switch (f->kind) {
	case CP_ALL_ONES:
		n = snprintf(buf, room, "when=%" PRIu64 ",value=0x%" PRIx64, nth, ones);
		break;
	case CP_ZERO:
		n = snprintf(buf, room, "when=%" PRIu64 ",value=0x0", nth);
		break;
	case CP_FLIP:
		if (f->arg >= 8ull * width)
			return -1;
		n = snprintf(buf, room, "when=%" PRIu64 ",xor=0x%" PRIx64, nth, (uint64_t)1 << f->arg);
		break;
	case CP_STUCK: /* from this read on, the register reads VALUE */
		if (f->arg & ~ones)
			return -1;
		n = snprintf(buf, room, "when=%" PRIu64 "+,value=0x%" PRIx64, nth, f->arg);
		break;
	case CP_DELAY:
		n = snprintf(buf, room, "when=%" PRIu64 ",delay=%" PRIu64 "us", nth, f->arg);
		break;
	default:
		return -1;
	}
	return n < 0 || (size_t)n >= room ? -1 : 0;
}
