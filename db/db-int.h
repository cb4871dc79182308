/* db internals: the handle and the prepared statement table. */
#ifndef DB_INT_H
#define DB_INT_H

#include <sqlite3.h>

#include "db.h"

enum db_stmt {
	ST_SITE_INSERT, ST_SEC_INSERT, ST_SITE_GET, ST_SITE_GET_ID, ST_SITE_LIST,
	ST_SITE_CHILDREN, ST_SEC_UPDATE,
	ST_SYS_INSERT, ST_SYS_GET, ST_SYS_GET_ID, ST_SYS_LIST, ST_SYS_DELETE,
	ST_ROLE_INSERT, ST_ROLE_GET, ST_ROLE_UPDATE, ST_ROLE_DELETE, ST_ROLE_LIST,
	ST_STATUS_INSERT, ST_STATUS_LIST, ST_AUDIT_INSERT, ST_AUDIT_LIST,
	ST_CERT_INSERT, ST_CERT_COMPLETE, ST_CERT_GET, ST_CERT_GET_TP,
	ST_CERT_DER_INSERT, ST_CERT_DER_GET, ST_KEY_INSERT, ST_KEY_GET,
	ST_CERT_SET_STATE, ST_CERT_SET_BLOCKED, ST_CERT_SERIAL, ST_CERT_ROOT,
	ST_CERT_FOR_SYSTEM, ST_CERT_ACTIVE, ST_CERT_RETIRE_SITE, ST_CERT_RETIRE_SYSTEM,
	ST_CERT_PENDING_PIDS, ST_CERT_DROP_PENDING, ST_CERT_ORPHAN_CERTS, ST_CERT_ORPHAN_KEYS,
	ST_KEY_SAMPLE,
	ST_AGENT_UPSERT, ST_AGENT_HEALTH, ST_AGENT_GET, ST_AGENT_LIST,
	ST_CHAIN_INSERT, ST_CHAIN_LIST,
	ST_TRUST_INSERT, ST_TRUST_LIST, ST_TRUST_DER, ST_TRUST_DELETE,
	ST_MAX
};

struct db {
	sqlite3		*h;
	char		*path;
	char		 err[512];
	sqlite3_stmt	*st[ST_MAX];
};

/* Record sqlite's message for the handle; returns -1. */
int		 db_fail(struct db *, const char *what);
int		 db_failf(struct db *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* The prepared statement, reset and with bindings cleared. */
sqlite3_stmt	*db_stmt(struct db *, enum db_stmt);
/* Run a statement that returns no rows; -1 on error. */
int		 db_step_done(struct db *, sqlite3_stmt *, const char *what);
void		 db_copy_text(char *, size_t, sqlite3_stmt *, int col);

#endif
