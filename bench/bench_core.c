// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * bench_core - what the emulator core costs per access, in user space.
 *
 * Measures, in one run, nanoseconds per operation for
 *   - decode, cold: mt_decode() (Zydis) and the cache-miss path
 *     (mt_dcache_lookup() miss + mt_dcache_fill());
 *   - decode, cache hit: mt_dcache_lookup() over a few hot instructions;
 *   - emulate: mt_emulate() of MOV loads/stores, an ALU read-modify-write,
 *     a LOCK XADD and SSE/AVX/AVX-512 moves, with memcpy callbacks on an
 *     ordinary buffer standing in for the device;
 * each printed beside a plain memory copy of the same width measured in the
 * same run, and the ratio. Times are the best of several repetitions of a
 * timed loop (clock_gettime). Nothing here asserts a time: the machine is
 * shared and timings move; the numbers are for reading.
 *
 * Exit 0, or 1 if the core fails an operation it must do (a decode, a hit
 * on a filled cache slot).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmiotap/emu.h"

#define REPS 15

static uint8_t dev[256] __attribute__((aligned(64)));
static uint8_t vregs[32][64] __attribute__((aligned(64)));
static uint64_t kregs[8];

static int b_read(void *o, uint64_t addr, void *buf, unsigned size,
		  unsigned flags)
{
	memcpy(buf, (const void *)(uintptr_t)addr, size);
	return 0;
}

static int b_write(void *o, uint64_t addr, const void *buf, unsigned size,
		   unsigned flags)
{
	memcpy((void *)(uintptr_t)addr, buf, size);
	return 0;
}

static int b_vget(void *o, unsigned idx, void *buf, unsigned size)
{
	if (idx >= 32 || size > 64)
		return -22;
	memcpy(buf, vregs[idx], size);
	return 0;
}

static int b_vset(void *o, unsigned idx, const void *buf, unsigned size)
{
	if (idx >= 32 || size > 64)
		return -22;
	memcpy(vregs[idx], buf, size);
	return 0;
}

static int b_kget(void *o, unsigned idx, uint64_t *v)
{
	if (idx >= 8)
		return -22;
	*v = kregs[idx];
	return 0;
}

static int b_kset(void *o, unsigned idx, uint64_t v)
{
	if (idx >= 8)
		return -22;
	kregs[idx] = v;
	return 0;
}

static const struct mt_emu_ops ops = {
	.mem_read = b_read,
	.mem_write = b_write,
	.vec_get = b_vget,
	.vec_set = b_vset,
	.kmask_get = b_kget,
	.kmask_set = b_kset,
	.exec_displaced = NULL,
};

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Best-of-REPS ns per iteration of BODY run ITERS times. */
#define TIME_LOOP(result, iters, body)                                         \
	do {                                                                   \
		double best_ = 1e300;                                          \
		for (int rep_ = 0; rep_ < REPS; rep_++) {                      \
			double t0_ = now_ns();                                 \
			for (long i = 0; i < (long)(iters); i++) {             \
				body;                                          \
			}                                                      \
			double dt_ = (now_ns() - t0_) / (double)(iters);       \
			if (dt_ < best_)                                       \
				best_ = dt_;                                   \
		}                                                              \
		(result) = best_;                                              \
	} while (0)

/* A plain copy of `width` bytes from the "device" buffer, as the program
 * would do on untraced memory. The barriers keep each copy in the loop. */
static double plain_copy(unsigned width, long iters)
{
	uint8_t tmp[64] __attribute__((aligned(64)));
	const uint8_t *src = dev;
	double r = 0;

#define COPY_CASE(w)                                                           \
	case w:                                                                \
		TIME_LOOP(r, iters, {                                          \
			__asm__ volatile("" : "+r"(src));                      \
			memcpy(tmp, src, w);                                   \
			__asm__ volatile("" : : "r"(tmp) : "memory");          \
		});                                                            \
		break
	switch (width) {
		COPY_CASE(1);
		COPY_CASE(2);
		COPY_CASE(4);
		COPY_CASE(8);
		COPY_CASE(16);
		COPY_CASE(32);
		COPY_CASE(64);
	}
#undef COPY_CASE
	return r;
}

