/*
 * mp-token.c: tokens at the management point. /CCM_STS hands an approved,
 * unblocked client that proves who it is (ClientToken signed with its
 * registered key) a CCM token (8 hours), its site token (90 days) or a
 * content access token for the distribution points (8 hours); the
 * token-authenticated endpoints take "Authorization: Bearer <CCM token>"
 * and check it with the verifier's key alone (the content access token is
 * checked in mp-content.c).
 *
 * Claims ehttp signs (JSON): iss urn:sccm:oauth2:<hierarchy id>, aud
 * urn:sccm:service (urn:sccm:dp for a content access token), iat, nbf,
 * exp, Type "CCMToken", "SiteToken" or "ContentAccessToken", UniqueId the
 * client's SMSID, SiteCode; a content access token also cnf (RFC 7800)
 * {"x5t#S256": base64url SHA-256 of the client's registered signing
 * certificate}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "ca.h"
#include "cmlog.h"
#include "ehttp.h"
#include "mp-int.h"
#include "timefmt.h"
#include "wire.h"
#include "xmalloc.h"

/* A claim that must be this string. */
static int
claim_is(json_t *c, const char *name, const char *want, char **reason)
{
	json_t *v = json_object_get(c, name);

	if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
		return 1;
	*reason = mp_strf("the token's %s is not %s", name, want);
	return 0;
}

/* A claim that must be a whole number of seconds. */
static int
claim_time(json_t *c, const char *name, json_int_t *t, char **reason)
{
	json_t *v = json_object_get(c, name);

	if (json_is_integer(v)) {
		*t = json_integer_value(v);
		return 1;
	}
	*reason = mp_strf("the token has no %s (a time in seconds)", name);
	return 0;
}

static char *
utc(json_int_t t)
{
	char buf[TIMEFMT_LEN];

	if (timefmt(buf, sizeof buf, (time_t)t, TIMEFMT_SECOND_UTC) == -1)
		return mp_strf("%lld (seconds since 1970)", (long long)t);
	return xstrdup(buf);
}

int
mp_claims_load(const struct mp_verifier *v, const char *claims,
    const char *aud, const char *type, time_t now, json_t **out,
    char **reason)
{
	json_error_t je;
	json_t *c;
	json_int_t nbf, exp;
	char *when;

	*out = NULL;
	if ((c = json_loads(claims, JSON_REJECT_DUPLICATES, &je)) == NULL ||
	    !json_is_object(c)) {
		json_decref(c);
		*reason = mp_strf("the token's claims are not a JSON object");
		return 0;
	}
	if (!claim_is(c, "aud", aud, reason) ||
	    !claim_is(c, "iss", v->iss, reason) ||
	    !claim_is(c, "Type", type, reason) ||
	    !claim_time(c, "nbf", &nbf, reason) ||
	    !claim_time(c, "exp", &exp, reason))
		goto refused;
	if (now + MP_TOKEN_LEEWAY < nbf) {
		*reason = mp_strf("the token is not valid before %s",
		    when = utc(nbf));
		free(when);
		goto refused;
	}
	if (now >= exp + MP_TOKEN_LEEWAY) {
		*reason = mp_strf("the token expired at %s", when = utc(exp));
		free(when);
		goto refused;
	}
	*out = c;
	return 1;
refused:
	json_decref(c);
	return 0;
}

/* Token claims: 1 good (*smsid filled), 0 refused (*reason). */
static int
mp_claims_check(const struct mp_verifier *v, const char *claims,
    const char *type, time_t now, char smsid[64], char **reason)
{
	json_t *c, *id;
	int ok = 0;

	if (!mp_claims_load(v, claims, MP_AUD, type, now, &c, reason))
		return 0;
	id = json_object_get(c, "UniqueId");
	if (!json_is_string(id) || !wire_smsid_ok(json_string_value(id)))
		*reason = mp_strf("the token's UniqueId is not a client's "
		    "SMSID");
	else {
		snprintf(smsid, 64, "%s", json_string_value(id));
		if (mp_verifier_blocked(v, smsid))
			*reason = mp_strf("client %s is blocked", smsid);
		else
			ok = 1;
	}
	json_decref(c);
	return ok;
}

