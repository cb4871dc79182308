/*
 * Bad input (issue #7), table-driven, through the real ehttpctl: each input
 * is refused with a message that names the problem (asserted), exit 1 (2
 * for a usage error: ehttpctl's documented contract) and the database left
 * as it was (`sqlite3 .dump` before and after, or the file's bytes when it
 * is not a database). Also: damaged, foreign, read-only and full databases;
 * missing, exposed and wrong master keys; hostile log files through the
 * CMTrace reader; the fuzzers' seeds and regressions (tests/fuzz/).
 *
 * The other suites already cover single refusals of the rule functions
 * (check_rules), common CLI refusals (check_cli), import-pki key mismatch
 * and EKU (check_issue) and the reader's own cases (check_cmlog); the rows
 * here are the hostile rest.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <check.h>

#include "ca.h"
#include "cmlog.h"
#include "db.h"
#include "testutil.h"

#define STR_(x)	#x
#define STR(x)	STR_(x)

/*
 * The fuzz targets' own checks, run on their seeds and regression inputs
 * (tests/fuzz/corpus-*, tests/fuzz/regress/) in the ordinary suite.
 */
#define LLVMFuzzerTestOneInput	fuzz_cmlog_one
#include "fuzz/fuzz-cmlog.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput	fuzz_pem_one
#include "fuzz/fuzz-pem.c"
#include "xmalloc.h"
#undef LLVMFuzzerTestOneInput

static char *tpl;		/* made once: demo/, keys/, pk/ */

/* ---- fixtures ----------------------------------------------------------- */

/* Everything in a database as text (tu_db_dump: sqlite3, psql). */
static char *demo_dump;		/* the demo template's, made once */

static char *
dump(const char *db)
{
	return tu_db_dump(db);
}

/* The test's database (tu_db) is still the demo template's, to the byte of its
 * dump; what names the case in the message. */
static void
db_is_demo(const char *what)
{
	char *now = dump(tu_db);

	ck_assert_msg(strcmp(demo_dump, now) == 0, "%s changed the database",
	    what);
	free(now);
}

/*
 * Templates, once per run: a demo database; the same with enhanced HTTP on
 * at P01 (EC keys, so it is quick), which holds 5 keys; PKI test files
 * made with GnuTLS certtool (it can set any validity period) and openssl,
 * issued by a test CA (a self-signed leaf is refused for its own reason).
 */
static void
make_pki(void)
{
	char *cmd;

	if (asprintf(&cmd, "set -e; cd '%s'; mkdir pk;"
	    " cd pk; certtool --generate-privkey --key-type=ecdsa"
	    "   --outfile k.pem 2>/dev/null;"
	    " certtool --generate-privkey --key-type=ecdsa --outfile ca.key"
	    "   2>/dev/null;"
	    " printf 'cn = \"Test PKI CA\"\\nca\\ncert_signing_key\\n"
	    "activation_date = \"2019-01-01 00:00:00\"\\n"
	    "expiration_date = \"2050-01-01 00:00:00\"\\n' > ca.tmpl;"
	    " certtool --generate-self-signed --load-privkey ca.key"
	    "   --template ca.tmpl --outfile pkica.pem 2>/dev/null;"
	    " mk() { printf 'cn = \"%%s\"\\ndns_name = \"%%s\"\\n"
	    "activation_date = \"%%s\"\\nexpiration_date = \"%%s\"\\n%%s\\n'"
	    "   dp1.p01.contoso.com dp1.p01.contoso.com \"$2\" \"$3\" \"$4\""
	    "   > $1.tmpl; certtool --generate-certificate --load-privkey k.pem"
	    "   --load-ca-certificate pkica.pem --load-ca-privkey ca.key"
	    "   --template $1.tmpl --outfile $1.pem 2>/dev/null; };"
	    " srv='tls_www_server\nsigning_key\nencryption_key';"
	    " mk valid '2025-01-01 00:00:00' '2035-01-01 00:00:00' \"$srv\";"
	    " mk expired '2020-01-01 00:00:00' '2021-01-01 00:00:00' \"$srv\";"
	    " mk future '2040-01-01 00:00:00' '2041-01-01 00:00:00' \"$srv\";"
	    " mk ca '2025-01-01 00:00:00' '2035-01-01 00:00:00'"
	    "   'ca\ncert_signing_key';"
	    " openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256"
	    "   -out other.key 2>/dev/null;"
	    " openssl pkey -in k.pem -aes256 -passout pass:secret -out enc.key;"
	    " openssl x509 -in valid.pem -outform DER -out valid.der;"
	    " head -c 300 valid.pem > trunc.pem; head -c 100 k.pem > trunc.key;"
	    " sed 's/^MII/MIX/' valid.pem > damaged.pem;"
	    " printf 'hello, I am not a certificate\\n' > garbage.pem;"
	    " : > empty.pem; mkdir dir.pem;"
	    " gzip -n -c valid.pem > binary.pem;"
	    " head -c 1100000 /dev/zero | tr '\\0' A > big.pem;"
	    " test -s valid.pem && test -s expired.pem && test -s future.pem"
	    "   && test -s ca.pem", tpl) == -1)
		abort();
	free(tu_sh_ok("%s", cmd));
	free(cmd);
}

/* The demo (every site's keys EC) at demo, then copied to keys (by the
 * shell command copy) and enhanced HTTP on at P01 there; denv and kenv:
 * the environment of ehttpctl on each (its master key). */
static void
make_demo_keys(const char *denv, const char *demo, const char *copy,
    const char *kenv, const char *keys)
{
	free(tu_sh_ok("set -e; cd '%s'; C='%s'; %s $C --db '%s' init --demo"
	    " >/dev/null; for s in CAS P01 P02 S01; do %s $C --db '%s' site set"
	    " $s --key-alg ec-p256 >/dev/null; done; %s; %s $C --db '%s' site"
	    " set P01 --enhanced-http on >/dev/null 2>&1", tpl,
	    tu_bin("ehttpctl"), denv, demo, denv, demo, copy, kenv, keys));
}

static void
make_templates(void)
{
	char demo[4096], keys[4096];

	tpl = tu_tmpdir();
	snprintf(demo, sizeof demo, "%s/demo/site.db", tpl);
	snprintf(keys, sizeof keys, "%s/keys/site.db", tpl);
	free(tu_sh_ok("mkdir '%s/demo' '%s/keys'", tpl, tpl));
	make_demo_keys("", demo, "cp demo/site.db demo/site.db.master-key"
	    " keys/", "", keys);
	make_pki();
	demo_dump = dump(demo);
}

/*
 * The same on PostgreSQL: the server of the case, the templates two
 * databases of it (demo_tpl, keys_tpl) with their master keys in
 * demo/master-key and keys/master-key; each test's database is made from
 * one (CREATE DATABASE ... TEMPLATE).
 */
static char	 pg_demo[1100], pg_keys[1100];

static void
make_pg_templates(void)
{
	char copy[2400];
	const char *slash;

	tu_pg_once();
	tpl = tu_tmpdir();
	if (tu_pg_srv == NULL)
		return;		/* said by tu_pg_once; each test fails */
	slash = strrchr(tu_pg_super, '/');
	snprintf(pg_demo, sizeof pg_demo, "%.*s/demo_tpl",
	    (int)(slash - tu_pg_super), tu_pg_super);
	snprintf(pg_keys, sizeof pg_keys, "%.*s/keys_tpl",
	    (int)(slash - tu_pg_super), tu_pg_super);
	free(tu_sh_ok("mkdir '%s/demo' '%s/keys' && psql -qAt '%s' -c 'CREATE"
	    " DATABASE demo_tpl'", tpl, tpl, tu_pg_super));
	snprintf(copy, sizeof copy, "psql -qAt '%s' -c 'CREATE DATABASE"
	    " keys_tpl TEMPLATE demo_tpl' && cp demo/master-key keys/",
	    tu_pg_super);
	make_demo_keys("EHTTP_MASTER_KEY=demo/master-key", pg_demo, copy,
	    "EHTTP_MASTER_KEY=keys/master-key", pg_keys);
	make_pki();
	demo_dump = dump(pg_demo);
}

static void
drop_templates(void)
{
	free(demo_dump);
	demo_dump = NULL;
	tu_tmpdir_free(tpl);
	tpl = NULL;
}

static void
copy_file(const char *from, const char *to)
{
	size_t len;
	char *data = tu_read_file(from, &len);

	ck_assert_msg(data != NULL, "%s", from);
	tu_write_file_mode(to, data, len, 0600);
	free(data);
}

/* A private copy of a template database (demo or keys) as tu_db, with its
 * master key. */
static void
use_template(const char *which)
{
	char from[4096], to[4200];

	if (tu_pg_srv != NULL) {
		/* PostgreSQL: a new database from the template */
		snprintf(to, sizeof to, "%s_tpl", which);
		tu_pg_newdb(tu_db, sizeof tu_db, to);
		snprintf(from, sizeof from, "%s/%s/master-key", tpl, which);
		copy_file(from, tu_db_key(tu_db));
		return;
	}
	snprintf(tu_db, sizeof tu_db, "%s/site.db", tu_dir);
	snprintf(from, sizeof from, "%s/%s/site.db", tpl, which);
	copy_file(from, tu_db);
	snprintf(from, sizeof from, "%s/%s/site.db.master-key", tpl, which);
	snprintf(to, sizeof to, "%s.master-key", tu_db);
	copy_file(from, to);
}

/* For a test that must not write: on PostgreSQL the template itself
 * (demo_tpl, keys_tpl), with a copy of its master key; a copy on SQLite. */
