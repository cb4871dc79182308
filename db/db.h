/*
 * db: the site database. The typed functions below are engine-neutral
 * (the .c files of db/, over the statement interface of db-engine.h); the
 * engine is chosen by db_open() from the target: today always an SQLite file
 * (db/sqlite/: opened with explicit flags, WAL, synchronous=FULL, foreign
 * keys and a busy timeout; the only code that includes SQLite's header).
 * Callers see plain structs with copied strings (db-types.h, the records,
 * which the programs may see without this).
 *
 * Functions return 0 on success and -1 on failure with the message in
 * db_error(); lookups return 1 found / 0 not found / -1 error.
 */
#ifndef DB_H
#define DB_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "db-types.h"

struct db;

#define DB_SCHEMA_VERSION	14

enum db_open_flags {
	DB_OPEN_CREATE   = 0x1,	/* create the file (and its directory) if absent */
	DB_OPEN_READONLY = 0x2,
};

struct db	*db_open(const char *path, int flags, char **cause);
void		 db_close(struct db *);
const char	*db_error(const struct db *);
/* The target as it may be shown: a file's path, or a PostgreSQL server's
 * postgresql://user@host:port/dbname (never a password). */
const char	*db_path(const struct db *);
/* Whether a --db target is a SQLite file (else a PostgreSQL connection
 * string: postgresql://..., postgres://... or key=value pairs). */
int		 db_target_is_file(const char *target);
int		 db_user_version(struct db *);
/* A number that changes when another connection has committed. */
int		 db_data_version(struct db *, int64_t *);
/* Is the database sound? SQLite: its own integrity check of every page
 * and index, then every reference (a row written with foreign keys off
 * can point to a row that is not there); PostgreSQL: the server keeps
 * both as rows are written, so there is nothing to find. Each problem, in
 * words, to found(arg, text). 0 checked, -1 the check could not run
 * (db_error()). */
int		 db_check(struct db *, void (*found)(void *, const char *),
		    void *arg);
/* Whether the open file is no longer the one at the database's path (the
 * file was renamed over, e.g. a restore with mv, or deleted): 1 it moved,
 * 0 it did not, -1 cannot tell (db_error()). Asks SQLite about its own
 * descriptor; nothing here opens the file. */
int		 db_file_moved(struct db *);
/* Copy the whole write-ahead log into the database file and empty it
 * (a TRUNCATE checkpoint): 0 done, 1 another connection still reads or
 * writes it (busy; it does not wait), -1 error. Before letting go of a file that was
 * replaced: the log left at the path would otherwise be read as the new
 * file's own. */
int		 db_checkpoint_all(struct db *);

/*
 * A write transaction; one writer at a time (SQLite: BEGIN IMMEDIATE;
 * PostgreSQL: the writers' advisory lock). While another connection
 * writes, it waits up to DB_WAIT_MS, trying again, and calls the waiting
 * function (db_set_waiting) as it goes. 0, or -1: db_error() says
 * "another program has been writing to the site database for 10 s" or
 * that the waiting function stopped the wait.
 */
#define DB_WAIT_MS	10000
int		 db_begin(struct db *);
/* A write transaction if the write lock is free now: 0 began, 1 another
 * connection is writing (nothing begun; it did not wait), -1 error. For
 * an event loop, which must not stop for another program's write. */
int		 db_begin_try(struct db *);
/* Called while db_begin() waits (every 250 ms) with the milliseconds
 * waited so far: nonzero stops the
 * wait (the user cancelled); then once with -1 when the wait is over,
 * whichever way (its return ignored). NULL: none. */
typedef int	(*db_waiting_fn)(void *arg, long waited_ms);
void		 db_set_waiting(struct db *, db_waiting_fn, void *arg);
/* Whether the last db_begin() failed because another program was writing
 * (it waited DB_WAIT_MS, or its waiting function stopped it). */
int		 db_gave_up(const struct db *);
/* A read transaction: one snapshot for several SELECTs. 1 if it began one
 * (end it with db_rollback()), 0 if already in a transaction, -1 error. */
int		 db_begin_read(struct db *);
int		 db_commit(struct db *);
void		 db_rollback(struct db *);

