/*
 * admin: the administration service's requests (admin.h): the URL read,
 * the caller authenticated, the class's rows filtered, ordered and paged
 * (odata.h), the JSON written; changes through the backend's calls.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin-int.h"
#include "cmlog.h"
#include "timefmt.h"
#include "utf8.h"
#include "xmalloc.h"

#define JSON_TYPE	"application/json; odata.metadata=minimal"
#define XML_TYPE	"application/xml"

void
admin_answer_clear(struct admin_answer *a)
{
	free(a->body);
	free(a->log);
	free(a->headers);
	memset(a, 0, sizeof *a);
}

/* A JSON string of untrusted text (invalid UTF-8 bytes as U+FFFD). */
static json_t *
admin_str(const char *s)
{
	size_t n = strlen(s), i, len;
	char *clean;
	json_t *j;

	/* ASCII (names, codes, thumbprints: nearly every value) as it is;
	 * else each invalid byte as U+FFFD. */
	for (i = 0; i < n && (unsigned char)s[i] < 0x80; i++)
		;
	if (i == n)
		j = json_stringn_nocheck(s, n);
	else if ((clean = utf8_repair(s, n, &len)) == NULL)
		j = json_stringn(s, n);
	else {
		j = json_stringn(clean, len);
		free(clean);
	}
	if (j == NULL)
		abort();
	return j;
}

static void
set_log(struct admin_ctx *x, int type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
set_log(struct admin_ctx *x, int type, const char *fmt, ...)
{
	va_list ap;

	free(x->a->log);
	va_start(ap, fmt);
	if (vasprintf(&x->a->log, fmt, ap) == -1)
		abort();
	va_end(ap);
	x->a->log_type = type;
}

/*
 * The body of v, compact, ASCII only: every character past U+007E is a
 * \u escape, DEL too, so no byte of a stored name reaches a terminal
 * (curl's output) raw. Frees v.
 */
static void
answer_json(struct admin_ctx *x, int status, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII), *out, *o;
	size_t dels = 0, len;

	json_decref(v);
	if (s == NULL)
		abort();
	for (o = s; *o; o++)
		dels += *o == 0x7f;
	len = (size_t)(o - s);
	if (dels == 0) {		/* the common case: no copy */
		out = xreallocarray(s, len + 2, 1);
		o = out + len;
	} else {
		o = out = xmalloc(len + dels * 5 + 2);
		for (const char *p = s; *p; p++)
			if (*p == 0x7f) {
				memcpy(o, "\\u007f", 6);
				o += 6;
			} else
				*o++ = *p;
		free(s);
	}
	*o++ = '\n';
	*o = '\0';
	free(x->a->body);
	x->a->body = out;
	x->a->len = (size_t)(o - out);
	x->a->status = status;
	x->a->content_type = JSON_TYPE;
}

static const char *
status_code(int status)
{
	switch (status) {
	case 400: return "BadRequest";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "NotFound";
	case 405: return "MethodNotAllowed";
	case 409: return "Conflict";
	case 413: return "PayloadTooLarge";
	case 415: return "UnsupportedMediaType";
	case 503: return "ServiceUnavailable";
	default: return "InternalServerError";
	}
}

void
admin_error(struct admin_ctx *x, int status, const char *target,
    const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	json_t *e;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	e = json_pack("{s:s,s:o}", "code", status_code(status), "message",
	    admin_str(msg));
	if (e == NULL)
		abort();
	if (target != NULL)
		json_object_set_new(e, "target", admin_str(target));
	answer_json(x, status, json_pack("{s:o}", "error", e));
	set_log(x, status >= 500 ? CMLOG_TYPE_ERROR : CMLOG_TYPE_WARNING,
	    "%d %s%s%s%s", status, msg, target != NULL ? " (" : "",
	    target != NULL ? target : "", target != NULL ? ")" : "");
}

const char *
admin_system_fqdn(struct admin_ctx *x, int64_t id)
{
	if (id == 0)
		return "";
	if (!x->systems_read) {
		x->systems_read = 1;
		if (ehttp_system_list(x->e, 0, &x->systems, &x->nsystems) ==
		    -1) {
			x->systems = NULL;
			x->nsystems = 0;
		}
	}
	for (size_t i = 0; i < x->nsystems; i++)
		if (x->systems[i].id == id)
			return x->systems[i].fqdn;
	return "";
}

/* One property's value as JSON. */
static json_t *
val_json(const struct od_val *v)
{
	char t[32];

	switch (v->type) {
	case OD_STRING:
		return admin_str(v->s != NULL ? v->s : "");
	case OD_INT:
		return json_integer((json_int_t)v->i);
	case OD_BOOL:
		return json_boolean(v->i);
	case OD_TIME:		/* whole seconds: the rows' own */
		timefmt(t, sizeof t, (time_t)(v->i / 1000), TIMEFMT_ISO);
		return json_string(t);
	default:
		return json_null();
	}
}

