/*
 * Enhanced HTTP issuance and certificate profiles, each rule on its own, through
 * the real ehttpctl; certificates checked with verifiers that are not ours
 * (openssl verify, GnuTLS certtool) and the database read with sqlite3.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <check.h>

#include "testutil.h"
#include "xmalloc.h"

static const struct tu_fixture rules_fixture = TU_DEMO_FIXTURE(120);

/* One value from the database, read by the sqlite3 CLI (the SQL "%s"
 * formatted): qs as text (malloc'ed), q as a number. */
static char * __attribute__((format(printf, 1, 0)))
vqs(const char *fmt, va_list ap)
{
	char *sql, *out;

	xvasprintf(&sql, fmt, ap);
	out = tu_line1(tu_sh_ok("sqlite3 '%s' \"%s\"", tu_db, sql));
	free(sql);
	return out;
}

static char * __attribute__((format(printf, 1, 2)))
qs(const char *fmt, ...)
{
	va_list ap;
	char *v;

	va_start(ap, fmt);
	v = vqs(fmt, ap);
	va_end(ap);
	return v;
}

static long __attribute__((format(printf, 1, 2)))
q(const char *fmt, ...)
{
	va_list ap;
	char *s;
	long v;

	va_start(ap, fmt);
	s = vqs(fmt, ap);
	va_end(ap);
	v = strtol(s, NULL, 10);
	free(s);
	return v;
}

/* What follows SELECT for site's active certificates of a type: "%s"
 * formatted with the site's code, then the type. */
#define ACTIVE	"FROM cert c JOIN site s ON s.id = c.site_id WHERE s.code" \
		" = '%s' AND c.type = '%s' AND c.state = 'active'"

/* ehttpctl with a command line ("%s" formatting); exit status checked,
 * output returned. */
static char * __attribute__((format(printf, 2, 3)))
ctl(int want, const char *fmt, ...)
{
	char *args, *out = NULL, *err = NULL, *both;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	xvasprintf(&args, fmt, ap);
	va_end(ap);
	rc = tu_sh(&out, &err, "'%s' --db '%s' %s", tu_bin("ehttpctl"), tu_db,
	    args);
	ck_assert_msg(rc == want, "ehttpctl %s: exit %d, want %d: %s", args,
	    rc, want, err);
	xasprintf(&both, "%s%s", out, err);
	free(out);
	free(err);
	free(args);
	return both;
}

static long
active_roles(const char *site)
{
	return q("SELECT count(*) " ACTIVE, site, "role");
}

static int
has_active_cert(const char *fqdn)
{
	return (int)q("SELECT count(*) FROM cert c JOIN site_system y ON y.id"
	    " = c.system_id WHERE y.fqdn = '%s' AND c.type = 'role' AND"
	    " c.state = 'active'", fqdn);
}

/* Each site system listed (NULL-terminated) has (want 1) or has not
 * (want 0) an active role certificate. */
static void
expect_certs(int want, ...)
{
	const char *fqdn;
	va_list ap;

	va_start(ap, want);
	while ((fqdn = va_arg(ap, const char *)) != NULL)
		ck_assert_msg(has_active_cert(fqdn) == want, "%s: active role"
		    " certificate %s, want %s", fqdn, want ? "missing" :
		    "present", want ? "one" : "none");
	va_end(ap);
}

/* Certificate id exported as tu_dir/leaf.pem, verified against its issuer
 * root (exported as tu_dir/root.pem) by openssl and certtool (asserted);
 * as a TLS server certificate for fqdn unless fqdn is NULL. */
static void
verify_chain(const char *id, const char *root, const char *fqdn)
{
	char ossl[300] = "", gnutls[300] = "", *out;

	free(ctl(0, "cert export %s --out '%s/leaf.pem'", id, tu_dir));
	free(ctl(0, "cert export %s --out '%s/root.pem'", root, tu_dir));
	if (fqdn != NULL) {
		snprintf(ossl, sizeof ossl, "-purpose sslserver"
		    " -verify_hostname '%s'", fqdn);
		snprintf(gnutls, sizeof gnutls, "--verify-hostname='%s'"
		    " --verify-purpose=1.3.6.1.5.5.7.3.1", fqdn);
	}
	out = tu_sh_ok("cd '%s' && openssl verify -x509_strict %s -CAfile"
	    " root.pem leaf.pem", tu_dir, ossl);
	tu_has(out, ": OK", NULL);
	free(out);
	out = tu_sh_ok("cd '%s' && certtool --verify %s --load-ca-certificate"
	    " root.pem --infile leaf.pem", tu_dir, gnutls);
	tu_has(out, "Chain verification output: Verified", NULL);
	free(out);
}

/* Export root and leaf of fqdn; check them with openssl and certtool. */
static void
verify_leaf(const char *fqdn)
{
	char *leaf_id, *root_id;

	leaf_id = qs("SELECT c.id FROM cert c JOIN site_system y ON y.id ="
	    " c.system_id WHERE y.fqdn = '%s' AND c.state = 'active' ORDER BY"
	    " c.id DESC LIMIT 1", fqdn);
	root_id = qs("SELECT issuer_id FROM cert WHERE id = %s", leaf_id);
	verify_chain(leaf_id, root_id, fqdn);
	free(leaf_id);
	free(root_id);
}

START_TEST(enable_p01_issues_exactly_the_rule_set)
{
	char *out = ctl(0, "site set P01 --enhanced-http on"), *s;

	/* Rule 3: the root once, then MP/DP for HTTP and the Provider. */
	ck_assert_int_eq(q("SELECT count(*) FROM cert WHERE type = 'root'"), 1);
	s = qs("SELECT issued_to || '|' || subject FROM cert WHERE type ="
	    " 'root'");
	ck_assert_str_eq(s, "SMS Issuing|CN=SMS Issuing,OU=P01");
	free(s);
	ck_assert_int_eq(active_roles("P01"), 4);
	expect_certs(1, "p01.contoso.com", "mp2.p01.contoso.com",
	    "dp1.p01.contoso.com", "dp2.p01.contoso.com", NULL);
	/* Rule 5: roles it does not secure stay HTTP, and are reported. */
	expect_certs(0, "rsp.p01.contoso.com", "sup.p01.contoso.com", NULL);
	tu_has(out,
	    "reporting services point on rsp.p01.contoso.com stays HTTP",
	    "software update point on sup.p01.contoso.com stays HTTP", NULL);
	/* Rule 6: the DP allowing anonymous is a prerequisite warning, in the
	 * output and as a status message. */
	ck_assert_ptr_nonnull(strstr(out, "warning: Distribution point"
	    " dp2.p01.contoso.com allows anonymous connections"));
	ck_assert_int_eq(q("SELECT count(*) FROM status_message WHERE severity"
	    " = 'warning' AND message LIKE '%%dp2.p01.contoso.com allows"
	    " anonymous%%'"), 1);
	/* Rule 1: nothing outside the site changed. */
	ck_assert_int_eq(q("SELECT count(*) FROM cert c JOIN site s ON s.id ="
	    " c.site_id WHERE s.code != 'P01'"), 0);
	ck_assert_int_eq(q("SELECT sum(enhanced_http) FROM site_security"), 1);
	/* IISSSLState with enhanced HTTP and CRL check. */
	free(out);
	out = ctl(0, "site show P01 --json");
	ck_assert_ptr_nonnull(strstr(out, "\"iisssl_state\":1248"));
	free(out);
	verify_leaf("p01.contoso.com");
	verify_leaf("dp2.p01.contoso.com");
}
END_TEST

