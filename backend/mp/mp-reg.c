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

	if ((tok = mp_bearer(v, auth, reason)) == NULL)
		return 0;
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

/* The checked request, its strings owned by the decoded message. */
struct mp_reg {
	struct wire_reg		 g;
	struct ehttp_client_reg	 in;
	char			 bulk[64];
};

/* The reply: 0, or -1 (cannot happen short of memory: a 500). */
static int
reg_reply(struct mp_answer *a, const char *smsid,
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
		mp_answer_text(a, 500, CMLOG_TYPE_ERROR, "MP Reg: cannot make"
		    " the registration reply: %s", cause);
		free(cause);
		return -1;
	}
	mp_answer_set(a, 200, "application/octet-stream", body.data, body.len);
	wire_bytes_free(&body);
	return 0;
}

int
mp_register_check(struct ehttp *e, struct mp_verifier *v,
    const struct mp_request *r, struct mp_answer *a, struct mp_reg **out)
{
	struct mp_reg *g = xcalloc(1, sizeof *g);
	char *cause = NULL;
	struct ca *ca = ca_new();
	int rc = 0, ok;

	*out = NULL;
	if (r->len > WIRE_BODY_MAX) {
		reg_refuse(a, 413, "The request is larger than the limit.");
		goto out;
	}
	if (wire_reg_decode(r->content_type, r->body, r->len, &g->g, &cause) ==
	    -1) {
		reg_refuse(a, 400, cause);
		goto out;
	}
	if ((ok = ca_client_request_check(ca, g->g.sign_cert.data,
	    g->g.sign_cert.len, time(NULL), g->g.data.data, g->g.data.len,
	    g->g.sig.data, g->g.sig.len)) != 1) {
		reg_refuse(a, 400, ca_error(ca));
		goto out;
	}
	if (r->authorization != NULL &&
	    (ok = bulk_token(e, v, r->authorization, g->bulk, &cause)) != 1) {
		if (ok == -1)
			rc = -1;
		else
			reg_refuse(a, 401, cause);
		goto out;
	}
	g->in.site_id = v->site_id;
	g->in.name = reg_name(&g->g);
	g->in.smsid = g->g.smsid;
	g->in.sign_cert = g->g.sign_cert.data;
	g->in.sign_cert_len = g->g.sign_cert.len;
	g->in.enc_cert = g->g.enc_cert.data;
	g->in.enc_cert_len = g->g.enc_cert.len;
	g->in.bulk_token_id = g->bulk[0] != '\0' ? g->bulk : NULL;
	*out = g;
	g = NULL;
out:
	free(cause);
	mp_reg_free(g);
	ca_free(ca);
	return rc;
}

const struct ehttp_client_reg *
mp_reg_in(const struct mp_reg *g)
{
	return &g->in;
}

void
mp_register_answer(const struct mp_reg *g, int rc, const struct db_client *cl,
    struct mp_answer *a)
{
	const char *name = g->in.name;

	if (rc == EHTTP_REG_CONFLICT) {
		if (reg_reply(a, cl->smsid, WIRE_REG_CERT_RESET,
		    WIRE_APPROVAL_PENDING) == -1)
			return;
		a->log_type = CMLOG_TYPE_WARNING;
		a->log = mp_strf("MP Reg: Certificate of %s conflicts with "
		    "the record of %s: CertificateReset", name, cl->smsid);
		return;
	}
	if (reg_reply(a, cl->smsid, WIRE_REG_REGISTERED, cl->approved ?
	    WIRE_APPROVAL_APPROVED : WIRE_APPROVAL_PENDING) == -1)
		return;
	a->log_type = CMLOG_TYPE_INFO;
	a->log = mp_strf("MP Reg: Registered client %s (%s), approval %s%s",
	    cl->smsid, name, cl->approved ? "approved" : "pending",
	    g->bulk[0] != '\0' ? " (bulk registration token)" : "");
}

void
mp_reg_free(struct mp_reg *g)
{
	if (g == NULL)
		return;
	wire_reg_clear(&g->g);
	free(g);
}

int
mp_register(struct ehttp *e, struct mp_verifier *v,
    const struct mp_request *r, struct mp_answer *a)
{
	struct mp_reg *g;
	struct db_client cl;
	int rc;

	if (mp_register_check(e, v, r, a, &g) == -1)
		return -1;
	if (g == NULL)			/* refused: the answer says why */
		return 0;
	if ((rc = ehttp_client_register(e, mp_reg_in(g), &cl)) != -1)
		mp_register_answer(g, rc, &cl, a);
	mp_reg_free(g);
	return rc == -1 ? -1 : 0;
}
