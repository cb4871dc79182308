/* ehttp: the backend handle, its notes, audit and status records. */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca.h"
#include "daemon.h"
#include "ehttp-int.h"
#include "xmalloc.h"

/* ehttp's data directory ($XDG_DATA_HOME/ehttp, else
 * ~/.local/share/ehttp), into buf. */
static void
data_dir(char *buf, size_t len)
{
	const char *v;

	if ((v = getenv("XDG_DATA_HOME")) != NULL && *v == '/')
		snprintf(buf, len, "%s/ehttp", v);
	else {
		if ((v = getenv("HOME")) == NULL || *v == '\0') {
			struct passwd *pw = getpwuid(getuid());
			v = pw != NULL ? pw->pw_dir : "/";
		}
		snprintf(buf, len, "%s/.local/share/ehttp", v);
	}
}

const char *
ehttp_default_db(void)
{
	static char buf[4096];
	const char *v;

	char dir[4000];

	if ((v = getenv("EHTTP_DB")) != NULL && *v != '\0')
		snprintf(buf, sizeof buf, "%s", v);
	else {
		data_dir(dir, sizeof dir);
		snprintf(buf, sizeof buf, "%s/site.db", dir);
	}
	return buf;
}

int
ehttp_db_is_file(const char *db_target)
{
	return db_target_is_file(db_target);
}

void
ehttp_db_display(const char *t, char *buf, size_t len)
{
	const char *u = strstr(t, "://"), *at, *colon;
	size_t o = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (ehttp_db_is_file(t)) {
		snprintf(buf, len, "%s", t);
		return;
	}
	/* user:PASSWORD@ in a URI */
	if (u != NULL && (at = strchr(u + 3, '@')) != NULL &&
	    (colon = memchr(u + 3, ':', (size_t)(at - u - 3))) != NULL) {
		o = (size_t)snprintf(buf, len, "%.*s:***", (int)(colon - t), t);
		t = at;
	}
	/* password=VALUE in key=value pairs or a URI's query */
	while (o < len && *t != '\0') {
		if (strncmp(t, "password=", 9) == 0) {
			o += (size_t)snprintf(buf + o, len - o, "password=***");
			t += 9;
			if (*t == '\'') {	/* a quoted value */
				for (t++; *t != '\0' && *t != '\''; t++)
					if (*t == '\\' && t[1] != '\0')
						t++;
				if (*t == '\'')
					t++;
			} else
				t += strcspn(t, " &");
			continue;
		}
		if (o + 1 < len)
			buf[o++] = *t;
		t++;
	}
	buf[o < len ? o : len - 1] = '\0';
}

char *
ehttp_home_dir(const char *db_target)
{
	char buf[4096];

	if (db_target_is_file(db_target))
		return daemon_dir_of(db_target);
	data_dir(buf, sizeof buf);
	return xstrdup(buf);
}

/*
 * The master key's file: $EHTTP_MASTER_KEY; else beside a SQLite file
 * (<path>.master-key); else, the database being a server's, master-key in
 * the data directory (it stays on the site server).
 */
static char *
master_path(const char *path)
{
	const char *v;
	char *s, *home;

	if ((v = getenv("EHTTP_MASTER_KEY")) != NULL && *v != '\0')
		return xstrdup(v);
	if (db_target_is_file(path)) {
		xasprintf(&s, "%s.master-key", path);
		return s;
	}
	home = ehttp_home_dir(path);
	xasprintf(&s, "%s/master-key", home);
	free(home);
	return s;
}

/* An account name as the audit shows it: only characters a login name
 * has; anything else (it may come from the environment) becomes '?'. */
static void
user_copy(char *buf, size_t len, const char *name, const char *suffix)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)name;
	    *p != '\0' && o + 1 < len; p++)
		buf[o++] = (isalnum(*p) || strchr("._-@$", *p) != NULL) ?
		    (char)*p : '?';
	buf[o] = '\0';
	if (o == 0)
		snprintf(buf, len, "?");
	o = strlen(buf);
	snprintf(buf + o, len - o, "%s", suffix);
}

