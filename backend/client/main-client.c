/*
 * ehttp-client: a Configuration Manager client simulator (client.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "client.h"
#include "ehttp.h"
#include "prog.h"
#include "safetext.h"
#include "xmalloc.h"

#define PROG	"ehttp-client"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " register|token|poll --mp FQDN[:PORT] --root PEM\n"
"                    --state DIR [--connect ADDR[:PORT]] [--bulk-token FILE]\n"
"                    [--name NAME] [--type ccm|site|content]\n"
"                    [--timeout SECONDS] [--json]\n"
"       " PROG " show --state DIR\n"
"       " PROG " download PKGID --dest DIR --mp FQDN[:PORT] --root PEM\n"
"                    --state DIR [--resolve FQDN:PORT:ADDR]... [--json]\n"
"       " PROG " content-headers --state DIR [--json]\n"
"                    [--renew --mp FQDN[:PORT] --root PEM]\n"
"       " PROG " load --clients N --duration S [--poll-interval S]\n"
"                    [--until register|token|poll] [--workers N] --mp ...\n"
"                    --root PEM --state DIR [--identities DIR]\n"
"                    [--bulk-token FILE] [--download PKGID [--dest DIR]]\n"
"                    [--resolve FQDN:PORT:ADDR]... [--json]\n"
"\n"
"A Configuration Manager client built from the public wire format. It\n"
"reaches the management point over HTTPS, verifying its certificate chain\n"
"against the site's root (--root: the SMS Issuing certificate, PEM, e.g.\n"
"from ehttpctl cert export) and its name (--mp).\n"
"\n"
"  register   make the client's key and self-signed certificate (first\n"
"             time) and register: prints the SMSID and the approval\n"
"  token      get a CCM token (8 hours); --type site: the site token (90\n"
"             days); --type content: a content access token for the\n"
"             distribution points (8 hours, bound to the client's key)\n"
"  poll       a token-authenticated request (a new token if needed)\n"
"  show       what the state directory holds (never the key)\n"
"  content-headers  the headers of a distribution point request, signed\n"
"             now, with the content access token held (a credential:\n"
"             printed for curl -H @FILE); --renew: a new token first\n"
"             when the one held is missing or ends within a minute\n"
"  download   a package from a distribution point of the client's site:\n"
"             its locations from the MP, a content access token (renewed\n"
"             when due), a WebDAV listing of the token folder, each file\n"
"             fetched into --dest (resumed with Range after an\n"
"             interruption or Ctrl-C) and its SHA-256 checked against\n"
"             the listing; a file that differs is deleted. Progress on\n"
"             stderr when it is a terminal; logs LocationServices.log,\n"
"             ContentTransferManager.log, DataTransferService.log and\n"
"             CAS.log\n"
"  load       many clients: each registers, gets a token and polls at its\n"
"             turn; prints requests, errors and latency (p50, p99, max)\n"
"\n"
"  --mp FQDN[:PORT]     the management point (port default 443)\n"
"  --connect ADDR[:PORT] reach it at this numeric address instead (its name\n"
"                       is still verified), as curl's --resolve\n"
"  --resolve FQDN:PORT:ADDR  reach FQDN at PORT (an MP or a distribution\n"
"                       point) at the numeric ADDR, its certificate still\n"
"                       verified for FQDN; repeatable (as curl's)\n"
"  --dest DIR           download: the folder the package's files go to\n"
"  --root PEM           the trusted root of the site\n"
"  --state DIR          the client's identity and logs (created 0700)\n"
"  --bulk-token FILE    register with a bulk registration token (approved)\n"
"  --name NAME          the client's name (default: this host's name)\n"
"  --type TYPE          token: ccm (default), site or content\n"
"                       (--site-token: --type site)\n"
"  --timeout SECONDS    connect and each read, 1 to 300 (default 30)\n"
"  --json               machine-readable output (register, token,\n"
"                       content-headers, download, load)\n"
"  --help               this text\n"
"  --version            the version\n"
"\n"
"load:\n"
"  --clients N          how many clients, 1 to 1000000; their keys are made\n"
"                       once (with progress) and kept in --state\n"
"  --duration S         how long the run lasts, 1 to 86400 seconds\n"
"  --poll-interval S    between two polls of one client (default 60): the\n"
"                       clients' turns are spread evenly over it\n"
"  --until STEP         register, token or poll (default): the last step a\n"
"                       client takes at its turn; up to register or token,\n"
"                       the clients' turns are spread over the duration;\n"
"                       keys: only make the identities, for a later run\n"
"  --workers N          threads sending requests, 1 to 10000 (default 16);\n"
"                       each takes one client's turn at a time, so it is\n"
"                       the most clients under way at once\n"
"  --download PKGID     each client, registered and with its token,\n"
"                       downloads the package as download does (location,\n"
"                       content access token, listing, GETs, SHA-256),\n"
"                       its turns spread over the duration; prints the\n"
"                       clients verified, failures by reason, MB/s and\n"
"                       download time (p50, p99, max, verified ones), and\n"
"                       the concurrency reached. Without --dest nothing is\n"
"                       written: each file's SHA-256 is checked as it\n"
"                       streams; --dest DIR keeps each client's copy in\n"
"                       DIR/LOADnnnnnn. No client logs are written\n"
"  --identities DIR     keep the clients' keys and certificates there instead\n"
"                       of in --state, to share them between runs (0700)\n"
"  Ctrl-C stops a run early and still prints what was measured.\n"
"\n"
"Exit status: 0 done (register: approved; download: every file verified),\n"
"1 the management point or distribution point refused (401, 403, no\n"
"distribution point holds the package) or approval is pending (load: a\n"
"request failed, or the run was stopped), 2 usage, 3 network, TLS or a bad\n"
"reply (download: what arrived is kept for a resume), 4 the state\n"
"directory or --dest, 5 download: a file's SHA-256 is not the one the\n"
"distribution point lists (the file is deleted), 6 download: stopped by\n"
"Ctrl-C (what arrived is kept for a resume).\n");
}

/* "HOST[:PORT]" into host (a copy) and *port; 0, or -1. */
static int
host_port(const char *s, char **host, int *port, int def)
{
	const char *c = strrchr(s, ':');
	unsigned long long p = (unsigned long long)def;

	if (c != NULL && (prog_number(c + 1, 1, 65535, &p) == -1 ||
	    c == s))
		return -1;
	*host = xstrndup(s, c != NULL ? (size_t)(c - s) : strlen(s));
	*port = (int)p;
	return **host != '\0' ? 0 : -1;
}

