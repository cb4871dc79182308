/* cert: the certificate inventory: find, list, show, export, block, renew,
 * import of PKI certificates. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ca.h"
#include "ehttp-int.h"

#define MAX_PEM_FILE	(1024 * 1024)

const char *
ehttp_cert_type_title(const char *type)
{
	if (strcmp(type, "root") == 0)
		return "SMS Issuing";
	if (strcmp(type, "role") == 0)
		return "SMS Role SSL Certificate";
	if (strcmp(type, "ca") == 0)
		return "Intermediate CA";
	if (strcmp(type, "trust") == 0)
		return "Trusted Root CA";
	return "PKI";
}

int
ehttp_cert_find(struct ehttp *e, const char *id, struct db_cert *c)
{
	char *end;
	long long n;
	int rc;

	if (id == NULL || *id == '\0')
		return ehttp_fail(e, "certificate: missing ID or thumbprint");
	errno = 0;
	n = strtoll(id, &end, 10);
	if (errno == 0 && *end == '\0' && n > 0 && strlen(id) < 12)
		rc = db_cert_get(e->db, n, c);
	else if (strspn(id, "0123456789abcdefABCDEF") == 40 && id[40] == '\0')
		rc = db_cert_get_thumbprint(e->db, id, c);
	else
		return ehttp_fail(e, "certificate '%.60s': not an ID or a"
		    " 40-digit thumbprint", id);
	if (rc == -1)
		return ehttp_fail_db(e);
	if (rc == 0 || strcmp(c->state, "pending") == 0)
		return ehttp_fail(e, "certificate '%.60s': no such certificate", id);
	return 0;
}

static int
cert_get(struct ehttp *e, int64_t id, struct db_cert *c)
{
	int rc = db_cert_get(e->db, id, c);

	if (rc == -1)
		return ehttp_fail_db(e);
	if (rc == 0)
		return ehttp_fail(e, "certificate %lld: no such certificate",
		    (long long)id);
	return 0;
}

int
ehttp_cert_page(struct ehttp *e, const struct db_cert_filter *f,
    enum db_cert_sort sort, int desc, const struct db_cert *after,
    size_t limit, struct db_cert **v, size_t *n)
{
	return db_cert_page(e->db, f, sort, desc, after, limit, v, n) == -1 ?
	    ehttp_fail_db(e) : 0;
}

int
ehttp_cert_count(struct ehttp *e, const struct db_cert_filter *f, size_t *n)
{
	return db_cert_count(e->db, f, n) == -1 ? ehttp_fail_db(e) : 0;
}

#define PATH_MAX_LEN	8	/* leaf, 6 intermediates, root */

/* A certificate outside the inventory (id 0), described for a path. */
static int
cert_outside(struct ehttp *e, const struct db_cert *leaf, const char *type,
    const unsigned char *der, size_t len, struct db_cert *c)
{
	struct ca_cert_info ci;
	struct ca *ca = ca_new();
	int rc = -1;

	if (ca_cert_info(ca, der, len, &ci) == -1) {
		ehttp_fail(e, "certificate chain of %s: %s", leaf->thumbprint,
		    ca_error(ca));
		goto out;
	}
	memset(c, 0, sizeof *c);
	snprintf(c->type, sizeof c->type, "%s", type);
	snprintf(c->state, sizeof c->state, "active");
	c->site_id = leaf->site_id;
	snprintf(c->site_code, sizeof c->site_code, "%s", leaf->site_code);
	snprintf(c->serial, sizeof c->serial, "%s", ci.serial);
	snprintf(c->issued_to, sizeof c->issued_to, "%s", ci.issued_to);
	snprintf(c->issued_by, sizeof c->issued_by, "%s", ci.issued_by);
	snprintf(c->subject, sizeof c->subject, "%s", ci.subject);
	snprintf(c->thumbprint, sizeof c->thumbprint, "%s", ci.thumbprint);
	snprintf(c->key_alg, sizeof c->key_alg, "%s", ci.key_desc);
	c->not_before = ci.not_before;
	c->not_after = ci.not_after;
	ca_cert_info_clear(&ci);
	rc = 0;
out:
	ca_free(ca);
	return rc;
}

