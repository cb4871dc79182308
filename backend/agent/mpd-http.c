/*
 * mpd-http: the agent's HTTP and HTTPS servers: a small HTTP/1.1 server on
 * libevent bufferevents. What it serves is one table (mpd_routes): the
 * location requests (GET /SMS_MP/.sms_aut?...) and the management point's
 * client endpoints, whose decisions are backend/mp/'s (mp.h): registration
 * (CCM_POST /ccm_system/request), tokens (GET /CCM_STS) and the
 * token-authenticated endpoints; those that hand out or take a token are
 * served over TLS only. Each endpoint's line goes to its log
 * (MP_RegistrationManager.log, CCM_STS.log, MP_Location.log).
 *
 * The main loop accepts connections itself and hands each to a worker
 * thread (mpd-workers.c), which serves it to its close: the handshakes and
 * requests of different connections run on every core. Every connection
 * is accounted for from accept to close:
 * - at most cfg.max_conns connections are open (both ports together);
 *   beyond that a new connection is accepted and closed at once, and the
 *   burst is logged once;
 * - a TLS handshake must complete within cfg.handshake_s seconds, then
 *   each request's headers (the first, and the next one on a kept-alive
 *   connection) within cfg.header_s seconds, else the connection is
 *   closed: a client that trickles bytes gains nothing;
 * - request headers larger than MPD_HTTP_MAX_HEADERS get 431 and a close,
 *   a target longer than MPD_HTTP_MAX_TARGET - 1 bytes 414; a request line
 *   or field line not strictly as RFC 9112 writes them is 400
 *   (mpd_head_parse);
 * - replies queued beyond MPD_HTTP_MAX_OUTPUT stop reading the connection
 *   until they have gone (mpd_conn_flow): a client that pipelines and
 *   does not read is held up by TCP, not buffered;
 * - a request body (POST, CCM_POST, PATCH; any other request's is read
 *   and not used) must say its Content-Length (411 otherwise; chunked is
 *   501), of at most MPD_HTTP_MAX_BODY (413), and arrive within
 *   cfg.header_s seconds (408); nothing else is buffered;
 * - a method that is not served is 405 with Allow on a path that is (the
 *   administration service answers and logs it itself), else 501;
 * - a reply to HEAD has the headers of the GET reply (its Content-Length
 *   included) and no body, so keep-alive goes on after it;
 * - a file (the distribution point's content, mpd-dp.c) is streamed, never
 *   read whole: over HTTP the kernel sends it from the page cache
 *   (sendfile(2), libevent's file segments); over TLS it is read
 *   MPD_STREAM_CHUNK bytes at a time as the connection drains (a write
 *   watermark), so a connection holds at most about three chunks of it.
 *   Nothing else is read from that connection until the file is sent.
 * A listener that stops serving keeps its port bound (shutdown() of the
 * listening socket): an agent that dropped root can listen on it again.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <fcntl.h>

#include "mp.h"
#include "mpd-int.h"
#include "timefmt.h"
#include "xmalloc.h"

#define MPD_HTTP_WRITE_S	30	/* a reply must drain within */
#define MPD_HTTP_MAX_OUTPUT	65536	/* pipelined replies queued at most */
#define MPD_LISTEN_BACKLOG	511
#define MPD_ACCEPT_BATCH	64
#define MPD_HTTP_MAX_BODY	(1024 * 1024)	/* a registration, at most */
#define MPD_HTTP_MAX_TARGET	8192	/* a request target, with its NUL */
/* Input looked at for a request's headers: one byte more than they may
 * be, so that too many is seen. */
#define MPD_HTTP_READ_MAX	(MPD_HTTP_MAX_HEADERS + 1)
#define MPD_AUT_PATH		"/SMS_MP/.sms_aut"
#define MPD_SERVER		"ehttp-mpd/" EHTTP_VERSION
#define MPD_STREAM_CHUNK	(64 * 1024)	/* a file read over TLS */
#define MPD_STREAM_WRITE	(1024 * 1024)	/* a socket write at most */

enum mpd_conn_phase {
	MPD_CONN_HANDSHAKE,	/* TLS handshake */
	MPD_CONN_HEADERS,	/* waiting for a request's headers */
	MPD_CONN_BODY,		/* waiting for a request's body */
	MPD_CONN_WAIT,		/* its registration is being committed */
	MPD_CONN_SENDING,	/* a file is being sent */
	MPD_CONN_CLOSING,	/* the last reply drains, then close */
};

struct mpd_conn {
	struct mpd		*m;
	struct mpd_worker	*w;		/* serving it */
	struct mpd_listener	*l;
	struct bufferevent	*bev;
	struct event		*deadline;
	enum mpd_conn_phase	 phase;
	size_t			 scanned;	/* input searched, no end */
	int			 eol;		/* and how it ended: 1 LF, 2 LF CR */
	char			*block;		/* MPD_CONN_BODY: the headers */
	size_t			 body_len;	/* and the body's length */
	struct mpd_pending	*pend;		/* MPD_CONN_WAIT: the request */
	int			 wait_head;	/* and how to answer it */
	int			 wait_keep;
	int			 wait_http10;
	int			 file_fd;	/* MPD_CONN_SENDING over TLS */
	uint64_t		 file_off;	/* read next from */
	uint64_t		 file_left;	/* to read */
	int			 send_keep;	/* keep the connection after */
	char			 peer[64];	/* "ADDR:PORT" */
	struct mpd_conn		*prev, *next;
};

const char *const mpd_mplog_names[MPD_MPLOG_MAX] = {
	[MPD_LOG_REG] = "MP_RegistrationManager.log",
	[MPD_LOG_STS] = "CCM_STS.log",
	[MPD_LOG_LOC] = "MP_Location.log",
	[MPD_LOG_DP] = "smsdpcontent.log",
	[MPD_LOG_ADMIN] = "adminservice.log",
};

static void	mpd_conn_read(struct bufferevent *, void *);

/* ------------------------------------------------------------ connections */

static void
mpd_conn_free(struct mpd_conn *c)
{
	struct mpd *m = c->m;
	size_t refused;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->w->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->pend != NULL)		/* the committer has it: orphaned */
		c->pend->conn = NULL;
	if (c->deadline != NULL)
		event_free(c->deadline);
	if (c->bev != NULL)
		bufferevent_free(c->bev);	/* closes the socket */
	if (c->file_fd != -1)
		close(c->file_fd);
	free(c->block);
	free(c);
	/* Below the limit again after a burst: said once, by one worker. */
	if (atomic_fetch_sub(&m->nconns, 1) <= (size_t)m->cfg.max_conns &&
	    atomic_load(&m->conn_refused) > 0 &&
	    (refused = atomic_exchange(&m->conn_refused, 0)) > 0)
		MPD_INFO(m, "Accepting connections again: %zu connection(s)"
		    " were closed at once while %d were open", refused,
		    m->cfg.max_conns);
}

void
mpd_conns_free(struct mpd_worker *w)
{
	while (w->conns != NULL)
		mpd_conn_free(w->conns);
}

static void
mpd_conn_arm(struct mpd_conn *c, enum mpd_conn_phase phase, int seconds)
{
	struct timeval tv = { seconds, 0 };

	c->phase = phase;
	event_add(c->deadline, &tv);
}

