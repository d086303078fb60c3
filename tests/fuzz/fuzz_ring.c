// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fuzz_ring.c - libFuzzer target for what `mmiotap record` (and `mmiotap
 * mark`, and every producer) reads from memory the traced program shares:
 * the event ring. The consumer (mt_ring_get(), the private copy's checks)
 * and its conversion into trace records (cli/record_conv.c), with head,
 * tail and every byte of the data the input's; and the header rewritten
 * while they run, as a hostile program may: between rounds, from the
 * input (data_size, head, tail, closing, the futex words, ...), with a
 * put now and then, and then by a second thread while the reader goes on.
 * The buffer is exactly header + data (ASan: any access outside it is
 * caught), adopted once (mt_ring_adopt()).
 *
 * Invariants beyond "no crash, no access outside the buffer": the consumer
 * gets on while the header is sane (no input makes it stop with data
 * left), never hands over an event that mt_ev_valid() refuses, and the
 * converter, reading the same bytes, agrees with it.
 *
 * Input: 8 bytes where the consumer stands; 1 byte n, n scribbles of 9
 * bytes (field, value); the data.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record_conv.h"

#define DATA (1u << 14)
#define NSCRIB 16

struct scribble {
	uint8_t field;
	uint64_t value;
};

static struct mt_ring_hdr *hdr;
static struct mt_ring ring;
static struct conv cv;
static uint8_t tmp[1 << 16];
static int out_fd = -1;

/* One header field of the hostile program's choosing gets value v. */
static void scribble(struct mt_ring_hdr *h, uint8_t field, uint64_t v)
{
	switch (field % 12) {
	case 0: __atomic_store_n(&h->data_size, v, __ATOMIC_RELAXED); break;
	case 1: __atomic_store_n(&h->head, v, __ATOMIC_RELAXED); break;
	case 2: __atomic_store_n(&h->tail, v, __ATOMIC_RELAXED); break;
	case 3: __atomic_store_n(&h->closing, (uint32_t)v, __ATOMIC_RELAXED); break;
	case 4: __atomic_store_n(&h->consumer_waiting, (uint32_t)v, __ATOMIC_RELAXED); break;
	case 5: __atomic_store_n(&h->producers_waiting, (uint32_t)v, __ATOMIC_RELAXED); break;
	case 6: __atomic_store_n(&h->head_futex, (uint32_t)v, __ATOMIC_RELAXED); break;
	case 7: __atomic_store_n(&h->tail_futex, (uint32_t)v, __ATOMIC_RELAXED); break;
	case 8: __atomic_store_n(&h->magic, (uint32_t)v, __ATOMIC_RELAXED); break;
	case 9: __atomic_store_n(&h->version, (uint32_t)v, __ATOMIC_RELAXED); break;
	case 10: __atomic_store_n(&h->seq, v, __ATOMIC_RELAXED); break;
	default: /* head near the consumer: data to take, maybe past the end */
		__atomic_store_n(&h->head, __atomic_load_n(&h->tail, __ATOMIC_RELAXED) +
				 (v % (2 * DATA)), __ATOMIC_RELAXED);
		break;
	}
}

/* A producer's event, when the ring has room by its real size (a put that
 * would wait is not made: the recorder is this process). */
static void maybe_put(uint64_t v)
{
	struct mt_ev ev;
	uint64_t head = hdr->head, tail = hdr->tail;

	if (DATA - (head - tail) < sizeof(ev))
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = MT_EV_UNMAP;
	ev.size = sizeof(ev);
	ev.seq = v;
	mt_ring_put(&ring, &ev);
}

/* Every event handed over is whole and checked. */
static void check_events(size_t got)
{
	for (size_t off = 0; off < got;) {
		const struct mt_ev *ev = (const struct mt_ev *)(tmp + off);

		if (!mt_ev_valid(ev) || ev->size < sizeof(*ev) || off + ev->size > got)
			abort(); /* handed over something unchecked */
		off += ev->size;
	}
}

/* One round of the consumer, then the converter on the same bytes. */
static void round_once(struct mt_ring_reader *rd)
{
	uint64_t before = rd->tail, head = hdr->head;
	size_t got = mt_ring_get(rd, tmp, sizeof(tmp), 0);

	check_events(got);
	if (got) {
		struct mt_ring_reader again = { .r = &ring, .tail = before };

		mt_conv_drain(&cv, &again, tmp, sizeof(tmp), 0);
		if (again.tail != rd->tail)
			abort(); /* the two readers disagree */
	}
	/* a sane head with data past our cursor: we must get on */
	if (rd->tail == before && head != before && head - before <= DATA)
		abort();
}

static volatile int stop_scribbler;

/* The hostile program's other thread: the header, over and over. */
static void *scribbler(void *arg)
{
	uint64_t x = (uint64_t)(uintptr_t)arg | 1;

	while (!stop_scribbler) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		scribble(hdr, (uint8_t)x, x >> 8 & 1 ? x >> 16 : x % (3 * DATA));
	}
	return NULL;
}

/* The reader goes on while another thread rewrites the header. */
static void race(struct mt_ring_reader *rd, uint64_t seed)
{
	pthread_t th;

	stop_scribbler = 0;
	if (pthread_create(&th, NULL, scribbler, (void *)(uintptr_t)seed))
		return;
	for (int i = 0; i < 200; i++)
		check_events(mt_ring_get(rd, tmp, sizeof(tmp), 0));
	stop_scribbler = 1;
	pthread_join(th, NULL);
}

static void setup(void)
{
	struct mt_writer_opts wo = { .sz = sizeof(wo), .clock = MT_CLOCK_MONOTONIC };

	if (!hdr) {
		hdr = aligned_alloc(64, MT_RING_HDR_SIZE + DATA);
		cv.cap = 1u << 20;
		cv.buf = malloc(cv.cap);
		cv.out = "/dev/null";
	}
	memset(hdr, 0, MT_RING_HDR_SIZE + DATA);
	hdr->magic = MT_RING_MAGIC;
	hdr->version = MT_RING_VERSION;
	hdr->data_size = DATA;
	hdr->recorder_pid = 0x7ffffff0; /* no such task: a put never waits long */
	if (mt_ring_adopt(hdr, MT_RING_HDR_SIZE + DATA, &ring))
		abort();
	if (out_fd < 0)
		out_fd = open("/dev/null", O_WRONLY);
	if (out_fd < 0 || mt_writer_open_fd(&cv.w, out_fd, &wo))
		abort();
	cv.used = 0;
	cv.failed = 0;
	mt_enc_stream_reset(&cv.st);
}

/* The input: where the consumer stands, the scribbles, the data. */
static size_t parse(const uint8_t **in, size_t *sizep, uint64_t *start, struct scribble *s)
{
	size_t n = 0, size = *sizep;

	if (size >= 8) {
		memcpy(start, *in, 8);
		*start &= 0xffffff;
		*in += 8, size -= 8;
	}
	if (size >= 1) {
		n = **in % (NSCRIB + 1);
		*in += 1, size -= 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (size < 9) {
			n = i;
			break;
		}
		s[i].field = (*in)[0];
		memcpy(&s[i].value, *in + 1, 8);
		*in += 9, size -= 9;
	}
	*sizep = size;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	struct scribble s[NSCRIB];
	uint64_t start = 0;
	size_t ns, i;
	struct mt_ring_reader rd;

	setup();
	ns = parse(&in, &size, &start, s);
	for (i = 0; i < DATA && i < size; i++)
		ring.data[(start + i) & (DATA - 1)] = in[i];
	hdr->tail = start;
	hdr->head = start + (size < DATA ? size : DATA);
	rd = (struct mt_ring_reader){ .r = &ring, .tail = start };
	for (int round = 0; round < 10000; round++) {
		if ((size_t)round < ns) {
			scribble(hdr, s[round].field, s[round].value);
			if (s[round].field & 0x80)
				maybe_put(s[round].value);
		} else if (rd.tail == hdr->head || hdr->head - rd.tail > DATA) {
			break;
		}
		round_once(&rd);
	}
	race(&rd, start ^ (ns ? s[0].value : 0));
	mt_writer_close(cv.w);
	return 0;
}
