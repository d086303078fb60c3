// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_watchpidsys.c - for tests/e2e/test-watch-pid-sys.sh: `watch --pid`
 * on a global that shares its page with a mutex and a condition variable.
 * Four threads take turns (turn % 4 names whose it is) for about 3 s, each
 * adding one to `shared.total` in its turn; two wait with
 * pthread_cond_wait, two with pthread_cond_timedwait (a wait interrupted
 * by an attach or detach then restarts through restart_syscall). Every
 * 100 turns, the owner of the turn read()s 8 bytes from a pipe into
 * `shared.buf`, on the same page. Once started it creates the file argv[1];
 * at the end prints the totals, the same whether watched or not.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 10000
#define THREADS 4

struct shared {
	long total;
	char buf[8];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	long turn;
	long bytes;
};
struct shared shared __attribute__((aligned(4096))) = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
};
static int pfd[2];
static long mine[THREADS];

static void pause_1ms(void)
{
	struct timespec ts = { 0, 1000000 };
	nanosleep(&ts, NULL);
}

static void wait_turn(long me)
{
	while (shared.turn < ROUNDS && shared.turn % THREADS != me) {
		if (me & 1) {
			struct timespec dl;
			clock_gettime(CLOCK_REALTIME, &dl);
			dl.tv_sec += 5;
			pthread_cond_timedwait(&shared.cv, &shared.mu, &dl);
		} else {
			pthread_cond_wait(&shared.cv, &shared.mu);
		}
	}
}

static void *run(void *arg)
{
	long me = (long)arg;
	for (;;) {
		pthread_mutex_lock(&shared.mu);
		wait_turn(me);
		if (shared.turn >= ROUNDS) {
			pthread_mutex_unlock(&shared.mu);
			return NULL;
		}
		shared.total = shared.total + 1;
		mine[me]++;
		if (shared.turn % 100 == 0) {
			if (write(pfd[1], "abcdefgh", 8) != 8 ||
			    read(pfd[0], shared.buf, sizeof(shared.buf)) != 8 ||
			    memcmp(shared.buf, "abcdefgh", 8)) {
				pthread_mutex_unlock(&shared.mu);
				return (void *)1;
			}
			shared.bytes += 8;
		}
		shared.turn++;
		pthread_cond_broadcast(&shared.cv);
		pthread_mutex_unlock(&shared.mu);
		pause_1ms();
	}
}

int main(int argc, char **argv)
{
	pthread_t th[THREADS];
	if (argc < 2 || pipe(pfd))
		return 2;
	for (long i = 0; i < THREADS; i++)
		if (pthread_create(&th[i], NULL, run, (void *)i))
			return 2;
	FILE *f = fopen(argv[1], "w");
	if (!f)
		return 2;
	fclose(f);
	int bad = 0;
	for (int i = 0; i < THREADS; i++) {
		void *rv;
		pthread_join(th[i], &rv);
		bad |= rv != NULL;
	}
	printf("total %ld turn %ld bytes %ld", shared.total, shared.turn, shared.bytes);
	for (int i = 0; i < THREADS; i++)
		printf(" t%d %ld", i, mine[i]);
	printf("\n");
	return bad ? 4 : shared.total == ROUNDS ? 0 : 3;
}
