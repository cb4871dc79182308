/* db-sited: what the site server keeps (db.h): renewal windows, notices
 * given once, passes. */
#include <stdlib.h>
#include <string.h>

#include "db-int.h"
#include "xmalloc.h"

#define PASSES_KEPT	100

int
db_site_renew_days(struct db *db, int64_t site_id, int *days)
{
	size_t n = 0;
	int rc;

	rc = db_read_count(db, db_stmt_id(db, ST_RENEW_GET, site_id), &n,
	    "reading the renewal window");
	*days = (int)n;
	return rc;
}

int
db_site_renew_days_set(struct db *db, int64_t site_id, int days)
{
	struct db_q *st = db_stmt_id(db, ST_RENEW_SET, site_id);

	db_bind_int(db, st, 2, days);
	return db_step_done(db, st, "setting the renewal window");
}

int
db_notice_once(struct db *db, const char *kind, int64_t object_id,
    int64_t level, time_t when)
{
	struct db_q *st = db_stmt_text(db, ST_NOTICE_INSERT, kind);

	db_bind_int64(db, st, 2, object_id);
	db_bind_int64(db, st, 3, level);
	db_bind_int64(db, st, 4, when);
	if (db_step_done(db, st, "recording a notice") == -1)
		return -1;
	return db_changes(db) > 0;
}

static void
id_row(struct db_q *st, void *rec)
{
	*(int64_t *)rec = db_col_int64(st, 0);
}
static const struct db_rec id_rec = { sizeof(int64_t), NULL, 0, id_row };

int
db_systems_uncovered(struct db *db, int64_t site_id, time_t now,
    int64_t **ids, size_t *n)
{
	struct db_q *st = db_stmt_id(db, ST_SYS_UNCOVERED, site_id);

	db_bind_int64(db, st, 2, now);
	return db_read_all(db, st, &id_rec, ids, n,
	    "listing site systems without a certificate");
}

int
db_pass_begin(struct db *db, struct db_pass *p)
{
	struct db_q *st = db_stmt_text(db, ST_PASS_INSERT, p->host);

	db_bind_int(db, st, 2, p->pid);
	db_bind_int64(db, st, 3, p->started);
	if (db_step_insert(db, st, &p->id, "recording the pass") == -1)
		return -1;
	return db_step_done(db, db_stmt_id(db, ST_PASS_TRIM,
	    p->id - PASSES_KEPT), "trimming the passes");
}

int
db_pass_end(struct db *db, const struct db_pass *p)
{
	struct db_q *st = db_stmt_id(db, ST_PASS_END, p->id);

	db_bind_int64(db, st, 2, p->finished);
	db_bind_int64(db, st, 3, p->next);
	db_bind_int64(db, st, 4, p->checked);
	db_bind_int64(db, st, 5, p->renewed);
	db_bind_int64(db, st, 6, p->failed);
	db_bind_int64(db, st, 7, p->warnings);
	db_bind_text(db, st, 8, p->summary);
	return db_step_done(db, st, "recording the pass");
}

static const struct db_col pass_cols[] = {	/* ST_PASS_LAST */
	DB_COL(INT, struct db_pass, id),
	DB_COL(TEXT, struct db_pass, host),
	DB_COL(INT, struct db_pass, pid),
	DB_COL(INT, struct db_pass, started),
	DB_COL(INT, struct db_pass, finished),
	DB_COL(INT, struct db_pass, next),
	DB_COL(INT, struct db_pass, checked),
	DB_COL(INT, struct db_pass, renewed),
	DB_COL(INT, struct db_pass, failed),
	DB_COL(INT, struct db_pass, warnings),
	DB_COL(TEXT, struct db_pass, summary),
};
static const struct db_rec pass_rec = DB_REC(struct db_pass, pass_cols, NULL);

int
db_pass_last(struct db *db, struct db_pass *p)
{
	return db_read_one(db, db_stmt(db, ST_PASS_LAST), &pass_rec, p,
	    "reading the last pass");
}
