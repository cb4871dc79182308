/*
 * trust: a site's trusted root CAs (Site Properties > Communication
 * Security > "Set"): add, list, remove, and the trust store that PKI
 * chains are verified against.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ca.h"
#include "ehttp-int.h"

static int
trust_site(struct ehttp *e, const char *code, struct db_site *s)
{
	return ehttp_site_resolve(e, code, s) == 1 ? 0 : -1;
}

int
ehttp_site_trusted_roots(struct ehttp *e, int64_t site_id, struct db_blob **v,
    size_t *n)
{
	return db_trusted_root_ders(e->db, site_id, v, n) == -1 ?
	    ehttp_fail_db(e) : 0;
}

int
ehttp_site_trusted_root_list(struct ehttp *e, const char *code,
    struct db_trusted_root **v, size_t *n)
{
	struct db_site s;

	*v = NULL;
	*n = 0;
	if (trust_site(e, code, &s) == -1)
		return -1;
	return db_trusted_root_list(e->db, s.id, v, n) == -1 ?
	    ehttp_fail_db(e) : 0;
}

static int
add_locked(struct ehttp *e, const struct db_site *s, struct db_trusted_root *t,
    const struct ca_blob *der)
{
	struct db_trusted_root *v = NULL;
	size_t n = 0;

	if (db_trusted_root_list(e->db, s->id, &v, &n) == -1)
		return ehttp_fail_db(e);
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].thumbprint, t->thumbprint) == 0) {
			free(v);
			return ehttp_fail(e, "trusted root CA %s (thumbprint %s)"
			    " is already trusted by site %s", t->subject,
			    t->thumbprint, s->code);
		}
	free(v);
	if (db_trusted_root_add(e->db, t, der->data, der->len) == -1)
		return ehttp_fail_db(e);
	return ehttp_record(e, s->id, "info", "trusted root add", s->code,
	    "Site %s trusts root CA %s (thumbprint %s): imported PKI"
	    " certificates must chain to a trusted root CA.", s->code,
	    t->subject, t->thumbprint);
}

int
ehttp_site_trusted_root_add(struct ehttp *e, const char *code,
    const char *path)
{
	struct db_trusted_root t;
	struct ca_cert_info ci;
	struct ca_blob der = { 0 };
	struct db_site s;
	struct ca *ca = NULL;
	char *buf = NULL;
	size_t len = 0;
	int rc = -1;

	ehttp_notes_clear(e);
	memset(&ci, 0, sizeof ci);
	if (trust_site(e, code, &s) == -1 ||
	    ehttp_read_pem(e, "root CA certificate", path, &buf, &len) == -1)
		goto out;
	ca = ca_new();
	if (ca_trusted_root_load(ca, buf, len, &der, &ci) == -1) {
		ehttp_fail(e, "trusted root CA %s: %s", path, ca_error(ca));
		goto out;
	}
	memset(&t, 0, sizeof t);
	t.site_id = s.id;
	snprintf(t.site_code, sizeof t.site_code, "%s", s.code);
	snprintf(t.subject, sizeof t.subject, "%s", ci.subject);
	snprintf(t.thumbprint, sizeof t.thumbprint, "%s", ci.thumbprint);
	t.not_after = ci.not_after;
	if (ehttp_begin(e) == -1)
		goto out;
	if ((rc = ehttp_end(e, add_locked(e, &s, &t, &der))) == 0)
		ehttp_note(e, EHTTP_NOTE_INFO, "Site %s trusts root CA %s"
		    " (thumbprint %s); PKI certificates imported from now on"
		    " must chain to one of its trusted root CAs.", s.code,
		    t.subject, t.thumbprint);
out:
	ca_cert_info_clear(&ci);
	ca_blob_free(&der);
	ca_free(ca);
	free(buf);
	return rc;
}

int
ehttp_site_trusted_root_remove(struct ehttp *e, const char *code,
    const char *thumbprint)
{
	struct db_trusted_root *v = NULL, t;
	struct db_site s;
	size_t n = 0, i;
	char shown[64];
	int rc;

	ehttp_notes_clear(e);
	if (trust_site(e, code, &s) == -1)
		return -1;
	if (thumbprint == NULL || strlen(thumbprint) != 40 ||
	    strspn(thumbprint, "0123456789abcdefABCDEF") != 40)
		return ehttp_fail(e, "thumbprint '%s': not 40 hex digits",
		    rules_shown(thumbprint != NULL ? thumbprint : "", shown,
		    sizeof shown));
	if (ehttp_begin(e) == -1)
		return -1;
	if (db_trusted_root_list(e->db, s.id, &v, &n) == -1) {
		ehttp_fail_db(e);
		goto fail;
	}
	for (i = 0; i < n; i++)
		if (strcasecmp(v[i].thumbprint, thumbprint) == 0)
			break;
	if (i == n) {
		ehttp_fail(e, "site %s has no trusted root CA with thumbprint"
		    " %s", s.code, thumbprint);
		goto fail;
	}
	t = v[i];
	if ((rc = db_trusted_root_delete(e->db, s.id, t.thumbprint)) != 1) {
		if (rc == -1)
			ehttp_fail_db(e);
		else
			ehttp_fail(e, "site %s has no trusted root CA with"
			    " thumbprint %s", s.code, thumbprint);
		goto fail;
	}
	if (ehttp_record(e, s.id, "warning", "trusted root remove", s.code,
	    "Site %s no longer trusts root CA %s (thumbprint %s).", s.code,
	    t.subject, t.thumbprint) == -1)
		goto fail;
	free(v);
	if (ehttp_commit(e) == -1)
		return -1;
	ehttp_note(e, EHTTP_NOTE_INFO, "Site %s no longer trusts root CA %s"
	    " (thumbprint %s).", s.code, t.subject, t.thumbprint);
	if (n == 1)
		ehttp_note(e, EHTTP_NOTE_WARNING, "Site %s has no trusted root"
		    " CAs left: PKI chains are no longer verified up to a root.",
		    s.code);
	return 0;
fail:
	free(v);
	ehttp_rollback(e);
	return -1;
}