static void
use_shared(const char *which)
{
	char from[4096];

	if (tu_pg_srv == NULL) {
		use_template(which);
		return;
	}
	snprintf(tu_db, sizeof tu_db, "%s", strcmp(which, "keys") == 0 ?
	    pg_keys : pg_demo);
	snprintf(from, sizeof from, "%s/%s/master-key", tpl, which);
	copy_file(from, tu_db_key(tu_db));
}

static void
setup(void)
{
	tu_dir_setup();
	use_template("demo");
}

static const struct tu_fixture badinput_fixture = TU_FIXTURE(60,
	make_templates, drop_templates, setup, tu_dir_teardown);

static void
drop_pg_templates(void)
{
	drop_templates();
	tu_pg_once_done();
}

/*
 * The master key in the test directory ($EHTTP_MASTER_KEY: the file a
 * database file has beside it). The database is demo_tpl itself: a
 * refusal must leave it as it was (each test asserts it), and a test
 * that writes takes a copy first (use_template: CREATE DATABASE is a
 * third of a second, the price of most tests here).
 */
static void
pg_setup(void)
{
	tu_dir_setup();
	setenv("EHTTP_MASTER_KEY", tu_path("master-key"), 1);
	setenv("EHTTP_CONTENT", tu_path("content"), 1);
	ck_assert_msg(tu_pg_broken == NULL, "%s", tu_pg_broken);
	ck_assert_msg(tu_pg_srv != NULL, "no PostgreSQL server");
	use_shared("demo");
}

/* 120 s: pg_kill_mid_issuance issues for 500 systems up to six times. */
static const struct tu_fixture badinput_pg_fixture = TU_FIXTURE_PG(120,
	make_pg_templates, drop_pg_templates, pg_setup, tu_pg_teardown);

/* ---- helpers ------------------------------------------------------------ */

/* A file's bytes and mode, to show a non-database was not touched. */
struct snap {
	char	*bytes;
	size_t	 len;
	mode_t	 mode;
	int	 exists;
};

static void
snap_take(const char *path, struct snap *s)
{
	struct stat sb;

	memset(s, 0, sizeof *s);
	if (lstat(path, &sb) == -1)
		return;
	s->exists = 1;
	s->mode = sb.st_mode;
	if (S_ISREG(sb.st_mode))
		s->bytes = tu_read_file(path, &s->len);
}

static void
snap_same(const char *path, struct snap *s)
{
	struct snap now;

	snap_take(path, &now);
	ck_assert_msg(now.exists == s->exists, "%s: %s", path, s->exists ?
	    "removed" : "created");
	ck_assert_msg(now.mode == s->mode, "%s: mode %o, was %o", path,
	    (unsigned)now.mode, (unsigned)s->mode);
	ck_assert_msg(now.len == s->len && (s->len == 0 ||
	    memcmp(now.bytes, s->bytes, s->len) == 0), "%s changed", path);
	free(now.bytes);
	free(s->bytes);
}

static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/*
 * Expand a table argument: @DB the database, @DIR the test directory (a
 * prefix: @DIR/x.pem), @PK/x a file of the PKI templates, @10K 10 000 'a',
 * @FQDN300 a 303 character name of 60-character labels, @LABEL64 a
 * 64-character label.
 */
static char *
expand(const char *a)
{
	char *s = NULL, *l;

	if (strcmp(a, "@DB") == 0)
		s = xstrdup(tu_db);
	else if (strncmp(a, "@DIR", 4) == 0)
		xasprintf(&s, "%s%s", tu_dir, a + 4);
	else if (strncmp(a, "@PK/", 4) == 0)
		xasprintf(&s, "%s/pk/%s", tpl, a + 4);
	else if (strcmp(a, "@10K") == 0)
		s = repeat('a', 10000);
	else if (strcmp(a, "@FQDN300") == 0) {
		l = repeat('a', 59);
		xasprintf(&s, "%s.%s.%s.%s.%s.com", l, l, l, l, l);
		free(l);
	} else if (strcmp(a, "@LABEL64") == 0) {
		l = repeat('a', 64);
		xasprintf(&s, "%s.contoso.com", l);
		free(l);
	} else
		s = xstrdup(a);
	return s;
}

/* ehttpctl [--db DB] ARGS (NULL-terminated, expanded); exit status. */
static int
ctl_v(int with_db, const char *const *args, char **out, char **err)
{
	char *argv[40];
	int argc = 0, rc;

	argv[argc++] = strdup(tu_bin("ehttpctl"));
	if (with_db) {
		argv[argc++] = strdup("--db");
		argv[argc++] = strdup(tu_db);
	}
	for (int i = 0; args[i] != NULL && argc < 39; i++)
		argv[argc++] = expand(args[i]);
	argv[argc] = NULL;
	rc = tu_run(argv, out, err);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return rc;
}

/* Run, expect rc and msg on stderr and nothing on stdout for a failure. */
static void
expect(int with_db, const char *const *args, int want, const char *msg,
    const char *what)
{
	char *out = NULL, *err = NULL;
	int rc = ctl_v(with_db, args, &out, &err);

	ck_assert_msg(rc == want, "%s: exit %d, want %d; stderr: %.300s", what,
	    rc, want, err);
	if (msg != NULL)
		ck_assert_msg(strstr(err, msg) != NULL, "%s: want '%s' in:"
		    " %.600s", what, msg, err);
	if (want != 0 && want != 2)
		ck_assert_msg(out[0] == '\0', "%s: stdout: %.200s", what, out);
	free(out);
	free(err);
}

/* ---- arguments ---------------------------------------------------------- */

#define SITE_ADD(code)	"site", "add", code, "--name", "Test", "--type", \
			"primary", "--parent", "CAS"
#define NAME_ADD(name)	"site", "add", "P09", "--name", name, "--type", "primary"
#define SYS_ADD(fqdn)	"system", "add", fqdn, "--site", "P01"

/* msg: a substring of stderr; a leading '~' marks a usage error (exit 2)
 * on a 10 kB value, whose message must still quote it cut short. */
