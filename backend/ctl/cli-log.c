/*
 * cli-log: reading CMTrace logs (ehttpctl log show) and what a site
 * system's agent reports (ehttpctl system show).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "agent.h"
#include "cli.h"
#include "cmlog-merge.h"
#include "cmlog.h"
#include "errlookup.h"
#include "timefmt.h"
#include "xmalloc.h"

/* Index a slice, print its records, go on: a slice this size is read
 * from the file once, for the index and the records alike. */
#define LOG_SLICE	CMLOG_READ_SLICE
#define EVENTS_SHOWN	10

/* ------------------------------------------------------------- text care */

/* Raw log text as one printable line: line breaks and tabs become spaces,
 * everything else goes through safetext (escaped). */
static char *
text_line(const char *s, size_t n)
{
	char *flat, *out;
	size_t o = 0;

	flat = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;	/* CRLF: one space, from the LF */
		flat[o++] = s[i] == '\r' || s[i] == '\n' || s[i] == '\t' ?
		    ' ' : s[i];
	}
	out = safetext_dup(flat, o);
	free(flat);
	return out;
}

/* ---------------------------------------------------------------- log show */

#define MERGE_BUDGET	4096	/* records merged between prints */
#define TAG_WIDTH_MAX	32
/* The time column: room for a time written without an offset, which is
 * shown as written with " local" after it (29 columns), so every row's
 * later columns line up whatever the log mixes. */
#define WHEN_COL	29

static const char *
log_type_name(const struct cmlog_record *r)
{
	if (r->malformed)
		return "malformed";
	if (r->type == 0)
		return "info";
	return cmlog_type_name(r->type);
}

/* How a merged row names its log: the tag (NULL for one log). */
struct log_tag {
	const char	*tag;
	const char	*path;
	int		 width;
};

/* One record of log show --json. */
static json_t *
log_json(const struct cmlog_record *r)
{
	char when[CMLOG_WHEN_LEN];
	json_t *v;

	v = json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:i,s:s,s:I,s:o,s:o,s:o,s:b}",
	    "line", (json_int_t)r->line,
	    "time", r->when != 0 ? cj_str(cmlog_merge_when(r, when,
	    sizeof when, CMLOG_WHEN_ISO)) : json_null(),
	    "time_str", cj_str(r->time_str),
	    "date_str", cj_str(r->date_str),
	    "component", cj_str(r->component),
	    "context", cj_str(r->context),
	    "type", r->malformed ? -1 : r->type,
	    "type_name", log_type_name(r),
	    "thread", (json_int_t)r->thread,
	    /* A thread that is not a number, as written ("0x1A", "Main"). */
	    "thread_str", cj_str(r->thread_str),
	    "file", cj_str(r->file),
	    "text", cj_strn(r->text, r->text_len),
	    "malformed", r->malformed);
	if (r->malformed)
		json_object_set_new(v, "cause", cj_str(r->cause));
	return v;
}

/* A merged record names its log first: "log", "log_path", then the
 * record (jansson keeps insertion order). */
static json_t *
log_json_tagged(const struct cmlog_record *r, const struct log_tag *lt)
{
	json_t *v;

	if (lt->tag == NULL)
		return log_json(r);
	v = json_pack("{s:o,s:o}", "log", cj_str(lt->tag),
	    "log_path", cj_str(lt->path));
	json_object_update_new(v, log_json(r));
	return v;
}

static void
log_print(struct cli *c, const struct cmlog_record *r, const char *line,
    const struct log_tag *lt, struct cj_array *ja)
{
	FILE *f = c->out;
	char when[CMLOG_WHEN_LEN];

	if (c->json) {
		cj_array_add(ja, log_json_tagged(r, lt));
		return;
	}
	if (r->malformed) {
		fprintf(f, "%-*s  %-9s  %-24s  %-8s  ", WHEN_COL, "-",
		    "malformed", "-", "-");
		if (lt->tag != NULL)
			fprintf(f, "%-*s  ", lt->width, cli_safe(c, lt->tag));
		fprintf(f, "%s  [%s]\n", line, cli_safe_msg(c, r->cause));
		return;
	}
	char *comp = text_line(r->component, strlen(r->component));
	char *th = text_line(r->thread_str, strlen(r->thread_str));
	char num[24];

	/* A thread that is not a number is shown as written. */
	if (r->thread_num)
		snprintf(num, sizeof num, "%lu", r->thread);
	fprintf(f, "%-*s  %-9s  %-24s  %-8s  ", WHEN_COL,
	    cmlog_merge_when(r, when, sizeof when, CMLOG_WHEN_TEXT),
	    log_type_name(r), comp[0] ? comp : "-", r->thread_num ? num : th[0] ? th : "0");
	if (lt->tag != NULL)
		fprintf(f, "%-*s  ", lt->width, cli_safe(c, lt->tag));
	fprintf(f, "%s\n", line);
	free(th);
	free(comp);
}

