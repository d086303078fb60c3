// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * mmiotap-census - how much of the machine's real code can the core emulate?
 *
 * For every ELF x86-64 file given (default: every /usr/lib/x86_64-linux-gnu/ *.so*),
 * decode every byte of every executable section by linear sweep with Zydis
 * (an undecodable byte is counted and skipped), pick out the instructions
 * that access memory, and ask the emulator core (mt_decode +
 * mt_emu_supported) whether it could emulate each one if it faulted on a
 * traced page, under two backend profiles:
 *
 *   user   - vector, opmask and displaced-execution callbacks all present
 *            (the LD_PRELOAD and ptrace tracers);
 *   kernel - memory, vector and opmask callbacks with MT_OPS_NO_STACK,
 *            like the kernel module's ops on an AVX-512 machine
 *            (kmod/src/mt_fault.c, mt_vec.c: live registers): no
 *            exec_displaced, no PUSH/POP/CALL m.
 *
 * Classification of each decoded instruction (see docs/CENSUS.md):
 *   no memory     - no memory operand at all;
 *   no access     - LEA (address generation), NOP with a ModRM memory operand,
 *                   PREFETCH*: they never fault on an unmapped page;
 *   stack only    - the only memory operands are implicit stack ones
 *                   (PUSH POP CALL RET ENTER LEAVE PUSHF POPF ...): not MMIO
 *                   candidates, reported apart;
 *   candidate     - everything else with a memory operand, explicit or
 *                   implicit (string instructions, XLAT, moffs, gathers,
 *                   CALL/JMP through memory, x87, XSAVE ...).
 *
 * Unless --no-exercise is given, every instruction the core says it supports
 * is then actually run through mt_emulate() against fake callbacks (memory
 * reads return a pattern, writes are dropped, vector/mask registers live in
 * arrays, exec_displaced checks the re-encoded instruction and, instead of
 * running it, writes every other 4-byte chunk of a written operand's
 * scratch copy), with pattern registers and RCX = 3. Reported as anomalies:
 * mt_emulate() failing on an instruction mt_emu_supported() accepted, an
 * access whose size is not the byte size of one of the instruction's memory
 * operands (emu.h's contract; MT_ACC_PARTIAL runs: within the largest),
 * RIP not left after the instruction (JMP/CALL m64: not the target read),
 * a wrong stack effect of CALL/PUSH/POP m (RSP, the one write and its
 * value), a displaced re-encoding that does not decode to the same
 * mnemonic and registers with its memory operand at [scratch_reg], and
 * an emulation of inputs on which the CPU raises #GP. A refusal
 * (MT_EMU_UNSUPPORTED) on such inputs - LDMXCSR of reserved bits, a
 * misaligned operand of an aligned move or of a legacy SSE m128 form - is by
 * design: it is counted apart and the instruction is run again on valid
 * inputs (a valid MXCSR, the operand moved to its alignment), where
 * it must succeed. That makes the census a fuzzer of the core over
 * real-world forms too.
 *
 * Output is markdown on stdout. Exit 0, or 1 on usage/IO errors, or 3 when
 * the emulation check found an anomaly or the core disagrees with the sweep
 * (mt_decode() fails, gives another length, or family none for a memory
 * candidate), else 2 when --min-coverage is given and user-profile coverage
 * is below it.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmiotap/emu.h"

#define DEFAULT_GLOB "/usr/lib/x86_64-linux-gnu/*.so*"
#define NMNEM (ZYDIS_MNEMONIC_MAX_VALUE + 1)

enum { PROF_USER, PROF_KERNEL, NPROF };
static const char *const prof_name[NPROF] = { "user", "kernel" };

/* Counters for one scope (everything, libc, libm, or one file). */
struct scope {
	uint64_t bytes;        /* bytes of executable sections swept */
	uint64_t insns;        /* instructions decoded */
	uint64_t invalid;      /* bytes skipped as undecodable */
	uint64_t nomem;
	uint64_t noaccess;
	uint64_t stack;
	uint64_t cand;
	uint64_t supp[NPROF];
	uint64_t core_err;     /* Zydis decoded it but mt_decode() failed */
	uint64_t core_nomem;   /* mt_decode() says MT_FAM_NONE for a candidate */
};

struct mnem_stat {
	uint64_t cand;
	uint64_t supp[NPROF];
	uint64_t fam_mask;     /* families mt_decode gave this mnemonic */
};

/* Unsupported forms (mnemonic + operand shapes), per profile. */
struct form {
	char key[96];
	uint64_t count;
	uint64_t in_libc, in_libm;
	uint8_t fam;
	uint8_t len;
	uint8_t bytes[ZYDIS_MAX_INSTRUCTION_LENGTH];
	uint64_t addr;
	int file;
};
#define FORM_SLOTS 8192
struct form_table {
	struct form *slot[FORM_SLOTS];
	unsigned used;
	uint64_t dropped;
};

struct file_stat {
	char *name;
	struct scope s;
};

static struct {
	struct scope all, libc, libm;
	uint64_t fam[MT_FAM_COUNT][1 + NPROF]; /* candidates, supported per profile */
	struct mnem_stat mnem[NMNEM];
	struct form_table forms[NPROF];
	struct file_stat *files;
	size_t nfiles, cap_files;
	uint64_t skipped_notelf, skipped_dup, skipped_err, skipped_noexec;
	int top;
} G;

static ZydisDecoder zdec;

/* Callbacks that are never called: mt_emu_supported() only looks at which
 * ones are present. */
static int nop_read(void *o, uint64_t a, void *b, unsigned s, unsigned f)
{
	return -EOPNOTSUPP;
}
static int nop_write(void *o, uint64_t a, const void *b, unsigned s, unsigned f)
{
	return -EOPNOTSUPP;
}
static int nop_vget(void *o, unsigned i, void *b, unsigned s)
{
	return -EOPNOTSUPP;
}
static int nop_vset(void *o, unsigned i, const void *b, unsigned s)
{
	return -EOPNOTSUPP;
}
static int nop_kget(void *o, unsigned i, uint64_t *v)
{
	return -EOPNOTSUPP;
}
static int nop_kset(void *o, unsigned i, uint64_t v)
{
	return -EOPNOTSUPP;
}
static int nop_disp(void *o, struct mt_cpu *c, const struct mt_displaced *d)
{
	return -EOPNOTSUPP;
}

/* user: the LD_PRELOAD and ptrace tracers (runtime/preload/handler.c,
 * runtime/ptrace/pt_emu.c); kernel: the kernel module's ops
 * (kmod/src/mt_fault.c, mt_vec.c): memory and live vector/opmask registers,
 * no displaced execution, no access to the stack. */
static struct mt_emu_ops prof_ops[NPROF] = {
	[PROF_USER] = { .mem_read = nop_read, .mem_write = nop_write,
			.vec_get = nop_vget, .vec_set = nop_vset,
			.kmask_get = nop_kget, .kmask_set = nop_kset,
			.exec_displaced = nop_disp },
	[PROF_KERNEL] = { .mem_read = nop_read, .mem_write = nop_write,
			  .vec_get = nop_vget, .vec_set = nop_vset,
			  .kmask_get = nop_kget, .kmask_set = nop_kset,
			  .flags = MT_OPS_NO_STACK },
};

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "mmiotap-census: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);
	if (!p)
		die("%s", "out of memory");
	return p;
}

