// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ring_file.c - the ring file (mmiotap/rt_ring.h): created by the recorder,
 * opened by producers and `mmiotap mark`, checked once. The handle keeps
 * the geometry it checked (struct mt_ring): the file is shared with the
 * traced program, which may rewrite its header at any time.
 */
#include "mmiotap/rt_ring.h"
#include "mmiotap/rt_task.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void mt_ring_pidns_id(uint64_t *dev, uint64_t *ino); /* ring_ns.c */

static void *map_file(int fd, size_t total)
{
	void *p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

int mt_ring_adopt(void *mem, size_t len, struct mt_ring *r)
{
	struct mt_ring_hdr *h = mem;
	/* read once: the handle's copy is the one checked */
	uint64_t size = __atomic_load_n(&h->data_size, __ATOMIC_RELAXED);
	if (len < MT_RING_HDR_SIZE || h->magic != MT_RING_MAGIC ||
	    h->version != MT_RING_VERSION || size < 4 * MT_EV_MAX || (size & (size - 1)) ||
	    size != len - MT_RING_HDR_SIZE)
		return -EPROTO;
	memset(r, 0, sizeof(*r));
	r->h = h;
	r->data = (uint8_t *)mem + MT_RING_HDR_SIZE;
	r->size = size;
	return 0;
}

/* A new ring in the file fd of total bytes: header written, then magic. */
static struct mt_ring *ring_init(int fd, size_t data_size)
{
	size_t total = MT_RING_HDR_SIZE + data_size;
	struct mt_ring *r = calloc(1, sizeof(*r));
	struct mt_ring_hdr *h = r ? map_file(fd, total) : NULL;
	if (!h) {
		int e = errno;
		free(r);
		errno = e;
		return NULL;
	}
	memset(h, 0, MT_RING_HDR_SIZE);
	h->data_size = data_size;
	h->version = MT_RING_VERSION;
	h->recorder_pid = (uint32_t)getpid();
	h->recorder_start = mt_task_start(h->recorder_pid);
	mt_ring_pidns_id(&h->pidns_dev, &h->pidns_ino);
	__atomic_store_n(&h->magic, MT_RING_MAGIC, __ATOMIC_RELEASE);
	r->h = h;
	r->data = (uint8_t *)h + MT_RING_HDR_SIZE;
	r->size = data_size;
	r->map_len = total;
	return r;
}

int mt_ring_create(const char *path, size_t data_size, struct mt_ring **out)
{
	if (!data_size || (data_size & (data_size - 1)) || data_size < 4 * MT_EV_MAX)
		return -EINVAL;
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	struct mt_ring *r = NULL;
	int e = 0;
	if (ftruncate(fd, (off_t)(MT_RING_HDR_SIZE + data_size)) < 0 ||
	    !(r = ring_init(fd, data_size)))
		e = -errno;
	close(fd);
	if (e) {
		unlink(path);
		return e;
	}
	*out = r;
	return 0;
}

/* A ring file may only be one of ours: a regular file of our own user that
 * nobody else may write (a ring planted in /dev/shm by someone else could
 * hold its lock forever, or feed the recorder). */
static int ring_file_ok(const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	if (st->st_uid != geteuid() || (st->st_mode & 077))
		return -EPERM;
	if ((size_t)st->st_size < MT_RING_HDR_SIZE + 4 * MT_EV_MAX)
		return -EINVAL;
	return 0;
}

int mt_ring_open(const char *path, struct mt_ring **out)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct stat st;
	void *p = NULL;
	int e = 0;
	if (fstat(fd, &st) < 0)
		e = -errno;
	else if ((e = ring_file_ok(&st)) == 0 && !(p = map_file(fd, (size_t)st.st_size)))
		e = -errno;
	close(fd);
	if (e)
		return e;
	struct mt_ring *r = calloc(1, sizeof(*r));
	if (!r)
		e = -ENOMEM;
	else if ((e = mt_ring_adopt(p, (size_t)st.st_size, r)) == 0)
		r->map_len = (size_t)st.st_size;
	if (e) {
		munmap(p, (size_t)st.st_size);
		free(r);
		return e;
	}
	*out = r;
	return 0;
}

void mt_ring_close(struct mt_ring *r)
{
	if (!r)
		return;
	if (r->map_len)
		munmap(r->h, r->map_len);
	free(r);
}