/* Sites and their Communication Security settings. */
int	 db_site_insert(struct db *, struct db_site *);	/* sets id */
int	 db_site_get(struct db *, const char *code, struct db_site *);
int	 db_site_get_id(struct db *, int64_t, struct db_site *);
int	 db_site_list(struct db *, struct db_site **, size_t *);
int	 db_site_set_security(struct db *, int64_t id, const struct db_security *);

/* Site systems (servers). */
int	 db_system_insert(struct db *, struct db_system *);
int	 db_system_get(struct db *, const char *fqdn, struct db_system *);
int	 db_system_get_id(struct db *, int64_t, struct db_system *);
/* site_id 0: all sites. Sorted by site code, then FQDN. */
int	 db_system_list(struct db *, int64_t site_id, struct db_system **, size_t *);
int	 db_system_delete(struct db *, int64_t id);

/* Site system roles. connection is "" for roles without one;
 * allow_anonymous is -1 for roles other than dp. */
int	 db_role_insert(struct db *, struct db_role *);
int	 db_role_get(struct db *, int64_t system_id, const char *role, struct db_role *);
int	 db_role_update(struct db *, const struct db_role *);
int	 db_role_delete(struct db *, int64_t id);
/* system_id != 0: that system's roles; else site_id != 0: that site's; else all. */
int	 db_role_list(struct db *, int64_t site_id, int64_t system_id,
	    struct db_role **, size_t *);

/* Status messages (newest first) and the audit trail. */
/* system_id: the site system whose agent writes (0: none). */
int	 db_status_add(struct db *, int64_t site_id, int64_t system_id,
	    const char *severity, const char *component, const char *message);
/* Of site_id (0: every site), or those system_id's agent wrote (0: any
 * writer); limit 0: all. */
int	 db_status_list(struct db *, int64_t site_id, int64_t system_id,
	    size_t limit, struct db_status **, size_t *);

int	 db_audit_add(struct db *, const char *user, const char *action,
	    const char *object, const char *detail);
int	 db_audit_list(struct db *, size_t limit, struct db_audit **, size_t *);

/*
 * Certificates: SMS Issuing roots, SMS Role SSL Certificates, SMS Token
 * Signing certificates and imported PKI certificates. The DER and the encrypted key live in their own
 * tables; lists never load them.
 */

/* Inserts the row, its DER and (if key != NULL) its encrypted key. */
int	 db_cert_insert(struct db *, struct db_cert *, const unsigned char *der,
	    size_t der_len, const unsigned char *key, size_t key_len);
/* Fill a pending row (made by db_cert_insert with der NULL). */
int	 db_cert_complete(struct db *, struct db_cert *, const unsigned char *der,
	    size_t der_len, const unsigned char *key, size_t key_len);
int	 db_cert_get(struct db *, int64_t id, struct db_cert *);
int	 db_cert_get_thumbprint(struct db *, const char *, struct db_cert *);
int	 db_cert_der(struct db *, int64_t id, unsigned char **, size_t *);
int	 db_cert_key(struct db *, int64_t id, unsigned char **, size_t *);
int	 db_cert_set_state(struct db *, int64_t id, const char *state);
int	 db_cert_set_blocked(struct db *, int64_t id, int blocked);
/* The site's current certificate of a type one per site ("root": SMS
 * Issuing, "token": SMS Token Signing): the newest active one, blocked or
 * not. */
int	 db_cert_site_current(struct db *, int64_t site_id, const char *type,
	    struct db_cert *);
/* The site's current SMS Issuing (type root, state active). */
int	 db_cert_current_root(struct db *, int64_t site_id, struct db_cert *);
/* The newest active certificate of a type ("role", "pki") of a system,
 * blocked or not. */
int	 db_cert_active(struct db *, int64_t system_id, const char *type,
	    struct db_cert *);
/* db_cert_active() of both types for every system of a site (0: all), in
 * one query: at most two per system, ordered by system and type. */
int	 db_cert_serving(struct db *, int64_t site_id, struct db_cert **,
	    size_t *);
/* Set every active role certificate of the site, or every active role
 * and PKI certificate of one system, to state. */
int	 db_cert_retire_roles(struct db *, int64_t site_id, int64_t system_id,
	    const char *state, size_t *changed);
/*
 * Pending rows are written (and committed) before signing, with the pid of
 * the issuing process. db_cert_drop_pending() deletes the pending rows of
 * processes that no longer run: an issuance that was interrupted.
 */
