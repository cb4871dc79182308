/* tls: server contexts for the agent (tls.h); the client is tls-client.c. */
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

#include "tls-int.h"
#include "xmalloc.h"

/* TLS 1.2 suites: ECDHE key exchange with AEAD only (TLS 1.3 has its own). */
#define TLS_CIPHERS_12 \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define TLS_SESSION_ID_CTX	"ehttp-mpd"

struct tls_server {
	SSL_CTX	*ctx;
};


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


/*
 * The certificate (n 0) or chain certificate n (from 1) parsed from d and
 * put into ctx: 0, or -1 with why in *cause.
 */
/* Never prompt for a pass phrase: keys handed to us are unencrypted. */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

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

