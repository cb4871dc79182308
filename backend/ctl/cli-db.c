/* cli-db: ehttpctl db grant-agent|revoke-agent|list-agents and
 * grant-admin|revoke-admin|list-admins (the agents' and administrators'
 * own PostgreSQL logins; README "Database roles"). */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "xmalloc.h"

/* The password in the first line of path, which only its owner may read:
 * 0, or -1 with why. */
static int
password_read(const char *path, char *pw, size_t len, char *why,
    size_t wlen)
{
	struct stat sb;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(why, wlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (sb.st_mode & (S_IRWXG | S_IRWXO))) {
		snprintf(why, wlen, "%s: must be a file that group and others"
		    " cannot read (mode 0600)", path);
		close(fd);
		return -1;
	}
	n = read(fd, pw, len - 1);
	close(fd);
	if (n < 0) {
		snprintf(why, wlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	pw[n] = '\0';
	pw[strcspn(pw, "\r\n")] = '\0';
	return 0;
}

/* --password-file's password into pw (none without the option): 0 to go
 * on, else the exit status with the reason printed. */
static int
grant_password(struct cli *c, const char *file, char *pw, size_t len)
{
	char why[1200];

	if (file == NULL || password_read(file, pw, len, why,
	    sizeof why) == 0)
		return 0;
	fprintf(c->err, "%s: %s\n", c->prog, cli_safe_msg(c, why));
	return CLI_FAIL;
}

/* The database's connection string as role would use it (no password):
 * the shown target with its user replaced. */
static void
role_target(struct cli *c, const char *role, char *buf, size_t len)
{
	const char *t = ehttp_db_path(c->e), *at = strchr(t, '@'),
	    *sep = strstr(t, "://");

	if (sep == NULL || at == NULL || at < sep)
		snprintf(buf, len, "%s", t);
	else
		snprintf(buf, len, "%.*s%s%s", (int)(sep + 3 - t), t, role, at);
}

/* cli_begin(), then refused on a file before anything else: 0 go on, or
 * the exit status. */
static int
logins_begin(struct cli *c, int argc, char **argv, int nargs,
    const char *usage, int flags)
{
	int rc;

	if ((rc = cli_begin(c, argc, argv, nargs, usage, flags)) != 0)
		return rc;
	if (ehttp_logins_supported(c->e))
		return 0;
	fprintf(c->err, "%s: database roles need a PostgreSQL site database"
	    " (%s is a SQLite file)\n", c->prog, cli_safe(c,
	    ehttp_db_path(c->e)));
	return CLI_FAIL;
}

/* A new login's password and connection string, as grant-agent and
 * grant-admin print them. */
static void
grant_print(struct cli *c, const char *key, const char *value,
    const struct ehttp_agent_grant *g, int given, const char *whose,
    const char *where)
{
	char target[1200];

	role_target(c, g->role, target, sizeof target);
	if (c->json) {
		cj_print(c->out, json_pack("{s:o,s:o,s:o,s:o}", key,
		    cj_str(value), "role", cj_str(g->role), "password",
		    given ? json_null() : cj_str(g->password), "connection",
		    cj_str(target)));
		return;
	}
	cli_notes(c);
	if (!given)
		fprintf(c->out, "Password (shown once; keep it in %s, mode"
		    " 0600): %s\n", where, g->password);
	fprintf(c->out, "Connection string of %s: %s\n", whose,
	    cli_safe(c, target));
}

static int
cmd_db_grant_agent(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "password-file", required_argument, NULL, 'p' },
		CLI_COMMON_OPTS, { 0 } };
	struct ehttp_agent_grant g;
	const char *file = NULL;
	char pw[EHTTP_LOGIN_PASSWORD_MAX + 1];
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo, case 'p': file = optarg; break;);
	if ((rc = logins_begin(c, argc, argv, 1, "expected one FQDN",
	    EHTTP_NO_KEYS)) != 0 ||
	    (rc = grant_password(c, file, pw, sizeof pw)) != 0)
		return rc;
	rc = ehttp_agent_login_grant(c->e, argv[optind], file != NULL ? pw :
	    NULL, &g);
	explicit_bzero(pw, sizeof pw);
	if (rc == -1)
		return cli_fail(c);
	grant_print(c, "fqdn", argv[optind], &g, file != NULL, "the agent",
	    "the agent's ~/.pgpass");
	explicit_bzero(&g, sizeof g);
	return CLI_OK;
}

