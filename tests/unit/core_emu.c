/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * core_emu.c - unit tests of the core that the CPU oracle cannot do:
 * decoder statuses, the decode cache, effective addresses, the access
 * sequence (order, sizes, flags), forms this CPU lacks (MOVDIRI,
 * MOVDIR64B) against hand-written expectations, and fault semantics.
 */
#include "mmiotap/emu.h"
#include "test_mem.h"

static const struct mt_emu_ops ops = { .mem_read = rd, .mem_write = wr };

static int emu(const uint8_t *code, size_t len, struct mt_cpu *cpu)
{
	struct mt_decoded d;
	int rc = mt_decode(&d, code, len, cpu->rip);
	nlog = 0;
	if (rc)
		return rc;
	return mt_emulate(&d, cpu, &ops, NULL);
}

static void test_statuses(void)
{
	struct mt_decoded d;
	struct mt_cpu cpu = { .rip = 0x1000 };
	static const uint8_t trunc[] = { 0x48, 0x8b }; /* mov rax, [..  */
	static const uint8_t inval[] = { 0x06 };       /* push es: invalid in 64-bit */
	static const uint8_t badlock[] = { 0xf0, 0x8b, 0x00 }; /* lock mov */
	static const uint8_t fld[] = { 0xd9, 0x00 };   /* fld dword [rax] */
	static const uint8_t addrr[] = { 0x48, 0x01, 0xd8 }; /* add rax, rbx */
	static const uint8_t movsreg[] = { 0x8c, 0x18 }; /* mov [rax], ds */

	CHECK(mt_decode(&d, trunc, sizeof(trunc), 0) == MT_EMU_NEED_BYTES, "truncated -> NEED_BYTES");
	CHECK(mt_decode(&d, inval, sizeof(inval), 0) == MT_EMU_INVALID, "0x06 -> INVALID");
	CHECK(mt_decode(&d, badlock, sizeof(badlock), 0) == MT_EMU_INVALID, "lock mov -> INVALID");

	CHECK(mt_decode(&d, fld, sizeof(fld), 0) == 0, "fld decodes");
	CHECK(d.family == MT_FAM_OTHER && !mt_emu_supported(&d, &ops), "fld: other, unsupported");
	cpu.gpr[MT_RAX] = MEMBASE;
	CHECK(mt_emulate(&d, &cpu, &ops, NULL) == MT_EMU_UNSUPPORTED, "fld -> UNSUPPORTED");
	CHECK(cpu.rip == 0x1000, "unsupported leaves rip");

	CHECK(mt_decode(&d, addrr, sizeof(addrr), 0) == 0 && d.family == MT_FAM_NONE, "add r,r: none");
	CHECK(mt_emulate(&d, &cpu, &ops, NULL) == MT_EMU_NOMEM_OPERAND, "add r,r -> NOMEM_OPERAND");
	CHECK(mt_decode(&d, movsreg, sizeof(movsreg), 0) == 0 &&
	      mt_emulate(&d, &cpu, &ops, NULL) == MT_EMU_UNSUPPORTED, "mov m,sreg -> UNSUPPORTED");
	CHECK(!strcmp(mt_emu_strerror(MT_EMU_UNSUPPORTED), "unsupported"), "strerror");
	CHECK(!strcmp(mt_family_name(MT_FAM_STRING), "string"), "family name");
	CHECK(mt_emulate(NULL, &cpu, &ops, NULL) == MT_EMU_BADARG, "NULL -> BADARG");
}

static void test_dcache(void)
{
	static struct mt_decoded slots[8];
	struct mt_dcache c;
	const struct mt_decoded *d;
	uint8_t code[] = { 0x8b, 0x03, 0x90, 0x90 }; /* mov eax, [rbx] */
	int st = 1;

	CHECK(mt_dcache_init(&c, slots, 6) == MT_EMU_BADARG, "non power of two");
	CHECK(mt_dcache_init(&c, slots, 8) == 0, "init");
	CHECK(mt_dcache_lookup(&c, 0x4000, code, sizeof(code)) == NULL, "cold miss");
	d = mt_dcache_fill(&c, 0x4000, code, sizeof(code), &st);
	CHECK(d && st == 0 && d->len == 2 && d->family == MT_FAM_MOV, "fill");
	CHECK(mt_dcache_lookup(&c, 0x4000, code, sizeof(code)) == d, "hit");
	CHECK(mt_dcache_lookup(&c, 0x4000, code, 1) == NULL, "too few bytes: miss");
	code[1] = 0x0b; /* mov ecx, [rbx]: same rip, new bytes (code rewritten) */
	CHECK(mt_dcache_lookup(&c, 0x4000, code, sizeof(code)) == NULL, "changed bytes: miss");
	CHECK(mt_dcache_lookup(&c, 0x4001, code, sizeof(code)) == NULL, "other rip: miss");
	CHECK(c.hits == 1 && c.misses == 4, "counters %llu/%llu", (unsigned long long)c.hits,
	      (unsigned long long)c.misses);
	CHECK(mt_dcache_fill(&c, 0x5000, (const uint8_t[]){ 0x06 }, 1, &st) == NULL &&
	      st == MT_EMU_INVALID, "fill invalid");
}

