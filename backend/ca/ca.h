/*
 * ca: the site's own certificate authority ("SMS Issuing") and the
 * certificates it issues ("SMS Role SSL Certificate", "SMS Token
 * Signing"), plus checks of
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
/*
 * Have OpenSSL loaded now: a program that loads the CA when first needed
 * (ca-api.h) calls it before another library brings OpenSSL in (libpq
 * does), so that the clearing above still comes first. Where the CA is
 * linked, nothing to do.
 */
void		 ca_preload(void);

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

/*
 * SMS Role SSL Certificate for fqdn (lower-cased; letters, digits, '-', '.'
 * in labels of 1-63 characters, at most 253 in all): new key of alg,
 * subject CN=<fqdn> when fqdn fits a CN (64 characters, ub-common-name);
 * a longer fqdn gets an empty subject and a critical SAN, as RFC 5280
 * 4.2.1.6 requires (clients match the SAN; the CN is not used). Issuer = root subject (byte-identical), SHA-256, 128-bit random
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
 * when it returns non-zero the batch stops: -1, ca_error(ca) "cancelled".
 * One name failing does not stop the others: 0 if all succeeded; -1 if
 * any failed, with the first failure in ca_error(ca), every failed out[i]
 * cleared (cert.data NULL) and, if why != NULL, why[i] its reason
 * (malloc'ed; NULL for the ones that succeeded).
 */
int		 ca_leaf_issue_many(struct ca *, const struct ca_signer *,
		    size_t n, const char *const *fqdns, enum ca_keyalg,
		    const char *master, unsigned nthreads,
		    int (*progress)(size_t done, size_t n, void *), void *arg,
		    struct ca_issued *out, char **why);

/*
 * SMS Token Signing: the certificate whose key signs the site's client
 * tokens (JWT RS256; the token header's x5t is this certificate's SHA-1
 * thumbprint). Profile: issuer = the site's current SMS Issuing (the
 * signer), subject OU=<site code>, CN=SMS Token Signing (printed
 * "CN=SMS Token Signing,OU=<site>"), always a new RSA 2048 key whatever
 * the site's key algorithm, SHA-256, 128-bit random serial, valid from
 * now - 5 minutes for 365 days (clipped to the root's validity, as a role
 * certificate), basicConstraints CA:FALSE, keyUsage digitalSignature
 * critical, no EKU (it is not a TLS certificate), no SAN, SKI, AKI = root
 * SKI. site_code: 1 to 64 characters. Thread-safe given its own struct ca.
 */
int		 ca_token_issue(struct ca *, const struct ca_signer *,
		    const char *site_code, const char *master,
		    struct ca_issued *out);

/*
 * Decrypt a stored key to unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE
 * KEY-----"); malloc'ed. The caller must ca_cleanse() and free it.
 */
int		 ca_key_to_pem(struct ca *, const unsigned char *key, size_t,
		    const char *master, char **pem);

/* A borrowed DER certificate, for lists (chains, trust stores). */
struct ca_der {
	const unsigned char	*data;
	size_t			 len;
};

/*
 * PKI certificates: one rule set, used when a certificate is imported and
 * again when the agent loads it. A PKI certificate is acceptable for fqdn
 * when
 *   - no subject or issuer name in the chain holds a control character
 *     (C0, DEL, C1) or a bidirectional override/isolate/mark;
 *   - the private key matches the certificate;
 *   - it is not a CA certificate and not self-signed;
 *   - an EKU, if present, lists serverAuth; a keyUsage allows TLS server use;
 *   - its DNS names (or, without any, its CN) match fqdn;
 *   - it is valid now and its lifetime is at least CA_PKI_MIN_LIFETIME;
 *   - its key and every intermediate's key is RSA >= 2048 or EC P-256/P-384;
 *   - it and every intermediate are signed with SHA-256 or stronger;
 *   - every intermediate is a CA certificate valid now;
 *   - with trusted roots given: the chain (leaf + intermediates) verifies
 *     up to one of them for TLS server use and fqdn (X509_verify_cert).
 * Without trusted roots the chain is not verified up to a root: that is
 * the one warning (in warning, not a refusal).
 */
#define CA_PKI_MIN_LIFETIME	86400		/* seconds: one day */
#define CA_PKI_CHAIN_MAX	6		/* intermediates served */

struct ca_pki {
	struct ca_issued	 leaf;	/* DER, key encrypted with master, info */
	struct ca_blob		 chain[CA_PKI_CHAIN_MAX];	/* issuer first */
	size_t			 nchain;
	char			 warning[512];	/* "" if none */
};
void		 ca_pki_clear(struct ca_pki *);

