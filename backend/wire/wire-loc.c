/*
 * wire-loc.c: what a client reads of the management point's location
 * replies (wire.h). The MP writes them (backend/agent.c); this side is
 * the client's, and is as strict as the registration reply's reader.
 */
#include <stdlib.h>
#include <string.h>

#include "wire.h"
#include "wire-int.h"
#include "xmalloc.h"

#define WIRE_KEYINFO_MPS	1024

void
wire_keyinfo_clear(struct wire_keyinfo *k)
{
	free(k->site_code);
	wire_bytes_free(&k->root_key);
	for (size_t i = 0; i < k->nmps; i++)
		free(k->mps[i]);
	free(k->mps);
	memset(k, 0, sizeof *k);
}

int
wire_keyinfo_decode(const unsigned char *body, size_t len,
    struct wire_keyinfo *k, char **cause)
{
	struct wx_node *root = NULL, *n, *mps;
	int rc = -1;

	memset(k, 0, sizeof *k);
	if (len > WIRE_BODY_MAX) {
		wire_fail(cause, "MPKEYINFORMATIONEX of %zu bytes is larger "
		    "than %d", len, WIRE_BODY_MAX);
		return -1;
	}
	if (wx_parse(body, len, "UTF-8", "MPKEYINFORMATIONEX", &root,
	    cause) == -1)
		return -1;
	if (strcmp(root->name, "MPKEYINFORMATIONEX") != 0) {
		wire_fail(cause, "MPKEYINFORMATIONEX: root element is <%.40s>",
		    root->name);
		goto out;
	}
	if ((n = wx_child(root, "SITECODE")) == NULL || n->text == NULL ||
	    *n->text == '\0') {
		wire_fail(cause, "MPKEYINFORMATIONEX: no <SITECODE>");
		goto out;
	}
	k->site_code = xstrdup(n->text);
	if ((n = wx_child(root, "RootKeyBlob")) == NULL || n->text == NULL ||
	    wire_unhex(n->text, &k->root_key, cause) == -1 ||
	    k->root_key.len == 0) {
		if (cause != NULL && *cause == NULL)
			wire_fail(cause, "MPKEYINFORMATIONEX: no <RootKeyBlob>");
		goto out;
	}
	if ((mps = wx_child(root, "MPs")) != NULL)
		for (n = mps->child; n != NULL; n = n->next) {
			const char *fqdn = wx_attr(n, "FQDN");

			if (strcmp(n->name, "MP") != 0 || fqdn == NULL)
				continue;
			if (k->nmps == WIRE_KEYINFO_MPS) {
				wire_fail(cause, "MPKEYINFORMATIONEX: more "
				    "than %d MPs", WIRE_KEYINFO_MPS);
				goto out;
			}
			k->mps = xreallocarray(k->mps, k->nmps + 1,
			    sizeof *k->mps);
			k->mps[k->nmps++] = xstrdup(fqdn);
		}
	rc = 0;
out:
	if (rc == -1)
		wire_keyinfo_clear(k);
	wx_free(root);
	return rc;
}
