/* db-agent: what each management-point agent has bound, and its health. */
#include <stdlib.h>
#include <string.h>

#include "db-int.h"
#include "xmalloc.h"

static void
agent_row(sqlite3_stmt *st, void *rec)
{
	struct db_agent *a = rec;

	memset(a, 0, sizeof *a);
	a->system_id = sqlite3_column_int64(st, 0);
	db_copy_text(a->fqdn, sizeof a->fqdn, st, 1);
	a->pid = sqlite3_column_int(st, 2);
	a->https_port = sqlite3_column_int(st, 3);
	a->http_port = sqlite3_column_int(st, 4);
	a->cert_id = sqlite3_column_int64(st, 5);
	db_copy_text(a->thumbprint, sizeof a->thumbprint, st, 6);
	a->bound_since = sqlite3_column_int64(st, 7);
	a->health_time = sqlite3_column_int64(st, 8);
	a->health_ok = sqlite3_column_int(st, 9);
	a->health_status = sqlite3_column_int(st, 10);
	db_copy_text(a->health_text, sizeof a->health_text, st, 11);
	a->updated = sqlite3_column_int64(st, 12);
	db_copy_text(a->host, sizeof a->host, st, 13);
	a->started = sqlite3_column_int64(st, 14);
	a->lease_until = sqlite3_column_int64(st, 15);
	a->poll_s = sqlite3_column_int(st, 16);
}

int
db_agent_bind(struct db *db, const struct db_agent *a)
{
	sqlite3_stmt *st = db_stmt(db, ST_AGENT_UPSERT);

	db_bind_int64(db, st, 1, a->system_id);
	db_bind_int(db, st, 2, a->pid);
	db_bind_int(db, st, 3, a->https_port);
	db_bind_int(db, st, 4, a->http_port);
	db_bind_int64(db, st, 5, a->cert_id);
	db_bind_text(db, st, 6, a->thumbprint, -1, SQLITE_STATIC);
	db_bind_int64(db, st, 7, a->bound_since);
	db_bind_int64(db, st, 8, time(NULL));
	db_bind_text(db, st, 9, a->host, -1, SQLITE_STATIC);
	db_bind_int64(db, st, 10, a->started);
	db_bind_int64(db, st, 11, a->lease_until);
	db_bind_int(db, st, 12, a->poll_s);
	return db_step_done(db, st, "recording the agent binding");
}

int
db_agent_health(struct db *db, int64_t system_id, time_t when, int ok,
    int status, const char *text)
{
	sqlite3_stmt *st = db_stmt(db, ST_AGENT_HEALTH);

	db_bind_int64(db, st, 1, system_id);
	db_bind_int64(db, st, 2, when);
	db_bind_int(db, st, 3, ok);
	db_bind_int(db, st, 4, status);
	db_bind_text(db, st, 5, text, -1, SQLITE_STATIC);
	return db_step_done(db, st, "recording the agent health");
}

int
db_agent_get(struct db *db, int64_t system_id, struct db_agent *a)
{
	sqlite3_stmt *st = db_stmt(db, ST_AGENT_GET);

	db_bind_int64(db, st, 1, system_id);
	return db_read_one(db, st, agent_row, a, "reading the agent state");
}

int
db_agent_list(struct db *db, int64_t site_id, struct db_agent **out, size_t *n)
{
	sqlite3_stmt *st = db_stmt(db, ST_AGENT_LIST);

	db_bind_int64(db, st, 1, site_id);
	return db_read_all(db, st, agent_row, sizeof **out, out, n,
	    "listing agents");
}