static void test_addresses(void)
{
	struct mt_decoded d;
	struct mt_cpu cpu = { .rip = 0x400000, .fs_base = 0x7000000000ull, .gs_base = 0x10000 };
	uint64_t a = 0;
	/* mov eax, [rax+rbx*4+0x10] */
	static const uint8_t sib[] = { 0x8b, 0x44, 0x98, 0x10 };
	/* mov eax, [rip+0x100] */
	static const uint8_t riprel[] = { 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00 };
	/* mov eax, fs:[rax] */
	static const uint8_t fs[] = { 0x64, 0x8b, 0x00 };
	/* mov eax, gs:[rax-8] */
	static const uint8_t gs[] = { 0x65, 0x8b, 0x40, 0xf8 };
	/* mov eax, [eax+ebx*2-1] (addr32) */
	static const uint8_t a32[] = { 0x67, 0x8b, 0x44, 0x58, 0xff };
	/* mov eax, [0x1122334455667788] (moffs64) */
	static const uint8_t moffs[] = { 0xa1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 };

	cpu.gpr[MT_RAX] = 0x1000;
	cpu.gpr[MT_RBX] = 3;
	CHECK(!mt_decode(&d, sib, sizeof(sib), cpu.rip) && !mt_operand_address(&d, d.mem_op, &cpu, &a) &&
	      a == 0x1000 + 12 + 0x10, "sib %#llx", (unsigned long long)a);
	CHECK(!mt_decode(&d, riprel, sizeof(riprel), cpu.rip) &&
	      !mt_operand_address(&d, d.mem_op, &cpu, &a) && a == 0x400000 + 6 + 0x100,
	      "rip-relative %#llx", (unsigned long long)a);
	CHECK(!mt_decode(&d, fs, sizeof(fs), cpu.rip) && !mt_operand_address(&d, d.mem_op, &cpu, &a) &&
	      a == 0x7000001000ull, "fs %#llx", (unsigned long long)a);
	CHECK(!mt_decode(&d, gs, sizeof(gs), cpu.rip) && !mt_operand_address(&d, d.mem_op, &cpu, &a) &&
	      a == 0x10000 + 0x1000 - 8, "gs %#llx", (unsigned long long)a);
	cpu.gpr[MT_RAX] = 0xdeadbeef00000000ull; /* high half ignored, wraps at 4 GiB */
	cpu.gpr[MT_RBX] = 0xffffffff00000010ull;
	CHECK(!mt_decode(&d, a32, sizeof(a32), cpu.rip) && !mt_operand_address(&d, d.mem_op, &cpu, &a) &&
	      a == 0x1f, "addr32 %#llx", (unsigned long long)a);
	cpu.gpr[MT_RAX] = 0;
	cpu.gpr[MT_RBX] = 0;
	CHECK(!mt_decode(&d, a32, sizeof(a32), cpu.rip) && !mt_operand_address(&d, d.mem_op, &cpu, &a) &&
	      a == 0xffffffffull, "addr32 wrap %#llx", (unsigned long long)a);
	CHECK(!mt_decode(&d, moffs, sizeof(moffs), cpu.rip) &&
	      !mt_operand_address(&d, d.mem_op, &cpu, &a) && a == 0x1122334455667788ull,
	      "moffs %#llx", (unsigned long long)a);
}

