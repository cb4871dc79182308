/*
 * odata: OData v4 query options and $filter (odata.h). A recursive descent
 * parser whose depth and size are bounded; every error names the position
 * in the decoded text.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hex.h"
#include "odata.h"
#include "xmalloc.h"

enum node_kind { N_LIT, N_PROP, N_CMP, N_AND, N_OR, N_NOT, N_FUNC };
enum cmp_op { C_EQ, C_NE, C_GT, C_GE, C_LT, C_LE };
enum fn { F_STARTSWITH, F_ENDSWITH, F_CONTAINS, F_TOLOWER, F_TOUPPER };

struct od_node {
	enum node_kind	 kind;
	enum od_type	 type;		/* of its value */
	int		 op;		/* enum cmp_op, enum fn */
	size_t		 prop;		/* N_PROP */
	int64_t		 i;		/* N_LIT */
	char		*s;		/* N_LIT string */
	struct od_node	*a, *b;
};

/* The parser's state. */
struct parser {
	const char		*text;
	size_t			 pos;
	const struct od_prop	*props;
	size_t			 nprops;
	int			 depth;
	int			 nodes;
	struct od_error		*err;
};

static int
fail(struct parser *p, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void
od_printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

static int
fail(struct parser *p, size_t at, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	od_printable(msg);
	p->err->option = "$filter";
	snprintf(p->err->text, sizeof p->err->text, "position %zu: %s",
	    at + 1, msg);
	return -1;
}

static const char *
type_name(enum od_type t)
{
	switch (t) {
	case OD_STRING: return "Edm.String";
	case OD_INT: return "Edm.Int64";
	case OD_BOOL: return "Edm.Boolean";
	case OD_TIME: return "Edm.DateTimeOffset";
	default: return "null";
	}
}

static void
skip_ws(struct parser *p)
{
	while (p->text[p->pos] == ' ' || p->text[p->pos] == '\t')
		p->pos++;
}

static struct od_node *
node_new(struct parser *p, enum node_kind kind, enum od_type type)
{
	struct od_node *n;

	if (++p->nodes > OD_NODES_MAX) {
		fail(p, p->pos, "more than %d terms", OD_NODES_MAX);
		return NULL;
	}
	n = xcalloc(1, sizeof *n);
	n->kind = kind;
	n->type = type;
	return n;
}

void
od_filter_free(struct od_node *n)
{
	if (n == NULL)
		return;
	od_filter_free(n->a);
	od_filter_free(n->b);
	free(n->s);
	free(n);
}

size_t
od_filter_terms(const struct od_node *n)
{
	return n == NULL ? 0 : 1 + od_filter_terms(n->a) +
	    od_filter_terms(n->b);
}

/* A word (letters, digits, '_') at the position: its length, 0 none. */
static size_t
word_len(const char *s)
{
	size_t n = 0;

	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '_')
		n++;
	return n;
}

/* Is the next word w (followed by no word character)? */
static int
at_word(struct parser *p, const char *w)
{
	size_t n = strlen(w);

	skip_ws(p);
	return strncmp(p->text + p->pos, w, n) == 0 &&
	    !isalnum((unsigned char)p->text[p->pos + n]) &&
	    p->text[p->pos + n] != '_';
}

static int	 days_from_civil(int64_t y, unsigned m, unsigned d, int64_t *);

