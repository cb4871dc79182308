/*
 * ca-check.c: certificates that come from elsewhere. An imported PKI
 * certificate must be fit to serve TLS for its site system; a leaf is
 * verified against its root as a TLS client would.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "ca-int.h"
#include "utf8.h"

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
	if ((bio = ca_pem_bio(ca, pem, len, what)) == NULL)
		goto out;
	/* "PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY", ... */
	if (!ca_contains(pem, len, "PRIVATE KEY-----")) {
		ca_seterr(ca, "%s: no private key found (no '-----BEGIN "
		    "PRIVATE KEY-----' block)", what);
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

/* ------------------------------------------------------------------ rules */

/*
 * Is there a character no name may hold in s[0..n) (UTF-8)? C0 controls,
 * DEL, C1 controls (U+0080-U+009F), bidirectional marks, embeddings,
 * overrides and isolates (U+061C, U+200E-U+200F, U+202A-U+202E,
 * U+2066-U+2069). Returns the code point, or 0 if the text is clean.
 */
static unsigned long
ca_bad_char(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t i = 0, len;

	while (i < n) {
		if ((len = utf8_next((const char *)s + i, n - i, &cp)) == 0)
			return 0xfffd;
		if (cp == 0)
			return 0x100000;
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
		    cp == 0x61c || cp == 0x200e || cp == 0x200f ||
		    (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069))
			return cp;
		i += len;
	}
	return 0;
}

/* 1 clean, 0 refused (why in ca), -1 error. */
static int
ca_name_clean(struct ca *ca, const X509_NAME *name, const char *what,
    const char *whose)
{
	X509_NAME_ENTRY *ne;
	unsigned char *utf8 = NULL;
	unsigned long cp;
	int i, n;

	for (i = 0; i < X509_NAME_entry_count(name); i++) {
		if ((ne = X509_NAME_get_entry(name, i)) == NULL ||
		    (n = ASN1_STRING_to_UTF8(&utf8,
		    X509_NAME_ENTRY_get_data(ne))) < 0) {
			ca_seterr(ca, "%s: the %s name cannot be read as text: "
			    "refused", whose, what);
			return 0;
		}
		cp = ca_bad_char(utf8, (size_t)n);
		OPENSSL_free(utf8);
		utf8 = NULL;
		if (cp == 0xfffd) {
			ca_seterr(ca, "%s: the %s name is not valid text: "
			    "refused", whose, what);
			return 0;
		}
		if (cp != 0) {
			ca_seterr(ca, "%s: the %s name contains the control "
			    "character U+%04lX: refused; names in PKI "
			    "certificates must be printable text", whose, what,
			    cp == 0x100000 ? 0UL : cp);
			return 0;
		}
	}
	return 1;
}

/* RSA >= 2048, EC P-256 or P-384. 1 yes, 0 no (why in ca). */
static int
ca_key_strong(struct ca *ca, X509 *x, const char *who)
{
	const EVP_PKEY *pk = X509_get0_pubkey(x);
	char group[80], *desc;
	int nid, ok = 0;

	if (pk == NULL) {
		ca_sslerr(ca, "certificate '%s': unusable public key", who);
		return 0;
	}
	if (EVP_PKEY_is_a(pk, "RSA"))
		ok = EVP_PKEY_get_bits(pk) >= 2048;
	else if (EVP_PKEY_is_a(pk, "EC") &&
	    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof group, NULL)) {
		if ((nid = OBJ_sn2nid(group)) == NID_undef)
			nid = OBJ_ln2nid(group);
		ok = nid == NID_X9_62_prime256v1 || nid == NID_secp384r1;
	}
	if (ok)
		return 1;
	ERR_clear_error();
	desc = ca_key_desc_dup(pk);
	ca_seterr(ca, "certificate '%s' has a weak key (%s): refused; PKI "
	    "certificates need RSA 2048 or larger, or EC P-256 or P-384", who,
	    desc);
	free(desc);
	return 0;
}

