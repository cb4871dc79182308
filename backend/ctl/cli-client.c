/*
 * cli-client: the hierarchy's clients (ehttpctl hierarchy, client and
 * token commands): client approval, the registered clients, and bulk
 * registration tokens.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "outfile.h"
#include "xmalloc.h"

#define CLIENT_PAGE	500

/* ------------------------------------------------------------ hierarchy */

static int
cmd_hierarchy_show(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = { CLI_COMMON_OPTS, { 0 } };
	char id[64];
	int automatic, rc;

	OPTS_LOOP(c, argc, argv, "h", lo, );
	if ((rc = cli_begin(c, argc, argv, 0, NULL, EHTTP_READONLY |
	    EHTTP_NO_KEYS)) != 0)
		return rc;
	if (ehttp_hierarchy_id(c->e, id, sizeof id) == -1 ||
	    ehttp_hierarchy_approval(c->e, &automatic) == -1)
		return cli_fail(c);
	if (c->json)
		cj_print(c->out, json_pack("{s:o,s:o,s:o}", "id", cj_str(id),
		    "token_issuer", json_sprintf("urn:sccm:oauth2:%s", id),
		    "client_approval", cj_str(automatic ? "auto" : "manual")));
	else
		fprintf(c->out, "Hierarchy ID:     %s\n"
		    "Token issuer:     urn:sccm:oauth2:%s\n"
		    "Client approval:  %s\n", id, id, automatic ?
		    "auto (automatically approve all computers)" :
		    "manual (manually approve each computer)");
	return CLI_OK;
}

static int
cmd_hierarchy_set(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "client-approval", required_argument, NULL, 'a' },
		CLI_COMMON_OPTS, { 0 } };
	const char *approval = NULL;
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo,
	    case 'a':
		if (cli_word(c, "client-approval", optarg, "manual or auto",
		    (const char *const []){ "manual", "auto", NULL }))
			return CLI_USAGE;
		approval = optarg;
		break;);
	if (approval == NULL)
		return cli_usage(c, "nothing to set (--client-approval "
		    "manual|auto)");
	if ((rc = cli_begin(c, argc, argv, 0, NULL, 0)) != 0)
		return rc;
	if (ehttp_hierarchy_set_approval(c->e, approval) == -1)
		return cli_fail(c);
	if (c->json)
		cj_print(c->out, json_pack("{s:o}", "client_approval",
		    cj_str(approval)));
	else
		cli_notes(c);
	return CLI_OK;
}

/* -------------------------------------------------------------- clients */

static json_t *
client_json(const struct db_client *k)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:b,s:o,s:b,s:o,s:o}",
	    "smsid", cj_str(k->smsid), "name", cj_str(k->name),
	    "site", cj_str(k->site_code), "thumbprint", cj_str(k->thumbprint),
	    "approval", cj_str(k->approved ? "approved" : "pending"),
	    "approved", k->approved, "approved_by", cj_str(k->approved_by),
	    "blocked", k->blocked, "registered", cj_time(k->registered),
	    "last_contact", cj_time(k->last_contact));
}

static int
cmd_client_list(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "site", required_argument, NULL, 's' },
		CLI_COMMON_OPTS, { 0 } };
	struct db_client *v = NULL;
	const char *site = NULL;
	struct cli_list l;
	int64_t site_id, after = 0;
	size_t n;
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo,
	    case 's': site = optarg; break;);
	if ((rc = cli_begin(c, argc, argv, 0, NULL, EHTTP_READONLY |
	    EHTTP_NO_KEYS)) != 0)
		return rc;
	if (cli_scope(c, site, NULL, &site_id, NULL) == -1)
		return cli_fail(c);
	cli_list_begin(c, &l, 7, "SMSID", "Name", "Site", "Approval",
	    "Blocked", "Last contact", "Thumbprint");
	do {		/* keyset pages: never every row in memory */
		if (ehttp_client_page(c->e, site_id, after, CLIENT_PAGE, &v,
		    &n) == -1) {
			cli_list_abort(&l);
			return cli_fail(c);
		}
		for (size_t i = 0; i < n; i++)
			if (c->json)
				cli_list_json(&l, client_json(&v[i]));
			else
				table_add(l.t, v[i].smsid, v[i].name,
				    v[i].site_code, v[i].approved ? "Approved" :
				    "Pending", v[i].blocked ? "Yes" : "No",
				    cli_time(v[i].last_contact),
				    v[i].thumbprint);
		if (n > 0)
			after = v[n - 1].id;
		free(v);
		v = NULL;
	} while (n == CLIENT_PAGE);
	cli_list_end(&l);
	return CLI_OK;
}

