/* db-trust: certificate chains stored with PKI certificates and the sites'
 * trusted root CAs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db-int.h"
#include "xmalloc.h"

void
db_blobs_free(struct db_blob *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i].data);
	free(v);
}

/* Every row's column 0 as a blob; the statement is bound already. */
static int
blobs_read(struct db *db, struct db_q *st, struct db_blob **out, size_t *n,
    const char *what)
{
	struct db_blob *v = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	while ((rc = db_step(db, st)) == 1) {
		size_t len;
		const void *p = db_col_blob(st, 0, &len);

		v = xgrowarray(v, &cap, *n, 16, sizeof *v);
		v[*n].data = xmalloc(len);
		if (len > 0)
			memcpy(v[*n].data, p, len);
		v[*n].len = len;
		(*n)++;
	}
	db_reset(db, st);
	if (rc != 0) {
		db_blobs_free(v, *n);
		*n = 0;
		return db_fail(db, what);
	}
	*out = v;
	return 0;
}

int
db_cert_chain_add(struct db *db, int64_t cert_id, int pos,
    const unsigned char *der, size_t len)
{
	struct db_q *st = db_stmt(db, ST_CHAIN_INSERT);

	db_bind_int64(db, st, 1, cert_id);
	db_bind_int(db, st, 2, pos);
	db_bind_blob(db, st, 3, der, len);
	return db_step_done(db, st, "storing the certificate chain");
}

int
db_cert_chain(struct db *db, int64_t cert_id, struct db_blob **v, size_t *n)
{
	return blobs_read(db, db_stmt_id(db, ST_CHAIN_LIST, cert_id), v, n,
	    "reading the certificate chain");
}

int
db_trusted_root_add(struct db *db, struct db_trusted_root *t,
    const unsigned char *der, size_t len)
{
	struct db_q *st = db_stmt(db, ST_TRUST_INSERT);

	if (t->added == 0)
		t->added = time(NULL);
	db_bind_int64(db, st, 1, t->site_id);
	db_bind_text(db, st, 2, t->subject);
	db_bind_text(db, st, 3, t->thumbprint);
	db_bind_blob(db, st, 4, der, len);
	db_bind_int64(db, st, 5, t->not_after);
	db_bind_int64(db, st, 6, t->added);
	return db_step_insert(db, st, &t->id, "adding the trusted root CA");
}

static const struct db_col trusted_root_cols[] = {	/* ST_TRUST_LIST */
	DB_COL(INT, struct db_trusted_root, id),
	DB_COL(INT, struct db_trusted_root, site_id),
	DB_COL(TEXT, struct db_trusted_root, site_code),
	DB_COL(TEXT, struct db_trusted_root, subject),
	DB_COL(TEXT, struct db_trusted_root, thumbprint),
	DB_COL(INT, struct db_trusted_root, not_after),
	DB_COL(INT, struct db_trusted_root, added),
};
static const struct db_rec trusted_root_rec = DB_REC(struct db_trusted_root,
    trusted_root_cols, NULL);

int
db_trusted_root_list(struct db *db, int64_t site_id,
    struct db_trusted_root **out, size_t *n)
{
	return db_read_all(db, db_stmt_id(db, ST_TRUST_LIST, site_id),
	    &trusted_root_rec, out, n, "listing trusted root CAs");
}

int
db_trusted_root_ders(struct db *db, int64_t site_id, struct db_blob **v,
    size_t *n)
{
	return blobs_read(db, db_stmt_id(db, ST_TRUST_DER, site_id), v, n,
	    "reading trusted root CAs");
}

int
db_trusted_root_delete(struct db *db, int64_t site_id, const char *thumbprint)
{
	if (db_step_done(db, db_stmt_id_text(db, ST_TRUST_DELETE, site_id,
	    thumbprint), "removing the trusted root CA") == -1)
		return -1;
	return db_changes(db) > 0 ? 1 : 0;
}

int
db_site_roots_out(struct db *db, int64_t site_id, struct db_blob **v,
    size_t *n)
{
	return blobs_read(db, db_stmt_id(db, ST_ROOTS_OUT, site_id), v, n,
	    "reading the roots handed out");
}
