/*
 * wire-cloc.c: the content location request (a client to its management
 * point's location manager) and its reply; the layout is in wire.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire-int.h"

#define WIRE_CLOC_RECS	1024		/* records a reply may hold */

/* ------------------------------------------------------------- request */

void
wire_cloc_req_clear(struct wire_cloc_req *r)
{
	if (r == NULL)
		return;
	wire_msg_clear(&r->msg);
	free(r->package_id);
	free(r->site_code);
	memset(r, 0, sizeof *r);
}

int
wire_cloc_req_encode(const struct wire_cloc_req *r, struct wire_bytes *out,
    char **cause)
{
	struct wire_msg m = r->msg;
	struct wbuf x = { 0 }, u = { 0 };
	char ver[32] = "";
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (r->package_id == NULL || *r->package_id == '\0')
		return wire_fail(cause, "content location request: no package");
	if (r->version > 0)
		snprintf(ver, sizeof ver, "%ld", r->version);
	wbuf_str(&x, "<ContentLocationRequest SchemaVersion=\"1.00\" "
	    "ExcludeFileList=\"\"><Package");
	if (wire_xattr(&x, "ID", r->package_id, cause) == -1 ||
	    wire_xattr(&x, "Version", ver, cause) == -1)
		goto out;
	wbuf_str(&x, "/>");
	if (r->site_code != NULL) {
		wbuf_str(&x, "<AssignedSite");
		if (wire_xattr(&x, "SiteCode", r->site_code, cause) == -1)
			goto out;
		wbuf_str(&x, "/>");
	}
	wbuf_str(&x, "<ClientLocationInfo LocationType=\"SMSPackage\" "
	    "UseInternetDP=\"0\" AllowHTTP=\"1\" AllowSMB=\"0\" "
	    "AllowMulticast=\"0\"/></ContentLocationRequest>");
	wbuf_add(&x, "", 1);
	if (wire_utf16_put(&u, (const char *)x.d, cause) == -1)
		goto out;
	wbuf_add(&u, "\0\0", 2);
	if (m.target_address == NULL)
		m.target_address = "mp:[http]" WIRE_LOC_ENDPOINT;
	if (m.target_endpoint == NULL)
		m.target_endpoint = WIRE_LOC_ENDPOINT;
	rc = wire_msg_pack(&m, &u, out, cause);
out:
	wbuf_free(&x);
	wbuf_free(&u);
	return rc;
}

int
wire_msg_endpoint(const char *ct, const unsigned char *body, size_t len,
    char **endpoint, char **cause)
{
	struct wire_part parts[2];
	struct wire_msg m;

	*endpoint = NULL;
	if (wire_multipart(ct, body, len, parts, cause) == -1 ||
	    wire_msg_decode(&parts[0], &m, cause) == -1)
		return -1;
	*endpoint = xstrdup(m.target_endpoint != NULL ? m.target_endpoint :
	    "");
	wire_msg_clear(&m);
	return 0;
}

/* A Version attribute: "" or absent is 0, else 1 to LONG_MAX. */
static int
wire_version(const char *v, long *out)
{
	char *end;

	*out = 0;
	if (v == NULL || *v == '\0')
		return 0;
	errno = 0;
	*out = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || *out < 1 || *v < '0' || *v > '9')
		return -1;
	return 0;
}

int
wire_cloc_req_decode(const char *ct, const unsigned char *body, size_t len,
    struct wire_cloc_req *r, char **cause)
{
	struct wire_bytes xml = { 0 };
	struct wx_node *root = NULL, *pkg, *site;
	const char *id, *code;
	int rc = -1;

