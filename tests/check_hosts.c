/*
 * check_hosts: the site on five hosts, for real. Each host is a network
 * namespace (ip netns) with its own address on one network, a bridge in a
 * sixth namespace (the hub) joining their veth links:
 *
 *   db       10.77.0.1  the PostgreSQL server (tests/pgserver.sh, listening
 *                       on that address; port chosen at start)
 *   site     10.77.0.2  ehttpctl: init --demo, enhanced HTTP on P01
 *   mp       10.77.0.3  ehttp-mpd for p01.contoso.com (P01's MP)
 *   dp       10.77.0.4  ehttp-mpd for dp1.p01.contoso.com (a DP of P01)
 *   clients  10.77.0.5  openssl s_client and curl
 *
 * No host reads another's files: each runs in its own directory (its
 * HOME), and every command in a namespace first hides the other hosts'
 * directories under an empty tmpfs (ip netns exec gives each command a
 * mount namespace of its own). What crosses between hosts the test carries
 * as an administrator would: to each agent its connection string
 * ($EHTTP_DB, no password) and credential (its ~/.pgpass), to the clients
 * the site's root certificate. The ehttp programs get no other
 * environment (env -i).
 *
 * The namespaces are named after the test process (ehttp-hosts-PID-HOST)
 * and removed by the case's once_done, in the runner's process, also after
 * a failure or a timeout; a run that was killed leaves them to the next
 * run, which removes those of processes that are gone. Where network
 * namespaces cannot be made (no CAP_SYS_ADMIN, a chroot), or PostgreSQL is
 * not installed, the test says so and checks nothing.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "xmalloc.h"

enum host { DB, SITE, MP, DP, CLIENTS, NHOSTS };
static const char *const hostname[NHOSTS] = {
	"db", "site", "mp", "dp", "clients"
};
#define NET	"10.77.0."	/* host h is NET (h + 1), a /24 */
#define SCRIPT_ENV	"EHTTP_HOSTS_SH"	/* the script a host runs */
#define OUTAGE	30		/* seconds the database server is down */
/* An agent's log, in its data directory (no XDG_DATA_HOME: in HOME). */
#define MPLOG	".local/share/ehttp/logs/mpcontrol.log"

/* The agents, each on its own host. */
static struct agent {
	enum host	 host;
	const char	*fqdn;
	pid_t		 pid;
	char		 thumb[64];	/* the certificate it should serve */
	char		 user[64];	/* its database login */
	char		*pw;
} agents[] = {
	{ MP, "p01.contoso.com", -1, "", "", NULL },
	{ DP, "dp1.p01.contoso.com", -1, "", "", NULL },
};