START_TEST(profile_of_issued_certificates)
{
	char *out = NULL, *err = NULL;

	free(ctl(0, "site set P01 --enhanced-http on"));
	verify_leaf("mp2.p01.contoso.com");
	ck_assert_int_eq(tu_sh(&out, &err, "cd '%s' && openssl x509 -in leaf.pem"
	    " -noout -text && openssl x509 -in root.pem"
	    " -noout -text", tu_dir), 0);
	tu_has(out, "Subject: CN = mp2.p01.contoso.com",
	    "DNS:mp2.p01.contoso.com", "TLS Web Server Authentication",
	    "Digital Signature, Key Encipherment", "sha256WithRSAEncryption",
	    "Subject: OU = P01, CN = SMS Issuing", "CA:TRUE",
	    "Certificate Sign, CRL Sign", NULL);
	free(out);
	free(err);
	/* Serials: 128-bit random, positive, unique in the database. */
	ck_assert_int_eq(q("SELECT count(DISTINCT serial) = count(*) FROM cert"), 1);
	ck_assert_int_ge(q("SELECT min(length(serial)) FROM cert"), 30);
	/* 1 year leaves, 10 year root (days). */
	ck_assert_int_eq(q("SELECT (not_after - not_before) / 86400 FROM cert"
	    " WHERE type = 'role' LIMIT 1"), 365);
	ck_assert_int_ge(q("SELECT (not_after - not_before) / 86400 FROM cert"
	    " WHERE type = 'root'"), 3652);
}
END_TEST

START_TEST(key_algorithms)
{
	char *out = NULL, *err = NULL;

	free(ctl(0, "site set P01 --key-alg ec-p256"));
	free(ctl(0, "site set P01 --enhanced-http on"));
	verify_leaf("dp1.p01.contoso.com");
	ck_assert_int_eq(tu_sh(&out, &err, "openssl x509 -in '%s/leaf.pem'"
	    " -noout -text", tu_dir), 0);
	tu_has(out, "ecdsa-with-SHA256", "prime256v1", NULL);
	/* EC: digitalSignature without keyEncipherment. */
	ck_assert_ptr_null(strstr(out, "Key Encipherment"));
	free(out);
	free(err);
}
END_TEST

START_TEST(cas_covers_only_its_provider)
{
	free(ctl(0, "system add sup.cas.contoso.com --site CAS"));
	free(ctl(0, "role add sup.cas.contoso.com sup"));
	free(ctl(0, "site set CAS --enhanced-http on"));
	ck_assert_int_eq(active_roles("CAS"), 1);
	ck_assert_int_eq(has_active_cert("cas.contoso.com"), 1);
	ck_assert_int_eq(has_active_cert("sup.cas.contoso.com"), 0);
	/* Not a hierarchy setting: the primaries below are untouched. */
	ck_assert_int_eq(active_roles("P01"), 0);
	ck_assert_int_eq(q("SELECT count(*) FROM cert c JOIN site s ON"
	    " s.id = c.site_id WHERE s.code != 'CAS'"), 0);
	verify_leaf("cas.contoso.com");
}
END_TEST

START_TEST(https_roles_get_none)
{
	char *out;

	/* P02 is HTTPS only in the demo; open it to HTTP, then enable: its
	 * MP and DP are configured for HTTPS, only the Provider is covered. */
	free(ctl(0, "site set P02 --client-comm https-or-http"));
	out = ctl(0, "site set P02 --enhanced-http on");
	ck_assert_int_eq(active_roles("P02"), 1);
	ck_assert_int_eq(has_active_cert("p02.contoso.com"), 1);
	ck_assert_int_eq(has_active_cert("dp1.p02.contoso.com"), 0);
	ck_assert_ptr_nonnull(strstr(out, "distribution point on"
	    " dp1.p02.contoso.com is configured for HTTPS"));
	/* No MP for HTTP: a prerequisite warning. */
	ck_assert_ptr_nonnull(strstr(out, "warning: No management point for"
	    " HTTP in site P02"));
	free(out);
}
END_TEST

START_TEST(added_later_issued_removed_revoked)
{
	char *out;

	free(ctl(0, "site set P01 --enhanced-http on"));
	free(ctl(0, "system add mp3.p01.contoso.com --site P01"));
	ck_assert_int_eq(has_active_cert("mp3.p01.contoso.com"), 0);
	out = ctl(0, "role add mp3.p01.contoso.com mp");
	ck_assert_ptr_nonnull(strstr(out, "Issued an SMS Role SSL Certificate"
	    " to mp3.p01.contoso.com"));
	free(out);
	ck_assert_int_eq(has_active_cert("mp3.p01.contoso.com"), 1);
	verify_leaf("mp3.p01.contoso.com");
	/* Switching the role to HTTPS: no longer covered, revoked. */
	free(ctl(0, "role set mp3.p01.contoso.com mp --connection https"));
	ck_assert_int_eq(has_active_cert("mp3.p01.contoso.com"), 0);
	ck_assert_int_eq(q("SELECT count(*) FROM cert WHERE issued_to ="
	    " 'mp3.p01.contoso.com' AND state = 'revoked'"), 1);
	/* Removing a role that needed one revokes it. */
	free(ctl(0, "role remove mp2.p01.contoso.com mp"));
	ck_assert_int_eq(has_active_cert("mp2.p01.contoso.com"), 0);
	ck_assert_int_eq(q("SELECT count(*) FROM cert WHERE issued_to ="
	    " 'mp2.p01.contoso.com' AND state = 'revoked'"), 1);
	/* Removing a system revokes its certificate. */
	free(ctl(0, "system remove dp1.p01.contoso.com"));
	ck_assert_int_eq(q("SELECT count(*) FROM cert WHERE issued_to ="
	    " 'dp1.p01.contoso.com' AND state = 'revoked'"), 1);
	ck_assert_int_eq(q("SELECT count(*) FROM cert WHERE issued_to ="
	    " 'dp1.p01.contoso.com' AND state = 'active'"), 0);
}
END_TEST

START_TEST(disable_supersedes_reenable_same_root)
{
	char *root1, *root2, *leaf1, *leaf2;

	free(ctl(0, "site set P01 --enhanced-http on"));
	root1 = qs("SELECT thumbprint FROM cert WHERE type = 'root'");
	leaf1 = qs("SELECT thumbprint FROM cert WHERE issued_to ="
	    " 'p01.contoso.com' AND state = 'active'");
	free(ctl(0, "site set P01 --enhanced-http off"));
	ck_assert_int_eq(active_roles("P01"), 0);
	ck_assert_int_eq(q("SELECT count(*) FROM cert WHERE type = 'role' AND"
	    " state = 'superseded'"), 4);
	free(ctl(0, "site set P01 --enhanced-http on"));
	root2 = qs("SELECT thumbprint FROM cert WHERE type = 'root' AND"
	    " state = 'active'");
	leaf2 = qs("SELECT thumbprint FROM cert WHERE issued_to ="
	    " 'p01.contoso.com' AND state = 'active'");
	ck_assert_str_eq(root1, root2);
	ck_assert_str_ne(leaf1, leaf2);
	ck_assert_int_eq(q("SELECT count(*) FROM cert WHERE type = 'root'"), 1);
	ck_assert_int_eq(active_roles("P01"), 4);
	verify_leaf("p01.contoso.com");
	free(root1);
	free(root2);
	free(leaf1);
	free(leaf2);
}
END_TEST

