/*
 * wire: the client <-> management point messages as bytes, shared by the
 * management point (backend/agent/) and ehttp-client (backend/client/).
 * No database, no OpenSSL: the signatures in these messages are made and
 * checked by backend/ca/ (ca_capi_sign, ca_capi_verify); this room only
 * says which bytes are signed and carries the signature.
 *
 * Libraries (this room is the only one that uses them): zlib for the
 * compressed bodies, with every inflate bounded (WIRE_INFLATE_MAX);
 * expat for XML, because it is the maintained stream parser of Debian that
 * (1) reads UTF-16 itself, (2) tells the byte offset of every tag in the
 * input, which gives the exact UTF-16LE bytes of <Data> that the client
 * signed, and (3) never loads a DTD or an external entity (ehttp refuses a
 * DOCTYPE outright, so no entity can be declared); jansson for the JOSE
 * header of a token.
 *
 * Registration request (CCM_POST /ccm_system/request), as the public
 * re-implementations send it:
 *   Content-Type: multipart/mixed; boundary="aAbBcCdDv1234567890VxXyYzZ"
 *   --B CRLF content-type: text/plain; charset=UTF-16 CRLF CRLF
 *     FF FE + UTF-16LE <Msg SchemaVersion="1.1">...</Msg>   (the header)
 *   CRLF --B CRLF content-type: application/octet-stream CRLF CRLF
 *     zlib( UTF-16LE <ClientRegistrationRequest>...</...> + 00 00 )
 *   CRLF --B-- CRLF
 * The header names the body's hook <Hook3 Name="zlib-compress"/>; Body
 * Length is the uncompressed body's length in bytes (recorded, not
 * enforced). Inside the body, <Data ...>...</Data> is what the client
 * signs: RSA PKCS#1 v1.5 SHA-256 over exactly its UTF-16LE bytes as they
 * appear in the body (no BOM), the signature's bytes reversed (CryptoAPI
 * order) in <Signature><SignatureValue> as upper-case hex.
 *
 * Registration reply (ehttp's choice; the exact names are not public):
 *   zlib( UTF-16LE
 *     <ClientRegistrationReply SchemaVersion="1.0" SMSID="GUID:...">
 *       <Status>0..4</Status><ApprovalStatus>0..2</ApprovalStatus>
 *       <ResponseType>Registration|Confirmation</ResponseType>
 *       <Timestamp>yyyy-mm-ddThh:mm:ssZ</Timestamp>
 *     </ClientRegistrationReply> + 00 00 )
 * served as the whole HTTP body (application/octet-stream).
 *
 * Errors: every function returns 0 or -1; on -1, *cause (if cause is not
 * NULL) is a malloc'ed sentence naming what was wrong ("multipart body:
 * no closing delimiter --B--"). Inputs are untrusted: malformed input is
 * never a crash, an abort or an unbounded allocation.
 */
#ifndef WIRE_H
#define WIRE_H

#include <stddef.h>
#include <time.h>

#define WIRE_BOUNDARY		"aAbBcCdDv1234567890VxXyYzZ"
#define WIRE_CONTENT_TYPE	"multipart/mixed; boundary=\"" WIRE_BOUNDARY "\""
#define WIRE_BODY_MAX		(1024 * 1024)	/* a request as received */
#define WIRE_INFLATE_MAX	(1024 * 1024)	/* a body once inflated */

/* Bytes owned by the caller; wire_bytes_free() frees and zeroes. */
struct wire_bytes {
	unsigned char	*data;
	size_t		 len;
};
void		 wire_bytes_free(struct wire_bytes *);

/*
 * The <Msg> header. Decoding fills every string (NULL for an element that
 * is absent, "" for an empty one); encoding writes the ones set and the
 * defaults below for NULLs: ID a new {GUID}, SourceID "", TargetAddress
 * mp:[http]MP_ClientRegistration, TargetEndpoint MP_ClientRegistration,
 * ReplyMode Sync, Priority 3, Timeout 60000, SentTime now, Protocol http,
 * ReplyCompression zlib, Body Length, Payload inline and the zlib hook.
 */
