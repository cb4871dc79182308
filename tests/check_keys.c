/*
 * Key protection (issue #7): the files that hold keys are created private
 * and exclusively, whatever the umask; keys go only where they are asked
 * for: never into output, status messages, the audit trail, logs or the
 * database in the clear. Driven through the real ehttpctl; key bytes are
 * looked for with the openssl CLI's own DER and PEM of each exported key.
 * The console, which loads keys for a few actions, leaves no core dump.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <check.h>

#include "ehttp.h"
#include "testutil.h"
#include "xmalloc.h"

/* The permission bits of a followed by suffix. */
static mode_t
mode_of(const char *a, const char *suffix)
{
	char path[4200];
	struct stat sb;

	snprintf(path, sizeof path, "%s%s", a, suffix);
	ck_assert_msg(lstat(path, &sb) == 0, "%s missing", path);
	return sb.st_mode & 07777;
}

/* ehttpctl --db DB ARGS as a shell line, with umask 000; output kept. */
static int
ctl(char **out, const char *args)
{
	char *err = NULL, *both;
	int rc;

	rc = tu_sh(out, &err, "umask 000; '%s' --db '%s' %s", tu_bin("ehttpctl"),
	    tu_db, args);
	if (out != NULL) {
		xasprintf(&both, "%s%s", *out, err);
		free(*out);
		*out = both;
	}
	free(err);
	return rc;
}

static void
ctl_ok(char **out, const char *args)
{
	char *o = NULL;
	int rc = ctl(&o, args);

	ck_assert_msg(rc == 0, "ehttpctl %s: exit %d: %s", args, rc, o);
	if (out != NULL)
		*out = o;
	else
		free(o);
}

/* Created with umask 000: directory 0700, database, WAL, shm, key 0600. */
START_TEST(created_private)
{
	snprintf(tu_db, sizeof tu_db, "%s/new/ehttp/site.db", tu_dir);
	ctl_ok(NULL, "init --demo");
	ck_assert_int_eq(mode_of(tu_dir, "/new/ehttp"), 0700);
	ck_assert_int_eq(mode_of(tu_db, ""), 0600);
	ck_assert_int_eq(mode_of(tu_db, ".master-key"), 0600);
	/* A reader leaves the WAL and shm files: they copy the file's mode. */
	ctl_ok(NULL, "site list");
	ck_assert_int_eq(mode_of(tu_db, "-wal"), 0600);
	ck_assert_int_eq(mode_of(tu_db, "-shm"), 0600);
	/* Keys issued later do not loosen anything. */
	ctl_ok(NULL, "site set P01 --key-alg ec-p256 --enhanced-http on");
	ck_assert_int_eq(mode_of(tu_db, ""), 0600);
	ck_assert_int_eq(mode_of(tu_db, ".master-key"), 0600);
	ck_assert_int_eq(mode_of(tu_dir, "/new/ehttp"), 0700);
}
END_TEST

/*
 * Exclusive creation: a link planted where the master key goes is not
 * followed (nothing is written through it), and an existing key is never
 * rewritten.
 */
START_TEST(master_key_exclusive)
{
	char *out = NULL, *before, *after, path[4200];
	struct stat a, b;

	ck_assert_int_eq(tu_sh(NULL, NULL, "ln -s '%s/stolen' '%s.master-key'",
	    tu_dir, tu_db), 0);
	ck_assert_int_eq(ctl(&out, "init"), 1);
	ck_assert_msg(strstr(out, "master key") != NULL, "%s", out);
	free(out);
	snprintf(path, sizeof path, "%s/stolen", tu_dir);
	ck_assert_int_eq(access(path, F_OK), -1);

	ck_assert_int_eq(tu_sh(NULL, NULL, "rm '%s.master-key'", tu_db), 0);
	ctl_ok(NULL, "init");
	snprintf(path, sizeof path, "%s.master-key", tu_db);
	ck_assert_int_eq(stat(path, &a), 0);
	before = tu_read_file(path, NULL);
	ck_assert_uint_eq(strlen(before), 65);
	ctl_ok(NULL, "init --demo");
	ctl_ok(NULL, "init");
	ck_assert_int_eq(stat(path, &b), 0);
	after = tu_read_file(path, NULL);
	ck_assert_str_eq(before, after);
	ck_assert(a.st_ino == b.st_ino && a.st_mtime == b.st_mtime);
	free(before);
	free(after);
}
END_TEST

