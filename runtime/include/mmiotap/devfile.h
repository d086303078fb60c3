/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * devfile.h - what both user-space backends (runtime/preload and
 * runtime/ptrace) need to know about traced device files, in one place:
 *
 *  - mt_dev_read()/mt_dev_write(): one access of exactly the program's width
 *    on an alias mapping, with one instruction where the CPU has one (1, 2,
 *    4, 8, 16, 32, 64 bytes); other sizes (masked runs, m80) in naturally
 *    aligned 8/4/1-byte pieces.
 *  - mt_devfile_traced(): the default traced files (/dev/mem, /dev/uioN, PCI
 *    sysfs resourceN, VFIO device regions) plus the user's --trace-file globs.
 *  - mt_devfile_identify(): PCI function, BAR and physical address of a
 *    mapping, derived from its path.
 *
 * Not installed; no allocation; mt_dev_* are async-signal-safe.
 * mt_devfile_identify() opens sysfs files with the raw openat system call (so
 * an interposed open() of the preload runtime is not re-entered).
 */
#ifndef MMIOTAP_DEVFILE_H
#define MMIOTAP_DEVFILE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a mapping's path says about the device behind it; -1 / 0 unknown. */
struct mt_pci_info {
	int dom, bus, dev, fn;  /* PCI function */
	int bar;                /* BAR (sysfs resourceN, VFIO region index) */
	uint64_t phys;          /* physical address of file offset `off` */
};

void mt_dev_read(const volatile uint8_t *a, void *buf, unsigned size);
void mt_dev_write(volatile uint8_t *a, const void *buf, unsigned size);

/* 1 if path is traced: a default file (when defaults) or one of globs
 * (fnmatch, no flags). Paths as /proc shows them (sysfs resources resolve
 * to /sys/devices/pci...). */
int mt_devfile_traced(const char *path, int defaults, const char *const *globs, size_t nglobs);

/* 1 if path (absolute, no "//", ".", "..") lies under the prefixes of the
 * files that describe devices (/sys/bus, /sys/devices/.../pciDDDD:BB,
 * /sys/devices/platform, /sys/class/uio, /sys/kernel/iommu_groups,
 * /sys/module/vfio*, /dev/uio*, /dev/vfio, /dev/dsa): FILE records at
 * record time, served by `mmiotap replay`. */
int mt_devfile_described(const char *path);
/* 1 if such a file must not be read to record it (BARs, ROM, VPD, device
 * files). */
int mt_devfile_noread(const char *path);

/* Record flags (MT_EVF_LOCKED, _RMW, _STRING, _NT, _PARTIAL) of the core's
 * access flags (MT_ACC_*). */
unsigned mt_devfile_evflags(unsigned acc_flags);

/* Fill *pi for a mapping of path at file offset off (every field set). */
void mt_devfile_identify(const char *path, uint64_t off, struct mt_pci_info *pi);

#ifdef __cplusplus
}
#endif
#endif