struct wire_msg {
	char	*id;
	char	*source_id;		/* "GUID:<smsid>" or "" */
	char	*source_host;
	char	*target_address;
	char	*target_endpoint;
	char	*target_host;
	char	*reply_to;		/* "direct:<host>:SccmMessaging" */
	char	*reply_mode;
	char	*priority;
	char	*timeout;
	char	*sent_time;
	char	*protocol;
	char	*correlation_id;
	char	*reply_compression;
	long	 body_length;		/* decoded; -1 if absent */
	int	 zlib_hook;		/* decoded: <Hook3 Name="zlib-compress"/> */
};
void		 wire_msg_clear(struct wire_msg *);

struct wire_prop {
	char	*name;
	char	*value;
};

/*
 * A registration request. For encoding the caller sets the fields and the
 * certificates; wire_reg_data() makes data, the caller signs it
 * (ca_capi_sign) into sig, wire_reg_encode() makes the HTTP body. Decoding
 * fills everything, data being the exact signed bytes and sig the bytes of
 * SignatureValue as sent (CryptoAPI order: ca_capi_verify takes them so).
 */
struct wire_reg {
	struct wire_msg	 msg;
	char		*hash_alg;	/* HashAlgorithm, 1.2.840.113549.1.1.11 */
	char		*smsid;		/* SMSID ("" on a first registration) */
	char		*request_type;	/* Registration or Confirmation */
	char		*timestamp;	/* TimeStamp, yyyy-mm-ddThh:mm:ssZ */
	char		*agent_identity;
	char		*agent_version;
	char		*agent_type;
	struct wire_bytes enc_cert;	/* Encryption certificate, DER */
	struct wire_bytes sign_cert;	/* Signing certificate, DER */
	int		 enc_key_type;	/* KeyType: 1 self-signed, 2 PKI */
	int		 sign_key_type;
	struct wire_prop *props;	/* DiscoveryProperties, in order */
	size_t		 nprops;
	struct wire_bytes data;		/* UTF-16LE <Data>...</Data> */
	struct wire_bytes sig;		/* signature, CryptoAPI byte order */
};
void		 wire_reg_clear(struct wire_reg *);
/* Append a discovery property (both copied). */
void		 wire_reg_prop_add(struct wire_reg *, const char *name,
		    const char *value);
/* The value of the first property called name, borrowed; NULL if none. */
const char	*wire_reg_prop(const struct wire_reg *, const char *name);

/* <Data ...>...</Data> from the fields, into r->data (UTF-16LE). NULL
 * fields are written as: HashAlgorithm 1.2.840.113549.1.1.11, SMSID "",
 * RequestType Registration, TimeStamp now, AgentIdentity CCMSetup.exe,
 * AgentVersion 5.00.0000.0000, AgentType 0; key types 0 mean 1. */
int		 wire_reg_data(struct wire_reg *, char **cause);
/* The multipart body (Content-Type WIRE_CONTENT_TYPE) from r->msg,
 * r->data and r->sig. */
int		 wire_reg_encode(const struct wire_reg *, struct wire_bytes *body,
		    char **cause);
/*
 * A received body with its Content-Type header value: multipart with its
 * boundary, the header (TargetEndpoint must be MP_ClientRegistration), the
 * inflated body, every element of <Data> that WIRE names. The signature is
 * not checked here: ca_capi_verify(sign_cert, data, sig).
 */
int		 wire_reg_decode(const char *content_type,
		    const unsigned char *body, size_t len, struct wire_reg *out,
		    char **cause);

/* The SDK's enums. */
enum wire_reg_status {
	WIRE_REG_REGISTERED = 0,
	WIRE_REG_PENDING = 1,
	WIRE_REG_RESET = 2,
	WIRE_REG_ERROR = 3,
	WIRE_REG_CERT_RESET = 4
};
enum wire_approval {
	WIRE_APPROVAL_PENDING = 0,
	WIRE_APPROVAL_APPROVED = 1,
	WIRE_APPROVAL_NOT_APPLICABLE = 2
};

