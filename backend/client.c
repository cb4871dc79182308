/*
 * client: the hierarchy's clients (issue #14). How clients are approved
 * (hierarchy setting), registration as the management point records it
 * (one transaction: a known certificate gets its SMSID back, a conflict
 * is reported, never a partial row), the inventory an administrator
 * works with (list, approve, block, delete: audited), and bulk
 * registration tokens, of which only the id, validity and state are kept.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ca.h"
#include "ehttp-int.h"
#include "uuid.h"
#include "xmalloc.h"

/* ------------------------------------------------------------ hierarchy */

int
ehttp_hierarchy_id(struct ehttp *e, char *buf, size_t len)
{
	char uuid[40], approval[8];

	if (db_hierarchy_get(e->db, uuid, approval) == -1)
		return ehttp_fail_db(e);
	snprintf(buf, len, "%s", uuid);
	return 0;
}

int
ehttp_hierarchy_approval(struct ehttp *e, int *automatic)
{
	char uuid[40], approval[8];

	if (db_hierarchy_get(e->db, uuid, approval) == -1)
		return ehttp_fail_db(e);
	*automatic = strcmp(approval, "auto") == 0;
	return 0;
}

int
ehttp_hierarchy_set_approval(struct ehttp *e, const char *approval)
{
	char uuid[40], old[8];

	ehttp_notes_clear(e);
	if (strcmp(approval, "manual") != 0 && strcmp(approval, "auto") != 0)
		return ehttp_fail(e, "client approval '%s': must be manual or "
		    "auto", rules_shown(approval, uuid, sizeof uuid));
	if (ehttp_begin(e) == -1)
		return -1;
	if (db_hierarchy_get(e->db, uuid, old) == -1)
		return ehttp_end(e, ehttp_fail_db(e));
	if (strcmp(old, approval) == 0) {
		ehttp_note(e, EHTTP_NOTE_INFO, "Client approval is %s already.",
		    approval);
		return ehttp_end(e, 0);
	}
	if (db_hierarchy_set_approval(e->db, approval) == -1)
		return ehttp_end(e, ehttp_fail_db(e));
	ehttp_note(e, EHTTP_NOTE_INFO, "Client approval: %s (was %s).",
	    approval, old);
	return ehttp_end(e, ehttp_record(e, 0, "info", "client approval",
	    "hierarchy", "Client approval of the hierarchy: %s (was %s).",
	    strcmp(approval, "auto") == 0 ? "automatically approve all "
	    "computers" : "manually approve each computer", old));
}

/* --------------------------------------------------------- registration */

/* Who approves a new client: "auto", "bulk <id>", or "" (pending). */
static int
reg_approval(struct ehttp *e, const struct ehttp_client_reg *in,
    struct db_client *c)
{
	int automatic = 0;

	if (ehttp_hierarchy_approval(e, &automatic) == -1)
		return -1;
	if (in->bulk_token_id != NULL) {
		c->approved = 1;
		snprintf(c->approved_by, sizeof c->approved_by, "bulk %s",
		    in->bulk_token_id);
		if (db_bulk_token_used(e->db, in->bulk_token_id) == -1)
			return ehttp_fail_db(e);
	} else if (automatic) {
		c->approved = 1;
		snprintf(c->approved_by, sizeof c->approved_by, "auto");
	}
	return 0;
}