/*
 * Import: cert_pem holds the leaf first, then any intermediates (other
 * PEM blocks, such as the key, are skipped); chain_pem (may be NULL) more
 * intermediates. key_pem may be NULL when cert_pem holds the key as well;
 * the key must be unencrypted (PKCS#8, RSA or EC PEM). Refused (-1) with a
 * message when a rule above is broken or the PEM is bad; else out holds
 * the DER certificate, the key re-encrypted with master, the intermediates
 * to serve (without roots; in verified order when roots were given).
 */
int		 ca_pki_import(struct ca *, const char *cert_pem, size_t,
		    const char *key_pem, size_t, const char *chain_pem, size_t,
		    const char *fqdn, const struct ca_der *roots, size_t nroots,
		    const char *master, struct ca_pki *out);

/*
 * The same rules for a stored PKI certificate (key encrypted with master):
 * 1 acceptable, 0 refused (why in ca_error), -1 error. warning (may be
 * NULL) receives the warning, "" if none.
 */
int		 ca_pki_check(struct ca *, const unsigned char *cert, size_t,
		    const struct ca_der *chain, size_t nchain,
		    const unsigned char *key, size_t key_len, const char *master,
		    const char *fqdn, const struct ca_der *roots, size_t nroots,
		    char *warning, size_t warning_len);

/*
 * A site trusted root CA from a file's contents (one PEM certificate, or
 * DER): a self-signed CA certificate (its signature checked), valid now,
 * with an acceptable key and clean names. out gets the DER, info its
 * description.
 */
int		 ca_trusted_root_load(struct ca *, const char *data, size_t,
		    struct ca_blob *out, struct ca_cert_info *info);

/* Which of roots issued der (names and signature)? Its index, or -1. */
int		 ca_issuer_index(struct ca *, const unsigned char *der, size_t,
		    const struct ca_der *roots, size_t nroots);

/*
 * Verify leaf against root as a TLS server certificate for fqdn (purpose
 * sslserver, host name, X.509 strict). 1 valid, 0 invalid (reason in
 * ca_error), -1 error (e.g. unparseable input).
 */
int		 ca_verify(struct ca *, const unsigned char *root, size_t,
		    const unsigned char *leaf, size_t, const char *fqdn);

/*
 * Verify leaf (DER) against the trust anchors, with chain as untrusted
 * intermediates (may be empty). With fqdn: as a TLS server certificate for
 * that name (purpose sslserver, host name); NULL: any purpose (a root
 * shown in the inventory). X.509 strict. 1 valid, 0 invalid (OpenSSL's
 * reason in ca_error), -1 error.
 */
int		 ca_verify_chain(struct ca *, const struct ca_der *anchors,
		    size_t nanchors, const struct ca_der *chain, size_t nchain,
		    const unsigned char *leaf, size_t, const char *fqdn);

/* Does the encrypted key belong to the certificate? 1 yes, 0 no, -1 error. */
int		 ca_key_matches(struct ca *, const unsigned char *cert, size_t,
		    const unsigned char *key, size_t, const char *master);

/* The SubjectPublicKeyInfo (DER) of a certificate: 0, or -1. */
int		 ca_cert_spki(struct ca *, const unsigned char *cert, size_t,
		    struct ca_blob *);

/*
 * Clients (issue #14): the certificate a client makes for itself, the
 * signatures of its messages, and the site's tokens. What the bytes around
 * them look like is backend/wire/'s (wire.h).
 */

/*
 * Agents on other hosts (they hold no master key). An agent makes its own
 * enrollment key pair on its host: ca_enroll_create() gives an RSA 3072
 * key (out->key: PKCS#8 DER, NOT encrypted: the agent keeps it in a file
 * of its own, mode 0600) and a self-signed certificate for it, subject
 * CN=<fqdn>, OU=CA_ENROLL_OU, CA:FALSE, keyUsage digitalSignature and
 * keyEncipherment, CA_ENROLL_YEARS years. The site seals each key that
 * agent serves to that certificate: ca_seal() decrypts a stored key
 * (master) and returns CMS EnvelopedData (DER: RSA-OAEP key transport
 * with SHA-256, AES-256-CBC) holding its unencrypted PKCS#8 DER, which
 * `openssl cms -decrypt -inform DER -inkey KEY` opens too. ca_unseal()
 * is the agent's side: the PKCS#8 DER back (the caller cleanses it), for
 * the key functions here with master ca_plain.
 */
