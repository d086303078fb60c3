/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * watch_sym.h - a data symbol of an ELF file (elfutils libelf), for
 * `mmiotap watch SYMBOL`: its value (link-time address, or TLS offset) and
 * size, from .symtab, else .dynsym.
 */
#ifndef MMIOTAP_CLI_WATCH_SYM_H
#define MMIOTAP_CLI_WATCH_SYM_H

#include <stdint.h>

struct mt_elf_sym {
	uint64_t value, size;
	int tls;        /* STT_TLS: value is an offset in each thread's block */
	int defined;    /* not SHN_UNDEF */
	int dyn;        /* ET_DYN (PIE or shared library): value is relative
			 * to where it is loaded */
};

/* 1 found (*s filled), 0 not in the file, -1 the file cannot be read as
 * ELF (*err says why). */
int mt_elf_find_symbol(const char *path, const char *name, struct mt_elf_sym *s,
		       const char **err);

#endif