static int
reg_locked(struct ehttp *e, const struct ehttp_client_reg *in,
    const char *tp, struct db_client *out)
{
	char uuid[40];
	int rc;

	/* A known certificate: the same client, unless it claims another
	 * client's SMSID. */
	if ((rc = db_client_by_thumbprint(e->db, tp, out)) == -1)
		return ehttp_fail_db(e);
	if (rc == 1) {
		if (in->smsid != NULL && in->smsid[0] != '\0' &&
		    strcasecmp(in->smsid, out->smsid) != 0)
			return EHTTP_REG_CONFLICT;
		if (in->bulk_token_id != NULL && !out->approved) {
			if (reg_approval(e, in, out) == -1 ||
			    db_client_set_approved(e->db, out->id, 1,
			    out->approved_by) == -1)
				return -1;
		}
		return EHTTP_REG_KNOWN;
	}
	/* A new certificate for an SMSID that has another one. */
	if (in->smsid != NULL && in->smsid[0] != '\0') {
		if ((rc = db_client_by_smsid(e->db, in->smsid, out)) == -1)
			return ehttp_fail_db(e);
		if (rc == 1)
			return EHTTP_REG_CONFLICT;
	}
	memset(out, 0, sizeof *out);
	uuid_v4(uuid);
	snprintf(out->smsid, sizeof out->smsid, "GUID:%s", uuid);
	snprintf(out->name, sizeof out->name, "%s", in->name);
	snprintf(out->thumbprint, sizeof out->thumbprint, "%s", tp);
	out->site_id = in->site_id;
	if (reg_approval(e, in, out) == -1)
		return -1;
	if (db_client_insert(e->db, out, in->sign_cert, in->sign_cert_len,
	    in->enc_cert, in->enc_cert_len) == -1)
		return ehttp_fail_db(e);
	return EHTTP_REG_NEW;
}

int
ehttp_client_register(struct ehttp *e, const struct ehttp_client_reg *in,
    struct db_client *out)
{
	int rc;

	if (ehttp_client_register_many(e, in, 1, out, &rc) < 0)
		return -1;
	/* The record as stored (a conflict: the client it conflicts with). */
	return rc;
}

int
ehttp_client_register_many(struct ehttp *e, const struct ehttp_client_reg *in,
    size_t n, struct db_client *out, int *rcs)
{
	struct ca *ca = ca_new();
	char (*thumb)[41] = xreallocarray(NULL, n ? n : 1, sizeof *thumb);
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++)
		if ((rc = ca_thumbprint(ca, in[i].sign_cert,
		    in[i].sign_cert_len, thumb[i])) == -1)
			ehttp_fail(e, "client certificate: %s", ca_error(ca));
	ca_free(ca);
	if (rc == -1)
		goto out;
	if (ehttp_begin(e) == -1) {
		rc = -2;
		goto out;
	}
	/* In order, in one transaction: a certificate twice in the batch is
	 * new the first time and known the second, as one after the other. */
	for (size_t i = 0; i < n; i++)
		if ((rcs[i] = reg_locked(e, &in[i], thumb[i], &out[i])) == -1) {
			ehttp_rollback(e);
			rc = -1;
			goto out;
		}
	rc = ehttp_commit(e) == -1 ? -2 : 0;
out:
	free(thumb);
	return rc;
}

int
ehttp_client_by_smsid(struct ehttp *e, const char *smsid,
    struct db_client *c)
{
	int rc = db_client_by_smsid(e->db, smsid, c);

	return rc == -1 ? ehttp_fail_db(e) : rc;
}

int
ehttp_client_sign_cert(struct ehttp *e, int64_t id, unsigned char **der,
    size_t *len)
{
	return ehttp_found(e, db_client_sign_der(e->db, id, der, len),
	    "client %lld: no certificate stored", (long long)id) == 1 ? 0 : -1;
}

int
ehttp_client_blocked(struct ehttp *e, char ***smsids, size_t *n)
{
	return db_client_blocked(e->db, smsids, n) == -1 ?
	    ehttp_fail_db(e) : 0;
}

int
ehttp_client_seen(struct ehttp *e, const char **smsids, size_t n,
    time_t when)
{
	if (ehttp_begin(e) == -1)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (db_client_seen(e->db, smsids[i], when) == -1)
			return ehttp_end(e, ehttp_fail_db(e));
	return ehttp_end(e, 0);
}

/* ------------------------------------------------------------ inventory */

int
ehttp_client_resolve(struct ehttp *e, const char *key, struct db_client *c)
{
	char shown[128];
	int rc;

	if (strncasecmp(key, "GUID:", 5) == 0)
		rc = db_client_by_smsid(e->db, key, c);
	else if ((rc = db_client_by_name(e->db, key, c)) == 2)
		return ehttp_fail(e, "client name '%s' is not unique: give "
		    "its SMSID (ehttpctl client list)",
		    rules_shown(key, shown, sizeof shown));
	if (rc == -1)
		return ehttp_fail_db(e);
	if (rc == 0)
		ehttp_fail(e, "no such client: %s", rules_shown(key, shown,
		    sizeof shown));
	return rc;
}

