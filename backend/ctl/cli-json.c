/* cli-json: JSON on jansson (why jansson, and the output form: cli-json.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli-json.h"
#include "safetext.h"
#include "timefmt.h"
#include "utf8.h"
#include "xmalloc.h"

#define DUMP_FLAGS	(JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER)

/* jansson returns NULL only when it could not allocate. */
static json_t *
must(json_t *v)
{
	if (v == NULL) {
		fputs("ehttpctl: out of memory: jansson\n", stderr);
		abort();
	}
	return v;
}

json_t *
cj_strn(const char *s, size_t n)
{
	size_t i, len;
	char *clean;
	json_t *v;

	for (i = 0; i < n && (unsigned char)s[i] < 0x80; i++)
		;
	if (i == n)
		return must(json_stringn_nocheck(s, n));
	/* Each invalid byte becomes U+FFFD: the value stays, valid. */
	if ((clean = utf8_repair(s, n, &len)) == NULL)
		v = json_stringn(s, n);
	else {
		v = json_stringn(clean, len);
		free(clean);
	}
	if (v == NULL) {
		/* Valid for utf8.c, not for jansson (it never happens; if
		 * it did, the escaped text is ASCII and always valid). */
		clean = safetext_dup(s, n);
		v = must(json_string(clean));
		free(clean);
	}
	return v;
}

json_t *
cj_str(const char *s)
{
	return s != NULL ? cj_strn(s, strlen(s)) : must(json_string(""));
}

json_t *
cj_time(time_t t)
{
	char buf[TIMEFMT_LEN];

	if (t == 0)
		return json_null();
	/* A time with no calendar date is "", as it always was. */
	timefmt(buf, sizeof buf, t, TIMEFMT_ISO);
	return must(json_string(buf));
}

/*
 * jansson's compact dump (s, n) to f in ehttpctl's form. Outside strings
 * the dump is ASCII without controls, so every change below is inside a
 * string: escapes are written as lowercase \uXXXX ("\n", "\r", "\t" and
 * the two-character ones for '"' and '\\' stay), characters jansson
 * leaves raw but safetext calls unsafe (DEL, C1, bidi controls) become
 * \uXXXX, and U+FFFD is written \ufffd.
 */
static void
cj_write(FILE *f, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, run, len;
	uint32_t cp;

	while (i < n) {
		for (run = i; run < n && (unsigned char)s[run] >= 0x20 &&
		    (unsigned char)s[run] < 0x7f && s[run] != '\\'; run++)
			;
		fwrite(s + i, 1, run - i, f);
		if ((i = run) == n)
			break;
		if (s[i] == '\\' && i + 1 < n) {
			switch (s[i + 1]) {
			case 'b': fputs("\\u0008", f); i += 2; continue;
			case 'f': fputs("\\u000c", f); i += 2; continue;
			case 'u':
				if (i + 6 > n)
					break;
				fputs("\\u", f);
				for (size_t k = i + 2; k < i + 6; k++)
					fputc(s[k] >= 'A' && s[k] <= 'F' ?
					    s[k] - 'A' + 'a' : s[k], f);
				i += 6;
				continue;
			}
			fwrite(s + i, 1, 2, f);
			i += 2;
			continue;
		}
		switch (safetext_next(s + i, n - i, &len, &cp)) {
		case SAFETEXT_PRINT:
			if (cp == 0xfffd)
				fputs("\\ufffd", f);
			else
				fwrite(s + i, 1, len, f);
			break;
		case SAFETEXT_CONTROL:
			fprintf(f, "\\u%c%c%c%c", hex[cp >> 12 & 15],
			    hex[cp >> 8 & 15], hex[cp >> 4 & 15], hex[cp & 15]);
			break;
		case SAFETEXT_INVALID:	/* not from jansson */
			fputs("\\ufffd", f);
			break;
		}
		i += len;
	}
}

/* Dump v into *buf (grown as needed) and write it; frees v. */
static void
cj_dump(FILE *f, json_t *v, char **buf, size_t *cap)
{
	size_t n;

	if (v == NULL) {
		fputs("ehttpctl: internal error: a JSON value could not be"
		    " built\n", stderr);
		abort();
	}
	while ((n = json_dumpb(v, *buf, *cap, DUMP_FLAGS)) > *cap) {
		free(*buf);
		*cap = n + n / 2;
		*buf = xmalloc(*cap);
	}
	if (n == 0) {	/* only an invalid string could do that: none is */
		fputs("ehttpctl: internal error: JSON could not be written\n",
		    stderr);
		abort();
	}
	cj_write(f, *buf, n);
	json_decref(v);
}

void
cj_print(FILE *f, json_t *v)
{
	char *buf = NULL;
	size_t cap = 0;

	cj_dump(f, v, &buf, &cap);
	free(buf);
	fputc('\n', f);
}

void
cj_array_open(struct cj_array *a, FILE *f)
{
	*a = (struct cj_array){ .f = f };
	fputc('[', f);
}

void
cj_array_add(struct cj_array *a, json_t *v)
{
	if (a->n++ > 0)
		fputc(',', a->f);
	cj_dump(a->f, v, &a->buf, &a->cap);
}

void
cj_array_close(struct cj_array *a)
{
	fputs("]\n", a->f);
	cj_array_free(a);
}

void
cj_array_free(struct cj_array *a)
{
	free(a->buf);
	a->buf = NULL;
	a->cap = 0;
}

static json_t *
loaded(json_t *v, const json_error_t *e, char **cause)
{
	if (v == NULL)
		xasprintf(cause, "line %d, column %d: %s", e->line, e->column,
		    e->text);
	return v;
}

json_t *
cj_load(const char *buf, size_t len, char **cause)
{
	json_error_t e;

	*cause = NULL;
	return loaded(json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e), &e,
	    cause);
}

json_t *
cj_load_file(const char *path, char **cause)
{
	json_error_t e;

	*cause = NULL;
	return loaded(json_load_file(path, JSON_REJECT_DUPLICATES, &e), &e,
	    cause);
}
