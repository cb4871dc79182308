/*
 * output: untrusted text never reaches a terminal or a log raw, write errors
 * on standard output are reported, and every command follows one exit-code
 * rule.
 *
 * The poisoned database holds a PKI certificate (made with the openssl CLI)
 * whose issuer and subject carry an OSC title sequence, CSI 2J, a C1 CSI,
 * U+202E, CR and LF; a site name, a status message, an audit row, an
 * agent's health text and a client's name (a client chooses it) and its
 * approver hold them too, plus a raw 0x9b byte (invalid UTF-8), as an old
 * database could. The outputs are checked by a python3 scanner,
 * JSON by python's json module, the agent log by a strict python reader and
 * the terminal by tmux itself (its pane title).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <check.h>

#include "cli.h"
#include "cmlog.h"
#include "testutil.h"
#include "xmalloc.h"

/* ESC ] 0 ; pwned BEL (title), CSI 2J (clear), U+009B (C1 CSI), U+202E (RLO),
 * CR, LF. */
#define POISON	"Evil\033]0;pwned\007CA\033[2J\302\233x\342\200\256gpj.exe\rcr\nlf"
/* How safetext shows it. */
#define POISON_SHOWN \
	"Evil\\x1b]0;pwned\\x07CA\\x1b[2J\\u009bx\\u202egpj.exe\\rcr\\nlf"
/* POISON for SQL; POISON_SQL adds a raw 0x9b byte (invalid UTF-8) and DEL. */
#define POISON_HEX \
	"4576696c1b5d303b70776e656407" "43411b5b324a" "c29b78e280ae" \
	"67706a2e6578650d63720a6c66"
#define POISON_SQL_EXACT	"CAST(X'" POISON_HEX "' AS TEXT)"
#define POISON_SQL		"CAST(X'" POISON_HEX "9b7f' AS TEXT)"
/* The poisoned client. */
#define CLIENT_SMSID	"GUID:0b7d4f6e-1a2b-4c3d-8e9f-00000000c0de"

static char *dir;		/* per run: the poisoned database */
static char db[4096], pkidir[4096], logfile[4096], scan_py[4096];
static char pki_id[32];

/*
 * A scanner that is not ours: reads a file, fails (exit 1, with the offset)
 * on invalid UTF-8, any C0 control but LF, DEL, C1, and the bidi/format
 * controls; "lf" mode also fails on a line feed (for one-line fields).
 */
static const char scanner[] =
    "import sys, unicodedata\n"
    "data = open(sys.argv[1], 'rb').read()\n"
    "try:\n"
    "    text = data.decode('utf-8', 'strict')\n"
    "except UnicodeDecodeError as e:\n"
    "    print('invalid UTF-8 at', e.start); sys.exit(1)\n"
    "bad = set(range(0x20)) - {0x0a}\n"
    "bad |= {0x7f} | set(range(0x80, 0xa0))\n"
    "bad |= {0x61c, 0x200e, 0x200f, 0x2028, 0x2029} | set(range(0x202a,"
    " 0x202f)) | set(range(0x2066, 0x206a))\n"
    "for i, ch in enumerate(text):\n"
    "    if ord(ch) in bad or unicodedata.category(ch) == 'Cc' and ch != '\\n':\n"
    "        print('unsafe U+%04X at character %d' % (ord(ch), i)); sys.exit(1)\n";

static void
scan_ok(const char *what, const char *text)
{
	char path[4096], *out = NULL;
	int rc;

	snprintf(path, sizeof path, "%s/scan.in", dir);
	ck_assert_int_eq(tu_write_file(path, text, strlen(text)), 0);
	rc = tu_sh(&out, NULL, "python3 '%s' '%s'", scan_py, path);
	ck_assert_msg(rc == 0, "%s: %s in: %.2000s", what, out, text);
	free(out);
}

