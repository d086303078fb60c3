// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * e2e_families.c - self-describing end-to-end test of `mmiotap record`.
 *
 * Maps a memfd named "mt-e2e" MAP_SHARED (traced with --trace-file
 * '/memfd:mt-e2e*'), performs accesses of every instruction family the core
 * emulates, checks in-process that every value the program saw is right,
 * and prints on stdout the device accesses it expects, one per line:
 *     R|W WIDTH OFFSET VALUE
 * in the same notation as `mmiotap dump` (fields 1, 2, 5 and 6 of R/W lines
 * of a memfd map, whose physical address is 0). The harness diffs the two.
 * Exit status: 0 when every value was right, 1 otherwise.
 *
 * The first part is inline assembly (exact instructions); the second is
 * plain C through volatile pointers, so the compiler and its flags choose
 * the instructions (the e2e matrix builds this file many ways).
 */
#define _GNU_SOURCE 1
#include <cpuid.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAPSZ 4096
static uint8_t shadow[MAPSZ]; /* what the device memory must hold */
static uint8_t *dev;
static int bad;

static void put_hex(const uint8_t *v, unsigned w)
{
	if (w <= 8) {
		uint64_t x = 0;
		memcpy(&x, v, w);
		printf("0x%llx", (unsigned long long)x);
	} else {
		printf("0x");
		for (int i = (int)w - 1; i >= 0; i--)
			printf("%02x", v[i]);
	}
}

/* expect a read of w bytes at off: value from the shadow */
static void R(unsigned off, unsigned w)
{
	printf("R %u 0x%x ", w, off);
	put_hex(shadow + off, w);
	printf("\n");
}

/* expect a write of w bytes at off of value v; update the shadow */
static void W(unsigned off, unsigned w, const void *v)
{
	memcpy(shadow + off, v, w);
	printf("W %u 0x%x ", w, off);
	put_hex(shadow + off, w);
	printf("\n");
}
static void W64(unsigned off, unsigned w, uint64_t v) { W(off, w, &v); }

static void check(const char *what, uint64_t got, uint64_t want)
{
	if (got != want) {
		fprintf(stderr, "e2e_families: %s: got %#llx, want %#llx\n", what,
			(unsigned long long)got, (unsigned long long)want);
		bad = 1;
	}
}

static uint64_t sh(unsigned off, unsigned w)
{
	uint64_t x = 0;
	memcpy(&x, shadow + off, w);
	return x;
}

static void checkmem(const char *what, const void *got, unsigned off, unsigned w)
{
	if (memcmp(got, shadow + off, w)) {
		fprintf(stderr, "e2e_families: %s: value differs from device contents\n", what);
		bad = 1;
	}
}

static int cpu_has(unsigned leaf, unsigned sub, int reg, unsigned bit)
{
	unsigned r[4];
	if (!__get_cpuid_count(leaf, sub, &r[0], &r[1], &r[2], &r[3]))
		return 0;
	return (r[reg] >> bit) & 1;
}

static int os_avx(int zmm)
{
	if (!cpu_has(1, 0, 2, 27)) /* OSXSAVE */
		return 0;
	unsigned lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	unsigned need = zmm ? 0xe6 : 0x6;
	return (lo & need) == need;
}

/* ---- AVX-512 (own function: zmm16-31 and k1 clobbers need the target) ---- */
__attribute__((target("avx512f"))) static void avx512_part(void)
{
	{
		uint8_t out[64], in[64];
		for (int i = 0; i < 64; i++)
			in[i] = (uint8_t)(0x80 + i);
		__asm__ volatile("vmovdqu64 (%0), %%zmm0; vmovdqu64 %%zmm0, (%1); vzeroupper"
				 : : "r"(dev + 0x300), "r"(out) : "memory", "xmm0");
		R(0x300, 64); checkmem("vmovdqu64 zmm load", out, 0x300, 64);
		__asm__ volatile("vmovdqu64 (%0), %%zmm17; vmovdqu64 %%zmm17, (%1); vzeroupper"
				 : : "r"(in), "r"(dev + 0x340) : "memory", "xmm17");
		W(0x340, 64, in);
		/* masked store of the low 8 dwords (k1 = 0xff): one 32-byte run */
		__asm__ volatile("movl $0xff, %%eax; kmovw %%eax, %%k1; vmovdqu64 (%0), %%zmm1; "
				 "vmovdqu32 %%zmm1, (%1)%{%%k1%}; vzeroupper"
				 : : "r"(in), "r"(dev + 0x380) : "memory", "eax", "xmm1", "k1");
		W(0x380, 32, in);
	}
}

