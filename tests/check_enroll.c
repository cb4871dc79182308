/*
 * check_enroll: agents that hold no master key. The agent makes its own
 * key pair (ehttp-mpd --enroll), an administrator approves its fingerprint
 * (ehttpctl agent approve), the site seals each key the system serves to
 * it; the agent serves with the master key file gone. What ehttp wrote is
 * read back by others: the fingerprint by openssl x509, every sealed copy
 * opened by openssl cms -decrypt and matched with its certificate by
 * openssl pkey, the database by the sqlite3 CLI, TLS by openssl s_client,
 * the MP's token by python3-jwt against the exported signer.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "xmalloc.h"

#define FQDN	"p01.contoso.com"
#define DP	"dp1.p01.contoso.com"

static char	*dir;
static char	 db[4096], root[4096], sq[4200], logs[4200];
static pid_t	 agent = -1;
static int	 port;

static void
setup(void)
{
	dir = tu_mp_copy(db, sizeof db, root, sizeof root);
	snprintf(sq, sizeof sq, TU_SQLITE3 " '%s'", db);
	snprintf(logs, sizeof logs, "%s/logs", dir);
}

static void
teardown(void)
{
	tu_mpd_teardown(&agent, &dir);
}

/* The default enrollment file of fqdn: beside the database. */
static const char *
enroll_file(const char *fqdn)
{
	char name[300];

	snprintf(name, sizeof name, "enroll-%s.pem", fqdn);
	return tu_join(dir, name);
}

/* ehttp-mpd --enroll for fqdn (asserted to exit 0); the fingerprint it
 * printed, malloc'ed. */
static char *
enroll(const char *fqdn)
{
	char *out = tu_sh_ok("'%s' --db '%s' --system %s --enroll",
	    tu_bin("ehttp-mpd"), db, fqdn), *p, *fp;

	tu_has(out, "Enrollment key: ", "ehttpctl agent approve ", NULL);
	ck_assert_ptr_nonnull(p = strstr(out, "Fingerprint (SHA-256): "));
	fp = xstrndup(p + 23, 64);
	free(out);
	return fp;
}

static void
approve(const char *fqdn, const char *fp)
{
	tu_ctl_ok(db, "agent", "approve", fqdn, "--fingerprint", fp, NULL);
}

/* The agent's mpcontrol.log (in where) says text within secs. */
static void
log_waits(const char *where, const char *text, int secs)
{
	char path[4300];

	snprintf(path, sizeof path, "%s/mpcontrol.log", where);
	tu_file_waits(path, "mpcontrol.log", text, secs);
}

/* What openssl s_client sees on the agent's port: the verdict on the
 * chain and the served certificate's SHA-1 fingerprint. */
static char *
served(const char *fqdn)
{
	return tu_sh_ok("echo | openssl s_client -connect 127.0.0.1:%d"
	    " -servername %s -CAfile '%s' -verify_hostname %s 2>/dev/null |"
	    " tee '%s/s_client.out' | grep -m1 -o 'Verify return code: .*';"
	    " openssl x509 -in '%s/s_client.out' -noout -fingerprint -sha1 |"
	    " sed 's/.*=//; s/://g'", port, fqdn, root, fqdn, dir, dir);
}

static void
serves(const char *fqdn, const char *thumbprint)
{
	char *out = served(fqdn), *want;

	xasprintf(&want, "Verify return code: 0 (ok)\n%s\n",
	    thumbprint);
	ck_assert_str_eq(out, want);
	free(want);
	free(out);
}

/*
 * The whole path: the agent's key pair made on its side (its file 0600,
 * the fingerprint openssl computes), waiting, a wrong fingerprint refused,
 * approved; each sealed copy opens with openssl and is the key of its
 * certificate; with the master key file gone the agent serves its
 * certificate and its MP signs tokens that python3-jwt verifies.
 */