/*
 * Print the rows merged so far from *done on; then forget them. -1 (said
 * on standard error) if a record can no longer be read: its file was cut
 * short by another program while it was shown.
 */
static int
log_print_rows(struct cli *c, struct cmlog_merge *m, int width, size_t *done,
    struct cj_array *ja)
{
	struct cmlog_record r;
	struct cmlog_reader *rd;
	struct log_tag lt = { NULL, NULL, width };
	size_t file, record;
	char *line;

	for (; *done < cmlog_merge_count(m); (*done)++) {
		if (cmlog_merge_at(m, *done, &file, &record) == -1)
			continue;
		rd = cmlog_merge_reader(m, file);
		if (cmlog_reader_get(rd, record, &r) == -1) {
			fprintf(c->err, "ehttpctl: %s\n", cli_safe_msg(c,
			    cmlog_reader_error(rd)));
			return -1;
		}
		if (cmlog_merge_files(m) > 1) {
			lt.tag = cmlog_merge_tag(m, file);
			lt.path = cmlog_merge_path(m, file);
		}
		line = text_line(r.text, r.text_len);
		log_print(c, &r, line, &lt, ja);
		free(line);
		cli_safe_release(c);
	}
	cmlog_merge_forget(m);
	return 0;
}

/* A filter's text option into its field; 0 if it does not fit. */
static int
filter_text(char *field, size_t size, const char *arg)
{
	if (strlen(arg) >= size)
		return 0;
	memcpy(field, arg, strlen(arg) + 1);
	return 1;
}

static int
cmd_log_show(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "type", required_argument, NULL, 't' },
		{ "component", required_argument, NULL, 'c' },
		{ "grep", required_argument, NULL, 'g' },
		CLI_COMMON_OPTS, { 0 } };
	struct cmlog_filter fl;
	struct cmlog_merge *m = NULL;
	struct cj_array ja = { 0 };
	size_t done = 0, nfiles;
	char *cause = NULL, first_bad[160];
	int more, width = 3, rc = CLI_FAIL;

	memset(&fl, 0, sizeof fl);
	OPTS_LOOP(c, argc, argv, "h", lo,
	    case 't':
		if ((fl.classes = cmlog_class_parse(optarg)) == 0)
			return cli_usage(c, "type '%s': must be info,"
			    " warning, error or malformed, or a comma list of"
			    " them", cli_arg(optarg));
		break;
	    case 'c':
		if (!filter_text(fl.component, sizeof fl.component, optarg))
			return cli_usage(c, "--component: at most %zu bytes",
			    sizeof fl.component - 1);
		break;
	    case 'g':
		if (!filter_text(fl.text, sizeof fl.text, optarg))
			return cli_usage(c, "--grep: at most %zu bytes",
			    sizeof fl.text - 1);
		break;);
	if (optind >= argc)
		return cli_usage(c, "expected a log FILE (or several to merge)");
	nfiles = (size_t)(argc - optind);
	if ((m = cmlog_merge_open((const char *const *)argv + optind, nfiles,
	    LOG_SLICE, &cause)) == NULL) {
		fprintf(c->err, "ehttpctl: %s\n", cli_safe_msg(c, cause));
		free(cause);
		return CLI_FAIL;
	}
	cmlog_merge_set_filter(m, &fl);
	for (size_t i = 0; i < nfiles; i++) {
		int w = (int)strlen(cli_safe(c, cmlog_merge_tag(m, i)));

		if (w > width)
			width = w < TAG_WIDTH_MAX ? w : TAG_WIDTH_MAX;
	}
	cli_safe_release(c);
	if (c->json)
		cj_array_open(&ja, c->out);
	else if (nfiles == 1)
		fprintf(c->out, "%-*s  %-9s  %-24s  %-8s  %s\n", WHEN_COL,
		    "Date/Time (UTC)", "Type", "Component", "Thread", "Log Text");
	else
		fprintf(c->out, "%-*s  %-9s  %-24s  %-8s  %-*s  %s\n", WHEN_COL,
		    "Date/Time (UTC)", "Type", "Component", "Thread", width, "Log",
		    "Log Text");
	/* Merge a slice, print it, go on: large logs stream. */
	do {
		if ((more = cmlog_merge_step(m, MERGE_BUDGET)) == -1) {
			fprintf(c->err, "ehttpctl: %s\n",
			    cli_safe_msg(c, cmlog_merge_error(m)));
			goto out;
		}
		if (log_print_rows(c, m, width, &done, &ja) == -1)
			goto out;
		/* Output that cannot be written (a full disk): stop here, the
		 * error is reported on the way out. */
		if (ferror(c->out))
			break;
	} while (more == 1);
	if (c->json)
		cj_array_close(&ja);
	for (size_t i = 0; i < nfiles; i++) {
		size_t bad = cmlog_merge_malformed(m, i, first_bad,
		    sizeof first_bad);

		if (bad > 0)
			fprintf(c->err, "ehttpctl: warning: %s: %zu malformed"
			    " record%s (shown as type malformed); the first at"
			    " %s\n", cli_safe(c, cmlog_merge_path(m, i)), bad,
			    bad == 1 ? "" : "s", cli_safe_msg(c, first_bad));
	}
	rc = CLI_OK;
