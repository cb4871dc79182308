/*
 * admin-class: the classes the administration service serves, each over
 * the backend's own calls (the real product's class and property names
 * where they are public; ehttp's own where it has more to say):
 *
 *   SMS_Site             a site; key SiteCode
 *   SMS_SCI_Component    the site's SMS_SITE_COMPONENT_MANAGER and its
 *                        Communication Security (IISSSLState and each
 *                        setting); key SiteCode; PATCH changes settings
 *   SMS_SCI_SysResUse    a role on a site system; key ItemName
 *   SMS_Certificate      the certificate inventory; key ID; Block,
 *                        Unblock, Renew
 *   SMS_R_System         a registered client; key ResourceId; Approve,
 *                        Block, Unblock
 *   SMS_StatusMessage    the newest ADMIN_RECENT_MAX status messages
 *   EHTTP_AuditRecord    the newest ADMIN_RECENT_MAX audit records (no
 *                        public class holds ehttp's audit trail)
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin-int.h"
#include "hex.h"
#include "xmalloc.h"

#define ADMIN_RECENT_MAX	10000
#define COUNT(a)		(sizeof (a) / sizeof *(a))

static void
v_str(struct od_val *v, const char *s)
{
	v->type = OD_STRING;
	v->s = s;
}

static void
v_int(struct od_val *v, enum od_type t, int64_t i)
{
	v->type = t;
	v->i = i;
}

/* A time, or null for 0 (never). */
static void
v_time(struct od_val *v, time_t t)
{
	v->type = t != 0 ? OD_TIME : OD_NULL;
	v->i = (int64_t)t * 1000;
}

/* SMS_Site. */
enum { S_CODE, S_NAME, S_TYPE, S_TYPENAME, S_PARENT, S_ENH, S_IIS, S_N };
static const struct od_prop site_props[] = {
	[S_CODE] = { "SiteCode", OD_STRING },
	[S_NAME] = { "SiteName", OD_STRING },
	[S_TYPE] = { "Type", OD_INT },
	[S_TYPENAME] = { "TypeName", OD_STRING },
	[S_PARENT] = { "ReportingSiteCode", OD_STRING },
	[S_ENH] = { "EnhancedHTTP", OD_BOOL },
	[S_IIS] = { "IISSSLState", OD_INT },
};

static int
site_load(struct admin_ctx *x, void **recs, size_t *n)
{
	return ehttp_site_list(x->e, (struct db_site **)recs, n);
}

/* The product's SMS_Site.Type: 1 secondary, 2 primary, 4 CAS. */
static int
site_type_code(enum db_site_type t)
{
	switch (t) {
	case DB_SITE_CAS: return 4;
	case DB_SITE_SECONDARY: return 1;
	default: return 2;
	}
}

static void
site_fill(struct admin_ctx *x, const void *rec, struct od_val *v)
{
	const struct db_site *s = rec;

	(void)x;
	v_str(&v[S_CODE], s->code);
	v_str(&v[S_NAME], s->name);
	v_int(&v[S_TYPE], OD_INT, site_type_code(s->type));
	v_str(&v[S_TYPENAME], rules_site_type_name(s->type));
	v_str(&v[S_PARENT], s->parent_code);
	v_int(&v[S_ENH], OD_BOOL, ehttp_site_enhanced(&s->sec));
	v_int(&v[S_IIS], OD_INT, ehttp_iisssl_state(&s->sec));
}

static const struct admin_class site_class = {
	.name = "SMS_Site",
	.props = site_props,
	.nprops = S_N,
	.key = S_CODE,
	.recsize = sizeof(struct db_site),
	.load = site_load,
	.fill = site_fill,
};

/* SMS_SCI_Component: the site component manager's Communication
 * Security, one a site. */
enum { C_CODE, C_COMP, C_ITEM, C_ITYPE, C_IIS, C_HTTPS, C_ENH, C_PKI, C_CRL,
	C_SIGN, C_SHA, C_ENC, C_KEY, C_N };
