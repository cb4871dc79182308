/* utf8: the one UTF-8 decoder (see utf8.h). */
#include <string.h>

#include "utf8.h"
#include "xmalloc.h"

/* Bytes a sequence starting with lead byte b announces: 1-4, 0 if b cannot
 * start one (a continuation byte, 0xc0, 0xc1, 0xf5..0xff). */
static size_t
utf8_seq_len(unsigned char b)
{
	if (b < 0x80)
		return 1;
	if (b >= 0xc2 && b <= 0xdf)
		return 2;
	if (b >= 0xe0 && b <= 0xef)
		return 3;
	if (b >= 0xf0 && b <= 0xf4)
		return 4;
	return 0;
}

/*
 * The range the second byte must be in after lead (RFC 3629 section 4):
 * narrower than 0x80..0xbf exactly where a sequence would be overlong
 * (e0, f0), a surrogate (ed) or past U+10FFFF (f4).
 */
static int
utf8_second_ok(unsigned char lead, unsigned char b)
{
	switch (lead) {
	case 0xe0:
		return b >= 0xa0 && b <= 0xbf;
	case 0xed:
		return b >= 0x80 && b <= 0x9f;
	case 0xf0:
		return b >= 0x90 && b <= 0xbf;
	case 0xf4:
		return b >= 0x80 && b <= 0x8f;
	default:
		return utf8_cont(b);
	}
}

size_t
utf8_next(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t need = utf8_seq_len(p[0]);
	uint32_t c;

	*cp = p[0];
	if (need == 1)
		return 1;
	if (need == 0 || need > n || !utf8_second_ok(p[0], p[1]))
		return 0;
	c = p[0] & (0xff >> (need + 1));
	for (size_t i = 1; i < need; i++) {
		if (!utf8_cont(p[i]))
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	*cp = c;
	return need;
}

int
utf8_partial(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t need = utf8_seq_len(p[0]);

	if (need <= 1 || n >= need)
		return 0;
	if (n > 1 && !utf8_second_ok(p[0], p[1]))
		return 0;
	for (size_t i = 2; i < n; i++)
		if (!utf8_cont(p[i]))
			return 0;
	return 1;
}

size_t
utf8_encode(uint32_t cp, char out[UTF8_CHAR_MAX])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp >= 0xd800 && cp <= 0xdfff)
		return 0;
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	if (cp > 0x10ffff)
		return 0;
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

char *
utf8_repair(const char *s, size_t n, size_t *len)
{
	static const char fffd[] = "\357\277\275";	/* U+FFFD */
	size_t i, l, bad = 0;
	uint32_t cp;
	char *out, *o;

	for (i = 0; i < n; i += l ? l : 1)
		bad += (l = utf8_next(s + i, n - i, &cp)) == 0;
	if (bad == 0)
		return NULL;
	o = out = xmalloc(n + 2 * bad + 1);
	for (i = 0; i < n; i += l ? l : 1) {
		if ((l = utf8_next(s + i, n - i, &cp)) == 0) {
			memcpy(o, fffd, 3);
			o += 3;
		} else {
			memcpy(o, s + i, l);
			o += l;
		}
	}
	*o = '\0';
	*len = (size_t)(o - out);
	return out;
}
