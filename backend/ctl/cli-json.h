/*
 * cli-json: every JSON ehttpctl writes or reads goes through here, on
 * jansson (Debian libjansson-dev).
 *
 * Why jansson and not json-c: its parser is strict where input will be
 * untrusted (tokens, manifests): it rejects duplicate keys on request
 * (JSON_REJECT_DUPLICATES), invalid UTF-8 and trailing data, and says
 * where (line, column); json_unpack() reads a document into typed C
 * values in one call. Its writer keeps the keys in insertion order, has a
 * compact form equal to what ehttpctl printed by hand, and never escapes
 * '/' (json-c does by default). Strings are checked for UTF-8 on the way
 * in (json-c stores and prints any bytes, so invalid UTF-8 from a
 * certificate or a log would make the output invalid); cj_str() cleans
 * them first so no value is ever refused.
 *
 * Output form (unchanged from the hand-written writer): compact, keys in
 * the order given; unsafe characters (safetext.h: controls, C1, bidi
 * controls, DEL) as lowercase \uXXXX escapes ("\n", "\r", "\t" as such),
 * each invalid UTF-8 byte as \ufffd, other text as UTF-8. cj_write()
 * turns jansson's escapes ("\b", "\u001B") into that form.
 *
 * Large outputs stream: one record is a small tree, written and freed
 * before the next (struct cj_array); the whole output never is.
 */
#ifndef CLI_JSON_H
#define CLI_JSON_H

#include <stdio.h>
#include <time.h>

#include <jansson.h>

/* Values for json_pack("o"); never NULL (out of memory aborts). Text is
 * untrusted: each invalid UTF-8 byte becomes U+FFFD. NULL is "". */
json_t	*cj_str(const char *);
json_t	*cj_strn(const char *, size_t);
/* "2026-11-24T14:05:00Z" (UTC, timefmt.h), or null for 0. */
json_t	*cj_time(time_t);

/* Write v compactly in the form above, then a line feed; frees v. A v of
 * NULL (a json_pack that failed: a programming error) aborts. */
void	 cj_print(FILE *, json_t *v);

/* An array written one element at a time: open, add..., close ("]\n"). */
struct cj_array {
	FILE	*f;
	size_t	 n;
	char	*buf;		/* one element's dump, reused */
	size_t	 cap;
};
void	 cj_array_open(struct cj_array *, FILE *);
void	 cj_array_add(struct cj_array *, json_t *v);	/* frees v */
void	 cj_array_close(struct cj_array *);
/* Frees what an array left open by an error holds (writes nothing); a
 * closed or zeroed one is fine too. */
void	 cj_array_free(struct cj_array *);

/* Read one JSON document (nothing after it): duplicate keys and invalid
 * UTF-8 are errors. NULL on error with *cause ("line 3, column 7: ...",
 * caller frees). */
json_t	*cj_load(const char *buf, size_t len, char **cause);
json_t	*cj_load_file(const char *path, char **cause);

#endif
