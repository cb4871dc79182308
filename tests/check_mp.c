/*
 * mp (backend/mp/): the management point's decisions for clients, called
 * in process over a real demo database with enhanced HTTP on P01 (so P01
 * has its SMS Token Signing certificate). Tokens ehttp signs verify in
 * python3-jwt against the certificate `ehttpctl cert export` writes;
 * tokens signed by anything else, expired, early, for another audience,
 * issuer or type, of a blocked client or of a renewed signer are refused
 * with their reason. Registration takes requests tests/wire.py (python3,
 * written from the public format) makes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <check.h>

#include "ehttp.h"
#include "mp.h"
#include "testutil.h"
#include "xmalloc.h"

#define MP_FQDN		"p01.contoso.com"
#define SMSID		"GUID:0b7d4f6e-1a2b-4c3d-8e9f-a0b1c2d3e4f5"

static struct ehttp *e;
static struct mp_verifier *v;
static int64_t p01;

static void
mp_setup(void)
{
	struct db_site s;

	tu_dir = tu_demo_enhanced(tu_db, sizeof tu_db, "P01");
	v = tu_verifier_open(tu_db, MP_FQDN, &e);
	ck_assert_int_eq(ehttp_site_resolve(e, "P01", &s), 1);
	p01 = s.id;
}

static void
mp_teardown(void)
{
	tu_verifier_close(&v, &e);
	tu_dir_teardown();
}

static const struct tu_fixture token_fixture = { 120,
	.setup = mp_setup, .teardown = mp_teardown };

/* The hierarchy's issuer, as the verifier expects it. */
static char *
iss(void)
{
	char hid[64], *s;

	ck_assert_int_eq(ehttp_hierarchy_id(e, hid, sizeof hid), 0);
	xasprintf(&s, "urn:sccm:oauth2:%s", hid);
	return s;
}

/* A token of P01's signer over these claims; "Bearer <token>". */
static char *
bearer(const char *type, const char *aud, const char *issuer, long nbf,
    long exp, const char *unique)
{
	char claims[1024], *tok, *s;

	snprintf(claims, sizeof claims, "{\"iss\":\"%s\",\"aud\":\"%s\","
	    "\"nbf\":%ld,\"exp\":%ld,\"Type\":\"%s\",\"UniqueId\":\"%s\","
	    "\"SiteCode\":\"P01\"}", issuer, aud, nbf, exp, type, unique);
	ck_assert_msg(ehttp_token_sign(e, p01, claims, &tok) == 0, "%s",
	    ehttp_error(e));
	xasprintf(&s, "Bearer %s", tok);
	free(tok);
	return s;
}

/* mp_token_check: 1 with the SMSID, or 0 and the reason (malloc'ed). */
static int
check(const char *auth, char **reason)
{
	char smsid[64];
	int rc = mp_token_check(e, v, auth, smsid, reason);

	ck_assert_int_ne(rc, -1);
	if (rc == 1)
		ck_assert_str_eq(smsid, SMSID);
	return rc;
}

static void
refused(const char *auth, const char *why)
{
	char *reason = NULL;

	ck_assert_int_eq(check(auth, &reason), 0);
	ck_assert_msg(reason != NULL && strstr(reason, why) != NULL,
	    "reason '%s', expected '%s'", reason ? reason : "(none)", why);
	free(reason);
}

/* A token ehttp signs for a client verifies with python3-jwt against the
 * exported SMS Token Signing certificate, and in the verifier. */
START_TEST(token_verifies)
{
	long now = (long)time(NULL);
	char *auth, *out, *issuer = iss(), *id, *reason = NULL;

	auth = bearer("CCMToken", "urn:sccm:service", issuer, now, now + 28800,
	    SMSID);
	ck_assert_int_eq(check(auth, &reason), 1);
	ck_assert_ptr_null(reason);
	ck_assert_int_eq(tu_write_file(tu_path("token"), auth + 7,
	    strlen(auth + 7)), 0);
	id = tu_signer_der(tu_db, tu_path("signer.der"));
	out = tu_jwt_verify(tu_path("token"), tu_path("signer.der"));
	tu_has(out, "\"Type\": \"CCMToken\"", "\"UniqueId\": \"" SMSID "\"",
	    "\"aud\": \"urn:sccm:service\"", issuer, NULL);
	free(out);
	free(id);
	free(auth);
	free(issuer);
}
END_TEST

/* Each token the verifier must refuse, with its reason. */
START_TEST(token_refusals)
{
	long now = (long)time(NULL);
	char *issuer = iss(), *auth, *out;

	refused(NULL, "no Authorization header");
	refused("Basic dXNlcjpwYXNz", "not a Bearer token");
	refused("Bearer abc", "token");
	refused("Bearer eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.", "alg is not RS256");
	/* Expired (beyond the minute of leeway), not yet valid. */
	auth = bearer("CCMToken", "urn:sccm:service", issuer, now - 30000,
	    now - 120, SMSID);
	refused(auth, "the token expired at ");
	free(auth);
	auth = bearer("CCMToken", "urn:sccm:service", issuer, now + 3600,
	    now + 7200, SMSID);
	refused(auth, "the token is not valid before ");
	free(auth);
	/* Another audience, issuer (hierarchy), type, subject. */
	auth = bearer("CCMToken", "urn:other", issuer, now, now + 60, SMSID);
	refused(auth, "the token's aud is not urn:sccm:service");
	free(auth);
	auth = bearer("CCMToken", "urn:sccm:service",
	    "urn:sccm:oauth2:11111111-2222-3333-4444-555555555555", now,
	    now + 60, SMSID);
	refused(auth, "the token's iss is not urn:sccm:oauth2:");
	free(auth);
	auth = bearer("SiteToken", "urn:sccm:service", issuer, now, now + 60,
	    SMSID);
	refused(auth, "the token's Type is not CCMToken");
	free(auth);
	auth = bearer("CCMToken", "urn:sccm:service", issuer, now, now + 60,
	    "GUID:x\\u001b[2J");
	refused(auth, "UniqueId is not a client's SMSID");
	free(auth);
	/* Signed by a key of python3's with its own certificate. */
	out = tu_sh_ok("%s '%s/tests/wire.py' jwt-sign '%s' '{\"iss\": \"%s\","
	    " \"aud\": \"urn:sccm:service\", \"nbf\": %ld, \"exp\": %ld, "
	    "\"Type\": \"CCMToken\", \"UniqueId\": \"" SMSID "\"}' && cat '%s'",
	    tu_python(), EHTTP_SRCDIR, tu_dir, issuer, now, now + 600,
	    tu_path("token"));
	xasprintf(&auth, "Bearer %s", tu_line1(out));
	refused(auth, "that is not the site's current SMS Token Signing");
	free(auth);
	free(out);
	free(issuer);
}
END_TEST