/* SHA-256 or stronger. 1 yes, 0 no (why in ca), -1 error. */
static int
ca_sig_strong(struct ca *ca, X509 *x, const char *who)
{
	int mdnid = NID_undef, pknid, secbits;
	uint32_t flags;
	const char *name;

	if (X509_get_signature_info(x, &mdnid, &pknid, &secbits,
	    &flags) != 1)
		mdnid = NID_undef;
	ERR_clear_error();
	switch (mdnid) {
	case NID_sha256: case NID_sha384: case NID_sha512:
	case NID_sha3_256: case NID_sha3_384: case NID_sha3_512:
		return 1;
	case NID_sha1:
		name = "SHA-1";
		break;
	case NID_md5:
		name = "MD5";
		break;
	case NID_md5_sha1:
		name = "MD5+SHA-1";
		break;
	case NID_undef:
		name = "an unknown hash";
		break;
	default:
		name = OBJ_nid2sn(mdnid);
	}
	ca_seterr(ca, "certificate '%s' is signed with %s: refused; PKI "
	    "certificates need SHA-256 or stronger", who, name);
	return 0;
}

/* Valid now: 1, 0 (why in ca), -1 unreadable times. */
static int
ca_valid_now(struct ca *ca, X509 *x, const char *who)
{
	char when[40];
	time_t t;
	int r;

	/* X509_cmp_time: -1 earlier than or equal to now, 1 later, 0 error. */
	if ((r = X509_cmp_time(X509_get0_notBefore(x), NULL)) == 0 ||
	    ca_asn1_time(X509_get0_notBefore(x), &t) == -1) {
		ca_sslerr(ca, "certificate '%s': its notBefore is unreadable",
		    who);
		return -1;
	}
	if (r > 0) {
		ca_time_str(t, when, sizeof when);
		ca_seterr(ca, "certificate '%s': the certificate is not valid "
		    "before %s", who, when);
		return 0;
	}
	if ((r = X509_cmp_time(X509_get0_notAfter(x), NULL)) == 0 ||
	    ca_asn1_time(X509_get0_notAfter(x), &t) == -1) {
		ca_sslerr(ca, "certificate '%s': its notAfter is unreadable",
		    who);
		return -1;
	}
	if (r < 0) {
		ca_time_str(t, when, sizeof when);
		ca_seterr(ca, "certificate '%s': the certificate expired on %s",
		    who, when);
		return 0;
	}
	return 1;
}

/* A name to put in messages (after ca_name_clean said it is clean). */
static void
ca_who(X509 *x, char *buf, size_t len)
{
	char *s = ca_name_str(X509_get_subject_name(x));

	snprintf(buf, len, "%.200s", *s != '\0' ? s : "(empty subject)");
	free(s);
}

static void
ca_lifetime_str(time_t secs, char *buf, size_t len)
{
	if (secs < 120)
		snprintf(buf, len, "%lld seconds", (long long)secs);
	else if (secs < 7200)
		snprintf(buf, len, "%lld minutes", (long long)secs / 60);
	else
		snprintf(buf, len, "%lld hours", (long long)secs / 3600);
}

/*
 * The rule set (ca.h). leaf, its key, the intermediates as given (may
 * hold roots and junk), fqdn, trusted roots (may be empty). On 1, *served
 * (if not NULL) is the chain to serve with the leaf, issuer first.
 */
