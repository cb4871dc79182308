/* db internals: the handle and the prepared statement table. */
#ifndef DB_INT_H
#define DB_INT_H

#include <stddef.h>

#include <sqlite3.h>

#include "db.h"

enum db_stmt {
	ST_SITE_INSERT, ST_SEC_INSERT, ST_SITE_GET, ST_SITE_GET_ID, ST_SITE_LIST,
	ST_SITE_CHILDREN, ST_SEC_UPDATE,
	ST_SYS_INSERT, ST_SYS_GET, ST_SYS_GET_ID, ST_SYS_LIST, ST_SYS_DELETE,
	ST_ROLE_INSERT, ST_ROLE_GET, ST_ROLE_UPDATE, ST_ROLE_DELETE, ST_ROLE_LIST,
	ST_STATUS_INSERT, ST_STATUS_LIST, ST_AUDIT_INSERT, ST_AUDIT_LIST,
	ST_CERT_INSERT, ST_CERT_COMPLETE, ST_CERT_GET, ST_CERT_GET_TP,
	ST_CERT_DER_INSERT, ST_CERT_DER_GET, ST_KEY_INSERT, ST_KEY_GET,
	ST_CERT_SET_STATE, ST_CERT_SET_BLOCKED, ST_CERT_SERIAL, ST_CERT_SITE_CURRENT,
	ST_CERT_FOR_SYSTEM, ST_CERT_ACTIVE, ST_CERT_RETIRE_SITE, ST_CERT_RETIRE_SYSTEM,
	ST_CERT_PENDING_PIDS, ST_CERT_DROP_PENDING, ST_CERT_ORPHAN_CERTS, ST_CERT_ORPHAN_KEYS,
	ST_KEY_SAMPLE,
	ST_AGENT_UPSERT, ST_AGENT_HEALTH, ST_AGENT_GET, ST_AGENT_LIST,
	ST_CHAIN_INSERT, ST_CHAIN_LIST,
	ST_TRUST_INSERT, ST_TRUST_LIST, ST_TRUST_DER, ST_TRUST_DELETE,
	ST_HIER_GET, ST_HIER_SET_APPROVAL,
	ST_CLIENT_INSERT, ST_CLIENT_GET, ST_CLIENT_GET_SMSID, ST_CLIENT_GET_TP,
	ST_CLIENT_GET_NAME, ST_CLIENT_PAGE, ST_CLIENT_PAGE_BACK, ST_CLIENT_COUNT, ST_CLIENT_SIGN_DER,
	ST_CLIENT_BLOCKED, ST_CLIENT_SEEN, ST_CLIENT_APPROVE, ST_CLIENT_BLOCK,
	ST_CLIENT_DELETE,
	ST_BULK_INSERT, ST_BULK_GET, ST_BULK_LIST, ST_BULK_BLOCK, ST_BULK_USED,
	ST_ROOTS_OUT,
	ST_RENEW_GET, ST_RENEW_SET, ST_NOTICE_INSERT, ST_SYS_UNCOVERED,
	ST_PASS_INSERT, ST_PASS_TRIM, ST_PASS_END, ST_PASS_LAST,
	ST_PKG_SEQ, ST_PKG_INSERT, ST_PKG_GET, ST_PKG_LIST, ST_PKG_SET_VERSION,
	ST_PKG_DELETE, ST_PKG_FILE_ADD, ST_PKG_FILES, ST_PKG_DP_SET,
	ST_PKG_DP_GET, ST_PKG_DP_LIST, ST_PKG_DP_DELETE, ST_DP_PKG_PAGE,
	ST_DP_PKG_PAGE_BACK, ST_DP_PKG_COUNT,
	ST_MAX
};

struct db {
	sqlite3		*h;
	char		*path;
	char		 err[512];
	sqlite3_stmt	*st[ST_MAX];	/* prepared on first use: db_stmt() */
	/*
	 * The first failed bind (or prepare) of a statement that was not
	 * stepped since: db_step() refuses to run it and db_fail() says why.
	 * Cleared when the statement is taken up again (db_stmt(),
	 * db_prepare()).
	 */
	sqlite3_stmt	*bad_st;
	int		 bad_rc;	/* SQLITE_OK: none */
	char		 bad_why[192];
	int		 refused;	/* db_step() refused; for db_fail() */
};

