// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * csv.c - CSV export (RFC 4180): a header row, then one row per record.
 *
 *   kind     R, W, UNKNOWN, UNMAP, LOST, MAP, MARK, TEXT
 *   seq      sequence number (the total order of the recording)
 *   ts_ns    time stamp, ns, on the trace's clock
 *   cpu, pid, tid   empty when unknown
 *   width    bytes accessed
 *   addr     physical address (the MAP's phys + offset); MAP: the map's phys
 *   value    hex, all bytes of wide values; LOST: records lost; MAP: size
 *   pc       instruction pointer, hex; MAP: the mapping's caller
 *   map_id   the map's id as dump prints it; offset: hex, within the map
 *   flags    flag names joined by '|'
 *   reg, func  register and function names when known
 *   text     MARK/TEXT text; MAP: path or PCI device; UNKNOWN: insn bytes
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "export_int.h"

static const char csv_header[] =
	"kind,seq,ts_ns,cpu,pid,tid,width,addr,value,pc,map_id,offset,flags,reg,func,text\n";

static int csv_begin(struct mt_exporter *x)
{
	xo_puts(&x->out, csv_header);
	return 0;
}

/* A field that may hold commas, quotes or newlines: always quoted. */
static char *csv_quoted(char *p, const char *s, size_t len)
{
	size_t i;

	*p++ = '"';
	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			*p++ = '"';
		*p++ = s[i];
	}
	*p++ = '"';
	return p;
}

static char *csv_flags(char *p, unsigned flags)
{
	char fl[200];
	int n, i;

	flags &= MT_RF_KNOWN & ~MT_RF_DATA;
	if (!flags)
		return p;
	n = mt_flags_format(flags, fl, sizeof(fl));
	for (i = 0; i < n; i++)
		*p++ = fl[i] == ',' ? '|' : fl[i];
	return p;
}

static char *csv_who(char *p, const struct mt_event *ev)
{
	if (ev->cpu != MT_CPU_UNKNOWN)
		p = tx_u64(p, ev->cpu);
	*p++ = ',';
	p = tx_u64(p, ev->pid);
	*p++ = ',';
	if (ev->tid != MT_TID_UNKNOWN)
		p = tx_u64(p, ev->tid);
	*p++ = ',';
	return p;
}

static char *csv_names(struct mt_exporter *x, char *p, const struct mt_event *ev)
{
	const char *reg = ex_reg_name(x, ev);
	const char *fn = ex_pc_name(x, ev);

	if (reg)
		p = csv_quoted(p, reg, strlen(reg));
	*p++ = ',';
	if (fn)
		p = csv_quoted(p, fn, strlen(fn));
	*p++ = ',';
	return p;
}

static char *csv_map(char *p, const struct mt_event *ev)
{
	const struct mt_map_info *m = &ev->map;
	char bdf[64];
	int n;

	p = tx_u64(p, m->pid);
	p = tx_str(p, ",,,");
	p = tx_hex(p, m->phys);
	*p++ = ',';
	p = tx_hex(p, m->size);
	*p++ = ',';
	p = tx_hex(p, m->pc);
	*p++ = ',';
	p = tx_u64(p, m->text_id);
	p = tx_str(p, ",,,,,");
	if (m->path_len)
		return csv_quoted(p, m->path, m->path_len);
	if (m->source != MT_MAPSRC_PCI)
		return p;
	n = snprintf(bdf, sizeof(bdf), "pci %04x:%02x:%02x.%x", m->pci_domain, m->pci_bus,
		     m->pci_devfn >> 3, m->pci_devfn & 7);
	if (m->bar != 0xff)
		n += snprintf(bdf + n, sizeof(bdf) - (size_t)n, " bar %u", m->bar);
	return csv_quoted(p, bdf, (size_t)n);
}

/* UNKNOWN: its instruction bytes, or the kernel's 3 opcode bytes. */
static char *csv_insn(char *p, const struct mt_event *ev)
{
	unsigned i, n = ev->insn ? ev->insn_len : 3;

	for (i = 0; i < n; i++) {
		uint8_t b = ev->insn ? ev->insn[i] : (uint8_t)(ev->value >> (16 - 8 * i));

		*p++ = "0123456789abcdef"[b >> 4];
		*p++ = "0123456789abcdef"[b & 15];
	}
	return p;
}

static int csv_event(struct mt_exporter *x, const struct mt_event *ev)
{
	char *p = (char *)xo_reserve(&x->out, 3 * MT_REC_VAR_MAX + 1024);

	p = tx_str(p, mt_kind_name(ev->kind));
	*p++ = ',';
	p = tx_u64(p, ev->seq);
	*p++ = ',';
	p = tx_u64(p, ev->ts);
	*p++ = ',';
	switch (ev->kind) {
	case MT_REC_MAP:
		p = tx_str(p, ",");
		p = csv_map(p, ev);
		break;
	case MT_REC_MARK:
	case MT_REC_TEXT:
		p = tx_str(p, ",,,,,,,,,,,,");
		p = csv_quoted(p, ev->text, ev->text_len);
		break;
	default:
		p = csv_who(p, ev);
		if (ev->kind != MT_REC_LOST) {
			p = tx_u64(p, ev->width);
			*p++ = ',';
			p = tx_hex(p, ev->phys);
		} else {
			*p++ = ',';
		}
		*p++ = ',';
		p = ev->kind == MT_REC_UNMAP ? p : tx_value(p, ev);
		*p++ = ',';
		p = tx_hex(p, ev->pc);
		*p++ = ',';
		if (ev->kind != MT_REC_LOST) {
			p = tx_u64(p, ev->text_id);
			*p++ = ',';
			p = tx_hex(p, ev->offset);
		} else {
			*p++ = ',';
		}
		*p++ = ',';
		p = csv_flags(p, ev->flags);
		*p++ = ',';
		p = csv_names(x, p, ev);
		if (ev->kind == MT_REC_UNKNOWN)
			p = csv_insn(p, ev);
	}
	*p++ = '\n';
	xo_commit(&x->out, (uint8_t *)p);
	return 0;
}

static int csv_end(struct mt_exporter *x)
{
	return 0;
}

const struct ex_ops mt_export_csv_ops = { csv_begin, csv_event, csv_end };
