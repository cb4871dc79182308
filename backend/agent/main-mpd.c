/* ehttp-mpd: the management-point agent for one site system (mpd.h). */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon.h"
#include "ehttp.h"
#include "mpd.h"
#include "prog.h"
#include "xmalloc.h"

#define PROG	"ehttp-mpd"

static void
usage(FILE *f)
{
	char shown[4096];

	ehttp_db_display(ehttp_default_db(), shown, sizeof shown);
	fprintf(f,
"usage: ehttp-mpd [--db PATH] --system FQDN [--https ADDR:PORT]\n"
"                 [--http ADDR:PORT] [--log-dir DIR] [--poll SECONDS]\n"
"                 [--check SECONDS] [--ca-file PEM] [--pid-file PATH]\n"
"                 [--log-max-size BYTES] [--user NAME]\n"
"                 [--handshake-timeout SECONDS] [--header-timeout SECONDS]\n"
"                 [--max-connections N] [--workers N] [--content DIR]\n"
"                 [--foreground] [--enroll] [--enroll-key FILE]\n"
"                 [--admin-rate N] [--admin-rate-total N]\n"
"       ehttp-mpd --help | --version\n"
"\n"
"The management-point agent of one site system: serves its site-issued\n"
"(or PKI) certificate over TLS, checks its own health and writes\n"
"mpcontrol.log. Both ports answer GET /SMS_MP/.sms_aut?MPLIST (the site's\n"
"management points, XML) and ?MPCERT (the site's SMS Issuing root, PEM).\n"
"A distribution point's content (its library, CONTENT/dp/FQDN/) is served\n"
"under /SMS_DP_SMSPKG$/, /NOCERT_SMS_DP_SMSPKG$/ and /CCMTOKENAUTH_*/;\n"
"requests go to smsdpcontent.log. An SMS Provider serves the administration\n"
"service (REST, OData) under /AdminService/wmi/ and /AdminService/v1.0/ over\n"
"TLS to bearer tokens ('ehttpctl admin token new'); requests go to\n"
"adminservice.log.\n"
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
"  --log-max-size BYTES\n"
"                     roll each log (mpcontrol.log and the roles' logs)\n"
"                     to NAME.lo_ at BYTES bytes (default %zu; 0: never)\n"
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
"  --workers N        threads serving connections (TLS handshakes and\n"
"                     requests; default: one a CPU, here %d)\n"
"  --content DIR      the content root (default: $EHTTP_CONTENT, else the\n"
"                     database's directory + /content)\n"
"  --foreground       stay attached; warnings and errors also to stderr\n"
"  --enroll           for a host without the site's master key: make this\n"
"                     agent's own key pair (once) in its enrollment file,\n"
"                     ask the site to enroll it, print its fingerprint and\n"
"                     exit; an administrator approves it with 'ehttpctl\n"
"                     agent approve FQDN --fingerprint ...'\n"
"  --enroll-key FILE  the enrollment file (default: the database's\n"
"                     directory, or ehttp's data directory for a\n"
"                     PostgreSQL database, + /enroll-FQDN.pem); when it is\n"
"                     there the agent is\n"
"                     enrolled: it serves the keys sealed to it and never\n"
"                     reads the master key\n"
"  --admin-rate N     administration service requests a second from one\n"
"                     client address at most (default %d); more get 429\n"
"  --admin-rate-total N\n"
"                     administration service requests a second in all at\n"
"                     most (default %d)\n"
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
	    shown, MPD_HTTPS_DEFAULT, MPD_HTTP_DEFAULT,
	    MPD_POLL_DEFAULT, MPD_CHECK_DEFAULT, MPD_LOG_MAX_DEFAULT,
	    MPD_HANDSHAKE_DEFAULT, MPD_HEADER_DEFAULT, MPD_MAX_CONNS_DEFAULT,
	    mpd_workers_default(), MPD_ADMIN_RATE_IP, MPD_ADMIN_RATE_TOTAL);
}

/* --enroll: the key pair made (or the one there used again) and the
 * request recorded; what to compare and run on the site server. */
static int
enroll_request(const char *db, const char *fqdn, const char *path)
{
	struct ehttp_enrollment en;
	struct ehttp *e;
	char *cause = NULL;
	int rc = 1;

	if ((e = ehttp_open(db, 0, &cause)) == NULL) {
		prog_say(PROG, cause);
		free(cause);
		return 1;
	}
	if (ehttp_enroll_request(e, fqdn, path, &en) == -1)
		prog_say(PROG, ehttp_error(e));
	else {
		printf("Enrollment key: %s (%s)\n", path, en.created ?
		    "new" : "existing");
		printf("Fingerprint (SHA-256): %s\n", en.fingerprint);
		if (en.approved)
			printf("Already approved: the agent can start.\n");
		else
			printf("Compare the fingerprint and approve it on the"
			    " site server:\n  ehttpctl agent approve %s"
			    " --fingerprint %s\n", fqdn, en.fingerprint);
		rc = fflush(stdout) == 0 ? 0 : 1;
	}
	ehttp_close(e);
	return rc;
}

