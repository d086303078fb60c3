/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * tdiff.h - semantic diff of two traces (libmttdiff, used by `mmiotap diff`).
 *
 * Two layers:
 *  - mt_seqdiff(): a shortest-edit-script diff (Myers' O(ND) algorithm with
 *    the linear-space middle-snake refinement, GNU diffseq's "too expensive"
 *    cut-off) of two arrays of 64-bit keys. Memory: 2 ints per element of the
 *    part left after the common prefix and suffix, plus one bit per element.
 *  - struct mt_tdiff_src: a trace read as a stream of comparable elements
 *    (accesses and markers), each keyed by what stays the same across runs:
 *    direction, device identity (PCI BDF + BAR, /dev/mem physical address,
 *    file path + offset; never the map id), register address, width, value,
 *    and optionally pc/pid/tid. Filters: ignored registers (offsets, ranges,
 *    register name globs through a regbind), ignored values, collapsed polls;
 *    asynchronous elements (--async: interrupt context, tasks that ran a
 *    given function) flagged for the caller to compare as sets
 *    (struct mt_tdiff_aset) instead of in order.
 */
#ifndef MMIOTAP_TDIFF_H
#define MMIOTAP_TDIFF_H

#include <stddef.h>
#include <stdint.h>
#include "mmiotap/trace.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- sequence diff --------------------------------------------------------- */

/*
 * Compare a[0..na) with b[0..nb). On return bit i of del (i < na) is set if
 * a[i] is not in the common subsequence, bit j of ins likewise for b. del and
 * ins have room for (n + 63) / 64 words and are cleared here. minimal: never
 * take the heuristic cut-off (may be quadratic on very different inputs).
 * Returns 0 or -ENOMEM. na, nb < 2^31.
 */
int mt_seqdiff(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, uint64_t *del,
	       uint64_t *ins, int minimal);

/* The same with anchors: a[anc_a[i]] and b[anc_b[i]] (equal keys, both
 * strictly increasing) are forced to match; the parts between them are
 * compared separately (bounded work, alignment at markers). -EINVAL if
 * the anchors are not so. */
int mt_seqdiff_anchored(const uint64_t *a, size_t na, const uint64_t *b, size_t nb,
			const size_t *anc_a, const size_t *anc_b, size_t nanc, uint64_t *del,
			uint64_t *ins, int minimal);

static inline int mt_bit(const uint64_t *bits, size_t i)
{
	return (int)((bits[i >> 6] >> (i & 63)) & 1);
}

/* ---- a trace as diff elements ---------------------------------------------- */

#define MT_TDIFF_CMP_PC 0x1
#define MT_TDIFF_CMP_PID 0x2
#define MT_TDIFF_CMP_TID 0x4
#define MT_TDIFF_CMP_FLAGS 0x8

/* A register selector: addresses addr..last (inclusive) in any device, or
 * only in BAR `bar` of a PCI device (bar 0xff: any); or, when name is set,
 * the registers whose database name (or DOMAIN.NAME) matches the glob
 * `name` (fnmatch), in the MAPs a register database describes. */
struct mt_tdiff_reg {
	uint64_t addr, last;
	uint8_t bar;
	const char *name;
};

struct mt_tdiff_opts {
	unsigned compare;               /* MT_TDIFF_CMP_* */
	const struct mt_tdiff_reg *ignore;
	size_t nignore;
	const struct mt_tdiff_reg *ignore_value;
	size_t nignore_value;
	int collapse_polls;             /* consecutive identical reads count once */
	int async_irq;                  /* hardirq/softirq/NMI accesses are asynchronous */
	const char *const *async_funcs; /* globs: tasks running such a function are */
	size_t nasync_funcs;
};

struct regbind;
struct mt_tdiff_namememo;

/* ---- asynchronous accesses (--async) ------------------------------------ */

/* The tasks (pid, tid) of one trace that ran a function matching one of
 * o->async_funcs, by the trace's KSYM/OBJECT records (path: the trace file,
 * read for its symbols; fd: the same, read from its start). *no_symbols: the
 * trace has none (the set is then empty). 0 or -errno with err filled. */
struct mt_tdiff_tasks;
int mt_tdiff_async_tasks(int fd, const char *path, const struct mt_tdiff_opts *o,
			 struct mt_tdiff_tasks **out, int *no_symbols, char *err, size_t errlen);
size_t mt_tdiff_tasks_count(const struct mt_tdiff_tasks *t);
void mt_tdiff_tasks_free(struct mt_tdiff_tasks *t);

/* Device identities, shared by the two sources of one diff so that equal
 * identities get equal numbers. */
struct mt_tdiff_devs {
	char **names;
	uint8_t *bars;                  /* BAR of the identity, 0xff none */
	size_t n, cap;
};
void mt_tdiff_devs_free(struct mt_tdiff_devs *d);

