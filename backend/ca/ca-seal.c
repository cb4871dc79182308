/*
 * ca-seal.c: an agent's enrollment identity and the keys sealed to it
 * (ca.h, "Agents on other hosts"): CMS EnvelopedData, RSA-OAEP (SHA-256)
 * key transport, AES-256-CBC content encryption.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca-int.h"
#include "xmalloc.h"

/* A sealed key is a few kilobytes; anything much larger is not one. */
#define SEALED_MAX	(64 * 1024)
#define ENROLL_RSA_MIN	2048

struct ca_enroll {
	EVP_PKEY	*pk;
	X509		*x;
	struct ca_blob	 der;
};

int
ca_enroll_pem(struct ca *ca, const struct ca_issued *is, char **pem)
{
	char *key = NULL, *cert = NULL;
	int rc = -1;

	*pem = NULL;
	if (ca_key_to_pem(ca, is->key.data, is->key.len, ca_plain, &key) ==
	    -1 || ca_der_to_pem(ca, is->cert.data, is->cert.len, &cert) == -1)
		goto out;
	xasprintf(pem, "%s%s", key, cert);
	rc = 0;
out:
	if (key != NULL) {
		ca_cleanse(key, strlen(key));
		free(key);
	}
	free(cert);
	return rc;
}

struct ca_enroll *
ca_enroll_parse(struct ca *ca, const char *pem, size_t len)
{
	struct ca_enroll *en = xcalloc(1, sizeof *en);
	BIO *bio;

	ca_begin(ca);
	if ((bio = ca_pem_bio(ca, pem, len, "enrollment key file")) == NULL)
		goto fail;
	en->pk = PEM_read_bio_PrivateKey(bio, NULL, ca_nopass_cb, NULL);
	if (en->pk == NULL) {
		ca_sslerr(ca, "enrollment key file: no private key");
		goto fail;
	}
	if ((en->x = PEM_read_bio_X509(bio, NULL, ca_nopass_cb, NULL)) ==
	    NULL) {
		ca_sslerr(ca, "enrollment key file: no certificate after the"
		    " key");
		goto fail;
	}
	if (X509_check_private_key(en->x, en->pk) != 1) {
		ca_sslerr(ca, "enrollment key file: the key is not the"
		    " certificate's");
		goto fail;
	}
	if (ca_x509_der(ca, en->x, &en->der) == -1)
		goto fail;
	BIO_free(bio);
	return en;
fail:
	BIO_free(bio);
	ca_enroll_free(en);
	return NULL;
}

const struct ca_blob *
ca_enroll_cert(const struct ca_enroll *en)
{
	return &en->der;
}

void
ca_enroll_free(struct ca_enroll *en)
{
	if (en == NULL)
		return;
	EVP_PKEY_free(en->pk);
	X509_free(en->x);
	ca_blob_free(&en->der);
	free(en);
}

int
ca_enroll_check(struct ca *ca, const unsigned char *der, size_t len,
    time_t now)
{
	EVP_PKEY *pk;
	X509 *x;
	int rc = 0;

	ca_begin(ca);
	if ((x = ca_x509_parse(ca, der, len, "enrollment certificate")) ==
	    NULL)
		return -1;
	pk = X509_get0_pubkey(x);
	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA ||
	    EVP_PKEY_get_bits(pk) < ENROLL_RSA_MIN)
		ca_seterr(ca, "enrollment certificate: not an RSA key of at"
		    " least %d bits", ENROLL_RSA_MIN);
	else if (X509_check_ca(x) != 0)
		ca_seterr(ca, "enrollment certificate: a CA certificate");
	else if (X509_cmp_time(X509_get0_notBefore(x), &now) > 0 ||
	    X509_cmp_time(X509_get0_notAfter(x), &now) < 0)
		ca_seterr(ca, "enrollment certificate: not valid now");
	else
		rc = 1;
	X509_free(x);
	return rc;
}

