/* mpd internals shared by mpd.c, mpd-http.c and mpd-check.c. */
#ifndef MPD_INT_H
#define MPD_INT_H

#include <sys/types.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "agent.h"
#include "cmlog.h"
#include "ehttp.h"
#include "mpd.h"
#include "tls.h"

struct admin_state;
struct dp_lib;
struct event;
struct event_base;
struct mp_answer;
struct mp_reg;
struct mp_request;
struct mp_verifier;
struct mpd_conn;

/* The roles' own logs, beside mpcontrol.log. */
enum mpd_mplog {
	MPD_LOG_REG,		/* MP_RegistrationManager.log */
	MPD_LOG_STS,		/* CCM_STS.log */
	MPD_LOG_LOC,		/* MP_Location.log */
	MPD_LOG_DP,		/* smsdpcontent.log: the DP's content */
	MPD_LOG_ADMIN,		/* adminservice.log: the SMS Provider's API */
	MPD_MPLOG_MAX
};
extern const char *const mpd_mplog_names[MPD_MPLOG_MAX];
extern const char *const mpd_mplog_comps[MPD_MPLOG_MAX];

#define MPD_HTTP_MAX_HEADERS	16384	/* a request's header block */

/* One request as read (mpd-http.c). */
struct mpd_req {
	const char		*method;
	const char		*target;
	const char		*block;		/* the header block */
	const unsigned char	*body;
	size_t			 len;
	int			 head;
};

/* A reply's body from a file: len bytes from off of fd (the reply's
 * owner closes fd; the connection streams from a copy of it). */
struct mpd_file {
	int		 set;
	int		 fd;
	uint64_t	 off;
	uint64_t	 len;
};

/* One reply. */
struct mpd_reply {
	int		 code;
	const char	*reason;
	const char	*type;
	const char	*body;		/* text, or len bytes when len > 0 */
	size_t		 len;
	const char	*allow;		/* Allow: header, or NULL */
	const char	*www_auth;	/* WWW-Authenticate: header, or NULL */
	/* Set by the routes that need them (mpd_reply_release frees): */
	char		*headers;	/* more header lines, each ending CRLF */
	char		*owned;		/* body is this text, malloc'ed */
	int		 no_body;	/* 304: no body, no Content-Length */
	struct mpd_file	 file;		/* the body is this file's bytes */
};
/* A plain-text reply's initializer. */
#define MPD_TEXT(c, why, text) \
	{ .code = (c), .reason = (why), .type = "text/plain", .body = (text) }
void	 mpd_reply_set(struct mpd_reply *, int code, const char *reason,
	    const char *type, const char *body);

/* mpd-http.c, for the routes in other files: a header's value (trimmed,
 * in buf) or NULL; the agent and the listener of a connection; its peer
 * ("127.0.0.1:5555"); what backend/mp/ reads of a request (the headers
 * copied: mpd_mp_request_clear frees them). */
const char	*mpd_header(const char *block, const char *name, char *buf,
		    size_t len);
int		 mpd_header_count(const char *block, const char *name);
struct mpd	*mpd_conn_agent(const struct mpd_conn *);
int		 mpd_conn_tls(const struct mpd_conn *);
const char	*mpd_conn_peer(const struct mpd_conn *);
void		 mpd_mp_request(struct mpd_conn *, const struct mpd_req *,
		    struct mp_request *);
void		 mpd_mp_request_clear(struct mp_request *);
/* The reason phrase of an HTTP status. */
const char	*mpd_reason(int status);

/* mpd-dp.c: the distribution point's folders (SMS_DP_SMSPKG$ and the
 * others, dp.h). The route takes what it reads of the agent's state under
 * mpd.lock itself; the files are served without it. */
int	 mpd_dp_serve(struct mpd_conn *, const struct mpd_req *,
	    struct mpd_reply *, struct mp_answer *);
/* At each poll (lock held): what the role says now, logged when it
 * changes; the manifests nobody asked for are let go. */
void	 mpd_dp_poll(struct mpd *, const struct agent_view *);
/* At start (m->e open): the DP's library where the library says it is
 * (--content, else the default content root: content.h). */
int	 mpd_dp_open(struct mpd *, char **cause);

/* mpd-admin.c: /AdminService/ (admin.h), served without mpd.lock. */
struct mpd_rates;
int	 mpd_admin_serve(struct mpd_conn *, const struct mpd_req *,
	    struct mpd_reply *, struct mp_answer *);
