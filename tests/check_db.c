/* The database: creation, migrations, refusals, concurrent writers. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <check.h>
#include <sqlite3.h>

#include "db-int.h"	/* the handle: its engine's connection, statements */
#include "ehttp.h"
#include "testutil.h"

#define STR_(x)	#x
#define STR(x)	STR_(x)
#include "xmalloc.h"

/* The database's own client (sqlite3, psql) reads q; its first line. */
static char *
sql1(const char *q)
{
	return tu_sql1(tu_db_cli(tu_db), q);
}

/* tu_db opened, migrated to the current schema (both asserted). */
static struct db *
open_current(void)
{
	char *cause = NULL;
	struct db *db = db_open(tu_db, 0, &cause);

	ck_assert_msg(db != NULL, "%s", cause);
	ck_assert_int_eq(db_user_version(db), DB_SCHEMA_VERSION);
	return db;
}

/* The database's own client's answer to q (its first line) is want. */
static void
sql_eq(const char *q, const char *want)
{
	tu_sql_is(tu_db_cli(tu_db), q, want);
}

/* Every row of q as the database's own client prints them, one line
 * each, joined by spaces (no aggregate: SQLite and PostgreSQL name theirs
 * differently). */
static char *
sql_rows(const char *q)
{
	char *out = tu_sh_ok("%s \"%s\" | tr '\\n' ' '", tu_db_cli(tu_db), q);
	size_t n = strlen(out);

	while (n > 0 && out[n - 1] == ' ')
		out[--n] = '\0';
	return out;
}

/* text as this test's engine writes it: SQLite's or PostgreSQL's. */
static const char *
by_engine(const char *sqlite, const char *pg)
{
	return tu_db_pg(tu_db) ? pg : sqlite;
}

