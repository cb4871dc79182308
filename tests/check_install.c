/*
 * Installing ehttp as an administrator does: the manual pages (mandoc's
 * lint, and the options of each program's --help against its page), `make
 * install` and `make uninstall` with the directory variables, the systemd
 * units (systemd-analyze verify and security), bash completion (against
 * what python3 reads from ehttpctl's JSON) and the Debian package
 * (tests/deb-test.sh: dpkg-buildpackage, lintian, dpkg -i in a root of its
 * own, the agent run as the unit runs it). What builds or installs is not
 * run again in the sanitizer pass: it would prove nothing new.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <check.h>

#include "testutil.h"

static const struct tu_fixture pages = { .timeout = 120 },
    completion = TU_DEMO_FIXTURE(120);
#if !defined(__SANITIZE_ADDRESS__)
static const struct tu_fixture layout = TU_DIR_FIXTURE(600),
    package = TU_DIR_FIXTURE(900);
#endif

/* Each program and its page, in the program's room. */
static const struct {
	const char	*prog, *page;
} manual[] = {
	{ "ehttpctl", "backend/ctl/ehttpctl.1" },
	{ "ehttp-console", "tui/ehttp-console.1" },
	{ "ehttp-client", "backend/client/ehttp-client.1" },
	{ "ehttp-mpd", "backend/agent/ehttp-mpd.8" },
	{ "ehttp-sited", "backend/sited/ehttp-sited.8" },
};

/*
 * tests/manpage-check.sh: mandoc -Tlint -Wstyle says nothing, and every
 * long option --help prints is an option of the page and back. man(1)
 * renders it with the program's name in NAME.
 */
START_TEST(manual_page_agrees_with_program)
{
	char *out = NULL, *err = NULL;
	int rc;

	rc = tu_sh(&out, &err, "sh '%s/tests/manpage-check.sh' '%s/%s' '%s/%s'",
	    EHTTP_SRCDIR, EHTTP_BINDIR, manual[_i].prog, EHTTP_SRCDIR,
	    manual[_i].page);
	ck_assert_msg(rc == 0, "%s: %s%s", manual[_i].page, out ? out : "",
	    err ? err : "");
	ck_assert_msg(strstr(out, "options agree") != NULL, "%s", out);
	free(out);
	free(err);
	rc = tu_sh(&out, &err, "MANWIDTH=80 man -P cat -l '%s/%s' 2>&1 |"
	    " sed -n '/^NAME/,/^SYNOPSIS/p'", EHTTP_SRCDIR, manual[_i].page);
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(strstr(out, manual[_i].prog) != NULL &&
	    strstr(out, "SYNOPSIS") != NULL, "man -l %s:\n%s", manual[_i].page,
	    out);
	free(out);
	free(err);
}
END_TEST

/* A page that leaves an option out, or lists one the program does not
 * have, is refused: the check can fail. */
START_TEST(manual_page_check_catches_a_difference)
{
	char *dir = tu_tmpdir(), *out = NULL;
	int rc;

	rc = tu_sh(&out, NULL, "grep -v 'Fl -once' '%s/backend/sited/ehttp-sited.8'"
	    " >'%s/a.8' && sh '%s/tests/manpage-check.sh' '%s/ehttp-sited' '%s/a.8'",
	    EHTTP_SRCDIR, dir, EHTTP_SRCDIR, EHTTP_BINDIR, dir);
	ck_assert_int_eq(rc, 1);
	ck_assert_msg(strstr(out, "in --help, not in") != NULL &&
	    strstr(out, "--once") != NULL, "%s", out);
	free(out);
	rc = tu_sh(&out, NULL, "sed '/^\\.Sh DESCRIPTION/a\\\n.Fl -no-such-option\n'"
	    " '%s/backend/sited/ehttp-sited.8' >'%s/b.8' &&"
	    " sh '%s/tests/manpage-check.sh' '%s/ehttp-sited' '%s/b.8'",
	    EHTTP_SRCDIR, dir, EHTTP_SRCDIR, EHTTP_BINDIR, dir);
	ck_assert_int_eq(rc, 1);
	ck_assert_msg(strstr(out, "not in --help: --no-such-option") != NULL,
	    "%s", out);
	free(out);
	/* An ehttpctl option under the wrong command: --force is package
	 * remove's, not client block's. */
	rc = tu_sh(&out, NULL, "sed 's/^\\.It Cm client block Ar smsid | name$/&"
	    " Fl -force/' '%s/backend/ctl/ehttpctl.1' >'%s/c.1' &&"
	    " grep -q 'client block Ar smsid | name Fl -force' '%s/c.1' &&"
	    " sh '%s/tests/manpage-check.sh' '%s/ehttpctl' '%s/c.1'",
	    EHTTP_SRCDIR, dir, dir, EHTTP_SRCDIR, EHTTP_BINDIR, dir);
	ck_assert_int_eq(rc, 1);
	ck_assert_msg(strstr(out, "client block: usage [] not under its item;"
	    " item ['--force'] not in its usage") != NULL, "%s", out);
	free(out);
	tu_tmpdir_free(dir);
}
END_TEST

