/*
 * hex.c: hexadecimal digits (hex.h).
 */
#include "hex.h"
#include "xmalloc.h"

int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
encode(const char *digits, const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		*out++ = digits[b[i] >> 4];
		*out++ = digits[b[i] & 15];
	}
	*out = '\0';
}

void
hex_encode(const void *p, size_t n, char *out)
{
	encode("0123456789abcdef", p, n, out);
}

void
hex_encode_upper(const void *p, size_t n, char *out)
{
	encode("0123456789ABCDEF", p, n, out);
}

char *
hex_upper_dup(const void *p, size_t n)
{
	char *s = xreallocarray(NULL, n + 1, 2);	/* 2 * n + 1, checked */

	hex_encode_upper(p, n, s);
	return s;
}
