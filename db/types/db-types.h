/*
 * db-types: the records of the site database as plain structs with copied
 * strings. db/ fills them; the library's public interface (ehttp.h) hands
 * them to the programs. Nothing here opens or reads the database: the
 * programs above the library see these records, never db.h.
 */
#ifndef DB_TYPES_H
#define DB_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Sites and their Communication Security settings. */
enum db_site_type { DB_SITE_CAS, DB_SITE_PRIMARY, DB_SITE_SECONDARY };

struct db_security {
	int	 https_only;		/* 1 HTTPS only, 0 HTTPS or HTTP */
	int	 enhanced_http;		/* Use CM-generated certificates */
	int	 pki_client_cert;	/* client PKI certificate when available */
	int	 crl_check;		/* clients check the CRL */
	int	 require_signing;
	int	 require_sha256;
	int	 use_encryption;
	char	 key_alg[16];		/* rsa2048 rsa3072 ec-p256 */
};

struct db_site {
	int64_t			 id;
	char			 code[4];
	char			 name[65];
	enum db_site_type	 type;
	int64_t			 parent_id;	/* 0: none */
	char			 parent_code[4];
	struct db_security	 sec;
	time_t			 created;
};

/* Site systems (servers). */
struct db_system {
	int64_t	 id;
	char	 fqdn[256];
	int64_t	 site_id;
	char	 site_code[4];
	time_t	 created;
};

/* Site system roles. connection is "" for roles without one;
 * allow_anonymous and allow_propfind (WebDAV listings) are -1 for roles
 * other than dp. */
struct db_role {
	int64_t	 id;
	int64_t	 system_id;
	char	 fqdn[256];
	int64_t	 site_id;
	char	 role[12];
	char	 connection[8];
	int	 allow_anonymous;
	int	 allow_propfind;
};

/* Status messages and the audit trail. Their components: an agent's (on
 * PostgreSQL the only one an agent's own login may write), the site
 * server's, and the administrators' changes and warnings. */
#define DB_AGENT_COMPONENT	"SMS_MP_CONTROL_MANAGER"
#define DB_SITED_COMPONENT	"SMS_CERTIFICATE_MANAGER"
#define DB_ADMIN_COMPONENT	"SMS_SITE_COMPONENT_MANAGER"

struct db_status {
	int64_t	 id;
	time_t	 time;
	char	 site_code[4];
	char	 severity[8];	/* info warning error */
	char	 component[64];
	char	 message[512];
	int64_t	 system_id;	/* whose agent wrote it; 0: none */
	char	 system_fqdn[256];	/* its FQDN; "": none */
};

/* One pass of the site server (ehttp-sited). */
struct db_pass {
	int64_t	 id;
	char	 host[256];
	int	 pid;
	time_t	 started;
	time_t	 finished;	/* 0: running, or it stopped mid-pass */
	time_t	 next;		/* 0: none planned (--once) */
	int64_t	 checked;	/* certificates looked at */
	int64_t	 renewed;	/* certificates issued or renewed */
	int64_t	 failed;	/* issuances that failed */
	int64_t	 warnings;	/* notices given */
	char	 summary[1024];
};

struct db_audit {
	int64_t	 id;
	time_t	 time;
	char	 user[64];
	char	 action[64];
	char	 object[256];
	char	 detail[512];
};

/*
 * Certificates: SMS Issuing roots, SMS Role SSL Certificates and imported
 * PKI certificates (their DER and encrypted key are not in the record).
 */
struct db_cert {
	int64_t	 id;
	char	 type[8];	/* root role pki token */
	char	 state[12];	/* pending active superseded revoked */
	int64_t	 site_id;
	char	 site_code[4];
	int64_t	 system_id;	/* 0: none (roots) */
	int64_t	 issuer_id;	/* 0: self-signed or foreign */
	char	 serial[65];
	char	 issued_to[256];
	char	 issued_by[256];
	char	 subject[512];
	time_t	 not_before;
	time_t	 not_after;
	char	 thumbprint[41];
	char	 key_alg[16];
	int	 blocked;
	time_t	 created;
};

