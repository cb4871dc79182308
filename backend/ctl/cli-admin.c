/* cli-admin: ehttpctl admin token new|list|revoke: the administration
 * service's bearer tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int
token_new(struct cli *c, int argc, char **argv, const char *role, long days)
{
	struct db_admin_token t;
	char token[EHTTP_ADMIN_TOKEN_LEN + 1];

	if (argc != 2)
		return cli_usage(c, "expected new NAME --role read-only|full");
	if (role == NULL)
		return cli_usage(c, "--role read-only|full is required");
	if (cli_open(c, EHTTP_NO_KEYS) == -1)
		return CLI_FAIL;
	if (ehttp_admin_token_new(c->e, argv[1], strcmp(role, "read-only") ==
	    0, (int)days, token, &t) == -1)
		return cli_fail(c);
	if (c->json)
		cj_print(c->out, json_pack("{s:o,s:s,s:s,s:o,s:o}", "name",
		    cj_str(t.name), "role", t.role, "token", token, "created",
		    cj_time(t.created), "expires", cj_time(t.expires)));
	else {
		/* The token alone on standard output: TOKEN=$(ehttpctl ...). */
		fprintf(c->out, "%s\n", token);
		fprintf(c->err, "Token %s (%s access) valid until %s UTC. It is"
		    " shown only now: keep it where\nonly its holder can read it."
		    " Send it as \"Authorization: Bearer TOKEN\" to the SMS\n"
		    "Provider's /AdminService over HTTPS.\n", t.name, t.role,
		    cli_time(t.expires));
	}
	explicit_bzero(token, sizeof token);
	return CLI_OK;
}

static int
token_list(struct cli *c, int argc)
{
	struct db_admin_token *v = NULL;
	struct cli_list l;
	size_t n;

	if (argc != 1)
		return cli_usage(c, "expected list");
	if (cli_open(c, EHTTP_READONLY | EHTTP_NO_KEYS) == -1)
		return CLI_FAIL;
	if (ehttp_admin_token_list(c->e, &v, &n) == -1)
		return cli_fail(c);
	cli_list_begin(c, &l, 5, "Name", "Access", "Created", "Expires",
	    "Created by");
	for (size_t i = 0; i < n; i++)
		if (c->json)
			cli_list_json(&l, json_pack("{s:o,s:o,s:o,s:o,s:o}",
			    "name", cj_str(v[i].name), "role",
			    cj_str(v[i].role), "created",
			    cj_time(v[i].created), "expires",
			    cj_time(v[i].expires), "created_by",
			    cj_str(v[i].created_by)));
		else
			table_add(l.t, v[i].name, v[i].role,
			    cli_time(v[i].created), cli_time(v[i].expires),
			    v[i].created_by);
	cli_list_end(&l);
	free(v);
	return CLI_OK;
}

static int
token_revoke(struct cli *c, int argc, char **argv)
{
	if (argc != 2)
		return cli_usage(c, "expected revoke NAME");
	if (cli_open(c, EHTTP_NO_KEYS) == -1)
		return CLI_FAIL;
	if (ehttp_admin_token_revoke(c->e, argv[1]) == -1)
		return cli_fail(c);
	if (c->json)
		cj_print(c->out, json_pack("{s:o,s:b}", "name",
		    cj_str(argv[1]), "revoked", 1));
	else
		cli_notes(c);
	return CLI_OK;
}

static int
cmd_admin_token(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "days", required_argument, NULL, 'd' },
		CLI_COMMON_OPTS, { 0 } };
	const char *role = NULL, *action;
	long days = EHTTP_ADMIN_TOKEN_DAYS;
	int rc, given = 0;

	OPTS_LOOP(c, argc, argv, "h", lo,
	    case 'r':
		if ((rc = cli_word(c, "--role", optarg, "read-only|full",
		    (const char *const []){ "read-only", "full", NULL })) != 0)
			return rc;
		role = optarg;
		given = 1;
		break;
	    case 'd':
		if ((rc = cli_number(c, "--days", optarg, 1,
		    EHTTP_ADMIN_TOKEN_DAYS_MAX, "1 to 3650", &days)) != 0)
			return rc;
		given = 1;
		break;);
	if (optind >= argc)
		return cli_usage(c, "expected new, list or revoke");
	action = argv[optind];
	if (strcmp(action, "new") == 0)
		return token_new(c, argc - optind, argv + optind, role, days);
	if (given)
		return cli_usage(c, "--role and --days are for 'new' only");
	if (strcmp(action, "list") == 0)
		return token_list(c, argc - optind);
	if (strcmp(action, "revoke") == 0)
		return token_revoke(c, argc - optind, argv + optind);
	return cli_usage(c, "unknown action '%s' (new, list or revoke)",
	    cli_arg(action));
}

const struct cli_cmd cli_admin_cmds[] = {
	{ "admin", "token", cmd_admin_token,
	  "new NAME --role read-only|full [--days N] | list | revoke NAME",
	  "Bearer tokens of the administration service (the SMS Provider's\n"
	  "REST API, /AdminService over HTTPS). new: a token for NAME with\n"
	  "read-only access (reads) or full access (reads and changes, as\n"
	  "ehttpctl), valid for --days days (default 90, at most 3650); it is\n"
	  "printed once and only its SHA-256 is stored. revoke: refused from\n"
	  "then on. Making and revoking are audited." },
	{ NULL, NULL, NULL, NULL, NULL }
};