static void test_sequences(void)
{
	struct mt_cpu cpu = { .rip = 0x2000 };
	uint32_t v;
	int rc;

	/* lock add [rax], ebx: one locked RMW read then write, same size */
	static const uint8_t lockadd[] = { 0xf0, 0x01, 0x18 };
	cpu.gpr[MT_RAX] = MEMBASE + 0x10;
	cpu.gpr[MT_RBX] = 5;
	memcpy(mem + 0x10, &(uint32_t){ 7 }, 4);
	rc = emu(lockadd, sizeof(lockadd), &cpu);
	memcpy(&v, mem + 0x10, 4);
	CHECK(rc == 0 && v == 12 && nlog == 2 && log_[0].dir == 'R' && log_[1].dir == 'W' &&
	      log_[0].size == 4 && log_[1].size == 4 &&
	      log_[0].flags == (MT_ACC_LOCKED | MT_ACC_RMW) && log_[1].flags == log_[0].flags &&
	      cpu.rip == 0x2003, "lock add: rc %d v %u nlog %u", rc, v, nlog);

	/* cmpxchg [rax], ecx failing: one read, no write, eax loaded */
	static const uint8_t cx[] = { 0x0f, 0xb1, 0x08 };
	cpu.rip = 0x2000;
	cpu.gpr[MT_RAX] = MEMBASE + 0x10; /* eax != memory */
	rc = emu(cx, sizeof(cx), &cpu);
	CHECK(rc == 0 && nlog == 1 && log_[0].dir == 'R' && cpu.gpr[MT_RAX] == 12 &&
	      !(cpu.rflags & 0x40), "cmpxchg fail: rc %d nlog %u rax %#llx", rc, nlog,
	      (unsigned long long)cpu.gpr[MT_RAX]);

	/* bt [rax], rcx with rcx = -1: the access moves to rax-8 (64-bit) */
	static const uint8_t bt[] = { 0x48, 0x0f, 0xa3, 0x08 };
	cpu.gpr[MT_RAX] = MEMBASE + 0x100;
	cpu.gpr[MT_RCX] = ~0ull;
	mem[0xff] = 0x80;
	rc = emu(bt, sizeof(bt), &cpu);
	CHECK(rc == 0 && nlog == 1 && log_[0].addr == MEMBASE + 0xf8 && log_[0].size == 8 &&
	      (cpu.rflags & 1), "bt negative offset: addr %#llx", (unsigned long long)log_[0].addr);

	/* cmovz eax, [rax] with ZF clear: reads anyway, clears rax[63:32] */
	static const uint8_t cmov[] = { 0x0f, 0x44, 0x00 };
	cpu.gpr[MT_RAX] = 0xabcd000000000000ull | (MEMBASE + 0x10);
	cpu.rflags = 0x202;
	rc = emu(cmov, sizeof(cmov), &cpu);
	CHECK(rc == MT_EMU_MEMFAULT, "cmov: address with high bits is outside memory");
	cpu.gpr[MT_RAX] = 0xffffffff00000000ull;
	cpu.gpr[MT_RBX] = MEMBASE + 0x10;
	static const uint8_t cmov2[] = { 0x0f, 0x44, 0x03 }; /* cmovz eax, [rbx] */
	rc = emu(cmov2, sizeof(cmov2), &cpu);
	CHECK(rc == 0 && nlog == 1 && cpu.gpr[MT_RAX] == 0, "cmov false: rax %#llx",
	      (unsigned long long)cpu.gpr[MT_RAX]);

	/* rep movsb, 3 elements, the 4th access (2nd write) fails: the
	 * CPU's state after one element, rip unchanged */
	static const uint8_t repmovsb[] = { 0xf3, 0xa4 };
	cpu.rip = 0x3000;
	cpu.rflags = 0x202;
	cpu.gpr[MT_RCX] = 3;
	cpu.gpr[MT_RSI] = MEMBASE + 0x200;
	cpu.gpr[MT_RDI] = MEMBASE + 0x300;
	fail_at = 3;
	{
		struct mt_decoded d;
		nlog = 0;
		rc = mt_decode(&d, repmovsb, sizeof(repmovsb), cpu.rip);
		if (!rc)
			rc = mt_emulate(&d, &cpu, &ops, NULL);
	}
	fail_at = ~0ull;
	CHECK(rc == MT_EMU_MEMFAULT && cpu.gpr[MT_RCX] == 2 && cpu.gpr[MT_RSI] == MEMBASE + 0x201 &&
	      cpu.gpr[MT_RDI] == MEMBASE + 0x301 && cpu.rip == 0x3000,
	      "rep movsb fault: rc %d rcx %llu", rc, (unsigned long long)cpu.gpr[MT_RCX]);
	rc = emu(repmovsb, sizeof(repmovsb), &cpu); /* resume */
	CHECK(rc == 0 && nlog == 4 && cpu.gpr[MT_RCX] == 0 && cpu.rip == 0x3002 &&
	      log_[0].flags == MT_ACC_STRING, "rep movsb resume: rc %d nlog %u", rc, nlog);
}

/* Bounded work per call: a long REP stops after MT_REP_CHUNK_DEFAULT
 * iterations (rep_max 0) with the CPU's interrupted state and RIP at the
 * instruction; running it again continues; ops.rep_max bounds it lower. */
static void test_rep_chunks(void)
{
	static const uint8_t repstosb[] = { 0xf3, 0xaa };
	struct mt_cpu cpu = { .rip = 0x4000, .rflags = 0x202 };
	struct mt_emu_ops small = ops;
	struct mt_decoded d;
	unsigned calls = 0;
	int rc;

	memset(mem, 0, sizeof(mem));
	cpu.gpr[MT_RAX] = 0x5a;
	cpu.gpr[MT_RCX] = 3000;
	cpu.gpr[MT_RDI] = MEMBASE;
	rc = mt_decode(&d, repstosb, sizeof(repstosb), cpu.rip);
	CHECK(rc == 0, "decode rep stosb");
	nlog = 0;
	rc = mt_emulate(&d, &cpu, &ops, NULL);
	CHECK(rc == 0 && mt_emu_rep_pending(&d, &cpu) && nlog == MT_REP_CHUNK_DEFAULT &&
	      cpu.gpr[MT_RCX] == 3000 - MT_REP_CHUNK_DEFAULT &&
	      cpu.gpr[MT_RDI] == MEMBASE + MT_REP_CHUNK_DEFAULT,
	      "rep stosb first chunk: rc %d nlog %u rcx %llu", rc, nlog,
	      (unsigned long long)cpu.gpr[MT_RCX]);
	for (calls = 1; rc == 0 && mt_emu_rep_pending(&d, &cpu) && calls < 10; calls++)
		rc = mt_emulate(&d, &cpu, &ops, NULL);
	CHECK(rc == 0 && calls == 3 && cpu.rip == 0x4002 && cpu.gpr[MT_RCX] == 0 &&
	      cpu.gpr[MT_RDI] == MEMBASE + 3000 && mem[2999] == 0x5a && mem[3000] == 0,
	      "rep stosb in chunks: %u calls, rcx %llu", calls, (unsigned long long)cpu.gpr[MT_RCX]);
	/* a backend's own bound */
	small.rep_max = 7;
	cpu.rip = 0x4000;
	cpu.gpr[MT_RCX] = 10;
	cpu.gpr[MT_RDI] = MEMBASE;
	nlog = 0;
	rc = mt_emulate(&d, &cpu, &small, NULL);
	CHECK(rc == 0 && nlog == 7 && cpu.gpr[MT_RCX] == 3 && cpu.rip == 0x4000,
	      "rep_max 7: nlog %u rcx %llu", nlog, (unsigned long long)cpu.gpr[MT_RCX]);
	rc = mt_emulate(&d, &cpu, &small, NULL);
	CHECK(rc == 0 && nlog == 10 && cpu.gpr[MT_RCX] == 0 && cpu.rip == 0x4002,
	      "rep_max 7, second call: nlog %u", nlog);
}

