// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * sysvec.c - system calls with scattered buffers on watched pages: readv,
 * writev, preadv, pwritev, sendmsg, recvmsg (sysptr.c does the others).
 *
 * If the iovec array, a buffer, or sendmsg/recvmsg's header, name or
 * control data touches a watched page, all the pieces go into one bounce
 * buffer, passed to the kernel as one iovec (a writev stays one write: its
 * atomicity on a pipe is kept) and a header of our own; gathered from the
 * program's memory before (writev, sendmsg), scattered into it after
 * (readv, recvmsg: the bytes received, in order; recvmsg's name and control
 * data, and the lengths and flags the kernel set written back to the
 * program's header). Watched bytes are recorded as sysptr.c does. At most
 * 64 iovecs.
 */
#include "internal.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define MAX_IOV 64

struct kiov {
	uintptr_t base;
	size_t len;
};

struct kmsghdr {
	uintptr_t name;
	uint32_t namelen;
	uintptr_t iov;
	size_t iovlen;
	uintptr_t control;
	size_t controllen;
	int flags;
};

/* One piece: the program's (prog, len), at off in the bounce buffer. */
struct part {
	uintptr_t prog;
	size_t len, off;
};

struct vbuf {
	struct mt_tls *t;
	uint8_t *p;
	size_t total;
	uint64_t pc;
	unsigned nput;
};

/* Offsets for the parts; 1 if one of them touches a watched page, 0 if
 * none does, -1 if too big. */
static int layout(struct part *part, size_t np, size_t *total)
{
	int hit = 0;
	*total = 0;
	for (size_t i = 0; i < np; i++) {
		if (part[i].len > MT_SYS_MAX_BOUNCE || *total + part[i].len > MT_SYS_MAX_BOUNCE)
			return -1;
		part[i].off = *total;
		*total += part[i].len;
		hit |= mt_sys_touches(part[i].prog, part[i].len);
	}
	return hit;
}

/* The bounce buffer, filled from the parts if gather. 0 or -errno. */
static long vbuf_open(struct vbuf *v, ucontext_t *uc, const struct part *part, size_t np,
		      size_t total, int gather)
{
	memset(v, 0, sizeof(*v));
	v->t = mt_tls_get();
	v->total = total;
	v->pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP] - 2;
	if (!v->t)
		return -ENOMEM;
	long p = total ? mt_sud_raw(SYS_mmap, 0, (long)total, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) : 0;
	if (p < 0 && p > -4096)
		return p;
	v->p = (uint8_t *)p;
	long rc = 0;
	if (gather) {
		mt_hlock();
		for (size_t i = 0; i < np && !rc; i++)
			rc = mt_sysmem(v->t, part[i].prog, v->p + part[i].off, part[i].len, 0, v->pc,
				       &v->nput);
		mt_hunlock();
	}
	return rc;
}

/* n bytes of part back into the program (lock held): 0 or -EFAULT. */
static int put_back(struct vbuf *v, const struct part *part, size_t n)
{
	return mt_sysmem(v->t, part->prog, v->p + part->off, n, 1, v->pc, &v->nput);
}

/* The parts, in order, up to left bytes, back into the program (lock
 * held): 0 or -EFAULT. */
static int scatter(struct vbuf *v, const struct part *part, size_t np, size_t left)
{
	int bad = 0;
	for (size_t i = 0; i < np && left; i++) {
		size_t k = part[i].len < left ? part[i].len : left;
		bad |= put_back(v, &part[i], k);
		left -= k;
	}
	return bad ? -EFAULT : 0;
}

static long vbuf_close(struct vbuf *v, long rc)
{
	if (!v->nput)
		mt_watch_count_silent();
	if (v->p)
		mt_sud_raw(SYS_munmap, (long)v->p, (long)v->total, 0, 0, 0, 0);
	return rc;
}

/* The iovec and part arrays of a call (2.6 KiB): not on the stack, which
 * may be a program's small sigaltstack (the SIGSYS handler runs on the
 * stack the call was made on), but mapped for the call (a nested call from
 * a program's handler run meanwhile gets its own). */
struct vmeta {
	struct kiov iov[MAX_IOV];
	struct part part[MAX_IOV + 2];
};