static void	mpd_reply_send(struct mpd_conn *, const struct mpd_reply *,
		    int, int, int);
static void	mpd_conn_close_after_reply(struct mpd_conn *);

static void
mpd_conn_deadline(evutil_socket_t fd, short what, void *arg)
{
	static const struct mpd_reply timeout = MPD_TEXT(408,
	    "Request Timeout", "The request body did not arrive in time.\n");
	struct mpd_conn *c = arg;
	struct timeval tv = { c->m->cfg.header_s, 0 };

	/* The client is given its time to send once what it is sent has
	 * gone (the write callback arms it afresh then): while replies drain
	 * (a large one, or pipelined ones), only the write timeout holds it
	 * to reading them. */
	if ((c->phase == MPD_CONN_HEADERS || c->phase == MPD_CONN_BODY) &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) > 0) {
		event_add(c->deadline, &tv);
		return;
	}
	if (c->phase == MPD_CONN_BODY) {	/* the headers came: say so */
		mpd_reply_send(c, &timeout, 0, 0, 0);
		mpd_conn_close_after_reply(c);
		return;
	}
	/* Too slow: a handshake or headers not done in time, or a reply
	 * that does not drain. Closed without a word (no log per client). */
	mpd_conn_free(c);
}

static void	mpd_conn_stream(struct mpd_conn *);

static void
mpd_conn_write(struct bufferevent *bev, void *arg)
{
	struct mpd_conn *c = arg;

	if (c->phase == MPD_CONN_SENDING) {
		mpd_conn_stream(c);
		return;
	}
	if (c->phase == MPD_CONN_CLOSING) {
		mpd_conn_free(c);
		return;
	}
	/* Room again: the pipelined requests read meanwhile, and reading
	 * on (mpd_conn_flow). The replies have all gone: the client's time
	 * to send starts now (mpd_conn_deadline). */
	if (c->phase == MPD_CONN_HEADERS || c->phase == MPD_CONN_BODY) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			mpd_conn_arm(c, c->phase, c->m->cfg.header_s);
		mpd_conn_read(bev, arg);
	}
}

static void
mpd_conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct mpd_conn *c = arg;

	if (what & BEV_EVENT_CONNECTED) {	/* the TLS handshake is done */
		mpd_conn_arm(c, MPD_CONN_HEADERS, c->m->cfg.header_s);
		return;
	}
	/* EOF, an error (a failed handshake included) or the write timeout. */
	mpd_conn_free(c);
}

/* ---------------------------------------------------------------- replies */

static void
mpd_reply_send(struct mpd_conn *c, const struct mpd_reply *r, int head,
    int keep_alive, int http10)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	uint64_t len = r->file.set ? r->file.len : r->len > 0 ? r->len :
	    strlen(r->body);
	char date[TIMEFMT_LEN];

	timefmt(date, sizeof date, time(NULL), TIMEFMT_HTTP);
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nServer: %s\r\nDate: %s\r\n",
	    r->code, r->reason, MPD_SERVER, date);
	if (!r->no_body)
		evbuffer_add_printf(out, "Content-Type: %s\r\nContent-Length:"
		    " %llu\r\n", r->type, (unsigned long long)len);
	evbuffer_add_printf(out, "Cache-Control: no-cache\r\n");
	if (r->headers != NULL)
		evbuffer_add(out, r->headers, strlen(r->headers));
	if (r->allow != NULL)
		evbuffer_add_printf(out, "Allow: %s\r\n", r->allow);
	if (r->www_auth != NULL)
		evbuffer_add_printf(out, "WWW-Authenticate: %s\r\n",
		    r->www_auth);
	if (!keep_alive)
		evbuffer_add_printf(out, "Connection: close\r\n");
	else if (http10)
		evbuffer_add_printf(out, "Connection: keep-alive\r\n");
	evbuffer_add(out, "\r\n", 2);
	if (!head && !r->no_body && !r->file.set)
		evbuffer_add(out, r->body, (size_t)len);
}

void
mpd_reply_set(struct mpd_reply *r, int code, const char *reason,
    const char *type, const char *body)
{
	r->code = code;
	r->reason = reason;
	r->type = type;
	r->body = body;
	r->len = 0;
}

/* Free what the reply owns (headers, owned, the file's descriptor). */
static void
mpd_reply_release(struct mpd_reply *r)
{
	free(r->headers);
	free(r->owned);
	if (r->file.set && r->file.fd != -1)
		close(r->file.fd);
	r->headers = r->owned = NULL;
	r->file.set = 0;
}

/* ------------------------------------------------------------- streaming */

/* A kept-alive connection whose reply went out: reading again, the next
 * request's headers due within the header timeout (what arrived
 * meanwhile, pipelined, read at once). */
static void
mpd_conn_next(struct mpd_conn *c)
{
	mpd_conn_arm(c, MPD_CONN_HEADERS, c->m->cfg.header_s);
	bufferevent_enable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		mpd_conn_read(c->bev, c);
}

/* The file is sent: the next request, or the close. */
static void
mpd_conn_stream_done(struct mpd_conn *c)
{
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	if (!c->send_keep) {
		mpd_conn_free(c);	/* the output has drained */
		return;
	}
	mpd_conn_next(c);
}

/* More of the file (over TLS), or the end of it: the write callback of a
 * connection sending a file. */
static void
mpd_conn_stream(struct mpd_conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct evbuffer_iovec v;
	ssize_t n = -1;

	while (c->file_left > 0 && evbuffer_get_length(out) <
	    2 * MPD_STREAM_CHUNK) {
		size_t want = c->file_left < MPD_STREAM_CHUNK ?
		    (size_t)c->file_left : MPD_STREAM_CHUNK;

		if (evbuffer_reserve_space(out, want, &v, 1) < 1) {
			errno = ENOMEM;
			goto fail;
		}
		do
			n = pread(c->file_fd, v.iov_base, want,
			    (off_t)c->file_off);
		while (n == -1 && errno == EINTR);
		if (n <= 0)
			goto fail;
		v.iov_len = (size_t)n;
		if (evbuffer_commit_space(out, &v, 1) == -1)
			goto fail;
		c->file_off += (uint64_t)n;
		c->file_left -= (uint64_t)n;
	}
	if (c->file_left > 0)
		return;		/* called again at the watermark */
	if (c->file_fd != -1) {
		close(c->file_fd);
		c->file_fd = -1;
	}
	if (evbuffer_get_length(out) > 0) {
		/* Called again once all of it is written. */
		bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
		return;
	}
	mpd_conn_stream_done(c);
	return;
fail:
	/* The headers promised a length it cannot keep: cut it off. */
	cmlog_write(c->m->mplog[MPD_LOG_DP], CMLOG_TYPE_ERROR,
	    mpd_mplog_comps[MPD_LOG_DP], NULL, "Sending a file to %s stopped"
	    " with %llu bytes left: %s", c->peer, (unsigned long long)
	    c->file_left, n == 0 ? "the file is shorter than it was" :
	    strerror(errno));
	mpd_conn_free(c);
}

/* Send f's bytes after the headers just queued: the connection reads
 * nothing more until they are out, and the write callback carries on
 * (mpd_conn_stream) once the headers are written. 0, or -1 (nothing
 * started: c is to be closed after what is queued). */
