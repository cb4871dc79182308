/*
 * odata: the query language of the administration service (OData v4, the
 * part it serves), with no database and no I/O: a request's query options
 * read ($filter, $select, $orderby, $top, $skip, $count, $skiptoken), a
 * $filter parsed against a class's properties and evaluated on one row.
 *
 * $filter: comparisons eq ne gt ge lt le, and, or, not, parentheses, the
 * functions startswith, endswith and contains (two strings: true or
 * false) and tolower, toupper; literals 'text' ('' is a quote), integers,
 * true, false, null and DateTimeOffset values (2026-12-04T10:00:00Z, an
 * offset +01:00 or a fraction of a second allowed). Types are checked when
 * the filter is parsed: a string compared with a number is a 400 naming
 * the position (1-based, in the decoded text), never a guess. The text is
 * at most OD_FILTER_MAX bytes, nested at most OD_DEPTH_MAX deep, with at
 * most OD_NODES_MAX terms: a hostile filter costs a bounded parse and a
 * bounded evaluation per row.
 */
#ifndef ODATA_H
#define ODATA_H

#include <stddef.h>
#include <stdint.h>

#define OD_FILTER_MAX	2048
#define OD_DEPTH_MAX	32
#define OD_NODES_MAX	256
#define OD_LITERAL_MAX	1024
#define OD_ORDER_MAX	4
#define OD_SELECT_MAX	64

enum od_type {
	OD_NULL,
	OD_STRING,	/* Edm.String */
	OD_INT,		/* Edm.Int64 */
	OD_BOOL,	/* Edm.Boolean */
	OD_TIME,	/* Edm.DateTimeOffset: milliseconds since 1970, UTC */
};

/* A value of a row's property (s: not owned; NULL is ""). */
struct od_val {
	enum od_type	 type;
	int64_t		 i;		/* OD_INT, OD_BOOL, OD_TIME */
	const char	*s;		/* OD_STRING */
};

struct od_prop {
	const char	*name;		/* case-sensitive, as OData's */
	enum od_type	 type;
};

/* An error of the request: the query option it is in and a sentence. */
struct od_error {
	const char	*option;	/* "$filter" (static), or NULL */
	char		 text[256];
};

struct od_node;

/* Parse text (decoded) for a class with props: 0 and *out (free with
 * od_filter_free), or -1 and err. */
int	 od_filter_parse(const char *text, const struct od_prop *props,
	    size_t nprops, struct od_node **out, struct od_error *err);
/* Does row (a value per property, in props' order) pass? 1 or 0. */
int	 od_filter_eval(const struct od_node *, const struct od_val *row);
void	 od_filter_free(struct od_node *);
/* Its terms (the nodes one evaluation visits at most); 0 for NULL. */
size_t	 od_filter_terms(const struct od_node *);

/* One key of $orderby. */
struct od_order {
	size_t	 prop;		/* index in props */
	int	 desc;
};

/* A request's query options, read by od_query_parse. */
struct od_query {
	struct od_node	*filter;		/* NULL: every row */
	size_t		 select[OD_SELECT_MAX];	/* property indexes */
	size_t		 nselect;		/* 0: every property */
	struct od_order	 order[OD_ORDER_MAX];
	size_t		 norder;
	int64_t		 top;			/* -1: not given */
	int64_t		 skip;
	int		 count;			/* $count=true */
	char		 skiptoken[600];	/* "": none */
	char		*filter_text;		/* decoded, for a next link */
	char		*select_text;
	char		*orderby_text;
};

/*
 * The query string (after '?', percent-encoded; NULL or "" none) for a
 * class with props: 0, or -1 and err (an unknown system query option, a
 * malformed one, an unknown property, one given twice). Parameters not
 * starting with '$' are ignored, as OData's custom options.
 */
int	 od_query_parse(const char *query, const struct od_prop *props,
	    size_t nprops, struct od_query *q, struct od_error *err);
void	 od_query_free(struct od_query *);

/* Percent-decoding of len bytes of a query value (plus: '+' is a
 * space) or a path; NULL on a bad escape or a NUL byte. malloc'ed. */
char	*od_decode(const char *s, size_t len, int plus);
/* Percent-encoding for a link (RFC 3986 unreserved kept). malloc'ed. */
char	*od_encode(const char *s);

/* Text of the request quoted in a message or a record: each byte that is
 * not printable ASCII becomes '?', in place (one printable line). */
void	 od_printable(char *);

/* Compare two values of one type (strings byte-wise): <0, 0, >0. */
int	 od_cmp(const struct od_val *, const struct od_val *);

#endif
