// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * mtk-ctl - raw use of /dev/mmiotap for the VM tests: what another process
 * (not the session's owner) may and may not do, and a stress loop.
 *
 *   mtk-ctl open              open the device; prints "ok" or the errno name
 *   mtk-ctl stop|read|start   one STOP / read() / START (SELECT of edu BAR0
 *                             first for start) on a new open file; prints
 *                             "ok" or the errno name (exit 0 either way)
 *   mtk-ctl hammer SECS PHYS  for SECS seconds, clients one after another,
 *                             each a random mix of up to 40 SELECT PHYS (A-B
 *                             hex), START, read, poll, STATUS, MARK, STOP
 *                             and close; every other one in a child that
 *                             exits without closing; prints counts
 *   mtk-ctl fuzz SECS         random ioctls, sizes, pointers and reads
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include "mmiotap/kabi.h"

static const char *ename(int e)
{
	switch (e) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EBUSY: return "EBUSY";
	case ENODATA: return "ENODATA";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case ENODEV: return "ENODEV";
	default: return strerror(e);
	}
}

static int sel_phys(int fd, const char *range)
{
	struct mmiotap_ksel s = { .size = sizeof(s), .kind = MMIOTAP_KSEL_PHYS };
	unsigned long long a, b;

	if (sscanf(range, "%llx-%llx", &a, &b) != 2)
		return EINVAL;
	s.start = a;
	s.end = b + 1;
	return ioctl(fd, MMIOTAP_KIOC_SELECT, &s) ? errno : 0;
}

static int one(const char *what, const char *range)
{
	char buf[64 * 64];
	int fd = open(MMIOTAP_KDEV, O_RDWR | O_CLOEXEC), e = 0;

	if (fd < 0) {
		printf("%s\n", ename(errno));
		return 0;
	}
	if (!strcmp(what, "stop"))
		e = ioctl(fd, MMIOTAP_KIOC_STOP) ? errno : 0;
	else if (!strcmp(what, "read"))
		e = read(fd, buf, sizeof(buf)) < 0 ? errno : 0;
	else if (!strcmp(what, "start"))
		e = range ? sel_phys(fd, range) : 0;
	if (!e && !strcmp(what, "start"))
		e = ioctl(fd, MMIOTAP_KIOC_START) ? errno : 0;
	printf("%s\n", ename(e));
	close(fd);
	return 0;
}

enum { OP_SEL, OP_START, OP_READ, OP_POLL, OP_STATUS, OP_MARK, OP_STOP, OP_CLOSE, OP_N };
static const char *const op_name[OP_N] = { "select", "start", "read", "poll", "status", "mark", "stop", "close" };

/* One client: up to 40 random operations, then close or plain exit. */
static void client(const char *range, unsigned long cnt[OP_N][3], int close_at_end)
{
	static char buf[64 * 256];
	int fd = -1;

	for (int k = rand() % 40; k >= 0; k--) {
		int op = rand() % OP_N, e = 0;

		if (fd < 0 && (fd = open(MMIOTAP_KDEV, O_RDWR | O_CLOEXEC)) < 0) {
			usleep(10000);
			continue;
		}
		switch (op) {
		case OP_SEL: e = sel_phys(fd, range); break;
		case OP_START: e = ioctl(fd, MMIOTAP_KIOC_START) ? errno : 0; break;
		case OP_READ: e = read(fd, buf, sizeof(buf)) < 0 ? errno : 0; break;
		case OP_POLL: {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			e = poll(&p, 1, rand() % 20) < 0 ? errno : 0;
			break;
		}
		case OP_STATUS: {
			struct mmiotap_kstatus st = { .size = sizeof(st) };

			e = ioctl(fd, MMIOTAP_KIOC_STATUS, &st) ? errno : 0;
			break;
		}
		case OP_MARK: {
			struct mmiotap_kmark m = { .size = sizeof(m), .len = 5 };

			memcpy(m.text, "stres", 5);
			e = ioctl(fd, MMIOTAP_KIOC_MARK, &m) ? errno : 0;
			break;
		}
		case OP_STOP: e = ioctl(fd, MMIOTAP_KIOC_STOP) ? errno : 0; break;
		default:
			close(fd);
			fd = -1;
			break;
		}
		cnt[op][e == 0 ? 0 : e == EBUSY ? 1 : 2]++;
	}
	/* a child leaves it to the kernel to close (as at a kill) */
	if (close_at_end && fd >= 0)
		close(fd);
}