/* Forms this CPU lacks: hand-written expectations. */
static void test_movdir(void)
{
	struct mt_cpu cpu = { .rip = 0x5000 };
	uint64_t q;
	int rc, i, ok = 1;

	/* movdiri [rdi], eax */
	static const uint8_t movdiri32[] = { 0x0f, 0x38, 0xf9, 0x07 };
	/* movdiri [rdi+8], rax */
	static const uint8_t movdiri64[] = { 0x48, 0x0f, 0x38, 0xf9, 0x47, 0x08 };
	cpu.gpr[MT_RAX] = 0x1122334455667788ull;
	cpu.gpr[MT_RDI] = MEMBASE + 0x400;
	memset(mem + 0x400, 0xee, 32);
	rc = emu(movdiri32, sizeof(movdiri32), &cpu);
	memcpy(&q, mem + 0x400, 8);
	CHECK(rc == 0 && q == 0xeeeeeeee55667788ull && nlog == 1 && log_[0].dir == 'W' &&
	      log_[0].size == 4 && log_[0].flags == MT_ACC_NT && cpu.rip == 0x5004,
	      "movdiri32: rc %d %#llx", rc, (unsigned long long)q);
	rc = emu(movdiri64, sizeof(movdiri64), &cpu);
	memcpy(&q, mem + 0x408, 8);
	CHECK(rc == 0 && q == 0x1122334455667788ull && nlog == 1 && log_[0].size == 8 &&
	      log_[0].addr == MEMBASE + 0x408, "movdiri64: rc %d", rc);

	/* movdir64b rax, [rsi]: 64 bytes from [rsi] to [rax], one read, one NT write */
	static const uint8_t m64b[] = { 0x66, 0x0f, 0x38, 0xf8, 0x06 };
	/* movdir64b eax, [esi] (0x67): 32-bit addresses */
	static const uint8_t m64b32[] = { 0x67, 0x66, 0x0f, 0x38, 0xf8, 0x06 };
	for (i = 0; i < 64; i++)
		mem[0x500 + i] = (uint8_t)(i * 7 + 1);
	memset(mem + 0x600, 0, 128);
	cpu.rip = 0x5000;
	cpu.gpr[MT_RSI] = MEMBASE + 0x500;
	cpu.gpr[MT_RAX] = MEMBASE + 0x600;
	rc = emu(m64b, sizeof(m64b), &cpu);
	for (i = 0; i < 64; i++)
		ok &= mem[0x600 + i] == (uint8_t)(i * 7 + 1);
	CHECK(rc == 0 && ok && nlog == 2 && log_[0].dir == 'R' && log_[0].size == 64 &&
	      log_[0].addr == MEMBASE + 0x500 && log_[1].dir == 'W' && log_[1].size == 64 &&
	      log_[1].addr == MEMBASE + 0x600 && (log_[1].flags & MT_ACC_NT) && cpu.rip == 0x5005,
	      "movdir64b: rc %d ok %d nlog %u", rc, ok, nlog);
	cpu.gpr[MT_RSI] = 0xffff000000000000ull | (MEMBASE + 0x500);
	cpu.gpr[MT_RAX] = 0xffff000000000000ull | (MEMBASE + 0x640);
	rc = emu(m64b32, sizeof(m64b32), &cpu);
	CHECK(rc == 0 && nlog == 2 && log_[0].addr == MEMBASE + 0x500 &&
	      log_[1].addr == MEMBASE + 0x640 && mem[0x640] == 1,
	      "movdir64b addr32: rc %d read %#llx write %#llx", rc,
	      (unsigned long long)log_[0].addr, (unsigned long long)log_[1].addr);
}

/* ---- DIV/IDIV #DE, PUSH/POP m, displaced refusals ---- */

static unsigned ndisp;
static int fake_disp(void *o, struct mt_cpu *c, const struct mt_displaced *d)
{
	(void)o, (void)c, (void)d;
	ndisp++;
	return 0;
}