static char	*host_ok(enum host, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static char	 ns[NHOSTS + 1][64];	/* the namespaces; ns[NHOSTS]: hub */
static char	*root;			/* ROOT/HOST: each host's directory */
static char	*skip;			/* why there are no namespaces here */
static int	 pgport;		/* the database server's */
static char	*pgpw;			/* its superuser's password */

/* ROOT/HOST/name (name "": the directory); one of two static buffers. */
static const char *
hpath(enum host h, const char *name)
{
	static char buf[2][4200];
	static int n;

	n = !n;
	snprintf(buf[n], sizeof buf[n], "%s/%s%s%s", root, hostname[h],
	    *name != '\0' ? "/" : "", name);
	return buf[n];
}

/*
 * What host h runs for body: the other hosts' directories hidden, in its
 * own directory with HOME there. In $SCRIPT_ENV for HOST_CMD (never quoted
 * into a command line); malloc'ed.
 */
static char *
host_script(enum host h, const char *body)
{
	char hide[4096] = "", *script;
	size_t len = 0;

	for (int o = 0; o < NHOSTS; o++)
		if (o != (int)h)
			len += (size_t)snprintf(hide + len, sizeof hide - len,
			    " '%s'", hpath(o, ""));
	ck_assert_uint_lt(len, sizeof hide);
	xasprintf(&script, "for o in%s; do mount -t tmpfs -o size=16k,mode=0700"
	    " hidden \"$o\" || exit 97; done; cd '%s' || exit 97;"
	    " export HOME=\"$PWD\"; %s", hide, hpath(h, ""), body);
	return script;
}

/* The command line that runs $SCRIPT_ENV on the host whose namespace is
 * "$1". */
#define HOST_CMD \
	"exec ip netns exec \"$1\" sh -c 'eval \"$" SCRIPT_ENV "\"'"

/* A shell script run on host h (host_script), as tu_sh runs one. */
static int __attribute__((format(printf, 4, 0)))
host_vsh(enum host h, char **out, char **err, const char *fmt, va_list ap)
{
	char *body, *script, *argv[] = { "/bin/sh", "-c", HOST_CMD, "sh",
	    ns[h], NULL };
	int rc;

	xvasprintf(&body, fmt, ap);
	script = host_script(h, body);
	setenv(SCRIPT_ENV, script, 1);
	rc = tu_run(argv, out, err);
	unsetenv(SCRIPT_ENV);
	free(script);
	free(body);
	return rc;
}

/* host_vsh asserted to exit 0; its standard output (malloc'ed). */
static char *
host_ok(enum host h, const char *fmt, ...)
{
	char *out = NULL, *err = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = host_vsh(h, &out, &err, fmt, ap);
	va_end(ap);
	ck_assert_msg(rc == 0, "on %s: exit %d: %s%s", hostname[h], rc, out,
	    err);
	free(err);
	return out;
}

/* What host h said (out, freed) asserted to be want. host_is: host_ok's
 * whole output. */
static void
host_said(enum host h, char *out, const char *want)
{
	ck_assert_msg(strcmp(out, want) == 0, "on %s: said '%s', want '%s'",
	    hostname[h], out, want);
	free(out);
}
#define host_is(h, want, ...)	host_said((h), host_ok((h), __VA_ARGS__), \
				    (want))

/* What every ehttp program starts with: its host's HOME, a PATH, the
 * sanitizers' options, and nothing else. */
#define PROG_ENV "env -i PATH=/usr/bin:/bin HOME=\"$HOME\"" \
	" ${ASAN_OPTIONS+\"ASAN_OPTIONS=$ASAN_OPTIONS\"}" \
	" ${UBSAN_OPTIONS+\"UBSAN_OPTIONS=$UBSAN_OPTIONS\"}"

/* The connection string of the site database without a password (the
 * host's ~/.pgpass has it). */
static const char *
db_url(const char *user)
{
	static char buf[256];

	snprintf(buf, sizeof buf, "postgresql://%s@" NET "1:%d/cm_p01", user,
	    pgport);
	return buf;
}

/* A login to database dbname ("*": any) for host h's ~/.pgpass (0600),
 * written by the administrator. */
static void
give_login(enum host h, const char *dbname, const char *user, const char *pw)
{
	char line[512];
	int n;

	n = snprintf(line, sizeof line, NET "1:%d:%s:%s:%s\n", pgport, dbname,
	    user, pw);
	tu_write_file_mode(hpath(h, ".pgpass"), line, (size_t)n, 0600);
}

/* ehttpctl ARGS on the site host; its standard output (malloc'ed). */
static char *
ctl(const char *args)
{
	return host_ok(SITE, PROG_ENV " EHTTP_DB='%s' '%s' %s",
	    db_url("postgres"), tu_bin("ehttpctl"), args);
}

/* A field ("id", "thumbprint") of fqdn's one active role certificate, as
 * ehttpctl cert list --json says (python3's json reads it); malloc'ed. */
static char *
active_cert(const char *fqdn, const char *field)
{
	char args[256], expr[256], *out, *v;

	snprintf(args, sizeof args, "cert list --type role --system %s --json",
	    fqdn);
	snprintf(expr, sizeof expr, "(lambda a: a[0] if len(a) == 1 else"
	    " 'not one: %%r' %% a)([c['%s'] for c in d if c['state'] =="
	    " 'active'])", field);
	out = ctl(args);
	v = tu_py_json(out, expr);
	free(out);
	ck_assert_msg(strncmp(v, "not one", 7) != 0, "%s: %s", fqdn, v);
	return v;
}

