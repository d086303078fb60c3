// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * endsig.c - the signals that end a recording (record, kernel record):
 * caught from before setup, blocked across the fork of the program, and
 * given back to the program as we found them.
 *
 * SIGHUP we were started with ignored (nohup) stays ignored; the others
 * always end the recording (a background job's SIGINT is ignored by the
 * shell: `kill -INT` must still stop us). The program gets the
 * dispositions we found: what it inherited ignored stays so.
 */
#include <signal.h>
#include <string.h>

#include "cli.h"

void mt_cli_endsigs_catch(struct mt_cli_endsigs *e,
			  void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	for (size_t i = 0; i < e->n; i++) {
		struct sigaction *old = &e->old[i];

		sigaction(e->sigs[i], NULL, old);
		if (e->sigs[i] == SIGHUP && !(old->sa_flags & SA_SIGINFO) &&
		    old->sa_handler == SIG_IGN)
			continue; /* nohup */
		sigaction(e->sigs[i], &sa, NULL);
	}
}

/* In the child, before it unblocks them. */
void mt_cli_endsigs_restore(const struct mt_cli_endsigs *e)
{
	for (size_t i = 0; i < e->n; i++)
		sigaction(e->sigs[i], &e->old[i], NULL);
}

void mt_cli_endsigs_set(const struct mt_cli_endsigs *e, sigset_t *s)
{
	sigemptyset(s);
	for (size_t i = 0; i < e->n; i++)
		sigaddset(s, e->sigs[i]);
}

static struct sigaction sigchld_found;
static int sigchld_changed;

void mt_cli_sigchld_default(void)
{
	struct sigaction dfl;

	if (sigaction(SIGCHLD, NULL, &sigchld_found) ||
	    (sigchld_found.sa_handler != SIG_IGN && !(sigchld_found.sa_flags & SA_NOCLDWAIT)))
		return;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigchld_changed = !sigaction(SIGCHLD, &dfl, NULL);
}

void mt_cli_sigchld_restore(void)
{
	if (sigchld_changed)
		sigaction(SIGCHLD, &sigchld_found, NULL);
}
