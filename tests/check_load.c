/*
 * ehttp-client load against a real agent on loopback: many clients, each
 * its own key, registering, getting tokens and polling; what it reports
 * read by python3's json, what the MP stored read by the sqlite3 CLI, the
 * keys it keeps opened by python3-cryptography.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define FQDN	"p01.contoso.com"
#define WAIT_MS	20000
#define sh1(...)	tu_line1(tu_sh_ok(__VA_ARGS__))

static char *tmpl;		/* the demo with enhanced HTTP on P01, once */
static char *dir;
static char db[4096], root[4096];
static pid_t agent = -1;
static int https_port;

static void
tmpl_setup(void)
{
	char t[4096];

	tmpl = tu_demo_enhanced(t, sizeof t, "P01");
	tu_ctl_ok(t, "hierarchy", "set", "--client-approval", "auto", NULL);
}

static void
tmpl_teardown(void)
{
	tu_tmpdir_free(tmpl);
	tmpl = NULL;
}

static void
setup(void)
{
	char logs[4200];

	dir = tu_site_copy(tmpl, db, root);
	snprintf(logs, sizeof logs, "%s/logs", dir);
	agent = tu_mpd_start(db, FQDN, logs, NULL, &https_port);
}

static void
teardown(void)
{
	tu_mpd_stop(&agent);
	tu_tmpdir_free(dir);
	dir = NULL;
}

/* ehttp-client load with the options given, state in dir/load and its
 * identities in dir/ids: exit status, stdout, stderr. */
static int
load(const char *opts, char **out, char **err)
{
	return tu_sh_in(dir, out, err, "'%s' load --mp " FQDN ":%d --connect"
	    " 127.0.0.1 --root '%s' --state load --identities ids --timeout 20"
	    " %s", tu_bin("ehttp-client"), https_port, root, opts);
}

START_TEST(test_load_usage)
{
	char *err = NULL;

	ck_assert_int_eq(tu_sh(NULL, &err, "'%s' load --mp a --root r "
	    "--state s --duration 5", tu_bin("ehttp-client")), 2);
	tu_has(err, "load needs --clients N and --duration S", NULL);
	free(err);
	ck_assert_int_eq(tu_sh(NULL, &err, "'%s' load --mp a --root r "
	    "--state s --clients 5 --duration 5 --until later",
	    tu_bin("ehttp-client")), 2);
	tu_has(err, "--until 'later': must be register, token, poll or keys",
	    NULL);
	free(err);
	ck_assert_int_eq(tu_sh(NULL, &err, "'%s' load --mp a --root r "
	    "--state s --clients 0 --duration 5", tu_bin("ehttp-client")), 2);
	tu_has(err, "clients", NULL);
	free(err);
}
END_TEST

/*
 * Twelve clients register (spread over two seconds), then get a token
 * and poll once a second for three seconds: 36 turns exactly, each a
 * poll unless its client was still busy with the one before.
 */
START_TEST(test_load_register_token_poll)
{
	char *out = NULL, *err = NULL, *n;

	ck_assert_int_eq(load("--clients 12 --duration 2 --until register "
	    "--json", &out, &err), 0);
	tu_has(err, "making 12 client identities", NULL);
	tu_py_check(out, "d['clients'] == 12 and d['errors'] == 0 and "
	    "d['requests']['register']['count'] == 12 and "
	    "d['requests']['token']['count'] == 0 and "
	    "d['requests']['poll']['count'] == 0 and d['turns'] == 12 and "
	    "0 < d['requests']['register']['p50_ms'] <= "
	    "d['requests']['register']['p99_ms'] <= "
	    "d['requests']['register']['max_ms'] and not d['interrupted']");
	free(out);
	free(err);
	n = sh1("sqlite3 '%s' \"SELECT count(*), sum(approved), "
	    "count(DISTINCT thumbprint), min(name), max(name) FROM client\"",
	    db);
	ck_assert_str_eq(n, "12|12|12|LOAD000000|LOAD000011");
	free(n);

	ck_assert_int_eq(load("--clients 12 --duration 3 --poll-interval 1 "
	    "--json", &out, &err), 0);
	ck_assert_ptr_null(strstr(err, "making"));	/* kept, not made */
	tu_py_check(out, "d['errors'] == 0 and "
	    "d['requests']['register']['count'] == 0 and "
	    "d['requests']['token']['count'] == 12 and d['turns'] + "
	    "d['skipped_busy'] == 36 and "
	    "d['requests']['poll']['count'] == d['turns'] >= 24");
	free(out);
	free(err);
	n = sh1("sqlite3 '%s' \"SELECT count(*) FROM client WHERE "
	    "last_contact IS NOT NULL\"", db);
	ck_assert_str_eq(n, "12");
	free(n);

	/* The text report: a row per kind of request that was made. */
	ck_assert_int_eq(load("--clients 12 --duration 1 --poll-interval 1",
	    &out, &err), 0);
	tu_has(out, "12 clients against " FQDN, "poll ", "p99 ms", NULL);
	ck_assert_ptr_null(strstr(out, "register "));
	free(out);
	free(err);
}
END_TEST

/* What the run keeps: private files, keys that open with the master
 * passphrase and match their certificates (python3-cryptography). */
