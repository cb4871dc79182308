/* cli-trust: ehttpctl site trusted-root add|list|remove. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The actions; add and remove take CODE and one more operand (FILE,
 * THUMBPRINT) given to change, and the JSON report names that operand
 * under key; list has no change. */
struct trust_action {
	const char	*name;
	const char	*usage;
	int		(*change)(struct ehttp *, const char *, const char *);
	const char	*key;
};

static int
trust_change(struct cli *c, int argc, char **argv,
    const struct trust_action *ta)
{
	if (argc != 3)
		return cli_usage(c, "%s", ta->usage);
	if (cli_open(c, 0) == -1)
		return CLI_FAIL;
	if (ta->change(c->e, argv[1], argv[2]) == -1)
		return cli_fail(c);
	if (c->json)
		cj_print(c->out, json_pack("{s:o}", ta->key, cj_str(argv[2])));
	else
		cli_notes(c);
	return CLI_OK;
}

static int
trust_list(struct cli *c, int argc, char **argv,
    const struct trust_action *ta)
{
	struct db_trusted_root *v = NULL;
	struct cli_list l;
	size_t n;

	if (argc != 2)
		return cli_usage(c, "%s", ta->usage);
	if (cli_open(c, EHTTP_READONLY | EHTTP_NO_KEYS) == -1)
		return CLI_FAIL;
	if (ehttp_site_trusted_root_list(c->e, argv[1], &v, &n) == -1)
		return cli_fail(c);
	if (!c->json && n == 0) {
		fprintf(c->out, "Site %s has no trusted root CAs: PKI chains are"
		    " not verified up to a root.\n", cli_arg(argv[1]));
		free(v);
		return CLI_OK;
	}
	cli_list_begin(c, &l, 3, "Subject", "Expiration", "Thumbprint");
	for (size_t i = 0; i < n; i++)
		if (c->json)
			cli_list_json(&l, json_pack("{s:o,s:o,s:o,s:o,s:o}",
			    "site", cj_str(v[i].site_code),
			    "subject", cj_str(v[i].subject),
			    "thumbprint", cj_str(v[i].thumbprint),
			    "not_after", cj_time(v[i].not_after),
			    "added", cj_time(v[i].added)));
		else
			table_add(l.t, v[i].subject, cli_time(v[i].not_after),
			    v[i].thumbprint);
	cli_list_end(&l);
	free(v);
	return CLI_OK;
}

static const struct trust_action trust_actions[] = {
	{ "add", "expected add CODE FILE", ehttp_site_trusted_root_add,
	  "added" },
	{ "list", "expected list CODE", NULL, NULL },
	{ "remove", "expected remove CODE THUMBPRINT",
	  ehttp_site_trusted_root_remove, "removed" },
};

static int
cmd_site_trusted_root(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = { CLI_COMMON_OPTS, { 0 } };

	OPTS_LOOP(c, argc, argv, "h", lo, );
	if (optind >= argc)
		return cli_usage(c, "expected add, list or remove");
	for (size_t i = 0; i < sizeof trust_actions / sizeof *trust_actions;
	    i++)
		if (strcmp(argv[optind], trust_actions[i].name) == 0)
			return trust_actions[i].change != NULL ?
			    trust_change(c, argc - optind, argv + optind,
			    &trust_actions[i]) :
			    trust_list(c, argc - optind, argv + optind,
			    &trust_actions[i]);
	return cli_usage(c, "unknown action '%s' (add, list or remove)",
	    cli_arg(argv[optind]));
}

const struct cli_cmd cli_trust_cmds[] = {
	{ "site", "trusted-root", cmd_site_trusted_root,
	  "add CODE FILE | list CODE | remove CODE THUMBPRINT",
	  "The site's trusted root CAs (Site Properties > Communication\n"
	  "Security). add: a self-signed CA certificate from a PEM or DER file.\n"
	  "When a site has trusted root CAs, `cert import-pki` refuses a PKI\n"
	  "certificate whose chain does not verify up to one of them." },
	{ NULL, NULL, NULL, NULL, NULL }
};
