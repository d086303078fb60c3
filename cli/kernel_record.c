// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kernel_record.c - `mmiotap kernel record`: load the module if
 * /dev/mmiotap is missing (--module PATH, $MMIOTAP_KO, kmod/mmiotap.ko next
 * to this program, else modprobe), send the selection and the rules, START
 * (this process's open file owns the session: if it dies, the module stops
 * and releases everything), then drain the module's buffers as records
 * come (a quarter-full buffer wakes a reader thread at once) until
 * CMD exits, SIGINT/SIGTERM/SIGHUP arrives, or the session is stopped;
 * then STOP, drain the rest, and write the trace (kernel_drain.c). Reading
 * is done by one thread pinned to each CPU (kernel_drain.c); this thread
 * writes the trace.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "cli.h"
#include "kernel_int.h"
#include "pcisysfs.h"
#include "mmiotap/inject.h"

int mt_cli_kernel_record(int argc, char **argv);
void mt_cli_kernel_usage(FILE *f);

#define MAX_SEL 32

struct krec_opts {
	struct mmiotap_ksel sel[MAX_SEL];
	int nsel;
	struct mt_inject_rule rules[MMIOTAP_KINJECT_MAX];
	int nrules;
	const char *out, *module;
	uint64_t bufrec;
	int quiet, keep;
	unsigned child_grace_ms; /* CMD's time to end after the recording, then SIGKILL */
	char **cmd;             /* NULL: until a signal or `kernel stop` */
};

#define CHILD_GRACE_MS 2000 /* --child-grace default */

static volatile sig_atomic_t got_signal, signal_from_tty;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Noted; si_code > 0: the kernel sent it (the terminal's Ctrl-C, hangup),
 * to CMD as well as to us. */
static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_signal = sig;
	signal_from_tty = si->si_code > 0;
}

static void parse_rule(struct krec_opts *o, const char *s)
{
	struct mt_rule_error err;

	if (o->nrules == MMIOTAP_KINJECT_MAX)
		error_msg_and_die("at most %d --inject rules", MMIOTAP_KINJECT_MAX);
	memset(&err, 0, sizeof(err));
	if (mt_rule_parse(s, &o->rules[o->nrules], &err) < 0)
		error_msg_and_die("--inject '%s': column %u: %s%s%s", s, err.column, err.msg,
				  err.token[0] ? " near " : "", err.token);
	if (o->rules[o->nrules].target == MT_TGT_FILE)
		error_msg_and_die("--inject '%s': file= targets have no meaning in the kernel (use pci= or phys=)",
				  s);
	o->nrules++;
}

/* Returns -1 to go on, else the exit status (--help, usage error). */
static int parse_opts(int argc, char **argv, struct krec_opts *o)
{
	static const struct option lo[] = {
		{ "pci", required_argument, NULL, 'P' },
		{ "phys", required_argument, NULL, 'A' },
		{ "output", required_argument, NULL, 'o' },
		{ "buf-records", required_argument, NULL, 'B' },
		{ "module", required_argument, NULL, 'M' },
		{ "keep-module", no_argument, NULL, 'K' },
		{ "inject", required_argument, NULL, 'I' },
		{ "child-grace", required_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->out = "mmiotap-kernel.trace";
	o->child_grace_ms = CHILD_GRACE_MS;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'P':
		case 'A':
			if (o->nsel == MAX_SEL)
				error_msg_and_die("at most %d selections", MAX_SEL);
			if ((c == 'P' ? mt_kdev_parse_pci : mt_kdev_parse_phys)(optarg, &o->sel[o->nsel]))
				error_msg_and_help("bad --%s '%s'", c == 'P' ? "pci" : "phys", optarg);
			o->nsel++;
			break;
		case 'o': o->out = optarg; break;
		case 'B':
			if (mt_cli_parse_size(optarg, &o->bufrec) || o->bufrec > (1u << 24))
				error_msg_and_help("bad --buf-records '%s'", optarg);
			break;
		case 'G': {
			char *end;
			unsigned long ms = strtoul(optarg, &end, 10);

			if (end == optarg || *end || ms > 600000)
				error_msg_and_help("bad --child-grace '%s' (milliseconds, at most 600000)",
						   optarg);
			o->child_grace_ms = (unsigned)ms;
			break;
		}
		case 'M': o->module = optarg; break;
		case 'K': o->keep = 1; break;
		case 'I': parse_rule(o, optarg); break;
		case 'q': o->quiet = 1; break;
		case 'h': mt_cli_kernel_usage(stdout); return 0;
		default: mt_cli_kernel_usage(stderr); return 2;
		}
	}
	if (!o->nsel)
		error_msg_and_help("nothing selected: give --pci BDF or --phys A-B");
	o->cmd = optind < argc ? argv + optind : NULL;
	return -1;
}