static int
mpd_conn_stream_start(struct mpd_conn *c, const struct mpd_file *f, int keep)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct evbuffer_file_segment *seg;
	int fd;

	if ((fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	if (!c->l->tls) {
		/* sendfile(2) from the descriptor the segment owns. */
		seg = evbuffer_file_segment_new(fd, (ev_off_t)f->off,
		    (ev_off_t)f->len, EVBUF_FS_CLOSE_ON_FREE);
		if (seg == NULL) {
			close(fd);
			return -1;
		}
		if (evbuffer_add_file_segment(out, seg, 0,
		    (ev_off_t)f->len) == -1) {
			evbuffer_file_segment_free(seg);
			return -1;
		}
		evbuffer_file_segment_free(seg);	/* the buffer holds it */
		bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	} else {
		c->file_fd = fd;
		c->file_off = f->off;
		c->file_left = f->len;
		bufferevent_setwatermark(c->bev, EV_WRITE, MPD_STREAM_CHUNK, 0);
	}
	c->phase = MPD_CONN_SENDING;
	c->send_keep = keep;
	event_del(c->deadline);		/* the write timeout guards it */
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_set_max_single_write(c->bev, MPD_STREAM_WRITE);
	return 0;
}

/* GET /SMS_MP/.sms_aut?MPLIST, ?MPLIST1, ?MPKEYINFORMATIONEX,
 * ?SITESIGNCERT and ?MPCERT, on both ports. */
static int
mpd_location(struct mpd_conn *c, const struct mpd_req *q, struct mpd_reply *r,
    struct mp_answer *a)
{
	struct mpd *m = c->m;
	const char *what = strchr(q->target, '?'), *body = NULL;
	const char *type = "text/xml";

	(void)a;
	what = what != NULL ? what + 1 : "";
	if (strcasecmp(what, "MPLIST") == 0)
		body = m->mplist;
	else if (strcasecmp(what, "MPLIST1") == 0)
		body = m->mplist1;
	else if (strcasecmp(what, "MPKEYINFORMATIONEX") == 0)
		body = m->mpkeyinfo;
	else if (strcasecmp(what, "SITESIGNCERT") == 0)
		body = m->sitesigncert;
	else if (strcasecmp(what, "MPCERT") == 0) {
		body = m->root_pem;
		type = "application/x-pem-file";
	} else {
		mpd_reply_set(r, 404, "Not Found", "text/plain", "Not Found\n");
		cmlog_write(m->mplog[MPD_LOG_LOC], CMLOG_TYPE_WARNING,
		    "MP_Location", NULL, "MP LP: unknown location request "
		    "'%.200s'", what);
		return 0;
	}
	if (body == NULL) {
		mpd_reply_set(r, 503, "Service Unavailable", "text/plain",
		    m->system_id == 0 ? "The site database has not been read"
		    " yet.\n" : "This site has no SMS Issuing root"
		    " certificate.\n");
		return 0;
	}
	mpd_reply_set(r, 200, "OK", type, body);
	cmlog_write(m->mplog[MPD_LOG_LOC], CMLOG_TYPE_INFO, "MP_Location",
	    NULL, "MP LP: %s request answered", what);
	return 0;
}

const char *const mpd_mplog_comps[MPD_MPLOG_MAX] = {
	[MPD_LOG_REG] = "MP_RegistrationManager",
	[MPD_LOG_STS] = "CCM_STS",
	[MPD_LOG_LOC] = "MP_Location",
	[MPD_LOG_DP] = "SMS_DP_CONTENT",
	[MPD_LOG_ADMIN] = "SMS_AdminService",
};

/* The reason phrase of the statuses backend/mp/ and backend/admin/
 * answer with. */
const char *
mpd_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* The header a struct mp_request takes, copied (NULL if absent). */
static char *
mpd_header_dup(const char *block, const char *name)
{
	char buf[MPD_HTTP_MAX_HEADERS + 1];

	return mpd_header(block, name, buf, sizeof buf) != NULL ?
	    xstrdup(buf) : NULL;
}

/* What backend/mp/ reads of a request; the headers copied (free with
 * mpd_mp_request_clear). */
void
mpd_mp_request(struct mpd_conn *c, const struct mpd_req *q,
    struct mp_request *mq)
{
	memset(mq, 0, sizeof *mq);
	mq->mp_fqdn = c->m->fqdn;
	mq->method = q->method;
	mq->target = q->target;
	mq->content_type = mpd_header_dup(q->block, "Content-Type");
	mq->authorization = mpd_header_dup(q->block, "Authorization");
	mq->client_token = mpd_header_dup(q->block, "ClientToken");
	mq->client_token_sig = mpd_header_dup(q->block,
	    "ClientTokenSignature");
	mq->client_cert = mpd_header_dup(q->block, "ClientTokenCertificate");
	mq->body = q->body;
	mq->len = q->len;
	mq->peer = c->peer;
}

void
mpd_mp_request_clear(struct mp_request *mq)
{
	free((char *)mq->content_type);
	free((char *)mq->authorization);
	free((char *)mq->client_token);
	free((char *)mq->client_token_sig);
	free((char *)mq->client_cert);
}

/* The reply of a's answer, and its line in the endpoint's log. */
static void
mpd_mp_reply(struct mpd_conn *c, struct mpd_reply *r, struct mp_answer *a,
    enum mpd_mplog log)
{
	struct mpd *m = c->m;

	mpd_reply_set(r, a->status, mpd_reason(a->status), a->content_type,
	    (const char *)a->body);
	r->len = a->len;
	r->www_auth = a->www_authenticate;
	if (a->log != NULL)
		cmlog_write(m->mplog[log], a->log_type, mpd_mplog_comps[log],
		    NULL, "%s", a->log);
}

/* The library failed (the database): a 500 and a line in mpcontrol.log. */
static void
mpd_mp_failed(struct mpd_conn *c, const struct mpd_req *q,
    struct mpd_reply *r, const char *why)
{
	MPD_ERROR(c->m, "%s %s: %s", q->method, q->target, why);
	mpd_reply_set(r, 500, "Internal Server Error", "text/plain",
	    "The management point could not answer (see mpcontrol.log).\n");
}

static int
mpd_mp_ready(struct mpd_conn *c, struct mpd_reply *r)
{
	if (c->m->verifier != NULL)
		return 1;
	mpd_reply_set(r, 503, "Service Unavailable", "text/plain",
	    "The management point cannot check clients yet (see "
	    "mpcontrol.log).\n");
	return 0;
}

/*
 * A client endpoint: the request handed to backend/mp/ (fn), its answer
 * sent, its line in the endpoint's log. A failure of the library (the
 * database) is a 500 and a line in mpcontrol.log.
 */
static void
mpd_mp_call(struct mpd_conn *c, const struct mpd_req *q, struct mpd_reply *r,
    struct mp_answer *a, int (*fn)(struct ehttp *, struct mp_verifier *,
    const struct mp_request *, struct mp_answer *), enum mpd_mplog log)
{
	struct mpd *m = c->m;
	struct mp_request mq;

	if (!mpd_mp_ready(c, r))
		return;
	mpd_mp_request(c, q, &mq);
	if (fn(m->e, m->verifier, &mq, a) == -1)
		mpd_mp_failed(c, q, r, ehttp_error(m->e));
	else
		mpd_mp_reply(c, r, a, log);
	mpd_mp_request_clear(&mq);
}

/*
 * A message to /ccm_system/request: a content location request is
 * answered at once (mp_location). A registration: checked here (a
 * refusal is answered at once), then
 * queued for the committer, which stores it with the others that arrived
 * meanwhile; the connection waits for it without holding up the worker
 * (mpd_conn_registered answers). 1 when it waits.
 */
static int
mpd_register(struct mpd_conn *c, const struct mpd_req *q, struct mpd_reply *r,
    struct mp_answer *a)
{
	struct mpd *m = c->m;
	struct mp_request mq;
	struct mp_reg *reg = NULL;
	struct mpd_pending *p;
	int rc;

	if (!mpd_mp_ready(c, r))
		return 0;
	mpd_mp_request(c, q, &mq);
	if (mp_message_endpoint(&mq) == MP_ENDPOINT_LOCATION) {
		/* A content location request: answered at once. */
		mpd_mp_request_clear(&mq);
		mpd_mp_call(c, q, r, a, mp_location, MPD_LOG_LOC);
		return 0;
	}
	rc = mp_register_check(m->e, m->verifier, &mq, a, &reg);
	mpd_mp_request_clear(&mq);
	if (rc == -1) {
		mpd_mp_failed(c, q, r, ehttp_error(m->e));
		return 0;
	}
	if (reg == NULL) {		/* refused */
		mpd_mp_reply(c, r, a, MPD_LOG_REG);
		return 0;
	}
	p = xcalloc(1, sizeof *p);
	p->reg = reg;
	p->w = c->w;
	p->conn = c;
	if (mpd_commit_queue(m, p) == -1) {	/* the agent is stopping */
		mpd_pending_free(p);
		mpd_reply_set(r, 503, "Service Unavailable", "text/plain",
		    "The management point is stopping.\n");
		return 0;
	}
	c->pend = p;
	return 1;
}

static int
mpd_sts(struct mpd_conn *c, const struct mpd_req *q, struct mpd_reply *r,
    struct mp_answer *a)
{
	mpd_mp_call(c, q, r, a, mp_sts, MPD_LOG_STS);
	return 0;
}

static int
mpd_tokenauth(struct mpd_conn *c, const struct mpd_req *q, struct mpd_reply *r,
    struct mp_answer *a)
{
	mpd_mp_call(c, q, r, a, mp_tokenauth, MPD_LOG_STS);
	return 0;
}

/* What the agent serves: path (exact, or a prefix ending in '/'), the
 * methods it takes (CCM_POST is Configuration Manager's POST), over TLS
 * only or both ports. */
#define M_GET		0x1
#define M_HEAD		0x2
#define M_POST		0x4
#define M_PROPFIND	0x8	/* WebDAV (the DP's folders) */
#define M_PATCH		0x10	/* the administration service */
#define M_OTHER		0x20	/* any other method: 405 on a path served
				 * (the administration service answers it
				 * itself, and logs it), else 501 */
#define DP_METHODS	(M_GET | M_HEAD | M_PROPFIND)
#define DP_ALLOW	"GET, HEAD, PROPFIND"
static const struct mpd_route {
	const char	*path;
	int		 methods;
	int		 tls_only;
	const char	*allow;
	/* 0 answered (r), 1 the answer comes later (a registration) */
	int		(*serve)(struct mpd_conn *, const struct mpd_req *,
			    struct mpd_reply *, struct mp_answer *);
	int		 unlocked;	/* serve takes mpd.lock itself */
} mpd_routes[] = {
	{ MPD_AUT_PATH, M_GET | M_HEAD, 0, "GET, HEAD", mpd_location, 0 },
	{ "/ccm_system/request", M_POST, 0, "CCM_POST, POST", mpd_register,
	  0 },
	{ "/CCM_STS", M_GET, 1, "GET", mpd_sts, 0 },
	{ "/ccm_system_tokenauth/request", M_GET | M_POST, 1,
	  "GET, CCM_POST, POST", mpd_tokenauth, 0 },
	{ "/SMS_MP_TokenAuth/", M_GET | M_HEAD, 1, "GET, HEAD",
	  mpd_tokenauth, 0 },
	/* The distribution point's content (mpd-dp.c, dp.h). */
	{ "/SMS_DP_SMSPKG$/", DP_METHODS, 0, DP_ALLOW, mpd_dp_serve, 1 },
	{ "/NOCERT_SMS_DP_SMSPKG$/", DP_METHODS, 1, DP_ALLOW, mpd_dp_serve,
	  1 },
	{ "/CCMTOKENAUTH_SMS_DP_SMSPKG$/", DP_METHODS, 1, DP_ALLOW,
	  mpd_dp_serve, 1 },
	{ "/CCMTOKENAUTH_SMS_DP_SMSSIG$/", DP_METHODS, 1, DP_ALLOW,
	  mpd_dp_serve, 1 },
	/* The SMS Provider's REST API (mpd-admin.c, admin.h): every method
	 * goes to it, so that a refused one is logged in adminservice.log. */
	{ "/AdminService/", M_GET | M_HEAD | M_POST | M_PATCH | M_PROPFIND |
	  M_OTHER, 1, "GET, HEAD, PATCH, POST", mpd_admin_serve, 1 },
};

static int
mpd_method(const char *method)
{
	if (strcmp(method, "GET") == 0)
		return M_GET;
	if (strcmp(method, "HEAD") == 0)
		return M_HEAD;
	if (strcmp(method, "POST") == 0 || strcmp(method, "CCM_POST") == 0)
		return M_POST;
	if (strcmp(method, "PROPFIND") == 0)
		return M_PROPFIND;
	if (strcmp(method, "PATCH") == 0)
		return M_PATCH;
	return M_OTHER;
}

/* The route of target, or NULL. Paths match without case, as IIS's. */
static const struct mpd_route *
mpd_route_find(const char *target)
{
	size_t plen = strcspn(target, "?");

	for (size_t i = 0; i < sizeof mpd_routes / sizeof *mpd_routes; i++) {
		const char *p = mpd_routes[i].path;
		size_t n = strlen(p);

		if (p[n - 1] == '/' ? plen >= n && strncasecmp(target, p,
		    n) == 0 : plen == n && strncasecmp(target, p, n) == 0)
			return &mpd_routes[i];
	}
	return NULL;
}

/* How many times the header is in the block. */
int
mpd_header_count(const char *block, const char *name)
{
	size_t nl = strlen(name);
	const char *p = strchr(block, '\n');
	int n = 0;

	while (p != NULL && p[1] != '\0') {
		const char *line = p + 1;

		if (strncasecmp(line, name, nl) == 0 && line[nl] == ':')
			n++;
		p = strchr(line, '\n');
	}
	return n;
}

/* A header's value (trimmed) in the block, or NULL; buf holds it. */
const char *
mpd_header(const char *block, const char *name, char *buf, size_t len)
{
	size_t nl = strlen(name);
	const char *p = strchr(block, '\n');

	while (p != NULL && p[1] != '\0') {
		const char *line = p + 1, *end = strchr(line, '\n'), *v;
		size_t vl;

		if (end == NULL)
			end = line + strlen(line);
		if ((size_t)(end - line) > nl && strncasecmp(line, name,
		    nl) == 0 && line[nl] == ':') {
			for (v = line + nl + 1; v < end && (*v == ' ' ||
			    *v == '\t'); v++)
				;
			vl = end - v;
			while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] ==
			    ' ' || v[vl - 1] == '\t'))
				vl--;
			if (vl >= len)
				vl = len - 1;
			memcpy(buf, v, vl);
			buf[vl] = '\0';
			return buf;
		}
		p = *end ? end : NULL;
	}
	return NULL;
}

