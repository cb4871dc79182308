/*
 * wire-util.c: causes, byte buffers, hex, UTF-16 and zlib for the wire
 * room. UTF-16 is checked and written here on top of db/util's UTF-8
 * decoder (utf8_next/utf8_encode): expat reads the UTF-16 itself, so no
 * second UTF-8 decoder is needed.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "hex.h"
#include "utf8.h"
#include "wire-int.h"

int
wire_fail(char **cause, const char *fmt, ...)
{
	va_list ap;

	if (cause == NULL)
		return -1;
	free(*cause);
	va_start(ap, fmt);
	xvasprintf(cause, fmt, ap);
	va_end(ap);
	return -1;
}

void
wire_bytes_free(struct wire_bytes *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

/* ------------------------------------------------------------------ buffers */

void
wbuf_add(struct wbuf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n)
			cap *= 2;
		b->d = xreallocarray(b->d, cap, 1);
		b->cap = cap;
	}
	memcpy(b->d + b->len, p, n);
	b->len += n;
}

void
wbuf_str(struct wbuf *b, const char *s)
{
	wbuf_add(b, s, strlen(s));
}

void
wbuf_printf(struct wbuf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	wbuf_str(b, s);
	free(s);
}

void
wbuf_take(struct wbuf *b, struct wire_bytes *out)
{
	out->data = b->d != NULL ? b->d : xmalloc(1);
	out->len = b->len;
	memset(b, 0, sizeof *b);
}

void
wbuf_free(struct wbuf *b)
{
	free(b->d);
	memset(b, 0, sizeof *b);
}

/* ------------------------------------------------------------------ hex */

