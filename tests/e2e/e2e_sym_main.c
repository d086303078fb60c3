// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_sym_main.c - test-record-symbols.sh's program: writes a "device"
 * page (a memfd) from a static function of the program, from a function of
 * a shared library it is linked with, and from one of a library it
 * dlopen()s after mapping the page. The lines marked SYM-* are where the
 * trace's PCs must resolve.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

void e2e_sym_lib_write(volatile uint32_t *regs);

static __attribute__((noinline)) void poke_static(volatile uint32_t *regs)
{
	regs[4] = 0x11; /* SYM-STATIC */
}

int main(int argc, char **argv)
{
	int fd = memfd_create("mmiotap-sym", 0);
	void (*dl_write)(volatile uint32_t *);
	volatile uint32_t *regs;
	void *h;

	if (argc != 2 || fd < 0 || ftruncate(fd, 4096))
		return 2;
	regs = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (regs == MAP_FAILED)
		return 2;
	poke_static(regs);
	e2e_sym_lib_write(regs);
	h = dlopen(argv[1], RTLD_NOW);
	dl_write = h ? (void (*)(volatile uint32_t *))dlsym(h, "e2e_sym_dl_write") : NULL;
	if (!dl_write) {
		fprintf(stderr, "dlopen %s: %s\n", argv[1], dlerror());
		return 3;
	}
	dl_write(regs);
	return 0;
}
