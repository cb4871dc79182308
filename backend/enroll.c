/*
 * enroll.c: agents on other hosts, which hold no master key (ehttp.h,
 * "Agents on other hosts").
 *
 * The agent's side: its enrollment file (its own RSA key and a
 * self-signed certificate for it, made on its host, mode 0600) and the
 * request in the database; while it runs, the keys it serves come from
 * the copies sealed to that certificate, never from the master key.
 * The site's side: approval (an administrator who compared the
 * fingerprint the agent printed), sealing each key the agent serves as
 * certificates are issued (issue_reconcile() ends with ehttp_keys_seal()),
 * and revocation.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "ca.h"
#include "daemon.h"
#include "ehttp-int.h"
#include "outfile.h"
#include "xmalloc.h"

#define ENROLL_FILE_MAX	(64 * 1024)

char *
ehttp_enroll_default_path(const char *db_target, const char *fqdn)
{
	char *home = ehttp_home_dir(db_target), *p;

	xasprintf(&p, "%s/enroll-%s.pem", home, fqdn);
	free(home);
	return p;
}

/* The enrollment file: read (it must be the owner's alone: it holds a
 * private key) and parsed. NULL, the reason in the handle. */
static struct ca_enroll *
enroll_read(struct ehttp *e, const char *path)
{
	struct ca_enroll *en = NULL;
	struct ca *ca = ca_new();
	char buf[ENROLL_FILE_MAX];
	struct stat sb;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) == -1) {
		ehttp_fail(e, "enrollment file %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		ehttp_fail(e, "enrollment file %s: not a regular file", path);
		goto out;
	}
	if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
		ehttp_fail(e, "enrollment file %s has mode %04o: it holds a"
		    " private key and must not be readable by others (chmod"
		    " 600 it)", path, (unsigned)(sb.st_mode & 07777));
		goto out;
	}
	if ((n = read(fd, buf, sizeof buf)) == -1 || (size_t)n == sizeof buf) {
		ehttp_fail(e, "enrollment file %s: %s", path, n == -1 ?
		    strerror(errno) : "too large to be one");
		goto out;
	}
	if ((en = ca_enroll_parse(ca, buf, (size_t)n)) == NULL)
		ehttp_fail(e, "%s: %s", path, ca_error(ca));
	else if (ca_enroll_check(ca, ca_enroll_cert(en)->data,
	    ca_enroll_cert(en)->len, time(NULL)) != 1) {
		ehttp_fail(e, "%s: %s (delete it and run ehttp-mpd --enroll"
		    " to make a new one)", path, ca_error(ca));
		ca_enroll_free(en);
		en = NULL;
	}
out:
	explicit_bzero(buf, sizeof buf);
	if (fd != -1)
		close(fd);
	ca_free(ca);
	return en;
}

/* A new enrollment file at path (never over an existing one). */
static struct ca_enroll *
enroll_create(struct ehttp *e, const char *fqdn, const char *path)
{
	struct ca_enroll *en = NULL;
	struct ca_issued is;
	struct ca *ca = ca_new();
	char *pem = NULL, *dir, *cause = NULL, err[512];

	dir = daemon_dir_of(path);
	if (daemon_mkdirs(dir, 0700, &cause) == -1) {
		ehttp_fail(e, "enrollment file %s: %s", path, cause);
		goto out;
	}
	if (ca_enroll_create(ca, fqdn, &is) == -1 ||
	    ca_enroll_pem(ca, &is, &pem) == -1) {
		ehttp_fail(e, "making the enrollment key: %s", ca_error(ca));
		goto out;
	}
	if (outfile_write(path, pem, strlen(pem), OUTFILE_SECRET, NULL, err,
	    sizeof err) == -1) {
		ehttp_fail(e, "enrollment file %s", err);
		goto out;
	}
	en = ca_enroll_parse(ca, pem, strlen(pem));
	if (en == NULL)
		ehttp_fail(e, "%s: %s", path, ca_error(ca));
out:
	if (pem != NULL) {
		explicit_bzero(pem, strlen(pem));
		free(pem);
	}
	ca_issued_clear(&is);
	free(cause);
	free(dir);
	ca_free(ca);
	return en;
}

