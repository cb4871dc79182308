/*
 * db-engine: what db/ asks of a database engine (db-internal). The .c
 * files of db/, the typed functions of db.h, are engine-neutral: they hold
 * the statement table (one SQL text per statement, db.c's stmt_sql[]) and
 * never name an engine's library. Each engine lives in its own room below db/ (db/sqlite/,
 * the only code that includes SQLite's header; later db/pg/ for libpq) and
 * fills one struct db_engine. db_open() picks the engine from the target.
 *
 * The SQL db/ hands an engine is the common dialect: numbered parameters
 * ?1 ?2 ... (a parameter may appear more than once; every number from 1
 * to the highest used appears), `RETURNING id` on the INSERTs whose new
 * id is wanted (read as column 0 of the one row), ON CONFLICT ... DO
 * UPDATE / DO NOTHING, coalesce, nullif, lower, upper, substr, length,
 * CASE, count, sum, max, row values (a, b) > (?1, ?2), LIMIT ?N (-1:
 * no limit on SQLite). An engine that needs another text for a statement
 * gives it in stmt_sql (below), indexed by enum db_stmt. Still SQLite's
 * own today: ST_CERT_PENDING_PIDS (INDEXED BY), ST_CLIENT_GET_NAME
 * (COLLATE NOCASE), ST_CLIENT_SEEN (two-argument max()), ST_AUDIT_* (a
 * column named user), LIMIT -1 (ST_STATUS_LIST, ST_AUDIT_LIST and the
 * certificate pages), ST_PKG_DP_LIST (?1 IS NULL, an untyped parameter),
 * and instr() in the certificate filters db-cert.c builds per call.
 *
 * Values: integers are 64-bit (int fields are read and bound through the
 * 64-bit calls), text is UTF-8 without NUL, blobs are bytes. A NULL
 * column reads as 0, NULL text and an empty blob.
 *
 * Errors: an operation that fails returns -1 (step: -1) and leaves its
 * reason with the connection; db/ then calls errmsg() to word it
 * (db_fail(): "<what>: <errmsg>"). The operations that are whole db.h
 * functions (data_version, file_moved, checkpoint_all, the
 * transactions) set the handle's message themselves (db_fail(),
 * db_failf()).
 */
#ifndef DB_ENGINE_H
#define DB_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

/* The fixed statements (db.c's stmt_sql[]), prepared on first use. */
enum db_stmt {
	ST_SITE_INSERT, ST_SEC_INSERT, ST_SITE_GET, ST_SITE_GET_ID, ST_SITE_LIST,
	ST_SEC_UPDATE,
	ST_SYS_INSERT, ST_SYS_GET, ST_SYS_GET_ID, ST_SYS_LIST, ST_SYS_DELETE,
	ST_ROLE_INSERT, ST_ROLE_GET, ST_ROLE_UPDATE, ST_ROLE_DELETE, ST_ROLE_LIST,
	ST_STATUS_INSERT, ST_STATUS_LIST, ST_STATUS_LIST_SYSTEM,
	ST_AUDIT_INSERT, ST_AUDIT_LIST,
	ST_CERT_INSERT, ST_CERT_COMPLETE, ST_CERT_GET, ST_CERT_GET_TP,
	ST_CERT_DER_INSERT, ST_CERT_DER_GET, ST_KEY_INSERT, ST_KEY_GET,
	ST_CERT_SET_STATE, ST_CERT_SET_BLOCKED, ST_CERT_SITE_CURRENT,
	ST_CERT_ACTIVE, ST_CERT_SERVING, ST_CERT_RETIRE_SITE, ST_CERT_RETIRE_SYSTEM,
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
	ST_ENROLL_PUT, ST_ENROLL_GET, ST_ENROLL_LIST, ST_ENROLL_CERT,
	ST_ENROLL_APPROVE, ST_ENROLL_DELETE, ST_AGENT_KEY_PUT, ST_AGENT_KEY_GET,
	ST_AGENT_KEY_DROP, ST_AGENT_KEY_PRUNE, ST_AGENT_KEY_TODO,
	ST_LOGIN_GET, ST_LOGIN_INSERT, ST_LOGIN_DELETE,
	ST_ATOKEN_INSERT, ST_ATOKEN_GET_HASH, ST_ATOKEN_GET_NAME, ST_ATOKEN_LIST,
	ST_ATOKEN_DELETE,
	ST_MAX
};

struct db_engine;

/*
 * The agents' and administrators' database logins (db-login.c), where the
 * engine has them: its SQL per step (each one statement with the
 * parameters named), and the verifier of a password as the server stores
 * it.
 */
