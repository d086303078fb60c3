// SPDX-License-Identifier: GPL-2.0 OR MIT
/* campaign_plan.c - plan files (round trip, errors with their line),
 * results lines (round trip, malformed lines), faults as rule items. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"

static int failed;
#define CHECK(c) do { if (!(c)) { printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failed = 1; } } while (0)

static int read_text(const char *text, struct cp_plan *p, char *err)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc = cp_plan_read(f, "p", p, err, CP_ERR_MAX);
	fclose(f);
	return rc;
}

static void plans(void)
{
	struct cp_plan p = { 0 }, q = { 0 };
	char err[CP_ERR_MAX], *buf = NULL;
	size_t len = 0;

	CHECK(read_text(CP_PLAN_MAGIC "\n# c\n\n7 all-ones 0x8/4 2 pc=0x1234  file=/dev/uio0,off=0x8,"
			"width=4,dir=r,when=3,value=0xffffffff\n", &p, err) == 0);
	CHECK(p.n == 1 && p.exp[0].id == 7 && p.exp[0].off == 8 && p.exp[0].width == 4 &&
	      p.exp[0].occ == 2 && p.exp[0].pc == 0x1234 && !strcmp(p.exp[0].fault, "all-ones") &&
	      !strcmp(p.exp[0].rule, "file=/dev/uio0,off=0x8,width=4,dir=r,when=3,value=0xffffffff"));
	FILE *f = open_memstream(&buf, &len);
	CHECK(cp_plan_write(f, &p, "t") == 0);
	fclose(f);
	CHECK(read_text(buf, &q, err) == 0 && q.n == 1 && !strcmp(q.exp[0].rule, p.exp[0].rule) &&
	      q.exp[0].pc == 0x1234);
	free(buf);
	cp_plan_free(&p);
	cp_plan_free(&q);

	CHECK(read_text("", &p, err) < 0 && strstr(err, "p:1:"));
	cp_plan_free(&p);
	CHECK(read_text("plan\n", &p, err) < 0 && strstr(err, "p:1: not a campaign plan"));
	cp_plan_free(&p);
	CHECK(read_text(CP_PLAN_MAGIC "\n1 zero 0x0/4 1 pc=0x1\n", &p, err) < 0 &&
	      strstr(err, "p:2: no RULE"));
	cp_plan_free(&p);
	CHECK(read_text(CP_PLAN_MAGIC "\n1 zero 0x0 1 pc=0x1 off=0,value=0\n", &p, err) < 0 &&
	      strstr(err, "p:2: REG"));
	cp_plan_free(&p);
	CHECK(read_text(CP_PLAN_MAGIC "\n#\n1 zero 0x0/4 1 pc=0x1 off=0,valu=0\n", &p, err) < 0 &&
	      strstr(err, "p:3: RULE column 7"));
	cp_plan_free(&p);
	CHECK(read_text(CP_PLAN_MAGIC "\n0 zero 0x0/4 1 pc=0x1 value=0\n", &p, err) < 0 &&
	      strstr(err, "p:2: ID"));
	cp_plan_free(&p);
	CHECK(read_text(CP_PLAN_MAGIC "\n1 zero 0x0/4 1 pc=0x1 value=0\n1 zero 0x4/4 1 pc=0x1 "
			"value=0\n", &p, err) < 0 && strstr(err, "ID 1 appears twice"));
	cp_plan_free(&p);
}

static void results(void)
{
	struct cp_result r = { .id = 12, .secs = 0.25, .inj = 1 }, s;
	char line[4096];

	strcpy(r.verdict, "crash");
	strcpy(r.detail, "SIGSEGV");
	strcpy(r.crash, "/bin/x+0x10 (pc=0x1 addr=0x2)");
	strcpy(r.fault, "all-ones");
	strcpy(r.reg, "0x8/4");
	strcpy(r.rule, "file=/a\tb,off=0x8,value=1"); /* a tab becomes a blank */
	CHECK(cp_result_format(&r, line, sizeof(line)) > 0);
	CHECK(cp_result_parse(line, &s) == 1);
	CHECK(s.id == 12 && !strcmp(s.verdict, "crash") && !strcmp(s.div, "-") &&
	      !strcmp(s.crash, r.crash) && !strcmp(s.rule, "file=/a b,off=0x8,value=1") &&
	      s.inj == 1 && s.secs > 0.24 && s.secs < 0.26);
	strcpy(line, "# comment\n");
	CHECK(cp_result_parse(line, &s) == 0);
	strcpy(line, "12\tcrash\tx\n");
	CHECK(cp_result_parse(line, &s) < 0);
	strcpy(line, "x\tcrash\tx\t1\t1\t-\t-\tf\tr\trule\n");
	CHECK(cp_result_parse(line, &s) < 0);
	strcpy(line, "1\tcrash\tx\t1\t1\t-\t-\tf\tr\trule\textra\n");
	CHECK(cp_result_parse(line, &s) < 0);
}

static void faults(void)
{
	struct cp_fault f[8];
	size_t n;
	char err[CP_ERR_MAX], buf[128];

	CHECK(cp_fault_parse_list("all-ones,zero,flip:9,stuck:0x80,delay:50", f, 8, &n, err,
				  sizeof(err)) == 0 && n == 5);
	CHECK(cp_fault_actions(&f[0], 2, 3, buf, sizeof(buf)) == 0 &&
	      !strcmp(buf, "when=3,value=0xffff"));
	CHECK(cp_fault_actions(&f[0], 8, 1, buf, sizeof(buf)) == 0 &&
	      !strcmp(buf, "when=1,value=0xffffffffffffffff"));
	CHECK(cp_fault_actions(&f[2], 1, 1, buf, sizeof(buf)) < 0); /* bit 9 of a byte */
	CHECK(cp_fault_actions(&f[2], 2, 1, buf, sizeof(buf)) == 0 && !strcmp(buf, "when=1,xor=0x200"));
	CHECK(cp_fault_actions(&f[3], 4, 5, buf, sizeof(buf)) == 0 && !strcmp(buf, "when=5+,value=0x80"));
	CHECK(cp_fault_actions(&f[3], 1, 5, buf, sizeof(buf)) == 0);
	CHECK(cp_fault_actions(&f[4], 4, 2, buf, sizeof(buf)) == 0 && !strcmp(buf, "when=2,delay=50us"));
	CHECK(cp_fault_name(&f[3], buf, sizeof(buf)) == 0 && !strcmp(buf, "stuck:0x80"));
	CHECK(cp_fault_parse_list("flip:64", f, 8, &n, err, sizeof(err)) < 0);
	CHECK(cp_fault_parse_list("delay:0", f, 8, &n, err, sizeof(err)) < 0);
	CHECK(cp_fault_parse_list("stuck:", f, 8, &n, err, sizeof(err)) < 0);
	CHECK(cp_fault_parse_list("", f, 8, &n, err, sizeof(err)) < 0);
	CHECK(cp_fault_parse_list("zero,zero", f, 1, &n, err, sizeof(err)) < 0);
}

int main(void)
{
	plans();
	results();
	faults();
	if (!failed)
		printf("PASS campaign_plan\n");
	return failed;
}
