/*
 * Files (issue #11 class F), through the real programs where they run:
 *  - cert export writes through one safe writer (backend/outfile.c): a
 *    failed export leaves a file that was there unchanged, a device node is
 *    never removed, /dev/full is an error, keys are 0600 and never replace
 *    or follow anything;
 *  - init leaves the database, -wal, -shm and master key 0600 (umask 0, a
 *    file made 0666 beforehand);
 *  - the CMTrace writer refuses a symlinked or hard-linked log and leaves
 *    no torn record after a full disk (RLIMIT_FSIZE), read back by a strict
 *    python3 parser written here;
 *  - log show refuses a FIFO at once;
 *  - the audit names the real user, not USER/LOGNAME/SUDO_USER.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <check.h>

#include "cmlog.h"
#include "outfile.h"
#include "testutil.h"

static const struct tu_fixture files_fixture = TU_DIR_FIXTURE(120);

static const struct tu_fixture export_fixture = TU_FIXTURE(120, tu_tmpl_setup,
	tu_tmpl_teardown, tu_dir_setup, tu_dir_teardown);

/* sh in the test's directory with C=ehttpctl --db DB; exit status. */
static int
sh(char **out, char **err, const char *cmd)
{
	return tu_sh(out, err, "cd '%s' && C='%s --db %s' && %s", tu_dir,
	    tu_bin("ehttpctl"), tu_tmpl_db, cmd);
}

/* The whole output of a shell command, asserted to exit 0. */
static char *
sh_ok(const char *cmd)
{
	char *out = NULL, *err = NULL;
	int rc = sh(&out, &err, cmd);

	ck_assert_msg(rc == 0, "%s: exit %d: %s%s", cmd, rc, out, err);
	free(err);
	return out;
}

static void
expect(const char *cmd, int want_rc, const char *want_err)
{
	char *out = NULL, *err = NULL;
	int rc = sh(&out, &err, cmd);

	ck_assert_msg(rc == want_rc, "%s: exit %d, want %d: %s%s", cmd, rc,
	    want_rc, out, err);
	if (want_err != NULL)
		ck_assert_msg(strstr(err, want_err) != NULL, "%s: stderr '%s'"
		    " lacks '%s'", cmd, err, want_err);
	free(out);
	free(err);
}

static void
expect_str(const char *cmd, const char *want)
{
	char *out = sh_ok(cmd);

	ck_assert_msg(strcmp(out, want) == 0, "%s: got '%s', want '%s'", cmd,
	    out, want);
	free(out);
}

/* ---- cert export ------------------------------------------------------- */

/* The writer itself: a write that fails half way (EFBIG under a file size
 * limit, no root needed) leaves the file that was there byte for byte and
 * no temporary file. */
START_TEST(outfile_failure_keeps_existing_file)
{
	char path[4200], big[3000], *body = NULL, *out = NULL;
	int status;
	pid_t pid;

	snprintf(path, sizeof path, "%s/old.pem", tu_dir);
	tu_write_file_mode(path, "keep me\n", 8, 0640);
	memset(big, 'x', sizeof big);
	if ((pid = fork()) == 0) {
		struct rlimit rl;
		char err[256];

		signal(SIGXFSZ, SIG_IGN);
		if (getrlimit(RLIMIT_FSIZE, &rl) == -1)
			_exit(2);
		rl.rlim_cur = 1024;
		if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
			_exit(3);
		if (outfile_write(path, big, sizeof big, 0, NULL, err,
		    sizeof err) != -1 || errno != EFBIG ||
		    strstr(err, "File too large") == NULL)
			_exit(4);
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "writer status %d", status);
	expect_str("cat old.pem; stat -c %a old.pem; ls -A | wc -l",
	    "keep me\n640\n1\n");
	free(body);
	free(out);
}
END_TEST

/* The same through ehttpctl on a full file system (a tmpfs in a private
 * mount namespace, when this process may mount). */
START_TEST(export_failure_keeps_existing_file)
{
	TU_NEED_MOUNT();
	expect_str("mkdir full && unshare -m sh -c \"mount -t tmpfs -o"
	    " size=64k tmpfs full && printf 'keep me\\n' > full/old.pem &&"
	    " chmod 0640 full/old.pem && { dd if=/dev/zero of=full/fill bs=4k"
	    " 2>/dev/null || true; } && { $C cert export 1 --out full/old.pem;"
	    " echo rc=\\$?; } 2>&1 && rm full/fill && cat full/old.pem && stat"
	    " -c %a full/old.pem && ls -A full | wc -l && $C cert export 1"
	    " --out full/old.pem >/dev/null && stat -c %a full/old.pem && openssl"
	    " x509 -in full/old.pem -noout -subject\"",
	    "ehttpctl: full/old.pem: No space left on device\nrc=1\n"
	    "keep me\n640\n1\n640\nsubject=OU = P01, CN = SMS Issuing\n");
}
END_TEST

