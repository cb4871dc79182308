/*
 * Packages and the content library (ehttpctl package ...), end to end on
 * the real program. What ehttp wrote is read back by what it did not
 * write: manifests by python3's json, hashes by sha256sum, the library's
 * layout by find and stat, the database by the sqlite3 CLI.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <check.h>

#include "content.h"
#include "testutil.h"
#include "xmalloc.h"

#define DP1	"dp1.p01.contoso.com"
#define DP2	"dp2.p01.contoso.com"
#define SEC	"s01.contoso.com"	/* S01's DP: a site below P01 */

/* ------------------------------------------------------------- helpers */

/* tu_dir/rel with its folders, holding text. */
static void
put(const char *rel, const char *text)
{
	free(tu_sh_ok("mkdir -p \"$(dirname '%s/%s')\" && printf '%%s' '%s' >"
	    " '%s/%s'", tu_dir, rel, text, tu_dir, rel));
}

/* One value the sqlite3 CLI reads from the database; that it is want. */
static char *
sql1(const char *q)
{
	char cli[4200];

	snprintf(cli, sizeof cli, "sqlite3 '%s'", tu_db);
	return tu_sql1(cli, q);
}

static void
sql_eq(const char *q, const char *want)
{
	char cli[4200];

	snprintf(cli, sizeof cli, "sqlite3 '%s'", tu_db);
	tu_sql_is(cli, q, want);
}

static char *
dump(void)
{
	return tu_sh_ok("sqlite3 '%s' .dump", tu_db);
}

/* package add NAME --source tu_dir/src --site P01 --json: the id. */
static char *
add(const char *name, const char *src)
{
	char *id = tu_ctl_json(tu_db, "d['package']['id']", "package", "add",
	    name, "--source", tu_path(src), "--site", "P01", "--json", NULL);

	ck_assert_msg(strlen(id) == 8 && strncmp(id, "P01", 3) == 0 &&
	    strspn(id + 3, "0123456789ABCDEF") == 5, "package id '%s'", id);
	return id;
}

/* A library's folder: tu_dir/content/site/P01 or .../dp/FQDN. */
static const char *
lib(const char *fqdn)
{
	static char buf[2][4200];
	static int k;

	k = !k;
	if (fqdn == NULL)
		snprintf(buf[k], sizeof buf[k], "%s/content/site/P01", tu_dir);
	else
		snprintf(buf[k], sizeof buf[k], "%s/content/dp/%s", tu_dir,
		    fqdn);
	return buf[k];
}

/* "sha size path" of each file of a source folder (links followed), in
 * byte order of the path: by sha256sum, stat and sort. */
static char *
src_listing(const char *src)
{
	return tu_sh_ok("cd '%s/%s' && find . \\( -type f -o -type l \\)"
	    " -printf '%%P\\n' | LC_ALL=C sort | while IFS= read -r f; do"
	    " printf '%%s %%s %%s\\n' \"$(sha256sum < \"$f\" | cut -c1-64)\""
	    " \"$(stat -L -c %%s \"$f\")\" \"$f\"; done", tu_dir, src);
}

/* The same lines from a library's manifest, as python3's json reads it,
 * in the manifest's order; its package, version and name checked. */
static char *
manifest_listing(const char *libdir, const char *id, int version,
    const char *name)
{
	char *path, *text, *out = NULL, *expr;

	xasprintf(&path, "%s/PkgLib/%s.json", libdir, id);
	text = tu_read_file(path, NULL);
	ck_assert_msg(text != NULL, "no manifest %s", path);
	xasprintf(&expr, "d['package'] == '%s' and d['version'] == %d and"
	    " d['name'] == '%s' and sorted(d) == ['files', 'name', 'package',"
	    " 'version']", id, version, name);
	tu_py_check(text, expr);
	free(expr);
	out = tu_sh_ok("%s -c \"import json, sys\nd = json.load(open(sys.argv[1],"
	    " encoding='utf-8'))\nfor f in d['files']: print(f['sha256'],"
	    " f['size'], f['path'])\" '%s'", tu_python(), path);
	free(text);
	free(path);
	return out;
}

/* Every FileLib file is named by its own SHA-256 (sha256sum) in the
 * folder of its first 4 hex digits; files 0644, folders 0755, nothing
 * writable by others. Returns how many files FileLib holds. */
static int
lib_sound(const char *libdir)
{
	char *bad, *n;
	int count;

	bad = tu_sh_ok("cd '%s' && find FileLib -type f ! -name '.tmp-*' |"
	    " while IFS= read -r f; do h=$(sha256sum < \"$f\" | cut -c1-64);"
	    " [ \"FileLib/$(printf %%s \"$h\" | cut -c1-4)/$h\" = \"$f\" ] ||"
	    " echo \"bad $f\"; done; find . \\( -type f ! -perm 644 \\) -o"
	    " \\( -type d ! -perm 755 \\) -o -perm -o+w", libdir);
	ck_assert_msg(*bad == '\0', "%s: %s", libdir, bad);
	free(bad);
	n = tu_sh_ok("find '%s/FileLib' -type f | wc -l", libdir);
	count = atoi(n);
	free(n);
	return count;
}

/* libdir sound with n files, none of them the file of hash gone. */
static void
lib_lacks(const char *libdir, int n, const char *gone)
{
	ck_assert_int_eq(lib_sound(libdir), n);
	ck_assert_int_eq(tu_sh(NULL, NULL, "test -e '%s/FileLib/%.4s/%s'",
	    libdir, gone, gone), 1);
}

/* The manifest of package id is in libdir (test -e: 0 yes, 1 no, asserted
 * one of them). */
static int
has_manifest(const char *libdir, const char *id)
{
	int rc = tu_sh(NULL, NULL, "test -e '%s/PkgLib/%s.json'", libdir, id);

	ck_assert_msg(rc == 0 || rc == 1, "test -e: exit %d", rc);
	return rc == 0;
}

/* a and b (malloc'ed) the same text; both freed. */
static void
same_text(char *a, char *b)
{
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
}

