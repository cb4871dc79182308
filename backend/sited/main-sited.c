/*
 * ehttp-sited: the site server of one site database. It runs a pass
 * (ehttp_pass_run(): renewals, root roll-over, retries, notices) every
 * --interval seconds, writes each decision to certmgr.log, and runs as a
 * service: detached with a pid file, or --foreground; SIGHUP runs a pass
 * now, SIGTERM and SIGINT stop it (mid-pass: the site at hand is left as
 * it was). --once runs one pass and exits.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmlog.h"
#include "daemon.h"
#include "ehttp.h"
#include "prog.h"
#include "safetext.h"
#include "xmalloc.h"

#define PROG		"ehttp-sited"
#define COMPONENT	DB_SITED_COMPONENT
#define INTERVAL_DEFAULT 300
#define INTERVAL_MAX	86400
#define STR_(x)		#x
#define STR(x)		STR_(x)
#define LOG_MAX_DEFAULT	((size_t)2 * 1024 * 1024)

struct sited {
	struct ehttp	*e;
	struct cmlog	*log;
	int		 echo;		/* decisions to stdout too */
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " [--db PATH] [--log-dir DIR] [--interval SECONDS]\n"
"                   [--once] [--foreground] [--pid-file PATH]\n"
"                   [--log-max-size BYTES]\n"
"\n"
"The site server: keeps the certificates of every site in the database\n"
"valid. Each pass renews SMS Role SSL Certificates whose site's renewal\n"
"window is open (ehttpctl site set CODE --renew-days N; default 30 days\n"
"before the end), issues to site systems that should have one and do not\n"
"(retrying earlier failures), renews a site's SMS Issuing root 730 days\n"
"before its end (the old root stays trusted while what it signed is in\n"
"use), and announces once what it cannot fix: certificates in use that\n"
"end within 30 days (at 30, 7 and 1 days, and when expired) and agents\n"
"silent for more than two polls. Decisions go to certmgr.log.\n"
"\n"
"  --db PATH            site database (default: $EHTTP_DB, else\n"
"                       $XDG_DATA_HOME/ehttp/site.db, else\n"
"                       ~/.local/share/ehttp/site.db)\n"
"  --log-dir DIR        where certmgr.log is written (default: logs/ beside\n"
"                       the database)\n"
"  --interval SECONDS   time between passes, 1 to 86400 (default 300)\n"
"  --once               one pass, then exit (for cron, tests and people);\n"
"                       decisions are printed too\n"
"  --foreground         do not detach; decisions are printed too\n"
"  --pid-file PATH      default: ehttp-sited.pid beside the database\n"
"  --log-max-size BYTES certmgr.log rolls to certmgr.lo_ past this size\n"
"                       (default 2097152; 0: never)\n"
"  -h, --help           this text\n"
"  -V, --version        the version\n"
"\n"
"Signals: SIGHUP runs a pass now; SIGTERM or SIGINT stop (a pass stopped\n"
"half-way leaves the site at hand as it was).\n"
"Exit status: 0 done (or stopped), 1 a pass failed or the start failed,\n"
"2 bad usage.\n");
}

/* Each decision of the pass: certmgr.log, and stdout when echoing. */
static void
decision(int type, const char *text, void *arg)
{
	struct sited *sd = arg;
	char *safe;

	if (sd->log != NULL && cmlog_write(sd->log, type, COMPONENT, NULL,
	    "%s", text) == -1 && sd->echo)
		fprintf(stderr, PROG ": certmgr.log: %s\n",
		    cmlog_error(sd->log));
	if (!sd->echo)
		return;
	safe = safetext_message(text);
	printf("%s%s\n", type == EHTTP_SAY_ERROR ? "error: " :
	    type == EHTTP_SAY_WARNING ? "warning: " : "", safe);
	fflush(stdout);
	free(safe);
}

/* Stop mid-pass when SIGTERM or SIGINT is waiting (they are blocked). */
static int
progress(const char *what, size_t done, size_t total, void *arg)
{
	sigset_t pending;

	(void)arg;
	(void)what;
	(void)done;
	(void)total;
	if (sigpending(&pending) == -1)
		return 0;
	return sigismember(&pending, SIGTERM) == 1 ||
	    sigismember(&pending, SIGINT) == 1;
}

static int
one_pass(struct sited *sd, int interval)
{
	struct ehttp_pass_opts o = { .pid = (int)getpid(),
	    .interval = interval, .say = decision, .arg = sd };
	struct db_pass rec;
	char host[256];

	if (gethostname(host, sizeof host) == -1)
		snprintf(host, sizeof host, "localhost");
	host[sizeof host - 1] = '\0';
	o.host = host;
	if (ehttp_pass_run(sd->e, &o, &rec) == -1) {
		if (rec.id == 0)
			decision(EHTTP_SAY_ERROR, ehttp_error(sd->e), sd);
		return -1;
	}
	return rec.failed > 0 ? -1 : 0;
}

/* Passes until a stop signal; SIGHUP cuts the wait short. A pass that
 * fails is in certmgr.log and the next pass tries again. */
