/*
 * The administration service (backend/admin/, the SMS Provider's REST API)
 * served by the real agent over TLS on loopback, read by a client written
 * from the documentation with python3's own TLS, HTTP, JSON and XML
 * (tests/adminservice.py), which checks every answer against the database
 * as the sqlite3 CLI reads it; curl for the README's commands. Tokens:
 * ehttpctl admin token new|list|revoke, the stored hash recomputed by
 * python3's hashlib, expiry by the real agent under libfaketime. Changes:
 * a full token turns enhanced HTTP on for P02 and gets the notes and
 * certificates ehttpctl gets on a copy of the same database; a read-only
 * token is refused (403) and audited. And $filter itself: the parser's
 * answers and error positions, its limits, its fuzzer's seeds.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmlog.h"
#include "odata.h"
#include "testutil.h"
#include "xmalloc.h"

#define LLVMFuzzerTestOneInput	fuzz_odata_one
#include "fuzz/fuzz-odata.c"
#undef LLVMFuzzerTestOneInput

#define FQDN	"p01.contoso.com"
#define sh1(...)	tu_line1(tu_sh_ok(__VA_ARGS__))

/* ---- $filter, in process ---------------------------------------------- */

static const struct od_prop props[] = {
	{ "Name", OD_STRING }, { "ID", OD_INT }, { "IsBlocked", OD_BOOL },
	{ "ValidUntil", OD_TIME }, { "Note", OD_STRING },
};

/* Name 'dp1.P01', ID 7, IsBlocked false, ValidUntil 2027-01-01, Note
 * null. */
static const struct od_val row[] = {
	{ OD_STRING, 0, "dp1.P01" }, { OD_INT, 7, NULL }, { OD_BOOL, 0, NULL },
	{ OD_TIME, 1798761600000, NULL }, { OD_NULL, 0, NULL },
};

static const struct {
	const char	*filter;
	int		 want;
} evals[] = {
	{ "ID eq 7", 1 }, { "ID ne 7", 0 }, { "ID gt 6 and ID lt 8", 1 },
	{ "ID ge 8 or ID le 6", 0 }, { "not IsBlocked", 1 },
	{ "IsBlocked eq false", 1 }, { "not (ID eq 7)", 0 },
	{ "startswith(Name,'dp1')", 1 }, { "startswith(Name,'DP1')", 0 },
	{ "startswith(toupper(Name),'DP1')", 1 }, { "endswith(Name,'P01')", 1 },
	{ "contains(tolower(Name),'.p0')", 1 }, { "contains(Name,'')", 1 },
	{ "contains(Name,'dp1.P01x')", 0 }, { "Name eq 'dp1.P01'", 1 },
	{ "Name gt 'dp0' and Name lt 'dp2'", 1 }, { "Note eq null", 1 },
	{ "Note ne null", 0 }, { "Name eq null", 0 },
	{ "ValidUntil eq 2027-01-01T00:00:00Z", 1 },
	{ "ValidUntil eq 2027-01-01T01:00:00+01:00", 1 },
	{ "ValidUntil lt 2026-12-31T23:59:59.999Z", 0 },
	{ "ValidUntil le 2027-01-01T00:00Z", 1 }, { "ID eq -7 or ID eq 7", 1 },
	{ "ValidUntil lt 2027-01-01T00:00:00.5Z", 1 },
	{ "ValidUntil eq 2027-01-01T00:00:00.5Z", 0 },
	{ "ValidUntil gt 2026-12-31T23:59:59.999000Z", 1 },
	{ "((((ID eq 7))))", 1 }, { "true", 1 }, { "false or true", 1 },
	{ "contains(Name,'''')", 0 }, { "Name ne 'it''s'", 1 },
	{ "startswith(Name,'dp') eq true and not contains(Name,'x')", 1 },
};

START_TEST(filter_evaluates)
{
	struct od_node *n;
	struct od_error err;

	for (size_t i = 0; i < sizeof evals / sizeof *evals; i++) {
		ck_assert_msg(od_filter_parse(evals[i].filter, props, 5, &n,
		    &err) == 0, "%s: %s", evals[i].filter, err.text);
		ck_assert_msg(od_filter_eval(n, row) == evals[i].want,
		    "%s: not %d", evals[i].filter, evals[i].want);
		od_filter_free(n);
	}
}
END_TEST

