/*
 * libFuzzer target: certificate and key input of the CA module
 * (backend/ca/): ca_pem_to_der, ca_cert_info and ca_cert_text on the DER
 * it gives and on the raw input, and ca_pki_import (what `ehttpctl cert
 * import-pki` does with the files' contents).
 *
 * Input: the certificate part, then optionally a NUL byte and the key part
 * (no NUL: the key is looked for in the certificate part, as import-pki
 * allows). Each part is copied to a buffer of its exact size so a read past
 * its end is caught.
 *
 * Checked beyond "no crash": PEM -> DER -> PEM -> DER gives the same DER;
 * a successful import gives a certificate and an encrypted key that belong
 * together and that decrypts to "PRIVATE KEY" PEM.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
	__FILE__, __LINE__, #x); abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char master[] =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

static void *
dup_exact(const uint8_t *p, size_t n)
{
	void *q = malloc(n ? n : 1);

	CHECK(q != NULL);
	if (n)
		memcpy(q, p, n);
	return q;
}

static void
describe(struct ca *ca, const unsigned char *der, size_t len)
{
	struct ca_cert_info ci;
	char *text = NULL;

	if (ca_cert_info(ca, der, len, &ci) == 0) {
		CHECK(ci.thumbprint != NULL && strlen(ci.thumbprint) == 40);
		CHECK(ci.subject != NULL && ci.issuer != NULL);
		ca_cert_info_clear(&ci);
	}
	if (ca_cert_text(ca, der, len, &text) == 0) {
		CHECK(text != NULL);
		CHECK(strstr(text, "PRIVATE KEY") == NULL);
	}
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = memchr(data, '\0', size);
	size_t clen = sep ? (size_t)(sep - data) : size;
	size_t klen = sep ? size - clen - 1 : 0;
	char *cert = dup_exact(data, clen), *key = NULL, *pem = NULL, *kpem = NULL;
	struct ca_blob der = { 0 }, der2 = { 0 };
	struct ca_pki is;
	struct ca *ca = ca_new();

	if (sep)
		key = dup_exact(sep + 1, klen);

	/* The DER as given (a .cer file) and the PEM's. */
	describe(ca, (const unsigned char *)cert, clen);
	if (ca_pem_to_der(ca, cert, clen, &der) == 0) {
		CHECK(der.data != NULL && der.len > 0);
		describe(ca, der.data, der.len);
		CHECK(ca_der_to_pem(ca, der.data, der.len, &pem) == 0);
		CHECK(ca_pem_to_der(ca, pem, strlen(pem), &der2) == 0);
		CHECK(der2.len == der.len &&
		    memcmp(der2.data, der.data, der.len) == 0);
	} else
		CHECK(ca_error(ca)[0] != '\0');

	memset(&is, 0, sizeof is);
	if (ca_pki_import(ca, cert, clen, key, klen, NULL, 0, "mp.contoso.com",
	    NULL, 0, master, &is) == 0) {
		CHECK(is.leaf.cert.len > 0 && is.leaf.key.len > 0);
		CHECK(ca_key_matches(ca, is.leaf.cert.data, is.leaf.cert.len,
		    is.leaf.key.data, is.leaf.key.len, master) == 1);
		CHECK(ca_key_to_pem(ca, is.leaf.key.data, is.leaf.key.len, master,
		    &kpem) == 0);
		CHECK(strstr(kpem, "PRIVATE KEY") != NULL);
		ca_cleanse(kpem, strlen(kpem));
		free(kpem);
	} else
		CHECK(ca_error(ca)[0] != '\0');
	ca_pki_clear(&is);

	ca_blob_free(&der);
	ca_blob_free(&der2);
	free(pem);
	free(cert);
	free(key);
	ca_free(ca);
	return 0;
}