/* CONFIG, SELECT, INJECT: the first makes this file the session's owner. */
static void send_session(int fd, const struct krec_opts *o)
{
	struct mmiotap_kcfg cfg = { .size = sizeof(cfg), .buf_records = (__u32)o->bufrec };

	if (ioctl(fd, MMIOTAP_KIOC_CONFIG, &cfg)) {
		if (errno == EBUSY)
			mt_kdev_die_busy(fd);
		perror_msg_and_die("configuring the module");
	}
	for (int i = 0; i < o->nsel; i++) {
		const struct mmiotap_ksel *s = &o->sel[i];

		if (ioctl(fd, MMIOTAP_KIOC_SELECT, s) == 0)
			continue;
		if (s->kind == MMIOTAP_KSEL_PCI)
			perror_msg_and_die("--pci %04x:%02x:%02x.%u%s", s->pci_domain, s->pci_bus,
					   s->pci_devfn >> 3, s->pci_devfn & 7,
					   errno == ENODEV ? " (no such device)" :
					   errno == ENXIO ? " (no such memory BAR)" : "");
		perror_msg_and_die("--phys selection");
	}
	if (o->nrules) {
		struct mmiotap_kinject k = {
			.size = sizeof(k),
			.nrules = (__u32)o->nrules,
			.rule_size = sizeof(struct mt_inject_rule),
			.rules = (__u64)(uintptr_t)o->rules,
		};

		if (ioctl(fd, MMIOTAP_KIOC_INJECT, &k))
			perror_msg_and_die("sending the --inject rules to the module");
	}
}

static struct mt_writer *open_output(const char *out)
{
	struct mt_writer_opts wo = { .sz = sizeof(wo) };
	struct mt_writer *w;
	struct timespec rt;
	int rc;