enum db_login_sql {
	DB_LOGIN_NAMES,		/* ?1 system id -> group, role (one row) */
	DB_LOGIN_PARAMS,	/* ?1 group, ?2 role, ?3 verifier: for the next */
	DB_LOGIN_SETUP,		/* the group, its privileges, the policies */
	DB_LOGIN_CREATE,	/* the role, in the group, its verifier */
	DB_LOGIN_DISABLE,	/* no login, out of the group */
	DB_LOGIN_END_SESSIONS,	/* ?1 role -> sessions ended (one row) */
	DB_LOGIN_LIST,		/* role, system, fqdn, created, can_login,
				   sessions; by fqdn */
	DB_ADMIN_NAMES,		/* -> the full and the read-only group */
	DB_ADMIN_SETUP,		/* both groups, privileges, policies */
	DB_ADMIN_CREATE,	/* the role (?2), in the group (?1) only */
	DB_ADMIN_DISABLE,	/* no login, out of both groups */
	DB_ADMIN_LIST,		/* name, read_only, can_login, sessions; by
				   name */
	DB_LOGIN_MAX
};
struct db_login_engine {
	const char *const *sql;		/* DB_LOGIN_MAX texts */
	/* password's verifier for role (malloc'ed), or NULL (errmsg()). */
	char		*(*verifier)(struct db *, const char *role,
			    const char *password);
};

/* The handle (db.h's struct db). */
struct db {
	const struct db_engine *eng;
	void		*conn;		/* the engine's connection (SQLite: its handle) */
	char		*path;		/* the target as given (db_path()) */
	char		 err[512];
	struct db_q	*st[ST_MAX];	/* prepared on first use: db_stmt() */
	/*
	 * The first failed bind (or prepare) of a statement that was not
	 * stepped since: db_step() refuses to run it and db_fail() says why.
	 * Cleared when the statement is taken up again (db_stmt(),
	 * db_prepare()).
	 */
	struct db_q	*bad_q;
	int		 bad;		/* 0: none */
	char		 bad_why[192];
	int		 refused;	/* db_step() refused; for db_fail() */
	db_waiting_fn	 waiting;	/* db_set_waiting() */
	int		 gave_up;	/* db_gave_up() */
	void		*waiting_arg;
};

/*
 * One statement: its SQL, its bound parameters, its current row. An engine
 * embeds this as the first member of its own statement struct and returns
 * a pointer to it from prepare(); db/ sees only these fields.
 */
struct db_q {
	struct db	*db;		/* its connection */
	const char	*sql;		/* as prepared; the engine's copy */
};

/* What a failure was, where db/ words it differently (errkind()). */
enum db_errkind {
	DB_ERR_OTHER,
	DB_ERR_CHECK,		/* a CHECK constraint refused the row */
	DB_ERR_BUSY,		/* a lock was not had in time */
};

struct db_engine {
	/*
	 * The statements this engine writes differently: NULL, or an array
	 * of ST_MAX texts (designated initializers) whose NULL entries take
	 * the common one.
	 */
	const char *const *stmt_sql;
	/*
	 * The schema at DB_SCHEMA_VERSION, its statements in order ending in
	 * NULL, for an engine whose databases never existed at older
	 * versions: run on a database at version 0, then the version set.
	 * NULL: db.c's migrations (SQLite's schema), one after another from
	 * the database's version.
	 */
	const char *const *schema;
	int		 schema_version;	/* the version schema creates */
	/*
	 * The migrations after schema_version as this engine writes them:
	 * NULL, or DB_SCHEMA_VERSION texts (designated initializers, entry v
	 * takes version v to v + 1) whose NULL entries take db.c's.
	 */
	const char *const *migrations;
	/* The agents' logins; NULL: the engine has none (SQLite). */
	const struct db_login_engine *logins;

	/*
	 * Connect to db->path (flags: enum db_open_flags) and make it ready
	 * for the migrations: the schema version readable, writes (unless
	 * read-only) durable (SQLite: WAL, synchronous=FULL, the file and its
	 * companions mode 0600, foreign keys off while migrating), a write
	 * waiting for another writer rather than failing (busy timeout), a
	 * database that is not ehttp's refused. 0; or -1 with the reason in
	 * db->err, or in *cause (malloc'ed) when it does not fit there.
	 * close() is called after a failed open too.
	 */
	int	 (*open)(struct db *, int flags, char **cause);
	/* After the migrations committed: the normal rules (SQLite: foreign
	 * keys on). 0 or -1 (db->err). */
	int	 (*ready)(struct db *);
	/* Free the connection (db->conn may be NULL); statements are
	 * finalized before. */
	void	 (*close)(struct db *);

