#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>
#include <check.h>
#include <sqlite3.h>

#include "cmlog.h"
#include "db.h"
#include "ehttp.h"
#include "mp.h"
#include "testutil.h"
#include "xmalloc.h"

char	*tu_dir;
char	 tu_db[4096];

/* A new case of s, its fixture f installed. */
static TCase *
tu_tcase(Suite *s, const char *name, const struct tu_fixture *f)
{
	TCase *tc = tcase_create(name);

	if (f->once != NULL || f->once_done != NULL)
		tcase_add_unchecked_fixture(tc, f->once, f->once_done);
	if (f->setup != NULL || f->teardown != NULL)
		tcase_add_checked_fixture(tc, f->setup, f->teardown);
	if (f->timeout > 0)
		tcase_set_timeout(tc, f->timeout);
	if (f->pg || f->drives)
		tcase_set_tags(tc, f->pg && f->drives ? "pg drives" : f->pg ?
		    "pg" : "drives");
	suite_add_tcase(s, tc);
	return tc;
}

/* Whether the test is to run: TU_ONLY, when set, names the tests to run
 * (comma-separated; `TU_ONLY=test_http_bodies ./build/check_all mpd`). */
static int
tu_only(const TTest *t)
{
	const char *only = getenv("TU_ONLY"), *p;
	size_t n = strlen(t->name);

	if (only == NULL || *only == '\0')
		return 1;
	for (p = only; (p = strstr(p, t->name)) != NULL; p += n)
		if ((p == only || p[-1] == ',') && (p[n] == ',' ||
		    p[n] == '\0'))
			return 1;
	return 0;
}

Suite *
tu_suite(const char *name, const struct tu_test *t)
{
	Suite *s = suite_create(name);
	const struct tu_test *head = NULL;
	TCase *tc = NULL;
	const char *why;

	for (; t->test != NULL || t->tcase != NULL; t++) {
		if (t->tcase != NULL && t->fixture->pg &&
		    !tu_pg_installed(&why)) {
			/* Its tests (up to the next case) are left out. */
			fprintf(stderr, "%s: skipped: %s", t->tcase, why);
			for (; t[1].test != NULL && t[1].tcase == NULL; t++)
				;
			tc = NULL;
		} else if (t->tcase != NULL) {
			/* Made at its first test that runs: a case TU_ONLY
			 * leaves empty sets nothing up. */
			head = t;
			tc = NULL;
		} else if (tu_only(t->test)) {
			if (tc == NULL)
				tc = tu_tcase(s, head->tcase, head->fixture);
			if (t->loops > 0)
				tcase_add_loop_test(tc, t->test, 0, t->loops);
			else
				tcase_add_test(tc, t->test);
		}
	}
	return s;
}

void
tu_nested_begin_refused(struct db *db, struct db *other)
{
	ck_assert_msg(db_begin(db) == 0, "%s", db_error(db));
	ck_assert_int_eq(db_begin(db), -1);
	tu_has(db_error(db), "one is already open on this connection", NULL);
	ck_assert_int_eq(db_begin_try(db), -1);
	if (other != NULL)
		ck_assert_int_eq(db_begin_try(other), 1);
	ck_assert_msg(db_commit(db) == 0, "%s", db_error(db));
	ck_assert_int_eq(db_begin_read(db), 1);
	ck_assert_int_eq(db_begin(db), -1);
	db_rollback(db);
	ck_assert_msg(db_begin_try(db) == 0, "%s", db_error(db));
	db_rollback(db);
}

int
tu_wants(int argc, char **argv, const char *m)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], m) == 0)
			return 1;
	return 0;
}

char *
tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	xasprintf(&p, "%s/ehttp-test.XXXXXX", base);
	if (mkdtemp(p) == NULL)
		abort();
	return p;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

