/*
 * The site server, ehttp-sited, run for real under libfaketime: months and
 * years pass, certificates expire, it renews them, the agent serves the
 * new ones, and independent verifiers (openssl, GnuTLS certtool, python's
 * cryptography) accept them at the faked date. What it cannot renew is
 * announced once at 30, 7 and 1 days and when expired. Killed mid-pass, a
 * site is wholly as before or wholly renewed.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ehttp.h"
#include "testutil.h"
#include "xmalloc.h"

#define FQDN	"p01.contoso.com"
#define WAIT_MS	20000
#define FAKE	TU_FAKE

static char db[4096], logs[4000], certmgr[4096];
static pid_t agent_pid = -1;
static int agent_port;

#define sh1(...)	tu_line1(tu_sh_ok(__VA_ARGS__))

static void
tmpl_setup(void)
{
	tu_faketime_setup();
	tu_tmpl_setup();
}

static void
setup(void)
{
	tu_dir = tu_tmpl_copy(db, sizeof db);
	snprintf(logs, sizeof logs, "%s/logs", tu_dir);
	snprintf(certmgr, sizeof certmgr, "%s/certmgr.log", logs);
	agent_pid = -1;
}

/* The agent agent_at() started, stopped by sig and reaped. */
static void
agent_stop(int sig)
{
	kill(agent_pid, sig);
	waitpid(agent_pid, NULL, 0);
	agent_pid = -1;
}

static void
teardown(void)
{
	if (agent_pid > 0)
		agent_stop(SIGKILL);
	tu_dir_teardown();
	tu_pg_env_clear();	/* what the PostgreSQL case's copy set */
}

static const struct tu_fixture sited_fixture = TU_FIXTURE(300, tmpl_setup,
	tu_tmpl_teardown, setup, teardown);

/*
 * The same on PostgreSQL (testutil's tu_pg_tmpl_setup: the case's server,
 * the template a database of it; tu_tmpl_copy a copy of it, the programs
 * given the master key in $EHTTP_MASTER_KEY). The programs run at a
 * faked time; the server does not (ehttp sends its times, never asks the
 * server's clock).
 */
static void
pg_tmpl_setup(void)
{
	tu_faketime_setup();
	tu_pg_tmpl_setup();
}

static const struct tu_fixture sited_pg_fixture = TU_FIXTURE_PG(300,
	pg_tmpl_setup, tu_pg_tmpl_teardown, setup, teardown);

/* ehttp-sited --once at now + offset (faketime's "+340d", "+60s"): its
 * exit status, what it printed in out (may be NULL). */
static int
sited_at(const char *offset, char **out)
{
	char *err = NULL;
	int rc;

	rc = tu_sh(out, &err, FAKE "'%s' '%s' --db '%s' --log-dir '%s' --once",
	    offset, tu_bin("ehttp-sited"), db, logs);
	ck_assert_msg(err == NULL || strstr(err, "AddressSanitizer") == NULL,
	    "%s", err);
	free(err);
	return rc;
}

/* The active role certificates of P01 as "FQDN THUMBPRINT NOT_BEFORE"
 * lines, sorted; python3 reads ehttpctl's JSON. */
static char *
role_certs(void)
{
	return tu_sh_ok("'%s' --db '%s' cert list --type role --site P01"
	    " --active --json | %s -c 'import json,sys\n"
	    "for c in sorted(json.load(sys.stdin), key=lambda c: c[\"issued_to\"]):"
	    " print(c[\"issued_to\"], c[\"thumbprint\"], c[\"not_before\"])'",
	    tu_bin("ehttpctl"), db, tu_python());
}

/* The records of certmgr.log, parsed by python3's own regular expressions
 * (not ehttp's reader): how many have type t and contain needle. */
static int
log_records(int t, const char *needle)
{
	/* A log not made yet has no records (the site server makes it at
	 * its first line). */
	char *out = sh1("%s -c 'import os,re,sys\n"
	    "if not os.path.exists(sys.argv[1]): print(0); sys.exit()\n"
	    "recs = re.findall(r\"<!\\[LOG\\[(.*?)\\]LOG\\]!><time=\\\"[0-9:.+]+\\\""
	    " date=\\\"[0-9-]+\\\" component=\\\"SMS_CERTIFICATE_MANAGER\\\""
	    " context=\\\"\\\" type=\\\"([123])\\\" thread=\\\"[0-9]+\\\""
	    " file=\\\"\\\">\\n\", open(sys.argv[1], encoding=\"utf-8\").read())\n"
	    "print(sum(1 for x, y in recs if int(y) == %d and sys.argv[2] in x))'"
	    " '%s' '%s'", tu_python(), t, certmgr, needle);
	int n = atoi(out);

	free(out);
	return n;
}

/* Status messages of the site server (component), as "severity message"
 * lines. */
static char *
sited_messages(void)
{
	return tu_sh_ok("'%s' --db '%s' status --limit 500 --json | %s -c"
	    " 'import json,sys\n"
	    "for m in json.load(sys.stdin):\n"
	    "  if m[\"component\"] == \"SMS_CERTIFICATE_MANAGER\":"
	    " print(m[\"severity\"], m[\"message\"])'", tu_bin("ehttpctl"), db,
	    tu_python());
}

/* The agent for FQDN at now + offset, in the foreground, polling every
 * second, its TLS port in agent_port; waits until it serves. */
