/*
 * ehttp-client (backend/client/) against the real agent on loopback:
 * registration pending under manual approval, approved by ehttpctl or at
 * once with a bulk registration token, a CCM token that python3-jwt
 * verifies against the exported SMS Token Signing certificate, polls, a
 * block that the next poll feels; its state directory's modes and its
 * certificate read by openssl; a management point with another name or
 * under another root refused before a byte is sent. Content access tokens:
 * python3-jwt verifies them, and the distribution point's check
 * (mp_content_check, in process) takes the headers ehttp-client and
 * tests/wire.py make and refuses every forgery with its reason. And the
 * load mode: many clients, each its own key, what it reports read by
 * python3's json, what the MP stored read by the sqlite3 CLI, the keys it
 * keeps opened by python3-cryptography.
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

#include "ehttp.h"
#include "mp.h"
#include "testutil.h"
#include "xmalloc.h"

static const struct tu_fixture usage_fixture = { .timeout = 30 };

#define FQDN	"p01.contoso.com"
#define WAIT_MS	15000

#define sh1(...)	tu_line1(tu_sh_ok(__VA_ARGS__))

static char *dir;
static char db[4096], root[4096];
static pid_t agent = -1;
static int https_port;

static void
setup(void)
{
	char logs[4200];

	dir = tu_mp_copy(db, sizeof db, root, sizeof root);
	snprintf(logs, sizeof logs, "%s/logs", dir);
	agent = tu_mpd_start(db, FQDN, logs, NULL, &https_port);
}

static void
teardown(void)
{
	tu_mpd_teardown(&agent, &dir);
}

static const struct tu_fixture mp_fixture = TU_FIXTURE(120, tu_tmpl_setup,
	tu_tmpl_teardown, setup, teardown);

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

/* client(), asserted to exit with want; its standard output (malloc'ed),
 * its standard error in the message. */
