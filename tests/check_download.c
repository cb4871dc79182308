/*
 * A package downloaded from a distribution point, end to end on loopback:
 * a package added and distributed by ehttpctl, the management point's
 * agent and the distribution point's agent, ehttp-client registered
 * (approved) downloading it. Checked against what ehttp did not write:
 * cmp with the source, curl with the exported root and the headers
 * content-headers prints, tests/wire.py's own location request read by
 * python3's xml.etree, the PROPFIND listing read by xml.etree and the
 * hashes python3's hashlib computes, libfaketime for an expired token,
 * a file changed in the DP's library behind ehttp's back, an interrupted
 * download (Ctrl-C, kill -9) resumed, a package removed mid-download.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "xmalloc.h"

#define MP	"p01.contoso.com"
#define DP1	"dp1.p01.contoso.com"
#define DP2	"dp2.p01.contoso.com"
#define PKG	"P0100001"
#define BIG	"P0100002"
#define TOKURL	"/CCMTOKENAUTH_SMS_DP_SMSPKG$/"
#define WAIT_MS	20000

#define sh1(...)	tu_line1(tu_sh_ok(__VA_ARGS__))

static char *dir;
static char db[4096], root[4096];
static pid_t mpd = -1, dpd = -1;
static int mp_port, dp_port;

/* DIR/name (tu_join: up to four held at once). */
static const char *
dpath(const char *name)
{
	return tu_join(dir, name);
}

/* ehttp-client CMD for the client in DIR/STATE, the MP and dp1 reached
 * at 127.0.0.1 (--resolve): its exit status, stdout and stderr. */