int	 db_cert_drop_pending(struct db *, size_t *dropped);
/* Whether there are such rows to drop: 1, 0, or -1 (a read only). */
int	 db_cert_pending_dead(struct db *);
/* Keyset paging: after == NULL for the first page. */
int	 db_cert_page(struct db *, const struct db_cert_filter *,
	    enum db_cert_sort, int desc, const struct db_cert *after,
	    size_t limit, struct db_cert **, size_t *);
int	 db_cert_count(struct db *, const struct db_cert_filter *, size_t *);
/* How many stored keys (with their certificate) there are, and the newest
 * one's certificate id (to check a master key against): 1 if any, 0 if
 * none, -1 error. */
int	 db_cert_key_sample(struct db *, size_t *count, int64_t *cert_id);
/* Rows without key / keys without row (must both be 0). */
int	 db_cert_orphans(struct db *, size_t *certs_without_key,
	    size_t *keys_without_cert);

/* DER blobs (certificate chains, trust stores); db_blobs_free() frees. */

/* The intermediate CA certificates a (PKI) certificate is served with,
 * its issuer first: stored with the certificate, in order. */
int	 db_cert_chain_add(struct db *, int64_t cert_id, int pos,
	    const unsigned char *der, size_t len);
int	 db_cert_chain(struct db *, int64_t cert_id, struct db_blob **, size_t *);

/* The site's trusted root CAs (Site Properties > Communication Security). */
int	 db_trusted_root_add(struct db *, struct db_trusted_root *,
	    const unsigned char *der, size_t len);	/* sets id */
/* Sorted by subject, then thumbprint. */
int	 db_trusted_root_list(struct db *, int64_t site_id,
	    struct db_trusted_root **, size_t *);
int	 db_trusted_root_ders(struct db *, int64_t site_id, struct db_blob **,
	    size_t *);
/* 1 removed, 0 no such root in the site, -1 error. */
int	 db_trusted_root_delete(struct db *, int64_t site_id,
	    const char *thumbprint);

/* Agent state: what ehttp-mpd has bound and its last health check. */
int	 db_agent_bind(struct db *, const struct db_agent *);
int	 db_agent_health(struct db *, int64_t system_id, time_t, int ok,
	    int status, const char *text);
int	 db_agent_get(struct db *, int64_t system_id, struct db_agent *);
int	 db_agent_list(struct db *, int64_t site_id, struct db_agent **, size_t *);

/*
 * Agents' enrollments (db-enroll.c). put: a request (a new fingerprint
 * clears an approval). get: 1, 0 none, -1. cert: the enrollment
 * certificate's DER (1/0/-1). approve: approved at when by who, if its
 * certificate is still der (1; 0 it changed). del: the enrollment and
 * every key sealed to it.
 */
int	 db_enroll_put(struct db *, int64_t system_id, const unsigned char *der,
	    size_t, const char *fingerprint, const char *host, time_t);
int	 db_enroll_get(struct db *, int64_t system_id, struct db_enroll *);
int	 db_enroll_list(struct db *, struct db_enroll **, size_t *);
int	 db_enroll_cert(struct db *, int64_t system_id, unsigned char **,
	    size_t *);
int	 db_enroll_approve(struct db *, int64_t system_id,
	    const unsigned char *der, size_t, time_t when, const char *who);
int	 db_enroll_delete(struct db *, int64_t system_id);
/*
 * Keys sealed to an agent. get: 1/0/-1. drop: all of a system's. prune:
 * a site's copies of keys no longer active. todo: what a site's approved
 * agents serve and have no copy of.
 */
int	 db_agent_key_put(struct db *, int64_t cert_id, int64_t system_id,
	    const unsigned char *, size_t);
int	 db_agent_key_get(struct db *, int64_t cert_id, int64_t system_id,
	    unsigned char **, size_t *);
int	 db_agent_key_drop(struct db *, int64_t system_id);
int	 db_agent_key_prune(struct db *, int64_t site_id);
int	 db_agent_key_todo(struct db *, int64_t site_id, struct db_seal_todo **,
	    size_t *);

/*
 * The agents' database logins (db-login.c): on PostgreSQL, one LOGIN role
 * per system's agent, a member of one NOLOGIN group role of this database
 * that holds the agents' privileges (db/pg/pg-login.c says which). Names
 * are made by the server from numbers (the database's and the system's
 * ids), never from text. SQLite has no logins: db_login_supported() 0,
 * and the others fail.
 */