static int
ca_pki_rules(struct ca *ca, X509 *leaf, EVP_PKEY *key, STACK_OF(X509) *given,
    const char *fqdn, STACK_OF(X509) *roots, STACK_OF(X509) **served,
    char *warning, size_t wlen)
{
	X509_STORE_CTX *ctx = NULL;
	X509_STORE *store = NULL;
	STACK_OF(X509) *out = NULL, *built;
	char who[256], cwho[256], span[40], *names = NULL, *cn = NULL;
	EVP_PKEY *pub;
	uint32_t flags;
	time_t nb, na;
	X509 *x;
	int rc = -1, r, i, err;

	if (warning != NULL && wlen > 0)
		warning[0] = '\0';
	if (served != NULL)
		*served = NULL;
	if ((out = sk_X509_new_null()) == NULL) {
		ca_sslerr(ca, "out of memory");
		goto out;
	}

	/* Names first: every later message quotes them. */
	if ((r = ca_name_clean(ca, X509_get_subject_name(leaf), "subject",
	    "the certificate")) != 1 ||
	    (r = ca_name_clean(ca, X509_get_issuer_name(leaf), "issuer",
	    "the certificate")) != 1) {
		rc = r;
		goto out;
	}
	for (i = 0; i < sk_X509_num(given); i++) {
		char nth[48];

		x = sk_X509_value(given, i);
		snprintf(nth, sizeof nth, "chain certificate %d", i + 1);
		if ((r = ca_name_clean(ca, X509_get_subject_name(x),
		    "subject", nth)) != 1 ||
		    (r = ca_name_clean(ca, X509_get_issuer_name(x), "issuer",
		    nth)) != 1) {
			rc = r;
			goto out;
		}
	}
	ca_who(leaf, who, sizeof who);

	if ((pub = X509_get0_pubkey(leaf)) == NULL) {
		ca_sslerr(ca, "certificate '%s': unusable public key", who);
		goto out;
	}
	/* EVP_PKEY_eq: 1 same, 0 different, -1 different types, -2 unsupported. */
	if ((r = EVP_PKEY_eq(pub, key)) != 1) {
		if (r == 0 || r == -1) {
			ca_seterr(ca, "the private key does not match the "
			    "certificate");
			rc = 0;
		} else
			ca_sslerr(ca, "cannot compare the private key with "
			    "the certificate");
		goto out;
	}
	rc = 0;
	flags = X509_get_extension_flags(leaf);
	if (flags & EXFLAG_INVALID) {
		ca_seterr(ca, "the certificate has invalid extensions");
		goto out;
	}
	r = X509_check_ca(leaf);
	if (r == 1 || r == 4 || r == 5) {
		ca_seterr(ca, "certificate '%s' is a CA certificate, not a "
		    "server certificate: refused", who);
		goto out;
	}
	if (X509_self_signed(leaf, 0) == 1) {
		ca_seterr(ca, "certificate '%s' is self-signed: refused; a PKI "
		    "certificate is issued by the enterprise CA", who);
		goto out;
	}
	ERR_clear_error();
	if ((flags & EXFLAG_XKUSAGE) &&
	    !(X509_get_extended_key_usage(leaf) & XKU_SSL_SERVER)) {
		ca_seterr(ca, "the certificate's extended key usage does not "
		    "include Server Authentication (1.3.6.1.5.5.7.3.1)");
		goto out;
	}
	if (X509_check_purpose(leaf, X509_PURPOSE_SSL_SERVER, 0) != 1) {
		ca_seterr(ca, "the certificate's key usage does not allow "
		    "TLS server authentication");
		goto out;
	}
	r = X509_check_host(leaf, fqdn, 0, 0, NULL);
	if (r != 1) {
		if (r < 0 && r != -2) {
			ca_sslerr(ca, "cannot check the certificate's names");
			rc = -1;
			goto out;
		}
		names = ca_san_str(leaf);
		cn = ca_name_cn(X509_get_subject_name(leaf));
		ca_seterr(ca, "the certificate is not for %.100s (CN=%.100s, "
		    "DNS names: %.200s)", fqdn, cn,
		    *names != '\0' ? names : "none");
		goto out;
	}
	if ((r = ca_valid_now(ca, leaf, who)) != 1) {
		rc = r;
		goto out;
	}
	if (ca_asn1_time(X509_get0_notBefore(leaf), &nb) == -1 ||
	    ca_asn1_time(X509_get0_notAfter(leaf), &na) == -1) {
		ca_sslerr(ca, "certificate '%s': unreadable validity", who);
		rc = -1;
		goto out;
	}
	if (na - nb < CA_PKI_MIN_LIFETIME) {
		ca_lifetime_str(na - nb, span, sizeof span);
		ca_seterr(ca, "certificate '%s' is valid for %s only: refused; "
		    "PKI certificates need a lifetime of at least 1 day", who,
		    span);
		goto out;
	}
	if (!ca_key_strong(ca, leaf, who) || !ca_sig_strong(ca, leaf, who))
		goto out;

	/* The intermediates: CA certificates, valid now, strong. */
	for (i = 0; i < sk_X509_num(given); i++) {
		x = sk_X509_value(given, i);
		ca_who(x, cwho, sizeof cwho);
		if (X509_check_ca(x) == 0) {
			ca_seterr(ca, "chain certificate '%s' is not a CA "
			    "certificate: refused; give the leaf first, then "
			    "its issuing CA certificates", cwho);
			goto out;
		}
		if (X509_self_signed(x, 0) == 1)
			continue;	/* a root: the client's, not served */
		ERR_clear_error();
		if ((r = ca_valid_now(ca, x, cwho)) != 1) {
			rc = r;
			goto out;
		}
		if (!ca_key_strong(ca, x, cwho) || !ca_sig_strong(ca, x, cwho))
			goto out;
		if (sk_X509_num(out) == CA_PKI_CHAIN_MAX) {
			ca_seterr(ca, "more than %d intermediate CA certificates:"
			    " refused", CA_PKI_CHAIN_MAX);
			goto out;
		}
		if (!sk_X509_push(out, x) || !X509_up_ref(x)) {
			ca_sslerr(ca, "out of memory");
			rc = -1;
			goto out;
		}
	}

	if (roots == NULL || sk_X509_num(roots) == 0) {
		if (warning != NULL)
			snprintf(warning, wlen, "the chain of '%s' was not "
			    "verified up to a trusted root CA: none is "
			    "configured", who);
		rc = 1;
		goto done;
	}
	if ((store = X509_STORE_new()) == NULL) {
		ca_sslerr(ca, "cannot set up verification");
		rc = -1;
		goto out;
	}
	for (i = 0; i < sk_X509_num(roots); i++)
		if (X509_STORE_add_cert(store, sk_X509_value(roots, i)) != 1) {
			ca_sslerr(ca, "cannot set up verification");
			rc = -1;
			goto out;
		}
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(ctx, store, leaf, given) != 1 ||
	    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER) != 1 ||
	    X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx), fqdn,
	    0) != 1) {
		ca_sslerr(ca, "cannot set up verification");
		rc = -1;
		goto out;
	}
	r = X509_verify_cert(ctx);
	if (r != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		if (r < 0 || err == X509_V_ERR_OUT_OF_MEM || err == X509_V_OK) {
			ca_sslerr(ca, "cannot verify the certificate chain");
			rc = -1;
			goto out;
		}
		ca_seterr(ca, "the chain of certificate '%s' does not reach a "
		    "trusted root CA of the site: %s (depth %d): refused", who,
		    X509_verify_cert_error_string(err),
		    X509_STORE_CTX_get_error_depth(ctx));
		goto out;
	}
	/* Serve the chain as verified: issuer first, without the anchor. */
	built = X509_STORE_CTX_get0_chain(ctx);
	sk_X509_pop_free(out, X509_free);
	if ((out = sk_X509_new_null()) == NULL) {
		ca_sslerr(ca, "out of memory");
		rc = -1;
		goto out;
	}
	for (i = 1; i < sk_X509_num(built) - 1; i++) {
		x = sk_X509_value(built, i);
		if (!sk_X509_push(out, x) || !X509_up_ref(x)) {
			ca_sslerr(ca, "out of memory");
			rc = -1;
			goto out;
		}
	}
	rc = 1;
