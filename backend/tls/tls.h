/*
 * tls: OpenSSL behind a small interface for ehttp-mpd (after libtls).
 *
 * A server context is made from a DER certificate, its chain and its key;
 * each connection the agent accepts gets a TLS bufferevent from the context
 * current at that moment, so replacing the context swaps the certificate
 * for new connections while the listener and the connections already open
 * stay (each connection holds a reference to the context it started with).
 * TLS 1.2 and 1.3 only, forward-secret AEAD cipher suites for TLS 1.2.
 *
 * tls_get() is the client of the agent's health check and of ehttp-client:
 * one blocking HTTP request over TLS (or plain TCP) with a timeout,
 * verifying the served chain against given trust anchors and the host
 * name. It is safe to call from a thread of its own.
 *
 * Nothing of OpenSSL crosses this header: certificates are DER bytes, the
 * key is PEM text the caller clears after use.
 */
#ifndef TLS_H
#define TLS_H

#include <stddef.h>

struct event_base;
struct bufferevent;

struct tls_der {
	const unsigned char	*data;
	size_t			 len;
};

struct tls_server;
struct tls_client;

/*
 * A server context for cert (DER) with its chain (DER, leaf's issuer first;
 * may be empty) and the unencrypted private key (PEM, PKCS#8 or
 * traditional). The key is copied into OpenSSL; the caller clears key_pem.
 * NULL with *cause (malloc'ed) on failure, e.g. a key that does not match
 * the certificate. With cert == NULL: a context that has no certificate,
 * so every handshake fails (used while no certificate is bound).
 */
struct tls_server	*tls_server_new(const struct tls_der *cert,
			    const struct tls_der *chain, size_t nchain,
			    const char *key_pem, size_t key_len, char **cause);
void			 tls_server_free(struct tls_server *);	/* NULL ok */

/*
 * A new TLS bufferevent (server side, not yet connected to a socket: the
 * caller sets it with bufferevent_setfd()) for one connection; it owns its SSL and closes the socket when
 * freed. NULL on failure.
 */
struct bufferevent	*tls_server_bufferevent(struct tls_server *,
			    struct event_base *);

/* One request (a GET unless method and body say otherwise). */
struct tls_get {
	const char		*method;	/* NULL: GET, or POST with a body */
	const char		*user_agent;	/* NULL: SMS_MP_CONTROL_MANAGER */
	const char		*headers;	/* more lines "Name: v\r\n", or NULL */
	const void		*body;		/* sent with its Content-Length */
	size_t			 body_len;
	size_t			 body_max;	/* keep a response body of at most
						 * this many bytes; 0: none */
	const char		*addr;		/* numeric IPv4 or IPv6 address */
	int			 port;
	const char		*host;		/* SNI, Host: and verified name */
	const char		*path;		/* "/SMS_MP/.sms_aut?MPLIST" */
	int			 use_tls;
	const unsigned char	*root;		/* DER trust anchor, or NULL */
	size_t			 root_len;
	const struct tls_der	*anchors;	/* more DER anchors */
	size_t			 nanchors;
	const char		*ca_file;	/* more PEM anchors, or NULL */
	int			 timeout_ms;	/* connect, handshake, each read */
	struct tls_client	*client;	/* trust made once (tls_client_new),
						 * or NULL: made from the fields
						 * above for this request */
	/* With sink (body_max is then ignored): the header block goes to
	 * the result's head and the body to sink as it arrives, never kept
	 * whole; sink gets the status and returns 0 to go on, -1 to stop
	 * (the request then fails: "stopped"). The result's body_len counts
	 * the bytes sink took. A body cut short of its Content-Length is no
	 * response (error set, status and body_len kept). */
	int			(*sink)(void *arg, int status, const void *,
				    size_t);
	void			*sink_arg;
	/* Called with the socket before it connects, or NULL: the agent's
	 * health check binds it there to learn its port. -1 (errno set)
	 * fails the request. */
	int			(*on_socket)(void *arg, int fd);
	void			*on_socket_arg;
};

struct tls_get_result {
	int	 status;		/* HTTP status; 0 if no response */
	char	 reason[128];		/* reason phrase as sent */
	char	 error[512];		/* why no response was read */
	char	 protocol[16];		/* "TLSv1.3"; "" for plain HTTP */
	char	 thumbprint[41];	/* SHA-1 of the served leaf, hex */
	char	*head;			/* with body_max: the header block */
	unsigned char *body;		/* and the body (malloc'ed, NUL after) */
	size_t	 body_len;
};
void	 tls_get_result_clear(struct tls_get_result *);

/* 0 a response was read (any status), -1 no response (result->error); a
 * body longer than body_max is no response. */
int	 tls_get(const struct tls_get *, struct tls_get_result *);

/*
 * The trust of g (root, anchors, ca_file) made once, for a caller that
 * makes many requests (ehttp-client load): loading and parsing the anchors
 * is then not paid per request. Threads may share it. NULL with the reason
 * in err.
 */
struct tls_client *tls_client_new(const struct tls_get *g, char *err,
		    size_t errlen);
void	 tls_client_free(struct tls_client *);	/* NULL ok */

#endif
