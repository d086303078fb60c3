// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * reap.c - wait for a child that should end, but never forever: after a
 * grace period it is SIGKILLed and reaped (`mmiotap kernel record` after
 * STOP, whatever the command does with its signals).
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "cli.h"

/* waitpid(pid, WNOHANG) for up to ms milliseconds: 1 when reaped (or no
 * child to reap: ECHILD, *status MT_CLI_STATUS_UNKNOWN). */
static int reap_within(pid_t pid, int ms, int *status)
{
	struct timespec tick = { 0, 10 * 1000000L };
	for (int waited = 0;; waited += 10) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 1;
		if (r < 0 && errno == ECHILD) {
			*status = MT_CLI_STATUS_UNKNOWN;
			return 1;
		}
		if (waited >= ms)
			return 0;
		nanosleep(&tick, NULL);
	}
}

int mt_cli_reap_bounded(pid_t pid, int grace_ms, int *status)
{
	if (reap_within(pid, grace_ms, status))
		return 0;
	kill(pid, SIGKILL);
	/* a task stuck in the kernel (D state) dies when it gets out */
	if (reap_within(pid, MT_CLI_REAP_KILL_MS, status))
		return 1;
	*status = MT_CLI_STATUS_UNKNOWN;
	return -1;
}