#define STR_(x)	#x
#define STR(x)	STR_(x)
#define SECONDS	"a number of seconds from 1 to " STR(MPD_INTERVAL_MAX)

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
		{ "workers", required_argument, NULL, 'w' },
		{ "content", required_argument, NULL, 'o' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "enroll", no_argument, NULL, 'E' },
		{ "enroll-key", required_argument, NULL, 'k' },
		{ "admin-rate", required_argument, NULL, 'r' },
		{ "admin-rate-total", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 } };
	struct mpd_config cfg = { .poll_s = MPD_POLL_DEFAULT,
		.check_s = MPD_CHECK_DEFAULT, .log_max = MPD_LOG_MAX_DEFAULT,
		.handshake_s = MPD_HANDSHAKE_DEFAULT,
		.header_s = MPD_HEADER_DEFAULT,
		.max_conns = MPD_MAX_CONNS_DEFAULT,
		.admin_rate_ip = MPD_ADMIN_RATE_IP,
		.admin_rate_total = MPD_ADMIN_RATE_TOTAL };
	const char *db = NULL, *fqdn_in = NULL, *https = MPD_HTTPS_DEFAULT;
	const char *http = MPD_HTTP_DEFAULT, *log_dir = NULL, *ca = NULL;
	const char *pid_path = NULL, *content = NULL, *enroll_key = NULL;
	char *enroll_abs = NULL, *db_abs = NULL, *dir = NULL, *log_abs = NULL, *ca_abs = NULL;
	char *content_abs = NULL;
	char *pid_abs = NULL, *cause = NULL, fqdn[256], why[256];
	struct mpd *m = NULL;
	sigset_t stops;
	int ch, foreground = 0, enroll = 0, rc = 1, pidfd = -1, repfd = -1;
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
		{ 'w', "workers", &cfg.workers, MPD_WORKERS_MAX,
		  "a number from 1 to " STR(MPD_WORKERS_MAX) },
		{ 'r', "admin-rate", &cfg.admin_rate_ip, MPD_ADMIN_RATE_MAX,
		  "a number from 1 to " STR(MPD_ADMIN_RATE_MAX) },
		{ 't', "admin-rate-total", &cfg.admin_rate_total,
		  MPD_ADMIN_RATE_MAX, "a number from 1 to "
		  STR(MPD_ADMIN_RATE_MAX) },
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
		case 'o':
			if (*optarg == '\0')
				return prog_usage(PROG, "%s",
				    "--content needs a directory");
			content = optarg;
			break;
		case 'f': foreground = 1; break;
		case 'E': enroll = 1; break;
		case 'k':
			if (*optarg == '\0')
				return prog_usage(PROG, "%s",
				    "--enroll-key needs a file");
			enroll_key = optarg;
			break;
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
				    " option '%s'", prog_badopt(argv));
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

	if (db == NULL)
		db = ehttp_default_db();
	/* A file made absolute (the daemon leaves its directory); a
	 * server's connection string as it is. */
	db_abs = ehttp_db_is_file(db) ? daemon_absolute(db) : xstrdup(db);
	dir = ehttp_home_dir(db_abs);
	if (log_dir != NULL)
		log_abs = daemon_absolute(log_dir);
	else
		xasprintf(&log_abs, "%s/logs", dir);
	if (pid_path != NULL)
		pid_abs = daemon_absolute(pid_path);
	else
		xasprintf(&pid_abs, "%s/ehttp-mpd-%s.pid", dir, fqdn);
	if (ca != NULL)
		ca_abs = daemon_absolute(ca);
	if (content != NULL)
		content_abs = daemon_absolute(content);
	/* Enrolled when told, or when the default file is there. */
	if (enroll_key != NULL)
		enroll_abs = daemon_absolute(enroll_key);
	else {
		enroll_abs = ehttp_enroll_default_path(db_abs, fqdn);
		if (!enroll && access(enroll_abs, F_OK) == -1) {
			free(enroll_abs);
			enroll_abs = NULL;
		}
	}
	if (enroll) {
		rc = enroll_request(db_abs, fqdn, enroll_abs);
		goto out;
	}
	cfg.enroll_key = enroll_abs;
	cfg.db_path = db_abs;
	cfg.fqdn = fqdn;
	cfg.log_dir = log_abs;
	cfg.ca_file = ca_abs;
	cfg.content = content_abs;
	cfg.echo = foreground;

	/* Writing to a closed connection is an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	if (!foreground)
		repfd = daemon_detach("ehttp-mpd");
	/* A stop signal during start-up waits until the agent handles it
	 * (mpd_new sets that up), so it still stops cleanly. */
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGHUP);
	sigprocmask(SIG_BLOCK, &stops, NULL);
	/* A server's database: the data directory may be new. */
	if ((!ehttp_db_is_file(db_abs) && daemon_mkdirs(dir, 0700,
	    &cause) == -1) || (pidfd = daemon_pidfile_open("ehttp-mpd",
	    pid_abs, &cause)) == -1 || (m = mpd_new(&cfg, &cause)) == NULL) {
		daemon_failed(repfd, "ehttp-mpd", cause);
		goto out;
	}
	daemon_started(repfd);
	sigprocmask(SIG_UNBLOCK, &stops, NULL);
	rc = mpd_run(m);
out:
	mpd_free(m);
	daemon_pidfile_close(pidfd, pid_abs);
	libevent_global_shutdown();
	free(cause);
	free(db_abs);
	free(dir);
	free(log_abs);
	free(pid_abs);
	free(ca_abs);
	free(content_abs);
	free(enroll_abs);
	return rc;
}
