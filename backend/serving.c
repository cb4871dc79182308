/*
 * serving: what a site system serves (its PKI certificate, its SMS Role
 * SSL Certificate, a fallback, or nothing, and why), decided once here for
 * the agent, the CLI and the console; and what an agent's report means.
 * The decision is made from what was read of the system; the reads are
 * per system (ehttp_system_serving) or, for a list, a few queries for all
 * the systems of a site at once (ehttp_serving_list), so that a console
 * on a database server does not wait for a round trip per system.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ehttp-int.h"
#include "xmalloc.h"

const char *
ehttp_health_name(int h)
{
	return h == EHTTP_HEALTH_OK ? "OK" : h == EHTTP_HEALTH_WARNING ?
	    "WARNING" : "ERROR";
}

int
ehttp_agent_current(const struct ehttp_serving *sv, const struct db_agent *a)
{
	if (!sv->has_cert)
		return a->cert_id == 0;
	return a->cert_id == sv->cert.id &&
	    strcmp(a->thumbprint, sv->cert.thumbprint) == 0;
}

time_t
ehttp_agent_silent_after(const struct db_agent *a)
{
	time_t two = 2 * (time_t)a->poll_s;

	if (a->poll_s <= 0)
		return EHTTP_AGENT_SILENT_S;
	return two < EHTTP_AGENT_SILENT_MIN_S ? EHTTP_AGENT_SILENT_MIN_S : two;
}

int
ehttp_agent_silent(const struct db_agent *a, time_t now)
{
	time_t last = a->health_time > a->updated ? a->health_time :
	    a->updated;

	return last != 0 && now - last > ehttp_agent_silent_after(a);
}

int
ehttp_cert_expiring(const struct db_cert *c, time_t now)
{
	return c->not_after < now + (time_t)EHTTP_RENEW_DAYS * 86400;
}

const char *
ehttp_cert_validity(const struct db_cert *c, time_t now)
{
	if (c->not_after < now)
		return "expired";
	if (c->not_before > now)
		return "not yet valid";
	return "valid";
}

const char *
ehttp_cert_state(const struct db_cert *c, time_t now)
{
	const char *v = ehttp_cert_validity(c, now);

	return strcmp(c->state, "active") != 0 || strcmp(v, "valid") == 0 ?
	    c->state : v;
}

/* Why c cannot be served now, or NULL if it can. */
static const char *
cert_unusable(const struct db_cert *c, time_t now, char *buf, size_t len)
{
	char day[16];

	if (c->blocked)
		snprintf(buf, len, "blocked");
	else if (c->not_after < now)
		snprintf(buf, len, "expired on %s", ehttp_day(c->not_after, day,
		    sizeof day));
	else if (c->not_before > now)
		snprintf(buf, len, "not valid before %s", ehttp_day(c->not_before,
		    day, sizeof day));
	else
		return NULL;
	return buf;
}

/* What was read of one site system; NULL: it has none. */
struct serving_facts {
	const struct db_system	*y;
	const struct db_site	*s;	/* its site */
	const struct db_role	*r;	/* its roles */
	size_t			 nr;
	const struct db_cert	*pki;	/* its newest active PKI certificate */
	const struct db_cert	*role;	/* and SMS Role SSL Certificate */
	const struct db_cert	*root;	/* the SMS Issuing that signed role */
};

static void
serving_decide(const struct serving_facts *f, time_t now,
    struct ehttp_serving *sv)
{
	const struct db_system *y = f->y;
	const struct db_site *s = f->s;
	const struct db_cert *pki = f->pki, *role = f->role;
	char pki_bad[64], role_bad[64];
	const char *pki_why = NULL, *role_why = NULL;
	int has_pki = pki != NULL, has_role = role != NULL;
	int https_role = 0, covered = 0, eh;