static const struct {
	const char	*args[16];
	int		 rc;
	const char	*msg;
} arg_cases[] = {
	/* Site codes. */
	{ { SITE_ADD("") }, 1, "site code: missing" },
	{ { SITE_ADD("P0\xc3\xa9") }, 1,
	  "site code 'P0\\xc3\\xa9': must be exactly 3 characters" },
	{ { SITE_ADD("P01x") }, 1, "site code 'P01x': must be exactly 3" },
	{ { SITE_ADD("P-1") }, 1, "character 2 is not a letter A-Z or a digit" },
	{ { SITE_ADD("nul") }, 1, "site code 'NUL': reserved name" },
	{ { SITE_ADD("P\n1") }, 1, "site code 'P\\x0a1': character 2" },
	{ { SITE_ADD("@10K") }, 1, "must be exactly 3 characters" },
	{ { SITE_ADD("p01") }, 1, "site code 'P01': already used" },
	/* Site names, types, parents. */
	{ { NAME_ADD("") }, 1, "site name: missing" },
	{ { NAME_ADD("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklm") },
	  1, "longer than 64 characters" },
	{ { NAME_ADD("\xc3\x9cn\xc3\xaf") }, 1,
	  "site name '\\xc3\\x9cn\\xc3\\xaf': character 1 is not a letter" },
	{ { NAME_ADD("a\nb") }, 1, "site name 'a\\x0ab': character 2" },
	{ { NAME_ADD("x;DROP TABLE site") }, 1, "character 2 is not a letter" },
	{ { NAME_ADD("@10K") }, 1, "longer than 64 characters" },
	{ { "site", "add", "P09", "--name", "X", "--type", "" }, 1,
	  "site type '': must be cas, primary or secondary" },
	{ { "site", "add", "P09", "--name", "X", "--type", "primary",
	    "--parent", "S01" }, 1, "can only be attached to a central" },
	{ { "site", "add", "S09", "--name", "X", "--type", "secondary",
	    "--parent", "S01" }, 1, "must be attached to a primary site" },
	/* FQDNs. */
	{ { SYS_ADD("") }, 1, "FQDN: missing" },
	{ { SYS_ADD("@FQDN300") }, 1, "longer than 253 characters" },
	{ { SYS_ADD("@10K") }, 1, "longer than 253 characters" },
	{ { SYS_ADD("@LABEL64") }, 1, "a label is longer than 63 characters" },
	{ { SYS_ADD("h\xc3\xb6st.contoso.com") }, 1,
	  "FQDN 'h\\xc3\\xb6st.contoso.com': character 2 is not" },
	{ { SYS_ADD("host.contoso.com;rm -rf x") }, 1, "character 17 is not" },
	{ { SYS_ADD("host.contoso.com ") }, 1, "character 17 is not" },
	{ { SYS_ADD("host.contoso.com\n") }, 1,
	  "FQDN 'host.contoso.com\\x0a': character 17" },
	{ { SYS_ADD("host.contoso.com:443") }, 1, "character 17 is not" },
	{ { SYS_ADD("host..contoso.com") }, 1, "empty label at position 6" },
	{ { SYS_ADD(".contoso.com") }, 1, "empty label at position 1" },
	{ { SYS_ADD("host-.contoso.com") }, 1, "starts or ends with '-'" },
	{ { "system", "add", "--site", "P01", "--", "-host.contoso.com" }, 1,
	  "starts or ends with '-'" },
	{ { SYS_ADD("*.contoso.com") }, 1, "character 1 is not" },
	{ { SYS_ADD("192.168.1.10") }, 1, "the top-level label is numeric" },
	{ { SYS_ADD("P01.CONTOSO.COM") }, 1,
	  "FQDN 'p01.contoso.com': already a site system of site P01" },
	/* Role combinations. */
	{ { "role", "add", "rsp.p01.contoso.com", "MP" }, 1,
	  "role 'MP': must be one of mp, dp" },
	{ { "role", "add", "rsp.p01.contoso.com", "" }, 1, "role '': must be" },
	{ { "role", "add", "rsp.p01.contoso.com", "@10K" }, 1, "must be one of" },
	{ { "role", "add", "rsp.p01.contoso.com", "rsp" }, 1,
	  "already hosts the reporting services point" },
	{ { "role", "add", "rsp.p01.contoso.com", "dp", "--allow-anonymous",
	    "maybe" }, 2, "allow-anonymous 'maybe': must be on or off (yes or no)" },
	{ { "role", "add", "rsp.p01.contoso.com", "smp", "--connection",
	    "http" }, 1, "state migration point role has no client connection" },
	{ { "role", "add", "sup.p01.contoso.com", "dp", "--connection", "" }, 2,
	  "connection '': must be http or https" },
	{ { "role", "add", "cas.contoso.com", "dp", "--connection", "https" }, 1,
	  "hosts no distribution point" },
	{ { "role", "set", "rsp.p01.contoso.com", "dp", "--connection",
	    "https" }, 1, "does not host the distribution point" },
	{ { "role", "set", "p01.contoso.com", "provider", "--connection",
	    "https" }, 1, "SMS Provider role has no client connection" },
	{ { "role", "set", "p01.contoso.com", "mp", "--allow-anonymous",
	    "yes" }, 1, "only a distribution point has this setting" },
	{ { "role", "add", "nope.contoso.com", "mp" }, 1, "no such site system" },
	{ { "role", "add", "@FQDN300", "mp" }, 1, "longer than 253" },
	/* Site settings. */
	{ { "site", "set", "P01", "--enhanced-http", "" }, 2,
	  "enhanced-http '': must be on or off (yes or no)" },
	{ { "site", "set", "P01", "--key-alg", "rsa1024" }, 2,
	  "key algorithm 'rsa1024'" },
	{ { "site", "set", "P01", "--threads", "999" }, 2, "threads '999'" },
	{ { "site", "set", "P01", "--threads", "-1" }, 2, "threads '-1'" },
	{ { "site", "set", "P01", "--client-comm", "HTTPS-ONLY" }, 2,
	  "client-comm 'HTTPS-ONLY'" },
	/* Absurd command lines. */
	{ { "@10K" }, 2, "~unknown command 'aaaa" },
	{ { "site\nlist" }, 2, "unknown command 'site\\x0alist'" },
	{ { "status", "--limit", "99999999999999999999" }, 2, "limit '9999" },
	{ { "status", "--limit", "-1" }, 2, "limit '-1': must be a number" },
	{ { "status", "--limit", "@10K" }, 2, "~limit 'aaaa" },
	{ { "status", "--limit", "" }, 2, "limit '': must be a number" },
	{ { "status", "--limit", "+5" }, 2, "limit '+5': must be a number" },
	{ { "status", "--limit", "2147483648" }, 2,
	  "must be a number from 0 to 2147483647 (0: all)" },
	{ { "cert", "show", "1; DROP TABLE cert" }, 1,
	  "not an ID or a 40-digit thumbprint" },
	{ { "cert", "show", "99999999999999999999" }, 1, "not an ID" },
	{ { "cert", "export", "1", "--format", "pdf" }, 2, "format 'pdf'" },
	{ { "cert", "export", "1", "--with-key" }, 2,
	  "--with-key needs --out FILE" },
	{ { "cert", "list", "--sort", "color" }, 2, "sort 'color'" },
	{ { "cert", "list", "--expiring", "-5" }, 2, "expiring '-5'" },
	{ { "--json" }, 2, "usage: ehttpctl" },
	/* The option refused is named, also inside a cluster. */
	{ { "cert", "list", "-xyz" }, 2, "unknown or incomplete option '-x'" },
	{ { "cert", "list", "--json", "-jx" }, 2,
	  "unknown or incomplete option '-j'" },
	{ { "cert", "list", "--bogus" }, 2,
	  "unknown or incomplete option '--bogus'" },
	{ { "cert", "export", "1", "--out" }, 2,
	  "unknown or incomplete option '--out'" },
	{ { "-q" }, 2, "unknown or incomplete option '-q'" },
};

START_TEST(bad_arguments)
{
	char *out = NULL, *err = NULL, what[64];
	const char *msg = arg_cases[_i].msg;
	int rc, long_echo = msg[0] == '~';

	snprintf(what, sizeof what, "arg row %d", _i);
	msg += long_echo;
	rc = ctl_v(1, arg_cases[_i].args, &out, &err);
	ck_assert_msg(rc == arg_cases[_i].rc, "%s: exit %d, want %d: %.300s",
	    what, rc, arg_cases[_i].rc, err);
	ck_assert_msg(strstr(err, msg) != NULL, "%s: want '%s' in: %.600s",
	    what, msg, err);
	if (rc == 1) {
		/* One line on stderr, nothing on stdout. */
		ck_assert_msg(out[0] == '\0', "%s: stdout: %.200s", what, out);
		ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1,
		    "%s: not one line: %s", what, err);
	}
	/* Bad values are quoted cut short, not all 10 kB of them ('~' rows:
	 * usage errors too). */
	if (rc == 1 || long_echo)
		ck_assert_msg(strlen(err) < 1024, "%s: %zu bytes of message",
		    what, strlen(err));
	free(out);
	free(err);
	db_is_demo(what);
}
END_TEST

/* --db values that are not a database: nothing is created. */
static const struct {
	const char	*db;		/* @DIR: the test directory */
	const char	*args[8];
	const char	*msg;
} db_arg_cases[] = {
	{ "", { "site", "list" }, "no database path given" },
	{ "", { "site", "set", "P01", "--enhanced-http", "on" },
	  "no database path given" },
	{ "/nonexistent/ehttp-dir/x.db", { "site", "list" },
	  "/nonexistent/ehttp-dir/x.db: no such database (run `ehttpctl init`" },
	{ "/nonexistent/ehttp-dir/x.db", { "status" }, "no such database" },
	{ "@DIR", { "site", "list" }, "not an ehttp database (not a regular" },
	{ "@DIR", { "init" }, "not a regular file" },
	{ "/dev/null", { "site", "list" }, "/dev/null: not an ehttp database" },
};

START_TEST(bad_db_argument)
{
	const char *args[8] = { "--db", db_arg_cases[_i].db };

	if (strcmp(args[1], "@DIR") == 0)
		args[1] = tu_dir;
	char what[64];

	for (int k = 0; k < 5 && db_arg_cases[_i].args[k] != NULL; k++)
		args[2 + k] = db_arg_cases[_i].args[k];
	snprintf(what, sizeof what, "db arg row %d", _i);
	expect(0, args, 1, db_arg_cases[_i].msg, what);
	ck_assert_int_eq(access("/nonexistent", F_OK), -1);
	ck_assert_int_eq(access(EHTTP_SRCDIR "/site.db", F_OK), -1);
}
END_TEST

/* ---- import-pki --------------------------------------------------------- */

static const struct {
	const char	*fqdn;
	const char	*cert;
	const char	*key;
	const char	*msg;
} pki_cases[] = {
	{ "dp1.p01.contoso.com", "trunc.pem", "k.pem",
	  "certificate: malformed or truncated PEM certificate" },
	{ "dp1.p01.contoso.com", "damaged.pem", "k.pem",
	  "certificate: malformed or truncated PEM certificate" },
	{ "dp1.p01.contoso.com", "garbage.pem", "k.pem",
	  "certificate: no PEM certificate found" },
	{ "dp1.p01.contoso.com", "binary.pem", "k.pem",
	  "certificate: no PEM certificate found" },
	{ "dp1.p01.contoso.com", "valid.der", "k.pem",
	  "certificate: no PEM certificate found" },
	{ "dp1.p01.contoso.com", "k.pem", "valid.pem",
	  "certificate: no PEM certificate found" },
	{ "dp1.p01.contoso.com", "empty.pem", "k.pem", "certificate: empty" },
	{ "dp1.p01.contoso.com", "expired.pem", "k.pem",
	  "the certificate expired on 2021-01-01 00:00:00 UTC" },
	{ "dp1.p01.contoso.com", "future.pem", "k.pem",
	  "is not valid before 2040-01-01 00:00:00 UTC" },
	{ "dp1.p01.contoso.com", "ca.pem", "k.pem", "is a CA certificate" },
	{ "dp2.p01.contoso.com", "valid.pem", "k.pem",
	  "the certificate is not for dp2.p01.contoso.com" },
	{ "dp1.p01.contoso.com", "valid.pem", "other.key",
	  "the private key does not match the certificate" },
	{ "dp1.p01.contoso.com", "valid.pem", "trunc.key",
	  "key: no private key found" },
	{ "dp1.p01.contoso.com", "valid.pem", "binary.pem",
	  "key: no private key found" },
	{ "dp1.p01.contoso.com", "valid.pem", "empty.pem",
	  "key: no private key given" },
	{ "dp1.p01.contoso.com", "valid.pem", "enc.key",
	  "encrypted with a passphrase; import it unencrypted" },
	{ "dp1.p01.contoso.com", "dir.pem", "k.pem",
	  "/dir.pem: not a regular file" },
	{ "dp1.p01.contoso.com", "valid.pem", "dir.pem",
	  "key /" },
	{ "dp1.p01.contoso.com", "big.pem", "k.pem", "of at most 1 MiB" },
	{ "dp1.p01.contoso.com", "none.pem", "k.pem",
	  "/none.pem: No such file or directory" },
	{ "dp1.p01.contoso.com", "/dev/zero", "k.pem",
	  "/dev/zero: not a regular file" },
	{ "nope.contoso.com", "valid.pem", "k.pem", "no such site system" },
	{ "", "valid.pem", "k.pem", "FQDN: missing" },
};

