/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * emu_int.c - integer instructions with a memory operand.
 *
 * Memory accesses go through ops->mem_read/mem_write in program order:
 *  - read-modify-write forms: one read, then one write of the same size
 *    (both flagged MT_ACC_RMW, and MT_ACC_LOCKED with LOCK or XCHG);
 *  - CMP/TEST/BT and other read-only forms: one read;
 *  - CMPXCHG, CMPXCHG8B/16B: a read, then a write ONLY when the comparison
 *    succeeds. The CPU writes the old value back on failure; we do not,
 *    because a write to a device register is a side effect the program did
 *    not ask for (a doorbell, a write-1-to-clear status). Memory contents
 *    are identical either way.
 *  - CMOVcc with a memory source always reads, like the CPU;
 *  - string instructions: one access per element (MOVS/CMPS: the [RSI]
 *    access first), registers updated after each element so that a memory
 *    fault leaves the context as the CPU would (RIP still at the
 *    instruction, RCX/RSI/RDI counting the elements done).
 * Results and flags come from executing the same operation natively on the
 * values (flags.c).
 */
#include "core_int.h"
#include "flags.h"

struct ectx {
	const struct mt_decoded *d;
	struct mt_cpu *cpu;
	const struct mt_emu_ops *ops;
	void *opaque;
	uint64_t addr;   /* effective address of d->mem_op */
	unsigned accfl;  /* MT_ACC_LOCKED if LOCK-prefixed */
	bool yield;      /* a callback returned MT_MEM_YIELD */
	bool rep_stop;   /* REP string stopped part-way: RIP stays */
};

/* A callback's status: < 0 a fault; MT_MEM_YIELD done, end a REP chunk. */
static int mstatus(struct ectx *e, int rc)
{
	if (rc < 0)
		return MT_EMU_MEMFAULT;
	if (rc > 0)
		e->yield = true;
	return 0;
}

static int mread(struct ectx *e, uint64_t addr, void *buf, unsigned size, unsigned fl)
{
	return mstatus(e, e->ops->mem_read(e->opaque, addr, buf, size, fl));
}

static int mwrite(struct ectx *e, uint64_t addr, const void *buf, unsigned size, unsigned fl)
{
	return mstatus(e, e->ops->mem_write(e->opaque, addr, buf, size, fl));
}

/* little-endian value <-> bytes, x86 only */
static int mread_val(struct ectx *e, uint64_t addr, unsigned size, unsigned fl, uint64_t *v)
{
	uint64_t x = 0;
	int rc = mread(e, addr, &x, size, fl);
	*v = x & mt__mask(size);
	return rc;
}

static int mwrite_val(struct ectx *e, uint64_t addr, unsigned size, unsigned fl, uint64_t v)
{
	return mwrite(e, addr, &v, size, fl);
}

static unsigned opsize(const ZydisDecodedOperand *op)
{
	return op->size / 8;
}

static int64_t sext(uint64_t v, unsigned size)
{
	switch (size) {
	case 1: return (int8_t)v;
	case 2: return (int16_t)v;
	case 4: return (int32_t)v;
	default: return (int64_t)v;
	}
}

/* Value of a register or immediate operand (not memory). */
static int rval(struct ectx *e, unsigned i, uint64_t *v)
{
	const ZydisDecodedOperand *op = &e->d->ops[i];

	if (op->type == ZYDIS_OPERAND_TYPE_REGISTER)
		return mt__reg_read(e->cpu, op->reg.value, v);
	if (op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
		/* Zydis sign-extends signed immediates to 64 bits; users
		 * mask to their operand size. */
		*v = op->imm.is_signed ? (uint64_t)op->imm.value.s : op->imm.value.u;
		return 0;
	}
	return MT_EMU_UNSUPPORTED;
}

/* Read operand i (memory: one access with flags fl). */
static int oread(struct ectx *e, unsigned i, unsigned fl, uint64_t *v)
{
	const ZydisDecodedOperand *op = &e->d->ops[i];

	if (op->type == ZYDIS_OPERAND_TYPE_MEMORY)
		return mread_val(e, e->addr, opsize(op), fl | e->accfl, v);
	return rval(e, i, v);
}

static int owrite(struct ectx *e, unsigned i, unsigned fl, uint64_t v)
{
	const ZydisDecodedOperand *op = &e->d->ops[i];

	if (op->type == ZYDIS_OPERAND_TYPE_MEMORY)
		return mwrite_val(e, e->addr, opsize(op), fl | e->accfl, v);
	if (op->type == ZYDIS_OPERAND_TYPE_REGISTER)
		return mt__reg_write(e->cpu, op->reg.value, v);
	return MT_EMU_UNSUPPORTED;
}

