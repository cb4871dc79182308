/*
 * wire-reg.c: the registration request (multipart, <Msg> header, zlib
 * body with the signed <Data>) and ehttp's registration reply; the layout
 * is in wire.h.
 */

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "hex.h"
#include "timefmt.h"
#include "uuid.h"
#include "wire-int.h"

#define WIRE_BOUNDARY_MAX	70		/* RFC 2046 */
#define WIRE_PARTS		2
#define WIRE_SHA256_RSA		"1.2.840.113549.1.1.11"
#define WIRE_REG_ENDPOINT	"MP_ClientRegistration"

/* ------------------------------------------------------------------ multipart */

static const unsigned char *
wire_memmem(const unsigned char *h, size_t hn, const char *n, size_t nn)
{
	return memmem(h, hn, n, nn);
}

/* The boundary parameter of a multipart/mixed Content-Type, into b. */
static int
wire_boundary(const char *ct, char b[WIRE_BOUNDARY_MAX + 1], char **cause)
{
	const char *p, *q;
	size_t n;

	if (ct == NULL)
		return wire_fail(cause, "no Content-Type: a registration is "
		    "multipart/mixed");
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, "multipart/mixed", 15) != 0 ||
	    (ct[15] != ';' && ct[15] != ' ' && ct[15] != '\0'))
		return wire_fail(cause, "Content-Type is not multipart/mixed");
	for (p = ct + 15; (p = strchr(p, ';')) != NULL; p++) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "boundary=", 9) == 0)
			break;
	}
	if (p == NULL)
		return wire_fail(cause, "Content-Type has no boundary");
	p += 9;
	if (*p == '"') {
		if ((q = strchr(++p, '"')) == NULL)
			return wire_fail(cause, "Content-Type: boundary has no "
			    "closing quote");
	} else
		for (q = p; *q != '\0' && *q != ';' && *q != ' ' &&
		    *q != '\t'; q++)
			;
	n = (size_t)(q - p);
	if (n == 0 || n > WIRE_BOUNDARY_MAX)
		return wire_fail(cause, "Content-Type: boundary must be 1 to %d "
		    "characters", WIRE_BOUNDARY_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e)
			return wire_fail(cause, "Content-Type: boundary holds "
			    "a character that is not printable ASCII");
	memcpy(b, p, n);
	b[n] = '\0';
	return 0;
}

/*
 * Split body into exactly WIRE_PARTS parts (their contents, headers
 * skipped): "--B" at the start or after a CRLF, each part's headers up to
 * an empty line, "CRLF--B" between parts and "CRLF--B--" at the end.
 */
int
wire_multipart(const char *ct, const unsigned char *body, size_t len,
    struct wire_part *parts, char **cause)
{
	char b[WIRE_BOUNDARY_MAX + 1], delim[WIRE_BOUNDARY_MAX + 5];
	const unsigned char *p, *end = body + len, *q, *h;
	size_t dn, np = 0;

	if (wire_boundary(ct, b, cause) == -1)
		return -1;
	if (len > WIRE_BODY_MAX)
		return wire_fail(cause, "multipart body of %zu bytes is larger "
		    "than %d", len, WIRE_BODY_MAX);
	dn = (size_t)snprintf(delim, sizeof delim, "\r\n--%s", b);
	/* The first delimiter: at the very start, or after a preamble line. */
	if (len >= dn - 2 && memcmp(body, delim + 2, dn - 2) == 0)
		p = body + dn - 2;
	else if ((p = wire_memmem(body, len, delim, dn)) != NULL)
		p += dn;
	else
		return wire_fail(cause, "multipart body: boundary --%s not "
		    "found", b);
	for (;;) {
		/* p is just past a delimiter: "--" closes, CRLF opens a part. */
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			break;
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
			return wire_fail(cause, "multipart body: delimiter "
			    "--%s not followed by CRLF", b);
		p += 2;
		if (np == WIRE_PARTS)
			return wire_fail(cause, "multipart body: more than %d "
			    "parts", WIRE_PARTS);
		/* Headers end with an empty line (CRLF CRLF, or CRLF at once). */
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
			h = p + 2;
		else if ((h = wire_memmem(p, (size_t)(end - p), "\r\n\r\n",
		    4)) != NULL)
			h += 4;
		else
			return wire_fail(cause, "multipart body: part %zu has no "
			    "end of headers", np + 1);
		if ((q = wire_memmem(h, (size_t)(end - h), delim, dn)) == NULL)
			return wire_fail(cause, "multipart body: part %zu is cut "
			    "short (no closing delimiter --%s--)", np + 1, b);
		parts[np].data = h;
		parts[np].len = (size_t)(q - h);
		np++;
		p = q + dn;
	}
	if (np != WIRE_PARTS)
		return wire_fail(cause, "multipart body: %zu part%s, a "
		    "registration has %d", np, np == 1 ? "" : "s", WIRE_PARTS);
	return 0;
}

