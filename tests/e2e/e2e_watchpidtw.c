// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_watchpidtw.c - for tests/e2e/test-watch-pid-sys.sh: a thread in a
 * 10 s pthread_cond_timedwait on a condition variable sharing its page
 * with the watched global `tw`, signalled by main after 3 s. Attached and
 * detached while it waits (each interrupting a wait that would restart
 * through restart_syscall), it must still wake at the signal: prints
 * "woke go=1 fast" (else "slow": a wake-up lost on the wrong address).
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

struct tw {
	long x;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int go;
};
struct tw tw __attribute__((aligned(4096))) = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
};

static void *waiter(void *arg)
{
	struct timespec d, t0, t1;
	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&tw.mu);
	clock_gettime(CLOCK_REALTIME, &d);
	d.tv_sec += 10;
	while (!tw.go)
		if (pthread_cond_timedwait(&tw.cv, &tw.mu, &d))
			break;
	pthread_mutex_unlock(&tw.mu);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("woke go=%d %s\n", tw.go, t1.tv_sec - t0.tv_sec < 6 ? "fast" : "slow");
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	if (argc < 2 || pthread_create(&t, NULL, waiter, NULL))
		return 2;
	FILE *f = fopen(argv[1], "w");
	if (!f)
		return 2;
	fclose(f);
	sleep(3);
	pthread_mutex_lock(&tw.mu);
	tw.go = 1;
	tw.x++;
	pthread_cond_signal(&tw.cv);
	pthread_mutex_unlock(&tw.mu);
	pthread_join(t, NULL);
	return 0;
}
