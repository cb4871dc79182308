/* model: sites, site systems and roles, with the hierarchy rules. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "ehttp-int.h"
#include "xmalloc.h"

#define WHY(e)	(e)->err, sizeof (e)->err

int
ehttp_found(struct ehttp *e, int rc, const char *fmt, ...)
{
	va_list ap;

	if (rc == -1)
		return ehttp_fail_db(e);
	if (rc == 0) {
		va_start(ap, fmt);
		vsnprintf(e->err, sizeof e->err, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int
ehttp_end(struct ehttp *e, int rc)
{
	if (rc == -1) {
		ehttp_rollback(e);
		return -1;
	}
	return ehttp_commit(e);
}

int
ehttp_site_resolve(struct ehttp *e, const char *code_in, struct db_site *s)
{
	char code[4];

	if (rules_site_code(code_in, code, WHY(e)) == -1)
		return 0;
	return ehttp_found(e, db_site_get(e->db, code, s),
	    "site code '%s': no such site", code);
}

int
ehttp_system_resolve(struct ehttp *e, const char *fqdn_in,
    struct db_system *y)
{
	char fqdn[256];

	if (rules_fqdn(fqdn_in, fqdn, WHY(e)) == -1)
		return 0;
	return ehttp_found(e, db_system_get(e->db, fqdn, y),
	    "FQDN '%s': no such site system", fqdn);
}

int
ehttp_site_by_id(struct ehttp *e, int64_t id, struct db_site *s)
{
	return ehttp_found(e, db_site_get_id(e->db, id, s), "site %lld: no"
	    " such site (it was removed)", (long long)id) == 1 ? 0 : -1;
}

int
ehttp_system_by_id(struct ehttp *e, int64_t id, struct db_system *y)
{
	return ehttp_system_get(e, id, y) == 1 ? 0 : -1;
}

/* The string forms for the write operations that take a name: resolved
 * once, at the start of the operation. */
static int
site_lookup(struct ehttp *e, const char *code, struct db_site *s)
{
	return ehttp_site_resolve(e, code, s) == 1 ? 0 : -1;
}

static int
system_lookup(struct ehttp *e, const char *fqdn, struct db_system *y)
{
	return ehttp_system_resolve(e, fqdn, y) == 1 ? 0 : -1;
}

/* Sites. */

static int
site_add_locked(struct ehttp *e, const char *code_in, const char *name,
    const char *type_in, const char *parent_in)
{
	struct db_site s, p, *all = NULL;
	enum db_site_type type;
	size_t n;
	int rc;

	memset(&s, 0, sizeof s);
	if (rules_site_code(code_in, s.code, WHY(e)) == -1 ||
	    rules_site_name(name, WHY(e)) == -1 ||
	    rules_site_type(type_in, &type, WHY(e)) == -1)
		return -1;
	snprintf(s.name, sizeof s.name, "%s", name);
	s.type = type;
	if ((rc = db_site_get(e->db, s.code, &p)) == -1)
		return ehttp_fail_db(e);
	if (rc == 1)
		return ehttp_fail(e, "site code '%s': already used by site '%s'",
		    s.code, p.name);
	if (parent_in != NULL && *parent_in != '\0') {
		if (type == DB_SITE_CAS)
			return ehttp_fail(e, "parent: a central administration"
			    " site is the top of the hierarchy and has no parent");
		if (site_lookup(e, parent_in, &p) == -1)
			return ehttp_fail(e, "parent: %s", e->err);
		if (type == DB_SITE_PRIMARY && p.type != DB_SITE_CAS)
			return ehttp_fail(e, "parent '%s': a primary site can only"
			    " be attached to a central administration site", p.code);
		if (type == DB_SITE_SECONDARY && p.type != DB_SITE_PRIMARY)
			return ehttp_fail(e, "parent '%s': a secondary site must be"
			    " attached to a primary site", p.code);
		s.parent_id = p.id;
	} else if (type == DB_SITE_SECONDARY)
		return ehttp_fail(e, "parent: a secondary site needs a primary"
		    " site as parent (--parent CODE)");
	if (type == DB_SITE_CAS) {
		if (db_site_list(e->db, &all, &n) == -1)
			return ehttp_fail_db(e);
		for (size_t i = 0; i < n; i++)
			if (all[i].type == DB_SITE_CAS) {
				rc = ehttp_fail(e, "type: the hierarchy already has a"
				    " central administration site (%s)", all[i].code);
				free(all);
				return rc;
			}
		free(all);
	}
	s.sec.crl_check = 1;
	snprintf(s.sec.key_alg, sizeof s.sec.key_alg, "rsa2048");
	if (db_site_insert(e->db, &s) == -1)
		return ehttp_fail_db(e);
	return ehttp_record(e, s.id, "info", "site add", s.code,
	    "Site %s (%s, %s%s%s) was added.", s.code, s.name,
	    rules_site_type_name(type), s.parent_id ? ", parent " : "",
	    s.parent_id ? p.code : "");
}