/* One element. MARK: kind MT_REC_MARK, text/text_len. */
struct mt_tdiff_elem {
	uint64_t key;                   /* hash of everything compared */
	uint8_t kind, width;
	uint16_t flags;
	uint32_t dev;                   /* index into devs->names */
	uint16_t map_id;                /* the trace's own map id (0: none) */
	uint64_t addr, value, pc, seq;
	uint64_t offset;                /* in the MAP (register database lookups) */
	uint32_t pid, tid;
	uint64_t repeat;                /* collapsed polls: times read (>= 1) */
	int async;                      /* --async: compared as a set, not in order */
	int value_ignored;              /* --ignore-value: value not compared */
	const char *text;               /* MARK: valid until the next call */
	size_t text_len;
};

struct mt_tdiff_src {
	struct mt_reader *r;
	const struct mt_tdiff_opts *o;
	struct regbind *names;          /* register databases of this trace, or NULL */
	struct mt_tdiff_tasks *tasks;   /* its asynchronous tasks, or NULL */
	struct mt_tdiff_namememo *memo; /* name selectors' verdicts per register */
	struct mt_tdiff_devs *devs;
	uint32_t *map_dev;              /* [65536]: map id -> dev + 1 (0 unknown) */
	uint64_t *map_base;             /* [65536]: register address of offset 0 */
	struct mt_tdiff_elem pend;      /* collapsed read waiting for its repeats */
	int have_pend, eof;
	char *mark[2];                  /* MARK texts of pend and of the last element */
	size_t mark_cap[2];
	int slot;                       /* mark[] slot of pend */
	uint64_t records, lost;         /* reader records seen, LOST count */
	uint64_t bound;                 /* MAPs a register database describes */
	char name_err[512];             /* the first database that failed to load */
	uint64_t *hits[2];              /* accesses each ignore / ignore_value
					 * selector matched */
};

/* Elements with e->async set (--async: interrupt context, or a task of
 * s->tasks, set by the caller after open) come in any order relative to the
 * others; poll collapsing goes on across them. MARKs are never async.
 * fd: the trace (any format the reader takes); not closed. names: the
 * register databases (regbind.h) for this trace alone (map ids are its
 * own), bound here MAP by MAP; NULL: none (name selectors match nothing).
 * 0 or -errno. */
int mt_tdiff_src_open(struct mt_tdiff_src *s, int fd, const struct mt_tdiff_opts *o,
		      struct mt_tdiff_devs *devs, struct regbind *names);
/* 1: *e filled; 0: end; <0: error (mt_tdiff_src_errmsg()). */
int mt_tdiff_src_next(struct mt_tdiff_src *s, struct mt_tdiff_elem *e);
const char *mt_tdiff_src_errmsg(const struct mt_tdiff_src *s);
void mt_tdiff_src_close(struct mt_tdiff_src *s);

/* Whether two elements are equal in every compared field (the key is a
 * hash: this is the exact check). */
int mt_tdiff_elem_equal(const struct mt_tdiff_elem *x, const struct mt_tdiff_elem *y,
			unsigned compare);

/*
 * Parse a register selector: "0x10", "16", "BAR:0x10" (e.g. "0:0x10"), a
 * range "0x4000-0x40ff" (also after "BAR:"), or a register name glob
 * ("STATUS", "RA*", "0:ICR"; anything not starting with a digit): reg->name
 * then points into s. 0 or -EINVAL.
 */
int mt_tdiff_reg_parse(const char *s, struct mt_tdiff_reg *reg);

/* Whether the name selector reg matches the register named `name` of
 * domain `domain` (NULL: none). */
int mt_tdiff_reg_name_match(const struct mt_tdiff_reg *reg, const char *domain,
			    const char *name);

/* ---- asynchronous accesses compared as sets -------------------------------- */

struct mt_tdiff_aelem {
	uint64_t key;
	size_t marks;                   /* MARK elements before it in its trace */
	size_t seg;                     /* segment: anchors before it */
	size_t idx;                     /* its number among the trace's async elements */
};
/* A distinct asynchronous access the other trace's segment does not have:
 * its first occurrence and how many there were. */
struct mt_tdiff_aonly {
	size_t idx, seg;
	uint64_t count;
};
struct mt_tdiff_aset {
	struct mt_tdiff_aelem *v;
	size_t n, cap;
	struct mt_tdiff_aonly *only;    /* after compare: by idx */
	size_t nonly, ocap;
};
/* Add the next async element (in trace order). 0 or -ENOMEM. */
int mt_tdiff_aset_add(struct mt_tdiff_aset *a, uint64_t key, size_t marks_before);
/* anc_a/anc_b: the anchors' marker ordinals (0-based, increasing) in A and
 * B. Fills a->only and b->only (and frees the elements). 0 or -ENOMEM. */
int mt_tdiff_aset_compare(struct mt_tdiff_aset *a, const size_t *anc_a, struct mt_tdiff_aset *b,
			  const size_t *anc_b, size_t nanc);
void mt_tdiff_aset_free(struct mt_tdiff_aset *a);

#ifdef __cplusplus
}
#endif
#endif