START_TEST(bad_import_pki)
{
	char cert[4096], key[4096], what[64];
	const char *args[] = { "cert", "import-pki", pki_cases[_i].fqdn, cert,
	    key, NULL };

	if (pki_cases[_i].cert[0] == '/')
		snprintf(cert, sizeof cert, "%s", pki_cases[_i].cert);
	else
		snprintf(cert, sizeof cert, "%s/pk/%s", tpl, pki_cases[_i].cert);
	snprintf(key, sizeof key, "%s/pk/%s", tpl, pki_cases[_i].key);
	snprintf(what, sizeof what, "import-pki row %d", _i);
	expect(1, args, 1, pki_cases[_i].msg, what);
	db_is_demo(what);
}
END_TEST

/* The same files, good: the refusals above are for the reason named. */
START_TEST(good_import_pki)
{
	char cert[4096], key[4096];
	const char *args[] = { "cert", "import-pki", "dp1.p01.contoso.com", cert,
	    key, NULL };

	use_template("demo");	/* it writes: its own copy */
	snprintf(cert, sizeof cert, "%s/pk/valid.pem", tpl);
	snprintf(key, sizeof key, "%s/pk/k.pem", tpl);
	expect(1, args, 0, NULL, "good import");
}
END_TEST

/* ---- database files ----------------------------------------------------- */

/*
 * Each damaged file, tried with a reading, a writing and a key-using
 * command; the file is compared byte for byte (not every one is a
 * database sqlite3 can dump).
 */
static const struct {
	const char	*what;
	const char	*prepare;	/* sh; $D is the database */
	const char	*msg;
} dbfile_cases[] = {
	{ "corrupt: header page kept, every other page overwritten",
	  "head -c $(( $(stat -c %s \"$D\") - 4096 )) /dev/zero | tr '\\0'"
	  " '\\245' | dd of=\"$D\" bs=4096 seek=1 conv=notrunc 2>/dev/null",
	  "database disk image is malformed" },
	{ "not SQLite", "printf 'name,code\\nEast,P01\\n' > \"$D\"",
	  "not an ehttp database (not an SQLite file)" },
	{ "0 bytes", ": > \"$D\"", "empty file, not an ehttp database" },
	{ "the first 100 bytes only", "head -c 100 \"$D\" > \"$D.x\" &&"
	  " mv \"$D.x\" \"$D\"",
	  "not a usable database: database disk image is malformed" },
	{ "another program's database", "rm \"$D\" && sqlite3 \"$D\""
	  " 'CREATE TABLE contacts (name TEXT); INSERT INTO contacts"
	  " VALUES (1)'", "an SQLite database of another program" },
	{ "a newer schema version", "sqlite3 \"$D\" 'PRAGMA user_version ="
	  " 999'", "schema version 999 is newer than this program understands"
	  " (" STR(DB_SCHEMA_VERSION) ")" },
};

static const char *const dbfile_cmds[][8] = {
	{ "site", "list" },
	{ "site", "add", "P09", "--name", "Nine", "--type", "primary" },
	{ "site", "set", "P01", "--enhanced-http", "on" },
	{ "cert", "list", "--json" },
};
#define N_DBFILE_CMDS	(sizeof dbfile_cmds / sizeof *dbfile_cmds)

START_TEST(bad_database_file)
{
	int c = _i % N_DBFILE_CMDS, k = _i / N_DBFILE_CMDS;
	char *cmd, what[128];
	struct snap s;

	if (asprintf(&cmd, "D='%s'; %s", tu_db, dbfile_cases[k].prepare) == -1)
		abort();
	free(tu_sh_ok("%s", cmd));
	free(cmd);
	snap_take(tu_db, &s);
	snprintf(what, sizeof what, "%s, %s %s", dbfile_cases[k].what,
	    dbfile_cmds[c][0], dbfile_cmds[c][1]);
	expect(1, dbfile_cmds[c], 1, dbfile_cases[k].msg, what);
	snap_same(tu_db, &s);
}
END_TEST

/*
 * A database error while a name is resolved is said as one, never as "no
 * such site": the page of the index that finds a site by code (or a site
 * system by FQDN) is overwritten, found with the sqlite3 CLI. Every
 * command that takes a site code or an FQDN is tried.
 */
static const struct {
	const char	*index;
	const char	*args[8];
} resolve_cases[] = {
	{ "sqlite_autoindex_site_1", { "site", "show", "P01" } },
	{ "sqlite_autoindex_site_1", { "site", "set", "P01", "--crl-check",
	  "off" } },
	{ "sqlite_autoindex_site_1", { "system", "list", "--site", "P01" } },
	{ "sqlite_autoindex_site_1", { "role", "list", "--site", "P01" } },
	{ "sqlite_autoindex_site_1", { "status", "--site", "P01" } },
	{ "sqlite_autoindex_site_1", { "cert", "list", "--site", "P01" } },
	{ "sqlite_autoindex_site_1", { "site", "trusted-root", "list",
	  "P01" } },
	{ "sqlite_autoindex_site_1", { "system", "add", "new.contoso.com",
	  "--site", "P01" } },
	{ "sqlite_autoindex_site_system_1", { "system", "show",
	  "p01.contoso.com" } },
	{ "sqlite_autoindex_site_system_1", { "role", "list",
	  "p01.contoso.com" } },
	{ "sqlite_autoindex_site_system_1", { "role", "add",
	  "p01.contoso.com", "sup" } },
	{ "sqlite_autoindex_site_system_1", { "role", "remove",
	  "p01.contoso.com", "mp" } },
	{ "sqlite_autoindex_site_system_1", { "system", "remove",
	  "p01.contoso.com" } },
	{ "sqlite_autoindex_site_system_1", { "cert", "list", "--system",
	  "p01.contoso.com" } },
};

START_TEST(resolve_database_error)
{
	char *cmd, *out = NULL, *err = NULL;
	int rc;

	if (asprintf(&cmd, "D='%s'; P=$(sqlite3 \"$D\" \"PRAGMA"
	    " wal_checkpoint(TRUNCATE); SELECT rootpage FROM sqlite_master"
	    " WHERE name = '%s'\" | tail -1) && test \"$P\" -gt 1 &&"
	    " printf '\\015\\377\\377\\377\\377\\377\\377\\377' | dd"
	    " of=\"$D\" bs=1 seek=$(( (P - 1) * 4096 )) conv=notrunc"
	    " 2>/dev/null", tu_db, resolve_cases[_i].index) == -1)
		abort();
	free(tu_sh_ok("%s", cmd));
	free(cmd);
	rc = ctl_v(1, resolve_cases[_i].args, &out, &err);
	ck_assert_msg(rc == 1, "%s %s: exit %d; stderr: %.300s",
	    resolve_cases[_i].args[0], resolve_cases[_i].args[1], rc, err);
	ck_assert_msg(strstr(err, "database disk image is malformed") != NULL,
	    "%s %s: %.300s", resolve_cases[_i].args[0],
	    resolve_cases[_i].args[1], err);
	ck_assert_msg(strstr(err, "no such") == NULL, "%s %s: %.300s",
	    resolve_cases[_i].args[0], resolve_cases[_i].args[1], err);
	free(out);
	free(err);
}
END_TEST

static char *
read_in(const char *name)
{
	char path[4096], *s;

	snprintf(path, sizeof path, "%s/%s", tu_dir, name);
	s = tu_read_file(path, NULL);
	ck_assert_msg(s != NULL, "%s missing", path);
	return s;
}

/* The file name in the test directory (a script's output) asserted to be
 * want, or to contain want (in_has); what says what it holds. */
static void
in_is(const char *name, const char *want, const char *what)
{
	char *s = read_in(name);

	ck_assert_msg(strcmp(s, want) == 0, "%s (%s): '%s', want '%s'", name,
	    what, s, want);
	free(s);
}

static void
in_has(const char *name, const char *want, const char *what)
{
	char *s = read_in(name);

	ck_assert_msg(strstr(s, want) != NULL, "%s (%s): want '%s' in: %s",
	    name, what, want, s);
	free(s);
}

/* The name prefix followed by the number k ("e64"); a static buffer. */
static const char *
nth(const char *prefix, int k)
{
	static char buf[32];

	snprintf(buf, sizeof buf, "%s%d", prefix, k);
	return buf;
}

/*
 * A read-only database: on read-only media (a read-only bind mount in a
 * private mount namespace) reads work and writes are refused; as a user
 * who cannot write its directory (root runs it as nobody: root's writes
 * are not stopped by permissions), both are refused by name.
 */
START_TEST(read_only_media)
{
	char *before = dump(tu_db), *after;

	if (!tu_can_mount()) {
		fprintf(stderr, "badinput: read_only_media: cannot mount here"
		    " (not root or no mount namespaces); see read_only_dir\n");
		free(before);
		return;
	}
	ck_assert_int_eq(tu_sh(NULL, NULL, "set -e; cd '%s'; mkdir ro;"
	    " cp site.db site.db.master-key ro/; C='%s'; D='%s/ro';"
	    " unshare -m sh -c \"mount --bind $D $D && mount -o remount,ro,bind"
	    " $D && { $C --db $D/site.db site list > o1 2> e1; echo \\$? > r1;"
	    " $C --db $D/site.db site add P09 --name Nine --type primary"
	    " > o2 2> e2; echo \\$? > r2; $C --db $D/site.db site set P01"
	    " --enhanced-http on > o3 2> e3; echo \\$? > r3; ls $D > files; }\"",
	    tu_dir, tu_bin("ehttpctl"), tu_dir), 0);
	in_is("r1", "0\n", "site list's exit");
	in_has("o1", "P01", "site list");
	for (int k = 2; k <= 3; k++) {
		in_is(nth("r", k), "1\n", "a write's exit");
		in_has(nth("e", k), "/ro/site.db: cannot write the database:"
		    " the file system is read-only", "a write's error");
	}
	in_is("files", "site.db\nsite.db.master-key\n", "the files left");
	snprintf(tu_db, sizeof tu_db, "%s/ro/site.db", tu_dir);
	after = dump(tu_db);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}
