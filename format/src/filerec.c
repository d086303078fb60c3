// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * filerec.c - the FILE record (docs/FORMAT.md 1.8): a file, directory
 * listing or symlink the traced program looked at, kept for replay.
 */
#include <errno.h>
#include <string.h>

#include "mmiotap/trace.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

const char *mt_file_type_name(unsigned type)
{
	switch (type) {
	case MT_FILE_REG: return "reg";
	case MT_FILE_DIR: return "dir";
	case MT_FILE_LNK: return "link";
	case MT_FILE_CHR: return "chr";
	default: return "?";
	}
}

const char *mt_file_flags_name(uint32_t flags)
{
	static const char *const names[] = { "", "entry", "cut", "entry,cut" };

	return names[(flags & MT_FILE_F_ENTRY ? 1 : 0) | (flags & MT_FILE_F_CUT ? 2 : 0)];
}

static int path_ok(const char *s, size_t n)
{
	return n && s[0] == '/' && !memchr(s, 0, n) && !memchr(s, '\n', n);
}

int mt_file_parse(const void *rec, size_t len, struct mt_file_info *f)
{
	const uint8_t *p = rec;

	if (len < MT_REC_FILE_FIXED || (len & 7) || p[0] != MT_REC_FILE || rd16(p + 2) != len)
		return -EINVAL;
	memset(f, 0, sizeof(*f));
	f->type = p[1];
	f->path_len = rd16(p + 4);
	f->data_len = rd16(p + 6);
	f->pid = rd32(p + 8);
	f->mode = rd32(p + 12);
	f->flags = f->mode & ~MT_FILE_MODE_MASK;
	f->mode &= MT_FILE_MODE_MASK;
	f->ts = rd64(p + 16);
	f->seq = rd64(p + 24);
	f->offset = rd64(p + 32);
	f->total = rd64(p + 40);
	if (MT_REC_FILE_FIXED + (size_t)f->path_len + f->data_len > len ||
	    f->type < MT_FILE_REG || f->type > MT_FILE_CHR || f->offset > f->total ||
	    f->data_len > f->total - f->offset)
		return -EINVAL;
	f->path = (const char *)p + MT_REC_FILE_FIXED;
	f->data = (const uint8_t *)f->path + f->path_len;
	return path_ok(f->path, f->path_len) ? 0 : -EINVAL;
}

int mt_file_encode(void *buf, size_t room, const struct mt_file_info *f)
{
	struct mt_rec_file h;
	size_t sz = MT_REC_FILE_FIXED + MT_ALIGN8((size_t)f->path_len + f->data_len);
	uint8_t *p = buf;

	if (sz > MT_REC_VAR_MAX || !path_ok(f->path, f->path_len) || f->offset > f->total ||
	    f->data_len > f->total - f->offset)
		return -E2BIG;
	if (sz > room)
		return -ENOSPC;
	memset(&h, 0, sizeof(h));
	h.kind = MT_REC_FILE;
	h.type = f->type;
	h.size = (uint16_t)sz;
	h.path_len = f->path_len;
	h.data_len = f->data_len;
	h.pid = f->pid;
	h.mode = (f->mode & MT_FILE_MODE_MASK) | f->flags;
	h.ts = f->ts;
	h.seq = f->seq;
	h.offset = f->offset;
	h.total = f->total;
	memset(p, 0, sz);
	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), f->path, f->path_len);
	if (f->data_len)
		memcpy(p + sizeof(h) + f->path_len, f->data, f->data_len);
	return (int)sz;
}
