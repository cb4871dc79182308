/* cli: ehttpctl's dispatcher, shared helpers and the hierarchy commands. */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "content.h"
#include "prog.h"
#include "timefmt.h"
#include "utf8.h"
#include "xmalloc.h"

static const struct cli_cmd *current;

const struct cli_cmd *
cli_current(void)
{
	return current;
}

const char *
cli_time(time_t t)
{
	static char buf[4][TIMEFMT_LEN];
	static int i;

	i = (i + 1) % 4;
	if (t == 0)
		return "-";
	timefmt(buf[i], sizeof buf[i], t, TIMEFMT_MINUTE);
	return buf[i];
}

/* Tables. */

struct table {
	int	  ncols;
	char	**cells;
	size_t	  nrows, cap;
};

static struct table *
table_new(int ncols, va_list ap)
{
	struct table *t = xcalloc(1, sizeof *t);

	t->ncols = ncols;
	t->cap = 16;
	t->cells = xcalloc(t->cap * ncols, sizeof *t->cells);
	for (int i = 0; i < ncols; i++)
		t->cells[i] = xstrdup(va_arg(ap, const char *));
	t->nrows = 1;
	return t;
}

void
table_add(struct table *t, ...)
{
	va_list ap;

	if (t->nrows == t->cap) {
		t->cap *= 2;
		t->cells = xreallocarray(t->cells, t->cap * t->ncols,
		    sizeof *t->cells);
	}
	va_start(ap, t);
	for (int i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);
		t->cells[t->nrows * t->ncols + i] = safetext_dup(s, (size_t)-1);
	}
	va_end(ap);
	t->nrows++;
}

size_t
cli_width(const char *s)
{
	size_t n = 0;

	/* Escaped text is valid UTF-8: a character is a byte that does not
	 * continue one. */
	for (; *s != '\0'; s++)
		n += !utf8_cont((unsigned char)*s);
	return n;
}

void
cli_col_widen(size_t *w, const char *s)
{
	size_t n = cli_width(s);

	if (n > *w && n <= CLI_COL_MAX)
		*w = n;
}

void
cli_cell(FILE *f, const char *s, size_t w, int last)
{
	static const char spaces[] = "                                ";
	size_t n = cli_width(s), pad = (n < w ? w - n : 0) + 2, k;

	fputs(s, f);
	if (last) {
		putc('\n', f);
		return;
	}
	for (; pad > 0; pad -= k) {
		k = pad < sizeof spaces - 1 ? pad : sizeof spaces - 1;
		fwrite(spaces, 1, k, f);
	}
}

static void
table_print(struct table *t, FILE *f)
{
	size_t w[32] = { 0 };

	for (size_t r = 0; r < t->nrows; r++)
		for (int c = 0; c < t->ncols && c < 32; c++)
			cli_col_widen(&w[c], t->cells[r * t->ncols + c]);
	for (size_t r = 0; r < t->nrows; r++)
		for (int c = 0; c < t->ncols; c++)
			cli_cell(f, t->cells[r * t->ncols + c],
			    c < 32 ? w[c] : 0, c == t->ncols - 1);
}

