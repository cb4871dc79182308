/* ehttpctl end to end: help, usage, refusals leave the DB unchanged, JSON. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <check.h>

#include "testutil.h"
#include "xmalloc.h"

/* Each test on a fresh copy of the demo. */
static const struct tu_fixture ehttpctl_fixture = TU_DEMO_FIXTURE(300);

#define SMSID0	"GUID:0b7d4f6e-1a2b-4c3d-8e9f-a0b1c2d3e4f5"

/* 60 letters: four of them and dots make a 247-character FQDN. */
#define A60	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* Everything in the database, as text: to prove a refusal changed nothing. */
static char *
dump(void)
{
	char *out = NULL;

	ck_assert_int_eq(tu_sh(&out, NULL, "sqlite3 '%s' .dump", tu_db), 0);
	return out;
}

static const char *const helps[][3] = {
	{ "--help", NULL, NULL }, { "init", "--help", NULL },
	{ "site", "--help", NULL }, { "site", "add", "--help" },
	{ "site", "list", "--help" }, { "site", "show", "--help" },
	{ "site", "set", "--help" }, { "system", "add", "--help" },
	{ "system", "list", "--help" }, { "system", "remove", "--help" },
	{ "role", "add", "--help" }, { "role", "set", "--help" },
	{ "role", "remove", "--help" }, { "status", "--help", NULL },
	{ "audit", "--help", NULL }, { "site", "trusted-root", "--help" },
	{ "cert", "import-pki", "--help" },
};

START_TEST(help_every_level)
{
	char *out = NULL, *err = NULL;

	ck_assert_int_eq(tu_ctl(tu_db, &out, &err, helps[_i][0], helps[_i][1],
	    helps[_i][2], NULL), 0);
	ck_assert_msg(strstr(out, "usage: ehttpctl") != NULL, "%s", out);
	free(out);
	free(err);
}
END_TEST

static const char *const usages[][4] = {
	{ "frobnicate", NULL }, { "site", NULL }, { "site", "frob", NULL },
	{ "site", "add", NULL }, { "site", "add", "P09", NULL },
	{ "site", "show", NULL }, { "site", "set", "P01", NULL },
	{ "site", "list", "--bogus", NULL }, { "system", "add", "x.y.z", NULL },
	{ "role", "add", "p01.contoso.com", NULL }, { "--bogus", NULL },
	{ "status", "--limit", NULL }, { "site", "trusted-root", NULL },
	{ "site", "trusted-root", "frob", NULL },
	{ "site", "trusted-root", "add", NULL },
	{ "site", "trusted-root", "list", NULL },
};

START_TEST(usage_errors_exit_2)
{
	char *out = NULL, *err = NULL, *before = dump(), *after;

	ck_assert_int_eq(tu_ctl(tu_db, &out, &err, usages[_i][0], usages[_i][1],
	    usages[_i][2], usages[_i][3], NULL), 2);
	ck_assert_msg(strlen(err) > 0, "no message on stderr");
	after = dump();
	ck_assert_str_eq(before, after);
	free(out);
	free(err);
	free(before);
	free(after);
}
END_TEST

/* Refused inputs: exit 1, the field and reason named, DB unchanged. A
 * message starting "2:" is a usage error (a value outside the listed words,
 * nothing to set): exit 2. */
static const struct tu_refusal refusals[] = {
	{ "site add AUX --name X --type primary", "site code 'AUX': reserved" },
	{ "site add P1 --name X --type primary",
	  "site code 'P1': must be exactly 3" },
	{ "site add P01 --name X --type primary",
	  "site code 'P01': already used" },
	{ "site add P09 --name 'Bad Name' --type primary",
	  "site name 'Bad Name'" },
	{ "site add P09 --name X --type tertiary", "site type 'tertiary'" },
	{ "site add C02 --name X --type cas",
	  "already has a central administration site" },
	{ "site add S09 --name X --type secondary",
	  "parent: a secondary site needs" },
	{ "site add S09 --name X --type secondary --parent CAS",
	  "must be attached to a primary" },
	{ "site add P09 --name X --type primary --parent P01",
	  "central administration site" },
	{ "site add P09 --name X --type primary --parent ZZZ", "no such site" },
	{ "site set P02 --enhanced-http on",
	  "enhanced HTTP: site P02 is HTTPS only" },
	{ "site set P01 --client-comm https-only --enhanced-http on",
	  "is HTTPS only" },
	{ "site set P01 --client-comm sometimes", "2:client-comm 'sometimes'" },
	{ "site set P01 --crl-check maybe",
	  "2:crl-check 'maybe': must be on or off (yes or no)" },
	{ "site set S01 --require-signing on", "only primary sites" },
	{ "site set P02 --pki-client-cert off",
	  "always on when the site is HTTPS only" },
	{ "site set P01 --key-alg dsa", "2:key algorithm 'dsa'" },
	{ "site set ZZZ --crl-check on", "no such site" },
	{ "system add bad_name.contoso.com --site P01",
	  "FQDN 'bad_name.contoso.com'" },
	{ "system add host --site P01", "not fully qualified" },
	{ "system add dp1.p01.contoso.com --site P02",
	  "already a site system of site P01" },
	{ "system add new.contoso.com --site Q99", "no such site" },
	{ "system remove nope.contoso.com", "no such site system" },
	{ "role add cas.contoso.com mp",
	  "central administration site, which hosts no management point" },
	{ "role add cas.contoso.com dp", "hosts no distribution" },
	{ "role add p01.contoso.com mp", "already hosts" },
	{ "role add rsp.p01.contoso.com cmg", "role 'cmg'" },
	{ "role add rsp.p01.contoso.com sup --connection http",
	  "has no client connection setting" },
	{ "role add rsp.p01.contoso.com mp --connection ftp",
	  "2:connection 'ftp'" },
	{ "role add rsp.p01.contoso.com mp --allow-anonymous yes",
	  "only a distribution point" },
	{ "role add s01.contoso.com provider", NULL },
	{ "role remove rsp.p01.contoso.com mp",
	  "does not host the management point" },
	{ "role set p01.contoso.com mp", "2:nothing to set" },
	{ "role remove s01.contoso.com mp",
	  "secondary site S01 must keep its one management point" },
};

