/*
 * issue: which site systems get an SMS Role SSL Certificate, and issuing
 * them. issue_reconcile() brings a site's certificates in
 * line with its settings and roles; it is idempotent and runs inside the
 * transaction of the change that called it.
 *
 * Large issuances sign ahead: issue_prepare() records a pending row for
 * every certificate it is about to sign and commits them, signs on all
 * cores without holding the database's write lock, and leaves the results
 * in a pool. The change's own transaction then completes the pending rows
 * together with the settings, so a crash leaves the old state (pending
 * rows of a dead process are dropped at the next open) or the new one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca.h"
#include "ehttp-int.h"
#include "timefmt.h"
#include "xmalloc.h"

#define NOTE_EACH_MAX	20	/* more: one summary line */

struct issue_job {
	int64_t			 system_id;
	int64_t			 pending_id;
	char			 fqdn[256];
	struct ca_issued	 out;	/* cert.data NULL: signing failed */
	char			*why;	/* and why */
	int			 used;
};

struct issue_pool {
	int64_t			 site_id;
	int64_t			 root_pending_id;	/* 0: no new root */
	struct ca_issued	 root;
	struct issue_job	*jobs;
	size_t			 n;
	int64_t			 token_pending_id;	/* 0: no new token */
	int64_t			 token_root_id;		/* its issuer's row */
	struct ca_issued	 token;
};

/* prepare()'s renew: what is renewed besides what is due. */
#define RENEW_ROOT	0x1	/* a new SMS Issuing and all under it */
#define RENEW_TOKEN	0x2	/* a new SMS Token Signing */

static int
site_enabled(const struct db_site *s)
{
	return ehttp_site_enhanced(&s->sec);
}

/* Systems of the site that should hold a site-issued certificate now. */
struct plan {
	struct db_system	*sys;
	size_t			 nsys;
	unsigned char		*wants;		/* per system */
	unsigned char		*has_pki;
	struct db_cert		*role;		/* active role cert, id 0: none */
	int			 renew_days;	/* the site's renewal window */
};

static void
plan_free(struct plan *p)
{
	free(p->sys);
	free(p->wants);
	free(p->has_pki);
	free(p->role);
	memset(p, 0, sizeof *p);
}

static int
plan_make(struct ehttp *e, const struct db_site *s, struct plan *p)
{
	struct db_role *r = NULL;
	struct db_cert c;
	time_t now = time(NULL);
	size_t nr;
	int rc;

	memset(p, 0, sizeof *p);
	if (db_site_renew_days(e->db, s->id, &p->renew_days) == -1 ||
	    db_system_list(e->db, s->id, &p->sys, &p->nsys) == -1 ||
	    db_role_list(e->db, s->id, 0, &r, &nr) == -1)
		goto fail;
	p->wants = xcalloc(p->nsys + 1, 1);
	p->has_pki = xcalloc(p->nsys + 1, 1);
	p->role = xcalloc(p->nsys + 1, sizeof *p->role);
	for (size_t i = 0; i < p->nsys; i++) {
		for (size_t j = 0; j < nr; j++)
			if (r[j].system_id == p->sys[i].id &&
			    ehttp_role_secured(s, &r[j]))
				p->wants[i] = site_enabled(s);
		if ((rc = db_cert_active(e->db, p->sys[i].id, "pki", &c)) == -1)
			goto fail;
		/* Only a PKI certificate that can be served counts: an
		 * expired or blocked one leaves the site-issued fallback. */
		p->has_pki[i] = rc == 1 && !c.blocked && c.not_after >= now &&
		    c.not_before <= now;
		if ((rc = db_cert_active(e->db, p->sys[i].id, "role",
		    &p->role[i])) == -1)
			goto fail;
		if (rc == 0)
			p->role[i].id = 0;
	}
	free(r);
	return 0;
fail:
	free(r);
	plan_free(p);
	return ehttp_fail_db(e);
}

/*
 * The site's SMS Token Signing (one rule for reconcile, signing ahead and
 * the plan): with enhanced HTTP on, a site has exactly one active; a new
 * one is due when it has none or when its renewal window (the role
 * certificates' one) is open. A blocked one stays until it is renewed or
 * unblocked, and a root that rolls over leaves it in use until its window
 * (the old root stays trusted meanwhile), both like a role certificate;
 * renewing the root by hand supersedes it with them (cert.c). 1 due, 0
 * not, -1 error; cur->id 0 when the site has none.
 */
