/*
 * sitepass: the site server's pass (ehttp-sited), one place for what it
 * decides: which certificates are renewed now, when a site's SMS Issuing
 * rolls over, which expiries it cannot fix and must announce, and which
 * agents went silent. Every decision is said (the program writes it to
 * certmgr.log) with its reason; notices are given once each.
 *
 * Each site is its own transaction: a pass stopped (or killed) half-way
 * leaves every site wholly as before or wholly renewed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ehttp-int.h"
#include "timefmt.h"
#include "xmalloc.h"

#define DAY		86400
#define SAY_EACH_MAX	20	/* certificates named one by one; more: a count */
#define COMPONENT	DB_SITED_COMPONENT

struct pass {
	struct ehttp			*e;
	const struct ehttp_pass_opts	*o;
	struct db_pass			*rec;
	time_t				 now;
};

static void say(struct pass *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(struct pass *p, int sev, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	if (p->o->say == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	p->o->say(sev, text, p->o->arg);
}

/* Does the caller want the pass to stop (its progress function)? */
static int
stopping(struct pass *p, const char *what, size_t done, size_t total)
{
	struct ehttp *e = p->e;

	if (e->progress != NULL && e->progress(what, done, total,
	    e->progress_arg) != 0)
		e->cancelled = 1;
	return e->cancelled;
}

int
ehttp_site_renew_days(struct ehttp *e, int64_t site_id, int *days)
{
	if (db_site_renew_days(e->db, site_id, days) == -1)
		return ehttp_fail_db(e);
	if (*days <= 0)
		*days = EHTTP_RENEW_DAYS;
	return 0;
}

int
ehttp_site_set_renew_days(struct ehttp *e, int64_t site_id, int days)
{
	struct db_site s;
	int old;

	ehttp_notes_clear(e);
	if (days < 1 || days > EHTTP_RENEW_DAYS_MAX)
		return ehttp_fail(e, "renew-days '%d': must be a number of days"
		    " from 1 to %d", days, EHTTP_RENEW_DAYS_MAX);
	if (ehttp_begin(e) == -1)
		return -1;
	if (ehttp_site_by_id(e, site_id, &s) == -1 ||
	    ehttp_site_renew_days(e, site_id, &old) == -1)
		return ehttp_end(e, -1);
	if (old == days) {
		ehttp_note(e, EHTTP_NOTE_INFO, "Site %s already renews its"
		    " certificates %d days before they expire.", s.code, days);
		return ehttp_end(e, 0);
	}
	if (db_site_renew_days_set(e->db, site_id, days) == -1)
		return ehttp_end(e, ehttp_fail_db(e));
	ehttp_note(e, EHTTP_NOTE_INFO, "Site %s renews its SMS Role SSL"
	    " Certificates %d days before they expire (was %d).", s.code,
	    days, old);
	return ehttp_end(e, ehttp_record(e, s.id, "info", "site renewal window",
	    s.code, "Site %s: certificates are renewed %d days before they"
	    " expire (was %d).", s.code, days, old));
}

/* ------------------------------------------------------------ expiry */

/* Whole days left (rounded down; negative once expired). */
static int
days_left(time_t not_after, time_t now)
{
	time_t d = not_after - now;

	return (int)(d >= 0 ? d / DAY : -((-d + DAY - 1) / DAY));
}

static int
alert_level(time_t not_after, time_t now)
{
	if (not_after < now)
		return 0;
	if (not_after - now <= DAY)
		return 1;
	return not_after - now <= 7 * DAY ? 7 : 30;
}

static const char *
when_text(const struct db_cert *c, time_t now, char *buf, size_t len)
{
	char day[16];
	int d = days_left(c->not_after, now);

	ehttp_day(c->not_after, day, sizeof day);
	if (c->not_after < now)
		snprintf(buf, len, "expired on %s", day);
	else if (d == 0)
		snprintf(buf, len, "expires on %s, in less than a day", day);
	else
		snprintf(buf, len, "expires on %s, in %d day%s", day, d,
		    d == 1 ? "" : "s");
	return buf;
}

/*
 * A walk over the alerts, one page of certificates at a time. What the
 * reason of an alert needs of its site (the site, its renewal window, its
 * current SMS Issuing) is read once per site and walk, not once per
 * certificate: a database of a million certificates has a quarter of a
 * million within 30 days of their end.
 */
struct alert_site {
	struct db_site	 site;
	int		 days;		/* its renewal window */
	int		 has_root;	/* root: its current SMS Issuing */
	struct db_cert	 root;
};

struct ehttp_alert_walk {
	struct ehttp		*e;
	struct db_cert_filter	 f;
	time_t			 now;
	int			 started;
	int			 done;
	struct db_cert		 after;		/* the last certificate read */
	struct alert_site	*sites;
	size_t			 nsites, cap;
};

/* The facts of site id, read at its first certificate; NULL on error. */
static const struct alert_site *
walk_site(struct ehttp_alert_walk *w, int64_t id)
{
	struct alert_site *as;
	int rc;

	for (size_t i = 0; i < w->nsites; i++)
		if (w->sites[i].site.id == id)
			return &w->sites[i];
	w->sites = xgrowarray(w->sites, &w->cap, w->nsites, 4,
	    sizeof *w->sites);
	as = &w->sites[w->nsites];
	memset(as, 0, sizeof *as);
	if (ehttp_site_by_id(w->e, id, &as->site) == -1 ||
	    ehttp_site_renew_days(w->e, id, &as->days) == -1)
		return NULL;
	if ((rc = db_cert_current_root(w->e->db, id, &as->root)) == -1) {
		ehttp_fail_db(w->e);
		return NULL;
	}
	as->has_root = rc == 1;
	w->nsites++;
	return as;
}

/*
 * Why c, in use and within 30 days of its end, is not renewed by the site
 * server: 1 with why set (an alert), 0 it is not an alert (a role or
 * token signing certificate still waiting for its site's renewal window:
 * both follow the same rule below), -1 error.
 */
static int
alert_reason(struct ehttp_alert_walk *w, const struct db_cert *c, char *why,
    size_t len)
{
	const struct alert_site *as;
	const struct db_site *s;

	if (strcmp(c->type, "pki") == 0) {
		snprintf(why, len, "ehttp does not renew a PKI certificate:"
		    " import its successor (ehttpctl cert import)");
		return 1;
	}
	if ((as = walk_site(w, c->site_id)) == NULL)
		return -1;
	s = &as->site;
	if (strcmp(c->type, "root") == 0) {
		if (c->blocked)
			snprintf(why, len, "it is blocked, so the site server"
			    " does not renew it: renew it yourself (ehttpctl"
			    " cert renew %s)", c->thumbprint);
		else if (!ehttp_site_enhanced(&s->sec))
			snprintf(why, len, "site %s does not use enhanced HTTP,"
			    " so the site server does not renew it", s->code);
		else
			snprintf(why, len, "it was due for renewal %d days"
			    " before its end and was not renewed: is"
			    " ehttp-sited running?", EHTTP_ROOT_RENEW_DAYS);
		return 1;
	}
	if (c->not_after > w->now + (time_t)as->days * DAY)
		return 0;	/* its window is not open yet */
	if (as->has_root && as->root.blocked)
		snprintf(why, len, "it cannot be renewed: the SMS Issuing root"
		    " of site %s (thumbprint %s) is blocked (ehttpctl cert"
		    " renew %s)", s->code, as->root.thumbprint,
		    as->root.thumbprint);
	else if (!ehttp_site_enhanced(&s->sec))
		snprintf(why, len, "site %s does not use enhanced HTTP",
		    s->code);
	else
		snprintf(why, len, "its renewal is due (%d days before the"
		    " end) and has not happened: see the status messages of"
		    " site %s and certmgr.log", as->days, s->code);
	return 1;
}

struct ehttp_alert_walk *
ehttp_alert_walk_new(struct ehttp *e, int64_t site_id)
{
	struct ehttp_alert_walk *w;

	w = xcalloc(1, sizeof *w);
	w->e = e;
	w->f.site_id = site_id;
	w->f.expiring_days = 30;
	w->f.active_only = 1;
	w->now = time(NULL);
	return w;
}

void
ehttp_alert_walk_free(struct ehttp_alert_walk *w)
{
	if (w == NULL)
		return;
	free(w->sites);
	free(w);
}

/* c as an alert (why: its reason). */
static void
alert_fill(struct ehttp_alert *a, const struct db_cert *c, time_t now,
    const char *why)
{
	char when[96];
	int site_wide = strcmp(c->type, "root") == 0 ||
	    strcmp(c->type, "token") == 0;

	a->cert = *c;
	a->level = alert_level(c->not_after, now);
	a->days_left = days_left(c->not_after, now);
	snprintf(a->text, sizeof a->text, "The %s %s %s (thumbprint %s) %s;"
	    " %s.", ehttp_cert_type_title(c->type), site_wide ? "of site" :
	    "of", site_wide ? c->site_code : c->issued_to, c->thumbprint,
	    when_text(c, now, when, sizeof when), why);
}

int
ehttp_alert_walk_next(struct ehttp_alert_walk *w, size_t max,
    struct ehttp_alert **out, size_t *nout)
{
	struct db_cert *v = NULL;
	struct ehttp_alert *a = NULL;
	size_t n, na = 0;
	char why[512];
	int rc;

	*out = NULL;
	*nout = 0;
	if (w->done)
		return 0;
	if (max == 0)
		max = 256;
	if (ehttp_cert_page(w->e, &w->f, DB_CERT_SORT_EXPIRATION, 0,
	    w->started ? &w->after : NULL, max, &v, &n) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].state, "active") != 0)
			continue;
		if ((rc = alert_reason(w, &v[i], why, sizeof why)) == -1) {
			free(v);
			free(a);
			return -1;
		}
		if (rc == 0)
			continue;
		if (a == NULL)
			a = xreallocarray(NULL, n, sizeof *a);
		alert_fill(&a[na++], &v[i], w->now, why);
	}
	if (n > 0)
		w->after = v[n - 1];
	w->started = 1;
	w->done = n < max;
	free(v);
	*out = a;
	*nout = na;
	return !w->done;
}

