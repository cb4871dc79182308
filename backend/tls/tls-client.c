/*
 * tls-client: one blocking HTTP request over TLS (or plain TCP) with a
 * timeout, verifying the served chain against given trust anchors and the
 * host name (tls.h): the agent's health check and ehttp-client.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hex.h"
#include "tls-int.h"
#include "xmalloc.h"

#define TLS_HEAD_MAX	16384	/* a response's status line and headers */

/* The OpenSSL error queue as one line ("" if empty); drains the queue. */
void
tls_errors(char *buf, size_t len)
{
	unsigned long e;
	size_t off = 0;
	char one[256];

	buf[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, one, sizeof one);
		if (off < len)
			off += snprintf(buf + off, len - off, "%s%s",
			    off ? "; " : "", one);
	}
}

/* A DER certificate parsed, or NULL. */
X509 *
tls_x509(const struct tls_der *d)
{
	const unsigned char *p = d->data;

	if (d->len > LONG_MAX)
		return NULL;
	return d2i_X509(NULL, &p, (long)d->len);
}

/* ------------------------------------------------------------- the client */

static void
tls_thumbprint(X509 *x, char out[41])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	out[0] = '\0';
	if (x == NULL || X509_digest(x, EVP_sha1(), md, &n) != 1 || n != 20)
		return;
	hex_encode_upper(md, n, out);
}

/* Connect with a timeout; the socket is left blocking with I/O timeouts. */
static int
tls_connect(const struct tls_get *g, struct tls_get_result *r)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct timeval tv;
	struct pollfd pfd;
	socklen_t sl, elen;
	int fd = -1, err = 0, one = 1, flags;

	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, g->addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(g->port);
		sl = sizeof *sin;
	} else if (inet_pton(AF_INET6, g->addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(g->port);
		sl = sizeof *sin6;
	} else {
		snprintf(r->error, sizeof r->error, "address '%s' is not"
		    " numeric", g->addr);
		return -1;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		snprintf(r->error, sizeof r->error, "socket: %s",
		    strerror(errno));
		return -1;
	}
	if (g->on_socket != NULL && g->on_socket(g->on_socket_arg, fd) == -1) {
		err = errno;
		goto fail;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) == -1) {
		if (errno != EINPROGRESS) {
			err = errno;
			goto fail;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		switch (poll(&pfd, 1, g->timeout_ms)) {
		case -1:
			err = errno;
			goto fail;
		case 0:
			err = ETIMEDOUT;
			goto fail;
		}
		elen = sizeof err;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1)
			err = errno;
		if (err != 0)
			goto fail;
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1) {
		err = errno;
		goto fail;
	}
	tv.tv_sec = g->timeout_ms / 1000;
	tv.tv_usec = (g->timeout_ms % 1000) * 1000;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
fail:
	snprintf(r->error, sizeof r->error, "cannot connect to %s%s%s:%d: %s",
	    ss.ss_family == AF_INET6 ? "[" : "", g->addr,
	    ss.ss_family == AF_INET6 ? "]" : "", g->port, strerror(err));
	close(fd);
	return -1;
}

/* Why an SSL call failed, in words. */
static void
tls_ssl_failure(SSL *ssl, int ret, const char *what, int timeout_ms,
    char *buf, size_t len)
{
	int e = errno, code = SSL_get_error(ssl, ret);
	long v = SSL_get_verify_result(ssl);
	char ossl[384];

	tls_errors(ossl, sizeof ossl);
	if (v != X509_V_OK) {
		X509 *peer = SSL_get0_peer_certificate(ssl);
		char tp[41], name[256] = "";

		tls_thumbprint(peer, tp);
		if (peer != NULL)
			X509_NAME_oneline(X509_get_subject_name(peer), name,
			    sizeof name);
		snprintf(buf, len, "%s failed: certificate verify failed: %s%s%s"
		    "%s%s%s", what, X509_verify_cert_error_string(v),
		    peer ? " (served certificate " : "", name,
		    peer ? ", thumbprint " : "", peer ? tp : "",
		    peer ? ")" : "");
	} else if (code == SSL_ERROR_SYSCALL && ossl[0] == '\0') {
		if (e == EAGAIN || e == EWOULDBLOCK)
			snprintf(buf, len, "%s failed: no answer within %d ms",
			    what, timeout_ms);
		else if (ret == 0 || e == 0)
			snprintf(buf, len, "%s failed: the server closed the"
			    " connection", what);
		else
			snprintf(buf, len, "%s failed: %s", what, strerror(e));
	} else if (code == SSL_ERROR_ZERO_RETURN)
		snprintf(buf, len, "%s failed: the server closed the"
		    " connection", what);
	else
		snprintf(buf, len, "%s failed: %s", what, ossl[0] ? ossl :
		    "unknown TLS error");
}

