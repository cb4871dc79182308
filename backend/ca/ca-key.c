/*
 * ca-key.c: private keys. Generation, the certificate's public key, and
 * storage as encrypted PKCS#8 (PBES2: PBKDF2-HMAC-SHA256, AES-256-CBC)
 * under the master key; decryption, export, key/certificate matching.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "ca-int.h"

/*
 * PBKDF2 iteration count for the PKCS#8 encryption of private keys.
 *
 * The passphrase is the master key: 256 bits from the CSPRNG, not something
 * a person chose, so key stretching adds nothing (nobody can search 2^256
 * passphrases however cheap each try is). OpenSSL's default,
 * PKCS5_DEFAULT_ITER = 2048 rounds of HMAC-SHA256, would cost more than
 * making an EC P-256 key and signing its certificate together; one round
 * keeps the encryption to microseconds. PKCS5_pbe2_set_iv_ex() takes any
 * iter >= 1 (<= 0 means the default); in OpenSSL 3.0 neither
 * PEM_write_bio_PKCS8PrivateKey() nor OSSL_ENCODER can set it. Salt
 * (16 bytes) and IV stay random per key, and the result is standard PBES2
 * that `openssl pkcs8 -inform DER -passin file:MASTER` reads.
 */
#define CA_PBKDF2_ITER	1

/*
 * Fast paths. OpenSSL 3.0 converts keys to and from DER through
 * OSSL_ENCODER/OSSL_DECODER, and setting those up (a search of every
 * provider's encoders, under locks) costs several times an EC P-256 key
 * generation. For the key we make by the thousand, P-256, we lay out the
 * two fixed-shape structures ourselves: the SubjectPublicKeyInfo and the
 * PKCS#8 PrivateKeyInfo. tests/check_ca.c checks the result byte for byte
 * against what OpenSSL writes. Other keys take OpenSSL's general path.
 */

/*
 * PKCS#8 PrivateKeyInfo (RFC 5208) holding an RFC 5915 ECPrivateKey for
 * P-256, laid out as OpenSSL writes it: the curve in the
 * AlgorithmIdentifier only, the public key included.
 */
static const unsigned char ca_p256_p8_head[] = {
	0x30, 0x81, 0x87,			/* PrivateKeyInfo, 135 */
	0x02, 0x01, 0x00,			/*   version 0 */
	0x30, 0x13,				/*   AlgorithmIdentifier */
	0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, /* ecPublicKey */
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, /* P-256 */
	0x04, 0x6d,				/*   privateKey OCTET STRING, 109 */
	0x30, 0x6b,				/*     ECPrivateKey, 107 */
	0x02, 0x01, 0x01,			/*       version 1 */
	0x04, 0x20,				/*       privateKey, 32 */
};
static const unsigned char ca_p256_p8_mid[] = {
	0xa1, 0x44, 0x03, 0x42, 0x00,		/*       [1] publicKey BIT STRING */
};
#define CA_P256_P8_LEN \
	(sizeof ca_p256_p8_head + 32 + sizeof ca_p256_p8_mid + CA_P256_POINT_LEN)

int
ca_keygen(struct ca *ca, enum ca_keyalg alg, struct ca_newkey *nk)
{
	size_t len = 0;

	memset(nk, 0, sizeof *nk);
	switch (alg) {
	case CA_KEY_RSA2048:
		nk->pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case CA_KEY_RSA3072:
		nk->pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
		break;
	case CA_KEY_EC_P256:
		nk->pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	default:
		ca_seterr(ca, "unknown key algorithm %d", (int)alg);
		return -1;
	}
	if (nk->pk == NULL) {
		ca_sslerr(ca, "cannot generate %s key", ca_keyalg_name(alg));
		return -1;
	}
	if (alg == CA_KEY_EC_P256) {
		/* Uncompressed point: OpenSSL's default conversion form. */
		if (!EVP_PKEY_get_octet_string_param(nk->pk,
		    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, nk->pt, sizeof nk->pt,
		    &len) || len != sizeof nk->pt || nk->pt[0] != 0x04) {
			ca_sslerr(ca, "cannot read EC public key");
			ca_newkey_free(nk);
			return -1;
		}
		nk->p256 = 1;
	}
	return 0;
}

