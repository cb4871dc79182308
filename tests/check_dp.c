/*
 * The distribution point: backend/dp/ called directly (manifest rules, URL
 * decoding, ranges, dates), then the real agent on loopback serving DP
 * libraries that tests/dplib.py wrote from the published layout, checked
 * with curl, python3's socket and xml.etree, cmp and sha256sum.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dp.h"
#include "manifest.h"
#include "testutil.h"
#include "xmalloc.h"

/* The fuzz target's own checks, run on its seeds and regressions. */
#define LLVMFuzzerTestOneInput	fuzz_dp_one
#include "fuzz/fuzz-dp.c"
#undef LLVMFuzzerTestOneInput

#define DP1		"dp1.p01.contoso.com"	/* no anonymous access */
#define DP2		"dp2.p01.contoso.com"	/* anonymous allowed */
#define PKG		"P01000A3"
#define WAIT_MS		20000

static char *dir;
static char db[4096], root[4096], src[4096];
static pid_t agent = -1;
static int https_port, http_port;
static char fqdn[256];

#define sh1(...)	tu_line1(tu_sh_ok(__VA_ARGS__))

/* --------------------------------------------------------- unit checks */

static struct dp_manifest *
parse(const char *json, char **cause)
{
	return dp_manifest_parse(json, strlen(json), PKG, cause);
}

#define H64	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define F(p)	"{\"path\":\"" p "\",\"size\":1,\"sha256\":\"" H64 "\"}"
#define M(files) "{\"package\":\"" PKG "\",\"version\":2,\"name\":\"n\"," \
		"\"files\":[" files "]}"

/* Each rule of a manifest, refused with its reason. */
START_TEST(test_manifest_rules)
{
	static const struct { const char *json, *why; } bad[] = {
		{ "[1]", "not a JSON object" },
		{ "{", "not JSON" },
		{ "{\"package\":\"P01000A4\",\"version\":1,\"name\":\"n\","
		  "\"files\":[]}", "not P01000A3" },
		{ "{\"package\":\"" PKG "\",\"version\":0,\"name\":\"n\","
		  "\"files\":[]}", "version" },
		{ "{\"package\":\"" PKG "\",\"version\":1,\"files\":[]}",
		  "name" },
		{ "{\"package\":\"" PKG "\",\"version\":1,\"name\":\"n\"}",
		  "files: missing" },
		{ "{\"package\":\"" PKG "\",\"package\":\"" PKG "\","
		  "\"version\":1,\"name\":\"n\",\"files\":[]}", "duplicate" },
		{ M(F("a/../b")), "a '..' segment" },
		{ M(F("a/./b")), "a '.' segment" },
		{ M(F("..")), "a '..' segment" },
		{ M(F("a//b")), "an empty segment" },
		{ M(F("a/")), "an empty segment" },
		{ M(F("")), "empty" },
		{ M(F("/etc/passwd")), "starts with '/'" },
		{ M(F("a\\u0001b")), "a control character" },
		{ M(F("a\\u007fb")), "a control character" },
		{ M(F("a\\u0085b")), "a control character" },
		{ M(F("a\\u0000b")), "is not allowed" },
		{ M(F("b") "," F("a")), "not sorted" },
		{ M(F("a") "," F("a")), "listed twice" },
		{ M(F("a") "," F("a/b")), "a file and the folder" },
		{ M(F("d") "," F("d-1") "," F("d/x")), "a file and the folder" },
		{ M("{\"path\":\"a\",\"size\":-1,\"sha256\":\"" H64 "\"}"),
		  "size" },
		{ M("{\"path\":\"a\",\"size\":1.5,\"sha256\":\"" H64 "\"}"),
		  "size" },
		{ M("{\"path\":\"a\",\"size\":1,\"sha256\":\""
		  "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"
		  "\"}"), "64 lower-case hex" },
		{ M("{\"path\":\"a\",\"size\":1,\"sha256\":\"abc\"}"),
		  "64 lower-case hex" },
		{ M("3"), "not an object" },
	};
	struct dp_manifest *m;
	const struct dp_file *f;
	char *cause = NULL, *json, longp[1100];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		m = parse(bad[i].json, &cause);
		ck_assert_msg(m == NULL, "accepted %s", bad[i].json);
		ck_assert_msg(cause != NULL && strstr(cause, bad[i].why) !=
		    NULL, "%s: '%s', want '%s'", bad[i].json, cause,
		    bad[i].why);
		free(cause);
	}
	/* 1024 bytes is the longest path. */
	memset(longp, 'x', 1025);
	longp[1025] = '\0';
	xasprintf(&json, M("{\"path\":\"%s\",\"size\":1,\"sha256\":\"" H64
	    "\"}"), longp);
	ck_assert_ptr_null(parse(json, &cause));
	ck_assert_ptr_nonnull(strstr(cause, "longer than 1024"));
	free(cause);
	free(json);
	longp[1024] = '\0';
	xasprintf(&json, M("{\"path\":\"%s\",\"size\":1,\"sha256\":\"" H64
	    "\"}"), longp);
	m = parse(json, &cause);
	ck_assert_msg(m != NULL, "%s", cause);
	dp_manifest_free(m);
	free(json);

	/* A good one: files and folders found, unknown members ignored. */
	m = parse(M(F("a b.txt") "," F("d-1") "," F("d/e/f") "," F("d/x")
	    "," F("\xc3\xa9t\xc3\xa9")) , &cause);
	ck_assert_msg(m != NULL, "%s", cause);
	ck_assert_str_eq(m->package, PKG);
	ck_assert_int_eq(m->version, 2);
	ck_assert_uint_eq(m->nfiles, 5);
	ck_assert_int_eq(dp_manifest_find(m, "", NULL), DP_KIND_FOLDER);
	ck_assert_int_eq(dp_manifest_find(m, "d", NULL), DP_KIND_FOLDER);
	ck_assert_int_eq(dp_manifest_find(m, "d/e", NULL), DP_KIND_FOLDER);
	ck_assert_int_eq(dp_manifest_find(m, "d/e/f", &f), DP_KIND_FILE);
	ck_assert_str_eq(f->path, "d/e/f");
	ck_assert_int_eq(dp_manifest_find(m, "d-1", &f), DP_KIND_FILE);
	ck_assert_int_eq(dp_manifest_find(m, "d/e/f/g", NULL), DP_KIND_NONE);
	ck_assert_int_eq(dp_manifest_find(m, "D", NULL), DP_KIND_NONE);
	ck_assert_int_eq(dp_manifest_find(m, "d/", NULL), DP_KIND_NONE);
	ck_assert_int_eq(dp_manifest_find(m, "\xc3\xa9t\xc3\xa9", NULL),
	    DP_KIND_FILE);
	dp_manifest_free(dp_manifest_ref(m));
	ck_assert_str_eq(m->name, "n");	/* still there: one reference */
	dp_manifest_free(m);
	m = parse("{\"package\":\"" PKG "\",\"version\":1,\"name\":\"\","
	    "\"files\":[],\"more\":{\"x\":1}}", &cause);
	ck_assert_msg(m != NULL, "%s", cause);
	ck_assert_uint_eq(m->nfiles, 0);
	dp_manifest_free(m);
}
END_TEST