/*
 * Who is acting, for the audit trail: the real uid's account. USER,
 * LOGNAME and SUDO_USER are set by whoever starts the program and prove
 * nothing; only root run through sudo names the sudo user, and only when
 * SUDO_UID is that account's uid.
 */
void
ehttp_acting_user(char *buf, size_t len)
{
	struct passwd *pw;
	const char *su, *sid;
	uid_t uid = getuid();
	unsigned long v;
	char *end, name[64];

	if ((pw = getpwuid(uid)) != NULL)
		user_copy(name, sizeof name, pw->pw_name, "");
	else
		snprintf(name, sizeof name, "uid %lu", (unsigned long)uid);
	if (uid == 0 && (su = getenv("SUDO_USER")) != NULL && *su != '\0' &&
	    (sid = getenv("SUDO_UID")) != NULL && *sid >= '0' && *sid <= '9') {
		errno = 0;
		v = strtoul(sid, &end, 10);
		if (errno == 0 && *end == '\0' && (pw = getpwnam(su)) != NULL &&
		    (unsigned long)pw->pw_uid == v) {
			user_copy(buf, len, su, " (via sudo)");
			return;
		}
	}
	snprintf(buf, len, "%s", name);
}

/* The master key's directory made (0700) when it is not there. */
static int
master_dir(struct ehttp *e)
{
	char *dir = daemon_dir_of(e->master_path), *cause = NULL;
	int rc = 0;

	if (daemon_mkdirs(dir, 0700, &cause) == -1)
		rc = ehttp_fail(e, "master key %s: %s", e->master_path, cause);
	free(cause);
	free(dir);
	return rc;
}

struct ehttp *
ehttp_open(const char *path, int flags, char **cause)
{
	struct ehttp *e;
	struct stat sb;
	int dbflags = 0, rc;

	*cause = NULL;
	e = xcalloc(1, sizeof *e);
	e->flags = flags;
	if (flags & EHTTP_CREATE)
		dbflags |= DB_OPEN_CREATE;
	if (flags & EHTTP_READONLY)
		dbflags |= DB_OPEN_READONLY;
	/* PostgreSQL's libpq brings OpenSSL: the CA's first (ca.h). */
	if (!db_target_is_file(path))
		ca_preload();
	e->db_target = xstrdup(path);
	e->master_path = master_path(path);
	/* A master key others can read exposes every key: refuse to start,
	 * whatever the program means to do (before the database is opened:
	 * an init refused here leaves no new file). */
	if (stat(e->master_path, &sb) == 0 && (sb.st_mode & (S_IRWXG |
	    S_IRWXO))) {
		xasprintf(cause, "master key %s has mode %04o: it must not be"
		    " accessible to group or others (want 0600); refusing to"
		    " start", e->master_path, (unsigned)(sb.st_mode & 07777));
		ehttp_close(e);
		return NULL;
	}
	if ((e->db = db_open(path, dbflags, cause)) == NULL) {
		ehttp_close(e);
		return NULL;
	}
	/* An issuance killed between its two transactions leaves pending
	 * rows with a dead owner: drop them (the old state stays). Looked
	 * for first: an open takes no write lock when there are none. */
	if (!(flags & (EHTTP_READONLY | EHTTP_AGENT)) &&
	    ((rc = db_cert_pending_dead(e->db)) == -1 ||
	    (rc == 1 && issue_drop_pending(e) == -1))) {
		xasprintf(cause, "%s", db_error(e->db));
		ehttp_close(e);
		return NULL;
	}
	return e;
}

void
ehttp_close(struct ehttp *e)
{
	if (e == NULL)
		return;
	db_close(e->db);
	ca_enroll_free(e->enroll);
	explicit_bzero(e->master, sizeof e->master);
	free(e->master_path);
	free(e->db_target);
	free(e->content_root);
	free(e->content_default);
	free(e);
}