static struct vmeta *meta_open(void)
{
	long p = mt_sud_raw(SYS_mmap, 0, (long)sizeof(struct vmeta), PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p < 0 && p > -4096 ? NULL : (struct vmeta *)p;
}

/* Returns r (meta_close(x, mt_sys_...) keeps the result). */
static int meta_close(struct vmeta *mv, int r)
{
	mt_sud_raw(SYS_munmap, (long)mv, (long)sizeof(*mv), 0, 0, 0, 0);
	return r;
}

/* ---- readv, writev, preadv, pwritev (a[1] the iovecs, a[2] their number) --------------- */

static int sys_iov(ucontext_t *uc, long nr, long a[6], long *res, struct vmeta *mv)
{
	struct kiov *iov = mv->iov, one;
	struct part *part = mv->part;
	long cnt = a[2];
	size_t total;
	if (cnt <= 0 || cnt > MAX_IOV || !a[1] ||
	    mt_sysptr_copy(uc, (uintptr_t)a[1], iov, (size_t)cnt * sizeof(iov[0]), 0))
		return 0; /* the kernel's answer (EINVAL, EFAULT), or not covered */
	for (long i = 0; i < cnt; i++)
		part[i] = (struct part){ iov[i].base, iov[i].len, 0 };
	int hit = layout(part, (size_t)cnt, &total);
	if (hit < 0 || !(hit || mt_sys_touches((uintptr_t)a[1], (size_t)cnt * sizeof(iov[0]))))
		return 0;
	int in = nr == SYS_readv || nr == SYS_preadv;
	struct vbuf v;
	long rc = vbuf_open(&v, uc, part, (size_t)cnt, total, !in);
	if (!rc) {
		long b[6];
		memcpy(b, a, sizeof(b));
		one = (struct kiov){ (uintptr_t)v.p, total };
		b[1] = (long)&one;
		b[2] = 1;
		rc = mt_sud_run_here(uc, nr, b);
	}
	if (in && rc > 0) {
		mt_hlock();
		if (scatter(&v, part, (size_t)cnt, (size_t)rc))
			rc = -EFAULT;
		mt_hunlock();
	}
	*res = vbuf_close(&v, rc);
	return 1;
}

typedef int (*vcall_fn)(ucontext_t *uc, long nr, long a[6], long *res, struct vmeta *mv);

/* fn with a scratch mapping for its arrays; without one, the call runs as
 * the program made it (EFAULT only if it touches a watched page). */
static int with_meta(vcall_fn fn, ucontext_t *uc, long nr, long a[6], long *res)
{
	struct vmeta *mv = meta_open();
	if (!mv)
		return 0;
	return meta_close(mv, fn(uc, nr, a, res, mv));
}

MT_HIDDEN int mt_sys_iov(ucontext_t *uc, long nr, long a[6], long *res)
{
	return with_meta(sys_iov, uc, nr, a, res);
}

/* ---- sendmsg, recvmsg (a[1] the header) -------------------------------------------- */

/* recvmsg's answer back into the program (lock held): name, control
 * data, the bytes received, the header's lengths and flags. */
static int msg_back(struct vbuf *v, uintptr_t hdr, struct kmsghdr *m, const struct kmsghdr *m2,
		    const struct part *part, size_t np, size_t got)
{
	int bad = 0;
	if (m->name) /* the kernel may report more than it copied */
		bad |= put_back(v, &part[0], m2->namelen < m->namelen ? m2->namelen : m->namelen);
	if (m->control && m2->controllen <= m->controllen)
		bad |= put_back(v, &part[1], m2->controllen);
	bad |= scatter(v, part + 2, np - 2, got);
	m->namelen = m2->namelen;
	m->controllen = m2->controllen;
	m->flags = m2->flags;
	bad |= mt_sysmem(v->t, hdr + offsetof(struct kmsghdr, namelen), (uint8_t *)&m->namelen,
			 sizeof(m->namelen), 1, v->pc, &v->nput);
	bad |= mt_sysmem(v->t, hdr + offsetof(struct kmsghdr, controllen),
			 (uint8_t *)&m->controllen, sizeof(m->controllen) + sizeof(m->flags), 1, v->pc,
			 &v->nput);
	return bad ? -EFAULT : 0;
}

static int sys_msg(ucontext_t *uc, long nr, long a[6], long *res, struct vmeta *mv)
{
	struct kmsghdr m, m2;
	struct kiov *iov = mv->iov, one;
	struct part *part = mv->part;
	size_t total, np = 2;
	if (!a[1] || mt_sysptr_copy(uc, (uintptr_t)a[1], &m, sizeof(m), 0) || m.iovlen > MAX_IOV ||
	    (m.iovlen && (!m.iov || mt_sysptr_copy(uc, m.iov, iov, m.iovlen * sizeof(iov[0]), 0))))
		return 0;
	part[0] = (struct part){ m.name, m.name ? m.namelen : 0, 0 };
	part[1] = (struct part){ m.control, m.control ? m.controllen : 0, 0 };
	for (size_t i = 0; i < m.iovlen; i++)
		part[np++] = (struct part){ iov[i].base, iov[i].len, 0 };
	int hit = layout(part, np, &total);
	if (hit < 0 || !(hit || mt_sys_touches((uintptr_t)a[1], sizeof(m)) ||
			 mt_sys_touches(m.iov, m.iovlen * sizeof(iov[0]))))
		return 0;
	int in = nr == SYS_recvmsg;
	struct vbuf v;
	long rc = vbuf_open(&v, uc, part, np, total, !in);
	if (!rc) {
		m2 = m;
		m2.name = m.name ? (uintptr_t)v.p + part[0].off : 0;
		m2.control = m.control ? (uintptr_t)v.p + part[1].off : 0;
		one = (struct kiov){ (uintptr_t)v.p + part[1].off + part[1].len,
				     total - part[1].off - part[1].len };
		m2.iov = (uintptr_t)&one;
		m2.iovlen = 1;
		long b[6];
		memcpy(b, a, sizeof(b));
		b[1] = (long)&m2;
		rc = mt_sud_run_here(uc, nr, b);
	}
	if (in && rc >= 0) {
		mt_hlock();
		if (msg_back(&v, (uintptr_t)a[1], &m, &m2, part, np, (size_t)rc))
			rc = -EFAULT;
		mt_hunlock();
	}
	*res = vbuf_close(&v, rc);
	return 1;
}

MT_HIDDEN int mt_sys_msg(ucontext_t *uc, long nr, long a[6], long *res)
{
	return with_meta(sys_msg, uc, nr, a, res);
}
