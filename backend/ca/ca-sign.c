/*
 * ca-sign.c: the signatures of client messages (CryptoAPI's reversed RSA
 * PKCS#1 v1.5 SHA-256) and the site's tokens (JWT RS256, base64url).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "ca-int.h"

/* ------------------------------------------------------------------ base64url */

static const char ca_b64u[] = CA_B64U_CHARS;

/* base64url of n bytes, no padding, appended at out (room: 4n/3 + 4). */
static size_t
ca_b64u_enc(const unsigned char *p, size_t n, char *out)
{
	size_t o = 0, i;
	uint32_t v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = ca_b64u[v >> 18];
		out[o++] = ca_b64u[v >> 12 & 63];
		out[o++] = ca_b64u[v >> 6 & 63];
		out[o++] = ca_b64u[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)p[i] << 16;
		out[o++] = ca_b64u[v >> 18];
		out[o++] = ca_b64u[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = ca_b64u[v >> 18];
		out[o++] = ca_b64u[v >> 12 & 63];
		out[o++] = ca_b64u[v >> 6 & 63];
	}
	out[o] = '\0';
	return o;
}

int
ca_random_b64u(struct ca *ca, size_t n, char *out, size_t len)
{
	unsigned char *r;
	int rc = -1;

	if (len < n / 3 * 4 + 4) {
		ca_seterr(ca, "random token: no room");
		return -1;
	}
	r = xmalloc(n ? n : 1);
	if (RAND_bytes(r, (int)n) <= 0)
		ca_seterr(ca, "random token: no randomness");
	else {
		ca_b64u_enc(r, n, out);
		rc = 0;
	}
	explicit_bzero(r, n);
	free(r);
	return rc;
}

static char *
ca_b64u_dup(const unsigned char *p, size_t n)
{
	char *s = xmalloc(n / 3 * 4 + 5);

	ca_b64u_enc(p, n, s);
	return s;
}

/*
 * Strict base64url (RFC 7515 section 2: no padding, no other character;
 * the unused low bits of the last character must be zero) to bytes;
 * *out malloc'ed with a NUL after its len bytes. 0 or -1.
 */
/* The value of one base64url character, or -1 (NUL and '=' included). */
static int
ca_b64u_val(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '-')
		return 62;
	if (ch == '_')
		return 63;
	return -1;
}

static int
ca_b64u_dec(const char *s, size_t n, unsigned char **out, size_t *len)
{
	unsigned char *p;
	uint32_t v = 0;
	size_t o = 0;
	int bits = 0, c;

	*out = NULL;
	if (n % 4 == 1)
		return -1;
	p = xmalloc(n / 4 * 3 + 4);
	for (size_t i = 0; i < n; i++) {
		if ((c = ca_b64u_val((unsigned char)s[i])) == -1)
			goto bad;
		v = v << 6 | (uint32_t)c;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			p[o++] = (unsigned char)(v >> bits);
			v &= (1u << bits) - 1;
		}
	}
	if (v != 0)
		goto bad;
	p[o] = '\0';
	*out = p;
	*len = o;
	return 0;
bad:
	free(p);
	return -1;
}

/* ------------------------------------------------------------------ RSA */

static void
ca_reverse(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		unsigned char t = p[i];

		p[i] = p[n - 1 - i];
		p[n - 1 - i] = t;
	}
}

/* RSA PKCS#1 v1.5 SHA-256 of data with pk into *sig (big-endian). */
static int
ca_rsa_sign(struct ca *ca, EVP_PKEY *pk, const unsigned char *data,
    size_t len, struct ca_blob *sig)
{
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx;
	size_t n = 0;
	int rc = -1;

	memset(sig, 0, sizeof *sig);
	if (!EVP_PKEY_is_a(pk, "RSA")) {
		ca_seterr(ca, "signing key is not RSA");
		goto out;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, pk) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_DigestSign(md, NULL, &n, data, len) != 1) {
		ca_sslerr(ca, "cannot start an RSA SHA-256 signature");
		goto out;
	}
	sig->data = xmalloc(n);
	if (EVP_DigestSign(md, sig->data, &n, data, len) != 1) {
		ca_sslerr(ca, "cannot sign");
		ca_blob_free(sig);
		goto out;
	}
	sig->len = n;
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

static int	ca_rsa_verify_rsa(struct ca *, EVP_PKEY *,
		    const unsigned char *, size_t, const unsigned char *, size_t,
		    const char *);