/* ---- classification --------------------------------------------------------- */

enum klass { K_NOMEM, K_NOACCESS, K_STACK, K_CAND };

static bool is_hint(ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_NOP:
	case ZYDIS_MNEMONIC_PREFETCH:
	case ZYDIS_MNEMONIC_PREFETCHNTA:
	case ZYDIS_MNEMONIC_PREFETCHT0:
	case ZYDIS_MNEMONIC_PREFETCHT1:
	case ZYDIS_MNEMONIC_PREFETCHT2:
	case ZYDIS_MNEMONIC_PREFETCHW:
	case ZYDIS_MNEMONIC_PREFETCHWT1:
		return true;
	default:
		return false;
	}
}

static enum klass classify(const ZydisDecodedInstruction *in,
			   const ZydisDecodedOperand *ops)
{
	bool any = false, agen = false, other = false;

	for (unsigned i = 0; i < in->operand_count; i++) {
		const ZydisDecodedOperand *op = &ops[i];
		if (op->type != ZYDIS_OPERAND_TYPE_MEMORY)
			continue;
		if (op->mem.type == ZYDIS_MEMOP_TYPE_AGEN) {
			agen = true;
			continue;
		}
		any = true;
		/* Implicit stack: a hidden/implicit operand in SS (push, pop,
		 * call, ret, enter, leave, pushf ...). */
		if (op->visibility != ZYDIS_OPERAND_VISIBILITY_EXPLICIT &&
		    op->mem.segment == ZYDIS_REGISTER_SS)
			continue;
		other = true;
	}
	if (!any)
		return agen ? K_NOACCESS : K_NOMEM;
	if (is_hint(in->mnemonic))
		return K_NOACCESS;
	return other ? K_CAND : K_STACK;
}

static const char *regclass_name(ZydisRegister r)
{
	switch (ZydisRegisterGetClass(r)) {
	case ZYDIS_REGCLASS_GPR8: return "r8";
	case ZYDIS_REGCLASS_GPR16: return "r16";
	case ZYDIS_REGCLASS_GPR32: return "r32";
	case ZYDIS_REGCLASS_GPR64: return "r64";
	case ZYDIS_REGCLASS_X87: return "st";
	case ZYDIS_REGCLASS_MMX: return "mm";
	case ZYDIS_REGCLASS_XMM: return "xmm";
	case ZYDIS_REGCLASS_YMM: return "ymm";
	case ZYDIS_REGCLASS_ZMM: return "zmm";
	case ZYDIS_REGCLASS_MASK: return "k";
	case ZYDIS_REGCLASS_SEGMENT: return "sreg";
	case ZYDIS_REGCLASS_BOUND: return "bnd";
	default: return "reg";
	}
}

/* "lock or m32,imm" / "vmovdqu8 m512{k},zmm" */
static void form_key(char *buf, size_t sz, const ZydisDecodedInstruction *in,
		     const ZydisDecodedOperand *ops)
{
	size_t n = 0;
	const char *mn = ZydisMnemonicGetString(in->mnemonic);

#define PUT(...)                                                               \
	do {                                                                   \
		int k_ = snprintf(buf + n, sz - n, __VA_ARGS__);               \
		if (k_ > 0)                                                    \
			n += (size_t)k_ < sz - n ? (size_t)k_ : sz - n - 1;    \
	} while (0)
	if (in->attributes & ZYDIS_ATTRIB_HAS_LOCK)
		PUT("lock ");
	if (in->attributes & ZYDIS_ATTRIB_HAS_REP)
		PUT("rep ");
	if (in->attributes & ZYDIS_ATTRIB_HAS_REPE)
		PUT("repe ");
	if (in->attributes & ZYDIS_ATTRIB_HAS_REPNE)
		PUT("repne ");
	PUT("%s", mn ? mn : "?");
	bool first = true;
	bool masked = in->avx.mask.reg != ZYDIS_REGISTER_NONE &&
		      in->avx.mask.reg != ZYDIS_REGISTER_K0;
	for (unsigned i = 0; i < in->operand_count_visible; i++) {
		const ZydisDecodedOperand *op = &ops[i];
		PUT("%s", first ? " " : ",");
		first = false;
		switch (op->type) {
		case ZYDIS_OPERAND_TYPE_REGISTER:
			PUT("%s", regclass_name(op->reg.value));
			break;
		case ZYDIS_OPERAND_TYPE_MEMORY:
			if (op->mem.type == ZYDIS_MEMOP_TYPE_VSIB)
				PUT("vsib%u", op->size);
			else
				PUT("m%u", op->size);
			break;
		case ZYDIS_OPERAND_TYPE_IMMEDIATE:
			PUT("imm");
			break;
		case ZYDIS_OPERAND_TYPE_POINTER:
			PUT("ptr");
			break;
		default:
			PUT("?");
		}
		if (i == 0 && masked)
			PUT("{k}%s", in->avx.mask.mode == ZYDIS_MASK_MODE_ZEROING ?
					     "{z}" : "");
	}
#undef PUT
}

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static void form_add(struct form_table *t, const char *key,
		     const struct mt_decoded *d, int file, int is_libc,
		     int is_libm)
{
	uint32_t h = hash_str(key) & (FORM_SLOTS - 1);
	for (unsigned probe = 0; probe < FORM_SLOTS; probe++) {
		struct form *f = t->slot[(h + probe) & (FORM_SLOTS - 1)];
		if (!f) {
			if (t->used >= FORM_SLOTS / 2) {
				t->dropped++;
				return;
			}
			f = xcalloc(1, sizeof(*f));
			snprintf(f->key, sizeof(f->key), "%s", key);
			f->fam = d->family;
			f->len = d->len <= sizeof(f->bytes) ? d->len : sizeof(f->bytes);
			memcpy(f->bytes, d->bytes, f->len);
			f->addr = d->rip;
			f->file = file;
			t->slot[(h + probe) & (FORM_SLOTS - 1)] = f;
			t->used++;
		} else if (strcmp(f->key, key)) {
			continue;
		}
		f->count++;
		f->in_libc += is_libc;
		f->in_libm += is_libm;
		return;
	}
	t->dropped++;
}

static void scope_add(struct scope *dst, const struct scope *src)
{
	dst->bytes += src->bytes;
	dst->insns += src->insns;
	dst->invalid += src->invalid;
	dst->nomem += src->nomem;
	dst->noaccess += src->noaccess;
	dst->stack += src->stack;
	dst->cand += src->cand;
	for (int p = 0; p < NPROF; p++)
		dst->supp[p] += src->supp[p];
	dst->core_err += src->core_err;
	dst->core_nomem += src->core_nomem;
}

/* ---- exercising mt_emulate() ----------------------------------------------------- */