static void
table_free(struct table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

void
cli_list_begin(struct cli *c, struct cli_list *l, int ncols, ...)
{
	va_list ap;

	l->c = c;
	l->t = NULL;
	if (c->json) {
		cj_array_open(&l->ja, c->out);
		return;
	}
	va_start(ap, ncols);
	l->t = table_new(ncols, ap);
	va_end(ap);
}

void
cli_list_json(struct cli_list *l, json_t *v)
{
	cj_array_add(&l->ja, v);
}

void
cli_list_end(struct cli_list *l)
{
	if (l->c->json)
		cj_array_close(&l->ja);
	else {
		table_print(l->t, l->c->out);
		table_free(l->t);
	}
}

void
cli_list_abort(struct cli_list *l)
{
	if (!l->c->json)
		table_free(l->t);
}

/* Common plumbing. */

int
cli_fail(struct cli *c)
{
	fprintf(c->err, "ehttpctl: %s\n", c->e != NULL ?
	    cli_safe_msg(c, ehttp_error(c->e)) : "failed");
	return CLI_FAIL;
}

static const char *
cli_keep(struct cli *c, char *s)
{
	c->safe = xgrowarray(c->safe, &c->capsafe, c->nsafe, 16,
	    sizeof *c->safe);
	return c->safe[c->nsafe++] = s;
}

const char *
cli_safe(struct cli *c, const char *s)
{
	return cli_keep(c, safetext_dup(s, (size_t)-1));
}

const char *
cli_safe_msg(struct cli *c, const char *s)
{
	return cli_keep(c, safetext_message(s != NULL ? s : ""));
}

void
cli_safe_release(struct cli *c)
{
	for (size_t i = 0; i < c->nsafe; i++)
		free(c->safe[i]);
	c->nsafe = 0;
}

const char *
cli_arg(const char *in)
{
	static char buf[4][64];
	static int n;

	n = (n + 1) % 4;
	return rules_shown(in != NULL ? in : "", buf[n], sizeof buf[n]);
}

int
cli_usage(struct cli *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(c->err, "%s: ", c->prog);
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	if (current != NULL)
		fprintf(c->err, "\nusage: ehttpctl %s%s%s %s\n",
		    current->group ? current->group : "",
		    current->group ? " " : "", current->name, current->args);
	fprintf(c->err, "Try 'ehttpctl %s%s%s --help'.\n",
	    current && current->group ? current->group : "",
	    current && current->group ? " " : "", current ? current->name : "");
	return CLI_USAGE;
}

static int
progress(const char *what, size_t done, size_t total, void *arg)
{
	struct cli *c = arg;

	/* what is ehttp's own fixed text; the line is redrawn with CR. */
	fflush(c->err);
	fprintf(c->err_raw, "\r%s: %zu/%zu (%zu%%)%s", what, done, total,
	    total ? done * 100 / total : 100, done == total ? "\n" : "");
	fflush(c->err_raw);
	return 0;
}

/* A write waits for another program's: said once, on a terminal. */
static int
waiting(void *arg, long waited_ms)
{
	struct cli *c = arg;

	if (!c->said_waiting && waited_ms >= 1000) {	/* not -1: over */
		fprintf(c->err, "%s: another program is writing to the site"
		    " database; waiting up to 10 s for it (Ctrl-C stops)\n",
		    c->prog);
		fflush(c->err);
		c->said_waiting = 1;
	}
	return 0;
}

int
cli_open(struct cli *c, int flags)
{
	char *cause = NULL;

	if ((c->e = ehttp_open(c->db_path, flags, &cause)) == NULL) {
		fprintf(c->err, "ehttpctl: %s\n", cli_safe_msg(c, cause));
		free(cause);
		return -1;
	}
	if (c->content_path != NULL)
		ehttp_content_set_root(c->e, c->content_path);
	if (isatty(fileno(c->err_raw)) && !c->json) {
		ehttp_set_progress(c->e, progress, c);
		ehttp_set_waiting(c->e, waiting, c);
	}
	return 0;
}

int
cli_begin(struct cli *c, int argc, char **argv, int n, const char *why,
    int flags)
{
	if (optind + n != argc)
		return n == 0 ? cli_usage(c, "unexpected argument '%s'",
		    cli_arg(argv[optind])) : cli_usage(c, "%s", why);
	return cli_open(c, flags) == -1 ? CLI_FAIL : 0;
}

void
cli_notes(struct cli *c)
{
	const struct ehttp_note *v;
	size_t n;

	if (c->e == NULL)
		return;
	v = ehttp_notes(c->e, &n);
	for (size_t i = 0; i < n; i++)
		fprintf(v[i].kind == EHTTP_NOTE_WARNING ? c->err : c->out,
		    "%s%s\n", v[i].kind == EHTTP_NOTE_WARNING ? "warning: " : "",
		    cli_safe_msg(c, v[i].text));
}

int
cli_help(struct cli *c, const struct cli_cmd *cmd)
{
	char shown[4096];

	fprintf(c->out, "usage: ehttpctl %s%s%s %s\n\n%s\n",
	    cmd->group ? cmd->group : "", cmd->group ? " " : "", cmd->name,
	    cmd->args, cmd->help);
	ehttp_db_display(ehttp_default_db(), shown, sizeof shown);
	fprintf(c->out, "\nCommon options: --db PATH (default %s), --content"
	    " DIR (the content libraries; default $EHTTP_CONTENT, else"
	    " 'content' beside the database), --json, --help\n",
	    cli_safe(c, shown));
	return CLI_OK;
}

int
cli_getopt(struct cli *c, int argc, char **argv, const char *shortopts,
    const struct option *longopts)
{
	int ch;

	for (;;) {
		ch = getopt_long(argc, argv, shortopts, longopts, NULL);
		switch (ch) {
		case 'j':
			c->json = 1;
			continue;
		case 'D':
			c->db_path = optarg;
			continue;
		case CLI_OPT_CONTENT:
			c->content_path = optarg;
			continue;
		default:
			return ch;
		}
	}
}

static int
parse_onoff(struct cli *c, const char *field, const char *v, int *out)
{
	char why[256];

	if (rules_onoff(field, v, out, why, sizeof why) == -1)
		return cli_usage(c, "%s", why);
	return 0;
}

int
cli_number(struct cli *c, const char *opt, const char *v, long lo, long hi,
    const char *must, long *out)
{
	unsigned long long n;

	if (prog_number(v, (unsigned long long)lo, (unsigned long long)hi,
	    &n) == -1) {
		cli_usage(c, "%s '%s': must be %s", opt, cli_arg(v), must);
		return CLI_USAGE;
	}
	*out = (long)n;
	return 0;
}

int
cli_word(struct cli *c, const char *opt, const char *v, const char *list,
    const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcmp(v, *words) == 0)
			return 0;
	return cli_usage(c, "%s '%s': must be %s", opt, cli_arg(v), list);
}

/* init */

/* Remove the database file an init made and its SQLite companions, if
 * path still names that very file. */
static void
init_undo(const char *path, const struct stat *made)
{
	static const char *const side[] = { "-wal", "-shm", "-journal" };
	struct stat st;
	char p[PATH_MAX];

	if (stat(path, &st) == -1 || st.st_dev != made->st_dev ||
	    st.st_ino != made->st_ino)
		return;
	for (size_t i = 0; i < sizeof side / sizeof *side; i++)
		if (snprintf(p, sizeof p, "%s%s", path, side[i]) <
		    (int)sizeof p)
			(void)unlink(p);
	(void)unlink(path);
}

static int
cmd_init(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "demo", no_argument, NULL, 'd' }, CLI_COMMON_OPTS, { 0 } };
	struct stat st, made;
	int demo = 0, rc, fresh;

	OPTS_LOOP(c, argc, argv, "h", lo,
	    case 'd': demo = 1; break;);
	fresh = ehttp_db_is_file(c->db_path) && lstat(c->db_path, &st) == -1 &&
	    errno == ENOENT;
	if ((rc = cli_begin(c, argc, argv, 0, NULL, EHTTP_CREATE)) != 0)
		return rc;
	fresh = fresh && stat(c->db_path, &made) == 0;
	if (ehttp_init(c->e, demo) == -1) {
		rc = cli_fail(c);
		/* A new file this run made (a damaged master key, say):
		 * taken back, so that the next init starts anew. */
		ehttp_close(c->e);
		c->e = NULL;
		if (fresh)
			init_undo(c->db_path, &made);
		return rc;
	}
	if (c->json)
		cj_print(c->out, json_pack("{s:o,s:b}", "database",
		    cj_str(ehttp_db_path(c->e)), "demo", demo));
	else
		fprintf(c->out, "Database %s is ready%s.\n",
		    cli_safe(c, ehttp_db_path(c->e)),
		    demo ? " with the demo hierarchy (sites CAS, P01, P02, S01)" :
		    "");
	return CLI_OK;
}

/* site */

