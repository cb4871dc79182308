/*
 * check_pg: the site database on PostgreSQL. A throwaway server
 * (tests/pgserver.sh: initdb in a temporary directory, a loopback port),
 * started once for the suite and stopped at its end; a fresh database for
 * each test. What ehttp wrote is read back with psql, and the same
 * commands on a SQLite file give the same answers. When PostgreSQL is not
 * installed the suite says so and checks nothing (scripts/deps.sh installs
 * it for `make test`).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "ehttp.h"
#include "testutil.h"
#include "xmalloc.h"

/* The case's server (testutil: tu_pg_once) and the test's database
 * (tu_pg_setup). */
static const char *const super = tu_pg_super, *const url = tu_pg_url;

/* One value psql reads from the test's database; that it is want. */
static char *
psql1(const char *sql)
{
	return tu_sql1(tu_db_cli(url), sql);
}

static void
psql_is(const char *sql, const char *want)
{
	tu_sql_is(tu_db_cli(url), sql, want);
}

/* The SQL fmt formats, for one of the above (a static buffer: one at a
 * time). */
static const char *sqlf(const char *, ...)
    __attribute__((format(printf, 1, 2)));

static const char *
sqlf(const char *fmt, ...)
{
	static char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	ck_assert_int_lt(vsnprintf(buf, sizeof buf, fmt, ap), sizeof buf);
	va_end(ap);
	return buf;
}

/* The demo, P01 enhanced: the same certificates on both engines, and the
 * rows psql reads are the ones ehttpctl lists; the leaf verifies with
 * openssl against the exported root. */
START_TEST(demo_issues_on_both_engines)
{
	static const char *expr = "sorted((c['type'], c['issued_to'],"
	    " c['state'], c['site']) for c in d)";
	char *pg, *lite, *v;

	TU_NEED_PG();
	tu_ctl_ok(url, "init", "--demo", NULL);
	tu_ctl_ok(url, "site", "set", "P01", "--enhanced-http", "on", NULL);
	tu_ctl_ok(tu_db, "init", "--demo", NULL);
	tu_ctl_ok(tu_db, "site", "set", "P01", "--enhanced-http", "on", NULL);
	pg = tu_ctl_json(url, expr, "cert", "list", "--json", NULL);
	lite = tu_ctl_json(tu_db, expr, "cert", "list", "--json", NULL);
	ck_assert_str_eq(pg, lite);
	tu_has(pg, "('role', 'p01.contoso.com', 'active', 'P01')", NULL);
	free(lite);
	free(pg);
	psql_is("SELECT count(*) FROM cert c JOIN site s ON s.id ="
	    " c.site_id WHERE s.code = 'P01' AND c.state = 'active'", "6");
	v = tu_active_cert(url, "--type role --system p01.contoso.com",
	    "thumbprint");
	pg = psql1("SELECT thumbprint FROM cert WHERE type = 'role' AND"
	    " issued_to = 'p01.contoso.com' AND state = 'active'");
	ck_assert_str_eq(v, pg);
	free(pg);
	free(v);
	free(tu_sh_ok("cd '%s' && '%s' --db '%s' cert export 1 --out root.pem"
	    " && '%s' --db '%s' cert export $('%s' --db '%s' cert list --type"
	    " role --system p01.contoso.com --json | %s -c 'import json,sys;"
	    " print(json.load(sys.stdin)[0][\"id\"])') --out leaf.pem",
	    tu_dir, tu_bin("ehttpctl"), url, tu_bin("ehttpctl"), url,
	    tu_bin("ehttpctl"), url, tu_python()));
	tu_sh_is("leaf.pem: OK", "cd '%s' && openssl verify -CAfile root.pem"
	    " -purpose sslserver -verify_hostname p01.contoso.com leaf.pem",
	    tu_dir);
	/* Nothing private in the database in clear: each of the six keys
	 * is an encrypted PKCS#8 (PBES2, its OID's DER in the bytes). */
	psql_is("SELECT count(*) || ' ' || count(*) FILTER (WHERE"
	    " position(decode('06092a864886f70d01050d', 'hex') IN pkcs8) > 0)"
	    " FROM cert_key", "6 6");
}
END_TEST

/* What every system serves, as the console's lists read it in a few
 * queries (ST_CERT_SERVING and the roots), is what each system alone
 * decides (tu_serving) and the same on both engines, with P01's SMS
 * Issuing blocked. */
START_TEST(serving_list_on_both_engines)
{
	const char *dbs[] = { url, tu_db };
	char *out[2], *root;

	TU_NEED_PG();
	for (int i = 0; i < 2; i++) {
		tu_ctl_ok(dbs[i], "init", "--demo", NULL);
		tu_ctl_ok(dbs[i], "site", "set", "P01", "--enhanced-http", "on",
		    NULL);
		tu_ctl_ok(dbs[i], "site", "set", "S01", "--enhanced-http", "on",
		    NULL);
		root = tu_sql1(tu_db_cli(dbs[i]), "SELECT c.thumbprint FROM cert"
		    " c JOIN site s ON s.id = c.site_id WHERE c.type = 'root'"
		    " AND s.code = 'P01'");
		tu_ctl_ok(dbs[i], "cert", "block", root, NULL);
		free(root);
		out[i] = tu_serving(dbs[i]);
	}
	ck_assert_str_eq(out[0], out[1]);
	tu_has(out[0], "p01.contoso.com: none: issuing root blocked\n",
	    "s01.contoso.com: site-issued #", "cas.contoso.com: none (HTTP"
	    " only)\n", "dp1.p02.contoso.com: none: HTTPS without PKI"
	    " certificate\n", NULL);
	free(out[0]);
	free(out[1]);
}
END_TEST

/* A database at a newer schema version is refused; the version is the
 * one the program writes. */
START_TEST(schema_version_checked)
{
	char *v;

	TU_NEED_PG();
	tu_ctl_ok(url, "init", NULL);
	v = psql1("SELECT version FROM ehttp_schema");
	tu_sh_is(v, "grep -o 'DB_SCHEMA_VERSION[[:space:]]*[0-9]*' '%s/db/db.h'"
	    " | grep -o '[0-9]*$'", EHTTP_SRCDIR);
	free(v);
	free(psql1("UPDATE ehttp_schema SET version = 99"));
	tu_ctl_fails(url, 1, "is newer than this program understands", "site",
	    "list", NULL);
}
END_TEST

/* A database made by an earlier version (11: before the agents'
 * enrollment tables, the administration service's tokens and the system
 * that wrote a status message) is upgraded by the first program that
 * writes, one migration after the other; one older than PostgreSQL's first
 * schema is refused, never half migrated. */