/* An exported key: 0600, exclusive, never through a link, never twice. */
START_TEST(exported_key_file)
{
	char *out = NULL, *key, path[4200];

	ctl_ok(NULL, "init --demo");
	ctl_ok(NULL, "site set P01 --key-alg ec-p256 --enhanced-http on");
	snprintf(path, sizeof path, "%s/root.pem.key", tu_dir);
	ck_assert_int_eq(tu_sh(NULL, NULL, "cd '%s' && ln -s planted"
	    " root.pem.key", tu_dir), 0);
	xasprintf(&out, "cert export 1 --out '%s/root.pem' --with-key",
	    tu_dir);
	{
		char *o = NULL;

		ck_assert_int_eq(ctl(&o, out), 1);
		ck_assert_msg(strstr(o, "root.pem.key") != NULL, "%s", o);
		free(o);
	}
	ck_assert_int_eq(tu_sh(NULL, NULL, "cd '%s' && test ! -e planted &&"
	    " test ! -e root.pem && rm root.pem.key", tu_dir), 0);

	ctl_ok(NULL, out);
	ck_assert_int_eq(mode_of(tu_dir, "/root.pem.key"), 0600);
	ck_assert_int_eq(mode_of(tu_dir, "/root.pem"), 0644);
	key = tu_read_file(path, NULL);
	ck_assert_ptr_nonnull(strstr(key, "-----BEGIN PRIVATE KEY-----"));
	/* The key is the certificate's: openssl compares the public keys. */
	ck_assert_int_eq(tu_sh(NULL, NULL, "cd '%s' && test \"$(openssl x509 -in"
	    " root.pem -noout -pubkey)\" = \"$(openssl pkey -in root.pem.key"
	    " -pubout)\"", tu_dir), 0);
	/* Again: refused, the first one kept as it was. */
	{
		char *o = NULL, *again;

		ck_assert_int_eq(ctl(&o, out), 1);
		ck_assert_msg(strstr(o, "a key is never overwritten") != NULL,
		    "%s", o);
		free(o);
		again = tu_read_file(path, NULL);
		ck_assert_str_eq(key, again);
		free(again);
	}
	free(out);
	free(key);
}
END_TEST

/* The console's kind of handle cannot reach keys; an exposed master key
 * stops every program, whatever it means to do. */
START_TEST(no_keys_handle)
{
	struct ehttp *e;
	char *cause = NULL, *pem = NULL, path[4200];
	size_t len;

	ctl_ok(NULL, "init --demo");
	ctl_ok(NULL, "site set P01 --key-alg ec-p256 --enhanced-http on");
	e = ehttp_open(tu_db, EHTTP_NO_KEYS, &cause);
	ck_assert_msg(e != NULL, "%s", cause);
	ck_assert_int_eq(ehttp_cert_key_pem(e, 1, &pem, &len), -1);
	ck_assert_ptr_null(pem);
	ck_assert_ptr_nonnull(strstr(ehttp_error(e), "does not use private keys"));
	ehttp_close(e);

	snprintf(path, sizeof path, "%s.master-key", tu_db);
	ck_assert_int_eq(chmod(path, 0644), 0);
	for (int flags = 0; flags <= (EHTTP_READONLY | EHTTP_NO_KEYS); flags++) {
		ck_assert_ptr_null(ehttp_open(tu_db, flags, &cause));
		ck_assert_msg(strstr(cause, "has mode 0644") != NULL, "%s", cause);
		free(cause);
		cause = NULL;
	}
	ck_assert_int_eq(mode_of(path, ""), 0644);	/* not "fixed" */
}
END_TEST

/* ---- no key material where it does not belong --------------------------- */

/* A growing text of everything the programs said. */
static char *seen;
static size_t seen_len;

static void
saw(const char *s, size_t n)
{
	if ((seen = realloc(seen, seen_len + n + 1)) == NULL)
		abort();
	memcpy(seen + seen_len, s, n);
	seen_len += n;
	seen[seen_len] = '\0';
}

static void
run_saw(const char *args)
{
	char *out = NULL;

	ctl_ok(&out, args);
	saw(out, strlen(out));
	free(out);
}

struct needle {
	unsigned char	*p;
	size_t		 n;
	char		 what[96];
};

static struct needle needles[2048];
static size_t nneedles;

static void
add_needle(const void *p, size_t n, const char *what, long id)
{
	struct needle *k;

	ck_assert(nneedles < sizeof needles / sizeof *needles);
	k = &needles[nneedles++];
	if ((k->p = malloc(n)) == NULL)
		abort();
	memcpy(k->p, p, n);
	k->n = n;
	snprintf(k->what, sizeof k->what, "%s of the key of certificate %ld",
	    what, id);
}

static void
hex(const unsigned char *p, size_t n, char *out, const char *digits)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/*
 * What would betray key id: its PKCS#8 DER and the traditional DER
 * (PKCS#1 / SEC1), 32 bytes of it in binary and in hex, and the base64
 * lines of its PEM. A key also holds its public half, which the
 * certificate shows, so windows and lines found in the certificate's DER
 * or PEM are not used.
 */
