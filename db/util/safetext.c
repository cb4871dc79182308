/* safetext: classifying and escaping untrusted text (see safetext.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "safetext.h"
#include "utf8.h"
#include "xmalloc.h"

/* Code points from U+0080 up that must not reach a terminal or a log raw. */
static int
safetext_unsafe_cp(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) ||	/* C1 controls */
	    cp == 0x061c ||			/* Arabic letter mark */
	    cp == 0x200e || cp == 0x200f ||	/* LRM, RLM */
	    (cp >= 0x2028 && cp <= 0x202e) ||	/* LS, PS, LRE..RLO */
	    (cp >= 0x2066 && cp <= 0x2069);	/* LRI..PDI */
}

enum safetext_class
safetext_next(const char *s, size_t n, size_t *len, uint32_t *cp)
{
	if ((*len = utf8_next(s, n, cp)) == 0) {
		*len = 1;
		return SAFETEXT_INVALID;
	}
	if (*cp < 0x80)
		return *cp < 0x20 || *cp == 0x7f ? SAFETEXT_CONTROL :
		    SAFETEXT_PRINT;
	return safetext_unsafe_cp(*cp) ? SAFETEXT_CONTROL : SAFETEXT_PRINT;
}

#define KEEP_BACKSLASH	0x1
#define KEEP_LF		0x2

/*
 * How many bytes from s (n) are shown as they are without a look at them
 * one by one: printable ASCII, a backslash only with KEEP_BACKSLASH, a
 * line feed only with KEEP_LF. 16 at a time where SSE2 is: most text is
 * plain, and this loop was most of the cost of printing it.
 */
static size_t
safetext_plain(const char *s, size_t n, int keep)
{
	size_t i = 0;

#ifdef __SSE2__
	const __m128i lo = _mm_set1_epi8(0x1f), hi = _mm_set1_epi8(0x7f);
	const __m128i bs = _mm_set1_epi8('\\'), lf = _mm_set1_epi8('\n');
	unsigned ok;

	for (; n - i >= 16; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)
		    (s + i));
		/* Signed: bytes from 0x80 are negative, so not above 0x1f. */
		__m128i m = _mm_and_si128(_mm_cmpgt_epi8(x, lo),
		    _mm_cmplt_epi8(x, hi));

		if (!(keep & KEEP_BACKSLASH))
			m = _mm_andnot_si128(_mm_cmpeq_epi8(x, bs), m);
		if (keep & KEEP_LF)
			m = _mm_or_si128(m, _mm_cmpeq_epi8(x, lf));
		if ((ok = (unsigned)_mm_movemask_epi8(m)) != 0xffff)
			return i + (size_t)__builtin_ctz(~ok);
	}
#endif
	for (; i < n; i++)
		if (!((s[i] >= 0x20 && s[i] < 0x7f && (s[i] != '\\' ||
		    (keep & KEEP_BACKSLASH))) || (s[i] == '\n' &&
		    (keep & KEEP_LF))))
			break;
	return i;
}

static size_t
safetext_escape(const char *s, size_t n, size_t *used,
    char out[SAFETEXT_CHAR_MAX], int keep)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t cp;
	size_t len;

	switch (safetext_next(s, n, &len, &cp)) {
	case SAFETEXT_PRINT:
		*used = len;
		if (cp == '\\' && !(keep & KEEP_BACKSLASH)) {
			memcpy(out, "\\\\", 2);
			return 2;
		}
		memcpy(out, s, len);
		return len;
	case SAFETEXT_CONTROL:
		*used = len;
		switch (cp) {
		case '\n':
			if (keep & KEEP_LF) {
				out[0] = '\n';
				return 1;
			}
			memcpy(out, "\\n", 2);
			return 2;
		case '\r':
			memcpy(out, "\\r", 2);
			return 2;
		case '\t':
			memcpy(out, "\\t", 2);
			return 2;
		}
		if (cp < 0x80)
			break;
		out[0] = '\\';
		out[1] = 'u';
		out[2] = hex[cp >> 12 & 0xf];
		out[3] = hex[cp >> 8 & 0xf];
		out[4] = hex[cp >> 4 & 0xf];
		out[5] = hex[cp & 0xf];
		return 6;
	case SAFETEXT_INVALID:
		*used = 1;
		break;
	}
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex[cp >> 4 & 0xf];
	out[3] = hex[cp & 0xf];
	return 4;
}

size_t
safetext_char(const char *s, size_t n, size_t *used,
    char out[SAFETEXT_CHAR_MAX])
{
	return safetext_escape(s, n, used, out, 0);
}

/*
 * The escaped form of s (n bytes) into buf (len > 0 bytes), cut before the
 * first escape that does not fit; NUL-terminated. Returns the bytes of s
 * used.
 */
