// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * async.c - which accesses of a trace are asynchronous (`mmiotap diff
 * --async`): those in interrupt context (hardirq, softirq, NMI flags of
 * kernel records) with --async irq, and every access outside interrupt
 * context of a task (kernel pid, user thread) that ran there, anywhere in the
 * trace, a function matching one of the --async globs (the task of a timer or a work item: e1000_watchdog's
 * kworker, a user driver's timer thread). The functions come from the
 * trace's own KSYM/OBJECT records (sym/pcname.h): one pass for them, one
 * over the accesses, a verdict per (pid, pc) remembered (unless the name
 * depends on seq: an exec at the same addresses). The tasks: a hash set.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmiotap/pcname.h"
#include "mmiotap/trace_format.h"
#include "tdiff_int.h"

/* A hash set of tasks (open addressing, linear probing, doubled at half
 * full): a trace may hold any number of them. */
struct mt_tdiff_tasks {
	uint64_t *ids;  /* pid << 32 | tid */
	uint8_t *used;
	size_t n, cap;  /* cap: 0 or a power of two */
};

void mt_tdiff_tasks_free(struct mt_tdiff_tasks *t)
{
	if (t) {
		free(t->ids);
		free(t->used);
	}
	free(t);
}

size_t mt_tdiff_tasks_count(const struct mt_tdiff_tasks *t)
{
	return t ? t->n : 0;
}

static uint64_t task_id(uint32_t pid, uint32_t tid)
{
	return (uint64_t)pid << 32 | tid;
}

static size_t slot(const struct mt_tdiff_tasks *t, uint64_t id)
{
	uint64_t h = id * 0x9e3779b97f4a7c15ull;
	size_t i = (size_t)(h >> 32) & (t->cap - 1);

	while (t->used[i] && t->ids[i] != id)
		i = (i + 1) & (t->cap - 1);
	return i;
}

int tdiff_tasks_has(struct mt_tdiff_tasks *t, uint32_t pid, uint32_t tid)
{
	return t && t->n && t->used[slot(t, task_id(pid, tid))];
}

static int tasks_grow(struct mt_tdiff_tasks *t)
{
	struct mt_tdiff_tasks old = *t;
	size_t cap = t->cap ? t->cap * 2 : 64;

	t->ids = calloc(cap, sizeof(*t->ids));
	t->used = calloc(cap, 1);
	if (!t->ids || !t->used) {
		free(t->ids);
		free(t->used);
		*t = old;
		return -ENOMEM;
	}
	t->cap = cap;
	for (size_t i = 0; i < old.cap; i++)
		if (old.used[i]) {
			size_t j = slot(t, old.ids[i]);

			t->used[j] = 1;
			t->ids[j] = old.ids[i];
		}
	free(old.ids);
	free(old.used);
	return 0;
}

static int tasks_add(struct mt_tdiff_tasks *t, uint32_t pid, uint32_t tid)
{
	uint64_t id = task_id(pid, tid);
	size_t i;
	int rc;

	if ((t->n + 1) * 2 > t->cap && (rc = tasks_grow(t)))
		return rc;
	i = slot(t, id);
	if (!t->used[i]) {
		t->used[i] = 1;
		t->ids[i] = id;
		t->n++;
	}
	return 0;
}

int tdiff_irq_context(uint16_t flags)
{
	return (flags & (MT_RF_HARDIRQ | MT_RF_SOFTIRQ | MT_RF_NMI)) != 0;
}

/* Whether the function of name ("func+0xoff", "object+0xoff") matches a glob. */
static int func_match(const struct mt_tdiff_opts *o, const char *name)
{
	char fn[256];
	const char *plus = strrchr(name, '+');
	size_t n = plus ? (size_t)(plus - name) : strlen(name), i;

	if (n >= sizeof(fn))
		n = sizeof(fn) - 1;
	memcpy(fn, name, n);
	fn[n] = 0;
	for (i = 0; i < o->nasync_funcs; i++)
		if (!fnmatch(o->async_funcs[i], fn, 0))
			return 1;
	return 0;
}

/* The pass over the accesses: the tasks that ran a matching function. */
static int scan(struct mt_reader *r, struct mt_pcname *pcn, const struct mt_tdiff_opts *o,
		struct mt_tdiff_tasks *t, struct mt_tdiff_namememo *memo, int *named)
{
	struct mt_event ev;
	int rc;

	while ((rc = mt_reader_next(r, &ev)) > 0) {
		const char *name;
		uint8_t v[2] = { 0, 0 };
		uint16_t mk = (uint16_t)ev.pid;
		uint8_t mw = (uint8_t)(ev.pid >> 16);

		/* an interrupt handler's function is not the interrupted task's */
		if ((ev.kind != MT_REC_READ && ev.kind != MT_REC_WRITE &&
		     ev.kind != MT_REC_UNKNOWN) || tdiff_irq_context(ev.flags) ||
		    tdiff_tasks_has(t, ev.pid, ev.tid))
			continue;
		if (!tdiff_memo_get(memo, mk, ev.pc, mw, v)) {
			name = mt_pcname_get(pcn, ev.pid, ev.pc, ev.seq);
			v[0] = name && func_match(o, name);
			*named |= name != NULL;
			/* a name that depends on seq (an exec at the same
			 * addresses) is not remembered for the (pid, pc) */
			if (!mt_pcname_varies(pcn) && (rc = tdiff_memo_put(memo, mk, ev.pc, mw, v)))
				return rc;
		}
		if (v[0] && (rc = tasks_add(t, ev.pid, ev.tid)))
			return rc;
	}
	return rc;
}

int mt_tdiff_async_tasks(int fd, const char *path, const struct mt_tdiff_opts *o,
			 struct mt_tdiff_tasks **out, int *no_symbols, char *err, size_t errlen)
{
	struct mt_reader_opts ro = { .sz = sizeof(ro), .sorted = 1 };
	struct mt_tdiff_namememo *memo = NULL;
	struct mt_reader *r = NULL;
	int named = 0;
	struct mt_tdiff_tasks *t;
	struct mt_pcname *pcn;
	int rc;

	*out = NULL;
	*no_symbols = 0;
	snprintf(err, errlen, "out of memory");
	if (!o->nasync_funcs)
		return 0;
	if (!(t = calloc(1, sizeof(*t))))
		return -ENOMEM;
	if (!(pcn = mt_pcname_open(path))) {
		*no_symbols = 1; /* no function names: no task is found */
		*out = t;
		return 0;
	}
	if (lseek(fd, 0, SEEK_SET) != 0) {
		rc = -errno;
		snprintf(err, errlen, "%s", strerror(-rc));
	} else if (!(rc = tdiff_memo_new(&memo)) && !(rc = mt_reader_open_fd(&r, fd, &ro))) {
		rc = scan(r, pcn, o, t, memo, &named);
		*no_symbols = !named; /* no PC has a name: no symbol records */
		if (rc < 0 && *mt_reader_errmsg(r))
			snprintf(err, errlen, "%s", mt_reader_errmsg(r));
		mt_reader_close(r);
	} else if (rc != -ENOMEM) {
		snprintf(err, errlen, "%s", strerror(-rc));
	}
	tdiff_memo_free(memo);
	mt_pcname_free(pcn);
	if (rc < 0) {
		mt_tdiff_tasks_free(t);
		return rc;
	}
	*out = t;
	return 0;
}
