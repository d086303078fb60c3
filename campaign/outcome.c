// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * outcome.c - what an experiment's trace says: how many accesses the rule
 * changed, the crash the runtime marked (runtime/preload/crashmark.c), and
 * the first access where the driver did something else than in the
 * baseline (values compared as the device gave them: an injected read
 * compares by its original value, so the divergence is the driver's first
 * different reaction, not the injection itself).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmiotap/trace.h"
#include "mmiotap/pcname.h"
#include "campaign.h"
#include "cp_outcome.h"

#define FATAL_MARK "mmiotap: fatal "

static void acc_of(const struct mt_event *ev, struct cp_acc *a)
{
	a->kind = ev->kind;
	a->width = ev->width;
	a->map_id = ev->map_id;
	a->offset = ev->offset;
	a->value = ev->value;
	if (ev->orig && ev->orig_len) {
		uint64_t v = 0;
		for (unsigned i = 0; i < ev->orig_len && i < 8; i++)
			v |= (uint64_t)ev->orig[i] << (8 * i);
		a->value = v;
	}
}

static int same(const struct cp_acc *a, const struct cp_acc *b)
{
	return a->kind == b->kind && a->width == b->width && a->map_id == b->map_id &&
	       a->offset == b->offset && a->value == b->value;
}

static void acc_text(const struct cp_acc *a, char *buf, size_t room)
{
	snprintf(buf, room, "%c%u map %u +0x%" PRIx64 " = 0x%" PRIx64,
		 a->kind == MT_REC_READ ? 'R' : 'W', a->width, a->map_id, a->offset,
		 a->value);
}

/* The one place a crash site is named: "function+0xoff in OBJECT+0xOFF"
 * when the experiment's trace has symbols for the PC (its OBJECT records),
 * else "OBJECT+0xOFF" as the runtime's mark says. */
void cp_symbolize(const char *site, struct mt_pcname *pcn, uint32_t pid, uint64_t pc,
		  uint64_t seq, char *buf, size_t room)
{
	const char *fn = pc ? mt_pcname_get(pcn, pid, pc, seq) : NULL;

	if (fn && strncmp(fn, site, strlen(fn)))
		snprintf(buf, room, "%s in %s", fn, site);
	else
		snprintf(buf, room, "%s", site);
}

/* "SIGSEGV addr=A pc=P at OBJ+0xOFF" -> "OBJ+0xOFF (pc=P addr=A)": the
 * site first, the same in every run; addresses after, as ASLR made them. */
static void crash_of(const struct mt_event *ev, struct mt_pcname *pcn, char *buf, size_t room)
{
	char text[600], sym[600];
	size_t n = ev->text_len < sizeof(text) - 1 ? ev->text_len : sizeof(text) - 1;
	char *addrs, *at, *pcs;
	uint64_t pc = 0;

	memcpy(text, ev->text, n);
	text[n] = 0;
	addrs = strchr(text + strlen(FATAL_MARK), ' '); /* past the signal's name */
	addrs = addrs ? addrs + 1 : text + strlen(FATAL_MARK);
	at = strstr(addrs, " at ");
	if (at) {
		*at = 0;
		pcs = strstr(addrs, "pc=");
		if (pcs)
			pc = strtoull(pcs + 3, NULL, 16);
		cp_symbolize(at + 4, pcn, ev->pid, pc, ev->seq, sym, sizeof(sym));
		snprintf(buf, room, "%.300s (%.150s)", sym, addrs);
	} else {
		snprintf(buf, room, "? (%.400s)", addrs);
	}
}

static int open_trace(const char *path, struct mt_reader **rd)
{
	struct mt_reader_opts ro = { .sz = sizeof(ro), .format = MT_INPUT_BINARY, .sorted = 1 };
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -errno;
	rc = mt_reader_open_fd(rd, fd, &ro);
	if (rc < 0)
		close(fd);
	return rc < 0 ? rc : fd;
}

int cp_baseline_load(const char *path, struct cp_baseline *b)
{
	struct mt_reader *rd;
	struct mt_event ev;
	int fd = open_trace(path, &rd), rc;

	memset(b, 0, sizeof(*b));
	if (fd < 0)
		return fd;
	while ((rc = mt_reader_next(rd, &ev)) > 0) {
		if (ev.kind != MT_REC_READ && ev.kind != MT_REC_WRITE)
			continue;
		if (b->n == b->cap) {
			size_t cap = b->cap ? 2 * b->cap : 1024;
			struct cp_acc *n = realloc(b->acc, cap * sizeof(*n));
			if (!n) {
				rc = -ENOMEM;
				break;
			}
			b->acc = n;
			b->cap = cap;
		}
		acc_of(&ev, &b->acc[b->n++]);
	}
	mt_reader_close(rd);
	close(fd);
	return rc < 0 ? rc : 0;
}

void cp_baseline_free(struct cp_baseline *b)
{
	free(b->acc);
	memset(b, 0, sizeof(*b));
}

int cp_outcome_read(const char *path, const struct cp_baseline *b, struct cp_result *r)
{
	struct mt_reader *rd;
	struct mt_event ev;
	struct cp_acc a;
	char x[160], y[160];
	size_t i = 0;
	int fd = open_trace(path, &rd), rc, diverged = 0;
	struct mt_pcname *pcn = NULL;

	if (fd < 0) {
		snprintf(r->div, sizeof(r->div), "no trace: %s", strerror(-fd));
		return fd;
	}
	while ((rc = mt_reader_next(rd, &ev)) > 0) {
		if (ev.kind == MT_REC_MARK && ev.text_len > strlen(FATAL_MARK) &&
		    !memcmp(ev.text, FATAL_MARK, strlen(FATAL_MARK))) {
			if (!pcn)
				pcn = mt_pcname_open(path);
			crash_of(&ev, pcn, r->crash, sizeof(r->crash));
			continue;
		}
		if (ev.kind != MT_REC_READ && ev.kind != MT_REC_WRITE)
			continue;
		if (ev.flags & (MT_RF_INJECTED | MT_RF_DELAYED | MT_RF_DROPPED))
			r->inj++;
		acc_of(&ev, &a);
		if (!diverged && (i >= b->n || !same(&a, &b->acc[i]))) {
			diverged = 1;
			acc_text(&a, x, sizeof(x));
			if (i < b->n) {
				acc_text(&b->acc[i], y, sizeof(y));
				snprintf(r->div, sizeof(r->div), "access %zu: %s (baseline %s)", i + 1,
					 x, y);
			} else {
				snprintf(r->div, sizeof(r->div), "access %zu: %s (baseline ended)",
					 i + 1, x);
			}
		}
		i++;
	}
	if (!diverged && i < b->n) {
		acc_text(&b->acc[i], y, sizeof(y));
		snprintf(r->div, sizeof(r->div), "access %zu: trace ends (baseline %s)", i + 1, y);
	}
	if (rc < 0 && !r->div[0])
		snprintf(r->div, sizeof(r->div), "trace unreadable: %s", mt_reader_errmsg(rd));
	mt_pcname_free(pcn);
	mt_reader_close(rd);
	close(fd);
	return 0;
}
