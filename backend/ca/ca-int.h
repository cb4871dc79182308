/*
 * ca-int.h: bodies and helpers shared by the ca-*.c files. Internal to the
 * CA module: the one place besides those files that sees OpenSSL types.
 *
 *   ca-base.c   the handle, key algorithm names, clearing what the others
 *               return: no OpenSSL (programs that load the rest when first
 *               used link it: ca-load.c)
 *   ca.c        errors, master key, DER/PEM, info
 *   ca-key.c    key generation, PKCS#8 encryption, key export and checks
 *   ca-issue.c  SMS Issuing root, signer, SMS Role SSL leaves (bulk too),
 *               SMS Token Signing
 *   ca-check.c  imported PKI certificates, chain verification
 *   ca-hash.c   thumbprints and fingerprints; SHA-256 over a stream (the
 *               content library)
 */
#ifndef CA_INT_H
#define CA_INT_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca.h"
#include "xmalloc.h"

#define CA_ERR_MAX		1024
#define CA_CN_MAX		64		/* ub-common-name */
#define CA_FQDN_MAX		253		/* a DNS name, no root dot */
#define CA_TOKEN_CN		"SMS Token Signing"
#define CA_SERIAL_BYTES		16		/* 128 random bits */
#define CA_PBKDF2_SALT_LEN	16
#define CA_IV_LEN		16		/* AES block */
#define CA_P256_POINT_LEN	65		/* 04 || X || Y */

struct ca {
	char	 err[CA_ERR_MAX];
};

/* Read-only after ca_signer_load(): shared by threads without locks. */
struct ca_signer {
	EVP_PKEY		*key;		/* root private key */
	X509_NAME		*name;		/* root subject = leaf issuer */
	ASN1_OCTET_STRING	*ski;		/* root SKI = leaf AKI keyid */
	X509_EXTENSION		*ext_bc;	/* leaf extensions that never vary */
	X509_EXTENSION		*ext_ku_rsa;
	X509_EXTENSION		*ext_ku_sign;	/* digitalSignature alone */
	X509_EXTENSION		*ext_eku;
	time_t			 not_before;
	time_t			 not_after;
	struct ca_cert_info	 info;
};

/* A new key pair; for P-256 also its public point, for the fast paths. */
/* A private key decrypted once (ca.h: ca_key_load). */
struct ca_key {
	EVP_PKEY		*pk;
};

struct ca_newkey {
	EVP_PKEY		*pk;
	int			 p256;
	unsigned char		 pt[CA_P256_POINT_LEN];
};

/* The random input of one certificate, drawn with one RAND_bytes(). */
struct ca_rnd {
	unsigned char	 serial[CA_SERIAL_BYTES];
	unsigned char	 salt[CA_PBKDF2_SALT_LEN];
	unsigned char	 iv[CA_IV_LEN];
};

/*
 * ca_plain as a master: the key is not encrypted. Told by its address,
 * never by its text (a master read from a file is never it). A program
 * that loads the CA (ca-load.c) has two copies of ca-base.c, its own and
 * the module's: the module is told the program's at its start
 * (ca_plain_caller; NULL where the CA is linked).
 */
extern const char *ca_plain_caller;
static inline int
ca_master_is_plain(const char *master)
{
	return master == ca_plain ||
	    (master != NULL && master == ca_plain_caller);
}

/* ca.c: errors (memory: xmalloc.h, abort on OOM) */
void		 ca_begin(struct ca *);
void		 ca_seterr(struct ca *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 ca_sslerr(struct ca *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* ca-hash.c: der's digest by md in upper-case hex, into out (outsz: room
 * for twice the digest's size and a NUL); -1 if it fails, nothing said. */
int		 ca_digest_hex(const EVP_MD *, const unsigned char *, size_t,
		    char *out, size_t outsz);

/* ca.c: inputs, conversions, descriptions */
int		 ca_master_check(struct ca *, const char *);
int		 ca_fqdn_check(struct ca *, const char *, char[CA_FQDN_MAX + 1]);
void		 ca_time_str(time_t, char *, size_t);
int		 ca_asn1_time(const ASN1_TIME *, time_t *);
X509		*ca_x509_parse(struct ca *, const unsigned char *, size_t,
		    const char *);
/* obj (of ASN.1 type it) as DER into out (free with ca_blob_free());
 * a failure is "cannot encode <what>" in the handle. 0 or -1. */
int		 ca_asn1_der(struct ca *, const void *obj, const ASN1_ITEM *it,
		    struct ca_blob *, const char *what);
int		 ca_x509_der(struct ca *, X509 *, struct ca_blob *);
/* What write (1 on success) puts into a new BIO of that method, as a
 * malloc'ed string in *out; a failure is what, with OpenSSL's reason, in
 * the handle. 0 or -1. */
int		 ca_bio_write(struct ca *, const BIO_METHOD *,
		    int (*write)(BIO *, void *), void *arg, const char *what,
		    char **out);
int		 ca_nopass_cb(char *, int, int, void *);
int		 ca_err_is_no_start_line(void);
/* A memory BIO reading pem[0..len); NULL (what, and why, in the handle)
 * when len is beyond a BIO's int or OpenSSL fails. */
BIO		*ca_pem_bio(struct ca *, const char *pem, size_t len,
		    const char *what);
X509		*ca_pem_read_cert(struct ca *, const char *, size_t,
		    const char *);
char		*ca_name_cn(const X509_NAME *);
char		*ca_name_str(const X509_NAME *);
char		*ca_key_desc_dup(const EVP_PKEY *);	/* "RSA 2048" */
char		*ca_san_str(X509 *);
int		 ca_info_fill(struct ca *, X509 *, const EVP_PKEY *,
		    const unsigned char *, size_t, struct ca_cert_info *);
int		 ca_issued_fill(struct ca *, X509 *, const struct ca_newkey *,
		    const char *, const struct ca_rnd *, struct ca_issued *);

/* ca-key.c */
int		 ca_keygen(struct ca *, enum ca_keyalg, struct ca_newkey *);
int		 ca_keygen_rsa_client(struct ca *, struct ca_newkey *);
/* ca-sign.c */
int		 ca_capi_verify_key(struct ca *, EVP_PKEY *, const unsigned char *,
		    size_t, const unsigned char *, size_t);
void		 ca_newkey_free(struct ca_newkey *);
int		 ca_key_set_pubkey(struct ca *, X509 *, const struct ca_newkey *);
int		 ca_key_encrypt(struct ca *, const struct ca_newkey *,
		    const char *, const struct ca_rnd *, struct ca_blob *);
EVP_PKEY	*ca_key_decrypt(struct ca *, const unsigned char *, size_t,
		    const char *);

#endif