	memset(sv, 0, sizeof *sv);
	for (size_t i = 0; i < f->nr; i++) {
		if (ehttp_role_https(&f->r[i]))
			https_role = 1;
		if (ehttp_role_secured(s, &f->r[i]))
			covered = 1;
	}
	eh = ehttp_site_enhanced(&s->sec);
	if (has_pki)
		pki_why = cert_unusable(pki, now, pki_bad, sizeof pki_bad);
	if (has_role) {
		role_why = cert_unusable(role, now, role_bad, sizeof role_bad);
		if (f->root != NULL && f->root->blocked) {
			sv->root_blocked = 1;
			role_why = "signed by a blocked SMS Issuing";
		}
		if (!s->sec.enhanced_http)
			role_why = "enhanced HTTP is off";
	}
	sv->needs_tls = https_role || (eh && covered) || has_pki;

	if (has_pki && pki_why == NULL) {
		sv->state = EHTTP_SERVE_PKI;
		sv->cert = *pki;
		snprintf(sv->state_text, sizeof sv->state_text, "PKI");
		snprintf(sv->reason, sizeof sv->reason, "%s serves its PKI"
		    " certificate (issued by %s).", y->fqdn, pki->issued_by);
	} else if (has_role && role_why == NULL) {
		sv->cert = *role;
		if (has_pki) {
			sv->state = EHTTP_SERVE_FALLBACK;
			snprintf(sv->state_text, sizeof sv->state_text,
			    "site-issued (PKI %s: fallback)", pki->blocked ?
			    "blocked" : pki->not_after < now ? "expired" :
			    "not yet valid");
			snprintf(sv->reason, sizeof sv->reason, "The PKI"
			    " certificate of %s (thumbprint %s) is %s: serving"
			    " the site-issued certificate as a fallback while"
			    " enhanced HTTP is on; import a new PKI certificate.",
			    y->fqdn, pki->thumbprint, pki_why);
		} else {
			sv->state = EHTTP_SERVE_SITE;
			snprintf(sv->state_text, sizeof sv->state_text,
			    "site-issued");
			snprintf(sv->reason, sizeof sv->reason, "%s serves its"
			    " SMS Role SSL Certificate (enhanced HTTP).", y->fqdn);
		}
	} else if (!sv->needs_tls) {
		sv->state = EHTTP_SERVE_HTTP_ONLY;
		snprintf(sv->state_text, sizeof sv->state_text,
		    "none (HTTP only)");
		if (!eh)
			snprintf(sv->reason, sizeof sv->reason, "%s serves HTTP"
			    " only: enhanced HTTP is off for site %s and it has"
			    " no HTTPS role and no PKI certificate.", y->fqdn,
			    s->code);
		else
			snprintf(sv->reason, sizeof sv->reason, "%s has no"
			    " HTTPS role, no PKI certificate and no role that"
			    " enhanced HTTP secures: it serves HTTP only.",
			    y->fqdn);
	} else {
		sv->state = EHTTP_SERVE_NONE;
		if (sv->root_blocked && !has_pki) {
			snprintf(sv->state_text, sizeof sv->state_text,
			    "none: issuing root blocked");
			snprintf(sv->reason, sizeof sv->reason, "The SMS Issuing"
			    " root of site %s that signed the certificate of %s"
			    " (thumbprint %s) is blocked: renew the root"
			    " (ehttpctl cert renew %s).", s->code, y->fqdn,
			    role->thumbprint, f->root->thumbprint);
		} else if (has_pki) {
			snprintf(sv->state_text, sizeof sv->state_text,
			    "none: PKI %s", pki->blocked ? "blocked" :
			    pki->not_after < now ? "expired" : "not yet valid");
			snprintf(sv->reason, sizeof sv->reason, "The PKI"
			    " certificate of %s (thumbprint %s) is %s and %s;"
			    " import a new PKI certificate.", y->fqdn,
			    pki->thumbprint, pki_why, !eh || !covered ? "no"
			    " site-issued certificate can take over (enhanced"
			    " HTTP does not cover it)" : sv->root_blocked ?
			    "the site-issued one is signed by a blocked SMS"
			    " Issuing" : has_role ? "its site-issued certificate"
			    " cannot be served either" : "no site-issued"
			    " certificate has been issued yet");
			sv->can_fall_back = eh && covered && !has_role;
		} else if (https_role && !(eh && covered)) {
			snprintf(sv->state_text, sizeof sv->state_text,
			    "none: HTTPS without PKI certificate");
			snprintf(sv->reason, sizeof sv->reason, "%s has an HTTPS"
			    " role but no PKI certificate: import one (ehttpctl"
			    " cert import-pki %s ...).", y->fqdn, y->fqdn);
		} else {
			snprintf(sv->state_text, sizeof sv->state_text,
			    "none: no site-issued certificate");
			snprintf(sv->reason, sizeof sv->reason, "%s has no"
			    " usable SMS Role SSL Certificate%s%s%s.", y->fqdn,
			    has_role ? " (" : "", has_role ? role_why : "",
			    has_role ? ")" : "");
			sv->can_fall_back = !has_role;
		}
	}
	sv->has_cert = sv->state == EHTTP_SERVE_PKI ||
	    sv->state == EHTTP_SERVE_SITE || sv->state == EHTTP_SERVE_FALLBACK;
	sv->health = sv->state == EHTTP_SERVE_NONE ? EHTTP_HEALTH_ERROR :
	    sv->state == EHTTP_SERVE_FALLBACK ? EHTTP_HEALTH_WARNING :
	    EHTTP_HEALTH_OK;
}

