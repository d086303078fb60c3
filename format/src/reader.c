// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * reader.c - reads binary traces and mmiotrace text into struct mt_event.
 *
 * Robustness contract: any input (truncated, corrupted, wrong-endian, future
 * version, binary garbage fed as text) ends in an error message naming the
 * byte offset, never in a crash or an unbounded allocation (fuzzed).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmiotap/trace.h"
#include "reader_int.h"

#define READ_CHUNK (256u * 1024u)
#define MAX_LINE (1u << 20)

/* ---- input buffer ------------------------------------------------------- */

static void set_err(struct mt_reader *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(struct mt_reader *r, int code, const char *fmt, ...)
{
	va_list ap;

	if (r->err)
		return;
	r->err = code;
	va_start(ap, fmt);
	vsnprintf(r->errmsg, sizeof(r->errmsg), fmt, ap);
	va_end(ap);
}

/* Make at least n bytes available at r->pos; returns how many are (<= n means EOF hit). */
static size_t avail(struct mt_reader *r, size_t n)
{
	if (r->end - r->pos >= n || r->eof)
		return r->end - r->pos;
	if (r->mem)
		return r->end - r->pos;
	/* compact */
	if (r->pos) {
		memmove(r->buf, r->buf + r->pos, r->end - r->pos);
		r->base += r->pos;
		r->end -= r->pos;
		r->pos = 0;
	}
	if (n > r->cap) {
		size_t ncap = r->cap;
		uint8_t *nb;

		while (ncap < n)
			ncap *= 2;
		nb = realloc(r->buf, ncap);
		if (!nb) {
			set_err(r, -ENOMEM, "out of memory");
			return r->end - r->pos;
		}
		r->buf = nb;
		r->cap = ncap;
	}
	while (r->end - r->pos < n && !r->eof) {
		ssize_t k = read(r->fd, r->buf + r->end, r->cap - r->end);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			set_err(r, -errno, "offset %" PRIu64 ": read error: %s",
				r->base + r->end, strerror(errno));
			r->eof = 1;
			break;
		}
		if (k == 0) {
			r->eof = 1;
			break;
		}
		r->end += (size_t)k;
	}
	return r->end - r->pos;
}

static uint64_t cur_off(const struct mt_reader *r)
{
	return r->base + r->pos;
}

/* ---- owned event storage (sorted mode, text queue) ----------------------- */

/* Deep-copy ev into o (data into one malloc'd blob). */
static int own_event(struct mt_owned *o, const struct mt_event *ev)
{
	size_t need = 0;
	uint8_t *p;

	o->ev = *ev;
	o->blob = NULL;
	if (ev->wide)
		need += ev->width;
	if (ev->orig)
		need += ev->orig_len;
	if (ev->insn)
		need += ev->insn_len;
	if (ev->text)
		need += ev->text_len;
	if (ev->kind == MT_REC_MAP)
		need += (size_t)ev->map.path_len + 1;
	if (!need)
		return 0;
	p = o->blob = malloc(need);
	if (!p)
		return -ENOMEM;
#define MOVE(field, len)                                  \
	do {                                              \
		if (ev->field) {                          \
			memcpy(p, ev->field, (len));      \
			o->ev.field = (void *)p;          \
			p += (len);                       \
		}                                         \
	} while (0)
	MOVE(wide, ev->width);
	MOVE(orig, ev->orig_len);
	MOVE(insn, ev->insn_len);
	MOVE(text, ev->text_len);
#undef MOVE
	if (ev->kind == MT_REC_MAP) {
		if (ev->map.path_len)
			memcpy(p, ev->map.path, ev->map.path_len);
		p[ev->map.path_len] = 0;
		o->ev.map.path = (const char *)p;
	}
	return 0;
}

static void free_owned(struct mt_owned *o)
{
	free(o->blob);
	o->blob = NULL;
}

/* ---- map table (resolution of phys/text_id, in seq order) ---------------- */

static void map_forget(struct mt_reader *r, uint16_t id)
{
	if (r->maps[id]) {
		free(r->maps[id]->path_copy);
		free(r->maps[id]);
		r->maps[id] = NULL;
	}
}

