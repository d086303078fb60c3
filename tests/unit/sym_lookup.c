// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * sym_lookup.c - sym/ on itself: mt_objtrack reads this process's
 * /proc/self/maps and makes OBJECT records (build id and bias with
 * libelf), the symbolizer resolves the address of a static function of
 * this file to its name, offset 0 and this file; KSYM records resolve
 * kernel addresses inside their functions only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmiotap/sym.h"

static int failures;
#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #c);                                \
			failures++;                                           \
		}                                                             \
	} while (0)

static __attribute__((noinline)) int marker_fn(int x)
{
	return x * 3 + 1;
}

/* emit: the record straight into the symbolizer */
static int to_sym(void *arg, const struct mt_object_info *oi, const struct mt_obj_range *r)
{
	uint8_t buf[8192];
	struct mt_event ev;
	int n = mt_object_encode(buf, sizeof(buf), oi, r);

	if (n < 0)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.kind = MT_REC_OBJECT;
	ev.text = (const char *)buf;
	ev.text_len = (size_t)n;
	return mt_sym_add(arg, &ev);
}

static void ksym(struct mt_sym *s, uint64_t addr, uint64_t size, const char *name, const char *mod)
{
	uint8_t buf[256];
	struct mt_ksym_info k = { .addr = addr, .size = size, .type = 't', .name = name,
				  .name_len = (uint16_t)strlen(name), .module = mod,
				  .module_len = (uint16_t)strlen(mod) };
	struct mt_event ev;
	int n = mt_ksym_encode(buf, sizeof(buf), &k);

	CHECK(n > 0);
	memset(&ev, 0, sizeof(ev));
	ev.kind = MT_REC_KSYM;
	ev.text = (const char *)buf;
	ev.text_len = (size_t)n;
	CHECK(!mt_sym_add(s, &ev));
}

int main(void)
{
	struct mt_objtrack *t = mt_objtrack_new();
	struct mt_sym *s = mt_sym_new();
	uint64_t pc = (uint64_t)(uintptr_t)&marker_fn;
	struct mt_sym_loc loc;
	char name[256];

	CHECK(t && s && marker_fn(1) == 4);
	CHECK(mt_objtrack_pc(t, (uint32_t)getpid(), pc, 1, 1, to_sym, s) >= 1);
	CHECK(mt_objtrack_known(t, (uint32_t)getpid(), pc));
	/* known now: no second look */
	CHECK(mt_objtrack_pc(t, (uint32_t)getpid(), pc, 2, 2, to_sym, s) == 0);
	CHECK(mt_sym_lookup(s, (uint32_t)getpid(), pc, UINT64_MAX, &loc) == 1);
	CHECK(loc.func && !strcmp(loc.func, "marker_fn") && loc.off == 0);
	CHECK(loc.file && strstr(loc.file, "sym_lookup.c") && loc.line > 0);
	CHECK(!loc.build_id_mismatch);
	mt_sym_format(&loc, 1, pc, name, sizeof(name));
	CHECK(!strcmp(name, "marker_fn+0x0"));
	CHECK(mt_sym_lookup(s, (uint32_t)getpid(), 0x10, UINT64_MAX, &loc) == 0);
	mt_sym_format(&loc, 0, 0x10, name, sizeof(name));
	CHECK(!strcmp(name, "0x10"));

	/* an exec at the same addresses: each access gets the image it ran */
	struct mt_obj_range r = { 0x400000, 0x401000, 0 };
	struct mt_object_info oi = { .pid = 4242, .seq = 10, .nranges = 1,
				     .path = "/old", .path_len = 4 };
	CHECK(to_sym(s, &oi, &r) == 0);
	oi.seq = 100;
	oi.path = "/new";
	CHECK(to_sym(s, &oi, &r) == 0);
	CHECK(mt_sym_lookup(s, 4242, 0x400010, 50, &loc) == 1 && !strcmp(loc.object, "/old"));
	CHECK(loc.ambiguous);
	CHECK(mt_sym_lookup(s, 4242, 0x400010, 5, &loc) == 1 && !strcmp(loc.object, "/old"));
	CHECK(mt_sym_lookup(s, 4242, 0x400010, 100, &loc) == 1 && !strcmp(loc.object, "/new"));
	CHECK(mt_sym_lookup(s, 4242, 0x400010, UINT64_MAX, &loc) == 1 && !strcmp(loc.object, "/new"));
	CHECK(mt_sym_lookup(s, 4243, 0x400010, 50, &loc) == 1 && !strcmp(loc.object, "/old"));
	CHECK(!mt_objtrack_known(t, 4242, 0x400000));
	mt_objtrack_note(t, 4242, 0x400000, 0x401000);
	CHECK(mt_objtrack_known(t, 4242, 0x400000));
	mt_objtrack_forget(t, 4242);
	CHECK(!mt_objtrack_known(t, 4242, 0x400000));
	CHECK(mt_objtrack_known(t, (uint32_t)getpid(), pc));

	ksym(s, 0xffffffffc0001000, 0x100, "e1000_probe", "e1000");
	ksym(s, 0xffffffff81000000, 0x40, "start_kernel", "");
	CHECK(mt_sym_lookup(s, 0, 0xffffffffc00010ff, UINT64_MAX, &loc) == 1);
	CHECK(!strcmp(loc.func, "e1000_probe") && loc.off == 0xff && !strcmp(loc.object, "[e1000]"));
	CHECK(mt_sym_lookup(s, 0, 0xffffffffc0001100, UINT64_MAX, &loc) == 0); /* past its size */
	CHECK(mt_sym_lookup(s, 0, 0xffffffff81000004, UINT64_MAX, &loc) == 1 && !strcmp(loc.object, "[kernel]"));
	mt_objtrack_free(t);
	mt_sym_free(s);
	if (failures) {
		fprintf(stderr, "%d failures\n", failures);
		return 1;
	}
	printf("sym_lookup: ok\n");
	return 0;
}