void
tu_tmpdir_free(char *dir)
{
	if (dir == NULL)
		return;
	if (getenv("EHTTP_KEEP_TMP") == NULL)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

char *
tu_demo_db(char *db, size_t len)
{
	char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
	int rc;

	snprintf(db, len, "%s/site.db", dir);
	rc = tu_ctl(db, &out, &err, "init", "--demo", NULL);
	if (rc != 0)
		fprintf(stderr, "tu_demo_db: ehttpctl init --demo: exit %d: %s",
		    rc, err);
	free(out);
	free(err);
	if (rc != 0) {
		tu_tmpdir_free(dir);
		return NULL;
	}
	return dir;
}

void
tu_dir_setup(void)
{
	tu_dir = tu_tmpdir();
	snprintf(tu_db, sizeof tu_db, "%s/site.db", tu_dir);
}

void
tu_demo_setup(void)
{
	tu_dir = tu_demo_db(tu_db, sizeof tu_db);
	ck_assert_ptr_nonnull(tu_dir);
}

void
tu_dir_teardown(void)
{
	tu_tmpdir_free(tu_dir);
	tu_dir = NULL;
}

const struct tu_fixture tu_dir_fixture = TU_DIR_FIXTURE(60);
const struct tu_fixture tu_demo_fixture = TU_DEMO_FIXTURE(60);
const struct tu_fixture tu_plain_fixture = { 0 };

const char *
tu_path(const char *name)
{
	return tu_join(tu_dir, name);
}

const char *
tu_join(const char *dir, const char *name)
{
	static char buf[4][4200];
	static int n;

	n = (n + 1) % 4;
	snprintf(buf[n], sizeof buf[n], "%s/%s", dir, name);
	return buf[n];
}

char *
tu_demo_enhanced(char *db, size_t len, const char *site)
{
	char *dir = tu_demo_db(db, len);

	ck_assert_ptr_nonnull(dir);
	tu_ctl_ok(db, "site", "set", site, "--enhanced-http", "on", NULL);
	return dir;
}

char	*tu_tmpl;
char	 tu_tmpl_db[4096];

void
tu_tmpl_setup(void)
{
	tu_tmpl = tu_demo_enhanced(tu_tmpl_db, sizeof tu_tmpl_db, "P01");
}

void
tu_tmpl_teardown(void)
{
	tu_tmpdir_free(tu_tmpl);
	tu_tmpl = NULL;
}

static void
mpd_built(void)
{
	ck_assert_msg(access(tu_bin("ehttp-mpd"), X_OK) == 0, "%s is not built"
	    " (make %s/ehttp-mpd)", tu_bin("ehttp-mpd"), EHTTP_BINDIR);
}

void
tu_mpd_tmpl_setup(void)
{
	mpd_built();
	tu_tmpl_setup();
}

void
tu_mpd_pg_tmpl_setup(void)
{
	mpd_built();
	tu_pg_tmpl_setup();
}

char *
tu_tmpl_copy(char *db, size_t dblen)
{
	char *dir = tu_tmpdir();

	if (tu_db_pg(tu_tmpl_db)) {
		ck_assert_msg(tu_pg_broken == NULL, "%s", tu_pg_broken);
		free(tu_sh_ok("cp -p '%s/master-key' '%s/'", tu_tmpl, dir));
		setenv("EHTTP_MASTER_KEY", tu_join(dir, "master-key"), 1);
		setenv("EHTTP_CONTENT", tu_join(dir, "content"), 1);
		tu_pg_newdb(db, dblen, strrchr(tu_tmpl_db, '/') + 1);
		return dir;
	}
	ck_assert_int_eq(tu_sh(NULL, NULL, "cp -p '%s'/site.db* '%s'/", tu_tmpl,
	    dir), 0);
	snprintf(db, dblen, "%s/site.db", dir);
	return dir;
}

char *
tu_mp_copy(char *db, size_t dblen, char *root, size_t rootlen)
{
	char *dir = tu_tmpl_copy(db, dblen);
	char *id = tu_active_cert(db, "--type root --site P01", "id");

	snprintf(root, rootlen, "%s/root.pem", dir);
	free(tu_sh_ok("'%s' --db '%s' cert export %s > '%s'", tu_bin("ehttpctl"),
	    db, id, root));
	free(id);
	return dir;
}

char *
tu_active_cert(const char *db, const char *filter, const char *field)
{
	return tu_line1(tu_sh_ok("'%s' --db '%s' cert list %s --active --json |"
	    " %s -c 'import json,sys; print(json.load(sys.stdin)[0][\"%s\"])'",
	    tu_bin("ehttpctl"), db, filter, tu_python(), field));
}

char *
tu_signer_der(const char *db, const char *path)
{
	char *id = tu_active_cert(db, "--type token --site P01", "id");

	free(tu_sh_ok("'%s' --db '%s' cert export %s | openssl x509 -outform"
	    " DER -out '%s'", tu_bin("ehttpctl"), db, id, path));
	return id;
}

char *
tu_jwt_verify(const char *jwt, const char *cert)
{
	return tu_sh_ok("%s '%s/tests/wire.py' jwt-verify '%s' '%s'",
	    tu_python(), EHTTP_SRCDIR, jwt, cert);
}

pid_t
tu_mpd_start(const char *db, const char *fqdn, const char *logs,
    const char *fake, int *https_port)
{
	return tu_mpd_start_with(db, fqdn, logs, fake, https_port, "");
}

pid_t
tu_mpd_start_with(const char *db, const char *fqdn, const char *logs,
    const char *fake, int *https_port, const char *more)
{
	char cmd[16384], log[4200], errf[4200], pidf[4300], *s, *e;
	pid_t pid;

	*https_port = tu_free_port();
	snprintf(log, sizeof log, "%s/mpcontrol.log", logs);
	/* Its stderr beside the log directory (not in it): what it said
	 * when it stops before its log is open. */
	snprintf(errf, sizeof errf, "%s.stderr", logs);
	/* On a server the default pid file is in ~/.local/share/ehttp,
	 * which another run of the suite on this machine shares: beside
	 * the logs instead. */
	pidf[0] = '\0';
	if (tu_db_pg(db) && strstr(more, "--pid-file") == NULL)
		snprintf(pidf, sizeof pidf, "--pid-file '%s.pid'", logs);
	snprintf(cmd, sizeof cmd, "%s%s exec '%s' --db '%s' --system '%s' "
	    "--https 127.0.0.1:%d --http 127.0.0.1:%d --log-dir '%s' --poll 1 "
	    "--foreground %s %s </dev/null >/dev/null 2>'%s'", fake ? TU_FAKE :
	    "", fake ? fake : "", tu_bin("ehttp-mpd"), db, fqdn, *https_port,
	    tu_free_port(), logs, pidf, more, errf);
	if (fake != NULL)
		tu_faketime_setup();
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	for (int ms = 0; ms < 20000; ms += 50) {
		if ((s = tu_read_file(log, NULL)) != NULL &&
		    strstr(s, "MP Control Manager started for") != NULL) {
			free(s);
			return pid;
		}
		if (waitpid(pid, NULL, WNOHANG) != 0) {
			e = tu_read_file(errf, NULL);
			ck_abort_msg("ehttp-mpd for %s exited at start; its log:"
			    " %s; its stderr: %s", fqdn, s != NULL ? s :
			    "(none)", e != NULL ? e : "(none)");
		}
		free(s);
		tu_msleep(50);
	}
	ck_abort_msg("ehttp-mpd for %s did not start", fqdn);
	return -1;
}

/* Every thread of pid is stopped (state T): kill(2) returns before a
 * thread running on another core has stopped. */
static void
tu_wait_stopped(pid_t pid)
{
	char path[64], stat[384], buf[512], *st;
	struct dirent *d;
	DIR *dir;
	int running = 1;

	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	for (int ms = 0; running; ms++) {
		ck_assert_msg(ms < 10000, "process %d did not stop", (int)pid);
		ck_assert_ptr_nonnull(dir = opendir(path));
		running = 0;
		while ((d = readdir(dir)) != NULL && !running) {
			FILE *f;

			if (d->d_name[0] == '.')
				continue;
			snprintf(stat, sizeof stat, "%s/%s/stat", path,
			    d->d_name);
			if ((f = fopen(stat, "r")) == NULL)
				continue;	/* a thread that ended */
			/* "tid (comm) S ...": the state after the last ')' */
			if (fgets(buf, sizeof buf, f) != NULL)
				running = (st = strrchr(buf, ')')) == NULL ||
				    st[1] != ' ' || (st[2] != 'T' &&
				    st[2] != 't');
			fclose(f);
		}
		closedir(dir);
		if (running)
			tu_msleep(1);
	}
}

pid_t
tu_db_hold(const char *dir, const char *db)
{
	char cmd[8192], locked[4200];
	pid_t holder;

	snprintf(locked, sizeof locked, "%s/locked", dir);
	unlink(locked);
	snprintf(cmd, sizeof cmd, "cd '%s' && rm -f release && exec %s -c '\n"
	    "import os, sqlite3, sys, time\n"
	    "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
	    "c.execute(\"BEGIN IMMEDIATE\")\n"
	    "open(\"locked\", \"w\").close()\n"
	    "end = time.time() + 90\n"
	    "while not os.path.exists(\"release\") and time.time() < end and"
	    " os.getppid() == %ld:\n"
	    "    time.sleep(0.05)\n"
	    "c.execute(\"ROLLBACK\")\n"
	    "' '%s'", dir, tu_python(), (long)getpid(), db);
	if ((holder = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(holder, 0);
	for (int ms = 0; access(locked, F_OK) != 0; ms += 20) {
		ck_assert_msg(ms < 15000 && waitpid(holder, NULL, WNOHANG) == 0,
		    "python3 did not take the write lock of %s", db);
		tu_msleep(20);
	}
	return holder;
}

void
tu_db_release(const char *dir, pid_t holder)
{
	char path[4200];
	int st;

	snprintf(path, sizeof path, "%s/release", dir);
	ck_assert_int_eq(tu_write_file(path, "", 0), 0);
	ck_assert_int_eq(waitpid(holder, &st, 0), holder);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "the lock holder ended with status %#x", st);
}

void
tu_mpd_freeze(const char *db, pid_t pid)
{
	sqlite3 *conn = NULL;
	int tries, rc = SQLITE_OK;

	if (!tu_db_pg(db))
		ck_assert_int_eq(sqlite3_open_v2(db, &conn,
		    SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	for (tries = 0; tries < 1000; tries++) {
		ck_assert_int_eq(kill(pid, SIGSTOP), 0);
		tu_wait_stopped(pid);
		if (conn == NULL ||
		    (rc = sqlite3_exec(conn, "BEGIN IMMEDIATE", NULL, NULL,
		    NULL)) == SQLITE_OK)
			break;
		/* The lock is taken: maybe by the agent, stopped inside a
		 * write transaction. Let it go on a moment, and again. */
		ck_assert_int_eq(kill(pid, SIGCONT), 0);
		tu_msleep(1);
	}
	if (conn != NULL) {
		ck_assert_msg(rc == SQLITE_OK, "%s: the write lock stays taken:"
		    " %s", db, sqlite3_errmsg(conn));
		ck_assert_int_eq(sqlite3_exec(conn, "ROLLBACK", NULL, NULL,
		    NULL), SQLITE_OK);
		sqlite3_close(conn);
	}
}

void
tu_mpd_stop(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = -1;
}

void
tu_mpd_teardown(pid_t *agent, char **dir)
{
	tu_mpd_stop(agent);
	tu_tmpdir_free(*dir);
	*dir = NULL;
}

struct mp_verifier *
tu_verifier_open(const char *db, const char *fqdn, struct ehttp **e)
{
	struct mp_verifier *v;
	char *cause = NULL;

	*e = ehttp_open(db, 0, &cause);
	ck_assert_msg(*e != NULL, "%s", cause);
	v = mp_verifier_new(*e, fqdn);
	ck_assert_msg(v != NULL, "%s", ehttp_error(*e));
	return v;
}

void
tu_verifier_close(struct mp_verifier **v, struct ehttp **e)
{
	mp_verifier_free(*v);
	*v = NULL;
	ehttp_close(*e);
	*e = NULL;
}

/* a (from a list) is b (from the single reading) in every field. */
static void
serving_is(const struct ehttp_serving_row *a, int64_t id,
    const struct ehttp_serving *b)
{
	const struct ehttp_serving *s = &a->sv;

	ck_assert_int_eq(a->sys.id, id);
	ck_assert_msg(s->state == b->state && s->health == b->health &&
	    s->needs_tls == b->needs_tls && s->has_cert == b->has_cert &&
	    s->cert.id == b->cert.id && s->root_blocked == b->root_blocked &&
	    s->can_fall_back == b->can_fall_back &&
	    strcmp(s->cert.thumbprint, b->cert.thumbprint) == 0 &&
	    strcmp(s->state_text, b->state_text) == 0 &&
	    strcmp(s->reason, b->reason) == 0, "%s: the list says %d %d %d %d"
	    " %lld %d %d '%s' '%s', the system alone %d %d %d %d %lld %d %d"
	    " '%s' '%s'", a->sys.fqdn, s->state, s->health, s->needs_tls,
	    s->has_cert, (long long)s->cert.id, s->root_blocked,
	    s->can_fall_back, s->state_text, s->reason, b->state, b->health,
	    b->needs_tls, b->has_cert, (long long)b->cert.id, b->root_blocked,
	    b->can_fall_back, b->state_text, b->reason);
}

char *
tu_serving(const char *db)
{
	struct ehttp *e;
	struct ehttp_serving_row *all = NULL, *one;
	struct ehttp_serving sv;
	struct db_system *ys = NULL;
	struct db_site *ss = NULL;
	struct db_role *roles = NULL, *r;
	size_t n = 0, ny = 0, ns = 0, no, nr, k = 0, len = 0;
	char *cause = NULL, *out = NULL;
	FILE *f = xopen_memstream(&out, &len);

	e = ehttp_open(db, EHTTP_NO_KEYS | EHTTP_READONLY, &cause);
	ck_assert_msg(e != NULL, "%s", cause);
	ck_assert_msg(ehttp_serving_list(e, 0, &all, &n, &roles) == 0 &&
	    ehttp_system_list(e, 0, &ys, &ny) == 0 &&
	    ehttp_site_list(e, &ss, &ns) == 0, "%s", ehttp_error(e));
	ck_assert_uint_eq(n, ny);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(ehttp_system_serving(e, ys[i].id, &sv) == 0, "%s",
		    ehttp_error(e));
		serving_is(&all[i], ys[i].id, &sv);
		/* Its roles, as the role list gives them. */
		ck_assert_msg(ehttp_role_list(e, 0, ys[i].id, &r, &nr) == 0,
		    "%s", ehttp_error(e));
		ck_assert_uint_eq(all[i].nroles, nr);
		for (size_t j = 0; j < nr; j++)
			ck_assert_int_eq(all[i].roles[j].id, r[j].id);
		free(r);
		fprintf(f, "%s: %s", all[i].sys.fqdn, all[i].sv.state_text);
		if (all[i].sv.has_cert)
			fprintf(f, " #%lld", (long long)all[i].sv.cert.id);
		fputc('\n', f);
	}
	/* One site's list: its systems, in the same order, the same. */
	for (size_t s = 0; s < ns; s++) {
		size_t m = 0;

		ck_assert_msg(ehttp_serving_list(e, ss[s].id, &one, &no,
		    NULL) == 0, "%s", ehttp_error(e));
		for (size_t i = 0; i < n; i++)
			m += all[i].sys.site_id == ss[s].id;
		ck_assert_uint_eq(no, m);
		for (size_t i = 0; i < no; i++) {
			while (k < n && all[k].sys.site_id != ss[s].id)
				k++;
			ck_assert_uint_lt(k, n);
			serving_is(&one[i], all[k].sys.id, &all[k].sv);
			k++;
		}
		k = 0;
		free(one);
	}
	fclose(f);
	free(all);
	free(roles);
	free(ys);
	free(ss);
	ehttp_close(e);
	return out;
}

void
tu_msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

void
tu_faketime_setup(void)
{
	char *lib;

	if (getenv("EHTTP_LIBFAKETIME") != NULL)
		return;
	lib = tu_line1(tu_sh_ok("ls /usr/lib/*/faketime/libfaketime.so.1"
	    " /usr/lib/faketime/libfaketime.so.1 2>/dev/null | head -1; true"));
	ck_assert_msg(lib[0] == '/', "libfaketime is not installed (make deps)");
	setenv("EHTTP_LIBFAKETIME", lib, 1);
	free(lib);
}

const char *
tu_bin(const char *name)
{
	static char buf[4096];

	snprintf(buf, sizeof buf, "%s/%s", EHTTP_BINDIR, name);
	return buf;
}

static char *
slurp_fd(int fd)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;

	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	return buf;
}

pid_t
tu_spawn(const char *path, char *const argv[], int out, int err)
{
	pid_t pid = fork();

	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		dup2(devnull, 0);
		dup2(out, 1);
		dup2(err, 2);
		execv(path, argv);
		_exit(127);
	}
	return pid;
}

pid_t
tu_spawn_to(const char *path, char *const argv[], const char *file)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	pid_t pid;

	ck_assert_msg(fd != -1, "open %s", file);
	pid = tu_spawn(path, argv, fd, fd);
	close(fd);
	ck_assert_int_gt(pid, 0);
	return pid;
}