/* Exactly n digits at s into *v. */
static int
digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* A DateTimeOffset literal: 0 and *t (milliseconds), or -1. */
static int
od_parse_time(const char *s, size_t len, int64_t *t)
{
	int y, mo, d, h, mi, sec = 0, oh = 0, om = 0, sign = 1, ms = 0;
	size_t i = 16;
	int64_t days;

	if (len < 17 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2,
	    &mo) || s[7] != '-' || digits(s + 8, 2, &d) || (s[10] != 'T' &&
	    s[10] != 't') || digits(s + 11, 2, &h) || s[13] != ':' ||
	    digits(s + 14, 2, &mi))
		return -1;
	if (i < len && s[i] == ':') {
		if (i + 3 > len || digits(s + i + 1, 2, &sec))
			return -1;
		i += 3;
		if (i < len && s[i] == '.') {
			size_t f = ++i;

			/* Milliseconds; digits past them must be 0 (a row's
			 * time is whole seconds: a finer literal would
			 * compare wrongly once cut). */
			while (i < len && isdigit((unsigned char)s[i])) {
				if (i - f < 3)
					ms = ms * 10 + (s[i] - '0');
				else if (s[i] != '0')
					return -1;
				i++;
			}
			if (i == f || i - f > 12)
				return -1;
			for (size_t k = i - f; k < 3; k++)
				ms *= 10;
		}
	}
	if (i < len && (s[i] == 'Z' || s[i] == 'z'))
		i++;
	else if (i < len && (s[i] == '+' || s[i] == '-')) {
		sign = s[i] == '-' ? -1 : 1;
		if (i + 6 > len || digits(s + i + 1, 2, &oh) || s[i + 3] !=
		    ':' || digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		i += 6;
	} else
		return -1;
	if (i != len || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 59 || days_from_civil(y, (unsigned)mo,
	    (unsigned)d, &days) == -1)
		return -1;
	*t = (days * 86400 + h * 3600 + mi * 60 + sec - sign * (oh * 3600 +
	    om * 60)) * 1000 + ms;
	return 0;
}

/* Days since 1970-01-01 of a valid date (H. Hinnant's algorithm). */
static int
days_from_civil(int64_t y, unsigned m, unsigned d, int64_t *out)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31,
		30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	int64_t era;
	unsigned yoe, doy, doe;

	if (d > mdays[m - 1] + (m == 2 && leap))
		return -1;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	*out = era * 146097 + (int64_t)doe - 719468;
	return 0;
}

static struct od_node	*parse_or(struct parser *);

/* 'text' with '' for a quote. */
static struct od_node *
parse_string(struct parser *p)
{
	size_t start = p->pos, o = 0;
	char *buf = xmalloc(OD_LITERAL_MAX + 1);
	struct od_node *n;

	p->pos++;
	for (;;) {
		char ch = p->text[p->pos];

		if (ch == '\0') {
			free(buf);
			fail(p, start, "a string that does not end (')");
			return NULL;
		}
		if (ch == '\'') {
			if (p->text[p->pos + 1] != '\'') {
				p->pos++;
				break;
			}
			p->pos++;
		}
		if (o == OD_LITERAL_MAX) {
			free(buf);
			fail(p, start, "a string longer than %d bytes",
			    OD_LITERAL_MAX);
			return NULL;
		}
		buf[o++] = ch;
		p->pos++;
	}
	buf[o] = '\0';
	if ((n = node_new(p, N_LIT, OD_STRING)) == NULL) {
		free(buf);
		return NULL;
	}
	n->s = buf;
	return n;
}

/* An integer or a DateTimeOffset. */
static struct od_node *
parse_number(struct parser *p)
{
	const char *s = p->text + p->pos;
	size_t len = strspn(s, "0123456789-+:.TtZz");
	struct od_node *n;
	int64_t v;
	char *end;

	if (len >= 10 && isdigit((unsigned char)s[0]) && s[4] == '-') {
		if (od_parse_time(s, len, &v) == -1) {
			fail(p, p->pos, "'%.*s' is not a DateTimeOffset"
			    " (2026-12-04T10:00:00Z, at most milliseconds)",
			    (int)(len > 40 ? 40 : len), s);
			return NULL;
		}
		if ((n = node_new(p, N_LIT, OD_TIME)) == NULL)
			return NULL;
	} else {
		errno = 0;
		len = (size_t)(s[0] == '-');
		len += strspn(s + len, "0123456789");
		v = strtoll(s, &end, 10);
		if (end != s + len || len == 0 || errno != 0 ||
		    isalnum((unsigned char)*end) || *end == '.') {
			size_t shown = len + strspn(s + len, "0123456789.eE"
			    "abcdefghijklmnopqrstuvwxyzABCDFGHIJKLMNOPQRSTUVWXYZ");

			fail(p, p->pos, "'%.*s' is not an integer (Edm.Int64)",
			    (int)(shown > 40 ? 40 : shown), s);
			return NULL;
		}
		if ((n = node_new(p, N_LIT, OD_INT)) == NULL)
			return NULL;
	}
	n->i = v;
	p->pos += len;
	return n;
}