int
ehttp_site_add(struct ehttp *e, const char *code, const char *name,
    const char *type, const char *parent)
{
	if (ehttp_begin(e) == -1)
		return -1;
	return ehttp_end(e, site_add_locked(e, code, name, type, parent));
}

int
ehttp_site_get(struct ehttp *e, int64_t id, struct db_site *s)
{
	return ehttp_site_by_id(e, id, s);
}

int
ehttp_site_list(struct ehttp *e, struct db_site **v, size_t *n)
{
	return db_site_list(e->db, v, n) == -1 ? ehttp_fail_db(e) : 0;
}

void
ehttp_security_change_init(struct ehttp_security_change *c)
{
	c->https_only = c->enhanced_http = c->pki_client_cert = -1;
	c->crl_check = c->require_signing = c->require_sha256 = -1;
	c->use_encryption = -1;
	c->key_alg = NULL;
}

static void
describe_security(const struct db_security *x, char *buf, size_t len)
{
	snprintf(buf, len, "client communication %s, enhanced HTTP %s, PKI"
	    " client certificate %s, CRL check %s, IISSSLState %d",
	    x->https_only ? "HTTPS only" : "HTTPS or HTTP",
	    x->enhanced_http ? "on" : "off", x->pki_client_cert ? "on" : "off",
	    x->crl_check ? "on" : "off", ehttp_iisssl_state(x));
}

/* The settings after a change, or -1 with the reason. No writes. */
static int
security_after(struct ehttp *e, const struct db_site *s,
    const struct ehttp_security_change *c, struct db_security *out)
{
	struct db_security x = s->sec;
	enum ca_keyalg alg;

#define APPLY(f) if (c->f != -1) x.f = c->f != 0
	APPLY(https_only);
	APPLY(enhanced_http);
	APPLY(pki_client_cert);
	APPLY(crl_check);
	APPLY(require_signing);
	APPLY(require_sha256);
	APPLY(use_encryption);
#undef APPLY
	if (c->key_alg != NULL) {
		if (ca_keyalg_parse(c->key_alg, &alg) == -1)
			return ehttp_fail(e, "key algorithm '%s': must be rsa2048,"
			    " rsa3072 or ec-p256", c->key_alg);
		memset(x.key_alg, 0, sizeof x.key_alg);
		snprintf(x.key_alg, sizeof x.key_alg, "%s", ca_keyalg_name(alg));
	}
	if (x.https_only && x.enhanced_http)
		return ehttp_fail(e, "enhanced HTTP: site %s is HTTPS only;"
		    " Configuration Manager-generated certificates are for HTTP"
		    " site systems (choose https-or-http first)", s->code);
	if (x.https_only) {
		if (c->pki_client_cert == 0)
			return ehttp_fail(e, "PKI client certificate: always on"
			    " when the site is HTTPS only");
		x.pki_client_cert = 1;
	}
	if (s->type != DB_SITE_PRIMARY && (x.require_signing !=
	    s->sec.require_signing || x.require_sha256 != s->sec.require_sha256 ||
	    x.use_encryption != s->sec.use_encryption))
		return ehttp_fail(e, "signing and encryption: only primary sites"
		    " have these settings (site %s is a %s)", s->code,
		    rules_site_type_name(s->type));
	if (x.require_sha256 && !x.require_signing)
		return ehttp_fail(e, "require SHA-256: needs require signing on");
	*out = x;
	return 0;
}