/* Is property i selected ($select; none: all)? */
static int
selected(const struct od_query *q, size_t i)
{
	if (q == NULL || q->nselect == 0)
		return 1;
	for (size_t k = 0; k < q->nselect; k++)
		if (q->select[k] == i)
			return 1;
	return 0;
}

/* A row as a JSON object: the selected properties in the class's
 * order. */
static json_t *
row_json(const struct admin_class *cls, const struct od_val *v,
    const struct od_query *q)
{
	json_t *o = json_object();

	for (size_t i = 0; i < cls->nprops; i++)
		if (selected(q, i))
			json_object_set_new_nocheck(o, cls->props[i].name,
			    val_json(&v[i]));
	return o;
}

/* The context URL: base + "$metadata#" + what. */
static json_t *
context(struct admin_ctx *x, const char *what)
{
	char *s = NULL;
	json_t *j;

	if (asprintf(&s, "%s$metadata%s%s", x->base, what != NULL ? "#" : "",
	    what != NULL ? what : "") == -1)
		abort();
	j = admin_str(s);
	free(s);
	return j;
}

/*
 * The links' base: https://FQDN/AdminService/VERSION/, with the port the
 * request named when its Host: is the served FQDN and a port. Never
 * another host: a client that follows a link sends its token there.
 */
static void
set_base(struct admin_ctx *x, const char *version)
{
	const char *h = x->rq->host, *f = x->rq->fqdn, *port = "";
	size_t fl = strlen(f);

	if (h != NULL && strncasecmp(h, f, fl) == 0 && h[fl] == ':' &&
	    h[fl + 1] != '\0' && strlen(h + fl + 1) <= 5 &&
	    strspn(h + fl + 1, "0123456789") == strlen(h + fl + 1))
		port = h + fl;
	snprintf(x->base, sizeof x->base, "https://%s%s/AdminService/%s/", f,
	    port, version);
}

/* 1 the caller is known (x->tok), 0 answered 401, -1 error. */
static int
authenticate(struct admin_ctx *x)
{
	const char *h = x->rq->authorization, *t;
	int rc;

	x->a->www_authenticate = "Bearer realm=\"AdminService\"";
	if (h == NULL) {
		admin_error(x, 401, NULL, "Authentication required: send"
		    " \"Authorization: Bearer <token>\" (ehttpctl admin token"
		    " new)");
		return 0;
	}
	if (strncasecmp(h, "Bearer ", 7) != 0) {
		admin_error(x, 401, NULL, "Only bearer tokens are accepted"
		    " (no NTLM, Negotiate or Basic)");
		return 0;
	}
	for (t = h + 7; *t == ' '; t++)
		;
	if ((rc = ehttp_admin_token_check(x->e, t, x->rq->now, &x->tok)) !=
	    1) {
		if (rc == 0)
			admin_error(x, 401, NULL, "%s", ehttp_error(x->e));
		return rc;
	}
	x->a->www_authenticate = NULL;
	snprintf(x->a->user, sizeof x->a->user, "%s", x->tok.name);
	return 1;
}

/* The class named exactly name (len bytes), or NULL. */
static const struct admin_class *
class_find(const char *name, size_t len)
{
	for (size_t i = 0; i < admin_nclasses; i++)
		if (strlen(admin_classes[i]->name) == len &&
		    strncmp(admin_classes[i]->name, name, len) == 0)
			return admin_classes[i];
	return NULL;
}

/* The service document: the entity sets. */
static void
service_document(struct admin_ctx *x)
{
	json_t *v = json_array();

	for (size_t i = 0; i < admin_nclasses; i++)
		json_array_append_new(v, json_pack("{s:s,s:s,s:s}", "name",
		    admin_classes[i]->name, "kind", "EntitySet", "url",
		    admin_classes[i]->name));
	answer_json(x, 200, json_pack("{s:o,s:o}", "@odata.context",
	    context(x, NULL), "value", v));
	set_log(x, CMLOG_TYPE_INFO, "200 service document");
}

/* Two rows of a small class (their values, one after the other) in the
 * order $orderby asks; equal ones as they came (qsort_r's arg: the
 * query). */
static int
sort_cmp(const void *pa, const void *pb, void *arg)
{
	const struct od_query *q = arg;
	const struct od_val *a = *(const struct od_val *const *)pa;
	const struct od_val *b = *(const struct od_val *const *)pb;

	for (size_t k = 0; k < q->norder; k++) {
		size_t p = q->order[k].prop;
		int c = od_cmp(&a[p], &b[p]);

		if (c != 0)
			return q->order[k].desc ? -c : c;
	}
	return a < b ? -1 : a > b;		/* stable: rows in order */
}

/* The page size: ADMIN_PAGE_MAX, or less as "Prefer:
 * odata.maxpagesize=N" asks (a preference of its own in the list, RFC
 * 7240); then the answer says Preference-Applied. */
