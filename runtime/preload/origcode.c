// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * origcode.c - an instruction's bytes as its file has them.
 *
 * A debugger that steps over an instruction which faults on a traced page
 * (gdb: the SIGSEGV it passes "may take us out of the step range") puts a
 * breakpoint, int3, on that very instruction before it lets the handler
 * run; the handler then reads 0xcc where the faulting instruction was. An
 * int3 does not access data: the fault was the original instruction's, and
 * its bytes are still in the file the code is mapped from. Read there
 * (/proc/self/maps for the mapping's path and offset), with system calls
 * and no allocation (this runs in the SIGSEGV handler).
 */
#include "internal.h"

#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A hex number at *p, which is moved past it. */
static uint64_t hexnum(const char **p)
{
	uint64_t v = 0;
	int d;
	while ((d = hexval(**p)) >= 0) {
		v = v * 16 + (uint64_t)d;
		(*p)++;
	}
	return v;
}

/* One /proc/self/maps line: if it maps addr from a file, that file's path
 * (in line) and the file offset of addr. */
static const char *file_of(char *line, uint64_t addr, uint64_t *off)
{
	const char *p = line;
	uint64_t s = hexnum(&p);
	if (*p++ != '-')
		return NULL;
	uint64_t e = hexnum(&p);
	if (addr < s || addr >= e || *p++ != ' ')
		return NULL;
	while (*p && *p != ' ')
		p++; /* perms */
	p++;
	uint64_t o = hexnum(&p);
	for (int f = 0; f < 2 && *p; f++) { /* dev, inode */
		p++;
		while (*p && *p != ' ')
			p++;
	}
	while (*p == ' ')
		p++;
	if (*p != '/')
		return NULL;
	*off = o + (addr - s);
	return p;
}

/* n bytes of the code at addr as its file has them: n, or 0. */
MT_HIDDEN size_t mt_orig_code(uint64_t addr, uint8_t *bytes, size_t n)
{
	char buf[4096];
	int fd = (int)mt_sud_sys(SYS_openat, AT_FDCWD, (long)"/proc/self/maps", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	size_t used = 0, got = 0;
	long k;
	int found = 0;
	while (!found && (k = mt_sud_sys(SYS_read, fd, (long)(buf + used), (long)(sizeof(buf) - 1 - used),
					 0)) > 0) {
		used += (size_t)k;
		buf[used] = 0;
		char *line = buf, *nl;
		while (!found && (nl = memchr(line, '\n', (size_t)(buf + used - line)))) {
			*nl = 0;
			uint64_t off;
			const char *path = file_of(line, addr, &off);
			if (path) {
				found = 1;
				int f = (int)mt_sud_sys(SYS_openat, AT_FDCWD, (long)path,
							O_RDONLY | O_CLOEXEC, 0);
				if (f >= 0) {
					long r = mt_sud_sys(SYS_pread64, f, (long)bytes, (long)n, (long)off);
					got = r > 0 ? (size_t)r : 0;
					mt_sud_sys(SYS_close, f, 0, 0, 0);
				}
			}
			line = nl + 1;
		}
		used = (size_t)(buf + used - line);
		memmove(buf, line, used);
		if (used == sizeof(buf) - 1)
			used = 0;
	}
	mt_sud_sys(SYS_close, fd, 0, 0, 0);
	return got;
}