static const struct od_prop comp_props[] = {
	[C_CODE] = { "SiteCode", OD_STRING },
	[C_COMP] = { "ComponentName", OD_STRING },
	[C_ITEM] = { "ItemName", OD_STRING },
	[C_ITYPE] = { "ItemType", OD_STRING },
	[C_IIS] = { "IISSSLState", OD_INT },
	[C_HTTPS] = { "HTTPSOnly", OD_BOOL },
	[C_ENH] = { "EnhancedHTTP", OD_BOOL },
	[C_PKI] = { "PKIClientCertificate", OD_BOOL },
	[C_CRL] = { "CRLCheck", OD_BOOL },
	[C_SIGN] = { "RequireSigning", OD_BOOL },
	[C_SHA] = { "RequireSHA256", OD_BOOL },
	[C_ENC] = { "UseEncryption", OD_BOOL },
	[C_KEY] = { "KeyAlgorithm", OD_STRING },
};

static void
comp_fill(struct admin_ctx *x, const void *rec, struct od_val *v)
{
	const struct db_site *s = rec;

	(void)x;
	v_str(&v[C_CODE], s->code);
	v_str(&v[C_COMP], "SMS_SITE_COMPONENT_MANAGER");
	v_str(&v[C_ITEM], "SMS_SITE_COMPONENT_MANAGER|SMS Site Server");
	v_str(&v[C_ITYPE], "Component");
	v_int(&v[C_IIS], OD_INT, ehttp_iisssl_state(&s->sec));
	v_int(&v[C_HTTPS], OD_BOOL, s->sec.https_only);
	v_int(&v[C_ENH], OD_BOOL, s->sec.enhanced_http);
	v_int(&v[C_PKI], OD_BOOL, s->sec.pki_client_cert);
	v_int(&v[C_CRL], OD_BOOL, s->sec.crl_check);
	v_int(&v[C_SIGN], OD_BOOL, s->sec.require_signing);
	v_int(&v[C_SHA], OD_BOOL, s->sec.require_sha256);
	v_int(&v[C_ENC], OD_BOOL, s->sec.use_encryption);
	v_str(&v[C_KEY], s->sec.key_alg);
}

/*
 * PATCH SMS_SCI_Component('P02'): the settings given, in one call of
 * ehttp_site_set_security() (what `ehttpctl site set` makes): booleans
 * for the switches, KeyAlgorithm a word. Anything else is a 400.
 */
static int
comp_patch(struct admin_ctx *x, const void *rec, json_t *body)
{
	static const struct {
		size_t	 prop;
		size_t	 off;
	} sw[] = {
		{ C_HTTPS, offsetof(struct ehttp_security_change, https_only) },
		{ C_ENH, offsetof(struct ehttp_security_change,
		    enhanced_http) },
		{ C_PKI, offsetof(struct ehttp_security_change,
		    pki_client_cert) },
		{ C_CRL, offsetof(struct ehttp_security_change, crl_check) },
		{ C_SIGN, offsetof(struct ehttp_security_change,
		    require_signing) },
		{ C_SHA, offsetof(struct ehttp_security_change,
		    require_sha256) },
		{ C_ENC, offsetof(struct ehttp_security_change,
		    use_encryption) },
	};
	const struct db_site *s = rec;
	struct ehttp_security_change ch;
	const char *k;
	json_t *val;

	ehttp_security_change_init(&ch);
	json_object_foreach(body, k, val) {
		size_t i;

		if (strcmp(k, "KeyAlgorithm") == 0) {
			if (!json_is_string(val)) {
				admin_error(x, 400, k, "KeyAlgorithm is a"
				    " string: rsa2048, rsa3072 or ec-p256");
				return 1;
			}
			ch.key_alg = json_string_value(val);
			continue;
		}
		for (i = 0; i < COUNT(sw); i++)
			if (strcmp(k, comp_props[sw[i].prop].name) == 0)
				break;
		if (i == COUNT(sw)) {
			admin_error(x, 400, NULL, "'%.64s' is not a writable"
			    " property of SMS_SCI_Component (HTTPSOnly,"
			    " EnhancedHTTP, PKIClientCertificate, CRLCheck,"
			    " RequireSigning, RequireSHA256, UseEncryption,"
			    " KeyAlgorithm)", k);
			return 1;
		}
		if (!json_is_boolean(val)) {
			admin_error(x, 400, k, "%s is Edm.Boolean: true or"
			    " false", comp_props[sw[i].prop].name);
			return 1;
		}
		*(int *)((char *)&ch + sw[i].off) = json_is_true(val);
	}
	return ehttp_site_set_security(x->e, s->id, &ch) == -1 ? -1 : 0;
}

