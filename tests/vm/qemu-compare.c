// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * qemu-compare - compare an mmiotap trace with QEMU's own record of the
 * accesses its device models received.
 *
 *   qemu-compare [options] QEMU_LOG TRACE
 *
 * QEMU_LOG comes from `-trace 'memory_region_ops_*' -d guest_errors -D LOG`:
 *   memory_region_ops_read cpu 0 mr 0x... addr 0xfea00004 value 0x... size 4 name 'edu-mmio'
 *   Invalid read at addr 0x1, size 1, region 'edu-mmio', reason: invalid size (min:4 max:8)
 * (absolute guest-physical addresses in the first, region-relative ones in
 * the second). TRACE is mmiotrace text (VERSION 20070824: "R 4 ts map phys
 * value pc pid"), '-' for standard input, or a binary mmiotap trace, which is
 * converted with `mmiotap dump` (found through $MMIOTAP, next to this
 * program, or in PATH).
 *
 * One device region is selected from the log by name (--region) and/or by
 * physical range (--phys); trace records are restricted to --phys when given.
 * Both sequences must agree access by access, in order (globally, or per CPU
 * with --per-cpu), in kind, width, address and value (masked to the access
 * size). Accesses the device model rejected (guest_errors) match a trace
 * record of the same kind, width and address whatever its value. QEMU splits
 * accesses wider than a model implements into consecutive ones (one trace
 * record then matches several log entries, "split") and widens narrower ones
 * ("widened": the value is compared on the trace's width).
 *
 * Exit: 0 when everything matched (one summary line), 1 on mismatch (the
 * first differences with context), 2 on usage or input errors.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct acc {
	char kind;		/* 'R' or 'W' */
	unsigned width;		/* bytes */
	uint64_t addr;		/* absolute guest-physical */
	uint64_t value;
	int cpu;		/* -1 unknown */
	int rejected;		/* QEMU: guest_errors entry */
	long line;		/* line number in its file */
	uint8_t *wide;		/* trace: the value's bytes when width > 8 */
	int matched;		/* 0, or how: 1 exact, 2 rejected, 3 split, 4 widened */
};

struct seq {
	struct acc *a;
	size_t n, cap;
};

static const char *prog = "qemu-compare";

static void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fatal(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void seq_push(struct seq *s, const struct acc *a)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->a = realloc(s->a, s->cap * sizeof(*s->a));
		if (!s->a)
			fatal("out of memory");
	}
	s->a[s->n++] = *a;
}

static uint64_t mask(uint64_t v, unsigned width)
{
	return width >= 8 ? v : v & ((1ull << (8 * width)) - 1);
}

/* ---- options ---------------------------------------------------------- */

static const char *opt_region;
static int have_phys, have_base, opt_per_cpu, opt_allow_empty, opt_quiet;
static uint64_t phys_lo, phys_hi, base; /* phys range inclusive */
static int opt_context = 3, opt_max_diffs = 5;

static int in_phys(uint64_t a, unsigned w)
{
	return !have_phys || (a >= phys_lo && a + (w ? w - 1 : 0) <= phys_hi);
}

static void parse_range(const char *s)
{
	char *end;
	uint64_t a = strtoull(s, &end, 0), b;

	if (end == s || (*end != '-' && *end != '+'))
		fatal("--phys wants A-B (inclusive) or A+LEN, got '%s'", s);
	b = strtoull(end + 1, NULL, 0);
	phys_lo = a;
	phys_hi = *end == '-' ? b : a + b - 1;
	if (phys_hi < phys_lo)
		fatal("--phys range '%s' is empty", s);
	have_phys = 1;
}

/* ---- QEMU log ------------------------------------------------------------ */

static void read_qemu(const char *path, struct seq *q, long *other_regions)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *p, name[256];
	size_t cap = 0;
	long ln = 0;

	if (!f)
		fatal("cannot open QEMU log %s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		struct acc a = { .cpu = -1 };
		unsigned size;
		int cpu;
		uint64_t addr, val;
		char kind[8];

		ln++;
		a.line = ln;
		if ((p = strstr(line, "memory_region_ops_read ")) ||
		    (p = strstr(line, "memory_region_ops_write "))) {
			if (sscanf(p, "memory_region_ops_%7s cpu %d mr %*s addr %" SCNx64 " value %" SCNx64
				   " size %u name '%255[^']'", kind, &cpu, &addr, &val, &size, name) != 6)
				continue;
			a.kind = kind[0] == 'r' ? 'R' : 'W';
			a.cpu = cpu;
			a.addr = addr;
			a.value = val;
			a.width = size;
		} else if ((p = strstr(line, "Invalid read at addr ")) ||
			   (p = strstr(line, "Invalid write at addr "))) {
			if (sscanf(p, "Invalid %7s at addr %" SCNx64 ", size %u, region '%255[^']'",
				   kind, &addr, &size, name) != 4)
				continue;
			a.kind = kind[0] == 'r' ? 'R' : 'W';
			a.width = size;
			a.rejected = 1;
			if (!opt_region || strcmp(name, opt_region))
				continue; /* relative address: usable only for the named region */
			if (!have_base)
				fatal("log line %ld: a rejected access to '%s' needs --base or --phys to place it",
				      ln, name);
			a.addr = base + addr;
		} else {
			continue;
		}
		if (opt_region && strcmp(name, opt_region)) {
			(*other_regions)++;
			continue;
		}
		if (!in_phys(a.addr, a.width))
			continue;
		a.value = mask(a.value, a.width);
		seq_push(q, &a);
	}
	free(line);
	fclose(f);
}