/* 1 good, 0 does not verify, -1 error; sig big-endian. */
static int
ca_rsa_verify(struct ca *ca, EVP_PKEY *pk, const unsigned char *data,
    size_t len, const unsigned char *sig, size_t siglen, const char *what)
{
	if (!EVP_PKEY_is_a(pk, "RSA")) {
		ca_seterr(ca, "%s: the certificate's key is not RSA", what);
		return 0;
	}
	return ca_rsa_verify_rsa(ca, pk, data, len, sig, siglen, what);
}

/* The same for a key known to be RSA (PKCS#1 v1.5 padding, the default of
 * an RSA key; an RSA-PSS key is not "RSA"). */
static int
ca_rsa_verify_rsa(struct ca *ca, EVP_PKEY *pk, const unsigned char *data,
    size_t len, const unsigned char *sig, size_t siglen, const char *what)
{
	EVP_MD_CTX *md = NULL;
	int r, rc = -1;

	if (siglen != (size_t)EVP_PKEY_get_size(pk)) {
		ca_seterr(ca, "%s: signature of %zu bytes, the key's are %d",
		    what, siglen, EVP_PKEY_get_size(pk));
		return 0;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) != 1) {
		ca_sslerr(ca, "%s: cannot start verification", what);
		goto out;
	}
	/* 1 good; 0 or (for a damaged signature) negative: it does not. */
	r = EVP_DigestVerify(md, sig, siglen, data, len);
	if (r == 1)
		rc = 1;
	else {
		ca_seterr(ca, "%s: signature does not verify with the "
		    "certificate's key", what);
		rc = 0;
	}
out:
	EVP_MD_CTX_free(md);
	return rc;
}

/* The public key of a DER certificate (X509 kept in *xp for its life). */
static EVP_PKEY *
ca_cert_pubkey(struct ca *ca, const unsigned char *cert, size_t len,
    X509 **xp, const char *what)
{
	EVP_PKEY *pk;

	if ((*xp = ca_x509_parse(ca, cert, len, what)) == NULL)
		return NULL;
	if ((pk = X509_get0_pubkey(*xp)) == NULL)
		ca_sslerr(ca, "%s: unusable public key", what);
	return pk;
}

int
ca_capi_sign(struct ca *ca, const unsigned char *key, size_t keylen,
    const char *master, const unsigned char *data, size_t len,
    struct ca_blob *sig)
{
	struct ca_key *k;
	int rc = -1;

	memset(sig, 0, sizeof *sig);
	if (ca_key_load(ca, key, keylen, master, &k) == 0) {
		rc = ca_capi_sign_key(ca, k, data, len, sig);
		ca_key_free(k);
	}
	return rc;
}

int
ca_key_load(struct ca *ca, const unsigned char *key, size_t keylen,
    const char *master, struct ca_key **out)
{
	EVP_PKEY *pk;

	ca_begin(ca);
	*out = NULL;
	if ((pk = ca_key_decrypt(ca, key, keylen, master)) == NULL)
		return -1;
	*out = xmalloc(sizeof **out);
	(*out)->pk = pk;
	return 0;
}

int
ca_capi_sign_key(struct ca *ca, const struct ca_key *k,
    const unsigned char *data, size_t len, struct ca_blob *sig)
{
	ca_begin(ca);
	memset(sig, 0, sizeof *sig);
	if (ca_rsa_sign(ca, k->pk, data, len, sig) == -1)
		return -1;
	ca_reverse(sig->data, sig->len);
	return 0;
}

void
ca_key_free(struct ca_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pk);
	free(k);
}

int
ca_capi_verify_key(struct ca *ca, EVP_PKEY *pk, const unsigned char *data,
    size_t len, const unsigned char *sig, size_t siglen)
{
	unsigned char *be;
	int rc;

	be = xmalloc(siglen ? siglen : 1);
	if (siglen)
		memcpy(be, sig, siglen);
	ca_reverse(be, siglen);
	rc = ca_rsa_verify(ca, pk, data, len, be, siglen, "message signature");
	free(be);
	return rc;
}

int
ca_capi_verify(struct ca *ca, const unsigned char *cert, size_t certlen,
    const unsigned char *data, size_t len, const unsigned char *sig,
    size_t siglen)
{
	EVP_PKEY *pk;
	X509 *x = NULL;
	int rc = -1;

	ca_begin(ca);
	if ((pk = ca_cert_pubkey(ca, cert, certlen, &x,
	    "signing certificate")) != NULL)
		rc = ca_capi_verify_key(ca, pk, data, len, sig, siglen);
	X509_free(x);
	return rc;
}