static size_t
page_size(struct admin_ctx *x)
{
	const char *p = x->rq->prefer;
	unsigned long v;
	char *end;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t,");
		if (strncasecmp(p, "odata.maxpagesize=", 18) == 0) {
			v = strtoul(p + 18, &end, 10);
			if (end != p + 18 && (*end == '\0' || *end == ',' ||
			    *end == ';' || *end == ' ') && v >= 1 &&
			    v < ADMIN_PAGE_MAX) {
				free(x->a->headers);
				if (asprintf(&x->a->headers, "Preference-Applied:"
				    " odata.maxpagesize=%lu\r\n", v) == -1)
					abort();
				return v;
			}
		}
		p = strchr(p, ',');
	}
	return ADMIN_PAGE_MAX;
}

/* The next page's link: the same options, the rows left of $top, the
 * token. */
static json_t *
next_link(struct admin_ctx *x, const struct admin_class *cls,
    const struct od_query *q, int64_t top_left, int64_t skip_left,
    const char *token)
{
	char *s = NULL, *f = NULL, *sel = NULL, *ord = NULL;
	char top[80] = "";
	json_t *j;

	if (q->filter_text != NULL)
		f = od_encode(q->filter_text);
	if (q->select_text != NULL)
		sel = od_encode(q->select_text);
	if (q->orderby_text != NULL)
		ord = od_encode(q->orderby_text);
	if (top_left >= 0)
		snprintf(top, sizeof top, "&$top=%" PRId64, top_left);
	if (skip_left > 0)
		snprintf(top + strlen(top), sizeof top - strlen(top),
		    "&$skip=%" PRId64, skip_left);
	if (asprintf(&s, "%s%s?$skiptoken=%s%s%s%s%s%s%s%s%s", x->base,
	    cls->name, token, top, f ? "&$filter=" : "", f ? f : "",
	    sel ? "&$select=" : "", sel ? sel : "", ord ? "&$orderby=" : "",
	    ord ? ord : "", q->count ? "&$count=true" : "") == -1)
		abort();
	j = json_string(s);
	free(s);
	free(f);
	free(sel);
	free(ord);
	return j;
}

/* The rows of a small class: read whole, their values made once,
 * filtered, ordered, paged. */
static int
collection_small(struct admin_ctx *x, const struct admin_class *cls,
    const struct od_query *q)
{
	struct od_val *vals, **match;
	void *recs = NULL;
	size_t n, nm = 0, start, want, end, i;
	json_t *arr, *out;

	if (cls->load(x, &recs, &n) == -1)
		return -1;
	vals = xcalloc(n ? n : 1, cls->nprops * sizeof *vals);
	match = xcalloc(n ? n : 1, sizeof *match);
	for (i = 0; i < n; i++) {
		struct od_val *v = vals + i * cls->nprops;

		cls->fill(x, (char *)recs + i * cls->recsize, v);
		if (q->filter == NULL || od_filter_eval(q->filter, v))
			match[nm++] = v;
	}
	if (q->norder > 0)
		qsort_r(match, nm, sizeof *match, sort_cmp, (void *)q);
	start = q->skiptoken[0] != '\0' ? strtoull(q->skiptoken, NULL, 10) :
	    (size_t)q->skip;
	if (start > nm)
		start = nm;
	want = page_size(x);
	if (q->top >= 0 && (uint64_t)q->top < want)
		want = (size_t)q->top;
	end = nm - start < want ? nm : start + want;
	arr = json_array();
	for (i = start; i < end; i++)
		json_array_append_new(arr, row_json(cls, match[i], q));
	out = json_pack("{s:o}", "@odata.context", context(x, cls->name));
	if (q->count)
		json_object_set_new(out, "@odata.count", json_integer(
		    (json_int_t)nm));
	json_object_set_new(out, "value", arr);
	if (end < nm && (q->top < 0 || (uint64_t)q->top > end - start)) {
		char tok[24];

		snprintf(tok, sizeof tok, "%zu", end);
		json_object_set_new(out, "@odata.nextLink", next_link(x, cls,
		    q, q->top >= 0 ? q->top - (int64_t)(end - start) : -1, 0,
		    tok));
	}
	answer_json(x, 200, out);
	set_log(x, CMLOG_TYPE_INFO, "200 %s: %zu of %zu rows", cls->name,
	    end - start, nm);
	free(match);
	free(vals);
	free(recs);
	return 0;
}

/*
 * A walk over a large class's rows in the order asked, a store page at a
 * time, from after `last` when have is set: each row's values to the
 * step. A page asks for `ask` rows at first, then twice as many each time,
 * to ADMIN_PAGE_MAX (unfiltered, the rows wanted and one more is all
 * there is to read; a filter's pass rate is not known). `last` is the
 * last row handed to the step, where a next page starts; read counts
 * them. No page is asked for once `most` rows were read.
 */
