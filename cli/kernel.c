// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kernel.c - `mmiotap kernel record|stop|mark|status`: drive mmiotap.ko
 * through /dev/mmiotap (the ABI of mmiotap/kabi.h). The record command is
 * kernel_record.c; the conversion of its records, kernel_drain.c. Here:
 * loading the module, opening the device (with a clear reason when it is
 * refused: no CAP_SYS_RAWIO, lockdown), parsing selections, stop, status
 * and mark.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "cli.h"
#include "kernel_int.h"

int mt_cli_kernel(int argc, char **argv);
int mt_cli_kernel_mark(const char *text);
int mt_cli_kernel_mark_args(int argc, char **argv);
int mt_cli_kernel_record(int argc, char **argv);
void mt_cli_kernel_usage(FILE *f);

void mt_cli_kernel_usage(FILE *f)
{
	fprintf(f,
		"usage: mmiotap kernel record [--pci BDF[,bar=N]]... [--phys A-B|A+N]... [-o FILE]\n"
		"                             [--inject RULE]... [--buf-records N] [--module PATH]\n"
		"                             [--keep-module] [-q]\n"
		"                             [-- CMD [ARGS...]]\n"
		"       mmiotap kernel stop       stop the running kernel recording (its\n"
		"                                 recorder writes the rest and exits)\n"
		"       mmiotap kernel mark TEXT  put a marker into it (also: mmiotap mark TEXT)\n"
		"       mmiotap kernel status     print what the module is doing\n"
		"Trace drivers' MMIO with mmiotap.ko (loaded if needed). Nothing is traced\n"
		"unless selected. Records until CMD exits, Ctrl-C, or `mmiotap kernel stop`.\n"
		"Needs CAP_SYS_RAWIO; refused while the kernel is locked down. The trace\n"
		"file is created 0600 and never written through a symbolic link.\n"
		"  --pci BDF[,bar=N]   a PCI function's memory BARs ([DDDD:]BB:DD.F), or one BAR\n"
		"  --phys A-B|A+N      physical range (inclusive end, or start and length)\n"
		"  -o, --output FILE   trace file (default mmiotap-kernel.trace)\n"
		"  --inject RULE       fault injection rule, applied in the kernel (pci=, phys=\n"
		"                      or no target; see mmiotap-kernel(1)); repeatable\n"
		"  --buf-records N     per-CPU buffer, in records (power of two, default 65536)\n"
		"  --module PATH       mmiotap.ko to load when the module is not loaded\n"
		"  --keep-module       do not unload a module this command loaded\n"
		"  --child-grace MS    CMD's time to end after the recording (default 2000),\n"
		"                      then SIGKILL\n"
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
int mt_kmod_ensure(const char *opt)
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

void mt_kmod_unload(void)
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

/* Why /dev/mmiotap cannot be opened, in one line, and exit. */
static void die_open(void)
{
	int e = errno;
	char lk[128] = "";
	FILE *f;

	if (e != EPERM && e != EACCES)
		perror_msg_and_die("%s", MMIOTAP_KDEV);
	f = fopen("/sys/kernel/security/lockdown", "re");
	if (f) {
		if (!fgets(lk, sizeof(lk), f))
			lk[0] = 0;
		fclose(f);
	}
	if (strstr(lk, "[integrity]") || strstr(lk, "[confidentiality]"))
		error_msg_and_die("the kernel is locked down (%s): tracing MMIO is refused, as by the kernel's own mmiotrace",
				  strstr(lk, "[integrity]") ? "integrity" : "confidentiality");
	error_msg_and_die("%s: %s: needs CAP_SYS_RAWIO (run as root)", MMIOTAP_KDEV, strerror(e));
}

int mt_kdev_open(void)
{
	__u32 ver = 0;
	int fd = open(MMIOTAP_KDEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die_open();
	if (ioctl(fd, MMIOTAP_KIOC_VERSION, &ver) || ver != MMIOTAP_KABI_VERSION)
		error_msg_and_die("%s speaks ABI version %u, this program %u: load the matching mmiotap.ko",
				  MMIOTAP_KDEV, ver, MMIOTAP_KABI_VERSION);
	return fd;
}

int mt_kdev_status(int fd, struct mmiotap_kstatus *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return ioctl(fd, MMIOTAP_KIOC_STATUS, st) ? -errno : 0;
}

void mt_kdev_die_busy(int fd)
{
	struct mmiotap_kstatus st;

	if (mt_kdev_status(fd, &st) == 0 && st.session == 1 && st.owner_pid)
		error_msg_and_die("a kernel recording is already running (pid %u; `mmiotap kernel stop` ends it)",
				  st.owner_pid);
	error_msg_and_die("a kernel recording is already running (`mmiotap kernel stop` ends it)");
}
/* ---- selection parsing ---------------------------------------------------- */

int mt_kdev_parse_pci(const char *s, struct mmiotap_ksel *k)
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

int mt_kdev_parse_phys(const char *s, struct mmiotap_ksel *k)
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

/* `mmiotap kernel stop`: a session of another process is ended by asking
 * its recorder to stop (SIGTERM: it stops the module, writes the rest of
 * the trace and exits); the module's own session (phys=) by STOP. */
static int kernel_stop(void)
{
	struct mmiotap_kstatus st;
	int fd = open(MMIOTAP_KDEV, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			error_msg_and_die("no kernel recording (mmiotap.ko is not loaded)");
		die_open();
	}
	if (ioctl(fd, MMIOTAP_KIOC_STOP) == 0) {
		close(fd);
		return 0;
	}
	if (errno == ENODATA)
		error_msg_and_die("no kernel recording is running");
	if (errno != EBUSY)
		perror_msg_and_die("stop");
	if (mt_kdev_status(fd, &st) || st.session != 1 || !st.owner_pid)
		error_msg_and_die("stop: the recording belongs to another process that cannot be named");
	if (kill((pid_t)st.owner_pid, SIGTERM))
		perror_msg_and_die("stop: signalling the recorder, pid %u", st.owner_pid);
	for (int i = 0; i < 300; i++) {
		struct mmiotap_kstatus now;

		if (mt_kdev_status(fd, &now) || now.session != 1 || now.owner_pid != st.owner_pid) {
			close(fd);
			return 0;
		}
		usleep(100000);
	}
	error_msg_and_die("stop: the recorder (pid %u) still runs after 30 s", st.owner_pid);
}

static int kernel_status(void)
{
	struct mmiotap_kstatus st;
	int fd = open(MMIOTAP_KDEV, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			error_msg_and_die("mmiotap.ko is not loaded (%s: %s)", MMIOTAP_KDEV, strerror(errno));
		die_open();
	}
	if (mt_kdev_status(fd, &st))
		perror_msg_and_die("status");
	close(fd);
	printf("tracing %s, %u mappings armed, last seq %llu, %llu faults emulated, %llu unknown, %llu lost, %llu waits for the reader",
	       st.tracing ? "on" : "off", st.regions, (unsigned long long)st.last_seq,
	       (unsigned long long)st.emulated, (unsigned long long)st.unknown,
	       (unsigned long long)st.lost, (unsigned long long)st.waits);
	if (st.session == 1)
		printf("; recording of pid %u\n", st.owner_pid);
	else
		printf(st.session == 2 ? "; recording started by the module's phys=\n" : "; no recording\n");
	return 0;
}

int mt_cli_kernel(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub || !strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		mt_cli_kernel_usage(sub ? stdout : stderr);
		return sub ? 0 : 2;
	}
	if (!strcmp(sub, "record"))
		return mt_cli_kernel_record(argc - 1, argv + 1);
	if (!strcmp(sub, "stop"))
		return kernel_stop();
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
	if (!strcmp(sub, "status"))
		return kernel_status();
	error_msg_and_help("unknown kernel command '%s' (record, stop, mark, status)", sub);
}
