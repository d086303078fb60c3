// SPDX-License-Identifier: GPL-2.0 OR MIT
/* e2e_sym_lib.c - the libraries of e2e_sym_main.c (built twice: linked
 * with -DLINKED, and as the dlopen()ed one). */
#include <stdint.h>

#ifdef LINKED
void e2e_sym_lib_write(volatile uint32_t *regs)
{
	regs[8] = 0x22; /* SYM-LIB */
}
#else
void e2e_sym_dl_write(volatile uint32_t *regs)
{
	regs[12] = 0x33; /* SYM-DL */
}
#endif
