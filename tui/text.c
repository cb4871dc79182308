/*
 * text: drawing strings that come from outside (log records, certificate
 * fields) safely: what is unsafe is db/util/safetext.h's one definition;
 * unsafe characters become '?', invalid bytes '?' (U+FFFD on a UTF-8
 * terminal), and everything is cut to
 * the columns available with an ellipsis.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "safetext.h"
#include "timefmt.h"
#include "tui.h"

int text_utf8;

#define TEXT_INVALID	(-1)	/* not UTF-8 */
#define TEXT_CONTROL	(-2)	/* unsafe (safetext.h) but tab, CR, LF */

/* Decode one character at s[*i]; what is unsafe is safetext's decision. */
static long
decode(const char *s, size_t len, size_t *i)
{
	enum safetext_class k;
	uint32_t cp;
	size_t n;

	k = safetext_next(s + *i, len - *i, &n, &cp);
	*i += n;
	if (k == SAFETEXT_INVALID)
		return TEXT_INVALID;
	/* Tab, CR and LF are returned for the callers that wrap lines. */
	if (k == SAFETEXT_CONTROL && cp != '\t' && cp != '\r' && cp != '\n')
		return TEXT_CONTROL;
	return cp;
}

/* What to show for c, and its width (0: skip it). */
static wchar_t
shown(long c, int *width)
{
	int w;

	*width = 1;
	if (c == '\t')
		return L' ';
	if (c == TEXT_INVALID)
		return text_utf8 ? (wchar_t)0xfffd : L'?';
	if (c == TEXT_CONTROL || c == '\r' || c == '\n')
		return L'?';
	if (c < 0x80)
		return (wchar_t)c;
	if (!text_utf8)
		return L'?';
	w = wcwidth((wchar_t)c);
	if (w < 0)
		return L'?';
	*width = w;
	return (wchar_t)c;
}

int
text_cols(const char *s, size_t len)
{
	size_t i = 0;
	int cols = 0, w;

	if (len == (size_t)-1)
		len = strlen(s);
	while (i < len) {
		shown(decode(s, len, &i), &w);
		cols += w;
	}
	return cols;
}

int
text_put(WINDOW *win, int y, int x, int maxw, const char *s, size_t len,
    attr_t attr)
{
	wchar_t buf[1024];
	size_t i = 0, n = 0;
	int cols = 0, w, h, ww, total, limit;
	wchar_t c;

	if (win == NULL)
		return 0;
	getmaxyx(win, h, ww);
	if (y < 0 || y >= h || x < 0 || x >= ww)
		return 0;
	if (maxw > ww - x)
		maxw = ww - x;
	if (maxw <= 0)
		return 0;
	if (len == (size_t)-1)
		len = strlen(s);
	total = text_cols(s, len);
	limit = total > maxw ? maxw - 1 : maxw;
	while (i < len && n < sizeof buf / sizeof buf[0] - 2) {
		c = shown(decode(s, len, &i), &w);
		if (w == 0)
			continue;
		if (cols + w > limit)
			break;
		buf[n++] = c;
		cols += w;
	}
	if (total > maxw) {
		buf[n++] = text_utf8 ? (wchar_t)0x2026 : L'~';
		cols++;
	}
	buf[n] = L'\0';
	wattrset(win, attr);
	mvwaddnwstr(win, y, x, buf, (int)n);
	wattrset(win, A_NORMAL);
	return cols;
}

int
text_putf(WINDOW *win, int y, int x, int maxw, attr_t attr, const char *fmt,
    ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return text_put(win, y, x, maxw, buf, (size_t)-1, attr);
}

void
text_fill(WINDOW *win, int y, int x, int n, attr_t attr)
{
	int h, w;

	if (win == NULL)
		return;
	getmaxyx(win, h, w);
	if (y < 0 || y >= h || x < 0 || x >= w)
		return;
	if (n > w - x)
		n = w - x;
	if (n <= 0)
		return;
	mvwhline(win, y, x, ' ' | attr, n);
}

size_t
text_wrap(const char *s, size_t len, int width, size_t *next)
{
	size_t i = 0, prev, last_space = 0;
	int cols = 0, w, have_space = 0;
	long c;

	if (width < 1)
		width = 1;
	while (i < len) {
		prev = i;
		c = decode(s, len, &i);
		if (c == '\n' || c == '\r') {
			*next = i;
			if (c == '\r' && i < len && s[i] == '\n')
				(*next)++;
			return prev;
		}
		shown(c, &w);
		if (cols + w > width && cols > 0) {
			if (have_space && last_space > 0) {
				*next = last_space + 1;
				return last_space;
			}
			*next = prev;
			return prev;
		}
		if (c == ' ') {
			last_space = prev;
			have_space = 1;
		}
		cols += w;
	}
	*next = len;
	return len;
}

const char *
text_casefind(const char *hay, size_t hlen, const char *needle)
{
	size_t nlen = strlen(needle);
	unsigned char first;

	if (nlen == 0)
		return hay;
	if (nlen > hlen)
		return NULL;
	first = (unsigned char)tolower((unsigned char)needle[0]);
	for (size_t i = 0; i + nlen <= hlen; i++) {
		if ((unsigned char)tolower((unsigned char)hay[i]) != first)
			continue;
		if (strncasecmp(hay + i + 1, needle + 1, nlen - 1) == 0) {
			/* strncasecmp stops at a NUL in hay: check it. */
			if (memchr(hay + i, '\0', nlen) == NULL)
				return hay + i;
		}
	}
	return NULL;
}

const char *
text_time(time_t t, char *buf, size_t len)
{
	if (t == 0 || timefmt(buf, len, t, TIMEFMT_MINUTE) == -1)
		snprintf(buf, len, "-");
	return buf;
}

const char *
text_day(time_t t, char *buf, size_t len)
{
	if (t == 0 || timefmt(buf, len, t, TIMEFMT_DAY) == -1)
		snprintf(buf, len, "-");
	return buf;
}

void
text_copy(char *dst, size_t dstlen, const char *src, size_t len)
{
	if (dstlen == 0)
		return;
	if (len >= dstlen)
		len = dstlen - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}
