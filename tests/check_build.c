/*
 * The build itself: the README's first run on a machine without the build
 * libraries (scripts/first-run-test.sh hides them from pkg-config until its
 * stand-in apt-get has run). Once per `make test`: the sanitizer pass
 * builds the same Makefile again and would prove nothing new.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>

#include "testutil.h"

static const struct tu_fixture first_run = { .timeout = 900 },
    rooms = { .timeout = 300 };

#if !defined(__SANITIZE_ADDRESS__)
START_TEST(first_run_without_libraries)
{
	char *out = NULL, *err = NULL;
	int rc;

	rc = tu_sh(&out, &err, "sh '%s/scripts/first-run-test.sh' '%s'",
	    EHTTP_SRCDIR, EHTTP_SRCDIR);
	ck_assert_msg(rc == 0, "first run failed (%d): %s%s", rc,
	    out ? out : "", err ? err : "");
	ck_assert_ptr_nonnull(strstr(out, "first run: ok"));
	free(out);
	free(err);
}
END_TEST
#endif

/*
 * The rooms of the house hold: `make check-rooms` compiles one include per
 * line with the flags of one room. A system library of another room must be
 * refused by its fence (not merely missing), a header of a room above or
 * beside must not be on the path, and a room's own headers must compile.
 */
START_TEST(rooms_are_fenced)
{
	char *out = NULL, *err = NULL, *line, *save = NULL;
	int rc, n = 0, fenced = 0, allowed = 0;

	rc = tu_sh(&out, &err, "make -s --no-print-directory -C '%s' B='%s' check-rooms",
	    EHTTP_SRCDIR, EHTTP_BINDIR);
	ck_assert_msg(rc == 0, "make check-rooms failed (%d): %s", rc,
	    err ? err : "");
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char room[16], hdr[64], got[8], want[8], why[16] = "";
		int f = sscanf(line, "room %15s %63s %7s (want %7[^)]) %15s",
		    room, hdr, got, want, why);

		ck_assert_msg(f >= 4, "unexpected line: %s", line);
		ck_assert_msg(strcmp(got, want) == 0, "room %s: <%s> %s, want %s",
		    room, hdr, got, want);
		if (strcmp(got, "yes") == 0)
			allowed++;
		else if (strchr(hdr, '/') != NULL || strcmp(hdr, "sqlite3.h") == 0 ||
		    strcmp(hdr, "curses.h") == 0 ||
		    strcmp(hdr, "jansson.h") == 0 ||
		    strcmp(hdr, "zlib.h") == 0 || strcmp(hdr, "expat.h") == 0 ||
		    strcmp(hdr, "libpq-fe.h") == 0) {
			ck_assert_msg(strcmp(why, "fenced") == 0,
			    "room %s: <%s> refused by %s, not by its fence", room,
			    hdr, why);
			fenced++;
		} else
			ck_assert_msg(strcmp(why, "not-on-path") == 0,
			    "room %s: <%s> refused by %s", room, hdr, why);
		n++;
	}
	ck_assert_int_ge(n, 40);
	ck_assert_int_ge(fenced, 20);
	ck_assert_int_ge(allowed, 10);
	free(out);
	free(err);
}
END_TEST

/*
 * The repository explains itself: no source, script, test or document
 * points at the team's notes outside it, by file name or by a section
 * number after the name. The pattern is written with brackets so that
 * this file does not match itself.
 */
START_TEST(no_pointer_outside_the_repository)
{
	char *out = NULL, *err = NULL;
	int rc;

	rc = tu_sh_in(EHTTP_SRCDIR, &out, &err, "grep -rlE "
	    "'(PRODUCT|CMTRACE|WIRE|STYLE)([.]md| [0-9])|[.][.]/shared/' "
	    "--include='*.[ch]' --include='*.sh' --include='*.py' "
	    "--include='*.md' --include=Makefile --include='*.[18]' "
	    "--include='*.in' --include='*.bash-completion' --include=control "
	    "--include=rules --include=copyright --include=changelog "
	    "--include='ehttp.post*' --include=smoke-test --exclude-dir='build*' "
	    "--exclude-dir=.git .");
	/* grep: 1 = no match, 0 = matches (listed), 2 = trouble. */
	ck_assert_msg(rc == 1, "files pointing outside the repository (%d):\n%s%s",
	    rc, out ? out : "", err ? err : "");
	free(out);
	free(err);
}
END_TEST

