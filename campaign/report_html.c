// SPDX-License-Identifier: GPL-2.0 OR MIT
/* report_html.c - `campaign report --html FILE`: the same table and
 * failures as the text report, one self-contained page (inline CSS, no
 * scripts, every text HTML-escaped). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "cp_report.h"

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void row_cells(FILE *f, const char *dev, const char *reg, const char *fault,
		      const size_t *cnt)
{
	fputs("<tr><td>", f);
	esc(f, dev);
	fputs("</td><td>", f);
	esc(f, reg);
	fputs("</td><td>", f);
	esc(f, fault);
	fputs("</td>", f);
	for (int v = 0; v < CP_NVERDICTS; v++)
		fprintf(f, "<td class=\"%s%s\">%zu</td>", cp_verdicts[v], cnt[v] ? "" : " none",
			cnt[v]);
	fputs("</tr>\n", f);
}

static int table(FILE *f, const struct cp_table *t)
{
	const struct cp_row **v = cp_rows_by_register(t), *prev = NULL;
	size_t cnt[CP_NVERDICTS] = { 0 };

	if (!v)
		return -1;
	fputs("<table><tr><th>device</th><th>register</th><th>fault</th>", f);
	for (int k = 0; k < CP_NVERDICTS; k++)
		fprintf(f, "<th>%s</th>", cp_verdicts[k]);
	fputs("</tr>\n", f);
	for (size_t i = 0; i <= t->n; i++) {
		const struct cp_row *r = v[i];
		if (prev && (!r || strcmp(r->device, prev->device) || strcmp(r->r.reg, prev->r.reg) ||
			     strcmp(r->r.fault, prev->r.fault))) {
			row_cells(f, prev->device, prev->r.reg, prev->r.fault, cnt);
			memset(cnt, 0, sizeof(cnt));
		}
		if (!r)
			break;
		cnt[cp_verdict_index(r->r.verdict)]++;
		prev = r;
	}
	fputs("</table>\n", f);
	free(v);
	return 0;
}

static void failure(FILE *f, size_t k, const struct cp_failure *fl)
{
	const struct cp_row *r = fl->first;
	char buf[4096];

	fprintf(f, "<h3>[%zu] ", k + 1);
	esc(f, r->r.verdict);
	fputc(' ', f);
	esc(f, r->r.detail);
	if (strcmp(r->r.crash, "-")) {
		fputc(' ', f);
		esc(f, r->r.crash);
	}
	fprintf(f, "</h3>\n<p>%zu experiment%s, first %u (", fl->count, fl->count == 1 ? "" : "s",
		r->r.id);
	esc(f, r->r.fault);
	fputs(", ", f);
	esc(f, r->device);
	fputc(' ', f);
	esc(f, r->r.reg);
	fputs(")</p>\n<dl><dt>rule</dt><dd><code>", f);
	esc(f, r->r.rule);
	fputs("</code></dd><dt>divergence from the baseline</dt><dd>", f);
	esc(f, r->r.div);
	cp_first_report(r, buf, sizeof(buf));
	if (buf[0]) {
		fputs("</dd><dt>reported</dt><dd><pre>", f);
		esc(f, buf);
		fputs("</pre>", f);
	}
	cp_rerun_command(r, buf, sizeof(buf));
	fputs("</dd><dt>rerun</dt><dd><pre>", f);
	esc(f, buf);
	fputs("</pre></dd></dl>\n", f);
}

int cp_html_write(const char *path, const struct cp_table *t)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	      "<title>mmiotap campaign report</title><style>\n"
	      "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
	      "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
	      "td:nth-child(-n+3){text-align:left;font-family:monospace}"
	      ".crash{background:#f88}.hang{background:#fb8}.error{background:#fd8}"
	      ".different{background:#ffc}.none{background:none;color:#bbb}"
	      "pre{background:#f4f4f4;padding:4px;white-space:pre-wrap}\n"
	      "</style></head><body>\n<h1>mmiotap campaign report</h1>\n", f);
	fprintf(f, "<p>%zu experiments, %zu distinct failures</p>\n<h2>Verdicts per register "
		"and fault</h2>\n", t->n, t->nfail);
	if (table(f, t) < 0) {
		fclose(f);
		return -1;
	}
	fputs("<h2>Failures</h2>\n", f);
	for (size_t k = 0; k < t->nfail; k++)
		failure(f, k, &t->fail[k]);
	fputs("</body></html>\n", f);
	return fclose(f) ? -1 : 0;
}