END_TEST

START_TEST(read_only_dir)
{
	char *before = dump(tu_db), *after, *s, *run;
	int root = getuid() == 0;

	if (root && tu_sh(NULL, NULL, "command -v setpriv >/dev/null") != 0) {
		fprintf(stderr, "badinput: read_only_dir: no setpriv\n");
		free(before);
		return;
	}
	/* The test directory is 0700: let nobody through to nr/. */
	ck_assert_int_eq(chmod(tu_dir, 0711), 0);
	ck_assert_int_eq(tu_sh(NULL, NULL, "set -e; cd '%s'; mkdir nr;"
	    " cp site.db site.db.master-key nr/; %s chmod 0555 nr", tu_dir,
	    root ? "chown 65534:65534 nr/site.db nr/site.db.master-key;" : ""),
	    0);
	snprintf(tu_db, sizeof tu_db, "%s/nr/site.db", tu_dir);
	xasprintf(&run, "%s'%s' --db '%s'", root ? "setpriv --reuid=65534"
	    " --regid=65534 --clear-groups " : "", tu_bin("ehttpctl"), tu_db);
	ck_assert_int_eq(tu_sh(NULL, &s, "%s site add P09 --name Nine --type"
	    " primary", run), 1);
	ck_assert_msg(strstr(s, "cannot write the database: its directory") &&
	    strstr(s, "is not writable"), "%s", s);
	free(s);
	ck_assert_int_eq(tu_sh(NULL, &s, "%s site list", run), 1);
	ck_assert_msg(strstr(s, "cannot open the database: its directory") &&
	    strstr(s, "-wal and -shm"), "%s", s);
	free(s);
	ck_assert_int_eq(tu_sh(NULL, NULL, "test \"$(ls '%s/nr')\" = \"$(printf"
	    " 'site.db\\nsite.db.master-key')\"", tu_dir), 0);
	after = dump(tu_db);
	ck_assert_str_eq(before, after);
	free(run);
	free(before);
	free(after);
	chmod(tu_dir, 0700);
	tu_sh(NULL, NULL, "chmod 0700 '%s/nr'", tu_dir);
}
END_TEST

/*
 * A full disk while enhanced HTTP issues five certificates: a tmpfs of
 * 512 KiB with only `free` KiB left (private mount namespace), else a file
 * size limit (RLIMIT_FSIZE, SIGXFSZ ignored: sqlite gets EFBIG). Refused
 * with a message, the database intact and unchanged. (When the very last
 * commit fails, the pending rows of the issuance stay until the next
 * writer opens the database and drops them: backend/issue.c's
 * issue_finish() keeps them when its jobs were used.)
 */
static const int full_free_kib[] = { 0, 8, 24, 48, 64 };

START_TEST(full_disk)
{
	char *before = dump(tu_db), *after, *s, *err, *raw, *line, *next;
	int rc, mounted = tu_can_mount();
	FILE *f;
	size_t len = 0;
	char *visible = NULL;

	/* $F/site.db is tried, checked, dumped as left (raw.sql), then
	 * opened by the next writer (`init` changes nothing) and dumped. */
	if (mounted) {
		ck_assert_int_eq(tu_sh(NULL, &err, "set -e; cd '%s'; mkdir full;"
		    " C='%s'; F='%s/full'; unshare -m sh -c \"mount -t tmpfs -o"
		    " size=512k tmpfs $F && cp site.db site.db.master-key $F/ &&"
		    " { dd if=/dev/zero of=$F/fill bs=4k 2>/dev/null || true; } &&"
		    " truncate -s -%dk $F/fill && { $C --db $F/site.db site set"
		    " P01 --enhanced-http on > o 2> e; echo \\$? > r; rm $F/fill;"
		    " sqlite3 $F/site.db 'PRAGMA integrity_check' > ic;"
		    " sqlite3 $F/site.db .dump > raw.sql;"
		    " $C --db $F/site.db init > /dev/null;"
		    " sqlite3 $F/site.db .dump > after.sql; }\"", tu_dir,
		    tu_bin("ehttpctl"), tu_dir, full_free_kib[_i]), 0);
	} else
		ck_assert_int_eq(tu_sh(NULL, &err, "set -e; cd '%s'; C='%s';"
		    " if sh -c \"trap '' XFSZ; ulimit -f %d; exec $C --db site.db"
		    " site set P01 --enhanced-http on\" > o 2> e; then echo 0 > r;"
		    " else echo $? > r; fi;"
		    " sqlite3 site.db 'PRAGMA integrity_check' > ic;"
		    " sqlite3 site.db .dump > raw.sql;"
		    " $C --db site.db init > /dev/null;"
		    " sqlite3 site.db .dump > after.sql", tu_dir, tu_bin("ehttpctl"),
		    2 * (8 + full_free_kib[_i])), 0);
	free(err);
	s = read_in("r");
	rc = atoi(s);
	free(s);
	err = read_in("e");
	ck_assert_msg(rc == 1, "%d KiB free (%s): exit %d: %s",
	    full_free_kib[_i], mounted ? "tmpfs" : "ulimit -f", rc, err);
	/* ENOSPC reads "database or disk is full" or "No space left on
	 * device"; EFBIG "File too large", or only "disk I/O error" when
	 * sqlite's rollback has reset the errno it keeps. */
	ck_assert_msg(strstr(err, "database or disk is full") != NULL ||
	    strstr(err, "No space left on device") != NULL ||
	    (!mounted && strstr(err, "disk I/O error") != NULL), "%s", err);
	free(err);
	in_is("ic", "ok\n", "PRAGMA integrity_check");
	/*
	 * As left: at most the pending rows of the dead issuance (written
	 * before signing, hidden from every list), nothing visible...
	 */
	raw = read_in("raw.sql");
	if ((f = open_memstream(&visible, &len)) == NULL)
		abort();
	for (line = raw; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		next = next != NULL ? next + 1 : line + strlen(line);
		/* (and the tally's count of them) */
		if ((strstr(line, "INSERT INTO cert VALUES(") == line ||
		    strstr(line, "INSERT INTO cert_tally VALUES(") == line) &&
		    strstr(line, ",'pending',") != NULL)
			continue;
		fwrite(line, 1, (size_t)(next - line), f);
	}
	fclose(f);
	ck_assert_msg(strcmp(before, visible) == 0, "%d KiB free: the database"
	    " changed", full_free_kib[_i]);
	/* ...and once the next writer opens it, not a byte of difference. */
	after = read_in("after.sql");
	ck_assert_msg(strcmp(before, after) == 0, "%d KiB free: the pending"
	    " rows stayed", full_free_kib[_i]);
	free(visible);
	free(raw);
	free(before);
	free(after);
}
END_TEST

/*
 * The PostgreSQL server's disk full while enhanced HTTP issues: the
 * database in a tablespace on a small tmpfs (a server of its own, started
 * in a private mount namespace, its WAL elsewhere), filled up to 0, then
 * 64 KiB free. The issuance is refused naming the cause ("could not extend
 * file ...: No space left on device", the server's words); nothing of it
 * is visible (P01 off, no certificate but the pending rows of the dead
 * issuance, no key), and the next writer drops those. Space freed, the
 * same command issues all six.
 */
static const char pg_full_sh[] =
	"set -e; T=$1; C=$2; P=$3; cd \"$T\"\n"
	"mount -t tmpfs -o size=24m tmpfs full\n"
	"mkdir full/ts\n"
	"[ \"$(id -u)\" != 0 ] || chown \"${PGSERVER_USER:-nobody}\" full/ts\n"
	"S=$(sh \"$P\" start \"$T/srv\")\n"
	"trap 'sh \"$P\" stop \"$T/srv\" >/dev/null 2>&1 || :' EXIT\n"
	"q() { psql -qAt -v ON_ERROR_STOP=1 \"$1\" -c \"$2\"; }\n"
	"q \"$S\" \"CREATE TABLESPACE small LOCATION '$T/full/ts'\"\n"
	"q \"$S\" 'CREATE DATABASE d TABLESPACE small'\n"
	"U=${S%/postgres}/d\n"
	"export EHTTP_MASTER_KEY=\"$T/master-key\"\n"
	"$C --db \"$U\" init --demo >/dev/null\n"
	"for s in CAS P01 P02 S01; do\n"
	"	$C --db \"$U\" site set $s --key-alg ec-p256 >/dev/null\n"
	"done\n"
	"state() { q \"$U\" \"SELECT (SELECT enhanced_http FROM site_security x"
	" JOIN site s ON s.id = x.site_id WHERE code = 'P01') || ' ' ||"
	" (SELECT count(*) FROM cert WHERE state <> 'pending') || ' ' ||"
	" (SELECT count(*) FROM cert_key)\"; }\n"
	"state > before\n"
	"for k in 0 64; do\n"
	"	dd if=/dev/zero of=full/fill bs=64k 2>/dev/null || :\n"
	"	truncate -s -${k}k full/fill\n"
	"	r=0; $C --db \"$U\" site set P01 --enhanced-http on > o$k"
	" 2> e$k || r=$?\n"
	"	echo $r > r$k; state > s$k; rm full/fill\n"
	"	[ $r = 0 ] && break\n"
	"	$C --db \"$U\" init > /dev/null\n"
	"	q \"$U\" \"SELECT count(*) FROM cert WHERE state ="
	" 'pending'\" > p$k\n"
	"done\n"
	"r=0; $C --db \"$U\" site set P01 --enhanced-http on > o 2> e || r=$?\n"
	"echo $r > r; state > after\n";

