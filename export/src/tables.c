// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tables.c - the exporters' two tables: the maps seen so far (by map_id, a
 * 16-bit id, so at most 65536 of them) and a set of 64-bit keys (the tracks
 * already described), open addressing with linear probing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export_int.h"

static void map_name(struct ex_map *m)
{
	const struct mt_map_info *i = &m->info;
	const char *tail;

	if (i->source == MT_MAPSRC_PCI) {
		if (i->bar != 0xff)
			snprintf(m->name, sizeof(m->name), "%04x:%02x:%02x.%x BAR%u",
				 i->pci_domain, i->pci_bus, i->pci_devfn >> 3,
				 i->pci_devfn & 7, i->bar);
		else
			snprintf(m->name, sizeof(m->name), "%04x:%02x:%02x.%x", i->pci_domain,
				 i->pci_bus, i->pci_devfn >> 3, i->pci_devfn & 7);
		return;
	}
	if (i->path_len) {
		tail = strrchr(i->path, '/');
		tail = tail && tail[1] ? tail + 1 : i->path;
		snprintf(m->name, sizeof(m->name), "%s @0x%" PRIx64, tail, i->phys);
		return;
	}
	snprintf(m->name, sizeof(m->name), "0x%" PRIx64, i->phys);
}

int ex_maps_add(struct ex_maps *t, const struct mt_map_info *info)
{
	struct ex_map *m;
	char *path;

	if (!t->by_id) {
		t->by_id = calloc(65536, sizeof(*t->by_id));
		if (!t->by_id)
			return -ENOMEM;
	}
	m = t->by_id[info->map_id];
	if (!m) {
		m = calloc(1, sizeof(*m));
		if (!m)
			return -ENOMEM;
		t->by_id[info->map_id] = m;
	} else {
		free((char *)m->info.path);
	}
	path = malloc((size_t)info->path_len + 1);
	if (!path)
		return -ENOMEM;
	memcpy(path, info->path ? info->path : "", info->path_len);
	path[info->path_len] = 0;
	m->info = *info;
	m->info.path = path;
	map_name(m);
	return 0;
}

const struct ex_map *ex_maps_get(const struct ex_maps *t, uint16_t id)
{
	return t->by_id ? t->by_id[id] : NULL;
}

void ex_maps_free(struct ex_maps *t)
{
	size_t i;

	if (!t->by_id)
		return;
	for (i = 0; i < 65536; i++)
		if (t->by_id[i]) {
			free((char *)t->by_id[i]->info.path);
			free(t->by_id[i]);
		}
	free(t->by_id);
	t->by_id = NULL;
}

static size_t slot_of(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

static int set_grow(struct ex_set *s)
{
	size_t cap = s->cap ? s->cap * 2 : 256, i, j;
	uint64_t *slot = calloc(cap, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	for (i = 0; i < s->cap; i++) {
		if (!s->slot[i])
			continue;
		for (j = slot_of(s->slot[i], cap); slot[j]; j = (j + 1) & (cap - 1))
			;
		slot[j] = s->slot[i];
	}
	free(s->slot);
	s->slot = slot;
	s->cap = cap;
	return 0;
}

int ex_set_add(struct ex_set *s, uint64_t key)
{
	size_t j;

	if ((s->n + 1) * 2 > s->cap && set_grow(s))
		return -ENOMEM;
	for (j = slot_of(key, s->cap); s->slot[j]; j = (j + 1) & (s->cap - 1))
		if (s->slot[j] == key)
			return 0;
	s->slot[j] = key;
	s->n++;
	return 1;
}

int ex_set_has(const struct ex_set *s, uint64_t key)
{
	size_t j;

	if (!s->cap)
		return 0;
	for (j = slot_of(key, s->cap); s->slot[j]; j = (j + 1) & (s->cap - 1))
		if (s->slot[j] == key)
			return 1;
	return 0;
}

void ex_set_free(struct ex_set *s)
{
	free(s->slot);
	s->slot = NULL;
	s->cap = s->n = 0;
}
