// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_watchstale.c - a watched page that glibc unmaps behind the runtime's
 * back (free() of a large block: glibc's own munmap, not the interposed
 * one), then mapped again by the program: the stale watch region must not
 * be copied over the new memory when the program forks (the child saw the
 * freed block's contents, "B", instead of its own, "D").
 */
#include <mmiotap/mmiotap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	char *p = malloc(1 << 20); /* an mmap'ed chunk */
	if (!p)
		return 1;
	memset(p, 'A', 1 << 20);
	if (mmiotap_watch(p + 8192, 4, 0))
		return 2;
	p[8192] = 'B';
	volatile uintptr_t base = (uintptr_t)p; /* its address, kept past free() */
	free(p);
	/* the freed block's pages mapped again by the program */
	char *r = mmap((void *)base, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	uintptr_t ra = (uintptr_t)r;
	if (r == MAP_FAILED || ra > base + 8192 || ra + (1 << 20) <= base + 8192) {
		printf("skip\n");
		return 0;
	}
	memset(r, 'D', 1 << 20);
	volatile char *w = r + (base + 8192 - ra);
	printf("parent=%c\n", *w);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		printf("child=%c\n", *w);
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	return 0;
}
