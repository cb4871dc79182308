/* cert: the certificate inventory: find, list, show, export, block, renew,
 * import of PKI certificates. */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ca.h"
#include "ehttp-int.h"
#include "xmalloc.h"

#define MAX_PEM_FILE	(1024 * 1024)

const char *
ehttp_cert_type_title(const char *type)
{
	if (strcmp(type, "root") == 0)
		return "SMS Issuing";
	if (strcmp(type, "role") == 0)
		return "SMS Role SSL Certificate";
	if (strcmp(type, "token") == 0)
		return "SMS Token Signing";
	if (strcmp(type, "ca") == 0)
		return "Intermediate CA";
	if (strcmp(type, "trust") == 0)
		return "Trusted Root CA";
	if (strcmp(type, "pki") == 0)
		return "PKI";
	return "Unknown type";	/* a row written around the rules */
}

int
ehttp_cert_resolve(struct ehttp *e, const char *id, struct db_cert *c)
{
	char *end;
	long long n;
	int rc;

	if (id == NULL || *id == '\0') {
		ehttp_fail(e, "certificate: missing ID or thumbprint");
		return 0;
	}
	errno = 0;
	n = strtoll(id, &end, 10);
	if (errno == 0 && *end == '\0' && n > 0 && strlen(id) < 12)
		rc = db_cert_get(e->db, n, c);
	else if (strspn(id, "0123456789abcdefABCDEF") == 40 && id[40] == '\0')
		rc = db_cert_get_thumbprint(e->db, id, c);
	else {
		ehttp_fail(e, "certificate '%.60s': not an ID or a 40-digit"
		    " thumbprint", id);
		return 0;
	}
	if (rc == 1 && strcmp(c->state, "pending") == 0)
		rc = 0;		/* not issued yet */
	return ehttp_found(e, rc, "certificate '%.60s': no such certificate",
	    id);
}

/* By id; a pending certificate (not issued yet) counts only when
 * pending_too. */
static int
cert_lookup(struct ehttp *e, int64_t id, struct db_cert *c, int pending_too)
{
	int rc = db_cert_get(e->db, id, c);

	if (rc == 1 && !pending_too && strcmp(c->state, "pending") == 0)
		rc = 0;
	return ehttp_found(e, rc, "certificate %lld: no such certificate",
	    (long long)id) == 1 ? 0 : -1;
}

int
ehttp_cert_get(struct ehttp *e, int64_t id, struct db_cert *c)
{
	return cert_lookup(e, id, c, 0);
}

