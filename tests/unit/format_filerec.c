// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * format_filerec.c - the FILE record (issue 14, docs/FORMAT.md 1.8):
 * encoded, parsed, malformed ones refused (parser, writer, reader with a
 * byte offset), read back with and without the reader's files option (old
 * readers skip it), printed as text and JSON lines.
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

static const char vpath[] = "/sys/devices/pci0000:00/0000:00:04.0/vendor";

static int enc_vendor(uint8_t *rec, size_t room)
{
	struct mt_file_info f = { .type = MT_FILE_REG, .pid = 7, .mode = 0100444, .ts = 9, .seq = 1,
				  .offset = 0, .total = 7, .path = vpath, .path_len = sizeof(vpath) - 1,
				  .data = (const uint8_t *)"0x8086\n", .data_len = 7 };
	return mt_file_encode(rec, room, &f);
}

static void parse_checks(void)
{
	uint8_t rec[256], bad[256];
	struct mt_file_info f;
	int n = enc_vendor(rec, sizeof(rec));

	CHECK(n == MT_REC_FILE_FIXED + 56 && n % 8 == 0);
	CHECK(enc_vendor(rec, 40) == -ENOSPC);
	CHECK(!mt_file_parse(rec, (size_t)n, &f));
	CHECK(f.type == MT_FILE_REG && f.pid == 7 && f.mode == 0100444 && f.seq == 1 && f.total == 7);
	CHECK(f.path_len == sizeof(vpath) - 1 && !memcmp(f.path, vpath, f.path_len));
	CHECK(f.data_len == 7 && !memcmp(f.data, "0x8086\n", 7));
	CHECK(!strcmp(mt_file_type_name(f.type), "reg") && !strcmp(mt_file_type_name(9), "?"));
	CHECK(f.flags == 0 && !strcmp(mt_file_flags_name(f.flags), ""));
	/* flags ride above st_mode in the mode word, and come back apart */
	struct mt_file_info g = f;
	uint8_t rec2[256];
	g.flags = MT_FILE_F_ENTRY | MT_FILE_F_CUT;
	CHECK(mt_file_encode(rec2, sizeof(rec2), &g) == n);
	CHECK((rec2[12] | rec2[13] << 8 | rec2[14] << 16 | (uint32_t)rec2[15] << 24) ==
	      (0100444 | MT_FILE_F_ENTRY | MT_FILE_F_CUT));
	CHECK(!mt_file_parse(rec2, (size_t)n, &g) && g.mode == 0100444 &&
	      g.flags == (MT_FILE_F_ENTRY | MT_FILE_F_CUT));
	CHECK(!strcmp(mt_file_flags_name(g.flags), "entry,cut"));
	CHECK(mt_file_parse(rec, (size_t)n - 8, &f) == -EINVAL); /* size field disagrees */
	memcpy(bad, rec, (size_t)n);
	bad[1] = 0; /* type */
	CHECK(mt_file_parse(bad, (size_t)n, &f) == -EINVAL);
	memcpy(bad, rec, (size_t)n);
	bad[MT_REC_FILE_FIXED] = 's'; /* relative path */
	CHECK(mt_file_parse(bad, (size_t)n, &f) == -EINVAL);
	memcpy(bad, rec, (size_t)n);
	bad[MT_REC_FILE_FIXED + 3] = '\n';
	CHECK(mt_file_parse(bad, (size_t)n, &f) == -EINVAL);
	memcpy(bad, rec, (size_t)n);
	bad[40] = 3; /* total 3 < data_len 7 */
	CHECK(mt_file_parse(bad, (size_t)n, &f) == -EINVAL);
	memcpy(bad, rec, (size_t)n);
	bad[32] = 8; /* offset 8 > total */
	CHECK(mt_file_parse(bad, (size_t)n, &f) == -EINVAL);
	memcpy(bad, rec, (size_t)n);
	bad[6] = 200; /* data_len past the record */
	CHECK(mt_file_parse(bad, (size_t)n, &f) == -EINVAL);
}

/* A FILE then a MARK, through the writer; the bytes. */
static uint8_t *make(size_t *len, int corrupt)
{
	char path[] = "/tmp/mt-filerec-XXXXXX";
	int fd = mkstemp(path);
	struct mt_writer_opts wo = { .sz = sizeof(wo) };
	struct mt_writer *w;
	struct mt_event ev;
	uint8_t rec[256], *buf;
	int n = enc_vendor(rec, sizeof(rec));

	CHECK(fd >= 0 && !mt_writer_open_fd(&w, fd, &wo));
	memset(&ev, 0, sizeof(ev));
	ev.kind = MT_REC_FILE;
	ev.text = (const char *)rec;
	ev.text_len = (size_t)n;
	CHECK(!mt_writer_event(w, &ev));
	ev.text_len = 16; /* not a record: refused */
	CHECK(mt_writer_event(w, &ev) == -EINVAL);
	memset(&ev, 0, sizeof(ev));
	ev.kind = MT_REC_MARK;
	ev.seq = 1;
	ev.text = "m";
	ev.text_len = 1;
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
	if (corrupt) { /* the FILE record's type byte */
		uint8_t *p = memmem(buf, *len, vpath, sizeof(vpath) - 1);
		CHECK(p && p[-MT_REC_FILE_FIXED] == MT_REC_FILE);
		if (p)
			p[1 - MT_REC_FILE_FIXED] = 77;
	}
	return buf;
}

static void read_back(const uint8_t *b, size_t len, int files, int corrupt)
{
	struct mt_reader_opts ro = { .sz = sizeof(ro), .files = files };
	struct mt_text_state st;
	struct mt_reader *r;
	struct mt_event ev;
	char out[MT_TEXT_MAX];
	int kinds = 0, rc;

	mt_text_state_init(&st);
	CHECK(!mt_reader_open_mem(&r, b, len, &ro));
	while ((rc = mt_reader_next(r, &ev)) > 0) {
		if (ev.kind == MT_REC_FILE) {
			kinds |= 1;
			CHECK(ev.pid == 7 && ev.seq == 1);
			CHECK(mt_text_format(&st, &ev, out, sizeof(out)) > 0);
			CHECK(strstr(out, "FILE 7 reg 0100444 0 7 \"/sys/devices/pci0000:00/0000:00:04.0/"
					  "vendor\" \"0x8086\\n\"\n"));
			CHECK(mt_jsonl_format(&ev, out, sizeof(out)) > 0);
			CHECK(strstr(out, "\"kind\":\"FILE\",\"pid\":7,\"type\":\"reg\",\"mode\":\"0100444\","
					  "\"offset\":0,\"total\":7,\"path\":\"/sys/devices/pci0000:00/"
					  "0000:00:04.0/vendor\",\"data\":\"0x8086\\u000a\"}\n"));
		} else if (ev.kind == MT_REC_MARK) {
			kinds |= 2;
		}
	}
	if (corrupt && files) {
		CHECK(rc < 0 && strstr(mt_reader_errmsg(r), "malformed FILE record"));
	} else {
		CHECK(rc == 0);
		CHECK(kinds == (files ? 3 : 2));
	}
	mt_reader_close(r);
}

int main(void)
{
	size_t len;
	uint8_t *b;

	parse_checks();
	b = make(&len, 0);
	read_back(b, len, 1, 0);
	read_back(b, len, 0, 0);
	free(b);
	b = make(&len, 1);
	read_back(b, len, 1, 1);
	read_back(b, len, 0, 1); /* skipped unread */
	free(b);
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	else
		printf("PASS: FILE records: encode, parse, malformed refused, skipped by old readers, text, jsonl\n");
	return failures != 0;
}
