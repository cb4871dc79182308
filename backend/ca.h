/*
 * ca: the site's own certificate authority ("SMS Issuing") and the
 * certificates it issues ("SMS Role SSL Certificate"), plus checks of
 * imported PKI certificates. Pure crypto: no database, no files except the
 * master key. The only module that includes OpenSSL; nothing of OpenSSL
 * crosses this header: certificates and keys travel as DER/PEM bytes, times
 * as time_t, descriptions as plain structs with copied strings.
 *
 * Errors: functions return 0 / -1 (verification 1 / 0 / -1); the message
 * for the last failure (or the reason for a 0 verdict) is ca_error().
 * A struct ca belongs to one thread at a time; a struct ca_signer may be
 * shared by many threads, each with its own struct ca.
 *
 * Private keys are stored as encrypted PKCS#8 DER (PBES2, PBKDF2 with
 * HMAC-SHA256, AES-256-CBC), the passphrase being the 64 hex characters of
 * the master key file. `openssl pkcs8 -inform DER -passin file:MASTER`
 * opens them.
 */
#ifndef CA_H
#define CA_H

#include <stddef.h>
#include <time.h>

struct ca;

/* A handle that carries the last error; ca_new() aborts only on OOM. */
struct ca	*ca_new(void);
void		 ca_free(struct ca *);
const char	*ca_error(const struct ca *);

enum ca_keyalg {
	CA_KEY_RSA2048,
	CA_KEY_RSA3072,
	CA_KEY_EC_P256
};
#define CA_KEYALG_DEFAULT CA_KEY_RSA2048

/* "rsa2048", "rsa3072", "ec-p256" (case-insensitive); 0 or -1. */
int		 ca_keyalg_parse(const char *, enum ca_keyalg *);
/* The same names; "unknown" for a value out of range. */
const char	*ca_keyalg_name(enum ca_keyalg);

/* Bytes owned by the caller. ca_blob_free() cleanses and frees data, zeroes. */
struct ca_blob {
	unsigned char	*data;
	size_t		 len;
};
void		 ca_blob_free(struct ca_blob *);

/*
 * Master key: a file holding 64 hex characters (256 random bits) and "\n".
 * If path does not exist and create != 0 it is created with
 * open(O_CREAT|O_EXCL, 0600). A file with any group/other permission bits,
 * not a regular file, or with other content is refused. On success out holds
 * the 64 hex characters, NUL-terminated: the passphrase for every key
 * (functions taking `master` refuse anything else). Callers ca_cleanse() out
 * when done. The file is never chmod'ed or rewritten once it exists.
 */
#define CA_MASTER_LEN 64
int		 ca_master_load(struct ca *, const char *path, int create,
		    char out[CA_MASTER_LEN + 1]);
/* Zero memory in a way the compiler does not optimise away. */
void		 ca_cleanse(void *, size_t);

/*
 * Have OpenSSL clear every block of memory it frees, so no copy of a key
 * it made while decoding or using it stays behind in the free heap. Call
 * before anything else uses OpenSSL; -1 if that is too late.
 */
int		 ca_clear_freed_memory(void);

/* A certificate, described. All strings malloc'ed; clear frees them. */
struct ca_cert_info {
	char	*subject;	/* RFC 2253 one-line, "CN=SMS Issuing,OU=P01" */
	char	*issuer;
	char	*issued_to;	/* CN of subject ("" if none) */
	char	*issued_by;	/* CN of issuer ("" if none) */
	char	*serial;	/* upper-case hex, no separators ("-" if negative) */
	char	*thumbprint;	/* SHA-1 of DER, upper-case hex, 40 chars */
	char	*sha256;	/* SHA-256 of DER, upper-case hex, 64 chars */
	char	*san;		/* DNS names joined with ",", or "" */
	char	*key_desc;	/* "RSA 2048", "RSA 3072", "EC P-256", ... */
	time_t	 not_before;
	time_t	 not_after;
	int	 is_ca;		/* basicConstraints CA:TRUE */
	int	 server_auth;	/* EKU present and lists serverAuth */
};
void		 ca_cert_info_clear(struct ca_cert_info *);
int		 ca_cert_info(struct ca *, const unsigned char *der, size_t,
		    struct ca_cert_info *);
/* All fields and extensions, human readable; *text malloc'ed. */
int		 ca_cert_text(struct ca *, const unsigned char *der, size_t,
		    char **text);
/* DER certificate -> PEM ("-----BEGIN CERTIFICATE-----"); malloc'ed. */
int		 ca_der_to_pem(struct ca *, const unsigned char *der, size_t,
		    char **pem);
