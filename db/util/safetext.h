/*
 * safetext: the one definition of an unsafe character in untrusted text
 * (certificate names, log records, the environment, the database) and the
 * one way ehttp writes such text out.
 *
 * Unsafe (SAFETEXT_CONTROL): C0 controls U+0000..U+001F (tab and line feed
 * included), DEL U+007F, C1 controls U+0080..U+009F, the bidirectional and
 * format controls U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069,
 * and the line and paragraph separators U+2028, U+2029.
 * Unsafe (SAFETEXT_INVALID): any byte that does not start a valid UTF-8
 * sequence (a lone C1 byte such as 0x9b, overlong forms, surrogates, code
 * points past U+10FFFF, a truncated sequence).
 * Everything else (printable ASCII, valid printable UTF-8) is SAFETEXT_PRINT.
 *
 * The escaped form is visible and unambiguous:
 *   \\        a backslash
 *   \n \r \t  line feed, carriage return, tab
 *   \xNN      any other unsafe byte below 0x80 and every invalid byte
 *   \uNNNN    an unsafe code point from U+0080 up (4 lowercase hex digits)
 * so "\x1b" in the output always means the byte ESC was there, and a name
 * that really holds a backslash and "x1b" is shown as "\\x1b".
 * The console (tui/text.c) and JSON use the same classification with their
 * own form ('?' on screen, \u escapes in JSON).
 */
#ifndef SAFETEXT_H
#define SAFETEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum safetext_class {
	SAFETEXT_PRINT,
	SAFETEXT_CONTROL,
	SAFETEXT_INVALID,
};

/* The longest escaped form of one character ("\u202e" or 4 UTF-8 bytes). */
#define SAFETEXT_CHAR_MAX	8

/*
 * The character at s (n > 0 bytes left): its class, its length in bytes
 * (*len, 1 for an invalid byte) and its code point (*cp; the byte itself
 * for SAFETEXT_INVALID).
 */
enum safetext_class safetext_next(const char *s, size_t n, size_t *len,
		    uint32_t *cp);

/*
 * Escaped form of the character at s (n > 0 bytes left) into out (not
 * NUL-terminated); *used: the bytes of s it stands for. Returns the length
 * of out.
 */
size_t		 safetext_char(const char *s, size_t n, size_t *used,
		    char out[SAFETEXT_CHAR_MAX]);

/* Escaped copy of s (n bytes, or up to its NUL for (size_t)-1); caller frees. */
char		*safetext_dup(const char *s, size_t n);

/*
 * Escaped copy of s (n bytes, or up to its NUL for (size_t)-1) into buf of
 * len bytes, NUL-terminated, cut before the first character whose escaped
 * form does not fit (an escape is never cut). Returns the bytes of s used.
 */
size_t		 safetext_copy(char *buf, size_t len, const char *s, size_t n);

/*
 * A message (one line) that may quote values already escaped (rules_shown,
 * an error naming a field): escaped like safetext_dup, but a backslash
 * passes as it is. Caller frees.
 */
char		*safetext_message(const char *s);

/*
 * A stream that writes everything given to it to f, escaped as above except
 * that line feeds and backslashes pass unchanged (the writer's own line
 * structure; fields are escaped with safetext_dup before). fclose() of the
 * stream flushes it but leaves f open. A write error on f (after fflush(f)
 * too) is a write error of the stream, and the first one's errno is stored
 * in *error (set to 0 here), so a caller can still name it after fclose().
 */
FILE		*safetext_stream(FILE *f, int *error);

#endif
