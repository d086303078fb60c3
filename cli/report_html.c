// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * report_html.c - `mmiotap report --html FILE`: one self-contained page
 * (no network access: inline style and script) with the tables of the text
 * report and, per register, an SVG plot of its value over time drawn by the
 * inline script from the points embedded as JSON. Each drawn plot gets
 * data-drawn="N" (N points), which the tests read in headless Chromium.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

static void html_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* A JSON string safe inside <script>: no '<', no control characters. */
static void json_esc(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == '<' || c == '>' || c == '&')
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static const char style[] =
	"body{font-family:sans-serif;margin:1em 2em;color:#222}"
	"table{border-collapse:collapse;margin:.5em 0}"
	"td,th{border:1px solid #ccc;padding:2px 6px;font-family:monospace;text-align:right}"
	"td:first-child,th:first-child{text-align:left}"
	"figure{display:inline-block;margin:4px;border:1px solid #ddd;padding:4px}"
	"figcaption{font-family:monospace;font-size:90%}"
	"svg.plot polyline{fill:none;stroke:#1565c0;stroke-width:1.5}"
	"svg.plot circle{fill:#c62828}svg.plot text{font:10px monospace;fill:#555}";

/* The script: draws each svg.plot from DATA[data-series]. */
static const char script[] =
	"(function(){\n"
	"var W=360,H=120,P=34;\n"
	"var svgs=document.querySelectorAll('svg.plot');\n"
	"for(var i=0;i<svgs.length;i++){var s=svgs[i],d=DATA[+s.getAttribute('data-series')];\n"
	" var pts=d.p,n=pts.length,t0=pts[0][0],t1=pts[n-1][0],lo=Infinity,hi=-Infinity;\n"
	" var vs=pts.map(function(p){return Number(BigInt(p[1]));});\n"
	" vs.forEach(function(v){if(v<lo)lo=v;if(v>hi)hi=v;});\n"
	" if(t1===t0)t1=t0+1;if(hi===lo)hi=lo+1;\n"
	" var X=function(t){return P+(W-P-4)*(t-t0)/(t1-t0);},Y=function(v){return H-14-(H-24)*(v-lo)/(hi-lo);};\n"
	" var ns='http://www.w3.org/2000/svg',line=document.createElementNS(ns,'polyline'),a=[];\n"
	" for(var k=0;k<n;k++){if(k)a.push(X(pts[k][0])+','+Y(vs[k-1]));a.push(X(pts[k][0])+','+Y(vs[k]));\n"
	"  if(pts[k][2]){var c=document.createElementNS(ns,'circle');c.setAttribute('cx',X(pts[k][0]));\n"
	"   c.setAttribute('cy',Y(vs[k]));c.setAttribute('r',2);s.appendChild(c);}}\n"
	" a.push((W-4)+','+Y(vs[n-1]));line.setAttribute('points',a.join(' '));s.appendChild(line);\n"
	" var lab=function(x,y,t){var e=document.createElementNS(ns,'text');e.setAttribute('x',x);e.setAttribute('y',y);e.textContent=t;s.appendChild(e);};\n"
	" lab(0,10,'0x'+hi.toString(16));lab(0,H-14,'0x'+lo.toString(16));\n"
	" lab(P,H-2,((d.t0+t0)/1e9).toFixed(6)+' s');lab(W-90,H-2,((d.t0+t1)/1e9).toFixed(6)+' s');\n"
	" s.setAttribute('data-drawn',n);}\n"
	"document.body.setAttribute('data-plots',svgs.length);\n"
	"})();\n";

static void ts_cell(FILE *f, uint64_t ts)
{
	fprintf(f, "<td>%" PRIu64 ".%06" PRIu64 "</td>", ts / 1000000000, ts % 1000000000 / 1000);
}

static void reg_row(FILE *f, const struct report_reg *g)
{
	char pc[64];
	unsigned i;

	fputs("<tr class=\"reg\" data-reg=\"", f);
	html_esc(f, g->name);
	fputs("\"><td>", f);
	html_esc(f, g->name);
	fprintf(f, "</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%" PRIu64 "%s</td><td>0x%" PRIx64 "</td>",
		g->reads, g->writes, g->distinct, g->distinct_capped ? "+" : "", g->first_value);
	ts_cell(f, g->first_ts);
	fprintf(f, "<td>0x%" PRIx64 "</td>", g->last_value);
	ts_cell(f, g->last_ts);
	fputs("<td>", f);
	for (i = 0; i < g->npcs; i++)
		fprintf(f, "%s%s", i ? " " : "", report_pc_name(g->pc_pids[i], g->pcs[i], pc, sizeof(pc)));
	if (g->more_pcs)
		fprintf(f, " (+%" PRIu64 " more)", g->more_pcs);
	fputs("</td></tr>\n", f);
}

