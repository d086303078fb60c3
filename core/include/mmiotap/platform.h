/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * platform.h - the one file of core/ that knows where it is compiled.
 *
 * core/ builds three ways from the same sources:
 *   - in the Linux kernel module (__KERNEL__ defined by Kbuild),
 *   - freestanding user space (-ffreestanding -nostdlib -mgeneral-regs-only),
 *     which CI uses to prove core/ needs no libc,
 *   - hosted user space (the runtime, the CLI, the tests).
 * Everything below this header is identical in all three.
 */
#ifndef MMIOTAP_PLATFORM_H
#define MMIOTAP_PLATFORM_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/errno.h>
#define mt_memcpy(d, s, n) memcpy((d), (s), (n))
#define mt_memset(d, c, n) memset((d), (c), (n))
#define mt_memcmp(a, b, n) memcmp((a), (b), (n))
#define MT_EINVAL EINVAL
#define MT_EFAULT EFAULT
#define MT_ENOSPC ENOSPC
#define MT_EOPNOTSUPP EOPNOTSUPP
#define MT_ENODATA ENODATA
#else /* user space, hosted or freestanding */
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#if __STDC_HOSTED__
#include <string.h>
#include <errno.h>
#define mt_memcpy(d, s, n) memcpy((d), (s), (n))
#define mt_memset(d, c, n) memset((d), (c), (n))
#define mt_memcmp(a, b, n) memcmp((a), (b), (n))
#define MT_EINVAL EINVAL
#define MT_EFAULT EFAULT
#define MT_ENOSPC ENOSPC
#define MT_EOPNOTSUPP EOPNOTSUPP
#define MT_ENODATA ENODATA
#else
/* Freestanding: no libc at all. Linux errno numbers are ABI and stable. */
static inline void *mt__memcpy(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;
	while (n--)
		*dp++ = *sp++;
	return d;
}
static inline void *mt__memset(void *d, int c, size_t n)
{
	unsigned char *dp = d;
	while (n--)
		*dp++ = (unsigned char)c;
	return d;
}
static inline int mt__memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *ap = a, *bp = b;
	for (; n; n--, ap++, bp++)
		if (*ap != *bp)
			return *ap < *bp ? -1 : 1;
	return 0;
}
#define mt_memcpy(d, s, n) mt__memcpy((d), (s), (n))
#define mt_memset(d, c, n) mt__memset((d), (c), (n))
#define mt_memcmp(a, b, n) mt__memcmp((a), (b), (n))
#define MT_EINVAL 22
#define MT_EFAULT 14
#define MT_ENOSPC 28
#define MT_EOPNOTSUPP 95
#define MT_ENODATA 61
#endif
#endif

/* Zydis, configured the same way in every world. */
#if defined(__KERNEL__) || !__STDC_HOSTED__
#ifndef ZYAN_NO_LIBC
#define ZYAN_NO_LIBC
#endif
#ifndef ZYDIS_STATIC_BUILD
#define ZYDIS_STATIC_BUILD
#endif
#ifndef ZYCORE_STATIC_BUILD
#define ZYCORE_STATIC_BUILD
#endif
#endif

#define MT_LIKELY(x) __builtin_expect(!!(x), 1)
#define MT_UNLIKELY(x) __builtin_expect(!!(x), 0)

#endif /* MMIOTAP_PLATFORM_H */