int
ehttp_expiry_alerts(struct ehttp *e, int64_t site_id, struct ehttp_alert **out,
    size_t *nout)
{
	struct ehttp_alert_walk *w = ehttp_alert_walk_new(e, site_id);
	struct ehttp_alert *a = NULL, *page;
	size_t na = 0, cap = 0, n;
	int rc;

	*out = NULL;
	*nout = 0;
	do {
		if ((rc = ehttp_alert_walk_next(w, 256, &page, &n)) == -1)
			break;
		if (na + n > cap) {
			while (na + n > cap)
				cap = cap ? cap * 2 : 256;
			a = xreallocarray(a, cap, sizeof *a);
		}
		if (n > 0) {
			memcpy(a + na, page, n * sizeof *a);
			na += n;
		}
		free(page);
	} while (rc == 1);
	ehttp_alert_walk_free(w);
	if (rc == -1) {
		free(a);
		return -1;
	}
	*out = a;
	*nout = na;
	return 0;
}

/* Announce each alert once per level: a status message (an error once
 * expired) and a line of the log. */
static int
pass_alerts(struct pass *p)
{
	struct ehttp_alert *a = NULL;
	size_t n;
	int rc = -1, fresh;

	if (ehttp_expiry_alerts(p->e, 0, &a, &n) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if ((fresh = db_notice_once(p->e->db, "expiry", a[i].cert.id,
		    a[i].level, p->now)) == -1) {
			ehttp_fail_db(p->e);
			goto out;
		}
		if (!fresh)
			continue;
		if (db_status_add(p->e->db, a[i].cert.site_id, 0,
		    a[i].level == 0 ? "error" : "warning", COMPONENT,
		    a[i].text) == -1) {
			ehttp_fail_db(p->e);
			goto out;
		}
		say(p, a[i].level == 0 ? EHTTP_SAY_ERROR : EHTTP_SAY_WARNING,
		    "%s", a[i].text);
		p->rec->warnings++;
	}
	if (n > 0)
		say(p, EHTTP_SAY_INFO, "%zu certificate%s in use end%s within 30"
		    " days and cannot be renewed here (each announced once at"
		    " 30, 7 and 1 days and when expired).", n, n == 1 ? "" :
		    "s", n == 1 ? "s" : "");
	rc = 0;
out:
	free(a);
	return rc;
}

