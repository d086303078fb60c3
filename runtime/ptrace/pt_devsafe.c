// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pt_devsafe.c - the tracer's device access on its alias, without dying of
 * it. The alias maps the traced file in the tracer; if the file shrank (a
 * truncated file used as a device) or the device went away, the access
 * raises SIGBUS in the tracer, which would kill the recorder and lose the
 * trace. The access runs between sigsetjmp and its end; a SIGBUS inside it
 * jumps back and the access fails (-EFAULT: access.c records nothing), the
 * tracee gets the SIGBUS its own access would have raised (pt_fault.c).
 * Any other SIGBUS is handed back to what was there before (the default:
 * it kills as it would have).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>

#include "pt_int.h"

static struct {
	int installed;
	struct sigaction old;
	volatile int active;     /* inside an access of len bytes at lo */
	uintptr_t lo;
	unsigned len;
	sigjmp_buf jb;
	int code;                /* the fault caught */
	uintptr_t addr;
} ds;

static void on_bus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	(void)uc;
	if (ds.active && si->si_code > 0 && a >= ds.lo && a - ds.lo < ds.len) {
		ds.active = 0;
		ds.code = si->si_code;
		ds.addr = a;
		siglongjmp(ds.jb, 1);
	}
	/* not ours: as before we came (a fault faults again; a kill()ed one
	 * is sent again) */
	sigaction(sig, &ds.old, NULL);
	ds.installed = 0;
	if (si->si_code <= 0)
		raise(sig);
}

static void install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_bus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER; /* the jump needs no mask back */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &ds.old) == 0)
		ds.installed = 1;
}

int pt_dev_safe(uint64_t addr, volatile uint8_t *p, void *val, unsigned size, int is_write,
		uint64_t *fault, int *code)
{
	if (!ds.installed)
		install();
	if (sigsetjmp(ds.jb, 0)) {
		*fault = addr + (ds.addr - (uintptr_t)p);
		*code = ds.code;
		return -EFAULT;
	}
	ds.lo = (uintptr_t)p;
	ds.len = size;
	ds.active = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (is_write)
		mt_dev_write(p, val, size);
	else
		mt_dev_read(p, val, size);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	ds.active = 0;
	return 0;
}
