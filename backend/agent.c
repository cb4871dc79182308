/* agent: the management-point agent's reads of the site database. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "ca.h"
#include "ehttp-int.h"
#include "hex.h"
#include "xmalloc.h"

/* An attribute's value: ASCII, escaped; any other byte (a control
 * character, which XML cannot carry, or not ASCII) as '?'. What it
 * writes are names the rules checked: this keeps a row changed around
 * them from breaking the reply for every client. */
static void
xml_attr(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			fputc((unsigned char)*s < 0x20 || (unsigned char)*s >=
			    0x7f ? '?' : *s, f);
		}
}

static int
role_cmp(const void *a, const void *b)
{
	return strcmp(((const struct db_role *)a)->fqdn,
	    ((const struct db_role *)b)->fqdn);
}

/* Hex of n bytes, upper case, into f. */
static void
xml_hex(FILE *f, const unsigned char *p, size_t n)
{
	char *s = hex_upper_dup(p, n);

	fputs(s, f);
	free(s);
}

/*
 * The location replies that list the site's management points, in one
 * pass over its MP roles (sorted by FQDN): ?MPLIST, ?MPLIST1 (the same
 * with SiteCode) and the MP names of ?MPKEYINFORMATIONEX.
 */
static int
agent_mplists(struct ehttp *e, struct agent_view *v)
{
	struct db_role *r = NULL;
	struct ehttp_serving sv;
	FILE *f[3];
	char *out[3] = { NULL, NULL, NULL }, up[256], canon[256], why[256];
	char first[256];
	size_t n, len[3], i, k, left = 0;
	int rc = -1;

	if (db_role_list(ehttp_db(e), v->site.id, 0, &r, &n) == -1)
		return ehttp_fail_db(e);
	qsort(r, n, sizeof *r, role_cmp);
	for (k = 0; k < 3; k++)
		f[k] = xopen_memstream(&out[k], &len[k]);
	fputs("<MPList>", f[0]);
	fputs("<MPList>", f[1]);
	fputs("<MPs>", f[2]);
	for (i = 0; i < n; i++) {
		/* A name that is not one (a row written around the rules)
		 * is no management point a client could reach. */
		if (strcmp(r[i].role, "mp") != 0)
			continue;
		if (rules_fqdn(r[i].fqdn, canon, why, sizeof why) == -1) {
			if (left++ == 0)
				snprintf(first, sizeof first, "%s", why);
			continue;
		}
		if (ehttp_system_serving(e, r[i].system_id, &sv) == -1)
			goto out;
		for (k = 0; k < sizeof up - 1 && r[i].fqdn[k]; k++)
			up[k] = toupper((unsigned char)r[i].fqdn[k]);
		up[k] = '\0';
		for (k = 0; k < 3; k++) {
			fputs("<MP Name=\"", f[k]);
			xml_attr(f[k], up);
			fputs("\" FQDN=\"", f[k]);
			xml_attr(f[k], r[i].fqdn);
			if (k == 1) {
				fputs("\" SiteCode=\"", f[k]);
				xml_attr(f[k], v->site.code);
			}
			if (k == 2) {
				fputs("\"/>", f[k]);
				continue;
			}
			fprintf(f[k], "\"><Version>%d</Version>"
			    "<Capabilities SchemaVersion=\"1.0\">"
			    "<Property Name=\"SSLState\" Value=\"%d\"/>"
			    "</Capabilities></MP>", AGENT_MP_VERSION,
			    sv.has_cert);
		}
	}
	fputs("</MPList>", f[0]);
	fputs("</MPList>", f[1]);
	fputs("</MPs>", f[2]);
	if (left > 0)
		snprintf(v->mps_left_out, sizeof v->mps_left_out, "%zu"
		    " management point%s left out of the MP list, not reachable"
		    " by a client: %s", left, left == 1 ? "" : "s", first);
	rc = 0;
out:
	for (k = 0; k < 3; k++)
		fclose(f[k]);
	free(r);
	if (rc == -1) {
		for (k = 0; k < 3; k++)
			free(out[k]);
		return -1;
	}
	v->mplist = out[0];
	v->mplist1 = out[1];
	v->mps = out[2];
	return 0;
}

/*
 * ?MPKEYINFORMATIONEX: the site code, the trusted root key (the SMS
 * Issuing root's SubjectPublicKeyInfo, DER as upper-case hex) and the
 * MPs; ?SITESIGNCERT: the SMS Issuing certificate (DER, upper-case hex).
 * Both only while the site has an unblocked root.
 */