static void test_muldiv_stack(void)
{
	static const uint8_t div32[] = { 0xf7, 0x30 };        /* div dword [rax] */
	static const uint8_t idiv64[] = { 0x48, 0xf7, 0x38 }; /* idiv qword [rax] */
	static const uint8_t pushm[] = { 0xff, 0x30 };        /* push qword [rax] */
	static const uint8_t popm[] = { 0x8f, 0x44, 0x24, 0x08 }; /* pop qword [rsp+8] */
	struct mt_cpu cpu, before;
	uint64_t v;
	int rc;

	/* zero divisor: #DE status, one read, context unchanged */
	memset(&cpu, 0, sizeof(cpu));
	cpu.rip = 0x1000;
	cpu.gpr[MT_RAX] = MEMBASE + 0x100;
	cpu.gpr[MT_RDX] = 5;
	memset(mem + 0x100, 0, 8);
	before = cpu;
	rc = emu(div32, sizeof(div32), &cpu);
	CHECK(rc == MT_EMU_DIVIDE_ERROR, "div by 0 -> %s", mt_emu_strerror(rc));
	CHECK(nlog == 1 && log_[0].dir == 'R' && log_[0].size == 4, "div: one 4-byte read (%u)", nlog);
	CHECK(!memcmp(&cpu, &before, sizeof(cpu)), "div #DE: context unchanged");
	/* quotient overflow: EDX >= divisor */
	v = 5;
	memcpy(mem + 0x100, &v, 4);
	rc = emu(div32, sizeof(div32), &cpu);
	CHECK(rc == MT_EMU_DIVIDE_ERROR, "div overflow -> %s", mt_emu_strerror(rc));
	/* idiv64: x / -1 fits; (2^64 + x) / 2 does not */
	memset(&cpu, 0, sizeof(cpu));
	cpu.rip = 0x1000;
	cpu.gpr[MT_RAX] = MEMBASE + 0x200; /* base; also the dividend's low half */
	cpu.gpr[MT_RDX] = 0;
	v = (uint64_t)-1;
	memcpy(mem + 0x200, &v, 8);
	rc = emu(idiv64, sizeof(idiv64), &cpu);
	CHECK(rc == 0 && cpu.gpr[MT_RAX] == (uint64_t)-(int64_t)(MEMBASE + 0x200) && cpu.gpr[MT_RDX] == 0,
	      "idiv64 x/-1 -> %s rax %#llx", mt_emu_strerror(rc), (unsigned long long)cpu.gpr[MT_RAX]);
	v = 2;
	memcpy(mem + 0x200, &v, 8);
	cpu.gpr[MT_RAX] = MEMBASE + 0x200;
	cpu.gpr[MT_RDX] = 1; /* 2^64 + x over 2: 2^63 + x/2 does not fit */
	rc = emu(idiv64, sizeof(idiv64), &cpu);
	CHECK(rc == MT_EMU_DIVIDE_ERROR, "idiv64 overflow -> %s", mt_emu_strerror(rc));

	/* PUSH m: read the operand, then write the stack; POP m: read the
	 * stack, then write [rsp+8] computed with the incremented RSP */
	memset(&cpu, 0, sizeof(cpu));
	cpu.rip = 0x1000;
	cpu.gpr[MT_RAX] = MEMBASE + 0x300;
	cpu.gpr[MT_RSP] = MEMBASE + 0x800;
	v = 0x1122334455667788ull;
	memcpy(mem + 0x300, &v, 8);
	rc = emu(pushm, sizeof(pushm), &cpu);
	CHECK(rc == 0 && nlog == 2 && log_[0].dir == 'R' && log_[0].addr == MEMBASE + 0x300 &&
	      log_[1].dir == 'W' && log_[1].addr == MEMBASE + 0x7f8 && cpu.gpr[MT_RSP] == MEMBASE + 0x7f8,
	      "push m: %s, %u accesses", mt_emu_strerror(rc), nlog);
	{	/* JMP m64 / CALL m64: target read from memory */
		static const uint8_t jmpm[] = { 0xff, 0x60, 0x10 };  /* jmp [rax+0x10] */
		static const uint8_t callm[] = { 0xff, 0x50, 0x10 }; /* call [rax+0x10] */
		uint64_t t = 0xdeadbeef00ull, ret = 0;
		struct mt_cpu c2 = cpu;
		memcpy(mem + 0x310, &t, 8);
		rc = emu(jmpm, sizeof(jmpm), &c2);
		CHECK(rc == 0 && c2.rip == t && nlog == 1 && log_[0].addr == MEMBASE + 0x310 &&
		      c2.gpr[MT_RSP] == cpu.gpr[MT_RSP], "jmp m64: %s rip %#llx", mt_emu_strerror(rc),
		      (unsigned long long)c2.rip);
		c2 = cpu;
		rc = emu(callm, sizeof(callm), &c2);
		memcpy(&ret, mem + (cpu.gpr[MT_RSP] - 8 - MEMBASE), 8);
		CHECK(rc == 0 && c2.rip == t && nlog == 2 && log_[1].dir == 'W' &&
		      c2.gpr[MT_RSP] == cpu.gpr[MT_RSP] - 8 && ret == cpu.rip + sizeof(callm),
		      "call m64: %s rip %#llx ret %#llx", mt_emu_strerror(rc), (unsigned long long)c2.rip,
		      (unsigned long long)ret);
	}
	rc = emu(popm, sizeof(popm), &cpu);
	CHECK(rc == 0 && nlog == 2 && log_[0].dir == 'R' && log_[0].addr == MEMBASE + 0x7f8 &&
	      log_[1].dir == 'W' && log_[1].addr == MEMBASE + 0x808 && cpu.gpr[MT_RSP] == MEMBASE + 0x800 &&
	      !memcmp(mem + 0x808, &v, 8), "pop [rsp+8]: %s, %u accesses", mt_emu_strerror(rc), nlog);
}

