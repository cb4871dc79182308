/*
 * mpd: the management-point agent (ehttp-mpd) for one site system.
 *
 * Every poll it reads its site's settings and its certificate from the
 * database (agent.h). While it has a certificate to bind (PKI preferred,
 * else the SMS Role SSL Certificate while enhanced HTTP is on) it serves
 * TLS on its HTTPS address; a new certificate replaces the old one for new
 * connections without closing the listener; with none it closes the HTTPS
 * listener (the port stays reserved: connections are refused). HTTP is
 * served all the time. Both answer GET /SMS_MP/.sms_aut?MPLIST (the site's
 * management points, see agent.h) and ?MPCERT (the site's current SMS
 * Issuing root certificate, PEM); anything else is 404, methods other than
 * GET and HEAD are refused (501); HEAD gets GET's headers without the body.
 * Slow clients are cut off (handshake and header deadlines) and open
 * connections are capped (mpd-http.c). A system with the distribution
 * point role also serves its content library (mpd-dp.c, dp.h) under
 * /SMS_DP_SMSPKG$/ and the other DP folders, logged in smsdpcontent.log.
 * A system with the SMS Provider role serves the administration service
 * (backend/admin/, admin.h) under /AdminService/ over TLS, logged in
 * adminservice.log, at most cfg.admin_rate_ip requests a second from one
 * address and cfg.admin_rate_total in all (429 beyond: mpd-admin.c).
 *
 * With cfg.user (run as root) the files are opened as that user, the ports
 * are bound as root, then the agent drops to that user for good (no
 * capabilities left). One agent per site system: a lease in the database
 * (mpd-db.c). A database file replaced under it (a restore with mv) is
 * reopened at the next poll.
 *
 * Every check interval it requests ?MPLIST from itself over TLS (over HTTP
 * while it serves no TLS) in a thread of its own, verifying the served
 * chain against the site's current SMS Issuing root (plus --ca-file) and
 * the host name, and logs
 *   Call to HttpSendRequestSync succeeded for port N with status code 200,
 *   text: OK
 * or "... failed for port N with status code S, text: T" / "... failed
 * for port N: REASON". Binding changes and health results go to
 * mpcontrol.log (component SMS_MP_CONTROL_MANAGER) and to the database
 * (agent row; a status message for each binding change and each change of
 * health); a busy database is retried at the next poll.
 */
#ifndef MPD_H
#define MPD_H

#include <sys/socket.h>

#include <stddef.h>

#define MPD_HTTPS_DEFAULT	"0.0.0.0:443"
#define MPD_HTTP_DEFAULT	"0.0.0.0:80"
#define MPD_POLL_DEFAULT	60
#define MPD_CHECK_DEFAULT	60
#define MPD_INTERVAL_MAX	86400
#define MPD_LOG_MAX_DEFAULT	((size_t)5 * 1024 * 1024)
#define MPD_LOG_NAME		"mpcontrol.log"
#define MPD_CHECK_TIMEOUT_MS	5000
#define MPD_HANDSHAKE_DEFAULT	10	/* seconds for a TLS handshake */
#define MPD_HEADER_DEFAULT	10	/* seconds for a request's headers */
#define MPD_MAX_CONNS_DEFAULT	512
#define MPD_MAX_CONNS_MAX	65536
#define MPD_WORKERS_MAX		64
/* The administration service's request rates (per second): per client
 * address, and for the provider (the documented ceiling). */
#define MPD_ADMIN_RATE_IP	200
#define MPD_ADMIN_RATE_TOTAL	5000
#define MPD_ADMIN_RATE_MAX	1000000

/* A listening address: "ADDR:PORT", "[IPv6]:PORT" or "PORT" (all IPv4
 * addresses). ADDR is numeric; PORT 0 lets the system choose. */
struct mpd_addr {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	char			 text[80];	/* as given, normalised */
};
int	 mpd_addr_parse(const char *, struct mpd_addr *, char **cause);

struct mpd_config {
	const char	*db_path;
	const char	*fqdn;
	struct mpd_addr	 https;
	struct mpd_addr	 http;
	const char	*log_dir;
	const char	*ca_file;	/* more roots for the health check */
	int		 poll_s;
	int		 check_s;
	size_t		 log_max;	/* roll mpcontrol.log at; 0 never */
	int		 echo;		/* also print warnings/errors (stderr) */
	const char	*user;		/* bind as root, then run as; NULL */
	int		 handshake_s;	/* TLS handshake deadline */
	int		 header_s;	/* request headers deadline */
	int		 max_conns;	/* open connections at most */
	int		 workers;	/* connection threads; 0: one a CPU */
	const char	*content;	/* the content root; NULL: dp.h's rule */
	/* The enrollment file (ehttp.h, "Agents on other hosts"): the keys
	 * come sealed to it; NULL: read with the master key. */
	const char	*enroll_key;
	int		 admin_rate_ip;		/* 0: MPD_ADMIN_RATE_IP */
	int		 admin_rate_total;	/* 0: MPD_ADMIN_RATE_TOTAL */
};

struct mpd;

/* Connection workers when cfg.workers is 0: one a CPU online. */
int		 mpd_workers_default(void);

/*
 * Open the log and the database, bind both ports, do the first poll and
 * bind the certificate if there is one. NULL with *cause (malloc'ed) on
 * failure: a port in use, an unknown site system, a certificate whose key
 * is missing or does not match, an unreadable database.
 */
struct mpd	*mpd_new(const struct mpd_config *, char **cause);
/* Serve until SIGTERM or SIGINT (SIGHUP: poll now), then record the stop.
 * Returns 0. */
int		 mpd_run(struct mpd *);
void		 mpd_free(struct mpd *);	/* NULL ok */

#endif