/* The certificate the agent should serve: its one active one. */
static void
expect_active(struct agent *a)
{
	char *v = active_cert(a->fqdn, "thumbprint");

	ck_assert_uint_eq(strlen(v), 40);
	snprintf(a->thumb, sizeof a->thumb, "%s", v);
	free(v);
}

/* Waits up to secs for text in the agent's mpcontrol.log (asserted). */
static void
log_waits(const struct agent *a, const char *text, int secs)
{
	char what[300];

	snprintf(what, sizeof what, "%s's mpcontrol.log", a->fqdn);
	tu_file_waits(hpath(a->host, MPLOG), what, text, secs);
}

/* How many times the agent's mpcontrol.log says text. */
static int
log_count(const struct agent *a, const char *text)
{
	char *s = tu_read_file(hpath(a->host, MPLOG), NULL);
	int n;

	ck_assert_ptr_nonnull(s);
	n = tu_count(s, text);
	free(s);
	return n;
}

/*
 * The agent, as a client on the clients host sees it: openssl s_client
 * verifies its chain to the site's root and its name; the certificate it
 * served is the one ehttpctl reports (SHA-1 thumbprint); curl, also
 * verifying, gets the site's root from it (?MPCERT: the same certificate
 * as root.pem).
 */
static void
serves(const struct agent *a)
{
	char want[256];

	snprintf(want, sizeof want, "rc=0\nVerify return code: 0 (ok)\n%s\n"
	    "200\nthe root\n", a->thumb);
	host_is(CLIENTS, want, "openssl s_client -connect " NET "%d:443"
	    " -servername %s -verify_return_error -CAfile root.pem"
	    " -verify_hostname %s </dev/null >tls.out 2>&1; echo \"rc=$?\";"
	    " grep -o 'Verify return code: .*' tls.out | tail -n 1;"
	    " openssl x509 -in tls.out -noout -fingerprint -sha1 |"
	    " sed 's/.*=//; s/://g';"
	    " curl -sS --cacert root.pem --resolve %s:443:" NET "%d -o mpcert"
	    " -w '%%{http_code}\\n' 'https://%s/SMS_MP/.sms_aut?MPCERT';"
	    " [ \"$(openssl x509 -in mpcert -noout -fingerprint -sha256)\" ="
	    " \"$(openssl x509 -in root.pem -noout -fingerprint -sha256)\" ] &&"
	    " echo the root", (int)a->host + 1, a->fqdn, a->fqdn, a->fqdn,
	    (int)a->host + 1, a->fqdn);
}

/*
 * The agent enrolled: its key pair made on its own host (ehttp-mpd
 * --enroll prints the fingerprint), approved on the site host with that
 * fingerprint; the keys it serves are then sealed to it, and no file ever
 * goes from the site host to it (no master key: asserted).
 */
static void
agent_enroll(struct agent *a)
{
	char *out, *p, args[512];

	out = host_ok(a->host, PROG_ENV " EHTTP_DB='%s' '%s' --system '%s'"
	    " --enroll", db_url(a->user), tu_bin("ehttp-mpd"), a->fqdn);
	ck_assert_msg((p = strstr(out, "Fingerprint (SHA-256): ")) != NULL,
	    "%s", out);
	snprintf(args, sizeof args, "agent approve %s --fingerprint %.64s",
	    a->fqdn, p + 23);
	free(out);
	free(ctl(args));
	/* Its data directory holds its enrollment file, nothing else. */
	snprintf(args, sizeof args, "enroll-%s.pem\n", a->fqdn);
	host_is(a->host, args, "ls -A '%s'", hpath(a->host,
	    ".local/share/ehttp"));
}

/*
 * The agent's database login, made on the site host (ehttpctl db
 * grant-agent FQDN): a PostgreSQL role of its own, with an agent's
 * privileges only; its name and the password (shown once) go to the
 * agent's host, its ~/.pgpass.
 */