/* A failed certificate write takes back the key file this run created,
 * and only that. */
START_TEST(export_failure_removes_only_own_key)
{
	expect("mkdir x.pem && $C cert export 2 --out x.pem --with-key", 1,
	    "x.pem is not a regular file");
	expect_str("test -d x.pem && ls -A", "x.pem\n");
}
END_TEST

START_TEST(export_device_node_kept)
{
	char *out = NULL, *err = NULL;

	if (sh(&out, &err, "mknod full c 1 7 && mknod null c 1 3") != 0) {
		fprintf(stderr, "export_device_node_kept: skipped, mknod not"
		    " permitted here: %s\n", err);
		free(out);
		free(err);
		return;
	}
	free(out);
	free(err);
	expect("$C cert export 1 --out full", 1,
	    "full: No space left on device");
	expect("$C cert export 1 --out null", 0, NULL);
	expect_str("stat -c '%F %t,%T' full null; ls -A | wc -l",
	    "character special file 1,7\ncharacter special file 1,3\n2\n");
}
END_TEST

START_TEST(export_dev_full)
{
	expect("$C cert export 1 --out /dev/full", 1,
	    "/dev/full: No space left on device");
	expect("$C cert export 1 --format der --out /dev/full", 1,
	    "No space left on device");
	expect_str("stat -c %F /dev/full", "character special file\n");
	/* "-" is standard output. */
	expect_str("$C cert export 1 --out - | openssl x509 -noout -subject;"
	    " ls -A | wc -l", "subject=OU = P01, CN = SMS Issuing\n0\n");
}
END_TEST

/* Keys: created 0600 whatever the umask; an existing file, a link or a
 * device is refused and left as it was (the documented choice: a key never
 * replaces anything, so no other key can be lost). */
START_TEST(export_key_modes_and_refusals)
{
	expect_str("umask 0 && $C cert export 2 --out a.pem --with-key"
	    " >/dev/null && stat -c %a a.pem.key a.pem && [ \"$(openssl x509"
	    " -in a.pem -noout -pubkey)\" = \"$(openssl pkey -in a.pem.key"
	    " -pubout)\" ] && echo same", "600\n644\nsame\n");
	expect("printf 'x\\n' > b.pem.key && chmod 0644 b.pem.key &&"
	    " $C cert export 2 --out b.pem --with-key", 1,
	    "a key is never overwritten");
	expect_str("cat b.pem.key; stat -c %a b.pem.key; test ! -e b.pem &&"
	    " echo no-cert", "x\n644\nno-cert\n");
	expect("ln -s victim c.pem.key && $C cert export 2 --out c.pem"
	    " --with-key", 1, "is a symbolic link");
	expect_str("test ! -e victim && test ! -e c.pem && echo untouched",
	    "untouched\n");
	expect("ln -s /dev/null d.pem.key && $C cert export 2 --out d.pem"
	    " --with-key", 1, "is a symbolic link");
	expect_str("ls -A | grep -c tmp || true", "0\n");
	/* The certificate to a device (/dev/null, here by a link): no key
	 * left beside it (it was /dev/null.key). */
	expect("ln -s /dev/null n.pem && $C cert export 2 --out n.pem"
	    " --with-key", 1, "n.pem is not a regular file: the private key"
	    " goes beside");
	expect_str("test ! -e n.pem.key && $C audit --json | grep -c"
	    " n.pem || true", "0\n");
	/* /dev/stdout redirected to a file is one: the key would still be
	 * /dev/stdout.key. */
	expect("$C cert export 2 --out /dev/stdout --with-key > o.pem", 1,
	    "the private key would go to /dev/stdout.key");
	expect_str("test ! -e /dev/stdout.key && test ! -s o.pem && echo no",
	    "no\n");
}
END_TEST

/* ---- init modes ---------------------------------------------------------- */

/* An init refused for its master key (damaged; readable by others) leaves
 * no database behind: it left an empty one, which later commands took for
 * a site database. */
