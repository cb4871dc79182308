/*
 * ca-hash: a certificate's thumbprint (SHA-1 of its DER) and fingerprint
 * (SHA-256), in upper-case hex as Windows shows them: computed here only.
 * And SHA-256 over a stream, for the content library (a file's name there
 * is its SHA-256, read in pieces: never a whole file in memory).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "ca-int.h"
#include "hex.h"

struct ca_sha256 {
	EVP_MD_CTX	*md;
};

int
ca_digest_hex(const EVP_MD *md, const unsigned char *der, size_t len,
    char *out, size_t outsz)
{
	unsigned char v[EVP_MAX_MD_SIZE];
	unsigned int n;

	if (!EVP_Digest(der, len, v, &n, md, NULL) || 2 * (size_t)n >= outsz)
		return -1;
	hex_encode_upper(v, n, out);
	return 0;
}

/* ca_digest_hex() for the public calls: what names the digest in the
 * error. */
static int
digest_said(struct ca *ca, const EVP_MD *md, const char *what,
    const unsigned char *der, size_t len, char *out, size_t outsz)
{
	ca_begin(ca);
	if (ca_digest_hex(md, der, len, out, outsz) == -1) {
		ca_sslerr(ca, "cannot compute %s", what);
		return -1;
	}
	return 0;
}

int
ca_thumbprint(struct ca *ca, const unsigned char *der, size_t len,
    char out[41])
{
	return digest_said(ca, EVP_sha1(), "a SHA-1 thumbprint", der, len, out,
	    41);
}

int
ca_fingerprint(struct ca *ca, const unsigned char *der, size_t len,
    char out[65])
{
	return digest_said(ca, EVP_sha256(), "a SHA-256 fingerprint", der, len,
	    out, 65);
}

struct ca_sha256 *
ca_sha256_new(struct ca *ca)
{
	struct ca_sha256 *h = xcalloc(1, sizeof *h);

	ca_begin(ca);
	if ((h->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1) {
		ca_sslerr(ca, "cannot start SHA-256");
		ca_sha256_free(h);
		return NULL;
	}
	return h;
}

int
ca_sha256_update(struct ca *ca, struct ca_sha256 *h, const void *data,
    size_t len)
{
	if (EVP_DigestUpdate(h->md, data, len) != 1) {
		ca_sslerr(ca, "SHA-256 of %zu bytes failed", len);
		return -1;
	}
	return 0;
}

int
ca_sha256_final(struct ca *ca, struct ca_sha256 *h, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(h->md, md, &n) != 1 || n != 32) {
		ca_sslerr(ca, "cannot finish SHA-256");
		return -1;
	}
	hex_encode(md, n, out);
	return 0;
}

void
ca_sha256_free(struct ca_sha256 *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->md);
	free(h);
}