static void device(FILE *f, const struct report *r, size_t di, size_t *series)
{
	const struct report_dev *d = &r->devs[di];
	char dec[1200];
	size_t j;

	fprintf(f, "<section class=\"device\" data-domain=\"");
	html_esc(f, d->domain ? d->domain : "");
	fprintf(f, "\"><h2>map %u at 0x%" PRIx64 " (0x%" PRIx64 " bytes) ", d->text_id, d->phys, d->size);
	html_esc(f, d->domain ? d->domain : "(no database)");
	if (d->where[0]) {
		fputs(", ", f);
		html_esc(f, d->where);
	}
	fprintf(f, "</h2><p>%" PRIu64 " accesses, UNKNOWN %" PRIu64 ", injected %" PRIu64 "</p>\n",
		d->accesses, d->unknown, d->injected);
	fputs("<table class=\"regs\"><tr><th>register</th><th>reads</th><th>writes</th><th>values</th>"
	      "<th>first</th><th>at (s)</th><th>last</th><th>at (s)</th><th>code (pc)</th></tr>\n", f);
	for (j = 0; j < d->nregs; j++)
		reg_row(f, &r->regs[d->regs[j]]);
	fputs("</table>\n<h3>Written registers, final value</h3>\n<table class=\"final\">"
	      "<tr><th>register</th><th>value</th><th>decoded</th></tr>\n", f);
	for (j = 0; j < d->nregs; j++) {
		const struct report_reg *g = &r->regs[d->regs[j]];

		if (!g->written)
			continue;
		dec[0] = 0;
		if (g->named)
			regdb_format_value(&g->hit, g->width, g->final_write, dec, sizeof(dec));
		fputs("<tr><td>", f);
		html_esc(f, g->name);
		fprintf(f, "</td><td>0x%" PRIx64 "</td><td>", g->final_write);
		html_esc(f, dec);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n<h3>Values over time</h3>\n<div class=\"plots\">\n", f);
	for (j = 0; j < d->nregs; j++) {
		const struct report_reg *g = &r->regs[d->regs[j]];

		if (!g->npts)
			continue;
		fputs("<figure><figcaption>", f);
		html_esc(f, g->name);
		if (g->pts_truncated)
			fprintf(f, " (first %d changes)", REPORT_POINTS);
		fprintf(f, "</figcaption><svg class=\"plot\" data-series=\"%zu\" data-reg=\"", (*series)++);
		html_esc(f, g->name);
		fputs("\" width=\"360\" height=\"120\" viewBox=\"0 0 360 120\"></svg></figure>\n", f);
	}
	fputs("</div></section>\n", f);
}

static void data_json(FILE *f, const struct report *r)
{
	size_t i, j, k;
	int first = 1;

	fputs("var DATA=[", f);
	for (i = 0; i < r->ndevs; i++)
		for (j = 0; j < r->devs[i].nregs; j++) {
			const struct report_reg *g = &r->regs[r->devs[i].regs[j]];

			if (!g->npts)
				continue;
			fprintf(f, "%s\n{\"n\":", first ? "" : ",");
			json_esc(f, g->name);
			fprintf(f, ",\"t0\":%" PRIu64 ",\"p\":[", r->first_ts);
			for (k = 0; k < g->npts; k++)
				fprintf(f, "%s[%" PRIu64 ",\"0x%" PRIx64 "\",%d]", k ? "," : "",
					g->pts[k].ts - r->first_ts, g->pts[k].value, g->pts[k].write);
			fputs("]}", f);
			first = 0;
		}
	fputs("];\n", f);
}

int report_html(const struct report *r, const char *title, FILE *f)
{
	size_t i, series = 0;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>mmiotap report: ", f);
	html_esc(f, title);
	fprintf(f, "</title>\n<style>%s</style></head>\n<body>\n<h1>mmiotap report: ", style);
	html_esc(f, title);
	fprintf(f, "</h1>\n<p class=\"summary\" data-accesses=\"%" PRIu64 "\" data-lost=\"%" PRIu64
		   "\" data-unknown=\"%" PRIu64 "\" data-injected=\"%" PRIu64 "\">accesses %" PRIu64
		   ", LOST %" PRIu64 " (records lost: %" PRIu64 "), UNKNOWN %" PRIu64 ", injected %" PRIu64 "</p>\n",
		r->accesses, r->lost_records, r->unknown, r->injected, r->accesses, r->lost_records,
		r->lost_events, r->unknown, r->injected);
	for (i = 0; i < r->ndevs; i++)
		device(f, r, i, &series);
	fputs("<script>\n", f);
	data_json(f, r);
	fputs(script, f);
	fputs("</script>\n</body></html>\n", f);
	return ferror(f) ? -1 : 0;
}