/* Class E: a valid 100-character FQDN (labels <= 63) gets a certificate
 * (SAN only: too long for a CN) and the whole site is enabled. */
START_TEST(long_fqdn_gets_a_certificate)
{
	char fqdn[128], *s;

	snprintf(fqdn, sizeof fqdn, "%.63s.%.20s.p01.contoso.com",
	    "mp3-45678901234567890123456789012345678901234567890123456789012",
	    "l2345678901234567890");
	ck_assert_uint_eq(strlen(fqdn), 100);
	free(ctl(0, "system add %s --site P01", fqdn));
	free(ctl(0, "role add %s mp", fqdn));
	free(ctl(0, "site set P01 --enhanced-http on"));
	ck_assert_int_eq(active_roles("P01"), 5);
	expect_certs(1, fqdn, "p01.contoso.com", NULL);
	s = qs("SELECT issued_to || '|' || subject FROM cert WHERE type ="
	    " 'role' AND issued_to LIKE 'mp3-%%'");
	ck_assert_str_eq(strchr(s, '|') + 1, "");
	*strchr(s, '|') = '\0';
	ck_assert_str_eq(s, fqdn);
	free(s);
	verify_leaf(fqdn);
	verify_leaf("mp2.p01.contoso.com");
}
END_TEST

/* One system whose certificate cannot be made (a name that bypassed the
 * rules) blocks nobody: the others get theirs, the failure is named. */
START_TEST(one_failure_blocks_no_one)
{
	char *out, *id;

	ck_assert_int_eq(tu_sh(NULL, NULL, "sqlite3 '%s' \"INSERT INTO"
	    " site_system (fqdn, site_id, created) SELECT 'bad_name.p01."
	    "contoso.com', id, 0 FROM site WHERE code = 'P01'; INSERT INTO role"
	    " (system_id, role, connection) SELECT id, 'mp', 'http' FROM"
	    " site_system WHERE fqdn = 'bad_name.p01.contoso.com'\"", tu_db),
	    0);
	out = ctl(0, "site set P01 --enhanced-http on");
	ck_assert_msg(strstr(out, "warning: No SMS Role SSL Certificate for"
	    " bad_name.p01.contoso.com") != NULL, "%s", out);
	free(out);
	ck_assert_int_eq(active_roles("P01"), 4);
	ck_assert_int_eq(has_active_cert("bad_name.p01.contoso.com"), 0);
	ck_assert_int_eq(q("SELECT count(*) FROM cert WHERE state = 'pending'"),
	    0);
	ck_assert_int_eq(q("SELECT count(*) FROM status_message WHERE severity"
	    " = 'error' AND message LIKE 'Could not issue an SMS Role SSL"
	    " Certificate to bad_name.p01.contoso.com%%'"), 1);
	ck_assert_int_eq(q("SELECT sum(enhanced_http) FROM site_security"), 1);
	verify_leaf("mp2.p01.contoso.com");
	/* Issuing without signing ahead (renewing one role certificate):
	 * the same. */
	id = qs("SELECT c.id FROM cert c JOIN site_system y ON y.id ="
	    " c.system_id WHERE y.fqdn = 'dp1.p01.contoso.com' AND c.state ="
	    " 'active'");
	out = ctl(0, "cert renew %s", id);
	ck_assert_msg(strstr(out, "Issued an SMS Role SSL Certificate to"
	    " dp1.p01.contoso.com") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "No SMS Role SSL Certificate for"
	    " bad_name.p01.contoso.com") != NULL, "%s", out);
	free(out);
	free(id);
	ck_assert_int_eq(active_roles("P01"), 4);
	verify_leaf("dp1.p01.contoso.com");
}
END_TEST

/* A PKI certificate made with the openssl CLI for fqdn (own CA). */
static void
make_pki(const char *fqdn, const char *eku, const char *prefix)
{
	free(tu_sh_ok("cd '%s' && openssl req -x509 -newkey"
	    " rsa:2048 -nodes -keyout %sca.key -out %sca.pem -days 30 -subj"
	    " '/CN=Contoso Issuing CA' -addext basicConstraints=critical,CA:TRUE"
	    " 2>&1 && openssl req -newkey rsa:2048 -nodes -keyout %s.key -out"
	    " %s.csr -subj '/CN=%s' 2>&1 && printf 'subjectAltName=DNS:%s\\n"
	    "extendedKeyUsage=%s\\nbasicConstraints=CA:FALSE\\n' > %s.ext &&"
	    " openssl x509 -req -in %s.csr -CA %sca.pem -CAkey %sca.key"
	    " -CAcreateserial -out %s.pem -days 20 -extfile %s.ext 2>&1",
	    tu_dir, prefix, prefix, prefix, prefix, fqdn, fqdn, eku, prefix, prefix,
	    prefix, prefix, prefix, prefix));
}

START_TEST(pki_preferred)
{
	char *out;

	make_pki("dp1.p01.contoso.com", "serverAuth", "dp1");
	out = ctl(0, "cert import-pki dp1.p01.contoso.com '%s/dp1.pem'"
	    " '%s/dp1.key'", tu_dir, tu_dir);
	ck_assert_ptr_nonnull(strstr(out, "Imported the PKI certificate of"
	    " dp1.p01.contoso.com"));
	free(out);
	out = ctl(0, "site set P01 --enhanced-http on");
	ck_assert_ptr_nonnull(strstr(out, "dp1.p01.contoso.com keeps its PKI"
	    " certificate"));
	free(out);
	ck_assert_int_eq(has_active_cert("dp1.p01.contoso.com"), 0);
	ck_assert_int_eq(active_roles("P01"), 3);
	/* Imported after: the site-issued one of dp2 is revoked. */
	make_pki("dp2.p01.contoso.com", "serverAuth", "dp2");
	free(ctl(0, "cert import-pki dp2.p01.contoso.com '%s/dp2.pem'"
	    " '%s/dp2.key'", tu_dir, tu_dir));
	ck_assert_int_eq(has_active_cert("dp2.p01.contoso.com"), 0);
	ck_assert_int_eq(q("SELECT count(*) FROM cert WHERE issued_to ="
	    " 'dp2.p01.contoso.com' AND type = 'role' AND state = 'revoked'"), 1);
	ck_assert_int_eq(q("SELECT count(*) FROM cert WHERE type = 'pki' AND"
	    " state = 'active'"), 2);
}
END_TEST

