/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * mmiotap.h - libmmiotap: the kmmio probe API in user space, and markers.
 *
 * Link with -lmmiotap (or run under `mmiotap record`, which preloads the same
 * library). A probe covers a range of one of the process's own MAP_SHARED
 * mappings (a device BAR, /dev/mem, UIO, a memfd, a shared file). While
 * registered, every load and store to the range is trapped, and the pre
 * handler sees it before it reaches the memory, the post handler after. A
 * pre handler may change the value a store writes (or drop the store); a
 * post handler may change the value a load returns.
 *
 * Handlers run inside the SIGSEGV handler of the faulting thread, with all
 * signals blocked and the global order lock held: they must be
 * async-signal-safe, short, and must not touch any probed or traced memory
 * (use the access's value instead).
 */
#ifndef MMIOTAP_MMIOTAP_H
#define MMIOTAP_MMIOTAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MMIOTAP_ACCESS_WRITE 0x1u   /* a store (else a load) */
#define MMIOTAP_ACCESS_DROP 0x2u    /* pre handler: do not perform this store */

struct mmiotap_access {
	uintptr_t addr;     /* address in the probed range */
	uintptr_t pc;       /* address of the instruction */
	unsigned size;      /* bytes: 1, 2, 4, 8, 16, 32, 64 (or a masked run) */
	unsigned flags;     /* MMIOTAP_ACCESS_* */
	uint8_t value[64];  /* little endian; for stores valid in pre, for loads in post */
};

struct mmiotap_probe;
typedef void (*mmiotap_handler_t)(struct mmiotap_probe *p,
				  struct mmiotap_access *a);

struct mmiotap_probe {
	size_t struct_size;        /* sizeof(struct mmiotap_probe) */
	void *addr;                /* start of the probed range */
	size_t len;                /* bytes */
	mmiotap_handler_t pre;     /* may be NULL */
	mmiotap_handler_t post;    /* may be NULL */
	void *priv;                /* for the caller */
	uint64_t _reserved[4];
};

/*
 * Register p. The range must lie inside one MAP_SHARED mapping. Returns 0 or
 * a negative errno: -EINVAL (bad arguments), -ENOTSUP (private or
 * non-aliasable mapping), -EBUSY (range already probed), -ENOSPC (too many).
 */
int mmiotap_probe_register(struct mmiotap_probe *p);
/* Unregister p; the range is directly accessible again unless it is also
 * traced by a recording. Returns 0 or -ENOENT. */
int mmiotap_probe_unregister(struct mmiotap_probe *p);

/*
 * Watchpoints on ordinary memory (`mmiotap watch`, mmiotap-watch(1)): every
 * load and store any thread makes to [addr, addr+len) is emulated and, under
 * `mmiotap record`/`mmiotap watch`, recorded with its value, PC, TID and
 * time; the page stays PROT_NONE throughout, so no thread slips past. Other
 * bytes of the same pages are emulated without a record. No limit but
 * memory (1024 watched objects per process). flags: MMIOTAP_WATCH_READ
 * and/or MMIOTAP_WATCH_WRITE (neither: both), MMIOTAP_WATCH_STOP (raise
 * SIGTRAP in the accessing thread after the instruction completed: a
 * debugger stops there, as at a hardware watchpoint). name (may be NULL)
 * names the object in the trace. Returns 0 or a negative errno: -EINVAL,
 * -EBUSY (overlaps a watched or traced range), -ENOSPC (too many), -EPERM
 * (memory that cannot be watched safely: a thread's stack, the alternate
 * signal stack, the runtime's or libc's own memory, [vdso]...), -ENOMEM
 * (not mapped), or another errno of mmap/mremap. Call from normal context.
 */
#define MMIOTAP_WATCH_READ 0x1u   /* = MT_WATCH_READ of rt_watch.h */
#define MMIOTAP_WATCH_WRITE 0x2u
#define MMIOTAP_WATCH_STOP 0x4u
int mmiotap_watch(void *addr, size_t len, unsigned flags);
int mmiotap_watch_named(void *addr, size_t len, unsigned flags, const char *name);
/* Stop watching the object that starts at addr (len 0), or every object
 * inside [addr, addr+len). Pages left without a watched byte become plain
 * memory again, their contents kept. Returns the number of objects
 * removed, or -ENOENT. */
int mmiotap_unwatch(void *addr, size_t len);
/* How many objects are watched; and, with buf, print one line each
 * ("ADDR LEN FLAGS NAME") into buf (NUL-terminated, truncated to size). */
int mmiotap_watch_list(char *buf, size_t size);

/* Put a MARK record with text into the running recording, in order with
 * the accesses. Returns 0, or -ENOTCONN when not being recorded. */
int mmiotap_mark(const char *text);

/* True (1) when this process is being recorded by `mmiotap record`. */
int mmiotap_is_recording(void);

#ifdef __cplusplus
}
#endif
#endif