static int
fingerprint_of(struct ehttp *e, const struct ca_enroll *en, char out[65])
{
	const struct ca_blob *c = ca_enroll_cert(en);
	struct ca *ca = ca_new();
	int rc = 0;

	if (ca_fingerprint(ca, c->data, c->len, out) == -1)
		rc = ehttp_fail(e, "%s", ca_error(ca));
	ca_free(ca);
	return rc;
}

static int
request_locked(struct ehttp *e, const struct db_system *y,
    const struct ca_enroll *en, const char *fpr)
{
	const struct ca_blob *c = ca_enroll_cert(en);
	char host[256], msg[1024];

	if (gethostname(host, sizeof host) == -1)
		snprintf(host, sizeof host, "?");
	host[sizeof host - 1] = '\0';
	if (db_enroll_put(e->db, y->id, c->data, c->len, fpr, host,
	    time(NULL)) == -1)
		return ehttp_fail_db(e);
	/* A status message, not an audit record: the agent asks (its
	 * login may write its site's messages), an administrator decides
	 * (agent approve is audited). */
	snprintf(msg, sizeof msg, "The agent of %s on %s asked to be enrolled"
	    " (key fingerprint SHA-256 %s); compare and approve it with"
	    " ehttpctl agent approve %s --fingerprint ...", y->fqdn, host, fpr,
	    y->fqdn);
	if (db_status_add(e->db, y->site_id, y->id, "info", AGENT_COMPONENT,
	    msg) == -1)
		return ehttp_fail_db(e);
	return 0;
}

int
ehttp_enroll_request(struct ehttp *e, const char *fqdn, const char *path,
    struct ehttp_enrollment *out)
{
	struct ca_enroll *en;
	struct db_system y;
	struct db_enroll cur;
	int rc;

	memset(out, 0, sizeof *out);
	if (ehttp_system_resolve(e, fqdn, &y) != 1)
		return -1;
	if (access(path, F_OK) == 0)
		en = enroll_read(e, path);
	else {
		en = enroll_create(e, y.fqdn, path);
		out->created = 1;
	}
	if (en == NULL || fingerprint_of(e, en, out->fingerprint) == -1) {
		ca_enroll_free(en);
		return -1;
	}
	if ((rc = ehttp_begin(e)) == 0) {
		if ((rc = db_enroll_get(e->db, y.id, &cur)) == -1)
			rc = ehttp_fail_db(e);
		else if (rc == 1 && cur.approved != 0 &&
		    strcmp(cur.fingerprint, out->fingerprint) == 0)
			out->approved = 1;	/* nothing to ask again */
		else if (rc == 1 && cur.approved != 0)
			/* So a stolen login cannot undo an approval. */
			rc = ehttp_fail(e, "the agent of %s is enrolled with"
			    " another key (fingerprint SHA-256 %s): a new key"
			    " needs that one revoked first (ehttpctl agent"
			    " revoke %s on the site server)", y.fqdn,
			    cur.fingerprint, y.fqdn);
		else
			rc = request_locked(e, &y, en, out->fingerprint);
		rc = ehttp_end(e, rc == -1 ? -1 : 0);
	}
	ca_enroll_free(en);
	return rc;
}

int
ehttp_enroll_use(struct ehttp *e, const char *fqdn, const char *path,
    char fingerprint[65])
{
	struct ca_enroll *en;
	struct db_system y;

	if (ehttp_system_resolve(e, fqdn, &y) != 1 ||
	    (en = enroll_read(e, path)) == NULL)
		return -1;
	if (fingerprint_of(e, en, fingerprint) == -1) {
		ca_enroll_free(en);
		return -1;
	}
	ca_enroll_free(e->enroll);
	e->enroll = en;
	snprintf(e->enroll_fqdn, sizeof e->enroll_fqdn, "%s", y.fqdn);
	return 0;
}

int
ehttp_enrolled(const struct ehttp *e)
{
	return e->enroll != NULL;
}

/*
 * The private key of c as this program may read it: an enrolled agent
 * opens the copy sealed to it (*master = ca_plain), anyone else reads the
 * stored key (*master = the master key). 1, 0 there is none (said), -1.
 */