int
tu_run(char *const argv[], char **out, char **err)
{
	char tmpl_o[] = "/tmp/ehttp-out.XXXXXX", tmpl_e[] = "/tmp/ehttp-err.XXXXXX";
	int fo, fe, status;
	pid_t pid;

	if ((fo = mkstemp(tmpl_o)) == -1 || (fe = mkstemp(tmpl_e)) == -1)
		abort();
	unlink(tmpl_o);
	unlink(tmpl_e);
	if ((pid = tu_spawn(argv[0], argv, fo, fe)) == -1)
		abort();
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			abort();
	lseek(fo, 0, SEEK_SET);
	lseek(fe, 0, SEEK_SET);
	if (out != NULL)
		*out = slurp_fd(fo);
	if (err != NULL)
		*err = slurp_fd(fe);
	close(fo);
	close(fe);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int
tu_vsh(const char *cwd, char **out, char **err, const char *fmt, va_list ap)
{
	char *cmd, *line;
	int rc;

	xvasprintf(&cmd, fmt, ap);
	if (cwd == NULL)
		line = cmd;
	else
		xasprintf(&line, "cd '%s' && %s", cwd, cmd);
	char *argv[] = { "/bin/sh", "-c", line, NULL };
	rc = tu_run(argv, out, err);
	if (line != cmd)
		free(line);
	free(cmd);
	return rc;
}

/* What (a program, a command line) exited rc and said err: asserted to be
 * want and to have msg on stderr (NULL: anything); err freed. */
static void
expect(const char *what, int rc, const char *out, char *err, int want,
    const char *msg)
{
	ck_assert_msg(rc == want, "%s: exit %d, want %d: %s%s", what, rc, want,
	    out, err);
	if (msg != NULL)
		ck_assert_msg(strstr(err, msg) != NULL, "%s: stderr '%s' lacks"
		    " '%s'", what, err, msg);
	free(err);
}

char *
tu_exit_is(int rc, int want, char **out, char **err, const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	xvasprintf(&what, fmt, ap);
	va_end(ap);
	expect(what, rc, *out, *err, want, NULL);
	free(what);
	*err = NULL;
	return *out;
}

/* The shell command line fmt formats, as expect() says; its standard
 * output, malloc'ed. */
static char * __attribute__((format(printf, 3, 0)))
sh_expect(int want, const char *msg, const char *fmt, va_list ap)
{
	char *cmd, *out = NULL, *err = NULL;
	int rc;

	xvasprintf(&cmd, fmt, ap);
	rc = tu_sh(&out, &err, "%s", cmd);
	expect(cmd, rc, out, err, want, msg);
	free(cmd);
	return out;
}

int
tu_sh_in(const char *cwd, char **out, char **err, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = tu_vsh(cwd, out, err, fmt, ap);
	va_end(ap);
	return rc;
}

char *
tu_sh_ok(const char *fmt, ...)
{
	va_list ap;
	char *out;

	va_start(ap, fmt);
	out = sh_expect(0, NULL, fmt, ap);
	va_end(ap);
	return out;
}

int
tu_sh_int(const char *fmt, ...)
{
	va_list ap;
	char *out;
	int n;

	va_start(ap, fmt);
	out = sh_expect(0, NULL, fmt, ap);
	va_end(ap);
	n = atoi(out);
	free(out);
	return n;
}

void
tu_sh_is(const char *want, const char *fmt, ...)
{
	va_list ap;
	char *out;

	va_start(ap, fmt);
	out = tu_line1(sh_expect(0, NULL, fmt, ap));
	va_end(ap);
	ck_assert_msg(strcmp(out, want) == 0, "'%s' said '%s', not '%s'", fmt,
	    out, want);
	free(out);
}

void
tu_sh_fails(int want, const char *msg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	free(sh_expect(want, msg, fmt, ap));
	va_end(ap);
}

void
tu_usage_is(const char *prog, const struct tu_refusal *r)
{
	tu_sh_fails(2, r->msg, "'%s' %s", tu_bin(prog), r->args);
}

char *
tu_line1(char *s)
{
	s[strcspn(s, "\n")] = '\0';
	return s;
}

/* ehttpctl --db db and the NULL-terminated arguments in ap. */
static int
ctl_v(const char *db, char **out, char **err, va_list ap)
{
	char *argv[64];
	int argc = 0, rc;
	char *a;

	argv[argc++] = strdup(tu_bin("ehttpctl"));
	argv[argc++] = "--db";
	argv[argc++] = (char *)db;
	while ((a = va_arg(ap, char *)) != NULL && argc < 63)
		argv[argc++] = a;
	argv[argc] = NULL;
	rc = tu_run(argv, out, err);
	free(argv[0]);
	return rc;
}

int
tu_ctl(const char *db, char **out, char **err, ...)
{
	va_list ap;
	int rc;

	va_start(ap, err);
	rc = ctl_v(db, out, err, ap);
	va_end(ap);
	return rc;
}

/* ehttpctl as ap says, asserted to exit with want and, unless msg is
 * NULL, to say msg on stderr. */
static void
ctl_expect(const char *db, int want, const char *msg, va_list ap)
{
	char *out = NULL, *err = NULL;
	int rc = ctl_v(db, &out, &err, ap);

	expect("ehttpctl", rc, out, err, want, msg);
	free(out);
}

void
tu_ctl_ok(const char *db, ...)
{
	va_list ap;

	va_start(ap, db);
	ctl_expect(db, 0, NULL, ap);
	va_end(ap);
}

void
tu_ctl_fails(const char *db, int want, const char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	ctl_expect(db, want, msg, ap);
	va_end(ap);
}

const char *
tu_python(void)
{
	return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" :
	    "python3";
}

char *
tu_py_json(const char *json, const char *expr)
{
	char *tmp = tu_tmpdir(), in[4200], py[4200], *prog = NULL;
	char *out = NULL, *err = NULL;

	snprintf(in, sizeof in, "%s/in.json", tmp);
	snprintf(py, sizeof py, "%s/eval.py", tmp);
	ck_assert_int_eq(tu_write_file(in, json, strlen(json)), 0);
	xasprintf(&prog, "import json, sys\nd = json.load(open(sys.argv[1],"
	    " encoding='utf-8'))\nprint(%s)\n", expr);
	ck_assert_int_eq(tu_write_file(py, prog, strlen(prog)), 0);
	free(prog);
	ck_assert_msg(tu_sh(&out, &err, "%s '%s' '%s'", tu_python(), py,
	    in) == 0, "python: %s", err);
	free(err);
	tu_tmpdir_free(tmp);
	return tu_line1(out);
}

void
tu_py_check(const char *json, const char *expr)
{
	char *v = tu_py_json(json, expr);

	ck_assert_msg(strcmp(v, "True") == 0, "%s: %s\n%s", expr, v, json);
	free(v);
}

char *
tu_ctl_json(const char *db, const char *expr, ...)
{
	char *out = NULL, *err = NULL, *v;
	va_list ap;
	int rc;

	va_start(ap, expr);
	rc = ctl_v(db, &out, &err, ap);
	va_end(ap);
	ck_assert_msg(rc == 0, "ehttpctl: exit %d: %s", rc, err);
	v = tu_py_json(out, expr);
	free(out);
	free(err);
	return v;
}

void
tu_file_waits(const char *path, const char *what, const char *text, int secs)
{
	char *s;

	for (int ms = 0; ms < secs * 1000; ms += 100) {
		s = tu_read_file(path, NULL);
		if (s != NULL && strstr(s, text) != NULL) {
			free(s);
			return;
		}
		free(s);
		tu_msleep(100);
	}
	ck_abort_msg("%s never said: %s", what, text);
}

int
tu_free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ne(fd, -1);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

size_t
tu_fuzz_inputs(const char *sub, const char *prefix,
    void (*fn)(const char *, const uint8_t *, size_t))
{
	char path[4096];
	struct dirent *d;
	size_t len, n = 0;
	char *data;
	DIR *dp;

	snprintf(path, sizeof path, "%s/tests/fuzz/%s", EHTTP_SRCDIR, sub);
	if ((dp = opendir(path)) == NULL) {
		ck_assert_msg(errno == ENOENT, "%s: %s", path, strerror(errno));
		return 0;
	}
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.' || strncmp(d->d_name, prefix,
		    strlen(prefix)) != 0)
			continue;
		snprintf(path, sizeof path, "%s/tests/fuzz/%s/%s", EHTTP_SRCDIR,
		    sub, d->d_name);
		data = tu_read_file(path, &len);
		ck_assert_msg(data != NULL, "%s", path);
		fn(d->d_name, (const uint8_t *)data, len);
		free(data);
		n++;
	}
	closedir(dp);
	return n;
}