static json_t *
site_json(struct db_site *s, struct ehttp_note *w, size_t nw)
{
	json_t *warnings = json_array();

	for (size_t i = 0; i < nw; i++)
		json_array_append_new(warnings, cj_str(w[i].text));
	return json_pack("{s:o,s:o,s:o,s:o,s:s,s:b,s:b,s:b,s:b,s:b,s:b,s:o,"
	    "s:i,s:o}",
	    "code", cj_str(s->code),
	    "name", cj_str(s->name),
	    "type", cj_str(rules_site_type_name(s->type)),
	    "parent", cj_str(s->parent_code),
	    "client_comm", s->sec.https_only ? "https-only" : "https-or-http",
	    "enhanced_http", s->sec.enhanced_http,
	    "pki_client_cert", s->sec.pki_client_cert,
	    "crl_check", s->sec.crl_check,
	    "require_signing", s->sec.require_signing,
	    "require_sha256", s->sec.require_sha256,
	    "use_encryption", s->sec.use_encryption,
	    "key_alg", cj_str(s->sec.key_alg),
	    "iisssl_state", ehttp_iisssl_state(&s->sec),
	    "warnings", warnings);
}

int
cli_scope(struct cli *c, const char *code, const char *fqdn, int64_t *site_id,
    int64_t *system_id)
{
	struct db_site s = { .id = 0 };
	struct db_system y = { .id = 0 };

	if ((code != NULL && ehttp_site_resolve(c->e, code, &s) != 1) ||
	    (fqdn != NULL && ehttp_system_resolve(c->e, fqdn, &y) != 1))
		return -1;
	*site_id = s.id;
	if (system_id != NULL)
		*system_id = y.id;
	return 0;
}

static int
cmd_site_add(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "type", required_argument, NULL, 't' },
		{ "parent", required_argument, NULL, 'p' }, CLI_COMMON_OPTS, { 0 } };
	const char *name = NULL, *type = NULL, *parent = NULL;
	struct db_site s;

	OPTS_LOOP(c, argc, argv, "h", lo,
	    case 'n': name = optarg; break;
	    case 't': type = optarg; break;
	    case 'p': parent = optarg; break;);
	if (optind + 1 != argc)
		return cli_usage(c, "expected one site CODE");
	if (name == NULL || type == NULL)
		return cli_usage(c, "--name and --type are required");
	if (cli_open(c, 0) == -1)
		return CLI_FAIL;
	if (ehttp_site_add(c->e, argv[optind], name, type, parent) == -1)
		return cli_fail(c);
	if (ehttp_site_resolve(c->e, argv[optind], &s) != 1)
		return cli_fail(c);
	if (c->json)
		cj_print(c->out, site_json(&s, NULL, 0));
	else
		fprintf(c->out, "Added %s site %s (%s).\n",
		    rules_site_type_name(s.type), cli_safe(c, s.code),
		    cli_safe(c, s.name));
	return CLI_OK;
}

static int
cmd_site_list(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = { CLI_COMMON_OPTS, { 0 } };
	struct db_site *v = NULL;
	struct cli_list l;
	size_t n;
	char iis[16], nwarn[16];
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo, );
	if ((rc = cli_begin(c, argc, argv, 0, NULL, EHTTP_READONLY)) != 0)
		return rc;
	if (ehttp_site_list(c->e, &v, &n) == -1)
		return cli_fail(c);
	cli_list_begin(c, &l, 8, "Code", "Name", "Type", "Parent",
	    "Client communication", "Enhanced HTTP", "IISSSLState", "Warnings");
	for (size_t i = 0; i < n; i++) {
		struct ehttp_note *w = NULL;
		size_t nw = 0;

		ehttp_site_warnings(c->e, &v[i], &w, &nw);
		if (c->json)
			cli_list_json(&l, site_json(&v[i], w, nw));
		else {
			snprintf(iis, sizeof iis, "%d",
			    ehttp_iisssl_state(&v[i].sec));
			snprintf(nwarn, sizeof nwarn, "%zu", nw);
			table_add(l.t, v[i].code, v[i].name,
			    rules_site_type_name(v[i].type),
			    v[i].parent_code[0] ? v[i].parent_code : "-",
			    v[i].sec.https_only ? "HTTPS only" : "HTTPS or HTTP",
			    v[i].sec.enhanced_http ? "on" : "off", iis, nwarn);
		}
		free(w);
	}
	cli_list_end(&l);
	free(v);
	return CLI_OK;
}

static int
cmd_site_show(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = { CLI_COMMON_OPTS, { 0 } };
	struct ehttp_note *w = NULL;
	struct db_system *y = NULL;
	struct db_site s;
	size_t nw = 0, ny = 0;
	int rc, days;

	OPTS_LOOP(c, argc, argv, "h", lo, );
	if ((rc = cli_begin(c, argc, argv, 1, "expected one site CODE",
	    EHTTP_READONLY)) != 0)
		return rc;
	if (ehttp_site_resolve(c->e, argv[optind], &s) != 1 ||
	    ehttp_site_warnings(c->e, &s, &w, &nw) == -1 ||
	    ehttp_system_list(c->e, s.id, &y, &ny) == -1 ||
	    ehttp_site_renew_days(c->e, s.id, &days) == -1) {
		free(w);
		return cli_fail(c);
	}
	if (c->json) {
		json_t *o = site_json(&s, w, nw);

		json_object_set_new(o, "renew_days", json_integer(days));
		cj_print(c->out, o);
	} else {
		FILE *f = c->out;
		fprintf(f, "Site:                 %s (%s)\n", cli_safe(c, s.code),
		    cli_safe(c, s.name));
		fprintf(f, "Type:                 %s\n", rules_site_type_name(s.type));
		fprintf(f, "Parent:               %s\n", s.parent_code[0] ?
		    cli_safe(c, s.parent_code) : "-");
		fprintf(f, "Site systems:         %zu\n", ny);
		fprintf(f, "Renewal window:       %d days before a role"
		    " certificate ends\n", days);
		fprintf(f, "\nCommunication Security\n");
		fprintf(f, "  Site system settings:  %s\n", s.sec.https_only ?
		    "HTTPS only" : "HTTPS or HTTP");
		fprintf(f, "  [%c] Use Configuration Manager-generated certificates"
		    " for HTTP site systems\n", s.sec.enhanced_http ? 'x' : ' ');
		fprintf(f, "  [%c] Use PKI client certificate (client"
		    " authentication capability) when available\n",
		    s.sec.pki_client_cert ? 'x' : ' ');
		fprintf(f, "  [%c] Clients check the certificate revocation list"
		    " (CRL) for site systems\n", s.sec.crl_check ? 'x' : ' ');
		fprintf(f, "  Key algorithm:         %s\n",
		    cli_safe(c, s.sec.key_alg));
		fprintf(f, "  IISSSLState:           %d\n",
		    ehttp_iisssl_state(&s.sec));
		if (s.type == DB_SITE_PRIMARY) {
			fprintf(f, "\nSigning and Encryption\n");
			fprintf(f, "  [%c] Require signing\n",
			    s.sec.require_signing ? 'x' : ' ');
			fprintf(f, "  [%c] Require SHA-256\n",
			    s.sec.require_sha256 ? 'x' : ' ');
			fprintf(f, "  [%c] Use encryption\n",
			    s.sec.use_encryption ? 'x' : ' ');
		}
		fprintf(f, "\nWarnings:             %s\n", nw ? "" : "none");
		for (size_t i = 0; i < nw; i++)
			fprintf(f, "  - %s\n", cli_safe_msg(c, w[i].text));
	}
	free(w);
	free(y);
	return CLI_OK;
}