/* ------------------------------------------------------------ agents */

static int
pass_agents(struct pass *p)
{
	struct db_agent *a = NULL;
	struct db_system y;
	size_t n;
	char since[32], text[512];
	int fresh, rc = -1;

	if (ehttp_agent_list(p->e, 0, &a, &n) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		/* An agent that gave its lease back stopped on purpose. */
		if (a[i].lease_until == 0 || !ehttp_agent_silent(&a[i], p->now))
			continue;
		if ((fresh = db_notice_once(p->e->db, "silent", a[i].system_id,
		    a[i].updated, p->now)) == -1) {
			ehttp_fail_db(p->e);
			goto out;
		}
		if (!fresh)
			continue;
		if (ehttp_system_by_id(p->e, a[i].system_id, &y) == -1)
			goto out;
		timefmt(since, sizeof since, a[i].updated, TIMEFMT_SECOND_UTC);
		snprintf(text, sizeof text, "The agent of %s (pid %d) has not"
		    " reported since %s, more than %lld s (it polls every %d"
		    " s): it may have stopped or hung; clients may not reach"
		    " the site system.", y.fqdn, a[i].pid, since,
		    (long long)ehttp_agent_silent_after(&a[i]), a[i].poll_s);
		if (db_status_add(p->e->db, y.site_id, 0, "warning",
		    COMPONENT, text) == -1) {
			ehttp_fail_db(p->e);
			goto out;
		}
		say(p, EHTTP_SAY_WARNING, "%s", text);
		p->rec->warnings++;
	}
	rc = 0;
out:
	free(a);
	return rc;
}