#define CA_ENROLL_OU	"ehttp agent enrollment"
#define CA_ENROLL_YEARS	10
extern const char ca_plain[];	/* as master: a key not encrypted */
int		 ca_enroll_create(struct ca *, const char *fqdn,
		    struct ca_issued *out);
struct ca_enroll;
/* The agent's file: its key and certificate, PEM (ca_enroll_pem). */
int		 ca_enroll_pem(struct ca *, const struct ca_issued *,
		    char **pem);
struct ca_enroll *ca_enroll_parse(struct ca *, const char *pem, size_t);
const struct ca_blob *ca_enroll_cert(const struct ca_enroll *);
void		 ca_enroll_free(struct ca_enroll *);	/* NULL ok */
/* SHA-256 of DER bytes, upper-case hex (`openssl x509 -fingerprint
 * -sha256` without the colons). 0 or -1. */
int		 ca_fingerprint(struct ca *, const unsigned char *, size_t,
		    char out[65]);
/* 1 an enrollment certificate seal() takes (DER, RSA >= 2048 bits, not a
 * CA, unexpired at now), 0 refused (ca_error says why), -1 error. */
int		 ca_enroll_check(struct ca *, const unsigned char *, size_t,
		    time_t now);
int		 ca_seal(struct ca *, const unsigned char *key, size_t,
		    const char *master, const unsigned char *to, size_t,
		    struct ca_blob *cms);
int		 ca_unseal(struct ca *, const struct ca_enroll *,
		    const unsigned char *cms, size_t, struct ca_blob *key);

/* The two EKUs of a client's certificate ("SMS Encryption", "SMS Signing"). */
#define CA_EKU_SMS_ENCRYPTION	"1.3.6.1.4.1.311.101.2"
#define CA_EKU_SMS_SIGNING	"1.3.6.1.4.1.311.101"

/*
 * A client's self-signed certificate: new RSA 2048 key, subject and issuer
 * CN=<name> (1 to 64 characters, no control character), SHA-256, 128-bit
 * random serial, valid from now - 5 minutes for CA_CLIENT_YEARS calendar
 * years, keyUsage digitalSignature+keyEncipherment critical, EKU
 * CA_EKU_SMS_ENCRYPTION and CA_EKU_SMS_SIGNING, SKI. The key comes
 * encrypted with master, as every key ehttp keeps.
 */
#define CA_CLIENT_YEARS	10
int		 ca_client_cert_create(struct ca *, const char *name,
		    const char *master, struct ca_issued *out);

/*
 * A client certificate as presented in a registration: 1 acceptable, 0
 * refused with the reason in ca_error ("client certificate: expired on
 * ..."), -1 error. Acceptable: DER that parses, valid at now, an RSA key
 * of at least 2048 bits, an EKU that lists both client EKUs above.
 */
int		 ca_client_cert_check(struct ca *, const unsigned char *der,
		    size_t, time_t now);
/*
 * A registration's certificate and signature in one parse: the checks of
 * ca_client_cert_check, then ca_capi_verify of sig over data with its key.
 * 1 acceptable, 0 refused (reason in ca_error), -1 error.
 */
int		 ca_client_request_check(struct ca *, const unsigned char *der,
		    size_t, time_t now, const unsigned char *data, size_t,
		    const unsigned char *sig, size_t);
/* SHA-1 of DER bytes as upper-case hex: a certificate's thumbprint
 * without parsing it. 0, or -1. */
int		 ca_thumbprint(struct ca *, const unsigned char *der, size_t,
		    char out[41]);

/*
 * Message signatures as CryptoAPI makes them: RSA PKCS#1 v1.5 with
 * SHA-256 over the bytes, the signature's bytes in reverse order (little
 * endian). sign: key is an encrypted PKCS#8 RSA key (master); *sig gets
 * the reversed signature (hex_upper_dup() writes it as sent). verify: with the
 * public key of cert (DER), sig as received (reversed); 1 good, 0 it does
 * not verify (reason in ca_error), -1 error (cert unusable).
 */
int		 ca_capi_sign(struct ca *, const unsigned char *key, size_t,
		    const char *master, const unsigned char *data, size_t,
		    struct ca_blob *sig);
/*
 * The same signatures with a key decrypted once (a client that signs many
 * messages, or thousands of clients in ehttp-client load): the key stays
 * in OpenSSL's memory until ca_key_free. One thread at a time per key.
 */
struct ca_key;
int		 ca_key_load(struct ca *, const unsigned char *key, size_t,
		    const char *master, struct ca_key **);