enum xanom {
	XA_FAIL, XA_SIZE, XA_RIP, XA_STACK, XA_REENC, XA_NOGP, XA_COUNT
};
static const char *const xanom_name[XA_COUNT] = {
	"mt_emulate() failed", "access size not the operand's",
	"wrong RIP", "wrong stack effect", "bad displaced re-encoding",
	"accepted a #GP input",
};

/* Why mt_emulate() may refuse a supported instruction at run time: inputs
 * on which the CPU raises #GP (emu.h). The census predicts these from the
 * instruction and the inputs it gave, by its own reading of the SDM. */
enum xrefuse { XR_NONE, XR_MXCSR, XR_ALIGN, XR_COUNT };
static const char *const xrefuse_name[XR_COUNT] = {
	"", "LDMXCSR with reserved MXCSR bits",
	"misaligned operand of an aligned move or legacy SSE m128 form",
};

#define XW_MAX 8
struct xctx {
	const struct mt_decoded *d;
	unsigned accesses;
	unsigned bad_size;
	unsigned bad_reenc;
	unsigned disp_calls;
	unsigned max_op;          /* largest memory operand, bytes */
	uint64_t opsz_mask[2];    /* memory operand byte sizes 1..64 allowed */
	bool valid_mxcsr;         /* reads of 4 bytes return a valid MXCSR */
	bool have_read;
	uint64_t read0;           /* first read: low 8 bytes, and its size */
	unsigned read0_size;
	unsigned nw;
	struct { uint64_t addr, val; unsigned size; } w[XW_MAX];
	uint8_t vregs[32][64];
	uint64_t kregs[8];
};

static struct {
	bool on;
	uint64_t runs[NPROF], accesses[NPROF], noaccess[NPROF];
	uint64_t displaced[NPROF]; /* exec_displaced calls checked */
	uint64_t bad_insns[NPROF]; /* instructions with any anomaly */
	uint64_t anom[NPROF][XA_COUNT];
	uint64_t refused[NPROF][XR_COUNT]; /* refused by design, then rerun */
	uint64_t branches[NPROF];  /* JMP/CALL m64 runs with RIP = target */
	uint64_t stackops[NPROF];  /* CALL/PUSH/POP m runs, stack checked */
	uint64_t sizes[NPROF][65]; /* accesses by size (not MT_ACC_PARTIAL) */
	uint64_t partial[NPROF];   /* MT_ACC_PARTIAL accesses */
	struct form_table forms[NPROF]; /* forms with any anomaly */
	struct form_table quiet[NPROF]; /* forms that made no access */
	uint64_t rc_hist[NPROF][8];    /* by -rc - 1000, for MT_EMU_* failures */
} X;

static int xprof; /* profile of the current run, for the size histogram */

/* The new contract (emu.h): one call per operand, of the operand's byte
 * size (1..64), or a MT_ACC_PARTIAL run within the largest operand. */
static bool size_ok(const struct xctx *x, unsigned size, unsigned flags)
{
	if (size < 1 || size > 64)
		return false;
	if (flags & MT_ACC_PARTIAL)
		return size <= x->max_op;
	return (x->opsz_mask[(size - 1) / 64] >> ((size - 1) % 64)) & 1;
}

/* Every memory callback: count the access (by size) and check its size. */
static int note_access(struct xctx *x, unsigned size, unsigned flags)
{
	x->accesses++;
	if (flags & MT_ACC_PARTIAL)
		X.partial[xprof]++;
	else if (size <= 64)
		X.sizes[xprof][size]++;
	if (size_ok(x, size, flags))
		return 0;
	x->bad_size++;
	return -EINVAL;
}

static int x_read(void *o, uint64_t addr, void *buf, unsigned size,
		  unsigned flags)
{
	struct xctx *x = o;
	if (note_access(x, size, flags))
		return -EINVAL;
	for (unsigned i = 0; i < size; i++)
		((uint8_t *)buf)[i] = (uint8_t)((addr + i) * 0x9d + 0x31);
	if (x->valid_mxcsr && size == 4) {
		uint32_t v = 0x1f80; /* the power-on MXCSR */
		memcpy(buf, &v, 4);
	}
	if (!x->have_read) {
		x->have_read = true;
		x->read0 = 0;
		memcpy(&x->read0, buf, size < 8 ? size : 8);
		x->read0_size = size;
	}
	return 0;
}

static int x_write(void *o, uint64_t addr, const void *buf, unsigned size,
		   unsigned flags)
{
	struct xctx *x = o;
	if (note_access(x, size, flags))
		return -EINVAL;
	if (x->nw < XW_MAX) {
		x->w[x->nw].addr = addr;
		x->w[x->nw].size = size;
		x->w[x->nw].val = 0;
		memcpy(&x->w[x->nw].val, buf, size < 8 ? size : 8);
	}
	x->nw++;
	return 0;
}

static int x_vget(void *o, unsigned idx, void *buf, unsigned size)
{
	struct xctx *x = o;
	if (idx >= 32 || size > 64)
		return -EINVAL;
	memcpy(buf, x->vregs[idx], size);
	return 0;
}

static int x_vset(void *o, unsigned idx, const void *buf, unsigned size)
{
	struct xctx *x = o;
	if (idx >= 32 || size > 64)
		return -EINVAL;
	memcpy(x->vregs[idx], buf, size);
	return 0;
}

static int x_kget(void *o, unsigned idx, uint64_t *v)
{
	struct xctx *x = o;
	if (idx >= 8)
		return -EINVAL;
	*v = x->kregs[idx];
	return 0;
}

static int x_kset(void *o, unsigned idx, uint64_t v)
{
	struct xctx *x = o;
	if (idx >= 8)
		return -EINVAL;
	x->kregs[idx] = v;
	return 0;
}

/* Check the re-encoded instruction: same mnemonic, same register operands,
 * the memory operand exactly [scratch_reg]. Runs nothing. */