	wo.clock = MT_CLOCK_MONOTONIC; /* the module stamps CLOCK_MONOTONIC (KABI 6) */
	wo.source = MT_SRC_KERNEL;
	clock_gettime(CLOCK_REALTIME, &rt);
	wo.start_realtime_ns = (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec;
	rc = strcmp(out, "-") ? mt_writer_open_path(&w, out, &wo)
			      : mt_writer_open_fd(&w, STDOUT_FILENO, &wo);
	if (rc)
		error_msg_and_die("%s: %s", out, mt_writer_strerror(rc));
	return w;
}

static const int end_sigs[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP };
static struct mt_cli_endsigs endsigs = { .sigs = end_sigs, .n = sizeof(end_sigs) / sizeof(end_sigs[0]) };

/* SIGHUP we were started with ignored (nohup) stays ignored; SIGINT,
 * SIGQUIT and SIGTERM always end the recording (a background job's SIGINT
 * is ignored by the shell: `kill -INT` must still stop us), as `mmiotap
 * record`'s do: an uncaught SIGQUIT (the terminal's Ctrl-\, or one `record
 * --kernel` passes on) killed us without the last records, leaving CMD
 * recording. CMD gets the dispositions we found (endsigs.old). */
static void catch_signals(void)
{
	mt_cli_endsigs_catch(&endsigs, on_signal, 0);
}

/* Fork and exec CMD. The ending signals are blocked across the fork: the
 * child sets them back to what we found (endsigs.old) before it unblocks them (one there
 * reaches CMD, not our handler), and one that came meanwhile was sent
 * before CMD existed, so the loop passes it on. */
static pid_t spawn(char **cmd)
{
	sigset_t s, old;
	pid_t child;

	mt_cli_endsigs_set(&endsigs, &s);
	sigprocmask(SIG_BLOCK, &s, &old);
	if (got_signal) {
		/* came after START: CMD is not started at all */
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	child = fork();
	if (child == 0) {
		mt_cli_endsigs_restore(&endsigs);
		mt_cli_sigchld_restore();
		sigprocmask(SIG_SETMASK, &old, NULL);
		execvp(cmd[0], cmd);
		fprintf(stderr, "mmiotap kernel: %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (child < 0)
		perror_msg_and_die("fork");
	if (got_signal)
		signal_from_tty = 0;
	return child;
}

/* START, then CMD (if any); returns its pid or -1 (no CMD, or a signal
 * came before it was started). */
static pid_t start(int fd, char **cmd)
{
	if (ioctl(fd, MMIOTAP_KIOC_START)) {
		if (errno == EBUSY)
			mt_kdev_die_busy(fd);
		if (errno == EPERM)
			error_msg_and_die("starting the recording: refused (the kernel is locked down?)");
		perror_msg_and_die("starting the recording");
	}
	if (!cmd)
		return -1;
	return spawn(cmd);
}

/*
 * Drain until the end: CMD exited (*child set to -1, *status its status),
 * a signal came (forwarded to CMD while it lives), the session was stopped
 * from outside, or the device failed.
 */
static void record_loop(struct drain *d, pid_t *child, int *status)
{
	for (;;) {
		int rc = mt_kdrain_round(d, 0);

		if (rc < 0) {
			errno_msg(rc, "reading %s", MMIOTAP_KDEV);
			return;
		}
		if (rc == 0)
			return; /* stopped from outside */
		if (*child > 0 && waitpid(*child, status, WNOHANG) == *child) {
			*child = -1;
			return;
		}
		if (got_signal) {
			/* the terminal's reached CMD already: not twice */
			if (*child > 0 && !signal_from_tty)
				kill(*child, got_signal);
			return;
		}
		/* The reader threads read as records come; this round
		 * writes them out every 50 ms. */
		sleep_ms(50);
	}
}

/* CMD still runs after the recording ended: it has a signal already (ours,
 * passed on, or the terminal's), else SIGTERM; reaped within grace_ms
 * (--child-grace), else SIGKILLed (cli/reap.c). Never waits forever. */
static void end_child(pid_t child, const char *name, unsigned grace_ms, int *status)
{
	if (!got_signal)
		kill(child, SIGTERM);
	int rc = mt_cli_reap_bounded(child, (int)grace_ms, status);
	if (rc > 0)
		error_msg("%s (pid %d) did not end within %u ms: killed", name, (int)child,
			  grace_ms);
	else if (rc < 0)
		error_msg("%s (pid %d) does not die (stuck in the kernel?): left behind", name,
			  (int)child);
	else if (*status == MT_CLI_STATUS_UNKNOWN)
		error_msg("%s (pid %d) could not be reaped: exit status unknown", name,
			  (int)child);
}

/* A signal before START: nothing recorded, the trace file complete (no
 * records), the session ended; then die of it as without us. */
static void interrupted_before_start(struct drain *d, int loaded, const struct krec_opts *o)
{
	mt_writer_close(d->w);
	close(d->fd);
	if (loaded && !o->keep)
		mt_kmod_unload();
	error_msg("%s before the recording started: nothing recorded", strsignal(got_signal));
	signal(got_signal, SIG_DFL);
	raise(got_signal);
	exit(128 + got_signal);
}

/* What the kernel's mmiotrace writes first: a PCIDEV line per PCI device
 * (VERSION is the text writer's), numbered 0.. and closed by a SYNC that
 * keeps them ahead of the module's records in sequence order. */
static void write_header(struct drain *d)
{
	uint64_t seq = 0;
	int rc = mt_pcidev_write(d->w, &seq);

	if (rc > 0)
		rc = mt_writer_sync(d->w, 0, 0);
	if (rc < 0 && !d->werr)
		d->werr = rc;
}

/* What became of the kernel symbols (KSYM records, written while draining). */
static void report_ksyms(struct drain *d)
{
	if (d->kserr == -EPERM)
		error_msg("/proc/kallsyms shows no addresses (not root, or kptr_restrict): "
			  "no kernel symbols in the trace");
	else if (d->kserr)
		errno_msg(d->kserr, "kernel symbols (/proc/kallsyms)");
	else if (mt_ksymrec_unresolved(d->ks))
		error_msg("%llu PCs are in no kernel function of kallsyms (no symbol for them)",
			  (unsigned long long)mt_ksymrec_unresolved(d->ks));
}

/* STOP, the last records, the trace closed; returns 0 or the write error. */
static int finish(struct drain *d)
{
	int rc;

	if (ioctl(d->fd, MMIOTAP_KIOC_STOP))
		perror_msg("stopping the recording");
	rc = mt_kdrain_round(d, 1);
	if (rc < 0)
		errno_msg(rc, "reading %s", MMIOTAP_KDEV);
	report_ksyms(d);
	rc = mt_writer_close(d->w);
	return d->werr ? d->werr : rc;
}

static int exit_status(const struct krec_opts *o, int status)
{
	if (!o->cmd)
		return 0;
	if (status == MT_CLI_STATUS_UNKNOWN)
		return 1; /* left behind or not ours to reap: end_child() said so */
	if (WIFSIGNALED(status)) {
		signal(WTERMSIG(status), SIG_DFL);
		raise(WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

int mt_cli_kernel_record(int argc, char **argv)
{
	static struct krec_opts o;
	struct drain *d;
	int loaded, status = 0, rc;
	pid_t child;

	rc = parse_opts(argc, argv, &o);
	if (rc >= 0)
		return rc;
	d = calloc(1, sizeof(*d));
	if (!d)
		error_msg_and_die("out of memory");
	loaded = mt_kmod_ensure(o.module);
	d->fd = mt_kdev_open();
	send_session(d->fd, &o);
	catch_signals(); /* before the trace file is made */
	d->w = open_output(o.out);
	d->ks = mt_ksymrec_new("/proc/kallsyms", "/proc/modules");
	write_header(d);
	if (got_signal)
		interrupted_before_start(d, loaded, &o);
	child = start(d->fd, o.cmd);
	if (o.cmd && child < 0)
		status = got_signal; /* CMD never ran: we end as if it died of it */
	mt_kdrain_readers_start(d);
	record_loop(d, &child, &status);
	mt_kdrain_readers_stop(d);
	rc = finish(d); /* takes what the stopped readers still hold */
	if (child > 0)
		end_child(child, o.cmd[0], o.child_grace_ms, &status);
	close(d->fd);
	if (loaded && !o.keep)
		mt_kmod_unload();
	if (rc)
		errno_msg_and_die(rc, "%s", o.out);
	if (!o.quiet)
		fprintf(stderr, "mmiotap kernel: %llu records (%llu accesses, %llu unknown, %llu lost) written to %s\n",
			(unsigned long long)d->nrec, (unsigned long long)d->naccess,
			(unsigned long long)d->nunknown, (unsigned long long)d->nlost, o.out);
	mt_kdrain_free(d);
	free(d);
	return exit_status(&o, status);
}