out:
	cj_array_free(&ja);
	cmlog_merge_close(m);
	return rc;
}

/* ------------------------------------------------------------ log lookup */

/* One code of log lookup --json. */
static json_t *
lookup_json(const struct errlookup *e, int known)
{
	static const char *const kinds[] = { "hresult", "win32", "http" };
	json_t *v;

	v = json_pack("{s:o,s:s,s:I}",
	    "input", cj_str(e->token),
	    "kind", kinds[e->kind],
	    "value", (json_int_t)e->value);
	if (e->kind == ERRLOOKUP_HRESULT) {
		char hex[16];

		snprintf(hex, sizeof hex, "0x%08X", e->value);
		json_object_update_new(v, json_pack("{s:s,s:i,s:I,s:I,s:o}",
		    "hex", hex,
		    "severity", e->severity,
		    "facility", (json_int_t)e->facility,
		    "code", (json_int_t)e->code,
		    "facility_name", cj_str(e->facility_name)));
	}
	json_object_update_new(v, json_pack("{s:b,s:o,s:o,s:o}",
	    "known", known,
	    "name", cj_str(e->name),
	    "text", cj_str(e->text),
	    "source", cj_str(e->source)));
	return v;
}

static void
lookup_print(struct cli *c, const struct errlookup *e, int known,
    struct cj_array *ja)
{
	FILE *f = c->out;

	if (c->json) {
		cj_array_add(ja, lookup_json(e, known));
		return;
	}
	if (e->kind == ERRLOOKUP_HTTP)
		fprintf(f, "%s: HTTP status %u", cli_safe(c, e->token),
		    e->value);
	else if (e->kind == ERRLOOKUP_WIN32)
		fprintf(f, "%s: Win32 error %u (0x%X)", cli_safe(c, e->token),
		    e->value, e->value);
	else
		fprintf(f, "%s: HRESULT 0x%08X (%d): severity %s, facility %u"
		    " (0x%X)%s%s, code %u (0x%X)", cli_safe(c, e->token),
		    e->value, (int)e->value, e->severity ? "failure" : "success",
		    e->facility, e->facility, e->facility_name ? " " : "",
		    e->facility_name ? e->facility_name : "", e->code, e->code);
	fputc('\n', f);
	if (known)
		fprintf(f, "  %s: %s\n", e->name, e->text);
	else
		fprintf(f, "  not in the table\n");
	if (e->source != NULL)
		fprintf(f, "  source: %s\n", e->source);
}

static int
log_lookup(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = { CLI_COMMON_OPTS, { 0 } };
	struct errlookup e;
	struct cj_array ja = { 0 };
	int known;

	OPTS_LOOP(c, argc, argv, "h", lo, );
	if (optind >= argc)
		return cli_usage(c, "expected an error CODE");
	for (int i = optind; i < argc; i++)
		if (errlookup_code(argv[i], &e) == -1)
			return cli_usage(c, "'%s' is not an error code (hex"
			    " 0x80072F8F or 80072F8F, decimal 12175 or"
			    " -2147012721)", cli_arg(argv[i]));
	if (c->json)
		cj_array_open(&ja, c->out);
	for (int i = optind; i < argc; i++) {
		known = errlookup_code(argv[i], &e);
		lookup_print(c, &e, known == 1, &ja);
		cli_safe_release(c);
	}
	if (c->json)
		cj_array_close(&ja);
	return CLI_OK;
}