int
ehttp_system_serving(struct ehttp *e, int64_t system_id,
    struct ehttp_serving *sv)
{
	struct db_system y;
	struct db_site s;
	struct db_role *r = NULL;
	struct db_cert pki, role, root;
	struct serving_facts f;
	size_t nr = 0;
	int has_pki, has_role, has_root = 0;

	memset(sv, 0, sizeof *sv);
	if (ehttp_system_by_id(e, system_id, &y) == -1 ||
	    ehttp_site_by_id(e, y.site_id, &s) == -1)
		return -1;
	if (db_role_list(e->db, 0, y.id, &r, &nr) == -1)
		return ehttp_fail_db(e);
	if ((has_pki = db_cert_active(e->db, y.id, "pki", &pki)) == -1 ||
	    (has_role = db_cert_active(e->db, y.id, "role", &role)) == -1 ||
	    (has_role && (has_root = db_cert_get(e->db, role.issuer_id,
	    &root)) == -1)) {
		free(r);
		return ehttp_fail_db(e);
	}
	f = (struct serving_facts){ &y, &s, r, nr, has_pki ? &pki : NULL,
	    has_role ? &role : NULL, has_root == 1 ? &root : NULL };
	serving_decide(&f, time(NULL), sv);
	free(r);
	return 0;
}

/* What ehttp_serving_list() reads, in one snapshot. */
struct serving_read {
	struct db_system	*ys;
	struct db_site		*ss;
	struct db_role		*rs;	/* in ys's order of systems */
	struct db_cert		*cs;	/* sorted by system, then type */
	struct db_cert		*roots;	/* those that signed cs, by id */
	size_t			 ny, ns, nr, nc, nroots;
};