static const struct admin_class comp_class = {
	.name = "SMS_SCI_Component",
	.props = comp_props,
	.nprops = C_N,
	.key = C_CODE,
	.recsize = sizeof(struct db_site),
	.load = site_load,
	.fill = comp_fill,
	.patch = comp_patch,
};

/* SMS_SCI_SysResUse: a role of a site system, named as the product names
 * it. */
enum { R_ITEM, R_CODE, R_SERVER, R_PATH, R_ROLE, R_SHORT, R_CONN, R_ANON,
	R_SECURED, R_N };
static const struct od_prop role_props[] = {
	[R_ITEM] = { "ItemName", OD_STRING },
	[R_CODE] = { "SiteCode", OD_STRING },
	[R_SERVER] = { "ServerName", OD_STRING },
	[R_PATH] = { "NetworkOSPath", OD_STRING },
	[R_ROLE] = { "RoleName", OD_STRING },
	[R_SHORT] = { "Role", OD_STRING },
	[R_CONN] = { "ClientConnection", OD_STRING },
	[R_ANON] = { "AllowAnonymous", OD_BOOL },
	[R_SECURED] = { "SecuredByEnhancedHTTP", OD_BOOL },
};

/* A role with what its row shows made once at load. */
struct role_rec {
	struct db_role	 r;
	char		 site[4];
	char		 item[600];
	char		 path[260];
	int		 secured;
};

static const char *
role_product_name(const char *role)
{
	static const struct {
		const char	*role;
		const char	*name;
	} names[] = {
		{ "mp", "SMS Management Point" },
		{ "dp", "SMS Distribution Point" },
		{ "provider", "SMS Provider" },
		{ "sup", "SMS Software Update Point" },
		{ "rsp", "SMS SRS Reporting Point" },
		{ "smp", "SMS State Migration Point" },
	};

	for (size_t i = 0; i < COUNT(names); i++)
		if (strcmp(names[i].role, role) == 0)
			return names[i].name;
	return role;
}

static int
role_load(struct admin_ctx *x, void **recs, size_t *n)
{
	struct db_role *roles = NULL;
	struct db_site *sites = NULL;
	struct role_rec *out;
	size_t nr, ns;

	*recs = NULL;
	*n = 0;
	if (ehttp_role_list(x->e, 0, 0, &roles, &nr) == -1)
		return -1;
	if (ehttp_site_list(x->e, &sites, &ns) == -1) {
		free(roles);
		return -1;
	}
	out = xcalloc(nr ? nr : 1, sizeof *out);
	for (size_t i = 0; i < nr; i++) {
		struct role_rec *o = &out[i];
		const struct db_site *s = NULL;

		o->r = roles[i];
		for (size_t k = 0; k < ns; k++)
			if (sites[k].id == roles[i].site_id)
				s = &sites[k];
		snprintf(o->site, sizeof o->site, "%s", s != NULL ? s->code :
		    "");
		snprintf(o->path, sizeof o->path, "\\\\%s", roles[i].fqdn);
		snprintf(o->item, sizeof o->item, "[\"Display=\\\\%s\\\"]"
		    "MSWNET:[\"SMS_SITE=%s\"]\\\\%s\\,%s", roles[i].fqdn,
		    o->site, roles[i].fqdn, role_product_name(roles[i].role));
		o->secured = s != NULL && ehttp_site_enhanced(&s->sec) &&
		    ehttp_role_secured(s, &roles[i]);
	}
	free(roles);
	free(sites);
	*recs = out;
	*n = nr;
	return 0;
}

static void
role_fill(struct admin_ctx *x, const void *rec, struct od_val *v)
{
	const struct role_rec *o = rec;

	(void)x;
	v_str(&v[R_ITEM], o->item);
	v_str(&v[R_CODE], o->site);
	v_str(&v[R_SERVER], o->r.fqdn);
	v_str(&v[R_PATH], o->path);
	v_str(&v[R_ROLE], role_product_name(o->r.role));
	v_str(&v[R_SHORT], o->r.role);
	if (o->r.connection[0] != '\0')
		v_str(&v[R_CONN], o->r.connection);
	else
		v[R_CONN].type = OD_NULL;
	if (o->r.allow_anonymous >= 0)
		v_int(&v[R_ANON], OD_BOOL, o->r.allow_anonymous);
	else
		v[R_ANON].type = OD_NULL;
	v_int(&v[R_SECURED], OD_BOOL, o->secured);
}