struct walk {
	const struct admin_class	*cls;
	const struct od_query		*q;
	char				*last;		/* recsize bytes */
	int				 have;
	size_t				 ask;
	size_t				 most;
	size_t				 read;
	/* 0 go on, 1 this row was the last one wanted. */
	int				(*step)(struct walk *,
					    struct od_val *);
	/* What the steps keep. */
	struct admin_ctx		*x;
	json_t				*arr;
	size_t				 want, got, count;
	int64_t				 skip;
};

/* -1 error (the database); 0 the rows ended; 1 a step stopped with rows
 * left; 2 `most` rows were read with rows left. */
static int
walk_large(struct walk *w)
{
	const struct admin_class *cls = w->cls;
	struct od_val v[ADMIN_PROPS_MAX];
	void *recs = NULL;
	size_t n, i;
	int stop = 0;

	for (;;) {
		if (w->read >= w->most)
			return 2;
		if (cls->page(w->x, w->q->order, w->q->norder, w->have ?
		    w->last : NULL, w->ask, &recs, &n) == -1)
			return -1;
		for (i = 0; i < n && !stop; i++) {
			memset(v, 0, sizeof v);
			cls->fill(w->x, (char *)recs + i * cls->recsize, v);
			w->read++;
			stop = w->step(w, v);
		}
		if (i > 0) {
			memcpy(w->last, (char *)recs + (i - 1) *
			    cls->recsize, cls->recsize);
			w->have = 1;
		}
		free(recs);
		if (n < w->ask && i == n)
			return 0;		/* the store has no more */
		if (stop)
			return 1;
		w->ask = w->ask * 2 > ADMIN_PAGE_MAX ? ADMIN_PAGE_MAX :
		    w->ask * 2;
	}
}

static int
step_count(struct walk *w, struct od_val *v)
{
	w->count += od_filter_eval(w->q->filter, v);
	return 0;
}

/* A row for the page: filtered, skipped, or added. */
static int
step_page(struct walk *w, struct od_val *v)
{
	if (w->q->filter != NULL && !od_filter_eval(w->q->filter, v))
		return 0;
	if (w->skip > 0) {
		w->skip--;
		return 0;
	}
	json_array_append_new(w->arr, row_json(w->cls, v, w->q));
	return ++w->got == w->want;
}

/* The matching rows of a large class, counted: 0, -1, or 1 answered 400
 * (more rows than ADMIN_WORK_MAX allows this filter). */
static int
count_large(struct admin_ctx *x, const struct admin_class *cls,
    const struct od_query *q, size_t *count)
{
	struct walk w = { .cls = cls, .q = q, .ask = ADMIN_PAGE_MAX,
	    .step = step_count, .x = x };
	int rc;

	*count = 0;
	if (q->filter == NULL)
		return cls->count(x, count);
	w.most = ADMIN_WORK_MAX / od_filter_terms(q->filter);
	w.last = xmalloc(cls->recsize);
	rc = walk_large(&w);
	free(w.last);
	if (rc == 2) {
		admin_error(x, 400, "$count", "counting the rows of %s that pass"
		    " this $filter would evaluate it on more than %zu rows:"
		    " page through them with @odata.nextLink instead",
		    cls->name, w.most);
		return 1;
	}
	*count = w.count;
	return rc == -1 ? -1 : 0;
}

/*
 * The rows of a large class: the page wanted, from after the skip token's
 * row, until it is full, the rows end or the filter was evaluated on as
 * many rows as ADMIN_WORK_MAX allows (at most ADMIN_SCAN_MAX: then the
 * link goes on from the last row read).
 */
