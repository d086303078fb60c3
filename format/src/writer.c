// SPDX-License-Identifier: GPL-2.0 OR MIT
/* writer.c - binary trace writer: buffers already-encoded records, writes them. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "mmiotap/trace.h"

struct mt_writer {
	int fd;
	int own_fd;
	int err;                 /* first error (sticky) */
	uint8_t *buf;
	size_t cap, used;
	uint64_t bytes;          /* bytes handed to write(2) + buffered */
	struct mt_enc_stream st; /* for mt_writer_event */
};

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t k = write(fd, b, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			return -EIO;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

int mt_writer_flush(struct mt_writer *w)
{
	int rc;

	if (!w)
		return -EINVAL;
	if (w->err)
		return w->err;
	if (!w->used)
		return 0;
	rc = write_all(w->fd, w->buf, w->used);
	w->used = 0;
	if (rc)
		w->err = rc;
	return rc;
}

int mt_writer_open_fd(struct mt_writer **wp, int fd, const struct mt_writer_opts *o)
{
	struct mt_writer_opts def = { .sz = sizeof(def) };
	struct mt_file_header h;
	struct mt_writer *w;
	int rc;

	if (!wp || fd < 0)
		return -EINVAL;
	*wp = NULL;
	if (o) {
		/* accept older, smaller option structs */
		size_t n = o->sz < sizeof(def) ? o->sz : sizeof(def);

		if (n < sizeof(size_t))
			return -EINVAL;
		memcpy(&def, o, n);
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->cap = def.bufsize ? def.bufsize : (1u << 20);
	if (w->cap < 4096)
		w->cap = 4096;
	w->buf = malloc(w->cap);
	if (!w->buf) {
		free(w);
		return -ENOMEM;
	}
	mt_file_header_init(&h, def.clock ? def.clock : MT_CLOCK_MONOTONIC, def.source,
			    def.pid, def.start_realtime_ns);
	h.compat = def.compat;
	memcpy(w->buf, &h, sizeof(h));
	w->used = sizeof(h);
	w->bytes = sizeof(h);
	mt_enc_stream_reset(&w->st);
	rc = mt_writer_flush(w);
	if (rc) {
		free(w->buf);
		free(w);
		return rc;
	}
	*wp = w;
	return 0;
}

/*
 * A trace holds what a driver did (a kernel trace recorded as root too):
 * created 0600, never through a symbolic link planted at the path, and an
 * existing file is reused (truncated) only if it is a regular file of the
 * caller's own; a character device (/dev/null) is written as it is.
 */
static int open_output(const char *path)
{
	struct stat st;
	int fd, fl, rc = 0;

	/* O_NONBLOCK: a FIFO planted at the path must not block the open. */
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == ELOOP ? -MT_EOUT_SYMLINK : -errno;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (S_ISREG(st.st_mode) && st.st_uid != geteuid())
		rc = -MT_EOUT_OWNER;
	else if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
		rc = -MT_EOUT_TYPE;
	else if (S_ISREG(st.st_mode) && ftruncate(fd, 0) < 0)
		rc = -errno;
	else if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		rc = -errno;
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

const char *mt_writer_strerror(int err)
{
	switch (-err) {
	case MT_EOUT_SYMLINK: return "is a symbolic link (refused: trace files are never written through one)";
	case MT_EOUT_OWNER: return "exists and belongs to another user (refused)";
	case MT_EOUT_TYPE: return "is not a regular file (refused)";
	default: return strerror(-err);
	}
}

int mt_writer_open_path(struct mt_writer **wp, const char *path,
			const struct mt_writer_opts *o)
{
	int fd, rc;

	if (!wp || !path)
		return -EINVAL;
	fd = open_output(path);
	if (fd < 0)
		return fd;
	rc = mt_writer_open_fd(wp, fd, o);
	if (rc) {
		close(fd);
		return rc;
	}
	(*wp)->own_fd = 1;
	return 0;
}

int mt_writer_append(struct mt_writer *w, const void *bytes, size_t n)
{
	if (!w || (n && !bytes) || (n & 7))
		return -EINVAL;
	if (w->err)
		return w->err;
	w->bytes += n;
	if (n > w->cap - w->used) {
		int rc = mt_writer_flush(w);

		if (rc)
			return rc;
		if (n >= w->cap) {
			rc = write_all(w->fd, bytes, n);
			if (rc)
				w->err = rc;
			return rc;
		}
	}
	memcpy(w->buf + w->used, bytes, n);
	w->used += n;
	return 0;
}

/* Encode straight into the buffer when it fits. */
static int append_encoded(struct mt_writer *w, int (*enc)(struct mt_writer *, uint8_t *,
							   size_t, const struct mt_event *),
			  const struct mt_event *ev)
{
	int n;

	if (w->err)
		return w->err;
	n = enc(w, w->buf + w->used, w->cap - w->used, ev);
	if (n == -ENOSPC) {
		int rc = mt_writer_flush(w);

		if (rc)
			return rc;
		n = enc(w, w->buf, w->cap, ev);
	}
	if (n < 0)
		return n;
	w->used += (size_t)n;
	w->bytes += (size_t)n;
	return 0;
}

static int enc_access(struct mt_writer *w, uint8_t *p, size_t room, const struct mt_event *ev)
{
	struct mt_enc_event e;

	memset(&e, 0, sizeof(e));
	e.kind = ev->kind;
	e.width = ev->width;
	e.flags = ev->flags;
	e.map_id = ev->map_id;
	e.cpu = ev->cpu;
	e.pid = ev->pid;
	e.tid = ev->tid;
	if (ev->offset > 0xffffffffull)
		return -ERANGE;
	e.offset = (uint32_t)ev->offset;
	e.seq = ev->seq;
	e.ts = ev->ts;
	e.pc = ev->pc;
	e.value = ev->value;
	if (ev->width > 8) {
		if (!ev->wide)
			return -EINVAL;
		e.wide = ev->wide;
	}
	if (ev->orig) {
		if (ev->orig_len != ev->width || !ev->width)
			return -EINVAL;
		e.orig = ev->orig;
		e.flags |= MT_RF_INJECTED;
	}
	if (ev->insn && ev->insn_len) {
		e.insn = ev->insn;
		e.insn_len = ev->insn_len;
	}
	return mt_enc_event(&w->st, p, room, &e);
}

static int enc_text(struct mt_writer *w, uint8_t *p, size_t room, const struct mt_event *ev)
{
	(void)w;
	return mt_enc_text(p, room, ev->kind, ev->seq, ev->ts, ev->text, ev->text_len);
}

static int enc_map(struct mt_writer *w, uint8_t *p, size_t room, const struct mt_event *ev)
{
	const struct mt_map_info *m = &ev->map;
	struct mt_enc_map e;
	int n;

	(void)w;
	memset(&e, 0, sizeof(e));
	e.map_id = m->map_id;
	e.source = m->source;
	e.bar = m->bar;
	e.mflags = m->mflags;
	e.pci_domain = m->pci_domain;
	e.pci_bus = m->pci_bus;
	e.pci_devfn = m->pci_devfn;
	e.pid = m->pid;
	e.text_id = m->text_id;
	e.seq = ev->seq;
	e.ts = ev->ts;
	e.phys = m->phys;
	e.virt = m->virt;
	e.size = m->size;
	e.pc = m->pc;
	e.file_offset = m->file_offset;
	e.path = m->path;
	e.path_len = m->path ? m->path_len : 0;
	n = mt_enc_map(p, room, &e);
	if (n < 0 || !m->has_pci_ids)
		return n;
	if ((size_t)n + MT_REC_DATA_FIXED + MT_ALIGN8(MT_PCI_IDS_LEN) > room)
		return -ENOSPC;
	return n + (int)mt__enc_data(p + n, MT_DATA_PCI_IDS, &m->pci_ids, MT_PCI_IDS_LEN);
}

/* OBJECT, KSYM, FILE: ev->text holds the raw record (as the reader returns it). */
static int enc_meta(struct mt_writer *w, uint8_t *p, size_t room, const struct mt_event *ev)
{
	struct mt_object_info o;
	struct mt_ksym_info k;
	struct mt_file_info f;
	int bad = ev->kind == MT_REC_OBJECT ? mt_object_parse(ev->text, ev->text_len, &o)
		  : ev->kind == MT_REC_FILE ? mt_file_parse(ev->text, ev->text_len, &f)
					    : mt_ksym_parse(ev->text, ev->text_len, &k);

	(void)w;
	if (bad)
		return -EINVAL;
	if (ev->text_len > room)
		return -ENOSPC;
	memcpy(p, ev->text, ev->text_len);
	return (int)ev->text_len;
}

int mt_writer_event(struct mt_writer *w, const struct mt_event *ev)
{
	if (!w || !ev)
		return -EINVAL;
	switch (ev->kind) {
	case MT_REC_READ:
	case MT_REC_WRITE:
	case MT_REC_UNKNOWN:
	case MT_REC_UNMAP:
	case MT_REC_LOST:
		return append_encoded(w, enc_access, ev);
	case MT_REC_MARK:
	case MT_REC_TEXT:
		if (ev->text_len && !ev->text)
			return -EINVAL;
		return append_encoded(w, enc_text, ev);
	case MT_REC_MAP:
		return append_encoded(w, enc_map, ev);
	case MT_REC_OBJECT:
	case MT_REC_KSYM:
	case MT_REC_FILE:
		if (!ev->text)
			return -EINVAL;
		return append_encoded(w, enc_meta, ev);
	case MT_REC_SYNC:
		return mt_writer_sync(w, ev->seq, ev->ts);
	default:
		return -EINVAL;
	}
}

int mt_writer_sync(struct mt_writer *w, uint64_t seq, uint64_t ts)
{
	uint8_t b[MT_REC_SIZE];
	int n;

	if (!w)
		return -EINVAL;
	n = mt_enc_sync(b, sizeof(b), seq, ts);
	if (n < 0)
		return n;
	return mt_writer_append(w, b, (size_t)n);
}

int mt_writer_close(struct mt_writer *w)
{
	int rc;

	if (!w)
		return -EINVAL;
	rc = mt_writer_flush(w);
	if (w->own_fd && close(w->fd) && !rc)
		rc = -errno;
	free(w->buf);
	free(w);
	return rc;
}

uint64_t mt_writer_bytes(const struct mt_writer *w)
{
	return w ? w->bytes : 0;
}
