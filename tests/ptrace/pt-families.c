// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pt-families.c - a STATIC self-describing target for the ptrace tracer.
 *
 *   pt-families FILE
 *
 * Creates FILE (use a /dev/shm path traced with --trace-file), maps it
 * MAP_SHARED as the "device" and makes accesses of every instruction family
 * of the core with inline assembly (so the compiler cannot pick other
 * forms). For each device access it prints the record it expects, as
 *   EXPECT R|W WIDTH +OFFSET VALUE
 * (VALUE: 0x-number for widths up to 8, else the bytes in memory order as
 * hex). It checks its own results (register values, flags, memory through
 * pread) and prints "FAIL ..." and exits 1 if one is wrong, so it behaves
 * the same traced or not. Built with gcc -static: LD_PRELOAD cannot see it.
 */
#include <cpuid.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int fails;
static int fd;
static volatile uint8_t *dev;

#define CHECK(cond, ...)                                    \
	do {                                                \
		if (!(cond)) {                              \
			printf("FAIL line %d: ", __LINE__); \
			printf(__VA_ARGS__);                \
			printf("\n");                       \
			fails++;                            \
		}                                           \
	} while (0)

static void expect(char rw, unsigned width, unsigned off, uint64_t v)
{
	if (width < 8)
		v &= (1ull << (8 * width)) - 1;
	printf("EXPECT %c %u +%#x %#llx\n", rw, width, off, (unsigned long long)v);
}

static void expect_bytes(char rw, unsigned width, unsigned off, const void *p)
{
	printf("EXPECT %c %u +%#x ", rw, width, off);
	for (unsigned i = 0; i < width; i++)
		printf("%02x", ((const uint8_t *)p)[i]);
	printf("\n");
}

static uint64_t file_u64(unsigned off)
{
	uint64_t v = 0;
	if (pread(fd, &v, 8, off) != 8)
		fails++;
	return v;
}

static void file_put(unsigned off, const void *p, size_t n)
{
	if (pwrite(fd, p, n, off) != (ssize_t)n)
		fails++;
}