static int x_disp(void *o, struct mt_cpu *cpu, const struct mt_displaced *xd)
{
	struct xctx *x = o;
	const struct mt_decoded *d = x->d;
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	x->disp_calls++;
	bool ok = xd->len >= 1 && xd->len <= sizeof(xd->code) &&
		  xd->scratch_reg < MT_NGPR && xd->scratch && xd->size &&
		  ZYAN_SUCCESS(ZydisDecoderDecodeFull(&zdec, xd->code, xd->len,
						      &in, ops)) &&
		  in.length == xd->len && in.mnemonic == d->insn.mnemonic &&
		  in.operand_count_visible == d->insn.operand_count_visible;
	for (unsigned i = 0; ok && i < in.operand_count_visible; i++) {
		const ZydisDecodedOperand *a = &ops[i], *b = &d->ops[i];
		if (a->type != b->type)
			ok = false;
		else if (a->type == ZYDIS_OPERAND_TYPE_REGISTER)
			ok = a->reg.value == b->reg.value;
		else if (a->type == ZYDIS_OPERAND_TYPE_MEMORY)
			ok = a->mem.base == (ZydisRegister)(ZYDIS_REGISTER_RAX + xd->scratch_reg) &&
			     a->mem.index == ZYDIS_REGISTER_NONE &&
			     (!a->mem.disp.has_displacement || !a->mem.disp.value) &&
			     a->size == b->size;
		else if (a->type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
			ok = a->imm.value.u == b->imm.value.u;
	}
	if (!ok)
		x->bad_reenc++;
	/* "Run" it: a written operand gets bytes in every other 4-byte chunk,
	 * so the core's masked-store probe (two runs, over 0x00 and 0xff)
	 * finds partial runs to write back. */
	if (ok && d->mem_op != 0xff &&
	    (d->ops[d->mem_op].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
		for (unsigned i = 0; i < xd->size && i < 64; i++)
			if (!((i / 4) & 1))
				xd->scratch[i] = (uint8_t)(0x5a + i);
	return 0;
}


static const struct mt_emu_ops xops[NPROF] = {
	[PROF_USER] = { .mem_read = x_read, .mem_write = x_write,
			.vec_get = x_vget, .vec_set = x_vset,
			.kmask_get = x_kget, .kmask_set = x_kset,
			.exec_displaced = x_disp },
	[PROF_KERNEL] = { .mem_read = x_read, .mem_write = x_write,
			  .vec_get = x_vget, .vec_set = x_vset,
			  .kmask_get = x_kget, .kmask_set = x_kset,
			  .flags = MT_OPS_NO_STACK },
};

/* Alignment the CPU checks on the memory operand m of d (0: none):
 * the aligned moves in every encoding (MOVDQA MOVAPS MOVAPD MOVNT*
 * VMOVDQA32/64 ...: the operand's size, even when masked), and legacy SSE
 * (no VEX/EVEX) with a 16-byte operand of SDM exception types 1, 2 and 4
 * (PAND, PTEST, ADDPD m128 ...), except the forms documented or measured
 * as unaligned (MOVUPS MOVUPD MOVDQU LDDQU MASKMOVDQU, PCMPxSTRx). */
static unsigned align_needed(const struct mt_decoded *d, const ZydisDecodedOperand *m)
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
		return m->size >= 128 ? m->size / 8 : 0;
	case ZYDIS_MNEMONIC_MOVUPS: case ZYDIS_MNEMONIC_MOVUPD:
	case ZYDIS_MNEMONIC_MOVDQU: case ZYDIS_MNEMONIC_LDDQU:
	case ZYDIS_MNEMONIC_MASKMOVDQU:
	case ZYDIS_MNEMONIC_PCMPESTRI: case ZYDIS_MNEMONIC_PCMPESTRM:
	case ZYDIS_MNEMONIC_PCMPISTRI: case ZYDIS_MNEMONIC_PCMPISTRM:
		return 0;
	default:
		break;
	}
	if (d->insn.encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY ||
	    m->size != 128)
		return 0;
	switch (d->insn.meta.exception_class) {
	case ZYDIS_EXCEPTION_CLASS_SSE1: case ZYDIS_EXCEPTION_CLASS_SSE2:
	case ZYDIS_EXCEPTION_CLASS_SSE4:
		return 16;
	default:
		return 0;
	}
}

/* Would the CPU raise #GP on these inputs? (x: after a run, for the data
 * read; addr: the operand's address.) */
static enum xrefuse gp_reason(const struct mt_decoded *d, const struct xctx *x,
			      bool have_addr, uint64_t addr)
{
	ZydisMnemonic mn = d->insn.mnemonic;
	if ((mn == ZYDIS_MNEMONIC_LDMXCSR || mn == ZYDIS_MNEMONIC_VLDMXCSR) &&
	    x->have_read && x->read0_size == 4 && (x->read0 >> 16))
		return XR_MXCSR;
	unsigned al = have_addr ? align_needed(d, &d->ops[d->mem_op]) : 0;
	if (al && (addr & (al - 1)))
		return XR_ALIGN;
	return XR_NONE;
}

static void x_setup(struct xctx *x, struct mt_cpu *cpu, const struct mt_decoded *d)
{
	x->d = d;
	x->accesses = x->bad_size = x->bad_reenc = x->disp_calls = 0;
	x->have_read = false;
	x->nw = 0;
	for (unsigned i = 0; i < 32; i++)
		memset(x->vregs[i], 0x80 | (0x11 * i + 1), 64); /* sign bits set:
							       * VMASKMOV masks all on */
	for (unsigned i = 0; i < 8; i++)
		x->kregs[i] = ~0ull;
	memset(cpu, 0, sizeof(*cpu));
	for (unsigned i = 0; i < MT_NGPR; i++)
		cpu->gpr[i] = 0x10000ull * (i + 1) + 0x40;
	cpu->gpr[MT_RCX] = 3;
	cpu->gpr[MT_RSP] = 0x7ffc0000f000ull;
	cpu->rip = d->rip;
	cpu->rflags = 0x202;
	cpu->fs_base = 0x7f0000000000ull;
	cpu->gs_base = 0;
}

/* Move the memory operand of d to the boundary it needs by changing its
 * base register (or, RIP-relative, the instruction's address in *d2). */
static bool realign(struct mt_decoded *d2, struct mt_cpu *cpu, uint64_t addr)
{
	const ZydisDecodedOperand *m = &d2->ops[d2->mem_op];
	uint64_t al = align_needed(d2, m), mis = addr & (al - 1), a;

	if (m->mem.base == ZYDIS_REGISTER_RIP) {
		d2->rip -= mis;
		cpu->rip = d2->rip;
	} else if (ZydisRegisterGetClass(m->mem.base) == ZYDIS_REGCLASS_GPR64) {
		cpu->gpr[ZydisRegisterGetId(m->mem.base)] -= mis;
	} else if (ZydisRegisterGetClass(m->mem.index) == ZYDIS_REGCLASS_GPR64 &&
		   m->mem.scale <= 1) {
		cpu->gpr[ZydisRegisterGetId(m->mem.index)] -= mis;
	} else {
		return false;
	}
	return !mt_operand_address(d2, d2->mem_op, cpu, &a) && !(a & (al - 1));
}

static bool is_stack_form(const struct mt_decoded *d, unsigned *push)
{
	if (d->mem_op != 0 || d->insn.opcode_map != ZYDIS_OPCODE_MAP_DEFAULT)
		return false;
	switch (d->insn.mnemonic) {
	case ZYDIS_MNEMONIC_CALL: *push = 8; return true;
	case ZYDIS_MNEMONIC_PUSH: *push = d->ops[0].size / 8; return true;
	case ZYDIS_MNEMONIC_POP: *push = 0; return true;
	default: return false;
	}
}

/* Returns 1 if the run showed an anomaly, 2 if it made no memory access
 * (not an error in itself: REP with a zero count, a masked-off store, a
 * displaced masked store whose fake run wrote nothing), else 0. */
static int exercise(const struct mt_decoded *d0, int pr)
{
	static struct xctx x;
	static struct mt_decoded d2;
	const struct mt_decoded *d = d0;
	struct mt_cpu cpu, in;
	uint64_t addr = 0;
	bool anom = false, have_addr;
	unsigned push = 0;

	/* Byte sizes of the instruction's memory operands (the contract). */
	x.max_op = 0;
	x.opsz_mask[0] = x.opsz_mask[1] = 0;
	for (unsigned i = 0; i < d->insn.operand_count; i++) {
		const ZydisDecodedOperand *op = &d->ops[i];
		unsigned b = op->size / 8;
		if (op->type != ZYDIS_OPERAND_TYPE_MEMORY ||
		    op->mem.type == ZYDIS_MEMOP_TYPE_AGEN || !b || b > 64)
			continue;
		x.opsz_mask[(b - 1) / 64] |= 1ull << ((b - 1) % 64);
		if (b > x.max_op)
			x.max_op = b;
	}
	xprof = pr;
	x.valid_mxcsr = false;
	x_setup(&x, &cpu, d);
	in = cpu;
	have_addr = d->mem_op != 0xff &&
		    !mt_operand_address(d, d->mem_op, &in, &addr);

	int rc = mt_emulate(d, &cpu, &xops[pr], &x);
	enum xrefuse why = gp_reason(d, &x, have_addr, addr);
	if (rc == MT_EMU_UNSUPPORTED && why != XR_NONE) {
		/* Refused by design: the CPU would fault. Count it, then run
		 * again on inputs the CPU accepts, which must succeed. */
		X.refused[pr][why]++;
		X.runs[pr]++;
		X.accesses[pr] += x.accesses;
		x_setup(&x, &cpu, d);
		if (why == XR_MXCSR) {
			x.valid_mxcsr = true;
		} else {
			d2 = *d;
			d = &d2;
			x.d = d;
			if (!realign(&d2, &cpu, addr)) {
				X.anom[pr][XA_FAIL]++; /* cannot make the input valid */
				X.bad_insns[pr]++;
				return 1;
			}
		}
		in = cpu;
		rc = mt_emulate(d, &cpu, &xops[pr], &x);
		why = XR_NONE;
	} else if (rc == 0 && why != XR_NONE) {
		X.anom[pr][XA_NOGP]++;
		anom = true;
	}
	X.runs[pr]++;
	X.accesses[pr] += x.accesses;
	X.displaced[pr] += x.disp_calls;
	if (!x.accesses)
		X.noaccess[pr]++;
	if (rc) {
		X.anom[pr][XA_FAIL]++;
		unsigned h = (unsigned)(-rc - 1000);
		X.rc_hist[pr][h < 8 ? h : 7]++;
		anom = true;
	}
	if (x.bad_size) {
		X.anom[pr][XA_SIZE]++;
		anom = true;
	}
	if (x.bad_reenc) {
		X.anom[pr][XA_REENC]++;
		anom = true;
	}
	uint64_t next = d->rip + d->len, want_rip = next;
	bool branch = d->mem_op == 0 && d->ops[0].size == 64 &&
		      d->insn.opcode_map == ZYDIS_OPCODE_MAP_DEFAULT &&
		      d->insn.opcode == 0xff &&
		      (d->insn.mnemonic == ZYDIS_MNEMONIC_JMP ||
		       d->insn.mnemonic == ZYDIS_MNEMONIC_CALL);
	if (branch) {
		/* RIP = the 8 bytes the first (the only) read returned */
		want_rip = x.have_read && x.read0_size == 8 ? x.read0 : ~next;
		if (!rc)
			X.branches[pr]++;
	}
	bool rep = d->insn.attributes & (ZYDIS_ATTRIB_HAS_REP |
					 ZYDIS_ATTRIB_HAS_REPE |
					 ZYDIS_ATTRIB_HAS_REPNE);
	if (!rc && cpu.rip != want_rip && !(rep && !branch && cpu.rip == d->rip)) {
		X.anom[pr][XA_RIP]++;
		anom = true;
	}
	if (!rc && is_stack_form(d, &push)) {
		/* CALL m64 / PUSH m: RSP -= size, one write there (CALL: of
		 * the return address, PUSH: of the value read). POP m:
		 * RSP += size, the value read from the old RSP written. */
		uint64_t rsp = in.gpr[MT_RSP];
		bool ok;
		X.stackops[pr]++;
		if (push) {
			ok = cpu.gpr[MT_RSP] == rsp - push && x.nw == 1 &&
			     x.w[0].addr == rsp - push && x.w[0].size == push &&
			     x.w[0].val == (d->insn.mnemonic == ZYDIS_MNEMONIC_CALL ?
						    next : x.read0);
		} else {
			unsigned sz = d->ops[0].size / 8;
			ok = cpu.gpr[MT_RSP] == rsp + sz && x.nw == 1 &&
			     x.w[0].size == sz && x.w[0].val == x.read0;
		}
		if (!ok) {
			X.anom[pr][XA_STACK]++;
			anom = true;
		}
	}
	X.bad_insns[pr] += anom;
	return anom ? 1 : !x.accesses ? 2 : 0;
}

/* ---- the sweep ------------------------------------------------------------------ */

static void sweep(const uint8_t *p, uint64_t size, uint64_t vaddr,
		  struct scope *s, int file, int is_libc, int is_libm)
{
	ZydisDecodedInstruction in;
	ZydisDecoderContext ctx;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	struct mt_decoded d;
	uint64_t off = 0;

	s->bytes += size;
	while (off < size) {
		size_t n = size - off < ZYDIS_MAX_INSTRUCTION_LENGTH ?
				   (size_t)(size - off) :
				   ZYDIS_MAX_INSTRUCTION_LENGTH;
		if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&zdec, &ctx, p + off,
								n, &in))) {
			s->invalid++;
			off++;
			continue;
		}
		if (!ZYAN_SUCCESS(ZydisDecoderDecodeOperands(&zdec, &ctx, &in, ops,
							     in.operand_count))) {
			/* Should not happen once the instruction decoded. */
			s->invalid++;
			off++;
			continue;
		}
		s->insns++;
		uint64_t rip = vaddr + off;
		enum klass k = classify(&in, ops);
		off += in.length;
		switch (k) {
		case K_NOMEM: s->nomem++; continue;
		case K_NOACCESS: s->noaccess++; continue;
		case K_STACK: s->stack++; continue;
		case K_CAND: break;
		}
		s->cand++;
		struct mnem_stat *ms = &G.mnem[in.mnemonic];
		ms->cand++;

		memset(&d, 0, sizeof(d));
		int rc = mt_decode(&d, p + rip - vaddr, n, rip);
		if (rc != 0 || d.len != in.length) {
			s->core_err++;
			d.family = MT_FAM_OTHER;
			d.len = in.length;
			memcpy(d.bytes, p + rip - vaddr, in.length);
			d.rip = rip;
		} else if (d.family == MT_FAM_NONE) {
			s->core_nomem++;
		}
		unsigned fam = d.family < MT_FAM_COUNT ? d.family : MT_FAM_OTHER;
		ms->fam_mask |= 1ull << fam;
		G.fam[fam][0]++;
		char key[96];
		key[0] = 0;
		for (int pr = 0; pr < NPROF; pr++) {
			bool ok = rc == 0 && d.len == in.length &&
				  mt_emu_supported(&d, &prof_ops[pr]);
			if (ok) {
				s->supp[pr]++;
				ms->supp[pr]++;
				G.fam[fam][1 + pr]++;
				int xr = X.on ? exercise(&d, pr) : 0;
				if (!xr)
					continue;
				if (!key[0])
					form_key(key, sizeof(key), &in, ops);
				form_add(xr == 1 ? &X.forms[pr] : &X.quiet[pr], key,
					 &d, file, is_libc, is_libm);
				continue;
			}
			if (!key[0])
				form_key(key, sizeof(key), &in, ops);
			form_add(&G.forms[pr], key, &d, file, is_libc, is_libm);
		}
	}
}

