/* Backend internals shared by its modules (not for tui/). */
#ifndef EHTTP_INT_H
#define EHTTP_INT_H

#include "db.h"
#include "ehttp.h"

#define EHTTP_MAX_NOTES	256

struct ehttp {
	struct db		*db;
	int			 flags;
	char			 err[1024];
	char			 user[64];	/* "": looked up when needed */
	char			*master_path;
	char			*db_target;	/* --db as given (no display) */
	char			*content_root;	/* NULL: the default (content.h) */
	char			*content_default;	/* the default, made once */
	char			 master[65];	/* loaded on first need */
	int			 master_loaded;
	struct ehttp_note	 notes[EHTTP_MAX_NOTES];
	size_t			 nnotes;
	ehttp_progress_fn	 progress;
	void			*progress_arg;
	int			 cancelled;	/* progress asked to stop */
	int64_t			 data_version;	/* ehttp_changed(); 0: none */
	unsigned		 threads;
	struct issue_pool	*pool;		/* certificates signed ahead */
	size_t			 issued;	/* role certificates issued, */
	size_t			 issue_failed;	/* and failed (issue.c counts) */
	struct ca_enroll	*enroll;	/* an enrolled agent's (enroll.c) */
	char			 enroll_fqdn[256];
};

struct ca_enroll;
struct ca_blob;

/* enroll.c: the private key of c as this program may read it (an
 * enrolled agent: the copy sealed to it, *master ca_plain; else the stored
 * one, *master the master key); 1, 0 none (said), -1. keys_seal: in a
 * write transaction, the site's approved agents get the keys they serve
 * sealed to them, copies of keys no longer served go. */
int	 ehttp_serving_key(struct ehttp *, const struct db_cert *,
	    struct ca_blob *, const char **master);
int	 ehttp_keys_seal(struct ehttp *, int64_t site_id);
/* cert.c: renew certificate id in the caller's write transaction. */
int	 ehttp_cert_renew_locked(struct ehttp *, int64_t id);

/* The database handle, for the backend's own modules only. */
struct db *ehttp_db(struct ehttp *);
/* Copy the db error into the handle; returns -1. */
int	 ehttp_fail_db(struct ehttp *);
void	 ehttp_note(struct ehttp *, enum ehttp_note_kind, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	 ehttp_notes_clear(struct ehttp *);
/* Audit + status message in the current transaction. */
int	 ehttp_record(struct ehttp *, int64_t site_id, const char *severity,
	    const char *action, const char *object, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
/* The master key (hex passphrase); loads or creates it. */
const char *ehttp_master(struct ehttp *, int create);
/* A small (<= 1 MiB) regular file, NUL-terminated; what names it in
 * messages. cert.c. */
int	 ehttp_read_pem(struct ehttp *, const char *what, const char *path,
	    char **buf, size_t *len);
/* A lookup's result (1 found, 0 not found, -1 the database failed),
 * returned as it is with the handle's message set for the two failures:
 * fmt for 0, the database's own for -1; a database error is never
 * reported as "not found" (model.c). */
int	 ehttp_found(struct ehttp *, int rc, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* A site, site system or certificate (pending ones too) by id: 0, or -1
 * with "no such ..." (it is gone) or the database's error, never one for
 * the other (model.c, cert.c). */
int	 ehttp_site_by_id(struct ehttp *, int64_t, struct db_site *);
int	 ehttp_system_by_id(struct ehttp *, int64_t, struct db_system *);
int	 ehttp_cert_by_id(struct ehttp *, int64_t, struct db_cert *);
/* Begin/commit/rollback around a write operation. */
int	 ehttp_begin(struct ehttp *);
int	 ehttp_commit(struct ehttp *);
void	 ehttp_rollback(struct ehttp *);
/* End what ehttp_begin() began as the work in it went: rc 0 commits, -1
 * rolls back; 0 or -1 (model.c). */
int	 ehttp_end(struct ehttp *, int rc);
/* agent-login.c: in a write transaction, the login of system_id's agent
 * disabled and its row removed (its name into role): 1, 0 it had none
 * (always on SQLite), -1. After the commit, agent_login_end_sessions()
 * ends its sessions (notes say how many). */
int	 agent_login_revoke_locked(struct ehttp *, int64_t system_id,
	    char *role, size_t len);
void	 agent_login_end_sessions(struct ehttp *, const char *role);

/*
 * issue.c: certificates signed ahead of the transaction that records them.
 * issue_prepare() commits pending rows, then signs without holding the
 * write lock; issue_reconcile() in the following transaction completes
 * them; issue_finish() drops what was not used. issue_prepare_renew() does
 * the same for renewing a site's SMS Issuing: a new root and every
 * certificate under it (role certificates, SMS Token Signing).
 */
struct issue_pool;
int	 issue_prepare(struct ehttp *, int64_t site_id,
	    const struct db_security *after);
int	 issue_prepare_renew(struct ehttp *, int64_t site_id);
/* The same for renewing the site's SMS Token Signing. */
int	 issue_prepare_renew_token(struct ehttp *, int64_t site_id);
/* What is due now (renewal windows open, systems without one). */
int	 issue_prepare_due(struct ehttp *, int64_t site_id);
void	 issue_finish(struct ehttp *, int failed);
/* Drop the pending rows of issuances whose process is gone (this one
 * counts as gone), if the write lock is free now: an open or the end of
 * an issuance never waits for another program's write (the next one drops
 * them). 0 dropped or busy, -1 error (db_error()). */
int	 issue_drop_pending(struct ehttp *);

/* issue.c: bring the site's certificates in line with its settings.
 * Called inside a transaction after any change that can matter. */
int	 issue_reconcile(struct ehttp *, int64_t site_id);
/* Notes on enabling: roles that stay HTTP, systems that keep PKI. */
void	 issue_explain(struct ehttp *, const struct db_site *);
/* What reconciling the site s (its settings as they would be) would do;
 * renew: a new SMS Issuing and a new certificate for every system. */
int	 issue_plan(struct ehttp *, const struct db_site *, int renew,
	    struct ehttp_plan *);

/* "2026-12-04" in UTC, for messages; returns buf (issue.c). */
const char	*ehttp_day(time_t, char *, size_t);

#endif
