/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * rt_ring.h - the event ring shared by every traced process of one
 * recording and the `mmiotap record` process that drains it to the trace
 * file.
 *
 * The ring is a file in /dev/shm mapped MAP_SHARED by everyone (it survives
 * fork and, by path in MMIOTAP_RING, exec). One futex lock in the ring
 * header is held around "device access + event": taking the sequence number
 * and publishing the event under the same lock makes the order of events
 * exactly the order of device accesses, across threads and processes.
 * Producers never drop: when the ring is full they wait for the consumer.
 * The consumer never needs the lock.
 *
 * The lock word holds the holder's TID, so a holder that dies (SIGKILL, OOM,
 * exit_group from another thread) is noticed and the lock taken over; the
 * sequence numbers it reserved but never published become a LOST event.
 * The protocol is described at mt_ring_lock() in runtime/common/ring.c.
 *
 * Events are variable length (multiple of 8 bytes) and self-describing.
 */
#ifndef MMIOTAP_RT_RING_H
#define MMIOTAP_RT_RING_H

#include <stdint.h>
#include <stddef.h>

#define MT_RING_MAGIC 0x4d54524eu /* "MTRN" */
#define MT_RING_VERSION 4u
#define MT_RING_HDR_SIZE 4096u
#define MT_EV_MAX 2048u /* largest single event, bytes */

enum mt_ev_type {
	MT_EV_READ = 1,
	MT_EV_WRITE = 2,
	MT_EV_MAP = 3,
	MT_EV_UNMAP = 4,
	MT_EV_MARK = 5,
	MT_EV_UNKNOWN = 6,  /* data: instruction bytes (width = length) */
	MT_EV_LOST = 7,     /* addr = number of events lost; seq = the first of them */
	MT_EV_OBJECT = 8,   /* struct mt_ev_object: an ELF object of the process;
			     * seq = the next event's (it takes no number) */
	MT_EV_FILE = 9,     /* data: a whole FILE record (struct mt_rec_file +
			     * path + data, width bytes); its pid, ts, seq are
			     * the event's; seq = the next event's */
};

/* Event flags. */
#define MT_EVF_INJECTED 0x0001u   /* value changed (or write dropped) by an --inject rule */
#define MT_EVF_LOCKED 0x0002u     /* part of a LOCK-ed / XCHG access */
#define MT_EVF_RMW 0x0004u        /* one half of a read-modify-write */
#define MT_EVF_STRING 0x0008u     /* element of a string instruction */
#define MT_EVF_NT 0x0010u         /* non-temporal / direct store */
#define MT_EVF_PARTIAL 0x0020u    /* masked vector run */
#define MT_EVF_STEPPED 0x0040u    /* UNKNOWN: executed natively by single-step */
#define MT_EVF_PROBE 0x0080u      /* value changed (or write dropped) by a libmmiotap probe */
#define MT_EVF_DROPPED 0x0100u    /* write not performed (rule or probe) */
#define MT_EVF_UNDECODED 0x0200u  /* UNKNOWN: invalid or truncated encoding */
#define MT_EVF_DELAYED 0x0400u    /* access delayed by an injection rule */
#define MT_EVF_WATCH 0x0800u      /* MAP: a watched object (`mmiotap watch`): path is
				   * its name, addr its virtual address */
#define MT_EVF_NEWIMAGE 0x1000u   /* OBJECT: the first of a process image (after
				   * exec: objects known of the pid are stale) */
/* R/W events with MT_EVF_INJECTED or MT_EVF_PROBE carry the original value
 * after the value (mt_inject_flags() in mmiotap/inject.h decides). */

struct mt_ev {
	uint16_t type;   /* enum mt_ev_type */
	uint16_t size;   /* total bytes including this header, multiple of 8 */
	uint16_t width;  /* access bytes (R/W), data bytes (UNKNOWN, MARK) */
	uint16_t flags;  /* MT_EVF_* */
	uint32_t pid, tid;
	uint32_t cpu;    /* CPU at the time of the access, ~0u unknown */
	uint32_t map_id; /* MAP id the address belongs to, 0 none */
	uint64_t seq;    /* global sequence number (all processes) */
	uint64_t ts;     /* CLOCK_MONOTONIC ns */
	uint64_t pc;
	uint64_t addr;   /* virtual address in the traced process */
	uint8_t data[];  /* R/W: value (width bytes, little endian) ... */
};