int
ehttp_cert_by_id(struct ehttp *e, int64_t id, struct db_cert *c)
{
	return cert_lookup(e, id, c, 1);
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
		rd = xcalloc(nr, sizeof *rd);
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
	v = xcalloc(PATH_MAX_LEN, sizeof *v);
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
		if (ehttp_cert_by_id(e, next, &v[*n]) == -1) {
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
	v = xcalloc(np, sizeof *v);
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
	return ehttp_found(e, db_cert_der(e->db, id, der, len), "certificate"
	    " %lld: no certificate data", (long long)id) == 1 ? 0 : -1;
}

/* The stored certificate in another form (ca_der_to_pem, ca_cert_text),
 * CA errors named after the certificate. */
static int
cert_convert(struct ehttp *e, int64_t id,
    int (*convert)(struct ca *, const unsigned char *, size_t, char **),
    char **out)
{
	unsigned char *der = NULL;
	struct ca *ca;
	size_t dlen;
	int rc;

	if (ehttp_cert_der(e, id, &der, &dlen) == -1)
		return -1;
	ca = ca_new();
	if ((rc = convert(ca, der, dlen, out)) == -1)
		ehttp_fail(e, "certificate %lld: %s", (long long)id, ca_error(ca));
	ca_free(ca);
	free(der);
	return rc;
}

int
ehttp_cert_pem(struct ehttp *e, int64_t id, char **pem, size_t *len)
{
	if (cert_convert(e, id, ca_der_to_pem, pem) == -1)
		return -1;
	*len = strlen(*pem);
	return 0;
}

int
ehttp_cert_text(struct ehttp *e, int64_t id, char **text)
{
	return cert_convert(e, id, ca_cert_text, text);
}

/* The audit row of a key export, in a transaction of its own. */
static int
key_export_audit(struct ehttp *e, int64_t id, const char *dest,
    const char *failure)
{
	struct db_cert c;
	char err[sizeof e->err];
	int keep = failure != NULL && e->err[0] != '\0';

	/* A failure's message stays the operation's error. */
	if (keep)
		snprintf(err, sizeof err, "%s", e->err);
	if (ehttp_begin(e) == -1 || db_cert_get(e->db, id, &c) != 1 ||
	    (failure == NULL ? ehttp_record(e, c.site_id, "warning",
	    "certificate key export", c.thumbprint, "The private key of %s %s"
	    " (thumbprint %s) was exported to %s.", ehttp_cert_type_title(
	    c.type), c.issued_to, c.thumbprint, dest) : ehttp_record(e,
	    c.site_id, "warning", "certificate key export failed", c.thumbprint,
	    "Export of the private key of %s %s (thumbprint %s) to %s failed:"
	    " %s.", ehttp_cert_type_title(c.type), c.issued_to, c.thumbprint,
	    dest, failure)) == -1 || ehttp_commit(e) == -1) {
		ehttp_rollback(e);
		if (e->err[0] == '\0')
			ehttp_fail_db(e);
		return -1;
	}
	if (keep)
		snprintf(e->err, sizeof e->err, "%s", err);
	return 0;
}

int
ehttp_cert_key_exported(struct ehttp *e, int64_t id, const char *dest,
    const char *failure)
{
	return key_export_audit(e, id, dest, failure);
}

int
ehttp_cert_key_pem(struct ehttp *e, int64_t id, char **pem, size_t *len)
{
	unsigned char *key = NULL;
	const char *master;
	struct ca *ca;
	size_t klen;
	int rc;

	*pem = NULL;
	if ((master = ehttp_master(e, 0)) == NULL)
		goto failed;
	if (ehttp_found(e, db_cert_key(e->db, id, &key, &klen), "certificate"
	    " %lld: no private key stored", (long long)id) != 1)
		goto failed;
	ca = ca_new();
	rc = ca_key_to_pem(ca, key, klen, master, pem);
	if (rc == -1)
		ehttp_fail(e, "certificate %lld: %s", (long long)id, ca_error(ca));
	else
		*len = strlen(*pem);
	ca_free(ca);
	freezero(key, klen);
	if (rc == 0)
		return 0;
failed:
	/* The key never left the database: a refusal changes nothing. */
	return -1;
}

const char *
ehttp_block_effect(const char *type)
{
	if (strcmp(type, "root") == 0)
		return "Blocking an SMS Issuing root takes effect everywhere:"
		    " the agents stop serving the role certificates it signed"
		    " (those site systems serve no TLS and are unhealthy), it is"
		    " no longer handed out on ?MPCERT, and nothing is issued"
		    " under it. Renew the root to issue new certificates;"
		    " Unblock undoes the block.";
	if (strcmp(type, "token") == 0)
		return "Tokens signed with this SMS Token Signing certificate are"
		    " refused and no new ones are signed with it until it is"
		    " renewed (a new one is issued; clients get new tokens) or"
		    " unblocked.";
	if (strcmp(type, "pki") == 0)
		return "The agent stops serving this PKI certificate at its next"
		    " poll. While enhanced HTTP is on, a site-issued certificate"
		    " is issued and served instead (a warning); otherwise the"
		    " site system serves no TLS and is unhealthy.";
	return "The agent stops serving this certificate at its next poll: the"
	    " site system serves no TLS and is unhealthy until the certificate"
	    " is renewed or unblocked.";
}

static int
block_locked(struct ehttp *e, int64_t id, int blocked)
{
	struct db_cert c;

	if (ehttp_cert_by_id(e, id, &c) == -1)
		return -1;
	if (c.blocked == (blocked != 0))
		return ehttp_fail(e, "certificate %lld: already %s", (long long)id,
		    blocked ? "blocked" : "unblocked");
	if (strcmp(c.state, "pending") == 0)
		return ehttp_fail(e, "certificate %lld: no such certificate",
		    (long long)id);
	if (db_cert_set_blocked(e->db, id, blocked) == -1)
		return ehttp_fail_db(e);
	if (ehttp_record(e, c.site_id, blocked ? "warning" : "info",
	    blocked ? "certificate block" : "certificate unblock", c.thumbprint,
	    "%s certificate %s issued to %s (thumbprint %s).",
	    blocked ? "Blocked" : "Unblocked", ehttp_cert_type_title(c.type),
	    c.issued_to, c.thumbprint) == -1)
		return -1;
	if ((strcmp(c.type, "root") == 0 || strcmp(c.type, "token") == 0) &&
	    blocked)
		ehttp_note(e, EHTTP_NOTE_WARNING, "%s",
		    ehttp_block_effect(c.type));
	else if (strcmp(c.type, "root") == 0)
		ehttp_note(e, EHTTP_NOTE_INFO, "The role certificates this SMS"
		    " Issuing signed are served again at the agents' next poll.");
	/* A blocked PKI certificate: the site-issued one takes over while
	 * enhanced HTTP is on; unblocked, PKI wins again. */
	return strcmp(c.type, "pki") == 0 ? issue_reconcile(e, c.site_id) : 0;
}

int
ehttp_cert_block(struct ehttp *e, int64_t id, int blocked)
{
	ehttp_notes_clear(e);
	if (ehttp_begin(e) == -1)
		return -1;
	return ehttp_end(e, block_locked(e, id, blocked));
}

/* Only the certificate in use: never a superseded, revoked or pending one,
 * nor a role certificate under a blocked root. 1; 0, refused (the reason
 * in ehttp_error()); -1. */
static int
renew_check(struct ehttp *e, const struct db_cert *c)
{
	struct db_cert cur, root;
	char why[256];
	int rc = 0;

	if (strcmp(c->type, "pki") == 0)
		snprintf(why, sizeof why, ": a PKI certificate is renewed by its"
		    " own CA; import the new one");
	else if (strcmp(c->state, "active") != 0) {
		if (strcmp(c->type, "root") == 0 ||
		    strcmp(c->type, "token") == 0)
			rc = db_cert_site_current(e->db, c->site_id, c->type,
			    &cur);
		else if (c->system_id != 0)
			rc = db_cert_active(e->db, c->system_id, c->type, &cur);
		if (rc == -1)
			return ehttp_fail_db(e);
		snprintf(why, sizeof why, " is %s: only the certificate in use"
		    " can be renewed%s%s%s", c->state,
		    rc == 1 ? " (the one in use is thumbprint " : "",
		    rc == 1 ? cur.thumbprint : "", rc == 1 ? ")" : "");
	} else if (strcmp(c->type, "role") == 0 ||
	    strcmp(c->type, "token") == 0) {
		if ((rc = db_cert_current_root(e->db, c->site_id, &root)) == -1)
			return ehttp_fail_db(e);
		if (rc == 0 || !root.blocked)
			return 1;
		snprintf(why, sizeof why, ": the SMS Issuing root of site %s"
		    " (thumbprint %s) is blocked and issues nothing; renew the"
		    " root (ehttpctl cert renew %s)", c->site_code,
		    root.thumbprint, root.thumbprint);
	} else
		return 1;
	ehttp_fail(e, "%s issued to %s (thumbprint %s)%s",
	    ehttp_cert_type_title(c->type), c->issued_to, c->thumbprint, why);
	return 0;
}

int
ehttp_cert_renewable(struct ehttp *e, const struct db_cert *c)
{
	return renew_check(e, c);
}

int
ehttp_cert_renew_locked(struct ehttp *e, int64_t id)
{
	struct db_cert c, tok;
	size_t n;
	int rc;

	if (ehttp_cert_by_id(e, id, &c) == -1 || renew_check(e, &c) != 1)
		return -1;
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
		/* The token signing certificate too (issue.c issues the
		 * new one under the new root). */
		if ((rc = db_cert_site_current(e->db, c.site_id, "token",
		    &tok)) == -1 || (rc == 1 && db_cert_set_state(e->db,
		    tok.id, "superseded") == -1))
			return ehttp_fail_db(e);
	}
	if (strcmp(c.type, "token") == 0)
		ehttp_note(e, EHTTP_NOTE_WARNING, "The SMS Token Signing"
		    " certificate of site %s (thumbprint %s) is superseded:"
		    " tokens it signed are no longer accepted; clients get new"
		    " ones.", c.site_code, c.thumbprint);
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
	if (ehttp_cert_by_id(e, id, &c) == -1 || renew_check(e, &c) != 1)
		return -1;
	if (ehttp_site_by_id(e, c.site_id, &s) == -1)
		return -1;
	if ((strcmp(c.type, "root") == 0 || strcmp(c.type, "token") == 0) &&
	    !ehttp_site_enhanced(&s.sec))
		return ehttp_fail(e, "%s of site %s (thumbprint %s): the site"
		    " does not use enhanced HTTP; turn it on to renew its %s",
		    ehttp_cert_type_title(c.type), s.code, c.thumbprint,
		    ehttp_cert_type_title(c.type));
	/* A new root re-issues every certificate under it: sign them
	 * ahead, without the write lock (other writers wait 10 s at most);
	 * a new token signing key too. */
	if (strcmp(c.type, "root") == 0 && strcmp(c.state, "active") == 0 &&
	    issue_prepare_renew(e, s.id) == -1)
		return -1;
	if (strcmp(c.type, "token") == 0 && strcmp(c.state, "active") == 0 &&
	    issue_prepare_renew_token(e, s.id) == -1)
		return -1;
	if ((rc = ehttp_begin(e)) == 0)
		rc = ehttp_end(e, ehttp_cert_renew_locked(e, id));
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
	*buf = xmalloc(sb.st_size + 1);
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
	ehttp_day(c.not_after, day, sizeof day);
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

	d = xcalloc(n + 1, sizeof *d);
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
	if (ehttp_system_resolve(e, fqdn, &y) != 1)
		return -1;
	snprintf(norm, sizeof norm, "%s", y.fqdn);
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
	rc = ehttp_end(e, import_locked(e, &y, &p));
out:
	ca_pki_clear(&p);
	ca_free(ca);
	freezero(key, klen);
	freezero(cert, clen);	/* may hold the key too */
	free(chain);
	free(rd);
	db_blobs_free(roots, nr);
	return rc;
}