static void
make_poisoned(void)
{
	char *cmd, *out = NULL, *err = NULL;

	dir = tu_demo_db(db, sizeof db);
	ck_assert_ptr_nonnull(dir);
	snprintf(pkidir, sizeof pkidir, "%s/pki", dir);
	snprintf(logfile, sizeof logfile, "%s/foreign.log", dir);
	snprintf(scan_py, sizeof scan_py, "%s/scan.py", dir);
	ck_assert_int_eq(tu_write_file(scan_py, scanner, strlen(scanner)), 0);
	/* A CA whose name is the poison, a server certificate under it. */
	if (asprintf(&cmd, "set -e; mkdir '%s'; cd '%s'; P=\"$(printf '%s')\";"
	    " openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256"
	    "  -nodes -keyout ca.key -out ca.pem -days 3650 -utf8"
	    "  -subj \"/O=Contoso \303\234mlaut \346\227\245\346\234\254/CN=$P\""
	    "  -addext basicConstraints=critical,CA:TRUE 2>/dev/null;"
	    " printf 'basicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n"
	    "subjectAltName=DNS:dp1.p01.contoso.com\\n' > ext;"
	    " openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
	    "  -keyout leaf.key -out leaf.csr -utf8"
	    "  -subj \"/O=$P/CN=dp1.p01.contoso.com\" 2>/dev/null;"
	    " openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key"
	    "  -CAcreateserial -days 365 -extfile ext -out leaf.pem 2>/dev/null",
	    pkidir, pkidir,
	    "Evil\\033]0;pwned\\007CA\\033[2J\\302\\233x\\342\\200\\256gpj.exe"
	    "\\rcr\\nlf") == -1)
		abort();
	free(tu_sh_ok("%s", cmd));
	free(cmd);
	/* Import it; should import refuse such names, put it in as an old
	 * database would hold it (a clean import, the names poisoned). */
	xasprintf(&cmd, "%s/leaf.pem", pkidir);
	{
		char key[4200];
		snprintf(key, sizeof key, "%s/leaf.key", pkidir);
		if (tu_ctl(db, &out, &err, "cert", "import-pki",
		    "dp1.p01.contoso.com", cmd, key, NULL) != 0) {
			char *c2;
			free(out);
			free(err);
			out = err = NULL;
			/* Clean names, issued by a clean CA (import refuses
			 * a self-signed leaf). */
			xasprintf(&c2, "cd '%s' && openssl req -x509 -newkey"
			    " ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout"
			    " cca.key -out cca.pem -days 3650 -utf8 -subj"
			    " '/O=Contoso \303\234mlaut \346\227\245\346\234\254"
			    "/CN=Clean'"
			    " -addext basicConstraints=critical,CA:TRUE"
			    " 2>/dev/null && openssl req -new -key leaf.key -subj"
			    " /CN=dp1.p01.contoso.com -out clean.csr 2>/dev/null"
			    " && openssl x509 -req -in clean.csr -CA cca.pem"
			    " -CAkey cca.key -CAcreateserial -days 365 -extfile"
			    " ext -out clean.pem 2>/dev/null && '%s'"
			    " --db '%s' cert import-pki dp1.p01.contoso.com"
			    " clean.pem leaf.key >/dev/null && sqlite3 '%s'"
			    " \"UPDATE cert SET issued_by = %s, subject = %s"
			    " WHERE type = 'pki'\"", pkidir, tu_bin("ehttpctl"),
			    db, db, POISON_SQL_EXACT, POISON_SQL_EXACT);
			free(tu_sh_ok("%s", c2));
			free(c2);
		}
	}
	free(cmd);
	free(out);
	free(err);
	out = err = NULL;
	/* The rest of an old database: a site name, a status message, an
	 * audit row, an agent's health text and host, a client (its name,
	 * approver and thumbprint: columns a management point's login can
	 * write on PostgreSQL). */
	if (asprintf(&cmd, "sqlite3 '%s' \"UPDATE site SET name = %s WHERE"
	    " code = 'P01'; INSERT INTO status_message (time, site_id, severity,"
	    " component, message) SELECT 1764800000, id, 'error',"
	    " 'SMS_MP_CONTROL_MANAGER', 'on dp1.p01.contoso.com: ' || %s FROM"
	    " site WHERE code = 'P01'; INSERT INTO audit (time, user, action,"
	    " object, detail) VALUES (1764800000, %s, 'poison', %s, %s);"
	    " INSERT INTO agent (system_id, pid, host, https_port, http_port,"
	    " health_time, health_ok, health_status, health_text, updated)"
	    " SELECT id, 1, %s, 443, 80, 1764800000, 0, 0, %s, 1764800000 FROM"
	    " site_system WHERE fqdn = 'dp1.p01.contoso.com'; INSERT INTO client"
	    " (smsid, name, site_id, thumbprint, sign_der, enc_der, approved,"
	    " approved_by, registered, last_contact) SELECT '" CLIENT_SMSID "',"
	    " %s, id, %s, X'3000',"
	    " X'3000', 1, %s, 1764800000, 1764800100 FROM site WHERE code ="
	    " 'P01'\"", db, POISON_SQL, POISON_SQL, POISON_SQL, POISON_SQL,
	    POISON_SQL, POISON_SQL, POISON_SQL, POISON_SQL, POISON_SQL,
	    POISON_SQL) == -1)
		abort();
	free(tu_sh_ok("%s", cmd));
	free(cmd);
	/* A foreign CMTrace log with the poison in every field. */
	{
		static const char rec[] = "<![LOG[" POISON "\x9b]LOG]!>"
		    "<time=\"14:05:12.345+000\" date=\"11-24-2026\" component=\""
		    "Comp\033]0;pwned\007\" context=\"CONTOSO\\admin\033[2J\""
		    " type=\"3\" thread=\"1\" file=\"a\342\200\256.c:1\">\n"
		    "junk \033]0;pwned\007 line\n";
		ck_assert_int_eq(tu_write_file(logfile, rec, sizeof rec - 1), 0);
	}
	ck_assert_int_eq(tu_ctl(db, &out, &err, "--json", "cert", "list",
	    "--type", "pki", NULL), 0);
	{
		const char *p = strstr(out, "\"id\":");
		ck_assert_ptr_nonnull(p);
		snprintf(pki_id, sizeof pki_id, "%ld", strtol(p + 5, NULL, 10));
	}
	free(out);
	free(err);
}

