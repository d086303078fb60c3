// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fuzz_export.c - libFuzzer target for the exporters (export/): whatever
 * the reader returns from hostile bytes (binary or text) is exported as CSV,
 * Chrome JSON and Perfetto to /dev/null, with name callbacks returning
 * long, quote- and control-character-laden names, under ASan/UBSan.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmiotap/export.h"

static char nasty[200];

static const char *reg(void *ctx, uint16_t id, const struct mt_map_info *m, uint64_t off,
		       unsigned w)
{
	(void)ctx; (void)m; (void)w;
	return (id + off) & 1 ? nasty : NULL;
}

static const char *fn(void *ctx, uint32_t pid, uint64_t pc)
{
	(void)ctx; (void)pid;
	return pc & 1 ? nasty : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int null_fd = -1;
	struct mt_export_names names = { NULL, NULL, reg, fn };
	struct mt_reader_opts ro = { .sz = sizeof(ro), .sorted = 1 };
	int f;

	if (null_fd < 0) {
		null_fd = open("/dev/null", O_WRONLY);
		for (f = 0; f < (int)sizeof(nasty) - 1; f++)
			nasty[f] = "\"\\,\n\x01\xff" "ab"[f % 8];
	}
	for (f = MT_EXPORT_CSV; f <= MT_EXPORT_PERFETTO; f++) {
		struct mt_reader *r;
		struct mt_exporter *x;
		struct mt_event ev;

		if (mt_reader_open_mem(&r, data, size, &ro))
			return 0;
		if (mt_export_open(&x, (enum mt_export_format)f, null_fd))
			abort();
		mt_export_set_names(x, &names);
		while (mt_reader_next(r, &ev) > 0)
			if (mt_export_event(x, &ev))
				abort();
		if (mt_export_close(x))
			abort();
		mt_reader_close(r);
	}
	return 0;
}
