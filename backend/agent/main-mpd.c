/* ehttp-mpd: the management-point agent for one site system (mpd.h). */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "ehttp.h"
#include "mpd.h"
#include "prog.h"
#include "xmalloc.h"

#define PROG	"ehttp-mpd"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: ehttp-mpd [--db PATH] --system FQDN [--https ADDR:PORT]\n"
"                 [--http ADDR:PORT] [--log-dir DIR] [--poll SECONDS]\n"
"                 [--check SECONDS] [--ca-file PEM] [--pid-file PATH]\n"
"                 [--log-max-size BYTES] [--user NAME]\n"
"                 [--handshake-timeout SECONDS] [--header-timeout SECONDS]\n"
"                 [--max-connections N] [--foreground]\n"
"\n"
"The management-point agent of one site system: serves its site-issued\n"
"(or PKI) certificate over TLS, checks its own health and writes\n"
"mpcontrol.log. Both ports answer GET /SMS_MP/.sms_aut?MPLIST (the site's\n"
"management points, XML) and ?MPCERT (the site's SMS Issuing root, PEM).\n"
"\n"
"  --db PATH          the site database (default: as ehttpctl; now %s)\n"
"  --system FQDN      the site system this agent runs for\n"
"  --https ADDR:PORT  the TLS address (default %s); PORT alone listens\n"
"                     on all IPv4 addresses, [IPv6]:PORT for IPv6, port 0\n"
"                     lets the system choose (see 'ehttpctl system show')\n"
"  --http ADDR:PORT   the HTTP address (default %s)\n"
"  --log-dir DIR      where mpcontrol.log goes (default: the database's\n"
"                     directory + /logs)\n"
"  --poll SECONDS     read the site database every SECONDS (default %d)\n"
"  --check SECONDS    health-check over TLS every SECONDS (default %d)\n"
"  --ca-file PEM      more trusted roots for the health check (the issuers\n"
"                     of PKI certificates); the site's SMS Issuing root is\n"
"                     always trusted\n"
"  --pid-file PATH    default: the database's directory +\n"
"                     /ehttp-mpd-FQDN.pid\n"
"  --log-max-size N   roll mpcontrol.log to mpcontrol.lo_ at N bytes\n"
"                     (default %zu; 0: never)\n"
"  --user NAME        started as root: open the database and the log as\n"
"                     NAME, bind the ports, then run as NAME with no\n"
"                     privileges left (NAME needs read-write access to\n"
"                     the database, its directory and the log directory,\n"
"                     read access to the master key). Started as another\n"
"                     user it needs no option: ports >= 1024 need no root\n"
"  --handshake-timeout SECONDS\n"
"                     a TLS handshake must be done within (default %d)\n"
"  --header-timeout SECONDS\n"
"                     each request's headers must be in within (default\n"
"                     %d; also how long a kept-alive connection may idle)\n"
"  --max-connections N\n"
"                     open connections at most, both ports together\n"
"                     (default %d); more are closed at once\n"
"  --foreground       stay attached; warnings and errors also to stderr\n"
"\n"
"One agent serves a site system: a second one for the same FQDN (on any\n"
"host, with any --log-dir) refuses to start while the first renews its\n"
"lease in the database at each poll; a lease not renewed for 3 polls (or\n"
"of an agent gone from this host) is taken over. A database file replaced\n"
"(a restore with mv) is reopened at the next poll.\n"
"\n"
"Signals: SIGTERM or SIGINT stop it cleanly, SIGHUP polls at once.\n"
"Exit status: 0 stopped cleanly, 1 failure (the reason on stderr; also\n"
"when another agent took its site system over), 2 usage.\n",
	    ehttp_default_db(), MPD_HTTPS_DEFAULT, MPD_HTTP_DEFAULT,
	    MPD_POLL_DEFAULT, MPD_CHECK_DEFAULT, MPD_LOG_MAX_DEFAULT,
	    MPD_HANDSHAKE_DEFAULT, MPD_HEADER_DEFAULT, MPD_MAX_CONNS_DEFAULT);
}

/* A message that may quote untrusted text (names, paths): escaped. */
static void
say(const char *msg)
{
	prog_say(PROG, msg);
}

#define STR_(x)	#x
#define STR(x)	STR_(x)
#define SECONDS	"a number of seconds from 1 to " STR(MPD_INTERVAL_MAX)

/* An absolute path (the daemon changes to /). Caller frees. */
static char *
absolute(const char *p)
{
	char cwd[PATH_MAX], *out;

	if (p[0] == '/' || getcwd(cwd, sizeof cwd) == NULL) {
		out = xstrdup(p);
		return out;
	}
	xasprintf(&out, "%s/%s", cwd, p);
	return out;
}

