/* db-package: packages, the files of each version and where each is
 * distributed (issue #15). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db-int.h"
#include "xmalloc.h"

#define PKG_SEQ_MAX	0xfffff	/* 5 hex digits */

int
db_package_next_id(struct db *db, int64_t site_id, const char *code,
    char id[9])
{
	struct db_q *st = db_stmt_id(db, ST_PKG_SEQ, site_id);
	int64_t n;
	int rc;

	if ((rc = db_step(db, st)) != 1) {
		if (rc == -1 && !db->refused && db_errkind(db) == DB_ERR_CHECK)
			db_failf(db, "site %s has given all %d package ids",
			    code, PKG_SEQ_MAX);
		else
			db_fail(db, "taking a package id");
		db_reset(db, st);
		return -1;
	}
	n = db_col_int64(st, 0);
	db_reset(db, st);
	if (strlen(code) != 3 || n < 1 || n > PKG_SEQ_MAX)
		return db_failf(db, "package id %lld of site %s: out of range",
		    (long long)n, code);
	snprintf(id, 9, "%s%05llX", code, (unsigned long long)n);
	return 0;
}

int
db_package_insert(struct db *db, const struct db_package *p)
{
	struct db_q *st = db_stmt_text(db, ST_PKG_INSERT, p->id);

	db_bind_int64(db, st, 2, p->site_id);
	db_bind_text(db, st, 3, p->name);
	db_bind_int64(db, st, 4, p->version);
	db_bind_text(db, st, 5, p->source);
	db_bind_int64(db, st, 6, p->created);
	db_bind_int64(db, st, 7, p->updated);
	return db_step_done(db, st, "adding the package");
}

static const struct db_col package_cols[] = {	/* DB_PKG_COLS */
	DB_COL(TEXT, struct db_package, id),
	DB_COL(INT, struct db_package, site_id),
	DB_COL(TEXT, struct db_package, site_code),
	DB_COL(TEXT, struct db_package, name),
	DB_COL(INT, struct db_package, version),
	DB_COL(TEXT, struct db_package, source),
	DB_COL(INT, struct db_package, created),
	DB_COL(INT, struct db_package, updated),
	DB_COL(INT, struct db_package, files),
	DB_COL(INT, struct db_package, size),
	DB_COL(INT, struct db_package, dps),
};
static const struct db_rec package_rec = DB_REC(struct db_package,
    package_cols, NULL);

int
db_package_get(struct db *db, const char *id, struct db_package *p)
{
	return db_read_one(db, db_stmt_text(db, ST_PKG_GET, id), &package_rec,
	    p, "reading the package");
}

int
db_package_list(struct db *db, int64_t site_id, struct db_package **out,
    size_t *n)
{
	return db_read_all(db, db_stmt_id(db, ST_PKG_LIST, site_id),
	    &package_rec, out, n, "listing packages");
}

int
db_package_set_version(struct db *db, const char *id, int64_t version,
    const char *source, time_t updated)
{
	struct db_q *st = db_stmt_text(db, ST_PKG_SET_VERSION, id);

	db_bind_int64(db, st, 2, version);
	db_bind_text(db, st, 3, source);
	db_bind_int64(db, st, 4, updated);
	return db_step_done(db, st, "changing the package's version");
}

int
db_package_delete(struct db *db, const char *id)
{
	return db_step_done(db, db_stmt_text(db, ST_PKG_DELETE, id),
	    "removing the package");
}

int
db_package_file_add(struct db *db, const char *id, int64_t version,
    const struct db_package_file *f)
{
	struct db_q *st = db_stmt_text(db, ST_PKG_FILE_ADD, id);

	db_bind_int64(db, st, 2, version);
	db_bind_text(db, st, 3, f->path);
	db_bind_int64(db, st, 4, f->size);
	db_bind_text(db, st, 5, f->sha256);
	return db_step_done(db, st, "adding a file of the package");
}

static const struct db_col file_cols[] = {	/* ST_PKG_FILES */
	DB_COL(TEXT, struct db_package_file, path),
	DB_COL(INT, struct db_package_file, size),
	DB_COL(TEXT, struct db_package_file, sha256),
};
static const struct db_rec file_rec = DB_REC(struct db_package_file,
    file_cols, NULL);

int
db_package_files(struct db *db, const char *id, int64_t version,
    struct db_package_file **out, size_t *n)
{
	struct db_q *st = db_stmt_text(db, ST_PKG_FILES, id);

