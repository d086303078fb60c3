/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * decode.c - Zydis decoding, classification, the decode cache, status names
 * and effective-address computation.
 */
#include "core_int.h"
#include "emu_vec.h"

const char *mt_emu_strerror(int status)
{
	switch (status) {
	case MT_EMU_OK: return "ok";
	case MT_EMU_NEED_BYTES: return "need-bytes";
	case MT_EMU_INVALID: return "invalid";
	case MT_EMU_UNSUPPORTED: return "unsupported";
	case MT_EMU_MEMFAULT: return "memfault";
	case MT_EMU_REGFAULT: return "regfault";
	case MT_EMU_NOMEM_OPERAND: return "no-memory-operand";
	case MT_EMU_BADARG: return "bad-argument";
	case MT_EMU_DIVIDE_ERROR: return "divide-error";
	default: return "unknown-status";
	}
}

const char *mt_family_name(enum mt_family fam)
{
	static const char *const names[MT_FAM_COUNT] = {
		[MT_FAM_NONE] = "none",     [MT_FAM_MOV] = "mov",
		[MT_FAM_ALU] = "alu",       [MT_FAM_SHIFT] = "shift",
		[MT_FAM_BIT] = "bit",       [MT_FAM_ATOMIC] = "atomic",
		[MT_FAM_COND] = "cond",     [MT_FAM_NT] = "nt-store",
		[MT_FAM_STRING] = "string", [MT_FAM_VMOV] = "vmov",
		[MT_FAM_VALU] = "valu",     [MT_FAM_GATHER] = "gather",
		[MT_FAM_OTHER] = "other",
	};
	if ((unsigned)fam >= MT_FAM_COUNT)
		return "?";
	return names[fam];
}

/* enum mt_gpr of a 64-bit GPR, else MT_PLAIN_NOREG. */
static uint8_t gpr64(ZydisRegister r)
{
	if (r >= ZYDIS_REGISTER_RAX && r <= ZYDIS_REGISTER_R15)
		return (uint8_t)(r - ZYDIS_REGISTER_RAX);
	return MT_PLAIN_NOREG;
}

/* Fill d->plain if d is a plain move (see struct mt_plain). */
static void plain_classify(struct mt_decoded *d)
{
	const ZydisDecodedOperand *m, *o;
	struct mt_plain *p = &d->plain;
	ZydisRegister r;
	unsigned i;

	mt_memset(p, 0, sizeof(*p));
	if ((d->handler != MT_H_MOV && d->handler != MT_H_MOVX) || d->mem_op > 1 ||
	    d->insn.operand_count_visible != 2 || d->insn.address_width != 64)
		return;
	m = &d->ops[d->mem_op];
	o = &d->ops[d->mem_op ^ 1];
	if (m->mem.segment == ZYDIS_REGISTER_FS || m->mem.segment == ZYDIS_REGISTER_GS)
		return;
	if (m->size != 8 && m->size != 16 && m->size != 32 && m->size != 64)
		return;
	p->size = (uint8_t)(m->size / 8);
	p->base = MT_PLAIN_NOREG;
	p->index = MT_PLAIN_NOREG;
	p->scale = 1;
	if (m->mem.base == ZYDIS_REGISTER_RIP) {
		p->flags |= MT_PLAIN_RIPREL;
	} else if (m->mem.base != ZYDIS_REGISTER_NONE) {
		p->base = gpr64(m->mem.base);
		if (p->base == MT_PLAIN_NOREG)
			return;
	}
	if (m->mem.index != ZYDIS_REGISTER_NONE) {
		p->index = gpr64(m->mem.index);
		if (p->index == MT_PLAIN_NOREG)
			return;
		p->scale = m->mem.scale ? m->mem.scale : 1;
	}
	p->disp = m->mem.disp.has_displacement ? m->mem.disp.value : 0;
	if (o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
		if (d->mem_op != 0)
			return;
		p->flags |= MT_PLAIN_IMM;
		p->imm = o->imm.is_signed ? (uint64_t)o->imm.value.s : o->imm.value.u;
		p->kind = MT_PLAIN_STORE;
		return;
	}
	if (o->type != ZYDIS_OPERAND_TYPE_REGISTER)
		return;
	r = o->reg.value;
	if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_R15B) {
		i = r - ZYDIS_REGISTER_AL;
		if (i >= 4 && i < 8) {
			p->flags |= MT_PLAIN_HI8;
			i -= 4;
		} else if (i >= 8) {
			i -= 4;
		}
		p->reg_size = 1;
	} else if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_R15W) {
		i = r - ZYDIS_REGISTER_AX, p->reg_size = 2;
	} else if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_R15D) {
		i = r - ZYDIS_REGISTER_EAX, p->reg_size = 4;
	} else if (r >= ZYDIS_REGISTER_RAX && r <= ZYDIS_REGISTER_R15) {
		i = r - ZYDIS_REGISTER_RAX, p->reg_size = 8;
	} else {
		return;
	}
	p->reg = (uint8_t)i;
	if (d->mem_op == 0) {
		if (d->handler != MT_H_MOV || p->reg_size != p->size)
			return;
		p->kind = MT_PLAIN_STORE;
		return;
	}
	if (d->handler == MT_H_MOV ? p->reg_size != p->size : p->reg_size <= p->size)
		return;
	if (d->insn.mnemonic != ZYDIS_MNEMONIC_MOV && d->insn.mnemonic != ZYDIS_MNEMONIC_MOVZX)
		p->flags |= MT_PLAIN_SX;
	p->kind = MT_PLAIN_LOAD;
}

