// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * format_meta.c - the records of issue 13: PCI ids (DATA 4) after a MAP,
 * OBJECT and KSYM. Written with the writer, read back with and without the
 * reader's meta option, through text and back (pciid=), and malformed
 * ones refused with a byte offset.
 */
#include <errno.h>
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

static const struct mt_pci_ids e1000 = { 0x8086, 0x100e, 0x1af4, 0x1100, 0x03, 0x00, 0x00, 0x02 };
static const uint8_t bid[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 };
static const struct mt_obj_range ranges[2] = { { 0x401000, 0x402000, 0x1000 },
					       { 0x7f0000001000, 0x7f0000003000, 0x1000 } };

/* MAP with ids, OBJECT, KSYM, a READ; into a memory buffer (a temp file). */
static uint8_t *make(size_t *len)
{
	char path[] = "/tmp/mt-meta-XXXXXX";
	int fd = mkstemp(path);
	struct mt_writer_opts wo = { .sz = sizeof(wo) };
	struct mt_writer *w;
	struct mt_event ev;
	uint8_t rec[512];
	struct mt_object_info oi = { .pid = 42, .ts = 5, .seq = 1, .bias = 0x7f0000000000, .nranges = 2,
				     .build_id = bid, .build_id_len = 20, .path = "/lib/libx.so",
				     .path_len = 12 };
	struct mt_ksym_info ki = { .addr = 0xffffffffc0001000, .size = 0x80, .type = 't',
				   .name = "e1000_probe", .name_len = 11, .module = "e1000",
				   .module_len = 5 };
	uint8_t *buf;
	int n;

	CHECK(fd >= 0 && !mt_writer_open_fd(&w, fd, &wo));
	memset(&ev, 0, sizeof(ev));
	ev.kind = MT_REC_MAP;
	ev.map.map_id = ev.map.text_id = 1;
	ev.map.source = MT_MAPSRC_PCI;
	ev.map.pci_bus = 0;
	ev.map.pci_devfn = 3 << 3;
	ev.map.phys = 0xfeb00000;
	ev.map.size = 0x20000;
	ev.map.path = "";
	ev.map.has_pci_ids = 1;
	ev.map.pci_ids = e1000;
	CHECK(!mt_writer_event(w, &ev));
	n = mt_object_encode(rec, sizeof(rec), &oi, ranges);
	CHECK(n > 0 && n % 8 == 0);
	memset(&ev, 0, sizeof(ev));
	ev.kind = MT_REC_OBJECT;
	ev.text = (const char *)rec;
	ev.text_len = (size_t)n;
	CHECK(!mt_writer_event(w, &ev));
	n = mt_ksym_encode(rec, sizeof(rec), &ki);
	CHECK(n > 0 && n % 8 == 0);
	ev.kind = MT_REC_KSYM;
	ev.text_len = (size_t)n;
	CHECK(!mt_writer_event(w, &ev));
	ev.text_len = 7; /* not a record: refused */
	CHECK(mt_writer_event(w, &ev) == -EINVAL);
	memset(&ev, 0, sizeof(ev));
	ev.kind = MT_REC_READ;
	ev.width = 4;
	ev.seq = 1;
	ev.map_id = 1;
	ev.offset = 8;
	ev.pc = 0x401010;
	ev.pid = 42;
	ev.value = 0x80080783;
	CHECK(!mt_writer_event(w, &ev));
	CHECK(!mt_writer_close(w));
	FILE *f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(*len);
	CHECK(fread(buf, 1, *len, f) == *len);
	fclose(f);
	close(fd);
	unlink(path);
	return buf;
}

static void read_back(const uint8_t *b, size_t len, int meta)
{
	struct mt_reader_opts ro = { .sz = sizeof(ro), .meta = meta };
	struct mt_reader *r;
	struct mt_event ev;
	int kinds = 0, rc;

	CHECK(!mt_reader_open_mem(&r, b, len, &ro));
	while ((rc = mt_reader_next(r, &ev)) > 0) {
		if (ev.kind == MT_REC_MAP) {
			kinds |= 1;
			CHECK(ev.map.has_pci_ids && !memcmp(&ev.map.pci_ids, &e1000, sizeof(e1000)));
		} else if (ev.kind == MT_REC_OBJECT) {
			struct mt_object_info o;
			struct mt_obj_range rr;

			kinds |= 2;
			CHECK(!mt_object_parse(ev.text, ev.text_len, &o));
			CHECK(o.pid == 42 && o.bias == 0x7f0000000000 && o.nranges == 2 && o.seq == 1);
			CHECK(o.build_id_len == 20 && !memcmp(o.build_id, bid, 20));
			CHECK(o.path_len == 12 && !memcmp(o.path, "/lib/libx.so", 12));
			mt_object_range(&o, 1, &rr);
			CHECK(rr.start == ranges[1].start && rr.end == ranges[1].end &&
			      rr.file_offset == 0x1000);
		} else if (ev.kind == MT_REC_KSYM) {
			struct mt_ksym_info k;

			kinds |= 4;
			CHECK(!mt_ksym_parse(ev.text, ev.text_len, &k));
			CHECK(k.addr == 0xffffffffc0001000 && k.size == 0x80 && k.type == 't');
			CHECK(k.name_len == 11 && !memcmp(k.name, "e1000_probe", 11));
			CHECK(k.module_len == 5 && !memcmp(k.module, "e1000", 5));
		} else if (ev.kind == MT_REC_READ) {
			kinds |= 8;
			CHECK(ev.phys == 0xfeb00008);
		}
	}
	CHECK(rc == 0);
	CHECK(kinds == (meta ? 15 : 9));
	mt_reader_close(r);
}

