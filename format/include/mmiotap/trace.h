/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * trace.h - user-space API of the trace format library (libmtformat):
 * writer, reader (binary and mmiotrace text, detected), text and JSON-lines
 * formatting. Every function returns 0 (or a count) or a negative errno and
 * never prints. The record layout and the signal-safe encoders are in
 * mmiotap/trace_format.h.
 *
 * Producer (runtime) pattern:
 *     per thread:  struct mt_enc_stream st; mt_enc_stream_reset(&st);
 *                  n = mt_enc_event(&st, buf + used, room, &ev);  // in the handler
 *     writer thread: mt_writer_append(w, buf, used); mt_enc_stream_reset(&st);
 *                    ... after a round over all buffers: mt_writer_sync(w, next_seq, ts);
 */
#ifndef MMIOTAP_TRACE_H
#define MMIOTAP_TRACE_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include "mmiotap/trace_format.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- decoded records ------------------------------------------------------ */

struct mt_map_info {
	uint16_t map_id;
	uint32_t text_id;
	uint8_t source, bar, mflags;
	uint16_t pci_domain;
	uint8_t pci_bus, pci_devfn;
	uint32_t pid;
	uint64_t seq, ts, phys, virt, size, pc, file_offset;
	const char *path;       /* NUL-terminated, "" if none */
	uint16_t path_len;
	uint8_t has_pci_ids;    /* a DATA MT_DATA_PCI_IDS followed the MAP: pci_ids valid */
	struct mt_pci_ids pci_ids;
};

/*
 * One record with every field absolute. Pointers stay valid until the next
 * mt_reader_next() on the same reader.
 */
struct mt_event {
	uint8_t kind;           /* MT_REC_* (never CTX or DATA: folded in) */
	uint8_t width;
	uint16_t flags;         /* MT_RF_* */
	uint16_t map_id;
	uint16_t cpu;           /* MT_CPU_UNKNOWN if unknown */
	uint32_t pid, tid;      /* tid MT_TID_UNKNOWN if unknown */
	uint64_t seq, ts, pc;
	uint64_t value;         /* low 8 bytes; LOST: count; UNKNOWN: kernel opcode value */
	uint64_t offset;        /* within the map */
	uint64_t phys;          /* reader: map phys + offset (offset if no map) */
	uint32_t text_id;       /* reader: id to print (map's text_id, else map_id) */
	const uint8_t *wide;    /* width > 8: all bytes, else NULL */
	const uint8_t *orig;    /* injected: original value bytes (orig_len), else NULL */
	uint16_t orig_len;
	const uint8_t *insn;    /* UNKNOWN: instruction bytes, else NULL */
	uint8_t insn_len;
	const char *text;       /* MARK/TEXT: bytes (not NUL-terminated); OBJECT/KSYM
				 * (reader option meta), FILE (option files): the
				 * whole raw record, see mt_object_parse(),
				 * mt_ksym_parse(), mt_file_parse() */
	size_t text_len;
	struct mt_map_info map; /* MAP: the mapping */
	uint64_t file_offset;   /* reader: byte offset of the record in the input */
};

/* ---- writer ---------------------------------------------------------------- */

/* Options; `sz` first (sizeof(struct mt_writer_opts)) so it can grow. */
struct mt_writer_opts {
	size_t sz;
	uint16_t clock;          /* MT_CLOCK_* (default MONOTONIC) */
	uint16_t source;         /* MT_SRC_* */
	uint32_t pid;
	uint64_t start_realtime_ns;
	size_t bufsize;          /* internal buffer, default 1 MiB */
	uint64_t compat;
};

struct mt_writer;

/* mt_writer_open_path() refusals (negative), besides -errno: the path is a
 * symbolic link, a regular file of another user, or not a regular file or
 * character device. The file is created 0600. mt_writer_strerror() says
 * which, or strerror() for an errno. */
#define MT_EOUT_SYMLINK 4001
#define MT_EOUT_OWNER 4002
#define MT_EOUT_TYPE 4003
const char *mt_writer_strerror(int err);

/* Open on fd (not closed by mt_writer_close unless it was opened by path). */
int mt_writer_open_fd(struct mt_writer **w, int fd, const struct mt_writer_opts *o);
int mt_writer_open_path(struct mt_writer **w, const char *path,
			const struct mt_writer_opts *o);
/* Append already-encoded records (whole records, 8-byte multiple). */
int mt_writer_append(struct mt_writer *w, const void *bytes, size_t n);
/* Encode and append one decoded record (any kind but CTX/DATA), with the
 * writer's own chunk state: for single-producer writers, importers, tests. */
int mt_writer_event(struct mt_writer *w, const struct mt_event *ev);
/* Append a SYNC barrier. */
int mt_writer_sync(struct mt_writer *w, uint64_t seq, uint64_t ts);
int mt_writer_flush(struct mt_writer *w);
/* Flush, close, free. Returns the first error seen (write error...). */
int mt_writer_close(struct mt_writer *w);
uint64_t mt_writer_bytes(const struct mt_writer *w);

/* ---- reader ---------------------------------------------------------------- */

enum mt_input_format {
	MT_INPUT_AUTO = 0,      /* binary if the first byte is 0x89, else text */
	MT_INPUT_BINARY,
	MT_INPUT_TEXT,
};

