/* Shared test fixtures: private temp dirs, running the real binaries. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <sys/types.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <check.h>

/*
 * A suite from one table. A header TU_CASE(name, fixture) starts each test
 * case and the tests after it, up to the next header, are its tests:
 * TU_TEST a plain test, TU_EACH(t, rows) a loop test run once for each
 * element of the array rows (_i its index), TU_LOOP(t, n) one run with _i
 * from 0 to n - 1. The table ends with { NULL }.
 */
struct tu_fixture {
	int	 timeout;	/* seconds a test; 0: libcheck's default */
	void	(*once)(void), (*once_done)(void);	/* around the case */
	void	(*setup)(void), (*teardown)(void);	/* around each test */
	/*
	 * The case needs a PostgreSQL server (tu_pg_once): it is tagged
	 * "pg" (`make test-valgrind` leaves those out: CK_EXCLUDE_TAGS),
	 * and when PostgreSQL is not installed it is not registered at
	 * all: "<case>: skipped: ..." on standard error instead.
	 */
	int	 pg;
	/*
	 * The case drives programs (the console in tmux): its own process
	 * mostly waits (the few library calls it makes, other suites make
	 * under valgrind), so valgrind there would trace the waiting.
	 * Tagged "drives"; `make test-valgrind` leaves it out (the programs
	 * run under ASan+UBSan in make test, and under memcheck in
	 * scripts/valgrind-programs.sh).
	 */
	int	 drives;
};
struct tu_test {
	const TTest		*test;
	int			 loops;		/* 0: a plain test */
	const char		*tcase;		/* a header: the case's name */
	const struct tu_fixture	*fixture;	/* a header: its fixture */
};
#define TU_CASE(name, f)	{ NULL, 0, (name), &(f) }
#define TU_TEST(t)		{ (t), 0, NULL, NULL }
#define TU_LOOP(t, n)		{ (t), (int)(n), NULL, NULL }
#define TU_EACH(t, rows)	TU_LOOP(t, TU_ALL(rows))
#define TU_ALL(a)		(sizeof (a) / sizeof *(a))
Suite	*tu_suite(const char *name, const struct tu_test *tests);

/* On db (no transaction open): a write transaction inside another, write
 * or read, is refused (-1, the reason said) and the outer one goes on: it
 * still holds the writers' lock against other (may be NULL), commits. */
struct db;
void	 tu_nested_begin_refused(struct db *db, struct db *other);

/* Every suite's constructor: tests/check_<m>.c exports <m>_suite(); the
 * build lists the suites in suites.h from the file names. */
#define SUITE(m)	Suite *m##_suite(void);
#include "suites.h"
#undef SUITE

/* Runner: true when argv names suite m (`check_all db ca`). */
int	 tu_wants(int, char **, const char *);

/* A fresh private directory under $TMPDIR; removed by tu_tmpdir_free(). */
char	*tu_tmpdir(void);
void	 tu_tmpdir_free(char *);

/* A fresh private directory with the demo hierarchy in DIR/site.db (path
 * into db); returns the directory (tu_tmpdir_free), NULL if init failed. */
char	*tu_demo_db(char *db, size_t len);

/*
 * The checked fixture most suites share: tu_dir, a fresh private directory
 * for each test, and tu_db, the path DIR/site.db in it. tu_dir_setup leaves
 * it empty; tu_demo_setup runs ehttpctl init --demo there (asserted).
 */
extern char	*tu_dir;
extern char	 tu_db[4096];
void	 tu_dir_setup(void);
void	 tu_demo_setup(void);
void	 tu_dir_teardown(void);
/* The fixtures of most cases, 60 s a test: tu_dir_setup or tu_demo_setup,
 * then tu_dir_teardown; tu_plain_fixture has none (libcheck's timeout). */
extern const struct tu_fixture tu_dir_fixture, tu_demo_fixture;
/* The same with another timeout, for a case's own fixture. */
#define TU_DIR_FIXTURE(secs)	{ (secs), .setup = tu_dir_setup,	\
				  .teardown = tu_dir_teardown }
#define TU_DEMO_FIXTURE(secs)	{ (secs), .setup = tu_demo_setup,	\
				  .teardown = tu_dir_teardown }
/* A case's own fixture: secs a test, once and once_done around the case,
 * setup and teardown around each test; TU_FIXTURE_PG the same for a case
 * that needs a PostgreSQL server (tagged "pg", see .pg). */
#define TU_FIXTURE(secs, o, od, s, t)	{ (secs), .once = (o),		\
				  .once_done = (od), .setup = (s),	\
				  .teardown = (t) }