static void
no_tmp(const char *libdir)
{
	char *t = tu_sh_ok("find '%s' -name '.tmp-*'", libdir);

	ck_assert_msg(*t == '\0', "temporary files left: %s", t);
	free(t);
}

/* A source folder with subfolders, a UTF-8 name, an empty file, the same
 * bytes twice and a link to a file inside it. */
static void
make_src(const char *src)
{
	char rel[256];

	snprintf(rel, sizeof rel, "%s/setup.exe", src);
	put(rel, "MZ setup");
	snprintf(rel, sizeof rel, "%s/data/cab1.cab", src);
	put(rel, "cabinet one");
	snprintf(rel, sizeof rel, "%s/data/sub/x.bin", src);
	put(rel, "x");
	snprintf(rel, sizeof rel, "%s/copy/setup.exe", src);
	put(rel, "MZ setup");
	snprintf(rel, sizeof rel, "%s/donn\303\251es/\303\251t\303\251.txt",
	    src);
	put(rel, "\303\251t\303\251");
	snprintf(rel, sizeof rel, "%s/empty.txt", src);
	put(rel, "");
	free(tu_sh_ok("ln -s data/cab1.cab '%s/%s/link.cab'", tu_dir, src));
}

/* ---------------------------------------------------------------- tests */

START_TEST(add_show_list)
{
	char *id, *want, *got, *out, *json, *q;

	make_src("src");
	id = add("Office 2024", "src");
	/* The manifest names exactly the source's files, sorted by path. */
	want = src_listing("src");
	got = manifest_listing(lib(NULL), id, 1, "Office 2024");
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(tu_count(got, "\n"), 7);
	/* Single instance: 7 files, 5 distinct contents. */
	ck_assert_int_eq(lib_sound(lib(NULL)), 5);
	no_tmp(lib(NULL));
	/* list and show, read by python3. */
	json = tu_ctl_json(tu_db, "(len(d), d[0]['id'], d[0]['version'],"
	    " d[0]['files'], d[0]['size'], d[0]['site'],"
	    " d[0]['distribution_points'])", "package", "list", "--json", NULL);
	xasprintf(&q, "(1, '%s', 1, 7, 44, 'P01', 0)", id);
	ck_assert_str_eq(json, q);
	free(json);
	free(q);
	out = NULL;
	ck_assert_int_eq(tu_ctl(tu_db, &out, NULL, "package", "show", id,
	    "--json", NULL), 0);
	xasprintf(&q, "[(f['path'], f['size']) for f in d['file_list']][:3] =="
	    " [('copy/setup.exe', 8), ('data/cab1.cab', 11),"
	    " ('data/sub/x.bin', 1)] and d['dps'] == [] and d['library'] =="
	    " '%s' and d['source'] == '%s/src'", lib(NULL), tu_dir);
	tu_py_check(out, q);
	free(q);
	free(out);
	/* The database, as sqlite3 reads it. */
	xasprintf(&q, "SELECT p.name || '|' || p.version || '|' || s.code ||"
	    " '|' || (SELECT count(*) FROM package_file WHERE package_id ="
	    " p.id) || '|' || (SELECT sum(size) FROM package_file) || '|' ||"
	    " q.last FROM package p JOIN site s ON s.id = p.site_id JOIN"
	    " package_seq q ON q.site_id = s.id WHERE p.id = '%s'", id);
	sql_eq(q, "Office 2024|1|P01|7|44|1");
	free(q);
	sql_eq("SELECT group_concat(path, ',') FROM (SELECT path FROM"
	    " package_file WHERE path LIKE 'd%' ORDER BY path)",
	    "data/cab1.cab,data/sub/x.bin,donn\303\251es/\303\251t\303\251.txt");
	/* Audited like every change. */
	out = tu_sh_ok("'%s' --db '%s' audit --limit 1", tu_bin("ehttpctl"),
	    tu_db);
	tu_has(out, "package add", id, "Office 2024", NULL);
	free(out);
	/* A lower-case id is the same package; the text show names it. */
	for (char *p = id; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	out = NULL;
	ck_assert_int_eq(tu_ctl(tu_db, &out, NULL, "package", "show", id,
	    NULL), 0);
	tu_has(out, "Version:       1", "data/cab1.cab", "Distribution points:"
	    " none", NULL);
	free(out);
	free(got);
	free(want);
	free(id);
}
END_TEST

/* Two packages sharing a file store it once; removing one keeps what the
 * other names. */
START_TEST(single_instance)
{
	char *a, *b, *n;

	put("a/shared.bin", "the same bytes");
	put("a/only-a.bin", "only in a");
	put("b/sub/shared-too.bin", "the same bytes");
	put("b/only-b.bin", "only in b");
	a = add("A", "a");
	b = add("B", "b");
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(lib_sound(lib(NULL)), 3);
	n = tu_sh_ok("find '%s/FileLib' -name \"$(printf %%s 'the same bytes' |"
	    " sha256sum | cut -c1-64)\" | wc -l", lib(NULL));
	ck_assert_int_eq(atoi(n), 1);
	free(n);
	tu_ctl_ok(tu_db, "package", "remove", a, NULL);
	ck_assert_int_eq(lib_sound(lib(NULL)), 2);
	n = tu_sh_ok("ls '%s/PkgLib'", lib(NULL));
	ck_assert_str_eq(tu_line1(n) + 8, ".json");
	n[8] = '\0';
	ck_assert_str_eq(n, b);
	free(n);
	tu_ctl_ok(tu_db, "package", "remove", b, NULL);
	ck_assert_int_eq(lib_sound(lib(NULL)), 0);
	xasprintf(&n, "SELECT count(*) || ' ' || (SELECT count(*) FROM"
	    " package_file) || ' ' || (SELECT last FROM package_seq) FROM"
	    " package");
	sql_eq(n, "0 0 2");
	free(n);
	free(a);
	free(b);
}
END_TEST

START_TEST(distribute_undistribute)
{
	char *id, *site, *dp, *out, *q;

	make_src("src");
	put("other/setup.exe", "MZ setup");
	id = add("Office", "src");
	out = tu_ctl_json(tu_db, "(d['state'], d['version'], d['files'],"
	    " d['copied'], d['already_there'], d['dp'])", "package",
	    "distribute", id, "--dp", DP1, "--json", NULL);
	ck_assert_str_eq(out, "('installed', 1, 7, 5, 2, '" DP1 "')");
	free(out);
	/* The same manifest, the same bytes, as sha256sum sees them. */
	site = manifest_listing(lib(NULL), id, 1, "Office");
	dp = manifest_listing(lib(DP1), id, 1, "Office");
	ck_assert_str_eq(dp, site);
	free(dp);
	ck_assert_int_eq(lib_sound(lib(DP1)), 5);
	no_tmp(lib(DP1));
	xasprintf(&q, "SELECT d.state || ' ' || d.version || ' ' || y.fqdn ||"
	    " ' [' || d.error || ']' FROM package_dp d JOIN site_system y ON"
	    " y.id = d.system_id WHERE d.package_id = '%s'", id);
	sql_eq(q, "installed 1 " DP1 " []");
	/* Again: nothing copied, all there. */
	out = tu_ctl_json(tu_db, "(d['copied'], d['already_there'])",
	    "package", "distribute", id, "--dp", DP1, "--json", NULL);
	ck_assert_str_eq(out, "(0, 7)");
	free(out);
	/* A secondary site below P01 takes it too; show lists both. */
	tu_ctl_ok(tu_db, "package", "distribute", id, "--dp", SEC, NULL);
	out = tu_ctl_json(tu_db, "[(x['dp'], x['state'], x['current']) for x"
	    " in d['dps']]", "package", "show", id, "--json", NULL);
	ck_assert_str_eq(out, "[('" DP1 "', 'installed', True), ('" SEC "',"
	    " 'installed', True)]");
	free(out);
	/* While another command holds the library (flock(1) takes its lock),
	 * a writer is refused and nothing changes. */
	dp = dump();
	out = NULL;
	ck_assert_int_eq(tu_sh(NULL, &out, "flock -x '%s/.lock' '%s' --db '%s'"
	    " package undistribute %s --dp %s", lib(DP1), tu_bin("ehttpctl"),
	    tu_db, id, DP1), 1);
	tu_has(out, "is being written by another command", NULL);
	free(out);
	out = dump();
	ck_assert_str_eq(out, dp);
	free(out);
	free(dp);
	ck_assert(has_manifest(lib(DP1), id));
	/* Undistribute: the manifest goes, then every file. */
	out = tu_ctl_json(tu_db, "d['removed_files']", "package",
	    "undistribute", id, "--dp", DP1, "--json", NULL);
	ck_assert_str_eq(out, "5");
	free(out);
	ck_assert(!has_manifest(lib(DP1), id));
	ck_assert_int_eq(lib_sound(lib(DP1)), 0);
	sql_eq(q, "installed 1 " SEC " []");
	out = tu_sh_ok("'%s' --db '%s' audit --limit 1", tu_bin("ehttpctl"),
	    tu_db);
	tu_has(out, "package undistribute", id, DP1, NULL);
	free(out);
	/* Not there any more: refused, nothing changed. */
	tu_ctl_fails(tu_db, 1, "is not on " DP1, "package", "undistribute", id,
	    "--dp", DP1, NULL);
	free(q);
	free(site);
	free(id);
}
END_TEST

/* update: the next version, distributed at once to the DP that holds the
 * package (as Configuration Manager redistributes an updated package):
 * its library then names the new version's files only. A DP whose library
 * another command holds keeps serving the old version whole, its row
 * failed, and the update exits 1 saying so. */
START_TEST(update_redistribute)
{
	char *id, *out, *q, *gone, *err;

	put("src/keep.txt", "kept");
	put("src/change.txt", "version one");
	put("src/drop.txt", "dropped later");
	id = add("Tool", "src");
	tu_ctl_ok(tu_db, "package", "distribute", id, "--dp", DP2, NULL);
	gone = tu_sh_ok("printf %%s 'dropped later' | sha256sum | cut -c1-64");
	tu_line1(gone);
	put("src/change.txt", "version two");
	put("src/new/added.txt", "added");
	free(tu_sh_ok("rm '%s/src/drop.txt'", tu_dir));
	out = NULL;
	ck_assert_int_eq(tu_ctl(tu_db, &out, NULL, "package", "update", id,
	    NULL), 0);
	tu_has(out, "to version 2", "Version 2 is installed on " DP2
	    " (2 files copied, 1 already there)", NULL);
	free(out);
	same_text(manifest_listing(lib(NULL), id, 2, "Tool"),
	    src_listing("src"));
	/* The site's library no longer holds what only version 1 named. */
	lib_lacks(lib(NULL), 3, gone);
	xasprintf(&q, "SELECT version || ' ' || (SELECT group_concat(version"
	    " || ':' || n, ' ') FROM (SELECT version, count(*) n FROM"
	    " package_file WHERE package_id = '%s' GROUP BY version)) FROM"
	    " package WHERE id = '%s'", id, id);
	sql_eq(q, "2 1:3 2:3");
	free(q);
	/* The DP is on version 2, the site's manifest to the byte, and the
	 * dropped file is gone from it too. */
	same_text(manifest_listing(lib(DP2), id, 2, "Tool"),
	    manifest_listing(lib(NULL), id, 2, "Tool"));
	lib_lacks(lib(DP2), 3, gone);
	xasprintf(&q, "SELECT version || ' ' || state FROM package_dp WHERE"
	    " package_id = '%s'", id);
	sql_eq(q, "2 installed");
	out = tu_ctl_json(tu_db, "[(x['version'], x['current'], x['state'])"
	    " for x in d['dps']]", "package", "show", id, "--json", NULL);
	ck_assert_str_eq(out, "[(2, True, 'installed')]");
	free(out);
	/* Distributed again: all there already. */
	out = tu_ctl_json(tu_db, "(d['version'], d['copied'],"
	    " d['already_there'], d['removed'])", "package", "distribute", id,
	    "--dp", DP2, "--json", NULL);
	ck_assert_str_eq(out, "(2, 0, 3, 0)");
	free(out);
	/* --source: another folder, while another command holds the DP's
	 * library: the site has version 3, the DP serves version 2 whole and
	 * its row says so (not current). */
	put("src2/only.txt", "only");
	out = err = NULL;
	ck_assert_int_eq(tu_sh(&out, &err, "flock -x '%s/.lock' '%s' --db '%s'"
	    " package update %s --source '%s' --json", lib(DP2),
	    tu_bin("ehttpctl"), tu_db, id, tu_path("src2")), 1);
	tu_py_check(out, "(d['package']['version'], d['package']['files'],"
	    " [(x['version'], x['state'], x['current']) for x in d['dps']])"
	    " == (3, 1, [(2, 'installed', False)])");
	free(out);
	free(err);
	out = manifest_listing(lib(DP2), id, 2, "Tool");
	ck_assert_int_eq(tu_count(out, "\n"), 3);
	free(out);
	sql_eq(q, "2 installed");
	/* Without --json: the warning says what the DP keeps. */
	out = err = NULL;
	ck_assert_int_eq(tu_sh(&out, &err, "flock -x '%s/.lock' '%s' --db '%s'"
	    " package update %s", lib(DP2), tu_bin("ehttpctl"), tu_db, id), 1);
	tu_has(out, "to version 4", NULL);
	tu_has(err, "warning: " DP2 " keeps version 2: content library",
	    "is being written by another command", "ehttpctl package"
	    " distribute", NULL);
	free(out);
	free(err);
	/* The lock gone, distribute brings it to the current version. */
	out = tu_ctl_json(tu_db, "(d['version'], d['state'])", "package",
	    "distribute", id, "--dp", DP2, "--json", NULL);
	ck_assert_str_eq(out, "(4, 'installed')");
	free(out);
	free(q);
	free(gone);
	free(id);
}
END_TEST

/* remove: refused while on a DP; --force takes it off every DP first. */
START_TEST(remove_force)
{
	char *id, *out, *q;

	put("src/a.txt", "a");
	id = add("A", "src");
	tu_ctl_ok(tu_db, "package", "distribute", id, "--dp", DP1, NULL);
	tu_ctl_ok(tu_db, "package", "distribute", id, "--dp", DP2, NULL);
	out = dump();
	tu_ctl_fails(tu_db, 1, "is on 2 distribution points (" DP1 ", " DP2
	    "): undistribute it first", "package", "remove", id, NULL);
	q = dump();
	ck_assert_str_eq(q, out);
	free(q);
	free(out);
	tu_ctl_ok(tu_db, "package", "remove", id, "--force", NULL);
	ck_assert_int_eq(lib_sound(lib(DP1)), 0);
	ck_assert_int_eq(lib_sound(lib(DP2)), 0);
	ck_assert_int_eq(lib_sound(lib(NULL)), 0);
	out = tu_sh_ok("find '%s/content' -name '*.json'", tu_dir);
	ck_assert_str_eq(out, "");
	free(out);
	sql_eq("SELECT (SELECT count(*) FROM package) + (SELECT count(*) FROM"
	    " package_dp) + (SELECT count(*) FROM package_file)", "0");
	tu_ctl_fails(tu_db, 1, "no such package", "package", "show", id, NULL);
	free(id);
}
END_TEST

/* Refusals: exit 1, the reason named, the database and the content as
 * they were. */
static const struct {
	const char	*argv[9];
	const char	*message;
} refused[] = {
	/* package add X --source SRC --site P01 */
#define ADD(src)	{ "package", "add", "X", "--source", (src), "--site", \
			  "P01" }
	{ ADD("@/missing"), "missing: No such file or directory" },
	{ ADD("@/plain"), "not a folder" },
	{ ADD("@/escape"), "evil: a symbolic link to /etc/passwd, outside the"
	  " source folder" },
	{ ADD("@/dirlink"), "sub-link: a symbolic link to a folder" },
	{ ADD("@/dangling"), "nowhere: a symbolic link to nothing" },
	{ ADD("@/fifo"), "pipe: a FIFO" },
	{ ADD("@/ctrl"), "file path 'bad\\x01name': not printable UTF-8" },
	{ ADD("@/latin1"), "file path 'caf\\xe9': not printable UTF-8" },
	{ ADD("@/empty"), "no files (a package needs at least one)" },
	{ ADD("@/content/site"), "inside the content root" },
	{ ADD("@"), "holds the content root" },
#undef ADD
	{ { "package", "add", "X", "--source", "@/good", "--site", "S01" },
	  "site S01 is a secondary site" },
	{ { "package", "add", "X", "--source", "@/good" },
	  "more than one site can own the package (CAS, P01, P02)" },
	{ { "package", "add", "X", "--source", "@/good", "--site", "ZZZ" },
	  "no such site" },
	{ { "package", "add", "bad\nname", "--source", "@/good", "--site",
	    "P01" }, "package name 'bad\\nname': not printable" },
	{ { "package", "distribute", "@ID", "--dp", "nosuch.contoso.com" },
	  "FQDN 'nosuch.contoso.com': no such site system" },
	{ { "package", "distribute", "@ID", "--dp", "p01.contoso.com" },
	  "p01.contoso.com is not a distribution point" },
	{ { "package", "distribute", "@ID", "--dp", "dp1.p02.contoso.com" },
	  "is in site P02, which is not P01 nor below it" },
	{ { "package", "distribute", "@ID", "--dp", "../../etc" },
	  "FQDN '../../etc'" },
	{ { "package", "distribute", "XYZ", "--dp", DP1 },
	  "package id 'XYZ': must be a site code and 5 hexadecimal digits" },
	{ { "package", "show", "P01GGGGG" }, "must end with 5 upper-case"
	  " hexadecimal digits" },
	{ { "package", "show", "P01FFFFF" }, "package P01FFFFF: no such"
	  " package" },
	{ { "package", "update", "P01FFFFF" }, "no such package" },
	{ { "package", "remove", "../x" }, "package id '../x'" },
	{ { "package", "undistribute", "@ID", "--dp", DP1 },
	  "is not on " DP1 },
};