static const struct {
	const char	*name;
	enum fn		 fn;
	int		 nargs;
	enum od_type	 type;
} fns[] = {
	{ "startswith", F_STARTSWITH, 2, OD_BOOL },
	{ "endswith", F_ENDSWITH, 2, OD_BOOL },
	{ "contains", F_CONTAINS, 2, OD_BOOL },
	{ "tolower", F_TOLOWER, 1, OD_STRING },
	{ "toupper", F_TOUPPER, 1, OD_STRING },
};

static struct od_node *
parse_call(struct parser *p, size_t at, size_t f)
{
	struct od_node *n, *arg;

	if ((n = node_new(p, N_FUNC, fns[f].type)) == NULL)
		return NULL;
	n->op = fns[f].fn;
	p->pos++;				/* ( */
	for (int i = 0; i < fns[f].nargs; i++) {
		size_t apos;

		skip_ws(p);
		if (i > 0) {
			if (p->text[p->pos] != ',') {
				fail(p, p->pos, "%s takes %d arguments: ','"
				    " expected", fns[f].name, fns[f].nargs);
				goto fail;
			}
			p->pos++;
			skip_ws(p);
		}
		apos = p->pos;
		if ((arg = parse_or(p)) == NULL)
			goto fail;
		if (i == 0)
			n->a = arg;
		else
			n->b = arg;
		if (arg->type != OD_STRING) {
			fail(p, apos, "%s takes strings, not %s", fns[f].name,
			    type_name(arg->type));
			goto fail;
		}
	}
	skip_ws(p);
	if (p->text[p->pos] != ')') {
		fail(p, p->pos, "')' expected to close %s( at position %zu",
		    fns[f].name, at + 1);
		goto fail;
	}
	p->pos++;
	return n;
fail:
	od_filter_free(n);
	return NULL;
}

/* A literal, a property, a call or a parenthesized expression. */
static struct od_node *
parse_primary(struct parser *p)
{
	const char *s;
	size_t at, len;
	struct od_node *n;

	skip_ws(p);
	at = p->pos;
	s = p->text + at;
	if (*s == '(') {
		p->pos++;
		if ((n = parse_or(p)) == NULL)
			return NULL;
		skip_ws(p);
		if (p->text[p->pos] != ')') {
			fail(p, p->pos, "')' expected to close the '(' at"
			    " position %zu", at + 1);
			od_filter_free(n);
			return NULL;
		}
		p->pos++;
		return n;
	}
	if (*s == '\'')
		return parse_string(p);
	if (isdigit((unsigned char)*s) || (*s == '-' &&
	    isdigit((unsigned char)s[1])))
		return parse_number(p);
	if ((len = word_len(s)) == 0) {
		if (*s == '\0')
			fail(p, at, "the filter ends where a value was"
			    " expected");
		else
			fail(p, at, "'%c' where a value was expected",
			    isprint((unsigned char)*s) ? *s : '?');
		return NULL;
	}
	p->pos += len;
	if ((len == 4 && strncmp(s, "true", 4) == 0) || (len == 5 &&
	    strncmp(s, "false", 5) == 0)) {
		if ((n = node_new(p, N_LIT, OD_BOOL)) != NULL)
			n->i = len == 4;
		return n;
	}
	if (len == 4 && strncmp(s, "null", 4) == 0)
		return node_new(p, N_LIT, OD_NULL);
	skip_ws(p);
	if (p->text[p->pos] == '(') {
		for (size_t f = 0; f < sizeof fns / sizeof *fns; f++)
			if (strlen(fns[f].name) == len && strncmp(s,
			    fns[f].name, len) == 0)
				return parse_call(p, at, f);
		fail(p, at, "unknown function '%.*s' (startswith, endswith,"
		    " contains, tolower, toupper)", (int)(len > 40 ? 40 : len),
		    s);
		return NULL;
	}
	for (size_t i = 0; i < p->nprops; i++)
		if (strlen(p->props[i].name) == len && strncmp(s,
		    p->props[i].name, len) == 0) {
			if ((n = node_new(p, N_PROP, p->props[i].type)) !=
			    NULL)
				n->prop = i;
			return n;
		}
	fail(p, at, "no property '%.*s' in this class (names are"
	    " case-sensitive)", (int)(len > 40 ? 40 : len), s);
	return NULL;
}

static const struct {
	const char	*w;
	enum cmp_op	 op;
} cmps[] = {
	{ "eq", C_EQ }, { "ne", C_NE }, { "gt", C_GT }, { "ge", C_GE },
	{ "lt", C_LT }, { "le", C_LE },
};