static bool cond_true(ZydisMnemonic m, uint64_t fl)
{
	bool cf = fl & MT_FL_CF, zf = fl & MT_FL_ZF, sf = fl & MT_FL_SF;
	bool of = fl & MT_FL_OF, pf = fl & MT_FL_PF;

	switch (m) {
	case ZYDIS_MNEMONIC_SETO: case ZYDIS_MNEMONIC_CMOVO: return of;
	case ZYDIS_MNEMONIC_SETNO: case ZYDIS_MNEMONIC_CMOVNO: return !of;
	case ZYDIS_MNEMONIC_SETB: case ZYDIS_MNEMONIC_CMOVB: return cf;
	case ZYDIS_MNEMONIC_SETNB: case ZYDIS_MNEMONIC_CMOVNB: return !cf;
	case ZYDIS_MNEMONIC_SETZ: case ZYDIS_MNEMONIC_CMOVZ: return zf;
	case ZYDIS_MNEMONIC_SETNZ: case ZYDIS_MNEMONIC_CMOVNZ: return !zf;
	case ZYDIS_MNEMONIC_SETBE: case ZYDIS_MNEMONIC_CMOVBE: return cf || zf;
	case ZYDIS_MNEMONIC_SETNBE: case ZYDIS_MNEMONIC_CMOVNBE: return !cf && !zf;
	case ZYDIS_MNEMONIC_SETS: case ZYDIS_MNEMONIC_CMOVS: return sf;
	case ZYDIS_MNEMONIC_SETNS: case ZYDIS_MNEMONIC_CMOVNS: return !sf;
	case ZYDIS_MNEMONIC_SETP: case ZYDIS_MNEMONIC_CMOVP: return pf;
	case ZYDIS_MNEMONIC_SETNP: case ZYDIS_MNEMONIC_CMOVNP: return !pf;
	case ZYDIS_MNEMONIC_SETL: case ZYDIS_MNEMONIC_CMOVL: return sf != of;
	case ZYDIS_MNEMONIC_SETNL: case ZYDIS_MNEMONIC_CMOVNL: return sf == of;
	case ZYDIS_MNEMONIC_SETLE: case ZYDIS_MNEMONIC_CMOVLE: return zf || sf != of;
	case ZYDIS_MNEMONIC_SETNLE: case ZYDIS_MNEMONIC_CMOVNLE: return !zf && sf == of;
	default: return false;
	}
}

static bool is_string_op(const ZydisDecodedInstruction *in)
{
	return in->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT &&
	       ((in->opcode >= 0xa4 && in->opcode <= 0xa7) ||
		(in->opcode >= 0xaa && in->opcode <= 0xaf));
}

