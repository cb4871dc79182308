/* db-cert: the certificate inventory, its DER and encrypted keys. */
#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db-int.h"
#include "xmalloc.h"

/* SQL true when needle (not empty) occurs in hay: replace() is in both
 * engines (SQLite's instr() and PostgreSQL's strpos() are not). */
#define CONTAINS(hay, needle)	"replace(" hay ", " needle ", '') <> " hay

static const struct db_col cert_cols[] = {	/* DB_CERT_COLS */
	DB_COL(INT, struct db_cert, id),
	DB_COL(TEXT, struct db_cert, type),
	DB_COL(TEXT, struct db_cert, state),
	DB_COL(INT, struct db_cert, site_id),
	DB_COL(TEXT, struct db_cert, site_code),
	DB_COL(INT, struct db_cert, system_id),
	DB_COL(INT, struct db_cert, issuer_id),
	DB_COL(TEXT, struct db_cert, serial),
	DB_COL(TEXT, struct db_cert, issued_to),
	DB_COL(TEXT, struct db_cert, issued_by),
	DB_COL(TEXT, struct db_cert, subject),
	DB_COL(INT, struct db_cert, not_before),
	DB_COL(INT, struct db_cert, not_after),
	DB_COL(TEXT, struct db_cert, thumbprint),
	DB_COL(TEXT, struct db_cert, key_alg),
	DB_COL(INT, struct db_cert, blocked),
	DB_COL(INT, struct db_cert, created),
};
static const struct db_rec cert_rec = DB_REC(struct db_cert, cert_cols, NULL);

static int
cert_one(struct db *db, struct db_q *st, struct db_cert *c)
{
	return db_read_one(db, st, &cert_rec, c, "reading a certificate");
}

static int
put_blob(struct db *db, enum db_stmt which, int64_t id,
    const unsigned char *p, size_t len, const char *what)
{
	struct db_q *st = db_stmt(db, which);

	db_bind_int64(db, st, 1, id);
	db_bind_blob(db, st, 2, p, len);
	return db_step_done(db, st, what);
}

/* The fields issuance fills in, bound as parameters first, first + 1, ...
 * of both the insert and the completion of a certificate. */
static void
bind_issued(struct db *db, struct db_q *st, int first, const struct db_cert *c)
{
	db_bind_text(db, st, first, c->serial);
	db_bind_text(db, st, first + 1, c->issued_to);
	db_bind_text(db, st, first + 2, c->issued_by);
	db_bind_text(db, st, first + 3, c->subject);
	db_bind_int64(db, st, first + 4, c->not_before);
	db_bind_int64(db, st, first + 5, c->not_after);
	db_bind_text(db, st, first + 6, c->thumbprint);
	db_bind_text(db, st, first + 7, c->key_alg);
}

int
db_cert_insert(struct db *db, struct db_cert *c, const unsigned char *der,
    size_t der_len, const unsigned char *key, size_t key_len)
{
	struct db_q *st = db_stmt(db, ST_CERT_INSERT);

	if (c->created == 0)
		c->created = time(NULL);
	db_bind_text(db, st, 1, c->type);
	db_bind_text(db, st, 2, c->state);
	db_bind_int64(db, st, 3, c->site_id);
	db_bind_int64(db, st, 4, c->system_id);
	db_bind_int64(db, st, 5, c->issuer_id);
	bind_issued(db, st, 6, c);
	db_bind_int(db, st, 14, c->blocked);
	db_bind_int64(db, st, 15, c->created);
	db_bind_int64(db, st, 16, getpid());
	if (db_step_insert(db, st, &c->id, "recording the certificate") == -1)
		return -1;
	if (der != NULL && put_blob(db, ST_CERT_DER_INSERT, c->id, der, der_len,
	    "storing the certificate") == -1)
		return -1;
	if (key != NULL && put_blob(db, ST_KEY_INSERT, c->id, key, key_len,
	    "storing the encrypted key") == -1)
		return -1;
	return 0;
}