static struct od_node	*parse_unary(struct parser *);

/* A comparison of two unary expressions, or one alone. */
static struct od_node *
parse_cmp(struct parser *p)
{
	struct od_node *l, *r, *n;
	size_t at;
	int op = -1;

	if ((l = parse_unary(p)) == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof cmps / sizeof *cmps; i++)
		if (at_word(p, cmps[i].w)) {
			op = cmps[i].op;
			break;
		}
	if (op == -1)
		return l;
	at = p->pos;
	p->pos += 2;
	if ((r = parse_unary(p)) == NULL) {
		od_filter_free(l);
		return NULL;
	}
	if (l->type != r->type && l->type != OD_NULL && r->type != OD_NULL) {
		fail(p, at, "%s compared with %s", type_name(l->type),
		    type_name(r->type));
		goto fail;
	}
	if (op != C_EQ && op != C_NE && (l->type == OD_NULL || r->type ==
	    OD_NULL || l->type == OD_BOOL)) {
		fail(p, at, "%s values are compared with eq and ne only",
		    type_name(l->type == OD_NULL ? r->type : l->type));
		goto fail;
	}
	if ((n = node_new(p, N_CMP, OD_BOOL)) == NULL)
		goto fail;
	n->op = op;
	n->a = l;
	n->b = r;
	return n;
fail:
	od_filter_free(l);
	od_filter_free(r);
	return NULL;
}

/* 'not' binds closer than the comparisons (OData's precedence): "not
 * IsBlocked", "not (ID eq 1)". */
static struct od_node *
parse_unary(struct parser *p)
{
	struct od_node *n, *a;
	size_t at;

	/* The outermost term is no level of nesting. */
	if (++p->depth > OD_DEPTH_MAX + 1) {
		fail(p, p->pos, "nested more than %d deep", OD_DEPTH_MAX);
		return NULL;
	}
	if (at_word(p, "not")) {
		at = p->pos;
		p->pos += 3;
		if ((a = parse_unary(p)) == NULL)
			return NULL;
		if (a->type != OD_BOOL) {
			fail(p, at, "not takes Edm.Boolean, not %s",
			    type_name(a->type));
			od_filter_free(a);
			return NULL;
		}
		if ((n = node_new(p, N_NOT, OD_BOOL)) == NULL) {
			od_filter_free(a);
			return NULL;
		}
		n->a = a;
	} else
		n = parse_primary(p);
	p->depth--;
	return n;
}

/* A left-associative chain of 'and' (sub: parse_unary) or 'or' (sub:
 * parse_and). */
static struct od_node *
parse_chain(struct parser *p, const char *w, enum node_kind kind,
    struct od_node *(*sub)(struct parser *))
{
	struct od_node *l, *r, *n;
	size_t at;

	skip_ws(p);
	at = p->pos;
	if ((l = sub(p)) == NULL)
		return NULL;
	while (at_word(p, w)) {
		size_t wat = p->pos;

		p->pos += strlen(w);
		skip_ws(p);
		if ((r = sub(p)) == NULL) {
			od_filter_free(l);
			return NULL;
		}
		if (l->type != OD_BOOL || r->type != OD_BOOL) {
			fail(p, l->type != OD_BOOL ? at : wat, "%s takes"
			    " Edm.Boolean on both sides, not %s", w,
			    type_name(l->type != OD_BOOL ? l->type : r->type));
			od_filter_free(l);
			od_filter_free(r);
			return NULL;
		}
		if ((n = node_new(p, kind, OD_BOOL)) == NULL) {
			od_filter_free(l);
			od_filter_free(r);
			return NULL;
		}
		n->a = l;
		n->b = r;
		l = n;
	}
	return l;
}

static struct od_node *
parse_and(struct parser *p)
{
	return parse_chain(p, "and", N_AND, parse_cmp);
}

/* Every way back into parse_or (a parenthesis, a function's argument)
 * goes through parse_unary, which counts the depth. */
static struct od_node *
parse_or(struct parser *p)
{
	return parse_chain(p, "or", N_OR, parse_and);
}

int
od_filter_parse(const char *text, const struct od_prop *props, size_t nprops,
    struct od_node **out, struct od_error *err)
{
	struct parser p = { .text = text, .props = props, .nprops = nprops,
	    .err = err };
	struct od_node *n;