static int
collection_large(struct admin_ctx *x, const struct admin_class *cls,
    const struct od_query *q)
{
	struct walk w = { .cls = cls, .q = q, .step = step_page, .x = x,
	    .skip = q->skip };
	size_t count = 0;
	int more, walked = 0, rc = 0;
	json_t *out;

	if (!cls->sortable(q->order, q->norder)) {
		admin_error(x, 400, "$orderby", "%s is ordered by %s",
		    cls->name, cls->orders);
		return 0;
	}
	w.last = xmalloc(cls->recsize);
	if (q->skiptoken[0] != '\0') {
		if (!cls->after(q->skiptoken, q->order, q->norder, w.last)) {
			admin_error(x, 400, "$skiptoken", "not a token this"
			    " service made for this order");
			goto out;
		}
		w.have = 1;
	}
	w.want = page_size(x);
	if (q->top >= 0 && (uint64_t)q->top < w.want)
		w.want = (size_t)q->top;
	w.most = q->filter != NULL ? ADMIN_WORK_MAX /
	    od_filter_terms(q->filter) : ADMIN_SCAN_MAX;
	if (w.most > ADMIN_SCAN_MAX)
		w.most = ADMIN_SCAN_MAX;
	w.ask = w.want + (size_t)(w.skip < ADMIN_PAGE_MAX ? w.skip :
	    ADMIN_PAGE_MAX) + 1;
	if (w.ask > ADMIN_PAGE_MAX)
		w.ask = ADMIN_PAGE_MAX;
	w.arr = json_array();
	if (w.want > 0 && (walked = walk_large(&w)) == -1) {
		rc = -1;
		goto out;
	}
	if (q->count && (rc = count_large(x, cls, q, &count)) != 0) {
		rc = rc == 1 ? 0 : -1;
		goto out;
	}
	out = json_pack("{s:o}", "@odata.context", context(x, cls->name));
	if (q->count)
		json_object_set_new(out, "@odata.count", json_integer(
		    (json_int_t)count));
	json_object_set_new(out, "value", w.arr);
	w.arr = NULL;
	/* Rows are left when the walk stopped before the store's end. */
	more = walked > 0 && w.have && (q->top < 0 || (uint64_t)q->top >
	    w.got);
	if (more) {
		char tok[sizeof q->skiptoken];

		cls->token(w.last, q->order, q->norder, tok, sizeof tok);
		json_object_set_new(out, "@odata.nextLink", next_link(x, cls,
		    q, q->top >= 0 ? q->top - (int64_t)w.got : -1, w.skip,
		    tok));
	}
	answer_json(x, 200, out);
	set_log(x, CMLOG_TYPE_INFO, "200 %s: %zu rows (%zu read)%s",
	    cls->name, w.got, w.read, more ? ", more follow" : "");
	rc = 0;
out:
	json_decref(w.arr);
	free(w.last);
	return rc;
}

/*
 * The key in "(...)": 'text' ('' a quote) or a number, as the key
 * property's type; or Name='text' / Name=number. 0 and the value (string
 * in buf), or -1 answered 400.
 */
static int
parse_key(struct admin_ctx *x, const struct admin_class *cls, const char *s,
    size_t len, struct od_val *key, char *buf, size_t buflen)
{
	const struct od_prop *kp = &cls->props[cls->key];
	size_t kl = strlen(kp->name), o = 0;
	char *end;

	if (len > kl + 1 && strncmp(s, kp->name, kl) == 0 && s[kl] == '=') {
		s += kl + 1;
		len -= kl + 1;
	}
	if (kp->type == OD_STRING) {
		if (len < 2 || s[0] != '\'' || s[len - 1] != '\'')
			goto bad;
		for (size_t i = 1; i + 1 < len; i++) {
			if (s[i] == '\'' && (i + 2 >= len || s[++i] != '\''))
				goto bad;
			if (o + 1 >= buflen)
				goto bad;
			buf[o++] = s[i];
		}
		buf[o] = '\0';
		key->type = OD_STRING;
		key->s = buf;
		return 0;
	}
	if (len == 0 || len >= 20 || strspn(s, "0123456789") != len)
		goto bad;
	key->type = OD_INT;
	errno = 0;
	key->i = strtoll(s, &end, 10);
	if (errno != 0)
		goto bad;
	return 0;
bad:
	admin_error(x, 400, NULL, "%s(...): the key is %s %s, e.g. %s",
	    cls->name, kp->name, kp->type == OD_STRING ? "a string" :
	    "a number", kp->type == OD_STRING ? "'P01'" : "(42)");
	return -1;
}

/* The entity of key into rec (recsize bytes): 1, 0 (answered 404), -1. */
static int
entity_find(struct admin_ctx *x, const struct admin_class *cls,
    const struct od_val *key, void *rec)
{
	struct od_val v[ADMIN_PROPS_MAX];
	void *recs = NULL;
	size_t n;
	int rc = 0;

	if (cls->load == NULL) {
		if ((rc = cls->get(x, key->i, rec)) == -1)
			return -1;
	} else {
		if (cls->load(x, &recs, &n) == -1)
			return -1;
		for (size_t i = 0; i < n && !rc; i++) {
			char *r = (char *)recs + i * cls->recsize;

			memset(v, 0, sizeof v);
			cls->fill(x, r, v);
			if (od_cmp(&v[cls->key], key) == 0) {
				memcpy(rec, r, cls->recsize);
				rc = 1;
			}
		}
		free(recs);
	}
	if (rc == 0)
		admin_error(x, 404, NULL, "%s: no entity with this key",
		    cls->name);
	return rc;
}