/* A PKI certificate's path: its stored intermediates, then the site
 * trusted root CA that issued the last of them, if one did. */
static int
pki_path(struct ehttp *e, const struct db_cert *leaf, struct db_cert *v,
    size_t *n)
{
	struct db_blob *chain = NULL, *roots = NULL;
	struct ca_der *rd = NULL;
	size_t nc = 0, nr = 0;
	const struct db_blob *top = NULL;
	struct ca *ca = NULL;
	int rc = -1, k;

	if (db_cert_chain(e->db, leaf->id, &chain, &nc) == -1 ||
	    db_trusted_root_ders(e->db, leaf->site_id, &roots, &nr) == -1) {
		ehttp_fail_db(e);
		goto out;
	}
	for (size_t i = 0; i < nc && *n < PATH_MAX_LEN - 1; i++)
		if (cert_outside(e, leaf, "ca", chain[i].data, chain[i].len,
		    &v[(*n)++]) == -1)
			goto out;
	if (nr > 0) {
		unsigned char *der = NULL;
		size_t dlen = 0;

		if (nc > 0)
			top = &chain[nc - 1];
		else {
			if (ehttp_cert_der(e, leaf->id, &der, &dlen) == -1)
				goto out;
		}
		if ((rd = calloc(nr, sizeof *rd)) == NULL)
			abort();
		for (size_t i = 0; i < nr; i++) {
			rd[i].data = roots[i].data;
			rd[i].len = roots[i].len;
		}
		ca = ca_new();
		k = nc > 0 ? ca_issuer_index(ca, top->data, top->len, rd, nr) :
		    ca_issuer_index(ca, der, dlen, rd, nr);
		free(der);
		if (k >= 0 && cert_outside(e, leaf, "trust", roots[k].data,
		    roots[k].len, &v[(*n)++]) == -1)
			goto out;
	}
	rc = 0;
out:
	ca_free(ca);
	free(rd);
	db_blobs_free(chain, nc);
	db_blobs_free(roots, nr);
	return rc;
}

int
ehttp_cert_path(struct ehttp *e, const struct db_cert *leaf,
    struct db_cert **out, size_t *n)
{
	struct db_cert *v;
	int64_t next;

	/* Paths are short: leaf, SMS Issuing; a PKI leaf, its intermediates
	 * and root. Stop at PATH_MAX_LEN against loops. */
	if ((v = calloc(PATH_MAX_LEN, sizeof *v)) == NULL)
		abort();
	v[0] = *leaf;
	*n = 1;
	if (strcmp(leaf->type, "pki") == 0) {
		if (pki_path(e, leaf, v, n) == -1) {
			free(v);
			return -1;
		}
		*out = v;
		return 0;
	}
	for (next = leaf->issuer_id; next != 0 && *n < PATH_MAX_LEN;
	    next = v[*n - 1].issuer_id) {
		if (cert_get(e, next, &v[*n]) == -1) {
			free(v);
			return -1;
		}
		(*n)++;
	}
	*out = v;
	return 0;
}

int
ehttp_cert_chain(struct ehttp *e, const struct db_cert *c,
    struct db_blob **out, size_t *n)
{
	struct db_cert *path = NULL;
	struct db_blob *v = NULL;
	size_t np = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (strcmp(c->type, "pki") == 0)
		return db_cert_chain(e->db, c->id, out, n) == -1 ?
		    ehttp_fail_db(e) : 0;
	if (ehttp_cert_path(e, c, &path, &np) == -1)
		return -1;
	if ((v = calloc(np, sizeof *v)) == NULL)
		abort();
	for (size_t i = 1; i < np; i++) {
		if ((rc = db_cert_der(e->db, path[i].id, &v[*n].data,
		    &v[*n].len)) == -1) {
			db_blobs_free(v, *n);
			free(path);
			*n = 0;
			return ehttp_fail_db(e);
		}
		if (rc == 1)
			(*n)++;
	}
	free(path);
	*out = v;
	return 0;
}