/* ---- trace ------------------------------------------------------------- */

static FILE *open_trace(const char *path, const char *argv0, int *is_pipe)
{
	unsigned char buf[64];
	size_t n, i;
	FILE *f;
	int text = 1;

	*is_pipe = 0;
	if (!strcmp(path, "-"))
		return stdin;
	f = fopen(path, "rb");
	if (!f)
		fatal("cannot open trace %s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf), f);
	for (i = 0; i < n; i++)
		if (!buf[i] || (buf[i] < 0x20 && !isspace(buf[i])) || buf[i] >= 0x7f)
			text = 0;
	if (text) {
		rewind(f);
		return f;
	}
	fclose(f);
	/* binary: convert with `mmiotap dump` */
	{
		const char *env = getenv("MMIOTAP");
		char tool[4096], cmd[8192];
		const char *slash = strrchr(argv0, '/');

		if (env && *env) {
			snprintf(tool, sizeof(tool), "%s", env);
		} else if (slash) {
			snprintf(tool, sizeof(tool), "%.*smmiotap", (int)(slash - argv0 + 1), argv0);
			if (access(tool, X_OK))
				snprintf(tool, sizeof(tool), "mmiotap");
		} else {
			snprintf(tool, sizeof(tool), "mmiotap");
		}
		if (strchr(path, '\'') || strchr(tool, '\''))
			fatal("quote character in a path");
		snprintf(cmd, sizeof(cmd), "'%s' dump '%s'", tool, path);
		f = popen(cmd, "r");
		if (!f)
			fatal("cannot run %s: %s", cmd, strerror(errno));
		*is_pipe = 1;
		return f;
	}
}

static long trace_unknown, trace_lost, trace_dropped, trace_injected;

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* Parse a value of `width` bytes; wide values (FORMAT.md 2.2) go to a->wide. */
static int parse_value(struct acc *a, const char *s)
{
	size_t len, i;
	const char *d;

	if (strncmp(s, "0x", 2))
		return -1;
	d = s + 2;
	len = strlen(d);
	if (!len)
		return -1;
	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)d[i]))
			return -1;
	if (a->width <= 8) {
		if (len > 16)
			return -1;
		a->value = mask(strtoull(d, NULL, 16), a->width);
		return 0;
	}
	if (len > 2 * (size_t)a->width)
		return -1;
	a->wide = calloc(a->width, 1);
	if (!a->wide)
		fatal("out of memory");
	for (i = 0; i < len; i++) { /* digit i from the right is nibble i */
		int v = hexval((unsigned char)d[len - 1 - i]);
		a->wide[i / 2] |= (uint8_t)(v << (4 * (i % 2)));
	}
	return 0;
}