static const struct {
	const char	*filter;
	const char	*want;
} errs[] = {
	{ "", "position 1: the filter ends" },
	{ "ID eq", "position 6: the filter ends" },
	{ "ID eq 'x'", "position 4: Edm.Int64 compared with Edm.String" },
	{ "Id eq 1", "position 1: no property 'Id'" },
	{ "ID eq 1 and", "position 12:" },
	{ "ID eq 1)", "position 8: ')' after the end" },
	{ "(ID eq 1", "position 9: ')' expected to close the '(' at position 1" },
	{ "Name eq 'x", "position 9: a string that does not end" },
	{ "ID eq 1.5", "position 7: '1.5' is not an integer" },
	{ "ID eq 99999999999999999999", "not an integer" },
	{ "ValidUntil eq 2027-02-29T00:00:00Z", "position 15:" },
	{ "ValidUntil eq 2027-01-01", "not a DateTimeOffset" },
	{ "ValidUntil eq 2027-01-01T00:00:00.0001Z", "at most milliseconds" },
	{ "IsBlocked lt true", "position 11: Edm.Boolean values are compared"
	  " with eq and ne only" },
	{ "ID", "position 1: the filter is Edm.Int64" },
	{ "not ID", "position 1: not takes Edm.Boolean" },
	{ "not ID eq 1", "position 1: not takes Edm.Boolean" },
	{ "ID and true", "position 1: and takes Edm.Boolean" },
	{ "length(Name) eq 1", "position 1: unknown function 'length'" },
	{ "contains(ID,'1')", "position 10: contains takes strings" },
	{ "startswith(Name)", "position 16: startswith takes 2 arguments" },
	{ "ID eq 1; DROP TABLE cert", "position 8:" },
	{ "Name eq 'a' -- '", "position 13:" },
	{ "ID eq 7 \x01", "position 9:" },
};

START_TEST(filter_errors_say_where)
{
	struct od_node *n;
	struct od_error err;

	for (size_t i = 0; i < sizeof errs / sizeof *errs; i++) {
		ck_assert_msg(od_filter_parse(errs[i].filter, props, 5, &n,
		    &err) == -1, "%s: accepted", errs[i].filter);
		ck_assert_ptr_null(n);
		ck_assert_msg(strstr(err.text, errs[i].want) != NULL,
		    "%s: '%s' lacks '%s'", errs[i].filter, err.text,
		    errs[i].want);
		ck_assert_str_eq(err.option, "$filter");
	}
}
END_TEST

/* Deep nesting, many terms and long literals cost a bounded parse: each
 * limit is one step from what is accepted. */
START_TEST(filter_limits)
{
	struct od_node *n;
	struct od_error err;
	char *f = xmalloc(OD_FILTER_MAX * 4);
	size_t o;

	/* OD_DEPTH_MAX levels of parentheses, of 'not' or of a function
	 * are taken (the README says 32), one more is not. */
	for (int kind = 0; kind < 3; kind++) {
		static const char *const open[] = { "(", "not ", "tolower(" };
		static const char *const in[] = { "true", "true", "Name" };

		for (int depth = OD_DEPTH_MAX; depth <= OD_DEPTH_MAX + 1;
		    depth++) {
			o = 0;
			for (int i = 0; i < depth; i++)
				o += (size_t)sprintf(f + o, "%s", open[kind]);
			o += (size_t)sprintf(f + o, "%s", in[kind]);
			for (int i = 0; kind != 1 && i < depth; i++)
				f[o++] = ')';
			f[o] = '\0';
			if (kind == 2)
				strcat(f, " eq 'a'");
			if (depth == OD_DEPTH_MAX) {
				ck_assert_msg(od_filter_parse(f, props, 5, &n,
				    &err) == 0, "%s: %s", f, err.text);
				od_filter_free(n);
				continue;
			}
			ck_assert_int_eq(od_filter_parse(f, props, 5, &n,
			    &err), -1);
			tu_has(err.text, "nested more than 32 deep", NULL);
		}
	}
	/* Terms: "ID eq 1 or ..." past OD_NODES_MAX. */
	o = (size_t)sprintf(f, "ID eq 1");
	for (int i = 0; i < OD_NODES_MAX; i++)
		o += (size_t)sprintf(f + o, " or ID eq 1");
	ck_assert_int_eq(od_filter_parse(f, props, 5, &n, &err), -1);
	ck_assert_msg(strstr(err.text, "terms") != NULL ||
	    strstr(err.text, "longer than") != NULL, "%s", err.text);
	/* A literal of OD_LITERAL_MAX bytes is taken, one more is not. */
	o = (size_t)sprintf(f, "Name eq '");
	memset(f + o, 'a', OD_LITERAL_MAX);
	strcpy(f + o + OD_LITERAL_MAX, "'");
	ck_assert_int_eq(od_filter_parse(f, props, 5, &n, &err), 0);
	od_filter_free(n);
	o = (size_t)sprintf(f, "Name eq '");
	memset(f + o, 'a', OD_LITERAL_MAX + 1);
	strcpy(f + o + OD_LITERAL_MAX + 1, "'");
	ck_assert_int_eq(od_filter_parse(f, props, 5, &n, &err), -1);
	ck_assert_msg(strstr(err.text, "longer than") != NULL, "%s", err.text);
	/* The whole text. */
	memset(f, ' ', OD_FILTER_MAX + 1);
	strcpy(f + OD_FILTER_MAX + 1, "true");
	ck_assert_int_eq(od_filter_parse(f, props, 5, &n, &err), -1);
	free(f);
}
END_TEST