START_TEST(schema_upgraded)
{
	char *certs;

	TU_NEED_PG();
	tu_ctl_ok(url, "init", "--demo", NULL);
	certs = psql1("SELECT count(*) || ' ' || sum(id) FROM cert");
	free(psql1("DROP TRIGGER status_message_writer ON status_message;"
	    " DROP FUNCTION status_message_writer();"
	    " ALTER TABLE status_message DROP COLUMN system_id;"
	    " DROP TABLE admin_token; DROP TABLE agent_key;"
	    " DROP TABLE agent_enroll; DROP TABLE agent_login;"
	    " UPDATE ehttp_schema SET version = 11"));
	tu_ctl_fails(url, 1, "schema version 11 needs an upgrade to 14, but"
	    " the database is opened read-only", "site", "list", NULL);
	tu_ctl_ok(url, "site", "set", "P01", "--renew-days", "45", NULL);
	psql_is("SELECT version FROM ehttp_schema", "14");
	psql_is("SELECT count(*) FROM admin_token", "0");
	psql_is("SELECT count(*) > 10, count(system_id) FROM status_message",
	    "t|0");
	psql_is("SELECT renew_days FROM site_renewal r JOIN site s ON"
	    " s.id = r.site_id WHERE code = 'P01'", "45");
	psql_is("SELECT count(*) FROM agent_enroll a JOIN agent_key k USING"
	    " (system_id) JOIN agent_login l USING (system_id)", "0");
	psql_is("SELECT count(*) || ' ' || sum(id) FROM cert", certs);
	free(certs);
	free(psql1("UPDATE ehttp_schema SET version = 5"));
	tu_ctl_fails(url, 1, "schema version 5: this engine has no migration"
	    " from it", "site", "set", "P01", "--renew-days", "50", NULL);
	psql_is("SELECT version FROM ehttp_schema", "5");
}
END_TEST

/* The password of the connection string never reaches a message. */
START_TEST(password_never_shown)
{
	char *out = NULL, *err = NULL, bad[1100], *pw;
	const char *at, *colon;

	TU_NEED_PG();
	at = strrchr(url, '@');
	colon = strchr(url + strlen("postgresql://"), ':');
	ck_assert(at != NULL && colon != NULL && colon < at);
	pw = xstrndup(colon + 1, (size_t)(at - colon - 1));
	ck_assert_int_ge(strlen(pw), 8);
	ck_assert_int_eq(tu_ctl(url, &out, &err, "init", "--demo", NULL), 0);
	tu_has(out, "Database postgresql://postgres@127.0.0.1:", NULL);
	ck_assert_ptr_null(strstr(out, pw));
	free(out);
	free(err);
	/* A wrong password: refused, and said without either one. */
	snprintf(bad, sizeof bad, "%.*sWRONGPASSWORD%s", (int)(colon + 1 - url),
	    url, at);
	ck_assert_int_eq(tu_ctl(bad, &out, &err, "site", "list", NULL), 1);
	tu_has(err, "cannot connect to the PostgreSQL database",
	    "password authentication failed", NULL);
	ck_assert_ptr_null(strstr(err, "WRONGPASSWORD"));
	ck_assert_ptr_null(strstr(err, pw));
	free(out);
	free(err);
	/* A URI libpq cannot parse: it quotes it; ehttp does not. */
	ck_assert_int_eq(tu_ctl("postgresql://u:SECRETPW@[bad", &out, &err,
	    "site", "list", NULL), 1);
	tu_has(err, "cannot connect to the PostgreSQL database", NULL);
	ck_assert_ptr_null(strstr(err, "SECRETPW"));
	free(out);
	free(err);
	free(pw);
}
END_TEST

#define P01_ROLES "SELECT count(*) FROM cert c JOIN site s ON s.id ="	\
	" c.site_id WHERE s.code = 'P01' AND c.type = 'role' AND c.state ="	\
	" 'active'"

/*
 * Writers at once: 12 ehttpctl processes add systems while two toggle
 * enhanced HTTP on P01: every command succeeds (a writer waits for the
 * other, none is refused), nothing is lost, and the certificates are those
 * of the last state.
 */
START_TEST(concurrent_writers)
{
	char *v;

	TU_NEED_PG();
	tu_ctl_ok(url, "init", "--demo", NULL);
	/* Each failure with what its command said on stderr. */
	free(tu_sh_ok("C='%s'; D='%s'; E='%s'; i=0; while [ $i -lt 12 ]; do"
	    " { $C --db \"$D\" system add w$i.p01.contoso.com --site P01 &&"
	    " $C --db \"$D\" role add w$i.p01.contoso.com mp; } >/dev/null"
	    " 2>>\"$E/errs\" || echo fail$i >> \"$E/errs\" & i=$((i+1)); done;"
	    " for t in 1 2; do ( for k in 1 2 3; do for v in on off; do"
	    " $C --db \"$D\" site set P01 --enhanced-http $v >/dev/null"
	    " 2>\"$E/e$t$k\" || { echo $v$t$k; cat \"$E/e$t$k\"; }; done;"
	    " done ) >> \"$E/errs\" & done; wait; touch \"$E/errs\"",
	    tu_bin("ehttpctl"), url, tu_dir));
	v = tu_read_file(tu_path("errs"), NULL);
	ck_assert_msg(v != NULL && *v == '\0', "failed: %s", v);
	free(v);
	psql_is("SELECT count(*) FROM site_system WHERE fqdn LIKE"
	    " 'w%.p01.contoso.com'", "12");
	psql_is("SELECT count(*) FROM role r JOIN site_system y ON y.id ="
	    " r.system_id WHERE y.fqdn LIKE 'w%.p01.contoso.com' AND r.role ="
	    " 'mp'", "12");
	/* Off last: no active role certificate in P01; on: the demo's 4
	 * and the 12. */
	psql_is(P01_ROLES, "0");
	tu_ctl_ok(url, "site", "set", "P01", "--enhanced-http", "on", NULL);
	psql_is(P01_ROLES, "16");
	/* ehttpctl loads its CA module before libpq brings OpenSSL in, so
	 * OpenSSL's freed memory is still cleared (else it warns). */
	tu_sh_is("0", "'%s' --db '%s' cert show 1 2>&1 >/dev/null | grep -c"
	    " 'freed memory is not cleared' || true", tu_bin("ehttpctl"), url);
}
END_TEST

/* Waits up to secs for text in the agent's mpcontrol.log (asserted). */
static void
log_waits(const char *logs, const char *text, int secs)
{
	char path[4300];

	/* Not tu_join: logs may be one of its buffers (tu_path). */
	snprintf(path, sizeof path, "%s/mpcontrol.log", logs);
	tu_file_waits(path, "mpcontrol.log", text, secs);
}

/* openssl s_client's verdict on the agent's chain, "0 (ok)" when good. */
static void
serves_verified(int port)
{
	tu_sh_is("Verify return code: 0 (ok)", "echo | openssl s_client"
	    " -connect 127.0.0.1:%d -servername p01.contoso.com -CAfile '%s'"
	    " -verify_hostname p01.contoso.com 2>/dev/null | grep -o 'Verify"
	    " return code: .*'", port, tu_path("root.pem"));
}

/*
 * The agent reads its certificate from PostgreSQL and serves it (openssl
 * s_client verifies the chain to the exported root). The database server
 * stopped for ten seconds: the agent goes on serving it, says once that it
 * cannot read the database, reads it again when the server is back (on
 * the same port) and then sees a change made meanwhile: a blocked
 * certificate is unbound.
 */
START_TEST(agent_serves_and_survives_an_outage)
{
	char *id;
	int port;
	pid_t pid;

	TU_NEED_PG();
	tu_ctl_ok(url, "init", "--demo", NULL);
	tu_ctl_ok(url, "site", "set", "P01", "--enhanced-http", "on", NULL);
	free(tu_sh_ok("'%s' --db '%s' cert export 1 --out '%s'",
	    tu_bin("ehttpctl"), url, tu_path("root.pem")));
	pid = tu_mpd_start(url, "p01.contoso.com", tu_path("logs"), NULL,
	    &port);
	serves_verified(port);
	free(tu_sh_ok("sh '%s/tests/pgserver.sh' stop '%s/srv'", EHTTP_SRCDIR,
	    tu_pg_srv));
	log_waits(tu_path("logs"), "Cannot read the site database (will retry"
	    " at the next poll)", 10);
	tu_msleep(10000);
	serves_verified(port);
	ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), 0);
	free(tu_sh_ok("sh '%s/tests/pgserver.sh' start '%s/srv'", EHTTP_SRCDIR,
	    tu_pg_srv));
	log_waits(tu_path("logs"), "The site database can be read again", 10);
	id = tu_active_cert(url, "--system p01.contoso.com", "id");
	tu_ctl_ok(url, "cert", "block", id, NULL);
	log_waits(tu_path("logs"), "Stopped serving HTTPS on port", 10);
	free(id);
	tu_mpd_stop(&pid);
}
END_TEST