/* MAP text: pciid= printed and read back. */
static void text_roundtrip(const uint8_t *b, size_t len)
{
	struct mt_reader_opts ro = { .sz = sizeof(ro) };
	struct mt_reader *r;
	struct mt_text_state st;
	struct mt_event ev;
	char *out = malloc(MT_TEXT_MAX);
	int k;

	CHECK(!mt_reader_open_mem(&r, b, len, &ro));
	mt_text_state_init(&st);
	CHECK(mt_reader_next(r, &ev) == 1 && ev.kind == MT_REC_MAP);
	k = mt_text_format(&st, &ev, out, MT_TEXT_MAX);
	CHECK(k > 0 && strstr(out, " pciid=8086:100e:1af4:1100:03:020000"));
	mt_reader_close(r);
	CHECK(!mt_reader_open_mem(&r, out, (size_t)k, &ro));
	CHECK(mt_reader_next(r, &ev) == 1 && ev.kind == MT_REC_TEXT); /* VERSION */
	CHECK(mt_reader_next(r, &ev) == 1 && ev.kind == MT_REC_MAP);
	CHECK(ev.map.has_pci_ids && !memcmp(&ev.map.pci_ids, &e1000, sizeof(e1000)));
	mt_reader_close(r);
	static const char bad[] = "MAP 1.000000 1 0x0 0x0 0x1000 0x0 0\nEXT src=pci pciid=8086:100e\n";
	CHECK(!mt_reader_open_mem(&r, bad, sizeof(bad) - 1, &ro));
	while ((k = mt_reader_next(r, &ev)) > 0)
		;
	CHECK(k < 0 && strstr(mt_reader_errmsg(r), "pciid"));
	mt_reader_close(r);
	free(out);
}

/* The first record of kind `kind` (its offset). */
static size_t find_kind(const uint8_t *b, size_t len, uint8_t kind)
{
	size_t off = MT_FILE_HEADER_SIZE;

	while (off + 8 <= len && b[off] != kind)
		off += b[off] < 0x40 ? MT_REC_SIZE : (size_t)(b[off + 2] | b[off + 3] << 8);
	return off;
}

static void expect_error(uint8_t *b, size_t len, const char *what)
{
	struct mt_reader_opts ro = { .sz = sizeof(ro), .meta = 1 };
	struct mt_reader *r;
	struct mt_event ev;
	int rc;

	CHECK(!mt_reader_open_mem(&r, b, len, &ro));
	while ((rc = mt_reader_next(r, &ev)) > 0)
		;
	if (rc >= 0 || !strstr(mt_reader_errmsg(r), what) || !strstr(mt_reader_errmsg(r), "offset ")) {
		fprintf(stderr, "want error '%s', got rc %d '%s'\n", what, rc, mt_reader_errmsg(r));
		failures++;
	}
	mt_reader_close(r);
}

static void malformed(const uint8_t *orig, size_t len)
{
	uint8_t *b = malloc(len);
	size_t o;

	memcpy(b, orig, len);
	o = find_kind(b, len, MT_REC_OBJECT);
	b[o + 6] = 0; /* nranges 0 */
	expect_error(b, len, "malformed OBJECT");
	memcpy(b, orig, len);
	b[o + 4] = 0xff; /* path longer than the record */
	expect_error(b, len, "malformed OBJECT");
	memcpy(b, orig, len);
	o = find_kind(b, len, MT_REC_KSYM);
	b[o + 4] = 0; /* empty name */
	expect_error(b, len, "malformed KSYM");
	memcpy(b, orig, len);
	o = find_kind(b, len, MT_REC_DATA);
	b[o + 4] = 8; /* PCI ids of 8 bytes */
	expect_error(b, len, "PCI ids");
	memcpy(b, orig, len);
	b[o + 1] = MT_DATA_VALUE; /* a VALUE after a MAP */
	expect_error(b, len, "after a MAP");
	memcpy(b, orig, len);
	b[o + 1] = 9; /* a subtype of the future: skipped */
	{
		struct mt_reader_opts ro = { .sz = sizeof(ro) };
		struct mt_reader *r;
		struct mt_event ev;
		int rc;

		CHECK(!mt_reader_open_mem(&r, b, len, &ro));
		CHECK(mt_reader_next(r, &ev) == 1 && ev.kind == MT_REC_MAP && !ev.map.has_pci_ids);
		while ((rc = mt_reader_next(r, &ev)) > 0)
			;
		CHECK(rc == 0);
		mt_reader_close(r);
	}
	free(b);
}

int main(void)
{
	size_t len;
	uint8_t *b = make(&len);

	read_back(b, len, 0);
	read_back(b, len, 1);
	text_roundtrip(b, len);
	malformed(b, len);
	free(b);
	if (failures) {
		fprintf(stderr, "%d failures\n", failures);
		return 1;
	}
	printf("format_meta: ok\n");
	return 0;
}