static int
set_security_locked(struct ehttp *e, int64_t site_id,
    const struct ehttp_security_change *c)
{
	struct db_site s;
	struct db_security x;
	struct ehttp_note *w = NULL;
	size_t nw;
	char desc[256];
	int was_on;

	if (ehttp_site_by_id(e, site_id, &s) == -1 ||
	    security_after(e, &s, c, &x) == -1)
		return -1;
	if (memcmp(&x, &s.sec, sizeof x) == 0) {
		ehttp_note(e, EHTTP_NOTE_INFO, "Site %s: nothing to change.", s.code);
		return 0;
	}
	if (db_site_set_security(e->db, s.id, &x) == -1)
		return ehttp_fail_db(e);
	describe_security(&x, desc, sizeof desc);
	if (ehttp_record(e, s.id, "info", "site set", s.code,
	    "Site %s Communication Security changed: %s.", s.code, desc) == -1)
		return -1;
	ehttp_note(e, EHTTP_NOTE_INFO, "Site %s: %s.", s.code, desc);
	was_on = s.sec.enhanced_http;
	s.sec = x;
	if (issue_reconcile(e, s.id) == -1)
		return -1;
	if (was_on == x.enhanced_http)
		return 0;
	issue_explain(e, &s);
	/* The prerequisites and deprecation, shown and recorded. */
	if (ehttp_site_warnings(e, &s, &w, &nw) == -1)
		return -1;
	for (size_t i = 0; i < nw; i++) {
		ehttp_note(e, EHTTP_NOTE_WARNING, "%s", w[i].text);
		if (db_status_add(e->db, s.id, 0, "warning",
		    DB_ADMIN_COMPONENT, w[i].text) == -1) {
			free(w);
			return ehttp_fail_db(e);
		}
	}
	free(w);
	return 0;
}

int
ehttp_site_set_security(struct ehttp *e, int64_t site_id,
    const struct ehttp_security_change *c)
{
	struct db_site s;
	struct db_security x;
	int rc;

	/* Validate first, then sign what is needed without the write lock. */
	ehttp_notes_clear(e);
	if (ehttp_site_by_id(e, site_id, &s) == -1 ||
	    security_after(e, &s, c, &x) == -1)
		return -1;
	if (!s.sec.enhanced_http && issue_prepare(e, s.id, &x) == -1)
		return -1;
	if ((rc = ehttp_begin(e)) == 0)
		rc = ehttp_end(e, set_security_locked(e, site_id, c));
	issue_finish(e, rc == -1);
	return rc;
}

int
ehttp_site_plan(struct ehttp *e, int64_t site_id,
    const struct ehttp_security_change *c, struct ehttp_plan *plan)
{
	struct db_site s;

	memset(plan, 0, sizeof *plan);
	if (ehttp_site_by_id(e, site_id, &s) == -1 || security_after(e, &s, c,
	    &s.sec) == -1)
		return -1;
	return issue_plan(e, &s, 0, plan);
}

int
ehttp_cert_renew_plan(struct ehttp *e, int64_t id, struct ehttp_plan *plan)
{
	struct db_cert c;
	struct db_site s;

	memset(plan, 0, sizeof *plan);
	if (ehttp_cert_by_id(e, id, &c) == -1)
		return -1;
	if (strcmp(c.type, "root") == 0) {
		if (ehttp_site_by_id(e, c.site_id, &s) == -1)
			return -1;
		return issue_plan(e, &s, 1, plan);
	}
	if (strcmp(c.type, "role") == 0 && strcmp(c.state, "active") == 0) {
		plan->issue = 1;
		plan->retire = 1;
	}
	if (strcmp(c.type, "token") == 0 && strcmp(c.state, "active") == 0) {
		plan->token_issue = 1;
		plan->token_retire = 1;
	}
	return 0;
}

static void
warn_push(struct ehttp_note **v, size_t *n, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
warn_push(struct ehttp_note **v, size_t *n, size_t *cap, const char *fmt, ...)
{
	va_list ap;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*v = xreallocarray(*v, *cap, sizeof **v);
	}
	(*v)[*n].kind = EHTTP_NOTE_WARNING;
	va_start(ap, fmt);
	vsnprintf((*v)[*n].text, sizeof (*v)[*n].text, fmt, ap);
	va_end(ap);
	(*n)++;
}