START_TEST(query_options)
{
	struct od_query q;
	struct od_error err;

	ck_assert_int_eq(od_query_parse("$filter=ID%20eq%207&$select=Name,ID"
	    "&$orderby=ID%20desc,Name&$top=5&$skip=2&$count=true&x=1", props,
	    5, &q, &err), 0);
	ck_assert_ptr_nonnull(q.filter);
	ck_assert_int_eq(q.nselect, 2);
	ck_assert_int_eq(q.norder, 2);
	ck_assert_int_eq(q.order[0].desc, 1);
	ck_assert_int_eq(q.top, 5);
	ck_assert_int_eq(q.skip, 2);
	ck_assert_int_eq(q.count, 1);
	od_query_free(&q);
	ck_assert_int_eq(od_query_parse("$filter=Name%20eq%20'a+b'", props, 5,
	    &q, &err), 0);
	ck_assert_int_eq(od_filter_eval(q.filter, (struct od_val[]){
	    { OD_STRING, 0, "a b" }, { 0 }, { 0 }, { 0 }, { 0 } }), 1);
	od_query_free(&q);
	ck_assert_int_eq(od_query_parse("$top=1&$top=2", props, 5, &q, &err),
	    -1);
	ck_assert_str_eq(err.text, "$top is given twice");
	ck_assert_str_eq(err.option, "$top");	/* not the freed request */
	ck_assert_int_eq(od_query_parse("$expand=x", props, 5, &q, &err), -1);
	ck_assert_str_eq(err.option, "$expand");
	ck_assert_int_eq(od_query_parse("$Filter=true", props, 5, &q, &err),
	    -1);
	ck_assert_int_eq(od_query_parse("$filter=%00", props, 5, &q, &err),
	    -1);
	ck_assert_int_eq(od_query_parse("$select=*,ID", props, 5, &q, &err),
	    0);
	ck_assert_int_eq(q.nselect, 0);
	od_query_free(&q);
}
END_TEST

static void
one_odata(const char *name, const uint8_t *p, size_t n)
{
	fuzz_odata_one(p, n);
}

/* The fuzzer's own checks on its seeds and regressions (odata-*). */
START_TEST(fuzz_seeds)
{
	ck_assert_int_ge(tu_fuzz_inputs("corpus-odata", "", one_odata), 5);
	ck_assert_int_ge(tu_fuzz_inputs("regress", "odata-", one_odata), 1);
}
END_TEST

/* ---- tokens (ehttpctl) ------------------------------------------------ */

static char *dir;
static char db[4096], root[4096], logs[4200];
static pid_t agent = -1;
static int port;
static int restarts;

/* Stop the agent and use a new log directory for the next one (the old
 * log says "started" already). */
static void
agent_restart_logs(void)
{
	tu_mpd_stop(&agent);
	snprintf(logs, sizeof logs, "%s/logs%d", dir, ++restarts);
}

static void
db_setup(void)
{
	dir = tu_mp_copy(db, sizeof db, root, sizeof root);
	snprintf(logs, sizeof logs, "%s/logs", dir);
}

static void
db_teardown(void)
{
	tu_mpd_teardown(&agent, &dir);
}

/* A token made by ehttpctl (stdout's one line), asserted. */
static char *
token_new(const char *name, const char *role, const char *days)
{
	char *out = NULL, *err = NULL;
	int rc;

	rc = days != NULL ? tu_ctl(db, &out, &err, "admin", "token", "new",
	    name, "--role", role, "--days", days, NULL) : tu_ctl(db, &out,
	    &err, "admin", "token", "new", name, "--role", role, NULL);
	ck_assert_msg(rc == 0, "token new: exit %d: %s", rc, err);
	tu_has(err, "shown only now", NULL);
	free(err);
	return tu_line1(out);
}