	*out = NULL;
	if (strlen(text) > OD_FILTER_MAX)
		return fail(&p, OD_FILTER_MAX, "the filter is longer than %d"
		    " bytes", OD_FILTER_MAX);
	if ((n = parse_or(&p)) == NULL)
		return -1;
	skip_ws(&p);
	if (text[p.pos] != '\0') {
		od_filter_free(n);
		return fail(&p, p.pos, "'%.20s' after the end of the filter"
		    " (an operator or a closing parenthesis missing?)",
		    text + p.pos);
	}
	if (n->type != OD_BOOL) {
		enum od_type t = n->type;

		od_filter_free(n);
		return fail(&p, 0, "the filter is %s, not Edm.Boolean",
		    type_name(t));
	}
	*out = n;
	return 0;
}

/* A value while evaluating: a string may be folded to lower or upper
 * case (tolower, toupper) as it is read, never copied. */
struct ev {
	enum od_type	 type;
	int64_t		 i;
	const char	*s;
	int		 fold;		/* 0, 'l', 'u' */
};

static int
fold(int c, int how)
{
	if (how == 'l')
		return tolower(c);
	return how == 'u' ? toupper(c) : c;
}

static int
str_cmp(const struct ev *a, const struct ev *b)
{
	const unsigned char *x = (const unsigned char *)a->s;
	const unsigned char *y = (const unsigned char *)b->s;

	for (;; x++, y++) {
		int cx = fold(*x, a->fold), cy = fold(*y, b->fold);

		if (cx != cy || cx == 0)
			return cx - cy;
	}
}

/* Does h hold n at off (folded as each says)? */
static int
str_at(const struct ev *h, size_t off, const struct ev *n, size_t nlen)
{
	for (size_t i = 0; i < nlen; i++)
		if (fold((unsigned char)h->s[off + i], h->fold) !=
		    fold((unsigned char)n->s[i], n->fold))
			return 0;
	return 1;
}

static struct ev
eval(const struct od_node *n, const struct od_val *row)
{
	struct ev v = { .type = OD_BOOL }, a, b;
	size_t al, bl;
	int c;

	switch (n->kind) {
	case N_LIT:
		v.type = n->type;
		v.i = n->i;
		v.s = n->s != NULL ? n->s : "";
		return v;
	case N_PROP:
		v.type = row[n->prop].type;
		v.i = row[n->prop].i;
		v.s = row[n->prop].s != NULL ? row[n->prop].s : "";
		return v;
	case N_NOT:
		a = eval(n->a, row);
		v.i = a.type == OD_BOOL && !a.i;
		return v;
	case N_AND:
		a = eval(n->a, row);
		v.i = a.type == OD_BOOL && a.i && (b = eval(n->b, row),
		    b.type == OD_BOOL && b.i);
		return v;
	case N_OR:
		a = eval(n->a, row);
		v.i = (a.type == OD_BOOL && a.i) || (b = eval(n->b, row),
		    b.type == OD_BOOL && b.i);
		return v;
	case N_CMP:
		a = eval(n->a, row);
		b = eval(n->b, row);
		if (a.type == OD_NULL || b.type == OD_NULL) {
			int same = a.type == b.type;

			v.i = n->op == C_EQ ? same : n->op == C_NE ? !same : 0;
			return v;
		}
		if (a.type == OD_STRING)
			c = str_cmp(&a, &b);
		else
			c = a.i < b.i ? -1 : a.i > b.i;
		switch (n->op) {
		case C_EQ: v.i = c == 0; break;
		case C_NE: v.i = c != 0; break;
		case C_GT: v.i = c > 0; break;
		case C_GE: v.i = c >= 0; break;
		case C_LT: v.i = c < 0; break;
		default: v.i = c <= 0; break;
		}
		return v;
	case N_FUNC:
		a = eval(n->a, row);
		if (n->op == F_TOLOWER || n->op == F_TOUPPER) {
			if (a.type == OD_STRING)
				a.fold = n->op == F_TOLOWER ? 'l' : 'u';
			return a;
		}
		b = eval(n->b, row);
		if (a.type != OD_STRING || b.type != OD_STRING)
			return v;		/* null: false */
		al = strlen(a.s);
		bl = strlen(b.s);
		if (bl > al)
			return v;
		if (n->op == F_STARTSWITH)
			v.i = str_at(&a, 0, &b, bl);
		else if (n->op == F_ENDSWITH)
			v.i = str_at(&a, al - bl, &b, bl);
		else
			for (size_t off = 0; off + bl <= al && !v.i; off++)
				v.i = str_at(&a, off, &b, bl);
		return v;
	}
	return v;
}

