/*
 * download.c: ehttp-client download (client.h). The flow a Configuration
 * Manager client takes, in its own logs:
 *   LocationServices.log        the ContentLocationRequest to the MP and
 *                               the distribution points it answered
 *   ContentTransferManager.log  the job: which location it downloads from
 *   DataTransferService.log     the PROPFIND listing and each GET (with
 *                               Range when it resumes)
 *   CAS.log                     "Hash verification succeeded for content
 *                               <ID>.<version>" or the file that failed
 * The hashes checked are those the distribution point's WebDAV listing
 * gives (its manifest's SHA-256 of each file: E:sha256, else the ETag),
 * fetched over the same verified TLS connection as the files: a file
 * changed in the DP's library behind its manifest is caught here.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdatomic.h>
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
#include "tls.h"
#include "uuid.h"
#include "wire.h"
#include "xmalloc.h"

#define DL_UA		"SMS CCM 5.0"
#define DL_TOKEN_VDIR	"CCMTOKENAUTH_SMS_DP_SMSPKG$"
#define DL_LIST_MAX	(16 * 1024 * 1024)	/* one PROPFIND reply */
#define DL_DEPTH_MAX	32			/* folders inside folders */
#define DL_PATH_MAX	1024			/* a file's path, as manifests */
#define DL_BUF		(256 * 1024)

/* Set by SIGINT (a lock-free atomic: safe in the handler). */
static atomic_int dl_stop;

struct dl_file {
	char			*rel;		/* path inside the package */
	unsigned long long	 size;
	char			 sha256[65];
};

struct dl {
	const struct client_opts *o;	/* c->o */
	struct client	*c;
	const char	*dest;		/* or NULL: verified, not written */
	atomic_int	*stop;
	char		 job[40];	/* {UUID} of this download */
	char		**urls;		/* the token URLs, in the MP's order */
	size_t		 nurls;
	const char	*url;		/* the one being tried (of urls) */
	char		 host[256];	/* the DP */
	int		 port;
	char		 addr[64];
	char		*base;		/* its path, decoded: /VDIR/ID */
	char		*pkg;		/* the package's id, as the MP said */
	long		 version;
	struct dl_file	*files;
	size_t		 nfiles;
	unsigned long long total, fetched;
	size_t		 resumed;
	size_t		 present;	/* files already in dest, verified */
	/* the file being fetched */
	int		 fd;
	struct ca	*ca;
	struct ca_sha256 *hash;
	unsigned long long have;
	int		 ranged;	/* a Range was asked */
	const struct dl_file *cur;
	size_t		 curi;
	int		 progress;	/* stderr is a terminal */
	struct timespec	 shown;
	const char	*step;		/* the step under way */
	int		 status;	/* a refusal's HTTP status */
	char		 why[1024];	/* the failure, for --json */
};

static void
dl_on_sigint(int sig)
{
	(void)sig;
	dl_stop = 1;
}

/* The failure: said, kept for --json; returns rc. */
static int __attribute__((format(printf, 3, 4)))
dl_fail(struct dl *d, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->why, sizeof d->why, fmt, ap);
	va_end(ap);
	if (d->progress)
		fputc('\n', stderr);
	client_say(d->o, "%s", d->why);
	return rc;
}

/* ------------------------------------------------------------ addresses */

/* "https://host[:port]/path": host, port and the path (decoded by the
 * caller's needs: kept as sent). 0, or -1. */
static int
dl_url_split(const char *url, char host[256], int *port, const char **path)
{
	const char *h, *p, *c;
	size_t n;

	if (strncasecmp(url, "https://", 8) != 0)
		return -1;
	h = url + 8;
	p = h + strcspn(h, "/");
	c = memchr(h, ':', (size_t)(p - h));
	n = (size_t)((c != NULL ? c : p) - h);
	if (n == 0 || n >= 256 || *p != '/')
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	*port = 443;
	if (c != NULL) {
		char *end;
		long v = strtol(c + 1, &end, 10);

		if (end != p || v < 1 || v > 65535)
			return -1;
		*port = (int)v;
	}
	*path = p;
	return 0;
}

/* Where host:port is reached: a --resolve entry, the MP's --connect, or
 * the system's resolver (numeric). 0, or -1 (said). */
static int
dl_addr(struct dl *d, const char *host, int port, char addr[64])
{
	const struct client_opts *o = d->o;
	struct addrinfo hints, *res = NULL;
	int e;

	for (size_t i = 0; i < o->nresolve; i++)
		if (strcasecmp(o->resolve[i].host, host) == 0 &&
		    o->resolve[i].port == port) {
			snprintf(addr, 64, "%s", o->resolve[i].addr);
			return 0;
		}
	if (o->mp != NULL && strcasecmp(host, o->mp) == 0 && port == o->port) {
		snprintf(addr, 64, "%s", o->connect);
		return 0;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(host, NULL, &hints, &res)) != 0 ||
	    getnameinfo(res->ai_addr, res->ai_addrlen, addr, 64, NULL, 0,
	    NI_NUMERICHOST) != 0) {
		if (res != NULL)
			freeaddrinfo(res);
		return dl_fail(d, -1, "cannot find the address of %s: %s "
		    "(--resolve %s:%d:ADDR names it)", host, e ? gai_strerror(e)
		    : "no numeric form", host, port);
	}
	freeaddrinfo(res);
	return 0;
}

