// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * mmio_demo.c - a tiny "driver" for a pretend device, to try mmiotap on.
 *
 * The device's registers are a page of a memfd named "mmiotap-demo" mapped
 * MAP_SHARED, just as a driver maps a PCI BAR through sysfs or UIO:
 *
 *     mmiotap record --trace-file '/memfd:mmiotap-demo*' -o demo.trace -- ./mmio_demo
 *     mmiotap dump demo.trace
 *
 * Register map: 0x00 ID (ro), 0x04 CTRL, 0x08 STATUS, 0x10 DATA (64-bit),
 * 0x20 a 16-byte FIFO window.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define REG_ID 0x00
#define REG_CTRL 0x04
#define REG_STATUS 0x08
#define REG_DATA 0x10

static inline uint32_t rd32(volatile uint8_t *bar, unsigned off)
{
	return *(volatile uint32_t *)(bar + off);
}
static inline void wr32(volatile uint8_t *bar, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(bar + off) = v;
}

int main(void)
{
	int fd = memfd_create("mmiotap-demo", 0);
	if (fd < 0 || ftruncate(fd, 4096) < 0) {
		perror("mmio_demo: memfd");
		return 1;
	}
	/* the "hardware" state before the driver starts: an ID register */
	uint32_t id = 0x1234abcd;
	if (pwrite(fd, &id, sizeof(id), REG_ID) != sizeof(id)) {
		perror("mmio_demo: pwrite");
		return 1;
	}
	volatile uint8_t *bar = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (bar == MAP_FAILED) {
		perror("mmio_demo: mmap");
		return 1;
	}
	uint32_t v = rd32(bar, REG_ID);             /* R 4 0x0 0x1234abcd */
	wr32(bar, REG_CTRL, 0x1);                   /* W 4 0x4 0x1 (reset) */
	wr32(bar, REG_STATUS, 0x80);                /* W 4 0x8 0x80 */
	uint32_t st = rd32(bar, REG_STATUS);        /* R 4 0x8 0x80 */
	*(volatile uint64_t *)(bar + REG_DATA) = 0x1122334455667788ull; /* W 8 0x10 */
	*(volatile uint8_t *)(bar + REG_CTRL) |= 0x2;  /* R 1 0x4 0x1, W 1 0x4 0x3 */
	munmap((void *)bar, 4096);
	printf("mmio_demo: id %#x status %#x\n", v, st);
	return v == 0x1234abcd && st == 0x80 ? 0 : 1;
}
