// SPDX-License-Identifier: GPL-2.0 OR MIT
/* text.c - mmiotrace text (VERSION 20070824 + mmiotap keywords) and JSON-lines output. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mmiotap/trace.h"

const char *mt_kind_name(unsigned kind)
{
	switch (kind) {
	case MT_REC_READ: return "R";
	case MT_REC_WRITE: return "W";
	case MT_REC_UNKNOWN: return "UNKNOWN";
	case MT_REC_UNMAP: return "UNMAP";
	case MT_REC_LOST: return "LOST";
	case MT_REC_CTX: return "CTX";
	case MT_REC_SYNC: return "SYNC";
	case MT_REC_MAP: return "MAP";
	case MT_REC_MARK: return "MARK";
	case MT_REC_TEXT: return "TEXT";
	case MT_REC_DATA: return "DATA";
	case MT_REC_PAD: return "PAD";
	case MT_REC_OBJECT: return "OBJECT";
	case MT_REC_KSYM: return "KSYM";
	case MT_REC_FILE: return "FILE";
	default: return "?";
	}
}

static const struct {
	unsigned bit;
	const char *name;
} flag_names[] = {
	{ MT_RF_INJECTED, "injected" }, { MT_RF_DROPPED, "dropped" },
	{ MT_RF_DELAYED, "delayed" },   { MT_RF_NESTED, "nested" },
	{ MT_RF_NMI, "nmi" },           { MT_RF_LOCKED, "locked" },
	{ MT_RF_RMW, "rmw" },           { MT_RF_STRING, "string" },
	{ MT_RF_NT, "nt" },             { MT_RF_PARTIAL, "partial" },
	{ MT_RF_SPLIT, "split" },       { MT_RF_HARDIRQ, "hardirq" },
	{ MT_RF_SOFTIRQ, "softirq" },   { MT_RF_STEPPED, "stepped" },
	{ MT_RF_DISARMED, "disarmed" },
};

int mt_flags_format(unsigned flags, char *buf, size_t room)
{
	size_t n = 0;
	unsigned i;

	if (!room)
		return -ENOSPC;
	buf[0] = 0;
	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
		int k;

		if (!(flags & flag_names[i].bit))
			continue;
		k = snprintf(buf + n, room - n, "%s%s", n ? "," : "", flag_names[i].name);
		if (k < 0 || (size_t)k >= room - n)
			return -ENOSPC;
		n += (size_t)k;
	}
	return (int)n;
}

/* Used by the text parser: name -> bit, 0 if unknown. */
unsigned mt__flag_bit(const char *name, size_t len)
{
	unsigned i;

	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (strlen(flag_names[i].name) == len && !memcmp(flag_names[i].name, name, len))
			return flag_names[i].bit;
	return 0;
}

void mt_text_state_init(struct mt_text_state *st)
{
	memset(st, 0, sizeof(*st));
	st->tid = MT_TID_UNKNOWN;
	st->cpu = MT_CPU_UNKNOWN;
}

/* Appending formatter over a fixed buffer; sticky overflow. */
struct out {
	char *buf;
	size_t room, n;
	int over;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (o->over)
		return;
	va_start(ap, fmt);
	k = vsnprintf(o->buf + o->n, o->room - o->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= o->room - o->n) {
		o->over = 1;
		return;
	}
	o->n += (size_t)k;
}

static void put_bytes(struct out *o, const void *p, size_t len)
{
	if (o->over)
		return;
	if (len >= o->room - o->n) {
		o->over = 1;
		return;
	}
	memcpy(o->buf + o->n, p, len);
	o->n += len;
	o->buf[o->n] = 0;
}

/* EXT key of a MAP's PCI ids: pciid=VVVV:DDDD:SSSS:ssss:RR:CCSSPP (vendor,
 * device, subsystem vendor and device, revision, class base/sub/prog-if). */
static void put_pciid(struct out *o, const struct mt_pci_ids *d)
{
	put(o, " pciid=%04x:%04x:%04x:%04x:%02x:%02x%02x%02x", d->vendor, d->device,
	    d->subsys_vendor, d->subsys_device, d->revision, d->class_base, d->class_sub,
	    d->class_prog);
}