static int
cmd_client_show(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = { CLI_COMMON_OPTS, { 0 } };
	struct db_client k;
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo, );
	if ((rc = cli_begin(c, argc, argv, 1, "expected one SMSID or client "
	    "name", EHTTP_READONLY | EHTTP_NO_KEYS)) != 0)
		return rc;
	if (ehttp_client_resolve(c->e, argv[optind], &k) != 1)
		return cli_fail(c);
	if (c->json) {
		cj_print(c->out, client_json(&k));
		return CLI_OK;
	}
	fprintf(c->out, "SMSID:         %s\n", cli_safe(c, k.smsid));
	fprintf(c->out, "Name:          %s\n", cli_safe(c, k.name));
	fprintf(c->out, "Site:          %s\n", k.site_code);
	fprintf(c->out, "Approval:      %s%s%s%s\n", k.approved ? "Approved" :
	    "Pending", k.approved_by[0] ? " (by " : "", cli_safe(c,
	    k.approved_by), k.approved_by[0] ? ")" : "");
	fprintf(c->out, "Blocked:       %s\n", k.blocked ? "Yes" : "No");
	fprintf(c->out, "Thumbprint:    %s\n", cli_safe(c, k.thumbprint));
	fprintf(c->out, "Registered:    %s UTC\n", cli_time(k.registered));
	fprintf(c->out, "Last contact:  %s UTC\n", cli_time(k.last_contact));
	return CLI_OK;
}

static int
client_act(struct cli *c, int argc, char **argv,
    enum ehttp_client_action act, const char *done)
{
	static const struct option lo[] = { CLI_COMMON_OPTS, { 0 } };
	struct db_client k;
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo, );
	if ((rc = cli_begin(c, argc, argv, 1, "expected one SMSID or client "
	    "name", 0)) != 0)
		return rc;
	if (ehttp_client_resolve(c->e, argv[optind], &k) != 1 ||
	    ehttp_client_act(c->e, k.id, act) == -1)
		return cli_fail(c);
	if (c->json)
		cj_print(c->out, json_pack("{s:o,s:o}", done, cj_str(k.smsid),
		    "name", cj_str(k.name)));
	else
		cli_notes(c);
	return CLI_OK;
}

static int
cmd_client_approve(struct cli *c, int argc, char **argv)
{
	return client_act(c, argc, argv, EHTTP_CLIENT_APPROVE, "approved");
}

static int
cmd_client_block(struct cli *c, int argc, char **argv)
{
	return client_act(c, argc, argv, EHTTP_CLIENT_BLOCK, "blocked");
}

static int
cmd_client_unblock(struct cli *c, int argc, char **argv)
{
	return client_act(c, argc, argv, EHTTP_CLIENT_UNBLOCK, "unblocked");
}

static int
cmd_client_delete(struct cli *c, int argc, char **argv)
{
	return client_act(c, argc, argv, EHTTP_CLIENT_DELETE, "deleted");
}

/* --------------------------------------------------------- bulk tokens */

/* The site a bulk token is for: --site, else the only site with enhanced
 * HTTP on. */