/* Answer a whole request (headers, and body if any): 0, 1 the answer
 * comes later (c waits: mpd_conn_registered), 2 a file is being sent (c
 * goes on by itself; the caller must not touch it), -1 answered and c is
 * to be closed whatever keep said. */
static int
mpd_dispatch(struct mpd_conn *c, const struct mpd_req *q, int keep, int http10)
{
	static const struct mpd_reply tls_only = MPD_TEXT(403, "Forbidden",
	    "This endpoint is served over HTTPS only.\n");
	static const struct mpd_reply not_impl = { .code = 501,
	    .reason = "Not Implemented", .type = "text/plain",
	    .body = "Not Implemented\n",
	    .allow = "GET, HEAD, POST, CCM_POST, PROPFIND, PATCH" };
	struct mp_answer a = { 0 };
	const struct mpd_route *rt = mpd_route_find(q->target);
	struct mpd_reply r = MPD_TEXT(404, "Not Found", "Not Found\n");
	int mth = mpd_method(q->method);

	if (rt == NULL && mth == M_OTHER)
		r = not_impl;
	else if (rt != NULL && !(rt->methods & mth)) {
		r.code = 405;
		r.reason = "Method Not Allowed";
		r.body = "Method Not Allowed\n";
		r.allow = rt->allow;
	} else if (rt != NULL && rt->tls_only && !c->l->tls)
		r = tls_only;
	else if (rt != NULL && rt->unlocked) {
		int rc = 0;

		rt->serve(c, q, &r, &a);
		mpd_reply_send(c, &r, q->head, keep, http10);
		if (r.file.set && !q->head && r.file.len > 0)
			rc = mpd_conn_stream_start(c, &r.file, keep) == 0 ? 2 :
			    -1;
		mpd_reply_release(&r);
		mp_answer_clear(&a);
		return rc;
	} else if (rt != NULL) {
		int later;

		/* The reply may point into the agent's state (a location
		 * body): it is copied out before the lock is let go. */
		pthread_mutex_lock(&c->m->lock);
		if (!(later = rt->serve(c, q, &r, &a)))
			mpd_reply_send(c, &r, q->head, keep, http10);
		pthread_mutex_unlock(&c->m->lock);
		mpd_reply_release(&r);
		mp_answer_clear(&a);
		if (later) {
			c->wait_head = q->head;
			c->wait_keep = keep;
			c->wait_http10 = http10;
		}
		return later;
	}
	mpd_reply_send(c, &r, q->head, keep, http10);
	mp_answer_clear(&a);
	return 0;
}