/* Request targets: what they name, and what is refused (400). */
START_TEST(test_target_parse)
{
	static const struct { const char *in; int rc; const char *pkg, *path;
	    int vdir; } ok[] = {
		{ "/SMS_DP_SMSPKG$/P01000A3/a%20b/c.cab?x=1", 1, PKG,
		  "a b/c.cab", DP_VDIR_PKG },
		{ "/sms_dp_smspkg$/p01000a3/", 1, PKG, "", DP_VDIR_PKG },
		{ "/NOCERT_SMS_DP_SMSPKG$/P01000A3", 1, PKG, "",
		  DP_VDIR_NOCERT },
		{ "/CCMTOKENAUTH_SMS_DP_SMSPKG$/P01000A3/d/", 1, PKG, "d",
		  DP_VDIR_TOKEN_PKG },
		{ "/CCMTOKENAUTH_SMS_DP_SMSSIG$/P01000A3/%C3%A9", 1, PKG,
		  "\xc3\xa9", DP_VDIR_TOKEN_SIG },
		{ "/SMS_DP_SMSPKG$/", 1, "", "", DP_VDIR_PKG },
		{ "/SMS_DP_SMSPKG$/%252e%252e", 1, "", "", DP_VDIR_PKG },
		{ "/SMS_MP/.sms_aut", 0, "", "", 0 },
		{ "/SMS_DP_SMSPKG", 0, "", "", 0 },
	};
	static const char *const bad[] = {
		"/SMS_DP_SMSPKG$/P01000A3/../x",
		"/SMS_DP_SMSPKG$/P01000A3/%2e%2e/x",
		"/SMS_DP_SMSPKG$/P01000A3/%2E%2e%2Fx",
		"/SMS_DP_SMSPKG$/..",
		"/SMS_DP_SMSPKG$/P01000A3/./x",
		"/SMS_DP_SMSPKG$/P01000A3//x",
		"/SMS_DP_SMSPKG$//P01000A3",
		"/SMS_DP_SMSPKG$/P01000A3/a%00b",
		"/SMS_DP_SMSPKG$/P01000A3/a\\b",
		"/SMS_DP_SMSPKG$/P01000A3/a%5cb",
		"/SMS_DP_SMSPKG$/P01000A3/%c0%ae%c0%ae/x",
		"/SMS_DP_SMSPKG$/P01000A3/%c0%af",
		"/SMS_DP_SMSPKG$/P01000A3/%ff",
		"/SMS_DP_SMSPKG$/P01000A3/%zz",
		"/SMS_DP_SMSPKG$/P01000A3/%4",
		"/SMS_DP_SMSPKG$/P01000A3/a%1bb",
		"/SMS_DP_SMSPKG$/P01000A3/a\033b",
		"/SMS_DP_SMSPKG$/P01000A3/%ed%a0%80",
	};
	struct dp_target t;
	const char *why;
	char *longt;

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		int rc = dp_target_parse(ok[i].in, &t, &why);

		ck_assert_msg(rc == ok[i].rc, "%s: %d (%s)", ok[i].in, rc,
		    why != NULL ? why : "");
		if (rc != 1)
			continue;
		ck_assert_int_eq(t.vdir, ok[i].vdir);
		ck_assert_str_eq(t.pkg, ok[i].pkg);
		ck_assert_str_eq(t.path, ok[i].path);
	}
	ck_assert_int_eq(dp_target_parse("/SMS_DP_SMSPKG$/%252e%252e", &t,
	    &why), 1);
	ck_assert_int_eq(t.pkg_bad, 1);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(dp_target_parse(bad[i], &t, &why) == -1,
		    "accepted %s", bad[i]);
		ck_assert_ptr_nonnull(why);
	}
	/* A path of 1024 bytes is read, one of 1025 refused. */
	longt = xmalloc(2000);
	snprintf(longt, 2000, "/SMS_DP_SMSPKG$/P01000A3/%01024d", 0);
	ck_assert_int_eq(dp_target_parse(longt, &t, &why), 1);
	ck_assert_uint_eq(strlen(t.path), 1024);
	snprintf(longt, 2000, "/SMS_DP_SMSPKG$/P01000A3/%01025d", 0);
	ck_assert_int_eq(dp_target_parse(longt, &t, &why), -1);
	free(longt);
}
END_TEST

/* One byte range, entity tags, HTTP dates (python3's email.utils reads
 * the same time). */
START_TEST(test_ranges_and_dates)
{
	static const struct { const char *h; uint64_t size; int rc;
	    uint64_t a, b; } rg[] = {
		{ NULL, 10, DP_RANGE_WHOLE, 0, 0 },
		{ "bytes=0-4", 10, DP_RANGE_ONE, 0, 4 },
		{ "bytes=5-", 10, DP_RANGE_ONE, 5, 9 },
		{ "bytes=-3", 10, DP_RANGE_ONE, 7, 9 },
		{ "bytes=-30", 10, DP_RANGE_ONE, 0, 9 },
		{ "bytes=8-100", 10, DP_RANGE_ONE, 8, 9 },
		{ "Bytes=9-9", 10, DP_RANGE_ONE, 9, 9 },
		{ "bytes=10-", 10, DP_RANGE_UNSATISFIABLE, 0, 0 },
		{ "bytes=-0", 10, DP_RANGE_UNSATISFIABLE, 0, 0 },
		{ "bytes=0-", 0, DP_RANGE_UNSATISFIABLE, 0, 0 },
		{ "bytes=0-1,3-4", 10, DP_RANGE_WHOLE, 0, 0 },
		{ "bytes=4-2", 10, DP_RANGE_WHOLE, 0, 0 },
		{ "bytes=a-2", 10, DP_RANGE_WHOLE, 0, 0 },
		{ "items=0-2", 10, DP_RANGE_WHOLE, 0, 0 },
		{ "bytes=-", 10, DP_RANGE_WHOLE, 0, 0 },
		{ "bytes=99999999999999999999999-", 10, DP_RANGE_UNSATISFIABLE,
		  0, 0 },
	};
	struct dp_range r;
	char *py;

	for (size_t i = 0; i < sizeof rg / sizeof rg[0]; i++) {
		int rc = dp_range_parse(rg[i].h, rg[i].size, &r);

		ck_assert_msg(rc == rg[i].rc, "%s: %d", rg[i].h, rc);
		if (rc == DP_RANGE_ONE)
			ck_assert_msg(r.first == rg[i].a && r.last == rg[i].b,
			    "%s: %llu-%llu", rg[i].h,
			    (unsigned long long)r.first,
			    (unsigned long long)r.last);
	}
	ck_assert(dp_etag_match("\"abc\"", "\"abc\"", 0));
	ck_assert(dp_etag_match(" \"x\", \"abc\" ", "\"abc\"", 0));
	ck_assert(dp_etag_match("*", "\"abc\"", 0));
	ck_assert(!dp_etag_match("W/\"abc\"", "\"abc\"", 0));
	ck_assert(dp_etag_match("W/\"abc\"", "\"abc\"", 1));
	ck_assert(!dp_etag_match("\"abcd\"", "\"abc\"", 1));
	ck_assert(!dp_etag_match("abc", "\"abc\"", 1));
	ck_assert(!dp_etag_match("\"abc", "\"abc\"", 1));
	py = sh1("%s -c 'import email.utils; print(int(email.utils."
	    "parsedate_to_datetime(\"Sun, 06 Nov 1994 08:49:37 GMT\")."
	    "timestamp()))'", tu_python());
	ck_assert_int_eq(dp_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
	    atoll(py));
	free(py);
	ck_assert_int_eq(dp_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), -1);
	ck_assert_int_eq(dp_http_date("Sun, 06 Nov 1994 08:49:37 UTC"), -1);
	ck_assert_int_eq(dp_http_date("Sun, 06 Xyz 1994 08:49:37 GMT"), -1);
	ck_assert_int_eq(dp_http_date("Sun, 06 Nov 1994 28:49:37 GMT"), -1);
}
END_TEST

/* The content root's rule, and the library's cache seeing a manifest
 * replaced, rewritten in place, refused and removed. */