static void asm_part(void)
{
	uint8_t *p;
	uint64_t v;

	/* ---- MOV family ---- */
	p = dev + 0x10;
	__asm__ volatile("movzbl (%1), %k0" : "=r"(v) : "r"(p) : "memory");
	R(0x10, 1); check("movzbl", v, sh(0x10, 1));
	__asm__ volatile("movzwl (%1), %k0" : "=r"(v) : "r"(p) : "memory");
	R(0x10, 2); check("movzwl", v, sh(0x10, 2));
	__asm__ volatile("movl (%1), %k0" : "=r"(v) : "r"(p) : "memory");
	R(0x10, 4); check("movl load", v, sh(0x10, 4));
	__asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(p) : "memory");
	R(0x10, 8); check("movq load", v, sh(0x10, 8));
	__asm__ volatile("movsbq (%1), %0" : "=r"(v) : "r"(dev + 0x80) : "memory");
	R(0x80, 1); check("movsbq", v, (uint64_t)(int64_t)(int8_t)sh(0x80, 1));
	__asm__ volatile("movslq (%1), %0" : "=r"(v) : "r"(dev + 0x84) : "memory");
	R(0x84, 4); check("movslq", v, (uint64_t)(int64_t)(int32_t)sh(0x84, 4));
	__asm__ volatile("movb $0xa5, (%0)" : : "r"(dev + 0x20) : "memory");
	W64(0x20, 1, 0xa5);
	__asm__ volatile("movw $0x1234, (%0)" : : "r"(dev + 0x22) : "memory");
	W64(0x22, 2, 0x1234);
	__asm__ volatile("movl $0xdeadbeef, (%0)" : : "r"(dev + 0x24) : "memory");
	W64(0x24, 4, 0xdeadbeef);
	v = 0x0123456789abcdefull;
	__asm__ volatile("movq %1, (%0)" : : "r"(dev + 0x28), "r"(v) : "memory");
	W64(0x28, 8, v);

	/* ---- ALU read-modify-write and read-only ---- */
	__asm__ volatile("addl $5, (%0)" : : "r"(dev + 0x24) : "memory", "cc");
	R(0x24, 4); W64(0x24, 4, sh(0x24, 4) + 5);
	v = 0xf0f0;
	__asm__ volatile("orq %1, (%0)" : : "r"(dev + 0x28), "r"(v) : "memory", "cc");
	R(0x28, 8); W64(0x28, 8, sh(0x28, 8) | 0xf0f0);
	__asm__ volatile("andw $0x0ff0, (%0)" : : "r"(dev + 0x22) : "memory", "cc");
	R(0x22, 2); W64(0x22, 2, sh(0x22, 2) & 0x0ff0);
	__asm__ volatile("xorb $0xff, (%0)" : : "r"(dev + 0x20) : "memory", "cc");
	R(0x20, 1); W64(0x20, 1, sh(0x20, 1) ^ 0xff);
	__asm__ volatile("incl (%0)" : : "r"(dev + 0x24) : "memory", "cc");
	R(0x24, 4); W64(0x24, 4, (uint32_t)(sh(0x24, 4) + 1));
	__asm__ volatile("negq (%0)" : : "r"(dev + 0x28) : "memory", "cc");
	R(0x28, 8); W64(0x28, 8, -sh(0x28, 8));
	{
		uint8_t zf;
		uint32_t x = (uint32_t)sh(0x24, 4);
		__asm__ volatile("cmpl %2, (%1); sete %0" : "=q"(zf) : "r"(dev + 0x24), "r"(x)
				 : "memory", "cc");
		R(0x24, 4); check("cmpl flags", zf, 1);
	}
	v = 100;
	__asm__ volatile("addq (%1), %0" : "+r"(v) : "r"(dev + 0x10) : "memory", "cc");
	R(0x10, 8); check("addq mem->reg", v, 100 + sh(0x10, 8));

	/* ---- shifts and bit tests ---- */
	__asm__ volatile("shll $3, (%0)" : : "r"(dev + 0x30) : "memory", "cc");
	R(0x30, 4); W64(0x30, 4, (uint32_t)(sh(0x30, 4) << 3));
	{
		uint8_t cf;
		__asm__ volatile("btl $1, (%1); setc %0" : "=q"(cf) : "r"(dev + 0x30) : "memory", "cc");
		R(0x30, 4); check("btl", cf, (sh(0x30, 4) >> 1) & 1);
		__asm__ volatile("btsl $7, (%1); setc %0" : "=q"(cf) : "r"(dev + 0x30) : "memory", "cc");
		R(0x30, 4); check("btsl", cf, (sh(0x30, 4) >> 7) & 1);
		W64(0x30, 4, sh(0x30, 4) | 0x80);
	}

	/* ---- atomics ---- */
	v = 0x55;
	__asm__ volatile("xchgl %k0, (%1)" : "+r"(v) : "r"(dev + 0x34) : "memory");
	R(0x34, 4); check("xchg", v, sh(0x34, 4)); W64(0x34, 4, 0x55);
	{
		uint32_t expect = 0x55, nv = 0x66;
		__asm__ volatile("lock cmpxchgl %2, (%1)" : "+a"(expect) : "r"(dev + 0x34), "r"(nv)
				 : "memory", "cc");
		R(0x34, 4); W64(0x34, 4, 0x66); check("cmpxchg", expect, 0x55);
	}
	v = 3;
	__asm__ volatile("lock xaddq %0, (%1)" : "+r"(v) : "r"(dev + 0x38) : "memory", "cc");
	R(0x38, 8); check("xadd", v, sh(0x38, 8)); W64(0x38, 8, sh(0x38, 8) + 3);
	__asm__ volatile("lock addl $1, (%0)" : : "r"(dev + 0x34) : "memory", "cc");
	R(0x34, 4); W64(0x34, 4, sh(0x34, 4) + 1);

	/* ---- string instructions ---- */
	{
		uint8_t buf[8];
		void *d = buf, *s = dev + 0x40;
		size_t n = 8;
		__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
		for (int i = 0; i < 8; i++)
			R(0x40 + i, 1);
		checkmem("rep movsb", buf, 0x40, 8);
		uint32_t val = 0x77777777;
		d = dev + 0x50;
		n = 4;
		__asm__ volatile("rep stosl" : "+D"(d), "+c"(n) : "a"(val) : "memory");
		for (int i = 0; i < 4; i++)
			W64(0x50 + 4 * i, 4, val);
		uint64_t q;
		s = dev + 0x48;
		__asm__ volatile("lodsq" : "=a"(q), "+S"(s) : : "memory");
		R(0x48, 8); check("lodsq", q, sh(0x48, 8));
		uint64_t src = 0xabcdef0011223344ull;
		s = &src;
		d = dev + 0x60;
		__asm__ volatile("movsq" : "+D"(d), "+S"(s) : : "memory");
		W64(0x60, 8, src);
	}

	/* ---- conditional, non-temporal, movbe ---- */
	{
		uint32_t r = 9;
		__asm__ volatile("xorl %%eax, %%eax; cmovnzl (%1), %0" : "+r"(r) : "r"(dev + 0x10)
				 : "memory", "cc", "eax");
		R(0x10, 4); check("cmovnz (not taken)", r, 9);
		__asm__ volatile("cmpl %%eax, %%eax; sete (%0)" : : "r"(dev + 0x68) : "memory", "cc", "eax");
		W64(0x68, 1, 1);
		uint32_t x = 0x31415926;
		__asm__ volatile("movnti %1, (%0)" : : "r"(dev + 0x6c), "r"(x) : "memory");
		W64(0x6c, 4, x);
		if (cpu_has(1, 0, 2, 22)) {
			uint32_t y;
			__asm__ volatile("movbe (%1), %0" : "=r"(y) : "r"(dev + 0x6c) : "memory");
			R(0x6c, 4); check("movbe", y, __builtin_bswap32(x));
		}
	}

	/* ---- SSE ---- */
	{
		uint8_t out[16], in[16];
		for (int i = 0; i < 16; i++)
			in[i] = (uint8_t)(0xc0 + i);
		__asm__ volatile("movdqu (%0), %%xmm0; movdqu %%xmm0, (%1)" : : "r"(dev + 0x100), "r"(out)
				 : "memory", "xmm0");
		R(0x100, 16); checkmem("movdqu load", out, 0x100, 16);
		__asm__ volatile("movdqu (%0), %%xmm1; movdqu %%xmm1, (%1)" : : "r"(in), "r"(dev + 0x110)
				 : "memory", "xmm1");
		W(0x110, 16, in);
		__asm__ volatile("movaps (%0), %%xmm2; movaps %%xmm2, (%1)" : : "r"(dev + 0x100), "r"(dev + 0x120)
				 : "memory", "xmm2");
		R(0x100, 16); W(0x120, 16, shadow + 0x100);
		uint64_t q;
		__asm__ volatile("movq (%1), %%xmm3; movq %%xmm3, %0" : "=r"(q) : "r"(dev + 0x108)
				 : "memory", "xmm3");
		R(0x108, 8); check("movq xmm", q, sh(0x108, 8));
		uint32_t d = 0x13579bdf;
		__asm__ volatile("movd %1, %%xmm4; movd %%xmm4, (%0)" : : "r"(dev + 0x130), "r"(d)
				 : "memory", "xmm4");
		W64(0x130, 4, d);
		/* vector ALU with a memory operand (displaced execution) */
		uint32_t a[4] = { 1, 2, 3, 4 }, r[4];
		__asm__ volatile("movdqu (%1), %%xmm5; paddd (%2), %%xmm5; movdqu %%xmm5, (%0)"
				 : : "r"(r), "r"(a), "r"(dev + 0x100) : "memory", "xmm5");
		R(0x100, 16);
		for (int i = 0; i < 4; i++)
			check("paddd", r[i], (uint32_t)(a[i] + (uint32_t)sh(0x100 + 4 * i, 4)));
		uint32_t e;
		__asm__ volatile("pinsrd $2, (%1), %%xmm6; pextrd $2, %%xmm6, %0" : "=r"(e) : "r"(dev + 0x104)
				 : "memory", "xmm6");
		R(0x104, 4); check("pinsrd", e, sh(0x104, 4));
	}

	/* ---- AVX ---- */
	if (os_avx(0) && cpu_has(1, 0, 2, 28)) {
		uint8_t out[32], in[32];
		for (int i = 0; i < 32; i++)
			in[i] = (uint8_t)(0x40 + i);
		__asm__ volatile("vmovdqu (%0), %%ymm0; vmovdqu %%ymm0, (%1); vzeroupper"
				 : : "r"(dev + 0x200), "r"(out) : "memory", "xmm0");
		R(0x200, 32); checkmem("vmovdqu ymm load", out, 0x200, 32);
		__asm__ volatile("vmovdqu (%0), %%ymm1; vmovdqu %%ymm1, (%1); vzeroupper"
				 : : "r"(in), "r"(dev + 0x220) : "memory", "xmm1");
		W(0x220, 32, in);
		if (cpu_has(7, 0, 1, 5)) { /* AVX2: vpaddq ymm, mem */
			uint64_t a[4] = { 10, 20, 30, 40 }, r[4];
			__asm__ volatile("vmovdqu (%1), %%ymm2; vpaddq (%2), %%ymm2, %%ymm2; "
					 "vmovdqu %%ymm2, (%0); vzeroupper"
					 : : "r"(r), "r"(a), "r"(dev + 0x200) : "memory", "xmm2");
			R(0x200, 32);
			for (int i = 0; i < 4; i++)
				check("vpaddq", r[i], a[i] + sh(0x200 + 8 * i, 8));
		}
	}

	if (os_avx(1) && cpu_has(7, 0, 1, 16))
		avx512_part();
}