static int
client(const char *cmd, const char *state, const char *extra, char **out,
    char **err)
{
	return tu_sh_in(dir, out, err, "'%s' %s --mp " MP ":%d --root '%s'"
	    " --state '%s/%s' --timeout 10 --resolve " MP ":%d:127.0.0.1"
	    " --resolve " DP1 ":%d:127.0.0.1 %s", tu_bin("ehttp-client"), cmd,
	    mp_port, root, dir, state, mp_port, dp_port, extra);
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

/* A package from DIR/from added and distributed to dp1. */
static void
package(const char *name, const char *from)
{
	tu_ctl_ok(db, "package", "add", name, "--source", dpath(from),
	    "--site", "P01", NULL);
}

static void
setup(void)
{
	dir = tu_mp_copy(db, sizeof db, root, sizeof root);
	tu_ctl_ok(db, "hierarchy", "set", "--client-approval", "auto", NULL);
	free(tu_sh_ok("cd '%s' && mkdir -p src/sub && echo small > src/a.txt"
	    " && echo deep > 'src/sub/d e&p.txt' && head -c 1048583"
	    " /dev/urandom > src/mid.bin", dir));
	package("Test", "src");
	tu_ctl_ok(db, "package", "distribute", PKG, "--dp", DP1, NULL);
	mpd = tu_mpd_start(db, MP, dpath("logs-mp"), NULL, &mp_port);
	dpd = tu_mpd_start(db, DP1, dpath("logs-dp"), NULL, &dp_port);
	free(client_out("register", "c1", "--name WKS01", 0));
}

static void
teardown(void)
{
	if (dpd > 0)
		kill(dpd, SIGCONT);
	tu_mpd_stop(&dpd);
	tu_mpd_teardown(&mpd, &dir);
}

/* A shell command's start: FLIP "FILE OFFSET" changes that byte of FILE
 * to its complement (writing a fixed byte would leave a random file as
 * it was once in 256 runs). */
#define FLIP "python3 -c 'import sys; f = open(sys.argv[1], \"r+b\");" \
	" o = int(sys.argv[2]); f.seek(o); b = f.read(1)[0]; f.seek(o);" \
	" f.write(bytes([b ^ 255]))' "

/* DIR/dest is byte for byte DIR/src (cmp of each file, and no more). */
static void
same_tree(const char *src, const char *dest)
{
	tu_sh_is("same", "cd '%s' && diff -r '%s' '%s' && echo same", dir,
	    src, dest);
}

/* A curl to dp1's token folder with the header file h (NULL: none) and
 * more options; the status code, the body in DIR/b. */
static int
curl_dp(const char *h, const char *opts, const char *target)
{
	return tu_sh_int("curl -sS --max-time 30 -o '%s/b' -w '%%{http_code}'"
	    " --cacert '%s' --resolve " DP1 ":%d:127.0.0.1 %s%s%s %s"
	    " 'https://" DP1 ":%d%s'", dir, root, dp_port, h ? "-H @'" : "",
	    h ? h : "", h ? "'" : "", opts, dp_port, target);
}

/* A log of the client in DIR/c1/logs. */
static char *
client_log_text(const char *name)
{
	char p[4300];

	snprintf(p, sizeof p, "%s/c1/logs/%s", dir, name);
	return tu_read_file(p, NULL);
}

/*
 * Registered and approved: the package downloaded byte for byte, the
 * --json summary read by python3's json, the client's logs and the MP's;
 * the same bytes through curl with the exported root and the headers
 * content-headers prints; the token folder's PROPFIND listing read by
 * xml.etree with python3's hashes.
 */
START_TEST(test_download)
{
	char *out, *s;

	out = client_out("download " PKG, "c1", "--dest out --json", 0);
	tu_py_check(out, "d['result'] == 'ok' and d['files'] == 3 and "
	    "d['package'] == '" PKG "' and d['version'] == 1 and "
	    "d['url'].startswith('https://" DP1 ":') and "
	    "d['url'].endswith('" TOKURL PKG "')");
	free(out);
	same_tree("src", "out");
	s = client_log_text("CAS.log");
	tu_has(s, "Hash verification succeeded for content " PKG ".1", NULL);
	free(s);
	s = client_log_text("LocationServices.log");
	tu_has(s, "Distribution Point='https://" DP1, "AuthMethod", NULL);
	free(s);
	s = client_log_text("DataTransferService.log");
	tu_has(s, "Sending PROPFIND request using URL https://" DP1, NULL);
	free(s);
	s = tu_read_file(dpath("logs-mp/MP_Location.log"), NULL);
	tu_has(s, "MP LM: content location request from GUID:", PKG ".1: 1 "
	    "location: https://" DP1, NULL);
	free(s);
	/* Again: the files already there are checked, not fetched again. */
	out = client_out("download " PKG, "c1", "--dest out --json", 0);
	tu_py_check(out, "d['result'] == 'ok' and d['present'] == 3 and "
	    "d['transferred'] == 0");
	free(out);
	same_tree("src", "out");
	s = client_log_text("DataTransferService.log");
	tu_has(s, "mid.bin is already in ", "not transferred again", NULL);
	free(s);
	/* One changed in place (same size): that one is fetched again. */
	free(tu_sh_ok(FLIP "'%s/out/mid.bin' 10", dir));
	out = client_out("download " PKG, "c1", "--dest out", 0);
	tu_has(out, "SHA-256 verified", "(2 of them already there)", NULL);
	free(out);
	same_tree("src", "out");
	/* A FIFO in a file's place neither blocks the check nor stays. */
	free(tu_sh_ok("rm '%s/out/a.txt' && mkfifo '%s/out/a.txt'", dir, dir));
	out = client_out("download " PKG, "c1", "--dest out", 0);
	tu_has(out, "(2 of them already there)", NULL);
	free(out);
	same_tree("src", "out");

	/* curl with the headers the client prints, the exported root. */
	free(tu_sh_ok("'%s' content-headers --state '%s/c1' > '%s/h'",
	    tu_bin("ehttp-client"), dir, dir));
	ck_assert_int_eq(curl_dp(dpath("h"), "", TOKURL PKG "/mid.bin"), 200);
	tu_sh_is("same", "cmp '%s/b' '%s/src/mid.bin' && echo same", dir, dir);
	ck_assert_int_eq(curl_dp(dpath("h"), "-X PROPFIND -H 'Depth: 1'",
	    TOKURL PKG), 207);
	tu_sh_is("ok", "cd '%s' && %s -c 'import hashlib, xml.etree.ElementTree"
	    " as ET\n"
	    "t = ET.parse(\"b\").getroot()\n"
	    "got = {r.find(\"{DAV:}href\").text: r.find(\".//{urn:ehttp:dp}"
	    "sha256\") for r in t.findall(\"{DAV:}response\")}\n"
	    "h = \"" TOKURL PKG "/\"\n"
	    "assert got[h + \"mid.bin\"].text == hashlib.sha256(open(\"src/"
	    "mid.bin\", \"rb\").read()).hexdigest(), got\n"
	    "assert got[h + \"a.txt\"].text == hashlib.sha256(b\"small\\n\")"
	    ".hexdigest()\n"
	    "assert got[h + \"sub/\"] is None and len(got) == 4, got\n"
	    "print(\"ok\")'", dir, tu_python());
}
END_TEST

/*
 * tests/wire.py's own location request, its reply read by xml.etree: the
 * token URL (AuthMethod 1024) first, the anonymous URL once dp1 allows
 * anonymous access; no such package; a client that cannot prove who it
 * is (401), a blocked one (403).
 */
START_TEST(test_location_wire)
{
	char *smsid, *out, want[512];

	smsid = sh1("sed -n 's/^smsid=//p' '%s/c1/state'", dir);
	out = tu_sh_ok("cd '%s' && %s '%s/tests/wire.py' locate c1 '%s' " PKG
	    " " MP " %d '%s'", dir, tu_python(), EHTTP_SRCDIR, smsid, mp_port,
	    root);
	snprintf(want, sizeof want, "200\npackage " PKG " 1\nhttps://" DP1
	    ":%d" TOKURL PKG " 1024 0 " DP1 "\n", dp_port);
	ck_assert_str_eq(out, want);
	free(out);
	tu_ctl_ok(db, "role", "set", DP1, "dp", "--allow-anonymous", "yes",
	    NULL);
	out = tu_sh_ok("cd '%s' && %s '%s/tests/wire.py' locate c1 '%s' " PKG
	    " " MP " %d '%s' | tail -1", dir, tu_python(), EHTTP_SRCDIR, smsid,
	    mp_port, root);
	ck_assert_ptr_nonnull(strstr(out, "http://" DP1));
	ck_assert_ptr_nonnull(strstr(out, "/SMS_DP_SMSPKG$/" PKG " - 0 "));
	free(out);
	out = tu_sh_ok("cd '%s' && %s '%s/tests/wire.py' locate c1 '%s' "
	    "P01FFFFF " MP " %d '%s'", dir, tu_python(), EHTTP_SRCDIR, smsid,
	    mp_port, root);
	ck_assert_str_eq(out, "200\n");
	free(out);
	/* Another key than the one registered: no proof. */
	free(tu_sh_ok("mkdir '%s/other' && cd '%s' && %s '%s/tests/wire.py'"
	    " make-request other", dir, dir, tu_python(), EHTTP_SRCDIR));
	out = tu_sh_ok("cd '%s' && %s '%s/tests/wire.py' locate other '%s' "
	    PKG " " MP " %d '%s'", dir, tu_python(), EHTTP_SRCDIR, smsid,
	    mp_port, root);
	ck_assert_str_eq(out, "401\n");
	free(out);
	tu_ctl_ok(db, "client", "block", smsid, NULL);
	out = tu_sh_ok("cd '%s' && %s '%s/tests/wire.py' locate c1 '%s' " PKG
	    " " MP " %d '%s'", dir, tu_python(), EHTTP_SRCDIR, smsid, mp_port,
	    root);
	ck_assert_str_eq(out, "403\n");
	free(out);
	free(smsid);
}
END_TEST

/* The header file DIR/name: c1's headers with Authorization replaced by
 * "Authorization: Bearer " and the output of the shell command tok. */
static const char *
headers_with(const char *name, const char *tok)
{
	free(tu_sh_ok("cd '%s' && grep -v '^Authorization:' h > '%s' &&"
	    " printf 'Authorization: Bearer %%s\\n' \"$(%s)\" >> '%s'", dir,
	    name, tok, name));
	return dpath(name);
}

/*
 * The token folder refuses: no token, a forged one (claims changed, the
 * signature kept), another client's token with c1's proof, and c1's own
 * token once it has expired: the distribution point run 9 hours ahead
 * (libfaketime), the headers made at that time too.
 */
START_TEST(test_tokens_refused)
{
	char *s;

	free(client_out("token", "c1", "--type content", 0));
	free(client_out("register", "c2", "--name WKS02", 0));
	free(client_out("token", "c2", "--type content", 0));
	free(tu_sh_ok("'%s' content-headers --state '%s/c1' > '%s/h'",
	    tu_bin("ehttp-client"), dir, dir));
	ck_assert_int_eq(curl_dp(dpath("h"), "", TOKURL PKG "/a.txt"), 200);
	ck_assert_int_eq(curl_dp(NULL, "", TOKURL PKG "/a.txt"), 401);
	free(tu_sh_ok("cd '%s' && %s '%s/tests/wire.py' jwt-forge "
	    "c1/content-token '{\"exp\": 4102444800}' > forged.jwt", dir,
	    tu_python(), EHTTP_SRCDIR));
	ck_assert_int_eq(curl_dp(headers_with("forged", "cat forged.jwt"), "",
	    TOKURL PKG "/a.txt"), 401);
	ck_assert_int_eq(curl_dp(headers_with("other", "cat c2/content-token"),
	    "", TOKURL PKG "/a.txt"), 401);
	s = tu_read_file(dpath("logs-dp/smsdpcontent.log"), NULL);
	tu_has(s, "signature", NULL);
	free(s);

	/* Expired: the DP 9 hours ahead, the headers made then too. */
	tu_mpd_stop(&dpd);
	dpd = tu_mpd_start(db, DP1, dpath("logs-dp9"), "+9h", &dp_port);
	free(tu_sh_ok("%s\"+9h\" '%s' content-headers --state '%s/c1' >"
	    " '%s/h9' 2>/dev/null", TU_FAKE, tu_bin("ehttp-client"), dir,
	    dir));
	ck_assert_int_eq(curl_dp(dpath("h9"), "", TOKURL PKG "/a.txt"), 401);
	s = tu_read_file(dpath("logs-dp9/smsdpcontent.log"), NULL);
	tu_has(s, "expired", NULL);
	free(s);
}
END_TEST

/* A file of dp1's library changed behind ehttp's back: the client's hash
 * check refuses it, deletes it, says so in CAS.log; exit 5. */
START_TEST(test_changed_on_dp)
{
	char *sha, *out, *err, *s;

	sha = sh1("sha256sum '%s/src/mid.bin' | cut -c1-64", dir);
	free(tu_sh_ok("cd '%s/content/dp/" DP1 "/FileLib' && f=$(echo %.4s)/%s"
	    " && chmod u+w $f && " FLIP "$f 1000", dir, sha, sha));
	ck_assert_int_eq(client("download " PKG, "c1", "--dest out", &out,
	    &err), 5);
	tu_has(err, "mid.bin: SHA-256", "not the ", sha, "deleted", NULL);
	free(out);
	free(err);
	tu_sh_is("gone", "cd '%s/out' && ls -A | grep -c mid >/dev/null ||"
	    " echo gone", dir);
	s = client_log_text("CAS.log");
	tu_has(s, "Hash verification failed for content " PKG ".1: mid.bin",
	    NULL);
	ck_assert_ptr_null(strstr(s, "succeeded"));
	free(s);
	free(sha);
}
END_TEST

/* ehttp-client download in the background: its pid (stdout and stderr
 * in DIR/bg.out, DIR/bg.err). */
static pid_t
client_bg(const char *pkg, const char *dest)
{
	char cmd[16384];
	pid_t pid;

	snprintf(cmd, sizeof cmd, "exec '%s' download %s --dest '%s/%s' --mp "
	    MP ":%d --root '%s' --state '%s/c1' --timeout 30 --resolve " MP
	    ":%d:127.0.0.1 --resolve " DP1 ":%d:127.0.0.1 >'%s/bg.out'"
	    " 2>'%s/bg.err'", tu_bin("ehttp-client"), pkg, dir, dest, mp_port,
	    root, dir, mp_port, dp_port, dir, dir);
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	return pid;
}

/* The size of the file the shell glob pattern names in DIR (0 if none). */
static long
size_of(const char *glob)
{
	char *s = sh1("cd '%s' && stat -c %%s %s 2>/dev/null || echo 0", dir,
	    glob);
	long n = atol(s);

	free(s);
	return n;
}

#define BIGSIZE	(64L * 1024 * 1024)

/* The big package (P0100002): a-big.bin (64 MiB) then z.txt. The
 * client's download is started, and the distribution point stopped
 * (SIGSTOP) once the first bytes are written; returns the client. */
static pid_t
big_started(void)
{
	pid_t pid;

	free(tu_sh_ok("cd '%s' && mkdir big && head -c %ld /dev/urandom >"
	    " big/a-big.bin && echo last > big/z.txt", dir, BIGSIZE));
	package("Big", "big");
	tu_ctl_ok(db, "package", "distribute", BIG, "--dp", DP1, NULL);
	pid = client_bg(BIG, "bigout");
	for (int ms = 0; size_of("bigout/.ehttp-*.part") == 0; ms++) {
		ck_assert_msg(ms < WAIT_MS, "the download did not start");
		ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), 0);
		tu_msleep(1);
	}
	tu_mpd_freeze(db, dpd);
	return pid;
}