/* A token's characters (RFC 9110 5.6.2): a method, a field's name. */
static int
mpd_tchar(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch |
	    0x20) <= 'z') || (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) !=
	    NULL);
}

/* A line of b from p: its end (the LF) in *eol, its text's end (before a
 * CR) returned; NULL with no LF before end. */
static const char *
mpd_line(const char *p, const char *end, const char **eol)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));

	if (lf == NULL)
		return NULL;
	*eol = lf;
	return lf > p && lf[-1] == '\r' ? lf - 1 : lf;
}

/*
 * The request line and the field lines of a header block of len bytes (up
 * to its empty line), strictly as RFC 9112 writes them: one space between
 * method, target and version; each field line a name, then at once its
 * colon, then a value of no control characters but tabs. Anything else
 * (white space before a colon, a folded line, a line without a colon, a
 * NUL, a bare CR) is -1: a server in front could read it another way and
 * see another request than this one answers; -2 a target longer than
 * MPD_HTTP_MAX_TARGET - 1 bytes. 0: method, target and version (16,
 * MPD_HTTP_MAX_TARGET and 16 bytes) filled in.
 */
static int
mpd_head_parse(const char *b, size_t len, char *method, char *target,
    char *version)
{
	const char *end = b + len, *p, *e, *eol, *v;
	size_t n, t;

	if (memchr(b, '\0', len) != NULL || (e = mpd_line(b, end, &eol)) ==
	    NULL)
		return -1;
	for (n = 0; b + n < e && mpd_tchar(b[n]); n++)
		;
	for (t = n + 1; b + t < e && (unsigned char)b[t] > ' ' && b[t] !=
	    0x7f; t++)
		;
	v = b + t + 1;
	if (n == 0 || n >= 16 || b[n] != ' ' || t == n + 1 || b[t] != ' ' ||
	    e - v != 8 || strncmp(v, "HTTP/1.", 7) != 0 || (v[7] != '0' &&
	    v[7] != '1'))
		return -1;
	if (t - n - 1 >= MPD_HTTP_MAX_TARGET)
		return -2;
	memcpy(method, b, n);
	method[n] = '\0';
	memcpy(target, b + n + 1, t - n - 1);
	target[t - n - 1] = '\0';
	memcpy(version, v, 8);
	version[8] = '\0';
	for (p = eol + 1; (e = mpd_line(p, end, &eol)) != NULL && e > p;
	    p = eol + 1) {
		for (n = 0; p + n < e && mpd_tchar(p[n]); n++)
			;
		if (n == 0 || p[n] != ':')
			return -1;
		for (v = p + n + 1; v < e; v++)
			if (((unsigned char)*v < ' ' && *v != '\t') || *v ==
			    0x7f)
				return -1;
	}
	return e != NULL && eol + 1 == end ? 0 : -1;
}

/*
 * Answer one request whose header block (blen bytes, NUL-terminated) was
 * read: 0 keep the connection, -1 it closes after this reply, 1 its body
 * is to be read first (c->block and c->body_len set), 2 its answer comes
 * later, 3 a file is being sent (c carries on by itself: not to be
 * touched).
 */
