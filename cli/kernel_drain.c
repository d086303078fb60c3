// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kernel_drain.c - the module's records (kabi.h struct mmiotap_krec, per CPU)
 * into the common binary trace format (mmiotap/trace.h), in sequence order.
 * The kernel hands out one sequence number per record under its order lock;
 * STATUS tells the last one handed out, so after a read every record up to
 * it is in hand: those are written sorted, followed by a SYNC.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kernel_int.h"
#include "pcisysfs.h"

static int by_seq(const void *a, const void *b)
{
	const struct mmiotap_krec *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static uint16_t conv_flags(uint16_t kf)
{
	uint16_t f = 0;

	if (kf & MMIOTAP_KF_NMI) f |= MT_RF_NMI;
	if (kf & MMIOTAP_KF_NESTED) f |= MT_RF_NESTED;
	if (kf & MMIOTAP_KF_HARDIRQ) f |= MT_RF_HARDIRQ;
	if (kf & MMIOTAP_KF_SOFTIRQ) f |= MT_RF_SOFTIRQ;
	if (kf & MMIOTAP_KF_INJECTED) f |= MT_RF_INJECTED;
	if (kf & MMIOTAP_KF_DROPPED) f |= MT_RF_DROPPED;
	if (kf & MMIOTAP_KF_DELAYED) f |= MT_RF_DELAYED;
	if (kf & MMIOTAP_KF_LOCKED) f |= MT_RF_LOCKED;
	if (kf & MMIOTAP_KF_STRING) f |= MT_RF_STRING;
	if (kf & MMIOTAP_KF_STEPPED) f |= MT_RF_STEPPED;
	if (kf & MMIOTAP_KF_DISARMED) f |= MT_RF_DISARMED;
	return f;
}

static void write_event(struct drain *d, const struct mt_event *ev)
{
	int rc = mt_writer_event(d->w, ev);

	if (rc && !d->werr)
		d->werr = rc;
	d->nrec++;
}

/* The pending wide access, with what its DATA records gave (the rest, lost
 * with the DATA records, zero). */
static void flush_wide(struct drain *d)
{
	if (!d->wide_pending)
		return;
	d->wide_pending = 0;
	d->wide_ev.wide = d->wide;
	write_event(d, &d->wide_ev);
}

static void emit(struct drain *d, const struct mmiotap_krec *r)
{
	struct mt_event ev;

	if (r->type == MMIOTAP_KREC_DATA) {
		size_t n = r->width > 16 ? 16 : r->width;

		if (!d->wide_pending || r->seq != d->wide_ev.seq + (d->wide_len - 8) / 16 + 1)
			return; /* no wide access waiting for it: skipped */
		if (d->wide_len + n > d->wide_ev.width)
			n = d->wide_ev.width - d->wide_len;
		memcpy(d->wide + d->wide_len, r->insn, n);
		d->wide_len += 16;
		if (!(r->flags & MMIOTAP_KF_MORE) || d->wide_len >= d->wide_ev.width)
			flush_wide(d);
		return;
	}
	flush_wide(d);
	memset(&ev, 0, sizeof(ev));
	ev.seq = r->seq;
	ev.ts = r->ts_ns;
	ev.pc = r->pc;
	ev.pid = r->pid;
	ev.tid = MT_TID_UNKNOWN;
	ev.cpu = r->cpu;
	ev.map_id = r->map_id;
	ev.width = r->width;
	ev.flags = conv_flags(r->flags);
	if (r->type == MMIOTAP_KREC_MAP)
		mt_ksymrec_stale(d->ks); /* a driver mapping its device: maybe just loaded */
	if (r->type != MMIOTAP_KREC_LOST && r->type != MMIOTAP_KREC_MARK)
		mt_ksymrec_pc(d->ks, r->pc);
	switch (r->type) {
	case MMIOTAP_KREC_READ:
	case MMIOTAP_KREC_WRITE:
		ev.kind = r->type == MMIOTAP_KREC_READ ? MT_REC_READ : MT_REC_WRITE;
		ev.value = r->value;
		if (r->flags & MMIOTAP_KF_INJECTED) {
			/* orig: the value before injection, as many bytes as
			 * the record carries (the low 8) */
			ev.orig = (const uint8_t *)&r->orig;
			ev.orig_len = r->width > 8 ? 8 : r->width;
		}
		ev.phys = r->phys;
		ev.offset = r->phys - d->maps[r->map_id].phys;
		d->naccess++;
		if (r->width > 8 && r->width <= sizeof(d->wide)) {
			/* DATA records with bytes 8.. follow (seq + 1, ...). */
			memset(d->wide, 0, sizeof(d->wide));
			memcpy(d->wide, &r->value, 8);
			d->wide_len = 8;
			d->wide_ev = ev;
			if (ev.orig) {
				d->wide_orig = r->orig;
				d->wide_ev.orig = (const uint8_t *)&d->wide_orig;
			}
			d->wide_pending = 1;
			if (!(r->flags & MMIOTAP_KF_MORE))
				flush_wide(d);
			return;
		}
		break;
	case MMIOTAP_KREC_UNKNOWN:
		ev.kind = MT_REC_UNKNOWN;
		ev.phys = r->phys;
		ev.offset = r->phys - d->maps[r->map_id].phys;
		ev.insn = r->insn;
		ev.insn_len = r->width > 16 ? 16 : r->width;
		ev.width = 0;
		ev.value = (uint64_t)r->insn[0] << 16 | (uint64_t)r->insn[1] << 8 | r->insn[2];
		d->nunknown++;
		break;
	case MMIOTAP_KREC_LOST:
		ev.kind = MT_REC_LOST;
		ev.value = r->value;
		ev.width = 0;
		ev.map_id = 0;
		d->nlost += r->value;
		break;
	case MMIOTAP_KREC_MAP:
		ev.kind = MT_REC_MAP;
		ev.width = 0;
		ev.phys = r->phys;
		ev.map.map_id = r->map_id;
		ev.map.text_id = r->map_id;
		ev.map.pid = r->pid;
		ev.map.seq = r->seq;
		ev.map.ts = r->ts_ns;
		ev.map.phys = r->phys;
		ev.map.virt = r->virt;
		ev.map.size = r->value;
		ev.map.pc = r->pc;
		ev.map.path = "";
		ev.map.bar = r->width;
		if (r->pci != 0xffffffffu) {
			ev.map.source = MT_MAPSRC_PCI;
			ev.map.pci_domain = (uint16_t)(r->pci >> 16);
			ev.map.pci_bus = (uint8_t)(r->pci >> 8);
			ev.map.pci_devfn = (uint8_t)r->pci;
			ev.map.has_pci_ids = !mt_pci_ids_read(ev.map.pci_domain, ev.map.pci_bus,
							      ev.map.pci_devfn, &ev.map.pci_ids);
		} else {
			ev.map.source = MT_MAPSRC_NONE;
			ev.map.bar = 0xff;
		}
		d->maps[r->map_id].used = 1;
		d->maps[r->map_id].phys = r->phys;
		break;
	case MMIOTAP_KREC_UNMAP:
		ev.kind = MT_REC_UNMAP;
		ev.width = 0;
		break;
	case MMIOTAP_KREC_MARK: {
		size_t n = r->width > 16 ? 16 : r->width;

		if (!d->mark_len) {
			d->mark_seq = r->seq;
			d->mark_ts = r->ts_ns;
		}
		if (d->mark_len + n <= sizeof(d->mark)) {
			memcpy(d->mark + d->mark_len, r->insn, n);
			d->mark_len += n;
		}
		if (r->flags & MMIOTAP_KF_MORE)
			return;
		ev.kind = MT_REC_MARK;
		ev.seq = d->mark_seq;
		ev.ts = d->mark_ts;
		ev.width = 0;
		ev.map_id = 0;
		ev.flags = 0;
		ev.text = d->mark;
		ev.text_len = d->mark_len;
		d->mark_len = 0;
		break;
	}
	default:
		return; /* a newer module's record kind: skipped */
	}
	write_event(d, &ev);
}

static int recbuf_room(struct recbuf *b, size_t want)
{
	if (b->cap - b->n >= want)
		return 0;
	size_t cap = b->cap ? b->cap : 65536;
	while (cap - b->n < want)
		cap *= 2;
	void *p = realloc(b->v, cap * sizeof(*b->v));
	if (!p)
		return -ENOMEM;
	b->v = p;
	b->cap = cap;
	return 0;
}

/* One read() into b, of at most max records: how many came (0: the
 * module has none now), or -errno. */
static ssize_t read_some(struct drain *d, struct recbuf *b, size_t max)
{
	size_t want = max < 4096 ? max : 4096;
	ssize_t n;

	if (recbuf_room(b, want))
		return -ENOMEM;
	if (max > b->cap - b->n)
		max = b->cap - b->n;
	do
		n = read(d->fd, b->v + b->n, max * sizeof(*b->v));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	b->n += (size_t)n / sizeof(*b->v);
	return n / (ssize_t)sizeof(*b->v);
}

/*
 * Read what the round needs into b (the main thread): every record
 * committed before its STATUS. One read() of the module visits every CPU's
 * ring, each from where it is (mtk_buf_read(), kmod/src/mt_buf.c), and
 * stops only when it has MTK_READ_MAX records: a read of fewer than
 * MT_KDRAIN_ASK (<= MTK_READ_MAX) records emptied every ring, so every
 * record before it is out (here, or in a reader's store). Waiting for a
 * read of 0 instead never ends while the traced code writes as fast as we
 * read. Under such a load, at most budget records: then 1 (the round
 * cannot tell which records are complete; the rest comes next round),
 * else 0 or -errno.
 */
#define MT_KDRAIN_ASK 4096
#define MT_KDRAIN_BUDGET (64 * MT_KDRAIN_ASK)
static int read_all(struct drain *d, struct recbuf *b, size_t budget)
{
	size_t got = 0;
	ssize_t n;

	for (;;) {
		if (got >= budget)
			return 1;
		n = read_some(d, b, MT_KDRAIN_ASK);
		if (n < 0)
			return (int)n;
		if (n < MT_KDRAIN_ASK)
			return 0;
		got += (size_t)n;
	}
}

struct kreader {
	struct drain *d;
	int cpu;
	pthread_t th;
	pthread_mutex_t lock;       /* held across one read() and its append */
	struct recbuf got;
	int err;
};

/* Records a reader holds before it waits for the main thread to take
 * them (each round, every 50 ms): its memory stays bounded. */
static size_t reader_cap(const struct drain *d)
{
	return d->reader_cap ? d->reader_cap : MT_KREADER_CAP;
}

/* One read() into r's store, under its lock (gather() takes the store
 * between two reads, never during one). 1 when the store is full. */
static int reader_step(struct kreader *r)
{
	size_t cap = reader_cap(r->d);
	int full;

	pthread_mutex_lock(&r->lock);
	full = r->got.n >= cap;
	if (!full) {
		ssize_t n = read_some(r->d, &r->got, cap - r->got.n);

		if (n < 0)
			r->err = (int)n;
	}
	pthread_mutex_unlock(&r->lock);
	return full;
}

static void *reader_main(void *p)
{
	struct kreader *r = p;
	struct drain *d = r->d;
	struct timespec full_wait = { 0, 10 * 1000000L };
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	while (!__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE) && !r->err) {
		struct pollfd pfd = { .fd = d->fd, .events = POLLIN };

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (reader_step(r))
			nanosleep(&full_wait, NULL);
	}
	return NULL;
}