static char *
client_out(const char *cmd, const char *state, const char *extra, int want)
{
	char *out, *err;
	int rc = client(cmd, state, extra, &out, &err);

	return tu_exit_is(rc, want, &out, &err, "ehttp-client %s", cmd);
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

/* Usage errors: exit 2 and what is wrong, on stderr. */
static const struct tu_refusal usages[] = {
	{ "", "expected one command" },
	{ "register --state x", "--mp FQDN and --root PEM are required" },
	{ "register --mp 'a:99999' --root r --state x",
	  "--mp 'a:99999': must be FQDN[:PORT]" },
	{ "show --state x --timeout 0", "timeout '0'" },
	{ "fly --state x --mp a --root r", "unknown command 'fly'" },
	{ "load --mp a --root r --state s --duration 5",
	  "load needs --clients N and --duration S" },
	{ "load --mp a --root r --state s --clients 5 --duration 5"
	  " --until later",
	  "--until 'later': must be register, token, poll or keys" },
	{ "load --mp a --root r --state s --clients 0 --duration 5",
	  "clients" },
	{ "token --state x --mp a --root r --type dp",
	  "--type 'dp': must be ccm, site or content" },
};

START_TEST(test_usage)
{
	char *out = NULL, *err = NULL;

	ck_assert_int_eq(tu_sh(&out, NULL, "'%s' --help",
	    tu_bin("ehttp-client")), 0);
	tu_has(out, "usage: ehttp-client register|token|poll --mp",
	    "ehttp-client show --state DIR\n", "--connect", "--version",
	    "Exit status", NULL);
	free(out);
	ck_assert_int_eq(tu_sh(NULL, &err, "'%s' content-headers --state '%s'",
	    tu_bin("ehttp-client"), "/nonexistent"), 4);
	tu_has(err, "holds no client", NULL);
	free(err);
}
END_TEST

START_TEST(test_usage_errors)
{
	tu_usage_is("ehttp-client", &usages[_i]);
}
END_TEST

/*
 * Register (pending), approve, register again (the same SMSID, approved),
 * a token python3-jwt verifies, a poll; blocked: the poll is refused with
 * the reason; a bulk token approves a second client at once.
 */
START_TEST(test_register_token_poll)
{
	char *out, *err, *smsid, *v, signer[4200], token[4200];

	out = client_out("register", "c1", "--name WKS01", 1);
	tu_has(out, "Registered: GUID:", "approval pending", NULL);
	free(out);
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
	out = client_out("token", "c1", "", 0);
	tu_has(out, "CCM token valid until", NULL);
	free(out);
	snprintf(signer, sizeof signer, "%s/signer.der", dir);
	snprintf(token, sizeof token, "%s/c1/token", dir);
	free(tu_signer_der(db, signer));
	v = tu_jwt_verify(token, signer);
	out = tu_py_json(v, "d['UniqueId'], d['Type']");
	free(v);
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
	out = client_out("register", "c2", "--name WKS02 --bulk-token bulk", 0);
	tu_has(out, "approval approved", NULL);
	free(out);
	free(client_out("poll", "c2", "", 0));

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

	free(client_out("register", "c1", "--name WKS01", 1));
	tu_sh_is("700 600 600 700 ", "cd '%s/c1' && stat -c '%%a' . key.p8"
	    " master logs | tr '\\n' ' '", dir);
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
	out = client_out("show", "c1", "", 0);
	tu_has(out, "Name:         WKS01", "Approval:     pending", NULL);
	ck_assert_ptr_null(strstr(out, "PRIVATE"));
	free(out);
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
	char *out, *err;

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
	tu_sh_is("0", "sqlite3 '%s' 'SELECT count(*) FROM client'", db);
}
END_TEST


/*
 * Location before registering: LocationServices.log (CMTrace, read by a
 * python3 regular expression) names the site, its MPs as ehttpctl lists
 * them, and says the site's trusted root key is the root's given.
 */
START_TEST(test_location)
{
	char *v;

	free(client_out("register", "loc", "--name WKS05", 1));
	v = sh1("'%s' --db '%s' role list --json | %s -c 'import json,sys;"
	    " print(\", \".join(sorted(r[\"fqdn\"] for r in json.load("
	    "sys.stdin) if r[\"role\"] == \"mp\" and r[\"fqdn\"]."
	    "endswith(\"p01.contoso.com\"))))'", tu_bin("ehttpctl"), db, tu_python());
	ck_assert_str_eq(v, "mp2.p01.contoso.com, p01.contoso.com");
	free(v);
	v = sh1("%s -c '\n"
	    "import re\n"
	    "t = open(\"%s/loc/logs/LocationServices.log\").read()\n"
	    "r = re.findall(r\"<!\\[LOG\\[(.*?)\\]LOG\\]!><time=\\S+ date=\\S+ "
	    "component=\\\"(\\w+)\\\" context=\\\"\\\" type=\\\"(\\d)\\\"\", t)\n"
	    "assert len(r) == 2 and all(c == \"LocationServices\" and "
	    "y == \"1\" for _, c, y in r), r\n"
	    "print(r[0][0]); print(r[1][0])\n"
	    "'", tu_python(), dir);
	tu_has(v, "Retrieved the key information of site P01 from " FQDN
	    "; its management points: mp2.p01.contoso.com, p01.contoso.com",
	    NULL);
	free(v);
	v = tu_sh_ok("cat '%s/loc/logs/LocationServices.log'", dir);
	tu_has(v, "The trusted root key of site P01 is the key of the root "
	    "this client trusts", NULL);
	free(v);
}
END_TEST

/*
 * The walk, to its end: a client with a token is refused with 401
 * and the reason in the agent's CCM_STS.log when SMS Token Signing is
 * renewed (a new token then works), and when its token has expired: the
 * agent run 9 hours ahead under libfaketime, the client at the real time
 * still holding its 8-hour token.
 */
START_TEST(test_renewed_and_expired)
{
	char *out = NULL, *err = NULL, *id, *sts, logs[4200];

	free(sh1("'%s' --db '%s' token new --out '%s/bulk'", tu_bin("ehttpctl"),
	    db, dir));
	free(client_out("register", "c3", "--name WKS03 --bulk-token bulk", 0));
	free(client_out("token", "c3", "", 0));
	poll_until("c3", 0, &err);
	free(err);

	/* SMS Token Signing renewed: the token it signed is refused. */
	id = tu_active_cert(db, "--type token --site P01", "id");
	free(sh1("'%s' --db '%s' cert renew %s", tu_bin("ehttpctl"), db, id));
	free(id);
	poll_until("c3", 1, &err);
	tu_has(err, "HTTP 401", "not the site's current SMS Token Signing "
	    "certificate", NULL);
	free(err);
	sts = tu_sh_ok("cat '%s/logs/CCM_STS.log'", dir);
	tu_has(sts, "not the site's current SMS Token Signing certificate",
	    NULL);
	free(sts);
	free(client_out("token", "c3", "", 0));
	out = client_out("poll", "c3", "", 0);
	tu_has(out, "Poll: HTTP 200", NULL);
	free(out);

	/* Nine hours later at the MP: the 8-hour token has expired. */
	tu_mpd_stop(&agent);
	snprintf(logs, sizeof logs, "%s/logs9", dir);
	agent = tu_mpd_start(db, FQDN, logs, "+9h", &https_port);
	poll_until("c3", 1, &err);
	tu_has(err, "HTTP 401", "the token expired at", NULL);
	free(err);
	sts = tu_sh_ok("cat '%s/CCM_STS.log'", logs);
	tu_has(sts, "the token expired at", NULL);
	free(sts);
}
END_TEST

/* ---------------------------------------------- content access tokens */

/*
 * What a distribution point decides (mp_content_check), called in this
 * process over the agent's database with a verifier of its own, on the
 * headers the real ehttp-client (or tests/wire.py) prints for a content
 * request.
 */
static struct ehttp *dp_e;
static struct mp_verifier *dp_v;

static void
dp_open(void)
{
	dp_v = tu_verifier_open(db, FQDN, &dp_e);
}

static void
dp_close(void)
{
	tu_verifier_close(&dp_v, &dp_e);
}

/* mp_content_check at now + offset seconds of the request whose headers
 * ("Name: value" lines) are text: 1, or 0 with *reason. */
static int
dp_check(const char *text, long offset, char **reason)
{
	struct mp_request r;
	char *t = xstrdup(text), *save = NULL;
	int rc;

	memset(&r, 0, sizeof r);
	r.mp_fqdn = FQDN;
	r.method = "GET";
	r.target = "/CCMTOKENAUTH_SMS_DP_SMSPKG$/P0100001";
	for (char *l = strtok_r(t, "\n", &save); l != NULL;
	    l = strtok_r(NULL, "\n", &save)) {
		char *v = strstr(l, ": ");

		ck_assert_ptr_nonnull(v);
		*v = '\0';
		v += 2;
		if (strcmp(l, "Authorization") == 0)
			r.authorization = v;
		else if (strcmp(l, "ClientToken") == 0)
			r.client_token = v;
		else if (strcmp(l, "ClientTokenSignature") == 0)
			r.client_token_sig = v;
		else if (strcmp(l, "ClientTokenCertificate") == 0)
			r.client_cert = v;
		else
			ck_abort_msg("header %s", l);
	}
	*reason = NULL;
	rc = mp_content_check(dp_e, dp_v, &r, time(NULL) + offset, reason);
	ck_assert_msg(rc != -1, "%s", ehttp_error(dp_e));
	free(t);
	return rc;
}

static void
dp_allowed(const char *text, long offset)
{
	char *reason = NULL;

	ck_assert_msg(dp_check(text, offset, &reason) == 1, "refused: %s",
	    reason);
	ck_assert_ptr_null(reason);
}

/* Refused with why; the reason never quotes the token (its signature). */
static void
dp_refused(const char *text, long offset, const char *why)
{
	const char *a = strstr(text, "Authorization: Bearer "), *sig;
	char *reason = NULL, part[32];

	ck_assert_int_eq(dp_check(text, offset, &reason), 0);
	ck_assert_msg(reason != NULL && strstr(reason, why) != NULL,
	    "reason '%s', expected '%s'", reason ? reason : "(none)", why);
	if (a != NULL && (sig = strchr(a, '\n')) != NULL) {
		while (sig > a && sig[-1] != '.')
			sig--;
		snprintf(part, sizeof part, "%.24s", sig);
		ck_assert_msg(strstr(reason, part) == NULL, "%s", reason);
	}
	free(reason);
}

/* `ehttp-client content-headers` of dir/state, at a faked time if fake
 * (libfaketime's "+8h"): its output. */
static char *
dp_headers(const char *state, const char *fake)
{
	char *out = NULL, *err = NULL;
	int rc;

	if (fake != NULL)
		tu_faketime_setup();
	rc = tu_sh_in(dir, &out, &err, "%s%s '%s' content-headers --state"
	    " '%s/%s'", fake ? TU_FAKE : "", fake ? fake : "",
	    tu_bin("ehttp-client"), dir, state);
	ck_assert_msg(rc == 0, "content-headers exited %d: %s", rc, err);
	free(err);
	return out;
}

/* text with its Authorization line replaced by "Authorization: Bearer
 * <the token in file dir/tokfile>", or dropped (tokfile NULL). */
static char *
dp_with_token(const char *text, const char *tokfile)
{
	const char *a = strstr(text, "Authorization: "), *end;
	char *tok = NULL, *s;

	ck_assert_ptr_nonnull(a);
	end = strchr(a, '\n') + 1;
	if (tokfile != NULL)
		tok = sh1("cat '%s/%s'", dir, tokfile);
	xasprintf(&s, "%.*s%s%s%s%s", (int)(a - text), text,
	    tok ? "Authorization: Bearer " : "", tok ? tok : "", tok ? "\n" :
	    "", end);
	free(tok);
	return s;
}

/* The output of tests/wire.py ARGS run in dir (asserted to exit 0). */
static char *
wire_py(const char *args)
{
	return tu_sh_ok("cd '%s' && %s '%s/tests/wire.py' %s", dir,
	    tu_python(), EHTTP_SRCDIR, args);
}

/* P01's SMS Token Signing certificate in dir/signer.pem and signer.der. */
static void
signer_export(void)
{
	char *id = tu_active_cert(db, "--type token --site P01", "id");

	free(tu_sh_ok("cd '%s' && '%s' --db '%s' cert export %s > signer.pem"
	    " && openssl x509 -in signer.pem -outform DER -out signer.der",
	    dir, tu_bin("ehttpctl"), db, id));
	free(id);
}

/* A registered, approved client in dir/state (a bulk token): its SMSID. */
static char *
approved_client(const char *state, const char *name)
{
	char *out = NULL, *err = NULL, opts[128], bulk[4200];

	snprintf(bulk, sizeof bulk, "%s/bulk", dir);
	if (access(bulk, F_OK) != 0)
		free(sh1("'%s' --db '%s' token new --out '%s'",
		    tu_bin("ehttpctl"), db, bulk));
	snprintf(opts, sizeof opts, "--name %s --bulk-token bulk", name);
	ck_assert_int_eq(client("register", state, opts, &out, &err), 0);
	free(out);
	free(err);
	return state_get(state, "smsid");
}

/*
 * The content access token from the real agent: none for a pending
 * client (403); for an approved one python3-jwt verifies it against the
 * SMS Token Signing certificate, which openssl verifies against the
 * exported root, and its cnf is the SHA-256 of the client's certificate
 * (python3's hashlib). The distribution point's check takes the client's
 * headers, and tests/wire.py's made from the same key. Blocked: no new
 * token (403), but the one it has still passes until it expires: half a
 * minute past its exp, 8 hours on (the client under libfaketime), inside
 * the minute of leeway; 2 minutes past it refused as expired.
 */
START_TEST(test_content_token)
{
	char *out = NULL, *err = NULL, *smsid, *h, *v, fake[32];
	long exp, off;

	ck_assert_int_eq(client("register", "c1", "--name WKS01", &out, &err),
	    1);
	free(out);
	free(err);
	ck_assert_int_eq(client("token", "c1", "--type content", &out, &err),
	    1);
	tu_has(err, "HTTP 403", "No content access token for",
	    "not approved", NULL);
	free(out);
	free(err);
	smsid = state_get("c1", "smsid");
	tu_ctl_ok(db, "client", "approve", smsid, NULL);

	ck_assert_int_eq(client("token", "c1", "--type content --json", &out,
	    &err), 0);
	tu_py_check(out, "d['type'] == 'content' and d['expires_in'] == 28800"
	    " and d['file'].endswith('/c1/content-token')");
	free(out);
	free(err);
	out = sh1("stat -c %%a '%s/c1/content-token'", dir);
	ck_assert_str_eq(out, "600");
	free(out);
	signer_export();
	out = tu_sh_ok("cd '%s' && openssl verify -CAfile root.pem signer.pem",
	    dir);
	tu_has(out, "signer.pem: OK", NULL);
	free(out);
	out = wire_py("content-verify c1/content-token signer.der c1/cert.der");
	xasprintf(&v, "d['UniqueId'] == '%s' and d['SiteCode'] == 'P01' and"
	    " d['iss'].startswith('urn:sccm:oauth2:')", smsid);
	tu_py_check(out, v);
	free(v);
	free(out);
	out = tu_sh_ok("cat '%s/logs/CCM_STS.log'", dir);
	tu_has(out, "Issued a content access token to", NULL);
	free(out);

	dp_open();
	h = dp_headers("c1", NULL);
	tu_has(h, "Authorization: Bearer ey", "\nClientToken: GUID:",
	    "\nClientTokenSignature: ", "\nClientTokenCertificate: 30", NULL);
	dp_allowed(h, 0);
	free(h);
	xasprintf(&v, "dp-headers c1 '%s' c1/content-token", smsid);
	h = wire_py(v);
	free(v);
	dp_allowed(h, 0);
	free(h);

	/* Blocked: no new token, the current one still passes. */
	tu_ctl_ok(db, "client", "block", smsid, NULL);
	ck_assert_int_eq(client("token", "c1", "--type content", &out, &err),
	    1);
	tu_has(err, "HTTP 403", "blocked", NULL);
	free(out);
	free(err);
	ck_assert_int_eq(mp_verifier_reload(dp_e, dp_v), 0);
	h = dp_headers("c1", NULL);
	dp_allowed(h, 0);
	free(h);
	/* Its exp, and 30 s past it (inside the minute of leeway), then 2
	 * minutes past it, the client at that time under libfaketime. */
	out = wire_py("jwt-verify c1/content-token signer.der");
	v = tu_py_json(out, "d['exp'] - d['nbf'] == 28800 and d['exp']");
	exp = atol(v);
	ck_assert_int_gt(exp, (long)time(NULL));
	free(v);
	free(out);
	off = exp + 30 - (long)time(NULL);
	snprintf(fake, sizeof fake, "+%ld", off);
	h = dp_headers("c1", fake);
	dp_allowed(h, off);
	free(h);
	off = exp + 120 - (long)time(NULL);
	snprintf(fake, sizeof fake, "+%ld", off);
	h = dp_headers("c1", fake);
	dp_refused(h, off, "the token expired at ");
	free(h);
	dp_close();
	free(smsid);
}
END_TEST

/*
 * A client without a content access token gets one with content-headers
 * --renew (once: the next run keeps it). Each request the distribution
 * point refuses, with its reason: no
 * token, a forged one (claims changed under the signature kept), one
 * signed by another site's SMS Token Signing, a CCM token, another
 * client's content token with this client's proof, a ClientToken made 20
 * minutes ago (the client under libfaketime), a certificate that is not
 * the one the token binds, a signature by another key.
 */
START_TEST(test_content_refusals)
{
	char *out = NULL, *err = NULL, *smsid, *smsid2, *h, *x, *claims, *tok;
	struct db_site s;

	smsid = approved_client("c1", "WKS01");
	smsid2 = approved_client("c2", "WKS02");
	ck_assert_int_eq(client("token", "c1", "--type content", &out, &err),
	    0);
	free(out);
	free(err);
	ck_assert_int_eq(client("token", "c1", "", &out, &err), 0);
	free(out);
	free(err);
	/* c2 has no content token: --renew gets one, once. */
	ck_assert_int_eq(client("content-headers", "c2", "--renew", &out,
	    &err), 0);
	free(err);
	dp_open();
	dp_allowed(out, 0);
	free(out);
	ck_assert_int_eq(client("content-headers", "c2", "--renew --json",
	    &out, &err), 0);
	tu_py_check(out, "sorted(d['headers']) == ['Authorization', "
	    "'ClientToken', 'ClientTokenCertificate', 'ClientTokenSignature']");
	free(out);
	free(err);
	out = tu_sh_ok("cat '%s/logs/CCM_STS.log'", dir);
	xasprintf(&x, "Issued a content access token to %s,", smsid2);
	ck_assert_int_eq(tu_count(out, x), 1);
	free(x);
	free(out);
	h = dp_headers("c1", NULL);
	dp_allowed(h, 0);

	x = dp_with_token(h, NULL);
	dp_refused(x, 0, "no Authorization header");
	free(x);
	free(wire_py("jwt-forge c1/content-token '{\"exp\": 4102444800}'"
	    " > forged"));
	x = dp_with_token(h, "forged");
	dp_refused(x, 0, "token: signature does not verify");
	free(x);

	/* Another site's SMS Token Signing, the same claims. */
	tu_ctl_ok(db, "site", "set", "S01", "--enhanced-http", "on", NULL);
	ck_assert_int_eq(ehttp_site_resolve(dp_e, "S01", &s), 1);
	signer_export();
	claims = tu_line1(wire_py("jwt-verify c1/content-token signer.der"));
	ck_assert_msg(ehttp_token_sign(dp_e, s.id, claims, &tok) == 0, "%s",
	    ehttp_error(dp_e));
	xasprintf(&x, "%s/s01-token", dir);
	tu_write_file_mode(x, tok, strlen(tok), 0600);
	free(x);
	free(tok);
	free(claims);
	x = dp_with_token(h, "s01-token");
	dp_refused(x, 0, "that is not the site's current SMS Token Signing");
	free(x);

	x = dp_with_token(h, "c1/token");
	dp_refused(x, 0, "the token's aud is not urn:sccm:dp");
	free(x);
	x = dp_with_token(h, "c2/content-token");
	xasprintf(&claims, "the ClientToken is of %s, the token of %s", smsid,
	    smsid2);
	dp_refused(x, 0, claims);
	free(claims);
	free(x);
	free(h);

	h = dp_headers("c1", "-20m");
	dp_refused(h, 0, "was made more than 15 minutes from the distribution"
	    " point's time");
	free(h);

	/* A key of python3's: its own certificate is not the one bound; with
	 * the client's certificate, its signature does not verify. */
	free(tu_sh_ok("mkdir -p '%s/py'", dir));
	xasprintf(&x, "dp-headers py '%s' c1/content-token", smsid);
	h = wire_py(x);
	free(x);
	dp_refused(h, 0, "is not the certificate the token of");
	free(h);
	xasprintf(&x, "dp-headers py '%s' c1/content-token c1/cert.der", smsid);
	h = wire_py(x);
	free(x);
	dp_refused(h, 0, "the ClientTokenSignature of");
	free(h);
	dp_close();
	free(smsid);
	free(smsid2);
}
END_TEST

/* ------------------------------------------------------------ load mode */

/* The load tests' clients are approved at once. */
static void
load_setup(void)
{
	setup();
	tu_ctl_ok(db, "hierarchy", "set", "--client-approval", "auto", NULL);
}

static const struct tu_fixture load_fixture = TU_FIXTURE(300, tu_tmpl_setup,
	tu_tmpl_teardown, load_setup, teardown);

/* ehttp-client load with the options given, state in dir/load and its
 * identities in dir/ids: exit status, stdout, stderr. */
static int
load(const char *opts, char **out, char **err)
{
	return tu_sh_in(dir, out, err, "'%s' load --mp " FQDN ":%d --connect"
	    " 127.0.0.1 --root '%s' --state load --identities ids --timeout 20"
	    " %s", tu_bin("ehttp-client"), https_port, root, opts);
}

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
	tu_sh_is("12|12|12|LOAD000000|LOAD000011", "sqlite3 '%s' \"SELECT"
	    " count(*), sum(approved), count(DISTINCT thumbprint), min(name),"
	    " max(name) FROM client\"", db);

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
	/* Written by the agent's committer after its next poll. */
	n = NULL;
	for (int ms = 0; ms < WAIT_MS; ms += 100) {
		free(n);
		n = sh1("sqlite3 '%s' \"SELECT count(*) FROM client WHERE "
		    "last_contact IS NOT NULL\"", db);
		if (strcmp(n, "12") == 0)
			break;
		tu_msleep(100);
	}
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
/* The load mode's identities file read by python3 (struct, cryptography):
 * every key opens with the master passphrase and is its certificate's;
 * "<distinct keys> <last subject>". */
static char *
ids_check(void)
{
	return sh1("cd '%s' && %s -c '\n"
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
}

START_TEST(test_load_identities)
{
	char *out = NULL, *err = NULL, *v;

	ck_assert_int_eq(load("--clients 3 --duration 1 --until token",
	    &out, &err), 0);
	free(out);
	free(err);
	tu_sh_is("700 700 600 600 600 ", "cd '%s' && stat -c %%a load ids"
	    " ids/master ids/identities load/clients | tr '\\n' ' '", dir);
	v = ids_check();
	ck_assert_str_eq(v, "3 CN=LOAD000002");
	free(v);
	/* The tokens it keeps are the MP's: three JWTs. */
	tu_sh_is("3", "cut -d' ' -f5 '%s/load/clients' | grep -c "
	    "'^eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*$'", dir);
	/* A run killed while writing leaves a record cut short: the next
	 * run writes over it, and the file reads whole again. */
	free(tu_sh_ok("cd '%s' && head -c 3000 ids/identities > cut && "
	    "cat cut > ids/identities", dir));
	ck_assert_int_eq(load("--clients 4 --duration 1 --until keys", &out,
	    &err), 0);
	free(out);
	free(err);
	v = ids_check();
	ck_assert_str_eq(v, "4 CN=LOAD000003");
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
	char *v, *v0, cmd[8192];
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
	tu_sh_is("2", "wc -l < '%s/load/clients'", dir);
}
END_TEST

/*
 * Another program holds the site database's write lock (python3's own
 * sqlite3 module, BEGIN IMMEDIATE) for about 25 s. Meanwhile the
 * management point answers: ?MPLIST over HTTPS (accepted by the agent's
 * event loop, served under its lock) within 5 s every time, and its
 * health check every second succeeds, though the agent's poll and
 * health check want to write (before, each poll held the event loop and
 * the lock for SQLite's 10 s busy timeout, and the checks failed). Four
 * registrations fail, as they must, with HTTP 500 within 27.5 s (two
 * batches, 10 s each): a batch that could not begin is not stored again
 * one registration at a time (before, each waited 10 s more, until the
 * agent gave up on them at 30 s). The log says the agent's state waits;
 * once the lock is let go it is recorded again.
 */
START_TEST(test_load_db_busy)
{
	char cmd[8192], *v, *out;
	pid_t pid, holder;
	int st, checks;

	/* A health check every second too; a log of its own, where the
	 * agent's start is its own. */
	tu_mpd_stop(&agent);
	agent = tu_mpd_start_with(db, FQDN, tu_join(dir, "busylogs"), NULL,
	    &https_port, "--check 1");
	v = tu_read_file(tu_join(dir, "busylogs/mpcontrol.log"), NULL);
	checks = tu_count(v, "Call to HttpSendRequestSync succeeded");
	free(v);
	holder = tu_db_hold(dir, db);
	snprintf(cmd, sizeof cmd, "cd '%s' && exec '%s' load --mp " FQDN
	    ":%d --connect 127.0.0.1 --root '%s' --state busy --clients 4"
	    " --workers 4 --duration 1 --until register --timeout 90 --json"
	    " > busy.json 2>busy.err", dir, tu_bin("ehttp-client"),
	    https_port, root);
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	/* Three polls and a health check of the agent, at least. */
	for (int i = 0; i < 12; i++) {
		tu_sh_is("200", "curl -s -o /dev/null -w '%%{http_code}' -m 5"
		    " --cacert '%s' --resolve " FQDN ":%d:127.0.0.1 'https://"
		    FQDN ":%d/SMS_MP/.sms_aut?MPLIST'", root, https_port,
		    https_port);
		tu_msleep(300);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %#x",
	    st);
	out = tu_read_file(tu_join(dir, "busy.json"), NULL);
	tu_py_check(out, "d['requests']['register']['count'] == 4 and "
	    "d['requests']['register']['errors'] == 4 and "
	    "d['requests']['register']['max_ms'] < 27500 and "
	    "d['first_errors']['register'].startswith('HTTP 500 ')");
	free(out);
	v = tu_read_file(tu_join(dir, "busylogs/mpcontrol.log"), NULL);
	tu_has(v, "Cannot record the agent state in the site database (trying"
	    " again, serving meanwhile): another program is writing to the"
	    " site database (for 1", NULL);
	ck_assert_ptr_null(strstr(v, "HttpSendRequestSync failed"));
	ck_assert_int_ge(tu_count(v, "Call to HttpSendRequestSync succeeded"),
	    checks + 10);
	free(v);

	tu_db_release(dir, holder);
	for (int ms = 0; ; ms += 100) {
		v = tu_read_file(tu_join(dir, "busylogs/mpcontrol.log"), NULL);
		if (strstr(v, "Recorded the agent state in the site database"
		    " again") != NULL)
			break;
		free(v);
		ck_assert_msg(ms < WAIT_MS, "not recorded again");
		tu_msleep(100);
	}
	free(v);
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

static const struct tu_fixture python_mp_fixture = { 60,
	.setup = py_setup, .teardown = py_teardown };

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
	out = tu_jwt_verify(tu_path("st/token"), tu_path("mp/sts.der"));
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
	/* Location from the python MP's ?MPKEYINFORMATIONEX: its site, its
	 * MP, and a root key python3 took from the root the client trusts. */
	v = tu_read_file(tu_path("st/logs/LocationServices.log"), NULL);
	ck_assert_ptr_nonnull(v);
	tu_has(v, "Retrieved the key information of site PY1 from " PY_MP
	    "; its management points: " PY_MP, "The trusted root key of site "
	    "PY1 is the key of the root this client trusts", NULL);
	free(v);
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
	/* The location request (answered), then the refused registration. */
	tu_py_check(log, "[r['type_name'] for r in d] == ['info', 'warning', "
	    "'error'] and d[0]['text'].endswith('MPKEYINFORMATIONEX: HTTP 200')");
	free(log);
}
END_TEST

/*
 * A registration reply whose SMSID is not GUID:<uuid> (it holds a C1 CSI,
 * a line feed and a right-to-left override) is refused as a bad reply:
 * nothing of it reaches the terminal, the log or the state.
 */
START_TEST(test_py_bad_smsid)
{
	char *out, *err, *log;

	serve("badsmsid");
	ck_assert_int_eq(py_client("register", "--name pc1", &out, &err), 3);
	ck_assert_str_eq(out, "");
	tu_has(err, "registration reply: the SMSID is not GUID:<uuid>", NULL);
	ck_assert_int_eq(tu_count(err, "\n"), 1);
	ck_assert_ptr_null(strstr(err, "\xc2\x9b"));
	ck_assert_ptr_null(strstr(err, "\xe2\x80\xae"));
	free(out);
	free(err);
	log = tu_read_file(tu_path("st/logs/CcmMessaging.log"), NULL);
	ck_assert_ptr_nonnull(log);
	ck_assert_ptr_null(strstr(log, "\xc2\x9b"));
	ck_assert_ptr_null(strstr(log, "\xe2\x80\xae"));
	free(log);
	ck_assert_int_ne(access(tu_path("st/state"), F_OK), 0);
}
END_TEST

/*
 * A location reply for another package than the one asked for (its ID
 * holds a C1 CSI, a line feed and a right-to-left override) is refused:
 * the message names the package asked for, and the server's ID reaches
 * neither the terminal nor the client's logs.
 */
START_TEST(test_py_other_package)
{
	char *out, *err, *log;

	serve("otherpkg");
	ck_assert_int_eq(py_client("register", "--name pc1", &out, &err), 1);
	free(out);
	free(err);
	ck_assert_int_eq(py_client("download P0100001", "--dest dl", &out,
	    &err), 3);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, "ehttp-client: the location reply: it is for "
	    "another package than P0100001\n");
	free(out);
	free(err);
	log = tu_sh_ok("cat '%s'/*.log", tu_path("st/logs"));
	tu_has(log, "Received a location reply for another package than "
	    "P0100001", NULL);
	ck_assert_ptr_null(strstr(log, "\xc2\x9b"));
	ck_assert_ptr_null(strstr(log, "\xe2\x80\xae"));
	free(log);
	ck_assert_int_ne(access(tu_path("dl"), F_OK), 0);
}
END_TEST

Suite *
client_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("usage", usage_fixture),
		TU_TEST(test_usage),
		TU_EACH(test_usage_errors, usages),
		TU_CASE("python-mp", python_mp_fixture),
		TU_TEST(test_py_register_token_poll),
		TU_TEST(test_py_unreachable),
		TU_TEST(test_py_hostile_401),
		TU_TEST(test_py_bad_smsid),
		TU_TEST(test_py_other_package),
		TU_CASE("mp", mp_fixture),
		TU_TEST(test_register_token_poll),
		TU_TEST(test_state_and_certificate),
		TU_TEST(test_tls_refusals),
		TU_TEST(test_location),
		TU_TEST(test_renewed_and_expired),
		TU_TEST(test_content_token),
		TU_TEST(test_content_refusals),
		TU_CASE("load", load_fixture),
		TU_TEST(test_load_register_token_poll),
		TU_TEST(test_load_identities),
		TU_TEST(test_load_blocked),
		TU_TEST(test_load_interrupted),
		TU_TEST(test_load_db_busy),
		{ 0 }
	};

	return tu_suite("client", tests);
}