static void row(const char *what, const char *insn, unsigned width, double ns,
		double base)
{
	printf("| %-22s | %-28s | %5u | %9.2f | %9.2f | %8.1fx |\n", what, insn,
	       width, ns, base, base > 0 ? ns / base : 0.0);
}

struct bcase {
	const char *name;
	uint8_t bytes[15];
	uint8_t len;
	unsigned width;
};

static const struct bcase cases[] = {
	{ "mov eax,[rbx]", { 0x8b, 0x03 }, 2, 4 },
	{ "mov [rbx],eax", { 0x89, 0x03 }, 2, 4 },
	{ "mov rax,[rbx]", { 0x48, 0x8b, 0x03 }, 3, 8 },
	{ "mov [rbx],al", { 0x88, 0x03 }, 2, 1 },
	{ "movzx eax,byte [rbx]", { 0x0f, 0xb6, 0x03 }, 3, 1 },
	{ "or dword [rbx],1", { 0x83, 0x0b, 0x01 }, 3, 4 },
	{ "lock xadd [rbx],rax", { 0xf0, 0x48, 0x0f, 0xc1, 0x03 }, 5, 8 },
	{ "movdqu xmm0,[rbx]", { 0xf3, 0x0f, 0x6f, 0x03 }, 4, 16 },
	{ "vmovdqu ymm0,[rbx]", { 0xc5, 0xfe, 0x6f, 0x03 }, 4, 32 },
	{ "vmovdqu64 zmm0,[rbx]", { 0x62, 0xf1, 0xfe, 0x48, 0x6f, 0x03 }, 6, 64 },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

int main(int argc, char **argv)
{
	long it_fast = 600000, it_slow = 60000;
	static struct mt_decoded slots[1024];
	struct mt_dcache cache;
	struct mt_decoded d;
	const uint64_t rip0 = 0x7f0000001000ull;
	double ns, base;
	int rc;

	if (argc > 1) { /* optional scale factor for quick runs: bench_core 0.1 */
		double f = atof(argv[1]);
		if (f > 0) {
			it_fast = (long)(it_fast * f) + 1;
			it_slow = (long)(it_slow * f) + 1;
		}
	}
	for (unsigned i = 0; i < sizeof(dev); i++)
		dev[i] = (uint8_t)(i * 7 + 1);

	printf("# bench_core: ns per operation (best of %d), beside a plain copy "
	       "of the same width\n\n", REPS);
	printf("| %-22s | %-28s | %5s | %9s | %9s | %9s |\n", "operation",
	       "instruction", "width", "ns/op", "copy ns", "ratio");
	printf("| %-22s | %-28s | %5s | %9s | %9s | %9s |\n", "---", "---",
	       "---:", "---:", "---:", "---:");

	/* ---- decode, cold and hit --------------------------------------------- */
	const struct bcase *c0 = &cases[0];
	base = plain_copy(c0->width, it_fast);
	/* Cold decode of a plain, an ALU and an EVEX form. */
	static const unsigned cold[] = { 0, 5, 9 };
	for (unsigned k = 0; k < sizeof(cold) / sizeof(cold[0]); k++) {
		const struct bcase *bc = &cases[cold[k]];
		if ((rc = mt_decode(&d, bc->bytes, bc->len, rip0))) {
			fprintf(stderr, "bench_core: mt_decode(%s): %s\n",
				bc->name, mt_emu_strerror(rc));
			return 1;
		}
		double b = k ? plain_copy(bc->width, it_fast) : base;
		TIME_LOOP(ns, it_slow, {
			mt_decode(&d, bc->bytes, bc->len, rip0 + (uint64_t)i);
			__asm__ volatile("" : : "r"(&d) : "memory");
		});
		row("decode (mt_decode)", bc->name, bc->width, ns, b);
	}

	if ((rc = mt_dcache_init(&cache, slots, 1024))) {
		fprintf(stderr, "bench_core: mt_dcache_init: %s\n",
			mt_emu_strerror(rc));
		return 1;
	}
	{
		uint64_t rip = rip0 + 0x100000;
		TIME_LOOP(ns, it_slow, {
			/* a new rip each time: always a miss */
			rip += 16;
			const struct mt_decoded *p =
				mt_dcache_lookup(&cache, rip, c0->bytes, c0->len);
			if (!p)
				p = mt_dcache_fill(&cache, rip, c0->bytes, c0->len, &rc);
			__asm__ volatile("" : : "r"(p) : "memory");
		});
		row("decode miss+fill", c0->name, c0->width, ns, base);
	}

	/* Hit: 8 hot instructions (a driver's register accessors) in rotation. */
	enum { NHOT = 8 };
	uint64_t hot_rip[NHOT];
	const struct bcase *hot_case[NHOT];
	for (unsigned h = 0; h < NHOT; h++) {
		hot_case[h] = &cases[h % NCASES];
		hot_rip[h] = rip0 + 0x2000 + 0x40 * h;
		if (!mt_dcache_fill(&cache, hot_rip[h], hot_case[h]->bytes,
				    hot_case[h]->len, &rc)) {
			fprintf(stderr, "bench_core: mt_dcache_fill(%s): %s\n",
				hot_case[h]->name, mt_emu_strerror(rc));
			return 1;
		}
	}
	for (unsigned h = 0; h < NHOT; h++)
		if (!mt_dcache_lookup(&cache, hot_rip[h], hot_case[h]->bytes,
				      hot_case[h]->len)) {
			fprintf(stderr, "bench_core: no cache hit right after fill (%s)\n",
				hot_case[h]->name);
			return 1;
		}
	TIME_LOOP(ns, it_fast, {
		unsigned h = (unsigned)i & (NHOT - 1);
		const struct mt_decoded *p = mt_dcache_lookup(
			&cache, hot_rip[h], hot_case[h]->bytes, hot_case[h]->len);
		__asm__ volatile("" : : "r"(p) : "memory");
	});
	double hit_ns = ns;
	row("decode cache hit", "8 hot instructions", c0->width, ns, base);

	/* ---- emulate ------------------------------------------------------------- */
	unsigned unsupported = 0;
	for (unsigned k = 0; k < NCASES; k++) {
		const struct bcase *bc = &cases[k];
		struct mt_cpu cpu;
		uint64_t rip = rip0 + 0x4000 + 0x40 * k;

		memset(&cpu, 0, sizeof(cpu));
		cpu.gpr[MT_RBX] = (uint64_t)(uintptr_t)dev;
		cpu.gpr[MT_RAX] = 1;
		cpu.rflags = 0x202;
		if ((rc = mt_decode(&d, bc->bytes, bc->len, rip))) {
			fprintf(stderr, "bench_core: mt_decode(%s): %s\n", bc->name,
				mt_emu_strerror(rc));
			return 1;
		}
		cpu.rip = rip;
		rc = mt_emulate(&d, &cpu, &ops, NULL);
		base = plain_copy(bc->width, it_fast);
		if (rc) {
			printf("| %-22s | %-28s | %5u | %9s | %9.2f | %9s |\n",
			       "emulate", bc->name, bc->width, mt_emu_strerror(rc),
			       base, "-");
			unsupported++;
			continue;
		}
		if (cpu.rip != rip + bc->len) {
			fprintf(stderr, "bench_core: %s: rip not advanced past the "
				"instruction\n", bc->name);
			return 1;
		}
		TIME_LOOP(ns, it_fast / 2, {
			cpu.rip = rip;
			mt_emulate(&d, &cpu, &ops, NULL);
			__asm__ volatile("" : : "r"(&cpu) : "memory");
		});
		row("emulate", bc->name, bc->width, ns, base);

		/* The whole core path of a traced access: hit + emulate. */
		const struct mt_decoded *p =
			mt_dcache_fill(&cache, rip, bc->bytes, bc->len, &rc);
		if (!p) {
			fprintf(stderr, "bench_core: mt_dcache_fill(%s): %s\n",
				bc->name, mt_emu_strerror(rc));
			return 1;
		}
		TIME_LOOP(ns, it_fast / 2, {
			cpu.rip = rip;
			const struct mt_decoded *q =
				mt_dcache_lookup(&cache, rip, bc->bytes, bc->len);
			if (q)
				mt_emulate(q, &cpu, &ops, NULL);
			__asm__ volatile("" : : "r"(&cpu) : "memory");
		});
		row("hit + emulate", bc->name, bc->width, ns, base);
	}

	printf("\ndecode cache hit: %.2f ns per lookup (target < 20 ns)\n", hit_ns);
	if (unsupported)
		printf("%u benchmark instructions not emulated by this core\n",
		       unsupported);
	return 0;
}
