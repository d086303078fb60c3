// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * format_trace.c - binary writer/reader and text round trips.
 *
 * Builds a trace the way the runtime does (two producer buffers encoded
 * with mt_enc_event, appended out of order, SYNC barriers), with every
 * record kind, wide values, injected values, UNKNOWN bytes and losses;
 * checks that the reader returns every field in sequence order; that
 * binary -> text -> binary -> text is stable; and that every truncation and
 * many corruptions give an error with a byte offset and no crash.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmiotap/trace.h"

static int failures;
#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #c);                                \
			failures++;                                           \
		}                                                             \
	} while (0)

/* in-memory file through a pipe-less path: write to a temp file */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	if (fread(b, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(b);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

struct prod {
	struct mt_enc_stream st;
	uint8_t buf[8192];
	size_t used;
};

static void prod_event(struct prod *p, const struct mt_enc_event *e)
{
	int n = mt_enc_event(&p->st, p->buf + p->used, sizeof(p->buf) - p->used, e);

	CHECK(n > 0);
	if (n > 0)
		p->used += (size_t)n;
}

static void prod_flush(struct prod *p, struct mt_writer *w)
{
	CHECK(mt_writer_append(w, p->buf, p->used) == 0);
	p->used = 0;
	mt_enc_stream_reset(&p->st);
}

static uint8_t wide16[16], wide64[64], orig4[4] = { 0x83, 0x07, 0x08, 0x80 };
static const uint8_t insn[] = { 0x62, 0xf1, 0x7e, 0x48, 0x7f, 0x07 };

/* Writes the reference trace; returns number of events (excluding SYNC). */
static int make_trace(const char *path)
{
	struct mt_writer_opts wo = { .sz = sizeof(wo), .clock = MT_CLOCK_MONOTONIC,
				     .source = MT_SRC_PRELOAD, .pid = 4242 };
	struct mt_writer *w;
	struct prod a, b;
	struct mt_enc_event e;
	struct mt_enc_map m;
	uint8_t tmp[256];
	int n, i;
	const char *mk = "phase two";

	for (i = 0; i < 16; i++)
		wide16[i] = (uint8_t)(0xf0 + i);
	for (i = 0; i < 64; i++)
		wide64[i] = (uint8_t)i;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	CHECK(mt_writer_open_path(&w, path, &wo) == 0);

	/* seq 0: MAP (written directly, as the CLI does) */
	memset(&m, 0, sizeof(m));
	m.map_id = 1;
	m.text_id = 1;
	m.source = MT_MAPSRC_PCI;
	m.bar = 0;
	m.pci_bus = 0;
	m.pci_devfn = 3 << 3;
	m.pid = 4242;
	m.seq = 0;
	m.ts = 12000100000ull;
	m.phys = 0xfea00000;
	m.virt = 0x7f0000000000ull;
	m.size = 0x20000;
	m.pc = 0x401136;
	m.path = "/sys/bus/pci/devices/0000:00:03.0/resource0";
	m.path_len = (uint16_t)strlen(m.path);
	n = mt_enc_map(tmp, sizeof(tmp), &m);
	CHECK(n > 0 && n % 8 == 0);
	CHECK(mt_writer_append(w, tmp, (size_t)n) == 0);

	/* thread A: seq 1 (R, injected), 3 (W 16), 6 (UNKNOWN) */
	memset(&e, 0, sizeof(e));
	e.kind = MT_REC_READ; e.width = 4; e.map_id = 1; e.cpu = 1; e.pid = 4242; e.tid = 4243;
	e.offset = 8; e.seq = 1; e.ts = 12000200000ull; e.pc = 0x401150; e.value = 0xdeadbeef;
	e.flags = MT_RF_INJECTED; e.orig = orig4;
	prod_event(&a, &e);
	memset(&e, 0, sizeof(e));
	e.kind = MT_REC_WRITE; e.width = 16; e.map_id = 1; e.cpu = 1; e.pid = 4242; e.tid = 4243;
	e.offset = 0x10; e.seq = 3; e.ts = 12000300000ull; e.pc = 0x401160; e.wide = wide16;
	memcpy(&e.value, wide16, 8);
	prod_event(&a, &e);
	/* thread B: seq 2 (W 4 dropped, nested), 4 (LOST 1 -> seq 4), 5 (W 64) */
	memset(&e, 0, sizeof(e));
	e.kind = MT_REC_WRITE; e.width = 4; e.map_id = 1; e.cpu = 0; e.pid = 4242; e.tid = 4244;
	e.offset = 0xd8; e.seq = 2; e.ts = 12000250000ull; e.pc = 0x401170; e.value = 0xffffffff;
	e.flags = MT_RF_DROPPED | MT_RF_NESTED;
	prod_event(&b, &e);
	memset(&e, 0, sizeof(e));
	e.kind = MT_REC_LOST; e.cpu = 0; e.pid = 4242; e.tid = 4244; e.seq = 4;
	e.ts = 12000350000ull; e.value = 1;
	prod_event(&b, &e);
	memset(&e, 0, sizeof(e));
	e.kind = MT_REC_WRITE; e.width = 64; e.map_id = 1; e.cpu = 0; e.pid = 4242; e.tid = 4244;
	e.offset = 0x40; e.seq = 5; e.ts = 12000400000ull; e.pc = 0x401180; e.wide = wide64;
	e.flags = MT_RF_NT | MT_RF_HARDIRQ | MT_RF_SOFTIRQ;
	memcpy(&e.value, wide64, 8);
	prod_event(&b, &e);
	/* B flushed first, then A: file order differs from seq order */
	prod_flush(&b, w);
	memset(&e, 0, sizeof(e));
	e.kind = MT_REC_UNKNOWN; e.map_id = 1; e.cpu = 1; e.pid = 4242; e.tid = 4243;
	e.offset = 0x100; e.seq = 6; e.ts = 12000500000ull; e.pc = 0x401190;
	e.value = 0x62f17e; e.insn = insn; e.insn_len = sizeof(insn);
	prod_event(&a, &e);
	prod_flush(&a, w);
	CHECK(mt_writer_sync(w, 7, 12000500000ull) == 0);
	/* seq 7: MARK; seq 8: R from thread A again after 5 s (ts delta > u32 -> new CTX) */
	n = mt_enc_text(tmp, sizeof(tmp), MT_REC_MARK, 7, 12000600000ull, mk, strlen(mk));
	CHECK(n > 0);
	CHECK(mt_writer_append(w, tmp, (size_t)n) == 0);
	memset(&e, 0, sizeof(e));
	e.kind = MT_REC_READ; e.width = 8; e.map_id = 1; e.cpu = 1; e.pid = 4242; e.tid = 4243;
	e.offset = 0x5408; e.seq = 8; e.ts = 12000600000ull; e.pc = 0x4011a0;
	e.value = 0x80000000563412ull;
	prod_event(&a, &e);
	e.seq = 9; e.ts = 17500000000ull; e.value = 0x1;
	prod_event(&a, &e);
	memset(&e, 0, sizeof(e));
	e.kind = MT_REC_UNMAP; e.map_id = 1; e.cpu = 1; e.pid = 4242; e.tid = 4243;
	e.seq = 10; e.ts = 17500000001ull; e.pc = 0x4011b0;
	prod_event(&a, &e);
	prod_flush(&a, w);
	CHECK(mt_writer_close(w) == 0);
	return 11;
}

static void check_events(const char *path)
{
	struct mt_reader_opts ro = { .sz = sizeof(ro), .sorted = 1 };
	struct mt_reader *r;
	struct mt_event ev;
	uint8_t *buf;
	size_t len;
	int rc, i = 0;

	buf = slurp(path, &len);
	CHECK(buf != NULL);
	if (!buf)
		return;
	CHECK(mt_reader_open_mem(&r, buf, len, &ro) == 0);
	while ((rc = mt_reader_next(r, &ev)) > 0) {
		CHECK(ev.seq == (uint64_t)i || (i == 5 && ev.seq == 5));
		switch (ev.seq) {
		case 0:
			CHECK(ev.kind == MT_REC_MAP && ev.map.map_id == 1 && ev.map.phys == 0xfea00000);
			CHECK(ev.map.source == MT_MAPSRC_PCI && ev.map.pci_devfn == 0x18);
			CHECK(!strcmp(ev.map.path, "/sys/bus/pci/devices/0000:00:03.0/resource0"));
			break;
		case 1:
			CHECK(ev.kind == MT_REC_READ && ev.width == 4 && ev.phys == 0xfea00008);
			CHECK(ev.value == 0xdeadbeef && ev.pc == 0x401150 && ev.tid == 4243 && ev.cpu == 1);
			CHECK(ev.ts == 12000200000ull && (ev.flags & MT_RF_INJECTED));
			CHECK(ev.orig && ev.orig_len == 4 && !memcmp(ev.orig, orig4, 4));
			break;
		case 2:
			CHECK(ev.kind == MT_REC_WRITE && ev.tid == 4244 && ev.cpu == 0);
			CHECK(ev.flags == (MT_RF_DROPPED | MT_RF_NESTED) && ev.phys == 0xfea000d8);
			break;
		case 3:
			CHECK(ev.kind == MT_REC_WRITE && ev.width == 16 && ev.wide &&
			      !memcmp(ev.wide, wide16, 16));
			break;
		case 4:
			CHECK(ev.kind == MT_REC_LOST && ev.value == 1);
			break;
		case 5:
			CHECK(ev.kind == MT_REC_WRITE && ev.width == 64 && ev.wide &&
			      !memcmp(ev.wide, wide64, 64) &&
			      (ev.flags & ~MT_RF_DATA) == (MT_RF_NT | MT_RF_HARDIRQ | MT_RF_SOFTIRQ));
			break;
		case 6:
			CHECK(ev.kind == MT_REC_UNKNOWN && ev.insn_len == sizeof(insn) &&
			      !memcmp(ev.insn, insn, sizeof(insn)) && ev.value == 0x62f17e);
			break;
		case 7:
			CHECK(ev.kind == MT_REC_MARK && ev.text_len == 9 && !memcmp(ev.text, "phase two", 9));
			break;
		case 8:
			CHECK(ev.kind == MT_REC_READ && ev.width == 8 && ev.value == 0x80000000563412ull);
			break;
		case 9:
			CHECK(ev.ts == 17500000000ull && ev.value == 1);
			break;
		case 10:
			CHECK(ev.kind == MT_REC_UNMAP && ev.text_id == 1 && ev.pc == 0x4011b0);
			break;
		}
		i++;
	}
	CHECK(rc == 0);
	if (rc)
		fprintf(stderr, "reader: %s\n", mt_reader_errmsg(r));
	CHECK(i == 11);
	mt_reader_close(r);
	free(buf);
}

/* Format a whole input as text. */
static char *to_text(const void *in, size_t len, size_t *outlen, char *err, size_t errsz)
{
	struct mt_reader_opts ro = { .sz = sizeof(ro), .sorted = 1 };
	struct mt_reader *r;
	struct mt_text_state st;
	struct mt_event ev;
	char *out = NULL, *buf = malloc(MT_TEXT_MAX);
	size_t n = 0;
	int rc;

	if (mt_reader_open_mem(&r, in, len, &ro))
		return NULL;
	mt_text_state_init(&st);
	while ((rc = mt_reader_next(r, &ev)) > 0) {
		int k = mt_text_format(&st, &ev, buf, MT_TEXT_MAX);

		if (k < 0) {
			rc = k;
			break;
		}
		out = realloc(out, n + (size_t)k + 1);
		memcpy(out + n, buf, (size_t)k);
		n += (size_t)k;
	}
	snprintf(err, errsz, "%s", mt_reader_errmsg(r));
	mt_reader_close(r);
	free(buf);
	if (rc < 0) {
		free(out);
		return NULL;
	}
	if (!out)
		out = calloc(1, 1);
	out[n] = 0;
	*outlen = n;
	return out;
}

/* text -> binary file via the writer */
static int text_to_bin(const char *text, size_t len, const char *path)
{
	struct mt_reader_opts ro = { .sz = sizeof(ro), .sorted = 1 };
	struct mt_writer_opts wo = { .sz = sizeof(wo), .clock = MT_CLOCK_TEXT, .source = MT_SRC_TEXT };
	struct mt_reader *r;
	struct mt_writer *w;
	struct mt_event ev;
	int rc;

	if (mt_reader_open_mem(&r, text, len, &ro))
		return -1;
	if (mt_writer_open_path(&w, path, &wo))
		return -1;
	while ((rc = mt_reader_next(r, &ev)) > 0)
		if (mt_writer_event(w, &ev))
			return -2;
	mt_reader_close(r);
	if (mt_writer_close(w))
		return -3;
	return rc;
}

static void roundtrip(const char *bin, const char *bin2)
{
	uint8_t *b;
	size_t len, t1len, t2len, b2len;
	char *t1, *t2, err[400];
	uint8_t *b2;

	b = slurp(bin, &len);
	t1 = to_text(b, len, &t1len, err, sizeof(err));
	CHECK(t1 != NULL);
	if (!t1)
		return;
	/* the text carries what the kernel format cannot */
	CHECK(strstr(t1, "VERSION 20070824\nMAP 12.000100 1 0xfea00000 0x7f0000000000 0x20000 0x401136 4242\n"
			 "EXT src=pci pci=0000:00:03.0 bar=0 path=/sys/bus/pci/devices/0000:00:03.0/resource0\n") == t1);
	CHECK(strstr(t1, "CTX 4242 4243 1\nR 4 12.000200 1 0xfea00008 0xdeadbeef 0x401150 4242\n"
			 "EXT flags=injected orig=0x80080783\n"));
	CHECK(strstr(t1, "CTX 4242 4244 0\nW 4 12.000250 1 0xfea000d8 0xffffffff 0x401170 4242\n"
			 "EXT flags=dropped,nested\n"));
	CHECK(strstr(t1, "W 16 12.000300 1 0xfea00010 0xfffefdfcfbfaf9f8f7f6f5f4f3f2f1f0 0x401160 4242\n"));
	CHECK(strstr(t1, "LOST 12.000350 1\n"));
	CHECK(strstr(t1, " 0x401180 4242\nEXT flags=nt,hardirq,softirq\n"));
	CHECK(strstr(t1, "UNKNOWN 12.000500 1 0xfea00100 62,f1,7e 0x401190 4242\nEXT insn=62f17e487f07\n"));
	CHECK(strstr(t1, "MARK 12.000600 phase two\n"));
	CHECK(strstr(t1, "UNMAP 17.500000 1 0x4011b0 4242\n"));
	CHECK(text_to_bin(t1, t1len, bin2) == 0);
	b2 = slurp(bin2, &b2len);
	t2 = to_text(b2, b2len, &t2len, err, sizeof(err));
	CHECK(t2 && t2len == t1len && !memcmp(t1, t2, t1len));
	if (t2 && (t2len != t1len || memcmp(t1, t2, t1len)))
		fprintf(stderr, "--- t1\n%s--- t2\n%s", t1, t2);
	free(b);
	free(b2);
	free(t1);
	free(t2);
}

/* Every truncation and byte corruption: clean error with an offset, no crash. */
static void robustness(const char *bin)
{
	uint8_t *b, *c;
	size_t len, i, n_err = 0, n_trunc_err = 0;
	char err[400];
	size_t tl;
	char *t;

	b = slurp(bin, &len);
	c = malloc(len);
	for (i = 0; i < len; i++) {
		t = to_text(b, i, &tl, err, sizeof(err));
		if (!t) {
			n_trunc_err++;
			CHECK(strstr(err, "offset ") != NULL);
		}
		free(t);
	}
	/* a cut inside a record must be reported (only record boundaries may read clean) */
	CHECK(n_trunc_err >= len - len / 8 - 16);
	for (i = 0; i < len; i++) {
		unsigned v;

		for (v = 0; v < 3; v++) {
			static const uint8_t vals[] = { 0x00, 0xff, 0x41 };

			memcpy(c, b, len);
			c[i] = (uint8_t)(c[i] ^ vals[v]) == c[i] ? (uint8_t)~c[i] : (uint8_t)(c[i] ^ vals[v]);
			t = to_text(c, len, &tl, err, sizeof(err));
			if (!t) {
				n_err++;
				CHECK(strstr(err, "offset ") != NULL);
			}
			free(t);
		}
	}
	fprintf(stderr, "robustness: %zu truncations (%zu errors), %zu corruptions (%zu errors)\n",
		len, n_trunc_err, 3 * len, n_err);
	/* wrong endian / future version / bad magic */
	memcpy(c, b, len);
	c[8] = 0x01; c[9] = 0x02; c[10] = 0x03; c[11] = 0x04;
	t = to_text(c, len, &tl, err, sizeof(err));
	CHECK(!t && strstr(err, "offset 8:") && strstr(err, "big-endian"));
	free(t);
	memcpy(c, b, len);
	c[12] = 9; c[14] = 7; /* version 9, min_version 7 */
	t = to_text(c, len, &tl, err, sizeof(err));
	CHECK(!t && strstr(err, "offset 14:") && strstr(err, "version"));
	free(t);
	memcpy(c, b, len);
	c[12] = 9; /* newer writer, still readable by version 1 */
	t = to_text(c, len, &tl, err, sizeof(err));
	CHECK(t != NULL);
	free(t);
	free(b);
	free(c);
}

static void text_errors(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "R 4 1.000000 1 0xfea00000 0x1 0x0 0 extra\n", "line 1 (offset 35): unexpected text" },
		{ "VERSION 20070824\nW 4 1.00000 1 0x0 0x1 0x0 0\n", "line 2 (offset 28): bad timestamp" },
		{ "R 4 1.000000 1 0xFEA00000 0x1 0x0 0\n", "bad physical address" },
		{ "EXT flags=injected\n", "EXT line does not follow" },
		{ "R 4 1.000000 1 0x0 0x1 0x0 0\nEXT flags=bogus\n", "unknown flag name" },
		{ "MARK 1.000000 a\0b\n", "NUL byte" },
		{ "R 16 1.000000 1 0x0 0x1 0x0 0\n", "bad value" },
	};
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[400];
		size_t tl;
		size_t inlen = strlen(cases[i].in);
		char *t;

		if (i == 5)
			inlen = 18;
		t = to_text(cases[i].in, inlen, &tl, err, sizeof(err));
		CHECK(t == NULL);
		if (!strstr(err, cases[i].want)) {
			fprintf(stderr, "case %u: got '%s', want '%s'\n", i, err, cases[i].want);
			failures++;
		}
		free(t);
	}
}