static size_t
safetext_into(char *buf, size_t len, const char *s, size_t n, int keep)
{
	char e[SAFETEXT_CHAR_MAX];
	size_t i = 0, o = 0, used, k;

	while (i < n && o + 1 < len) {
		if ((k = safetext_plain(s + i, n - i, 0)) > 0) {
			if (k > len - 1 - o)
				k = len - 1 - o;
			memcpy(buf + o, s + i, k);
			o += k;
			i += k;
			continue;
		}
		k = safetext_escape(s + i, n - i, &used, e, keep);
		if (o + k >= len)
			break;
		memcpy(buf + o, e, k);
		o += k;
		i += used;
	}
	buf[o] = '\0';
	return i;
}

static char *
safetext_dup_keep(const char *s, size_t n, int keep)
{
	char *out;

	if (s == NULL)
		s = "";
	if (n == (size_t)-1)
		n = strlen(s);
	/* Worst case: every byte becomes "\xNN" (4 bytes), or 3 bytes "\u..." (6). */
	out = xmalloc(n * 4 + 1);
	safetext_into(out, n * 4 + 1, s, n, keep);
	return out;
}

char *
safetext_dup(const char *s, size_t n)
{
	return safetext_dup_keep(s, n, 0);
}

size_t
safetext_copy(char *buf, size_t len, const char *s, size_t n)
{
	if (len == 0)
		return 0;
	if (n == (size_t)-1)
		n = strlen(s);
	return safetext_into(buf, len, s, n, 0);
}

char *
safetext_message(const char *s)
{
	return safetext_dup_keep(s, (size_t)-1, KEEP_BACKSLASH);
}

/* The filtering stream. */

struct safetext_cookie {
	FILE		*f;
	int		*error;
	unsigned char	 pend[4];	/* the start of a character cut by a write */
	size_t		 npend;
};

static int
safetext_put(struct safetext_cookie *ck, const char *s, size_t n)
{
	char buf[1024], e[SAFETEXT_CHAR_MAX];
	size_t i = 0, o = 0, used, k;

	while (i < n) {
		/* A run of printable ASCII (and line feeds) as it is. */
		size_t run = i + safetext_plain(s + i, n - i,
		    KEEP_BACKSLASH | KEEP_LF);

		if (run > i) {
			if (o > 0 && fwrite(buf, 1, o, ck->f) != o)
				return -1;
			o = 0;
			if (fwrite(s + i, 1, run - i, ck->f) != run - i)
				return -1;
			i = run;
			continue;
		}
		k = safetext_escape(s + i, n - i, &used, e,
		    KEEP_BACKSLASH | KEEP_LF);
		if (o + k > sizeof buf) {
			if (fwrite(buf, 1, o, ck->f) != o)
				return -1;
			o = 0;
		}
		memcpy(buf + o, e, k);
		o += k;
		i += used;
	}
	if (o > 0 && fwrite(buf, 1, o, ck->f) != o)
		return -1;
	return 0;
}

static void
safetext_fail(struct safetext_cookie *ck)
{
	if (*ck->error == 0)
		*ck->error = errno != 0 ? errno : EIO;
}

static ssize_t
safetext_write(void *arg, const char *s, size_t n)
{
	struct safetext_cookie *ck = arg;
	const unsigned char *p = (const unsigned char *)s;
	size_t keep = 0, start = 0;

	/* Complete a character a previous write cut, byte by byte. */
	while (ck->npend > 0 && start < n) {
		ck->pend[ck->npend++] = p[start++];
		if (utf8_partial((char *)ck->pend, ck->npend))
			continue;
		if (safetext_put(ck, (char *)ck->pend, ck->npend) == -1)
			goto fail;
		ck->npend = 0;
	}
	/* Keep back the start of a character cut at the end of this write. */
	for (size_t k = 1; k <= 3 && k <= n - start; k++)
		if (utf8_partial(s + n - k, k)) {
			keep = k;
			break;
		}
	if (safetext_put(ck, s + start, n - start - keep) == -1)
		goto fail;
	memcpy(ck->pend + ck->npend, p + n - keep, keep);
	ck->npend += keep;
	return (ssize_t)n;
fail:
	safetext_fail(ck);
	return -1;
}

static int
safetext_close(void *arg)
{
	struct safetext_cookie *ck = arg;
	int rc = 0;

	errno = 0;
	if ((ck->npend > 0 &&
	    safetext_put(ck, (char *)ck->pend, ck->npend) == -1) ||
	    fflush(ck->f) == EOF || ferror(ck->f)) {
		safetext_fail(ck);
		rc = -1;
	}
	free(ck);
	return rc;
}

FILE *
safetext_stream(FILE *f, int *error)
{
	static const cookie_io_functions_t io = {
		.write = safetext_write,
		.close = safetext_close,
	};
	struct safetext_cookie *ck;
	FILE *s;

	*error = 0;
	ck = xcalloc(1, sizeof *ck);
	ck->f = f;
	ck->error = error;
	if ((s = fopencookie(ck, "w", io)) == NULL)
		abort();
	/* On a terminal, lines reach it as they are written, in the order of
	 * both streams; elsewhere full buffers. */
	if (isatty(fileno(f)))
		setvbuf(s, NULL, _IOLBF, BUFSIZ);
	else
		setvbuf(s, NULL, _IOFBF, 1 << 16);
	return s;
}