int mt__int_classify(const struct mt_decoded *d, uint8_t *family, uint8_t *handler)
{
	const ZydisDecodedInstruction *in = &d->insn;
	uint8_t fam, h;
	unsigned i;

	if (is_string_op(in)) {
		*family = MT_FAM_STRING;
		*handler = MT_H_STRING;
		return 1;
	}
	if (d->mem_op == 0xff && in->mnemonic != ZYDIS_MNEMONIC_MOVDIR64B)
		return 0;
	switch (in->mnemonic) {
	case ZYDIS_MNEMONIC_MOV:
		fam = MT_FAM_MOV, h = MT_H_MOV;
		for (i = 0; i < in->operand_count_visible; i++)
			if (d->ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
			    (d->ops[i].reg.value < ZYDIS_REGISTER_AL ||
			     d->ops[i].reg.value > ZYDIS_REGISTER_R15))
				h = MT_H_NONE; /* segment register forms */
		break;
	case ZYDIS_MNEMONIC_MOVZX: case ZYDIS_MNEMONIC_MOVSX: case ZYDIS_MNEMONIC_MOVSXD:
		fam = MT_FAM_MOV, h = MT_H_MOVX; break;
	case ZYDIS_MNEMONIC_MOVBE:
		fam = MT_FAM_MOV, h = MT_H_MOVBE; break;
	case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_OR: case ZYDIS_MNEMONIC_ADC:
	case ZYDIS_MNEMONIC_SBB: case ZYDIS_MNEMONIC_AND: case ZYDIS_MNEMONIC_SUB:
	case ZYDIS_MNEMONIC_XOR: case ZYDIS_MNEMONIC_CMP: case ZYDIS_MNEMONIC_TEST:
		fam = MT_FAM_ALU, h = MT_H_ALU2; break;
	case ZYDIS_MNEMONIC_NOT: case ZYDIS_MNEMONIC_NEG:
	case ZYDIS_MNEMONIC_INC: case ZYDIS_MNEMONIC_DEC:
		fam = MT_FAM_ALU, h = MT_H_ALU1; break;
	case ZYDIS_MNEMONIC_SHL: case ZYDIS_MNEMONIC_SHR: case ZYDIS_MNEMONIC_SAR:
	case ZYDIS_MNEMONIC_ROL: case ZYDIS_MNEMONIC_ROR:
	case ZYDIS_MNEMONIC_RCL: case ZYDIS_MNEMONIC_RCR:
		fam = MT_FAM_SHIFT, h = MT_H_SHIFT; break;
	case ZYDIS_MNEMONIC_SHLD: case ZYDIS_MNEMONIC_SHRD:
		fam = MT_FAM_SHIFT, h = MT_H_SHD; break;
	case ZYDIS_MNEMONIC_BT: case ZYDIS_MNEMONIC_BTS:
	case ZYDIS_MNEMONIC_BTR: case ZYDIS_MNEMONIC_BTC:
		fam = MT_FAM_BIT, h = MT_H_BT; break;
	case ZYDIS_MNEMONIC_XCHG: fam = MT_FAM_ATOMIC, h = MT_H_XCHG; break;
	case ZYDIS_MNEMONIC_CMPXCHG: fam = MT_FAM_ATOMIC, h = MT_H_CMPXCHG; break;
	case ZYDIS_MNEMONIC_CMPXCHG8B: case ZYDIS_MNEMONIC_CMPXCHG16B:
		fam = MT_FAM_ATOMIC, h = MT_H_CMPXCHGNB; break;
	case ZYDIS_MNEMONIC_XADD: fam = MT_FAM_ATOMIC, h = MT_H_XADD; break;
	case ZYDIS_MNEMONIC_SETB: case ZYDIS_MNEMONIC_SETBE: case ZYDIS_MNEMONIC_SETL:
	case ZYDIS_MNEMONIC_SETLE: case ZYDIS_MNEMONIC_SETNB: case ZYDIS_MNEMONIC_SETNBE:
	case ZYDIS_MNEMONIC_SETNL: case ZYDIS_MNEMONIC_SETNLE: case ZYDIS_MNEMONIC_SETNO:
	case ZYDIS_MNEMONIC_SETNP: case ZYDIS_MNEMONIC_SETNS: case ZYDIS_MNEMONIC_SETNZ:
	case ZYDIS_MNEMONIC_SETO: case ZYDIS_MNEMONIC_SETP: case ZYDIS_MNEMONIC_SETS:
	case ZYDIS_MNEMONIC_SETZ:
		fam = MT_FAM_COND, h = MT_H_SETCC; break;
	case ZYDIS_MNEMONIC_CMOVB: case ZYDIS_MNEMONIC_CMOVBE: case ZYDIS_MNEMONIC_CMOVL:
	case ZYDIS_MNEMONIC_CMOVLE: case ZYDIS_MNEMONIC_CMOVNB: case ZYDIS_MNEMONIC_CMOVNBE:
	case ZYDIS_MNEMONIC_CMOVNL: case ZYDIS_MNEMONIC_CMOVNLE: case ZYDIS_MNEMONIC_CMOVNO:
	case ZYDIS_MNEMONIC_CMOVNP: case ZYDIS_MNEMONIC_CMOVNS: case ZYDIS_MNEMONIC_CMOVNZ:
	case ZYDIS_MNEMONIC_CMOVO: case ZYDIS_MNEMONIC_CMOVP: case ZYDIS_MNEMONIC_CMOVS:
	case ZYDIS_MNEMONIC_CMOVZ:
		fam = MT_FAM_COND, h = MT_H_CMOVCC; break;
	case ZYDIS_MNEMONIC_MOVNTI: case ZYDIS_MNEMONIC_MOVDIRI:
		fam = MT_FAM_NT, h = MT_H_NTSTORE; break;
	case ZYDIS_MNEMONIC_MOVDIR64B:
		fam = MT_FAM_NT, h = MT_H_MOVDIR64B; break;
	case ZYDIS_MNEMONIC_MUL: case ZYDIS_MNEMONIC_IMUL:
	case ZYDIS_MNEMONIC_DIV: case ZYDIS_MNEMONIC_IDIV:
		/* one-operand forms (F6/F7 /4-/7); IMUL r, m[, imm] is
		 * displaced (emu_vec.c) */
		if (in->opcode_map != ZYDIS_OPCODE_MAP_DEFAULT ||
		    (in->opcode != 0xf6 && in->opcode != 0xf7) || d->mem_op != 0)
			return 0;
		fam = MT_FAM_ALU, h = MT_H_MULDIV; break;
	case ZYDIS_MNEMONIC_XLAT:
		fam = MT_FAM_MOV, h = MT_H_XLAT; break;
	case ZYDIS_MNEMONIC_JMP:
		/* near indirect FF /4 with a 64-bit pointer; far forms load CS */
		if (in->opcode != 0xff || in->raw.modrm.reg != 4 || d->mem_op != 0 ||
		    d->ops[0].size != 64)
			return 0;
		fam = MT_FAM_OTHER, h = MT_H_JMPM; break;
	case ZYDIS_MNEMONIC_CALL:
		if (in->opcode != 0xff || in->raw.modrm.reg != 2 || d->mem_op != 0 ||
		    d->ops[0].size != 64)
			return 0;
		fam = MT_FAM_OTHER, h = MT_H_CALLM; break;
	case ZYDIS_MNEMONIC_PUSH:
		if (d->mem_op != 0)
			return 0;
		fam = MT_FAM_MOV, h = MT_H_PUSHM; break;
	case ZYDIS_MNEMONIC_POP:
		if (d->mem_op != 0)
			return 0;
		fam = MT_FAM_MOV, h = MT_H_POPM; break;
	default:
		return 0;
	}
	*family = fam;
	*handler = h;
	return 1;
}

