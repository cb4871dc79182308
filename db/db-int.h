/* db internals: what the typed functions (the .c files of db/) share: the statement
 * interface (db-engine.h) in the form they use, and the record readers. */
#ifndef DB_INT_H
#define DB_INT_H

#include <stddef.h>

#include "db-engine.h"

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

/* The columns of an administration service token (db-admin.c). */
#define DB_ATOKEN_COLS \
	"id, name, role, hash, created, expires, created_by FROM admin_token"

/* The columns of a package record (db-package.c's package_rec): the
 * current version's file count and bytes, and its distribution points. */
#define DB_PKG_COLS \
	"p.id, p.site_id, s.code, p.name, p.version, p.source, p.created," \
	" p.updated, (SELECT count(*) FROM package_file f WHERE" \
	" f.package_id = p.id AND f.version = p.version), (SELECT" \
	" CAST(coalesce(sum(f.size), 0) AS BIGINT) FROM package_file f WHERE f.package_id =" \
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
	" d.version), (SELECT CAST(coalesce(sum(f.size), 0) AS BIGINT) FROM package_file f" \
	" WHERE f.package_id = d.package_id AND f.version = d.version)," \
	" d.state, d.error, d.time FROM package_dp d JOIN package p ON" \
	" p.id = d.package_id"

/* Migration 14's index, in both engines' words: it lists one system's
 * messages, and clears them when the system is removed. */
#define DB_MIGRATION_14 \
	"CREATE INDEX status_by_system ON status_message(system_id, time, id);"

/* The prepared statement (prepared on first use), reset and with bindings
 * cleared. If it cannot be prepared: NULL, which binds and db_step()
 * refuse with the reason. */
struct db_q	*db_stmt(struct db *, enum db_stmt);
/* A statement of the moment (db_finalize() it); 0 or -1 (db_fail()). */
int		 db_prepare(struct db *, const char *sql, struct db_q **,
		    const char *what);
void		 db_finalize(struct db *, struct db_q *);
/* End a run of the statement (its bindings stay). */
void		 db_reset(struct db *, struct db_q *);
/*
 * Every bind goes through these (the engine's, with the handle first): a
 * failure (too big, out of range, ...) is recorded with the statement,
 * the first one kept, and db_step() never runs the statement with what
 * was bound: it returns -1 and db_fail() gives the bind's reason. Text
 * and blobs are not copied: they must live until the statement's next
 * db_stmt() or db_reset().
 */
void		 db_bind_int(struct db *, struct db_q *, int, int);
void		 db_bind_int64(struct db *, struct db_q *, int, int64_t);
void		 db_bind_text(struct db *, struct db_q *, int, const char *);
void		 db_bind_blob(struct db *, struct db_q *, int, const void *,
		    size_t);
void		 db_bind_null(struct db *, struct db_q *, int);
/* 1 a row, 0 done, -1 error (db_fail()); -1 also when a bind of q failed
 * (or q is NULL: it could not be prepared). */
int		 db_step(struct db *, struct db_q *);
/* Column i (from 0) of q's current row. */
int64_t		 db_col_int64(struct db_q *, int i);
int		 db_col_int(struct db_q *, int i);
const char	*db_col_text(struct db_q *, int i);	/* NULL: NULL */
const void	*db_col_blob(struct db_q *, int i, size_t *len);
/* Rows changed by the last statement run. */
int64_t		 db_changes(struct db *);
/* What the last failure was (db-engine.h). */
enum db_errkind	 db_errkind(struct db *);
/* q is taken up afresh (reset, or just prepared): its old failure is
 * gone. */
void		 db_stmt_fresh(struct db *, struct db_q *);
/* Record a failure of q (NULL: a statement that could not be prepared),
 * "<what> <n>: <why>" ("binding parameter 3: ..."), unless one of q is
 * recorded already. */
void		 db_stmt_failed(struct db *, struct db_q *, const char *what,
		    int n, const char *why);

/* Only db-bind.c binds and steps: elsewhere these do not compile. */
#ifndef DB_BIND_IMPL
#pragma GCC poison q_bind_int64 q_bind_text q_bind_blob q_bind_null q_step
#endif
/* Run a statement that returns no rows; -1 on error. */
int		 db_step_done(struct db *, struct db_q *, const char *what);
/* Run an INSERT ... RETURNING id: the new row's id (column 0) into *id,
 * 0; or -1 (*id unchanged). */
int		 db_step_insert(struct db *, struct db_q *, int64_t *id,
		    const char *what);
void		 db_copy_text(char *, size_t, struct db_q *, int col);
/* The statement (db_stmt()) with its parameter 1 bound to key. */
struct db_q	*db_stmt_id(struct db *, enum db_stmt, int64_t key);
struct db_q	*db_stmt_text(struct db *, enum db_stmt, const char *key);
/* The statement with its parameters 1 and 2 bound to id and text. */
struct db_q	*db_stmt_id_text(struct db *, enum db_stmt, int64_t id,
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
	void			(*finish)(struct db_q *, void *rec);
};
#define DB_REC(type, cols, finish) \
	{ sizeof(type), cols, sizeof cols / sizeof cols[0], finish }

/* Steps st once: its row read into rec, 1; no row, 0; or -1 (db_fail(what)).
 * st is reset. */
int		 db_read_one(struct db *, struct db_q *, const struct db_rec *,
		    void *rec, const char *what);
/*
 * Every row of st into a new array of records: out points to the caller's
 * array pointer (set to NULL first; free() it), *n counts them. 0, or -1
 * (db_fail(what)) with no array and *n 0. st is reset.
 */
int		 db_read_all(struct db *, struct db_q *, const struct db_rec *,
		    void *out, size_t *n, const char *what);
/* The count in column 0 of st's one row into *n: 0, or -1 (db_fail(what),
 * also when there is no row). st is reset. */
int		 db_read_count(struct db *, struct db_q *, size_t *n,
		    const char *what);
/* The blob in column 0 of st's one row, copied into *out (malloc'ed; at
 * least one byte, *len its length): 1; no row 0 (*out NULL); -1
 * (db_fail(what)). st is reset. */
int		 db_read_blob(struct db *, struct db_q *, unsigned char **out,
		    size_t *len, const char *what);

#endif