/* The notes of the change just made: printed, or added to notes (JSON). */
static void
site_set_notes(struct cli *c, json_t *notes)
{
	const struct ehttp_note *v;
	size_t n;

	if (notes == NULL) {
		cli_notes(c);
		return;
	}
	v = ehttp_notes(c->e, &n);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(notes, json_pack("{s:s,s:o}", "kind",
		    v[i].kind == EHTTP_NOTE_WARNING ? "warning" : "info",
		    "text", cj_str(v[i].text)));
}

static int
cmd_site_set(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "client-comm", required_argument, NULL, 'c' },
		{ "enhanced-http", required_argument, NULL, 'e' },
		{ "pki-client-cert", required_argument, NULL, 'p' },
		{ "crl-check", required_argument, NULL, 'r' },
		{ "require-signing", required_argument, NULL, 's' },
		{ "require-sha256", required_argument, NULL, '2' },
		{ "use-encryption", required_argument, NULL, 'u' },
		{ "key-alg", required_argument, NULL, 'k' },
		{ "threads", required_argument, NULL, 'T' },
		{ "renew-days", required_argument, NULL, 'R' },
		CLI_COMMON_OPTS, { 0 } };
	struct ehttp_security_change ch;
	struct db_site s;
	json_t *notes = NULL;
	long threads = -1, renew = -1;
	int any = 0;

	ehttp_security_change_init(&ch);
	OPTS_LOOP(c, argc, argv, "h", lo,
	    case 'c':
		if (strcmp(optarg, "https-only") == 0)
			ch.https_only = 1;
		else if (strcmp(optarg, "https-or-http") == 0)
			ch.https_only = 0;
		else {
			return cli_usage(c, "client-comm '%s': must be"
			    " https-only or https-or-http", cli_arg(optarg));
		}
		any = 1;
		break;
	    case 'e': if (parse_onoff(c, "enhanced-http", optarg, &ch.enhanced_http)) return CLI_USAGE; any = 1; break;
	    case 'p': if (parse_onoff(c, "pki-client-cert", optarg, &ch.pki_client_cert)) return CLI_USAGE; any = 1; break;
	    case 'r': if (parse_onoff(c, "crl-check", optarg, &ch.crl_check)) return CLI_USAGE; any = 1; break;
	    case 's': if (parse_onoff(c, "require-signing", optarg, &ch.require_signing)) return CLI_USAGE; any = 1; break;
	    case '2': if (parse_onoff(c, "require-sha256", optarg, &ch.require_sha256)) return CLI_USAGE; any = 1; break;
	    case 'u': if (parse_onoff(c, "use-encryption", optarg, &ch.use_encryption)) return CLI_USAGE; any = 1; break;
	    case 'k':
		if (cli_word(c, "key algorithm", optarg, "rsa2048, rsa3072 or ec-p256",
		    (const char *const []){ "rsa2048", "rsa3072", "ec-p256",
		    NULL }))
			return CLI_USAGE;
		ch.key_alg = optarg;
		any = 1;
		break;
	    case 'T':
		if (cli_number(c, "threads", optarg, 0, 256,
		    "a number from 0 (all cores) to 256", &threads))
			return CLI_USAGE;
		break;
	    case 'R':
		if (cli_number(c, "renew-days", optarg, 1, EHTTP_RENEW_DAYS_MAX,
		    "a number of days from 1 to 180",
		    &renew))
			return CLI_USAGE;
		break;);
	if (optind + 1 != argc)
		return cli_usage(c, "expected one site CODE");
	if (!any && renew < 0)
		return cli_usage(c, "nothing to set");
	if (cli_open(c, 0) == -1)
		return CLI_FAIL;
	if (threads >= 0)
		ehttp_set_threads(c->e, (unsigned)threads);
	if (ehttp_site_resolve(c->e, argv[optind], &s) != 1)
		return cli_fail(c);
	if (c->json)
		notes = json_array();
	/* Two changes, each whole: the renewal window, then the security. */
	if (renew >= 0) {
		if (ehttp_site_set_renew_days(c->e, s.id, (int)renew) == -1) {
			json_decref(notes);
			return cli_fail(c);
		}
		site_set_notes(c, notes);
	}
	if (any) {
		if (ehttp_site_set_security(c->e, s.id, &ch) == -1) {
			json_decref(notes);
			return cli_fail(c);
		}
		site_set_notes(c, notes);
	}
	if (c->json) {
		if (ehttp_site_get(c->e, s.id, &s) == -1) {
			json_decref(notes);
			return cli_fail(c);
		}
		cj_print(c->out, json_pack("{s:o,s:o}", "site",
		    site_json(&s, NULL, 0), "notes", notes));
	}
	return CLI_OK;
}