int
ehttp_serving_key(struct ehttp *e, const struct db_cert *c,
    struct ca_blob *key, const char **master)
{
	struct db_system y;
	struct ca *ca;
	unsigned char *cms = NULL;
	size_t len = 0;
	int rc;

	memset(key, 0, sizeof *key);
	if (e->enroll == NULL) {
		if ((*master = ehttp_master(e, 0)) == NULL)
			return -1;
		return ehttp_found(e, db_cert_key(e->db, c->id, &key->data,
		    &key->len), "certificate %lld (%s for %s, thumbprint %s):"
		    " no private key stored", (long long)c->id,
		    ehttp_cert_type_title(c->type), c->issued_to,
		    c->thumbprint);
	}
	*master = ca_plain;
	if (ehttp_found(e, db_system_get(e->db, e->enroll_fqdn, &y),
	    "no site system %s", e->enroll_fqdn) != 1)
		return -1;
	if ((rc = db_agent_key_get(e->db, c->id, y.id, &cms, &len)) == -1)
		return ehttp_fail_db(e);
	if (rc == 0) {
		ehttp_fail(e, "certificate %lld (%s for %s, thumbprint %s): no"
		    " key sealed to this agent's enrollment yet (approved? see"
		    " ehttpctl agent list)", (long long)c->id,
		    ehttp_cert_type_title(c->type), c->issued_to, c->thumbprint);
		return 0;
	}
	ca = ca_new();
	if ((rc = ca_unseal(ca, e->enroll, cms, len, key)) == -1)
		ehttp_fail(e, "certificate %lld (thumbprint %s): %s",
		    (long long)c->id, c->thumbprint, ca_error(ca));
	ca_free(ca);
	free(cms);
	return rc == -1 ? -1 : 1;
}

/* One key sealed to one approved agent. */
static int
seal_one(struct ehttp *e, struct ca *ca, const struct db_seal_todo *t,
    const char *master)
{
	unsigned char *key = NULL, *to = NULL;
	size_t klen = 0, tolen = 0;
	struct ca_blob cms = { NULL, 0 };
	int rc = -1;

	if (ehttp_found(e, db_cert_key(e->db, t->cert_id, &key, &klen),
	    "certificate %lld: no private key stored",
	    (long long)t->cert_id) != 1 ||
	    ehttp_found(e, db_enroll_cert(e->db, t->system_id, &to, &tolen),
	    "site system %lld: no enrollment", (long long)t->system_id) != 1)
		goto out;
	if (ca_seal(ca, key, klen, master, to, tolen, &cms) == -1) {
		ehttp_fail(e, "sealing the key of certificate %lld to the agent"
		    " of site system %lld: %s", (long long)t->cert_id,
		    (long long)t->system_id, ca_error(ca));
		goto out;
	}
	if (db_agent_key_put(e->db, t->cert_id, t->system_id, cms.data,
	    cms.len) == -1) {
		ehttp_fail_db(e);
		goto out;
	}
	rc = 0;
out:
	ca_blob_free(&cms);
	freezero(key, klen);
	free(to);
	return rc;
}

int
ehttp_keys_seal(struct ehttp *e, int64_t site_id)
{
	struct db_seal_todo *todo = NULL;
	const char *master;
	struct ca *ca = NULL;
	size_t n = 0;
	int rc = -1;

	if (db_agent_key_prune(e->db, site_id) == -1 ||
	    db_agent_key_todo(e->db, site_id, &todo, &n) == -1)
		return ehttp_fail_db(e);
	if (n == 0)
		return 0;
	if ((master = ehttp_master(e, 0)) == NULL)
		goto out;
	ca = ca_new();
	for (size_t i = 0; i < n; i++)
		if (seal_one(e, ca, &todo[i], master) == -1)
			goto out;
	rc = 0;
out:
	ca_free(ca);
	free(todo);
	return rc;
}

int
ehttp_enroll_list(struct ehttp *e, struct db_enroll **v, size_t *n)
{
	if (db_enroll_list(e->db, v, n) == -1)
		return ehttp_fail_db(e);
	return 0;
}

