// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_unknown.c - an instruction the core has no semantics for (FXSAVE,
 * 512 bytes, and FXRSTOR) on traced memory: it must still execute correctly
 * (single-stepped natively) and appear as UNKNOWN in the trace; accesses
 * before and after are traced normally.
 */
#define _GNU_SOURCE 1
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
	int fd = memfd_create("mt-e2e", 0);
	if (fd < 0 || ftruncate(fd, 4096) < 0)
		return 99;
	uint8_t *d = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (d == MAP_FAILED)
		return 99;
	*(volatile uint32_t *)d = 0xaa;
	__asm__ volatile("fxsave (%0)" : : "r"(d + 0x200) : "memory");
	__asm__ volatile("fxrstor (%0)" : : "r"(d + 0x200) : "memory");
	*(volatile uint32_t *)(d + 4) = 0xbb;
	uint8_t mine[512] __attribute__((aligned(16)));
	__asm__ volatile("fxsave %0" : "=m"(mine));
	uint8_t theirs[512];
	if (pread(fd, theirs, 512, 0x200) != 512)
		return 99;
	/* FCW and MXCSR (bytes 0-1, 24-27) must be what this thread has */
	if (memcmp(mine, theirs, 2) || memcmp(mine + 24, theirs + 24, 4)) {
		fprintf(stderr, "fxsave on traced memory stored the wrong state\n");
		return 1;
	}
	printf("ok\n");
	return 0;
}