/* EVEX store from zmm17 (only EVEX can name it) */
__attribute__((target("avx512f"), noinline)) static void zmm_store(void *d, const void *z)
{
	__asm__ volatile("vmovdqu64 (%1), %%zmm17; vmovdqu64 %%zmm17, (%0); vzeroupper"
			 : : "r"(d), "r"(z) : "xmm17", "memory");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: pt-families FILE\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 8192) < 0) {
		perror("pt-families: create");
		return 2;
	}
	uint8_t init[8192];
	for (unsigned i = 0; i < sizeof(init); i++)
		init[i] = (uint8_t)(i * 7 + 3);
	file_put(0, init, sizeof(init));
	dev = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (dev == MAP_FAILED) {
		perror("pt-families: mmap");
		return 2;
	}
	uint64_t v, r;
	uint8_t b8;
	uint16_t w16;
	uint32_t d32;

	/* MOV loads of each width */
	memcpy(&v, init + 0x10, 8);
	__asm__ volatile("movb (%1), %0" : "=q"(b8) : "r"(dev + 0x10) : "memory");
	expect('R', 1, 0x10, v);
	CHECK(b8 == (uint8_t)v, "movb load %#x", b8);
	__asm__ volatile("movw (%1), %0" : "=r"(w16) : "r"(dev + 0x10) : "memory");
	expect('R', 2, 0x10, v);
	CHECK(w16 == (uint16_t)v, "movw load");
	__asm__ volatile("movl (%1), %0" : "=r"(d32) : "r"(dev + 0x10) : "memory");
	expect('R', 4, 0x10, v);
	CHECK(d32 == (uint32_t)v, "movl load");
	__asm__ volatile("movq (%1), %0" : "=r"(r) : "r"(dev + 0x10) : "memory");
	expect('R', 8, 0x10, v);
	CHECK(r == v, "movq load");

	/* MOV stores, immediate and register */
	__asm__ volatile("movl $0x12345678, (%0)" : : "r"(dev + 0x20) : "memory");
	expect('W', 4, 0x20, 0x12345678);
	CHECK((uint32_t)file_u64(0x20) == 0x12345678, "movl imm store");
	r = 0x1122334455667788ull;
	__asm__ volatile("movq %1, (%0)" : : "r"(dev + 0x28), "r"(r) : "memory");
	expect('W', 8, 0x28, r);
	CHECK(file_u64(0x28) == r, "movq store");
	__asm__ volatile("movw %1, (%0)" : : "r"(dev + 0x30), "r"((uint16_t)0xbeef) : "memory");
	expect('W', 2, 0x30, 0xbeef);
	__asm__ volatile("movb $0x5a, (%0)" : : "r"(dev + 0x32) : "memory");
	expect('W', 1, 0x32, 0x5a);
	CHECK((file_u64(0x30) & 0xffffff) == 0x5abeef, "movw/movb store");

	/* MOVZX / MOVSX */
	uint8_t nb = 0x80 | 0x13;
	file_put(0x40, &nb, 1);
	__asm__ volatile("movzbl (%1), %0" : "=r"(d32) : "r"(dev + 0x40) : "memory");
	expect('R', 1, 0x40, nb);
	CHECK(d32 == nb, "movzx");
	__asm__ volatile("movsbq (%1), %0" : "=r"(r) : "r"(dev + 0x40) : "memory");
	expect('R', 1, 0x40, nb);
	CHECK(r == (uint64_t)(int64_t)(int8_t)nb, "movsx");

	/* ALU with a memory destination: read then write */
	uint32_t a0 = 100;
	file_put(0x50, &a0, 4);
	__asm__ volatile("addl %1, (%0)" : : "r"(dev + 0x50), "r"(23u) : "memory", "cc");
	expect('R', 4, 0x50, 100);
	expect('W', 4, 0x50, 123);
	__asm__ volatile("orl $0x100, (%0)" : : "r"(dev + 0x50) : "memory", "cc");
	expect('R', 4, 0x50, 123);
	expect('W', 4, 0x50, 123 | 0x100);
	CHECK((uint32_t)file_u64(0x50) == (123 | 0x100), "add/or mem");
	/* CMP and TEST only read; the flags must be right */
	uint8_t zf, cf;
	__asm__ volatile("cmpl $379, (%2); sete %0; setb %1"
			 : "=q"(zf), "=q"(cf) : "r"(dev + 0x50) : "memory", "cc");
	expect('R', 4, 0x50, 379);
	CHECK(zf == 1 && cf == 0, "cmp flags zf=%d cf=%d", zf, cf);
	__asm__ volatile("cmpl $380, (%2); sete %0; setb %1"
			 : "=q"(zf), "=q"(cf) : "r"(dev + 0x50) : "memory", "cc");
	expect('R', 4, 0x50, 379);
	CHECK(zf == 0 && cf == 1, "cmp flags 2");
	__asm__ volatile("testb $0x80, (%1); setne %0" : "=q"(zf) : "r"(dev + 0x40) : "memory", "cc");
	expect('R', 1, 0x40, nb);
	CHECK(zf == 1, "test");
	/* ALU with a memory source */
	r = 5;
	__asm__ volatile("addq (%1), %0" : "+r"(r) : "r"(dev + 0x28) : "memory", "cc");
	expect('R', 8, 0x28, 0x1122334455667788ull);
	CHECK(r == 0x1122334455667788ull + 5, "add from mem");

	/* shift, bit ops */
	uint32_t s0 = 0x40000001;
	file_put(0x60, &s0, 4);
	__asm__ volatile("shll $1, (%0)" : : "r"(dev + 0x60) : "memory", "cc");
	expect('R', 4, 0x60, s0);
	expect('W', 4, 0x60, s0 << 1);
	__asm__ volatile("btsl $4, (%1); setc %0" : "=q"(cf) : "r"(dev + 0x60) : "memory", "cc");
	expect('R', 4, 0x60, s0 << 1);
	expect('W', 4, 0x60, (s0 << 1) | 0x10);
	CHECK(cf == 0, "bts cf");
	CHECK((uint32_t)file_u64(0x60) == ((s0 << 1) | 0x10), "shl/bts result");

	/* atomics */
	uint64_t x0 = 0xaaaa;
	file_put(0x70, &x0, 8);
	r = 0xbbbb;
	__asm__ volatile("xchgq %0, (%1)" : "+r"(r) : "r"(dev + 0x70) : "memory");
	expect('R', 8, 0x70, 0xaaaa);
	expect('W', 8, 0x70, 0xbbbb);
	CHECK(r == 0xaaaa, "xchg old");
	r = 2;
	__asm__ volatile("lock xaddq %0, (%1)" : "+r"(r) : "r"(dev + 0x70) : "memory", "cc");
	expect('R', 8, 0x70, 0xbbbb);
	expect('W', 8, 0x70, 0xbbbd);
	CHECK(r == 0xbbbb, "xadd old");
	uint64_t cmpv = 0xbbbd, newv = 0xcccc;
	__asm__ volatile("lock cmpxchgq %2, (%3); sete %1"
			 : "+a"(cmpv), "=q"(zf) : "r"(newv), "r"(dev + 0x70) : "memory", "cc");
	expect('R', 8, 0x70, 0xbbbd);
	expect('W', 8, 0x70, 0xcccc);
	CHECK(zf == 1 && file_u64(0x70) == 0xcccc, "cmpxchg");

	/* conditional: SETcc to memory, CMOVcc from memory */
	__asm__ volatile("cmpl %0, %0; sete (%1)" : : "r"(1), "r"(dev + 0x80) : "memory", "cc");
	expect('W', 1, 0x80, 1);
	r = 7;
	__asm__ volatile("cmpl %1, %1; cmovneq (%2), %0"
			 : "+r"(r) : "r"(1), "r"(dev + 0x28) : "memory", "cc");
	expect('R', 8, 0x28, 0x1122334455667788ull);
	CHECK(r == 7, "cmovne not taken");

	/* non-temporal */
	__asm__ volatile("movnti %1, (%0)" : : "r"(dev + 0x88), "r"(0x600dcafeu) : "memory");
	expect('W', 4, 0x88, 0x600dcafe);
	CHECK((uint32_t)file_u64(0x88) == 0x600dcafe, "movnti");

	/* strings: rep movsl from the device, rep stosq to it */
	uint32_t dst[4];
	{
		void *si = (void *)(dev + 0x100), *di = dst;
		uint64_t cnt = 4;
		__asm__ volatile("cld; rep movsl" : "+S"(si), "+D"(di), "+c"(cnt) : : "memory");
		CHECK(cnt == 0 && si == (void *)(dev + 0x110), "rep movs regs");
	}
	for (unsigned i = 0; i < 4; i++) {
		uint32_t e;
		memcpy(&e, init + 0x100 + 4 * i, 4);
		expect('R', 4, 0x100 + 4 * i, e);
		CHECK(dst[i] == e, "movs data %u", i);
	}
	{
		void *di = (void *)(dev + 0x200);
		uint64_t cnt = 3, val = 0x0102030405060708ull;
		__asm__ volatile("cld; rep stosq" : "+D"(di), "+c"(cnt) : "a"(val) : "memory");
		for (unsigned i = 0; i < 3; i++) {
			expect('W', 8, 0x200 + 8 * i, val);
			CHECK(file_u64(0x200 + 8 * i) == val, "stos %u", i);
		}
	}

	/* SSE / AVX moves, vector ALU with a memory operand (displaced) */
	uint8_t vb[64], out[64];
	for (unsigned i = 0; i < 64; i++)
		vb[i] = (uint8_t)(0xa0 + i);
	file_put(0x300, vb, 64);
	__asm__ volatile("movdqu (%1), %%xmm3; movdqu %%xmm3, %0"
			 : "=m"(*(uint8_t(*)[16])out) : "r"(dev + 0x300) : "xmm3", "memory");
	expect_bytes('R', 16, 0x300, vb);
	CHECK(!memcmp(out, vb, 16), "movdqu load");
	__asm__ volatile("movdqu %1, %%xmm4; movdqu %%xmm4, 16(%0)"
			 : : "r"(dev + 0x300), "m"(*(const uint8_t(*)[16])init) : "xmm4", "memory");
	expect_bytes('W', 16, 0x310, init);
	{
		uint32_t ones[4] = { 1, 1, 1, 1 }, res[4], src[4];
		memcpy(src, vb, 16);
		__asm__ volatile("movdqu %2, %%xmm5; paddd (%1), %%xmm5; movdqu %%xmm5, %0"
				 : "=m"(res) : "r"(dev + 0x300), "m"(ones) : "xmm5", "memory");
		expect_bytes('R', 16, 0x300, vb);
		for (int i = 0; i < 4; i++)
			CHECK(res[i] == src[i] + 1, "paddd lane %d", i);
	}
	unsigned ea, eb, ec, ed;
	int avx = __get_cpuid_count(7, 0, &ea, &eb, &ec, &ed) && (eb & (1u << 5)); /* AVX2 */
	int avx512 = avx && (eb & (1u << 16));
	if (avx) {
		__asm__ volatile("vmovdqu (%1), %%ymm6; vmovdqu %%ymm6, %0; vzeroupper"
				 : "=m"(*(uint8_t(*)[32])out) : "r"(dev + 0x300) : "xmm6", "memory");
		uint8_t want[32];
		memcpy(want, vb, 16);
		memcpy(want + 16, init, 16);
		expect_bytes('R', 32, 0x300, want);
		CHECK(!memcmp(out, want, 32), "vmovdqu ymm load");
	}
	if (avx512) {
		uint8_t z[64];
		for (unsigned i = 0; i < 64; i++)
			z[i] = (uint8_t)(0x33 ^ i);
		zmm_store((void *)(dev + 0x340), z);
		expect_bytes('W', 64, 0x340, z);
		uint8_t back[64];
		if (pread(fd, back, 64, 0x340) != 64 || memcmp(back, z, 64))
			CHECK(0, "vmovdqu64 zmm store");
	}

	/* MOVBE if the CPU has it */
	if (__get_cpuid(1, &ea, &eb, &ec, &ed) && (ec & (1u << 22))) {
		uint32_t be;
		__asm__ volatile("movbe (%1), %0" : "=r"(be) : "r"(dev + 0x20) : "memory");
		expect('R', 4, 0x20, 0x12345678);
		CHECK(be == 0x78563412, "movbe");
	}

	/* x87 and MMX forms: displaced with the tracee's own x87 state (a
	 * result computed on the tracer's FPU state would be wrong below) */
	{
		int32_t iv = -12345, ov = 0;
		file_put(0x400, &iv, 4);
		__asm__ volatile("fildl (%1); fistpl %0" : "=m"(ov) : "r"(dev + 0x400) : "memory", "st");
		expect('R', 4, 0x400, (uint32_t)iv);
		CHECK(ov == iv, "fild/fistp %d", ov);

		double dv = 2.5, sum = 0, want = 1.0 + 2.5 + 2.5;
		uint64_t db, wb;
		memcpy(&db, &dv, 8);
		memcpy(&wb, &want, 8);
		file_put(0x408, &dv, 8);
		/* ST0 = 1 + 2.5 natively, then faddl from the device, fstpl to it */
		__asm__ volatile("fld1; faddl %1; faddl (%2); fstpl (%3); fldl (%3); fstpl %0"
				 : "=m"(sum) : "m"(dv), "r"(dev + 0x408), "r"(dev + 0x410)
				 : "memory", "st");
		expect('R', 8, 0x408, db);
		expect('W', 8, 0x410, wb);
		expect('R', 8, 0x410, wb);
		CHECK(sum == want, "fadd/fstp %g", sum);
		CHECK(file_u64(0x410) == wb, "fstpl to the device");

		uint64_t m = 0x0001000200030004ull, mo = 0, add = 0x0010001000100010ull;
		file_put(0x418, &m, 8);
		__asm__ volatile("movq %2, %%mm1; movq (%1), %%mm0; paddw %%mm1, %%mm0;"
				 "movq %%mm0, (%1); movq (%1), %%mm2; movq %%mm2, %0; emms"
				 : "=m"(mo) : "r"(dev + 0x418), "m"(add) : "memory", "mm0", "mm1", "mm2");
		expect('R', 8, 0x418, m);
		expect('W', 8, 0x418, m + add);
		expect('R', 8, 0x418, m + add);
		CHECK(mo == m + add, "mmx movq/paddw %#llx", (unsigned long long)mo);
	}

	/* an access in the second page */
	__asm__ volatile("movl $0xfeedf00d, (%0)" : : "r"(dev + 4096 + 0x44) : "memory");
	expect('W', 4, 4096 + 0x44, 0xfeedf00d);

	munmap((void *)dev, 8192);
	close(fd);
	unlink(argv[1]);
	printf(fails ? "pt-families: %d FAILED\n" : "pt-families: all checks passed\n", fails);
	return fails ? 1 : 0;
}