int
ehttp_enroll_get(struct ehttp *e, const char *fqdn, struct db_enroll *en)
{
	struct db_system y;

	if (ehttp_system_resolve(e, fqdn, &y) != 1)
		return -1;
	return ehttp_found(e, db_enroll_get(e->db, y.id, en), "the agent of"
	    " %s has not asked to be enrolled (ehttp-mpd --enroll on its"
	    " host)", y.fqdn);
}

/* given is want, in either case, with or without the colons openssl
 * prints between the bytes. */
static int
fingerprint_is(const char *given, const char *want)
{
	for (; *given != '\0'; given++) {
		if (*given == ':')
			continue;
		if (*want == '\0' || toupper((unsigned char)*given) != *want)
			return 0;
		want++;
	}
	return *want == '\0';
}

static int
approve_locked(struct ehttp *e, const char *fqdn, const char *fingerprint)
{
	struct db_enroll en;
	unsigned char *der = NULL;
	char fpr[65];
	struct ca *ca;
	size_t len = 0;
	int rc = -1;

	if (ehttp_enroll_get(e, fqdn, &en) != 1)
		return -1;
	if (ehttp_found(e, db_enroll_cert(e->db, en.system_id, &der, &len),
	    "the agent of %s: no enrollment certificate", en.fqdn) != 1)
		return -1;
	/* The fingerprint of the certificate the keys would be sealed to,
	 * computed here: the one recorded beside it is the agent's word. */
	ca = ca_new();
	if (ca_fingerprint(ca, der, len, fpr) == -1)
		ehttp_fail(e, "%s", ca_error(ca));
	else if (strcmp(fpr, en.fingerprint) != 0)
		ehttp_fail(e, "the enrollment of %s records fingerprint %s but"
		    " its certificate's is %s: it was altered; nothing approved"
		    " (revoke it and have the agent run ehttp-mpd --enroll"
		    " again)", en.fqdn, en.fingerprint, fpr);
	else if (fingerprint != NULL && !fingerprint_is(fingerprint, fpr))
		ehttp_fail(e, "the agent of %s asked with key fingerprint %s,"
		    " not %s: compare with what ehttp-mpd --enroll printed on"
		    " its host; nothing approved", en.fqdn, fpr, fingerprint);
	else if (ca_enroll_check(ca, der, len, time(NULL)) != 1)
		ehttp_fail(e, "the agent of %s: %s; nothing approved", en.fqdn,
		    ca_error(ca));
	else
		rc = 0;
	ca_free(ca);
	if (rc == -1)
		goto out;
	if (e->user[0] == '\0')
		ehttp_acting_user(e->user, sizeof e->user);
	/* Only the certificate checked above (a change meanwhile approves
	 * nothing). Copies sealed to an earlier key go; the current keys are
	 * sealed again to this one. */
	if ((rc = db_enroll_approve(e->db, en.system_id, der, len, time(NULL),
	    e->user)) != 1) {
		if (rc == 0)
			ehttp_fail(e, "the enrollment of %s changed while it was"
			    " being approved; nothing approved", en.fqdn);
		else
			ehttp_fail_db(e);
		rc = -1;
		goto out;
	}
	rc = -1;
	if (db_agent_key_drop(e->db, en.system_id) == -1) {
		ehttp_fail_db(e);
		goto out;
	}
	if (ehttp_keys_seal(e, en.site_id) == -1)
		goto out;
	ehttp_note(e, EHTTP_NOTE_INFO, "The agent of %s is enrolled (key"
	    " fingerprint SHA-256 %s): the keys it serves are sealed to it.",
	    en.fqdn, fpr);
	rc = ehttp_record(e, en.site_id, "info", "agent approve", en.fqdn,
	    "Approved the agent of %s (key fingerprint SHA-256 %s).", en.fqdn,
	    fpr);
out:
	free(der);
	return rc;
}

int
ehttp_agent_approve(struct ehttp *e, const char *fqdn, const char *fingerprint)
{
	int rc;

	ehttp_notes_clear(e);
	if ((rc = ehttp_begin(e)) == 0)
		rc = ehttp_end(e, approve_locked(e, fqdn, fingerprint));
	return rc;
}

/* c renewed, and marked revoked rather than superseded: its key may be
 * in other hands (nothing checks revocation here: clients that trust the
 * site's root accept it until it ends; README). */