#if !defined(__SANITIZE_ADDRESS__)
/* make install with the given variables into tu_dir/root; its file list
 * (type, mode, path, link target) in *list. */
static int
install_list(char **list, const char *vars)
{
	char *err = NULL;
	int rc;

	rc = tu_sh(NULL, &err, "make -s --no-print-directory -C '%s' B='%s'"
	    " DEPS=0 DESTDIR='%s' %s install", EHTTP_SRCDIR, EHTTP_BINDIR,
	    tu_path("root"), vars);
	ck_assert_msg(rc == 0, "make install %s: %s", vars, err ? err : "");
	free(err);
	return tu_sh_in(tu_path("root"), list, NULL, "find . ! -type d -printf"
	    " '%%y %%m %%p %%l\\n' | sort");
}

/*
 * A system install (PREFIX=/usr): programs in /usr/bin, the daemons in
 * /usr/sbin, pages in man1 and man8, the units naming /usr/sbin and /etc,
 * completion for the five programs; the installed ehttpctl runs. Then
 * make uninstall removes every file it wrote. The default prefix
 * (/usr/local) names /usr/local/etc; a user's (PREFIX under $HOME)
 * installs no system units.
 */
START_TEST(make_install_lays_out_everything)
{
	char *list = NULL, *out = NULL;
	int rc;

	rc = install_list(&list, "PREFIX=/usr");
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(list,
	    "f 644 ./usr/lib/ehttp/ehttp-ca.so \n"
	    "f 644 ./usr/lib/systemd/system/ehttp-agent@.service \n"
	    "f 644 ./usr/lib/systemd/system/ehttp-agents.target \n"
	    "f 644 ./usr/lib/systemd/system/ehttp-sited.service \n"
	    "f 644 ./usr/share/bash-completion/completions/ehttpctl \n"
	    "f 644 ./usr/share/man/man1/ehttp-client.1 \n"
	    "f 644 ./usr/share/man/man1/ehttp-console.1 \n"
	    "f 644 ./usr/share/man/man1/ehttpctl.1 \n"
	    "f 644 ./usr/share/man/man8/ehttp-mpd.8 \n"
	    "f 644 ./usr/share/man/man8/ehttp-sited.8 \n"
	    "f 755 ./usr/bin/ehttp-client \n"
	    "f 755 ./usr/bin/ehttp-console \n"
	    "f 755 ./usr/bin/ehttpctl \n"
	    "f 755 ./usr/sbin/ehttp-mpd \n"
	    "f 755 ./usr/sbin/ehttp-sited \n"
	    "l 777 ./usr/share/bash-completion/completions/ehttp-client ehttpctl\n"
	    "l 777 ./usr/share/bash-completion/completions/ehttp-console ehttpctl\n"
	    "l 777 ./usr/share/bash-completion/completions/ehttp-mpd ehttpctl\n"
	    "l 777 ./usr/share/bash-completion/completions/ehttp-sited ehttpctl\n");
	free(list);
	rc = tu_sh(&out, NULL, "grep -h '^ExecStart=\\|^EnvironmentFile=' '%s'/*",
	    tu_path("root/usr/lib/systemd/system"));
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(out,
	    "EnvironmentFile=-/etc/ehttp/agent.conf\n"
	    "EnvironmentFile=-/etc/ehttp/agent-%i.conf\n"
	    "ExecStart=/usr/sbin/ehttp-mpd --foreground --system %i --log-dir"
	    " /var/log/ehttp/%i $EHTTP_AGENT_OPTS\n"
	    "EnvironmentFile=-/etc/ehttp/sited.conf\n"
	    "ExecStart=/usr/sbin/ehttp-sited --foreground --log-dir /var/log/ehttp"
	    " $EHTTP_SITED_OPTS\n");
	free(out);
	/* Enhanced HTTP on: the installed ehttpctl loads its CA module from
	 * ../lib/ehttp. */
	rc = tu_sh(&out, NULL, "E='%s'; \"$E\" --version && \"$E\" --db '%s'"
	    " init --demo && \"$E\" --db '%s' site set P01 --enhanced-http on",
	    tu_path("root/usr/bin/ehttpctl"), tu_path("site.db"),
	    tu_path("site.db"));
	ck_assert_msg(rc == 0 && strncmp(out, "ehttpctl ", 9) == 0 &&
	    strstr(out, "Created the SMS Issuing root") != NULL, "%s", out);
	free(out);

	rc = tu_sh(NULL, NULL, "make -s --no-print-directory -C '%s' B='%s'"
	    " DEPS=0 DESTDIR='%s' PREFIX=/usr uninstall", EHTTP_SRCDIR,
	    EHTTP_BINDIR, tu_path("root"));
	ck_assert_int_eq(rc, 0);
	rc = tu_sh(&out, NULL, "find '%s' ! -type d", tu_path("root"));
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(out[0] == '\0', "left after uninstall:\n%s", out);
	free(out);

	/* The default prefix. */
	rc = tu_sh(NULL, NULL, "rm -rf '%s'", tu_path("root"));
	rc = install_list(&list, "");
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(strstr(list, "f 755 ./usr/local/sbin/ehttp-mpd \n") &&
	    strstr(list, "f 644 ./usr/local/share/man/man1/ehttpctl.1 \n") &&
	    strstr(list, "f 644 ./usr/local/lib/systemd/system/ehttp-sited.service \n"),
	    "%s", list);
	free(list);
	rc = tu_sh(&out, NULL, "grep -h '^ExecStart=\\|^EnvironmentFile=' '%s'",
	    tu_path("root/usr/local/lib/systemd/system/ehttp-sited.service"));
	ck_assert_str_eq(out, "EnvironmentFile=-/usr/local/etc/ehttp/sited.conf\n"
	    "ExecStart=/usr/local/sbin/ehttp-sited --foreground --log-dir"
	    " /var/log/ehttp $EHTTP_SITED_OPTS\n");
	free(out);

	/* A user's install: DESTDIR empty, PREFIX in the (test's) home. */
	rc = tu_sh(NULL, NULL, "HOME='%s' make -s --no-print-directory -C '%s'"
	    " B='%s' DEPS=0 PREFIX='%s/.local' install", tu_dir, EHTTP_SRCDIR,
	    EHTTP_BINDIR, tu_dir);
	ck_assert_int_eq(rc, 0);
	rc = tu_sh_in(tu_dir, &out, NULL, "find .local ! -type d | sort");
	ck_assert_str_eq(out,
	    ".local/bin/ehttp-client\n.local/bin/ehttp-console\n"
	    ".local/bin/ehttp-mpd\n.local/bin/ehttp-sited\n.local/bin/ehttpctl\n"
	    ".local/lib/ehttp/ehttp-ca.so\n"
	    ".local/share/bash-completion/completions/ehttp-client\n"
	    ".local/share/bash-completion/completions/ehttp-console\n"
	    ".local/share/bash-completion/completions/ehttp-mpd\n"
	    ".local/share/bash-completion/completions/ehttp-sited\n"
	    ".local/share/bash-completion/completions/ehttpctl\n"
	    ".local/share/man/man1/ehttp-client.1\n"
	    ".local/share/man/man1/ehttp-console.1\n"
	    ".local/share/man/man1/ehttpctl.1\n"
	    ".local/share/man/man8/ehttp-mpd.8\n"
	    ".local/share/man/man8/ehttp-sited.8\n");
	free(out);
}
END_TEST

