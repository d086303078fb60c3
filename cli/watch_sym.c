// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * watch_sym.c - find a symbol in an ELF file with elfutils' libelf
 * (see watch_sym.h).
 */
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <unistd.h>

#include "watch_sym.h"

/* Look for name in the symbol tables of type `type`. */
static int scan(Elf *e, Elf64_Word type, const char *name, struct mt_elf_sym *s)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || !sh.sh_entsize)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t n = d ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(d, (int)i, &sym))
				break;
			const char *nm = elf_strptr(e, sh.sh_link, sym.st_name);
			if (!nm || strcmp(nm, name) || sym.st_shndx == SHN_UNDEF)
				continue;
			s->value = sym.st_value;
			s->size = sym.st_size;
			s->tls = GELF_ST_TYPE(sym.st_info) == STT_TLS;
			s->defined = 1;
			return 1;
		}
	}
	return 0;
}

int mt_elf_find_symbol(const char *path, const char *name, struct mt_elf_sym *s,
		       const char **err)
{
	memset(s, 0, sizeof(*s));
	if (elf_version(EV_CURRENT) == EV_NONE) {
		*err = "libelf is too old";
		return -1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = "cannot open it";
		return -1;
	}
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	int rc;
	if (!e || elf_kind(e) != ELF_K_ELF) {
		*err = "not an ELF file";
		rc = -1;
	} else {
		rc = scan(e, SHT_SYMTAB, name, s) || scan(e, SHT_DYNSYM, name, s);
		GElf_Ehdr eh;
		s->dyn = gelf_getehdr(e, &eh) && eh.e_type == ET_DYN;
	}
	if (e)
		elf_end(e);
	close(fd);
	return rc;
}