int
ehttp_site_warnings(struct ehttp *e, const struct db_site *s,
    struct ehttp_note **out, size_t *n)
{
	struct db_role *r = NULL;
	struct ehttp_note *v = NULL;
	size_t nr, cap = 0, mp_http = 0, mps = 0;

	*n = 0;
	if (db_role_list(e->db, s->id, 0, &r, &nr) == -1)
		return ehttp_fail_db(e);
	for (size_t i = 0; i < nr; i++) {
		if (strcmp(r[i].role, "mp") == 0) {
			mps++;
			if (strcmp(r[i].connection, "http") == 0)
				mp_http++;
		}
		if (strcmp(r[i].role, "dp") == 0 && r[i].allow_anonymous == 1 &&
		    s->sec.enhanced_http)
			warn_push(&v, n, &cap, "Distribution point %s allows"
			    " anonymous connections: turn it off for enhanced"
			    " HTTP.", r[i].fqdn);
	}
	if (s->sec.enhanced_http && s->type != DB_SITE_CAS && mp_http == 0)
		warn_push(&v, n, &cap, "No management point for HTTP in site %s:"
		    " enhanced HTTP has nothing to secure for clients.", s->code);
	if (!s->sec.https_only && !s->sec.enhanced_http && s->type != DB_SITE_CAS)
		warn_push(&v, n, &cap, "Deprecated configuration: site %s allows"
		    " HTTP without enhanced HTTP.", s->code);
	if (s->type == DB_SITE_SECONDARY && mps != 1)
		warn_push(&v, n, &cap, "Secondary site %s has %zu management"
		    " points; it must have exactly one.", s->code, mps);
	free(r);
	*out = v;
	return 0;
}

/* Site systems. */

static int
system_add_locked(struct ehttp *e, const char *fqdn_in, const char *site)
{
	struct db_system y, other;
	struct db_site s;
	int rc;

	memset(&y, 0, sizeof y);
	if (rules_fqdn(fqdn_in, y.fqdn, WHY(e)) == -1 ||
	    site_lookup(e, site, &s) == -1)
		return -1;
	if ((rc = db_system_get(e->db, y.fqdn, &other)) == -1)
		return ehttp_fail_db(e);
	if (rc == 1)
		return ehttp_fail(e, "FQDN '%s': already a site system of site"
		    " %s", y.fqdn, other.site_code);
	y.site_id = s.id;
	if (db_system_insert(e->db, &y) == -1)
		return ehttp_fail_db(e);
	return ehttp_record(e, s.id, "info", "system add", y.fqdn,
	    "Site system %s was added to site %s.", y.fqdn, s.code);
}

int
ehttp_system_add(struct ehttp *e, const char *fqdn, const char *site)
{
	if (ehttp_begin(e) == -1)
		return -1;
	return ehttp_end(e, system_add_locked(e, fqdn, site));
}

static int
system_remove_locked(struct ehttp *e, const char *fqdn, char *login,
    size_t len)
{
	struct db_system y;
	size_t revoked;

	if (system_lookup(e, fqdn, &y) == -1)
		return -1;
	/* Its agent's database login goes first: the cascade would take
	 * the row naming it and leave the role able to log in. */
	if (agent_login_revoke_locked(e, y.id, login, len) == -1)
		return -1;
	if (db_cert_retire_roles(e->db, y.site_id, y.id, "revoked",
	    &revoked) == -1 || db_system_delete(e->db, y.id) == -1)
		return ehttp_fail_db(e);
	if (revoked > 0)
		ehttp_note(e, EHTTP_NOTE_INFO, "Revoked %zu certificate%s of %s.",
		    revoked, revoked == 1 ? "" : "s", y.fqdn);
	return ehttp_record(e, y.site_id, "info", "system remove", y.fqdn,
	    "Site system %s was removed from site %s (%zu certificate%s"
	    " revoked).", y.fqdn, y.site_code, revoked, revoked == 1 ? "" : "s");
}

int
ehttp_system_remove(struct ehttp *e, const char *fqdn)
{
	char login[64] = "";

	if (ehttp_begin(e) == -1)
		return -1;
	if (ehttp_end(e, system_remove_locked(e, fqdn, login,
	    sizeof login)) == -1)
		return -1;
	if (login[0] != '\0')
		agent_login_end_sessions(e, login);
	return 0;
}

