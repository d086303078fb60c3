// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * report.c - `mmiotap campaign report DIR...`: the results of every shard
 * merged (one line per experiment ID; a later line wins, so a rerun of an
 * experiment replaces it), a table per register and fault with the
 * verdicts, and each distinct failure (crash, hang, error exit: same
 * verdict, detail and crash site) with its first experiment, what the
 * program reported, the rule and the command that reproduces it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "campaign.h"
#include "cp_report.h"

const char *const cp_verdicts[CP_NVERDICTS] = { "crash", "hang", "error", "different", "same" };

int cp_verdict_index(const char *v)
{
	for (int i = 0; i < CP_NVERDICTS; i++)
		if (!strcmp(v, cp_verdicts[i]))
			return i;
	return -1;
}

static int load_dir(const char *dir, struct cp_table *t, size_t *cap,
		    void (*msg)(const char *fmt, ...))
{
	char path[4096], *line = NULL;
	size_t lcap = 0;
	unsigned lineno = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/results.txt", dir);
	f = fopen(path, "r");
	if (!f) {
		msg("%s: %s", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &lcap, f) >= 0) {
		struct cp_row row;
		int rc;

		lineno++;
		memset(&row, 0, sizeof(row));
		rc = cp_result_parse(line, &row.r);
		if (rc == 0)
			continue;
		if (rc < 0 || cp_verdict_index(row.r.verdict) < 0) {
			msg("%s:%u: not a result line", path, lineno);
			continue; /* a line cut by a crash of the runner: the rest counts */
		}
		row.dir = dir;
		row.order = t->n;
		cp_rule_device(row.r.rule, row.device, sizeof(row.device));
		if (t->n == *cap) {
			size_t nc = *cap ? 2 * *cap : 256;
			struct cp_row *n = realloc(t->rows, nc * sizeof(*n));
			if (!n) {
				fclose(f);
				free(line);
				return -1;
			}
			t->rows = n;
			*cap = nc;
		}
		t->rows[t->n++] = row;
	}
	free(line);
	fclose(f);
	return 0;
}

static int by_id(const void *a, const void *b)
{
	const struct cp_row *x = a, *y = b;
	if (x->r.id != y->r.id)
		return x->r.id < y->r.id ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Keep the last line of each ID (sorted by ID, then input order). */
static void dedupe(struct cp_table *t)
{
	size_t i, o = 0;

	for (i = 0; i < t->n; i++) {
		if (o && t->rows[o - 1].r.id == t->rows[i].r.id)
			t->rows[o - 1] = t->rows[i];
		else
			t->rows[o++] = t->rows[i];
	}
	t->n = o;
}

/* The crash site without the run's addresses: "OBJ+0xOFF (pc=... addr=...)". */
static size_t site_len(const char *crash)
{
	const char *p = strstr(crash, " (");
	return p ? (size_t)(p - crash) : strlen(crash);
}

static int same_failure(const struct cp_row *a, const struct cp_row *b)
{
	size_t n = site_len(a->r.crash);

	return !strcmp(a->r.verdict, b->r.verdict) && !strcmp(a->r.detail, b->r.detail) &&
	       n == site_len(b->r.crash) && !strncmp(a->r.crash, b->r.crash, n);
}

static int failures(struct cp_table *t)
{
	t->fail = calloc(t->n ? t->n : 1, sizeof(*t->fail));
	if (!t->fail)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		const struct cp_row *r = &t->rows[i];
		size_t k;
		int v = cp_verdict_index(r->r.verdict);

		if (v > 2) /* different, same: not failures */
			continue;
		for (k = 0; k < t->nfail && !same_failure(t->fail[k].first, r); k++)
			;
		if (k == t->nfail)
			t->fail[t->nfail++].first = r;
		t->fail[k].count++;
	}
	return 0;
}

/* s quoted for a POSIX shell, into o (room >= 4 * strlen(s) + 3). */
static void shell_quote(char *o, const char *s)
{
	*o++ = '\'';
	for (; *s; s++) {
		if (*s == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *s;
		}
	}
	*o++ = '\'';
	*o = 0;
}

void cp_rerun_command(const struct cp_row *row, char *buf, size_t room)
{
	char path[4096], cmd[2048] = "-- PROG ARGS", dir[4096] = "", here[4096];
	char rule[sizeof(row->r.rule) * 4 + 3], qdir[sizeof(dir) * 4 + 3], cd[sizeof(qdir) + 8];
	FILE *f;

	snprintf(path, sizeof(path), "%s/command", row->dir);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(cmd, sizeof(cmd), f))
			snprintf(cmd, sizeof(cmd), "-- PROG ARGS");
		if (!fgets(dir, sizeof(dir), f))
			dir[0] = 0;
		cmd[strcspn(cmd, "\n")] = 0;
		dir[strcspn(dir, "\n")] = 0;
		fclose(f);
	}
	cd[0] = 0;
	if (dir[0] && (!getcwd(here, sizeof(here)) || strcmp(here, dir))) {
		shell_quote(qdir, dir);
		snprintf(cd, sizeof(cd), "cd %s && ", qdir);
	}
	shell_quote(rule, row->r.rule);
	snprintf(buf, room, "%smmiotap record -o rerun.trace --inject %s %s", cd, rule, cmd);
}