done:
	if (served != NULL) {
		*served = out;
		out = NULL;
	}
out:
	ERR_clear_error();
	sk_X509_pop_free(out, X509_free);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	free(names);
	free(cn);
	return rc;
}

/* Every PEM certificate in pem[0..len) appended to sk (other blocks are
 * skipped); none at all is an error when want_one. */
static int
ca_pem_read_all(struct ca *ca, const char *pem, size_t len, const char *what,
    STACK_OF(X509) *sk, int want_one)
{
	BIO *bio = NULL;
	X509 *x;
	int n = 0, rc = -1;

	if ((bio = ca_pem_bio(ca, pem, len, what)) == NULL)
		return -1;
	for (;;) {
		if ((x = PEM_read_bio_X509(bio, NULL, ca_nopass_cb,
		    NULL)) == NULL) {
			if (ca_err_is_no_start_line()) {
				ERR_clear_error();
				break;
			}
			ca_sslerr(ca, "%s: certificate %d: malformed or "
			    "truncated PEM certificate", what, n + 1);
			goto out;
		}
		if (n == 64 || !sk_X509_push(sk, x)) {
			X509_free(x);
			ca_seterr(ca, "%s: too many certificates", what);
			goto out;
		}
		n++;
	}
	if (n == 0 && want_one) {
		ca_seterr(ca, "%s: no PEM certificate found (no '-----BEGIN "
		    "CERTIFICATE-----' line)", what);
		goto out;
	}
	rc = 0;
out:
	BIO_free(bio);
	return rc;
}

