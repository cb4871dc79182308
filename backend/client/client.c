/*
 * client.c: what ehttp-client does (client.h): its identity in the state
 * directory, registration, tokens, and token-authenticated requests.
 */
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ca.h"
#include "client.h"
#include "client-int.h"
#include "cmlog.h"
#include "hex.h"
#include "safetext.h"
#include "timefmt.h"
#include "tls.h"
#include "wire.h"
#include "xmalloc.h"

#define CLIENT_BODY_MAX		(1024 * 1024)
#define CLIENT_LOG_MAX		((size_t)1024 * 1024)

/* ------------------------------------------------------------ messages */

void
client_say(const struct client_opts *o, const char *fmt, ...)
{
	char msg[2048], *shown;
	va_list ap;

	if (o->err == NULL)		/* a load mode client: quiet */
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	shown = safetext_message(msg);	/* it may quote the server */
	fprintf(o->err, "ehttp-client: %s\n", shown);
	free(shown);
}

void
client_log(const struct client_opts *o, const char *name, int type,
    const char *fmt, ...)
{
	char path[PATH_MAX], msg[2048], comp[64], *cause = NULL;
	struct cmlog *l;
	va_list ap;

	if (o->state == NULL)		/* a load mode client: no logs */
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(path, sizeof path, "%s/logs/%s", o->state, name);
	if ((l = cmlog_open(path, CLIENT_LOG_MAX, &cause)) == NULL) {
		client_say(o, "cannot write %s: %s", name, cause);
		free(cause);
		return;
	}
	/* The component is the log's name, as a Configuration Manager
	 * client writes it ("LocationServices"). */
	snprintf(comp, sizeof comp, "%.*s", (int)strcspn(name, "."), name);
	cmlog_write(l, type, comp, NULL, "%s", msg);
	cmlog_close(l);
}

/* ---------------------------------------------------------- state files */

/* Write a file of the state directory whole (a temporary file renamed
 * over it) with mode. 0, or -1 (said). */
static int
state_write(const struct client_opts *o, const char *name, const void *p,
    size_t len, mode_t mode)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int fd;

	snprintf(path, sizeof path, "%s/%s", o->state, name);
	snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", o->state, name);
	if ((fd = mkstemp(tmp)) == -1)
		goto fail;
	if (fchmod(fd, mode) == -1 || (len > 0 && write(fd, p, len) !=
	    (ssize_t)len) || fsync(fd) == -1) {
		close(fd);
		unlink(tmp);
		goto fail;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		unlink(tmp);
		goto fail;
	}
	return 0;
fail:
	client_say(o, "cannot write %s: %s", path, strerror(errno));
	return -1;
}

int
client_read_file(const struct client_opts *o, const char *path, size_t max,
    unsigned char **p, size_t *len)
{
	struct stat st;
	ssize_t n;
	int fd;

	*p = NULL;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		client_say(o, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size > max) {
		client_say(o, "%s: not a regular file of at most %zu bytes",
		    path, max);
		close(fd);
		return -1;
	}
	*p = xmalloc((size_t)st.st_size + 1);
	n = read(fd, *p, (size_t)st.st_size);
	close(fd);
	if (n != (ssize_t)st.st_size) {
		client_say(o, "cannot read %s", path);
		free(*p);
		*p = NULL;
		return -1;
	}
	(*p)[n] = '\0';
	*len = (size_t)n;
	return 1;
}

/* A file of the state directory (at most 1 MiB), as client_read_file. */
static int
state_read(const struct client_opts *o, const char *name, unsigned char **p,
    size_t *len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/%s", o->state, name);
	return client_read_file(o, path, CLIENT_BODY_MAX, p, len);
}

/* The state directory and its logs folder, 0700; a folder others may
 * enter is refused (the key is in it). */
