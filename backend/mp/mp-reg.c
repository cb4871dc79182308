/*
 * mp-reg.c: registration at the management point (CCM_POST
 * /ccm_system/request, target endpoint MP_ClientRegistration). The
 * request is decoded (backend/wire/), its client certificate checked and
 * its signature verified against that certificate (backend/ca/), a bulk
 * registration token, if presented, checked like any token; then the
 * library stores the client in one transaction (a known certificate gets
 * its SMSID back) and the reply says the SMSID and the approval.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ca.h"
#include "cmlog.h"
#include "ehttp.h"
#include "mp-int.h"
#include "wire.h"
#include "xmalloc.h"

/* 400 for a registration refused; the log line is the one the real
 * management point writes, with the reason. */
static int
reg_refuse(struct mp_answer *a, int status, const char *reason)
{
	return mp_answer_text(a, status, CMLOG_TYPE_ERROR,
	    "MP Reg: Registration failed. %s", reason);
}

/*
 * A bulk registration token in "Authorization: Bearer": 1 it approves
 * (its id in *id), 0 refused (*reason), -1 error. Checked as every token
 * (the site's current signer, audience, issuer, lifetime), then against
 * the site's list (known, not blocked).
 */
static int
bulk_token(struct ehttp *e, const struct mp_verifier *v, const char *auth,
    char id[64], char **reason)
{
	const char *tok;
	char *hdr = NULL, *claims = NULL, *why = NULL;
	struct ca *ca;
	size_t len;
	int rc;

	if (strncasecmp(auth, "Bearer ", 7) != 0) {
		*reason = mp_strf("the Authorization header is not a Bearer "
		    "token");
		return 0;
	}
	for (tok = auth + 7; *tok == ' '; tok++)
		;
	if (v->key == NULL) {
		*reason = mp_strf("site %s has no SMS Token Signing "
		    "certificate", v->site_code);
		return 0;
	}
	len = strlen(tok);
	ca = ca_new();
	rc = ca_jwt_verify_key(ca, v->key, tok, len, &hdr, &claims);
	if (rc != 1)
		*reason = mp_strf("bulk registration token: %s", ca_error(ca));
	ca_free(ca);
	if (rc == 1 && (rc = mp_bulk_claims(v, claims, time(NULL), id,
	    &why)) == 0) {
		*reason = mp_strf("bulk registration token: %s", why);
		free(why);
	}
	free(hdr);
	free(claims);
	if (rc != 1)
		return rc == -1 ? 0 : rc;
	if ((rc = ehttp_bulk_token_usable(e, id, time(NULL), &why)) == 0) {
		*reason = mp_strf("bulk registration token %s: %s", id, why);
		free(why);
	}
	return rc;
}

/* The client's name: its discovery properties (Netbios Name, else FQ
 * Name), else the message's SourceHost; untrusted text, stored as sent
 * and shown filtered. */
static const char *
reg_name(const struct wire_reg *g)
{
	const char *n;

	if ((n = wire_reg_prop(g, "Netbios Name")) != NULL && *n != '\0')
		return n;
	if ((n = wire_reg_prop(g, "FQ Name")) != NULL && *n != '\0')
		return n;
	return g->msg.source_host != NULL ? g->msg.source_host : "";
}

static int
reg_reply(struct ehttp *e, struct mp_answer *a, const char *smsid,
    enum wire_reg_status status, enum wire_approval approval)
{
	struct wire_reply rp = { 0 };
	struct wire_bytes body = { 0 };
	char *cause = NULL;

	rp.smsid = (char *)smsid;
	rp.status = status;
	rp.approval = approval;
	rp.timestamp = time(NULL);
	if (wire_reply_encode(&rp, &body, &cause) == -1) {
		ehttp_fail(e, "registration reply: %s", cause);
		free(cause);
		return -1;
	}
	mp_answer_set(a, 200, "application/octet-stream", body.data, body.len);
	wire_bytes_free(&body);
	return 0;
}

int
mp_register(struct ehttp *e, struct mp_verifier *v,
    const struct mp_request *r, struct mp_answer *a)
{
	struct wire_reg g = { 0 };
	struct ehttp_client_reg in = { 0 };
	struct db_client cl;
	char bulk[64] = "", *cause = NULL;
	struct ca *ca = ca_new();
	int rc = 0, ok;

	if (r->len > WIRE_BODY_MAX) {
		reg_refuse(a, 413, "The request is larger than the limit.");
		goto out;
	}
	if (wire_reg_decode(r->content_type, r->body, r->len, &g, &cause) ==
	    -1) {
		reg_refuse(a, 400, cause);
		goto out;
	}
	if ((ok = ca_client_request_check(ca, g.sign_cert.data,
	    g.sign_cert.len, time(NULL), g.data.data, g.data.len, g.sig.data,
	    g.sig.len)) != 1) {
		reg_refuse(a, 400, ca_error(ca));
		goto out;
	}
	if (r->authorization != NULL &&
	    (ok = bulk_token(e, v, r->authorization, bulk, &cause)) != 1) {
		if (ok == -1) {
			rc = -1;
			goto out;
		}
		reg_refuse(a, 401, cause);
		goto out;
	}
	in.site_id = v->site_id;
	in.name = reg_name(&g);
	in.smsid = g.smsid;
	in.sign_cert = g.sign_cert.data;
	in.sign_cert_len = g.sign_cert.len;
	in.enc_cert = g.enc_cert.data;
	in.enc_cert_len = g.enc_cert.len;
	in.bulk_token_id = bulk[0] != '\0' ? bulk : NULL;
	switch (ehttp_client_register(e, &in, &cl)) {
	case EHTTP_REG_CONFLICT:
		a->log_type = CMLOG_TYPE_WARNING;
		a->log = mp_strf("MP Reg: Certificate of %s conflicts with "
		    "the record of %s: CertificateReset", in.name, cl.smsid);
		rc = reg_reply(e, a, cl.smsid, WIRE_REG_CERT_RESET,
		    WIRE_APPROVAL_PENDING);
		break;
	case EHTTP_REG_NEW:
	case EHTTP_REG_KNOWN:
		a->log_type = CMLOG_TYPE_INFO;
		a->log = mp_strf("MP Reg: Registered client %s (%s), approval "
		    "%s%s", cl.smsid, in.name, cl.approved ? "approved" :
		    "pending", bulk[0] != '\0' ? " (bulk registration token)" :
		    "");
		rc = reg_reply(e, a, cl.smsid, WIRE_REG_REGISTERED,
		    cl.approved ? WIRE_APPROVAL_APPROVED :
		    WIRE_APPROVAL_PENDING);
		break;
	default:
		rc = -1;
	}
out:
	free(cause);
	wire_reg_clear(&g);
	ca_free(ca);
	return rc;
}