static void set_rflags(struct ectx *e, uint64_t f)
{
	e->cpu->rflags = f;
}

/* ---- handlers ---- */

static int h_mov(struct ectx *e)
{
	uint64_t v;
	int rc = oread(e, 1, 0, &v);
	return rc ? rc : owrite(e, 0, 0, v);
}

static int h_movx(struct ectx *e)
{
	const ZydisDecodedOperand *src = &e->d->ops[1];
	uint64_t v;
	int rc = oread(e, 1, 0, &v);

	if (rc)
		return rc;
	if (e->d->insn.mnemonic != ZYDIS_MNEMONIC_MOVZX)
		v = (uint64_t)sext(v, opsize(src));
	return owrite(e, 0, 0, v);
}

static uint64_t bswap(uint64_t v, unsigned size)
{
	switch (size) {
	case 2: return __builtin_bswap16((uint16_t)v);
	case 4: return __builtin_bswap32((uint32_t)v);
	default: return __builtin_bswap64(v);
	}
}

static int h_movbe(struct ectx *e)
{
	uint64_t v;
	int rc = oread(e, 1, 0, &v);
	return rc ? rc : owrite(e, 0, 0, bswap(v, opsize(&e->d->ops[0])));
}

static int h_alu2(struct ectx *e)
{
	ZydisMnemonic m = e->d->insn.mnemonic;
	unsigned size = opsize(&e->d->ops[0]);
	bool wr = m != ZYDIS_MNEMONIC_CMP && m != ZYDIS_MNEMONIC_TEST;
	bool rmw = wr && e->d->mem_op == 0;
	uint64_t a, b, r, f = e->cpu->rflags;
	enum mt__op op;
	int rc;

	switch (m) {
	case ZYDIS_MNEMONIC_ADD: op = MT_OP_ADD; break;
	case ZYDIS_MNEMONIC_OR: op = MT_OP_OR; break;
	case ZYDIS_MNEMONIC_ADC: op = MT_OP_ADC; break;
	case ZYDIS_MNEMONIC_SBB: op = MT_OP_SBB; break;
	case ZYDIS_MNEMONIC_AND: op = MT_OP_AND; break;
	case ZYDIS_MNEMONIC_SUB: op = MT_OP_SUB; break;
	case ZYDIS_MNEMONIC_XOR: op = MT_OP_XOR; break;
	case ZYDIS_MNEMONIC_CMP: op = MT_OP_CMP; break;
	default: op = MT_OP_TEST; break;
	}
	if ((rc = oread(e, 0, rmw ? MT_ACC_RMW : 0, &a)) || (rc = oread(e, 1, 0, &b)))
		return rc;
	r = mt__native_op(op, size, a, b & mt__mask(size), 0, &f);
	if (wr && (rc = owrite(e, 0, rmw ? MT_ACC_RMW : 0, r)))
		return rc;
	set_rflags(e, f);
	return 0;
}

static int h_alu1(struct ectx *e)
{
	unsigned size = opsize(&e->d->ops[0]);
	uint64_t a, r, f = e->cpu->rflags;
	enum mt__op op;
	int rc;

	switch (e->d->insn.mnemonic) {
	case ZYDIS_MNEMONIC_NOT: op = MT_OP_NOT; break;
	case ZYDIS_MNEMONIC_NEG: op = MT_OP_NEG; break;
	case ZYDIS_MNEMONIC_INC: op = MT_OP_INC; break;
	default: op = MT_OP_DEC; break;
	}
	if ((rc = oread(e, 0, MT_ACC_RMW, &a)))
		return rc;
	r = mt__native_op(op, size, a, 0, 0, &f);
	if ((rc = owrite(e, 0, MT_ACC_RMW, r)))
		return rc;
	set_rflags(e, f);
	return 0;
}

static int h_shift(struct ectx *e)
{
	unsigned size = opsize(&e->d->ops[0]);
	uint64_t a, cnt, r, f = e->cpu->rflags;
	enum mt__op op;
	int rc;

	switch (e->d->insn.mnemonic) {
	case ZYDIS_MNEMONIC_SHL: op = MT_OP_SHL; break;
	case ZYDIS_MNEMONIC_SHR: op = MT_OP_SHR; break;
	case ZYDIS_MNEMONIC_SAR: op = MT_OP_SAR; break;
	case ZYDIS_MNEMONIC_ROL: op = MT_OP_ROL; break;
	case ZYDIS_MNEMONIC_ROR: op = MT_OP_ROR; break;
	case ZYDIS_MNEMONIC_RCL: op = MT_OP_RCL; break;
	default: op = MT_OP_RCR; break;
	}
	if ((rc = rval(e, 1, &cnt)) || (rc = oread(e, 0, MT_ACC_RMW, &a)))
		return rc;
	r = mt__native_op(op, size, a, cnt & 0xff, 0, &f);
	if ((rc = owrite(e, 0, MT_ACC_RMW, r)))
		return rc;
	set_rflags(e, f);
	return 0;
}

