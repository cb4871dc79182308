/*
 * pg-engine: the PostgreSQL engine of db/ (db-engine.h), the only code
 * that includes <libpq-fe.h>. db->conn is a struct pg_conn.
 *
 * Statements: the common dialect's ?N become $N (outside quotes) and each
 * run is one PQexecParams: integers are sent as int8, text as text, blobs
 * as bytea in binary, so the server never guesses a type from a string;
 * rows come back as text (an integer is read with strtoll, bytea is
 * decoded from its hex form).
 *
 * Transactions keep SQLite's model: a write transaction takes one
 * transaction-scoped advisory lock first (one writer at a time, as BEGIN
 * IMMEDIATE), so read-committed writers never lose an update; a read
 * transaction is one REPEATABLE READ snapshot. Each write transaction adds
 * one to ehttp_schema.changes as it commits: data_version() is that count
 * less this connection's own commits, so it changes when another
 * connection committed, as SQLite's PRAGMA data_version does.
 *
 * The target is a libpq connection string (postgresql://..., or
 * key=value pairs); once connected, db->path becomes
 * postgresql://user@host:port/dbname, which never holds a password.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#define DB_BIND_IMPL		/* an engine: it fills in the binds and steps */
#include "db-engine.h"
#include "pg-sql.h"
#include "xmalloc.h"

/*
 * libpq is opened when a PostgreSQL target is (dlopen), not linked: the
 * dozen libraries it brings (Kerberos, LDAP, ...) would double the start
 * of every program, also on a SQLite file. Its functions are called
 * through these pointers under their own names.
 */
#define PQ_SONAME	"libpq.so.5"
#define PQ_FUNCS(X) \
	X(PQclear) \
	X(PQcmdTuples) \
	X(PQconnectdb) \
	X(PQdb) \
	X(PQencryptPasswordConn) \
	X(PQerrorMessage) \
	X(PQexec) \
	X(PQexecParams) \
	X(PQexecPrepared) \
	X(PQfinish) \
	X(PQfreemem) \
	X(PQftype) \
	X(PQgetisnull) \
	X(PQgetlength) \
	X(PQgetvalue) \
	X(PQhost) \
	X(PQnfields) \
	X(PQntuples) \
	X(PQport) \
	X(PQprepare) \
	X(PQreset) \
	X(PQresultErrorField) \
	X(PQresultStatus) \
	X(PQsetClientEncoding) \
	X(PQsetNoticeProcessor) \
	X(PQstatus) \
	X(PQtransactionStatus) \
	X(PQunescapeBytea) \
	X(PQuser)
#define PQ_POINTER(f)	static __typeof__(f) *p_##f;
PQ_FUNCS(PQ_POINTER)
#define PQclear	(*p_PQclear)
#define PQcmdTuples	(*p_PQcmdTuples)
#define PQconnectdb	(*p_PQconnectdb)
#define PQdb	(*p_PQdb)
#define PQencryptPasswordConn	(*p_PQencryptPasswordConn)
#define PQerrorMessage	(*p_PQerrorMessage)
#define PQexec	(*p_PQexec)
#define PQexecParams	(*p_PQexecParams)
#define PQexecPrepared	(*p_PQexecPrepared)
#define PQfinish	(*p_PQfinish)
#define PQfreemem	(*p_PQfreemem)
#define PQftype	(*p_PQftype)
#define PQgetisnull	(*p_PQgetisnull)
#define PQgetlength	(*p_PQgetlength)
#define PQgetvalue	(*p_PQgetvalue)
#define PQhost	(*p_PQhost)
#define PQnfields	(*p_PQnfields)
#define PQntuples	(*p_PQntuples)
#define PQport	(*p_PQport)
#define PQprepare	(*p_PQprepare)
#define PQreset	(*p_PQreset)
#define PQresultErrorField	(*p_PQresultErrorField)
#define PQresultStatus	(*p_PQresultStatus)
#define PQsetClientEncoding	(*p_PQsetClientEncoding)
#define PQsetNoticeProcessor	(*p_PQsetNoticeProcessor)
#define PQstatus	(*p_PQstatus)
#define PQtransactionStatus	(*p_PQtransactionStatus)
#define PQunescapeBytea	(*p_PQunescapeBytea)
#define PQuser	(*p_PQuser)

