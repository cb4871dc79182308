/* cli-cert: the certificate inventory commands (ehttpctl cert ...). */
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "outfile.h"
#include "timefmt.h"
#include "xmalloc.h"

#define PAGE_ROWS	500
#define ONE_CERT	"expected one certificate ID or thumbprint"

static const char *const sort_names[DB_CERT_SORT_MAX] = {
	[DB_CERT_SORT_EXPIRATION] = "expiration",
	[DB_CERT_SORT_TYPE] = "type",
	[DB_CERT_SORT_ISSUED_TO] = "issued-to",
	[DB_CERT_SORT_ISSUED_BY] = "issued-by",
	[DB_CERT_SORT_START] = "start",
	[DB_CERT_SORT_BLOCKED] = "blocked",
	[DB_CERT_SORT_SITE] = "site",
	[DB_CERT_SORT_THUMBPRINT] = "thumbprint",
};

/*
 * cert list's table. Its pages are streamed, so a column is as wide as
 * the widest value seen so far, never narrower than these: a longer value
 * widens it from its page on (the head is printed with the first page),
 * up to CLI_COL_MAX, as in every table of ehttpctl.
 */
enum {
	CL_ID, CL_TYPE, CL_TO, CL_BY, CL_START, CL_END, CL_BLOCKED, CL_STATE,
	CL_SITE, CL_TP, CL_N
};
static const char *const cert_heads[CL_N] = {
	"ID", "Type", "Issued To", "Issued By", "Start Date", "Expiration",
	"Blocked", "State", "Site", "Thumbprint"
};
static const size_t cert_widths[CL_N] = {
	4, 24, 28, 12, 16, 16, 7, 10, 4, 0
};

/* A row's cells, with room for those made here. */
struct cert_line {
	char		 id[24], from[TIMEFMT_LEN], until[TIMEFMT_LEN];
	const char	*cell[CL_N];
};

/* r's cells into l (the escaped texts live until cli_safe_release). */
static void
cert_cells(struct cli *c, const struct db_cert *r, struct cert_line *l)
{
	snprintf(l->id, sizeof l->id, "%lld", (long long)r->id);
	snprintf(l->from, sizeof l->from, "%s", cli_time(r->not_before));
	snprintf(l->until, sizeof l->until, "%s", cli_time(r->not_after));
	l->cell[CL_ID] = l->id;
	l->cell[CL_TYPE] = ehttp_cert_type_title(r->type);
	l->cell[CL_TO] = cli_safe(c, r->issued_to);
	l->cell[CL_BY] = cli_safe(c, r->issued_by);
	l->cell[CL_START] = l->from;
	l->cell[CL_END] = l->until;
	l->cell[CL_BLOCKED] = r->blocked ? "Yes" : "No";
	l->cell[CL_STATE] = cli_safe(c, ehttp_cert_state(r, time(NULL)));
	l->cell[CL_SITE] = cli_safe(c, r->site_code);
	l->cell[CL_TP] = cli_safe(c, r->thumbprint);
}

static void
cert_row(FILE *f, const char *const cell[CL_N], const size_t w[CL_N])
{
	for (int i = 0; i < CL_N; i++)
		cli_cell(f, cell[i], w[i], i == CL_N - 1);
}

/* A page of the table: its widths first (w grows), then the head when
 * head is set, then the rows. */
static void
cert_page_print(struct cli *c, FILE *f, const struct db_cert *page,
    size_t n, size_t w[CL_N], int head)
{
	struct cert_line *l = xcalloc(n ? n : 1, sizeof *l);

	for (size_t i = 0; i < n; i++) {
		cert_cells(c, &page[i], &l[i]);
		for (int k = 0; k < CL_N; k++)
			cli_col_widen(&w[k], l[i].cell[k]);
	}
	if (head)
		cert_row(f, cert_heads, w);
	for (size_t i = 0; i < n; i++)
		cert_row(f, l[i].cell, w);
	free(l);
}

