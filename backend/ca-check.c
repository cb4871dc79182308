/*
 * ca-check.c: certificates that come from elsewhere. An imported PKI
 * certificate must be fit to serve TLS for its site system; a leaf is
 * verified against its root as a TLS client would.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "ca-int.h"

/* Does needle occur in buf[0..len)? (memmem is not in C11 or POSIX.) */
static int
ca_contains(const char *buf, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (buf[i] == needle[0] && memcmp(buf + i, needle, n) == 0)
			return 1;
	return 0;
}

/* An unencrypted private key from PEM text. */
static EVP_PKEY *
ca_pem_read_key(struct ca *ca, const char *pem, size_t len, const char *what)
{
	EVP_PKEY *pk = NULL;
	BIO *bio = NULL;
	int asked = 0;

	if (pem == NULL || len == 0) {
		ca_seterr(ca, "%s: no private key given", what);
		goto out;
	}
	if (len > INT_MAX) {
		ca_seterr(ca, "%s: too large", what);
		goto out;
	}
	/* "PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY", ... */
	if (!ca_contains(pem, len, "PRIVATE KEY-----")) {
		ca_seterr(ca, "%s: no private key found (no '-----BEGIN "
		    "PRIVATE KEY-----' block)", what);
		goto out;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		ca_sslerr(ca, "%s", what);
		goto out;
	}
	pk = PEM_read_bio_PrivateKey(bio, NULL, ca_nopass_cb, &asked);
	if (pk != NULL)
		goto out;
	if (asked)
		ca_seterr(ca, "%s: the private key is encrypted with a "
		    "passphrase; import it unencrypted", what);
	else
		ca_sslerr(ca, "%s: malformed or truncated PEM private key", what);
out:
	BIO_free(bio);
	return pk;
}

int
ca_pki_import(struct ca *ca, const char *cert_pem, size_t cert_len,
    const char *key_pem, size_t key_len, const char *fqdn, const char *master,
    struct ca_issued *out)
{
	char when[40], *names = NULL, *cn = NULL;
	struct ca_newkey nk = { 0 };
	EVP_PKEY *pub;
	uint32_t flags;
	X509 *x = NULL;
	time_t t;
	int rc = -1, r;

	ca_begin(ca);
	memset(out, 0, sizeof *out);
	if (ca_master_check(ca, master) == -1)
		goto out;
	if (fqdn == NULL || *fqdn == '\0') {
		ca_seterr(ca, "no host name to check the certificate against");
		goto out;
	}
	if ((x = ca_pem_read_cert(ca, cert_pem, cert_len,
	    "certificate")) == NULL)
		goto out;
	if (key_pem == NULL) {
		key_pem = cert_pem;
		key_len = cert_len;
	}
	if ((nk.pk = ca_pem_read_key(ca, key_pem, key_len, "key")) == NULL)
		goto out;
	if ((pub = X509_get0_pubkey(x)) == NULL) {
		ca_sslerr(ca, "certificate: unusable public key");
		goto out;
	}
	/* EVP_PKEY_eq: 1 same, 0 different, -1 different types, -2 unsupported. */
	if ((r = EVP_PKEY_eq(pub, nk.pk)) != 1) {
		if (r == 0 || r == -1)
			ca_seterr(ca, "the private key does not match the "
			    "certificate");
		else
			ca_sslerr(ca, "cannot compare the private key with "
			    "the certificate");
		goto out;
	}

	flags = X509_get_extension_flags(x);
	if (flags & EXFLAG_INVALID) {
		ca_seterr(ca, "the certificate has invalid extensions");
		goto out;
	}
	r = X509_check_ca(x);
	if (r == 1 || r == 4 || r == 5) {
		ca_seterr(ca, "the certificate is a CA certificate, not a "
		    "server certificate");
		goto out;
	}
	if ((flags & EXFLAG_XKUSAGE) &&
	    !(X509_get_extended_key_usage(x) & XKU_SSL_SERVER)) {
		ca_seterr(ca, "the certificate's extended key usage does not "
		    "include Server Authentication (1.3.6.1.5.5.7.3.1)");
		goto out;
	}
	if (X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, 0) != 1) {
		ca_seterr(ca, "the certificate's key usage does not allow "
		    "TLS server authentication");
		goto out;
	}
	r = X509_check_host(x, fqdn, 0, 0, NULL);
	if (r != 1) {
		if (r < 0 && r != -2) {
			ca_sslerr(ca, "cannot check the certificate's names");
			goto out;
		}
		names = ca_san_str(x);
		cn = ca_name_cn(X509_get_subject_name(x));
		ca_seterr(ca, "the certificate is not for %.100s (CN=%.100s, "
		    "DNS names: %.200s)", fqdn, cn,
		    *names != '\0' ? names : "none");
		goto out;
	}
	/* X509_cmp_time: -1 earlier than or equal to now, 1 later, 0 error. */
	if ((r = X509_cmp_time(X509_get0_notBefore(x), NULL)) == 0 ||
	    ca_asn1_time(X509_get0_notBefore(x), &t) == -1) {
		ca_sslerr(ca, "the certificate's notBefore is unreadable");
		goto out;
	}
	if (r > 0) {
		ca_time_str(t, when, sizeof when);
		ca_seterr(ca, "the certificate is not valid before %s", when);
		goto out;
	}
	if ((r = X509_cmp_time(X509_get0_notAfter(x), NULL)) == 0 ||
	    ca_asn1_time(X509_get0_notAfter(x), &t) == -1) {
		ca_sslerr(ca, "the certificate's notAfter is unreadable");
		goto out;
	}
	if (r < 0) {
		ca_time_str(t, when, sizeof when);
		ca_seterr(ca, "the certificate expired on %s", when);
		goto out;
	}
	rc = ca_issued_fill(ca, x, &nk, master, NULL, out);