START_TEST(test_root_and_cache)
{
	struct dp_manifest *m = NULL;
	struct dp_lib *l;
	char *s, *cause = NULL, path[4300], pkglib[4200];
	int first;

	unsetenv("EHTTP_CONTENT");
	s = manifest_content_root(NULL, "/x/y");
	ck_assert_str_eq(s, "/x/y/content");
	free(s);
	s = manifest_content_root("/opt", "/x/y");
	ck_assert_str_eq(s, "/opt");
	free(s);
	setenv("EHTTP_CONTENT", "/env", 1);
	s = manifest_content_root(NULL, "/x/y");
	ck_assert_str_eq(s, "/env");
	free(s);
	unsetenv("EHTTP_CONTENT");
	s = manifest_lib_dir("/r", MANIFEST_LIB_DP, "dp1.p01.contoso.com");
	ck_assert_str_eq(s, "/r/dp/dp1.p01.contoso.com");
	free(s);

	snprintf(pkglib, sizeof pkglib, "%s/PkgLib", tu_dir);
	snprintf(path, sizeof path, "%s/" PKG ".json", pkglib);
	ck_assert_int_eq(mkdir(pkglib, 0755), 0);
	l = dp_lib_new(tu_dir);
	ck_assert_int_eq(dp_lib_manifest(l, PKG, &m, &cause, &first), 0);
	tu_write_file_mode(path, M(F("a")), strlen(M(F("a"))), 0644);
	ck_assert_int_eq(dp_lib_manifest(l, PKG, &m, &cause, &first), 1);
	ck_assert_uint_eq(m->nfiles, 1);
	dp_manifest_free(m);
	ck_assert_uint_eq(dp_lib_cached(l), 1);
	/* Replaced by a rename (a new inode, same size and second). */
	free(tu_sh_ok("cd '%s' && printf '%%s' '%s' > new && mv new %s.json",
	    pkglib, M(F("b")), PKG));
	ck_assert_int_eq(dp_lib_manifest(l, PKG, &m, &cause, &first), 1);
	ck_assert_str_eq(m->files[0].path, "b");
	/* Rewritten in place: refused, said once. */
	free(tu_sh_ok("printf '%%s' '%s' > '%s'", M(F("..")), path));
	dp_manifest_free(m);
	ck_assert_int_eq(dp_lib_manifest(l, PKG, &m, &cause, &first), -1);
	ck_assert_int_eq(first, 1);
	ck_assert_ptr_nonnull(strstr(cause, "a '..' segment"));
	free(cause);
	ck_assert_int_eq(dp_lib_manifest(l, PKG, &m, &cause, &first), -1);
	ck_assert_int_eq(first, 0);
	free(cause);
	/* Removed: gone at once. */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(dp_lib_manifest(l, PKG, &m, &cause, &first), 0);
	ck_assert_uint_eq(dp_lib_cached(l), 0);
	dp_lib_free(l);
}
END_TEST

/* tests/fuzz/corpus-dp/ and tests/fuzz/regress/dp-* through fuzz-dp's
 * checks (make fuzz runs them for long). */
START_TEST(test_fuzz_seeds)
{
	static const char *const dirs[][2] = { { "corpus-dp", "" },
	    { "regress", "dp-" } };
	int seen = 0;

	for (size_t i = 0; i < 2; i++) {
		char path[4200];
		struct dirent *d;
		DIR *dp;

		snprintf(path, sizeof path, "%s/tests/fuzz/%s", EHTTP_SRCDIR,
		    dirs[i][0]);
		ck_assert_ptr_nonnull(dp = opendir(path));
		while ((d = readdir(dp)) != NULL) {
			char *data;
			size_t len;

			if (d->d_name[0] == '.' || strncmp(d->d_name,
			    dirs[i][1], strlen(dirs[i][1])) != 0)
				continue;
			snprintf(path, sizeof path, "%s/tests/fuzz/%s/%s",
			    EHTTP_SRCDIR, dirs[i][0], d->d_name);
			ck_assert_ptr_nonnull(data = tu_read_file(path, &len));
			fuzz_dp_one((const uint8_t *)data, len);
			free(data);
			seen++;
		}
		closedir(dp);
	}
	ck_assert_int_ge(seen, 7);
}
END_TEST

/* ------------------------------------------------------------ the agent */

/* DIR/src: a package's tree; names that need escaping in a URL and in
 * XML, UTF-8, an empty file, sub-folders. */
static void
setup(void)
{
	dir = tu_mp_copy(db, sizeof db, root, sizeof root);
	snprintf(src, sizeof src, "%s/src", dir);
	free(tu_sh_ok("%s -c 'import os, sys\n"
	    "d = sys.argv[1]\n"
	    "os.makedirs(d + \"/data/sub\")\n"
	    "open(d + \"/setup.exe\", \"wb\").write(os.urandom(100000))\n"
	    "open(d + \"/data/cab1.cab\", \"wb\").write(os.urandom(1048583))\n"
	    "open(d + \"/data/sub/deep.txt\", \"wb\").write(b\"deep\\n\")\n"
	    "open(d + \"/empty.txt\", \"wb\").close()\n"
	    "open(d + \"/a & b <c> \\x27q\\x27 \\\"d\\\" %%41 #?.txt\","
	    " \"wb\").write(b\"odd\\n\")\n"
	    "open(d + \"/donn\\u00e9es \\u00e9t\\u00e9.bin\", \"wb\")"
	    ".write(b\"utf8\\n\")\n' '%s'", tu_python(), src));
}

static void
teardown(void)
{
	tu_mpd_teardown(&agent, &dir);
}

/* DIR/name (tu_join: up to four held at once). */
static const char *
dpath(const char *name)
{
	return tu_join(dir, name);
}

/* The library of system f (default content root: beside the database). */
static const char *
lib_of(const char *f)
{
	static char lib[4200];

	snprintf(lib, sizeof lib, "%s/content/dp/%s", dir, f);
	return lib;
}

/* dplib.py add: package pkg version ver from tree from into f's library;
 * the manifest it wrote (JSON). */
static char *
lib_add(const char *f, const char *pkg, int ver, const char *from,
    const char *extra)
{
	return tu_sh_ok("%s '%s/tests/dplib.py' add '%s' %s %d 'Package %s'"
	    " '%s' %s", tu_python(), EHTTP_SRCDIR, lib_of(f), pkg, ver, pkg,
	    from, extra != NULL ? extra : "");
}

static int
log_has(const char *path, const char *needle)
{
	char *s = tu_read_file(path, NULL);
	int n = s != NULL && strstr(s, needle) != NULL;

	if (!n && s != NULL) {	/* what the log said instead */
		size_t len = strlen(s);
		fprintf(stderr, "%s has no \"%s\"; its end:\n%s\n", path,
		    needle, s + (len > 2048 ? len - 2048 : 0));
	}
	free(s);
	return n;
}

/* The agent's content log (smsdpcontent.log) and its control log
 * (mpcontrol.log) asserted to say text. */
static void
content_logged(const char *text)
{
	ck_assert(log_has(dpath("logs/smsdpcontent.log"), text));
}

static void
control_logged(const char *text)
{
	ck_assert(log_has(dpath("logs/mpcontrol.log"), text));
}

/* ehttpctl role set F dp OPT VAL (asserted). */
static void
dp_set(const char *f, const char *opt, const char *val)
{
	tu_ctl_ok(db, "role", "set", f, "dp", opt, val, NULL);
}

/* ehttp-mpd for f on free loopback ports, polling every second, with one
 * more argument pair (or NULL); returns once mpcontrol.log says it
 * started (asserted). */
static void
agent_start(const char *f, const char *opt, const char *val)
{
	char https[64], http[64], logs[4200], mpc[4300], outf[4200];

	snprintf(fqdn, sizeof fqdn, "%s", f);
	snprintf(logs, sizeof logs, "%s/logs", dir);
	snprintf(mpc, sizeof mpc, "%s/mpcontrol.log", logs);
	snprintf(outf, sizeof outf, "%s/agent.out", dir);
	for (int attempt = 0; attempt < 5; attempt++) {
		char *argv[32];
		size_t n = 0;
		int started = 0, st;

		https_port = tu_free_port();
		do
			http_port = tu_free_port();
		while (http_port == https_port);
		snprintf(https, sizeof https, "127.0.0.1:%d", https_port);
		snprintf(http, sizeof http, "127.0.0.1:%d", http_port);
		unlink(mpc);
		argv[n++] = (char *)tu_bin("ehttp-mpd");
		argv[n++] = "--db";
		argv[n++] = db;
		argv[n++] = "--system";
		argv[n++] = (char *)f;
		argv[n++] = "--https";
		argv[n++] = https;
		argv[n++] = "--http";
		argv[n++] = http;
		argv[n++] = "--log-dir";
		argv[n++] = logs;
		argv[n++] = "--poll";
		argv[n++] = "1";
		argv[n++] = "--foreground";
		if (opt != NULL) {
			argv[n++] = (char *)opt;
			argv[n++] = (char *)val;
		}
		argv[n] = NULL;
		agent = tu_spawn_to(argv[0], argv, outf);
		for (int ms = 0; ms < WAIT_MS && !started; ms += 20) {
			if (log_has(mpc, "MP Control Manager started for"))
				started = 1;
			else if (waitpid(agent, &st, WNOHANG) == agent) {
				agent = -1;
				break;
			}
			else
				tu_msleep(20);
		}
		if (started)
			return;
		ck_assert_msg(agent == -1, "the agent did not start in time");
		if (!log_has(outf, "in use"))
			ck_abort_msg("the agent did not start: %s",
			    tu_read_file(outf, NULL));
	}
	ck_abort_msg("no free ports for the agent");
}