int		 ca_capi_sign_key(struct ca *, const struct ca_key *,
		    const unsigned char *data, size_t, struct ca_blob *sig);
void		 ca_key_free(struct ca_key *);	/* NULL ok */
/* Is k the key of cert (DER)? 1 yes, 0 no (said), -1 error. */
int		 ca_key_is_cert(struct ca *, const struct ca_key *,
		    const unsigned char *cert, size_t);
int		 ca_capi_verify(struct ca *, const unsigned char *cert, size_t,
		    const unsigned char *data, size_t, const unsigned char *sig,
		    size_t);

/*
 * Tokens: JWT with RS256 (JWS compact form, base64url without padding).
 * sign: header {"typ":"JWT","alg":"RS256","x5t":<base64url SHA-1 of
 * cert>}, payload the caller's claims_json as given (the caller makes it
 * JSON), signed with key (encrypted PKCS#8, master), which must be cert's.
 * *token malloc'ed.
 *
 * verify: three base64url parts, the signature RS256 with the public key
 * of cert (RS256 whatever the header says: the header never chooses the
 * algorithm). 1 good, with the decoded header and claims (JSON text,
 * malloc'ed) in *header and *claims; 0 refused (malformed or a signature
 * that does not verify; reason in ca_error); -1 error. What is NOT checked
 * here is the caller's: the header's alg/typ/x5t (wire_jwt_header_check),
 * and every claim, expiry (exp, nbf) included: an expired token verifies.
 */
#define CA_JWT_MAX	16384		/* a token's length */
int		 ca_jwt_sign(struct ca *, const unsigned char *cert, size_t,
		    const unsigned char *key, size_t, const char *master,
		    const char *claims_json, char **token);
/* The same with the key loaded once (ca_key_load, the caller checked it
 * is the certificate's) and the certificate's x5t (ca_jwt_x5t). */
int		 ca_jwt_sign_key(struct ca *, const char *x5t,
		    const struct ca_key *, const char *claims_json,
		    char **token);
int		 ca_jwt_verify(struct ca *, const char *token, size_t,
		    const unsigned char *cert, size_t, char **header,
		    char **claims);
/*
 * The same with the certificate parsed once, for a verifier that checks
 * many tokens against one signer (the management point): its public key
 * and x5t held in memory. Read-only once made: threads may share it.
 */
struct ca_jwt_key;
int		 ca_jwt_key_new(struct ca *, const unsigned char *cert, size_t,
		    struct ca_jwt_key **);
const char	*ca_jwt_key_x5t(const struct ca_jwt_key *);
int		 ca_jwt_verify_key(struct ca *, const struct ca_jwt_key *,
		    const char *token, size_t, char **header, char **claims);
void		 ca_jwt_key_free(struct ca_jwt_key *);
/* The decoded header of a token, NOT verified (to say which certificate
 * it claims before checking it): 0, or -1 malformed (reason in ca_error). */
int		 ca_jwt_header(struct ca *, const char *token, size_t,
		    char **header);
/* The base64url alphabet (RFC 4648 section 5). */
#define CA_B64U_CHARS \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
/* n random bytes (OpenSSL's generator) as base64url without padding into
 * out, NUL-terminated (len at least 4n/3 + 4): a secret (a bearer token);
 * the bytes are cleared. 0 or -1 (ca_error). */
int		 ca_random_b64u(struct ca *, size_t n, char *out, size_t len);
/* The x5t of cert: base64url SHA-1 of its DER; malloc'ed. 0 or -1. */
int		 ca_jwt_x5t(struct ca *, const unsigned char *cert, size_t,
		    char **x5t);
/* The x5t#S256 of cert (RFC 7515, RFC 8705: base64url SHA-256 of its
 * DER), as a token's cnf claim binds a client's certificate; malloc'ed.
 * 0 or -1. */
int		 ca_x5t_s256(struct ca *, const unsigned char *cert, size_t,
		    char **x5t);

/*
 * SHA-256 over a stream (ca-hash.c): a file hashed in pieces, never whole
 * in memory. new (NULL on failure, reason in ca_error), update as often as
 * needed, final writes the digest as 64 lower-case hex digits and a NUL
 * (the content library names a file so). 0 or -1. free accepts NULL; one
 * thread at a time per hash.
 */
struct ca_sha256;
struct ca_sha256 *ca_sha256_new(struct ca *);
int		 ca_sha256_update(struct ca *, struct ca_sha256 *,
		    const void *, size_t);
int		 ca_sha256_final(struct ca *, struct ca_sha256 *, char out[65]);
void		 ca_sha256_free(struct ca_sha256 *);

#endif