/* Renewing SMS Token Signing refuses what the old one signed (once the
 * verifier reloads, as the agent does on every poll); enhanced HTTP off
 * refuses every token. */
START_TEST(signer_renewed)
{
	long now = (long)time(NULL);
	char *issuer = iss(), *auth, *id, *reason = NULL;

	auth = bearer("CCMToken", "urn:sccm:service", issuer, now, now + 600,
	    SMSID);
	ck_assert_int_eq(check(auth, &reason), 1);
	id = tu_active_cert(tu_db, "--type token --site P01", "id");
	tu_ctl_ok(tu_db, "cert", "renew", id, NULL);
	ck_assert_int_eq(check(auth, &reason), 1);	/* not reloaded yet */
	ck_assert_msg(mp_verifier_reload(e, v) == 0, "%s", ehttp_error(e));
	refused(auth, "that is not the site's current SMS Token Signing");
	free(auth);
	auth = bearer("CCMToken", "urn:sccm:service", issuer, now, now + 600,
	    SMSID);
	ck_assert_int_eq(check(auth, &reason), 1);	/* the new signer's */
	tu_ctl_ok(tu_db, "site", "set", "P01", "--enhanced-http", "off",
	    NULL);
	ck_assert_int_eq(mp_verifier_reload(e, v), 0);
	refused(auth, "site P01 has no SMS Token Signing certificate");
	free(auth);
	free(id);
	free(issuer);
}
END_TEST

/* mp_content_check of a request with this Authorization alone. */
static void
content_refused(const char *auth, const char *why)
{
	struct mp_request r = { .mp_fqdn = MP_FQDN, .method = "GET",
	    .target = "/CCMTOKENAUTH_SMS_DP_SMSPKG$/P0100001",
	    .authorization = auth };
	char *reason = NULL;

	ck_assert_int_eq(mp_content_check(e, v, &r, time(NULL), &reason), 0);
	ck_assert_msg(reason != NULL && strstr(reason, why) != NULL,
	    "reason '%s', expected '%s'", reason ? reason : "(none)", why);
	free(reason);
}

/*
 * The distribution point's check refuses a content access token without
 * cnf, one not yet valid, and every token once the site's SMS Token
 * Signing no longer chains to a trusted SMS Issuing (its root blocked,
 * seen at the next reload), while the CCM token check goes on as before.
 * (The whole request, with the real agent and client: check_client.)
 */
START_TEST(content_check)
{
	long now = (long)time(NULL);
	char *issuer = iss(), *auth, *ccm, *reason = NULL, *root;

	auth = bearer("ContentAccessToken", "urn:sccm:dp", issuer, now,
	    now + 600, SMSID);
	content_refused(auth, "the token has no cnf x5t#S256");
	free(auth);
	auth = bearer("ContentAccessToken", "urn:sccm:dp", issuer, now + 3600,
	    now + 7200, SMSID);
	content_refused(auth, "the token is not valid before ");
	free(auth);
	auth = bearer("ContentAccessToken", "urn:sccm:service", issuer, now,
	    now + 600, SMSID);
	content_refused(auth, "the token's aud is not urn:sccm:dp");
	free(auth);
	content_refused(NULL, "no Authorization header");

	ccm = bearer("CCMToken", "urn:sccm:service", issuer, now, now + 600,
	    SMSID);
	root = tu_active_cert(tu_db, "--type root --site P01", "id");
	tu_ctl_ok(tu_db, "cert", "block", root, NULL);
	ck_assert_msg(mp_verifier_reload(e, v) == 0, "%s", ehttp_error(e));
	auth = bearer("ContentAccessToken", "urn:sccm:dp", issuer, now,
	    now + 600, SMSID);
	content_refused(auth, "site P01's SMS Token Signing certificate is "
	    "not trusted: Its issuer");
	ck_assert_int_eq(check(ccm, &reason), 1);
	tu_ctl_ok(tu_db, "cert", "unblock", root, NULL);
	ck_assert_int_eq(mp_verifier_reload(e, v), 0);
	content_refused(auth, "the token has no cnf x5t#S256");
	free(auth);
	free(ccm);
	free(root);
	free(issuer);
}
END_TEST

Suite *
mp_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("token", token_fixture),
		TU_TEST(token_verifies),
		TU_TEST(token_refusals),
		TU_TEST(signer_renewed),
		TU_TEST(content_check),
		{ 0 }
	};

	return tu_suite("mp", tests);
}