/*
 * Interrupted mid-file (Ctrl-C: exit 6, and kill -9), the partial file
 * kept; the next download resumes it with Range (the DP's log shows the
 * 206) and ends byte for byte the source.
 */
static const int stops[] = { SIGINT, SIGKILL };

START_TEST(test_resume)
{
	char *s;
	long part;
	int st;
	pid_t pid = big_started();

	tu_msleep(100);
	kill(pid, stops[_i]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	if (stops[_i] == SIGINT) {
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 6,
		    "status %#x", st);
		s = tu_read_file(dpath("bg.err"), NULL);
		tu_has(s, "stopped:", "kept", NULL);
		free(s);
	} else
		ck_assert(WIFSIGNALED(st));
	kill(dpd, SIGCONT);
	part = size_of("bigout/.ehttp-*.part");
	ck_assert_msg(part > 0 && part < BIGSIZE, "partial file: %ld", part);
	free(client_out("download " BIG, "c1", "--dest bigout", 0));
	same_tree("big", "bigout");
	s = client_log_text("DataTransferService.log");
	tu_has(s, "Resuming a-big.bin at byte", NULL);
	free(s);
	s = tu_read_file(dpath("logs-dp/smsdpcontent.log"), NULL);
	tu_has(s, ": 206, package " BIG, NULL);
	free(s);
}
END_TEST