START_TEST(refusals_leave_db_unchanged)
{
	const char *msg = refusals[_i].msg;
	char *before, *after;
	int usage;

	if (msg == NULL)
		return;		/* placeholder row */
	usage = strncmp(msg, "2:", 2) == 0;
	before = dump();
	tu_sh_fails(usage ? 2 : 1, msg + (usage ? 2 : 0), "'%s' --db '%s' %s",
	    tu_bin("ehttpctl"), tu_db, refusals[_i].args);
	after = dump();
	ck_assert_msg(strcmp(before, after) == 0, "row %d changed the DB", _i);
	free(before);
	free(after);
}
END_TEST

START_TEST(demo_and_json)
{
	char *v;

	v = tu_ctl_json(tu_db,
	    "len(d), [s['code'] for s in d], d[2]['iisssl_state'],"
	    " d[1]['iisssl_state'], d[3]['parent']", "site", "list", "--json",
	    NULL);
	ck_assert_str_eq(v, "4 ['CAS', 'P01', 'P02', 'S01'] 63 224 P01");
	free(v);
	v = tu_ctl_json(tu_db, "len(d), sum(len(s['roles']) for s in d),"
	    " sorted(r['fqdn'] for r in [dict(fqdn=s['fqdn'], **x) for s in d"
	    " for x in s['roles']] if r.get('allow_anonymous'))", "--json",
	    "system", "list", NULL);
	ck_assert_str_eq(v, "10 13 ['dp2.p01.contoso.com']");
	free(v);
	v = tu_ctl_json(tu_db, "d['code'], d['enhanced_http'], d['warnings']",
	    "site", "show", "p01", "--json", NULL);
	ck_assert_str_eq(v, "P01 False ['Deprecated configuration: site P01"
	    " allows HTTP without enhanced HTTP.']");
	free(v);
}
END_TEST

START_TEST(changes_audited_and_listed)
{
	char *out = NULL, *err = NULL, *v;

	ck_assert_int_eq(tu_ctl(tu_db, &out, &err, "system", "add",
	    "New.Contoso.com", "--site", "p02", NULL), 0);
	ck_assert_str_eq(out, "Added site system new.contoso.com to site P02.\n");
	free(out);
	free(err);
	tu_ctl_ok(tu_db, "role", "add", "new.contoso.com", "dp", "--connection",
	    "https", "--allow-anonymous", "no", NULL);
	tu_ctl_ok(tu_db, "role", "set", "new.contoso.com", "dp",
	    "--allow-anonymous", "yes", NULL);
	v = tu_ctl_json(tu_db, "[(a['action'], a['object']) for a in d]",
	    "audit", "--json", "--limit", "3", NULL);
	ck_assert_str_eq(v, "[('role set', 'new.contoso.com'), ('role add',"
	    " 'new.contoso.com'), ('system add', 'new.contoso.com')]");
	free(v);
	v = tu_ctl_json(tu_db, "d[0]['message']", "status", "--site", "P02",
	    "--json", NULL);
	ck_assert_str_eq(v, "Role distribution point on new.contoso.com:"
	    " connection https, allows anonymous connections, allows WebDAV"
	    " listings (PROPFIND).");
	free(v);
	tu_ctl_ok(tu_db, "system", "remove", "new.contoso.com", NULL);
	ck_assert_int_eq(tu_ctl(tu_db, &out, &err, "system", "list", "--site",
	    "P02", NULL), 0);
	ck_assert_int_eq(tu_count(out, "contoso.com"), 2);
	ck_assert_int_eq(tu_count(out, "new.contoso.com"), 0);
	free(out);
	free(err);
}
END_TEST

/*
 * The State shown is the truth when it is read: run at a faked time past
 * their end, the active role certificates are "expired" in cert list (its
 * table, and "validity" in its JSON, whose "state" stays the stored
 * "active") and in cert show; at a time before their start, "not yet
 * valid". The roots (ten years) stay active.
 */
START_TEST(expired_state_shown)
{
	static const struct {
		const char *when, *role, *root, *shown;
	} at[] = {
		{ "+0d", "active valid", "active valid", "active" },
		{ "+400d", "active expired", "active valid", "expired" },
		{ "-1d", "active not yet valid", "active not yet valid",
		  "not yet valid" },
	};
	const char *py = "import json,sys; d=json.load(sys.stdin);"
	    " print(sorted(set(c['state']+' '+c['validity'] for c in d"
	    " if c['type']==sys.argv[1])))";
	char *v, want[128];

	tu_faketime_setup();
	tu_ctl_ok(tu_db, "site", "set", "P01", "--enhanced-http", "on", NULL);
	for (size_t i = 0; i < TU_ALL(at); i++) {
		for (int k = 0; k < 2; k++) {
			snprintf(want, sizeof want, "['%s']", k == 0 ?
			    at[i].role : at[i].root);
			v = tu_line1(tu_sh_ok(TU_FAKE "'%s' '%s' --db '%s'"
			    " --json cert list --type %s | %s -c \"%s\" %s",
			    at[i].when, tu_bin("ehttpctl"), tu_db, k == 0 ?
			    "role" : "root", tu_python(), py, k == 0 ? "role" :
			    "root"));
			ck_assert_msg(strcmp(v, want) == 0, "%s: %s",
			    at[i].when, v);
			free(v);
		}
		/* The table's State column: the words before the site code
		 * (every role row the same). */
		v = tu_line1(tu_sh_ok(TU_FAKE "'%s' '%s' --db '%s' cert list"
		    " --no-pager --type role | sed 1d | sed -E 's/.* (No|Yes)"
		    "  +(.*[^ ]) +P0[0-9] .*/\\2/' | sort -u | tr '\\n' '|'",
		    at[i].when, tu_bin("ehttpctl"), tu_db));
		snprintf(want, sizeof want, "%s|", at[i].shown);
		ck_assert_str_eq(v, want);
		free(v);
	}
	v = tu_line1(tu_sh_ok(TU_FAKE "+400d '%s' --db '%s' cert show \"$('%s'"
	    " --db '%s' --json cert list --type role --limit 1 | %s -c"
	    " 'import json,sys; print(json.load(sys.stdin)[0][\"id\"])')\""
	    " | grep '^State:'", tu_bin("ehttpctl"), tu_db, tu_bin("ehttpctl"),
	    tu_db, tu_python()));
	ck_assert_str_eq(v, "State:         expired");
	free(v);
}
END_TEST