static int
token_due(struct ehttp *e, const struct db_site *s, int renew_days, time_t now,
    struct db_cert *cur)
{
	int days = renew_days > 0 ? renew_days : EHTTP_RENEW_DAYS;
	int rc;

	if ((rc = db_cert_site_current(e->db, s->id, "token", cur)) == -1)
		return ehttp_fail_db(e);
	if (rc == 0) {
		memset(cur, 0, sizeof *cur);
		return site_enabled(s);
	}
	if (!site_enabled(s))
		return 0;
	return cur->not_after < now + (time_t)days * 86400;
}

/* Does system i need a new certificate? Its current one is renewed when
 * the site's renewal window opens (ehttp_site_renew_days()). */
static int
plan_needs_new(const struct plan *p, size_t i, time_t now)
{
	int days = p->renew_days > 0 ? p->renew_days : EHTTP_RENEW_DAYS;

	if (!p->wants[i] || p->has_pki[i])
		return 0;
	return p->role[i].id == 0 ||
	    p->role[i].not_after < now + (time_t)days * 86400;
}

static void
fill_cert_row(struct db_cert *c, const struct ca_issued *is)
{
	snprintf(c->state, sizeof c->state, "active");
	snprintf(c->serial, sizeof c->serial, "%s", is->info.serial);
	snprintf(c->issued_to, sizeof c->issued_to, "%s", is->info.issued_to);
	snprintf(c->issued_by, sizeof c->issued_by, "%s", is->info.issued_by);
	snprintf(c->subject, sizeof c->subject, "%s", is->info.subject);
	c->not_before = is->info.not_before;
	c->not_after = is->info.not_after;
	snprintf(c->thumbprint, sizeof c->thumbprint, "%s", is->info.thumbprint);
}

static void
pending_row(struct db_cert *c, const char *type, int64_t site_id,
    int64_t system_id, int64_t issuer_id, const char *issued_to,
    const char *alg)
{
	memset(c, 0, sizeof *c);
	snprintf(c->type, sizeof c->type, "%s", type);
	snprintf(c->state, sizeof c->state, "pending");
	c->site_id = site_id;
	c->system_id = system_id;
	c->issuer_id = issuer_id;
	snprintf(c->issued_to, sizeof c->issued_to, "%s", issued_to);
	snprintf(c->key_alg, sizeof c->key_alg, "%s", alg);
}

/* Record a signed certificate: complete its pending row, or insert it. */
static int
record_issued(struct ehttp *e, struct db_cert *c, const struct ca_issued *is)
{
	int rc;

	fill_cert_row(c, is);
	if (c->id != 0)
		rc = db_cert_complete(e->db, c, is->cert.data, is->cert.len,
		    is->key.data, is->key.len);
	else
		rc = db_cert_insert(e->db, c, is->cert.data, is->cert.len,
		    is->key.data, is->key.len);
	return rc == -1 ? ehttp_fail_db(e) : 0;
}

/* "2026-12-04" in UTC, for messages; returns buf. */
const char *
ehttp_day(time_t t, char *buf, size_t len)
{
	timefmt(buf, len, t, TIMEFMT_DAY);
	return buf;
}

/* On enabling: what stays as it is, and why: a system with a PKI
 * certificate keeps it, and roles enhanced HTTP does not secure stay HTTP. */
void
issue_explain(struct ehttp *e, const struct db_site *s)
{
	struct db_role *r = NULL;
	struct db_cert c;
	size_t n;

	if (!site_enabled(s) || db_role_list(e->db, s->id, 0, &r, &n) == -1)
		return;
	for (size_t i = 0; i < n; i++) {
		if (ehttp_role_secured(s, &r[i])) {
			if (db_cert_active(e->db, r[i].system_id, "pki", &c) == 1)
				ehttp_note(e, EHTTP_NOTE_INFO, "%s keeps its PKI"
				    " certificate (thumbprint %s): site systems"
				    " prefer PKI.", r[i].fqdn, c.thumbprint);
			continue;
		}
		if (ehttp_role_https(&r[i]))
			ehttp_note(e, EHTTP_NOTE_INFO, "The %s on %s is configured"
			    " for HTTPS and uses its PKI certificate.",
			    rules_role_title(r[i].role), r[i].fqdn);
		else
			ehttp_note(e, EHTTP_NOTE_INFO, "The %s on %s stays HTTP:"
			    " enhanced HTTP does not secure it.",
			    rules_role_title(r[i].role), r[i].fqdn);
	}
	free(r);
}

