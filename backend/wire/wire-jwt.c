/*
 * wire-jwt.c: the JOSE header of a token (JSON, read with jansson). The
 * signature itself is backend/ca/'s (ca_jwt_verify, RS256 only: the
 * header's "alg" never chooses the algorithm; it is checked here so that a
 * token that claims another one is refused by name).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "wire-int.h"

#define WIRE_JOSE_MAX	4096

int
wire_jwt_header_check(const char *s, char **x5t, char **cause)
{
	json_t *h = NULL, *v;
	json_error_t je;
	int rc = -1;

	*x5t = NULL;
	if (strlen(s) > WIRE_JOSE_MAX)
		return wire_fail(cause, "token header: longer than %d bytes",
		    WIRE_JOSE_MAX);
	if ((h = json_loads(s, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		wire_fail(cause, "token header: not JSON (column %d: %s)",
		    je.column, je.text);
		goto out;
	}
	if (!json_is_object(h)) {
		wire_fail(cause, "token header: not a JSON object");
		goto out;
	}
	v = json_object_get(h, "alg");
	if (!json_is_string(v) || strcmp(json_string_value(v), "RS256") != 0) {
		wire_fail(cause, "token header: alg is not RS256");
		goto out;
	}
	v = json_object_get(h, "typ");
	if (v != NULL && (!json_is_string(v) ||
	    strcmp(json_string_value(v), "JWT") != 0)) {
		wire_fail(cause, "token header: typ is not JWT");
		goto out;
	}
	v = json_object_get(h, "x5t");
	if (!json_is_string(v) || json_string_length(v) == 0) {
		wire_fail(cause, "token header: no x5t (certificate "
		    "thumbprint)");
		goto out;
	}
	*x5t = xstrdup(json_string_value(v));
	rc = 0;
out:
	json_decref(h);
	return rc;
}
