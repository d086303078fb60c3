// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ring_ns.c - the recorder's PID namespace, named in the ring header
 * (mmiotap/rt_ring.h): PIDs and TIDs in the ring (events, the lock word,
 * the recorder's pid for liveness checks) mean the same tasks only to
 * processes of that namespace.
 */
#include "mmiotap/rt_ring.h"

#include <errno.h>
#include <sys/stat.h>

/* Identity of the caller's PID namespace (st_dev, st_ino of
 * /proc/self/ns/pid, see namespaces(7)); 0, 0 when it cannot be told. */
void mt_ring_pidns_id(uint64_t *dev, uint64_t *ino)
{
	int saved = errno;
	struct stat st;
	if (stat("/proc/self/ns/pid", &st) == 0) {
		*dev = (uint64_t)st.st_dev;
		*ino = (uint64_t)st.st_ino;
	} else {
		*dev = *ino = 0;
	}
	errno = saved;
}

int mt_ring_same_pidns(const struct mt_ring *r)
{
	uint64_t dev, ino;
	uint64_t rdev = __atomic_load_n(&r->h->pidns_dev, __ATOMIC_RELAXED);
	uint64_t rino = __atomic_load_n(&r->h->pidns_ino, __ATOMIC_RELAXED);
	mt_ring_pidns_id(&dev, &ino);
	if (!ino || !rino)
		return -1;
	return dev == rdev && ino == rino;
}