enum db_cert_sort {
	DB_CERT_SORT_EXPIRATION, DB_CERT_SORT_TYPE, DB_CERT_SORT_ISSUED_TO,
	DB_CERT_SORT_ISSUED_BY, DB_CERT_SORT_START, DB_CERT_SORT_BLOCKED,
	DB_CERT_SORT_SITE, DB_CERT_SORT_THUMBPRINT, DB_CERT_SORT_MAX
};

/*
 * Where each order's value lives in a struct db_cert: a time_t, an int
 * or text (a char array of size). The row a page starts after
 * (db_cert_page) is read by it, and a page token that carries that row's
 * value (the administration service) is written and read by it.
 */
enum db_cert_key_kind { DB_CERT_KEY_TIME, DB_CERT_KEY_INT, DB_CERT_KEY_TEXT };
struct db_cert_key {
	enum db_cert_key_kind	 kind;
	size_t			 off, size;
};
#define DB_CERT_KEY(kind, f)	{ (kind), offsetof(struct db_cert, f),	\
				  sizeof(((struct db_cert *)0)->f) }
static const struct db_cert_key db_cert_keys[DB_CERT_SORT_MAX] = {
	[DB_CERT_SORT_EXPIRATION] = DB_CERT_KEY(DB_CERT_KEY_TIME, not_after),
	[DB_CERT_SORT_START] = DB_CERT_KEY(DB_CERT_KEY_TIME, not_before),
	[DB_CERT_SORT_BLOCKED] = DB_CERT_KEY(DB_CERT_KEY_INT, blocked),
	[DB_CERT_SORT_TYPE] = DB_CERT_KEY(DB_CERT_KEY_TEXT, type),
	[DB_CERT_SORT_ISSUED_TO] = DB_CERT_KEY(DB_CERT_KEY_TEXT, issued_to),
	[DB_CERT_SORT_ISSUED_BY] = DB_CERT_KEY(DB_CERT_KEY_TEXT, issued_by),
	[DB_CERT_SORT_SITE] = DB_CERT_KEY(DB_CERT_KEY_TEXT, site_code),
	[DB_CERT_SORT_THUMBPRINT] = DB_CERT_KEY(DB_CERT_KEY_TEXT, thumbprint),
};
#undef DB_CERT_KEY

struct db_cert_filter {
	const char	*type;		/* NULL: any */
	int64_t		 site_id;	/* 0: any */
	int64_t		 system_id;	/* 0: any */
	int		 expiring_days;	/* < 0: any; else not_after <= now+days */
	int		 blocked_only;
	int		 active_only;	/* hide superseded/revoked/pending */
	const char	*text;		/* substring of issued to/by or thumbprint */
};

/* DER blobs (certificate chains, trust stores); db_blobs_free() frees. */
struct db_blob {
	unsigned char	*data;
	size_t		 len;
};
void	 db_blobs_free(struct db_blob *, size_t);

/* The site's trusted root CAs (Site Properties > Communication Security). */
struct db_trusted_root {
	int64_t	 id;
	int64_t	 site_id;
	char	 site_code[4];
	char	 subject[512];
	char	 thumbprint[41];	/* SHA-1, upper-case hex */
	time_t	 not_after;
	time_t	 added;
};

/* A registered client (issue #14). name is what it sent: untrusted. */
struct db_client {
	int64_t	 id;
	char	 smsid[48];		/* GUID:<uuid> */
	char	 name[256];
	int64_t	 site_id;
	char	 site_code[4];
	char	 thumbprint[41];	/* SHA-1 of its signing certificate */
	int	 approved;
	char	 approved_by[64];	/* "", "auto", "bulk <id>", a user */
	int	 blocked;
	time_t	 registered;
	time_t	 last_contact;
};