static json_t *
cert_json(const struct db_cert *c)
{
	return json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:o,"
	    "s:o,s:o,s:o}",
	    "id", (json_int_t)c->id,
	    "type", cj_str(c->type),
	    "type_title", cj_str(ehttp_cert_type_title(c->type)),
	    "state", cj_str(c->state),
	    "validity", cj_str(ehttp_cert_validity(c, time(NULL))),
	    "issued_to", cj_str(c->issued_to),
	    "issued_by", cj_str(c->issued_by),
	    "subject", cj_str(c->subject),
	    "not_before", cj_time(c->not_before),
	    "not_after", cj_time(c->not_after),
	    "blocked", c->blocked,
	    "site", cj_str(c->site_code),
	    "serial", cj_str(c->serial),
	    "thumbprint", cj_str(c->thumbprint),
	    "key_alg", cj_str(c->key_alg));
}

static int
cmd_cert_list(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "type", required_argument, NULL, 't' },
		{ "site", required_argument, NULL, 's' },
		{ "system", required_argument, NULL, 'y' },
		{ "expiring", required_argument, NULL, 'x' },
		{ "blocked", no_argument, NULL, 'b' },
		{ "active", no_argument, NULL, 'a' },
		{ "grep", required_argument, NULL, 'g' },
		{ "sort", required_argument, NULL, 'o' },
		{ "desc", no_argument, NULL, 'r' },
		{ "limit", required_argument, NULL, 'l' },
		{ "no-pager", no_argument, NULL, 'P' },
		CLI_COMMON_OPTS, { 0 } };
	struct db_cert_filter fl = { .expiring_days = -1 };
	const char *site = NULL, *system = NULL, *pager;
	struct db_cert *page = NULL, last;
	enum db_cert_sort sort = DB_CERT_SORT_EXPIRATION;
	size_t n, total = 0, limit = 0, w[CL_N];
	int desc = 0, no_pager = 0, sorted = 0, rc = CLI_OK, st;
	FILE *out = c->out, *pipe = NULL;
	struct cj_array ja;
	int pipe_error;
	long v;

	OPTS_LOOP(c, argc, argv, "h", lo,
	    case 't':
		if (cli_word(c, "type", optarg, "root, role, pki or token",
		    (const char *const []){ "root", "role", "pki", "token",
		    NULL }))
			return CLI_USAGE;
		fl.type = optarg;
		break;
	    case 's': site = optarg; break;
	    case 'y': system = optarg; break;
	    case 'x':
		if (cli_number(c, "expiring", optarg, 0, 36500,
		    "a number of days from 0 to 36500", &v))
			return CLI_USAGE;
		fl.expiring_days = (int)v;
		break;
	    case 'b': fl.blocked_only = 1; break;
	    case 'a': fl.active_only = 1; break;
	    case 'g': fl.text = optarg; break;
	    case 'r': desc = 1; break;
	    case 'P': no_pager = 1; break;
	    case 'l':
		if (cli_number(c, "limit", optarg, 0, INT_MAX, "a number from"
		    " 0 to 2147483647 (0: all)", &v))
			return CLI_USAGE;
		limit = (size_t)v;
		break;
	    case 'o':
		for (int k = 0; k < DB_CERT_SORT_MAX; k++)
			if (strcmp(optarg, sort_names[k]) == 0) {
				sort = k;
				sorted = 1;
			}
		if (!sorted)
			return cli_usage(c, "sort '%s': must be one of"
			    " expiration, type, issued-to, issued-by, start,"
			    " blocked, site, thumbprint", cli_arg(optarg));
		break;);
	if ((rc = cli_begin(c, argc, argv, 0, NULL, EHTTP_READONLY)) != 0)
		return rc;
	if (cli_scope(c, site, system, &fl.site_id, &fl.system_id) == -1)
		return cli_fail(c);
	/* Large inventories: page through the database, into a pager on a
	 * terminal. */
	if (!c->json && !no_pager && isatty(fileno(c->out_raw)) &&
	    (pager = getenv("PAGER")) != NULL && *pager != '\0') {
		fflush(c->out);
		signal(SIGPIPE, SIG_IGN);
		if ((pipe = popen(pager, "w")) != NULL)
			out = safetext_stream(pipe, &pipe_error);
	}
	if (c->json)
		cj_array_open(&ja, out);
	memcpy(w, cert_widths, sizeof w);
	for (;;) {
		size_t want = PAGE_ROWS;

		if (limit && limit - total < want)
			want = limit - total;
		if (want == 0)
			break;
		if (ehttp_cert_page(c->e, &fl, sort, desc, total ? &last : NULL,
		    want, &page, &n) == -1) {
			rc = cli_fail(c);
			break;
		}
		if (c->json)
			for (size_t i = 0; i < n; i++)
				cj_array_add(&ja, cert_json(&page[i]));
		else
			cert_page_print(c, out, page, n, w, total == 0);
		cli_safe_release(c);
		if (n > 0)
			last = page[n - 1];
		total += n;
		free(page);
		page = NULL;
		if (n < want || ferror(out))
			break;
	}
	if (c->json && rc == CLI_OK)	/* a failure leaves it open: */
		cj_array_close(&ja);	/* no reader takes it whole */
	if (pipe != NULL) {
		fclose(out);	/* a pager that quit early is no error, */
		st = pclose(pipe);	/* one that failed is: nothing shown */
		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(c->err, "ehttpctl: the pager (PAGER='%s') %s"
			    " %d: --no-pager lists without it\n",
			    cli_safe(c, pager), st != -1 && WIFSIGNALED(st) ?
			    "was stopped by signal" : "failed with status",
			    st == -1 ? -1 : WIFSIGNALED(st) ? WTERMSIG(st) :
			    WEXITSTATUS(st));
			if (rc == CLI_OK)
				rc = CLI_FAIL;
		}
	}
	return rc;
}