/* system */

static int
cmd_system_add(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "site", required_argument, NULL, 's' }, CLI_COMMON_OPTS, { 0 } };
	const char *site = NULL;
	struct db_system y;

	OPTS_LOOP(c, argc, argv, "h", lo, case 's': site = optarg; break;);
	if (optind + 1 != argc)
		return cli_usage(c, "expected one FQDN");
	if (site == NULL)
		return cli_usage(c, "--site CODE is required");
	if (cli_open(c, 0) == -1)
		return CLI_FAIL;
	if (ehttp_system_add(c->e, argv[optind], site) == -1 ||
	    ehttp_system_resolve(c->e, argv[optind], &y) != 1)
		return cli_fail(c);
	if (c->json)
		cj_print(c->out, json_pack("{s:o,s:o}", "fqdn", cj_str(y.fqdn),
		    "site", cj_str(y.site_code)));
	else
		fprintf(c->out, "Added site system %s to site %s.\n",
		    cli_safe(c, y.fqdn), cli_safe(c, y.site_code));
	return CLI_OK;
}

static void
roles_summary(struct db_role *r, size_t nr, int64_t system_id, char *buf,
    size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < nr && off < len; i++) {
		if (r[i].system_id != system_id)
			continue;
		off += snprintf(buf + off, len - off, "%s%s%s%s%s",
		    off ? "," : "", r[i].role, r[i].connection[0] ? "(" : "",
		    r[i].connection, r[i].connection[0] ? ")" : "");
	}
}

/* A role as system list (without the FQDN) and role list show it. */
static json_t *
role_json(const struct db_role *r, int with_fqdn)
{
	json_t *v = json_object();

	if (with_fqdn)
		json_object_set_new(v, "fqdn", cj_str(r->fqdn));
	json_object_set_new(v, "role", cj_str(r->role));
	json_object_set_new(v, "connection", cj_str(r->connection));
	if (r->allow_anonymous != -1)
		json_object_set_new(v, "allow_anonymous",
		    json_boolean(r->allow_anonymous));
	if (r->allow_propfind != -1)
		json_object_set_new(v, "allow_propfind",
		    json_boolean(r->allow_propfind));
	return v;
}

static int
cmd_system_list(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "site", required_argument, NULL, 's' }, CLI_COMMON_OPTS, { 0 } };
	const char *site = NULL;
	struct db_system *y = NULL;
	struct db_role *r = NULL;
	int64_t site_id;
	size_t n, nr;
	struct cli_list l;
	char roles[256];
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo, case 's': site = optarg; break;);
	if ((rc = cli_begin(c, argc, argv, 0, NULL, EHTTP_READONLY)) != 0)
		return rc;
	if (cli_scope(c, site, NULL, &site_id, NULL) == -1 ||
	    ehttp_system_list(c->e, site_id, &y, &n) == -1 ||
	    ehttp_role_list(c->e, site_id, 0, &r, &nr) == -1) {
		free(y);
		return cli_fail(c);
	}
	cli_list_begin(c, &l, 3, "Site system", "Site", "Roles");
	for (size_t i = 0; i < n; i++) {
		json_t *jr;

		if (!c->json) {
			roles_summary(r, nr, y[i].id, roles, sizeof roles);
			table_add(l.t, y[i].fqdn, y[i].site_code, roles);
			continue;
		}
		jr = json_array();
		for (size_t j = 0; j < nr; j++)
			if (r[j].system_id == y[i].id)
				json_array_append_new(jr, role_json(&r[j], 0));
		cli_list_json(&l, json_pack("{s:o,s:o,s:o}", "fqdn",
		    cj_str(y[i].fqdn), "site", cj_str(y[i].site_code),
		    "roles", jr));
	}
	cli_list_end(&l);
	free(y);
	free(r);
	return CLI_OK;
}

static int
cmd_system_remove(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = { CLI_COMMON_OPTS, { 0 } };
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo, );
	if ((rc = cli_begin(c, argc, argv, 1, "expected one FQDN", 0)) != 0)
		return rc;
	if (ehttp_system_remove(c->e, argv[optind]) == -1)
		return cli_fail(c);
	if (c->json)
		cj_print(c->out, json_pack("{s:o}", "removed",
		    cj_str(argv[optind])));
	else {
		cli_notes(c);
		fprintf(c->out, "Removed site system %s.\n",
		    cli_safe(c, argv[optind]));
	}
	return CLI_OK;
}

/* role */

static int
role_opts(struct cli *c, int argc, char **argv, const char **conn, int *anon,
    int *propfind)
{
	static const struct option lo[] = {
		{ "connection", required_argument, NULL, 'c' },
		{ "allow-anonymous", required_argument, NULL, 'a' },
		{ "allow-propfind", required_argument, NULL, 'p' },
		CLI_COMMON_OPTS, { 0 } };

	*conn = NULL;
	*anon = -1;
	*propfind = -1;
	OPTS_LOOP(c, argc, argv, "h", lo,
	    case 'c':
		if (cli_word(c, "connection", optarg, "http or https",
		    (const char *const []){ "http", "https", NULL }))
			return CLI_USAGE;
		*conn = optarg;
		break;
	    case 'a':
		if (parse_onoff(c, "allow-anonymous", optarg, anon))
			return CLI_USAGE;
		break;
	    case 'p':
		if (parse_onoff(c, "allow-propfind", optarg, propfind))
			return CLI_USAGE;
		break;);
	if (optind + 2 != argc)
		return cli_usage(c, "expected FQDN and ROLE");
	return -1;
}

