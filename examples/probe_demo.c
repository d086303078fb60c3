// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * probe_demo.c - the libmmiotap probe API (kmmio-style pre/post handlers).
 *
 * Maps a page of a memfd as a pretend device, registers a probe on its
 * first 64 bytes and shows that the handlers see every access and can
 * change values: the post handler makes STATUS (0x08) read as 0xff whatever
 * the memory holds, and the pre handler doubles every value written to
 * DATA (0x10). Build: cc probe_demo.c -lmmiotap. Exit 0 when it all held.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mmiotap/mmiotap.h"

static unsigned nreads, nwrites;

static void pre(struct mmiotap_probe *p, struct mmiotap_access *a)
{
	(void)p;
	if (a->flags & MMIOTAP_ACCESS_WRITE) {
		nwrites++;
		if (a->addr - (uintptr_t)p->addr == 0x10 && a->size == 4) {
			uint32_t v;
			memcpy(&v, a->value, 4);
			v *= 2;
			memcpy(a->value, &v, 4);
		}
	}
}

static void post(struct mmiotap_probe *p, struct mmiotap_access *a)
{
	if (!(a->flags & MMIOTAP_ACCESS_WRITE)) {
		nreads++;
		if (a->addr - (uintptr_t)p->addr == 0x08) {
			memset(a->value, 0, a->size);
			a->value[0] = 0xff;
		}
	}
}

int main(void)
{
	int fd = memfd_create("probe-demo", 0);
	if (fd < 0 || ftruncate(fd, 4096) < 0)
		return perror("memfd"), 1;
	volatile uint32_t *bar = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (bar == MAP_FAILED)
		return perror("mmap"), 1;
	struct mmiotap_probe pr = {
		.struct_size = sizeof(pr), .addr = (void *)bar, .len = 64,
		.pre = pre, .post = post,
	};
	int rc = mmiotap_probe_register(&pr);
	if (rc) {
		fprintf(stderr, "probe_demo: mmiotap_probe_register: %s\n", strerror(-rc));
		return 1;
	}
	bar[2] = 0x12;              /* STATUS: memory holds 0x12 */
	uint32_t st = bar[2];       /* post handler: reads 0xff */
	bar[4] = 21;                /* DATA: pre handler doubles it */
	uint32_t data = bar[4];
	mmiotap_probe_unregister(&pr);
	uint32_t st_after = bar[2]; /* direct again: 0x12 */
	uint32_t mem;
	if (pread(fd, &mem, 4, 0x10) != 4)
		return perror("pread"), 1;
	printf("probe_demo: status read %#x (memory %#x), data written 21 -> memory %u, "
	       "%u reads, %u writes seen\n", st, st_after, mem, nreads, nwrites);
	return st == 0xff && st_after == 0x12 && mem == 42 && data == 42 && nreads == 2 &&
		       nwrites == 2 ? 0 : 1;
}