/*
 * `make run`'s demo without a terminal (scripts/run-demo.sh prints the
 * hierarchy instead of opening the console, and stops its agents): the
 * database it made holds the demo package, installed on dp1.p01 (read by
 * the sqlite3 CLI), and the DP's library holds its manifest with the
 * sizes and SHA-256 of the demo's source files (python3's json and
 * hashlib).
 */
START_TEST(demo_has_a_package_on_a_dp)
{
	char *run = tu_tmpdir(), *out = NULL, *err = NULL;
	int rc;

	/* Bounded: a demo that does not end says where it stood (once, under
	 * load, it ran into the case's timeout with nothing to show). */
	rc = tu_sh(&out, &err, "EHTTP_PORT_BASE=%d timeout -k 5 120 sh"
	    " '%s/scripts/run-demo.sh' '%s' '%s/r' </dev/null; rc=$?;"
	    " if [ $rc -ne 0 ]; then ps -eo pid,stat,etimes,wchan:24,args |"
	    " grep '[e]http'; tail -n 20 '%s/r/logs/'*.out; fi; exit $rc",
	    tu_free_port(), EHTTP_SRCDIR, EHTTP_BINDIR, run, run);
	ck_assert_msg(rc == 0, "run-demo.sh: %d %s%s", rc, out ? out : "",
	    err ? err : "");
	ck_assert_msg(strstr(out, "agent for dp1.p01.contoso.com:") != NULL &&
	    strstr(out, "agent for mp2.p01.contoso.com:") != NULL, "%s", out);
	free(out);
	free(err);
	rc = tu_sh(&out, NULL, "sqlite3 '%s/r/site.db' \"SELECT p.id || ' ' ||"
	    " p.version || ' ' || y.fqdn || ' ' || d.state FROM package p JOIN"
	    " package_dp d ON d.package_id = p.id JOIN site_system y ON"
	    " y.id = d.system_id\"", run);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(out, "P0100001 1 dp1.p01.contoso.com installed\n");
	free(out);
	rc = tu_sh(&out, &err, "cd '%s/r' && %s -c 'import hashlib, json, os\n"
	    "m = json.load(open(\"content/dp/dp1.p01.contoso.com/PkgLib/"
	    "P0100001.json\"))\n"
	    "assert m[\"package\"] == \"P0100001\" and m[\"version\"] == 1\n"
	    "got = {f[\"path\"]: (f[\"size\"], f[\"sha256\"]) for f in"
	    " m[\"files\"]}\n"
	    "want = {}\n"
	    "for d, _, fs in os.walk(\"demo-package\"):\n"
	    "    for f in fs:\n"
	    "        p = os.path.join(d, f)\n"
	    "        b = open(p, \"rb\").read()\n"
	    "        want[os.path.relpath(p, \"demo-package\")] = (len(b),"
	    " hashlib.sha256(b).hexdigest())\n"
	    "assert got == want and len(got) == 3, (got, want)\n"
	    "print(\"ok\")'", run, tu_python());
	ck_assert_msg(rc == 0, "%s%s", out ? out : "", err ? err : "");
	free(out);
	free(err);
	tu_tmpdir_free(run);
}
END_TEST

Suite *
build_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("first-run", first_run),
#if !defined(__SANITIZE_ADDRESS__)
		TU_TEST(first_run_without_libraries),
#endif
		TU_CASE("rooms", rooms),
		TU_TEST(rooms_are_fenced),
		TU_TEST(no_pointer_outside_the_repository),
		TU_TEST(demo_has_a_package_on_a_dp),
		{ 0 }
	};

	return tu_suite("build", tests);
}
