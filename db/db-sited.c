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
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int rc;

	if (db_prepare(db, "SELECT coalesce(max(renew_days), 0) FROM"
	    " site_renewal WHERE site_id = ?1", &st, "reading the renewal"
	    " window") == -1)
		return -1;
	db_bind_int64(db, st, 1, site_id);
	rc = db_read_count(db, st, &n, "reading the renewal window");
	sqlite3_finalize(st);
	*days = (int)n;
	return rc;
}

int
db_site_renew_days_set(struct db *db, int64_t site_id, int days)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_prepare(db, "INSERT INTO site_renewal (site_id, renew_days)"
	    " VALUES (?1, ?2) ON CONFLICT (site_id) DO UPDATE SET"
	    " renew_days = ?2", &st, "setting the renewal window") == -1)
		return -1;
	db_bind_int64(db, st, 1, site_id);
	db_bind_int(db, st, 2, days);
	rc = db_step_done(db, st, "setting the renewal window");
	sqlite3_finalize(st);
	return rc;
}

int
db_notice_once(struct db *db, const char *kind, int64_t object_id,
    int64_t level, time_t when)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_prepare(db, "INSERT INTO notice (kind, object_id, level, time)"
	    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING", &st,
	    "recording a notice") == -1)
		return -1;
	db_bind_text(db, st, 1, kind, -1, SQLITE_STATIC);
	db_bind_int64(db, st, 2, object_id);
	db_bind_int64(db, st, 3, level);
	db_bind_int64(db, st, 4, when);
	rc = db_step_done(db, st, "recording a notice");
	sqlite3_finalize(st);
	if (rc == -1)
		return -1;
	return sqlite3_changes(db->h) > 0;
}

static void
id_row(sqlite3_stmt *st, void *rec)
{
	*(int64_t *)rec = sqlite3_column_int64(st, 0);
}
static const struct db_rec id_rec = { sizeof(int64_t), NULL, 0, id_row };

int
db_systems_uncovered(struct db *db, int64_t site_id, time_t now,
    int64_t **ids, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_prepare(db, "SELECT y.id FROM site_system y WHERE y.site_id = ?1"
	    " AND EXISTS (SELECT 1 FROM role r WHERE r.system_id = y.id)"
	    " AND NOT EXISTS (SELECT 1 FROM cert c WHERE c.system_id = y.id"
	    " AND c.state = 'active' AND (c.type = 'role' OR (c.type = 'pki'"
	    " AND c.blocked = 0 AND c.not_before <= ?2 AND c.not_after >= ?2)))"
	    " ORDER BY y.id", &st, "listing site systems without a"
	    " certificate") == -1)
		return -1;
	db_bind_int64(db, st, 1, site_id);
	db_bind_int64(db, st, 2, now);
	rc = db_read_all(db, st, &id_rec, ids, n,
	    "listing site systems without a certificate");
	sqlite3_finalize(st);
	return rc;
}

int
db_pass_begin(struct db *db, struct db_pass *p)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_prepare(db, "INSERT INTO sited_pass (host, pid, started)"
	    " VALUES (?1, ?2, ?3)", &st, "recording the pass") == -1)
		return -1;
	db_bind_text(db, st, 1, p->host, -1, SQLITE_STATIC);
	db_bind_int(db, st, 2, p->pid);
	db_bind_int64(db, st, 3, p->started);
	rc = db_step_insert(db, st, &p->id, "recording the pass");
	sqlite3_finalize(st);
	if (rc == -1)
		return -1;
	if (db_prepare(db, "DELETE FROM sited_pass WHERE id <= ?1", &st,
	    "trimming the passes") == -1)
		return -1;
	db_bind_int64(db, st, 1, p->id - PASSES_KEPT);
	rc = db_step_done(db, st, "trimming the passes");
	sqlite3_finalize(st);
	return rc;
}

int
db_pass_end(struct db *db, const struct db_pass *p)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_prepare(db, "UPDATE sited_pass SET finished = ?2, next = ?3,"
	    " checked = ?4, renewed = ?5, failed = ?6, warnings = ?7,"
	    " summary = ?8 WHERE id = ?1", &st, "recording the pass") == -1)
		return -1;
	db_bind_int64(db, st, 1, p->id);
	db_bind_int64(db, st, 2, p->finished);
	db_bind_int64(db, st, 3, p->next);
	db_bind_int64(db, st, 4, p->checked);
	db_bind_int64(db, st, 5, p->renewed);
	db_bind_int64(db, st, 6, p->failed);
	db_bind_int64(db, st, 7, p->warnings);
	db_bind_text(db, st, 8, p->summary, -1, SQLITE_STATIC);
	rc = db_step_done(db, st, "recording the pass");
	sqlite3_finalize(st);
	return rc;
}

static const struct db_col pass_cols[] = {
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
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_prepare(db, "SELECT id, host, pid, started, finished, next,"
	    " checked, renewed, failed, warnings, summary FROM sited_pass"
	    " ORDER BY id DESC LIMIT 1", &st, "reading the last pass") == -1)
		return -1;
	rc = db_read_one(db, st, &pass_rec, p, "reading the last pass");
	sqlite3_finalize(st);
	return rc;
}
