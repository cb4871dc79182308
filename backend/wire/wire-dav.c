/*
 * wire-dav.c: what a client reads of a distribution point's WebDAV
 * listing (wire.h): the 207 Multi-Status of a PROPFIND, parsed with
 * namespaces, so that any prefix the server picks for DAV: reads the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hex.h"
#include "utf8.h"
#include "wire-int.h"

#define DAV(n)		"DAV:|" n
#define EHTTP(n)	"urn:ehttp:dp|" n
#define WIRE_DAV_NODES	(WIRE_DAV_MAX * 16)

void
wire_dav_clear(struct wire_dav *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].href);
		free(d->v[i].name);
	}
	free(d->v);
	memset(d, 0, sizeof *d);
}

/* An href's path percent-decoded (an absolute URL loses its scheme and
 * authority): malloc'ed, or NULL with the reason. */
static char *
wire_href(const char *h, char **cause)
{
	const char *p = h;
	char *out, *o;
	uint32_t cp;
	size_t n, k;

	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (strncasecmp(p, "http://", 7) == 0 ||
	    strncasecmp(p, "https://", 8) == 0) {
		p = strstr(p, "//") + 2;
		p += strcspn(p, "/");
	}
	if (*p != '/') {
		wire_fail(cause, "WebDAV listing: an href that is not a path");
		return NULL;
	}
	o = out = xmalloc(strlen(p) + 1);
	for (; *p != '\0' && *p != ' ' && *p != '\r' && *p != '\n'; p++) {
		if (*p != '%') {
			*o++ = *p;
			continue;
		}
		if (hex_value(p[1]) < 0 || hex_value(p[2]) < 0 ||
		    (p[1] == '0' && p[2] == '0'))
			goto bad;
		*o++ = (char)(hex_value(p[1]) * 16 + hex_value(p[2]));
		p += 2;
	}
	*o = '\0';
	n = (size_t)(o - out);
	for (size_t i = 0; i < n; i += k)
		if ((k = utf8_next(out + i, n - i, &cp)) == 0)
			goto bad;
	return out;
bad:
	free(out);
	wire_fail(cause, "WebDAV listing: an href with a bad escape or bytes "
	    "that are not UTF-8");
	return NULL;
}

static int
wire_is_sha256(const char *s, size_t n)
{
	if (n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return 1;
}

/* The text of a property, NULL if absent. */
static const char *
wire_prop(const struct wx_node *prop, const char *name)
{
	const struct wx_node *n = wx_child(prop, name);

	return n == NULL ? NULL : n->text != NULL ? n->text : "";
}

/* One D:response's first propstat with a D:prop into e. */
static int
wire_dav_entry(const struct wx_node *resp, struct wire_dav_entry *e,
    char **cause)
{
	const struct wx_node *href, *ps, *prop = NULL, *rt;
	const char *v;
	char *end;

	memset(e, 0, sizeof *e);
	e->version = -1;
	if ((href = wx_child(resp, DAV("href"))) == NULL || href->text == NULL)
		return wire_fail(cause, "WebDAV listing: a response without an"
		    " href");
	for (ps = resp->child; ps != NULL && prop == NULL; ps = ps->next)
		if (strcmp(ps->name, DAV("propstat")) == 0)
			prop = wx_child(ps, DAV("prop"));
	if (prop == NULL)
		return wire_fail(cause, "WebDAV listing: a response without "
		    "properties");
	if ((e->href = wire_href(href->text, cause)) == NULL)
		return -1;
	rt = wx_child(prop, DAV("resourcetype"));
	e->collection = rt != NULL && wx_child(rt, DAV("collection")) != NULL;
	if ((v = wire_prop(prop, DAV("getcontentlength"))) != NULL) {
		if (*v < '0' || *v > '9')
			return wire_fail(cause, "WebDAV listing: a "
			    "getcontentlength that is not a number");
		e->size = strtoull(v, &end, 10);
		if (*end != '\0')
			return wire_fail(cause, "WebDAV listing: a "
			    "getcontentlength that is not a number");
	}
	if ((v = wire_prop(prop, EHTTP("sha256"))) != NULL &&
	    wire_is_sha256(v, strlen(v)))
		memcpy(e->sha256, v, 65);
	else if ((v = wire_prop(prop, DAV("getetag"))) != NULL &&
	    strlen(v) == 66 && v[0] == '"' && v[65] == '"' &&
	    wire_is_sha256(v + 1, 64)) {
		memcpy(e->sha256, v + 1, 64);
		e->sha256[64] = '\0';
	}
	if ((v = wire_prop(prop, EHTTP("version"))) != NULL && *v >= '0' &&
	    *v <= '9')
		e->version = strtoll(v, NULL, 10);
	if ((v = wire_prop(prop, EHTTP("name"))) != NULL)
		e->name = xstrdup(v);
	return 0;
}

int
wire_dav_decode(const unsigned char *body, size_t len, struct wire_dav *d,
    char **cause)
{
	struct wx_node *root = NULL, *r;
	int rc = -1;

	memset(d, 0, sizeof *d);
	if (wx_parse_ns(body, len, NULL, "WebDAV listing", WIRE_DAV_NODES,
	    WIRE_DAV_BYTES, &root, cause) == -1)
		return -1;
	if (strcmp(root->name, DAV("multistatus")) != 0) {
		wire_fail(cause, "WebDAV listing: the root element is not "
		    "DAV: multistatus");
		goto out;
	}
	for (r = root->child; r != NULL; r = r->next) {
		if (strcmp(r->name, DAV("response")) != 0)
			continue;
		if (d->n == WIRE_DAV_MAX) {
			wire_fail(cause, "WebDAV listing: more than %d entries",
			    WIRE_DAV_MAX);
			goto out;
		}
		d->v = xreallocarray(d->v, d->n + 1, sizeof *d->v);
		if (wire_dav_entry(r, &d->v[d->n], cause) == -1) {
			free(d->v[d->n].href);
			free(d->v[d->n].name);
			goto out;
		}
		d->n++;
	}
	rc = 0;
out:
	if (rc == -1)
		wire_dav_clear(d);
	wx_free(root);
	return rc;
}
