/*
 * mp-location.c: the management point's location manager for content
 * (MP_LocationManager). A registered, approved, unblocked client that
 * proves who it is (ClientToken signed with its registered key, as for
 * /CCM_STS) asks where a package is; the reply lists the distribution
 * points of the client's site that hold the version asked (state
 * installed): each one's token URL (CCMTOKENAUTH_SMS_DP_SMSPKG$,
 * AuthMethod 1024) first, then the anonymous URL (SMS_DP_SMSPKG$ over
 * HTTP) of those that allow anonymous access. Each request is a line in
 * MP_Location.log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmlog.h"
#include "content.h"
#include "ehttp.h"
#include "mp-int.h"
#include "wire.h"
#include "xmalloc.h"

#define MP_DP_STATE_INSTALLED	"installed"

/* One distribution point that holds the package. */
struct mp_dp_loc {
	char	fqdn[256];
	int	https_port;
	int	http_port;
	int	anonymous;
};

int
mp_message_endpoint(const struct mp_request *r)
{
	char *ep = NULL, *why = NULL;
	int kind = MP_ENDPOINT_REGISTRATION;

	if (wire_msg_endpoint(r->content_type, r->body, r->len, &ep,
	    &why) == 0 && strcmp(ep, WIRE_LOC_ENDPOINT) == 0)
		kind = MP_ENDPOINT_LOCATION;
	free(ep);
	free(why);
	return kind;
}

/* Where system_id is reached and whether its DP role allows anonymous
 * access: 1 with d filled if it is a DP of site_id, 0 not, -1 error. */
static int
mp_dp_loc(struct ehttp *e, const struct db_package_dp *pd, int64_t site_id,
    struct mp_dp_loc *d)
{
	struct db_system y;
	struct db_role *roles = NULL;
	struct db_agent ag;
	size_t n = 0;
	int rc, found = 0;

	if ((rc = ehttp_system_get(e, pd->system_id, &y)) != 1)
		return rc;		/* 0: removed meanwhile */
	if (y.site_id != site_id)
		return 0;
	if (ehttp_role_list(e, 0, pd->system_id, &roles, &n) == -1)
		return -1;
	memset(d, 0, sizeof *d);
	for (size_t i = 0; i < n; i++)
		if (strcmp(roles[i].role, "dp") == 0) {
			found = 1;
			d->anonymous = roles[i].allow_anonymous == 1;
		}
	free(roles);
	if (!found)
		return 0;
	snprintf(d->fqdn, sizeof d->fqdn, "%s", pd->fqdn);
	d->https_port = 443;
	d->http_port = 80;
	if ((rc = ehttp_agent_get(e, pd->system_id, &ag)) == -1)
		return -1;
	if (rc == 1 && ag.https_port > 0)
		d->https_port = ag.https_port;
	if (rc == 1 && ag.http_port > 0)
		d->http_port = ag.http_port;
	return 1;
}

/* "https://fqdn[:port]/CCMTOKENAUTH_SMS_DP_SMSPKG$/ID" or the anonymous
 * "http://fqdn[:port]/SMS_DP_SMSPKG$/ID", malloc'ed. */
static char *
mp_dp_url(const struct mp_dp_loc *d, const char *id, int token)
{
	char port[16] = "";
	int p = token ? d->https_port : d->http_port;

	if (p != (token ? 443 : 80))
		snprintf(port, sizeof port, ":%d", p);
	return mp_strf("%s://%s%s/%s/%s", token ? "https" : "http", d->fqdn,
	    port, token ? "CCMTOKENAUTH_SMS_DP_SMSPKG$" : "SMS_DP_SMSPKG$", id);
}

/* The records of the DPs of site_id holding version of package p. */
static int
mp_locations(struct ehttp *e, const struct db_package *p, long version,
    int64_t site_id, struct wire_cloc_reply *rp)
{
	struct db_package_dp *dps = NULL;
	struct mp_dp_loc *locs = NULL;
	size_t n = 0, nl = 0;
	char *url;
	int rc = -1, got;

	if (ehttp_package_dps(e, p->id, 0, &dps, &n) == -1)
		return -1;
	locs = xcalloc(n ? n : 1, sizeof *locs);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(dps[i].state, MP_DP_STATE_INSTALLED) != 0 ||
		    dps[i].version != version)
			continue;
		if ((got = mp_dp_loc(e, &dps[i], site_id, &locs[nl])) == -1)
			goto out;
		nl += got;
	}
	for (int token = 1; token >= 0; token--)
		for (size_t i = 0; i < nl; i++) {
			if (!token && !locs[i].anonymous)
				continue;
			url = mp_dp_url(&locs[i], p->id, token);
			wire_cloc_reply_add(rp, url, locs[i].fqdn, 0,
			    token ? WIRE_AUTH_TOKEN : 0);
			free(url);
		}
	rc = 0;
