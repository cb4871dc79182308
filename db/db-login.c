/*
 * db-login: the agents' and administrators' database logins (db.h). The rows of agent_login
 * are the common statement table's; the roles, privileges and policies
 * are the engine's own SQL (db_engine.logins: PostgreSQL's in
 * db/pg/pg-login.c). Text (role names, the password's verifier) reaches
 * that SQL only as bound parameters: DB_LOGIN_PARAMS puts them in
 * transaction-local settings that the engine's statements read.
 */
#include <stdlib.h>
#include <string.h>

#include "db-int.h"
#include "xmalloc.h"

#define LOGIN_NONE	"database roles need a PostgreSQL site database"

int
db_login_supported(struct db *db)
{
	return db->eng->logins != NULL;
}

/* The engine's statement for step, prepared; NULL with db->err set. */
static struct db_q *
login_q(struct db *db, enum db_login_sql step, const char *what)
{
	struct db_q *q;

	if (db->eng->logins == NULL) {
		db_failf(db, "%s", LOGIN_NONE);
		return NULL;
	}
	if (db_prepare(db, db->eng->logins->sql[step], &q, what) == -1)
		return NULL;
	return q;
}

/* Run the engine's step (no rows wanted) and finalize it: 0 or -1. */
static int
login_run(struct db *db, enum db_login_sql step, const char *what)
{
	struct db_q *q = login_q(db, step, what);
	int rc;

	if (q == NULL)
		return -1;
	rc = db_step_done(db, q, what);
	db_finalize(db, q);
	return rc;
}

/*
 * Every row of the engine's step into records, as db_read_all() reads
 * them; the caller clears *out and *n first (a step that cannot be
 * prepared leaves them).
 */
static int
login_list(struct db *db, enum db_login_sql step, const struct db_rec *r,
    void *out, size_t *n, const char *what)
{
	struct db_q *q = login_q(db, step, what);
	int rc;

	if (q == NULL)
		return -1;
	rc = db_read_all(db, q, r, out, n, what);
	db_finalize(db, q);
	return rc;
}

/* A name the server made: letters, digits and _ only (it goes to SQL as a
 * parameter anyway; this catches a wrong statement, not an attack). */
static int
login_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "0123456789_") == n;
}

/*
 * Step q once for two role names, into a and b (64 bytes each): 1; no row
 * 0; or -1 (db_fail(what)), also for a name that fails login_name_ok().
 */
static int
login_names_read(struct db *db, struct db_q *q, char *a, char *b,
    const char *what)
{
	int rc;

	if ((rc = db_step(db, q)) == 1) {
		db_copy_text(a, 64, q, 0);
		db_copy_text(b, 64, q, 1);
		if (!login_name_ok(a) || !login_name_ok(b))
			return db_failf(db, "%s: unexpected role names", what);
	} else if (rc == -1)
		db_fail(db, what);
	return rc;
}

int
db_login_names(struct db *db, int64_t system_id, char *group, char *role)
{
	struct db_q *q = login_q(db, DB_LOGIN_NAMES, "naming the login");
	int rc;

	if (q == NULL)
		return -1;
	db_bind_int64(db, q, 1, system_id);
	rc = login_names_read(db, q, group, role, "naming the login");
	db_finalize(db, q);
	return rc;
}

/* The parameters of the engine's next statements. */
static int
login_params(struct db *db, const char *group, const char *role,
    const char *verifier)
{
	struct db_q *q = login_q(db, DB_LOGIN_PARAMS, "setting up the login");
	int rc;

	if (q == NULL)
		return -1;
	db_bind_text(db, q, 1, group);
	db_bind_text(db, q, 2, role);
	db_bind_text(db, q, 3, verifier);
	while ((rc = db_step(db, q)) == 1)
		;
	if (rc == -1)
		db_fail(db, "setting up the login");
	db_finalize(db, q);
	return rc;
}

int
db_login_setup(struct db *db, const char *group)
{
	if (login_params(db, group, "", "") == -1)
		return -1;
	return login_run(db, DB_LOGIN_SETUP, "granting the agents' privileges");
}

/* The engine's step that makes role with password's verifier, in group. */
static int
login_make(struct db *db, enum db_login_sql step, const char *group,
    const char *role, const char *password, const char *what)
{
	char *v;
	int rc;

	if (db->eng->logins == NULL)
		return db_failf(db, "%s", LOGIN_NONE);
	if ((v = db->eng->logins->verifier(db, role, password)) == NULL)
		return db_fail(db, "the login's password");
	rc = login_params(db, group, role, v);
	explicit_bzero(v, strlen(v));
	free(v);
	if (rc == -1)
		return -1;
	return login_run(db, step, what);
}

