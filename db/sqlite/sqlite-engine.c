/*
 * sqlite-engine: the SQLite engine of db/ (db-engine.h), the only code
 * that includes <sqlite3.h>. One file, opened with explicit flags, WAL,
 * synchronous=FULL, foreign keys and a busy timeout; the file and its -wal
 * and -shm companions private (0600); read-only media opened immutable.
 * db->conn is the sqlite3 connection.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db-engine.h"
#include "xmalloc.h"

#define BUSY_TIMEOUT_MS	10000

/* A statement: db/'s view first. */
struct sq_q {
	struct db_q	 q;
	sqlite3_stmt	*st;
};

static sqlite3 *
h(struct db *db)
{
	return db->conn;
}

static sqlite3_stmt *
st_of(struct db_q *q)
{
	return ((struct sq_q *)q)->st;
}

/*
 * sqlite's message, with the operating system's reason when sqlite's is an
 * I/O or open failure ("disk I/O error" alone does not say "disk full").
 */
static const char *
sq_errmsg_of(struct db *db, const char *msg, char *buf, size_t len)
{
	int code, sys;

	if (h(db) == NULL)
		return msg != NULL ? msg : "no database";
	if (msg == NULL)
		msg = sqlite3_errmsg(h(db));
	code = sqlite3_extended_errcode(h(db)) & 0xff;
	sys = sqlite3_system_errno(h(db));
	if (sys == 0 || (code != SQLITE_IOERR && code != SQLITE_CANTOPEN))
		return msg;
	snprintf(buf, len, "%s (%s)", msg, strerror(sys));
	return buf;
}

static const char *
sq_errmsg(struct db *db, char *buf, size_t len)
{
	return sq_errmsg_of(db, NULL, buf, len);
}

static enum db_errkind
sq_errkind(struct db *db)
{
	if (h(db) != NULL &&
	    sqlite3_extended_errcode(h(db)) == SQLITE_CONSTRAINT_CHECK)
		return DB_ERR_CHECK;
	return DB_ERR_OTHER;
}

/* Statements. */

