/* cli-agent: ehttpctl agent list|approve|revoke (agents on other hosts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static json_t *
enroll_json(const struct db_enroll *en)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I}",
	    "system", cj_str(en->fqdn),
	    "fingerprint", cj_str(en->fingerprint),
	    "host", cj_str(en->host),
	    "requested", cj_time(en->requested),
	    "approved", en->approved != 0 ? cj_time(en->approved) :
	    json_null(),
	    "approved_by", cj_str(en->approved_by),
	    "state", cj_str(en->approved != 0 ? "approved" : "waiting"),
	    "sealed_keys", (json_int_t)en->nkeys);
}

static int
cmd_agent_list(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = { CLI_COMMON_OPTS, { 0 } };
	struct db_enroll *v = NULL;
	struct cli_list l;
	char keys[32];
	size_t n;
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo, );
	if ((rc = cli_begin(c, argc, argv, 0, "expected no operand",
	    EHTTP_READONLY | EHTTP_NO_KEYS)) != 0)
		return rc;
	if (ehttp_enroll_list(c->e, &v, &n) == -1)
		return cli_fail(c);
	if (!c->json && n == 0) {
		fprintf(c->out, "No agent has asked to be enrolled (ehttp-mpd"
		    " --enroll on its host).\n");
		return CLI_OK;
	}
	cli_list_begin(c, &l, 5, "Site system", "State", "Keys", "Host",
	    "Fingerprint (SHA-256)");
	for (size_t i = 0; i < n; i++) {
		snprintf(keys, sizeof keys, "%zu", v[i].nkeys);
		if (c->json)
			cli_list_json(&l, enroll_json(&v[i]));
		else
			table_add(l.t, v[i].fqdn, v[i].approved != 0 ?
			    "approved" : "waiting", keys, cli_safe(c, v[i].host),
			    v[i].fingerprint);
	}
	cli_list_end(&l);
	free(v);
	return CLI_OK;
}

/* approve and revoke: one FQDN, a change, the notes or the enrollment. */
static int
agent_change(struct cli *c, const char *fqdn, int rc)
{
	struct db_enroll en;

	if (rc == -1)
		return cli_fail(c);
	if (!c->json) {
		cli_notes(c);
		return CLI_OK;
	}
	if ((rc = ehttp_enroll_get(c->e, fqdn, &en)) == -1)
		return cli_fail(c);
	cj_print(c->out, rc == 1 ? enroll_json(&en) :
	    json_pack("{s:o,s:s}", "system", cj_str(fqdn), "state",
	    "revoked"));
	return CLI_OK;
}

static int
cmd_agent_approve(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "fingerprint", required_argument, NULL, 'f' },
		CLI_COMMON_OPTS, { 0 } };
	const char *fpr = NULL;
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo, case 'f': fpr = optarg; break;);
	if (fpr == NULL)
		return cli_usage(c, "--fingerprint is required: the SHA-256"
		    " fingerprint ehttp-mpd --enroll printed on the agent's host"
		    " (whoever holds the agent's database login could have"
		    " asked in its place)");
	if ((rc = cli_begin(c, argc, argv, 1, "expected one FQDN", 0)) != 0)
		return rc;
	return agent_change(c, argv[optind], ehttp_agent_approve(c->e,
	    argv[optind], fpr));
}

static int
cmd_agent_revoke(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = { CLI_COMMON_OPTS, { 0 } };
	int rc;

	OPTS_LOOP(c, argc, argv, "h", lo, );
	if ((rc = cli_begin(c, argc, argv, 1, "expected one FQDN", 0)) != 0)
		return rc;
	return agent_change(c, argv[optind], ehttp_agent_revoke(c->e,
	    argv[optind]));
}

const struct cli_cmd cli_agent_cmds[] = {
	{ "agent", "list", cmd_agent_list, "",
	  "Agents on other hosts (they hold no master key): each enrollment\n"
	  "request (ehttp-mpd --enroll), its key's SHA-256 fingerprint, the\n"
	  "host it was made on, and whether it is approved and how many keys\n"
	  "are sealed to it." },
	{ "agent", "approve", cmd_agent_approve, "FQDN --fingerprint SHA256",
	  "Approve an agent's enrollment after comparing the fingerprint it\n"
	  "printed on its host: the keys the site system serves (its role or\n"
	  "PKI certificate's; a management point's also the site's token\n"
	  "signing key) are sealed to the agent's own key (CMS), now and at\n"
	  "each later issuance. The master key never leaves this host." },
	{ "agent", "revoke", cmd_agent_revoke, "FQDN",
	  "Revoke an agent's enrollment (a stolen or retired host): the keys\n"
	  "sealed to it are removed and the certificates whose keys it could\n"
	  "read are renewed (a PKI certificate must be replaced by its PKI:\n"
	  "said). Its database login (PostgreSQL) can no longer log in and\n"
	  "its sessions end, as with ehttpctl db revoke-agent." },
	{ NULL, NULL, NULL, NULL, NULL }
};