/* OAEP with SHA-256 (and MGF1 SHA-256) for the recipient ri. */
static int
seal_oaep(struct ca *ca, CMS_RecipientInfo *ri)
{
	EVP_PKEY_CTX *pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);

	if (pctx == NULL ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0) {
		ca_sslerr(ca, "cannot set RSA-OAEP for the sealed key");
		return -1;
	}
	return 0;
}

int
ca_seal(struct ca *ca, const unsigned char *key, size_t klen,
    const char *master, const unsigned char *to, size_t tolen,
    struct ca_blob *out)
{
	const unsigned int fl = CMS_BINARY | CMS_PARTIAL | CMS_KEY_PARAM;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	CMS_ContentInfo *cms = NULL;
	CMS_RecipientInfo *ri;
	struct ca_blob plain = { NULL, 0 };
	EVP_PKEY *pk = NULL;
	BIO *in = NULL;
	X509 *x = NULL;
	int rc = -1;

	ca_begin(ca);
	memset(out, 0, sizeof *out);
	if ((pk = ca_key_decrypt(ca, key, klen, master)) == NULL ||
	    (x = ca_x509_parse(ca, to, tolen, "enrollment certificate")) ==
	    NULL)
		goto out;
	if ((p8 = EVP_PKEY2PKCS8(pk)) == NULL) {
		ca_sslerr(ca, "cannot convert the private key to PKCS#8");
		goto out;
	}
	if (ca_asn1_der(ca, p8, ASN1_ITEM_rptr(PKCS8_PRIV_KEY_INFO), &plain,
	    "private key") == -1)
		goto out;
	if ((in = BIO_new_mem_buf(plain.data, (int)plain.len)) == NULL ||
	    (cms = CMS_encrypt_ex(NULL, in, EVP_aes_256_cbc(), fl, NULL,
	    NULL)) == NULL ||
	    (ri = CMS_add1_recipient_cert(cms, x, fl)) == NULL) {
		ca_sslerr(ca, "cannot seal the private key");
		goto out;
	}
	if (seal_oaep(ca, ri) == -1)
		goto out;
	if (CMS_final(cms, in, NULL, CMS_BINARY) != 1) {
		ca_sslerr(ca, "cannot seal the private key");
		goto out;
	}
	rc = ca_asn1_der(ca, cms, ASN1_ITEM_rptr(CMS_ContentInfo), out,
	    "sealed key");
out:
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	ca_blob_free(&plain);
	PKCS8_PRIV_KEY_INFO_free(p8);
	X509_free(x);
	EVP_PKEY_free(pk);
	return rc;
}

int
ca_unseal(struct ca *ca, const struct ca_enroll *en, const unsigned char *der,
    size_t len, struct ca_blob *key)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = NULL;
	BIO *out = NULL;
	char *data;
	long n;
	int rc = -1;

	ca_begin(ca);
	memset(key, 0, sizeof *key);
	if (der == NULL || len == 0 || len > SEALED_MAX) {
		ca_seterr(ca, "sealed key: %zu bytes is not one", len);
		goto out;
	}
	if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL ||
	    p != der + len ||
	    OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_enveloped) {
		ca_sslerr(ca, "sealed key: not CMS EnvelopedData");
		goto out;
	}
	/* A secure-memory BIO: the key text is cleansed at its free. */
	if ((out = BIO_new(BIO_s_secmem())) == NULL ||
	    CMS_decrypt(cms, en->pk, en->x, NULL, out, CMS_BINARY) != 1) {
		ca_sslerr(ca, "sealed key: cannot open it with this agent's"
		    " enrollment key (sealed to another key?)");
		goto out;
	}
	if ((n = BIO_get_mem_data(out, &data)) <= 0 || n > SEALED_MAX) {
		ca_seterr(ca, "sealed key: empty");
		goto out;
	}
	key->data = xmalloc((size_t)n);
	memcpy(key->data, data, (size_t)n);
	key->len = (size_t)n;
	rc = 0;
out:
	BIO_free(out);
	CMS_ContentInfo_free(cms);
	return rc;
}