/* One refusal: exit 1 and its message; the database and the content
 * libraries exactly as they were. */
static void
refusal(int i, const char *id, const char *before, const char *content)
{
	char *argv[12], *after, *content2, *out = NULL, *err = NULL;
	int argc = 0, rc;

	argv[argc++] = xstrdup(tu_bin("ehttpctl"));
	argv[argc++] = xstrdup("--db");
	argv[argc++] = xstrdup(tu_db);
	for (int k = 0; k < 9 && refused[i].argv[k] != NULL; k++) {
		const char *a = refused[i].argv[k];

		if (strcmp(a, "@ID") == 0)
			argv[argc++] = xstrdup(id);
		else if (a[0] == '@')
			xasprintf(&argv[argc++], "%s%s", tu_dir, a + 1);
		else
			argv[argc++] = xstrdup(a);
	}
	argv[argc] = NULL;
	rc = tu_run(argv, &out, &err);
	ck_assert_msg(rc == 1, "refusal %d (%s): exit %d: %s", i,
	    refused[i].message, rc, err);
	ck_assert_msg(strstr(err, refused[i].message) != NULL, "refusal %d:"
	    " stderr '%s' lacks '%s'", i, err, refused[i].message);
	after = dump();
	ck_assert_msg(strcmp(before, after) == 0, "refusal %d (%s): the"
	    " database changed", i, refused[i].message);
	content2 = tu_sh_ok("cd '%s' && find content | sort", tu_dir);
	ck_assert_msg(strcmp(content, content2) == 0, "refusal %d (%s): the"
	    " content changed", i, refused[i].message);
	for (int k = 0; k < argc; k++)
		free(argv[k]);
	free(out);
	free(err);
	free(after);
	free(content2);
}