/* The columns of a certificate record (db-cert.c's cert_rec). */
#define DB_CERT_COLS \
	"c.id, c.type, c.state, c.site_id, s.code, coalesce(c.system_id, 0)," \
	" coalesce(c.issuer_id, 0), coalesce(c.serial, ''), c.issued_to," \
	" c.issued_by, c.subject, c.not_before, c.not_after," \
	" coalesce(c.thumbprint, ''), c.key_alg, c.blocked, c.created" \
	" FROM cert c JOIN site s ON s.id = c.site_id"

/* The columns of a client record (db-client.c's client_rec). */
#define DB_CLIENT_COLS \
	"c.id, c.smsid, c.name, c.site_id, s.code, c.thumbprint, c.approved," \
	" c.approved_by, c.blocked, c.registered, c.last_contact" \
	" FROM client c JOIN site s ON s.id = c.site_id"
/* The columns of a bulk registration token record. */
#define DB_BULK_COLS \
	"b.id, b.site_id, s.code, b.not_before, b.not_after, b.blocked," \
	" b.used, b.created FROM bulk_token b JOIN site s ON s.id = b.site_id"

/* The columns of a package record (db-package.c's package_rec): the
 * current version's file count and bytes, and its distribution points. */
#define DB_PKG_COLS \
	"p.id, p.site_id, s.code, p.name, p.version, p.source, p.created," \
	" p.updated, (SELECT count(*) FROM package_file f WHERE" \
	" f.package_id = p.id AND f.version = p.version), (SELECT" \
	" coalesce(sum(f.size), 0) FROM package_file f WHERE f.package_id =" \
	" p.id AND f.version = p.version), (SELECT count(*) FROM package_dp d" \
	" WHERE d.package_id = p.id) FROM package p JOIN site s ON" \
	" s.id = p.site_id"
/* The columns of a package's distribution point record. */
#define DB_PKG_DP_COLS \
	"d.package_id, d.system_id, y.fqdn, d.version, d.state, d.error," \
	" d.time FROM package_dp d JOIN site_system y ON y.id = d.system_id"

/* The columns of a package as a distribution point holds it: the files
 * and bytes of the version it was given. */
#define DB_DP_PKG_COLS \
	"d.package_id, p.name, p.version, d.version, (SELECT count(*) FROM" \
	" package_file f WHERE f.package_id = d.package_id AND f.version =" \
	" d.version), (SELECT coalesce(sum(f.size), 0) FROM package_file f" \
	" WHERE f.package_id = d.package_id AND f.version = d.version)," \
	" d.state, d.error, d.time FROM package_dp d JOIN package p ON" \
	" p.id = d.package_id"

