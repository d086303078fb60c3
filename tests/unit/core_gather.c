/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * core_gather.c - gathers and scatters (VSIB operands) against hand-written
 * expectations, on any CPU (tests/oracle/vec_oracle.c compares every form
 * with the CPU, but needs AVX-512): the access sequence (one access per
 * selected element, in element order, MT_ACC_PARTIAL), negative and
 * repeated indices, overlapping scatter elements, completion (mask
 * cleared, destination zeroed above the elements), a memory fault on
 * element k (elements below k done, their mask elements cleared, nothing
 * else; an EVEX destination zeroed above VL once written), 32-bit address
 * wrap, FS base, the forms the CPU rejects (#UD), and which backends
 * (callbacks) can run them.
 */
#include "mmiotap/emu.h"
#include "test_mem.h"

/* Registers in arrays (memory and log: test_mem.h). */
static uint8_t vr[32][64];
static uint64_t kr[8];

static int vget(void *o, unsigned i, void *b, unsigned n)
{
	(void)o;
	if (i >= 32 || n > 64)
		return -22;
	memcpy(b, vr[i], n);
	return 0;
}

static int vset(void *o, unsigned i, const void *b, unsigned n)
{
	(void)o;
	if (i >= 32 || n > 64)
		return -22;
	memcpy(vr[i], b, n);
	return 0;
}

static int kget(void *o, unsigned i, uint64_t *v)
{
	(void)o;
	if (i >= 8)
		return -22;
	*v = kr[i];
	return 0;
}

static int kset(void *o, unsigned i, uint64_t v)
{
	(void)o;
	if (i >= 8)
		return -22;
	kr[i] = v;
	return 0;
}

static const struct mt_emu_ops ops = {
	.mem_read = rd, .mem_write = wr, .vec_get = vget, .vec_set = vset,
	.kmask_get = kget, .kmask_set = kset,
};

static uint32_t d32(unsigned r, unsigned j) { uint32_t v; memcpy(&v, &vr[r][4 * j], 4); return v; }
static uint64_t q64(unsigned r, unsigned j) { uint64_t v; memcpy(&v, &vr[r][8 * j], 8); return v; }
static void set_d32(unsigned r, unsigned j, uint32_t v) { memcpy(&vr[r][4 * j], &v, 4); }
static void set_q64(unsigned r, unsigned j, uint64_t v) { memcpy(&vr[r][8 * j], &v, 8); }
static uint32_t m32(uint64_t a) { uint32_t v; memcpy(&v, mem + (a - MEMBASE), 4); return v; }

static void reset(void)
{
	for (unsigned i = 0; i < sizeof(mem); i += 4) {
		uint32_t v = 0xa0000000u + i;
		memcpy(mem + i, &v, 4);
	}
	for (unsigned r = 0; r < 32; r++)
		memset(vr[r], 0x11 * (r % 15 + 1), 64);
	for (unsigned i = 0; i < 8; i++)
		kr[i] = 0xfedcba9876543210ull;
	nlog = 0;
	fail_addr = ~0ull;
}

static int run(const uint8_t *code, size_t len, struct mt_cpu *cpu, struct mt_decoded *d)
{
	int rc = mt_decode(d, code, len, cpu->rip);
	if (rc)
		return rc;
	return mt_emulate(d, cpu, &ops, NULL);
}

/* vpgatherdd ymm0, [rax + ymm1*4 + 8], ymm2 (AVX2) */
static const uint8_t vpgatherdd_y[] = { 0xc4, 0xe2, 0x6d, 0x90, 0x44, 0x88, 0x08 };

static void test_avx2(void)
{
	struct mt_decoded d;
	struct mt_cpu cpu = { .rip = 0x1000 };
	/* element indices: negative, repeated */
	static const int32_t ix[8] = { 0, -2, 5, 5, 7, 100, -1, 3 };
	/* selected: MSB of each mask dword; element 1 and 5 not selected
	 * (low bits set but MSB clear) */
	static const uint32_t mk[8] = { 0x80000000, 0x1234, 0xffffffff, 0x80000001,
					0x80000000, 0x7fffffff, 0x80000000, 0x80000000 };
	int rc;

	reset();
	cpu.gpr[MT_RAX] = MEMBASE + 0x200;
	for (unsigned j = 0; j < 8; j++) {
		set_d32(1, j, (uint32_t)ix[j]);
		set_d32(2, j, mk[j]);
	}
	rc = run(vpgatherdd_y, sizeof(vpgatherdd_y), &cpu, &d);
	CHECK(rc == 0 && d.family == MT_FAM_GATHER, "vpgatherdd ymm: %s", mt_emu_strerror(rc));
	CHECK(cpu.rip == 0x1000 + sizeof(vpgatherdd_y), "rip advanced");
	CHECK(nlog == 6, "6 selected elements, %u accesses", nlog);
	for (unsigned j = 0, a = 0; j < 8; j++) {
		uint64_t addr = MEMBASE + 0x200 + 8 + (int64_t)ix[j] * 4;
		if (!(mk[j] >> 31)) {
			CHECK(d32(0, j) == 0x11111111, "element %u kept", j);
			continue;
		}
		CHECK(a < nlog && log_[a].dir == 'R' && log_[a].addr == addr && log_[a].size == 4 &&
		      log_[a].flags == MT_ACC_PARTIAL, "access %u: element %u at %#llx", a, j,
		      (unsigned long long)addr);
		CHECK(d32(0, j) == m32(addr), "element %u gathered", j);
		a++;
	}
	for (unsigned b = 32; b < 64; b++)
		CHECK(vr[0][b] == 0, "destination byte %u zeroed (VEX)", b);
	for (unsigned b = 0; b < 64; b++)
		CHECK(vr[2][b] == 0, "mask byte %u zeroed", b);
	CHECK(vr[1][0] == 0 && vr[1][40] == 0x22, "index register untouched");

	/* memory fault on element 4: elements 0-3 done and their mask
	 * elements cleared (1 too, unselected), 4-7 untouched, nothing
	 * zeroed above the vector length */
	reset();
	cpu.rip = 0x1000;
	for (unsigned j = 0; j < 8; j++) {
		set_d32(1, j, (uint32_t)ix[j]);
		set_d32(2, j, mk[j]);
	}
	fail_addr = MEMBASE + 0x200 + 8 + 7 * 4;
	rc = run(vpgatherdd_y, sizeof(vpgatherdd_y), &cpu, &d);
	CHECK(rc == MT_EMU_MEMFAULT && cpu.rip == 0x1000, "fault on element 4: %s",
	      mt_emu_strerror(rc));
	CHECK(nlog == 3, "elements 0, 2, 3 read: %u", nlog);
	CHECK(d32(0, 0) == m32(MEMBASE + 0x208) && d32(0, 1) == 0x11111111 &&
	      d32(0, 2) == m32(MEMBASE + 0x208 + 20) && d32(0, 3) == d32(0, 2) &&
	      d32(0, 4) == 0x11111111 && d32(0, 7) == 0x11111111, "destination at the fault");
	CHECK(d32(2, 0) == 0 && d32(2, 1) == 0 && d32(2, 2) == 0 && d32(2, 3) == 0 &&
	      d32(2, 4) == mk[4] && d32(2, 5) == mk[5] && d32(2, 7) == mk[7],
	      "mask at the fault: %08x %08x %08x", d32(2, 3), d32(2, 4), d32(2, 5));
	CHECK(vr[0][32] == 0x11 && vr[2][63] == 0x33, "nothing zeroed above VL at the fault");
	/* restarting (the page now accessible) finishes the rest only */
	fail_addr = ~0ull;
	nlog = 0;
	rc = mt_emulate(&d, &cpu, &ops, NULL);
	CHECK(rc == 0 && nlog == 3 && log_[0].addr == MEMBASE + 0x208 + 28, "restart: %s, %u accesses",
	      mt_emu_strerror(rc), nlog);
	CHECK(d32(2, 7) == 0 && vr[0][32] == 0, "restart completes");
}

static void test_avx2_shapes(void)
{
	struct mt_decoded d;
	struct mt_cpu cpu = { .rip = 0x1000 };
	/* vpgatherqd xmm0, [rax + xmm1*8], xmm2: 2 elements; bits 64-127
	 * of the destination zeroed; the 32-bit address wraps with 0x67:
	 * vpgatherqd xmm0, [eax + xmm1*8], xmm2 */
	static const uint8_t qd[] = { 0x67, 0xc4, 0xe2, 0x69, 0x91, 0x04, 0xc8 };
	int rc;

	reset();
	cpu.gpr[MT_RAX] = 0xdeadbeef00000000ull | 0xfffffff0u; /* eax = -16 */
	set_q64(1, 0, (MEMBASE + 0x40) / 8 + 2);   /* -16 + MEMBASE+0x40+16: wraps */
	set_q64(1, 1, (uint64_t)-1);               /* not selected */
	set_d32(2, 0, 0x80000000);
	set_d32(2, 1, 0);
	rc = run(qd, sizeof(qd), &cpu, &d);
	CHECK(rc == 0 && nlog == 1 && log_[0].addr == MEMBASE + 0x40, "qd a32: %s, %u, %#llx",
	      mt_emu_strerror(rc), nlog, (unsigned long long)log_[0].addr);
	CHECK(d32(0, 0) == m32(MEMBASE + 0x40) && d32(0, 1) == 0x11111111 && d32(0, 2) == 0 &&
	      d32(0, 3) == 0 && vr[0][63] == 0, "qd: elements 2-3 and above zeroed");
	CHECK(q64(2, 0) == 0 && vr[2][20] == 0, "qd: mask zeroed");
}

/* vpscatterdd [rax + zmm1*1]{k1}, zmm0 */
static const uint8_t vpscatterdd_z[] = { 0x62, 0xf2, 0x7d, 0x49, 0xa0, 0x04, 0x08 };
/* vpgatherdd xmm0{k1}, [rax + xmm1*4] (EVEX.128) */
static const uint8_t vpgatherdd_ex[] = { 0x62, 0xf2, 0x7d, 0x09, 0x90, 0x04, 0x88 };
/* vpgatherdd zmm0{k1}, fs:[rax + zmm1*4] */
static const uint8_t vpgatherdd_fs[] = { 0x64, 0x62, 0xf2, 0x7d, 0x49, 0x90, 0x04, 0x88 };

static void test_avx512(void)
{
	struct mt_decoded d;
	struct mt_cpu cpu = { .rip = 0x2000 };
	int rc;

	/* scatter: overlapping elements in element order, later wins;
	 * 1 and 2 overlap partly (scale 1: offsets 0x10 and 0x12) */
	reset();
	cpu.gpr[MT_RAX] = MEMBASE + 0x400;
	for (unsigned j = 0; j < 16; j++) {
		set_d32(0, j, 0x01010101u * j);
		set_d32(1, j, 0x40 + 4 * j);
	}
	set_d32(1, 1, 0x10);
	set_d32(1, 2, 0x12);
	set_d32(1, 3, 0x10);
	set_d32(1, 4, (uint32_t)-8);
	kr[1] = 0xffff000000000000ull | 0x001f; /* elements 0-4; bits above 16 too */
	rc = run(vpscatterdd_z, sizeof(vpscatterdd_z), &cpu, &d);
	CHECK(rc == 0 && nlog == 5, "scatter: %s, %u", mt_emu_strerror(rc), nlog);
	for (unsigned a = 0; a < nlog && a < 5; a++)
		CHECK(log_[a].dir == 'W' && log_[a].size == 4 && log_[a].flags == MT_ACC_PARTIAL &&
		      log_[a].addr == MEMBASE + 0x400 + (int32_t)d32(1, a), "scatter access %u", a);
	CHECK(m32(MEMBASE + 0x410) == 0x03030303u, "element 3 wins over 1");
	CHECK(m32(MEMBASE + 0x414) == 0xa0000202u, "element 2's upper half stands: %08x",
	      m32(MEMBASE + 0x414));
	CHECK(m32(MEMBASE + 0x3f8) == 0x04040404u, "negative index");
	CHECK(kr[1] == 0, "opmask cleared, all 64 bits");

	/* scatter fault on element 3: 0-2 written, k bits 0-2 cleared */
	reset();
	cpu.rip = 0x2000;
	for (unsigned j = 0; j < 16; j++) {
		set_d32(0, j, 0x01010101u * j);
		set_d32(1, j, 0x40 + 4 * j);
	}
	kr[1] = 0xffff;
	fail_addr = MEMBASE + 0x400 + 0x4c;
	rc = run(vpscatterdd_z, sizeof(vpscatterdd_z), &cpu, &d);
	CHECK(rc == MT_EMU_MEMFAULT && nlog == 3 && kr[1] == 0xfff8 && cpu.rip == 0x2000,
	      "scatter fault: %s, %u, k1 %#llx", mt_emu_strerror(rc), nlog, (unsigned long long)kr[1]);
	CHECK(m32(MEMBASE + 0x448) == 0x02020202u && m32(MEMBASE + 0x450) == 0xa0000450u,
	      "scatter fault: memory");

	/* EVEX.128 gather: fault on the first selected element changes
	 * nothing; on a later one the destination is zeroed above VL */
	reset();
	cpu.rip = 0x2000;
	cpu.gpr[MT_RAX] = MEMBASE + 0x100;
	for (unsigned j = 0; j < 4; j++)
		set_d32(1, j, j);
	kr[1] = 0x0e;
	fail_addr = MEMBASE + 0x104;
	rc = run(vpgatherdd_ex, sizeof(vpgatherdd_ex), &cpu, &d);
	CHECK(rc == MT_EMU_MEMFAULT && kr[1] == 0x0e && vr[0][0] == 0x11 && vr[0][63] == 0x11,
	      "fault on the first selected element: nothing changes");
	fail_addr = MEMBASE + 0x108;
	nlog = 0;
	rc = mt_emulate(&d, &cpu, &ops, NULL);
	CHECK(rc == MT_EMU_MEMFAULT && kr[1] == 0x0c && d32(0, 1) == 0xa0000104u &&
	      d32(0, 2) == 0x11111111 && vr[0][16] == 0 && vr[0][63] == 0,
	      "fault after one element: k1 %#llx, zeroed above VL", (unsigned long long)kr[1]);
	fail_addr = ~0ull;
	rc = mt_emulate(&d, &cpu, &ops, NULL);
	CHECK(rc == 0 && kr[1] == 0 && d32(0, 0) == 0x11111111 && d32(0, 3) == 0xa000010cu,
	      "restart completes, merging");

	/* FS base */
	reset();
	cpu.rip = 0x2000;
	cpu.fs_base = 0x80000;
	cpu.gpr[MT_RAX] = MEMBASE - 0x80000;
	set_d32(1, 0, 0x30);
	kr[1] = 1;
	rc = run(vpgatherdd_fs, sizeof(vpgatherdd_fs), &cpu, &d);
	CHECK(rc == 0 && nlog == 1 && log_[0].addr == MEMBASE + 0xc0, "fs: %s %#llx",
	      mt_emu_strerror(rc), (unsigned long long)log_[0].addr);
}

static void test_refusals(void)
{
	struct mt_decoded d;
	struct mt_cpu cpu = { .rip = 0x3000 };
	struct mt_emu_ops nok = ops, noks = ops, novec = ops;
	/* #UD on the CPU; Zydis does not decode them */
	static const uint8_t same_dm[] = { 0xc4, 0xe2, 0x79, 0x90, 0x04, 0x88 }; /* mask = dst */
	static const uint8_t same_im[] = { 0xc4, 0xe2, 0x71, 0x90, 0x04, 0x88 }; /* mask = index */
	static const uint8_t same_di[] = { 0xc4, 0xe2, 0x69, 0x90, 0x04, 0x80 }; /* dst = index */
	static const uint8_t evex_di[] = { 0x62, 0xf2, 0x7d, 0x49, 0x90, 0x04, 0x80 };
	static const uint8_t evex_k0[] = { 0x62, 0xf2, 0x7d, 0x48, 0x90, 0x04, 0x88 };
	static const uint8_t evex_z[] = { 0x62, 0xf2, 0x7d, 0xc9, 0x90, 0x04, 0x88 };
	/* allowed: a scatter's source may be its index */
	static const uint8_t sc_same[] = { 0x62, 0xf2, 0x7d, 0x49, 0xa0, 0x04, 0x80 };
	/* vgatherpf0dps [rax + zmm1*4]{k1}: prefetch hint, not emulated */
	static const uint8_t pf[] = { 0x62, 0xf2, 0x7d, 0x49, 0xc6, 0x0c, 0x88 };
	int rc;

	CHECK(mt_decode(&d, same_dm, sizeof(same_dm), 0) == MT_EMU_INVALID, "mask = dst: invalid");
	CHECK(mt_decode(&d, same_im, sizeof(same_im), 0) == MT_EMU_INVALID, "mask = index: invalid");
	CHECK(mt_decode(&d, same_di, sizeof(same_di), 0) == MT_EMU_INVALID, "dst = index: invalid");
	CHECK(mt_decode(&d, evex_di, sizeof(evex_di), 0) == MT_EMU_INVALID, "evex dst = index: invalid");
	CHECK(mt_decode(&d, evex_k0, sizeof(evex_k0), 0) == MT_EMU_INVALID, "evex k0: invalid");
	CHECK(mt_decode(&d, evex_z, sizeof(evex_z), 0) == MT_EMU_INVALID, "evex {z}: invalid");
	CHECK(mt_decode(&d, sc_same, sizeof(sc_same), 0) == 0 && d.family == MT_FAM_GATHER &&
	      mt_emu_supported(&d, &ops), "scatter source = index: supported");

	/* a decoder that let a conflict through: the core refuses it itself */
	reset();
	CHECK(mt_decode(&d, vpgatherdd_y, sizeof(vpgatherdd_y), 0x3000) == 0, "decode");
	d.ops[2].reg.value = ZYDIS_REGISTER_YMM1; /* mask = index */
	cpu.gpr[MT_RAX] = MEMBASE;
	rc = mt_emulate(&d, &cpu, &ops, NULL);
	CHECK(rc == MT_EMU_UNSUPPORTED && nlog == 0 && cpu.rip == 0x3000 && vr[1][0] == 0x22,
	      "mask = index -> UNSUPPORTED, nothing done: %s", mt_emu_strerror(rc));
	CHECK(mt_decode(&d, vpgatherdd_ex, sizeof(vpgatherdd_ex), 0x3000) == 0, "decode");
	d.ops[2].mem.index = ZYDIS_REGISTER_XMM0; /* dst = index */
	rc = mt_emulate(&d, &cpu, &ops, NULL);
	CHECK(rc == MT_EMU_UNSUPPORTED && nlog == 0, "evex dst = index -> UNSUPPORTED: %s",
	      mt_emu_strerror(rc));

	CHECK(mt_decode(&d, pf, sizeof(pf), 0) == 0 && d.family == MT_FAM_GATHER &&
	      !mt_emu_supported(&d, &ops), "vgatherpf0dps: gather, unsupported");
	CHECK(mt_emulate(&d, &cpu, &ops, NULL) == MT_EMU_UNSUPPORTED, "vgatherpf0dps -> UNSUPPORTED");

	/* backends */
	nok.kmask_get = NULL;
	noks.kmask_set = NULL;
	novec.vec_get = NULL;
	CHECK(mt_decode(&d, vpgatherdd_y, sizeof(vpgatherdd_y), 0) == 0 &&
	      mt_emu_supported(&d, &nok) && mt_emu_supported(&d, &noks) &&
	      !mt_emu_supported(&d, &novec), "AVX2: needs vec_get/vec_set only");
	CHECK(mt_decode(&d, vpscatterdd_z, sizeof(vpscatterdd_z), 0) == 0 &&
	      !mt_emu_supported(&d, &nok) && !mt_emu_supported(&d, &noks) &&
	      !mt_emu_supported(&d, &novec), "AVX-512: needs kmask_get and kmask_set");
	CHECK(mt_emulate(&d, &cpu, &noks, NULL) == MT_EMU_UNSUPPORTED, "no kmask_set -> UNSUPPORTED");
}

int main(void)
{
	test_avx2();
	test_avx2_shapes();
	test_avx512();
	test_refusals();
	if (failures) {
		printf("%d check(s) failed\n", failures);
		return 1;
	}
	printf("core_gather: all checks passed\n");
	return 0;
}