static int
agent_keyinfo(struct ehttp *e, struct agent_view *v)
{
	struct ca_blob spki = { 0 };
	struct ca *ca = ca_new();
	size_t len;
	FILE *f;

	if (ca_cert_spki(ca, v->root_der, v->root_der_len, &spki) == -1) {
		ehttp_fail(e, "SMS Issuing of site %s: %s", v->site.code,
		    ca_error(ca));
		ca_free(ca);
		return -1;
	}
	ca_free(ca);
	f = xopen_memstream(&v->mpkeyinfo, &len);
	fputs("<MPKEYINFORMATIONEX><SITECODE>", f);
	xml_attr(f, v->site.code);
	fputs("</SITECODE><RootKeyBlob>", f);
	xml_hex(f, spki.data, spki.len);
	fprintf(f, "</RootKeyBlob>%s</MPKEYINFORMATIONEX>", v->mps);
	fclose(f);
	f = xopen_memstream(&v->sitesigncert, &len);
	fputs("<SiteSignCert SiteCode=\"", f);
	xml_attr(f, v->site.code);
	fputs("\" Encoding=\"HexBinary\">", f);
	xml_hex(f, v->root_der, v->root_der_len);
	fputs("</SiteSignCert>", f);
	fclose(f);
	ca_blob_free(&spki);
	return 0;
}

/* ?MPCERT: the current root, then the superseded ones that still signed
 * something in use (a root overlap), as one PEM bundle. */
static int
roots_pem(struct ehttp *e, struct agent_view *v)
{
	struct db_blob *r = NULL;
	struct ca *ca = ca_new();
	char *pem = NULL, *all = NULL;
	size_t n = 0;
	int rc = -1;

	if (db_site_roots_out(ehttp_db(e), v->site.id, &r, &n) == -1) {
		ehttp_fail_db(e);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char *cat;

		if (ca_der_to_pem(ca, r[i].data, r[i].len, &pem) == -1) {
			ehttp_fail(e, "SMS Issuing of site %s: %s",
			    v->site.code, ca_error(ca));
			goto out;
		}
		xasprintf(&cat, "%s%s", all != NULL ? all : "", pem);
		free(all);
		free(pem);
		pem = NULL;
		all = cat;
	}
	v->root_pem = all;
	all = NULL;
	rc = 0;
out:
	free(all);
	db_blobs_free(r, n);
	ca_free(ca);
	return rc;
}

static int
view_read(struct ehttp *e, const char *fqdn, struct agent_view *v)
{
	struct db *db = ehttp_db(e);
	struct db_role *r = NULL;
	size_t n;
	int rc;

	memset(v, 0, sizeof *v);
	if ((rc = db_system_get(db, fqdn, &v->system)) == -1)
		return ehttp_fail_db(e);
	if (rc == 0) {
		snprintf(v->no_cert_reason, sizeof v->no_cert_reason,
		    "site system %s is not in the site database", fqdn);
		return 0;
	}
	if ((rc = db_site_get_id(db, v->system.site_id, &v->site)) == -1)
		return ehttp_fail_db(e);
	if (rc == 0)
		return ehttp_fail(e, "site system %s: its site is missing",
		    fqdn);
	if (db_role_list(db, 0, v->system.id, &r, &n) == -1)
		return ehttp_fail_db(e);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(r[i].role, "mp") == 0)
			v->is_mp = 1;
		if (strcmp(r[i].role, "provider") == 0)
			v->is_provider = 1;
		if (strcmp(r[i].role, "dp") == 0) {
			v->is_dp = 1;
			v->dp = r[i];
		}
	}
	free(r);
	if (ehttp_system_serving(e, v->system.id, &v->serving) == -1)
		return -1;
	v->has_cert = v->serving.has_cert;
	if (v->has_cert)
		v->cert = v->serving.cert;
	else
		snprintf(v->no_cert_reason, sizeof v->no_cert_reason, "%s",
		    v->serving.reason);
	if (ehttp_trust_anchors(e, v->site.id, &v->anchors, &v->nanchors) == -1)
		return -1;
	/* A blocked SMS Issuing is not handed out (?MPCERT). */
	if ((rc = db_cert_current_root(db, v->site.id, &v->root)) == -1)
		return ehttp_fail_db(e);
	if (rc == 1 && v->root.blocked)
		rc = 0;
	if (rc == 1) {
		if ((rc = db_cert_der(db, v->root.id, &v->root_der,
		    &v->root_der_len)) == -1)
			return ehttp_fail_db(e);
		if (rc == 0)
			return ehttp_fail(e, "SMS Issuing of site %s (thumbprint"
			    " %s): no certificate data", v->site.code,
			    v->root.thumbprint);
		if (roots_pem(e, v) == -1)
			return -1;
		v->has_root = 1;
	}
	if (agent_mplists(e, v) == -1 ||
	    (v->has_root && agent_keyinfo(e, v) == -1))
		return -1;
	return 1;
}

