// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * bench_format.c - records/s written to a file with the signal-safe encoder
 * + writer, and read back with the reader; bytes per record; beside `cat` of
 * the same file in the same run. Prints numbers, asserts nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mmiotap/trace.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 5000000;
	char path[] = "/tmp/mt_bench_XXXXXX";
	int fd = mkstemp(path);
	struct mt_writer_opts wo = { .sz = sizeof(wo), .source = MT_SRC_PRELOAD };
	struct mt_writer *w;
	struct mt_enc_stream st;
	static uint8_t buf[1 << 16];
	size_t used = 0;
	uint64_t i, bytes, got = 0, sum = 0;
	double t0, tw, tr, tc;
	struct mt_reader *r;
	struct mt_reader_opts ro = { .sz = sizeof(ro), .sorted = 1 };
	struct mt_event ev;
	char cmd[128];

	if (fd < 0 || mt_writer_open_fd(&w, fd, &wo))
		return 1;
	mt_enc_stream_reset(&st);
	t0 = now();
	for (i = 0; i < n; i++) {
		struct mt_enc_event e;
		int k;

		memset(&e, 0, sizeof(e));
		e.kind = (i & 3) ? MT_REC_READ : MT_REC_WRITE;
		e.width = 4;
		e.map_id = 1;
		e.cpu = 0;
		e.pid = 100;
		e.tid = 100 + (uint32_t)(i >> 16 & 1); /* a thread switch every 64 K */
		e.offset = (uint32_t)(i * 4 & 0xfff);
		e.seq = i;
		e.ts = 1000000000ull + i * 1600;
		e.pc = 0x401000 + (i & 15);
		e.value = i;
		k = mt_enc_event(&st, buf + used, sizeof(buf) - used, &e);
		if (k == -ENOSPC) {
			/* producer pattern: flush the buffer, then a SYNC barrier */
			if (mt_writer_append(w, buf, used) || mt_writer_sync(w, i, e.ts))
				return 1;
			used = 0;
			mt_enc_stream_reset(&st);
			k = mt_enc_event(&st, buf, sizeof(buf), &e);
		}
		used += (size_t)k;
	}
	if (mt_writer_append(w, buf, used) || mt_writer_close(w))
		return 1;
	fsync(fd);
	tw = now() - t0;
	bytes = (uint64_t)lseek(fd, 0, SEEK_END);
	lseek(fd, 0, SEEK_SET);
	t0 = now();
	if (mt_reader_open_fd(&r, fd, &ro))
		return 1;
	while (mt_reader_next(r, &ev) > 0) {
		got++;
		sum += ev.value;
	}
	mt_reader_close(r);
	tr = now() - t0;
	close(fd);
	snprintf(cmd, sizeof(cmd), "cat %s > /dev/null", path);
	t0 = now();
	if (system(cmd))
		return 1;
	tc = now() - t0;
	unlink(path);
	printf("records %llu, file %.1f MB, %.2f bytes/record\n", (unsigned long long)n,
	       bytes / 1e6, (double)bytes / n);
	printf("write: %.2f M records/s (%.0f MB/s)  [target >= 5 M/s]\n", n / tw / 1e6,
	       bytes / tw / 1e6);
	printf("read (sorted mode): %.2f M records/s (%.0f MB/s), %llu records%s\n", got / tr / 1e6,
	       bytes / tr / 1e6, (unsigned long long)got, got == n ? "" : " MISMATCH");
	printf("cat of the same file: %.0f MB/s; write/cat %.2fx, read/cat %.2fx\n", bytes / tc / 1e6,
	       tc / tw, tc / tr);
	return got == n && sum ? 0 : 1;
}