START_TEST(tokens_made_listed_revoked)
{
	char *t, *v;

	t = token_new("ops", "full", NULL);
	/* The shape the help promises; the database holds its SHA-256
	 * (python3's hashlib), never the token. */
	tu_sh_is("ok", "printf %%s '%s' | grep -Eq '^ehttp_[A-Za-z0-9_-]{43}$'"
	    " && echo ok", t);
	tu_sh_is("1", "sqlite3 '%s' \"SELECT count(*) FROM admin_token WHERE"
	    " name = 'ops' AND hash = '$(%s -c 'import hashlib,sys;"
	    " print(hashlib.sha256(sys.argv[1].encode()).hexdigest())' '%s')'"
	    " AND role = 'full' AND expires - created = 90 * 86400\"", db,
	    tu_python(), t);
	tu_sh_is("0", "sqlite3 '%s' .dump | grep -c -- '%s' || true", db, t + 6);
	v = tu_ctl_json(db, "[(x['name'], x['role']) for x in d]", "--json",
	    "admin", "token", "list", NULL);
	ck_assert_str_eq(v, "[('ops', 'full')]");
	free(v);
	free(t);
	t = tu_ctl_json(db, "d['role'], d['token'][:6], d['expires'] > "
	    "d['created']", "--json", "admin", "token", "new", "ro", "--role",
	    "read-only", "--days", "1", NULL);
	ck_assert_str_eq(t, "read-only ehttp_ True");
	free(t);
	tu_ctl_fails(db, 1, "a token named ops exists already", "admin",
	    "token", "new", "ops", "--role", "full", NULL);
	tu_ctl_fails(db, 2, "--role read-only|full is required", "admin",
	    "token", "new", "x", NULL);
	tu_ctl_fails(db, 2, "--role 'admin': must be read-only|full", "admin",
	    "token", "new", "x", "--role", "admin", NULL);
	tu_ctl_fails(db, 2, "1 to 3650", "admin", "token", "new", "x",
	    "--role", "full", "--days", "3651", NULL);
	tu_ctl_fails(db, 1, "only letters, digits", "admin", "token", "new",
	    "a b", "--role", "full", NULL);
	tu_ctl_fails(db, 1, "1 to 48 characters", "admin", "token", "new",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "--role",
	    "full", NULL);
	tu_ctl_ok(db, "admin", "token", "revoke", "ops", NULL);
	tu_ctl_fails(db, 1, "ops: no such token", "admin", "token", "revoke",
	    "ops", NULL);
	tu_sh_is("admin token|ops|Administration service token ops revoked.",
	    "sqlite3 '%s' \"SELECT action, object, detail FROM audit ORDER BY"
	    " id DESC LIMIT 1\"", db);
}
END_TEST

static const struct tu_fixture db_fixture = TU_FIXTURE(60, tu_mpd_tmpl_setup,
	tu_tmpl_teardown, db_setup, db_teardown);

/* ---- the service over TLS --------------------------------------------- */

static void
svc_setup(void)
{
	db_setup();
	agent = tu_mpd_start(db, FQDN, logs, NULL, &port);
}

/* tests/adminservice.py CMD against the agent with token (asserted to
 * pass); its "ok" lines. */
static char *
client(const char *cmd, const char *token, const char *more)
{
	return tu_sh_ok("'%s' '%s/tests/adminservice.py' %s %d '%s' %s '%s'"
	    " '%s' %s", tu_python(), EHTTP_SRCDIR, cmd, port, root, FQDN, db,
	    token, more);
}

START_TEST(reads_match_the_database)
{
	char *t = token_new("reader", "read-only", NULL), *out, more[4200];

	snprintf(more, sizeof more, "'%s'", tu_bin("ehttpctl"));
	out = client("reads", t, more);
	tu_has(out, "ok: SMS_Certificate equals the cert table",
	    "ok: SMS_Site equals the site table (4 sites)", NULL);
	free(out);
	free(t);
}
END_TEST

