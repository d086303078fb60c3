/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * rt_replay.h - the replay table: what `mmiotap replay` compiles from a
 * recorded trace and the preloaded runtime answers device accesses from.
 *
 * One file, mapped MAP_SHARED by every replayed process (cursors and
 * counters are shared across fork; they change only under the order lock):
 *   header | devices[ndev] | registers[nreg] (sorted by dev, foff) | entries[nent]
 * A register is (device file, byte offset in that file); its entries are
 * the recorded reads and writes of it, in recording order.
 *
 * Matching rule (documented in mmiotap-replay(1)), per register:
 *  - read:  the next entry is a read of the same width: answer its value
 *           and move on. The next entry is a write, or none is left: the
 *           program polls longer than recorded: answer the last value read
 *           again (no divergence). Nothing read before: divergence.
 *  - write: skip the recorded reads before the next write (the program
 *           polled less than recorded); that write must have the same
 *           width and value, else divergence. A write of the same width
 *           but another value is taken as that write (the cursor moves on).
 *  - a read answered from the recording whose recorded value is the value
 *    recorded for the register's last write answers the value the program
 *    wrote instead (the register reads back what is written: memory,
 *    scratch registers; a program writing its own pointers stays right).
 * Other divergent accesses are answered from the model (last value written
 * to the register, else the last value read, else 0) and the cursor stays.
 */
#ifndef MMIOTAP_RT_REPLAY_H
#define MMIOTAP_RT_REPLAY_H

#include <stdint.h>

/* Path of the replay table file: set by `mmiotap replay`. */
#define MT_ENV_REPLAY "MMIOTAP_REPLAY"
/* The directory holding the tree of recorded files (FILE records) that
 * stands for the device-describing paths while replaying. */
#define MT_ENV_REPLAY_ROOT "MMIOTAP_REPLAY_ROOT"

#define MT_REPLAY_MAGIC 0x59414c5045525452ull /* "RTREPLAY" */
#define MT_REPLAY_VERSION 1

/* Exit status of a replayed process stopped at a divergence
 * (--on-diverge stop), and of `mmiotap replay` after any divergence. */
#define MT_REPLAY_STOP_STATUS 3

enum { MT_REPLAY_STOP = 0, MT_REPLAY_WARN = 1, MT_REPLAY_MODEL = 2 };

#define MT_REPLAY_PATH_MAX 232
#define MT_REPLAY_MSG_MAX 768

struct mt_replay_hdr {
	uint64_t magic;
	uint32_t version, mode;         /* MT_REPLAY_* */
	uint32_t ndev, nreg;
	uint64_t nent;
	uint64_t dev_off, reg_off, ent_off, size;   /* byte offsets, file size */
	/* written by the replayed processes (under the order lock) */
	uint64_t served, repeated, skipped, diverged, unknown_regs;
	char first[MT_REPLAY_MSG_MAX];  /* the first divergence, NUL-terminated */
};

struct mt_replay_dev {
	char path[MT_REPLAY_PATH_MAX];  /* as the program opens it */
	uint64_t size;                  /* file size the memfd gets */
	uint64_t phys0;                 /* physical address of file offset 0 ... */
	int32_t dom, bus, dev, fn, bar; /* PCI identity, -1 unknown */
	uint32_t has_phys;              /* ... if this is 1 */
};

struct mt_replay_reg {
	uint64_t foff;                  /* byte offset in the device file */
	uint32_t dev;
	uint32_t have_read;             /* last_read is valid */
	uint64_t first, count;          /* entries[first .. first + count) */
	uint64_t cur;                   /* next entry (0 .. count) */
	uint64_t last_read;
	uint64_t model;                 /* last value written, valid if have_model */
	uint64_t rec_written;           /* the recorded value of that write */
	uint32_t have_model;
	uint32_t any_value;             /* replay --ignore-value: writes match whatever their value */
};

struct mt_replay_ent {
	uint64_t value;
	uint64_t seq;                   /* in the recording */
	uint8_t kind;                   /* MT_REC_READ / MT_REC_WRITE */
	uint8_t width;
	uint8_t pad[6];
};

#endif
