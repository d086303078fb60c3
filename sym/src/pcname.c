// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pcname.c - cached PC -> "function+0xoff" (mmiotap/pcname.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmiotap/sym.h"
#include "mmiotap/pcname.h"

#define PCNAME_SLOTS 4096u /* direct-mapped, power of two */

struct mt_pcname_slot {
	uint64_t pc;
	uint32_t pid;
	uint8_t used, found;
	char name[80];
};

struct mt_pcname {
	struct mt_sym *sym;
	struct mt_pcname_slot slot[PCNAME_SLOTS];
	char scratch[80];       /* a name that depends on seq: not cached */
	int varies;             /* the last answer was one */
};

struct mt_pcname *mt_pcname_open(const char *path)
{
	struct mt_pcname *p;
	char err[256];

	if (!path || !strcmp(path, "-"))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	if (mt_sym_open_path(&p->sym, path, err, sizeof(err)) < 0 || !p->sym) {
		free(p);
		return NULL;
	}
	return p;
}

struct mt_pcname *mt_pcname_new(void)
{
	struct mt_pcname *p = calloc(1, sizeof(*p));

	if (p && !(p->sym = mt_sym_new())) {
		free(p);
		p = NULL;
	}
	return p;
}

int mt_pcname_add(struct mt_pcname *p, const struct mt_event *ev)
{
	return mt_sym_add(p->sym, ev);
}

const char *mt_pcname_get(struct mt_pcname *p, uint32_t pid, uint64_t pc, uint64_t seq)
{
	struct mt_pcname_slot *s;
	struct mt_sym_loc loc;
	int found;

	if (!p || !pc)
		return NULL;
	p->varies = 0;
	s = &p->slot[((pc >> 1) ^ (pc >> 13) ^ pid) & (PCNAME_SLOTS - 1)];
	if (s->used && s->pc == pc && s->pid == pid)
		return s->found ? s->name : NULL;
	found = mt_sym_lookup(p->sym, pid, pc, seq, &loc) > 0 && (loc.func || loc.object);
	if (found && loc.ambiguous) {
		mt_sym_format(&loc, 1, pc, p->scratch, sizeof(p->scratch));
		p->varies = 1;
		return p->scratch;
	}
	s->used = 1;
	s->pc = pc;
	s->pid = pid;
	s->found = found;
	if (found)
		mt_sym_format(&loc, 1, pc, s->name, sizeof(s->name));
	return found ? s->name : NULL;
}

int mt_pcname_varies(const struct mt_pcname *p)
{
	return p && p->varies;
}

void mt_pcname_free(struct mt_pcname *p)
{
	if (!p)
		return;
	mt_sym_free(p->sym);
	free(p);
}