/* secs.usecs exactly as the kernel: "%u.%06lu" of ns2usecs(ts). */
static void put_ts(struct out *o, uint64_t ts)
{
	uint64_t us = ts / 1000;

	put(o, "%" PRIu64 ".%06" PRIu64, us / 1000000, us % 1000000);
}

/* A value of `width` bytes in memory order, as one hex number (little-endian). */
static void put_hexval(struct out *o, const uint8_t *b, unsigned width, uint64_t v)
{
	if (width > 8 && b) {
		int i;

		put(o, "0x");
		for (i = (int)width - 1; i >= 0; i--)
			put(o, "%02x", b[i]);
	} else {
		put(o, "0x%" PRIx64, v);
	}
}

static uint64_t le_value(const uint8_t *b, unsigned n)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < n && i < 8; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

const char *mt_mapsrc_name(unsigned source)
{
	return source == MT_MAPSRC_FILE ? "file" : source == MT_MAPSRC_PCI ? "pci"
		: source == MT_MAPSRC_WATCH ? "watch" : "none";
}

static int is_access(unsigned kind)
{
	return kind == MT_REC_READ || kind == MT_REC_WRITE || kind == MT_REC_UNKNOWN ||
	       kind == MT_REC_UNMAP || kind == MT_REC_LOST;
}

static void put_cpu_tid(struct out *o, uint32_t tid, uint16_t cpu)
{
	if (tid == MT_TID_UNKNOWN)
		put(o, " -");
	else
		put(o, " %" PRIu32, tid);
	if (cpu == MT_CPU_UNKNOWN)
		put(o, " -");
	else
		put(o, " %u", (unsigned)cpu);
}

/* JSON string body with escapes. */
static void put_json_str(struct out *o, const char *s, size_t len)
{
	size_t i;

	put(o, "\"");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			put(o, "\\u%04x", c);
		else
			put(o, "%c", c);
	}
	put(o, "\"");
}

/* C-style quoted string: \n \t \\ \" and \xNN for other bytes outside
 * printable ASCII. */
static void put_c_str(struct out *o, const void *p, size_t len)
{
	const unsigned char *s = p;

	put(o, "\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c == '\n')
			put(o, "\\n");
		else if (c == '\t')
			put(o, "\\t");
		else if (c < 0x20 || c >= 0x7f)
			put(o, "\\x%02x", c);
		else
			put(o, "%c", c);
	}
	put(o, "\"");
}

/* FILE (reader option files): one line, no sequence number. 0, or
 * -EINVAL for a malformed record. */
static int put_file(struct out *o, const struct mt_event *ev, int json)
{
	struct mt_file_info f;

	if (!ev->text || mt_file_parse(ev->text, ev->text_len, &f))
		return -EINVAL;
	if (json) {
		put(o, "{\"seq\":%" PRIu64 ",\"ts\":%" PRIu64 ",\"kind\":\"FILE\",\"pid\":%" PRIu32
		       ",\"type\":\"%s\",\"mode\":\"0%o\",",
		    f.seq, f.ts, f.pid, mt_file_type_name(f.type), (unsigned)f.mode);
		if (f.flags)
			put(o, "\"flags\":\"%s\",", mt_file_flags_name(f.flags));
		put(o, "\"offset\":%" PRIu64 ",\"total\":%" PRIu64 ",\"path\":", f.offset, f.total);
		put_json_str(o, f.path, f.path_len);
		put(o, ",\"data\":");
		put_json_str(o, (const char *)f.data, f.data_len);
		put(o, "}\n");
		return 0;
	}
	put(o, "FILE %" PRIu32 " %s%s%s 0%o %" PRIu64 " %" PRIu64 " ", f.pid,
	    mt_file_type_name(f.type), f.flags ? "/" : "", mt_file_flags_name(f.flags),
	    (unsigned)f.mode, f.offset, f.total);
	put_c_str(o, f.path, f.path_len);
	put(o, " ");
	put_c_str(o, f.data, f.data_len);
	put(o, "\n");
	return 0;
}

