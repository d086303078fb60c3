// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * campaign_demo.c - a small "driver" with one bug for `mmiotap campaign`
 * to find (mmiotap-campaign(1), README "Fault-injection campaigns").
 *
 * The device is a page of a memfd named "campaign-demo" mapped MAP_SHARED,
 * as mmio_demo's. Registers:
 *   0x00 ID      checked: anything but 0xc0de0001 is refused (exit 1)
 *   0x04 SLOT    trusted: the index of the handler to run; all-ones
 *                indexes far past the table (the bug: SIGSEGV)
 *   0x08 BUSY    polled until bit 0 is clear, without a time limit
 *                (all-ones or stuck:1: the driver hangs)
 *   0x0c DATA    printed
 *
 *     mmiotap record --trace-file '/memfd:campaign-demo*' -o base.trace -- ./campaign_demo
 *     mmiotap campaign plan --from base.trace --faults all-ones,zero -o plan
 *     mmiotap campaign run --timeout 2 --trace-file '/memfd:campaign-demo*' plan -o out \
 *             -- ./campaign_demo
 *     mmiotap campaign report out
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#define REG_ID 0x00
#define REG_SLOT 0x04
#define REG_BUSY 0x08
#define REG_DATA 0x0c
#define DEMO_ID 0xc0de0001u

static inline uint32_t rd32(volatile uint8_t *bar, unsigned off)
{
	return *(volatile uint32_t *)(bar + off);
}

static void rx(volatile uint8_t *bar)
{
	printf("rx: data 0x%x\n", rd32(bar, REG_DATA));
}

static void tx(volatile uint8_t *bar)
{
	printf("tx: data 0x%x\n", rd32(bar, REG_DATA) ^ 0xffu);
}

static void (*const handlers[4])(volatile uint8_t *) = { rx, tx, rx, tx };

int main(void)
{
	static const uint32_t regs[4] = { DEMO_ID, 1, 0, 0x5a };
	int fd = memfd_create("campaign-demo", 0);

	if (fd < 0 || ftruncate(fd, 4096) < 0 || pwrite(fd, regs, sizeof(regs), 0) != sizeof(regs)) {
		perror("campaign_demo: device");
		return 2;
	}
	volatile uint8_t *bar = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (bar == MAP_FAILED) {
		perror("campaign_demo: mmap");
		return 2;
	}
	uint32_t id = rd32(bar, REG_ID);
	if (id != DEMO_ID) {
		fprintf(stderr, "campaign_demo: unknown device id 0x%x\n", id);
		return 1;
	}
	while (rd32(bar, REG_BUSY) & 1) /* no time limit: a second bug */
		usleep(1000);
	uint32_t slot = rd32(bar, REG_SLOT); /* trusted: the bug */
	handlers[slot](bar);
	printf("done\n");
	return 0;
}
