/* db-client: the hierarchy's client settings, registered clients and bulk
 * registration tokens (issue #14). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db-int.h"
#include "xmalloc.h"

int
db_hierarchy_get(struct db *db, char uuid[40], char approval[8])
{
	struct db_q *st = db_stmt(db, ST_HIER_GET);
	int rc = db_step(db, st);

	if (rc == 1) {
		db_copy_text(uuid, 40, st, 0);
		db_copy_text(approval, 8, st, 1);
		db_reset(db, st);
		return 0;
	}
	db_reset(db, st);
	if (rc == 0)
		return db_failf(db, "the hierarchy has no row (schema 9)");
	return db_fail(db, "reading the hierarchy");
}

int
db_hierarchy_set_approval(struct db *db, const char *approval)
{
	struct db_q *st = db_stmt(db, ST_HIER_SET_APPROVAL);

	db_bind_text(db, st, 1, approval);
	return db_step_done(db, st, "saving the client approval");
}

static const struct db_col client_cols[] = {	/* DB_CLIENT_COLS */
	DB_COL(INT, struct db_client, id),
	DB_COL(TEXT, struct db_client, smsid),
	DB_COL(TEXT, struct db_client, name),
	DB_COL(INT, struct db_client, site_id),
	DB_COL(TEXT, struct db_client, site_code),
	DB_COL(TEXT, struct db_client, thumbprint),
	DB_COL(INT, struct db_client, approved),
	DB_COL(TEXT, struct db_client, approved_by),
	DB_COL(INT, struct db_client, blocked),
	DB_COL(INT, struct db_client, registered),
	DB_COL(INT, struct db_client, last_contact),
};
static const struct db_rec client_rec = DB_REC(struct db_client, client_cols,
    NULL);

int
db_client_insert(struct db *db, struct db_client *c,
    const unsigned char *sign_der, size_t sign_len,
    const unsigned char *enc_der, size_t enc_len)
{
	struct db_q *st = db_stmt(db, ST_CLIENT_INSERT);

	c->registered = c->last_contact = time(NULL);
	db_bind_text(db, st, 1, c->smsid);
	db_bind_text(db, st, 2, c->name);
	db_bind_int64(db, st, 3, c->site_id);
	db_bind_text(db, st, 4, c->thumbprint);
	db_bind_blob(db, st, 5, sign_der, sign_len);
	db_bind_blob(db, st, 6, enc_der, enc_len);
	db_bind_int(db, st, 7, c->approved);
	db_bind_text(db, st, 8, c->approved_by);
	db_bind_int64(db, st, 9, c->registered);
	return db_step_insert(db, st, &c->id, "storing the client");
}

int
db_client_get(struct db *db, int64_t id, struct db_client *c)
{
	return db_read_one(db, db_stmt_id(db, ST_CLIENT_GET, id), &client_rec,
	    c, "reading the client");
}

int
db_client_by_smsid(struct db *db, const char *smsid, struct db_client *c)
{
	return db_read_one(db, db_stmt_text(db, ST_CLIENT_GET_SMSID, smsid),
	    &client_rec, c, "reading the client");
}

int
db_client_by_thumbprint(struct db *db, const char *tp, struct db_client *c)
{
	return db_read_one(db, db_stmt_text(db, ST_CLIENT_GET_TP, tp),
	    &client_rec, c, "reading the client");
}

int
db_client_by_name(struct db *db, const char *name, struct db_client *c)
{
	struct db_client *v = NULL;
	size_t n = 0;

	if (db_read_all(db, db_stmt_text(db, ST_CLIENT_GET_NAME, name),
	    &client_rec, &v, &n, "reading the client") == -1)
		return -1;
	if (n > 0)
		*c = v[0];
	free(v);
	return (int)n;
}

int
db_client_page(struct db *db, int64_t site_id, int64_t after, size_t limit,
    struct db_client **out, size_t *n)
{
	struct db_q *st = db_stmt_id(db, ST_CLIENT_PAGE, site_id);

	db_bind_int64(db, st, 2, after);
	db_bind_int64(db, st, 3, (int64_t)limit);
	return db_read_all(db, st, &client_rec, out, n, "listing clients");
}

int
db_client_page_before(struct db *db, int64_t site_id, int64_t before,
    size_t limit, struct db_client **out, size_t *n)
{
	struct db_q *st = db_stmt_id(db, ST_CLIENT_PAGE_BACK, site_id);

	db_bind_int64(db, st, 2, before);
	db_bind_int64(db, st, 3, (int64_t)limit);
	return db_read_all(db, st, &client_rec, out, n, "listing clients");
}

