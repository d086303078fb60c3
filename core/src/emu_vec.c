/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * emu_vec.c - vector moves (SSE/SSE2/SSE4.1, AVX/AVX2, AVX-512) written out
 * as byte copies with the SDM's zeroing and merging rules, and the generic
 * displaced execution of every other instruction with exactly one memory
 * operand (vector ALU, x87, leftovers of the integer set).
 *
 * Register width rules (Intel SDM vol. 1, 14.1.2 / 15.5):
 *   legacy SSE writes leave bits 511:128 of the destination alone;
 *   VEX and EVEX writes zero every bit above the written vector length.
 * EVEX opmasks: merging keeps unselected destination elements, zeroing
 * clears them; masked memory accesses touch only the selected elements,
 * one access per contiguous run (flag MT_ACC_PARTIAL), none if the mask is
 * empty.
 * Gathers and scatters (VSIB operands; AVX2 with a vector mask, AVX-512
 * with an opmask): one access per selected element, in element order,
 * see "gathers and scatters" below.
 *
 * Not emulated here (family/handler 0, the backend single-steps them):
 * the AVX-512PF gather/scatter prefetches (VGATHERPF0DPS ...: hints that
 * never fault), Knights Corner forms, and forms the CPU rejects with #UD
 * (which Zydis already refuses to decode).
 *
 * No libc, no floating point, no allocation, no mutable globals.
 */
#include "core_int.h"
#include "emu_vec.h"

#define VEC_MAXB 64u

/* ---- operand helpers ------------------------------------------------------- */

static int reg_vec_index(ZydisRegister r, unsigned *idx)
{
	if (r >= ZYDIS_REGISTER_XMM0 && r <= ZYDIS_REGISTER_XMM31)
		*idx = (unsigned)(r - ZYDIS_REGISTER_XMM0);
	else if (r >= ZYDIS_REGISTER_YMM0 && r <= ZYDIS_REGISTER_YMM31)
		*idx = (unsigned)(r - ZYDIS_REGISTER_YMM0);
	else if (r >= ZYDIS_REGISTER_ZMM0 && r <= ZYDIS_REGISTER_ZMM31)
		*idx = (unsigned)(r - ZYDIS_REGISTER_ZMM0);
	else
		return 0;
	return 1;
}

static int is_vec_reg(ZydisRegister r)
{
	unsigned i;
	return reg_vec_index(r, &i);
}

static int is_kreg(ZydisRegister r)
{
	return r >= ZYDIS_REGISTER_K0 && r <= ZYDIS_REGISTER_K7;
}

static int is_mem_op(const ZydisDecodedOperand *op)
{
	return op->type == ZYDIS_OPERAND_TYPE_MEMORY &&
	       op->mem.type != ZYDIS_MEMOP_TYPE_AGEN &&
	       op->mem.type != ZYDIS_MEMOP_TYPE_MIB;
}

/* Index of the single memory operand (explicit or hidden), -1 if none or
 * more than one. */
static int find_mem(const struct mt_decoded *d)
{
	int found = -1;
	for (unsigned i = 0; i < d->insn.operand_count; i++) {
		if (!is_mem_op(&d->ops[i]))
			continue;
		if (found >= 0)
			return -1;
		found = (int)i;
	}
	return found;
}

/* The visible vector-register operands in order (the opmask excluded). */
static unsigned vec_operands(const struct mt_decoded *d, int idx[4])
{
	unsigned n = 0;
	for (unsigned i = 0; i < d->insn.operand_count_visible && n < 4; i++) {
		const ZydisDecodedOperand *op = &d->ops[i];
		if (op->type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    is_vec_reg(op->reg.value))
			idx[n++] = (int)i;
	}
	return n;
}

