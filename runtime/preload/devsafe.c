// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * devsafe.c - the device access on the alias, from inside the SIGSEGV
 * handler, without dying of it.
 *
 * The alias maps the same file as the program's page. If the file shrank
 * (a truncated file, a regular file used as a device) or the device went
 * away, the access raises SIGBUS - in our handler, with the order lock
 * held. The program's own access would have raised it: the program must
 * see that SIGBUS, at its own address, with its registers as the CPU
 * leaves them (a REP string: the elements done), and its handler must run.
 *
 * The access runs between sigsetjmp (no mask saved: the nested handler's
 * mask is the outer one's) and the end of the access; our handler runs
 * with SIGSEGV and SIGBUS unblocked (SA_NODEFER), so the fault comes back
 * to on_segv(), which, when the fault's address is inside the access,
 * notes it (signal, code, error code) and siglongjmps back: the access
 * returns -EFAULT, the emulation stops there as the CPU would (access.c:
 * no event, the sequence number given back; core/: MT_EMU_MEMFAULT), and
 * handler.c delivers the fault to the program like a fault on its other
 * memory (safecopy.c).
 */
#include "internal.h"

#include <errno.h>

MT_HIDDEN int mt_dev_safe(struct mt_tls *t, uint64_t addr, volatile uint8_t *p, void *val,
			  unsigned size, int is_write, uint64_t *fault)
{
	if (sigsetjmp(t->dev_jb, 0)) {
		/* t->sc_fault has the alias's fault: make it the program's */
		uintptr_t at = (uintptr_t)t->sc_fault.addr - (uintptr_t)p;
		*fault = addr + at;
		t->sc_fault.addr = (void *)(uintptr_t)*fault;
		return -EFAULT;
	}
	t->dev_lo = (uintptr_t)p;
	t->dev_len = size;
	__atomic_store_n(&t->dev_active, 1, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (is_write)
		mt_dev_write(p, val, size);
	else
		mt_dev_read(p, val, size);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&t->dev_active, 0, __ATOMIC_RELAXED);
	return 0;
}

MT_HIDDEN void mt_dev_safe_caught(struct mt_tls *t, int sig, const siginfo_t *si,
				  const ucontext_t *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	if (!t || !__atomic_load_n(&t->dev_active, __ATOMIC_RELAXED) || si->si_code <= 0 ||
	    (sig != SIGBUS && sig != SIGSEGV) || a < t->dev_lo || a - t->dev_lo >= t->dev_len)
		return;
	t->sc_fault.sig = sig;
	t->sc_fault.code = si->si_code;
	t->sc_fault.addr = si->si_addr;
	t->sc_fault.err = uc->uc_mcontext.gregs[REG_ERR];
	t->sc_fault.trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	t->dev_active = 0;
	siglongjmp(t->dev_jb, 1);
}