static int
cmd_cert_show(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = { CLI_COMMON_OPTS, { 0 } };
	struct db_cert cert, *path = NULL;
	char *text = NULL, status[1024];
	size_t n;
	int ok, rc;
	FILE *f = c->out;

	OPTS_LOOP(c, argc, argv, "h", lo, );
	if ((rc = cli_begin(c, argc, argv, 1, ONE_CERT,
	    EHTTP_READONLY | EHTTP_NO_KEYS)) != 0)
		return rc;
	if (ehttp_cert_resolve(c->e, argv[optind], &cert) != 1 ||
	    ehttp_cert_path(c->e, &cert, &path, &n) == -1 ||
	    ehttp_cert_text(c->e, cert.id, &text) == -1 ||
	    (ok = ehttp_cert_verify(c->e, &cert, status, sizeof status)) == -1) {
		free(path);
		free(text);
		return cli_fail(c);
	}
	if (c->json) {
		json_t *jpath = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(jpath, cert_json(&path[i]));
		cj_print(f, json_pack("{s:o,s:o,s:b,s:o,s:o}",
		    "certificate", cert_json(&cert), "path", jpath, "ok", ok,
		    "status", cj_str(status), "text", cj_str(text)));
	} else {
		fprintf(f, "ID:            %lld\n", (long long)cert.id);
		fprintf(f, "Type:          %s\n", ehttp_cert_type_title(cert.type));
		fprintf(f, "State:         %s%s\n",
		    cli_safe(c, ehttp_cert_state(&cert, time(NULL))),
		    cert.blocked ? ", blocked" : "");
		fprintf(f, "Issued To:     %s\n", cli_safe(c, cert.issued_to));
		fprintf(f, "Issued By:     %s\n", cli_safe(c, cert.issued_by));
		fprintf(f, "Subject:       %s\n", cli_safe(c, cert.subject));
		fprintf(f, "Site:          %s\n", cli_safe(c, cert.site_code));
		fprintf(f, "Start Date:    %s UTC\n", cli_time(cert.not_before));
		fprintf(f, "Expiration:    %s UTC\n", cli_time(cert.not_after));
		fprintf(f, "Serial:        %s\n", cli_safe(c, cert.serial));
		fprintf(f, "Thumbprint:    %s\n", cli_safe(c, cert.thumbprint));
		fprintf(f, "Key:           %s\n", cli_safe(c, cert.key_alg));
		fprintf(f, "\nCertification path:\n");
		for (size_t i = n; i-- > 0; )
			fprintf(f, "  %*s%s (%s, %s)\n", (int)(2 * (n - 1 - i)), "",
			    cli_safe(c, path[i].issued_to),
			    ehttp_cert_type_title(path[i].type),
			    cli_safe(c, path[i].thumbprint));
		fprintf(f, "Certificate status: %s\n", cli_safe_msg(c, status));
		/* The dump line by line: each line escaped on its own. */
		fputc('\n', f);
		for (char *line = text, *nl; *line != '\0'; line = nl + 1) {
			if ((nl = strchr(line, '\n')) == NULL)
				nl = line + strlen(line) - 1;
			else
				*nl = '\0';
			fprintf(f, "%s\n", cli_safe(c, line));
		}
	}
	free(text);
	free(path);
	return CLI_OK;
}

