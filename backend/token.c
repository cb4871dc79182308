/*
 * token: the site's SMS Token Signing certificate as the signer of client
 * tokens. Every token the site issues (a client's CCM token at the
 * management point, a bulk registration token) is signed here, with the
 * site's current SMS Token Signing certificate; a verifier takes the same
 * certificate (ehttp_token_signer) and checks tokens with its public key
 * alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "ehttp-int.h"
#include "xmalloc.h"

/* The current token signing certificate of a site, active and unblocked:
 * 1, 0 none (the error says so), -1 error. */
static int
token_cert(struct ehttp *e, int64_t site_id, struct db_cert *c)
{
	struct db_site s;
	int rc;

	if ((rc = db_cert_site_current(e->db, site_id, "token", c)) == -1)
		return ehttp_fail_db(e);
	if (rc == 0 || c->blocked) {
		if (ehttp_site_by_id(e, site_id, &s) == -1)
			return -1;
		ehttp_fail(e, "site %s has no %sSMS Token Signing certificate"
		    " (is enhanced HTTP on?)", s.code,
		    rc == 1 ? "unblocked " : "");
		return 0;
	}
	return 1;
}

int
ehttp_token_signer(struct ehttp *e, int64_t site_id, struct db_cert *c,
    unsigned char **der, size_t *len)
{
	int rc;

	*der = NULL;
	if ((rc = token_cert(e, site_id, c)) != 1)
		return rc;
	return ehttp_cert_der(e, c->id, der, len) == 0 ? 1 : -1;
}

struct ehttp_token_key {
	int64_t		 cert_id;
	char		*x5t;
	struct ca_key	*key;
};

int
ehttp_token_key_open(struct ehttp *e, int64_t site_id,
    struct ehttp_token_key **out)
{
	struct ehttp_token_key *k = NULL;
	struct db_cert c;
	struct ca_blob key = { NULL, 0 };
	unsigned char *der = NULL;
	const char *master;
	struct ca *ca = ca_new();
	size_t dlen;
	int rc;

	*out = NULL;
	if ((rc = ehttp_token_signer(e, site_id, &c, &der, &dlen)) != 1)
		goto out;
	rc = -1;
	if (ehttp_serving_key(e, &c, &key, &master) != 1)
		goto out;
	k = xcalloc(1, sizeof *k);
	k->cert_id = c.id;
	if (ca_key_load(ca, key.data, key.len, master, &k->key) == -1 ||
	    ca_key_is_cert(ca, k->key, der, dlen) != 1 ||
	    ca_jwt_x5t(ca, der, dlen, &k->x5t) == -1) {
		ehttp_fail(e, "SMS Token Signing certificate %lld: %s",
		    (long long)c.id, *ca_error(ca) ? ca_error(ca) :
		    "the key is not the certificate's");
		goto out;
	}
	*out = k;
	k = NULL;
	rc = 1;
out:
	ehttp_token_key_close(k);
	ca_blob_free(&key);
	free(der);
	ca_free(ca);
	return rc;
}

int64_t
ehttp_token_key_cert(const struct ehttp_token_key *k)
{
	return k->cert_id;
}

int
ehttp_token_key_sign(struct ehttp *e, const struct ehttp_token_key *k,
    const char *claims, char **token)
{
	struct ca *ca = ca_new();
	int rc;

	if ((rc = ca_jwt_sign_key(ca, k->x5t, k->key, claims, token)) == -1)
		ehttp_fail(e, "SMS Token Signing certificate %lld: %s",
		    (long long)k->cert_id, ca_error(ca));
	ca_free(ca);
	return rc;
}

void
ehttp_token_key_close(struct ehttp_token_key *k)
{
	if (k == NULL)
		return;
	ca_key_free(k->key);
	free(k->x5t);
	free(k);
}

int
ehttp_token_sign(struct ehttp *e, int64_t site_id, const char *claims,
    char **token)
{
	struct ehttp_token_key *k;
	int rc;

	*token = NULL;
	if (ehttp_token_key_open(e, site_id, &k) != 1)
		return -1;
	rc = ehttp_token_key_sign(e, k, claims, token);
	ehttp_token_key_close(k);
	return rc;
}