int mt_text_format(struct mt_text_state *st, const struct mt_event *ev, char *buf, size_t room)
{
	struct out o = { buf, room, 0, 0 };
	char fl[160];
	int ext = 0;

	if (!st || !ev || !buf || !room)
		return -EINVAL;
	buf[0] = 0;
	if (ev->kind == MT_REC_SYNC || ev->kind == MT_REC_CTX || ev->kind == MT_REC_PAD ||
	    ev->kind == MT_REC_DATA || ev->kind == MT_REC_OBJECT || ev->kind == MT_REC_KSYM)
		return 0; /* OBJECT, KSYM: symbol tables, not in the text (dump --symbols uses them) */
	if (ev->kind == MT_REC_MAP && (ev->map.mflags & MT_MAPF_IMPLICIT))
		return 0; /* hidden window: consumes no seq on the text side either */
	if (!st->started) {
		st->started = 1;
		if (ev->kind == MT_REC_TEXT && ev->text_len >= 8 && !memcmp(ev->text, "VERSION ", 8)) {
			/* a leading VERSION line takes no sequence number: the
			 * parser numbers what follows from 0, whatever seq the
			 * VERSION record itself carried */
			put_bytes(&o, ev->text, ev->text_len);
			put(&o, "\n");
			st->next_seq = 0;
			return o.over ? -ENOSPC : (int)o.n;
		}
		put(&o, "VERSION 20070824\n");
	}
	if (ev->kind == MT_REC_FILE) {
		if (put_file(&o, ev, 0))
			return -EINVAL;
		return o.over ? -ENOSPC : (int)o.n;
	}
	if (ev->seq != st->next_seq)
		put(&o, "SEQ %" PRIu64 "\n", ev->seq);
	st->next_seq = ev->seq + 1;
	if (is_access(ev->kind)) {
		int known = ev->tid != MT_TID_UNKNOWN || ev->cpu != MT_CPU_UNKNOWN;

		if ((known || st->ctx_printed) &&
		    (!st->ctx_printed || st->pid != ev->pid || st->tid != ev->tid ||
		     st->cpu != ev->cpu)) {
			put(&o, "CTX %" PRIu32, ev->pid);
			put_cpu_tid(&o, ev->tid, ev->cpu);
			put(&o, "\n");
			st->ctx_printed = 1;
			st->pid = ev->pid;
			st->tid = ev->tid;
			st->cpu = ev->cpu;
		}
	}
	switch (ev->kind) {
	case MT_REC_READ:
	case MT_REC_WRITE:
		put(&o, "%s %u ", ev->kind == MT_REC_READ ? "R" : "W", (unsigned)ev->width);
		put_ts(&o, ev->ts);
		put(&o, " %" PRIu32 " 0x%" PRIx64 " ", ev->text_id, ev->phys);
		put_hexval(&o, ev->wide, ev->width, ev->value);
		put(&o, " 0x%" PRIx64 " %" PRIu32 "\n", ev->pc, ev->pid);
		ext = 1;
		break;
	case MT_REC_UNKNOWN:
		put(&o, "UNKNOWN ");
		put_ts(&o, ev->ts);
		put(&o, " %" PRIu32 " 0x%" PRIx64 " %02x,%02x,%02x 0x%" PRIx64 " %" PRIu32 "\n",
		    ev->text_id, ev->phys, (unsigned)(ev->value >> 16) & 0xff,
		    (unsigned)(ev->value >> 8) & 0xff, (unsigned)ev->value & 0xff, ev->pc,
		    ev->pid);
		ext = 1;
		break;
	case MT_REC_UNMAP:
		put(&o, "UNMAP ");
		put_ts(&o, ev->ts);
		put(&o, " %" PRIu32 " 0x%" PRIx64 " %" PRIu32 "\n", ev->text_id, ev->pc, ev->pid);
		ext = 1;
		break;
	case MT_REC_LOST:
		put(&o, "LOST ");
		put_ts(&o, ev->ts);
		put(&o, " %" PRIu64 "\n", ev->value);
		st->next_seq = ev->seq + (ev->value ? ev->value : 1);
		ext = 1;
		break;
	case MT_REC_MAP: {
		const struct mt_map_info *m = &ev->map;

		put(&o, "MAP ");
		put_ts(&o, ev->ts);
		put(&o, " %" PRIu32 " 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64
			" %" PRIu32 "\n",
		    m->text_id, m->phys, m->virt, m->size, m->pc, m->pid);
		if (m->source != MT_MAPSRC_NONE || m->bar != 0xff || m->pci_domain ||
		    m->pci_bus || m->pci_devfn || m->file_offset || m->path_len ||
		    m->has_pci_ids) {
			put(&o, "EXT src=%s", mt_mapsrc_name(m->source));
			if (m->source == MT_MAPSRC_PCI || m->pci_domain || m->pci_bus ||
			    m->pci_devfn)
				put(&o, " pci=%04x:%02x:%02x.%x", m->pci_domain, m->pci_bus,
				    m->pci_devfn >> 3, m->pci_devfn & 7);
			if (m->bar != 0xff)
				put(&o, " bar=%u", m->bar);
			if (m->file_offset)
				put(&o, " foff=0x%" PRIx64, m->file_offset);
			if (m->has_pci_ids)
				put_pciid(&o, &m->pci_ids);
			if (m->path_len) {
				put(&o, " path=");
				put_bytes(&o, m->path, m->path_len);
			}
			put(&o, "\n");
		}
		break;
	}
	case MT_REC_MARK:
		put(&o, "MARK ");
		put_ts(&o, ev->ts);
		put(&o, " ");
		put_bytes(&o, ev->text, ev->text_len);
		put(&o, "\n");
		break;
	case MT_REC_TEXT:
		put_bytes(&o, ev->text, ev->text_len);
		put(&o, "\n");
		break;
	default:
		return -EINVAL;
	}
	if (ext) {
		unsigned f = ev->flags & MT_RF_KNOWN & ~MT_RF_DATA;

		if (f || ev->orig || (ev->insn && ev->insn_len)) {
			put(&o, "EXT");
			if (f) {
				if (mt_flags_format(f, fl, sizeof(fl)) < 0)
					return -ENOSPC;
				put(&o, " flags=%s", fl);
			}
			if (ev->orig) {
				put(&o, " orig=");
				put_hexval(&o, ev->orig, ev->orig_len,
					   le_value(ev->orig, ev->orig_len));
			}
			if (ev->insn && ev->insn_len) {
				unsigned i;

				put(&o, " insn=");
				for (i = 0; i < ev->insn_len; i++)
					put(&o, "%02x", ev->insn[i]);
			}
			put(&o, "\n");
		}
	}
	if (o.over)
		return -ENOSPC;
	return (int)o.n;
}


