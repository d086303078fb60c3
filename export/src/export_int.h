/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * export_int.h - what the exporters share: the output buffer, the table of
 * maps seen, the set of tracks described, small text helpers.
 */
#ifndef MT_EXPORT_INT_H
#define MT_EXPORT_INT_H

#include <stdint.h>
#include <stddef.h>
#include "mmiotap/export.h"

/* ---- output buffer: whole records go in, write(2) when full ---------------- */
#define XO_SIZE (1u << 20)
/* Largest single reservation (a MARK of MT_REC_VAR_MAX bytes, escaped). */
#define XO_MAX_ITEM (6u * MT_REC_VAR_MAX + 4096u)
struct xout {
	int fd;
	int err;        /* first write error (negative errno) */
	size_t len;
	uint8_t *buf;   /* XO_SIZE + XO_MAX_ITEM */
};
/* Room for n more bytes (n <= XO_MAX_ITEM); returns the write position. */
uint8_t *xo_reserve(struct xout *o, size_t n);
static inline void xo_commit(struct xout *o, uint8_t *end)
{
	o->len = (size_t)(end - o->buf);
}
int xo_flush(struct xout *o);
void xo_puts(struct xout *o, const char *s);

/* ---- text helpers (return the end) ------------------------------------------ */
char *tx_u64(char *p, uint64_t v);            /* decimal */
char *tx_hex(char *p, uint64_t v);            /* 0x..., lowercase, no padding */
/* Access value: 0x + all bytes of a wide value (most significant first). */
char *tx_value(char *p, const struct mt_event *ev);
char *tx_str(char *p, const char *s);
/* JSON string contents (no quotes) of len bytes. */
char *tx_json(char *p, const char *s, size_t len);

/* ---- maps seen (by map_id) -------------------------------------------------- */
struct ex_map {
	struct mt_map_info info; /* info.path points to the owned copy */
	char name[96];           /* "0000:00:03.0 BAR0", path's tail, or phys */
};
struct ex_maps {
	struct ex_map **by_id;   /* 65536 pointers, allocated at the first MAP */
};
int ex_maps_add(struct ex_maps *m, const struct mt_map_info *info);
const struct ex_map *ex_maps_get(const struct ex_maps *m, uint16_t id);
void ex_maps_free(struct ex_maps *m);

/* ---- set of 64-bit keys (tracks already described) -------------------------- */
struct ex_set {
	uint64_t *slot;          /* 0 = empty */
	size_t cap, n;
};
/* 1 if added, 0 if there already, -ENOMEM. key != 0. */
int ex_set_add(struct ex_set *s, uint64_t key);
int ex_set_has(const struct ex_set *s, uint64_t key);
void ex_set_free(struct ex_set *s);

/* ---- the exporter ------------------------------------------------------------ */
struct mt_exporter;
/* Register and function names are cut to this many bytes. */
#define EX_NAME_MAX 64
struct ex_ops {
	int (*begin)(struct mt_exporter *x);
	int (*event)(struct mt_exporter *x, const struct mt_event *ev);
	int (*end)(struct mt_exporter *x);
};
struct mt_exporter {
	enum mt_export_format fmt;
	const struct ex_ops *ops;
	struct xout out;
	struct ex_maps maps;
	struct ex_set tracks;
	uint64_t nevents;        /* events written (chrome: comma placement) */
	struct mt_export_names names;
	char reg[EX_NAME_MAX + 1], fn[EX_NAME_MAX + 1]; /* names, cut (ex_reg_name...) */
	uint64_t ncounters;      /* counter tracks made (capped) */
};
#define EX_MAX_COUNTERS 65536u

extern const struct ex_ops mt_export_csv_ops;
extern const struct ex_ops mt_export_chrome_ops;
extern const struct ex_ops mt_export_perfetto_ops;

/* True for the kinds that are an access to a register (R/W). */
static inline int ex_is_access(const struct mt_event *ev)
{
	return ev->kind == MT_REC_READ || ev->kind == MT_REC_WRITE;
}
/*
 * Track keys (the Perfetto uuids, the Chrome JSON metadata emitted): the
 * kind in the top byte. A register's counter is keyed by its physical
 * address and width, so that the same register seen through two maps (a
 * merged user-space and kernel trace) is one counter.
 */
enum { EX_TK_PROCESS = 1, EX_TK_THREAD, EX_TK_COUNTER, EX_TK_CPU, EX_TK_DEVICE, EX_TK_MARKS };
static inline uint64_t ex_key(unsigned kind, uint64_t v)
{
	return (uint64_t)kind << 56 | (v & ((1ull << 56) - 1));
}
static inline uint64_t ex_thread_key(uint32_t pid, uint32_t tid)
{
	return ex_key(EX_TK_THREAD, (uint64_t)(pid & 0xfffffffu) << 28 | (tid & 0xfffffffu));
}
static inline uint64_t ex_counter_key(const struct mt_event *ev)
{
	unsigned lg = ev->width >= 8 ? 3 : ev->width >= 4 ? 2 : ev->width >= 2 ? 1 : 0;

	return ex_key(EX_TK_COUNTER, (uint64_t)lg << 52 | (ev->phys & ((1ull << 52) - 1)));
}
/* 1 the first time key is seen (describe the track now), else 0; out of
 * memory ends the export (the error is kept, as for a write error). */
static inline int ex_track_new(struct mt_exporter *x, uint64_t key)
{
	int rc = ex_set_add(&x->tracks, key);

	if (rc < 0 && !x->out.err)
		x->out.err = rc;
	return rc == 1;
}

/* Display name of an access's register (database name, cut to EX_NAME_MAX),
 * or NULL; valid until the next call. */
const char *ex_reg_name(struct mt_exporter *x, const struct mt_event *ev);
/* Function of a record's PC (symbolizer, cut to EX_NAME_MAX), or NULL. */
const char *ex_pc_name(struct mt_exporter *x, const struct mt_event *ev);

#endif /* MT_EXPORT_INT_H */