static void
needles_for(long id)
{
	char *p8, *trad, *pem, *cder, *cpem, h[65], *line, *next, path[4200];
	size_t n8, nt, nc, off;

	ck_assert_int_eq(tu_sh(NULL, NULL, "cd '%s/k' && openssl pkey -in"
	    " %ld.pem.key -outform DER -out %ld.p8 && openssl pkey -in"
	    " %ld.pem.key -traditional -outform DER -out %ld.trad && openssl"
	    " x509 -in %ld.pem -outform DER -out %ld.cder", tu_dir, id, id, id,
	    id, id, id), 0);
	snprintf(path, sizeof path, "%s/k/%ld.p8", tu_dir, id);
	p8 = tu_read_file(path, &n8);
	snprintf(path, sizeof path, "%s/k/%ld.trad", tu_dir, id);
	trad = tu_read_file(path, &nt);
	snprintf(path, sizeof path, "%s/k/%ld.pem.key", tu_dir, id);
	pem = tu_read_file(path, NULL);
	snprintf(path, sizeof path, "%s/k/%ld.cder", tu_dir, id);
	cder = tu_read_file(path, &nc);
	snprintf(path, sizeof path, "%s/k/%ld.pem", tu_dir, id);
	cpem = tu_read_file(path, NULL);
	ck_assert(p8 != NULL && trad != NULL && pem != NULL && cder != NULL &&
	    cpem != NULL && n8 > 64);
	add_needle(p8, n8, "PKCS#8 DER", id);
	add_needle(trad, nt, "traditional DER", id);
	/* From the middle down to the first window the certificate lacks. */
	for (off = n8 / 2; off > 0 && memmem(cder, nc, p8 + off, 32) != NULL;
	    off--)
		;
	ck_assert_uint_gt(off, 0);
	add_needle(p8 + off, 32, "32 private bytes", id);
	hex((unsigned char *)p8 + off, 32, h, "0123456789ABCDEF");
	add_needle(h, 64, "upper-case hex", id);
	hex((unsigned char *)p8 + off, 32, h, "0123456789abcdef");
	add_needle(h, 64, "lower-case hex", id);
	for (line = pem; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if (line[0] != '-' && next - line > 20 &&
		    memmem(cpem, strlen(cpem), line, (size_t)(next - line - 1))
		    == NULL)
			add_needle(line, (size_t)(next - line - 1), "a PEM line",
			    id);
	}
	free(p8);
	free(trad);
	free(pem);
	free(cder);
	free(cpem);
}

static size_t
hits(const char *hay, size_t n, const char **which)
{
	size_t k = 0;

	for (size_t i = 0; i < nneedles; i++)
		if (memmem(hay, n, needles[i].p, needles[i].n) != NULL) {
			*which = needles[i].what;
			k++;
		}
	return k;
}

static void
assert_clean(const char *hay, size_t n, const char *where)
{
	ck_assert_msg(memmem(hay, n, "PRIVATE KEY", 11) == NULL,
	    "\"PRIVATE KEY\" in %s", where);
	for (size_t i = 0; i < nneedles; i++) {
		const char *at = memmem(hay, n, needles[i].p, needles[i].n);
		size_t off = at ? (size_t)(at - hay) : 0;

		ck_assert_msg(at == NULL, "%s found in %s at %zu: ...%.*s...",
		    needles[i].what, where, off, (int)(off > 200 ? 200 : off),
		    at - (off > 200 ? 200 : off));
	}
}

/* Every file in tu_dir (not k/, which holds the exports) whose name ends in
 * suffix ("" for all). */
static void
assert_files_clean(const char *sub, const char *suffix, int *count)
{
	char path[4200];
	struct dirent *d;
	size_t len, sl = strlen(suffix);
	DIR *dp;
	char *data;

	snprintf(path, sizeof path, "%s%s", tu_dir, sub);
	ck_assert_ptr_nonnull(dp = opendir(path));
	while ((d = readdir(dp)) != NULL) {
		size_t nl = strlen(d->d_name);

		if (d->d_name[0] == '.' || strcmp(d->d_name, "k") == 0 ||
		    nl < sl || strcmp(d->d_name + nl - sl, suffix) != 0)
			continue;
		snprintf(path, sizeof path, "%s%s/%s", tu_dir, sub, d->d_name);
		if ((data = tu_read_file(path, &len)) == NULL)
			continue;	/* a directory */
		assert_clean(data, len, path);
		(*count)++;
		free(data);
	}
	closedir(dp);
}