/*
 * First PEM certificate in pem[0..len) -> DER (other blocks and text around
 * it are skipped). Garbage: "no PEM certificate found"; a cut-off or
 * damaged block: "malformed or truncated PEM certificate".
 */
int		 ca_pem_to_der(struct ca *, const char *pem, size_t,
		    struct ca_blob *der);

/*
 * A newly made (or imported) certificate: DER certificate, its private key
 * as encrypted PKCS#8 DER, and its description.
 */
struct ca_issued {
	struct ca_blob		cert;
	struct ca_blob		key;
	struct ca_cert_info	info;
};
void		 ca_issued_clear(struct ca_issued *);

/*
 * The site's root: subject OU=<site code>, CN=SMS Issuing (printed
 * "CN=SMS Issuing,OU=<site>"), self-signed SHA-256, 128-bit random serial,
 * valid from now - 5 minutes for 10 calendar years, basicConstraints CA:TRUE
 * critical, keyUsage keyCertSign+cRLSign critical, SKI, AKI keyid.
 */
int		 ca_root_create(struct ca *, const char *site_code,
		    enum ca_keyalg, const char *master, struct ca_issued *out);

/*
 * A root loaded for signing (its key decrypted once). Read-only after load:
 * any number of threads may issue with one signer at the same time.
 */
struct ca_signer;
struct ca_signer *ca_signer_load(struct ca *, const unsigned char *root_der,
		    size_t, const unsigned char *root_key, size_t,
		    const char *master);
void		 ca_signer_free(struct ca_signer *);
/* Borrowed description of the signer's root. */
const struct ca_cert_info *ca_signer_info(const struct ca_signer *);

/*
 * SMS Role SSL Certificate for fqdn (lower-cased; letters, digits, '-', '.',
 * at most 64 characters so it fits the CN): new key of alg, subject
 * CN=<fqdn>, issuer = root subject (byte-identical), SHA-256, 128-bit random
 * serial, valid from now - 5 minutes for 365 days (clipped to the root's
 * validity), basicConstraints CA:FALSE, keyUsage digitalSignature
 * (+keyEncipherment for RSA) critical, EKU serverAuth, SAN dNSName=<fqdn>,
 * SKI, AKI = root SKI. Thread-safe given its own struct ca.
 */
int		 ca_leaf_issue(struct ca *, const struct ca_signer *,
		    const char *fqdn, enum ca_keyalg, const char *master,
		    struct ca_issued *out);

/*
 * n leaves on nthreads threads (0: number of online CPUs; never more than
 * n). out[i] is for fqdns[i]. progress (may be NULL) runs on the calling
 * thread only, with (done, n, arg), at least every 100 ms and at the end;
 * when it returns non-zero the batch stops (ca_error(ca) "cancelled").
 * 0 if all succeeded; -1 with the first failure in ca_error(ca) and every
 * out[i] cleared.
 */
int		 ca_leaf_issue_many(struct ca *, const struct ca_signer *,
		    size_t n, const char *const *fqdns, enum ca_keyalg,
		    const char *master, unsigned nthreads,
		    int (*progress)(size_t done, size_t n, void *), void *arg,
		    struct ca_issued *out);

/*
 * Decrypt a stored key to unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE
 * KEY-----"); malloc'ed. The caller must ca_cleanse() and free it.
 */
int		 ca_key_to_pem(struct ca *, const unsigned char *key, size_t,
		    const char *master, char **pem);

/*
 * Check an imported PKI certificate for fqdn. cert_pem and key_pem are file
 * contents; key_pem may be NULL when cert_pem holds the key as well. The key
 * must be unencrypted (PKCS#8, RSA or EC PEM). Refused with a message: bad or
 * truncated PEM, no key, key not matching the certificate, a CA certificate,
 * an EKU without serverAuth (no EKU at all is fine), a keyUsage that forbids
 * TLS server use, a name that does not match fqdn, a certificate that is
 * expired or not yet valid. On success out->cert is the DER certificate,
 * out->key the key re-encrypted with master.
 */
int		 ca_pki_import(struct ca *, const char *cert_pem, size_t,
		    const char *key_pem, size_t, const char *fqdn,
		    const char *master, struct ca_issued *out);

/*
 * Verify leaf against root as a TLS server certificate for fqdn (purpose
 * sslserver, host name, X.509 strict). 1 valid, 0 invalid (reason in
 * ca_error), -1 error (e.g. unparseable input).
 */
int		 ca_verify(struct ca *, const unsigned char *root, size_t,
		    const unsigned char *leaf, size_t, const char *fqdn);

/* Does the encrypted key belong to the certificate? 1 yes, 0 no, -1 error. */
int		 ca_key_matches(struct ca *, const unsigned char *cert, size_t,
		    const unsigned char *key, size_t, const char *master);

#endif
