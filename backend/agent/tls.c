/* tls: server contexts for the agent and its health-check client (tls.h). */
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "tls.h"
#include "xmalloc.h"

/* TLS 1.2 suites: ECDHE key exchange with AEAD only (TLS 1.3 has its own). */
#define TLS_CIPHERS_12 \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define TLS_SESSION_ID_CTX	"ehttp-mpd"
#define TLS_RESPONSE_MAX	16384

struct tls_server {
	SSL_CTX	*ctx;
};

/* The OpenSSL error queue as one line ("" if empty); drains the queue. */
static void
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

static void __attribute__((format(printf, 2, 3)))
tls_cause(char **cause, const char *fmt, ...)
{
	char msg[512], ossl[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	tls_errors(ossl, sizeof ossl);
	if (cause == NULL)
		return;
	xasprintf(cause, "%s%s%s%s", msg, ossl[0] ? " (" : "", ossl,
	    ossl[0] ? ")" : "");
}

/* Never prompt for a pass phrase: keys handed to us are unencrypted. */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

static X509 *
tls_x509(const struct tls_der *d)
{
	const unsigned char *p = d->data;

	if (d->len > LONG_MAX)
		return NULL;
	return d2i_X509(NULL, &p, (long)d->len);
}

/*
 * The certificate (n 0) or chain certificate n (from 1) parsed from d and
 * put into ctx: 0, or -1 with why in *cause.
 */
static int
tls_use_x509(SSL_CTX *ctx, const struct tls_der *d, size_t n, char **cause)
{
	X509 *x;
	int ok;

	if ((x = tls_x509(d)) == NULL) {
		if (n == 0)
			tls_cause(cause, "the certificate cannot be parsed");
		else
			tls_cause(cause, "chain certificate %zu cannot be parsed",
			    n);
		return -1;
	}
	ok = n == 0 ? SSL_CTX_use_certificate(ctx, x) :
	    SSL_CTX_add1_chain_cert(ctx, x);
	X509_free(x);
	if (ok == 1)
		return 0;
	if (n == 0)
		tls_cause(cause, "the certificate cannot be used for TLS");
	else
		tls_cause(cause, "chain certificate %zu cannot be used", n);
	return -1;
}

/* The unencrypted PEM key put into ctx, and checked against its
 * certificate: 0, or -1 with why in *cause. */
static int
tls_use_key(SSL_CTX *ctx, const char *key_pem, size_t key_len, char **cause)
{
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	int rc = -1;

	if (key_pem == NULL || key_len == 0 || key_len > INT_MAX) {
		tls_cause(cause, "no private key");
		return -1;
	}
	if ((bio = BIO_new_mem_buf(key_pem, (int)key_len)) == NULL ||
	    (pkey = PEM_read_bio_PrivateKey(bio, NULL, tls_no_passphrase,
	    NULL)) == NULL) {
		ERR_clear_error();	/* may quote PEM lines: say less */
		tls_cause(cause, "the private key cannot be read");
		goto out;
	}
	if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		tls_cause(cause, "the private key does not match the"
		    " certificate");
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	return rc;
}

struct tls_server *
tls_server_new(const struct tls_der *cert, const struct tls_der *chain,
    size_t nchain, const char *key_pem, size_t key_len, char **cause)
{
	struct tls_server *ts = NULL;
	SSL_CTX *ctx = NULL;

	if (cause != NULL)
		*cause = NULL;
	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls_cause(cause, "cannot make a TLS context");
		goto out;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, TLS_CIPHERS_12) != 1 ||
	    SSL_CTX_set_session_id_context(ctx,
	    (const unsigned char *)TLS_SESSION_ID_CTX,
	    sizeof TLS_SESSION_ID_CTX - 1) != 1) {
		tls_cause(cause, "cannot set the TLS protocol versions or"
		    " cipher suites");
		goto out;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (cert != NULL) {
		if (tls_use_x509(ctx, cert, 0, cause) == -1)
			goto out;
		for (size_t i = 0; i < nchain; i++)
			if (tls_use_x509(ctx, &chain[i], i + 1, cause) == -1)
				goto out;
		if (tls_use_key(ctx, key_pem, key_len, cause) == -1)
			goto out;
	}
	ts = xcalloc(1, sizeof *ts);
	ts->ctx = ctx;
	ctx = NULL;
out:
	SSL_CTX_free(ctx);
	return ts;
}

void
tls_server_free(struct tls_server *ts)
{
	if (ts == NULL)
		return;
	/* Connections still open keep their own reference to the context. */
	SSL_CTX_free(ts->ctx);
	free(ts);
}

struct bufferevent *
tls_server_bufferevent(struct tls_server *ts, struct event_base *base)
{
	struct bufferevent *bev;
	SSL *ssl;

	if ((ssl = SSL_new(ts->ctx)) == NULL) {
		ERR_clear_error();
		return NULL;
	}
	bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	/* Clients that close without close_notify are no error to us. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
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
	for (unsigned i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02X", md[i]);
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

int
tls_get(const struct tls_get *g, struct tls_get_result *r)
{
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	char *req = NULL, *buf = NULL;
	size_t got = 0;
	int fd = -1, n, reqlen, rc = -1;

	memset(r, 0, sizeof *r);
	ERR_clear_error();
	buf = xmalloc(TLS_RESPONSE_MAX + 1);
	reqlen = xasprintf(&req, "GET %s HTTP/1.1\r\nHost: %s:%d\r\n"
	    "User-Agent: SMS_MP_CONTROL_MANAGER\r\nAccept: */*\r\n"
	    "Connection: close\r\n\r\n", g->path, g->host, g->port);
	if (g->use_tls && (ctx = tls_client_ctx(g, r)) == NULL)
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
		if ((n = SSL_write(ssl, req, reqlen)) != reqlen) {
			tls_ssl_failure(ssl, n, "sending the request",
			    g->timeout_ms, r->error, sizeof r->error);
			goto out;
		}
	} else if (write(fd, req, reqlen) != reqlen) {
		snprintf(r->error, sizeof r->error, "sending the request"
		    " failed: %s", strerror(errno));
		goto out;
	}
	/* Read up to the end of the headers (or of the connection). */
	while (got < TLS_RESPONSE_MAX) {
		if (g->use_tls) {
			n = SSL_read(ssl, buf + got, TLS_RESPONSE_MAX - got);
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
			n = read(fd, buf + got, TLS_RESPONSE_MAX - got);
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
		if (strstr(buf, "\r\n\r\n") != NULL)
			break;
	}
	buf[got] = '\0';
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
