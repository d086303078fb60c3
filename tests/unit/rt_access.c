// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * rt_access.c - the access path both user-space backends share
 * (runtime/common/access.c) behind a fake backend: program memory at
 * PROG, one traced region [DEV, DEV + 64) whose alias is dev[], events
 * collected. Split at region boundaries, protection, the order of probes,
 * rules, sequence number and device access, and the injection rule
 * (mt_inject_flags) as the events show it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "mmiotap/emu.h"
#include "mmiotap/rt_access.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

#define PROG 0x10000ull  /* program memory: PROG .. PROG + 256 */
#define DEV 0x10040ull   /* the traced region: DEV .. DEV + 64 */

static uint8_t prog[256], dev[64];

/* what the backend does, set per test */
static struct {
	int prot;
	uint32_t map_id;
	uint64_t fault_at;       /* plain memory fails from here (0: never) */
	unsigned inject_xor;     /* injection: xor the first byte with this */
	unsigned inject_ret;     /* ... and return these flags */
	int inject_on;
	uint8_t probe_pre, probe_post; /* probes: set byte 0 to this (0: leave) */
	int probe_drop;
	uint64_t dev_fail_at;    /* device accesses fail from here (0: never) */
	char log[64];            /* P pre probe, p post, I inject, S seq, E event */
	uint8_t dev_at_seq;      /* dev[0] when the seq was reserved */
	uint64_t seq;
	struct { struct mt_ev ev; uint8_t data[128]; } ev[8];
	int nev;
} B;

static void logc(char c)
{
	size_t n = strlen(B.log);
	if (n + 1 < sizeof(B.log))
		B.log[n] = c;
}

static int fk_region(void *be, uint64_t addr, struct mt_acc_region *r)
{
	if (addr >= DEV && addr < DEV + sizeof(dev)) {
		r->start = DEV;
		r->end = DEV + sizeof(dev);
		r->alias = dev;
		r->prot = B.prot;
		r->map_id = B.map_id;
		r->map_start = DEV;
		r->rules = B.inject_on;
		return 1;
	}
	r->end = addr < DEV ? DEV : UINT64_MAX;
	return 0;
}

static int fk_plain(void *be, uint64_t addr, void *buf, unsigned n, int is_write,
		    uint64_t *fault)
{
	CHECK(addr >= PROG && addr + n <= PROG + sizeof(prog));
	CHECK(addr + n <= DEV || addr >= DEV + sizeof(dev)); /* never the device */
	if (B.fault_at && addr + n > B.fault_at) {
		*fault = addr > B.fault_at ? addr : B.fault_at;
		return -EFAULT;
	}
	if (is_write)
		memcpy(prog + (addr - PROG), buf, n);
	else
		memcpy(buf, prog + (addr - PROG), n);
	return 0;
}

static unsigned fk_probe(void *be, int post, uint64_t addr, void *val, unsigned size,
			 int is_write)
{
	logc(post ? 'p' : 'P');
	uint8_t v = post ? B.probe_post : B.probe_pre;
	if (v)
		((uint8_t *)val)[0] = v;
	return is_write && !post && B.probe_drop ? MT_EVF_DROPPED : 0;
}

static unsigned fk_inject(void *be, const struct mt_acc_region *r, uint64_t addr,
			  int is_write, void *val, unsigned size)
{
	logc('I');
	((uint8_t *)val)[0] ^= (uint8_t)B.inject_xor;
	return B.inject_ret;
}

static uint64_t fk_reserve(void *be)
{
	logc('S');
	B.dev_at_seq = dev[0];
	return B.seq++;
}

static void fk_unreserve(void *be, uint64_t seq)
{
	logc('U');
	CHECK(seq + 1 == B.seq);
	B.seq = seq;
}

/* The alias, as a device that is gone from dev_fail_at on (SIGBUS). */
static int fk_dev(void *be, uint64_t addr, volatile uint8_t *p, void *val, unsigned size,
		  int is_write, uint64_t *fault)
{
	logc('D');
	CHECK(p == dev + (addr - DEV));
	if (B.dev_fail_at && addr + size > B.dev_fail_at) {
		*fault = addr > B.dev_fail_at ? addr : B.dev_fail_at;
		return -EFAULT;
	}
	if (is_write)
		memcpy((uint8_t *)p, val, size);
	else
		memcpy(val, (uint8_t *)p, size);
	return 0;
}

