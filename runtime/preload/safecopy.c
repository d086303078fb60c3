// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * safecopy.c - the program's ordinary memory, touched from inside the
 * SIGSEGV handler without dying of it.
 *
 * The other operand of an emulated instruction (the RAM side of a REP MOVS,
 * say) and the instruction's own bytes may be on a page the program made
 * PROT_NONE or read-only, or unmapped: the CPU would fault there, and the
 * program's handler must see that fault. Our handler runs with SIGSEGV and
 * SIGBUS unblocked (mt_install_handlers()), and copies with one REP MOVSB
 * at a known address, as the kernel's exception table does: a fault there
 * comes back to on_segv(), which notes it (signal, code, address, error
 * code) and resumes at the fixup, and the copy returns -EFAULT. A fault
 * anywhere else while inside the handler is not caught.
 */
#include "internal.h"

#include <errno.h>

int mt_safe_copy_raw(void *dst, const void *src, size_t n) MT_HIDDEN;
extern char mt_sc_insn[] MT_HIDDEN, mt_sc_fixup[] MT_HIDDEN;

__asm__(".text\n"
	".globl mt_safe_copy_raw\n.hidden mt_safe_copy_raw\n"
	".type mt_safe_copy_raw, @function\n"
	"mt_safe_copy_raw:\n"
	"	mov %rdx, %rcx\n"
	".globl mt_sc_insn\n.hidden mt_sc_insn\n"
	"mt_sc_insn:\n"
	"	rep movsb\n"
	"	xor %eax, %eax\n"
	"	ret\n"
	".globl mt_sc_fixup\n.hidden mt_sc_fixup\n"
	"mt_sc_fixup:\n"
	"	mov $-14, %eax\n" /* -EFAULT */
	"	ret\n"
	".size mt_safe_copy_raw, . - mt_safe_copy_raw\n");

MT_HIDDEN int mt_safe_copy(struct mt_tls *t, void *dst, const void *src, size_t n)
{
	__atomic_store_n(&t->sc_active, 1, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	int rc = mt_safe_copy_raw(dst, src, n);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&t->sc_active, 0, __ATOMIC_RELAXED);
	return rc;
}

MT_HIDDEN int mt_safe_copy_caught(struct mt_tls *t, int sig, const siginfo_t *si, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	if (!t || !t->sc_active || g[REG_RIP] != (greg_t)(uintptr_t)mt_sc_insn || si->si_code <= 0)
		return 0;
	t->sc_fault.sig = sig;
	t->sc_fault.code = si->si_code;
	t->sc_fault.addr = si->si_addr;
	t->sc_fault.err = g[REG_ERR];
	t->sc_fault.trapno = g[REG_TRAPNO];
	g[REG_RIP] = (greg_t)(uintptr_t)mt_sc_fixup;
	return 1;
}
