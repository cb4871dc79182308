/*
 * client: ehttp-client, a Configuration Manager client built from the
 * public wire format only: its own key and self-signed certificate,
 * registration at a management point, tokens from /CCM_STS and requests
 * with them. It never reads the site database: it reaches the MP over
 * HTTPS (backend/tls/), verifying its chain against the site's root and
 * its name; messages are backend/wire/'s, signatures backend/ca/'s.
 *
 * What it keeps, in its state directory (0700):
 *   master        the passphrase its key is encrypted with (0600)
 *   key.p8        its RSA 2048 key, encrypted PKCS#8 (0600)
 *   cert.der      its self-signed certificate (SMS Encryption and SMS
 *                 Signing EKUs)
 *   state         smsid=, approval=, mp=, token_expires=,
 *                 content_expires= lines
 *   token         the last CCM token (0600)
 *   site-token    the last site token (0600)
 *   content-token the last content access token (0600): for the
 *                 distribution points, bound to cert.der
 *   logs/         ClientIDManagerStartup.log, CcmMessaging.log,
 *                 LocationServices.log (CMTrace)
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <stdio.h>
#include <time.h>

/* Exit codes of ehttp-client. */
#define CLIENT_OK		0
#define CLIENT_REFUSED		1	/* the MP said no (pending, 401, 403) */
#define CLIENT_USAGE		2
#define CLIENT_NETWORK		3	/* unreachable, TLS, bad reply */
#define CLIENT_LOCAL		4	/* the state directory, --dest */
#define CLIENT_HASH		5	/* download: a file's SHA-256 differs */
#define CLIENT_STOPPED		6	/* download: Ctrl-C (partial kept) */

/* --resolve HOST:PORT:ADDR, as curl's: HOST at PORT is reached at ADDR
 * (its certificate still verified for HOST). */
struct client_resolve {
	char	host[256];
	int	port;
	char	addr[64];
};
#define CLIENT_RESOLVE_MAX	16

struct tls_client;

struct client_opts {
	const char	*mp;		/* the MP's FQDN */
	int		 port;		/* 443 */
	const char	*connect;	/* numeric address to reach it at */
	int		 connect_port;
	const char	*root;		/* PEM file: the site's trusted root */
	const char	*bulk_token;	/* file, or NULL */
	const char	*state;		/* the state directory */
	const char	*name;		/* the client's name (host name) */
	int		 token_type;	/* token: CLIENT_TOKEN_* */
	int		 json;
	int		 renew;		/* content-headers: a new token if due */
	int		 timeout_ms;
	struct tls_client *tls;		/* trust made once (load), or NULL:
					 * root read for each request */
	const struct client_resolve *resolve;
	size_t		 nresolve;
	/* download */
	const char	*package;	/* its id (its current version) */
	const char	*dest;		/* the folder it goes to */
	/* load */
	const char	*identities;	/* keys and certificates; state */
	int		 clients;
	int		 duration_s;
	int		 interval_s;	/* between one client's polls */
	int		 until;		/* CLIENT_LOAD_* */
	int		 workers;	/* threads sending requests */
	FILE		*out;
	FILE		*err;
};

/* What `token` asks /CCM_STS for. */
#define CLIENT_TOKEN_CCM	0	/* the CCM token (8 hours) */
#define CLIENT_TOKEN_SITE	1	/* ?Type=SiteToken (90 days) */
#define CLIENT_TOKEN_CONTENT	2	/* ?Type=ContentAccessToken (8 h) */

int	 client_register(const struct client_opts *);
int	 client_token(const struct client_opts *);
int	 client_poll(const struct client_opts *);
int	 client_show(const struct client_opts *);
/* The headers of a distribution point request (client-int.h,
 * client_content_headers) with the content access token held, printed
 * ("Name: value" lines, or JSON); a new token first only with o->renew
 * (when the one held is missing or ends within a minute). */
int	 client_content_headers_print(const struct client_opts *);

/*
 * download (download.c): the package's locations from the MP
 * (ContentLocationRequest), a content access token (renewed when due),
 * PROPFIND Depth 1 on the first token URL (and each sub-folder), then a
 * GET of each file into o->dest: written under a temporary name
 * (.ehttp-<sha256>.part beside it), resumed with Range after an
 * interruption, its SHA-256 checked against the listing's, renamed into
 * place; a file whose hash differs is deleted (CLIENT_HASH). Logs
 * LocationServices.log, ContentTransferManager.log,
 * DataTransferService.log and CAS.log.
 */
int	 client_download(const struct client_opts *);

/*
 * Many clients (load.c): each its own key and certificate, kept in the
 * state directory between runs; turns spread evenly over the poll interval
 * (or, up to register or token, over the duration); requests, errors and
 * latency percentiles printed (JSON with o->json). CLIENT_OK when no
 * request failed.
 */
#define CLIENT_LOAD_REGISTER	0
#define CLIENT_LOAD_TOKEN	1
#define CLIENT_LOAD_POLL	2
#define CLIENT_LOAD_KEYS	3	/* only make the identities */
#define CLIENT_LOAD_DOWNLOAD	4	/* register, token, download
					 * o->package (into o->dest/NAME, or
					 * verified and discarded) */
int	 client_load_run(const struct client_opts *);

#endif
