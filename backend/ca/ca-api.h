/*
 * ca-api.h: the CA as a module. ehttpctl does not link OpenSSL: most of
 * its commands (lists, settings, logs) never sign or parse a certificate,
 * and loading libcrypto costs about a millisecond at every start, as much
 * as a whole page of `ehttpctl cert list`. It links ca-base.c (the handle
 * and what clears results, no OpenSSL) and ca-load.c, which defines each
 * function of ca.h below to open the module ehttp-ca.so (the rest of
 * backend/ca/ with OpenSSL, ca-module.c) on the first call and pass the call
 * on. The other programs link backend/ca/ whole.
 *
 * One entry a function, by what it returns and so how it fails when the
 * module cannot be loaded (the reason in the handle, as any failure):
 *   CA_INT(name, (parameters), (arguments))        an int, -1
 *   CA_PTR(type, name, (parameters), (arguments))  a pointer, NULL
 *   CA_GET(type, name, (parameters), (arguments))  reads an object the
 *                              module made: the module is there
 *   CA_FREE(name, type)        frees such an object (NULL: nothing to do)
 * The compiler holds each to its prototype in ca.h: ca-load.c defines them
 * under those names. CA_INT and CA_PTR functions take the handle first.
 */
#ifndef CA_API_H
#define CA_API_H

#include "ca.h"