static char *
dir_of(const char *p)
{
	const char *slash = strrchr(p, '/');
	if (slash == NULL)
		return xstrdup(".");
	if (slash == p)
		return xstrdup("/");
	return xstrndup(p, (size_t)(slash - p));
}

/* The pid file, locked while the agent runs: a second agent for the same
 * pid file is refused. 0, or -1 with *cause. */
static int
pidfile_open(const char *path, char **cause)
{
	char buf[32];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0640)) == -1) {
		xasprintf(cause, "pid file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		n = read(fd, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		xasprintf(cause, "another ehttp-mpd (pid %s) holds the pid"
		    " file %s", buf[0] ? buf : "?", path);
		close(fd);
		return -1;
	}
	n = snprintf(buf, sizeof buf, "%d\n", (int)getpid());
	if (ftruncate(fd, 0) == -1 || write(fd, buf, n) != n) {
		xasprintf(cause, "pid file %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void
pidfile_close(int fd, const char *path)
{
	if (fd == -1)
		return;
	unlink(path);
	close(fd);
}

/* Detach; the parent waits until the child reports "started" or why it
 * failed, so errors still reach the terminal. Returns the report pipe in
 * the child; the parent exits. */
static int
daemonize(void)
{
	char buf[1024];
	int p[2], status;
	ssize_t n, len = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) == -1) {
		fprintf(stderr, "ehttp-mpd: pipe: %s\n", strerror(errno));
		exit(1);
	}
	if ((pid = fork()) == -1) {
		fprintf(stderr, "ehttp-mpd: fork: %s\n", strerror(errno));
		exit(1);
	}
	if (pid == 0) {
		close(p[0]);
		setsid();
		return p[1];
	}
	close(p[1]);
	while ((n = read(p[0], buf + len, sizeof buf - 1 - len)) > 0 ||
	    (n == -1 && errno == EINTR))
		if (n > 0)
			len += n;
	buf[len] = '\0';
	if (len > 0 && strncmp(buf, "OK ", 3) == 0) {
		printf("ehttp-mpd: started, pid %s\n", buf + 3);
		exit(0);
	}
	if (len > 0) {
		say(buf);
		exit(1);
	}
	waitpid(pid, &status, 0);
	fprintf(stderr, "ehttp-mpd: the agent exited during start-up\n");
	exit(1);
}

static void
report(int fd, const char *msg)
{
	size_t len = strlen(msg);

	if (fd == -1)
		return;
	/* A short write: the parent reports a silent exit. */
	(void)!write(fd, msg, len);
	close(fd);
}

