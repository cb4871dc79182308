/*
 * client-int.h: what ehttp-client's one-client commands (client.c) and its
 * load mode (load.c) share: a client in memory and the messages it sends.
 */
#ifndef CLIENT_INT_H
#define CLIENT_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include "ca.h"
#include "wire.h"

/* One client: its identity (the state directory's, or one of the load
 * mode's) and what registration and tokens gave it. */
struct client {
	const struct client_opts *o;	/* the MP, the error stream */
	const char	*name;		/* its name (FQ Name, Netbios Name) */
	char		 master[80];	/* the passphrase of key */
	struct ca_blob	 cert;		/* self-signed, DER */
	struct ca_blob	 key;		/* encrypted PKCS#8 */
	struct ca_key	*pk;		/* key, decrypted once; or NULL */
	char		 smsid[64];
	int		 approval;	/* -1: not registered */
	char		 mp[256];
	time_t		 token_expires;
	time_t		 content_expires;	/* the content access token */
	/* A load mode client (load.c): its content access token held here,
	 * never in a state directory (o->state is then NULL: no logs
	 * either, and o->err NULL: nothing said). */
	int		 memory;
	char		*content_token;
};

/* The state directory read into c (with create, an identity made if it
 * has none): CLIENT_OK or an exit code (said). client_free clears it. */
int	 client_load(struct client *c, const struct client_opts *, int create);
void	 client_free(struct client *c);

/* "ehttp-client: <message>" on o->err, filtered (it may quote the MP). */
void	 client_say(const struct client_opts *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* One CMTrace record in the state directory's log name (its component
 * the name without ".log"); the text is escaped by the writer. */
void	 client_log(const struct client_opts *, const char *name, int type,
	    const char *, ...) __attribute__((format(printf, 4, 5)));

/* One request to the MP over HTTPS; CLIENT_OK with the response in *r
 * (any status), else CLIENT_NETWORK (said, and in CcmMessaging.log). */
struct tls_get_result;
int	 client_request(const struct client_opts *, const char *method,
	    const char *path, const char *headers, const void *body,
	    size_t len, struct tls_get_result *r);
/* A refusal: the status, the server's reason (WWW-Authenticate, or the
 * body's first line), on stderr and in CcmMessaging.log; CLIENT_REFUSED. */
int	 client_refused(const struct client_opts *, const char *what,
	    const struct tls_get_result *r);

/* A file of at most max bytes: 1 read (*p malloc'ed, NUL after), 0 it
 * does not exist, -1 error (said). */
int	 client_read_file(const struct client_opts *, const char *path,
	    size_t max, unsigned char **p, size_t *len);

/* A new key passphrase: 64 hex digits of the CSPRNG into out (len >= 65).
 * 0, or -1 (said). */
int	 client_passphrase(const struct client_opts *, char *out, size_t len);

/* "Authorization: Bearer <token>\r\n" from o->bulk_token, "" without
 * one; malloc'ed, or NULL (said: unreadable, not a token). */
char	*client_bulk_header(const struct client_opts *);

/* The body of a registration request of c, signed: 0, or -1 (said). */
int	 client_reg_body(struct client *, struct wire_bytes *);

/* "ClientToken: ...\r\nClientTokenSignature: ...\r\n" signed now, for
 * /CCM_STS; malloc'ed, or NULL (said). */
char	*client_proof_headers(struct client *);

/*
 * What a distribution point request carries (the CCMTOKENAUTH_* folders):
 *   Authorization: Bearer <content access token>
 *   ClientToken: GUID:<uuid>;<yyyy-mm-ddThh:mm:ssZ>;2
 *   ClientTokenSignature: <hex>
 *   ClientTokenCertificate: <hex of cert.der>
 * each line ending in CRLF, the ClientToken signed now. With renew, a new
 * content access token first when the one held is missing or ends within
 * a minute. CLIENT_OK with *headers (malloc'ed: it holds a credential,
 * clear it before free), or an exit code (said).
 */
int	 client_content_headers(struct client *, int renew, char **headers);

/*
 * One download of c->o->package by c (download.c): what `download` does, and
 * what each client of `load --download` does. With dest NULL nothing is
 * written: each file's SHA-256 is checked as it streams. stop, read as
 * the bytes arrive, ends it early (CLIENT_STOPPED). The exit code, with
 * what happened in *res.
 */
struct client_dl_res {
	const char	*step;		/* where it failed: "location",
					 * "content-token", "propfind", "get",
					 * "hash", "local" */
	int		 status;	/* a refusal's HTTP status, or 0 */
	size_t		 files;
	unsigned long long bytes;	/* the package's */
	unsigned long long fetched;	/* transferred */
	char		 why[1024];	/* the failure */
};
int	 client_download_one(struct client *, const char *dest,
	    atomic_int *stop, struct client_dl_res *);

/* The JSON /CCM_STS answers ({"token":...,"expires_in":seconds}): 0 with
 * *token malloc'ed, or -1 it is not that. */
int	 client_token_reply(const unsigned char *, size_t, char **token,
	    long long *expires_in);

#endif
