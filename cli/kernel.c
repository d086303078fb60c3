// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kernel.c - `mmiotap kernel record|stop|mark|status`: drive mmiotap.ko
 * through /dev/mmiotap (the ABI of mmiotap/kabi.h) and write what it records
 * in the common binary trace format (mmiotap/trace.h).
 *
 * record: load the module if /dev/mmiotap is missing (--module PATH,
 * $MMIOTAP_KO, kmod/mmiotap.ko next to this program, else modprobe), send
 * the selection, START, then drain the per-CPU buffers every few ms until
 * CMD exits, SIGINT/SIGTERM arrives, or `mmiotap kernel stop` stops the
 * module. The kernel hands out one sequence number per record under its
 * order lock; STATUS tells the last one handed out, so after a drain every
 * record up to it is in hand: those are written sorted, followed by a SYNC.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "cli.h"
#include "mmiotap/inject.h"
#include "mmiotap/kabi.h"
#include "mmiotap/trace.h"

int mt_cli_kernel(int argc, char **argv);
int mt_cli_kernel_mark(const char *text);
int mt_cli_kernel_mark_args(int argc, char **argv);

#define MAX_SEL 32

static volatile sig_atomic_t got_signal;
static void on_signal(int sig) { got_signal = sig; }

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mmiotap kernel record [--pci BDF[,bar=N]]... [--phys A-B|A+N]... [-o FILE]\n"
		"                             [--inject RULE]... [--buf-records N] [--module PATH]\n"
		"                             [--keep-module] [-q]\n"
		"                             [-- CMD [ARGS...]]\n"
		"       mmiotap kernel stop       stop the running kernel recording\n"
		"       mmiotap kernel mark TEXT  put a marker into it (also: mmiotap mark TEXT)\n"
		"       mmiotap kernel status     print what the module is doing\n"
		"Trace drivers' MMIO with mmiotap.ko (loaded if needed). Nothing is traced\n"
		"unless selected. Records until CMD exits, Ctrl-C, or `mmiotap kernel stop`.\n"
		"  --pci BDF[,bar=N]   a PCI function's memory BARs ([DDDD:]BB:DD.F), or one BAR\n"
		"  --phys A-B|A+N      physical range (inclusive end, or start and length)\n"
		"  -o, --output FILE   trace file (default mmiotap-kernel.trace)\n"
		"  --inject RULE       fault injection rule, applied in the kernel (pci=, phys=\n"
		"                      or no target; see mmiotap-kernel(1)); repeatable\n"
		"  --buf-records N     per-CPU buffer, in records (power of two, default 65536)\n"
		"  --module PATH       mmiotap.ko to load when the module is not loaded\n"
		"  --keep-module       do not unload a module this command loaded\n"
		"  -q                  no summary line\n");
}

/* ---- the module --------------------------------------------------------- */

static int find_module(char *buf, size_t room, const char *opt)
{
	char exe[PATH_MAX];
	ssize_t n;

	if (opt) {
		snprintf(buf, room, "%s", opt);
		return 0;
	}
	if (getenv("MMIOTAP_KO") && *getenv("MMIOTAP_KO")) {
		snprintf(buf, room, "%s", getenv("MMIOTAP_KO"));
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = 0;
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			if (snprintf(buf, room, "%.*s/kmod/mmiotap.ko", (int)(room - 32), exe) < (int)room &&
			    access(buf, R_OK) == 0)
				return 0;
		}
	}
	return -ENOENT;
}

/* Make /dev/mmiotap exist (no udev in minimal systems: mknod from sysfs). */
static int wait_device(void)
{
	for (int i = 0; i < 200; i++) {
		FILE *f;
		unsigned maj, min;

		if (access(MMIOTAP_KDEV, F_OK) == 0)
			return 0;
		f = fopen("/sys/class/misc/mmiotap/dev", "r");
		if (f) {
			int ok = fscanf(f, "%u:%u", &maj, &min) == 2;

			fclose(f);
			if (ok && mknod(MMIOTAP_KDEV, S_IFCHR | 0600, makedev(maj, min)) == 0)
				return 0;
		}
		usleep(10000);
	}
	return -ENODEV;
}