static void
agent_at(const char *offset)
{
	char *out;

	agent_port = tu_free_port();
	out = sh1("cd '%s' && " FAKE "'%s' '%s' --db '%s' --system " FQDN
	    " --https 127.0.0.1:%d --http 127.0.0.1:0 --log-dir '%s/agent'"
	    " --poll 1 --check 1 --pid-file '%s/mpd.pid' --foreground"
	    " >agent.out 2>&1 </dev/null & echo $!", tu_dir, offset,
	    tu_bin("ehttp-mpd"), db, agent_port, tu_dir, tu_dir);
	agent_pid = atoi(out);
	free(out);
	ck_assert_int_gt(agent_pid, 0);
	for (int ms = 0; ms < WAIT_MS; ms += 50) {
		if (tu_sh(NULL, NULL, "grep -q 'MP Control Manager started for'"
		    " '%s/agent/mpcontrol.log' 2>/dev/null", tu_dir) == 0)
			return;
		tu_msleep(50);
	}
	ck_abort_msg("the agent did not start");
}

/*
 * A TLS handshake with the agent at now + offset by openssl s_client,
 * trusting only ca_pem and checking the host name: 0 and the served
 * leaf's thumbprint in tp, or non-zero.
 */
static int
handshake(const char *offset, const char *ca_pem, char tp[41])
{
	char *out = NULL;
	int rc;

	tp[0] = '\0';
	rc = tu_sh_in(tu_dir, &out, NULL, "out=$(" FAKE "'%s' openssl s_client"
	    " -connect 127.0.0.1:%d -servername " FQDN " -CAfile '%s' -no-CApath"
	    " -no-CAstore -verify_return_error -verify_hostname " FQDN
	    " </dev/null 2>&1) || exit 3; printf '%%s\\n' \"$out\" | grep -q"
	    " 'Verify return code: 0 (ok)' || exit 4; printf '%%s\\n' \"$out\" |"
	    " openssl x509 -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'",
	    offset, agent_port, ca_pem);
	if (rc == 0)
		snprintf(tp, 41, "%.40s", out);
	free(out);
	return rc;
}

/* Handshakes until the agent serves want (polled: it re-reads the
 * database every second); asserted. */
static void
wait_served(const char *offset, const char *ca_pem, const char *want)
{
	char tp[41] = "";

	for (int ms = 0; ms < WAIT_MS; ms += 200) {
		if (handshake(offset, ca_pem, tp) == 0 && strcmp(tp, want) == 0)
			return;
		tu_msleep(200);
	}
	ck_abort_msg("the agent serves %s, not %s", tp[0] ? tp : "nothing",
	    want);
}

/* Export certificate id (or thumbprint) as PEM to tu_dir/name. */
static void
export(const char *id, const char *name)
{
	free(tu_sh_ok("'%s' --db '%s' cert export '%s' > '%s/%s'",
	    tu_bin("ehttpctl"), db, id, tu_dir, name));
}

/* leaf.pem verified against root.pem at now + offset as a TLS server
 * certificate for FQDN by three verifiers ehttp did not write. */
static void
verifiers_accept(const char *offset, const char *root, const char *leaf)
{
	free(tu_sh_ok("cd '%s' && " FAKE "'%s' openssl verify -CAfile %s"
	    " -purpose sslserver -verify_hostname " FQDN " -x509_strict %s",
	    tu_dir, offset, root, leaf));
	free(tu_sh_ok("cd '%s' && " FAKE "'%s' certtool --verify"
	    " --load-ca-certificate %s --infile %s --verify-hostname " FQDN
	    " | grep -q 'Chain verification output: Verified'", tu_dir, offset,
	    root, leaf));
	/* python3's cryptography: the root's signature over the leaf, the
	 * leaf's validity at the faked date, its name. */
	free(tu_sh_ok("cd '%s' && " FAKE "'%s' %s -c '\n"
	    "import datetime\n"
	    "from cryptography import x509\n"
	    "from cryptography.hazmat.primitives.asymmetric import padding, ec\n"
	    "load = lambda f: x509.load_pem_x509_certificate(open(f, \"rb\").read())\n"
	    "root, leaf = load(\"%s\"), load(\"%s\")\n"
	    "k = root.public_key()\n"
	    "args = (padding.PKCS1v15(), leaf.signature_hash_algorithm) if not"
	    " isinstance(k, ec.EllipticCurvePublicKey) else"
	    " (ec.ECDSA(leaf.signature_hash_algorithm),)\n"
	    "k.verify(leaf.signature, leaf.tbs_certificate_bytes, *args)\n"
	    "assert leaf.issuer == root.subject\n"
	    "now = datetime.datetime.utcnow()\n"
	    "assert leaf.not_valid_before <= now <= leaf.not_valid_after\n"
	    "assert root.not_valid_before <= now <= root.not_valid_after\n"
	    "san = leaf.extensions.get_extension_for_class("
	    "x509.SubjectAlternativeName).value\n"
	    "assert san.get_values_for_type(x509.DNSName) == [\"" FQDN "\"]\n"
	    "print(\"ok\")'", tu_dir, offset, tu_python(), root, leaf));
}

/* Eleven months on: every role certificate of P01 is in its renewal window;
 * one pass renews them all, says why in certmgr.log, and the agent serves
 * the new certificate at its next poll without restarting its listener. */