static void
drop_poisoned(void)
{
	tu_tmpdir_free(dir);
	dir = NULL;
}

static const struct tu_fixture poisoned_fixture = { 120,
	.once = make_poisoned, .once_done = drop_poisoned };

/* Every command that shows database or log text, poisoned. */
static const char *const shows[][8] = {
	{ "cert", "list" },
	{ "cert", "list", "--type", "pki" },
	{ "cert", "list", "--grep", "Evil" },
	{ "cert", "show", "@PKI" },
	{ "cert", "block", "@PKI" },
	{ "cert", "unblock", "@PKI" },
	{ "cert", "export", "@PKI", "--out", "@OUT" },
	{ "site", "list" },
	{ "site", "show", "P01" },
	{ "system", "list" },
	{ "system", "show", "dp1.p01.contoso.com" },
	{ "role", "list" },
	{ "status" },
	{ "audit" },
	{ "log", "show", "@LOG" },
	{ "log", "show", "@LOG", "--type", "malformed" },
	{ "site", "set", "P01", "--crl-check", "on" },
	{ "system", "add", "new.contoso.com", "--site", "P01" },
	{ "site", "show", "P\033]0;pwned\007" },
	{ "cert", "show", "\033]0;pwned\007" },
	{ "log", "show", "/nonexistent/\033]0;pwned\007\342\200\256" },
	{ "client", "list" },
	{ "--json", "client", "list" },
	{ "client", "show", CLIENT_SMSID },
	{ "--json", "client", "show", CLIENT_SMSID },
	{ "client", "show", "\033]0;pwned\007\r\n\233\302\233" },
	{ "client", "block", "\033[2Jx\233" },
};

START_TEST(poisoned_outputs_are_escaped)
{
	char *argv[16], outpath[4096], *out = NULL, *err = NULL;
	int argc = 0, rc;

	snprintf(outpath, sizeof outpath, "%s/export-%d.pem", dir, _i);
	argv[argc++] = (char *)tu_bin("ehttpctl");
	argv[argc++] = "--db";
	argv[argc++] = db;
	for (int k = 0; k < 8 && shows[_i][k] != NULL; k++) {
		const char *a = shows[_i][k];
		argv[argc++] = strcmp(a, "@PKI") == 0 ? pki_id :
		    strcmp(a, "@LOG") == 0 ? logfile :
		    strcmp(a, "@OUT") == 0 ? outpath : (char *)a;
	}
	argv[argc] = NULL;
	argv[0] = strdup(argv[0]);
	rc = tu_run(argv, &out, &err);
	free(argv[0]);
	ck_assert_msg(rc == 0 || rc == 1, "row %d: exit %d: %s", _i, rc, err);
	scan_ok("stdout", out);
	scan_ok("stderr", err);
	free(out);
	free(err);
}
END_TEST