/* Payload of MT_EV_MAP (addr = program's start address). */
struct mt_ev_map {
	uint64_t len;
	uint64_t offset;   /* file offset */
	uint64_t phys;     /* physical address if known, else 0 */
	uint32_t prot;
	int32_t bar;       /* PCI BAR, -1 unknown */
	int32_t pci_domain, pci_bus, pci_dev, pci_fn; /* -1 unknown */
	uint16_t pathlen;
	char path[];       /* pathlen bytes, not NUL terminated */
};

/* Payload of MT_EV_OBJECT: nranges ranges (start, end, file offset: the
 * executable PT_LOAD segments), then build_id_len bytes of build id, then
 * pathlen bytes of path (not NUL terminated). */
#define MT_EV_OBJ_RANGES_MAX 8
struct mt_ev_object {
	uint64_t bias;     /* load bias: run-time address - ELF p_vaddr */
	uint16_t nranges;
	uint16_t build_id_len;
	uint16_t pathlen;
	uint16_t pad;
	uint64_t ranges[];  /* 3 * nranges */
};

/* ring->h->closing: the recorder ended the recording (the program it ran
 * exited, or it was told to stop), or it is gone (SIGKILL, OOM: a producer
 * that waited for room found it dead). Either way every traced process
 * stops tracing: its mappings get their protection back, what it would
 * still put is discarded (counted in ndiscarded). */
#define MT_RING_CLOSED 1u
#define MT_RING_ORPHANED 2u

/* The lock word: 0 free, else the holder's TID, with this bit when other
 * threads may be waiting in FUTEX_WAIT. */
#define MT_RING_LOCK_WAITERS 0x80000000u
#define MT_RING_LOCK_TID 0x3fffffffu

/*
 * The shared header, at the start of the ring file; the data follow at
 * MT_RING_HDR_SIZE. Everything here is the traced program's memory too: it
 * may write any field at any time. So no reader of the ring takes its
 * geometry from here after creating or opening it (struct mt_ring below
 * keeps a private copy), and every other value read from here is checked
 * where it is used.
 *
 * Cache line 0 is written by the lock holder only, line 1 mostly by the
 * consumer: a hand-over of the lock moves one line, and the consumer's
 * tail updates do not take it away from the holder.
 */
struct mt_ring_hdr {
	uint32_t magic, version;
	uint64_t data_size;          /* power of two; read once, at open */
	uint32_t lock;               /* futex: 0 free, else TID | MT_RING_LOCK_WAITERS */
	uint32_t nrecovered;         /* times a dead holder's lock was taken over */
	uint64_t seq;                /* next sequence number, under lock */
	uint64_t head;               /* bytes produced, under lock */
	uint64_t owner;              /* pid << 32 | tid of the holder, under lock */
	uint64_t pub_seq;            /* seqs below it are in the ring, under lock ... */
	uint64_t pub_head;           /* ... if head == pub_head (else all below seq are) */

	uint64_t tail __attribute__((aligned(64))); /* bytes consumed, consumer only */
	uint32_t head_futex;         /* bumped by producers when consumer waits */
	uint32_t consumer_waiting;
	uint32_t tail_futex;         /* bumped by consumer when producers wait */
	uint32_t producers_waiting;
	uint32_t nattached;          /* processes that mapped the ring */
	uint32_t closing;            /* MT_RING_CLOSED / _ORPHANED: producers stop tracing */
	uint64_t ndiscarded;         /* events discarded after closing */
	uint32_t next_map_id;        /* under lock */
	uint32_t pad0;
	uint64_t nlost_dead;         /* seqs reserved by dead holders, never published */
	uint64_t last_dead;          /* pid << 32 | tid of the last dead holder (pid 0: unknown) */
	uint32_t recorder_pid;       /* the consumer (mt_ring_create()'s caller) ... */
	uint32_t pad1;
	uint64_t recorder_start;     /* ... and its start time (/proc/PID/stat field 22) */
	uint64_t pidns_dev;          /* ... and its PID namespace (st_dev, st_ino of */
	uint64_t pidns_ino;          /* /proc/self/ns/pid; 0, 0: unknown) */
	uint64_t nsilent;            /* `mmiotap watch`: instructions that touched a
				      * watched page but no watched byte (emulated,
				      * not recorded); atomic add */
};
_Static_assert(sizeof(struct mt_ring_hdr) <= MT_RING_HDR_SIZE, "ring header too large");

/*
 * One process's handle on a ring: the shared header and data, and the
 * geometry as checked when the ring was created or opened. Private memory:
 * copy_in/copy_out, the room checks and the unmap use only these, never
 * the header's data_size, which anyone mapping the file may change.
 */
