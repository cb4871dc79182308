/*
 * pg-login: the agents' database logins on PostgreSQL (db-login.c runs
 * these; db_engine.logins).
 *
 * One NOLOGIN group role per database, ehttp_agent_d<database oid>, holds
 * what an agent may do; each system's agent logs in as its own role,
 * ehttp_agent_d<database oid>_s<system id>, a member of it. Roles are the
 * cluster's, not the database's: the database's oid in the names keeps
 * the agents of two ehttp databases on one server apart (an agent of one
 * is no member of the other's group). The names are made here from
 * numbers, never from a system's FQDN; the statements that make roles read
 * their names and the password's verifier from transaction-local settings
 * (DB_LOGIN_PARAMS binds them) and quote them with format('%I', '%L').
 *
 * The privileges are those of the agent's statements (db.c's table: what
 * ehttp-mpd reads at a poll, its row, lease and health, its status
 * messages, a management point's client registrations and bulk token
 * counts, an SMS Provider's check of the administration service's tokens) and of its enrollment: SELECT on the tables it reads, INSERT and
 * UPDATE on the columns it writes only; cert_key (the keys encrypted with
 * the site's master key), audit and the site server's tables not at all.
 * Row-level security narrows them to the agent's own system (keyed on
 * agent_login.role = current_user): its agent_key rows, its agent_enroll
 * request (which it cannot change once approved, nor approve), its
 * agent_login row, its agent row (the others' it reads: a management point
 * names the site's distribution points from them); clients and status
 * messages it writes for its own site only. The table owner (the site
 * server, ehttpctl, the console) bypasses row-level security, as owners
 * do unless FORCE is set: it is not set.
 *
 * SETUP runs at every grant: the privileges and policies are made again
 * (REVOKE ALL first), so a grant after an upgrade brings them in line.
 *
 * Administrators (ehttpctl db grant-admin) log in with roles of their own
 * names, each a member of one of two NOLOGIN groups of the database:
 * ehttp_admin_d<oid> may read and change every row (what ehttpctl and the
 * console do), ehttp_reader_d<oid> may read every table but those that
 * hold keys or token hashes (cert_key, agent_key, admin_token). Neither owns anything: changing the
 * schema (an upgrade), making logins and the row-level policies stay with
 * the owner, the login that created the database, which the site server
 * runs as. A role with more rights than that (superuser, CREATEROLE, ...),
 * an agent's, the owner, the login running the grant: refused.
 */
#include "pg-sql.h"

/* The settings DB_LOGIN_PARAMS sets, as the DO blocks read them. */
#define GROUP	"current_setting('ehttp.agent_group')"
#define ROLE	"current_setting('ehttp.agent_role')"


/* Each policy: table, command, USING, WITH CHECK (NULL: none). */
#define POLICIES \
	"ARRAY[" \
	"['agent_login', 'SELECT', 'role = current_user', NULL]," \
	"['agent_key', 'SELECT', 'system_id = " OWN_SYSTEM "', NULL]," \
	"['agent_enroll', 'SELECT', 'system_id = " OWN_SYSTEM "', NULL]," \
	"['agent_enroll', 'INSERT', NULL, 'system_id = " OWN_SYSTEM \
	"  AND approved = 0']," \
	"['agent_enroll', 'UPDATE', 'system_id = " OWN_SYSTEM \
	"  AND approved = 0', 'system_id = " OWN_SYSTEM " AND approved = 0']," \
	"['agent', 'SELECT', 'true', NULL]," \
	"['agent', 'INSERT', NULL, 'system_id = " OWN_SYSTEM "']," \
	"['agent', 'UPDATE', 'system_id = " OWN_SYSTEM "'," \
	"  'system_id = " OWN_SYSTEM "']," \
	"['client', 'SELECT', 'true', NULL]," \
	"['client', 'INSERT', NULL, 'site_id = " OWN_SITE "']," \
	"['client', 'UPDATE', 'site_id = " OWN_SITE "'," \
	"  'site_id = " OWN_SITE "']," \
	"['status_message', 'INSERT', NULL, '" PG_AGENT_STATUS_CHECK "']" \
	"]"