START_TEST(pg_full_disk)
{
	char *s, *e;
	int failed = 0;

	TU_NEED_MOUNT();
	tu_write_file_mode(tu_path("full.sh"), pg_full_sh,
	    sizeof pg_full_sh - 1, 0600);
	ck_assert_int_eq(chmod(tu_dir, 0711), 0);	/* the server's user */
	free(tu_sh_ok("mkdir '%s/full' && unshare -m sh '%s/full.sh' '%s'"
	    " '%s' '%s/tests/pgserver.sh'", tu_dir, tu_dir, tu_dir,
	    tu_bin("ehttpctl"), EHTTP_SRCDIR));
	in_is("before", "0 0 0\n", "P01 on, certificates, keys");
	for (int k = 0; k <= 64; k += 64) {	/* KiB free */
		e = tu_read_file(tu_path(nth("r", k)), NULL);
		if (e == NULL)
			break;		/* an earlier one succeeded */
		if (strcmp(e, "0\n") == 0) {
			free(e);
			break;
		}
		ck_assert_str_eq(e, "1\n");
		free(e);
		failed++;
		in_has(nth("e", k), "No space left on device", "the error");
		in_is(nth("s", k), "0 0 0\n", "P01 on, certificates, keys");
		in_is(nth("p", k), "0\n", "pending rows after the next writer");
	}
	ck_assert_int_ge(failed, 1);
	s = read_in("r");
	e = read_in("e");
	ck_assert_msg(strcmp(s, "0\n") == 0, "space freed: %s", e);
	free(s);
	free(e);
	in_is("after", "1 6 6\n", "P01 on, certificates, keys");
}
END_TEST

/*
 * ehttpctl killed (SIGKILL) in the middle of a large issuance on
 * PostgreSQL: 500 site systems with a management point at a new site
 * (EC keys), enhanced HTTP turned on and off, each run killed at a random
 * point of its length (measured by one whole run first). After each, the
 * next writer (`init`) finds either everything of the killed run or
 * nothing: P01 on with 500 active role certificates or off with none,
 * every certificate with its key, no key without its certificate, no
 * pending row. Then a whole run completes. (SQLite's: check_issue's
 * kill_mid_issuance_is_atomic.)
 */
#define KILL_SYSTEMS	500

static long
kq(const char *sql)
{
	char *v = tu_sql1(tu_db_cli(tu_db), sql);
	long n = strtol(v, NULL, 10);

	free(v);
	return n;
}

/* ehttpctl site set P09 --enhanced-http on|off, in the background. */
static pid_t
kill_run(const char *on)
{
	char *argv[] = { (char *)tu_bin("ehttpctl"), "--db", tu_db, "site",
	    "set", "P09", "--enhanced-http", (char *)on, NULL };
	int fd = open("/dev/null", O_WRONLY);
	pid_t pid;

	ck_assert_int_ne(fd, -1);
	pid = tu_spawn(argv[0], argv, fd, fd);
	close(fd);
	ck_assert_int_gt(pid, 0);
	return pid;
}

START_TEST(pg_kill_mid_issuance)
{
	struct timespec t0, t1;
	long ms, on, roles;
	int status, outcome[2] = { 0, 0 };
	pid_t pid;

	use_template("demo");
	tu_ctl_ok(tu_db, "site", "add", "P09", "--name", "Bulk", "--type",
	    "primary", "--parent", "CAS", NULL);
	tu_ctl_ok(tu_db, "site", "set", "P09", "--key-alg", "ec-p256", NULL);
	free(tu_sql1(tu_db_cli(tu_db), "INSERT INTO site_system (fqdn,"
	    " site_id, created) SELECT 'h' || i || '.p09.example.com', s.id, 0"
	    " FROM generate_series(1, " STR(KILL_SYSTEMS) ") i, site s WHERE"
	    " s.code = 'P09'; INSERT INTO role (system_id, role, connection)"
	    " SELECT id, 'mp', 'http' FROM site_system WHERE fqdn LIKE"
	    " '%.p09.example.com'; SELECT 1"));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = kill_run("on");
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %d", status);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) /
	    1000000;
	srand((unsigned)getpid());
	for (int round = 1; round <= 4; round++) {
		long at = ms / 5 + rand() % (ms * 3 / 5 + 1);

		pid = kill_run(round % 2 ? "off" : "on");
		tu_msleep((int)at);
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
		tu_ctl_ok(tu_db, "init", NULL);
		ck_assert_int_eq(kq("SELECT count(*) FROM cert WHERE state ="
		    " 'pending'"), 0);
		on = kq("SELECT enhanced_http FROM site_security x JOIN site s"
		    " ON s.id = x.site_id WHERE s.code = 'P09'");
		roles = kq("SELECT count(*) FROM cert c JOIN site s ON s.id ="
		    " c.site_id WHERE s.code = 'P09' AND c.type = 'role' AND"
		    " c.state = 'active'");
		ck_assert_msg((on == 1 && roles == KILL_SYSTEMS) || (on == 0 &&
		    roles == 0), "round %d (killed after %ld ms of %ld):"
		    " enhanced HTTP %ld with %ld active certificates", round,
		    at, ms, on, roles);
		ck_assert_int_eq(kq("SELECT count(*) FROM cert c WHERE NOT"
		    " EXISTS (SELECT 1 FROM cert_key k WHERE k.cert_id ="
		    " c.id)"), 0);
		ck_assert_int_eq(kq("SELECT count(*) FROM cert_key k WHERE"
		    " NOT EXISTS (SELECT 1 FROM cert c WHERE c.id ="
		    " k.cert_id)"), 0);
		outcome[on == (round % 2 ? 0 : 1)]++;
	}
	ck_assert_int_eq(outcome[0] + outcome[1], 4);
	tu_ctl_ok(tu_db, "site", "set", "P09", "--enhanced-http", "on", NULL);
	ck_assert_int_eq(kq("SELECT count(*) FROM cert c JOIN site s ON s.id ="
	    " c.site_id WHERE s.code = 'P09' AND c.type = 'role' AND c.state ="
	    " 'active'"), KILL_SYSTEMS);
}
END_TEST

/* ---- master key --------------------------------------------------------- */

static const struct {
	const char	*what;
	const char	*db;		/* template: demo (no keys) or keys */
	const char	*prepare;	/* sh; $K is the master key */
	const char	*args[8];
	const char	*msg;
} master_cases[] = {
	{ "missing, no keys yet", "demo", "rm \"$K\"",
	  { "site", "set", "P01", "--enhanced-http", "on" },
	  "is missing: `ehttpctl init` creates one" },
	{ "missing, 6 keys stored", "keys", "rm \"$K\"",
	  { "cert", "renew", "1" },
	  "is missing and the database holds 6 private keys encrypted with it" },
	{ "missing, 6 keys stored", "keys", "rm \"$K\"",
	  { "site", "set", "CAS", "--enhanced-http", "on" },
	  "restore the file from a backup" },
	{ "missing, 6 keys stored: init makes no new one", "keys", "rm \"$K\"",
	  { "init" }, "is missing and the database holds 6 private keys" },
	{ "missing, 6 keys stored", "keys", "rm \"$K\"",
	  { "cert", "export", "2", "--out", "@DIR/x.pem", "--with-key" },
	  "is missing and the database holds" },
	{ "mode 0644", "demo", "chmod 0644 \"$K\"", { "site", "list" },
	  "has mode 0644: it must not be accessible to group or others" },
	{ "mode 0644", "keys", "chmod 0644 \"$K\"",
	  { "site", "set", "P01", "--enhanced-http", "off" }, "has mode 0644" },
	{ "mode 0640", "keys", "chmod 0640 \"$K\"", { "cert", "list" },
	  "has mode 0640" },
	{ "mode 0604", "demo", "chmod 0604 \"$K\"", { "status" },
	  "has mode 0604" },
	{ "mode 0620", "demo", "chmod 0620 \"$K\"",
	  { "site", "set", "P01", "--enhanced-http", "on" }, "has mode 0620" },
	{ "a symlink to a 0644 key", "keys", "cp \"$K\" \"$K.real\" && chmod 644"
	  " \"$K.real\" && rm \"$K\" && ln -s \"$K.real\" \"$K\"",
	  { "site", "list" }, "has mode 0644" },
	{ "another master key", "keys", "printf '%064d\\n' 7 > \"$K\"",
	  { "cert", "renew", "1" },
	  "does not open the private key of certificate 6" /* the token signing */ },
	{ "another master key", "keys", "printf '%064d\\n' 7 > \"$K\"",
	  { "site", "set", "CAS", "--enhanced-http", "on" },
	  "a wrong or replaced master key file" },
	{ "another master key", "keys", "printf '%064d\\n' 7 > \"$K\"",
	  { "cert", "import-pki", "dp1.p01.contoso.com", "@PK/valid.pem",
	    "@PK/k.pem" }, "does not open the private key" },
	{ "another master key", "keys", "printf '%064d\\n' 7 > \"$K\"",
	  { "cert", "export", "2", "--out", "@DIR/x.pem", "--with-key" },
	  "does not open the private key" },
	{ "damaged", "demo", "printf 'not hex\\n' > \"$K\"",
	  { "site", "set", "P01", "--enhanced-http", "on" },
	  "is damaged: want 64 hex characters" },
	{ "a directory", "demo", "rm \"$K\" && mkdir -m 0700 \"$K\"",
	  { "site", "set", "P01", "--enhanced-http", "on" },
	  "is not a regular file" },
};

