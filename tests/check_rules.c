/* The input rules of sites, systems and roles, one by one, and IISSSLState. */
#include <stdio.h>
#include <string.h>
#include <check.h>

#include "ehttp.h"
#include "testutil.h"

/* A rule that gives an input's normal form, or refuses it. */
struct norm_case {
	const char	*in;
	const char	*norm;		/* NULL: refused */
	const char	*reason;	/* part of the message */
};

/* What the rule said of c (its return code rc, normal form out, message
 * why): c's normal form, or a refusal whose message starts with field and
 * gives c's reason. */
static void
norm_check(const struct norm_case *c, int rc, const char *out,
    const char *why, const char *field)
{
	if (c->norm != NULL) {
		ck_assert_msg(rc == 0, "%s: %s", c->in, why);
		ck_assert_str_eq(out, c->norm);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_msg(strncmp(why, field, strlen(field)) == 0, "%s",
		    why);
		ck_assert_msg(strstr(why, c->reason) != NULL, "%s", why);
	}
}

static const struct norm_case codes[] = {
	{ "P01", "P01", NULL }, { "p01", "P01", NULL }, { "abc", "ABC", NULL },
	{ "999", "999", NULL },
	{ "", NULL, "missing" },
	{ "P1", NULL, "exactly 3" }, { "P001", NULL, "exactly 3" },
	{ "P-1", NULL, "character 2" }, { "P 1", NULL, "character 2" },
	{ "\xc3\xa9" "1", NULL, "character 1" },
	/* Reserved, in any case. */
	{ "AUX", NULL, "reserved" }, { "con", NULL, "reserved" },
	{ "NUL", NULL, "reserved" }, { "PRN", NULL, "reserved" },
	{ "SMS", NULL, "reserved" }, { "env", NULL, "reserved" },
};

START_TEST(site_code)
{
	char out[4], why[256];
	int rc = rules_site_code(codes[_i].in, out, why, sizeof why);

	norm_check(&codes[_i], rc, out, why, "site code");
}
END_TEST

static const struct {
	const char	*in;
	int		 ok;
} names[] = {
	{ "Contoso-East", 1 }, { "A", 1 }, { "Site1", 1 },
	{ "", 0 }, { "Contoso East", 0 }, { "a_b", 0 }, { "x;DROP", 0 },
	{ "1234567890123456789012345678901234567890123456789012345678901234", 1 },
	{ "12345678901234567890123456789012345678901234567890123456789012345", 0 },
};

START_TEST(site_name)
{
	char why[256];

	ck_assert_int_eq(rules_site_name(names[_i].in, why, sizeof why),
	    names[_i].ok ? 0 : -1);
	if (!names[_i].ok)
		ck_assert_msg(strncmp(why, "site name", 9) == 0, "%s", why);
}
END_TEST

static const struct norm_case fqdns[] = {
	{ "mp1.contoso.com", "mp1.contoso.com", NULL },
	{ "MP1.Contoso.COM", "mp1.contoso.com", NULL },
	{ "mp1.contoso.com.", "mp1.contoso.com", NULL },
	{ "a-b.c-d.e", "a-b.c-d.e", NULL },
	{ "", NULL, "missing" },
	{ "mp1", NULL, "not fully qualified" },
	{ "mp1..contoso.com", NULL, "empty label" },
	{ ".contoso.com", NULL, "empty label" },
	{ "-mp.contoso.com", NULL, "starts or ends" },
	{ "mp-.contoso.com", NULL, "starts or ends" },
	{ "mp_1.contoso.com", NULL, "character 3" },
	{ "mp 1.contoso.com", NULL, "character 3" },
	{ "10.0.0.1", NULL, "numeric" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
	  NULL, "longer than 63" },
};

START_TEST(fqdn)
{
	char out[256], why[512];
	int rc = rules_fqdn(fqdns[_i].in, out, why, sizeof why);

	norm_check(&fqdns[_i], rc, out, why, "FQDN");
}
END_TEST

START_TEST(fqdn_too_long)
{
	char in[300], out[256], why[512];

	memset(in, 'a', sizeof in);
	for (int i = 50; i < 290; i += 50)
		in[i] = '.';
	in[290] = '\0';
	ck_assert_int_eq(rules_fqdn(in, out, why, sizeof why), -1);
	ck_assert_ptr_nonnull(strstr(why, "longer than 253"));
}
END_TEST