/* The caller's progress; a non-zero return cancels (remembered in the
 * handle so the failure reads "cancelled"). */
static int
progress_cb(size_t done, size_t n, void *arg)
{
	struct ehttp *e = arg;

	if (e->progress != NULL && e->progress("Issuing SMS Role SSL"
	    " Certificates", done, n, e->progress_arg) != 0)
		e->cancelled = 1;
	return e->cancelled;
}

static int
issue_many_failed(struct ehttp *e, const struct db_site *s, struct ca *ca)
{
	if (e->cancelled)
		return ehttp_fail(e, "cancelled");
	return ehttp_fail(e, "issuing SMS Role SSL Certificates for site %s: %s",
	    s->code, ca_error(ca));
}

static struct ca_signer *
signer_for(struct ehttp *e, struct ca *ca, const struct db_cert *root)
{
	unsigned char *der = NULL, *key = NULL;
	size_t dlen, klen;
	struct ca_signer *sg = NULL;
	const char *master;

	if ((master = ehttp_master(e, 0)) == NULL)
		return NULL;
	if (db_cert_der(e->db, root->id, &der, &dlen) != 1 ||
	    db_cert_key(e->db, root->id, &key, &klen) != 1) {
		ehttp_fail(e, "SMS Issuing of site %s: certificate or key missing"
		    " in the database", root->site_code);
		goto out;
	}
	if ((sg = ca_signer_load(ca, der, dlen, key, klen, master)) == NULL)
		ehttp_fail(e, "SMS Issuing of site %s: %s", root->site_code,
		    ca_error(ca));
out:
	free(der);
	free(key);
	return sg;
}

static int
ensure_root(struct ehttp *e, const struct db_site *s, struct db_cert *root)
{
	struct issue_pool *pool = e->pool;
	struct ca_issued is;
	struct ca *ca;
	enum ca_keyalg alg;
	const char *master;
	int rc;

	if ((rc = db_cert_current_root(e->db, s->id, root)) == -1)
		return ehttp_fail_db(e);
	if (rc == 1)
		return 0;
	memset(root, 0, sizeof *root);
	snprintf(root->type, sizeof root->type, "root");
	root->site_id = s->id;
	snprintf(root->site_code, sizeof root->site_code, "%s", s->code);
	snprintf(root->key_alg, sizeof root->key_alg, "%s", s->sec.key_alg);
	if (pool != NULL && pool->site_id == s->id && pool->root_pending_id) {
		root->id = pool->root_pending_id;
		pool->root_pending_id = 0;
		if (record_issued(e, root, &pool->root) == -1)
			return -1;
		ehttp_note(e, EHTTP_NOTE_INFO, "Created the SMS Issuing root"
		    " certificate of site %s (thumbprint %s).", s->code,
		    root->thumbprint);
		return 0;
	}
	if ((master = ehttp_master(e, 1)) == NULL)
		return -1;
	memset(&is, 0, sizeof is);
	ca = ca_new();
	if (ca_keyalg_parse(s->sec.key_alg, &alg) == -1)
		alg = CA_KEY_RSA2048;
	if (ca_root_create(ca, s->code, alg, master, &is) == -1)
		rc = ehttp_fail(e, "creating SMS Issuing for site %s: %s",
		    s->code, ca_error(ca));
	else
		rc = record_issued(e, root, &is);
	ca_issued_clear(&is);
	ca_free(ca);
	if (rc == 0)
		ehttp_note(e, EHTTP_NOTE_INFO, "Created the SMS Issuing root"
		    " certificate of site %s (thumbprint %s).", s->code,
		    root->thumbprint);
	return rc;
}

static struct issue_job *
pool_job(struct issue_pool *pool, int64_t system_id)
{
	if (pool == NULL)
		return NULL;
	for (size_t i = 0; i < pool->n; i++)
		if (pool->jobs[i].system_id == system_id && !pool->jobs[i].used)
			return &pool->jobs[i];
	return NULL;
}

/* Did signing give a reason for any name (else it failed as a whole)? */
static int
any_reason(char *const *why, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (why[i] != NULL)
			return 1;
	return 0;
}