struct wire_reply {
	char			*smsid;		/* "GUID:<uuid>" */
	enum wire_reg_status	 status;
	enum wire_approval	 approval;
	char			*response_type;	/* NULL encodes Registration */
	time_t			 timestamp;
};
void		 wire_reply_clear(struct wire_reply *);
int		 wire_reply_encode(const struct wire_reply *,
		    struct wire_bytes *body, char **cause);
int		 wire_reply_decode(const unsigned char *body, size_t len,
		    struct wire_reply *out, char **cause);

/*
 * Tokens: the JOSE header of a JWT, as ca_jwt_verify() hands it back
 * (JSON text). It must be an object with "alg":"RS256" and a string "x5t";
 * "typ", if present, must be "JWT". *x5t (malloc'ed) gets the thumbprint
 * as sent (base64url SHA-1 of the signing certificate): the caller picks
 * the certificate by it. The claims (exp, nbf, aud, iss...) are the
 * caller's to check.
 */
int		 wire_jwt_header_check(const char *json, char **x5t,
		    char **cause);

/*
 * Location: the reply to ?MPKEYINFORMATIONEX (UTF-8 XML):
 * <MPKEYINFORMATIONEX><SITECODE>P01</SITECODE><RootKeyBlob>hex of the
 * trusted root's SubjectPublicKeyInfo</RootKeyBlob><MPs><MP Name=".."
 * FQDN=".."/>...</MPs></MPKEYINFORMATIONEX>. The MPs' FQDNs, in order.
 */
struct wire_keyinfo {
	char			*site_code;
	struct wire_bytes	 root_key;
	char			**mps;
	size_t			 nmps;
};
void		 wire_keyinfo_clear(struct wire_keyinfo *);
int		 wire_keyinfo_decode(const unsigned char *body, size_t len,
		    struct wire_keyinfo *out, char **cause);

/*
 * Content location, as Configuration Manager's logs show it
 * (ContentTransferManager.log, MP_Location.log): the client asks its
 * management point's location manager where a package is.
 * Request: CCM_POST /ccm_system/request framed as the registration
 * (multipart, <Msg> header with TargetAddress mp:[http]MP_LocationManager
 * and TargetEndpoint MP_LocationManager, zlib UTF-16LE body + NUL):
 *   <ContentLocationRequest SchemaVersion="1.00" ExcludeFileList="">
 *     <Package ID="P0100001" Version="2"/>   (Version "" or absent: the
 *                                             package's current version)
 *     <AssignedSite SiteCode="P01"/>
 *     <ClientLocationInfo LocationType="SMSPackage" UseInternetDP="0"
 *       AllowHTTP="1" AllowSMB="0" AllowMulticast="0"/>
 *   </ContentLocationRequest>
 * Reply (ehttp's subset of the real one; zlib UTF-16LE + NUL, as the
 * registration reply):
 *   <ContentLocationReply SchemaVersion="1.00">
 *     <ContentInfo PackageID="P0100001" Version="2" Name="..."/>
 *     <Sites><Site><MPSite SiteCode="P01" MasterSiteCode="P01"
 *       SiteLocality="LOCAL"/><LocationRecords>
 *       <LocationRecord><URL Name="https://dp1.p01.contoso.com/
 *         CCMTOKENAUTH_SMS_DP_SMSPKG$/P0100001"/>
 *         <ServerRemoteName>dp1.p01.contoso.com</ServerRemoteName>
 *         <DPType>SERVER</DPType><Locality>LOCAL</Locality>
 *         <Capabilities SchemaVersion="1.0"><Property Name="SSLState"
 *           Value="0"/><Property Name="AuthMethod" Value="1024"/>
 *         </Capabilities></LocationRecord>...
 *     </LocationRecords></Site></Sites></ContentLocationReply>
 * No ContentInfo: no such package; no LocationRecord: no distribution
 * point of the client's site holds that version.
 */
