/*
 * mp-token.c: tokens at the management point. /CCM_STS hands an approved,
 * unblocked client that proves who it is (ClientToken signed with its
 * registered key) a CCM token (8 hours) or its site token (90 days); the
 * token-authenticated endpoints take "Authorization: Bearer <CCM token>"
 * and check it with the verifier's key alone.
 *
 * Claims ehttp signs (JSON): iss urn:sccm:oauth2:<hierarchy id>, aud
 * urn:sccm:service, iat, nbf, exp, Type "CCMToken" or "SiteToken",
 * UniqueId the client's SMSID, SiteCode.
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

/*
 * The claims every token of the site carries: a JSON object, aud, iss,
 * Type, and nbf <= now < exp (each with MP_TOKEN_LEEWAY). 1 with the
 * object in *out (the caller's), 0 refused (*reason).
 */
static int
claims_load(const struct mp_verifier *v, const char *claims,
    const char *type, time_t now, json_t **out, char **reason)
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
	if (!claim_is(c, "aud", MP_AUD, reason) ||
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

int
mp_claims_check(const struct mp_verifier *v, const char *claims,
    const char *type, time_t now, char smsid[64], char **reason)
{
	json_t *c, *id;
	int ok = 0;

	if (!claims_load(v, claims, type, now, &c, reason))
		return 0;
	id = json_object_get(c, "UniqueId");
	if (!json_is_string(id) || !mp_smsid_ok(json_string_value(id)))
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

	if (!claims_load(v, claims, "BulkRegistration", now, &c, reason))
		return 0;
	u = json_object_get(c, "UniqueId");
	if (json_is_string(u) && json_string_length(u) < 40) {
		snprintf(guid, sizeof guid, "GUID:%s", json_string_value(u));
		ok = mp_smsid_ok(guid);
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
mp_token_check(struct ehttp *e, struct mp_verifier *v,
    const char *authorization, char smsid[64], char **reason)
{
	const char *tok;
	char *hdr = NULL, *claims = NULL;
	struct ca *ca;
	size_t len;
	int rc;

	(void)e;
	*reason = NULL;
	smsid[0] = '\0';
	if ((tok = mp_bearer(v, authorization, reason)) == NULL)
		return 0;
	len = strlen(tok);
	ca = ca_new();
	if (!token_signer(v, ca, tok, len, reason)) {
		ca_free(ca);
		return 0;
	}
	rc = ca_jwt_verify_key(ca, v->key, tok, len, &hdr, &claims);
	if (rc != 1)
		*reason = xstrdup(ca_error(ca));
	ca_free(ca);
	if (rc == 1)
		rc = mp_claims_check(v, claims, "CCMToken", time(NULL), smsid,
		    reason);
	free(hdr);
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

/*
 * "GUID:<uuid>;<yyyy-mm-ddThh:mm:ssZ>;2": the SMSID and the time, 1; else
 * 0 with the reason.
 */
static int
client_token_parse(const char *ct, char smsid[64], time_t *when,
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
	if (!mp_smsid_ok(smsid)) {
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

/* The client's proof: its ClientToken signed with its registered key,
 * made within MP_CLIENT_TOKEN_SKEW of now. 1, 0 refused, -1 error. */
static int
client_proof(struct ehttp *e, const struct mp_request *r,
    struct db_client *cl, char **reason)
{
	struct wire_bytes sig = { 0 }, u16 = { 0 };
	unsigned char *der = NULL;
	char smsid[64], *why = NULL;
	struct ca *ca;
	time_t when, now = time(NULL);
	size_t len, n;
	int rc;

	if (!client_token_parse(r->client_token, smsid, &when, reason))
		return 0;
	if (when < now - MP_CLIENT_TOKEN_SKEW ||
	    when > now + MP_CLIENT_TOKEN_SKEW) {
		*reason = mp_strf("the ClientToken of %s was made more than "
		    "%d minutes from the management point's time", smsid,
		    MP_CLIENT_TOKEN_SKEW / 60);
		return 0;
	}
	if (r->client_token_sig == NULL ||
	    wire_unhex(r->client_token_sig, &sig, &why) == -1) {
		*reason = mp_strf("the ClientTokenSignature is %s",
		    why != NULL ? why : "missing");
		free(why);
		return 0;
	}
	if ((rc = ehttp_client_by_smsid(e, smsid, cl)) != 1) {
		if (rc == 0)
			*reason = mp_strf("%s is not a registered client",
			    smsid);
		wire_bytes_free(&sig);
		return rc;
	}
	if (ehttp_client_sign_cert(e, cl->id, &der, &len) == -1) {
		wire_bytes_free(&sig);
		return -1;
	}
	/* The ClientToken is ASCII (parsed above): UTF-16LE is each byte
	 * followed by a zero. */
	n = strlen(r->client_token);
	u16.data = xcalloc(n ? 2 * n : 1, 1);
	u16.len = 2 * n;
	for (size_t i = 0; i < n; i++)
		u16.data[2 * i] = (unsigned char)r->client_token[i];
	ca = ca_new();
	if ((rc = ca_capi_verify(ca, der, len, u16.data, u16.len, sig.data,
	    sig.len)) != 1)
		*reason = mp_strf("the ClientTokenSignature of %s: %s", smsid,
		    ca_error(ca));
	if (rc == -1)
		rc = 0;		/* a stored certificate it cannot use */
	ca_free(ca);
	free(der);
	wire_bytes_free(&sig);
	wire_bytes_free(&u16);
	return rc;
}

/* The claims of a token for cl, as JSON text. */
static char *
token_claims(const struct mp_verifier *v, const struct db_client *cl,
    const char *type, time_t now, long lifetime)
{
	json_t *c;
	char *s;

	c = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:s}",
	    "iss", v->iss, "aud", MP_AUD, "iat", (json_int_t)now,
	    "nbf", (json_int_t)now, "exp", (json_int_t)(now + lifetime),
	    "Type", type, "UniqueId", cl->smsid, "SiteCode", v->site_code);
	s = c != NULL ? json_dumps(c, JSON_COMPACT) : NULL;
	json_decref(c);
	return s;
}

/*
 * GET /CCM_STS: a CCM token (8 hours) or, with ?Type=SiteToken, the
 * client's site token (90 days), for a registered client that proves
 * who it is, approved and not blocked. 403 for a client that may not have
 * one (pending, blocked), 401 for one that cannot prove who it is.
 */
int
mp_sts(struct ehttp *e, struct mp_verifier *v, const struct mp_request *r,
    struct mp_answer *a)
{
	struct db_client cl;
	const char *type = "CCMToken", *q;
	char *reason = NULL, *claims = NULL, *tok = NULL, *body = NULL;
	long life = MP_CCM_TOKEN_SECONDS;
	time_t now = time(NULL);
	json_t *j;
	int rc;

	if ((q = strchr(r->target, '?')) != NULL &&
	    strcasecmp(q + 1, "Type=SiteToken") == 0) {
		type = "SiteToken";
		life = MP_SITE_TOKEN_SECONDS;
	}
	if ((rc = client_proof(e, r, &cl, &reason)) != 1) {
		if (rc == 0) {
			mp_answer_refuse(a, reason);
			free(reason);
		}
		return rc == 0 ? 0 : -1;
	}
	if (cl.blocked || !cl.approved) {
		mp_answer_text(a, 403, CMLOG_TYPE_WARNING, "No token for %s: "
		    "the client is %s", cl.smsid, cl.blocked ? "blocked" :
		    "not approved (approval pending)");
		return 0;
	}
	if (v->key == NULL) {
		mp_answer_text(a, 503, CMLOG_TYPE_ERROR, "No token for %s: "
		    "site %s has no SMS Token Signing certificate (enhanced "
		    "HTTP is off)", cl.smsid, v->site_code);
		return 0;
	}
	if ((claims = token_claims(v, &cl, type, now, life)) == NULL ||
	    (v->signkey != NULL ? ehttp_token_key_sign(e, v->signkey, claims,
	    &tok) : ehttp_token_sign(e, v->site_id, claims, &tok)) == -1) {
		free(claims);
		return -1;
	}
	j = json_pack("{s:s, s:s, s:I}", "token", tok, "token_type", "Bearer",
	    "expires_in", (json_int_t)life);
	body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (body == NULL) {
		free(claims);
		free(tok);
		return ehttp_fail(e, "cannot write the token reply");
	}
	mp_verifier_seen(v, cl.smsid);
	mp_answer_set(a, 200, "application/json", body, strlen(body));
	a->log_type = CMLOG_TYPE_INFO;
	a->log = mp_strf("Issued a %s to %s, valid %ld hours",
	    strcmp(type, "CCMToken") == 0 ? "CCM token" : "site token",
	    cl.smsid, life / 3600);
	free(claims);
	free(tok);
	free(body);
	return 0;
}
