// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cli_kdrain.c - the reader threads of `mmiotap kernel record`
 * (cli/kernel_drain.c) on a file of module records standing in for
 * /dev/mmiotap: each reader stores at most its cap (memory bounded) and
 * takes its lock per read(), so the main thread can take the stores while
 * there is still more to read; every record arrives exactly once. The
 * main thread's own read ends at a short read or its budget.
 */
#include "../../cli/kernel_drain.c"

#include <fcntl.h>
#include <stdio.h>

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

#define NREC 20000u
#define CAP 1000u

static int records_file(void)
{
	char path[] = "/tmp/cli_kdrain.XXXXXX";
	int fd = mkstemp(path);
	struct mmiotap_krec r;

	if (fd < 0)
		exit(99);
	unlink(path);
	memset(&r, 0, sizeof(r));
	r.type = MMIOTAP_KREC_WRITE;
	for (uint64_t i = 1; i <= NREC; i++) {
		r.seq = i;
		if (write(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
			exit(99);
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* Every reader's store under its cap; all taken into d->work. */
static void take_all(struct drain *d)
{
	for (int i = 0; i < d->nreaders; i++) {
		struct kreader *r = d->readers[i];

		pthread_mutex_lock(&r->lock);
		CHECK(r->got.n <= CAP);
		CHECK(take(&d->work, &r->got) == 0);
		pthread_mutex_unlock(&r->lock);
	}
}

/* The main thread's read_all(): it stops at the first read of fewer
 * records than asked (every ring emptied), and under a source that always
 * fills the read (/dev/zero: traced code writing as fast as we read) after
 * its budget, never waiting for a read of 0. */
static void read_all_bounded(void)
{
	struct drain *d = calloc(1, sizeof(*d));

	d->fd = records_file();
	CHECK(read_all(d, &d->work, SIZE_MAX) == 0);
	CHECK(d->work.n == NREC);
	close(d->fd);
	d->work.n = 0;
	d->fd = open("/dev/zero", O_RDONLY);
	CHECK(d->fd >= 0);
	CHECK(read_all(d, &d->work, 10 * MT_KDRAIN_ASK) == 1);
	CHECK(d->work.n >= 10 * MT_KDRAIN_ASK && d->work.n <= 11 * MT_KDRAIN_ASK);
	close(d->fd);
	mt_kdrain_free(d);
	free(d);
}

int main(void)
{
	struct drain *d = calloc(1, sizeof(*d));
	struct timespec ms = { 0, 1000000L };

	read_all_bounded();

	d->fd = records_file();
	d->reader_cap = CAP;
	mt_kdrain_readers_start(d);
	CHECK(d->nreaders > 0);
	for (int t = 0; t < 10000 && d->work.n < NREC; t++) {
		nanosleep(&ms, NULL);
		take_all(d);
	}
	mt_kdrain_readers_stop(d);
	take_all(d);
	CHECK(d->work.n == NREC);
	qsort(d->work.v, d->work.n, sizeof(*d->work.v), by_seq);
	for (size_t i = 0; i < d->work.n && i < NREC; i++)
		if (d->work.v[i].seq != i + 1) {
			CHECK(d->work.v[i].seq == i + 1);
			break;
		}
	close(d->fd);
	mt_kdrain_free(d);
	free(d);
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	return failures ? 1 : 0;
}
