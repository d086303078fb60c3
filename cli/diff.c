// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * diff.c - `mmiotap diff [options] A B`: compare two traces of the same
 * device(s) as sequences of accesses (tdiff/: keys, Myers diff) and print
 * the difference like `diff -u`, then the first divergence and a summary.
 * Exit status 0 same, 1 different, 2 trouble.
 *
 * Two passes over each file: the first keeps one 64-bit key per element,
 * the second re-reads both to print the hunks and checks that every pair
 * the diff called equal really is (the key is a hash).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "diff.h"
#include "mmiotap/regbind.h"

int mt_cli_diff(int argc, char **argv);

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mmiotap diff [options] A B\n"
		"Compare two traces access by access; print the difference like diff -u.\n"
		"Accesses match on direction, device (PCI BDF+BAR, /dev/mem address, file),\n"
		"register address, width and value; time, map ids, PC and PID are ignored.\n"
		"Registers are named from register databases (--db, or regdb.index by PCI id).\n"
		"  -c, --compare F[,F..]   also compare pc, pid, tid, flags\n"
		"  -i, --ignore REG        drop accesses to REG: OFFSET, FIRST-LAST, or a register\n"
		"                          NAME glob (e.g. STATUS, 'RA*'), each after an optional\n"
		"                          BAR: (e.g. 0:0x10, 0:ICR); repeatable\n"
		"  -v, --ignore-value REG  compare REG's accesses without their value\n"
		"  -p, --collapse-polls    consecutive identical reads count as one\n"
		"  -U, --unified N         N lines of context (default 3)\n"
		"  -q, --quiet             print only the summary\n"
		"      --minimal           shortest difference even if slow\n"
		"      --no-anchors        do not align the traces at their common markers\n"
		ASYNC_HELP
		"Register databases:\n"
		REGOPTS_HELP
		"Exit status: 0 same, 1 different, 2 trouble.\n");
}

void diff_trouble(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	error_msg("%s", buf);
	exit(2);
}

static unsigned parse_compare(const char *arg)
{
	char *dup = strdup(arg), *tok, *save = NULL;
	unsigned c = 0;

	if (!dup)
		diff_trouble("out of memory");
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "pc"))
			c |= MT_TDIFF_CMP_PC;
		else if (!strcmp(tok, "pid"))
			c |= MT_TDIFF_CMP_PID;
		else if (!strcmp(tok, "tid"))
			c |= MT_TDIFF_CMP_TID;
		else if (!strcmp(tok, "flags"))
			c |= MT_TDIFF_CMP_FLAGS;
		else
			error_msg_and_help("--compare: unknown field '%s' (pc, pid, tid, flags)", tok);
	}
	free(dup);
	return c;
}

static void add_reg(struct mt_tdiff_reg *regs, size_t *n, const char *opt, const char *arg)
{
	int rc;

	if (*n == MAX_REGS)
		error_msg_and_help("%s: more than %d registers", opt, MAX_REGS);
	rc = mt_tdiff_reg_parse(arg, &regs[*n]);
	if (rc)
		error_msg_and_help("%s '%s': want OFFSET, FIRST-LAST or a register NAME, each "
				   "after an optional BAR: (e.g. 0x10, 0:0x10, 0:STATUS)", opt, arg);
	(*n)++;
}

void diff_side_open(struct diffrun *d, struct side *s)
{
	int rc;

	if (s->fd < 0) {
		s->fd = open(s->path, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0)
			diff_trouble("%s: %s", s->path, strerror(errno));
	} else if (lseek(s->fd, 0, SEEK_SET) != 0) {
		diff_trouble("%s: cannot read twice (a pipe?): %s", s->path, strerror(errno));
	}
	rc = mt_tdiff_src_open(&s->src, s->fd, &d->o, &d->devs, s->names);
	if (rc)
		diff_trouble("%s: %s", s->path, strerror(-rc));
	s->src.tasks = s->tasks;
	s->pos = 0;
}

