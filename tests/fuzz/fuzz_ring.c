// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fuzz_ring.c - libFuzzer target for what `mmiotap record` reads from the
 * traced program's memory: the event ring (mt_ring_get(), the private
 * copy's checks) and its conversion into trace records (cli/record_conv.c),
 * with head, tail and every byte of the data the input's. Invariants
 * beyond "no crash": the consumer always gets on (no input makes it stop
 * making progress with data left), and never hands over an event that
 * mt_ev_valid() refuses.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record_conv.h"

#define DATA (1u << 14)

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	static struct mt_ring *r;
	static struct conv cv;
	static uint8_t tmp[1 << 16];
	struct mt_writer_opts wo = { .sz = sizeof(wo), .clock = MT_CLOCK_MONOTONIC };
	struct mt_ring_reader rd;
	uint64_t start = 0;
	int fd;

	if (!r) {
		r = aligned_alloc(64, MT_RING_HDR_SIZE + DATA);
		cv.cap = 1u << 20;
		cv.buf = malloc(cv.cap);
		cv.out = "/dev/null";
	}
	memset(r, 0, MT_RING_HDR_SIZE + DATA);
	r->magic = MT_RING_MAGIC;
	r->version = MT_RING_VERSION;
	r->data_size = DATA;
	/* the first 8 bytes: where the consumer stands (wrap-around included) */
	if (size >= 8) {
		memcpy(&start, in, 8);
		start &= 0xffffff;
		in += 8;
		size -= 8;
	}
	if (size > DATA)
		size = DATA;
	for (size_t i = 0; i < size; i++)
		r->data[(start + i) & (DATA - 1)] = in[i];
	r->tail = start;
	r->head = start + size;
	fd = open("/dev/null", O_WRONLY);
	if (fd < 0 || mt_writer_open_fd(&cv.w, fd, &wo))
		abort();
	cv.used = 0;
	cv.failed = 0;
	mt_enc_stream_reset(&cv.st);
	rd = (struct mt_ring_reader){ .r = r, .tail = start };
	for (int round = 0; rd.tail != r->head; round++) {
		uint64_t before = rd.tail;
		size_t got = mt_ring_get(&rd, tmp, sizeof(tmp), 0);

		for (size_t off = 0; off < got;) {
			const struct mt_ev *ev = (const struct mt_ev *)(tmp + off);

			if (!mt_ev_valid(ev) || ev->size < sizeof(*ev) || off + ev->size > got)
				abort(); /* handed over something unchecked */
			off += ev->size;
		}
		/* the same bytes through the converter */
		if (got) {
			struct mt_ring_reader again = { .r = r, .tail = before };
			r->tail = before;
			mt_conv_drain(&cv, &again, tmp, sizeof(tmp), 0);
			if (again.tail != rd.tail)
				abort(); /* the two readers disagree */
		}
		if (rd.tail == before)
			abort(); /* stuck with data left */
		if (round > 10000)
			abort();
	}
	mt_writer_close(cv.w);
	close(fd);
	return 0;
}