static int
mpd_conn_request(struct mpd_conn *c, const char *block, size_t blen)
{
	static const struct mpd_reply bad = MPD_TEXT(400, "Bad Request",
	    "Bad Request\n");
	static const struct mpd_reply chunked = MPD_TEXT(501, "Not Implemented",
	    "A chunked request body is not accepted: send its"
	    " Content-Length.\n");
	static const struct mpd_reply no_length = MPD_TEXT(411,
	    "Length Required", "Length Required\n");
	static const struct mpd_reply too_large = MPD_TEXT(413,
	    "Content Too Large", "The request body is larger than 1 MiB.\n");
	static const struct mpd_reply too_long = MPD_TEXT(414, "URI Too Long",
	    "The request target is longer than 8191 bytes.\n");
	struct mpd_req q = { 0 };
	char method[16], target[MPD_HTTP_MAX_TARGET], version[16], v[64], *end;
	const char *conn, *te, *cl;
	int keep, http10, mth, rc;
	unsigned long long len = 0;

	if ((rc = mpd_head_parse(block, blen, method, target, version)) < 0) {
		mpd_reply_send(c, rc == -2 ? &too_long : &bad, 0, 0, 0);
		return -1;
	}
	http10 = version[7] == '0';
	conn = mpd_header(block, "Connection", v, sizeof v);
	keep = http10 ? conn != NULL && strcasecmp(conn, "keep-alive") == 0 :
	    conn == NULL || strcasecmp(conn, "close") != 0;
	/* Two lengths (or a length and an encoding) could be read two
	 * ways by two servers in a row: refused (RFC 9112, 6.3). */
	if (mpd_header_count(block, "Content-Length") > 1 ||
	    mpd_header_count(block, "Transfer-Encoding") > 1) {
		mpd_reply_send(c, &bad, 0, 0, 0);
		return -1;
	}
	te = mpd_header(block, "Transfer-Encoding", v, sizeof v);
	cl = te == NULL ? mpd_header(block, "Content-Length", v, sizeof v) :
	    NULL;
	if (cl != NULL) {
		errno = 0;
		len = strtoull(cl, &end, 10);
		if (*cl < '0' || *cl > '9' || *end != '\0' || errno != 0) {
			mpd_reply_send(c, &bad, 0, 0, 0);
			return -1;
		}
	}
	mth = mpd_method(method);
	/* A body to read, by its length: a POST's or PATCH's, and any other
	 * request's that has one, though it is not used (a PROPFIND's asks
	 * for properties: every one is sent), so that the connection can go
	 * on and no unread byte turns its close into a reset that could
	 * reach the client before the answer. */
	if (mth == M_POST || mth == M_PATCH || te != NULL || len > 0) {
		if (te != NULL || cl == NULL || len > MPD_HTTP_MAX_BODY) {
			mpd_reply_send(c, te != NULL ? &chunked : cl == NULL ?
			    &no_length : &too_large, 0, 0, http10);
			return -1;
		}
		if (len > 0) {
			const char *ex = mpd_header(block, "Expect", v,
			    sizeof v);

			/* A client that waits to be told to send its body
			 * (curl does for large bodies) is told at once. */
			if (ex != NULL && !http10 && strcasecmp(ex,
			    "100-continue") == 0)
				evbuffer_add_printf(bufferevent_get_output(
				    c->bev), "HTTP/1.1 100 Continue\r\n\r\n");
			c->block = xstrdup(block);
			c->body_len = (size_t)len;
			return 1;
		}
	}
	q.method = method;
	q.target = target;
	q.block = block;
	q.body = (const unsigned char *)"";
	q.head = mth == M_HEAD;
	if ((rc = mpd_dispatch(c, &q, keep, http10)) > 0)
		return rc + 1;
	return keep && rc == 0 ? 0 : -1;
}

/* The body of c->block's request has arrived: answer it. 0, -1, 2 or 3
 * as mpd_conn_request. */
static int
mpd_conn_body(struct mpd_conn *c, const unsigned char *body, size_t len)
{
	struct mpd_req q = { 0 };
	char method[16], target[MPD_HTTP_MAX_TARGET], version[16], v[64];
	char *block = c->block;
	const char *conn;
	int keep, http10, rc;

	c->block = NULL;
	c->body_len = 0;
	/* Parsed once already: it reads the same. */
	(void)mpd_head_parse(block, strlen(block), method, target, version);
	http10 = version[7] == '0';
	conn = mpd_header(block, "Connection", v, sizeof v);
	keep = http10 ? conn != NULL && strcasecmp(conn, "keep-alive") == 0 :
	    conn == NULL || strcasecmp(conn, "close") != 0;
	q.method = method;
	q.target = target;
	q.block = block;
	q.body = body;
	q.len = len;
	q.head = mpd_method(method) == M_HEAD;
	rc = mpd_dispatch(c, &q, keep, http10);
	free(block);
	if (rc > 0)
		return rc + 1;
	return keep && rc == 0 ? 0 : -1;
}

static void
mpd_conn_close_after_reply(struct mpd_conn *c)
{
	struct timeval tv = { MPD_HTTP_WRITE_S, 0 };

	bufferevent_disable(c->bev, EV_READ);
	c->phase = MPD_CONN_CLOSING;
	event_add(c->deadline, &tv);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		mpd_conn_free(c);
}

/* Its registration is being committed: nothing more is read until it is
 * answered (pipelined requests wait in the socket). */
static void
mpd_conn_wait(struct mpd_conn *c)
{
	bufferevent_disable(c->bev, EV_READ);
	mpd_conn_arm(c, MPD_CONN_WAIT, MPD_HTTP_WRITE_S);
}

/* After mpd_conn_request() or mpd_conn_body() said rc: 1 if c reads no
 * more for now (-1: it closes after the reply; 2: it waits; 3: it is
 * sending a file, which goes on by itself), else 0. */
static int
mpd_conn_stop_reading(struct mpd_conn *c, int rc)
{
	if (rc == -1)
		mpd_conn_close_after_reply(c);
	else if (rc == 2)
		mpd_conn_wait(c);
	return rc == -1 || rc == 2 || rc == 3;
}

void
mpd_conn_registered(struct mpd_pending *p)
{
	struct mpd_conn *c = p->conn;
	struct mpd_reply r = { 0 };
	struct mp_answer a = { 0 };
	struct mpd_req q = { 0 };

	c->pend = NULL;
	if (p->rc == -1) {
		q.method = "CCM_POST";
		q.target = "/ccm_system/request";
		mpd_mp_failed(c, &q, &r, p->error);
	} else {
		mp_register_answer(p->reg, p->rc, &p->cl, &a);
		mpd_mp_reply(c, &r, &a, MPD_LOG_REG);
	}
	mpd_reply_send(c, &r, c->wait_head, c->wait_keep, c->wait_http10);
	mp_answer_clear(&a);
	if (!c->wait_keep) {
		mpd_conn_close_after_reply(c);
		return;
	}
	mpd_conn_next(c);
}

/*
 * The length of the header block at the start of in, with the empty line
 * that ends it (CRLF, or a bare LF), or 0 while it has not come. Each byte
 * is looked at once (c->scanned, c->eol: where the last look stopped, and
 * in which state), at most MPD_HTTP_READ_MAX of them: neither a client
 * that sends a byte at a time nor one that sends many requests at once
 * makes it search the same bytes again.
 */
static size_t
mpd_headers_end(struct mpd_conn *c, struct evbuffer *in)
{
	size_t n = evbuffer_get_length(in);
	const unsigned char *b;

	if (n > MPD_HTTP_READ_MAX)
		n = MPD_HTTP_READ_MAX;
	if (n <= c->scanned || (b = evbuffer_pullup(in, (ev_ssize_t)n)) ==
	    NULL)
		return 0;
	for (size_t i = c->scanned; i < n; i++) {
		if (b[i] == '\n' && c->eol != 0) {
			c->scanned = 0;
			c->eol = 0;
			return i + 1;
		}
		c->eol = b[i] == '\n' ? 1 : b[i] == '\r' && c->eol == 1 ? 2 : 0;
	}
	c->scanned = n;
	return 0;
}