START_TEST(bad_master_key)
{
	char *cmd, *before, *after, key[4200], what[128];
	struct snap s;

	use_shared(master_cases[_i].db);
	snprintf(key, sizeof key, "%s", tu_db_key(tu_db));
	if (asprintf(&cmd, "K='%s'; %s", key, master_cases[_i].prepare) == -1)
		abort();
	free(tu_sh_ok("%s", cmd));
	free(cmd);
	before = dump(tu_db);
	snap_take(key, &s);
	snprintf(what, sizeof what, "master key %s, %s %s",
	    master_cases[_i].what, master_cases[_i].args[0],
	    master_cases[_i].args[1] ? master_cases[_i].args[1] : "");
	expect(1, master_cases[_i].args, 1, master_cases[_i].msg, what);
	snap_same(key, &s);
	after = dump(tu_db);
	ck_assert_msg(strcmp(before, after) == 0, "%s: the database changed",
	    what);
	/* Nothing exported, nothing left behind. */
	ck_assert_int_eq(tu_sh(NULL, NULL, "test ! -e '%s/x.pem' && test ! -e"
	    " '%s/x.pem.key'", tu_dir, tu_dir), 0);
	free(before);
	free(after);
}
END_TEST

/* The refusals are about the key: put the right one back and it works. */
START_TEST(right_master_key_works)
{
	const char *renew[] = { "cert", "renew", "1", NULL };

	use_template("keys");
	expect(1, renew, 0, NULL, "renew with the right key");
}
END_TEST

/* ---- log files ---------------------------------------------------------- */

#define GOOD(text) "<![LOG[" text "]LOG]!><time=\"07:45:16.123+000\"" \
	" date=\"11-25-2026\" component=\"MP_Test\" context=\"\" type=\"1\"" \
	" thread=\"42\" file=\"mp.c:1\">"

static const struct {
	const char	*what;
	const char	*data;
	size_t		 len;
	size_t		 count;
	const char	*malformed;	/* '1' per malformed record */
} log_cases[] = {
#define L(s) s, sizeof s - 1
	{ "invalid UTF-8 everywhere", L(GOOD("a") "\n<![LOG[\xff\xfe\xc0\x80"
	  "]LOG]!><time=\"1:2:3\" date=\"1-2-2026\" component=\"\xe2\x82\""
	  " context=\"\xed\xa0\x80\" type=\"2\" thread=\"1\" file=\"\xf8\">\n"
	  "\xc3\x28\xa0\xa1 junk\n" GOOD("z") "\n"), 4, "0010" },
	{ "NUL bytes in text, fields, junk and marker",
	  L(GOOD("a\0b") "\n\0\0\0\n<![LOG\0[x]LOG]!>\n<![LOG[y]LOG]!><time=\"1:2:3\""
	  " date=\"1-2-2026\" component=\"c\0\" context=\"\" type=\"\0\" thread=\"\""
	  " file=\"\">\n" GOOD("z")), 5, "01110" },
	{ "records cut in the middle, then good ones",
	  L("<![LOG[cut in the text\n" GOOD("1") "\n<![LOG[x]LOG]!><time=\"10:00"
	  "\n" GOOD("2") "\n<![LOG[x]LOG]!><time=\"1:2:3\" date=\"1-2-2026\""
	  " compo\n" GOOD("3") "\n<![LO\n" GOOD("4") "\n<![LOG[at the end]LOG]!>"
	  "<time=\"1:2"), 9, "101010101" },
	{ "CR only, tabs, BOMs in the middle",
	  L("\xef\xbb\xbf" GOOD("a") "\r\r\n\t \n\xef\xbb\xbf\xef\xbb\xbf" GOOD("b")
	  "\n  \xef\xbb\xbf" GOOD("c") "\n"), 5, "01010" },
	{ "markers inside markers", L("<![LOG[<![LOG[]LOG]!>]LOG]!><time=\"1:2:3\""
	  " date=\"1-2-2026\" component=\"c\" context=\"\" type=\"1\""
	  " thread=\"1\" file=\"\">\n]LOG]!>]LOG]!>\n" GOOD("z")), 3, "110" },
	{ "values out of range", L("<![LOG[t]LOG]!><time=\"25:61:61.9999+999\""
	  " date=\"13-32-0\" component=\"c\" context=\"\" type=\"100\""
	  " thread=\"99999999999999999999999\" file=\"\">\n" GOOD("z")), 2, "10" },
#undef L
};

/* The fuzz target's invariants on one log: see tests/fuzz/fuzz-cmlog.c. */
static void
log_invariants(const char *data, size_t len)
{
	size_t in = len + 3;
	uint8_t *buf = malloc(in);

	ck_assert_ptr_nonnull(buf);
	for (unsigned cut = 0; cut <= 255; cut += 51) {
		buf[0] = (uint8_t)cut;
		buf[1] = 7;
		buf[2] = 201;
		memcpy(buf + 3, data, len);
		fuzz_cmlog_one(buf, in);
	}
	free(buf);
}

START_TEST(bad_log_file)
{
	char path[4096], *cause = NULL;
	struct cmlog_reader *rd;
	struct cmlog_record r;

	snprintf(path, sizeof path, "%s/bad.log", tu_dir);
	ck_assert_int_eq(tu_write_file(path, log_cases[_i].data,
	    log_cases[_i].len), 0);
	rd = cmlog_reader_open(path, &cause);
	ck_assert_msg(rd != NULL, "%s", cause);
	ck_assert_int_eq(cmlog_reader_index(rd, 0), 0);
	ck_assert_msg(cmlog_reader_count(rd) == log_cases[_i].count,
	    "%s: %zu records", log_cases[_i].what, cmlog_reader_count(rd));
	for (size_t i = 0; i < log_cases[_i].count; i++) {
		ck_assert_int_eq(cmlog_reader_get(rd, i, &r), 0);
		ck_assert_msg(r.malformed == (log_cases[_i].malformed[i] == '1'),
		    "%s: record %zu (line %zu) malformed %d: %s",
		    log_cases[_i].what, i, r.line, r.malformed, r.cause);
		if (r.malformed)
			ck_assert_msg(strncmp(r.cause, "line ", 5) == 0 &&
			    strstr(r.cause, " col ") != NULL, "%s", r.cause);
	}
	/* The last good record is one of ours. */
	for (size_t i = log_cases[_i].count; i-- > 0; ) {
		ck_assert_int_eq(cmlog_reader_get(rd, i, &r), 0);
		if (!r.malformed)
			break;
	}
	ck_assert_str_eq(r.component, "MP_Test");
	cmlog_reader_close(rd);
	log_invariants(log_cases[_i].data, log_cases[_i].len);
}
END_TEST

/*
 * A writer killed mid-record: every prefix of a record, then a good record
 * on the next line. The cut one is malformed with a position, the good one
 * is read intact, nothing else appears.
 */
START_TEST(log_cut_at_every_byte)
{
	static const char rec[] = GOOD("cut here") "\n";
	static const char good[] = GOOD("next");
	char path[4096], buf[1024], *cause = NULL;
	size_t len = sizeof rec - 2;	/* without the line break */
	struct cmlog_reader *rd;
	struct cmlog_record r;

	snprintf(path, sizeof path, "%s/cut.log", tu_dir);
	for (size_t k = 1; k < len; k++) {
		memcpy(buf, rec, k);
		buf[k] = '\n';
		memcpy(buf + k + 1, good, sizeof good - 1);
		ck_assert_int_eq(tu_write_file(path, buf, k + sizeof good), 0);
		rd = cmlog_reader_open(path, &cause);
		ck_assert_ptr_nonnull(rd);
		ck_assert_int_eq(cmlog_reader_index(rd, 0), 0);
		ck_assert_msg(cmlog_reader_count(rd) == 2, "cut at %zu: %zu"
		    " records", k, cmlog_reader_count(rd));
		ck_assert_int_eq(cmlog_reader_get(rd, 0, &r), 0);
		ck_assert_msg(r.malformed == 1 && r.line == 1, "cut at %zu", k);
		ck_assert_msg(strncmp(r.cause, "line 1 col ", 11) == 0, "cut at"
		    " %zu: %s", k, r.cause);
		ck_assert_int_eq(cmlog_reader_get(rd, 1, &r), 0);
		ck_assert_msg(r.malformed == 0 && r.line == 2 &&
		    r.text_len == 4 && memcmp(r.text, "next", 4) == 0,
		    "cut at %zu: the next record: %s", k, r.cause);
		cmlog_reader_close(rd);
		log_invariants(buf, k + sizeof good - 1);
	}
}
END_TEST