char *
tu_read_file(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if ((buf = malloc(n + 1)) == NULL)
		abort();
	if (fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	if (lenp != NULL)
		*lenp = n;
	return buf;
}

int
tu_write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return -1;
	if (fwrite(data, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

void
tu_write_file_mode(const char *path, const char *data, size_t len,
    mode_t mode)
{
	ck_assert_msg(tu_write_file(path, data, len) == 0, "write %s", path);
	ck_assert_msg(chmod(path, mode) == 0, "chmod %s", path);
}

int
tu_count(const char *hay, const char *needle)
{
	int n = 0;
	size_t nl = strlen(needle);

	if (hay == NULL || nl == 0)
		return 0;
	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += nl;
	}
	return n;
}

void
tu_has(const char *hay, ...)
{
	const char *needle;
	va_list ap;

	va_start(ap, hay);
	/* At most 3,000 bytes of the text in the message: libcheck cannot
	 * pass a longer one to the runner and reports an early exit instead
	 * of the failure. */
	while ((needle = va_arg(ap, const char *)) != NULL)
		ck_assert_msg(hay != NULL && strstr(hay, needle) != NULL,
		    "'%s' not found in: %.3000s", needle, hay != NULL ? hay :
		    "(null)");
	va_end(ap);
}

void
tu_cmlog_get(struct cmlog_reader *rd, size_t i, struct cmlog_record *r)
{
	ck_assert_int_eq(cmlog_reader_get(rd, i, r), 0);
}

void
tu_cmlog_text(const struct cmlog_record *r, const char *want)
{
	ck_assert_msg(r->text_len == strlen(want) &&
	    memcmp(r->text, want, r->text_len) == 0,
	    "text \"%.*s\" (%zu), want \"%s\"", (int)r->text_len, r->text,
	    r->text_len, want);
}

void
tu_cmlog_good(struct cmlog_reader *rd, size_t i, struct cmlog_record *r,
    const char *text, const char *comp, int type, size_t line)
{
	tu_cmlog_get(rd, i, r);
	ck_assert_int_eq(r->malformed, 0);
	tu_cmlog_text(r, text);
	ck_assert_str_eq(r->component, comp);
	ck_assert_int_eq(r->type, type);
	ck_assert_uint_eq(r->line, line);
}

void
tu_cmlog_refreshed(struct cmlog_reader *rd, int changed, size_t n)
{
	ck_assert_int_eq(cmlog_reader_refresh(rd), changed);
	ck_assert_uint_eq(cmlog_reader_count(rd), n);
}

int
tu_can_mount(void)
{
	static int known = -1;

	if (getenv("EHTTP_TEST_NO_MOUNT") != NULL)
		return 0;
	if (known == -1)
		known = tu_sh(NULL, NULL, "unshare -m sh -c 'mount -t tmpfs -o"
		    " size=64k tmpfs /mnt' 2>/dev/null") == 0;
	return known;
}

char *
tu_sql1(const char *cli, const char *q)
{
	return tu_line1(tu_sh_ok("%s \"%s\"", cli, q));
}

void
tu_sql_is(const char *cli, const char *q, const char *want)
{
	char *v = tu_sql1(cli, q);

	ck_assert_msg(strcmp(v, want) == 0, "%s: '%s', want '%s'", q, v, want);
	free(v);
}

/* ---- PostgreSQL ------------------------------------------------------- */

char	*tu_pg_srv, *tu_pg_broken;
char	 tu_pg_super[1024];
char	 tu_pg_url[1024];
static int tu_pg_ndb;

int
tu_pg_installed(const char **why)
{
	static int known = -1;
	static char reason[512];
	char *out = NULL, *err = NULL;

	if (known == -1) {
		known = tu_sh(&out, &err, "sh '%s/tests/pgserver.sh' bin",
		    EHTTP_SRCDIR) == 0;
		snprintf(reason, sizeof reason, "%s", err != NULL ? err : "");
		free(out);
		free(err);
	}
	*why = reason;
	return known;
}

void
tu_pg_once(void)
{
	char tmpl[] = "/tmp/ehttp-pgtest.XXXXXX", *out = NULL, *err = NULL;

	tu_pg_ndb = 0;
	tu_pg_super[0] = '\0';
	if (mkdtemp(tmpl) == NULL || chmod(tmpl, 0711) == -1) {
		tu_pg_broken = xstrdup("cannot make a temporary directory");
		return;
	}
	tu_pg_srv = xstrdup(tmpl);
	if (tu_sh(&out, &err, "sh '%s/tests/pgserver.sh' start '%s/srv'",
	    EHTTP_SRCDIR, tu_pg_srv) != 0) {
		/* Not installed: said, and nothing to check. Installed but
		 * not started: every test fails with why. */
		if (err != NULL && strstr(err, "is not installed") != NULL)
			fprintf(stderr, "pg: skipped: %s", err);
		else
			xasprintf(&tu_pg_broken, "the test server did not"
			    " start: %s", err != NULL ? err : "");
		rmdir(tu_pg_srv);
		free(tu_pg_srv);
		tu_pg_srv = NULL;
	} else
		snprintf(tu_pg_super, sizeof tu_pg_super, "%s", tu_line1(out));
	free(out);
	free(err);
}

void
tu_pg_once_done(void)
{
	free(tu_pg_broken);
	tu_pg_broken = NULL;
	if (tu_pg_srv == NULL)
		return;
	free(tu_sh_ok("sh '%s/tests/pgserver.sh' stop '%s/srv' && rm -rf '%s'",
	    EHTTP_SRCDIR, tu_pg_srv, tu_pg_srv));
	free(tu_pg_srv);
	tu_pg_srv = NULL;
	tu_pg_super[0] = '\0';
}

void
tu_pg_newdb(char *url, size_t len, const char *template)
{
	char name[48];
	const char *slash = strrchr(tu_pg_super, '/');

	ck_assert_msg(slash != NULL, "no PostgreSQL server");
	snprintf(name, sizeof name, "t%d_%d", (int)getpid(), tu_pg_ndb++);
	free(tu_sh_ok("psql -qAt '%s' -c 'CREATE DATABASE %s%s%s'",
	    tu_pg_super, name, template != NULL ? " TEMPLATE " : "",
	    template != NULL ? template : ""));
	snprintf(url, len, "%.*s/%s", (int)(slash - tu_pg_super), tu_pg_super,
	    name);
}

void
tu_pg_setup(void)
{
	tu_dir_setup();
	tu_pg_url[0] = '\0';
	setenv("EHTTP_MASTER_KEY", tu_path("master-key"), 1);
	setenv("EHTTP_CONTENT", tu_path("content"), 1);
	if (tu_pg_srv != NULL)
		tu_pg_newdb(tu_pg_url, sizeof tu_pg_url, NULL);
}

void
tu_pg_db_setup(void)
{
	tu_pg_setup();
	ck_assert_msg(tu_pg_broken == NULL, "%s", tu_pg_broken);
	ck_assert_msg(tu_pg_url[0] != '\0', "no PostgreSQL server");
	snprintf(tu_db, sizeof tu_db, "%s", tu_pg_url);
}

void
tu_pg_teardown(void)
{
	tu_pg_env_clear();
	tu_pg_url[0] = '\0';
	tu_dir_teardown();
}

int
tu_db_pg(const char *db)
{
	const char *eq = strchr(db, '='), *slash = strchr(db, '/');

	return strncmp(db, "postgresql://", 13) == 0 ||
	    strncmp(db, "postgres://", 11) == 0 ||
	    (eq != NULL && (slash == NULL || eq < slash));
}

const char *
tu_db_cli(const char *db)
{
	static char buf[2][4200];
	static int k;

	k = !k;
	if (tu_db_pg(db))
		snprintf(buf[k], sizeof buf[k], "psql -qAt -v ON_ERROR_STOP=1"
		    " '%s' -c", db);
	else
		snprintf(buf[k], sizeof buf[k], TU_SQLITE3 " '%s'", db);
	return buf[k];
}

char *
tu_db_dump(const char *db)
{
	char *out = NULL, *err = NULL;
	int rc;

	if (tu_db_pg(db))
		rc = tu_sh(&out, &err, "%s \"SELECT c.relname || ' ' ||"
		    " (xpath('/row/h/text()', query_to_xml(format('SELECT"
		    " count(*) || '' '' || md5(coalesce(string_agg(t::text,"
		    " ''|'' ORDER BY t::text), '''')) AS h FROM %%I t',"
		    " c.relname), false, true, '')))[1]::text FROM pg_class c"
		    " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE"
		    " n.nspname = current_schema() AND c.relkind = 'r' AND"
		    " c.relname <> 'ehttp_schema' UNION ALL SELECT"
		    " 'ehttp_schema version ' || version FROM ehttp_schema"
		    " ORDER BY 1\"", tu_db_cli(db));
	else
		rc = tu_sh(&out, &err, "sqlite3 '%s' .dump", db);
	ck_assert_msg(rc == 0 && out != NULL && *out != '\0', "dump %s: %s",
	    db, err);
	free(err);
	return out;
}

const char *
tu_db_key(const char *db)
{
	static char buf[4200];
	const char *env = getenv("EHTTP_MASTER_KEY");

	if (tu_db_pg(db)) {
		ck_assert_msg(env != NULL, "no EHTTP_MASTER_KEY for %s", db);
		snprintf(buf, sizeof buf, "%s", env);
	} else
		snprintf(buf, sizeof buf, "%s.master-key", db);
	return buf;
}

void
tu_pg_tmpl_setup(void)
{
	tu_pg_once();
	tu_tmpl = tu_tmpdir();
	if (tu_pg_srv == NULL)
		return;		/* each test fails (tu_pg_broken) */
	tu_pg_newdb(tu_tmpl_db, sizeof tu_tmpl_db, NULL);
	free(tu_sh_ok("cd '%s' && export EHTTP_MASTER_KEY=master-key && '%s'"
	    " --db '%s' init --demo >/dev/null && '%s' --db '%s' site set P01"
	    " --enhanced-http on >/dev/null", tu_tmpl, tu_bin("ehttpctl"),
	    tu_tmpl_db, tu_bin("ehttpctl"), tu_tmpl_db));
}

void
tu_pg_tmpl_teardown(void)
{
	tu_tmpl_teardown();
	tu_tmpl_db[0] = '\0';
	tu_pg_once_done();
}

void
tu_pg_env_clear(void)
{
	unsetenv("EHTTP_MASTER_KEY");
	unsetenv("EHTTP_CONTENT");
	unsetenv("PGPASSFILE");
}
