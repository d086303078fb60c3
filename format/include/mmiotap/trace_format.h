/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * trace_format.h - the mmiotap binary trace format (version 1), and pure
 * record encoders that write into a caller's buffer.
 *
 * The normative description is docs/FORMAT.md. This header compiles in a
 * Linux kernel module (only fixed-width types, no libc) and in user space;
 * every function here is static inline, allocation-free, reentrant and
 * async-signal-safe: the kernel module and the runtime's SIGSEGV handler
 * encode records with them straight into per-CPU / per-thread buffers.
 *
 * All multi-byte fields are little-endian (the file header's endian marker
 * lets a reader refuse a file written on a big-endian host). Every record
 * is a multiple of 8 bytes and starts at an 8-byte aligned file offset.
 */
#ifndef MMIOTAP_TRACE_FORMAT_H
#define MMIOTAP_TRACE_FORMAT_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/string.h>
#else
#include <stdint.h>
#include <stddef.h>
#include <errno.h>
#include <string.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- file header ---------------------------------------------------------- */

/* "\x89MMIOTAP": the non-ASCII first byte tells binary from text at once. */
#define MT_TRACE_MAGIC "\x89MMIOTAP"
#define MT_TRACE_MAGIC_LEN 8
#define MT_TRACE_ENDIAN 0x01020304u /* written in the writer's byte order */
#define MT_TRACE_VERSION 1          /* version this code writes and reads */
#define MT_TRACE_MIN_VERSION 1      /* oldest reader version that can read what we write */

/* header.clock */
#define MT_CLOCK_MONOTONIC 1  /* CLOCK_MONOTONIC ns: every recorder (the kernel module too, since KABI 6) */
#define MT_CLOCK_KERNEL 2     /* kernel local_clock()/trace clock ns: kernel traces of older versions */
#define MT_CLOCK_TEXT 3       /* imported from mmiotrace text (us resolution) */

/* header.source */
#define MT_SRC_UNKNOWN 0
#define MT_SRC_PRELOAD 1
#define MT_SRC_PTRACE 2
#define MT_SRC_KERNEL 3
#define MT_SRC_TEXT 4
#define MT_SRC_MERGED 5  /* several traces merged on one clock (mmiotap merge, record --kernel) */

/* header.incompat: a reader must refuse a file with a bit it does not know.
 * header.compat: informational, unknown bits are ignored. None defined yet. */
#define MT_INCOMPAT_KNOWN 0ull
#define MT_COMPAT_SORTED 0x1ull /* records are already in sequence order */

struct mt_file_header {
	uint8_t magic[8];       /* MT_TRACE_MAGIC */
	uint32_t endian;        /* MT_TRACE_ENDIAN */
	uint16_t version;       /* format version of the writer */
	uint16_t min_version;   /* oldest reader version able to read the file */
	uint32_t header_size;   /* bytes; records start here (multiple of 8) */
	uint16_t clock;         /* MT_CLOCK_* */
	uint16_t source;        /* MT_SRC_* */
	uint64_t compat;        /* MT_COMPAT_* */
	uint64_t incompat;      /* MT_INCOMPAT_* */
	uint64_t start_realtime_ns; /* wall clock at start, 0 if unknown */
	uint32_t pid;           /* traced process (0: kernel / several) */
	uint32_t reserved0;
	uint64_t reserved1;
} __attribute__((packed));
#define MT_FILE_HEADER_SIZE 64

/* ---- record kinds --------------------------------------------------------- */
/*
 * Kinds 0x01..0x3f are fixed 32-byte records; a reader that meets an unknown
 * one must stop (it cannot know what it means for the stream state).
 * Kinds 0x40..0xff are variable-size: bytes 2..3 hold the total size (a
 * multiple of 8, >= 8); a reader skips unknown ones.
 */