START_TEST(init_refused_leaves_nothing)
{
	static const char *const keys[] = {
		"head -c 10 /dev/urandom > k && chmod 600 k",
		"printf '%064d\\n' 0 > k && chmod 644 k",
	};

	for (size_t i = 0; i < TU_ALL(keys); i++)
		tu_sh_is("1 site.db.master-key", "cd '%s' && rm -f site.db* &&"
		    " %s && mv k site.db.master-key && { '%s' --db site.db init"
		    " --demo >/dev/null 2>&1; echo $? $(ls site.db*); }", tu_dir,
		    keys[i], tu_bin("ehttpctl"));
	/* A good key (this one, made 0600 again): the init goes through. */
	tu_sh_is("0 site.db site.db.master-key", "cd '%s' && chmod 600"
	    " site.db.master-key && { '%s' --db site.db init --demo >/dev/null"
	    " 2>&1; echo $? $(ls site.db site.db.master-key); }", tu_dir,
	    tu_bin("ehttpctl"));
}
END_TEST

START_TEST(init_modes)
{
	char *out = NULL, *err = NULL, *cmd = NULL;
	int rc;

	/* An empty file made 0666 beforehand, stale -wal and -shm 0666, umask
	 * 0; python's sqlite3 keeps a connection open while ehttpctl writes,
	 * so all four files exist when their modes are read. */
	if (asprintf(&cmd, "cd '%s' && umask 0 && : > site.db && : >"
	    " site.db-wal && : > site.db-shm && chmod 0666 site.db*"
	    " && '%s' --db site.db init >/dev/null && python3 -c '\n"
	    "import os, sqlite3, subprocess, sys\n"
	    "c = sqlite3.connect(\"site.db\")\n"
	    "c.execute(\"SELECT count(*) FROM site\").fetchall()\n"
	    "subprocess.run([sys.argv[1], \"--db\", \"site.db\", \"site\","
	    " \"set\", \"P99\"], capture_output=True)\n"
	    "for f in (\"site.db\", \"site.db-wal\", \"site.db-shm\","
	    " \"site.db.master-key\"):\n"
	    "    print(f, oct(os.stat(f).st_mode & 0o7777))\n"
	    "c.close()\n' '%s' && '%s' --db new/site.db init >/dev/null &&"
	    " stat -c %%a new new/site.db new/site.db.master-key", tu_dir,
	    tu_bin("ehttpctl"), tu_bin("ehttpctl"), tu_bin("ehttpctl")) == -1)
		abort();
	rc = tu_sh(&out, &err, "%s", cmd);
	ck_assert_msg(rc == 0, "exit %d: %s%s", rc, out, err);
	ck_assert_str_eq(out, "site.db 0o600\nsite.db-wal 0o600\n"
	    "site.db-shm 0o600\nsite.db.master-key 0o600\n700\n600\n600\n");
	free(out);
	free(err);
	/* init on an existing ehttp database keeps it (and its data). */
	rc = tu_sh(&out, &err, "cd '%s' && chmod 0644 site.db && '%s' --db"
	    " site.db init && stat -c %%a site.db", tu_dir, tu_bin("ehttpctl"));
	ck_assert_msg(rc == 0, "exit %d: %s%s", rc, out, err);
	ck_assert_str_eq(out, "Database site.db is ready.\n600\n");
	free(out);
	free(err);
	free(cmd);
}
END_TEST

/* ---- the CMTrace writer ------------------------------------------------ */

/* A strict CMTrace parser, not ehttp's: every line one
 * record; prints the record texts, one per line. */
static const char strict_py[] =
    "import re, sys\n"
    "rec = re.compile(r'<!\\[LOG\\[(.*?)\\]LOG\\]!><time=\"\\d\\d:\\d\\d:"
    "\\d\\d\\.\\d{3}\\+000\" date=\"\\d\\d-\\d\\d-\\d{4}\" component=\"[^\"]*\""
    " context=\"\" type=\"[123]\" thread=\"\\d+\" file=\"[^\"]*\">')\n"
    "data = open(sys.argv[1], 'rb').read().decode('utf-8')\n"
    "if data and not data.endswith('\\n'):\n"
    "    sys.exit('torn last line')\n"
    "for n, line in enumerate(data.split('\\n')[:-1], 1):\n"
    "    m = rec.fullmatch(line)\n"
    "    if m is None:\n"
    "        sys.exit('line %d is not one record: %r' % (n, line[:200]))\n"
    "    print(m.group(1))\n";

