// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * perfetto.c - Perfetto protobuf export, hand-encoded (pb.h): a Trace whose
 * packets are TrackDescriptors (each emitted once, before its first event)
 * and TrackEvents, all on packet sequence 1.
 *
 * Tracks: one per thread (ThreadDescriptor pid/tid) for records whose thread
 * is known (user space); one per CPU, under a "kernel CPUs" track, for the
 * others (kernel records); one per device (map), with one counter track per
 * register below it (value over time; keyed by physical address and width,
 * at most EX_MAX_COUNTERS); one "markers" track. Every R/W/UNKNOWN/LOST is
 * an instant event on its thread or CPU track, with debug annotations (seq,
 * addr, width, value, pc, map, cpu, flags; reg and func when known); every
 * R/W of 8 bytes or less also a counter event. MAP/UNMAP are instants on
 * the device track, MARKs on the markers track. Timestamps are the trace's
 * own nanoseconds (TracePacket.timestamp, default clock).
 *
 * Field numbers are those of perfetto's protos/perfetto/trace/ (track_event/...)
 * (checked against them; tests/export/perfetto_subset.proto copies the
 * messages and fields used here).
 */
#include <string.h>

#include "export_int.h"
#include "pb.h"

enum {
	F_TRACE_PACKET = 1,
	/* TracePacket */
	F_PKT_TIMESTAMP = 8, F_PKT_SEQ_ID = 10, F_PKT_TRACK_EVENT = 11,
	F_PKT_SEQ_FLAGS = 13, F_PKT_TRACK_DESC = 60,
	/* TrackDescriptor */
	F_TD_UUID = 1, F_TD_NAME = 2, F_TD_PROCESS = 3, F_TD_THREAD = 4,
	F_TD_PARENT = 5, F_TD_COUNTER = 8,
	/* ThreadDescriptor */
	F_THR_PID = 1, F_THR_TID = 2,
	/* TrackEvent */
	F_TE_ANNOT = 4, F_TE_TYPE = 9, F_TE_TRACK = 11, F_TE_CATEGORY = 22, F_TE_NAME = 23,
	F_TE_COUNTER = 30,
	/* DebugAnnotation */
	F_DA_UINT = 3, F_DA_STRING = 6, F_DA_POINTER = 7, F_DA_NAME = 10,
};
enum { TE_INSTANT = 3, TE_COUNTER = 4 };
#define SEQ_ID 1
#define SEQ_INCREMENTAL_STATE_CLEARED 1
#define CPUS_UUID ex_key(EX_TK_CPU, 1ull << 40)
#define MARKS_UUID ex_key(EX_TK_MARKS, 0)
#define NAME_MAX_LEN 96 /* names and annotation strings are cut there */

/* Opens a TracePacket (and its time stamp): returns its length slot. */
static uint8_t *pk_begin(uint8_t **p, uint64_t ts, int with_ts)
{
	uint8_t *len = pb_begin(p, F_TRACE_PACKET);

	if (with_ts)
		*p = pb_uint(*p, F_PKT_TIMESTAMP, ts);
	*p = pb_uint(*p, F_PKT_SEQ_ID, SEQ_ID);
	return len;
}

static uint8_t *pb_strn(uint8_t *p, unsigned field, const char *s)
{
	return pb_bytes(p, field, s, strnlen(s, NAME_MAX_LEN));
}

/* One TrackDescriptor packet. thread: pid/tid, else name (and counter). */
static uint8_t *pk_track(uint8_t *p, uint64_t uuid, uint64_t parent, const char *name,
			 const uint32_t *pidtid, int counter)
{
	uint8_t *pk = pk_begin(&p, 0, 0), *td, *th;

	td = pb_begin(&p, F_PKT_TRACK_DESC);
	p = pb_uint(p, F_TD_UUID, uuid);
	if (parent)
		p = pb_uint(p, F_TD_PARENT, parent);
	if (name)
		p = pb_strn(p, F_TD_NAME, name);
	if (pidtid) {
		th = pb_begin_small(&p, F_TD_THREAD);
		p = pb_uint(p, F_THR_PID, pidtid[0]);
		p = pb_uint(p, F_THR_TID, pidtid[1]);
		pb_end_small(th, p);
	}
	if (counter)
		p = pb_bytes(p, F_TD_COUNTER, "", 0);
	pb_end(td, p);
	pb_end(pk, p);
	return p;
}