/* Close the service's database handle (the main loop, before letting a
 * replaced file go; reopened at the next request). */
void	 mpd_admin_close(struct mpd *);
void	 mpd_admin_free(struct mpd *);

/* A port: bound (and reserved) all the time, listening while served. */
struct mpd_listener {
	struct mpd			*m;
	const char			*what;		/* "HTTP" "HTTPS" */
	struct mpd_addr			 addr;		/* actual port after bind */
	int				 port;
	char				 check_addr[64];	/* to connect to */
	int				 fd;		/* bound; -1 none */
	struct event			*accept_ev;	/* listening */
	int				 tls;
};

/* The health check in flight (a thread of its own). */
struct mpd_check {
	int			 running;
	pthread_t		 thread;
	int			 pipe[2];
	struct event		*done_ev;
	struct tls_get		 req;
	char			 addr[64];
	char			 host[256];
	unsigned char		*root;
	struct tls_der		*anchors;	/* copies the thread owns */
	size_t			 nanchors;
	char			*ca_file;
	struct tls_get_result	 res;
	int			 rc;
	int			 port;
	char			 bound_tp[41];	/* served when it started */
	char			 expect_tp[41];	/* what should be served */
};

/*
 * A connection worker: a thread with an event loop of its own, serving the
 * connections the main loop accepted and handed to it through its pipe
 * (mpd-workers.c). The TLS handshakes and the HTTP of its connections run
 * there, in parallel with the other workers'; what a request reads of the
 * agent's state (mpd.lock) is read under the lock.
 */
struct mpd_worker {
	struct mpd		*m;
	pthread_t		 thread;
	int			 started;
	struct event_base	*base;
	int			 pipe[2];	/* main -> worker: fds, stop */
	struct event		*pipe_ev;
	struct mpd_conn		*conns;		/* open here (mpd-http.c) */
};

/* What the main loop and the committer tell a worker through its pipe. */
enum mpd_msg_type {
	MPD_MSG_HTTP,		/* fd: a connection accepted on the HTTP port */
	MPD_MSG_HTTPS,		/* fd: on the HTTPS port */
	MPD_MSG_DONE,		/* p: a registration committed, to answer */
	MPD_MSG_STOP,
};
struct mpd_pending;
struct mpd_msg {			/* smaller than PIPE_BUF: written whole */
	enum mpd_msg_type	 type;
	int			 fd;
	struct mpd_pending	*p;
};

/*
 * A registration checked and waiting for its commit (mpd-commit.c): its
 * connection waits without blocking its worker, and the committer stores
 * every registration that arrived meanwhile in one transaction, one write
 * to disk for all. The worker owns it again once the committer posted it
 * back (MPD_MSG_DONE); conn is NULL if the connection closed meanwhile.
 */
struct mpd_pending {
	struct mp_reg		*reg;
	struct mpd_worker	*w;
	struct mpd_conn		*conn;
	int			 rc;		/* EHTTP_REG_*, or -1 */
	struct db_client	 cl;
	char			 error[512];	/* rc -1 */
	struct mpd_pending	*next;
};

/* The committer: a thread with a database handle of its own, so that a
 * commit (a sync to disk) never holds mpd.lock. */
#define MPD_COMMIT_BATCH	256
struct mpd_commit {
	int			 set_up;	/* the locks made */
	pthread_t		 thread;
	int			 started;
	pthread_mutex_t		 lock;		/* the queue */
	pthread_cond_t		 cond;
	struct mpd_pending	*head;
	struct mpd_pending	**tail;
	char			**seen;		/* clients' last contacts */
	size_t			 nseen;
	int			 stopping;
	/* Held while a batch is stored: the main loop takes it to close
	 * and reopen the handle (a database file replaced). */
	pthread_mutex_t		 db_lock;
	struct ehttp		*e;		/* NULL: not open */
};

/* Database writes not done yet (retried while the database is busy). */
#define MPD_EVENTS_MAX	AGENT_EVENTS_MAX