int
ehttp_pki_check(struct ehttp *e, const struct db_cert *c, char *warning,
    size_t wlen)
{
	struct ca_blob key = { NULL, 0 };
	unsigned char *der = NULL;
	struct db_blob *chain = NULL, *roots = NULL;
	struct ca_der *cd = NULL, *rd = NULL;
	size_t dlen = 0, nc = 0, nr = 0;
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
	if (ehttp_cert_der(e, c->id, &der, &dlen) == -1 ||
	    ehttp_serving_key(e, c, &key, &master) != 1)
		goto out;
	if (db_cert_chain(e->db, c->id, &chain, &nc) == -1) {
		ehttp_fail_db(e);
		goto out;
	}
	if (ehttp_site_trusted_roots(e, c->site_id, &roots, &nr) == -1)
		goto out;
	cd = ders_of(chain, nc);
	rd = ders_of(roots, nr);
	ca = ca_new();
	rc = ca_pki_check(ca, der, dlen, cd, nc, key.data, key.len, master,
	    y.fqdn, rd, nr, warning, wlen);
	if (rc != 1)
		ehttp_fail(e, "PKI certificate %s of %s: %s", c->thumbprint,
		    y.fqdn, ca_error(ca));
out:
	ca_blob_free(&key);
	free(der);
	free(cd);
	free(rd);
	db_blobs_free(chain, nc);
	db_blobs_free(roots, nr);
	ca_free(ca);
	return rc;
}