/* One entity's answer (notes: the last change's, when with_notes). */
static void
entity_answer(struct admin_ctx *x, const struct admin_class *cls,
    const void *rec, const struct od_query *q, int with_notes)
{
	struct od_val v[ADMIN_PROPS_MAX] = { 0 };
	char what[128];
	json_t *o, *c;

	cls->fill(x, rec, v);
	o = row_json(cls, v, q);
	snprintf(what, sizeof what, "%s/$entity", cls->name);
	c = json_pack("{s:o}", "@odata.context", context(x, what));
	json_object_update(c, o);
	json_decref(o);
	if (with_notes) {
		const struct ehttp_note *nv;
		size_t nn;
		json_t *arr = json_array();

		nv = ehttp_notes(x->e, &nn);
		for (size_t i = 0; i < nn; i++)
			json_array_append_new(arr, json_pack("{s:s,s:o}",
			    "Kind", nv[i].kind == EHTTP_NOTE_WARNING ?
			    "warning" : "info", "Text", admin_str(nv[i].text)));
		json_object_set_new(c, "@ehttp.Notes", arr);
	}
	answer_json(x, 200, c);
}

#define REFUSERS	64
struct admin_state {
	struct refuser {
		char	 name[65];
		time_t	 audited;	/* 0: free */
		size_t	 since;		/* refusals not audited since */
	} r[REFUSERS];
};

struct admin_state *
admin_state_new(void)
{
	return xcalloc(1, sizeof(struct admin_state));
}

void
admin_state_free(struct admin_state *st)
{
	free(st);
}

/* Whether this refusal by name is audited now; *more: those since the
 * last record. */
static int
refusal_audited(struct admin_state *st, const char *name, time_t now,
    size_t *more)
{
	struct refuser *f = NULL, *oldest = &st->r[0];

	*more = 0;
	for (size_t i = 0; i < REFUSERS && f == NULL; i++) {
		if (strcmp(st->r[i].name, name) == 0 && st->r[i].audited)
			f = &st->r[i];
		else if (st->r[i].audited < oldest->audited)
			oldest = &st->r[i];
	}
	if (f != NULL && now >= f->audited && now - f->audited <
	    ADMIN_REFUSAL_AUDIT_S) {
		f->since++;
		return 0;
	}
	if (f == NULL) {
		f = oldest;
		memset(f, 0, sizeof *f);
		snprintf(f->name, sizeof f->name, "%s", name);
	}
	*more = f->since;
	f->since = 0;
	f->audited = now > 0 ? now : 1;
	return 1;
}

/* A change by a read-only token: 403, audited (at most once a minute per
 * token with a state). */
static int
refuse_read_only(struct admin_ctx *x, const char *what)
{
	char user[96], since[96] = "";
	size_t more = 0;

	snprintf(user, sizeof user, "%s (AdminService)", x->tok.name);
	admin_error(x, 403, NULL, "Token %s has read-only access: %s is"
	    " refused", x->tok.name, what);
	if (x->rq->state != NULL && !refusal_audited(x->rq->state,
	    x->tok.name, x->rq->now, &more))
		return 0;
	if (more > 0)
		snprintf(since, sizeof since, "; %zu more of its changes"
		    " refused since the last record", more);
	if (ehttp_audit_refusal(x->e, user, "AdminService refused", what,
	    "%s refused: token %s has read-only access (from %s)%s.", what,
	    x->tok.name, x->rq->peer != NULL ? x->rq->peer : "?", since) == -1)
		return -1;
	return 0;
}

/* The JSON object of a change's body, or NULL answered 400/415. */
static json_t *
change_body(struct admin_ctx *x)
{
	const char *ct = x->rq->content_type;
	json_error_t je;
	json_t *b;

	if (x->rq->len == 0)
		return json_object();
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] != '\0' && ct[16] != ';' && ct[16] != ' ')) {
		admin_error(x, 415, NULL, "the body must be application/json");
		return NULL;
	}
	if (x->rq->len > ADMIN_BODY_MAX) {
		admin_error(x, 413, NULL, "the body is larger than %d bytes",
		    ADMIN_BODY_MAX);
		return NULL;
	}
	if ((b = json_loadb((const char *)x->rq->body, x->rq->len,
	    JSON_REJECT_DUPLICATES, &je)) == NULL) {
		admin_error(x, 400, NULL, "the body is not JSON: line %d,"
		    " column %d: %s", je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(b)) {
		json_decref(b);
		admin_error(x, 400, NULL, "the body must be a JSON object");
		return NULL;
	}
	return b;
}

/* A change (PATCH, or POST of action act) of the entity rec by a full
 * token (admin_serve refused the others), then its answer. */