/* Pass 1: the keys. */
static void load_keys(struct diffrun *d, struct side *s)
{
	struct mt_tdiff_elem e;
	int rc;

	diff_async_tasks(d, s);
	diff_side_open(d, s);
	while ((rc = mt_tdiff_src_next(&s->src, &e)) > 0) {
		if (e.async) {
			if (mt_tdiff_aset_add(&s->aset, e.key, s->nmarks))
				diff_trouble("%s: out of memory at %zu accesses", s->path, s->nasync);
			s->nasync++;
			continue;
		}
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 1 << 16;
			uint64_t *k = realloc(s->keys, cap * sizeof(*k));

			if (!k)
				diff_trouble("%s: out of memory at %zu accesses", s->path, s->n);
			s->keys = k;
			s->cap = cap;
		}
		if (e.kind == MT_REC_MARK) {
			if (s->nmarks == s->mcap) {
				size_t cap = s->mcap ? s->mcap * 2 : 64;
				size_t *m = realloc(s->marks, cap * sizeof(*m));

				if (!m)
					diff_trouble("out of memory");
				s->marks = m;
				s->mcap = cap;
			}
			s->marks[s->nmarks++] = s->n;
		}
		s->keys[s->n++] = e.key;
	}
	if (rc < 0)
		diff_trouble("%s: %s", s->path, mt_tdiff_src_errmsg(&s->src));
	if (s->src.name_err[0])
		error_msg("warning: %s: %s (its registers are not named)", s->path,
			  s->src.name_err);
	d->bound += s->src.bound;
	for (size_t i = 0; i < d->o.nignore; i++)
		d->hits[0][i] += s->src.hits[0][i];
	for (size_t i = 0; i < d->o.nignore_value; i++)
		d->hits[1][i] += s->src.hits[1][i];
	s->bits = malloc((s->n + 64) / 64 * sizeof(uint64_t));
	if (!s->bits)
		diff_trouble("out of memory");
}

/* After pass 1: a register name needs a database that names the traces'
 * registers (trouble if none does); a name that matched no access is
 * probably misspelt (a warning: the register may just not be accessed). */
static void check_names(const struct diffrun *d, const struct mt_tdiff_reg *regs, int which,
			const char *opt)
{
	size_t i, n = which ? d->o.nignore_value : d->o.nignore;

	for (i = 0; i < n; i++) {
		if (!regs[i].name)
			continue;
		if (!d->bound)
			diff_trouble("%s %s: register names need a register database, and none "
				"describes %s or %s (give --db FILE)", opt, regs[i].name,
				d->s[0].path, d->s[1].path);
		if (!d->hits[which][i])
			error_msg("warning: %s %s: no access to a register of that name", opt,
				  regs[i].name);
	}
}

/* Markers with the same text in both traces, in order (a longest common
 * subsequence of the marker sequences), anchor the diff: the accesses
 * between two anchors are compared with each other only. */
static int diff_anchored(struct diffrun *d)
{
	struct side *A = &d->s[0], *B = &d->s[1];
	size_t na = A->nmarks, nb = B->nmarks, i = 0, j = 0, n = 0;
	uint64_t *ka = malloc((na + 1) * 8), *kb = malloc((nb + 1) * 8);
	uint64_t *da = malloc((na + 64) / 64 * 8), *db = malloc((nb + 64) / 64 * 8);
	size_t *aa = malloc((na + 1) * sizeof(size_t)), *ab = malloc((nb + 1) * sizeof(size_t));
	int rc;

	A->anc = malloc((na + 1) * sizeof(size_t));
	B->anc = malloc((nb + 1) * sizeof(size_t));
	if (!ka || !kb || !da || !db || !aa || !ab || !A->anc || !B->anc)
		diff_trouble("out of memory");
	for (i = 0; i < na; i++)
		ka[i] = A->keys[A->marks[i]];
	for (j = 0; j < nb; j++)
		kb[j] = B->keys[B->marks[j]];
	rc = d->no_anchors ? 0 : mt_seqdiff(ka, na, kb, nb, da, db, 1);
	for (i = j = 0; !d->no_anchors && !rc && i < na && j < nb;) {
		if (mt_bit(da, i)) {
			i++;
		} else if (mt_bit(db, j)) {
			j++;
		} else {
			A->anc[n] = i;
			B->anc[n] = j;
			aa[n] = A->marks[i++];
			ab[n++] = B->marks[j++];
		}
	}
	d->nanc = n;
	if (!rc)
		rc = mt_seqdiff_anchored(A->keys, A->n, B->keys, B->n, aa, ab, n, A->bits, B->bits,
					 d->minimal);
	free(ka);
	free(kb);
	free(da);
	free(db);
	free(aa);
	free(ab);
	return rc;
}