/* ------------------------------------------------- the agents' logins */

static char	 agent_role[64];	/* the login granted (grant_agent) */
static char	 agent_url[1100];	/* its connection string, no password */

/* `ehttpctl db grant-agent fqdn` on the test's database: the role and its
 * password into a ~/.pgpass-style file (PGPASSFILE), as an agent's host
 * would keep it; agent_url then connects as it. */
static void
grant_agent(const char *fqdn)
{
	char *v, *pw, pass[1400], line[1400];
	const char *at = strrchr(url, '@'), *slash = strrchr(url, '/'), *colon;

	v = tu_ctl_json(url, "d['role'] + ' ' + d['password']", "db",
	    "grant-agent", fqdn, "--json", NULL);
	ck_assert_ptr_nonnull(pw = strchr(v, ' '));
	*pw++ = '\0';
	ck_assert_int_eq(strlen(pw), 32);
	snprintf(agent_role, sizeof agent_role, "%s", v);
	snprintf(agent_url, sizeof agent_url, "postgresql://%s%s", v, at);
	/* host:port:dbname:user:password (url: ...@HOST:PORT/DBNAME); any
	 * database, so that another one's refusal is its own. */
	colon = strchr(at, ':');
	ck_assert(colon != NULL && colon < slash);
	snprintf(line, sizeof line, "%.*s:%.*s:*:%s:%s\n",
	    (int)(colon - at - 1), at + 1, (int)(slash - colon - 1), colon + 1,
	    v, pw);
	snprintf(pass, sizeof pass, "%s", tu_path("pgpass"));
	tu_write_file_mode(pass, line, strlen(line), 0600);
	setenv("PGPASSFILE", pass, 1);
	free(v);
}

/* One line psql prints for q run as the agent's login (an error too). */
static void
agent_is(const char *q, const char *want)
{
	tu_sh_is(want, "psql -X -w -qAt '%s' -c \"%s\" 2>&1 | head -1",
	    agent_url, q);
}

/* The rows q changes (an UPDATE ... or INSERT ... with RETURNING 1) as
 * the agent. */
static void
agent_changes(const char *q, const char *want)
{
	char w[2048];

	snprintf(w, sizeof w, "WITH u AS (%s RETURNING 1) SELECT count(*)"
	    " FROM u", q);
	agent_is(w, want);
}

static char *
system_id(const char *fqdn)
{
	return psql1(sqlf("SELECT id FROM site_system WHERE fqdn = '%s'",
	    fqdn));
}

#define DENIED(t)	"ERROR:  permission denied for table " t
#define RLS(t)		"ERROR:  new row violates row-level security policy" \
	" for table \"" t "\""

/* A status message m as the agent: of site, system and component. */
static void
agent_status_is(const char *site, const char *system, const char *comp,
    const char *m, const char *want)
{
	agent_is(sqlf("INSERT INTO status_message (time, site_id, severity,"
	    " component, message, system_id) SELECT 1, id, 'info', '%s', '%s',"
	    " %s FROM site WHERE code = '%s'", comp, m, system, site), want);
}

/*
 * The agent of system own (of site P01; other: a system of P02) writes
 * status messages of its site (or none), as an agent: it cannot pass one
 * off as the site server's or an administrator's, and each is its own
 * system's whatever system it names, also as an agent of before 14 wrote
 * them (five columns). And it reads none.
 */
static void
agent_statuses(const char *own, const char *other)
{
	char want[128];

	agent_status_is("P02", own, "SMS_MP_CONTROL_MANAGER", "n",
	    RLS("status_message"));
	agent_status_is("P01", own, "SMS_CERTIFICATE_MANAGER", "n",
	    RLS("status_message"));
	agent_status_is("P01", own, "SMS_SITE_COMPONENT_MANAGER", "n",
	    RLS("status_message"));
	agent_status_is("P01", own, "SMS_MP_CONTROL_MANAGER", "y1", "");
	agent_status_is("P01", other, "SMS_MP_CONTROL_MANAGER", "y2", "");
	agent_status_is("P01", "NULL", "SMS_MP_CONTROL_MANAGER", "y3", "");
	agent_is("INSERT INTO status_message (time, site_id, severity,"
	    " component, message) VALUES (1, NULL, 'info',"
	    " 'SMS_MP_CONTROL_MANAGER', 'y4')", "");
	/* A temporary agent_login of its own is not the one read. */
	agent_is(sqlf("CREATE TEMP TABLE agent_login (role text, system_id"
	    " bigint); INSERT INTO agent_login VALUES (current_user, %s);"
	    " INSERT INTO status_message (time, site_id, severity, component,"
	    " message) VALUES (1, NULL, 'info', 'SMS_MP_CONTROL_MANAGER',"
	    " 'y5')", other), "");
	agent_is("SELECT count(*) FROM status_message",
	    DENIED("status_message"));
	snprintf(want, sizeof want, "y1 %s,y2 %s,y3 %s,y4 %s,y5 %s", own, own,
	    own, own, own);
	psql_is("SELECT string_agg(message || ' ' || system_id, ',' ORDER BY"
	    " message) FROM status_message WHERE message ~ '^[yn]'", want);
}

/*
 * An agent's login reads what its system serves and writes its own
 * records only: never cert_key (the keys under the master key), the site's
 * settings, the audit trail; another system's enrollment and keys are
 * invisible to it; its enrollment request it cannot approve; its agent
 * row is writable, another's not; clients and status messages only for
 * its own site. The role's name comes from the ids, not from the FQDN.
 */