static void fk_put(void *be, struct mt_ev *ev)
{
	logc('E');
	CHECK(ev->size <= sizeof(B.ev[0]));
	if (B.nev < 8)
		memcpy(&B.ev[B.nev++], ev, ev->size);
}

static const struct mt_acc_ops fk_ops = {
	.region = fk_region, .plain = fk_plain, .probe = fk_probe, .inject = fk_inject,
	.reserve_seq = fk_reserve, .put = fk_put,
};

static const struct mt_acc_ops fk_ops_dev = {
	.region = fk_region, .plain = fk_plain, .probe = fk_probe, .inject = fk_inject,
	.reserve_seq = fk_reserve, .unreserve_seq = fk_unreserve, .dev = fk_dev, .put = fk_put,
};

static void reset(struct mt_acc *a)
{
	memset(&B, 0, sizeof(B));
	B.prot = PROT_READ | PROT_WRITE;
	B.map_id = 7;
	B.seq = 100;
	for (unsigned i = 0; i < sizeof(prog); i++)
		prog[i] = (uint8_t)i;
	for (unsigned i = 0; i < sizeof(dev); i++)
		dev[i] = (uint8_t)(0xa0 + i);
	memset(a, 0, sizeof(*a));
	a->ops = &fk_ops;
	a->pc = 0x401000;
}

/* The event carries an original value after the value (the test's values
 * are never zero; without one, the padding is). */
static int has_orig(const struct mt_ev *ev)
{
	static const uint8_t zero[MT_ACC_MAX];
	if (ev->size < ((sizeof(struct mt_ev) + 2u * ev->width + 7) & ~7u))
		return 0;
	return memcmp(ev->data + ev->width, zero, ev->width) != 0;
}