int mt_decode(struct mt_decoded *d, const uint8_t *bytes, size_t len, uint64_t rip)
{
	ZydisDecoder dec;
	ZyanStatus zs;
	uint8_t fam = MT_FAM_NONE, h = MT_H_NONE;
	unsigned i;

	if (!d || !bytes)
		return MT_EMU_BADARG;
	if (!ZYAN_SUCCESS(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64,
					   ZYDIS_STACK_WIDTH_64)))
		return MT_EMU_BADARG;
	if (len > ZYDIS_MAX_INSTRUCTION_LENGTH)
		len = ZYDIS_MAX_INSTRUCTION_LENGTH;
	zs = ZydisDecoderDecodeFull(&dec, bytes, len, &d->insn, d->ops);
	if (!ZYAN_SUCCESS(zs)) {
		d->len = 0;
		d->rip = ~0ull;
		d->plain.kind = MT_PLAIN_NONE;
		if (zs == ZYDIS_STATUS_NO_MORE_DATA && len < ZYDIS_MAX_INSTRUCTION_LENGTH)
			return MT_EMU_NEED_BYTES;
		return MT_EMU_INVALID;
	}
	d->rip = rip;
	d->len = d->insn.length;
	mt_memset(d->bytes, 0, sizeof(d->bytes));
	mt_memcpy(d->bytes, bytes, d->len);
	d->mem_op = 0xff;
	for (i = 0; i < d->insn.operand_count; i++) {
		const ZydisDecodedOperand *op = &d->ops[i];
		if (op->type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    op->mem.type == ZYDIS_MEMOP_TYPE_MEM) {
			d->mem_op = (uint8_t)i;
			break;
		}
	}
	if (!mt__int_classify(d, &fam, &h) && !mt__vec_classify(d, &fam, &h)) {
		fam = d->mem_op == 0xff ? MT_FAM_NONE : MT_FAM_OTHER;
		h = MT_H_NONE;
		/* Memory operands that are not plain: VSIB (gathers and
		 * scatters) and MIB (MPX BNDLDX/BNDSTX, bound tables). */
		for (i = 0; fam == MT_FAM_NONE && i < d->insn.operand_count; i++) {
			const ZydisDecodedOperand *op = &d->ops[i];
			if (op->type != ZYDIS_OPERAND_TYPE_MEMORY)
				continue;
			if (op->mem.type == ZYDIS_MEMOP_TYPE_VSIB)
				fam = MT_FAM_GATHER;
			else if (op->mem.type == ZYDIS_MEMOP_TYPE_MIB)
				fam = MT_FAM_OTHER;
		}
	}
	d->family = fam;
	d->handler = h;
	plain_classify(d);
	return 0;
}

bool mt_emu_supported(const struct mt_decoded *d, const struct mt_emu_ops *ops)
{
	if (!d || !ops || d->handler == MT_H_NONE || !ops->mem_read || !ops->mem_write)
		return false;
	if (d->handler >= MT_H_VEC_FIRST)
		return mt__vec_supported(d, ops);
	return mt__stack_ok(d->handler, ops);
}

/* ---- decode cache ---- */

int mt_dcache_init(struct mt_dcache *c, struct mt_decoded *slots, uint32_t nslots)
{
	uint32_t i;

	if (!c || !slots || !nslots || (nslots & (nslots - 1)))
		return MT_EMU_BADARG;
	c->slots = slots;
	c->mask = nslots - 1;
	c->hits = c->misses = 0;
	for (i = 0; i < nslots; i++) {
		slots[i].rip = ~0ull;
		slots[i].len = 0;
	}
	return 0;
}

static inline uint32_t dc_index(const struct mt_dcache *c, uint64_t rip)
{
	uint64_t h = rip * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 40) & c->mask;
}