static void test_displaced_refusals(void)
{
	static const struct mt_emu_ops dops = { .mem_read = rd, .mem_write = wr,
						.exec_displaced = fake_disp };
	static const uint8_t ldmxcsr[] = { 0x0f, 0xae, 0x10 };    /* ldmxcsr [rax] */
	static const uint8_t paddd[] = { 0x66, 0x0f, 0xfe, 0x00 }; /* paddd xmm0, [rax] */
	static const uint8_t vpaddd[] = { 0xc5, 0xf9, 0xfe, 0x00 }; /* vpaddd xmm0, xmm0, [rax] */
	static const uint8_t ud1[] = { 0x0f, 0xb9, 0x00 };
	static const uint8_t clflush[] = { 0x0f, 0xae, 0x38 };
	struct mt_decoded d;
	struct mt_cpu cpu;
	uint32_t mx;
	int rc;

	memset(&cpu, 0, sizeof(cpu));
	cpu.rip = 0x1000;
	cpu.gpr[MT_RAX] = MEMBASE + 0x400;
	/* LDMXCSR with a reserved bit: the CPU raises #GP; never run it */
	mx = 0x11f80;
	memcpy(mem + 0x400, &mx, 4);
	ndisp = 0;
	CHECK(mt_decode(&d, ldmxcsr, sizeof(ldmxcsr), cpu.rip) == 0, "decode ldmxcsr");
	rc = mt_emulate(&d, &cpu, &dops, NULL);
	CHECK(rc == MT_EMU_UNSUPPORTED && ndisp == 0, "ldmxcsr reserved bits: %s, %u runs", mt_emu_strerror(rc), ndisp);
	mx = 0x1f80;
	memcpy(mem + 0x400, &mx, 4);
	rc = mt_emulate(&d, &cpu, &dops, NULL);
	CHECK(rc == 0 && ndisp == 1, "ldmxcsr valid: %s, %u runs", mt_emu_strerror(rc), ndisp);
	/* legacy SSE m128 misaligned: #GP on the CPU, unsupported here, no access;
	 * aligned runs; the VEX form has no alignment rule */
	cpu.gpr[MT_RAX] = MEMBASE + 0x408;
	ndisp = 0;
	nlog = 0;
	mt_decode(&d, paddd, sizeof(paddd), cpu.rip);
	rc = mt_emulate(&d, &cpu, &dops, NULL);
	CHECK(rc == MT_EMU_UNSUPPORTED && ndisp == 0 && nlog == 0, "paddd misaligned: %s", mt_emu_strerror(rc));
	cpu.gpr[MT_RAX] = MEMBASE + 0x410;
	rc = mt_emulate(&d, &cpu, &dops, NULL);
	CHECK(rc == 0 && ndisp == 1, "paddd aligned: %s", mt_emu_strerror(rc));
	cpu.gpr[MT_RAX] = MEMBASE + 0x408;
	mt_decode(&d, vpaddd, sizeof(vpaddd), cpu.rip);
	rc = mt_emulate(&d, &cpu, &dops, NULL);
	CHECK(rc == 0 && ndisp == 2, "vpaddd misaligned: %s", mt_emu_strerror(rc));
	/* never displaced: #UD, cache-line operations */
	mt_decode(&d, ud1, sizeof(ud1), 0);
	CHECK(!mt_emu_supported(&d, &dops), "ud1 unsupported");
	mt_decode(&d, clflush, sizeof(clflush), 0);
	CHECK(!mt_emu_supported(&d, &dops), "clflush unsupported");
}

/* ---- ops flags, aligned moves, gathers, operand-sized x87 accesses ---- */

static uint8_t vregs[32][64];
static int vget(void *o, unsigned i, void *b, unsigned n)
{
	(void)o;
	memcpy(b, vregs[i & 31], n);
	return 0;
}
static int vset(void *o, unsigned i, const void *b, unsigned n)
{
	(void)o;
	memcpy(vregs[i & 31], b, n);
	return 0;
}