const char *
ehttp_error(const struct ehttp *e)
{
	return e->err;
}

const char *
ehttp_db_path(const struct ehttp *e)
{
	return db_path(e->db);
}

struct db *
ehttp_db(struct ehttp *e)
{
	return e->db;
}

/* A tri-state (1, 0, -1) of the database: -1 takes its error along. */
static int
db_tristate(struct ehttp *e, int rc)
{
	return rc == -1 ? ehttp_fail_db(e) : rc;
}

int
ehttp_db_moved(struct ehttp *e)
{
	return db_tristate(e, db_file_moved(e->db));
}

/* What db_check found, gathered. */
struct db_problems {
	char	**v;
	size_t	  n;
};

static void
db_problem(void *arg, const char *text)
{
	struct db_problems *p = arg;

	p->v = xreallocarray(p->v, p->n + 1, sizeof *p->v);
	p->v[p->n++] = xstrdup(text);
}

int
ehttp_db_check(struct ehttp *e, char ***problems, size_t *n)
{
	struct db_problems p = { NULL, 0 };
	int rc = 0;

	if (db_check(e->db, db_problem, &p) == -1)
		rc = ehttp_fail_db(e);
	*problems = p.v;	/* what was found before a failure too */
	*n = p.n;
	return rc;
}

int
ehttp_db_checkpoint(struct ehttp *e)
{
	return db_tristate(e, db_checkpoint_all(e->db));
}

int
ehttp_fail(struct ehttp *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->err, sizeof e->err, fmt, ap);
	va_end(ap);
	return -1;
}

int
ehttp_fail_db(struct ehttp *e)
{
	snprintf(e->err, sizeof e->err, "%s", db_error(e->db));
	return -1;
}

void
ehttp_note(struct ehttp *e, enum ehttp_note_kind kind, const char *fmt, ...)
{
	va_list ap;

	if (e->nnotes == EHTTP_MAX_NOTES)
		return;
	e->notes[e->nnotes].kind = kind;
	va_start(ap, fmt);
	vsnprintf(e->notes[e->nnotes].text, sizeof e->notes[0].text, fmt, ap);
	va_end(ap);
	e->nnotes++;
}

void
ehttp_notes_clear(struct ehttp *e)
{
	e->nnotes = 0;
	e->err[0] = '\0';
}

const struct ehttp_note *
ehttp_notes(const struct ehttp *e, size_t *n)
{
	*n = e->nnotes;
	return e->notes;
}

void
ehttp_set_progress(struct ehttp *e, ehttp_progress_fn fn, void *arg)
{
	e->progress = fn;
	e->progress_arg = arg;
}

void
ehttp_set_waiting(struct ehttp *e, ehttp_waiting_fn fn, void *arg)
{
	db_set_waiting(e->db, fn, arg);
}

int
ehttp_busy(const struct ehttp *e)
{
	return db_gave_up(e->db);
}

int
ehttp_changed(struct ehttp *e)
{
	int64_t v;
	int changed;

	if (db_data_version(e->db, &v) == -1)
		return ehttp_fail_db(e);
	changed = e->data_version == 0 || v != e->data_version;
	e->data_version = v;
	return changed;
}

void
ehttp_set_threads(struct ehttp *e, unsigned n)
{
	e->threads = n;
}

void
ehttp_set_user(struct ehttp *e, const char *user)
{
	snprintf(e->user, sizeof e->user, "%s", user);
}

int
ehttp_record(struct ehttp *e, int64_t site_id, const char *severity,
    const char *action, const char *object, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* Who acts is looked up (the password database) when the first
	 * record is written, not at open: reads never need it. The real uid
	 * does not change in between (the agent names itself). */
	if (e->user[0] == '\0')
		ehttp_acting_user(e->user, sizeof e->user);
	if (db_audit_add(e->db, e->user, action, object, msg) == -1 ||
	    db_status_add(e->db, site_id, 0, severity, DB_ADMIN_COMPONENT,
	    msg) == -1)
		return ehttp_fail_db(e);
	return 0;
}

