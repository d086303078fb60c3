// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * bench_diff_gen.c - writes a driver-like binary trace for bench_diff.sh:
 * `bench_diff_gen OUT N [CHANGES]`: N accesses to one PCI BAR in bursts
 * (descriptor writes, a doorbell, a status poll of 1-8 reads), the same
 * sequence for the same N; CHANGES > 0 changes that many values and drops
 * as many polls at evenly spaced places (the run "B" to diff against "A").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmiotap/trace.h"

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	struct mt_writer_opts wo = { .sz = sizeof(wo), .source = MT_SRC_PRELOAD,
				     .compat = MT_COMPAT_SORTED }; /* as `record` */
	struct mt_writer *w;
	struct mt_event ev;
	uint64_t n, changes, i, every, seq = 0;
	static const char path[] = "/sys/bus/pci/devices/0000:00:03.0/resource0";
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_diff_gen OUT N [CHANGES]\n");
		return 2;
	}
	n = strtoull(argv[2], NULL, 0);
	changes = argc > 3 ? strtoull(argv[3], NULL, 0) : 0;
	every = changes ? n / (changes + 1) : 0;
	if ((rc = mt_writer_open_path(&w, argv[1], &wo))) {
		fprintf(stderr, "%s: %s\n", argv[1], mt_writer_strerror(rc));
		return 1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = MT_REC_MAP;
	ev.map.map_id = 1;
	ev.map.text_id = 1;
	ev.map.source = MT_MAPSRC_PCI;
	ev.map.bar = 0;
	ev.map.pci_bus = 0;
	ev.map.pci_devfn = 3 << 3;
	ev.map.phys = 0xfebc0000;
	ev.map.virt = 0x7f0000000000;
	ev.map.size = 0x20000;
	ev.map.path = path;
	ev.map.path_len = sizeof(path) - 1;
	ev.pid = ev.tid = ev.map.pid = 100;
	if (mt_writer_event(w, &ev))
		return 1;
	for (i = 0; i < n; seq++) {
		uint64_t r = next(), k, polls = 1 + (r & 7);
		int changed = every && i / every != (i + 8) / every && i / every <= changes;

		/* a SYNC per round of bursts, as the recorder's writer thread */
		if (!(seq & 4095) && mt_writer_sync(w, seq, seq * 100))
			return 1;
		memset(&ev, 0, sizeof(ev));
		ev.map_id = 1;
		ev.pid = ev.tid = 100;
		ev.width = 4;
		ev.pc = 0x401000 + (r >> 8 & 0xff);
		/* descriptor + doorbell writes */
		for (k = 0; k < 3 && i < n; k++, i++) {
			ev.kind = MT_REC_WRITE;
			ev.offset = 0x3800 + 4 * k;
			ev.value = (r >> (8 * k)) & 0xffff;
			if (changed && k == 2)
				ev.value ^= 1;
			ev.seq = seq++;
			ev.ts = seq * 100;
			if (mt_writer_event(w, &ev))
				return 1;
		}
		/* status poll: polls-1 reads of 0, then 1 (one read fewer if changed) */
		for (k = changed; k < polls && i < n; k++, i++) {
			ev.kind = MT_REC_READ;
			ev.offset = 0x8;
			ev.value = k + 1 == polls;
			ev.seq = seq++;
			ev.ts = seq * 100;
			if (mt_writer_event(w, &ev))
				return 1;
		}
	}
	return mt_writer_close(w) ? 1 : 0;
}
