/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * inject.h - the fault-injection rule language (docs/INJECT.md), shared by
 * every backend.
 *
*   file=/dev/uio0,off=0x8,width=4,dir=r,xor=0x1,when=3..10+2
 *   pci=0000:00:03.0,bar=0,off=0x100-0x1ff,dir=w,drop
 *   phys=0xfea00000-0xfea1ffff,dir=r,value=0xffffffff,prob=0.01,seed=7
 *
 * mt_rule_parse() compiles one rule into struct mt_inject_rule, a flat
 * struct of fixed-width fields (no pointers) that can be copied into the
 * kernel. mt_rule_match_region() decides once per mapping whether a rule
 * targets it; mt_inject_apply() is the pure per-access function (no
 * allocation, no libc, no locks: the caller owns the occurrence counters).
 */
#ifndef MMIOTAP_INJECT_H
#define MMIOTAP_INJECT_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#include <stddef.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define MT_RULE_PATH_MAX 256

/* target kinds */
#define MT_TGT_ANY 0
#define MT_TGT_FILE 1  /* glob on the mapped file's path */
#define MT_TGT_PCI 2   /* PCI function (and optional BAR) */
#define MT_TGT_PHYS 3  /* physical address range */

/* directions */
#define MT_DIR_R 1
#define MT_DIR_W 2
#define MT_DIR_RW 3

/* actions (bits; value replaces, then and, or, xor apply in that order) */
#define MT_ACT_VALUE 0x01
#define MT_ACT_AND 0x02
#define MT_ACT_OR 0x04
#define MT_ACT_XOR 0x08
#define MT_ACT_DROP 0x10
#define MT_ACT_DELAY 0x20

struct mt_inject_rule {
	uint8_t target;          /* MT_TGT_* */
	uint8_t dir;             /* MT_DIR_*; default RW */
	uint8_t width;           /* 0 = any */
	uint8_t actions;         /* MT_ACT_* */
	int16_t bar;             /* -1 = any */
	uint16_t pci_domain;
	uint8_t pci_bus, pci_devfn;
	uint8_t has_off;
	uint8_t reserved;
	uint64_t phys_lo, phys_hi;   /* MT_TGT_PHYS, inclusive */
	uint64_t off_lo, off_hi;     /* offset range within the map, inclusive */
	uint64_t value, and_mask, or_mask, xor_mask;
	uint64_t delay_ns;
	uint64_t first, last, step;  /* occurrences, 1-based; last UINT64_MAX = open */
	uint32_t prob;               /* probability * 2^32 - 1 .. ; 0xffffffff = always */
	uint32_t reserved2;
	uint64_t seed;
	char path[MT_RULE_PATH_MAX]; /* MT_TGT_FILE glob, NUL-terminated */
};

/* Parse error: column is 1-based in the rule text, token the offending word. */
struct mt_rule_error {
	unsigned column;
	char token[64];
	char msg[128];
};

/* What a backend knows about one mapping. */
struct mt_region_id {
	const char *path;        /* mapped file, or NULL */
	int has_pci;
	uint16_t pci_domain;
	uint8_t pci_bus, pci_devfn;
	int bar;                 /* -1 if unknown */
	int has_phys;
	uint64_t phys;           /* physical address of the map's byte 0 */
	uint64_t size;
};

/* Result of one access. */
struct mt_inject_result {
	int injected;            /* value changed or write dropped or delayed */
	int drop;                /* write: do not perform */
	uint64_t delay_ns;       /* sleep/spin before the access */
	int rule;                /* index of the last rule that acted, -1 if none */
};

#ifndef __KERNEL__
/* Parse one rule. 0 or -EINVAL with *err filled (may be NULL). */
int mt_rule_parse(const char *text, struct mt_inject_rule *rule, struct mt_rule_error *err);
/* Print a rule back in canonical form; returns length or -ENOSPC. */
int mt_rule_format(const struct mt_inject_rule *rule, char *buf, size_t room);
/* Does the rule target this mapping? (glob with fnmatch for files) */
int mt_rule_match_region(const struct mt_inject_rule *rule, const struct mt_region_id *reg);
#endif

/*
 * Per access. rules[0..n) are the rules that matched the mapping (see
 * mt_rule_match_region; a backend typically keeps per map an index list).
 * counters[i] is rule i's occurrence counter (caller-owned, incremented
 * here for every access the rule selects; protect it with the lock held
 * around "access + record", or use one array per thread for per-thread
 * counts). value: `width` bytes in memory order, modified in place (for a
 * write, what will be written; for a read, what the program will see).
 * map_phys: physical address of the map (for MT_TGT_PHYS; ignored otherwise).
 * Returns 1 if anything was injected, else 0.
 */
int mt_inject_apply(const struct mt_inject_rule *rules, unsigned n, uint64_t *counters,
		    uint64_t map_phys, uint64_t offset, unsigned width, int is_write,
		    uint8_t *value, struct mt_inject_result *res);

/*
 * The one rule, shared by every backend, for what an access's record says
 * about injection. orig: the value before rules and probes (write: what the
 * program wrote; read: what the device returned); value: after them (write:
 * what the device received, or would have; read: what the program sees);
 * `width` bytes each, compared in full. changed_by: MT_INJ_RULE and/or
 * MT_INJ_PROBE, who changed the value on its way; dropped_by: who dropped
 * the write (0: performed); delayed: a rule delayed the access.
 *
 * Returns MT_INJF_INJECTED (a rule) and/or MT_INJF_PROBE (a probe; only
 * libmmiotap and kernel probes set MT_INJ_PROBE) exactly when value differs
 * from orig or the write was dropped (then MT_INJF_DROPPED too): the record
 * then carries orig. A rule or probe that acted but left the value equal
 * flags nothing. A difference nobody claims counts as a rule's.
 * MT_INJF_DELAYED whenever delayed, also alone. Pure, no libc: the kernel
 * module compiles it (inject_apply.c).
 */
#define MT_INJ_RULE 0x1u
#define MT_INJ_PROBE 0x2u

#define MT_INJF_INJECTED 0x1u
#define MT_INJF_PROBE 0x2u
#define MT_INJF_DROPPED 0x4u
#define MT_INJF_DELAYED 0x8u
#define MT_INJF_ORIG (MT_INJF_INJECTED | MT_INJF_PROBE) /* the record carries orig */

unsigned mt_inject_flags(const uint8_t *orig, const uint8_t *value, unsigned width,
			 unsigned changed_by, unsigned dropped_by, int delayed);

#ifdef __cplusplus
}
#endif
#endif