START_TEST(eleven_months_renewed_and_served)
{
	char *before, *after, *out = NULL, *tp, *root_id;
	char served[41];

	before = role_certs();
	root_id = tu_active_cert(db, "--type root --site P01", "id");
	export(root_id, "root.pem");
	agent_at("+340d");
	tp = tu_active_cert(db, "--type role --system " FQDN, "thumbprint");
	wait_served("+340d", "root.pem", tp);
	free(tp);

	ck_assert_int_eq(sited_at("+340d", &out), 0);
	tu_has(out, "Renewing it.", "Issued an SMS Role SSL Certificate to "
	    FQDN, "5 issued or renewed, 0 failed", NULL);	/* and the token */
	free(out);
	after = role_certs();
	/* Four systems, each with a new certificate. */
	ck_assert_int_eq(tu_count(after, "\n"), 4);
	for (char *l = after; *l != '\0'; l = strchr(l, '\n') + 1) {
		char fqdn[256], thumb[41];

		ck_assert_int_eq(sscanf(l, "%255s %40s", fqdn, thumb), 2);
		ck_assert_msg(strstr(before, thumb) == NULL, "%s not renewed",
		    fqdn);
	}
	ck_assert_int_eq(log_records(1, "Renewing it."), 5);
	ck_assert_int_eq(log_records(1, "site P01 renews 30 days before the"
	    " end"), 5);

	/* The agent picks it up at its next poll, same process, and the
	 * verifiers accept it at the faked date. */
	tp = tu_active_cert(db, "--type role --system " FQDN, "thumbprint");
	wait_served("+340d", "root.pem", tp);
	ck_assert_int_eq(kill(agent_pid, 0), 0);
	free(tu_sh_ok("grep -c 'MP Control Manager started for' '%s/agent/"
	    "mpcontrol.log' | grep -qx 1", tu_dir));
	ck_assert_int_eq(handshake("+340d", "root.pem", served), 0);
	ck_assert_str_eq(served, tp);
	export(tp, "leaf.pem");
	verifiers_accept("+340d", "root.pem", "leaf.pem");
	/* Nothing is due any more: a second pass issues nothing. */
	ck_assert_int_eq(sited_at("+340d", &out), 0);
	tu_has(out, "0 issued or renewed, 0 failed, 0 notices", NULL);
	ck_assert_ptr_null(strstr(out, "Renewing"));
	free(out);
	free(tp);
	free(root_id);
	free(before);
	free(after);
}
END_TEST

/*
 * The SMS Token Signing is renewed in the site's window like the role
 * certificates: at +340d one pass issues a new one under the site's SMS
 * Issuing (openssl and certtool check it at that date) and supersedes the
 * old; a site that had enhanced HTTP on before it existed gets one.
 */
START_TEST(token_signing_renewed_at_340d)
{
	char *out = NULL, *before, *after, *root, *want;

	before = tu_active_cert(db, "--type token --site P01", "thumbprint");
	root = tu_active_cert(db, "--type root --site P01", "id");
	ck_assert_int_eq(sited_at("+340d", &out), 0);
	xasprintf(&want, "The SMS Token Signing of site P01 (thumbprint %s)"
	    " expires on", before);
	tu_has(out, want, "site P01 renews 30 days before the end. Renewing"
	    " it.", "Issued a new SMS Token Signing certificate for site P01",
	    "tokens it signed are no longer accepted", "5 issued or renewed",
	    NULL);
	free(want);
	free(out);
	after = tu_active_cert(db, "--type token --site P01", "thumbprint");
	ck_assert_str_ne(after, before);
	tu_sh_is("1 superseded", "sqlite3 '%s' \"SELECT (SELECT count(*) FROM"
	    " cert WHERE type = 'token' AND state = 'active') || ' ' || (SELECT"
	    " state FROM cert WHERE thumbprint = '%s')\"", db, before);
	ck_assert_int_eq(log_records(1, "The SMS Token Signing of site P01"), 1);
	export(root, "root.pem");
	export(after, "token.pem");
	free(tu_sh_ok("cd '%s' && " FAKE "+340d openssl verify -x509_strict"
	    " -CAfile root.pem token.pem", tu_dir));
	free(tu_sh_ok("cd '%s' && " FAKE "+340d certtool --verify"
	    " --load-ca-certificate root.pem --infile token.pem | grep -q"
	    " 'Chain verification output: Verified'", tu_dir));
	/* Renewed once: the next pass leaves it. */
	ck_assert_int_eq(sited_at("+340d", &out), 0);
	tu_has(out, "0 issued or renewed", NULL);
	free(out);

	/* As if enhanced HTTP was on before the token signing certificate
	 * existed: the next pass issues one. */
	free(tu_sh_ok("sqlite3 '%s' \"PRAGMA foreign_keys = ON; DELETE FROM"
	    " cert WHERE type = 'token'\"", db));
	ck_assert_int_eq(sited_at("+340d", &out), 0);
	tu_has(out, "Site P01 has no SMS Token Signing certificate: issuing"
	    " one.", "1 issued or renewed", NULL);
	free(out);
	tu_sh_is("1", "sqlite3 '%s' \"SELECT count(*) FROM cert WHERE type ="
	    " 'token' AND state = 'active'\"", db);
	free(before);
	free(after);
	free(root);
}
END_TEST

/* A year on, the certificates have expired (the list shows them ended):
 * one pass renews every one. */
START_TEST(year_expired_all_renewed)
{
	char *out = NULL, *after, *cmd;

	/* At that date the inventory lists them as ended (expiring within
	 * 0 days): the four role certificates and the token signing. */
	xasprintf(&cmd, "'%s' --db '%s' cert list --active --expiring 0"
	    " --json | %s -c 'import json,sys; print(sorted(c[\"type\"] for c"
	    " in json.load(sys.stdin)))'", tu_bin("ehttpctl"), db, tu_python());
	tu_sh_is("['role', 'role', 'role', 'role', 'token']", FAKE "'+400d'"
	    " %s", cmd);
	ck_assert_int_eq(sited_at("+400d", &out), 0);
	ck_assert_int_eq(tu_count(out, "expired on"), 5);	/* 4 + token */
	tu_has(out, "5 issued or renewed", NULL);
	free(out);
	after = tu_sh_ok("'%s' --db '%s' cert list --type role --site P01"
	    " --active --json | %s -c 'import json,sys,time,datetime\n"
	    "t = lambda s: datetime.datetime.fromisoformat(s.replace(\"Z\","
	    " \"+00:00\")).timestamp()\n"
	    "v = json.load(sys.stdin)\n"
	    "print(len(v), all(t(c[\"not_after\"]) > time.time() + 700 * 86400"
	    " for c in v))'", tu_bin("ehttpctl"), db, tu_python());
	ck_assert_str_eq(after, "4 True\n");
	free(after);
	tu_sh_is("[]", FAKE "'+400d' %s", cmd);
	free(cmd);
}
END_TEST