START_TEST(agent_login_least_privilege)
{
	char *p01, *p02, *oid, want[200], q[1024];

	TU_NEED_PG();
	tu_ctl_ok(url, "init", "--demo", NULL);
	tu_ctl_ok(url, "site", "set", "P01", "--enhanced-http", "on", NULL);
	grant_agent("p01.contoso.com");
	p01 = system_id("p01.contoso.com");
	p02 = system_id("p02.contoso.com");
	oid = psql1("SELECT oid FROM pg_database WHERE datname ="
	    " current_database()");
	snprintf(want, sizeof want, "ehttp_agent_d%s_s%s", oid, p01);
	ck_assert_str_eq(agent_role, want);
	/* A login, nothing more, in the group (which cannot log in). */
	psql_is("SELECT concat(rolcanlogin::int, rolsuper::int,"
	    " rolcreaterole::int, rolbypassrls::int, rolinherit::int) FROM"
	    " pg_roles WHERE rolname IN (SELECT role FROM agent_login)",
	    "10001");
	psql_is(sqlf("SELECT concat(rolcanlogin::int,"
	    " pg_has_role('%s', oid, 'MEMBER')::int) FROM pg_roles WHERE"
	    " rolname = 'ehttp_agent_d%s'", agent_role, oid), "01");
	/* Two systems' enrollments and keys, written by the owner. */
	free(psql1(sqlf("INSERT INTO agent_enroll (system_id, cert_der,"
	    " fingerprint, requested) VALUES (%s, decode('01', 'hex'),"
	    " repeat('A', 64), 1), (%s, decode('02', 'hex'), repeat('B', 64),"
	    " 1); INSERT INTO agent_key (cert_id, system_id, cms) SELECT id, %s,"
	    " decode('aa', 'hex') FROM cert WHERE type = 'root'; INSERT INTO"
	    " agent_key (cert_id, system_id, cms) SELECT id, %s, decode('bb',"
	    " 'hex') FROM cert WHERE type = 'role'; INSERT INTO agent (system_id)"
	    " VALUES (%s), (%s)", p01, p02, p01, p02, p01, p02)));

	/* Key material: none of the master key's, only its own copies. */
	agent_is("SELECT count(*) FROM cert_key", DENIED("cert_key"));
	agent_is("SELECT count(*) FROM cert_key k JOIN cert c ON c.id ="
	    " k.cert_id", DENIED("cert_key"));
	snprintf(want, sizeof want, "%s aa", p01);
	agent_is("SELECT string_agg(DISTINCT system_id || ' ' ||"
	    " encode(cms, 'hex'), ',') FROM agent_key", want);
	snprintf(want, sizeof want, "%s 01", p01);
	agent_is("SELECT string_agg(system_id || ' ' || encode(cert_der,"
	    " 'hex'), ',') FROM agent_enroll", want);
	agent_is("SELECT count(*) || ' ' || (min(role) = current_user) FROM"
	    " agent_login", "1 true");
	/* The site's settings, the audit trail, certificates: no writes. */
	agent_is("UPDATE site_security SET https_only = 1",
	    DENIED("site_security"));
	agent_is("UPDATE cert SET blocked = 1", DENIED("cert"));
	agent_is("DELETE FROM cert", DENIED("cert"));
	agent_is("SELECT count(*) FROM audit", DENIED("audit"));
	agent_is("UPDATE ehttp_schema SET version = 99",
	    DENIED("ehttp_schema"));
	agent_is("UPDATE hierarchy SET client_approval = 'auto'",
	    DENIED("hierarchy"));
	agent_is("UPDATE bulk_token SET blocked = 1", DENIED("bulk_token"));
	/* Its enrollment: a request it may change, never approve. */
	agent_is("UPDATE agent_enroll SET approved = 1",
	    DENIED("agent_enroll"));
	agent_is("UPDATE agent_enroll SET approved_by = 'me'",
	    DENIED("agent_enroll"));
	agent_changes("UPDATE agent_enroll SET host = 'h1'", "1");
	agent_is(sqlf("INSERT INTO agent_enroll (system_id, cert_der,"
	    " fingerprint, requested) VALUES (%s, decode('03', 'hex'),"
	    " repeat('C', 64), 1)", p02), RLS("agent_enroll"));
	free(psql1("UPDATE agent_enroll SET approved = 1, approved_by ="
	    " 'admin'"));
	agent_changes("UPDATE agent_enroll SET cert_der = decode('04', 'hex')",
	    "0");
	psql_is("SELECT string_agg(encode(cert_der, 'hex') || host, ','"
	    " ORDER BY system_id) FROM agent_enroll", "01h1,02");
	/* Its agent row, not another's. */
	agent_changes(sqlf("UPDATE agent SET health_text = 'mine' WHERE"
	    " system_id = %s", p01), "1");
	agent_changes(sqlf("UPDATE agent SET health_text = 'theirs' WHERE"
	    " system_id = %s", p02), "0");
	agent_is(sqlf("INSERT INTO agent (system_id, pid) VALUES (%s, 1) ON"
	    " CONFLICT (system_id) DO UPDATE SET pid = 1", p02), RLS("agent"));
	agent_is("SELECT count(*) FROM agent", "2");	/* reads all */
	psql_is("SELECT string_agg(health_text, ',' ORDER BY system_id) FROM"
	    " agent", "mine,");
	/* Clients and status messages of its own site only. */
	agent_changes(sqlf("INSERT INTO client (smsid, site_id, thumbprint,"
	    " sign_der, enc_der, registered) SELECT 'GUID:1', site_id, 'T1',"
	    " decode('00', 'hex'), decode('00', 'hex'), 1 FROM site_system"
	    " WHERE id = %s", p01), "1");
	agent_is(sqlf("INSERT INTO client (smsid, site_id, thumbprint,"
	    " sign_der, enc_der, registered) SELECT 'GUID:2', site_id, 'T2',"
	    " decode('00', 'hex'), decode('00', 'hex'), 1 FROM site_system"
	    " WHERE id = %s", p02), RLS("client"));
	agent_statuses(p01, p02);
	/* Another ehttp database on the server: the agent of this one is no
	 * member of its group, and reads nothing there. */
	{
		char other[1100], *slash = strrchr(agent_url, '/');

		tu_pg_newdb(other, sizeof other, NULL);
		tu_ctl_ok(other, "init", "--demo", NULL);
		tu_ctl_ok(other, "db", "grant-agent", "p02.contoso.com", NULL);
		snprintf(q, sizeof q, "psql -X -w -qAt '%.*s/%s' -c 'SELECT count(*)"
		    " FROM site' 2>&1 | head -1", (int)(slash - agent_url),
		    agent_url, strrchr(other, '/') + 1);
		tu_sh_is(DENIED("site"), "%s", q);
	}
	free(p01);
	free(p02);
	free(oid);
}
END_TEST

/*
 * A database whose agents were granted at schema 13: their group may write
 * a status message of any component and of no system. The upgrade to 14
 * (the first program that writes) gives the group the new column and
 * check, without a new grant-agent.
 */
START_TEST(agent_grant_upgraded_to_14)
{
	char *p01, *p02, *oid;

	TU_NEED_PG();
	tu_ctl_ok(url, "init", "--demo", NULL);
	grant_agent("p01.contoso.com");
	p01 = system_id("p01.contoso.com");
	p02 = system_id("p02.contoso.com");
	oid = psql1("SELECT oid FROM pg_database WHERE datname ="
	    " current_database()");
	free(psql1(sqlf("DROP POLICY ehttp_agent_insert ON status_message;"
	    " DROP TRIGGER status_message_writer ON status_message;"
	    " DROP FUNCTION status_message_writer();"
	    " ALTER TABLE status_message DROP COLUMN system_id; CREATE POLICY"
	    " ehttp_agent_insert ON status_message FOR INSERT TO"
	    " ehttp_agent_d%s WITH CHECK (site_id IS NULL OR site_id = (SELECT"
	    " y.site_id FROM site_system y JOIN agent_login l ON l.system_id ="
	    " y.id WHERE l.role = current_user)); UPDATE ehttp_schema SET"
	    " version = 13", oid)));
	agent_is("INSERT INTO status_message (time, site_id, severity,"
	    " component, message) VALUES (1, NULL, 'error',"
	    " 'SMS_CERTIFICATE_MANAGER', 'old')", "");
	agent_is("INSERT INTO status_message (time, site_id, severity,"
	    " component, message) VALUES (1, NULL, 'info',"
	    " 'SMS_MP_CONTROL_MANAGER', 'Taking over mp2.p01.contoso.com: its"
	    " lease ran out')", "");
	tu_ctl_ok(url, "site", "set", "P01", "--renew-days", "45", NULL);
	psql_is("SELECT version FROM ehttp_schema", "14");
	/* What the agents wrote before has no writer. */
	psql_is("SELECT count(*) || ' ' || count(system_id) FROM"
	    " status_message WHERE time = 1", "2 0");
	agent_statuses(p01, p02);
	free(p01);
	free(p02);
	free(oid);
}
END_TEST