START_TEST(no_key_material_anywhere)
{
	static const char *const reads[] = {
		"site list", "site show P01", "system list", "role list",
		"status --limit 0", "audit --limit 0", "cert list",
		"cert list --type pki", "cert list --blocked",
	};
	char *ids = NULL, *args, *id, *save = NULL, *rows = NULL;
	long nkeys = 0;
	int files = 0;

	/* A life: enable (RSA keys), import a PKI certificate with its key,
	 * renew, block, remove a system, disable, enable again. */
	ctl_ok(NULL, "init --demo");
	ck_assert_int_eq(tu_sh(NULL, NULL, "cd '%s' && openssl req -x509 -newkey"
	    " rsa:2048 -nodes -keyout pkica.key -out pkica.pem -days 30 -subj"
	    " '/CN=Test PKI CA' -addext basicConstraints=critical,CA:TRUE"
	    " 2>/dev/null && openssl req -newkey rsa:2048 -nodes -keyout pki.key"
	    " -out pki.csr -subj /CN=dp1.p01.contoso.com 2>/dev/null && printf"
	    " 'subjectAltName=DNS:dp1.p01.contoso.com\\nbasicConstraints="
	    "critical,CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > pki.ext &&"
	    " openssl x509 -req -in pki.csr -CA pkica.pem -CAkey pkica.key"
	    " -set_serial 0x1001 -days 30 -extfile pki.ext -out pki.pem"
	    " 2>/dev/null", tu_dir), 0);
	run_saw("site set P01 --enhanced-http on");
	xasprintf(&args, "cert import-pki dp1.p01.contoso.com '%s/pki.pem'"
	    " '%s/pki.key'", tu_dir, tu_dir);
	run_saw(args);
	free(args);
	run_saw("cert renew 5");
	run_saw("cert block 3");
	run_saw("system remove mp2.p01.contoso.com");
	run_saw("site set P01 --enhanced-http off");
	run_saw("site set P01 --enhanced-http on");
	run_saw("--json site set CAS --key-alg ec-p256 --enhanced-http on");
	for (size_t i = 0; i < sizeof reads / sizeof *reads; i++) {
		run_saw(reads[i]);
		xasprintf(&args, "--json %s", reads[i]);
		run_saw(args);
		free(args);
	}

	/* Each stored key, exported on purpose: the needles. */
	ck_assert_int_eq(tu_sh(&ids, NULL, "sqlite3 '%s' 'SELECT cert_id FROM"
	    " cert_key ORDER BY 1'", tu_db), 0);
	ck_assert_int_eq(tu_sh(NULL, NULL, "mkdir -m 0700 '%s/k'", tu_dir), 0);
	for (id = strtok_r(ids, "\n", &save); id; id = strtok_r(NULL, "\n",
	    &save)) {
		long n = atol(id);

		xasprintf(&args, "cert show %ld", n);
		run_saw(args);
		free(args);
		xasprintf(&args, "--json cert show %ld", n);
		run_saw(args);
		free(args);
		xasprintf(&args, "cert export %ld", n);
		run_saw(args);
		free(args);
		xasprintf(&args, "cert export %ld --out '%s/k/%ld.pem'"
		    " --with-key", n, tu_dir, n);
		run_saw(args);
		free(args);
		needles_for(n);
		nkeys++;
	}
	free(ids);
	/* Roots of 2 sites, P01's role certificates of three issuances, the
	 * PKI key. */
	ck_assert_msg(nkeys >= 10, "%ld keys", nkeys);

	assert_clean(seen, seen_len, "ehttpctl's output");
	/* Status messages and audit rows, as stored. */
	ck_assert_int_eq(tu_sh(&rows, NULL, "sqlite3 '%s' 'SELECT * FROM"
	    " status_message; SELECT * FROM audit'", tu_db), 0);
	ck_assert_msg(strlen(rows) > 1000, "%s", rows);
	assert_clean(rows, strlen(rows), "status messages and audit rows");
	free(rows);
	/* The agent loads a key and logs what it does: not the key. */
	if (access(tu_bin("ehttp-mpd"), X_OK) == 0) {
		char *log = NULL;

		/* Until its first health check is logged (at most 2 minutes
		 * on a loaded machine), then stopped as an admin would. */
		ck_assert_int_eq(tu_sh(NULL, NULL, "'%s' --db '%s' --system"
		    " p01.contoso.com --https 127.0.0.1:0 --http 127.0.0.1:0"
		    " --poll 1 --check 1 --log-dir '%s/logs' --pid-file"
		    " '%s/mpd.pid' --foreground > /dev/null 2>&1 & p=$!; i=0;"
		    " until grep -q HttpSendRequestSync '%s/logs/mpcontrol.log'"
		    " 2>/dev/null || [ $i -ge 1200 ]; do sleep 0.1;"
		    " i=$((i + 1)); done; kill -TERM $p; wait $p",
		    tu_bin("ehttp-mpd"), tu_db, tu_dir, tu_dir, tu_dir), 0);
		ck_assert_int_eq(tu_sh(&log, NULL, "cat '%s/logs/mpcontrol.log'",
		    tu_dir), 0);
		ck_assert_msg(strstr(log, "HttpSendRequestSync") != NULL, "%s",
		    log);
		free(log);
		assert_files_clean("/logs", "", &files);
	} else
		fprintf(stderr, "keys: no ehttp-mpd built: its log not checked\n");
	/* The database itself holds keys only encrypted; logs none. */
	assert_files_clean("", ".db", &files);
	assert_files_clean("", ".db-wal", &files);
	assert_files_clean("", ".log", &files);
	assert_files_clean("", ".lo_", &files);
	ck_assert_int_ge(files, 1);
	/* The search works: in the files asked for, the keys are found. */
	{
		char path[4200], *k;
		const char *which;
		size_t n;

		snprintf(path, sizeof path, "%s/k/2.pem.key", tu_dir);
		k = tu_read_file(path, &n);
		ck_assert_ptr_nonnull(k);
		ck_assert_uint_ge(hits(k, n, &which), 5);
		free(k);
		snprintf(path, sizeof path, "%s/k/2.p8", tu_dir);
		k = tu_read_file(path, &n);
		ck_assert_uint_ge(hits(k, n, &which), 2);
		free(k);
	}
	for (size_t i = 0; i < nneedles; i++)
		free(needles[i].p);
	nneedles = 0;
	free(seen);
	seen = NULL;
	seen_len = 0;
}
END_TEST