struct mpd {
	struct mpd_config	 cfg;
	/*
	 * The database handle, the verifier and what the last poll read
	 * are written by the main loop only, with the lock held; a worker
	 * holds it while it reads them or uses the handle (one request at a
	 * time; registrations are stored by the committer, without it).
	 */
	pthread_mutex_t		 lock;
	pthread_mutex_t		 tls_lock;	/* the tls pointer alone: a
						 * handshake never waits for a
						 * request's commit */
	char			*db_path;
	char			*log_dir;
	char			*ca_file;
	char			 fqdn[256];
	struct ehttp		*e;
	struct cmlog		*log;
	struct cmlog		*mplog[MPD_MPLOG_MAX];
	/* Checks clients' tokens (backend/mp/); NULL until a poll made it. */
	struct mp_verifier	*verifier;
	char			 verifier_error[512];	/* logged */
	struct event_base	*base;
	struct mpd_listener	 https;
	struct mpd_listener	 http;
	struct tls_server	*tls;		/* serving TLS with; NULL: not */
	struct tls_server	*refuse;	/* no certificate: handshakes fail */
	struct event		*poll_ev;
	struct event		*check_ev;
	struct event		*sig_ev[3];
	int			 stopping;

	/* From the last good poll. */
	int64_t			 system_id;
	int64_t			 site_id;
	char			 site_code[4];
	char			*mplist;	/* served bodies */
	char			*mplist1;
	char			*mpkeyinfo;
	char			*sitesigncert;
	char			*root_pem;
	unsigned char		*root_der;	/* ?MPCERT (unblocked root) */
	size_t			 root_der_len;
	struct ehttp_der	*anchors;	/* the health check's trust */
	size_t			 nanchors;
	/* What ehttp_system_serving() said at the last poll. */
	struct ehttp_serving	 serving;
	char			 serving_note[1024];	/* logged already */
	int			 fallback_tried;	/* reconcile asked */

	/* What is bound. */
	int64_t			 bound_id;
	char			 bound_tp[41];
	time_t			 bound_since;

	/* Messages already logged, not to repeat them every poll. */
	char			 poll_error[512];
	char			 mps_left_out[512];	/* as logged last */
	char			 bind_error[512];
	char			 enroll_fpr[65];	/* enrolled: its key's */
	char			 no_tls_reason[1024];

	int			 health_known;
	int			 health_ok;
	struct mpd_check	 check;
	struct agent_report	 pend;		/* not written yet */
	char			 db_error[512];	/* the failure last logged */
	struct event		*retry_ev;	/* the flush, again */
	struct timespec		 busy_since;	/* monotonic; 0: not busy */
	long			 busy_retry_ms;	/* the next retry's delay */

	/* The lease (mpd-db.c) and the database file. */
	char			 host[256];	/* gethostname() */
	time_t			 started;
	int			 lease_claimed;	/* at start */
	int			 lease_lost;	/* another agent took over */
	int			 db_gone;	/* path deleted, logged */
	char			 reopen_error[512];

	struct mpd_commit	 commit;	/* registrations (mpd-commit.c) */

	/* The distribution point (mpd-dp.c): its library (made at start,
	 * never replaced: the workers use it without the lock) and its
	 * role's settings as the last poll read them (under the lock). */
	struct dp_lib		*dp;
	int			 is_dp;
	int			 dp_anonymous;
	int			 dp_propfind;
	int			 dp_noted;	/* what was logged: -1 nothing */

	/*
	 * The administration service (mpd-admin.c). is_provider: whether
	 * the last poll found the SMS Provider role (under the lock). The
	 * rest under admin_lock, taken without mpd.lock held: the service's
	 * own database handle (opened at its first request, closed when the
	 * main loop lets a replaced file go), so that a slow query or an
	 * issuance never holds up the management point; the request rates;
	 * what admin.h keeps between requests.
	 */
	int			 is_provider;
	pthread_mutex_t		 admin_lock;
	struct ehttp		*admin_e;
	struct mpd_rates	*rates;
	struct admin_state	*admin;

	/* Connections (mpd-http.c), served by the workers (mpd-workers.c). */
	struct mpd_worker	*workers;
	int			 nworkers;
	unsigned		 next_worker;
	atomic_size_t		 nconns;	/* open, on every worker */
	atomic_size_t		 conn_refused;	/* in this burst */
	/* The source of the health check's connection (check_src, written
	 * before check_port is set) until the listener has accepted it (0:
	 * none): accepted beyond --max-connections (mpd_accept). */
	struct sockaddr_storage	 check_src;
	atomic_int		 check_port;
	int			 accept_error;	/* logged */

	/* --user: the ids to drop to; effective ids already switched. */
	char			*user;
	uid_t			 uid;
	gid_t			 gid;
	int			 user_assumed;
	int			 user_dropped;
};