/*
 * The master key. A new one is made only by init (EHTTP_CREATE) and only for
 * a database that holds no keys yet: any other new key could not open the
 * keys stored. A key that exists must open the newest stored key, so a
 * replaced or wrong file is refused before anything is encrypted with it.
 */
const char *
ehttp_master(struct ehttp *e, int create)
{
	unsigned char *der = NULL, *key = NULL;
	size_t nkeys = 0, dlen = 0, klen = 0;
	struct ca *ca = NULL;
	const char *rc = NULL;
	int64_t id = 0;
	int have;

	if (e->master_loaded)
		return e->master;
	if (e->flags & EHTTP_NO_KEYS) {
		ehttp_fail(e, "this program does not use private keys");
		return NULL;
	}
	if ((have = db_cert_key_sample(e->db, &nkeys, &id)) == -1) {
		ehttp_fail_db(e);
		return NULL;
	}
	if (!(e->flags & EHTTP_CREATE) || have)
		create = 0;
	if (!create && access(e->master_path, F_OK) == -1 && errno == ENOENT) {
		if (have)
			ehttp_fail(e, "master key %s is missing and the database"
			    " holds %zu private key%s encrypted with it: restore"
			    " the file from a backup (a new master key cannot"
			    " open them)", e->master_path, nkeys,
			    nkeys == 1 ? "" : "s");
		else
			ehttp_fail(e, "master key %s is missing: `ehttpctl init`"
			    " creates one for a database without keys",
			    e->master_path);
		return NULL;
	}
	/* A server's database: its directory is not the database's. */
	if (create && master_dir(e) == -1)
		return NULL;
	ca = ca_new();
	if (ca_master_load(ca, e->master_path, create, e->master) == -1) {
		ehttp_fail(e, "%s", ca_error(ca));
		goto out;
	}
	if (have) {
		if (db_cert_der(e->db, id, &der, &dlen) != 1 ||
		    db_cert_key(e->db, id, &key, &klen) != 1) {
			ehttp_fail(e, "master key check: certificate %" PRId64
			    ": %s", id, db_error(e->db));
			goto out;
		}
		if (ca_key_matches(ca, der, dlen, key, klen, e->master) != 1) {
			ehttp_fail(e, "master key %s does not open the private"
			    " key of certificate %" PRId64 " (%s): a wrong or"
			    " replaced master key file; restore the right one",
			    e->master_path, id, ca_error(ca));
			goto out;
		}
	}
	e->master_loaded = 1;
	rc = e->master;
out:
	if (rc == NULL)
		explicit_bzero(e->master, sizeof e->master);
	freezero(key, klen);
	free(der);
	ca_free(ca);
	return rc;
}

int
ehttp_begin(struct ehttp *e)
{
	ehttp_notes_clear(e);
	if (db_begin(e->db) == -1)
		return ehttp_fail_db(e);
	return 0;
}

int
ehttp_commit(struct ehttp *e)
{
	if (db_commit(e->db) == -1) {
		ehttp_fail_db(e);
		db_rollback(e->db);
		return -1;
	}
	return 0;
}

void
ehttp_rollback(struct ehttp *e)
{
	db_rollback(e->db);
}

/*
 * No core dumps: every ehttp program may hold the master key or a private
 * key (the console only for the actions that need one), and a core file
 * keeps whatever was in memory. Not dumpable also covers a core_pattern
 * that pipes to a handler (which may ignore RLIMIT_CORE) and keeps other
 * processes of the same user from ptrace-attaching. A failing call is not
 * fatal. Then OpenSSL's freed memory is cleared (ca_clear_freed_memory()),
 * which only works before OpenSSL has allocated anything.
 */
int
ehttp_protect_process(void)
{
	static const struct rlimit zero = { 0, 0 };

	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	(void)setrlimit(RLIMIT_CORE, &zero);
	return ca_clear_freed_memory();
}