START_TEST(create_fresh)
{
	struct db *db;
	struct stat sb;
	char *cause = NULL, *v;

	snprintf(tu_db, sizeof tu_db, "%s/new/dir/site.db", tu_dir);
	db = db_open(tu_db, DB_OPEN_CREATE, &cause);
	ck_assert_msg(db != NULL, "%s", cause);
	ck_assert_int_eq(db_user_version(db), DB_SCHEMA_VERSION);
	db_close(db);
	ck_assert_int_eq(stat(tu_db, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	snprintf(tu_db, sizeof tu_db, "%s/new/dir", tu_dir);
	ck_assert_int_eq(stat(tu_db, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0700);
	snprintf(tu_db, sizeof tu_db, "%s/new/dir/site.db", tu_dir);
	sql_eq("PRAGMA journal_mode", "wal");
	v = sql1("PRAGMA user_version");
	ck_assert_int_eq(atoi(v), DB_SCHEMA_VERSION);
	free(v);
}
END_TEST

/* A write transaction inside another (read or write) is refused, the
 * outer one going on (the pg suite checks PostgreSQL the same way). */
START_TEST(nested_begin_refused)
{
	char *cause = NULL;
	struct db *db = db_open(tu_db, DB_OPEN_CREATE, &cause);

	ck_assert_msg(db != NULL, "%s", cause);
	tu_nested_begin_refused(db, NULL);
	db_close(db);
}
END_TEST

START_TEST(open_missing_refused)
{
	char *cause = NULL;

	ck_assert_ptr_null(db_open(tu_db, 0, &cause));
	ck_assert_ptr_nonnull(strstr(cause, "no such database"));
	free(cause);
	ck_assert_int_eq(access(tu_db, F_OK), -1);
}
END_TEST

START_TEST(migrate_v1)
{
	struct db *db;
	struct db_site s;
	struct db_role *r = NULL;
	struct db_agent *a = NULL;
	size_t n;

	ck_assert_int_eq(tu_sh(NULL, NULL, "sqlite3 '%s' < '%s/tests/fixtures/"
	    "site-v1.sql'", tu_db, EHTTP_SRCDIR), 0);
	sql_eq("PRAGMA user_version", "1");
	db = open_current();
	ck_assert_int_eq(db_site_get(db, "P01", &s), 1);
	ck_assert_str_eq(s.name, "Old-Primary");
	ck_assert_int_eq(s.sec.crl_check, 1);
	ck_assert_int_eq(db_role_list(db, s.id, 0, &r, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(r[0].fqdn, "mp.old.example");
	free(r);
	/* The table version 2 added works. */
	ck_assert_int_eq(db_agent_list(db, 0, &a, &n), 0);
	ck_assert_int_eq(n, 0);
	free(a);
	db_close(db);
	sql_eq("SELECT count(*) FROM sqlite_master WHERE name = "
	    "'cert_by_expiration'", "1");
}
END_TEST

/* Version 4: chains of PKI certificates, dated trusted roots. A root a
 * version-1 database held survives the upgrade and reads back. */
START_TEST(migrate_v1_to_v4)
{
	struct db *db;
	struct db_trusted_root *t = NULL, add;
	struct db_blob *b = NULL;
	struct db_cert c;
	unsigned char der[4] = { 0x30, 0x02, 0x05, 0x00 };
	size_t n;

	ck_assert_int_eq(tu_sh(NULL, NULL, "sqlite3 '%s' < '%s/tests/fixtures/"
	    "site-v1.sql' && sqlite3 '%s' \"INSERT INTO trusted_root (site_id,"
	    " subject, thumbprint, der) VALUES (1, 'CN=Old Root', '%040d',"
	    " x'3000')\"", tu_db, EHTTP_SRCDIR, tu_db, 1), 0);
	db = open_current();
	ck_assert_int_eq(db_trusted_root_list(db, 1, &t, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(t[0].subject, "CN=Old Root");
	ck_assert_str_eq(t[0].site_code, "P01");
	ck_assert_int_eq(t[0].not_after, 0);
	free(t);
	ck_assert_int_eq(db_trusted_root_ders(db, 1, &b, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(b[0].len, 2);
	db_blobs_free(b, n);
	/* New rows: a dated root, a certificate with a two-element chain. */
	memset(&add, 0, sizeof add);
	add.site_id = 1;
	snprintf(add.subject, sizeof add.subject, "CN=New Root");
	snprintf(add.thumbprint, sizeof add.thumbprint, "%040d", 2);
	add.not_after = 2000000000;
	ck_assert_int_eq(db_begin(db), 0);
	ck_assert_int_eq(db_trusted_root_add(db, &add, der, sizeof der), 0);
	memset(&c, 0, sizeof c);
	snprintf(c.type, sizeof c.type, "pki");
	snprintf(c.state, sizeof c.state, "active");
	c.site_id = 1;
	c.system_id = 1;
	ck_assert_int_eq(db_cert_insert(db, &c, der, sizeof der, der, 2), 0);
	ck_assert_int_eq(db_cert_chain_add(db, c.id, 1, der, 3), 0);
	ck_assert_int_eq(db_cert_chain_add(db, c.id, 0, der, 4), 0);
	ck_assert_int_eq(db_commit(db), 0);
	ck_assert_int_eq(db_cert_chain(db, c.id, &b, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(b[0].len, 4);		/* in position order */
	ck_assert_uint_eq(b[1].len, 3);
	db_blobs_free(b, n);
	ck_assert_int_eq(db_trusted_root_delete(db, 1, "0000000000000000000000"
	    "000000000000000001"), 1);
	ck_assert_int_eq(db_trusted_root_delete(db, 1, "0000000000000000000000"
	    "000000000000000001"), 0);
	db_close(db);
	/* Checked with sqlite3 itself: the chain goes with its certificate. */
	free(sql1("PRAGMA foreign_keys = ON; DELETE FROM cert"));
	sql_eq("SELECT count(*) FROM cert_chain", "0");
	sql_eq("SELECT subject || ' ' || not_after FROM trusted_root",
	    "CN=New Root 2000000000");
}
END_TEST

/* Certificate counts come from a tally kept by triggers (migration 6):
 * after inserts, updates and deletes made by sqlite3 itself, before and
 * after the migration, every count equals sqlite3's count(*). */
static void
ck_counts(struct db *db)
{
	static const struct { const char *type; int64_t site; int blocked;
	    int active; const char *where; } q[] = {
		{ NULL, 0, 0, 0, "state != 'pending'" },
		{ NULL, 0, 0, 1, "state = 'active'" },
		{ NULL, 0, 1, 0, "state != 'pending' AND blocked = 1" },
		{ NULL, 1, 0, 1, "state = 'active' AND site_id = 1" },
		{ NULL, 2, 0, 1, "state = 'active' AND site_id = 2" },
		{ "role", 2, 0, 0, "state != 'pending' AND site_id = 2 AND"
		    " type = 'role'" },
		{ "pki", 0, 1, 1, "state = 'active' AND blocked = 1 AND"
		    " type = 'pki'" },
	};
	struct db_cert_filter f;
	char sql[256], *v;
	size_t n;

	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
		memset(&f, 0, sizeof f);
		f.type = q[i].type;
		f.site_id = q[i].site;
		f.blocked_only = q[i].blocked;
		f.active_only = q[i].active;
		f.expiring_days = -1;
		ck_assert_int_eq(db_cert_count(db, &f, &n), 0);
		snprintf(sql, sizeof sql, "SELECT count(*) FROM cert WHERE %s",
		    q[i].where);
		v = sql1(sql);
		ck_assert_msg(strtoull(v, NULL, 10) == n, "%s: %zu, sqlite3 %s",
		    q[i].where, n, v);
		free(v);
	}
	v = sql1("SELECT count(*) FROM cert_tally WHERE n <= 0");
	ck_assert_str_eq(v, "0");	/* emptied groups go */
	free(v);
}

/* Forty certificates of every type, state, site and blocked flag. */
#define CERTS_40 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT"	\
	" i + 1 FROM n WHERE i < 40) INSERT INTO cert (type, state,"	\
	" site_id, blocked, created) SELECT CASE i % 3 WHEN 0 THEN"	\
	" 'root' WHEN 1 THEN 'role' ELSE 'pki' END, CASE i % 4 WHEN 0"	\
	" THEN 'pending' WHEN 1 THEN 'superseded' ELSE 'active' END,"	\
	" 1 + i % 2, CASE WHEN i % 5 = 0 THEN 1 ELSE 0 END, 0 FROM n"

static void	db_create(void);

/* On SQLite from a version-1 database (the tally is made by migration 6);
 * PostgreSQL's schema has the triggers from the start. */
START_TEST(cert_counts_tally)
{
	struct db *db;
	char *v;

	if (tu_db_pg(tu_db)) {
		db_create();
		free(sql1("INSERT INTO site (code, name, type, created) VALUES"
		    " ('P01', 'One', 'primary', 0), ('P02', 'Two', 'primary',"
		    " 0); " CERTS_40));
	} else
		ck_assert_int_eq(tu_sh(NULL, NULL, "sqlite3 '%s' < '%s/tests/"
		    "fixtures/site-v1.sql' && sqlite3 '%s' \"INSERT INTO site"
		    " (id, code, name, type, created) VALUES (2, 'P02', 'Two',"
		    " 'primary', 0); %s\"", tu_db, EHTTP_SRCDIR, tu_db,
		    CERTS_40), 0);
	db = open_current();
	ck_counts(db);		/* tallied by the migration, or the triggers */
	db_close(db);
	free(sql1("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1"
	    " FROM n WHERE i < 30) INSERT INTO cert (type, state, site_id,"
	    " blocked, created) SELECT 'role', CASE i % 3 WHEN 0 THEN 'revoked'"
	    " ELSE 'active' END, 2 - i % 2, CASE WHEN i % 7 = 0 THEN 1 ELSE 0"
	    " END, 0 FROM n; UPDATE cert SET state = 'active' WHERE state ="
	    " 'pending' AND id % 2 = 0; UPDATE cert SET blocked = 1 - blocked"
	    " WHERE id % 3 = 0; UPDATE cert SET site_id = 3 - site_id, type ="
	    " 'pki' WHERE id % 5 = 1; DELETE FROM cert WHERE id % 6 = 0"));
	v = sql1("SELECT count(*) FROM cert");
	ck_assert_str_ne(v, "0");
	free(v);
	db = open_current();
	ck_counts(db);		/* kept by the triggers */
	db_close(db);
}
END_TEST

/*
 * Version 9 (clients), from a real version-8 database (made by ehttpctl at
 * schema 8: sites, systems, roles, certificates of every type with keys,
 * a blocked and a superseded one, a trusted root, a renewal window, an
 * agent, the audit trail): every table it had is the same after the
 * migration, schema and rows, as sqlite3 itself dumps them (the role
 * table: its rows, which version 11 gives a column, migrate_to_v11). The new
 * tables are there, empty, with the hierarchy's row: a random version-4
 * UUID (python3's uuid module parses it; two databases get two) and
 * manual approval, which ehttpctl reads back; their CHECKs refuse what
 * they must.
 */
#define AGENT	"SMS_MP_CONTROL_MANAGER"

/* status_message's rows by the columns it had before migration 14. */
#define STATUS_V13 "SELECT id, time, site_id, severity, component, message" \
	" FROM status_message ORDER BY id"

START_TEST(migrate_to_v9)
{
	char *tables, *before, *after, *u1, *u2, *out, *expr;
	char *roles;
	struct db *db;

	ck_assert_int_eq(tu_sh(NULL, NULL, "sqlite3 '%s' < '%s/tests/fixtures/"
	    "site-v8.sql'", tu_db, EHTTP_SRCDIR), 0);
	sql_eq("PRAGMA user_version", "8");
	sql_eq("SELECT (SELECT count(*) FROM site) || ' ' || (SELECT count(*)"
	    " FROM site_system) || ' ' || (SELECT group_concat(type || ':' ||"
	    " state || ':' || blocked, ' ') FROM (SELECT * FROM cert ORDER BY"
	    " id)) || ' ' || (SELECT count(*) FROM cert_key)", "4 11"
	    " root:active:0 role:active:1 role:superseded:0 role:active:0"
	    " role:active:0 token:superseded:0 role:active:0 token:active:0 8");
	tables = sql1("SELECT group_concat(name, ' ') FROM (SELECT name FROM"
	    " sqlite_schema WHERE type = 'table' ORDER BY name)");
	ck_assert_str_eq(tables, "agent audit cert cert_chain cert_der cert_key"
	    " cert_tally notice role site site_renewal site_security"
	    " site_system sited_pass status_message trusted_root");
	free(tables);
	/* role and status_message gain a column in migrations 11 and 14:
	 * their rows are compared by the columns they had. */
	tables = sql1("SELECT group_concat(name, ' ') FROM (SELECT name FROM"
	    " sqlite_schema WHERE type = 'table' AND name NOT IN ('role',"
	    " 'status_message') ORDER BY name)");
	roles = sql1("SELECT group_concat(id || ':' || system_id || ':' || role"
	    " || ':' || connection || ':' || allow_anonymous, ' ') FROM (SELECT"
	    " * FROM role ORDER BY id)");
	/* Each table's CREATE, rows, indexes and triggers, as sqlite3 dumps
	 * them (BLOBs as hex). */
	before = tu_sh_ok("for t in %s; do sqlite3 '%s' \".dump $t\"; done;"
	    " sqlite3 '%s' '" STATUS_V13 "'", tables, tu_db, tu_db);
	ck_assert_uint_gt(strlen(before), 40000);
	db = open_current();
	db_close(db);
	after = tu_sh_ok("for t in %s; do sqlite3 '%s' \".dump $t\"; done;"
	    " sqlite3 '%s' '" STATUS_V13 "'", tables, tu_db, tu_db);
	ck_assert_msg(strcmp(before, after) == 0, "a version-8 table changed");
	sql_eq("SELECT group_concat(id || ':' || system_id || ':' || role"
	    " || ':' || connection || ':' || allow_anonymous, ' ') FROM (SELECT"
	    " * FROM role ORDER BY id)", tu_line1(roles));
	free(roles);
	free(before);
	free(after);
	free(tables);
	sql_eq("PRAGMA user_version", STR(DB_SCHEMA_VERSION));
	sql_eq("PRAGMA integrity_check", "ok");
	sql_eq("SELECT count(*) FROM pragma_foreign_key_check", "0");
	sql_eq("SELECT group_concat(type || ' ' || name, ', ') FROM (SELECT"
	    " type, name FROM sqlite_schema WHERE tbl_name IN ('hierarchy',"
	    " 'client', 'bulk_token') AND name NOT LIKE 'sqlite_autoindex%'"
	    " ORDER BY name)", "table bulk_token, table client, index"
	    " client_blocked, index client_by_site, table hierarchy");
	sql_eq("SELECT group_concat(name, ' ') FROM (SELECT name FROM"
	    " pragma_table_info('client') ORDER BY cid)", "id smsid name"
	    " site_id thumbprint sign_der enc_der approved approved_by blocked"
	    " registered last_contact");
	sql_eq("SELECT group_concat(name, ' ') FROM (SELECT name FROM"
	    " pragma_table_info('bulk_token') ORDER BY cid)", "id site_id"
	    " not_before not_after blocked used created");
	sql_eq("SELECT id, client_approval FROM hierarchy", "1|manual");
	sql_eq("SELECT (SELECT count(*) FROM client) +"
	    " (SELECT count(*) FROM bulk_token)", "0");
	u1 = sql1("SELECT uuid FROM hierarchy");
	out = tu_sh_ok("%s -c 'import uuid,sys; u = uuid.UUID(sys.argv[1]);"
	    " print(u.version, str(u) == sys.argv[1])' '%s'", tu_python(),
	    tu_line1(u1));
	ck_assert_str_eq(tu_line1(out), "4 True");
	free(out);
	/* The migrated database serves the client commands. */
	out = tu_sh_ok("'%s' --db '%s' --json hierarchy show", tu_bin("ehttpctl"),
	    tu_db);
	xasprintf(&expr, "d['id'] == '%s' and d['client_approval'] =="
	    " 'manual'", u1);
	tu_py_check(out, expr);
	free(expr);
	free(out);
	out = tu_sh_ok("'%s' --db '%s' --json client list", tu_bin("ehttpctl"),
	    tu_db);
	tu_py_check(out, "d == []");
	free(out);
	/* Another database, another id. */
	ck_assert_int_eq(tu_sh(NULL, NULL, "rm -f '%s' && '%s' --db '%s' init",
	    tu_db, tu_bin("ehttpctl"), tu_db), 0);
	u2 = sql1("SELECT uuid FROM hierarchy");
	ck_assert_str_ne(u1, u2);
	ck_assert_int_ne(tu_sh(NULL, NULL, "sqlite3 '%s' \"UPDATE hierarchy"
	    " SET client_approval = 'sometimes'\"", tu_db), 0);
	ck_assert_int_ne(tu_sh(NULL, NULL, "sqlite3 '%s' \"INSERT INTO"
	    " hierarchy (id, uuid) VALUES (2, 'x')\"", tu_db), 0);
	free(u1);
	free(u2);
}
END_TEST

/*
 * Version 11: a distribution point's WebDAV listings (role.allow_propfind).
 * From the real version-8 database: its DPs allow them (1), the other
 * roles have no such setting (-1), the CHECK refuses anything else, and
 * ehttpctl reads and changes it (role list --json, role set).
 */
START_TEST(migrate_to_v11)
{
	char *out;
	struct db *db;

	ck_assert_int_eq(tu_sh(NULL, NULL, "sqlite3 '%s' < '%s/tests/fixtures/"
	    "site-v8.sql'", tu_db, EHTTP_SRCDIR), 0);
	sql_eq("SELECT count(*) FROM role WHERE role = 'dp'", "4");
	db = open_current();
	db_close(db);
	sql_eq("PRAGMA user_version", STR(DB_SCHEMA_VERSION));
	sql_eq("SELECT group_concat(DISTINCT role || ':' || allow_propfind) FROM"
	    " (SELECT * FROM role WHERE role = 'dp')", "dp:1");
	sql_eq("SELECT count(*) FROM role WHERE role != 'dp' AND allow_propfind"
	    " != -1", "0");
	sql_eq("PRAGMA integrity_check", "ok");
	ck_assert_int_ne(tu_sh(NULL, NULL, "sqlite3 '%s' \"UPDATE role SET"
	    " allow_propfind = 2\"", tu_db), 0);
	out = tu_sh_ok("'%s' --db '%s' role list --json", tu_bin("ehttpctl"),
	    tu_db);
	tu_py_check(out, "all(r.get('allow_propfind') is (True if r['role'] =="
	    " 'dp' else None) for r in d)");
	free(out);
	out = tu_sh_ok("'%s' --db '%s' role set \"$(sqlite3 '%s' \"SELECT fqdn"
	    " FROM site_system WHERE id = 4\")\" dp --allow-propfind no",
	    tu_bin("ehttpctl"), tu_db, tu_db);
	free(out);
	sql_eq("SELECT group_concat(system_id || ':' || allow_propfind, ' ') FROM"
	    " (SELECT * FROM role WHERE role = 'dp' ORDER BY id)",
	    "4:0 5:1 9:1 10:1");
}
END_TEST

/*
 * Version 8 rebuilds the cert table (a new type, "token", in its CHECK).
 * From a version-7 database holding certificates, keys, a chain and an
 * agent bound to a certificate: sqlite3 itself reads every row, key, DER,
 * tally, chain and agent back unchanged; the foreign keys of cert_der,
 * cert_key, cert_chain and agent point at the new table and still act
 * (cascade, set null); the indexes and tally triggers are all there.
 */
START_TEST(migrate_v7_to_v8)
{
	static const char *const snapshot[] = {
		"SELECT * FROM cert ORDER BY id",
		"SELECT * FROM cert_tally ORDER BY site_id, type, state, blocked",
		"SELECT cert_id, hex(sha3(pkcs8)) FROM cert_key ORDER BY cert_id",
		"SELECT cert_id, hex(sha3(der)) FROM cert_der ORDER BY cert_id",
		"SELECT * FROM cert_chain ORDER BY cert_id, pos",
		"SELECT * FROM agent ORDER BY system_id",
	};
	char *before[sizeof snapshot / sizeof snapshot[0]], *v;
	struct db *db;

	ck_assert_int_eq(tu_sh(NULL, NULL, "sqlite3 '%s' < '%s/tests/fixtures/"
	    "site-v7.sql'", tu_db, EHTTP_SRCDIR), 0);
	sql_eq("PRAGMA user_version", "7");
	sql_eq("SELECT count(*) FROM cert_key", "6");
	for (size_t i = 0; i < sizeof snapshot / sizeof snapshot[0]; i++)
		ck_assert_int_eq(tu_sh(&before[i], NULL, "sqlite3 '%s' \"%s\"",
		    tu_db, snapshot[i]), 0);
	db = open_current();
	ck_counts(db);
	db_close(db);
	for (size_t i = 0; i < sizeof snapshot / sizeof snapshot[0]; i++) {
		ck_assert_int_eq(tu_sh(&v, NULL, "sqlite3 '%s' \"%s\"", tu_db,
		    snapshot[i]), 0);
		ck_assert_msg(strcmp(v, before[i]) == 0, "%s changed:\n%s\n"
		    "now:\n%s", snapshot[i], before[i], v);
		ck_assert_uint_gt(strlen(v), 0);
		free(v);
		free(before[i]);
	}
	sql_eq("PRAGMA integrity_check", "ok");
	v = sql1("SELECT count(*) FROM pragma_foreign_key_check");
	ck_assert_str_eq(v, "0");
	free(v);
	sql_eq("SELECT group_concat([table], ' ') FROM (SELECT [table] FROM"
	    " pragma_foreign_key_list('cert_der') UNION ALL SELECT [table]"
	    " FROM pragma_foreign_key_list('cert_key') UNION ALL SELECT"
	    " [table] FROM pragma_foreign_key_list('cert_chain') UNION ALL"
	    " SELECT [table] FROM pragma_foreign_key_list('agent') WHERE"
	    " [from] = 'cert_id')", "cert cert cert cert");
	sql_eq("SELECT group_concat(name, ' ') FROM (SELECT name FROM"
	    " sqlite_schema WHERE tbl_name = 'cert' AND type IN ('index',"
	    " 'trigger') AND sql IS NOT NULL ORDER BY name)", "cert_by_blocked"
	    " cert_by_expiration cert_by_issued_by cert_by_issued_to"
	    " cert_by_start cert_by_state_expiration cert_by_thumbprint"
	    " cert_by_type cert_pending cert_site cert_system cert_tally_delete"
	    " cert_tally_insert cert_tally_update");
	sql_eq("SELECT count(*) FROM sqlite_schema WHERE name = 'cert_new'",
	    "0");
	/* The new type is accepted, a wrong one still refused; the tally
	 * counts it; deleting a certificate cascades to its key, DER and
	 * chain and unbinds the agent, all by sqlite3 itself. */
	sql_eq("INSERT INTO cert (type, state, site_id, created) VALUES"
	    " ('token', 'active', 2, 0); SELECT n FROM cert_tally WHERE"
	    " type = 'token'", "1");
	ck_assert_int_ne(tu_sh(NULL, NULL, "sqlite3 '%s' \"INSERT INTO cert"
	    " (type, state, site_id, created) VALUES ('bogus', 'active', 2,"
	    " 0)\" 2>/dev/null", tu_db), 0);
	sql_eq("PRAGMA foreign_keys = ON; DELETE FROM cert WHERE id IN (4, 6);"
	    " SELECT (SELECT count(*) FROM cert_key) || ' ' || (SELECT count(*)"
	    " FROM cert_der) || ' ' || (SELECT count(*) FROM cert_chain) || ' '"
	    " || (SELECT count(*) FROM agent WHERE cert_id IS NULL)", "4 4 0 1");
	db = open_current();
	ck_counts(db);
	db_close(db);
}
END_TEST

/* A new database at tu_db (asserted), closed again. */
static void
db_create(void)
{
	char *cause = NULL;
	struct db *db = db_open(tu_db, DB_OPEN_CREATE, &cause);

	ck_assert_ptr_nonnull(db);
	db_close(db);
}

/*
 * Migration 10 (packages) on a real schema-9 database (the fixture was made
 * by ehttpctl at the commit before schema 10): every table it had dumps
 * the same after, the package tables are there, empty, and their CHECKs
 * refuse what the content library's rules refuse.
 */
START_TEST(migrate_to_v10)
{
	char *tables, *before, *after, *err = NULL;
	struct db *db;

	ck_assert_int_eq(tu_sh(NULL, NULL, "sqlite3 '%s' < '%s/tests/fixtures/"
	    "site-v9.sql'", tu_db, EHTTP_SRCDIR), 0);
	sql_eq("PRAGMA user_version", "9");
	/* Agents' messages as agents wrote them before 14 (ids from 1001),
	 * each naming a system. */
	free(sql1("INSERT INTO status_message VALUES"
	    " (1001, 1, 2, 'info', '" AGENT "', 'ehttp-mpd started on"
	    " p01.contoso.com:443, pid 7'),"
	    " (1002, 1, 2, 'warning', '" AGENT "', 'Taking over"
	    " mp2.p01.contoso.com from the agent pid 4'),"
	    " (1003, 1, 2, 'info', '" AGENT "', 'Health check of"
	    " dp1.p01.contoso.com.'),"
	    " (1004, 1, NULL, 'info', '" AGENT "', 'dp1.p02.contoso.com, as"
	    " asked'),"
	    " (1005, 1, 2, 'info', '" AGENT "', 'on p01.contoso.com.evil.example"
	    " and xp02.contoso.com'),"
	    " (1006, 1, 2, 'info', 'SMS_SITE_COMPONENT_MANAGER', 'Role added to"
	    " p01.contoso.com.'); SELECT changes()"));
	tables = sql1("SELECT group_concat(name, ' ') FROM (SELECT name FROM"
	    " sqlite_schema WHERE type = 'table' ORDER BY name)");
	ck_assert_str_eq(tables, "agent audit bulk_token cert cert_chain"
	    " cert_der cert_key cert_tally client hierarchy notice role site"
	    " site_renewal site_security site_system sited_pass status_message"
	    " trusted_root");
	/* role and status_message gain a column in migrations 11 and 14:
	 * their rows are compared by the columns they had. */
	before = tu_sh_ok("for t in %s; do case $t in role|status_message) ;;"
	    " *) sqlite3 '%s' \".dump $t\"; esac; done; sqlite3 '%s' 'SELECT"
	    " id, system_id, role, connection, allow_anonymous FROM role ORDER"
	    " BY id; " STATUS_V13 "'", tables, tu_db, tu_db);
	ck_assert_uint_gt(strlen(before), 30000);
	db = open_current();
	db_close(db);
	after = tu_sh_ok("for t in %s; do case $t in role|status_message) ;;"
	    " *) sqlite3 '%s' \".dump $t\"; esac; done; sqlite3 '%s' 'SELECT"
	    " id, system_id, role, connection, allow_anonymous FROM role ORDER"
	    " BY id; " STATUS_V13 "'", tables, tu_db, tu_db);
	ck_assert_msg(strcmp(before, after) == 0, "a version-9 table changed");
	sql_eq("PRAGMA user_version", STR(DB_SCHEMA_VERSION));
	/* 14: no message of before has a writer (its text is not taken
	 * for one); the column's key, and its index. */
	sql_eq("SELECT (SELECT count(*) FROM status_message) > 20, (SELECT"
	    " count(system_id) FROM status_message), (SELECT [table] || '.' ||"
	    " [to] || ' ' || on_delete FROM"
	    " pragma_foreign_key_list('status_message') WHERE [from] ="
	    " 'system_id'), (SELECT group_concat(name, ' ') FROM"
	    " pragma_index_info('status_by_system'))",
	    "1|0|site_system.id SET NULL|system_id time id");
	sql_eq("PRAGMA integrity_check", "ok");
	sql_eq("SELECT count(*) FROM pragma_foreign_key_check", "0");
	sql_eq("SELECT group_concat(type || ' ' || name, ', ') FROM (SELECT"
	    " type, name FROM sqlite_schema WHERE tbl_name LIKE 'package%'"
	    " AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name)", "table"
	    " package, index package_by_site, table package_dp, index"
	    " package_dp_by_system, table package_file, table package_seq");
	sql_eq("SELECT group_concat(name, ' ') FROM (SELECT name FROM"
	    " pragma_table_info('package') ORDER BY cid)", "id site_id name"
	    " version source created updated");
	sql_eq("SELECT group_concat(name, ' ') FROM (SELECT name FROM"
	    " pragma_table_info('package_dp') ORDER BY cid)", "package_id"
	    " system_id version state error time");
	/* What the CHECKs refuse, as sqlite3 runs it. */
	static const char *const bad[] = {
		"INSERT INTO package VALUES ('P0100G01', 2, 'x', 1, '/s', 0, 0)",
		"INSERT INTO package VALUES ('p0100001', 2, 'x', 1, '/s', 0, 0)",
		"INSERT INTO package VALUES ('P01001', 2, 'x', 1, '/s', 0, 0)",
		"INSERT INTO package VALUES ('P0100001', 2, '', 1, '/s', 0, 0)",
		"INSERT INTO package VALUES ('P0100001', 2, 'x', 0, '/s', 0, 0)",
		"INSERT INTO package VALUES ('P0100001', 99, 'x', 1, '/s', 0, 0)",
		"INSERT INTO package_seq VALUES (2, 1048576)",
		"INSERT INTO package_file VALUES ('P0100002', 1, 'a', 1,"
		" 'E3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')",
		"INSERT INTO package_file VALUES ('P0100002', 1, 'a', -1,"
		" 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')",
		"INSERT INTO package_dp VALUES ('P0100002', 4, 1, 'copied', '', 0)",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		ck_assert_msg(tu_sh(NULL, &err, "sqlite3 '%s' \"PRAGMA"
		    " foreign_keys = ON; INSERT INTO package VALUES ('P0100002',"
		    " 2, 'ok', 1, '/s', 0, 0); %s\"", tu_db, bad[i]) != 0,
		    "accepted: %s", bad[i]);
		ck_assert_msg(strstr(err, "constraint failed") != NULL, "%s: %s",
		    bad[i], err);
		free(err);
		err = NULL;
		free(tu_sh_ok("sqlite3 '%s' \"DELETE FROM package\"", tu_db));
	}
	sql_eq("SELECT (SELECT count(*) FROM package) + (SELECT count(*) FROM"
	    " package_file) + (SELECT count(*) FROM package_seq)", "0");
	free(before);
	free(after);
	free(tables);
}
END_TEST

START_TEST(newer_refused)
{
	char *cause = NULL;

	db_create();
	free(sql1(by_engine("PRAGMA user_version = 99",
	    "UPDATE ehttp_schema SET version = 99")));
	ck_assert_ptr_null(db_open(tu_db, 0, &cause));
	ck_assert_msg(strstr(cause, "version 99 is newer") != NULL, "%s", cause);
	free(cause);
	sql_eq(by_engine("PRAGMA user_version", "SELECT version FROM"
	    " ehttp_schema"), "99");
}
END_TEST

START_TEST(not_sqlite_refused)
{
	char *cause = NULL, *back;
	const char junk[] = "this is a text file, not a database\n";

	ck_assert_int_eq(tu_write_file(tu_db, junk, sizeof junk - 1), 0);
	ck_assert_ptr_null(db_open(tu_db, DB_OPEN_CREATE, &cause));
	ck_assert_ptr_nonnull(strstr(cause, "not an ehttp database"));
	free(cause);
	back = tu_read_file(tu_db, NULL);
	ck_assert_str_eq(back, junk);
	free(back);
}
END_TEST

START_TEST(corrupt_refused)
{
	char *cause = NULL;

	db_create();
	/* Keep the header, wreck the schema page. */
	ck_assert_int_eq(tu_sh(NULL, NULL, "printf '%%01000d' 0 | dd of='%s'"
	    " bs=1 seek=100 conv=notrunc 2>/dev/null", tu_db), 0);
	ck_assert_ptr_null(db_open(tu_db, 0, &cause));
	ck_assert_msg(strstr(cause, tu_db) != NULL, "%s", cause);
	free(cause);
}
END_TEST

START_TEST(statements_roundtrip)
{
	char *cause = NULL;
	struct db *db = db_open(tu_db, DB_OPEN_CREATE, &cause);
	struct db_site s = { 0 }, back;
	struct db_system y = { 0 }, *ys = NULL;
	struct db_cert c = { 0 }, *page = NULL;
	size_t n, nc, nk;
	unsigned char der[3] = { 1, 2, 3 }, key[2] = { 9, 9 }, *got = NULL;
	size_t len;

	ck_assert_ptr_nonnull(db);
	snprintf(s.code, sizeof s.code, "P01");
	snprintf(s.name, sizeof s.name, "East");
	s.type = DB_SITE_PRIMARY;
	s.sec.crl_check = 1;
	ck_assert_int_eq(db_begin(db), 0);
	ck_assert_int_eq(db_site_insert(db, &s), 0);
	snprintf(y.fqdn, sizeof y.fqdn, "mp.example.com");
	y.site_id = s.id;
	ck_assert_int_eq(db_system_insert(db, &y), 0);
	snprintf(c.type, sizeof c.type, "role");
	snprintf(c.state, sizeof c.state, "active");
	c.site_id = s.id;
	c.system_id = y.id;
	snprintf(c.serial, sizeof c.serial, "0A");
	snprintf(c.thumbprint, sizeof c.thumbprint, "AB");
	snprintf(c.issued_to, sizeof c.issued_to, "mp.example.com");
	c.not_after = 2000000000;
	ck_assert_int_eq(db_cert_insert(db, &c, der, 3, key, 2), 0);
	ck_assert_int_eq(db_commit(db), 0);
	ck_assert_int_eq(db_site_get(db, "P01", &back), 1);
	ck_assert_str_eq(back.name, "East");
	ck_assert_int_eq(db_site_get(db, "P02", &back), 0);
	ck_assert_int_eq(db_system_list(db, s.id, &ys, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(ys[0].site_code, "P01");
	free(ys);
	ck_assert_int_eq(db_cert_der(db, c.id, &got, &len), 1);
	ck_assert_int_eq(len, 3);
	ck_assert_int_eq(memcmp(got, der, 3), 0);
	free(got);
	ck_assert_int_eq(db_cert_orphans(db, &nc, &nk), 0);
	ck_assert_int_eq(nc, 0);
	ck_assert_int_eq(nk, 0);
	ck_assert_int_eq(db_cert_page(db, NULL, DB_CERT_SORT_EXPIRATION, 0,
	    NULL, 10, &page, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(page[0].thumbprint, "AB");
	free(page);
	/* A unique violation is an error with a message, not a crash. */
	ck_assert_int_eq(db_begin(db), 0);
	ck_assert_int_eq(db_site_insert(db, &s), -1);
	ck_assert_msg(strcasestr(db_error(db), "unique") != NULL, "%s",
	    db_error(db));
	db_rollback(db);
	db_close(db);
}
END_TEST

/* A site and one system, committed; the handle stays open. */
static struct db *
open_with_system(struct db_site *s, struct db_system *y)
{
	char *cause = NULL;
	struct db *db = db_open(tu_db, DB_OPEN_CREATE, &cause);

	ck_assert_msg(db != NULL, "%s", cause);
	memset(s, 0, sizeof *s);
	memset(y, 0, sizeof *y);
	snprintf(s->code, sizeof s->code, "P01");
	snprintf(s->name, sizeof s->name, "East");
	s->type = DB_SITE_PRIMARY;
	ck_assert_int_eq(db_begin(db), 0);
	ck_assert_int_eq(db_site_insert(db, s), 0);
	snprintf(y->fqdn, sizeof y->fqdn, "mp.example.com");
	y->site_id = s->id;
	ck_assert_int_eq(db_system_insert(db, y), 0);
	ck_assert_int_eq(db_commit(db), 0);
	return db;
}

/*
 * A value sqlite refuses to bind (SQLITE_TOOBIG: longer than the
 * connection's length limit) is an error of the operation: a lookup does
 * not run with the parameter left NULL (which would say "not found"), a
 * write writes nothing. The sqlite3 CLI counts the rows.
 */
START_TEST(bind_too_big_refused)
{
	struct db_site s;
	struct db_system y, back;
	struct db_agent a = { 0 };
	char big[200];
	struct db *db = open_with_system(&s, &y);

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ck_assert_ptr_eq(db->eng, &db_sqlite_engine);
	sqlite3_limit(db->conn, SQLITE_LIMIT_LENGTH, 100);
	ck_assert_int_eq(db_system_get(db, big, &back), -1);
	ck_assert_msg(strstr(db_error(db), "parameter 1: string or blob too"
	    " big") != NULL, "%s", db_error(db));
	ck_assert_int_eq(db_begin(db), 0);
	ck_assert_int_eq(db_status_add(db, s.id, 0, "info", "C", big), -1);
	ck_assert_msg(strstr(db_error(db), "parameter 5: string or blob too"
	    " big") != NULL, "%s", db_error(db));
	a.system_id = y.id;
	a.pid = 42;
	snprintf(a.host, sizeof a.host, "%s", big);
	ck_assert_int_eq(db_agent_bind(db, &a), -1);
	ck_assert_msg(strstr(db_error(db), "parameter 9: string or blob too"
	    " big") != NULL, "%s", db_error(db));
	ck_assert_int_eq(db_commit(db), 0);
	/* Nothing was written, and the statements work again. */
	sql_eq("SELECT count(*) FROM status_message", "0");
	sql_eq("SELECT count(*) FROM agent", "0");
	ck_assert_int_eq(db_system_get(db, "mp.example.com", &back), 1);
	ck_assert_int_eq(back.id, y.id);
	snprintf(a.host, sizeof a.host, "h1");
	ck_assert_int_eq(db_agent_bind(db, &a), 0);
	sql_eq("SELECT pid || ' ' || host FROM agent", "42 h1");
	db_close(db);
}
END_TEST

/*
 * A bind to a parameter the statement does not have (SQLITE_RANGE): the
 * statement is not stepped (db_step() returns -1, the first bind's error
 * recorded), db_fail() says which parameter; taken up again with
 * db_stmt() it runs.
 */
START_TEST(bind_range_refused)
{
	struct db_site s;
	struct db_system y;
	struct db_q *st;
	struct db *db = open_with_system(&s, &y);

	st = db_stmt(db, ST_SYS_GET);
	ck_assert_ptr_nonnull(st);
	db_bind_text(db, st, 7, "x");
	db_bind_int64(db, st, 0, 1);
	db_bind_text(db, st, 1, "mp.example.com");
	ck_assert_int_eq(db_step(db, st), -1);
	ck_assert_int_eq(db_step(db, st), -1);
	ck_assert_int_eq(db_fail(db, "probe"), -1);
	ck_assert_str_eq(db_error(db), "probe: binding parameter 7: column"
	    " index out of range");
	st = db_stmt(db, ST_SYS_GET);
	db_bind_text(db, st, 1, "mp.example.com");
	ck_assert_int_eq(db_step(db, st), 1);
	ck_assert_int_eq(db_col_int64(st, 0), y.id);
	ck_assert_str_eq(db_col_text(st, 1), "mp.example.com");
	ck_assert_int_eq(db_step(db, st), 0);
	db_reset(db, st);
	db_close(db);
}
END_TEST

/*
 * Statements are prepared on first use, not at open: an open handle holds
 * one (the one that reads the schema; SQLite's count, sqlite3_next_stmt);
 * one that cannot be prepared (or, on PostgreSQL, which prepares as it
 * runs, cannot run) fails its operation with the reason and leaves the
 * others working, also inside a read transaction.
 */
START_TEST(statements_prepared_lazily)
{
	struct db_site s, back;
	struct db_system y;
	struct db_trusted_root *t = NULL;
	size_t n = 0, k = 0;
	char *cause = NULL;
	struct db *db = open_with_system(&s, &y);
	int pg = tu_db_pg(tu_db);

	db_close(db);
	db = db_open(tu_db, 0, &cause);
	ck_assert_msg(db != NULL, "%s", cause);
	if (!pg) {
		/* One: the statement that makes SQLite read the schema. */
		for (sqlite3_stmt *st = sqlite3_next_stmt(db->conn, NULL);
		    st != NULL; st = sqlite3_next_stmt(db->conn, st))
			k++;
		ck_assert_int_eq(k, 1);
	}
	ck_assert_int_eq(db_site_get(db, "P01", &back), 1);
	if (!pg) {
		k = 0;
		for (sqlite3_stmt *st = sqlite3_next_stmt(db->conn, NULL);
		    st != NULL; st = sqlite3_next_stmt(db->conn, st))
			k++;
		ck_assert_int_eq(k, 2);
	}
	db_close(db);
	free(sql1("DROP TABLE trusted_root"));
	db = db_open(tu_db, 0, &cause);
	ck_assert_msg(db != NULL, "%s", cause);
	ck_assert_int_eq(db_trusted_root_list(db, s.id, &t, &n), -1);
	ck_assert_msg(strstr(db_error(db), by_engine("preparing statement",
	    "listing")) != NULL && strstr(db_error(db), by_engine("no such"
	    " table: trusted_root", "relation \"trusted_root\" does not"
	    " exist")) != NULL, "%s", db_error(db));
	ck_assert_int_eq(db_trusted_root_list(db, s.id, &t, &n), -1);
	ck_assert_int_eq(db_site_get(db, "P01", &back), 1);
	ck_assert_str_eq(back.name, "East");
	/* In one read snapshot: SQLite goes on after the failure; the
	 * PostgreSQL server ends the transaction at it, and the later
	 * statements say so, naming the first failure. Rolled back, the
	 * handle works again. */
	ck_assert_int_eq(db_begin_read(db), 1);
	ck_assert_int_eq(db_trusted_root_list(db, s.id, &t, &n), -1);
	if (pg) {
		ck_assert_int_eq(db_site_get(db, "P01", &back), -1);
		ck_assert_msg(strstr(db_error(db), "an earlier statement of"
		    " this transaction failed (relation \"trusted_root\" does"
		    " not exist): the transaction is rolled back") != NULL,
		    "%s", db_error(db));
		ck_assert_int_eq(db_commit(db), -1);
		ck_assert_ptr_nonnull(strstr(db_error(db), "committing: an"
		    " earlier statement"));
	} else {
		ck_assert_int_eq(db_site_get(db, "P01", &back), 1);
		db_rollback(db);
	}
	ck_assert_int_eq(db_site_get(db, "P01", &back), 1);
	ck_assert_str_eq(back.name, "East");
	db_close(db);
}
END_TEST

/*
 * A certificate page with every filter at once and a keyset continuation:
 * the statement is built per call with its parameters numbered as they
 * are written (the text one used three times). The pages and the count
 * are what the database's own client selects with the same conditions.
 */
START_TEST(cert_page_every_filter)
{
	static const struct { const char *to, *tp, *type; int days; } v[] = {
		{ "mp3.example.com", "A3", "role", 10 },
		{ "other.contoso.com", "B1", "role", 10 },	/* no text */
		{ "MP1.example.com", "A1", "role", 10 },	/* any case */
		{ "mp4.example.com", "A4", "role", 400 },	/* not expiring */
		{ "mp2.example.com", "A2", "role", 20 },
		{ "mp5.example.com", "A5", "pki", 10 },		/* other type */
		{ "mp0.example.com", "A0", "role", 5 },
	};
	static const char *const by_name[][2] = { { "A1", "A0" },
	    { "A2", "A3" }, { NULL, NULL } };
	struct db_site s;
	struct db_system y;
	struct db_cert c, *page = NULL, last;
	struct db_cert_filter f = { .type = "role", .expiring_days = 30,
	    .active_only = 1, .text = "Mp" };
	char *want, *q;
	/* The window's end (the certificates end days from it, not
	 * seconds). */
	long long soon = (long long)time(NULL) + 30 * 86400;
	size_t n;
	struct db *db = open_with_system(&s, &y);

	ck_assert_int_eq(db_begin(db), 0);
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		memset(&c, 0, sizeof c);
		snprintf(c.type, sizeof c.type, "%s", v[i].type);
		snprintf(c.state, sizeof c.state, "active");
		c.site_id = s.id;
		c.system_id = y.id;
		snprintf(c.serial, sizeof c.serial, "%s", v[i].tp);
		snprintf(c.thumbprint, sizeof c.thumbprint, "%s", v[i].tp);
		snprintf(c.issued_to, sizeof c.issued_to, "%s", v[i].to);
		c.not_after = time(NULL) + v[i].days * 86400;
		ck_assert_int_eq(db_cert_insert(db, &c, NULL, 0, NULL, 0), 0);
		ck_assert_int_gt(c.id, 0);	/* RETURNING id */
	}
	ck_assert_int_eq(db_commit(db), 0);
	f.site_id = s.id;
	f.system_id = y.id;
	ck_assert_int_eq(db_cert_count(db, &f, &n), 0);
	xasprintf(&q, "SELECT count(*) FROM cert WHERE type = 'role' AND"
	    " state = 'active' AND not_after <= %lld AND lower(issued_to) LIKE"
	    " '%%mp%%'", soon);
	want = sql1(q);
	free(q);
	ck_assert_str_eq(want, "4");
	ck_assert_uint_eq(n, 4);
	free(want);
	/* Two a page by issued_to, each after the last of the one before
	 * ("MP1" < "mp0"); the third is empty. */
	for (size_t p = 0; p < TU_ALL(by_name); p++) {
		ck_assert_int_eq(db_cert_page(db, &f, DB_CERT_SORT_ISSUED_TO, 0,
		    p > 0 ? &last : NULL, 2, &page, &n), 0);
		ck_assert_uint_eq(n, by_name[p][0] != NULL ? 2 : 0);
		for (size_t k = 0; k < n; k++)
			ck_assert_str_eq(page[k].thumbprint, by_name[p][k]);
		if (n > 0)
			last = page[n - 1];
		free(page);
	}
	/* Backwards from the end, by thumbprint: the same rows. */
	ck_assert_int_eq(db_cert_page(db, &f, DB_CERT_SORT_THUMBPRINT, 1, NULL,
	    0, &page, &n), 0);
	ck_assert_uint_eq(n, 4);
	xasprintf(&q, "SELECT thumbprint FROM cert WHERE type = 'role' AND"
	    " not_after <= %lld AND lower(issued_to) LIKE '%%mp%%' ORDER BY"
	    " thumbprint DESC", soon);
	want = sql_rows(q);
	free(q);
	ck_assert_str_eq(want, "A3 A2 A1 A0");
	ck_assert_str_eq(page[0].thumbprint, "A3");
	ck_assert_str_eq(page[3].thumbprint, "A0");
	free(want);
	free(page);
	/* Every order, both ways: pages of one, each after the row before
	 * (the key read from the row by db_cert_keys), give the rows of one
	 * whole page in the same order. */
	for (int sort = 0; sort < DB_CERT_SORT_MAX; sort++) {
		for (int desc = 0; desc < 2; desc++) {
			struct db_cert *all, *one;
			size_t nall, k;

			ck_assert_int_eq(db_cert_page(db, &f, sort, desc, NULL,
			    0, &all, &nall), 0);
			ck_assert_uint_eq(nall, 4);
			for (k = 0; k <= nall; k++) {
				ck_assert_int_eq(db_cert_page(db, &f, sort,
				    desc, k > 0 ? &all[k - 1] : NULL, 1, &one,
				    &n), 0);
				ck_assert_uint_eq(n, k < nall ? 1 : 0);
				if (n == 1)
					ck_assert_int_eq(one[0].id, all[k].id);
				free(one);
			}
			free(all);
		}
	}
	db_close(db);
}
END_TEST

/*
 * Two processes write at once: every write lands (no lost update) and none
 * sees "database is locked".
 */
static int
writer(const char *site, int base, int count)
{
	char *cause = NULL, fqdn[64];
	struct ehttp *e = ehttp_open(tu_db, 0, &cause);
	struct ehttp_security_change ch;
	struct db_site s;

	if (e == NULL)
		return 10;
	for (int i = 0; i < count; i++) {
		snprintf(fqdn, sizeof fqdn, "host%d.%s.example.com", base + i, site);
		if (ehttp_system_add(e, fqdn, site) == -1) {
			fprintf(stderr, "writer: %s\n", ehttp_error(e));
			return 11;
		}
		ehttp_security_change_init(&ch);
		if (base == 0)
			ch.crl_check = i % 2;	/* the last, i = 39, on */
		else
			ch.require_signing = 1 - i % 2;
		if (i == count - 1 && base != 0)
			ch.require_signing = 1;	/* the last on */
		if (ehttp_site_resolve(e, site, &s) != 1 ||
		    ehttp_site_set_security(e, s.id, &ch) == -1) {
			fprintf(stderr, "writer: %s\n", ehttp_error(e));
			return 12;
		}
	}
	ehttp_close(e);
	return 0;
}

START_TEST(concurrent_writers)
{
	char *cause = NULL;
	struct ehttp *e = ehttp_open(tu_db, EHTTP_CREATE, &cause);
	struct db_system *ys = NULL;
	struct db_site s;
	pid_t pid[2];
	int status;
	size_t n;

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(ehttp_site_add(e, "P01", "East", "primary", NULL), 0);
	ehttp_close(e);
	for (int k = 0; k < 2; k++) {
		pid[k] = fork();
		ck_assert_int_ne(pid[k], -1);
		if (pid[k] == 0)
			_exit(writer("P01", k * 1000, 40));
	}
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(waitpid(pid[k], &status, 0), pid[k]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "writer %d: status %d", k, status);
	}
	e = ehttp_open(tu_db, 0, &cause);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(ehttp_site_resolve(e, "P01", &s), 1);
	ck_assert_int_eq(ehttp_system_list(e, s.id, &ys, &n), 0);
	ck_assert_int_eq(n, 80);
	free(ys);
	ck_assert_int_eq(ehttp_site_get(e, s.id, &s), 0);
	ck_assert_int_eq(s.sec.crl_check, 1);	/* 39 % 2 */
	ck_assert_int_eq(s.sec.require_signing, 1);
	ehttp_close(e);
}
END_TEST

/*
 * The engine-neutral tests run again on PostgreSQL (a server for the
 * case, a fresh database for each test: tu_db is its URL). Not there:
 * what is about a SQLite file (create_fresh: its mode and WAL;
 * open_missing_refused, not_sqlite_refused, corrupt_refused), the
 * migrations from SQLite's versions 1 to 11 (PostgreSQL's first schema
 * is at 11: check_pg's schema_upgraded) and bind_too_big_refused (SQLite's
 * own length limit, sqlite3_limit).
 */
static const struct tu_fixture db_pg_fixture = TU_PG_FIXTURE(60);

Suite *
db_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("db", tu_dir_fixture),
		TU_TEST(create_fresh),
		TU_TEST(open_missing_refused),
		TU_TEST(nested_begin_refused),
		TU_TEST(migrate_v1),
		TU_TEST(migrate_v1_to_v4),
		TU_TEST(cert_counts_tally),
		TU_TEST(migrate_v7_to_v8),
		TU_TEST(migrate_to_v9),
		TU_TEST(migrate_to_v11),
		TU_TEST(migrate_to_v10),
		TU_TEST(newer_refused),
		TU_TEST(not_sqlite_refused),
		TU_TEST(corrupt_refused),
		TU_TEST(statements_roundtrip),
		TU_TEST(bind_too_big_refused),
		TU_TEST(bind_range_refused),
		TU_TEST(statements_prepared_lazily),
		TU_TEST(cert_page_every_filter),
		TU_TEST(concurrent_writers),
		TU_CASE("db-pg", db_pg_fixture),
		TU_TEST(statements_roundtrip),
		TU_TEST(bind_range_refused),
		TU_TEST(statements_prepared_lazily),
		TU_TEST(cert_page_every_filter),
		TU_TEST(cert_counts_tally),
		TU_TEST(newer_refused),
		TU_TEST(concurrent_writers),
		{ 0 }
	};

	return tu_suite("db", tests);
}