static int h_shd(struct ectx *e)
{
	unsigned size = opsize(&e->d->ops[0]);
	uint64_t a, b, cnt, r, f = e->cpu->rflags;
	int rc;

	if ((rc = rval(e, 1, &b)) || (rc = rval(e, 2, &cnt)) ||
	    (rc = oread(e, 0, MT_ACC_RMW, &a)))
		return rc;
	r = mt__native_op(e->d->insn.mnemonic == ZYDIS_MNEMONIC_SHLD ? MT_OP_SHLD : MT_OP_SHRD,
			  size, a, b, cnt & 0xff, &f);
	if ((rc = owrite(e, 0, MT_ACC_RMW, r)))
		return rc;
	set_rflags(e, f);
	return 0;
}

static int h_bt(struct ectx *e)
{
	const ZydisDecodedOperand *src = &e->d->ops[1];
	unsigned size = opsize(&e->d->ops[0]);
	ZydisMnemonic m = e->d->insn.mnemonic;
	bool wr = m != ZYDIS_MNEMONIC_BT;
	unsigned fl = wr ? MT_ACC_RMW : 0;
	uint64_t a, off, r, f = e->cpu->rflags, addr = e->addr;
	enum mt__op op;
	int rc;

	switch (m) {
	case ZYDIS_MNEMONIC_BT: op = MT_OP_BT; break;
	case ZYDIS_MNEMONIC_BTS: op = MT_OP_BTS; break;
	case ZYDIS_MNEMONIC_BTR: op = MT_OP_BTR; break;
	default: op = MT_OP_BTC; break;
	}
	if ((rc = rval(e, 1, &off)))
		return rc;
	if (src->type == ZYDIS_OPERAND_TYPE_REGISTER) {
		/* A register bit offset is signed and addresses beyond the
		 * operand: the access moves by whole operands. */
		int64_t so = sext(off, size);
		int64_t words = so >> (size == 2 ? 4 : size == 4 ? 5 : 6);
		addr += (uint64_t)(words * (int64_t)size);
		if (e->d->insn.address_width == 32)
			addr = (e->addr & ~0xffffffffull) | (addr & 0xffffffffull);
	}
	if ((rc = mread_val(e, addr, size, fl | e->accfl, &a)))
		return rc;
	r = mt__native_op(op, size, a, off & mt__mask(size) & (size * 8 - 1), 0, &f);
	if (wr && (rc = mwrite_val(e, addr, size, fl | e->accfl, r)))
		return rc;
	set_rflags(e, f);
	return 0;
}

static int h_xchg(struct ectx *e)
{
	unsigned mi = e->d->mem_op, ri = mi == 0 ? 1 : 0;
	unsigned fl = MT_ACC_RMW | MT_ACC_LOCKED;
	uint64_t m, r;
	int rc;

	if ((rc = rval(e, ri, &r)) || (rc = oread(e, mi, fl, &m)) ||
	    (rc = owrite(e, mi, fl, r)))
		return rc;
	return owrite(e, ri, 0, m);
}

static int h_xadd(struct ectx *e)
{
	unsigned size = opsize(&e->d->ops[0]);
	uint64_t m, r, sum, f = e->cpu->rflags;
	int rc;

	if ((rc = rval(e, 1, &r)) || (rc = oread(e, 0, MT_ACC_RMW, &m)))
		return rc;
	sum = mt__native_op(MT_OP_ADD, size, m, r, 0, &f);
	if ((rc = owrite(e, 0, MT_ACC_RMW, sum)))
		return rc;
	owrite(e, 1, 0, m);
	set_rflags(e, f);
	return 0;
}

static const ZydisRegister acc_reg[9] = {
	[1] = ZYDIS_REGISTER_AL, [2] = ZYDIS_REGISTER_AX,
	[4] = ZYDIS_REGISTER_EAX, [8] = ZYDIS_REGISTER_RAX,
};

static int h_cmpxchg(struct ectx *e)
{
	unsigned size = opsize(&e->d->ops[0]);
	uint64_t m, src, acc, f = e->cpu->rflags;
	int rc;

	if ((rc = rval(e, 1, &src)))
		return rc;
	acc = e->cpu->gpr[MT_RAX] & mt__mask(size);
	if ((rc = oread(e, 0, MT_ACC_RMW, &m)))
		return rc;
	mt__native_op(MT_OP_CMP, size, acc, m, 0, &f);
	if (acc == m) {
		if ((rc = owrite(e, 0, MT_ACC_RMW, src)))
			return rc;
	} else {
		mt__reg_write(e->cpu, acc_reg[size], m);
	}
	set_rflags(e, f);
	return 0;
}