/* One system's certificate could not be made: say so, go on. */
static int
issue_failed(struct ehttp *e, const struct db_site *s, const char *fqdn,
    const char *why)
{
	ehttp_note(e, EHTTP_NOTE_WARNING, "No SMS Role SSL Certificate for %s:"
	    " %s. The other site systems of site %s are not affected.", fqdn,
	    why, s->code);
	return ehttp_record(e, s->id, "error", "certificate issue", fqdn,
	    "Could not issue an SMS Role SSL Certificate to %s: %.300s", fqdn,
	    why);
}

/* Sign the leaves not signed ahead, then record all of them. */
static int
issue_leaves(struct ehttp *e, const struct db_site *s, const struct db_cert *root,
    struct plan *p, size_t *todo, size_t ntodo)
{
	struct ca *ca = ca_new();
	struct ca_signer *sg = NULL;
	struct ca_issued *signed_now = NULL;
	const char **names = NULL;
	char **why = NULL;
	size_t *which = NULL, nnow = 0, issued = 0, failed = 0;
	enum ca_keyalg alg;
	const char *master = NULL;
	int rc = -1;

	if (ca_keyalg_parse(s->sec.key_alg, &alg) == -1)
		alg = CA_KEY_RSA2048;
	names = xcalloc(ntodo, sizeof *names);
	which = xcalloc(ntodo, sizeof *which);
	why = xcalloc(ntodo, sizeof *why);
	signed_now = xcalloc(ntodo, sizeof *signed_now);
	for (size_t k = 0; k < ntodo; k++)
		if (pool_job(e->pool, p->sys[todo[k]].id) == NULL) {
			which[nnow] = todo[k];
			names[nnow++] = p->sys[todo[k]].fqdn;
		}
	if (nnow > 0) {
		if ((master = ehttp_master(e, 0)) == NULL ||
		    (sg = signer_for(e, ca, root)) == NULL)
			goto out;
		if (ca_leaf_issue_many(ca, sg, nnow, names, alg, master,
		    e->threads, progress_cb, e, signed_now, why) == -1 &&
		    (e->cancelled || !any_reason(why, nnow))) {
			issue_many_failed(e, s, ca);
			goto out;
		}
	}
	for (size_t k = 0, now = 0; k < ntodo; k++) {
		size_t i = todo[k];
		struct issue_job *job = pool_job(e->pool, p->sys[i].id);
		const struct ca_issued *is;
		const char *reason;
		struct db_cert c;
		char day[16];

		pending_row(&c, "role", s->id, p->sys[i].id, root->id,
		    p->sys[i].fqdn, s->sec.key_alg);
		if (job != NULL) {
			c.id = job->pending_id;
			is = &job->out;
			reason = job->why;
		} else {
			reason = why[now];
			is = &signed_now[now++];
		}
		if (is->cert.data == NULL) {
			/* This system only: the others get theirs. */
			failed++;
			e->issue_failed++;
			if (issue_failed(e, s, p->sys[i].fqdn, reason != NULL ?
			    reason : "signing failed") == -1)
				goto out;
			continue;
		}
		if (job != NULL)
			job->used = 1;
		if (p->role[i].id != 0) {
			/* Renewal: the old one is superseded. */
			if (db_cert_set_state(e->db, p->role[i].id,
			    "superseded") == -1) {
				ehttp_fail_db(e);
				goto out;
			}
		}
		if (record_issued(e, &c, is) == -1)
			goto out;
		issued++;
		e->issued++;
		if (ntodo <= NOTE_EACH_MAX)
			ehttp_note(e, EHTTP_NOTE_INFO, "Issued an SMS Role SSL"
			    " Certificate to %s (thumbprint %s, expires %s).",
			    c.issued_to, c.thumbprint,
			    ehttp_day(c.not_after, day, sizeof day));
	}
	if (ntodo > NOTE_EACH_MAX)
		ehttp_note(e, EHTTP_NOTE_INFO, "Issued %zu SMS Role SSL Certificates"
		    " in site %s (see `ehttpctl cert list --site %s`).", issued,
		    s->code, s->code);
	if (issued > 0 && ehttp_record(e, s->id, "info", "certificate issue",
	    s->code, "Issued %zu SMS Role SSL Certificate%s in site %s.",
	    issued, issued == 1 ? "" : "s", s->code) == -1)
		goto out;
	if (failed > 0)
		ehttp_note(e, EHTTP_NOTE_WARNING, "%zu site system%s of site %s"
		    " got no SMS Role SSL Certificate (see the status messages);"
		    " %zu did.", failed, failed == 1 ? "" : "s", s->code, issued);
	rc = 0;
out:
	for (size_t k = 0; k < ntodo; k++) {
		ca_issued_clear(&signed_now[k]);
		free(why[k]);
	}
	free(why);
	free(signed_now);
	free(names);
	free(which);
	ca_signer_free(sg);
	ca_free(ca);
	return rc;
}