/* DER list -> certificates. */
static STACK_OF(X509) *
ca_der_stack(struct ca *ca, const struct ca_der *v, size_t n, const char *what)
{
	STACK_OF(X509) *sk;
	X509 *x;

	if ((sk = sk_X509_new_null()) == NULL) {
		ca_sslerr(ca, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if ((x = ca_x509_parse(ca, v[i].data, v[i].len, what)) == NULL)
			goto fail;
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			ca_sslerr(ca, "out of memory");
			goto fail;
		}
	}
	return sk;
fail:
	sk_X509_pop_free(sk, X509_free);
	return NULL;
}

int
ca_pki_import(struct ca *ca, const char *cert_pem, size_t cert_len,
    const char *key_pem, size_t key_len, const char *chain_pem,
    size_t chain_len, const char *fqdn, const struct ca_der *roots,
    size_t nroots, const char *master, struct ca_pki *out)
{
	STACK_OF(X509) *given = NULL, *trust = NULL, *served = NULL;
	struct ca_newkey nk = { 0 };
	X509 *x = NULL;
	int rc = -1;

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
	if ((given = sk_X509_new_null()) == NULL) {
		ca_sslerr(ca, "out of memory");
		goto out;
	}
	/* The certificate file: the leaf, then its intermediates. */
	if (ca_pem_read_all(ca, cert_pem, cert_len, "certificate", given,
	    1) == -1)
		goto out;
	X509_free(sk_X509_shift(given));
	if (chain_pem != NULL && ca_pem_read_all(ca, chain_pem, chain_len,
	    "chain", given, 1) == -1)
		goto out;
	if (key_pem == NULL) {
		key_pem = cert_pem;
		key_len = cert_len;
	}
	if ((nk.pk = ca_pem_read_key(ca, key_pem, key_len, "key")) == NULL)
		goto out;
	if ((trust = ca_der_stack(ca, roots, nroots, "trusted root")) == NULL)
		goto out;
	if (ca_pki_rules(ca, x, nk.pk, given, fqdn, trust, &served,
	    out->warning, sizeof out->warning) != 1)
		goto out;
	for (int i = 0; i < sk_X509_num(served); i++)
		if (ca_x509_der(ca, sk_X509_value(served, i),
		    &out->chain[out->nchain++]) == -1)
			goto out;
	if (ca_issued_fill(ca, x, &nk, master, NULL, &out->leaf) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		ca_pki_clear(out);
	sk_X509_pop_free(served, X509_free);
	sk_X509_pop_free(trust, X509_free);
	sk_X509_pop_free(given, X509_free);
	ca_newkey_free(&nk);
	X509_free(x);
	return rc;
}

int
ca_pki_check(struct ca *ca, const unsigned char *cert, size_t cert_len,
    const struct ca_der *chain, size_t nchain, const unsigned char *key,
    size_t key_len, const char *master, const char *fqdn,
    const struct ca_der *roots, size_t nroots, char *warning,
    size_t warning_len)
{
	STACK_OF(X509) *given = NULL, *trust = NULL;
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	int rc = -1;

	ca_begin(ca);
	if (warning != NULL && warning_len > 0)
		warning[0] = '\0';
	if (fqdn == NULL || *fqdn == '\0') {
		ca_seterr(ca, "no host name to check the certificate against");
		goto out;
	}
	if ((x = ca_x509_parse(ca, cert, cert_len, "certificate")) == NULL ||
	    (given = ca_der_stack(ca, chain, nchain, "chain")) == NULL ||
	    (trust = ca_der_stack(ca, roots, nroots, "trusted root")) == NULL ||
	    (pk = ca_key_decrypt(ca, key, key_len, master)) == NULL)
		goto out;
	rc = ca_pki_rules(ca, x, pk, given, fqdn, trust, NULL, warning,
	    warning_len);
out:
	EVP_PKEY_free(pk);
	sk_X509_pop_free(trust, X509_free);
	sk_X509_pop_free(given, X509_free);
	X509_free(x);
	return rc;
}

int
ca_trusted_root_load(struct ca *ca, const char *data, size_t len,
    struct ca_blob *der, struct ca_cert_info *info)
{
	STACK_OF(X509) *sk = NULL;
	char who[256];
	X509 *x = NULL;
	int rc = -1;

	ca_begin(ca);
	memset(der, 0, sizeof *der);
	memset(info, 0, sizeof *info);
	if (data == NULL || len == 0) {
		ca_seterr(ca, "empty file");
		goto out;
	}
	if (!ca_contains(data, len, "-----BEGIN")) {
		/* Not PEM: one DER certificate. */
		if ((x = ca_x509_parse(ca, (const unsigned char *)data, len,
		    "root")) == NULL)
			goto out;
	} else {
		if ((sk = sk_X509_new_null()) == NULL) {
			ca_sslerr(ca, "out of memory");
			goto out;
		}
		if (ca_pem_read_all(ca, data, len, "root", sk, 1) == -1)
			goto out;
		if (sk_X509_num(sk) > 1) {
			ca_seterr(ca, "the file holds %d certificates: add one "
			    "root CA at a time", sk_X509_num(sk));
			goto out;
		}
		x = sk_X509_shift(sk);
	}
	if (ca_name_clean(ca, X509_get_subject_name(x), "subject",
	    "the certificate") != 1 ||
	    ca_name_clean(ca, X509_get_issuer_name(x), "issuer",
	    "the certificate") != 1)
		goto out;
	ca_who(x, who, sizeof who);
	if (X509_check_ca(x) != 1) {
		ca_seterr(ca, "certificate '%s' is not a CA certificate "
		    "(basicConstraints CA:TRUE): refused as a trusted root CA",
		    who);
		goto out;
	}
	if (X509_self_signed(x, 1) != 1) {
		ca_seterr(ca, "certificate '%s' is not self-signed: it is not "
		    "a root CA (import intermediates with the PKI "
		    "certificate instead)", who);
		goto out;
	}
	ERR_clear_error();
	if (ca_valid_now(ca, x, who) != 1 || !ca_key_strong(ca, x, who))
		goto out;
	if (ca_x509_der(ca, x, der) == -1 ||
	    ca_info_fill(ca, x, NULL, der->data, der->len, info) == -1) {
		ca_blob_free(der);
		goto out;
	}
	rc = 0;
out:
	sk_X509_pop_free(sk, X509_free);
	X509_free(x);
	return rc;
}

int
ca_issuer_index(struct ca *ca, const unsigned char *der, size_t len,
    const struct ca_der *roots, size_t nroots)
{
	X509 *x = NULL, *r;
	int found = -1;

	ca_begin(ca);
	if ((x = ca_x509_parse(ca, der, len, "certificate")) == NULL)
		return -1;
	for (size_t i = 0; i < nroots && found == -1; i++) {
		if ((r = ca_x509_parse(ca, roots[i].data, roots[i].len,
		    "root")) == NULL)
			continue;
		if (X509_check_issued(r, x) == X509_V_OK &&
		    X509_verify(x, X509_get0_pubkey(r)) == 1)
			found = (int)i;
		X509_free(r);
	}
	ERR_clear_error();
	X509_free(x);
	return found;
}

int
ca_verify(struct ca *ca, const unsigned char *root, size_t root_len,
    const unsigned char *leaf, size_t leaf_len, const char *fqdn)
{
	struct ca_der anchor = { root, root_len };

	if (fqdn == NULL || *fqdn == '\0') {
		ca_begin(ca);
		ca_seterr(ca, "no host name to verify");
		return -1;
	}
	return ca_verify_chain(ca, &anchor, 1, NULL, 0, leaf, leaf_len, fqdn);
}

int
ca_verify_chain(struct ca *ca, const struct ca_der *anchors, size_t nanchors,
    const struct ca_der *chain, size_t nchain, const unsigned char *leaf,
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
	if ((store = X509_STORE_new()) == NULL) {
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
	if ((untrusted = ca_der_stack(ca, chain, nchain,
	    "chain certificate")) == NULL)
		goto out;
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

/* ------------------------------------------------------------------ clients */

/* Does the EKU extension of x list oid? 1 yes, 0 no (or no EKU). */
static int
ca_eku_has(EXTENDED_KEY_USAGE *eku, const char *oid)
{
	ASN1_OBJECT *want;
	int found = 0;

	if (eku == NULL || (want = OBJ_txt2obj(oid, 1)) == NULL)
		return 0;
	for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++)
		if (OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), want) == 0)
			found = 1;
	ASN1_OBJECT_free(want);
	return found;
}

