/*
 * utf8: the one UTF-8 decoder. Valid means what RFC 3629 (and python3's
 * decoder) says: the shortest form only, no surrogates (U+D800..U+DFFF),
 * nothing past U+10FFFF, no sequence cut short. What a character is
 * allowed to be on a terminal or in a log is safetext.h's decision, made
 * on top of this one.
 */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The most bytes one character takes. */
#define UTF8_CHAR_MAX	4

/*
 * The character at s (n > 0 bytes left): the length of the valid sequence
 * it starts (1-4) with its code point in *cp, or 0 if s does not start a
 * valid sequence (*cp is then the byte s[0]).
 */
size_t		 utf8_next(const char *s, size_t n, uint32_t *cp);

/* Is s (0 < n bytes) the start of a valid sequence that is cut short, so
 * that more bytes could still complete it? */
int		 utf8_partial(const char *s, size_t n);

/* A continuation byte (10xxxxxx): inside a character, never its start. */
static inline int
utf8_cont(unsigned char b)
{
	return (b & 0xc0) == 0x80;
}

/*
 * s (n bytes) with each byte that starts no valid sequence replaced by
 * U+FFFD: NULL when there is none (s is valid as it is), else a
 * malloc'ed, NUL-terminated copy, its length in *len. Text that must be
 * valid UTF-8 (JSON) keeps every valid character this way.
 */
char		*utf8_repair(const char *s, size_t n, size_t *len);

/* cp (at most U+10FFFF, not a surrogate) as UTF-8 into out; returns the
 * length, 0 for a code point that has no UTF-8 form. */
size_t		 utf8_encode(uint32_t cp, char out[UTF8_CHAR_MAX]);

#endif
