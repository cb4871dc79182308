/*
 * mp.c: the management point's answers and its token verifier. The
 * verifier holds what checking a token needs (the site's current SMS
 * Token Signing key, the hierarchy's issuer, the blocked clients) in
 * memory, so that a token-authenticated request costs one RSA verify and
 * no database round trip; the agent reloads it on every poll, which is
 * how a renewed signer or a newly blocked client takes effect. At each
 * reload it also decides whether the signer chains to the site's SMS
 * Issuing, which the content access token's check requires.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ca.h"
#include "cmlog.h"
#include "ehttp.h"
#include "mp-int.h"
#include "xmalloc.h"

char *
mp_strf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	return s;
}

void
mp_answer_clear(struct mp_answer *a)
{
	free(a->body);
	free(a->www_authenticate);
	free(a->log);
	memset(a, 0, sizeof *a);
}

void
mp_answer_set(struct mp_answer *a, int status, const char *type,
    const void *body, size_t len)
{
	free(a->body);
	a->status = status;
	a->content_type = type;
	a->body = xmalloc(len + 1);
	memcpy(a->body, body, len);
	a->body[len] = '\0';
	a->len = len;
}

/* A text/plain answer whose body is also the log line. */
int
mp_answer_text(struct mp_answer *a, int status, int log_type,
    const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	mp_answer_set(a, status, "text/plain; charset=utf-8", s, strlen(s));
	free(a->log);
	a->log = s;
	a->log_type = log_type;
	return 0;
}

/*
 * 401 for a token refused: the reason in the log and the body; the
 * challenge names it too (RFC 6750), reduced to printable ASCII without
 * quotes or backslashes, since it may quote what the client sent.
 */
