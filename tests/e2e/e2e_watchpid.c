// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_watchpid.c - for `mmiotap watch --pid` (tests/e2e/test-watch-pid.sh):
 * runs about 3 s, incrementing `counter` and `neighbor` (same page) every
 * millisecond in two threads; once started it creates the file argv[1]; at
 * the end prints the final values, the same whether watched or not.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define N 3000
volatile long counter;
volatile long neighbor;

static void pause_1ms(void)
{
	struct timespec ts = { 0, 1000000 };
	nanosleep(&ts, NULL);
}

static void *other(void *arg)
{
	(void)arg;
	for (int i = 0; i < N; i++) {
		neighbor = neighbor + 1;
		pause_1ms();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th;
	if (argc < 2 || pthread_create(&th, NULL, other, NULL))
		return 2;
	FILE *f = fopen(argv[1], "w");
	if (!f)
		return 2;
	fclose(f);
	for (int i = 0; i < N; i++) {
		counter = counter + 1;
		pause_1ms();
	}
	pthread_join(th, NULL);
	printf("counter %ld neighbor %ld\n", counter, neighbor);
	return 0;
}
