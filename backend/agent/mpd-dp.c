/*
 * mpd-dp: the distribution point role of the agent's site system: its
 * content library (dp.h) served under the four folders Configuration
 * Manager's clients know, while the site database gives the system the DP
 * role (else they are 404):
 *
 *   SMS_DP_SMSPKG$               HTTP and HTTPS; anonymous only when the
 *                                DP allows it (role.allow_anonymous), else
 *                                401 with IIS's challenges (Negotiate,
 *                                NTLM: ehttp does no Windows
 *                                authentication, so a client takes the
 *                                token folder)
 *   NOCERT_SMS_DP_SMSPKG$        HTTPS, the same rule
 *   CCMTOKENAUTH_SMS_DP_SMSPKG$  HTTPS, a content access token
 *   CCMTOKENAUTH_SMS_DP_SMSSIG$  (mpd_dp_token_ok), else 401
 *
 * Methods: GET and HEAD of a file (one Range: 206, 416; several ranges:
 * the whole file; If-None-Match, If-Modified-Since: 304; If-Range), and
 * PROPFIND with Depth 0 or 1 (207 Multi-Status; Depth infinity, or none,
 * is 403 as IIS; 405 when the DP refuses WebDAV listings,
 * role.allow_propfind). A folder's GET is 403 (no directory browsing),
 * the folder above the packages is 403 to every method, a target that
 * could leave its package is 400. The bytes are streamed (mpd-http.c).
 *
 * Each request is a line in smsdpcontent.log (component SMS_DP_CONTENT):
 * Configuration Manager has no log of the content a DP serves (IIS keeps
 * it in its W3C log), so ehttp names one in the family of the DP's own
 * logs (smsdpprov.log, smsdpmon.log). The target is logged as the client
 * sent it; cmlog escapes what is not printable.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "content.h"
#include "dp.h"
#include "mp.h"
#include "mpd-int.h"
#include "timefmt.h"
#include "xmalloc.h"

#define DP_TOKEN_CHALLENGE	"Bearer realm=\"SMS_DP\""
#define DP_IIS_CHALLENGES	"WWW-Authenticate: Negotiate\r\n" \
				"WWW-Authenticate: NTLM\r\n"
#define DP_LOG_TARGET		300	/* bytes of a target logged */

/* What a request reads of the agent's state, copied under the lock. */
struct mpd_dp_view {
	int	 is_dp;
	int	 anonymous;
	int	 propfind;
};