/* ------------------------------------------------------------ renewal */

/* Systems of s without a certificate that should have one (a new one, or
 * an issuance that failed before): how many, and the first named. */
static int
site_uncovered(struct pass *p, const struct db_site *s, size_t *nwant)
{
	struct ehttp *e = p->e;
	struct db_role *r = NULL;
	int64_t *ids = NULL;
	size_t n, nr;
	int rc = -1;

	*nwant = 0;
	if (db_systems_uncovered(e->db, s->id, p->now, &ids, &n) == -1)
		return ehttp_fail_db(e);
	for (size_t i = 0; i < n; i++) {
		int wants = 0;

		if (ehttp_role_list(e, 0, ids[i], &r, &nr) == -1)
			goto out;
		for (size_t j = 0; j < nr; j++)
			wants |= ehttp_role_secured(s, &r[j]);
		if (wants && ++*nwant <= SAY_EACH_MAX && nr > 0)
			say(p, EHTTP_SAY_INFO, "%s has no SMS Role SSL"
			    " Certificate (it is new, or an earlier issuance"
			    " failed): issuing one.", r[0].fqdn);
		free(r);
		r = NULL;
	}
	rc = 0;
out:
	free(r);
	free(ids);
	return rc;
}

/* Site-issued leaves of s whose renewal window is open (SMS Role SSL
 * Certificates and the SMS Token Signing, issue.c renews both in it): how
 * many, each named with its reason (the first ones of each type). */