enum mt_rec_kind {
	MT_REC_READ = 0x01,    /* struct mt_rec_access */
	MT_REC_WRITE = 0x02,   /* struct mt_rec_access */
	MT_REC_UNKNOWN = 0x03, /* struct mt_rec_access: undecodable/unsupported insn */
	MT_REC_UNMAP = 0x04,   /* struct mt_rec_access: map_id, pc */
	MT_REC_LOST = 0x05,    /* struct mt_rec_access: value = records lost */
	MT_REC_CTX = 0x06,     /* struct mt_rec_ctx: starts a chunk */
	MT_REC_SYNC = 0x07,    /* struct mt_rec_sync: ordering barrier */
	MT_REC_FIXED_MAX = 0x3f,

	MT_REC_MAP = 0x40,     /* struct mt_rec_map + path */
	MT_REC_MARK = 0x41,    /* struct mt_rec_text: user marker */
	MT_REC_TEXT = 0x42,    /* struct mt_rec_text: verbatim text line (VERSION, PCIDEV, LSPCI, ...) */
	MT_REC_DATA = 0x43,    /* struct mt_rec_data: bytes attached to the previous record */
	MT_REC_PAD = 0x44,     /* padding, skipped */
	MT_REC_OBJECT = 0x45,  /* struct mt_rec_object: an ELF object mapped in a traced process */
	MT_REC_KSYM = 0x46,    /* struct mt_rec_ksym: a kernel symbol (kallsyms) the trace's PCs fall in */
	MT_REC_FILE = 0x47,    /* struct mt_rec_file: a file describing a device, read at record time */
};

#define MT_REC_SIZE 32

/* struct mt_rec_access.flags */
#define MT_RF_INJECTED 0x0001u /* value changed by an injection rule (ORIG data follows) */
#define MT_RF_DROPPED 0x0002u  /* write not performed on the device (injection) */
#define MT_RF_DELAYED 0x0004u  /* access delayed by an injection rule */
#define MT_RF_NESTED 0x0008u   /* happened inside another access's emulation (NMI/IRQ) */
#define MT_RF_NMI 0x0010u      /* in NMI context */
#define MT_RF_LOCKED 0x0020u   /* part of a LOCKed / XCHG read-modify-write */
#define MT_RF_RMW 0x0040u      /* read or write half of a read-modify-write */
#define MT_RF_STRING 0x0080u   /* element of a (REP) string instruction */
#define MT_RF_NT 0x0100u       /* non-temporal / direct store */
#define MT_RF_PARTIAL 0x0200u  /* masked vector access */
#define MT_RF_DATA 0x0400u     /* one or more DATA records follow */
#define MT_RF_SPLIT 0x0800u    /* an access split across two maps/pages */
#define MT_RF_HARDIRQ 0x1000u  /* in hardirq context (kernel) */
#define MT_RF_SOFTIRQ 0x2000u  /* in softirq context (kernel) */
#define MT_RF_STEPPED 0x4000u  /* UNKNOWN: executed natively by single-step, still traced */
#define MT_RF_DISARMED 0x8000u /* UNKNOWN: executed natively; its page untraced from here on */
#define MT_RF_KNOWN 0xffffu

/*
 * The access record: READ, WRITE, UNKNOWN, UNMAP and LOST. 32 bytes.
 * seq and ts are deltas against the previous fixed record of the chunk
 * (the CTX that starts it, for the first one); see struct mt_rec_ctx.
 * The physical address is map.phys + offset (map from the MAP record with
 * this map_id). width > 8: value holds the low 8 bytes and a DATA record
 * (MT_DATA_VALUE) with all the bytes follows.
 */
struct mt_rec_access {
	uint8_t kind;
	uint8_t width;      /* bytes accessed; 0 for UNMAP/LOST/unknown width */
	uint16_t flags;     /* MT_RF_* */
	uint16_t map_id;
	uint16_t seq_delta; /* seq = previous seq + seq_delta */
	uint32_t ts_delta;  /* ts = previous ts + ts_delta (ns) */
	uint32_t offset;    /* byte offset within the map */
	uint64_t pc;        /* instruction pointer of the access, 0 if unknown */
	uint64_t value;     /* READ/WRITE: value; UNKNOWN: kernel-style b0<<16|b1<<8|b2; LOST: count */
} __attribute__((packed));

