/*
 * ehttp: the backend's public interface, used by ehttpctl, ehttp-mpd and
 * the console. It owns the database handle, the CA and the master key;
 * it applies the product's rules (backend/rules.c, issue.c) and writes
 * audit and status records.
 *
 * Every operation returns 0 on success or -1 with ehttp_error() naming the
 * field and the reason; a refused operation leaves the database as it was.
 * Notes (warnings, what was issued) of the last operation are kept in the
 * handle until the next one: ehttp_notes().
 */
#ifndef EHTTP_H
#define EHTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "db-types.h"

#define EHTTP_VERSION	"0.1.0"

struct ehttp;

enum ehttp_open_flags {
	EHTTP_CREATE   = 0x1,	/* create the database (init) */
	EHTTP_READONLY = 0x2,
	EHTTP_NO_KEYS  = 0x4,	/* never load the master key (console lists) */
	/* An agent (ehttp-mpd): unfinished issuances (pending certificates
	 * of a dead process) are left to the site server and ehttpctl,
	 * which drop them at their open. Its pid check is of this host, and
	 * an agent's own database login may not delete certificates. */
	EHTTP_AGENT    = 0x8,
};

/* The default database path: $EHTTP_DB, $XDG_DATA_HOME/ehttp/site.db,
 * ~/.local/share/ehttp/site.db. Static buffer. */
const char	*ehttp_default_db(void);
/*
 * Where a site's local files go by default (logs, pid files, content
 * libraries, a server database's master key), malloc'ed: a SQLite file's
 * own directory; for a database server ($EHTTP_DB or --db
 * postgresql://...), ehttp's data directory ($XDG_DATA_HOME/ehttp, else
 * ~/.local/share/ehttp).
 */
char		*ehttp_home_dir(const char *db_target);
/* Whether a --db target is a SQLite file (else a database server's
 * connection string; the database layer decides). */
int		 ehttp_db_is_file(const char *db_target);
/* A --db target as it may be shown before it is opened (help texts, the
 * console's title): a connection string's password (user:PASSWORD@ or
 * password=...) replaced by "***". */
void		 ehttp_db_display(const char *db_target, char *buf, size_t len);

struct ehttp	*ehttp_open(const char *path, int flags, char **cause);
void		 ehttp_close(struct ehttp *);

/* Call first in main(): no core dumps, not ptrace-able by the same user,
 * OpenSSL's freed memory cleared; -1 if called too late for the last. */
int		 ehttp_protect_process(void);
const char	*ehttp_error(const struct ehttp *);
/* Put a sentence in the handle's error (for the rooms above that report
 * their own failures through it); returns -1. */