	memset(r, 0, sizeof *r);
	if (wire_msg_unpack(ct, body, len, WIRE_LOC_ENDPOINT,
	    "content location request", &r->msg, &xml, &root, cause) == -1)
		goto out;
	if (strcmp(root->name, "ContentLocationRequest") != 0) {
		wire_fail(cause, "content location request: root element is "
		    "<%.40s>", root->name);
		goto out;
	}
	if ((pkg = wx_child(root, "Package")) == NULL ||
	    (id = wx_attr(pkg, "ID")) == NULL || *id == '\0') {
		wire_fail(cause, "content location request: no <Package ID>");
		goto out;
	}
	if (wire_version(wx_attr(pkg, "Version"), &r->version) == -1) {
		wire_fail(cause, "content location request: the package's "
		    "Version is not a number from 1");
		goto out;
	}
	r->package_id = xstrdup(id);
	if ((site = wx_child(root, "AssignedSite")) != NULL &&
	    (code = wx_attr(site, "SiteCode")) != NULL)
		r->site_code = xstrdup(code);
	rc = 0;
out:
	if (rc == -1)
		wire_cloc_req_clear(r);
	wx_free(root);
	wire_bytes_free(&xml);
	return rc;
}

/* --------------------------------------------------------------- reply */

void
wire_cloc_reply_clear(struct wire_cloc_reply *r)
{
	if (r == NULL)
		return;
	free(r->package_id);
	free(r->name);
	free(r->site_code);
	for (size_t i = 0; i < r->nrecs; i++) {
		free(r->recs[i].url);
		free(r->recs[i].server);
	}
	free(r->recs);
	memset(r, 0, sizeof *r);
}

void
wire_cloc_reply_add(struct wire_cloc_reply *r, const char *url,
    const char *server, int ssl_state, int auth_method)
{
	struct wire_cloc_rec *c;

	r->recs = xreallocarray(r->recs, r->nrecs + 1, sizeof *r->recs);
	c = &r->recs[r->nrecs++];
	c->url = xstrdup(url);
	c->server = xstrdup(server);
	c->ssl_state = ssl_state;
	c->auth_method = auth_method;
}

/* One <LocationRecord>. */
static int
wire_cloc_rec_put(struct wbuf *x, const struct wire_cloc_rec *c,
    char **cause)
{
	wbuf_str(x, "<LocationRecord><URL");
	if (wire_xattr(x, "Name", c->url, cause) == -1)
		return -1;
	wbuf_str(x, "/><ServerRemoteName>");
	if (wx_escape(x, c->server, cause) == -1)
		return -1;
	wbuf_printf(x, "</ServerRemoteName><DPType>SERVER</DPType>"
	    "<Locality>LOCAL</Locality><Capabilities SchemaVersion=\"1.0\">"
	    "<Property Name=\"SSLState\" Value=\"%d\"/>", c->ssl_state);
	if (c->auth_method != 0)
		wbuf_printf(x, "<Property Name=\"AuthMethod\" Value=\"%d\"/>",
		    c->auth_method);
	wbuf_str(x, "</Capabilities></LocationRecord>");
	return 0;
}

int
wire_cloc_reply_encode(const struct wire_cloc_reply *r,
    struct wire_bytes *out, char **cause)
{
	struct wbuf x = { 0 };
	int rc = -1;

	memset(out, 0, sizeof *out);
	wbuf_str(&x, "<ContentLocationReply SchemaVersion=\"1.00\">");
	if (r->package_id != NULL) {
		wbuf_str(&x, "<ContentInfo");
		if (wire_xattr(&x, "PackageID", r->package_id, cause) == -1)
			goto out;
		wbuf_printf(&x, " Version=\"%ld\"", r->version);
		if (wire_xattr(&x, "Name", r->name ? r->name : "", cause) == -1)
			goto out;
		wbuf_str(&x, "/>");
	}
	wbuf_str(&x, "<Sites><Site><MPSite");
	if (r->site_code != NULL && (wire_xattr(&x, "SiteCode", r->site_code,
	    cause) == -1 || wire_xattr(&x, "MasterSiteCode", r->site_code,
	    cause) == -1))
		goto out;
	wbuf_str(&x, " SiteLocality=\"LOCAL\"/><LocationRecords>");
	for (size_t i = 0; i < r->nrecs; i++)
		if (wire_cloc_rec_put(&x, &r->recs[i], cause) == -1)
			goto out;
	wbuf_str(&x, "</LocationRecords></Site></Sites></ContentLocationReply>");
	wbuf_add(&x, "", 1);
	rc = wire_body_make((const char *)x.d, out, cause);
out:
	wbuf_free(&x);
	return rc;
}