START_TEST(bad_input_refused)
{
	char *id, *before, *content;

	put("plain", "a file");
	put("good/a.txt", "a");
	put("escape/ok.txt", "ok");
	free(tu_sh_ok("cd '%s' && ln -s /etc/passwd escape/evil &&"
	    " mkdir -p dirlink/sub && echo x > dirlink/sub/x && ln -s sub"
	    " dirlink/sub-link && mkdir dangling && ln -s nothing-here"
	    " dangling/nowhere && mkdir fifo && mkfifo fifo/pipe && mkdir ctrl"
	    " && touch \"ctrl/bad$(printf '\\001')name\" && mkdir latin1 &&"
	    " touch \"latin1/caf$(printf '\\351')\" && mkdir empty", tu_dir));
	id = add("Good", "good");
	before = dump();
	content = tu_sh_ok("cd '%s' && find content | sort", tu_dir);
	for (size_t i = 0; i < TU_ALL(refused); i++)
		refusal((int)i, id, before, content);
	free(before);
	free(content);
	free(id);
}
END_TEST

/* Where content lives: --content, else $EHTTP_CONTENT, else beside the
 * database. */
START_TEST(content_root_rule)
{
	char *out;

	put("src/a.txt", "a");
	out = tu_sh_ok("cd '%s' && EHTTP_CONTENT='%s/env' '%s' --db '%s' package"
	    " add A --source src --site P01 --json >/dev/null &&"
	    " EHTTP_CONTENT='%s/env' '%s' --db '%s' --content '%s/opt' package"
	    " add B --source src --site P01 >/dev/null && '%s' --db '%s'"
	    " package add C --source src --site P01 >/dev/null && find . -name"
	    " '*.json' | LC_ALL=C sort", tu_dir, tu_dir, tu_bin("ehttpctl"),
	    tu_db, tu_dir, tu_bin("ehttpctl"), tu_db, tu_dir,
	    tu_bin("ehttpctl"), tu_db);
	ck_assert_str_eq(out, "./content/site/P01/PkgLib/P0100003.json\n"
	    "./env/site/P01/PkgLib/P0100001.json\n"
	    "./opt/site/P01/PkgLib/P0100002.json\n");
	free(out);
	/* Each command takes --content, after the command too. */
	out = tu_ctl_json(tu_db, "d['library']", "package", "show", "P0100002",
	    "--content", "/elsewhere", "--json", NULL);
	ck_assert_str_eq(out, "/elsewhere/site/P01");
	free(out);
}
END_TEST