void mt_kdrain_readers_start(struct drain *d)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	for (int cpu = 0; cpu < n && d->nreaders < MT_KREADERS_MAX; cpu++) {
		struct kreader *r = calloc(1, sizeof(*r));

		if (!r)
			break;
		r->d = d;
		r->cpu = cpu;
		pthread_mutex_init(&r->lock, NULL);
		if (pthread_create(&r->th, NULL, reader_main, r)) {
			pthread_mutex_destroy(&r->lock);
			free(r);
			break;
		}
		d->readers[d->nreaders++] = r;
	}
}

/* After the last round: what the readers still hold went to d->work. */
void mt_kdrain_readers_stop(struct drain *d)
{
	__atomic_store_n(&d->stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < d->nreaders; i++)
		pthread_join(d->readers[i]->th, NULL);
}

void mt_kdrain_free(struct drain *d)
{
	for (int i = 0; i < d->nreaders; i++) {
		pthread_mutex_destroy(&d->readers[i]->lock);
		free(d->readers[i]->got.v);
		free(d->readers[i]);
	}
	d->nreaders = 0;
	free(d->work.v);
	mt_ksymrec_free(d->ks);
	d->ks = NULL;
}

/* Records the module counted lost and no LOST record brought (the last
 * losses of a CPU whose buffer never had room again): one LOST record. */