static void sweep_file(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		G.skipped_err++;
		return;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < sizeof(Elf64_Ehdr)) {
		close(fd);
		G.skipped_notelf++;
		return;
	}
	/* Symlinks and hard links: count each file once. */
	static struct { dev_t dev; ino_t ino; } *seen;
	static size_t nseen, capseen;
	for (size_t i = 0; i < nseen; i++)
		if (seen[i].dev == st.st_dev && seen[i].ino == st.st_ino) {
			close(fd);
			G.skipped_dup++;
			return;
		}
	if (nseen == capseen) {
		capseen = capseen ? capseen * 2 : 256;
		void *ns = realloc(seen, capseen * sizeof(*seen));
		if (!ns)
			die("%s", "out of memory");
		seen = ns;
	}
	seen[nseen].dev = st.st_dev;
	seen[nseen++].ino = st.st_ino;

	uint64_t fsize = (uint64_t)st.st_size;
	const uint8_t *m = mmap(NULL, fsize, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		G.skipped_err++;
		return;
	}
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)m;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64) {
		munmap((void *)m, fsize);
		G.skipped_notelf++;
		return;
	}

	/* libc/libm scopes: by the name given or the name it links to. */
	char *real = realpath(path, NULL);
	const char *base = strrchr(path, '/');
	const char *rbase = real ? strrchr(real, '/') : NULL;
	base = base ? base + 1 : path;
	rbase = rbase ? rbase + 1 : base;
	int is_libc = !strcmp(base, "libc.so.6") || !strcmp(rbase, "libc.so.6");
	int is_libm = !strcmp(base, "libm.so.6") || !strcmp(rbase, "libm.so.6");
	free(real);

	if (G.nfiles == G.cap_files) {
		G.cap_files = G.cap_files ? G.cap_files * 2 : 256;
		void *nf = realloc(G.files, G.cap_files * sizeof(*G.files));
		if (!nf)
			die("%s", "out of memory");
		G.files = nf;
	}
	int fidx = (int)G.nfiles;
	struct file_stat *fs = &G.files[G.nfiles++];
	memset(fs, 0, sizeof(*fs));
	fs->name = strdup(path);
	if (!fs->name)
		die("%s", "out of memory");

	int nsec = 0;
	if (eh->e_shoff && eh->e_shnum && eh->e_shentsize == sizeof(Elf64_Shdr) &&
	    eh->e_shoff <= fsize &&
	    (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) <= fsize - eh->e_shoff) {
		for (unsigned i = 0; i < eh->e_shnum; i++) {
			Elf64_Shdr sh[1]; /* the table may be misaligned */
			memcpy(sh, m + eh->e_shoff + i * sizeof(Elf64_Shdr),
			       sizeof(sh));
			if (!(sh->sh_flags & SHF_EXECINSTR) ||
			    sh->sh_type == SHT_NOBITS || !sh->sh_size)
				continue;
			if (sh->sh_offset > fsize ||
			    sh->sh_size > fsize - sh->sh_offset)
				continue;
			sweep(m + sh->sh_offset, sh->sh_size, sh->sh_addr,
			      &fs->s, fidx, is_libc, is_libm);
			nsec++;
		}
	} else if (eh->e_phoff && eh->e_phnum &&
		   eh->e_phentsize == sizeof(Elf64_Phdr) && eh->e_phoff <= fsize &&
		   (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) <=
			   fsize - eh->e_phoff) {
		/* No section headers: fall back to executable segments. */
		for (unsigned i = 0; i < eh->e_phnum; i++) {
			Elf64_Phdr ph[1];
			memcpy(ph, m + eh->e_phoff + i * sizeof(Elf64_Phdr),
			       sizeof(ph));
			if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) ||
			    !ph->p_filesz || ph->p_offset > fsize ||
			    ph->p_filesz > fsize - ph->p_offset)
				continue;
			sweep(m + ph->p_offset, ph->p_filesz, ph->p_vaddr,
			      &fs->s, fidx, is_libc, is_libm);
			nsec++;
		}
	}
	munmap((void *)m, fsize);
	if (!nsec)
		G.skipped_noexec++;
	scope_add(&G.all, &fs->s);
	if (is_libc)
		scope_add(&G.libc, &fs->s);
	if (is_libm)
		scope_add(&G.libm, &fs->s);
}