/* ---- the console leaves no core dump ----------------------------------- */

/*
 * run.sh PIDFILE DIR COMMAND...: in DIR, with core files allowed up to the
 * hard limit, record the pid and become COMMAND (same pid).
 */
static const char core_run_sh[] =
    "#!/bin/sh\n"
    "pidfile=$1; cd \"$2\" || exit 1; shift 2\n"
    "ulimit -c unlimited 2>/dev/null || ulimit -c \"$(ulimit -H -c)\"\n"
    "echo $$ > \"$pidfile\"\n"
    "exec \"$@\"\n";

static char tmux_name[64];
static pid_t core_control;	/* ours to reap, even after a failure */

static void
tmux_teardown(void)
{
	if (core_control > 0) {
		kill(core_control, SIGKILL);
		waitpid(core_control, NULL, 0);
		core_control = 0;
	}
	if (tmux_name[0] != '\0')
		tu_sh(NULL, NULL, "tmux -L %s kill-server", tmux_name);
	tmux_name[0] = '\0';
	tu_dir_teardown();
}

static const struct tu_fixture core_fixture = { 120,
	.setup = tu_dir_setup, .teardown = tmux_teardown };

/* A /proc file of any length (its size says 0: read to the end); NULL if
 * unreadable. */
static char *
read_proc(const char *path)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return NULL;
	do {
		if (cap - len < 65536 &&
		    (buf = realloc(buf, cap += 65536)) == NULL)
			abort();
		n = read(fd, buf + len, cap - len - 1);
		if (n > 0)
			len += (size_t)n;
	} while (n > 0);
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* The pid in path once it is there and names a process running prog. */
static pid_t
wait_pid(const char *path, const char *prog)
{
	for (int i = 0; i < 600; i++) {
		char *s = tu_read_file(path, NULL), comm[64], *c;
		long pid = s != NULL ? strtol(s, NULL, 10) : 0;

		free(s);
		snprintf(comm, sizeof comm, "/proc/%ld/comm", pid);
		if (pid > 1 && (c = read_proc(comm)) != NULL) {
			int same = strncmp(c, prog, strlen(prog)) == 0;

			free(c);
			if (same)
				return (pid_t)pid;
		}
		usleep(50 * 1000);
	}
	ck_abort_msg("%s: no %s started", path, prog);
	return -1;
}

/* "Max core file size" of pid: soft and hard limit as written there. */
static void
core_limits(pid_t pid, char *soft, char *hard)
{
	char path[64], *s, *p;

	snprintf(path, sizeof path, "/proc/%d/limits", (int)pid);
	ck_assert_ptr_nonnull(s = read_proc(path));
	ck_assert_msg((p = strstr(s, "Max core file size")) != NULL, "%s", s);
	ck_assert_int_eq(sscanf(p + 18, "%31s %31s", soft, hard), 2);
	free(s);
}

/* Who owns /proc/PID/status: root for a process that is not dumpable. */
static uid_t
proc_owner(pid_t pid)
{
	char path[64];
	struct stat sb;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	ck_assert_int_eq(stat(path, &sb), 0);
	return sb.st_uid;
}

static int
dir_entries(const char *path)
{
	struct dirent *d;
	DIR *dp;
	int n = 0;

	ck_assert_ptr_nonnull(dp = opendir(path));
	while ((d = readdir(dp)) != NULL)
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			n++;
	closedir(dp);
	return n;
}

/*
 * The real console, started as a person would (a terminal, core files
 * allowed by the shell): its core limit is 0 0, it is not dumpable (the
 * kernel then hands its /proc files to root, so it runs as another user
 * when the test is root), and killed by SIGABRT it leaves no core where
 * a control process killed the same way leaves one.
 */