int
ca_cert_spki(struct ca *ca, const unsigned char *cert, size_t len,
    struct ca_blob *out)
{
	unsigned char *p = NULL;
	EVP_PKEY *pk;
	X509 *x = NULL;
	int n;

	ca_begin(ca);
	memset(out, 0, sizeof *out);
	if ((pk = ca_cert_pubkey(ca, cert, len, &x, "certificate")) == NULL)
		return -1;
	if ((n = i2d_PUBKEY(pk, &p)) <= 0) {
		X509_free(x);
		ca_sslerr(ca, "cannot encode the certificate's public key");
		return -1;
	}
	out->data = xmalloc((size_t)n);
	memcpy(out->data, p, (size_t)n);
	out->len = (size_t)n;
	OPENSSL_free(p);
	X509_free(x);
	return 0;
}

/* ------------------------------------------------------------------ JWT */

/* base64url of a digest of DER bytes (x5t, x5t#S256). */
static int
ca_b64u_digest(struct ca *ca, const unsigned char *der, size_t len,
    const EVP_MD *md, const char *what, char **out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen;

	*out = NULL;
	if (der == NULL || len == 0) {
		ca_seterr(ca, "%s: empty", what);
		return -1;
	}
	if (!EVP_Digest(der, len, d, &dlen, md, NULL)) {
		ca_sslerr(ca, "%s: cannot compute its digest", what);
		return -1;
	}
	*out = ca_b64u_dup(d, dlen);
	return 0;
}

int
ca_jwt_x5t(struct ca *ca, const unsigned char *cert, size_t len, char **x5t)
{
	return ca_b64u_digest(ca, cert, len, EVP_sha1(), "token certificate",
	    x5t);
}

int
ca_x5t_s256(struct ca *ca, const unsigned char *cert, size_t len, char **x5t)
{
	return ca_b64u_digest(ca, cert, len, EVP_sha256(), "certificate", x5t);
}

int
ca_jwt_sign(struct ca *ca, const unsigned char *cert, size_t certlen,
    const unsigned char *key, size_t keylen, const char *master,
    const char *claims, char **token)
{
	struct ca_key *k = NULL;
	char *x5t = NULL;
	int rc = -1, r;

	ca_begin(ca);
	*token = NULL;
	if (ca_key_load(ca, key, keylen, master, &k) == -1)
		goto out;
	if ((r = ca_key_is_cert(ca, k, cert, certlen)) != 1) {
		if (r == 0)
			ca_seterr(ca, "token: the key is not the signing "
			    "certificate's");
		goto out;
	}
	if (ca_jwt_x5t(ca, cert, certlen, &x5t) == 0)
		rc = ca_jwt_sign_key(ca, x5t, k, claims, token);
out:
	ca_key_free(k);
	free(x5t);
	return rc;
}

int
ca_jwt_sign_key(struct ca *ca, const char *x5t, const struct ca_key *k,
    const char *claims, char **token)
{
	char *hdr = NULL, *h = NULL, *p = NULL, *s = NULL, *input = NULL;
	struct ca_blob sig = { 0 };
	int rc = -1;

	ca_begin(ca);
	*token = NULL;
	if (claims == NULL || *claims == '\0') {
		ca_seterr(ca, "token: no claims");
		return -1;
	}
	xasprintf(&hdr, "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"x5t\":\"%s\"}",
	    x5t);
	h = ca_b64u_dup((const unsigned char *)hdr, strlen(hdr));
	p = ca_b64u_dup((const unsigned char *)claims, strlen(claims));
	xasprintf(&input, "%s.%s", h, p);
	if (ca_rsa_sign(ca, k->pk, (const unsigned char *)input, strlen(input),
	    &sig) == -1)
		goto out;
	s = ca_b64u_dup(sig.data, sig.len);
	xasprintf(token, "%s.%s", input, s);
	rc = 0;
out:
	ca_blob_free(&sig);
	free(hdr);
	free(h);
	free(p);
	free(s);
	free(input);
	return rc;
}