static void add_change(struct diffrun *d, size_t a0, size_t na, size_t b0, size_t nb)
{
	if (d->nch == d->chcap) {
		size_t cap = d->chcap ? d->chcap * 2 : 64;
		struct change *c = realloc(d->ch, cap * sizeof(*c));

		if (!c)
			diff_trouble("out of memory");
		d->ch = c;
		d->chcap = cap;
	}
	d->ch[d->nch++] = (struct change){ a0, na, b0, nb };
}

/* The edit script as runs of deleted A / inserted B elements. */
static void find_changes(struct diffrun *d)
{
	const struct side *A = &d->s[0], *B = &d->s[1];
	size_t i = 0, j = 0;

	while (i < A->n || j < B->n) {
		size_t i0 = i, j0 = j;

		while (i < A->n && mt_bit(A->bits, i))
			i++;
		while (j < B->n && mt_bit(B->bits, j))
			j++;
		if (i > i0 || j > j0)
			add_change(d, i0, i - i0, j0, j - j0);
		if (i < A->n && j < B->n) {
			i++;
			j++;
		} else if (i == A->n && j == B->n) {
			break;
		}
	}
}

/* " NAME" of e's register (and " => { FIELDS }" if decode), or nothing. */
static int fmt_reg(const struct side *s, const struct mt_tdiff_elem *e, int decode, char *buf,
		   size_t room)
{
	const struct regdb_cached *c;
	int n;

	if (!s->names || e->kind == MT_REC_MARK ||
	    !(c = regbind_lookup(s->names, e->map_id, e->offset, e->width, NULL)))
		return 0;
	n = snprintf(buf, room, " %s", c->name);
	if (decode && e->kind != MT_REC_UNKNOWN && !e->value_ignored && n >= 0 &&
	    (size_t)n + 5 < room) {
		n += snprintf(buf + n, room - (size_t)n, " %s ",
			      e->kind == MT_REC_WRITE ? "<=" : "=>");
		n += regdb_format_value(&c->hit, e->width, e->value, buf + n, room - (size_t)n);
	}
	return n;
}

/* One element as a line (without the tag): "R 4 DEVICE ADDR VALUE [NAME]
 * [xN] [pc=..]  #seq N". decode: the value's fields too. */
void diff_fmt_elem(const struct diffrun *d, const struct side *s, const struct mt_tdiff_elem *e,
		   int decode, char *buf, size_t room)
{
	unsigned c = d->o.compare;
	int n;

	if (e->kind == MT_REC_MARK) {
		snprintf(buf, room, "MARK %.*s  #seq %" PRIu64, (int)(e->text_len > 400 ? 400 : e->text_len),
			 e->text, e->seq);
		return;
	}
	n = snprintf(buf, room, "%s %u %s 0x%" PRIx64 " 0x%0*" PRIx64, mt_kind_name(e->kind),
		     e->width, d->devs.names[e->dev], e->addr, e->width <= 8 ? 2 * e->width : 16,
		     e->value);
#define MORE(...) do { if (n >= 0 && (size_t)n < room) n += snprintf(buf + n, room - (size_t)n, __VA_ARGS__); } while (0)
	if (n >= 0 && (size_t)n < room)
		n += fmt_reg(s, e, decode, buf + n, room - (size_t)n);
	if (e->repeat > 1)
		MORE(" x%" PRIu64, e->repeat);
	if (c & MT_TDIFF_CMP_PC)
		MORE(" pc=0x%" PRIx64, e->pc);
	if (c & MT_TDIFF_CMP_PID)
		MORE(" pid=%u", e->pid);
	if (c & MT_TDIFF_CMP_TID)
		MORE(" tid=%u", e->tid);
	if (c & MT_TDIFF_CMP_FLAGS)
		MORE(" flags=0x%x", e->flags);
	MORE("  #seq %" PRIu64, e->seq);
#undef MORE
}

static void print_elem(struct diffrun *d, const struct side *s, char tag,
		       const struct mt_tdiff_elem *e)
{
	char buf[600];

	diff_fmt_elem(d, s, e, 0, buf, sizeof(buf));
	fprintf(d->out, "%c%s\n", tag, buf);
}

/* The next element of the ordered sequence (asynchronous ones skipped). */
static void next_elem(struct side *s)
{
	int rc;

	while ((rc = mt_tdiff_src_next(&s->src, &s->e)) > 0 && s->e.async)
		;
	if (rc < 0)
		diff_trouble("%s: %s", s->path, mt_tdiff_src_errmsg(&s->src));
	if (rc == 0)
		diff_trouble("%s: changed while being compared", s->path);
	s->pos++;
}