/* role add and role set: same options, same report. */
static int
role_change(struct cli *c, int argc, char **argv,
    int (*change)(struct ehttp *, const char *, const char *, const char *,
    int, int), const char *verb, const char *prep)
{
	const char *conn;
	int anon, propfind, rc;

	if ((rc = role_opts(c, argc, argv, &conn, &anon, &propfind)) != -1)
		return rc;
	if (change == ehttp_role_set && conn == NULL && anon == -1 &&
	    propfind == -1)
		return cli_usage(c, "nothing to set (give --connection,"
		    " --allow-anonymous or --allow-propfind)");
	if (propfind != -1 && strcmp(argv[optind + 1], "dp") != 0)
		return cli_usage(c, "--allow-propfind: only a distribution"
		    " point (dp) has this setting");
	if (cli_open(c, 0) == -1)
		return CLI_FAIL;
	if (change(c->e, argv[optind], argv[optind + 1], conn, anon,
	    propfind) == -1)
		return cli_fail(c);
	if (c->json)
		cj_print(c->out, json_pack("{s:o,s:o}", "fqdn",
		    cj_str(argv[optind]), "role", cj_str(argv[optind + 1])));
	else {
		fprintf(c->out, "%s the %s role %s %s.\n", verb,
		    rules_role_title(argv[optind + 1]), prep,
		    cli_safe(c, argv[optind]));
		cli_notes(c);
	}
	return CLI_OK;
}

static int
cmd_role_add(struct cli *c, int argc, char **argv)
{
	return role_change(c, argc, argv, ehttp_role_add, "Added", "to");
}

static int
cmd_role_set(struct cli *c, int argc, char **argv)
{
	return role_change(c, argc, argv, ehttp_role_set, "Changed", "on");
}

static int
cmd_role_remove(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = { CLI_COMMON_OPTS, { 0 } };
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo, );
	if ((rc = cli_begin(c, argc, argv, 2, "expected FQDN and ROLE",
	    0)) != 0)
		return rc;
	if (ehttp_role_remove(c->e, argv[optind], argv[optind + 1]) == -1)
		return cli_fail(c);
	if (c->json)
		cj_print(c->out, json_pack("{s:o,s:o}", "fqdn",
		    cj_str(argv[optind]), "removed", cj_str(argv[optind + 1])));
	else {
		fprintf(c->out, "Removed the %s role from %s.\n",
		    rules_role_title(argv[optind + 1]), cli_safe(c, argv[optind]));
		cli_notes(c);
	}
	return CLI_OK;
}

static int
cmd_role_list(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "site", required_argument, NULL, 's' }, CLI_COMMON_OPTS, { 0 } };
	const char *site = NULL, *fqdn = NULL;
	struct db_role *r = NULL;
	struct cli_list l;
	int64_t site_id, system_id;
	size_t n;

	OPTS_LOOP(c, argc, argv, "h", lo, case 's': site = optarg; break;);
	if (optind + 1 == argc)
		fqdn = argv[optind];
	else if (optind != argc)
		return cli_usage(c, "expected at most one FQDN");
	if (cli_open(c, EHTTP_READONLY) == -1)
		return CLI_FAIL;
	if (cli_scope(c, site, fqdn, &site_id, &system_id) == -1 ||
	    ehttp_role_list(c->e, site_id, system_id, &r, &n) == -1)
		return cli_fail(c);
	cli_list_begin(c, &l, 5, "Site system", "Role", "Connection",
	    "Allow anonymous", "Allow PROPFIND");
	for (size_t i = 0; i < n; i++)
		if (c->json)
			cli_list_json(&l, role_json(&r[i], 1));
		else
			table_add(l.t, r[i].fqdn, rules_role_title(r[i].role),
			    r[i].connection[0] ? r[i].connection : "-",
			    r[i].allow_anonymous == -1 ? "-" :
			    r[i].allow_anonymous ? "yes" : "no",
			    r[i].allow_propfind == -1 ? "-" :
			    r[i].allow_propfind ? "yes" : "no");
	cli_list_end(&l);
	free(r);
	return CLI_OK;
}

/* status, audit */

static int
parse_limit(struct cli *c, const char *s, size_t *out)
{
	long v;

	if (cli_number(c, "limit", s, 0, INT_MAX, "a number from 0 to"
	    " 2147483647 (0: all)", &v))
		return CLI_USAGE;
	*out = (size_t)v;
	return 0;
}

static int
cmd_status(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "site", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'l' }, CLI_COMMON_OPTS, { 0 } };
	const char *site = NULL;
	struct db_status *m = NULL;
	int64_t site_id;
	size_t n, limit = 50;
	struct cli_list l;
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo,
	    case 's': site = optarg; break;
	    case 'l': if (parse_limit(c, optarg, &limit)) return CLI_USAGE; break;);
	if ((rc = cli_begin(c, argc, argv, 0, NULL, EHTTP_READONLY)) != 0)
		return rc;
	if (cli_scope(c, site, NULL, &site_id, NULL) == -1 ||
	    ehttp_status_list(c->e, site_id, 0, limit, &m, &n) == -1)
		return cli_fail(c);
	/* System: the site system whose agent wrote the message. */
	cli_list_begin(c, &l, 5, "Time (UTC)", "Severity", "Site", "System",
	    "Message");
	for (size_t i = 0; i < n; i++)
		if (c->json)
			cli_list_json(&l, json_pack(
			    "{s:I,s:o,s:o,s:o,s:o,s:o,s:o}",
			    "id", (json_int_t)m[i].id, "time", cj_time(m[i].time),
			    "site", cj_str(m[i].site_code),
			    "system", cj_str(m[i].system_fqdn),
			    "severity", cj_str(m[i].severity),
			    "component", cj_str(m[i].component),
			    "message", cj_str(m[i].message)));
		else
			table_add(l.t, cli_time(m[i].time), m[i].severity,
			    m[i].site_code[0] ? m[i].site_code : "-",
			    m[i].system_fqdn[0] ? m[i].system_fqdn : "-",
			    m[i].message);
	cli_list_end(&l);
	free(m);
	return CLI_OK;
}