#define CA_API(CA_INT, CA_PTR, CA_GET, CA_FREE) \
	CA_INT(ca_master_load, (struct ca *a, const char *b, int c, \
	    char d[CA_MASTER_LEN + 1]), (a, b, c, d)) \
	CA_INT(ca_cert_info, (struct ca *a, const unsigned char *b, \
	    size_t c, struct ca_cert_info *d), (a, b, c, d)) \
	CA_INT(ca_cert_text, (struct ca *a, const unsigned char *b, \
	    size_t c, char **d), (a, b, c, d)) \
	CA_INT(ca_der_to_pem, (struct ca *a, const unsigned char *b, \
	    size_t c, char **d), (a, b, c, d)) \
	CA_INT(ca_pem_to_der, (struct ca *a, const char *b, size_t c, \
	    struct ca_blob *d), (a, b, c, d)) \
	CA_INT(ca_root_create, (struct ca *a, const char *b, \
	    enum ca_keyalg c, const char *d, struct ca_issued *e), \
	    (a, b, c, d, e)) \
	CA_PTR(struct ca_signer *, ca_signer_load, (struct ca *a, \
	    const unsigned char *b, size_t c, const unsigned char *d, \
	    size_t e, const char *f), (a, b, c, d, e, f)) \
	CA_FREE(ca_signer_free, struct ca_signer) \
	CA_INT(ca_leaf_issue, (struct ca *a, const struct ca_signer *b, \
	    const char *c, enum ca_keyalg d, const char *e, \
	    struct ca_issued *f), (a, b, c, d, e, f)) \
	CA_INT(ca_leaf_issue_many, (struct ca *a, \
	    const struct ca_signer *b, size_t c, const char *const *d, \
	    enum ca_keyalg e, const char *f, unsigned g, \
	    int (*h)(size_t, size_t, void *), void *i, struct ca_issued *j, \
	    char **k), (a, b, c, d, e, f, g, h, i, j, k)) \
	CA_INT(ca_token_issue, (struct ca *a, const struct ca_signer *b, \
	    const char *c, const char *d, struct ca_issued *e), \
	    (a, b, c, d, e)) \
	CA_INT(ca_key_to_pem, (struct ca *a, const unsigned char *b, \
	    size_t c, const char *d, char **e), (a, b, c, d, e)) \
	CA_INT(ca_pki_import, (struct ca *a, const char *b, size_t c, \
	    const char *d, size_t e, const char *f, size_t g, const char *h, \
	    const struct ca_der *i, size_t j, const char *k, \
	    struct ca_pki *l), (a, b, c, d, e, f, g, h, i, j, k, l)) \
	CA_INT(ca_pki_check, (struct ca *a, const unsigned char *b, \
	    size_t c, const struct ca_der *d, size_t e, \
	    const unsigned char *f, size_t g, const char *h, const char *i, \
	    const struct ca_der *j, size_t k, char *l, size_t m), \
	    (a, b, c, d, e, f, g, h, i, j, k, l, m)) \
	CA_INT(ca_trusted_root_load, (struct ca *a, const char *b, \
	    size_t c, struct ca_blob *d, struct ca_cert_info *e), \
	    (a, b, c, d, e)) \
	CA_INT(ca_issuer_index, (struct ca *a, const unsigned char *b, \
	    size_t c, const struct ca_der *d, size_t e), (a, b, c, d, e)) \
	CA_INT(ca_verify, (struct ca *a, const unsigned char *b, size_t c, \
	    const unsigned char *d, size_t e, const char *f), \
	    (a, b, c, d, e, f)) \
	CA_INT(ca_verify_chain, (struct ca *a, const struct ca_der *b, \
	    size_t c, const struct ca_der *d, size_t e, \
	    const unsigned char *f, size_t g, const char *h), \
	    (a, b, c, d, e, f, g, h)) \
	CA_INT(ca_key_matches, (struct ca *a, const unsigned char *b, \
	    size_t c, const unsigned char *d, size_t e, const char *f), \
	    (a, b, c, d, e, f)) \
	CA_INT(ca_cert_spki, (struct ca *a, const unsigned char *b, \
	    size_t c, struct ca_blob *d), (a, b, c, d)) \
	CA_INT(ca_enroll_create, (struct ca *a, const char *b, \
	    struct ca_issued *c), (a, b, c)) \
	CA_INT(ca_enroll_pem, (struct ca *a, const struct ca_issued *b, \
	    char **c), (a, b, c)) \
	CA_PTR(struct ca_enroll *, ca_enroll_parse, (struct ca *a, \
	    const char *b, size_t c), (a, b, c)) \
	CA_GET(const struct ca_blob *, ca_enroll_cert, \
	    (const struct ca_enroll *a), (a)) \
	CA_FREE(ca_enroll_free, struct ca_enroll) \
	CA_INT(ca_fingerprint, (struct ca *a, const unsigned char *b, \
	    size_t c, char d[65]), (a, b, c, d)) \
	CA_INT(ca_enroll_check, (struct ca *a, const unsigned char *b, \
	    size_t c, time_t d), (a, b, c, d)) \
	CA_INT(ca_seal, (struct ca *a, const unsigned char *b, size_t c, \
	    const char *d, const unsigned char *e, size_t f, \
	    struct ca_blob *g), (a, b, c, d, e, f, g)) \
	CA_INT(ca_unseal, (struct ca *a, const struct ca_enroll *b, \
	    const unsigned char *c, size_t d, struct ca_blob *e), \
	    (a, b, c, d, e)) \
	CA_INT(ca_client_cert_create, (struct ca *a, const char *b, \
	    const char *c, struct ca_issued *d), (a, b, c, d)) \
	CA_INT(ca_client_cert_check, (struct ca *a, \
	    const unsigned char *b, size_t c, time_t d), (a, b, c, d)) \
	CA_INT(ca_client_request_check, (struct ca *a, \
	    const unsigned char *b, size_t c, time_t d, \
	    const unsigned char *e, size_t f, const unsigned char *g, \
	    size_t h), (a, b, c, d, e, f, g, h)) \
	CA_INT(ca_thumbprint, (struct ca *a, const unsigned char *b, \
	    size_t c, char d[41]), (a, b, c, d)) \
	CA_INT(ca_capi_sign, (struct ca *a, const unsigned char *b, \
	    size_t c, const char *d, const unsigned char *e, size_t f, \
	    struct ca_blob *g), (a, b, c, d, e, f, g)) \
	CA_INT(ca_key_load, (struct ca *a, const unsigned char *b, \
	    size_t c, const char *d, struct ca_key **e), (a, b, c, d, e)) \
	CA_INT(ca_capi_sign_key, (struct ca *a, const struct ca_key *b, \
	    const unsigned char *c, size_t d, struct ca_blob *e), \
	    (a, b, c, d, e)) \
	CA_FREE(ca_key_free, struct ca_key) \
	CA_INT(ca_key_is_cert, (struct ca *a, const struct ca_key *b, \
	    const unsigned char *c, size_t d), (a, b, c, d)) \
	CA_INT(ca_capi_verify, (struct ca *a, const unsigned char *b, \
	    size_t c, const unsigned char *d, size_t e, \
	    const unsigned char *f, size_t g), (a, b, c, d, e, f, g)) \
	CA_INT(ca_jwt_sign, (struct ca *a, const unsigned char *b, \
	    size_t c, const unsigned char *d, size_t e, const char *f, \
	    const char *g, char **h), (a, b, c, d, e, f, g, h)) \
	CA_INT(ca_jwt_sign_key, (struct ca *a, const char *b, \
	    const struct ca_key *c, const char *d, char **e), \
	    (a, b, c, d, e)) \
	CA_INT(ca_jwt_verify, (struct ca *a, const char *b, size_t c, \
	    const unsigned char *d, size_t e, char **f, char **g), \
	    (a, b, c, d, e, f, g)) \
	CA_INT(ca_jwt_key_new, (struct ca *a, const unsigned char *b, \
	    size_t c, struct ca_jwt_key **d), (a, b, c, d)) \
	CA_GET(const char *, ca_jwt_key_x5t, (const struct ca_jwt_key *a), (a)) \
	CA_INT(ca_jwt_verify_key, (struct ca *a, \
	    const struct ca_jwt_key *b, const char *c, size_t d, char **e, \
	    char **f), (a, b, c, d, e, f)) \
	CA_FREE(ca_jwt_key_free, struct ca_jwt_key) \
	CA_INT(ca_jwt_header, (struct ca *a, const char *b, size_t c, \
	    char **d), (a, b, c, d)) \
	CA_INT(ca_random_b64u, (struct ca *a, size_t b, char *c, \
	    size_t d), (a, b, c, d)) \
	CA_INT(ca_jwt_x5t, (struct ca *a, const unsigned char *b, \
	    size_t c, char **d), (a, b, c, d)) \
	CA_INT(ca_x5t_s256, (struct ca *a, const unsigned char *b, \
	    size_t c, char **d), (a, b, c, d)) \
	CA_PTR(struct ca_sha256 *, ca_sha256_new, (struct ca *a), (a)) \
	CA_INT(ca_sha256_update, (struct ca *a, struct ca_sha256 *b, \
	    const void *c, size_t d), (a, b, c, d)) \
	CA_INT(ca_sha256_final, (struct ca *a, struct ca_sha256 *b, \
	    char c[65]), (a, b, c)) \
	CA_FREE(ca_sha256_free, struct ca_sha256)

#define CA_API_INT(name, params, args)		int (*name) params;
#define CA_API_PTR(type, name, params, args)	type (*name) params;
#define CA_API_FREE(name, type)			void (*name)(type *);

/*
 * What the module hands out (its one exported symbol, CA_API_SYMBOL).
 * version and size must be the program's: a module of another build is
 * refused rather than called with other arguments. start runs once, before
 * anything else: clear (ca_clear_freed_memory asked for) sets OpenSSL's
 * memory functions while it has allocated nothing, and plain is the
 * program's ca_plain (the module has a copy of its own); 0, or -1.
 */
struct ca_api {
	char	 version[32];
	size_t	 size;
	int	(*start)(int clear, const char *plain);
	CA_API(CA_API_INT, CA_API_PTR, CA_API_PTR, CA_API_FREE)
};
#define CA_API_SYMBOL	"ehttp_ca_api"
#define CA_MODULE_NAME	"ehttp-ca.so"

#endif