int
wire_unhex(const char *s, struct wire_bytes *out, char **cause)
{
	size_t n = strlen(s);
	unsigned char *p;
	int hi, lo;

	memset(out, 0, sizeof *out);
	if (n == 0)
		return wire_fail(cause, "empty hex");
	if (n % 2 != 0)
		return wire_fail(cause, "hex of odd length %zu", n);
	p = xmalloc(n / 2);
	for (size_t i = 0; i < n; i += 2) {
		if ((hi = hex_value(s[i])) < 0 ||
		    (lo = hex_value(s[i + 1])) < 0) {
			free(p);
			return wire_fail(cause, "not a hex digit at character %zu",
			    i + 1 + (hi >= 0));
		}
		p[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	out->data = p;
	out->len = n / 2;
	return 0;
}

/* ------------------------------------------------------------------ UTF-16 */

int
wire_utf16_check(const unsigned char *p, size_t n, int be, const char *what,
    char **cause)
{
	unsigned u, v;

	if (n % 2 != 0)
		return wire_fail(cause, "%s: UTF-16 of odd length (%zu bytes)",
		    what, n);
	for (size_t i = 0; i < n; i += 2) {
		u = be ? (unsigned)p[i] << 8 | p[i + 1] :
		    (unsigned)p[i + 1] << 8 | p[i];
		if (u >= 0xdc00 && u <= 0xdfff)
			return wire_fail(cause, "%s: unpaired UTF-16 low "
			    "surrogate at byte %zu", what, i);
		if (u < 0xd800 || u > 0xdbff)
			continue;
		if (i + 2 >= n)
			return wire_fail(cause, "%s: unpaired UTF-16 high "
			    "surrogate at byte %zu", what, i);
		v = be ? (unsigned)p[i + 2] << 8 | p[i + 3] :
		    (unsigned)p[i + 3] << 8 | p[i + 2];
		if (v < 0xdc00 || v > 0xdfff)
			return wire_fail(cause, "%s: unpaired UTF-16 high "
			    "surrogate at byte %zu", what, i);
		i += 2;
	}
	return 0;
}

int
wire_utf16_put(struct wbuf *b, const char *s, char **cause)
{
	size_t n = strlen(s), k;
	unsigned char u[4];
	uint32_t cp;

	for (size_t i = 0; i < n; i += k) {
		if ((k = utf8_next(s + i, n - i, &cp)) == 0)
			return wire_fail(cause, "text is not UTF-8 at byte %zu",
			    i);
		if (cp < 0x10000) {
			u[0] = cp & 0xff;
			u[1] = cp >> 8;
			wbuf_add(b, u, 2);
		} else {
			cp -= 0x10000;
			u[0] = (0xd800 | cp >> 10) & 0xff;
			u[1] = (0xd800 | cp >> 10) >> 8;
			u[2] = (0xdc00 | (cp & 0x3ff)) & 0xff;
			u[3] = (0xdc00 | (cp & 0x3ff)) >> 8;
			wbuf_add(b, u, 4);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ zlib */

int
wire_inflate(const unsigned char *in, size_t n, size_t max,
    struct wire_bytes *out, const char *what, char **cause)
{
	unsigned char chunk[16384];
	struct wbuf b = { 0 };
	z_stream z;
	int zr, rc = -1;

	memset(out, 0, sizeof *out);
	memset(&z, 0, sizeof z);
	if (n == 0)
		return wire_fail(cause, "%s: empty, not a zlib stream", what);
	if (n > UINT32_MAX)
		return wire_fail(cause, "%s: too large", what);
	if (inflateInit(&z) != Z_OK)
		return wire_fail(cause, "%s: cannot start zlib", what);
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)n;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof chunk;
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END) {
			if (zr == Z_BUF_ERROR || zr == Z_OK)
				wire_fail(cause, "%s: zlib stream cut short",
				    what);
			else
				wire_fail(cause, "%s: bad zlib data (%s)", what,
				    z.msg != NULL ? z.msg : zError(zr));
			goto out;
		}
		if (b.len + (sizeof chunk - z.avail_out) > max) {
			wire_fail(cause, "%s: inflates to more than %zu bytes "
			    "(refused as a decompression bomb)", what, max);
			goto out;
		}
		wbuf_add(&b, chunk, sizeof chunk - z.avail_out);
	} while (zr != Z_STREAM_END);
	if (z.avail_in != 0) {
		wire_fail(cause, "%s: %u bytes after the end of the zlib stream",
		    what, z.avail_in);
		goto out;
	}
	wbuf_take(&b, out);
	rc = 0;
out:
	inflateEnd(&z);
	wbuf_free(&b);
	return rc;
}

/*
 * zlib (RFC 1950) of in. The window and the hash table are sized to the
 * message: a registration or its reply is a few kilobytes, and zlib's
 * defaults (a 32 KiB window, 64 KiB of hash) cost more to allocate and
 * clear than to compress it. Any inflate reads the result: the header
 * says the window.
 */
void
wire_deflate(const unsigned char *in, size_t n, struct wire_bytes *out)
{
	z_stream z;
	uLong len;
	int wbits = 9;

	while (wbits < 15 && ((size_t)1 << wbits) < n)
		wbits++;
	memset(&z, 0, sizeof z);
	/* Only Z_MEM_ERROR (OOM, as xmalloc) or a bug can fail. */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, wbits,
	    wbits - 6, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	len = deflateBound(&z, (uLong)n);
	out->data = xmalloc(len);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out->data;
	z.avail_out = (uInt)len;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	out->len = len - z.avail_out;
	deflateEnd(&z);
}

int
wire_smsid_ok(const char *s)
{
	static const char form[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (strncmp(s, "GUID:", 5) != 0 || strlen(s + 5) != sizeof form - 1)
		return 0;
	for (size_t i = 0; form[i] != '\0'; i++) {
		char c = s[5 + i];

		if (form[i] == '-' ? c != '-' : strchr("0123456789abcdefABCDEF",
		    c) == NULL || c == '\0')
			return 0;
	}
	return 1;
}

/* ------------------------------------------------------------------ time */

int
wire_time_parse(const char *s, time_t *out)
{
	struct tm tm, back;
	int n = 0;

	memset(&tm, 0, sizeof tm);
	if (strlen(s) != 20 ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n != 20)
		return -1;
	for (int i = 0; i < 19; i++)
		if ((i == 4 || i == 7) ? s[i] != '-' : i == 10 ? s[i] != 'T' :
		    (i == 13 || i == 16) ? s[i] != ':' :
		    (s[i] < '0' || s[i] > '9'))
			return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	back = tm;
	*out = timegm(&tm);
	if (tm.tm_mday != back.tm_mday || tm.tm_mon != back.tm_mon ||
	    tm.tm_hour != back.tm_hour || tm.tm_min != back.tm_min ||
	    tm.tm_sec != back.tm_sec)
		return -1;
	return 0;
}