/* The token signing certificate signed ahead for root, if any (moved
 * out of the pool), else signed now. 0 or -1. */
static int
token_sign(struct ehttp *e, const struct db_site *s, const struct db_cert *root,
    struct db_cert *c, struct ca_issued *is)
{
	struct issue_pool *pool = e->pool;
	struct ca *ca;
	struct ca_signer *sg = NULL;
	const char *master;
	int rc = -1;

	if (pool != NULL && pool->site_id == s->id && pool->token_pending_id &&
	    pool->token_root_id == root->id && pool->token.cert.data != NULL) {
		c->id = pool->token_pending_id;
		pool->token_pending_id = 0;
		*is = pool->token;
		memset(&pool->token, 0, sizeof pool->token);
		return 0;
	}
	ca = ca_new();
	if ((master = ehttp_master(e, 0)) != NULL &&
	    (sg = signer_for(e, ca, root)) != NULL) {
		if (ca_token_issue(ca, sg, s->code, master, is) == -1)
			ehttp_fail(e, "issuing the SMS Token Signing certificate"
			    " of site %s: %s", s->code, ca_error(ca));
		else
			rc = 0;
	}
	ca_signer_free(sg);
	ca_free(ca);
	return rc;
}

/*
 * SMS Token Signing (token_due()): issued under the current root when due,
 * the old one superseded (the tokens it signed are then refused); with
 * enhanced HTTP off the active one is superseded, like the role
 * certificates. Nothing is issued under a blocked root. root: NULL when
 * the site does not use enhanced HTTP.
 */
static int
reconcile_token(struct ehttp *e, const struct db_site *s,
    const struct db_cert *root, int renew_days, time_t now)
{
	struct ca_issued is;
	struct db_cert cur, c;
	char day[16];
	int rc;

	if ((rc = token_due(e, s, renew_days, now, &cur)) == -1)
		return -1;
	if (root == NULL) {
		if (cur.id == 0)
			return 0;
		if (db_cert_set_state(e->db, cur.id, "superseded") == -1)
			return ehttp_fail_db(e);
		ehttp_note(e, EHTTP_NOTE_INFO, "The SMS Token Signing"
		    " certificate of site %s (thumbprint %s) is now superseded.",
		    s->code, cur.thumbprint);
		return ehttp_record(e, s->id, "info", "certificate retire",
		    cur.thumbprint, "The SMS Token Signing certificate of site"
		    " %s (thumbprint %s) was superseded.", s->code,
		    cur.thumbprint);
	}
	if (rc == 0)
		return 0;
	if (root->blocked) {
		ehttp_note(e, EHTTP_NOTE_WARNING, "No SMS Token Signing"
		    " certificate was issued: the SMS Issuing root of site %s"
		    " (thumbprint %s) is blocked; renew it (ehttpctl cert renew"
		    " %s).", s->code, root->thumbprint, root->thumbprint);
		return 0;
	}
	memset(&is, 0, sizeof is);
	pending_row(&c, "token", s->id, 0, root->id, "SMS Token Signing",
	    "rsa2048");
	if (token_sign(e, s, root, &c, &is) == -1)
		goto fail;
	if (cur.id != 0 && db_cert_set_state(e->db, cur.id, "superseded") == -1) {
		ehttp_fail_db(e);
		goto fail;
	}
	if (record_issued(e, &c, &is) == -1)
		goto fail;
	e->issued++;
	ehttp_day(c.not_after, day, sizeof day);
	if (cur.id != 0)
		ehttp_note(e, EHTTP_NOTE_INFO, "Issued a new SMS Token Signing"
		    " certificate for site %s (thumbprint %s, expires %s); the"
		    " old one (thumbprint %s) is superseded: tokens it signed are"
		    " no longer accepted.", s->code, c.thumbprint, day,
		    cur.thumbprint);
	else
		ehttp_note(e, EHTTP_NOTE_INFO, "Issued the SMS Token Signing"
		    " certificate of site %s (thumbprint %s, expires %s).",
		    s->code, c.thumbprint, day);
	ca_issued_clear(&is);
	return ehttp_record(e, s->id, "info", "certificate issue", c.thumbprint,
	    "Issued the SMS Token Signing certificate of site %s (thumbprint"
	    " %s)%s.", s->code, c.thumbprint, cur.id != 0 ? "; the tokens the"
	    " old one signed are no longer accepted" : "");
fail:
	ca_issued_clear(&is);
	return -1;
}