/* Two years and nine and a half years on (nobody renewed anything in
 * between): one pass renews every role certificate; at nine and a half
 * years the root, 182 days from its end, is renewed first and signs them.
 * The verifiers accept them at the faked date against the current root. */
START_TEST(years_later)
{
	static const char *const offsets[] = { "+730d", "+3470d" };
	const char *offset = offsets[_i];
	char *out = NULL, *root, *tp;

	ck_assert_int_eq(sited_at(offset, &out), 0);
	tu_has(out, "5 issued or renewed, 0 failed", NULL);
	if (_i == 1)
		tu_has(out, "in 182 days: a root is renewed 730 days before its"
		    " end", "Created the SMS Issuing root certificate", NULL);
	else
		ck_assert_ptr_null(strstr(out, "Creating its successor"));
	free(out);
	root = tu_active_cert(db, "--type root --site P01", "id");
	tp = tu_active_cert(db, "--type role --system " FQDN, "thumbprint");
	export(root, "root.pem");
	export(tp, "leaf.pem");
	verifiers_accept(offset, "root.pem", "leaf.pem");
	free(root);
	free(tp);
}
END_TEST

/* Not yet in the window: nothing; a wider window (--renew-days 45) opens
 * it. */
START_TEST(renew_days_window)
{
	char *out = NULL;

	ck_assert_int_eq(sited_at("+325d", &out), 0);
	tu_has(out, "0 issued or renewed", NULL);
	free(out);
	tu_ctl_ok(db, "site", "set", "P01", "--renew-days", "45", NULL);
	tu_ctl_fails(db, 2, "must be a number of days from 1 to 180", "site",
	    "set", "P01", "--renew-days", "181", NULL);
	ck_assert_int_eq(sited_at("+325d", &out), 0);
	tu_has(out, "site P01 renews 45 days before the end",
	    "5 issued or renewed", NULL);
	free(out);
	out = tu_ctl_json(db, "d['renew_days']", "site", "show", "P01",
	    "--json", NULL);
	ck_assert_str_eq(out, "45");
	free(out);
}
END_TEST

/* The ids of the alerts of walks of max certificates a page, one line
 * each (what ehttp_expiry_alerts gives, when max is 0). */
static char *
alert_ids(struct ehttp *e, size_t max)
{
	struct ehttp_alert_walk *w;
	struct ehttp_alert *a;
	char *s = NULL;
	size_t n, len = 0;
	FILE *f = xopen_memstream(&s, &len);
	int rc;

	if (max == 0) {
		ck_assert_int_eq(ehttp_expiry_alerts(e, 0, &a, &n), 0);
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%lld\n", (long long)a[i].cert.id);
		free(a);
		fclose(f);
		return s;
	}
	w = ehttp_alert_walk_new(e, 0);
	do {
		rc = ehttp_alert_walk_next(w, max, &a, &n);
		ck_assert_int_ne(rc, -1);
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%lld\n", (long long)a[i].cert.id);
		free(a);
	} while (rc == 1);
	ck_assert_int_eq(ehttp_alert_walk_next(w, max, &a, &n), 0);
	ck_assert_uint_eq(n, 0);
	ehttp_alert_walk_free(w);
	fclose(f);
	return s;
}

/*
 * What nothing renews, a page at a time (the console's walk) and at once
 * (the pass): the same certificates as the sqlite3 CLI picks by the rule
 * (PKI ones within 30 days; role ones within the site's renewal window of
 * 10 days, not those between 10 and 30 days), soonest first, whatever the
 * page size.
 */
START_TEST(alerts_walked_by_pages)
{
	struct ehttp *e;
	char *cause = NULL, *want, *got;
	size_t pages[] = { 0, 1, 7, 256 };

	tu_ctl_ok(db, "site", "set", "P01", "--renew-days", "10", NULL);
	/* 40 PKI and 40 role certificates from 2.5 to 22 days (half days:
	 * never on the window's edge), in the opposite order of their ids. */
	free(tu_sh_ok("sqlite3 '%s' \"WITH RECURSIVE n(i) AS (SELECT 1 UNION"
	    " ALL SELECT i + 1 FROM n WHERE i < 80) INSERT INTO cert (type,"
	    " state, site_id, serial, issued_to, issued_by, subject,"
	    " not_before, not_after, thumbprint, key_alg, created) SELECT"
	    " CASE WHEN i %% 2"
	    " THEN 'pki' ELSE 'role' END, 'active', (SELECT id FROM site WHERE"
	    " code = 'P01'), printf('%%032X', i), printf('h%%02d.example.com',"
	    " i), 'Other CA', printf('CN=h%%02d', i), 1700000000,"
	    " CAST(strftime('%%s', 'now') AS INTEGER) + (2 + (80 - i) / 4) *"
	    " 86400 + 43200, printf('%%040X', i), 'rsa2048', 1700000000 FROM"
	    " n\"", db));
	want = tu_sh_ok("sqlite3 '%s' \"SELECT id FROM cert WHERE state ="
	    " 'active' AND not_after <= CAST(strftime('%%s', 'now') AS INTEGER)"
	    " + 30 * 86400 AND (type = 'pki' OR not_after <= CAST(strftime("
	    "'%%s', 'now') AS INTEGER) + 10 * 86400) ORDER BY not_after, id\"",
	    db);
	/* 40 PKI, and the role ones of 2.5 to 9.5 days: 16 of them. */
	ck_assert_int_eq(tu_count(want, "\n"), 56);
	e = ehttp_open(db, EHTTP_NO_KEYS, &cause);
	ck_assert_msg(e != NULL, "%s", cause);
	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
		got = alert_ids(e, pages[i]);
		ck_assert_msg(strcmp(got, want) == 0, "pages of %zu:\n%s\nnot"
		    "\n%s", pages[i], got, want);
		free(got);
	}
	ehttp_close(e);
	free(want);
}
END_TEST

