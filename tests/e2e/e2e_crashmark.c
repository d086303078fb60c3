// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_crashmark.c - a program that dies of SIGSEGV, for the crash MARK of
 * runtime/preload/crashmark.c.
 *
 *   plain: dereferences NULL.
 *   fork:  thread B takes mutex M (as a thread inside malloc holds an arena
 *          lock), thread A calls fork(): the runtime's prepare handler takes
 *          the order lock, then the prepare handler of libcrashfork.so (its
 *          constructor ran before the runtime's, so its handler runs after
 *          ours, lock held) waits for M, as glibc's fork waits for malloc's
 *          locks. B then dies of SIGSEGV: its crash MARK must not wait for
 *          the order lock for ever (the process dies, it does not hang).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern pthread_mutex_t crash_m;
extern volatile int crash_in_prepare;

static void *forker(void *arg)
{
	(void)arg;
	fork(); /* never returns: the process dies first */
	return NULL;
}

int main(int argc, char **argv)
{
	volatile int *volatile nul = NULL;
	if (argc > 1 && !strcmp(argv[1], "fork")) {
		pthread_t a;
		pthread_mutex_lock(&crash_m);
		pthread_create(&a, NULL, forker, NULL);
		while (!crash_in_prepare)
			usleep(1000);
		usleep(20000); /* inside the wait for M */
	}
	return *nul;
}