static int
state_dir(const struct client_opts *o, int create)
{
	char path[PATH_MAX];
	struct stat st;

	if (!create && stat(o->state, &st) == -1 && errno == ENOENT) {
		client_say(o, "%s holds no client (ehttp-client register "
		    "makes one)", o->state);
		return -1;
	}
	if (create && mkdir(o->state, 0700) == -1 && errno != EEXIST) {
		client_say(o, "cannot create %s: %s", o->state,
		    strerror(errno));
		return -1;
	}
	if (stat(o->state, &st) == -1 || !S_ISDIR(st.st_mode)) {
		client_say(o, "%s is not a directory", o->state);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		client_say(o, "%s is open to other users (mode %03o): its "
		    "private key would be too; chmod 700 it", o->state,
		    (unsigned)(st.st_mode & 0777));
		return -1;
	}
	snprintf(path, sizeof path, "%s/logs", o->state);
	if (mkdir(path, 0700) == -1 && errno != EEXIST && create) {
		client_say(o, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* smsid=, approval=, mp=, token_expires=, content_expires= lines. */
static void
state_parse(struct client *c, const char *s)
{
	char line[512];

	c->approval = -1;
	while (*s != '\0') {
		size_t n = strcspn(s, "\n");

		snprintf(line, sizeof line, "%.*s", (int)n, s);
		s += n + (s[n] == '\n');
		if (strncmp(line, "smsid=", 6) == 0)
			snprintf(c->smsid, sizeof c->smsid, "%.63s", line + 6);
		else if (strncmp(line, "approval=", 9) == 0)
			c->approval = atoi(line + 9);
		else if (strncmp(line, "mp=", 3) == 0)
			snprintf(c->mp, sizeof c->mp, "%.255s", line + 3);
		else if (strncmp(line, "token_expires=", 14) == 0)
			c->token_expires = (time_t)atoll(line + 14);
		else if (strncmp(line, "content_expires=", 16) == 0)
			c->content_expires = (time_t)atoll(line + 16);
	}
}

static int
state_save(struct client *c)
{
	char *s;
	int rc;

	xasprintf(&s, "smsid=%s\napproval=%d\nmp=%s\ntoken_expires=%lld\n"
	    "content_expires=%lld\n", c->smsid, c->approval, c->mp,
	    (long long)c->token_expires, (long long)c->content_expires);
	rc = state_write(c->o, "state", s, strlen(s), 0644);
	free(s);
	return rc;
}

int
client_passphrase(const struct client_opts *o, char *out, size_t len)
{
	unsigned char r[32];

	if (len < 2 * sizeof r + 1 || getrandom(r, sizeof r, 0) != sizeof r) {
		client_say(o, "no randomness for a key passphrase");
		return -1;
	}
	hex_encode(r, sizeof r, out);
	explicit_bzero(r, sizeof r);
	return 0;
}

/* A new identity: a random passphrase, a key and certificate. */
static int
identity_new(struct client *c)
{
	struct ca_issued is = { 0 };
	struct ca *ca;
	int rc = -1;

	if (client_passphrase(c->o, c->master, sizeof c->master) == -1)
		return -1;
	ca = ca_new();
	if (ca_client_cert_create(ca, c->o->name, c->master, &is) == -1)
		client_say(c->o, "cannot make the client's certificate: %s",
		    ca_error(ca));
	else if (state_write(c->o, "master", c->master, strlen(c->master),
	    0600) == 0 && state_write(c->o, "key.p8", is.key.data, is.key.len,
	    0600) == 0 && state_write(c->o, "cert.der", is.cert.data,
	    is.cert.len, 0644) == 0)
		rc = 0;
	ca_free(ca);
	ca_issued_clear(&is);
	return rc;
}

int
client_load(struct client *c, const struct client_opts *o, int create)
{
	unsigned char *p = NULL;
	size_t len;
	int rc;

	memset(c, 0, sizeof *c);
	c->o = o;
	c->name = o->name;
	c->approval = -1;
	if (state_dir(o, create) == -1)
		return CLIENT_LOCAL;
	if ((rc = state_read(o, "master", &p, &len)) == -1)
		return CLIENT_LOCAL;
	if (rc == 0) {
		if (!create) {
			client_say(o, "%s holds no client (ehttp-client "
			    "register makes one)", o->state);
			return CLIENT_LOCAL;
		}
		if (identity_new(c) == -1)
			return CLIENT_LOCAL;
	} else {
		snprintf(c->master, sizeof c->master, "%.*s", (int)len, p);
		freezero(p, len);
	}
	if (state_read(o, "key.p8", &c->key.data, &c->key.len) != 1 ||
	    state_read(o, "cert.der", &c->cert.data, &c->cert.len) != 1) {
		client_say(o, "%s: the key or certificate is missing", o->state);
		return CLIENT_LOCAL;
	}
	if ((rc = state_read(o, "state", &p, &len)) == -1)
		return CLIENT_LOCAL;
	if (rc == 1)
		state_parse(c, (char *)p);
	free(p);
	return CLIENT_OK;
}

void
client_free(struct client *c)
{
	explicit_bzero(c->master, sizeof c->master);
	ca_blob_free(&c->key);
	ca_blob_free(&c->cert);
	freezero_str(c->content_token);
	c->content_token = NULL;
}

/* -------------------------------------------------------------- network */

int
client_request(const struct client_opts *o, const char *method,
    const char *path, const char *headers, const void *body, size_t len,
    struct tls_get_result *r)
{
	struct tls_get g = { 0 };

	g.method = method;
	g.user_agent = "ehttp-client";
	g.headers = headers;
	g.body = body;
	g.body_len = len;
	g.body_max = CLIENT_BODY_MAX;
	g.addr = o->connect;
	g.port = o->connect_port;
	g.host = o->mp;
	g.path = path;
	g.use_tls = 1;
	g.ca_file = o->root;
	g.client = o->tls;
	g.timeout_ms = o->timeout_ms;
	if (tls_get(&g, r) == -1) {
		client_say(o, "%s https://%s:%d%s: %s", method, o->mp,
		    o->connect_port, path, r->error);
		client_log(o, "CcmMessaging.log", CMLOG_TYPE_ERROR, "Post to "
		    "https://%s%s failed: %s", o->mp, path, r->error);
		tls_get_result_clear(r);
		return CLIENT_NETWORK;
	}
	client_log(o, "CcmMessaging.log", r->status == 200 ? CMLOG_TYPE_INFO :
	    CMLOG_TYPE_WARNING, "%s https://%s%s: HTTP %d", method, o->mp, path,
	    r->status);
	return CLIENT_OK;
}

int
client_refused(const struct client_opts *o, const char *what,
    const struct tls_get_result *r)
{
	const char *wa = r->head != NULL ? strcasestr(r->head,
	    "\nWWW-Authenticate:") : NULL;
	char why[1024];
	int n;

	n = snprintf(why, sizeof why, "%s refused: HTTP %d %.*s", what,
	    r->status, (int)strcspn((const char *)r->body, "\r\n"),
	    (const char *)r->body);
	if (wa != NULL && n >= 0 && (size_t)n < sizeof why)
		snprintf(why + n, sizeof why - n, " (%.*s)",
		    (int)strcspn(wa + 1, "\r\n"), wa + 1);
	client_say(o, "%s", why);
	client_log(o, "CcmMessaging.log", CMLOG_TYPE_ERROR, "%s", why);
	return CLIENT_REFUSED;
}

/* client_request() that wants HTTP 200: another status is a refusal
 * (client_refused(), CLIENT_REFUSED) with the response still in *r. */
static int
client_request_ok(const struct client_opts *o, const char *what,
    const char *method, const char *path, const char *headers,
    struct tls_get_result *r)
{
	int rc;

	if ((rc = client_request(o, method, path, headers, NULL, 0, r)) ==
	    CLIENT_OK && r->status != 200)
		rc = client_refused(o, what, r);
	return rc;
}

/* ---------------------------------------------------------- registration */

/* A CryptoAPI signature by the client's key. */
static int
client_sign(struct ca *ca, const struct client *c, const unsigned char *p,
    size_t len, struct ca_blob *sig)
{
	if (c->pk != NULL)
		return ca_capi_sign_key(ca, c->pk, p, len, sig);
	return ca_capi_sign(ca, c->key.data, c->key.len, c->master, p, len,
	    sig);
}

int
client_reg_body(struct client *c, struct wire_bytes *body)
{
	struct wire_reg g;
	struct ca_blob sig = { 0 };
	struct ca *ca = ca_new();
	char *why = NULL, reply_to[300];
	int rc = -1;

	memset(&g, 0, sizeof g);
	g.msg.source_host = xstrdup(c->name);
	g.msg.target_host = xstrdup(c->o->mp);
	snprintf(reply_to, sizeof reply_to, "direct:%s:SccmMessaging",
	    c->name);
	g.msg.reply_to = xstrdup(reply_to);
	if (c->smsid[0] != '\0')
		g.smsid = xstrdup(c->smsid);
	g.sign_cert.data = xmalloc(c->cert.len);
	memcpy(g.sign_cert.data, c->cert.data, c->cert.len);
	g.sign_cert.len = c->cert.len;
	g.enc_cert.data = xmalloc(c->cert.len);
	memcpy(g.enc_cert.data, c->cert.data, c->cert.len);
	g.enc_cert.len = c->cert.len;
	wire_reg_prop_add(&g, "Netbios Name", c->name);
	wire_reg_prop_add(&g, "FQ Name", c->name);
	wire_reg_prop_add(&g, "Locale ID", "1033");
	wire_reg_prop_add(&g, "InternetFlag", "0");
	if (wire_reg_data(&g, &why) == -1 || client_sign(ca, c, g.data.data,
	    g.data.len, &sig) == -1) {
		client_say(c->o, "cannot make the registration request: %s",
		    why != NULL ? why : ca_error(ca));
		goto out;
	}
	g.sig.data = sig.data;
	g.sig.len = sig.len;
	sig.data = NULL;
	if (wire_reg_encode(&g, body, &why) == -1) {
		client_say(c->o, "cannot make the registration request: %s",
		    why);
		goto out;
	}
	rc = 0;
out:
	free(why);
	ca_blob_free(&sig);
	wire_reg_clear(&g);
	ca_free(ca);
	return rc;
}

/* Does key (a SubjectPublicKeyInfo) belong to one of the certificates of
 * the PEM file the client trusts? 1 yes, 0 no, -1 unreadable. */
static int
root_key_trusted(const struct client_opts *o, const struct wire_bytes *key)
{
	struct ca_blob der, spki;
	struct ca *ca;
	unsigned char *buf;
	char *pem, *p;
	size_t len;
	int found = 0;

	if (client_read_file(o, o->root, CLIENT_BODY_MAX, &buf, &len) != 1)
		return -1;
	pem = (char *)buf;
	ca = ca_new();
	for (p = pem; !found && (p = strstr(p, "-----BEGIN CERTIFICATE-----"))
	    != NULL; p++) {
		memset(&der, 0, sizeof der);
		memset(&spki, 0, sizeof spki);
		if (ca_pem_to_der(ca, p, len - (size_t)(p - pem), &der) == 0 &&
		    ca_cert_spki(ca, der.data, der.len, &spki) == 0)
			found = spki.len == key->len && memcmp(spki.data,
			    key->data, key->len) == 0;
		ca_blob_free(&der);
		ca_blob_free(&spki);
	}
	ca_free(ca);
	free(pem);
	return found;
}

/*
 * Location, as a client starts: the site's key information from the MP
 * (?MPKEYINFORMATIONEX) into LocationServices.log: its site, its MPs, and
 * whether the trusted root key it gives is one of --root's. The trust
 * decision itself is TLS's (the MP's chain was verified against --root);
 * a different key is a warning: the site's root has changed since the
 * client was given its root.
 */
static int
client_locate(const struct client_opts *o)
{
	struct tls_get_result r = { 0 };
	struct wire_keyinfo k = { 0 };
	char *why = NULL, *mps = NULL;
	int rc, t;

	if ((rc = client_request(o, "GET", "/SMS_MP/.sms_aut?MPKEYINFORMATIONEX",
	    NULL, NULL, 0, &r)) != CLIENT_OK) {
		client_log(o, "LocationServices.log", CMLOG_TYPE_ERROR,
		    "Failed to send the location request to %s", o->mp);
		return rc;
	}
	if (r.status != 200 || wire_keyinfo_decode(r.body, r.body_len, &k,
	    &why) == -1) {
		client_log(o, "LocationServices.log", CMLOG_TYPE_WARNING,
		    "Could not get the key information of %s: %s", o->mp,
		    why != NULL ? why : r.reason);
		goto out;
	}
	for (size_t i = 0; i < k.nmps; i++) {
		char *m;

		xasprintf(&m, "%s%s%s", mps ? mps : "", mps ? ", " : "",
		    k.mps[i]);
		free(mps);
		mps = m;
	}
	client_log(o, "LocationServices.log", CMLOG_TYPE_INFO, "Retrieved the "
	    "key information of site %s from %s; its management points: %s",
	    k.site_code, o->mp, mps ? mps : "(none listed)");
	if ((t = root_key_trusted(o, &k.root_key)) == 1)
		client_log(o, "LocationServices.log", CMLOG_TYPE_INFO, "The "
		    "trusted root key of site %s is the key of the root this "
		    "client trusts", k.site_code);
	else if (t == 0) {
		client_log(o, "LocationServices.log", CMLOG_TYPE_WARNING, "The "
		    "trusted root key of site %s is not the key of any root in"
		    " %s: the site's root has changed", k.site_code, o->root);
		client_say(o, "warning: site %s's trusted root key is not the "
		    "key of a root in %s (the site's root has changed?)",
		    k.site_code, o->root);
	}
out:
	free(mps);
	free(why);
	wire_keyinfo_clear(&k);
	tls_get_result_clear(&r);
	return CLIENT_OK;
}

/* "Authorization: Bearer <token>\r\n" from the bulk token file, or "". */
char *
client_bulk_header(const struct client_opts *o)
{
	char *tok, *h;
	size_t len, n;
	FILE *f;

	if (o->bulk_token == NULL)
		return xstrdup("");
	if ((f = fopen(o->bulk_token, "r")) == NULL) {
		client_say(o, "cannot read %s: %s", o->bulk_token,
		    strerror(errno));
		return NULL;
	}
	tok = xmalloc(20000);
	len = fread(tok, 1, 19999, f);
	fclose(f);
	tok[len] = '\0';
	n = strcspn(tok, "\r\n");
	tok[n] = '\0';
	if (n == 0 || n != strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
	    "nopqrstuvwxyz0123456789-_.")) {
		client_say(o, "%s: not a token (one line of base64url parts)",
		    o->bulk_token);
		free(tok);
		return NULL;
	}
	xasprintf(&h, "Authorization: Bearer %s\r\n", tok);
	freezero(tok, len);
	return h;
}

int
client_register(const struct client_opts *o)
{
	struct client c;
	struct wire_bytes body = { 0 };
	struct wire_reply rp = { 0 };
	struct tls_get_result r = { 0 };
	char *bulk = NULL, *hdrs = NULL, *why = NULL;
	int rc;

	if ((rc = client_load(&c, o, 1)) != CLIENT_OK)
		return rc;
	if ((rc = client_locate(o)) != CLIENT_OK)
		goto out;
	rc = CLIENT_LOCAL;
	if ((bulk = client_bulk_header(o)) == NULL || client_reg_body(&c, &body) == -1)
		goto out;
	xasprintf(&hdrs, "Content-Type: %s\r\n%s", WIRE_CONTENT_TYPE, bulk);
	client_log(o, "ClientIDManagerStartup.log", CMLOG_TYPE_INFO,
	    "[RegTask] - Sending a registration request to %s%s", o->mp,
	    *bulk != '\0' ? " with a bulk registration token" : "");
	if ((rc = client_request(o, "CCM_POST", "/ccm_system/request", hdrs,
	    body.data, body.len, &r)) != CLIENT_OK)
		goto out;
	if (r.status != 200) {
		client_log(o, "ClientIDManagerStartup.log", CMLOG_TYPE_ERROR,
		    "[RegTask] - Registration refused: HTTP %d %.200s",
		    r.status, (const char *)r.body);
		rc = client_refused(o, "registration", &r);
		goto out;
	}
	if (wire_reply_decode(r.body, r.body_len, &rp, &why) == -1) {
		client_say(o, "the registration reply: %s", why);
		rc = CLIENT_NETWORK;
		goto out;
	}
	if (rp.status == WIRE_REG_CERT_RESET) {
		client_log(o, "ClientIDManagerStartup.log", CMLOG_TYPE_ERROR,
		    "[RegTask] - The management point reset the client's "
		    "certificate (CertificateReset)");
		client_say(o, "the management point answered CertificateReset: "
		    "this certificate belongs to another client record");
		rc = CLIENT_REFUSED;
		goto out;
	}
	snprintf(c.smsid, sizeof c.smsid, "%s", rp.smsid);
	c.approval = rp.approval;
	snprintf(c.mp, sizeof c.mp, "%s", o->mp);
	if (state_save(&c) == -1)
		goto out;
	client_log(o, "ClientIDManagerStartup.log", CMLOG_TYPE_INFO,
	    "[RegTask] - Client is registered. Server assigned ClientID is %s."
	    " Approval status %d", c.smsid, c.approval);
	if (o->json) {
		json_t *j = json_pack("{s:s,s:s,s:i}", "smsid", c.smsid,
		    "approval", c.approval == 1 ? "approved" : "pending", "status",
		    rp.status);
		char *s = json_dumps(j, JSON_COMPACT);

		fprintf(o->out, "%s\n", s);
		free(s);
		json_decref(j);
	} else
		fprintf(o->out, "Registered: %s, approval %s\n", c.smsid,
		    c.approval == 1 ? "approved" : "pending");
	rc = c.approval == 1 ? CLIENT_OK : CLIENT_REFUSED;
out:
	free(why);
	free(bulk);
	free(hdrs);
	wire_bytes_free(&body);
	wire_reply_clear(&rp);
	tls_get_result_clear(&r);
	client_free(&c);
	return rc;
}

/* --------------------------------------------------------------- tokens */

char *
client_proof_headers(struct client *c)
{
	char ts[TIMEFMT_LEN], *tok, *hex, *h = NULL;
	unsigned char *u16;
	struct ca_blob sig = { 0 };
	struct ca *ca = ca_new();
	size_t n;

	timefmt(ts, sizeof ts, time(NULL), TIMEFMT_ISO);
	xasprintf(&tok, "%s;%s;2", c->smsid, ts);
	n = strlen(tok);
	u16 = xcalloc(2 * n, 1);
	for (size_t i = 0; i < n; i++)
		u16[2 * i] = (unsigned char)tok[i];
	if (client_sign(ca, c, u16, 2 * n, &sig) == -1)
		client_say(c->o, "cannot sign the ClientToken: %s",
		    ca_error(ca));
	else {
		hex = hex_upper_dup(sig.data, sig.len);
		xasprintf(&h, "ClientToken: %s\r\nClientTokenSignature: %s\r\n",
		    tok, hex);
		free(hex);
	}
	ca_blob_free(&sig);
	ca_free(ca);
	free(u16);
	free(tok);
	return h;
}

int
client_token_reply(const unsigned char *body, size_t len, char **token,
    long long *expires_in)
{
	json_error_t je;
	json_t *j, *t, *e;
	int rc = -1;

	*token = NULL;
	if ((j = json_loadb((const char *)body, len, 0, &je)) != NULL &&
	    json_is_string(t = json_object_get(j, "token")) &&
	    json_is_integer(e = json_object_get(j, "expires_in")) &&
	    json_integer_value(e) > 0) {
		*token = xstrdup(json_string_value(t));
		*expires_in = json_integer_value(e);
		rc = 0;
	}
	json_decref(j);
	return rc;
}

/* What each kind of token is asked with and kept in. */
static const struct token_kind {
	const char	*path;		/* on the MP */
	const char	*file;		/* in the state directory */
	const char	*what;		/* as said */
	const char	*name;		/* --type, in JSON */
} token_kinds[] = {
	[CLIENT_TOKEN_CCM] = { "/CCM_STS", "token", "CCM token", "ccm" },
	[CLIENT_TOKEN_SITE] = { "/CCM_STS?Type=SiteToken", "site-token",
	    "Site token", "site" },
	[CLIENT_TOKEN_CONTENT] = { "/CCM_STS?Type=ContentAccessToken",
	    "content-token", "Content access token", "content" },
};

/* What `token` prints: a sentence, or JSON. */
static void
token_print(const struct client_opts *o, int type, time_t until,
    long long life)
{
	const struct token_kind *k = &token_kinds[type];
	char when[TIMEFMT_LEN], path[PATH_MAX], *s;
	json_t *j;

	timefmt(when, sizeof when, until, TIMEFMT_SECOND_UTC);
	if (!o->json) {
		fprintf(o->out, "%s valid until %s\n", k->what, when);
		return;
	}
	snprintf(path, sizeof path, "%s/%s", o->state, k->file);
	j = json_pack("{s:s, s:s, s:I, s:s}", "type", k->name, "valid_until",
	    when, "expires_in", (json_int_t)life, "file", path);
	if (j != NULL && (s = json_dumps(j, JSON_COMPACT)) != NULL) {
		fprintf(o->out, "%s\n", s);
		free(s);
	}
	json_decref(j);
}

/* A token of kind type from /CCM_STS into the state (its file, and the
 * expiry of a CCM or content access token); with print, said on o->out. */
static int
token_get(struct client *c, int type, int print)
{
	const struct client_opts *o = c->o;
	const struct token_kind *k = &token_kinds[type];
	struct tls_get_result r = { 0 };
	char *h, *tok = NULL, when[TIMEFMT_LEN];
	long long life;
	time_t until;
	int rc;

	if (c->smsid[0] == '\0') {
		client_say(o, "not registered yet (ehttp-client register)");
		return CLIENT_REFUSED;
	}
	if ((h = client_proof_headers(c)) == NULL)
		return CLIENT_LOCAL;
	rc = client_request_ok(o, "token", "GET", k->path, h, &r);
	free(h);
	if (rc != CLIENT_OK)
		goto out;
	rc = CLIENT_NETWORK;
	if (client_token_reply(r.body, r.body_len, &tok, &life) == -1) {
		client_say(o, "the token reply is not the JSON of a token");
		goto out;
	}
	rc = CLIENT_LOCAL;
	until = time(NULL) + life;
	if (c->memory) {		/* a load mode client */
		if (type != CLIENT_TOKEN_CONTENT)
			goto out;
		freezero_str(c->content_token);
		c->content_token = tok;
		tok = NULL;
		c->content_expires = until;
		rc = CLIENT_OK;
		goto out;
	}
	if (state_write(o, k->file, tok, strlen(tok), 0600) == -1)
		goto out;
	if (type == CLIENT_TOKEN_CCM)
		c->token_expires = until;
	else if (type == CLIENT_TOKEN_CONTENT)
		c->content_expires = until;
	if (type != CLIENT_TOKEN_SITE && state_save(c) == -1)
		goto out;
	timefmt(when, sizeof when, until, TIMEFMT_SECOND_UTC);
	client_log(o, "CcmMessaging.log", CMLOG_TYPE_INFO, "Got a %s valid "
	    "until %s", type == CLIENT_TOKEN_CCM ? "CCM token" : type ==
	    CLIENT_TOKEN_SITE ? "site token" : "content access token", when);
	if (print)
		token_print(o, type, until, life);
	rc = CLIENT_OK;
out:
	freezero_str(tok);
	tls_get_result_clear(&r);
	return rc;
}

int
client_token(const struct client_opts *o)
{
	struct client c;
	int rc;

	if ((rc = client_load(&c, o, 0)) == CLIENT_OK)
		rc = token_get(&c, o->token_type, 1);
	client_free(&c);
	return rc;
}

/* ------------------------------------------------- distribution points */

int
client_content_headers(struct client *c, int renew, char **headers)
{
	const struct client_opts *o = c->o;
	unsigned char *tok = NULL;
	char *proof = NULL, *cert;
	size_t len = 0;
	int rc;

	*headers = NULL;
	if (renew && c->content_expires < time(NULL) + 60 &&
	    (rc = token_get(c, CLIENT_TOKEN_CONTENT, 0)) != CLIENT_OK)
		return rc;
	if (c->memory) {
		if (c->content_token == NULL)
			return CLIENT_LOCAL;
		len = strlen(c->content_token);
		tok = (unsigned char *)xstrdup(c->content_token);
	} else if ((rc = state_read(o, "content-token", &tok, &len)) != 1) {
		if (rc == 0)
			client_say(o, "%s holds no content access token "
			    "(ehttp-client token --type content gets one)",
			    o->state);
		return CLIENT_LOCAL;
	}
	tok[strcspn((char *)tok, "\r\n")] = '\0';
	if ((proof = client_proof_headers(c)) == NULL) {
		rc = CLIENT_LOCAL;
		goto out;
	}
	cert = hex_upper_dup(c->cert.data, c->cert.len);
	xasprintf(headers, "Authorization: Bearer %s\r\n%s"
	    "ClientTokenCertificate: %s\r\n", (char *)tok, proof, cert);
	free(cert);
	rc = CLIENT_OK;
out:
	free(proof);
	explicit_bzero(tok, len);
	free(tok);
	return rc;
}

/* "Name: value\r\n" lines as a JSON object. */
static json_t *
headers_json(const char *h)
{
	json_t *j = json_object();

	while (*h != '\0') {
		size_t n = strcspn(h, "\r\n"), k = strcspn(h, ":");
		char *name, *value;

		if (k < n) {
			name = xstrndup(h, k);
			value = xstrndup(h + k + 2, n - k - 2);
			json_object_set_new(j, name, json_string(value));
			explicit_bzero(value, strlen(value));
			free(name);
			free(value);
		}
		h += n;
		h += strspn(h, "\r\n");
	}
	return j;
}

int
client_content_headers_print(const struct client_opts *o)
{
	struct client c;
	char *h = NULL, *s, when[TIMEFMT_LEN];
	json_t *j;
	int rc;

	if ((rc = client_load(&c, o, 0)) != CLIENT_OK ||
	    (rc = client_content_headers(&c, o->renew, &h)) != CLIENT_OK)
		goto out;
	if (c.content_expires <= time(NULL)) {
		timefmt(when, sizeof when, c.content_expires,
		    TIMEFMT_SECOND_UTC);
		client_say(o, "warning: the content access token expired at %s"
		    " (ehttp-client token --type content gets a new one)",
		    when);
	}
	if (o->json) {
		j = json_pack("{s:o}", "headers", headers_json(h));
		if (j != NULL && (s = json_dumps(j, JSON_COMPACT)) != NULL) {
			fprintf(o->out, "%s\n", s);
			explicit_bzero(s, strlen(s));
			free(s);
		}
		json_decref(j);
	} else
		for (const char *p = h; *p != '\0'; p++)
			if (*p != '\r')
				fputc(*p, o->out);
out:
	if (h != NULL)
		explicit_bzero(h, strlen(h));
	free(h);
	client_free(&c);
	return rc;
}

int
client_poll(const struct client_opts *o)
{
	struct client c;
	struct tls_get_result r = { 0 };
	unsigned char *tok = NULL;
	char *h;
	size_t len = 0;
	int rc;

	if ((rc = client_load(&c, o, 0)) != CLIENT_OK)
		goto out;
	/* A token that is missing or ends within a minute: a new one. */
	if (c.token_expires < time(NULL) + 60 && (rc = token_get(&c,
	    CLIENT_TOKEN_CCM, 1)) != CLIENT_OK)
		goto out;
	if (state_read(o, "token", &tok, &len) != 1) {
		rc = CLIENT_LOCAL;
		goto out;
	}
	xasprintf(&h, "Authorization: Bearer %s\r\n", (char *)tok);
	rc = client_request_ok(o, "poll", "GET",
	    "/ccm_system_tokenauth/request", h, &r);
	freezero_str(h);
	if (rc == CLIENT_OK)
		fprintf(o->out, "Poll: HTTP 200 (%zu bytes of policy)\n",
		    r.body_len);
out:
	freezero(tok, len);
	tls_get_result_clear(&r);
	client_free(&c);
	return rc;
}

int
client_show(const struct client_opts *o)
{
	struct ca_cert_info info = { 0 };
	struct client c;
	struct ca *ca;
	char when[TIMEFMT_LEN] = "-";
	int rc;

	if ((rc = client_load(&c, o, 0)) != CLIENT_OK) {
		client_free(&c);
		return rc;
	}
	ca = ca_new();
	if (ca_cert_info(ca, c.cert.data, c.cert.len, &info) == -1) {
		client_say(o, "cert.der: %s", ca_error(ca));
		rc = CLIENT_LOCAL;
	} else {
		if (c.token_expires > 0)
			timefmt(when, sizeof when, c.token_expires,
			    TIMEFMT_SECOND_UTC);
		fprintf(o->out, "Name:         %s\nSMSID:        %s\n"
		    "Approval:     %s\nMP:           %s\nCertificate:  %s\n"
		    "Token until:  %s\n", info.issued_to, c.smsid[0] ? c.smsid :
		    "(not registered)", c.approval == 1 ? "approved" :
		    c.approval == 0 ? "pending" : "-", c.mp[0] ? c.mp : "-",
		    info.thumbprint, when);
	}
	ca_cert_info_clear(&info);
	ca_free(ca);
	client_free(&c);
	return rc;
}
