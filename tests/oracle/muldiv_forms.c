/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * muldiv_forms.c - MUL IMUL DIV IDIV m (rDX:rAX), XLAT, PUSH m, POP m.
 *
 * DIV/IDIV: most cases get inputs that do not fault; one in eight is left
 * to chance or made to fault (zero divisor, quotient overflow): the CPU
 * then raises #DE (SIGFPE, caught by the driver) and the emulation must
 * return MT_EMU_DIVIDE_ERROR with the context untouched (oracle.c).
 * PUSH/POP run natively on a stack inside the data buffer (MT_XSTATE_RSP),
 * so the stack bytes and RSP are compared too.
 */
#include "oracle.h"

#include <string.h>

#define M { OK_M, 0 }

static uint64_t sext_(uint64_t v, unsigned n)
{
	unsigned sh = 64 - 8 * n;
	return n >= 8 ? v : (uint64_t)((int64_t)(v << sh) >> sh);
}

static uint64_t msk(unsigned n)
{
	return n >= 8 ? ~0ull : (1ull << (8 * n)) - 1;
}

/* Set the dividend's high half (AH, DX, EDX or RDX) keeping other bits. */
static void set_hi(struct or_case *c, unsigned n, uint64_t hi)
{
	if (n == 1)
		c->st.gpr[0] = (c->st.gpr[0] & ~0xff00ull) | ((hi & 0xff) << 8);
	else
		c->st.gpr[2] = (c->st.gpr[2] & ~msk(n)) | (hi & msk(n));
}

static void div_fix(struct or_ctx *x, const struct or_form *f, struct or_case *c)
{
	unsigned n = c->width;
	uint8_t *mp = x->buf + (c->memaddr - x->bufaddr);
	uint64_t d = 0, lo;
	int sgn = f->arg != 0;

	memcpy(&d, mp, n);
	switch (or_range(x, 16)) {
	case 0: /* zero divisor: #DE */
		memset(mp, 0, n);
		return;
	case 1: /* leave the random dividend: usually #DE */
		return;
	case 2: /* the signed overflow case: MIN / -1 */
		if (sgn) {
			memset(mp, 0xff, n);
			lo = 1ull << (8 * n - 1);
			if (n == 1)
				c->st.gpr[0] = (c->st.gpr[0] & ~0xffffull) | 0xff80;
			else {
				c->st.gpr[0] = (c->st.gpr[0] & ~msk(n)) | lo;
				set_hi(c, n, ~0ull);
			}
			return;
		}
		break;
	default:
		break;
	}
	if ((d & msk(n)) == 0) {
		d = 1 + or_range(x, 200);
		memcpy(mp, &d, n);
	}
	d &= msk(n);
	if (!sgn) {
		set_hi(c, n, or_rand(x) % d); /* hi < divisor */
		return;
	}
	/* signed: dividend = sign extension of the low half, never MIN/-1 */
	lo = n == 1 ? c->st.gpr[0] & 0xff : c->st.gpr[0] & msk(n);
	if (lo == (1ull << (8 * n - 1)) && d == msk(n))
		lo ^= 1, c->st.gpr[0] ^= 1;
	set_hi(c, n, (sext_(lo, n) >> 63) ? ~0ull : 0);
}

/* A stack inside the buffer, well away from the memory operand. */
static void stack_fix(struct or_ctx *x, const struct or_form *f, struct or_case *c)
{
	(void)f;
	c->st.xflags |= MT_XSTATE_RSP;
	c->st.gpr[4] = x->bufaddr + x->bufsize / 2 + 1536 + 8 * or_range(x, 64);
}

static void xlat_fix(struct or_ctx *x, const struct or_form *f, struct or_case *c)
{
	(void)f;
	/* rbx (or ebx) + al inside the buffer */
	c->st.gpr[3] = or_target(x, 256) - 128;
}

static int gen_xlat(struct or_ctx *x, const struct or_form *f, struct or_case *c)
{
	unsigned n = 0;
	(void)f;
	if (or_range(x, 4) == 0) { /* FS/GS override */
		c->code[n++] = or_range(x, 2) ? 0x64 : 0x65;
	}
	c->code[n++] = 0xd7;
	c->len = n;
	xlat_fix(x, f, c);
	if (n == 2) /* segment base added by the CPU */
		c->st.gpr[3] -= c->code[0] == 0x64 ? x->fs_base : x->gs_base;
	c->memaddr = c->st.gpr[3];
	return 0;
}

#define MD(nm, mn, fix, sgn) { nm, "alu", ZYDIS_MNEMONIC_##mn, 1, { M }, WINT, 0, 0x5 /* rax rdx: set by div_fix */, NULL, fix, NULL, NULL, sgn }

static const struct or_form muldiv_forms[] = {
	MD("mul m", MUL, NULL, 0),
	MD("imul m", IMUL, NULL, 0),
	MD("div m", DIV, div_fix, 0),
	MD("idiv m", IDIV, div_fix, 1),
	{ "xlat", "mov", 0, 0, { M }, 0, 0, 0, gen_xlat, NULL, NULL, NULL, 0 },
	{ "push m", "mov", ZYDIS_MNEMONIC_PUSH, 1, { M }, W2 | W8, 0, 0, NULL, stack_fix, NULL, NULL, 0 },
	{ "pop m", "mov", ZYDIS_MNEMONIC_POP, 1, { M }, W2 | W8, 0, 0, NULL, stack_fix, NULL, NULL, 0 },
};
ORACLE_FORMS(muldiv_forms)