/*
 * An RSA 2048 key for a client's self-signed certificate, made from two
 * primes of BN_generate_prime_ex2 (random 1024-bit candidates with the
 * top two bits set, a sieve, Miller-Rabin as OpenSSL chooses for the
 * size: 64 rounds) and put together here: n = pq, e = 65537, d = e^-1
 * mod lcm(p-1, q-1), the CRT values; |p - q| > 2^924, gcd(e, p-1) =
 * gcd(e, q-1) = 1. OpenSSL 3.0's own RSA key generation builds the primes
 * the FIPS 186-4 way (auxiliary primes), which costs twice as much; a
 * client's key protects nothing that the FIPS construction would protect
 * better, and a load run makes thousands of them. The key is checked
 * (EVP_PKEY_pairwise_check) before use. 0, or -1.
 */
int
ca_keygen_rsa_client(struct ca *ca, struct ca_newkey *nk)
{
	BN_CTX *bc = BN_CTX_secure_new();
	BIGNUM *p, *q, *n, *e, *d, *p1, *q1, *l, *g, *dp, *dq, *qi, *t;
	OSSL_PARAM_BLD *b = NULL;
	OSSL_PARAM *prm = NULL;
	EVP_PKEY_CTX *kc = NULL;
	int rc = -1, tries = 0;

	memset(nk, 0, sizeof *nk);
	if (bc == NULL)
		abort();
	BN_CTX_start(bc);
	p = BN_CTX_get(bc); q = BN_CTX_get(bc); n = BN_CTX_get(bc);
	e = BN_CTX_get(bc); d = BN_CTX_get(bc); p1 = BN_CTX_get(bc);
	q1 = BN_CTX_get(bc); l = BN_CTX_get(bc); g = BN_CTX_get(bc);
	dp = BN_CTX_get(bc); dq = BN_CTX_get(bc); qi = BN_CTX_get(bc);
	if ((t = BN_CTX_get(bc)) == NULL || !BN_set_word(e, RSA_F4))
		goto ssl;
	do {
		if (++tries > 100) {
			ca_seterr(ca, "cannot find RSA primes");
			goto out;
		}
		if (!BN_generate_prime_ex2(p, 1024, 0, NULL, NULL, NULL, bc) ||
		    !BN_generate_prime_ex2(q, 1024, 0, NULL, NULL, NULL, bc) ||
		    !BN_sub(t, p, q) || !BN_sub(p1, p, BN_value_one()) ||
		    !BN_sub(q1, q, BN_value_one()) || !BN_gcd(g, p1, e, bc))
			goto ssl;
		BN_set_negative(t, 0);
		if (BN_num_bits(t) <= 924 || !BN_is_one(g))
			continue;
		if (!BN_gcd(g, q1, e, bc))
			goto ssl;
	} while (!BN_is_one(g) || BN_num_bits(t) <= 924);
	if (BN_cmp(p, q) < 0)
		BN_swap(p, q), BN_swap(p1, q1);
	if (!BN_mul(n, p, q, bc) || !BN_gcd(g, p1, q1, bc) ||
	    !BN_mul(t, p1, q1, bc) || !BN_div(l, NULL, t, g, bc) ||
	    BN_mod_inverse(d, e, l, bc) == NULL ||
	    !BN_mod(dp, d, p1, bc) || !BN_mod(dq, d, q1, bc) ||
	    BN_mod_inverse(qi, q, p, bc) == NULL)
		goto ssl;
	if (BN_num_bits(n) != 2048 || BN_num_bits(d) <= 1024) {
		ca_seterr(ca, "RSA key out of shape");
		goto out;
	}
	if ((b = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_D, d) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_FACTOR1, p) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_FACTOR2, q) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qi) ||
	    (prm = OSSL_PARAM_BLD_to_param(b)) == NULL ||
	    (kc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(kc) != 1 ||
	    EVP_PKEY_fromdata(kc, &nk->pk, EVP_PKEY_KEYPAIR, prm) != 1)
		goto ssl;
	EVP_PKEY_CTX_free(kc);
	if ((kc = EVP_PKEY_CTX_new_from_pkey(NULL, nk->pk, NULL)) == NULL ||
	    EVP_PKEY_pairwise_check(kc) != 1)
		goto ssl;
	rc = 0;
	goto out;
ssl:
	ca_sslerr(ca, "cannot generate rsa2048 key");