/*
 * mmiotrace text as written by `mmiotap dump` (docs/FORMAT.md section 2):
 * R/W lines, UNKNOWN (counted: their values cannot be compared), LOST
 * (counted), CTX <pid> <tid> <cpu> (the CPU of the following lines) and
 * EXT after an R/W: flags=dropped (the write never reached the device: not
 * compared), orig=0x.. (an injected read: the device returned orig).
 */
static void read_trace(FILE *f, struct seq *t, int *has_cpu)
{
	char *line = NULL;
	size_t cap = 0;
	long ln = 0;
	int cpu = -1, last_in = 0; /* last_in: the previous R/W line was kept */

	*has_cpu = 1;
	while (getline(&line, &cap, f) > 0) {
		struct acc a = { .cpu = -1 };
		char rw[16], valstr[160], cpus[32];
		unsigned width;
		uint64_t addr;

		ln++;
		if (!strncmp(line, "UNKNOWN ", 8)) {
			uint64_t ua;
			last_in = 0;
			if (sscanf(line, "UNKNOWN %*s %*s %" SCNx64, &ua) == 1 && in_phys(ua, 1))
				trace_unknown++;
			continue;
		}
		if (!strncmp(line, "LOST ", 5)) {
			trace_lost++;
			continue;
		}
		if (!strncmp(line, "CTX ", 4)) {
			if (sscanf(line, "CTX %*s %*s %31s", cpus) == 1)
				cpu = strcmp(cpus, "-") ? atoi(cpus) : -1;
			continue;
		}
		if (!strncmp(line, "EXT ", 4)) {
			struct acc *p = last_in ? &t->a[t->n - 1] : NULL;
			char *tok, *save;

			if (!p)
				continue;
			for (tok = strtok_r(line + 4, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
				if (!strncmp(tok, "flags=", 6) && strstr(tok, "dropped") && p->kind == 'W') {
					trace_dropped++;
					free(p->wide);
					t->n--;
					last_in = 0;
					break;
				}
				if (!strncmp(tok, "flags=", 6) && strstr(tok, "injected"))
					trace_injected++;
				if (!strncmp(tok, "orig=", 5) && p->kind == 'R') {
					free(p->wide);
					p->wide = NULL;
					if (parse_value(p, tok + 5))
						fatal("trace line %ld: bad orig= value '%s'", ln, tok + 5);
				}
			}
			continue;
		}
		if (!strncmp(line, "MAP ", 4) || !strncmp(line, "UNMAP ", 6) || !strncmp(line, "MARK ", 5))
			continue;
		last_in = 0;
		if (sscanf(line, "%15s %u %*s %*s %" SCNx64 " %159s", rw, &width, &addr, valstr) < 4 ||
		    (strcmp(rw, "R") && strcmp(rw, "W")))
			continue;
		if (!width || width > 64)
			fatal("trace line %ld: bad width %u", ln, width);
		a.line = ln;
		a.kind = rw[0];
		a.width = width;
		a.addr = addr;
		a.cpu = cpu;
		if (parse_value(&a, valstr))
			fatal("trace line %ld: bad value '%s'", ln, valstr);
		if (!in_phys(a.addr, a.width)) {
			free(a.wide);
			continue;
		}
		if (a.cpu < 0)
			*has_cpu = 0;
		seq_push(t, &a);
		last_in = 1;
	}
	free(line);
}

/* ---- comparison ------------------------------------------------------ */

static long n_exact, n_rejected, n_split, n_widened, n_diffs;

static void fmt_acc(char *buf, size_t len, const struct acc *a, const char *what)
{
	char off[32] = "";

	if (!a) {
		snprintf(buf, len, "%-6s (none)", what);
		return;
	}
	if (have_base)
		snprintf(off, sizeof(off), " +0x%" PRIx64, a->addr - base);
	snprintf(buf, len, "%-6s line %-7ld %c %u 0x%" PRIx64 "%s %s0x%" PRIx64, what, a->line, a->kind,
		 a->width, a->addr, off, a->rejected ? "rejected " : "", a->value);
	if (a->wide) {
		size_t l = strlen(buf) - 1; /* replace the "0" printed for the value */
		int b;

		for (b = (int)a->width - 1; b >= 0 && l + 3 < len; b--, l += 2)
			snprintf(buf + l, len - l, "%02x", a->wide[b]);
	}
	if (a->cpu >= 0) {
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, " cpu %d", a->cpu);
	}
}

