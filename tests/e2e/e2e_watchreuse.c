// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_watchreuse.c - a watched object whose page is unmapped is watched no
 * more: "old" is watched, its page munmap'ed and mapped again at the same
 * address, "new" watched on it. The store at old's address must not be
 * recorded as old's (and old is not in the list).
 */
#include <mmiotap/mmiotap.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
int main(void)
{
	volatile uint32_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || mmiotap_watch_named((void *)p, 4, 0, "old") != 0)
		return 1;
	p[0] = 1;
	munmap((void *)p, 4096);
	volatile uint32_t *q = mmap((void *)p, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (q != p || mmiotap_watch_named((void *)(q + 16), 4, 0, "new") != 0)
		return 2;
	q[0] = 2;
	q[16] = 3;
	char buf[256];
	printf("n=%d\n", mmiotap_watch_list(buf, sizeof buf));
	fputs(buf, stdout);
	return 0;
}
