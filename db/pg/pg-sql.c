/*
 * pg-sql: PostgreSQL's text of the statements that cannot be written in
 * the common dialect of stmt_sql[] (db.c) with the same meaning on both
 * engines. Everything else runs as the common table has it (?N rewritten to
 * $N). tests/pg-dialect.py PREPAREs every statement the engine would run
 * and says when an override is no longer needed.
 */
#include "pg-sql.h"

const char *const pg_stmt_sql[ST_MAX] = {
	/* INDEXED BY (which makes SQLite refuse the statement rather than
	 * scan the certificates if the partial index were gone) is
	 * SQLite's; PostgreSQL plans with cert_pending by itself. */
	[ST_CERT_PENDING_PIDS] = "SELECT DISTINCT pending_pid FROM cert"
	    " WHERE state = 'pending'",
	/* COLLATE NOCASE (ASCII letters folded) has no PostgreSQL name.
	 * lower() folds only ASCII letters under the "C" collation, as
	 * SQLite's lower() does; the column is "C" already, the parameter
	 * must be made so (lower() of it would otherwise fold by the
	 * database's locale), and SQLite has no collation "C". No index
	 * serves either form: the clients are scanned on both. */
	[ST_CLIENT_GET_NAME] = "SELECT " DB_CLIENT_COLS
	    " WHERE lower(c.name) = lower(?1 COLLATE \"C\")"
	    " ORDER BY c.id LIMIT 2",
};