static uint64_t imm8(const struct mt_decoded *d)
{
	for (unsigned i = 0; i < d->insn.operand_count_visible; i++)
		if (d->ops[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
			return d->ops[i].imm.value.u & 0xff;
	return 0;
}

static int evex_masked(const struct mt_decoded *d)
{
	return d->insn.encoding == ZYDIS_INSTRUCTION_ENCODING_EVEX &&
	       is_kreg(d->insn.avx.mask.reg) &&
	       d->insn.avx.mask.reg != ZYDIS_REGISTER_K0;
}

static int is_legacy(const struct mt_decoded *d)
{
	return d->insn.encoding == ZYDIS_INSTRUCTION_ENCODING_LEGACY;
}

/* Vector length in bytes (16 for legacy SSE). */
static unsigned vlen(const struct mt_decoded *d)
{
	unsigned vl = d->insn.avx.vector_length / 8u;
	return vl ? vl : 16u;
}

/* ---- classification -------------------------------------------------------- */

enum vec_kind { K_NONE, K_MOV, K_INSERT_OR_LOAD, K_EXTRACT, K_INSERT,
		K_BCAST, K_MASKMOV, K_MASKMOVDQU };

static enum vec_kind mnemonic_kind(ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_MOVD: case ZYDIS_MNEMONIC_VMOVD:
	case ZYDIS_MNEMONIC_MOVQ: case ZYDIS_MNEMONIC_VMOVQ:
	case ZYDIS_MNEMONIC_MOVDQA: case ZYDIS_MNEMONIC_VMOVDQA:
	case ZYDIS_MNEMONIC_MOVDQU: case ZYDIS_MNEMONIC_VMOVDQU:
	case ZYDIS_MNEMONIC_MOVAPS: case ZYDIS_MNEMONIC_VMOVAPS:
	case ZYDIS_MNEMONIC_MOVUPS: case ZYDIS_MNEMONIC_VMOVUPS:
	case ZYDIS_MNEMONIC_MOVAPD: case ZYDIS_MNEMONIC_VMOVAPD:
	case ZYDIS_MNEMONIC_MOVUPD: case ZYDIS_MNEMONIC_VMOVUPD:
	case ZYDIS_MNEMONIC_MOVNTDQ: case ZYDIS_MNEMONIC_VMOVNTDQ:
	case ZYDIS_MNEMONIC_MOVNTPS: case ZYDIS_MNEMONIC_VMOVNTPS:
	case ZYDIS_MNEMONIC_MOVNTPD: case ZYDIS_MNEMONIC_VMOVNTPD:
	case ZYDIS_MNEMONIC_MOVNTDQA: case ZYDIS_MNEMONIC_VMOVNTDQA:
	case ZYDIS_MNEMONIC_LDDQU: case ZYDIS_MNEMONIC_VLDDQU:
	case ZYDIS_MNEMONIC_MOVSS: case ZYDIS_MNEMONIC_VMOVSS:
	case ZYDIS_MNEMONIC_MOVSD: case ZYDIS_MNEMONIC_VMOVSD:
	case ZYDIS_MNEMONIC_VMOVDQU8: case ZYDIS_MNEMONIC_VMOVDQU16:
	case ZYDIS_MNEMONIC_VMOVDQU32: case ZYDIS_MNEMONIC_VMOVDQU64:
	case ZYDIS_MNEMONIC_VMOVDQA32: case ZYDIS_MNEMONIC_VMOVDQA64:
		return K_MOV;
	case ZYDIS_MNEMONIC_MOVLPS: case ZYDIS_MNEMONIC_VMOVLPS:
	case ZYDIS_MNEMONIC_MOVHPS: case ZYDIS_MNEMONIC_VMOVHPS:
	case ZYDIS_MNEMONIC_MOVLPD: case ZYDIS_MNEMONIC_VMOVLPD:
	case ZYDIS_MNEMONIC_MOVHPD: case ZYDIS_MNEMONIC_VMOVHPD:
		return K_INSERT_OR_LOAD;
	case ZYDIS_MNEMONIC_PEXTRB: case ZYDIS_MNEMONIC_VPEXTRB:
	case ZYDIS_MNEMONIC_PEXTRW: case ZYDIS_MNEMONIC_VPEXTRW:
	case ZYDIS_MNEMONIC_PEXTRD: case ZYDIS_MNEMONIC_VPEXTRD:
	case ZYDIS_MNEMONIC_PEXTRQ: case ZYDIS_MNEMONIC_VPEXTRQ:
	case ZYDIS_MNEMONIC_EXTRACTPS: case ZYDIS_MNEMONIC_VEXTRACTPS:
	case ZYDIS_MNEMONIC_VEXTRACTF128: case ZYDIS_MNEMONIC_VEXTRACTI128:
	case ZYDIS_MNEMONIC_VEXTRACTF32X4: case ZYDIS_MNEMONIC_VEXTRACTF64X2:
	case ZYDIS_MNEMONIC_VEXTRACTF32X8: case ZYDIS_MNEMONIC_VEXTRACTF64X4:
	case ZYDIS_MNEMONIC_VEXTRACTI32X4: case ZYDIS_MNEMONIC_VEXTRACTI64X2:
	case ZYDIS_MNEMONIC_VEXTRACTI32X8: case ZYDIS_MNEMONIC_VEXTRACTI64X4:
		return K_EXTRACT;
	case ZYDIS_MNEMONIC_PINSRB: case ZYDIS_MNEMONIC_VPINSRB:
	case ZYDIS_MNEMONIC_PINSRW: case ZYDIS_MNEMONIC_VPINSRW:
	case ZYDIS_MNEMONIC_PINSRD: case ZYDIS_MNEMONIC_VPINSRD:
	case ZYDIS_MNEMONIC_PINSRQ: case ZYDIS_MNEMONIC_VPINSRQ:
	case ZYDIS_MNEMONIC_VINSERTF128: case ZYDIS_MNEMONIC_VINSERTI128:
	case ZYDIS_MNEMONIC_VINSERTF32X4: case ZYDIS_MNEMONIC_VINSERTF64X2:
	case ZYDIS_MNEMONIC_VINSERTF32X8: case ZYDIS_MNEMONIC_VINSERTF64X4:
	case ZYDIS_MNEMONIC_VINSERTI32X4: case ZYDIS_MNEMONIC_VINSERTI64X2:
	case ZYDIS_MNEMONIC_VINSERTI32X8: case ZYDIS_MNEMONIC_VINSERTI64X4:
		return K_INSERT;
	case ZYDIS_MNEMONIC_VBROADCASTSS: case ZYDIS_MNEMONIC_VBROADCASTSD:
	case ZYDIS_MNEMONIC_VBROADCASTF128: case ZYDIS_MNEMONIC_VBROADCASTI128:
	case ZYDIS_MNEMONIC_VBROADCASTF32X2: case ZYDIS_MNEMONIC_VBROADCASTI32X2:
	case ZYDIS_MNEMONIC_VBROADCASTF32X4: case ZYDIS_MNEMONIC_VBROADCASTI32X4:
	case ZYDIS_MNEMONIC_VBROADCASTF64X2: case ZYDIS_MNEMONIC_VBROADCASTI64X2:
	case ZYDIS_MNEMONIC_VBROADCASTF32X8: case ZYDIS_MNEMONIC_VBROADCASTI32X8:
	case ZYDIS_MNEMONIC_VBROADCASTF64X4: case ZYDIS_MNEMONIC_VBROADCASTI64X4:
	case ZYDIS_MNEMONIC_VPBROADCASTB: case ZYDIS_MNEMONIC_VPBROADCASTW:
	case ZYDIS_MNEMONIC_VPBROADCASTD: case ZYDIS_MNEMONIC_VPBROADCASTQ:
		return K_BCAST;
	case ZYDIS_MNEMONIC_VMASKMOVPS: case ZYDIS_MNEMONIC_VMASKMOVPD:
	case ZYDIS_MNEMONIC_VPMASKMOVD: case ZYDIS_MNEMONIC_VPMASKMOVQ:
		return K_MASKMOV;
	case ZYDIS_MNEMONIC_MASKMOVDQU: case ZYDIS_MNEMONIC_VMASKMOVDQU:
		return K_MASKMOVDQU;
	default:
		return K_NONE;
	}
}

/* Explicit vector move forms: every visible register operand is an
 * xmm/ymm/zmm or the EVEX opmask (MMX forms go the displaced way). */
static int only_vec_regs(const struct mt_decoded *d)
{
	for (unsigned i = 0; i < d->insn.operand_count_visible; i++) {
		const ZydisDecodedOperand *op = &d->ops[i];
		if (op->type != ZYDIS_OPERAND_TYPE_REGISTER)
			continue;
		if (is_vec_reg(op->reg.value))
			continue;
		if (op->encoding == ZYDIS_OPERAND_ENCODING_MASK &&
		    is_kreg(op->reg.value))
			continue;
		return 0;
	}
	return 1;
}

static uint8_t explicit_handler(const struct mt_decoded *d, int mi)
{
	enum vec_kind k = mnemonic_kind(d->insn.mnemonic);
	int vi[4];
	unsigned nv;

	if (k == K_NONE || !only_vec_regs(d))
		return 0;
	nv = vec_operands(d, vi);
	if (nv == 0)
		return 0;
	if (k == K_MASKMOVDQU)
		return (d->ops[mi].visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN &&
			nv == 2) ? MT_VH_MASKMOVDQU : 0;
	if (d->ops[mi].visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN)
		return 0;
	if (d->insn.avx.broadcast.mode != ZYDIS_BROADCAST_MODE_INVALID &&
	    !d->insn.avx.broadcast.is_static)
		return 0; /* {1toN} on a move: not a form that exists */
	switch (k) {
	case K_MOV:
		if (mi == 0)
			return nv == 1 ? MT_VH_STORE : 0;
		return (nv == 1 && vi[0] == 0) ? MT_VH_LOAD : 0;
	case K_INSERT_OR_LOAD:
		if (mi == 0)
			return nv == 1 ? MT_VH_STORE : 0;
		return vi[0] == 0 ? MT_VH_INSERT : 0;
	case K_EXTRACT:
		return (mi == 0 && nv == 1) ? MT_VH_STORE : 0;
	case K_INSERT:
		return (mi > 0 && vi[0] == 0) ? MT_VH_INSERT : 0;
	case K_BCAST:
		return (mi > 0 && nv == 1 && vi[0] == 0) ? MT_VH_BCAST : 0;
	case K_MASKMOV:
		if (nv != 2)
			return 0;
		return mi == 0 ? MT_VH_MASKMOV_STORE : MT_VH_MASKMOV_LOAD;
	default:
		return 0;
	}
}

/* Forms displaced execution must not take: control transfers, anything
 * with a second (e.g. stack) memory access, VSIB gathers/scatters, operands
 * larger than the scratch buffer, privileged or RSP/RIP-writing forms. */
static int displaceable(const struct mt_decoded *d, int mi)
{
	const ZydisDecodedOperand *m = &d->ops[mi];
	unsigned bytes = m->size / 8u;

	if (m->visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN)
		return 0;
	if (m->mem.type != ZYDIS_MEMOP_TYPE_MEM)
		return 0;
	if (bytes == 0 || bytes > VEC_MAXB || (m->size % 8u))
		return 0;
	if (d->insn.attributes & ZYDIS_ATTRIB_IS_PRIVILEGED)
		return 0;
	switch (d->insn.meta.isa_ext) {
	case ZYDIS_ISA_EXT_AMX_TILE: /* TILELOADD: rows with a stride */
	case ZYDIS_ISA_EXT_MPX: case ZYDIS_ISA_EXT_SGX: case ZYDIS_ISA_EXT_VTX:
	case ZYDIS_ISA_EXT_SVM: case ZYDIS_ISA_EXT_KEYLOCKER:
	case ZYDIS_ISA_EXT_KEYLOCKER_WIDE: case ZYDIS_ISA_EXT_RTM:
	case ZYDIS_ISA_EXT_XSAVE: case ZYDIS_ISA_EXT_XSAVEC:
	case ZYDIS_ISA_EXT_XSAVEOPT: case ZYDIS_ISA_EXT_XSAVES:
	case ZYDIS_ISA_EXT_ENQCMD: case ZYDIS_ISA_EXT_MOVDIR:
	case ZYDIS_ISA_EXT_KNC: case ZYDIS_ISA_EXT_KNCE: case ZYDIS_ISA_EXT_KNCV:
	case ZYDIS_ISA_EXT_CET: /* WRSS/RSTORSSP: shadow-stack pages only */
		return 0;
	default:
		break;
	}
	switch (d->insn.mnemonic) {
	case ZYDIS_MNEMONIC_UD0: case ZYDIS_MNEMONIC_UD1: /* #UD in the stub */
	/* cache-line operations and hints act on the mapping itself (a copy
	 * would flush or prefetch the scratch buffer) and read no data: the
	 * backend must run them on the real page */
	case ZYDIS_MNEMONIC_CLFLUSH: case ZYDIS_MNEMONIC_CLFLUSHOPT:
	case ZYDIS_MNEMONIC_CLWB: case ZYDIS_MNEMONIC_CLDEMOTE:
	case ZYDIS_MNEMONIC_PREFETCH: case ZYDIS_MNEMONIC_PREFETCHW:
	case ZYDIS_MNEMONIC_PREFETCHWT1: case ZYDIS_MNEMONIC_PREFETCHNTA:
	case ZYDIS_MNEMONIC_PREFETCHT0: case ZYDIS_MNEMONIC_PREFETCHT1:
	case ZYDIS_MNEMONIC_PREFETCHT2: case ZYDIS_MNEMONIC_NOP:
		return 0;
	default:
		break;
	}
	switch (d->insn.meta.category) {
	case ZYDIS_CATEGORY_CALL: case ZYDIS_CATEGORY_COND_BR:
	case ZYDIS_CATEGORY_UNCOND_BR: case ZYDIS_CATEGORY_RET:
	case ZYDIS_CATEGORY_SYSTEM: case ZYDIS_CATEGORY_INTERRUPT:
	case ZYDIS_CATEGORY_SYSCALL: case ZYDIS_CATEGORY_SEGOP:
	case ZYDIS_CATEGORY_PUSH: case ZYDIS_CATEGORY_POP:
		return 0;
	default:
		break;
	}
	for (unsigned i = 0; i < d->insn.operand_count; i++) {
		const ZydisDecodedOperand *op = &d->ops[i];
		if (op->type != ZYDIS_OPERAND_TYPE_REGISTER)
			continue;
		switch (op->reg.value) {
		case ZYDIS_REGISTER_RIP: case ZYDIS_REGISTER_EIP:
		case ZYDIS_REGISTER_RSP: case ZYDIS_REGISTER_ESP:
		case ZYDIS_REGISTER_SP: case ZYDIS_REGISTER_SPL:
			if (op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)
				return 0;
			break;
		case ZYDIS_REGISTER_CS: case ZYDIS_REGISTER_DS:
		case ZYDIS_REGISTER_ES: case ZYDIS_REGISTER_SS:
		case ZYDIS_REGISTER_FS: case ZYDIS_REGISTER_GS:
			return 0;
		default:
			break;
		}
	}
	return 1;
}

/* Vector/SIMD instruction sets (family VALU); x87 and integer are OTHER. */
static int is_vector_isa(const struct mt_decoded *d)
{
	for (unsigned i = 0; i < d->insn.operand_count_visible; i++) {
		const ZydisDecodedOperand *op = &d->ops[i];
		if (op->type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    (is_vec_reg(op->reg.value) || is_kreg(op->reg.value) ||
		     (op->reg.value >= ZYDIS_REGISTER_MM0 &&
		      op->reg.value <= ZYDIS_REGISTER_MM7)))
			return 1;
	}
	/* SSE/AVX scalar conversions to GPRs (CVTTSD2SI r, m64): FP memory
	 * operand outside x87; CRC32/POPCNT (SSE4.2 by ISA) stay OTHER. */
	if (d->insn.meta.isa_ext != ZYDIS_ISA_EXT_X87) {
		int mi = find_mem(d);
		if (mi >= 0) {
			switch (d->ops[mi].element_type) {
			case ZYDIS_ELEMENT_TYPE_FLOAT16:
			case ZYDIS_ELEMENT_TYPE_FLOAT32:
			case ZYDIS_ELEMENT_TYPE_FLOAT64:
				return 1;
			default:
				break;
			}
		}
	}
	return 0;
}

/* ---- gathers and scatters: operand layout ----------------------------------- */

/*
 * The VSIB forms, as the SDM defines them (vol. 2, VPGATHERDD/VPGATHERQD,
 * VPGATHERDQ/VPGATHERQQ, VGATHERDPS/VGATHERQPS, VGATHERDPD/VGATHERQPD,
 * VPSCATTERDD/DQ/QD/QQ, VSCATTERDPS/DPD/QPS/QPD):
 *   AVX2 (VEX)      gather  dst, [base + vindex*scale + disp], vmask
 *   AVX-512 (EVEX)  gather  dst{k}, [base + vindex*scale + disp]
 *                   scatter [base + vindex*scale + disp]{k}, src
 * Element size 4 or 8 (the memory operand's size), index elements dword
 * (D forms) or qword (Q forms); the element count is the smaller of what
 * the data register and the index register hold (VPGATHERQD xmm, [ymm]:
 * 4; VPGATHERDQ ymm, [xmm]: 4; VPGATHERQD xmm, [xmm]: 2).
 */
struct vsib {
	const ZydisDecodedOperand *m;
	unsigned data, index, vmask; /* vector register numbers (vmask: AVX2) */
	unsigned kreg;               /* AVX-512: opmask number (1..7) */
	unsigned es, isz, n;         /* element, index element bytes; count */
	int scatter, evex;
};

static unsigned vec_reg_bytes(ZydisRegister r)
{
	if (r >= ZYDIS_REGISTER_XMM0 && r <= ZYDIS_REGISTER_XMM31)
		return 16;
	if (r >= ZYDIS_REGISTER_YMM0 && r <= ZYDIS_REGISTER_YMM31)
		return 32;
	if (r >= ZYDIS_REGISTER_ZMM0 && r <= ZYDIS_REGISTER_ZMM31)
		return 64;
	return 0;
}

static int vsib_kind(ZydisMnemonic mn, unsigned *isz, int *scatter)
{
	switch (mn) {
	case ZYDIS_MNEMONIC_VPGATHERDD: case ZYDIS_MNEMONIC_VPGATHERDQ:
	case ZYDIS_MNEMONIC_VGATHERDPS: case ZYDIS_MNEMONIC_VGATHERDPD:
		*isz = 4, *scatter = 0;
		return 1;
	case ZYDIS_MNEMONIC_VPGATHERQD: case ZYDIS_MNEMONIC_VPGATHERQQ:
	case ZYDIS_MNEMONIC_VGATHERQPS: case ZYDIS_MNEMONIC_VGATHERQPD:
		*isz = 8, *scatter = 0;
		return 1;
	case ZYDIS_MNEMONIC_VPSCATTERDD: case ZYDIS_MNEMONIC_VPSCATTERDQ:
	case ZYDIS_MNEMONIC_VSCATTERDPS: case ZYDIS_MNEMONIC_VSCATTERDPD:
		*isz = 4, *scatter = 1;
		return 1;
	case ZYDIS_MNEMONIC_VPSCATTERQD: case ZYDIS_MNEMONIC_VPSCATTERQQ:
	case ZYDIS_MNEMONIC_VSCATTERQPS: case ZYDIS_MNEMONIC_VSCATTERQPD:
		*isz = 8, *scatter = 1;
		return 1;
	default:
		return 0; /* VGATHERPF*, VSCATTERPF* (prefetch hints), ... */
	}
}

/*
 * Fill *v for the VSIB operand d->ops[mi]; 0 if d is a form emulated here,
 * else MT_EMU_UNSUPPORTED. The CPU raises #UD (Zydis does not even decode
 * them) when an AVX2 gather's destination, index and mask registers are
 * not all different, when an AVX-512 gather's destination is its index,
 * for k0 or zeroing-masking: refused here too, whoever decoded them.
 */
static int vsib_layout(const struct mt_decoded *d, int mi, struct vsib *v)
{
	const ZydisDecodedOperand *m = &d->ops[mi];
	ZydisRegister base = m->mem.base;
	unsigned db, ib;
	int vi[4], nv;

	if (!vsib_kind(d->insn.mnemonic, &v->isz, &v->scatter) ||
	    m->mem.type != ZYDIS_MEMOP_TYPE_VSIB ||
	    !reg_vec_index(m->mem.index, &v->index))
		return MT_EMU_UNSUPPORTED;
	if (base != ZYDIS_REGISTER_NONE &&
	    !(base >= ZYDIS_REGISTER_EAX && base <= ZYDIS_REGISTER_R15D) &&
	    !(base >= ZYDIS_REGISTER_RAX && base <= ZYDIS_REGISTER_R15))
		return MT_EMU_UNSUPPORTED;
	v->m = m;
	v->es = m->size / 8u;
	if (v->es != 4 && v->es != 8)
		return MT_EMU_UNSUPPORTED;
	v->evex = d->insn.encoding == ZYDIS_INSTRUCTION_ENCODING_EVEX;
	if (!v->evex && (d->insn.encoding != ZYDIS_INSTRUCTION_ENCODING_VEX ||
			 v->scatter))
		return MT_EMU_UNSUPPORTED;
	nv = (int)vec_operands(d, vi);
	if (nv != (v->evex ? 1 : 2) ||
	    !reg_vec_index(d->ops[vi[0]].reg.value, &v->data))
		return MT_EMU_UNSUPPORTED;
	db = vec_reg_bytes(d->ops[vi[0]].reg.value);
	ib = vec_reg_bytes(m->mem.index);
	v->n = db / v->es < ib / v->isz ? db / v->es : ib / v->isz;
	if (!v->n)
		return MT_EMU_UNSUPPORTED;
	if (v->evex) {
		if (!evex_masked(d) || d->insn.avx.mask.mode == ZYDIS_MASK_MODE_ZEROING)
			return MT_EMU_UNSUPPORTED;
		v->kreg = (unsigned)(d->insn.avx.mask.reg - ZYDIS_REGISTER_K0);
		if (!v->scatter && v->data == v->index)
			return MT_EMU_UNSUPPORTED;
		return 0;
	}
	if (!reg_vec_index(d->ops[vi[1]].reg.value, &v->vmask) ||
	    v->data == v->index || v->data == v->vmask || v->index == v->vmask)
		return MT_EMU_UNSUPPORTED;
	return 0;
}

static uint8_t vsib_handler(const struct mt_decoded *d, int mi)
{
	struct vsib v;

	if (vsib_layout(d, mi, &v))
		return 0;
	return v.scatter ? MT_VH_SCATTER : MT_VH_GATHER;
}

int mt__vec_classify(const struct mt_decoded *d, uint8_t *family,
		     uint8_t *handler)
{
	int mi = find_mem(d);
	uint8_t h;

	if (mi < 0)
		return 0;
	if (d->ops[mi].mem.type == ZYDIS_MEMOP_TYPE_VSIB) {
		*family = MT_FAM_GATHER;
		*handler = vsib_handler(d, mi);
		return 1;
	}
	h = explicit_handler(d, mi);
	if (h) {
		*family = MT_FAM_VMOV;
		*handler = h;
		return 1;
	}
	if (!displaceable(d, mi))
		return 0;
	*family = is_vector_isa(d) ? MT_FAM_VALU : MT_FAM_OTHER;
	*handler = MT_VH_DISPLACED;
	return 1;
}

bool mt__vec_supported(const struct mt_decoded *d, const struct mt_emu_ops *ops)
{
	if (!ops || !ops->mem_read || !ops->mem_write)
		return false;
	if (d->handler == MT_VH_DISPLACED) {
#ifdef MT_NO_ENCODER
		return false;
#else
		return ops->exec_displaced != NULL;
#endif
	}
	if (d->handler < MT_VH_BASE || d->handler > MT_VH_SCATTER)
		return false;
	if (!ops->vec_get || !ops->vec_set)
		return false;
	if (d->handler == MT_VH_GATHER || d->handler == MT_VH_SCATTER)
		/* AVX-512 forms read and clear the opmask */
		return d->insn.encoding != ZYDIS_INSTRUCTION_ENCODING_EVEX ||
		       (ops->kmask_get && ops->kmask_set);
	if (evex_masked(d) && !ops->kmask_get)
		return false;
	return true;
}

/* ---- access helpers ---------------------------------------------------------- */

static int vget(const struct mt_emu_ops *ops, void *opaque,
		const ZydisDecodedOperand *op, uint8_t *buf)
{
	unsigned idx;
	if (!reg_vec_index(op->reg.value, &idx))
		return MT_EMU_UNSUPPORTED;
	if (ops->vec_get(opaque, idx, buf, VEC_MAXB))
		return MT_EMU_REGFAULT;
	return 0;
}

static int vset(const struct mt_emu_ops *ops, void *opaque,
		const ZydisDecodedOperand *op, const uint8_t *buf, unsigned n)
{
	unsigned idx;
	if (!reg_vec_index(op->reg.value, &idx))
		return MT_EMU_UNSUPPORTED;
	if (ops->vec_set(opaque, idx, buf, n))
		return MT_EMU_REGFAULT;
	return 0;
}

/* Opmask selection of `n` elements: all ones when not masked. */
static int get_sel(const struct mt_decoded *d, const struct mt_emu_ops *ops,
		   void *opaque, unsigned n, uint64_t *sel)
{
	uint64_t all = n >= 64 ? ~0ull : ((1ull << n) - 1);
	uint64_t k;

	if (!evex_masked(d)) {
		*sel = all;
		return 0;
	}
	if (!ops->kmask_get ||
	    ops->kmask_get(opaque, (unsigned)(d->insn.avx.mask.reg -
					      ZYDIS_REGISTER_K0), &k))
		return MT_EMU_REGFAULT;
	*sel = k & all;
	return 0;
}

/* Access the selected elements of [addr, addr + n*es) <-> buf: one access
 * per contiguous run; MT_ACC_PARTIAL unless every element is selected. */
static int access_runs(const struct mt_emu_ops *ops, void *opaque,
		       uint64_t addr, uint8_t *buf, unsigned es, unsigned n,
		       uint64_t sel, int write, unsigned flags)
{
	uint64_t all = n >= 64 ? ~0ull : ((1ull << n) - 1);
	unsigned i = 0;

	if ((sel & all) != all)
		flags |= MT_ACC_PARTIAL;
	while (i < n) {
		unsigned j;
		int rc;

		if (!((sel >> i) & 1)) {
			i++;
			continue;
		}
		for (j = i; j < n && ((sel >> j) & 1); j++)
			;
		if (write)
			rc = ops->mem_write(opaque, addr + (uint64_t)i * es,
					    buf + i * es, (j - i) * es, flags);
		else
			rc = ops->mem_read(opaque, addr + (uint64_t)i * es,
					   buf + i * es, (j - i) * es, flags);
		if (rc > 0)
			rc = 0; /* MT_MEM_YIELD: only REP strings stop early */
		if (rc)
			return MT_EMU_MEMFAULT;
		i = j;
	}
	return 0;
}

static unsigned nt_flags(const struct mt_decoded *d)
{
	switch (d->insn.mnemonic) {
	case ZYDIS_MNEMONIC_MOVNTDQ: case ZYDIS_MNEMONIC_VMOVNTDQ:
	case ZYDIS_MNEMONIC_MOVNTPS: case ZYDIS_MNEMONIC_VMOVNTPS:
	case ZYDIS_MNEMONIC_MOVNTPD: case ZYDIS_MNEMONIC_VMOVNTPD:
	case ZYDIS_MNEMONIC_MOVNTDQA: case ZYDIS_MNEMONIC_VMOVNTDQA:
	case ZYDIS_MNEMONIC_MASKMOVDQU: case ZYDIS_MNEMONIC_VMASKMOVDQU:
		return MT_ACC_NT;
	default:
		return 0;
	}
}

/* Byte offset inside the register of the part a STORE/INSERT moves. */
static unsigned part_offset(const struct mt_decoded *d, unsigned size)
{
	switch (d->insn.mnemonic) {
	case ZYDIS_MNEMONIC_MOVHPS: case ZYDIS_MNEMONIC_VMOVHPS:
	case ZYDIS_MNEMONIC_MOVHPD: case ZYDIS_MNEMONIC_VMOVHPD:
		return 8;
	case ZYDIS_MNEMONIC_PEXTRB: case ZYDIS_MNEMONIC_VPEXTRB:
	case ZYDIS_MNEMONIC_PEXTRW: case ZYDIS_MNEMONIC_VPEXTRW:
	case ZYDIS_MNEMONIC_PEXTRD: case ZYDIS_MNEMONIC_VPEXTRD:
	case ZYDIS_MNEMONIC_PEXTRQ: case ZYDIS_MNEMONIC_VPEXTRQ:
	case ZYDIS_MNEMONIC_EXTRACTPS: case ZYDIS_MNEMONIC_VEXTRACTPS:
	case ZYDIS_MNEMONIC_PINSRB: case ZYDIS_MNEMONIC_VPINSRB:
	case ZYDIS_MNEMONIC_PINSRW: case ZYDIS_MNEMONIC_VPINSRW:
	case ZYDIS_MNEMONIC_PINSRD: case ZYDIS_MNEMONIC_VPINSRD:
	case ZYDIS_MNEMONIC_PINSRQ: case ZYDIS_MNEMONIC_VPINSRQ:
		return (unsigned)(imm8(d) & (16u / size - 1u)) * size;
	default:
		break;
	}
	if (mnemonic_kind(d->insn.mnemonic) == K_EXTRACT ||
	    mnemonic_kind(d->insn.mnemonic) == K_INSERT)
		return (unsigned)(imm8(d) & (vlen(d) / size - 1u)) * size;
	return 0;
}

/* Element size in bytes of operand op (1 if unknown). */
static unsigned esize(const ZydisDecodedOperand *op)
{
	unsigned es = op->element_size / 8u;
	return es ? es : 1u;
}

/*
 * Apply the EVEX opmask to res[0, n*es) given the old destination, then
 * zero everything above `keep` (VEX/EVEX: vector length, or the move size).
 */
static void apply_mask(const struct mt_decoded *d, uint8_t *res,
		       const uint8_t *old, unsigned es, unsigned n, uint64_t sel)
{
	int zero = d->insn.avx.mask.mode == ZYDIS_MASK_MODE_ZEROING;
	for (unsigned e = 0; e < n; e++) {
		if ((sel >> e) & 1)
			continue;
		if (zero)
			mt_memset(res + e * es, 0, es);
		else
			mt_memcpy(res + e * es, old + e * es, es);
	}
}

/* ---- handlers ------------------------------------------------------------------- */

static int h_load(const struct mt_decoded *d, uint64_t addr, int mi,
		  const struct mt_emu_ops *ops, void *opaque)
{
	const ZydisDecodedOperand *dst = &d->ops[0];
	unsigned size = d->ops[mi].size / 8u;
	uint8_t old[VEC_MAXB], res[VEC_MAXB];
	unsigned es, n;
	uint64_t sel;
	int rc;

	if (size == 0 || size > VEC_MAXB)
		return MT_EMU_UNSUPPORTED;
	mt_memset(res, 0, sizeof(res));
	if (is_legacy(d)) {
		/* writes bytes [0,16): the loaded part, zeros above it */
		if (ops->mem_read(opaque, addr, res, size, nt_flags(d)) < 0)
			return MT_EMU_MEMFAULT;
		return vset(ops, opaque, dst, res, 16);
	}
	es = esize(dst);
	if (es > size)
		es = size;
	n = size / es;
	rc = get_sel(d, ops, opaque, n, &sel);
	if (rc)
		return rc;
	if (evex_masked(d)) {
		rc = vget(ops, opaque, dst, old);
		if (rc)
			return rc;
	}
	rc = access_runs(ops, opaque, addr, res, es, n, sel, 0, nt_flags(d));
	if (rc)
		return rc;
	if (evex_masked(d))
		apply_mask(d, res, old, es, n, sel);
	return vset(ops, opaque, dst, res, VEC_MAXB);
}

static int h_store(const struct mt_decoded *d, uint64_t addr, int mi,
		   const struct mt_emu_ops *ops, void *opaque)
{
	const ZydisDecodedOperand *m = &d->ops[mi];
	unsigned size = m->size / 8u;
	uint8_t src[VEC_MAXB];
	unsigned off, es, n;
	int vi[4];
	uint64_t sel;
	int rc;

	if (size == 0 || size > VEC_MAXB || vec_operands(d, vi) != 1)
		return MT_EMU_UNSUPPORTED;
	off = part_offset(d, size);
	if (off + size > VEC_MAXB)
		return MT_EMU_UNSUPPORTED;
	rc = vget(ops, opaque, &d->ops[vi[0]], src);
	if (rc)
		return rc;
	es = esize(m);
	if (es > size)
		es = size;
	n = size / es;
	rc = get_sel(d, ops, opaque, n, &sel);
	if (rc)
		return rc;
	return access_runs(ops, opaque, addr, src + off, es, n, sel, 1,
			   nt_flags(d));
}

static int h_insert(const struct mt_decoded *d, uint64_t addr, int mi,
		    const struct mt_emu_ops *ops, void *opaque)
{
	const ZydisDecodedOperand *dst = &d->ops[0];
	unsigned size = d->ops[mi].size / 8u;
	uint8_t old[VEC_MAXB], res[VEC_MAXB];
	unsigned off, vl = vlen(d);
	int vi[4];
	unsigned nv = vec_operands(d, vi);
	uint64_t sel;
	int rc;

	if (size == 0 || size > 32)
		return MT_EMU_UNSUPPORTED;
	off = part_offset(d, size);
	if (off + size > vl)
		return MT_EMU_UNSUPPORTED;
	rc = vget(ops, opaque, dst, old);
	if (rc)
		return rc;
	if (is_legacy(d) || nv < 2) {
		if (!is_legacy(d))
			return MT_EMU_UNSUPPORTED;
		mt_memcpy(res, old, VEC_MAXB);
	} else {
		rc = vget(ops, opaque, &d->ops[vi[1]], res);
		if (rc)
			return rc;
	}
	if (ops->mem_read(opaque, addr, res + off, size, 0) < 0)
		return MT_EMU_MEMFAULT;
	if (is_legacy(d))
		return vset(ops, opaque, dst, res, 16);
	if (evex_masked(d)) {
		unsigned es = esize(dst);
		rc = get_sel(d, ops, opaque, vl / es, &sel);
		if (rc)
			return rc;
		apply_mask(d, res, old, es, vl / es, sel);
	}
	mt_memset(res + vl, 0, VEC_MAXB - vl);
	return vset(ops, opaque, dst, res, VEC_MAXB);
}

static int h_bcast(const struct mt_decoded *d, uint64_t addr, int mi,
		   const struct mt_emu_ops *ops, void *opaque)
{
	const ZydisDecodedOperand *dst = &d->ops[0];
	unsigned size = d->ops[mi].size / 8u;
	uint8_t old[VEC_MAXB], res[VEC_MAXB];
	unsigned vl = vlen(d);
	uint64_t sel;
	int rc;

	if (size == 0 || size > vl || vl % size)
		return MT_EMU_UNSUPPORTED;
	mt_memset(res, 0, sizeof(res));
	if (ops->mem_read(opaque, addr, res, size, 0) < 0)
		return MT_EMU_MEMFAULT;
	for (unsigned o = size; o < vl; o += size)
		mt_memcpy(res + o, res, size);
	if (evex_masked(d)) {
		unsigned es = esize(dst);
		rc = vget(ops, opaque, dst, old);
		if (rc)
			return rc;
		rc = get_sel(d, ops, opaque, vl / es, &sel);
		if (rc)
			return rc;
		apply_mask(d, res, old, es, vl / es, sel);
	}
	return vset(ops, opaque, dst, res, VEC_MAXB);
}

/* Selection from the most significant bit of each element of a mask reg. */
static uint64_t msb_sel(const uint8_t *mask, unsigned es, unsigned n)
{
	uint64_t sel = 0;
	for (unsigned e = 0; e < n; e++)
		if (mask[e * es + es - 1] & 0x80)
			sel |= 1ull << e;
	return sel;
}

static int h_maskmov(const struct mt_decoded *d, uint64_t addr, int mi,
		     int store, const struct mt_emu_ops *ops, void *opaque)
{
	const ZydisDecodedOperand *m = &d->ops[mi];
	unsigned size = m->size / 8u, es = esize(m), n;
	uint8_t mask[VEC_MAXB], data[VEC_MAXB];
	int vi[4];
	uint64_t sel;
	int rc;

	if (vec_operands(d, vi) != 2 || size == 0 || size > 32 || es > size)
		return MT_EMU_UNSUPPORTED;
	n = size / es;
	/* load: op0 dst, op1 mask; store: op1 mask, op2 data */
	rc = vget(ops, opaque, &d->ops[store ? vi[0] : vi[1]], mask);
	if (rc)
		return rc;
	sel = msb_sel(mask, es, n);
	if (store) {
		rc = vget(ops, opaque, &d->ops[vi[1]], data);
		if (rc)
			return rc;
		return access_runs(ops, opaque, addr, data, es, n, sel, 1, 0);
	}
	mt_memset(data, 0, sizeof(data));
	rc = access_runs(ops, opaque, addr, data, es, n, sel, 0, 0);
	if (rc)
		return rc;
	return vset(ops, opaque, &d->ops[vi[0]], data, VEC_MAXB);
}

static int h_maskmovdqu(const struct mt_decoded *d, uint64_t addr,
			const struct mt_emu_ops *ops, void *opaque)
{
	uint8_t data[VEC_MAXB], mask[VEC_MAXB];
	int vi[4];
	int rc;

	if (vec_operands(d, vi) != 2)
		return MT_EMU_UNSUPPORTED;
	/* MASKMOVDQU xmm1 (ModRM.reg, data), xmm2 (ModRM.rm, byte mask) */
	rc = vget(ops, opaque, &d->ops[vi[0]], data);
	if (!rc)
		rc = vget(ops, opaque, &d->ops[vi[1]], mask);
	if (rc)
		return rc;
	return access_runs(ops, opaque, addr, data, 1, 16, msb_sel(mask, 1, 16),
			   1, MT_ACC_NT);
}

/* ---- gathers and scatters --------------------------------------------------- */

/*
 * Element j (j = 0 .. n-1, lowest first) is selected by the most
 * significant bit of mask element j (AVX2: the vector mask has the data's
 * element size) or by bit j of the opmask (AVX-512). A selected element is
 * read from / written to base + SignExtend(index[j]) * scale + disp
 * (truncated to 32 bits with a 0x67 prefix, plus the FS/GS base): one
 * access of the element size per element, flagged MT_ACC_PARTIAL, so
 * repeated or overlapping addresses are accessed again and a scatter's
 * later element wins. After element j, selected or not, its mask element
 * (AVX2) or opmask bit is cleared.
 *
 * On completion (Intel SDM): a gather's destination keeps its unselected
 * elements and is zeroed above the n elements (VEX and EVEX alike; e.g.
 * VPGATHERQD xmm, [xmm]: bits 64 and up); the AVX2 mask register becomes
 * all zero, the opmask too (all 64 bits).
 * When the memory callback fails on element j, the instruction stops
 * there as the CPU does when element j faults: elements 0..j-1 are done
 * (destination elements written, their mask elements or bits cleared,
 * unselected ones too), element j and the ones above are untouched, and
 * nothing is zeroed above the n elements yet; except that an AVX-512
 * gather which has written at least one element has its destination
 * zeroed above the vector length (EVEX.L'L), as any EVEX register write.
 * The SDM leaves the state at a fault partly open (elements above j "may
 * or may not" be done, the unused upper parts "may" be zeroed); this is
 * what the CPU the oracle ran on does (AMD family 1Ah;
 * tests/oracle/vec_oracle.c puts element j on a PROT_NONE page and
 * compares the registers in the signal frame). The registers are written
 * back and MT_EMU_MEMFAULT returned: restarting the instruction then does
 * only the remaining elements, as after a real fault.
 */
static int h_vsib(const struct mt_decoded *d, int mi, const struct mt_cpu *cpu,
		  const struct mt_emu_ops *ops, void *opaque)
{
	struct vsib v;
	uint8_t data[VEC_MAXB], index[VEC_MAXB], vmask[VEC_MAXB];
	uint64_t base = 0, disp, k = 0;
	unsigned scale, j, done = 0;
	int rc, mrc = 0;

	rc = vsib_layout(d, mi, &v);
	if (rc)
		return rc;
	if (v.m->mem.base != ZYDIS_REGISTER_NONE &&
	    mt__reg_read(cpu, v.m->mem.base, &base))
		return MT_EMU_UNSUPPORTED;
	disp = v.m->mem.disp.has_displacement ? (uint64_t)v.m->mem.disp.value : 0;
	scale = v.m->mem.scale ? v.m->mem.scale : 1;
	if (ops->vec_get(opaque, v.data, data, VEC_MAXB) ||
	    ops->vec_get(opaque, v.index, index, VEC_MAXB))
		return MT_EMU_REGFAULT;
	if (v.evex ? ops->kmask_get(opaque, v.kreg, &k)
		   : ops->vec_get(opaque, v.vmask, vmask, VEC_MAXB))
		return MT_EMU_REGFAULT;

	for (j = 0; j < v.n; j++) {
		int sel = v.evex ? (int)((k >> j) & 1)
				 : !!(vmask[j * v.es + v.es - 1] & 0x80);
		if (sel) {
			uint8_t *e = data + j * v.es;
			uint8_t tmp[8];
			int64_t ix;
			uint64_t a;

			if (v.isz == 4) {
				int32_t i32;
				mt_memcpy(&i32, index + 4 * j, 4);
				ix = i32;
			} else {
				mt_memcpy(&ix, index + 8 * j, 8);
			}
			a = base + (uint64_t)ix * scale + disp;
			if (d->insn.address_width == 32)
				a &= 0xffffffffull;
			if (v.m->mem.segment == ZYDIS_REGISTER_FS)
				a += cpu->fs_base;
			else if (v.m->mem.segment == ZYDIS_REGISTER_GS)
				a += cpu->gs_base;
			if (v.scatter) {
				rc = ops->mem_write(opaque, a, e, v.es, MT_ACC_PARTIAL);
			} else {
				rc = ops->mem_read(opaque, a, tmp, v.es, MT_ACC_PARTIAL);
				if (rc >= 0)
					mt_memcpy(e, tmp, v.es);
			}
			if (rc < 0) {
				mrc = MT_EMU_MEMFAULT;
				break;
			}
			done++;
		}
		if (v.evex)
			k &= ~(1ull << j);
		else
			mt_memset(vmask + j * v.es, 0, v.es);
	}
	if (!mrc) {
		if (!v.scatter)
			mt_memset(data + v.n * v.es, 0, VEC_MAXB - v.n * v.es);
		k = 0;
		mt_memset(vmask, 0, sizeof(vmask));
	} else if (v.evex && done) {
		/* an EVEX gather that wrote its destination before the fault
		 * wrote it the EVEX way: zeros above the vector length */
		mt_memset(data + vlen(d), 0, VEC_MAXB - vlen(d));
	}
	if (!v.scatter && ops->vec_set(opaque, v.data, data, VEC_MAXB))
		return MT_EMU_REGFAULT;
	if (v.evex ? ops->kmask_set(opaque, v.kreg, k)
		   : ops->vec_set(opaque, v.vmask, vmask, VEC_MAXB))
		return MT_EMU_REGFAULT;
	return mrc;
}

/* ---- displaced execution ---------------------------------------------------- */

#ifndef MT_NO_ENCODER
static const ZydisRegister scratch_pref[] = {
	ZYDIS_REGISTER_RAX, ZYDIS_REGISTER_RCX, ZYDIS_REGISTER_RDX,
	ZYDIS_REGISTER_RBX, ZYDIS_REGISTER_RSI, ZYDIS_REGISTER_RDI,
	ZYDIS_REGISTER_RBP, ZYDIS_REGISTER_R8, ZYDIS_REGISTER_R9,
	ZYDIS_REGISTER_R10, ZYDIS_REGISTER_R11, ZYDIS_REGISTER_R12,
	ZYDIS_REGISTER_R13, ZYDIS_REGISTER_R14, ZYDIS_REGISTER_R15,
};

static uint32_t gpr_bit(ZydisRegister r)
{
	ZydisRegister big;
	if (r == ZYDIS_REGISTER_NONE)
		return 0;
	big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
	if (big >= ZYDIS_REGISTER_RAX && big <= ZYDIS_REGISTER_R15)
		return 1u << (big - ZYDIS_REGISTER_RAX);
	return 0;
}

/* Build the displaced copy of d with its memory operand at [scratch_reg]. */
static int build_displaced(const struct mt_decoded *d, int mi,
			   struct mt_displaced *x)
{
	ZydisEncoderRequest req;
	uint32_t used = 0;
	ZydisRegister sr = ZYDIS_REGISTER_NONE;
	ZyanUSize len = sizeof(x->code);
	unsigned i, found = 0;

	for (i = 0; i < d->insn.operand_count; i++) {
		const ZydisDecodedOperand *op = &d->ops[i];
		if (op->type == ZYDIS_OPERAND_TYPE_REGISTER)
			used |= gpr_bit(op->reg.value);
		else if (op->type == ZYDIS_OPERAND_TYPE_MEMORY)
			used |= gpr_bit(op->mem.base) | gpr_bit(op->mem.index);
	}
	for (i = 0; i < sizeof(scratch_pref) / sizeof(scratch_pref[0]); i++) {
		if (!(used & gpr_bit(scratch_pref[i]))) {
			sr = scratch_pref[i];
			break;
		}
	}
	if (sr == ZYDIS_REGISTER_NONE)
		return MT_EMU_UNSUPPORTED;
	if (!ZYAN_SUCCESS(ZydisEncoderDecodedInstructionToEncoderRequest(
		    &d->insn, d->ops, d->insn.operand_count_visible, &req)))
		return MT_EMU_UNSUPPORTED;
	for (i = 0; i < req.operand_count; i++) {
		ZydisEncoderOperand *op = &req.operands[i];
		if (op->type != ZYDIS_OPERAND_TYPE_MEMORY)
			continue;
		op->mem.base = sr;
		op->mem.index = ZYDIS_REGISTER_NONE;
		op->mem.scale = 0;
		op->mem.displacement = 0;
		found++;
	}
	if (found != 1)
		return MT_EMU_UNSUPPORTED;
	req.prefixes &= ~(ZYDIS_ATTRIB_HAS_SEGMENT | ZYDIS_ATTRIB_HAS_SEGMENT_CS |
			  ZYDIS_ATTRIB_HAS_SEGMENT_SS | ZYDIS_ATTRIB_HAS_SEGMENT_DS |
			  ZYDIS_ATTRIB_HAS_SEGMENT_ES | ZYDIS_ATTRIB_HAS_SEGMENT_FS |
			  ZYDIS_ATTRIB_HAS_SEGMENT_GS);
	req.address_size_hint = ZYDIS_ADDRESS_SIZE_HINT_NONE;
	if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&req, x->code, &len)))
		return MT_EMU_UNSUPPORTED;
	x->len = (uint8_t)len;
	x->scratch_reg = (uint8_t)(sr - ZYDIS_REGISTER_RAX);
	x->size = (uint16_t)(d->ops[mi].size / 8u);
	return 0;
}