/* Serve the requests read so far, while their replies fit: 0 c goes on
 * (more of a request awaited, or its replies full: mpd_conn_flow), 1 c is
 * not to be touched here (it closes, waits or sends a file: it may be
 * gone). */
static int
mpd_conn_serve(struct mpd_conn *c)
{
	static const struct mpd_reply too_large = MPD_TEXT(431,
	    "Request Header Fields Too Large",
	    "Request Header Fields Too Large\n");
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t hlen;
	char *block;

	while ((c->phase == MPD_CONN_HEADERS || c->phase == MPD_CONN_BODY) &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) <
	    MPD_HTTP_MAX_OUTPUT) {
		char ch;
		int rc;

		if (c->phase == MPD_CONN_BODY) {
			unsigned char *body;

			if (evbuffer_get_length(in) < c->body_len)
				return 0;	/* more to come, in time */
			body = xmalloc(c->body_len);
			evbuffer_remove(in, body, c->body_len);
			rc = mpd_conn_body(c, body, c->body_len);
			free(body);
			if (mpd_conn_stop_reading(c, rc))
				return 1;
			mpd_conn_arm(c, MPD_CONN_HEADERS, c->m->cfg.header_s);
			continue;
		}

		/* Empty lines before a request are ignored (RFC 9112 2.2). */
		while (evbuffer_copyout(in, &ch, 1) == 1 && (ch == '\r' ||
		    ch == '\n')) {
			evbuffer_drain(in, 1);
			c->scanned = 0;
			c->eol = 0;
		}
		if ((hlen = mpd_headers_end(c, in)) == 0) {
			if (evbuffer_get_length(in) <= MPD_HTTP_MAX_HEADERS)
				return 0;	/* more to come, in time */
			hlen = evbuffer_get_length(in);
		}
		if (hlen > MPD_HTTP_MAX_HEADERS) {
			mpd_reply_send(c, &too_large, 0, 0, 0);
			mpd_conn_close_after_reply(c);
			return 1;
		}
		block = xmalloc(hlen + 1);
		evbuffer_remove(in, block, hlen);
		block[hlen] = '\0';
		rc = mpd_conn_request(c, block, hlen);
		free(block);
		if (mpd_conn_stop_reading(c, rc))
			return 1;
		/* The body, or the next request's headers: a new deadline. */
		mpd_conn_arm(c, rc == 1 ? MPD_CONN_BODY : MPD_CONN_HEADERS,
		    c->m->cfg.header_s);
	}
	return 0;
}

/*
 * Reading goes on while the replies queued are below MPD_HTTP_MAX_OUTPUT
 * (when they have gone, the write callback serves on). mpd_conn_serve()
 * uses what was read while they are: what stays is less than a request's
 * headers, or its body. So a client that sends and does not read is held
 * up by TCP, and nothing piles up here.
 */
static void
mpd_conn_flow(struct mpd_conn *c)
{
	if (c->phase != MPD_CONN_HEADERS && c->phase != MPD_CONN_BODY)
		return;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) >=
	    MPD_HTTP_MAX_OUTPUT)
		bufferevent_disable(c->bev, EV_READ);
	else
		bufferevent_enable(c->bev, EV_READ);
}

static void
mpd_conn_read(struct bufferevent *bev, void *arg)
{
	struct mpd_conn *c = arg;

	if (c->phase == MPD_CONN_HANDSHAKE)	/* data before "connected" */
		mpd_conn_arm(c, MPD_CONN_HEADERS, c->m->cfg.header_s);
	if (mpd_conn_serve(c) == 0)
		mpd_conn_flow(c);
}

/* "ADDR:PORT" of the socket's peer ("?" if unknown). */
static void
mpd_peer_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char a[INET6_ADDRSTRLEN];

	snprintf(buf, len, "?");
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == -1)
		return;
	if (ss.ss_family == AF_INET6 && inet_ntop(AF_INET6,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof a) != NULL)
		snprintf(buf, len, "[%s]:%d", a,
		    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	else if (ss.ss_family == AF_INET && inet_ntop(AF_INET,
	    &((struct sockaddr_in *)&ss)->sin_addr, a, sizeof a) != NULL)
		snprintf(buf, len, "%s:%d", a,
		    ntohs(((struct sockaddr_in *)&ss)->sin_port));
}

struct mpd *
mpd_conn_agent(const struct mpd_conn *c)
{
	return c->m;
}

int
mpd_conn_tls(const struct mpd_conn *c)
{
	return c->l->tls;
}

const char *
mpd_conn_peer(const struct mpd_conn *c)
{
	return c->peer;
}

void
mpd_conn_new(struct mpd_worker *w, struct mpd_listener *l, int fd)
{
	struct timeval wtv = { MPD_HTTP_WRITE_S, 0 };
	struct mpd *m = w->m;
	struct mpd_conn *c;
	struct bufferevent *bev;

	if (l->tls) {
		/* The context current now: a certificate swap applies to new
		 * connections only (each holds a reference to its own). */
		pthread_mutex_lock(&m->tls_lock);
		bev = tls_server_bufferevent(m->tls != NULL ? m->tls :
		    m->refuse, w->base);
		pthread_mutex_unlock(&m->tls_lock);
		if (bev != NULL && bufferevent_setfd(bev, fd) == -1) {
			bufferevent_free(bev);
			bev = NULL;
		}
	} else
		bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		close(fd);
		atomic_fetch_sub(&m->nconns, 1);
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->m = m;
	c->w = w;
	c->l = l;
	c->bev = bev;
	c->file_fd = -1;
	mpd_peer_name(fd, c->peer, sizeof c->peer);
	if ((c->deadline = evtimer_new(w->base, mpd_conn_deadline, c)) ==
	    NULL) {
		bufferevent_free(bev);
		free(c);
		atomic_fetch_sub(&m->nconns, 1);
		return;
	}
	c->next = w->conns;
	if (w->conns != NULL)
		w->conns->prev = c;
	w->conns = c;
	bufferevent_setcb(bev, mpd_conn_read, mpd_conn_write, mpd_conn_event,
	    c);
	bufferevent_set_timeouts(bev, NULL, &wtv);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	if (l->tls)
		mpd_conn_arm(c, MPD_CONN_HANDSHAKE, m->cfg.handshake_s);
	else
		mpd_conn_arm(c, MPD_CONN_HEADERS, m->cfg.header_s);
}

/* Out of descriptors: accepting again in a second (the listening socket
 * stays readable, so retrying at once would spin). */
static void
mpd_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct mpd_listener *l = arg;

	if (l->accept_ev != NULL)
		event_add(l->accept_ev, NULL);
}

/* Is fd the agent's own health check (mpd-check.c): from the very address
 * and port the check bound? Once only: the pass is used up by the match. */