START_TEST(cmlog_symlink_refused)
{
	char log[4200], victim[4200], *cause = NULL, *body;

	snprintf(log, sizeof log, "%s/mpcontrol.log", tu_dir);
	snprintf(victim, sizeof victim, "%s/victim", tu_dir);
	ck_assert_int_eq(tu_write_file(victim, "secret\n", 7), 0);
	ck_assert_int_eq(symlink(victim, log), 0);
	ck_assert_ptr_null(cmlog_open(log, 0, &cause));
	ck_assert_msg(strstr(cause, "is a symbolic link") != NULL, "%s", cause);
	free(cause);
	/* The agent refuses to start on it. */
	ck_assert_int_ne(tu_sh(NULL, NULL, "timeout 30 '%s' --db '%s/none.db'"
	    " --system mp1.p01.contoso.com --https 127.0.0.1:0 --http"
	    " 127.0.0.1:0 --log-dir '%s' --foreground", tu_bin("ehttp-mpd"),
	    tu_dir, tu_dir), 0);
	/* A hard link to the victim is refused too. */
	ck_assert_int_eq(unlink(log), 0);
	ck_assert_int_eq(link(victim, log), 0);
	ck_assert_ptr_null(cmlog_open(log, 0, &cause));
	ck_assert_msg(strstr(cause, "other hard links") != NULL, "%s", cause);
	free(cause);
	body = tu_read_file(victim, NULL);
	ck_assert_str_eq(body, "secret\n");
	free(body);
	/* Rolling never follows a link planted as the log either. */
	ck_assert_int_eq(unlink(log), 0);
	{
		struct cmlog *w = cmlog_open(log, 300, &cause);
		ck_assert_msg(w != NULL, "%s", cause);
		ck_assert_int_eq(cmlog_write(w, 1, "T", NULL, "one %0200d", 1),
		    0);
		ck_assert_int_eq(unlink(log), 0);
		ck_assert_int_eq(symlink(victim, log), 0);
		ck_assert_int_eq(cmlog_write(w, 1, "T", NULL, "two"), -1);
		ck_assert_ptr_nonnull(strstr(cmlog_error(w), "symbolic link"));
		cmlog_close(w);
	}
	body = tu_read_file(victim, NULL);
	ck_assert_str_eq(body, "secret\n");
	free(body);
}
END_TEST

/* A full disk (RLIMIT_FSIZE: EFBIG, no root needed) in the middle of a
 * record: no torn record stays, and once there is room again the next
 * record starts on its own line. */
START_TEST(cmlog_full_disk_no_torn_record)
{
	char log[4200], py[4200], *out = NULL, *err = NULL;
	int status, ok = 0, failed = 0;
	pid_t pid;

	snprintf(log, sizeof log, "%s/mpcontrol.log", tu_dir);
	snprintf(py, sizeof py, "%s/strict.py", tu_dir);
	ck_assert_int_eq(tu_write_file(py, strict_py, strlen(strict_py)), 0);
	if ((pid = fork()) == 0) {
		struct rlimit rl;
		struct cmlog *w = cmlog_open(log, 0, NULL);
		int n = 0, bad = 0, i;

		signal(SIGXFSZ, SIG_IGN);
		if (w == NULL || getrlimit(RLIMIT_FSIZE, &rl) == -1)
			_exit(2);
		rl.rlim_cur = 4000;
		if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
			_exit(3);
		for (i = 0; i < 40; i++) {
			if (cmlog_write(w, 1, "T", "t.c:1", "rec %02d %0100d",
			    i, 0) == 0)
				n++;
			else if (errno == EFBIG || errno == ENOSPC)
				bad++;
		}
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
			_exit(4);
		for (i = 40; i < 43; i++)
			if (cmlog_write(w, 1, "T", "t.c:1", "rec %02d %0100d",
			    i, 0) == 0)
				n++;
		cmlog_close(w);
		/* The limit must have refused some records. */
		_exit(bad == 0 || n == 0 ? 5 : 0);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "writer status %d", status);
	ck_assert_int_eq(tu_sh(&out, &err, "python3 '%s' '%s'", py, log), 0);
	/* Records of about 220 bytes: 18 fit in 4000 bytes, the 19th is cut
	 * and taken back, the rest refused; 40-42 follow on their own lines. */
	for (char *p = out; (p = strstr(p, "rec ")) != NULL; p += 4) {
		int k = atoi(p + 4);
		if (k < 40)
			ok++;
		else
			failed++;
	}
	ck_assert_msg(ok > 5 && ok < 40, "records before the limit: %d\n%s",
	    ok, out);
	ck_assert_msg(failed == 3, "records after: %d\n%s", failed, out);
	ck_assert_int_eq(tu_count(out, "\n"), ok + 3);
	free(out);
	free(err);
}
END_TEST

/* ---- log show on what is not a regular file --------------------------- */