static int
site_due(struct pass *p, const struct db_site *s, int days, size_t *ndue)
{
	static const char *const types[] = { "role", "token" };
	struct db_cert_filter f = { .site_id = s->id, .expiring_days = days,
	    .active_only = 1 };
	struct db_cert *v = NULL;
	const char *title;
	char when[96];
	size_t n, nt;

	*ndue = 0;
	for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
		f.type = types[t];
		title = ehttp_cert_type_title(types[t]);
		if (ehttp_cert_count(p->e, &f, &nt) == -1)
			return -1;
		if (nt == 0)
			continue;
		*ndue += nt;
		if (ehttp_cert_page(p->e, &f, DB_CERT_SORT_EXPIRATION, 0, NULL,
		    SAY_EACH_MAX, &v, &n) == -1)
			return -1;
		for (size_t i = 0; i < n; i++)
			say(p, EHTTP_SAY_INFO, "The %s of %s%s (thumbprint %s)"
			    " %s: site %s renews %d days before the end."
			    " Renewing it.", title, strcmp(types[t], "token") ==
			    0 ? "site " : "", strcmp(types[t], "token") == 0 ?
			    s->code : v[i].issued_to, v[i].thumbprint,
			    when_text(&v[i], p->now, when, sizeof when),
			    s->code, days);
		if (nt > n)
			say(p, EHTTP_SAY_INFO, "... and %zu more %s certificates"
			    " of site %s: renewing them too.", nt - n, title,
			    s->code);
		free(v);
		v = NULL;
	}
	return 0;
}

/* A site with enhanced HTTP on and no SMS Token Signing (on before the
 * certificate existed, or an issuance that failed): *missing, said. */
static int
site_token_missing(struct pass *p, const struct db_site *s, int *missing)
{
	struct db_cert c;
	int rc;

	if ((rc = db_cert_site_current(p->e->db, s->id, "token", &c)) == -1)
		return ehttp_fail_db(p->e);
	*missing = rc == 0;
	if (*missing)
		say(p, EHTTP_SAY_INFO, "Site %s has no SMS Token Signing"
		    " certificate: issuing one.", s->code);
	return 0;
}

/* The root rolls over: it stays trusted (and handed out) while the
 * certificates it signed are in use; issue_reconcile() then makes the
 * new current root. */
static int
rollover_locked(struct ehttp *e, const struct db_site *s,
    const struct db_cert *root)
{
	char day[16];

	if (db_cert_set_state(e->db, root->id, "superseded") == -1)
		return ehttp_fail_db(e);
	return ehttp_record(e, s->id, "info", "certificate renew",
	    root->thumbprint, "The SMS Issuing root of site %s (thumbprint %s)"
	    " ends on %s: a new root signs from now on; the old one stays"
	    " trusted until the certificates it signed are renewed.", s->code,
	    root->thumbprint, ehttp_day(root->not_after, day, sizeof day));
}

/* The site's renewal failed as a whole (nothing changed): said, and a
 * status message once a day while it lasts. */
static int
site_failed(struct pass *p, const struct db_site *s, const char *why)
{
	char text[1024];
	int rc;

	snprintf(text, sizeof text, "Site %s: renewing its certificates failed:"
	    " %s; nothing changed, the next pass tries again.", s->code, why);
	say(p, EHTTP_SAY_ERROR, "%s", text);
	if (ehttp_begin(p->e) == -1)
		return -1;
	if ((rc = db_notice_once(p->e->db, "site-failed", s->id,
	    p->now / DAY, p->now)) == 1)
		rc = db_status_add(p->e->db, s->id, 0, "error", COMPONENT,
		    text);
	return ehttp_end(p->e, rc == -1 ? ehttp_fail_db(p->e) : 0);
}