static int h_cmpxchgnb(struct ectx *e)
{
	struct mt_cpu *c = e->cpu;
	unsigned size = opsize(&e->d->ops[0]); /* 8 or 16 */
	uint64_t m[2] = { 0, 0 }, w[2];
	bool eq;
	int rc;

	if ((rc = mread(e, e->addr, m, size, MT_ACC_RMW | e->accfl)))
		return rc;
	if (size == 8) {
		uint64_t cur = (c->gpr[MT_RAX] & 0xffffffffull) | (c->gpr[MT_RDX] << 32);
		eq = cur == m[0];
		w[0] = (c->gpr[MT_RBX] & 0xffffffffull) | (c->gpr[MT_RCX] << 32);
	} else {
		eq = c->gpr[MT_RAX] == m[0] && c->gpr[MT_RDX] == m[1];
		w[0] = c->gpr[MT_RBX];
		w[1] = c->gpr[MT_RCX];
	}
	if (eq) {
		if ((rc = mwrite(e, e->addr, w, size, MT_ACC_RMW | e->accfl)))
			return rc;
		c->rflags |= MT_FL_ZF;
	} else {
		if (size == 8) {
			c->gpr[MT_RAX] = m[0] & 0xffffffffull;
			c->gpr[MT_RDX] = m[0] >> 32;
		} else {
			c->gpr[MT_RAX] = m[0];
			c->gpr[MT_RDX] = m[1];
		}
		c->rflags &= ~MT_FL_ZF;
	}
	return 0;
}

static int h_setcc(struct ectx *e)
{
	return owrite(e, 0, 0, cond_true(e->d->insn.mnemonic, e->cpu->rflags) ? 1 : 0);
}

static int h_cmovcc(struct ectx *e)
{
	uint64_t v, old;
	int rc;

	if ((rc = oread(e, 1, 0, &v)))
		return rc;
	if (cond_true(e->d->insn.mnemonic, e->cpu->rflags))
		return owrite(e, 0, 0, v);
	/* A 32-bit CMOV zero-extends its destination even when false. */
	if (opsize(&e->d->ops[0]) == 4 && !(rc = rval(e, 0, &old)))
		rc = owrite(e, 0, 0, old);
	return rc;
}

static int h_ntstore(struct ectx *e)
{
	uint64_t v;
	int rc = rval(e, 1, &v);
	return rc ? rc : mwrite_val(e, e->addr, opsize(&e->d->ops[0]), MT_ACC_NT, v);
}

static int h_movdir64b(struct ectx *e)
{
	const struct mt_decoded *d = e->d;
	uint8_t buf[64];
	uint64_t dst, src = 0;
	unsigned i, si = 0xff;
	int rc;

	/* operand 0: the destination register (an address, ES-relative);
	 * the m512 source is the memory operand. */
	for (i = 0; i < d->insn.operand_count_visible; i++)
		if (d->ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY)
			si = i;
	if (si == 0xff || d->ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER)
		return MT_EMU_UNSUPPORTED;
	if ((rc = mt__reg_read(e->cpu, d->ops[0].reg.value, &dst)) ||
	    (rc = mt_operand_address(d, si, e->cpu, &src)))
		return rc;
	if ((rc = mread(e, src, buf, 64, 0)))
		return rc;
	return mwrite(e, dst, buf, 64, MT_ACC_NT);
}

/* MUL IMUL DIV IDIV r/m: one read; #DE is a distinct status (nothing
 * written, the read stands, as on the CPU). */
static int h_muldiv(struct ectx *e)
{
	struct mt_cpu *c = e->cpu;
	unsigned size = opsize(&e->d->ops[0]);
	uint64_t src, a = c->gpr[MT_RAX], dx = c->gpr[MT_RDX], f = c->rflags;
	enum mt__mdop op;
	int rc;

	switch (e->d->insn.mnemonic) {
	case ZYDIS_MNEMONIC_MUL: op = MT_MD_MUL; break;
	case ZYDIS_MNEMONIC_IMUL: op = MT_MD_IMUL; break;
	case ZYDIS_MNEMONIC_DIV: op = MT_MD_DIV; break;
	default: op = MT_MD_IDIV; break;
	}
	if ((rc = oread(e, 0, 0, &src)))
		return rc;
	if ((rc = mt__native_muldiv(op, size, &a, &dx, src, &f)))
		return rc;
	c->gpr[MT_RAX] = a;
	c->gpr[MT_RDX] = dx;
	set_rflags(e, f);
	return 0;
}