/*
 * The real agent with its login only (its password in PGPASSFILE, none
 * in the URL): it starts, polls, writes its row, health check and status
 * messages. Revoked while connected: its sessions end, it says it cannot
 * read the database, its attempt to log in again is refused, and it goes
 * on serving. With a certificate to serve it cannot start: the key under
 * the master key is not its to read, and it says so.
 */
START_TEST(agent_runs_under_its_login)
{
	char *p01, *out = NULL, *err = NULL, *v, q[600], want[200], role[64];
	const char *logs = tu_path("logs");
	int port, rc;
	pid_t pid;

	TU_NEED_PG();
	tu_ctl_ok(url, "init", "--demo", NULL);	/* P01: HTTP only */
	grant_agent("p01.contoso.com");
	snprintf(role, sizeof role, "%s", agent_role);
	p01 = system_id("p01.contoso.com");
	/* An issuance whose process died: for ehttpctl and the site server
	 * to drop (the agent's login may not delete certificates). */
	free(psql1(sqlf("INSERT INTO cert (type, state, site_id, system_id,"
	    " pending_pid, created) SELECT 'role', 'pending', site_id, id,"
	    " 2147483646, 1 FROM site_system WHERE id = %s", p01)));
	pid = tu_mpd_start(agent_url, "p01.contoso.com", logs, NULL, &port);
	log_waits(logs, "Call to HttpSendRequestSync succeeded", 10);
	psql_is("SELECT count(*) FROM cert WHERE state = 'pending'", "1");
	snprintf(want, sizeof want, "%d 1 200", (int)pid);
	psql_is(sqlf("SELECT pid || ' ' || health_ok || ' ' ||"
	    " health_status FROM agent WHERE system_id = %s", p01), want);
	psql_is("SELECT count(*) FROM status_message WHERE component ="
	    " 'SMS_MP_CONTROL_MANAGER' AND message LIKE 'ehttp-mpd started on"
	    " p01.contoso.com:%'", "1");
	snprintf(q, sizeof q, "[(a['role'], a['fqdn'], a['can_login'],"
	    " a['sessions'] > 0) for a in d] == [('%s', 'p01.contoso.com',"
	    " True, True)]", role);
	v = tu_ctl_json(url, q, "db", "list-agents", "--json", NULL);
	ck_assert_str_eq(v, "True");
	free(v);

	ck_assert_int_eq(tu_ctl(url, &out, &err, "db", "revoke-agent",
	    "p01.contoso.com", NULL), 0);
	snprintf(want, sizeof want, "Database login %s revoked: it can no"
	    " longer log in;", role);
	tu_has(out, want, " open session", NULL);
	ck_assert_ptr_null(strstr(out, " 0 open sessions"));
	free(out);
	free(err);
	log_waits(logs, "Cannot read the site database (will retry at the"
	    " next poll)", 10);
	snprintf(want, sizeof want, "password authentication failed for user"
	    " \"%s\"", role);
	log_waits(logs, want, 10);
	psql_is(sqlf("SELECT count(*) FROM pg_stat_activity WHERE"
	    " usename = '%s'", role), "0");
	psql_is(sqlf("SELECT rolcanlogin FROM pg_roles WHERE rolname"
	    " = '%s'", role), "f");
	psql_is("SELECT count(*) FROM agent_login", "0");
	ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), 0);	/* serving */
	tu_mpd_stop(&pid);

	/* Granted again: the same role, a new password; a certificate to
	 * serve now, whose key it cannot read. */
	tu_ctl_ok(url, "site", "set", "P01", "--enhanced-http", "on", NULL);
	psql_is("SELECT count(*) FROM cert WHERE state = 'pending'", "0");
	grant_agent("p01.contoso.com");
	ck_assert_str_eq(agent_role, role);
	rc = tu_sh(&out, &err, "'%s' --db '%s' --system p01.contoso.com"
	    " --https 127.0.0.1:%d --http 127.0.0.1:%d --log-dir '%s' --poll 1"
	    " --foreground </dev/null", tu_bin("ehttp-mpd"), agent_url,
	    tu_free_port(), tu_free_port(), logs);
	ck_assert_msg(rc == 1, "exit %d: %s", rc, err);
	tu_has(err, "MP Control Manager cannot start: certificate ",
	    "its private key cannot be read: ",
	    "permission denied for table cert_key", NULL);
	free(out);
	free(err);
	free(p01);
}
END_TEST

/*
 * What grant-agent refuses: a FQDN that is no site system's name (quotes,
 * a semicolon, non-ASCII: no role is made, none is named from it), a
 * second grant (the first password still works), a password file others
 * can read or a short password; SQLite has no roles.
 */
START_TEST(agent_login_refusals)
{
	static const char *const bad[] = {
		"x';DROP ROLE postgres;--.contoso.com",
		"p01.contoso.com\";CREATE ROLE evil SUPERUSER;--",
		"\xc3\xbcnicode.contoso.com",
		"p01.contoso.com; SELECT 1",
	};
	char pwf[1200], q[1400], *v;

	TU_NEED_PG();
	tu_ctl_ok(url, "init", "--demo", NULL);
	for (size_t i = 0; i < TU_ALL(bad); i++)
		tu_ctl_fails(url, 1, "", "db", "grant-agent", bad[i], NULL);
	/* Roles are the server's: this database's would be named after it. */
	psql_is("SELECT count(*) FROM pg_roles WHERE rolname LIKE"
	    " 'ehttp_agent_d' || (SELECT oid FROM pg_database WHERE datname ="
	    " current_database()) || '%' OR rolname = 'evil'", "0");
	psql_is("SELECT count(*) FROM agent_login", "0");

	grant_agent("p01.contoso.com");
	tu_ctl_fails(url, 1, "p01.contoso.com already has the database login"
	    " ehttp_agent_d", "db", "grant-agent", "p01.contoso.com", NULL);
	agent_is("SELECT current_user", agent_role);

	snprintf(pwf, sizeof pwf, "%s", tu_path("pw"));
	tu_write_file_mode(pwf, "correct-horse-battery-1\n", 24, 0644);
	tu_ctl_fails(url, 1, "must be a file that group and others cannot read",
	    "db", "grant-agent", "p02.contoso.com", "--password-file", pwf,
	    NULL);
	tu_write_file_mode(pwf, "short\n", 6, 0600);
	tu_ctl_fails(url, 1, "the password must have 16 to 255 characters",
	    "db", "grant-agent", "p02.contoso.com", "--password-file", pwf,
	    NULL);
	tu_write_file_mode(pwf, "correct-horse-battery-1\n", 24, 0600);
	v = tu_ctl_json(url, "d['password'] is None and d['role']", "db",
	    "grant-agent", "p02.contoso.com", "--password-file", pwf, "--json",
	    NULL);
	snprintf(q, sizeof q, "psql -X -qAt 'postgresql://%s:"
	    "correct-horse-battery-1%s' -c 'SELECT current_user'", v,
	    strrchr(url, '@'));
	tu_sh_is(v, "%s", q);
	free(v);
	psql_is("SELECT count(*) FROM agent_login", "2");
	tu_sh_is("s01.contoso.com has no database login: nothing to revoke.",
	    "'%s' --db '%s' db revoke-agent s01.contoso.com", tu_bin("ehttpctl"),
	    url);

	/* A system removed takes its agent's login along. */
	tu_ctl_ok(url, "system", "remove", "p02.contoso.com", NULL);
	tu_sh_fails(2, "password authentication failed", "%s", q);
	psql_is("SELECT string_agg(r.rolname, ',') FROM pg_roles r JOIN"
	    " pg_auth_members m ON m.member = r.oid JOIN pg_roles g ON g.oid ="
	    " m.roleid WHERE g.rolname LIKE 'ehttp_agent_d%' AND r.rolname NOT"
	    " IN (SELECT role FROM agent_login) AND r.rolname LIKE"
	    " 'ehttp_agent_d' || (SELECT oid FROM pg_database WHERE datname ="
	    " current_database()) || '%'", "");
	psql_is("SELECT count(*) FROM agent_login", "1");

	tu_ctl_ok(tu_db, "init", "--demo", NULL);
	tu_ctl_fails(tu_db, 1, "database roles need a PostgreSQL site database",
	    "db", "grant-agent", "p01.contoso.com", NULL);
	tu_ctl_fails(tu_db, 1, "database roles need a PostgreSQL site database",
	    "db", "revoke-agent", "p01.contoso.com", NULL);
	tu_ctl_fails(tu_db, 1, "database roles need a PostgreSQL site database",
	    "db", "list-agents", NULL);
}
END_TEST

