// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * gen_trace.c - write a synthetic trace of N accesses with every kind the
 * exporters handle, for tests/export/ and bench/: two maps (a PCI BAR seen
 * from the kernel, a file mapping with a comma in its path), user-space
 * records (pid 100, threads 100 and 101, CPUs 0-1) and kernel-style records
 * (thread unknown, CPUs 0-3), 16 registers per map, 16-byte writes, LOCKed
 * read-modify-writes, LOST and UNKNOWN records, MARKs with quotes and
 * commas, a SYNC every 4096 records (the file says it is in order).
 *
 *     gen_trace N OUT [TS0 [STEP]]   (time stamps TS0 + k * STEP ns; 1e9, 50)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmiotap/trace.h"

static struct mt_writer *w;
static uint64_t seq, ts = 1000000000ull, step = 50;

static void put(const struct mt_event *ev)
{
	int rc = mt_writer_event(w, ev);

	if (rc) {
		fprintf(stderr, "gen_trace: %s\n", strerror(-rc));
		exit(1);
	}
}

static void map(uint16_t id, uint8_t source, uint64_t phys, const char *path, uint32_t pid)
{
	struct mt_event ev = { .kind = MT_REC_MAP, .seq = seq++, .ts = ts };

	ev.map.map_id = id;
	ev.map.text_id = id;
	ev.map.source = source;
	ev.map.bar = source == MT_MAPSRC_PCI ? 0 : 0xff;
	ev.map.pci_bus = 0;
	ev.map.pci_devfn = 3 << 3;
	ev.map.pid = pid;
	ev.map.seq = ev.seq;
	ev.map.ts = ts;
	ev.map.phys = phys;
	ev.map.virt = 0xffffc90000000000ull + phys;
	ev.map.size = 0x1000;
	ev.map.pc = 0xffffffff81000000ull + id;
	ev.map.path = path ? path : "";
	ev.map.path_len = path ? (uint16_t)strlen(path) : 0;
	put(&ev);
}

static void mark(const char *text)
{
	struct mt_event ev = { .kind = MT_REC_MARK, .seq = seq++, .ts = ts };

	ev.text = text;
	ev.text_len = strlen(text);
	put(&ev);
}

static void access(uint64_t i, uint64_t *rnd)
{
	static const uint8_t insn[4] = { 0x0f, 0x0d, 0x08, 0x90 };
	static uint8_t wide[16];
	struct mt_event ev = { .seq = seq++, .ts = ts += step };
	int kernel = (i / 7) % 3 == 0;
	unsigned k;

	*rnd = *rnd * 6364136223846793005ull + 1442695040888963407ull;
	ev.kind = (*rnd >> 40) & 1 ? MT_REC_WRITE : MT_REC_READ;
	ev.width = 4;
	ev.map_id = kernel ? 1 : 2;
	ev.offset = ((*rnd >> 20) & 15) * 4;
	ev.value = *rnd >> 8;
	ev.value &= 0xffffffffu;
	ev.pc = (kernel ? 0xffffffffa0001000ull : 0x401000ull) + (i & 0xff);
	ev.pid = kernel ? 5 : 100;
	ev.tid = kernel ? MT_TID_UNKNOWN : 100 + (uint32_t)(i & 1);
	ev.cpu = kernel ? (uint16_t)(i % 4) : (uint16_t)(i % 2);
	if (i % 500 == 499) {
		for (k = 0; k < 16; k++)
			wide[k] = (uint8_t)(i + k);
		ev.kind = MT_REC_WRITE;
		ev.width = 16;
		ev.offset = 0x40;
		ev.wide = wide;
		memcpy(&ev.value, wide, 8);
	} else if (i % 300 == 299) {
		ev.flags = MT_RF_LOCKED | MT_RF_RMW;
	} else if (i % 1000 == 777) {
		ev.kind = MT_REC_UNKNOWN;
		ev.width = 0;
		ev.insn = insn;
		ev.insn_len = sizeof(insn);
		ev.value = 0x0f0d08;
	} else if (i % 1000 == 998) {
		ev.kind = MT_REC_LOST;
		ev.width = 0;
		ev.value = 5;
		ev.offset = 0;
	}
	put(&ev);
}

int main(int argc, char **argv)
{
	struct mt_writer_opts wo = { .sz = sizeof(wo), .clock = MT_CLOCK_MONOTONIC,
				     .source = MT_SRC_UNKNOWN, .compat = MT_COMPAT_SORTED };
	uint64_t n, i, rnd = 42;
	struct mt_event ev;
	int rc;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: gen_trace N OUT [TS0 [STEP]]\n");
		return 2;
	}
	n = strtoull(argv[1], NULL, 0);
	if (argc > 3)
		ts = strtoull(argv[3], NULL, 0);
	if (argc > 4)
		step = strtoull(argv[4], NULL, 0);
	rc = mt_writer_open_path(&w, argv[2], &wo);
	if (rc) {
		fprintf(stderr, "gen_trace: %s: %s\n", argv[2], mt_writer_strerror(rc));
		return 1;
	}
	map(1, MT_MAPSRC_PCI, 0xfea00000ull, NULL, 5);
	map(2, MT_MAPSRC_FILE, 0xfe000000ull, "/dev/mem,\"x\"", 100);
	mark("start: \"quoted\", comma");
	for (i = 0; i < n; i++) {
		access(i, &rnd);
		if (i % 10000 == 5000)
			mark("step \\ backslash");
		if (i % 4096 == 4095 && mt_writer_sync(w, seq, ts))
			return 1;
	}
	memset(&ev, 0, sizeof(ev));
	for (i = 1; i <= 2; i++) {
		ev.kind = MT_REC_UNMAP;
		ev.seq = seq++;
		ev.ts = ts += step;
		ev.map_id = (uint16_t)i;
		ev.pid = i == 1 ? 5 : 100;
		ev.tid = i == 1 ? MT_TID_UNKNOWN : 100;
		ev.cpu = 0;
		put(&ev);
	}
	rc = mt_writer_close(w);
	if (rc) {
		fprintf(stderr, "gen_trace: %s: %s\n", argv[2], strerror(-rc));
		return 1;
	}
	return 0;
}
