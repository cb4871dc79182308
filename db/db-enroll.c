/*
 * db-enroll: agents on other hosts. An agent's enrollment (the certificate
 * of the key pair it made on its own host, and the administrator's
 * approval) and the keys the site sealed to it.
 */
#include <stdlib.h>

#include "db-int.h"

static const struct db_col enroll_cols[] = {	/* db.c's ENROLL_COLS */
	DB_COL(INT, struct db_enroll, system_id),
	DB_COL(TEXT, struct db_enroll, fqdn),
	DB_COL(INT, struct db_enroll, site_id),
	DB_COL(TEXT, struct db_enroll, fingerprint),
	DB_COL(TEXT, struct db_enroll, host),
	DB_COL(INT, struct db_enroll, requested),
	DB_COL(INT, struct db_enroll, approved),
	DB_COL(TEXT, struct db_enroll, approved_by),
	DB_COL(INT, struct db_enroll, nkeys),
};
static const struct db_rec enroll_rec = DB_REC(struct db_enroll, enroll_cols,
    NULL);

static const struct db_col todo_cols[] = {
	DB_COL(INT, struct db_seal_todo, system_id),
	DB_COL(INT, struct db_seal_todo, cert_id),
};
static const struct db_rec todo_rec = DB_REC(struct db_seal_todo, todo_cols,
    NULL);

int
db_enroll_put(struct db *db, int64_t system_id, const unsigned char *der,
    size_t len, const char *fingerprint, const char *host, time_t when)
{
	struct db_q *st = db_stmt(db, ST_ENROLL_PUT);

	db_bind_int64(db, st, 1, system_id);
	db_bind_blob(db, st, 2, der, len);
	db_bind_text(db, st, 3, fingerprint);
	db_bind_text(db, st, 4, host);
	db_bind_int64(db, st, 5, when);
	return db_step_done(db, st, "recording the enrollment");
}

int
db_enroll_get(struct db *db, int64_t system_id, struct db_enroll *en)
{
	return db_read_one(db, db_stmt_id(db, ST_ENROLL_GET, system_id),
	    &enroll_rec, en, "reading the enrollment");
}

int
db_enroll_list(struct db *db, struct db_enroll **out, size_t *n)
{
	return db_read_all(db, db_stmt(db, ST_ENROLL_LIST), &enroll_rec, out,
	    n, "listing the enrollments");
}

int
db_enroll_cert(struct db *db, int64_t system_id, unsigned char **der,
    size_t *len)
{
	return db_read_blob(db, db_stmt_id(db, ST_ENROLL_CERT, system_id), der,
	    len, "reading the enrollment certificate");
}

int
db_enroll_approve(struct db *db, int64_t system_id, const unsigned char *der,
    size_t len, time_t when, const char *who)
{
	struct db_q *st = db_stmt(db, ST_ENROLL_APPROVE);

	db_bind_int64(db, st, 1, system_id);
	db_bind_int64(db, st, 2, when);
	db_bind_text(db, st, 3, who);
	db_bind_blob(db, st, 4, der, len);
	if (db_step_done(db, st, "approving the enrollment") == -1)
		return -1;
	return db_changes(db) == 1;
}

int
db_enroll_delete(struct db *db, int64_t system_id)
{
	return db_step_done(db, db_stmt_id(db, ST_ENROLL_DELETE, system_id),
	    "removing the enrollment");
}

int
db_agent_key_put(struct db *db, int64_t cert_id, int64_t system_id,
    const unsigned char *cms, size_t len)
{
	struct db_q *st = db_stmt(db, ST_AGENT_KEY_PUT);

	db_bind_int64(db, st, 1, cert_id);
	db_bind_int64(db, st, 2, system_id);
	db_bind_blob(db, st, 3, cms, len);
	return db_step_done(db, st, "storing a sealed key");
}

int
db_agent_key_get(struct db *db, int64_t cert_id, int64_t system_id,
    unsigned char **cms, size_t *len)
{
	struct db_q *st = db_stmt_id(db, ST_AGENT_KEY_GET, cert_id);

	db_bind_int64(db, st, 2, system_id);
	return db_read_blob(db, st, cms, len, "reading a sealed key");
}

int
db_agent_key_drop(struct db *db, int64_t system_id)
{
	return db_step_done(db, db_stmt_id(db, ST_AGENT_KEY_DROP, system_id),
	    "removing sealed keys");
}

int
db_agent_key_prune(struct db *db, int64_t site_id)
{
	return db_step_done(db, db_stmt_id(db, ST_AGENT_KEY_PRUNE, site_id),
	    "removing sealed keys no longer served");
}

int
db_agent_key_todo(struct db *db, int64_t site_id, struct db_seal_todo **out,
    size_t *n)
{
	return db_read_all(db, db_stmt_id(db, ST_AGENT_KEY_TODO, site_id),
	    &todo_rec, out, n, "listing the keys to seal");
}