int
mp_bulk_claims(const struct mp_verifier *v, const char *claims, time_t now,
    char id[64], char **reason)
{
	json_t *c, *u;
	char guid[64];
	int ok = 0;

	if (!mp_claims_load(v, claims, MP_AUD, "BulkRegistration", now, &c,
	    reason))
		return 0;
	u = json_object_get(c, "UniqueId");
	if (json_is_string(u) && json_string_length(u) < 40) {
		snprintf(guid, sizeof guid, "GUID:%s", json_string_value(u));
		ok = wire_smsid_ok(guid);
	}
	if (ok)
		snprintf(id, 64, "%s", json_string_value(u));
	else
		*reason = mp_strf("its UniqueId is not a token id");
	json_decref(c);
	return ok;
}

/* The token's signer is the verifier's: 1, or 0 with the reason. */
static int
token_signer(const struct mp_verifier *v, struct ca *ca, const char *tok,
    size_t len, char **reason)
{
	char *hdr = NULL, *x5t = NULL, *why = NULL;
	int ok = 0;

	if (ca_jwt_header(ca, tok, len, &hdr) == -1) {
		*reason = xstrdup(ca_error(ca));
		return 0;
	}
	if (wire_jwt_header_check(hdr, &x5t, &why) == -1)
		*reason = why;
	else if (strcmp(x5t, ca_jwt_key_x5t(v->key)) != 0)
		*reason = mp_strf("the token is signed by a certificate "
		    "(x5t %.64s) that is not the site's current SMS Token "
		    "Signing certificate (x5t %s): renewed, or another site's",
		    x5t, ca_jwt_key_x5t(v->key));
	else
		ok = 1;
	free(hdr);
	free(x5t);
	return ok;
}

int
mp_token_verified(const struct mp_verifier *v, const char *tok,
    char **claims, char **reason)
{
	char *hdr = NULL;
	struct ca *ca;
	size_t len = strlen(tok);
	int rc;

	*claims = NULL;
	if (v->key == NULL) {
		*reason = mp_strf("site %s has no SMS Token Signing "
		    "certificate (enhanced HTTP is off)", v->site_code);
		return 0;
	}
	ca = ca_new();
	if (!token_signer(v, ca, tok, len, reason)) {
		ca_free(ca);
		return 0;
	}
	if ((rc = ca_jwt_verify_key(ca, v->key, tok, len, &hdr, claims)) !=
	    1)
		*reason = xstrdup(ca_error(ca));
	ca_free(ca);
	free(hdr);
	return rc;
}

int
mp_token_check(struct ehttp *e, struct mp_verifier *v,
    const char *authorization, char smsid[64], char **reason)
{
	const char *tok;
	char *claims = NULL;
	int rc;

	(void)e;
	*reason = NULL;
	smsid[0] = '\0';
	if ((tok = mp_bearer(v, authorization, reason)) == NULL)
		return 0;
	if ((rc = mp_token_verified(v, tok, &claims, reason)) == 1)
		rc = mp_claims_check(v, claims, "CCMToken", time(NULL), smsid,
		    reason);
	free(claims);
	return rc;
}

/*
 * A token-authenticated request (/ccm_system_tokenauth/request,
 * /SMS_MP_TokenAuth/...): 401 with the reason unless the CCM token
 * checks; then the client's policy assignments (none are made by ehttp
 * yet: an empty reply that names the client and its site). Only refusals
 * are logged: polls are many.
 */
int
mp_tokenauth(struct ehttp *e, struct mp_verifier *v,
    const struct mp_request *r, struct mp_answer *a)
{
	char smsid[64], *reason = NULL, *body;
	int rc;

	if ((rc = mp_token_check(e, v, r->authorization, smsid, &reason)) ==
	    -1)
		return -1;
	if (rc == 0) {
		mp_answer_refuse(a, reason);
		free(reason);
		return 0;
	}
	mp_verifier_seen(v, smsid);
	xasprintf(&body, "<PolicyAssignmentReply SMSID=\"%s\" SiteCode=\"%s\""
	    " Assignments=\"0\"/>", smsid, v->site_code);
	mp_answer_set(a, 200, "text/xml; charset=utf-8", body, strlen(body));
	free(body);
	return 0;
}

/* ------------------------------------------------------------- /CCM_STS */