int
issue_reconcile(struct ehttp *e, int64_t site_id)
{
	struct db_site s;
	struct db_cert root;
	struct plan p;
	size_t *todo = NULL, ntodo = 0, retired = 0;
	time_t now = time(NULL);
	int rc = -1;

	if (e->pool == NULL)
		e->cancelled = 0;
	if (ehttp_site_by_id(e, site_id, &s) == -1)
		return -1;
	if (plan_make(e, &s, &p) == -1)
		return -1;
	todo = xcalloc(p.nsys + 1, sizeof *todo);
	for (size_t i = 0; i < p.nsys; i++) {
		if (plan_needs_new(&p, i, now))
			todo[ntodo++] = i;
		else if (p.role[i].id != 0 && (!p.wants[i] || p.has_pki[i])) {
			/* Disabling supersedes; a role or system that no longer
			 * calls for one has it revoked; PKI wins. */
			const char *state = site_enabled(&s) ? "revoked" :
			    "superseded";
			if (db_cert_set_state(e->db, p.role[i].id, state) == -1) {
				ehttp_fail_db(e);
				goto out;
			}
			retired++;
			ehttp_note(e, EHTTP_NOTE_INFO, "The SMS Role SSL Certificate"
			    " of %s is now %s.", p.sys[i].fqdn, state);
		}
	}
	if (retired > 0 && ehttp_record(e, s.id, "info", "certificate retire",
	    s.code, "%zu SMS Role SSL Certificate%s of site %s %s %s.", retired,
	    retired == 1 ? "" : "s", s.code, retired == 1 ? "was" : "were",
	    site_enabled(&s) ? "revoked" : "superseded") == -1)
		goto out;
	if (site_enabled(&s)) {
		if (ensure_root(e, &s, &root) == -1)
			goto out;
		if (ntodo > 0 && root.blocked) {
			/* A blocked root issues nothing (ehttp.h). */
			ehttp_note(e, EHTTP_NOTE_WARNING, "%zu SMS Role SSL"
			    " Certificate%s not issued: the SMS Issuing root of"
			    " site %s (thumbprint %s) is blocked; renew it"
			    " (ehttpctl cert renew %s).", ntodo, ntodo == 1 ?
			    " was" : "s were", s.code, root.thumbprint,
			    root.thumbprint);
			ntodo = 0;
		}
		if (ntodo > 0 && issue_leaves(e, &s, &root, &p, todo, ntodo) == -1)
			goto out;
	}
	if (reconcile_token(e, &s, site_enabled(&s) ? &root : NULL,
	    p.renew_days, now) == -1)
		goto out;
	if (ehttp_keys_seal(e, s.id) == -1)
		goto out;
	rc = 0;
out:
	free(todo);
	plan_free(&p);
	return rc;
}

/* Signing ahead. */

static void
pool_free(struct issue_pool *pool)
{
	if (pool == NULL)
		return;
	for (size_t i = 0; i < pool->n; i++) {
		ca_issued_clear(&pool->jobs[i].out);
		free(pool->jobs[i].why);
	}
	ca_issued_clear(&pool->root);
	ca_issued_clear(&pool->token);
	free(pool->jobs);
	free(pool);
}

/* Commit pending rows for what is about to be signed; renew: a new root and
 * a new certificate for every system that wants one. */
static int
prepare_pending(struct ehttp *e, const struct db_site *s,
    struct issue_pool *pool, struct db_cert *root, int *need_root, int renew)
{
	struct plan p;
	struct db_cert c, tok;
	time_t now = time(NULL);
	int rc, token, root_renew = (renew & RENEW_ROOT) != 0;