int
ehttp_cert_der(struct ehttp *e, int64_t id, unsigned char **der, size_t *len)
{
	int rc = db_cert_der(e->db, id, der, len);

	if (rc == -1)
		return ehttp_fail_db(e);
	if (rc == 0)
		return ehttp_fail(e, "certificate %lld: no certificate data",
		    (long long)id);
	return 0;
}

int
ehttp_cert_pem(struct ehttp *e, int64_t id, char **pem, size_t *len)
{
	unsigned char *der = NULL;
	struct ca *ca;
	size_t dlen;
	int rc = -1;

	if (ehttp_cert_der(e, id, &der, &dlen) == -1)
		return -1;
	ca = ca_new();
	if (ca_der_to_pem(ca, der, dlen, pem) == -1)
		ehttp_fail(e, "certificate %lld: %s", (long long)id, ca_error(ca));
	else {
		*len = strlen(*pem);
		rc = 0;
	}
	ca_free(ca);
	free(der);
	return rc;
}

int
ehttp_cert_text(struct ehttp *e, int64_t id, char **text)
{
	unsigned char *der = NULL;
	struct ca *ca;
	size_t dlen;
	int rc = -1;

	if (ehttp_cert_der(e, id, &der, &dlen) == -1)
		return -1;
	ca = ca_new();
	if (ca_cert_text(ca, der, dlen, text) == -1)
		ehttp_fail(e, "certificate %lld: %s", (long long)id, ca_error(ca));
	else
		rc = 0;
	ca_free(ca);
	free(der);
	return rc;
}

int
ehttp_cert_key_pem(struct ehttp *e, int64_t id, char **pem, size_t *len)
{
	unsigned char *key = NULL;
	const char *master;
	struct db_cert c;
	struct ca *ca;
	size_t klen;
	int rc;

	if ((master = ehttp_master(e, 0)) == NULL)
		return -1;
	if ((rc = db_cert_key(e->db, id, &key, &klen)) == -1)
		return ehttp_fail_db(e);
	if (rc == 0)
		return ehttp_fail(e, "certificate %lld: no private key stored",
		    (long long)id);
	/* A key leaving the database is always on the audit trail. */
	if (ehttp_begin(e) == -1 || db_cert_get(e->db, id, &c) != 1 ||
	    ehttp_record(e, c.site_id, "warning", "certificate key export",
	    c.thumbprint, "The private key of %s %s (thumbprint %s) was"
	    " exported.", ehttp_cert_type_title(c.type), c.issued_to,
	    c.thumbprint) == -1 || ehttp_commit(e) == -1) {
		ehttp_rollback(e);
		explicit_bzero(key, klen);
		free(key);
		return e->err[0] ? -1 : ehttp_fail_db(e);
	}
	ca = ca_new();
	rc = ca_key_to_pem(ca, key, klen, master, pem);
	if (rc == -1)
		ehttp_fail(e, "certificate %lld: %s", (long long)id, ca_error(ca));
	else
		*len = strlen(*pem);
	ca_free(ca);
	explicit_bzero(key, klen);
	free(key);
	return rc;
}

static int
block_locked(struct ehttp *e, int64_t id, int blocked)
{
	struct db_cert c;

	if (cert_get(e, id, &c) == -1)
		return -1;
	if (c.blocked == (blocked != 0))
		return ehttp_fail(e, "certificate %lld: already %s", (long long)id,
		    blocked ? "blocked" : "unblocked");
	if (db_cert_set_blocked(e->db, id, blocked) == -1)
		return ehttp_fail_db(e);
	return ehttp_record(e, c.site_id, blocked ? "warning" : "info",
	    blocked ? "certificate block" : "certificate unblock", c.thumbprint,
	    "%s certificate %s issued to %s (thumbprint %s).",
	    blocked ? "Blocked" : "Unblocked", ehttp_cert_type_title(c.type),
	    c.issued_to, c.thumbprint);
}

