/*
 * ehttp-client (backend/client/) against the real agent on loopback:
 * registration pending under manual approval, approved by ehttpctl or at
 * once with a bulk registration token, a CCM token that python3-jwt
 * verifies against the exported SMS Token Signing certificate, polls, a
 * block that the next poll feels; its state directory's modes and its
 * certificate read by openssl; a management point with another name or
 * under another root refused before a byte is sent.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "xmalloc.h"

#define FQDN	"p01.contoso.com"
#define WAIT_MS	15000

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
}

static void
tmpl_teardown(void)
{
	tu_tmpdir_free(tmpl);
	tmpl = NULL;
}

/* The agent of FQDN on a free loopback port, polling every second. */
static void
agent_start(void)
{
	char https[64], http[64], logs[4200], log[4300], *s;

	snprintf(logs, sizeof logs, "%s/logs", dir);
	snprintf(log, sizeof log, "%s/mpcontrol.log", logs);
	https_port = tu_free_port();
	snprintf(https, sizeof https, "127.0.0.1:%d", https_port);
	snprintf(http, sizeof http, "127.0.0.1:%d", tu_free_port());
	if ((agent = fork()) == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execl(tu_bin("ehttp-mpd"), "ehttp-mpd", "--db", db, "--system",
		    FQDN, "--https", https, "--http", http, "--log-dir", logs,
		    "--poll", "1", "--foreground", (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(agent, 0);
	for (int ms = 0; ms < WAIT_MS; ms += 50) {
		if ((s = tu_read_file(log, NULL)) != NULL &&
		    strstr(s, "MP Control Manager started for") != NULL) {
			free(s);
			return;
		}
		free(s);
		ck_assert_int_eq(waitpid(agent, NULL, WNOHANG), 0);
		tu_msleep(50);
	}
	ck_abort_msg("the agent did not start");
}

static void
setup(void)
{
	dir = tu_mp_copy(tmpl, "P01", db, sizeof db, root, sizeof root);
	agent_start();
}

static void
teardown(void)
{
	if (agent > 0) {
		kill(agent, SIGKILL);
		waitpid(agent, NULL, 0);
	}
	agent = -1;
	tu_tmpdir_free(dir);
	dir = NULL;
}

/* ehttp-client CMD as the client in dir/STATE (extra options appended):
 * its exit status, stdout and stderr. */
static int
client(const char *cmd, const char *state, const char *extra, char **out,
    char **err)
{
	return tu_sh_in(dir, out, err, "'%s' %s --mp " FQDN ":%d --connect"
	    " 127.0.0.1 --root '%s' --state '%s/%s' --timeout 10 %s",
	    tu_bin("ehttp-client"), cmd, https_port, root, dir, state, extra);
}

/* The value of key= in the state file of the client in base/state. */
static char *
state_get_in(const char *base, const char *state, const char *key)
{
	return sh1("sed -n 's/^%s=//p' '%s/%s/state'", key, base, state);
}

static char *
state_get(const char *state, const char *key)
{
	return state_get_in(dir, state, key);
}

/* A poll until it exits with want (the agent rereads every second). */
static void
poll_until(const char *state, int want, char **err)
{
	int rc = -1;

	for (int ms = 0; ms < WAIT_MS; ms += 200) {
		char *out;

		*err = NULL;
		rc = client("poll", state, "", &out, err);
		free(out);
		if (rc == want)
			return;
		free(*err);
		tu_msleep(200);
	}
	ck_abort_msg("poll exited %d, not %d", rc, want);
}

START_TEST(test_usage)
{
	char *out = NULL, *err = NULL;

	ck_assert_int_eq(tu_sh(&out, NULL, "'%s' --help",
	    tu_bin("ehttp-client")), 0);
	tu_has(out, "usage: ehttp-client register|token|poll|show", "--connect",
	    "Exit status", NULL);
	free(out);
	ck_assert_int_eq(tu_sh(NULL, &err, "'%s'", tu_bin("ehttp-client")), 2);
	tu_has(err, "expected one command", NULL);
	free(err);
	ck_assert_int_eq(tu_sh(NULL, &err, "'%s' register --state x",
	    tu_bin("ehttp-client")), 2);
	tu_has(err, "--mp FQDN and --root PEM are required", NULL);
	free(err);
	ck_assert_int_eq(tu_sh(NULL, &err, "'%s' register --mp 'a:99999' "
	    "--root r --state x", tu_bin("ehttp-client")), 2);
	tu_has(err, "--mp 'a:99999': must be FQDN[:PORT]", NULL);
	free(err);
	ck_assert_int_eq(tu_sh(NULL, &err, "'%s' show --state x --timeout 0",
	    tu_bin("ehttp-client")), 2);
	tu_has(err, "timeout '0'", NULL);
	free(err);
	ck_assert_int_eq(tu_sh(NULL, &err, "'%s' fly --state x --mp a --root r",
	    tu_bin("ehttp-client")), 2);
	tu_has(err, "unknown command 'fly'", NULL);
	free(err);
}
END_TEST

/*
 * Register (pending), approve, register again (the same SMSID, approved),
 * a token python3-jwt verifies, a poll; blocked: the poll is refused with
 * the reason; a bulk token approves a second client at once.
 */
START_TEST(test_register_token_poll)
{
	char *out, *err, *smsid, *id, *v;

	ck_assert_int_eq(client("register", "c1", "--name WKS01", &out, &err),
	    1);
	tu_has(out, "Registered: GUID:", "approval pending", NULL);
	free(out);
	free(err);
	smsid = state_get("c1", "smsid");
	ck_assert_uint_eq(strlen(smsid), 41);
	/* The site's inventory has it, by the name it sent. */
	out = sh1("'%s' --db '%s' --json client show WKS01 | %s -c 'import"
	    " json,sys; c = json.load(sys.stdin); print(c[\"smsid\"],"
	    " c[\"approval\"])'", tu_bin("ehttpctl"), db, tu_python());
	xasprintf(&v, "%s pending", smsid);
	ck_assert_str_eq(out, v);
	free(v);
	free(out);
	/* Pending: no token. */
	ck_assert_int_eq(client("token", "c1", "", &out, &err), 1);
	tu_has(err, "HTTP 403", "not approved", NULL);
	free(out);
	free(err);

	tu_ctl_ok(db, "client", "approve", smsid, NULL);
	ck_assert_int_eq(client("register", "c1", "--name WKS01 --json", &out,
	    &err), 0);
	v = sh1("printf '%%s' '%s' | %s -c 'import json,sys; r ="
	    " json.load(sys.stdin); print(r[\"smsid\"], r[\"approval\"])'",
	    tu_line1(out), tu_python());
	free(out);
	xasprintf(&out, "%s approved", smsid);
	ck_assert_str_eq(v, out);
	free(out);
	free(v);
	free(err);
	ck_assert_int_eq(client("token", "c1", "", &out, &err), 0);
	tu_has(out, "CCM token valid until", NULL);
	free(out);
	free(err);
	id = sh1("'%s' --db '%s' cert list --type token --site P01 --active"
	    " --json | %s -c 'import json,sys;"
	    " print(json.load(sys.stdin)[0][\"id\"])'", tu_bin("ehttpctl"), db,
	    tu_python());
	free(sh1("'%s' --db '%s' cert export %s | openssl x509 -outform DER"
	    " -out '%s/signer.der'", tu_bin("ehttpctl"), db, id, dir));
	free(id);
	out = sh1("cd '%s' && %s '%s/tests/wire.py' jwt-verify c1/token"
	    " signer.der | %s -c 'import json,sys; c = json.load(sys.stdin);"
	    " print(c[\"UniqueId\"], c[\"Type\"])'", dir, tu_python(),
	    EHTTP_SRCDIR, tu_python());
	xasprintf(&v, "%s CCMToken", smsid);
	ck_assert_str_eq(out, v);
	free(v);
	free(out);
	poll_until("c1", 0, &err);
	free(err);

	/* Blocked: refused from the next poll, with the reason shown. */
	tu_ctl_ok(db, "client", "block", smsid, NULL);
	poll_until("c1", 1, &err);
	tu_has(err, "HTTP 401", "is blocked", NULL);
	free(err);

	/* A bulk registration token: approved at once. */
	free(sh1("'%s' --db '%s' token new --out '%s/bulk'", tu_bin("ehttpctl"),
	    db, dir));
	ck_assert_int_eq(client("register", "c2", "--name WKS02 --bulk-token"
	    " bulk", &out, &err), 0);
	tu_has(out, "approval approved", NULL);
	free(out);
	free(err);
	ck_assert_int_eq(client("poll", "c2", "", &out, &err), 0);
	free(out);
	free(err);

	/* Its logs are CMTrace the reader takes whole. */
	out = sh1("'%s' --json log show '%s/c1/logs/ClientIDManagerStartup.log'"
	    " | %s -c 'import json,sys; r = json.load(sys.stdin); print(sum(1"
	    " for x in r if x[\"type\"] == \"malformed\"), [x[\"text\"] for x in"
	    " r if \"Client is registered\" in x[\"text\"]][-1])'",
	    tu_bin("ehttpctl"), dir, tu_python());
	xasprintf(&v, "0 [RegTask] - Client is registered. Server assigned"
	    " ClientID is %s. Approval status 1", smsid);
	ck_assert_str_eq(out, v);
	free(v);
	free(out);
	free(smsid);
}
END_TEST

/* The state directory: 0700, the key and its passphrase 0600, the
 * certificate self-signed with both SMS EKUs (openssl reads it); a
 * directory others may enter is refused. */
START_TEST(test_state_and_certificate)
{
	char *out, *err;

	ck_assert_int_eq(client("register", "c1", "--name WKS01", &out, &err),
	    1);
	free(out);
	free(err);
	out = sh1("cd '%s/c1' && stat -c '%%a' . key.p8 master logs | tr '\\n'"
	    " ' '", dir);
	ck_assert_str_eq(out, "700 600 600 700 ");
	free(out);
	out = tu_sh_ok("cd '%s/c1' && openssl x509 -inform DER -in cert.der"
	    " -noout -text -subject -issuer", dir);
	tu_has(out, "1.3.6.1.4.1.311.101.2", "1.3.6.1.4.1.311.101\n",
	    "subject=CN = WKS01", "issuer=CN = WKS01", "Public-Key: (2048 bit)",
	    NULL);
	free(out);
	ck_assert_int_eq(tu_sh(NULL, NULL, "cd '%s/c1' && openssl x509 -inform"
	    " DER -in cert.der -out c.pem && openssl verify -CAfile c.pem"
	    " -purpose any c.pem", dir), 0);
	/* show never prints key material. */
	ck_assert_int_eq(client("show", "c1", "", &out, &err), 0);
	tu_has(out, "Name:         WKS01", "Approval:     pending", NULL);
	ck_assert_ptr_null(strstr(out, "PRIVATE"));
	free(out);
	free(err);
	free(sh1("chmod 755 '%s/c1'", dir));
	ck_assert_int_eq(client("show", "c1", "", &out, &err), 4);
	tu_has(err, "open to other users", NULL);
	free(out);
	free(err);
}
END_TEST

/* Another name than the certificate's, or another root: refused by the
 * TLS check, nothing registered. */
START_TEST(test_tls_refusals)
{
	char *out, *err, *n;

	ck_assert_int_eq(tu_sh_in(dir, &out, &err, "'%s' register --mp"
	    " mp2.p01.contoso.com:%d --connect 127.0.0.1 --root '%s' --state"
	    " c1", tu_bin("ehttp-client"), https_port, root), 3);
	tu_has(err, "certificate verify failed", NULL);
	free(out);
	free(err);
	ck_assert_int_eq(tu_sh(NULL, NULL, "cd '%s' && openssl req -x509"
	    " -newkey rsa:2048 -nodes -keyout o.key -out other.pem -days 1"
	    " -subj /CN=Other 2>/dev/null", dir), 0);
	ck_assert_int_eq(tu_sh_in(dir, &out, &err, "'%s' register --mp"
	    " " FQDN ":%d --connect 127.0.0.1 --root other.pem --state c1",
	    tu_bin("ehttp-client"), https_port), 3);
	tu_has(err, "certificate verify failed", NULL);
	free(out);
	free(err);
	n = sh1("sqlite3 '%s' 'SELECT count(*) FROM client'", db);
	ck_assert_str_eq(n, "0");
	free(n);
}
END_TEST

/* ---- against an independent management point (tests/wire.py serve) -- */

#define PY_MP		"mp1.contoso.com"
#define WIRE_PY		EHTTP_SRCDIR "/tests/wire.py"

static pid_t server = -1;
static int server_port;

static void
py_setup(void)
{
	tu_dir_setup();
	server = -1;
	/* A root and a TLS certificate for PY_MP under it, by python3. */
	free(tu_sh_ok("mkdir '%s' && %s '%s' make-pki '%s' " PY_MP,
	    tu_path("mp"), tu_python(), WIRE_PY, tu_path("mp")));
}

static void
py_teardown(void)
{
	if (server > 0) {
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
	}
	server = -1;
	tu_dir_teardown();
}

/* wire.py serve tu_dir/mp MODE; waits for the port it writes. */
static void
serve(const char *mode)
{
	char *port = NULL;

	if ((server = fork()) == 0) {
		execl(tu_python(), "python3", WIRE_PY, "serve", tu_path("mp"),
		    mode, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(server, 0);
	for (int ms = 0; (port = tu_read_file(tu_path("mp/port"), NULL)) ==
	    NULL; ms += 20) {
		ck_assert_msg(ms < WAIT_MS, "wire.py serve did not start");
		ck_assert_int_eq(waitpid(server, NULL, WNOHANG), 0);
		tu_msleep(20);
	}
	server_port = atoi(port);
	free(port);
}

/* ehttp-client CMD against the python MP as the client in tu_dir/st. */
static int
py_client(const char *cmd, const char *extra, char **out, char **err)
{
	return tu_sh_in(tu_dir, out, err, "'%s' %s --mp " PY_MP ":%d --connect"
	    " 127.0.0.1 --root mp/root.pem --state st --timeout 10 %s",
	    tu_bin("ehttp-client"), cmd, server_port, extra);
}

/* The request the python MP recorded as number n: its head. */
static char *
py_request(int n)
{
	char name[64], *s;

	snprintf(name, sizeof name, "mp/req-%d.head", n);
	s = tu_read_file(tu_path(name), NULL);
	ck_assert_msg(s != NULL, "no request %d reached the MP", n);
	return s;
}

/*
 * Register, token and poll against a management point ehttp did not
 * write: python3 verifies the registration's signature, the ClientToken's
 * signature against the certificate registered, issues its own JWT; the
 * token ehttp-client stores is the one python3-jwt verifies, and it is
 * the one the poll presents.
 */
START_TEST(test_py_register_token_poll)
{
	char *out, *err, *smsid, *head, *v, *tok, want[4200];

	serve("mp");
	ck_assert_int_eq(py_client("register", "--name pc1.contoso.com", &out,
	    &err), 1);
	smsid = state_get_in(tu_dir, "st", "smsid");
	xasprintf(&v, "Registered: %s, approval pending\n", smsid);
	ck_assert_str_eq(out, v);
	free(v);
	free(out);
	free(err);
	head = py_request(1);
	tu_has(head, "CCM_POST /ccm_system/request\n", "Content-Type: "
	    "multipart/mixed; boundary=\"aAbBcCdDv1234567890VxXyYzZ\"", NULL);
	ck_assert_ptr_null(strstr(head, "Authorization"));
	free(head);
	out = tu_sh_ok("%s '%s' check-request '%s'", tu_python(), WIRE_PY,
	    tu_path("mp/req-1.body"));
	ck_assert_str_eq(out, "verified Registration 1.2.840.113549.1.1.11"
	    " pc1.contoso.com pc1.contoso.com\n");
	free(out);
	/* Pending: the MP refuses a token. */
	ck_assert_int_eq(py_client("token", "", &out, &err), 1);
	tu_has(err, "token refused: HTTP 403 not approved", NULL);
	free(out);
	free(err);
	/* Again with a bulk token: the same client, approved. */
	ck_assert_int_eq(tu_write_file(tu_path("bulk"), "aaa.bbb.ccc\n", 12), 0);
	ck_assert_int_eq(py_client("register", "--name pc1.contoso.com"
	    " --bulk-token bulk --json", &out, &err), 0);
	xasprintf(&v, "d == {'smsid': '%s', 'approval': 'approved', 'status':"
	    " 0}", smsid);
	tu_py_check(out, v);
	free(v);
	free(out);
	free(err);
	head = py_request(3);
	tu_has(head, "Authorization: Bearer aaa.bbb.ccc\n", NULL);
	free(head);
	/* The token: asked for with a ClientToken the MP verified. */
	ck_assert_int_eq(py_client("token", "", &out, &err), 0);
	tu_has(out, "CCM token valid until ", NULL);
	free(out);
	free(err);
	head = py_request(4);
	snprintf(want, sizeof want, "\nClientToken: %s;", smsid);
	tu_has(head, "GET /CCM_STS\n", want, ";2\nClientTokenSignature: ", NULL);
	free(head);
	out = tu_sh_ok("%s '%s' jwt-verify '%s' '%s'", tu_python(), WIRE_PY,
	    tu_path("st/token"), tu_path("mp/sts.der"));
	xasprintf(&v, "d['UniqueId'] == '%s' and d['Type'] == 'CCMToken' and"
	    " d['exp'] - d['nbf'] == 28800", smsid);
	tu_py_check(out, v);
	free(v);
	free(out);
	/* The poll presents that token and gets the MP's policy reply. */
	ck_assert_int_eq(py_client("poll", "", &out, &err), 0);
	xasprintf(&v, "<PolicyAssignmentReply SMSID=\"%s\"/>", smsid);
	snprintf(want, sizeof want, "Poll: HTTP 200 (%zu bytes of policy)\n",
	    strlen(v));
	free(v);
	ck_assert_str_eq(out, want);
	free(out);
	free(err);
	tok = tu_read_file(tu_path("st/token"), NULL);
	head = py_request(5);
	snprintf(want, sizeof want, "GET /ccm_system_tokenauth/request\n");
	tu_has(head, want, NULL);
	snprintf(want, sizeof want, "Authorization: Bearer %s\n", tok);
	tu_has(head, want, NULL);
	free(head);
	free(tok);
	free(smsid);
}
END_TEST

/* Nothing listens: exit 3 (network), the reason on stderr and in
 * CcmMessaging.log, nothing registered. */
START_TEST(test_py_unreachable)
{
	char *out, *err, *log;

	server_port = tu_free_port();
	ck_assert_int_eq(py_client("register", "--name pc1", &out, &err), 3);
	xasprintf(&log, "cannot connect to 127.0.0.1:%d: Connection refused\n",
	    server_port);
	tu_has(err, log, NULL);
	ck_assert_int_eq(tu_count(err, "\n"), 1);
	free(log);
	free(out);
	free(err);
	log = tu_read_file(tu_path("st/logs/CcmMessaging.log"), NULL);
	tu_has(log, "failed: cannot connect to 127.0.0.1", "type=\"3\"", NULL);
	free(log);
	ck_assert_int_ne(access(tu_path("st/state"), F_OK), 0);
}
END_TEST

/*
 * A 401 whose reason carries ESC, BEL and a raw 0x9b byte: shown escaped,
 * on one line, on stderr and in CcmMessaging.log (which the CMTrace
 * reader takes whole).
 */
START_TEST(test_py_hostile_401)
{
	static const char shown[] = "registration refused: HTTP 401 refused"
	    "\\x1b[31m red\\x07 (WWW-Authenticate: Bearer error_description="
	    "\"\\x1b[2J\\x1b]0;pwned\\x07gone\\x9b\")";
	char *out, *err, *log;

	serve("hostile401");
	ck_assert_int_eq(py_client("register", "--name pc1", &out, &err), 1);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(strncmp(err, "ehttp-client: ", 14), 0);
	ck_assert_int_eq(strncmp(err + 14, shown, sizeof shown - 1), 0);
	ck_assert_str_eq(err + 14 + sizeof shown - 1, "\n");
	free(out);
	free(err);
	log = tu_read_file(tu_path("st/logs/CcmMessaging.log"), NULL);
	ck_assert_ptr_nonnull(log);
	ck_assert_ptr_null(strpbrk(log, "\033\007\233"));
	tu_has(log, shown, NULL);
	free(log);
	log = tu_sh_ok("'%s' --json log show '%s'", tu_bin("ehttpctl"),
	    tu_path("st/logs/CcmMessaging.log"));
	tu_py_check(log, "[r['type_name'] for r in d] == ['warning', 'error']");
	free(log);
}
END_TEST

Suite *
client_suite(void)
{
	const struct tu_test t_plain[] = {
		TU_TEST(test_usage),
		{ NULL }
	};
	const struct tu_test t_mp[] = {
		TU_TEST(test_register_token_poll),
		TU_TEST(test_state_and_certificate),
		TU_TEST(test_tls_refusals),
		{ NULL }
	};
	const struct tu_test t_py[] = {
		TU_TEST(test_py_register_token_poll),
		TU_TEST(test_py_unreachable),
		TU_TEST(test_py_hostile_401),
		{ NULL }
	};
	const struct tu_case cases[] = {
		{ "usage", .timeout = 30, .tests = t_plain },
		{ "python-mp", .timeout = 60, .setup = py_setup,
		    .teardown = py_teardown, .tests = t_py },
		{ "mp", .timeout = 120, .once = tmpl_setup,
		    .once_done = tmpl_teardown, .setup = setup,
		    .teardown = teardown, .tests = t_mp },
		{ NULL }
	};

	return tu_suite("client", cases);
}