static SSL_CTX *
tls_client_ctx(const struct tls_get *g, struct tls_get_result *r)
{
	SSL_CTX *ctx;
	X509 *root = NULL;
	struct tls_der d = { g->root, g->root_len };
	char ossl[384];

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		goto fail;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		goto fail;
	/* The agent may close without close_notify after "Connection:
	 * close": a truncated body is caught by its Content-Length. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx),
	    X509_V_FLAG_X509_STRICT);
	if (g->root != NULL) {
		if ((root = tls_x509(&d)) == NULL ||
		    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), root) != 1)
			goto fail;
		X509_free(root);
		root = NULL;
	}
	for (size_t i = 0; i < g->nanchors; i++) {
		if ((root = tls_x509(&g->anchors[i])) == NULL ||
		    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), root) != 1)
			goto fail;
		X509_free(root);
		root = NULL;
	}
	if (g->ca_file != NULL &&
	    SSL_CTX_load_verify_locations(ctx, g->ca_file, NULL) != 1) {
		tls_errors(ossl, sizeof ossl);
		snprintf(r->error, sizeof r->error, "cannot load trusted roots"
		    " from %s: %s", g->ca_file, ossl);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
fail:
	tls_errors(ossl, sizeof ossl);
	snprintf(r->error, sizeof r->error, "cannot make a TLS client context:"
	    " %s", ossl[0] ? ossl : "unknown error");
	X509_free(root);
	SSL_CTX_free(ctx);
	return NULL;
}

/* Parse "HTTP/1.1 200 OK" (the status line only: the agent made the rest). */
static int
tls_status_line(const char *buf, struct tls_get_result *r)
{
	const char *p = buf, *eol;
	int status = 0, digits = 0;

	if (strncmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' || p[7] > '9' ||
	    p[8] != ' ')
		return -1;
	for (p += 9; *p >= '0' && *p <= '9' && digits < 4; p++, digits++)
		status = status * 10 + (*p - '0');
	if (digits != 3 || (*p != ' ' && *p != '\r' && *p != '\n'))
		return -1;
	if (*p == ' ')
		p++;
	eol = p + strcspn(p, "\r\n");
	r->status = status;
	/* As sent: every output escapes it (the log writer, the console,
	 * ehttpctl, the agent's stderr). */
	snprintf(r->reason, sizeof r->reason, "%.*s", (int)(eol - p), p);
	return 0;
}

void
tls_get_result_clear(struct tls_get_result *r)
{
	free(r->head);
	free(r->body);
	r->head = NULL;
	r->body = NULL;
	r->body_len = 0;
}

/* With body_max: the header block and the body of what was read. */
static int
tls_split(char *buf, size_t got, struct tls_get_result *r)
{
	char *end = strstr(buf, "\r\n\r\n"), *cl;

	if (end == NULL) {
		snprintf(r->error, sizeof r->error, "the response ends before"
		    " its headers do");
		return -1;
	}
	r->head = xstrndup(buf, (size_t)(end + 2 - buf));
	r->body_len = got - (size_t)(end + 4 - buf);
	if ((cl = strcasestr(r->head, "\nContent-Length:")) != NULL &&
	    strtoull(cl + 16, NULL, 10) != r->body_len) {
		snprintf(r->error, sizeof r->error, "the response body is %zu"
		    " bytes, not the %llu its Content-Length says", r->body_len,
		    strtoull(cl + 16, NULL, 10));
		tls_get_result_clear(r);
		return -1;
	}
	r->body = xmalloc(r->body_len + 1);
	memcpy(r->body, end + 4, r->body_len);
	r->body[r->body_len] = '\0';
	return 0;
}

/* The request: line, headers (Host, ours, the caller's, Content-Length
 * with a body) and body; its length in *len. */
static char *
tls_request(const struct tls_get *g, size_t *len)
{
	char *head, *req, cl[48] = "";
	int n;

	if (g->body != NULL)
		snprintf(cl, sizeof cl, "Content-Length: %zu\r\n", g->body_len);
	n = xasprintf(&head, "%s %s HTTP/1.1\r\nHost: %s:%d\r\n"
	    "User-Agent: %s\r\nAccept: */*\r\nConnection: close\r\n%s%s"
	    "\r\n", g->method != NULL ? g->method : g->body != NULL ? "POST" :
	    "GET", g->path, g->host, g->port, g->user_agent != NULL ?
	    g->user_agent : "SMS_MP_CONTROL_MANAGER", g->headers != NULL ?
	    g->headers : "", cl);
	req = xmalloc((size_t)n + g->body_len + 1);
	memcpy(req, head, (size_t)n);
	if (g->body_len > 0)
		memcpy(req + n, g->body, g->body_len);
	*len = (size_t)n + g->body_len;
	free(head);
	return req;
}

/* Some bytes of the response: n > 0, 0 at its end, -1 failed (said). */
static int
tls_read(const struct tls_get *g, SSL *ssl, int fd, char *buf, size_t len,
    int some, struct tls_get_result *r)
{
	int n, code;

	for (;;) {
		if (ssl != NULL) {
			if ((n = SSL_read(ssl, buf, (int)len)) > 0)
				return n;
			code = SSL_get_error(ssl, n);
			if (code == SSL_ERROR_ZERO_RETURN || (code ==
			    SSL_ERROR_SYSCALL && errno == 0 && some)) {
				ERR_clear_error();
				return 0;
			}
			tls_ssl_failure(ssl, n, "reading the response",
			    g->timeout_ms, r->error, sizeof r->error);
			return -1;
		}
		if ((n = (int)read(fd, buf, len)) >= 0)
			return n;
		snprintf(r->error, sizeof r->error, "reading the response "
		    "failed: %s", errno == EAGAIN ? "no answer in time" :
		    strerror(errno));
		return -1;
	}
}

/*
 * With a sink: the headers into r->head, then the body handed on as it
 * arrives, up to its Content-Length (or the end of the connection).
 */
static int
tls_stream(const struct tls_get *g, SSL *ssl, int fd, char *buf, size_t max,
    struct tls_get_result *r)
{
	char *end = NULL, *cl;
	unsigned long long want = 0, have = 0;
	size_t got = 0, rest;
	int n, known = 0;

	while (end == NULL) {
		if (got == max) {
			snprintf(r->error, sizeof r->error, "the response's "
			    "headers are larger than %zu bytes", max);
			return -1;
		}
		if ((n = tls_read(g, ssl, fd, buf + got, max - got, got > 0,
		    r)) <= 0) {
			if (n == 0)
				snprintf(r->error, sizeof r->error, "the server"
				    " closed the connection %s",  got ? "in the "
				    "response's headers" : "without a response");
			return -1;
		}
		got += (size_t)n;
		buf[got] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	if (tls_status_line(buf, r) == -1) {
		snprintf(r->error, sizeof r->error, "the response does not"
		    " start with an HTTP/1.x status line");
		return -1;
	}
	r->head = xstrndup(buf, (size_t)(end + 2 - buf));
	if ((cl = strcasestr(r->head, "\nContent-Length:")) != NULL) {
		want = strtoull(cl + 16, NULL, 10);
		known = 1;
	}
	rest = got - (size_t)(end + 4 - buf);
	if (strcmp(g->method != NULL ? g->method : "", "HEAD") == 0)
		return 0;
	for (;;) {
		if (known && have + rest > want)
			rest = (size_t)(want - have);
		if (rest > 0 && g->sink(g->sink_arg, r->status, end != NULL ?
		    end + 4 : buf, rest) == -1) {
			snprintf(r->error, sizeof r->error, "stopped");
			return -1;
		}
		have += rest;
		r->body_len = (size_t)have;
		end = NULL;
		if (known && have == want)
			return 0;
		if ((n = tls_read(g, ssl, fd, buf, max, 1, r)) == -1)
			return -1;
		if (n == 0)
			break;
		rest = (size_t)n;
	}
	if (known && have < want) {
		snprintf(r->error, sizeof r->error, "the connection closed after"
		    " %llu of the %llu bytes of the body", have, want);
		return -1;
	}
	return 0;
}

int
tls_get(const struct tls_get *g, struct tls_get_result *r)
{
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	char *req = NULL, *buf = NULL;
	size_t got = 0, max = TLS_HEAD_MAX + g->body_max, reqlen;
	int fd = -1, n, rc = -1;

	memset(r, 0, sizeof *r);
	ERR_clear_error();
	buf = xmalloc(max + 1);
	req = tls_request(g, &reqlen);
	if (g->use_tls && g->client != NULL) {
		ctx = (SSL_CTX *)g->client;
		SSL_CTX_up_ref(ctx);
	} else if (g->use_tls && (ctx = tls_client_ctx(g, r)) == NULL)
		goto out;
	if ((fd = tls_connect(g, r)) == -1)
		goto out;
	if (g->use_tls) {
		if ((ssl = SSL_new(ctx)) == NULL ||
		    SSL_set_fd(ssl, fd) != 1 ||
		    SSL_set_tlsext_host_name(ssl, g->host) != 1 ||
		    SSL_set1_host(ssl, g->host) != 1) {
			tls_errors(r->error, sizeof r->error);
			goto out;
		}
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if ((n = SSL_connect(ssl)) != 1) {
			tls_ssl_failure(ssl, n, "TLS handshake", g->timeout_ms,
			    r->error, sizeof r->error);
			goto out;
		}
		snprintf(r->protocol, sizeof r->protocol, "%s",
		    SSL_get_version(ssl));
		tls_thumbprint(SSL_get0_peer_certificate(ssl), r->thumbprint);
		if ((n = SSL_write(ssl, req, (int)reqlen)) != (int)reqlen) {
			tls_ssl_failure(ssl, n, "sending the request",
			    g->timeout_ms, r->error, sizeof r->error);
			goto out;
		}
	} else if (write(fd, req, reqlen) != (ssize_t)reqlen) {
		snprintf(r->error, sizeof r->error, "sending the request"
		    " failed: %s", strerror(errno));
		goto out;
	}
	if (g->sink != NULL) {
		rc = tls_stream(g, ssl, fd, buf, max, r);
		if (rc == 0 && ssl != NULL)
			SSL_shutdown(ssl);
		goto out;
	}
	/* Read up to the end of the headers (or, with body_max, of the
	 * connection: the request said Connection: close). */
	while (got < max) {
		if (g->use_tls) {
			n = SSL_read(ssl, buf + got, (int)(max - got));
			if (n <= 0) {
				int code = SSL_get_error(ssl, n);
				if (code == SSL_ERROR_ZERO_RETURN ||
				    (code == SSL_ERROR_SYSCALL && errno == 0 &&
				    got > 0)) {
					ERR_clear_error();
					break;
				}
				tls_ssl_failure(ssl, n, "reading the response",
				    g->timeout_ms, r->error, sizeof r->error);
				goto out;
			}
		} else {
			n = read(fd, buf + got, max - got);
			if (n == 0)
				break;
			if (n < 0) {
				if (errno == EINTR)
					continue;
				snprintf(r->error, sizeof r->error, "reading the"
				    " response failed: %s", errno == EAGAIN ?
				    "no answer in time" : strerror(errno));
				goto out;
			}
		}
		got += n;
		buf[got] = '\0';
		if (g->body_max == 0 && strstr(buf, "\r\n\r\n") != NULL)
			break;
	}
	buf[got] = '\0';
	if (got == max && g->body_max > 0) {
		snprintf(r->error, sizeof r->error, "the response is larger"
		    " than %zu bytes", max);
		goto out;
	}
	if (got == 0) {
		snprintf(r->error, sizeof r->error, "the server closed the"
		    " connection without a response");
		goto out;
	}
	if (tls_status_line(buf, r) == -1) {
		snprintf(r->error, sizeof r->error, "the response does not"
		    " start with an HTTP/1.x status line");
		goto out;
	}
	if (g->body_max > 0 && tls_split(buf, got, r) == -1)
		goto out;
	rc = 0;
	if (ssl != NULL)
		SSL_shutdown(ssl);
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd != -1)
		close(fd);
	free(req);
	free(buf);
	ERR_clear_error();
	return rc;
}

/* struct tls_client is an SSL_CTX: the type only keeps OpenSSL out of
 * tls.h. */
struct tls_client *
tls_client_new(const struct tls_get *g, char *err, size_t errlen)
{
	struct tls_get_result r;
	SSL_CTX *ctx;

	memset(&r, 0, sizeof r);
	if ((ctx = tls_client_ctx(g, &r)) == NULL)
		snprintf(err, errlen, "%s", r.error);
	return (struct tls_client *)ctx;
}

void
tls_client_free(struct tls_client *c)
{
	SSL_CTX_free((SSL_CTX *)c);
}