/* ------------------------------------------- the administrators' logins */

/* `ehttpctl db grant-admin name [more]` as the owner: the URL that logs
 * in as it (password in it: a test's throwaway). */
static void
grant_admin(const char *name, const char *more, char *u, size_t len)
{
	char *v;

	v = tu_ctl_json(url, "d['role'] + ':' + d['password']", "db",
	    "grant-admin", name, "--json", more, NULL);
	snprintf(u, len, "postgresql://%s%s", v, strrchr(url, '@'));
	free(v);
}

/* One line psql prints for q as the login of URL u (an error too). */
static void
as_is(const char *u, const char *q, const char *want)
{
	tu_sh_is(want, "psql -X -w -qAt '%s' -c \"%s\" 2>&1 | head -1", u, q);
}

/*
 * Administrators with logins of their own: a full one changes what
 * ehttpctl changes (the same certificates, warnings and audit as the
 * owner's), reads the keys it issues with, sees every agent's and client's
 * row where agents have row-level security, and cannot make logins nor
 * own anything; a read-only one lists what the console shows, changes
 * nothing, reads no key. Revoked: it can no longer log in. The names are
 * checked (no quoting, none of ehttp's or the server's own), and a role
 * with more rights, an agent's, the owner: refused, not changed.
 */
START_TEST(admin_logins)
{
	char alice[1200], bob[1200], pwf[1200], *v, *w, *a0;

	TU_NEED_PG();
	tu_ctl_ok(url, "init", "--demo", NULL);
	tu_ctl_ok(url, "site", "set", "P01", "--enhanced-http", "on", NULL);
	grant_agent("p01.contoso.com");		/* row-level security on */
	grant_admin("alice", NULL, alice, sizeof alice);
	snprintf(pwf, sizeof pwf, "%s", tu_path("pw"));
	tu_write_file_mode(pwf, "correct-horse-battery-2\n", 24, 0600);
	v = tu_ctl_json(url, "d['password'] is None and d['role']", "db",
	    "grant-admin", "bob", "--read-only", "--password-file", pwf,
	    "--json", NULL);
	ck_assert_str_eq(v, "bob");
	free(v);
	snprintf(bob, sizeof bob, "postgresql://bob:correct-horse-battery-2%s",
	    strrchr(url, '@'));
	v = tu_ctl_json(url, "[(a['name'], a['access'], a['can_login']) for a"
	    " in d]", "db", "list-admins", "--json", NULL);
	ck_assert_str_eq(v, "[('alice', 'full', True), ('bob', 'read-only',"
	    " True)]");
	free(v);
	/* Logins, nothing more, owning nothing. */
	psql_is("SELECT string_agg(concat(rolname, rolcanlogin::int,"
	    " rolsuper::int, rolcreaterole::int, rolbypassrls::int), ','"
	    " ORDER BY rolname) FROM pg_roles WHERE rolname IN ('alice',"
	    " 'bob')", "alice1000,bob1000");

	/* alice turns P02 on: what the owner would see, audited. */
	a0 = psql1("SELECT max(id) FROM audit");
	tu_ctl_ok(alice, "site", "set", "P02", "--client-comm", "https-or-http",
	    "--enhanced-http", "on", NULL);
	v = tu_ctl_json(url, "sorted(c['issued_to'] for c in d if c['site'] =="
	    " 'P02' and c['type'] == 'role')", "cert", "list", "--json", NULL);
	w = tu_ctl_json(bob, "sorted(c['issued_to'] for c in d if c['site'] =="
	    " 'P02' and c['type'] == 'role')", "cert", "list", "--json", NULL);
	ck_assert_str_eq(v, w);
	ck_assert(strstr(v, "p02.contoso.com") != NULL);
	free(v);
	free(w);
	psql_is(sqlf("SELECT count(*) > 0 FROM audit WHERE id > %s"
	    " AND object = 'P02' AND action = 'site set' AND detail LIKE"
	    " '%%nhanced HTTP%%'", a0), "t");
	free(a0);
	as_is(alice, "SELECT count(*) > 0 FROM cert_key", "t");
	as_is(alice, "SELECT count(*) FROM agent_login", "1");
	/* The audit trail is append-only; the schema's version the owner's. */
	as_is(alice, "DELETE FROM audit", DENIED("audit"));
	as_is(alice, "UPDATE audit SET detail = 'x'", DENIED("audit"));
	as_is(alice, "UPDATE ehttp_schema SET version = 99",
	    DENIED("ehttp_schema"));
	/* What stays the owner's. */
	tu_ctl_fails(alice, 1, "must be owner of table", "db", "grant-agent",
	    "p02.contoso.com", NULL);
	as_is(alice, "CREATE TABLE mine (x int)",
	    "ERROR:  permission denied for schema public");
	as_is(alice, "ALTER TABLE cert ADD COLUMN x int",
	    "ERROR:  must be owner of table cert");

	/* bob reads, changes nothing, reads no key. */
	tu_ctl_fails(bob, 1, "permission denied", "site", "set", "P01",
	    "--enhanced-http", "off", NULL);
	psql_is("SELECT count(*) FROM site_security s JOIN site t ON t.id ="
	    " s.site_id WHERE t.code = 'P01' AND s.enhanced_http = 1", "1");
	as_is(bob, "SELECT count(*) FROM cert_key", DENIED("cert_key"));
	as_is(bob, "SELECT count(*) FROM agent_key", DENIED("agent_key"));
	as_is(bob, "DELETE FROM audit", DENIED("audit"));
	v = psql1("SELECT count(*) FROM status_message");
	as_is(bob, "SELECT count(*) FROM status_message", v);
	free(v);

	/* Refused names and roles; nothing made or changed by them. */
	tu_ctl_fails(url, 1, "lower-case letters, digits and _", "db",
	    "grant-admin", "Alice", NULL);
	tu_ctl_fails(url, 1, "lower-case letters, digits and _", "db",
	    "grant-admin", "x\";CREATE ROLE evil SUPERUSER;--", NULL);
	tu_ctl_fails(url, 1, "ehttp's and the server's own", "db",
	    "grant-admin", "ehttp_agent_x", NULL);
	free(psql1("CREATE ROLE power CREATEROLE LOGIN"));
	tu_ctl_fails(url, 1, "role power has more rights than an administrator",
	    "db", "grant-admin", "power", NULL);
	tu_ctl_fails(url, 1, "ehttp's and the server's own", "db",
	    "grant-admin", agent_role, NULL);
	v = psql1("SELECT current_user");
	tu_ctl_fails(url, 1, "is the login running this", "db", "grant-admin",
	    v, NULL);
	free(v);
	psql_is("SELECT count(*) FROM pg_roles WHERE rolname = 'evil' OR"
	    " (rolname = 'power' AND rolcanlogin AND rolcreaterole AND"
	    " NOT pg_has_role('power', 'ehttp_admin_d' || (SELECT oid FROM"
	    " pg_database WHERE datname = current_database()), 'MEMBER'))",
	    "1");
	tu_ctl_fails(url, 1, "'carol' is no administrator's login", "db",
	    "revoke-admin", "carol", NULL);
	/* Someone else's role is not taken over: its password stays. */
	free(psql1("CREATE ROLE carol LOGIN PASSWORD 'carols-own-password'"));
	tu_ctl_fails(url, 1, "role carol exists and is no administrator's"
	    " login", "db", "grant-admin", "carol", "--read-only", NULL);
	snprintf(pwf, sizeof pwf, "postgresql://carol:carols-own-password%s",
	    strrchr(url, '@'));
	as_is(pwf, "SELECT current_user", "carol");
	free(psql1("DROP ROLE carol"));
	/* A login given more by someone else is not re-granted. */
	free(psql1("GRANT pg_read_all_data TO alice"));
	tu_ctl_fails(url, 1, "role alice is also a member of pg_read_all_data",
	    "db", "grant-admin", "alice", NULL);
	free(psql1("REVOKE pg_read_all_data FROM alice"));
	/* Full to read-only: the keys are out of reach at once. */
	grant_admin("alice", "--read-only", alice, sizeof alice);
	as_is(alice, "SELECT count(*) FROM cert_key", DENIED("cert_key"));
	v = tu_ctl_json(url, "[(a['name'], a['access']) for a in d]", "db",
	    "list-admins", "--json", NULL);
	ck_assert_str_eq(v, "[('alice', 'read-only'), ('bob', 'read-only')]");
	free(v);

	/* Revoked: its session ended, no new one. */
	tu_ctl_ok(url, "db", "revoke-admin", "alice", NULL);
	tu_sh_fails(2, "password authentication failed", "psql -X -w -qAt '%s'"
	    " -c 'SELECT 1'", alice);
	v = tu_ctl_json(url, "[a['name'] for a in d]", "db", "list-admins",
	    "--json", NULL);
	ck_assert_str_eq(v, "['bob']");
	free(v);
	free(psql1("DROP ROLE power"));

	tu_ctl_ok(tu_db, "init", "--demo", NULL);
	tu_ctl_fails(tu_db, 1, "database roles need a PostgreSQL site database",
	    "db", "grant-admin", "alice", NULL);
}
END_TEST

