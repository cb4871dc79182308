/*
 * mp: what the management point decides for a client (issue #14), as the
 * agent (ehttp-mpd) hands it each request: registration, tokens, and the
 * token-authenticated endpoints. The agent reads the request off the wire
 * and writes the answer and its log line; every decision (the wire format,
 * signatures, the client table, approval, token claims and lifetimes) is
 * made here, over the database, once.
 *
 * Protocol (ehttp's choices where the public format is silent):
 * - Registration: CCM_POST (or POST) /ccm_system/request, body as wire.h
 *   says, a bulk registration token in "Authorization: Bearer <jwt>".
 *   200 with the registration reply (Status 0 Registered and the
 *   approval, or 4 CertificateReset); 400 (text/plain, the reason) for a
 *   request refused, 401 for a bulk token refused (nothing is stored).
 * - A client proves who it is with the headers "ClientToken:
 *   GUID:<uuid>;<yyyy-mm-ddThh:mm:ssZ>;2" and "ClientTokenSignature: <hex>"
 *   (ca_capi_sign over the UTF-16LE bytes of the ClientToken value, with
 *   its registered signing key; the time within 15 minutes of the MP's).
 * - GET /CCM_STS: a CCM token (JWT RS256 by the site's SMS Token Signing
 *   certificate, 8 hours) as {"token":..,"token_type":"Bearer",
 *   "expires_in":28800}; ?Type=SiteToken: the site token (90 days). 401
 *   if the client cannot prove who it is, 403 if it is pending or
 *   blocked. Claims: iss urn:sccm:oauth2:<hierarchy id>, aud
 *   urn:sccm:service, iat, nbf, exp, Type (CCMToken, SiteToken;
 *   BulkRegistration for bulk tokens), UniqueId (the SMSID; a bulk
 *   token's id), SiteCode.
 * - GET /CCM_STS?Type=ContentAccessToken: a content access token for the
 *   distribution points (8 hours), aud urn:sccm:dp, Type
 *   ContentAccessToken, and cnf {"x5t#S256": base64url SHA-256 of the
 *   DER of the client's registered signing certificate} (RFC 7800, RFC
 *   8705): only the holder of that certificate's key can use it.
 * - A content request (a distribution point's CCMTOKENAUTH_* folders)
 *   carries "Authorization: Bearer <content access token>", the
 *   ClientToken and ClientTokenSignature above (signed at the time of the
 *   request) and "ClientTokenCertificate: <hex of the DER of the client's
 *   signing certificate>"; mp_content_check() decides.
 * - Content location: CCM_POST /ccm_system/request whose message header
 *   names TargetEndpoint MP_LocationManager (wire.h: ContentLocationRequest
 *   and ContentLocationReply), with the ClientToken and
 *   ClientTokenSignature above. 200 with the reply for an approved,
 *   unblocked client: the distribution points of its site that hold the
 *   version asked (installed), each one's token URL
 *   https://<DP>[:port]/CCMTOKENAUTH_SMS_DP_SMSPKG$/<ID> (AuthMethod 1024)
 *   first, then http://<DP>[:port]/SMS_DP_SMSPKG$/<ID> for those that
 *   allow anonymous access; 400 a malformed request, 401 no proof, 403
 *   pending or blocked. A line in MP_Location.log each.
 * - Token-authenticated endpoints take "Authorization: Bearer <CCM token>";
 *   a refusal is 401 with WWW-Authenticate and the reason in CCM_STS.log.
 *   A token is checked with the verifier alone (the signer's key, issuer
 *   and blocked clients held in memory, reloaded on every poll of the
 *   agent), never a database round trip; nbf and exp allow 60 s of clock
 *   difference.
 */
#ifndef MP_H
#define MP_H

#include <stddef.h>
#include <time.h>

#include "ehttp.h"

/* One HTTP answer and the line for its endpoint's log. */
struct mp_answer {
	int		 status;	/* 200, 400, 401, 403, 404, 413, 500 */
	const char	*content_type;	/* static */
	unsigned char	*body;		/* malloc'ed */
	size_t		 len;
	char		*www_authenticate; /* a 401's challenge, else NULL */
	int		 log_type;	/* CMLOG_TYPE_INFO/WARNING/ERROR */
	char		*log;		/* cmlog escapes it; NULL: nothing to log */
};
void	 mp_answer_clear(struct mp_answer *);

