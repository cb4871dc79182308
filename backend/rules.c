/* rules: what a valid site code, name, FQDN, type and role are. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "ehttp-int.h"

static const char *const reserved_codes[] = {
	"AUX", "CON", "NUL", "PRN", "SMS", "ENV",
};

/*
 * The site system roles: the one table every caller
 * reads. Enhanced HTTP secures the SMS Provider always (also at a CAS), an
 * MP or DP configured for HTTP at a primary or secondary site, and nothing
 * else: the other roles stay HTTP and are shown so.
 */
static const struct ehttp_role_info roles[] = {
	{ "mp", "management point", "MP", 1, 0, 0, EHTTP_SECURED_HTTP },
	{ "dp", "distribution point", "DP", 1, 1, 0, EHTTP_SECURED_HTTP },
	{ "provider", "SMS Provider", "SMS Provider", 0, 0, 1,
	  EHTTP_SECURED_ALWAYS },
	{ "sup", "software update point", "SUP", 0, 0, 1, EHTTP_SECURED_NEVER },
	{ "rsp", "reporting services point", "RSP", 0, 0, 1,
	  EHTTP_SECURED_NEVER },
	{ "smp", "state migration point", "SMP", 0, 0, 1, EHTTP_SECURED_NEVER },
};

static const char *const site_types[] = { "cas", "primary", "secondary" };

const char *
rules_shown(const char *in, char *buf, size_t len)
{
	size_t i, j = 0;

	for (i = 0; in[i] != '\0' && j + 5 < len; i++) {
		unsigned char c = in[i];
		if (c >= 0x20 && c < 0x7f && c != '\'')
			buf[j++] = c;
		else
			j += snprintf(buf + j, len - j, "\\x%02x", c);
	}
	if (in[i] != '\0' && j + 4 < len)
		j += snprintf(buf + j, len - j, "...");
	buf[j < len ? j : len - 1] = '\0';
	return buf;
}

int
rules_site_code(const char *in, char out[4], char *why, size_t len)
{
	char b[64];

	if (in == NULL || *in == '\0') {
		snprintf(why, len, "site code: missing (3 characters A-Z, 0-9)");
		return -1;
	}
	if (strlen(in) != 3) {
		snprintf(why, len, "site code '%s': must be exactly 3 characters"
		    " (A-Z, 0-9)", rules_shown(in, b, sizeof b));
		return -1;
	}
	for (int i = 0; i < 3; i++) {
		unsigned char c = in[i];
		if (!isascii(c) || !isalnum(c)) {
			snprintf(why, len, "site code '%s': character %d is not"
			    " a letter A-Z or a digit", rules_shown(in, b, sizeof b),
			    i + 1);
			return -1;
		}
		out[i] = toupper(c);
	}
	out[3] = '\0';
	for (size_t i = 0; i < sizeof reserved_codes / sizeof *reserved_codes; i++)
		if (strcmp(out, reserved_codes[i]) == 0) {
			snprintf(why, len, "site code '%s': reserved name (AUX,"
			    " CON, NUL, PRN, SMS and ENV cannot be used)", out);
			return -1;
		}
	return 0;
}

int
rules_site_name(const char *in, char *why, size_t len)
{
	char b[80];
	size_t n;

	if (in == NULL || *in == '\0') {
		snprintf(why, len, "site name: missing");
		return -1;
	}
	if ((n = strlen(in)) > 64) {
		snprintf(why, len, "site name '%s': longer than 64 characters",
		    rules_shown(in, b, sizeof b));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = in[i];
		if (!isascii(c) || !(isalnum(c) || c == '-')) {
			snprintf(why, len, "site name '%s': character %zu is not"
			    " a letter, a digit or '-'", rules_shown(in, b, sizeof b),
			    i + 1);
			return -1;
		}
	}
	return 0;
}

int
rules_fqdn(const char *in, char out[256], char *why, size_t len)
{
	char b[300];
	size_t n, label = 0, labels = 1, start = 0;
	int all_digits = 1;

	if (in == NULL || *in == '\0') {
		snprintf(why, len, "FQDN: missing");
		return -1;
	}
	n = strlen(in);
	if (n > 1 && in[n - 1] == '.')
		n--;			/* the root dot is allowed */
	if (n > 253) {
		snprintf(why, len, "FQDN '%s': longer than 253 characters",
		    rules_shown(in, b, 80));
		return -1;
	}
	for (size_t i = 0; i <= n; i++) {
		unsigned char c = i < n ? in[i] : '.';
		if (c == '.') {
			if (label == 0) {
				snprintf(why, len, "FQDN '%s': empty label at"
				    " position %zu", rules_shown(in, b, sizeof b), i + 1);
				return -1;
			}
			if (in[i - 1] == '-' || in[start] == '-') {
				snprintf(why, len, "FQDN '%s': a label starts or"
				    " ends with '-'", rules_shown(in, b, sizeof b));
				return -1;
			}
			if (i < n) {
				out[i] = '.';
				labels++;
				all_digits = 1;
			}
			label = 0;
			start = i + 1;
			continue;
		}
		if (!isascii(c) || !(isalnum(c) || c == '-')) {
			snprintf(why, len, "FQDN '%s': character %zu is not a"
			    " letter, digit, '-' or '.'", rules_shown(in, b, sizeof b),
			    i + 1);
			return -1;
		}
		if (!isdigit(c))
			all_digits = 0;
		if (++label > 63) {
			snprintf(why, len, "FQDN '%s': a label is longer than 63"
			    " characters", rules_shown(in, b, 80));
			return -1;
		}
		out[i] = tolower(c);
	}
	out[n] = '\0';
	if (labels < 2) {
		snprintf(why, len, "FQDN '%s': not fully qualified (expected"
		    " host.domain)", rules_shown(in, b, sizeof b));
		return -1;
	}
	if (all_digits) {
		snprintf(why, len, "FQDN '%s': the top-level label is numeric"
		    " (an IP address is not a site system name)",
		    rules_shown(in, b, sizeof b));
		return -1;
	}
	return 0;
}