/* One request by curl to the agent (tls: HTTPS verified against the
 * site's root for the system's name); opts are more curl options. The
 * status code; the headers in DIR/h, the body in DIR/b. */
static int
http(int tls, const char *opts, const char *target)
{
	if (tls)
		return tu_sh_int("curl -sS --path-as-is --max-time 60 -o '%s/b'"
		    " -D '%s/h' -w '%%{http_code}' --cacert '%s' --resolve"
		    " %s:%d:127.0.0.1 %s 'https://%s:%d%s'", dir, dir, root,
		    fqdn, https_port, opts, fqdn, https_port, target);
	return tu_sh_int("curl -sS --path-as-is --max-time 60 -o '%s/b' -D"
	    " '%s/h' -w '%%{http_code}' %s 'http://127.0.0.1:%d%s'", dir, dir,
	    opts, http_port, target);
}

/* A header of the last reply (DIR/h), malloc'ed; "" if absent. */
static char *
header(const char *name)
{
	return sh1("tr -d '\\r' < '%s/h' | sed -n 's/^%s: //Ip' | head -1;"
	    " true", dir, name);
}

/* src/rel quoted for the shell (malloc'ed): 'a'\''b'. */
static char *
src_q(const char *rel)
{
	char *path, *q, *o;

	xasprintf(&path, "%s/%s", src, rel);
	o = q = xmalloc(4 * strlen(path) + 3);
	*o++ = '\'';
	for (const char *p = path; *p != '\0'; p++)
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else
			*o++ = *p;
	*o++ = '\'';
	*o = '\0';
	free(path);
	return q;
}

/* The last body is byte for byte the source file rel (cmp). */
static void
body_is(const char *rel)
{
	char *q = src_q(rel);

	ck_assert_msg(tu_sh(NULL, NULL, "cmp '%s/b' %s", dir, q) == 0,
	    "the body is not %s", rel);
	free(q);
}

/* The sha256 of source file rel (python3's hashlib). */
static char *
sha_of(const char *rel)
{
	char *q = src_q(rel), *sha;

	sha = sh1("%s -c 'import hashlib,sys; print(hashlib.sha256(open("
	    "sys.argv[1], \"rb\").read()).hexdigest())' %s", tu_python(), q);
	free(q);
	return sha;
}

/* Wait until a request gets want (a poll of the agent applies a change). */
static void
wait_code(int want, int tls, const char *opts, const char *target)
{
	int got = 0;

	for (int ms = 0; ms < WAIT_MS; ms += 100) {
		if ((got = http(tls, opts, target)) == want)
			return;
		tu_msleep(100);
	}
	ck_abort_msg("%s: %d, want %d", target, got, want);
}

#define T(path)	"/SMS_DP_SMSPKG$/" PKG "/" path

/*
 * GET and HEAD on both ports: the bytes are the source's (cmp), HEAD gets
 * GET's headers without a body; Content-Length, the ETag (the sha256
 * python3 computes), Last-Modified (the manifest's time); names that need
 * escaping; the folder names in any case. The DP's anonymous folder on an
 * agent started with --content.
 */
START_TEST(test_get_and_head)
{
	char *v, *sha, other[4200], want[128];
	static const char *const files[][2] = {
		{ "setup.exe", T("setup.exe") },
		{ "data/cab1.cab", T("data/cab1.cab") },
		{ "data/sub/deep.txt", T("data/sub/deep.txt") },
		{ "empty.txt", T("empty.txt") },
		{ "a & b <c> 'q' \"d\" %41 #?.txt",
		  T("a%20%26%20b%20%3Cc%3E%20%27q%27%20%22d%22%20%2541%20%23%3F.txt") },
		{ "donn\xc3\xa9" "es \xc3\xa9t\xc3\xa9.bin",
		  T("donn%C3%A9es%20%C3%A9t%C3%A9.bin") },
	};
	struct stat st;

	free(lib_add(DP2, PKG, 1, src, NULL));
	/* The library where --content says, not beside the database. */
	snprintf(other, sizeof other, "%s/elsewhere", dir);
	ck_assert_int_eq(tu_sh(NULL, NULL, "mkdir -p '%s/dp' && mv '%s/content/dp/"
	    DP2 "' '%s/dp/'", other, dir, other), 0);
	agent_start(DP2, "--content", other);
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		for (int tls = 0; tls < 2; tls++) {
			ck_assert_int_eq(http(tls, "", files[i][1]), 200);
			body_is(files[i][0]);
			sha = sha_of(files[i][0]);
			snprintf(want, sizeof want, "\"%s\"", sha);
			v = header("ETag");
			ck_assert_str_eq(v, want);
			free(v);
			free(sha);
			ck_assert_int_eq(http(tls, "-I", files[i][1]), 200);
			v = header("Content-Length");
			sha = src_q(files[i][0]);
			ck_assert_int_eq(tu_sh(NULL, NULL, "test \"$(stat -c %%s"
			    " %s)\" = '%s'", sha, v), 0);
			free(sha);
			free(v);
		}
	/* HEAD has no body: nothing after the headers until the close. */
	v = sh1("%s '%s/tests/dplib.py' raw %d %s '%s/b' HEAD", tu_python(),
	    EHTTP_SRCDIR, http_port, "2f534d535f44505f534d53504b47242f"
	    "50303130303041332f73657475702e657865", dir);
	ck_assert_str_eq(v, "200");
	free(v);
	ck_assert_int_eq(tu_sh(NULL, NULL, "test ! -s '%s/b'", dir), 0);
	/* Last-Modified is the manifest's time (python3 reads the date). */
	ck_assert_int_eq(stat(dpath("elsewhere/dp/" DP2 "/PkgLib/" PKG
	    ".json"), &st), 0);
	ck_assert_int_eq(http(0, "-I", T("setup.exe")), 200);
	v = header("Last-Modified");
	sha = sh1("%s -c 'import email.utils,sys; print(int(email.utils."
	    "parsedate_to_datetime(sys.argv[1]).timestamp()))' '%s'",
	    tu_python(), v);
	ck_assert_int_eq(atoll(sha), (long long)st.st_mtime);
	free(sha);
	free(v);
	v = header("Accept-Ranges");
	ck_assert_str_eq(v, "bytes");
	free(v);
	/* Folder names in any case; the NOCERT folder over TLS. */
	ck_assert_int_eq(http(0, "", "/sms_dp_smspkg$/p01000a3/setup.exe"),
	    200);
	body_is("setup.exe");
	ck_assert_int_eq(http(1, "", "/NOCERT_SMS_DP_SMSPKG$/" PKG
	    "/data/cab1.cab"), 200);
	body_is("data/cab1.cab");
	/* Not over HTTP: NOCERT and the token folders are TLS only. */
	ck_assert_int_eq(http(0, "", "/NOCERT_SMS_DP_SMSPKG$/" PKG
	    "/setup.exe"), 403);
	ck_assert_int_eq(http(0, "", "/CCMTOKENAUTH_SMS_DP_SMSPKG$/" PKG
	    "/setup.exe"), 403);
	/* What is not there; a folder by GET; the folder of packages. */
	ck_assert_int_eq(http(0, "", T("nothere.exe")), 404);
	ck_assert_int_eq(http(0, "", "/SMS_DP_SMSPKG$/P01000A4/setup.exe"),
	    404);
	ck_assert_int_eq(http(0, "", "/SMS_DP_SMSPKG$/NOTAPKG/setup.exe"), 404);
	ck_assert_int_eq(http(0, "", T("data/")), 403);
	ck_assert_int_eq(http(0, "", "/SMS_DP_SMSPKG$/"), 403);
	ck_assert_int_eq(http(0, "-X POST -d x", T("setup.exe")), 405);
	v = header("Allow");
	ck_assert_str_eq(v, "GET, HEAD, PROPFIND");
	free(v);
	/* Each request is a line in smsdpcontent.log. */
	content_logged("GET /SMS_DP_SMSPKG$/" PKG "/setup.exe from 127.0.0.1:");
	content_logged("over HTTPS: 200, package " PKG " version 1,"
	    " data/cab1.cab, 1048583 bytes");
	control_logged("Distribution point: serving the content of");
}
END_TEST