/*
 * The SMS Issuing rolls over 730 days before its end. The certificates it
 * signed stay in use until their own renewal, so a client that trusts only
 * the old root still connects, and ?MPCERT hands out both roots; once they
 * are renewed under the new root, the old one is no longer handed out.
 */
START_TEST(root_overlap)
{
	char *out = NULL, *old_root, *new_root, *tp, *pem;
	char served[41];
	int http_port;

	old_root = tu_active_cert(db, "--type root --site P01", "id");
	export(old_root, "old-root.pem");
	/* Eight years on: fresh role certificates, the root has ~750 days. */
	ck_assert_int_eq(sited_at("+2900d", &out), 0);
	tu_has(out, "5 issued or renewed", NULL);
	ck_assert_ptr_null(strstr(out, "Creating its successor"));
	free(out);
	/* 725 days left: the successor is made; nothing else is due. */
	ck_assert_int_eq(sited_at("+2925d", &out), 0);
	tu_has(out, "a root is renewed 730 days before its end",
	    "Created the SMS Issuing root certificate of site P01",
	    "0 issued or renewed", NULL);
	free(out);
	new_root = tu_active_cert(db, "--type root --site P01", "id");
	ck_assert_str_ne(new_root, old_root);
	export(new_root, "new-root.pem");
	ck_assert_int_eq(log_records(1, "Creating its successor"), 1);

	/* The overlap: the old root's leaf is served; a client trusting only
	 * the old root connects, one trusting only the new does not. */
	agent_at("+2925d");
	tp = tu_active_cert(db, "--type role --system " FQDN, "thumbprint");
	wait_served("+2925d", "old-root.pem", tp);
	ck_assert_int_ne(handshake("+2925d", "new-root.pem", served), 0);
	http_port = atoi(pem = sh1("sleep 1; grep -o 'HTTP on 127.0.0.1:[0-9]*'"
	    " '%s/agent/mpcontrol.log' | head -1 | sed 's/.*://'", tu_dir));
	free(pem);
	ck_assert_int_gt(http_port, 0);
	/* ?MPCERT: both roots, the new one first (python3 splits the PEM). */
	out = sh1("cd '%s' && curl -sS --fail --max-time 5 'http://127.0.0.1:%d"
	    "/SMS_MP/.sms_aut?MPCERT' | %s -c 'import sys,re\n"
	    "from cryptography import x509\n"
	    "cs = [x509.load_pem_x509_certificate(p) for p in re.findall("
	    "rb\"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\\n\","
	    " sys.stdin.buffer.read(), re.S)]\n"
	    "n = open(\"new-root.pem\",\"rb\").read(); o = open(\"old-root.pem\","
	    "\"rb\").read()\n"
	    "f = lambda p: x509.load_pem_x509_certificate(p)\n"
	    "print(len(cs), cs[0] == f(n), cs[1] == f(o))'", tu_dir, http_port,
	    tu_python());
	ck_assert_str_eq(out, "2 True True");
	free(out);
	agent_stop(SIGTERM);

	/* 25 days before the leaves end: renewed under the new root; the old
	 * root signs nothing in use and is no longer handed out. */
	ck_assert_int_eq(sited_at("+3240d", &out), 0);
	tu_has(out, "5 issued or renewed", NULL);
	free(out);
	free(tp);
	tp = tu_active_cert(db, "--type role --system " FQDN, "thumbprint");
	agent_at("+3240d");
	wait_served("+3240d", "new-root.pem", tp);
	ck_assert_int_ne(handshake("+3240d", "old-root.pem", served), 0);
	export(tp, "leaf.pem");
	verifiers_accept("+3240d", "new-root.pem", "leaf.pem");
	out = sh1("sleep 1; port=$(grep -o 'HTTP on 127.0.0.1:[0-9]*'"
	    " '%s/agent/mpcontrol.log' | tail -1 | sed 's/.*://'); curl -sS"
	    " --fail --max-time 5 \"http://127.0.0.1:$port/SMS_MP/.sms_aut?MPCERT\""
	    " | grep -c 'BEGIN CERTIFICATE'", tu_dir);
	ck_assert_str_eq(out, "1");
	free(out);
	free(tp);
	free(old_root);
	free(new_root);
}
END_TEST

/* The master key file away (nothing can be signed) or back. */
static void
master_key(int back)
{
	if (back)
		free(tu_sh_ok("mv '%s/key.away' '%s.master-key'", tu_dir, db));
	else
		free(tu_sh_ok("mv '%s.master-key' '%s/key.away'", db, tu_dir));
}

/*
 * Renewal made impossible (the master key is gone): each certificate is
 * announced once at 30, 7 and 1 days (warnings) and once expired (an
 * error), in status messages, certmgr.log and the exit status; with the
 * key back, the next pass renews them.
 */