/* A certificate of a type ehttp does not know (a row written with
 * sqlite3, its CHECK constraint ignored) is said to be one, not shown as
 * PKI. */
START_TEST(unknown_type_not_pki)
{
	free(tu_sh_ok("sqlite3 '%s' \"PRAGMA ignore_check_constraints = ON;"
	    " INSERT INTO cert (type, state, site_id,"
	    " serial, issued_to, issued_by, subject, not_before, not_after,"
	    " thumbprint, key_alg, created) VALUES ('bogus', 'active', (SELECT"
	    " id FROM site WHERE code = 'P01'), 'AB', 'odd.p01.contoso.com',"
	    " 'X', 'CN=odd', 1600000000, 4000000000, printf('%%040X', 9),"
	    " 'rsa2048', 1600000000)\"", tu_db));
	tu_sh_is("['Unknown type']", "'%s' --db '%s' --json cert list --grep"
	    " odd.p01 | %s -c 'import json,sys; print([c[\"type_title\"] for"
	    " c in json.load(sys.stdin)])'", tu_bin("ehttpctl"), tu_db,
	    tu_python());
	tu_sh_is("1", "'%s' --db '%s' cert list --no-pager --grep odd.p01 |"
	    " grep -c '^[0-9]* *Unknown type  *odd.p01'", tu_bin("ehttpctl"),
	    tu_db);
}
END_TEST

/*
 * db check: a sound database is said to be; a row that points nowhere
 * (written with foreign keys off) is named as sqlite3's own
 * foreign_key_check names it; a page of garbage is found as sqlite3's
 * integrity_check finds it. Exit 1 for either.
 */
START_TEST(db_check_finds_damage)
{
	char *v, want[4400], copy[4200];
	long row;

	snprintf(want, sizeof want, "The site database %s is sound: every"
	    " page, index and reference checked. rc=0", tu_db);
	tu_sh_is(want, "o=$('%s' --db '%s' db check); echo \"$o rc=$?\"",
	    tu_bin("ehttpctl"), tu_db);
	free(tu_sh_ok("sqlite3 '%s' \"PRAGMA foreign_keys = OFF; INSERT INTO"
	    " site_system (fqdn, site_id, created) VALUES"
	    " ('ghost.contoso.com', 999, 1)\"", tu_db));
	v = tu_line1(tu_sh_ok("sqlite3 '%s' 'PRAGMA foreign_key_check'",
	    tu_db));
	ck_assert_int_eq(sscanf(v, "site_system|%ld|site|", &row), 1);
	free(v);
	/* A row that breaks a CHECK constraint: found too (SQLite checks them
	 * only on a connection that may write). */
	free(tu_sh_ok("sqlite3 '%s' \"PRAGMA ignore_check_constraints = ON;"
	    " UPDATE site SET type = 'weird' WHERE code = 'S01'\"", tu_db));
	snprintf(want, sizeof want, "{'sound': False, 'problems': ['damaged:"
	    " CHECK constraint failed in site', 'row %ld of site_system points"
	    " to a row of site that is not there']}", row);
	tu_sh_is(want, "'%s' --db '%s' --json db check | %s -c 'import json,"
	    "sys; print(json.load(sys.stdin))'", tu_bin("ehttpctl"), tu_db,
	    tu_python());
	tu_sh_is("1", "'%s' --db '%s' db check >/dev/null; echo $?",
	    tu_bin("ehttpctl"), tu_db);
	/* Many: a hundred named, the rest counted. */
	free(tu_sh_ok("sqlite3 '%s' \"PRAGMA foreign_keys = OFF; WITH"
	    " RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE"
	    " i < 150) INSERT INTO site_system (fqdn, site_id, created) SELECT"
	    " 'ghost' || i || '.contoso.com', 999, 1 FROM n\"", tu_db));
	tu_sh_is("102 and 51 more rows that point to a row that is not there",
	    "'%s' --db '%s' --json db check | %s -c 'import json,sys; p ="
	    " json.load(sys.stdin)[\"problems\"]; print(len(p), p[-1])'",
	    tu_bin("ehttpctl"), tu_db, tu_python());
	/* A page of an index overwritten: copy the file (its log emptied
	 * into it first), then damage the copy. */
	snprintf(copy, sizeof copy, "%s.copy", tu_db);
	free(tu_sh_ok("sqlite3 '%s' 'PRAGMA wal_checkpoint(TRUNCATE)' && cp"
	    " '%s' '%s' && dd if=/dev/urandom of='%s' bs=4096 seek=$(sqlite3"
	    " '%s' \"SELECT rootpage - 1 FROM sqlite_master WHERE name ="
	    " 'sqlite_autoindex_site_system_1'\") count=1 conv=notrunc"
	    " 2>/dev/null", tu_db, tu_db, copy, copy, tu_db));
	ck_assert_int_ne(tu_sh(NULL, NULL, "sqlite3 '%s' 'PRAGMA"
	    " integrity_check' | grep -qx ok", copy), 0);
	v = tu_sh_ok("'%s' --db '%s' db check; echo rc=$?", tu_bin("ehttpctl"),
	    copy);
	tu_has(v, "is damaged (", "\n  damaged: ", "\nrc=1\n", NULL);
	free(v);
}
END_TEST

START_TEST(secondary_one_mp)
{
	tu_ctl_ok(tu_db, "system", "add", "mp2.s01.contoso.com", "--site",
	    "S01", NULL);
	tu_ctl_fails(tu_db, 1, "secondary site S01 already has its"
	    " one management point", "role", "add", "mp2.s01.contoso.com", "mp",
	    NULL);
}
END_TEST

START_TEST(default_db_path)
{
	char *out = NULL, *err = NULL;

	ck_assert_int_eq(tu_sh(&out, &err, "cd '%s' && env -u EHTTP_DB"
	    " XDG_DATA_HOME='%s/xdg' '%s' init && test -f '%s/xdg/ehttp/site.db'"
	    " && EHTTP_DB='%s/env.db' '%s' init && test -f '%s/env.db'", tu_dir,
	    tu_dir, tu_bin("ehttpctl"), tu_dir, tu_dir, tu_bin("ehttpctl"),
	    tu_dir), 0);
	free(out);
	free(err);
}
END_TEST

