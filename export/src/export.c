// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * export.c - the exporter object: picks the format's operations, keeps the
 * maps seen, hands every record to the format. The register-name and
 * PC-name hooks live here too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "export_int.h"

enum mt_export_format mt_export_format_parse(const char *name)
{
	if (!strcmp(name, "csv"))
		return MT_EXPORT_CSV;
	if (!strcmp(name, "chrome-json") || !strcmp(name, "json"))
		return MT_EXPORT_CHROME_JSON;
	if (!strcmp(name, "perfetto"))
		return MT_EXPORT_PERFETTO;
	return (enum mt_export_format)0;
}

void mt_export_set_names(struct mt_exporter *x, const struct mt_export_names *names)
{
	x->names = *names;
}

static const char *cut(char *buf, const char *s)
{
	size_t n;

	if (!s)
		return NULL;
	n = strnlen(s, EX_NAME_MAX);
	memcpy(buf, s, n);
	buf[n] = 0;
	return buf;
}

const char *ex_reg_name(struct mt_exporter *x, const struct mt_event *ev)
{
	const struct ex_map *m;

	if (!ex_is_access(ev) || !x->names.reg)
		return NULL;
	m = ex_maps_get(&x->maps, ev->map_id);
	return cut(x->reg, x->names.reg(x->names.ctx, ev->map_id, m ? &m->info : NULL,
					ev->offset, ev->width));
}

const char *ex_pc_name(struct mt_exporter *x, const struct mt_event *ev)
{
	if (!ev->pc || !x->names.pc)
		return NULL;
	return cut(x->fn, x->names.pc(x->names.ctx, ev->pid, ev->pc, ev->seq));
}

int mt_export_open(struct mt_exporter **xp, enum mt_export_format fmt, int fd)
{
	struct mt_exporter *x;
	int rc;

	*xp = NULL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	switch (fmt) {
	case MT_EXPORT_CSV: x->ops = &mt_export_csv_ops; break;
	case MT_EXPORT_CHROME_JSON: x->ops = &mt_export_chrome_ops; break;
	case MT_EXPORT_PERFETTO: x->ops = &mt_export_perfetto_ops; break;
	default:
		free(x);
		return -EINVAL;
	}
	x->fmt = fmt;
	x->out.fd = fd;
	x->out.buf = malloc(XO_SIZE + XO_MAX_ITEM);
	if (!x->out.buf) {
		free(x);
		return -ENOMEM;
	}
	rc = x->ops->begin(x);
	if (rc) {
		free(x->out.buf);
		free(x);
		return rc;
	}
	*xp = x;
	return 0;
}

int mt_export_event(struct mt_exporter *x, const struct mt_event *ev)
{
	int rc;

	if (x->out.err)
		return x->out.err;
	if (ev->kind == MT_REC_CTX || ev->kind == MT_REC_SYNC || ev->kind == MT_REC_DATA ||
	    ev->kind == MT_REC_PAD)
		return 0;
	if (ev->kind == MT_REC_MAP) {
		rc = ex_maps_add(&x->maps, &ev->map);
		if (rc)
			return rc;
		if (x->names.map)
			x->names.map(x->names.ctx, &ev->map);
	}
	if ((ev->kind == MT_REC_MARK || ev->kind == MT_REC_TEXT) && ev->text &&
	    ev->text_len > MT_REC_VAR_MAX) {
		/* A MARK line of a text trace may be longer than any binary
		 * record (up to the text reader's line limit); the exporters'
		 * room per event (XO_MAX_ITEM) assumes MT_REC_VAR_MAX bytes. */
		struct mt_event cut = *ev;

		cut.text_len = MT_REC_VAR_MAX;
		rc = x->ops->event(x, &cut);
	} else {
		rc = x->ops->event(x, ev);
	}
	return rc ? rc : x->out.err;
}

int mt_export_close(struct mt_exporter *x)
{
	int rc;

	if (!x)
		return -EINVAL;
	rc = x->out.err ? x->out.err : x->ops->end(x);
	if (!rc)
		rc = xo_flush(&x->out);
	ex_maps_free(&x->maps);
	ex_set_free(&x->tracks);
	free(x->out.buf);
	free(x);
	return rc;
}
