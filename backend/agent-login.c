/*
 * agent-login: the agents' own database logins (ehttp.h; README "Database
 * roles"). A PostgreSQL site database gives each system's agent a role of
 * its own with an agent's privileges only; db/ (db-login.c, and
 * db/pg/pg-login.c for what they are) makes the roles. SQLite has none:
 * a file's agents read it with the file's permissions.
 */
#include <sys/random.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ehttp-int.h"
#include "hex.h"
#include "timefmt.h"

#define LOGINS_NEED	"database roles need a PostgreSQL site database"

int
ehttp_logins_supported(struct ehttp *e)
{
	return db_login_supported(e->db);
}

/* A new password: EHTTP_LOGIN_PASSWORD_NEW hex digits of the kernel's
 * randomness (safe in a URL and in ~/.pgpass as it is). */
static int
password_new(struct ehttp *e, char *out, size_t len)
{
	unsigned char rnd[EHTTP_LOGIN_PASSWORD_NEW / 2];

	if (len < sizeof rnd * 2 + 1 || getrandom(rnd, sizeof rnd, 0) !=
	    (ssize_t)sizeof rnd)
		return ehttp_fail(e, "no randomness for a password");
	hex_encode(rnd, sizeof rnd, out);
	explicit_bzero(rnd, sizeof rnd);
	return 0;
}

/* A password given: long enough, printable ASCII without blanks. */
static int
password_ok(struct ehttp *e, const char *pw)
{
	size_t n = strlen(pw);

	if (n < EHTTP_LOGIN_PASSWORD_MIN || n >= EHTTP_LOGIN_PASSWORD_MAX)
		return ehttp_fail(e, "the password must have %d to %d"
		    " characters", EHTTP_LOGIN_PASSWORD_MIN,
		    EHTTP_LOGIN_PASSWORD_MAX - 1);
	for (size_t i = 0; i < n; i++)
		if (pw[i] <= ' ' || pw[i] > '~')
			return ehttp_fail(e, "the password must be printable"
			    " ASCII without blanks");
	return 0;
}

/* 0 when the database has logins, else -1 saying so. */
static int
logins_need(struct ehttp *e)
{
	if (db_login_supported(e->db))
		return 0;
	return ehttp_fail(e, "%s (%s is a SQLite file)", LOGINS_NEED,
	    db_path(e->db));
}

/* The password a grant sets: the one given, checked, or a new one made
 * into g->password; NULL after a failure. */
static const char *
password_take(struct ehttp *e, const char *given,
    struct ehttp_agent_grant *g)
{
	if (given != NULL)
		return password_ok(e, given) == -1 ? NULL : given;
	return password_new(e, g->password, sizeof g->password) == -1 ?
	    NULL : g->password;
}

/* In the transaction: the login of y made. */
static int
grant_locked(struct ehttp *e, const struct db_system *y, const char *pw,
    struct ehttp_agent_grant *g)
{
	struct db_agent_login l;
	char group[64], since[32];
	int rc;

	if ((rc = db_login_get(e->db, y->id, &l)) == -1)
		return ehttp_fail_db(e);
	if (rc == 1) {
		timefmt(since, sizeof since, l.created, TIMEFMT_SECOND_UTC);
		return ehttp_fail(e, "%s already has the database login %s"
		    " (since %s): 'ehttpctl db revoke-agent %s' first to"
		    " replace it", y->fqdn, l.role, since, y->fqdn);
	}
	if ((rc = db_login_names(e->db, y->id, group, g->role)) != 1)
		return rc == 0 ? ehttp_fail(e, "%s: no such site system",
		    y->fqdn) : ehttp_fail_db(e);
	if (db_login_setup(e->db, group) == -1 ||
	    db_login_create(e->db, group, g->role, pw) == -1 ||
	    db_login_insert(e->db, g->role, y->id, time(NULL)) == -1)
		return ehttp_fail_db(e);
	ehttp_note(e, EHTTP_NOTE_INFO, "Database login %s for the agent of %s"
	    " (a member of %s).", g->role, y->fqdn, group);
	return ehttp_record(e, y->site_id, "info", "agent login", y->fqdn,
	    "Database login %s granted to the agent of %s.", g->role,
	    y->fqdn);
}

int
ehttp_agent_login_grant(struct ehttp *e, const char *fqdn,
    const char *password, struct ehttp_agent_grant *g)
{
	struct db_system y;
	const char *pw;
	int rc;

	memset(g, 0, sizeof *g);
	ehttp_notes_clear(e);
	if (logins_need(e) == -1)
		return -1;
	if ((rc = ehttp_system_resolve(e, fqdn, &y)) != 1 ||
	    (pw = password_take(e, password, g)) == NULL)
		return -1;
	if (ehttp_begin(e) == -1 || ehttp_end(e, grant_locked(e, &y, pw,
	    g)) == -1)
		goto fail;
	return 0;
fail:
	explicit_bzero(g->password, sizeof g->password);
	return -1;
}

/* In the transaction: 1 the login of system_id disabled and its row gone
 * (l says which), 0 it had none. */
static int
revoke_locked(struct ehttp *e, int64_t system_id, struct db_agent_login *l)
{
	struct db_system y;
	char group[64], role[64];
	int rc;

	if ((rc = db_login_get(e->db, system_id, l)) != 1)
		return rc == 0 ? 0 : ehttp_fail_db(e);
	if ((rc = db_system_get_id(e->db, system_id, &y)) != 1 ||
	    (rc = db_login_names(e->db, system_id, group, role)) != 1)
		return rc == 0 ? 0 : ehttp_fail_db(e);
	if (db_login_disable(e->db, group, l->role) == -1 ||
	    db_login_delete(e->db, system_id) == -1)
		return ehttp_fail_db(e);
	if (ehttp_record(e, y.site_id, "info", "agent login", l->fqdn,
	    "Database login %s of the agent of %s revoked.", l->role,
	    l->fqdn) == -1)
		return -1;
	return 1;
}

