// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fuzz_krec.c - libFuzzer target for what `mmiotap kernel record` makes of
 * the module's records (cli/kernel_drain.c): the input is an array of
 * struct mmiotap_krec, every field the fuzzer's (types, widths, DATA
 * chains, map ids, flags), written to a trace and read back.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	static struct drain *d;
	struct mt_writer_opts wo = { .sz = sizeof(wo), .clock = MT_CLOCK_KERNEL,
				      .source = MT_SRC_KERNEL };
	size_t n = size / sizeof(struct mmiotap_krec);
	struct mmiotap_krec *v;
	int fd;

	if (!d)
		d = calloc(1, sizeof(*d));
	memset(d, 0, sizeof(*d));
	v = malloc((n ? n : 1) * sizeof(*v));
	memcpy(v, in, n * sizeof(*v));
	fd = open("/dev/null", O_WRONLY);
	if (fd < 0 || mt_writer_open_fd(&d->w, fd, &wo))
		abort();
	mt_kdrain_emit(d, v, n, UINT64_MAX);
	mt_writer_close(d->w);
	close(fd);
	free(v);
	return 0;
}
