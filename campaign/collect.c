// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * collect.c - `mmiotap campaign collect PLAN DIR`: results of experiments
 * run by another runner (the kernel campaign in QEMU, a board over ssh):
 * for each experiment with a DIR/eID.status, one line
 *     VERDICT<TAB>DETAIL[<TAB>SECONDS[<TAB>CRASH]]
 * and its DIR/eID.trace compared with DIR/baseline.s1.trace, a results
 * line is appended to DIR/results.txt as `run` writes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "campaign.h"
#include "cp_outcome.h"
#include "cp_report.h"

/* 1 read, 0 no status file, -1 malformed */
static int read_status(const char *dir, unsigned id, struct cp_result *r)
{
	char path[4096], line[1024], *f[4] = { NULL }, *s = line;
	FILE *fp;
	int n = 0;

	snprintf(path, sizeof(path), "%s/e%u.status", dir, id);
	fp = fopen(path, "r");
	if (!fp)
		return 0;
	if (!fgets(line, sizeof(line), fp))
		line[0] = 0;
	fclose(fp);
	line[strcspn(line, "\r\n")] = 0;
	while (n < 4 && s) {
		f[n++] = s;
		s = strchr(s, '\t');
		if (s)
			*s++ = 0;
	}
	if (n < 2 || cp_verdict_index(f[0]) < 0 || strlen(f[0]) >= sizeof(r->verdict))
		return -1;
	strcpy(r->verdict, f[0]);
	snprintf(r->detail, sizeof(r->detail), "%s", f[1]);
	r->secs = n > 2 ? strtod(f[2], NULL) : 0;
	if (n > 3)
		snprintf(r->crash, sizeof(r->crash), "%s", f[3]);
	return 1;
}

int cp_collect(const struct cp_plan *p, const char *dir, void (*msg)(const char *fmt, ...))
{
	struct cp_baseline base;
	char path[4096], line[4096];
	size_t done = 0;
	int fd, rc, failed = 0;

	snprintf(path, sizeof(path), "%s/baseline.s1.trace", dir);
	rc = cp_baseline_load(path, &base);
	if (rc < 0) {
		msg("%s: %s", path, strerror(-rc));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/results.txt", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		msg("%s: %s", path, strerror(errno));
		cp_baseline_free(&base);
		return -1;
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct cp_exp *e = &p->exp[i];
		struct cp_result r;
		int n;

		memset(&r, 0, sizeof(r));
		r.id = e->id;
		rc = read_status(dir, e->id, &r);
		if (rc < 0)
			msg("%s/e%u.status: not VERDICT<TAB>DETAIL...: skipped", dir, e->id);
		if (rc <= 0)
			continue;
		char crash[sizeof(r.crash)];
		snprintf(crash, sizeof(crash), "%s", r.crash);
		snprintf(path, sizeof(path), "%s/e%u.trace", dir, e->id);
		cp_outcome_read(path, &base, &r);
		if (crash[0]) /* the runner's (a kernel report) over the trace's */
			snprintf(r.crash, sizeof(r.crash), "%s", crash);
		snprintf(r.fault, sizeof(r.fault), "%s", e->fault);
		snprintf(r.reg, sizeof(r.reg), "0x%llx/%u", (unsigned long long)e->off, e->width);
		snprintf(r.rule, sizeof(r.rule), "%s", e->rule);
		n = cp_result_format(&r, line, sizeof(line));
		if (n < 0 || write(fd, line, (size_t)n) != n) {
			msg("cannot write %s/results.txt", dir);
			failed = 1;
			break;
		}
		done++;
	}
	if (close(fd) && !failed) {
		msg("cannot write %s/results.txt: %s", dir, strerror(errno));
		failed = 1;
	}
	cp_baseline_free(&base);
	fprintf(stderr, "%s: %zu results collected\n", dir, done);
	return failed ? -1 : 0;
}