static int
cmd_db_revoke_agent(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = { CLI_COMMON_OPTS, { 0 } };
	struct db_system y;
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo, );
	if ((rc = logins_begin(c, argc, argv, 1, "expected one FQDN",
	    EHTTP_NO_KEYS)) != 0)
		return rc;
	if (ehttp_system_resolve(c->e, argv[optind], &y) != 1 ||
	    (rc = ehttp_agent_login_revoke(c->e, y.id)) == -1)
		return cli_fail(c);
	if (c->json)
		cj_print(c->out, json_pack("{s:o,s:b}", "fqdn", cj_str(y.fqdn),
		    "revoked", rc == 1));
	else if (rc == 0)
		fprintf(c->out, "%s has no database login: nothing to"
		    " revoke.\n", cli_safe(c, y.fqdn));
	else
		cli_notes(c);
	return CLI_OK;
}

static int
cmd_db_list_agents(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = { CLI_COMMON_OPTS, { 0 } };
	struct db_agent_login *v = NULL;
	struct cli_list l;
	char sessions[24];
	size_t n;
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo, );
	if ((rc = logins_begin(c, argc, argv, 0, NULL, EHTTP_READONLY |
	    EHTTP_NO_KEYS)) != 0)
		return rc;
	if (ehttp_agent_login_list(c->e, &v, &n) == -1)
		return cli_fail(c);
	cli_list_begin(c, &l, 5, "FQDN", "Role", "Login", "Sessions",
	    "Created");
	for (size_t i = 0; i < n; i++) {
		if (c->json) {
			cli_list_json(&l, json_pack("{s:o,s:o,s:b,s:I,s:o}",
			    "fqdn", cj_str(v[i].fqdn), "role",
			    cj_str(v[i].role), "can_login", v[i].can_login,
			    "sessions", (json_int_t)v[i].sessions, "created",
			    cj_time(v[i].created)));
			continue;
		}
		snprintf(sessions, sizeof sessions, "%d", v[i].sessions);
		table_add(l.t, v[i].fqdn, v[i].role, v[i].can_login ? "yes" :
		    "NO", sessions, cli_time(v[i].created));
	}
	cli_list_end(&l);
	free(v);
	return CLI_OK;
}

static int
cmd_db_grant_admin(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "password-file", required_argument, NULL, 'p' },
		{ "read-only", no_argument, NULL, 'r' },
		CLI_COMMON_OPTS, { 0 } };
	struct ehttp_agent_grant g;
	const char *file = NULL;
	char pw[EHTTP_LOGIN_PASSWORD_MAX + 1];
	int rc, ro = 0;

	OPTS_LOOP(c, argc, argv, "h", lo, case 'p': file = optarg; break;
	    case 'r': ro = 1; break;);
	if ((rc = logins_begin(c, argc, argv, 1, "expected one login name",
	    EHTTP_NO_KEYS)) != 0 ||
	    (rc = grant_password(c, file, pw, sizeof pw)) != 0)
		return rc;
	rc = ehttp_admin_login_grant(c->e, argv[optind], ro, file != NULL ?
	    pw : NULL, &g);
	explicit_bzero(pw, sizeof pw);
	if (rc == -1)
		return cli_fail(c);
	grant_print(c, "name", argv[optind], &g, file != NULL,
	    "the administrator", "the administrator's ~/.pgpass");
	explicit_bzero(&g, sizeof g);
	return CLI_OK;
}

static int
cmd_db_revoke_admin(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = { CLI_COMMON_OPTS, { 0 } };
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo, );
	if ((rc = logins_begin(c, argc, argv, 1, "expected one login name",
	    EHTTP_NO_KEYS)) != 0)
		return rc;
	if (ehttp_admin_login_revoke(c->e, argv[optind]) == -1)
		return cli_fail(c);
	if (c->json)
		cj_print(c->out, json_pack("{s:o,s:b}", "name",
		    cj_str(argv[optind]), "revoked", 1));
	else
		cli_notes(c);
	return CLI_OK;
}

static int
cmd_db_list_admins(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = { CLI_COMMON_OPTS, { 0 } };
	struct db_admin_login *v = NULL;
	struct cli_list l;
	char sessions[24];
	size_t n;
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo, );
	if ((rc = logins_begin(c, argc, argv, 0, NULL, EHTTP_READONLY |
	    EHTTP_NO_KEYS)) != 0)
		return rc;
	if (ehttp_admin_login_list(c->e, &v, &n) == -1)
		return cli_fail(c);
	cli_list_begin(c, &l, 4, "Name", "Access", "Login", "Sessions");
	for (size_t i = 0; i < n; i++) {
		if (c->json) {
			cli_list_json(&l, json_pack("{s:o,s:s,s:b,s:I}",
			    "name", cj_str(v[i].name), "access",
			    v[i].read_only ? "read-only" : "full",
			    "can_login", v[i].can_login, "sessions",
			    (json_int_t)v[i].sessions));
			continue;
		}
		snprintf(sessions, sizeof sessions, "%d", v[i].sessions);
		table_add(l.t, v[i].name, v[i].read_only ? "read-only" :
		    "full", v[i].can_login ? "yes" : "NO", sessions);
	}
	cli_list_end(&l);
	free(v);
	return CLI_OK;
}