/* A decoded path as a URL path: unreserved characters, '/' and '$' as
 * they are, every other byte %XX; malloc'ed. */
static char *
dl_encode(const char *s)
{
	char *out = xmalloc(3 * strlen(s) + 1), *o = out;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr("-._~/$", c) != NULL)
			*o++ = (char)c;
		else
			o += sprintf(o, "%%%02X", c);
	}
	*o = '\0';
	return out;
}

/* ------------------------------------------------------------- requests */

/*
 * One request to the DP with the content headers (signed now; a new
 * content access token first when the one held ends within a minute):
 * CLIENT_OK with the response in *r (any status), else an exit code
 * (said). path is decoded; sink as tls_get's (NULL: the body kept).
 */
static int
dl_send(struct dl *d, const char *method, const char *path,
    const char *extra, int (*sink)(void *, int, const void *, size_t),
    struct tls_get_result *r)
{
	struct tls_get g = { 0 };
	char *auth = NULL, *hdrs = NULL, *enc;
	int rc;

	memset(r, 0, sizeof *r);
	if ((rc = client_content_headers(d->c, 1, &auth)) != CLIENT_OK) {
		d->step = "content-token";
		snprintf(d->why, sizeof d->why, "no content access token from "
		    "%s", d->o->mp);
		return rc;
	}
	xasprintf(&hdrs, "%s%s", auth, extra != NULL ? extra : "");
	enc = dl_encode(path);
	g.method = method;
	g.user_agent = DL_UA;
	g.headers = hdrs;
	g.body_max = sink != NULL ? DL_BUF : DL_LIST_MAX;
	g.addr = d->addr;
	g.port = d->port;
	g.host = d->host;
	g.path = enc;
	g.use_tls = 1;
	g.ca_file = d->o->root;
	g.client = d->o->tls;
	g.timeout_ms = d->o->timeout_ms;
	g.sink = sink;
	g.sink_arg = d;
	rc = tls_get(&g, r) == 0 ? CLIENT_OK : CLIENT_NETWORK;
	freezero_str(auth);
	freezero_str(hdrs);
	free(enc);
	return rc;
}

/* ------------------------------------------------------------- location */

/* The reply's records in LocationServices.log, as a client logs them. */
static void
dl_log_locations(struct dl *d, const struct wire_cloc_reply *rp)
{
	for (size_t i = 0; i < rp->nrecs; i++)
		client_log(d->o, "LocationServices.log", CMLOG_TYPE_INFO,
		    "Distribution Point='%s', Locality='LOCAL', "
		    "DPType='SERVER', Capabilities='<Capabilities "
		    "SchemaVersion=\"1.0\"><Property Name=\"SSLState\" "
		    "Value=\"%d\"/>%s</Capabilities>'", rp->recs[i].url,
		    rp->recs[i].ssl_state, rp->recs[i].auth_method ==
		    WIRE_AUTH_TOKEN ? "<Property Name=\"AuthMethod\" "
		    "Value=\"1024\"/>" : "");
}

/* The ContentLocationRequest: d->urls (the token URLs), d->pkg,
 * d->version. */
