// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * bench_replay_prog.c - the program bench_replay.sh records and replays:
 * maps FILE and makes N (write register 0x4, read register 0x8) pairs.
 * usage: bench_replay_prog FILE N
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	volatile uint32_t *r;
	unsigned long n, i;
	uint32_t sum = 0;
	int fd;

	if (argc < 3)
		return 2;
	n = strtoul(argv[2], NULL, 0);
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	r = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r == MAP_FAILED)
		return 1;
	for (i = 0; i < n; i++) {
		r[1] = (uint32_t)i;
		sum += r[2];
	}
	printf("%u\n", sum);
	return 0;
}
