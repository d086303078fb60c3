// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * meta.c - the symbol records: OBJECT (an ELF object of a traced process)
 * and KSYM (a kernel function), encoded and checked (docs/FORMAT.md 1.7).
 */
#include <errno.h>
#include <string.h>

#include "mmiotap/trace.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static int bad_text(const char *s, size_t n)
{
	return memchr(s, 0, n) || memchr(s, '\n', n);
}

int mt_object_parse(const void *rec, size_t len, struct mt_object_info *o)
{
	const uint8_t *p = rec;
	size_t need;

	if (len < MT_REC_OBJECT_FIXED || (len & 7) || p[0] != MT_REC_OBJECT || rd16(p + 2) != len)
		return -EINVAL;
	memset(o, 0, sizeof(*o));
	o->build_id_len = p[1];
	o->path_len = rd16(p + 4);
	o->nranges = rd16(p + 6);
	o->ts = rd64(p + 8);
	o->seq = rd64(p + 16);
	o->pid = rd32(p + 24);
	o->bias = rd64(p + 32);
	need = MT_REC_OBJECT_FIXED + (size_t)o->nranges * MT_OBJ_RANGE_SIZE + o->build_id_len +
	       o->path_len;
	if (need > len || !o->nranges)
		return -EINVAL;
	o->ranges = p + MT_REC_OBJECT_FIXED;
	o->build_id = o->ranges + (size_t)o->nranges * MT_OBJ_RANGE_SIZE;
	o->path = (const char *)o->build_id + o->build_id_len;
	if (bad_text(o->path, o->path_len))
		return -EINVAL;
	for (unsigned i = 0; i < o->nranges; i++) {
		struct mt_obj_range r;

		mt_object_range(o, i, &r);
		if (r.start >= r.end)
			return -EINVAL;
	}
	return 0;
}

void mt_object_range(const struct mt_object_info *o, unsigned i, struct mt_obj_range *r)
{
	const uint8_t *p = o->ranges + (size_t)i * MT_OBJ_RANGE_SIZE;

	r->start = rd64(p);
	r->end = rd64(p + 8);
	r->file_offset = rd64(p + 16);
}

int mt_object_encode(void *buf, size_t room, const struct mt_object_info *o,
		     const struct mt_obj_range *ranges)
{
	struct mt_rec_object h;
	size_t body = (size_t)o->nranges * MT_OBJ_RANGE_SIZE + o->build_id_len + o->path_len;
	size_t sz = MT_REC_OBJECT_FIXED + MT_ALIGN8(body);
	uint8_t *p = buf;

	if (sz > MT_REC_VAR_MAX || !o->nranges)
		return -E2BIG;
	if (sz > room)
		return -ENOSPC;
	memset(&h, 0, sizeof(h));
	h.kind = MT_REC_OBJECT;
	h.build_id_len = o->build_id_len;
	h.size = (uint16_t)sz;
	h.path_len = o->path_len;
	h.nranges = o->nranges;
	h.ts = o->ts;
	h.seq = o->seq;
	h.pid = o->pid;
	h.bias = o->bias;
	memset(p, 0, sz);
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	memcpy(p, ranges, (size_t)o->nranges * MT_OBJ_RANGE_SIZE);
	p += (size_t)o->nranges * MT_OBJ_RANGE_SIZE;
	if (o->build_id_len)
		memcpy(p, o->build_id, o->build_id_len);
	p += o->build_id_len;
	if (o->path_len)
		memcpy(p, o->path, o->path_len);
	return (int)sz;
}

int mt_ksym_parse(const void *rec, size_t len, struct mt_ksym_info *k)
{
	const uint8_t *p = rec;

	if (len < MT_REC_KSYM_FIXED || (len & 7) || p[0] != MT_REC_KSYM || rd16(p + 2) != len)
		return -EINVAL;
	memset(k, 0, sizeof(*k));
	k->type = (char)p[1];
	k->name_len = rd16(p + 4);
	k->module_len = rd16(p + 6);
	k->addr = rd64(p + 8);
	k->size = rd64(p + 16);
	if (MT_REC_KSYM_FIXED + (size_t)k->name_len + k->module_len > len || !k->name_len)
		return -EINVAL;
	k->name = (const char *)p + MT_REC_KSYM_FIXED;
	k->module = k->name + k->name_len;
	if (bad_text(k->name, k->name_len) || bad_text(k->module, k->module_len))
		return -EINVAL;
	return 0;
}

int mt_ksym_encode(void *buf, size_t room, const struct mt_ksym_info *k)
{
	struct mt_rec_ksym h;
	size_t sz = MT_REC_KSYM_FIXED + MT_ALIGN8((size_t)k->name_len + k->module_len);
	uint8_t *p = buf;

	if (sz > MT_REC_VAR_MAX || !k->name_len)
		return -E2BIG;
	if (sz > room)
		return -ENOSPC;
	memset(&h, 0, sizeof(h));
	h.kind = MT_REC_KSYM;
	h.type = (uint8_t)k->type;
	h.size = (uint16_t)sz;
	h.name_len = k->name_len;
	h.module_len = k->module_len;
	h.addr = k->addr;
	h.size_bytes = k->size;
	memset(p, 0, sz);
	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), k->name, k->name_len);
	if (k->module_len)
		memcpy(p + sizeof(h) + k->name_len, k->module, k->module_len);
	return (int)sz;
}