/* mpd.c: mpcontrol.log (and stderr for warnings/errors with cfg.echo). */
void	 mpd_log(struct mpd *, int type, const char *file, int line,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define MPD_LOG(m, type, ...) \
	mpd_log((m), (type), __FILE__, __LINE__, __VA_ARGS__)
#define MPD_INFO(m, ...)	MPD_LOG(m, CMLOG_TYPE_INFO, __VA_ARGS__)
#define MPD_WARN(m, ...)	MPD_LOG(m, CMLOG_TYPE_WARNING, __VA_ARGS__)
#define MPD_ERROR(m, ...)	MPD_LOG(m, CMLOG_TYPE_ERROR, __VA_ARGS__)
/* A status message for the database (written with the next flush). */
void	 mpd_event(struct mpd *, const char *severity, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * mpd-db.c: write what is pending, with the agent row as it is now, in
 * one transaction: 0, or -1 and it stays pending for the next flush.
 * wait 0 (the event loop, lock held): never waits for another program's
 * write; while one holds the database the write is tried again after
 * MPD_BUSY_RETRY_MS, twice as long each time up to MPD_BUSY_RETRY_MAX_MS,
 * and said in the log once it has waited MPD_BUSY_WARN_S (as long as
 * any other write waits, db_begin()).
 */
#define MPD_BUSY_RETRY_MS	250
#define MPD_BUSY_RETRY_MAX_MS	4000
#define MPD_BUSY_WARN_S		10
int	 mpd_flush(struct mpd *, int wait);
/* Claim the lease on the site system at start: 1 ours, 0 another agent
 * holds it (*cause says who), -1 database error (*cause). */
#define MPD_LEASE_POLLS	3
int	 mpd_lease_claim(struct mpd *, char **cause);
/* At each poll: reopen the database when its file was replaced (mv over
 * it). 0 an open database to poll, -1 none (logged; retried next poll). */
int	 mpd_db_check(struct mpd *);

/* mpd-http.c: the two servers and their ports. */
int	 mpd_http_init(struct mpd *, char **cause);
void	 mpd_http_free(struct mpd *);
/* A connection accepted on l (its socket fd), served by w from now on. */
void	 mpd_conn_new(struct mpd_worker *w, struct mpd_listener *l, int fd);
/* Close every connection of w. */
void	 mpd_conns_free(struct mpd_worker *w);
/* A registration committed (or not): answer it on its connection. */
void	 mpd_conn_registered(struct mpd_pending *);

/* mpd-workers.c: start cfg.workers threads (the main loop's own thread
 * accepts); hand an accepted socket to the next (0, or -1: closed);
 * stop them, their connections closed. */
int	 mpd_workers_start(struct mpd *, char **cause);
int	 mpd_workers_hand(struct mpd *, struct mpd_listener *, int fd);
void	 mpd_workers_stop(struct mpd *);
/* Write msg to w's pipe (waits while it is full). */
void	 mpd_worker_post(struct mpd_worker *w, const struct mpd_msg *msg);

/* mpd-commit.c: open the committer's handle and start it; queue p (0, or
 * -1: stopping, p is the caller's); stop it once every queued one is
 * stored and posted back. Around replacing the database file: pause it
 * (waits for a batch in progress), resume it on the old file or with its
 * handle closed, and open it again once the new file is open (-1: still
 * closed, its registrations fail with a 500; retried at the next reopen).
 */
int	 mpd_commit_start(struct mpd *, char **cause);
int	 mpd_commit_queue(struct mpd *, struct mpd_pending *);
/* The clients a poll's verifier saw (mp_verifier_take_seen): their last
 * contact written by the committer, off mpd.lock. Takes the list. */
void	 mpd_commit_seen(struct mpd *, char **smsids, size_t n);
void	 mpd_commit_stop(struct mpd *);
void	 mpd_commit_pause(struct mpd *);
void	 mpd_commit_resume(struct mpd *, int close_db);
int	 mpd_commit_open_db(struct mpd *, char **cause);
void	 mpd_pending_free(struct mpd_pending *);
/* Bind (reserve) the port; records the actual port. */
int	 mpd_listener_reserve(struct mpd_listener *, char **cause);
int	 mpd_listener_start(struct mpd_listener *, char **cause);
/* Stop listening; the port stays reserved (-1 if that failed: cause). */
int	 mpd_listener_stop(struct mpd_listener *, char **cause);

/* mpd-check.c: the health check. */
int	 mpd_check_init(struct mpd *, char **cause);
void	 mpd_check_start(struct mpd *);
/* Wait for a check in flight and drop its result (shutdown). */
void	 mpd_check_wait(struct mpd *);
void	 mpd_check_free(struct mpd *);

#endif