/* The value's bytes, little-endian. */
static void acc_bytes(const struct acc *a, uint8_t *out)
{
	unsigned b;

	if (a->wide) {
		memcpy(out, a->wide, a->width);
		return;
	}
	for (b = 0; b < a->width && b < 8; b++)
		out[b] = (uint8_t)(a->value >> (8 * b));
}

/*
 * Does trace record t match q[j...]? Returns how many log entries it
 * consumes (0: no match) and sets *how.
 */
/* Widths the device model was seen to implement (bit w set: w-byte entries). */
static uint64_t model_widths;

static size_t match(const struct acc *t, const struct acc *q, size_t nq, int *how, int novalue)
{
	const struct acc *e = &q[0];
	uint8_t buf[64], want[64];
	size_t k;
	unsigned have = 0;

	if (!nq || e->kind != t->kind)
		return 0;
	if (e->rejected) {
		*how = 2;
		return e->addr == t->addr && e->width == t->width;
	}
	if (e->addr == t->addr && e->width == t->width) {
		*how = 1;
		return novalue || e->value == t->value;
	}
	/*
	 * QEMU adjusts an access to the sizes a model implements: narrower ones
	 * are widened, wider ones split. Only for widths the model never took.
	 */
	if (t->width <= 8 && (model_widths >> t->width) & 1)
		return 0;
	if (e->addr == t->addr && e->width > t->width) {
		*how = 4;
		return novalue || mask(e->value, t->width) == t->value;
	}
	/* split: consecutive entries covering [addr, addr + width) in order */
	if (e->width >= t->width)
		return 0;
	for (k = 0; k < nq && have < t->width; k++) {
		const struct acc *x = &q[k];
		unsigned b;

		if (x->rejected || x->kind != t->kind || x->addr != t->addr + have ||
		    have + x->width > t->width)
			return 0;
		for (b = 0; b < x->width; b++)
			buf[have + b] = (uint8_t)(x->value >> (8 * b));
		have += x->width;
	}
	if (have != t->width)
		return 0;
	*how = 3;
	acc_bytes(t, want);
	return novalue || !memcmp(buf, want, t->width) ? k : 0;
}

static void print_diff(const char *title, const struct acc *t, size_t nt, size_t i, const struct acc *q,
		       size_t nq, size_t j, const char *label)
{
	char a[160], b[160];
	int c;

	if (++n_diffs > opt_max_diffs)
		return;
	printf("%s: MISMATCH%s%s: %s (trace record %zu of %zu, log entry %zu of %zu)\n", prog,
	       label ? " on " : "", label ? label : "", title, i + 1, nt, j + 1, nq);
	for (c = opt_context; c > 0; c--) {
		if ((size_t)c > i || (size_t)c > j)
			continue;
		fmt_acc(a, sizeof(a), &t[i - c], "trace");
		fmt_acc(b, sizeof(b), &q[j - c], "qemu");
		printf("    %-58s | %s\n", a, b);
	}
	for (c = 0; c <= opt_context; c++) {
		fmt_acc(a, sizeof(a), i + c < nt ? &t[i + c] : NULL, "trace");
		fmt_acc(b, sizeof(b), j + c < nq ? &q[j + c] : NULL, "qemu");
		printf("%s %-58s | %s\n", c ? "   " : "  >", a, b);
	}
}

/*
 * Compare trace t with log q (both already one sequence: all, or one CPU).
 * rej/nrej/rj: in --per-cpu mode, the rejected accesses (which carry no CPU)
 * form their own global sequence that any CPU's record may consume.
 */