out:
	if (rc == -1)
		ca_newkey_free(nk);
	EVP_PKEY_CTX_free(kc);
	OSSL_PARAM_free(prm);	/* its secure part (the private values) cleared */
	OSSL_PARAM_BLD_free(b);
	BN_CTX_end(bc);
	BN_CTX_free(bc);
	return rc;
}

void
ca_newkey_free(struct ca_newkey *nk)
{
	EVP_PKEY_free(nk->pk);
	memset(nk, 0, sizeof *nk);
}

/*
 * The certificate's SubjectPublicKeyInfo. For P-256: id-ecPublicKey,
 * namedCurve prime256v1, the point; X509_get0_pubkey(x) is then NULL until
 * the certificate is parsed again, so callers describe the key from nk.
 */
int
ca_key_set_pubkey(struct ca *ca, X509 *x, const struct ca_newkey *nk)
{
	unsigned char *penc;

	if (!nk->p256) {
		if (X509_set_pubkey(x, nk->pk) != 1) {
			ca_sslerr(ca, "cannot set public key");
			return -1;
		}
		return 0;
	}
	if ((penc = OPENSSL_memdup(nk->pt, sizeof nk->pt)) == NULL)
		abort();
	if (X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x),
	    OBJ_nid2obj(NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT,
	    OBJ_nid2obj(NID_X9_62_prime256v1), penc, sizeof nk->pt) != 1) {
		OPENSSL_free(penc);
		ca_sslerr(ca, "cannot set EC public key");
		return -1;
	}
	return 0;
}

static PKCS8_PRIV_KEY_INFO *
ca_p8_p256(struct ca *ca, const struct ca_newkey *nk)
{
	unsigned char der[CA_P256_P8_LEN], *q = der;
	const unsigned char *p = der;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	BIGNUM *priv = NULL;

	memcpy(q, ca_p256_p8_head, sizeof ca_p256_p8_head);
	q += sizeof ca_p256_p8_head;
	if (!EVP_PKEY_get_bn_param(nk->pk, OSSL_PKEY_PARAM_PRIV_KEY, &priv) ||
	    BN_bn2binpad(priv, q, 32) != 32) {
		ca_sslerr(ca, "cannot read EC private key");
		goto out;
	}
	q += 32;
	memcpy(q, ca_p256_p8_mid, sizeof ca_p256_p8_mid);
	q += sizeof ca_p256_p8_mid;
	memcpy(q, nk->pt, sizeof nk->pt);
	if ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, sizeof der)) == NULL ||
	    p != der + sizeof der) {
		PKCS8_PRIV_KEY_INFO_free(p8);
		p8 = NULL;
		ca_sslerr(ca, "cannot encode EC private key");
		goto out;
	}
out:
	BN_clear_free(priv);
	OPENSSL_cleanse(der, sizeof der);
	return p8;
}

/* Private key -> encrypted PKCS#8 DER (see CA_PBKDF2_ITER). */
int
ca_key_encrypt(struct ca *ca, const struct ca_newkey *nk, const char *master,
    const struct ca_rnd *rnd, struct ca_blob *out)
{
	unsigned char salt[CA_PBKDF2_SALT_LEN], iv[CA_IV_LEN];
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	X509_ALGOR *pbe = NULL;
	X509_SIG *sig = NULL;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (nk->p256) {
		if ((p8 = ca_p8_p256(ca, nk)) == NULL)
			goto out;
	} else if ((p8 = EVP_PKEY2PKCS8(nk->pk)) == NULL) {
		ca_sslerr(ca, "cannot convert private key to PKCS#8");
		goto out;
	}
	if (ca_master_is_plain(master)) {
		rc = ca_asn1_der(ca, p8, ASN1_ITEM_rptr(PKCS8_PRIV_KEY_INFO),
		    out, "private key");
		goto out;
	}
	if (rnd != NULL) {
		memcpy(salt, rnd->salt, sizeof salt);
		memcpy(iv, rnd->iv, sizeof iv);
	}
	pbe = PKCS5_pbe2_set_iv_ex(EVP_aes_256_cbc(), CA_PBKDF2_ITER,
	    rnd != NULL ? salt : NULL, sizeof salt, rnd != NULL ? iv : NULL,
	    NID_hmacWithSHA256, NULL);
	if (pbe == NULL) {
		ca_sslerr(ca, "cannot set up private key encryption");
		goto out;
	}
	if ((sig = PKCS8_set0_pbe_ex(master, CA_MASTER_LEN, p8, pbe, NULL,
	    NULL)) == NULL) {
		ca_sslerr(ca, "cannot encrypt private key");
		goto out;
	}
	pbe = NULL;		/* now owned by sig */
	rc = ca_asn1_der(ca, sig, ASN1_ITEM_rptr(X509_SIG), out,
	    "encrypted private key");
out:
	X509_ALGOR_free(pbe);
	X509_SIG_free(sig);
	PKCS8_PRIV_KEY_INFO_free(p8);	/* clears the key octets */
	return rc;
}

