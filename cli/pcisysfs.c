// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pcisysfs.c - what the trace needs of the PCI devices, from sysfs: the ids
 * of a MAP's device (DATA MT_DATA_PCI_IDS), and mmiotrace's PCIDEV lines.
 *
 * PCIDEV, as mmio_print_pcidev() prints it from struct pci_dev:
 *   "PCIDEV %02x%02x %04x%04x %x" bus, devfn, vendor, device, irq; then for
 *   the 7 resources (6 BARs, ROM) " %llx" of start | (flags & 0xf), then
 *   " %llx" of end - start + 1 (0 if start >= end); then " DRIVER\n", or
 *   " \n" without a driver.
 * sysfs gives the same numbers: `irq` is dev->irq (the MSI vector when MSI
 * is on, as dev->irq then), `resource` lines are "start end flags" of
 * dev->resource[i] (pci_resource_to_user() is the identity on x86), and
 * the `driver` link is named after the driver's name. Devices come in
 * name order, which is the kernel's discovery order for the devices of
 * one bus; behind bridges the kernel may list them in another order.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcisysfs.h"

#define PCI_SYSFS "/sys/bus/pci/devices"

static int read_hex(const char *dir, const char *name, unsigned long long *v)
{
	char path[PATH_MAX], buf[64], *end;
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	*v = strtoull(buf, &end, 0);
	return end == buf ? -1 : 0;
}

int mt_pci_ids_read(uint16_t domain, uint8_t bus, uint8_t devfn, struct mt_pci_ids *ids)
{
	char dir[128];
	unsigned long long v[6];
	static const char *const f[6] = { "vendor", "device", "subsystem_vendor",
					  "subsystem_device", "revision", "class" };

	snprintf(dir, sizeof(dir), PCI_SYSFS "/%04x:%02x:%02x.%x", domain, bus, devfn >> 3,
		 devfn & 7);
	for (int i = 0; i < 6; i++)
		if (read_hex(dir, f[i], &v[i]))
			return -1;
	ids->vendor = (uint16_t)v[0];
	ids->device = (uint16_t)v[1];
	ids->subsys_vendor = (uint16_t)v[2];
	ids->subsys_device = (uint16_t)v[3];
	ids->revision = (uint8_t)v[4];
	ids->class_base = (uint8_t)(v[5] >> 16);
	ids->class_sub = (uint8_t)(v[5] >> 8);
	ids->class_prog = (uint8_t)v[5];
	return 0;
}

/* The 7 first resources: start | flags & 0xf, and sizes. */
static int resources(const char *dir, unsigned long long *start, unsigned long long *size)
{
	char path[PATH_MAX], line[256];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/resource", dir);
	f = fopen(path, "re");
	if (!f)
		return -1;
	for (i = 0; i < 7 && fgets(line, sizeof(line), f); i++) {
		unsigned long long s, e, fl;

		if (sscanf(line, "%llx %llx %llx", &s, &e, &fl) != 3)
			break;
		start[i] = s | (fl & 0xf);
		size[i] = s < e ? e - s + 1 : 0;
	}
	fclose(f);
	return i == 7 ? 0 : -1;
}

int mt_pcidev_line(const char *dir, char *buf, size_t room)
{
	unsigned long long vendor, device, irq, start[7], size[7];
	const char *name = strrchr(dir, '/');
	char path[PATH_MAX], drv[PATH_MAX];
	unsigned dom, bus, dev, fn;
	ssize_t n;
	size_t len;
	int i;

	name = name ? name + 1 : dir;
	if (sscanf(name, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4 ||
	    read_hex(dir, "vendor", &vendor) || read_hex(dir, "device", &device) ||
	    resources(dir, start, size))
		return -1;
	if (read_hex(dir, "irq", &irq)) /* decimal in sysfs (strtoull base 0) */
		irq = 0;
	len = (size_t)snprintf(buf, room, "PCIDEV %02x%02x %04llx%04llx %llx", bus & 0xff,
			       (dev << 3 | fn) & 0xff, vendor, device, irq);
	for (i = 0; i < 7 && len < room; i++)
		len += (size_t)snprintf(buf + len, room - len, " %llx", start[i]);
	for (i = 0; i < 7 && len < room; i++)
		len += (size_t)snprintf(buf + len, room - len, " %llx", size[i]);
	snprintf(path, sizeof(path), "%s/driver", dir);
	n = readlink(path, drv, sizeof(drv) - 1);
	if (n > 0) {
		const char *d;

		drv[n] = 0;
		d = strrchr(drv, '/');
		if (len < room)
			len += (size_t)snprintf(buf + len, room - len, " %s", d ? d + 1 : drv);
	} else if (len < room) {
		len += (size_t)snprintf(buf + len, room - len, " ");
	}
	return len < room ? 0 : -1;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int mt_pcidev_write(struct mt_writer *w, uint64_t *seq)
{
	struct dirent **ents;
	int n = scandir(PCI_SYSFS, &ents, NULL, by_name), count = 0, rc = 0;

	if (n < 0)
		return 0; /* no PCI (or no sysfs): no PCIDEV lines, as mmiotrace */
	for (int i = 0; i < n; i++) {
		char dir[PATH_MAX], line[1024];
		struct mt_event ev;

		if (ents[i]->d_name[0] == '.' || rc)
			goto next;
		snprintf(dir, sizeof(dir), PCI_SYSFS "/%s", ents[i]->d_name);
		if (mt_pcidev_line(dir, line, sizeof(line)))
			goto next;
		memset(&ev, 0, sizeof(ev));
		ev.kind = MT_REC_TEXT;
		ev.seq = (*seq)++;
		ev.text = line;
		ev.text_len = strlen(line);
		rc = mt_writer_event(w, &ev);
		count += !rc;
next:
		free(ents[i]);
	}
	free(ents);
	return rc ? rc : count;
}