START_TEST(test_load_identities)
{
	char *out = NULL, *err = NULL, *v;

	ck_assert_int_eq(load("--clients 3 --duration 1 --until token",
	    &out, &err), 0);
	free(out);
	free(err);
	v = sh1("cd '%s' && stat -c %%a load ids ids/master ids/identities "
	    "load/clients | tr '\\n' ' '", dir);
	ck_assert_str_eq(v, "700 700 600 600 600 ");
	free(v);
	v = sh1("cd '%s' && %s -c '\n"
	    "import struct\n"
	    "from cryptography import x509\n"
	    "from cryptography.hazmat.primitives import serialization as s\n"
	    "b = open(\"ids/identities\", \"rb\").read()\n"
	    "assert b.startswith(b\"EHTTPLOAD1\\n\")\n"
	    "o, pw, seen = 11, open(\"ids/master\", \"rb\").read(), set()\n"
	    "while o < len(b):\n"
	    "    n = struct.unpack(\">I\", b[o:o+4])[0]; c = b[o+4:o+4+n]; o += 4 + n\n"
	    "    n = struct.unpack(\">I\", b[o:o+4])[0]; k = b[o+4:o+4+n]; o += 4 + n\n"
	    "    cert = x509.load_der_x509_certificate(c)\n"
	    "    key = s.load_der_private_key(k, password=pw)\n"
	    "    pub = lambda x: x.public_bytes(s.Encoding.DER, s.PublicFormat.SubjectPublicKeyInfo)\n"
	    "    assert pub(key.public_key()) == pub(cert.public_key())\n"
	    "    assert key.key_size == 2048\n"
	    "    seen.add(pub(key.public_key()))\n"
	    "print(len(seen), cert.subject.rfc4514_string())\n"
	    "'", dir, tu_python());
	ck_assert_str_eq(v, "3 CN=LOAD000002");
	free(v);
	/* The tokens it keeps are the MP's: three JWTs. */
	v = sh1("cut -d' ' -f5 '%s/load/clients' | grep -c "
	    "'^eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*$'", dir);
	ck_assert_str_eq(v, "3");
	free(v);
}
END_TEST

/* A blocked client's polls fail with the MP's 401, and the run says so
 * (exit 1, the first error kept and filtered). */
START_TEST(test_load_blocked)
{
	char *out = NULL, *err = NULL;
	int rc = -1;

	ck_assert_int_eq(load("--clients 4 --duration 1 --until token",
	    &out, &err), 0);
	free(out);
	free(err);
	tu_ctl_ok(db, "client", "block", "LOAD000002", NULL);
	/* The agent learns of the block at its next poll (every second). */
	for (int ms = 0; ms < WAIT_MS && rc != 1; ms += 300) {
		out = err = NULL;
		rc = load("--clients 4 --duration 1 --poll-interval 1 --json",
		    &out, &err);
		if (rc != 1) {
			free(out);
			free(err);
			tu_msleep(300);
		}
	}
	ck_assert_int_eq(rc, 1);
	tu_py_check(out, "d['requests']['poll']['errors'] == 1 and "
	    "d['requests']['poll']['count'] == 4 and d['errors'] == 1 and "
	    "d['first_errors']['poll'].startswith('HTTP 401')");
	free(out);
	free(err);
}
END_TEST

/* Ctrl-C: the run stops early, still reports, and keeps its state. */
START_TEST(test_load_interrupted)
{
	char *out, *v, *v0, cmd[8192];
	pid_t pid;
	int st;

	ck_assert_int_eq(load("--clients 2 --duration 1 --until register",
	    NULL, NULL), 0);
	v0 = sh1("sqlite3 '%s' 'SELECT max(last_contact) FROM client'", db);
	snprintf(cmd, sizeof cmd, "cd '%s' && exec '%s' load --mp " FQDN
	    ":%d --connect 127.0.0.1 --root '%s' --state load --identities "
	    "ids --clients 2 --duration 600 --poll-interval 1 --json "
	    "> run.json 2>run.err", dir, tu_bin("ehttp-client"), https_port,
	    root);
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	v = NULL;
	for (int ms = 0; ms < WAIT_MS; ms += 100) {	/* a first poll */
		free(v);
		v = sh1("sqlite3 '%s' 'SELECT max(last_contact) FROM client'",
		    db);
		if (strcmp(v, v0) != 0)
			break;
		tu_msleep(100);
	}
	ck_assert_str_ne(v, v0);
	free(v);
	free(v0);
	kill(pid, SIGINT);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 1);
	v = tu_sh_ok("cat '%s/run.json'", dir);
	tu_py_check(v, "d['interrupted'] and d['elapsed_s'] < 60 and "
	    "d['errors'] == 0");
	free(v);
	out = sh1("wc -l < '%s/load/clients'", dir);
	ck_assert_str_eq(out, "2");
	free(out);
}
END_TEST

Suite *
load_suite(void)
{
	const struct tu_test t_plain[] = {
		TU_TEST(test_load_usage),
		{ NULL }
	};
	const struct tu_test t_mp[] = {
		TU_TEST(test_load_register_token_poll),
		TU_TEST(test_load_identities),
		TU_TEST(test_load_blocked),
		TU_TEST(test_load_interrupted),
		{ NULL }
	};
	const struct tu_case cases[] = {
		{ "usage", .timeout = 30, .tests = t_plain },
		{ "mp", .timeout = 300, .once = tmpl_setup,
		    .once_done = tmpl_teardown, .setup = setup,
		    .teardown = teardown, .tests = t_mp },
		{ NULL }
	};

	return tu_suite("load", cases);
}