static pthread_once_t pq_once = PTHREAD_ONCE_INIT;
static char pq_error[256];	/* why libpq could not be loaded */

static void
pq_load(void)
{
	void *h = dlopen(PQ_SONAME, RTLD_NOW | RTLD_LOCAL);
	const char *missing = NULL;

	if (h == NULL) {
		snprintf(pq_error, sizeof pq_error, "PostgreSQL needs libpq"
		    " (Debian: libpq5): %s", dlerror());
		return;
	}
#define PQ_RESOLVE(f) \
	if (missing == NULL && (*(void **)&p_##f = dlsym(h, #f)) == NULL) \
		missing = #f;
	PQ_FUNCS(PQ_RESOLVE)
#undef PQ_RESOLVE
	if (missing != NULL)
		snprintf(pq_error, sizeof pq_error, "%s has no %s: too old a"
		    " libpq", PQ_SONAME, missing);
}

#define PG_WRITER_LOCK	"6568747470"	/* "ehttp" as a number */
#define OID_BOOL	16
#define OID_BYTEA	17
#define OID_INT8	20
#define OID_TEXT	25

struct pg_conn {
	PGconn		*c;
	char		 err[512];	/* the last failure */
	enum db_errkind	 kind;
	int64_t		 changes;	/* rows the last statement changed */
	int		 writing;	/* in a write transaction (begin) */
	int		 txn;		/* a transaction began, not ended */
	int64_t		 own;		/* commits of this connection */
	unsigned	 session;	/* connects so far (prepared names die) */
	unsigned	 names;		/* statements prepared in this session */
	/*
	 * Why the transaction under way failed: the server ends a
	 * transaction at its first failed statement (SQLite goes on), so
	 * every later statement and the commit fail, naming this one,
	 * rather than with the server's "current transaction is aborted"
	 * (or a COMMIT the server turns into a ROLLBACK). "": none.
	 */
	char		 failed[512];
};

/* A statement: db/'s view first. */
struct pg_q {
	struct db_q	 q;
	char		*text;		/* $N form */
	int		 n;		/* parameters ($1 .. $n) */
	const char	**vals;
	int		*lens, *fmts;
	unsigned int	*types;
	char		(*num)[24];	/* an int64 parameter's text */
	PGresult	*res;
	int		 row, nrows;
	unsigned char	**blobs;	/* decoded bytea of the current row (libpq's) */
	size_t		*bloblens;
	int		 ncols;
	/* A statement of the table run again on the same connection (an
	 * agent's poll, the site server's pass) is prepared on the server
	 * once, under name, with the parameter types it had then. */
	int		 persist;
	int		 good;		/* it ran without an error */
	unsigned	 session;	/* of name; 0 none */
	char		 name[16];
	unsigned int	*ptypes;
};

static struct pg_conn *
pc(struct db *db)
{
	return db->conn;
}

static struct pg_q *
pq(struct db_q *q)
{
	return (struct pg_q *)q;
}

/* Libpq's notices (NOTICE, WARNING) are not printed: the server's text
 * never reaches a terminal. */
static void
pg_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/*
 * libpq's texts in one line: a connection's message has a line for each
 * thing it learned ("FATAL:  terminating connection due to administrator
 * command\nserver closed the connection unexpectedly\n\tThis probably
 * means..."): the lines joined by "; ", without their "FATAL:  " or
 * "ERROR:  " and the tabs, so that a message shows them as words rather
 * than as escapes.
 */
static void
pg_one_line(char *s)
{
	static const char *const tags[] = { "FATAL:  ", "ERROR:  " };
	char *in = s, *out = s;
	int line = 1;

	while (*in != '\0') {
		if (line) {
			while (*in == '\t' || *in == ' ')
				in++;
			for (size_t i = 0; i < sizeof tags / sizeof *tags; i++)
				if (strncmp(in, tags[i], strlen(tags[i])) == 0)
					in += strlen(tags[i]);
			line = 0;
		}
		if (*in == '\n') {
			while (*in == '\n')
				in++;
			if (*in != '\0' && out != s) {
				*out++ = ';';
				*out++ = ' ';
			}
			line = 1;
		} else {
			*out++ = *in == '\t' ? ' ' : *in;
			in++;
		}
	}
	*out = '\0';
}

static void __attribute__((format(printf, 2, 3)))
pg_seterr(struct db *db, const char *fmt, ...)
{
	struct pg_conn *p = pc(db);
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(p->err, sizeof p->err, fmt, ap);
	va_end(ap);
	pg_one_line(p->err);
	n = strlen(p->err);
	while (n > 0 && p->err[n - 1] == ' ')
		p->err[--n] = '\0';
	p->kind = DB_ERR_OTHER;
}

/* A result's failure into the connection's message; -1. */
static int
pg_result_failed(struct db *db, PGresult *r)
{
	const char *state = r != NULL ? PQresultErrorField(r,
	    PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r != NULL ? PQresultErrorField(r,
	    PG_DIAG_MESSAGE_PRIMARY) : NULL;

	/* The primary message alone (no "ERROR:", no LINE/caret lines). */
	pg_seterr(db, "%s", msg != NULL ? msg : PQerrorMessage(pc(db)->c));
	if (state != NULL && strcmp(state, "23514") == 0)
		pc(db)->kind = DB_ERR_CHECK;
	else if (state != NULL && strcmp(state, "55P03") == 0)
		pc(db)->kind = DB_ERR_BUSY;	/* lock_not_available */
	if (pc(db)->txn && pc(db)->failed[0] == '\0')
		snprintf(pc(db)->failed, sizeof pc(db)->failed, "%s",
		    pc(db)->err);
	return -1;
}

/* A statement of a transaction that failed earlier is not sent: -1, the
 * first failure named. 0: go on. */
static int
pg_txn_failed(struct db *db)
{
	struct pg_conn *p = pc(db);
	char first[sizeof p->failed];

	if (!p->txn || p->failed[0] == '\0')
		return 0;
	snprintf(first, sizeof first, "%s", p->failed);
	pg_seterr(db, "an earlier statement of this transaction failed"
	    " (%s): the transaction is rolled back", first);
	return -1;
}

static int	pg_exec(struct db *, const char *);
static int	pg_alive(struct db *);

/*
 * After a statement failed outside a transaction: whether the server had
 * closed the connection (a restart, an idle timeout), which libpq learns
 * only when it sends; then the statement goes once more on a new
 * connection (pg_alive). Outside a transaction only BEGIN and reads are
 * sent (every write is in a write transaction, and a COMMIT, whose fate
 * is unknown, is never sent again), so nothing runs twice.
 */
static int
pg_retry(struct db *db)
{
	return !pc(db)->txn && PQstatus(pc(db)->c) == CONNECTION_BAD &&
	    pg_alive(db) == 0;
}

/* The session's settings, after a connect or a reconnect: 0 or -1. */
static int
pg_session(struct db *db)
{
	pc(db)->session++;
	pc(db)->names = 0;
	if (PQsetClientEncoding(pc(db)->c, "UTF8") != 0) {
		pg_seterr(db, "%s", PQerrorMessage(pc(db)->c));
		return -1;
	}
	return pg_exec(db, "SET client_min_messages = warning;"
	    " SET TIME ZONE 'UTC'");
}

/*
 * A connection the server lost (a restart, a network cut) is made again
 * before the next statement, unless a transaction was under way: that
 * one failed with the connection, and its caller starts again. 0 ready,
 * -1 not (the reason in the connection's message).
 */
static int
pg_alive(struct db *db)
{
	PGconn *c = pc(db)->c;

	if (PQstatus(c) == CONNECTION_OK)
		return 0;
	if (pc(db)->txn) {		/* never half a transaction */
		pg_seterr(db, "the connection to the database server was lost"
		    " in a transaction: %s", PQerrorMessage(c));
		return -1;
	}
	PQreset(c);
	if (PQstatus(c) != CONNECTION_OK) {
		pg_seterr(db, "the database server cannot be reached: %s",
		    PQerrorMessage(c));
		return -1;
	}
	pc(db)->writing = 0;
	return pg_session(db);
}

static int
pg_exec(struct db *db, const char *sql)
{
	PGresult *r;
	int st, rc = 0;

	if (pg_txn_failed(db) == -1 || pg_alive(db) == -1)
		return -1;
	r = PQexec(pc(db)->c, sql);
	st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && pg_retry(db)) {
		PQclear(r);
		r = PQexec(pc(db)->c, sql);
		st = PQresultStatus(r);
	}
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = pg_result_failed(db, r);
	PQclear(r);
	return rc;
}

/* One integer from a one-row query: 0, or -1. */
static int
pg_query_int(struct db *db, const char *sql, int64_t *v)
{
	PGresult *r;
	int rc = -1;

	if (pg_txn_failed(db) == -1 || pg_alive(db) == -1)
		return -1;
	r = PQexec(pc(db)->c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK && pg_retry(db)) {
		PQclear(r);
		r = PQexec(pc(db)->c, sql);
	}
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		pg_result_failed(db, r);
	else if (PQntuples(r) != 1 || PQnfields(r) < 1)
		pg_seterr(db, "%s: %d rows, not one", sql, PQntuples(r));
	else {
		*v = PQgetisnull(r, 0, 0) ? 0 : strtoll(PQgetvalue(r, 0, 0),
		    NULL, 10);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

/* ------------------------------------------------------------ connect */

/* postgresql://user@host:port/dbname of the connection: no password. */
static void
pg_display_target(struct db *db)
{
	PGconn *c = pc(db)->c;
	const char *host = PQhost(c);

	free(db->path);
	if (host == NULL)
		host = "";
	/* A socket directory in brackets, as an address would be. */
	xasprintf(&db->path, "postgresql://%s@%s%s%s:%s/%s", PQuser(c),
	    *host == '/' ? "[" : "", host, *host == '/' ? "]" : "", PQport(c),
	    PQdb(c));
}

/* msg (malloc'ed) without the connection string target in it: libpq
 * quotes a URI it cannot parse, password and all. */
static char *
pg_unquoted(const char *msg, const char *target)
{
	const char *hit;
	char *out;

	if (*target == '\0' || (hit = strstr(msg, target)) == NULL)
		return xstrdup(msg);
	xasprintf(&out, "%.*s(the connection string)%s", (int)(hit - msg), msg,
	    hit + strlen(target));
	return out;
}

static int
pg_open(struct db *db, int flags, char **cause)
{
	struct pg_conn *p = xcalloc(1, sizeof *p);

	(void)flags;
	pthread_once(&pq_once, pq_load);
	db->conn = p;
	if (pq_error[0] != '\0') {
		xasprintf(cause, "%s", pq_error);
		return -1;
	}
	p->c = PQconnectdb(db->path);
	if (p->c == NULL || PQstatus(p->c) != CONNECTION_OK) {
		char *msg = pg_unquoted(p->c != NULL ? PQerrorMessage(p->c) :
		    "out of memory", db->path);

		pg_one_line(msg);
		/* Never the target itself: it may hold a password. */
		xasprintf(cause, "cannot connect to the PostgreSQL database:"
		    " %s", msg);
		free(msg);
		return -1;
	}
	PQsetNoticeProcessor(p->c, pg_notice, NULL);
	pg_display_target(db);
	if (pg_session(db) == -1) {
		xasprintf(cause, "%s: %s", db->path, p->err);
		return -1;
	}
	return 0;
}

static int
pg_ready(struct db *db)
{
	(void)db;
	return 0;
}

static void
pg_close(struct db *db)
{
	struct pg_conn *p = pc(db);

	if (p == NULL)
		return;
	if (p->c != NULL)
		PQfinish(p->c);
	free(p);
	db->conn = NULL;
}

/* --------------------------------------------------------- statements */

/* sql with ?N as $N outside quotes (the same length: the common dialect
 * numbers its parameters); *n the highest number. */
static char *
pg_translate(const char *sql, int *n)
{
	char *out = xstrdup(sql), quote = 0;
	long v;

	*n = 0;
	for (char *s = out; *s != '\0'; s++) {
		if (quote != 0)
			quote = *s == quote ? 0 : quote;
		else if (*s == '\'' || *s == '"')
			quote = *s;
		else if (*s == '?' && s[1] >= '1' && s[1] <= '9') {
			*s = '$';
			if ((v = strtol(s + 1, NULL, 10)) > *n && v <= 65535)
				*n = (int)v;	/* libpq's limit: 65535 */
		}
	}
	return out;
}

static void
pg_rowfree(struct pg_q *q)
{
	for (int i = 0; i < q->ncols; i++)
		if (q->blobs[i] != NULL)
			PQfreemem(q->blobs[i]);
	free(q->blobs);
	free(q->bloblens);
	q->blobs = NULL;
	q->bloblens = NULL;
	q->ncols = 0;
}

static struct db_q *
pg_prepare(struct db *db, const char *sql, int persist)
{
	struct pg_q *q = xcalloc(1, sizeof *q);

	q->persist = persist;
	q->q.db = db;
	q->text = pg_translate(sql, &q->n);
	q->q.sql = q->text;
	if (q->n > 0) {
		q->vals = xcalloc(q->n, sizeof *q->vals);
		q->lens = xcalloc(q->n, sizeof *q->lens);
		q->fmts = xcalloc(q->n, sizeof *q->fmts);
		q->types = xcalloc(q->n, sizeof *q->types);
		q->ptypes = xcalloc(q->n, sizeof *q->ptypes);
		q->num = xcalloc(q->n, sizeof *q->num);
	}
	return &q->q;
}

static void
pg_reset(struct db_q *dq)
{
	struct pg_q *q = pq(dq);

	pg_rowfree(q);
	PQclear(q->res);
	q->res = NULL;
	q->row = q->nrows = 0;
}

static void
pg_clear(struct db_q *dq)
{
	struct pg_q *q = pq(dq);

	for (int i = 0; i < q->n; i++) {
		q->vals[i] = NULL;
		q->lens[i] = q->fmts[i] = 0;
		q->types[i] = 0;
	}
}

static void
pg_finalize(struct db_q *dq)
{
	struct pg_q *q = pq(dq);

	if (dq == NULL)
		return;
	pg_reset(dq);
	free(q->text);
	free(q->vals);
	free(q->lens);
	free(q->fmts);
	free(q->types);
	free(q->ptypes);
	free(q->num);
	free(q);
}

static const char *
pg_param(struct pg_q *q, int i, unsigned int type, int fmt)
{
	if (i < 1 || i > q->n)
		return "column index out of range";
	q->types[i - 1] = type;
	q->fmts[i - 1] = fmt;
	q->lens[i - 1] = 0;
	return NULL;
}

static const char *
pg_bind_int64(struct db_q *dq, int i, int64_t v)
{
	struct pg_q *q = pq(dq);
	const char *why;

	if ((why = pg_param(q, i, OID_INT8, 0)) != NULL)
		return why;
	snprintf(q->num[i - 1], sizeof q->num[i - 1], "%lld", (long long)v);
	q->vals[i - 1] = q->num[i - 1];
	return NULL;
}

static const char *
pg_bind_text(struct db_q *dq, int i, const char *s)
{
	struct pg_q *q = pq(dq);
	const char *why;

	if ((why = pg_param(q, i, OID_TEXT, 0)) != NULL)
		return why;
	q->vals[i - 1] = s;
	return NULL;
}

static const char *
pg_bind_blob(struct db_q *dq, int i, const void *p, size_t len)
{
	struct pg_q *q = pq(dq);
	const char *why;

	if (len > 0x3fffffff)
		return "string or blob too big";
	if ((why = pg_param(q, i, OID_BYTEA, 1)) != NULL)
		return why;
	q->vals[i - 1] = len > 0 ? p : "";
	q->lens[i - 1] = (int)len;
	return NULL;
}

static const char *
pg_bind_null(struct db_q *dq, int i)
{
	struct pg_q *q = pq(dq);
	const char *why;

	if ((why = pg_param(q, i, 0, 0)) != NULL)
		return why;
	q->vals[i - 1] = NULL;
	return NULL;
}

/*
 * Whether q runs as a prepared statement: one of the table's that ran
 * well before on this connection, its parameters of the types it was
 * prepared with (a NULL bound where a number was is not: that run is a
 * plain one). 1 prepared, 0 run it plainly, -1 preparing failed (said; in
 * a transaction the server ended it there, so that is its first failure).
 */
static int
pg_prepared(struct db *db, struct pg_q *q)
{
	struct pg_conn *c = pc(db);
	PGresult *r;

	if (!q->persist || !q->good)
		return 0;
	if (q->session == c->session)
		return q->n == 0 || memcmp(q->types, q->ptypes, q->n *
		    sizeof *q->types) == 0;
	snprintf(q->name, sizeof q->name, "ehttp%u", ++c->names);
	r = PQprepare(c->c, q->name, q->text, q->n, q->types);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		pg_result_failed(db, r);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	q->session = c->session;
	if (q->n > 0)
		memcpy(q->ptypes, q->types, q->n * sizeof *q->types);
	return 1;
}

static int
pg_step(struct db_q *dq)
{
	struct pg_q *q = pq(dq);
	struct db *db = dq->db;
	int st, prep;

	if (q->res == NULL) {
		if (pg_txn_failed(db) == -1 || pg_alive(db) == -1)
			return -1;
		for (int tries = 0;; tries++) {
			if ((prep = pg_prepared(db, q)) == -1) {
				if (tries == 0 && pg_retry(db))
					continue;
				return -1;
			}
			if (prep)
				q->res = PQexecPrepared(pc(db)->c, q->name,
				    q->n, q->vals, q->lens, q->fmts, 0);
			else
				q->res = PQexecParams(pc(db)->c, q->text, q->n,
				    q->types, q->vals, q->lens, q->fmts, 0);
			st = PQresultStatus(q->res);
			if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ||
			    tries > 0 || !pg_retry(db))
				break;
			PQclear(q->res);
		}
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			pg_result_failed(db, q->res);
			PQclear(q->res);
			q->res = NULL;
			return -1;
		}
		q->good = 1;
		if (*PQcmdTuples(q->res) != '\0')
			pc(db)->changes = strtoll(PQcmdTuples(q->res), NULL, 10);
		q->nrows = PQntuples(q->res);
		q->row = -1;
	}
	pg_rowfree(q);
	if (q->row + 1 >= q->nrows) {
		q->row = q->nrows;
		return 0;
	}
	q->row++;
	return 1;
}

static int
pg_col_ok(struct pg_q *q, int i)
{
	return q->res != NULL && q->row >= 0 && q->row < q->nrows && i >= 0 &&
	    i < PQnfields(q->res);
}

static int
pg_col_null(struct db_q *dq, int i)
{
	struct pg_q *q = pq(dq);

	return !pg_col_ok(q, i) || PQgetisnull(q->res, q->row, i);
}

static int64_t
pg_col_int64(struct db_q *dq, int i)
{
	struct pg_q *q = pq(dq);
	const char *v;

	if (pg_col_null(dq, i))
		return 0;
	v = PQgetvalue(q->res, q->row, i);
	if (PQftype(q->res, i) == OID_BOOL)
		return *v == 't';
	return strtoll(v, NULL, 10);
}

static const char *
pg_col_text(struct db_q *dq, int i)
{
	struct pg_q *q = pq(dq);

	return pg_col_null(dq, i) ? NULL : PQgetvalue(q->res, q->row, i);
}

static const void *
pg_col_blob(struct db_q *dq, int i, size_t *len)
{
	struct pg_q *q = pq(dq);
	const char *v;
	size_t n;

	*len = 0;
	if (pg_col_null(dq, i))
		return NULL;
	v = PQgetvalue(q->res, q->row, i);
	n = (size_t)PQgetlength(q->res, q->row, i);
	if (PQftype(q->res, i) != OID_BYTEA) {
		*len = n;
		return v;
	}
	if (q->ncols == 0) {
		q->ncols = PQnfields(q->res);
		q->blobs = xcalloc(q->ncols, sizeof *q->blobs);
		q->bloblens = xcalloc(q->ncols, sizeof *q->bloblens);
	}
	/* bytea's text form decoded by libpq (NULL: it could not). */
	if (q->blobs[i] == NULL && (q->blobs[i] = PQunescapeBytea(
	    (const unsigned char *)v, &q->bloblens[i])) == NULL)
		return NULL;
	*len = q->bloblens[i];
	return q->blobs[i];
}

static int64_t
pg_changes(struct db *db)
{
	return pc(db)->changes;
}

static const char *
pg_errmsg(struct db *db, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return pc(db) != NULL ? pc(db)->err : "no database";
}

static enum db_errkind
pg_errkind(struct db *db)
{
	return pc(db) != NULL ? pc(db)->kind : DB_ERR_OTHER;
}

/* ------------------------------------------------------- transactions */

static int
pg_in_transaction(struct db *db)
{
	return pc(db)->txn;
}

/* The writers' lock is an advisory lock held to the transaction's end.
 * Waiting at most wait_ms, in the server's queue (lock_timeout); 0: not at
 * all (pg_try_advisory_xact_lock). db.c waits longer by trying again. */
static int
pg_begin(struct db *db, int wait_ms)
{
	char sql[256];
	int64_t got = 1;
	int rc, busy;

	if (wait_ms > 0) {
		snprintf(sql, sizeof sql, "BEGIN ISOLATION LEVEL READ"
		    " COMMITTED; SET LOCAL lock_timeout = %d; SELECT"
		    " pg_advisory_xact_lock(" PG_WRITER_LOCK "); SET LOCAL"
		    " lock_timeout = DEFAULT", wait_ms);
		rc = pg_exec(db, sql);
	} else
		rc = pg_query_int(db, "BEGIN ISOLATION LEVEL READ COMMITTED;"
		    " SELECT pg_try_advisory_xact_lock(" PG_WRITER_LOCK
		    ")::int", &got);
	if (rc == -1 || got == 0) {
		busy = rc == 0 || pc(db)->kind == DB_ERR_BUSY;
		if (PQtransactionStatus(pc(db)->c) != PQTRANS_IDLE)
			pg_exec(db, "ROLLBACK");
		return busy ? 1 : db_fail(db, "starting a transaction");
	}
	pc(db)->writing = pc(db)->txn = 1;
	pc(db)->failed[0] = '\0';
	return 0;
}

static int
pg_begin_read(struct db *db)
{
	if (pg_in_transaction(db))
		return 0;
	if (pg_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") ==
	    -1)
		return db_fail(db, "starting a read transaction");
	pc(db)->writing = 0;
	pc(db)->txn = 1;
	pc(db)->failed[0] = '\0';
	return 1;
}

static void	pg_rollback(struct db *);

static int
pg_commit(struct db *db)
{
	struct pg_conn *p = pc(db);
	int64_t v;

	if (p->writing && pg_query_int(db, "UPDATE ehttp_schema SET changes ="
	    " changes + 1 RETURNING changes", &v) == 0)
		p->own++;
	else if (p->writing) {
		db_fail(db, "committing");
		pg_rollback(db);
		return -1;
	}
	p->writing = 0;
	if (pg_exec(db, "COMMIT") == -1) {
		if (p->own > 0)
			p->own--;
		db_fail(db, "committing");
		pg_rollback(db);
		return -1;
	}
	p->txn = 0;
	return 0;
}

static void
pg_rollback(struct db *db)
{
	struct pg_conn *p = pc(db);

	p->writing = p->txn = 0;
	p->failed[0] = '\0';
	/* A lost connection ended the transaction with it. */
	if (PQstatus(p->c) == CONNECTION_OK &&
	    PQtransactionStatus(p->c) != PQTRANS_IDLE)
		pg_exec(db, "ROLLBACK");
}

static int
pg_version_get(struct db *db)
{
	int64_t there, v;

	if (pg_query_int(db, "SELECT count(*) FROM pg_catalog.pg_tables WHERE"
	    " schemaname = current_schema() AND tablename = 'ehttp_schema'",
	    &there) == -1)
		return -1;
	if (there == 0)
		return 0;
	if (pg_query_int(db, "SELECT coalesce(max(version), 0) FROM"
	    " ehttp_schema", &v) == -1)
		return -1;
	return (int)v;
}

static int
pg_version_set(struct db *db, int v)
{
	char sql[200];

	snprintf(sql, sizeof sql, "UPDATE ehttp_schema SET version = %d;"
	    " INSERT INTO ehttp_schema (version) SELECT %d WHERE NOT EXISTS"
	    " (SELECT 1 FROM ehttp_schema)", v, v);
	return pg_exec(db, sql);
}

static int
pg_check_references(struct db *db)
{
	(void)db;			/* the server enforces them */
	return 0;
}

static int
pg_check(struct db *db, void (*found)(void *, const char *), void *arg)
{
	(void)found;		/* the server keeps pages and references */
	(void)arg;		/* sound as rows are written */
	return pg_query_int(db, "SELECT 1", &(int64_t){ 0 }) == -1 ?
	    db_fail(db, "checking the database") : 0;
}

static int
pg_data_version(struct db *db, int64_t *v)
{
	int64_t n;

	if (pg_query_int(db, "SELECT changes FROM ehttp_schema", &n) == -1)
		return db_fail(db, "reading the data version");
	*v = n - pc(db)->own;
	return 0;
}

static int
pg_file_moved(struct db *db)
{
	(void)db;			/* no file */
	return 0;
}

static int
pg_checkpoint_all(struct db *db)
{
	(void)db;			/* the server's own business */
	return 0;
}

/* ------------------------------------------------------------- logins */

/* The SCRAM-SHA-256 verifier of password, made here by libpq (as psql's
 * \password does): the server never sees the password itself. */
static char *
pg_verifier(struct db *db, const char *role, const char *password)
{
	char *v, *out;

	if (pg_alive(db) == -1)
		return NULL;
	v = PQencryptPasswordConn(pc(db)->c, password, role, "scram-sha-256");
	if (v == NULL) {
		pg_seterr(db, "%s", PQerrorMessage(pc(db)->c));
		return NULL;
	}
	out = xstrdup(v);
	explicit_bzero(v, strlen(v));
	PQfreemem(v);
	return out;
}

static const struct db_login_engine pg_logins = {
	.sql = pg_login_sql,
	.verifier = pg_verifier,
};

const struct db_engine db_pg_engine = {
	.stmt_sql = pg_stmt_sql,
	.schema = pg_schema,
	.schema_version = PG_SCHEMA_VERSION,
	.migrations = pg_migrations,
	.logins = &pg_logins,
	.open = pg_open,
	.ready = pg_ready,
	.close = pg_close,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.reset = pg_reset,
	.clear = pg_clear,
	.q_bind_int64 = pg_bind_int64,
	.q_bind_text = pg_bind_text,
	.q_bind_blob = pg_bind_blob,
	.q_bind_null = pg_bind_null,
	.q_step = pg_step,
	.col_int64 = pg_col_int64,
	.col_text = pg_col_text,
	.col_blob = pg_col_blob,
	.changes = pg_changes,
	.exec = pg_exec,
	.errmsg = pg_errmsg,
	.errkind = pg_errkind,
	.begin = pg_begin,
	.begin_read = pg_begin_read,
	.in_transaction = pg_in_transaction,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.version_get = pg_version_get,
	.version_set = pg_version_set,
	.check_references = pg_check_references,
	.check = pg_check,
	.data_version = pg_data_version,
	.file_moved = pg_file_moved,
	.checkpoint_all = pg_checkpoint_all,
};
