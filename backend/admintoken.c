/*
 * admintoken: the administration service's bearer tokens. The token is
 * made from the kernel's randomness and shown once; the database keeps its
 * SHA-256 only, so a copy of the database grants nothing. A request's
 * token is looked up by that hash (an index): no comparison of secrets
 * that could leak their length or prefix through its timing.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca.h"
#include "ehttp-int.h"
#include "timefmt.h"

#define TOKEN_PREFIX	"ehttp_"
#define TOKEN_BYTES	32
#define NAME_MAX_LEN	48


static int
name_ok(struct ehttp *e, const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > NAME_MAX_LEN)
		return ehttp_fail(e, "token name: must have 1 to %d characters",
		    NAME_MAX_LEN);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '.' &&
		    name[i] != '_' && name[i] != '-')
			return ehttp_fail(e, "token name: only letters, digits,"
			    " '.', '_' and '-'");
	return 0;
}

/* The token's shape: the prefix and 43 base64url characters. */
static int
token_shape_ok(const char *t)
{
	size_t p = strlen(TOKEN_PREFIX);

	if (strlen(t) != EHTTP_ADMIN_TOKEN_LEN || strncmp(t, TOKEN_PREFIX,
	    p) != 0)
		return 0;
	return strspn(t + p, CA_B64U_CHARS) == EHTTP_ADMIN_TOKEN_LEN - p;
}

static int
token_hash(struct ehttp *e, const char *t, char out[65])
{
	struct ca *ca = ca_new();
	struct ca_sha256 *h;
	int rc = -1;

	if ((h = ca_sha256_new(ca)) != NULL && ca_sha256_update(ca, h, t,
	    strlen(t)) == 0 && ca_sha256_final(ca, h, out) == 0)
		rc = 0;
	else
		ehttp_fail(e, "hashing the token: %s", ca_error(ca));
	ca_sha256_free(h);
	ca_free(ca);
	return rc;
}

/* The prefix and 32 random bytes as 43 base64url characters. */
static int
token_make(struct ehttp *e, char token[EHTTP_ADMIN_TOKEN_LEN + 1])
{
	struct ca *ca = ca_new();
	char b[TOKEN_BYTES / 3 * 4 + 4];
	int rc = 0;

	if (ca_random_b64u(ca, TOKEN_BYTES, b, sizeof b) == -1)
		rc = ehttp_fail(e, "%s", ca_error(ca));
	else if (snprintf(token, EHTTP_ADMIN_TOKEN_LEN + 1, "%s%s",
	    TOKEN_PREFIX, b) != EHTTP_ADMIN_TOKEN_LEN)
		rc = ehttp_fail(e, "token length");
	explicit_bzero(b, sizeof b);
	ca_free(ca);
	return rc;
}

static int
new_locked(struct ehttp *e, struct db_admin_token *t)
{
	struct db_admin_token old;
	char until[32];
	int rc;

	if ((rc = db_admin_token_by_name(e->db, t->name, &old)) == -1)
		return ehttp_fail_db(e);
	if (rc == 1)
		return ehttp_fail(e, "a token named %s exists already: 'ehttpctl"
		    " admin token revoke %s' first to replace it", t->name,
		    t->name);
	if (db_admin_token_insert(e->db, t) == -1)
		return ehttp_fail_db(e);
	timefmt(until, sizeof until, t->expires, TIMEFMT_SECOND_UTC);
	ehttp_note(e, EHTTP_NOTE_INFO, "Token %s (%s) valid until %s.",
	    t->name, t->role, until);
	return ehttp_record(e, 0, "info", "admin token", t->name,
	    "Administration service token %s made (%s access, until %s).",
	    t->name, t->role, until);
}

int
ehttp_admin_token_new(struct ehttp *e, const char *name, int read_only,
    int days, char token[EHTTP_ADMIN_TOKEN_LEN + 1], struct db_admin_token *t)
{
	ehttp_notes_clear(e);
	memset(t, 0, sizeof *t);
	token[0] = '\0';
	if (name_ok(e, name) == -1)
		return -1;
	if (days < 1 || days > EHTTP_ADMIN_TOKEN_DAYS_MAX)
		return ehttp_fail(e, "days: must be 1 to %d",
		    EHTTP_ADMIN_TOKEN_DAYS_MAX);
	snprintf(t->name, sizeof t->name, "%s", name);
	snprintf(t->role, sizeof t->role, "%s", read_only ? "read-only" :
	    "full");
	t->created = time(NULL);
	t->expires = t->created + (time_t)days * 86400;
	if (e->user[0] == '\0')
		ehttp_acting_user(e->user, sizeof e->user);
	snprintf(t->created_by, sizeof t->created_by, "%s", e->user);
	if (token_make(e, token) == -1 || token_hash(e, token, t->hash) == -1)
		goto fail;
	if (ehttp_begin(e) == -1 || ehttp_end(e, new_locked(e, t)) == -1)
		goto fail;
	return 0;
fail:
	explicit_bzero(token, EHTTP_ADMIN_TOKEN_LEN + 1);
	return -1;
}

static int
revoke_locked(struct ehttp *e, const char *name)
{
	int rc;

	if ((rc = db_admin_token_delete(e->db, name)) == -1)
		return ehttp_fail_db(e);
	if (rc == 0)
		return ehttp_fail(e, "%s: no such token", name);
	ehttp_note(e, EHTTP_NOTE_INFO, "Token %s revoked: it is refused from"
	    " now on.", name);
	return ehttp_record(e, 0, "info", "admin token", name,
	    "Administration service token %s revoked.", name);
}

int
ehttp_admin_token_revoke(struct ehttp *e, const char *name)
{
	ehttp_notes_clear(e);
	if (name_ok(e, name) == -1)
		return -1;
	if (ehttp_begin(e) == -1 || ehttp_end(e, revoke_locked(e, name)) == -1)
		return -1;
	return 1;
}

int
ehttp_admin_token_list(struct ehttp *e, struct db_admin_token **out,
    size_t *n)
{
	if (db_admin_token_list(e->db, out, n) == -1)
		return ehttp_fail_db(e);
	return 0;
}

int
ehttp_admin_token_check(struct ehttp *e, const char *token, time_t now,
    struct db_admin_token *t)
{
	char hash[65], until[32];
	int rc;

	memset(t, 0, sizeof *t);
	if (!token_shape_ok(token)) {
		ehttp_fail(e, "the bearer token is not an ehttp administration"
		    " token");
		return 0;
	}
	if (token_hash(e, token, hash) == -1)
		return -1;
	if ((rc = db_admin_token_by_hash(e->db, hash, t)) == -1)
		return ehttp_fail_db(e);
	if (rc == 0) {
		ehttp_fail(e, "unknown or revoked token");
		return 0;
	}
	if (now >= t->expires) {
		timefmt(until, sizeof until, t->expires, TIMEFMT_SECOND_UTC);
		ehttp_fail(e, "token %s expired at %s", t->name, until);
		return 0;
	}
	return 1;
}

int
ehttp_audit_refusal(struct ehttp *e, const char *user, const char *action,
    const char *object, const char *fmt, ...)
{
	char msg[512], saved[sizeof e->user];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	memcpy(saved, e->user, sizeof saved);
	ehttp_set_user(e, user);
	if (ehttp_begin(e) == -1)
		rc = -1;
	else
		rc = ehttp_end(e, ehttp_record(e, 0, "warning", action, object,
		    "%s", msg));
	memcpy(e->user, saved, sizeof saved);
	return rc;
}