/* The thread or CPU track of a record, described the first time. */
static uint8_t *pf_where(struct mt_exporter *x, uint8_t *p, const struct mt_event *ev,
			 uint64_t *uuid)
{
	char nm[32];

	if (ev->tid != MT_TID_UNKNOWN || ev->cpu == MT_CPU_UNKNOWN) {
		uint32_t pt[2] = { ev->pid, ev->tid != MT_TID_UNKNOWN ? ev->tid : ev->pid };

		*uuid = ex_thread_key(pt[0], pt[1]);
		if (ex_track_new(x, *uuid))
			p = pk_track(p, *uuid, 0, NULL, pt, 0);
		return p;
	}
	*uuid = ex_key(EX_TK_CPU, ev->cpu);
	if (ex_track_new(x, CPUS_UUID))
		p = pk_track(p, CPUS_UUID, 0, "kernel CPUs", NULL, 0);
	if (ex_track_new(x, *uuid)) {
		*tx_u64(tx_str(nm, "CPU "), ev->cpu) = 0;
		p = pk_track(p, *uuid, CPUS_UUID, nm, NULL, 0);
	}
	return p;
}

static uint8_t *pf_device(struct mt_exporter *x, uint8_t *p, uint16_t map_id, uint64_t *uuid)
{
	const struct ex_map *m = ex_maps_get(&x->maps, map_id);
	char nm[128];

	*uuid = ex_key(EX_TK_DEVICE, map_id);
	if (!ex_track_new(x, *uuid))
		return p;
	*tx_str(tx_str(nm, "device "), m ? m->name : "?") = 0;
	return pk_track(p, *uuid, 0, nm, NULL, 0);
}

/* Debug annotations: a name and one value. */
static uint8_t *da_uint_n(uint8_t *p, const char *name, size_t nlen, unsigned field,
			  uint64_t v)
{
	uint8_t *len = pb_begin_small(&p, F_TE_ANNOT);

	p = pb_bytes(p, F_DA_NAME, name, nlen);
	p = pb_uint(p, field, v);
	pb_end_small(len, p);
	return p;
}

/* name: a string literal */
#define da_uint(p, name, field, v) da_uint_n(p, name, sizeof(name) - 1, field, v)

/* Strings (names cut at NAME_MAX_LEN, values of up to 255 bytes in hex). */
static uint8_t *da_str(uint8_t *p, const char *name, const char *s, size_t n)
{
	uint8_t *len = pb_begin(&p, F_TE_ANNOT);

	p = pb_str(p, F_DA_NAME, name);
	p = pb_bytes(p, F_DA_STRING, s, n < 1024 ? n : 1024);
	pb_end(len, p);
	return p;
}

static uint8_t *pf_annotations(uint8_t *p, const struct mt_event *ev, const char *reg,
			       const char *fn)
{
	char buf[600];
	int n;

	p = da_uint(p, "seq", F_DA_UINT, ev->seq);
	if (ev->kind == MT_REC_LOST) {
		p = da_uint(p, "count", F_DA_UINT, ev->value);
	} else {
		p = da_uint(p, "addr", F_DA_POINTER, ev->phys);
		p = da_uint(p, "width", F_DA_UINT, ev->width);
		p = da_uint(p, "map", F_DA_UINT, ev->text_id);
	}
	if (ex_is_access(ev)) {
		if (ev->wide && ev->width > 8)
			p = da_str(p, "value", buf, (size_t)(tx_value(buf, ev) - buf));
		else
			p = da_uint(p, "value", F_DA_POINTER, ev->value);
	}
	p = da_uint(p, "pc", F_DA_POINTER, ev->pc);
	if (ev->cpu != MT_CPU_UNKNOWN)
		p = da_uint(p, "cpu", F_DA_UINT, ev->cpu);
	if (reg)
		p = da_str(p, "reg", reg, strlen(reg));
	if (fn)
		p = da_str(p, "func", fn, strlen(fn));
	if (ev->flags & MT_RF_KNOWN & ~MT_RF_DATA) {
		n = mt_flags_format(ev->flags & MT_RF_KNOWN & ~MT_RF_DATA, buf, sizeof(buf));
		p = da_str(p, "flags", buf, (size_t)n);
	}
	return p;
}

/* An instant event on track uuid, named name; annotations by the caller. */
static uint8_t *te_instant(uint8_t **p, uint64_t ts, uint64_t uuid, const char *name,
			   size_t name_len, uint8_t **te)
{
	uint8_t *pk = pk_begin(p, ts, 1);

	*te = pb_begin(p, F_PKT_TRACK_EVENT);
	*p = pb_uint(*p, F_TE_TYPE, TE_INSTANT);
	*p = pb_uint(*p, F_TE_TRACK, uuid);
	*p = pb_bytes(*p, F_TE_NAME, name, name_len);
	return pk;
}

