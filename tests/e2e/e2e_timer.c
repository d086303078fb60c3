// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_timer.c - a driver-like program with a timer: the main thread
 * configures a memfd "mt-e2e" page (16 writes, the first of VALUE, each
 * read back)
 * while a second thread, in timer_tick(), polls a status register and
 * acknowledges it TICKS times at its own pace. How many ticks and where they
 * fall among the main thread's accesses is timing: what `mmiotap diff
 * --async timer_tick` is for.
 * Usage: e2e_timer TICKS VALUE ACK
 */
#define _GNU_SOURCE 1
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile uint32_t *regs;
static long ticks;
static uint32_t ack;

__attribute__((noinline)) void timer_tick(void)
{
	(void)regs[0x100 / 4];
	regs[0x104 / 4] = ack;
}

static void *timer(void *arg)
{
	(void)arg;
	for (long i = 0; i < ticks; i++) {
		usleep(700);
		timer_tick();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	uint32_t value;
	int fd = memfd_create("mt-e2e", 0);

	if (argc != 4)
		return 2;
	ticks = atol(argv[1]);
	value = (uint32_t)strtoul(argv[2], NULL, 0);
	ack = (uint32_t)strtoul(argv[3], NULL, 0);
	if (fd < 0 || ftruncate(fd, 4096) < 0)
		return 99;
	regs = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (regs == MAP_FAILED || pthread_create(&t, NULL, timer, NULL))
		return 99;
	for (int i = 0; i < 16; i++) {
		uint32_t v = i ? 0x100 + (uint32_t)i : value;

		regs[i] = v;
		if (regs[i] != v)
			return 1;
		usleep(300);
	}
	pthread_join(t, NULL);
	return 0;
}