int	 db_login_supported(struct db *);
/* The names of the group and of system_id's login (64 bytes each): 1, 0
 * no such system, -1. */
int	 db_login_names(struct db *, int64_t system_id, char *group,
	    char *role);
/* In a write transaction. setup: the group role (made if missing), its
 * privileges and the row-level policies, made again (idempotent). create:
 * the login role with password (sent as its SCRAM verifier, never in
 * clear), made or enabled again, a member of group. disable: the role can
 * no longer log in and leaves the group (nothing when it does not exist). */
int	 db_login_setup(struct db *, const char *group);
int	 db_login_create(struct db *, const char *group, const char *role,
	    const char *password);
int	 db_login_disable(struct db *, const char *group, const char *role);
/* The agent_login row (role, system, created): 1, 0 none, -1. */
int	 db_login_get(struct db *, int64_t system_id, struct db_agent_login *);
int	 db_login_insert(struct db *, const char *role, int64_t system_id,
	    time_t created);
int	 db_login_delete(struct db *, int64_t system_id);
/* Outside a transaction, after the disable committed: end role's
 * sessions (waits up to 5 s for each); *n how many. */
int	 db_login_end_sessions(struct db *, const char *role, size_t *n);
/* Every login, by FQDN, with whether it can log in and its sessions. */
int	 db_login_list(struct db *, struct db_agent_login **, size_t *);

/*
 * The administrators' logins (PostgreSQL): roles of their own names, each
 * a member of the database's full or read-only group (db/pg/pg-login.c
 * says what each may do). names: the two groups' names (64 bytes each).
 * In a write transaction: setup makes both groups, their privileges and
 * policies again; create makes or enables name with password (its SCRAM
 * verifier), a member of group and of no other administrators' group, and
 * refuses a role with more rights, an agent's, the owner's; disable: no
 * login, in neither group. list: every member of either group, by name.
 */
int	 db_admin_names(struct db *, char *full, char *reader);
int	 db_admin_setup(struct db *);
int	 db_admin_create(struct db *, const char *group, const char *name,
	    const char *password);
int	 db_admin_disable(struct db *, const char *name);
int	 db_admin_list(struct db *, struct db_admin_login **, size_t *);

/*
 * The administration service's bearer tokens (db-admin.c): insert sets
 * t->id; get by hash or name: 1, 0 none, -1; list by name; delete: 1, 0
 * no such name, -1.
 */
int	 db_admin_token_insert(struct db *, struct db_admin_token *t);
int	 db_admin_token_by_hash(struct db *, const char *hash,
	    struct db_admin_token *);
int	 db_admin_token_by_name(struct db *, const char *name,
	    struct db_admin_token *);
int	 db_admin_token_list(struct db *, struct db_admin_token **, size_t *);
int	 db_admin_token_delete(struct db *, const char *name);

/*
 * The site server (db-sited.c). A site's renewal window in days (0: not
 * set, the default applies); setting it stores 1 to 180.
 */
int	 db_site_renew_days(struct db *, int64_t site_id, int *days);
int	 db_site_renew_days_set(struct db *, int64_t site_id, int days);
/* A notice given once: 1 recorded now, 0 it was given before, -1 error. */
int	 db_notice_once(struct db *, const char *kind, int64_t object_id,
	    int64_t level, time_t when);
/* Site systems of a site that hold no active site-issued certificate and
 * no PKI certificate that can be served at now (malloc'ed ids). */
int	 db_systems_uncovered(struct db *, int64_t site_id, time_t now,
	    int64_t **ids, size_t *n);
/* The SMS Issuing roots a site hands out (?MPCERT), current first: the
 * current one and superseded ones that signed a certificate still
 * active (a root overlap), none blocked. db_blobs_free() them. */
int	 db_site_roots_out(struct db *, int64_t site_id, struct db_blob **,
	    size_t *);
/* Passes: begin inserts p (p->id set; only the newest 100 are kept),
 * end updates it, last reads the newest (1, or 0 for none). */
int	 db_pass_begin(struct db *, struct db_pass *);
int	 db_pass_end(struct db *, const struct db_pass *);
int	 db_pass_last(struct db *, struct db_pass *);

/*
 * Clients (db-client.c). The hierarchy's id (a UUID made by the schema)
 * and its client approval ("manual" or "auto").
 */
