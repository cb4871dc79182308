/* mpd-http: the agent's HTTP and HTTPS servers (libevent evhttp). */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "mpd-int.h"

#define MPD_HTTP_TIMEOUT_S	30
#define MPD_HTTP_MAX_HEADERS	16384
#define MPD_HTTP_MAX_BODY	4096
#define MPD_LISTEN_BACKLOG	511
#define MPD_AUT_PATH		"/SMS_MP/.sms_aut"
#define MPD_SERVER		"ehttp-mpd/" EHTTP_VERSION

static void
mpd_reply(struct evhttp_request *req, int code, const char *reason,
    const char *type, const char *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b;

	if ((b = evbuffer_new()) == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evhttp_add_header(h, "Server", MPD_SERVER);
	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-cache");
	evbuffer_add(b, body, strlen(body));
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

/* GET /SMS_MP/.sms_aut?MPLIST and ?MPCERT, on both ports. */
static void
mpd_http_request(struct evhttp_request *req, void *arg)
{
	struct mpd *m = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri ? evhttp_uri_get_query(uri) : NULL;

	if (path == NULL || strcasecmp(path, MPD_AUT_PATH) != 0 ||
	    query == NULL) {
		mpd_reply(req, HTTP_NOTFOUND, "Not Found", "text/plain",
		    "Not Found\n");
		return;
	}
	if (strcasecmp(query, "MPLIST") == 0) {
		if (m->mplist == NULL)
			mpd_reply(req, 503, "Service Unavailable", "text/plain",
			    "The site database has not been read yet.\n");
		else
			mpd_reply(req, HTTP_OK, "OK", "text/xml", m->mplist);
	} else if (strcasecmp(query, "MPCERT") == 0) {
		if (m->root_pem == NULL)
			mpd_reply(req, HTTP_NOTFOUND, "Not Found", "text/plain",
			    "This site has no SMS Issuing root certificate.\n");
		else
			mpd_reply(req, HTTP_OK, "OK", "application/x-pem-file",
			    m->root_pem);
	} else
		mpd_reply(req, HTTP_NOTFOUND, "Not Found", "text/plain",
		    "Not Found\n");
}

/* Each HTTPS connection gets a TLS bufferevent from the context current
 * now: a certificate swap applies to new connections only. */
static struct bufferevent *
mpd_https_bufferevent(struct event_base *base, void *arg)
{
	struct mpd *m = arg;

	return tls_server_bufferevent(m->tls != NULL ? m->tls : m->refuse,
	    base);
}

static struct evhttp *
mpd_http_server(struct mpd *m)
{
	struct evhttp *h;

	if ((h = evhttp_new(m->base)) == NULL)
		return NULL;
	evhttp_set_allowed_methods(h, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(h, MPD_HTTP_TIMEOUT_S);
	evhttp_set_max_headers_size(h, MPD_HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(h, MPD_HTTP_MAX_BODY);
	evhttp_set_gencb(h, mpd_http_request, m);
	return h;
}

int
mpd_http_init(struct mpd *m, char **cause)
{
	m->http.what = "HTTP";
	m->https.what = "HTTPS";
	m->https.tls = 1;
	m->http.fd = m->https.fd = -1;
	if ((m->http.http = mpd_http_server(m)) == NULL ||
	    (m->https.http = mpd_http_server(m)) == NULL) {
		if (asprintf(cause, "cannot create the HTTP servers") == -1)
			abort();
		return -1;
	}
	evhttp_set_bevcb(m->https.http, mpd_https_bufferevent, m);
	return 0;
}

void
mpd_http_free(struct mpd *m)
{
	struct mpd_listener *ls[] = { &m->http, &m->https };

	for (size_t i = 0; i < 2; i++) {
		/* Frees the listener (closing its socket) and connections. */
		if (ls[i]->http != NULL)
			evhttp_free(ls[i]->http);
		ls[i]->http = NULL;
		ls[i]->bound = NULL;
		if (ls[i]->fd != -1)
			close(ls[i]->fd);
		ls[i]->fd = -1;
	}
}

int
mpd_listener_reserve(struct mpd_listener *l, char **cause)
{
	struct sockaddr_storage *ss = &l->addr.ss;
	int fd, one = 1, err;
	socklen_t sl = sizeof *ss;

	if ((fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1)
		goto fail;
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)ss, l->addr.len) == -1)
		goto fail;
	/* Port 0: keep the port the system chose, also for a re-bind. */
	if (getsockname(fd, (struct sockaddr *)ss, &sl) == -1)
		goto fail;
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
	if (asprintf(cause, "cannot bind the %s port %s: %s%s", l->what,
	    l->addr.text, strerror(err), err == EADDRINUSE ?
	    " (another program is listening on it)" : err == EACCES ?
	    " (ports below 1024 need privileges)" : "") == -1)
		abort();
	return -1;
}

int
mpd_listener_start(struct mpd_listener *l, char **cause)
{
	if (l->bound != NULL)
		return 0;
	if (l->fd == -1 && mpd_listener_reserve(l, cause) == -1)
		return -1;
	if (listen(l->fd, MPD_LISTEN_BACKLOG) == -1) {
		if (asprintf(cause, "cannot listen on the %s port %s: %s%s",
		    l->what, l->addr.text, strerror(errno), errno == EADDRINUSE ?
		    " (another program is listening on it)" : "") == -1)
			abort();
		return -1;
	}
	if ((l->bound = evhttp_accept_socket_with_handle(l->http,
	    l->fd)) == NULL) {
		if (asprintf(cause, "cannot accept connections on the %s port"
		    " %s", l->what, l->addr.text) == -1)
			abort();
		return -1;
	}
	l->fd = -1;	/* evhttp owns it now */
	return 0;
}

int
mpd_listener_stop(struct mpd_listener *l, char **cause)
{
	if (l->bound == NULL)
		return 0;
	/* Closes the listening socket; open connections finish. */
	evhttp_del_accept_socket(l->http, l->bound);
	l->bound = NULL;
	return mpd_listener_reserve(l, cause);
}

int
mpd_listener_serving(const struct mpd_listener *l)
{
	return l->bound != NULL;
}