START_TEST(types_and_roles)
{
	enum db_site_type t;
	char why[256];
	int v;

	ck_assert_int_eq(rules_site_type("cas", &t, why, sizeof why), 0);
	ck_assert_int_eq(t, DB_SITE_CAS);
	ck_assert_int_eq(rules_site_type("Secondary", &t, why, sizeof why), 0);
	ck_assert_int_eq(t, DB_SITE_SECONDARY);
	ck_assert_int_eq(rules_site_type("tertiary", &t, why, sizeof why), -1);
	ck_assert_ptr_nonnull(strstr(why, "site type 'tertiary'"));
	for (const char *const *r = (const char *const[]){ "mp", "dp",
	    "provider", "sup", "rsp", "smp", NULL }; *r; r++)
		ck_assert_int_eq(rules_role(*r, why, sizeof why), 0);
	ck_assert_int_eq(rules_role("MP", why, sizeof why), -1);
	ck_assert_int_eq(rules_role("cmg", why, sizeof why), -1);
	ck_assert_ptr_nonnull(strstr(why, "role 'cmg'"));
	ck_assert_int_eq(rules_onoff("x", "on", &v, why, sizeof why), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(rules_onoff("x", "no", &v, why, sizeof why), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(rules_onoff("crl", "maybe", &v, why, sizeof why), -1);
	ck_assert_str_eq(why, "crl 'maybe': must be on or off (yes or no)");
}
END_TEST

/* The IISSSLState families. */
static const struct {
	int https_only, ehttp, pki, crl, want;
} iis[] = {
	{ 1, 0, 1, 0, 31 }, { 1, 0, 1, 1, 63 },
	{ 0, 0, 0, 0, 192 }, { 0, 0, 0, 1, 224 }, { 0, 0, 1, 0, 448 },
	{ 0, 0, 1, 1, 480 }, { 0, 1, 0, 0, 1216 }, { 0, 1, 0, 1, 1248 },
	{ 0, 1, 1, 1, 1504 },
};

START_TEST(iisssl_state)
{
	struct db_security x = { 0 };

	x.https_only = iis[_i].https_only;
	x.enhanced_http = iis[_i].ehttp;
	x.pki_client_cert = iis[_i].pki;
	x.crl_check = iis[_i].crl;
	ck_assert_int_eq(ehttp_iisssl_state(&x), iis[_i].want);
}
END_TEST

/*
 * The one role table: which role on which site, with which connection,
 * gets an SMS Role SSL Certificate. Written out here from the README's
 * rules, not from the table. The flags are what
 * the rules answer yes to: secured (gets the certificate), stays on HTTP,
 * HTTPS, installed on the CAS.
 */
enum {
	RC_SECURED = 1 << 0, RC_STAYS_HTTP = 1 << 1, RC_HTTPS = 1 << 2,
	RC_ON_CAS = 1 << 3
};
static const struct {
	const char		*role;
	enum db_site_type	 site;
	const char		*conn;
	int			 flags;
	const char		*short_name;
} role_cases[] = {
	{ "mp", DB_SITE_PRIMARY, "http", RC_SECURED, "MP" },
	{ "mp", DB_SITE_SECONDARY, "http", RC_SECURED, "MP" },
	{ "mp", DB_SITE_PRIMARY, "https", RC_HTTPS, "MP" },
	{ "dp", DB_SITE_PRIMARY, "http", RC_SECURED, "DP" },
	{ "dp", DB_SITE_SECONDARY, "https", RC_HTTPS, "DP" },
	{ "mp", DB_SITE_CAS, "http", 0, "MP" },
	{ "provider", DB_SITE_CAS, "", RC_SECURED | RC_ON_CAS, "SMS Provider" },
	{ "provider", DB_SITE_PRIMARY, "", RC_SECURED | RC_ON_CAS,
	  "SMS Provider" },
	{ "sup", DB_SITE_PRIMARY, "", RC_STAYS_HTTP | RC_ON_CAS, "SUP" },
	{ "rsp", DB_SITE_PRIMARY, "", RC_STAYS_HTTP | RC_ON_CAS, "RSP" },
	{ "smp", DB_SITE_SECONDARY, "", RC_STAYS_HTTP | RC_ON_CAS, "SMP" },
	{ "nope", DB_SITE_PRIMARY, "http", 0, "nope" },
};

START_TEST(role_table)
{
	struct db_site s = { 0 };
	struct db_role r = { 0 };
	const struct ehttp_role_info *ri;
	int flags = role_cases[_i].flags;

	s.type = role_cases[_i].site;
	snprintf(r.role, sizeof r.role, "%s", role_cases[_i].role);
	snprintf(r.connection, sizeof r.connection, "%s", role_cases[_i].conn);
	ck_assert_int_eq(ehttp_role_secured(&s, &r), (flags & RC_SECURED) != 0);
	ck_assert_int_eq(ehttp_role_stays_http(r.role),
	    (flags & RC_STAYS_HTTP) != 0);
	ck_assert_int_eq(ehttp_role_https(&r), (flags & RC_HTTPS) != 0);
	ck_assert_str_eq(ehttp_role_short(r.role), role_cases[_i].short_name);
	ri = ehttp_role_info(r.role);
	if (strcmp(r.role, "nope") == 0) {
		ck_assert_ptr_null(ri);
		return;
	}
	ck_assert_ptr_nonnull(ri);
	ck_assert_int_eq(ri->on_cas, (flags & RC_ON_CAS) != 0);
	ck_assert_int_eq(ri->connection, strcmp(r.role, "mp") == 0 ||
	    strcmp(r.role, "dp") == 0);
	ck_assert_int_eq(ri->anonymous, strcmp(r.role, "dp") == 0);
}
END_TEST

/* Enhanced HTTP is in use only with HTTPS or HTTP. */
START_TEST(site_enhanced)
{
	struct db_security x = { 0 };

	ck_assert_int_eq(ehttp_site_enhanced(&x), 0);
	x.enhanced_http = 1;
	ck_assert_int_eq(ehttp_site_enhanced(&x), 1);
	x.https_only = 1;
	ck_assert_int_eq(ehttp_site_enhanced(&x), 0);
}
END_TEST

/* An agent's report against what the system should serve; when it is
 * silent; when a certificate counts as expiring. */
START_TEST(agent_and_expiry)
{
	struct ehttp_serving sv = { 0 };
	struct db_agent a = { 0 };
	struct db_cert c = { 0 };
	time_t now = 1800000000;

	ck_assert_int_eq(ehttp_agent_current(&sv, &a), 1);	/* no TLS */
	a.cert_id = 7;
	snprintf(a.thumbprint, sizeof a.thumbprint, "%040d", 7);
	ck_assert_int_eq(ehttp_agent_current(&sv, &a), 0);	/* stale TLS */
	sv.has_cert = 1;
	sv.cert.id = 7;
	snprintf(sv.cert.thumbprint, sizeof sv.cert.thumbprint, "%040d", 7);
	ck_assert_int_eq(ehttp_agent_current(&sv, &a), 1);
	sv.cert.id = 8;
	ck_assert_int_eq(ehttp_agent_current(&sv, &a), 0);
	a.cert_id = 0;
	ck_assert_int_eq(ehttp_agent_current(&sv, &a), 0);

	memset(&a, 0, sizeof a);
	ck_assert_int_eq(ehttp_agent_silent(&a, now), 0);	/* never */
	a.updated = now - EHTTP_AGENT_SILENT_S;
	ck_assert_int_eq(ehttp_agent_silent(&a, now), 0);
	a.updated = now - EHTTP_AGENT_SILENT_S - 1;
	ck_assert_int_eq(ehttp_agent_silent(&a, now), 1);
	a.health_time = now - 10;
	ck_assert_int_eq(ehttp_agent_silent(&a, now), 0);
	a.updated = 0;
	a.health_time = now - 3600;
	ck_assert_int_eq(ehttp_agent_silent(&a, now), 1);
	/* Known poll interval: silent after more than two polls, and never
	 * sooner than EHTTP_AGENT_SILENT_MIN_S. */
	memset(&a, 0, sizeof a);
	a.poll_s = 60;
	a.updated = now - 120;
	ck_assert_int_eq(ehttp_agent_silent(&a, now), 0);
	a.updated = now - 121;
	ck_assert_int_eq(ehttp_agent_silent(&a, now), 1);
	a.poll_s = 1;
	a.updated = now - EHTTP_AGENT_SILENT_MIN_S;
	ck_assert_int_eq(ehttp_agent_silent(&a, now), 0);
	a.updated = now - EHTTP_AGENT_SILENT_MIN_S - 1;
	ck_assert_int_eq(ehttp_agent_silent(&a, now), 1);
	ck_assert_int_eq(ehttp_agent_silent_after(&a), EHTTP_AGENT_SILENT_MIN_S);

	c.not_after = now + 30 * 86400;
	ck_assert_int_eq(ehttp_cert_expiring(&c, now), 0);
	c.not_after = now + 30 * 86400 - 1;
	ck_assert_int_eq(ehttp_cert_expiring(&c, now), 1);
	c.not_after = now - 1;
	ck_assert_int_eq(ehttp_cert_expiring(&c, now), 1);
}
END_TEST

Suite *
rules_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("input", tu_plain_fixture),
		TU_EACH(site_code, codes),
		TU_EACH(site_name, names),
		TU_EACH(fqdn, fqdns),
		TU_TEST(fqdn_too_long),
		TU_TEST(types_and_roles),
		TU_EACH(iisssl_state, iis),
		TU_EACH(role_table, role_cases),
		TU_TEST(site_enhanced),
		TU_TEST(agent_and_expiry),
		{ 0 }
	};

	return tu_suite("rules", tests);
}