static int
token_site(struct cli *c, const char *code, int64_t *site_id)
{
	struct db_site *v = NULL;
	size_t n, found = 0;

	if (code != NULL)
		return cli_scope(c, code, NULL, site_id, NULL);
	if (ehttp_site_list(c->e, &v, &n) == -1)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (ehttp_site_enhanced(&v[i].sec)) {
			*site_id = v[i].id;
			found++;
		}
	free(v);
	if (found == 1)
		return 0;
	return ehttp_fail(c->e, "%s: give --site CODE (the site whose SMS "
	    "Token Signing certificate signs the token)", found == 0 ?
	    "no site has enhanced HTTP on" : "several sites have enhanced "
	    "HTTP on");
}

static int
cmd_token_new(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "site", required_argument, NULL, 's' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ "out", required_argument, NULL, 'o' },
		CLI_COMMON_OPTS, { 0 } };
	const char *site = NULL, *path = NULL;
	struct db_bulk_token b;
	long minutes = EHTTP_BULK_DEFAULT;
	char *tok = NULL, *text;
	int64_t site_id;
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo,
	    case 's': site = optarg; break;
	    case 'l':
		if (cli_number(c, "lifetime", optarg, EHTTP_BULK_MIN,
		    EHTTP_BULK_MAX, "a number of minutes from 1 to 10080 (7 "
		    "days)", &minutes))
			return CLI_USAGE;
		break;
	    case 'o': path = optarg; break;);
	if ((rc = cli_begin(c, argc, argv, 0, NULL, 0)) != 0)
		return rc;
	if (token_site(c, site, &site_id) == -1 ||
	    ehttp_bulk_token_new(c->e, site_id, minutes, &tok, &b) == -1)
		return cli_fail(c);
	rc = CLI_OK;
	if (path != NULL) {
		char err[PATH_MAX + 256];

		xasprintf(&text, "%s\n", tok);
		if (outfile_write(path, text, strlen(text), OUTFILE_SECRET,
		    NULL, err, sizeof err) == -1) {
			/* Nobody has the token: it must approve nobody. */
			fprintf(c->err, "ehttpctl: %s\n", cli_safe(c, err));
			if (ehttp_bulk_token_block(c->e, b.id, 1) == 0)
				fprintf(c->err, "ehttpctl: bulk registration "
				    "token %s was not written: it is blocked\n",
				    b.id);
			else
				cli_fail(c);
			rc = CLI_FAIL;
		}
		freezero_str(text);
	}
	if (rc == CLI_OK && c->json)
		cj_print(c->out, json_pack("{s:o,s:o,s:o,s:o,s:o}", "id",
		    cj_str(b.id), "site", cj_str(b.site_code), "not_before",
		    cj_time(b.not_before), "not_after", cj_time(b.not_after),
		    "token", path != NULL ? json_null() : cj_str(tok)));
	else if (rc == CLI_OK) {
		if (path == NULL)
			fprintf(c->out, "%s\n", tok);
		fprintf(c->err, "Bulk registration token %s for site %s, valid "
		    "until %s UTC%s%s. It is shown once: the site keeps only "
		    "its id.\n", b.id, b.site_code, cli_time(b.not_after),
		    path != NULL ? ", written to " : "", path != NULL ?
		    cli_safe(c, path) : "");
	}
	freezero_str(tok);
	return rc;
}

