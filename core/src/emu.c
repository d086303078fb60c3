/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* emu.c - mt_emulate(): dispatch to the integer or vector semantics. */
#include "core_int.h"
#include "emu_vec.h"

int mt_emulate(const struct mt_decoded *d, struct mt_cpu *cpu,
	       const struct mt_emu_ops *ops, void *opaque)
{
	if (!d || !cpu || !ops || !ops->mem_read || !ops->mem_write || !d->len)
		return MT_EMU_BADARG;
	if (d->handler == 0)
		return d->family == MT_FAM_NONE ? MT_EMU_NOMEM_OPERAND : MT_EMU_UNSUPPORTED;
	if (d->handler >= MT_H_VEC_FIRST) {
		int rc;
		if (!mt__vec_supported(d, ops))
			return MT_EMU_UNSUPPORTED;
		rc = mt__vec_emulate(d, cpu, ops, opaque);
		if (rc == 0)
			cpu->rip = d->rip + d->len;
		return rc;
	}
	return mt__int_emulate(d, cpu, ops, opaque);
}