static int
serve(struct sited *sd, int interval)
{
	sigset_t waitfor;
	struct timespec ts;
	siginfo_t si;
	int sig;

	sigemptyset(&waitfor);
	sigaddset(&waitfor, SIGTERM);
	sigaddset(&waitfor, SIGINT);
	sigaddset(&waitfor, SIGHUP);
	for (;;) {
		(void)one_pass(sd, interval);
		ts.tv_sec = interval;
		ts.tv_nsec = 0;
		while ((sig = sigtimedwait(&waitfor, &si, &ts)) == -1 &&
		    errno == EINTR)
			;
		/* Stopped is a clean end, whatever the passes before: a
		 * service manager must not take the stop for a failure. */
		if (sig == SIGTERM || sig == SIGINT) {
			decision(EHTTP_SAY_INFO, "Stopping (signal).", sd);
			return 0;
		}
		if (sig == SIGHUP)
			decision(EHTTP_SAY_INFO, "SIGHUP: a pass now.", sd);
	}
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "log-dir", required_argument, NULL, 'l' },
		{ "interval", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, '1' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "log-max-size", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 } };
	struct sited sd = { .e = NULL };
	sigset_t blocked;
	const char *db = NULL, *log_dir = NULL, *pid_path = NULL;
	char *db_abs = NULL, *dir = NULL, *log_path = NULL, *pid_abs = NULL;
	char *cause = NULL, *log_dir_abs = NULL;
	unsigned long long v;
	size_t log_max = LOG_MAX_DEFAULT;
	int ch, once = 0, foreground = 0, interval = INTERVAL_DEFAULT;
	int rc = 1, pidfd = -1, repfd = -1;

	prog_start(PROG);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "hV", lo, NULL)) != -1) {
		switch (ch) {
		case 'D': db = optarg; break;
		case 'l': log_dir = optarg; break;
		case 'P': pid_path = optarg; break;
		case '1': once = 1; break;
		case 'f': foreground = 1; break;
		case 'i':
			if (prog_number_option(PROG, "interval", optarg, 1,
			    INTERVAL_MAX, "a number of seconds from 1 to "
			    STR(INTERVAL_MAX), &v) == -1)
				return PROG_EXIT_USAGE;
			interval = (int)v;
			break;
		case 'm':
			if (prog_number_option(PROG, "log-max-size", optarg,
			    0, SIZE_MAX, "a number of bytes (0: never roll)",
			    &v) == -1)
				return PROG_EXIT_USAGE;
			log_max = (size_t)v;
			break;
		default:
			if (prog_help_version(ch, PROG, usage, stdout))
				return 0;
			return prog_usage(PROG, "unknown or incomplete option '%s'",
			    prog_badopt(argv));
		}
	}
	if (optind != argc)
		return prog_usage(PROG, "unexpected argument '%s'", argv[optind]);
	if (once && (foreground || pid_path != NULL))
		return prog_usage(PROG, "--once runs one pass in the foreground: it"
		    " takes no --foreground or --pid-file");

	if (db == NULL)
		db = ehttp_default_db();
	/* A file made absolute (the daemon leaves its directory); a
	 * server's connection string as it is. */
	db_abs = ehttp_db_is_file(db) ? daemon_absolute(db) : xstrdup(db);
	dir = ehttp_home_dir(db_abs);
	if (log_dir != NULL) {
		char *abs = daemon_absolute(log_dir);

		xasprintf(&log_path, "%s/certmgr.log", abs);
		free(abs);
	} else
		xasprintf(&log_path, "%s/logs/certmgr.log", dir);
	if (pid_path != NULL)
		pid_abs = daemon_absolute(pid_path);
	else
		xasprintf(&pid_abs, "%s/" PROG ".pid", dir);
	sd.echo = once || foreground;

	/* Signals wait until a pass can take them (progress(), serve()). */
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	sigaddset(&blocked, SIGHUP);
	sigprocmask(SIG_BLOCK, &blocked, NULL);
	if (!once && !foreground)
		repfd = daemon_detach(PROG);
	/* A server's database: the data directory may be new. */
	if (!ehttp_db_is_file(db_abs) && daemon_mkdirs(dir, 0700,
	    &cause) == -1)
		goto fail;
	if (!once && (pidfd = daemon_pidfile_open(PROG, pid_abs,
	    &cause)) == -1)
		goto fail;
	if ((sd.e = ehttp_open(db_abs, 0, &cause)) == NULL)
		goto fail;
	ehttp_set_user(sd.e, PROG);
	ehttp_set_progress(sd.e, progress, &sd);
	log_dir_abs = daemon_dir_of(log_path);
	if (daemon_mkdirs(log_dir_abs, 0750, &cause) == -1 ||
	    (sd.log = cmlog_open(log_path, log_max, &cause)) == NULL)
		goto fail;
	daemon_started(repfd);
	repfd = -1;
	if (once)
		rc = one_pass(&sd, 0) == -1 ? 1 : 0;
	else
		rc = serve(&sd, interval);
	goto out;
fail:
	daemon_failed(repfd, PROG, cause);
out:
	cmlog_close(sd.log);
	ehttp_close(sd.e);
	daemon_pidfile_close(pidfd, pid_abs);
	free(cause);
	free(db_abs);
	free(dir);
	free(log_path);
	free(log_dir_abs);
	free(pid_abs);
	return rc;
}
