// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * export_names.c - the names hooks of the exporters (mmiotap/export.h):
 * a register name and a function name given by the caller appear where
 * each format puts them (CSV reg/func columns; Chrome event name, args and
 * counter; Perfetto event name, annotations and counter track), cut to 64
 * bytes; the map callback sees each MAP before its accesses; without hooks
 * the fields stay empty.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mmiotap/export.h"

static int fails, maps_seen;
static char long_name[101];

#define CHECK(c, ...) do { if (!(c)) { printf("FAIL: " __VA_ARGS__); printf("\n"); fails++; } } while (0)

static void on_map(void *ctx, const struct mt_map_info *m)
{
	(void)ctx;
	if (m->map_id == 7 && m->phys == 0xfea00000)
		maps_seen++;
}

static const char *reg(void *ctx, uint16_t map_id, const struct mt_map_info *m, uint64_t off,
		       unsigned width)
{
	(void)ctx;
	if (map_id != 7 || !m || width != 4 || !maps_seen)
		return NULL;
	return off == 4 ? "CTRL" : off == 8 ? long_name : NULL;
}

static const char *fn(void *ctx, uint32_t pid, uint64_t pc, uint64_t seq)
{
	(void)ctx;
	(void)seq;
	return pid == 42 && pc == 0x401000 ? "drv_probe" : NULL;
}

/* Export MAP + W 0x4 + W 0x8 + R 0xc in fmt; returns the bytes (malloc'd). */
static char *run(enum mt_export_format fmt, int hooks, size_t *len)
{
	struct mt_export_names names = { NULL, on_map, reg, fn };
	struct mt_event ev;
	struct mt_exporter *x;
	int fd = memfd_create("export", 0);
	uint64_t off[3] = { 4, 8, 12 };
	char *buf;
	int i;

	if (fd < 0 || mt_export_open(&x, fmt, fd))
		exit(99);
	if (hooks)
		mt_export_set_names(x, &names);
	memset(&ev, 0, sizeof(ev));
	ev.kind = MT_REC_MAP;
	ev.map.map_id = ev.map.text_id = 7;
	ev.map.phys = 0xfea00000;
	ev.map.size = 0x1000;
	ev.map.bar = 0xff;
	ev.map.path = "";
	mt_export_event(x, &ev);
	for (i = 0; i < 3; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = i == 2 ? MT_REC_READ : MT_REC_WRITE;
		ev.width = 4;
		ev.map_id = ev.text_id = 7;
		ev.offset = off[i];
		ev.phys = 0xfea00000 + off[i];
		ev.pid = ev.tid = 42;
		ev.cpu = 1;
		ev.seq = (uint64_t)i + 1;
		ev.ts = 1000 + (uint64_t)i;
		ev.pc = 0x401000;
		ev.value = 0x11;
		mt_export_event(x, &ev);
	}
	if (mt_export_close(x))
		exit(99);
	*len = (size_t)lseek(fd, 0, SEEK_END);
	buf = calloc(1, *len + 1);
	if (!buf || pread(fd, buf, *len, 0) != (ssize_t)*len)
		exit(99);
	close(fd);
	return buf;
}

static int has(const char *buf, size_t len, const char *s)
{
	return memmem(buf, len, s, strlen(s)) != NULL;
}

int main(void)
{
	static const char *const want[3][4] = {
		{ ",\"CTRL\",\"drv_probe\",", NULL },
		{ "\"name\":\"W CTRL\"", "\"reg\":\"CTRL\",\"func\":\"drv_probe\"",
		  "{\"name\":\"CTRL\",\"cat\":\"mmio\",\"ph\":\"C\"", NULL },
		{ "W CTRL", "CTRL 32-bit", "drv_probe", NULL },
	};
	static const enum mt_export_format fmts[3] = { MT_EXPORT_CSV, MT_EXPORT_CHROME_JSON,
						       MT_EXPORT_PERFETTO };
	char cut[66];
	size_t len;
	int f, i;

	memset(long_name, 'L', 100);
	memset(cut, 'L', 65);
	cut[65] = 0;
	for (f = 0; f < 3; f++) {
		char *out = run(fmts[f], 1, &len);

		for (i = 0; want[f][i]; i++)
			CHECK(has(out, len, want[f][i]), "format %d: no '%s'", f, want[f][i]);
		CHECK(has(out, len, cut + 1) && !has(out, len, cut),
		      "format %d: long register name not cut to 64 bytes", f);
		free(out);
		out = run(fmts[f], 0, &len);
		CHECK(!has(out, len, "CTRL") && !has(out, len, "drv_probe"),
		      "format %d: names without hooks", f);
		free(out);
	}
	CHECK(maps_seen == 3, "map callback called %d times for 3 exports with hooks", maps_seen);
	if (!fails)
		printf("PASS: export names hooks (csv, chrome-json, perfetto; cut to 64 bytes; none without hooks)\n");
	return fails ? 1 : 0;
}
