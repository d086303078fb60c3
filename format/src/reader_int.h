/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* reader_int.h - internals shared by reader.c and textparse.c. */
#ifndef MMIOTAP_READER_INT_H
#define MMIOTAP_READER_INT_H

#include "mmiotap/trace.h"

struct mt_owned {
	struct mt_event ev;
	void *blob;
	size_t idx;
};

struct mt_map_slot {
	struct mt_map_info info;
	char *path_copy;
};

struct mt_text_parser;

struct mt_reader {
	/* input */
	int fd;
	int mem;
	uint8_t *buf;
	size_t cap, pos, end;
	uint64_t base;          /* file offset of buf[0] */
	int eof;
	enum mt_input_format format;
	struct mt_file_header hdr;
	/* error */
	int err;
	char errmsg[320];
	/* binary chunk state */
	int in_chunk;
	uint64_t seq, ts;
	uint32_t pid, tid;
	uint16_t cpu;
	/* storage for the current event */
	uint8_t wide[256], orig[256], insn[16];
	int have_wide, have_orig, have_insn;
	char path[65536];
	/* map table, indexed by map_id */
	struct mt_map_slot **maps;
	struct mt_event last;
	int pending_post;
	/* sorted mode */
	int sorted_mode;
	int meta;               /* return OBJECT/KSYM records */
	int files;              /* return FILE records */
	struct mt_owned *sorted;
	size_t nsorted, sorted_cap, sorted_pos;
	/* text */
	struct mt_text_parser *tp;
};

size_t mt__avail(struct mt_reader *r, size_t n);
uint64_t mt__cur_off(const struct mt_reader *r);
void mt__set_err(struct mt_reader *r, int code, const char *msg);
int mt__own_event(struct mt_owned *o, const struct mt_event *ev);
void mt__free_owned(struct mt_owned *o);
unsigned mt__flag_bit(const char *name, size_t len);

int mt__text_init(struct mt_reader *r);
int mt__text_next(struct mt_reader *r, struct mt_event *ev);
void mt__text_fini(struct mt_reader *r);

#endif