/* CTX: starts a chunk; sets absolute seq/ts bases and who/where. */
#define MT_TID_UNKNOWN 0xffffffffu
#define MT_CPU_UNKNOWN 0xffffu
struct mt_rec_ctx {
	uint8_t kind;       /* MT_REC_CTX */
	uint8_t reserved0;
	uint16_t cpu;       /* MT_CPU_UNKNOWN if not known */
	uint32_t pid;       /* process id (tgid) */
	uint32_t tid;       /* thread id, MT_TID_UNKNOWN if not known */
	uint32_t reserved1;
	uint64_t seq;       /* seq base: the next record's seq = seq + its seq_delta */
	uint64_t ts;        /* ts base (ns) */
} __attribute__((packed));

/* SYNC: every record with a seq below `seq` is in the file before this one. */
struct mt_rec_sync {
	uint8_t kind;       /* MT_REC_SYNC */
	uint8_t reserved[7];
	uint64_t seq;
	uint64_t ts;
	uint64_t reserved1;
} __attribute__((packed));

/* Common header of variable-size records (8 bytes). */
struct mt_rec_var {
	uint8_t kind;
	uint8_t sub;        /* kind-specific */
	uint16_t size;      /* total bytes, multiple of 8 */
	uint16_t len;       /* kind-specific payload length */
	uint16_t reserved;
} __attribute__((packed));
#define MT_REC_VAR_MAX 65528u

/* MAP.source */
#define MT_MAPSRC_NONE 0   /* kernel ioremap / unknown */
#define MT_MAPSRC_FILE 1   /* mmap of a file (path, file_offset) */
#define MT_MAPSRC_PCI 2    /* a PCI BAR (bdf, bar), path optional */
#define MT_MAPSRC_WATCH 3  /* a watched object of ordinary memory (`mmiotap watch`):
			    * path = its name, phys = virt (no physical address) */
/* MAP.mflags */
#define MT_MAPF_IMPLICIT 0x1u /* synthesized by a reader/importer; never printed */

/* MAP: fixed part 80 bytes, then `len` bytes of path (no NUL), padded to 8. */
struct mt_rec_map {
	uint8_t kind;       /* MT_REC_MAP */
	uint8_t source;     /* MT_MAPSRC_* */
	uint16_t size;
	uint16_t len;       /* path length */
	uint16_t map_id;    /* id used by access records */
	uint64_t ts;
	uint64_t seq;
	uint64_t phys;      /* physical (bus) address of byte 0 of the map */
	uint64_t virt;      /* virtual address in the traced context */
	uint64_t size_bytes;/* length of the mapping */
	uint64_t pc;
	uint64_t file_offset;
	uint32_t pid;
	uint32_t text_id;   /* id printed in mmiotrace text (normally == map_id) */
	uint16_t pci_domain;
	uint8_t pci_bus;
	uint8_t pci_devfn;
	uint8_t bar;        /* BAR number, 0xff if none */
	uint8_t mflags;     /* MT_MAPF_* */
	uint16_t reserved;
} __attribute__((packed));
#define MT_REC_MAP_FIXED 80

/* MARK / TEXT: len bytes of text (no newline, no NUL), padded to 8. */
struct mt_rec_text {
	uint8_t kind;       /* MT_REC_MARK or MT_REC_TEXT */
	uint8_t sub;        /* 0 */
	uint16_t size;
	uint16_t len;
	uint16_t reserved;
	uint64_t ts;
	uint64_t seq;
} __attribute__((packed));
#define MT_REC_TEXT_FIXED 24