int
od_filter_eval(const struct od_node *n, const struct od_val *row)
{
	struct ev v = eval(n, row);

	return v.type == OD_BOOL && v.i;
}

int
od_cmp(const struct od_val *a, const struct od_val *b)
{
	if (a->type == OD_NULL || b->type == OD_NULL)
		return (a->type != OD_NULL) - (b->type != OD_NULL);
	if (a->type == OD_STRING)
		return strcmp(a->s != NULL ? a->s : "", b->s != NULL ? b->s :
		    "");
	return a->i < b->i ? -1 : a->i > b->i;
}

char *
od_decode(const char *s, size_t len, int plus)
{
	char *out = xmalloc(len + 1);
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int h, l;

		if (s[i] == '+' && plus)
			out[o++] = ' ';
		else if (s[i] != '%')
			out[o++] = s[i];
		else {
			if (i + 2 >= len ||
			    (h = hex_value((unsigned char)s[i + 1])) < 0 ||
			    (l = hex_value((unsigned char)s[i + 2])) < 0 ||
			    (h == 0 && l == 0))
				goto bad;
			out[o++] = (char)(h << 4 | l);
			i += 2;
		}
	}
	out[o] = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

char *
od_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(strlen(s) * 3 + 1), *o = out;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '.' || c == '_' ||
		    c == '~')
			*o++ = (char)c;
		else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

static int
qfail(struct od_error *err, const char *option, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
qfail(struct od_error *err, const char *option, const char *fmt, ...)
{
	va_list ap;

	err->option = option;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof err->text, fmt, ap);
	va_end(ap);
	od_printable(err->text);
	return -1;
}

/* A property by name (len bytes): its index, or -1. */
static long
prop_find(const struct od_prop *props, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(props[i].name) == len && strncmp(props[i].name, s,
		    len) == 0)
			return (long)i;
	return -1;
}

static int
parse_select(const char *v, const struct od_prop *props, size_t nprops,
    struct od_query *q, struct od_error *err)
{
	const char *s = v;
	int all = 0;

	for (;;) {
		size_t len;
		long k;

		while (*s == ' ')
			s++;
		len = strcspn(s, ",");
		while (len > 0 && s[len - 1] == ' ')
			len--;
		if (len == 1 && *s == '*')
			all = 1;
		else if ((k = prop_find(props, nprops, s, len)) < 0)
			return qfail(err, "$select", "no property '%.*s' in"
			    " this class (names are case-sensitive)",
			    (int)(len > 40 ? 40 : len), s);
		else if (q->nselect == OD_SELECT_MAX)
			return qfail(err, "$select", "more than %d properties",
			    OD_SELECT_MAX);
		else
			q->select[q->nselect++] = (size_t)k;
		s += strcspn(s, ",");
		if (*s == '\0')
			break;
		s++;
	}
	if (all)
		q->nselect = 0;
	return 0;
}

static int
parse_orderby(const char *v, const struct od_prop *props, size_t nprops,
    struct od_query *q, struct od_error *err)
{
	const char *s = v;

	for (;;) {
		size_t len;
		long k;
		int desc = 0;

		while (*s == ' ')
			s++;
		len = word_len(s);
		if (len == 0 || (k = prop_find(props, nprops, s, len)) < 0)
			return qfail(err, "$orderby", "no property '%.*s' in"
			    " this class (names are case-sensitive)",
			    (int)strcspn(s, ", ") > 40 ? 40 :
			    (int)strcspn(s, ", "), s);
		s += len;
		while (*s == ' ')
			s++;
		if (strncmp(s, "desc", 4) == 0 && (s[4] == '\0' || s[4] ==
		    ',' || s[4] == ' ')) {
			desc = 1;
			s += 4;
		} else if (strncmp(s, "asc", 3) == 0 && (s[3] == '\0' ||
		    s[3] == ',' || s[3] == ' '))
			s += 3;
		while (*s == ' ')
			s++;
		if (q->norder == OD_ORDER_MAX)
			return qfail(err, "$orderby", "more than %d keys",
			    OD_ORDER_MAX);
		q->order[q->norder].prop = (size_t)k;
		q->order[q->norder++].desc = desc;
		if (*s == '\0')
			break;
		if (*s != ',')
			return qfail(err, "$orderby", "'%.20s': asc, desc or"
			    " ',' expected", s);
		s++;
	}
	return 0;
}

