// SPDX-License-Identifier: GPL-2.0 OR MIT
/* e2e_crashfork.c - libcrashfork.so of e2e_crashmark.c: a fork prepare
 * handler registered by a library constructor, which waits for a mutex. */
#include <pthread.h>

pthread_mutex_t crash_m = PTHREAD_MUTEX_INITIALIZER;
volatile int crash_in_prepare;

static void prepare(void)
{
	crash_in_prepare = 1;
	pthread_mutex_lock(&crash_m);
	pthread_mutex_unlock(&crash_m);
}

__attribute__((constructor)) static void init(void)
{
	pthread_atfork(prepare, NULL, NULL);
}