/* "-2147012721": a negative decimal, a code and not an option. */
static int
negative_decimal(const char *a)
{
	return a[0] == '-' && a[1] != '\0' &&
	    strspn(a + 1, "0123456789") == strlen(a + 1);
}

/*
 * getopt would take a negative decimal for options: the arguments are
 * handed on with the options first, then "--" and the codes in their
 * order (an argument after "--" or of --db stays what it was).
 */
static int
cmd_log_lookup(struct cli *c, int argc, char **argv)
{
	char **v = xcalloc((size_t)argc + 2, sizeof *v);
	int n = 0, i, rc;

	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) {
			int code = i > 0 && (argv[i][0] != '-' ||
			    negative_decimal(argv[i])) &&
			    strcmp(argv[i - 1], "--db") != 0;

			if (code == pass)
				v[n++] = argv[i];
		}
		if (pass == 0)
			v[n++] = "--";
	}
	while (++i < argc)
		v[n++] = argv[i];
	rc = log_lookup(c, n, v);
	free(v);
	return rc;
}

/* ------------------------------------------------------------- system show */

static const char *
when_s(time_t t, char *buf, size_t len)
{
	if (t == 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	timefmt(buf, len, t, TIMEFMT_SECOND_UTC);
	return buf;
}

static int
agent_running(int pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* system show --json: cert, agent and bound are NULL when there is none. */
static json_t *
system_json(const struct db_system *y, const struct db_site *s,
    const struct db_role *r, size_t nr, const struct ehttp_serving *sv,
    const struct db_cert *cert, const struct db_agent *a,
    const struct db_cert *bound, int running, int current,
    const struct db_status *m, size_t ne)
{
	json_t *roles = json_array(), *events = json_array();
	json_t *jcert = json_null(), *agent = json_null(), *health;

	for (size_t i = 0; i < nr; i++)
		json_array_append_new(roles, json_pack("{s:o,s:o,s:o}",
		    "role", cj_str(r[i].role),
		    "title", cj_str(rules_role_title(r[i].role)),
		    "connection", cj_str(r[i].connection)));
	if (cert != NULL)
		jcert = json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o}",
		    "id", (json_int_t)cert->id,
		    "type", cj_str(cert->type),
		    "type_title", cj_str(ehttp_cert_type_title(cert->type)),
		    "issued_to", cj_str(cert->issued_to),
		    "issued_by", cj_str(cert->issued_by),
		    "thumbprint", cj_str(cert->thumbprint),
		    "not_after", cj_time(cert->not_after));
	if (a != NULL) {
		health = a->health_time == 0 ? json_null() :
		    json_pack("{s:o,s:b,s:o,s:i,s:o}",
		    "time", cj_time(a->health_time),
		    "ok", a->health_ok == EHTTP_HEALTH_OK,
		    "level", cj_str(ehttp_health_name(a->health_ok)),
		    "status", a->health_status,
		    "text", cj_str(a->health_text));
		agent = json_pack("{s:i,s:o,s:b,s:i,s:i,s:b,s:o,s:o,s:o,s:o,"
		    "s:b,s:o,s:o}",
		    "pid", a->pid,
		    "host", cj_str(a->host),
		    "running", running,
		    "https_port", a->https_port,
		    "http_port", a->http_port,
		    "serving_tls", a->cert_id != 0,
		    "bound_cert_id", a->cert_id != 0 ?
		    json_integer(a->cert_id) : json_null(),
		    "bound_thumbprint", cj_str(a->thumbprint),
		    "bound_type", cj_str(bound != NULL ? bound->type : ""),
		    "bound_since", cj_time(a->bound_since),
		    "current", current,
		    "health", health,
		    "updated", cj_time(a->updated));
	}
	for (size_t i = 0; i < ne; i++)
		json_array_append_new(events, json_pack("{s:o,s:o,s:o}",
		    "time", cj_time(m[i].time),
		    "severity", cj_str(m[i].severity),
		    "message", cj_str(m[i].message)));
	return json_pack("{s:o,s:o,s:b,s:o,s:{s:o,s:o,s:b,s:o,s:o,s:o},"
	    "s:o,s:o,s:o}",
	    "fqdn", cj_str(y->fqdn),
	    "site", cj_str(y->site_code),
	    "enhanced_http", s->sec.enhanced_http,
	    "roles", roles,
	    "serving",
		"state", cj_str(sv->state_text),
		"health", cj_str(ehttp_health_name(sv->health)),
		"needs_tls", sv->needs_tls,
		"reason", cj_str(sv->reason),
		"expected_thumbprint", cj_str(cert != NULL ?
		cert->thumbprint : ""),
		"served_thumbprint", cj_str(a != NULL ? a->thumbprint : ""),
	    "certificate", jcert,
	    "agent", agent,
	    "events", events);
}