/* DATA.sub */
#define MT_DATA_VALUE 1  /* all `width` bytes of the access value (memory order) */
#define MT_DATA_INSN 2   /* instruction bytes (UNKNOWN) */
#define MT_DATA_ORIG 3   /* value before injection (memory order, width bytes) */
#define MT_DATA_PCI_IDS 4 /* after a MAP of a PCI device: struct mt_pci_ids (12 bytes) */
struct mt_rec_data {
	uint8_t kind;       /* MT_REC_DATA */
	uint8_t sub;        /* MT_DATA_* */
	uint16_t size;
	uint16_t len;       /* payload bytes */
	uint16_t reserved;
	/* payload, padded to 8 */
} __attribute__((packed));
#define MT_REC_DATA_FIXED 8

/* DATA MT_DATA_PCI_IDS payload (config space ids of the MAP's device). */
struct mt_pci_ids {
	uint16_t vendor, device, subsys_vendor, subsys_device;
	uint8_t revision, class_prog, class_sub, class_base;
} __attribute__((packed));
#define MT_PCI_IDS_LEN 12

/*
 * OBJECT: an ELF object (executable, shared library, vdso...) mapped into
 * traced process pid. Fixed part 40 bytes, then nranges struct mt_obj_range
 * (its executable mappings), build_id_len bytes of GNU build id, path_len
 * bytes of path (no NUL), padded to 8. bias = run-time address - ELF
 * virtual address (0 for ET_EXEC). A later OBJECT of the same pid whose
 * ranges overlap an earlier one replaces it from then on (dlclose + dlopen).
 */
struct mt_rec_object {
	uint8_t kind;       /* MT_REC_OBJECT */
	uint8_t build_id_len;
	uint16_t size;
	uint16_t path_len;
	uint16_t nranges;
	uint64_t ts;        /* when it was seen */
	uint64_t seq;       /* the seq of the record that made the recorder look */
	uint32_t pid;
	uint32_t reserved;
	uint64_t bias;
} __attribute__((packed));
#define MT_REC_OBJECT_FIXED 40
struct mt_obj_range {
	uint64_t start, end; /* [start, end) in the process */
	uint64_t file_offset;
} __attribute__((packed));
#define MT_OBJ_RANGE_SIZE 24

/*
 * KSYM: one kernel function from /proc/kallsyms at record time, one whose
 * [addr, addr + size_bytes) holds a PC of the trace. Fixed part 24 bytes,
 * then name_len bytes of name and module_len bytes of module name (empty
 * for the kernel image), padded to 8.
 */
struct mt_rec_ksym {
	uint8_t kind;       /* MT_REC_KSYM */
	uint8_t type;       /* kallsyms type letter ('t', 'T', ...) */
	uint16_t size;
	uint16_t name_len;
	uint16_t module_len;
	uint64_t addr;
	uint64_t size_bytes; /* up to the next kallsyms address */
} __attribute__((packed));
#define MT_REC_KSYM_FIXED 24

/*
 * FILE: a file the traced program looked at under the device-describing
 * prefixes (/sys/bus/pci, /sys/devices/pci*, /sys/class/uio, /dev/uio*),
 * as it was at record time, for `mmiotap replay` (docs/FORMAT.md 1.8).
 * Fixed part 48 bytes, then path_len bytes of absolute path (no NUL, no
 * newline), then data_len bytes of content from offset on, padded to 8.
 * Content longer than one record is split over records of the same path
 * (offset grows; total is the whole length). Content by type: REG the
 * file's bytes; DIR its entries, each a type letter (f d l c b p s ?), the
 * name and '\n'; LNK the target; CHR nothing (a device node the program
 * opened). A later FILE of the same path replaces the earlier one.
 */