static const struct {
	const char	*fqdn;	/* the system the import is for */
	const char	*made;	/* the name in the certificate */
	const char	*eku;
	const char	*key;	/* which key file */
	const char	*message;
} pki_refusals[] = {
	{ "dp1.p01.contoso.com", "dp1.p01.contoso.com", "serverAuth", "other",
	  "does not match" },
	{ "dp1.p01.contoso.com", "dp1.p01.contoso.com", "clientAuth", "own",
	  "does not include Server Authentication" },
	{ "dp1.p01.contoso.com", "www.fabrikam.com", "serverAuth", "own",
	  "dp1.p01.contoso.com" },
	{ "dp1.p01.contoso.com", "dp1.p01.contoso.com", "serverAuth", "garbage",
	  "key" },
	{ "nope.contoso.com", "nope.contoso.com", "serverAuth", "own",
	  "no such site system" },
};

START_TEST(pki_refusals_leave_db_unchanged)
{
	char *before, *after, *out = NULL, *err = NULL;
	const char *key = "x.key";

	make_pki(pki_refusals[_i].made, pki_refusals[_i].eku, "x");
	ck_assert_int_eq(tu_sh(&out, &err, "cd '%s' && openssl genpkey -algorithm"
	    " RSA -pkeyopt rsa_keygen_bits:2048 -out other.key 2>&1 && head -c"
	    " 300 x.key > garbage.key", tu_dir), 0);
	free(out);
	free(err);
	if (strcmp(pki_refusals[_i].key, "other") == 0)
		key = "other.key";
	else if (strcmp(pki_refusals[_i].key, "garbage") == 0)
		key = "garbage.key";
	ck_assert_int_eq(tu_sh(&before, NULL, "sqlite3 '%s' .dump", tu_db), 0);
	out = ctl(1, "cert import-pki %s '%s/x.pem' '%s/%s'",
	    pki_refusals[_i].fqdn, tu_dir, tu_dir, key);
	ck_assert_msg(strstr(out, pki_refusals[_i].message) != NULL,
	    "row %d: want '%s' in: %s", _i, pki_refusals[_i].message, out);
	ck_assert_int_eq(tu_sh(&after, NULL, "sqlite3 '%s' .dump", tu_db), 0);
	ck_assert_str_eq(before, after);
	free(out);
	free(before);
	free(after);
}
END_TEST

/* cert list filters: the arguments, a text and how often it shows. */
static const struct {
	const char	*args;
	const char	*text;
	int		 want;
} lists[] = {
	{ "--type root", "SMS Issuing ", 1 + 2 },	/* type, to, by */
	{ "--site P01 --type role --json", "\"type\":\"role\"", 4 },
	{ "--system dp2.p01.contoso.com", "dp2.p01.contoso.com", 1 },
	{ "--expiring 400 --type role", "SMS Role SSL Certificate", 4 },
	{ "--expiring 30", "SMS Role SSL Certificate", 0 },
};

START_TEST(inventory_list_show_export)
{
	char *out = NULL, *err = NULL, *s;
	struct stat sb;

	free(ctl(0, "site set P01 --enhanced-http on"));
	for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
		out = ctl(0, "cert list %s", lists[i].args);
		ck_assert_msg(tu_count(out, lists[i].text) == lists[i].want,
		    "cert list %s: '%s' %d times, want %d", lists[i].args,
		    lists[i].text, tu_count(out, lists[i].text), lists[i].want);
		free(out);
	}
	/* Sorted by expiration: leaves (1 year) before the root (10). */
	out = ctl(0, "cert list --sort expiration");
	ck_assert_ptr_nonnull(strstr(out, "SMS Role SSL Certificate"));
	ck_assert(strstr(out, "SMS Role SSL Certificate") <
	    strstr(out, "SMS Issuing               SMS Issuing"));
	free(out);
	/* show: fields, extensions, path. */
	s = qs("SELECT thumbprint FROM cert WHERE issued_to = 'mp2.p01.contoso.com'");
	out = ctl(0, "cert show %s", s);
	tu_has(out, "Certification path:", "  SMS Issuing (SMS Issuing,",
	    "    mp2.p01.contoso.com (SMS Role",
	    "X509v3 Subject Key Identifier", "X509v3 Authority Key Identifier",
	    NULL);
	ck_assert_ptr_null(strstr(out, "PRIVATE KEY"));
	free(out);
	free(s);
	/* export DER, parsed by openssl. */
	free(ctl(0, "cert export 1 --format der --out '%s/r.der'",
	    tu_dir));
	ck_assert_int_eq(tu_sh(&out, &err, "openssl x509 -inform DER -in"
	    " '%s/r.der' -noout -subject", tu_dir), 0);
	ck_assert_str_eq(out, "subject=OU = P01, CN = SMS Issuing\n");
	free(out);
	free(err);
	/* --with-key: 0600, and it is the certificate's key. */
	free(ctl(0, "cert export 2 --out '%s/l.pem' --with-key",
	    tu_dir));
	snprintf(tu_db + strlen(tu_db), 1, "%s", "");
	{
		char key[4200];
		snprintf(key, sizeof key, "%s/l.pem.key", tu_dir);
		ck_assert_int_eq(stat(key, &sb), 0);
		ck_assert_int_eq(sb.st_mode & 0777, 0600);
	}
	ck_assert_int_eq(tu_sh(&out, &err, "cd '%s' && [ \"$(openssl x509 -in"
	    " l.pem -noout -pubkey)\" = \"$(openssl pkey -in l.pem.key -pubout)\" ]"
	    " && echo same", tu_dir), 0);
	ck_assert_str_eq(out, "same\n");
	free(out);
	free(err);
	/* A key export is on the audit trail; without --out it is refused. */
	ck_assert_int_eq(q("SELECT count(*) FROM audit WHERE action ="
	    " 'certificate key export'"), 1);
	out = ctl(2, "cert export 2 --with-key");
	free(out);
	/* Never overwritten. */
	out = ctl(1, "cert export 2 --out '%s/l.pem' --with-key",
	    tu_dir);
	ck_assert_ptr_nonnull(strstr(out, "never overwritten"));
	free(out);
	/* The stored key is encrypted PKCS#8 that the openssl tools read with
	 * the master key. */
	ck_assert_int_eq(tu_sh(&out, &err, "cd '%s' && sqlite3 site.db \"SELECT"
	    " writefile('k.der', pkcs8) FROM cert_key WHERE cert_id = 2\" >/dev/null &&"
	    " openssl pkcs8 -inform DER -in k.der -passin file:site.db.master-key"
	    " -out k.pem && openssl pkey -in k.pem -pubout > a.pub && openssl"
	    " x509 -in l.pem -noout -pubkey > b.pub && cmp a.pub b.pub && echo"
	    " match", tu_dir), 0);
	ck_assert_str_eq(out, "match\n");
	free(out);
	free(err);
	/* Without the master key, the stored key does not open. */
	ck_assert_int_ne(tu_sh(&out, &err, "cd '%s' && openssl pkcs8 -inform DER"
	    " -in k.der -passin pass:wrong -out k2.pem", tu_dir), 0);
	free(out);
	free(err);
}
END_TEST