static void test_contract(void)
{
	static const struct mt_emu_ops nostack = { .mem_read = rd, .mem_write = wr,
						   .flags = MT_OPS_NO_STACK };
	static const struct mt_emu_ops vops = { .mem_read = rd, .mem_write = wr,
						.vec_get = vget, .vec_set = vset,
						.exec_displaced = fake_disp };
	static const struct { const char *name; uint8_t b[4]; unsigned n; } stackf[] = {
		{ "push m", { 0xff, 0x30 }, 2 },  /* push qword [rax] */
		{ "pop m", { 0x8f, 0x00 }, 2 },   /* pop qword [rax] */
		{ "call m", { 0xff, 0x10 }, 2 },  /* call [rax] */
	};
	static const uint8_t jmpm[] = { 0xff, 0x20 };             /* jmp [rax] */
	static const uint8_t movdqa[] = { 0x66, 0x0f, 0x6f, 0x00 }; /* movdqa xmm0, [rax] */
	static const uint8_t vmovdqa[] = { 0xc5, 0xfd, 0x7f, 0x00 }; /* vmovdqa [rax], ymm0 */
	static const uint8_t movdqu[] = { 0xf3, 0x0f, 0x6f, 0x00 }; /* movdqu xmm0, [rax] */
	static const uint8_t gather[] = { 0xc4, 0xe2, 0x5d, 0x90, 0x04, 0x96 }; /* vpgatherdd */
	static const uint8_t fnstenv[] = { 0xd9, 0x30 };          /* fnstenv [rax] (m28) */
	static const uint8_t fldenv16[] = { 0x66, 0xd9, 0x20 };   /* fldenv [rax] (m14) */
	struct mt_decoded d;
	struct mt_cpu cpu, before;
	int rc;

	memset(&cpu, 0, sizeof(cpu));
	cpu.rip = 0x1000;
	cpu.gpr[MT_RAX] = MEMBASE + 0x500;
	cpu.gpr[MT_RSP] = MEMBASE + 0x800;
	/* MT_OPS_NO_STACK: stack forms refused before any access */
	for (unsigned i = 0; i < sizeof(stackf) / sizeof(stackf[0]); i++) {
		CHECK(mt_decode(&d, stackf[i].b, stackf[i].n, cpu.rip) == 0, "decode %s", stackf[i].name);
		CHECK(mt_emu_supported(&d, &ops) && !mt_emu_supported(&d, &nostack),
		      "%s: supported without MT_OPS_NO_STACK only", stackf[i].name);
		before = cpu;
		nlog = 0;
		rc = mt_emulate(&d, &cpu, &nostack, NULL);
		CHECK(rc == MT_EMU_UNSUPPORTED && nlog == 0 && !memcmp(&cpu, &before, sizeof(cpu)),
		      "%s with MT_OPS_NO_STACK: %s, %u accesses", stackf[i].name, mt_emu_strerror(rc), nlog);
	}
	mt_decode(&d, jmpm, sizeof(jmpm), cpu.rip);
	CHECK(mt_emu_supported(&d, &nostack), "jmp m64 needs no stack");

	/* aligned moves: misaligned -> UNSUPPORTED (the CPU raises #GP), no access */
	cpu.gpr[MT_RAX] = MEMBASE + 0x508;
	mt_decode(&d, movdqa, sizeof(movdqa), cpu.rip);
	nlog = 0;
	rc = mt_emulate(&d, &cpu, &vops, NULL);
	CHECK(rc == MT_EMU_UNSUPPORTED && nlog == 0, "movdqa misaligned: %s", mt_emu_strerror(rc));
	cpu.rip = 0x1000;
	mt_decode(&d, movdqu, sizeof(movdqu), cpu.rip);
	nlog = 0;
	CHECK(mt_emulate(&d, &cpu, &vops, NULL) == 0 && nlog == 1 && log_[0].size == 16,
	      "movdqu misaligned: emulated");
	cpu.rip = 0x1000;
	cpu.gpr[MT_RAX] = MEMBASE + 0x510; /* 16- but not 32-aligned */
	mt_decode(&d, vmovdqa, sizeof(vmovdqa), cpu.rip);
	nlog = 0;
	CHECK(mt_emulate(&d, &cpu, &vops, NULL) == MT_EMU_UNSUPPORTED && nlog == 0,
	      "vmovdqa m256 on a 16-byte boundary: unsupported");
	cpu.gpr[MT_RAX] = MEMBASE + 0x520;
	rc = mt_emulate(&d, &cpu, &vops, NULL);
	CHECK(rc == 0 && nlog == 1 && log_[0].dir == 'W' && log_[0].size == 32,
	      "vmovdqa aligned: %s", mt_emu_strerror(rc));

	/* gathers: a memory family of their own, supported with the vector
	 * callbacks (tests/unit/core_gather.c), refused without them */
	CHECK(mt_decode(&d, gather, sizeof(gather), 0) == 0 && d.family == MT_FAM_GATHER &&
	      mt_emu_supported(&d, &vops) && !mt_emu_supported(&d, &ops) &&
	      !strcmp(mt_family_name(MT_FAM_GATHER), "gather"),
	      "vpgatherdd: family %s", mt_family_name((enum mt_family)d.family));
	CHECK(mt_emulate(&d, &cpu, &ops, NULL) == MT_EMU_UNSUPPORTED,
	      "vpgatherdd without vec_get/vec_set -> UNSUPPORTED");

	/* x87 environment: one access of the operand's size, 28 or 14 bytes */
	cpu.rip = 0x1000;
	cpu.gpr[MT_RAX] = MEMBASE + 0x600;
	mt_decode(&d, fnstenv, sizeof(fnstenv), cpu.rip);
	nlog = 0;
	rc = mt_emulate(&d, &cpu, &vops, NULL);
	CHECK(rc == 0 && nlog == 1 && log_[0].dir == 'W' && log_[0].size == 28,
	      "fnstenv: %s, %u accesses, size %u", mt_emu_strerror(rc), nlog, nlog ? log_[0].size : 0);
	cpu.rip = 0x1000;
	mt_decode(&d, fldenv16, sizeof(fldenv16), cpu.rip);
	nlog = 0;
	rc = mt_emulate(&d, &cpu, &vops, NULL);
	CHECK(rc == 0 && nlog == 1 && log_[0].dir == 'R' && log_[0].size == 14,
	      "fldenv m14: %s, %u accesses, size %u", mt_emu_strerror(rc), nlog, nlog ? log_[0].size : 0);
}