/* The checks of ca_client_cert_check on a parsed certificate. */
static int
client_cert_x_check(struct ca *ca, X509 *x, time_t now)
{
	EXTENDED_KEY_USAGE *eku = NULL;
	char when[64];
	EVP_PKEY *pk;
	time_t nb, na;
	int crit = -1, rc = 0;

	if (ca_asn1_time(X509_get0_notBefore(x), &nb) == -1 ||
	    ca_asn1_time(X509_get0_notAfter(x), &na) == -1) {
		ca_seterr(ca, "client certificate: unreadable validity");
		goto out;
	}
	if (now < nb) {
		ca_time_str(nb, when, sizeof when);
		ca_seterr(ca, "client certificate: not valid before %s", when);
		goto out;
	}
	if (now > na) {
		ca_time_str(na, when, sizeof when);
		ca_seterr(ca, "client certificate: expired on %s", when);
		goto out;
	}
	if ((pk = X509_get0_pubkey(x)) == NULL) {
		ca_sslerr(ca, "client certificate: unusable public key");
		goto out;
	}
	if (!EVP_PKEY_is_a(pk, "RSA")) {
		ca_seterr(ca, "client certificate: key is not RSA");
		goto out;
	}
	if (EVP_PKEY_get_bits(pk) < 2048) {
		ca_seterr(ca, "client certificate: RSA key of %d bits, at least "
		    "2048 needed", EVP_PKEY_get_bits(pk));
		goto out;
	}
	eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
	if (eku == NULL && crit != -1) {
		ca_sslerr(ca, "client certificate: unreadable extended key "
		    "usage");
		goto out;
	}
	if (!ca_eku_has(eku, CA_EKU_SMS_ENCRYPTION) ||
	    !ca_eku_has(eku, CA_EKU_SMS_SIGNING)) {
		ca_seterr(ca, "client certificate: extended key usage lacks "
		    "SMS Encryption (" CA_EKU_SMS_ENCRYPTION ") or SMS Signing ("
		    CA_EKU_SMS_SIGNING ")");
		goto out;
	}
	rc = 1;
out:
	EXTENDED_KEY_USAGE_free(eku);
	return rc;
}

int
ca_client_cert_check(struct ca *ca, const unsigned char *der, size_t len,
    time_t now)
{
	X509 *x;
	int rc;

	ca_begin(ca);
	if ((x = ca_x509_parse(ca, der, len, "client certificate")) == NULL)
		return 0;		/* what the client sent: refused */
	rc = client_cert_x_check(ca, x, now);
	X509_free(x);
	return rc;
}

int
ca_client_request_check(struct ca *ca, const unsigned char *der, size_t len,
    time_t now, const unsigned char *data, size_t dlen,
    const unsigned char *sig, size_t siglen)
{
	X509 *x;
	int rc;

	ca_begin(ca);
	if ((x = ca_x509_parse(ca, der, len, "client certificate")) == NULL)
		return 0;
	if ((rc = client_cert_x_check(ca, x, now)) == 1)
		rc = ca_capi_verify_key(ca, X509_get0_pubkey(x), data, dlen, sig,
		    siglen);
	X509_free(x);
	return rc;
}