/* Returns 1 if this call loaded the module, 0 if it was there, or dies. */
static int ensure_module(const char *opt)
{
	char ko[PATH_MAX];
	int fd, rc;

	if (access(MMIOTAP_KDEV, F_OK) == 0)
		return 0;
	if (access("/sys/module/mmiotap", F_OK) == 0) {
		if (wait_device())
			error_msg_and_die("mmiotap.ko is loaded but %s does not appear", MMIOTAP_KDEV);
		return 0;
	}
	if (find_module(ko, sizeof(ko), opt) == 0) {
		fd = open(ko, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			perror_msg_and_die("%s", ko);
		rc = (int)syscall(SYS_finit_module, fd, "", 0);
		if (rc && errno != EEXIST)
			perror_msg_and_die("loading %s (see dmesg)", ko);
		close(fd);
	} else {
		rc = system("modprobe mmiotap 2>/dev/null");
		if (rc != 0)
			error_msg_and_die("mmiotap.ko not found (give --module PATH or set MMIOTAP_KO) and `modprobe mmiotap` failed");
	}
	if (wait_device())
		error_msg_and_die("module loaded but %s does not appear", MMIOTAP_KDEV);
	return 1;
}

static void unload_module(void)
{
	for (int i = 0; i < 50; i++) {
		if (syscall(SYS_delete_module, "mmiotap", O_NONBLOCK) == 0 || errno == ENOENT)
			return;
		if (errno != EAGAIN && errno != EBUSY)
			break;
		usleep(20000);
	}
	perror_msg("unloading mmiotap.ko");
}

static int open_dev(void)
{
	__u32 ver = 0;
	int fd = open(MMIOTAP_KDEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		perror_msg_and_die("%s", MMIOTAP_KDEV);
	if (ioctl(fd, MMIOTAP_KIOC_VERSION, &ver) || ver != MMIOTAP_KABI_VERSION)
		error_msg_and_die("%s speaks ABI version %u, this program %u: load the matching mmiotap.ko",
				  MMIOTAP_KDEV, ver, MMIOTAP_KABI_VERSION);
	return fd;
}

/* ---- selection parsing ---------------------------------------------------- */

static int parse_pci(const char *s, struct mmiotap_ksel *k)
{
	unsigned dom = 0, bus, dev, fn, bar;
	int n = 0;
	const char *rest;

	memset(k, 0, sizeof(*k));
	k->size = sizeof(*k);
	k->kind = MMIOTAP_KSEL_PCI;
	k->bar = 0xff;
	if (sscanf(s, "%x:%x:%x.%u%n", &dom, &bus, &dev, &fn, &n) != 4) {
		dom = 0;
		n = 0;
		if (sscanf(s, "%x:%x.%u%n", &bus, &dev, &fn, &n) != 3)
			return -1;
	}
	if (dom > 0xffff || bus > 0xff || dev > 31 || fn > 7)
		return -1;
	rest = s + n;
	if (*rest) {
		if (sscanf(rest, ",bar=%u%n", &bar, &n) != 1 || rest[n] || bar > 5)
			return -1;
		k->bar = (__u8)bar;
	}
	k->pci_domain = dom;
	k->pci_bus = (__u8)bus;
	k->pci_devfn = (__u8)(dev << 3 | fn);
	return 0;
}

static int parse_phys(const char *s, struct mmiotap_ksel *k)
{
	char buf[128], *sep;
	uint64_t a, b;
	int plus;

	memset(k, 0, sizeof(*k));
	k->size = sizeof(*k);
	k->kind = MMIOTAP_KSEL_PHYS;
	snprintf(buf, sizeof(buf), "%s", s);
	sep = strpbrk(buf, "-+");
	if (!sep)
		return -1;
	plus = *sep == '+';
	*sep = 0;
	if (mt_cli_parse_u64(buf, &a) || mt_cli_parse_size(sep + 1, &b))
		return -1;
	if (plus ? (b == 0 || a + b < a) : (b < a || b == UINT64_MAX))
		return -1;
	k->start = a;
	k->end = plus ? a + b : b + 1;
	return 0;
}

/* ---- records -> trace ------------------------------------------------------- */

struct map_ent {
	int used;
	uint64_t phys;
};

struct drain {
	int fd;
	struct mt_writer *w;
	struct mmiotap_krec *pend;
	size_t npend, cap;
	struct map_ent maps[65536];
	char mark[4096];
	size_t mark_len;
	uint64_t mark_seq, mark_ts;
	/* A READ/WRITE wider than 8 bytes, waiting for its DATA records. */
	struct mt_event wide_ev;
	uint8_t wide[64];
	uint64_t wide_orig;
	size_t wide_len;
	int wide_pending;
	uint64_t nrec, naccess, nlost, nunknown;
	int werr;
};

static int by_seq(const void *a, const void *b)
{
	const struct mmiotap_krec *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static uint16_t conv_flags(uint16_t kf)
{
	uint16_t f = 0;

	if (kf & MMIOTAP_KF_NMI) f |= MT_RF_NMI;
	if (kf & MMIOTAP_KF_NESTED) f |= MT_RF_NESTED;
	if (kf & MMIOTAP_KF_HARDIRQ) f |= MT_RF_HARDIRQ;
	if (kf & MMIOTAP_KF_SOFTIRQ) f |= MT_RF_SOFTIRQ;
	if (kf & MMIOTAP_KF_INJECTED) f |= MT_RF_INJECTED;
	if (kf & MMIOTAP_KF_DROPPED) f |= MT_RF_DROPPED;
	if (kf & MMIOTAP_KF_DELAYED) f |= MT_RF_DELAYED;
	if (kf & MMIOTAP_KF_LOCKED) f |= MT_RF_LOCKED;
	if (kf & MMIOTAP_KF_STRING) f |= MT_RF_STRING;
	return f;
}

static void write_event(struct drain *d, const struct mt_event *ev)
{
	int rc = mt_writer_event(d->w, ev);

	if (rc && !d->werr)
		d->werr = rc;
	d->nrec++;
}

/* The pending wide access, with what its DATA records gave (the rest, lost
 * with the DATA records, zero). */
static void flush_wide(struct drain *d)
{
	if (!d->wide_pending)
		return;
	d->wide_pending = 0;
	d->wide_ev.wide = d->wide;
	write_event(d, &d->wide_ev);
}

static void emit(struct drain *d, const struct mmiotap_krec *r)
{
	struct mt_event ev;

	if (r->type == MMIOTAP_KREC_DATA) {
		size_t n = r->width > 16 ? 16 : r->width;

		if (!d->wide_pending || r->seq != d->wide_ev.seq + (d->wide_len - 8) / 16 + 1)
			return; /* no wide access waiting for it: skipped */
		if (d->wide_len + n > d->wide_ev.width)
			n = d->wide_ev.width - d->wide_len;
		memcpy(d->wide + d->wide_len, r->insn, n);
		d->wide_len += 16;
		if (!(r->flags & MMIOTAP_KF_MORE) || d->wide_len >= d->wide_ev.width)
			flush_wide(d);
		return;
	}
	flush_wide(d);
	memset(&ev, 0, sizeof(ev));
	ev.seq = r->seq;
	ev.ts = r->ts_ns;
	ev.pc = r->pc;
	ev.pid = r->pid;
	ev.tid = MT_TID_UNKNOWN;
	ev.cpu = r->cpu;
	ev.map_id = r->map_id;
	ev.width = r->width;
	ev.flags = conv_flags(r->flags);
	switch (r->type) {
	case MMIOTAP_KREC_READ:
	case MMIOTAP_KREC_WRITE:
		ev.kind = r->type == MMIOTAP_KREC_READ ? MT_REC_READ : MT_REC_WRITE;
		ev.value = r->value;
		if (r->flags & MMIOTAP_KF_INJECTED) {
			/* orig: the value before injection, as many bytes as
			 * the record carries (the low 8) */
			ev.orig = (const uint8_t *)&r->orig;
			ev.orig_len = r->width > 8 ? 8 : r->width;
		}
		ev.phys = r->phys;
		ev.offset = r->phys - d->maps[r->map_id].phys;
		d->naccess++;
		if (r->width > 8 && r->width <= sizeof(d->wide)) {
			/* DATA records with bytes 8.. follow (seq + 1, ...). */
			memset(d->wide, 0, sizeof(d->wide));
			memcpy(d->wide, &r->value, 8);
			d->wide_len = 8;
			d->wide_ev = ev;
			if (ev.orig) {
				d->wide_orig = r->orig;
				d->wide_ev.orig = (const uint8_t *)&d->wide_orig;
			}
			d->wide_pending = 1;
			if (!(r->flags & MMIOTAP_KF_MORE))
				flush_wide(d);
			return;
		}
		break;
	case MMIOTAP_KREC_UNKNOWN:
		ev.kind = MT_REC_UNKNOWN;
		ev.phys = r->phys;
		ev.offset = r->phys - d->maps[r->map_id].phys;
		ev.insn = r->insn;
		ev.insn_len = r->width > 16 ? 16 : r->width;
		ev.width = 0;
		ev.value = (uint64_t)r->insn[0] << 16 | (uint64_t)r->insn[1] << 8 | r->insn[2];
		d->nunknown++;
		break;
	case MMIOTAP_KREC_LOST:
		ev.kind = MT_REC_LOST;
		ev.value = r->value;
		ev.width = 0;
		ev.map_id = 0;
		d->nlost += r->value;
		break;
	case MMIOTAP_KREC_MAP:
		ev.kind = MT_REC_MAP;
		ev.width = 0;
		ev.phys = r->phys;
		ev.map.map_id = r->map_id;
		ev.map.text_id = r->map_id;
		ev.map.pid = r->pid;
		ev.map.seq = r->seq;
		ev.map.ts = r->ts_ns;
		ev.map.phys = r->phys;
		ev.map.virt = r->virt;
		ev.map.size = r->value;
		ev.map.pc = r->pc;
		ev.map.path = "";
		ev.map.bar = r->width;
		if (r->pci != 0xffffffffu) {
			ev.map.source = MT_MAPSRC_PCI;
			ev.map.pci_domain = (uint16_t)(r->pci >> 16);
			ev.map.pci_bus = (uint8_t)(r->pci >> 8);
			ev.map.pci_devfn = (uint8_t)r->pci;
		} else {
			ev.map.source = MT_MAPSRC_NONE;
			ev.map.bar = 0xff;
		}
		d->maps[r->map_id].used = 1;
		d->maps[r->map_id].phys = r->phys;
		break;
	case MMIOTAP_KREC_UNMAP:
		ev.kind = MT_REC_UNMAP;
		ev.width = 0;
		break;
	case MMIOTAP_KREC_MARK: {
		size_t n = r->width > 16 ? 16 : r->width;

		if (!d->mark_len) {
			d->mark_seq = r->seq;
			d->mark_ts = r->ts_ns;
		}
		if (d->mark_len + n <= sizeof(d->mark)) {
			memcpy(d->mark + d->mark_len, r->insn, n);
			d->mark_len += n;
		}
		if (r->flags & MMIOTAP_KF_MORE)
			return;
		ev.kind = MT_REC_MARK;
		ev.seq = d->mark_seq;
		ev.ts = d->mark_ts;
		ev.width = 0;
		ev.map_id = 0;
		ev.flags = 0;
		ev.text = d->mark;
		ev.text_len = d->mark_len;
		d->mark_len = 0;
		break;
	}
	default:
		return; /* a newer module's record kind: skipped */
	}
	write_event(d, &ev);
}

/* Read everything the module has now into d->pend. */
static int drain_once(struct drain *d)
{
	for (;;) {
		ssize_t n;

		if (d->cap - d->npend < 1024) {
			size_t cap = d->cap ? d->cap * 2 : 65536;
			void *p = realloc(d->pend, cap * sizeof(*d->pend));

			if (!p)
				return -ENOMEM;
			d->pend = p;
			d->cap = cap;
		}
		n = read(d->fd, d->pend + d->npend, (d->cap - d->npend) * sizeof(*d->pend));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return 0;
		d->npend += (size_t)n / sizeof(*d->pend);
	}
}

/* One round: status (the last seq handed out), drain, write what is
 * complete, SYNC. Returns 1 if the module still traces, 0 if not, <0. */
static int round_trip(struct drain *d, int final)
{
	struct mmiotap_kstatus st = { .size = sizeof(st) };
	size_t i, k;
	int rc;

	if (ioctl(d->fd, MMIOTAP_KIOC_STATUS, &st))
		return -errno;
	rc = drain_once(d);
	if (rc)
		return rc;
	if (!d->npend)
		return st.tracing;
	qsort(d->pend, d->npend, sizeof(*d->pend), by_seq);
	for (i = 0; i < d->npend && (final || d->pend[i].seq <= st.last_seq); i++)
		emit(d, &d->pend[i]);
	/* A wide access's DATA records are numbered and committed with it:
	 * none is left pending here unless its DATA records were lost. */
	flush_wide(d);
	if (i) {
		uint64_t ts = d->pend[i - 1].ts_ns;

		for (k = i; k < d->npend; k++)
			d->pend[k - i] = d->pend[k];
		d->npend -= i;
		rc = mt_writer_sync(d->w, st.last_seq + 1, ts);
		if (rc && !d->werr)
			d->werr = rc;
	}
	return st.tracing;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int kernel_record(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pci", required_argument, NULL, 'P' },
		{ "phys", required_argument, NULL, 'A' },
		{ "output", required_argument, NULL, 'o' },
		{ "buf-records", required_argument, NULL, 'B' },
		{ "module", required_argument, NULL, 'M' },
		{ "keep-module", no_argument, NULL, 'K' },
		{ "inject", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mmiotap_ksel sel[MAX_SEL];
	struct mt_inject_rule rules[MMIOTAP_KINJECT_MAX];
	int nrules = 0;
	int nsel = 0, c, quiet = 0, keep = 0, loaded, rc, status = 0;
	const char *out = "mmiotap-kernel.trace", *module = NULL;
	uint64_t bufrec = 0;
	struct mt_writer_opts wo = { .sz = sizeof(wo) };
	struct drain *d;
	pid_t child = -1;
	struct sigaction sa;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'P':
		case 'A':
			if (nsel == MAX_SEL)
				error_msg_and_die("at most %d selections", MAX_SEL);
			if ((c == 'P' ? parse_pci : parse_phys)(optarg, &sel[nsel]))
				error_msg_and_help("bad --%s '%s'", c == 'P' ? "pci" : "phys", optarg);
			nsel++;
			break;
		case 'o': out = optarg; break;
		case 'B':
			if (mt_cli_parse_size(optarg, &bufrec) || bufrec > (1u << 24))
				error_msg_and_help("bad --buf-records '%s'", optarg);
			break;
		case 'M': module = optarg; break;
		case 'K': keep = 1; break;
		case 'I': {
			struct mt_rule_error err;

			if (nrules == MMIOTAP_KINJECT_MAX)
				error_msg_and_die("at most %d --inject rules", MMIOTAP_KINJECT_MAX);
			memset(&err, 0, sizeof(err));
			if (mt_rule_parse(optarg, &rules[nrules], &err) < 0)
				error_msg_and_die("--inject '%s': column %u: %s%s%s", optarg, err.column,
						  err.msg, err.token[0] ? " near " : "", err.token);
			if (rules[nrules].target == MT_TGT_FILE)
				error_msg_and_die("--inject '%s': file= targets have no meaning in the kernel (use pci= or phys=)",
						  optarg);
			nrules++;
			break;
		}
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!nsel)
		error_msg_and_help("nothing selected: give --pci BDF or --phys A-B");

	d = calloc(1, sizeof(*d));
	if (!d)
		error_msg_and_die("out of memory");
	loaded = ensure_module(module);
	d->fd = open_dev();
	{
		struct mmiotap_kcfg cfg = { .size = sizeof(cfg), .buf_records = (__u32)bufrec };

		if (ioctl(d->fd, MMIOTAP_KIOC_CONFIG, &cfg)) {
			if (errno == EBUSY)
				error_msg_and_die("a kernel recording is already running (mmiotap kernel stop)");
			perror_msg_and_die("configuring the module");
		}
	}
	for (int i = 0; i < nsel; i++) {
		if (ioctl(d->fd, MMIOTAP_KIOC_SELECT, &sel[i]) == 0)
			continue;
		if (sel[i].kind == MMIOTAP_KSEL_PCI)
			perror_msg_and_die("--pci %04x:%02x:%02x.%u%s", sel[i].pci_domain, sel[i].pci_bus,
					   sel[i].pci_devfn >> 3, sel[i].pci_devfn & 7,
					   errno == ENODEV ? " (no such device)" :
					   errno == ENXIO ? " (no such memory BAR)" : "");
		perror_msg_and_die("--phys selection");
	}
	if (nrules) {
		struct mmiotap_kinject k = {
			.size = sizeof(k),
			.nrules = (__u32)nrules,
			.rule_size = sizeof(struct mt_inject_rule),
			.rules = (__u64)(uintptr_t)rules,
		};

		if (ioctl(d->fd, MMIOTAP_KIOC_INJECT, &k))
			perror_msg_and_die("sending the --inject rules to the module");
	}
	wo.clock = MT_CLOCK_KERNEL;
	wo.source = MT_SRC_KERNEL;
	{
		struct timespec rt;

		clock_gettime(CLOCK_REALTIME, &rt);
		wo.start_realtime_ns = (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec;
	}
	rc = strcmp(out, "-") ? mt_writer_open_path(&d->w, out, &wo)
			      : mt_writer_open_fd(&d->w, STDOUT_FILENO, &wo);
	if (rc)
		errno_msg_and_die(rc, "%s", out);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (ioctl(d->fd, MMIOTAP_KIOC_START)) {
		if (errno == EBUSY)
			error_msg_and_die("a kernel recording is already running (mmiotap kernel stop)");
		perror_msg_and_die("starting the recording");
	}
	if (optind < argc) {
		child = fork();
		if (child < 0)
			perror_msg_and_die("fork");
		if (child == 0) {
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			execvp(argv[optind], argv + optind);
			fprintf(stderr, "mmiotap kernel: %s: %s\n", argv[optind], strerror(errno));
			_exit(127);
		}
	}
	for (;;) {
		rc = round_trip(d, 0);
		if (rc < 0) {
			errno_msg(rc, "reading %s", MMIOTAP_KDEV);
			break;
		}
		if (rc == 0)
			break; /* stopped from outside */
		if (got_signal) {
			if (child > 0)
				kill(child, got_signal);
			break;
		}
		if (child > 0 && waitpid(child, &status, WNOHANG) == child) {
			child = -1;
			break;
		}
		sleep_ms(d->npend ? 2 : 20);
	}
	if (ioctl(d->fd, MMIOTAP_KIOC_STOP))
		perror_msg("stopping the recording");
	rc = round_trip(d, 1);
	if (rc < 0)
		errno_msg(rc, "reading %s", MMIOTAP_KDEV);
	if (child > 0)
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
	rc = mt_writer_close(d->w);
	if (!d->werr)
		d->werr = rc;
	close(d->fd);
	if (loaded && !keep)
		unload_module();
	if (d->werr)
		errno_msg_and_die(d->werr, "%s", out);
	if (!quiet)
		fprintf(stderr, "mmiotap kernel: %llu records (%llu accesses, %llu unknown, %llu lost) written to %s\n",
			(unsigned long long)d->nrec, (unsigned long long)d->naccess,
			(unsigned long long)d->nunknown, (unsigned long long)d->nlost, out);
	free(d->pend);
	free(d);
	if (optind < argc) {
		if (WIFSIGNALED(status)) {
			signal(WTERMSIG(status), SIG_DFL);
			raise(WTERMSIG(status));
			return 128 + WTERMSIG(status);
		}
		return WEXITSTATUS(status);
	}
	return 0;
}

/* For `mmiotap mark`: 0, -ENODEV (no module), -ENODATA (not recording). */
int mt_cli_kernel_mark(const char *text)
{
	struct mmiotap_kmark m = { .size = sizeof(m) };
	size_t len = strlen(text);
	int fd, rc = 0;

	if (len == 0)
		return -EINVAL;
	fd = open(MMIOTAP_KDEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENODEV : -errno;
	if (len > MMIOTAP_KMARK_MAX)
		len = MMIOTAP_KMARK_MAX;
	memcpy(m.text, text, len);
	m.len = (__u32)len;
	if (ioctl(fd, MMIOTAP_KIOC_MARK, &m))
		rc = -errno;
	close(fd);
	return rc;
}

static char *join(int argc, char **argv)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	if (!s)
		error_msg_and_die("out of memory");
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

/* `mmiotap mark TEXT...` when no user-space recording runs (cli/mark.c). */
int mt_cli_kernel_mark_args(int argc, char **argv)
{
	char *text;
	int rc;

	if (argc < 1 || access(MMIOTAP_KDEV, F_OK))
		return -ENODEV;
	text = join(argc, argv);
	rc = mt_cli_kernel_mark(text);
	free(text);
	return rc;
}

int mt_cli_kernel(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub || !strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		usage(sub ? stdout : stderr);
		return sub ? 0 : 2;
	}
	if (!strcmp(sub, "record"))
		return kernel_record(argc - 1, argv + 1);
	if (!strcmp(sub, "stop")) {
		int fd = open(MMIOTAP_KDEV, O_RDWR | O_CLOEXEC);

		if (fd < 0)
			error_msg_and_die("no kernel recording (%s: %s)", MMIOTAP_KDEV, strerror(errno));
		if (ioctl(fd, MMIOTAP_KIOC_STOP))
			perror_msg_and_die("stop");
		close(fd);
		return 0;
	}
	if (!strcmp(sub, "mark")) {
		char *text;
		int rc;

		if (argc < 3)
			error_msg_and_help("mark: no text given");
		text = join(argc - 2, argv + 2);
		if (strlen(text) > MMIOTAP_KMARK_MAX)
			error_msg("mark: text cut to %d bytes", MMIOTAP_KMARK_MAX);
		rc = mt_cli_kernel_mark(text);
		free(text);
		if (rc == -ENODATA)
			error_msg_and_die("mark: no kernel recording is running");
		if (rc)
			errno_msg_and_die(rc, "mark");
		return 0;
	}
	if (!strcmp(sub, "status")) {
		struct mmiotap_kstatus st = { .size = sizeof(st) };
		int fd = open(MMIOTAP_KDEV, O_RDWR | O_CLOEXEC);

		if (fd < 0)
			error_msg_and_die("mmiotap.ko is not loaded (%s: %s)", MMIOTAP_KDEV, strerror(errno));
		if (ioctl(fd, MMIOTAP_KIOC_STATUS, &st))
			perror_msg_and_die("status");
		close(fd);
		printf("tracing %s, %u mappings armed, last seq %llu, %llu accesses emulated, %llu unknown, %llu lost\n",
		       st.tracing ? "on" : "off", st.regions, (unsigned long long)st.last_seq,
		       (unsigned long long)st.emulated, (unsigned long long)st.unknown,
		       (unsigned long long)st.lost);
		return 0;
	}
	error_msg_and_help("unknown kernel command '%s' (record, stop, mark, status)", sub);
}