static int
dl_locate(struct dl *d)
{
	const struct client_opts *o = d->o;
	struct wire_cloc_req q;
	struct wire_cloc_reply rp;
	struct wire_bytes body = { 0 };
	struct tls_get_result r = { 0 };
	char *why = NULL, *proof = NULL, *hdrs = NULL, reply_to[300];
	int rc = CLIENT_LOCAL;

	memset(&q, 0, sizeof q);
	memset(&rp, 0, sizeof rp);
	q.msg.source_id = xstrdup(d->c->smsid);
	q.msg.source_host = xstrdup(d->c->name);
	q.msg.target_host = xstrdup(o->mp);
	snprintf(reply_to, sizeof reply_to, "direct:%s:SccmMessaging",
	    d->c->name);
	q.msg.reply_to = xstrdup(reply_to);
	q.package_id = xstrdup(o->package);
	client_log(o, "ContentTransferManager.log", CMLOG_TYPE_INFO,
	    "Attempting to create Location Request for PackageID='%s' (its "
	    "current version)", o->package);
	if (wire_cloc_req_encode(&q, &body, &why) == -1) {
		rc = dl_fail(d, CLIENT_LOCAL, "cannot make the location "
		    "request: %s", why);
		goto out;
	}
	if ((proof = client_proof_headers(d->c)) == NULL)
		goto out;
	xasprintf(&hdrs, "Content-Type: %s\r\n%s", WIRE_CONTENT_TYPE, proof);
	client_log(o, "LocationServices.log", CMLOG_TYPE_INFO, "Requesting "
	    "locations synchronously for content %s from %s", o->package,
	    o->mp);
	if ((rc = client_request(o, "CCM_POST", "/ccm_system/request", hdrs,
	    body.data, body.len, &r)) != CLIENT_OK) {
		snprintf(d->why, sizeof d->why, "the location request to %s "
		    "failed", o->mp);
		goto out;
	}
	if (r.status != 200) {
		d->status = r.status;
		rc = client_refused(o, "the location request", &r);
		snprintf(d->why, sizeof d->why, "the location request was "
		    "refused: HTTP %d", r.status);
		goto out;
	}
	if (wire_cloc_reply_decode(r.body, r.body_len, &rp, &why) == -1) {
		rc = dl_fail(d, CLIENT_NETWORK, "the location reply: %s", why);
		goto out;
	}
	dl_log_locations(d, &rp);
	rc = CLIENT_REFUSED;
	if (rp.package_id == NULL) {
		client_log(o, "LocationServices.log", CMLOG_TYPE_ERROR,
		    "Received empty location reply for content %s: no such "
		    "package", o->package);
		rc = dl_fail(d, rc, "%s: the management point knows no such "
		    "package", o->package);
		goto out;
	}
	/* The package asked for (the MP writes its ids in upper case), so
	 * that only that id is ever shown or logged, not the server's text. */
	if (strcasecmp(rp.package_id, o->package) != 0) {
		client_log(o, "LocationServices.log", CMLOG_TYPE_ERROR,
		    "Received a location reply for another package than %s",
		    o->package);
		rc = dl_fail(d, CLIENT_NETWORK, "the location reply: it is for "
		    "another package than %s", o->package);
		goto out;
	}
	for (size_t i = 0; i < rp.nrecs; i++)
		if (rp.recs[i].auth_method == WIRE_AUTH_TOKEN) {
			d->urls = xreallocarray(d->urls, d->nurls + 1,
			    sizeof *d->urls);
			d->urls[d->nurls++] = xstrdup(rp.recs[i].url);
		}
	if (d->nurls == 0) {
		client_log(o, "LocationServices.log", CMLOG_TYPE_ERROR,
		    "Received empty location reply for content %s.%ld",
		    rp.package_id, rp.version);
		rc = dl_fail(d, rc, "no distribution point of the client's "
		    "site holds %s version %ld", rp.package_id, rp.version);
		goto out;
	}
	d->pkg = xstrdup(rp.package_id);
	d->version = rp.version;
	for (size_t i = 0; i < d->nurls; i++)
		client_log(o, "ContentTransferManager.log", CMLOG_TYPE_INFO,
		    "Persisted locations for CTM job %s: (LOCAL) %s", d->job,
		    d->urls[i]);
	rc = CLIENT_OK;
out:
	freezero_str(proof);
	freezero_str(hdrs);
	free(why);
	wire_bytes_free(&body);
	tls_get_result_clear(&r);
	wire_cloc_req_clear(&q);
	wire_cloc_reply_clear(&rp);
	return rc;
}

/* ---------------------------------------------------------------- list */

/* A path from the DP is safe to write under --dest: relative, segments
 * neither empty, "." nor "..", no control character or backslash, at
 * most DL_PATH_MAX bytes. */
static int
dl_rel_ok(const char *rel)
{
	const char *s = rel;

	if (*rel == '\0' || strlen(rel) > DL_PATH_MAX)
		return 0;
	for (const char *p = rel; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
			return 0;
	while (*s != '\0') {
		size_t n = strcspn(s, "/");

		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 &&
		    s[0] == '.' && s[1] == '.'))
			return 0;
		s += n;
		if (*s == '/' && *++s == '\0')
			return 0;
	}
	return 1;
}

static int	dl_list(struct dl *, const char *rel, int depth);

/* One entry of a listing of folder rel: a file kept, a sub-folder listed
 * in turn; the folder itself skipped. */