/* Read k common elements from both sides; print them as context if print. */
static void common(struct diffrun *d, size_t k, int print)
{
	struct side *A = &d->s[0], *B = &d->s[1];

	while (k--) {
		next_elem(A);
		next_elem(B);
		if (!mt_tdiff_elem_equal(&A->e, &B->e, d->o.compare))
			diff_trouble("key collision at %s seq %" PRIu64 " / %s seq %" PRIu64, A->path,
				A->e.seq, B->path, B->e.seq);
		if (print)
			print_elem(d, A, ' ', &A->e);
	}
}

/* The deleted then the inserted elements of change c. */
static void show_change(struct diffrun *d, const struct change *c, int first)
{
	struct side *A = &d->s[0], *B = &d->s[1];
	size_t k;

	for (k = 0; k < c->na; k++) {
		next_elem(A);
		if (!d->quiet)
			print_elem(d, A, '-', &A->e);
		if (first && !k)
			diff_fmt_elem(d, A, &A->e, 1, d->first[0], sizeof(d->first[0]));
	}
	for (k = 0; k < c->nb; k++) {
		next_elem(B);
		if (!d->quiet)
			print_elem(d, B, '+', &B->e);
		if (first && !k)
			diff_fmt_elem(d, B, &B->e, 1, d->first[1], sizeof(d->first[1]));
	}
}

/* Changes [c0, c1) whose gaps are at most 2 * ctx common elements form one
 * hunk; returns c1. */
static size_t hunk_end(const struct diffrun *d, size_t c0)
{
	size_t c1 = c0 + 1;

	while (c1 < d->nch &&
	       d->ch[c1].a0 - (d->ch[c1 - 1].a0 + d->ch[c1 - 1].na) <= 2 * d->ctx)
		c1++;
	return c1;
}

static void hunk(struct diffrun *d, size_t c0, size_t c1)
{
	const struct change *f = &d->ch[c0], *l = &d->ch[c1 - 1];
	struct side *A = &d->s[0];
	size_t lead = f->a0 - A->pos < d->ctx ? f->a0 - A->pos : d->ctx;
	size_t a_end = l->a0 + l->na + d->ctx, trail, a_start, b_start, alen, blen, c;

	if (a_end > d->s[0].n)
		a_end = d->s[0].n;
	if (a_end - (l->a0 + l->na) > d->s[1].n - (l->b0 + l->nb))
		a_end = l->a0 + l->na + (d->s[1].n - (l->b0 + l->nb));
	trail = a_end - (l->a0 + l->na);
	common(d, f->a0 - lead - A->pos, 0);
	a_start = f->a0 - lead;
	b_start = f->b0 - lead;
	alen = a_end - a_start;
	blen = l->b0 + l->nb + trail - b_start;
	if (!d->quiet)
		fprintf(d->out, "@@ -%zu,%zu +%zu,%zu @@\n", alen ? a_start + 1 : a_start, alen,
			blen ? b_start + 1 : b_start, blen);
	for (c = c0; c < c1; c++) {
		common(d, d->ch[c].a0 - A->pos, !d->quiet);
		show_change(d, &d->ch[c], c == 0);
	}
	common(d, trail, !d->quiet);
}

static int report(struct diffrun *d)
{
	struct side *A = &d->s[0], *B = &d->s[1];
	uint64_t del = 0, ins = 0;
	size_t c, c1, adiff = 0;

	if (!d->quiet && d->nch) {
		fprintf(d->out, "--- %s\n+++ %s\n", A->path, B->path);
		d->header_out = 1;
	}
	for (c = 0; c < d->nch; c = c1) {
		c1 = hunk_end(d, c);
		hunk(d, c, c1);
	}
	common(d, A->n - A->pos, 0);
	if (d->async_on)
		adiff = diff_async_report(d);
	for (c = 0; c < d->nch; c++) {
		del += d->ch[c].na;
		ins += d->ch[c].nb;
	}
	if (d->nch) {
		const struct change *f = &d->ch[0];

		fprintf(d->out, "first divergence: access %zu of A, %zu of B\n", f->a0 + 1,
			f->b0 + 1);
		fprintf(d->out, "  A: %s\n  B: %s\n", f->na ? d->first[0] : "(nothing)",
			f->nb ? d->first[1] : "(nothing)");
	} else if (adiff) {
		fprintf(d->out, "first divergence: %s\n", d->first_async);
		fprintf(d->out, "  A: %s\n  B: %s\n", d->first[0][0] ? d->first[0] : "(nothing)",
			d->first[1][0] ? d->first[1] : "(nothing)");
	}
	fprintf(d->out, "summary: A %zu accesses, B %zu; %s", A->n, B->n,
		d->nch ? "" : "same\n");
	if (d->nch)
		fprintf(d->out, "%" PRIu64 " only in A, %" PRIu64 " only in B, %zu changes\n", del,
			ins, d->nch);
	if (d->async_on)
		diff_async_summary(d);
	if (A->src.lost || B->src.lost)
		fprintf(d->out, "warning: records lost: %" PRIu64 " in A, %" PRIu64
			" in B; the difference may come from them\n", A->src.lost, B->src.lost);
	return d->nch || adiff ? 1 : 0;
}