/* ------------------------------------------------- trust and verification */

void
ehttp_der_list_free(struct ehttp_der *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i].data);
	free(v);
}

#define TRUST_MAX	256

int
ehttp_trust_anchors(struct ehttp *e, int64_t site_id, struct ehttp_der **out,
    size_t *nout)
{
	struct db_cert_filter f;
	struct db_cert *roots = NULL;
	struct ehttp_der *v = NULL;
	struct db_blob *t = NULL;
	size_t nr = 0, n = 0, nt = 0;
	int rc;

	*out = NULL;
	*nout = 0;
	memset(&f, 0, sizeof f);
	f.type = "root";
	f.site_id = site_id;
	f.expiring_days = -1;
	if (db_cert_page(e->db, &f, DB_CERT_SORT_START, 1, NULL, TRUST_MAX,
	    &roots, &nr) == -1)
		return ehttp_fail_db(e);
	v = xcalloc(nr + 1, sizeof *v);
	for (size_t i = 0; i < nr; i++) {
		if (roots[i].blocked || strcmp(roots[i].state, "pending") == 0 ||
		    strcmp(roots[i].state, "revoked") == 0)
			continue;
		if ((rc = db_cert_der(e->db, roots[i].id, &v[n].data,
		    &v[n].len)) == -1) {
			free(roots);
			ehttp_der_list_free(v, n);
			return ehttp_fail_db(e);
		}
		if (rc == 1)
			n++;
	}
	free(roots);
	/* The site's trusted root CAs (Communication Security). */
	if (db_trusted_root_ders(e->db, site_id, &t, &nt) == -1) {
		ehttp_der_list_free(v, n);
		return ehttp_fail_db(e);
	}
	if (nt > 0)
		v = xreallocarray(v, n + nt + 1, sizeof *v);
	for (size_t i = 0; i < nt; i++, n++) {
		v[n].data = t[i].data;	/* moved */
		v[n].len = t[i].len;
	}
	free(t);
	*out = v;
	*nout = n;
	return 0;
}