/*
 * The package removed from dp1 while its first file downloads: that file
 * completes with its own bytes (the DP keeps an open file serving), the
 * next one is refused (404) and the client stops cleanly with exit 1,
 * never a mix and nothing half written under its name.
 */
START_TEST(test_removed_mid_download)
{
	char *s;
	int st;
	pid_t pid = big_started();

	tu_ctl_ok(db, "package", "undistribute", BIG, "--dp", DP1, NULL);
	kill(dpd, SIGCONT);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %#x", st);
	s = tu_read_file(dpath("bg.err"), NULL);
	tu_has(s, "z.txt: HTTP 404", NULL);
	free(s);
	tu_sh_is("same", "cmp '%s/big/a-big.bin' '%s/bigout/a-big.bin' && echo"
	    " same", dir, dir);
	tu_sh_is("0", "ls -A '%s/bigout' | grep -vc '^a-big.bin$'; true", dir);
}
END_TEST

/* ---------------------------------------------------- load --download */

/* ehttp-client load --download PKG by n clients (n workers: all at once,
 * each its own key, in DIR/load) and more options; its exit status, and
 * its JSON report in *out. */
static int
load_dl(const char *pkg, int n, const char *extra, char **out)
{
	char *err;
	int rc;

	rc = tu_sh_in(dir, out, &err, "'%s' load --clients %d --duration 1"
	    " --workers %d --download %s --mp " MP ":%d --root '%s' --state"
	    " '%s/load' --timeout 30 --resolve " MP ":%d:127.0.0.1 --resolve "
	    DP1 ":%d:127.0.0.1 --json %s", tu_bin("ehttp-client"), n, n, pkg,
	    mp_port, root, dir, mp_port, dp_port, extra);
	ck_assert_msg(*out != NULL && **out == '{', "load: exit %d: %s", rc,
	    err);
	free(err);
	return rc;
}