/*
 * The installed units, checked by systemd itself: `systemd-analyze verify`
 * (the daemons' paths pointed into the install root, where they are) says
 * nothing, and `systemd-analyze security --offline` rates each unit's
 * exposure at 2.0 or less ("OK").
 */
START_TEST(units_verify_and_are_sandboxed)
{
	static const char *units[] = { "ehttp-sited.service",
	    "ehttp-agent@mp1.p01.contoso.com.service" };
	char *list = NULL, *out = NULL, *err = NULL;
	size_t i;
	int rc;

	rc = install_list(&list, "PREFIX=/usr");
	ck_assert_int_eq(rc, 0);
	free(list);
	rc = tu_sh(NULL, NULL, "D='%s'; mkdir -p \"$D/units\" &&"
	    " cd \"$D/root/usr/lib/systemd/system\" &&"
	    " sed \"s|/usr/sbin/|$D/root/usr/sbin/|\" ehttp-sited.service"
	    " >\"$D/units/ehttp-sited.service\" &&"
	    " sed \"s|/usr/sbin/|$D/root/usr/sbin/|\" ehttp-agent@.service"
	    " >\"$D/units/ehttp-agent@mp1.p01.contoso.com.service\"", tu_dir);
	ck_assert_int_eq(rc, 0);
	for (i = 0; i < TU_ALL(units); i++) {
		rc = tu_sh_in(tu_path("units"), &out, &err,
		    "systemd-analyze verify --man=no ./%s", units[i]);
		ck_assert_msg(rc == 0 && out[0] == '\0' && err[0] == '\0',
		    "verify %s (%d): %s%s", units[i], rc, out, err);
		free(out);
		free(err);
		rc = tu_sh_in(tu_path("units"), &out, &err,
		    "systemd-analyze security --offline=true --threshold=20 ./%s"
		    " | sed -n 's/.*Overall exposure level for [^:]*: \\([0-9.]*\\).*/\\1/p'",
		    units[i]);
		ck_assert_msg(rc == 0 && out[0] != '\0', "security %s (%d): %s",
		    units[i], rc, err);
		ck_assert_msg(strtod(out, NULL) <= 2.0,
		    "%s: exposure %s above 2.0", units[i], out);
		fprintf(stderr, "%s: exposure %s", units[i], out);
		free(out);
		free(err);
	}
}
END_TEST