int
mp_client_token_parse(const char *ct, char smsid[64], time_t *when,
    char **reason)
{
	const char *semi, *t;
	struct tm tm;
	char *end;

	if (ct == NULL) {
		*reason = mp_strf("no ClientToken header");
		return 0;
	}
	if ((semi = strchr(ct, ';')) == NULL || (size_t)(semi - ct) >= 64) {
		*reason = mp_strf("the ClientToken is not SMSID;time;2");
		return 0;
	}
	snprintf(smsid, 64, "%.*s", (int)(semi - ct), ct);
	if (!wire_smsid_ok(smsid)) {
		*reason = mp_strf("the ClientToken's SMSID is not GUID:<uuid>");
		return 0;
	}
	t = semi + 1;
	memset(&tm, 0, sizeof tm);
	if ((end = strptime(t, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL ||
	    strcmp(end, ";2") != 0) {
		*reason = mp_strf("the ClientToken's time is not "
		    "yyyy-mm-ddThh:mm:ssZ followed by ;2");
		return 0;
	}
	*when = timegm(&tm);
	return 1;
}

int
mp_client_token_verify(const unsigned char *cert, size_t len, const char *ct,
    const char *sig_hex, const char *smsid, char **reason)
{
	struct wire_bytes sig = { 0 }, u16 = { 0 };
	char *why = NULL;
	struct ca *ca;
	size_t n;
	int rc;

	if (sig_hex == NULL || wire_unhex(sig_hex, &sig, &why) == -1) {
		*reason = mp_strf("the ClientTokenSignature is %s",
		    why != NULL ? why : "missing");
		free(why);
		return 0;
	}
	/* The ClientToken is ASCII (parsed before): UTF-16LE is each byte
	 * followed by a zero. */
	n = strlen(ct);
	u16.data = xcalloc(n ? 2 * n : 1, 1);
	u16.len = 2 * n;
	for (size_t i = 0; i < n; i++)
		u16.data[2 * i] = (unsigned char)ct[i];
	ca = ca_new();
	if ((rc = ca_capi_verify(ca, cert, len, u16.data, u16.len, sig.data,
	    sig.len)) != 1)
		*reason = mp_strf("the ClientTokenSignature of %s: %s", smsid,
		    ca_error(ca));
	ca_free(ca);
	wire_bytes_free(&sig);
	wire_bytes_free(&u16);
	return rc == 1;		/* -1: a certificate it cannot use */
}

int
mp_client_proof(struct ehttp *e, const struct mp_request *r,
    struct db_client *cl, unsigned char **der, size_t *len, char **reason)
{
	char smsid[64];
	time_t when, now = time(NULL);
	int rc;

	*der = NULL;
	if (!mp_client_token_parse(r->client_token, smsid, &when, reason))
		return 0;
	if (when < now - MP_CLIENT_TOKEN_SKEW ||
	    when > now + MP_CLIENT_TOKEN_SKEW) {
		*reason = mp_strf("the ClientToken of %s was made more than "
		    "%d minutes from the management point's time", smsid,
		    MP_CLIENT_TOKEN_SKEW / 60);
		return 0;
	}
	if (r->client_token_sig == NULL) {
		*reason = mp_strf("the ClientTokenSignature is missing");
		return 0;
	}
	if ((rc = ehttp_client_by_smsid(e, smsid, cl)) != 1) {
		if (rc == 0)
			*reason = mp_strf("%s is not a registered client",
			    smsid);
		return rc;
	}
	if (ehttp_client_sign_cert(e, cl->id, der, len) == -1)
		return -1;
	if (mp_client_token_verify(*der, *len, r->client_token,
	    r->client_token_sig, smsid, reason) == 1)
		return 1;
	free(*der);
	*der = NULL;
	return 0;
}

/* What /CCM_STS hands out: the default, and each ?Type=. */
static const struct sts_kind {
	const char	*query;		/* NULL: the default */
	const char	*type;		/* the Type claim */
	const char	*aud;
	long		 lifetime;	/* seconds */
	int		 bound;		/* cnf: the client's certificate */
	const char	*what;		/* in the log */
} sts_kinds[] = {
	{ NULL, "CCMToken", MP_AUD, MP_CCM_TOKEN_SECONDS, 0, "CCM token" },
	{ "Type=SiteToken", "SiteToken", MP_AUD, MP_SITE_TOKEN_SECONDS, 0,
	  "site token" },
	{ "Type=" MP_CONTENT_TYPE, MP_CONTENT_TYPE, MP_CONTENT_AUD,
	  MP_CONTENT_TOKEN_SECONDS, 1, "content access token" },
};

static const struct sts_kind *
sts_kind(const char *target)
{
	const char *q = strchr(target, '?');

	for (size_t i = 1; q != NULL && i < sizeof sts_kinds /
	    sizeof *sts_kinds; i++)
		if (strcasecmp(q + 1, sts_kinds[i].query) == 0)
			return &sts_kinds[i];
	return &sts_kinds[0];
}

/*
 * The claims of a token of kind k for cl, as JSON text; a bound one's cnf
 * holds the x5t#S256 of the client's signing certificate (der). NULL on
 * failure (said in e).
 */
static char *
token_claims(struct ehttp *e, const struct mp_verifier *v,
    const struct db_client *cl, const struct sts_kind *k,
    const unsigned char *der, size_t len, time_t now)
{
	json_t *c;
	char *s, *x5t = NULL;
	struct ca *ca;

	if (k->bound) {
		ca = ca_new();
		if (ca_x5t_s256(ca, der, len, &x5t) == -1)
			ehttp_fail(e, "client %s: its certificate: %s",
			    cl->smsid, ca_error(ca));
		ca_free(ca);
		if (x5t == NULL)
			return NULL;
	}
	c = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:s}",
	    "iss", v->iss, "aud", k->aud, "iat", (json_int_t)now,
	    "nbf", (json_int_t)now, "exp", (json_int_t)(now + k->lifetime),
	    "Type", k->type, "UniqueId", cl->smsid, "SiteCode", v->site_code);
	if (c != NULL && x5t != NULL && json_object_set_new(c, "cnf",
	    json_pack("{s:s}", "x5t#S256", x5t)) == -1) {
		json_decref(c);
		c = NULL;
	}
	s = c != NULL ? json_dumps(c, JSON_COMPACT) : NULL;
	json_decref(c);
	free(x5t);
	if (s == NULL)
		ehttp_fail(e, "cannot write the claims of a %s", k->what);
	return s;
}