static void residual_lost(struct drain *d, const struct mmiotap_kstatus *st)
{
	struct mt_event ev;

	if (st->lost <= d->nlost)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = MT_REC_LOST;
	ev.seq = st->last_seq + 1;
	ev.tid = MT_TID_UNKNOWN;
	ev.cpu = MT_CPU_UNKNOWN;
	ev.value = st->lost - d->nlost;
	d->nlost = st->lost;
	write_event(d, &ev);
}

/* Move r's records to b. */
static int take(struct recbuf *b, struct recbuf *from)
{
	int rc = recbuf_room(b, from->n);

	if (!rc && from->n) {
		memcpy(b->v + b->n, from->v, from->n * sizeof(*from->v));
		b->n += from->n;
		from->n = 0;
	}
	return rc;
}

/*
 * STATUS, then read the rest the module has, then take what each reader
 * holds: afterwards every record numbered up to st->last_seq is in
 * d->work (a reader that took records out of the module before our read
 * found none holds its lock until they are in its store). 1: not so, the
 * read budget ran out first (read_all()); 0, or -errno.
 */
static int gather(struct drain *d, struct mmiotap_kstatus *st, int final)
{
	int rc, partial;

	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	if (ioctl(d->fd, MMIOTAP_KIOC_STATUS, st))
		return -errno;
	rc = read_all(d, &d->work, final ? SIZE_MAX : MT_KDRAIN_BUDGET);
	if (rc < 0)
		return rc;
	partial = rc;
	rc = 0;
	for (int i = 0; i < d->nreaders && !rc; i++) {
		struct kreader *r = d->readers[i];

		pthread_mutex_lock(&r->lock);
		rc = r->err ? r->err : take(&d->work, &r->got);
		pthread_mutex_unlock(&r->lock);
	}
	return rc ? rc : partial;
}