int
ehttp_cert_block(struct ehttp *e, int64_t id, int blocked)
{
	if (ehttp_begin(e) == -1)
		return -1;
	if (block_locked(e, id, blocked) == -1) {
		ehttp_rollback(e);
		return -1;
	}
	return ehttp_commit(e);
}

static int
renew_locked(struct ehttp *e, int64_t id)
{
	struct db_cert c;
	size_t n;

	if (cert_get(e, id, &c) == -1)
		return -1;
	if (strcmp(c.state, "active") != 0)
		return ehttp_fail(e, "certificate %lld: %s, only an active"
		    " certificate can be renewed", (long long)id, c.state);
	if (strcmp(c.type, "pki") == 0)
		return ehttp_fail(e, "certificate %lld: a PKI certificate is"
		    " renewed by its own CA; import the new one", (long long)id);
	if (db_cert_set_state(e->db, id, "superseded") == -1)
		return ehttp_fail_db(e);
	if (strcmp(c.type, "root") == 0) {
		/* Everything under the old root is re-issued. */
		if (db_cert_retire_roles(e->db, c.site_id, 0, "superseded",
		    &n) == -1)
			return ehttp_fail_db(e);
		ehttp_note(e, EHTTP_NOTE_INFO, "The SMS Issuing root of site %s"
		    " (thumbprint %s) is superseded; %zu role certificate%s will"
		    " be re-issued.", c.site_code, c.thumbprint, n,
		    n == 1 ? "" : "s");
	}
	if (ehttp_record(e, c.site_id, "info", "certificate renew",
	    c.thumbprint, "Renewing %s %s (thumbprint %s).",
	    ehttp_cert_type_title(c.type), c.issued_to, c.thumbprint) == -1)
		return -1;
	return issue_reconcile(e, c.site_id);
}

int
ehttp_cert_renew(struct ehttp *e, int64_t id)
{
	struct db_cert c;
	struct db_site s;
	int rc;

	ehttp_notes_clear(e);
	if (cert_get(e, id, &c) == -1)
		return -1;
	if (db_site_get_id(e->db, c.site_id, &s) != 1)
		return ehttp_fail_db(e);
	if (strcmp(c.type, "root") == 0 && !(s.sec.enhanced_http &&
	    !s.sec.https_only))
		return ehttp_fail(e, "certificate %lld: site %s does not use"
		    " enhanced HTTP; turn it on to renew its SMS Issuing",
		    (long long)id, s.code);
	/* A new root re-issues every role certificate under it: sign them
	 * ahead, without the write lock (other writers wait 10 s at most). */
	if (strcmp(c.type, "root") == 0 && strcmp(c.state, "active") == 0 &&
	    issue_prepare_renew(e, s.code) == -1)
		return -1;
	if ((rc = ehttp_begin(e)) == 0) {
		if ((rc = renew_locked(e, id)) == -1)
			ehttp_rollback(e);
		else
			rc = ehttp_commit(e);
	}
	issue_finish(e, rc == -1);
	return rc;
}

/* Read a small PEM file; refuse what is not a regular file or too large. */
int
ehttp_read_pem(struct ehttp *e, const char *what, const char *path, char **buf,
    size_t *len)
{
	struct stat sb;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return ehttp_fail(e, "%s %s: %s", what, path, strerror(errno));
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > MAX_PEM_FILE) {
		close(fd);
		return ehttp_fail(e, "%s %s: not a regular file of at most 1 MiB",
		    what, path);
	}
	if ((*buf = malloc(sb.st_size + 1)) == NULL)
		abort();
	*len = 0;
	while (*len < (size_t)sb.st_size) {
		r = read(fd, *buf + *len, sb.st_size - *len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		*len += r;
	}
	close(fd);
	(*buf)[*len] = '\0';
	return 0;
}