int
ehttp_system_get(struct ehttp *e, int64_t id, struct db_system *y)
{
	return ehttp_found(e, db_system_get_id(e->db, id, y), "site system"
	    " %lld: no such site system (it was removed)", (long long)id);
}

int
ehttp_system_list(struct ehttp *e, int64_t site_id, struct db_system **v,
    size_t *n)
{
	return db_system_list(e->db, site_id, v, n) == -1 ? ehttp_fail_db(e) : 0;
}

/* Roles. */

static int
role_check_options(struct ehttp *e, const char *role, const char *connection,
    int allow_anonymous, int allow_propfind)
{
	const struct ehttp_role_info *ri = ehttp_role_info(role);

	if (connection != NULL) {
		if (!ri->connection)
			return ehttp_fail(e, "connection: the %s role has no"
			    " client connection setting (only mp and dp)",
			    rules_role_title(role));
		if (strcmp(connection, "http") != 0 &&
		    strcmp(connection, "https") != 0)
			return ehttp_fail(e, "connection '%s': must be http or"
			    " https", connection);
	}
	if (allow_anonymous != -1 && !ri->anonymous)
		return ehttp_fail(e, "allow anonymous: only a distribution point"
		    " has this setting");
	if (allow_propfind != -1 && !ri->anonymous)
		return ehttp_fail(e, "allow PROPFIND: only a distribution point"
		    " has this setting");
	return 0;
}

static int
role_add_locked(struct ehttp *e, const char *fqdn, const char *role,
    const char *connection, int allow_anonymous, int allow_propfind)
{
	struct db_system y;
	struct db_site s;
	struct db_role r, *all = NULL;
	size_t n, mps = 0;
	int rc;

	if (system_lookup(e, fqdn, &y) == -1 || rules_role(role, WHY(e)) == -1 ||
	    role_check_options(e, role, connection, allow_anonymous,
	    allow_propfind) == -1)
		return -1;
	if (ehttp_site_by_id(e, y.site_id, &s) == -1)
		return -1;
	if ((rc = db_role_get(e->db, y.id, role, &r)) == -1)
		return ehttp_fail_db(e);
	if (rc == 1)
		return ehttp_fail(e, "role '%s': %s already hosts the %s", role,
		    y.fqdn, rules_role_title(role));
	if (s.type == DB_SITE_CAS && !ehttp_role_info(role)->on_cas)
		return ehttp_fail(e, "role '%s': site %s is a central"
		    " administration site, which hosts no %s", role, s.code,
		    rules_role_title(role));
	if (s.type == DB_SITE_SECONDARY && strcmp(role, "mp") == 0) {
		if (db_role_list(e->db, s.id, 0, &all, &n) == -1)
			return ehttp_fail_db(e);
		for (size_t i = 0; i < n; i++)
			mps += strcmp(all[i].role, "mp") == 0;
		free(all);
		if (mps > 0)
			return ehttp_fail(e, "role 'mp': secondary site %s already"
			    " has its one management point", s.code);
	}
	memset(&r, 0, sizeof r);
	r.system_id = y.id;
	snprintf(r.role, sizeof r.role, "%s", role);
	r.allow_anonymous = -1;
	r.allow_propfind = -1;
	if (ehttp_role_info(role)->connection)
		snprintf(r.connection, sizeof r.connection, "%s",
		    connection != NULL ? connection : "http");
	if (ehttp_role_info(role)->anonymous) {
		r.allow_anonymous = allow_anonymous == 1;
		r.allow_propfind = allow_propfind != 0;
	}
	if (db_role_insert(e->db, &r) == -1)
		return ehttp_fail_db(e);
	if (ehttp_record(e, s.id, "info", "role add", y.fqdn, "Role %s%s%s%s"
	    " was added to %s%s.", rules_role_title(role),
	    r.connection[0] ? " (" : "", r.connection, r.connection[0] ? ")" : "",
	    y.fqdn, r.allow_propfind == 0 ? ", refusing WebDAV listings"
	    " (PROPFIND)" : "") == -1)
		return -1;
	return issue_reconcile(e, s.id);
}

int
ehttp_role_add(struct ehttp *e, const char *fqdn, const char *role,
    const char *connection, int allow_anonymous, int allow_propfind)
{
	if (ehttp_begin(e) == -1)
		return -1;
	return ehttp_end(e, role_add_locked(e, fqdn, role, connection,
	    allow_anonymous, allow_propfind));
}