int
ehttp_client_page(struct ehttp *e, int64_t site_id, int64_t after,
    size_t limit, struct db_client **v, size_t *n)
{
	return db_client_page(e->db, site_id, after, limit, v, n) == -1 ?
	    ehttp_fail_db(e) : 0;
}

int
ehttp_client_page_before(struct ehttp *e, int64_t site_id, int64_t before,
    size_t limit, struct db_client **v, size_t *n)
{
	return db_client_page_before(e->db, site_id, before, limit, v, n) ==
	    -1 ? ehttp_fail_db(e) : 0;
}

int
ehttp_client_count(struct ehttp *e, int64_t site_id, size_t *n)
{
	return db_client_count(e->db, site_id, n) == -1 ? ehttp_fail_db(e) : 0;
}

/* The client as it is now, inside the transaction: it may be gone. */
static int
client_locked(struct ehttp *e, int64_t id, struct db_client *c)
{
	return ehttp_found(e, db_client_get(e->db, id, c), "client %lld: "
	    "no such client (deleted?)", (long long)id) == 1 ? 0 : -1;
}

int
ehttp_client_act(struct ehttp *e, int64_t id, enum ehttp_client_action act)
{
	struct db_client c;
	char shown[300];
	const char *what;
	int rc;

	ehttp_notes_clear(e);
	if (ehttp_begin(e) == -1)
		return -1;
	if (client_locked(e, id, &c) == -1)
		return ehttp_end(e, -1);
	rules_shown(c.name, shown, sizeof shown);
	switch (act) {
	case EHTTP_CLIENT_APPROVE:
		if (c.approved) {
			ehttp_note(e, EHTTP_NOTE_INFO, "Client %s is approved "
			    "already.", c.smsid);
			return ehttp_end(e, 0);
		}
		if (e->user[0] == '\0')
			ehttp_acting_user(e->user, sizeof e->user);
		rc = db_client_set_approved(e->db, id, 1, e->user);
		what = "approved";
		break;
	case EHTTP_CLIENT_BLOCK:
	case EHTTP_CLIENT_UNBLOCK:
		if (c.blocked == (act == EHTTP_CLIENT_BLOCK)) {
			ehttp_note(e, EHTTP_NOTE_INFO, "Client %s is %s "
			    "already.", c.smsid, c.blocked ? "blocked" :
			    "not blocked");
			return ehttp_end(e, 0);
		}
		rc = db_client_set_blocked(e->db, id, act == EHTTP_CLIENT_BLOCK);
		what = act == EHTTP_CLIENT_BLOCK ? "blocked" : "unblocked";
		break;
	default:
		rc = db_client_delete(e->db, id);
		what = "deleted";
		break;
	}
	if (rc == -1)
		return ehttp_end(e, ehttp_fail_db(e));
	ehttp_note(e, EHTTP_NOTE_INFO, "Client %s (%s) %s.", c.smsid, shown,
	    what);
	if (act == EHTTP_CLIENT_BLOCK)
		ehttp_note(e, EHTTP_NOTE_INFO, "Its tokens are refused from the "
		    "management point's next poll; it gets no new one.");
	return ehttp_end(e, ehttp_record(e, c.site_id, act ==
	    EHTTP_CLIENT_BLOCK ? "warning" : "info", "client", c.smsid,
	    "Client %s (%s) %s.", c.smsid, shown, what));
}

/* ------------------------------------------------------------ bulk tokens */