/* The tables an agent reads. */
#define READS \
	"ARRAY['ehttp_schema', 'site', 'site_security', 'site_system'," \
	" 'role', 'cert', 'cert_der', 'cert_chain', 'trusted_root', 'agent'," \
	" 'agent_login', 'agent_enroll', 'agent_key', 'hierarchy', 'client'," \
	" 'bulk_token', 'package', 'package_file', 'package_dp', 'admin_token']"

/* What it writes, column by column. */
#define WRITES \
	"ARRAY[" \
	/* each write transaction counts itself (pg-engine.c's commit) */ \
	"'UPDATE (changes) ON ehttp_schema'," \
	/* its row, lease and health (agent-lease.c) */ \
	"'INSERT (system_id, pid, https_port, http_port, cert_id, thumbprint," \
	" bound_since, updated, host, started, lease_until, poll_s) ON agent'," \
	"'UPDATE (pid, https_port, http_port, cert_id, thumbprint," \
	" bound_since, updated, host, started, lease_until, poll_s," \
	" health_time, health_ok, health_status, health_text) ON agent'," \
	"'INSERT (" PG_AGENT_STATUS_COLS ") ON status_message'," \
	/* a management point's registrations (client.c) */ \
	"'INSERT (smsid, name, site_id, thumbprint, sign_der, enc_der," \
	" approved, approved_by, blocked, registered, last_contact) ON client'," \
	"'UPDATE (last_contact, approved, approved_by) ON client'," \
	"'UPDATE (used) ON bulk_token'," \
	/* its enrollment request (never approved, approved_by) */ \
	"'INSERT (system_id, cert_der, fingerprint, host, requested) ON" \
	" agent_enroll'," \
	"'UPDATE (cert_der, fingerprint, host, requested) ON agent_enroll'" \
	"]"

/* The administrators' groups, as SQL makes their names. */
#define ADMIN_G "(SELECT 'ehttp_admin_d' || oid FROM pg_catalog.pg_database" \
	" WHERE datname = current_database())"
#define READER_G "(SELECT 'ehttp_reader_d' || oid FROM" \
	" pg_catalog.pg_database WHERE datname = current_database())"

/* The tables a read-only administrator does not read. */
#define KEY_TABLES "ARRAY['cert_key', 'agent_key', 'admin_token']"

/* The tables that have row-level security (the agents' SETUP enables it;
 * the administrators' policies let them see every row). */
#define RLS_TABLES "ARRAY['agent_login', 'agent_key', 'agent_enroll'," \
	" 'agent', 'client', 'status_message']"

/*
 * The group g, a NOLOGIN role made when missing, may connect and use the
 * schema s and has nothing of its tables and sequences: what follows
 * grants the rest, afresh at each setup. The DO block declares g and s;
 * sp is its indent there.
 */
#define GROUP_RESET(sp) \
	sp "IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE" \
	sp " rolname = g) THEN" \
	sp " EXECUTE format('CREATE ROLE %I NOLOGIN', g);" \
	sp "END IF;" \
	sp "EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I'," \
	sp " current_database(), g);" \
	sp "EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', s, g);" \
	sp "EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', s," \
	sp " g);" \
	sp "EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %I'," \
	sp " s, g);"