/* The escaped forms are there, on the lines they belong to. */
START_TEST(poison_shown_escaped)
{
	char *out = NULL, *err = NULL;

	ck_assert_int_eq(tu_ctl(db, &out, &err, "cert", "list", "--type", "pki",
	    NULL), 0);
	ck_assert_int_eq(tu_count(out, "\n"), 2);	/* header + one row */
	ck_assert_ptr_nonnull(strstr(out, POISON_SHOWN));
	free(out);
	free(err);
	ck_assert_int_eq(tu_ctl(db, &out, &err, "cert", "show", pki_id, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "Issued By:     " POISON_SHOWN "\n"));
	ck_assert_ptr_nonnull(strstr(out, "Subject:       "));
	ck_assert_ptr_nonnull(strstr(out, "Contoso \303\234mlaut \346\227\245"
	    "\346\234\254"));	/* printable UTF-8 unchanged */
	free(out);
	free(err);
	ck_assert_int_eq(tu_ctl(db, &out, &err, "site", "show", "P01", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "\\u202egpj.exe\\rcr\\nlf\\x9b\\x7f)"));
	free(out);
	free(err);
	/* A client's name and approver: one row, one line each in show. */
	ck_assert_int_eq(tu_ctl(db, &out, &err, "client", "list", NULL), 0);
	ck_assert_int_eq(tu_count(out, "\n"), 2);
	tu_has(out, CLIENT_SMSID "  " POISON_SHOWN "\\x9b\\x7f  P01", NULL);
	free(out);
	free(err);
	ck_assert_int_eq(tu_ctl(db, &out, &err, "client", "show", CLIENT_SMSID,
	    NULL), 0);
	ck_assert_int_eq(tu_count(out, "\n"), 8);
	tu_has(out, "\nName:          " POISON_SHOWN "\\x9b\\x7f\n",
	    "\nApproval:      Approved (by " POISON_SHOWN "\\x9b\\x7f)\n",
	    "\nThumbprint:    " POISON_SHOWN "\\x9b\n", NULL);	/* 40 bytes */
	free(out);
	free(err);
	/* The agent's host (its own row), on the Agent line. */
	ck_assert_int_eq(tu_ctl(db, &out, &err, "system", "show",
	    "dp1.p01.contoso.com", NULL), 0);
	tu_has(out, "\nAgent:              pid 1 on " POISON_SHOWN
	    "\\x9b\\x7f, ", NULL);
	free(out);
	free(err);
	/* An argument that names no client is quoted escaped, on one line. */
	ck_assert_int_eq(tu_ctl(db, &out, &err, "client", "show",
	    "\033]0;pwned\007\r\n\233", NULL), 1);
	{
		static const char want[] = "ehttpctl: no such client: "
		    "\\x1b]0;pwned\\x07\\";

		ck_assert_int_eq(strncmp(err, want, sizeof want - 1), 0);
	}
	ck_assert_int_eq(tu_count(err, "\n"), 1);
	scan_ok("stderr", err);
	free(out);
	free(err);
	ck_assert_int_eq(tu_ctl(db, &out, &err, "log", "show", logfile, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "Comp\\x1b]0;pwned\\x07"));
	ck_assert_ptr_nonnull(strstr(out, "gpj.exe cr lf\\x9b"));
	ck_assert_int_eq(tu_count(out, "\n"), 3);
	free(out);
	free(err);
}
END_TEST

/* JSON keeps the text whole (python reads back the very same name) with the
 * unsafe characters as \u escapes. PY_NAME: python's ascii() of the
 * client's name as read back (the invalid byte 0x9b became U+FFFD). */
#define PY_NAME	"'Evil\\x1b]0;pwned\\x07CA\\x1b[2J\\x9bx\\u202egpj.exe" \
		"\\rcr\\nlf\\ufffd\\x7f'"
START_TEST(poison_json_lossless)
{
	char *out = NULL, *err = NULL, path[4096], *pyout = NULL;

	ck_assert_int_eq(tu_ctl(db, &out, &err, "--json", "cert", "list",
	    "--type", "pki", NULL), 0);
	scan_ok("json", out);
	ck_assert_ptr_nonnull(strstr(out, "\\u202e"));
	snprintf(path, sizeof path, "%s/list.json", dir);
	ck_assert_int_eq(tu_write_file(path, out, strlen(out)), 0);
	ck_assert_int_eq(tu_sh(&pyout, NULL, "python3 -c 'import json, sys;"
	    " d = json.load(open(sys.argv[1])); print(ascii(d[0][\"issued_by\"]))'"
	    " '%s'", path), 0);
	ck_assert_str_eq(pyout, "'Evil\\x1b]0;pwned\\x07CA\\x1b[2J\\x9bx\\u202e"
	    "gpj.exe\\rcr\\nlf'\n");
	free(pyout);
	free(out);
	free(err);
	/* A client's name: every character kept, the invalid byte as
	 * U+FFFD, in list and show alike. */
	for (int show = 0; show < 2; show++) {
		ck_assert_int_eq(tu_ctl(db, &out, &err, "--json", "client",
		    show ? "show" : "list", show ? CLIENT_SMSID : NULL, NULL),
		    0);
		scan_ok("json", out);
		tu_has(out, "\\u001b]0;pwned\\u0007", "\\r", "\\n",
		    "\\u009b", "\\ufffd\\u007f", NULL);
		pyout = tu_py_json(out, show ? "ascii((d['smsid'], d['name'],"
		    " d['approved_by']))" : "ascii([(c['smsid'], c['name'],"
		    " c['approved_by']) for c in d])");
		ck_assert_str_eq(pyout, show ? "('" CLIENT_SMSID "', " PY_NAME
		    ", " PY_NAME ")" : "[('" CLIENT_SMSID "', " PY_NAME ", "
		    PY_NAME ")]");
		free(pyout);
		free(out);
		free(err);
	}
}
END_TEST

