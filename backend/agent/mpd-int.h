/* mpd internals shared by mpd.c, mpd-http.c and mpd-check.c. */
#ifndef MPD_INT_H
#define MPD_INT_H

#include <sys/types.h>

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "agent.h"
#include "cmlog.h"
#include "ehttp.h"
#include "mpd.h"
#include "tls.h"

struct event;
struct event_base;
struct mpd_conn;
struct mp_verifier;

/* The management point's own logs, beside mpcontrol.log. */
enum mpd_mplog {
	MPD_LOG_REG,		/* MP_RegistrationManager.log */
	MPD_LOG_STS,		/* CCM_STS.log */
	MPD_LOG_LOC,		/* MP_Location.log */
	MPD_MPLOG_MAX
};
extern const char *const mpd_mplog_names[MPD_MPLOG_MAX];

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

/* Database writes not done yet (retried while the database is busy). */
#define MPD_EVENTS_MAX	AGENT_EVENTS_MAX

struct mpd {
	struct mpd_config	 cfg;
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
	char			 bind_error[512];
	char			 no_tls_reason[1024];

	int			 health_known;
	int			 health_ok;
	struct mpd_check	 check;
	struct agent_report	 pend;		/* not written yet */
	char			 db_error[512];	/* the failure last logged */

	/* The lease (mpd-db.c) and the database file. */
	char			 host[256];	/* gethostname() */
	time_t			 started;
	int			 lease_claimed;	/* at start */
	int			 lease_lost;	/* another agent took over */
	int			 db_gone;	/* path deleted, logged */
	char			 reopen_error[512];

	/* Open connections (mpd-http.c). */
	struct mpd_conn		*conns;
	size_t			 nconns;
	size_t			 conn_refused;	/* in this burst */
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

/* mpd-db.c: write what is pending, with the agent row as it is now, in
 * one transaction: 0, or -1 and it stays pending for the next flush. */
int	 mpd_flush(struct mpd *);
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
/* Bind (reserve) the port; records the actual port. */
int	 mpd_listener_reserve(struct mpd_listener *, char **cause);
int	 mpd_listener_start(struct mpd_listener *, char **cause);
/* Stop listening; the port stays reserved (-1 if that failed: cause). */
int	 mpd_listener_stop(struct mpd_listener *, char **cause);
int	 mpd_listener_serving(const struct mpd_listener *);

/* mpd-check.c: the health check. */
int	 mpd_check_init(struct mpd *, char **cause);
void	 mpd_check_start(struct mpd *);
/* Wait for a check in flight and drop its result (shutdown). */
void	 mpd_check_wait(struct mpd *);
void	 mpd_check_free(struct mpd *);

#endif