int
db_cert_complete(struct db *db, struct db_cert *c, const unsigned char *der,
    size_t der_len, const unsigned char *key, size_t key_len)
{
	struct db_q *st = db_stmt(db, ST_CERT_COMPLETE);

	db_bind_int64(db, st, 1, c->id);
	db_bind_text(db, st, 2, c->state);
	bind_issued(db, st, 3, c);
	if (db_step_done(db, st, "completing the certificate") == -1)
		return -1;
	if (put_blob(db, ST_CERT_DER_INSERT, c->id, der, der_len,
	    "storing the certificate") == -1)
		return -1;
	return put_blob(db, ST_KEY_INSERT, c->id, key, key_len,
	    "storing the encrypted key");
}

int
db_cert_get(struct db *db, int64_t id, struct db_cert *c)
{
	return cert_one(db, db_stmt_id(db, ST_CERT_GET, id), c);
}

int
db_cert_get_thumbprint(struct db *db, const char *tp, struct db_cert *c)
{
	return cert_one(db, db_stmt_text(db, ST_CERT_GET_TP, tp), c);
}

static int
get_blob(struct db *db, enum db_stmt which, int64_t id, unsigned char **out,
    size_t *len)
{
	return db_read_blob(db, db_stmt_id(db, which, id), out, len,
	    "reading certificate data");
}

int
db_cert_der(struct db *db, int64_t id, unsigned char **der, size_t *len)
{
	return get_blob(db, ST_CERT_DER_GET, id, der, len);
}

int
db_cert_key(struct db *db, int64_t id, unsigned char **key, size_t *len)
{
	return get_blob(db, ST_KEY_GET, id, key, len);
}

int
db_cert_set_state(struct db *db, int64_t id, const char *state)
{
	struct db_q *st = db_stmt(db, ST_CERT_SET_STATE);

	db_bind_int64(db, st, 1, id);
	db_bind_text(db, st, 2, state);
	return db_step_done(db, st, "changing the certificate state");
}

int
db_cert_set_blocked(struct db *db, int64_t id, int blocked)
{
	struct db_q *st = db_stmt(db, ST_CERT_SET_BLOCKED);

	db_bind_int64(db, st, 1, id);
	db_bind_int(db, st, 2, blocked != 0);
	return db_step_done(db, st, "blocking the certificate");
}

int
db_cert_site_current(struct db *db, int64_t site_id, const char *type,
    struct db_cert *c)
{
	return cert_one(db, db_stmt_id_text(db, ST_CERT_SITE_CURRENT, site_id, type), c);
}

int
db_cert_current_root(struct db *db, int64_t site_id, struct db_cert *c)
{
	return db_cert_site_current(db, site_id, "root", c);
}

int
db_cert_active(struct db *db, int64_t system_id, const char *type,
    struct db_cert *c)
{
	return cert_one(db, db_stmt_id_text(db, ST_CERT_ACTIVE, system_id, type), c);
}

int
db_cert_serving(struct db *db, int64_t site_id, struct db_cert **out,
    size_t *n)
{
	return db_read_all(db, db_stmt_id(db, ST_CERT_SERVING, site_id),
	    &cert_rec, out, n, "reading the certificates the systems serve");
}

int
db_cert_retire_roles(struct db *db, int64_t site_id, int64_t system_id,
    const char *state, size_t *changed)
{
	struct db_q *st = system_id != 0 ?
	    db_stmt_id(db, ST_CERT_RETIRE_SYSTEM, system_id) :
	    db_stmt_id(db, ST_CERT_RETIRE_SITE, site_id);

	db_bind_text(db, st, 2, state);
	if (db_step_done(db, st, "retiring role certificates") == -1)
		return -1;
	if (changed != NULL)
		*changed = db_changes(db);
	return 0;
}

static int
pid_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* The issuing processes of pending rows that no longer run (at most
 * 64; this process counts as gone): 0, or -1. */
static int
dead_owners(struct db *db, int64_t *pids, size_t *n)
{
	struct db_q *st = db_stmt(db, ST_CERT_PENDING_PIDS);
	int64_t pid;
	size_t seen = 0;
	int rc;

	*n = 0;
	while ((rc = db_step(db, st)) == 1 && seen++ < 64) {
		pid = db_col_int64(st, 0);
		if (!pid_alive((pid_t)pid) || pid == getpid())
			pids[(*n)++] = pid;
	}
	db_reset(db, st);
	if (rc != 0 && rc != 1)
		return db_fail(db, "finding unfinished certificates");
	return 0;
}