START_TEST(console_no_core_dump)
{
	char bin[4200], launch[128] = "", runsh[4200], cdir[4200], sdir[4200];
	char pidf[4200], soft[32], hard[32], *pane = NULL;
	uid_t uid = geteuid();
	pid_t con, ctl_pid;
	int status, shown = 0, ctl_cored, ctl_core_file;

	snprintf(bin, sizeof bin, "%s", tu_bin("ehttp-console"));	/* static */
	ck_assert_msg(access(bin, X_OK) == 0, "%s is not built", bin);
	ctl_ok(NULL, "init --demo");
	snprintf(runsh, sizeof runsh, "%s/run.sh", tu_dir);
	ck_assert_int_eq(tu_write_file(runsh, core_run_sh,
	    strlen(core_run_sh)), 0);
	snprintf(cdir, sizeof cdir, "%s/c", tu_dir);
	snprintf(sdir, sizeof sdir, "%s/s", tu_dir);
	ck_assert_int_eq(mkdir(cdir, 0700), 0);
	ck_assert_int_eq(mkdir(sdir, 0700), 0);
	/* Root owns every process's /proc files: run both as nobody. */
	if (uid == 0) {
		if (tu_sh(NULL, NULL, "setpriv --reuid=65534 --regid=65534"
		    " --clear-groups test -x '%s' -a -r '%s'", bin, bin) == 0 &&
		    tu_sh(NULL, NULL, "chown -R 65534:65534 '%s'",
		    tu_dir) == 0) {
			snprintf(launch, sizeof launch, "setpriv --reuid=65534"
			    " --regid=65534 --clear-groups");
			uid = 65534;
		} else
			fprintf(stderr, "keys: cannot run the console as nobody:"
			    " its dumpable flag is not checked\n");
	}

	/* The control: a plain program, started and killed the same way. */
	snprintf(pidf, sizeof pidf, "%s/control.pid", tu_dir);
	if ((ctl_pid = fork()) == 0) {
		char *cmd;
		int fd = open("/dev/null", O_RDWR);

		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (asprintf(&cmd, "exec %s sh '%s' '%s' '%s' sleep 60", launch,
		    runsh, pidf, sdir) == -1)
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(ctl_pid, 0);
	core_control = ctl_pid;
	ck_assert_int_eq(wait_pid(pidf, "sleep"), ctl_pid);
	if (uid != 0)
		ck_assert_int_eq(proc_owner(ctl_pid), uid);

	/* The console, in a terminal of a private tmux server. */
	snprintf(tmux_name, sizeof tmux_name, "ehttp-keys-%d", (int)getpid());
	snprintf(pidf, sizeof pidf, "%s/console.pid", tu_dir);
	ck_assert_int_eq(tu_sh(NULL, NULL, "env -u LINES -u COLUMNS tmux -L %s"
	    " -f /dev/null new-session"
	    " -d -s k -x 100 -y 30 \"%s sh '%s' '%s' '%s' env LC_ALL=C.UTF-8"
	    " '%s' --db '%s' 2>'%s/console.err'\" \\; run-shell -b 'sleep"
	    " 300; tmux -L %s kill-server'", tmux_name, launch, runsh, pidf,
	    cdir, bin, tu_db, tu_dir, tmux_name), 0);
	con = wait_pid(pidf, "ehttp-console");
	for (int i = 0; i < 1200 && !shown; i++) {
		free(pane);
		pane = NULL;
		tu_sh(&pane, NULL, "tmux -L %s capture-pane -p -t k", tmux_name);
		shown = pane != NULL && strstr(pane, "Administration >") != NULL;
		if (!shown)
			usleep(50 * 1000);
	}
	ck_assert_msg(shown, "the console did not start:\n%s", pane);
	free(pane);

	core_limits(con, soft, hard);
	ck_assert_msg(strcmp(soft, "0") == 0 && strcmp(hard, "0") == 0,
	    "the console's core file size limit is %s %s, not 0 0", soft, hard);
	if (uid != 0)
		ck_assert_msg(proc_owner(con) == 0, "the console is dumpable:"
		    " /proc/%d/status belongs to uid %d", (int)con,
		    (int)proc_owner(con));

	/* Both killed by SIGABRT: only the control may leave a core. */
	ck_assert_int_eq(kill(ctl_pid, SIGABRT), 0);
	ck_assert_int_eq(waitpid(ctl_pid, &status, 0), ctl_pid);
	core_control = 0;
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	ctl_cored = WCOREDUMP(status);
	ctl_core_file = dir_entries(sdir) > 0;
	ck_assert_int_eq(kill(con, SIGABRT), 0);
	for (int i = 0; i < 400 && kill(con, 0) == 0; i++)
		usleep(50 * 1000);
	ck_assert_msg(kill(con, 0) == -1 && errno == ESRCH, "the console"
	    " (pid %d) did not die of SIGABRT", (int)con);
	ck_assert_msg(dir_entries(cdir) == 0, "the console left a core dump in"
	    " %s", cdir);
	if (!ctl_cored || !ctl_core_file)
		fprintf(stderr, "keys: this system wrote no core file for the"
		    " control process (dumped: %d, in its directory: %d): the"
		    " console's missing core file proves less here\n",
		    ctl_cored != 0, ctl_core_file);
}
END_TEST

/* The agent holds the master key and its TLS key: no core dump either. */
START_TEST(agent_no_core_dump)
{
	char pidf[4200], soft[32], hard[32];
	pid_t pid;

	ctl_ok(NULL, "init --demo");
	snprintf(pidf, sizeof pidf, "%s/mpd.pid", tu_dir);
	ck_assert_int_eq(tu_sh(NULL, NULL, "ulimit -c unlimited 2>/dev/null;"
	    " '%s' --db '%s' --system p01.contoso.com --https 127.0.0.1:0"
	    " --http 127.0.0.1:0 --log-dir '%s' --foreground >/dev/null 2>&1 &"
	    " echo $! > '%s'", tu_bin("ehttp-mpd"), tu_db, tu_dir, pidf), 0);
	pid = wait_pid(pidf, "ehttp-mpd");
	/* comm changes at exec(), main() runs a moment later (and ASan's
	 * start-up already sets the soft limit alone to 0: wait for both). */
	for (int i = 0; i < 100; i++) {
		core_limits(pid, soft, hard);
		if (strcmp(soft, "0") == 0 && strcmp(hard, "0") == 0)
			break;
		usleep(50 * 1000);
	}
	kill(pid, SIGTERM);
	ck_assert_msg(strcmp(soft, "0") == 0 && strcmp(hard, "0") == 0,
	    "ehttp-mpd core file size limit is %s %s", soft, hard);
}
END_TEST

/* What a scan of a process's memory found. */
struct mem_scan {
	size_t		 bytes;		/* read */
	size_t		 skipped;	/* in readable mappings, not read */
	size_t		 key_hits;	/* needles found (per chunk) */
	const char	*which;		/* one of them */
	int		 saw_control;	/* the control needle */
};

#define MEM_PAGE	((size_t)4096)
#define MEM_CHUNK	((size_t)4 << 20)
#define MEM_OVERLAP	((size_t)4096)	/* longer than any needle */

/*
 * Every readable, writable mapping of pid (heap, stacks, anonymous memory,
 * data) read through /proc/PID/mem in overlapping chunks and searched for
 * the needles and for control (len bytes). A page that cannot be read is
 * stepped over and counted. -1 with errno if /proc/PID/mem cannot be
 * opened.
 */
static int
proc_memory_scan(pid_t pid, const void *control, size_t clen,
    struct mem_scan *sc)
{
	char path[64], *maps, *line, *save = NULL, *buf;
	int fd;

	memset(sc, 0, sizeof *sc);
	snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	ck_assert_msg((maps = read_proc(path)) != NULL, "%s: %s", path,
	    strerror(errno));
	if ((buf = malloc(MEM_CHUNK + MEM_OVERLAP)) == NULL)
		abort();
	for (line = strtok_r(maps, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		unsigned long lo, hi, at;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 ||
		    perms[0] != 'r' || perms[1] != 'w' || hi <= lo)
			continue;
		for (at = lo; at < hi; ) {
			size_t want = hi - at < MEM_CHUNK + MEM_OVERLAP ?
			    hi - at : MEM_CHUNK + MEM_OVERLAP;
			ssize_t got = pread(fd, buf, want, (off_t)at);
			const char *which = NULL;

			if (got <= 0) {		/* e.g. [vvar]: one page on */
				sc->skipped += MEM_PAGE;
				at += MEM_PAGE;
				continue;
			}
			sc->key_hits += hits(buf, (size_t)got, &which);
			if (which != NULL)
				sc->which = which;
			sc->saw_control |= memmem(buf, (size_t)got, control,
			    clen) != NULL;
			/* The overlap is searched again with the next chunk. */
			if ((size_t)got > MEM_CHUNK)
				got = (ssize_t)MEM_CHUNK;
			sc->bytes += (size_t)got;
			at += (unsigned long)got;
		}
	}
	free(buf);
	free(maps);
	close(fd);
	return 0;
}

/* May this process read a process that is not dumpable? */
static int
can_ptrace_any(void)
{
	char *st = read_proc("/proc/self/status"), *cap;
	unsigned long long eff = 0;

	ck_assert_ptr_nonnull(st);
	if ((cap = strstr(st, "\nCapEff:")) != NULL)
		eff = strtoull(cap + 8, NULL, 16);
	free(st);
	return (eff >> 19 & 1) != 0;	/* CAP_SYS_PTRACE */
}

static pid_t agent_pid;		/* killed by the teardown if a check fails */

static void
agent_teardown(void)
{
	if (agent_pid > 0) {
		kill(agent_pid, SIGCONT);
		kill(agent_pid, SIGKILL);
		for (int i = 0; i < 100 && kill(agent_pid, 0) == 0; i++)
			usleep(20 * 1000);
		agent_pid = 0;
	}
	tmux_teardown();
}

static const struct tu_fixture memory_fixture = { 120,
	.setup = tu_dir_setup, .teardown = agent_teardown };

/*
 * The agent turns its stored key into an SSL_CTX and cleanses every copy
 * it made on the way (decrypted DER, PEM text; OpenSSL's freed memory is
 * cleared): its key, in any encoding, is not in its memory once it serves
 * TLS, while its certificate's signature, which only its heap holds, is.
 * The agent is stopped (SIGSTOP) right after its first health check, so
 * nothing reuses freed memory before the scan. Only a process that may
 * ptrace others (root) can read the agent's memory: a user who may not is
 * refused, as the agent is not dumpable.
 */
START_TEST(agent_memory_has_no_key_copy)
{
	char pidf[4200], logf[4200], path[4200], *log = NULL, *cder;
	unsigned char sig[32];
	struct mem_scan sc;
	size_t nc;
	int served = 0, rc, e;

	ctl_ok(NULL, "init --demo");
	ctl_ok(NULL, "site set P01 --enhanced-http on");
	/* The needles: the agent's own key (certificate 5, p01.contoso.com),
	 * made before it starts. The control: the last 32 bytes of its
	 * certificate (the signature). */
	ck_assert_int_eq(tu_sh(NULL, NULL, "mkdir -m 0700 '%s/k'", tu_dir), 0);
	ctl_ok(&log, "--json cert show 5");
	ck_assert_msg(strstr(log, "\"issued_to\":\"p01.contoso.com\"") != NULL,
	    "certificate 5 is not p01.contoso.com's: %s", log);
	free(log);
	log = NULL;
	snprintf(path, sizeof path, "cert export 5 --out '%s/k/5.pem'"
	    " --with-key", tu_dir);
	ctl_ok(NULL, path);
	needles_for(5);
	ck_assert_uint_ge(nneedles, 5);
	snprintf(path, sizeof path, "%s/k/5.cder", tu_dir);
	ck_assert_ptr_nonnull(cder = tu_read_file(path, &nc));
	ck_assert_uint_gt(nc, sizeof sig);
	memcpy(sig, cder + nc - sizeof sig, sizeof sig);
	free(cder);

	snprintf(pidf, sizeof pidf, "%s/mpd.pid", tu_dir);
	snprintf(logf, sizeof logf, "%s/mpcontrol.log", tu_dir);
	ck_assert_int_eq(tu_sh(NULL, NULL, "'%s' --db '%s' --system"
	    " p01.contoso.com --https 127.0.0.1:0 --http 127.0.0.1:0 --check 1"
	    " --log-dir '%s' --foreground >'%s/mpd.err' 2>&1 & echo $! > '%s'",
	    tu_bin("ehttp-mpd"), tu_db, tu_dir, tu_dir, pidf), 0);
	agent_pid = wait_pid(pidf, "ehttp-mpd");
	/* A health check over TLS: the key is loaded and has signed. */
	for (int i = 0; i < 600 && !served; i++) {
		free(log);
		log = tu_read_file(logf, NULL);
		served = log != NULL && strstr(log, "HttpSendRequestSync"
		    " succeeded") != NULL;
		if (!served)
			usleep(20 * 1000);
	}
	ck_assert_msg(served, "no successful health check in %s:\n%s", logf,
	    log ? log : "(none)");
	free(log);
	ck_assert_int_eq(kill(agent_pid, SIGSTOP), 0);

	/* Who may read the agent's memory: the same rule in every build. */
	snprintf(path, sizeof path, "/proc/%d/mem", (int)agent_pid);
	rc = open(path, O_RDONLY);
	e = errno;
	if (rc != -1)
		close(rc);
	if (!can_ptrace_any()) {
		ck_assert_msg(rc == -1 && (e == EACCES || e == EPERM),
		    "a process without CAP_SYS_PTRACE can read the agent's"
		    " memory");
		return;
	}
	if (rc == -1) {
		char *agent_err;

		snprintf(path, sizeof path, "%s/mpd.err", tu_dir);
		agent_err = tu_read_file(path, NULL);
		ck_abort_msg("/proc/%d/mem: %s; the agent said: %s",
		    (int)agent_pid, strerror(e), agent_err ? agent_err :
		    "(nothing)");
	}
#ifdef __SANITIZE_ADDRESS__
	/* ASan's heap sits in terabytes of reserved mappings: a scan would
	 * not end. The normal build's run of this test reads the memory. */
	(void)sc;
	return;
#endif
	ck_assert_int_eq(proc_memory_scan(agent_pid, sig, sizeof sig, &sc), 0);
	ck_assert_msg(sc.saw_control, "the memory read (%zu bytes, %zu"
	    " skipped) misses the certificate the agent holds", sc.bytes,
	    sc.skipped);
	ck_assert_msg(sc.skipped < 64 * MEM_PAGE, "%zu bytes of the agent's"
	    " memory could not be read", sc.skipped);
	ck_assert_msg(sc.key_hits == 0, "%zu pieces of its private key in the"
	    " agent's memory, e.g. %s", sc.key_hits, sc.which);
}
END_TEST

Suite *
keys_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("keys", tu_dir_fixture),
		TU_TEST(created_private),
		TU_TEST(master_key_exclusive),
		TU_TEST(exported_key_file),
		TU_TEST(no_keys_handle),
		TU_TEST(no_key_material_anywhere),
		TU_CASE("core", core_fixture),
		TU_TEST(console_no_core_dump),
		TU_TEST(agent_no_core_dump),
		TU_CASE("memory", memory_fixture),
		TU_TEST(agent_memory_has_no_key_copy),
		{ 0 }
	};

	return tu_suite("keys", tests);
}