#define TU_FIXTURE_PG(secs, o, od, s, t) { (secs), .once = (o),		\
				  .once_done = (od), .setup = (s),	\
				  .teardown = (t), .pg = 1 }
extern const struct tu_fixture tu_plain_fixture;

/* tu_dir/NAME; one of four static buffers in rotation, so up to four paths
 * may be held at once. */
const char *tu_path(const char *name);
/* The same for DIR/NAME (the same four buffers). */
const char *tu_join(const char *dir, const char *name);

/* tu_demo_db, then ehttpctl site set SITE --enhanced-http on (asserted):
 * the demo's systems of SITE with their certificates issued. */
char	*tu_demo_enhanced(char *db, size_t len, const char *site);

/* A case's template, made once (a fixture's once, once_done): tu_tmpl the
 * directory of tu_demo_enhanced(tu_tmpl_db, ..., "P01"). */
extern char	*tu_tmpl;
extern char	 tu_tmpl_db[4096];
void	 tu_tmpl_setup(void);
void	 tu_tmpl_teardown(void);
/* tu_tmpl_setup for the cases that run ehttp-mpd: asserts it is built.
 * tu_mpd_pg_tmpl_setup: the same for tu_pg_tmpl_setup (below). */
void	 tu_mpd_tmpl_setup(void);
void	 tu_mpd_pg_tmpl_setup(void);

/*
 * The same template on PostgreSQL (the fixture's once, once_done): the
 * case's server (tu_pg_once), tu_tmpl_db the URL of a database of it with
 * the demo, P01 enhanced, tu_tmpl holding its master key. tu_tmpl_copy then
 * makes a copy of that database (CREATE DATABASE ... TEMPLATE) and sets
 * EHTTP_MASTER_KEY and EHTTP_CONTENT to the new directory (the test's
 * teardown calls tu_pg_env_clear()).
 */
void	 tu_pg_tmpl_setup(void);
void	 tu_pg_tmpl_teardown(void);
void	 tu_pg_env_clear(void);

/* A fresh private directory holding a copy of tu_tmpl's database (site.db*:
 * with its master key), its path in db; returns the directory
 * (tu_tmpdir_free). */
char	*tu_tmpl_copy(char *db, size_t dblen);

/* The management point's fixture (check_mpd, check_client): tu_tmpl_copy,
 * and in root the PEM of the active SMS Issuing root of P01, exported by
 * ehttpctl (asserted). */
char	*tu_mp_copy(char *db, size_t dblen, char *root, size_t rootlen);

/* A field ("id", "thumbprint"...) of the first active certificate that
 * ehttpctl cert list FILTER (e.g. "--type root --site P01") lists, as
 * python3's json reads it (asserted); malloc'ed. */
char	*tu_active_cert(const char *db, const char *filter, const char *field);

/* db's active SMS Token Signing certificate of P01 as DER in the file path
 * (exported by ehttpctl, converted by openssl; asserted); its id,
 * malloc'ed. */
char	*tu_signer_der(const char *db, const char *path);

/* The claims of the JWT in the file jwt as JSON, as tests/wire.py verifies
 * it against the DER certificate in the file cert (asserted); malloc'ed. */
char	*tu_jwt_verify(const char *jwt, const char *cert);

/*
 * ehttp-mpd for fqdn over db on free loopback ports (*https_port), logs in
 * logs, polling every second, in the foreground; with fake (e.g. "+9h")
 * at that faked time (TU_FAKE). Returns once its mpcontrol.log says it
 * started (asserted). tu_mpd_stop kills it (SIGKILL) and reaps it.
 */
pid_t	 tu_mpd_start(const char *db, const char *fqdn, const char *logs,
	    const char *fake, int *https_port);
/* The same with more options (shell words, e.g. "--admin-rate 5"). */
pid_t	 tu_mpd_start_with(const char *db, const char *fqdn, const char *logs,
	    const char *fake, int *https_port, const char *more);
void	 tu_mpd_stop(pid_t *);
/*
 * Stops (SIGSTOP) an agent over db at a moment it holds no write
 * transaction, and returns once each of its threads is stopped. A process
 * stopped inside one keeps every other writer of a SQLite file waiting:
 * the busy timeout, then "database is locked". So once it is stopped, the
 * write lock is tried (and given back at once); while it cannot be had,
 * the agent goes on a millisecond and is stopped again. The stop itself
 * comes as soon as a plain kill's would (a download it stops must not
 * end first). On PostgreSQL (nothing stops an agent there yet) it is a
 * plain SIGSTOP.
 */