int
db_cert_pending_dead(struct db *db)
{
	int64_t pids[64];
	size_t n;

	return dead_owners(db, pids, &n) == -1 ? -1 : n > 0;
}

int
db_cert_drop_pending(struct db *db, size_t *dropped)
{
	struct db_q *st;
	int64_t pids[64];
	size_t n;

	if (dropped != NULL)
		*dropped = 0;
	if (dead_owners(db, pids, &n) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		st = db_stmt_id(db, ST_CERT_DROP_PENDING, pids[i]);
		if (db_step_done(db, st, "dropping unfinished certificates") == -1)
			return -1;
		if (dropped != NULL)
			*dropped += db_changes(db);
	}
	return 0;
}

static int
count_one(struct db *db, enum db_stmt which, size_t *n)
{
	return db_read_count(db, db_stmt(db, which), n, "counting");
}

int
db_cert_key_sample(struct db *db, size_t *count, int64_t *cert_id)
{
	struct db_q *st = db_stmt(db, ST_KEY_SAMPLE);

	*count = 0;
	*cert_id = 0;
	if (db_step(db, st) != 1) {
		db_reset(db, st);
		return db_fail(db, "counting the stored keys");
	}
	*count = db_col_int64(st, 0);
	*cert_id = db_col_int64(st, 1);
	db_reset(db, st);
	return *count > 0;
}

int
db_cert_orphans(struct db *db, size_t *certs, size_t *keys)
{
	if (count_one(db, ST_CERT_ORPHAN_CERTS, certs) == -1)
		return -1;
	return count_one(db, ST_CERT_ORPHAN_KEYS, keys);
}

/*
 * Paging. The filter and sort vary, so these statements are built per
 * call from fixed fragments; every value is bound, never formatted in.
 */
static const char *const sort_cols[DB_CERT_SORT_MAX] = {
	[DB_CERT_SORT_EXPIRATION] = "c.not_after",
	[DB_CERT_SORT_TYPE] = "c.type",
	[DB_CERT_SORT_ISSUED_TO] = "c.issued_to",
	[DB_CERT_SORT_ISSUED_BY] = "c.issued_by",
	[DB_CERT_SORT_START] = "c.not_before",
	[DB_CERT_SORT_BLOCKED] = "c.blocked",
	[DB_CERT_SORT_SITE] = "s.code",
	[DB_CERT_SORT_THUMBPRINT] = "c.thumbprint",	/* NULL only when pending */
};

/*
 * A statement built per call: its text, and its parameters numbered ?1,
 * ?2, ... in the order the text names them first.
 */
struct built {
	FILE		*f;
	int		 n;
	struct {
		const char	*text;	/* NULL: v */
		int64_t		 v;
	}		 p[10];
};

/* A new parameter: its number. */
static int
param(struct built *b, const char *text, int64_t v)
{
	if ((size_t)b->n >= sizeof b->p / sizeof b->p[0])
		abort();	/* a bug: more than the fragments name */
	b->p[b->n].text = text;
	b->p[b->n].v = v;
	return ++b->n;
}

/* text, then a new parameter ("?N") of the value text or v. */
static void
put_param(struct built *b, const char *text, const char *ptext, int64_t v)
{
	fprintf(b->f, "%s?%d", text, param(b, ptext, v));
}

static void
filter_sql(struct built *b, const struct db_cert_filter *fl)
{
	int i;

	fputs(" WHERE c.state != 'pending'", b->f);
	if (fl == NULL)
		return;
	if (fl->type != NULL)
		put_param(b, " AND c.type = ", fl->type, 0);
	if (fl->site_id != 0)
		put_param(b, " AND c.site_id = ", NULL, fl->site_id);
	if (fl->system_id != 0)
		put_param(b, " AND c.system_id = ", NULL, fl->system_id);
	if (fl->expiring_days >= 0) {
		put_param(b, " AND c.not_after <= ", NULL,
		    time(NULL) + (int64_t)fl->expiring_days * 86400);
		fputs(" AND c.state = 'active'", b->f);
	}
	if (fl->blocked_only)
		fputs(" AND c.blocked = 1", b->f);
	if (fl->active_only)
		fputs(" AND c.state = 'active'", b->f);
	if (fl->text != NULL && *fl->text != '\0') {
		i = param(b, fl->text, 0);
		/* A substring test both engines have (no LIKE: the
		 * text's % and _ are the user's). */
		fprintf(b->f, " AND (" CONTAINS("lower(c.issued_to)",
		    "lower(?%d)") " OR " CONTAINS("lower(c.issued_by)",
		    "lower(?%d)") " OR " CONTAINS("c.thumbprint", "upper(?%d)")
		    ")", i, i, i);
	}
}