int
ehttp_cert_verify(struct ehttp *e, const struct db_cert *c, char *why,
    size_t whylen)
{
	struct db_cert *path = NULL;
	struct ehttp_der *anchors = NULL;
	struct db_blob *chain = NULL;
	unsigned char *leaf = NULL;
	struct db_system y;
	struct ca *ca = NULL;
	size_t np = 0, na = 0, nchain = 0, leaf_len = 0;
	const char *fqdn = NULL;
	time_t now = time(NULL);
	char day[16];
	int rc = -1;

	if (c->blocked) {
		snprintf(why, whylen, "This certificate is blocked.");
		return 0;
	}
	if (strcmp(c->state, "active") != 0) {
		snprintf(why, whylen, "This certificate is %s: it is no longer"
		    " used.", c->state);
		return 0;
	}
	if (c->not_after < now) {
		snprintf(why, whylen, "This certificate expired on %s.",
		    ehttp_day(c->not_after, day, sizeof day));
		return 0;
	}
	if (c->not_before > now) {
		snprintf(why, whylen, "This certificate is not valid before %s.",
		    ehttp_day(c->not_before, day, sizeof day));
		return 0;
	}
	if (ehttp_cert_path(e, c, &path, &np) == -1)
		return -1;
	for (size_t i = 1; i < np; i++)
		if (path[i].blocked) {
			snprintf(why, whylen, "Its issuer %s (%s, thumbprint %s)"
			    " is blocked.", path[i].issued_to,
			    ehttp_cert_type_title(path[i].type),
			    path[i].thumbprint);
			rc = 0;
			goto out;
		}
	if (ehttp_trust_anchors(e, c->site_id, &anchors, &na) == -1 ||
	    ehttp_cert_der(e, c->id, &leaf, &leaf_len) == -1)
		goto out;
	/* The intermediates it is served with (a PKI certificate's stored
	 * chain, a role certificate's SMS Issuing), as the agent has them. */
	if (ehttp_cert_chain(e, c, &chain, &nchain) == -1)
		goto out;
	if (c->system_id != 0) {
		int r = db_system_get_id(e->db, c->system_id, &y);

		if (r == -1) {
			ehttp_fail_db(e);
			goto out;
		}
		if (r == 1)
			fqdn = y.fqdn;
	}
	ca = ca_new();
	switch (ca_verify_chain(ca, (const struct ca_der *)anchors, na,
	    (const struct ca_der *)chain, nchain, leaf, leaf_len, fqdn)) {
	case 1:
		snprintf(why, whylen, "This certificate is OK.");
		rc = 1;
		break;
	case 0:
		snprintf(why, whylen, "This certificate is not trusted: %s%s.",
		    ca_error(ca), na == 0 ? " (the site has no trusted root)" :
		    "");
		rc = 0;
		break;
	default:
		ehttp_fail(e, "certificate %s: %s", c->thumbprint, ca_error(ca));
		break;
	}
out:
	for (size_t i = 0; chain != NULL && i < nchain; i++)
		free(chain[i].data);
	free(chain);
	ca_free(ca);
	free(leaf);
	ehttp_der_list_free(anchors, na);
	free(path);
	return rc;
}

int
ehttp_site_reconcile(struct ehttp *e, int64_t site_id)
{
	ehttp_notes_clear(e);
	if (ehttp_begin(e) == -1)
		return -1;
	return ehttp_end(e, issue_reconcile(e, site_id));
}
