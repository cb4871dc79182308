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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* A database made by the previous version (11: before the agents'
 * enrollment tables) is upgraded by the first program that writes; one
 * older than PostgreSQL's first schema is refused, never half migrated. */
START_TEST(schema_upgraded)
{
	char *certs;

	TU_NEED_PG();
	tu_ctl_ok(url, "init", "--demo", NULL);
	certs = psql1("SELECT count(*) || ' ' || sum(id) FROM cert");
	free(psql1("DROP TABLE agent_key; DROP TABLE agent_enroll;"
	    " DROP TABLE agent_login; UPDATE ehttp_schema SET version = 11"));
	tu_ctl_fails(url, 1, "schema version 11 needs an upgrade to 12, but"
	    " the database is opened read-only", "site", "list", NULL);
	tu_ctl_ok(url, "site", "set", "P01", "--renew-days", "45", NULL);
	psql_is("SELECT version FROM ehttp_schema", "12");
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
	free(tu_sh_ok("C='%s'; D='%s'; i=0; while [ $i -lt 12 ]; do"
	    " { $C --db \"$D\" system add w$i.p01.contoso.com --site P01 &&"
	    " $C --db \"$D\" role add w$i.p01.contoso.com mp; } >/dev/null"
	    " 2>>'%s/errs' || echo fail$i >> '%s/errs' & i=$((i+1)); done;"
	    " for t in 1 2; do ( for k in 1 2 3; do $C --db \"$D\" site set P01"
	    " --enhanced-http on >/dev/null 2>&1 || echo on$t$k; $C --db \"$D\""
	    " site set P01 --enhanced-http off >/dev/null 2>&1 || echo off$t$k;"
	    " done ) >> '%s/errs' & done; wait; touch '%s/errs'",
	    tu_bin("ehttpctl"), url, tu_dir, tu_dir, tu_dir, tu_dir));
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
}
END_TEST

/* Waits up to secs for text in the agent's mpcontrol.log (asserted). */
static void
log_waits(const char *logs, const char *text, int secs)
{
	char path[4300], *s;

	snprintf(path, sizeof path, "%s/mpcontrol.log", logs);
	for (int ms = 0; ms < secs * 1000; ms += 100) {
		s = tu_read_file(path, NULL);
		if (s != NULL && strstr(s, text) != NULL) {
			free(s);
			return;
		}
		free(s);
		tu_msleep(100);
	}
	ck_abort_msg("mpcontrol.log never said: %s", text);
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
	tu_has(ehttp_error(e), "reading a site: connection to server at",
	    "Connection refused; Is the server running", NULL);
	ck_assert_ptr_null(strchr(ehttp_error(e), '\n'));
	free(tu_sh_ok("sh '%s/tests/pgserver.sh' start '%s/srv'", EHTTP_SRCDIR,
	    tu_pg_srv));
	ck_assert_int_eq(ehttp_site_resolve(e, "P01", &s), 1);
	ehttp_close(e);
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

Suite *
pg_suite(void)
{
	static const struct tu_fixture fx = { .timeout = 120,
	    .once = tu_pg_once, .once_done = tu_pg_once_done,
	    .setup = tu_pg_setup, .teardown = tu_pg_teardown };
	const struct tu_test tests[] = {
		TU_CASE("pg", fx),
		TU_TEST(programs_do_not_link_libpq),
		TU_TEST(help_hides_a_password),
		TU_TEST(demo_issues_on_both_engines),
		TU_TEST(schema_version_checked),
		TU_TEST(schema_upgraded),
		TU_TEST(password_never_shown),
		TU_TEST(concurrent_writers),
		TU_TEST(schema_and_statements_match_sqlite),
		TU_TEST(agent_serves_and_survives_an_outage),
		TU_TEST(restart_between_transactions),
		{ NULL }
	};

	return tu_suite("pg", tests);
}
