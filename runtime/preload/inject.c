// SPDX-License-Identifier: GPL-2.0 OR MIT
/* inject.c - --inject rules applied to traced accesses (placeholder until
 * the format/ rule engine is wired in). */
#include "internal.h"

#include <errno.h>

MT_HIDDEN int mt_inject_init(const char *rules)
{
	(void)rules;
	return -ENOTSUP;
}

MT_HIDDEN void mt_inject_apply(const struct mt_region *r, int is_write, uint64_t off,
			       void *value, unsigned size, unsigned *evflags)
{
	(void)r; (void)is_write; (void)off; (void)value; (void)size; (void)evflags;
}
