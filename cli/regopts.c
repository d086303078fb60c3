// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * regopts.c - --db, --variant, --no-auto for decode, report and export
 * (regopts.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "regopts.h"

void regopts_init_status(struct regopts *o, int status)
{
	int rc;

	memset(o, 0, sizeof(*o));
	o->status = status;
	if ((rc = regbind_new(&o->b))) {
		errno_msg(rc, "register databases");
		exit(status);
	}
}

void regopts_init(struct regopts *o)
{
	regopts_init_status(o, 1);
}

int regopts_option(struct regopts *o, int c, const char *arg)
{
	struct regdb_err e;

	switch (c) {
	case 'd':
		if (regbind_add(o->b, arg, &e)) {
			error_msg("--db %s: %s", arg, e.msg);
			exit(o->status);
		}
		return 1;
	case 'V':
		if (o->nvar == sizeof(o->variants) / sizeof(o->variants[0]))
			error_msg_and_help("too many --variant");
		o->variants[o->nvar++] = arg;
		return 1;
	case 'A':
		regbind_set_auto(o->b, 0);
		return 1;
	default:
		return 0;
	}
}

void regopts_finish(struct regopts *o)
{
	struct regdb_err e;
	size_t i;

	for (i = 0; i < o->nvar; i++)
		if (regbind_set_variant(o->b, o->variants[i], &e)) {
			error_msg("%s", e.msg);
			exit(o->status);
		}
}

void regopts_free(struct regopts *o)
{
	regbind_free(o->b);
	o->b = NULL;
}