/* An 8-byte read straddling into the region, and a write straddling out. */
static void test_straddle(void)
{
	struct mt_acc a;
	uint8_t buf[8];
	reset(&a);
	CHECK(mt_acc_read(&a, DEV - 4, buf, 8, 0) == 0);
	CHECK(!memcmp(buf, prog + (DEV - 4 - PROG), 4) && !memcmp(buf + 4, dev, 4));
	CHECK(B.nev == 1 && a.ntraced == 1);
	CHECK(B.ev[0].ev.type == MT_EV_READ && B.ev[0].ev.addr == DEV && B.ev[0].ev.width == 4);
	CHECK(B.ev[0].ev.seq == 100 && B.ev[0].ev.map_id == 7 && B.ev[0].ev.pc == 0x401000);
	CHECK(B.ev[0].ev.flags == 0 && !has_orig(&B.ev[0].ev));
	CHECK(!memcmp(B.ev[0].ev.data, dev, 4));

	reset(&a);
	const uint8_t w[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	CHECK(mt_acc_write(&a, DEV + 60, w, 8, MT_ACC_LOCKED) == 0);
	CHECK(!memcmp(dev + 60, w, 4) && !memcmp(prog + (DEV + 64 - PROG), w + 4, 4));
	CHECK(B.nev == 1 && B.ev[0].ev.type == MT_EV_WRITE && B.ev[0].ev.width == 4);
	CHECK(B.ev[0].ev.addr == DEV + 60 && (B.ev[0].ev.flags & MT_EVF_LOCKED));
	CHECK(!strcmp(B.log, "PSpE"));
}

/* Order: write: pre probe, rules, seq, device, post probe; read: pre
 * probe, seq, device, rules, post probe. */
static void test_order(void)
{
	struct mt_acc a;
	uint8_t buf[4] = { 0x11, 0x22, 0x33, 0x44 };
	reset(&a);
	B.inject_on = 1;
	CHECK(mt_acc_write(&a, DEV, buf, 4, 0) == 0);
	CHECK(!strcmp(B.log, "PISpE"));
	CHECK(B.dev_at_seq == 0xa0 && dev[0] == 0x11); /* seq before the device write */

	reset(&a);
	B.inject_on = 1;
	CHECK(mt_acc_read(&a, DEV, buf, 4, 0) == 0);
	CHECK(!strcmp(B.log, "PSIpE"));
}

static void test_dropped_write(void)
{
	struct mt_acc a;
	const uint8_t w[4] = { 0x11, 0x22, 0x33, 0x44 };
	reset(&a);
	B.inject_on = 1;
	B.inject_ret = MT_EVF_DROPPED;
	CHECK(mt_acc_write(&a, DEV + 8, w, 4, 0) == 0);
	CHECK(dev[8] == 0xa8); /* not written */
	CHECK(B.nev == 1);
	CHECK(B.ev[0].ev.flags == (MT_EVF_INJECTED | MT_EVF_DROPPED));
	CHECK(has_orig(&B.ev[0].ev) && !memcmp(B.ev[0].ev.data + 4, w, 4));

	/* dropped by a probe: PROBE, not INJECTED */
	reset(&a);
	B.probe_drop = 1;
	CHECK(mt_acc_write(&a, DEV + 8, w, 4, 0) == 0);
	CHECK(dev[8] == 0xa8 && B.ev[0].ev.flags == (MT_EVF_PROBE | MT_EVF_DROPPED));
}

/* A rule that acts but leaves the value equal flags nothing but a delay. */
static void test_injected_unchanged(void)
{
	struct mt_acc a;
	uint8_t buf[4];
	reset(&a);
	B.inject_on = 1;
	B.inject_ret = MT_EVF_DELAYED;
	CHECK(mt_acc_read(&a, DEV, buf, 4, 0) == 0);
	CHECK(!memcmp(buf, dev, 4));
	CHECK(B.nev == 1 && B.ev[0].ev.flags == MT_EVF_DELAYED && !has_orig(&B.ev[0].ev));

	reset(&a);
	B.inject_on = 1;
	CHECK(mt_acc_read(&a, DEV, buf, 4, 0) == 0);
	CHECK(B.ev[0].ev.flags == 0 && !has_orig(&B.ev[0].ev));

	/* a changed value: INJECTED with the device's value as the original */
	reset(&a);
	B.inject_on = 1;
	B.inject_xor = 0xff;
	CHECK(mt_acc_read(&a, DEV, buf, 4, 0) == 0);
	CHECK(buf[0] == (0xa0 ^ 0xff) && B.ev[0].ev.flags == MT_EVF_INJECTED);
	CHECK(has_orig(&B.ev[0].ev) && B.ev[0].ev.data[0] == buf[0] &&
	      B.ev[0].ev.data[4] == 0xa0);
}

static void test_probe_change(void)
{
	struct mt_acc a;
	uint8_t buf[2];
	reset(&a);
	B.probe_post = 0x5a;
	CHECK(mt_acc_read(&a, DEV + 2, buf, 2, 0) == 0);
	CHECK(buf[0] == 0x5a && B.ev[0].ev.flags == MT_EVF_PROBE);
	CHECK(has_orig(&B.ev[0].ev) && B.ev[0].ev.data[0] == 0x5a && B.ev[0].ev.data[2] == 0xa2);

	/* a pre probe's new value reaches the device */
	reset(&a);
	B.probe_pre = 0x5a;
	const uint8_t w[2] = { 1, 2 };
	CHECK(mt_acc_write(&a, DEV + 2, w, 2, 0) == 0);
	CHECK(dev[2] == 0x5a && B.ev[0].ev.flags == MT_EVF_PROBE && B.ev[0].ev.data[2] == 1);

	/* a post probe of a write sees a copy: the device has its value */
	reset(&a);
	B.probe_post = 0x5a;
	CHECK(mt_acc_write(&a, DEV + 2, w, 2, 0) == 0);
	CHECK(dev[2] == 1 && B.ev[0].ev.flags == 0 && B.ev[0].ev.data[0] == 1);

	/* a pre probe of a read cannot change what is read */
	reset(&a);
	B.probe_pre = 0x5a;
	CHECK(mt_acc_read(&a, DEV + 2, buf, 2, 0) == 0);
	CHECK(buf[0] == 0xa2 && B.ev[0].ev.flags == 0);
}

static void test_errors(void)
{
	struct mt_acc a;
	uint8_t buf[8] = { 0 };
	/* the region's protection */
	reset(&a);
	B.prot = PROT_READ;
	CHECK(mt_acc_write(&a, DEV, buf, 4, 0) == -EFAULT);
	CHECK(a.denied && !a.faulted && B.nev == 0 && dev[0] == 0xa0 && B.log[0] == 0);
	CHECK(a.fault_addr == DEV && a.fault_write && mt_acc_stopped(&a, MT_EMU_MEMFAULT));
	CHECK(!mt_acc_stopped(&a, 0));

	/* refused part-way through a straddling access: no piece is made,
	 * as the CPU checks every page first */
	reset(&a);
	B.prot = PROT_READ;
	const uint8_t w[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	CHECK(mt_acc_write(&a, DEV - 4, w, 8, 0) == -EFAULT);
	CHECK(a.denied && a.fault_addr == DEV && a.fault_write);
	CHECK(prog[DEV - 4 - PROG] == (uint8_t)(DEV - 4 - PROG) && dev[0] == 0xa0 && B.nev == 0);
	reset(&a);
	B.prot = PROT_NONE;
	CHECK(mt_acc_read(&a, DEV - 4, buf, 8, 0) == -EFAULT);
	CHECK(a.denied && a.fault_addr == DEV && !a.fault_write && B.log[0] == 0);

	/* ordinary memory fails: the address is reported */
	reset(&a);
	B.fault_at = PROG + 0x10;
	CHECK(mt_acc_read(&a, PROG + 0xc, buf, 8, 0) == -EFAULT);
	CHECK(a.faulted && a.fault_addr == PROG + 0x10 && !a.denied);

	/* a traced piece before a failing one was made and recorded */
	reset(&a);
	B.fault_at = DEV + 64 + 2;
	CHECK(mt_acc_read(&a, DEV + 60, buf, 8, 0) == -EFAULT);
	CHECK(B.nev == 1 && a.faulted && a.fault_addr == DEV + 66);

	/* not recorded (map id 0): no sequence number, no event */
	reset(&a);
	B.map_id = 0;
	CHECK(mt_acc_read(&a, DEV, buf, 4, 0) == 0);
	CHECK(B.nev == 0 && B.seq == 100 && a.ntraced == 1);

	reset(&a);
	CHECK(mt_acc_read(&a, DEV, buf, MT_ACC_MAX + 1, 0) == -EINVAL);
}

/* The device access fails (the backend's dev: SIGBUS on the alias):
 * nothing recorded, the number given back, the program's address told. */
static void test_dev_fault(void)
{
	struct mt_acc a;
	uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	reset(&a);
	a.ops = &fk_ops_dev;
	CHECK(mt_acc_read(&a, DEV, buf, 4, 0) == 0 && !memcmp(buf, dev, 4));
	CHECK(B.nev == 1 && !strcmp(B.log, "PSDpE"));

	reset(&a);
	a.ops = &fk_ops_dev;
	B.dev_fail_at = DEV + 8;
	CHECK(mt_acc_write(&a, DEV + 8, buf, 4, 0) == -EFAULT);
	CHECK(a.devfault && !a.faulted && !a.denied && a.fault_addr == DEV + 8);
	CHECK(B.nev == 0 && B.seq == 100 && a.ntraced == 0 && !strcmp(B.log, "PSDU"));
	CHECK(dev[8] == 0xa8);

	/* a piece before the failing one stands, recorded */
	reset(&a);
	a.ops = &fk_ops_dev;
	B.dev_fail_at = DEV + 8;
	CHECK(mt_acc_read(&a, DEV + 4, buf, 4, 0) == 0);
	CHECK(mt_acc_read(&a, DEV + 8, buf, 4, 0) == -EFAULT);
	CHECK(B.nev == 1 && B.ev[0].ev.seq == 100 && B.seq == 101 && a.ntraced == 1);
}

int main(void)
{
	test_straddle();
	test_order();
	test_dropped_write();
	test_injected_unchanged();
	test_probe_change();
	test_errors();
	test_dev_fault();
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	return failures ? 1 : 0;
}