int
db_login_create(struct db *db, const char *group, const char *role,
    const char *password)
{
	return login_make(db, DB_LOGIN_CREATE, group, role, password,
	    "creating the login");
}

int
db_login_disable(struct db *db, const char *group, const char *role)
{
	if (login_params(db, group, role, "") == -1)
		return -1;
	return login_run(db, DB_LOGIN_DISABLE, "disabling the login");
}

static const struct db_col login_cols[] = {	/* ST_LOGIN_GET, DB_LOGIN_LIST */
	DB_COL(TEXT, struct db_agent_login, role),
	DB_COL(INT, struct db_agent_login, system_id),
	DB_COL(TEXT, struct db_agent_login, fqdn),
	DB_COL(INT, struct db_agent_login, created),
	DB_COL(INT, struct db_agent_login, can_login),
	DB_COL(INT, struct db_agent_login, sessions),
};
static const struct db_rec login_rec = DB_REC(struct db_agent_login,
    login_cols, NULL);
/* ST_LOGIN_GET: the row's four columns (the server's state is the list's). */
static const struct db_rec login_row_rec = { sizeof(struct db_agent_login),
    login_cols, 4, NULL };

int
db_login_get(struct db *db, int64_t system_id, struct db_agent_login *l)
{
	return db_read_one(db, db_stmt_id(db, ST_LOGIN_GET, system_id),
	    &login_row_rec, l, "reading the agent's login");
}

int
db_login_insert(struct db *db, const char *role, int64_t system_id,
    time_t created)
{
	struct db_q *st = db_stmt_text(db, ST_LOGIN_INSERT, role);

	db_bind_int64(db, st, 2, system_id);
	db_bind_int64(db, st, 3, created);
	return db_step_done(db, st, "recording the agent's login");
}

int
db_login_delete(struct db *db, int64_t system_id)
{
	return db_step_done(db, db_stmt_id(db, ST_LOGIN_DELETE, system_id),
	    "removing the agent's login");
}

int
db_login_end_sessions(struct db *db, const char *role, size_t *n)
{
	struct db_q *q = login_q(db, DB_LOGIN_END_SESSIONS, "ending the"
	    " login's sessions");
	int rc;

	*n = 0;
	if (q == NULL)
		return -1;
	db_bind_text(db, q, 1, role);
	rc = db_read_count(db, q, n, "ending the login's sessions");
	db_finalize(db, q);
	return rc;
}

int
db_login_list(struct db *db, struct db_agent_login **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	return login_list(db, DB_LOGIN_LIST, &login_rec, out, n,
	    "listing the agents' logins");
}

int
db_admin_names(struct db *db, char *full, char *reader)
{
	struct db_q *q = login_q(db, DB_ADMIN_NAMES, "naming the"
	    " administrators' groups");
	int rc;

	if (q == NULL)
		return -1;
	if ((rc = login_names_read(db, q, full, reader, "naming the"
	    " administrators' groups")) == 0)
		db_fail(db, "naming the administrators' groups");
	db_finalize(db, q);
	return rc == 1 ? 0 : -1;
}

int
db_admin_setup(struct db *db)
{
	return login_run(db, DB_ADMIN_SETUP, "granting the administrators'"
	    " privileges");
}

int
db_admin_create(struct db *db, const char *group, const char *name,
    const char *password)
{
	return login_make(db, DB_ADMIN_CREATE, group, name, password,
	    "making the administrator's login");
}

int
db_admin_disable(struct db *db, const char *name)
{
	if (login_params(db, "", name, "") == -1)
		return -1;
	return login_run(db, DB_ADMIN_DISABLE, "disabling the administrator's"
	    " login");
}

static const struct db_col admin_cols[] = {	/* DB_ADMIN_LIST */
	DB_COL(TEXT, struct db_admin_login, name),
	DB_COL(INT, struct db_admin_login, read_only),
	DB_COL(INT, struct db_admin_login, can_login),
	DB_COL(INT, struct db_admin_login, sessions),
};
static const struct db_rec admin_rec = DB_REC(struct db_admin_login,
    admin_cols, NULL);

int
db_admin_list(struct db *db, struct db_admin_login **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	return login_list(db, DB_ADMIN_LIST, &admin_rec, out, n,
	    "listing the administrators' logins");
}