/* ---- report ---------------------------------------------------------------------- */

static double pct(uint64_t a, uint64_t b)
{
	return b ? 100.0 * (double)a / (double)b : 100.0;
}

static void print_scope_row(const char *name, const struct scope *s)
{
	printf("| %s | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64
	       " | %" PRIu64 " | %" PRIu64 " (%.3f%%) | %" PRIu64 " (%.3f%%) |\n",
	       name, s->insns, s->invalid, s->stack, s->noaccess, s->cand,
	       s->supp[PROF_USER], pct(s->supp[PROF_USER], s->cand),
	       s->supp[PROF_KERNEL], pct(s->supp[PROF_KERNEL], s->cand));
}

static int cmp_form(const void *a, const void *b)
{
	const struct form *fa = *(const struct form *const *)a;
	const struct form *fb = *(const struct form *const *)b;
	if (fa->count != fb->count)
		return fa->count < fb->count ? 1 : -1;
	return strcmp(fa->key, fb->key);
}

static int cmp_mnem_unsupp(const void *a, const void *b)
{
	unsigned ia = *(const unsigned *)a, ib = *(const unsigned *)b;
	uint64_t ua = G.mnem[ia].cand - G.mnem[ia].supp[PROF_USER];
	uint64_t ub = G.mnem[ib].cand - G.mnem[ib].supp[PROF_USER];
	uint64_t ka = G.mnem[ia].cand - G.mnem[ia].supp[PROF_KERNEL];
	uint64_t kb = G.mnem[ib].cand - G.mnem[ib].supp[PROF_KERNEL];
	if (ua != ub)
		return ua < ub ? 1 : -1;
	if (ka != kb)
		return ka < kb ? 1 : -1;
	if (G.mnem[ia].cand != G.mnem[ib].cand)
		return G.mnem[ia].cand < G.mnem[ib].cand ? 1 : -1;
	return ia < ib ? -1 : ia > ib;
}

static int cmp_file_unsupp(const void *a, const void *b)
{
	const struct file_stat *fa = a, *fb = b;
	uint64_t ua = fa->s.cand - fa->s.supp[PROF_USER];
	uint64_t ub = fb->s.cand - fb->s.supp[PROF_USER];
	if (ua != ub)
		return ua < ub ? 1 : -1;
	return strcmp(fa->name, fb->name);
}