int
ehttp_bulk_token_new(struct ehttp *e, int64_t site_id, long minutes,
    char **token, struct db_bulk_token *b)
{
	char hid[40], claims[512];
	struct db_site s;
	time_t now = time(NULL);

	*token = NULL;
	ehttp_notes_clear(e);
	if (minutes < EHTTP_BULK_MIN || minutes > EHTTP_BULK_MAX)
		return ehttp_fail(e, "lifetime %ld: must be a number of "
		    "minutes from %d to %d (7 days)", minutes, EHTTP_BULK_MIN,
		    EHTTP_BULK_MAX);
	if (ehttp_site_by_id(e, site_id, &s) == -1 ||
	    ehttp_hierarchy_id(e, hid, sizeof hid) == -1)
		return -1;
	memset(b, 0, sizeof *b);
	uuid_v4(b->id);
	b->site_id = site_id;
	snprintf(b->site_code, sizeof b->site_code, "%s", s.code);
	b->created = b->not_before = now;
	b->not_after = now + minutes * 60;
	snprintf(claims, sizeof claims, "{\"iss\":\"urn:sccm:oauth2:%s\","
	    "\"aud\":\"urn:sccm:service\",\"iat\":%lld,\"nbf\":%lld,"
	    "\"exp\":%lld,\"Type\":\"BulkRegistration\",\"UniqueId\":\"%s\","
	    "\"SiteCode\":\"%s\"}", hid, (long long)now, (long long)now,
	    (long long)b->not_after, b->id, s.code);
	if (ehttp_token_sign(e, site_id, claims, token) == -1)
		return -1;
	if (ehttp_begin(e) == -1)
		goto failed;
	if (db_bulk_token_insert(e->db, b) == -1) {
		ehttp_fail_db(e);
		ehttp_rollback(e);
		goto failed;
	}
	if (ehttp_end(e, ehttp_record(e, site_id, "info", "bulk token", b->id,
	    "Bulk registration token %s created for site %s, valid %ld "
	    "minutes.", b->id, s.code, minutes)) == -1)
		goto failed;
	return 0;
failed:
	freezero_str(*token);
	*token = NULL;
	return -1;
}

int
ehttp_bulk_token_list(struct ehttp *e, struct db_bulk_token **v, size_t *n)
{
	return db_bulk_token_list(e->db, v, n) == -1 ? ehttp_fail_db(e) : 0;
}

int
ehttp_bulk_token_block(struct ehttp *e, const char *id, int blocked)
{
	struct db_bulk_token b;
	char shown[64];

	ehttp_notes_clear(e);
	if (ehttp_begin(e) == -1)
		return -1;
	if (ehttp_found(e, db_bulk_token_get(e->db, id, &b), "no such bulk "
	    "registration token: %s", rules_shown(id, shown, sizeof shown))
	    != 1)
		return ehttp_end(e, -1);
	if (b.blocked == blocked) {
		ehttp_note(e, EHTTP_NOTE_INFO, "Bulk registration token %s is "
		    "%s already.", b.id, blocked ? "blocked" : "not blocked");
		return ehttp_end(e, 0);
	}
	if (db_bulk_token_set_blocked(e->db, b.id, blocked) == -1)
		return ehttp_end(e, ehttp_fail_db(e));
	ehttp_note(e, EHTTP_NOTE_INFO, "Bulk registration token %s %s.", b.id,
	    blocked ? "blocked: it approves nobody" : "unblocked");
	return ehttp_end(e, ehttp_record(e, b.site_id, "info", "bulk token",
	    b.id, "Bulk registration token %s %s.", b.id, blocked ?
	    "blocked" : "unblocked"));
}

int
ehttp_bulk_token_usable(struct ehttp *e, const char *id, time_t now,
    char **why)
{
	struct db_bulk_token b;
	int rc;

	*why = NULL;
	if ((rc = db_bulk_token_get(e->db, id, &b)) == -1)
		return ehttp_fail_db(e);
	if (rc == 0)
		*why = xstrdup("not a token of this hierarchy");
	else if (b.blocked)
		*why = xstrdup("blocked");
	else if (now < b.not_before || now >= b.not_after)
		*why = xstrdup(now < b.not_before ? "not valid yet" :
		    "expired");
	return *why == NULL;
}

const char *
ehttp_bulk_token_state(const struct db_bulk_token *b, time_t now)
{
	if (b->blocked)
		return "Blocked";
	return now >= b->not_after ? "Expired" : "Active";
}
