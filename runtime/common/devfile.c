// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * devfile.c - device accesses on an alias mapping, the traced-file globs and
 * PCI/physical address derivation, shared by the LD_PRELOAD runtime and the
 * ptrace tracer (see mmiotap/devfile.h), so that both trace the same files
 * and name them the same way in MAP records.
 */
#include <fcntl.h>
#include <fnmatch.h>
#include <immintrin.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mmiotap/devfile.h"
#include "mmiotap/emu.h"
#include "mmiotap/rt_ring.h"

__attribute__((target("avx"))) static void ld32(void *dst, const volatile void *src)
{
	__m256i v = _mm256_loadu_si256((const __m256i *)src);
	_mm256_storeu_si256((__m256i *)dst, v);
}
__attribute__((target("avx"))) static void st32(volatile void *dst, const void *src)
{
	__m256i v = _mm256_loadu_si256((const __m256i *)src);
	_mm256_storeu_si256((__m256i *)dst, v);
}
__attribute__((target("avx512f"))) static void ld64(void *dst, const volatile void *src)
{
	__m512i v = _mm512_loadu_si512((const void *)src);
	_mm512_storeu_si512(dst, v);
}
__attribute__((target("avx512f"))) static void st64(volatile void *dst, const void *src)
{
	__m512i v = _mm512_loadu_si512(src);
	_mm512_storeu_si512((void *)dst, v);
}

/* The access has the program's width at the program's address, aligned or
 * not (x86 allows it; a watched page of ordinary memory sees unaligned
 * ones all the time): UBSan's alignment check does not apply. */
__attribute__((no_sanitize("alignment")))
void mt_dev_read(const volatile uint8_t *a, void *buf, unsigned size)
{
	switch (size) {
	case 1: *(uint8_t *)buf = *a; return;
	case 2: { uint16_t v = *(const volatile uint16_t *)a; memcpy(buf, &v, 2); return; }
	case 4: { uint32_t v = *(const volatile uint32_t *)a; memcpy(buf, &v, 4); return; }
	case 8: { uint64_t v = *(const volatile uint64_t *)a; memcpy(buf, &v, 8); return; }
	case 16: { __m128i v = _mm_loadu_si128((const __m128i *)a); memcpy(buf, &v, 16); return; }
	case 32: ld32(buf, a); return;
	case 64: ld64(buf, a); return;
	}
	for (unsigned i = 0; i < size;) { /* masked runs, m80 */
		if (size - i >= 8 && !((uintptr_t)(a + i) & 7)) {
			uint64_t v = *(const volatile uint64_t *)(a + i);
			memcpy((uint8_t *)buf + i, &v, 8);
			i += 8;
		} else if (size - i >= 4 && !((uintptr_t)(a + i) & 3)) {
			uint32_t v = *(const volatile uint32_t *)(a + i);
			memcpy((uint8_t *)buf + i, &v, 4);
			i += 4;
		} else {
			((uint8_t *)buf)[i] = a[i];
			i++;
		}
	}
}

__attribute__((no_sanitize("alignment")))
void mt_dev_write(volatile uint8_t *a, const void *buf, unsigned size)
{
	switch (size) {
	case 1: *a = *(const uint8_t *)buf; return;
	case 2: { uint16_t v; memcpy(&v, buf, 2); *(volatile uint16_t *)a = v; return; }
	case 4: { uint32_t v; memcpy(&v, buf, 4); *(volatile uint32_t *)a = v; return; }
	case 8: { uint64_t v; memcpy(&v, buf, 8); *(volatile uint64_t *)a = v; return; }
	case 16: { __m128i v; memcpy(&v, buf, 16); _mm_storeu_si128((__m128i *)a, v); return; }
	case 32: st32(a, buf); return;
	case 64: st64(a, buf); return;
	}
	for (unsigned i = 0; i < size;) {
		if (size - i >= 8 && !((uintptr_t)(a + i) & 7)) {
			uint64_t v;
			memcpy(&v, (const uint8_t *)buf + i, 8);
			*(volatile uint64_t *)(a + i) = v;
			i += 8;
		} else if (size - i >= 4 && !((uintptr_t)(a + i) & 3)) {
			uint32_t v;
			memcpy(&v, (const uint8_t *)buf + i, 4);
			*(volatile uint32_t *)(a + i) = v;
			i += 4;
		} else {
			a[i] = ((const uint8_t *)buf)[i];
			i++;
		}
	}
}