int
agent_login_revoke_locked(struct ehttp *e, int64_t system_id, char *role,
    size_t len)
{
	struct db_agent_login l;
	int rc;

	role[0] = '\0';
	if (!db_login_supported(e->db))
		return 0;
	if ((rc = revoke_locked(e, system_id, &l)) == 1)
		snprintf(role, len, "%s", l.role);
	return rc;
}

void
agent_login_end_sessions(struct ehttp *e, const char *role)
{
	size_t ended;

	/* Only after the commit: a session ended before it could log in
	 * again. */
	if (db_login_end_sessions(e->db, role, &ended) == -1) {
		ehttp_note(e, EHTTP_NOTE_WARNING, "Database login %s can no"
		    " longer log in, but its open sessions were not ended: %s",
		    role, db_error(e->db));
		return;
	}
	ehttp_note(e, EHTTP_NOTE_INFO, "Database login %s revoked: it can no"
	    " longer log in; %zu open session%s ended.", role, ended,
	    ended == 1 ? "" : "s");
}

int
ehttp_agent_login_revoke(struct ehttp *e, int64_t system_id)
{
	char role[64];
	int rc;

	ehttp_notes_clear(e);
	if (!db_login_supported(e->db))
		return 0;		/* a file has no logins */
	if (ehttp_begin(e) == -1)
		return -1;
	if ((rc = agent_login_revoke_locked(e, system_id, role,
	    sizeof role)) == -1) {
		ehttp_rollback(e);
		return -1;
	}
	if (ehttp_commit(e) == -1)
		return -1;
	if (rc == 1)
		agent_login_end_sessions(e, role);
	return rc;
}

int
ehttp_agent_login_list(struct ehttp *e, struct db_agent_login **v,
    size_t *n)
{
	*v = NULL;
	*n = 0;
	if (logins_need(e) == -1)
		return -1;
	return db_login_list(e->db, v, n) == -1 ? ehttp_fail_db(e) : 0;
}

/* An administrator's login name: a plain PostgreSQL name that needs no
 * quoting, not one of ehttp's own roles nor the server's. */
static int
admin_name_ok(struct ehttp *e, const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 63 || strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "0123456789_") != n || (name[0] >= '0' && name[0] <= '9'))
		return ehttp_fail(e, "an administrator's login name has 1 to 63"
		    " lower-case letters, digits and _, and does not begin"
		    " with a digit");
	if (strncmp(name, "ehttp_", 6) == 0 || strncmp(name, "pg_", 3) == 0)
		return ehttp_fail(e, "'%s': names that begin with ehttp_ or"
		    " pg_ are ehttp's and the server's own", name);
	return 0;
}

static int
admin_grant_locked(struct ehttp *e, const char *name, int read_only,
    const char *pw)
{
	char full[64], reader[64];

	if (db_admin_names(e->db, full, reader) == -1 ||
	    db_admin_setup(e->db) == -1 ||
	    db_admin_create(e->db, read_only ? reader : full, name, pw) == -1)
		return ehttp_fail_db(e);
	ehttp_note(e, EHTTP_NOTE_INFO, "Database login %s: %s (a member of"
	    " %s).", name, read_only ? "reads everything but the keys" :
	    "reads and changes what ehttpctl and the console do",
	    read_only ? reader : full);
	return ehttp_record(e, 0, "info", "admin login", name, "Database"
	    " login %s granted %s access.", name, read_only ? "read-only" :
	    "full administrator");
}

int
ehttp_admin_login_grant(struct ehttp *e, const char *name, int read_only,
    const char *password, struct ehttp_agent_grant *g)
{
	const char *pw;

	memset(g, 0, sizeof *g);
	ehttp_notes_clear(e);
	if (logins_need(e) == -1)
		return -1;
	if (admin_name_ok(e, name) == -1)
		return -1;
	snprintf(g->role, sizeof g->role, "%s", name);
	if ((pw = password_take(e, password, g)) == NULL)
		return -1;
	if (ehttp_begin(e) == -1 || ehttp_end(e, admin_grant_locked(e, name,
	    read_only, pw)) == -1) {
		explicit_bzero(g->password, sizeof g->password);
		return -1;
	}
	return 0;
}

int
ehttp_admin_login_revoke(struct ehttp *e, const char *name)
{
	struct db_admin_login *v;
	size_t n, i;
	int rc;

	ehttp_notes_clear(e);
	if (ehttp_admin_login_list(e, &v, &n) == -1)
		return -1;
	for (i = 0; i < n && strcmp(v[i].name, name) != 0; i++)
		;
	free(v);
	if (i == n)
		return ehttp_fail(e, "'%s' is no administrator's login of this"
		    " database ('ehttpctl db list-admins' lists them)", name);
	if (ehttp_begin(e) == -1)
		return -1;
	rc = db_admin_disable(e->db, name) == -1 ? ehttp_fail_db(e) :
	    ehttp_record(e, 0, "info", "admin login", name, "Database login"
	    " %s of an administrator revoked.", name);
	if (ehttp_end(e, rc) == -1)
		return -1;
	agent_login_end_sessions(e, name);
	return 0;
}

int
ehttp_admin_login_list(struct ehttp *e, struct db_admin_login **v,
    size_t *n)
{
	*v = NULL;
	*n = 0;
	if (logins_need(e) == -1)
		return -1;
	return db_admin_list(e->db, v, n) == -1 ? ehttp_fail_db(e) : 0;
}