/* The first of rd->cs (sorted by system) of that system, or rd->nc. */
static size_t
first_cert(const struct serving_read *rd, int64_t system_id)
{
	size_t lo = 0, hi = rd->nc;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rd->cs[mid].system_id < system_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct db_cert *
root_of(const struct serving_read *rd, int64_t id)
{
	for (size_t i = 0; i < rd->nroots; i++)
		if (rd->roots[i].id == id)
			return &rd->roots[i];
	return NULL;
}

/* The roots that signed the role certificates: a few per site, each read
 * once (one that is gone is kept as not blocked, as a single read finds). */
static int
read_roots(struct ehttp *e, struct serving_read *rd)
{
	struct db_cert c;
	int rc;

	for (size_t i = 0; i < rd->nc; i++) {
		if (strcmp(rd->cs[i].type, "role") != 0 ||
		    rd->cs[i].issuer_id == 0 ||
		    root_of(rd, rd->cs[i].issuer_id) != NULL)
			continue;
		if ((rc = db_cert_get(e->db, rd->cs[i].issuer_id, &c)) == -1)
			return -1;
		if (rc == 0) {
			memset(&c, 0, sizeof c);
			c.id = rd->cs[i].issuer_id;
		}
		rd->roots = xreallocarray(rd->roots, rd->nroots + 1,
		    sizeof *rd->roots);
		rd->roots[rd->nroots++] = c;
	}
	return 0;
}

static int
serving_read(struct ehttp *e, int64_t site_id, struct serving_read *rd)
{
	struct db *db = e->db;
	int began, rc = 0;

	if ((began = db_begin_read(db)) == -1)
		return -1;
	if (db_system_list(db, site_id, &rd->ys, &rd->ny) == -1 ||
	    db_site_list(db, &rd->ss, &rd->ns) == -1 ||
	    db_role_list(db, site_id, 0, &rd->rs, &rd->nr) == -1 ||
	    db_cert_serving(db, site_id, &rd->cs, &rd->nc) == -1 ||
	    read_roots(e, rd) == -1)
		rc = -1;
	if (began)
		db_rollback(db);
	return rc;
}

static void
serving_read_free(struct serving_read *rd)
{
	free(rd->ys);
	free(rd->ss);
	free(rd->rs);
	free(rd->cs);
	free(rd->roots);
}

/* The facts of rd->ys[i]; f->s NULL if its site was not read. Its roles
 * start at *r: the role list and the system list come in the same order
 * of systems (site code, FQDN) from one snapshot, so each system's roles
 * follow the previous system's. */
static void
serving_facts_of(const struct serving_read *rd, size_t i, size_t *r,
    struct serving_facts *f)
{
	const struct db_system *y = &rd->ys[i];

	memset(f, 0, sizeof *f);
	f->y = y;
	for (size_t k = 0; k < rd->ns && f->s == NULL; k++)
		if (rd->ss[k].id == y->site_id)
			f->s = &rd->ss[k];
	f->r = *r < rd->nr ? &rd->rs[*r] : NULL;
	while (*r < rd->nr && rd->rs[*r].system_id == y->id) {
		f->nr++;
		(*r)++;
	}
	for (size_t c = first_cert(rd, y->id); c < rd->nc &&
	    rd->cs[c].system_id == y->id; c++) {
		if (strcmp(rd->cs[c].type, "pki") == 0)
			f->pki = &rd->cs[c];
		else if (strcmp(rd->cs[c].type, "role") == 0) {
			f->role = &rd->cs[c];
			f->root = root_of(rd, rd->cs[c].issuer_id);
		}
	}
}

/* A system whose site was not read (it cannot be: one snapshot, and a
 * foreign key) is shown as unknown, not left out. */
static void
serving_unknown(const struct db_system *y, struct ehttp_serving *sv)
{
	memset(sv, 0, sizeof *sv);
	sv->state = EHTTP_SERVE_NONE;
	sv->health = EHTTP_HEALTH_ERROR;
	snprintf(sv->state_text, sizeof sv->state_text, "unknown");
	snprintf(sv->reason, sizeof sv->reason, "site %lld of %s: no such site",
	    (long long)y->site_id, y->fqdn);
}

int
ehttp_serving_list(struct ehttp *e, int64_t site_id,
    struct ehttp_serving_row **out, size_t *n, struct db_role **roles)
{
	struct serving_read rd;
	struct serving_facts f;
	struct ehttp_serving_row *v;
	time_t now = time(NULL);
	size_t r = 0;

	*out = NULL;
	*n = 0;
	if (roles != NULL)
		*roles = NULL;
	memset(&rd, 0, sizeof rd);
	if (serving_read(e, site_id, &rd) == -1) {
		serving_read_free(&rd);
		return ehttp_fail_db(e);
	}
	v = xcalloc(rd.ny ? rd.ny : 1, sizeof *v);
	for (size_t i = 0; i < rd.ny; i++) {
		serving_facts_of(&rd, i, &r, &f);
		v[i].sys = rd.ys[i];
		if (f.s == NULL)
			serving_unknown(&rd.ys[i], &v[i].sv);
		else
			serving_decide(&f, now, &v[i].sv);
		if (roles != NULL) {
			v[i].roles = f.r;
			v[i].nroles = f.nr;
		}
	}
	if (roles != NULL) {
		*roles = rd.rs;		/* the rows' roles are in it */
		rd.rs = NULL;
	}
	serving_read_free(&rd);
	*out = v;
	*n = rd.ny;
	return 0;
}