START_TEST(refusals)
{
	char *t = token_new("ops", "full", NULL), *gone, *out, *log, more[200];
	char meth[32];

	gone = token_new("gone", "full", NULL);
	tu_ctl_ok(db, "admin", "token", "revoke", "gone", NULL);
	snprintf(more, sizeof more, "'%s'", gone);
	out = client("refusals", t, more);
	tu_has(out, "malformed queries are 400 and say where",
	    "NTLM and Basic are 401", "CCM_POST and other methods are 405",
	    "links name the served host", "nothing smuggled",
	    "the service still answers", NULL);
	free(out);
	/* A token put in the query is not written to the log. */
	free(tu_sh_ok("curl -s -o /dev/null --cacert '%s' --resolve"
	    " %s:%d:127.0.0.1 'https://%s:%d/AdminService/wmi/SMS_Site?"
	    "access_token=%s'", root, FQDN, port, FQDN, port, t));
	/* Nor one put in the path, a query option or a property name,
	 * which the answers quote, nor one percent-encoded. */
	free(tu_sh_ok("for p in '%s' 'SMS_Site/%s' 'SMS_Site?$select=%s'"
	    " 'SMS_Certificate(1)/AdminService.%s' 'ehttp%%5F%s'"
	    " 'SMS_Site/%%65http_%s' 'SMS_Site/%%2565http_%s'; do curl -s -o /dev/null --cacert '%s'"
	    " -H 'Authorization: Bearer %s' --resolve %s:%d:127.0.0.1"
	    " \"https://%s:%d/AdminService/wmi/$p\"; done", t, t, t, t, t + 6,
	    t + 6, t + 6, root, t, FQDN, port, FQDN, port));
	/* A PATCH that names nothing to change: 400, as ehttpctl's usage
	 * error (it was 200 "done"). */
	tu_sh_is("400 400", "for b in '' '{}'; do curl -s -o /dev/null -w"
	    " '%%{http_code} ' --cacert '%s' -X PATCH -H 'Content-Type:"
	    " application/json' -H 'Authorization: Bearer %s' -d \"$b\""
	    " --resolve %s:%d:127.0.0.1 \"https://%s:%d/AdminService/wmi/"
	    "SMS_SCI_Component('P02')\"; done | sed 's/ $//'", root, t, FQDN,
	    port, FQDN, port);
	/* A method is any token: one made of a token's first characters is
	 * not logged either. */
	snprintf(meth, sizeof meth, "ehttp_%.9s", t + 6);
	tu_sh_is("405", "curl -s -o /dev/null -w '%%{http_code}' --cacert '%s'"
	    " -X '%s' -H 'Authorization: Bearer %s' --resolve %s:%d:127.0.0.1"
	    " 'https://%s:%d/AdminService/wmi/SMS_Site'", root, meth, t, FQDN,
	    port, FQDN, port);
	/* Two Authorization headers: 400, logged too (no token in it). */
	tu_sh_is("400", "curl -s -o /dev/null -w '%%{http_code}' --cacert '%s'"
	    " -H 'Authorization: Bearer %s' -H 'Authorization: Bearer %s'"
	    " --resolve %s:%d:127.0.0.1 'https://%s:%d/AdminService/wmi/"
	    "SMS_Site'", root, t, gone, FQDN, port, FQDN, port);
	/* Over plain HTTP the endpoint is refused: a token never travels
	 * in clear. */
	tu_sh_is("403", "curl -s -o /dev/null -w '%%{http_code}' -H"
	    " 'Authorization: Bearer %s' http://127.0.0.1:$(sqlite3 '%s'"
	    " \"SELECT a.http_port FROM agent a JOIN site_system y ON y.id ="
	    " a.system_id WHERE y.fqdn = '%s'\")/AdminService/wmi/SMS_Site", t,
	    db, FQDN);
	/* Every line of adminservice.log is CMTrace, names the token, never
	 * holds it. */
	log = tu_read_file(tu_join(logs, "adminservice.log"), NULL);
	ck_assert_ptr_nonnull(log);
	ck_assert_ptr_null(strstr(log, t + 6));
	ck_assert_ptr_null(strstr(log, gone + 6));
	ck_assert_msg(strstr(log, meth) == NULL, "%s", meth);
	/* Not a part of one either (an answer cuts a name it quotes). */
	snprintf(more, sizeof more, "%.12s", t + 6);
	ck_assert_msg(strstr(log, more) == NULL, "%s", log);
	ck_assert_int_ge(tu_count(log, "ehttp_***"), 7);
	tu_has(log, "by ops from 127.0.0.1:", "401 unknown or revoked token",
	    "400 position", "GET /AdminService/wmi/SMS_Site by - from"
	    " 127.0.0.1:", "400 Authorization, Host or Content-Type given more"
	    " than once", "DELETE /AdminService/wmi/SMS_Site('P01') by ops",
	    "PUT /AdminService/wmi/SMS_SCI_Component('P02') by ops",
	    "405 the administration service takes GET, HEAD, PATCH and POST",
	    NULL);
	free(log);
	free(gone);
	free(t);
}
END_TEST

START_TEST(paging_survives_changes)
{
	char *t = token_new("ops", "full", NULL), *out;

	out = client("cursor", t, "");
	tu_has(out, "none lost although the first page's last one was"
	    " blocked", NULL);
	free(out);
	free(t);
}
END_TEST

/* The database file replaced (a restore with mv) while the service holds
 * its own handle on it: the agent lets that handle go too, reopens, and
 * the service reads the new file (a token only it holds works). */
START_TEST(database_replaced)
{
	char *t = token_new("ops", "read-only", NULL), *t2, *out = NULL;
	char *err = NULL, copy[4300];
	int rc;
#define GET_SITES(tok) tu_sh_is(code, "curl -s -o /dev/null -w"	\
	    " '%%{http_code}' --cacert '%s' --resolve %s:%d:127.0.0.1 -H"	\
	    " 'Authorization: Bearer %s' https://%s:%d/AdminService/wmi/"	\
	    "SMS_Site", root, FQDN, port, (tok), FQDN, port)
	const char *code;

	code = "200";
	GET_SITES(t);
	snprintf(copy, sizeof copy, "%s/restore.db", dir);
	free(tu_sh_ok("sqlite3 '%s' \".backup '%s'\"", db, copy));
	rc = tu_ctl(copy, &out, &err, "admin", "token", "new", "restored",
	    "--role", "read-only", NULL);
	ck_assert_msg(rc == 0, "%s", err);
	t2 = tu_line1(out);
	free(err);
	code = "401";
	GET_SITES(t2);
	free(tu_sh_ok("cp '%s.master-key' '%s.master-key' && mv '%s' '%s'",
	    db, copy, copy, db));
	tu_file_waits(tu_join(logs, "mpcontrol.log"), "mpcontrol.log",
	    "Site database was replaced; reopened", 15);
	code = "200";
	GET_SITES(t2);
	GET_SITES(t);
#undef GET_SITES
	free(out);
	free(t);
}
END_TEST