static void
agent_login(struct agent *a)
{
	char args[512], *out, *v;

	snprintf(args, sizeof args, "db grant-agent %s --json", a->fqdn);
	out = ctl(args);
	v = tu_py_json(out, "d['role']");
	snprintf(a->user, sizeof a->user, "%s", v);
	free(v);
	free(a->pw);
	a->pw = tu_py_json(out, "d['password']");
	free(out);
}

/*
 * The agent started on its host with its connection string (no password)
 * and its login (its ~/.pgpass), in its own empty directory, on ports 443
 * and 80 of its address, polling every second; returns once it says it
 * started (asserted).
 */
static void
agent_start(struct agent *a)
{
	const char *log;
	char *body, *script, *s = NULL;

	agent_login(a);
	give_login(a->host, "cm_p01", a->user, a->pw);
	/* Its host cannot see the site's files. */
	host_is(a->host, "0\n", "ls -A '%s' | wc -l", hpath(SITE, ""));
	agent_enroll(a);
	xasprintf(&body, "exec " PROG_ENV " EHTTP_DB='%s' '%s' --system '%s'"
	    " --poll 1 --foreground </dev/null >agent.out 2>&1",
	    db_url(a->user), tu_bin("ehttp-mpd"), a->fqdn);
	script = host_script(a->host, body);
	setenv(SCRIPT_ENV, script, 1);
	if ((a->pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", HOST_CMD, "sh", ns[a->host],
		    (char *)NULL);
		_exit(127);
	}
	unsetenv(SCRIPT_ENV);
	free(script);
	free(body);
	ck_assert_int_gt(a->pid, 0);
	log = hpath(a->host, MPLOG);
	for (int ms = 0; ms < 20000 && s == NULL; ms += 50) {
		if ((s = tu_read_file(log, NULL)) != NULL &&
		    strstr(s, "MP Control Manager started for") == NULL) {
			free(s);
			s = NULL;
		}
		ck_assert_msg(waitpid(a->pid, NULL, WNOHANG) == 0, "the agent"
		    " for %s exited: %s", a->fqdn, tu_read_file(hpath(a->host,
		    "agent.out"), NULL));
		if (s == NULL)
			tu_msleep(50);
	}
	ck_assert_msg(s != NULL, "the agent for %s did not start", a->fqdn);
	free(s);
}

/* The namespaces' names as shell words. */
static const char *
ns_words(void)
{
	static char buf[1024];
	size_t len = 0;

	for (int h = 0; h <= NHOSTS; h++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, " '%s'",
		    ns[h]);
	return buf;
}

/*
 * Everything of the run gone, whatever state it was left in: the database
 * server stopped (a killed one too: pgserver.sh stop clears its shared
 * memory), every process on the hosts killed, the namespaces (and so their
 * links) deleted, the directories removed. From the test and from the
 * runner's once_done; quiet, never asserted (see the test's end).
 */
static void
hosts_down(void)
{
	if (root == NULL)
		return;
	tu_sh(NULL, NULL, "if [ -f '%s/db/data/PG_VERSION' ]; then"
	    " PGSERVER_LISTEN=" NET "1 ip netns exec '%s'"
	    " sh '%s/tests/pgserver.sh' stop '%s/db'; fi;"
	    " pids() { for n in %s; do ip netns pids \"$n\"; done"
	    " 2>/dev/null; }; pids | xargs -r kill -9; i=0;"
	    " while [ -n \"$(pids)\" ] && [ $i -lt 100 ]; do sleep 0.1;"
	    " i=$((i + 1)); done; for n in %s; do ip netns del \"$n\"; done",
	    root, ns[DB], EHTTP_SRCDIR, root, ns_words(), ns_words());
	for (size_t i = 0; i < TU_ALL(agents); i++) {
		if (agents[i].pid > 0) {
			waitpid(agents[i].pid, NULL, 0);
			agents[i].pid = -1;
		}
		free(agents[i].pw);
		agents[i].pw = NULL;
	}
	tu_tmpdir_free(root);
	root = NULL;
	free(pgpw);
	pgpw = NULL;
}

/*
 * The case's once, in the runner's process: the names (after its pid),
 * those of runs whose process is gone removed, and whether network
 * namespaces can be made here (the hub is made: skip says why not).
 */
