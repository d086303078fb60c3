// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pidns.c - a traced process in another PID namespace than `mmiotap
 * record` does not use the ring. Its PIDs and TIDs would go into events
 * and the order lock's word, where they name other tasks, or none: the
 * others would take the lock from a "dead" holder that is alive, and the
 * recorder would name processes it cannot see. It refuses with one line on
 * stderr and runs untraced, as for the other refusals at start (a ring that
 * cannot be opened). Where the namespace cannot be told (no /proc), it
 * traces.
 *
 * Two ways in: a program started in another namespace (its constructor
 * checks, mt_pidns_refuse()), and the child of a fork() after
 * unshare(CLONE_NEWPID) or setns() (checked first thing in the child,
 * mt_pidns_child(): from then on it uses only the process-local lock; our
 * child handler then gives the mappings back, mt_pidns_child_refuse()).
 */
#include "internal.h"
#include "mmiotap/rt_env.h"

#include <stdlib.h>
#include <unistd.h>

static int child_refused; /* the ring dropped in this child: mappings to give back */

static void say_refused(void)
{
	static const char m[] = "mmiotap: this process runs in another PID namespace than "
				"`mmiotap record` (its process ids would mean nothing to the "
				"recording): not traced\n";
	(void)!write(2, m, sizeof(m) - 1);
}

/* Programs it runs do not try again (nor say so again): the ring's path
 * in our environment made empty, in place (async-signal-safe). */
static void forget_ring_env(void)
{
	char *v = getenv(MT_ENV_RING);
	if (v)
		*v = 0;
}

MT_HIDDEN int mt_pidns_refuse(struct mt_ring *r)
{
	if (mt_ring_same_pidns(r) != 0)
		return 0;
	say_refused();
	forget_ring_env();
	return 1;
}

MT_HIDDEN void mt_pidns_child(void)
{
	if (!mt_ring || mt_ring_same_pidns(mt_ring) != 0)
		return;
	mt_ring = NULL; /* events go nowhere; the lock is the local one */
	child_refused = 1;
	forget_ring_env();
}

MT_HIDDEN void mt_pidns_child_refuse(void)
{
	if (!child_refused)
		return;
	child_refused = 0;
	sigset_t old;
	mt_glock(&old);
	mt_abandon(); /* mt_ring is NULL: no UNMAP events */
	mt_gunlock(&old);
	say_refused();
}