static int
cmd_db_check(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = { CLI_COMMON_OPTS, { 0 } };
	json_t *jv;
	char **v = NULL;
	size_t n = 0;
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo, );
	/* Not read-only: SQLite checks the CHECK constraints only on a
	 * connection that may write (nothing is written). */
	if ((rc = cli_begin(c, argc, argv, 0, NULL, EHTTP_NO_KEYS)) != 0)
		return rc;
	if (ehttp_db_check(c->e, &v, &n) == -1) {
		for (size_t i = 0; i < n; i++)	/* found before it failed */
			fprintf(c->err, "ehttpctl: %s\n", cli_safe(c, v[i]));
		strv_free(v, n);
		return cli_fail(c);
	}
	if (c->json) {
		jv = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(jv, cj_str(v[i]));
		cj_print(c->out, json_pack("{s:b,s:o}", "sound", n == 0,
		    "problems", jv));
	} else if (n == 0)
		fprintf(c->out, "The site database %s is sound: %s.\n",
		    cli_safe(c, ehttp_db_path(c->e)),
		    ehttp_db_is_file(ehttp_db_path(c->e)) ? "every page, index"
		    " and reference checked" : "its PostgreSQL server keeps"
		    " pages and references so as rows are written");
	else {
		fprintf(c->out, "The site database %s is damaged (%zu"
		    " problem%s):\n", cli_safe(c, ehttp_db_path(c->e)), n,
		    n == 1 ? "" : "s");
		for (size_t i = 0; i < n; i++)
			fprintf(c->out, "  %s\n", cli_safe(c, v[i]));
		fprintf(c->out, "Restore it from a backup, or mend the rows"
		    " named (sqlite3); ehttp's programs may show such rows"
		    " wrongly or not at all.\n");
	}
	strv_free(v, n);
	return n == 0 ? CLI_OK : CLI_FAIL;
}

const struct cli_cmd cli_db_cmds[] = {
	{ "db", "check", cmd_db_check, "",
	  "Check the site database whole: SQLite's own check of every page\n"
	  "and index, then every reference (a row written around ehttp, with\n"
	  "foreign keys off, may point to one that is not there). Exit 1 and\n"
	  "the problems when it is damaged." },
	{ "db", "grant-agent", cmd_db_grant_agent,
	  "FQDN [--password-file FILE]",
	  "PostgreSQL: a database login of its own for the agent of FQDN\n"
	  "(a role ehttp_agent_d<database>_s<system>) with an agent's\n"
	  "privileges only: it reads what its system serves and writes its\n"
	  "own status; never the site's keys or settings. The password is\n"
	  "made and shown once, or read from FILE (mode 0600, first line)." },
	{ "db", "revoke-agent", cmd_db_revoke_agent, "FQDN",
	  "PostgreSQL: the agent's login can no longer log in; its open\n"
	  "sessions are ended." },
	{ "db", "list-agents", cmd_db_list_agents, "",
	  "PostgreSQL: the agents' logins, whether each can log in, and its\n"
	  "open sessions." },
	{ "db", "grant-admin", cmd_db_grant_admin,
	  "NAME [--read-only] [--password-file FILE]",
	  "PostgreSQL: a database login NAME of an administrator's own, who\n"
	  "reads and changes what ehttpctl and the console do (or, with\n"
	  "--read-only, reads everything but the keys). It does not own the\n"
	  "database: upgrades and logins stay with the owner, who runs this.\n"
	  "The password is made and shown once, or read from FILE." },
	{ "db", "revoke-admin", cmd_db_revoke_admin, "NAME",
	  "PostgreSQL: the administrator's login can no longer log in; its\n"
	  "open sessions are ended." },
	{ "db", "list-admins", cmd_db_list_admins, "",
	  "PostgreSQL: the administrators' logins, their access, whether\n"
	  "each can log in, and its open sessions." },
	{ NULL, NULL, NULL, NULL, NULL }
};
