/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * kabi.h - the one ABI between mmiotap.ko and user space (the CLI's
 * `mmiotap kernel ...`). Included by both; only <linux/types.h> and
 * <linux/ioctl.h>, which exist in the kernel and in linux-libc-dev.
 *
 * Device: /dev/mmiotap (misc char device, mode 0600). Opening it and every
 * ioctl need CAP_SYS_RAWIO; opening fails with EPERM while the kernel is
 * locked down (LOCKDOWN_MMIOTRACE).
 *
 * One recording session at a time, owned by the open file whose CONFIG,
 * SELECT, INJECT or START created it: only that file may configure, start,
 * stop and read it (others get EBUSY; STATUS names the owner). Closing the
 * owner's file (its process killed included) ends the session: tracing
 * stops, everything is released. A session started by the module's phys=
 * parameter is the module's: any opener may read and STOP it.
 *
 *   ioctl MMIOTAP_KIOC_VERSION   -> __u32 MMIOTAP_KABI_VERSION
 *   ioctl MMIOTAP_KIOC_CONFIG    <- struct mmiotap_kcfg (before START)
 *   ioctl MMIOTAP_KIOC_SELECT    <- struct mmiotap_ksel (repeatable; before START)
 *   ioctl MMIOTAP_KIOC_START     arm the selection: existing mappings of the
 *                                selected ranges are armed at once, new
 *                                ioremaps as they happen
 *   ioctl MMIOTAP_KIOC_STOP      disarm everything (records stay readable
 *                                until the owner closes the file)
 *   ioctl MMIOTAP_KIOC_STATUS    -> struct mmiotap_kstatus: whether tracing,
 *                                and the last sequence number handed out
 *                                (taken under the order lock: once read()
 *                                returns 0 after this call, every record with
 *                                seq <= last_seq has been read, or counted in
 *                                a LOST record)
 *   ioctl MMIOTAP_KIOC_MARK      <- struct mmiotap_kmark: a MARK, split into
 *                                16-byte MARK records with consecutive seq,
 *                                MMIOTAP_KF_MORE on all but the last
 *   ioctl MMIOTAP_KIOC_INJECT    <- struct mmiotap_kinject: the injection
 *                                rules (replacing earlier ones; before START)
 *   read()                       whole struct mmiotap_krec records, drained
 *                                from the per-CPU buffers; 0 = nothing now.
 *                                Order across CPUs: sort by seq.
 *   poll()                       POLLIN when records wait; a quarter-full
 *                                buffer wakes the reader at once.
 * Lossless where the traced code may sleep: a fault that finds its CPU's
 * buffer nearly full waits (up to a second) for a read() to make room;
 * where it cannot wait (NMI, interrupts, atomic sections) or the reader
 * stalled, what does not fit is counted in LOST records.
 * Structs passed by ioctl carry their size first; the module accepts
 * smaller (older) sizes and zero-fills the rest.
 */
#ifndef MMIOTAP_KABI_H
#define MMIOTAP_KABI_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define MMIOTAP_KDEV "/dev/mmiotap"
#define MMIOTAP_KABI_VERSION 6u /* 5: sessions owned by a file, STEPPED, status waits/owner;
				  * 6: records stamped CLOCK_MONOTONIC ns */

struct mmiotap_kcfg {
	__u32 size;        /* sizeof(struct mmiotap_kcfg) */
	__u32 buf_records; /* per-CPU buffer size in records (power of two; 0 = default 65536) */
};

#define MMIOTAP_KSEL_PHYS 1u /* [start, end) physical range */
#define MMIOTAP_KSEL_PCI 2u  /* PCI device's memory BARs (bar = 0..5, or 0xff for all) */

struct mmiotap_ksel {
	__u32 size;        /* sizeof(struct mmiotap_ksel) */
	__u32 kind;        /* MMIOTAP_KSEL_* */
	__u64 start, end;  /* PHYS */
	__u32 pci_domain;  /* PCI */
	__u8 pci_bus, pci_devfn, bar, pad;
};

/* Record types. */
enum {
	MMIOTAP_KREC_READ = 1,
	MMIOTAP_KREC_WRITE = 2,
	MMIOTAP_KREC_UNKNOWN = 3, /* insn[] = instruction bytes, width = length */
	MMIOTAP_KREC_LOST = 4,    /* value = records lost on this CPU just here */
	MMIOTAP_KREC_MAP = 5,     /* phys, virt, value = size, pci, width = bar (0xff none) */
	MMIOTAP_KREC_UNMAP = 6,   /* map_id, virt */
	MMIOTAP_KREC_MARK = 7,    /* insn[] = text (NUL padded, up to 16 bytes) */
	MMIOTAP_KREC_DATA = 8,    /* insn[] = the next up to 16 bytes (width) of the
				   * value of the READ/WRITE numbered just before
				   * (seq - 1, or the DATA before); that record and
				   * every DATA but the last carry MMIOTAP_KF_MORE */
};

