/* db/pg: the PostgreSQL engine's SQL (its schema, its statement overrides). */
#ifndef PG_SQL_H
#define PG_SQL_H

#include <stddef.h>

#include "db-int.h"

/*
 * The schema version pg_schema creates: a PostgreSQL database never existed
 * at an older one, so it is made at this version in one step; the
 * migrations after it run on both engines (pg_migrations: in PostgreSQL's
 * words where db.c's are SQLite's).
 */
#define PG_SCHEMA_VERSION	11

/* The statements that create the schema, in order, one statement each (the
 * last writes PG_SCHEMA_VERSION into ehttp_schema), then NULL. Run in one
 * transaction. */
extern const char *const pg_schema[];
/* Migrations from PG_SCHEMA_VERSION on (db_engine.migrations). */
extern const char *const pg_migrations[DB_SCHEMA_VERSION];

/* Per statement, PostgreSQL's text where the common one (stmt_sql[]) cannot
 * be written for both engines; NULL: the common text is used. */
extern const char *const pg_stmt_sql[ST_MAX];

/* The agents' group of this database, as SQL makes its name. */
#define AGENT_G "(SELECT 'ehttp_agent_d' || oid FROM pg_catalog.pg_database" \
	" WHERE datname = current_database())"

/* The agent's own system and site, as a policy reads them. */
#define OWN_SYSTEM "(SELECT l.system_id FROM agent_login l WHERE" \
	" l.role = current_user)"
#define OWN_SITE "(SELECT y.site_id FROM site_system y JOIN agent_login l" \
	" ON l.system_id = y.id WHERE l.role = current_user)"

/* What an agent's login may write of status_message: its columns, and the
 * policy's check (text for a literal: quotes doubled). A message is its
 * own system's, of its own site or none, in the agents' component: so none
 * passes for the site server's or for another system's agent. Used by the
 * grant (pg-login.c) and by migration 14 (pg-schema.c). */
#define PG_AGENT_STATUS_COLS "time, site_id, severity, component, message," \
	" system_id"
#define PG_AGENT_STATUS_CHECK "(site_id IS NULL OR site_id = " OWN_SITE \
	") AND system_id = " OWN_SYSTEM " AND component = ''" \
	DB_AGENT_COMPONENT "''"

/* The agents' logins (pg-login.c; db_engine.logins with pg-engine.c's
 * verifier). */
extern const char *const pg_login_sql[DB_LOGIN_MAX];

#endif