static int
cmd_audit(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "limit", required_argument, NULL, 'l' }, CLI_COMMON_OPTS, { 0 } };
	struct db_audit *a = NULL;
	size_t n, limit = 50;
	struct cli_list l;
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo,
	    case 'l': if (parse_limit(c, optarg, &limit)) return CLI_USAGE; break;);
	if ((rc = cli_begin(c, argc, argv, 0, NULL, EHTTP_READONLY)) != 0)
		return rc;
	if (ehttp_audit_list(c->e, limit, &a, &n) == -1)
		return cli_fail(c);
	cli_list_begin(c, &l, 5, "Time (UTC)", "User", "Action", "Object",
	    "Detail");
	for (size_t i = 0; i < n; i++)
		if (c->json)
			cli_list_json(&l, json_pack("{s:I,s:o,s:o,s:o,s:o,s:o}",
			    "id", (json_int_t)a[i].id, "time", cj_time(a[i].time),
			    "user", cj_str(a[i].user), "action", cj_str(a[i].action),
			    "object", cj_str(a[i].object),
			    "detail", cj_str(a[i].detail)));
		else
			table_add(l.t, cli_time(a[i].time), a[i].user, a[i].action,
			    a[i].object, a[i].detail);
	cli_list_end(&l);
	free(a);
	return CLI_OK;
}

static const struct cli_cmd cmds[] = {
	{ NULL, "init", cmd_init, "[--demo]",
	  "Create the site database and its master key. --demo adds a CAS, two\n"
	  "primaries and a secondary with management points, distribution\n"
	  "points, SMS Providers and a reporting services point." },
	{ "site", "add", cmd_site_add,
	  "CODE --name NAME --type cas|primary|secondary [--parent CODE]",
	  "Add a site. CODE: 3 characters A-Z, 0-9 (not AUX CON NUL PRN SMS ENV).\n"
	  "A CAS has no parent; a primary's parent is a CAS (or none); a\n"
	  "secondary's parent is a primary." },
	{ "site", "list", cmd_site_list, "",
	  "List the sites with their Communication Security settings." },
	{ "site", "show", cmd_site_show, "CODE",
	  "Show a site's properties, IISSSLState and warnings." },
	{ "site", "set", cmd_site_set,
	  "CODE [--client-comm https-only|https-or-http] [--enhanced-http on|off]\n"
	  "       [--pki-client-cert on|off] [--crl-check on|off]\n"
	  "       [--require-signing on|off] [--require-sha256 on|off]\n"
	  "       [--use-encryption on|off] [--key-alg rsa2048|rsa3072|ec-p256]\n"
	  "       [--threads N] [--renew-days N]",
	  "Change a site's Communication Security (Site Properties). Turning\n"
	  "enhanced HTTP on creates the site's SMS Issuing root (the first time)\n"
	  "and issues an SMS Role SSL Certificate to each HTTP management point,\n"
	  "distribution point and SMS Provider; off supersedes them.\n"
	  "--threads: key generation threads (default: all cores).\n"
	  "--renew-days: the site server (ehttp-sited) renews a role certificate\n"
	  "this many days before it ends (1 to 180, default 30)." },
	{ "system", "add", cmd_system_add, "FQDN --site CODE",
	  "Add a site system (server) to a site." },
	{ "system", "list", cmd_system_list, "[--site CODE]",
	  "List site systems and their roles." },
	{ "system", "remove", cmd_system_remove, "FQDN",
	  "Remove a site system; its certificates are revoked." },
	{ "role", "add", cmd_role_add,
	  "FQDN mp|dp|provider|sup|rsp|smp [--connection http|https]\n"
	  "       [--allow-anonymous yes|no] [--allow-propfind yes|no]",
	  "Add a role to a site system. MP and DP take --connection (default\n"
	  "http); a DP takes --allow-anonymous (default no) and\n"
	  "--allow-propfind (WebDAV listings of its content, default yes;\n"
	  "no: its agent answers PROPFIND with 405)." },
	{ "role", "set", cmd_role_set,
	  "FQDN ROLE [--connection http|https] [--allow-anonymous yes|no]\n"
	  "       [--allow-propfind yes|no]",
	  "Change a role's client connection, anonymous access or (a DP)\n"
	  "WebDAV listings." },
	{ "role", "remove", cmd_role_remove, "FQDN ROLE",
	  "Remove a role from a site system." },
	{ "role", "list", cmd_role_list, "[--site CODE] [FQDN]",
	  "List roles." },
	{ NULL, "status", cmd_status, "[--site CODE] [--limit N]",
	  "Status messages, newest first (default limit 50; 0 for all)." },
	{ NULL, "audit", cmd_audit, "[--limit N]",
	  "The audit trail: who changed what, newest first (default limit 50;\n"
	  "0 for all)." },
	{ NULL, NULL, NULL, NULL, NULL }
};

static const struct cli_cmd *const tables[] = { cmds, cli_trust_cmds,
	cli_cert_cmds, cli_client_cmds, cli_content_cmds, cli_log_cmds,
	cli_agent_cmds, cli_db_cmds, cli_admin_cmds };

const struct cli_cmd *const *
cli_tables(size_t *n)
{
	*n = sizeof tables / sizeof *tables;
	return tables;
}

/*
 * A command's line of the summary: its name in a column of 20 and the first
 * sentence of its help, folded at 79 columns under the description (a
 * continuation line begins with spaces, a command's line with two and the
 * name).
 */
static void
summary_line(FILE *f, const char *name, const char *help)
{
	enum { COL = 23, WIDTH = 79 };
	size_t end, i, w;
	int col;

	for (end = 0; help[end] != '\0'; end++)
		if (help[end] == '.' && (help[end + 1] == ' ' ||
		    help[end + 1] == '\n' || help[end + 1] == '\0')) {
			end++;
			break;
		}
	col = fprintf(f, "  %-20s", name);
	for (i = 0; i < end; i = w) {
		while (i < end && (help[i] == ' ' || help[i] == '\n'))
			i++;
		for (w = i; w < end && help[w] != ' ' && help[w] != '\n'; w++)
			;
		if (w == i)
			break;
		if (col > COL && col + 1 + (int)(w - i) > WIDTH)
			col = fprintf(f, "\n%*s", COL - 1, "") - 1;
		col += fprintf(f, " %.*s", (int)(w - i), help + i);
	}
	fputc('\n', f);
}