static void compare(struct acc *t, size_t nt, struct acc *q, size_t nq, struct acc *rej, size_t nrej,
		    size_t *rj, const char *label)
{
	size_t i = 0, j = 0, k, look = 8;
	int how;

	while (i < nt && j < nq + 1) {
		size_t used = j < nq ? match(&t[i], &q[j], nq - j, &how, 0) : 0;

		if (!used && rej && *rj < nrej && match(&t[i], &rej[*rj], 1, &how, 0)) {
			rej[(*rj)++].matched = how;
			n_rejected++;
			t[i++].matched = how;
			continue;
		}
		if (used) {
			for (k = 0; k < used; k++)
				q[j + k].matched = how;
			t[i].matched = how;
			n_exact += how == 1;
			n_rejected += how == 2;
			n_split += how == 3;
			n_widened += how == 4;
			i++;
			j += used;
			continue;
		}
		if (j >= nq)
			break;
		/* same access, other value: report it as such and go on */
		used = match(&t[i], &q[j], nq - j, &how, 1);
		if (used) {
			print_diff("different value", t, nt, i, q, nq, j, label);
			i++;
			j += used;
			continue;
		}
		/* resynchronise: extra log entries, extra trace records, or one changed pair */
		for (k = 1; k <= look && j + k < nq; k++)
			if (match(&t[i], &q[j + k], nq - j - k, &how, 0))
				break;
		if (k <= look && j + k < nq) {
			print_diff(k == 1 ? "QEMU saw an access the trace lacks" : "QEMU saw accesses the trace lacks",
				   t, nt, i, q, nq, j, label);
			j += k;
			continue;
		}
		for (k = 1; k <= look && i + k < nt; k++)
			if (match(&t[i + k], &q[j], nq - j, &how, 0))
				break;
		if (k <= look && i + k < nt) {
			print_diff("the trace has an access QEMU did not see", t, nt, i, q, nq, j, label);
			i += k;
			continue;
		}
		print_diff(t[i].kind != q[j].kind ? "different kind" :
			   t[i].addr != q[j].addr ? "different address" :
			   t[i].width != q[j].width ? "different width" : "different value",
			   t, nt, i, q, nq, j, label);
		i++;
		j++;
	}
	if (i < nt)
		print_diff("the trace has more accesses than QEMU saw", t, nt, i, q, nq, nq, label);
	else if (j < nq)
		print_diff("QEMU saw more accesses than the trace has", t, nt, nt, q, nq, j, label);
}