/* Paths are what the kernel shows in /proc/PID/maps and /proc/PID/fd
 * (sysfs resources resolve to /sys/devices/pci...), or what the program
 * passed to open(). */
static const char *const default_globs[] = {
	"/dev/mem",
	"/dev/uio[0-9]*",
	"/sys/bus/pci/devices/*/resource[0-9]*",
	"/sys/devices/pci*/resource[0-9]*",
	"anon_inode:[vfio-device]",
};

int mt_devfile_traced(const char *path, int defaults, const char *const *globs, size_t nglobs)
{
	if (!path || !*path)
		return 0;
	if (defaults)
		for (size_t i = 0; i < sizeof(default_globs) / sizeof(default_globs[0]); i++)
			if (!fnmatch(default_globs[i], path, 0))
				return 1;
	for (size_t i = 0; i < nglobs; i++)
		if (!fnmatch(globs[i], path, 0))
			return 1;
	return 0;
}

static int read_small(const char *path, char *buf, size_t n)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t k = read(fd, buf, n - 1);
	close(fd);
	if (k < 0)
		return -1;
	buf[k] = 0;
	return 0;
}

static void parse_bdf(const char *s, struct mt_pci_info *pi)
{
	unsigned d, b, dv, f;
	if (sscanf(s, "%x:%x:%x.%x", &d, &b, &dv, &f) == 4) {
		pi->dom = (int)d;
		pi->bus = (int)b;
		pi->dev = (int)dv;
		pi->fn = (int)f;
	}
}

/* PCI BDF, BAR and physical address (of file offset off) from a sysfs
 * resource path, a UIO device, /dev/mem or a VFIO region offset. */
void mt_devfile_identify(const char *path, uint64_t off, struct mt_pci_info *pi)
{
	pi->dom = pi->bus = pi->dev = pi->fn = pi->bar = -1;
	pi->phys = 0;
	if (!path)
		return;
	const char *res = strstr(path, "/resource");
	if (res && res[9] >= '0' && res[9] <= '9') {
		const char *comp = res;
		while (comp > path && comp[-1] != '/')
			comp--;
		parse_bdf(comp, pi);
		pi->bar = res[9] - '0';
		char rp[PATH_MAX], buf[4096];
		snprintf(rp, sizeof(rp), "%.*s/resource", (int)(res - path), path);
		if (!read_small(rp, buf, sizeof(buf))) {
			char *line = buf;
			for (int i = 0; i < pi->bar && line; i++) {
				line = strchr(line, '\n');
				if (line)
					line++;
			}
			unsigned long long start;
			if (line && sscanf(line, "%llx", &start) == 1 && start)
				pi->phys = start + off;
		}
		return;
	}
	if (!strcmp(path, "/dev/mem")) {
		pi->phys = off;
		return;
	}
	unsigned uio;
	if (sscanf(path, "/dev/uio%u", &uio) == 1) {
		char p[128], buf[64];
		long pg = sysconf(_SC_PAGESIZE);
		snprintf(p, sizeof(p), "/sys/class/uio/uio%u/maps/map%llu/addr", uio,
			 (unsigned long long)(off / (uint64_t)pg));
		unsigned long long a;
		if (!read_small(p, buf, sizeof(buf)) && sscanf(buf, "%llx", &a) == 1)
			pi->phys = a;
		snprintf(p, sizeof(p), "/sys/class/uio/uio%u/device", uio);
		char link[PATH_MAX];
		ssize_t k = readlink(p, link, sizeof(link) - 1);
		if (k > 0) {
			link[k] = 0;
			const char *base = strrchr(link, '/');
			if (base)
				parse_bdf(base + 1, pi);
		}
		return;
	}
	if (!strcmp(path, "anon_inode:[vfio-device]")) {
		uint64_t idx = off >> 40; /* VFIO_PCI_OFFSET_SHIFT */
		if (idx <= 5)
			pi->bar = (int)idx;
	}
}

unsigned mt_devfile_evflags(unsigned f)
{
	unsigned r = 0;
	if (f & MT_ACC_LOCKED) r |= MT_EVF_LOCKED;
	if (f & MT_ACC_RMW) r |= MT_EVF_RMW;
	if (f & MT_ACC_STRING) r |= MT_EVF_STRING;
	if (f & MT_ACC_NT) r |= MT_EVF_NT;
	if (f & MT_ACC_PARTIAL) r |= MT_EVF_PARTIAL;
	return r;
}