out:
	free(names);
	free(cn);
	ca_newkey_free(&nk);
	X509_free(x);
	return rc;
}

int
ca_verify(struct ca *ca, const unsigned char *root, size_t root_len,
    const unsigned char *leaf, size_t leaf_len, const char *fqdn)
{
	struct ca_blob anchor = { (unsigned char *)root, root_len };

	if (fqdn == NULL || *fqdn == '\0') {
		ca_begin(ca);
		ca_seterr(ca, "no host name to verify");
		return -1;
	}
	return ca_verify_chain(ca, &anchor, 1, NULL, 0, leaf, leaf_len, fqdn);
}

int
ca_verify_chain(struct ca *ca, const struct ca_blob *anchors, size_t nanchors,
    const struct ca_blob *chain, size_t nchain, const unsigned char *leaf,
    size_t leaf_len, const char *fqdn)
{
	X509_STORE_CTX *ctx = NULL;
	X509_VERIFY_PARAM *vp;
	X509_STORE *store = NULL;
	STACK_OF(X509) *untrusted = NULL;
	X509 *x = NULL, *lx = NULL;
	int rc = -1, r, err;

	ca_begin(ca);
	if ((lx = ca_x509_parse(ca, leaf, leaf_len, "certificate")) == NULL)
		goto out;
	if ((store = X509_STORE_new()) == NULL ||
	    (untrusted = sk_X509_new_null()) == NULL) {
		ca_sslerr(ca, "cannot set up verification");
		goto out;
	}
	for (size_t i = 0; i < nanchors; i++) {
		if ((x = ca_x509_parse(ca, anchors[i].data, anchors[i].len,
		    "trusted root")) == NULL)
			goto out;
		if (X509_STORE_add_cert(store, x) != 1) {
			ca_sslerr(ca, "cannot add a trusted root");
			goto out;
		}
		X509_free(x);
		x = NULL;
	}
	for (size_t i = 0; i < nchain; i++) {
		if ((x = ca_x509_parse(ca, chain[i].data, chain[i].len,
		    "chain certificate")) == NULL)
			goto out;
		if (sk_X509_push(untrusted, x) <= 0) {
			ca_sslerr(ca, "cannot set up verification");
			goto out;
		}
		x = NULL;
	}
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(ctx, store, lx, untrusted) != 1 ||
	    (fqdn != NULL && X509_STORE_CTX_set_purpose(ctx,
	    X509_PURPOSE_SSL_SERVER) != 1)) {
		ca_sslerr(ca, "cannot set up verification");
		goto out;
	}
	vp = X509_STORE_CTX_get0_param(ctx);
	if ((fqdn != NULL && X509_VERIFY_PARAM_set1_host(vp, fqdn, 0) != 1) ||
	    X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_X509_STRICT |
	    X509_V_FLAG_CHECK_SS_SIGNATURE) != 1) {
		ca_sslerr(ca, "cannot set up verification");
		goto out;
	}
	r = X509_verify_cert(ctx);
	if (r == 1) {
		rc = 1;
		goto out;
	}
	err = X509_STORE_CTX_get_error(ctx);
	if (r < 0 || err == X509_V_ERR_OUT_OF_MEM || err == X509_V_OK) {
		ca_sslerr(ca, "cannot verify certificate");
		goto out;
	}
	if (fqdn != NULL)
		ca_seterr(ca, "certificate for %.100s does not verify: %s"
		    " (depth %d)", fqdn, X509_verify_cert_error_string(err),
		    X509_STORE_CTX_get_error_depth(ctx));
	else
		ca_seterr(ca, "certificate does not verify: %s (depth %d)",
		    X509_verify_cert_error_string(err),
		    X509_STORE_CTX_get_error_depth(ctx));
	rc = 0;
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(x);
	X509_free(lx);
	return rc;
}