/* XLAT: AL = [seg: rBX + AL] (Zydis shows only the base). */
static int h_xlat(struct ectx *e)
{
	const struct mt_decoded *d = e->d;
	const ZydisDecodedOperand *m = &d->ops[d->mem_op];
	uint64_t a, v;
	int rc;

	if ((rc = mt__reg_read(e->cpu, m->mem.base, &a)))
		return rc;
	a += e->cpu->gpr[MT_RAX] & 0xff;
	if (d->insn.address_width == 32)
		a &= 0xffffffffull;
	if (m->mem.segment == ZYDIS_REGISTER_FS)
		a += e->cpu->fs_base;
	else if (m->mem.segment == ZYDIS_REGISTER_GS)
		a += e->cpu->gs_base;
	if ((rc = mread_val(e, a, 1, 0, &v)))
		return rc;
	return mt__reg_write(e->cpu, ZYDIS_REGISTER_AL, v);
}

/* JMP m64: the target is read from memory. Sets RIP itself. */
static int h_jmpm(struct ectx *e)
{
	uint64_t t;
	int rc = mread_val(e, e->addr, 8, 0, &t);
	if (!rc)
		e->cpu->rip = t;
	return rc;
}

#ifndef MT_NO_STACK_OPS
/* CALL m64: read the target (address computed with the old RSP), push
 * the return address, jump. Sets RIP itself. */
static int h_callm(struct ectx *e)
{
	struct mt_cpu *c = e->cpu;
	uint64_t t, sp = c->gpr[MT_RSP] - 8;
	int rc;

	if ((rc = mread_val(e, e->addr, 8, 0, &t)) ||
	    (rc = mwrite_val(e, sp, 8, 0, e->d->rip + e->d->len)))
		return rc;
	c->gpr[MT_RSP] = sp;
	c->rip = t;
	return 0;
}

/* PUSH m: read the operand, then write it below RSP. */
static int h_pushm(struct ectx *e)
{
	struct mt_cpu *c = e->cpu;
	unsigned size = opsize(&e->d->ops[0]); /* 8, or 2 with 66 */
	uint64_t v, sp = c->gpr[MT_RSP] - size;
	int rc;

	if ((rc = oread(e, 0, 0, &v)) || (rc = mwrite_val(e, sp, size, 0, v)))
		return rc;
	c->gpr[MT_RSP] = sp;
	return 0;
}

/* POP m: read [RSP], RSP += size, then the operand's address (with the
 * new RSP if RSP is the base, as the CPU computes it) is written. */
static int h_popm(struct ectx *e)
{
	struct mt_cpu *c = e->cpu;
	unsigned size = opsize(&e->d->ops[0]);
	uint64_t v, sp = c->gpr[MT_RSP];
	int rc;

	if ((rc = mread_val(e, sp, size, 0, &v)))
		return rc;
	c->gpr[MT_RSP] = sp + size;
	if ((rc = mt_operand_address(e->d, e->d->mem_op, c, &e->addr)))
		return rc;
	return mwrite_val(e, e->addr, size, 0, v);
}
#endif

static void set_areg(struct mt_cpu *c, unsigned r, uint64_t v, unsigned asz)
{
	c->gpr[r] = asz == 4 ? (v & 0xffffffffull) : v;
}

static int h_string(struct ectx *e)
{
	const ZydisDecodedInstruction *in = &e->d->insn;
	struct mt_cpu *c = e->cpu;
	unsigned asz = in->address_width / 8;
	uint64_t amask = mt__mask(asz);
	unsigned size = (in->opcode & 1) ? in->operand_width / 8 : 1;
	unsigned kind = in->opcode & 0xfe; /* a4 movs, a6 cmps, aa stos, ac lods, ae scas */
	bool rep = in->attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE |
				     ZYDIS_ATTRIB_HAS_REPNE);
	bool repne = in->attributes & ZYDIS_ATTRIB_HAS_REPNE;
	bool cmp = kind == 0xa6 || kind == 0xae;
	int64_t delta = (c->rflags & MT_FL_DF) ? -(int64_t)size : (int64_t)size;
	uint64_t sbase = 0;
	unsigned fl = MT_ACC_STRING;
	unsigned left = e->ops->rep_max ? e->ops->rep_max : MT_REP_CHUNK_DEFAULT;
	int rc;

	if (in->attributes & ZYDIS_ATTRIB_HAS_SEGMENT_FS)
		sbase = c->fs_base;
	else if (in->attributes & ZYDIS_ATTRIB_HAS_SEGMENT_GS)
		sbase = c->gs_base;
	if (rep && (c->gpr[MT_RCX] & amask) == 0)
		goto done;
	for (;;) {
		uint64_t si = c->gpr[MT_RSI] & amask, di = c->gpr[MT_RDI] & amask;
		uint64_t v = 0, w = 0, f = c->rflags;

		switch (kind) {
		case 0xa4: /* MOVS */
			if ((rc = mread_val(e, sbase + si, size, fl, &v)) ||
			    (rc = mwrite_val(e, di, size, fl, v)))
				return rc;
			break;
		case 0xa6: /* CMPS: [rsi] - [rdi] */
			if ((rc = mread_val(e, sbase + si, size, fl, &v)) ||
			    (rc = mread_val(e, di, size, fl, &w)))
				return rc;
			mt__native_op(MT_OP_CMP, size, v, w, 0, &f);
			break;
		case 0xaa: /* STOS */
			if ((rc = mwrite_val(e, di, size, fl, c->gpr[MT_RAX] & mt__mask(size))))
				return rc;
			break;
		case 0xac: /* LODS */
			if ((rc = mread_val(e, sbase + si, size, fl, &v)))
				return rc;
			mt__reg_write(c, acc_reg[size], v);
			break;
		default: /* SCAS: acc - [rdi] */
			if ((rc = mread_val(e, di, size, fl, &w)))
				return rc;
			mt__native_op(MT_OP_CMP, size, c->gpr[MT_RAX] & mt__mask(size), w, 0, &f);
			break;
		}
		if (kind == 0xa4 || kind == 0xa6 || kind == 0xac)
			set_areg(c, MT_RSI, (uint64_t)(si + delta) & amask, asz);
		if (kind != 0xac)
			set_areg(c, MT_RDI, (uint64_t)(di + delta) & amask, asz);
		c->rflags = f;
		if (!rep)
			break;
		set_areg(c, MT_RCX, ((c->gpr[MT_RCX] & amask) - 1) & amask, asz);
		if ((c->gpr[MT_RCX] & amask) == 0)
			break;
		if (cmp && (repne ? (f & MT_FL_ZF) != 0 : (f & MT_FL_ZF) == 0))
			break;
		/* Bounded work: stop between iterations, as an interrupt would. */
		if (--left == 0 || e->yield) {
			e->rep_stop = true;
			break;
		}
	}