START_TEST(rate_limited)
{
	char *t, *out;

	agent_restart_logs();
	agent = tu_mpd_start_with(db, FQDN, logs, NULL, &port,
	    "--admin-rate 5");
	t = token_new("ops", "read-only", NULL);
	out = client("rate", t, "5");
	tu_has(out, "got 429 with Retry-After: 1", NULL);
	free(out);
	tu_file_waits(tu_join(logs, "adminservice.log"), "adminservice.log",
	    "more than 5 requests a second from this address", 5);
	free(t);
}
END_TEST

START_TEST(not_a_provider)
{
	char *t = token_new("ops", "full", NULL);

	agent_restart_logs();
	agent = tu_mpd_start(db, "mp2.p01.contoso.com", logs, NULL, &port);
	tu_sh_is("404|This site system has no SMS Provider role: no"
	    " administration service here.", "c=$(curl -s -o '%s/body' -w"
	    " '%%{http_code}' -H 'Authorization: Bearer %s' --cacert '%s'"
	    " --resolve mp2.p01.contoso.com:%d:127.0.0.1"
	    " https://mp2.p01.contoso.com:%d/AdminService/wmi/SMS_Site) &&"
	    " printf '%%s|%%s' \"$c\" \"$(cat '%s/body')\"", dir, t, root, port,
	    port, dir);
	free(t);
}
END_TEST

/* A client registered by ehttp-client (pending: manual approval) is in
 * SMS_R_System as the database has it; Approve and Block through the API
 * are ehttpctl's client approve / block, in the token's name. */
START_TEST(client_actions)
{
	char *t = token_new("ops", "full", NULL), *id, *out;

	out = tu_sh_ok("cd '%s' && '%s' register --mp %s:%d --connect"
	    " 127.0.0.1 --root '%s' --state '%s/c1' --timeout 10 --name WKS01;"
	    " test $? = 1", dir, tu_bin("ehttp-client"), FQDN, port, root, dir);
	free(out);
	id = sh1("sqlite3 '%s' \"SELECT id FROM client WHERE name = 'WKS01'"
	    " AND approved = 0\"", db);
#define CLIENT_CALL(method, path, want) tu_sh_is(want, "curl -s --cacert"\
	    " '%s' --resolve %s:%d:127.0.0.1 -H 'Authorization: Bearer %s'"	\
	    " -X %s -H 'Content-Length: 0' \"https://%s:%d/AdminService/wmi/"	\
	    "SMS_R_System(%s)%s\" | %s -c 'import json,sys; d=json.load("	\
	    "sys.stdin); print(d[\"Name\"], d[\"IsApproved\"],"		\
	    " d[\"IsBlocked\"], d[\"SMSUniqueIdentifier\"][:5])'", root,	\
	    FQDN, port, t, method, FQDN, port, id, path, tu_python())
	CLIENT_CALL("GET", "", "WKS01 False False GUID:");
	CLIENT_CALL("POST", "/AdminService.Approve", "WKS01 True False GUID:");
	CLIENT_CALL("POST", "/AdminService.Block", "WKS01 True True GUID:");
#undef CLIENT_CALL
	tu_sh_is("1|1|ops (AdminService)", "sqlite3 '%s' \"SELECT approved,"
	    " blocked, approved_by FROM client WHERE id = %s\"", db, id);
	free(id);
	free(t);
}
END_TEST

/* A database that fails a read: a 500 that says why, in the log too;
 * the service answers again once the table is back. */
START_TEST(database_failure_is_500)
{
	char *t = token_new("ops", "read-only", NULL);
	char *cmd, *out;

	free(tu_sh_ok("sqlite3 '%s' 'ALTER TABLE audit RENAME TO audit_gone'", db));
	xasprintf(&cmd, "curl -s -w ' %%{http_code}' --cacert '%s' --resolve"
	    " %s:%d:127.0.0.1 -H 'Authorization: Bearer %s'"
	    " 'https://%s:%d/AdminService/wmi/EHTTP_AuditRecord?$top=1' | %s"
	    " -c 'import json,sys; j,c=sys.stdin.read().rsplit(\" \",1);"
	    " d=json.loads(j); print(c, d[\"error\"][\"message\"] if c !="
	    " \"200\" else len(d[\"value\"]))'", root, FQDN, port, t, FQDN,
	    port, tu_python());
	out = tu_sh_ok("%s", cmd);
	tu_has(out, "500 The site database could not answer: reading the audit"
	    " trail: ", "no such table: audit", NULL);
	free(out);
	tu_file_waits(tu_join(logs, "adminservice.log"), "adminservice.log",
	    "500 The site database could not answer", 5);
	free(tu_sh_ok("sqlite3 '%s' 'ALTER TABLE audit_gone RENAME TO audit'", db));
	tu_sh_is("200 1", "%s", cmd);
	free(cmd);
	free(t);
}
END_TEST