static void fam_list(char *buf, size_t sz, uint64_t mask)
{
	size_t n = 0;
	buf[0] = 0;
	for (unsigned f = 0; f < MT_FAM_COUNT && n + 1 < sz; f++)
		if (mask & (1ull << f)) {
			int k = snprintf(buf + n, sz - n, "%s%s", n ? "," : "",
					 mt_family_name((enum mt_family)f));
			if (k > 0)
				n += (size_t)k < sz - n ? (size_t)k : sz - n - 1;
		}
}

static void print_forms(struct form_table *t, const char *title)
{
	struct form **v = xcalloc(t->used + 1, sizeof(*v));
	unsigned n = 0;
	for (unsigned i = 0; i < FORM_SLOTS; i++)
		if (t->slot[i])
			v[n++] = t->slot[i];
	qsort(v, n, sizeof(*v), cmp_form);
	printf("\n%s (%u distinct%s)\n\n", title, n,
	       t->dropped ? ", table full: some dropped" : "");
	if (!n) {
		printf("None.\n");
		free(v);
		return;
	}
	printf("| form | family | count | in libc | in libm | example (file, address: bytes) |\n");
	printf("| --- | --- | ---: | ---: | ---: | --- |\n");
	for (unsigned i = 0; i < n && i < (unsigned)G.top; i++) {
		const struct form *f = v[i];
		const char *fn = G.files[f->file].name;
		const char *b = strrchr(fn, '/');
		printf("| `%s` | %s | %" PRIu64 " | %" PRIu64 " | %" PRIu64
		       " | %s 0x%" PRIx64 ": `",
		       f->key, mt_family_name((enum mt_family)f->fam), f->count,
		       f->in_libc, f->in_libm, b ? b + 1 : fn, f->addr);
		for (unsigned j = 0; j < f->len; j++)
			printf("%s%02x", j ? " " : "", f->bytes[j]);
		printf("` |\n");
	}
	free(v);
}

