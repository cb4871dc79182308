/* db-agent: what each management-point agent has bound, and its health. */
#include <stdlib.h>
#include <string.h>

#include "db-int.h"
#include "xmalloc.h"

static const struct db_col agent_cols[] = {	/* db.c's AGENT_COLS */
	DB_COL(INT, struct db_agent, system_id),
	DB_COL(TEXT, struct db_agent, fqdn),
	DB_COL(INT, struct db_agent, pid),
	DB_COL(INT, struct db_agent, https_port),
	DB_COL(INT, struct db_agent, http_port),
	DB_COL(INT, struct db_agent, cert_id),
	DB_COL(TEXT, struct db_agent, thumbprint),
	DB_COL(INT, struct db_agent, bound_since),
	DB_COL(INT, struct db_agent, health_time),
	DB_COL(INT, struct db_agent, health_ok),
	DB_COL(INT, struct db_agent, health_status),
	DB_COL(TEXT, struct db_agent, health_text),
	DB_COL(INT, struct db_agent, updated),
	DB_COL(TEXT, struct db_agent, host),
	DB_COL(INT, struct db_agent, started),
	DB_COL(INT, struct db_agent, lease_until),
	DB_COL(INT, struct db_agent, poll_s),
};
static const struct db_rec agent_rec = DB_REC(struct db_agent, agent_cols,
    NULL);

int
db_agent_bind(struct db *db, const struct db_agent *a)
{
	struct db_q *st = db_stmt(db, ST_AGENT_UPSERT);

	db_bind_int64(db, st, 1, a->system_id);
	db_bind_int(db, st, 2, a->pid);
	db_bind_int(db, st, 3, a->https_port);
	db_bind_int(db, st, 4, a->http_port);
	db_bind_int64(db, st, 5, a->cert_id);
	db_bind_text(db, st, 6, a->thumbprint);
	db_bind_int64(db, st, 7, a->bound_since);
	db_bind_int64(db, st, 8, time(NULL));
	db_bind_text(db, st, 9, a->host);
	db_bind_int64(db, st, 10, a->started);
	db_bind_int64(db, st, 11, a->lease_until);
	db_bind_int(db, st, 12, a->poll_s);
	return db_step_done(db, st, "recording the agent binding");
}

int
db_agent_health(struct db *db, int64_t system_id, time_t when, int ok,
    int status, const char *text)
{
	struct db_q *st = db_stmt(db, ST_AGENT_HEALTH);

	db_bind_int64(db, st, 1, system_id);
	db_bind_int64(db, st, 2, when);
	db_bind_int(db, st, 3, ok);
	db_bind_int(db, st, 4, status);
	db_bind_text(db, st, 5, text);
	return db_step_done(db, st, "recording the agent health");
}

int
db_agent_get(struct db *db, int64_t system_id, struct db_agent *a)
{
	return db_read_one(db, db_stmt_id(db, ST_AGENT_GET, system_id),
	    &agent_rec, a, "reading the agent state");
}

int
db_agent_list(struct db *db, int64_t site_id, struct db_agent **out, size_t *n)
{
	return db_read_all(db, db_stmt_id(db, ST_AGENT_LIST, site_id),
	    &agent_rec, out, n, "listing agents");
}