out:
	free(locs);
	free(dps);
	return rc;
}

/* The reply's URLs for the log: "a, b" (malloc'ed). */
static char *
mp_loc_list(const struct wire_cloc_reply *rp)
{
	char *s = xstrdup(""), *t;

	for (size_t i = 0; i < rp->nrecs; i++) {
		xasprintf(&t, "%s%s%s", s, i ? ", " : "", rp->recs[i].url);
		free(s);
		s = t;
	}
	return s;
}

/* The reply to an approved client: the package's locations. */
static int
mp_location_reply(struct ehttp *e, struct mp_verifier *v,
    const struct db_client *cl, const struct wire_cloc_req *q,
    struct mp_answer *a)
{
	struct wire_cloc_reply rp;
	struct wire_bytes body = { 0 };
	struct db_package p;
	char *why = NULL, *list = NULL;
	long version;
	int rc;

	memset(&rp, 0, sizeof rp);
	rp.site_code = xstrdup(cl->site_code);
	if ((rc = ehttp_package_resolve(e, q->package_id, &p)) == -1)
		return -1;
	version = q->version > 0 ? q->version : rc == 1 ? p.version : 0;
	if (rc == 1) {
		rp.package_id = xstrdup(p.id);
		rp.version = version;
		rp.name = xstrdup(p.name);
		if (mp_locations(e, &p, version, cl->site_id, &rp) == -1)
			goto fail;
	}
	if (wire_cloc_reply_encode(&rp, &body, &why) == -1) {
		ehttp_fail(e, "the content location reply: %s", why);
		goto fail;
	}
	mp_answer_set(a, 200, "application/octet-stream", body.data, body.len);
	list = mp_loc_list(&rp);
	a->log_type = rp.nrecs > 0 ? CMLOG_TYPE_INFO : CMLOG_TYPE_WARNING;
	a->log = rc == 1 ? mp_strf("MP LM: content location request from %s "
	    "for %s.%ld: %zu location%s%s%s", cl->smsid, p.id, version,
	    rp.nrecs, rp.nrecs == 1 ? "" : "s", rp.nrecs ? ": " : " (no "
	    "distribution point of the client's site holds it)", list) :
	    mp_strf("MP LM: content location request from %s for %.64s: no "
	    "such package", cl->smsid, q->package_id);
	mp_verifier_seen(v, cl->smsid);
	rc = 0;
	goto out;
fail:
	rc = -1;
out:
	free(list);
	free(why);
	wire_bytes_free(&body);
	wire_cloc_reply_clear(&rp);
	return rc;
}

int
mp_location(struct ehttp *e, struct mp_verifier *v,
    const struct mp_request *r, struct mp_answer *a)
{
	struct wire_cloc_req q;
	struct db_client cl;
	unsigned char *der = NULL;
	char *why = NULL, *reason = NULL;
	size_t len = 0;
	int rc;

	if (wire_cloc_req_decode(r->content_type, r->body, r->len, &q,
	    &why) == -1) {
		rc = mp_answer_text(a, 400, CMLOG_TYPE_WARNING, "MP LM: content "
		    "location request refused: %s", why);
		free(why);
		return rc;
	}
	if ((rc = mp_client_proof(e, r, &cl, &der, &len, &reason)) != 1) {
		if (rc == 0) {
			mp_answer_refuse(a, reason);
			free(reason);
		}
		goto out;
	}
	if (q.msg.source_id != NULL && *q.msg.source_id != '\0' &&
	    strcmp(q.msg.source_id, cl.smsid) != 0) {
		rc = mp_answer_text(a, 400, CMLOG_TYPE_WARNING, "MP LM: content "
		    "location request refused: its SourceID %.64s is not %s, "
		    "whose ClientToken it carries", q.msg.source_id, cl.smsid);
		goto out;
	}
	if (cl.blocked || !cl.approved) {
		rc = mp_answer_text(a, 403, CMLOG_TYPE_WARNING, "MP LM: no "
		    "content locations for %s: the client is %s", cl.smsid,
		    cl.blocked ? "blocked" : "not approved (approval pending)");
		goto out;
	}
	rc = mp_location_reply(e, v, &cl, &q, a);
out:
	free(der);
	wire_cloc_req_clear(&q);
	return rc == -1 ? -1 : 0;
}
