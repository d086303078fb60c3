// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_objfork.c - the runtime's OBJECT events (objects.c) must not hold the
 * loader's lock while they wait for the order lock. Thread A forks: the
 * runtime's prepare handler takes the order lock, then the prepare handler
 * of libcrashfork.so (e2e_crashfork.c) waits for mutex crash_m. Meanwhile
 * thread B makes the process's first traced mapping, so the runtime looks
 * at its objects (dl_iterate_phdr) and waits for the order lock. Then
 * crash_m is released and the fork goes on: the child dlopen()s a library.
 * Had B held the loader's write lock (glibc does not reset it in the
 * child), the child's dlopen would hang.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern pthread_mutex_t crash_m;
extern volatile int crash_in_prepare;
static int status = -1;

static void *forker(void *arg)
{
	(void)arg;
	pid_t c = fork();
	if (c == 0) {
		void *h = dlopen("libm.so.6", RTLD_NOW);
		_exit(h ? 0 : 3);
	}
	waitpid(c, &status, 0);
	return NULL;
}

static void *mapper(void *arg)
{
	(void)arg;
	int fd = (int)syscall(SYS_memfd_create, "mmiotap-objfork", 0);
	if (fd < 0 || ftruncate(fd, 4096) < 0)
		return NULL;
	mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0); /* traced */
	return NULL;
}

int main(void)
{
	pthread_t a, b;
	pthread_mutex_lock(&crash_m);
	pthread_create(&a, NULL, forker, NULL);
	while (!crash_in_prepare)
		usleep(1000);
	pthread_create(&b, NULL, mapper, NULL);
	usleep(200000); /* B waits for the order lock */
	pthread_mutex_unlock(&crash_m);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("child %s\n", WIFEXITED(status) && !WEXITSTATUS(status) ? "ok" : "failed");
	return 0;
}