START_TEST(impossible_renewal_announced)
{
	char *out = NULL, *msgs;

	/* Each pass at its faked date announces what it names, for each of
	 * the four certificates, or nothing new (the same level again). */
	static const struct {
		const char	*offset;
		const char	*says;
		int		 times;
	} passes[] = {
		{ "+340d", "warning: The SMS Role SSL Certificate", 4 },
		{ "+341d", "warning: The SMS Role SSL Certificate", 0 },
		{ "+360d", "in 4 days; its renewal is due", 5 },
		{ "+364d", "less than a day; its renewal is due", 5 },
		{ "+366d", "error: The SMS Role SSL Certificate", 4 },
	};

	master_key(0);
	for (size_t i = 0; i < sizeof passes / sizeof passes[0]; i++) {
		ck_assert_int_eq(sited_at(passes[i].offset, &out), 1);
		tu_has(out, "renewing its certificates failed: master key",
		    "nothing changed, the next pass tries again", NULL);
		ck_assert_msg(tu_count(out, passes[i].says) == passes[i].times,
		    "%s: %s", passes[i].offset, out);
		free(out);
	}
	msgs = sited_messages();
	/* Per certificate: 30, 7, 1 days, expired; the site's failure once a
	 * day (five days of passes). */
	ck_assert_int_eq(tu_count(msgs, "warning The SMS Role SSL Certificate"
	    " of " FQDN " "), 3);
	ck_assert_int_eq(tu_count(msgs, "error The SMS Role SSL Certificate of "
	    FQDN " "), 1);
	ck_assert_int_eq(tu_count(msgs, "renewing its certificates failed"), 5);
	ck_assert_int_eq(tu_count(msgs, "warning The SMS Token Signing of site"
	    " P01 "), 3);
	ck_assert_int_eq(tu_count(msgs, "error The SMS Token Signing of site"
	    " P01 "), 1);
	free(msgs);
	ck_assert_int_eq(log_records(3, "expired on"), 5);
	ck_assert_int_eq(log_records(2, "in less than a day"), 5);

	/* The key is back: renewed, and nothing is left to announce. */
	master_key(1);
	ck_assert_int_eq(sited_at("+366d", &out), 0);
	tu_has(out, "5 issued or renewed, 0 failed, 0 notices", NULL);
	free(out);
}
END_TEST

/* A blocked SMS Issuing issues nothing: the site server does not renew it
 * or under it, and says why. A PKI certificate is never renewed here. */
START_TEST(blocked_root_and_pki_announced)
{
	char *out = NULL, *root;

	root = tu_active_cert(db, "--type root --site P01", "thumbprint");
	tu_ctl_ok(db, "cert", "block", root, NULL);
	ck_assert_int_eq(sited_at("+340d", &out), 0);
	ck_assert_int_eq(tu_count(out, "cannot be renewed: the SMS Issuing"
	    " root of site P01"), 5);	/* 4 role, 1 token signing */
	tu_has(out, "0 issued or renewed", root, NULL);
	free(out);
	free(root);
}
END_TEST

/* An agent killed (its lease not given back) is noticed once it has been
 * silent for more than two of its polls; once only. One stopped cleanly
 * is not. */
START_TEST(silent_agent_noticed)
{
	char *out = NULL;

	agent_at("+0s");
	tu_msleep(1500);
	agent_stop(SIGKILL);
	ck_assert_int_eq(sited_at("+5s", &out), 0);
	ck_assert_msg(strstr(out, "has not reported") == NULL, "%s", out);
	free(out);
	ck_assert_int_eq(sited_at("+60s", &out), 0);
	tu_has(out, "warning: The agent of " FQDN, "has not reported since",
	    "more than 10 s (it polls every 1 s)", NULL);
	free(out);
	ck_assert_int_eq(sited_at("+90s", &out), 0);
	ck_assert_ptr_null(strstr(out, "has not reported"));
	free(out);
	/* Restarted and stopped cleanly: no notice. */
	agent_at("+0s");
	tu_msleep(1500);
	agent_stop(SIGTERM);
	ck_assert_int_eq(sited_at("+600s", &out), 0);
	ck_assert_ptr_null(strstr(out, "has not reported"));
	free(out);
}
END_TEST

/* As a service: detached with a pid file, one instance, SIGHUP runs a pass
 * now, SIGTERM stops it and removes the pid file. */
START_TEST(service_signals)
{
	char *out = NULL, *err = NULL, *pid;
	int p, passes;

	ck_assert_int_eq(tu_sh(&out, NULL, "'%s' --db '%s' --log-dir '%s'"
	    " --interval 3600", tu_bin("ehttp-sited"), db, logs), 0);
	tu_has(out, "ehttp-sited: started, pid ", NULL);
	free(out);
	pid = tu_read_file(tu_path("ehttp-sited.pid"), NULL);
	ck_assert_ptr_nonnull(pid);
	p = atoi(pid);
	ck_assert_int_gt(p, 0);
	ck_assert_int_eq(kill(p, 0), 0);
	ck_assert_int_eq(tu_sh(NULL, &err, "'%s' --db '%s' --log-dir '%s'",
	    tu_bin("ehttp-sited"), db, logs), 1);
	tu_has(err, "another ehttp-sited (pid ", "holds the pid file", NULL);
	free(err);
	for (int ms = 0; ms < WAIT_MS && log_records(1, "Pass 1: ") < 2;
	    ms += 50)
		tu_msleep(50);
	ck_assert_int_eq(log_records(1, "Pass 1: "), 2);
	kill(p, SIGHUP);
	for (int ms = 0; ms < WAIT_MS && log_records(1, "Pass 2: ") < 2;
	    ms += 50)
		tu_msleep(50);
	ck_assert_int_eq(log_records(1, "SIGHUP: a pass now."), 1);
	ck_assert_int_eq(log_records(1, "Pass 2: "), 2);
	kill(p, SIGTERM);
	for (int ms = 0; ms < WAIT_MS && kill(p, 0) == 0; ms += 50)
		tu_msleep(50);
	ck_assert_int_ne(kill(p, 0), 0);
	ck_assert_int_ne(access(tu_path("ehttp-sited.pid"), F_OK), 0);
	ck_assert_int_eq(log_records(1, "Stopping (signal)."), 1);
	passes = log_records(1, "certificates checked in");
	ck_assert_int_eq(passes, 2);
	free(pid);
	/* Bad usage. */
	tu_sh_fails(2, "interval '0': must be a number of seconds from 1 to"
	    " 86400", "'%s' --interval 0", tu_bin("ehttp-sited"));
	tu_sh_fails(2, "--once runs one pass in the foreground",
	    "'%s' --once --pid-file x", tu_bin("ehttp-sited"));
	ck_assert_int_eq(tu_sh(&out, NULL, "'%s' --help", tu_bin("ehttp-sited")),
	    0);
	tu_has(out, "--db PATH", "--log-dir DIR", "--interval SECONDS",
	    "--once", "--foreground", "--pid-file PATH", "--log-max-size BYTES",
	    "SIGHUP", NULL);
	free(out);
}
END_TEST