/*
 * cert list's columns line up whatever the values: a seven-digit ID, a
 * name longer than the column's 28 and one that is not ASCII; python
 * counts the characters. A name of 300 characters (the store keeps 255)
 * sticks out of its row rather than widen every other row.
 */
START_TEST(cert_list_columns_aligned)
{
	char *out;
	int rows, bad, widest;

	free(ctl(0, "site set P01 --enhanced-http on"));
	free(tu_sh_ok("sqlite3 '%s' \"INSERT INTO cert (id, type, state, site_id,"
	    " serial, issued_to, issued_by, subject, not_before, not_after,"
	    " thumbprint, key_alg, created) VALUES (1234567, 'role', 'active',"
	    " 1, 'AB', 'a-very-long-host-name-for-a-column.p01.contoso.com',"
	    " 'SMS Issuing', 'CN=x', 1, 4000000000, 'AA', 'rsa2048', 1),"
	    " (1234568, 'role', 'active', 1, 'AC', 'h\xc3\xb4te.p01.contoso.com',"
	    " 'SMS Issuing', 'CN=y', 1, 4000000001, 'AB', 'rsa2048', 1),"
	    " (1234569, 'role', 'active', 1, 'AD', printf('%%.*c', 300, 'x'),"
	    " 'SMS Issuing', 'CN=z', 1, 4000000002, 'AC', 'rsa2048', 1)\"",
	    tu_db));
	out = tu_sh_ok("'%s' --db '%s' cert list --no-pager | PYTHONIOENCODING"
	    "=utf-8 '%s' -c '"
	    "import sys\n"
	    "rows = sys.stdin.read().splitlines()\n"
	    "heads = [\"Type\", \"Issued To\", \"Issued By\", \"Start Date\","
	    " \"Expiration\", \"Blocked\", \"State\", \"Site\", \"Thumbprint\"]\n"
	    "at = [rows[0].index(h) for h in heads]\n"
	    "rest = [r for r in rows[1:] if \"x\" * 200 not in r]\n"
	    "bad = [r for r in rest if any(r[a - 2:a] != \"  \" or"
	    " r[a] == \" \" for a in at)]\n"
	    "print(len(rest), len(bad), max(map(len, rest)), *bad,"
	    " sep=\"\\n\")'",
	    tu_bin("ehttpctl"), tu_db, tu_python());
	/* The site's certificates and the two added: every row starts each
	 * column where its head does; the long name widened none of them
	 * (it would take them past 400 characters). */
	ck_assert_msg(sscanf(out, "%d %d %d", &rows, &bad, &widest) == 3 &&
	    rows >= 5 && bad == 0 && widest < 250, "rows, misaligned rows,"
	    " widest, each misaligned row:\n%s", out);
	free(out);
	out = ctl(0, "cert list");
	tu_has(out, "1234567  SMS Role SSL Certificate",
	    "a-very-long-host-name-for-a-column.p01.contoso.com  SMS Issuing",
	    NULL);
	free(out);
}
END_TEST

START_TEST(block_and_renew)
{
	char *out, *root1, *root2, *s;

	free(ctl(0, "site set P01 --enhanced-http on"));
	out = ctl(0, "cert block 2");
	ck_assert_ptr_nonnull(strstr(out, "Blocked SMS Role SSL Certificate"));
	free(out);
	ck_assert_int_eq(q("SELECT blocked FROM cert WHERE id = 2"), 1);
	out = ctl(0, "cert list --blocked");
	ck_assert_int_eq(tu_count(out, "SMS Role SSL Certificate"), 1);
	free(out);
	free(ctl(1, "cert block 2"));
	free(ctl(0, "cert unblock 2"));
	ck_assert_int_eq(q("SELECT blocked FROM cert WHERE id = 2"), 0);
	/* Renew a role certificate: a fresh one replaces it. */
	free(ctl(0, "cert renew 3"));
	s = qs("SELECT state FROM cert WHERE id = 3");
	ck_assert_str_eq(s, "superseded");
	free(s);
	ck_assert_int_eq(active_roles("P01"), 4);
	/* Renew the root: a new current SMS Issuing, leaves re-issued under it. */
	root1 = qs("SELECT thumbprint FROM cert WHERE type = 'root'");
	out = ctl(0, "cert renew %s", root1);
	ck_assert_ptr_nonnull(strstr(out, "Created the SMS Issuing root"));
	free(out);
	ck_assert_int_eq(q("SELECT count(*) FROM cert WHERE type = 'root'"), 2);
	root2 = qs("SELECT thumbprint FROM cert WHERE type = 'root' AND state ="
	    " 'active'");
	ck_assert_str_ne(root1, root2);
	ck_assert_int_eq(active_roles("P01"), 4);
	ck_assert_int_eq(q("SELECT count(*) FROM cert c JOIN cert r ON r.id ="
	    " c.issuer_id WHERE c.type = 'role' AND c.state = 'active' AND"
	    " r.state = 'active'"), 4);
	verify_leaf("dp1.p01.contoso.com");
	/* A superseded certificate cannot be renewed: said with its
	 * thumbprint and the one in use, never an internal id. */
	out = ctl(1, "cert renew 3");
	s = qs("SELECT thumbprint FROM cert WHERE id = 3");
	ck_assert_ptr_nonnull(strstr(out, s));
	ck_assert_ptr_nonnull(strstr(out, "is superseded: only the certificate"
	    " in use can be renewed (the one in use is thumbprint "));
	ck_assert_ptr_null(strstr(out, "certificate 3"));
	free(s);
	free(out);
	free(root1);
	free(root2);
}
END_TEST

/* Active SMS Token Signing certificates of a site, read by sqlite3. */
static long
active_tokens(const char *site)
{
	return q("SELECT count(*) " ACTIVE, site, "token");
}

/* The active SMS Token Signing of site (its thumbprint, malloc'ed). */
static char *
token_thumbprint(const char *site)
{
	return qs("SELECT c.thumbprint " ACTIVE, site, "token");
}

/*
 * The token signing certificate of site, exported with its issuer (the
 * site's current SMS Issuing), checked by openssl and certtool: the chain,
 * RSA 2048 whatever the site's key algorithm, subject, CA:FALSE, keyUsage
 * digitalSignature alone and critical, no EKU, SHA-256, SKI and AKI.
 */