/* One snapshot: a change committed between the reads cannot mix. */
int
agent_view_read(struct ehttp *e, const char *fqdn, struct agent_view *v)
{
	struct db *db = ehttp_db(e);
	int began, rc;

	memset(v, 0, sizeof *v);	/* cleared by the caller even so */
	if ((began = db_begin_read(db)) == -1)
		return ehttp_fail_db(e);
	rc = view_read(e, fqdn, v);
	if (began)
		db_rollback(db);
	return rc;
}

void
agent_view_clear(struct agent_view *v)
{
	free(v->root_der);
	free(v->root_pem);
	free(v->mplist);
	free(v->mplist1);
	free(v->mps);
	free(v->mpkeyinfo);
	free(v->sitesigncert);
	ehttp_der_list_free(v->anchors, v->nanchors);
	memset(v, 0, sizeof *v);
}

int
agent_material_load(struct ehttp *e, const struct db_cert *c,
    struct agent_material *m)
{
	struct db *db = ehttp_db(e);
	struct db_blob *chain = NULL;
	struct ca_blob key = { NULL, 0 };
	const char *master;
	struct ca *ca = ca_new();
	char why[512];
	size_t n = 0;
	int rc, ret = -1;

	memset(m, 0, sizeof *m);
	if ((rc = db_cert_der(db, c->id, &m->cert, &m->cert_len)) == -1) {
		ehttp_fail_db(e);
		goto out;
	}
	if (rc == 0) {
		ehttp_fail(e, "certificate %lld (thumbprint %s): no certificate"
		    " data", (long long)c->id, c->thumbprint);
		goto out;
	}
	/* A PKI certificate passes the import rules again (ca.h). */
	if (strcmp(c->type, "pki") == 0 && ehttp_pki_check(e, c, NULL, 0) != 1)
		goto out;
	if (ehttp_cert_chain(e, c, &chain, &n) == -1)
		goto out;
	for (size_t i = 0; i < n && m->nchain < AGENT_CHAIN_MAX; i++) {
		m->chain[m->nchain] = chain[i].data;	/* moved */
		m->chain_len[m->nchain++] = chain[i].len;
		chain[i].data = NULL;
	}
	/* A login of the agent's own cannot read the keys encrypted with
	 * the master key (README "Database roles"): said as such. */
	if (ehttp_serving_key(e, c, &key, &master) != 1) {
		snprintf(why, sizeof why, "%s", ehttp_error(e));
		ehttp_fail(e, "certificate %lld (thumbprint %s): its private"
		    " key cannot be read: %s", (long long)c->id, c->thumbprint,
		    why);
		goto out;
	}
	switch (ca_key_matches(ca, m->cert, m->cert_len, key.data, key.len,
	    master)) {
	case 1:
		break;
	case 0:
		ehttp_fail(e, "certificate %lld (%s for %s, thumbprint %s): the"
		    " stored private key does not match the certificate",
		    (long long)c->id, ehttp_cert_type_title(c->type),
		    c->issued_to, c->thumbprint);
		goto out;
	default:
		ehttp_fail(e, "certificate %lld (thumbprint %s): private key:"
		    " %s", (long long)c->id, c->thumbprint, ca_error(ca));
		goto out;
	}
	if (ca_key_to_pem(ca, key.data, key.len, master, &m->key_pem) == -1) {
		ehttp_fail(e, "certificate %lld (thumbprint %s): private key:"
		    " %s", (long long)c->id, c->thumbprint, ca_error(ca));
		goto out;
	}
	m->key_len = strlen(m->key_pem);
	ret = 0;
out:
	ca_blob_free(&key);
	db_blobs_free(chain, n);
	ca_free(ca);
	if (ret == -1)
		agent_material_clear(m);
	return ret;
}

void
agent_material_clear(struct agent_material *m)
{
	if (m->key_pem != NULL) {
		ca_cleanse(m->key_pem, m->key_len ? m->key_len :
		    strlen(m->key_pem));
		free(m->key_pem);
	}
	free(m->cert);
	for (size_t i = 0; i < m->nchain; i++)
		free(m->chain[i]);
	memset(m, 0, sizeof *m);
}
