/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* pt_int.h - internals of the ptrace tracer (not installed). */
#ifndef MMIOTAP_PT_INT_H
#define MMIOTAP_PT_INT_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "mmiotap/devfile.h"
#include "mmiotap/emu.h"
#include "mt_ptrace.h"

#define PT_DCACHE_SLOTS 64

/* The tracer's own mapping of a traced file range, shared by the regions
 * cut from it and by forked copies of an address space. */
struct pt_alias {
	int refs;
	uint8_t *base;
	size_t len;
};

struct pt_region {
	uint64_t start, end;     /* tracee's range (kept PROT_NONE) */
	struct pt_alias *al;
	uint64_t al_off;         /* offset of start inside al */
	uint64_t offset;         /* file offset of start */
	uint64_t phys;           /* physical address of start, 0 unknown */
	int prot;                /* protection the program asked for */
	int bar;
	uint32_t map_id;
	uint64_t map_start;      /* start of the range its MAP record described */
	uint64_t map_size;
	struct mt_pci_info pci;       /* of the MAP (phys = MAP's byte 0) */
	char *path;
};

/* One address space (thread group, or vfork-shared). */
struct pt_mm {
	int refs;
	pid_t tgid;
	int untraced;            /* detached in seccomp mode: only pass through */
	int detached;            /* detach_mm() ran: never again for this mm */
	uint64_t sys_insn;       /* address of a `syscall` instruction, 0 unknown */
	struct pt_region *reg;
	int nreg, capreg;
	struct mt_dcache dc;
	struct mt_decoded slots[PT_DCACHE_SLOTS];
};

enum pt_stop {
	PT_RUNNING = 0,
	PT_STOP_SIG,      /* signal-delivery-stop */
	PT_STOP_EVENT,    /* PTRACE_EVENT_* stop (interrupt, clone, exec...) */
	PT_STOP_SC_ENTRY, /* syscall-entry-stop or seccomp stop */
	PT_STOP_SC_EXIT,  /* syscall-exit-stop */
	PT_STOP_GROUP,    /* group-stop (listening) */
	PT_DEAD,          /* exited (status may be pending) */
};

struct pt_task {
	pid_t tid;
	pid_t tgid;              /* process id reported in events */
	struct pt_mm *mm;        /* NULL until its creator's event is seen */
	int stop;                /* enum pt_stop */
	int initial;             /* first stop not seen yet / not yet resumed */
	int interrupted;         /* PTRACE_INTERRUPT sent by stop_others/attach */
	int drop_sig;            /* detach: pending SIGSEGV was ours */
	int have_pending;        /* a stop status waiting for the main loop */
	int pending_status;
	int sc_pending;          /* syscall whose exit we must see */
	long sc_nr;
	uint64_t sc_args[6];
	int deferred_sig[4];     /* signals caught during an injection */
	int ndeferred;
	int stat_fd;             /* /proc/TID/stat + 1; 0 not open, -1 unusable */
	int cpu;                 /* CPU it last ran on, -1 unknown */
	int cpu_stale;           /* resumed since cpu was read */
	uint64_t rseq_cpu;       /* address of its rseq area's cpu_id, 0 none */
	struct pt_task *next;
};

#endif