done:
	return 0;
}

int mt__int_emulate(const struct mt_decoded *d, struct mt_cpu *cpu,
		    const struct mt_emu_ops *ops, void *opaque)
{
	struct ectx e = { d, cpu, ops, opaque, 0, 0, false, false };
	struct mt_cpu saved = *cpu;
	int rc;

	if (!mt__stack_ok(d->handler, ops))
		return MT_EMU_UNSUPPORTED;
	if (d->insn.attributes & ZYDIS_ATTRIB_HAS_LOCK)
		e.accfl = MT_ACC_LOCKED;
	if (d->mem_op != 0xff && d->handler != MT_H_STRING && d->handler != MT_H_MOVDIR64B &&
	    d->handler != MT_H_XLAT && d->handler != MT_H_POPM &&
	    (rc = mt_operand_address(d, d->mem_op, cpu, &e.addr)))
		return rc;
	switch (d->handler) {
	case MT_H_MOV: rc = h_mov(&e); break;
	case MT_H_MOVX: rc = h_movx(&e); break;
	case MT_H_MOVBE: rc = h_movbe(&e); break;
	case MT_H_ALU2: rc = h_alu2(&e); break;
	case MT_H_ALU1: rc = h_alu1(&e); break;
	case MT_H_SHIFT: rc = h_shift(&e); break;
	case MT_H_SHD: rc = h_shd(&e); break;
	case MT_H_BT: rc = h_bt(&e); break;
	case MT_H_XCHG: rc = h_xchg(&e); break;
	case MT_H_CMPXCHG: rc = h_cmpxchg(&e); break;
	case MT_H_CMPXCHGNB: rc = h_cmpxchgnb(&e); break;
	case MT_H_XADD: rc = h_xadd(&e); break;
	case MT_H_SETCC: rc = h_setcc(&e); break;
	case MT_H_CMOVCC: rc = h_cmovcc(&e); break;
	case MT_H_NTSTORE: rc = h_ntstore(&e); break;
	case MT_H_MOVDIR64B: rc = h_movdir64b(&e); break;
	case MT_H_STRING: rc = h_string(&e); break;
	case MT_H_MULDIV: rc = h_muldiv(&e); break;
	case MT_H_XLAT: rc = h_xlat(&e); break;
	case MT_H_JMPM: rc = h_jmpm(&e); break;
#ifndef MT_NO_STACK_OPS
	case MT_H_CALLM: rc = h_callm(&e); break;
	case MT_H_PUSHM: rc = h_pushm(&e); break;
	case MT_H_POPM: rc = h_popm(&e); break;
#endif
	default: rc = MT_EMU_UNSUPPORTED; break;
	}
	if (rc) {
		/* Keep register effects only where the CPU would: string
		 * instructions interrupted after whole elements. */
		if (!(rc == MT_EMU_MEMFAULT && d->handler == MT_H_STRING))
			*cpu = saved;
		return rc;
	}
	if (e.rep_stop)
		cpu->rip = d->rip; /* the rest when it runs again */
	else if (d->handler != MT_H_JMPM && d->handler != MT_H_CALLM)
		cpu->rip = d->rip + d->len;
	return 0;
}
