/*
 * ehttp-console: the Administration workspace of an enhanced HTTP site
 * hierarchy, in a terminal.
 */
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prog.h"
#include "tui.h"

#define PROG	"ehttp-console"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: ehttp-console [--db PATH] [--log-dir DIR] [--log FILE] [--no-mouse]\n"
"                     [--no-color] [--refresh SECONDS]\n"
"       ehttp-console --help | --version\n"
"\n"
"The Administration workspace of an enhanced HTTP site hierarchy: sites and\n"
"their Communication Security, site systems and roles, the certificates the\n"
"sites issue, and the component logs (mpcontrol.log) of the agents.\n"
"\n"
"  --db PATH       the site database (default: $EHTTP_DB, else\n"
"                  $XDG_DATA_HOME/ehttp/site.db, else\n"
"                  ~/.local/share/ehttp/site.db)\n"
"  --log-dir DIR   where the agents write their logs (default: the\n"
"                  database's directory + /logs)\n"
"  --log FILE      open this CMTrace log at start (a folder: its logs\n"
"                  merged into one timeline)\n"
"  --no-mouse      do not use the mouse\n"
"  --no-color      no colour (also: NO_COLOR set, or a terminal without\n"
"                  colours such as TERM=vt100)\n"
"  --refresh SECONDS  how often lists check for changes made elsewhere\n"
"                  (agents, ehttpctl) and re-read if there are any\n"
"                  (default 5; F5 re-reads at once)\n"
"\n"
"Keys: arrows or j/k move, Tab switches between the tree and the list, Enter\n"
"opens, Space toggles, / finds, F1 or ? shows every key, F5 refreshes, q or\n"
"F10 quits. The terminal must be at least 80x24.\n");
}

/* The command line into cf: -1 to go on, else the exit status (--help,
 * --version: 0; a usage error, said as every ehttp program says it). */
static int
options(int argc, char **argv, struct app_config *cf)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "log-dir", required_argument, NULL, 'l' },
		{ "log", required_argument, NULL, 'f' },
		{ "no-mouse", no_argument, NULL, 'm' },
		{ "no-color", no_argument, NULL, 'c' },
		{ "no-colour", no_argument, NULL, 'c' },
		{ "refresh", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned long long n;
	int ch, mouse = 1, colour = 1;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			cf->db_path = optarg;
			break;
		case 'l':
			cf->log_dir = optarg;
			break;
		case 'f':
			cf->log_file = optarg;
			break;
		case 'm':
			mouse = 0;
			break;
		case 'r':
			if (prog_number_option(PROG, "refresh", optarg, 1,
			    3600, "seconds from 1 to 3600", &n) == -1)
				return PROG_EXIT_USAGE;
			cf->refresh_s = (int)n;
			break;
		case 'c':
			colour = 0;
			break;
		default:
			if (prog_help_version(ch, PROG, usage, stdout))
				return 0;
			return prog_usage(PROG, "unknown or incomplete option"
			    " '%s'", prog_badopt(argv));
		}
	}
	if (optind < argc)
		return prog_usage(PROG, "unexpected argument '%s'",
		    argv[optind]);
	cf->crt_flags = (mouse ? CRT_MOUSE : 0) | (colour ? 0 : CRT_NO_COLOUR);
	return -1;
}

int
main(int argc, char **argv)
{
	struct app_config cf;
	struct app *app;
	char *cause = NULL;
	int rc, sig;

	prog_start(PROG);
	setlocale(LC_ALL, "");
	text_utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	memset(&cf, 0, sizeof cf);
	if ((rc = options(argc, argv, &cf)) != -1)
		return rc;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, PROG ": needs a terminal on stdin and"
		    " stdout (use ehttpctl in scripts)\n");
		return 1;
	}

	/* The database first: its errors print plainly, before curses. */
	if ((app = app_new(&cf, &cause)) == NULL) {
		prog_say(PROG, cause != NULL ? cause :
		    "cannot open the database");
		if (cf.db_path == NULL)
			fprintf(stderr, PROG ": create one with"
			    " 'ehttpctl init' or give --db PATH\n");
		free(cause);
		return 1;
	}
	crt_signals_install();
	if (crt_open(NULL, stdout, stdin, cf.crt_flags, &cause) == -1) {
		prog_say(PROG, cause);
		free(cause);
		app_free(app);
		return 1;
	}
	app_resize(app);
	rc = app_run(app);
	app_free(app);
	crt_close();
	if ((sig = crt_signal_pending()) != 0) {
		/* Terminal restored: now die of the signal as asked. */
		signal(sig, SIG_DFL);
		raise(sig);
	}
	return rc;
}
