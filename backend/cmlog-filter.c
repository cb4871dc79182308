/*
 * cmlog-filter: the log viewers' one record filter (cmlog-filter.h).
 */
#include <ctype.h>
#include <string.h>

#include "cmlog-filter.h"

/* The class of a type from the index (cmlog_reader_type_at) or a parsed
 * record (malformed: CMLOG_TYPE_MALFORMED); 0 for CMLOG_TYPE_BADINDEX. */
static unsigned
cmlog_class_of(int type)
{
	switch (type) {
	case CMLOG_TYPE_BADINDEX:
		return 0;
	case CMLOG_TYPE_MALFORMED:
		return CMLOG_CLASS_MALFORMED;
	case CMLOG_TYPE_ERROR:
		return CMLOG_CLASS_ERROR;
	case CMLOG_TYPE_WARNING:
		return CMLOG_CLASS_WARNING;
	default:
		return CMLOG_CLASS_INFO;
	}
}

unsigned
cmlog_class_parse(const char *list)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} names[] = {
		{ "info", CMLOG_CLASS_INFO },
		{ "warning", CMLOG_CLASS_WARNING },
		{ "error", CMLOG_CLASS_ERROR },
		{ "malformed", CMLOG_CLASS_MALFORMED },
	};
	unsigned set = 0;
	const char *p = list;

	for (;;) {
		size_t n = strcspn(p, ",");
		unsigned bit = 0;

		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			if (strlen(names[i].name) == n &&
			    strncmp(p, names[i].name, n) == 0)
				bit = names[i].bit;
		if (bit == 0)
			return 0;
		set |= bit;
		if (p[n] == '\0')
			return set;
		p += n + 1;
	}
}

/* Does the filter keep anything less than every record? */
static int
cmlog_filter_active(const struct cmlog_filter *f)
{
	return (f->classes != 0 && f->classes != CMLOG_CLASS_ALL) ||
	    cmlog_filter_needs_record(f);
}

int
cmlog_filter_set(struct cmlog_filter *dst, const struct cmlog_filter *src)
{
	memset(dst, 0, sizeof *dst);
	if (src != NULL)
		*dst = *src;
	return cmlog_filter_active(dst);
}

int
cmlog_filter_type_ok(const struct cmlog_filter *f, int type)
{
	unsigned c = cmlog_class_of(type);

	if (c == 0)
		return 0;
	return f->classes == 0 || (f->classes & c) != 0;
}

int
cmlog_filter_needs_record(const struct cmlog_filter *f)
{
	return f->component[0] != '\0' || f->text[0] != '\0';
}

/* A byte of the text as the search reads it: CR, LF and tab as a space,
 * ASCII folded to lower case. */
static unsigned char
fold(unsigned char c)
{
	if (c == '\r' || c == '\n' || c == '\t')
		return ' ';
	return (unsigned char)tolower(c);
}

int
cmlog_text_match(const char *text, size_t n, const char *needle)
{
	const unsigned char *s = (const unsigned char *)text;
	const unsigned char *nd = (const unsigned char *)needle;
	size_t nlen = strlen(needle);

	if (nlen == 0)
		return 1;
	for (size_t i = 0; i < n; i++) {
		size_t j = 0, k = i;

		while (j < nlen && k < n) {
			/* CRLF is one line break: one space. */
			if (s[k] == '\r' && k + 1 < n && s[k + 1] == '\n')
				k++;
			if (fold(s[k]) != fold(nd[j]))
				break;
			j++;
			k++;
		}
		if (j == nlen)
			return 1;
	}
	return 0;
}

int
cmlog_filter_match(const struct cmlog_filter *f, const struct cmlog_record *r)
{
	if (!cmlog_filter_type_ok(f, r->malformed ? CMLOG_TYPE_MALFORMED :
	    r->type))
		return 0;
	if (f->component[0] != '\0' && (r->malformed ||
	    !cmlog_component_match(r->component, f->component)))
		return 0;
	if (f->text[0] != '\0' && !cmlog_text_match(r->text, r->text_len,
	    f->text))
		return 0;
	return 1;
}
