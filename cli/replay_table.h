/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* replay_table.h - compile a trace (fd in) into a replay table (fd out). */
#ifndef MMIOTAP_CLI_REPLAY_TABLE_H
#define MMIOTAP_CLI_REPLAY_TABLE_H
#include <stddef.h>

#define MT_REPLAY_MAX_DEVS 64
struct mt_replay_tree;
/* 0, or -1 with a one-line reason in err. mode: MT_REPLAY_*. tree: where
 * the FILE records go (replay_tree.h), or NULL. */
int mt_replay_table_build(int in, int out, int mode, struct mt_replay_tree *tree, char *err,
			  size_t errlen);
#endif