/* ------------------------------------------------------------------ <Msg> */

static const struct {
	const char	*elem;
	size_t		 off;
} wire_msg_fields[] = {
#define F(e, m) { e, offsetof(struct wire_msg, m) }
	F("ID", id), F("SourceID", source_id), F("SourceHost", source_host),
	F("TargetAddress", target_address),
	F("TargetEndpoint", target_endpoint), F("TargetHost", target_host),
	F("ReplyTo", reply_to), F("ReplyMode", reply_mode),
	F("Priority", priority), F("Timeout", timeout),
	F("SentTime", sent_time), F("Protocol", protocol),
	F("CorrelationID", correlation_id),
	F("ReplyCompression", reply_compression),
#undef F
};
#define WIRE_MSG_NFIELDS (sizeof wire_msg_fields / sizeof wire_msg_fields[0])

static char **
wire_msg_field(struct wire_msg *m, size_t i)
{
	return (char **)((char *)m + wire_msg_fields[i].off);
}

void
wire_msg_clear(struct wire_msg *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < WIRE_MSG_NFIELDS; i++)
		free(*wire_msg_field(m, i));
	memset(m, 0, sizeof *m);
}

/* A new message id: {UUID}, upper case, as clients write it. */
static void
wire_guid(char out[40])
{
	char u[UUID_LEN + 1];

	uuid_v4(u);
	for (char *p = u; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	snprintf(out, 40, "{%s}", u);
}

/* <Msg> as FF FE + UTF-16LE (defaults for NULL fields: wire.h); body_len
 * is the uncompressed body's length. */
static int
wire_msg_encode(const struct wire_msg *m, size_t body_len, struct wbuf *out,
    char **cause)
{
	static const char *defaults[WIRE_MSG_NFIELDS] = {
		NULL, "", NULL, "mp:[http]" WIRE_REG_ENDPOINT,
		WIRE_REG_ENDPOINT, NULL, NULL, "Sync", "3", "60000", NULL,
		"http", NULL, "zlib",
	};
	char guid[40], now[TIMEFMT_LEN];
	struct wbuf x = { 0 };
	const char *v;
	int rc = -1;

	wire_guid(guid);
	timefmt(now, sizeof now, time(NULL), TIMEFMT_ISO);
	wbuf_str(&x, "<Msg SchemaVersion=\"1.1\">");
	for (size_t i = 0; i < WIRE_MSG_NFIELDS; i++) {
		v = *wire_msg_field((struct wire_msg *)m, i);
		if (v == NULL)
			v = i == 0 ? guid : strcmp(wire_msg_fields[i].elem,
			    "SentTime") == 0 ? now : defaults[i];
		if (v == NULL)
			continue;
		wbuf_printf(&x, "<%s>", wire_msg_fields[i].elem);
		if (wx_escape(&x, v, cause) == -1)
			goto out;
		wbuf_printf(&x, "</%s>", wire_msg_fields[i].elem);
	}
	wbuf_printf(&x, "<Body Type=\"ByteRange\" Offset=\"0\" Length=\"%zu\"/>"
	    "<Payload Type=\"inline\"/>"
	    "<Hooks><Hook3 Name=\"zlib-compress\"/></Hooks></Msg>", body_len);
	wbuf_add(&x, "", 1);
	wbuf_add(out, "\xff\xfe", 2);
	rc = wire_utf16_put(out, (const char *)x.d, cause);
out:
	wbuf_free(&x);
	return rc;
}

int
wire_msg_decode(const struct wire_part *pt, struct wire_msg *m, char **cause)
{
	struct wx_node *root = NULL, *n, *body, *hooks;
	const char *v;
	char *end;
	int be, rc = -1;

	memset(m, 0, sizeof *m);
	m->body_length = -1;
	if (pt->len < 2 || !((pt->data[0] == 0xff && pt->data[1] == 0xfe) ||
	    (pt->data[0] == 0xfe && pt->data[1] == 0xff)))
		return wire_fail(cause, "message header (part 1) does not start "
		    "with a UTF-16 byte order mark");
	be = pt->data[0] == 0xfe;
	if (wire_utf16_check(pt->data + 2, pt->len - 2, be,
	    "message header (part 1)", cause) == -1)
		return -1;
	if (wx_parse(pt->data, pt->len, NULL, "message header (part 1)", &root,
	    cause) == -1)
		return -1;
	if (strcmp(root->name, "Msg") != 0) {
		wire_fail(cause, "message header: root element is <%.40s>, not "
		    "<Msg>", root->name);
		goto out;
	}
	for (size_t i = 0; i < WIRE_MSG_NFIELDS; i++)
		if ((n = wx_child(root, wire_msg_fields[i].elem)) != NULL)
			*wire_msg_field(m, i) = xstrdup(n->text ? n->text : "");
	if ((body = wx_child(root, "Body")) != NULL &&
	    (v = wx_attr(body, "Length")) != NULL) {
		errno = 0;
		m->body_length = strtol(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' ||
		    m->body_length < 0) {
			wire_fail(cause, "message header: <Body> Length is not "
			    "a number");
			goto out;
		}
	}
	if ((hooks = wx_child(root, "Hooks")) != NULL)
		for (n = hooks->child; n != NULL; n = n->next)
			if ((v = wx_attr(n, "Name")) != NULL &&
			    strcmp(v, "zlib-compress") == 0)
				m->zlib_hook = 1;
	rc = 0;
out:
	if (rc == -1)
		wire_msg_clear(m);
	wx_free(root);
	return rc;
}

/*
 * A compressed UTF-16LE XML body: inflated (bounded), its NUL taken off,
 * checked, parsed. *xml keeps the bytes the offsets of the tree refer to.
 */
static int
wire_body_parse(const unsigned char *z, size_t zlen, const char *what,
    struct wire_bytes *xml, struct wx_node **root, char **cause)
{
	if (wire_inflate(z, zlen, WIRE_INFLATE_MAX, xml, what, cause) == -1)
		return -1;
	if (xml->len < 2 || xml->data[xml->len - 1] != 0 ||
	    xml->data[xml->len - 2] != 0) {
		wire_fail(cause, "%s: not followed by a UTF-16 NUL", what);
		goto fail;
	}
	xml->len -= 2;
	if (wire_utf16_check(xml->data, xml->len, 0, what, cause) == -1 ||
	    wx_parse(xml->data, xml->len, "UTF-16LE", what, root, cause) == -1)
		goto fail;
	return 0;
fail:
	wire_bytes_free(xml);
	return -1;
}

int
wire_reply_parse(const unsigned char *z, size_t zlen, const char *what,
    const char *elem, struct wire_bytes *xml, struct wx_node **root,
    char **cause)
{
	if (zlen > WIRE_BODY_MAX)
		return wire_fail(cause, "%s of %zu bytes is larger than %d", what,
		    zlen, WIRE_BODY_MAX);
	if (wire_body_parse(z, zlen, what, xml, root, cause) == -1)
		return -1;
	if (strcmp((*root)->name, elem) != 0) {
		wire_fail(cause, "%s: root element is <%.40s>", what,
		    (*root)->name);
		wx_free(*root);
		*root = NULL;
		wire_bytes_free(xml);
		return -1;
	}
	return 0;
}

/* Compressed UTF-16LE of xml (UTF-8) followed by a UTF-16 NUL. */
int
wire_body_make(const char *xml, struct wire_bytes *out, char **cause)
{
	struct wbuf u = { 0 };

	if (wire_utf16_put(&u, xml, cause) == -1) {
		wbuf_free(&u);
		return -1;
	}
	wbuf_add(&u, "\0\0", 2);
	wire_deflate(u.d, u.len, out);
	wbuf_free(&u);
	return 0;
}

/* ------------------------------------------------------------------ request */

void
wire_reg_clear(struct wire_reg *r)
{
	if (r == NULL)
		return;
	wire_msg_clear(&r->msg);
	free(r->hash_alg);
	free(r->smsid);
	free(r->request_type);
	free(r->timestamp);
	free(r->agent_identity);
	free(r->agent_version);
	free(r->agent_type);
	wire_bytes_free(&r->enc_cert);
	wire_bytes_free(&r->sign_cert);
	for (size_t i = 0; i < r->nprops; i++) {
		free(r->props[i].name);
		free(r->props[i].value);
	}
	free(r->props);
	wire_bytes_free(&r->data);
	wire_bytes_free(&r->sig);
	memset(r, 0, sizeof *r);
}

void
wire_reg_prop_add(struct wire_reg *r, const char *name, const char *value)
{
	r->props = xreallocarray(r->props, r->nprops + 1, sizeof *r->props);
	r->props[r->nprops].name = xstrdup(name);
	r->props[r->nprops].value = xstrdup(value);
	r->nprops++;
}

const char *
wire_reg_prop(const struct wire_reg *r, const char *name)
{
	for (size_t i = 0; i < r->nprops; i++)
		if (strcmp(r->props[i].name, name) == 0)
			return r->props[i].value;
	return NULL;
}

/* name="escaped value" (with a leading space). */
int
wire_xattr(struct wbuf *b, const char *name, const char *v, char **cause)
{
	wbuf_printf(b, " %s=\"", name);
	if (wx_escape(b, v, cause) == -1)
		return -1;
	wbuf_str(b, "\"");
	return 0;
}

static void
wire_xcert(struct wbuf *b, const char *elem, int key_type,
    const struct wire_bytes *der)
{
	char *hex = hex_upper_dup(der->data, der->len);

	wbuf_printf(b, "<%s Encoding=\"HexBinary\" KeyType=\"%d\">%s</%s>",
	    elem, key_type > 0 ? key_type : 1, hex, elem);
	free(hex);
}

int
wire_reg_data(struct wire_reg *r, char **cause)
{
	char now[TIMEFMT_LEN];
	struct wbuf x = { 0 }, u = { 0 };
	int rc = -1;

	wire_bytes_free(&r->data);
	if (r->sign_cert.len == 0)
		return wire_fail(cause, "registration: no signing certificate");
	timefmt(now, sizeof now, time(NULL), TIMEFMT_ISO);
	wbuf_str(&x, "<Data");
	if (wire_xattr(&x, "HashAlgorithm",
	    r->hash_alg ? r->hash_alg : WIRE_SHA256_RSA, cause) == -1 ||
	    wire_xattr(&x, "SMSID", r->smsid ? r->smsid : "", cause) == -1 ||
	    wire_xattr(&x, "RequestType",
	    r->request_type ? r->request_type : "Registration", cause) == -1 ||
	    wire_xattr(&x, "TimeStamp", r->timestamp ? r->timestamp : now,
	    cause) == -1)
		goto out;
	wbuf_str(&x, "><AgentInformation");
	if (wire_xattr(&x, "AgentIdentity",
	    r->agent_identity ? r->agent_identity : "CCMSetup.exe",
	    cause) == -1 ||
	    wire_xattr(&x, "AgentVersion",
	    r->agent_version ? r->agent_version : "5.00.0000.0000",
	    cause) == -1 ||
	    wire_xattr(&x, "AgentType", r->agent_type ? r->agent_type : "0",
	    cause) == -1)
		goto out;
	wbuf_str(&x, "/><Certificates>");
	if (r->enc_cert.len > 0)
		wire_xcert(&x, "Encryption", r->enc_key_type, &r->enc_cert);
	wire_xcert(&x, "Signing", r->sign_key_type, &r->sign_cert);
	wbuf_str(&x, "</Certificates><DiscoveryProperties>");
	for (size_t i = 0; i < r->nprops; i++) {
		wbuf_str(&x, "<Property");
		if (wire_xattr(&x, "Name", r->props[i].name, cause) == -1 ||
		    wire_xattr(&x, "Value", r->props[i].value, cause) == -1)
			goto out;
		wbuf_str(&x, "/>");
	}
	wbuf_str(&x, "</DiscoveryProperties></Data>");
	wbuf_add(&x, "", 1);
	if (wire_utf16_put(&u, (const char *)x.d, cause) == -1)
		goto out;
	wbuf_take(&u, &r->data);
	rc = 0;
out:
	wbuf_free(&x);
	wbuf_free(&u);
	return rc;
}

int
wire_reg_encode(const struct wire_reg *r, struct wire_bytes *out, char **cause)
{
	struct wbuf u = { 0 };
	char *hex = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	if (r->data.len == 0 || r->sig.len == 0)
		return wire_fail(cause, "registration: no signed <Data> "
		    "(wire_reg_data, then the signature)");
	hex = hex_upper_dup(r->sig.data, r->sig.len);
	wire_utf16_put(&u, "<ClientRegistrationRequest>", NULL);
	wbuf_add(&u, r->data.data, r->data.len);
	wire_utf16_put(&u, "<Signature><SignatureValue>", NULL);
	wire_utf16_put(&u, hex, NULL);
	wire_utf16_put(&u, "</SignatureValue></Signature>"
	    "</ClientRegistrationRequest>", NULL);
	wbuf_add(&u, "\0\0", 2);
	rc = wire_msg_pack(&r->msg, &u, out, cause);
	free(hex);
	wbuf_free(&u);
	return rc;
}

int
wire_msg_pack(const struct wire_msg *m, const struct wbuf *u,
    struct wire_bytes *out, char **cause)
{
	struct wbuf b = { 0 };
	struct wire_bytes z = { 0 };
	int rc = -1;

	memset(out, 0, sizeof *out);
	wire_deflate(u->d, u->len, &z);
	wbuf_str(&b, "--" WIRE_BOUNDARY "\r\n"
	    "content-type: text/plain; charset=UTF-16\r\n\r\n");
	if (wire_msg_encode(m, u->len, &b, cause) == -1)
		goto out;
	wbuf_str(&b, "\r\n--" WIRE_BOUNDARY "\r\n"
	    "content-type: application/octet-stream\r\n\r\n");
	wbuf_add(&b, z.data, z.len);
	wbuf_str(&b, "\r\n--" WIRE_BOUNDARY "--\r\n");
	wbuf_take(&b, out);
	rc = 0;
out:
	wire_bytes_free(&z);
	wbuf_free(&b);
	return rc;
}

static int
wire_key_type(const struct wx_node *n, int *out, char **cause)
{
	const char *v = wx_attr(n, "KeyType"), *enc = wx_attr(n, "Encoding");

	if (enc != NULL && strcmp(enc, "HexBinary") != 0)
		return wire_fail(cause, "registration: <%s> Encoding is not "
		    "HexBinary", n->name);
	if (v == NULL || (strcmp(v, "1") != 0 && strcmp(v, "2") != 0))
		return wire_fail(cause, "registration: <%s> KeyType is not 1 "
		    "(self-signed) or 2 (PKI)", n->name);
	*out = v[0] - '0';
	return 0;
}

static int
wire_hex_elem(const struct wx_node *n, struct wire_bytes *out, char **cause)
{
	const char *s = n->text ? n->text : "";
	char *t, *why = NULL;
	size_t len;
	int rc;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	t = xstrndup(s, len);
	if ((rc = wire_unhex(t, out, &why)) == -1)
		wire_fail(cause, "registration: <%s>: %s", n->name, why);
	free(why);
	free(t);
	return rc;
}

static char *
wire_attr_dup(const struct wx_node *n, const char *name)
{
	const char *v = wx_attr(n, name);

	return v ? xstrdup(v) : NULL;
}

static int
wire_reg_fill(struct wire_reg *r, const struct wire_bytes *xml,
    const struct wx_node *root, char **cause)
{
	const struct wx_node *data, *n, *certs, *props, *sig;
	const char *name, *value;

	if (strcmp(root->name, "ClientRegistrationRequest") != 0)
		return wire_fail(cause, "registration: root element is <%.40s>, "
		    "not <ClientRegistrationRequest>", root->name);
	if ((data = wx_child(root, "Data")) == NULL)
		return wire_fail(cause, "registration: no <Data> element");
	if ((sig = wx_child(wx_child(root, "Signature"),
	    "SignatureValue")) == NULL)
		return wire_fail(cause, "registration: no "
		    "<Signature><SignatureValue> element");
	if ((r->hash_alg = wire_attr_dup(data, "HashAlgorithm")) == NULL)
		return wire_fail(cause, "registration: <Data> has no "
		    "HashAlgorithm");
	if (strcmp(r->hash_alg, WIRE_SHA256_RSA) != 0)
		return wire_fail(cause, "registration: HashAlgorithm %.64s is "
		    "not sha256RSA (" WIRE_SHA256_RSA ")", r->hash_alg);
	if ((r->request_type = wire_attr_dup(data, "RequestType")) == NULL)
		return wire_fail(cause, "registration: <Data> has no "
		    "RequestType");
	if ((r->timestamp = wire_attr_dup(data, "TimeStamp")) == NULL)
		return wire_fail(cause, "registration: <Data> has no TimeStamp");
	r->smsid = wire_attr_dup(data, "SMSID");
	if (r->smsid == NULL)
		r->smsid = xstrdup("");
	if ((n = wx_child(data, "AgentInformation")) != NULL) {
		r->agent_identity = wire_attr_dup(n, "AgentIdentity");
		r->agent_version = wire_attr_dup(n, "AgentVersion");
		r->agent_type = wire_attr_dup(n, "AgentType");
	}
	if ((certs = wx_child(data, "Certificates")) == NULL)
		return wire_fail(cause, "registration: no <Certificates> "
		    "element");
	if ((n = wx_child(certs, "Signing")) == NULL)
		return wire_fail(cause, "registration: no <Signing> "
		    "certificate");
	if (wire_key_type(n, &r->sign_key_type, cause) == -1 ||
	    wire_hex_elem(n, &r->sign_cert, cause) == -1)
		return -1;
	if ((n = wx_child(certs, "Encryption")) != NULL &&
	    (wire_key_type(n, &r->enc_key_type, cause) == -1 ||
	    wire_hex_elem(n, &r->enc_cert, cause) == -1))
		return -1;
	if ((props = wx_child(data, "DiscoveryProperties")) != NULL)
		for (n = props->child; n != NULL; n = n->next) {
			if (strcmp(n->name, "Property") != 0)
				continue;
			if ((name = wx_attr(n, "Name")) == NULL ||
			    (value = wx_attr(n, "Value")) == NULL)
				return wire_fail(cause, "registration: a "
				    "discovery <Property> without Name or "
				    "Value");
			wire_reg_prop_add(r, name, value);
		}
	if (wire_hex_elem(sig, &r->sig, cause) == -1)
		return -1;
	if (data->end <= data->start || data->end > xml->len)
		return wire_fail(cause, "registration: cannot locate <Data> in "
		    "the body");
	r->data.len = data->end - data->start;
	r->data.data = xmalloc(r->data.len);
	memcpy(r->data.data, xml->data + data->start, r->data.len);
	return 0;
}

int
wire_reg_decode(const char *ct, const unsigned char *body, size_t len,
    struct wire_reg *r, char **cause)
{
	struct wire_bytes xml = { 0 };
	struct wx_node *root = NULL;
	int rc = -1;

	memset(r, 0, sizeof *r);
	if (wire_msg_unpack(ct, body, len, WIRE_REG_ENDPOINT,
	    "registration body", &r->msg, &xml, &root, cause) == -1 ||
	    wire_reg_fill(r, &xml, root, cause) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		wire_reg_clear(r);
	wx_free(root);
	wire_bytes_free(&xml);
	return rc;
}

int
wire_msg_unpack(const char *ct, const unsigned char *body, size_t len,
    const char *endpoint, const char *what, struct wire_msg *m,
    struct wire_bytes *xml, struct wx_node **root, char **cause)
{
	struct wire_part parts[WIRE_PARTS];
	char part2[128];

	if (wire_multipart(ct, body, len, parts, cause) == -1 ||
	    wire_msg_decode(&parts[0], m, cause) == -1)
		return -1;
	if (m->target_endpoint == NULL ||
	    strcmp(m->target_endpoint, endpoint) != 0)
		return wire_fail(cause, "message header: TargetEndpoint is not "
		    "%s", endpoint);
	if (!m->zlib_hook)
		return wire_fail(cause, "message header: no zlib-compress hook "
		    "(the %s must be compressed)", what);
	snprintf(part2, sizeof part2, "%s (part 2)", what);
	return wire_body_parse(parts[1].data, parts[1].len, part2, xml, root,
	    cause);
}

/* ------------------------------------------------------------------ reply */

void
wire_reply_clear(struct wire_reply *r)
{
	if (r == NULL)
		return;
	free(r->smsid);
	free(r->response_type);
	memset(r, 0, sizeof *r);
}

int
wire_reply_encode(const struct wire_reply *r, struct wire_bytes *out,
    char **cause)
{
	char ts[TIMEFMT_LEN];
	struct wbuf x = { 0 };
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (r->smsid == NULL || (unsigned)r->status > WIRE_REG_CERT_RESET ||
	    (unsigned)r->approval > WIRE_APPROVAL_NOT_APPLICABLE)
		return wire_fail(cause, "registration reply: no SMSID, or a "
		    "status out of range");
	if (timefmt(ts, sizeof ts, r->timestamp, TIMEFMT_ISO) == -1)
		return wire_fail(cause, "registration reply: timestamp has no "
		    "calendar date");
	wbuf_str(&x, "<ClientRegistrationReply SchemaVersion=\"1.0\"");
	if (wire_xattr(&x, "SMSID", r->smsid, cause) == -1)
		goto out;
	wbuf_printf(&x, "><Status>%d</Status><ApprovalStatus>%d</ApprovalStatus>"
	    "<ResponseType>", (int)r->status, (int)r->approval);
	if (wx_escape(&x, r->response_type ? r->response_type :
	    "Registration", cause) == -1)
		goto out;
	wbuf_printf(&x, "</ResponseType><Timestamp>%s</Timestamp>"
	    "</ClientRegistrationReply>", ts);
	wbuf_add(&x, "", 1);
	rc = wire_body_make((const char *)x.d, out, cause);
out:
	wbuf_free(&x);
	return rc;
}

/* The text of child elem of n as an integer in [0, max]. */
static int
wire_enum_elem(const struct wx_node *n, const char *elem, int max, int *out,
    char **cause)
{
	const struct wx_node *c = wx_child(n, elem);

	if (c == NULL || c->text == NULL)
		return wire_fail(cause, "registration reply: no <%s>", elem);
	if (strlen(c->text) != 1 || c->text[0] < '0' || c->text[0] > '0' + max)
		return wire_fail(cause, "registration reply: <%s> is not 0 to "
		    "%d", elem, max);
	*out = c->text[0] - '0';
	return 0;
}

int
wire_reply_decode(const unsigned char *body, size_t len,
    struct wire_reply *r, char **cause)
{
	struct wire_bytes xml = { 0 };
	struct wx_node *root = NULL, *n;
	const char *smsid;
	int st, ap, rc = -1;

	memset(r, 0, sizeof *r);
	if (wire_reply_parse(body, len, "registration reply",
	    "ClientRegistrationReply", &xml, &root, cause) == -1)
		goto out;
	if ((smsid = wx_attr(root, "SMSID")) == NULL) {
		wire_fail(cause, "registration reply: no SMSID");
		goto out;
	}
	/* Empty when the MP registered nothing; never shown unchecked. */
	if (*smsid != '\0' && !wire_smsid_ok(smsid)) {
		wire_fail(cause, "registration reply: the SMSID is not "
		    "GUID:<uuid>");
		goto out;
	}
	if (wire_enum_elem(root, "Status", WIRE_REG_CERT_RESET, &st,
	    cause) == -1 ||
	    wire_enum_elem(root, "ApprovalStatus", WIRE_APPROVAL_NOT_APPLICABLE,
	    &ap, cause) == -1)
		goto out;
	if ((n = wx_child(root, "Timestamp")) == NULL || n->text == NULL ||
	    wire_time_parse(n->text, &r->timestamp) == -1) {
		wire_fail(cause, "registration reply: no <Timestamp> of the "
		    "form yyyy-mm-ddThh:mm:ssZ");
		goto out;
	}
	r->smsid = xstrdup(smsid);
	r->status = (enum wire_reg_status)st;
	r->approval = (enum wire_approval)ap;
	if ((n = wx_child(root, "ResponseType")) != NULL)
		r->response_type = xstrdup(n->text ? n->text : "");
	rc = 0;
out:
	if (rc == -1)
		wire_reply_clear(r);
	wx_free(root);
	wire_bytes_free(&xml);
	return rc;
}