static int
role_find(struct ehttp *e, const char *fqdn, const char *role,
    struct db_system *y, struct db_role *r)
{
	if (system_lookup(e, fqdn, y) == -1 || rules_role(role, WHY(e)) == -1)
		return -1;
	return ehttp_found(e, db_role_get(e->db, y->id, role, r), "role '%s':"
	    " %s does not host the %s", role, y->fqdn,
	    rules_role_title(role)) == 1 ? 0 : -1;
}

static int
role_set_locked(struct ehttp *e, const char *fqdn, const char *role,
    const char *connection, int allow_anonymous, int allow_propfind)
{
	struct db_system y;
	struct db_role r;

	if (role_find(e, fqdn, role, &y, &r) == -1 ||
	    role_check_options(e, role, connection, allow_anonymous,
	    allow_propfind) == -1)
		return -1;
	if (connection == NULL && allow_anonymous == -1 && allow_propfind == -1)
		return ehttp_fail(e, "role set: nothing to change (give"
		    " --connection, --allow-anonymous or --allow-propfind)");
	if (connection != NULL)
		snprintf(r.connection, sizeof r.connection, "%s", connection);
	if (allow_anonymous != -1)
		r.allow_anonymous = allow_anonymous;
	if (allow_propfind != -1)
		r.allow_propfind = allow_propfind != 0;
	if (db_role_update(e->db, &r) == -1)
		return ehttp_fail_db(e);
	if (ehttp_record(e, y.site_id, "info", "role set", y.fqdn, "Role %s on"
	    " %s: connection %s%s%s.", rules_role_title(role), y.fqdn,
	    r.connection[0] ? r.connection : "n/a", r.allow_anonymous == -1 ? "" :
	    r.allow_anonymous ? ", allows anonymous connections" :
	    ", no anonymous connections", r.allow_propfind == -1 ? "" :
	    r.allow_propfind ? ", allows WebDAV listings (PROPFIND)" :
	    ", refuses WebDAV listings (PROPFIND)") == -1)
		return -1;
	return issue_reconcile(e, y.site_id);
}

int
ehttp_role_set(struct ehttp *e, const char *fqdn, const char *role,
    const char *connection, int allow_anonymous, int allow_propfind)
{
	if (ehttp_begin(e) == -1)
		return -1;
	return ehttp_end(e, role_set_locked(e, fqdn, role, connection,
	    allow_anonymous, allow_propfind));
}

static int
role_remove_locked(struct ehttp *e, const char *fqdn, const char *role)
{
	struct db_system y;
	struct db_site s;
	struct db_role r;

	if (role_find(e, fqdn, role, &y, &r) == -1)
		return -1;
	if (strcmp(role, "mp") == 0 && db_site_get_id(e->db, y.site_id, &s) ==
	    1 && s.type == DB_SITE_SECONDARY)
		return ehttp_fail(e, "role 'mp': secondary site %s must keep its"
		    " one management point (move it by adding the role on the new"
		    " server after removing the old server)", s.code);
	if (db_role_delete(e->db, r.id) == -1)
		return ehttp_fail_db(e);
	if (ehttp_record(e, y.site_id, "info", "role remove", y.fqdn,
	    "Role %s was removed from %s.", rules_role_title(role), y.fqdn) == -1)
		return -1;
	return issue_reconcile(e, y.site_id);
}

int
ehttp_role_remove(struct ehttp *e, const char *fqdn, const char *role)
{
	if (ehttp_begin(e) == -1)
		return -1;
	return ehttp_end(e, role_remove_locked(e, fqdn, role));
}

int
ehttp_role_list(struct ehttp *e, int64_t site_id, int64_t system_id,
    struct db_role **v, size_t *n)
{
	return db_role_list(e->db, site_id, system_id, v, n) == -1 ?
	    ehttp_fail_db(e) : 0;
}

int
ehttp_status_list(struct ehttp *e, int64_t site_id, int64_t system_id,
    size_t limit, struct db_status **v, size_t *n)
{
	return db_status_list(e->db, site_id, system_id, limit, v, n) == -1 ?
	    ehttp_fail_db(e) : 0;
}

