// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_forkexec.c - fork, exec, mremap, mprotect, munmap and markers under
 * `mmiotap record`. Stage 1 maps a memfd "mt-e2e", accesses it, forks (the
 * child's accesses are traced too, with its own pid), puts a marker with
 * mmiotap_mark() (found with dlsym: the program is not linked with
 * libmmiotap) and through `mmiotap mark` ($MT_MMIOTAP), grows the mapping
 * with mremap, makes it read-only with mprotect (a write then faults into
 * the program's handler), then execs itself with an environment that lacks
 * LD_PRELOAD (stage 2 must still be traced). Prints "R|W WIDTH OFFSET
 * VALUE" lines and "MARK text" lines; the harness compares sorted lists.
 */
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf jb;
static void on_segv(int s) { (void)s; siglongjmp(jb, 1); }

static volatile uint32_t *map_dev(size_t len)
{
	int fd = memfd_create("mt-e2e", 0);
	if (fd < 0 || ftruncate(fd, 8192) < 0)
		exit(99);
	volatile uint32_t *d = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (d == MAP_FAILED)
		exit(99);
	return d;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "stage2")) {
		volatile uint32_t *d = map_dev(4096);
		d[10] = 0x2222;
		printf("W 4 0x28 0x2222\nR 4 0x28 0x2222\n");
		return d[10] == 0x2222 ? 0 : 1;
	}
	volatile uint32_t *d = map_dev(4096);
	d[0] = 0x1111;
	printf("W 4 0x0 0x1111\n");
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		d[1] = 0xc1d;
		int ok = d[0] == 0x1111;
		printf("W 4 0x4 0xc1d\nR 4 0x0 0x1111\n");
		fflush(stdout);
		_exit(ok ? 0 : 1);
	}
	int st;
	waitpid(p, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return fprintf(stderr, "child failed\n"), 1;
	if (d[1] != 0xc1d)
		return fprintf(stderr, "child's write not visible\n"), 1;
	printf("R 4 0x4 0xc1d\n");

	int (*mark)(const char *) = (int (*)(const char *))dlsym(RTLD_DEFAULT, "mmiotap_mark");
	if (!mark || mark("from the program"))
		return fprintf(stderr, "mmiotap_mark not available\n"), 1;
	printf("MARK from the program\n");
	const char *m = getenv("MT_MMIOTAP");
	if (m) {
		char cmd[4096];
		snprintf(cmd, sizeof(cmd), "%s mark from the cli", m);
		if (system(cmd))
			return fprintf(stderr, "mmiotap mark failed\n"), 1;
		printf("MARK from the cli\n");
	}

	/* mremap: the grown mapping is traced as a whole */
	d = mremap((void *)d, 4096, 8192, MREMAP_MAYMOVE);
	if (d == MAP_FAILED)
		return perror("mremap"), 1;
	d[1024 + 1] = 0x5eed;
	printf("W 4 0x1004 0x5eed\n");
	if (d[0] != 0x1111)
		return fprintf(stderr, "mremap lost the contents\n"), 1;
	printf("R 4 0x0 0x1111\n");

	/* mprotect read-only: reads traced, a write is the program's fault */
	mprotect((void *)d, 8192, PROT_READ);
	signal(SIGSEGV, on_segv);
	int faulted = 0;
	if (!sigsetjmp(jb, 1))
		d[2] = 1;
	else
		faulted = 1;
	if (!faulted)
		return fprintf(stderr, "write to a read-only traced page did not fault\n"), 1;
	(void)d[1];
	printf("R 4 0x4 0xc1d\n");
	mprotect((void *)d, 8192, PROT_READ | PROT_WRITE);
	d[3] = 3;
	printf("W 4 0xc 0x3\n");
	/* munmap of the first page: the rest stays traced */
	munmap((void *)d, 4096);
	d[1024 + 2] = 0x77;
	printf("W 4 0x1008 0x77\n");
	fflush(stdout);

	/* exec without LD_PRELOAD in the environment */
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	char *args[] = { argv[0], "stage2", NULL };
	execve("/proc/self/exe", args, env);
	perror("execve");
	return 1;
}
