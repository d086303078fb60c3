// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cli_reap.c - cli/reap.c: a child that ends within the grace period is
 * reaped with its status; one that ignores SIGTERM and never ends is
 * SIGKILLed after it and reaped, never waited for forever; one that is
 * not our child gets MT_CLI_STATUS_UNKNOWN, not a status of 0.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

const char *mt_cli_prog = "cli_reap";
static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* stubborn: ignores SIGTERM (ready when this returns), never ends. */
static pid_t child(int stubborn, int exit_after_ms)
{
	int pfd[2];
	char c = 0;
	if (pipe(pfd))
		exit(99);
	pid_t p = fork();
	if (p == 0) {
		if (stubborn) {
			signal(SIGTERM, SIG_IGN);
			signal(SIGINT, SIG_IGN);
			(void)!write(pfd[1], &c, 1);
			for (;;)
				pause();
		}
		usleep((useconds_t)exit_after_ms * 1000);
		_exit(7);
	}
	if (stubborn)
		(void)!read(pfd[0], &c, 1);
	close(pfd[0]);
	close(pfd[1]);
	return p;
}

int main(void)
{
	int st = 0;
	long t0 = now_ms();
	CHECK(mt_cli_reap_bounded(child(0, 50), 2000, &st) == 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7 && now_ms() - t0 < 1500);

	pid_t p = child(1, 0);
	kill(p, SIGTERM);
	t0 = now_ms();
	CHECK(mt_cli_reap_bounded(p, 300, &st) == 1);
	long ms = now_ms() - t0;
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	CHECK(ms >= 300 && ms < 2000);
	CHECK(waitpid(p, &st, WNOHANG) < 0); /* reaped: no zombie left */

	/* Not (or no longer) our child: no wait status, and it says so
	 * rather than leaving the caller's 0 (an "exit 0"). */
	st = 0;
	CHECK(mt_cli_reap_bounded(p, 300, &st) == 0);
	CHECK(st == MT_CLI_STATUS_UNKNOWN);
	st = 0;
	CHECK(mt_cli_reap_bounded(getppid(), 300, &st) == 0);
	CHECK(st == MT_CLI_STATUS_UNKNOWN);
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	return failures ? 1 : 0;
}
