/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* replay_tree.h - the FILE records of a trace as a directory tree for
 * `mmiotap replay` (replay_tree.c). */
#ifndef MMIOTAP_CLI_REPLAY_TREE_H
#define MMIOTAP_CLI_REPLAY_TREE_H
#include <stddef.h>

struct mt_event;
struct mt_replay_tree;

/* A new empty tree in a private directory under $TMPDIR (or /tmp); NULL
 * with a one-line reason in err. */
struct mt_replay_tree *mt_replay_tree_new(char *err, size_t errlen);
/* One FILE event (reader option files): into the tree, or counted skipped;
 * 0, or -1 with a one-line reason in err once the records make more files
 * or bytes than a device's description could. */
int mt_replay_tree_add(struct mt_replay_tree *t, const struct mt_event *ev, char *err,
		       size_t errlen);
const char *mt_replay_tree_root(const struct mt_replay_tree *t);
unsigned mt_replay_tree_files(const struct mt_replay_tree *t);   /* paths put */
unsigned mt_replay_tree_skipped(const struct mt_replay_tree *t); /* records refused */
unsigned mt_replay_tree_cut(const struct mt_replay_tree *t);     /* cut at 64 KiB */
/* Remove the directory and everything in it; free t. */
void mt_replay_tree_free(struct mt_replay_tree *t);
#endif
