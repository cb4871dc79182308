/*
 * mp-int.h: inside the management point's room (backend/mp/).
 */
#ifndef MP_INT_H
#define MP_INT_H

#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "mp.h"

/* Clock difference allowed on a token's nbf and exp, and on a
 * ClientToken's time (which a client makes itself). */
#define MP_TOKEN_LEEWAY		60
#define MP_CLIENT_TOKEN_SKEW	(15 * 60)

/* Lifetimes of what /CCM_STS hands out. */
#define MP_CCM_TOKEN_SECONDS	(8 * 3600)
#define MP_SITE_TOKEN_SECONDS	(90 * 86400)

#define MP_AUD			"urn:sccm:service"
#define MP_ISS_PREFIX		"urn:sccm:oauth2:"

/* The content access token: for the distribution points, 8 hours. */
#define MP_CONTENT_AUD		"urn:sccm:dp"
#define MP_CONTENT_TYPE		"ContentAccessToken"
#define MP_CONTENT_TOKEN_SECONDS (8 * 3600)

struct ca_jwt_key;

struct mp_verifier {
	int64_t			 site_id;
	char			 site_code[8];
	char			*iss;		/* urn:sccm:oauth2:<hierarchy> */
	int64_t			 signer_id;	/* 0: the site has none */
	struct ca_jwt_key	*key;		/* its public key, to verify */
	struct ehttp_token_key	*signkey;	/* its private key, to sign */
	int			 signer_trusted; /* it chains to the site's
						 * SMS Issuing (each reload) */
	char			 signer_why[512]; /* if not, why */
	char			**blocked;	/* SMSIDs, sorted */
	size_t			 nblocked;
	char			**seen;		/* SMSIDs since the last reload */
	size_t			 nseen;
	size_t			 seen_cap;
};

/* At most this many contacts are kept between two reloads (the agent
 * reloads on every poll); more are not recorded until the next. */
#define MP_SEEN_MAX		200000

/* Answers. */
void	 mp_answer_set(struct mp_answer *, int status, const char *type,
	    const void *body, size_t len);
int	 mp_answer_text(struct mp_answer *, int status, int log_type,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	 mp_answer_refuse(struct mp_answer *, const char *reason);

/* A malloc'ed sentence, the caller's. */
char	*mp_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The token's header and signature by the verifier's signer (x5t and
 * RS256): 1 with its claims (JSON text, malloc'ed), 0 refused (*reason),
 * -1 error. */
int	 mp_token_verified(const struct mp_verifier *, const char *tok,
	    char **claims, char **reason);
/* The claims every token of the site carries: a JSON object, aud, iss,
 * Type, and nbf <= now < exp (each with MP_TOKEN_LEEWAY): 1 with the
 * object in *out (the caller's), 0 refused (*reason). */
int	 mp_claims_load(const struct mp_verifier *, const char *claims,
	    const char *aud, const char *type, time_t now, json_t **out,
	    char **reason);
/* "GUID:<uuid>;<yyyy-mm-ddThh:mm:ssZ>;2": 1 with the SMSID and the time,
 * 0 refused (*reason). */
int	 mp_client_token_parse(const char *ct, char smsid[64], time_t *when,
	    char **reason);
/* The ClientTokenSignature (hex, as sent) of the ClientToken ct by the
 * key of cert (DER): 1 good, 0 refused (*reason names smsid). */
int	 mp_client_token_verify(const unsigned char *cert, size_t len,
	    const char *ct, const char *sig_hex, const char *smsid,
	    char **reason);

/* The client's proof (r's ClientToken signed with its registered key,
 * made within MP_CLIENT_TOKEN_SKEW of now): 1 with its record in *cl and
 * that key's certificate (*der, malloc'ed), 0 refused (*reason), -1
 * error (ehttp_error()). */
struct db_client;
int	 mp_client_proof(struct ehttp *, const struct mp_request *,
	    struct db_client *cl, unsigned char **der, size_t *len,
	    char **reason);

/* A bulk registration token's claims (Type BulkRegistration, UniqueId a
 * UUID: the token's id): 1 (*id), 0 refused (*reason). */
int	 mp_bulk_claims(const struct mp_verifier *, const char *claims,
	    time_t now, char id[64], char **reason);
/* The token of "Authorization: Bearer <token>", which v has a key to
 * check: the token (within authorization), or NULL with *reason (no
 * header, another scheme, no SMS Token Signing certificate). */
const char *mp_bearer(const struct mp_verifier *v, const char *authorization,
	    char **reason);
int	 mp_verifier_blocked(const struct mp_verifier *, const char *smsid);
/* A client was in contact: its last contact is written at the next
 * reload, with every other, in one transaction. */
void	 mp_verifier_seen(struct mp_verifier *, const char *smsid);

#endif