static void
hosts_once(void)
{
	char *err = NULL;
	int rc;

	for (int h = 0; h <= NHOSTS; h++)
		snprintf(ns[h], sizeof ns[h], "ehttp-hosts-%d-%s",
		    (int)getpid(), h < NHOSTS ? hostname[h] : "hub");
	if (getenv("EHTTP_TEST_NO_NETNS") != NULL) {
		skip = xstrdup("EHTTP_TEST_NO_NETNS is set");
		return;
	}
	tu_sh(NULL, NULL, "ip netns list 2>/dev/null | while read -r n _; do"
	    " case $n in ehttp-hosts-*-*) ;; *) continue ;; esac;"
	    " p=${n#ehttp-hosts-}; p=${p%%%%-*}; kill -0 \"$p\" 2>/dev/null &&"
	    " continue; ip netns pids \"$n\" | xargs -r kill -9;"
	    " ip netns del \"$n\"; done");
	rc = tu_sh(NULL, &err, "unshare -n true && ip netns add '%s' &&"
	    " ip netns exec '%s' ip link set lo up", ns[NHOSTS], ns[NHOSTS]);
	if (rc != 0) {
		xasprintf(&skip, "%s", err != NULL && *err != '\0' ?
		    tu_line1(err) : "unshare -n or ip netns failed");
		tu_sh(NULL, NULL, "ip netns del '%s' 2>/dev/null", ns[NHOSTS]);
	} else {
		/* The server runs as an unprivileged user (pgserver.sh). */
		root = tu_tmpdir();
		if (chmod(root, 0711) == -1)
			xasprintf(&skip, "cannot chmod %s", root);
	}
	free(err);
}

/* The hosts on their network: a bridge in the hub, a veth link from it
 * to each host (eth0 there, its address), lo up; the hosts' directories. */
static void
hosts_up(void)
{
	for (int h = 0; h < NHOSTS; h++)
		ck_assert_int_eq(mkdir(hpath(h, ""), 0700), 0);
	free(tu_sh_ok("ip -n '%s' link add br0 type bridge &&"
	    " ip -n '%s' link set br0 up", ns[NHOSTS], ns[NHOSTS]));
	for (int h = 0; h < NHOSTS; h++)
		free(tu_sh_ok("set -e; hub='%s' n='%s' h='%s';"
		    " ip netns add \"$n\"; ip -n \"$n\" link set lo up;"
		    " ip -n \"$hub\" link add \"$h\" type veth peer name eth0"
		    " netns \"$n\";"
		    " ip -n \"$hub\" link set \"$h\" master br0 up;"
		    " ip -n \"$n\" addr add " NET "%d/24 dev eth0;"
		    " ip -n \"$n\" link set eth0 up", ns[NHOSTS], ns[h],
		    hostname[h], h + 1));
}

static void
hosts_once_done(void)
{
	hosts_down();
	tu_sh(NULL, NULL, "for n in %s; do ip netns del \"$n\"; done"
	    " 2>/dev/null", ns_words());
	free(skip);
	skip = NULL;
}

/* Sleeps until secs after t0 (CLOCK_MONOTONIC). */
static void
sleep_until(const struct timespec *t0, int secs)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = secs * 1000L - ((now.tv_sec - t0->tv_sec) * 1000L +
	    (now.tv_nsec - t0->tv_nsec) / 1000000L);
	if (ms > 0)
		tu_msleep((int)ms);
}

#define OUTAGE_LINE	"Cannot read the site database (will retry at the" \
	" next poll)"
#define BACK_LINE	"The site database can be read again"

/* The database server started (or started again) on its host's address:
 * its superuser's port. */
static int
db_server_start(void)
{
	char *out = host_ok(DB, "PGSERVER_LISTEN=" NET "1 sh"
	    " '%s/tests/pgserver.sh' start \"$PWD\"", EHTTP_SRCDIR), *colon;
	int port;

	colon = strrchr(tu_line1(out), ':');
	ck_assert_ptr_nonnull(colon);
	port = atoi(colon + 1);
	free(out);
	return port;
}