/* Every command, in order, with --json: the output is one JSON document. */
static const char *const json_cmds[][9] = {
	{ "site", "add", "P07", "--name", "Seven", "--type", "primary",
	  "--parent", "CAS" },
	{ "site", "list" }, { "site", "show", "P07" },
	{ "site", "set", "P07", "--crl-check", "off" },
	{ "system", "add", "mp.p07.contoso.com", "--site", "P07" },
	{ "system", "list", "--site", "P07" },
	{ "role", "add", "mp.p07.contoso.com", "mp" },
	{ "role", "set", "mp.p07.contoso.com", "mp", "--connection", "https" },
	{ "role", "list", "mp.p07.contoso.com" },
	{ "role", "remove", "mp.p07.contoso.com", "mp" },
	{ "system", "remove", "mp.p07.contoso.com" },
	{ "status", "--site", "P07" }, { "audit" }, { "db", "check" },
	{ "init" },
};

START_TEST(every_command_json)
{
	char *argv[16], *out = NULL, *err = NULL, *v;
	int argc = 0;

	argv[argc++] = strdup(tu_bin("ehttpctl"));
	argv[argc++] = "--db";
	argv[argc++] = tu_db;
	argv[argc++] = "--json";
	for (int k = 0; k < 9 && json_cmds[_i][k] != NULL; k++)
		argv[argc++] = (char *)json_cmds[_i][k];
	argv[argc] = NULL;
	/* The rows build on each other: replay the ones before. */
	for (int j = 0; j < _i; j++) {
		char *pa[16], *o = NULL, *e = NULL;
		int pc = 0;
		pa[pc++] = argv[0];
		pa[pc++] = "--db";
		pa[pc++] = tu_db;
		for (int k = 0; k < 9 && json_cmds[j][k] != NULL; k++)
			pa[pc++] = (char *)json_cmds[j][k];
		pa[pc] = NULL;
		ck_assert_int_eq(tu_run(pa, &o, &e), 0);
		free(o);
		free(e);
	}
	ck_assert_msg(tu_run(argv, &out, &err) == 0, "%s", err);
	v = tu_py_json(out, "type(d).__name__");
	ck_assert_msg(strcmp(v, "dict") == 0 || strcmp(v, "list") == 0, "%s", v);
	free(v);
	free(argv[0]);
	free(out);
	free(err);
}
END_TEST

/* A two-tier PKI made with the openssl CLI: root -> int -> leaf for
 * dp1.p01.contoso.com; fullchain.pem = leaf + int; other.pem another root. */
static void
make_two_tier(void)
{
	free(tu_sh_ok("set -e; cd '%s';"
	    " root() { openssl req -x509 -newkey rsa:2048 -nodes -keyout $1.key"
	    "  -out $1.pem -days 3650 -subj \"/CN=$2\" -addext"
	    "  basicConstraints=critical,CA:TRUE -addext"
	    "  keyUsage=critical,keyCertSign,cRLSign 2>/dev/null; };"
	    " root root 'Contoso Root CA'; root other 'Fabrikam Root CA';"
	    " openssl req -newkey rsa:2048 -nodes -keyout int.key -out int.csr"
	    "  -subj '/CN=Contoso Issuing CA' 2>/dev/null;"
	    " printf 'basicConstraints=critical,CA:TRUE,pathlen:0\\n"
	    "keyUsage=critical,keyCertSign,cRLSign\\n' > int.ext;"
	    " openssl x509 -req -in int.csr -CA root.pem -CAkey root.key"
	    "  -set_serial 0x2001 -days 1000 -extfile int.ext -out int.pem"
	    "  2>/dev/null;"
	    " openssl req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr"
	    "  -subj /CN=dp1.p01.contoso.com 2>/dev/null;"
	    " printf 'basicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n"
	    "subjectAltName=DNS:dp1.p01.contoso.com\\n' > leaf.ext;"
	    " openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key"
	    "  -set_serial 0x3001 -days 200 -extfile leaf.ext -out leaf.pem"
	    "  2>/dev/null;"
	    " cat leaf.pem int.pem > fullchain.pem", tu_dir));
}