/* One byte range: 206 with Content-Range and exactly those bytes (python3
 * slices the source), 416 outside the file, several ranges: the whole
 * file; If-Range, If-None-Match and If-Modified-Since. */
START_TEST(test_ranges)
{
	static const struct { const char *range; long a, b; } r[] = {
		{ "10-19", 10, 19 }, { "1048000-", 1048000, 1048582 },
		{ "-7", 1048576, 1048582 }, { "0-0", 0, 0 },
	};
	char *v, *sha, opt[512], want[256];

	free(lib_add(DP2, PKG, 1, src, NULL));
	agent_start(DP2, NULL, NULL);
	sha = sha_of("data/cab1.cab");
	for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
		for (int tls = 0; tls < 2; tls++) {
			snprintf(opt, sizeof opt, "-r %s", r[i].range);
			ck_assert_int_eq(http(tls, opt, T("data/cab1.cab")), 206);
			v = header("Content-Range");
			snprintf(want, sizeof want, "bytes %ld-%ld/1048583",
			    r[i].a, r[i].b);
			ck_assert_str_eq(v, want);
			free(v);
			ck_assert_int_eq(tu_sh(NULL, NULL, "%s -c 'import sys;"
			    " s = open(sys.argv[1], \"rb\").read()[%ld:%ld];"
			    " sys.exit(s != open(sys.argv[2], \"rb\").read())'"
			    " '%s/data/cab1.cab' '%s/b'", tu_python(), r[i].a,
			    r[i].b + 1, src, dir), 0);
		}
	ck_assert_int_eq(http(0, "-r 1048583-", T("data/cab1.cab")), 416);
	v = header("Content-Range");
	ck_assert_str_eq(v, "bytes */1048583");
	free(v);
	ck_assert_int_eq(http(1, "-r 0-", T("empty.txt")), 416);
	ck_assert_int_eq(http(0, "-r 0-1,5-6", T("data/cab1.cab")), 200);
	body_is("data/cab1.cab");
	/* If-Range: the same version ranges, another one gets it whole. */
	snprintf(opt, sizeof opt, "-r 5-9 -H 'If-Range: \"%s\"'", sha);
	ck_assert_int_eq(http(1, opt, T("data/cab1.cab")), 206);
	ck_assert_int_eq(http(1, "-r 5-9 -H 'If-Range: \"0000\"'",
	    T("data/cab1.cab")), 200);
	body_is("data/cab1.cab");
	/* Not modified. */
	snprintf(opt, sizeof opt, "-H 'If-None-Match: \"x\", \"%s\"'", sha);
	ck_assert_int_eq(http(0, opt, T("data/cab1.cab")), 304);
	v = header("ETag");
	snprintf(want, sizeof want, "\"%s\"", sha);
	ck_assert_str_eq(v, want);
	free(v);
	ck_assert_int_eq(http(0, "-H 'If-None-Match: \"x\"'",
	    T("data/cab1.cab")), 200);
	ck_assert_int_eq(http(0, "-H 'If-Modified-Since: Fri, 01 Jan 2100"
	    " 00:00:00 GMT'", T("data/cab1.cab")), 304);
	ck_assert_int_eq(http(0, "-H 'If-Modified-Since: Thu, 01 Jan 1970"
	    " 00:00:00 GMT'", T("data/cab1.cab")), 200);
	/* Several requests on one connection (keep-alive after a file). */
	free(tu_sh_ok("curl -sS -o '%s/b1' -o '%s/b2' -r 3-5"
	    " 'http://127.0.0.1:%d%s' 'http://127.0.0.1:%d%s' && cmp -n 3"
	    " '%s/b2' '%s/setup.exe' -i 0:3 && test $(stat -c %%s '%s/b2') = 3",
	    dir, dir, http_port, T("data/cab1.cab"), http_port, T("setup.exe"),
	    dir, src, dir));
	free(sha);
}
END_TEST

/* PROPFIND: what python3's xml.etree reads of the 207 listing is the
 * tree (names, sizes, etags, hashes, collections), Depth 0 and 1, on the
 * package, a sub-folder and a file; Depth infinity or none: 403. */
START_TEST(test_propfind)
{
	static const struct { const char *path, *url; int depth; } q[] = {
		{ "", "/SMS_DP_SMSPKG$/" PKG, 1 },
		{ "", "/SMS_DP_SMSPKG$/" PKG "/", 0 },
		{ "data", T("data/"), 1 },
		{ "data/sub", T("data/sub"), 1 },
		{ "data/cab1.cab", T("data/cab1.cab"), 0 },
		{ "a & b <c> 'q' \"d\" %41 #?.txt",
		  T("a%20%26%20b%20%3Cc%3E%20%27q%27%20%22d%22%20%2541%20%23%3F.txt"),
		  1 },
	};
	char opt[256], name[4200], *out;

	free(lib_add(DP2, PKG, 1, src, NULL));
	agent_start(DP2, NULL, NULL);
	/* The path goes to python3 through a file: no shell quoting. */
	snprintf(name, sizeof name, "%s/name", dir);
	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++)
		for (int tls = 0; tls < 2; tls++) {
			ck_assert_int_eq(tu_write_file(name, q[i].path,
			    strlen(q[i].path)), 0);
			snprintf(opt, sizeof opt, "-X PROPFIND -H 'Depth: %d'",
			    q[i].depth);
			ck_assert_int_eq(http(tls, opt, q[i].url), 207);
			out = sh1("%s '%s/tests/dplib.py' propfind-check '%s/b'"
			    " '%s' 'SMS_DP_SMSPKG$' %s \"$(cat '%s')\" %d",
			    tu_python(), EHTTP_SRCDIR, dir, src, PKG, name,
			    q[i].depth);
			ck_assert_msg(strncmp(out, "ok ", 3) == 0, "%s: %s",
			    q[i].url, out);
			free(out);
		}
	/* The package listing: itself and the 5 entries inside. */
	ck_assert_int_eq(http(0, "-X PROPFIND -H 'Depth: 1'",
	    "/SMS_DP_SMSPKG$/" PKG "/"), 207);
	out = sh1("%s '%s/tests/dplib.py' propfind-check '%s/b' '%s'"
	    " 'SMS_DP_SMSPKG$' %s '' 1", tu_python(), EHTTP_SRCDIR, dir, src,
	    PKG);
	ck_assert_str_eq(out, "ok 6");
	free(out);
	/* A body (what a WebDAV client asks for) is read; keep-alive on. */
	ck_assert_int_eq(http(1, "-X PROPFIND -H 'Depth: 0' -H 'Content-Type:"
	    " text/xml' --data '<?xml version=\"1.0\"?><propfind xmlns="
	    "\"DAV:\"><allprop/></propfind>'", T("setup.exe")), 207);
	ck_assert_int_eq(http(0, "-X PROPFIND -H 'Depth: infinity'",
	    "/SMS_DP_SMSPKG$/" PKG "/"), 403);
	ck_assert_int_eq(http(0, "-X PROPFIND", "/SMS_DP_SMSPKG$/" PKG "/"),
	    403);
	ck_assert_int_eq(http(0, "-X PROPFIND -H 'Depth: 2'",
	    "/SMS_DP_SMSPKG$/" PKG "/"), 400);
	ck_assert_int_eq(http(0, "-X PROPFIND -H 'Depth: 1'", T("nothere/")),
	    404);
}
END_TEST