/*
 * The server restarted while a program holds its connection: libpq learns
 * it only when the next statement fails. Outside a transaction (a read, a
 * BEGIN) the statement goes again on a new connection, so the program
 * goes on; the server down, the failure is said in one line.
 */
START_TEST(restart_between_transactions)
{
	struct ehttp_security_change ch;
	struct ehttp *e;
	struct db_site s;
	char *cause = NULL;

	TU_NEED_PG();
	tu_ctl_ok(url, "init", "--demo", NULL);
	e = ehttp_open(url, 0, &cause);
	ck_assert_msg(e != NULL, "%s", cause);
	ck_assert_int_eq(ehttp_site_resolve(e, "P01", &s), 1);
	free(tu_sh_ok("P='%s/tests/pgserver.sh'; sh \"$P\" stop '%s/srv' &&"
	    " sh \"$P\" start '%s/srv'", EHTTP_SRCDIR, tu_pg_srv, tu_pg_srv));
	ck_assert_int_eq(ehttp_site_resolve(e, "P01", &s), 1);
	free(tu_sh_ok("P='%s/tests/pgserver.sh'; sh \"$P\" stop '%s/srv' &&"
	    " sh \"$P\" start '%s/srv'", EHTTP_SRCDIR, tu_pg_srv, tu_pg_srv));
	ehttp_security_change_init(&ch);
	ch.crl_check = 0;
	ck_assert_msg(ehttp_site_set_security(e, s.id, &ch) == 0, "%s",
	    ehttp_error(e));
	psql_is("SELECT crl_check FROM site_security x JOIN site s ON s.id ="
	    " x.site_id WHERE code = 'P01'", "0");
	free(tu_sh_ok("sh '%s/tests/pgserver.sh' stop '%s/srv'", EHTTP_SRCDIR,
	    tu_pg_srv));
	ck_assert_int_eq(ehttp_site_resolve(e, "P01", &s), -1);
	tu_has(ehttp_error(e), "reading a site: ", "connection to server at",
	    "Connection refused; Is the server running", NULL);
	ck_assert_ptr_null(strchr(ehttp_error(e), '\n'));
	free(tu_sh_ok("sh '%s/tests/pgserver.sh' start '%s/srv'", EHTTP_SRCDIR,
	    tu_pg_srv));
	ck_assert_int_eq(ehttp_site_resolve(e, "P01", &s), 1);
	ehttp_close(e);
}
END_TEST

/* Seconds since t0 on the monotonic clock. */
static double
since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) /
	    1e9;
}

/* A waiting function (db_set_waiting) for the test below: it counts its
 * calls, commits the other connection at the second, or stops the wait
 * at once (stop). */
struct waiter {
	struct db	*other;
	int		 stop;
	int		 calls;
	int		 over;		/* the -1 call came */
};

static int
waiter_fn(void *arg, long waited_ms)
{
	struct waiter *w = arg;

	if (waited_ms < 0) {
		w->over++;
		return 0;
	}
	if (w->stop)
		return 1;
	if (++w->calls == 2)
		ck_assert_int_eq(db_commit(w->other), 0);
	return 0;
}

/*
 * On both engines, while another connection writes: ehttp_open() for
 * writing does not wait for it; db_begin_try() says 1 at once, nothing
 * begun; 0 once the other has committed (the agent's event loop writes
 * through it). db_begin() waits, calling the waiting function.
 */
START_TEST(begin_try_does_not_wait)
{
	const char *targets[2] = { url, tu_path("site.db") };
	struct timespec t0;
	char *cause = NULL;

	TU_NEED_PG();
	for (int i = 0; i < 2; i++) {
		struct ehttp *e;
		struct db *a, *b;

		tu_ctl_ok(targets[i], "init", "--demo", NULL);
		a = db_open(targets[i], 0, &cause);
		ck_assert_msg(a != NULL, "%s", cause);
		b = db_open(targets[i], 0, &cause);
		ck_assert_msg(b != NULL, "%s", cause);
		ck_assert_int_eq(db_begin(a), 0);
		/* Opening for writing takes no write lock (nothing to
		 * migrate, no unfinished issuance to drop). */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		e = ehttp_open(targets[i], 0, &cause);
		ck_assert_msg(e != NULL, "%s", cause);
		ck_assert_msg(since(&t0) < 2, "%s: open waited %.1f s",
		    targets[i], since(&t0));
		ehttp_close(e);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ck_assert_int_eq(db_begin_try(b), 1);
		ck_assert_msg(since(&t0) < 2, "%s: waited %.1f s", targets[i],
		    since(&t0));
		ck_assert_int_eq(db_begin_try(b), 1);	/* still nothing begun */
		ck_assert_int_eq(db_commit(a), 0);
		ck_assert_msg(db_begin_try(b) == 0, "%s", db_error(b));
		ck_assert_int_eq(db_begin_try(a), 1);
		ck_assert_int_eq(db_commit(b), 0);
		ck_assert_msg(db_begin_try(a) == 0, "%s", db_error(a));

		/* db_begin() waits in the engine (SQLite's busy handler,
		 * PostgreSQL's lock queue) and calls the waiting function
		 * between: begins once the other commits, or stops when
		 * told, with nothing begun. */
		struct waiter w = { .other = a };

		db_set_waiting(b, waiter_fn, &w);
		ck_assert_msg(db_begin(b) == 0, "%s", db_error(b));
		ck_assert_int_eq(w.calls, 2);
		ck_assert_int_eq(w.over, 1);
		ck_assert_int_eq(db_begin_try(a), 1);
		w = (struct waiter){ .other = b, .stop = 1 };
		db_set_waiting(a, waiter_fn, &w);
		ck_assert_int_eq(db_begin(a), -1);
		tu_has(db_error(a), "starting a transaction: stopped waiting"
		    " for another program's write to the site database after",
		    NULL);
		ck_assert_int_eq(w.over, 1);
		ck_assert_int_eq(db_commit(b), 0);
		tu_nested_begin_refused(a, b);
		db_close(a);
		db_close(b);
	}
}
END_TEST