static int
dl_entry(struct dl *d, const char *rel, const struct wire_dav_entry *e,
    int depth)
{
	size_t bl = strlen(d->base), hl;
	char *sub;
	int rc;

	hl = strlen(e->href);
	if (hl < bl || strncasecmp(e->href, d->base, bl) != 0 ||
	    (e->href[bl] != '/' && e->href[bl] != '\0'))
		return dl_fail(d, CLIENT_NETWORK, "the listing of %s names %s,"
		    " outside the package", d->url, e->href);
	sub = xstrndup(e->href + bl + (e->href[bl] == '/'), hl - bl -
	    (e->href[bl] == '/'));
	if (e->collection && *sub != '\0' && sub[strlen(sub) - 1] == '/')
		sub[strlen(sub) - 1] = '\0';
	rc = CLIENT_OK;
	if (strcmp(sub, rel) == 0) {		/* the folder listed */
		if (*rel == '\0' && e->version > 0)
			d->version = (long)e->version;
	} else if (!dl_rel_ok(sub))
		rc = dl_fail(d, CLIENT_NETWORK, "the listing of %s names a "
		    "path that is not safe to write: %s", d->url, sub);
	else if (e->collection)
		rc = dl_list(d, sub, depth + 1);
	else if (e->sha256[0] == '\0')
		rc = dl_fail(d, CLIENT_NETWORK, "the listing of %s gives no "
		    "SHA-256 for %s: it cannot be verified", d->url, sub);
	else {
		d->files = xreallocarray(d->files, d->nfiles + 1,
		    sizeof *d->files);
		d->files[d->nfiles].rel = sub;
		d->files[d->nfiles].size = e->size;
		memcpy(d->files[d->nfiles].sha256, e->sha256, 65);
		d->nfiles++;
		d->total += e->size;
		return CLIENT_OK;
	}
	free(sub);
	return rc;
}

/* PROPFIND Depth 1 of folder rel ("" the package) and what it holds. */
static int
dl_list(struct dl *d, const char *rel, int depth)
{
	struct tls_get_result r = { 0 };
	struct wire_dav dav = { 0 };
	char *path, *why = NULL;
	int rc;

	if (depth > DL_DEPTH_MAX || d->nfiles >= WIRE_DAV_MAX)
		return dl_fail(d, CLIENT_NETWORK, "the package %s has folders "
		    "nested deeper than %d or more than %d files", d->pkg,
		    DL_DEPTH_MAX, WIRE_DAV_MAX);
	xasprintf(&path, "%s%s%s", d->base, *rel ? "/" : "", rel);
	client_log(d->o, "DataTransferService.log", CMLOG_TYPE_INFO, "Sending "
	    "PROPFIND request using URL https://%s:%d%s", d->host, d->port,
	    path);
	if ((rc = dl_send(d, "PROPFIND", path, "Depth: 1\r\n", NULL, &r)) !=
	    CLIENT_OK) {
		if (rc == CLIENT_NETWORK)
			rc = dl_fail(d, rc, "PROPFIND https://%s:%d%s: %s",
			    d->host, d->port, path, r.error);
		goto out;
	}
	if (r.status != 207) {
		d->status = r.status;
		client_log(d->o, "DataTransferService.log", CMLOG_TYPE_ERROR,
		    "GetDirectoryList_HTTP Error sending DAV request. HTTP "
		    "code %d", r.status);
		rc = dl_fail(d, CLIENT_REFUSED, "PROPFIND https://%s:%d%s: HTTP"
		    " %d %s", d->host, d->port, path, r.status, r.reason);
		goto out;
	}
	if (wire_dav_decode(r.body, r.body_len, &dav, &why) == -1) {
		rc = dl_fail(d, CLIENT_NETWORK, "%s", why);
		goto out;
	}
	for (size_t i = 0; i < dav.n && rc == CLIENT_OK; i++)
		rc = dl_entry(d, rel, &dav.v[i], depth);
out:
	free(why);
	free(path);
	wire_dav_clear(&dav);
	tls_get_result_clear(&r);
	return rc;
}

/* ---------------------------------------------------------------- files */

/* Progress on stderr (a terminal only), at most 10 times a second. */
static void
dl_show(struct dl *d, int last)
{
	struct timespec now;
	char *name;
	long ms;

	if (!d->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - d->shown.tv_sec) * 1000 + (now.tv_nsec -
	    d->shown.tv_nsec) / 1000000;
	if (!last && ms < 100)
		return;
	d->shown = now;
	name = safetext_message(d->cur->rel);
	fprintf(stderr, "\r%s: file %zu of %zu, %.40s: %llu of %llu KiB "
	    "(%d%%)\033[K", d->pkg, d->curi + 1, d->nfiles, name, d->have /
	    1024, d->cur->size / 1024, d->cur->size ? (int)(d->have * 100 /
	    d->cur->size) : 100);
	free(name);
	fflush(stderr);
}