START_TEST(enroll_approve_serve)
{
	char *fp, *fp2, *out, *tp, signer[4300], token[4300], *v;
	struct stat sb;

	fp = enroll(FQDN);
	ck_assert_int_eq(stat(enroll_file(FQDN), &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	tu_sh_is(fp, "openssl x509 -in '%s' -noout -fingerprint -sha256 |"
	    " sed 's/.*=//; s/://g'", enroll_file(FQDN));
	tu_sh_is("subject=OU = ehttp agent enrollment, CN = " FQDN,
	    "openssl x509 -in '%s' -noout -subject", enroll_file(FQDN));
	/* Again: the same key, still waiting. */
	fp2 = enroll(FQDN);
	ck_assert_str_eq(fp, fp2);
	free(fp2);
	v = tu_ctl_json(db, "[(a['system'], a['state'], a['sealed_keys'],"
	    " a['fingerprint']) for a in d]", "agent", "list", "--json", NULL);
	xasprintf(&out, "[('" FQDN "', 'waiting', 0, '%s')]", fp);
	ck_assert_str_eq(v, out);
	free(out);
	free(v);

	tu_ctl_fails(db, 1, "nothing approved", "agent", "approve", FQDN,
	    "--fingerprint", "0B82FEB321A1313F8335A1C3D36A460B47B6B1B59BD3"
	    "CBAF71AF9CFE947425BC", NULL);
	tu_ctl_fails(db, 2, "--fingerprint is required", "agent", "approve",
	    FQDN, NULL);
	tu_sql_is(sq, "SELECT count(*) FROM agent_key", "0");
	/* As openssl prints it (colons, lower case) is the same. */
	out = tu_sh_ok("openssl x509 -in '%s' -noout -fingerprint -sha256 |"
	    " sed 's/.*=//' | tr -d '\\n' | tr A-F a-f", enroll_file(FQDN));
	approve(FQDN, out);
	free(out);
	/* The MP's role certificate and the site's token signing key. */
	tu_sql_is(sq, "SELECT group_concat(c.type, ' ') FROM (SELECT c.type"
	    " FROM agent_key k JOIN cert c ON c.id = k.cert_id ORDER BY"
	    " c.type) c", "role token");
	/* Each copy: CMS that openssl opens with the agent's file, holding
	 * the private key of that very certificate. */
	tu_sh_is("2 matched", "cd '%s' && n=0; for id in $(sqlite3 '%s'"
	    " 'SELECT cert_id FROM agent_key'); do sqlite3 '%s' \"SELECT"
	    " writefile('k.cms', cms) FROM agent_key WHERE cert_id = $id\""
	    " >/dev/null && openssl cms -decrypt -inform DER -in k.cms -inkey"
	    " '%s' -binary -out k.der && a=$(openssl pkey -inform DER -in"
	    " k.der -pubout) && b=$('%s' --db '%s' cert export $id | openssl"
	    " x509 -noout -pubkey) && [ \"$a\" = \"$b\" ] && n=$((n+1));"
	    " done; rm -f k.der; echo $n matched", dir, db, db,
	    enroll_file(FQDN), tu_bin("ehttpctl"), db);

	/* A bulk token for a client, then the master key goes. */
	free(tu_sh_ok("'%s' --db '%s' token new --out '%s/bulk'",
	    tu_bin("ehttpctl"), db, dir));
	snprintf(signer, sizeof signer, "%s/signer.der", dir);
	free(tu_signer_der(db, signer));
	tu_sh_is("", "mv '%s.master-key' '%s/master-key.away'", db, dir);
	agent = tu_mpd_start(db, FQDN, logs, NULL, &port);
	log_waits(logs, "Enrolled agent: the keys come sealed to"
	    " the key in", 5);
	tp = tu_active_cert(db, "--system " FQDN, "thumbprint");
	serves(FQDN, tp);
	free(tp);
	out = tu_sh_ok("cd '%s' && '%s' register --mp " FQDN ":%d --connect"
	    " 127.0.0.1 --root '%s' --state c1 --bulk-token bulk --name W1"
	    " --timeout 10 && '%s' token --mp " FQDN ":%d --connect 127.0.0.1"
	    " --root '%s' --state c1 --timeout 10", dir, tu_bin("ehttp-client"),
	    port, root, tu_bin("ehttp-client"), port, root);
	tu_has(out, "approval approved", "CCM token valid until", NULL);
	free(out);
	snprintf(token, sizeof token, "%s/c1/token", dir);
	v = tu_jwt_verify(token, signer);
	out = tu_py_json(v, "d['Type']");
	ck_assert_str_eq(out, "CCMToken");
	free(out);
	free(v);
	free(fp);
}
END_TEST

/*
 * Enrolled and waiting: the agent starts and does not serve HTTPS; once
 * approved it does. A renewal seals the new key at once and drops the
 * old copy; the agent binds the new certificate. Revoked: it stops
 * serving, its copies and enrollment are gone, and the certificates whose
 * keys it could read are renewed.
 */
START_TEST(wait_renew_revoke)
{
	char *fp, *id, *tp, *tok, *tp2, *tok2, *out;

	fp = enroll(FQDN);
	agent = tu_mpd_start(db, FQDN, logs, NULL, &port);
	log_waits(logs, "waiting for approval: on the site server,"
	    " ehttpctl agent approve " FQDN " --fingerprint ", 5);
	tu_sh_fails(1, "", "echo | openssl s_client -connect 127.0.0.1:%d"
	    " -servername " FQDN " >/dev/null 2>&1", port);
	approve(FQDN, fp);
	tp = tu_active_cert(db, "--system " FQDN, "thumbprint");
	log_waits(logs, tp, 5);
	serves(FQDN, tp);

	id = tu_active_cert(db, "--system " FQDN, "id");
	tu_ctl_ok(db, "cert", "renew", id, NULL);
	tp2 = tu_active_cert(db, "--system " FQDN, "thumbprint");
	ck_assert_str_ne(tp, tp2);
	tu_sql_is(sq, "SELECT count(*) FROM agent_key k JOIN cert c ON c.id ="
	    " k.cert_id WHERE c.state = 'active' AND c.type = 'role'", "1");
	out = xstrdup(id);
	free(id);
	xasprintf(&id, "SELECT count(*) FROM agent_key WHERE cert_id = %s",
	    out);
	tu_sql_is(sq, id, "0");
	free(id);
	free(out);
	log_waits(logs, tp2, 5);
	serves(FQDN, tp2);

	tok = tu_active_cert(db, "--type token --site P01", "thumbprint");
	out = tu_sh_ok("'%s' --db '%s' agent revoke " FQDN, tu_bin("ehttpctl"),
	    db);
	tu_has(out, "is no longer enrolled", NULL);
	free(out);
	log_waits(logs, "this agent is not enrolled", 5);
	tu_sh_fails(1, "", "echo | openssl s_client -connect 127.0.0.1:%d"
	    " -servername " FQDN " >/dev/null 2>&1", port);
	tu_sql_is(sq, "SELECT (SELECT count(*) FROM agent_key) || ' ' ||"
	    " (SELECT count(*) FROM agent_enroll)", "0 0");
	free(tp);
	tp = tu_active_cert(db, "--system " FQDN, "thumbprint");
	ck_assert_str_ne(tp, tp2);
	tok2 = tu_active_cert(db, "--type token --site P01", "thumbprint");
	ck_assert_str_ne(tok, tok2);
	tu_sql_is(sq, "SELECT count(*) FROM audit WHERE action = 'agent"
	    " revoke' AND object = '" FQDN "'", "1");
	/* What it could read is revoked, not merely superseded. */
	xasprintf(&id, "SELECT group_concat(state, ' ') FROM (SELECT state"
	    " FROM cert WHERE thumbprint IN ('%s', '%s') ORDER BY id)", tp2,
	    tok);
	tu_sql_is(sq, id, "revoked revoked");
	free(id);
	free(tp);
	free(tp2);
	free(tok);
	free(tok2);
	free(fp);
}
END_TEST

/* Bad enrollment files and bad copies: refused with the reason, the
 * agent never crashes, nothing is served with a key that is not its. */
START_TEST(hostile)
{
	char *fp, *dfp, *out, *err;
	int rc;

	/* Others may read it: refused, by --enroll and by the agent. */
	fp = enroll(FQDN);
	tu_sh_is("", "chmod 644 '%s'", enroll_file(FQDN));
	tu_sh_fails(1, "must not be readable by others", "'%s' --db '%s'"
	    " --system " FQDN " --enroll", tu_bin("ehttp-mpd"), db);
	tu_sh_fails(1, "must not be readable by others", "'%s' --db '%s'"
	    " --system " FQDN " --https 127.0.0.1:0 --http 127.0.0.1:0"
	    " --log-dir '%s/l0' --foreground", tu_bin("ehttp-mpd"), db, dir);
	tu_sh_is("", "chmod 600 '%s'", enroll_file(FQDN));
	/* Not a key file. */
	tu_sh_is("", "head -c 3000 /dev/urandom > '%s/junk.pem' && chmod 600"
	    " '%s/junk.pem'", dir, dir);
	tu_sh_fails(1, "no private key", "'%s' --db '%s' --system " FQDN
	    " --enroll-key '%s/junk.pem' --enroll", tu_bin("ehttp-mpd"), db,
	    dir);
	/* A key pair made elsewhere that seal() cannot use (EC): refused
	 * before anything is asked. */
	tu_sh_is("", "cd '%s' && openssl req -x509 -newkey ec -pkeyopt"
	    " ec_paramgen_curve:P-256 -nodes -keyout k.pem -subj /CN=" FQDN
	    " -days 30 -out c.pem 2>/dev/null && cat k.pem c.pem > ec.pem &&"
	    " chmod 600 ec.pem", dir);
	tu_sh_fails(1, "not an RSA key of at least 2048 bits", "'%s' --db '%s'"
	    " --system " FQDN " --enroll-key '%s/ec.pem' --enroll",
	    tu_bin("ehttp-mpd"), db, dir);
	/* Names the database does not hold, or that never asked. */
	tu_ctl_fails(db, 1, "no such site system", "agent", "approve",
	    "nope.contoso.com", "--fingerprint", fp, NULL);
	tu_ctl_fails(db, 1, "has not asked to be enrolled", "agent", "approve",
	    DP, "--fingerprint", fp, NULL);
	/* An enrollment certificate past its end is not approved. */
	tu_faketime_setup();
	rc = tu_sh(&out, &err, TU_FAKE "'+4000d' '%s' --db '%s' agent approve "
	    FQDN " --fingerprint %s", tu_bin("ehttpctl"), db, fp);
	ck_assert_msg(rc == 1 && strstr(err, "not valid now") != NULL,
	    "rc %d: %s", rc, err);
	free(out);
	free(err);
	approve(FQDN, fp);

	/* A copy sealed to another agent (dp1's) put in p01's place, then
	 * bytes that are not CMS: the agent does not start, and says why. */
	dfp = enroll(DP);
	/* Another certificate put under dp1's recorded fingerprint (its
	 * login could): approval computes the fingerprint itself. */
	tu_sh_is("", "sqlite3 '%s' \"UPDATE agent_enroll SET cert_der ="
	    " (SELECT e.cert_der FROM agent_enroll e JOIN site_system y ON"
	    " y.id = e.system_id WHERE y.fqdn = '" FQDN "') WHERE system_id ="
	    " (SELECT id FROM site_system WHERE fqdn = '" DP "')\"", db);
	tu_ctl_fails(db, 1, "it was altered; nothing approved", "agent",
	    "approve", DP, "--fingerprint", dfp, NULL);
	free(enroll(DP));	/* the agent asks again: its own certificate */
	approve(DP, dfp);
	free(dfp);
	tu_sh_is("", "sqlite3 '%s' \"UPDATE agent_key"
	    " SET cms = (SELECT k.cms FROM agent_key k JOIN site_system y ON"
	    " y.id = k.system_id JOIN cert c ON c.id = k.cert_id WHERE y.fqdn ="
	    " '" DP "' AND c.type = 'role') WHERE system_id = (SELECT id FROM"
	    " site_system WHERE fqdn = '" FQDN "') AND cert_id IN (SELECT id"
	    " FROM cert WHERE type = 'role')\"", db);
	tu_sh_fails(1, "cannot open it with this agent's enrollment key", "'%s'"
	    " --db '%s' --system " FQDN " --https 127.0.0.1:0 --http"
	    " 127.0.0.1:0 --log-dir '%s/l1' --foreground", tu_bin("ehttp-mpd"),
	    db, dir);
	tu_sh_is("", "sqlite3 '%s' \"UPDATE agent_key SET cms = randomblob(400)"
	    " WHERE system_id = (SELECT id FROM site_system WHERE fqdn = '"
	    FQDN "')\"", db);
	tu_sh_fails(1, "sealed key: not CMS EnvelopedData", "'%s' --db '%s'"
	    " --system " FQDN " --https 127.0.0.1:0 --http 127.0.0.1:0"
	    " --log-dir '%s/l2' --foreground", tu_bin("ehttp-mpd"), db, dir);
	/* Approved again, the copies are sealed anew: it serves. */
	approve(FQDN, fp);
	agent = tu_mpd_start(db, FQDN, logs, NULL, &port);
	out = tu_active_cert(db, "--system " FQDN, "thumbprint");
	serves(FQDN, out);
	free(out);

	/* A new key pair after approval (the file lost, or a thief with the
	 * agent's login) is refused: the approval stands. Revoked, a new one
	 * asks again; the running agent (the old key) says it is no longer
	 * enrolled, then that the enrollment is for another key. */
	tu_sh_is("", "mv '%s' '%s/old.pem'", enroll_file(FQDN), dir);
	tu_sh_fails(1, "a new key needs that one revoked first", "'%s' --db"
	    " '%s' --system " FQDN " --enroll", tu_bin("ehttp-mpd"), db);
	tu_sql_is(sq, "SELECT approved > 0 FROM agent_enroll e JOIN"
	    " site_system y ON y.id = e.system_id WHERE y.fqdn = '" FQDN "'",
	    "1");
	tu_ctl_ok(db, "agent", "revoke", FQDN, NULL);
	tu_sh_is("", "kill -HUP %d", (int)agent);
	log_waits(logs, "this agent is not enrolled", 5);
	out = enroll(FQDN);
	ck_assert_str_ne(out, fp);
	tu_sql_is(sq, "SELECT approved FROM agent_enroll e JOIN site_system y"
	    " ON y.id = e.system_id WHERE y.fqdn = '" FQDN "'", "0");
	tu_sh_is("", "kill -HUP %d", (int)agent);
	log_waits(logs, "is for another key", 5);
	tu_sh_fails(1, "", "echo | openssl s_client -connect 127.0.0.1:%d"
	    " -servername " FQDN " >/dev/null 2>&1", port);
	free(out);
	free(fp);
}
END_TEST

Suite *
enroll_suite(void)
{
	static const struct tu_fixture fx = TU_FIXTURE(120, tu_mpd_tmpl_setup,
	    tu_tmpl_teardown, setup, teardown);
	const struct tu_test tests[] = {
		TU_CASE("enroll", fx),
		TU_TEST(enroll_approve_serve),
		TU_TEST(wait_renew_revoke),
		TU_TEST(hostile),
		{ 0 }
	};

	return tu_suite("enroll", tests);
}
