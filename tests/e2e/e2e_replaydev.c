// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_replaydev.c - a tiny "driver" for the replay tests: maps PATH at
 * OFFSET, reads the id register (0x0), writes VALUE to 0x4, polls 0x8 until
 * bit 0 is set, writes ~VALUE to 0xc, reads 0x10, and then polls 0x8 EXTRA
 * more times. Prints what it read.
 * usage: e2e_replaydev PATH OFFSET VALUE [EXTRA]
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	volatile uint32_t *r;
	uint32_t v, s = 0;
	unsigned long extra, i, polls = 0;
	int fd;

	if (argc < 4)
		return 2;
	setvbuf(stdout, NULL, _IONBF, 0);
	v = (uint32_t)strtoul(argv[3], NULL, 0);
	extra = argc > 4 ? strtoul(argv[4], NULL, 0) : 0;
	fd = open(argv[1], O_RDWR | O_SYNC);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	r = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)strtoull(argv[2], NULL, 0));
	if (r == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	printf("id %08x\n", r[0]);
	r[1] = v;
	while (!((s = r[2]) & 1))
		polls++;
	printf("status %08x after %lu polls\n", s, polls);
	r[3] = ~v;
	printf("result %08x\n", r[4]);
	for (i = 0; i < extra; i++)
		s = r[2];
	printf("done %08x\n", s);
	return 0;
}
