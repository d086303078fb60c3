/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* replay_table.h - compile a trace (fd in) into a replay table (fd out). */
#ifndef MMIOTAP_CLI_REPLAY_TABLE_H
#define MMIOTAP_CLI_REPLAY_TABLE_H
#include <stddef.h>
#include <stdint.h>

#define MT_REPLAY_MAX_DEVS 64
struct mt_replay_tree;
/* 0, or -1 with a one-line reason in err. */
struct mt_replay_build_opts {
	int mode;                       /* MT_REPLAY_* */
	struct mt_replay_tree *tree;    /* where FILE records go, or NULL */
	const uint64_t *any_value;      /* offsets whose written values are not checked */
	size_t nany;
};
int mt_replay_table_build(int in, int out, const struct mt_replay_build_opts *o, char *err,
			  size_t errlen);
#endif