static uint8_t *pf_counter(struct mt_exporter *x, uint8_t *p, const struct mt_event *ev,
			   const char *reg)
{
	uint64_t uuid = ex_counter_key(ev), dev;
	uint8_t *pk, *te;
	char nm[128], *q;
	int added;

	if (x->ncounters >= EX_MAX_COUNTERS) {
		/* only the tracks already described keep getting values */
		if (!ex_set_has(&x->tracks, uuid))
			return p;
	} else {
		p = pf_device(x, p, ev->map_id, &dev);
		added = ex_track_new(x, uuid);
		if (x->out.err)
			return p;
		if (added) {
			x->ncounters++;
			q = reg ? tx_str(nm, reg) : tx_hex(nm, ev->phys);
			*q++ = ' ';
			q = tx_u64(q, ev->width * 8u);
			*tx_str(q, "-bit") = 0;
			p = pk_track(p, uuid, dev, nm, NULL, 1);
		}
	}
	pk = pk_begin(&p, ev->ts, 1);
	te = pb_begin(&p, F_PKT_TRACK_EVENT);
	p = pb_uint(p, F_TE_TYPE, TE_COUNTER);
	p = pb_uint(p, F_TE_TRACK, uuid);
	p = pb_uint(p, F_TE_COUNTER, ev->value);
	pb_end(te, p);
	pb_end(pk, p);
	return p;
}

static uint8_t *pf_access(struct mt_exporter *x, uint8_t *p, const struct mt_event *ev)
{
	const char *reg = ex_reg_name(x, ev);
	const char *fn = ex_pc_name(x, ev);
	char name[NAME_MAX_LEN + 32], *q = name;
	uint8_t *pk, *te;
	uint64_t uuid;

	p = pf_where(x, p, ev, &uuid);
	q = tx_str(q, mt_kind_name(ev->kind));
	if (ev->kind != MT_REC_LOST) {
		*q++ = ' ';
		if (reg) {
			size_t n = strnlen(reg, NAME_MAX_LEN);

			memcpy(q, reg, n);
			q += n;
		} else {
			q = tx_hex(q, ev->phys);
		}
	}
	pk = te_instant(&p, ev->ts, uuid, name, (size_t)(q - name), &te);
	p = pb_bytes(p, F_TE_CATEGORY, "mmio", 4);
	p = pf_annotations(p, ev, reg, fn);
	pb_end(te, p);
	pb_end(pk, p);
	if (ex_is_access(ev) && ev->width <= 8)
		p = pf_counter(x, p, ev, reg);
	return p;
}

static uint8_t *pf_map(struct mt_exporter *x, uint8_t *p, const struct mt_event *ev)
{
	uint16_t id = ev->kind == MT_REC_MAP ? ev->map.map_id : ev->map_id;
	const struct ex_map *m = ex_maps_get(&x->maps, id);
	const char *what = ev->kind == MT_REC_MAP ? "MAP" : "UNMAP";
	uint8_t *pk, *te;
	uint64_t uuid;

	p = pf_device(x, p, id, &uuid);
	pk = te_instant(&p, ev->ts, uuid, what, strlen(what), &te);
	p = da_uint(p, "seq", F_DA_UINT, ev->seq);
	if (m) {
		p = da_uint(p, "phys", F_DA_POINTER, m->info.phys);
		p = da_uint(p, "size", F_DA_UINT, m->info.size);
		p = da_uint(p, "pid", F_DA_UINT, m->info.pid);
		if (m->info.path_len)
			p = da_str(p, "path", m->info.path, m->info.path_len);
	}
	p = da_uint(p, "pc", F_DA_POINTER, ev->kind == MT_REC_MAP ? ev->map.pc : ev->pc);
	pb_end(te, p);
	pb_end(pk, p);
	return p;
}

static int pf_begin(struct mt_exporter *x)
{
	uint8_t *p = xo_reserve(&x->out, 256), *pk, *td;

	pk = pk_begin(&p, 0, 0);
	p = pb_uint(p, F_PKT_SEQ_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED);
	td = pb_begin(&p, F_PKT_TRACK_DESC);
	p = pb_uint(p, F_TD_UUID, MARKS_UUID);
	p = pb_str(p, F_TD_NAME, "markers");
	pb_end(td, p);
	pb_end(pk, p);
	ex_track_new(x, MARKS_UUID);
	xo_commit(&x->out, p);
	return 0;
}

static int pf_event(struct mt_exporter *x, const struct mt_event *ev)
{
	uint8_t *p = xo_reserve(&x->out, MT_REC_VAR_MAX + 4096), *pk, *te;

	switch (ev->kind) {
	case MT_REC_READ:
	case MT_REC_WRITE:
	case MT_REC_UNKNOWN:
	case MT_REC_LOST:
		p = pf_access(x, p, ev);
		break;
	case MT_REC_MAP:
	case MT_REC_UNMAP:
		p = pf_map(x, p, ev);
		break;
	case MT_REC_MARK:
		pk = te_instant(&p, ev->ts, MARKS_UUID, ev->text, ev->text_len, &te);
		p = pb_str(p, F_TE_CATEGORY, "mark");
		p = da_uint(p, "seq", F_DA_UINT, ev->seq);
		pb_end(te, p);
		pb_end(pk, p);
		break;
	default: /* TEXT (mmiotrace header lines): not an event */
		break;
	}
	xo_commit(&x->out, p);
	return 0;
}

static int pf_end(struct mt_exporter *x)
{
	return 0;
}

const struct ex_ops mt_export_perfetto_ops = { pf_begin, pf_event, pf_end };