	if ((rc = db_cert_current_root(e->db, s->id, root)) == -1)
		return ehttp_fail_db(e);
	*need_root = rc == 0 || root_renew;
	if (rc == 1 && root->blocked && !root_renew)
		return 0;	/* nothing is issued under a blocked root */
	if (*need_root) {
		pending_row(&c, "root", s->id, 0, 0, "SMS Issuing",
		    s->sec.key_alg);
		if (db_cert_insert(e->db, &c, NULL, 0, NULL, 0) == -1)
			return ehttp_fail_db(e);
		pool->root_pending_id = c.id;
	}
	if (plan_make(e, s, &p) == -1)
		return -1;
	if ((rc = token_due(e, s, p.renew_days, now, &tok)) == -1) {
		plan_free(&p);
		return -1;
	}
	token = rc == 1 || renew != 0;
	pool->jobs = xcalloc(p.nsys + 1, sizeof *pool->jobs);
	for (size_t i = 0; renew != RENEW_TOKEN && i < p.nsys; i++) {
		struct issue_job *job;

		if (!plan_needs_new(&p, i, now) &&
		    !(root_renew && p.wants[i] && !p.has_pki[i]))
			continue;
		job = &pool->jobs[pool->n++];
		job->system_id = p.sys[i].id;
		snprintf(job->fqdn, sizeof job->fqdn, "%s", p.sys[i].fqdn);
		pending_row(&c, "role", s->id, p.sys[i].id,
		    *need_root ? pool->root_pending_id : root->id,
		    p.sys[i].fqdn, s->sec.key_alg);
		if (db_cert_insert(e->db, &c, NULL, 0, NULL, 0) == -1) {
			plan_free(&p);
			return ehttp_fail_db(e);
		}
		job->pending_id = c.id;
	}
	plan_free(&p);
	if (token) {
		pool->token_root_id = *need_root ? pool->root_pending_id :
		    root->id;
		pending_row(&c, "token", s->id, 0, pool->token_root_id,
		    "SMS Token Signing", "rsa2048");
		if (db_cert_insert(e->db, &c, NULL, 0, NULL, 0) == -1)
			return ehttp_fail_db(e);
		pool->token_pending_id = c.id;
	}
	return 0;
}

static int
sign_ahead(struct ehttp *e, const struct db_site *s, struct issue_pool *pool,
    const struct db_cert *root, int need_root)
{
	struct ca *ca = ca_new();
	struct ca_signer *sg = NULL;
	const char **names = NULL;
	struct ca_issued *out = NULL;
	char **why = NULL;
	enum ca_keyalg alg;
	const char *master;
	int rc = -1;

	if (ca_keyalg_parse(s->sec.key_alg, &alg) == -1)
		alg = CA_KEY_RSA2048;
	if ((master = ehttp_master(e, 1)) == NULL)
		goto out;
	if (need_root) {
		if (ca_root_create(ca, s->code, alg, master, &pool->root) == -1) {
			ehttp_fail(e, "creating SMS Issuing for site %s: %s",
			    s->code, ca_error(ca));
			goto out;
		}
		sg = ca_signer_load(ca, pool->root.cert.data, pool->root.cert.len,
		    pool->root.key.data, pool->root.key.len, master);
		if (sg == NULL)
			ehttp_fail(e, "SMS Issuing of site %s: %s", s->code,
			    ca_error(ca));
	} else
		sg = signer_for(e, ca, root);
	if (sg == NULL)
		goto out;
	names = xcalloc(pool->n + 1, sizeof *names);
	why = xcalloc(pool->n + 1, sizeof *why);
	out = xcalloc(pool->n + 1, sizeof *out);
	for (size_t i = 0; i < pool->n; i++)
		names[i] = pool->jobs[i].fqdn;
	/* A name that fails fails alone (issue_leaves reports it). */
	if (pool->n > 0 && ca_leaf_issue_many(ca, sg, pool->n, names, alg,
	    master, e->threads, progress_cb, e, out, why) == -1 &&
	    (e->cancelled || !any_reason(why, pool->n))) {
		issue_many_failed(e, s, ca);
		goto out;
	}
	for (size_t i = 0; i < pool->n; i++) {
		pool->jobs[i].out = out[i];	/* moved */
		pool->jobs[i].why = why[i];
	}
	/* After the leaves: the token signing key is one more RSA key. */
	if (pool->token_pending_id &&
	    ca_token_issue(ca, sg, s->code, master, &pool->token) == -1) {
		ehttp_fail(e, "issuing the SMS Token Signing certificate of site"
		    " %s: %s", s->code, ca_error(ca));
		goto out;
	}
	rc = 0;
out:
	free(why);
	free(out);
	free(names);
	ca_signer_free(sg);
	ca_free(ca);
	return rc;
}