const struct mt_decoded *mt_dcache_lookup(struct mt_dcache *c, uint64_t rip,
					  const uint8_t *bytes, size_t n)
{
	const struct mt_decoded *d = &c->slots[dc_index(c, rip)];

	if (MT_LIKELY(d->rip == rip && d->len && d->len <= n &&
		      !mt_memcmp(d->bytes, bytes, d->len))) {
		c->hits++;
		return d;
	}
	c->misses++;
	return NULL;
}

const struct mt_decoded *mt_dcache_fill(struct mt_dcache *c, uint64_t rip,
					const uint8_t *bytes, size_t n, int *status)
{
	struct mt_decoded *d = &c->slots[dc_index(c, rip)];
	int rc = mt_decode(d, bytes, n, rip);

	if (status)
		*status = rc;
	return rc ? NULL : d;
}

/* ---- registers ---- */

int mt__reg_read(const struct mt_cpu *cpu, ZydisRegister r, uint64_t *v)
{
	if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_R15B) {
		unsigned i = r - ZYDIS_REGISTER_AL;
		if (i >= 4 && i < 8)
			*v = (cpu->gpr[i - 4] >> 8) & 0xff;
		else
			*v = cpu->gpr[i < 4 ? i : i - 4] & 0xff;
	} else if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_R15W) {
		*v = cpu->gpr[r - ZYDIS_REGISTER_AX] & 0xffff;
	} else if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_R15D) {
		*v = cpu->gpr[r - ZYDIS_REGISTER_EAX] & 0xffffffffull;
	} else if (r >= ZYDIS_REGISTER_RAX && r <= ZYDIS_REGISTER_R15) {
		*v = cpu->gpr[r - ZYDIS_REGISTER_RAX];
	} else {
		return MT_EMU_UNSUPPORTED;
	}
	return 0;
}

int mt__reg_write(struct mt_cpu *cpu, ZydisRegister r, uint64_t v)
{
	if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_R15B) {
		unsigned i = r - ZYDIS_REGISTER_AL;
		if (i >= 4 && i < 8) {
			uint64_t *g = &cpu->gpr[i - 4];
			*g = (*g & ~0xff00ull) | ((v & 0xff) << 8);
		} else {
			uint64_t *g = &cpu->gpr[i < 4 ? i : i - 4];
			*g = (*g & ~0xffull) | (v & 0xff);
		}
	} else if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_R15W) {
		uint64_t *g = &cpu->gpr[r - ZYDIS_REGISTER_AX];
		*g = (*g & ~0xffffull) | (v & 0xffff);
	} else if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_R15D) {
		cpu->gpr[r - ZYDIS_REGISTER_EAX] = v & 0xffffffffull;
	} else if (r >= ZYDIS_REGISTER_RAX && r <= ZYDIS_REGISTER_R15) {
		cpu->gpr[r - ZYDIS_REGISTER_RAX] = v;
	} else {
		return MT_EMU_UNSUPPORTED;
	}
	return 0;
}

/* ---- effective address ---- */

int mt_operand_address(const struct mt_decoded *d, unsigned opidx,
		       const struct mt_cpu *cpu, uint64_t *addr)
{
	const ZydisDecodedOperand *op;
	uint64_t a = 0, v;

	if (!d || !cpu || !addr || opidx >= d->insn.operand_count)
		return MT_EMU_BADARG;
	op = &d->ops[opidx];
	if (op->type != ZYDIS_OPERAND_TYPE_MEMORY)
		return MT_EMU_BADARG;
	if (op->mem.base == ZYDIS_REGISTER_RIP || op->mem.base == ZYDIS_REGISTER_EIP) {
		a = d->rip + d->len;
	} else if (op->mem.base != ZYDIS_REGISTER_NONE) {
		if (mt__reg_read(cpu, op->mem.base, &v))
			return MT_EMU_UNSUPPORTED;
		a = v;
	}
	if (op->mem.index != ZYDIS_REGISTER_NONE) {
		if (mt__reg_read(cpu, op->mem.index, &v))
			return MT_EMU_UNSUPPORTED; /* VSIB: vector code computes its own */
		a += v * (op->mem.scale ? op->mem.scale : 1);
	}
	if (op->mem.disp.has_displacement)
		a += (uint64_t)op->mem.disp.value;
	if (d->insn.address_width == 32)
		a &= 0xffffffffull;
	else if (d->insn.address_width == 16)
		a &= 0xffffull;
	if (op->mem.segment == ZYDIS_REGISTER_FS)
		a += cpu->fs_base;
	else if (op->mem.segment == ZYDIS_REGISTER_GS)
		a += cpu->gs_base;
	*addr = a;
	return 0;
}
