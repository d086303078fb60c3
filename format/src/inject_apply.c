// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * inject_apply.c - the per-access half of the injection rules. No libc, no
 * allocation, no state but the caller's counters: builds in the kernel
 * module as is (only mmiotap/inject.h needed).
 */
#include "mmiotap/inject.h"

/* splitmix64: the decision for occurrence n of a rule depends only on
 * (seed, n), so runs are reproducible and threads need no shared RNG. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static int occurs(const struct mt_inject_rule *r, uint64_t n)
{
	if (n < r->first || n > r->last)
		return 0;
	if (r->step > 1 && (n - r->first) % r->step)
		return 0;
	if (r->prob != 0xffffffffu &&
	    (uint32_t)(mix64(r->seed ^ mix64(n)) >> 32) >= r->prob)
		return 0;
	return 1;
}

static uint64_t lane_get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void lane_put(uint8_t *p, unsigned n, uint64_t v)
{
	unsigned i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int mt_inject_apply(const struct mt_inject_rule *rules, unsigned n, uint64_t *counters,
		    uint64_t map_phys, uint64_t offset, unsigned width, int is_write,
		    uint8_t *value, struct mt_inject_result *res)
{
	unsigned i;
	int any = 0;

	res->injected = 0;
	res->drop = 0;
	res->delay_ns = 0;
	res->rule = -1;
	for (i = 0; i < n; i++) {
		const struct mt_inject_rule *r = &rules[i];
		unsigned done;

		if (!(r->dir & (is_write ? MT_DIR_W : MT_DIR_R)))
			continue;
		if (r->width && r->width != width)
			continue;
		if (r->has_off && (offset < r->off_lo || offset > r->off_hi))
			continue;
		if (r->target == MT_TGT_PHYS &&
		    (map_phys + offset < r->phys_lo || map_phys + offset > r->phys_hi))
			continue;
		if (!occurs(r, ++counters[i]))
			continue;
		for (done = 0; done < width; done += 8) {
			unsigned k = width - done < 8 ? width - done : 8;
			uint64_t v = lane_get(value + done, k);

			if (r->actions & MT_ACT_VALUE)
				v = r->value;
			if (r->actions & MT_ACT_AND)
				v &= r->and_mask;
			if (r->actions & MT_ACT_OR)
				v |= r->or_mask;
			if (r->actions & MT_ACT_XOR)
				v ^= r->xor_mask;
			lane_put(value + done, k, v);
		}
		if ((r->actions & MT_ACT_DROP) && is_write)
			res->drop = 1;
		if (r->actions & MT_ACT_DELAY)
			res->delay_ns += r->delay_ns;
		res->rule = (int)i;
		any = 1;
	}
	res->injected = any;
	return any;
}

unsigned mt_inject_flags(const uint8_t *orig, const uint8_t *value, unsigned width,
			 unsigned changed_by, unsigned dropped_by, int delayed)
{
	unsigned i, who = dropped_by, fl = delayed ? MT_INJF_DELAYED : 0;

	for (i = 0; i < width; i++) {
		if (orig[i] != value[i]) {
			who |= changed_by ? changed_by : MT_INJ_RULE;
			break;
		}
	}
	if (who & MT_INJ_RULE)
		fl |= MT_INJF_INJECTED;
	if (who & MT_INJ_PROBE)
		fl |= MT_INJF_PROBE;
	if (dropped_by)
		fl |= MT_INJF_DROPPED;
	return fl;
}
