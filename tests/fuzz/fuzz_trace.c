// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fuzz_trace.c - libFuzzer target for the trace reader. Built three ways:
 * -DFUZZ_BINARY (binary reader), -DFUZZ_TEXT (mmiotrace text parser).
 * Invariant checked beyond "no crash": whatever parses prints as text that
 * parses again and prints the same (text -> text is a fixed point).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmiotap/trace.h"

static char *render(const uint8_t *data, size_t size, enum mt_input_format f, size_t *outlen,
		    int *ok)
{
	struct mt_reader_opts ro = { .sz = sizeof(ro), .format = f, .sorted = 1, .meta = 1,
				     .files = 1 };
	struct mt_reader *r;
	struct mt_text_state st;
	struct mt_event ev;
	static char buf[MT_TEXT_MAX];
	char *out = NULL;
	size_t n = 0;
	int rc;

	*ok = 0;
	if (mt_reader_open_mem(&r, data, size, &ro))
		return NULL;
	mt_text_state_init(&st);
	while ((rc = mt_reader_next(r, &ev)) > 0) {
		int k = mt_text_format(&st, &ev, buf, sizeof(buf));

		if (k < 0)
			abort(); /* the formatter must handle anything the reader returns */
		out = realloc(out, n + (size_t)k + 1);
		memcpy(out + n, buf, (size_t)k);
		n += (size_t)k;
	}
	if (rc < 0 && !strstr(mt_reader_errmsg(r), "offset "))
		abort(); /* every error names a byte offset */
	mt_reader_close(r);
	*ok = rc == 0;
	*outlen = n;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#ifdef FUZZ_BINARY
	enum mt_input_format f = MT_INPUT_BINARY;
#else
	enum mt_input_format f = MT_INPUT_TEXT;
#endif
	size_t l1 = 0, l2 = 0;
	int ok1, ok2;
	char *t1 = render(data, size, f, &l1, &ok1), *t2;

	if (ok1 && t1) {
		t2 = render((const uint8_t *)t1, l1, MT_INPUT_TEXT, &l2, &ok2);
		if (!ok2 || l1 != l2 || memcmp(t1, t2, l1))
			abort(); /* our own text must read back to itself */
		free(t2);
	}
	free(t1);
	return 0;
}