static int
revoke_one(struct ehttp *e, const struct db_cert *c)
{
	if (ehttp_cert_renew_locked(e, c->id) == -1)
		return -1;
	if (db_cert_set_state(e->db, c->id, "revoked") == -1)
		return ehttp_fail_db(e);
	return 0;
}

/* The keys the revoked agent could read are replaced: its system's
 * role certificate's, and an MP's the site's token signing key. */
static int
revoke_renew(struct ehttp *e, const struct db_enroll *en)
{
	struct db_role r;
	struct db_cert c;
	int rc;

	if ((rc = db_cert_active(e->db, en->system_id, "role", &c)) == -1)
		return ehttp_fail_db(e);
	if (rc == 1 && revoke_one(e, &c) == -1)
		return -1;
	if ((rc = db_cert_active(e->db, en->system_id, "pki", &c)) == -1)
		return ehttp_fail_db(e);
	if (rc == 1)
		ehttp_note(e, EHTTP_NOTE_WARNING, "The PKI certificate of %s"
		    " (thumbprint %s) has a key the revoked agent could read:"
		    " have your PKI issue a new one and import it.", en->fqdn,
		    c.thumbprint);
	if ((rc = db_role_get(e->db, en->system_id, "mp", &r)) == 1)
		rc = db_cert_site_current(e->db, en->site_id, "token", &c);
	if (rc == -1)
		return ehttp_fail_db(e);
	if (rc == 1 && revoke_one(e, &c) == -1)
		return -1;
	return 0;
}

/*
 * The enrollment, its sealed keys and the system's database login go in
 * one transaction; *en says what was there (system_id 0: no enrollment,
 * only a login). 0, or -1 when there was neither.
 */
static int
revoke_locked(struct ehttp *e, const char *fqdn, struct db_enroll *en,
    char *login, size_t len)
{
	struct db_system y;
	int had, rc;

	memset(en, 0, sizeof *en);
	if (ehttp_system_resolve(e, fqdn, &y) != 1)
		return -1;
	if ((had = db_enroll_get(e->db, y.id, en)) == -1)
		return ehttp_fail_db(e);
	if (had == 1 && db_enroll_delete(e->db, y.id) == -1)
		return ehttp_fail_db(e);
	/* Its database login too (PostgreSQL): the thief's way in. */
	if ((rc = agent_login_revoke_locked(e, y.id, login, len)) == -1)
		return -1;
	if (had == 0 && rc == 0)
		return ehttp_fail(e, "the agent of %s is not enrolled and has"
		    " no database login: nothing to revoke", y.fqdn);
	if (had == 0) {
		en->site_id = y.site_id;
		return 0;
	}
	ehttp_note(e, EHTTP_NOTE_INFO, "The agent of %s is no longer enrolled"
	    " (key fingerprint SHA-256 %s); the keys sealed to it are gone.",
	    en->fqdn, en->fingerprint);
	return ehttp_record(e, en->site_id, "warning", "agent revoke",
	    en->fqdn, "Revoked the enrollment of the agent of %s (key"
	    " fingerprint SHA-256 %s).", en->fqdn, en->fingerprint);
}

int
ehttp_agent_revoke(struct ehttp *e, const char *fqdn)
{
	struct db_enroll en;
	char login[64] = "";
	int rc;

	ehttp_notes_clear(e);
	if ((rc = ehttp_begin(e)) == 0)
		rc = ehttp_end(e, revoke_locked(e, fqdn, &en, login,
		    sizeof login));
	if (rc == -1)
		return -1;
	if (login[0] != '\0')
		agent_login_end_sessions(e, login);
	if (en.system_id == 0 || en.approved == 0)
		return 0;
	/* Then what it could read is renewed: a failure here (a blocked
	 * root...) does not undo the revocation; it is said. */
	if (db_begin(e->db) == -1)		/* the notes so far stay */
		rc = ehttp_fail_db(e);
	else
		rc = ehttp_end(e, revoke_renew(e, &en));
	if (rc == -1)
		ehttp_note(e, EHTTP_NOTE_WARNING, "The certificates whose keys"
		    " the agent of %s could read were not renewed: %s. Renew"
		    " them (ehttpctl cert renew) as soon as you can.", en.fqdn,
		    ehttp_error(e));
	return 0;
}