/* What the agent read off the wire; any field may be NULL (or 0). */
struct mp_request {
	const char		*mp_fqdn;	/* the site system served */
	const char		*method;	/* "CCM_POST", "GET"... */
	const char		*target;	/* "/ccm_system/request" */
	const char		*content_type;
	const char		*authorization;
	const char		*client_token;
	const char		*client_token_sig;
	const char		*client_cert;	/* ClientTokenCertificate */
	const unsigned char	*body;
	size_t			 len;
	const char		*peer;		/* "127.0.0.1:5555" */
};

/* The token verifier of one MP: the public key of its site's current
 * SMS Token Signing certificate, held in memory. */
struct mp_verifier;
struct mp_verifier *mp_verifier_new(struct ehttp *, const char *mp_fqdn);
int	 mp_verifier_reload(struct ehttp *, struct mp_verifier *);
/* The clients seen since the last reload (their last contact, which a
 * reload writes), handed to the caller to write elsewhere (the agent's
 * committer, ehttp_client_seen()); the caller frees each and the array. */
void	 mp_verifier_take_seen(struct mp_verifier *, char ***smsids,
	    size_t *n);
void	 mp_verifier_free(struct mp_verifier *);

/* Each: 0 with the answer filled (whatever its status), or -1 (the error
 * in ehttp_error(); the agent answers 500). */
int	 mp_register(struct ehttp *, struct mp_verifier *,
	    const struct mp_request *, struct mp_answer *);
int	 mp_sts(struct ehttp *, struct mp_verifier *,
	    const struct mp_request *, struct mp_answer *);
int	 mp_tokenauth(struct ehttp *, struct mp_verifier *,
	    const struct mp_request *, struct mp_answer *);

/* Which endpoint a CCM_POST to /ccm_system/request is for (its message
 * header's TargetEndpoint): MP_ENDPOINT_LOCATION for MP_LocationManager,
 * else MP_ENDPOINT_REGISTRATION (which refuses what it cannot read). */
#define MP_ENDPOINT_REGISTRATION	0
#define MP_ENDPOINT_LOCATION		1
int	 mp_message_endpoint(const struct mp_request *);
/* A content location request (above). */
int	 mp_location(struct ehttp *, struct mp_verifier *,
	    const struct mp_request *, struct mp_answer *);

/*
 * Registration in steps, for an agent that stores many at once (one
 * commit for all): mp_register_check() decides everything but the store:
 * 0 with *reg NULL and the answer filled (refused), 0 with *reg, the
 * checked request to store (mp_reg_in() with ehttp_client_register_many()),
 * or -1 (ehttp_error()). mp_register_answer() makes the reply from what
 * the store said (rc EHTTP_REG_*, cl the record). mp_register() is the
 * three in a row.
 */
struct mp_reg;
int	 mp_register_check(struct ehttp *, struct mp_verifier *,
	    const struct mp_request *, struct mp_answer *, struct mp_reg **);
const struct ehttp_client_reg *mp_reg_in(const struct mp_reg *);
void	 mp_register_answer(const struct mp_reg *, int rc,
	    const struct db_client *cl, struct mp_answer *);
void	 mp_reg_free(struct mp_reg *);

/* "Bearer <CCM token>": 1 valid (smsid filled), 0 refused (*reason
 * malloc'ed), -1 error. */
int	 mp_token_check(struct ehttp *, struct mp_verifier *,
	    const char *authorization, char smsid[64], char **reason);

/*
 * A distribution point's content request (its CCMTOKENAUTH_* folders):
 * r's authorization, client_token, client_token_sig and client_cert
 * checked at now with the verifier alone, no database read (the token
 * signed by the site's SMS Token Signing certificate, which chains to its
 * SMS Issuing; aud urn:sccm:dp, Type ContentAccessToken, nbf and exp with
 * 60 s of leeway; the ClientToken of the token's UniqueId made within 15
 * minutes of now; the certificate the token's cnf binds; the
 * ClientTokenSignature by its key). 1 allowed, 0 refused with *reason
 * (malloc'ed, for the log: it never quotes the token), -1 error
 * (ehttp_error()). A blocked client is not refused: it keeps its token
 * until it expires, and gets no new one.
 */
int	 mp_content_check(struct ehttp *, struct mp_verifier *,
	    const struct mp_request *, time_t now, char **reason);

#endif
