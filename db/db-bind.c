/*
 * db-bind: every bind and step of db/ (db-int.h), and the other calls of
 * a statement into its engine (db-engine.h). A bind that fails is recorded
 * with its statement, and the statement is not run with what was bound:
 * db_step() returns -1 and db_fail() gives the bind's reason. db-int.h
 * poisons the engine's bind and step elsewhere in db/.
 */
#define DB_BIND_IMPL
#include <stdio.h>

#include "db-int.h"

void
db_stmt_fresh(struct db *db, struct db_q *q)
{
	if (db->bad && db->bad_q == q)
		db->bad = 0;
	db->refused = 0;
}

void
db_stmt_failed(struct db *db, struct db_q *q, const char *what, int n,
    const char *why)
{
	if (db->bad && db->bad_q == q)
		return;
	db->bad_q = q;
	db->bad = 1;
	snprintf(db->bad_why, sizeof db->bad_why, "%s %d: %s", what, n, why);
}

static void
bound(struct db *db, struct db_q *q, int i, const char *why)
{
	if (why != NULL)
		db_stmt_failed(db, q, "binding parameter", i, why);
}

/* A statement that could not be prepared (NULL) takes no value: its
 * failure is recorded already. */
void
db_bind_int(struct db *db, struct db_q *q, int i, int v)
{
	db_bind_int64(db, q, i, v);
}

void
db_bind_int64(struct db *db, struct db_q *q, int i, int64_t v)
{
	if (q != NULL)
		bound(db, q, i, db->eng->q_bind_int64(q, i, v));
}

void
db_bind_text(struct db *db, struct db_q *q, int i, const char *v)
{
	if (q != NULL)
		bound(db, q, i, db->eng->q_bind_text(q, i, v));
}

void
db_bind_blob(struct db *db, struct db_q *q, int i, const void *v, size_t n)
{
	if (q != NULL)
		bound(db, q, i, db->eng->q_bind_blob(q, i, v, n));
}

void
db_bind_null(struct db *db, struct db_q *q, int i)
{
	if (q != NULL)
		bound(db, q, i, db->eng->q_bind_null(q, i));
}

int
db_step(struct db *db, struct db_q *q)
{
	if (db->bad && db->bad_q == q) {
		db->refused = 1;
		return -1;
	}
	db->refused = 0;
	return db->eng->q_step(q);
}

void
db_reset(struct db *db, struct db_q *q)
{
	if (q != NULL)
		db->eng->reset(q);
}

void
db_finalize(struct db *db, struct db_q *q)
{
	if (q != NULL)
		db->eng->finalize(q);
}

int64_t
db_col_int64(struct db_q *q, int i)
{
	return q->db->eng->col_int64(q, i);
}

int
db_col_int(struct db_q *q, int i)
{
	return (int)q->db->eng->col_int64(q, i);
}

const char *
db_col_text(struct db_q *q, int i)
{
	return q->db->eng->col_text(q, i);
}

const void *
db_col_blob(struct db_q *q, int i, size_t *len)
{
	return q->db->eng->col_blob(q, i, len);
}

int64_t
db_changes(struct db *db)
{
	return db->eng->changes(db);
}

enum db_errkind
db_errkind(struct db *db)
{
	return db->eng->errkind(db);
}