#define N_MORE	30	/* more management points in P01 */

/* P01 with N_MORE more management points, enhanced HTTP on: a renewal big
 * enough to stop half-way. */
static void
many_systems(void)
{
	free(tu_sh_ok("cd '%s' && for i in $(seq 1 %d); do"
	    " '%s' --db '%s' system add x$i.p01.contoso.com --site P01 &&"
	    " '%s' --db '%s' role add x$i.p01.contoso.com mp || exit 1;"
	    " done >/dev/null", tu_dir, N_MORE, tu_bin("ehttpctl"), db,
	    tu_bin("ehttpctl"), db));
}

/* The site is wholly as before (every active role certificate older than
 * a day at the faked date) or wholly renewed, one certificate a system.
 * Returns 1 renewed, 0 as before. */
static int
site_whole(void)
{
	char *out, whole[64], before[64];
	int renewed;

	snprintf(whole, sizeof whole, "%d 1 True True\n", 4 + N_MORE);
	snprintf(before, sizeof before, "%d 1 True False\n", 4 + N_MORE);
	out = tu_sh_ok("'%s' --db '%s' cert list --type role --site P01"
	    " --active --json | %s -c 'import json,sys,time,datetime,collections\n"
	    "t = lambda s: datetime.datetime.fromisoformat(s.replace(\"Z\","
	    " \"+00:00\")).timestamp()\n"
	    "v = json.load(sys.stdin)\n"
	    "per = collections.Counter(c[\"issued_to\"] for c in v)\n"
	    "new = [t(c[\"not_before\"]) > time.time() + 300 * 86400 for c in v]\n"
	    "print(len(v), max(per.values()), all(new) or not any(new), all(new))'",
	    tu_bin("ehttpctl"), db, tu_python());
	renewed = strcmp(out, whole) == 0;
	ck_assert_msg(renewed || strcmp(out, before) == 0,
	    "the site is half renewed: %s", out);
	free(out);
	return renewed;
}

/* ehttp-sited with opts at +340d on P01 and its many systems, in the
 * background (sited.out), once its log says it renews: its pid. */
static int
sited_renewing(const char *opts)
{
	char *out;
	int pid;

	many_systems();
	out = sh1("cd '%s' && " FAKE "+340d '%s' --db '%s' --log-dir '%s'"
	    " %s >sited.out 2>&1 & echo $!", tu_dir, tu_bin("ehttp-sited"), db,
	    logs, opts);
	pid = atoi(out);
	free(out);
	for (int ms = 0; log_records(1, "Renewing it.") == 0; ms += 10) {
		ck_assert_msg(ms < WAIT_MS, "no renewal began");
		tu_msleep(10);
	}
	return pid;
}

/* SIGTERM during a renewal: it stops without a partial certificate. */
START_TEST(sigterm_mid_pass)
{
	char *out;
	int pid;

	pid = sited_renewing("--foreground --interval 3600");
	kill(pid, SIGTERM);
	for (int ms = 0; ms < WAIT_MS && kill(pid, 0) == 0; ms += 50) {
		waitpid(pid, NULL, WNOHANG);
		tu_msleep(50);
	}
	ck_assert_int_ne(kill(pid, 0), 0);
	ck_assert_int_eq(log_records(1, "Stopping (signal)."), 1);
	/* Stopped before its site's commit: as before, and it says so. */
	if (!site_whole()) {
		out = tu_read_file(tu_path("sited.out"), NULL);
		tu_has(out, "Stopped after", "nothing half-done", NULL);
		free(out);
	}
}
END_TEST

/*
 * Another program takes the write lock while the pass renews P01 (python3's
 * sqlite3 module, once the log says "Renewing it."): P01's write gives up
 * after 10 s, and the pass stops there, saying so, instead of waiting 10 s
 * more for each next write (P01's status message, the notices). P01 is
 * as before; the next pass renews it.
 */
START_TEST(lock_mid_pass_stops_it)
{
	pid_t holder;
	int pid;

	pid = sited_renewing("--once");
	holder = tu_db_hold(tu_dir, db);
	for (int ms = 0; log_records(2, "the pass stops at site P01") == 0;
	    ms += 100) {
		ck_assert_msg(ms < 3 * WAIT_MS, "the pass did not stop");
		tu_msleep(100);
	}
	ck_assert_int_eq(log_records(3, "another program has been writing to"
	    " the site database for 10 s"), 1);
	tu_db_release(tu_dir, holder);
	for (int ms = 0; kill(pid, 0) == 0; ms += 50) {	/* its end */
		ck_assert_msg(ms < 2 * WAIT_MS, "the pass did not end");
		tu_msleep(50);
	}
	ck_assert_int_eq(site_whole(), 0);
	ck_assert_int_eq(sited_at("+340d", NULL), 0);
	ck_assert_int_eq(site_whole(), 1);
}
END_TEST