/* A 10 MB line of NUL and invalid UTF-8, between good records. */
START_TEST(log_10mb_hostile_line)
{
	size_t n = 10 * 1024 * 1024, len;
	char path[4096], *buf, *p, *line, *cause = NULL;
	struct cmlog_reader *rd;
	struct cmlog_record r;

	buf = malloc(n + 1024);
	ck_assert_ptr_nonnull(buf);
	line = p = stpcpy(buf, GOOD("before") "\n");
	for (size_t i = 0; i < n; i++)
		p[i] = "\0\xff\xc3<x]\r"[i % 7];
	p += n;
	*p++ = '\n';
	p = stpcpy(p, GOOD("after") "\n");
	len = (size_t)(p - buf);
	snprintf(path, sizeof path, "%s/big.log", tu_dir);
	ck_assert_int_eq(tu_write_file(path, buf, len), 0);
	rd = cmlog_reader_open(path, &cause);
	ck_assert_ptr_nonnull(rd);
	while (cmlog_reader_index(rd, 1 << 20) == 1)
		;
	ck_assert_uint_eq(cmlog_reader_count(rd), 3);
	ck_assert_int_eq(cmlog_reader_get(rd, 1, &r), 0);
	ck_assert_int_eq(r.malformed, 1);
	ck_assert_uint_eq(r.line, 2);
	ck_assert_str_eq(r.cause, "line 2 col 1: text outside a record");
	ck_assert_uint_eq(r.text_len, n);
	ck_assert(memcmp(r.text, line, n) == 0);	/* passed through */
	ck_assert_int_eq(cmlog_reader_get(rd, 2, &r), 0);
	ck_assert_int_eq(r.malformed, 0);
	ck_assert_uint_eq(r.line, 3);
	ck_assert(r.text_len == 5 && memcmp(r.text, "after", 5) == 0);
	cmlog_reader_close(rd);
	free(buf);
}
END_TEST

/*
 * A log that grows while it is followed: the old end fell inside blanks
 * that turn out to lead text. The follower must see what a fresh reader
 * sees (found by fuzz-cmlog: it dropped the blanks from the junk's text).
 */
static const struct {
	const char	*first, *then;
	const char	*text;		/* of the last record */
} grow_cases[] = {
	{ "  \t", "junk\n", "  \tjunk" },
	{ GOOD("a") " \t", "junk after a record\n", " \tjunk after a record" },
	{ GOOD("a") "\n\xef\xbb\xbf  ", "junk\n", "  junk" },
	{ GOOD("a") "\n \r", GOOD("b") "\n", "b" },
};

START_TEST(log_grows_after_blanks)
{
	char path[4096], *cause = NULL;
	struct cmlog_reader *rd, *fresh;
	struct cmlog_record a, b;
	FILE *f;

	snprintf(path, sizeof path, "%s/grow.log", tu_dir);
	ck_assert_int_eq(tu_write_file(path, grow_cases[_i].first,
	    strlen(grow_cases[_i].first)), 0);
	rd = cmlog_reader_open(path, &cause);
	ck_assert_ptr_nonnull(rd);
	ck_assert_int_eq(cmlog_reader_index(rd, 0), 0);
	ck_assert_ptr_nonnull(f = fopen(path, "a"));
	fputs(grow_cases[_i].then, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(cmlog_reader_refresh(rd), 1);
	ck_assert_int_eq(cmlog_reader_index(rd, 0), 0);
	fresh = cmlog_reader_open(path, &cause);
	ck_assert_ptr_nonnull(fresh);
	ck_assert_int_eq(cmlog_reader_index(fresh, 0), 0);
	ck_assert_uint_eq(cmlog_reader_count(rd), cmlog_reader_count(fresh));
	for (size_t i = 0; i < cmlog_reader_count(rd); i++) {
		ck_assert_int_eq(cmlog_reader_get(rd, i, &a), 0);
		ck_assert_int_eq(cmlog_reader_get(fresh, i, &b), 0);
		ck_assert_uint_eq(a.line, b.line);
		ck_assert_str_eq(a.cause, b.cause);
		ck_assert_uint_eq(a.text_len, b.text_len);
		ck_assert(memcmp(a.text, b.text, a.text_len) == 0);
	}
	ck_assert_uint_eq(a.text_len, strlen(grow_cases[_i].text));
	ck_assert(memcmp(a.text, grow_cases[_i].text, a.text_len) == 0);
	cmlog_reader_close(fresh);
	cmlog_reader_close(rd);
}
END_TEST

/*
 * ehttpctl log show --json on the same files: every record listed (read
 * back by python3's JSON parser, not ours), the malformed ones as such with
 * their line and column.
 */
START_TEST(log_show_bad_files)
{
	char path[4096], want[64], *out = NULL, *err = NULL, *got = NULL;
	const char *help[] = { "log", "show", "--help", NULL };
	const char *show[] = { "log", "show", "--json", path, NULL };
	int rc;

	if (ctl_v(0, help, &out, &err) != 0) {
		free(out);
		free(err);
		fprintf(stderr, "badinput: no `ehttpctl log show` yet: skipped\n");
		return;
	}
	free(out);
	free(err);
	snprintf(path, sizeof path, "%s/bad.log", tu_dir);
	ck_assert_int_eq(tu_write_file(path, log_cases[_i].data,
	    log_cases[_i].len), 0);
	rc = ctl_v(0, show, &out, &err);
	ck_assert_msg(rc == 0, "%s: exit %d: %s", log_cases[_i].what, rc, err);
	snprintf(path, sizeof path, "%s/bad.json", tu_dir);
	ck_assert_int_eq(tu_write_file(path, out, strlen(out)), 0);
	free(out);
	free(err);
	ck_assert_int_eq(tu_sh(&got, &err, "python3 -c 'import json, sys\n"
	    "d = json.load(open(sys.argv[1]))\n"
	    "print(len(d), \"\".join(\"1\" if r[\"malformed\"] else \"0\""
	    " for r in d), all(r[\"cause\"].startswith(\"line \") for r in d"
	    " if r[\"malformed\"]))' '%s'", path), 0);
	snprintf(want, sizeof want, "%zu %s True\n", log_cases[_i].count,
	    log_cases[_i].malformed);
	ck_assert_msg(strcmp(got, want) == 0, "%s: %s (want %s) %s",
	    log_cases[_i].what, got, want, err);
	free(got);
	free(err);
}
END_TEST

/* ---- fuzz seeds and regressions ----------------------------------------- */

static void
one_cmlog(const char *name, const uint8_t *p, size_t n)
{
	fuzz_cmlog_one(p, n);
}

static void
one_pem(const char *name, const uint8_t *p, size_t n)
{
	fuzz_pem_one(p, n);
}

/* A fuzz-cli input: NUL-separated arguments, run by the real ehttpctl on
 * a demo database (the working directory is the test directory). */
static void
one_cli(const char *name, const uint8_t *p, size_t n)
{
	const char *args[32];
	char *buf = malloc(n + 1), *out = NULL, *err = NULL, *cmd;
	int argc = 0, rc;

	ck_assert_ptr_nonnull(buf);
	memcpy(buf, p, n);
	buf[n] = '\0';
	for (size_t i = 0, start = 0; i <= n && argc < 31; i++)
		if (buf[i] == '\0') {
			args[argc++] = buf + start;
			start = i + 1;
		}
	args[argc] = NULL;
	if (memchr(p, '/', n) == NULL) {
		xasprintf(&cmd, "cd '%s' && EHTTP_DB='%s' '%s' \"$@\"", tu_dir, tu_db,
		    tu_bin("ehttpctl"));
		{
			char *argv[40];
			int k = 0;

			argv[k++] = "/bin/sh";
			argv[k++] = "-c";
			argv[k++] = cmd;
			argv[k++] = "sh";
			for (int i = 0; i < argc && k < 39; i++)
				argv[k++] = (char *)args[i];
			argv[k] = NULL;
			rc = tu_run(argv, &out, &err);
		}
		ck_assert_msg(rc == 0 || rc == 1 || rc == 2, "%s: exit %d: %s",
		    name, rc, err);
		free(out);
		free(err);
		free(cmd);
	}
	free(buf);
}

START_TEST(fuzz_seeds_and_regressions)
{
	tu_fuzz_inputs("corpus-cmlog", "", one_cmlog);
	tu_fuzz_inputs("regress", "cmlog-", one_cmlog);
	tu_fuzz_inputs("corpus-pem", "", one_pem);
	tu_fuzz_inputs("regress", "pem-", one_pem);
	tu_fuzz_inputs("corpus-cli", "", one_cli);
	tu_fuzz_inputs("regress", "cli-", one_cli);
}
END_TEST

Suite *
badinput_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("badinput", badinput_fixture),
		TU_EACH(bad_arguments, arg_cases),
		TU_EACH(bad_db_argument, db_arg_cases),
		TU_EACH(bad_import_pki, pki_cases),
		TU_TEST(good_import_pki),
		TU_LOOP(bad_database_file,
		    TU_ALL(dbfile_cases) * N_DBFILE_CMDS),
		TU_EACH(resolve_database_error, resolve_cases),
		TU_TEST(read_only_media),
		TU_TEST(read_only_dir),
		TU_EACH(full_disk, full_free_kib),
		TU_EACH(bad_master_key, master_cases),
		TU_TEST(right_master_key_works),
		TU_EACH(bad_log_file, log_cases),
		TU_TEST(log_cut_at_every_byte),
		TU_TEST(log_10mb_hostile_line),
		TU_EACH(log_grows_after_blanks, grow_cases),
		TU_EACH(log_show_bad_files, log_cases),
		TU_TEST(fuzz_seeds_and_regressions),
		/*
		 * On PostgreSQL, what is about the database's contents; not
		 * what is about a database file (bad_db_argument,
		 * bad_database_file, resolve_database_error, read_only_*,
		 * full_disk: pg_full_disk is the server's), nor the logs and
		 * fuzz inputs, which use no database.
		 */
		TU_CASE("badinput-pg", badinput_pg_fixture),
		TU_EACH(bad_arguments, arg_cases),
		TU_EACH(bad_import_pki, pki_cases),
		TU_TEST(good_import_pki),
		TU_EACH(bad_master_key, master_cases),
		TU_TEST(right_master_key_works),
		TU_TEST(pg_full_disk),
		TU_TEST(pg_kill_mid_issuance),
		{ 0 }
	};

	return tu_suite("badinput", tests);
}
