// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * slow_open.c - preloaded into `mmiotap record` itself by
 * tests/e2e/test-record-trust.sh: opening a file whose name ends in
 * ".trace" (the trace file, made after the event ring) waits up to
 * $SLOW_OPEN_MS ms (default 500) after the open and announces it on
 * stderr, so that a signal can be sent while the recorder is setting up.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void slow(const char *path)
{
	size_t n = strlen(path);
	if (n < 6 || strcmp(path + n - 6, ".trace"))
		return;
	const char *e = getenv("SLOW_OPEN_MS");
	long ms = e ? atol(e) : 500;
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	static const char msg[] = "slow_open: waiting\n";
	(void)!write(2, msg, sizeof(msg) - 1);
	nanosleep(&ts, NULL); /* a signal with a handler ends it early */
}

#define OPEN_LIKE(name)                                                          \
	int name(const char *path, int flags, ...)                               \
	{                                                                        \
		static int (*real)(const char *, int, ...);                      \
		va_list ap;                                                      \
		va_start(ap, flags);                                             \
		mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0; \
		va_end(ap);                                                      \
		if (!real)                                                       \
			real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, #name); \
		int fd = real(path, flags, mode);                                \
		if (fd >= 0)                                                     \
			slow(path);                                              \
		return fd;                                                       \
	}

OPEN_LIKE(open)
OPEN_LIKE(open64)