START_TEST(log_show_fifo_refused)
{
	char *out = NULL, *err = NULL;
	int rc;

	/* timeout: a regression fails here instead of hanging the suite. */
	rc = tu_sh(&out, &err, "cd '%s' && mkfifo p && timeout 20 '%s' log show"
	    " p", tu_dir, tu_bin("ehttpctl"));
	ck_assert_msg(rc == 1, "exit %d: %s%s", rc, out, err);
	ck_assert_str_eq(err, "ehttpctl: p: not a regular file (a named pipe);"
	    " a log is read only from a regular file\n");
	free(out);
	free(err);
	rc = tu_sh(&out, &err, "cd '%s' && timeout 20 '%s' log show /dev/zero",
	    tu_dir, tu_bin("ehttpctl"));
	ck_assert_int_eq(rc, 1);
	ck_assert_ptr_nonnull(strstr(err, "(a device)"));
	free(out);
	free(err);
}
END_TEST

/* ---- the audit's user -------------------------------------------------- */

/* The user of the newest audit row after `site set P02 --crl-check X`. */
static char *
audit_user(const char *db, const char *prefix, const char *onoff)
{
	char *out = NULL, *err = NULL;
	int rc;

	rc = tu_sh(&out, &err, "%s '%s' --db '%s' site set P02 --crl-check %s"
	    " >/dev/null && sqlite3 '%s' 'SELECT user FROM audit ORDER BY id"
	    " DESC LIMIT 1'", prefix, tu_bin("ehttpctl"), db, onoff, db);
	ck_assert_msg(rc == 0, "exit %d: %s%s", rc, out, err);
	free(err);
	return out;
}

START_TEST(audit_real_user)
{
	char db[4200], *u, *who = NULL, *err = NULL;

	snprintf(db, sizeof db, "%s/site.db", tu_dir);
	ck_assert_int_eq(tu_sh(NULL, NULL, "'%s' --db '%s' init --demo",
	    tu_bin("ehttpctl"), db), 0);
	ck_assert_int_eq(tu_sh(&who, &err, "id -un"), 0);
	free(err);
	/* Environment claims are ignored. */
	u = audit_user(db, "env USER=mallory LOGNAME=mallory SUDO_USER=mallory"
	    " SUDO_UID=0", "off");
	ck_assert_str_eq(u, getuid() == 0 ? "root\n" : who);
	free(u);
	if (getuid() == 0) {
		/* root through sudo, with a SUDO_UID that matches. */
		u = audit_user(db, "env SUDO_USER=nobody SUDO_UID=65534", "on");
		ck_assert_str_eq(u, "nobody (via sudo)\n");
		free(u);
		/* ... and one that does not. */
		u = audit_user(db, "env SUDO_USER=root SUDO_UID=1", "off");
		ck_assert_str_eq(u, "root\n");
		free(u);
		u = audit_user(db, "env SUDO_USER='no body' SUDO_UID=65534",
		    "on");
		ck_assert_str_eq(u, "root\n");
		free(u);
		/* A user that is not root cannot pose as anyone. */
		if (tu_sh(NULL, NULL, "command -v setpriv >/dev/null && chown"
		    " -R nobody '%s' && setpriv --reuid=nobody --regid=65534"
		    " --clear-groups true", tu_dir) != 0) {
			fprintf(stderr, "audit_real_user: non-root part skipped"
			    " (setpriv/chown not usable here)\n");
		} else {
			u = audit_user(db, "env USER=mallory LOGNAME=mallory"
			    " SUDO_USER=mallory SUDO_UID=0 setpriv --reuid=nobody"
			    " --regid=65534 --clear-groups", "off");
			ck_assert_str_eq(u, "nobody\n");
			free(u);
		}
	}
	free(who);
}
END_TEST

Suite *
files_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("export", export_fixture),
		TU_TEST(outfile_failure_keeps_existing_file),
		TU_TEST(export_failure_keeps_existing_file),
		TU_TEST(export_failure_removes_only_own_key),
		TU_TEST(export_device_node_kept),
		TU_TEST(export_dev_full),
		TU_TEST(export_key_modes_and_refusals),
		TU_CASE("files", files_fixture),
		TU_TEST(init_modes),
		TU_TEST(init_refused_leaves_nothing),
		TU_TEST(cmlog_symlink_refused),
		TU_TEST(cmlog_full_disk_no_torn_record),
		TU_TEST(log_show_fifo_refused),
		TU_TEST(audit_real_user),
		{ 0 }
	};

	return tu_suite("files", tests);
}