/* One request's line in smsdpcontent.log. */
static void
mpd_dp_log(struct mpd_conn *c, const struct mpd_req *q, int type, int code,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void
mpd_dp_log(struct mpd_conn *c, const struct mpd_req *q, int type, int code,
    const char *fmt, ...)
{
	struct mpd *m = mpd_conn_agent(c);
	char what[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	cmlog_write(m->mplog[MPD_LOG_DP], type, mpd_mplog_comps[MPD_LOG_DP],
	    NULL, "%s %.*s%s from %s over %s: %d, %s", q->method,
	    DP_LOG_TARGET, q->target, strlen(q->target) > DP_LOG_TARGET ?
	    "..." : "", mpd_conn_peer(c), mpd_conn_tls(c) ? "HTTPS" : "HTTP",
	    code, what);
}

static void
mpd_dp_text(struct mpd_reply *r, int code, const char *reason,
    const char *body)
{
	mpd_reply_set(r, code, reason, "text/plain", body);
}

/*
 * The content access token of a request to a CCMTOKENAUTH_ folder: 1 it
 * may be served, 0 refused (401; *reason malloc'ed, for the log only), -1
 * the check failed (500, *reason).
 * mp_content_check() (backend/mp/) decides: the token's signature by the
 * site's SMS Token Signing, its lifetime and audience, the client's proof
 * of possession; no database read.
 */
static int
mpd_dp_token_ok(struct mpd_conn *c, const struct mpd_req *q, char **reason)
{
	struct mpd *m = mpd_conn_agent(c);
	struct mp_request mq;
	int rc;

	*reason = NULL;
	mpd_mp_request(c, q, &mq);
	/* The verifier is the poll's: read under the lock. */
	pthread_mutex_lock(&m->lock);
	if (m->verifier == NULL) {
		*reason = xstrdup("the token verifier is not loaded (see"
		    " mpcontrol.log)");
		rc = 0;
	} else if ((rc = mp_content_check(m->e, m->verifier, &mq, time(NULL),
	    reason)) == -1 && *reason == NULL)
		*reason = xstrdup(ehttp_error(m->e));
	pthread_mutex_unlock(&m->lock);
	mpd_mp_request_clear(&mq);
	return rc;
}

/* May the request go on (the folder's rule)? 1, else 0 with r set. */
static int
mpd_dp_auth(struct mpd_conn *c, const struct mpd_req *q,
    const struct dp_target *t, const struct mpd_dp_view *v,
    struct mpd_reply *r)
{
	char *why = NULL;
	int rc;

	if (t->vdir == DP_VDIR_PKG || t->vdir == DP_VDIR_NOCERT) {
		if (v->anonymous)
			return 1;
		mpd_dp_text(r, 401, "Unauthorized", "This distribution point"
		    " does not allow anonymous access.\n");
		r->headers = xstrdup(DP_IIS_CHALLENGES);
		mpd_dp_log(c, q, CMLOG_TYPE_WARNING, 401, "anonymous access"
		    " is not allowed on this distribution point");
		return 0;
	}
	if ((rc = mpd_dp_token_ok(c, q, &why)) == 1) {
		free(why);
		return 1;
	}
	if (rc == -1) {
		mpd_dp_text(r, 500, "Internal Server Error", "The content"
		    " access token could not be checked (see"
		    " smsdpcontent.log).\n");
		mpd_dp_log(c, q, CMLOG_TYPE_ERROR, 500, "the content access"
		    " token could not be checked: %s", why);
	} else {
		mpd_dp_text(r, 401, "Unauthorized", "A valid content access"
		    " token is required.\n");
		r->www_auth = DP_TOKEN_CHALLENGE;
		mpd_dp_log(c, q, CMLOG_TYPE_WARNING, 401, "content access"
		    " token refused: %s", why);
	}
	free(why);
	return 0;
}

/* PROPFIND: the 207 listing, Depth 0 or 1. */
static void
mpd_dp_propfind(struct mpd_conn *c, const struct mpd_req *q,
    const struct dp_manifest *mf, const struct dp_target *t,
    enum dp_kind kind, struct mpd_reply *r)
{
	char v[32];
	const char *depth = mpd_header(q->block, "Depth", v, sizeof v);
	size_t len;

	if (depth == NULL || strcasecmp(depth, "infinity") == 0) {
		mpd_dp_text(r, 403, "Forbidden", "PROPFIND with Depth"
		    " infinity is not allowed: send Depth 0 or 1.\n");
		mpd_dp_log(c, q, CMLOG_TYPE_WARNING, 403, "Depth %s refused",
		    depth != NULL ? "infinity" : "missing (infinity)");
		return;
	}
	if (strcmp(depth, "0") != 0 && strcmp(depth, "1") != 0) {
		mpd_dp_text(r, 400, "Bad Request", "Depth must be 0, 1 or"
		    " infinity.\n");
		mpd_dp_log(c, q, CMLOG_TYPE_WARNING, 400, "Depth is not 0, 1"
		    " or infinity");
		return;
	}
	r->owned = dp_dav_multistatus(mf, t, kind, depth[0] == '1', &len);
	mpd_reply_set(r, 207, "Multi-Status", "text/xml; charset=\"utf-8\"",
	    r->owned);
	r->len = len;
	mpd_dp_log(c, q, CMLOG_TYPE_INFO, 207, "listed package %s version"
	    " %lld, Depth %s", mf->package, mf->version, depth);
}

/* The conditions of a GET or HEAD: 1 not modified (304), else 0; *ranged
 * 0 when If-Range says the client's copy is another one. */
static int
mpd_dp_conditions(const struct mpd_req *q, const char *etag, time_t mtime,
    int *ranged)
{
	char v[1024];
	const char *h;
	time_t t;

	*ranged = 1;
	if ((h = mpd_header(q->block, "If-Range", v, sizeof v)) != NULL)
		*ranged = h[0] == '"' || strncmp(h, "W/", 2) == 0 ?
		    dp_etag_match(h, etag, 0) : dp_http_date(h) == mtime;
	if ((h = mpd_header(q->block, "If-None-Match", v, sizeof v)) != NULL)
		return dp_etag_match(h, etag, 1);
	if ((h = mpd_header(q->block, "If-Modified-Since", v,
	    sizeof v)) != NULL && (t = dp_http_date(h)) != -1)
		return mtime <= t;
	return 0;
}

/* GET or HEAD of a file: its bytes (whole or one range), 304 or 416. */
static void
mpd_dp_file(struct mpd_conn *c, const struct mpd_req *q,
    struct dp_manifest *mf, const struct dp_file *f, struct mpd_reply *r)
{
	struct mpd *m = mpd_conn_agent(c);
	char etag[70], modified[TIMEFMT_LEN], v[256], *cause = NULL;
	const char *range;
	struct dp_range rg = { 0, 0 };
	enum dp_range_rc rrc = DP_RANGE_WHOLE;
	int ranged, fd;

	snprintf(etag, sizeof etag, "\"%s\"", f->sha256);
	timefmt(modified, sizeof modified, mf->mtime, TIMEFMT_HTTP);
	if (mpd_dp_conditions(q, etag, mf->mtime, &ranged)) {
		mpd_reply_set(r, 304, "Not Modified", "", "");
		r->no_body = 1;
		xasprintf(&r->headers, "ETag: %s\r\nLast-Modified: %s\r\n",
		    etag, modified);
		mpd_dp_log(c, q, CMLOG_TYPE_INFO, 304, "not modified");
		return;
	}
	range = mpd_header(q->block, "Range", v, sizeof v);
	if (ranged)
		rrc = dp_range_parse(range, f->size, &rg);
	if (rrc == DP_RANGE_UNSATISFIABLE) {
		mpd_dp_text(r, 416, "Range Not Satisfiable", "The range is"
		    " outside the file.\n");
		xasprintf(&r->headers, "Content-Range: bytes */%" PRIu64
		    "\r\nAccept-Ranges: bytes\r\n", f->size);
		mpd_dp_log(c, q, CMLOG_TYPE_WARNING, 416, "range '%.100s'"
		    " outside the file's %" PRIu64 " bytes", range, f->size);
		return;
	}
	if ((fd = dp_lib_open(m->dp, f, &cause)) == -1) {
		mpd_dp_text(r, 500, "Internal Server Error", "The file cannot"
		    " be read (see smsdpcontent.log).\n");
		mpd_dp_log(c, q, CMLOG_TYPE_ERROR, 500, "package %s version"
		    " %lld: cannot read %s", mf->package, mf->version, cause);
		free(cause);
		return;
	}
	mpd_reply_set(r, 200, "OK", "application/octet-stream", "");
	r->file.set = 1;
	r->file.fd = fd;
	r->file.off = 0;
	r->file.len = f->size;
	if (rrc == DP_RANGE_ONE) {
		r->code = 206;
		r->reason = "Partial Content";
		r->file.off = rg.first;
		r->file.len = rg.last - rg.first + 1;
		xasprintf(&r->headers, "ETag: %s\r\nLast-Modified: %s\r\n"
		    "Accept-Ranges: bytes\r\nContent-Range: bytes %" PRIu64
		    "-%" PRIu64 "/%" PRIu64 "\r\n", etag, modified, rg.first,
		    rg.last, f->size);
		mpd_dp_log(c, q, CMLOG_TYPE_INFO, 206, "package %s version"
		    " %lld, %s bytes %" PRIu64 "-%" PRIu64 " of %" PRIu64
		    " (sha256 %s)", mf->package, mf->version, f->path,
		    rg.first, rg.last, f->size, f->sha256);
		return;
	}
	xasprintf(&r->headers, "ETag: %s\r\nLast-Modified: %s\r\n"
	    "Accept-Ranges: bytes\r\n", etag, modified);
	mpd_dp_log(c, q, CMLOG_TYPE_INFO, 200, "package %s version %lld, %s,"
	    " %" PRIu64 " bytes (sha256 %s)%s", mf->package, mf->version,
	    f->path, f->size, f->sha256, range != NULL ? (ranged ?
	    "; the Range is not one byte range: the whole file" : "; If-Range"
	    " names another version: the whole file") : "");
}

/* The package's manifest: 1 (*mf), else 0 with r set (404). */
static int
mpd_dp_manifest(struct mpd_conn *c, const struct mpd_req *q,
    const struct dp_target *t, struct dp_manifest **mf, struct mpd_reply *r)
{
	struct mpd *m = mpd_conn_agent(c);
	char *cause = NULL;
	int first, rc;

	rc = dp_lib_manifest(m->dp, t->pkg, mf, &cause, &first);
	if (rc == 1)
		return 1;
	mpd_dp_text(r, 404, "Not Found", "Not Found\n");
	if (rc == 0)
		mpd_dp_log(c, q, CMLOG_TYPE_WARNING, 404, "package %s is not"
		    " on this distribution point", t->pkg);
	else {
		if (first)
			MPD_ERROR(m, "Distribution point: the manifest of"
			    " package %s is refused (the package is not"
			    " served): %s", t->pkg, cause);
		mpd_dp_log(c, q, first ? CMLOG_TYPE_ERROR : CMLOG_TYPE_WARNING,
		    404, "package %s is not served: its manifest is refused:"
		    " %s", t->pkg, cause);
	}
	free(cause);
	return 0;
}

static void
mpd_dp_view(struct mpd *m, struct mpd_dp_view *v)
{
	pthread_mutex_lock(&m->lock);
	v->is_dp = m->is_dp;
	v->anonymous = m->dp_anonymous;
	v->propfind = m->dp_propfind;
	pthread_mutex_unlock(&m->lock);
}

int
mpd_dp_serve(struct mpd_conn *c, const struct mpd_req *q, struct mpd_reply *r,
    struct mp_answer *a)
{
	struct mpd *m = mpd_conn_agent(c);
	struct mpd_dp_view v;
	struct dp_target t;
	struct dp_manifest *mf = NULL;
	const struct dp_file *f = NULL;
	const char *why;
	enum dp_kind kind;

	(void)a;
	mpd_dp_view(m, &v);
	if (!v.is_dp) {
		mpd_dp_text(r, 404, "Not Found", "Not Found\n");
		return 0;
	}
	if (dp_target_parse(q->target, &t, &why) != 1) {
		mpd_dp_text(r, 400, "Bad Request", "Bad Request\n");
		mpd_dp_log(c, q, CMLOG_TYPE_WARNING, 400, "refused: %s", why !=
		    NULL ? why : "not a distribution point folder");
		return 0;
	}
	if (!mpd_dp_auth(c, q, &t, &v, r))
		return 0;
	if (t.pkg_bad || t.pkg[0] == '\0') {
		if (t.pkg_bad)
			mpd_dp_text(r, 404, "Not Found", "Not Found\n");
		else
			mpd_dp_text(r, 403, "Forbidden", "The packages of a"
			    " distribution point are not listed.\n");
		mpd_dp_log(c, q, CMLOG_TYPE_WARNING, r->code, "%s",
		    t.pkg_bad ? "not a package id" : "the folder of the"
		    " packages is not listed");
		return 0;
	}
	if (strcmp(q->method, "PROPFIND") == 0 && !v.propfind) {
		mpd_dp_text(r, 405, "Method Not Allowed", "WebDAV listings"
		    " are not allowed on this distribution point.\n");
		r->allow = "GET, HEAD";
		mpd_dp_log(c, q, CMLOG_TYPE_WARNING, 405, "WebDAV listings"
		    " (PROPFIND) are not allowed on this distribution point");
		return 0;
	}
	if (!mpd_dp_manifest(c, q, &t, &mf, r))
		return 0;
	if ((kind = dp_manifest_find(mf, t.path, &f)) == DP_KIND_NONE) {
		mpd_dp_text(r, 404, "Not Found", "Not Found\n");
		mpd_dp_log(c, q, CMLOG_TYPE_WARNING, 404, "package %s version"
		    " %lld has no such file or folder", mf->package,
		    mf->version);
	} else if (strcmp(q->method, "PROPFIND") == 0)
		mpd_dp_propfind(c, q, mf, &t, kind, r);
	else if (kind == DP_KIND_FOLDER) {
		mpd_dp_text(r, 403, "Forbidden", "A folder is not listed by"
		    " GET: use PROPFIND.\n");
		mpd_dp_log(c, q, CMLOG_TYPE_WARNING, 403, "a folder of package"
		    " %s (no directory browsing)", mf->package);
	} else
		mpd_dp_file(c, q, mf, f, r);
	dp_manifest_free(mf);
	return 0;
}

int
mpd_dp_open(struct mpd *m, char **cause)
{
	char *lib;

	ehttp_content_set_root(m->e, m->cfg.content);
	if ((lib = ehttp_content_dp_lib(m->e, m->fqdn)) == NULL) {
		xasprintf(cause, "%s", ehttp_error(m->e));
		return -1;
	}
	m->dp = dp_lib_new(lib);
	free(lib);
	if (m->dp == NULL) {
		xasprintf(cause, "cannot make a lock");
		return -1;
	}
	return 0;
}

void
mpd_dp_poll(struct mpd *m, const struct agent_view *v)
{
	int note = v->is_dp ? 1 + (v->dp.allow_anonymous == 1) +
	    2 * (v->dp.allow_propfind != 0) : 0;

	m->is_dp = v->is_dp;
	m->dp_anonymous = v->is_dp && v->dp.allow_anonymous == 1;
	m->dp_propfind = v->is_dp && v->dp.allow_propfind != 0;
	if (note != m->dp_noted) {
		if (v->is_dp)
			MPD_INFO(m, "Distribution point: serving the content"
			    " of %s (SMS_DP_SMSPKG$ and NOCERT_SMS_DP_SMSPKG$:"
			    " anonymous access %s; WebDAV listings %s)",
			    dp_lib_dir(m->dp), m->dp_anonymous ? "allowed" :
			    "not allowed", m->dp_propfind ? "allowed" :
			    "refused");
		else if (m->dp_noted > 0)
			MPD_INFO(m, "Distribution point: %s no longer has the"
			    " role; its content is not served", m->fqdn);
		m->dp_noted = note;
	}
	dp_lib_sweep(m->dp);
}