static void report(int argc, char **argv, bool all_mnem, int top_files)
{
	const struct scope *a = &G.all;

	printf("# mmiotap instruction census\n\n");
	printf("Command: `mmiotap-census");
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("`\n\n");
	printf("Files: %zu ELF x86-64 files swept (%" PRIu64 " bytes of executable "
	       "sections); skipped: %" PRIu64 " not ELF x86-64, %" PRIu64
	       " duplicate links, %" PRIu64 " unreadable, %" PRIu64
	       " without executable sections.\n\n",
	       G.nfiles, a->bytes, G.skipped_notelf, G.skipped_dup,
	       G.skipped_err, G.skipped_noexec);
	printf("Profiles: **user** = vector, opmask and exec_displaced callbacks "
	       "present (preload and ptrace tracers); **kernel** = memory, "
	       "vector and opmask callbacks with MT_OPS_NO_STACK, as the "
	       "kernel module's ops on an AVX-512 machine (live registers; no "
	       "exec_displaced, no PUSH/POP/CALL m).\n\n");

	printf("## Coverage\n\n");
	printf("| scope | instructions | invalid bytes | stack only | no access "
	       "(LEA/NOP/PREFETCH) | memory candidates | user supported | kernel "
	       "supported |\n");
	printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
	print_scope_row("all files", a);
	if (G.libc.insns)
		print_scope_row("libc.so.6", &G.libc);
	if (G.libm.insns)
		print_scope_row("libm.so.6", &G.libm);
	if (a->core_err || a->core_nomem)
		printf("\nCore disagreements: mt_decode() failed or gave another "
		       "length on %" PRIu64 " instructions Zydis decoded; gave "
		       "family none for %" PRIu64 " memory candidates.\n",
		       a->core_err, a->core_nomem);

	printf("\n## By family (memory candidates, all files)\n\n");
	printf("| family | candidates | user supported | user %% | kernel supported | kernel %% |\n");
	printf("| --- | ---: | ---: | ---: | ---: | ---: |\n");
	for (unsigned f = 0; f < MT_FAM_COUNT; f++) {
		const uint64_t *c = G.fam[f];
		if (!c[0])
			continue;
		printf("| %s | %" PRIu64 " | %" PRIu64 " | %.3f | %" PRIu64
		       " | %.3f |\n",
		       mt_family_name((enum mt_family)f), c[0], c[1 + PROF_USER],
		       pct(c[1 + PROF_USER], c[0]), c[1 + PROF_KERNEL],
		       pct(c[1 + PROF_KERNEL], c[0]));
	}

	unsigned *idx = xcalloc(NMNEM, sizeof(*idx));
	unsigned n = 0;
	for (unsigned i = 0; i < NMNEM; i++)
		if (G.mnem[i].cand &&
		    (all_mnem || G.mnem[i].supp[PROF_KERNEL] != G.mnem[i].cand ||
		     G.mnem[i].supp[PROF_USER] != G.mnem[i].cand))
			idx[n++] = i;
	qsort(idx, n, sizeof(*idx), cmp_mnem_unsupp);
	printf("\n## By mnemonic (%s)\n\n",
	       all_mnem ? "all mnemonics with memory candidates" :
			  "mnemonics with any unsupported instance; --mnemonics lists all");
	printf("| mnemonic | family | candidates | user unsupported | kernel unsupported |\n");
	printf("| --- | --- | ---: | ---: | ---: |\n");
	for (unsigned i = 0; i < n; i++) {
		const struct mnem_stat *ms = &G.mnem[idx[i]];
		char fams[128];
		fam_list(fams, sizeof(fams), ms->fam_mask);
		printf("| %s | %s | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " |\n",
		       ZydisMnemonicGetString((ZydisMnemonic)idx[i]), fams,
		       ms->cand, ms->cand - ms->supp[PROF_USER],
		       ms->cand - ms->supp[PROF_KERNEL]);
	}
	free(idx);

	print_forms(&G.forms[PROF_USER], "## Top unsupported forms, user profile");
	print_forms(&G.forms[PROF_KERNEL], "## Top unsupported forms, kernel profile");

	if (X.on) {
		printf("\n## Emulation check\n\n");
		printf("Every supported candidate was run through mt_emulate() "
		       "with fake callbacks (pattern memory, RCX = 3, all opmask "
		       "bits and vector sign bits set; exec_displaced checks the "
		       "re-encoding and, for a written operand, writes every "
		       "other 4-byte chunk of the scratch copy). A run refused by design (the CPU would "
		       "raise #GP on the inputs) is counted under *refused* and "
		       "run again on valid inputs; both runs are counted.\n\n");
		printf("| profile | runs | accesses | runs without access | "
		       "displaced runs checked | JMP/CALL m64 to the target | "
		       "CALL/PUSH/POP m stack checked |");
		for (int a = 0; a < XA_COUNT; a++)
			printf(" %s |", xanom_name[a]);
		printf("\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
		for (int a = 0; a < XA_COUNT; a++)
			printf(" ---: |");
		printf("\n");
		for (int pr = 0; pr < NPROF; pr++) {
			printf("| %s | %" PRIu64 " | %" PRIu64 " | %" PRIu64
			       " | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " |",
			       prof_name[pr], X.runs[pr], X.accesses[pr],
			       X.noaccess[pr], X.displaced[pr], X.branches[pr],
			       X.stackops[pr]);
			for (int a = 0; a < XA_COUNT; a++)
				printf(" %" PRIu64 " |", X.anom[pr][a]);
			printf("\n");
		}
		printf("\nRefused at run time by design (MT_EMU_UNSUPPORTED on "
		       "inputs the CPU faults on; each then passed on valid "
		       "inputs):\n\n| profile |");
		for (int r = 1; r < XR_COUNT; r++)
			printf(" %s |", xrefuse_name[r]);
		printf("\n| --- |");
		for (int r = 1; r < XR_COUNT; r++)
			printf(" ---: |");
		printf("\n");
		for (int pr = 0; pr < NPROF; pr++) {
			printf("| %s |", prof_name[pr]);
			for (int r = 1; r < XR_COUNT; r++)
				printf(" %" PRIu64 " |", X.refused[pr][r]);
			printf("\n");
		}
		printf("\nAccess sizes passed to the memory callbacks (bytes: "
		       "count; MT_ACC_PARTIAL runs apart):\n\n");
		for (int pr = 0; pr < NPROF; pr++) {
			printf("- %s:", prof_name[pr]);
			for (int sz = 1; sz <= 64; sz++)
				if (X.sizes[pr][sz])
					printf(" %d: %" PRIu64 ";", sz, X.sizes[pr][sz]);
			printf(" partial runs: %" PRIu64 "\n", X.partial[pr]);
		}
		for (int pr = 0; pr < NPROF; pr++) {
			char title[96];
			if (!X.forms[pr].used)
				continue;
			snprintf(title, sizeof(title),
				 "### Forms with emulation anomalies, %s profile",
				 prof_name[pr]);
			print_forms(&X.forms[pr], title);
			printf("\nmt_emulate() failures by status:");
			for (int h = 0; h < 8; h++)
				if (X.rc_hist[pr][h])
					printf(" %s %" PRIu64 ";",
					       mt_emu_strerror(-1000 - h),
					       X.rc_hist[pr][h]);
			printf("\n");
		}
		for (int pr = 0; pr < NPROF; pr++) {
			char title[128];
			if (!X.quiet[pr].used)
				continue;
			snprintf(title, sizeof(title),
				 "### Forms whose run made no memory access, %s "
				 "profile (informational)", prof_name[pr]);
			print_forms(&X.quiet[pr], title);
		}
	}

	if (top_files && G.nfiles > 1) {
		qsort(G.files, G.nfiles, sizeof(*G.files), cmp_file_unsupp);
		printf("\n## Files with the most unsupported candidates (user profile)\n\n");
		printf("| file | candidates | user unsupported | user %% |\n");
		printf("| --- | ---: | ---: | ---: |\n");
		for (size_t i = 0; i < G.nfiles && i < (size_t)top_files; i++) {
			const struct scope *s = &G.files[i].s;
			if (s->cand == s->supp[PROF_USER]) {
				if (!i)
					printf("| (none) | | | |\n");
				break;
			}
			printf("| %s | %" PRIu64 " | %" PRIu64 " | %.3f |\n",
			       G.files[i].name, s->cand, s->cand - s->supp[PROF_USER],
			       pct(s->supp[PROF_USER], s->cand));
		}
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mmiotap-census [--mnemonics] [--top N] [--top-files N]\n"
		"                      [--min-coverage PCT] [--no-exercise] [FILE...]\n"
		"Decodes every executable section of each ELF x86-64 FILE (default\n"
		"%s) and prints, as markdown, how many memory-accessing\n"
		"instructions the mmiotap core can emulate, by family and mnemonic.\n"
		"  --mnemonics         list every mnemonic, not only unsupported ones\n"
		"  --top N             rows in the unsupported-forms tables (default 30)\n"
		"  --top-files N       rows in the per-file table (default 15)\n"
		"  --min-coverage PCT  exit 2 if user-profile coverage of all files < PCT\n"
		"  --no-exercise       do not run supported instructions through\n"
		"                      mt_emulate() with fake callbacks\n"
		"Exit 3 if the exercise found an anomaly or the core disagrees\n"
		"with the sweep (see the report).\n",
		DEFAULT_GLOB);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "mnemonics", no_argument, NULL, 'm' },
		{ "top", required_argument, NULL, 't' },
		{ "top-files", required_argument, NULL, 'f' },
		{ "min-coverage", required_argument, NULL, 'c' },
		{ "no-exercise", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool all_mnem = false;
	int top_files = 15;
	double min_cov = -1;
	char *end;
	int c;

	G.top = 30;
	X.on = true;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			all_mnem = true;
			break;
		case 't':
			G.top = (int)strtol(optarg, &end, 10);
			if (*end || G.top < 0)
				die("bad --top value: %s", optarg);
			break;
		case 'f':
			top_files = (int)strtol(optarg, &end, 10);
			if (*end || top_files < 0)
				die("bad --top-files value: %s", optarg);
			break;
		case 'c':
			min_cov = strtod(optarg, &end);
			if (*end || min_cov < 0 || min_cov > 100)
				die("bad --min-coverage value: %s", optarg);
			break;
		case 'n':
			X.on = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}

	if (!ZYAN_SUCCESS(ZydisDecoderInit(&zdec, ZYDIS_MACHINE_MODE_LONG_64,
					   ZYDIS_STACK_WIDTH_64)))
		die("%s", "cannot initialise the Zydis decoder");

	if (optind < argc) {
		for (int i = optind; i < argc; i++) {
			if (access(argv[i], R_OK))
				die("cannot read %s", argv[i]);
			sweep_file(argv[i]);
		}
	} else {
		glob_t gl;
		if (glob(DEFAULT_GLOB, 0, NULL, &gl) || !gl.gl_pathc)
			die("no files match %s", DEFAULT_GLOB);
		for (size_t i = 0; i < gl.gl_pathc; i++)
			sweep_file(gl.gl_pathv[i]);
		globfree(&gl);
	}
	if (!G.nfiles)
		die("%s", "no ELF x86-64 file to sweep");

	report(argc, argv, all_mnem, top_files);

	int status = 0;
	double cov = pct(G.all.supp[PROF_USER], G.all.cand);
	fflush(stdout);
	if (min_cov >= 0 && cov < min_cov) {
		fprintf(stderr,
			"mmiotap-census: user-profile coverage %.3f%% is below %.3f%%\n",
			cov, min_cov);
		status = 2;
	}
	uint64_t nanom = X.bad_insns[PROF_USER] + X.bad_insns[PROF_KERNEL];
	if (nanom) {
		fprintf(stderr,
			"mmiotap-census: emulation anomalies on %" PRIu64 " user and %"
			PRIu64 " kernel runs of supported instructions (see "
			"\"Emulation check\")\n", X.bad_insns[PROF_USER],
			X.bad_insns[PROF_KERNEL]);
		status = 3;
	}
	if (G.all.core_err || G.all.core_nomem) {
		fprintf(stderr,
			"mmiotap-census: the core disagrees with the sweep on %" PRIu64
			" instructions (see \"Core disagreements\")\n",
			G.all.core_err + G.all.core_nomem);
		status = 3;
	}
	return status;
}
