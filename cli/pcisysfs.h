/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* pcisysfs.h - PCI devices as sysfs shows them (cli/pcisysfs.c). */
#ifndef MMIOTAP_CLI_PCISYSFS_H
#define MMIOTAP_CLI_PCISYSFS_H

#include <stdint.h>
#include "mmiotap/trace.h"

/* The ids of device DDDD:BB:DD.F from /sys/bus/pci/devices: 0, or -1 if
 * it is not there (gone, no sysfs). */
int mt_pci_ids_read(uint16_t domain, uint8_t bus, uint8_t devfn, struct mt_pci_ids *ids);
/* Write, as TEXT records numbered from *seq on (advanced), the PCIDEV line
 * of every PCI device, as the kernel's mmiotrace writes them at the start
 * of its trace (kernel/trace/trace_mmiotrace.c, mmio_print_pcidev()).
 * Returns the number of lines, or a negative errno of the writer. */
int mt_pcidev_write(struct mt_writer *w, uint64_t *seq);
/* The PCIDEV line of one device directory (without newline) into buf;
 * 0, or -1 if the directory does not read as a PCI device. */
int mt_pcidev_line(const char *devdir, char *buf, size_t room);

#endif
