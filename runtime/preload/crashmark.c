// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * crashmark.c - a MARK in the trace when the program dies of a fault
 * (SIGSEGV, SIGBUS, SIGILL, SIGFPE with no handler of its own):
 *
 *     mmiotap: fatal SIGSEGV addr=0x... pc=0x... at /path/to/object+0x1234
 *
 * The object and its file offset come from /proc/self/maps read at the
 * crash, so that the site is the same whatever ASLR did (`mmiotap
 * campaign` names crashes by it). Async-signal-safe: raw read(), no stdio,
 * no allocation; the ring is written under the global lock as any event,
 * waited for a bounded time (mt_ring_lock_timed()).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* How long a dying thread waits for the order lock (its holders keep it for
 * microseconds; a dead holder is found within 50 ms). */
#define CRASH_LOCK_NS (500ull * 1000 * 1000)

struct out {
	char *p, *end;
};

static void put_str(struct out *o, const char *s)
{
	while (*s && o->p < o->end)
		*o->p++ = *s++;
}

static void put_hex(struct out *o, uint64_t v)
{
	char b[19];
	int i = 18;

	b[i] = 0;
	do {
		b[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	b[--i] = 'x';
	b[--i] = '0';
	put_str(o, b + i);
}

static uint64_t hex(const char **s)
{
	uint64_t v = 0;

	for (;; (*s)++) {
		char c = **s;
		if (c >= '0' && c <= '9')
			v = v * 16 + (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (uint64_t)(c - 'a' + 10);
		else
			return v;
	}
}

/* "START-END PERMS OFFSET DEV INODE PATH": if pc is in it, put " at PATH+0xOFF". */
static int maps_line(struct out *o, const char *l, uint64_t pc)
{
	uint64_t start = hex(&l), end, off;

	if (*l++ != '-')
		return 0;
	end = hex(&l);
	if (pc < start || pc >= end)
		return 0;
	l = strchr(l, ' ');
	if (!l || !(l = strchr(l + 1, ' ')))
		return 0;
	l++;
	off = hex(&l);
	for (int f = 0; f < 2 && l; f++) /* OFFSET' 'DEV' 'INODE' '+PATH */
		l = strchr(l + 1, ' ');
	while (l && *l == ' ')
		l++;
	if (!l || !*l)
		return 0;
	put_str(o, " at ");
	put_str(o, l);
	put_str(o, "+");
	put_hex(o, pc - start + off);
	return 1;
}

static void object_of(struct out *o, uint64_t pc)
{
	char buf[1024];
	size_t used = 0;
	ssize_t k;
	int fd = mt_real.open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	while ((k = read(fd, buf + used, sizeof(buf) - 1 - used)) > 0) {
		char *line = buf, *nl;
		used += (size_t)k;
		buf[used] = 0;
		while ((nl = strchr(line, '\n'))) {
			*nl = 0;
			if (maps_line(o, line, pc))
				goto out;
			line = nl + 1;
		}
		used = (size_t)(buf + used - line);
		if (used == sizeof(buf) - 1)
			used = 0; /* a line longer than the buffer: skip it */
		memmove(buf, line, used);
	}
out:
	close(fd);
}

MT_HIDDEN void mt_crash_mark(int sig, const siginfo_t *si, const ucontext_t *uc)
{
	static const char *const names[] = { [SIGSEGV] = "SIGSEGV", [SIGBUS] = "SIGBUS",
					     [SIGILL] = "SIGILL", [SIGFPE] = "SIGFPE" };
	char text[512];
	struct out o = { text, text + sizeof(text) - 1 };
	uint64_t pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	sigset_t old;

	if (!mt_ring || si->si_code <= 0 ||
	    (sig != SIGSEGV && sig != SIGBUS && sig != SIGILL && sig != SIGFPE))
		return;
	put_str(&o, "mmiotap: fatal ");
	put_str(&o, names[sig]);
	put_str(&o, " addr=");
	put_hex(&o, (uint64_t)(uintptr_t)si->si_addr);
	put_str(&o, " pc=");
	put_hex(&o, pc);
	object_of(&o, pc);
	*o.p = 0;
	/* Not mt_glock(): it waits for ever, and the holder may be waiting
	 * for this thread (fork() holds the order lock from its prepare
	 * handler while it takes malloc's and stdio's locks, which a thread
	 * dying inside malloc holds). A mark that cannot be put in time is
	 * left out: the program dies as it would have, never hangs. */
	if (mt_fork_holds()) {
		mt_emit_simple(MT_EV_MARK, 0, 0, pc, text, (unsigned)(o.p - text), 0);
		return;
	}
	sigset_t all;
	sigfillset(&all);
	sigdelset(&all, SIGSYS); /* sud.c */
	mt_real.pthread_sigmask(SIG_SETMASK, &all, &old);
	if (mt_ring_lock_timed(mt_ring, (uint32_t)mt_pid, mt_gettid(), CRASH_LOCK_NS)) {
		mt_emit_simple(MT_EV_MARK, 0, 0, pc, text, (unsigned)(o.p - text), 0);
		mt_ring_unlock(mt_ring);
	}
	mt_real.pthread_sigmask(SIG_SETMASK, &old, NULL);
}