static const struct admin_class role_class = {
	.name = "SMS_SCI_SysResUse",
	.props = role_props,
	.nprops = R_N,
	.key = R_ITEM,
	.recsize = sizeof(struct role_rec),
	.load = role_load,
	.fill = role_fill,
};

/* SMS_Certificate: the inventory, a keyset page at a time. */
enum { K_ID, K_TYPE, K_TYPENAME, K_STATE, K_TO, K_BY, K_SERVER, K_SITE,
	K_KEY, K_FROM, K_UNTIL, K_BLOCKED, K_APPROVED, K_TP, K_SERIAL, K_N };
static const struct od_prop cert_props[] = {
	[K_ID] = { "ID", OD_INT },
	[K_TYPE] = { "Type", OD_STRING },
	[K_TYPENAME] = { "TypeName", OD_STRING },
	[K_STATE] = { "State", OD_STRING },
	[K_TO] = { "IssuedTo", OD_STRING },
	[K_BY] = { "IssuedBy", OD_STRING },
	[K_SERVER] = { "ServerName", OD_STRING },
	[K_SITE] = { "SiteCode", OD_STRING },
	[K_KEY] = { "KeyType", OD_STRING },
	[K_FROM] = { "ValidFrom", OD_TIME },
	[K_UNTIL] = { "ValidUntil", OD_TIME },
	[K_BLOCKED] = { "IsBlocked", OD_BOOL },
	[K_APPROVED] = { "IsApproved", OD_BOOL },
	[K_TP] = { "Thumbprint", OD_STRING },
	[K_SERIAL] = { "SerialNumber", OD_STRING },
};

/* The store's orders: $orderby of one of these properties. */
static int
cert_sort_of(size_t prop)
{
	switch (prop) {
	case K_UNTIL: return DB_CERT_SORT_EXPIRATION;
	case K_TYPE: return DB_CERT_SORT_TYPE;
	case K_TO: return DB_CERT_SORT_ISSUED_TO;
	case K_BY: return DB_CERT_SORT_ISSUED_BY;
	case K_FROM: return DB_CERT_SORT_START;
	case K_BLOCKED: return DB_CERT_SORT_BLOCKED;
	case K_SITE: return DB_CERT_SORT_SITE;
	case K_TP: return DB_CERT_SORT_THUMBPRINT;
	default: return -1;
	}
}

static int
cert_sortable(const struct od_order *o, size_t n)
{
	return n == 0 || (n == 1 && cert_sort_of(o[0].prop) >= 0);
}

/* The store's order of a page: its $orderby's, else by expiration. */
static int
cert_sort(const struct od_order *o, size_t norder)
{
	return norder > 0 ? cert_sort_of(o[0].prop) : DB_CERT_SORT_EXPIRATION;
}

static int
cert_page(struct admin_ctx *x, const struct od_order *o, size_t norder,
    const void *after, size_t limit, void **recs, size_t *n)
{
	return ehttp_cert_page(x->e, NULL, (enum db_cert_sort)cert_sort(o,
	    norder),
	    norder > 0 && o[0].desc, after, limit, (struct db_cert **)recs, n);
}

/*
 * The skip token, "ID.HEX": the id and the hex of the text of the sort
 * value (a number in decimal), found in a row by db_cert_keys.
 */

/* The key of the page's order (the thumbprint for one it cannot sort). */
static const struct db_cert_key *
cert_key(const struct od_order *o, size_t norder)
{
	int sort = cert_sort(o, norder);

	return &db_cert_keys[sort >= 0 && sort < DB_CERT_SORT_MAX ? sort :
	    DB_CERT_SORT_THUMBPRINT];
}