static int
cmd_system_show(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = { CLI_COMMON_OPTS, { 0 } };
	struct db_system y;
	struct db_site s;
	struct db_role *r = NULL;
	struct db_status *m = NULL;
	struct ehttp_serving sv;
	struct db_cert cert, bound;
	struct db_agent a;
	size_t nr = 0, ne = 0;
	int has_cert, has_agent, has_bound = 0, running, current, rc;
	char t1[40], t2[40], id[32];
	FILE *f = c->out;

	OPTS_LOOP(c, argc, argv, "h", lo, );
	if ((rc = cli_begin(c, argc, argv, 1, "expected one FQDN",
	    EHTTP_READONLY | EHTTP_NO_KEYS)) != 0)
		return rc;
	if (ehttp_system_resolve(c->e, argv[optind], &y) != 1 ||
	    ehttp_site_get(c->e, y.site_id, &s) == -1 ||
	    ehttp_role_list(c->e, 0, y.id, &r, &nr) == -1 ||
	    ehttp_system_serving(c->e, y.id, &sv) == -1 ||
	    (has_agent = ehttp_agent_get(c->e, y.id, &a)) == -1 ||
	    ehttp_status_list(c->e, 0, y.id, EVENTS_SHOWN, &m, &ne) == -1)
		goto fail;
	has_cert = sv.has_cert;
	cert = sv.cert;
	if (has_agent == 1 && a.cert_id != 0) {
		snprintf(id, sizeof id, "%lld", (long long)a.cert_id);
		if ((has_bound = ehttp_cert_resolve(c->e, id, &bound)) == -1)
			goto fail;
	}
	running = has_agent == 1 && agent_running(a.pid);
	current = has_agent == 1 && ehttp_agent_current(&sv, &a);

	if (c->json) {
		cj_print(f, system_json(&y, &s, r, nr, &sv, has_cert ? &cert :
		    NULL, has_agent == 1 ? &a : NULL, has_bound ? &bound : NULL,
		    running, current, m, ne));
		goto done;
	}

	fprintf(f, "Site system:        %s\n", cli_safe(c, y.fqdn));
	fprintf(f, "Site:               %s (enhanced HTTP %s)\n",
	    cli_safe(c, y.site_code),
	    s.sec.enhanced_http ? "on" : "off");
	fprintf(f, "Roles:              %s", nr ? "" : "none\n");
	for (size_t i = 0; i < nr; i++)
		fprintf(f, "%s%s%s%s%s", i ? ", " : "",
		    cli_safe(c, rules_role_title(r[i].role)),
		    r[i].connection[0] ? " (" : "", cli_safe(c, r[i].connection),
		    r[i].connection[0] ? ")" : "");
	if (nr)
		fputc('\n', f);
	fprintf(f, "Serves:             %s (%s)\n", sv.state_text,
	    ehttp_health_name(sv.health));
	fprintf(f, "                    %s\n", cli_safe_msg(c, sv.reason));
	if (has_cert)
		fprintf(f, "Certificate:        %s issued to %s by %s, expires"
		    " %s\n", ehttp_cert_type_title(cert.type),
		    cli_safe(c, cert.issued_to), cli_safe(c, cert.issued_by),
		    when_s(cert.not_after, t1, sizeof t1));
	fprintf(f, "Expected thumbprint: %s\n", has_cert ?
	    cli_safe(c, cert.thumbprint) : "none (no TLS)");
	fprintf(f, "Served thumbprint:  %s\n", has_agent != 1 ?
	    "unknown (no agent report)" : a.cert_id != 0 ?
	    cli_safe(c, a.thumbprint) : "none (no TLS)");
	if (has_agent != 1) {
		fprintf(f, "Agent:              no ehttp-mpd has reported for this"
		    " site system\n");
		goto events;
	}
	if (a.pid > 0)
		fprintf(f, "Agent:              pid %d%s%s, %s\n", a.pid,
		    a.host[0] ? " on " : "", cli_safe(c, a.host), running ?
		    "running (on this host)" : "not running on this host");
	else
		fprintf(f, "Agent:              stopped (%s)\n",
		    when_s(a.updated, t1, sizeof t1));
	if (a.cert_id != 0)
		fprintf(f, "HTTPS port:         %d, serving %s %lld (thumbprint"
		    " %s) since %s\n", a.https_port, has_bound ?
		    ehttp_cert_type_title(bound.type) : "certificate",
		    (long long)a.cert_id, cli_safe(c, a.thumbprint),
		    when_s(a.bound_since, t1, sizeof t1));
	else
		fprintf(f, "HTTPS port:         %d, not serving TLS (since %s)\n",
		    a.https_port, when_s(a.bound_since, t1, sizeof t1));
	fprintf(f, "HTTP port:          %d\n", a.http_port);
	if (a.pid > 0 && !current)
		fprintf(f, "                    (the agent picks up the certificate"
		    " above at its next poll)\n");
	if (a.health_time != 0 && a.health_status != 0)
		fprintf(f, "Last health check:  %s, %s (status %d, %s)\n",
		    when_s(a.health_time, t1, sizeof t1),
		    ehttp_health_name(a.health_ok), a.health_status,
		    cli_safe_msg(c, a.health_text));
	else if (a.health_time != 0)
		fprintf(f, "Last health check:  %s, %s (%s)\n",
		    when_s(a.health_time, t1, sizeof t1),
		    ehttp_health_name(a.health_ok), cli_safe_msg(c, a.health_text));
	else
		fprintf(f, "Last health check:  none yet\n");
	fprintf(f, "Agent reported:     %s\n", when_s(a.updated, t2, sizeof t2));
events:
	fprintf(f, "Agent events (newest first):%s\n", ne ? "" : " none");
	for (size_t i = 0; i < ne; i++)
		fprintf(f, "  %s  %-7s  %s\n", when_s(m[i].time, t1, sizeof t1),
		    cli_safe(c, m[i].severity), cli_safe_msg(c, m[i].message));
done:
	free(r);
	free(m);
	return CLI_OK;
fail:
	free(r);
	free(m);
	return cli_fail(c);
}

