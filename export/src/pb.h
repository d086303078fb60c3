/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * pb.h - the few protocol buffers wire-format encoders the Perfetto exporter
 * needs, writing forward into a buffer the caller made large enough.
 * A nested message's length is written as a fixed 4-byte (redundant) varint,
 * as Perfetto's own protozero does, so that it can be filled in at the end
 * without moving the message (any protobuf parser accepts it).
 */
#ifndef MT_EXPORT_PB_H
#define MT_EXPORT_PB_H

#include <stdint.h>
#include <string.h>

enum { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2 };

static inline uint8_t *pb_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static inline uint8_t *pb_tag(uint8_t *p, unsigned field, unsigned wt)
{
	return pb_varint(p, (uint64_t)field << 3 | wt);
}

static inline uint8_t *pb_uint(uint8_t *p, unsigned field, uint64_t v)
{
	return pb_varint(pb_tag(p, field, PB_VARINT), v);
}

static inline uint8_t *pb_bytes(uint8_t *p, unsigned field, const void *s, size_t n)
{
	p = pb_varint(pb_tag(p, field, PB_LEN), n);
	memcpy(p, s, n);
	return p + n;
}

static inline uint8_t *pb_str(uint8_t *p, unsigned field, const char *s)
{
	return pb_bytes(p, field, s, strlen(s));
}

/* Opens a nested message: returns where its length goes; pb_end closes it. */
static inline uint8_t *pb_begin(uint8_t **p, unsigned field)
{
	uint8_t *len = pb_tag(*p, field, PB_LEN);

	*p = len + 4;
	return len;
}

static inline void pb_end(uint8_t *len, uint8_t *p)
{
	uint32_t n = (uint32_t)(p - (len + 4));

	len[0] = (uint8_t)(n | 0x80);
	len[1] = (uint8_t)(n >> 7 | 0x80);
	len[2] = (uint8_t)(n >> 14 | 0x80);
	len[3] = (uint8_t)((n >> 21) & 0x7f);
}

/* A nested message known to be under 128 bytes: a 1-byte length. */
static inline uint8_t *pb_begin_small(uint8_t **p, unsigned field)
{
	uint8_t *len = pb_tag(*p, field, PB_LEN);

	*p = len + 1;
	return len;
}

static inline void pb_end_small(uint8_t *len, uint8_t *p)
{
	*len = (uint8_t)((p - (len + 1)) & 0x7f);
}

#endif /* MT_EXPORT_PB_H */