/*
 * The Debian package (tests/deb-test.sh): built, lintian-clean, installed
 * with dpkg -i into an overlay root of this machine where the agent runs
 * as its unit runs it, removed and purged.
 */
START_TEST(debian_package_installs_and_runs)
{
	char *out = NULL, *err = NULL;
	int rc;

	rc = tu_sh(&out, &err, "sh '%s/tests/deb-test.sh' '%s' '%s' %d",
	    EHTTP_SRCDIR, EHTTP_SRCDIR, tu_dir, tu_free_port());
	ck_assert_msg(rc == 0, "deb-test.sh (%d):\n%s%s", rc, out ? out : "",
	    err ? err : "");
	ck_assert_msg(strstr(out, "lintian: no errors, no warnings\n") != NULL &&
	    strstr(out, "\ndeb: ok\n") != NULL, "%s", out);
	if (strstr(out, "install: skipped:") == NULL)
		ck_assert_msg(strstr(out, "inside: installed, demo made") != NULL,
		    "%s", out);
	fprintf(stderr, "%s", out);
	free(out);
	free(err);
}
END_TEST
#endif

/*
 * bash completion (the installed file, sourced by bash): the site codes and
 * FQDNs it offers are the ones python3 reads from `ehttpctl ... --json`;
 * a command's options and their values come from its usage.
 */