int	 db_hierarchy_get(struct db *, char uuid[40], char approval[8]);
int	 db_hierarchy_set_approval(struct db *, const char *approval);
/* c->id set; registered and last contact are now. */
int	 db_client_insert(struct db *, struct db_client *c,
	    const unsigned char *sign_der, size_t, const unsigned char *enc_der,
	    size_t);
/* 1 found, 0 none, -1 error. by_name: 2 when two clients have the name. */
int	 db_client_get(struct db *, int64_t id, struct db_client *);
int	 db_client_by_smsid(struct db *, const char *, struct db_client *);
int	 db_client_by_thumbprint(struct db *, const char *, struct db_client *);
int	 db_client_by_name(struct db *, const char *, struct db_client *);
/* Clients of a site (0: all) with id > after, by id, at most limit. */
int	 db_client_page(struct db *, int64_t site_id, int64_t after,
	    size_t limit, struct db_client **, size_t *);
/* The same backwards: id < before (0: from the last), nearest first. */
int	 db_client_page_before(struct db *, int64_t site_id, int64_t before,
	    size_t limit, struct db_client **, size_t *);
int	 db_client_count(struct db *, int64_t site_id, size_t *);
int	 db_client_sign_der(struct db *, int64_t id, unsigned char **, size_t *);
/* The SMSIDs of blocked clients (each malloc'ed, and the array). */
int	 db_client_blocked(struct db *, char ***smsids, size_t *);
int	 db_client_seen(struct db *, const char *smsid, time_t);
int	 db_client_set_approved(struct db *, int64_t id, int approved,
	    const char *by);
int	 db_client_set_blocked(struct db *, int64_t id, int blocked);
int	 db_client_delete(struct db *, int64_t id);
/* Bulk registration tokens. get: 1, 0 none, -1. */
int	 db_bulk_token_insert(struct db *, const struct db_bulk_token *);
int	 db_bulk_token_get(struct db *, const char *id, struct db_bulk_token *);
int	 db_bulk_token_list(struct db *, struct db_bulk_token **, size_t *);
int	 db_bulk_token_set_blocked(struct db *, const char *id, int blocked);
int	 db_bulk_token_used(struct db *, const char *id);

/*
 * Packages (db-package.c, issue #15). next_id takes the site's next
 * package id (site code + 5 upper-case hex digits) from its counter, which
 * never goes back: call it in the transaction that inserts the package.
 * -1 also when the site has used all 1,048,575.
 */
int	 db_package_next_id(struct db *, int64_t site_id, const char *code,
	    char id[9]);
int	 db_package_insert(struct db *, const struct db_package *);
/* 1 found, 0 none, -1 error. */
int	 db_package_get(struct db *, const char *id, struct db_package *);
/* site_id 0: all. Sorted by id. */
int	 db_package_list(struct db *, int64_t site_id, struct db_package **,
	    size_t *);
int	 db_package_set_version(struct db *, const char *id, int64_t version,
	    const char *source, time_t updated);
int	 db_package_delete(struct db *, const char *id);
int	 db_package_file_add(struct db *, const char *id, int64_t version,
	    const struct db_package_file *);
/* The files of a version, sorted by path (byte order). */
int	 db_package_files(struct db *, const char *id, int64_t version,
	    struct db_package_file **, size_t *);
/* A package on a distribution point: set (insert or replace), get (1, 0
 * none, -1), the package's (id) or a system's (id NULL, system_id), and
 * delete. */
int	 db_package_dp_set(struct db *, const struct db_package_dp *);
int	 db_package_dp_get(struct db *, const char *id, int64_t system_id,
	    struct db_package_dp *);
int	 db_package_dp_list(struct db *, const char *id, int64_t system_id,
	    struct db_package_dp **, size_t *);
int	 db_package_dp_delete(struct db *, const char *id, int64_t system_id);
/* The packages on a distribution point by id, a page at a time (keyset):
 * ids after after (""; the first), or before before ("": from the last,
 * nearest first); and how many it has. */
int	 db_dp_package_page(struct db *, int64_t system_id, const char *after,
	    size_t limit, struct db_dp_package **, size_t *);
int	 db_dp_package_page_before(struct db *, int64_t system_id,
	    const char *before, size_t limit, struct db_dp_package **,
	    size_t *);
int	 db_dp_package_count(struct db *, int64_t system_id, size_t *);

#endif