static int
change(struct admin_ctx *x, const struct admin_class *cls, void *rec,
    const struct od_val *key, const struct admin_action *act,
    const char *what)
{
	char user[96];
	json_t *body = NULL;
	int rc;

	if ((body = change_body(x)) == NULL)
		return 0;
	if (act != NULL && json_object_size(body) > 0) {
		json_decref(body);
		admin_error(x, 400, NULL, "%s takes no parameters", act->name);
		return 0;
	}
	/* As ehttpctl's "nothing to set": a PATCH names what it changes. */
	if (act == NULL && json_object_size(body) == 0) {
		json_decref(body);
		admin_error(x, 400, NULL, "the body names no property to"
		    " change");
		return 0;
	}
	snprintf(user, sizeof user, "%s (AdminService)", x->tok.name);
	ehttp_set_user(x->e, user);
	rc = act != NULL ? act->run(x, rec) : cls->patch(x, rec, body);
	json_decref(body);
	if (rc == 1)
		return 0;			/* answered */
	if (rc == -1) {
		/* A rule refused it (ehttpctl would say the same): 409 with
		 * the backend's sentence; the database's own failure is
		 * the same sentence, as ehttpctl prints it. */
		admin_error(x, 409, NULL, "%s", ehttp_error(x->e));
		return 0;
	}
	/* The entity as it is now. */
	if ((rc = entity_find(x, cls, key, rec)) != 1)
		return rc;
	entity_answer(x, cls, rec, NULL, 1);
	set_log(x, CMLOG_TYPE_INFO, "200 %s done", what);
	return 0;
}

/* The ')' that closes the key at s ("(...)"): quotes are skipped ('' in
 * a string is a quote); NULL if none. */
static const char *
key_end(const char *s)
{
	int quoted = 0;

	for (s++; *s != '\0'; s++) {
		if (*s == '\'')
			quoted = !quoted;	/* '' toggles twice */
		else if (*s == ')' && !quoted)
			return s;
	}
	return NULL;
}

/* "Class(key)[/AdminService.Action]" after the version segment. */
static int
entity(struct admin_ctx *x, const struct admin_class *cls, const char *rest,
    const char *query, const char *method)
{
	const char *close = key_end(rest), *tail;
	struct od_val key = { 0 };
	struct od_query q;
	struct od_error err;
	const struct admin_action *act = NULL;
	char kbuf[700], what[900];
	void *rec;
	int rc;

	if (close == NULL) {
		admin_error(x, 400, NULL, "%s(: ')' missing", cls->name);
		return 0;
	}
	if (parse_key(x, cls, rest + 1, (size_t)(close - rest - 1), &key,
	    kbuf, sizeof kbuf) == -1)
		return 0;
	tail = close + 1;
	if (*tail == '/' && strncmp(tail + 1, "AdminService.", 13) == 0 &&
	    cls->actions != NULL) {
		for (act = cls->actions; act->name != NULL; act++)
			if (strcmp(act->name, tail + 14) == 0)
				break;
		if (act->name == NULL) {
			admin_error(x, 404, NULL, "%s has no action %.64s",
			    cls->name, tail + 1);
			return 0;
		}
	} else if (*tail != '\0') {
		admin_error(x, 404, NULL, "nothing is served at %s%.64s",
		    cls->name, rest);
		return 0;
	}
	snprintf(what, sizeof what, "%s %s(%.*s)%s%s", method, cls->name,
	    (int)(close - rest - 1), rest + 1, act ? "/AdminService." : "",
	    act ? act->name : "");
	od_printable(what);	/* a decoded path may hold control bytes */
	if (act != NULL && strcmp(method, "POST") != 0) {
		x->a->allow = "POST";
		admin_error(x, 405, NULL, "an action is called with POST");
		return 0;
	}
	if (act == NULL && strcmp(method, "POST") == 0) {
		x->a->allow = cls->patch != NULL ? "GET, HEAD, PATCH" :
		    "GET, HEAD";
		admin_error(x, 405, NULL, "POST to an entity calls an action:"
		    " %s(...)/AdminService.<action>", cls->name);
		return 0;
	}
	if (strcmp(method, "PATCH") == 0 && cls->patch == NULL) {
		x->a->allow = "GET, HEAD";
		admin_error(x, 405, NULL, "%s cannot be changed with PATCH%s",
		    cls->name, cls->actions != NULL ? ": call one of its"
		    " actions" : "");
		return 0;
	}
	/* $select applies to a read; the other options are refused. */
	if (od_query_parse(query, cls->props, cls->nprops, &q, &err) == -1) {
		admin_error(x, 400, err.option, "%s", err.text);
		return 0;
	}
	if (q.filter != NULL || q.norder > 0 || q.top >= 0 || q.skip > 0 ||
	    q.count || q.skiptoken[0] != '\0') {
		od_query_free(&q);
		admin_error(x, 400, NULL, "an entity takes $select only");
		return 0;
	}
	rec = xcalloc(1, cls->recsize);
	if ((rc = entity_find(x, cls, &key, rec)) == 1) {
		if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
			entity_answer(x, cls, rec, &q, 0);
			set_log(x, CMLOG_TYPE_INFO, "200 %s", what);
		} else		/* an action, or a PATCH of a class that has it */
			rc = change(x, cls, rec, &key, act, what);
	}
	od_query_free(&q);
	free(rec);
	return rc == -1 ? -1 : 0;
}