START_TEST(bash_completion_offers_the_database)
{
	char *out = NULL, *err = NULL, *want = NULL;
	int rc;

	rc = tu_sh(&out, &err, "cat >'%s' <<'EOF'\n"
	    ". '%s/backend/ctl/ehttpctl.bash-completion'\n"
	    "c() { COMP_WORDS=(\"$@\"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1));"
	    " COMPREPLY=(); f=_ehttpctl; [ \"${1##*/}\" = ehttpctl ] ||"
	    " f=_ehttp_program; $f; printf '%%s\\n' \"${COMPREPLY[*]}\"; }\n"
	    "E='%s/ehttpctl' D='%s'\n"
	    "c \"$E\" --db \"$D\" site set ''\n"
	    "c \"$E\" --db \"$D\" role add ''\n"
	    "c \"$E\" --db \"$D\" site set P01 --enhanced-http ''\n"
	    "c \"$E\" --db \"$D\" system add x --site P0\n"
	    "c \"$E\" --db \"$D\" log show --type ''\n"
	    "c \"$E\" --db \"$D\" cert list --ex\n"
	    "c \"$E\" si\n"
	    "c '%s/ehttp-mpd' --db \"$D\" --system dp\n"
	    "c '%s/ehttp-client' token --type ''\n"
	    "c \"$E\" --db '%s' site show ''\n"
	    "EOF\nbash '%s'", tu_path("c.sh"), EHTTP_SRCDIR, EHTTP_BINDIR,
	    tu_db, EHTTP_BINDIR, EHTTP_BINDIR, tu_path("none.db"),
	    tu_path("c.sh"));
	ck_assert_msg(rc == 0 && err[0] == '\0', "%d %s", rc, err);
	rc = tu_sh(&want, NULL, "E='%s/ehttpctl'; D='%s'; \"$E\" --db \"$D\""
	    " site list --json | %s -c 'import json, sys\n"
	    "print(\" \".join(s[\"code\"] for s in json.load(sys.stdin)))' &&"
	    " \"$E\" --db \"$D\" system list --json | %s -c 'import json, sys\n"
	    "s = [y[\"fqdn\"] for y in json.load(sys.stdin)]\n"
	    "print(\" \".join(s))\n"
	    "print(\"on off\")\n"
	    "print(\"P01 P02\")\n"
	    "print(\"info warning error malformed\")\n"
	    "print(\"--expiring\")\n"
	    "print(\"site\")\n"
	    "print(\" \".join(f for f in s if f.startswith(\"dp\")))\n"
	    "print(\"ccm site content\")\n"
	    "print(\"\")'", EHTTP_BINDIR, tu_db, tu_python(), tu_python());
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(out, want);
	free(out);
	free(err);
	free(want);
}
END_TEST

/*
 * Hostile rows: a site system named $(touch FILE) and one named *, in a
 * folder holding other files. Completing `role add` offers the demo's
 * other systems, neither of those two (nor the folder's files), and runs
 * nothing. The database is found by --db=PATH and by a quoted path with a
 * space in it.
 */
START_TEST(bash_completion_runs_nothing_from_the_database)
{
	char *out = NULL, *err = NULL;
	int rc;

	rc = tu_sh_in(tu_dir, NULL, &err, "mkdir 'a b' && cp site.db* 'a b'/ &&"
	    " sqlite3 'a b/site.db' \"UPDATE site_system SET fqdn ="
	    " '\\$(touch %s/pwned)' WHERE fqdn = 'dp2.p01.contoso.com';"
	    " UPDATE site_system SET fqdn = '*' WHERE fqdn = 'sup.p01.contoso.com'\""
	    " && touch zzz-file", tu_dir);
	ck_assert_msg(rc == 0, "%s", err);
	free(err);
	rc = tu_sh_in(tu_dir, &out, &err, "cat >c.sh <<'EOF'\n"
	    ". '%s/backend/ctl/ehttpctl.bash-completion'\n"
	    "c() { COMP_WORDS=(\"$@\"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1));"
	    " COMPREPLY=(); _ehttpctl; printf '%%s\\n' \"${COMPREPLY[*]}\"; }\n"
	    "E='%s/ehttpctl'\n"
	    "c \"$E\" --db \"'%s/a b/site.db'\" role add ''\n"
	    "c \"$E\" --db = \"\\\"%s/a b/site.db\\\"\" site show P\n"
	    "EOF\nbash c.sh", EHTTP_SRCDIR, EHTTP_BINDIR, tu_dir, tu_dir);
	ck_assert_msg(rc == 0 && err[0] == '\0', "%d %s", rc, err);
	ck_assert_str_eq(out, "cas.contoso.com dp1.p01.contoso.com"
	    " mp2.p01.contoso.com p01.contoso.com rsp.p01.contoso.com"
	    " dp1.p02.contoso.com p02.contoso.com s01.contoso.com\n"
	    "P01 P02\n");
	ck_assert_int_ne(access(tu_path("pwned"), F_OK), 0);
	free(out);
	free(err);
}
END_TEST

Suite *
install_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("pages", pages),
		TU_EACH(manual_page_agrees_with_program, manual),
		TU_TEST(manual_page_check_catches_a_difference),
		TU_CASE("completion", completion),
		TU_TEST(bash_completion_offers_the_database),
		TU_TEST(bash_completion_runs_nothing_from_the_database),
#if !defined(__SANITIZE_ADDRESS__)
		TU_CASE("layout", layout),
		TU_TEST(make_install_lays_out_everything),
		TU_TEST(units_verify_and_are_sandboxed),
		TU_CASE("package", package),
		TU_TEST(debian_package_installs_and_runs),
#endif
		{ 0 }
	};

	return tu_suite("install", tests);
}