const char *const pg_login_sql[DB_LOGIN_MAX] = {
	[DB_LOGIN_NAMES] =
	"SELECT " AGENT_G ", " AGENT_G " || '_s' || y.id FROM site_system y"
	" WHERE y.id = ?1",

	[DB_LOGIN_PARAMS] =
	"SELECT set_config('ehttp.agent_group', ?1, true),"
	" set_config('ehttp.agent_role', ?2, true),"
	" set_config('ehttp.agent_verifier', ?3, true)",

	[DB_LOGIN_SETUP] =
	"DO $$ DECLARE"
	"  g text := " GROUP ";"
	"  s text := current_schema();"
	"  t text;"
	"  p text[];"
	" BEGIN"
	GROUP_RESET("  ")
	"  FOREACH t IN ARRAY " READS " LOOP"
	"   EXECUTE format('GRANT SELECT ON %I.%I TO %I', s, t, g);"
	"  END LOOP;"
	"  FOREACH t IN ARRAY " WRITES " LOOP"
	"   EXECUTE format('GRANT %s TO %I', t, g);"
	"  END LOOP;"
	"  FOREACH t IN ARRAY " RLS_TABLES " LOOP"
	"   EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', s, t);"
	"  END LOOP;"
	"  FOREACH p SLICE 1 IN ARRAY " POLICIES " LOOP"
	"   EXECUTE format('DROP POLICY IF EXISTS %I ON %I.%I',"
	"    'ehttp_agent_' || lower(p[2]), s, p[1]);"
	"   EXECUTE format('CREATE POLICY %I ON %I.%I FOR %s TO %I',"
	"    'ehttp_agent_' || lower(p[2]), s, p[1], p[2], g) ||"
	"    coalesce(' USING (' || p[3] || ')', '') ||"
	"    coalesce(' WITH CHECK (' || p[4] || ')', '');"
	"  END LOOP;"
	" END $$",

	/* A role of that name with more than an agent's rights is no
	 * agent's: refused, not changed. */
	[DB_LOGIN_CREATE] =
	"DO $$ DECLARE"
	"  g text := " GROUP ";"
	"  r text := " ROLE ";"
	"  v text := current_setting('ehttp.agent_verifier');"
	" BEGIN"
	"  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r AND"
	"   (rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR"
	"   rolbypassrls)) THEN"
	"   RAISE EXCEPTION 'role % has more rights than an agent:"
	" not changed', r;"
	"  END IF;"
	"  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN"
	"   EXECUTE format('ALTER ROLE %I LOGIN INHERIT PASSWORD %L', r, v);"
	"  ELSE"
	"   EXECUTE format('CREATE ROLE %I LOGIN INHERIT PASSWORD %L', r, v);"
	"  END IF;"
	"  EXECUTE format('GRANT %I TO %I', g, r);"
	" END $$",

	[DB_LOGIN_DISABLE] =
	"DO $$ DECLARE"
	"  g text := " GROUP ";"
	"  r text := " ROLE ";"
	" BEGIN"
	"  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN"
	"   EXECUTE format('ALTER ROLE %I NOLOGIN PASSWORD NULL', r);"
	"   IF EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m JOIN"
	"    pg_catalog.pg_roles a ON a.oid = m.roleid JOIN pg_catalog.pg_roles"
	"    b ON b.oid = m.member WHERE a.rolname = g AND b.rolname = r) THEN"
	"    EXECUTE format('REVOKE %I FROM %I', g, r);"
	"   END IF;"
	"  END IF;"
	" END $$",

	/* Each session ended, waiting up to 5 s for it to go. */
	[DB_LOGIN_END_SESSIONS] =
	"SELECT count(*) FILTER (WHERE pg_catalog.pg_terminate_backend(pid,"
	" 5000)) FROM pg_catalog.pg_stat_activity WHERE usename = ?1 AND"
	" pid <> pg_catalog.pg_backend_pid()",

	[DB_ADMIN_NAMES] = "SELECT " ADMIN_G ", " READER_G,

	/* Both groups, made again at every grant. Tables the owner makes
	 * later (an upgrade) are the full group's too (default privileges
	 * for the owner, whoever grants); the read-only group gets them at
	 * the next grant. A role of a group's name that can log in, has more
	 * rights or is a member of anything is no group of ehttp's: refused.
	 * The audit trail is append-only for administrators; of
	 * ehttp_schema they count changes only. */
	[DB_ADMIN_SETUP] =
	"DO $$ DECLARE"
	"  a text := " ADMIN_G ";"
	"  r text := " READER_G ";"
	"  s text := current_schema();"
	"  o text := (SELECT tableowner FROM pg_catalog.pg_tables WHERE"
	"   schemaname = current_schema() AND tablename = 'ehttp_schema');"
	"  g text;"
	"  t text;"
	" BEGIN"
	"  FOREACH g IN ARRAY ARRAY[a, r] LOOP"
	"   IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles x WHERE rolname = g"
	"    AND (rolcanlogin OR rolsuper OR rolcreaterole OR rolcreatedb OR"
	"    rolreplication OR rolbypassrls OR EXISTS (SELECT 1 FROM"
	"    pg_catalog.pg_auth_members m WHERE m.member = x.oid))) THEN"
	"    RAISE EXCEPTION 'role % is not the group ehttp made (it can log in,"
	" has more rights or is a member of another role): not changed', g;"
	"   END IF;"
	GROUP_RESET("   ")
	"  END LOOP;"
	"  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES"
	" IN SCHEMA %I TO %I', s, a);"
	"  EXECUTE format('REVOKE UPDATE, DELETE ON %I.audit FROM %I', s, a);"
	"  EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON %I.ehttp_schema"
	" FROM %I', s, a);"
	"  EXECUTE format('GRANT UPDATE (changes) ON %I.ehttp_schema TO %I', s,"
	"   a);"
	"  EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN"
	" SCHEMA %I TO %I', s, a);"
	"  EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I"
	" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', o, s, a);"
	"  EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I"
	" GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO %I', o, s, a);"
	"  EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %I', s,"
	"   r);"
	"  FOREACH t IN ARRAY " KEY_TABLES " LOOP"
	"   EXECUTE format('REVOKE ALL ON %I.%I FROM %I', s, t, r);"
	"  END LOOP;"
	"  FOREACH t IN ARRAY " RLS_TABLES " LOOP"
	"   EXECUTE format('DROP POLICY IF EXISTS ehttp_admin_all ON %I.%I', s,"
	"    t);"
	"   EXECUTE format('CREATE POLICY ehttp_admin_all ON %I.%I FOR ALL TO"
	" %I USING (true) WITH CHECK (true)', s, t, a);"
	"   EXECUTE format('DROP POLICY IF EXISTS ehttp_reader_select ON"
	" %I.%I', s, t);"
	"   EXECUTE format('CREATE POLICY ehttp_reader_select ON %I.%I FOR"
	" SELECT TO %I USING (true)', s, t, r);"
	"  END LOOP;"
	" END $$",

	/* The role ?2 a member of group ?1 and of no other role. A role
	 * that exists is changed only when it is an administrator's login
	 * already (a member of either group): any other is someone else's. */
	[DB_ADMIN_CREATE] =
	"DO $$ DECLARE"
	"  g text := " GROUP ";"
	"  r text := " ROLE ";"
	"  v text := current_setting('ehttp.agent_verifier');"
	"  a text := " ADMIN_G ";"
	"  d text := " READER_G ";"
	"  other text;"
	" BEGIN"
	"  IF r = current_user OR r = session_user THEN"
	"   RAISE EXCEPTION 'role % is the login running this: not changed',"
	"    r;"
	"  END IF;"
	"  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r AND"
	"   (rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR"
	"   rolbypassrls)) THEN"
	"   RAISE EXCEPTION 'role % has more rights than an administrator of"
	" ehttp: not changed', r;"
	"  END IF;"
	"  IF EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE tableowner = r"
	"   AND schemaname = current_schema()) THEN"
	"   RAISE EXCEPTION 'role % owns the site database (it has every right"
	" already): not changed', r;"
	"  END IF;"
	"  IF EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m JOIN"
	"   pg_catalog.pg_roles ga ON ga.oid = m.roleid JOIN"
	"   pg_catalog.pg_roles gb ON gb.oid = m.member WHERE gb.rolname = r"
	"   AND ga.rolname LIKE 'ehttp\\_agent\\_%') THEN"
	"   RAISE EXCEPTION 'role % is an agent''s login: not changed', r;"
	"  END IF;"
	"  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN"
	"   IF NOT pg_catalog.pg_has_role(r, a, 'MEMBER') AND NOT"
	"    pg_catalog.pg_has_role(r, d, 'MEMBER') THEN"
	"    RAISE EXCEPTION 'role % exists and is no administrator''s login of"
	" this database: not changed (choose another name)', r;"
	"   END IF;"
	"   EXECUTE format('ALTER ROLE %I LOGIN INHERIT PASSWORD %L', r, v);"
	"  ELSE"
	"   EXECUTE format('CREATE ROLE %I LOGIN INHERIT PASSWORD %L', r, v);"
	"  END IF;"
	"  EXECUTE format('REVOKE %I, %I FROM %I', a, d, r);"
	"  EXECUTE format('GRANT %I TO %I', g, r);"
	"  SELECT min(gx.rolname) INTO other FROM pg_catalog.pg_auth_members m"
	"   JOIN pg_catalog.pg_roles gx ON gx.oid = m.roleid JOIN"
	"   pg_catalog.pg_roles gy ON gy.oid = m.member WHERE gy.rolname = r"
	"   AND gx.rolname <> g;"
	"  IF other IS NOT NULL THEN"
	"   RAISE EXCEPTION 'role % is also a member of %: not changed', r,"
	"    other;"
	"  END IF;"
	" END $$",

	/* Only an administrator's login, never the owner or the login
	 * running this; out of both groups for certain. */
	[DB_ADMIN_DISABLE] =
	"DO $$ DECLARE"
	"  r text := " ROLE ";"
	"  a text := " ADMIN_G ";"
	"  d text := " READER_G ";"
	" BEGIN"
	"  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m JOIN"
	"   pg_catalog.pg_roles x ON x.oid = m.roleid JOIN pg_catalog.pg_roles"
	"   y ON y.oid = m.member WHERE y.rolname = r AND x.rolname IN (a, d))"
	"   OR r = current_user OR r = session_user OR EXISTS (SELECT 1 FROM"
	"   pg_catalog.pg_roles WHERE rolname = r AND rolsuper) OR EXISTS"
	"   (SELECT 1 FROM pg_catalog.pg_tables WHERE tableowner = r AND"
	"   schemaname = current_schema()) THEN"
	"   RAISE EXCEPTION 'role % is no administrator''s login of this"
	" database: not changed', r;"
	"  END IF;"
	"  EXECUTE format('ALTER ROLE %I NOLOGIN PASSWORD NULL', r);"
	"  EXECUTE format('REVOKE %I, %I FROM %I', a, d, r);"
	"  IF pg_catalog.pg_has_role(r, a, 'MEMBER') OR"
	"   pg_catalog.pg_has_role(r, d, 'MEMBER') THEN"
	"   RAISE EXCEPTION 'role % is still a member of an administrators''"
	" group (granted by another role): revoke it as that role', r;"
	"  END IF;"
	" END $$",

	[DB_ADMIN_LIST] =
	"SELECT r.rolname, CASE WHEN g.rolname = " READER_G " THEN 1 ELSE 0"
	" END, CASE WHEN r.rolcanlogin THEN 1 ELSE 0"
	" END, (SELECT count(*) FROM pg_catalog.pg_stat_activity s WHERE"
	" s.usename = r.rolname) FROM pg_catalog.pg_auth_members m JOIN"
	" pg_catalog.pg_roles g ON g.oid = m.roleid JOIN pg_catalog.pg_roles r"
	" ON r.oid = m.member WHERE g.rolname IN (" ADMIN_G ", " READER_G ")"
	" ORDER BY r.rolname",

	[DB_LOGIN_LIST] =
	"SELECT l.role, l.system_id, y.fqdn, l.created, CASE WHEN"
	" r.rolcanlogin THEN 1 ELSE 0 END, (SELECT count(*) FROM"
	" pg_catalog.pg_stat_activity a WHERE a.usename = l.role) FROM"
	" agent_login l JOIN site_system y ON y.id = l.system_id LEFT JOIN"
	" pg_catalog.pg_roles r ON r.rolname = l.role ORDER BY y.fqdn",
};