/* A user-named output file, by the rules of outfile.h. */
static int
write_out(struct cli *c, const char *path, const void *p, size_t len,
    int flags, struct outfile_made *made)
{
	char err[PATH_MAX + 256];

	if (outfile_write(path, p, len, flags, made, err, sizeof err) == -1) {
		fprintf(c->err, "ehttpctl: %s\n", cli_safe(c, err));
		return -1;
	}
	return 0;
}

static int
cmd_cert_export(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "with-key", no_argument, NULL, 'k' },
		CLI_COMMON_OPTS, { 0 } };
	const char *format = "pem", *outpath = NULL;
	struct db_cert cert;
	unsigned char *der = NULL;
	char *pem = NULL, *key = NULL, keypath[PATH_MAX] = "";
	struct outfile_made key_made = { 0 };
	size_t len = 0, klen = 0;
	int with_key = 0, rc = CLI_FAIL;

	OPTS_LOOP(c, argc, argv, "h", lo,
	    case 'f': format = optarg; break;
	    case 'o': outpath = optarg; break;
	    case 'k': with_key = 1; break;);
	/* "--out -" is standard output, as without --out. */
	if (outpath != NULL && strcmp(outpath, "-") == 0)
		outpath = NULL;
	if (optind + 1 != argc)
		return cli_usage(c, ONE_CERT);
	if (cli_word(c, "format", format, "pem or der",
	    (const char *const []){ "pem", "der", NULL }))
		return CLI_USAGE;
	if (with_key && outpath == NULL)
		return cli_usage(c, "--with-key needs --out FILE (the key goes"
		    " to FILE.key, never to the terminal)");
	if (outpath == NULL && strcmp(format, "der") == 0 &&
	    isatty(fileno(c->out_raw)))
		return cli_usage(c, "DER is binary: give --out FILE");
	if (cli_open(c, with_key ? 0 : EHTTP_READONLY | EHTTP_NO_KEYS) == -1)
		return CLI_FAIL;
	if (ehttp_cert_resolve(c->e, argv[optind], &cert) != 1)
		return cli_fail(c);
	if (strcmp(format, "der") == 0) {
		if (ehttp_cert_der(c->e, cert.id, &der, &len) == -1)
			return cli_fail(c);
	} else if (ehttp_cert_pem(c->e, cert.id, &pem, &len) == -1)
		return cli_fail(c);
	if (with_key) {
		char why[PATH_MAX + 200];

		if (outfile_key_path(outpath, keypath, sizeof keypath, why,
		    sizeof why) == -1) {
			fprintf(c->err, "ehttpctl: %s\n", cli_safe(c, why));
			goto out;
		}
		if (ehttp_cert_key_pem(c->e, cert.id, &key, &klen) == -1) {
			cli_fail(c);
			goto out;
		}
		if (write_out(c, keypath, key, klen, OUTFILE_SECRET,
		    &key_made) == -1) {
			ehttp_cert_key_exported(c->e, cert.id, keypath,
			    "the key file could not be written");
			goto out;
		}
		/* On the audit trail once the key has left the database. */
		if (ehttp_cert_key_exported(c->e, cert.id, keypath, NULL) == -1) {
			cli_fail(c);
			goto out;
		}
	}
	if (outpath != NULL) {
		if (write_out(c, outpath, der ? (void *)der : pem, len, 0,
		    NULL) == -1) {
			/* The whole export failed: take back the key file
			 * this run created (and only that). */
			outfile_undo(keypath, &key_made);
			goto out;
		}
		if (c->json) {
			json_t *v = json_pack("{s:o}", "certificate",
			    cj_str(outpath));
			if (with_key)
				json_object_set_new(v, "key", cj_str(keypath));
			cj_print(c->out, v);
		} else
			fprintf(c->out, "Exported %s %s to %s%s%s.\n",
			    ehttp_cert_type_title(cert.type),
			    cli_safe(c, cert.issued_to), cli_safe(c, outpath),
			    with_key ? " and its private key (0600) to " : "",
			    with_key ? cli_safe(c, keypath) : "");
	} else {
		/* The certificate itself, byte for byte (DER is binary). */
		fflush(c->out);
		fwrite(der ? (void *)der : pem, 1, len, c->out_raw);
	}
	rc = CLI_OK;
