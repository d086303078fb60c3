/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* emu.c - mt_emulate(): dispatch to the integer or vector semantics. */
#include "core_int.h"
#include "emu_vec.h"

/* struct mt_cpu as a register file for the mt_plain_*() helpers. */
#define GPR_OFF(i) (uint16_t)(offsetof(struct mt_cpu, gpr) + 8 * (i))
static const uint16_t cpu_gpr_off[MT_NGPR] = {
	GPR_OFF(0), GPR_OFF(1), GPR_OFF(2), GPR_OFF(3), GPR_OFF(4), GPR_OFF(5),
	GPR_OFF(6), GPR_OFF(7), GPR_OFF(8), GPR_OFF(9), GPR_OFF(10), GPR_OFF(11),
	GPR_OFF(12), GPR_OFF(13), GPR_OFF(14), GPR_OFF(15),
};

/* Plain moves (struct mt_plain): the helpers every backend may use. */
static int plain_emulate(const struct mt_decoded *d, struct mt_cpu *cpu,
			 const struct mt_emu_ops *ops, void *opaque)
{
	uint64_t a = mt_plain_addr(d, cpu, cpu_gpr_off), v = 0;

	if (d->plain.kind == MT_PLAIN_LOAD) {
		if (ops->mem_read(opaque, a, &v, d->plain.size, 0) < 0)
			return MT_EMU_MEMFAULT;
		mt_plain_load(d, cpu, cpu_gpr_off, v);
	} else {
		v = mt_plain_store_value(d, cpu, cpu_gpr_off);
		if (ops->mem_write(opaque, a, &v, d->plain.size, 0) < 0)
			return MT_EMU_MEMFAULT;
	}
	cpu->rip = d->rip + d->len;
	return 0;
}

int mt_emulate(const struct mt_decoded *d, struct mt_cpu *cpu,
	       const struct mt_emu_ops *ops, void *opaque)
{
	if (!d || !cpu || !ops || !ops->mem_read || !ops->mem_write || !d->len)
		return MT_EMU_BADARG;
	if (d->plain.kind != MT_PLAIN_NONE)
		return plain_emulate(d, cpu, ops, opaque);
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