#define MT_FILE_REG 1
#define MT_FILE_DIR 2
#define MT_FILE_LNK 3
#define MT_FILE_CHR 4
/* mode: st_mode in the low 16 bits; flags above them */
#define MT_FILE_MODE_MASK 0xffffu
#define MT_FILE_F_ENTRY (1u << 24) /* the entry only: its content was not read */
#define MT_FILE_F_CUT (1u << 25)   /* content cut at 64 KiB: the file or listing was longer */
struct mt_rec_file {
	uint8_t kind;       /* MT_REC_FILE */
	uint8_t type;       /* MT_FILE_* */
	uint16_t size;
	uint16_t path_len;
	uint16_t data_len;
	uint32_t pid;       /* the process that looked at it */
	uint32_t mode;      /* st_mode at record time | MT_FILE_F_* */
	uint64_t ts;        /* when it was read */
	uint64_t seq;       /* the next record's seq (takes none itself) */
	uint64_t offset;    /* of the data in the content */
	uint64_t total;     /* content length */
} __attribute__((packed));
#define MT_REC_FILE_FIXED 48

_Static_assert(sizeof(struct mt_rec_file) == MT_REC_FILE_FIXED, "file size");
_Static_assert(sizeof(struct mt_pci_ids) == MT_PCI_IDS_LEN, "pci ids size");
_Static_assert(sizeof(struct mt_rec_object) == MT_REC_OBJECT_FIXED, "object size");
_Static_assert(sizeof(struct mt_obj_range) == MT_OBJ_RANGE_SIZE, "range size");
_Static_assert(sizeof(struct mt_rec_ksym) == MT_REC_KSYM_FIXED, "ksym size");
_Static_assert(sizeof(struct mt_file_header) == MT_FILE_HEADER_SIZE, "header size");
_Static_assert(sizeof(struct mt_rec_access) == MT_REC_SIZE, "access size");
_Static_assert(sizeof(struct mt_rec_ctx) == MT_REC_SIZE, "ctx size");
_Static_assert(sizeof(struct mt_rec_sync) == MT_REC_SIZE, "sync size");
_Static_assert(sizeof(struct mt_rec_map) == MT_REC_MAP_FIXED, "map size");
_Static_assert(sizeof(struct mt_rec_text) == MT_REC_TEXT_FIXED, "text size");
_Static_assert(sizeof(struct mt_rec_data) == MT_REC_DATA_FIXED, "data size");

#define MT_ALIGN8(n) (((n) + 7u) & ~(size_t)7u)

/* ---- encoders -------------------------------------------------------------- */
/*
 * A chunk is a CTX record followed by records of one thread (user space) or
 * one CPU (kernel). struct mt_enc_stream keeps the chunk state of one
 * producer buffer. Each function writes into buf (room bytes) and returns
 * the number of bytes written, or -ENOSPC (nothing written) if it does not
 * fit. mt_enc_access emits a CTX itself whenever needed (new buffer,
 * pid/tid/cpu changed, delta overflow), so the caller only calls
 * mt_enc_stream_reset() when it starts a fresh buffer.
 */
struct mt_enc_stream {
	uint64_t seq;       /* seq of the last fixed record */
	uint64_t ts;
	uint32_t pid, tid;
	uint16_t cpu;
	uint8_t open;       /* a CTX has been written into the current buffer */
	uint8_t reserved;
};

static inline void mt_enc_stream_reset(struct mt_enc_stream *s)
{
	s->open = 0;
}

/* What the producer knows about one event; absolute values. */
struct mt_enc_event {
	uint8_t kind;        /* MT_REC_READ/WRITE/UNKNOWN/UNMAP/LOST */
	uint8_t width;
	uint16_t flags;      /* MT_RF_*; MT_RF_DATA is set by the encoder */
	uint16_t map_id;
	uint16_t cpu;
	uint32_t pid, tid;
	uint32_t offset;
	uint64_t seq, ts, pc;
	uint64_t value;      /* width <= 8 (zero-extended), LOST count, UNKNOWN opcode */
	const void *wide;    /* width > 8: all width bytes (memory order), else NULL */
	const void *orig;    /* injected: the original value bytes (width), or NULL */
	const void *insn;    /* UNKNOWN: instruction bytes, or NULL */
	uint8_t insn_len;
};