static void c_part(void)
{
	volatile uint8_t *b8 = (volatile uint8_t *)(dev + 0x400);
	volatile uint16_t *b16 = (volatile uint16_t *)(dev + 0x410);
	volatile uint32_t *b32 = (volatile uint32_t *)(dev + 0x420);
	volatile uint64_t *b64 = (volatile uint64_t *)(dev + 0x440);

	uint8_t x8 = *b8;
	R(0x400, 1); check("c u8", x8, sh(0x400, 1));
	uint16_t x16 = *b16;
	R(0x410, 2); check("c u16", x16, sh(0x410, 2));
	uint32_t x32 = *b32;
	R(0x420, 4); check("c u32", x32, sh(0x420, 4));
	uint64_t x64 = *b64;
	R(0x440, 8); check("c u64", x64, sh(0x440, 8));
	*b8 = 0x5a;
	W64(0x400, 1, 0x5a);
	*b16 = 0xbeef;
	W64(0x410, 2, 0xbeef);
	*b32 = 0xcafef00d;
	W64(0x420, 4, 0xcafef00d);
	*b64 = 0x8877665544332211ull;
	W64(0x440, 8, 0x8877665544332211ull);
	/* register bit set: clang folds it into `or $imm, (mem)` */
	*b32 |= 0x100;
	R(0x420, 4); W64(0x420, 4, sh(0x420, 4) | 0x100);
	*b32 &= ~0x1u;
	R(0x420, 4); W64(0x420, 4, sh(0x420, 4) & ~0x1ull);
	/* a ring of doorbells */
	for (unsigned i = 0; i < 8; i++) {
		b32[4 + i] = i * 0x11;
		W64(0x430 + 4 * i, 4, i * 0x11);
	}
	uint32_t sum = 0;
	for (unsigned i = 0; i < 8; i++) {
		sum += b32[4 + i];
		R(0x430 + 4 * i, 4);
	}
	check("c sum", sum, 0x11 * 28);
}

int main(void)
{
	int fd = memfd_create("mt-e2e", 0);
	if (fd < 0 || ftruncate(fd, MAPSZ) < 0) {
		perror("e2e_families: memfd");
		return 99;
	}
	for (int i = 0; i < MAPSZ; i++)
		shadow[i] = (uint8_t)(i * 7 + 1);
	if (pwrite(fd, shadow, MAPSZ, 0) != MAPSZ) {
		perror("e2e_families: pwrite");
		return 99;
	}
	dev = mmap(NULL, MAPSZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (dev == MAP_FAILED) {
		perror("e2e_families: mmap");
		return 99;
	}
	asm_part();
	c_part();
	fflush(stdout);
	/* the device memory must hold exactly what the shadow says */
	uint8_t final[MAPSZ];
	if (pread(fd, final, MAPSZ, 0) != MAPSZ || memcmp(final, shadow, MAPSZ)) {
		for (int i = 0; i < MAPSZ; i++)
			if (final[i] != shadow[i]) {
				fprintf(stderr, "e2e_families: device byte %#x is %#x, want %#x\n", i,
					final[i], shadow[i]);
				break;
			}
		bad = 1;
	}
	return bad;
}