/* ------------------------------------------------ crashes and a full disk */

static pid_t
spawn_ctl(const char *a1, const char *a2, const char *a3, const char *a4,
    const char *a5, const char *a6, const char *a7)
{
	pid_t pid = fork();

	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(tu_bin("ehttpctl"), "ehttpctl", "--db", tu_db, a1, a2, a3,
		    a4, a5, a6, a7, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Wait (up to 20 s) until find in dir matches; 1 found, 0 the process
 * ended first. */
static int
wait_for(const char *dir, const char *name, pid_t pid)
{
	char *out;
	int status;

	for (int i = 0; i < 20000; i++) {
		out = NULL;
		tu_sh(&out, NULL, "find '%s' -name '%s' 2>/dev/null", dir, name);
		if (out != NULL && *out != '\0') {
			free(out);
			return 1;
		}
		free(out);
		if (waitpid(pid, &status, WNOHANG) == pid)
			return 0;
		tu_msleep(1);
	}
	ck_abort_msg("%s never appeared in %s", name, dir);
	return 0;
}

/* The library's promise: a manifest only names whole files. */
static void
manifest_whole(const char *libdir, const char *id)
{
	char *bad;

	bad = tu_sh_ok("m='%s/PkgLib/%s.json'; [ -e \"$m\" ] || exit 0; %s -c"
	    " \"import json, sys\nfor f in json.load(open(sys.argv[1]))['files']:"
	    " print(f['sha256'], f['size'])\" \"$m\" | while read h s; do"
	    " f='%s/FileLib/'$(printf %%s $h | cut -c1-4)/$h; [ \"$(sha256sum <"
	    " $f | cut -c1-64) $(stat -c %%s $f)\" = \"$h $s\" ] || echo bad"
	    " $h; done", libdir, id, tu_python(), libdir);
	ck_assert_msg(*bad == '\0', "a manifest names a file not whole: %s",
	    bad);
	free(bad);
}

START_TEST(sigkill_mid_distribute)
{
	char *id, *out, *q;
	pid_t pid;
	int status, delay, killed = 0;

	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	free(tu_sh_ok("mkdir -p '%s/big' && head -c 256M /dev/urandom >"
	    " '%s/big/huge.bin' && echo small > '%s/big/small.txt' && mkdir"
	    " '%s/big2' && head -c 128M /dev/urandom > '%s/big2/other.bin'",
	    tu_dir, tu_dir, tu_dir, tu_dir, tu_dir));
	id = add("Big", "big");
	for (int round = 0; round < 3; round++) {
		/* Each round copies: a finished one is taken off first. */
		if (has_manifest(lib(DP1), id))
			tu_ctl_ok(tu_db, "package", "undistribute", id, "--dp",
			    DP1, NULL);
		pid = spawn_ctl("package", "distribute", id, "--dp", DP1, NULL,
		    NULL);
		if (!wait_for(lib(DP1), ".tmp-*", pid))
			ck_abort_msg("round %d: the distribute ended before it"
			    " copied", round);
		delay = round == 0 ? 0 : rand() % 150;
		tu_msleep(delay);
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		if (WIFSIGNALED(status))
			killed++;
		/* Whatever the moment: no manifest names a part file. */
		manifest_whole(lib(DP1), id);
		if (WIFSIGNALED(status)) {
			xasprintf(&q, "SELECT state FROM package_dp WHERE"
			    " package_id = '%s'", id);
			out = sql1(q);
			ck_assert_msg(strcmp(out, "distributing") == 0 ||
			    strcmp(out, "installed") == 0, "killed after %d"
			    " ms: state %s", delay, out);
			free(out);
			free(q);
		}
	}
	ck_assert_int_gt(killed, 0);
	/* The next distribute completes and leaves no temporary file. */
	out = tu_ctl_json(tu_db, "d['state']", "package", "distribute", id,
	    "--dp", DP1, "--json", NULL);
	ck_assert_str_eq(out, "installed");
	free(out);
	no_tmp(lib(DP1));
	manifest_whole(lib(DP1), id);
	ck_assert_int_eq(lib_sound(lib(DP1)), 2);
	same_text(manifest_listing(lib(DP1), id, 1, "Big"), src_listing("big"));
	/* An add killed while it copies: nothing of it is left served. */
	pid = spawn_ctl("package", "add", "Big2", "--source", tu_path("big2"),
	    "--site", "P01");
	if (wait_for(lib(NULL), ".tmp-*", pid)) {
		tu_msleep(rand() % 100);
		kill(pid, SIGKILL);
	}
	waitpid(pid, &status, 0);
	put("small/a.txt", "a");
	free(add("Small", "small"));
	no_tmp(lib(NULL));
	out = tu_sh_ok("ls '%s/PkgLib' | sed 's/.json$//' | LC_ALL=C sort |"
	    " tr '\\n' ' '", lib(NULL));
	q = tu_sh_ok("sqlite3 '%s' 'SELECT id FROM package ORDER BY id' | tr"
	    " '\\n' ' '", tu_db);
	ck_assert_str_eq(out, q);
	free(out);
	free(q);
	free(id);
}
END_TEST

/*
 * A distribute killed (SIGKILL) while it copies a big file leaves its row
 * "distributing" in the database. Once no command holds the DP's library,
 * package show reports it failed, interrupted, with the command that
 * tries again, without writing the database; while a command holds the
 * library (flock(1) takes its lock) it is as the row says. The next
 * distribute installs it.
 */
START_TEST(killed_distribute_shown_interrupted)
{
	char *id, *out, *q;
	pid_t pid;
	int status;

	free(tu_sh_ok("mkdir -p '%s/big' && head -c 128M /dev/urandom >"
	    " '%s/big/huge.bin'", tu_dir, tu_dir));
	id = add("Big", "big");
	pid = spawn_ctl("package", "distribute", id, "--dp", DP1, NULL, NULL);
	ck_assert_msg(wait_for(lib(DP1), ".tmp-*", pid), "the distribute"
	    " ended before it copied");
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "the distribute ended (status %d) before it was killed", status);
	xasprintf(&q, "SELECT version || ' ' || state || ' [' || error || ']'"
	    " FROM package_dp WHERE package_id = '%s'", id);
	sql_eq(q, "1 distributing []");
	free(q);
	/* A command holds the library: it may be the one distributing. */
	out = tu_sh_ok("flock -x '%s/.lock' '%s' --db '%s' package show %s"
	    " --json", lib(DP1), tu_bin("ehttpctl"), tu_db, id);
	tu_py_check(out, "[(x['state'], x['error']) for x in d['dps']] =="
	    " [('distributing', '')]");
	free(out);
	/* Nobody does: interrupted, and how to finish it. */
	out = tu_ctl_json(tu_db, "[(x['dp'], x['version'], x['state'],"
	    " x['error']) for x in d['dps']]", "package", "show", id,
	    "--json", NULL);
	xasprintf(&q, "[('%s', 1, 'failed', 'interrupted while it was copied"
	    " (the command was killed or stopped): ehttpctl package"
	    " distribute %s --dp %s tries again')]", DP1, id, DP1);
	ck_assert_str_eq(out, q);
	free(out);
	free(q);
	out = NULL;
	ck_assert_int_eq(tu_ctl(tu_db, &out, NULL, "package", "show", id,
	    NULL), 0);
	tu_has(out, "failed", "interrupted while it was copied", NULL);
	free(out);
	/* show wrote nothing; no manifest names a part file. */
	xasprintf(&q, "SELECT state FROM package_dp WHERE package_id = '%s'",
	    id);
	sql_eq(q, "distributing");
	manifest_whole(lib(DP1), id);
	ck_assert(!has_manifest(lib(DP1), id));
	/* Distributed again: installed, whole, no temporary file. */
	out = tu_ctl_json(tu_db, "(d['state'], d['version'])", "package",
	    "distribute", id, "--dp", DP1, "--json", NULL);
	ck_assert_str_eq(out, "('installed', 1)");
	free(out);
	sql_eq(q, "installed");
	no_tmp(lib(DP1));
	manifest_whole(lib(DP1), id);
	out = tu_ctl_json(tu_db, "[(x['state'], x['error']) for x in"
	    " d['dps']]", "package", "show", id, "--json", NULL);
	ck_assert_str_eq(out, "[('installed', '')]");
	free(out);
	free(q);
	free(id);
}
END_TEST

/* A full disk on the distribution point: a clear error, state failed,
 * no manifest, no temporary file. */
START_TEST(disk_full_fails_clean)
{
	char *id, *out = NULL, *err = NULL, *q;
	int rc;

	TU_NEED_MOUNT();
	free(tu_sh_ok("mkdir -p '%s/big' '%s/content/dp' && head -c 6M"
	    " /dev/urandom > '%s/big/six.bin'", tu_dir, tu_dir, tu_dir));
	id = add("Six", "big");
	rc = tu_sh(&out, &err, "unshare -m sh -c \"mount -t tmpfs -o size=4m"
	    " tmpfs '%s/content/dp' && { '%s' --db '%s' package distribute %s"
	    " --dp %s; echo exit=\\$?; test -e '%s/PkgLib/%s.json' && echo"
	    " manifest; find '%s/content/dp' -name '.tmp-*'; }\"", tu_dir,
	    tu_bin("ehttpctl"), tu_db, id, DP1, lib(DP1), id, tu_dir);
	ck_assert_msg(rc == 0, "unshare: %d %s", rc, err);
	ck_assert_msg(strcmp(out, "exit=1\n") == 0, "out: %s err: %s", out,
	    err);
	tu_has(err, "No space left on device", NULL);
	free(out);
	xasprintf(&q, "SELECT state || ': ' || error FROM package_dp WHERE"
	    " package_id = '%s'", id);
	out = sql1(q);
	ck_assert_msg(strncmp(out, "failed: ", 8) == 0 && strstr(out,
	    "No space left on device") != NULL, "%s", out);
	free(out);
	free(q);
	free(err);
	free(id);
}
END_TEST

/* Progress on standard error when it is a terminal (script(1) gives one),
 * and none when it is not. */
START_TEST(progress_on_terminal)
{
	char *out, *err = NULL;

	free(tu_sh_ok("mkdir -p '%s/big' && head -c 20M /dev/urandom >"
	    " '%s/big/twenty.bin'", tu_dir, tu_dir));
	out = tu_sh_ok("script -qfec \"'%s' --db '%s' package add Big --source"
	    " '%s/big' --site P01\" /dev/null", tu_bin("ehttpctl"), tu_db,
	    tu_dir);
	tu_has(out, "\rAdding P0100001 (20 MiB):  ", "\rAdding P0100001 (20"
	    " MiB): 100%\r\n", "Added package P0100001", NULL);
	free(out);
	out = NULL;
	ck_assert_int_eq(tu_ctl(tu_db, &out, &err, "package", "distribute",
	    "P0100001", "--dp", DP1, NULL), 0);
	ck_assert_msg(strchr(err, '%') == NULL && strchr(err, '\r') == NULL,
	    "progress without a terminal: %s", err);
	free(out);
	free(err);
}
END_TEST

/* ------------------------------------------------ the manifest reader */

static const struct tu_verdict manifests[] = {
	{ "{\"package\":\"P01000A3\",\"version\":2,\"name\":\"N\",\"files\":["
	  "{\"path\":\"a/b.txt\",\"size\":3,\"sha256\":\"@1\"},"
	  "{\"path\":\"c\",\"size\":0,\"sha256\":\"@2\"}]}", NULL },
	{ "{\"package\":\"P01000A3\",\"version\":2,\"name\":\"N\",\"files\":["
	  "{\"path\":\"c\",\"size\":3,\"sha256\":\"@1\"},"
	  "{\"path\":\"a\",\"size\":0,\"sha256\":\"@2\"}]}",
	  "not sorted by path" },
	{ "{\"package\":\"P01000A3\",\"version\":2,\"name\":\"N\",\"files\":["
	  "{\"path\":\"a\",\"size\":3,\"sha256\":\"@1\"},"
	  "{\"path\":\"a\",\"size\":0,\"sha256\":\"@2\"}]}", "listed twice" },
	{ "{\"package\":\"P01000A3\",\"version\":2,\"name\":\"N\",\"files\":["
	  "{\"path\":\"../a\",\"size\":3,\"sha256\":\"@1\"},"
	  "{\"path\":\"b\",\"size\":0,\"sha256\":\"@2\"}]}", "'..' segment" },
	{ "{\"package\":\"P01000A3\",\"version\":2,\"name\":\"N\",\"files\":["
	  "{\"path\":\"/a\",\"size\":3,\"sha256\":\"@1\"},"
	  "{\"path\":\"b\",\"size\":0,\"sha256\":\"@2\"}]}", "starts with '/'" },
	{ "{\"package\":\"P01000A3\",\"version\":2,\"name\":\"N\",\"files\":["
	  "{\"path\":\"a//b\",\"size\":3,\"sha256\":\"@1\"},"
	  "{\"path\":\"b\",\"size\":0,\"sha256\":\"@2\"}]}", "empty segment" },
	{ "{\"package\":\"P01000A3\",\"version\":2,\"name\":\"N\",\"files\":["
	  "{\"path\":\"a\\u0007\",\"size\":3,\"sha256\":\"@1\"},"
	  "{\"path\":\"b\",\"size\":0,\"sha256\":\"@2\"}]}", "not printable" },
	{ "{\"package\":\"P01000A3\",\"version\":2,\"name\":\"N\",\"files\":["
	  "{\"path\":\"a\",\"size\":-1,\"sha256\":\"@1\"},"
	  "{\"path\":\"b\",\"size\":0,\"sha256\":\"@2\"}]}", "out of range" },
	{ "{\"package\":\"P01000A3\",\"version\":0,\"name\":\"N\",\"files\":["
	  "{\"path\":\"a\",\"size\":1,\"sha256\":\"@1\"},"
	  "{\"path\":\"b\",\"size\":0,\"sha256\":\"@2\"}]}", "\"version\"" },
	{ "{\"package\":\"P01000A3\",\"package\":\"P01000A3\",\"version\":1,"
	  "\"name\":\"N\",\"files\":[{\"path\":\"a\",\"size\":1,\"sha256\":"
	  "\"@1\"},{\"path\":\"b\",\"size\":0,\"sha256\":\"@2\"}]}",
	  "duplicate" },
	{ "{\"package\":\"P02000A3\",\"version\":1,\"name\":\"N\",\"files\":["
	  "{\"path\":\"a\",\"size\":1,\"sha256\":\"@1\"},"
	  "{\"path\":\"b\",\"size\":0,\"sha256\":\"@2\"}]}",
	  "the manifest of package P02000A3" },
	{ "{\"package\":\"P01000A3\",\"version\":1,\"name\":\"N\",\"files\":["
	  "{\"path\":\"a\",\"size\":1,\"sha256\":\"@1\"},"
	  "{\"path\":\"b\",\"size\":0,\"sha256\":\"@2\"}]} x", "line 1" },
	{ "{\"package\":\"P01000A3\",\"version\":1,\"name\":\"N\",\"files\":["
	  "{\"path\":\"a\",\"size\":1,\"sha256\":\"@1\"},"
	  "{\"path\":\"b\",\"size\":0,\"sha256\":\"@3\"}]}", "64 lower-case" },
	{ "{\"package\":\"P01000A3\",\"version\":1,\"name\":\"N\",\"files\":["
	  "{\"path\":\"a\",\"size\":1,\"sha256\":\"@1\"},"
	  "{\"path\":\"b\",\"size\":0,\"sha256\":\"@4\"}]}", "64 lower-case" },
};

/* json with @1..@4 replaced by v[0..3]. */
static char *
subst(const char *json, const char *const *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = xopen_memstream(&buf, &len);

	for (const char *p = json; *p != '\0'; p++)
		if (p[0] == '@' && p[1] >= '1' && p[1] <= '4')
			fputs(v[*++p - '1'], f);
		else
			fputc(*p, f);
	fclose(f);
	return buf;
}

START_TEST(manifest_reader)
{
	static const char h1[] = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af"
	    "34d08286a2e846f6be03";
	static const char h2[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b"
	    "934ca495991b7852b855";
	struct db_package_file *f = NULL;
	struct db_package p;
	char *text, *path, *cause = NULL, *upper = NULL;
	size_t n = 0;
	int rc;

	free(tu_sh_ok("mkdir -p '%s/lib/PkgLib'", tu_dir));
	xasprintf(&path, "%s/lib/PkgLib/P01000A3.json", tu_dir);
	upper = xstrdup(h2);
	upper[0] = 'E';
	text = subst(manifests[_i].in, (const char *const []){ h1, h2,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
	    upper });
	ck_assert_int_eq(tu_write_file(path, text, strlen(text)), 0);
	rc = ehttp_content_manifest(tu_path("lib"), "p01000a3", &p, &f, &n,
	    &cause);
	if (manifests[_i].why == NULL) {
		ck_assert_msg(rc == 1, "%s: %s", text, cause);
		ck_assert_str_eq(p.id, "P01000A3");
		ck_assert_int_eq(p.version, 2);
		ck_assert_uint_eq(n, 2);
		ck_assert_str_eq(f[0].path, "a/b.txt");
		ck_assert_str_eq(f[1].sha256, h2);
		/* python3 reads it the same. */
		tu_py_check(text, "[x['path'] for x in d['files']] =="
		    " ['a/b.txt', 'c']");
	} else {
		ck_assert_msg(rc == -1, "%s: accepted", text);
		ck_assert_msg(cause != NULL && strstr(cause,
		    manifests[_i].why) != NULL, "%s: '%s' lacks '%s'", text,
		    cause, manifests[_i].why);
	}
	free(f);
	free(cause);
	/* No such package, or no such id: 0. */
	ck_assert_int_eq(ehttp_content_manifest(tu_path("lib"), "P01000A4",
	    &p, &f, &n, &cause), 0);
	ck_assert_int_eq(ehttp_content_manifest(tu_path("lib"),
	    "../PkgLib/P01000A3", &p, &f, &n, &cause), 0);
	free(upper);
	free(text);
	free(path);
}
END_TEST

static const struct tu_fixture fx_packages = TU_DEMO_FIXTURE(120);
static const struct tu_fixture fx_reader = TU_DIR_FIXTURE(30);
static const struct tu_fixture fx_crashes = TU_DEMO_FIXTURE(300);

Suite *
content_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("packages", fx_packages),
		TU_TEST(add_show_list),
		TU_TEST(single_instance),
		TU_TEST(distribute_undistribute),
		TU_TEST(update_redistribute),
		TU_TEST(remove_force),
		TU_TEST(bad_input_refused),
		TU_TEST(content_root_rule),
		TU_TEST(progress_on_terminal),
		TU_CASE("reader", fx_reader),
		TU_LOOP(manifest_reader, TU_ALL(manifests)),
		TU_CASE("crashes", fx_crashes),
		TU_TEST(sigkill_mid_distribute),
		TU_TEST(killed_distribute_shown_interrupted),
		TU_TEST(disk_full_fails_clean),
		{ 0 }
	};

	return tu_suite("content", tests);
}
