/*
 * bench-token: the cost of verifying one CCM token (JWT RS256) the way the
 * management point does (ca_jwt_verify_key: split, base64url decoding of
 * header, claims and signature, the RSA verify with a key parsed once)
 * next to a bare OpenSSL loop doing only the RSA-SHA256 verify of the same
 * bytes with the same key, in the same run, interleaved in rounds so that
 * both see the same machine.
 *
 * usage: bench-token N
 * prints: n bare_us_per_token ours_us_per_token ratio(bare/ours speed)
 * where the ratio is ours' tokens per second over bare's: 1.00 is as fast
 * as bare OpenSSL, 0.90 is 10% slower.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "bench.h"
#include "ca.h"

#define ROUNDS	10

/* base64url without padding, as tokens carry it. */
static char *
b64u(const unsigned char *p, size_t n)
{
	char *s = malloc(4 * (n / 3 + 1) + 1);
	int len;

	if (s == NULL)
		bench_die("bench-token", "out of memory", NULL);
	len = EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	for (int i = 0; i < len; i++) {
		if (s[i] == '+')
			s[i] = '-';
		else if (s[i] == '/')
			s[i] = '_';
	}
	while (len > 0 && s[len - 1] == '=')
		len--;
	s[len] = '\0';
	return s;
}

/* A self-signed certificate for k, DER. */
static unsigned char *
self_signed(EVP_PKEY *k, int *len)
{
	X509 *x = X509_new();
	unsigned char *der = NULL;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"SMS Token Signing", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), -300);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	if (X509_sign(x, k, EVP_sha256()) <= 0)
		bench_die("bench-token", "cannot sign the certificate", NULL);
	*len = i2d_X509(x, &der);
	X509_free(x);
	return der;
}

static int
bare_verify(EVP_PKEY *k, const char *input, size_t len,
    const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	ok = md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL,
	    k) == 1 && EVP_DigestVerify(md, sig, siglen,
	    (const unsigned char *)input, len) == 1;
	EVP_MD_CTX_free(md);
	return ok;
}

int
main(int argc, char **argv)
{
	EVP_PKEY *k;
	EVP_MD_CTX *md;
	struct ca *ca = ca_new();
	struct ca_jwt_key *key;
	unsigned char *cert, sig[512];
	char hdr[128], *h, *c, *s, *input, *token, *hj, *cj;
	const char *claims;
	size_t siglen = sizeof sig;
	double bare = 0, ours = 0, t0;
	int n, certlen;

	if (argc != 2 || (n = atoi(argv[1])) < ROUNDS)
		bench_die("bench-token", "usage: bench-token N (N >= 10)", NULL);
	if ((k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)) == NULL)
		bench_die("bench-token", "cannot make a key", NULL);
	cert = self_signed(k, &certlen);
	if (ca_jwt_key_new(ca, cert, (size_t)certlen, &key) == -1)
		bench_die("bench-token", ca_error(ca), NULL);
	snprintf(hdr, sizeof hdr, "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"x5t\":\"%s\"}",
	    ca_jwt_key_x5t(key));
	claims = "{\"iss\":\"urn:sccm:oauth2:5b2c0a64-6d2f-4a55-9c1e-"
	    "2f0f1e6c7d01\",\"aud\":\"urn:sccm:service\",\"nbf\":1764896523,"
	    "\"exp\":1764925323,\"Type\":\"CCMToken\",\"UniqueId\":\"GUID:"
	    "8c1e7a52-0d4b-4f47-a0e2-6b9c3d1f5a10\",\"SiteCode\":\"P01\"}";
	hj = b64u((unsigned char *)hdr, strlen(hdr));
	cj = b64u((const unsigned char *)claims, strlen(claims));
	input = malloc(strlen(hj) + strlen(cj) + 2);
	sprintf(input, "%s.%s", hj, cj);
	if ((md = EVP_MD_CTX_new()) == NULL || EVP_DigestSignInit(md, NULL,
	    EVP_sha256(), NULL, k) != 1 || EVP_DigestSign(md, sig, &siglen,
	    (unsigned char *)input, strlen(input)) != 1)
		bench_die("bench-token", "cannot sign the token", NULL);
	EVP_MD_CTX_free(md);
	s = b64u(sig, siglen);
	token = malloc(strlen(input) + strlen(s) + 2);
	sprintf(token, "%s.%s", input, s);

	for (int r = 0; r < ROUNDS; r++) {
		t0 = bench_now_us();
		for (int i = 0; i < n / ROUNDS; i++)
			if (!bare_verify(k, input, strlen(input), sig, siglen))
				bench_die("bench-token", "bare verify failed", NULL);
		bare += bench_now_us() - t0;
		t0 = bench_now_us();
		for (int i = 0; i < n / ROUNDS; i++) {
			if (ca_jwt_verify_key(ca, key, token, strlen(token),
			    &h, &c) != 1)
				bench_die("bench-token", ca_error(ca), NULL);
			free(h);
			free(c);
		}
		ours += bench_now_us() - t0;
	}
	n = n / ROUNDS * ROUNDS;
	printf("%d %.2f %.2f %.3f\n", n, bare / n, ours / n, bare / ours);
	ca_jwt_key_free(key);
	ca_free(ca);
	EVP_PKEY_free(k);
	OPENSSL_free(cert);
	free(input);
	free(token);
	free(s);
	free(hj);
	free(cj);
	return 0;
}
