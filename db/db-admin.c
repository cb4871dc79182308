/* db-admin: the administration service's bearer tokens (admin_token). */
#include <stddef.h>
#include <stdlib.h>

#include "db-int.h"

static const struct db_col atoken_cols[] = {
	DB_COL(INT, struct db_admin_token, id),
	DB_COL(TEXT, struct db_admin_token, name),
	DB_COL(TEXT, struct db_admin_token, role),
	DB_COL(TEXT, struct db_admin_token, hash),
	DB_COL(INT, struct db_admin_token, created),
	DB_COL(INT, struct db_admin_token, expires),
	DB_COL(TEXT, struct db_admin_token, created_by),
};
static const struct db_rec atoken_rec = DB_REC(struct db_admin_token,
    atoken_cols, NULL);

int
db_admin_token_insert(struct db *db, struct db_admin_token *t)
{
	struct db_q *st = db_stmt_text(db, ST_ATOKEN_INSERT, t->name);

	db_bind_text(db, st, 2, t->role);
	db_bind_text(db, st, 3, t->hash);
	db_bind_int64(db, st, 4, t->created);
	db_bind_int64(db, st, 5, t->expires);
	db_bind_text(db, st, 6, t->created_by);
	return db_step_insert(db, st, &t->id, "recording the token");
}

int
db_admin_token_by_hash(struct db *db, const char *hash,
    struct db_admin_token *t)
{
	return db_read_one(db, db_stmt_text(db, ST_ATOKEN_GET_HASH, hash),
	    &atoken_rec, t, "reading the token");
}

int
db_admin_token_by_name(struct db *db, const char *name,
    struct db_admin_token *t)
{
	return db_read_one(db, db_stmt_text(db, ST_ATOKEN_GET_NAME, name),
	    &atoken_rec, t, "reading the token");
}

int
db_admin_token_list(struct db *db, struct db_admin_token **out, size_t *n)
{
	return db_read_all(db, db_stmt(db, ST_ATOKEN_LIST), &atoken_rec, out,
	    n, "listing the tokens");
}

int
db_admin_token_delete(struct db *db, const char *name)
{
	if (db_step_done(db, db_stmt_text(db, ST_ATOKEN_DELETE, name),
	    "removing the token") == -1)
		return -1;
	return db_changes(db) > 0;
}