	db_bind_int64(db, st, 2, version);
	return db_read_all(db, st, &file_rec, out, n,
	    "listing the package's files");
}

int
db_package_dp_set(struct db *db, const struct db_package_dp *d)
{
	struct db_q *st = db_stmt_text(db, ST_PKG_DP_SET, d->package_id);

	db_bind_int64(db, st, 2, d->system_id);
	db_bind_int64(db, st, 3, d->version);
	db_bind_text(db, st, 4, d->state);
	db_bind_text(db, st, 5, d->error);
	db_bind_int64(db, st, 6, d->time);
	return db_step_done(db, st, "recording the package's distribution");
}

static const struct db_col dp_cols[] = {	/* DB_PKG_DP_COLS */
	DB_COL(TEXT, struct db_package_dp, package_id),
	DB_COL(INT, struct db_package_dp, system_id),
	DB_COL(TEXT, struct db_package_dp, fqdn),
	DB_COL(INT, struct db_package_dp, version),
	DB_COL(TEXT, struct db_package_dp, state),
	DB_COL(TEXT, struct db_package_dp, error),
	DB_COL(INT, struct db_package_dp, time),
};
static const struct db_rec dp_rec = DB_REC(struct db_package_dp, dp_cols,
    NULL);

int
db_package_dp_get(struct db *db, const char *id, int64_t system_id,
    struct db_package_dp *d)
{
	struct db_q *st = db_stmt_text(db, ST_PKG_DP_GET, id);

	db_bind_int64(db, st, 2, system_id);
	return db_read_one(db, st, &dp_rec, d,
	    "reading the package's distribution");
}

int
db_package_dp_list(struct db *db, const char *id, int64_t system_id,
    struct db_package_dp **out, size_t *n)
{
	struct db_q *st = db_stmt(db, ST_PKG_DP_LIST);

	if (id != NULL)
		db_bind_text(db, st, 1, id);
	else
		db_bind_null(db, st, 1);
	db_bind_int64(db, st, 2, system_id);
	return db_read_all(db, st, &dp_rec, out, n,
	    "listing the package's distribution points");
}

int
db_package_dp_delete(struct db *db, const char *id, int64_t system_id)
{
	struct db_q *st = db_stmt_text(db, ST_PKG_DP_DELETE, id);

	db_bind_int64(db, st, 2, system_id);
	return db_step_done(db, st, "removing the package's distribution");
}

static const struct db_col dp_package_cols[] = {	/* DB_DP_PKG_COLS */
	DB_COL(TEXT, struct db_dp_package, id),
	DB_COL(TEXT, struct db_dp_package, name),
	DB_COL(INT, struct db_dp_package, latest),
	DB_COL(INT, struct db_dp_package, version),
	DB_COL(INT, struct db_dp_package, files),
	DB_COL(INT, struct db_dp_package, size),
	DB_COL(TEXT, struct db_dp_package, state),
	DB_COL(TEXT, struct db_dp_package, error),
	DB_COL(INT, struct db_dp_package, time),
};
static const struct db_rec dp_package_rec = DB_REC(struct db_dp_package,
    dp_package_cols, NULL);

static int
dp_package_page(struct db *db, enum db_stmt which, int64_t system_id,
    const char *key, size_t limit, struct db_dp_package **out, size_t *n)
{
	struct db_q *st = db_stmt_id(db, which, system_id);

	db_bind_text(db, st, 2, key != NULL ? key : "");
	db_bind_int64(db, st, 3, (int64_t)limit);
	return db_read_all(db, st, &dp_package_rec, out, n,
	    "listing the distribution point's packages");
}

int
db_dp_package_page(struct db *db, int64_t system_id, const char *after,
    size_t limit, struct db_dp_package **out, size_t *n)
{
	return dp_package_page(db, ST_DP_PKG_PAGE, system_id, after, limit,
	    out, n);
}

int
db_dp_package_page_before(struct db *db, int64_t system_id,
    const char *before, size_t limit, struct db_dp_package **out, size_t *n)
{
	return dp_package_page(db, ST_DP_PKG_PAGE_BACK, system_id, before,
	    limit, out, n);
}

int
db_dp_package_count(struct db *db, int64_t system_id, size_t *n)
{
	return db_read_count(db, db_stmt_id(db, ST_DP_PKG_COUNT, system_id), n,
	    "counting the distribution point's packages");
}