/*
 * 50 clients, each registered with its own key, download the package at
 * once: every one verified, nothing written; counted against what the
 * agents logged (python3's re over their logs): 50 location requests
 * from 50 SMSIDs, one GET of each file per client and 2 PROPFINDs (the
 * package, its sub-folder) per client. With --dest each client's copy is
 * byte for byte the source.
 */
START_TEST(test_load_download)
{
	char *out;

	ck_assert_int_eq(load_dl(PKG, 50, "", &out), 0);
	tu_py_check(out, "d['until'] == 'download' and d['errors'] == 0 and "
	    "d['download']['verified'] == 50 and "
	    "d['download']['failed'] == 0 and d['download']['failures'] == {}"
	    " and d['download']['bytes'] == 50 * (6 + 5 + 1048583) and "
	    "d['requests']['download']['count'] == 50 and "
	    "0 < d['requests']['download']['p50_ms'] <= "
	    "d['requests']['download']['p99_ms'] and "
	    "1 <= d['download']['concurrency_max'] <= 50 and "
	    "d['download']['mb_per_s'] > 0");
	free(out);
	tu_sh_is("ok", "cd '%s' && %s -c 'import re, collections\n"
	    "t = open(\"logs-dp/smsdpcontent.log\", errors=\"replace\").read()\n"
	    "v = re.escape(\"" TOKURL PKG "\")\n"
	    "get = collections.Counter(re.findall(\"GET \" + v + r\"/(\\S+) "
	    "from \\S+ over HTTPS: 200\", t))\n"
	    "want = {\"a.txt\": 50, \"mid.bin\": 50, \"sub/d%%20e%%26p.txt\": 50}\n"
	    "assert get == want, get\n"
	    "assert len(re.findall(\"GET \", t)) == 150\n"
	    "pf = re.findall(\"PROPFIND \" + v + r\"\\S* from \\S+ over HTTPS: "
	    "207\", t)\n"
	    "assert len(pf) == 100 == len(re.findall(\"PROPFIND \", t)), pf\n"
	    "m = open(\"logs-mp/MP_Location.log\", errors=\"replace\").read()\n"
	    "ids = re.findall(r\"content location request from (GUID:[-0-9A-Fa-f]"
	    "+)\", m)\n"
	    "assert len(ids) == 50 == len(set(ids)), ids\n"
	    "print(\"ok\")'", dir, tu_python());
	/* Nothing written: the only mid.bin is the source's. */
	tu_sh_is("1", "find '%s' -name mid.bin -o -name '*.part' | wc -l", dir);

	ck_assert_int_eq(load_dl(PKG, 3, "--dest kept", &out), 0);
	tu_py_check(out, "d['download']['verified'] == 3");
	free(out);
	same_tree("src", "kept/LOAD000000");
	same_tree("src", "kept/LOAD000002");
	tu_sh_is("3", "ls '%s/kept' | wc -l", dir);
}
END_TEST