/* after: the settings about to be made (NULL: the site's own). */
static int
prepare(struct ehttp *e, int64_t site_id, const struct db_security *after,
    int renew)
{
	struct issue_pool *pool;
	struct db_site s;
	struct db_cert root;
	int need_root = 0;

	e->cancelled = 0;
	pool = xcalloc(1, sizeof *pool);
	if (ehttp_begin(e) == -1)
		goto fail;
	if (ehttp_site_by_id(e, site_id, &s) == -1)
		goto fail_tx;
	if (after != NULL)
		s.sec = *after;
	pool->site_id = s.id;
	if (site_enabled(&s) &&
	    prepare_pending(e, &s, pool, &root, &need_root, renew) == -1)
		goto fail_tx;
	if (pool->n == 0 && !need_root && !pool->token_pending_id) {
		ehttp_rollback(e);
		pool_free(pool);
		return 0;
	}
	if (ehttp_commit(e) == -1)
		goto fail;
	e->pool = pool;
	if (sign_ahead(e, &s, pool, &root, need_root) == -1) {
		issue_finish(e, 1);
		return -1;
	}
	return 0;
fail_tx:
	ehttp_rollback(e);
fail:
	pool_free(pool);
	return -1;
}

int
issue_prepare(struct ehttp *e, int64_t site_id,
    const struct db_security *after)
{
	if (!ehttp_site_enhanced(after))
		return 0;
	return prepare(e, site_id, after, 0);
}

int
issue_prepare_renew(struct ehttp *e, int64_t site_id)
{
	return prepare(e, site_id, NULL, RENEW_ROOT);
}

int
issue_prepare_renew_token(struct ehttp *e, int64_t site_id)
{
	return prepare(e, site_id, NULL, RENEW_TOKEN);
}

int
issue_prepare_due(struct ehttp *e, int64_t site_id)
{
	return prepare(e, site_id, NULL, 0);
}

int
issue_drop_pending(struct ehttp *e)
{
	int rc;

	if ((rc = db_begin_try(e->db)) != 0)
		return rc == 1 ? 0 : -1;
	if (db_cert_drop_pending(e->db, NULL) == -1 ||
	    db_commit(e->db) == -1) {
		db_rollback(e->db);
		return -1;
	}
	return 0;
}

void
issue_finish(struct ehttp *e, int failed)
{
	struct issue_pool *pool = e->pool;
	int unused = 0;

	if (pool == NULL)
		return;
	e->pool = NULL;
	/* A change that did not commit used none of them. */
	unused = failed || pool->root_pending_id != 0 ||
	    pool->token_pending_id != 0;
	for (size_t i = 0; i < pool->n; i++)
		unused |= !pool->jobs[i].used;
	/* Our own pending rows that the change did not use (the change
	 * may have failed waiting for another program's write). */
	if (unused)
		(void)issue_drop_pending(e);
	pool_free(pool);
}

/* Counting: the same plan as issue_reconcile() and prepare_pending(). */
int
issue_plan(struct ehttp *e, const struct db_site *s, int renew,
    struct ehttp_plan *out)
{
	struct db_cert root, tok;
	struct plan p;
	time_t now = time(NULL);
	int rc;

	memset(out, 0, sizeof *out);
	memset(&root, 0, sizeof root);
	if (plan_make(e, s, &p) == -1)
		return -1;
	for (size_t i = 0; i < p.nsys; i++) {
		if (p.wants[i] && p.has_pki[i])
			out->pki_kept++;
		if (renew ? (p.wants[i] && !p.has_pki[i]) :
		    plan_needs_new(&p, i, now)) {
			out->issue++;
			if (p.role[i].id != 0)
				out->retire++;
		} else if (p.role[i].id != 0 && (renew || !p.wants[i] ||
		    p.has_pki[i]))
			out->retire++;
	}
	if (site_enabled(s)) {
		if ((rc = db_cert_current_root(e->db, s->id, &root)) == -1)
			goto fail_db;
		out->new_root = rc == 0 || renew;
		if (rc == 0)
			memset(&root, 0, sizeof root);
	}
	/* The token signing certificate: token_due(), as reconcile. */
	if ((rc = token_due(e, s, p.renew_days, now, &tok)) == -1)
		goto fail;
	if (site_enabled(s))
		out->token_issue = (rc == 1 || renew) && (out->new_root ||
		    !root.blocked);
	out->token_retire = tok.id != 0 && (!site_enabled(s) ||
	    out->token_issue);
	plan_free(&p);
	return 0;
fail_db:
	ehttp_fail_db(e);
fail:
	plan_free(&p);
	return -1;
}
