/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * sym.h - symbols of a trace's PCs (libmtsym; links elfutils' libdw and
 * libelf). docs/FORMAT.md 1.7 has the records it reads and writes.
 *
 * Reading (decode, report, dump --symbols, ...):
 *     struct mt_sym *s;
 *     if (mt_sym_open_path(&s, "t.trace", err, sizeof(err)) < 0) ...;
 *     struct mt_sym_loc loc;
 *     if (mt_sym_lookup(s, ev.pid, ev.pc, ev.seq, &loc) > 0)
 *             printf("%s+0x%llx %s:%d\n", loc.func, loc.off, loc.file, loc.line);
 *     mt_sym_free(s);
 * User-space PCs resolve through the trace's OBJECT records (path, build id,
 * load bias of each ELF object of the traced process) with libdwfl: the
 * object file (or its separate debug file, found by build id under
 * /usr/lib/debug) must exist where the trace is read, with the same build
 * id. Kernel PCs resolve through the KSYM records (kallsyms at record time),
 * so they need nothing of the recording machine.
 *
 * Recording (`mmiotap record`, `mmiotap kernel record`): struct
 * mt_objtrack writes OBJECT records for the objects of a traced process
 * as new PCs show up; struct mt_ksymrec writes KSYM records for the
 * kernel functions of new PCs as they come.
 */
#ifndef MMIOTAP_SYM_H
#define MMIOTAP_SYM_H

#include <stddef.h>
#include <stdint.h>
#include "mmiotap/trace.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- reading -------------------------------------------------------------- */

struct mt_sym;

/* Where a PC is. Strings stay valid until mt_sym_free(). */
struct mt_sym_loc {
	const char *func;       /* function (symbol) name, NULL if unknown */
	uint64_t off;           /* pc - function start; or pc - object bias if func is NULL */
	const char *file;       /* source file, NULL without debug info */
	int line;               /* source line, 0 without debug info */
	const char *object;     /* object path, "[module]" or "[kernel]" for the kernel */
	int build_id_mismatch;  /* the object found differs from the recorded one:
				 * func/file not given */
	int ambiguous;          /* other objects of the process held pc at other
				 * times (exec, dlclose): the answer depends on seq */
};

/* An empty table; fill it with mt_sym_add(). NULL on out of memory. */
struct mt_sym *mt_sym_new(void);
/* Take an OBJECT or KSYM event (reader option meta); other kinds: ignored.
 * 0, or a negative errno. */
int mt_sym_add(struct mt_sym *s, const struct mt_event *ev);
/* Read a trace file's OBJECT and KSYM records (one pass). 0 or a negative
 * errno with a one-line message in err. */
int mt_sym_open_path(struct mt_sym **s, const char *path, char *err, size_t errlen);
/* pc of process pid in the record numbered seq (UINT64_MAX: as of the
 * trace's end). 1: *loc filled (at least the object); 0: the PC is in no
 * known object. */
int mt_sym_lookup(struct mt_sym *s, uint32_t pid, uint64_t pc, uint64_t seq,
		  struct mt_sym_loc *loc);
/* "func+0xoff", "object+0xoff" or "0xpc" into buf; the length (snprintf). */
int mt_sym_format(const struct mt_sym_loc *loc, int found, uint64_t pc, char *buf, size_t room);
void mt_sym_free(struct mt_sym *s);

/* ---- recording: user space ----------------------------------------------- */

struct mt_objtrack;

struct mt_objtrack *mt_objtrack_new(void);
/* Where an object found goes: 0, or a negative errno (stops the scan). */
typedef int (*mt_objtrack_emit_fn)(void *arg, const struct mt_object_info *oi,
				   const struct mt_obj_range *ranges);
/* An emit function that writes an OBJECT record through the struct
 * mt_writer arg. */
int mt_objtrack_emit_writer(void *w, const struct mt_object_info *oi,
			    const struct mt_obj_range *ranges);
/*
 * pc was executed by process pid (the record numbered seq, at ts): when it
 * lies in none of the objects already emitted for pid, read /proc/PID/maps
 * and emit (build id and load bias from the file, libelf) each executable
 * ELF mapping not emitted yet. Returns the number emitted, or emit's
 * error. A process already gone is not an error (0).
 */
int mt_objtrack_pc(struct mt_objtrack *t, uint32_t pid, uint64_t pc, uint64_t seq, uint64_t ts,
		   mt_objtrack_emit_fn emit, void *arg);
/* Whether an object written holds address start of pid. */
int mt_objtrack_known(const struct mt_objtrack *t, uint32_t pid, uint64_t start);
/* Objects written by someone else (the runtime's events): [start, end) of
 * pid is known. */
void mt_objtrack_note(struct mt_objtrack *t, uint32_t pid, uint64_t start, uint64_t end);
/* Whether anything (an object, a page in none) is known of pid. */
int mt_objtrack_has_pid(const struct mt_objtrack *t, uint32_t pid);
/* Process pid ran exec(): its objects are new, even at the same addresses. */
void mt_objtrack_forget(struct mt_objtrack *t, uint32_t pid);
void mt_objtrack_free(struct mt_objtrack *t);

/* ---- recording: kernel ----------------------------------------------------- */

/* A set of distinct PCs (open addressing), bounded: past MT_PCSET_MAX
 * distinct PCs further ones are counted in `dropped`, not kept. */
#define MT_PCSET_MAX (1u << 20)
struct mt_pcset {
	uint64_t *v;
	size_t n, cap;
	uint64_t dropped;
};
int mt_pcset_add(struct mt_pcset *s, uint64_t pc); /* 0, or -ENOMEM (counted dropped) */
void mt_pcset_free(struct mt_pcset *s);
/*
 * The KSYM records of a kernel recording, written as the PCs come (a
 * module unloaded before the end of the recording keeps its names):
 * mt_ksymrec_pc() for every PC; mt_ksymrec_stale() when code may have been
 * loaded (a new MAP: a driver being probed); mt_ksymrec_flush() every
 * round and at the end writes a KSYM for each function that holds a new
 * PC, from the last snapshot of kallsyms_path (read again when stale, or
 * once when a PC is in none of its functions). Memory: one snapshot of
 * kallsyms' text symbols, the functions written, and the PCs not resolved
 * yet (at most MT_PCSET_MAX).
 */
struct mt_ksymrec;
struct mt_ksymrec *mt_ksymrec_new(const char *kallsyms_path, const char *modules_path);
void mt_ksymrec_pc(struct mt_ksymrec *k, uint64_t pc);
void mt_ksymrec_stale(struct mt_ksymrec *k);
/* KSYM records written, or a negative errno (-EPERM: kallsyms shows no
 * addresses: not root, or kptr_restrict). */
int mt_ksymrec_flush(struct mt_ksymrec *k, struct mt_writer *w);
/* PCs found in no function (or not kept). */
uint64_t mt_ksymrec_unresolved(const struct mt_ksymrec *k);
void mt_ksymrec_free(struct mt_ksymrec *k);

#ifdef __cplusplus
}
#endif
#endif /* MMIOTAP_SYM_H */