/* Does the instruction write any register other than through memory?
 * (The two-run store probe below must not see a register change.) */
static int writes_registers(const struct mt_decoded *d)
{
	for (unsigned i = 0; i < d->insn.operand_count; i++) {
		const ZydisDecodedOperand *op = &d->ops[i];
		if (op->type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    (op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
			return 1;
	}
	return 0;
}

/*
 * Masked EVEX memory source with fault suppression (every exception class
 * but the *NF ones): memory element i belongs to destination element i.
 * Gives the memory element size and count (count 1 with a broadcast) and
 * the destination's element count; 0 when the correspondence is not that
 * simple (then the whole operand is read, as before).
 */
static int masked_read_elems(const struct mt_decoded *d, int mi, unsigned *es,
			     unsigned *n, unsigned *ndst)
{
	const ZydisDecodedOperand *m = &d->ops[mi], *dst = &d->ops[0];
	unsigned size = m->size / 8u, des;

	switch (d->insn.meta.exception_class) {
	case ZYDIS_EXCEPTION_CLASS_E1: case ZYDIS_EXCEPTION_CLASS_E2:
	case ZYDIS_EXCEPTION_CLASS_E3: case ZYDIS_EXCEPTION_CLASS_E4:
	case ZYDIS_EXCEPTION_CLASS_E5: case ZYDIS_EXCEPTION_CLASS_E6:
		break;
	default:
		return 0;
	}
	if (dst->type == ZYDIS_OPERAND_TYPE_REGISTER && is_kreg(dst->reg.value)) {
		/* compare into an opmask: elements of the vector source */
		for (unsigned i = 1; i < d->insn.operand_count_visible; i++)
			if (d->ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
			    is_vec_reg(d->ops[i].reg.value)) {
				dst = &d->ops[i];
				break;
			}
	}
	if (dst->type != ZYDIS_OPERAND_TYPE_REGISTER || !is_vec_reg(dst->reg.value))
		return 0;
	*es = m->element_size / 8u;
	des = dst->element_size / 8u;
	if (!*es || !des || size % *es || (dst->size / 8u) % des)
		return 0;
	*n = size / *es;
	*ndst = (dst->size / 8u) / des;
	if (d->insn.avx.broadcast.mode != ZYDIS_BROADCAST_MODE_INVALID)
		return *n == 1 && *ndst <= 64;
	return *n == *ndst && *n <= 64;
}

static int h_displaced(const struct mt_decoded *d, uint64_t addr, int mi,
		       struct mt_cpu *cpu, const struct mt_emu_ops *ops,
		       void *opaque)
{
	const ZydisDecodedOperand *m = &d->ops[mi];
	uint8_t buf[2 * VEC_MAXB + 64];
	uint8_t *scratch = (uint8_t *)(((uintptr_t)buf + 63) & ~(uintptr_t)63);
	uint8_t *probe = scratch + VEC_MAXB;
	struct mt_displaced x;
	int rd = !!(m->actions & ZYDIS_OPERAND_ACTION_MASK_READ);
	int wr = !!(m->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE);
	unsigned es = 0, n = 0, ndst = 0;
	uint64_t sel = 0;
	int rc;

	if (!ops->exec_displaced)
		return MT_EMU_UNSUPPORTED;
	rc = build_displaced(d, mi, &x);
	if (rc)
		return rc;
	x.scratch = scratch;
	x.fdp = addr;
	if (m->mem.segment == ZYDIS_REGISTER_FS)
		x.fdp -= cpu->fs_base;
	else if (m->mem.segment == ZYDIS_REGISTER_GS)
		x.fdp -= cpu->gs_base;
	x.fop = 0;
	if (d->insn.opcode_map == ZYDIS_OPCODE_MAP_DEFAULT &&
	    (d->insn.opcode & 0xf8) == 0xd8)
		x.fop = (uint16_t)(((d->insn.opcode & 7u) << 8) |
				   ((unsigned)d->insn.raw.modrm.mod << 6) |
				   ((unsigned)d->insn.raw.modrm.reg << 3) |
				   d->insn.raw.modrm.rm);
	mt_memset(scratch, 0, VEC_MAXB);
	if (rd && !wr && evex_masked(d) && masked_read_elems(d, mi, &es, &n, &ndst)) {
		/*
		 * EVEX fault suppression: a masked load reads only the selected
		 * elements (one access per run, MT_ACC_PARTIAL), a masked
		 * broadcast its one element if any is selected. The rest of
		 * scratch stays zero; the instruction does not use it.
		 */
		rc = get_sel(d, ops, opaque, ndst, &sel);
		if (rc)
			return rc;
		if (n == 1 && ndst > 1) {
			if (sel && ops->mem_read(opaque, addr, scratch, x.size, 0) < 0)
				return MT_EMU_MEMFAULT;
		} else if ((rc = access_runs(ops, opaque, addr, scratch, es, n, sel, 0, 0))) {
			return rc;
		}
	} else if (rd && ops->mem_read(opaque, addr, scratch, x.size, 0) < 0) {
		return MT_EMU_MEMFAULT;
	}

	if (wr && !rd && (evex_masked(d) ||
			  (m->actions & ZYDIS_OPERAND_ACTION_CONDWRITE))) {
		/*
		 * A masked store writes only some bytes, and which ones is the
		 * instruction's business (VPCOMPRESS, VPMOV*, masked stores).
		 * Run it twice, over 0x00 and over 0xff: a byte equal in both
		 * runs was written, a byte that kept the fill was not. Only for
		 * forms that change no register, so the first run is harmless.
		 */
		struct mt_cpu c0 = *cpu;
		uint64_t sel = 0;

		if (writes_registers(d))
			return MT_EMU_UNSUPPORTED;
		if (ops->exec_displaced(opaque, &c0, &x))
			return MT_EMU_REGFAULT;
		mt_memcpy(probe, scratch, VEC_MAXB);
		mt_memset(scratch, 0xff, VEC_MAXB);
		if (ops->exec_displaced(opaque, cpu, &x))
			return MT_EMU_REGFAULT;
		for (unsigned i = 0; i < x.size; i++)
			if (probe[i] == scratch[i])
				sel |= 1ull << i;
		if (!sel)
			return 0;
		return access_runs(ops, opaque, addr, scratch, 1, x.size, sel,
				   1, 0);
	}

	if ((d->insn.mnemonic == ZYDIS_MNEMONIC_LDMXCSR ||
	     d->insn.mnemonic == ZYDIS_MNEMONIC_VLDMXCSR) &&
	    (scratch[2] | scratch[3]))
		return MT_EMU_UNSUPPORTED; /* reserved MXCSR bits: #GP on the CPU */
	if (ops->exec_displaced(opaque, cpu, &x))
		return MT_EMU_REGFAULT;
	if (wr && ops->mem_write(opaque, addr, scratch, x.size,
				 rd ? MT_ACC_RMW : 0) < 0)
		return MT_EMU_MEMFAULT;
	return 0;
}
#endif /* !MT_NO_ENCODER */

/* ---- entry ----------------------------------------------------------------------- */

/* Legacy SSE with a 16-byte memory operand of exception types 1, 2 and 4
 * requires alignment (#GP otherwise); the scratch copy is always aligned,
 * so a misaligned original must not run displaced. */
static int legacy_sse_misaligned(const struct mt_decoded *d,
				 const ZydisDecodedOperand *m, uint64_t addr)
{
	if (!is_legacy(d) || m->size != 128 || !(addr & 15))
		return 0;
	switch (d->insn.mnemonic) {
	case ZYDIS_MNEMONIC_PCMPESTRI: case ZYDIS_MNEMONIC_PCMPESTRM:
	case ZYDIS_MNEMONIC_PCMPISTRI: case ZYDIS_MNEMONIC_PCMPISTRM:
		return 0;
	default:
		break;
	}
	switch (d->insn.meta.exception_class) {
	case ZYDIS_EXCEPTION_CLASS_SSE1: case ZYDIS_EXCEPTION_CLASS_SSE2:
	case ZYDIS_EXCEPTION_CLASS_SSE4:
		return 1;
	default:
		return 0;
	}
}

/* The aligned moves, in every encoding: the memory operand must be aligned
 * to its size (16, 32 or 64 bytes), #GP otherwise, even when masked. */
static int aligned_move_misaligned(const struct mt_decoded *d,
				   const ZydisDecodedOperand *m, uint64_t addr)
{
	switch (d->insn.mnemonic) {
	case ZYDIS_MNEMONIC_MOVDQA: case ZYDIS_MNEMONIC_MOVAPS:
	case ZYDIS_MNEMONIC_MOVAPD: case ZYDIS_MNEMONIC_MOVNTDQ:
	case ZYDIS_MNEMONIC_MOVNTPS: case ZYDIS_MNEMONIC_MOVNTPD:
	case ZYDIS_MNEMONIC_MOVNTDQA:
	case ZYDIS_MNEMONIC_VMOVDQA: case ZYDIS_MNEMONIC_VMOVDQA32:
	case ZYDIS_MNEMONIC_VMOVDQA64: case ZYDIS_MNEMONIC_VMOVAPS:
	case ZYDIS_MNEMONIC_VMOVAPD: case ZYDIS_MNEMONIC_VMOVNTDQ:
	case ZYDIS_MNEMONIC_VMOVNTPS: case ZYDIS_MNEMONIC_VMOVNTPD:
	case ZYDIS_MNEMONIC_VMOVNTDQA:
		return m->size >= 128 && (addr & (m->size / 8u - 1u)) != 0;
	default:
		/* explicit handlers cover no other alignment-checked form
		 * (MOVUPS, MOVDQU, LDDQU, MASKMOVDQU ... are unaligned) */
		return d->handler == MT_VH_DISPLACED &&
		       legacy_sse_misaligned(d, m, addr);
	}
}


int mt__vec_emulate(const struct mt_decoded *d, struct mt_cpu *cpu,
		    const struct mt_emu_ops *ops, void *opaque)
{
	int mi = find_mem(d);
	uint64_t addr;

	if (!d || !cpu || !ops)
		return MT_EMU_BADARG;
	if (mi < 0)
		return MT_EMU_NOMEM_OPERAND;
	if (!mt__vec_supported(d, ops))
		return MT_EMU_UNSUPPORTED;
	if (d->handler == MT_VH_GATHER || d->handler == MT_VH_SCATTER)
		return h_vsib(d, mi, cpu, ops, opaque);
	if (mt_operand_address(d, (unsigned)mi, cpu, &addr))
		return MT_EMU_UNSUPPORTED;
	if (aligned_move_misaligned(d, &d->ops[mi], addr))
		return MT_EMU_UNSUPPORTED; /* the CPU raises #GP: run it there */

	switch (d->handler) {
	case MT_VH_LOAD:
		return h_load(d, addr, mi, ops, opaque);
	case MT_VH_STORE:
		return h_store(d, addr, mi, ops, opaque);
	case MT_VH_INSERT:
		return h_insert(d, addr, mi, ops, opaque);
	case MT_VH_BCAST:
		return h_bcast(d, addr, mi, ops, opaque);
	case MT_VH_MASKMOV_LOAD:
		return h_maskmov(d, addr, mi, 0, ops, opaque);
	case MT_VH_MASKMOV_STORE:
		return h_maskmov(d, addr, mi, 1, ops, opaque);
	case MT_VH_MASKMOVDQU:
		return h_maskmovdqu(d, addr, ops, opaque);
#ifndef MT_NO_ENCODER
	case MT_VH_DISPLACED:
		return h_displaced(d, addr, mi, cpu, ops, opaque);
#endif
	default:
		return MT_EMU_UNSUPPORTED;
	}
}