static int
collection(struct admin_ctx *x, const struct admin_class *cls,
    const char *query, const char *method)
{
	struct od_query q;
	struct od_error err;
	int rc;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		x->a->allow = "GET, HEAD";
		admin_error(x, 405, NULL, "%s is read with GET; an entity is"
		    " changed at %s(key)", cls->name, cls->name);
		return 0;
	}
	if (od_query_parse(query, cls->props, cls->nprops, &q, &err) == -1) {
		admin_error(x, 400, err.option, "%s", err.text);
		return 0;
	}
	rc = cls->load != NULL ? collection_small(x, cls, &q) :
	    collection_large(x, cls, &q);
	od_query_free(&q);
	return rc;
}

void
admin_serve(struct ehttp *e, const struct admin_request *rq,
    struct admin_answer *a)
{
	struct admin_ctx x = { .e = e, .rq = rq, .a = a };
	const char *path, *qm, *version, *rest;
	char *p = NULL;
	size_t plen, vlen, nlen;
	const struct admin_class *cls;
	int rc = 0, change_asked;

	memset(a, 0, sizeof *a);
	/* The path: /AdminService/<version>/<rest>, the query apart. */
	qm = strchr(rq->target, '?');
	plen = qm != NULL ? (size_t)(qm - rq->target) : strlen(rq->target);
	if (memmem(rq->target, plen, "%2F", 3) != NULL || memmem(rq->target,
	    plen, "%2f", 3) != NULL || (p = od_decode(rq->target, plen, 0)) ==
	    NULL) {
		set_base(&x, "wmi");
		admin_error(&x, 400, NULL, "a malformed percent-encoding in the"
		    " path (or an encoded '/')");
		return;
	}
	path = p + strlen("/AdminService/");
	vlen = strcspn(path, "/");
	version = strncmp(path, "v1.0", vlen) == 0 && vlen == 4 ? "v1.0" :
	    "wmi";
	set_base(&x, version);
	if (strncasecmp(p, "/AdminService/", 14) != 0 || !((vlen == 3 &&
	    strncmp(path, "wmi", 3) == 0) || (vlen == 4 && strncmp(path,
	    "v1.0", 4) == 0))) {
		admin_error(&x, 404, NULL, "the administration service is at"
		    " /AdminService/wmi/ and /AdminService/v1.0/");
		goto out;
	}
	if ((rc = authenticate(&x)) != 1)
		goto out;
	rc = 0;
	rest = path + vlen;
	if (*rest == '/')
		rest++;
	change_asked = strcmp(rq->method, "PATCH") == 0 ||
	    strcmp(rq->method, "POST") == 0;
	if (!change_asked && strcmp(rq->method, "GET") != 0 &&
	    strcmp(rq->method, "HEAD") != 0) {
		a->allow = "GET, HEAD, PATCH, POST";
		admin_error(&x, 405, NULL, "the administration service takes"
		    " GET, HEAD, PATCH and POST");
		goto out;
	}
	/* A read-only token asking for a change is refused (and audited)
	 * whatever it names: no existence of a key is told to it either. */
	if (change_asked && strcmp(x.tok.role, "full") != 0) {
		char what[300];

		snprintf(what, sizeof what, "%s %.240s", rq->method, rest);
		od_printable(what);	/* a decoded path may hold control bytes */
		rc = refuse_read_only(&x, what);
		goto out;
	}
	if (*rest == '\0' || strcmp(rest, "$metadata") == 0) {
		if (change_asked) {
			a->allow = "GET, HEAD";
			admin_error(&x, 405, NULL, "%s is read with GET",
			    *rest == '\0' ? "the service document" : rest);
		} else if (*rest == '\0')
			service_document(&x);
		else {
			a->body = admin_metadata();
			a->len = strlen(a->body);
			a->status = 200;
			a->content_type = XML_TYPE;
			set_log(&x, CMLOG_TYPE_INFO, "200 $metadata");
		}
		goto out;
	}
	nlen = strcspn(rest, "(/");
	if ((cls = class_find(rest, nlen)) == NULL) {
		admin_error(&x, 404, NULL, "no class '%.*s' (class names are"
		    " case-sensitive)", (int)(nlen > 64 ? 64 : nlen), rest);
		goto out;
	}
	if (rest[nlen] == '(')
		rc = entity(&x, cls, rest + nlen, qm != NULL ? qm + 1 : "",
		    rq->method);
	else if (rest[nlen] == '\0')
		rc = collection(&x, cls, qm != NULL ? qm + 1 : "", rq->method);
	else
		admin_error(&x, 404, NULL, "nothing is served at %.80s", rest);
out:
	if (rc == -1) {
		/* The database failed (or refused a login's reads): said to
		 * the caller, who is an administrator, and logged. */
		admin_error(&x, 500, NULL, "The site database could not answer:"
		    " %s", ehttp_error(e));
	}
	free(x.systems);
	free(p);
}
