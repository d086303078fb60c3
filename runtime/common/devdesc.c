// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * devdesc.c - the files that describe a device to a user-space driver
 * before it maps it (what DPDK's EAL scans): recorded as FILE records by
 * the preload runtime, served from the recording by `mmiotap replay`.
 * The set is a list of path prefixes (docs/FORMAT.md 1.8): what DPDK
 * 22.11's EAL looks at to find devices (strace of dpdk-testpmd in QEMU):
 * the buses it scans (/sys/bus/pci, vmbus, auxiliary...), the devices'
 * directories, uio, IOMMU groups, whether vfio is loaded, /dev/uioN, VFIO
 * and DSA device nodes. A path under them that did not exist when recorded
 * does not exist at replay either.
 */
#include <string.h>

#include "mmiotap/devfile.h"

/* prefix: path equals it or continues with '/' (or, star, anything). */
static int under(const char *path, const char *prefix, int star)
{
	size_t n = strlen(prefix);

	if (strncmp(path, prefix, n))
		return 0;
	return star || path[n] == 0 || path[n] == '/';
}

static int hex(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* A PCI host bridge's directory on the way: /sys/devices/pci0000:00, or
 * deeper (Hyper-V's PCI domains under VMBUS: .../<guid>/pci1234:00). */
static int pci_root(const char *path)
{
	if (!under(path, "/sys/devices", 0))
		return 0;
	for (const char *p = strstr(path, "/pci"); p; p = strstr(p + 1, "/pci"))
		if (hex(p + 4, 4) && p[8] == ':' && hex(p + 9, 2) && (!p[11] || p[11] == '/'))
			return 1;
	return 0;
}

int mt_devfile_described(const char *path)
{
	if (!path || path[0] != '/')
		return 0;
	return under(path, "/sys/bus", 0) || pci_root(path) ||
	       under(path, "/sys/devices/platform", 0) || under(path, "/sys/class/uio", 0) ||
	       under(path, "/sys/kernel/iommu_groups", 0) || under(path, "/sys/module/vfio", 1) ||
	       under(path, "/dev/uio", 1) || under(path, "/dev/vfio", 0) ||
	       under(path, "/dev/dsa", 0);
}

/* A file under those prefixes whose content must not be read to record it:
 * BARs (resourceN, resourceN_wc), the expansion ROM, VPD
 * (reads can hang some devices), and the default device files of
 * mt_devfile_traced() (the preload runtime also checks the user's globs). */
int mt_devfile_noread(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	if (!strncmp(b, "resource", 8) && b[8] >= '0' && b[8] <= '9')
		return 1;
	return !strcmp(b, "rom") || !strcmp(b, "vpd") || mt_devfile_traced(path, 1, NULL, 0);
}