/*
 * Every client refused, counted under one reason: a file of dp1's library
 * changed behind ehttp's back (the DP serves it, each client's hash check
 * refuses it), dp1 run 9 hours ahead (libfaketime: each content access
 * token has expired there, 401 to the listing), and clients waiting for
 * approval (no CCM token: no download tried, dp1 asked nothing).
 */
static const struct {
	const char	*name;
	const char	*reason;	/* the JSON's failures key */
	const char	*dplog;		/* what dp1 logged 20 times */
} refusals[] = {
	{ "changed", "hash: mismatch", "/mid.bin from" },
	{ "expired", "propfind: HTTP 401", ": 401, " },
	{ "pending", "token", NULL },
};

START_TEST(test_load_refused)
{
	char *out, *sha, *s, expr[512];

	if (strcmp(refusals[_i].name, "changed") == 0) {
		sha = sh1("sha256sum '%s/src/mid.bin' | cut -c1-64", dir);
		free(tu_sh_ok("cd '%s/content/dp/" DP1 "/FileLib' && "
		    "f=$(echo %.4s)/%s && chmod u+w $f && " FLIP "$f 1000", dir,
		    sha, sha));
		free(sha);
	} else if (strcmp(refusals[_i].name, "expired") == 0) {
		tu_mpd_stop(&dpd);
		dpd = tu_mpd_start(db, DP1, dpath("logs-dp"), "+9h", &dp_port);
	} else
		tu_ctl_ok(db, "hierarchy", "set", "--client-approval", "manual",
		    NULL);
	ck_assert_int_eq(load_dl(PKG, 20, "", &out), 1);
	snprintf(expr, sizeof expr, "d['download']['verified'] == 0 and "
	    "d['download']['failed'] == 20 and list(d['download']['failures'])"
	    " == ['%s'] and d['download']['failures']['%s']['count'] == 20 and"
	    " d['requests']['download']['errors'] == %d", refusals[_i].reason,
	    refusals[_i].reason, refusals[_i].dplog != NULL ? 20 : 0);
	tu_py_check(out, expr);
	free(out);
	s = tu_read_file(dpath("logs-dp/smsdpcontent.log"), NULL);
	if (refusals[_i].dplog != NULL)
		ck_assert_int_eq(tu_count(s, refusals[_i].dplog), 20);
	else
		ck_assert_msg(s == NULL || (strstr(s, "GET ") == NULL &&
		    strstr(s, "PROPFIND ") == NULL), "%s", s);
	free(s);
}
END_TEST