int
ehttp_agent_list(struct ehttp *e, int64_t site_id, struct db_agent **v,
    size_t *n)
{
	return db_agent_list(e->db, site_id, v, n) == -1 ? ehttp_fail_db(e) : 0;
}

int
ehttp_agent_get(struct ehttp *e, int64_t system_id, struct db_agent *a)
{
	int rc = db_agent_get(e->db, system_id, a);

	return rc == -1 ? ehttp_fail_db(e) : rc;
}

int
ehttp_audit_list(struct ehttp *e, size_t limit, struct db_audit **v, size_t *n)
{
	return db_audit_list(e->db, limit, v, n) == -1 ? ehttp_fail_db(e) : 0;
}

/* The demo hierarchy of `ehttpctl init --demo`. */
static const struct {
	const char *code, *name, *type, *parent;
} demo_sites[] = {
	{ "CAS", "Contoso-Central", "cas", NULL },
	{ "P01", "Contoso-East", "primary", "CAS" },
	{ "P02", "Contoso-West", "primary", "CAS" },
	{ "S01", "Contoso-Branch", "secondary", "P01" },
};

static const struct {
	const char *fqdn, *site, *role, *connection;
	int anonymous;
} demo_roles[] = {
	{ "cas.contoso.com", "CAS", "provider", NULL, -1 },
	{ "p01.contoso.com", "P01", "provider", NULL, -1 },
	{ "p01.contoso.com", "P01", "mp", "http", -1 },
	{ "mp2.p01.contoso.com", "P01", "mp", "http", -1 },
	{ "dp1.p01.contoso.com", "P01", "dp", "http", 0 },
	{ "dp2.p01.contoso.com", "P01", "dp", "http", 1 },
	{ "rsp.p01.contoso.com", "P01", "rsp", NULL, -1 },
	{ "sup.p01.contoso.com", "P01", "sup", NULL, -1 },
	{ "p02.contoso.com", "P02", "provider", NULL, -1 },
	{ "p02.contoso.com", "P02", "mp", "https", -1 },
	{ "dp1.p02.contoso.com", "P02", "dp", "https", 0 },
	{ "s01.contoso.com", "S01", "mp", "http", -1 },
	{ "s01.contoso.com", "S01", "dp", "http", 0 },
};

static int
init_demo_locked(struct ehttp *e)
{
	struct ehttp_security_change c;
	struct db_system y;
	struct db_site p02;
	size_t i;

	for (i = 0; i < sizeof demo_sites / sizeof *demo_sites; i++)
		if (site_add_locked(e, demo_sites[i].code, demo_sites[i].name,
		    demo_sites[i].type, demo_sites[i].parent) == -1)
			return -1;
	for (i = 0; i < sizeof demo_roles / sizeof *demo_roles; i++) {
		if (db_system_get(e->db, demo_roles[i].fqdn, &y) == 0 &&
		    system_add_locked(e, demo_roles[i].fqdn,
		    demo_roles[i].site) == -1)
			return -1;
		if (role_add_locked(e, demo_roles[i].fqdn, demo_roles[i].role,
		    demo_roles[i].connection, demo_roles[i].anonymous, -1) == -1)
			return -1;
	}
	/* P02 shows the HTTPS-only family (IISSSLState 63). */
	ehttp_security_change_init(&c);
	c.https_only = 1;
	return site_lookup(e, "P02", &p02) == -1 ? -1 :
	    set_security_locked(e, p02.id, &c);
}

int
ehttp_init(struct ehttp *e, int demo)
{
	struct db_site *all = NULL;
	size_t n;

	if (ehttp_master(e, 1) == NULL)
		return -1;
	if (!demo)
		return 0;
	if (ehttp_begin(e) == -1)
		return -1;
	if (db_site_list(e->db, &all, &n) == -1) {
		ehttp_fail_db(e);
		goto fail;
	}
	free(all);
	if (n > 0) {
		ehttp_fail(e, "%s: already holds %zu site%s; the demo needs an"
		    " empty database", db_path(e->db), n, n == 1 ? "" : "s");
		goto fail;
	}
	if (init_demo_locked(e) == -1)
		goto fail;
	return ehttp_commit(e);
fail:
	ehttp_rollback(e);
	return -1;
}