static int
pass_site(struct pass *p, const struct db_site *s)
{
	struct ehttp *e = p->e;
	const struct ehttp_note *notes;
	struct db_cert root;
	size_t ndue = 0, nwant = 0, nn;
	char when[96];
	int days, rc, roll = 0, no_token = 0;

	if (!ehttp_site_enhanced(&s->sec))
		return 0;	/* nothing site-issued to keep */
	if (ehttp_site_renew_days(e, s->id, &days) == -1)
		return -1;
	if ((rc = db_cert_current_root(e->db, s->id, &root)) == -1)
		return ehttp_fail_db(e);
	if (rc == 1 && root.blocked)
		return 0;	/* it issues nothing; the alerts say so */
	if (rc == 1 && root.not_after < p->now +
	    (time_t)EHTTP_ROOT_RENEW_DAYS * DAY) {
		roll = 1;
		say(p, EHTTP_SAY_INFO, "The SMS Issuing root of site %s"
		    " (thumbprint %s) %s: a root is renewed %d days before its"
		    " end, so that every certificate it signs ends before it"
		    " does. Creating its successor; the old root stays trusted"
		    " until the certificates it signed are renewed.", s->code,
		    root.thumbprint, when_text(&root, p->now, when, sizeof when),
		    EHTTP_ROOT_RENEW_DAYS);
	}
	if (site_due(p, s, days, &ndue) == -1 ||
	    site_uncovered(p, s, &nwant) == -1 ||
	    site_token_missing(p, s, &no_token) == -1)
		return -1;
	if (!roll && ndue == 0 && nwant == 0 && !no_token)
		return 0;
	e->issued = e->issue_failed = 0;
	ehttp_notes_clear(e);
	/* Sign ahead without the write lock (not for a new root: its
	 * successor signs in the transaction that makes it). */
	rc = roll ? 0 : issue_prepare_due(e, s->id);
	if (rc == 0 && (rc = ehttp_begin(e)) == 0) {
		if (roll)
			rc = rollover_locked(e, s, &root);
		if (rc == 0)
			rc = issue_reconcile(e, s->id);
		rc = ehttp_end(e, rc);
	}
	issue_finish(e, rc == -1);
	notes = ehttp_notes(e, &nn);
	for (size_t i = 0; rc == 0 && i < nn; i++)
		say(p, notes[i].kind == EHTTP_NOTE_WARNING ? EHTTP_SAY_WARNING :
		    EHTTP_SAY_INFO, "%s", notes[i].text);
	p->rec->renewed += e->issued;
	p->rec->failed += e->issue_failed;
	if (rc == -1) {
		if (e->cancelled || ehttp_busy(e))
			return -1;	/* busy: its status message would wait */
		p->rec->failed++;
		return site_failed(p, s, ehttp_error(e));
	}
	return 0;
}

/* Bookkeeping writes of the pass, each its own short transaction. */
static int
pass_write(struct pass *p, int (*fn)(struct pass *))
{
	if (ehttp_begin(p->e) == -1)
		return -1;
	return ehttp_end(p->e, fn(p));
}

static int
pass_record_begin(struct pass *p)
{
	return db_pass_begin(p->e->db, p->rec) == -1 ? ehttp_fail_db(p->e) : 0;
}

static int
pass_record_end(struct pass *p)
{
	return db_pass_end(p->e->db, p->rec) == -1 ? ehttp_fail_db(p->e) : 0;
}

static int
pass_notices(struct pass *p)
{
	if (pass_agents(p) == -1)
		return -1;
	return pass_alerts(p);
}

int
ehttp_pass_run(struct ehttp *e, const struct ehttp_pass_opts *o,
    struct db_pass *rec)
{
	struct pass p = { .e = e, .o = o, .rec = rec, .now = time(NULL) };
	struct db_cert_filter all = { .expiring_days = -1, .active_only = 1 };
	struct db_site *s = NULL;
	size_t n = 0, done = 0, checked = 0;
	int failed = 0, busy = 0;