void
mp_answer_refuse(struct mp_answer *a, const char *reason)
{
	char *d = xstrdup(reason);

	for (char *p = d; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\')
			*p = '?';
	mp_answer_text(a, 401, CMLOG_TYPE_WARNING, "Token refused: %s",
	    reason);
	free(a->www_authenticate);
	xasprintf(&a->www_authenticate, "Bearer realm=\"SMS\", "
	    "error=\"invalid_token\", error_description=\"%.200s\"", d);
	free(d);
}

/* ------------------------------------------------------------ verifier */

static int
smsid_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
mp_verifier_blocked(const struct mp_verifier *v, const char *smsid)
{
	return v->nblocked > 0 && bsearch(&smsid, v->blocked, v->nblocked,
	    sizeof *v->blocked, smsid_cmp) != NULL;
}

const char *
mp_bearer(const struct mp_verifier *v, const char *authorization,
    char **reason)
{
	const char *tok;

	if (authorization == NULL)
		*reason = mp_strf("no Authorization header (a Bearer token "
		    "is needed)");
	else if (strncasecmp(authorization, "Bearer ", 7) != 0)
		*reason = mp_strf("the Authorization header is not a Bearer "
		    "token");
	else if (v->key == NULL)
		*reason = mp_strf("site %s has no SMS Token Signing "
		    "certificate (enhanced HTTP is off)", v->site_code);
	else {
		for (tok = authorization + 7; *tok == ' '; tok++)
			;
		return tok;
	}
	return NULL;
}

void
mp_verifier_seen(struct mp_verifier *v, const char *smsid)
{
	if (v->nseen == MP_SEEN_MAX)
		return;
	if (v->nseen == v->seen_cap) {
		v->seen_cap = v->seen_cap ? v->seen_cap * 2 : 64;
		v->seen = xreallocarray(v->seen, v->seen_cap,
		    sizeof *v->seen);
	}
	v->seen[v->nseen++] = xstrdup(smsid);
}

void
mp_verifier_take_seen(struct mp_verifier *v, char ***smsids, size_t *n)
{
	*smsids = v->seen;
	*n = v->nseen;
	v->seen = NULL;
	v->nseen = v->seen_cap = 0;
}

static void
seen_free(struct mp_verifier *v)
{
	for (size_t i = 0; i < v->nseen; i++)
		free(v->seen[i]);
	v->nseen = 0;
}

static void
blocked_free(struct mp_verifier *v)
{
	for (size_t i = 0; i < v->nblocked; i++)
		free(v->blocked[i]);
	free(v->blocked);
	v->blocked = NULL;
	v->nblocked = 0;
}

/*
 * Does the signer chain to the site's SMS Issuing (the content access
 * token's rule)? Decided at each reload, not per token: its chain verifies
 * against the site's trust anchors (ehttp_cert_verify: not blocked, its
 * issuer not blocked, valid now) and the root of its path is an SMS
 * Issuing of the site. 0 (v->signer_trusted and signer_why set), or -1.
 */
static int
verifier_trust(struct ehttp *e, struct mp_verifier *v, const struct db_cert *c)
{
	struct db_cert *path = NULL;
	size_t np = 0;
	int rc;

	if ((rc = ehttp_cert_verify(e, c, v->signer_why,
	    sizeof v->signer_why)) == -1)
		return -1;
	if (rc == 1) {
		if (ehttp_cert_path(e, c, &path, &np) == -1)
			return -1;
		if (np < 2 || strcmp(path[np - 1].type, "root") != 0 ||
		    path[np - 1].site_id != v->site_id) {
			snprintf(v->signer_why, sizeof v->signer_why, "it is "
			    "not issued by an SMS Issuing of site %s",
			    v->site_code);
			rc = 0;
		}
		free(path);
	}
	v->signer_trusted = rc;
	return 0;
}

/* The signer's key, parsed again only when the certificate changed; its
 * trust decided again each time. */
static int
verifier_signer(struct ehttp *e, struct mp_verifier *v)
{
	struct db_cert c;
	struct ca_jwt_key *key;
	struct ehttp_token_key *sk;
	unsigned char *der;
	struct ca *ca;
	size_t len;
	int rc;

	if ((rc = ehttp_token_signer(e, v->site_id, &c, &der, &len)) == -1)
		return -1;
	if (rc == 0) {			/* enhanced HTTP off: no tokens */
		ca_jwt_key_free(v->key);
		ehttp_token_key_close(v->signkey);
		v->key = NULL;
		v->signkey = NULL;
		v->signer_id = 0;
		v->signer_trusted = 0;
		v->signer_why[0] = '\0';
		return 0;
	}
	if (verifier_trust(e, v, &c) == -1) {
		free(der);
		return -1;
	}
	if (c.id == v->signer_id && v->key != NULL) {
		free(der);
		return 0;
	}
	ca = ca_new();
	rc = ca_jwt_key_new(ca, der, len, &key);
	free(der);
	if (rc == -1) {
		ehttp_fail(e, "SMS Token Signing certificate %lld: %s",
		    (long long)c.id, ca_error(ca));
		ca_free(ca);
		return -1;
	}
	ca_free(ca);
	ca_jwt_key_free(v->key);
	v->key = key;
	v->signer_id = c.id;
	/* The private key too: signing a token then costs its signature
	 * alone. A new signer seen between two reads of this one is signed
	 * for by the one read last; the verifier's key and this one are of
	 * the same certificate or the next reload mends it. */
	ehttp_token_key_close(v->signkey);
	v->signkey = NULL;
	if (ehttp_token_key_open(e, v->site_id, &sk) == 1) {
		if (ehttp_token_key_cert(sk) == c.id)
			v->signkey = sk;
		else
			ehttp_token_key_close(sk);
	}
	return 0;
}

int
mp_verifier_reload(struct ehttp *e, struct mp_verifier *v)
{
	char **smsids = NULL, *iss, hid[64];
	size_t n = 0;

	if (v->nseen > 0 && ehttp_client_seen(e, (const char **)v->seen,
	    v->nseen, time(NULL)) == -1)
		return -1;
	seen_free(v);
	if (verifier_signer(e, v) == -1 ||
	    ehttp_hierarchy_id(e, hid, sizeof hid) == -1 ||
	    ehttp_client_blocked(e, &smsids, &n) == -1)
		return -1;
	xasprintf(&iss, MP_ISS_PREFIX "%s", hid);
	free(v->iss);
	v->iss = iss;
	blocked_free(v);
	if (n > 0)
		qsort(smsids, n, sizeof *smsids, smsid_cmp);
	v->blocked = smsids;
	v->nblocked = n;
	return 0;
}

struct mp_verifier *
mp_verifier_new(struct ehttp *e, const char *mp_fqdn)
{
	struct mp_verifier *v;
	struct db_system y;
	struct db_site s;

	if (ehttp_system_resolve(e, mp_fqdn, &y) != 1 ||
	    ehttp_site_get(e, y.site_id, &s) == -1)
		return NULL;
	v = xcalloc(1, sizeof *v);
	v->site_id = s.id;
	snprintf(v->site_code, sizeof v->site_code, "%s", s.code);
	if (mp_verifier_reload(e, v) == -1) {
		mp_verifier_free(v);
		return NULL;
	}
	return v;
}

void
mp_verifier_free(struct mp_verifier *v)
{
	if (v == NULL)
		return;
	ca_jwt_key_free(v->key);
	ehttp_token_key_close(v->signkey);
	blocked_free(v);
	seen_free(v);
	free(v->seen);
	free(v->iss);
	free(v);
}
