// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_symexec.c - test-record-symbols.sh's exec case: built twice, without
 * PIE, as STAGE 1 and STAGE 2, so both images hold their code at the same
 * addresses. Stage 1 writes its "device" page (a memfd) at 0x40 and execs
 * stage 2 (argv[1]), which writes at 0x44 from a function of another name
 * at the same address. Each write must resolve to its own image's
 * function, not to the image that ran last.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#if STAGE == 1
#define POKE stage_one_poke
#define OFF 0x10
#else
#define POKE stage_two_poke
#define OFF 0x11
#endif

__attribute__((noinline)) void POKE(volatile uint32_t *regs)
{
	regs[OFF] = 0x5a;
}

int main(int argc, char **argv)
{
	int fd = memfd_create("mmiotap-symx", 0);
	volatile uint32_t *regs;

	if (fd < 0 || ftruncate(fd, 4096))
		return 2;
	regs = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (regs == MAP_FAILED)
		return 2;
	POKE(regs);
	if (argc == 2) { /* stage 1: same code in both, so same addresses */
		execv(argv[1], (char *[]){ argv[1], NULL });
		perror("execv");
		return 3;
	}
	return 0;
}
