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
 * Names the exporters show when they are known, NULL when not. The register
 * database (issue 13's regdb) and the PC symbolizer plug in here; until they
 * are merged both return NULL and the exporters print addresses.
 */
const char *mt_export_reg_name(const struct mt_map_info *map, uint64_t offset,
			       unsigned width);
const char *mt_export_pc_name(uint32_t pid, uint64_t pc);

#ifdef __cplusplus
}
#endif
#endif /* MMIOTAP_EXPORT_H */
