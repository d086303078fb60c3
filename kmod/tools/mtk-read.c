// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * mtk-read - drain /dev/mmiotap (kabi.h records) and print them, sorted by
 * sequence number, as mmiotrace text (VERSION 20070824). A test/debug
 * helper until `mmiotap kernel record` writes the common trace format.
 *   mtk-read [DEVICE]
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mmiotap/kabi.h"

static int by_seq(const void *a, const void *b)
{
	const struct mmiotap_krec *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : MMIOTAP_KDEV;
	struct mmiotap_krec *recs = NULL;
	size_t n = 0, cap = 0, i;
	int fd = open(dev, O_RDONLY);

	if (fd < 0) {
		fprintf(stderr, "mtk-read: %s: %s\n", dev, strerror(errno));
		return 1;
	}
	for (;;) {
		ssize_t r;

		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 65536;
			recs = realloc(recs, cap * sizeof(*recs));
			if (!recs) {
				fprintf(stderr, "mtk-read: out of memory\n");
				return 1;
			}
		}
		r = read(fd, recs + n, 4096 * sizeof(*recs));
		if (r < 0) {
			fprintf(stderr, "mtk-read: read: %s\n", strerror(errno));
			return 1;
		}
		if (r == 0)
			break;
		n += (size_t)r / sizeof(*recs);
	}
	qsort(recs, n, sizeof(*recs), by_seq);
	printf("VERSION 20070824\n");
	for (i = 0; i < n; i++) {
		const struct mmiotap_krec *r = &recs[i];
		double ts = r->ts_ns / 1e9;

		switch (r->type) {
		case MMIOTAP_KREC_READ:
		case MMIOTAP_KREC_WRITE:
			printf("%c %u %.6f %u 0x%llx 0x%llx 0x%llx %u\n",
			       r->type == MMIOTAP_KREC_READ ? 'R' : 'W', r->width, ts,
			       r->map_id, r->phys, r->value, r->pc, r->pid);
			break;
		case MMIOTAP_KREC_MAP:
			printf("MAP %.6f %u 0x%llx 0x%llx 0x%llx 0x%llx %u\n",
			       ts, r->map_id, r->phys, r->virt, r->value, r->pc, r->pid);
			break;
		case MMIOTAP_KREC_UNMAP:
			printf("UNMAP %.6f %u 0x%llx %u\n", ts, r->map_id, r->pc, r->pid);
			break;
		case MMIOTAP_KREC_UNKNOWN: {
			unsigned j;

			printf("UNKNOWN %.6f %u 0x%llx 0x%llx %u", ts, r->map_id,
			       r->phys, r->pc, r->pid);
			for (j = 0; j < r->width && j < 16; j++)
				printf(" %02x", r->insn[j]);
			printf("\n");
			break;
		}
		case MMIOTAP_KREC_LOST:
			printf("LOST %.6f cpu %u %llu\n", ts, r->cpu, r->value);
			break;
		case MMIOTAP_KREC_MARK:
			printf("MARK %.6f %.16s\n", ts, (const char *)r->insn);
			break;
		}
	}
	fprintf(stderr, "mtk-read: %zu records\n", n);
	return 0;
}