static inline size_t mt__enc_data(uint8_t *p, uint8_t sub, const void *src, uint16_t len)
{
	struct mt_rec_data d;
	size_t sz = MT_REC_DATA_FIXED + MT_ALIGN8(len);

	d.kind = MT_REC_DATA;
	d.sub = sub;
	d.size = (uint16_t)sz;
	d.len = len;
	d.reserved = 0;
	memcpy(p, &d, sizeof(d));
	memcpy(p + MT_REC_DATA_FIXED, src, len);
	memset(p + MT_REC_DATA_FIXED + len, 0, sz - MT_REC_DATA_FIXED - len);
	return sz;
}

static inline size_t mt_enc_ctx(uint8_t *p, uint16_t cpu, uint32_t pid, uint32_t tid,
				uint64_t seq, uint64_t ts)
{
	struct mt_rec_ctx c;

	memset(&c, 0, sizeof(c));
	c.kind = MT_REC_CTX;
	c.cpu = cpu;
	c.pid = pid;
	c.tid = tid;
	c.seq = seq;
	c.ts = ts;
	memcpy(p, &c, sizeof(c));
	return sizeof(c);
}

/* Worst-case size of one encoded event (CTX + access + 3 DATA of 255 bytes). */
#define MT_ENC_MAX (2 * MT_REC_SIZE + 3 * (MT_REC_DATA_FIXED + 256))

static inline int mt_enc_event(struct mt_enc_stream *s, void *buf, size_t room,
			       const struct mt_enc_event *e)
{
	uint8_t *p = (uint8_t *)buf;
	size_t need = MT_REC_SIZE, n = 0;
	int need_ctx;
	struct mt_rec_access a;
	uint16_t wlen = e->width;

	if (e->wide && e->width > 8)
		need += MT_REC_DATA_FIXED + MT_ALIGN8(wlen);
	if (e->orig)
		need += MT_REC_DATA_FIXED + MT_ALIGN8(wlen);
	if (e->insn && e->insn_len)
		need += MT_REC_DATA_FIXED + MT_ALIGN8(e->insn_len);
	need_ctx = !s->open || s->pid != e->pid || s->tid != e->tid || s->cpu != e->cpu ||
		   e->seq <= s->seq || e->seq - s->seq > 0xffffu ||
		   e->ts < s->ts || e->ts - s->ts > 0xffffffffu;
	if (need_ctx)
		need += MT_REC_SIZE;
	if (need > room)
		return -ENOSPC;
	if (need_ctx) {
		/* base one below the event so that seq_delta >= 1 */
		n += mt_enc_ctx(p, e->cpu, e->pid, e->tid, e->seq - 1, e->ts);
		s->open = 1;
		s->pid = e->pid;
		s->tid = e->tid;
		s->cpu = e->cpu;
		s->seq = e->seq - 1;
		s->ts = e->ts;
	}
	a.kind = e->kind;
	a.width = e->width;
	a.flags = (uint16_t)(e->flags & ~MT_RF_DATA);
	if (need - n > MT_REC_SIZE)
		a.flags |= MT_RF_DATA;
	a.map_id = e->map_id;
	a.seq_delta = (uint16_t)(e->seq - s->seq);
	a.ts_delta = (uint32_t)(e->ts - s->ts);
	a.offset = e->offset;
	a.pc = e->pc;
	a.value = e->value;
	memcpy(p + n, &a, sizeof(a));
	n += sizeof(a);
	s->seq = e->seq;
	s->ts = e->ts;
	if (e->wide && e->width > 8)
		n += mt__enc_data(p + n, MT_DATA_VALUE, e->wide, wlen);
	if (e->orig)
		n += mt__enc_data(p + n, MT_DATA_ORIG, e->orig, wlen);
	if (e->insn && e->insn_len)
		n += mt__enc_data(p + n, MT_DATA_INSN, e->insn, e->insn_len);
	return (int)n;
}

/* SYNC barrier; does not touch stream state. */
static inline int mt_enc_sync(void *buf, size_t room, uint64_t seq, uint64_t ts)
{
	struct mt_rec_sync y;

	if (room < sizeof(y))
		return -ENOSPC;
	memset(&y, 0, sizeof(y));
	y.kind = MT_REC_SYNC;
	y.seq = seq;
	y.ts = ts;
	memcpy(buf, &y, sizeof(y));
	return (int)sizeof(y);
}