/* A DP that refuses WebDAV listings answers PROPFIND with 405 (and Allow)
 * from the agent's next poll; GET still works; allowed again, 207. */
START_TEST(test_propfind_refused)
{
	char *v;

	free(lib_add(DP2, PKG, 1, src, NULL));
	agent_start(DP2, NULL, NULL);
	ck_assert_int_eq(http(0, "-X PROPFIND -H 'Depth: 1'", T("")), 207);
	dp_set(DP2, "--allow-propfind", "no");
	wait_code(405, 0, "-X PROPFIND -H 'Depth: 1'", T(""));
	v = header("Allow");
	ck_assert_str_eq(v, "GET, HEAD");
	free(v);
	ck_assert_int_eq(http(1, "-X PROPFIND -H 'Depth: 0'", T("setup.exe")),
	    405);
	ck_assert_int_eq(http(0, "", T("setup.exe")), 200);
	body_is("setup.exe");
	control_logged("WebDAV listings refused)");
	content_logged(": 405, WebDAV listings (PROPFIND) are not allowed");
	dp_set(DP2, "--allow-propfind", "yes");
	wait_code(207, 0, "-X PROPFIND -H 'Depth: 1'", T(""));
}
END_TEST

/*
 * A DP without anonymous access: 401 with IIS's challenges on its
 * anonymous folders; the token folders answer 401 (a Bearer challenge)
 * without a token or with one that is not a token (the real tokens: the
 * client suite). Anonymous access turned on: served from the next poll. A system
 * without the DP role serves no content.
 */
START_TEST(test_anonymous_and_token)
{
	static const char *const token[] = {
		"/CCMTOKENAUTH_SMS_DP_SMSPKG$/" PKG "/setup.exe",
		"/CCMTOKENAUTH_SMS_DP_SMSSIG$/" PKG "/setup.exe",
		"/ccmtokenauth_sms_dp_smspkg$/" PKG "/",
	};
	char *v;

	free(lib_add(DP1, PKG, 1, src, NULL));
	agent_start(DP1, NULL, NULL);
	ck_assert_int_eq(http(0, "", T("setup.exe")), 401);
	ck_assert_int_eq(tu_sh(NULL, NULL, "tr -d '\\r' < '%s/h' | grep -qx"
	    " 'WWW-Authenticate: Negotiate' && tr -d '\\r' < '%s/h' | grep -qx"
	    " 'WWW-Authenticate: NTLM'", dir, dir), 0);
	ck_assert_int_eq(http(1, "", "/NOCERT_SMS_DP_SMSPKG$/" PKG
	    "/setup.exe"), 401);
	ck_assert_int_eq(http(1, "-X PROPFIND -H 'Depth: 1'", T("")), 401);
	for (size_t i = 0; i < sizeof token / sizeof token[0]; i++) {
		ck_assert_int_eq(http(1, "", token[i]), 401);
		v = header("WWW-Authenticate");
		ck_assert_str_eq(v, "Bearer realm=\"SMS_DP\"");
		free(v);
		ck_assert_int_eq(http(1, "-H 'Authorization: Bearer abc.def.ghi'"
		    " -X PROPFIND -H 'Depth: 1'", token[i]), 401);
	}
	content_logged("401, content access token refused: no Authorization"
	    " header");
	content_logged("401, content access token refused: token header: not"
	    " JSON");
	content_logged("401, anonymous access is not allowed on this"
	    " distribution point");
	dp_set(DP1, "--allow-anonymous", "yes");
	wait_code(200, 0, "", T("setup.exe"));
	body_is("setup.exe");
	ck_assert_int_eq(http(1, "", token[0]), 401);
	/* The role removed: nothing served any more. */
	tu_ctl_ok(db, "role", "remove", DP1, "dp", NULL);
	wait_code(404, 0, "", T("setup.exe"));
	control_logged("no longer has the role");
}
END_TEST

/*
 * Paths that try to leave the package, sent as raw bytes (python3's
 * socket): 400 or 404, never the bytes of a file outside the library
 * (a secret beside it, /etc/passwd) nor of another package's file by its
 * FileLib name. A raw ESC in a target is logged escaped.
 */
/* The request target t, sent as raw bytes (python3's socket): status
 * want, and no byte of the secrets or of /etc/passwd in the body. */
static void
raw_refused(const char *t, int want)
{
	char *hex = xmalloc(strlen(t) * 2 + 1), *out, *body;

	for (size_t k = 0; t[k]; k++)
		sprintf(hex + 2 * k, "%02x", (unsigned char)t[k]);
	out = sh1("%s '%s/tests/dplib.py' raw %d %s '%s/b'", tu_python(),
	    EHTTP_SRCDIR, http_port, hex, dir);
	ck_assert_msg(atoi(out) == want, "%s: %s, want %d", t, out, want);
	body = tu_read_file(dpath("b"), NULL);
	ck_assert_msg(strstr(body, "TOPSECRET") == NULL &&
	    strstr(body, "root:") == NULL, "%s: %s", t, body);
	free(body);
	free(out);
	free(hex);
}

START_TEST(test_traversal)
{
	/* 400: dot segments (plain, percent-encoded, with backslashes, as
	 * overlong UTF-8), NUL bytes, "." and empty segments, a bad escape,
	 * a control byte. */
	static const char *const bad[] = {
		T("../../secret.txt"), T("../../../../../../etc/passwd"),
		T("%2e%2e/%2e%2e/secret.txt"),
		T("%2E%2E%2F%2E%2E%2Fsecret.txt"),
		"/SMS_DP_SMSPKG$/..%2f..%2fsecret.txt",
		"/SMS_DP_SMSPKG$/../secret.txt",
		T("setup.exe%00.txt"), T("setup.exe%00"),
		T("..\\..\\secret.txt"), T("%5c..%5c..%5csecret.txt"),
		T("%c0%ae%c0%ae/%c0%ae%c0%ae/secret.txt"),
		T("%c0%af..%c0%afsecret.txt"),
		T("%e0%80%ae%e0%80%ae/secret.txt"),
		T("./setup.exe"), T("data//cab1.cab"), T("%zz"),
		T("%1b[31mred"), T("\x1b[31mraw"),
	};
	/* 404: escaped twice is a name; the library's own folders. */
	static const char *const absent[] = {
		T("%252e%252e/%252e%252e/secret.txt"),
		"/SMS_DP_SMSPKG$/FileLib/", T("FileLib/"),
		"/SMS_DP_SMSPKG$/PkgLib/" PKG ".json",
		"/SMS_DP_SMSPKG$/" PKG ".json",
	};
	char *out, *secret, longt[4000], *sha;

	free(lib_add(DP2, PKG, 1, src, NULL));
	secret = tu_sh_ok("printf TOPSECRET > '%s/content/dp/secret.txt' &&"
	    " printf TOPSECRET > '%s/content/secret.txt' && echo", dir, dir);
	free(secret);
	agent_start(DP2, NULL, NULL);
	sha = sha_of("setup.exe");
	for (size_t i = 0; i < TU_ALL(bad); i++)
		raw_refused(bad[i], 400);
	for (size_t i = 0; i < TU_ALL(absent); i++)
		raw_refused(absent[i], 404);
	snprintf(longt, sizeof longt, T("%01025d"), 0);	/* 1025 bytes */
	raw_refused(longt, 400);
	/* The request line's limit: 400 before the DP. */
	snprintf(longt, sizeof longt, T("%03000d"), 0);
	raw_refused(longt, 400);
	snprintf(longt, sizeof longt, T("FileLib/%.4s/%s"), sha, sha);
	raw_refused(longt, 404);
	free(sha);
	/* An encoded control character is refused as one, and logged as
	 * it came: no raw ESC in the log. (A raw one in the request line
	 * is a 400 before the DP.) */
	out = tu_read_file(dpath("logs/smsdpcontent.log"), NULL);
	ck_assert_ptr_nonnull(strstr(out, "/%1b[31mred from 127.0.0.1:"));
	tu_has(out, "400, refused: a control character", NULL);
	ck_assert_ptr_null(strchr(out, '\x1b'));
	ck_assert_ptr_nonnull(strstr(out, ": 400, refused: a '.' or '..'"
	    " path segment"));
	free(out);
}
END_TEST