static char *
fingerprint(const char *file)
{
	char *out = NULL;

	ck_assert_int_eq(tu_sh(&out, NULL, "openssl x509 -in '%s/%s' -noout"
	    " -fingerprint -sha1 | sed 's/.*=//; s/://g'", tu_dir, file), 0);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/* ehttpctl ARGS (as sh reads them) in tu_dir, asserted to exit 0; its
 * standard output. */
static char *
ctl_ok(const char *args)
{
	return tu_sh_ok("cd '%s' && '%s' --db '%s' %s", tu_dir,
	    tu_bin("ehttpctl"), tu_db, args);
}

/* The same, asserted to exit 1 and to say msg on stderr. */
static void
ctl_refused(const char *msg, const char *args)
{
	tu_sh_fails(1, msg, "cd '%s' && '%s' --db '%s' %s", tu_dir,
	    tu_bin("ehttpctl"), tu_db, args);
}

START_TEST(trusted_roots_and_chain)
{
	char *out = NULL, *before, *after, *tp_root, *tp_other;
	char *v, *tp_leaf;

	make_two_tier();
	tp_root = fingerprint("root.pem");
	tp_other = fingerprint("other.pem");
	tp_leaf = fingerprint("leaf.pem");
	v = tu_ctl_json(tu_db, "len(d)", "site", "trusted-root", "list", "P01",
	    "--json", NULL);
	ck_assert_str_eq(v, "0");
	free(v);

	/* Add: a root is accepted once; an intermediate or leaf never. */
	out = ctl_ok("site trusted-root add P01 other.pem");
	tu_has(out, "trusts root CA CN=Fabrikam Root CA", NULL);
	free(out);
	before = dump();
	ctl_refused("already trusted by site P01",
	    "site trusted-root add P01 other.pem");
	ctl_refused("is not self-signed", "site trusted-root add P01 int.pem");
	ctl_refused("is not a CA certificate",
	    "site trusted-root add P01 leaf.pem");

	/* The chain does not reach the site's only trusted root: refused,
	 * nothing written. */
	ctl_refused("does not reach a trusted root CA of the site",
	    "cert import-pki dp1.p01.contoso.com fullchain.pem leaf.key");
	after = dump();
	ck_assert_str_eq(before, after);
	free(before);
	free(after);

	/* With the right root: accepted; without its intermediate: not. */
	free(ctl_ok("site trusted-root add P01 root.pem"));
	ctl_refused("unable to get local issuer",
	    "cert import-pki dp1.p01.contoso.com leaf.pem leaf.key");
	/* The intermediate in a file of its own. */
	ctl_refused("no private key",
	    "cert import-pki --chain=int.pem dp1.p01.contoso.com leaf.pem");
	out = ctl_ok("cert import-pki --chain=int.pem dp1.p01.contoso.com"
	    " leaf.pem leaf.key");
	tu_has(out, "with 1 intermediate CA certificate", NULL);
	ck_assert_msg(strstr(out, "warning") == NULL, "%s", out);
	free(out);
	/* The same leaf from leaf + intermediate in one file. */
	ctl_refused("is already in the inventory",
	    "cert import-pki dp1.p01.contoso.com fullchain.pem leaf.key");

	/* The path: leaf -> intermediate -> the trusted root. */
	v = tu_ctl_json(tu_db,
	    "[(p['type'], p['issued_to']) for p in d['path']]", "cert", "show",
	    tp_leaf, "--json", NULL);
	ck_assert_str_eq(v, "[('pki', 'dp1.p01.contoso.com'), ('ca', 'Contoso"
	    " Issuing CA'), ('trust', 'Contoso Root CA')]");
	free(v);

	/* List (JSON), remove, and the audit trail. */
	{
		char *expr;

		if (asprintf(&expr, "sorted((r['thumbprint'], r['subject']) for"
		    " r in d) == sorted([('%s', 'CN=Contoso Root CA'), ('%s',"
		    " 'CN=Fabrikam Root CA')])", tp_root, tp_other) == -1)
			abort();
		v = tu_ctl_json(tu_db, expr, "site", "trusted-root", "list", "P01",
		    "--json", NULL);
		ck_assert_str_eq(v, "True");
		free(v);
		free(expr);
	}
	tu_ctl_ok(tu_db, "site", "trusted-root", "remove", "P01", tp_other,
	    NULL);
	tu_ctl_fails(tu_db, 1, "has no trusted root CA with thumbprint", "site",
	    "trusted-root", "remove", "P01", tp_other, NULL);
	v = tu_ctl_json(tu_db, "[r['subject'] for r in d]", "site",
	    "trusted-root", "list", "P01", "--json", NULL);
	ck_assert_str_eq(v, "['CN=Contoso Root CA']");
	free(v);
	ck_assert_int_eq(tu_sh(&out, NULL, "sqlite3 '%s' \"SELECT action FROM"
	    " audit WHERE action LIKE 'trusted root%%' ORDER BY id\"",
	    tu_db), 0);
	ck_assert_str_eq(out, "trusted root add\ntrusted root add\n"
	    "trusted root remove\n");
	free(out);
	free(tp_root);
	free(tp_other);
	free(tp_leaf);
}
END_TEST

/*
 * A database error is not "no such client": with the client table gone
 * (sqlite3 drops it), show, approve and list say what the database said
 * and exit 1 as every run-time failure does (the exit rule gives one
 * status to "refused" and "failed"), never "no such client".
 */
START_TEST(client_db_error_not_missing)
{
	static const char *const cmds[][2] = {
		{ "show", SMSID0 }, { "show", "WKS01" }, { "approve", "WKS01" },
		{ "block", SMSID0 }, { "list", NULL },
	};
	char *out = NULL, *err = NULL;

	/* The control: the table is there, the client is not. */
	ck_assert_int_eq(tu_ctl(tu_db, &out, &err, "client", "show", SMSID0,
	    NULL), 1);
	ck_assert_str_eq(err, "ehttpctl: no such client: " SMSID0 "\n");
	ck_assert_str_eq(out, "");
	free(out);
	free(err);
	free(tu_sh_ok("sqlite3 '%s' 'DROP TABLE client'", tu_db));
	for (size_t i = 0; i < TU_ALL(cmds); i++) {
		ck_assert_int_eq(tu_ctl(tu_db, &out, &err, "client", cmds[i][0],
		    cmds[i][1], NULL), 1);
		ck_assert_msg(strstr(err, ": no such table: client\n") !=
		    NULL && strstr(err, "no such client") == NULL &&
		    tu_count(err, "\n") == 1, "client %s: %s", cmds[i][0], err);
		free(out);
		free(err);
	}
	/* A list that failed prints no table head over nothing, and its
	 * JSON is not a list python3 could take for "no clients". */
	ck_assert_int_eq(tu_ctl(tu_db, &out, &err, "client", "list", NULL), 1);
	ck_assert_str_eq(out, "");
	free(out);
	free(err);
	ck_assert_int_eq(tu_ctl(tu_db, &out, &err, "--json", "client", "list",
	    NULL), 1);
	ck_assert_int_ne(tu_sh(NULL, NULL, "printf '%%s' '%s' | %s -c 'import "
	    "json,sys; json.load(sys.stdin)' 2>/dev/null", out, tu_python()), 0);
	free(out);
	free(err);
}
END_TEST

/*
 * No part of a bulk registration token is in the database's files: the
 * token is written to its file (0600) once; neither it nor its signature
 * is in site.db, site.db-wal or site.db-shm (grep -a), while its id is
 * (the control: the files grep reads hold the new rows). A reader keeps
 * the database open meanwhile, so ehttpctl's close cannot fold the
 * write-ahead log into the database and remove it.
 */
START_TEST(bulk_token_not_stored)
{
	char ready[4200], *tok, *sig, *id, *v;
	struct stat sb;
	FILE *reader;

	tu_ctl_ok(tu_db, "site", "set", "P01", "--enhanced-http", "on", NULL);
	snprintf(ready, sizeof ready, "%s/reader.ready", tu_dir);
	xasprintf(&v, "%s -c 'import sqlite3, sys\n"
	    "c = sqlite3.connect(sys.argv[1])\n"
	    "c.execute(\"SELECT count(*) FROM site\").fetchall()\n"
	    "open(sys.argv[2], \"w\").close()\n"
	    "sys.stdin.read()' '%s' '%s'", tu_python(), tu_db, ready);
	reader = popen(v, "w");
	free(v);
	ck_assert_ptr_nonnull(reader);
	for (int ms = 0; access(ready, F_OK) != 0; ms += 20) {
		ck_assert_msg(ms < 15000, "the reader did not open the database");
		tu_msleep(20);
	}
	id = tu_ctl_json(tu_db, "d['id']", "--json", "token", "new", "--out",
	    tu_path("bulk.jwt"), NULL);
	ck_assert_int_eq(stat(tu_path("bulk.jwt"), &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	tok = tu_line1(tu_read_file(tu_path("bulk.jwt"), NULL));
	ck_assert_int_eq(tu_count(tok, "."), 2);
	sig = strrchr(tok, '.') + 1;
	ck_assert_uint_ge(strlen(sig), 340);	/* RS256: 256 bytes */
	ck_assert_int_eq(access(tu_path("site.db-wal"), F_OK), 0);
	ck_assert_int_eq(access(tu_path("site.db-shm"), F_OK), 0);
	/* The control: the token's id is in the log of the new rows. */
	ck_assert_int_eq(tu_sh(NULL, NULL, "grep -aqF '%s' '%s-wal'", id,
	    tu_db), 0);
	for (int f = 0; f < 3; f++) {
		static const char *const sfx[] = { "", "-wal", "-shm" };

		ck_assert_msg(tu_sh(NULL, NULL, "grep -aqF -e '%s' -e '%.40s'"
		    " '%s%s'", tok, sig, tu_db, sfx[f]) == 1, "site.db%s holds"
		    " the token", sfx[f]);
	}
	ck_assert_int_eq(pclose(reader), 0);
	/* Nor in any row, as sqlite3 dumps them. */
	v = tu_sh_ok("sqlite3 '%s' .dump", tu_db);
	ck_assert_ptr_null(strstr(v, sig));
	ck_assert_ptr_nonnull(strstr(v, id));
	free(v);
	free(tok);
	free(id);
}
END_TEST

/*
 * ehttpctl does not link OpenSSL (backend/ca/ca-api.h): a command that
 * makes or reads no certificate starts without it, and the first that
 * does loads the module ehttp-ca.so from beside the program. A copy of
 * the program without its module still reads the database; a command
 * that needs the module exits 1 naming it, the database unchanged (a
 * change under way is rolled back); a library that is not the module is
 * refused by name.
 */
START_TEST(ca_loaded_when_first_needed)
{
	char ctl[4200], mod[4200], copy[4200], want[13000], *before, *after;

	snprintf(ctl, sizeof ctl, "%s", tu_bin("ehttpctl"));
	snprintf(mod, sizeof mod, "%s", tu_bin("ehttp-ca.so"));
	snprintf(copy, sizeof copy, "%s/bin/ehttpctl", tu_dir);
	tu_sh_is("0", "ldd '%s' | grep -c libcrypto || true", ctl);
	tu_sh_is("1", "ldd '%s' | grep -c libcrypto", mod);
	/* grep reads all: a pipe closed early would kill the command. */
	tu_sh_is("1", "LD_DEBUG=files '%s' --db '%s' site set P01"
	    " --enhanced-http on 2>&1 >/dev/null | grep -c"
	    " 'file=[^ ]*/ehttp-ca.so .*dynamically loaded by'", ctl, tu_db);
	tu_sh_is("0", "LD_DEBUG=files '%s' --db '%s' cert list --no-pager"
	    " 2>&1 >/dev/null | grep -c 'libcrypto\\|ehttp-ca' || true", ctl,
	    tu_db);
	/* The list itself, made without the module: role certificates. */
	tu_sh_is("4", "'%s' --db '%s' cert list --no-pager --site P01 --type"
	    " role | grep -c 'SMS Role SSL Certificate'", ctl, tu_db);
	/* Found without /proc too (a chroot): by the path it was started by.
	 * Unmounting /proc in a mount namespace of its own needs root, and
	 * the kernel refuses it inside a chroot. */
	if (!tu_can_mount())
		fprintf(stderr, "ca_loaded_when_first_needed: without /proc:"
		    " skipped: no private mount namespace here (unshare -m"
		    " needs root, outside a chroot)\n");
	else
		tu_sh_is("1", "unshare -m sh -c 'umount -l /proc && cd \"$(dirname"
		    " \"$1\")\" && ./ehttpctl --db \"$2\" cert show 1' sh '%s' '%s'"
		    " | grep -c '^Type: *SMS Issuing$'", ctl, tu_db);

	tu_sh_is("", "mkdir '%s/bin' && cp '%s' '%s'", tu_dir, ctl, copy);
	before = dump();
	tu_sh_is("1", "'%s' --db '%s' site show P01 --json | grep -c"
	    " '\"code\": *\"P01\"'", copy, tu_db);
	tu_sh_fails(1, "ehttpctl: certificate 1: cannot load the certificate"
	    " functions (ehttp-ca.so): ", "'%s' --db '%s' cert show 1", copy,
	    tu_db);
	/* Every folder looked in is named: beside it, ../lib/ehttp from it,
	 * lib/ehttp above the folder it was started from. */
	snprintf(want, sizeof want, "(ehttp-ca.so): not in %s/bin,"
	    " %s/bin/../lib/ehttp or %s/lib/ehttp\n", tu_dir, tu_dir, tu_dir);
	tu_sh_fails(1, want, "'%s' --db '%s' site set CAS --enhanced-http on",
	    copy, tu_db);
	/* A library, not the module: ehttpctl's libjansson. */
	tu_sh_is("", "cp \"$(ldd '%s' | awk '/libjansson/ { print $3 }')\""
	    " '%s/bin/ehttp-ca.so'", ctl, tu_dir);
	tu_sh_fails(1, "bin/ehttp-ca.so: no ehttp_ca_api", "'%s' --db '%s'"
	    " site set CAS --enhanced-http on", copy, tu_db);
	/* The module cut short (a copy that filled the disk): dlopen would
	 * map it past its end and SIGBUS kill the command; it is refused. */
	tu_sh_is("", "head -c 3000 '%s' > '%s/bin/ehttp-ca.so'", mod, tu_dir);
	tu_sh_fails(1, "bin/ehttp-ca.so: cut short (3000 bytes): install"
	    " ehttp again", "'%s' --db '%s' site set CAS --enhanced-http on",
	    copy, tu_db);
	tu_sh_is("", ": > '%s/bin/ehttp-ca.so'", tu_dir);
	tu_sh_fails(1, "bin/ehttp-ca.so: cut short (0 bytes)", "'%s' --db '%s'"
	    " site set CAS --enhanced-http on", copy, tu_db);
	/* A FIFO there: refused at once, not waited on. */
	tu_sh_is("", "rm '%s/bin/ehttp-ca.so' && mkfifo '%s/bin/ehttp-ca.so'",
	    tu_dir, tu_dir);
	tu_sh_fails(1, "bin/ehttp-ca.so: not a file", "timeout 20 '%s' --db"
	    " '%s' site set CAS --enhanced-http on", copy, tu_db);
	after = dump();
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	/* Installed into a folder that is a link to another place
	 * (BINDIR=~/.local/bin -> /data/bin): `make install` puts the
	 * module in ~/.local/lib/ehttp, found by the path it was started
	 * by, whether by its whole path, through PATH or from the folder
	 * above. */
	tu_sh_is("", "cd '%s' && mkdir -p data/bin home/lib/ehttp && cp '%s'"
	    " data/bin/ && ln -s ../data/bin home/bin && cp '%s'"
	    " home/lib/ehttp/", tu_dir, ctl, mod);
	tu_sh_is("1", "'%s/home/bin/ehttpctl' --db '%s' cert show 1 | grep -c"
	    " '^Type: *SMS Issuing$'", tu_dir, tu_db);
	tu_sh_is("1", "'%s/home/bin//ehttpctl' --db '%s' cert show 1 | grep -c"
	    " '^Type: *SMS Issuing$'", tu_dir, tu_db);
	tu_sh_is("1", "cd '%s/home' && PATH=\"$PWD/bin:$PATH\" ehttpctl --db"
	    " '%s' cert show 1 | grep -c '^Type: *SMS Issuing$'", tu_dir,
	    tu_db);
	tu_sh_is("1", "cd '%s/home' && bin/ehttpctl --db '%s' cert show 1 |"
	    " grep -c '^Type: *SMS Issuing$'", tu_dir, tu_db);
}
END_TEST

/*
 * Every ehttpctl table caps a column at CLI_COL_MAX: a site system with a
 * 247-character FQDN sticks out of its own row, and the other rows still
 * start each column where its head does, as narrow as without it (python
 * counts the characters).
 */
START_TEST(long_value_sticks_out)
{
	char fqdn[260], *out;
	int rows, bad, widest;

	snprintf(fqdn, sizeof fqdn, "%s.%s.%s.%s.com", A60,
	    A60, A60, A60);
	free(tu_sh_ok("'%s' --db '%s' system add '%s' --site P01",
	    tu_bin("ehttpctl"), tu_db, fqdn));
	out = tu_sh_ok("'%s' --db '%s' system list | '%s' -c '"
	    "import sys\n"
	    "rows = sys.stdin.read().splitlines()\n"
	    "at = [rows[0].index(\"  Site \") + 2, rows[0].index(\"Roles\")]\n"
	    "rest = [r for r in rows[1:] if \"a\" * 60 not in r]\n"
	    "bad = [r for r in rest if any(r[a - 2:a] != \"  \" or"
	    " r[a] == \" \" for a in at)]\n"
	    "print(len(rest), len(bad), max(map(len, rest)), *bad,"
	    " sep=\"\\n\")'", tu_bin("ehttpctl"), tu_db, tu_python());
	ck_assert_msg(sscanf(out, "%d %d %d", &rows, &bad, &widest) == 3 &&
	    rows >= 5 && bad == 0 && widest < 100, "rows, misaligned rows,"
	    " widest, each misaligned row:\n%s", out);
	free(out);
	out = tu_sh_ok("'%s' --db '%s' system list", tu_bin("ehttpctl"), tu_db);
	ck_assert_ptr_nonnull(strstr(out, fqdn));
	free(out);
}
END_TEST

/*
 * system show's agent events are the messages that system's agent wrote
 * (status_message.system_id), also one of no site: not another agent's
 * that names it, nor one with no writer, nor an administrator's.
 */
#define SYS(fqdn)	"(SELECT id FROM site_system WHERE fqdn = '" fqdn "')"
#define P01_ID		"(SELECT id FROM site WHERE code = 'P01')"

START_TEST(agent_events_are_the_systems)
{
	char *v;

	free(tu_sql1(tu_db_cli(tu_db), "INSERT INTO status_message (time,"
	    " site_id, severity, component, message, system_id) VALUES"
	    " (strftime('%s', 'now') + 1, " P01_ID ", 'info',"
	    " 'SMS_MP_CONTROL_MANAGER', 'its own event',"
	    " " SYS("dp1.p01.contoso.com") "),"
	    " (strftime('%s', 'now') + 2, NULL, 'info',"
	    " 'SMS_MP_CONTROL_MANAGER', 'its own, of no site',"
	    " " SYS("dp1.p01.contoso.com") "),"
	    " (strftime('%s', 'now') + 3, " P01_ID ", 'info',"
	    " 'SMS_MP_CONTROL_MANAGER', 'Started on dp1.p01.contoso.com: forged',"
	    " " SYS("p01.contoso.com") "),"
	    " (strftime('%s', 'now') + 4, " P01_ID ", 'info',"
	    " 'SMS_MP_CONTROL_MANAGER', 'Started on dp1.p01.contoso.com: no"
	    " writer', NULL),"
	    " (strftime('%s', 'now') + 5, " P01_ID ", 'info',"
	    " 'SMS_SITE_COMPONENT_MANAGER', 'Role added on dp1.p01.contoso.com',"
	    " NULL); SELECT changes()"));
	v = tu_ctl_json(tu_db, "[e['message'] for e in d['events']]", "system",
	    "show", "dp1.p01.contoso.com", "--json", NULL);
	ck_assert_str_eq(v, "['its own, of no site', 'its own event']");
	free(v);
	/* status names the writer of each. */
	v = tu_ctl_json(tu_db, "[e['system'] for e in d][:5]", "status",
	    "--json", NULL);
	ck_assert_str_eq(v, "['', '', 'p01.contoso.com', 'dp1.p01.contoso.com',"
	    " 'dp1.p01.contoso.com']");
	free(v);
	/* A removed system's messages stay, with no writer. */
	tu_ctl_ok(tu_db, "system", "remove", "dp1.p01.contoso.com", NULL);
	v = tu_ctl_json(tu_db, "[e['system'] for e in d if"
	    " e['message'].startswith('its own')]", "status", "--json", NULL);
	ck_assert_str_eq(v, "['', '']");
	free(v);
}
END_TEST

/*
 * On a terminal (script(1) gives ehttpctl one): issuance shows its
 * progress, DER is not written to it, a list goes through $PAGER, a
 * write that waits for another program's says so on standard error (and
 * not without a terminal). Standard output and error are ehttpctl's
 * filtering streams: whether they are a terminal is asked of the
 * descriptors beneath (it was not, and the first three went wrong).
 */
START_TEST(terminal_behaviour)
{
	char *out, cmd[20000];
	pid_t holder, pid;
	int st;

	out = tu_sh_ok("script -qfec \"'%s' --db '%s' site set P01"
	    " --enhanced-http on\" /dev/null", tu_bin("ehttpctl"), tu_db);
	/* The first line's count depends on the signing threads. */
	tu_has(out, "\rIssuing SMS Role SSL Certificates: ",
	    "\rIssuing SMS Role SSL Certificates: 4/4 (100%)\r\n", NULL);
	free(out);
	out = NULL;
	ck_assert_int_eq(tu_sh(&out, NULL, "script -qfec \"'%s' --db '%s'"
	    " cert export 1 --format der; echo rc=\\$?\" /dev/null",
	    tu_bin("ehttpctl"), tu_db), 0);
	tu_has(out, "DER is binary: give --out FILE", "rc=2", NULL);
	ck_assert_ptr_null(strstr(out, "0\x82"));	/* DER's SEQUENCE */
	free(out);
	out = tu_sh_ok("PAGER='sed s/^/PAGED:/' script -qfec \"'%s' --db '%s'"
	    " cert list\" /dev/null", tu_bin("ehttpctl"), tu_db);
	tu_has(out, "PAGED:ID ", "PAGED:1 ", NULL);
	free(out);
	/* A pager that cannot run: said, exit 1 (nothing was shown); one
	 * that quits early (head) is no error. */
	out = tu_sh_ok("PAGER=/nonexistent/pager script -qfec \"'%s' --db '%s'"
	    " cert list; echo rc=\\$?\" /dev/null", tu_bin("ehttpctl"), tu_db);
	tu_has(out, "the pager (PAGER='/nonexistent/pager') failed with"
	    " status 127", "rc=1", NULL);
	free(out);
	out = tu_sh_ok("PAGER='head -1' script -qfec \"'%s' --db '%s'"
	    " cert list; echo rc=\\$?\" /dev/null", tu_bin("ehttpctl"), tu_db);
	tu_has(out, "ID ", "rc=0", NULL);
	free(out);

	/* A write while another program writes: on the terminal, said;
	 * elsewhere, silent; both go through once it is let go. */
	holder = tu_db_hold(tu_dir, tu_db);
	snprintf(cmd, sizeof cmd, "cd '%s' || exit 1; script -qfec \"'%s' --db '%s'"
	    " site set P01 --crl-check off; echo rc=\\$?\" /dev/null > tty.out"
	    " 2>&1 & '%s' --db '%s' site set P01 --require-signing on >"
	    " plain.out 2> plain.err; echo \"rc=$?\" >> plain.out; wait",
	    tu_dir, tu_bin("ehttpctl"), tu_db, tu_bin("ehttpctl"), tu_db);
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	/* Said after a second of waiting: released once it is. */
	for (int ms = 0; ; ms += 100) {
		out = tu_read_file(tu_path("tty.out"), NULL);
		if (out != NULL && strstr(out, "waiting up to 10 s") != NULL)
			break;
		free(out);
		ck_assert_msg(ms < 8000, "ehttpctl did not say it waits");
		tu_msleep(100);
	}
	free(out);
	ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), 0);	/* waiting */
	tu_db_release(tu_dir, holder);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	out = tu_read_file(tu_path("tty.out"), NULL);
	tu_has(out, "ehttpctl site set: another program is writing to the"
	    " site database; waiting up to 10 s for it (Ctrl-C stops)",
	    "CRL check off", "rc=0", NULL);
	free(out);
	out = tu_read_file(tu_path("plain.out"), NULL);
	tu_has(out, "Site P01: ", "rc=0", NULL);
	free(out);
	out = tu_read_file(tu_path("plain.err"), NULL);
	ck_assert_str_eq(out, "");
	free(out);
	tu_sh_is("0|1", "sqlite3 '%s' \"SELECT crl_check, require_signing FROM"
	    " site_security x JOIN site s ON s.id = x.site_id WHERE code ="
	    " 'P01'\"", tu_db);
}
END_TEST

/*
 * Another program holds the write lock for good: a write gives up after
 * 10 s and says why, the database unchanged.
 */
START_TEST(write_gives_up_on_a_held_lock)
{
	char *before, *after, *out = NULL, *err = NULL;
	struct timespec t0, t1;
	pid_t holder;

	before = dump();
	holder = tu_db_hold(tu_dir, tu_db);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(tu_ctl(tu_db, &out, &err, "site", "set", "P01",
	    "--crl-check", "off", NULL), 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	tu_has(err, "ehttpctl: starting a transaction: another"
	    " program has been writing to the site database for 10 s (the"
	    " database is locked)", NULL);
	ck_assert_int_ge(t1.tv_sec - t0.tv_sec, 10);
	free(out);
	free(err);
	tu_db_release(tu_dir, holder);
	after = dump();
	ck_assert_str_eq(after, before);
	free(after);
	free(before);
}
END_TEST

Suite *
cli_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("ehttpctl", ehttpctl_fixture),
		TU_EACH(help_every_level, helps),
		TU_EACH(usage_errors_exit_2, usages),
		TU_EACH(refusals_leave_db_unchanged, refusals),
		TU_TEST(demo_and_json),
		TU_EACH(every_command_json, json_cmds),
		TU_TEST(changes_audited_and_listed),
		TU_TEST(expired_state_shown),
		TU_TEST(unknown_type_not_pki),
		TU_TEST(db_check_finds_damage),
		TU_TEST(secondary_one_mp),
		TU_TEST(default_db_path),
		TU_TEST(trusted_roots_and_chain),
		TU_TEST(client_db_error_not_missing),
		TU_TEST(bulk_token_not_stored),
		TU_TEST(ca_loaded_when_first_needed),
		TU_TEST(long_value_sticks_out),
		TU_TEST(agent_events_are_the_systems),
		TU_TEST(terminal_behaviour),
		TU_TEST(write_gives_up_on_a_held_lock),
		{ 0 }
	};

	return tu_suite("cli", tests);
}