static int
import_locked(struct ehttp *e, const struct db_system *y,
    const struct ca_pki *p)
{
	const struct ca_issued *is = &p->leaf;
	struct db_cert c, old;
	struct tm tm;
	char day[16];
	int rc;

	if ((rc = db_cert_active(e->db, y->id, "pki", &old)) == -1)
		return ehttp_fail_db(e);
	if (rc == 1 && db_cert_set_state(e->db, old.id, "superseded") == -1)
		return ehttp_fail_db(e);
	memset(&c, 0, sizeof c);
	snprintf(c.type, sizeof c.type, "pki");
	snprintf(c.state, sizeof c.state, "active");
	c.site_id = y->site_id;
	c.system_id = y->id;
	snprintf(c.serial, sizeof c.serial, "%s", is->info.serial);
	snprintf(c.issued_to, sizeof c.issued_to, "%s", is->info.issued_to);
	snprintf(c.issued_by, sizeof c.issued_by, "%s", is->info.issued_by);
	snprintf(c.subject, sizeof c.subject, "%s", is->info.subject);
	snprintf(c.thumbprint, sizeof c.thumbprint, "%s", is->info.thumbprint);
	snprintf(c.key_alg, sizeof c.key_alg, "%s", is->info.key_desc);
	c.not_before = is->info.not_before;
	c.not_after = is->info.not_after;
	if ((rc = db_cert_get_thumbprint(e->db, c.thumbprint, &old)) == -1)
		return ehttp_fail_db(e);
	if (rc == 1)
		return ehttp_fail(e, "certificate: thumbprint %s is already in"
		    " the inventory (ID %lld)", c.thumbprint, (long long)old.id);
	if (db_cert_insert(e->db, &c, is->cert.data, is->cert.len, is->key.data,
	    is->key.len) == -1)
		return ehttp_fail_db(e);
	for (size_t i = 0; i < p->nchain; i++)
		if (db_cert_chain_add(e->db, c.id, (int)i, p->chain[i].data,
		    p->chain[i].len) == -1)
			return ehttp_fail_db(e);
	gmtime_r(&c.not_after, &tm);
	strftime(day, sizeof day, "%Y-%m-%d", &tm);
	ehttp_note(e, EHTTP_NOTE_INFO, "Imported the PKI certificate of %s"
	    " (issued by %s, thumbprint %s, expires %s) with %zu intermediate"
	    " CA certificate%s.", y->fqdn, c.issued_by, c.thumbprint, day,
	    p->nchain, p->nchain == 1 ? "" : "s");
	if (p->warning[0] != '\0')
		ehttp_note(e, EHTTP_NOTE_WARNING, "Site %s: %s. Add the root"
		    " with `ehttpctl site trusted-root add %s ROOT.pem` to have"
		    " PKI chains verified.", y->site_code, p->warning,
		    y->site_code);
	if (ehttp_record(e, y->site_id, p->warning[0] ? "warning" : "info",
	    "certificate import", y->fqdn, "Imported PKI certificate %s for"
	    " %s with %zu intermediate CA certificate%s; the site system"
	    " prefers it.%s%s", c.thumbprint, y->fqdn, p->nchain,
	    p->nchain == 1 ? "" : "s", p->warning[0] ? " Warning: " : "",
	    p->warning) == -1)
		return -1;
	return issue_reconcile(e, y->site_id);
}

/* The site's trusted roots as a borrowed DER list over blobs. */
static struct ca_der *
ders_of(const struct db_blob *v, size_t n)
{
	struct ca_der *d;

	if ((d = calloc(n + 1, sizeof *d)) == NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		d[i].data = v[i].data;
		d[i].len = v[i].len;
	}
	return d;
}