static int resolve(struct mt_reader *r, struct mt_event *ev)
{
	struct mt_map_slot *m;

	if (ev->kind == MT_REC_MAP) {
		uint16_t id = ev->map.map_id;
		char *pc = NULL;

		if (!r->maps[id]) {
			r->maps[id] = calloc(1, sizeof(*r->maps[id]));
			if (!r->maps[id])
				return -ENOMEM;
		}
		m = r->maps[id];
		free(m->path_copy);
		m->path_copy = NULL;
		if (ev->map.path_len) {
			pc = malloc(ev->map.path_len + 1u);
			if (!pc)
				return -ENOMEM;
			memcpy(pc, ev->map.path, ev->map.path_len);
			pc[ev->map.path_len] = 0;
		}
		m->info = ev->map;
		m->path_copy = pc;
		m->info.path = pc ? pc : "";
		ev->text_id = ev->map.text_id;
		ev->phys = ev->map.phys;
		return 0;
	}
	if (ev->kind == MT_REC_READ || ev->kind == MT_REC_WRITE || ev->kind == MT_REC_UNKNOWN ||
	    ev->kind == MT_REC_UNMAP) {
		m = r->maps[ev->map_id];
		if (m) {
			ev->phys = m->info.phys + ev->offset;
			ev->text_id = m->info.text_id;
		} else {
			ev->phys = ev->offset;
			ev->text_id = ev->map_id;
		}
	}
	return 0;
}

/* Called after the event has been handed out (UNMAP frees the slot). */
static void post_resolve(struct mt_reader *r, const struct mt_event *ev)
{
	if (ev->kind == MT_REC_UNMAP)
		map_forget(r, ev->map_id);
}

/* ---- binary ------------------------------------------------------------- */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static int bin_header(struct mt_reader *r)
{
	const uint8_t *p;
	size_t n = avail(r, MT_FILE_HEADER_SIZE);
	uint32_t hsize, endian;

	if (r->err)
		return r->err;
	p = r->buf + r->pos;
	if (n < MT_TRACE_MAGIC_LEN || memcmp(p, MT_TRACE_MAGIC, MT_TRACE_MAGIC_LEN)) {
		set_err(r, -EINVAL, "offset 0: not an mmiotap binary trace (bad magic)");
		return r->err;
	}
	if (n < MT_FILE_HEADER_SIZE) {
		set_err(r, -EINVAL, "offset %zu: truncated file header (%zu of %d bytes)", n, n,
			MT_FILE_HEADER_SIZE);
		return r->err;
	}
	endian = rd32(p + 8);
	if (endian == 0x04030201u) {
		set_err(r, -EINVAL, "offset 8: trace written in big-endian byte order, not supported");
		return r->err;
	}
	if (endian != MT_TRACE_ENDIAN) {
		set_err(r, -EINVAL, "offset 8: bad byte-order marker 0x%08" PRIx32, endian);
		return r->err;
	}
	memcpy(&r->hdr, p, sizeof(r->hdr));
	if (r->hdr.min_version > MT_TRACE_VERSION || r->hdr.version == 0) {
		set_err(r, -EPROTONOSUPPORT,
			"offset 14: trace format version %u needs a reader of version >= %u (this reader: %d)",
			r->hdr.version, r->hdr.min_version, MT_TRACE_VERSION);
		return r->err;
	}
	if (r->hdr.incompat & ~MT_INCOMPAT_KNOWN) {
		set_err(r, -EPROTONOSUPPORT, "offset 32: unknown incompatible features 0x%" PRIx64,
			(uint64_t)(r->hdr.incompat & ~MT_INCOMPAT_KNOWN));
		return r->err;
	}
	hsize = r->hdr.header_size;
	if (hsize < MT_FILE_HEADER_SIZE || (hsize & 7) || hsize > (1u << 20)) {
		set_err(r, -EINVAL, "offset 16: bad header size %" PRIu32, hsize);
		return r->err;
	}
	if (avail(r, hsize) < hsize) {
		set_err(r, -EINVAL, "offset %" PRIu64 ": truncated file header (header size %" PRIu32 ")",
			cur_off(r) + (r->end - r->pos), hsize);
		return r->err;
	}
	r->pos += hsize;
	return 0;
}