int
rules_site_type(const char *in, enum db_site_type *t, char *why, size_t len)
{
	char b[64];

	for (int i = 0; i < 3; i++)
		if (in != NULL && strcasecmp(in, site_types[i]) == 0) {
			*t = i;
			return 0;
		}
	snprintf(why, len, "site type '%s': must be cas, primary or secondary",
	    in != NULL ? rules_shown(in, b, sizeof b) : "");
	return -1;
}

const char *
rules_site_type_name(enum db_site_type t)
{
	return (unsigned)t < 3 ? site_types[t] : "?";
}

int
rules_role(const char *in, char *why, size_t len)
{
	char b[64];

	if (ehttp_role_info(in) != NULL)
		return 0;
	snprintf(why, len, "role '%s': must be one of mp, dp, provider, sup,"
	    " rsp, smp", in != NULL ? rules_shown(in, b, sizeof b) : "");
	return -1;
}

const struct ehttp_role_info *
ehttp_role_info(const char *role)
{
	for (size_t i = 0; role != NULL && i < sizeof roles / sizeof *roles; i++)
		if (strcmp(role, roles[i].name) == 0)
			return &roles[i];
	return NULL;
}

const char *
rules_role_title(const char *role)
{
	const struct ehttp_role_info *ri = ehttp_role_info(role);

	return ri != NULL ? ri->title : role;
}

const char *
ehttp_role_short(const char *role)
{
	const struct ehttp_role_info *ri = ehttp_role_info(role);

	return ri != NULL ? ri->short_name : role;
}

int
ehttp_site_enhanced(const struct db_security *x)
{
	return x->enhanced_http && !x->https_only;
}

int
ehttp_role_secured(const struct db_site *s, const struct db_role *r)
{
	const struct ehttp_role_info *ri = ehttp_role_info(r->role);

	if (ri == NULL || ri->secured == EHTTP_SECURED_NEVER)
		return 0;
	if (ri->secured == EHTTP_SECURED_ALWAYS)
		return 1;
	if (s->type == DB_SITE_CAS)
		return 0;	/* a CAS covers only its SMS Provider */
	return strcmp(r->connection, "http") == 0;
}

int
ehttp_role_stays_http(const char *role)
{
	const struct ehttp_role_info *ri = ehttp_role_info(role);

	return ri != NULL && ri->secured == EHTTP_SECURED_NEVER;
}

int
ehttp_role_https(const struct db_role *r)
{
	const struct ehttp_role_info *ri = ehttp_role_info(r->role);

	return ri != NULL && ri->connection && strcmp(r->connection,
	    "https") == 0;
}

int
rules_onoff(const char *field, const char *in, int *v, char *why, size_t len)
{
	char b[64];

	if (in != NULL && (strcmp(in, "on") == 0 || strcmp(in, "yes") == 0)) {
		*v = 1;
		return 0;
	}
	if (in != NULL && (strcmp(in, "off") == 0 || strcmp(in, "no") == 0)) {
		*v = 0;
		return 0;
	}
	snprintf(why, len, "%s '%s': must be on or off (yes or no)", field,
	    in != NULL ? rules_shown(in, b, sizeof b) : "");
	return -1;
}

/*
 * IISSSLState: 0x400 enhanced HTTP, 0x100 PKI client certificate, 0x20 CRL
 * check. HTTPS only is the family 31 (63 with the CRL check); HTTPS or
 * HTTP is 192 with the bits above: 192 224 448 480, 1216 1248 1504.
 */
int
ehttp_iisssl_state(const struct db_security *x)
{
	int v;

	if (x->https_only)
		return 31 | (x->crl_check ? 0x20 : 0);
	v = 192;
	if (x->pki_client_cert)
		v |= 0x100;
	if (x->crl_check)
		v |= 0x20;
	if (x->enhanced_http)
		v |= 0x400;
	return v;
}
