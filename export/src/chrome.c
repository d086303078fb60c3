// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * chrome.c - Chrome JSON export (the Trace Event Format that
 * chrome://tracing and Perfetto's UI open): {"traceEvents":[...]}.
 *
 * Every access, LOST and UNKNOWN is one instant event ("ph":"i", cat
 * "mmio") on its thread (pid, tid) or, when the thread is unknown (kernel
 * records), on its CPU: pid 0 ("kernel"), tid = CPU. Each R/W of 8 bytes or
 * less also sets the register's counter ("ph":"C") in a pseudo-process per
 * device (pid EX_DEV_PID + map id). MAP/UNMAP are instants in the device's
 * process, MARKs global instants. Timestamps are microseconds with three
 * decimals (exact ns). Values and addresses are hex strings (JSON numbers
 * lose precision past 2^53), counters are numbers.
 */
#include <string.h>

#include "export_int.h"

#define EX_DEV_PID 0x40000000u /* above any Linux pid (pid_max <= 2^22) */

static int cj_begin(struct mt_exporter *x)
{
	xo_puts(&x->out, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
	return 0;
}

static char *cj_sep(struct mt_exporter *x, char *p)
{
	if (x->nevents++)
		*p++ = ',';
	return p;
}

static char *cj_ts(char *p, uint64_t ts)
{
	uint64_t f = ts % 1000;

	p = tx_str(p, ",\"ts\":");
	p = tx_u64(p, ts / 1000);
	*p++ = '.';
	*p++ = (char)('0' + f / 100);
	*p++ = (char)('0' + f / 10 % 10);
	*p++ = (char)('0' + f % 10);
	return p;
}

static char *cj_hexarg(char *p, const char *name, uint64_t v)
{
	p = tx_str(p, name);
	*p++ = '"';
	p = tx_hex(p, v);
	*p++ = '"';
	return p;
}

/* {"name":"process_name"|"thread_name","ph":"M",...,"args":{"name":"NAME"}} */
static char *cj_meta(struct mt_exporter *x, char *p, const char *what, uint32_t pid,
		     uint32_t tid, const char *name)
{
	p = cj_sep(x, p);
	p = tx_str(p, "{\"name\":\"");
	p = tx_str(p, what);
	p = tx_str(p, "\",\"ph\":\"M\",\"pid\":");
	p = tx_u64(p, pid);
	p = tx_str(p, ",\"tid\":");
	p = tx_u64(p, tid);
	p = tx_str(p, ",\"args\":{\"name\":\"");
	p = tx_json(p, name, strlen(name));
	return tx_str(p, "\"}}\n");
}

/* Where an event goes; names the pseudo-processes the first time. */
static char *cj_where(struct mt_exporter *x, char *p, const struct mt_event *ev,
		      uint32_t *pid, uint32_t *tid)
{
	char nm[32], *q;

	if (ev->tid != MT_TID_UNKNOWN || ev->cpu == MT_CPU_UNKNOWN) {
		*pid = ev->pid;
		*tid = ev->tid != MT_TID_UNKNOWN ? ev->tid : ev->pid;
		return p;
	}
	*pid = 0;
	*tid = ev->cpu;
	if (ex_track_new(x, ex_key(EX_TK_PROCESS, 0)))
		p = cj_meta(x, p, "process_name", 0, 0, "kernel");
	if (ex_track_new(x, ex_key(EX_TK_CPU, ev->cpu))) {
		q = tx_u64(tx_str(nm, "CPU "), ev->cpu);
		*q = 0;
		p = cj_meta(x, p, "thread_name", 0, ev->cpu, nm);
	}
	return p;
}

static char *cj_device(struct mt_exporter *x, char *p, uint16_t map_id)
{
	const struct ex_map *m = ex_maps_get(&x->maps, map_id);
	char nm[128];

	if (!ex_track_new(x, ex_key(EX_TK_DEVICE, map_id)))
		return p;
	*tx_str(tx_str(nm, "device "), m ? m->name : "?") = 0;
	return cj_meta(x, p, "process_name", EX_DEV_PID + map_id, 0, nm);
}

static char *cj_head(struct mt_exporter *x, char *p, const char *name, const char *ph,
		     uint64_t ts, uint32_t pid, uint32_t tid)
{
	p = cj_sep(x, p);
	p = tx_str(p, "{\"name\":\"");
	p = tx_str(p, name);
	p = tx_str(p, "\",\"cat\":\"mmio\",\"ph\":\"");
	p = tx_str(p, ph);
	*p++ = '"';
	p = cj_ts(p, ts);
	p = tx_str(p, ",\"pid\":");
	p = tx_u64(p, pid);
	p = tx_str(p, ",\"tid\":");
	return tx_u64(p, tid);
}

static char *cj_counter(struct mt_exporter *x, char *p, const struct mt_event *ev,
			const char *reg)
{
	p = cj_device(x, p, ev->map_id);
	p = cj_sep(x, p);
	p = tx_str(p, "{\"name\":\"");
	p = reg ? tx_json(p, reg, strlen(reg)) : tx_hex(p, ev->phys);
	p = tx_str(p, "\",\"cat\":\"mmio\",\"ph\":\"C\"");
	p = cj_ts(p, ev->ts);
	p = tx_str(p, ",\"pid\":");
	p = tx_u64(p, EX_DEV_PID + ev->map_id);
	p = tx_str(p, ",\"args\":{\"value\":");
	p = tx_u64(p, ev->value);
	return tx_str(p, "}}\n");
}

static char *cj_access(struct mt_exporter *x, char *p, const struct mt_event *ev)
{
	const char *reg = ex_reg_name(x, ev);
	const char *fn = ex_pc_name(x, ev);
	char name[16 + 6 * EX_NAME_MAX], *q = name;
	uint32_t pid, tid;
	char fl[200];

	p = cj_where(x, p, ev, &pid, &tid);
	q = tx_str(q, mt_kind_name(ev->kind));
	if (ev->kind != MT_REC_LOST) {
		*q++ = ' ';
		q = reg ? tx_json(q, reg, strlen(reg)) : tx_hex(q, ev->phys);
	}
	*q = 0;
	p = cj_head(x, p, name, "i", ev->ts, pid, tid);
	p = tx_str(p, ",\"s\":\"t\",\"args\":{\"seq\":");
	p = tx_u64(p, ev->seq);
	if (ev->kind == MT_REC_LOST) {
		p = tx_str(p, ",\"count\":");
		p = tx_u64(p, ev->value);
	} else {
		p = cj_hexarg(p, ",\"addr\":", ev->phys);
		p = tx_str(p, ",\"width\":");
		p = tx_u64(p, ev->width);
		p = tx_str(p, ",\"map\":");
		p = tx_u64(p, ev->text_id);
	}
	if (ex_is_access(ev)) {
		p = tx_str(p, ",\"value\":\"");
		p = tx_value(p, ev);
		*p++ = '"';
	}
	p = cj_hexarg(p, ",\"pc\":", ev->pc);
	if (ev->cpu != MT_CPU_UNKNOWN) {
		p = tx_str(p, ",\"cpu\":");
		p = tx_u64(p, ev->cpu);
	}
	if (reg) {
		p = tx_str(p, ",\"reg\":\"");
		p = tx_json(p, reg, strlen(reg));
		*p++ = '"';
	}
	if (fn) {
		p = tx_str(p, ",\"func\":\"");
		p = tx_json(p, fn, strlen(fn));
		*p++ = '"';
	}
	if (ev->flags & MT_RF_KNOWN & ~MT_RF_DATA) {
		int n = mt_flags_format(ev->flags & MT_RF_KNOWN & ~MT_RF_DATA, fl, sizeof(fl));

		p = tx_str(p, ",\"flags\":\"");
		memcpy(p, fl, (size_t)n);
		p += n;
		*p++ = '"';
	}
	p = tx_str(p, "}}\n");
	if (ex_is_access(ev) && ev->width <= 8)
		p = cj_counter(x, p, ev, reg);
	return p;
}

static char *cj_map(struct mt_exporter *x, char *p, const struct mt_event *ev)
{
	uint16_t id = ev->kind == MT_REC_MAP ? ev->map.map_id : ev->map_id;
	const struct ex_map *m = ex_maps_get(&x->maps, id);
	char name[16 + 6 * sizeof(m->name)];

	p = cj_device(x, p, id);
	*tx_json(tx_str(name, ev->kind == MT_REC_MAP ? "MAP " : "UNMAP "), m ? m->name : "?",
		 m ? strlen(m->name) : 1) = 0;
	p = cj_head(x, p, name, "i", ev->ts, EX_DEV_PID + id, 0);
	p = tx_str(p, ",\"s\":\"p\",\"args\":{\"seq\":");
	p = tx_u64(p, ev->seq);
	if (m) {
		p = cj_hexarg(p, ",\"phys\":", m->info.phys);
		p = cj_hexarg(p, ",\"size\":", m->info.size);
	}
	p = cj_hexarg(p, ",\"pc\":", ev->kind == MT_REC_MAP ? ev->map.pc : ev->pc);
	return tx_str(p, "}}\n");
}

static int cj_event(struct mt_exporter *x, const struct mt_event *ev)
{
	char *p0 = (char *)xo_reserve(&x->out, 6 * MT_REC_VAR_MAX + 2048), *p = p0;

	switch (ev->kind) {
	case MT_REC_READ:
	case MT_REC_WRITE:
	case MT_REC_UNKNOWN:
	case MT_REC_LOST:
		p = cj_access(x, p, ev);
		break;
	case MT_REC_MAP:
	case MT_REC_UNMAP:
		p = cj_map(x, p, ev);
		break;
	case MT_REC_MARK:
		p = cj_sep(x, p);
		p = tx_str(p, "{\"name\":\"");
		p = tx_json(p, ev->text, ev->text_len);
		p = tx_str(p, "\",\"cat\":\"mark\",\"ph\":\"i\",\"s\":\"g\"");
		p = cj_ts(p, ev->ts);
		p = tx_str(p, ",\"pid\":0,\"tid\":0}\n");
		break;
	default: /* TEXT (mmiotrace header lines): not an event */
		break;
	}
	xo_commit(&x->out, (uint8_t *)p);
	return 0;
}

static int cj_end(struct mt_exporter *x)
{
	xo_puts(&x->out, "]}\n");
	return 0;
}

const struct ex_ops mt_export_chrome_ops = { cj_begin, cj_event, cj_end };