static void
cert_token(const void *rec, const struct od_order *o, size_t norder,
    char *buf, size_t len)
{
	const struct db_cert *c = rec;
	const struct db_cert_key *k = cert_key(o, norder);
	const void *v = (const char *)rec + k->off;
	char text[300], hx[2 * sizeof text];

	if (k->kind == DB_CERT_KEY_TIME)
		snprintf(text, sizeof text, "%lld", (long long)*(const time_t *)v);
	else if (k->kind == DB_CERT_KEY_INT)
		snprintf(text, sizeof text, "%d", *(const int *)v);
	else
		snprintf(text, sizeof text, "%s", (const char *)v);
	hex_encode(text, strlen(text), hx);
	snprintf(buf, len, "%lld.%s", (long long)c->id, hx);
}

static int
cert_after(const char *token, const struct od_order *o, size_t norder,
    void *rec)
{
	const struct db_cert_key *k = cert_key(o, norder);
	struct db_cert *c = rec;
	void *v = (char *)rec + k->off;
	const char *dot = strchr(token, '.'), *h;
	char text[300], *end, *t = text;
	long long n;
	int hi, lo;

	memset(c, 0, sizeof *c);
	if (dot == NULL || dot == token)
		return 0;
	c->id = strtoll(token, &end, 10);
	if (end != dot || c->id < 1)
		return 0;
	/* The hex back to text: no NUL, no odd digit, room kept for one. */
	for (h = dot + 1; *h != '\0'; h += 2) {
		if ((hi = hex_value(h[0])) == -1 || (lo = hex_value(h[1])) ==
		    -1 || (hi | lo) == 0 || t == text + sizeof text - 1)
			return 0;
		*t++ = (char)(hi << 4 | lo);
	}
	*t = '\0';
	if (k->kind == DB_CERT_KEY_TEXT)
		return snprintf(v, k->size, "%s", text) < (int)k->size;
	n = strtoll(text, &end, 10);
	if (*end != '\0' || end == text)
		return 0;
	if (k->kind == DB_CERT_KEY_TIME)
		*(time_t *)v = (time_t)n;
	else
		*(int *)v = (int)n;
	return 1;
}

static int
cert_get(struct admin_ctx *x, int64_t id, void *rec)
{
	char s[24];

	snprintf(s, sizeof s, "%" PRId64, id);
	return ehttp_cert_resolve(x->e, s, rec);
}

static int
cert_count(struct admin_ctx *x, size_t *n)
{
	return ehttp_cert_count(x->e, NULL, n);
}

static void
cert_fill(struct admin_ctx *x, const void *rec, struct od_val *v)
{
	const struct db_cert *c = rec;

	v_int(&v[K_ID], OD_INT, c->id);
	v_str(&v[K_TYPE], c->type);
	v_str(&v[K_TYPENAME], ehttp_cert_type_title(c->type));
	v_str(&v[K_STATE], c->state);
	v_str(&v[K_TO], c->issued_to);
	v_str(&v[K_BY], c->issued_by);
	v_str(&v[K_SERVER], admin_system_fqdn(x, c->system_id));
	v_str(&v[K_SITE], c->site_code);
	v_str(&v[K_KEY], c->key_alg);
	v_time(&v[K_FROM], c->not_before);
	v_time(&v[K_UNTIL], c->not_after);
	v_int(&v[K_BLOCKED], OD_BOOL, c->blocked);
	v_int(&v[K_APPROVED], OD_BOOL, strcmp(c->state, "pending") != 0);
	v_str(&v[K_TP], c->thumbprint);
	v_str(&v[K_SERIAL], c->serial);
}

static int
cert_block(struct admin_ctx *x, const void *rec)
{
	return ehttp_cert_block(x->e, ((const struct db_cert *)rec)->id, 1);
}

static int
cert_unblock(struct admin_ctx *x, const void *rec)
{
	return ehttp_cert_block(x->e, ((const struct db_cert *)rec)->id, 0);
}

static int
cert_renew(struct admin_ctx *x, const void *rec)
{
	return ehttp_cert_renew(x->e, ((const struct db_cert *)rec)->id);
}

static const struct admin_action cert_actions[] = {
	{ "Block", cert_block }, { "Unblock", cert_unblock },
	{ "Renew", cert_renew }, { NULL, NULL }
};