void cp_first_report(const struct cp_row *row, char *buf, size_t room)
{
	char path[4096];
	size_t n = 0;
	int lines = 0, c;
	FILE *f;

	buf[0] = 0;
	snprintf(path, sizeof(path), "%s/e%u.err", row->dir, row->r.id);
	f = fopen(path, "r");
	if (!f)
		return;
	while ((c = getc(f)) != EOF && n + 1 < room && lines < 8) {
		buf[n++] = (char)c;
		lines += c == '\n';
	}
	buf[n] = 0;
	fclose(f);
}

static int by_register(const void *a, const void *b)
{
	const struct cp_row *x = *(const struct cp_row *const *)a, *y = *(const struct cp_row *const *)b;
	int c = strcmp(x->device, y->device);

	if (!c)
		c = strcmp(x->r.reg, y->r.reg);
	if (!c)
		c = strcmp(x->r.fault, y->r.fault);
	if (!c)
		c = x->r.id < y->r.id ? -1 : x->r.id > y->r.id;
	return c;
}

const struct cp_row **cp_rows_by_register(const struct cp_table *t)
{
	const struct cp_row **v = malloc((t->n + 1) * sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		v[i] = &t->rows[i];
	qsort(v, t->n, sizeof(*v), by_register);
	v[t->n] = NULL;
	return v;
}

static int print_table(FILE *out, const struct cp_table *t)
{
	const struct cp_row **v = cp_rows_by_register(t), *prev = NULL;
	size_t cnt[CP_NVERDICTS] = { 0 };

	if (!v)
		return -1;
	fprintf(out, "%-40s %-10s %-12s %5s %5s %5s %5s %5s\n", "DEVICE", "REGISTER", "FAULT",
		"crash", "hang", "error", "diff", "same");
	for (size_t i = 0; i <= t->n; i++) {
		const struct cp_row *r = v[i];
		if (prev && (!r || strcmp(r->device, prev->device) || strcmp(r->r.reg, prev->r.reg) ||
			     strcmp(r->r.fault, prev->r.fault))) {
			fprintf(out, "%-40s %-10s %-12s %5zu %5zu %5zu %5zu %5zu\n", prev->device,
				prev->r.reg, prev->r.fault, cnt[0], cnt[1], cnt[2], cnt[3], cnt[4]);
			memset(cnt, 0, sizeof(cnt));
		}
		if (!r)
			break;
		cnt[cp_verdict_index(r->r.verdict)]++;
		prev = r;
	}
	free(v);
	return 0;
}

static void print_failures(FILE *out, const struct cp_table *t)
{
	char buf[4096];

	fprintf(out, "\n%zu distinct failure%s\n", t->nfail, t->nfail == 1 ? "" : "s");
	for (size_t k = 0; k < t->nfail; k++) {
		const struct cp_row *r = t->fail[k].first;
		fprintf(out, "\n[%zu] %s %s%s%s: %zu experiment%s, first %u (%s, %s %s)\n", k + 1,
			r->r.verdict, r->r.detail, strcmp(r->r.crash, "-") ? " " : "",
			strcmp(r->r.crash, "-") ? r->r.crash : "", t->fail[k].count,
			t->fail[k].count == 1 ? "" : "s", r->r.id, r->r.fault, r->device, r->r.reg);
		fprintf(out, "    rule:       %s\n", r->r.rule);
		fprintf(out, "    divergence: %s\n", r->r.div);
		cp_first_report(r, buf, sizeof(buf));
		if (buf[0]) {
			fprintf(out, "    reported:\n");
			for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
				fprintf(out, "      | %s\n", l);
		}
		cp_rerun_command(r, buf, sizeof(buf));
		fprintf(out, "    rerun:      %s\n", buf);
	}
}

int cp_report(const char *const *dirs, size_t ndirs, FILE *out, const char *html,
	      void (*msg)(const char *fmt, ...))
{
	struct cp_table t = { 0 };
	size_t cap = 0, cnt[CP_NVERDICTS] = { 0 };
	int rc = 0;

	for (size_t i = 0; i < ndirs && !rc; i++)
		rc = load_dir(dirs[i], &t, &cap, msg);
	if (!rc) {
		qsort(t.rows, t.n, sizeof(*t.rows), by_id);
		dedupe(&t);
		rc = failures(&t);
	}
	if (!rc) {
		for (size_t i = 0; i < t.n; i++)
			cnt[cp_verdict_index(t.rows[i].r.verdict)]++;
		fprintf(out, "%zu experiments: %zu crash, %zu hang, %zu error, %zu different, "
			"%zu same\n\n", t.n, cnt[0], cnt[1], cnt[2], cnt[3], cnt[4]);
		rc = print_table(out, &t);
		print_failures(out, &t);
		if (!rc && html && cp_html_write(html, &t) < 0) {
			msg("%s: %s", html, strerror(errno));
			rc = -1;
		}
	}
	free(t.rows);
	free(t.fail);
	return rc;
}