int
ehttp_cert_import_pki(struct ehttp *e, const char *fqdn, const char *cert_path,
    const char *key_path, const char *chain_path)
{
	struct ca_pki p;
	struct db_system y;
	struct db_blob *roots = NULL;
	struct ca_der *rd = NULL;
	char *cert = NULL, *key = NULL, *chain = NULL, norm[256];
	size_t clen = 0, klen = 0, chlen = 0, nr = 0;
	const char *master;
	struct ca *ca = NULL;
	int rc = -1;

	memset(&p, 0, sizeof p);
	ehttp_notes_clear(e);
	if (rules_fqdn(fqdn, norm, e->err, sizeof e->err) == -1)
		return -1;
	if ((rc = db_system_get(e->db, norm, &y)) != 1)
		return rc == -1 ? ehttp_fail_db(e) :
		    ehttp_fail(e, "FQDN '%s': no such site system", norm);
	rc = -1;
	if ((master = ehttp_master(e, 0)) == NULL ||
	    ehttp_read_pem(e, "certificate", cert_path, &cert, &clen) == -1 ||
	    (key_path != NULL &&
	    ehttp_read_pem(e, "key", key_path, &key, &klen) == -1) ||
	    (chain_path != NULL &&
	    ehttp_read_pem(e, "chain", chain_path, &chain, &chlen) == -1) ||
	    ehttp_site_trusted_roots(e, y.site_id, &roots, &nr) == -1)
		goto out;
	rd = ders_of(roots, nr);
	ca = ca_new();
	if (ca_pki_import(ca, cert, clen, key, klen, chain, chlen, norm, rd, nr,
	    master, &p) == -1) {
		ehttp_fail(e, "import-pki %s: %s", norm, ca_error(ca));
		goto out;
	}
	if (ehttp_begin(e) == -1)
		goto out;
	if (import_locked(e, &y, &p) == -1) {
		ehttp_rollback(e);
		goto out;
	}
	rc = ehttp_commit(e);
out:
	ca_pki_clear(&p);
	ca_free(ca);
	if (key != NULL)
		explicit_bzero(key, klen);
	if (cert != NULL)
		explicit_bzero(cert, clen);	/* may hold the key too */
	free(key);
	free(cert);
	free(chain);
	free(rd);
	db_blobs_free(roots, nr);
	return rc;
}

int
ehttp_pki_check(struct ehttp *e, const struct db_cert *c, char *warning,
    size_t wlen)
{
	unsigned char *der = NULL, *key = NULL;
	struct db_blob *chain = NULL, *roots = NULL;
	struct ca_der *cd = NULL, *rd = NULL;
	size_t dlen = 0, klen = 0, nc = 0, nr = 0;
	struct db_system y;
	const char *master;
	struct ca *ca = NULL;
	int rc = -1, r;

	if (warning != NULL && wlen > 0)
		warning[0] = '\0';
	if ((r = db_system_get_id(e->db, c->system_id, &y)) != 1) {
		if (r == -1)
			return ehttp_fail_db(e);
		return ehttp_fail(e, "certificate %lld: no site system",
		    (long long)c->id);
	}
	if ((master = ehttp_master(e, 0)) == NULL)
		return -1;
	if (ehttp_cert_der(e, c->id, &der, &dlen) == -1)
		goto out;
	if ((r = db_cert_key(e->db, c->id, &key, &klen)) != 1) {
		if (r == -1)
			ehttp_fail_db(e);
		else
			ehttp_fail(e, "certificate %lld: no private key stored",
			    (long long)c->id);
		goto out;
	}
	if (db_cert_chain(e->db, c->id, &chain, &nc) == -1) {
		ehttp_fail_db(e);
		goto out;
	}
	if (ehttp_site_trusted_roots(e, c->site_id, &roots, &nr) == -1)
		goto out;
	cd = ders_of(chain, nc);
	rd = ders_of(roots, nr);
	ca = ca_new();
	rc = ca_pki_check(ca, der, dlen, cd, nc, key, klen, master, y.fqdn, rd,
	    nr, warning, wlen);
	if (rc != 1)
		ehttp_fail(e, "PKI certificate %s of %s: %s", c->thumbprint,
		    y.fqdn, ca_error(ca));
out:
	if (key != NULL) {
		ca_cleanse(key, klen);
		free(key);
	}
	free(der);
	free(cd);
	free(rd);
	db_blobs_free(chain, nc);
	db_blobs_free(roots, nr);
	ca_free(ca);
	return rc;
}

int
ehttp_cert_for_system(struct ehttp *e, int64_t system_id, struct db_cert *c)
{
	int rc = db_cert_for_system(e->db, system_id, c);

	return rc == -1 ? ehttp_fail_db(e) : rc;
}