/* Record sqlite's message for the handle; returns -1. */
int		 db_fail(struct db *, const char *what);
int		 db_failf(struct db *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* The prepared statement (prepared on first use), reset and with bindings
 * cleared. If it cannot be prepared: NULL, which binds and db_step()
 * refuse with the reason. */
sqlite3_stmt	*db_stmt(struct db *, enum db_stmt);
/* A statement of the moment (finalize it); 0 or -1 (db_fail()). */
int		 db_prepare(struct db *, const char *sql, sqlite3_stmt **,
		    const char *what);
/*
 * Every bind goes through these (sqlite3_bind_* with the handle first): a
 * failure (SQLITE_TOOBIG, SQLITE_RANGE, ...) is recorded with the
 * statement, the first one kept, and db_step() never runs the statement
 * with what was bound: it returns the bind's error instead.
 */
void		 db_bind_int(struct db *, sqlite3_stmt *, int, int);
void		 db_bind_int64(struct db *, sqlite3_stmt *, int, sqlite3_int64);
void		 db_bind_text(struct db *, sqlite3_stmt *, int, const char *, int,
		    void (*)(void *));
void		 db_bind_blob(struct db *, sqlite3_stmt *, int, const void *, int,
		    void (*)(void *));
void		 db_bind_null(struct db *, sqlite3_stmt *, int);
/* sqlite3_step(), unless a bind of st failed: then that error. */
int		 db_step(struct db *, sqlite3_stmt *);
/* st is taken up afresh (reset, or just prepared): its old failure is
 * gone. */
void		 db_stmt_fresh(struct db *, sqlite3_stmt *);
/* Record a failure of st (NULL: a statement that could not be prepared),
 * "<what> <n>: <why>" ("binding parameter 3: ..."), unless one of st is
 * recorded already. */
void		 db_stmt_failed(struct db *, sqlite3_stmt *, int rc,
		    const char *what, int n, const char *why);

/* Only db-bind.c binds and steps: elsewhere these do not compile. */
#ifndef DB_BIND_IMPL
#pragma GCC poison sqlite3_bind_int sqlite3_bind_int64 sqlite3_bind_text \
	sqlite3_bind_text16 sqlite3_bind_text64 sqlite3_bind_blob \
	sqlite3_bind_blob64 sqlite3_bind_null sqlite3_bind_double \
	sqlite3_bind_zeroblob sqlite3_bind_zeroblob64 sqlite3_bind_value \
	sqlite3_bind_pointer sqlite3_step
#endif
/* Run a statement that returns no rows; -1 on error. */
int		 db_step_done(struct db *, sqlite3_stmt *, const char *what);
/* Run an INSERT: the new row's id into *id, 0; or -1 (*id unchanged). */
int		 db_step_insert(struct db *, sqlite3_stmt *, int64_t *id,
		    const char *what);
void		 db_copy_text(char *, size_t, sqlite3_stmt *, int col);
/* The statement (db_stmt()) with its parameter 1 bound to key. */
sqlite3_stmt	*db_stmt_id(struct db *, enum db_stmt, int64_t key);
sqlite3_stmt	*db_stmt_text(struct db *, enum db_stmt, const char *key);
/* The statement with its parameters 1 and 2 bound to id and text. */
sqlite3_stmt	*db_stmt_id_text(struct db *, enum db_stmt, int64_t id,
		    const char *text);

/*
 * A record (a struct) as a row fills it: column i of the row goes to the
 * field cols[i] names. DB_COL_INT: an int, int64_t or time_t field, by its
 * size; DB_COL_TEXT: a char array (db_copy_text()); DB_COL_SKIP: a column
 * only finish() reads. The record is zeroed first; finish, when not NULL,
 * fills what the columns do not (with no columns, { size, NULL, 0, fn }:
 * fn reads the whole row).
 */
enum db_col_kind { DB_COL_INT, DB_COL_TEXT, DB_COL_SKIP };
struct db_col {
	enum db_col_kind kind;
	size_t		 off;
	size_t		 size;
};
#define DB_COL(kind, type, field) \
	{ DB_COL_##kind, offsetof(type, field), sizeof(((type *)0)->field) }
struct db_rec {
	size_t			 size;
	const struct db_col	*cols;
	size_t			 ncols;
	void			(*finish)(sqlite3_stmt *, void *rec);
};
#define DB_REC(type, cols, finish) \
	{ sizeof(type), cols, sizeof cols / sizeof cols[0], finish }

/* Steps st once: its row read into rec, 1; no row, 0; or -1 (db_fail(what)).
 * st is reset. */
int		 db_read_one(struct db *, sqlite3_stmt *, const struct db_rec *,
		    void *rec, const char *what);
/*
 * Every row of st into a new array of records: out points to the caller's
 * array pointer (set to NULL first; free() it), *n counts them. 0, or -1
 * (db_fail(what)) with no array and *n 0. st is reset.
 */
int		 db_read_all(struct db *, sqlite3_stmt *, const struct db_rec *,
		    void *out, size_t *n, const char *what);
/* The count in column 0 of st's one row into *n: 0, or -1 (db_fail(what),
 * also when there is no row). st is reset. */
int		 db_read_count(struct db *, sqlite3_stmt *, size_t *n,
		    const char *what);

#endif