/*
 * A package updated while clients download its big file (over HTTP and
 * over TLS, rate-limited by curl): the new version's manifest written and
 * the old file removed from FileLib mid-download. Each client gets the
 * old bytes whole or fails, never a mix (cmp against both versions); the
 * next request gets the new version.
 */
START_TEST(test_swap_during_download)
{
	char *out, old[4200], neu[4200], *sha_old;
	pid_t c[2];
	int st[2];

	snprintf(old, sizeof old, "%s/v1", dir);
	snprintf(neu, sizeof neu, "%s/v2", dir);
	free(tu_sh_ok("mkdir -p '%s' '%s' && head -c 33554432 /dev/urandom >"
	    " '%s/big.bin' && head -c 33554432 /dev/urandom > '%s/big.bin'",
	    old, neu, old, neu));
	free(lib_add(DP2, PKG, 1, old, NULL));
	/* Version 2 made beforehand in a library of its own: the update is
	 * then a hard link and a manifest, done at once mid-download. */
	free(tu_sh_ok("%s '%s/tests/dplib.py' add '%s/stage' %s 2 v2 '%s'",
	    tu_python(), EHTTP_SRCDIR, dir, PKG, neu));
	agent_start(DP2, NULL, NULL);
	sha_old = sh1("sha256sum '%s/big.bin' | cut -c1-64", old);
	for (int tls = 0; tls < 2; tls++) {
		char cmd[8192];

		if (tls)
			snprintf(cmd, sizeof cmd, "exec curl -sS --limit-rate 6M"
			    " --max-time 60 -o '%s/got%d' --cacert '%s' --resolve"
			    " %s:%d:127.0.0.1 'https://%s:%d%s'", dir, tls, root,
			    DP2, https_port, DP2, https_port, T("big.bin"));
		else
			snprintf(cmd, sizeof cmd, "exec curl -sS --limit-rate 6M"
			    " --max-time 60 -o '%s/got%d' 'http://127.0.0.1:%d%s'",
			    dir, tls, http_port, T("big.bin"));
		if ((c[tls] = fork()) == 0) {
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
			_exit(127);
		}
		ck_assert_int_gt(c[tls], 0);
	}
	/* Both have started receiving, and are far from done. */
	for (int ms = 0; ms < WAIT_MS; ms += 20) {
		struct stat s0, s1;

		if (stat(dpath("got0"), &s0) == 0 && s0.st_size > 1000000 &&
		    stat(dpath("got1"), &s1) == 0 && s1.st_size > 1000000)
			break;
		tu_msleep(20);
	}
	free(tu_sh_ok("cd '%s/stage' && for f in FileLib/*/*; do mkdir -p"
	    " \"%s/$(dirname \"$f\")\" && ln \"$f\" \"%s/$f\"; done &&"
	    " %s '%s/tests/dplib.py' manifest '%s' %s PkgLib/%s.json &&"
	    " %s '%s/tests/dplib.py' gc '%s'", dir, lib_of(DP2), lib_of(DP2),
	    tu_python(), EHTTP_SRCDIR, lib_of(DP2), PKG, PKG, tu_python(),
	    EHTTP_SRCDIR, lib_of(DP2)));
	/* The old bytes are gone from the library while they are sent. */
	ck_assert_int_eq(tu_sh(NULL, NULL, "test ! -e '%s/FileLib/%.4s/%s'",
	    lib_of(DP2), sha_old, sha_old), 0);
	for (int tls = 0; tls < 2; tls++) {
		struct stat s;

		ck_assert_int_eq(stat(dpath(tls ? "got1" : "got0"), &s), 0);
		ck_assert_msg(s.st_size < 33554432, "download %d finished"
		    " before the update", tls);
	}
	for (int tls = 0; tls < 2; tls++) {
		ck_assert_int_eq(waitpid(c[tls], &st[tls], 0), c[tls]);
		out = sh1("if cmp -s '%s/got%d' '%s/big.bin'; then echo old;"
		    " elif cmp -s '%s/got%d' '%s/big.bin'; then echo new;"
		    " else echo mixed; fi", dir, tls, old, dir, tls, neu);
		/* Whole old bytes (curl ok), or a failure: never a mix. */
		ck_assert_msg(WIFEXITED(st[tls]) && WEXITSTATUS(st[tls]) == 0 ?
		    strcmp(out, "old") == 0 : strcmp(out, "mixed") != 0 ||
		    tu_sh(NULL, NULL, "cmp -s -n \"$(stat -c %%s '%s/got%d')\""
		    " '%s/got%d' '%s/big.bin'", dir, tls, dir, tls, old) == 0,
		    "client %d (exit %d) got %s bytes", tls, st[tls], out);
		ck_assert_str_eq(out, "old");	/* the agent kept its copy */
		free(out);
	}
	for (int tls = 0; tls < 2; tls++) {
		ck_assert_int_eq(http(tls, "", T("big.bin")), 200);
		ck_assert_int_eq(tu_sh(NULL, NULL, "cmp -s '%s/b' '%s/big.bin'",
		    dir, neu), 0);
	}
	free(sha_old);
}
END_TEST

/* The Resident high-water mark of a process, in kB (/proc/PID/status). */
static long
vm_hwm(pid_t pid)
{
	char *v = sh1("sed -n 's/^VmHWM:[[:space:]]*//p' /proc/%d/status",
	    (int)pid);
	long kb = atol(v);

	free(v);
	return kb;
}

/*
 * A 1 GiB file (sparse, with random blocks) served over HTTP and over TLS:
 * what arrives has the manifest's sha256 (sha256sum), and the agent's
 * resident high-water mark stays far below the file's size.
 */
START_TEST(test_big_file)
{
	char big[4200], *want, *got;
	long hwm;
	/* The sanitizer's own bookkeeping comes on top (its quarantine is
	 * cut to 16 MiB for this agent). */
#if defined(__SANITIZE_ADDRESS__)
	const long limit = 160 * 1024;
#else
	const long limit = 64 * 1024;
#endif

	snprintf(big, sizeof big, "%s/big", dir);
	free(tu_sh_ok("mkdir -p '%s' && truncate -s 1G '%s/one.bin' && for o in"
	    " 0 300 700 1023; do head -c 1048576 /dev/urandom | dd"
	    " of='%s/one.bin' bs=1M seek=$o conv=notrunc status=none; done",
	    big, big, big));
	free(lib_add(DP2, PKG, 1, big, "--link"));
	want = sh1("sha256sum '%s/one.bin' | cut -c1-64", big);
	setenv("ASAN_OPTIONS", "quarantine_size_mb=16:detect_leaks=0", 1);
	agent_start(DP2, NULL, NULL);
	unsetenv("ASAN_OPTIONS");
	for (int tls = 0; tls < 2; tls++) {
		if (tls)
			got = sh1("curl -sS --max-time 120 --cacert '%s' --resolve"
			    " %s:%d:127.0.0.1 'https://%s:%d%s' | sha256sum |"
			    " cut -c1-64", root, DP2, https_port, DP2, https_port,
			    T("one.bin"));
		else
			got = sh1("curl -sS --max-time 120 'http://127.0.0.1:%d%s'"
			    " | sha256sum | cut -c1-64", http_port, T("one.bin"));
		ck_assert_str_eq(got, want);
		free(got);
	}
	hwm = vm_hwm(agent);
	fprintf(stderr, "test_big_file: 1 GiB sent twice, the agent's VmHWM"
	    " %ld kB\n", hwm);
	ck_assert_msg(hwm > 0 && hwm < limit, "VmHWM %ld kB", hwm);
	free(want);
}
END_TEST

