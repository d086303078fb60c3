/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * kernel_int.h - what the files of `mmiotap kernel` share: kernel.c (the
 * module, the device, stop/status/mark), kernel_record.c (the record
 * command) and kernel_drain.c (the module's records -> the trace format).
 */
#ifndef MMIOTAP_CLI_KERNEL_INT_H
#define MMIOTAP_CLI_KERNEL_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "mmiotap/kabi.h"
#include "mmiotap/trace.h"
#include "mmiotap/sym.h"

struct map_ent {
	int used;
	uint64_t phys;
};

/* Records as read, in CPU order. */
struct recbuf {
	struct mmiotap_krec *v;
	size_t n, cap;
};

#define MT_KREADERS_MAX 64
/* Records one reader thread stores before the main thread writes them out
 * (kernel_drain.c; 1M records: 64 MiB). */
#define MT_KREADER_CAP (1u << 20)

struct kreader;

struct drain {
	int fd;
	struct mt_writer *w;
	/* Reader threads, one pinned to each CPU (kernel_drain.c): each
	 * read()s into a store of its own, so that one of them can run even
	 * where the traced code keeps a CPU busy with preemption off, none
	 * waits for another, and reading never waits for the conversion. */
	struct kreader *readers[MT_KREADERS_MAX];
	int nreaders;
	size_t reader_cap;          /* 0: MT_KREADER_CAP (tests set less) */
	volatile int stop;
	struct recbuf work;         /* the main thread's: sorted, written */
	struct map_ent maps[65536];
	char mark[4096];
	size_t mark_len;
	uint64_t mark_seq, mark_ts;
	/* A READ/WRITE wider than 8 bytes, waiting for its DATA records. */
	struct mt_event wide_ev;
	uint8_t wide[64];
	uint64_t wide_orig;
	size_t wide_len;
	int wide_pending;
	uint64_t nrec, naccess, nlost, nunknown;
	int werr;
	struct mt_ksymrec *ks;      /* KSYM records of the PCs seen; NULL: none */
	int kserr;                  /* first error writing them */
};

/* One round: STATUS (the last seq handed out), read everything, write
 * what is complete (all if final), SYNC. Returns 1 if the module still
 * traces, 0 if not, or a negative errno. */
int mt_kdrain_round(struct drain *d, int final);
/* Sort v by seq and write the records numbered up to upto (the module's
 * records, checked: whatever they hold); returns how many. */
size_t mt_kdrain_emit(struct drain *d, struct mmiotap_krec *v, size_t n, uint64_t upto);
/* Start and stop the reader threads (mt_kdrain_round() works without). */
void mt_kdrain_readers_start(struct drain *d);
void mt_kdrain_readers_stop(struct drain *d);
/* Everything the drain holds freed (not the writer nor the fd). */
void mt_kdrain_free(struct drain *d);

/* kernel.c */
int mt_kmod_ensure(const char *opt);    /* 1 if this call loaded it */
void mt_kmod_unload(void);
int mt_kdev_open(void);                 /* dies with a clear message */
int mt_kdev_status(int fd, struct mmiotap_kstatus *st);
/* Dies saying a recording of another process runs (from STATUS). */
void mt_kdev_die_busy(int fd) __attribute__((noreturn));
int mt_kdev_parse_pci(const char *s, struct mmiotap_ksel *k);
int mt_kdev_parse_phys(const char *s, struct mmiotap_ksel *k);

#endif