/* Record flags. */
#define MMIOTAP_KF_NMI 0x1u       /* access made in NMI context */
#define MMIOTAP_KF_HARDIRQ 0x2u   /* access made in hardirq context */
#define MMIOTAP_KF_SOFTIRQ 0x4u   /* access made in softirq context */
#define MMIOTAP_KF_NESTED 0x8u    /* NMI access made while this CPU was inside an emulation */
#define MMIOTAP_KF_INJECTED 0x10u /* value changed (or write dropped) by an injection rule or probe */
#define MMIOTAP_KF_LOCKED 0x20u   /* part of a locked read-modify-write */
#define MMIOTAP_KF_STRING 0x40u   /* element of a string instruction */
#define MMIOTAP_KF_DISARMED 0x80u /* UNKNOWN: the page was left untraced after this */
#define MMIOTAP_KF_MORE 0x100u    /* MARK: the text continues in the next record (seq + 1);
				    * READ/WRITE wider than 8 bytes, DATA: DATA follows (seq + 1) */
#define MMIOTAP_KF_DROPPED 0x200u /* WRITE: not performed on the device (injection) */
#define MMIOTAP_KF_DELAYED 0x400u /* access delayed by an injection rule */
#define MMIOTAP_KF_STEPPED 0x800u /* UNKNOWN: run natively by single-step, page kept traced */

/* One record, 64 bytes. */
struct mmiotap_krec {
	__u64 seq;    /* global order (one counter, taken with the device access) */
	__u64 ts_ns;  /* CLOCK_MONOTONIC ns (ktime_get_mono_fast_ns; local_clock() before KABI 6) */
	__u64 phys;   /* physical address accessed / mapped */
	union {
		struct {
			__u64 value; /* READ/WRITE: low 8 bytes of the value (READ: what
				      * the driver saw; WRITE: what the device got) */
			union {
				__u64 virt; /* virtual address accessed / mapped */
				__u64 orig; /* READ/WRITE with MMIOTAP_KF_INJECTED: low 8
					     * bytes of the value before injection */
			};
		};
		__u8 insn[16];
	};
	__u64 pc;     /* instruction address of the access */
	__u32 pid;    /* current->pid (0 in NMI/irq on the idle task) */
	__u16 cpu;
	__u8 type;    /* MMIOTAP_KREC_* */
	__u8 width;   /* bytes accessed */
	__u16 map_id; /* the mapping (MAP record) the access falls in */
	__u16 flags;  /* MMIOTAP_KF_* */
	__u32 pci;    /* MAP: domain << 16 | bus << 8 | devfn, 0xffffffff if not PCI */
};

struct mmiotap_kstatus {
	__u32 size;        /* sizeof(struct mmiotap_kstatus), set by the caller */
	__u32 tracing;     /* 1 between START and STOP */
	__u64 last_seq;    /* last sequence number handed out */
	__u64 emulated;    /* faults emulated since load (an instruction, or a chunk of a REP string) */
	__u64 unknown;     /* UNKNOWN records since load */
	__u64 lost;        /* records lost since START (all CPUs) */
	__u32 regions;     /* mappings armed now */
	__u32 session;     /* 0 none, 1 owned by a file (owner_pid), 2 by the module (phys=) */
	__u64 waits;       /* faults that waited for room since load */
	__u32 owner_pid;   /* process that opened the owning file */
	__u32 pad;
};

#define MMIOTAP_KMARK_MAX 128
struct mmiotap_kmark {
	__u32 size;        /* sizeof(struct mmiotap_kmark) */
	__u32 len;         /* bytes of text used (<= MMIOTAP_KMARK_MAX) */
	char text[MMIOTAP_KMARK_MAX];
};

/*
 * Injection rules: an array of nrules struct mt_inject_rule
 * (mmiotap/inject.h, compiled by mt_rule_parse()), rule_size =
 * sizeof(struct mt_inject_rule). Targets: any, pci=, phys= (file= has no
 * meaning in the kernel: -EINVAL). Each mapping armed after START is matched
 * once against every rule; rule i's occurrence counter counts the accesses
 * it selects, in the global order. Delays are capped at
 * MMIOTAP_KINJECT_DELAY_MAX_NS per access (the fault path runs with
 * interrupts off). nrules = 0 clears.
 */
#define MMIOTAP_KINJECT_MAX 32
#define MMIOTAP_KINJECT_DELAY_MAX_NS 1000000ull
struct mmiotap_kinject {
	__u32 size;        /* sizeof(struct mmiotap_kinject) */
	__u32 nrules;      /* <= MMIOTAP_KINJECT_MAX */
	__u32 rule_size;   /* sizeof(struct mt_inject_rule) */
	__u32 pad;
	__u64 rules;       /* user pointer to the array */
};

#define MMIOTAP_KIOC_VERSION _IOR('M', 0, __u32)
#define MMIOTAP_KIOC_CONFIG _IOW('M', 1, struct mmiotap_kcfg)
#define MMIOTAP_KIOC_SELECT _IOW('M', 2, struct mmiotap_ksel)
#define MMIOTAP_KIOC_START _IO('M', 3)
#define MMIOTAP_KIOC_STOP _IO('M', 4)
#define MMIOTAP_KIOC_MARK _IOW('M', 5, struct mmiotap_kmark)
#define MMIOTAP_KIOC_STATUS _IOWR('M', 6, struct mmiotap_kstatus)
#define MMIOTAP_KIOC_INJECT _IOW('M', 7, struct mmiotap_kinject)

#endif /* MMIOTAP_KABI_H */