out:
	freezero(key, klen);
	free(der);
	free(pem);
	return rc;
}

/*
 * A command on one certificate (block, unblock, renew): its options, the
 * certificate resolved by ID or thumbprint, then op, which changes it and
 * says so (-1 with the error in the handle).
 */
static int
cert_op(struct cli *c, int argc, char **argv,
    int (*op)(struct cli *, const struct db_cert *, int), int arg)
{
	static const struct option lo[] = { CLI_COMMON_OPTS, { 0 } };
	struct db_cert cert;
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo, );
	/* Keys: blocking a PKI certificate may issue the site-issued
	 * fallback, renewing issues. */
	if ((rc = cli_begin(c, argc, argv, 1, ONE_CERT, 0)) != 0)
		return rc;
	if (ehttp_cert_resolve(c->e, argv[optind], &cert) != 1 ||
	    op(c, &cert, arg) == -1)
		return cli_fail(c);
	return CLI_OK;
}

static int
block_op(struct cli *c, const struct db_cert *cert, int block)
{
	if (ehttp_cert_block(c->e, cert->id, block) == -1)
		return -1;
	if (c->json)
		cj_print(c->out, json_pack("{s:I,s:b}", "id",
		    (json_int_t)cert->id, "blocked", block));
	else {
		fprintf(c->out, "%s %s issued to %s (ID %lld).\n", block ?
		    "Blocked" : "Unblocked", ehttp_cert_type_title(cert->type),
		    cli_safe(c, cert->issued_to), (long long)cert->id);
		cli_notes(c);
	}
	return 0;
}

static int
renew_op(struct cli *c, const struct db_cert *cert, int unused)
{
	(void)unused;
	if (ehttp_cert_renew(c->e, cert->id) == -1)
		return -1;
	if (c->json)
		cj_print(c->out, json_pack("{s:I}", "renewed",
		    (json_int_t)cert->id));
	else
		cli_notes(c);
	return 0;
}

static int
cmd_cert_block(struct cli *c, int argc, char **argv)
{
	return cert_op(c, argc, argv, block_op, 1);
}

static int
cmd_cert_unblock(struct cli *c, int argc, char **argv)
{
	return cert_op(c, argc, argv, block_op, 0);
}