static void
verify_token(const char *site)
{
	char subject[128], issuer[128], *tp, *root, *out = NULL;

	tp = token_thumbprint(site);
	root = qs("SELECT r.thumbprint FROM cert c JOIN cert r ON r.id ="
	    " c.issuer_id WHERE c.thumbprint = '%s' AND r.type = 'root' AND"
	    " r.state = 'active'", tp);
	ck_assert_int_eq(strlen(root), 40);
	verify_chain(tp, root, NULL);
	/* The profile as openssl prints it (RFC 2253 subject, one line per
	 * extension). */
	ck_assert_int_eq(tu_sh(&out, NULL, "openssl x509 -in '%s/leaf.pem'"
	    " -noout -subject -nameopt RFC2253 -ext basicConstraints,keyUsage,"
	    "extendedKeyUsage,subjectAltName,subjectKeyIdentifier,"
	    "authorityKeyIdentifier -text", tu_dir), 0);
	snprintf(subject, sizeof subject, "subject=CN=SMS Token Signing,OU=%s",
	    site);
	snprintf(issuer, sizeof issuer, "Issuer: CN=SMS Issuing,OU=%s\n", site);
	tu_has(out, subject, issuer, "Public-Key: (2048 bit)", "rsaEncryption",
	    "X509v3 Basic Constraints: \n", "CA:FALSE",
	    "X509v3 Key Usage: critical\n                Digital Signature\n",
	    "X509v3 Subject Key Identifier", "X509v3 Authority Key Identifier",
	    NULL);
	/* SHA-256, by the root's key (EC in a site with EC keys). */
	ck_assert_msg(strstr(out, "Signature Algorithm: sha256WithRSAEncryption")
	    != NULL || strstr(out, "Signature Algorithm: ecdsa-with-SHA256") !=
	    NULL, "%s", out);
	ck_assert_ptr_null(strstr(out, "Extended Key Usage"));
	ck_assert_ptr_null(strstr(out, "Key Encipherment"));
	ck_assert_ptr_null(strstr(out, "Subject Alternative Name"));
	free(out);
	/* certtool's own reading of the key usage. */
	ck_assert_int_eq(tu_sh(&out, NULL, "certtool -i --infile"
	    " '%s/leaf.pem'", tu_dir), 0);
	tu_has(out, "Key Usage (critical):\n\t\t\tDigital signature.\n",
	    "Algorithm Security Level: Medium (2048 bits)", NULL);
	free(out);
	free(tp);
	free(root);
}

/* Enabling gives each site exactly one SMS Token Signing, RSA 2048 even
 * where the site's keys are EC, issued by its own SMS Issuing; nothing
 * where enhanced HTTP is off; a second reconcile issues no other. */
START_TEST(token_signing_issued_per_site)
{
	char *out, *tp;

	ck_assert_int_eq(q("SELECT count(*) FROM cert WHERE type = 'token'"), 0);
	out = ctl(0, "site set P01 --enhanced-http on");
	tu_has(out, "Issued the SMS Token Signing certificate of site P01", NULL);
	free(out);
	free(ctl(0, "site set P02 --client-comm https-or-http --key-alg ec-p256"
	    " --enhanced-http on"));
	ck_assert_int_eq(active_tokens("P01"), 1);
	ck_assert_int_eq(active_tokens("P02"), 1);
	ck_assert_int_eq(active_tokens("CAS"), 0);
	ck_assert_int_eq(q("SELECT count(*) FROM cert WHERE type = 'token'"), 2);
	ck_assert_int_eq(q("SELECT count(*) FROM cert c JOIN cert_key k ON"
	    " k.cert_id = c.id WHERE c.type = 'token' AND c.key_alg ="
	    " 'rsa2048' AND c.system_id IS NULL"), 2);
	verify_token("P01");
	verify_token("P02");
	/* Something else that reconciles P01: still the same one. */
	tp = token_thumbprint("P01");
	free(ctl(0, "system add extra.p01.contoso.com --site P01"));
	free(ctl(0, "role add extra.p01.contoso.com mp"));
	ck_assert_int_eq(active_tokens("P01"), 1);
	out = token_thumbprint("P01");
	ck_assert_str_eq(out, tp);
	free(out);
	free(tp);
	/* Listed under its own type, by ehttpctl and in JSON. */
	out = ctl(0, "cert list --type token");
	ck_assert_int_eq(tu_count(out, "SMS Token Signing"), 4);	/* 2 x 2 */
	ck_assert_ptr_null(strstr(out, "SMS Role SSL"));
	free(out);
	out = ctl(0, "--json cert list --type token --site P02");
	tu_has(out, "\"type\":\"token\"", "\"type_title\":\"SMS Token"
	    " Signing\"", "\"subject\":\"CN=SMS Token Signing,OU=P02\"", NULL);
	free(out);
	out = ctl(2, "cert list --type tokens");
	tu_has(out, "root, role, pki or token", NULL);
	free(out);
}
END_TEST

/*
 * Off supersedes it (like the role certificates) and on issues a new one;
 * renew supersedes it and says its tokens are refused; a blocked one stays
 * until renewed; under a blocked root nothing is issued and renewing it is
 * refused; a new root brings a new one under it.
 */
START_TEST(token_signing_lifecycle)
{
	char *out, *tp1, *tp2, *tp3, *root, *s;

	free(ctl(0, "site set P01 --enhanced-http on"));
	tp1 = token_thumbprint("P01");
	out = ctl(0, "site set P01 --enhanced-http off");
	tu_has(out, "SMS Token Signing certificate of site P01", "is now"
	    " superseded", NULL);
	free(out);
	ck_assert_int_eq(active_tokens("P01"), 0);
	ck_assert_int_eq(active_roles("P01"), 0);
	ck_assert_int_eq(q("SELECT count(*) FROM cert WHERE type = 'token' AND"
	    " state = 'superseded'"), 1);
	free(ctl(0, "site set P01 --enhanced-http on"));
	ck_assert_int_eq(active_tokens("P01"), 1);
	tp2 = token_thumbprint("P01");
	ck_assert_str_ne(tp1, tp2);

	/* Renew: a new one, the old superseded, its tokens refused. */
	out = ctl(0, "cert renew %s", tp2);
	tu_has(out, "tokens it signed are no longer accepted",
	    "Issued the SMS Token Signing certificate of site P01", NULL);
	free(out);
	ck_assert_int_eq(active_tokens("P01"), 1);
	tp3 = token_thumbprint("P01");
	ck_assert_str_ne(tp3, tp2);
	s = qs("SELECT state FROM cert WHERE thumbprint = (SELECT thumbprint"
	    " FROM cert WHERE type = 'token' AND state = 'superseded' ORDER BY"
	    " id DESC LIMIT 1)");
	ck_assert_str_eq(s, "superseded");
	free(s);
	out = ctl(1, "cert renew %s", tp2);
	tu_has(out, "only the certificate in use can be renewed", tp3, NULL);
	free(out);
	verify_token("P01");

	/* Blocked: it stays, blocked; renewing issues an unblocked one. */
	out = ctl(0, "cert block %s", tp3);
	tu_has(out, "Tokens signed with this SMS Token Signing certificate are"
	    " refused", NULL);
	free(out);
	free(ctl(0, "site set P01 --renew-days 31"));
	ck_assert_int_eq(active_tokens("P01"), 1);
	ck_assert_int_eq(q("SELECT blocked FROM cert WHERE type = 'token' AND"
	    " state = 'active'"), 1);
	free(ctl(0, "cert renew %s", tp3));
	ck_assert_int_eq(q("SELECT count(*) FROM cert WHERE type = 'token' AND"
	    " state = 'active' AND blocked = 0"), 1);
	free(tp1);
	free(tp2);
	free(tp3);

	/* A blocked root: renewing the token is refused, nothing issued. */
	root = qs("SELECT thumbprint FROM cert WHERE type = 'root' AND state ="
	    " 'active'");
	free(ctl(0, "cert block %s", root));
	tp1 = token_thumbprint("P01");
	out = ctl(1, "cert renew %s", tp1);
	tu_has(out, "is blocked and issues nothing", NULL);
	free(out);
	ck_assert_int_eq(active_tokens("P01"), 1);
	free(ctl(0, "site set P01 --enhanced-http off"));
	out = ctl(0, "site set P01 --enhanced-http on");
	tu_has(out, "No SMS Token Signing certificate was issued: the SMS"
	    " Issuing root of site P01", NULL);
	free(out);
	ck_assert_int_eq(active_tokens("P01"), 0);
	/* Renewing the root: a new one under the new root. */
	out = ctl(0, "cert renew %s", root);
	tu_has(out, "Issued the SMS Token Signing certificate of site P01", NULL);
	free(out);
	ck_assert_int_eq(active_tokens("P01"), 1);
	ck_assert_int_eq(q("SELECT count(*) FROM cert c JOIN cert r ON r.id ="
	    " c.issuer_id WHERE c.type = 'token' AND c.state = 'active' AND"
	    " r.type = 'root' AND r.state = 'active' AND r.blocked = 0"), 1);
	verify_token("P01");
	free(tp1);
	free(root);
}
END_TEST