/* The body of a GET, written and hashed as it arrives. */
static int
dl_sink(void *arg, int status, const void *p, size_t n)
{
	struct dl *d = arg;

	if (*d->stop || (status != 200 && status != 206))
		return status == 200 || status == 206 ? -1 : 0;
	if (status == 200 && d->ranged) {
		/* The whole file where a range was asked (If-Range named
		 * another version): the partial file starts again. */
		d->ranged = 0;
		ca_sha256_free(d->hash);
		if ((d->hash = ca_sha256_new(d->ca)) == NULL ||
		    ftruncate(d->fd, 0) == -1 || lseek(d->fd, 0, SEEK_SET) ==
		    -1)
			return -1;
		d->have = 0;
	}
	if (d->have + n > d->cur->size)
		return -1;		/* more than the listing said */
	if (ca_sha256_update(d->ca, d->hash, p, n) == -1 || (d->fd != -1 &&
	    write(d->fd, p, n) != (ssize_t)n))
		return -1;
	d->have += n;
	d->fetched += n;
	dl_show(d, 0);
	return 0;
}

/* Folders of rel under dest, made as needed (never through a link). */
static int
dl_mkdirs(struct dl *d, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;
	const char *s;

	for (s = rel; (s = strchr(s, '/')) != NULL; s++) {
		snprintf(path, sizeof path, "%s/%.*s", d->dest,
		    (int)(s - rel), rel);
		if (mkdir(path, 0755) == -1 && errno != EEXIST)
			return dl_fail(d, CLIENT_LOCAL, "cannot create %s: %s",
			    path, strerror(errno));
		if (lstat(path, &st) == -1 || !S_ISDIR(st.st_mode))
			return dl_fail(d, CLIENT_LOCAL, "%s is not a folder",
			    path);
	}
	return CLIENT_OK;
}

/* Hash what the partial file holds (its first have bytes). */
static int
dl_hash_partial(struct dl *d)
{
	unsigned char *buf = xmalloc(DL_BUF);
	unsigned long long left = d->have;
	ssize_t n;
	int rc = 0;

	if (lseek(d->fd, 0, SEEK_SET) == -1)
		rc = -1;
	while (rc == 0 && left > 0) {
		n = read(d->fd, buf, left < DL_BUF ? (size_t)left : DL_BUF);
		if (n <= 0 || ca_sha256_update(d->ca, d->hash, buf,
		    (size_t)n) == -1)
			rc = -1;
		else
			left -= (unsigned long long)n;
	}
	free(buf);
	return rc == 0 && lseek(d->fd, 0, SEEK_END) != -1 ? 0 : -1;
}

/* The partial file of f (its temporary name in tmp): opened, what it
 * holds hashed; a partial longer than f is started again. */
static int
dl_open_partial(struct dl *d, const struct dl_file *f, const char *tmp)
{
	struct stat st;

	if ((d->fd = open(tmp, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0644)) == -1 || fstat(d->fd, &st) == -1)
		return dl_fail(d, CLIENT_LOCAL, "cannot write %s: %s", tmp,
		    strerror(errno));
	d->have = (unsigned long long)st.st_size;
	if (d->have > f->size) {
		if (ftruncate(d->fd, 0) == -1)
			return dl_fail(d, CLIENT_LOCAL, "cannot write %s: %s",
			    tmp, strerror(errno));
		d->have = 0;
	}
	if ((d->hash = ca_sha256_new(d->ca)) == NULL ||
	    dl_hash_partial(d) == -1)
		return dl_fail(d, CLIENT_LOCAL, "cannot read %s back", tmp);
	return CLIENT_OK;
}

/* final already holds f (a regular file of its size and SHA-256; a FIFO
 * there does not block the open): 1, and it is not fetched again; else 0
 * (it is fetched and replaced). */