int mt_jsonl_format(const struct mt_event *ev, char *buf, size_t room)
{
	struct out o = { buf, room, 0, 0 };
	char fl[160];

	if (!ev || !buf || !room)
		return -EINVAL;
	buf[0] = 0;
	if (ev->kind == MT_REC_SYNC || ev->kind == MT_REC_CTX || ev->kind == MT_REC_PAD ||
	    ev->kind == MT_REC_DATA || ev->kind == MT_REC_OBJECT || ev->kind == MT_REC_KSYM)
		return 0; /* OBJECT, KSYM: symbol tables, not in the text (dump --symbols uses them) */
	if (ev->kind == MT_REC_FILE) {
		if (put_file(&o, ev, 1))
			return -EINVAL;
		return o.over ? -ENOSPC : (int)o.n;
	}
	put(&o, "{\"seq\":%" PRIu64 ",\"ts\":%" PRIu64 ",\"kind\":\"%s\"", ev->seq, ev->ts,
	    mt_kind_name(ev->kind));
	switch (ev->kind) {
	case MT_REC_READ:
	case MT_REC_WRITE:
	case MT_REC_UNKNOWN:
	case MT_REC_UNMAP:
	case MT_REC_LOST:
		if (ev->kind != MT_REC_LOST)
			put(&o, ",\"width\":%u,\"map\":%" PRIu32 ",\"phys\":\"0x%" PRIx64
				"\",\"offset\":\"0x%" PRIx64 "\"",
			    (unsigned)ev->width, ev->text_id, ev->phys, ev->offset);
		if (ev->kind == MT_REC_LOST) {
			put(&o, ",\"count\":%" PRIu64, ev->value);
		} else if (ev->kind == MT_REC_READ || ev->kind == MT_REC_WRITE) {
			put(&o, ",\"value\":\"");
			put_hexval(&o, ev->wide, ev->width, ev->value);
			put(&o, "\"");
		} else if (ev->kind == MT_REC_UNKNOWN) {
			unsigned i;

			put(&o, ",\"insn\":\"");
			if (ev->insn && ev->insn_len)
				for (i = 0; i < ev->insn_len; i++)
					put(&o, "%02x", ev->insn[i]);
			else
				put(&o, "%06" PRIx64, ev->value & 0xffffff);
			put(&o, "\"");
		}
		if (ev->orig) {
			put(&o, ",\"orig\":\"");
			put_hexval(&o, ev->orig, ev->orig_len, le_value(ev->orig, ev->orig_len));
			put(&o, "\"");
		}
		put(&o, ",\"pc\":\"0x%" PRIx64 "\",\"pid\":%" PRIu32, ev->pc, ev->pid);
		if (ev->tid != MT_TID_UNKNOWN)
			put(&o, ",\"tid\":%" PRIu32, ev->tid);
		if (ev->cpu != MT_CPU_UNKNOWN)
			put(&o, ",\"cpu\":%u", (unsigned)ev->cpu);
		if (ev->flags & MT_RF_KNOWN & ~MT_RF_DATA) {
			if (mt_flags_format(ev->flags & MT_RF_KNOWN & ~MT_RF_DATA, fl, sizeof(fl)) < 0)
				return -ENOSPC;
			put(&o, ",\"flags\":\"%s\"", fl);
		}
		break;
	case MT_REC_MAP: {
		const struct mt_map_info *m = &ev->map;

		put(&o, ",\"map\":%" PRIu32 ",\"phys\":\"0x%" PRIx64 "\",\"virt\":\"0x%" PRIx64
			"\",\"size\":\"0x%" PRIx64 "\",\"pc\":\"0x%" PRIx64 "\",\"pid\":%" PRIu32,
		    m->text_id, m->phys, m->virt, m->size, m->pc, m->pid);
		put(&o, ",\"source\":\"%s\"", mt_mapsrc_name(m->source));
		if (m->source == MT_MAPSRC_PCI)
			put(&o, ",\"pci\":\"%04x:%02x:%02x.%x\"", m->pci_domain, m->pci_bus,
			    m->pci_devfn >> 3, m->pci_devfn & 7);
		if (m->bar != 0xff)
			put(&o, ",\"bar\":%u", m->bar);
		if (m->file_offset)
			put(&o, ",\"file_offset\":\"0x%" PRIx64 "\"", m->file_offset);
		if (m->path_len) {
			put(&o, ",\"path\":");
			put_json_str(&o, m->path, m->path_len);
		}
		if (m->mflags & MT_MAPF_IMPLICIT)
			put(&o, ",\"implicit\":true");
		if (m->has_pci_ids) {
			const struct mt_pci_ids *d = &m->pci_ids;

			put(&o, ",\"vendor\":\"%04x\",\"device\":\"%04x\",\"subsys_vendor\":\"%04x\","
				"\"subsys_device\":\"%04x\",\"revision\":\"%02x\",\"class\":\"%02x%02x%02x\"",
			    d->vendor, d->device, d->subsys_vendor, d->subsys_device, d->revision,
			    d->class_base, d->class_sub, d->class_prog);
		}
		break;
	}
	case MT_REC_MARK:
	case MT_REC_TEXT:
		put(&o, ",\"text\":");
		put_json_str(&o, ev->text, ev->text_len);
		break;
	default:
		return -EINVAL;
	}
	put(&o, "}\n");
	if (o.over)
		return -ENOSPC;
	return (int)o.n;
}