/* Decoded JSON text of a part: no NUL inside it. */
static int
ca_jwt_part(struct ca *ca, const char *s, size_t n, const char *what,
    char **out)
{
	unsigned char *p;
	size_t len;

	if (ca_b64u_dec(s, n, &p, &len) == -1) {
		ca_seterr(ca, "token: %s is not base64url", what);
		return -1;
	}
	if (len == 0 || memchr(p, '\0', len) != NULL) {
		free(p);
		ca_seterr(ca, "token: %s is empty or holds a NUL", what);
		return -1;
	}
	*out = (char *)p;
	return 0;
}

/* The public key and x5t of a token signing certificate, parsed once. */
struct ca_jwt_key {
	EVP_PKEY	*pk;
	char		*x5t;
};

int
ca_jwt_key_new(struct ca *ca, const unsigned char *cert, size_t len,
    struct ca_jwt_key **out)
{
	struct ca_jwt_key *k;
	EVP_PKEY *pk;
	X509 *x = NULL;

	ca_begin(ca);
	*out = NULL;
	if ((pk = ca_cert_pubkey(ca, cert, len, &x,
	    "token signing certificate")) == NULL)
		return -1;
	if (!EVP_PKEY_is_a(pk, "RSA")) {
		ca_seterr(ca, "token signing certificate: its key is not RSA");
		X509_free(x);
		return -1;
	}
	k = xcalloc(1, sizeof *k);
	if (ca_jwt_x5t(ca, cert, len, &k->x5t) == -1) {
		X509_free(x);
		free(k);
		return -1;
	}
	if (!EVP_PKEY_up_ref(pk)) {
		ca_sslerr(ca, "token signing certificate: cannot hold its key");
		X509_free(x);
		free(k->x5t);
		free(k);
		return -1;
	}
	k->pk = pk;
	X509_free(x);
	*out = k;
	return 0;
}

const char *
ca_jwt_key_x5t(const struct ca_jwt_key *k)
{
	return k->x5t;
}

void
ca_jwt_key_free(struct ca_jwt_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pk);
	free(k->x5t);
	free(k);
}

int
ca_jwt_verify_key(struct ca *ca, const struct ca_jwt_key *k,
    const char *token, size_t len, char **header, char **claims)
{
	const char *d1, *d2;
	unsigned char *sig = NULL;
	char *h = NULL, *c = NULL;
	size_t siglen;
	int rc = 0;

	ca_begin(ca);
	*header = *claims = NULL;
	if (len > CA_JWT_MAX) {
		ca_seterr(ca, "token: longer than %d bytes", CA_JWT_MAX);
		return 0;
	}
	if ((d1 = memchr(token, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token))) ==
	    NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)) !=
	    NULL) {
		ca_seterr(ca, "token: not three parts separated by '.'");
		return 0;
	}
	if (ca_jwt_part(ca, token, (size_t)(d1 - token), "header", &h) == -1 ||
	    ca_jwt_part(ca, d1 + 1, (size_t)(d2 - d1 - 1), "claims", &c) == -1)
		goto out;
	if (ca_b64u_dec(d2 + 1, len - (size_t)(d2 + 1 - token), &sig,
	    &siglen) == -1) {
		ca_seterr(ca, "token: signature is not base64url");
		goto out;
	}
	rc = ca_rsa_verify_rsa(ca, k->pk, (const unsigned char *)token,
	    (size_t)(d2 - token), sig, siglen, "token");
	if (rc == 1) {
		*header = h;
		*claims = c;
		h = c = NULL;
	}
out:
	free(sig);
	free(h);
	free(c);
	return rc;
}

int
ca_jwt_header(struct ca *ca, const char *token, size_t len, char **header)
{
	const char *d1;

	ca_begin(ca);
	*header = NULL;
	if (len > CA_JWT_MAX) {
		ca_seterr(ca, "token: longer than %d bytes", CA_JWT_MAX);
		return -1;
	}
	if ((d1 = memchr(token, '.', len)) == NULL) {
		ca_seterr(ca, "token: not three parts separated by '.'");
		return -1;
	}
	return ca_jwt_part(ca, token, (size_t)(d1 - token), "header", header);
}

int
ca_jwt_verify(struct ca *ca, const char *token, size_t len,
    const unsigned char *cert, size_t certlen, char **header, char **claims)
{
	struct ca_jwt_key *k;
	int rc;

	*header = *claims = NULL;
	if (ca_jwt_key_new(ca, cert, certlen, &k) == -1)
		return -1;
	rc = ca_jwt_verify_key(ca, k, token, len, header, claims);
	ca_jwt_key_free(k);
	return rc;
}
