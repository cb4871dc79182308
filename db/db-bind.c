/*
 * db-bind: every bind and step of db/ (db-int.h). A bind that fails is
 * recorded with its statement, and the statement is not run with what
 * was bound: db_step() returns the bind's error instead. db-int.h poisons
 * sqlite3_bind_* and sqlite3_step everywhere else in db/.
 */
#define DB_BIND_IMPL
#include <stdio.h>

#include "db-int.h"

void
db_stmt_fresh(struct db *db, sqlite3_stmt *st)
{
	if (db->bad_rc != SQLITE_OK && db->bad_st == st)
		db->bad_rc = SQLITE_OK;
	db->refused = 0;
}

void
db_stmt_failed(struct db *db, sqlite3_stmt *st, int rc, const char *what,
    int n, const char *why)
{
	if (db->bad_rc != SQLITE_OK && db->bad_st == st)
		return;
	db->bad_st = st;
	db->bad_rc = rc;
	snprintf(db->bad_why, sizeof db->bad_why, "%s %d: %s", what, n, why);
}

static void
bound(struct db *db, sqlite3_stmt *st, int i, int rc)
{
	if (rc != SQLITE_OK)
		db_stmt_failed(db, st, rc, "binding parameter", i,
		    sqlite3_errstr(rc));
}

void
db_bind_int(struct db *db, sqlite3_stmt *st, int i, int v)
{
	bound(db, st, i, sqlite3_bind_int(st, i, v));
}

void
db_bind_int64(struct db *db, sqlite3_stmt *st, int i, sqlite3_int64 v)
{
	bound(db, st, i, sqlite3_bind_int64(st, i, v));
}

void
db_bind_text(struct db *db, sqlite3_stmt *st, int i, const char *v, int n,
    void (*del)(void *))
{
	bound(db, st, i, sqlite3_bind_text(st, i, v, n, del));
}

void
db_bind_blob(struct db *db, sqlite3_stmt *st, int i, const void *v, int n,
    void (*del)(void *))
{
	bound(db, st, i, sqlite3_bind_blob(st, i, v, n, del));
}

void
db_bind_null(struct db *db, sqlite3_stmt *st, int i)
{
	bound(db, st, i, sqlite3_bind_null(st, i));
}

int
db_step(struct db *db, sqlite3_stmt *st)
{
	if (db->bad_rc != SQLITE_OK && db->bad_st == st) {
		db->refused = 1;
		return db->bad_rc;
	}
	db->refused = 0;
	return sqlite3_step(st);
}