struct mt_ring {
	struct mt_ring_hdr *h;       /* shared */
	uint8_t *data;               /* shared: h + MT_RING_HDR_SIZE */
	uint64_t size;               /* data bytes (power of two); 0: a process-local
				      * lock without a ring (h only) */
	size_t map_len;              /* bytes mapped by create/open; 0: not ours to unmap */
};

/* Create a ring file of data_size bytes (power of two) at path, mapped;
 * the caller is its recorder (its pid, start time and PID namespace go in
 * the header). *out is allocated; mt_ring_close() frees it. */
int mt_ring_create(const char *path, size_t data_size, struct mt_ring **out);
/* Map an existing ring file (checked: ours, a regular file, its header's
 * geometry matching its size). Returns 0 or negative errno. */
int mt_ring_open(const char *path, struct mt_ring **out);
/* Unmap (if mapped by create/open) and free the handle. */
void mt_ring_close(struct mt_ring *r);
/* Fill *r for a ring already in memory (len bytes at mem, e.g. a test's
 * buffer): the header's magic, version and data_size are checked once
 * against len, and the handle keeps its own copy of the geometry. Nothing
 * is unmapped at close. Returns 0 or -EPROTO. */
int mt_ring_adopt(void *mem, size_t len, struct mt_ring *r);
/* Whether the caller's PID namespace is the recorder's (as the header
 * says): 1 yes, 0 no, -1 cannot tell (no /proc, or the recorder could not
 * tell). Producers put PIDs and TIDs into the ring and take its lock with
 * them; in another namespace they mean other tasks, or none. */
int mt_ring_same_pidns(const struct mt_ring *r);

/* The order lock, taken by thread tid (nonzero) of process pid. Async-
 * signal-safe; callers block signals around it. If the holder died, the
 * caller takes the lock over and first puts a LOST event for what the dead
 * holder reserved and never published (only on a ring: a process-local
 * lock, magic 0, is just taken over). */
void mt_ring_lock(struct mt_ring *r, uint32_t pid, uint32_t tid);
void mt_ring_unlock(struct mt_ring *r);
/* mt_ring_lock() for a path that must not wait forever (a thread about to
 * die of a fault: the holder may be waiting for a lock the dying thread
 * holds, e.g. fork() for malloc's): tries for at most ns nanoseconds, then
 * gives up (0). 1: taken, as mt_ring_lock() (a dead holder is taken over). */
int mt_ring_lock_timed(struct mt_ring *r, uint32_t pid, uint32_t tid, uint64_t ns);
/* For the consumer, which never waits for the lock: if the lock is held by
 * a thread that no longer exists, take it over as above (pid/tid: the
 * caller), and release it. Returns 1 if it did. Never waits; does nothing
 * if the ring has no room for the LOST event (drain first). */
int mt_ring_reap(struct mt_ring *r, uint32_t pid, uint32_t tid);
/* Sequence number for the next event; call with the lock held. Reserve it
 * right before the device access the event describes and publish the event
 * right after: a holder that dies in between leaves a reservation, which
 * becomes a LOST event. */
static inline uint64_t mt_ring_next_seq(struct mt_ring *r) { return r->h->seq++; }
/* Append one event (ev->size bytes); lock held. Waits while the ring is
 * full, as long as the recorder lives; discards when the ring is closing
 * (closed by the recorder, or orphaned: the waiting put found the recorder
 * dead and marks it so). Its seq must be
 * the last one reserved (every reservation is published before the next). */
void mt_ring_put(struct mt_ring *r, const struct mt_ev *ev);

/* Put a MARK event with text from any process (takes the lock itself,
 * with signals blocked). Returns 0 or negative errno. */
int mt_ring_mark(struct mt_ring *r, const char *text, uint64_t pc);

/* Consumer: copy up to max bytes of whole events into buf; returns bytes
 * (0 = empty). Waits up to timeout_ms for data when empty. Every event is
 * validated in the private copy (size a multiple of 8, within bounds, at
 * least a header; a MAP's path within the event): the producers' memory is
 * the traced program's, which may scribble on it; a bad event ends the
 * batch and the rest of the ring is skipped (counted in rd->nbad). */
struct mt_ring_reader {
	struct mt_ring *r;
	uint64_t tail;     /* bytes consumed: the consumer's own copy */
	uint64_t nbad;     /* invalid events met (the rest of the ring skipped) */
};
size_t mt_ring_get(struct mt_ring_reader *rd, void *buf, size_t max, int timeout_ms);
/* Whether an event's lengths stay inside it (size already checked). */
int mt_ev_valid(const struct mt_ev *ev);
/* CLOCK_MONOTONIC ns, the events' clock. */
uint64_t mt_ring_now(void);

#endif
