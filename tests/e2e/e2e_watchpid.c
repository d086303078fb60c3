// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_watchpid.c - for `mmiotap watch --pid` (tests/e2e/test-watch-pid.sh):
 * runs about 3 s, incrementing `counter` and `neighbor` (same page) every
 * millisecond in two threads, forking on SIGUSR1 (the child stores to its
 * own copy of counter); once started it creates the file argv[1];
 * at the end prints the final values, the same whether watched or not.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N 3000
volatile long counter;
volatile long neighbor;
static volatile sig_atomic_t want_fork;

static void on_usr1(int sig)
{
	(void)sig;
	want_fork = 1;
}

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
	signal(SIGUSR1, on_usr1);
	if (argc < 2 || pthread_create(&th, NULL, other, NULL))
		return 2;
	FILE *f = fopen(argv[1], "w");
	if (!f)
		return 2;
	fclose(f);
	for (int i = 0; i < N; i++) {
		counter = counter + 1;
		pause_1ms();
		if (want_fork) {
			want_fork = 0;
			/* a child's store to its copy of the page is not ours */
			pid_t c = fork();
			if (c == 0) {
				counter = 1000000;
				_exit(counter == 1000000 ? 0 : 1);
			}
			int st;
			if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
				return 3;
		}
	}
	pthread_join(th, NULL);
	printf("counter %ld neighbor %ld\n", counter, neighbor);
	return 0;
}