static struct db_q *
sq_prepare(struct db *db, const char *sql, int persist)
{
	sqlite3_stmt *st = NULL;
	struct sq_q *s;

	if (sqlite3_prepare_v3(h(db), sql, -1, persist ?
	    SQLITE_PREPARE_PERSISTENT : 0, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->q.db = db;
	s->q.sql = sqlite3_sql(st);
	s->st = st;
	return &s->q;
}

static void
sq_finalize(struct db_q *q)
{
	if (q == NULL)
		return;
	sqlite3_finalize(st_of(q));
	free(q);
}

static void
sq_reset(struct db_q *q)
{
	sqlite3_reset(st_of(q));
}

static void
sq_clear(struct db_q *q)
{
	sqlite3_clear_bindings(st_of(q));
}

static const char *
bind_why(int rc)
{
	return rc == SQLITE_OK ? NULL : sqlite3_errstr(rc);
}

static const char *
sq_bind_int64(struct db_q *q, int i, int64_t v)
{
	return bind_why(sqlite3_bind_int64(st_of(q), i, v));
}

static const char *
sq_bind_text(struct db_q *q, int i, const char *v)
{
	return bind_why(sqlite3_bind_text(st_of(q), i, v, -1, SQLITE_STATIC));
}

static const char *
sq_bind_blob(struct db_q *q, int i, const void *v, size_t n)
{
	return bind_why(sqlite3_bind_blob64(st_of(q), i, v, n, SQLITE_STATIC));
}

static const char *
sq_bind_null(struct db_q *q, int i)
{
	return bind_why(sqlite3_bind_null(st_of(q), i));
}

static int
sq_step(struct db_q *q)
{
	switch (sqlite3_step(st_of(q))) {
	case SQLITE_ROW:
		return 1;
	case SQLITE_DONE:
		return 0;
	default:
		return -1;
	}
}

static int64_t
sq_col_int64(struct db_q *q, int i)
{
	return sqlite3_column_int64(st_of(q), i);
}

static const char *
sq_col_text(struct db_q *q, int i)
{
	return (const char *)sqlite3_column_text(st_of(q), i);
}

static const void *
sq_col_blob(struct db_q *q, int i, size_t *len)
{
	const void *p = sqlite3_column_blob(st_of(q), i);

	*len = (size_t)sqlite3_column_bytes(st_of(q), i);
	return p;
}

static int64_t
sq_changes(struct db *db)
{
	return sqlite3_changes64(h(db));
}

static int
sq_exec(struct db *db, const char *sql)
{
	return sqlite3_exec(h(db), sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* A statement of the moment on the connection, run to its first row:
 * 1 a row, 0 none, -1 error; *stp to finalize. */
static int
first_row(struct db *db, const char *sql, sqlite3_stmt **stp)
{
	int rc;

	*stp = NULL;
	if (sqlite3_prepare_v2(h(db), sql, -1, stp, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(*stp);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Schema version, data version, references. */

static int
sq_version_get(struct db *db)
{
	sqlite3_stmt *st;
	int v = -1;

	if (first_row(db, "PRAGMA user_version", &st) == 1)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
sq_version_set(struct db *db, int v)
{
	char sql[64];

	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v);
	return sq_exec(db, sql);
}

/* PRAGMA data_version: changes when another connection commits. One
 * statement, no table read: cheap enough for a timer, not for a repaint. */
static int
sq_data_version(struct db *db, int64_t *v)
{
	sqlite3_stmt *st;
	int rc = -1;

	if (first_row(db, "PRAGMA data_version", &st) == 1) {
		*v = sqlite3_column_int64(st, 0);
		rc = 0;
	} else
		db_fail(db, "reading the data version");
	sqlite3_finalize(st);
	return rc;
}

/* After a migration, before its commit: every reference still finds its
 * row (PRAGMA foreign_key_check). 0 clean, -1 a violation or an error. */
static int
sq_check_references(struct db *db)
{
	sqlite3_stmt *st;
	int rc = -1;

	switch (first_row(db, "PRAGMA foreign_key_check", &st)) {
	case 1:
		db_failf(db, "%s: migrating the schema would break a reference:"
		    " row %lld of %s points to a missing row of %s", db->path,
		    (long long)sqlite3_column_int64(st, 1),
		    (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 2));
		break;
	case 0:
		rc = 0;
		break;
	default:
		db_fail(db, "checking foreign keys");
		break;
	}
	sqlite3_finalize(st);
	return rc;
}

/* At most this many references named (integrity_check stops at 100 too);
 * the rest counted. */
#define SQ_CHECK_REFS	100

static int
sq_check(struct db *db, void (*found)(void *, const char *), void *arg)
{
	sqlite3_stmt *st;
	const char *t;
	char text[512];
	long long more = 0;
	int rc;

	/* A row "ok", or a row per problem (at most 100); the first one
	 * headed "*** in database main ***" and a line end. */
	for (rc = first_row(db, "PRAGMA integrity_check", &st); rc == 1;
	    rc = sqlite3_step(st) == SQLITE_ROW ? 1 : 0) {
		t = (const char *)sqlite3_column_text(st, 0);
		if (t == NULL || strcmp(t, "ok") == 0)
			continue;
		if (strncmp(t, "*** in database main ***\n", 25) == 0)
			t += 25;
		snprintf(text, sizeof text, "damaged: %s", t);
		found(arg, text);
	}
	sqlite3_finalize(st);
	if (rc == -1)
		return db_fail(db, "checking the database's integrity");
	for (rc = first_row(db, "PRAGMA foreign_key_check", &st); rc == 1;
	    rc = sqlite3_step(st) == SQLITE_ROW ? 1 : 0) {
		if (more++ >= SQ_CHECK_REFS)
			continue;
		snprintf(text, sizeof text, "row %lld of %s points to a row of"
		    " %s that is not there",
		    (long long)sqlite3_column_int64(st, 1),
		    (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 2));
		found(arg, text);
	}
	sqlite3_finalize(st);
	if (more > SQ_CHECK_REFS) {
		snprintf(text, sizeof text, "and %lld more rows that point to a"
		    " row that is not there", more - SQ_CHECK_REFS);
		found(arg, text);
	}
	if (rc == -1)
		return db_fail(db, "checking the references");
	return 0;
}

/* Opening. */

static int
make_parent_dir(const char *path, char **cause)
{
	char *copy = xstrdup(path), *dir;
	struct stat sb;
	int rc = 0;

	dir = dirname(copy);
	if (stat(dir, &sb) == 0)
		goto out;
	/* Create missing parents too; the last level holds keys: 0700. */
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
			rc = -1;
			break;
		}
		*p = '/';
	}
	if (rc == 0 && mkdir(dir, 0700) == -1 && errno != EEXIST)
		rc = -1;
	if (rc == -1)
		xasprintf(cause, "%s: cannot create directory: %s", dir,
		    strerror(errno));
out:
	free(copy);
	return rc;
}

/*
 * init: the database, its -wal and -shm files hold (encrypted) keys and the
 * audit trail: make each that exists 0600, even one that was there before
 * with a wider mode (an empty file made by `touch`, a restored copy).
 * SQLite creates -wal and -shm with the database's mode, next to the file
 * the path resolves to. chmod(2) by name: no descriptor of the database is
 * ever opened here (closing one would drop SQLite's locks).
 */
static int
make_private(const char *path, char **cause)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char *real = NULL, *name = NULL;
	struct stat sb;
	int rc = -1;

	if ((real = realpath(path, NULL)) == NULL) {
		if (errno == ENOENT)
			return 0;
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		free(name);
		xasprintf(&name, "%s%s", real, suffix[i]);
		if (lstat(name, &sb) == -1) {
			if (errno == ENOENT)
				continue;
			goto fail;
		}
		if (!S_ISREG(sb.st_mode)) {
			errno = EINVAL;
			xasprintf(cause, "%s: not a regular file", name);
			goto out;
		}
		if ((sb.st_mode & 07777) != 0600 && chmod(name, 0600) == -1)
			goto fail;
	}
	rc = 0;
	goto out;
fail:
	xasprintf(cause, "%s: cannot make it private (mode 0600): %s", name,
	    strerror(errno));
out:
	free(name);
	free(real);
	return rc;
}

/* Is path on a read-only file system (as its directory says)? */
static int
on_readonly_fs(const char *path)
{
	char *copy = xstrdup(path);
	struct statvfs vfs;
	int rc;

	rc = statvfs(dirname(copy), &vfs) == 0 && (vfs.f_flag & ST_RDONLY);
	free(copy);
	return rc;
}

/*
 * Why path cannot be written, or NULL if it can (as far as access(2) says):
 * a read-only file system, a directory we cannot create the WAL and shm
 * files in, or a file we cannot write.
 */
static const char *
why_unwritable(const char *path, char *buf, size_t len)
{
	char *copy = xstrdup(path), *dir;
	const char *why = NULL;

	dir = dirname(copy);
	if (on_readonly_fs(path))
		why = "the file system is read-only";
	else if (access(dir, W_OK) == -1) {
		snprintf(buf, len, "its directory %s is not writable (%s); SQLite"
		    " needs to create the -wal and -shm files there", dir,
		    strerror(errno));
		why = buf;
	} else if (access(path, W_OK) == -1) {
		snprintf(buf, len, "the file is not writable (%s)",
		    strerror(errno));
		why = buf;
	}
	free(copy);
	return why;
}

/* A file: URI for path that opens it immutable (read-only media). */
static char *
immutable_uri(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = xopen_memstream(&buf, &len);
	fputs("file:", f);
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p == '%' || *p == '?' || *p == '#' || *p < 0x20 || *p >= 0x7f)
			fprintf(f, "%%%02X", *p);
		else
			fputc(*p, f);
	}
	fputs("?immutable=1", f);
	if (fclose(f) != 0)
		abort();
	return buf;
}

/* A WAL file with content: an immutable open would not see it. */
static int
has_wal(const char *path)
{
	char *wal;
	struct stat sb;
	int rc;

	xasprintf(&wal, "%s-wal", path);
	rc = stat(wal, &sb) == 0 && sb.st_size > 0;
	free(wal);
	return rc;
}

static int
open_handle(struct db *db, const char *path, int oflags, int immutable)
{
	sqlite3 *conn = NULL;
	char *uri = NULL;
	int rc;

	if (h(db) != NULL) {
		sqlite3_close(h(db));
		db->conn = NULL;
	}
	if (immutable) {
		uri = immutable_uri(path);
		oflags |= SQLITE_OPEN_URI;
	}
	rc = sqlite3_open_v2(immutable ? uri : path, &conn, oflags, NULL);
	free(uri);
	if (conn == NULL)
		abort();
	db->conn = conn;
	if (rc != SQLITE_OK)
		return -1;
	sqlite3_extended_result_codes(conn, 1);
	sqlite3_busy_timeout(conn, BUSY_TIMEOUT_MS);
	return 0;
}

/* Schema version 0: a new file (init) or a file that is not ours. */
static int
check_unversioned(struct db *db, int create)
{
	sqlite3_stmt *st;
	int n = -1;

	if (first_row(db, "SELECT count(*) FROM sqlite_master", &st) == 1)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (n == -1)
		return db_fail(db, db->path);
	if (n > 0)
		return db_failf(db, "%s: not an ehttp database (an SQLite"
		    " database of another program, without ehttp's schema"
		    " version)", db->path);
	if (!create)
		return db_failf(db, "%s: empty file, not an ehttp database (run"
		    " `ehttpctl init` to create one)", db->path);
	return 0;
}

/* With create: the file (0600) and its folder, before SQLite opens it. */
static int
create_file(const char *path, char **cause)
{
	int fd;

	/*
	 * Never open the file ourselves to look at it: closing any descriptor
	 * of it drops the POSIX locks SQLite holds for the other connections
	 * of this process (a checkpointer could then delete the WAL under
	 * them). A foreign file shows as SQLITE_NOTADB in sq_open().
	 */
	if (make_parent_dir(path, cause) == -1)
		return -1;
	/* The file holds encrypted keys: create it 0600 ourselves
	 * (sqlite's WAL and shm files copy its mode). */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1 && errno != EEXIST) {
		xasprintf(cause, "%s: cannot create: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fd != -1)
		close(fd);
	return make_private(path, cause);
}

/* Why the schema version could not be read (v == -1), in db->err. */
static void
unusable(struct db *db, int readonly)
{
	char buf[256], why[320];	/* why fits db->err after the path */
	const char *path = db->path, *ro;
	int code = sqlite3_extended_errcode(h(db)) & 0xff;
	int cantopen = code == SQLITE_CANTOPEN || code == SQLITE_READONLY;

	/* A reader of a WAL database needs its shm file too. */
	if (code == SQLITE_NOTADB)
		snprintf(db->err, sizeof db->err, "%s: not an ehttp"
		    " database (not an SQLite file)", path);
	else if ((!readonly || cantopen) && (ro = why_unwritable(path,
	    why, sizeof why)) != NULL)
		snprintf(db->err, sizeof db->err, "%s: cannot %s the"
		    " database: %s", path, readonly ? "open" : "write",
		    ro);
	else
		snprintf(db->err, sizeof db->err, "%s: not a usable"
		    " database: %s", path, sq_errmsg(db, buf, sizeof buf));
}

static int
sq_open(struct db *db, int flags, char **cause)
{
	const char *path = db->path;
	int oflags, v, readonly = (flags & DB_OPEN_READONLY) != 0;
	int create = (flags & DB_OPEN_CREATE) && !readonly;
	struct stat sb;

	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		xasprintf(cause, "%s: not an ehttp database (not a regular"
		    " file)", path);
		return -1;
	}
	if (create && create_file(path, cause) == -1)
		return -1;
	oflags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	if (readonly)
		oflags |= SQLITE_OPEN_READONLY;
	else {
		oflags |= SQLITE_OPEN_READWRITE;
		if (create)
			oflags |= SQLITE_OPEN_CREATE;
	}
	if (open_handle(db, path, oflags, 0) == -1) {
		if (access(path, F_OK) == -1 && !create)
			snprintf(db->err, sizeof db->err, "%s: no such database"
			    " (run `ehttpctl init` first)", path);
		else
			db_fail(db, path);
		return -1;
	}
	/* Touch the schema so a corrupt or foreign file fails here. */
	if ((v = sq_version_get(db)) == -1 && readonly &&
	    (sqlite3_extended_errcode(h(db)) & 0xff) == SQLITE_CANTOPEN &&
	    on_readonly_fs(path) && !has_wal(path)) {
		/* WAL needs the shm file; read-only media cannot hold one and
		 * nobody can write there: read it as immutable. */
		if (open_handle(db, path, oflags, 1) == -1) {
			db_fail(db, path);
			return -1;
		}
		v = sq_version_get(db);
	}
	if (v == -1) {
		unusable(db, readonly);
		return -1;
	}
	if (v == 0 && check_unversioned(db, create) == -1)
		return -1;
	if (readonly)
		return 0;
	/*
	 * Foreign keys are off while migrating (sq_ready() turns them on):
	 * SQLite's way of changing a table (migration 8) drops the old
	 * table, which with foreign keys on would delete or null what
	 * refers to it. The pragma has no effect inside a transaction, so
	 * it is set before.
	 */
	if (sq_exec(db, "PRAGMA journal_mode = WAL") == -1 ||
	    sq_exec(db, "PRAGMA synchronous = FULL") == -1 ||
	    sq_exec(db, "PRAGMA foreign_keys = OFF") == -1)
		return db_fail(db, path);
	return 0;
}

static int
sq_ready(struct db *db)
{
	if (sq_exec(db, "PRAGMA foreign_keys = ON") == -1)
		return db_fail(db, db->path);
	return 0;
}

static void
sq_close(struct db *db)
{
	sqlite3_close(h(db));
	db->conn = NULL;
}

static int
sq_file_moved(struct db *db)
{
	int moved = 0, rc;

	/* The unix VFS compares the inode it has open with a stat() of the
	 * path (SQLITE_FCNTL_HAS_MOVED). */
	rc = sqlite3_file_control(h(db), "main", SQLITE_FCNTL_HAS_MOVED,
	    &moved);
	if (rc != SQLITE_OK) {
		snprintf(db->err, sizeof db->err, "%s: cannot tell whether the"
		    " database file was replaced: %s", db->path,
		    sqlite3_errstr(rc));
		return -1;
	}
	return moved != 0;
}

static int
sq_checkpoint_all(struct db *db)
{
	int rc, nlog = -1, ndone = -1;

	/* No waiting: a caller with an event loop tries again later. */
	sqlite3_busy_timeout(h(db), 0);
	rc = sqlite3_wal_checkpoint_v2(h(db), "main",
	    SQLITE_CHECKPOINT_TRUNCATE, &nlog, &ndone);
	sqlite3_busy_timeout(h(db), BUSY_TIMEOUT_MS);
	if (rc == SQLITE_BUSY || (rc == SQLITE_OK && nlog > 0))
		return 1;
	if (rc != SQLITE_OK)
		return db_fail(db, "checkpointing the write-ahead log");
	return 0;
}

/* Transactions. */

static int
tx(struct db *db, const char *sql, const char *what)
{
	if (sq_exec(db, sql) == -1)
		return db_fail(db, what);
	return 0;
}

/* Waiting at most wait_ms (SQLite's busy handler): db.c waits longer by
 * trying again. The busy timeout stays for the other statements (a read
 * while a checkpoint runs). */
static int
sq_begin(struct db *db, int wait_ms)
{
	int rc;

	sqlite3_busy_timeout(h(db), wait_ms);
	rc = sqlite3_exec(h(db), "BEGIN IMMEDIATE", NULL, NULL, NULL);
	sqlite3_busy_timeout(h(db), BUSY_TIMEOUT_MS);
	if (rc == SQLITE_OK)
		return 0;
	if ((rc & 0xff) == SQLITE_BUSY)
		return 1;
	return db_fail(db, "starting a transaction");
}

static int
sq_in_transaction(struct db *db)
{
	return !sqlite3_get_autocommit(h(db));
}

static int
sq_begin_read(struct db *db)
{
	if (sq_in_transaction(db))
		return 0;	/* already in one: it is the snapshot */
	return tx(db, "BEGIN DEFERRED", "starting a read transaction") ==
	    -1 ? -1 : 1;
}

static int
sq_commit(struct db *db)
{
	return tx(db, "COMMIT", "committing");
}

static void
sq_rollback(struct db *db)
{
	if (sq_in_transaction(db))
		sqlite3_exec(h(db), "ROLLBACK", NULL, NULL, NULL);
}

const struct db_engine db_sqlite_engine = {
	.stmt_sql = NULL,
	.schema = NULL,
	.open = sq_open,
	.ready = sq_ready,
	.close = sq_close,
	.prepare = sq_prepare,
	.finalize = sq_finalize,
	.reset = sq_reset,
	.clear = sq_clear,
	.q_bind_int64 = sq_bind_int64,
	.q_bind_text = sq_bind_text,
	.q_bind_blob = sq_bind_blob,
	.q_bind_null = sq_bind_null,
	.q_step = sq_step,
	.col_int64 = sq_col_int64,
	.col_text = sq_col_text,
	.col_blob = sq_col_blob,
	.changes = sq_changes,
	.exec = sq_exec,
	.errmsg = sq_errmsg,
	.errkind = sq_errkind,
	.begin = sq_begin,
	.begin_read = sq_begin_read,
	.in_transaction = sq_in_transaction,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.version_get = sq_version_get,
	.version_set = sq_version_set,
	.check_references = sq_check_references,
	.check = sq_check,
	.data_version = sq_data_version,
	.file_moved = sq_file_moved,
	.checkpoint_all = sq_checkpoint_all,
};