static const struct admin_class cert_class = {
	.name = "SMS_Certificate",
	.props = cert_props,
	.nprops = K_N,
	.key = K_ID,
	.recsize = sizeof(struct db_cert),
	.page = cert_page,
	.sortable = cert_sortable,
	.get = cert_get,
	.token = cert_token,
	.after = cert_after,
	.count = cert_count,
	.fill = cert_fill,
	.actions = cert_actions,
	.orders = "one property of ValidUntil, Type, IssuedTo, IssuedBy,"
	    " ValidFrom, IsBlocked, SiteCode and Thumbprint (asc or desc)",
};

/* SMS_R_System: the registered clients, by id. */
enum { L_ID, L_NAME, L_SMSID, L_SITE, L_APPROVED, L_BY, L_BLOCKED, L_REG,
	L_SEEN, L_TP, L_N };
static const struct od_prop client_props[] = {
	[L_ID] = { "ResourceId", OD_INT },
	[L_NAME] = { "Name", OD_STRING },
	[L_SMSID] = { "SMSUniqueIdentifier", OD_STRING },
	[L_SITE] = { "SiteCode", OD_STRING },
	[L_APPROVED] = { "IsApproved", OD_BOOL },
	[L_BY] = { "ApprovedBy", OD_STRING },
	[L_BLOCKED] = { "IsBlocked", OD_BOOL },
	[L_REG] = { "Registered", OD_TIME },
	[L_SEEN] = { "LastContact", OD_TIME },
	[L_TP] = { "Thumbprint", OD_STRING },
};

static int
client_sortable(const struct od_order *o, size_t n)
{
	return n == 0 || (n == 1 && o[0].prop == L_ID && !o[0].desc);
}

static int
client_page(struct admin_ctx *x, const struct od_order *o, size_t norder,
    const void *after, size_t limit, void **recs, size_t *n)
{
	(void)o;
	(void)norder;
	return ehttp_client_page(x->e, 0, after != NULL ?
	    ((const struct db_client *)after)->id : 0, limit,
	    (struct db_client **)recs, n);
}

static int
client_get(struct admin_ctx *x, int64_t id, void *rec)
{
	struct db_client *v = NULL;
	size_t n;
	int found;

	if (id < 1)
		return 0;
	if (ehttp_client_page(x->e, 0, id - 1, 1, &v, &n) == -1)
		return -1;
	if ((found = n == 1 && v[0].id == id))
		memcpy(rec, &v[0], sizeof v[0]);
	free(v);
	return found;
}

static void
client_token(const void *rec, const struct od_order *o, size_t norder,
    char *buf, size_t len)
{
	(void)o;
	(void)norder;
	snprintf(buf, len, "%lld", (long long)((const struct db_client *)
	    rec)->id);
}

static int
client_after(const char *token, const struct od_order *o, size_t norder,
    void *rec)
{
	struct db_client *c = rec;
	char *end;

	(void)o;
	(void)norder;
	memset(c, 0, sizeof *c);
	c->id = strtoll(token, &end, 10);
	return *end == '\0' && c->id >= 0;
}

static int
client_count(struct admin_ctx *x, size_t *n)
{
	return ehttp_client_count(x->e, 0, n);
}

static void
client_fill(struct admin_ctx *x, const void *rec, struct od_val *v)
{
	const struct db_client *c = rec;

	(void)x;
	v_int(&v[L_ID], OD_INT, c->id);
	v_str(&v[L_NAME], c->name);
	v_str(&v[L_SMSID], c->smsid);
	v_str(&v[L_SITE], c->site_code);
	v_int(&v[L_APPROVED], OD_BOOL, c->approved);
	v_str(&v[L_BY], c->approved_by);
	v_int(&v[L_BLOCKED], OD_BOOL, c->blocked);
	v_time(&v[L_REG], c->registered);
	v_time(&v[L_SEEN], c->last_contact);
	v_str(&v[L_TP], c->thumbprint);
}

static int
client_approve(struct admin_ctx *x, const void *rec)
{
	return ehttp_client_act(x->e, ((const struct db_client *)rec)->id,
	    EHTTP_CLIENT_APPROVE);
}

static int
client_block(struct admin_ctx *x, const void *rec)
{
	return ehttp_client_act(x->e, ((const struct db_client *)rec)->id,
	    EHTTP_CLIENT_BLOCK);
}