int		 ehttp_fail(struct ehttp *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
const char	*ehttp_db_path(const struct ehttp *);
/* Whether the open database file is no longer the one at its path (renamed
 * over or deleted): 1 it moved, 0 not, -1 cannot tell (ehttp_error()). */
int		 ehttp_db_moved(struct ehttp *);
/* Empty the write-ahead log into the open file (before letting go of a
 * file that was replaced): 0 done, 1 another program still uses it (busy),
 * -1 error (ehttp_error()). */
int		 ehttp_db_checkpoint(struct ehttp *);
/* The database checked whole (db_check in db.h: SQLite's pages and
 * indexes, then every reference): its problems in words, *n of them (0:
 * sound), freed with strv_free (xmalloc.h). 0, or -1 the check could not run
 * to its end (ehttp_error(); what it found before is in *problems). */
int		 ehttp_db_check(struct ehttp *, char ***problems, size_t *n);

/* Notes of the last operation. */
enum ehttp_note_kind { EHTTP_NOTE_INFO, EHTTP_NOTE_WARNING };
struct ehttp_note {
	enum ehttp_note_kind	 kind;
	char			 text[512];
};
const struct ehttp_note *ehttp_notes(const struct ehttp *, size_t *);

/*
 * Progress of long work (issuance); called from the calling thread. A
 * non-zero return cancels the work: issuance stops before it commits, the
 * database stays as it was and the operation fails with ehttp_error()
 * "cancelled".
 */
typedef int (*ehttp_progress_fn)(const char *what, size_t done, size_t total,
    void *arg);
void		 ehttp_set_progress(struct ehttp *, ehttp_progress_fn, void *);
/*
 * A write waits for another program's write to the site database, up to
 * 10 s; then it fails ("another program has been writing to the site
 * database for 10 s"). While it waits (every 250 ms, on the calling
 * thread) this function is called with the
 * milliseconds waited: nonzero stops the wait and the write fails
 * ("stopped waiting ..."); then once with -1 when the wait is over. NULL:
 * none.
 */
typedef int (*ehttp_waiting_fn)(void *arg, long waited_ms);
void		 ehttp_set_waiting(struct ehttp *, ehttp_waiting_fn, void *);
/* Whether the last write failed because another program was writing (it
 * waited, or the waiting function stopped it): another write at once
 * would wait as long again. */
int		 ehttp_busy(const struct ehttp *);
/* Threads for key generation; 0: all online CPUs. */
void		 ehttp_set_threads(struct ehttp *, unsigned);
/* Has anyone (another process, another handle) changed the database since
 * the last call? 1 yes (and on the first call), 0 no, -1 error. */
int		 ehttp_changed(struct ehttp *);
/*
 * Agents on other hosts, which hold no master key (enroll.c). On its host
 * an agent asks to be enrolled: ehttp_enroll_request() makes its key pair
 * and self-signed certificate in the enrollment file at path (mode 0600;
 * an existing file is used again) and records the certificate in the
 * database, waiting for approval; out says its SHA-256 fingerprint. An
 * administrator compares that fingerprint and approves
 * (ehttp_agent_approve(); fingerprint NULL: not compared): every key the
 * system serves (its role or PKI certificate's; a management point's
 * also the site's token signing key) is sealed to the agent's
 * certificate (CMS), now and at each later issuance. An agent started
 * with ehttp_enroll_use() reads only those sealed copies. Revoking
 * (ehttp_agent_revoke()) removes the enrollment and its copies and renews
 * the certificates whose keys the agent could read.
 */
struct ehttp_enrollment {
	char	 fingerprint[65];
	int	 created;		/* a new key pair was made */
	int	 approved;		/* already approved with this key */
};
char	*ehttp_enroll_default_path(const char *db_target, const char *fqdn);
int	 ehttp_enroll_request(struct ehttp *, const char *fqdn,
	    const char *path, struct ehttp_enrollment *);
int	 ehttp_enroll_use(struct ehttp *, const char *fqdn, const char *path,
	    char fingerprint[65]);
int	 ehttp_enrolled(const struct ehttp *);
int	 ehttp_enroll_get(struct ehttp *, const char *fqdn, struct db_enroll *);
int	 ehttp_enroll_list(struct ehttp *, struct db_enroll **, size_t *);
int	 ehttp_agent_approve(struct ehttp *, const char *fqdn,
	    const char *fingerprint);
int	 ehttp_agent_revoke(struct ehttp *, const char *fqdn);

/* Who is acting, for the audit trail (default: ehttp_acting_user()). */
void		 ehttp_set_user(struct ehttp *, const char *);
/*
 * The acting user as the audit records it: the real uid's account name;
 * root run through sudo is "NAME (via sudo)" when SUDO_USER names the
 * account whose uid SUDO_UID gives. USER and LOGNAME are never used.
 */
void		 ehttp_acting_user(char *buf, size_t len);

/* Input rules: 0 ok, -1 with a message "field 'value': reason" in why. */
int	 rules_site_code(const char *in, char out[4], char *why, size_t);
int	 rules_site_name(const char *in, char *why, size_t);
int	 rules_fqdn(const char *in, char out[256], char *why, size_t);
int	 rules_site_type(const char *in, enum db_site_type *, char *why, size_t);
int	 rules_role(const char *in, char *why, size_t);	/* mp dp provider ... */
/*
 * Printable copy of untrusted input for a message: non-printable bytes and
 * quotes as \xNN, cut with "..." to fit len (64 is plenty); returns buf.
 */
const char *rules_shown(const char *in, char *buf, size_t len);
int	 rules_onoff(const char *field, const char *in, int *, char *why, size_t);
const char *rules_site_type_name(enum db_site_type);
const char *rules_role_title(const char *role);	/* "management point" */

/*
 * The site system roles, one table (rules.c) that the backend, ehttpctl
 * and the console all read: what a role is called, which settings it has,
 * whether a CAS may host it and whether enhanced HTTP secures it.
 */
enum ehttp_secured {
	EHTTP_SECURED_NEVER,	/* stays HTTP: SUP, RSP, SMP */
	EHTTP_SECURED_HTTP,	/* when configured for HTTP, not at a CAS */
	EHTTP_SECURED_ALWAYS,	/* the SMS Provider, also at a CAS */
};
struct ehttp_role_info {
	const char		*name;		/* "mp" */
	const char		*title;		/* "management point" */
	const char		*short_name;	/* "MP" */
	int			 connection;	/* has http|https */
	int			 anonymous;	/* has allow anonymous (and
						 * allow PROPFIND): a DP */
	int			 on_cas;	/* a CAS may host it */
	enum ehttp_secured	 secured;
};
/* NULL for a name that is not a role. */
const struct ehttp_role_info *ehttp_role_info(const char *role);
const char *ehttp_role_short(const char *role);	/* "MP"; else role */
/* Does this role on this site call for an SMS Role SSL Certificate when
 * enhanced HTTP is on? 1 yes, 0 no (it stays HTTP or uses PKI). */
int	 ehttp_role_secured(const struct db_site *, const struct db_role *);
/* Does enhanced HTTP never secure this role? */
int	 ehttp_role_stays_http(const char *role);
/* Is this role configured for HTTPS (needs a PKI certificate)? */
int	 ehttp_role_https(const struct db_role *);
/* Does the site use enhanced HTTP (on, and not HTTPS only)? */
int	 ehttp_site_enhanced(const struct db_security *);

/* The classic numeric encoding of the Communication Security settings. */
int	 ehttp_iisssl_state(const struct db_security *);

/* Sites. */
int	 ehttp_init(struct ehttp *, int demo);
int	 ehttp_site_add(struct ehttp *, const char *code, const char *name,
	    const char *type, const char *parent);
/*
 * Names are resolved once, at the edge (a command's argument, a dialog's
 * field), and the id is passed on: 1 found, 0 no such site / site system /
 * certificate or not a valid name (ehttp_error() says which), -1 a
 * database error (ehttp_error() gives it). Never one for the other.
 */
int	 ehttp_site_resolve(struct ehttp *, const char *code, struct db_site *);
int	 ehttp_system_resolve(struct ehttp *, const char *fqdn,
	    struct db_system *);
int	 ehttp_cert_resolve(struct ehttp *, const char *id, struct db_cert *);
/* By id (re-reading after a change): 0, or -1 (gone, or the database). */
int	 ehttp_site_get(struct ehttp *, int64_t site_id, struct db_site *);
int	 ehttp_site_list(struct ehttp *, struct db_site **, size_t *);

/* A change of Communication Security settings: -1 leaves a field as is. */
struct ehttp_security_change {
	int	 https_only;
	int	 enhanced_http;
	int	 pki_client_cert;
	int	 crl_check;
	int	 require_signing;
	int	 require_sha256;
	int	 use_encryption;
	const char *key_alg;	/* NULL: as is */
};
void	 ehttp_security_change_init(struct ehttp_security_change *);
/* Applies the change; enabling enhanced HTTP issues certificates. */
int	 ehttp_site_set_security(struct ehttp *, int64_t site_id,
	    const struct ehttp_security_change *);

/*
 * The site's trusted root CAs (Site Properties > Communication Security >
 * Set): self-signed CA certificates the admin adds from a PEM or DER file.
 * When a site has any, an imported PKI certificate's chain must verify up
 * to one of them. Each change is audited and a status message.
 */
int	 ehttp_site_trusted_root_add(struct ehttp *, const char *code,
	    const char *path);
int	 ehttp_site_trusted_root_list(struct ehttp *, const char *code,
	    struct db_trusted_root **, size_t *);
int	 ehttp_site_trusted_root_remove(struct ehttp *, const char *code,
	    const char *thumbprint);
/* The site's trust store (its trusted root CAs as DER) for verifying PKI
 * chains; db_blobs_free() the result. */
int	 ehttp_site_trusted_roots(struct ehttp *, int64_t site_id,
	    struct db_blob **, size_t *);

/* What a change would do to the site's certificates (no writes): for the
 * confirmation shown before the work. */
struct ehttp_plan {
	size_t	 issue;		/* SMS Role SSL Certificates issued */
	size_t	 retire;	/* role certificates superseded or revoked */
	int	 new_root;	/* a new SMS Issuing is created */
	size_t	 pki_kept;	/* systems that keep (or fall back to) PKI */
	int	 token_issue;	/* a new SMS Token Signing is issued */
	int	 token_retire;	/* the site's current one is superseded */
};
int	 ehttp_site_plan(struct ehttp *, int64_t site_id,
	    const struct ehttp_security_change *, struct ehttp_plan *);
int	 ehttp_cert_renew_plan(struct ehttp *, int64_t id, struct ehttp_plan *);

/* Warnings of a site's configuration as it stands (prerequisites,
 * deprecated configuration); malloc'ed array of notes. */
int	 ehttp_site_warnings(struct ehttp *, const struct db_site *,
	    struct ehttp_note **, size_t *);

/* Site systems and roles. */
int	 ehttp_system_add(struct ehttp *, const char *fqdn, const char *site);
int	 ehttp_system_remove(struct ehttp *, const char *fqdn);
/* 1 found, 0 no such system (removed: ehttp_error() says so), -1 error. */
int	 ehttp_system_get(struct ehttp *, int64_t system_id, struct db_system *);
/* Lists: site_id / system_id 0 for all. */
int	 ehttp_system_list(struct ehttp *, int64_t site_id,
	    struct db_system **, size_t *);
/*
 * A role's settings, in one transaction. connection: NULL default (http
 * for mp/dp) or unchanged; allow_anonymous and allow_propfind (a
 * distribution point's WebDAV listings; 0: its agent answers PROPFIND
 * with 405 Method Not Allowed): -1 default (no; yes) or unchanged.
 */
int	 ehttp_role_add(struct ehttp *, const char *fqdn, const char *role,
	    const char *connection, int allow_anonymous, int allow_propfind);
int	 ehttp_role_set(struct ehttp *, const char *fqdn, const char *role,
	    const char *connection, int allow_anonymous, int allow_propfind);
int	 ehttp_role_remove(struct ehttp *, const char *fqdn, const char *role);
int	 ehttp_role_list(struct ehttp *, int64_t site_id, int64_t system_id,
	    struct db_role **, size_t *);

/* Messages and audit. */
/* Status messages, newest first: of site_id (0: every site), or those the
 * agent of system_id wrote (0: any writer); limit 0: all. */
int	 ehttp_status_list(struct ehttp *, int64_t site_id,
	    int64_t system_id, size_t limit, struct db_status **, size_t *);
int	 ehttp_audit_list(struct ehttp *, size_t limit, struct db_audit **,
	    size_t *);

/*
 * Certificates. ID is a row number or a thumbprint. Lists are windows over
 * the database (keyset paging): pass the last row of a page as after.
 */
/* By id (re-reading a row of a list): 0, or -1 (gone, or the database). */
int	 ehttp_cert_get(struct ehttp *, int64_t id, struct db_cert *);
int	 ehttp_cert_page(struct ehttp *, const struct db_cert_filter *,
	    enum db_cert_sort, int desc, const struct db_cert *after,
	    size_t limit, struct db_cert **, size_t *);
int	 ehttp_cert_count(struct ehttp *, const struct db_cert_filter *,
	    size_t *);
/*
 * The certification path, leaf first, up to its root. A PKI certificate's
 * intermediates (type "ca") and the site trusted root CA that issued them
 * (type "trust") are not in the inventory: their id is 0.
 */
int	 ehttp_cert_path(struct ehttp *, const struct db_cert *,
	    struct db_cert **, size_t *);
/* Every field and extension as text (no key material); malloc'ed. */
int	 ehttp_cert_text(struct ehttp *, int64_t id, char **);
/* The certificate as PEM or DER; malloc'ed. */
int	 ehttp_cert_pem(struct ehttp *, int64_t id, char **, size_t *);
int	 ehttp_cert_der(struct ehttp *, int64_t id, unsigned char **, size_t *);
/* The private key, unencrypted PKCS#8 PEM: only for an explicit export.
 * The caller must clear (explicit_bzero) and free it, and then record the
 * outcome with ehttp_cert_key_exported(): the audit trail says the key
 * left the database only once it did (a failed write is audited as
 * failed). A failure here changes nothing: the key was not decrypted. */
int	 ehttp_cert_key_pem(struct ehttp *, int64_t id, char **, size_t *);
/* failure NULL: the key was written to dest; else why it was not. */
int	 ehttp_cert_key_exported(struct ehttp *, int64_t id, const char *dest,
	    const char *failure);
int	 ehttp_cert_block(struct ehttp *, int64_t id, int blocked);
/* What blocking a certificate of this type does, one paragraph (the
 * console's Block dialog and the CLI say exactly this). */
const char *ehttp_block_effect(const char *type);
/* Root: a new SMS Issuing becomes current and the site's role
 * certificates are re-issued under it. Role: a fresh one replaces it. */
int	 ehttp_cert_renew(struct ehttp *, int64_t id);
/*
 * An admin's PKI certificate for a site system ("bound in IIS"); the
 * system keeps it and its site-issued certificate is revoked. cert_path
 * holds the leaf, then its intermediate CA certificates; key_path (NULL:
 * the key is in cert_path) the unencrypted key; chain_path (may be NULL)
 * more intermediates. The PKI rule set of ca.h applies; the intermediates
 * are stored with the certificate and served with it.
 */
int	 ehttp_cert_import_pki(struct ehttp *, const char *fqdn,
	    const char *cert_path, const char *key_path, const char *chain_path);
/* The certificates served with c, issuer first (PKI: its intermediates;
 * site-issued: its SMS Issuing); db_blobs_free() the result. */
int	 ehttp_cert_chain(struct ehttp *, const struct db_cert *,
	    struct db_blob **, size_t *);
/* The PKI rule set (ca.h) on a stored PKI certificate, for its system and
 * the site's trusted roots now: 1 acceptable, 0 refused (ehttp_error()
 * says why), -1 error. warning (may be NULL) gets the warning or "". */
int	 ehttp_pki_check(struct ehttp *, const struct db_cert *,
	    char *warning, size_t);
/* Type name as shown: "SMS Issuing", "SMS Role SSL Certificate", "PKI",
 * "SMS Token Signing", "Intermediate CA", "Trusted Root CA"; "Unknown
 * type" for any other. */
const char *ehttp_cert_type_title(const char *type);
/*
 * Clients (client.c). The hierarchy's id (the tokens' issuer is
 * urn:sccm:oauth2:<id>) and how new clients are approved ("manual": each
 * by an administrator; "auto": all).
 */
int	 ehttp_hierarchy_id(struct ehttp *, char *buf, size_t len);
int	 ehttp_hierarchy_approval(struct ehttp *, int *automatic);
int	 ehttp_hierarchy_set_approval(struct ehttp *, const char *approval);

/* A registration the management point has verified (signature, client
 * certificate, bulk token): what is stored. */
struct ehttp_client_reg {
	int64_t			 site_id;
	const char		*name;		/* untrusted, stored as sent */
	const char		*smsid;		/* the request's, "" or NULL */
	const unsigned char	*sign_cert;	/* DER the caller checked
						 * (ca_client_request_check) */
	size_t			 sign_cert_len;
	const unsigned char	*enc_cert;
	size_t			 enc_cert_len;
	const char		*bulk_token_id;	/* a valid one, or NULL */
};
enum {
	EHTTP_REG_NEW = 1,	/* stored: a new SMSID */
	EHTTP_REG_KNOWN,	/* its certificate is a client's: that one */
	EHTTP_REG_CONFLICT	/* the certificate or SMSID is another
				 * client's (*out): CertificateReset */
};
/* One transaction: EHTTP_REG_*, or -1. */
int	 ehttp_client_register(struct ehttp *, const struct ehttp_client_reg *,
	    struct db_client *out);
/* n registrations in one transaction, committed (written to disk) once:
 * rcs[i] EHTTP_REG_* and out[i] as ehttp_client_register() for in[i].
 * 0; or -1 and none is stored, a registration failed (stored alone, the
 * others may not); or -2 and none is stored, the transaction could not
 * begin or commit (no registration is to blame: alone, each would fail
 * as well). */
int	 ehttp_client_register_many(struct ehttp *,
	    const struct ehttp_client_reg *in, size_t n, struct db_client *out,
	    int *rcs);
/* 1 found, 0 none, -1 error. */
int	 ehttp_client_by_smsid(struct ehttp *, const char *, struct db_client *);
/* An SMSID (GUID:...) or a unique name: 1, 0 none (the error says so),
 * -1 error (a name two clients have is one). */
int	 ehttp_client_resolve(struct ehttp *, const char *, struct db_client *);
int	 ehttp_client_sign_cert(struct ehttp *, int64_t id, unsigned char **,
	    size_t *);
/* The SMSIDs of blocked clients (malloc'ed strings and array). */
int	 ehttp_client_blocked(struct ehttp *, char ***smsids, size_t *);
/* Their last contact, in one transaction. */
int	 ehttp_client_seen(struct ehttp *, const char **smsids, size_t,
	    time_t);
/* Clients of a site (0: all), id > after, by id, at most limit. */
int	 ehttp_client_page(struct ehttp *, int64_t site_id, int64_t after,
	    size_t limit, struct db_client **, size_t *);
/* The same backwards (a list scrolled up, or opened at its end): id <
 * before (0: from the last client), nearest first. */
int	 ehttp_client_page_before(struct ehttp *, int64_t site_id,
	    int64_t before, size_t limit, struct db_client **, size_t *);
int	 ehttp_client_count(struct ehttp *, int64_t site_id, size_t *);
enum ehttp_client_action {
	EHTTP_CLIENT_APPROVE, EHTTP_CLIENT_BLOCK, EHTTP_CLIENT_UNBLOCK,
	EHTTP_CLIENT_DELETE
};
/* Audited; notes say what changed (or that nothing did). */
int	 ehttp_client_act(struct ehttp *, int64_t id,
	    enum ehttp_client_action);

/*
 * Bulk registration tokens: new signs one for the site's clients (JWT,
 * Type BulkRegistration, UniqueId its id) valid minutes from now (1 to
 * 10,080; the default 4,320 is the caller's), stores its id, validity and
 * state, never the token, and hands the token back once (*token,
 * malloc'ed). usable: 1, or 0 with *why (malloc'ed), -1 error.
 */
#define EHTTP_BULK_MIN		1
#define EHTTP_BULK_MAX		10080
#define EHTTP_BULK_DEFAULT	4320
int	 ehttp_bulk_token_new(struct ehttp *, int64_t site_id, long minutes,
	    char **token, struct db_bulk_token *);
int	 ehttp_bulk_token_list(struct ehttp *, struct db_bulk_token **,
	    size_t *);
int	 ehttp_bulk_token_block(struct ehttp *, const char *id, int blocked);
int	 ehttp_bulk_token_usable(struct ehttp *, const char *id, time_t now,
	    char **why);
/* A token's state at now as lists show it: "Blocked", "Expired" or
 * "Active". */
const char *ehttp_bulk_token_state(const struct db_bulk_token *, time_t now);

/*
 * Client tokens (token.c). The site's current SMS Token Signing
 * certificate (active, unblocked) and its DER (malloc'ed): 1, 0 the site
 * has none (enhanced HTTP off; the error names the site), -1 error. sign: a JWT RS256 with
 * that certificate's key over claims (JSON text, the caller's), header
 * x5t = the certificate's SHA-1 (base64url); *token malloc'ed.
 */
int	 ehttp_token_signer(struct ehttp *, int64_t site_id, struct db_cert *,
	    unsigned char **der, size_t *len);
int	 ehttp_token_sign(struct ehttp *, int64_t site_id, const char *claims,
	    char **token);
/*
 * The same signer opened once and held (the management point, which signs
 * a token per client request): its certificate and its key decrypted in
 * memory until closed. open: 1 (*k), 0 the site has none, -1 error.
 * cert_id says which certificate it is (the caller reopens on a change).
 */
struct ehttp_token_key;
int	 ehttp_token_key_open(struct ehttp *, int64_t site_id,
	    struct ehttp_token_key **);
int64_t	 ehttp_token_key_cert(const struct ehttp_token_key *);
int	 ehttp_token_key_sign(struct ehttp *, const struct ehttp_token_key *,
	    const char *claims, char **token);
void	 ehttp_token_key_close(struct ehttp_token_key *);	/* NULL ok */


/*
 * Which certificate a site system serves, decided here and nowhere else
 * (the agent binds it, `ehttpctl system show`, the console's Servers view
 * and Overview show it):
 *  1. its active PKI certificate, if it is unblocked and within its
 *     validity (site systems always prefer PKI);
 *  2. else its active SMS Role SSL Certificate while the site has enhanced
 *     HTTP on, if that certificate is unblocked, within its validity, and
 *     the SMS Issuing root that signed it is not blocked. When the system
 *     has a PKI certificate that is expired or blocked this is the
 *     fallback: served, with a warning;
 *  3. else nothing: no TLS. That is an error when the system should serve
 *     TLS (an HTTPS MP/DP, a role enhanced HTTP secures, a PKI
 *     certificate that went bad), else simply an HTTP-only system.
 * A blocked SMS Issuing takes effect everywhere: what it signed is not
 * served, the agent does not hand it out on ?MPCERT, nothing is issued
 * under it; `ehttpctl cert renew <root>` makes a new root and re-issues.
 */
enum ehttp_serve_state {
	EHTTP_SERVE_PKI,	/* "PKI" */
	EHTTP_SERVE_SITE,	/* "site-issued" */
	EHTTP_SERVE_FALLBACK,	/* "site-issued (PKI expired: fallback)" */
	EHTTP_SERVE_HTTP_ONLY,	/* "none (HTTP only)": nothing to secure */
	EHTTP_SERVE_NONE,	/* "none: HTTPS without PKI certificate"... */
};
/* Health: a client can reach the system securely (OK), can but not as
 * configured (WARNING: a fallback), cannot (ERROR). */
enum ehttp_health {
	EHTTP_HEALTH_ERROR = 0,
	EHTTP_HEALTH_OK = 1,
	EHTTP_HEALTH_WARNING = 2,
};
const char *ehttp_health_name(int);	/* "OK" "WARNING" "ERROR" */
struct ehttp_serving {
	enum ehttp_serve_state	 state;
	enum ehttp_health	 health;	/* of the configuration alone */
	int			 needs_tls;	/* should serve TLS */
	int			 has_cert;
	struct db_cert		 cert;		/* to serve (has_cert) */
	int			 root_blocked;	/* its issuing root is */
	int			 can_fall_back;	/* issuing a site-issued
						   certificate would fix it */
	char			 state_text[64];
	char			 reason[1024];	/* one sentence */
};
int	 ehttp_system_serving(struct ehttp *, int64_t system_id,
	    struct ehttp_serving *);
/* ehttp_system_serving() of every site system of a site (0: all), in the
 * order of ehttp_system_list(), with its roles (in ehttp_role_list()'s
 * order), read in one snapshot with a few queries however many systems
 * there are. With roles NULL the rows have none; else *roles is the array
 * they point into: free it after the rows. */
struct ehttp_serving_row {
	struct db_system	 sys;
	struct ehttp_serving	 sv;
	const struct db_role	*roles;
	size_t			 nroles;
};
int	 ehttp_serving_list(struct ehttp *, int64_t site_id,
	    struct ehttp_serving_row **, size_t *, struct db_role **roles);
/*
 * What an agent's last report means, decided here for the CLI, the
 * console and the site server alike. Current: it serves what
 * ehttp_system_serving() says (the same certificate, or no TLS when there
 * is none to serve); else it picks the change up at its next poll.
 * Silent: no report of any kind (bind or health check) for more than two
 * of its polls (at least EHTTP_AGENT_SILENT_MIN_S seconds), or for
 * EHTTP_AGENT_SILENT_S when its poll interval is not known.
 */
#define EHTTP_AGENT_SILENT_S	300
#define EHTTP_AGENT_SILENT_MIN_S 10
int	 ehttp_agent_current(const struct ehttp_serving *,
	    const struct db_agent *);
int	 ehttp_agent_silent(const struct db_agent *, time_t now);
/* The seconds without a report after which the agent is silent. */
time_t	 ehttp_agent_silent_after(const struct db_agent *);
/* Certificates are renewed, and shown as expiring, when this many days of
 * their validity are left. */
#define EHTTP_RENEW_DAYS	30
int	 ehttp_cert_expiring(const struct db_cert *, time_t now);
/* "valid", "expired" or "not yet valid" at now. */
const char *ehttp_cert_validity(const struct db_cert *, time_t now);
/* The state to show: the stored one ("active", "superseded", "revoked"),
 * except that an active certificate outside its validity is "expired" or
 * "not yet valid". */
const char *ehttp_cert_state(const struct db_cert *, time_t now);
/* Can this certificate be renewed? Only the one in use, never a PKI
 * certificate, nor a role certificate under a blocked SMS Issuing: 1 yes,
 * 0 no (ehttp_error() says why), -1 error. */
int	 ehttp_cert_renewable(struct ehttp *, const struct db_cert *);
/* Bring a site's certificates in line with its settings now (the agent:
 * a PKI certificate expired and a site-issued one can take over). */
int	 ehttp_site_reconcile(struct ehttp *, int64_t site_id);

/* DER bytes; lists come with their own free. */
struct ehttp_der {
	unsigned char	*data;
	size_t		 len;
};
void	 ehttp_der_list_free(struct ehttp_der *, size_t);
/*
 * The trust store of every verification of a site's certificates (the
 * console's Certification Path, `cert show`, the agent's health check):
 * the site's SMS Issuing roots that are not blocked (current and
 * superseded) and the site's trusted root CAs.
 */
int	 ehttp_trust_anchors(struct ehttp *, int64_t site_id,
	    struct ehttp_der **, size_t *);
/*
 * Is this certificate OK? Not blocked, active, its issuers in the inventory
 * not blocked, and its chain verifies against ehttp_trust_anchors() (for a
 * site system's certificate: as a TLS server for its FQDN). 1 OK, 0 not
 * (why: one sentence, shown as is), -1 error (ehttp_error()).
 */
int	 ehttp_cert_verify(struct ehttp *, const struct db_cert *, char *why,
	    size_t);

/* What the agents report (ehttp-mpd). */
int	 ehttp_agent_list(struct ehttp *, int64_t site_id, struct db_agent **,
	    size_t *);
/* 1 found, 0 the system has no agent report yet, -1 error. */
int	 ehttp_agent_get(struct ehttp *, int64_t system_id, struct db_agent *);

/*
 * The agents' own database logins (agent-login.c; README "Database
 * roles"): on PostgreSQL one role per system's agent, with an agent's
 * privileges only. SQLite has none (supported: 0).
 */
#define EHTTP_LOGIN_PASSWORD_NEW	32	/* hex digits of a new one */
#define EHTTP_LOGIN_PASSWORD_MIN	16
#define EHTTP_LOGIN_PASSWORD_MAX	256	/* exclusive */
struct ehttp_agent_grant {
	char	 role[64];
	char	 password[EHTTP_LOGIN_PASSWORD_NEW + 1];	/* the one
					   made; "" when one was given */
};
int	 ehttp_logins_supported(struct ehttp *);
/* fqdn's agent gets its login, with password (NULL: a new random one, in
 * g->password): 0, or -1 (a system that has one already is refused). */
int	 ehttp_agent_login_grant(struct ehttp *, const char *fqdn,
	    const char *password, struct ehttp_agent_grant *g);
/* The login of system_id's agent can no longer log in (kept, without a
 * password) and its open sessions are ended: 1, 0 it had none (always 0
 * on SQLite), -1 error. Notes say what was done. */
int	 ehttp_agent_login_revoke(struct ehttp *, int64_t system_id);
int	 ehttp_agent_login_list(struct ehttp *, struct db_agent_login **,
	    size_t *);

/*
 * Administrators' own database logins (agent-login.c): a role named name
 * (letters, digits, _; not ehttp_ nor pg_), a member of the full group
 * (reads and changes what ehttpctl and the console do) or, with
 * read_only, of the read-only group (reads all but the keys). grant makes
 * it or gives an existing plain role a new password and that access;
 * password NULL makes a random one (in g->password). revoke: it can no
 * longer log in, leaves the groups, its sessions are ended (a name that is
 * no administrator's login is an error). Run as the database's owner.
 */
int	 ehttp_admin_login_grant(struct ehttp *, const char *name,
	    int read_only, const char *password, struct ehttp_agent_grant *g);
int	 ehttp_admin_login_revoke(struct ehttp *, const char *name);
/* Every administrator's login, by name. */
int	 ehttp_admin_login_list(struct ehttp *, struct db_admin_login **,
	    size_t *);

/*
 * The administration service's bearer tokens (admintoken.c). A token is
 * "ehttp_" and 43 base64url characters (256 random bits), shown once at
 * its making; only its SHA-256 is stored. name: 1 to 48 of A-Z a-z 0-9 .
 * _ -, unique; access read-only (reads) or full (reads and changes); it
 * ends after days (1 to EHTTP_ADMIN_TOKEN_DAYS_MAX). Making and revoking
 * are audited.
 */
#define EHTTP_ADMIN_TOKEN_LEN		49
#define EHTTP_ADMIN_TOKEN_DAYS		90
#define EHTTP_ADMIN_TOKEN_DAYS_MAX	3650
int	 ehttp_admin_token_new(struct ehttp *, const char *name, int read_only,
	    int days, char token[EHTTP_ADMIN_TOKEN_LEN + 1],
	    struct db_admin_token *);
/* 1 revoked, -1 no such token (said) or error. */
int	 ehttp_admin_token_revoke(struct ehttp *, const char *name);
int	 ehttp_admin_token_list(struct ehttp *, struct db_admin_token **,
	    size_t *);
/* The token a request carries, checked at now: 1 valid (t filled), 0
 * refused (ehttp_error() says why: malformed, unknown, expired), -1 a
 * database error. Never the token itself in a message. */
int	 ehttp_admin_token_check(struct ehttp *, const char *token, time_t now,
	    struct db_admin_token *t);
/* An audit record (and status message) of what the administration service
 * refused: user is who asked ("NAME (AdminService)"). */
int	 ehttp_audit_refusal(struct ehttp *, const char *user,
	    const char *action, const char *object, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/*
 * The site server (ehttp-sited; sitepass.c). Each pass renews every SMS
 * Role SSL Certificate whose site's renewal window is open (days before
 * its end, EHTTP_RENEW_DAYS unless set), issues to systems that should
 * have one and do not (an earlier failure is retried), rolls a site's SMS
 * Issuing over EHTTP_ROOT_RENEW_DAYS before its end (twice the life of a
 * role certificate, so every certificate a root signs ends before it; the
 * old root stays trusted and handed out while what it signed is in use),
 * and announces once each what it cannot fix: an agent silent for more
 * than two polls, and certificates in use that end within 30 days (PKI
 * certificates, a blocked root, a renewal that fails) at 30, 7 and 1 days
 * (warnings) and once expired (an error).
 */
#define EHTTP_RENEW_DAYS_MAX	180	/* cli.c says "1 to 180" */
#define EHTTP_ROOT_RENEW_DAYS	730
int	 ehttp_site_renew_days(struct ehttp *, int64_t site_id, int *days);
int	 ehttp_site_set_renew_days(struct ehttp *, int64_t site_id, int days);

/* A certificate in use that ends within 30 days and that the site server
 * does not renew (the Overview's warnings, the pass's notices). */
struct ehttp_alert {
	struct db_cert	 cert;
	int		 level;		/* 30, 7, 1 (days); 0: expired */
	int		 days_left;	/* whole days; negative: expired */
	char		 text[1280];	/* one or two sentences */
};
/* site_id 0: all sites; soonest first; free() the array. */
int	 ehttp_expiry_alerts(struct ehttp *, int64_t site_id,
	    struct ehttp_alert **, size_t *);
/*
 * The same a page at a time (the console lists them after its first
 * screen): each call reads up to max certificates (0: 256) after the last
 * one read and gives the alerts among them (free() the array). Returns 1
 * while more may follow, 0 at the end (this call's alerts included), -1
 * on error (ehttp_error). A site's facts are read once per walk.
 */
struct ehttp_alert_walk;
struct ehttp_alert_walk *ehttp_alert_walk_new(struct ehttp *, int64_t site_id);
int	 ehttp_alert_walk_next(struct ehttp_alert_walk *, size_t max,
	    struct ehttp_alert **, size_t *);
void	 ehttp_alert_walk_free(struct ehttp_alert_walk *);

/* What a pass says, as CMTrace types (1 info, 2 warning, 3 error). */
enum { EHTTP_SAY_INFO = 1, EHTTP_SAY_WARNING = 2, EHTTP_SAY_ERROR = 3 };
struct ehttp_pass_opts {
	const char	*host;		/* who runs it (recorded) */
	int		 pid;
	int		 interval;	/* seconds to the next pass; 0 none */
	void		(*say)(int type, const char *text, void *arg);
	void		*arg;
};
/*
 * One pass; the progress function (ehttp_set_progress) can stop it: the
 * site at hand is left as it was and the pass ends. 0, or -1 when a site
 * or the notices failed (the pass still went on; ehttp_error()). rec:
 * what it did (also recorded in the database).
 */
int	 ehttp_pass_run(struct ehttp *, const struct ehttp_pass_opts *,
	    struct db_pass *rec);
/*
 * The site server as the console shows it, from its newest pass: 0 with
 * health (OK; WARNING: no pass yet, a pass overdue by more than a minute
 * or none planned, a pass with failures) and one sentence; -1 error.
 */
int	 ehttp_pass_state(struct ehttp *, struct db_pass *, int *health,
	    char *text, size_t len);

#endif
