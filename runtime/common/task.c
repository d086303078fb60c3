// SPDX-License-Identifier: GPL-2.0 OR MIT
/* task.c - whether a thread or process is still there (mmiotap/rt_task.h). */
#include "mmiotap/rt_task.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static char *fmt_u32(char *p, uint32_t v)
{
	char tmp[12];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/*
 * /proc/ID/stat: "id (comm) S ppid ..." - the state follows the last ')',
 * the start time is the 20th field after it. Returns -ENOENT (no such
 * task), -ENOSYS (no /proc), or 0 with *state and *start.
 */
static int task_stat(uint32_t id, char *state, uint64_t *start)
{
	char path[32], buf[512], *p = path;
	memcpy(p, "/proc/", 6);
	p = fmt_u32(p + 6, id);
	memcpy(p, "/stat", 6);
	long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? (syscall(SYS_kill, (pid_t)id, 0) < 0 && errno == ESRCH
					  ? -ENOENT : -ENOSYS)
				       : -ENOSYS;
	long n = syscall(SYS_read, (int)fd, buf, sizeof(buf) - 1);
	syscall(SYS_close, (int)fd);
	if (n <= 0)
		return -ENOENT; /* gone between open and read */
	buf[n] = 0;
	char *q = NULL;
	for (long i = n - 1; i > 0; i--)
		if (buf[i] == ')') {
			q = buf + i;
			break;
		}
	if (!q || q + 3 > buf + n)
		return -ENOSYS;
	*state = q[2];
	*start = 0;
	int field = 3; /* q[2] is field 3 (state) */
	for (char *c = q + 3; *c; c++) {
		if (*c == ' ') {
			field++;
			continue;
		}
		if (field == 22 && *c >= '0' && *c <= '9')
			*start = *start * 10 + (uint64_t)(*c - '0');
		else if (field > 22)
			break;
	}
	return 0;
}

uint64_t mt_task_start(uint32_t id)
{
	int saved = errno;
	char st;
	uint64_t start;
	int rc = task_stat(id, &st, &start);
	errno = saved;
	return rc ? 0 : start;
}

int mt_task_dead(uint32_t id, uint64_t start)
{
	int saved = errno;
	char st = 0;
	uint64_t now = 0;
	int rc = task_stat(id, &st, &now), dead;
	if (rc == -ENOENT)
		dead = 1;
	else if (rc)
		dead = 0; /* cannot tell: alive */
	else
		dead = st == 'Z' || st == 'X' || st == 'x' || (start && now != start);
	errno = saved;
	return dead;
}