/* A bulk registration token: never the token itself. */
struct db_bulk_token {
	char	 id[40];		/* UUID, the token's UniqueId */
	int64_t	 site_id;
	char	 site_code[4];
	time_t	 not_before;
	time_t	 not_after;
	int	 blocked;
	int64_t	 used;			/* clients it approved */
	time_t	 created;
};

/*
 * A package (issue #15): its id (site code + 5 upper-case hex digits), its
 * current version and the folder it was last read from. files, size and
 * dps are counts a list fills in: the current version's files, their
 * bytes, and the distribution points that have a row for it.
 */
struct db_package {
	char	 id[9];
	int64_t	 site_id;
	char	 site_code[4];
	char	 name[257];
	int64_t	 version;
	char	 source[1024];
	time_t	 created;
	time_t	 updated;
	int64_t	 files;
	int64_t	 size;
	int64_t	 dps;
};

/* A file of a package's version. */
struct db_package_file {
	char	 path[1025];
	int64_t	 size;
	char	 sha256[65];		/* lower-case hex */
};

/* A package on a distribution point: the version it was given, and its
 * state: distributing, installed, failed (error says why), removing. */
struct db_package_dp {
	char	 package_id[9];
	int64_t	 system_id;
	char	 fqdn[256];
	int64_t	 version;
	char	 state[16];
	char	 error[512];
	time_t	 time;
};

/* A package as a distribution point holds it (its Content list): the
 * package's name and current version (latest), the version the DP was
 * given with that version's files and bytes, its state there (as in
 * db_package_dp) and when that last changed. */
struct db_dp_package {
	char	 id[9];
	char	 name[257];
	int64_t	 latest;
	int64_t	 version;
	int64_t	 files;
	int64_t	 size;
	char	 state[16];
	char	 error[512];
	time_t	 time;
};

/* Agent state: what ehttp-mpd has bound and its last health check. */
struct db_agent {
	int64_t	 system_id;
	char	 fqdn[256];
	int	 pid;
	int	 https_port;
	int	 http_port;
	int64_t	 cert_id;		/* 0: not serving TLS */
	char	 thumbprint[41];
	time_t	 bound_since;
	time_t	 health_time;		/* 0: never checked */
	int	 health_ok;
	int	 health_status;
	char	 health_text[256];
	time_t	 updated;
	/* The lease: the agent (host, pid) that serves the system, since
	 * when, and until when it holds it without a refresh (0: released). */
	char	 host[256];
	time_t	 started;
	time_t	 lease_until;
	int	 poll_s;		/* its poll interval (0: unknown) */
};

/* An agent's enrollment (db-enroll.c): the key pair it made on its host,
 * waiting for or given an administrator's approval. */
struct db_enroll {
	int64_t	 system_id;
	char	 fqdn[256];
	int64_t	 site_id;
	char	 fingerprint[65];	/* SHA-256 of its certificate */
	char	 host[256];		/* where it was made (as said) */
	time_t	 requested;
	time_t	 approved;		/* 0: waiting */
	char	 approved_by[128];
	size_t	 nkeys;			/* keys sealed to it */
};

/* A key to seal: (system, certificate). */
struct db_seal_todo {
	int64_t	 system_id;
	int64_t	 cert_id;
};

/* The database login (a PostgreSQL role) of one system's agent. */
struct db_agent_login {
	char	 role[64];
	int64_t	 system_id;
	char	 fqdn[256];
	time_t	 created;
	int	 can_login;		/* the server lets the role log in */
	int	 sessions;		/* its connections now */
};

struct db_admin_login {
	char	 name[64];
	int	 read_only;		/* in the read-only group */
	int	 can_login;
	int	 sessions;
};

/* A bearer token of the administration service (its secret is never
 * stored: only its SHA-256). */
struct db_admin_token {
	int64_t	 id;
	char	 name[65];
	char	 role[12];		/* "read-only" "full" */
	char	 hash[65];		/* SHA-256 of the token, lower-case hex */
	time_t	 created;
	time_t	 expires;
	char	 created_by[64];
};

#endif
