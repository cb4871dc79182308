/*
 * cmlog-filter: the one record filter of every log viewer (ehttpctl log
 * show and the console's Filter dialog), so that the same filter gives the
 * same records everywhere.
 *
 * Meaning (what an administrator reads in the Type column):
 *  - type: a set of the four classes every record falls in exactly once:
 *    error (type 3), warning (type 2), malformed (not a record), and info
 *    (every other record: type 1, type 0, an empty type and 4-99, which
 *    CMTrace also shows as plain information). An empty set keeps all.
 *  - component: the pattern found anywhere in the component, ignoring
 *    ASCII case (cmlog_component_match); a malformed record has no
 *    component, so a component filter leaves it out.
 *  - text: found in the log text as written (the message, or the raw line
 *    of a malformed record), ignoring ASCII case; line breaks and tabs in
 *    the text read as one space, so "multi line" finds a text broken over
 *    two lines. The component is not searched by the text filter.
 * All parts must match.
 */
#ifndef CMLOG_FILTER_H
#define CMLOG_FILTER_H

#include "cmlog.h"

#define CMLOG_CLASS_INFO	0x1
#define CMLOG_CLASS_WARNING	0x2
#define CMLOG_CLASS_ERROR	0x4
#define CMLOG_CLASS_MALFORMED	0x8
#define CMLOG_CLASS_ALL		0xf
#define CMLOG_CLASS_NONE	0x10	/* a set that keeps no record */

#define CMLOG_FILTER_TEXT_MAX	127

struct cmlog_filter {
	unsigned	 classes;	/* CMLOG_CLASS_* bits; 0 = all */
	char		 component[CMLOG_FIELD_MAX + 1];	/* "" = all */
	char		 text[CMLOG_FILTER_TEXT_MAX + 1];	/* "" = all */
};

/* "info", "warning", "error", "malformed" -> CMLOG_CLASS_*; 0 if unknown.
 * A comma list ("warning,error") gives the union; 0 if any part is
 * unknown. */
unsigned	 cmlog_class_parse(const char *list);

/* *dst = *src (NULL: keep every record); returns 1 if the filter keeps
 * anything less than every record, else 0. */
int		 cmlog_filter_set(struct cmlog_filter *dst,
		    const struct cmlog_filter *src);

/* Does the type from the index pass (decided without parsing)? 1 or 0. */
int		 cmlog_filter_type_ok(const struct cmlog_filter *, int type);

/* Does the filter need the parsed record (component or text set)? */
int		 cmlog_filter_needs_record(const struct cmlog_filter *);

/* Does the parsed record pass the whole filter? 1 or 0. */
int		 cmlog_filter_match(const struct cmlog_filter *,
		    const struct cmlog_record *);

/* The text filter alone: needle in n bytes of text as described above. */
int		 cmlog_text_match(const char *text, size_t n,
		    const char *needle);

#endif
