// SPDX-License-Identifier: GPL-2.0
/*
 * mt_decode.c - Zydis inside the module: per-CPU decoder state (the decoded
 * instruction and operand arrays are far too big for the kernel stack).
 */
#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <Zydis/Zydis.h>
#include "mt_kmod.h"

struct mt_zydis_scratch {
	ZydisDecodedInstruction insn;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
};
static DEFINE_PER_CPU(struct mt_zydis_scratch, mt_zscratch);

/* Decode `mov 0x10(%rdi),%eax` once at load: proves the tables made it. */
int mtk_decoder_selftest(void)
{
	static const u8 code[] = { 0x8b, 0x47, 0x10 };
	ZydisDecoder dec;
	struct mt_zydis_scratch *s;
	ZyanStatus st;
	int ret = 0;

	if (ZYAN_FAILED(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64,
					 ZYDIS_STACK_WIDTH_64)))
		return -EINVAL;
	s = get_cpu_ptr(&mt_zscratch);
	st = ZydisDecoderDecodeFull(&dec, code, sizeof(code), &s->insn, s->ops);
	if (ZYAN_FAILED(st) || s->insn.mnemonic != ZYDIS_MNEMONIC_MOV ||
	    s->insn.length != 3 || s->ops[1].type != ZYDIS_OPERAND_TYPE_MEMORY ||
	    s->ops[1].mem.disp.value != 0x10)
		ret = -EINVAL;
	put_cpu_ptr(&mt_zscratch);
	if (ret)
		pr_err("mmiotap: built-in Zydis decoder self-test failed\n");
	return ret;
}