static int
parse_count(const char *name, const char *v, int64_t *out,
    struct od_error *err)
{
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)*v) || (*out = strtoll(v, &end, 10),
	    *end != '\0') || errno != 0 || *out > INT32_MAX)
		return qfail(err, name, "'%.20s' is not a number from 0 to"
		    " %d", v, INT32_MAX);
	return 0;
}

static const char *const unsupported[] = { "$expand", "$search", "$apply",
	"$compute", "$levels", "$index", "$schemaversion", NULL };

/* One option name=value (both decoded). */
static int
query_option(const char *name, const char *v, const struct od_prop *props,
    size_t nprops, struct od_query *q, unsigned *seen, struct od_error *err)
{
	static const char *const known[] = { "$filter", "$select", "$orderby",
		"$top", "$skip", "$count", "$skiptoken", "$format", NULL };
	size_t k;

	for (k = 0; known[k] != NULL && strcmp(known[k], name) != 0; k++)
		;
	if (known[k] == NULL) {
		for (size_t u = 0; unsupported[u] != NULL; u++)
			if (strcmp(unsupported[u], name) == 0)
				return qfail(err, unsupported[u], "%s is not supported"
				    " by this service", name);
		return qfail(err, NULL, "unknown system query option '%.40s'"
		    " (names are case-sensitive)", name);
	}
	if (*seen & 1u << k)
		return qfail(err, known[k], "%s is given twice", name);
	*seen |= 1u << k;
	switch (k) {
	case 0:
		if (od_filter_parse(v, props, nprops, &q->filter, err) == -1)
			return -1;
		q->filter_text = xstrdup(v);
		return 0;
	case 1:
		q->select_text = xstrdup(v);
		return parse_select(v, props, nprops, q, err);
	case 2:
		q->orderby_text = xstrdup(v);
		return parse_orderby(v, props, nprops, q, err);
	case 3:
		return parse_count("$top", v, &q->top, err);
	case 4:
		return parse_count("$skip", v, &q->skip, err);
	case 5:
		if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
			q->count = strcmp(v, "true") == 0;
			return 0;
		}
		return qfail(err, "$count", "must be true or false");
	case 6:
		if (strlen(v) == 0 || strlen(v) >= sizeof q->skiptoken ||
		    strspn(v, "0123456789abcdef.") != strlen(v))
			return qfail(err, "$skiptoken", "not a token this"
			    " service made");
		snprintf(q->skiptoken, sizeof q->skiptoken, "%s", v);
		return 0;
	default:
		if (strcmp(v, "json") == 0 || strcmp(v, "application/json") ==
		    0)
			return 0;
		return qfail(err, "$format", "only json is served");
	}
}

int
od_query_parse(const char *query, const struct od_prop *props, size_t nprops,
    struct od_query *q, struct od_error *err)
{
	const char *s = query != NULL ? query : "";
	unsigned seen = 0;

	memset(q, 0, sizeof *q);
	q->top = -1;
	memset(err, 0, sizeof *err);
	while (*s != '\0') {
		size_t len = strcspn(s, "&"), nlen = strcspn(s, "=&");
		char *name, *v;
		int rc;

		if (len == 0) {
			s++;
			continue;
		}
		name = od_decode(s, nlen, 1);
		v = nlen < len ? od_decode(s + nlen + 1, len - nlen - 1, 1) :
		    xstrdup("");
		if (name == NULL || v == NULL)
			rc = qfail(err, NULL, "a malformed percent-encoding"
			    " in the query");
		else if (name[0] != '$')
			rc = 0;			/* a custom option */
		else
			rc = query_option(name, v, props, nprops, q, &seen,
			    err);
		free(name);
		free(v);
		if (rc == -1) {
			od_query_free(q);
			return -1;
		}
		s += len;
		if (*s == '&')
			s++;
	}
	return 0;
}

void
od_query_free(struct od_query *q)
{
	od_filter_free(q->filter);
	free(q->filter_text);
	free(q->select_text);
	free(q->orderby_text);
	memset(q, 0, sizeof *q);
	q->top = -1;
}