/* The sort key of the row after which a page starts, then its id. */
static void
after_sql(struct built *b, enum db_cert_sort sort, const char *col, int desc,
    const struct db_cert *a)
{
	const struct db_cert_key *k = &db_cert_keys[sort];
	const void *v = (const char *)a + k->off;
	int i;

	fprintf(b->f, " AND (%s, c.id) %s (?", col, desc ? "<" : ">");
	if (k->kind == DB_CERT_KEY_TEXT)
		i = param(b, v, 0);
	else
		i = param(b, NULL, k->kind == DB_CERT_KEY_TIME ?
		    (int64_t)*(const time_t *)v : *(const int *)v);
	fprintf(b->f, "%d", i);
	put_param(b, ", ", NULL, a->id);
	fputc(')', b->f);
}

/* The built text prepared (into *st) and its parameters bound. */
static int
prepare_built(struct db *db, struct built *b, char *sql, struct db_q **st)
{
	int rc = db_prepare(db, sql, st, "querying certificates");

	free(sql);
	if (rc == -1)
		return -1;
	for (int i = 0; i < b->n; i++) {
		if (b->p[i].text != NULL)
			db_bind_text(db, *st, i + 1, b->p[i].text);
		else
			db_bind_int64(db, *st, i + 1, b->p[i].v);
	}
	return 0;
}

int
db_cert_page(struct db *db, const struct db_cert_filter *fl,
    enum db_cert_sort sort, int desc, const struct db_cert *after,
    size_t limit, struct db_cert **out, size_t *n)
{
	struct built b = { 0 };
	struct db_q *st = NULL;
	char *sql = NULL;
	size_t len = 0;
	const char *col;
	int rc;

	*n = 0;
	if ((unsigned)sort >= DB_CERT_SORT_MAX)
		sort = DB_CERT_SORT_EXPIRATION;
	col = sort_cols[sort];
	b.f = xopen_memstream(&sql, &len);
	fputs("SELECT " DB_CERT_COLS, b.f);
	filter_sql(&b, fl);
	if (after != NULL)
		after_sql(&b, sort, col, desc, after);
	fprintf(b.f, " ORDER BY %s %s, c.id %s", col, desc ? "DESC" : "ASC",
	    desc ? "DESC" : "ASC");
	put_param(&b, " LIMIT ", NULL, limit ? (int64_t)limit : INT64_MAX);
	fclose(b.f);
	if (prepare_built(db, &b, sql, &st) == -1)
		return -1;
	rc = db_read_all(db, st, &cert_rec, out, n, "listing certificates");
	db_finalize(db, st);
	return rc;
}

int
db_cert_count(struct db *db, const struct db_cert_filter *fl, size_t *n)
{
	struct built b = { 0 };
	struct db_q *st = NULL;
	char *sql = NULL;
	size_t len = 0;
	int rc;

	b.f = xopen_memstream(&sql, &len);
	/* A filter on site, type, state and blocked only is answered from
	 * the tally the triggers keep (migration 6), not by a scan. */
	if (fl == NULL || (fl->system_id == 0 && fl->expiring_days < 0 &&
	    (fl->text == NULL || *fl->text == '\0')))
		fputs("SELECT CAST(coalesce(sum(c.n), 0) AS BIGINT) FROM"
		    " cert_tally c"
		    " JOIN site s ON s.id = c.site_id", b.f);
	else
		fputs("SELECT count(*) FROM cert c JOIN site s ON"
		    " s.id = c.site_id", b.f);
	filter_sql(&b, fl);
	fclose(b.f);
	if (prepare_built(db, &b, sql, &st) == -1)
		return -1;
	rc = db_step(db, st);
	if (rc == 1)
		*n = db_col_int64(st, 0);
	db_finalize(db, st);
	return rc == 1 ? 0 : db_fail(db, "counting certificates");
}