/* The schema against SQLite's migrations (catalogue and the same writes
 * on both) and every statement of the table PREPAREd by the server, by
 * python3 scripts that read both engines with their own clients. */
START_TEST(schema_and_statements_match_sqlite)
{
	char *out = NULL, *err = NULL;
	int rc;

	TU_NEED_PG();
	rc = tu_sh(&out, &err, "cd '%s/tests' && %s pg-schema-compare.py '%s'"
	    " && %s pg-dialect.py '%s'", EHTTP_SRCDIR, tu_python(), super,
	    tu_python(), super);
	ck_assert_msg(rc == 0, "%s%s", out, err);
	tu_has(out, "schema compare: ok (version ", "dialect: ok (", NULL);
	free(out);
	free(err);
}
END_TEST

/* No program links libpq (the engine opens it for a PostgreSQL target):
 * its libraries would slow every start, also on a SQLite file. */
START_TEST(programs_do_not_link_libpq)
{
	static const char *const progs[] = { "ehttpctl", "ehttp-mpd",
	    "ehttp-sited", "ehttp-console", "ehttp-client" };

	for (size_t i = 0; i < TU_ALL(progs); i++)
		tu_sh_is("0", "ldd '%s' | grep -c 'libpq\\|libkrb5\\|libldap'"
		    " || true", tu_bin(progs[i]));
}
END_TEST

/* A password in $EHTTP_DB is not shown by the help texts that name the
 * default database (the console's title uses the same function). */
START_TEST(help_hides_a_password)
{
	static const char *const targets[] = {
		"postgresql://u:SEKRET1@h:5/db",
		"postgresql://h/db?sslmode=require&password=SEKRET2&x=1",
		"host=h password='SEK RET3' dbname=x",
	};

	for (size_t i = 0; i < TU_ALL(targets); i++) {
		tu_sh_is("0", "export EHTTP_DB=\"%s\"; { '%s' --help; '%s' site"
		    " list --help; '%s' --help; } 2>&1 | grep -c 'SEK' || true",
		    targets[i], tu_bin("ehttpctl"), tu_bin("ehttpctl"),
		    tu_bin("ehttp-mpd"));
		tu_sh_is("1", "EHTTP_DB=\"%s\" '%s' --help | grep -c '\\*\\*\\*'",
		    targets[i], tu_bin("ehttpctl"));
	}
}
END_TEST

/* The administration service on PostgreSQL, the agent connected as the
 * tables' owner (as the site server runs): what it lists is what psql
 * counts, and a full token's change is in the database psql reads. */
START_TEST(admin_service_on_pg)
{
	char *tok, *out = NULL, *err = NULL, *n, root[4200];
	const char *logs = tu_path("logs");
	int port, rc;
	pid_t pid;

	TU_NEED_PG();
	tu_ctl_ok(url, "init", "--demo", NULL);
	tu_ctl_ok(url, "site", "set", "P01", "--enhanced-http", "on", NULL);
	rc = tu_ctl(url, &out, &err, "admin", "token", "new", "ops", "--role",
	    "full", NULL);
	ck_assert_msg(rc == 0, "%s", err);
	tok = tu_line1(out);
	free(err);
	snprintf(root, sizeof root, "%s", tu_path("root.pem"));
	tu_ctl_ok(url, "cert", "export", "1", "--out", root, NULL);
	pid = tu_mpd_start(url, "p01.contoso.com", logs, NULL, &port);
	n = psql1("SELECT count(*) FROM cert WHERE state != 'pending'");
	tu_sh_is(n, "curl -s --cacert '%s' --resolve p01.contoso.com:%d:127.0.0.1 -H"
	    " 'Authorization: Bearer %s' 'https://p01.contoso.com:%d/"
	    "AdminService/wmi/SMS_Certificate?$count=true&$top=0' | %s -c"
	    " 'import json,sys; print(json.load(sys.stdin)[\"@odata.count\"])'",
	    root, port, tok, port, tu_python());
	free(n);
	tu_sh_is("200", "curl -s -o /dev/null -w '%%{http_code}' --cacert '%s'"
	    " --resolve p01.contoso.com:%d:127.0.0.1 -H 'Authorization: Bearer"
	    " %s' -H 'Content-Type: application/json' -X PATCH -d"
	    " '{\"HTTPSOnly\":false,\"EnhancedHTTP\":true}'"
	    " \"https://p01.contoso.com:%d/AdminService/wmi/"
	    "SMS_SCI_Component('P02')\"", root, port, tok, port);
	psql_is("SELECT enhanced_http || ' ' || https_only FROM site_security c"
	    " JOIN site s ON s.id = c.site_id WHERE s.code = 'P02'", "1 0");
	psql_is("SELECT count(*) FROM cert c JOIN site s ON s.id = c.site_id"
	    " WHERE s.code = 'P02' AND c.type = 'root' AND c.state = 'active'",
	    "1");
	/* (to_json: "user" in double quotes would not reach psql whole.) */
	psql_is("SELECT to_json(a)->>'user' FROM audit a WHERE action ="
	    " 'site set' ORDER BY id DESC LIMIT 1", "ops (AdminService)");
	tu_mpd_stop(&pid);
	free(out);
}
END_TEST

Suite *
pg_suite(void)
{
	static const struct tu_fixture fx = TU_FIXTURE(120, tu_pg_once,
	    tu_pg_once_done, tu_pg_setup, tu_pg_teardown);
	const struct tu_test tests[] = {
		TU_CASE("pg", fx),
		TU_TEST(programs_do_not_link_libpq),
		TU_TEST(help_hides_a_password),
		TU_TEST(demo_issues_on_both_engines),
		TU_TEST(serving_list_on_both_engines),
		TU_TEST(schema_version_checked),
		TU_TEST(schema_upgraded),
		TU_TEST(password_never_shown),
		TU_TEST(concurrent_writers),
		TU_TEST(schema_and_statements_match_sqlite),
		TU_TEST(agent_serves_and_survives_an_outage),
		TU_TEST(agent_login_least_privilege),
		TU_TEST(agent_grant_upgraded_to_14),
		TU_TEST(agent_runs_under_its_login),
		TU_TEST(agent_login_refusals),
		TU_TEST(admin_logins),
		TU_TEST(restart_between_transactions),
		TU_TEST(begin_try_does_not_wait),
		TU_TEST(admin_service_on_pg),
		{ 0 }
	};

	return tu_suite("pg", tests);
}