/*
 * Ctrl-C while 4 clients wait on a distribution point that stalls
 * (SIGSTOP: the kernel still accepts their connections): once the MP has
 * answered the 4 location requests, the run stops at once (not at its
 * 30 s timeout), exit 1, the report printed with the 4 downloads stopped.
 */
START_TEST(test_load_stopped)
{
	struct timespec t0, t1;
	char cmd[16384], *s;
	pid_t pid;
	int st, seen;

	free(tu_sh_ok("cd '%s' && mkdir big && head -c %ld /dev/urandom >"
	    " big/a-big.bin && echo last > big/z.txt", dir, BIGSIZE));
	package("Big", "big");
	tu_ctl_ok(db, "package", "distribute", BIG, "--dp", DP1, NULL);
	snprintf(cmd, sizeof cmd, "exec '%s' load --clients 4 --workers 4 "
	    "--duration 1 --download " BIG " --mp " MP ":%d --root '%s' "
	    "--state '%s/load' --timeout 30 --resolve " MP ":%d:127.0.0.1 "
	    "--resolve " DP1 ":%d:127.0.0.1 --json >'%s/bg.out' "
	    "2>'%s/bg.err'", tu_bin("ehttp-client"), mp_port, root, dir,
	    mp_port, dp_port, dir, dir);
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	tu_mpd_freeze(db, dpd);
	for (int ms = 0; ; ms++) {
		s = tu_read_file(dpath("logs-mp/MP_Location.log"), NULL);
		seen = s != NULL ? tu_count(s, "content location request from")
		    : 0;
		free(s);
		if (seen >= 4)
			break;
		/* Three times the usual wait: four clients make their keys
		 * and register first, maybe beside another suite. */
		if (ms >= 3 * WAIT_MS || waitpid(pid, NULL, WNOHANG) != 0) {
			/* What the clients said and reported (where a
			 * step failed), to tell why. */
			char *rep;

			kill(pid, SIGKILL);
			kill(dpd, SIGCONT);
			s = tu_read_file(dpath("bg.err"), NULL);
			rep = tu_read_file(dpath("bg.out"), NULL);
			ck_abort_msg("%d of 4 location requests after %d "
			    "waits; the client said: %.1000s; its report: "
			    "%.2000s", seen, ms, s != NULL ? s : "(nothing)",
			    rep != NULL ? rep : "(none)");
		}
		tu_msleep(1);
	}
	ck_assert_int_eq(seen, 4);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	kill(pid, SIGINT);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	kill(dpd, SIGCONT);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %#x", st);
	ck_assert_msg(t1.tv_sec - t0.tv_sec < 10, "stopped after %lds",
	    (long)(t1.tv_sec - t0.tv_sec));
	s = tu_read_file(dpath("bg.out"), NULL);
	tu_py_check(s, "d['interrupted'] and d['download']['verified'] == 0"
	    " and d['download']['failures']['stopped']['count'] == 4");
	free(s);
}
END_TEST