/*
 * The terminal: tmux runs ehttpctl in a pane; the pane title must stay as
 * set, the screen must not be cleared. The control prints the raw poison
 * and must change the title (so the check can fail).
 */
static char *
tmux_q(const char *sock, const char *fmt, const char *arg)
{
	char *out = NULL;

	ck_assert_int_eq(tu_sh(&out, NULL, "tmux -L %s -f /dev/null %s '%s'",
	    sock, fmt, arg), 0);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

static void
tmux_run_wait(const char *sock, const char *line)
{
	char *out = NULL, *err = NULL;
	int done = 0, rc;

	rc = tu_sh(NULL, &err, "tmux -L %s -f /dev/null send-keys"
	    " -t t -l '%s; echo DONE-$((6*7))' && tmux -L %s -f /dev/null"
	    " send-keys -t t Enter", sock, line, sock);
	ck_assert_msg(rc == 0, "tmux send-keys: exit %d: %s", rc, err);
	free(err);
	for (int i = 0; i < 200 && !done; i++) {
		usleep(50000);
		free(out);
		out = NULL;
		tu_sh(&out, NULL, "tmux -L %s -f /dev/null capture-pane -p -t t",
		    sock);
		done = out != NULL && strstr(out, "DONE-42") != NULL;
	}
	ck_assert_msg(done, "the command did not finish in tmux: %s", out);
	free(out);
}

START_TEST(terminal_title_unchanged)
{
	char sock[64], *title, *pane = NULL, line[16384];

	snprintf(sock, sizeof sock, "ehttp-out-%d", (int)getpid());
	ck_assert_int_eq(tu_sh(NULL, NULL, "tmux -L %s -f /dev/null new-session"
	    " -d -s t -x 220 -y 40 'env -i PATH=\"$PATH\" TERM=xterm sh' &&"
	    " tmux -L %s -f /dev/null set -g allow-rename on &&"
	    " tmux -L %s -f /dev/null select-pane -t t -T before", sock, sock,
	    sock), 0);
	snprintf(line, sizeof line, "%s --db %s cert list --type pki"
	    " --no-pager; %s --db %s cert show %s", tu_bin("ehttpctl"), db,
	    tu_bin("ehttpctl"), db, pki_id);
	tmux_run_wait(sock, line);
	title = tmux_q(sock, "display -p -t t", "#{pane_title}");
	ck_assert_str_eq(title, "before");
	free(title);
	tu_sh(&pane, NULL, "tmux -L %s -f /dev/null capture-pane -p -J -S -200"
	    " -t t", sock);
	ck_assert_ptr_nonnull(pane);
	/* Not cleared: the command line itself is still on the screen. */
	ck_assert_ptr_nonnull(strstr(pane, "cert list --type pki"));
	ck_assert_ptr_nonnull(strstr(pane, "Evil\\x1b]0;pwned\\x07CA"));
	free(pane);
	/* The control: the raw sequence does rename the pane. */
	tmux_run_wait(sock, "printf \"\\033]2;pwned\\007\"");
	title = tmux_q(sock, "display -p -t t", "#{pane_title}");
	tu_sh(NULL, NULL, "tmux -L %s -f /dev/null kill-server", sock);
	ck_assert_str_eq(title, "pwned");
	free(title);
}
END_TEST

/* The agent's log: a strict reader (python) finds one record per line, the
 * fields where they belong and no raw control character. */
START_TEST(agent_log_escaped)
{
	char path[4096], py[4096], *out = NULL, *err = NULL, *cause = NULL;
	struct cmlog *log;
	static const char reader[] =
	    "import re, sys\n"
	    "data = open(sys.argv[1], 'rb').read().decode('utf-8', 'strict')\n"
	    "rx = re.compile(r'<!\\[LOG\\[(.*?)\\]LOG\\]!><time=\"(\\d\\d:\\d\\d:"
	    "\\d\\d\\.\\d{3})\\+000\" date=\"(\\d\\d-\\d\\d-\\d{4})\" component=\""
	    "([^\"\\r\\n]{1,100})\" context=\"\" type=\"([123])\" thread=\"(\\d+)\""
	    " file=\"([^\"\\r\\n]{0,100})\">$')\n"
	    "lines = data.split('\\n')\n"
	    "assert lines[-1] == '', 'no final line feed'\n"
	    "for l in lines[:-1]:\n"
	    "    m = rx.fullmatch(l)\n"
	    "    assert m, 'not a record: %r' % l\n"
	    "    for ch in l:\n"
	    "        o = ord(ch)\n"
	    "        assert o >= 0x20 and o != 0x7f and not 0x80 <= o < 0xa0 and"
	    " o not in (0x61c, 0x200e, 0x200f, 0x2028, 0x2029) and"
	    " not 0x202a <= o <= 0x202e and not 0x2066 <= o <= 0x2069, 'U+%04X' % o\n"
	    "    print(m.group(1)); print(m.group(4)); print(m.group(7))\n";

	snprintf(path, sizeof path, "%s/mpcontrol.log", dir);
	snprintf(py, sizeof py, "%s/reader.py", dir);
	unlink(path);
	ck_assert_int_eq(tu_write_file(py, reader, sizeof reader - 1), 0);
	log = cmlog_open(path, 0, &cause);
	ck_assert_msg(log != NULL, "%s", cause);
	ck_assert_int_eq(cmlog_write(log, CMLOG_TYPE_ERROR,
	    "Comp\033]0;pwned\007", "f\342\200\256.c:1",
	    "issuer %s bad \x9b byte, ]LOG]!> inside", POISON), 0);
	cmlog_close(log);
	ck_assert_msg(tu_sh(&out, &err, "python3 '%s' '%s'", py, path) == 0,
	    "strict reader: %s %s", out, err);
	ck_assert_str_eq(out, "issuer Evil\\x1b]0;pwned\\x07CA\\x1b[2J\\u009bx"
	    "\\u202egpj.exe cr lf bad \\x9b byte, ]LOG]!&gt; inside\n"
	    "Comp\\x1b]0;pwned\\x07\n"
	    "f\\u202e.c:1\n");
	free(out);
	free(err);
}
END_TEST

/* ---- write errors ------------------------------------------------------- */

static const char *const writers[] = {
	"cert list", "cert list --json", "site list", "audit", "site show P01",
	"--help", "cert export 1",
};

START_TEST(write_error_full)
{
	char *err = NULL;
	int rc;

	rc = tu_sh(NULL, &err, "'%s' --db '%s' %s > /dev/full",
	    tu_bin("ehttpctl"), db, writers[_i]);
	ck_assert_msg(rc == 1, "%s: exit %d", writers[_i], rc);
	ck_assert_msg(strstr(err, "ehttpctl: write error: No space left on"
	    " device\n") != NULL, "%s: %s", writers[_i], err);
	free(err);
}
END_TEST

START_TEST(write_error_closed)
{
	char *err = NULL;
	int rc;

	rc = tu_sh(NULL, &err, "'%s' --db '%s' %s >&-", tu_bin("ehttpctl"), db,
	    writers[_i]);
	ck_assert_msg(rc == 1, "%s: exit %d", writers[_i], rc);
	ck_assert_msg(strstr(err, "ehttpctl: write error: Bad file"
	    " descriptor\n") != NULL, "%s: %s", writers[_i], err);
	free(err);
}
END_TEST

/* ---- exit codes, for every command of the command table --------------- */

static const struct cli_cmd *
cmd_at(int i)
{
	const struct cli_cmd *const *t;
	size_t n;

	t = cli_tables(&n);
	for (size_t k = 0; k < n; k++)
		for (const struct cli_cmd *c = t[k]; c->name != NULL; c++)
			if (i-- == 0)
				return c;
	return NULL;
}

static int
ncmds(void)
{
	int n = 0;

	while (cmd_at(n) != NULL)
		n++;
	return n;
}

static int
run_cmd(const struct cli_cmd *cmd, const char *a1, const char *a2,
    char **err)
{
	char *argv[8];
	int argc = 0, rc;

	argv[argc++] = strdup(tu_bin("ehttpctl"));
	argv[argc++] = "--db";
	argv[argc++] = db;
	if (cmd->group != NULL)
		argv[argc++] = (char *)cmd->group;
	argv[argc++] = (char *)cmd->name;
	if (a1 != NULL)
		argv[argc++] = (char *)a1;
	if (a2 != NULL)
		argv[argc++] = (char *)a2;
	argv[argc] = NULL;
	rc = tu_run(argv, NULL, err);
	free(argv[0]);
	return rc;
}

START_TEST(every_command_exit_codes)
{
	const struct cli_cmd *cmd = cmd_at(_i);
	char *err = NULL, *before = NULL, *after = NULL;
	int rc;

	ck_assert_ptr_nonnull(cmd);
	ck_assert_int_eq(tu_sh(&before, NULL, "sqlite3 '%s' .dump", db), 0);
	/* (a) --help: 0 */
	ck_assert_msg(run_cmd(cmd, "--help", NULL, NULL) == 0, "%s --help",
	    cmd->name);
	/* (b) an unknown option: 2, with the usage */
	rc = run_cmd(cmd, "--no-such-option", NULL, &err);
	ck_assert_msg(rc == 2 && strstr(err, "usage: ehttpctl") != NULL,
	    "%s %s --no-such-option: exit %d: %s", cmd->group, cmd->name, rc,
	    err);
	free(err);
	err = NULL;
	/* (c) a missing required argument (or, for a command that needs none,
	 * one too many): 2 */
	if (cmd->args[0] != '\0' && cmd->args[0] != '[')
		rc = run_cmd(cmd, NULL, NULL, &err);
	else
		rc = run_cmd(cmd, "extra-argument", "another-argument", &err);
	ck_assert_msg(rc == 2 && strstr(err, "usage: ehttpctl") != NULL,
	    "%s %s (arguments: %s): exit %d: %s", cmd->group, cmd->name,
	    cmd->args, rc, err);
	free(err);
	err = NULL;
	/* (d) an option without its value: 2 */
	rc = run_cmd(cmd, "--db", NULL, &err);
	ck_assert_msg(rc == 2, "%s %s --db: exit %d: %s", cmd->group,
	    cmd->name, rc, err);
	free(err);
	ck_assert_int_eq(tu_sh(&after, NULL, "sqlite3 '%s' .dump", db), 0);
	ck_assert_msg(strcmp(before, after) == 0, "%s %s changed the database",
	    cmd->group, cmd->name);
	free(before);
	free(after);
}
END_TEST

/* Refusals and run-time failures: 1. Usage errors of each kind: 2. */
static const struct {
	const char	*line;
	int		 rc;
} exits[] = {
	{ "site show ZZZ", 1 },
	{ "cert show 99999", 1 },
	{ "log show /nonexistent.log", 1 },
	{ "system add new.contoso.com --site ZZZ", 1 },
	{ "role add cas.contoso.com mp", 1 },
	{ "site set P01", 2 },
	{ "role set p01.contoso.com mp", 2 },
	{ "cert list --expiring abc", 2 },
	{ "status --limit x", 2 },
	{ "site set P01 --crl-check maybe", 2 },
	{ "site set P01 --key-alg dsa", 2 },
	{ "role add dp1.p01.contoso.com mp --connection ftp", 2 },
	{ "log show x --type verbose", 2 },
	{ "nosuchcommand", 2 },
	{ "site nosuch", 2 },
	{ "", 2 },
};

START_TEST(exit_rule_examples)
{
	int rc = tu_sh(NULL, NULL, "'%s' --db '%s' %s", tu_bin("ehttpctl"), db,
	    exits[_i].line);

	ck_assert_msg(rc == exits[_i].rc, "'%s': exit %d, want %d",
	    exits[_i].line, rc, exits[_i].rc);
}
END_TEST

/* ---- the sanitiser itself ---------------------------------------------- */

static const struct {
	const char	*in;
	const char	*shown;
} escapes[] = {
	{ "plain ASCII", "plain ASCII" },
	{ "Contoso \303\234mlaut \346\227\245\346\234\254 \360\237\230\200",
	  "Contoso \303\234mlaut \346\227\245\346\234\254 \360\237\230\200" },
	{ "a\\b", "a\\\\b" },
	{ "\\x1b", "\\\\x1b" },
	{ "\033]0;t\007", "\\x1b]0;t\\x07" },
	{ "\t\n\r\001\037\177", "\\t\\n\\r\\x01\\x1f\\x7f" },
	{ "\302\200\302\233\302\237\302\240", "\\u0080\\u009b\\u009f\302\240" },
	{ "\233\237", "\\x9b\\x9f" },			/* raw C1 bytes */
	{ "\342\200\256\342\200\255\342\200\252\342\201\246\342\201\251",
	  "\\u202e\\u202d\\u202a\\u2066\\u2069" },
	{ "\342\200\216\342\200\217\330\234\342\200\250\342\200\251",
	  "\\u200e\\u200f\\u061c\\u2028\\u2029" },
	{ "\342\200\213", "\342\200\213" },		/* ZWSP: not a control */
	{ "\300\257|\355\240\200|\364\220\200\200|\303",
	  "\\xc0\\xaf|\\xed\\xa0\\x80|\\xf4\\x90\\x80\\x80|\\xc3" },
};

START_TEST(safetext_escapes)
{
	char *got = safetext_dup(escapes[_i].in, (size_t)-1);

	ck_assert_str_eq(got, escapes[_i].shown);
	free(got);
}
END_TEST

/* The stream: written one byte at a time (every UTF-8 sequence cut), line
 * feeds and backslashes kept, the rest as safetext_dup. */
START_TEST(safetext_stream_split)
{
	static const char in[] = "a\\b \303\234 \342\200\256 \033[2J\n"
	    "\346\227\245\233x\302\233\n\360\237\230\200\303";
	static const char want[] = "a\\b \303\234 \\u202e \\x1b[2J\n"
	    "\346\227\245\\x9bx\\u009b\n\360\237\230\200\\xc3";
	char *buf = NULL;
	size_t len = 0;
	FILE *mem, *s;
	int error;

	ck_assert_ptr_nonnull(mem = open_memstream(&buf, &len));
	s = safetext_stream(mem, &error);
	for (size_t i = 0; i < sizeof in - 1; i++) {
		fputc(in[i], s);
		fflush(s);
	}
	ck_assert_int_eq(fclose(s), 0);
	ck_assert_int_eq(error, 0);
	fclose(mem);
	ck_assert_str_eq(buf, want);
	free(buf);
}
END_TEST

/* Into a fixed buffer: the same form as safetext_dup, cut before an
 * escape that does not fit, never inside one. */
START_TEST(safetext_copy_cuts_whole_escapes)
{
	static const char in[] = "ab\033c\342\200\256d";
	char buf[16];
	size_t used;

	used = safetext_copy(buf, sizeof buf, in, (size_t)-1);
	ck_assert_str_eq(buf, "ab\\x1bc\\u202ed");
	ck_assert_uint_eq(used, sizeof in - 1);
	used = safetext_copy(buf, 6, in, (size_t)-1);	/* "ab\x1b" is 6 */
	ck_assert_str_eq(buf, "ab");
	ck_assert_uint_eq(used, 2);
	used = safetext_copy(buf, 7, in, (size_t)-1);
	ck_assert_str_eq(buf, "ab\\x1b");
	ck_assert_uint_eq(used, 3);
	used = safetext_copy(buf, 1, in, (size_t)-1);
	ck_assert_str_eq(buf, "");
	ck_assert_uint_eq(used, 0);
	used = safetext_copy(buf, sizeof buf, "\303\234x", 1);	/* cut UTF-8 */
	ck_assert_str_eq(buf, "\\xc3");
	ck_assert_uint_eq(used, 1);
}
END_TEST

/* A write error below is the stream's, with its errno. */
START_TEST(safetext_stream_error)
{
	FILE *full = fopen("/dev/full", "w"), *s;
	int error;

	ck_assert_ptr_nonnull(full);
	s = safetext_stream(full, &error);
	fputs("some text\n", s);
	ck_assert_int_eq(fclose(s), EOF);
	ck_assert_int_eq(error, ENOSPC);
	fclose(full);
}
END_TEST

/* The rule is documented where a user looks: ehttpctl --help. */
START_TEST(exit_rule_in_help)
{
	char *out = NULL, *err = NULL;

	ck_assert_int_eq(tu_ctl(db, &out, &err, "--help", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "Exit status:\n  0  success\n"
	    "  1  refused or failed"));
	ck_assert_ptr_nonnull(strstr(out, "  2  usage error, nothing done"));
	free(out);
	free(err);
}
END_TEST

Suite *
output_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("safetext", tu_plain_fixture),
		TU_EACH(safetext_escapes, escapes),
		TU_TEST(safetext_stream_split),
		TU_TEST(safetext_copy_cuts_whole_escapes),
		TU_TEST(safetext_stream_error),
		TU_CASE("poisoned", poisoned_fixture),
		TU_EACH(poisoned_outputs_are_escaped, shows),
		TU_TEST(poison_shown_escaped),
		TU_TEST(poison_json_lossless),
		TU_TEST(terminal_title_unchanged),
		TU_TEST(agent_log_escaped),
		TU_EACH(write_error_full, writers),
		TU_EACH(write_error_closed, writers),
		TU_LOOP(every_command_exit_codes, ncmds()),
		TU_EACH(exit_rule_examples, exits),
		TU_TEST(exit_rule_in_help),
		{ 0 }
	};

	return tu_suite("output", tests);
}