/* TEXT records hold only lines that are not mmiotrace/mmiotap keywords. */
static int text_is_keyword(const char *s, size_t len)
{
	static const char *const kw[] = { "R ", "W ", "MAP ", "UNMAP ", "MARK ", "UNKNOWN ",
					   "LOST ", "CTX ", "SEQ ", "EXT " };
	unsigned i;

	for (i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (len >= strlen(kw[i]) && !memcmp(s, kw[i], strlen(kw[i])))
			return 1;
	return 0;
}

/* Read the DATA records that follow an access; fills ev's pointers. */
static int bin_data(struct mt_reader *r, struct mt_event *ev, uint64_t rec_off)
{
	for (;;) {
		size_t n = avail(r, 8);
		const uint8_t *p;
		uint16_t size, len;
		uint8_t sub;

		if (r->err)
			return r->err;
		if (n < 8)
			break;
		p = r->buf + r->pos;
		if (p[0] != MT_REC_DATA)
			break;
		size = rd16(p + 2);
		len = rd16(p + 4);
		sub = p[1];
		if (size < 8 || (size & 7) || len > size - 8) {
			set_err(r, -EINVAL, "offset %" PRIu64 ": bad DATA record size %u / length %u",
				cur_off(r), size, len);
			return r->err;
		}
		if (avail(r, size) < size) {
			set_err(r, -EINVAL, "offset %" PRIu64 ": truncated DATA record (%u bytes)",
				cur_off(r), size);
			return r->err;
		}
		p = r->buf + r->pos;
		switch (sub) {
		case MT_DATA_VALUE:
			if (len != ev->width || ev->width <= 8 || r->have_wide) {
				set_err(r, -EINVAL,
					"offset %" PRIu64 ": VALUE data of %u bytes for a %u-byte access",
					cur_off(r), len, ev->width);
				return r->err;
			}
			memcpy(r->wide, p + 8, len);
			r->have_wide = 1;
			break;
		case MT_DATA_ORIG:
			if (len != ev->width || !len || r->have_orig) {
				set_err(r, -EINVAL,
					"offset %" PRIu64 ": ORIG data of %u bytes for a %u-byte access",
					cur_off(r), len, ev->width);
				return r->err;
			}
			memcpy(r->orig, p + 8, len);
			r->have_orig = 1;
			ev->orig_len = len;
			break;
		case MT_DATA_INSN:
			if (len == 0 || len > 16 || r->have_insn) {
				set_err(r, -EINVAL, "offset %" PRIu64 ": bad INSN data (%u bytes)",
					cur_off(r), len);
				return r->err;
			}
			memcpy(r->insn, p + 8, len);
			r->have_insn = 1;
			ev->insn_len = (uint8_t)len;
			break;
		default:
			break; /* unknown subtype: skip */
		}
		r->pos += size;
	}
	if (ev->width > 8 && !r->have_wide) {
		set_err(r, -EINVAL, "offset %" PRIu64 ": %u-byte access without its VALUE data",
			rec_off, ev->width);
		return r->err;
	}
	ev->wide = r->have_wide ? r->wide : NULL;
	ev->orig = r->have_orig ? r->orig : NULL;
	ev->insn = r->have_insn ? r->insn : NULL;
	return 0;
}

/* The DATA records after a MAP: PCI ids (sub-kinds this reader does not
 * know are skipped). */
static int map_data(struct mt_reader *r, struct mt_map_info *m)
{
	for (;;) {
		size_t n = avail(r, 8);
		const uint8_t *p;
		uint16_t size, len;

		if (r->err)
			return r->err;
		if (n < 8 || r->buf[r->pos] != MT_REC_DATA)
			return 0;
		p = r->buf + r->pos;
		size = rd16(p + 2);
		len = rd16(p + 4);
		if (size < 8 || (size & 7) || len > size - 8 || avail(r, size) < size) {
			set_err(r, -EINVAL, "offset %" PRIu64 ": bad or truncated DATA record after a MAP",
				cur_off(r));
			return r->err;
		}
		p = r->buf + r->pos;
		if (p[1] == MT_DATA_PCI_IDS) {
			if (len < MT_PCI_IDS_LEN || m->has_pci_ids) {
				set_err(r, -EINVAL, "offset %" PRIu64 ": bad PCI ids DATA (%u bytes)",
					cur_off(r), len);
				return r->err;
			}
			memcpy(&m->pci_ids, p + 8, MT_PCI_IDS_LEN);
			m->has_pci_ids = 1;
		} else if (p[1] <= MT_DATA_ORIG) {
			set_err(r, -EINVAL, "offset %" PRIu64 ": DATA subtype %u after a MAP",
				cur_off(r), p[1]);
			return r->err;
		}
		r->pos += size;
	}
}

/* OBJECT, KSYM, FILE: the raw record, checked, as ev->text. */
static int meta_record(struct mt_reader *r, struct mt_event *ev, const uint8_t *p,
		       uint16_t size, uint64_t off)
{
	struct mt_object_info o;
	struct mt_ksym_info k;
	struct mt_file_info f;
	int bad = p[0] == MT_REC_OBJECT ? mt_object_parse(p, size, &o)
		  : p[0] == MT_REC_FILE ? mt_file_parse(p, size, &f)
					: mt_ksym_parse(p, size, &k);

	if (bad) {
		set_err(r, -EINVAL, "offset %" PRIu64 ": malformed %s record", off,
			mt_kind_name(p[0]));
		return r->err;
	}
	ev->kind = p[0];
	if (p[0] == MT_REC_OBJECT) {
		ev->seq = o.seq;
		ev->ts = o.ts;
		ev->pid = o.pid;
	} else if (p[0] == MT_REC_FILE) {
		ev->seq = f.seq;
		ev->ts = f.ts;
		ev->pid = f.pid;
	}
	memcpy(r->path, p, size);
	ev->text = r->path;
	ev->text_len = size;
	r->pos += size;
	return 1;
}

/* Next raw (unresolved) event in file order. 1 / 0 EOF / <0. */
static int bin_next_raw(struct mt_reader *r, struct mt_event *ev)
{
	for (;;) {
		size_t n = avail(r, MT_REC_SIZE);
		const uint8_t *p;
		uint64_t off = cur_off(r);
		uint8_t kind;

		if (r->err)
			return r->err;
		if (n == 0)
			return 0;
		if (n < 8) {
			set_err(r, -EINVAL, "offset %" PRIu64 ": truncated record (%zu bytes left)", off, n);
			return r->err;
		}
		p = r->buf + r->pos;
		kind = p[0];
		memset(ev, 0, sizeof(*ev));
		ev->file_offset = off;
		ev->tid = MT_TID_UNKNOWN;
		ev->cpu = MT_CPU_UNKNOWN;
		if (kind >= 0x01 && kind <= MT_REC_FIXED_MAX) {
			if (n < MT_REC_SIZE) {
				set_err(r, -EINVAL, "offset %" PRIu64 ": truncated record (%zu of 32 bytes)",
					off, n);
				return r->err;
			}
			switch (kind) {
			case MT_REC_CTX:
				r->in_chunk = 1;
				r->cpu = rd16(p + 2);
				r->pid = rd32(p + 4);
				r->tid = rd32(p + 8);
				r->seq = rd64(p + 16);
				r->ts = rd64(p + 24);
				r->pos += MT_REC_SIZE;
				continue;
			case MT_REC_SYNC:
				ev->kind = MT_REC_SYNC;
				ev->seq = rd64(p + 8);
				ev->ts = rd64(p + 16);
				r->pos += MT_REC_SIZE;
				return 1;
			case MT_REC_READ:
			case MT_REC_WRITE:
			case MT_REC_UNKNOWN:
			case MT_REC_UNMAP:
			case MT_REC_LOST: {
				uint16_t sd = rd16(p + 6);

				if (!r->in_chunk) {
					set_err(r, -EINVAL,
						"offset %" PRIu64 ": %s record before any CTX record",
						off, mt_kind_name(kind));
					return r->err;
				}
				if (sd == 0) {
					set_err(r, -EINVAL, "offset %" PRIu64 ": sequence delta 0", off);
					return r->err;
				}
				ev->kind = kind;
				ev->width = p[1];
				ev->flags = rd16(p + 2);
				ev->map_id = rd16(p + 4);
				r->seq += sd;
				r->ts += rd32(p + 8);
				ev->seq = r->seq;
				ev->ts = r->ts;
				ev->offset = rd32(p + 12);
				ev->pc = rd64(p + 16);
				ev->value = rd64(p + 24);
				ev->pid = r->pid;
				ev->tid = r->tid;
				ev->cpu = r->cpu;
				if ((kind == MT_REC_READ || kind == MT_REC_WRITE) && !ev->width) {
					set_err(r, -EINVAL, "offset %" PRIu64 ": access of width 0", off);
					return r->err;
				}
				r->pos += MT_REC_SIZE;
				r->have_wide = r->have_orig = r->have_insn = 0;
				if (bin_data(r, ev, off))
					return r->err;
				return 1;
			}
			default:
				set_err(r, -EINVAL,
					"offset %" PRIu64 ": unknown fixed record kind 0x%02x (corrupt, or newer format)",
					off, kind);
				return r->err;
			}
		}
		if (kind == 0) {
			set_err(r, -EINVAL, "offset %" PRIu64 ": record kind 0 (corrupt or zero-filled)", off);
			return r->err;
		}
		/* variable-size */
		{
			uint16_t size = rd16(p + 2), len = rd16(p + 4);

			if (size < 8 || (size & 7)) {
				set_err(r, -EINVAL, "offset %" PRIu64 ": bad record size %u (kind 0x%02x)",
					off, size, kind);
				return r->err;
			}
			if (avail(r, size) < size) {
				set_err(r, -EINVAL,
					"offset %" PRIu64 ": truncated %s record (%u bytes, %zu left)", off,
					mt_kind_name(kind), size, r->end - r->pos);
				return r->err;
			}
			p = r->buf + r->pos;
			switch (kind) {
			case MT_REC_MAP: {
				struct mt_map_info *m = &ev->map;

				if (size < MT_REC_MAP_FIXED || len > size - MT_REC_MAP_FIXED) {
					set_err(r, -EINVAL, "offset %" PRIu64 ": bad MAP record size %u / path length %u",
						off, size, len);
					return r->err;
				}
				if (p[1] > MT_MAPSRC_WATCH) {
					set_err(r, -EINVAL, "offset %" PRIu64 ": unknown MAP source %u", off, p[1]);
					return r->err;
				}
				ev->kind = MT_REC_MAP;
				m->source = p[1];
				m->path_len = len;
				m->map_id = rd16(p + 6);
				ev->ts = m->ts = rd64(p + 8);
				ev->seq = m->seq = rd64(p + 16);
				m->phys = rd64(p + 24);
				m->virt = rd64(p + 32);
				m->size = rd64(p + 40);
				m->pc = rd64(p + 48);
				m->file_offset = rd64(p + 56);
				m->pid = rd32(p + 64);
				m->text_id = rd32(p + 68);
				m->pci_domain = rd16(p + 72);
				m->pci_bus = p[74];
				m->pci_devfn = p[75];
				m->bar = p[76];
				m->mflags = p[77];
				memcpy(r->path, p + MT_REC_MAP_FIXED, len);
				r->path[len] = 0;
				if (memchr(r->path, 0, len) || memchr(r->path, '\n', len)) {
					set_err(r, -EINVAL, "offset %" PRIu64 ": NUL or newline in MAP path", off);
					return r->err;
				}
				m->path = r->path;
				ev->map_id = m->map_id;
				ev->pid = m->pid;
				ev->pc = m->pc;
				ev->text_id = m->text_id;
				r->pos += size;
				if (map_data(r, m))
					return r->err;
				return 1;
			}
			case MT_REC_MARK:
			case MT_REC_TEXT:
				if (size < MT_REC_TEXT_FIXED || len > size - MT_REC_TEXT_FIXED) {
					set_err(r, -EINVAL, "offset %" PRIu64 ": bad %s record size %u / length %u",
						off, mt_kind_name(kind), size, len);
					return r->err;
				}
				if (memchr(p + MT_REC_TEXT_FIXED, '\n', len) ||
				    memchr(p + MT_REC_TEXT_FIXED, 0, len)) {
					set_err(r, -EINVAL, "offset %" PRIu64 ": newline or NUL inside %s text",
						off, mt_kind_name(kind));
					return r->err;
				}
				if (kind == MT_REC_TEXT && text_is_keyword((const char *)p + MT_REC_TEXT_FIXED, len)) {
					set_err(r, -EINVAL,
						"offset %" PRIu64 ": TEXT record holds a keyword line", off);
					return r->err;
				}
				ev->kind = kind;
				ev->ts = rd64(p + 8);
				ev->seq = rd64(p + 16);
				memcpy(r->path, p + MT_REC_TEXT_FIXED, len);
				ev->text = r->path;
				ev->text_len = len;
				r->pos += size;
				return 1;
			case MT_REC_DATA:
				set_err(r, -EINVAL,
					"offset %" PRIu64 ": DATA record not after an access or MAP record", off);
				return r->err;
			case MT_REC_OBJECT:
			case MT_REC_KSYM:
				if (r->meta)
					return meta_record(r, ev, p, size, off);
				r->pos += size;
				continue;
			case MT_REC_FILE:
				if (r->files)
					return meta_record(r, ev, p, size, off);
				r->pos += size;
				continue;
			default: /* PAD and unknown variable kinds: skip */
				r->pos += size;
				continue;
			}
		}
	}
}

/* ---- text ----------------------------------------------------------------- */
/* The text parser lives in textparse.c; it fills r->q. */

/* ---- generic ---------------------------------------------------------------- */

static int raw_next(struct mt_reader *r, struct mt_event *ev)
{
	if (r->format == MT_INPUT_BINARY)
		return bin_next_raw(r, ev);
	return mt__text_next(r, ev);
}

static int cmp_seq(const void *a, const void *b)
{
	const struct mt_owned *x = a, *y = b;

	if (x->ev.seq != y->ev.seq)
		return x->ev.seq < y->ev.seq ? -1 : 1;
	/* stable: by arrival index */
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void clear_sorted(struct mt_reader *r)
{
	size_t i;

	for (i = 0; i < r->nsorted; i++)
		free_owned(&r->sorted[i]);
	r->nsorted = r->sorted_pos = 0;
}

/* Fill r->sorted with the events up to the next SYNC or EOF. */
static int fill_sorted(struct mt_reader *r)
{
	struct mt_event ev;
	int rc, ordered = 1;
	uint64_t last = 0;

	clear_sorted(r);
	for (;;) {
		rc = raw_next(r, &ev);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		if (ev.kind == MT_REC_SYNC) {
			if (r->nsorted)
				break;
			continue;
		}
		if (r->nsorted == r->sorted_cap) {
			size_t nc = r->sorted_cap ? r->sorted_cap * 2 : 1024;
			struct mt_owned *ns = realloc(r->sorted, nc * sizeof(*ns));

			if (!ns) {
				set_err(r, -ENOMEM, "offset %" PRIu64 ": out of memory sorting records",
					ev.file_offset);
				return r->err;
			}
			r->sorted = ns;
			r->sorted_cap = nc;
		}
		if (own_event(&r->sorted[r->nsorted], &ev)) {
			set_err(r, -ENOMEM, "out of memory");
			return r->err;
		}
		r->sorted[r->nsorted].idx = r->nsorted;
		if (r->nsorted && ev.seq < last)
			ordered = 0;
		last = ev.seq;
		r->nsorted++;
	}
	if (!ordered)
		qsort(r->sorted, r->nsorted, sizeof(*r->sorted), cmp_seq);
	return 0;
}

int mt_reader_next(struct mt_reader *r, struct mt_event *ev)
{
	int rc;

	if (!r || !ev)
		return -EINVAL;
	if (r->err)
		return r->err;
	if (r->pending_post) {
		post_resolve(r, &r->last);
		r->pending_post = 0;
	}
	if (r->sorted_mode) {
		if (r->sorted_pos == r->nsorted) {
			rc = fill_sorted(r);
			if (rc < 0)
				return rc;
			if (!r->nsorted)
				return 0;
		}
		*ev = r->sorted[r->sorted_pos++].ev;
	} else {
		do {
			rc = raw_next(r, ev);
			if (rc <= 0)
				return rc;
		} while (ev->kind == MT_REC_SYNC);
	}
	rc = resolve(r, ev);
	if (rc) {
		set_err(r, rc, "out of memory");
		return rc;
	}
	r->last = *ev;
	r->pending_post = 1;
	return 1;
}

static int reader_init(struct mt_reader **rp, const struct mt_reader_opts *o)
{
	struct mt_reader_opts def = { .sz = sizeof(def) };
	struct mt_reader *r;

	if (!rp)
		return -EINVAL;
	*rp = NULL;
	if (o) {
		size_t n = o->sz < sizeof(def) ? o->sz : sizeof(def);

		if (n < sizeof(size_t))
			return -EINVAL;
		memcpy(&def, o, n);
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->maps = calloc(65536, sizeof(*r->maps));
	if (!r->maps) {
		free(r);
		return -ENOMEM;
	}
	r->format = def.format;
	r->sorted_mode = def.sorted;
	r->meta = def.meta;
	r->files = def.files;
	r->fd = -1;
	*rp = r;
	return 0;
}

static int reader_start(struct mt_reader *r)
{
	size_t n = avail(r, 1);

	if (r->err)
		return r->err;
	if (r->format == MT_INPUT_AUTO)
		r->format = (n && r->buf[r->pos] == 0x89) ? MT_INPUT_BINARY : MT_INPUT_TEXT;
	if (r->format == MT_INPUT_BINARY) {
		int rc = bin_header(r);

		/* the writer promised file order is the order */
		if (!rc && (r->hdr.compat & MT_COMPAT_SORTED))
			r->sorted_mode = 0;
		return rc;
	}
	r->sorted_mode = 0; /* text: the order of the lines is the order */
	return mt__text_init(r);
}

int mt_reader_open_fd(struct mt_reader **rp, int fd, const struct mt_reader_opts *o)
{
	int rc = reader_init(rp, o);
	struct mt_reader *r;

	if (rc)
		return rc;
	r = *rp;
	r->fd = fd;
	r->cap = READ_CHUNK;
	r->buf = malloc(r->cap);
	if (!r->buf) {
		mt_reader_close(r);
		*rp = NULL;
		return -ENOMEM;
	}
	reader_start(r); /* errors are reported by mt_reader_next/errmsg */
	return 0;
}

int mt_reader_open_mem(struct mt_reader **rp, const void *buf, size_t len,
		       const struct mt_reader_opts *o)
{
	int rc = reader_init(rp, o);
	struct mt_reader *r;

	if (rc)
		return rc;
	r = *rp;
	r->mem = 1;
	r->buf = (uint8_t *)buf;
	r->end = len;
	r->eof = 1;
	reader_start(r);
	return 0;
}

const char *mt_reader_errmsg(const struct mt_reader *r)
{
	return r && r->err ? r->errmsg : "";
}

enum mt_input_format mt_reader_format(const struct mt_reader *r)
{
	return r ? r->format : MT_INPUT_AUTO;
}

const struct mt_file_header *mt_reader_header(const struct mt_reader *r)
{
	return r && r->format == MT_INPUT_BINARY && !r->err ? &r->hdr : NULL;
}

void mt_reader_close(struct mt_reader *r)
{
	unsigned i;

	if (!r)
		return;
	clear_sorted(r);
	free(r->sorted);
	if (r->maps) {
		for (i = 0; i < 65536; i++)
			map_forget(r, (uint16_t)i);
		free(r->maps);
	}
	mt__text_fini(r);
	if (!r->mem)
		free(r->buf);
	free(r);
}

/* helpers exported to textparse.c */
size_t mt__avail(struct mt_reader *r, size_t n)
{
	return avail(r, n);
}
uint64_t mt__cur_off(const struct mt_reader *r)
{
	return cur_off(r);
}
void mt__set_err(struct mt_reader *r, int code, const char *msg)
{
	set_err(r, code, "%s", msg);
}
int mt__own_event(struct mt_owned *o, const struct mt_event *ev)
{
	return own_event(o, ev);
}
void mt__free_owned(struct mt_owned *o)
{
	free_owned(o);
}