/* A MAP of a watched object (source 3, phys = virt): the reader gives each
 * access its virtual address, text says src=watch and reads back. */
static void watch_map(const char *path)
{
	struct mt_writer_opts wo = { .sz = sizeof(wo), .clock = MT_CLOCK_MONOTONIC,
				     .source = MT_SRC_PRELOAD };
	struct mt_writer *w;
	struct mt_enc_map m;
	struct mt_enc_event e;
	struct mt_enc_stream st;
	uint8_t tmp[256];
	CHECK(mt_writer_open_path(&w, path, &wo) == 0);
	memset(&m, 0, sizeof(m));
	m.map_id = m.text_id = 7;
	m.source = MT_MAPSRC_WATCH;
	m.bar = 0xff;
	m.phys = m.virt = 0x555555558010ull;
	m.size = 8;
	m.path = "counter";
	m.path_len = 7;
	int n = mt_enc_map(tmp, sizeof(tmp), &m);
	CHECK(n > 0 && mt_writer_append(w, tmp, (size_t)n) == 0);
	memset(&e, 0, sizeof(e));
	e.kind = MT_REC_WRITE; e.width = 4; e.map_id = 7; e.pid = 1; e.tid = 1; e.seq = 1;
	e.offset = 4; e.value = 42; e.pc = 0x401000;
	mt_enc_stream_reset(&st);
	n = mt_enc_event(&st, tmp, sizeof(tmp), &e);
	CHECK(n > 0 && mt_writer_append(w, tmp, (size_t)n) == 0);
	CHECK(mt_writer_close(w) == 0);

	static uint8_t buf[1 << 16];
	FILE *f = fopen(path, "rb");
	size_t len = f ? fread(buf, 1, sizeof(buf), f) : 0;
	if (f)
		fclose(f);
	struct mt_reader_opts ro = { .sz = sizeof(ro) };
	struct mt_reader *r;
	struct mt_event ev;
	struct mt_text_state ts;
	static char text[4096];
	size_t tl = 0;
	int got_map = 0, got_w = 0;
	CHECK(mt_reader_open_mem(&r, buf, len, &ro) == 0);
	mt_text_state_init(&ts);
	while (mt_reader_next(r, &ev) > 0) {
		if (ev.kind == MT_REC_MAP)
			got_map = ev.map.source == MT_MAPSRC_WATCH;
		if (ev.kind == MT_REC_WRITE)
			got_w = ev.phys == 0x555555558014ull && ev.value == 42;
		int k = mt_text_format(&ts, &ev, text + tl, sizeof(text) - tl);
		CHECK(k >= 0);
		tl += k > 0 ? (size_t)k : 0;
	}
	mt_reader_close(r);
	CHECK(got_map && got_w);
	CHECK(strstr(text, "EXT src=watch path=counter\n") != NULL);
	CHECK(strstr(text, "W 4 ") && strstr(text, " 0x555555558014 0x2a "));
	/* the text reads back with the same source */
	got_map = 0;
	CHECK(mt_reader_open_mem(&r, text, tl, &ro) == 0);
	while (mt_reader_next(r, &ev) > 0)
		if (ev.kind == MT_REC_MAP)
			got_map = ev.map.source == MT_MAPSRC_WATCH;
	mt_reader_close(r);
	CHECK(got_map);
}

int main(void)
{
	char bin[] = "/tmp/mt_fmt_XXXXXX", bin2[64];
	int fd = mkstemp(bin);

	if (fd < 0)
		return 99;
	close(fd);
	snprintf(bin2, sizeof(bin2), "%s.2", bin);
	make_trace(bin);
	check_events(bin);
	roundtrip(bin, bin2);
	robustness(bin);
	text_errors();
	watch_map(bin);
	unlink(bin);
	unlink(bin2);
	if (failures) {
		printf("FAIL: %d checks failed\n", failures);
		return 1;
	}
	printf("PASS: format_trace\n");
	return 0;
}