/*
 * GET /CCM_STS: a CCM token (8 hours), with ?Type=SiteToken the client's
 * site token (90 days), with ?Type=ContentAccessToken a content access
 * token (8 hours, bound to the client's certificate), for a registered
 * client that proves who it is, approved and not blocked. 403 for a
 * client that may not have one (pending, blocked), 401 for one that
 * cannot prove who it is.
 */
int
mp_sts(struct ehttp *e, struct mp_verifier *v, const struct mp_request *r,
    struct mp_answer *a)
{
	const struct sts_kind *k = sts_kind(r->target);
	struct db_client cl;
	unsigned char *der = NULL;
	char *reason = NULL, *claims = NULL, *tok = NULL, *body = NULL;
	time_t now = time(NULL);
	size_t len = 0;
	json_t *j;
	int rc;

	if ((rc = mp_client_proof(e, r, &cl, &der, &len, &reason)) != 1) {
		if (rc == 0) {
			mp_answer_refuse(a, reason);
			free(reason);
		}
		return rc == 0 ? 0 : -1;
	}
	rc = -1;
	if (cl.blocked || !cl.approved) {
		rc = mp_answer_text(a, 403, CMLOG_TYPE_WARNING, "No %s for %s:"
		    " the client is %s", k->what, cl.smsid, cl.blocked ?
		    "blocked" : "not approved (approval pending)");
		goto out;
	}
	if (v->key == NULL) {
		rc = mp_answer_text(a, 503, CMLOG_TYPE_ERROR, "No %s for %s: "
		    "site %s has no SMS Token Signing certificate (enhanced "
		    "HTTP is off)", k->what, cl.smsid, v->site_code);
		goto out;
	}
	if ((claims = token_claims(e, v, &cl, k, der, len, now)) == NULL ||
	    (v->signkey != NULL ? ehttp_token_key_sign(e, v->signkey, claims,
	    &tok) : ehttp_token_sign(e, v->site_id, claims, &tok)) == -1)
		goto out;
	j = json_pack("{s:s, s:s, s:I}", "token", tok, "token_type", "Bearer",
	    "expires_in", (json_int_t)k->lifetime);
	body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (body == NULL) {
		ehttp_fail(e, "cannot write the token reply");
		goto out;
	}
	mp_verifier_seen(v, cl.smsid);
	mp_answer_set(a, 200, "application/json", body, strlen(body));
	a->log_type = CMLOG_TYPE_INFO;
	a->log = mp_strf("Issued a %s to %s, valid %ld hours", k->what,
	    cl.smsid, k->lifetime / 3600);
	rc = 0;
out:
	free(der);
	free(claims);
	if (tok != NULL)
		explicit_bzero(tok, strlen(tok));
	free(tok);
	free(body);
	return rc;
}