/* curl's PATCH of P02: enhanced HTTP on (the body, then the status). */
static char *
patch_p02(const char *token)
{
	char *cmd;

	xasprintf(&cmd, "curl -s --cacert '%s' --resolve %s:%d:127.0.0.1"
	    " -H 'Authorization: Bearer %s' -H 'Content-Type: application/json'"
	    " -X PATCH -d '{\"HTTPSOnly\":false,\"EnhancedHTTP\":true}'"
	    " -w '\\n%%{http_code}\\n' \"https://%s:%d/AdminService/wmi/"
	    "SMS_SCI_Component('P02')\"", root, FQDN, port, token, FQDN,
	    port);
	return cmd;
}

/* The done-when: a full token turns enhanced HTTP on for P02 (HTTPS only
 * in the demo: both settings in one PATCH) and gets what ehttpctl gets on
 * a copy of the same database: the same notes (thumbprints and dates
 * apart) and certificates for the same systems; a read-only token is
 * refused with 403 and audited. */
START_TEST(changes_as_ehttpctl)
{
	char *full = token_new("ops", "full", NULL);
	char *ro = token_new("viewer", "read-only", NULL);
	char copy[4300], *a, *b, *cmd;
	const char *mask = "sed -E 's/[0-9A-F]{40}/TP/g; s/[0-9]{4}-[0-9]{2}-"
	    "[0-9]{2}/DATE/g'";

	snprintf(copy, sizeof copy, "%s/copy", dir);
	free(tu_sh_ok("mkdir '%s' && cp '%s' '%s.master-key' '%s/' && sqlite3"
	    " '%s/site.db' 'PRAGMA integrity_check' >/dev/null", copy, db, db,
	    copy, copy));
	/* Read-only: 403, nothing changed, an audit record; three times in
	 * a row, one record (then one a minute), three lines in the log. */
	cmd = patch_p02(ro);
	for (int i = 0; i < 3; i++) {
		a = tu_sh_ok("%s", cmd);
		tu_has(a, "\n403\n", "Token viewer has read-only access",
		    NULL);
		free(a);
	}
	free(cmd);
	tu_sh_is("1", "sqlite3 '%s' \"SELECT count(*) FROM audit WHERE"
	    " action = 'AdminService refused'\"", db);
	tu_sh_is("3", "grep -c 'PATCH /AdminService/wmi/SMS_SCI_Component"
	    "(.P02.) by viewer from 127.0.0.1:[0-9]*: 403 Token viewer has"
	    " read-only access' '%s/adminservice.log'", logs);
	tu_sh_is("0", "sqlite3 '%s' \"SELECT enhanced_http FROM"
	    " site_security c JOIN site s ON s.id = c.site_id WHERE code ="
	    " 'P02'\"", db);
	tu_sh_is("viewer (AdminService)|AdminService refused|PATCH"
	    " SMS_SCI_Component('P02')", "sqlite3 '%s' 'SELECT \"user\", action,"
	    " object FROM audit ORDER BY id DESC LIMIT 1'", db);
	/* Full: 200, the notes. */
	cmd = patch_p02(full);
	a = tu_sh_ok("%s > '%s/patch.out' && %s -c 'import json,sys;"
	    " l=sys.stdin.read().rstrip().rsplit(\"\\n\", 1); assert l[1] =="
	    " \"200\", l; d=json.loads(l[0]); assert d[\"EnhancedHTTP\"] is True and"
	    " d[\"IISSSLState\"] == 1504, d; print(\"\\n\".join(n[\"Text\"]"
	    " for n in d[\"@ehttp.Notes\"]))' < '%s/patch.out' > '%s/notes' &&"
	    " %s < '%s/notes' | sort", cmd, dir, tu_python(), dir, dir, mask,
	    dir);
	free(cmd);
	b = tu_sh_ok("'%s' --db '%s/site.db' site set P02 --client-comm"
	    " https-or-http --enhanced-http on 2>&1 | sed 's/^warning: //' |"
	    " %s | sort", tu_bin("ehttpctl"), copy, mask);
	ck_assert_str_eq(a, b);
	tu_has(a, "Created the SMS Issuing root certificate of site P02",
	    "No management point for HTTP in site P02", NULL);
	free(a);
	free(b);
	/* The same certificates: type, subject, system, state. */
	a = sh1("sqlite3 '%s' \"SELECT group_concat(type || ' ' || issued_to"
	    " || ' ' || state, ', ') FROM (SELECT * FROM cert ORDER BY type,"
	    " issued_to)\"", db);
	b = sh1("sqlite3 '%s/site.db' \"SELECT group_concat(type || ' ' ||"
	    " issued_to || ' ' || state, ', ') FROM (SELECT * FROM cert ORDER"
	    " BY type, issued_to)\"", copy);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	tu_sh_is("ops (AdminService)", "sqlite3 '%s' \"SELECT \\\"user\\\" FROM"
	    " audit WHERE action = 'site set' ORDER BY id DESC LIMIT 1\"", db);
	/* An action: block a certificate, as ehttpctl cert block. */
	a = tu_active_cert(db, "--type role --site P02", "id");
	tu_sh_is("200 true", "curl -s --cacert '%s' --resolve %s:%d:127.0.0.1"
	    " -H 'Authorization: Bearer %s' -X POST -H 'Content-Length: 0'"
	    " -w ' %%{http_code}' \"https://%s:%d/AdminService/wmi/"
	    "SMS_Certificate(%s)/AdminService.Block\" | %s -c 'import json,sys;"
	    " t=sys.stdin.read(); j,c=t.rsplit(\" \",1); print(c,"
	    " str(json.loads(j)[\"IsBlocked\"]).lower())'", root, FQDN, port,
	    full, FQDN, port, a, tu_python());
	tu_sh_is("1", "sqlite3 '%s' 'SELECT blocked FROM cert WHERE id = %s'",
	    db, a);
	/* Unblock, then Renew (curl -d '': a POST of no body): the
	 * certificate superseded, a new one active for its system, what
	 * ehttpctl cert renew does; the notes name the new thumbprint. */
	tu_sh_is("0", "curl -s -o /dev/null --cacert '%s' --resolve"
	    " %s:%d:127.0.0.1 -H 'Authorization: Bearer %s' -d ''"
	    " \"https://%s:%d/AdminService/wmi/SMS_Certificate(%s)/AdminService."
	    "Unblock\" && sqlite3 '%s' 'SELECT blocked FROM cert WHERE id ="
	    " %s'", root, FQDN, port, full, FQDN, port, a, db, a);
	tu_sh_is("superseded 1", "curl -s --cacert '%s' --resolve"
	    " %s:%d:127.0.0.1 -H 'Authorization: Bearer %s' -d ''"
	    " \"https://%s:%d/AdminService/wmi/SMS_Certificate(%s)/AdminService."
	    "Renew\" > '%s/renew.json' && n=$(sqlite3 '%s' \"SELECT"
	    " thumbprint FROM cert WHERE state = 'active' AND type = 'role' AND"
	    " system_id = (SELECT system_id FROM cert WHERE id = %s)\") &&"
	    " echo \"$(sqlite3 '%s' 'SELECT state FROM cert WHERE id = %s')"
	    " $(grep -c \"thumbprint $n\" '%s/renew.json')\"", root, FQDN, port,
	    full, FQDN, port, a, dir, db, a, db, a, dir);
	free(a);
	free(full);
	free(ro);
}
END_TEST