static int
cmd_cert_renew(struct cli *c, int argc, char **argv)
{
	return cert_op(c, argc, argv, renew_op, 0);
}

static int
cmd_cert_import(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "chain", required_argument, NULL, 'c' }, CLI_COMMON_OPTS,
		{ 0 } };
	const char *chain = NULL;

	OPTS_LOOP(c, argc, argv, "h", lo, case 'c': chain = optarg; break;);
	if (optind + 2 != argc && optind + 3 != argc)
		return cli_usage(c, "expected FQDN CERT.pem [KEY.pem]");
	if (cli_open(c, 0) == -1)
		return CLI_FAIL;
	if (ehttp_cert_import_pki(c->e, argv[optind], argv[optind + 1],
	    optind + 2 < argc ? argv[optind + 2] : NULL, chain) == -1)
		return cli_fail(c);
	if (c->json)
		cj_print(c->out, json_pack("{s:o}", "imported",
		    cj_str(argv[optind])));
	else
		cli_notes(c);
	return CLI_OK;
}

const struct cli_cmd cli_cert_cmds[] = {
	{ "cert", "list", cmd_cert_list,
	  "[--type root|role|pki|token] [--site CODE] [--system FQDN]\n"
	  "       [--expiring DAYS] [--blocked] [--active] [--grep TEXT]\n"
	  "       [--sort expiration|type|issued-to|issued-by|start|blocked|site|"
	  "thumbprint]\n       [--desc] [--limit N] [--no-pager]",
	  "The certificate inventory (Security > Certificates), sorted by\n"
	  "expiration unless --sort. Read page by page from the database; on a\n"
	  "terminal it goes through $PAGER when set." },
	{ "cert", "show", cmd_cert_show, "ID|THUMBPRINT",
	  "Every field, the extensions and the certification path." },
	{ "cert", "export", cmd_cert_export,
	  "ID|THUMBPRINT [--format pem|der] [--out FILE] [--with-key]",
	  "Export a certificate (PEM by default, to standard output unless\n"
	  "--out; --out - is standard output). FILE is replaced only once the\n"
	  "new content is complete; a failed export leaves it as it was. A device\n"
	  "or named pipe (/dev/null, /dev/full) is written to, never removed.\n"
	  "--with-key also writes the private key, unencrypted PKCS#8, to\n"
	  "FILE.key, created 0600 (never overwritten, never through a symbolic\n"
	  "link, never to a device or the terminal)." },
	{ "cert", "block", cmd_cert_block, "ID|THUMBPRINT",
	  "Block a certificate: the site system no longer uses it." },
	{ "cert", "unblock", cmd_cert_unblock, "ID|THUMBPRINT",
	  "Unblock a certificate." },
	{ "cert", "renew", cmd_cert_renew, "ID|THUMBPRINT",
	  "Renew: an SMS Issuing root is replaced by a new current one and the\n"
	  "site's role certificates are re-issued under it; a role certificate\n"
	  "is replaced by a fresh one." },
	{ "cert", "import-pki", cmd_cert_import,
	  "FQDN CERT.pem [KEY.pem] [--chain CHAIN.pem]",
	  "Import a PKI certificate (and its unencrypted key) for a site system.\n"
	  "CERT.pem holds the certificate, then its intermediate CA certificates\n"
	  "(--chain: more of them); they are stored and served with it. Without\n"
	  "KEY.pem the key is read from CERT.pem. Site systems prefer PKI: its\n"
	  "site-issued certificate is revoked. Refused: a key that does not\n"
	  "match; a CA, self-signed or non-server certificate; a name that does\n"
	  "not match FQDN; not valid now or valid for less than a day; a key\n"
	  "weaker than RSA 2048 or EC P-256; a SHA-1 or MD5 signature in the\n"
	  "chain; control characters in names; a chain that does not reach one\n"
	  "of the site's trusted root CAs (when it has any: without, a warning)." },
	{ NULL, NULL, NULL, NULL, NULL }
};