const struct cli_cmd cli_log_cmds[] = {
	{ "log", "show", cmd_log_show,
	  "FILE... [--type info|warning|error|malformed[,...]]\n"
	  "       [--component NAME] [--grep TEXT]",
	  "Print the records of a CMTrace log (mpcontrol.log or any other,\n"
	  "also one ehttp did not write) as Date/Time (UTC), Type, Component,\n"
	  "Thread, Log Text. Several FILEs (at most 100) are merged into one\n"
	  "timeline in time order, each record tagged with its log (column Log,\n"
	  "JSON \"log\" and \"log_path\"); records of equal time keep the order\n"
	  "of the FILEs and of their log. Filters (the console's Filter means\n"
	  "the same): --type keeps the types listed (info is every record that\n"
	  "is not a warning, an error or malformed: type 1, 0, empty and\n"
	  "others); --component components containing NAME (any case);\n"
	  "--grep records whose log text contains TEXT (any case; a line break\n"
	  "in the text matches a space; the component is not searched). Text\n"
	  "that is not a valid record is shown as type malformed with its line\n"
	  "and column, never dropped. Multi-line texts are shown on one line;\n"
	  "--json gives the text as written." },
	{ "log", "lookup", cmd_log_lookup, "CODE...",
	  "Error Lookup (as CMTrace's): decode error codes seen in logs. A hex\n"
	  "value (0x80072F8F or 80072F8F) or a negative decimal is an HRESULT:\n"
	  "its severity, facility and code, and its name where the table knows\n"
	  "it (a Win32 error in facility 7 is looked up as one); a decimal up\n"
	  "to 65535 is a Win32/WinHTTP error (12175). The console's log view\n"
	  "decodes the codes of the selected record with the same table." },
	{ "system", "show", cmd_system_show, "FQDN",
	  "Show a site system: its site, roles, the certificate it should serve\n"
	  "TLS with, and what its agent (ehttp-mpd) last reported: pid, HTTPS\n"
	  "and HTTP ports, the bound certificate and since when, the last\n"
	  "health check, and its recent events." },
	{ NULL, NULL, NULL, NULL, NULL }
};
