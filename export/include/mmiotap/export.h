/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * export.h - convert a decoded trace (struct mt_event, from the reader in
 * mmiotap/trace.h) into formats other tools read: CSV, Chrome JSON (Trace
 * Event Format) and Perfetto protobuf. Streaming: one record in, bytes out;
 * the memory held is bounded (the maps seen, and the tracks described so
 * far, capped) whatever the trace's length.
 *
 *     mt_export_open(&x, MT_EXPORT_PERFETTO, fd);
 *     while (mt_reader_next(r, &ev) > 0) mt_export_event(x, &ev);
 *     err = mt_export_close(x);
 *
 * Functions return 0 or a negative errno (a write error is kept and returned
 * by every later call and by close).
 */
#ifndef MMIOTAP_EXPORT_H
#define MMIOTAP_EXPORT_H

#include <stdint.h>
#include "mmiotap/trace.h"

#ifdef __cplusplus
extern "C" {
#endif

enum mt_export_format {
	MT_EXPORT_CSV = 1,
	MT_EXPORT_CHROME_JSON,
	MT_EXPORT_PERFETTO,
};

struct mt_exporter;

/* Writes to fd (not closed by mt_export_close). */
int mt_export_open(struct mt_exporter **x, enum mt_export_format fmt, int fd);
int mt_export_event(struct mt_exporter *x, const struct mt_event *ev);
/* Ends the output (closing brackets...), flushes and frees. */
int mt_export_close(struct mt_exporter *x);
/* Format from its name ("csv", "chrome-json", "perfetto"); 0 if unknown. */
enum mt_export_format mt_export_format_parse(const char *name);

/*
 * Names the exporters show when they are known: a register database (e.g.
 * `--db`) and a PC symbolizer plug in here. Every callback may be NULL and
 * may return NULL (then addresses are shown); a string returned must stay
 * valid until the next call of the same callback and is cut to 64 bytes.
 *   map: called for each MAP record before any access that uses it;
 *   reg: the register at offset (width bytes) of the map with id map_id
 *        (info: that MAP, NULL if the trace had none);
 *   pc:  the function at pc in process pid (kernel records: pid of the
 *        task, pc a kernel address).
 * Without mt_export_set_names the reg and func fields stay empty (the CLI
 * names registers through regdb's regbind and PCs through sym/'s pcname).
 */
struct mt_export_names {
	void *ctx;
	void (*map)(void *ctx, const struct mt_map_info *info);
	const char *(*reg)(void *ctx, uint16_t map_id, const struct mt_map_info *info,
			   uint64_t offset, unsigned width);
	const char *(*pc)(void *ctx, uint32_t pid, uint64_t pc, uint64_t seq);
};
void mt_export_set_names(struct mt_exporter *x, const struct mt_export_names *names);

#ifdef __cplusplus
}
#endif
#endif /* MMIOTAP_EXPORT_H */