/* Plain moves are described for backends' fast paths (struct mt_plain):
 * the forms driver code uses are, the others are not, and the helpers
 * work on a register file laid out unlike struct mt_cpu. */
static void test_plain(void)
{
	static const struct { const char *what; uint8_t code[12]; size_t len; int kind; } f[] = {
		{ "mov eax,[rdi]", { 0x8b, 0x07 }, 2, MT_PLAIN_LOAD },
		{ "mov [rdx+0x10],ecx", { 0x89, 0x4a, 0x10 }, 3, MT_PLAIN_STORE },
		{ "movzx eax,word [rsi+rcx*2]", { 0x0f, 0xb7, 0x04, 0x4e }, 4, MT_PLAIN_LOAD },
		{ "mov qword [rdi],-1", { 0x48, 0xc7, 0x07, 0xff, 0xff, 0xff, 0xff }, 7, MT_PLAIN_STORE },
		{ "mov ah,[rbx]", { 0x8a, 0x23 }, 2, MT_PLAIN_LOAD },
		{ "mov eax,fs:[rdi]", { 0x64, 0x8b, 0x07 }, 3, MT_PLAIN_NONE },
		{ "mov eax,[edi]", { 0x67, 0x8b, 0x07 }, 3, MT_PLAIN_NONE },
		{ "add eax,[rdi]", { 0x03, 0x07 }, 2, MT_PLAIN_NONE },
		{ "movbe eax,[rdi]", { 0x0f, 0x38, 0xf0, 0x07 }, 4, MT_PLAIN_NONE },
		{ "mov es,[rdi]", { 0x8e, 0x07 }, 2, MT_PLAIN_NONE },
	};
	/* A pt_regs-like file: registers in a scrambled order. */
	static const uint16_t off[MT_NGPR] = { 80, 88, 96, 40, 152, 32, 104, 112,
					       72, 64, 56, 48, 24, 16, 8, 0 };
	uint64_t regs[20];
	struct mt_decoded d;
	unsigned i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		CHECK(mt_decode(&d, f[i].code, f[i].len, 0x1000) == 0, "%s: decodes", f[i].what);
		CHECK(d.plain.kind == f[i].kind, "%s: plain kind %d, want %d", f[i].what,
		      d.plain.kind, f[i].kind);
	}
	/* movzx eax,word [rsi+rcx*2]: rsi, rcx through off[]; eax zero-extends. */
	mt_decode(&d, f[2].code, f[2].len, 0x1000);
	memset(regs, 0, sizeof(regs));
	regs[off[MT_RSI] / 8] = 0x5000;
	regs[off[MT_RCX] / 8] = 3;
	regs[off[MT_RAX] / 8] = ~0ull;
	CHECK(mt_plain_addr(&d, regs, off) == 0x5006, "movzx address %#llx",
	      (unsigned long long)mt_plain_addr(&d, regs, off));
	mt_plain_load(&d, regs, off, 0xdeadbeef);
	CHECK(regs[off[MT_RAX] / 8] == 0xbeef, "movzx result %#llx", (unsigned long long)regs[0]);
	/* mov ah,[rbx]: merges into bits 15:8 only. */
	mt_decode(&d, f[4].code, f[4].len, 0x1000);
	regs[off[MT_RAX] / 8] = 0x1111111111111111ull;
	mt_plain_load(&d, regs, off, 0xab);
	CHECK(regs[off[MT_RAX] / 8] == 0x111111111111ab11ull, "mov ah result %#llx",
	      (unsigned long long)regs[off[MT_RAX] / 8]);
	/* mov qword [rdi],-1: the immediate is sign-extended. */
	mt_decode(&d, f[3].code, f[3].len, 0x1000);
	CHECK(mt_plain_store_value(&d, regs, off) == ~0ull && d.plain.size == 8,
	      "mov m64,imm32 value");
}

int main(void)
{
	test_statuses();
	test_dcache();
	test_addresses();
	test_sequences();
	test_movdir();
	test_muldiv_stack();
	test_displaced_refusals();
	test_contract();
	test_plain();
	test_rep_chunks();
	if (failures) {
		printf("%d check(s) failed\n", failures);
		return 1;
	}
	printf("core_emu: all checks passed\n");
	return 0;
}