/* kill -9 at moments through a renewal pass: never a half-renewed site. */
START_TEST(kill9_mid_pass)
{
	char *out;
	int renewed = 0;

	many_systems();
	for (int delay = 100; delay <= 1300 && !renewed; delay += 400) {
		out = sh1("cd '%s' && (" FAKE "+340d '%s' --db '%s'"
		    " --log-dir '%s' --once >/dev/null 2>&1 & p=$!;"
		    " sleep %d.%03d; kill -9 $p; wait $p; echo $?)", tu_dir,
		    tu_bin("ehttp-sited"), db, logs, delay / 1000, delay % 1000);
		free(out);
		renewed = site_whole();
	}
	/* Whatever was left, the next pass finishes it; the pending rows of
	 * the killed passes are gone. */
	ck_assert_int_eq(sited_at("+340d", NULL), 0);
	ck_assert_int_eq(site_whole(), 1);
	tu_sh_is("0", "sqlite3 '%s' \"SELECT count(*) FROM cert WHERE state ="
	    " 'pending'\"", db);
}
END_TEST

/* The console: Monitoring > Site server and the Overview show the site
 * server's state and what it cannot renew (tmux, a real terminal). */
START_TEST(console_shows_site_server)
{
	char *screen;

	master_key(0);
	ck_assert_int_eq(sited_at("+360d", NULL), 1);
	/* The newest message in the site server's component, written by an
	 * agent (its system named): not the site server's. */
	free(tu_sh_ok(TU_SQLITE3 " '%s' \"INSERT INTO status_message (time,"
	    " site_id, severity, component, message, system_id) SELECT"
	    " CAST(strftime('%%s', 'now') AS INTEGER) + 361 * 86400, site_id,"
	    " 'error', 'SMS_CERTIFICATE_MANAGER', 'Forged by an agent', id FROM"
	    " site_system WHERE fqdn = '" FQDN "'\"", db));
	free(tu_sh_ok("cd '%s' && printf '%%s\\n' '#!/bin/sh'"
	    " 'exec env " FAKE "+360d \"$@\"' > fake.sh && tmux -L sited-%d"
	    " new-session -d -x 200 -y 50 sh fake.sh '%s' --db '%s'"
	    " --log-dir '%s'", tu_dir, (int)getpid(), tu_bin("ehttp-console"),
	    db, logs));
	screen = NULL;
	for (int ms = 0; ms < WAIT_MS; ms += 100) {
		free(screen);
		screen = tu_sh_ok("tmux -L sited-%d capture-pane -p",
		    (int)getpid());
		/* The section's heading is drawn before all its lines (the
		 * Overview fills in as it reads): wait for the line. */
		if (strstr(screen, "The SMS Role SSL Certificate of " FQDN))
			break;
		tu_msleep(100);
	}
	tu_has(screen, "Site server and what it cannot renew",
	    "(one pass, --once); none is planned",
	    "The SMS Role SSL Certificate of " FQDN, NULL);
	free(screen);
	/* Monitoring > Site server: the tree's node after "Monitoring". */
	free(tu_sh_ok("tmux -L sited-%d send-keys End; sleep 0.3; for i in 1 2"
	    " 3 4 5 6; do tmux -L sited-%d send-keys Up; done; true",
	    (int)getpid(), (int)getpid()));
	for (int ms = 0; ms < WAIT_MS; ms += 100) {
		screen = tu_sh_ok("tmux -L sited-%d capture-pane -p",
		    (int)getpid());
		if (strstr(screen, "Site server (ehttp-sited)") != NULL)
			break;
		free(screen);
		screen = NULL;
		free(tu_sh_ok("tmux -L sited-%d send-keys Down; sleep 0.2",
		    (int)getpid()));
	}
	ck_assert_msg(screen != NULL, "no Site server view");
	tu_has(screen, "Site server (ehttp-sited)", "What it cannot fix",
	    "renewing its certificates failed", NULL);
	ck_assert_msg(strstr(screen, "Forged by an agent") == NULL, "the"
	    " Site server view shows an agent's message as its own");
	free(screen);
	free(tu_sh_ok("tmux -L sited-%d kill-server", (int)getpid()));
}
END_TEST

Suite *
sited_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("sited", sited_fixture),
		TU_TEST(eleven_months_renewed_and_served),
		TU_TEST(token_signing_renewed_at_340d),
		TU_TEST(year_expired_all_renewed),
		TU_LOOP(years_later, 2),
		TU_TEST(renew_days_window),
		TU_TEST(alerts_walked_by_pages),
		TU_TEST(root_overlap),
		TU_TEST(impossible_renewal_announced),
		TU_TEST(blocked_root_and_pki_announced),
		TU_TEST(silent_agent_noticed),
		TU_TEST(service_signals),
		TU_TEST(sigterm_mid_pass),
		TU_TEST(kill9_mid_pass),
		TU_TEST(lock_mid_pass_stops_it),
		TU_TEST(console_shows_site_server),
		/* Expiry and renewal on PostgreSQL (the others read the
		 * database with sqlite3, or are about the site server's
		 * process, not its database). */
		TU_CASE("sited-pg", sited_pg_fixture),
		TU_TEST(eleven_months_renewed_and_served),
		TU_TEST(year_expired_all_renewed),
		{ 0 }
	};

	return tu_suite("sited", tests);
}
