// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * bench_decode_gen.c - writes the trace bench_decode.sh decodes: one e1000
 * BAR0 MAP and N accesses (default 10M) cycling through the register
 * offsets the e1000 driver touches while loading (tests/regdb/traces), two
 * CPUs, a SYNC every 64K records, as `mmiotap kernel record` would.
 * Usage: bench_decode_gen OUT [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmiotap/trace.h"

static const uint32_t offs[] = {
	0x0, 0x8, 0x10, 0x20, 0x28, 0x2c, 0x30, 0x38, 0xc0, 0xc4, 0xc8, 0xd0, 0xd8, 0x100,
	0x170, 0x400, 0x410, 0x458, 0xe00, 0x1000, 0x2160, 0x2168, 0x2800, 0x2804, 0x2808,
	0x2810, 0x2818, 0x2820, 0x282c, 0x3800, 0x3804, 0x3808, 0x3810, 0x3818, 0x3820, 0x3828,
	0x382c, 0x4000, 0x4010, 0x4074, 0x40d0, 0x5000, 0x5200, 0x5280, 0x5400, 0x5404, 0x5408,
	0x5600, 0x5700, 0x5800, 0x5820, 0x6000, 0x8000,
};

int main(int argc, char **argv)
{
	uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 0) : 10000000, i;
	struct mt_writer_opts wo = { .sz = sizeof(wo), .source = MT_SRC_KERNEL,
				     .clock = MT_CLOCK_KERNEL };
	struct mt_writer *w;
	struct mt_event ev;
	int rc;

	if (argc < 2 || mt_writer_open_path(&w, argv[1], &wo)) {
		fprintf(stderr, "usage: bench_decode_gen OUT [N]\n");
		return 2;
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = MT_REC_MAP;
	ev.map.map_id = ev.map_id = 1;
	ev.map.text_id = 1;
	ev.map.source = MT_MAPSRC_PCI;
	ev.map.bar = 0;
	ev.map.pci_devfn = 4 << 3;
	ev.map.phys = 0xfeb40000;
	ev.map.virt = 0xffffc90000400000ull;
	ev.map.size = 0x20000;
	ev.map.path = "";
	ev.map.has_pci_ids = 1;
	ev.map.pci_ids.vendor = 0x8086;
	ev.map.pci_ids.device = 0x100e;
	ev.ts = 1000000000;
	rc = mt_writer_event(w, &ev);
	for (i = 0; i < n && !rc; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = (i % 3) ? MT_REC_READ : MT_REC_WRITE;
		ev.width = 4;
		ev.map_id = 1;
		ev.cpu = (uint16_t)(i >> 12 & 1);
		ev.pid = 150;
		ev.tid = MT_TID_UNKNOWN;
		ev.seq = i + 1;
		ev.ts = 1000000000ull + i * 700;
		ev.offset = offs[(i * 7) % (sizeof(offs) / sizeof(offs[0]))];
		ev.pc = 0xffffffffc0440000ull + (i & 63) * 16;
		ev.value = (i * 0x9e3779b1u) & (i & 1 ? 0xffffffffu : 0xffu);
		rc = mt_writer_event(w, &ev);
		if (!rc && (i & 0xffff) == 0xffff)
			rc = mt_writer_sync(w, i + 2, ev.ts);
	}
	if (rc || (rc = mt_writer_close(w))) {
		fprintf(stderr, "bench_decode_gen: write failed (%d)\n", rc);
		return 1;
	}
	return 0;
}