/* MARK or TEXT record (kind), text of len bytes (no newline). */
static inline int mt_enc_text(void *buf, size_t room, uint8_t kind, uint64_t seq,
			      uint64_t ts, const char *text, size_t len)
{
	struct mt_rec_text t;
	size_t sz = MT_REC_TEXT_FIXED + MT_ALIGN8(len);
	uint8_t *p = (uint8_t *)buf;

	if (sz > MT_REC_VAR_MAX)
		return -E2BIG;
	if (sz > room)
		return -ENOSPC;
	t.kind = kind;
	t.sub = 0;
	t.size = (uint16_t)sz;
	t.len = (uint16_t)len;
	t.reserved = 0;
	t.ts = ts;
	t.seq = seq;
	memcpy(p, &t, sizeof(t));
	memcpy(p + MT_REC_TEXT_FIXED, text, len);
	memset(p + MT_REC_TEXT_FIXED + len, 0, sz - MT_REC_TEXT_FIXED - len);
	return (int)sz;
}

/* What a producer knows about a new mapping. */
struct mt_enc_map {
	uint16_t map_id;
	uint8_t source;     /* MT_MAPSRC_* */
	uint8_t bar;        /* 0xff if none */
	uint8_t mflags;
	uint16_t pci_domain;
	uint8_t pci_bus, pci_devfn;
	uint32_t pid;
	uint32_t text_id;
	uint64_t seq, ts, phys, virt, size, pc, file_offset;
	const char *path;   /* may be NULL */
	uint16_t path_len;
};

static inline int mt_enc_map(void *buf, size_t room, const struct mt_enc_map *m)
{
	struct mt_rec_map r;
	size_t plen = m->path ? m->path_len : 0;
	size_t sz = MT_REC_MAP_FIXED + MT_ALIGN8(plen);
	uint8_t *p = (uint8_t *)buf;

	if (sz > MT_REC_VAR_MAX)
		return -E2BIG;
	if (sz > room)
		return -ENOSPC;
	memset(&r, 0, sizeof(r));
	r.kind = MT_REC_MAP;
	r.source = m->source;
	r.size = (uint16_t)sz;
	r.len = (uint16_t)plen;
	r.map_id = m->map_id;
	r.ts = m->ts;
	r.seq = m->seq;
	r.phys = m->phys;
	r.virt = m->virt;
	r.size_bytes = m->size;
	r.pc = m->pc;
	r.file_offset = m->file_offset;
	r.pid = m->pid;
	r.text_id = m->text_id;
	r.pci_domain = m->pci_domain;
	r.pci_bus = m->pci_bus;
	r.pci_devfn = m->pci_devfn;
	r.bar = m->bar;
	r.mflags = m->mflags;
	memcpy(p, &r, sizeof(r));
	if (plen)
		memcpy(p + MT_REC_MAP_FIXED, m->path, plen);
	memset(p + MT_REC_MAP_FIXED + plen, 0, sz - MT_REC_MAP_FIXED - plen);
	return (int)sz;
}

/* Fill a file header (the writer does this; exposed for the kernel module). */
static inline void mt_file_header_init(struct mt_file_header *h, uint16_t clock,
				       uint16_t source, uint32_t pid,
				       uint64_t start_realtime_ns)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, MT_TRACE_MAGIC, MT_TRACE_MAGIC_LEN);
	h->endian = MT_TRACE_ENDIAN;
	h->version = MT_TRACE_VERSION;
	h->min_version = MT_TRACE_MIN_VERSION;
	h->header_size = MT_FILE_HEADER_SIZE;
	h->clock = clock;
	h->source = source;
	h->pid = pid;
	h->start_realtime_ns = start_realtime_ns;
}

#ifdef __cplusplus
}
#endif
#endif /* MMIOTAP_TRACE_FORMAT_H */