static int
client_unblock(struct admin_ctx *x, const void *rec)
{
	return ehttp_client_act(x->e, ((const struct db_client *)rec)->id,
	    EHTTP_CLIENT_UNBLOCK);
}

static const struct admin_action client_actions[] = {
	{ "Approve", client_approve }, { "Block", client_block },
	{ "Unblock", client_unblock }, { NULL, NULL }
};

static const struct admin_class client_class = {
	.name = "SMS_R_System",
	.props = client_props,
	.nprops = L_N,
	.key = L_ID,
	.recsize = sizeof(struct db_client),
	.page = client_page,
	.sortable = client_sortable,
	.get = client_get,
	.token = client_token,
	.after = client_after,
	.count = client_count,
	.fill = client_fill,
	.actions = client_actions,
	.orders = "ResourceId (ascending) only",
};

/* SMS_StatusMessage: the newest status messages. */
enum { M_ID, M_TIME, M_SITE, M_MACHINE, M_SEV, M_COMP, M_TEXT, M_N };
static const struct od_prop status_props[] = {
	[M_ID] = { "RecordID", OD_INT },
	[M_TIME] = { "Time", OD_TIME },
	[M_SITE] = { "SiteCode", OD_STRING },
	[M_MACHINE] = { "MachineName", OD_STRING },	/* whose agent wrote
							   it; "": none */
	[M_SEV] = { "Severity", OD_STRING },
	[M_COMP] = { "Component", OD_STRING },
	[M_TEXT] = { "MessageText", OD_STRING },
};

static int
status_load(struct admin_ctx *x, void **recs, size_t *n)
{
	return ehttp_status_list(x->e, 0, 0, ADMIN_RECENT_MAX,
	    (struct db_status **)recs, n);
}

static void
status_fill(struct admin_ctx *x, const void *rec, struct od_val *v)
{
	const struct db_status *m = rec;

	(void)x;
	v_int(&v[M_ID], OD_INT, m->id);
	v_time(&v[M_TIME], m->time);
	v_str(&v[M_SITE], m->site_code);
	v_str(&v[M_MACHINE], m->system_fqdn);
	v_str(&v[M_SEV], m->severity);
	v_str(&v[M_COMP], m->component);
	v_str(&v[M_TEXT], m->message);
}

static const struct admin_class status_class = {
	.name = "SMS_StatusMessage",
	.props = status_props,
	.nprops = M_N,
	.key = M_ID,
	.recsize = sizeof(struct db_status),
	.load = status_load,
	.fill = status_fill,
};

/* EHTTP_AuditRecord: the newest audit records. */
enum { A_ID, A_TIME, A_USER, A_ACTION, A_OBJECT, A_DETAIL, A_N };
static const struct od_prop audit_props[] = {
	[A_ID] = { "RecordID", OD_INT },
	[A_TIME] = { "Time", OD_TIME },
	[A_USER] = { "User", OD_STRING },
	[A_ACTION] = { "Action", OD_STRING },
	[A_OBJECT] = { "Object", OD_STRING },
	[A_DETAIL] = { "Detail", OD_STRING },
};

static int
audit_load(struct admin_ctx *x, void **recs, size_t *n)
{
	return ehttp_audit_list(x->e, ADMIN_RECENT_MAX,
	    (struct db_audit **)recs, n);
}

static void
audit_fill(struct admin_ctx *x, const void *rec, struct od_val *v)
{
	const struct db_audit *m = rec;

	(void)x;
	v_int(&v[A_ID], OD_INT, m->id);
	v_time(&v[A_TIME], m->time);
	v_str(&v[A_USER], m->user);
	v_str(&v[A_ACTION], m->action);
	v_str(&v[A_OBJECT], m->object);
	v_str(&v[A_DETAIL], m->detail);
}

static const struct admin_class audit_class = {
	.name = "EHTTP_AuditRecord",
	.props = audit_props,
	.nprops = A_N,
	.key = A_ID,
	.recsize = sizeof(struct db_audit),
	.load = audit_load,
	.fill = audit_fill,
};

const struct admin_class *const admin_classes[] = {
	&site_class, &comp_class, &role_class, &cert_class, &client_class,
	&status_class, &audit_class,
};
const size_t admin_nclasses = COUNT(admin_classes);