/* Encrypted PKCS#8 DER -> private key. */
EVP_PKEY *
ca_key_decrypt(struct ca *ca, const unsigned char *der, size_t len,
    const char *master)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	X509_SIG *sig = NULL;
	EVP_PKEY *pk = NULL;
	const unsigned char *p = der;

	if (ca_master_check(ca, master) == -1)
		goto out;
	if (der == NULL || len == 0 || len > LONG_MAX) {
		ca_seterr(ca, "empty private key");
		goto out;
	}
	if (ca_master_is_plain(master)) {
		if ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len)) ==
		    NULL || p != der + len) {
			ca_sslerr(ca, "private key is not PKCS#8 DER");
			goto out;
		}
	} else if ((sig = d2i_X509_SIG(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		ca_sslerr(ca, "stored private key is not encrypted PKCS#8 DER");
		goto out;
	}
	if (p8 == NULL &&
	    (p8 = PKCS8_decrypt_ex(sig, master, CA_MASTER_LEN, NULL, NULL)) ==
	    NULL) {
		ca_sslerr(ca, "cannot decrypt private key (wrong master key?)");
		goto out;
	}
	if ((pk = EVP_PKCS82PKEY_ex(p8, NULL, NULL)) == NULL) {
		ca_sslerr(ca, "cannot decode decrypted private key");
		goto out;
	}
out:
	PKCS8_PRIV_KEY_INFO_free(p8);
	X509_SIG_free(sig);
	return pk;
}

static int
key_pem_write(BIO *bio, void *pk)
{
	return PEM_write_bio_PKCS8PrivateKey(bio, pk, NULL, NULL, 0, NULL,
	    NULL);
}

int
ca_key_to_pem(struct ca *ca, const unsigned char *key, size_t len,
    const char *master, char **pem)
{
	EVP_PKEY *pk;
	int rc = -1;

	ca_begin(ca);
	*pem = NULL;
	/* A secure-memory BIO cleanses the key text as it grows and at free. */
	if ((pk = ca_key_decrypt(ca, key, len, master)) != NULL)
		rc = ca_bio_write(ca, BIO_s_secmem(), key_pem_write, pk,
		    "cannot write private key", pem);
	EVP_PKEY_free(pk);
	return rc;
}

int
ca_key_matches(struct ca *ca, const unsigned char *cert, size_t cert_len,
    const unsigned char *key, size_t key_len, const char *master)
{
	struct ca_key k;
	int rc;

	ca_begin(ca);
	if ((k.pk = ca_key_decrypt(ca, key, key_len, master)) == NULL)
		return -1;
	rc = ca_key_is_cert(ca, &k, cert, cert_len);
	EVP_PKEY_free(k.pk);
	return rc;
}

int
ca_key_is_cert(struct ca *ca, const struct ca_key *k,
    const unsigned char *cert, size_t cert_len)
{
	EVP_PKEY *pub;
	X509 *x;
	int rc = -1, r;

	if ((x = ca_x509_parse(ca, cert, cert_len, "certificate")) == NULL)
		return -1;
	if ((pub = X509_get0_pubkey(x)) == NULL) {
		ca_sslerr(ca, "certificate: unusable public key");
		goto out;
	}
	/* EVP_PKEY_eq: 1 same, 0 different, -1 different types, -2 unsupported. */
	r = EVP_PKEY_eq(pub, k->pk);
	if (r == 1)
		rc = 1;
	else if (r == 0 || r == -1) {
		ca_seterr(ca, "the private key does not match the certificate");
		rc = 0;
	} else
		ca_sslerr(ca, "cannot compare the private key with the "
		    "certificate");
out:
	X509_free(x);
	return rc;
}