/* The database server on its host's address, its superuser's port and
 * password known to the administrator (the test). 0: PostgreSQL is not
 * installed (said). */
static int
db_start(void)
{
	const char *why;

	if (!tu_pg_installed(&why)) {
		fprintf(stderr, "hosts: skipped: %s", why);
		return 0;
	}
	pgport = db_server_start();
	ck_assert_int_gt(pgport, 0);
	free(pgpw);
	pgpw = tu_read_file(hpath(DB, "pw"), NULL);
	ck_assert_ptr_nonnull(pgpw);
	return 1;
}

/* The database server killed (no shutdown), or started again on its
 * port. */
static void
db_kill(void)
{
	free(host_ok(DB, "PGSERVER_LISTEN=" NET "1 sh '%s/tests/pgserver.sh'"
	    " kill \"$PWD\"", EHTTP_SRCDIR));
}

static void
db_restart(void)
{
	ck_assert_int_eq(db_server_start(), pgport);
}

/* The site: its database made on the server, the demo, P01 enhanced;
 * the site's root exported and carried to the clients. */
static void
site_setup(void)
{
	char *id, *pem, args[128];
	size_t len;

	give_login(SITE, "*", "postgres", pgpw);
	free(host_ok(SITE, "psql -qAt 'postgresql://postgres@" NET "1:%d/"
	    "postgres' -c 'CREATE DATABASE cm_p01'", pgport));
	free(ctl("init --demo"));
	free(ctl("site set P01 --enhanced-http on"));
	id = ctl("cert list --type root --site P01 --json");
	pem = tu_py_json(id, "[c['id'] for c in d if c['state'] =="
	    " 'active'][0]");
	snprintf(args, sizeof args, "cert export %s --out root.pem", pem);
	free(ctl(args));
	free(pem);
	free(id);
	pem = tu_read_file(hpath(SITE, "root.pem"), &len);
	ck_assert_ptr_nonnull(pem);
	tu_write_file(hpath(CLIENTS, "root.pem"), pem, len);
	free(pem);
}

/*
 * A client on the clients' host registers with the MP (approved at once by
 * a bulk registration token the site made) and gets a CCM token: the MP
 * wrote the registration with its own login and signed the token with the
 * key sealed to it; python3-jwt verifies it against the site's SMS Token
 * Signing certificate.
 */
static void
client_registers(const struct agent *mp)
{
	char *out, *id, args[256];
	size_t len;

	free(ctl("token new --out bulk"));
	out = ctl("cert list --type token --site P01 --json");
	id = tu_py_json(out, "[c['id'] for c in d if c['state'] == 'active'][0]");
	snprintf(args, sizeof args, "cert export %s --out signer.pem", id);
	free(ctl(args));
	free(id);
	free(out);
	for (int i = 0; i < 2; i++) {
		const char *f = i == 0 ? "bulk" : "signer.pem";

		out = tu_read_file(hpath(SITE, f), &len);
		ck_assert_ptr_nonnull(out);
		tu_write_file(hpath(CLIENTS, f), out, len);
		free(out);
	}
	out = host_ok(CLIENTS, "'%s' register --mp %s:443 --connect " NET "%d"
	    " --root root.pem --state c1 --bulk-token bulk --name W1"
	    " --timeout 10 && '%s' token --mp %s:443 --connect " NET "%d"
	    " --root root.pem --state c1 --timeout 10 && openssl x509 -in"
	    " signer.pem -outform DER -out signer.der && %s '%s/tests/wire.py'"
	    " jwt-verify c1/token signer.der", tu_bin("ehttp-client"),
	    mp->fqdn, (int)mp->host + 1, tu_bin("ehttp-client"), mp->fqdn,
	    (int)mp->host + 1, tu_python(), EHTTP_SRCDIR);
	tu_has(out, "approval approved", "CCM token valid until",
	    "\"Type\": \"CCMToken\"", NULL);
	free(out);
}