static void usage(int rc)
{
	fprintf(rc ? stderr : stdout,
		"usage: %s [options] QEMU_LOG TRACE\n"
		"  --region NAME   QEMU memory region name (edu-mmio, e1000-mmio, ivshmem-mmio, ...)\n"
		"  --phys A-B|A+N  physical range (inclusive); restricts both sides\n"
		"  --base ADDR     region base for rejected accesses (default: start of --phys)\n"
		"  --per-cpu       order per CPU (the trace's CTX lines give the CPU)\n"
		"  --context N     context lines around a difference (default 3)\n"
		"  --max-diffs N   differences to print (default 5)\n"
		"  --allow-empty   succeed when neither side has an access\n"
		"  -q              no summary line on success\n"
		"TRACE: mmiotrace text, '-' for stdin, or a binary trace (via `mmiotap dump`).\n"
		"Exit: 0 same accesses, 1 mismatch, 2 usage or input error.\n",
		prog);
	exit(rc);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "region", 1, 0, 'r' }, { "phys", 1, 0, 'p' }, { "base", 1, 0, 'b' },
		{ "per-cpu", 0, 0, 'c' }, { "context", 1, 0, 'C' }, { "max-diffs", 1, 0, 'm' },
		{ "allow-empty", 0, 0, 'e' }, { "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	struct seq q = { 0 }, t = { 0 };
	long other = 0;
	int c, is_pipe, has_cpu, rc = 0;
	size_t i;
	FILE *tf;

	while ((c = getopt_long(argc, argv, "qh", lo, NULL)) != -1) {
		switch (c) {
		case 'r': opt_region = optarg; break;
		case 'p': parse_range(optarg); break;
		case 'b': base = strtoull(optarg, NULL, 0); have_base = 1; break;
		case 'c': opt_per_cpu = 1; break;
		case 'C': opt_context = atoi(optarg); break;
		case 'm': opt_max_diffs = atoi(optarg); break;
		case 'e': opt_allow_empty = 1; break;
		case 'q': opt_quiet = 1; break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (argc - optind != 2)
		usage(2);
	if (!opt_region && !have_phys)
		fatal("select a region: --region NAME and/or --phys A-B");
	if (have_phys && !have_base) {
		base = phys_lo;
		have_base = 1;
	}
	read_qemu(argv[optind], &q, &other);
	for (i = 0; i < q.n; i++)
		if (!q.a[i].rejected && q.a[i].width <= 8)
			model_widths |= 1ull << q.a[i].width;
	tf = open_trace(argv[optind + 1], argv[0], &is_pipe);
	read_trace(tf, &t, &has_cpu);
	if (is_pipe) {
		int st = pclose(tf);
		if (st)
			fatal("`mmiotap dump %s` failed (status %d)", argv[optind + 1], st);
	} else if (tf != stdin) {
		fclose(tf);
	}
	if (trace_unknown)
		printf("%s: the trace has %ld UNKNOWN record(s) in range: their accesses cannot be compared\n",
		       prog, trace_unknown);

	if (!opt_per_cpu) {
		compare(t.a, t.n, q.a, q.n, NULL, 0, NULL, NULL);
	} else {
		struct seq rej = { 0 };
		size_t rj = 0;
		int maxcpu = -1, cpu;

		if (t.n && !has_cpu)
			fatal("--per-cpu: trace records lack a CPU (CTX <pid> <tid> <cpu> lines)");
		for (i = 0; i < q.n; i++)
			if (q.a[i].cpu > maxcpu)
				maxcpu = q.a[i].cpu;
		for (i = 0; i < t.n; i++)
			if (t.a[i].cpu > maxcpu)
				maxcpu = t.a[i].cpu;
		for (i = 0; i < q.n; i++)
			if (q.a[i].rejected)
				seq_push(&rej, &q.a[i]);
		for (cpu = 0; cpu <= maxcpu; cpu++) {
			struct seq tc = { 0 }, qc = { 0 };
			char label[32];

			for (i = 0; i < t.n; i++)
				if (t.a[i].cpu == cpu)
					seq_push(&tc, &t.a[i]);
			for (i = 0; i < q.n; i++)
				if (q.a[i].cpu == cpu && !q.a[i].rejected)
					seq_push(&qc, &q.a[i]);
			snprintf(label, sizeof(label), "cpu %d", cpu);
			compare(tc.a, tc.n, qc.a, qc.n, rej.a, rej.n, &rj, label);
			free(tc.a);
			free(qc.a);
		}
		if (rj < rej.n) {
			char b[160];
			n_diffs++;
			fmt_acc(b, sizeof(b), &rej.a[rj], "qemu");
			printf("%s: MISMATCH: %zu rejected access(es) not in the trace, first: %s\n", prog,
			       rej.n - rj, b);
		}
		free(rej.a);
	}
	if (trace_unknown)
		n_diffs++;
	if (trace_lost) {
		printf("%s: the trace has %ld LOST line(s): records are missing\n", prog, trace_lost);
		n_diffs++;
	}
	if (n_diffs) {
		if (n_diffs > opt_max_diffs)
			printf("%s: ... %ld differences in all (printed %d)\n", prog, n_diffs, opt_max_diffs);
		printf("%s: FAIL: %zu trace records, %zu QEMU log entries%s%s\n", prog, t.n, q.n,
		       opt_region ? " in region " : "", opt_region ? opt_region : "");
		rc = 1;
	} else if (!t.n && !q.n && !opt_allow_empty) {
		printf("%s: FAIL: no accesses at all on either side (%ld log entries of other regions)\n", prog,
		       other);
		rc = 1;
	} else if (!opt_quiet) {
		printf("%s: OK: %zu accesses match (%ld exact, %ld rejected by the device, %ld split, %ld widened; "
		       "%zu QEMU log entries)", prog, t.n, n_exact, n_rejected, n_split, n_widened, q.n);
		if (opt_region)
			printf(" region %s", opt_region);
		if (have_phys)
			printf(" [0x%" PRIx64 "-0x%" PRIx64 "]", phys_lo, phys_hi);
		printf("%s\n", opt_per_cpu ? " per CPU" : "");
	}
	for (i = 0; i < t.n; i++)
		free(t.a[i].wide);
	free(q.a);
	free(t.a);
	return rc;
}