/*
 * The agent and a library's changes: a package updated is served in its
 * new version at the next request (no poll needed), a refused manifest
 * is 404 with its reason (smsdpcontent.log, and mpcontrol.log once), a
 * removed package 404; a FileLib file that does not match its manifest
 * is a 500, never wrong bytes.
 */
START_TEST(test_library_changes)
{
	char bad[4200], v2[4200], *sha;

	free(lib_add(DP2, PKG, 1, src, NULL));
	agent_start(DP2, NULL, NULL);
	ck_assert_int_eq(http(0, "", T("setup.exe")), 200);
	body_is("setup.exe");
	snprintf(v2, sizeof v2, "%s/v2", dir);
	free(tu_sh_ok("mkdir -p '%s' && printf 'version two' > '%s/setup.exe'",
	    v2, v2));
	free(lib_add(DP2, PKG, 2, v2, NULL));
	ck_assert_int_eq(http(1, "", T("setup.exe")), 200);
	ck_assert_int_eq(tu_sh(NULL, NULL, "cmp -s '%s/b' '%s/setup.exe'", dir,
	    v2), 0);
	ck_assert_int_eq(http(0, "", T("data/cab1.cab")), 404);
	/* A broken manifest. */
	snprintf(bad, sizeof bad, "%s/bad.json", dir);
	ck_assert_int_eq(tu_write_file(bad, M(F("a/../b")),
	    strlen(M(F("a/../b")))), 0);
	free(tu_sh_ok("%s '%s/tests/dplib.py' manifest '%s' %s '%s'",
	    tu_python(), EHTTP_SRCDIR, lib_of(DP2), PKG, bad));
	ck_assert_int_eq(http(0, "", T("setup.exe")), 404);
	ck_assert_int_eq(http(0, "", T("setup.exe")), 404);
	content_logged("404, package "
	    PKG " is not served: its manifest is refused: files[0].path"
	    " 'a/../b': a '..' segment");
	ck_assert_int_eq(tu_sh(NULL, NULL, "test $(grep -c 'the manifest of"
	    " package " PKG " is refused' '%s/logs/mpcontrol.log') = 1", dir),
	    0);
	/* A FileLib file cut short behind the manifest's back: 500. */
	free(lib_add(DP2, PKG, 3, src, NULL));
	sha = sha_of("setup.exe");
	free(tu_sh_ok("truncate -s 10 '%s/FileLib/%.4s/%s'", lib_of(DP2), sha,
	    sha));
	ck_assert_int_eq(http(0, "", T("setup.exe")), 500);
	content_logged("10 bytes, the manifest says 100000");
	free(sha);
	/* Removed. */
	free(tu_sh_ok("%s '%s/tests/dplib.py' remove '%s' %s", tu_python(),
	    EHTTP_SRCDIR, lib_of(DP2), PKG));
	ck_assert_int_eq(http(0, "", T("data/cab1.cab")), 404);
	content_logged("404, package " PKG " is not on this distribution"
	    " point");
}
END_TEST

/* ehttpctl's setting: role add/set --allow-propfind (a DP only), listed. */
START_TEST(test_ctl_propfind)
{
	char *out;

	tu_ctl_ok(tu_db, "role", "set", DP1, "dp", "--allow-propfind", "no",
	    NULL);
	out = tu_ctl_json(tu_db, "[(r['fqdn'], r.get('allow_propfind')) for r"
	    " in d if r['role'] in ('dp', 'mp') and r['fqdn'].endswith("
	    "'p01.contoso.com')]", "role", "list", "--json", NULL);
	ck_assert_str_eq(out, "[('dp1.p01.contoso.com', False),"
	    " ('dp2.p01.contoso.com', True), ('mp2.p01.contoso.com', None),"
	    " ('p01.contoso.com', None)]");
	free(out);
	tu_ctl_fails(tu_db, 2, "only a distribution point", "role", "set",
	    "p01.contoso.com", "mp", "--allow-propfind", "no", NULL);
	tu_ctl_fails(tu_db, 2, "allow-propfind", "role", "set", DP1, "dp",
	    "--allow-propfind", "maybe", NULL);
	tu_ctl_ok(tu_db, "system", "add", "dp9.p01.contoso.com", "--site",
	    "P01", NULL);
	tu_ctl_ok(tu_db, "role", "add", "dp9.p01.contoso.com", "dp",
	    "--allow-propfind", "no", NULL);
	out = tu_ctl_json(tu_db, "d[0].get('allow_propfind')", "role", "list",
	    "dp9.p01.contoso.com", "--json", NULL);
	ck_assert_str_eq(out, "False");
	free(out);
	out = tu_ctl_json(tu_db, "[a['detail'] for a in d if 'PROPFIND' in"
	    " a['detail']][0]", "audit", "--json", NULL);
	ck_assert_str_eq(out, "Role distribution point (http) was added to"
	    " dp9.p01.contoso.com, refusing WebDAV listings (PROPFIND).");
	free(out);
}
END_TEST

static const struct tu_fixture fx_library = TU_DIR_FIXTURE(30);
static const struct tu_fixture fx_ctl = TU_DEMO_FIXTURE(60);
/*
 * ehttpctl fills the DP's library and the agent serves it: package add and
 * distribute, then package update with a changed file: the DP gets the new
 * version (its manifest says 2) and the agent serves the new bytes, the
 * unchanged file still whole.
 */
START_TEST(test_update_redistributes)
{
	char target[128], v2[4200], *id, *out;

	agent_start(DP2, NULL, NULL);
	id = tu_ctl_json(db, "d['package']['id']", "package", "add", "Tool",
	    "--source", src, "--site", "P01", "--json", NULL);
	tu_ctl_ok(db, "package", "distribute", id, "--dp", DP2, NULL);
	snprintf(target, sizeof target, "/SMS_DP_SMSPKG$/%s/setup.exe", id);
	ck_assert_int_eq(http(0, "", target), 200);
	body_is("setup.exe");
	snprintf(v2, sizeof v2, "%s/setup.exe", src);
	free(tu_sh_ok("printf 'version two' > '%s'", v2));
	out = NULL;
	ck_assert_int_eq(tu_ctl(db, &out, NULL, "package", "update", id, NULL),
	    0);
	tu_has(out, "Version 2 is installed on " DP2, NULL);
	free(out);
	out = sh1("%s -c 'import json, sys; print(json.load(open(sys.argv[1]))"
	    "[\"version\"])' '%s/PkgLib/%s.json'", tu_python(), lib_of(DP2),
	    id);
	ck_assert_str_eq(out, "2");
	free(out);
	ck_assert_int_eq(http(0, "", target), 200);
	body_is("setup.exe");
	ck_assert_int_eq(tu_sh(NULL, NULL, "printf 'version two' | cmp -s - "
	    "'%s/b'", dir), 0);
	snprintf(target, sizeof target, "/SMS_DP_SMSPKG$/%s/data/cab1.cab",
	    id);
	ck_assert_int_eq(http(1, "", target), 200);
	body_is("data/cab1.cab");
	free(id);
}
END_TEST

static const struct tu_fixture fx_agent = TU_FIXTURE(180, tu_mpd_tmpl_setup,
	tu_tmpl_teardown, setup, teardown);

Suite *
dp_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("library", fx_library),
		TU_TEST(test_manifest_rules),
		TU_TEST(test_target_parse),
		TU_TEST(test_ranges_and_dates),
		TU_TEST(test_root_and_cache),
		TU_TEST(test_fuzz_seeds),
		TU_CASE("ctl", fx_ctl),
		TU_TEST(test_ctl_propfind),
		TU_CASE("agent", fx_agent),
		TU_TEST(test_get_and_head),
		TU_TEST(test_ranges),
		TU_TEST(test_propfind),
		TU_TEST(test_propfind_refused),
		TU_TEST(test_anonymous_and_token),
		TU_TEST(test_traversal),
		TU_TEST(test_swap_during_download),
		TU_TEST(test_library_changes),
		TU_TEST(test_update_redistributes),
		TU_TEST(test_big_file),
		{ 0 }
	};

	return tu_suite("dp", tests);
}