int mt_cli_diff(int argc, char **argv)
{
	static const struct option lopts[] = {
		REGOPTS_OPTIONS,
		{ "compare", required_argument, NULL, 'c' },
		{ "ignore", required_argument, NULL, 'i' },
		{ "ignore-value", required_argument, NULL, 'v' },
		{ "collapse-polls", no_argument, NULL, 'p' },
		{ "unified", required_argument, NULL, 'U' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "minimal", no_argument, NULL, 'M' },
		{ "no-anchors", no_argument, NULL, 'N' },
		{ "async", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct mt_tdiff_reg ign[MAX_REGS], ignv[MAX_REGS];
	static struct diffrun d;
	uint64_t u;
	int c, k, rc;

	d.ctx = 3;
	d.out = stdout;
	for (k = 0; k < 2; k++)
		regopts_init_status(&d.db[k], 2);
	while ((c = getopt_long(argc, argv, "a:d:c:i:v:pU:qh", lopts, NULL)) != -1) {
		if (regopts_option(&d.db[0], c, optarg)) {
			regopts_option(&d.db[1], c, optarg);
			continue;
		}
		switch (c) {
		case 'c':
			d.o.compare |= parse_compare(optarg);
			break;
		case 'i':
			add_reg(ign, &d.o.nignore, "--ignore", optarg);
			break;
		case 'v':
			add_reg(ignv, &d.o.nignore_value, "--ignore-value", optarg);
			break;
		case 'p':
			d.o.collapse_polls = 1;
			break;
		case 'U':
			if (mt_cli_parse_u64(optarg, &u) || u > 1000000)
				error_msg_and_help("--unified: want a number of lines");
			d.ctx = (size_t)u;
			break;
		case 'q':
			d.quiet = 1;
			break;
		case 'M':
			d.minimal = 1;
			break;
		case 'N':
			d.no_anchors = 1;
			break;
		case 'a':
			diff_async_option(&d, optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			error_msg_and_help("bad option");
		}
	}
	if (argc - optind != 2)
		error_msg_and_help("want two traces, A and B");
	d.o.ignore = ign;
	d.o.ignore_value = ignv;
	for (k = 0; k < 2; k++) {
		regopts_finish(&d.db[k]);
		d.s[k].names = d.db[k].b;
		d.s[k].path = argv[optind + k];
		d.s[k].fd = strcmp(d.s[k].path, "-") ? -1 : STDIN_FILENO;
		load_keys(&d, &d.s[k]);
		mt_tdiff_src_close(&d.s[k].src);
	}
	check_names(&d, ign, 0, "--ignore");
	check_names(&d, ignv, 1, "--ignore-value");
	rc = diff_anchored(&d);
	if (rc)
		diff_trouble("diff: %s", strerror(-rc));
	for (k = 0; k < 2; k++) {
		free(d.s[k].keys);
		d.s[k].keys = NULL;
	}
	find_changes(&d);
	if (d.async_on)
		diff_async_compare(&d);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	for (k = 0; k < 2; k++)
		diff_side_open(&d, &d.s[k]);
	rc = report(&d);
	if (fflush(stdout) || ferror(stdout))
		diff_trouble("write error on stdout");
	for (k = 0; k < 2; k++) {
		mt_tdiff_src_close(&d.s[k].src);
		close(d.s[k].fd);
		free(d.s[k].bits);
		free(d.s[k].marks);
	}
	free(d.ch);
	diff_async_free(&d);
	mt_tdiff_devs_free(&d.devs);
	for (k = 0; k < 2; k++)
		regopts_free(&d.db[k]);
	return rc;
}