/* A Capabilities property's value as a number (0 if absent). */
static int
wire_cap(const struct wx_node *caps, const char *name)
{
	const struct wx_node *p;
	const char *n, *v;

	for (p = caps != NULL ? caps->child : NULL; p != NULL; p = p->next)
		if (strcmp(p->name, "Property") == 0 &&
		    (n = wx_attr(p, "Name")) != NULL && strcmp(n, name) == 0 &&
		    (v = wx_attr(p, "Value")) != NULL)
			return atoi(v);
	return 0;
}

/* The records of every <Site> into r. */
static int
wire_cloc_sites(const struct wx_node *sites, struct wire_cloc_reply *r,
    char **cause)
{
	const struct wx_node *s, *recs, *c, *url, *srv, *mps;
	const char *name, *code;

	for (s = sites != NULL ? sites->child : NULL; s != NULL; s = s->next) {
		if (strcmp(s->name, "Site") != 0)
			continue;
		if (r->site_code == NULL && (mps = wx_child(s, "MPSite")) !=
		    NULL && (code = wx_attr(mps, "SiteCode")) != NULL)
			r->site_code = xstrdup(code);
		if ((recs = wx_child(s, "LocationRecords")) == NULL)
			continue;
		for (c = recs->child; c != NULL; c = c->next) {
			if (strcmp(c->name, "LocationRecord") != 0)
				continue;
			if ((url = wx_child(c, "URL")) == NULL ||
			    (name = wx_attr(url, "Name")) == NULL)
				return wire_fail(cause, "content location "
				    "reply: a <LocationRecord> without "
				    "<URL Name>");
			if (r->nrecs == WIRE_CLOC_RECS)
				return wire_fail(cause, "content location "
				    "reply: more than %d records",
				    WIRE_CLOC_RECS);
			srv = wx_child(c, "ServerRemoteName");
			wire_cloc_reply_add(r, name, srv != NULL &&
			    srv->text != NULL ? srv->text : "",
			    wire_cap(wx_child(c, "Capabilities"), "SSLState"),
			    wire_cap(wx_child(c, "Capabilities"),
			    "AuthMethod"));
		}
	}
	return 0;
}

int
wire_cloc_reply_decode(const unsigned char *body, size_t len,
    struct wire_cloc_reply *r, char **cause)
{
	struct wire_bytes xml = { 0 };
	struct wx_node *root = NULL, *ci;
	const char *id, *name;
	int rc = -1;

	memset(r, 0, sizeof *r);
	if (wire_reply_parse(body, len, "content location reply",
	    "ContentLocationReply", &xml, &root, cause) == -1)
		goto out;
	if ((ci = wx_child(root, "ContentInfo")) != NULL &&
	    (id = wx_attr(ci, "PackageID")) != NULL) {
		if (wire_version(wx_attr(ci, "Version"), &r->version) == -1 ||
		    r->version == 0) {
			wire_fail(cause, "content location reply: the "
			    "package's Version is not a number from 1");
			goto out;
		}
		r->package_id = xstrdup(id);
		name = wx_attr(ci, "Name");
		r->name = xstrdup(name != NULL ? name : "");
	}
	if (wire_cloc_sites(wx_child(root, "Sites"), r, cause) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		wire_cloc_reply_clear(r);
	wx_free(root);
	wire_bytes_free(&xml);
	return rc;
}