/* "FQDN:PORT:ADDR" (ADDR may be [IPv6]) into r; 0, or -1. */
static int
resolve_entry(const char *s, struct client_resolve *r)
{
	const char *c1 = strchr(s, ':'), *c2;
	unsigned long long p;
	char port[8];
	size_t n;

	if (c1 == NULL || c1 == s || (size_t)(c1 - s) >= sizeof r->host ||
	    (c2 = strchr(c1 + 1, ':')) == NULL || (size_t)(c2 - c1 - 1) >=
	    sizeof port)
		return -1;
	snprintf(r->host, sizeof r->host, "%.*s", (int)(c1 - s), s);
	snprintf(port, sizeof port, "%.*s", (int)(c2 - c1 - 1), c1 + 1);
	if (prog_number(port, 1, 65535, &p) == -1)
		return -1;
	r->port = (int)p;
	s = c2 + 1;
	n = strlen(s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof r->addr)
		return -1;
	snprintf(r->addr, sizeof r->addr, "%.*s", (int)n, s);
	return 0;
}

static int	client_main(struct client_opts *, int, char **);

int
main(int argc, char **argv)
{
	struct client_opts o = { 0 };
	int rc, out_err = 0, err_err = 0;

	prog_start(PROG);
	o.out = safetext_stream(stdout, &out_err);
	o.err = safetext_stream(stderr, &err_err);
	setvbuf(o.err, NULL, _IOLBF, BUFSIZ);	/* messages at once */
	rc = client_main(&o, argc, argv);
	if (fclose(o.out) == EOF || ferror(stdout) || fflush(stdout) == EOF) {
		fprintf(o.err, "ehttp-client: cannot write the output\n");
		rc = rc == CLIENT_OK ? CLIENT_LOCAL : rc;
	}
	fclose(o.err);
	return rc;
}