	/*
	 * A statement of sql (which the engine copies). persist: one of the
	 * statement table's, kept for the connection's life. NULL on error
	 * (errmsg()). The statement is fresh: nothing bound, not running.
	 */
	struct db_q *(*prepare)(struct db *, const char *sql, int persist);
	void	 (*finalize)(struct db_q *);	/* NULL: nothing */
	/* End a run (rows not read are dropped, locks let go); the bound
	 * values stay. */
	void	 (*reset)(struct db_q *);
	/* Every parameter back to NULL. */
	void	 (*clear)(struct db_q *);

	/*
	 * Bind parameter i (from 1). NULL, or why not (a static text, e.g.
	 * "column index out of range", "string or blob too big"). Text and
	 * blobs are not copied: they stay valid until the statement is next
	 * reset or bound (the typed functions bind their arguments).
	 */
	const char *(*q_bind_int64)(struct db_q *, int i, int64_t);
	const char *(*q_bind_text)(struct db_q *, int i, const char *);
	const char *(*q_bind_blob)(struct db_q *, int i, const void *,
		    size_t);
	const char *(*q_bind_null)(struct db_q *, int i);
	/* Run or go on: 1 a row is there, 0 done, -1 error (errmsg()). */
	int	 (*q_step)(struct db_q *);

	/* Column i (from 0) of the current row. */
	int64_t	 (*col_int64)(struct db_q *, int i);
	const char *(*col_text)(struct db_q *, int i);	/* NULL: NULL */
	const void *(*col_blob)(struct db_q *, int i, size_t *len);

	/* Rows changed by the last statement that was run to its end. */
	int64_t	 (*changes)(struct db *);
	/* Run sql (one or more statements, no parameters, no rows wanted):
	 * 0 or -1 (errmsg()). */
	int	 (*exec)(struct db *, const char *sql);
	/* The last failure's text, with the operating system's reason when
	 * there is one ("disk I/O error (No space left on device)"); in
	 * buf, or a static text. */
	const char *(*errmsg)(struct db *, char *buf, size_t len);
	enum db_errkind (*errkind)(struct db *);

	/*
	 * Transactions (db.h). begin: a write transaction, one writer at a
	 * time (SQLite: BEGIN IMMEDIATE), waiting at most wait_ms for another
	 * writer (0: not at all): 1 when it still holds the lock (nothing
	 * begun); db.c waits longer by trying again. 0 began, -1 error.
	 * begin_read:
	 * one snapshot; 1 began, 0 already in a transaction, -1. rollback:
	 * nothing when not in one. A statement that fails in a transaction:
	 * SQLite's goes on; PostgreSQL's server ends it there, so its engine
	 * fails every later statement and the commit, naming that first
	 * failure (never a commit of part of it). The caller rolls back.
	 */
	int	 (*begin)(struct db *, int wait_ms);
	int	 (*begin_read)(struct db *);
	/* Whether a transaction (read or write) is open on the connection. */
	int	 (*in_transaction)(struct db *);
	int	 (*commit)(struct db *);
	void	 (*rollback)(struct db *);

	/* The schema version (SQLite: PRAGMA user_version): >= 0, or -1
	 * (errmsg()). set: in the migration's transaction; 0 or -1. */
	int	 (*version_get)(struct db *);
	int	 (*version_set)(struct db *, int);
	/* After migrations, before their commit: every reference still
	 * finds its row. 0, or -1 with db->err set. */
	int	 (*check_references)(struct db *);
	/* db_check() (db.h): each problem found given to found(arg, text);
	 * 0 the check ran, -1 it could not (db->err). */
	int	 (*check)(struct db *, void (*found)(void *, const char *),
		    void *arg);

	/* The db.h functions of the same names (db_data_version(),
	 * db_file_moved(), db_checkpoint_all()). */
	int	 (*data_version)(struct db *, int64_t *);
	int	 (*file_moved)(struct db *);
	int	 (*checkpoint_all)(struct db *);
};

/* The engines. */
extern const struct db_engine db_sqlite_engine;	/* db/sqlite/ */
extern const struct db_engine db_pg_engine;	/* db/pg/ */

/* Record the engine's message for the handle ("<what>: <errmsg>"), or a
 * refused step's reason; returns -1. */
int		 db_fail(struct db *, const char *what);
int		 db_failf(struct db *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

#endif