void	 tu_mpd_freeze(const char *db, pid_t pid);
/*
 * Another program writing: python3's own sqlite3 module holds the write
 * lock of the SQLite file db (BEGIN IMMEDIATE) until tu_db_release(), or
 * until this process ends (at most 90 s). Returns once it holds it; the
 * files "locked" and "release" are made in dir.
 */
pid_t	 tu_db_hold(const char *dir, const char *db);
void	 tu_db_release(const char *dir, pid_t holder);
/* The end of a test that ran an agent in its own directory: the agent
 * stopped (tu_mpd_stop), the directory removed and *dir cleared. */
void	 tu_mpd_teardown(pid_t *agent, char **dir);

/* The management point's verifier for fqdn over db: ehttp_open (into *e)
 * and mp_verifier_new, both asserted. tu_verifier_close frees both and
 * clears the pointers. */
struct ehttp;
struct mp_verifier;
struct mp_verifier *tu_verifier_open(const char *db, const char *fqdn,
	    struct ehttp **e);
void	 tu_verifier_close(struct mp_verifier **v, struct ehttp **e);

/* What every site system of db serves, as ehttp_serving_list() reads it
 * (for all sites, and for each site), asserted to be what
 * ehttp_system_serving() decides for each system, with the roles
 * ehttp_role_list() gives, in ehttp_system_list()'s order: "fqdn:
 * state_text" lines, " #ID" after them for the certificate served (free
 * it). */
char	*tu_serving(const char *db);

/* Path of a built program ("ehttpctl") in the build dir; static buffer. */
const char *tu_bin(const char *);

/* The program at path run with argv in the background, stdin from
 * /dev/null, stdout and stderr to the descriptors out and err; its pid
 * (-1: fork failed). tu_spawn_to: both to file (truncated), asserted
 * started. */
pid_t	 tu_spawn(const char *path, char *const argv[], int out, int err);
pid_t	 tu_spawn_to(const char *path, char *const argv[], const char *file);

/*
 * Run argv (argv[0] a full path) with stdin from /dev/null, capturing stdout
 * and stderr into malloc'ed strings (may be NULL). Returns the exit status,
 * or 128+signal.
 */
int	 tu_run(char *const argv[], char **out, char **err);

/* Run a shell command line in directory cwd (NULL: here), capturing as
 * tu_run; "%s" formatting (tu_vsh: fmt formatted with ap). tu_sh: here. */
int	 tu_vsh(const char *cwd, char **out, char **err, const char *fmt,
	    va_list ap) __attribute__((format(printf, 4, 0)));