/*
 * Two agents on hosts of their own, each with only a connection string
 * and a login, serve the certificates the site issued them to clients on
 * a fifth host; the database server killed for 30 s: both keep serving,
 * say so once, read the database again after it is back, and then pick
 * up a change made on the site host (a renewed certificate: served; a
 * blocked one: HTTPS stops, HTTP goes on). Nothing is left afterwards.
 */
START_TEST(agents_on_their_own_hosts)
{
	struct agent *mp = &agents[0], *dp = &agents[1];
	struct timespec t0;
	char args[128], *id, *left;

	if (skip != NULL) {
		fprintf(stderr, "hosts: skipped: cannot create network"
		    " namespaces here: %s\n", skip);
		return;
	}
	hosts_up();
	if (!db_start()) {
		hosts_down();
		return;
	}
	site_setup();
	for (size_t i = 0; i < TU_ALL(agents); i++) {
		expect_active(&agents[i]);
		agent_start(&agents[i]);
		serves(&agents[i]);
	}

	/* The database server down for OUTAGE seconds. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	db_kill();
	for (size_t i = 0; i < TU_ALL(agents); i++)
		log_waits(&agents[i], OUTAGE_LINE, 5);
	sleep_until(&t0, OUTAGE / 2);
	for (size_t i = 0; i < TU_ALL(agents); i++)
		serves(&agents[i]);
	sleep_until(&t0, OUTAGE);
	for (size_t i = 0; i < TU_ALL(agents); i++) {
		struct agent *a = &agents[i];
		int n = log_count(a, OUTAGE_LINE);

		ck_assert_int_eq(waitpid(a->pid, NULL, WNOHANG), 0);
		/* Once for each cause (the connection cut, then refused),
		 * not at each poll. */
		ck_assert_msg(n >= 1 && n <= 2, "%s: %d outage lines", a->fqdn,
		    n);
		ck_assert_int_eq(log_count(a, BACK_LINE), 0);
	}
	db_restart();
	for (size_t i = 0; i < TU_ALL(agents); i++)
		log_waits(&agents[i], BACK_LINE, 3);

	client_registers(mp);

	/* Changes made on the site host. */
	id = active_cert(mp->fqdn, "id");
	snprintf(args, sizeof args, "cert renew %s", id);
	free(ctl(args));
	free(id);
	expect_active(mp);
	log_waits(mp, mp->thumb, 3);
	serves(mp);
	id = active_cert(dp->fqdn, "id");
	snprintf(args, sizeof args, "cert block %s", id);
	free(ctl(args));
	free(id);
	log_waits(dp, "Stopped serving HTTPS on port 443", 3);
	host_is(CLIENTS, "https 7, http 200\n", "curl -s --cacert root.pem"
	    " --resolve %s:443:" NET "%d -o /dev/null 'https://%s/'; a=$?;"
	    " b=$(curl -s -o /dev/null -w '%%{http_code}'"
	    " 'http://" NET "%d/SMS_MP/.sms_aut?MPLIST');"
	    " echo \"https $a, http $b\"", dp->fqdn, DP + 1, dp->fqdn, DP + 1);

	/* Stopped cleanly; then nothing of the run is left. */
	for (size_t i = 0; i < TU_ALL(agents); i++) {
		int status;

		ck_assert_int_eq(kill(agents[i].pid, SIGTERM), 0);
		ck_assert_int_eq(waitpid(agents[i].pid, &status, 0),
		    agents[i].pid);
		agents[i].pid = -1;
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "%s: status %d", agents[i].fqdn, status);
	}
	hosts_down();
	left = tu_sh_ok("ip netns list | grep -c '^%.*s' || true",
	    (int)(strrchr(ns[0], '-') - ns[0] + 1), ns[0]);
	ck_assert_msg(atoi(left) == 0, "namespaces left: %s", left);
	free(left);
}
END_TEST

Suite *
hosts_suite(void)
{
	static const struct tu_fixture fx = { .timeout = 150,
	    .once = hosts_once, .once_done = hosts_once_done };
	const struct tu_test tests[] = {
		TU_CASE("hosts", fx),
		TU_TEST(agents_on_their_own_hosts),
		{ 0 }
	};

	return tu_suite("hosts", tests);
}