static int
cmd_token_list(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = { CLI_COMMON_OPTS, { 0 } };
	struct db_bulk_token *v = NULL;
	struct cli_list l;
	time_t now = time(NULL);
	size_t n;
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo, );
	if ((rc = cli_begin(c, argc, argv, 0, NULL, EHTTP_READONLY |
	    EHTTP_NO_KEYS)) != 0)
		return rc;
	if (ehttp_bulk_token_list(c->e, &v, &n) == -1)
		return cli_fail(c);
	cli_list_begin(c, &l, 6, "ID", "Site", "Valid from", "Valid until",
	    "State", "Clients approved");
	for (size_t i = 0; i < n; i++) {
		const char *state = ehttp_bulk_token_state(&v[i], now);
		char used[24];

		if (c->json) {
			cli_list_json(&l, json_pack("{s:o,s:o,s:o,s:o,s:o,s:b,"
			    "s:I,s:o}", "id", cj_str(v[i].id), "site",
			    cj_str(v[i].site_code), "not_before",
			    cj_time(v[i].not_before), "not_after",
			    cj_time(v[i].not_after), "state", cj_str(state),
			    "blocked", v[i].blocked, "used",
			    (json_int_t)v[i].used, "created",
			    cj_time(v[i].created)));
			continue;
		}
		snprintf(used, sizeof used, "%lld", (long long)v[i].used);
		table_add(l.t, v[i].id, v[i].site_code,
		    cli_time(v[i].not_before), cli_time(v[i].not_after), state,
		    used);
	}
	cli_list_end(&l);
	free(v);
	return CLI_OK;
}

static int
token_block(struct cli *c, int argc, char **argv, int blocked)
{
	static const struct option lo[] = { CLI_COMMON_OPTS, { 0 } };
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo, );
	if ((rc = cli_begin(c, argc, argv, 1, "expected one token ID", 0)) !=
	    0)
		return rc;
	if (ehttp_bulk_token_block(c->e, argv[optind], blocked) == -1)
		return cli_fail(c);
	if (c->json)
		cj_print(c->out, json_pack("{s:o,s:b}", "id",
		    cj_str(argv[optind]), "blocked", blocked));
	else
		cli_notes(c);
	return CLI_OK;
}

static int
cmd_token_block(struct cli *c, int argc, char **argv)
{
	return token_block(c, argc, argv, 1);
}

static int
cmd_token_unblock(struct cli *c, int argc, char **argv)
{
	return token_block(c, argc, argv, 0);
}

const struct cli_cmd cli_client_cmds[] = {
	{ "hierarchy", "show", cmd_hierarchy_show, "",
	  "The hierarchy's id (the issuer of its tokens) and client approval." },
	{ "hierarchy", "set", cmd_hierarchy_set, "--client-approval manual|auto",
	  "How new clients are approved: manual (an administrator approves\n"
	  "each: ehttpctl client approve) or auto (all). A client that\n"
	  "registers with a valid bulk registration token is approved." },
	{ "client", "list", cmd_client_list, "[--site CODE]",
	  "The registered clients: SMSID, name, approval, blocked, last\n"
	  "contact, certificate thumbprint." },
	{ "client", "show", cmd_client_show, "SMSID|NAME",
	  "One client." },
	{ "client", "approve", cmd_client_approve, "SMSID|NAME",
	  "Approve a client: it may get tokens from the management point." },
	{ "client", "block", cmd_client_block, "SMSID|NAME",
	  "Block a client: its tokens are refused (401) from the management\n"
	  "point's next poll and it gets no new one." },
	{ "client", "unblock", cmd_client_unblock, "SMSID|NAME",
	  "Unblock a client." },
	{ "client", "delete", cmd_client_delete, "SMSID|NAME",
	  "Delete a client's record; it must register again." },
	{ "token", "new", cmd_token_new,
	  "[--site CODE] [--lifetime MINUTES] [--out FILE]",
	  "Create a bulk registration token (a client that registers with it\n"
	  "is approved), signed by the site's SMS Token Signing certificate.\n"
	  "--lifetime: 1 to 10080 minutes (7 days), default 4320 (3 days).\n"
	  "The token is printed (or written to FILE, mode 0600) once: the site\n"
	  "keeps only its id, validity and state. --site: default the only\n"
	  "site with enhanced HTTP on." },
	{ "token", "list", cmd_token_list, "",
	  "The bulk registration tokens (never the tokens themselves)." },
	{ "token", "block", cmd_token_block, "ID",
	  "Block a bulk registration token: it approves nobody." },
	{ "token", "unblock", cmd_token_unblock, "ID",
	  "Unblock a bulk registration token." },
	{ NULL, NULL, NULL, NULL, NULL }
};