static int
client_main(struct client_opts *op, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mp", required_argument, NULL, 'm' },
		{ "connect", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'r' },
		{ "state", required_argument, NULL, 's' },
		{ "bulk-token", required_argument, NULL, 'b' },
		{ "name", required_argument, NULL, 'n' },
		{ "site-token", no_argument, NULL, 'S' },
		{ "type", required_argument, NULL, 'T' },
		{ "renew", no_argument, NULL, 'R' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "clients", required_argument, NULL, 'C' },
		{ "duration", required_argument, NULL, 'D' },
		{ "poll-interval", required_argument, NULL, 'I' },
		{ "until", required_argument, NULL, 'U' },
		{ "workers", required_argument, NULL, 'W' },
		{ "identities", required_argument, NULL, 'i' },
		{ "resolve", required_argument, NULL, 'X' },
		{ "dest", required_argument, NULL, 'd' },
		{ "download", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 } };
	struct client_opts o = *op;
	static struct client_resolve res[CLIENT_RESOLVE_MAX];
	static char host[256];
	char *mp = NULL, *conn = NULL;
	unsigned long long t = 30, v;
	const char *cmd;
	int ch, rc, until_set = 0;

	o.until = CLIENT_LOAD_POLL;
	o.interval_s = 60;
	o.workers = 16;
	rc = PROG_EXIT_USAGE;		/* until the command line is read */
	while ((ch = getopt_long(argc, argv, "hV", lo, NULL)) != -1) {
		if (prog_help_version(ch, PROG, usage, o.out)) {
			rc = 0;
			goto out;
		}
		switch (ch) {
		case 'm':
			free(mp);
			mp = NULL;
			if (host_port(optarg, &mp, &o.port, 443) == -1) {
				prog_usage(PROG, "--mp '%s': must be FQDN[:PORT]",
				    optarg);
				goto out;
			}
			break;
		case 'c':
			free(conn);
			conn = NULL;
			if (host_port(optarg, &conn, &o.connect_port, 0) == -1) {
				prog_usage(PROG, "--connect '%s': must be "
				    "ADDR[:PORT]", optarg);
				goto out;
			}
			break;
		case 'X':
			if (o.nresolve == CLIENT_RESOLVE_MAX ||
			    resolve_entry(optarg, &res[o.nresolve]) == -1) {
				prog_usage(PROG, "--resolve '%s': must be "
				    "FQDN:PORT:ADDR (at most %d)", optarg,
				    CLIENT_RESOLVE_MAX);
				goto out;
			}
			o.nresolve++;
			break;
		case 'd': o.dest = optarg; break;
		case 'L': o.package = optarg; break;
		case 'r': o.root = optarg; break;
		case 's': o.state = optarg; break;
		case 'b': o.bulk_token = optarg; break;
		case 'n': o.name = optarg; break;
		case 'i': o.identities = optarg; break;
		case 'S': o.token_type = CLIENT_TOKEN_SITE; break;
		case 'T':
			if (strcmp(optarg, "ccm") == 0)
				o.token_type = CLIENT_TOKEN_CCM;
			else if (strcmp(optarg, "site") == 0)
				o.token_type = CLIENT_TOKEN_SITE;
			else if (strcmp(optarg, "content") == 0)
				o.token_type = CLIENT_TOKEN_CONTENT;
			else {
				prog_usage(PROG, "--type '%s': must be ccm, "
				    "site or content", optarg);
				goto out;
			}
			break;
		case 'j': o.json = 1; break;
		case 'R': o.renew = 1; break;
		case 't':
			if (prog_number_option(PROG, "timeout", optarg, 1, 300,
			    "a number of seconds from 1 to 300", &t) == -1)
				goto out;
			break;
		case 'C':
			if (prog_number_option(PROG, "clients", optarg, 1,
			    1000000, "a number from 1 to 1000000", &v) == -1)
				goto out;
			o.clients = (int)v;
			break;
		case 'D':
		case 'I':
			if (prog_number_option(PROG, ch == 'D' ? "duration" :
			    "poll-interval", optarg, 1, 86400, "a number of "
			    "seconds from 1 to 86400", &v) == -1)
				goto out;
			*(ch == 'D' ? &o.duration_s : &o.interval_s) = (int)v;
			break;
		case 'W':
			if (prog_number_option(PROG, "workers", optarg, 1,
			    10000, "a number from 1 to 10000", &v) == -1)
				goto out;
			o.workers = (int)v;
			break;
		case 'U':
			until_set = 1;
			if (strcmp(optarg, "register") == 0)
				o.until = CLIENT_LOAD_REGISTER;
			else if (strcmp(optarg, "token") == 0)
				o.until = CLIENT_LOAD_TOKEN;
			else if (strcmp(optarg, "poll") == 0)
				o.until = CLIENT_LOAD_POLL;
			else if (strcmp(optarg, "keys") == 0)
				o.until = CLIENT_LOAD_KEYS;
			else {
				prog_usage(PROG, "--until '%s': must be register,"
				    " token, poll or keys", optarg);
				goto out;
			}
			break;
		default:
			prog_usage(PROG, "unknown or incomplete option");
			goto out;
		}
	}
	if (optind < argc && strcmp(argv[optind], "download") == 0) {
		if (optind != argc - 2 || o.dest == NULL) {
			prog_usage(PROG, "download needs one PKGID and --dest "
			    "DIR");
			goto out;
		}
		o.package = argv[optind + 1];
	} else if (optind != argc - 1) {
		prog_usage(PROG, "expected one command: register, token, poll,"
		    " show, download, content-headers or load");
		goto out;
	}
	cmd = argv[optind];
	o.resolve = res;
	if (o.state == NULL) {
		prog_usage(PROG, "--state DIR is required");
		goto out;
	}
	if ((strcmp(cmd, "show") != 0 && (strcmp(cmd, "content-headers") !=
	    0 || o.renew)) && (mp == NULL || o.root == NULL)) {
		prog_usage(PROG, "--mp FQDN and --root PEM are required");
		goto out;
	}
	o.mp = mp;
	o.connect = conn != NULL ? conn : mp;
	for (size_t i = 0; conn == NULL && mp != NULL && i < o.nresolve;
	    i++)
		if (strcasecmp(res[i].host, mp) == 0 && res[i].port == o.port) {
			o.connect = res[i].addr;
			o.connect_port = o.port;
		}
	if (o.connect_port == 0)
		o.connect_port = o.port;
	if (o.name == NULL) {
		if (gethostname(host, sizeof host) == -1)
			snprintf(host, sizeof host, "ehttp-client");
		host[sizeof host - 1] = '\0';
		o.name = host;
	}
	o.timeout_ms = (int)t * 1000;
	if (strcmp(cmd, "load") == 0 && (o.clients == 0 || o.duration_s ==
	    0)) {
		prog_usage(PROG, "load needs --clients N and --duration S");
		goto out;
	}
	if (strcmp(cmd, "load") == 0 && o.package != NULL) {
		if (until_set) {
			prog_usage(PROG, "--download is the run's last step: "
			    "not with --until");
			goto out;
		}
		o.until = CLIENT_LOAD_DOWNLOAD;
	} else if (strcmp(cmd, "load") == 0 && o.dest != NULL) {
		prog_usage(PROG, "load --dest DIR is for --download");
		goto out;
	}
	if (o.identities == NULL)
		o.identities = o.state;
	if (strcmp(cmd, "load") == 0)
		rc = client_load_run(&o);
	else if (strcmp(cmd, "register") == 0)
		rc = client_register(&o);
	else if (strcmp(cmd, "token") == 0)
		rc = client_token(&o);
	else if (strcmp(cmd, "poll") == 0)
		rc = client_poll(&o);
	else if (strcmp(cmd, "show") == 0)
		rc = client_show(&o);
	else if (strcmp(cmd, "content-headers") == 0)
		rc = client_content_headers_print(&o);
	else if (strcmp(cmd, "download") == 0)
		rc = client_download(&o);
	else
		rc = prog_usage(PROG, "unknown command '%s' (register, token, "
		    "poll, show, download, content-headers or load)", cmd);
out:
	free(mp);
	free(conn);
	return rc;
}