/*
 * Kill ehttpctl mid-issuance, repeatedly: the database stays intact and the
 * site is wholly in the old or the new state; no certificate without key.
 */
/* A blocked SMS Issuing issues nothing and what it signed is not served;
 * Renew makes a new root and serving resumes. */
START_TEST(blocked_root_takes_effect)
{
	char *out, *root1, *tp;

	free(ctl(0, "site set P01 --enhanced-http on"));
	root1 = qs("SELECT thumbprint FROM cert WHERE type = 'root'");
	out = ctl(0, "cert block %s", root1);
	ck_assert_ptr_nonnull(strstr(out, "takes effect everywhere"));
	free(out);
	out = ctl(0, "system show p01.contoso.com --json");
	tu_has(out, "\"state\":\"none: issuing root blocked\"",
	    "\"health\":\"ERROR\"", NULL);
	free(out);
	/* A system added now gets nothing under the blocked root: a warning
	 * that points to Renew. */
	free(ctl(0, "system add mp9.p01.contoso.com --site P01"));
	out = ctl(0, "role add mp9.p01.contoso.com mp");
	tu_has(out, "not issued: the SMS Issuing root of site P01",
	    "ehttpctl cert renew", NULL);
	free(out);
	ck_assert_int_eq(has_active_cert("mp9.p01.contoso.com"), 0);
	/* Renew the blocked root: a new one, everything re-issued. */
	free(ctl(0, "cert renew %s", root1));
	ck_assert_int_eq(has_active_cert("mp9.p01.contoso.com"), 1);
	verify_leaf("mp9.p01.contoso.com");
	out = ctl(0, "system show p01.contoso.com --json");
	ck_assert_ptr_nonnull(strstr(out, "\"state\":\"site-issued\""));
	free(out);
	/* The Certification Path status, as `cert show` gives it. */
	tp = qs("SELECT c.thumbprint FROM cert c JOIN site_system y ON y.id ="
	    " c.system_id WHERE y.fqdn = 'p01.contoso.com' AND c.state ="
	    " 'active'");
	out = ctl(0, "cert show %s", tp);
	ck_assert_ptr_nonnull(strstr(out, "Certificate status: This certificate"
	    " is OK."));
	free(out);
	free(tp);
	free(root1);
}
END_TEST

/* A PKI certificate whose issuer the site does not trust is not "OK";
 * blocking it falls back to a site-issued certificate. */
START_TEST(pki_unknown_issuer_and_block_fallback)
{
	char *out, *tp;

	free(ctl(0, "site set P01 --enhanced-http on"));
	ck_assert_int_eq(tu_sh(NULL, NULL, "cd '%s' && openssl req -x509"
	    " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key"
	    " -out ca.pem -days 30 -subj '/CN=Unknown Root' -addext"
	    " basicConstraints=critical,CA:TRUE 2>/dev/null && openssl req"
	    " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout p.key"
	    " -out p.csr -subj '/CN=p01.contoso.com' 2>/dev/null && printf"
	    " 'subjectAltName=DNS:p01.contoso.com\\nextendedKeyUsage=serverAuth\\n'"
	    " > p.ext && openssl x509 -req -in p.csr -CA ca.pem -CAkey ca.key"
	    " -CAcreateserial -out p.pem -days 30 -extfile p.ext 2>/dev/null",
	    tu_dir), 0);
	free(ctl(0, "cert import-pki p01.contoso.com '%s/p.pem'" " '%s/p.key'",
	    tu_dir, tu_dir));
	ck_assert_int_eq(has_active_cert("p01.contoso.com"), 0);
	tp = qs("SELECT thumbprint FROM cert WHERE type = 'pki'");
	out = ctl(0, "cert show %s", tp);
	ck_assert_ptr_null(strstr(out, "This certificate is OK"));
	ck_assert_ptr_nonnull(strstr(out, "Certificate status: This certificate"
	    " is not trusted: certificate for p01.contoso.com does not verify:"
	    " unable to get local issuer certificate"));
	free(out);
	/* Blocked: the site-issued certificate takes over (a warning). */
	free(ctl(0, "cert block %s", tp));
	ck_assert_int_eq(has_active_cert("p01.contoso.com"), 1);
	out = ctl(0, "system show p01.contoso.com --json");
	tu_has(out, "\"state\":\"site-issued (PKI blocked: fallback)\"",
	    "\"health\":\"WARNING\"", NULL);
	free(out);
	/* Unblocked: PKI wins again, the fallback is revoked. */
	free(ctl(0, "cert unblock %s", tp));
	ck_assert_int_eq(has_active_cert("p01.contoso.com"), 0);
	free(tp);
}
END_TEST

/* The console's lists read what every system serves with a few queries
 * (ehttp_serving_list); for each state, it is what the system alone reads
 * and decides (tu_serving asserts that, field by field, for all sites and
 * for each). */
static void
block_the(const char *sql)
{
	char *tp = qs("%s", sql);

	free(ctl(0, "cert block %s", tp));
	free(tp);
}