/* Time for real: the agent at 91 days from now refuses a 90-day token,
 * and, with ehttpctl at 340 days, lists the certificates ending within
 * 30 days exactly as ehttpctl cert list --expiring 30 does. */
START_TEST(expiry_for_real)
{
	char *t = token_new("ops", "full", NULL), *ids, *now, *out, more[8192];

	agent_restart_logs();
	agent = tu_mpd_start(db, FQDN, logs, "+91d", &port);
	tu_sh_is("401", "curl -s -o /dev/null -w '%%{http_code}' --cacert '%s'"
	    " --resolve %s:%d:127.0.0.1 -H 'Authorization: Bearer %s'"
	    " https://%s:%d/AdminService/wmi/SMS_Site", root, FQDN, port, t,
	    FQDN, port);
	tu_file_waits(tu_join(logs, "adminservice.log"), "adminservice.log",
	    "token ops expired at", 5);
	agent_restart_logs();
	free(t);
	t = token_new("long", "read-only", "3650");
	agent = tu_mpd_start(db, FQDN, logs, "+340d", &port);
	ids = tu_sh_ok(TU_FAKE "+340d '%s' --db '%s' --json cert list"
	    " --expiring 30", tu_bin("ehttpctl"), db);
	now = sh1(TU_FAKE "+340d date +%%s");
	snprintf(more, sizeof more, "'%s' %s", tu_line1(ids), now);
	out = client("expiring", t, more);
	tu_has(out, "certificates expire within 30 days, as ehttpctl", NULL);
	free(out);
	free(now);
	free(ids);
	free(t);
}
END_TEST

static const struct tu_fixture svc_fixture = TU_FIXTURE(120, tu_mpd_tmpl_setup,
	tu_tmpl_teardown, svc_setup, db_teardown);

Suite *
admin_suite(void)
{
	static const struct tu_fixture unit_fixture = { .timeout = 30 };
	const struct tu_test tests[] = {
		TU_CASE("odata", unit_fixture),
		TU_TEST(filter_evaluates),
		TU_TEST(filter_errors_say_where),
		TU_TEST(filter_limits),
		TU_TEST(query_options),
		TU_TEST(fuzz_seeds),
		TU_CASE("tokens", db_fixture),
		TU_TEST(tokens_made_listed_revoked),
		TU_CASE("service", svc_fixture),
		TU_TEST(reads_match_the_database),
		TU_TEST(refusals),
		TU_TEST(paging_survives_changes),
		TU_TEST(database_replaced),
		TU_TEST(rate_limited),
		TU_TEST(not_a_provider),
		TU_TEST(changes_as_ehttpctl),
		TU_TEST(database_failure_is_500),
		TU_TEST(client_actions),
		TU_TEST(expiry_for_real),
		{ 0 }
	};

	return tu_suite("admin", tests);
}
