/*
 * mp-content.c: the distribution point's check of a content request
 * (mp.h, mp_content_check). The request carries the client's content
 * access token and its proof of possession:
 *
 *   Authorization: Bearer <content access token>
 *   ClientToken: GUID:<uuid>;<yyyy-mm-ddThh:mm:ssZ>;2
 *   ClientTokenSignature: <hex of the CryptoAPI signature of ClientToken>
 *   ClientTokenCertificate: <hex of the DER of the client's signing
 *                            certificate>
 *
 * Checked with the verifier alone (no database read): the token is signed
 * by the site's current SMS Token Signing certificate, which chains to the
 * site's SMS Issuing (decided at each reload); its aud, iss, Type and
 * lifetime; the ClientToken is the token's client's, made within the
 * management point's clock skew; the certificate is the one the token's
 * cnf binds (x5t#S256), and the ClientTokenSignature verifies with its
 * key. Blocked clients are not looked up: a blocked client keeps the
 * token it has until it expires (the management point gives it no new
 * one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "ca.h"
#include "ehttp.h"
#include "mp-int.h"
#include "wire.h"
#include "xmalloc.h"

/* The token's client and the certificate its cnf binds: 1, 0 refused. */
static int
content_claims(const struct mp_verifier *v, const char *claims, time_t now,
    char smsid[64], char x5t[64], char **reason)
{
	json_t *c, *id, *cnf, *t;
	int ok = 0;

	if (!mp_claims_load(v, claims, MP_CONTENT_AUD, MP_CONTENT_TYPE, now, &c,
	    reason))
		return 0;
	id = json_object_get(c, "UniqueId");
	cnf = json_object_get(c, "cnf");
	t = json_object_get(cnf, "x5t#S256");
	if (!json_is_string(id) || !wire_smsid_ok(json_string_value(id)))
		*reason = mp_strf("the token's UniqueId is not a client's "
		    "SMSID");
	else if (!json_is_string(t) || json_string_length(t) != 43)
		*reason = mp_strf("the token has no cnf x5t#S256 (the client "
		    "certificate it is bound to)");
	else {
		snprintf(smsid, 64, "%s", json_string_value(id));
		snprintf(x5t, 64, "%s", json_string_value(t));
		ok = 1;
	}
	json_decref(c);
	return ok;
}

/* The ClientToken: the token's client, made within the skew of now. */
static int
content_client_token(const char *ct, const char *smsid, time_t now,
    char **reason)
{
	char who[64];
	time_t when;

	if (!mp_client_token_parse(ct, who, &when, reason))
		return 0;
	if (strcasecmp(who, smsid) != 0) {
		*reason = mp_strf("the ClientToken is of %s, the token of %s",
		    who, smsid);
		return 0;
	}
	if (when < now - MP_CLIENT_TOKEN_SKEW ||
	    when > now + MP_CLIENT_TOKEN_SKEW) {
		*reason = mp_strf("the ClientToken of %s was made more than "
		    "%d minutes from the distribution point's time", smsid,
		    MP_CLIENT_TOKEN_SKEW / 60);
		return 0;
	}
	return 1;
}

/* The certificate sent is the one bound (cnf) and its key signed the
 * ClientToken: 1, 0 refused. */
static int
content_possession(const struct mp_request *r, const char *smsid,
    const char *x5t, char **reason)
{
	struct wire_bytes cert = { 0 };
	char *why = NULL, *got = NULL;
	struct ca *ca;
	int ok = 0;

	if (r->client_cert == NULL) {
		*reason = mp_strf("no ClientTokenCertificate header (the "
		    "client's signing certificate)");
		return 0;
	}
	if (wire_unhex(r->client_cert, &cert, &why) == -1) {
		*reason = mp_strf("the ClientTokenCertificate is not hex: %s",
		    why);
		free(why);
		return 0;
	}
	ca = ca_new();
	if (ca_x5t_s256(ca, cert.data, cert.len, &got) == -1)
		*reason = mp_strf("the ClientTokenCertificate: %s",
		    ca_error(ca));
	else if (strcmp(got, x5t) != 0)
		*reason = mp_strf("the ClientTokenCertificate (x5t#S256 %s) is"
		    " not the certificate the token of %s is bound to (%s)",
		    got, smsid, x5t);
	else
		ok = mp_client_token_verify(cert.data, cert.len,
		    r->client_token, r->client_token_sig, smsid, reason);
	ca_free(ca);
	free(got);
	wire_bytes_free(&cert);
	return ok;
}

int
mp_content_check(struct ehttp *e, struct mp_verifier *v,
    const struct mp_request *r, time_t now, char **reason)
{
	const char *tok;
	char *claims = NULL, smsid[64], x5t[64];
	int rc;

	*reason = NULL;
	if ((tok = mp_bearer(v, r->authorization, reason)) == NULL)
		return 0;
	if (v->key != NULL && !v->signer_trusted) {
		*reason = mp_strf("site %s's SMS Token Signing certificate is "
		    "not trusted: %s", v->site_code, v->signer_why);
		return 0;
	}
	if ((rc = mp_token_verified(v, tok, &claims, reason)) == 1)
		rc = content_claims(v, claims, now, smsid, x5t, reason) &&
		    content_client_token(r->client_token, smsid, now,
		    reason) && content_possession(r, smsid, x5t, reason);
	else if (rc == -1) {
		ehttp_fail(e, "cannot check a content access token: %s",
		    *reason);
		free(*reason);
		*reason = NULL;
	}
	free(claims);
	return rc;
}