	memset(rec, 0, sizeof *rec);
	snprintf(rec->host, sizeof rec->host, "%s", o->host != NULL ? o->host :
	    "");
	rec->pid = o->pid;
	rec->started = p.now;
	e->cancelled = 0;
	if (pass_write(&p, pass_record_begin) == -1 ||
	    ehttp_site_list(e, &s, &n) == -1 ||
	    ehttp_cert_count(e, &all, &checked) == -1) {
		free(s);
		return -1;
	}
	rec->checked = (int64_t)checked;
	say(&p, EHTTP_SAY_INFO, "Pass %lld: checking %zu site%s, %zu"
	    " certificate%s in use.", (long long)rec->id, n, n == 1 ? "" : "s",
	    checked, checked == 1 ? "" : "s");
	for (; done < n && !stopping(&p, "Checking sites", done, n); done++)
		if (pass_site(&p, &s[done]) == -1) {
			if (e->cancelled)
				break;
			failed = 1;	/* a bad site never blocks the others */
			rec->failed++;
			say(&p, EHTTP_SAY_ERROR, "Site %s: %s", s[done].code,
			    ehttp_error(e));
			/* Another program writing: each next site would wait
			 * as long again; the next pass goes on. */
			if ((busy = ehttp_busy(e))) {
				say(&p, EHTTP_SAY_WARNING, "Another program has"
				    " been writing to the site database: the"
				    " pass stops at site %s (%zu of %zu); the"
				    " next pass goes on.", s[done].code,
				    done + 1, n);
				break;
			}
		}
	free(s);
	if (!e->cancelled && !busy && pass_write(&p, pass_notices) == -1) {
		failed = 1;
		say(&p, EHTTP_SAY_ERROR, "Notices: %s", ehttp_error(e));
	}
	rec->finished = time(NULL);
	rec->next = o->interval > 0 && !e->cancelled ? rec->finished +
	    o->interval : 0;
	if (e->cancelled)
		snprintf(rec->summary, sizeof rec->summary, "Stopped after %zu"
		    " of %zu sites: %lld certificates issued, %lld failed;"
		    " nothing half-done.", done, n, (long long)rec->renewed,
		    (long long)rec->failed);
	else
		snprintf(rec->summary, sizeof rec->summary, "%lld certificates"
		    " checked in %zu sites: %lld issued or renewed, %lld"
		    " failed, %lld notices.", (long long)rec->checked, n,
		    (long long)rec->renewed, (long long)rec->failed,
		    (long long)rec->warnings);
	say(&p, rec->failed > 0 ? EHTTP_SAY_WARNING : EHTTP_SAY_INFO, "Pass"
	    " %lld: %s", (long long)rec->id, rec->summary);
	e->cancelled = 0;
	if (pass_write(&p, pass_record_end) == -1)
		return -1;
	return failed ? -1 : 0;
}

/* The newest pass: 1, 0 none yet, -1 error. */
static int
ehttp_pass_last(struct ehttp *e, struct db_pass *rec)
{
	int rc = db_pass_last(e->db, rec);

	return rc == -1 ? ehttp_fail_db(e) : rc;
}

int
ehttp_pass_state(struct ehttp *e, struct db_pass *rec, int *health,
    char *text, size_t len)
{
	time_t now = time(NULL);
	char last[32], next[32];
	int rc;

	if ((rc = ehttp_pass_last(e, rec)) == -1)
		return -1;
	*health = EHTTP_HEALTH_WARNING;
	if (rc == 0) {
		memset(rec, 0, sizeof *rec);
		snprintf(text, len, "The site server has never run: nothing"
		    " renews certificates (start ehttp-sited).");
		return 0;
	}
	timefmt(last, sizeof last, rec->started, TIMEFMT_MINUTE_UTC);
	timefmt(next, sizeof next, rec->next, TIMEFMT_MINUTE_UTC);
	if (rec->finished == 0)
		snprintf(text, len, "A pass started at %s (pid %d on %s) has not"
		    " finished: running, or stopped mid-pass.", last, rec->pid,
		    rec->host);
	else if (rec->next == 0)
		snprintf(text, len, "Last pass at %s (one pass, --once); none is"
		    " planned: is ehttp-sited running?", last);
	else if (now > rec->next + 60)
		snprintf(text, len, "Last pass at %s; the next was due at %s and"
		    " has not come: is ehttp-sited (pid %d on %s) running?",
		    last, next, rec->pid, rec->host);
	else {
		*health = rec->failed > 0 ? EHTTP_HEALTH_WARNING :
		    EHTTP_HEALTH_OK;
		snprintf(text, len, "Last pass at %s, next at %s (pid %d on %s).",
		    last, next, rec->pid, rec->host);
	}
	return 0;
}