static const struct tu_refusal usages[] = {
	{ "download --state x --mp a --root r", "download needs one PKGID" },
	{ "download P01 --state x --mp a --root r",
	  "download needs one PKGID and --dest" },
	{ "download P01 --dest d --state x --mp a --root r --resolve a:1",
	  "--resolve 'a:1': must be FQDN:PORT:ADDR" },
	{ "download P01 --dest d --state x --mp a --root r --resolve a:0:b",
	  "--resolve 'a:0:b'" },
	{ "load --clients 1 --duration 1 --download P01 --until poll "
	  "--state x --mp a --root r", "--download is the run's last step" },
	{ "load --clients 1 --duration 1 --dest d --state x --mp a --root r",
	  "load --dest DIR is for --download" },
	{ "load --clients 1 --duration 1 --workers 10001 --state x --mp a "
	  "--root r", "a number from 1 to 10000" },
};

START_TEST(test_usage)
{
	char *out = NULL;

	tu_usage_is("ehttp-client", &usages[_i]);
	ck_assert_int_eq(tu_sh(&out, NULL, "'%s' --help",
	    tu_bin("ehttp-client")), 0);
	tu_has(out, "download PKGID --dest DIR", "--resolve FQDN:PORT:ADDR",
	    "5 download: a file's SHA-256", "6 download: stopped",
	    "--download PKGID", "Without --dest nothing is", NULL);
	free(out);
}
END_TEST

static const struct tu_fixture fx_agents = TU_FIXTURE(240, tu_tmpl_setup,
	tu_tmpl_teardown, setup, teardown);
static const struct tu_fixture fx_usage = { .timeout = 30 };

/*
 * Two DPs hold the package and the first the MP names (dp1) is down: the
 * client says so in ContentTransferManager.log and downloads from the
 * next (dp2), byte for byte, and dp2's log has its requests.
 */
START_TEST(test_next_location)
{
	char extra[200], *s;
	pid_t dp2 = -1;
	int dp2_port;

	tu_ctl_ok(db, "package", "distribute", PKG, "--dp", DP2, NULL);
	dp2 = tu_mpd_start(db, DP2, dpath("logs-dp2"), NULL, &dp2_port);
	tu_mpd_stop(&dpd);
	snprintf(extra, sizeof extra, "--dest out --resolve " DP2
	    ":%d:127.0.0.1", dp2_port);
	free(client_out("download " PKG, "c1", extra, 0));
	tu_mpd_stop(&dp2);
	same_tree("src", "out");
	s = client_log_text("ContentTransferManager.log");
	tu_has(s, "cannot use 'https://" DP1, "trying the next location",
	    "started download from 'https://" DP2, NULL);
	free(s);
	s = tu_read_file(dpath("logs-dp2/smsdpcontent.log"), NULL);
	tu_has(s, "GET " TOKURL PKG "/mid.bin", ": 200, package " PKG, NULL);
	free(s);
}
END_TEST

Suite *
download_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("usage", fx_usage),
		TU_EACH(test_usage, usages),
		TU_CASE("agents", fx_agents),
		TU_TEST(test_download),
		TU_TEST(test_next_location),
		TU_TEST(test_location_wire),
		TU_TEST(test_tokens_refused),
		TU_TEST(test_changed_on_dp),
		TU_EACH(test_resume, stops),
		TU_TEST(test_removed_mid_download),
		TU_TEST(test_load_download),
		TU_EACH(test_load_refused, refusals),
		TU_TEST(test_load_stopped),
		{ 0 }
	};

	return tu_suite("download", tests);
}