size_t mt_kdrain_emit(struct drain *d, struct mmiotap_krec *v, size_t n, uint64_t upto)
{
	size_t i;

	if (n)
		qsort(v, n, sizeof(*v), by_seq);
	for (i = 0; i < n && v[i].seq <= upto; i++)
		emit(d, &v[i]);
	/* A wide access's DATA records are numbered and committed with it:
	 * none is left pending here unless its DATA records were lost. */
	flush_wide(d);
	return i;
}

/* One round: status (the last seq handed out), drain, write what is
 * complete, SYNC. Returns 1 if the module still traces, 0 if not, <0. */
int mt_kdrain_round(struct drain *d, int final)
{
	struct mmiotap_kstatus st;
	struct recbuf *b = &d->work;
	size_t i, k;
	int rc = gather(d, &st, final);

	if (rc < 0)
		return rc;
	/* partial (rc 1): none is known complete; written next round */
	i = mt_kdrain_emit(d, b->v, b->n, final ? UINT64_MAX : rc ? 0 : st.last_seq);
	if (final)
		residual_lost(d, &st);
	/* the functions of new PCs, while their modules are loaded */
	int kr = mt_ksymrec_flush(d->ks, d->w);
	if (kr < 0 && !d->kserr)
		d->kserr = kr;
	if (i) {
		uint64_t ts = b->v[i - 1].ts_ns;

		for (k = i; k < b->n; k++)
			b->v[k - i] = b->v[k];
		b->n -= i;
		rc = mt_writer_sync(d->w, st.last_seq + 1, ts);
		if (rc && !d->werr)
			d->werr = rc;
	}
	return st.tracing;
}