START_TEST(serving_list_is_each_systems_decision)
{
	char *out, want[128];
	long newest;

	free(ctl(0, "site set P01 --enhanced-http on"));
	free(ctl(0, "site set S01 --enhanced-http on"));
	make_pki("dp1.p01.contoso.com", "serverAuth", "dp1");
	free(ctl(0, "cert import-pki dp1.p01.contoso.com '%s/dp1.pem'"
	    " '%s/dp1.key'", tu_dir, tu_dir));
	make_pki("s01.contoso.com", "serverAuth", "s01");
	free(ctl(0, "cert import-pki s01.contoso.com '%s/s01.pem'"
	    " '%s/s01.key'", tu_dir, tu_dir));
	block_the("SELECT thumbprint FROM cert WHERE type = 'pki' AND issued_to"
	    " = 's01.contoso.com'");
	/* Two active role certificates of mp2 (made by SQL: issuance never
	 * leaves two): the newer one is served, by either reading. The copy's
	 * thumbprint differs in its first byte (one in 256 begins with 00). */
	ck_assert_int_eq(q("INSERT INTO cert (type, state, site_id, system_id,"
	    " issuer_id, serial, issued_to, issued_by, subject, not_before,"
	    " not_after, thumbprint, key_alg, created) SELECT type, state,"
	    " site_id, system_id, issuer_id, serial || '1', issued_to,"
	    " issued_by, subject, not_before, not_after, CASE WHEN thumbprint"
	    " LIKE '00%%' THEN 'FF' ELSE '00' END || substr(thumbprint, 3),"
	    " key_alg, created FROM cert WHERE type ="
	    " 'role' AND state = 'active' AND issued_to ="
	    " 'mp2.p01.contoso.com'; SELECT changes()"), 1);
	newest = q("SELECT max(id) FROM cert WHERE issued_to ="
	    " 'mp2.p01.contoso.com' AND state = 'active'");
	out = tu_serving(tu_db);
	snprintf(want, sizeof want, "mp2.p01.contoso.com: site-issued #%ld\n",
	    newest);
	tu_has(out, "cas.contoso.com: none (HTTP only)\n",
	    "dp1.p01.contoso.com: PKI #", "p01.contoso.com: site-issued #",
	    "dp1.p02.contoso.com: none: HTTPS without PKI certificate\n",
	    "s01.contoso.com: site-issued (PKI blocked: fallback) #", want,
	    NULL);
	free(out);
	/* P01's SMS Issuing blocked: what it signed cannot be served. */
	block_the("SELECT c.thumbprint FROM cert c JOIN site s ON s.id ="
	    " c.site_id WHERE c.type = 'root' AND s.code = 'P01'");
	out = tu_serving(tu_db);
	tu_has(out, "p01.contoso.com: none: issuing root blocked\n",
	    "mp2.p01.contoso.com: none: issuing root blocked\n",
	    "dp1.p01.contoso.com: PKI #",
	    "s01.contoso.com: site-issued (PKI blocked: fallback) #", NULL);
	free(out);
}
END_TEST

/* A key export that failed is audited as failed, not as done. */
START_TEST(key_export_audit_after_the_fact)
{
	char *out;

	free(ctl(0, "site set P01 --enhanced-http on"));
	/* The key file's directory does not exist: nothing written. */
	out = ctl(1, "cert export 2 --with-key --out /nonexistent-dir/x.pem");
	free(out);
	ck_assert_int_eq(q("SELECT count(*) FROM audit WHERE action ="
	    " 'certificate key export'"), 0);
	ck_assert_int_eq(q("SELECT count(*) FROM audit WHERE action ="
	    " 'certificate key export failed'"), 1);
	out = ctl(0, "cert export 2 --with-key --out '%s/x.pem'", tu_dir);
	free(out);
	ck_assert_int_eq(q("SELECT count(*) FROM audit WHERE action ="
	    " 'certificate key export'"), 1);
}
END_TEST

START_TEST(kill_mid_issuance_is_atomic)
{
	char *out = NULL, *err = NULL;
	int old_states = 0, new_states = 0;

	free(ctl(0, "site add P09 --name Bulk --type primary"));
	ck_assert_int_eq(tu_sh(&out, &err, "for i in $(seq 1 40); do echo"
	    " \"INSERT INTO site_system (fqdn, site_id, created) SELECT"
	    " 'h$i.p09.example.com', id, 0 FROM site WHERE code = 'P09';"
	    " INSERT INTO role (system_id, role, connection) SELECT id, 'mp',"
	    " 'http' FROM site_system WHERE fqdn = 'h$i.p09.example.com';\";"
	    " done | sqlite3 '%s'", tu_db), 0);
	free(out);
	free(err);
	srand(getpid());
	for (int round = 0; round < 8; round++) {
		pid_t pid = fork();
		long on, roles, nokey, orphan;

		ck_assert_int_ne(pid, -1);
		if (pid == 0) {
			int fd = open("/dev/null", 1);
			dup2(fd, 1);
			dup2(fd, 2);
			execl(tu_bin("ehttpctl"), "ehttpctl", "--db", tu_db,
			    "site", "set", "P09", "--enhanced-http", round % 2 ? "off" :
			    "on", "--threads", "1", (char *)NULL);
			_exit(127);
		}
		usleep(20000 + rand() % 400000);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		ck_assert_int_eq(tu_sh(&out, &err, "sqlite3 '%s' 'PRAGMA"
		    " integrity_check'", tu_db), 0);
		ck_assert_str_eq(out, "ok\n");
		free(out);
		free(err);
		/* The next writer's open drops an interrupted issuance's
		 * pending rows (init on an existing database changes nothing
		 * else). */
		free(ctl(0, "init"));
		ck_assert_int_eq(q("SELECT count(*) FROM cert WHERE state ="
		    " 'pending'"), 0);
		on = q("SELECT enhanced_http FROM site_security x JOIN site s ON"
		    " s.id = x.site_id WHERE s.code = 'P09'");
		roles = active_roles("P09");
		nokey = q("SELECT count(*) FROM cert c WHERE NOT EXISTS (SELECT 1"
		    " FROM cert_key k WHERE k.cert_id = c.id)");
		orphan = q("SELECT count(*) FROM cert_key k WHERE NOT EXISTS"
		    " (SELECT 1 FROM cert c WHERE c.id = k.cert_id)");
		ck_assert_int_eq(nokey, 0);
		ck_assert_int_eq(orphan, 0);
		ck_assert_msg((on == 1 && roles == 40) || (on == 0 && roles == 0),
		    "round %d: enhanced HTTP %ld with %ld active certificates",
		    round, on, roles);
		if (on == (round % 2 ? 0 : 1))
			new_states++;
		else
			old_states++;
	}
	/* Both outcomes are possible; the point is that nothing else is. */
	ck_assert_int_eq(old_states + new_states, 8);
}
END_TEST

Suite *
issue_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("rules", rules_fixture),
		TU_TEST(enable_p01_issues_exactly_the_rule_set),
		TU_TEST(profile_of_issued_certificates),
		TU_TEST(key_algorithms),
		TU_TEST(cas_covers_only_its_provider),
		TU_TEST(https_roles_get_none),
		TU_TEST(added_later_issued_removed_revoked),
		TU_TEST(disable_supersedes_reenable_same_root),
		TU_TEST(pki_preferred),
		TU_TEST(long_fqdn_gets_a_certificate),
		TU_TEST(one_failure_blocks_no_one),
		TU_EACH(pki_refusals_leave_db_unchanged, pki_refusals),
		TU_TEST(inventory_list_show_export),
		TU_TEST(cert_list_columns_aligned),
		TU_TEST(block_and_renew),
		TU_TEST(blocked_root_takes_effect),
		TU_TEST(token_signing_issued_per_site),
		TU_TEST(token_signing_lifecycle),
		TU_TEST(pki_unknown_issuer_and_block_fallback),
		TU_TEST(serving_list_is_each_systems_decision),
		TU_TEST(key_export_audit_after_the_fact),
		TU_TEST(kill_mid_issuance_is_atomic),
		{ 0 }
	};

	return tu_suite("issue", tests);
}