static void
main_usage(FILE *f)
{
	/* The default path comes from the environment (a password in it is
	 * not shown). */
	char shown[4096], *db;

	ehttp_db_display(ehttp_default_db(), shown, sizeof shown);
	db = safetext_dup(shown, (size_t)-1);

	fprintf(f, "usage: ehttpctl [--db PATH] [--content DIR] [--json] COMMAND"
	    " [ARGS]\n\n"
	    "Enhanced HTTP for a Configuration Manager-style site hierarchy.\n\n"
	    "Commands:\n");
	for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
		for (const struct cli_cmd *cmd = tables[t]; cmd->name; cmd++) {
			char name[32];
			snprintf(name, sizeof name, "%s%s%s", cmd->group ?
			    cmd->group : "", cmd->group ? " " : "", cmd->name);
			summary_line(f, name, cmd->help);
		}
	fprintf(f, "\nOptions:\n"
	    "  --db PATH   the site database: a SQLite file or a PostgreSQL\n"
	    "              connection string (postgresql://...); default:\n"
	    "              $EHTTP_DB, else $XDG_DATA_HOME/ehttp/site.db, else\n"
	    "              ~/.local/share/ehttp/site.db; now %s\n"
	    "  --content DIR  the content libraries of packages (default:\n"
	    "              $EHTTP_CONTENT, else 'content' beside a database\n"
	    "              file, in ehttp's data directory for PostgreSQL)\n"
	    "  --json      machine-readable output (every command)\n"
	    "  --help      this text; 'ehttpctl COMMAND --help' for one command\n"
	    "  --version   print the version\n\n"
	    "Exit status:\n"
	    "  0  success\n"
	    "  1  refused or failed: the command ran and a rule, a name the\n"
	    "     database does not hold or a run-time error (database, file,\n"
	    "     writing the output) stopped it\n"
	    "  2  usage error, nothing done: an unknown command or option, a\n"
	    "     missing or extra argument, a missing option value or one that\n"
	    "     is not on/off, a number or a word the usage lists, a change\n"
	    "     command given nothing to change\n",
	    db);
	free(db);
}

static int
group_usage(struct cli *c, const char *group, FILE *f)
{
	int found = 0;

	for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
		for (const struct cli_cmd *cmd = tables[t]; cmd->name; cmd++) {
			if (cmd->group == NULL || strcmp(cmd->group, group) != 0)
				continue;
			if (!found)
				fprintf(f, "usage: ehttpctl %s COMMAND\n\n", group);
			found = 1;
			fprintf(f, "  %s %s %s\n", group, cmd->name, cmd->args);
		}
	return found;
}

static int	cli_dispatch(struct cli *, int, char **, FILE *, FILE *);

int
cli_main(int argc, char **argv, FILE *out, FILE *err)
{
	struct cli c = { .out_raw = out, .err_raw = err, .prog = "ehttpctl" };
	int rc, out_error, err_error, e;

	/* Every text output is filtered: see struct cli. */
	c.out = safetext_stream(out, &out_error);
	c.err = safetext_stream(err, &err_error);
	setvbuf(c.err, NULL, _IOLBF, BUFSIZ);	/* messages at once */
	rc = cli_dispatch(&c, argc, argv, c.out, c.err);
	ehttp_close(c.e);
	c.e = NULL;
	cli_safe_release(&c);
	free(c.safe);
	/* Output that did not arrive whole is a failure (a full disk, a closed
	 * standard output): say so, exit 1. */
	errno = 0;
	if (fclose(c.out) == EOF || ferror(out) || fflush(out) == EOF) {
		e = out_error ? out_error : errno ? errno : EIO;
		fprintf(c.err, "ehttpctl: write error: %s\n", strerror(e));
		if (rc == CLI_OK)
			rc = CLI_FAIL;
	}
	fclose(c.err);
	fflush(err);
	return rc;
}

static int
cli_dispatch(struct cli *c, int argc, char **argv, FILE *out, FILE *err)
{
	static const struct option lo[] = {
		{ "version", no_argument, NULL, 'V' }, CLI_COMMON_OPTS, { 0 } };
	const struct cli_cmd *found = NULL;
	const char *word, *sub;
	char prog[64];
	int ch, rc, shift;

	c->db_path = ehttp_default_db();
	current = NULL;
	opterr = 0;
	optind = 0;
	while ((ch = cli_getopt(c, argc, argv, "+hV", lo)) != -1) {
		if (prog_help_version(ch, "ehttpctl", main_usage, out))
			return CLI_OK;
		fprintf(err, "ehttpctl: unknown or incomplete option '%s'\n",
		    cli_arg(prog_badopt(argv)));
		main_usage(err);
		return CLI_USAGE;
	}
	if (optind >= argc) {
		main_usage(err);
		return CLI_USAGE;
	}
	word = argv[optind];
	sub = optind + 1 < argc ? argv[optind + 1] : NULL;
	for (size_t t = 0; t < sizeof tables / sizeof *tables && !found; t++)
		for (const struct cli_cmd *cmd = tables[t]; cmd->name; cmd++) {
			if (cmd->group == NULL && strcmp(cmd->name, word) == 0) {
				found = cmd;
				break;
			}
			if (cmd->group != NULL && strcmp(cmd->group, word) == 0 &&
			    sub != NULL && strcmp(cmd->name, sub) == 0) {
				found = cmd;
				break;
			}
		}
	if (found == NULL) {
		if (group_usage(c, word, sub == NULL || strcmp(sub, "--help") ?
		    err : out)) {
			if (sub != NULL && strcmp(sub, "--help") == 0)
				return CLI_OK;
			if (sub != NULL)
				fprintf(err, "\nehttpctl: unknown %s command '%s'\n",
				    cli_arg(word), cli_arg(sub));
			return CLI_USAGE;
		}
		fprintf(err, "ehttpctl: unknown command '%s'\n",
		    cli_arg(word));
		fprintf(err, "Try 'ehttpctl --help'.\n");
		return CLI_USAGE;
	}
	current = found;
	shift = optind + (found->group != NULL ? 1 : 0);
	snprintf(prog, sizeof prog, "ehttpctl %s%s%s", found->group ?
	    found->group : "", found->group ? " " : "", found->name);
	c->prog = prog;
	rc = found->run(c, argc - shift, argv + shift);
	c->prog = "ehttpctl";
	return rc;
}