/* Clients one after the other for secs seconds, every other one in a
 * child process that exits without closing; the counts of the parent's. */
static int hammer(int secs, const char *range)
{
	static unsigned long cnt[OP_N][3]; /* ok, EBUSY, other */
	time_t end = time(NULL) + secs;
	unsigned long nclients = 0;

	srand((unsigned)getpid());
	while (time(NULL) < end) {
		if (nclients++ & 1) {
			pid_t p = fork();

			if (p == 0) {
				client(range, cnt, 0);
				_exit(0);
			}
			if (p > 0)
				waitpid(p, NULL, 0);
		} else {
			client(range, cnt, 1);
		}
		/* let the recorders, and now and then rmmod, in */
		usleep((useconds_t)(nclients % 8 ? rand() % 20000 : 300000));
	}
	printf("hammer: %lu clients; in this process:", nclients);
	for (int i = 0; i < OP_N; i++)
		printf(" %s %lu/%lu/%lu", op_name[i], cnt[i][0], cnt[i][1], cnt[i][2]);
	printf(" (ok/EBUSY/other)\n");
	return 0;
}

/* Random bytes. */
static void rnd_fill(void *p, size_t n)
{
	uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rand();
}

/*
 * The ABI with invalid input, for secs seconds: every ioctl number of ours
 * and some near them, with structs of random bytes and sizes (the size
 * field too: small, huge, larger than ours with nonzero tails), bad
 * pointers, read() of odd lengths and to bad addresses. The module must
 * refuse cleanly (the harness watches the console).
 */
static int fuzz(int secs)
{
	static const unsigned long cmds[] = {
		MMIOTAP_KIOC_VERSION, MMIOTAP_KIOC_CONFIG, MMIOTAP_KIOC_SELECT, MMIOTAP_KIOC_START,
		MMIOTAP_KIOC_STOP, MMIOTAP_KIOC_MARK, MMIOTAP_KIOC_STATUS, MMIOTAP_KIOC_INJECT,
		_IO('M', 8), _IOWR('M', 9, int), _IO('N', 1), 0,
	};
	static uint8_t arg[8192];
	time_t end = time(NULL) + secs;
	unsigned long n = 0, ok = 0;
	int fd = -1;

	srand((unsigned)getpid() * 7919u);
	while (time(NULL) < end) {
		if (fd < 0 && (fd = open(MMIOTAP_KDEV, O_RDWR | O_CLOEXEC)) < 0) {
			usleep(10000);
			continue;
		}
		rnd_fill(arg, 256);
		uint32_t sz;
		switch (rand() % 5) {
		case 0: sz = (uint32_t)rand() % 64; break;
		case 1: sz = 4096 + (uint32_t)rand() % 4096; break;
		case 2: sz = (uint32_t)rand(); break;
		default: sz = 8 + (uint32_t)rand() % 200; break;
		}
		memcpy(arg, &sz, 4);
		if (rand() % 4 == 0)
			memset(arg + 64, 0, sizeof(arg) - 64); /* bigger struct, zero tail */
		void *p = arg;
		switch (rand() % 8) {
		case 0: p = NULL; break;
		case 1: p = (void *)1; break;
		case 2: p = (void *)0xffff800000000000ull; break;
		default: break;
		}
		int r = rand() % 10;
		if (r < 7) {
			/* INJECT's rules pointer and count are random too */
			ok += ioctl(fd, cmds[rand() % (sizeof(cmds) / sizeof(cmds[0]))], p) == 0;
		} else if (r < 9) {
			size_t len = (size_t)rand() % 5000;
			ok += read(fd, rand() % 4 ? (void *)arg : p, len) >= 0;
		} else {
			close(fd);
			fd = -1;
		}
		n++;
	}
	printf("fuzz: %lu calls, %lu accepted\n", n, ok);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "fuzz"))
		return fuzz(atoi(argv[2]));
	if (argc >= 2 && (!strcmp(argv[1], "open") || !strcmp(argv[1], "stop") ||
			  !strcmp(argv[1], "read") || !strcmp(argv[1], "start")))
		return one(argv[1], argc > 2 ? argv[2] : NULL);
	if (argc == 4 && !strcmp(argv[1], "hammer"))
		return hammer(atoi(argv[2]), argv[3]);
	fprintf(stderr, "usage: mtk-ctl open|stop|read|start [A-B] | hammer SECS A-B | fuzz SECS\n");
	return 2;
}
