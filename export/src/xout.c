// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * xout.c - the exporters' output buffer and the text helpers they share
 * (hand-written number formatting: printf costs more than the rest of a
 * CSV row).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "export_int.h"

int xo_flush(struct xout *o)
{
	size_t off = 0;

	while (!o->err && off < o->len) {
		ssize_t k = write(o->fd, o->buf + off, o->len - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			o->err = k < 0 ? -errno : -EIO;
		else
			off += (size_t)k;
	}
	o->len = 0;
	return o->err;
}

uint8_t *xo_reserve(struct xout *o, size_t n)
{
	(void)n; /* n <= XO_MAX_ITEM: the buffer always has that much beyond XO_SIZE */
	if (o->len >= XO_SIZE)
		xo_flush(o);
	return o->buf + o->len;
}

void xo_puts(struct xout *o, const char *s)
{
	size_t n = strlen(s);
	uint8_t *p = xo_reserve(o, n);

	memcpy(p, s, n);
	xo_commit(o, p + n);
}

char *tx_u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static const char hexd[] = "0123456789abcdef";

char *tx_hex(char *p, uint64_t v)
{
	int sh = 60;

	*p++ = '0';
	*p++ = 'x';
	while (sh > 0 && !((v >> sh) & 0xf))
		sh -= 4;
	for (; sh >= 0; sh -= 4)
		*p++ = hexd[(v >> sh) & 0xf];
	return p;
}

char *tx_value(char *p, const struct mt_event *ev)
{
	int i;

	if (!ev->wide || ev->width <= 8)
		return tx_hex(p, ev->value);
	*p++ = '0';
	*p++ = 'x';
	for (i = ev->width - 1; i >= 0; i--) {
		*p++ = hexd[ev->wide[i] >> 4];
		*p++ = hexd[ev->wide[i] & 0xf];
	}
	return p;
}

char *tx_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

char *tx_json(char *p, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			/* bytes as \u00XX: valid JSON whatever the encoding */
			p = tx_str(p, "\\u00");
			*p++ = hexd[c >> 4];
			*p++ = hexd[c & 0xf];
		} else {
			*p++ = (char)c;
		}
	}
	return p;
}