int	 tu_sh_in(const char *cwd, char **out, char **err, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
#define tu_sh(out, err, ...)	tu_sh_in(NULL, out, err, __VA_ARGS__)

/* A shell command line asserted to exit 0 (the message names it, with its
 * output); returns its standard output, malloc'ed. */
char	*tu_sh_ok(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/* A shell command line asserted to exit 0; the number its output starts
 * with (atoi: curl's -w '%{http_code}', a pid). */
int	 tu_sh_int(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/* A shell command line asserted to exit 0 with want as the first line of
 * its output (the message names it). */
void	 tu_sh_is(const char *want, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* A shell command line asserted to exit with want and to say msg on
 * stderr (msg NULL: anything). */
void	 tu_sh_fails(int want, const char *msg, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* A program's exit status rc asserted to be want (the message names it,
 * as fmt formats, with its *out and *err); *err freed, *out returned. */
char	*tu_exit_is(int rc, int want, char **out, char **err,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A command line refused: its arguments (as sh reads them) and what it
 * says on stderr. tu_usage_is: the built program prog with those
 * arguments asserted to exit 2 (a usage error) saying msg. */
struct tu_refusal {
	const char	*args;
	const char	*msg;
};
void	 tu_usage_is(const char *prog, const struct tu_refusal *r);

/* An input to a parser and why it is refused (NULL: accepted). */
struct tu_verdict {
	const char	*in;
	const char	*why;
};

/* s cut at its first newline; returns s. */
char	*tu_line1(char *s);

/* ehttpctl --db DB ARGS...: NULL-terminated varargs. */
int	 tu_ctl(const char *db, char **out, char **err, ...)
	    __attribute__((sentinel));

/* ehttpctl --db DB ARGS... asserted to exit 0 (stderr in the message). */
void	 tu_ctl_ok(const char *db, ...) __attribute__((sentinel));

/* ehttpctl --db DB ARGS... asserted to exit with want and to say msg on
 * stderr (msg NULL: anything). */
void	 tu_ctl_fails(const char *db, int want, const char *msg, ...)
	    __attribute__((sentinel));

/* python3 (Debian's own when it is there: a version manager's shim can take
 * a second to start). */
const char *tu_python(void);

/*
 * A program run at a faked time: libfaketime preloaded into it (ahead of
 * ASan's runtime in the sanitizer build), never the faketime wrapper. A
 * shell prefix followed by the time: TU_FAKE "+340d cmd", TU_FAKE
 * "'@2024-01-01 00:00:00' cmd". libfaketime keeps a semaphore and shared
 * memory named after the pid (/dev/shm/sem.faketime_sem_PID,
 * faketime_shm_PID) and removes them at exit; a faked process killed with
 * SIGKILL leaves them, and a later faked process that gets the same pid
 * fails ("sem_open: File exists"). So the prefix first removes those of
 * processes that are gone. tu_faketime_setup() finds the library
 * (asserted).
 */
#define TU_FAKE	"EHTTP_FAKE_SWEPT=\"$(for f in /dev/shm/faketime_shm_*; do" \
		" p=${f##*_}; kill -0 \"$p\" 2>/dev/null || rm -f \"$f\"" \
		" \"/dev/shm/sem.faketime_sem_$p\" 2>/dev/null; done)\"" \
		" LD_PRELOAD=\"$EHTTP_LIBFAKETIME\" ASAN_OPTIONS=\"" \
		"${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0\"" \
		" FAKETIME="
void	 tu_faketime_setup(void);

/* Sleep ms milliseconds (resumed after a signal). */
void	 tu_msleep(int ms);

/* A python3 expression evaluated over json parsed by python3's own parser
 * (the name d); the first line it prints, malloc'ed. Asserts it ran. */
char	*tu_py_json(const char *json, const char *expr);

/* tu_py_json(json, expr) asserted to print True. */
void	 tu_py_check(const char *json, const char *expr);

/* ehttpctl --db DB ARGS... asserted to exit 0, its JSON output evaluated
 * by tu_py_json(out, expr). */
char	*tu_ctl_json(const char *db, const char *expr, ...)
	    __attribute__((sentinel));

/* A loopback TCP port that was free a moment ago. */
int	 tu_free_port(void);

/* The file at path holds text within secs seconds (read every 100 ms);
 * else the test fails naming what (e.g. "p01's mpcontrol.log"). */
void	 tu_file_waits(const char *path, const char *what, const char *text,
	    int secs);

/* The fuzzers' inputs: fn called on each file under tests/fuzz/SUB whose
 * name starts with prefix (its name, its bytes); how many there were. A
 * folder that is not there holds none (any other error is asserted). */
size_t	 tu_fuzz_inputs(const char *sub, const char *prefix,
	    void (*fn)(const char *, const uint8_t *, size_t));

/* Whole file into a malloc'ed, NUL-terminated string; NULL if unreadable. */
char	*tu_read_file(const char *, size_t *);
int	 tu_write_file(const char *, const char *, size_t);
/* tu_write_file, then chmod to mode; both asserted. */
void	 tu_write_file_mode(const char *, const char *, size_t, mode_t);

/*
 * Whether this process can mount a tmpfs in a private mount namespace
 * (unshare -m: root, and not inside a chroot, which the kernel refuses;
 * EHTTP_TEST_NO_MOUNT set: no). A test that needs it and cannot says so
 * on standard error and ends: TU_NEED_MOUNT() first in its body.
 */
int	 tu_can_mount(void);
#define TU_NEED_MOUNT() do {						\
	if (!tu_can_mount()) {						\
		fprintf(stderr, "%s: skipped: cannot mount a tmpfs in a"	\
		    " private mount namespace here (unshare -m needs root,"	\
		    " outside a chroot)\n", __func__);			\
		return;							\
	}								\
} while (0)

/* The sqlite3 CLI with a busy timeout, as ehttp's own connections have:
 * a statement run while an agent writes waits for it instead of failing
 * with "database is locked". */
#define TU_SQLITE3	"sqlite3 -cmd '.timeout 10000'"

/*
 * One value a database's own command-line client reads: cli is the
 * command up to the query ("sqlite3 'DB'", "psql -qAt 'URL' -c"), q the
 * query, put in double quotes; its first line (malloc'ed; asserted to
 * run). tu_sql_is asserts it is want.
 */
char	*tu_sql1(const char *cli, const char *q);
void	 tu_sql_is(const char *cli, const char *q, const char *want);

/*
 * A throwaway PostgreSQL server for a case (tests/pgserver.sh), started
 * once (the fixture's once: tu_pg_once, once_done: tu_pg_once_done) and a
 * fresh database on it for each test. tu_pg_super is its superuser's URL
 * (the postgres database), "" when there is no server: not installed
 * (said once, "pg: skipped: ..."), or installed but not started
 * (tu_pg_broken says why, and TU_NEED_PG() fails every test with it).
 * tu_pg_srv is the server's directory (pgserver.sh start|stop DIR/srv).
 */
extern char	*tu_pg_srv, *tu_pg_broken;
extern char	 tu_pg_super[1024];
extern char	 tu_pg_url[1024];	/* the test's database (tu_pg_setup) */
void	 tu_pg_once(void);
void	 tu_pg_once_done(void);
/* Whether PostgreSQL is installed (pgserver.sh finds its programs); when
 * not, why in *why (static). */
int	 tu_pg_installed(const char **why);
/* A new database on the server (CREATE DATABASE, from the database
 * template when it is not NULL), its URL in url; asserted. */
void	 tu_pg_newdb(char *url, size_t len, const char *template);
/* tu_dir_setup and a fresh database in tu_pg_url (none without a
 * server); the master key and content in tu_dir (EHTTP_MASTER_KEY,
 * EHTTP_CONTENT). tu_pg_teardown undoes it. */
void	 tu_pg_setup(void);
void	 tu_pg_teardown(void);
#define TU_NEED_PG() do {						\
	ck_assert_msg(tu_pg_broken == NULL, "%s", tu_pg_broken);	\
	if (tu_pg_url[0] == '\0')					\
		return;		/* not installed: said by tu_pg_once */	\
} while (0)
/*
 * The engine-neutral cases of a suite run twice: on a SQLite file and on
 * PostgreSQL. The PostgreSQL case's fixture (TU_PG_FIXTURE(secs), or with
 * a once of its own calling tu_pg_once) makes tu_db the URL of the test's
 * fresh database, so a test body written with tu_db and the helpers below
 * runs on either.
 */
void	 tu_pg_db_setup(void);
#define TU_PG_FIXTURE(secs)	{ (secs), .once = tu_pg_once,		\
				  .once_done = tu_pg_once_done,		\
				  .setup = tu_pg_db_setup,		\
				  .teardown = tu_pg_teardown, .pg = 1 }
/* Whether the target db is a PostgreSQL database (a URL or key=value
 * pairs), not a file. */
int	 tu_db_pg(const char *db);
/* The database's own command-line client up to the query, for tu_sql1:
 * TU_SQLITE3 'FILE' or psql -qAt 'URL' -c; one of two static buffers. */
const char *tu_db_cli(const char *db);
/*
 * Everything in the database as text, to compare: sqlite3 .dump; on
 * PostgreSQL each table's row count and the MD5 of its rows as text in
 * order, as psql reads them (pg_dump takes three times as long, and the
 * bad-input cases compare a hundred times), and of ehttp_schema the
 * version only: its count of commits moves with every write transaction,
 * also one that undid what an earlier one wrote (SQLite keeps that count
 * outside the file). malloc'ed, asserted.
 */
char	*tu_db_dump(const char *db);
/* The master key file of db (DB.master-key beside a file; else
 * $EHTTP_MASTER_KEY); static. */
const char *tu_db_key(const char *db);

/* Count occurrences of needle in hay. */
int	 tu_count(const char *hay, const char *needle);

/* Asserts that hay contains each string listed (NULL-terminated), naming
 * the first one missing. */
void	 tu_has(const char *hay, ...) __attribute__((sentinel));

/* Logs (cmlog.h): record i of rd into r (asserted read); its text
 * (bytes, not NUL-terminated) asserted to be want; record i asserted
 * well-formed with text, component, type and line. */
struct cmlog_reader;
struct cmlog_record;
void	 tu_cmlog_get(struct cmlog_reader *rd, size_t i,
	    struct cmlog_record *r);
void	 tu_cmlog_text(const struct cmlog_record *r, const char *want);
void	 tu_cmlog_good(struct cmlog_reader *rd, size_t i,
	    struct cmlog_record *r, const char *text, const char *comp,
	    int type, size_t line);
/* rd refreshed, asserted to say changed (cmlog_reader_refresh: 1 it
 * changed, 0 not) and to hold n records afterwards. */
void	 tu_cmlog_refreshed(struct cmlog_reader *rd, int changed, size_t n);

#endif