static void
detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd == -1)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	(void)!chdir("/");
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "system", required_argument, NULL, 's' },
		{ "https", required_argument, NULL, 'S' },
		{ "http", required_argument, NULL, 'H' },
		{ "log-dir", required_argument, NULL, 'l' },
		{ "poll", required_argument, NULL, 'p' },
		{ "check", required_argument, NULL, 'c' },
		{ "ca-file", required_argument, NULL, 'a' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "log-max-size", required_argument, NULL, 'm' },
		{ "user", required_argument, NULL, 'u' },
		{ "handshake-timeout", required_argument, NULL, 'T' },
		{ "header-timeout", required_argument, NULL, 'R' },
		{ "max-connections", required_argument, NULL, 'C' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 } };
	struct mpd_config cfg = { .poll_s = MPD_POLL_DEFAULT,
		.check_s = MPD_CHECK_DEFAULT, .log_max = MPD_LOG_MAX_DEFAULT,
		.handshake_s = MPD_HANDSHAKE_DEFAULT,
		.header_s = MPD_HEADER_DEFAULT,
		.max_conns = MPD_MAX_CONNS_DEFAULT };
	const char *db = NULL, *fqdn_in = NULL, *https = MPD_HTTPS_DEFAULT;
	const char *http = MPD_HTTP_DEFAULT, *log_dir = NULL, *ca = NULL;
	const char *pid_path = NULL;
	char *db_abs = NULL, *dir = NULL, *log_abs = NULL, *ca_abs = NULL;
	char *pid_abs = NULL, *cause = NULL, fqdn[256], why[256], msg[64];
	struct mpd *m = NULL;
	sigset_t stops;
	int ch, foreground = 0, rc = 1, pidfd = -1, repfd = -1;
	/* The whole-number options from 1 up. */
	const struct {
		int			 ch;
		const char		*name;
		int			*to;
		unsigned long long	 hi;
		const char		*must;
	} ints[] = {
		{ 'p', "poll", &cfg.poll_s, MPD_INTERVAL_MAX, SECONDS },
		{ 'c', "check", &cfg.check_s, MPD_INTERVAL_MAX, SECONDS },
		{ 'T', "handshake-timeout", &cfg.handshake_s, MPD_INTERVAL_MAX,
		  SECONDS },
		{ 'R', "header-timeout", &cfg.header_s, MPD_INTERVAL_MAX,
		  SECONDS },
		{ 'C', "max-connections", &cfg.max_conns, MPD_MAX_CONNS_MAX,
		  "a number from 1 to " STR(MPD_MAX_CONNS_MAX) },
	};
	unsigned long long v;
	size_t i;

	prog_start(PROG);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "hV", lo, NULL)) != -1) {
		switch (ch) {
		case 'D': db = optarg; break;
		case 's': fqdn_in = optarg; break;
		case 'S': https = optarg; break;
		case 'H': http = optarg; break;
		case 'l': log_dir = optarg; break;
		case 'a': ca = optarg; break;
		case 'P': pid_path = optarg; break;
		case 'f': foreground = 1; break;
		case 'u':
			if (*optarg == '\0')
				return prog_usage(PROG, "%s",
				    "--user needs a user name");
			cfg.user = optarg;
			break;
		case 'm':
			if (prog_number_option(PROG, "log-max-size", optarg, 0,
			    SIZE_MAX, "a number of bytes", &v) == -1)
				return PROG_EXIT_USAGE;
			cfg.log_max = (size_t)v;
			break;
		default:
			if (prog_help_version(ch, PROG, usage, stdout))
				return 0;
			for (i = 0; i < sizeof ints / sizeof *ints &&
			    ints[i].ch != ch; i++)
				;
			if (i == sizeof ints / sizeof *ints)
				return prog_usage(PROG, "unknown or incomplete"
				    " option '%s'", argv[optind - 1]);
			if (prog_number_option(PROG, ints[i].name, optarg, 1,
			    ints[i].hi, ints[i].must, &v) == -1)
				return PROG_EXIT_USAGE;
			*ints[i].to = (int)v;
			break;
		}
	}
	if (optind != argc)
		return prog_usage(PROG, "unexpected argument '%s'",
		    argv[optind]);
	if (fqdn_in == NULL)
		return prog_usage(PROG, "%s", "--system FQDN is required");
	if (rules_fqdn(fqdn_in, fqdn, why, sizeof why) == -1)
		return prog_usage(PROG, "%s", why);
	if (mpd_addr_parse(https, &cfg.https, &cause) == -1 ||
	    mpd_addr_parse(http, &cfg.http, &cause) == -1) {
		rc = prog_usage(PROG, "%s", cause);
		free(cause);
		return rc;
	}

	if (cfg.https.len == cfg.http.len && strcmp(cfg.https.text,
	    cfg.http.text) == 0 && strcmp(strrchr(cfg.https.text, ':'),
	    ":0") != 0)
		return prog_usage(PROG, "--https and --http are both %s: they"
		    " need two ports", cfg.https.text);

	db_abs = absolute(db != NULL ? db : ehttp_default_db());
	dir = dir_of(db_abs);
	if (log_dir != NULL)
		log_abs = absolute(log_dir);
	else
		xasprintf(&log_abs, "%s/logs", dir);
	if (pid_path != NULL)
		pid_abs = absolute(pid_path);
	else
		xasprintf(&pid_abs, "%s/ehttp-mpd-%s.pid", dir, fqdn);
	if (ca != NULL)
		ca_abs = absolute(ca);
	cfg.db_path = db_abs;
	cfg.fqdn = fqdn;
	cfg.log_dir = log_abs;
	cfg.ca_file = ca_abs;
	cfg.echo = foreground;

	/* Writing to a closed connection is an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	if (!foreground)
		repfd = daemonize();
	/* A stop signal during start-up waits until the agent handles it
	 * (mpd_new sets that up), so it still stops cleanly. */
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGHUP);
	sigprocmask(SIG_BLOCK, &stops, NULL);
	if ((pidfd = pidfile_open(pid_abs, &cause)) == -1 ||
	    (m = mpd_new(&cfg, &cause)) == NULL) {
		if (repfd != -1)
			report(repfd, cause);
		else
			say(cause);
		goto out;
	}
	if (repfd != -1) {
		snprintf(msg, sizeof msg, "OK %d", (int)getpid());
		report(repfd, msg);
		detach_stdio();
	}
	sigprocmask(SIG_UNBLOCK, &stops, NULL);
	rc = mpd_run(m);
out:
	mpd_free(m);
	pidfile_close(pidfd, pid_abs);
	libevent_global_shutdown();
	free(cause);
	free(db_abs);
	free(dir);
	free(log_abs);
	free(pid_abs);
	free(ca_abs);
	return rc;
}