#define WIRE_LOC_ENDPOINT	"MP_LocationManager"

struct wire_cloc_req {
	struct wire_msg	 msg;		/* TargetAddress and TargetEndpoint:
					 * the location manager's if NULL */
	char		*package_id;
	long		 version;	/* 0: the current one */
	char		*site_code;	/* AssignedSite; may be NULL */
};
void		 wire_cloc_req_clear(struct wire_cloc_req *);
int		 wire_cloc_req_encode(const struct wire_cloc_req *,
		    struct wire_bytes *body, char **cause);
/* A received body (its Content-Type): the header's TargetEndpoint must be
 * MP_LocationManager. */
int		 wire_cloc_req_decode(const char *content_type,
		    const unsigned char *body, size_t len,
		    struct wire_cloc_req *out, char **cause);
/* The TargetEndpoint of a client message (malloc'ed; "" if absent), its
 * body not read: which endpoint the message is for. */
int		 wire_msg_endpoint(const char *content_type,
		    const unsigned char *body, size_t len, char **endpoint,
		    char **cause);

struct wire_cloc_rec {
	char	*url;
	char	*server;		/* ServerRemoteName */
	int	 ssl_state;		/* Capabilities SSLState */
	int	 auth_method;		/* AuthMethod: 1024 token, 0 none */
};
struct wire_cloc_reply {
	char			*package_id;	/* NULL: no such package */
	long			 version;
	char			*name;
	char			*site_code;
	struct wire_cloc_rec	*recs;		/* in the MP's order */
	size_t			 nrecs;
};
#define WIRE_AUTH_TOKEN		1024
void		 wire_cloc_reply_clear(struct wire_cloc_reply *);
/* Append a record (strings copied). */
void		 wire_cloc_reply_add(struct wire_cloc_reply *, const char *url,
		    const char *server, int ssl_state, int auth_method);
int		 wire_cloc_reply_encode(const struct wire_cloc_reply *,
		    struct wire_bytes *body, char **cause);
int		 wire_cloc_reply_decode(const unsigned char *body, size_t len,
		    struct wire_cloc_reply *out, char **cause);

/*
 * A distribution point's WebDAV listing (RFC 4918 207 Multi-Status, UTF-8
 * XML with namespaces): one entry per D:response, its href
 * percent-decoded (a %00, a bad escape or bytes that are not UTF-8 are
 * refused), D:collection, D:getcontentlength, the SHA-256 as ehttp's DP
 * gives it (<E:sha256 xmlns:E="urn:ehttp:dp">, else a getetag that is a
 * quoted 64-hex digest; "" if neither), and the package folder's
 * E:version and E:name. At most WIRE_DAV_MAX entries, WIRE_DAV_BYTES
 * bytes.
 */
#define WIRE_DAV_MAX		20000
#define WIRE_DAV_BYTES		(32 * 1024 * 1024)
struct wire_dav_entry {
	char			*href;		/* decoded, absolute path */
	int			 collection;
	unsigned long long	 size;
	char			 sha256[65];	/* lower-case hex, or "" */
	long long		 version;	/* -1: not given */
	char			*name;		/* E:name, or NULL */
};
struct wire_dav {
	struct wire_dav_entry	*v;
	size_t			 n;
};
void		 wire_dav_clear(struct wire_dav *);
int		 wire_dav_decode(const unsigned char *body, size_t len,
		    struct wire_dav *out, char **cause);

/* Helpers the client and the MP share. */
/* Hex (either case, even length, nothing else) to bytes. */
int		 wire_unhex(const char *, struct wire_bytes *, char **cause);
/* 1 if s is a client's SMSID: "GUID:" and a UUID (hex in either case). */
int		 wire_smsid_ok(const char *s);

#endif