int
db_client_count(struct db *db, int64_t site_id, size_t *n)
{
	return db_read_count(db, db_stmt_id(db, ST_CLIENT_COUNT, site_id), n,
	    "counting clients");
}

int
db_client_sign_der(struct db *db, int64_t id, unsigned char **der,
    size_t *len)
{
	return db_read_blob(db, db_stmt_id(db, ST_CLIENT_SIGN_DER, id), der,
	    len, "reading the client's certificate");
}

int
db_client_blocked(struct db *db, char ***out, size_t *n)
{
	struct db_q *st = db_stmt(db, ST_CLIENT_BLOCKED);
	char **v = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	while ((rc = db_step(db, st)) == 1) {
		v = xgrowarray(v, &cap, *n, 16, sizeof *v);
		v[(*n)++] = xstrdup(db_col_text(st, 0));
	}
	db_reset(db, st);
	if (rc != 0) {
		for (size_t i = 0; i < *n; i++)
			free(v[i]);
		free(v);
		*n = 0;
		return db_fail(db, "listing blocked clients");
	}
	*out = v;
	return 0;
}

int
db_client_seen(struct db *db, const char *smsid, time_t when)
{
	struct db_q *st = db_stmt_text(db, ST_CLIENT_SEEN, smsid);

	db_bind_int64(db, st, 2, when);
	return db_step_done(db, st, "recording the client's last contact");
}

int
db_client_set_approved(struct db *db, int64_t id, int approved,
    const char *by)
{
	struct db_q *st = db_stmt_id(db, ST_CLIENT_APPROVE, id);

	db_bind_int(db, st, 2, approved);
	db_bind_text(db, st, 3, by);
	return db_step_done(db, st, "approving the client");
}

int
db_client_set_blocked(struct db *db, int64_t id, int blocked)
{
	struct db_q *st = db_stmt_id(db, ST_CLIENT_BLOCK, id);

	db_bind_int(db, st, 2, blocked);
	return db_step_done(db, st, "blocking the client");
}

int
db_client_delete(struct db *db, int64_t id)
{
	return db_step_done(db, db_stmt_id(db, ST_CLIENT_DELETE, id),
	    "deleting the client");
}

static const struct db_col bulk_cols[] = {	/* DB_BULK_COLS */
	DB_COL(TEXT, struct db_bulk_token, id),
	DB_COL(INT, struct db_bulk_token, site_id),
	DB_COL(TEXT, struct db_bulk_token, site_code),
	DB_COL(INT, struct db_bulk_token, not_before),
	DB_COL(INT, struct db_bulk_token, not_after),
	DB_COL(INT, struct db_bulk_token, blocked),
	DB_COL(INT, struct db_bulk_token, used),
	DB_COL(INT, struct db_bulk_token, created),
};
static const struct db_rec bulk_rec = DB_REC(struct db_bulk_token, bulk_cols,
    NULL);

int
db_bulk_token_insert(struct db *db, const struct db_bulk_token *b)
{
	struct db_q *st = db_stmt_text(db, ST_BULK_INSERT, b->id);

	db_bind_int64(db, st, 2, b->site_id);
	db_bind_int64(db, st, 3, b->not_before);
	db_bind_int64(db, st, 4, b->not_after);
	db_bind_int64(db, st, 5, b->created);
	return db_step_done(db, st, "storing the bulk registration token");
}

int
db_bulk_token_get(struct db *db, const char *id, struct db_bulk_token *b)
{
	return db_read_one(db, db_stmt_text(db, ST_BULK_GET, id), &bulk_rec,
	    b, "reading the bulk registration token");
}

int
db_bulk_token_list(struct db *db, struct db_bulk_token **out, size_t *n)
{
	return db_read_all(db, db_stmt(db, ST_BULK_LIST), &bulk_rec, out, n,
	    "listing bulk registration tokens");
}

int
db_bulk_token_set_blocked(struct db *db, const char *id, int blocked)
{
	struct db_q *st = db_stmt_text(db, ST_BULK_BLOCK, id);

	db_bind_int(db, st, 2, blocked);
	return db_step_done(db, st, "blocking the bulk registration token");
}

int
db_bulk_token_used(struct db *db, const char *id)
{
	return db_step_done(db, db_stmt_text(db, ST_BULK_USED, id),
	    "counting the bulk registration token's use");
}