static int
mpd_is_check(struct mpd *m, int fd)
{
	struct sockaddr_storage peer;
	const struct sockaddr_storage *src = &m->check_src;
	socklen_t pl = sizeof peer;
	int port = atomic_load(&m->check_port), same;

	if (port == 0 || getpeername(fd, (struct sockaddr *)&peer, &pl) == -1 ||
	    peer.ss_family != src->ss_family)
		return 0;
	if (peer.ss_family == AF_INET)
		same = ntohs(((struct sockaddr_in *)&peer)->sin_port) == port &&
		    ((struct sockaddr_in *)&peer)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)src)->sin_addr.s_addr;
	else if (peer.ss_family == AF_INET6)
		same = ntohs(((struct sockaddr_in6 *)&peer)->sin6_port) ==
		    port && memcmp(&((struct sockaddr_in6 *)&peer)->sin6_addr,
		    &((const struct sockaddr_in6 *)src)->sin6_addr,
		    sizeof(struct in6_addr)) == 0;
	else
		same = 0;
	return same && atomic_compare_exchange_strong(&m->check_port, &port,
	    0);
}

static void
mpd_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct mpd_listener *l = arg;
	struct mpd *m = l->m;
	int fd, is_check;

	for (int i = 0; i < MPD_ACCEPT_BATCH; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE) {
				struct timeval tv = { 1, 0 };

				if (!m->accept_error) {
					MPD_WARN(m, "Cannot accept connections"
					    " on %s port %d: %s (retrying every"
					    " second)", l->what, l->port,
					    strerror(errno));
					m->accept_error = 1;
				}
				event_del(l->accept_ev);
				event_base_once(m->base, -1, EV_TIMEOUT,
				    mpd_accept_resume, l, &tv);
			}
			return;	/* EAGAIN: until the next connection */
		}
		m->accept_error = 0;
		/* The check's connection uses its pass up, under the limit
		 * too. */
		is_check = atomic_load(&m->check_port) != 0 &&
		    mpd_is_check(m, fd);
		/* Counted here, given back by the worker when it closes. */
		if (atomic_fetch_add(&m->nconns, 1) >=
		    (size_t)m->cfg.max_conns && !is_check) {
			atomic_fetch_sub(&m->nconns, 1);
			close(fd);
			if (atomic_fetch_add(&m->conn_refused, 1) == 0)
				MPD_WARN(m, "%d connections are open (the"
				    " --max-connections limit): closing new"
				    " connections at once until some finish",
				    m->cfg.max_conns);
			continue;
		}
		mpd_workers_hand(m, l, fd);
	}
}

/* ---------------------------------------------------------------- ports */

int
mpd_http_init(struct mpd *m, char **cause)
{
	m->http.what = "HTTP";
	m->https.what = "HTTPS";
	m->https.tls = 1;
	m->http.m = m->https.m = m;
	m->http.fd = m->https.fd = -1;
	return 0;
}

void
mpd_http_free(struct mpd *m)
{
	struct mpd_listener *ls[] = { &m->http, &m->https };

	/* The registrations queued are stored and handed back first, then
	 * the workers answer them and stop. */
	mpd_commit_stop(m);
	mpd_workers_stop(m);
	for (size_t i = 0; i < 2; i++) {
		if (ls[i]->accept_ev != NULL)
			event_free(ls[i]->accept_ev);
		ls[i]->accept_ev = NULL;
		if (ls[i]->fd != -1)
			close(ls[i]->fd);
		ls[i]->fd = -1;
	}
}

static int
mpd_bind_fd(struct mpd_listener *l, int *out)
{
	struct sockaddr_storage *ss = &l->addr.ss;
	int fd, one = 1;

	*out = -1;
	if ((fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1)
		goto fail;
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)ss, l->addr.len) == -1)
		goto fail;
	*out = fd;
	return 0;
fail:
	one = errno;
	close(fd);
	errno = one;
	return -1;
}

int
mpd_listener_reserve(struct mpd_listener *l, char **cause)
{
	struct sockaddr_storage *ss = &l->addr.ss;
	int fd = -1, err, chosen;
	socklen_t sl = sizeof *ss;

	chosen = (ss->ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)ss)->sin6_port :
	    ((struct sockaddr_in *)ss)->sin_port) == 0;
	if (mpd_bind_fd(l, &fd) == -1)
		goto fail;
	/* Port 0: keep the port the system chose, also for a re-bind. */
	if (getsockname(fd, (struct sockaddr *)ss, &sl) == -1)
		goto fail;
	if (chosen) {
		/* Bound again by number: only a port bound by number stays
		 * bound when the listener stops (mpd_listener_stop). */
		close(fd);
		if (mpd_bind_fd(l, &fd) == -1)
			goto fail;
	}
	l->port = ntohs(ss->ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)ss)->sin6_port :
	    ((struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6) {
		struct in6_addr *a = &((struct sockaddr_in6 *)ss)->sin6_addr;
		char t[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, a, t, sizeof t);
		snprintf(l->check_addr, sizeof l->check_addr, "%s",
		    IN6_IS_ADDR_UNSPECIFIED(a) ? "::1" : t);
		snprintf(l->addr.text, sizeof l->addr.text, "[%s]:%d", t,
		    l->port);
	} else {
		struct in_addr *a = &((struct sockaddr_in *)ss)->sin_addr;
		char t[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, a, t, sizeof t);
		snprintf(l->check_addr, sizeof l->check_addr, "%s",
		    a->s_addr == htonl(INADDR_ANY) ? "127.0.0.1" : t);
		snprintf(l->addr.text, sizeof l->addr.text, "%s:%d", t,
		    l->port);
	}
	l->fd = fd;
	return 0;
fail:
	err = errno;
	if (fd != -1)
		close(fd);
	xasprintf(cause, "cannot bind the %s port %s: %s%s", l->what,
	    l->addr.text, strerror(err), err == EADDRINUSE ?
	    " (another program is listening on it)" : err == EACCES ?
	    " (ports below 1024 need privileges)" : "");
	return -1;
}

int
mpd_listener_start(struct mpd_listener *l, char **cause)
{
	if (l->accept_ev != NULL)
		return 0;
	if (l->fd == -1 && mpd_listener_reserve(l, cause) == -1)
		return -1;
	if (listen(l->fd, MPD_LISTEN_BACKLOG) == -1) {
		xasprintf(cause, "cannot listen on the %s port %s: %s%s",
		    l->what, l->addr.text, strerror(errno), errno == EADDRINUSE ?
		    " (another program is listening on it)" : "");
		return -1;
	}
	if ((l->accept_ev = event_new(l->m->base, l->fd, EV_READ | EV_PERSIST,
	    mpd_accept, l)) == NULL || event_add(l->accept_ev, NULL) == -1) {
		if (l->accept_ev != NULL)
			event_free(l->accept_ev);
		l->accept_ev = NULL;
		xasprintf(cause, "cannot accept connections on the %s port"
		    " %s", l->what, l->addr.text);
		return -1;
	}
	return 0;
}

int
mpd_listener_stop(struct mpd_listener *l, char **cause)
{
	if (l->accept_ev == NULL)
		return 0;
	event_free(l->accept_ev);
	l->accept_ev = NULL;
	/* Linux: a listening socket shut down stops listening (new
	 * connections are refused, queued ones reset) and keeps its port;
	 * listen() makes it listen again. Open connections finish. */
	if (shutdown(l->fd, SHUT_RDWR) == 0)
		return 0;
	close(l->fd);
	l->fd = -1;
	return mpd_listener_reserve(l, cause);
}