struct mt_reader_opts {
	size_t sz;
	enum mt_input_format format;
	int sorted;             /* return records in seq order (sorts between SYNCs) */
	int meta;               /* also return OBJECT and KSYM records (else skipped) */
	int files;              /* also return FILE records (else skipped) */
};

struct mt_reader;

int mt_reader_open_fd(struct mt_reader **r, int fd, const struct mt_reader_opts *o);
/* Reads from memory that must stay valid until close. */
int mt_reader_open_mem(struct mt_reader **r, const void *buf, size_t len,
		       const struct mt_reader_opts *o);
/* 1: *ev filled; 0: end of input; <0: error (see mt_reader_errmsg). After an
 * error every later call returns the same error. */
int mt_reader_next(struct mt_reader *r, struct mt_event *ev);
/* "offset N: what went wrong" (binary) or "line L (offset N): ..." (text);
 * "" if no error. */
const char *mt_reader_errmsg(const struct mt_reader *r);
/* Format detected; header (binary only, else NULL). */
enum mt_input_format mt_reader_format(const struct mt_reader *r);
const struct mt_file_header *mt_reader_header(const struct mt_reader *r);
void mt_reader_close(struct mt_reader *r);

/* ---- symbol records (OBJECT, KSYM) ------------------------------------------ */

/* A decoded OBJECT record; pointers into the record bytes. */
struct mt_object_info {
	uint32_t pid;
	uint64_t ts, seq, bias;
	uint16_t nranges;
	const uint8_t *ranges;  /* nranges little-endian struct mt_obj_range */
	uint8_t build_id_len;
	const uint8_t *build_id;
	const char *path;       /* not NUL-terminated */
	uint16_t path_len;
};
/* A decoded KSYM record; pointers into the record bytes. */
struct mt_ksym_info {
	uint64_t addr, size;
	char type;
	const char *name;       /* not NUL-terminated */
	uint16_t name_len;
	const char *module;     /* not NUL-terminated; "" for the kernel image */
	uint16_t module_len;
};
/* Check and decode the len bytes of a raw record; 0 or -EINVAL. */
int mt_object_parse(const void *rec, size_t len, struct mt_object_info *o);
int mt_ksym_parse(const void *rec, size_t len, struct mt_ksym_info *k);
/* Range i (< o->nranges) of a decoded OBJECT. */
void mt_object_range(const struct mt_object_info *o, unsigned i, struct mt_obj_range *r);
/* Encode into buf: the record size, -ENOSPC (room) or -E2BIG (too long for
 * a record). ranges: o->nranges entries (o->ranges is ignored). */
int mt_object_encode(void *buf, size_t room, const struct mt_object_info *o,
		     const struct mt_obj_range *ranges);
int mt_ksym_encode(void *buf, size_t room, const struct mt_ksym_info *k);

/* ---- FILE records (replay: files describing the device) ---------------------- */

struct mt_file_info {
	uint8_t type;           /* MT_FILE_* */
	uint32_t pid, mode;     /* mode: st_mode (MT_FILE_MODE_MASK) */
	uint32_t flags;         /* MT_FILE_F_* (the record's mode word above st_mode) */
	uint64_t ts, seq, offset, total;
	const char *path;       /* absolute, not NUL-terminated */
	uint16_t path_len;
	const uint8_t *data;
	uint16_t data_len;
};
/* Check and decode a raw FILE record; 0 or -EINVAL. */
int mt_file_parse(const void *rec, size_t len, struct mt_file_info *f);
/* Encode: the record size, -ENOSPC (room) or -E2BIG. */
int mt_file_encode(void *buf, size_t room, const struct mt_file_info *f);
/* "reg", "dir", "link", "chr" ("?" else). */
const char *mt_file_type_name(unsigned type);
/* "entry", "cut", "entry,cut" or "" for MT_FILE_F_* flags. */
const char *mt_file_flags_name(uint32_t flags);

/* ---- text output ------------------------------------------------------------ */

/* State of a text formatter (what was printed last: CTX, SEQ...). */
struct mt_text_state {
	uint64_t next_seq;
	uint32_t pid, tid;
	uint16_t cpu;
	uint8_t ctx_printed;
	uint8_t started;
};
void mt_text_state_init(struct mt_text_state *st);
/*
 * Format one record as mmiotrace text (one or more lines, each ending in
 * '\n') into buf. Returns the length, or -ENOSPC if room is too small
 * (MT_TEXT_MAX is always enough for records the reader returns).
 */
#define MT_TEXT_MAX (MT_REC_VAR_MAX * 2 + 1024)
int mt_text_format(struct mt_text_state *st, const struct mt_event *ev, char *buf,
		   size_t room);
/* One JSON object and '\n'. Same return convention. */
int mt_jsonl_format(const struct mt_event *ev, char *buf, size_t room);

/* Name of a MAP source as text and JSON print it ("file", "pci", "watch", "none"). */
const char *mt_mapsrc_name(unsigned source);
/* Short name of a record kind ("R", "W", "MAP", ...). */
const char *mt_kind_name(unsigned kind);
/* Comma-separated flag names into buf; returns length. */
int mt_flags_format(unsigned flags, char *buf, size_t room);

#ifdef __cplusplus
}
#endif
#endif /* MMIOTAP_TRACE_H */
