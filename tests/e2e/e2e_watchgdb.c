// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_watchgdb.c - for tests/e2e/test-watch-gdb.sh: ten globals, each
 * stored once on its own line (marked STORE n), each followed by a line
 * marked AFTER n, where a watchpoint that fires after the store stops.
 */
volatile int w0, w1, w2, w3, w4, w5, w6, w7, w8, w9;
volatile int sink;

/* gdb sets the watchpoints at a breakpoint here */
__attribute__((noinline)) void ready(void)
{
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	ready();
	sink = 1;
	w0 = 100; /* STORE 0 */
	sink = 2; /* AFTER 0 */
	w1 = 101; /* STORE 1 */
	sink = 3; /* AFTER 1 */
	w2 = 102; /* STORE 2 */
	sink = 4; /* AFTER 2 */
	w3 = 103; /* STORE 3 */
	sink = 5; /* AFTER 3 */
	w4 = 104; /* STORE 4 */
	sink = 6; /* AFTER 4 */
	w5 = 105; /* STORE 5 */
	sink = 7; /* AFTER 5 */
	w6 = 106; /* STORE 6 */
	sink = 8; /* AFTER 6 */
	w7 = 107; /* STORE 7 */
	sink = 9; /* AFTER 7 */
	w8 = 108; /* STORE 8 */
	sink = 10; /* AFTER 8 */
	w9 = 109; /* STORE 9 */
	sink = 11; /* AFTER 9 */
	return 0;
}