static int
dl_present(struct dl *d, const struct dl_file *f, const char *final)
{
	struct stat st;
	char got[65];
	int ok = 0;

	if ((d->fd = open(final, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return 0;
	if (fstat(d->fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (unsigned long long)st.st_size == f->size &&
	    (d->hash = ca_sha256_new(d->ca)) != NULL) {
		d->have = f->size;
		ok = dl_hash_partial(d) == 0 &&
		    ca_sha256_final(d->ca, d->hash, got) == 0 &&
		    strcmp(got, f->sha256) == 0;
	}
	ca_sha256_free(d->hash);
	d->hash = NULL;
	close(d->fd);
	d->fd = -1;
	d->have = 0;
	if (ok) {
		d->present++;
		client_log(d->o, "DataTransferService.log", CMLOG_TYPE_INFO,
		    "%s is already in %s with the SHA-256 the distribution "
		    "point lists: not transferred again", f->rel, d->dest);
	}
	return ok;
}

/* The GET of f from byte d->have (Range then, If-Range its ETag); a 200
 * to a Range starts the file again. */
static int
dl_get(struct dl *d, const struct dl_file *f, const char *tmp)
{
	struct tls_get_result r = { 0 };
	char *path, range[200] = "";
	int rc;

	xasprintf(&path, "%s/%s", d->base, f->rel);
	if (d->have > 0) {
		snprintf(range, sizeof range, "Range: bytes=%llu-\r\n"
		    "If-Range: \"%s\"\r\n", d->have, f->sha256);
		client_log(d->o, "DataTransferService.log", CMLOG_TYPE_INFO,
		    "Resuming %s at byte %llu of %llu (Range)", f->rel,
		    d->have, f->size);
		d->resumed++;
	}
	client_log(d->o, "DataTransferService.log", CMLOG_TYPE_INFO,
	    "BITSHelper: Full source path to be transferred = https://%s:%d%s",
	    d->host, d->port, path);
	d->ranged = d->have > 0;
	rc = dl_send(d, "GET", path, range, dl_sink, &r);
	if (*d->stop && d->dest == NULL)
		rc = dl_fail(d, CLIENT_STOPPED, "stopped: %s at %llu of %llu "
		    "bytes", f->rel, d->have, f->size);
	else if (*d->stop)
		rc = dl_fail(d, CLIENT_STOPPED, "stopped: %s is kept (%llu of "
		    "%llu bytes) for the next download to resume", tmp,
		    d->have, f->size);
	else if (rc == CLIENT_NETWORK)
		rc = dl_fail(d, rc, "GET https://%s:%d%s: %s (%llu of %llu "
		    "bytes kept for a resume)", d->host, d->port, path,
		    r.error, d->have, f->size);
	else if (rc == CLIENT_OK && r.status != 200 && r.status != 206) {
		d->status = r.status;
		client_log(d->o, "DataTransferService.log", CMLOG_TYPE_ERROR,
		    "GET https://%s:%d%s: HTTP %d", d->host, d->port, path,
		    r.status);
		rc = dl_fail(d, CLIENT_REFUSED, "GET https://%s:%d%s: HTTP %d "
		    "%s", d->host, d->port, path, r.status, r.reason);
	} else if (rc == CLIENT_OK && d->have != f->size)
		rc = dl_fail(d, CLIENT_NETWORK, "GET https://%s:%d%s: %llu "
		    "bytes of the %llu the listing gives", d->host, d->port,
		    path, d->have, f->size);
	free(path);
	tls_get_result_clear(&r);
	return rc;
}

/* The hash of what was written is the listing's: the file renamed into
 * place; else deleted (CLIENT_HASH). */
static int
dl_verify(struct dl *d, const struct dl_file *f, const char *tmp,
    const char *final)
{
	char got[65];

	if (ca_sha256_final(d->ca, d->hash, got) == -1)
		return dl_fail(d, CLIENT_LOCAL, "cannot hash %s", tmp);
	if (strcmp(got, f->sha256) != 0) {
		d->step = "hash";
		if (d->fd != -1)
			unlink(tmp);
		client_log(d->o, "CAS.log", CMLOG_TYPE_ERROR, "Hash verification "
		    "failed for content %s.%ld: %s has SHA-256 %s, the "
		    "distribution point lists %s; the file was deleted",
		    d->pkg, d->version, f->rel, got, f->sha256);
		return dl_fail(d, CLIENT_HASH, "%s: SHA-256 %s, not the %s the "
		    "distribution point lists: deleted", f->rel, got,
		    f->sha256);
	}
	if (d->fd != -1 && (fsync(d->fd) == -1 || rename(tmp, final) == -1))
		return dl_fail(d, CLIENT_LOCAL, "cannot write %s: %s", final,
		    strerror(errno));
	return CLIENT_OK;
}

/* One file: fetched (or resumed) into its temporary name, verified,
 * renamed. */
static int
dl_file(struct dl *d, size_t i)
{
	const struct dl_file *f = &d->files[i];
	char tmp[PATH_MAX], final[PATH_MAX];
	const char *slash = strrchr(f->rel, '/');
	int rc;

	d->cur = f;
	d->curi = i;
	d->have = 0;
	if (d->dest == NULL) {		/* verified as it streams */
		snprintf(final, sizeof final, "%s", f->rel);
		snprintf(tmp, sizeof tmp, "%s", f->rel);
		if ((d->hash = ca_sha256_new(d->ca)) == NULL) {
			rc = dl_fail(d, CLIENT_LOCAL, "cannot hash %s",
			    f->rel);
			goto out;
		}
	} else if ((rc = dl_mkdirs(d, f->rel)) != CLIENT_OK)
		return rc;
	else {
		snprintf(final, sizeof final, "%s/%s", d->dest, f->rel);
		if (dl_present(d, f, final))
			return CLIENT_OK;
		snprintf(tmp, sizeof tmp, "%s/%.*s%s.ehttp-%s.part", d->dest,
		    slash != NULL ? (int)(slash - f->rel) : 0, f->rel, slash !=
		    NULL ? "/" : "", f->sha256);
		if ((rc = dl_open_partial(d, f, tmp)) != CLIENT_OK)
			goto out;
	}
	if (d->have < f->size && (rc = dl_get(d, f, tmp)) != CLIENT_OK)
		goto out;
	dl_show(d, 1);
	rc = dl_verify(d, f, tmp, final);
	if (rc == CLIENT_OK)
		client_log(d->o, "DataTransferService.log", CMLOG_TYPE_INFO,
		    "Job: %s, Total Files: %zu, Transferred Files: %zu, Total "
		    "Bytes: %llu, Transferred Bytes: %llu", d->job, d->nfiles,
		    i + 1, d->total, d->fetched);
out:
	if (rc != CLIENT_OK && rc != CLIENT_HASH && d->fd != -1 &&
	    d->have == 0)
		unlink(tmp);		/* nothing arrived: nothing to resume */
	if (d->fd != -1)
		close(d->fd);
	d->fd = -1;
	ca_sha256_free(d->hash);
	d->hash = NULL;
	return rc;
}

/* ------------------------------------------------------------- the job */

/* " (N of them already there)" when files were not fetched again. */
static const char *
dl_present_note(const struct dl *d, char *s, size_t len)
{
	if (d->present == 0)
		return "";
	snprintf(s, len, " (%zu of them already there)", d->present);
	return s;
}

static void
dl_json(struct dl *d, int rc)
{
	json_t *j;
	char *s;

	j = json_pack("{s:s, s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, "
	    "s:i}",
	    "package", d->pkg != NULL ? d->pkg : d->o->package,
	    "version", (json_int_t)d->version, "url", d->url ? d->url : "",
	    "dest", d->dest, "files", (json_int_t)d->nfiles,
	    "bytes", (json_int_t)d->total, "transferred",
	    (json_int_t)d->fetched, "resumed", (json_int_t)d->resumed,
	    "present", (json_int_t)d->present, "result", rc == CLIENT_OK ? "ok" : rc == CLIENT_HASH ?
	    "hash-mismatch" : rc == CLIENT_STOPPED ? "stopped" : "failed",
	    "exit", rc);
	if (j != NULL && rc != CLIENT_OK)
		json_object_set_new(j, "error", json_string(d->why));
	if (j != NULL && (s = json_dumps(j, JSON_COMPACT)) != NULL) {
		fprintf(d->o->out, "%s\n", s);
		free(s);
	}
	json_decref(j);
}

/* Where the DP is: d->host, d->port, d->addr, d->base (decoded). */
static int
dl_target(struct dl *d)
{
	const char *path;
	char *dec;
	int rc;

	if (dl_url_split(d->url, d->host, &d->port, &path) == -1)
		return dl_fail(d, CLIENT_NETWORK, "the location %s is not an "
		    "https:// URL", d->url);
	if (dl_addr(d, d->host, d->port, d->addr) == -1)
		return CLIENT_NETWORK;
	/* The path as sent is a URL path: decoded as a listing's hrefs (a
	 * bad escape or a %00 is not a location). */
	dec = xstrdup(path);
	for (char *p = dec, *o = dec; ; p++) {
		int hi, lo;

		if (p[0] != '%') {
			if ((*o++ = *p) == '\0')
				break;
			continue;
		}
		if ((hi = hex_value(p[1])) == -1 || (lo = hex_value(p[2])) ==
		    -1 || hi * 16 + lo == 0) {
			free(dec);
			return dl_fail(d, CLIENT_NETWORK, "the location %s has "
			    "a bad %%-escape", d->url);
		}
		*o++ = (char)(hi * 16 + lo);
		p += 2;
	}
	rc = strncasecmp(dec, "/" DL_TOKEN_VDIR "/", strlen(DL_TOKEN_VDIR) +
	    2) == 0 ? CLIENT_OK : dl_fail(d, CLIENT_NETWORK, "the location "
	    "%s is not a token folder (" DL_TOKEN_VDIR ")", d->url);
	d->base = dec;
	return rc;
}

/* The distribution point at url as the source: where it is and its
 * listing (what an earlier one left is dropped first). */
static int
dl_source(struct dl *d, const char *url)
{
	int rc;

	for (size_t i = 0; i < d->nfiles; i++)
		free(d->files[i].rel);
	free(d->files);
	d->files = NULL;
	d->nfiles = 0;
	d->total = 0;
	free(d->base);
	d->base = NULL;
	d->status = 0;
	d->url = url;
	d->step = "location";
	if ((rc = dl_target(d)) != CLIENT_OK)
		return rc;
	client_log(d->o, "ContentTransferManager.log", CMLOG_TYPE_INFO, "CTM "
	    "job %s started download from '%s' for full content download.",
	    d->job, d->url);
	d->step = "propfind";
	return dl_list(d, "", 0);
}

/* The steps of one download (d set up by dl_init): CLIENT_OK, or an exit
 * code with d->step and d->why saying where and why. The locations are
 * tried in the MP's order until one lists the package; its files then
 * come from it. */
static int
dl_run(struct dl *d)
{
	const struct client_opts *o = d->o;
	int rc;

	d->step = "location";
	if (d->c->smsid[0] == '\0')
		return dl_fail(d, CLIENT_REFUSED, "not registered yet "
		    "(ehttp-client register)");
	if ((rc = dl_locate(d)) != CLIENT_OK)
		return rc;
	for (size_t i = 0; i < d->nurls; i++) {
		if ((rc = dl_source(d, d->urls[i])) == CLIENT_OK ||
		    rc == CLIENT_LOCAL || *d->stop)
			break;
		if (i + 1 < d->nurls)
			client_log(o, "ContentTransferManager.log",
			    CMLOG_TYPE_WARNING, "CTM job %s cannot use '%s' (%s):"
			    " trying the next location", d->job, d->url, d->why);
	}
	if (rc != CLIENT_OK)
		return rc;
	d->step = "local";
	if (d->dest != NULL && mkdir(d->dest, 0755) == -1 && errno != EEXIST)
		return dl_fail(d, CLIENT_LOCAL, "cannot create %s: %s", d->dest,
		    strerror(errno));
	for (size_t i = 0; i < d->nfiles; i++) {
		d->step = "get";
		if ((rc = dl_file(d, i)) != CLIENT_OK) {
			if (rc != CLIENT_HASH)
				client_log(o, "ContentTransferManager.log",
				    CMLOG_TYPE_ERROR, "CTM job %s failed: %s",
				    d->job, d->why);
			return rc;
		}
	}
	client_log(o, "CAS.log", CMLOG_TYPE_INFO, "Hash verification succeeded"
	    " for content %s.%ld", d->pkg, d->version);
	client_log(o, "ContentTransferManager.log", CMLOG_TYPE_INFO, "CTM job "
	    "%s completed: %zu files, %llu bytes in %s", d->job, d->nfiles,
	    d->total, d->dest != NULL ? d->dest : "(verified, not kept)");
	d->step = NULL;
	return CLIENT_OK;
}

static void
dl_init(struct dl *d, struct client *c, const char *dest, atomic_int *stop)
{
	char u[UUID_LEN + 1];

	memset(d, 0, sizeof *d);
	d->o = c->o;
	d->c = c;
	d->dest = dest;
	d->stop = stop;
	d->fd = -1;
	d->ca = ca_new();
	uuid_v4(u);
	snprintf(d->job, sizeof d->job, "{%s}", u);
}

static void
dl_clear(struct dl *d)
{
	for (size_t i = 0; i < d->nfiles; i++)
		free(d->files[i].rel);
	free(d->files);
	for (size_t i = 0; i < d->nurls; i++)
		free(d->urls[i]);
	free(d->urls);
	free(d->base);
	free(d->pkg);
	ca_free(d->ca);
}

int
client_download_one(struct client *c, const char *dest, atomic_int *stop,
    struct client_dl_res *res)
{
	struct dl d;
	int rc;

	dl_init(&d, c, dest, stop);
	rc = dl_run(&d);
	if (*stop && rc != CLIENT_OK)
		rc = CLIENT_STOPPED;
	memset(res, 0, sizeof *res);
	res->step = rc == CLIENT_OK ? NULL : rc == CLIENT_STOPPED ? "stopped"
	    : d.step;
	res->status = d.status;
	res->files = d.nfiles;
	res->bytes = d.total;
	res->fetched = d.fetched;
	memcpy(res->why, d.why, sizeof res->why);
	dl_clear(&d);
	return rc;
}

int
client_download(const struct client_opts *o)
{
	struct sigaction sa, old;
	struct client c;
	struct dl d;
	char note[64];
	int rc;

	memset(&c, 0, sizeof c);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = dl_on_sigint;	/* no SA_RESTART: reads stop */
	sigemptyset(&sa.sa_mask);
	dl_stop = 0;
	sigaction(SIGINT, &sa, &old);
	rc = client_load(&c, o, 0);
	dl_init(&d, &c, o->dest, &dl_stop);
	d.progress = !o->json && isatty(STDERR_FILENO);
	if (rc == CLIENT_OK)
		rc = dl_run(&d);
	else
		snprintf(d.why, sizeof d.why, "the state directory %s",
		    o->state);
	if (dl_stop && rc != CLIENT_OK)
		rc = CLIENT_STOPPED;
	sigaction(SIGINT, &old, NULL);
	if (o->json)
		dl_json(&d, rc);
	else if (rc == CLIENT_OK)
		fprintf(o->out, "Downloaded %s version %ld: %zu file%s, %llu "
		    "bytes, SHA-256 verified, in %s%s\n", d.pkg, d.version,
		    d.nfiles, d.nfiles == 1 ? "" : "s", d.total, o->dest,
		    dl_present_note(&d, note, sizeof note));
	dl_clear(&d);
	client_free(&c);
	return rc;
}
