/* mpd: the management-point agent's life: poll, bind, record (mpd.h). */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon.h"
#include "dp.h"
#include "mp.h"
#include "mpd-int.h"
#include "safetext.h"
#include "timefmt.h"
#include "xmalloc.h"

#define MPD_LOG_DIR_MODE	0750

int
mpd_addr_parse(const char *in, struct mpd_addr *a, char **cause)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port;
	char *end;
	long v;
	size_t hl;

	memset(a, 0, sizeof *a);
	if (in[0] == '[') {
		const char *close = strchr(in, ']');
		if (close == NULL || close[1] != ':')
			goto bad;
		hl = close - in - 1;
		port = close + 2;
		if (hl >= sizeof host)
			goto bad;
		memcpy(host, in + 1, hl);
		host[hl] = '\0';
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			goto bad;
		sin6->sin6_family = AF_INET6;
		a->len = sizeof *sin6;
	} else {
		if ((colon = strrchr(in, ':')) == NULL) {
			snprintf(host, sizeof host, "0.0.0.0");
			port = in;
		} else {
			hl = colon - in;
			if (hl >= sizeof host || hl == 0)
				goto bad;
			memcpy(host, in, hl);
			host[hl] = '\0';
			port = colon + 1;
		}
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			goto bad;
		sin->sin_family = AF_INET;
		a->len = sizeof *sin;
	}
	errno = 0;
	v = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || errno || v < 0 || v > 65535)
		goto bad;
	if (a->ss.ss_family == AF_INET6) {
		sin6->sin6_port = htons(v);
		snprintf(a->text, sizeof a->text, "[%s]:%ld", host, v);
	} else {
		sin->sin_port = htons(v);
		snprintf(a->text, sizeof a->text, "%s:%ld", host, v);
	}
	return 0;
bad:
	xasprintf(cause, "address '%.100s': must be ADDR:PORT, [IPv6]:PORT"
	    " or PORT, with a numeric address and a port from 0 to 65535",
	    in);
	return -1;
}

/* ---------------------------------------------------------------- logging */

void
mpd_log(struct mpd *m, int type, const char *file, int line, const char *fmt,
    ...)
{
	const char *base = strrchr(file, '/');
	char where[64], msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(where, sizeof where, "%s:%d", base ? base + 1 : file, line);
	if (m->log != NULL && cmlog_write(m->log, type, AGENT_COMPONENT, where,
	    "%s", msg) == -1 && m->cfg.echo)
		fprintf(stderr, "ehttp-mpd: cannot write %s: %s\n", MPD_LOG_NAME,
		    cmlog_error(m->log));
	if (m->cfg.echo && type != CMLOG_TYPE_INFO) {
		/* msg may quote what a peer sent (a reason phrase, a name). */
		char *shown = safetext_message(msg);

		fprintf(stderr, "ehttp-mpd: %s: %s\n", type ==
		    CMLOG_TYPE_WARNING ? "warning" : "error", shown);
		free(shown);
	}
}

void
mpd_event(struct mpd *m, const char *severity, const char *fmt, ...)
{
	struct agent_report *p = &m->pend;
	va_list ap;

	if (p->nevents == MPD_EVENTS_MAX) {	/* keep the newest */
		memmove(p->events[0], p->events[1], sizeof p->events[0] *
		    (MPD_EVENTS_MAX - 1));
		memmove(p->event_sev[0], p->event_sev[1],
		    sizeof p->event_sev[0] * (MPD_EVENTS_MAX - 1));
		p->nevents--;
	}
	snprintf(p->event_sev[p->nevents], sizeof p->event_sev[0], "%s",
	    severity);
	va_start(ap, fmt);
	vsnprintf(p->events[p->nevents], sizeof p->events[0], fmt, ap);
	va_end(ap);
	p->nevents++;
}

/* ---------------------------------------------------------------- binding */

static const char *
mpd_date(time_t t, char *buf, size_t len)
{
	timefmt(buf, len, t, TIMEFMT_MINUTE_UTC);
	return buf;
}

/* "SMS Role SSL Certificate", "PKI certificate" */
static const char *
mpd_cert_kind(const char *type)
{
	return strcmp(type, "pki") == 0 ? "PKI certificate" :
	    ehttp_cert_type_title(type);
}

/* The TLS context new connections get (NULL: handshakes fail); the old
 * one is let go (connections still open hold their own reference). */
static void
mpd_set_tls(struct mpd *m, struct tls_server *ts)
{
	struct tls_server *old;

	pthread_mutex_lock(&m->tls_lock);
	old = m->tls;
	m->tls = ts;
	pthread_mutex_unlock(&m->tls_lock);
	tls_server_free(old);
}

/* Load v's certificate and serve TLS with it; -1 with *cause on failure
 * (the previous certificate, if any, stays bound). */
static int
mpd_bind(struct mpd *m, const struct agent_view *v, char **cause)
{
	const struct db_cert *c = &v->cert;
	struct agent_material mat;
	struct tls_der leaf, chain[AGENT_CHAIN_MAX];
	struct tls_server *ts;
	int replaced = m->tls != NULL;
	char *why = NULL, exp[32], old_tp[41];

	if (agent_material_load(m->e, c, &mat) == -1) {
		xasprintf(cause, "%s", ehttp_error(m->e));
		return -1;
	}
	leaf.data = mat.cert;
	leaf.len = mat.cert_len;
	for (size_t i = 0; i < mat.nchain; i++) {
		chain[i].data = mat.chain[i];
		chain[i].len = mat.chain_len[i];
	}
	ts = tls_server_new(&leaf, chain, mat.nchain, mat.key_pem, mat.key_len,
	    &why);
	agent_material_clear(&mat);	/* cleanses the key */
	if (ts == NULL) {
		xasprintf(cause, "certificate %lld (%s for %s, thumbprint"
		    " %s): %s", (long long)c->id, mpd_cert_kind(c->type),
		    c->issued_to, c->thumbprint, why);
		free(why);
		return -1;
	}
	if (mpd_listener_start(&m->https, cause) == -1) {
		tls_server_free(ts);
		return -1;
	}
	/* New connections get the new context; open ones keep theirs. */
	mpd_set_tls(m, ts);
	snprintf(old_tp, sizeof old_tp, "%s", m->bound_tp);
	m->bound_id = c->id;
	snprintf(m->bound_tp, sizeof m->bound_tp, "%s", c->thumbprint);
	m->bound_since = time(NULL);
	mpd_date(c->not_after, exp, sizeof exp);
	if (replaced) {
		MPD_INFO(m, "Replaced the certificate on HTTPS port %d without"
		    " restarting the listener: thumbprint %s -> %s (%s issued to"
		    " %s by %s, expires %s)", m->https.port, old_tp,
		    c->thumbprint, mpd_cert_kind(c->type), c->issued_to,
		    c->issued_by, exp);
		mpd_event(m, "info", "ehttp-mpd on %s now serves %s thumbprint"
		    " %s on HTTPS port %d (was %s).", m->fqdn,
		    mpd_cert_kind(c->type), c->thumbprint, m->https.port,
		    old_tp);
	} else {
		MPD_INFO(m, "Bound the %s issued to %s by %s (thumbprint %s,"
		    " expires %s) on HTTPS port %d (%s): serving TLS 1.2 and"
		    " 1.3", mpd_cert_kind(c->type), c->issued_to,
		    c->issued_by, c->thumbprint, exp, m->https.port,
		    m->https.addr.text);
		mpd_event(m, "info", "ehttp-mpd on %s serves %s thumbprint %s"
		    " on HTTPS port %d.", m->fqdn,
		    mpd_cert_kind(c->type), c->thumbprint,
		    m->https.port);
	}
	m->no_tls_reason[0] = '\0';
	return 0;
}

static void
mpd_unbind(struct mpd *m, const char *reason)
{
	char *cause = NULL;

	if (m->tls == NULL) {
		if (strcmp(m->no_tls_reason, reason) != 0) {
			MPD_LOG(m, m->serving.needs_tls ? CMLOG_TYPE_ERROR :
			    CMLOG_TYPE_INFO, "Not serving HTTPS on port %d: %s."
			    " HTTP is served on port %d.", m->https.port, reason,
			    m->http.port);
			snprintf(m->no_tls_reason, sizeof m->no_tls_reason,
			    "%s", reason);
		}
		return;
	}
	if (mpd_listener_stop(&m->https, &cause) == -1) {
		MPD_WARN(m, "%s (the port is free for other programs until"
		    " the next poll)", cause);
		free(cause);
	}
	mpd_set_tls(m, NULL);
	MPD_LOG(m, m->serving.needs_tls ? CMLOG_TYPE_ERROR : CMLOG_TYPE_INFO,
	    "Stopped serving HTTPS on port %d (certificate thumbprint %s"
	    " unbound): %s. HTTP is served on port %d.", m->https.port,
	    m->bound_tp, reason, m->http.port);
	mpd_event(m, "info", "ehttp-mpd on %s stopped serving HTTPS on port"
	    " %d: %s.", m->fqdn, m->https.port, reason);
	snprintf(m->no_tls_reason, sizeof m->no_tls_reason, "%s", reason);
	m->bound_id = 0;
	m->bound_tp[0] = '\0';
	m->bound_since = time(NULL);
}

/* *dst takes src's string (the old one freed); src is emptied. */
static void
mpd_take(char **dst, char **src)
{
	free(*dst);
	*dst = *src;
	*src = NULL;
}

/* Keep what the handlers and the health check serve from this poll. */
static void
mpd_take_view(struct mpd *m, struct agent_view *v)
{
	m->system_id = v->system.id;
	m->site_id = v->site.id;
	m->is_provider = v->is_provider;
	snprintf(m->site_code, sizeof m->site_code, "%s", v->site.code);
	mpd_take(&m->mplist, &v->mplist);
	mpd_take(&m->mplist1, &v->mplist1);
	mpd_take(&m->mpkeyinfo, &v->mpkeyinfo);
	mpd_take(&m->sitesigncert, &v->sitesigncert);
	mpd_take(&m->root_pem, &v->root_pem);
	free(m->root_der);
	m->root_der = v->root_der;
	m->root_der_len = v->root_der_len;
	v->root_der = NULL;
	ehttp_der_list_free(m->anchors, m->nanchors);
	m->anchors = v->anchors;
	m->nanchors = v->nanchors;
	v->anchors = NULL;
	v->nanchors = 0;
	m->serving = v->serving;
}

/* A change of what the system should serve, logged once: a fallback is a
 * warning, no TLS where TLS is due an error (health means a client can
 * reach the system securely). */
static void
mpd_serving_note(struct mpd *m)
{
	const struct ehttp_serving *sv = &m->serving;

	if (strcmp(m->serving_note, sv->reason) == 0)
		return;
	snprintf(m->serving_note, sizeof m->serving_note, "%s", sv->reason);
	if (sv->health == EHTTP_HEALTH_WARNING) {
		MPD_WARN(m, "%s", sv->reason);
		mpd_event(m, "warning", "ehttp-mpd on %s: %s", m->fqdn,
		    sv->reason);
	} else if (sv->health == EHTTP_HEALTH_ERROR) {
		MPD_ERROR(m, "%s serves no TLS (%s): %s", m->fqdn,
		    sv->state_text, sv->reason);
		mpd_event(m, "error", "ehttp-mpd on %s serves no TLS: %s",
		    m->fqdn, sv->reason);
	}
}

/* The clients' token verifier, made at the first poll and reloaded at
 * every one (a renewed SMS Token Signing certificate, a client blocked:
 * in force from here). A failure is logged once; tokens are then refused
 * (503) until a poll succeeds. */
static void
mpd_verifier(struct mpd *m)
{
	int rc;

	if (m->verifier == NULL)
		rc = (m->verifier = mp_verifier_new(m->e, m->fqdn)) == NULL ?
		    -1 : 0;
	else {
		char **seen;
		size_t n;

		/* The contacts go to the committer: 25,000 clients' last
		 * contacts written here would hold every request up. */
		mp_verifier_take_seen(m->verifier, &seen, &n);
		mpd_commit_seen(m, seen, n);
		rc = mp_verifier_reload(m->e, m->verifier);
	}
	if (rc == 0) {
		if (m->verifier_error[0] != '\0')
			MPD_INFO(m, "Client tokens can be checked again");
		m->verifier_error[0] = '\0';
		return;
	}
	if (strcmp(m->verifier_error, ehttp_error(m->e)) != 0) {
		snprintf(m->verifier_error, sizeof m->verifier_error, "%s",
		    ehttp_error(m->e));
		MPD_WARN(m, "Cannot load what checks client tokens (will "
		    "retry at the next poll): %s", m->verifier_error);
	}
}

/*
 * An enrolled agent serves only once an administrator approved its key:
 * 1 (why in buf) while the enrollment waits, is for another key or is
 * gone; 0 approved (or not enrolled).
 */
static int
mpd_enroll_waits(struct mpd *m, char *buf, size_t len)
{
	struct db_enroll en;
	int rc;

	if (!ehttp_enrolled(m->e))
		return 0;
	/* A read that fails (the database going away) changes nothing:
	 * what is bound stays bound, as in any outage. */
	if ((rc = ehttp_enroll_get(m->e, m->fqdn, &en)) == -1)
		return 0;
	if (rc == 0)
		snprintf(buf, len, "this agent is not enrolled (revoked, or"
		    " never asked: ehttp-mpd --enroll)");
	else if (strcmp(en.fingerprint, m->enroll_fpr) != 0)
		snprintf(buf, len, "the enrollment of %s is for another key"
		    " (fingerprint SHA-256 %s), not this agent's (%s): run"
		    " ehttp-mpd --enroll again", m->fqdn, en.fingerprint,
		    m->enroll_fpr);
	else if (en.approved == 0)
		snprintf(buf, len, "waiting for approval: on the site server,"
		    " ehttpctl agent approve %s --fingerprint %s", m->fqdn,
		    m->enroll_fpr);
	else
		return 0;
	return 1;
}

/* One poll. At startup (cause != NULL) a failure is fatal: -1 and *cause;
 * later failures are logged and retried at the next poll. With the lock
 * held: it changes what the workers read. */
static int
mpd_poll_locked(struct mpd *m, char **cause)
{
	struct agent_view v;
	char *why = NULL, waits[512];
	int rc, ret = -1;

	/* A database file replaced since the last poll: read the new one. */
	if (cause == NULL && mpd_db_check(m) == -1)
		return 0;
	rc = agent_view_read(m->e, m->fqdn, &v);
	if (rc == -1) {
		if (cause != NULL) {
			xasprintf(cause, "%s", ehttp_error(m->e));
			goto out;
		}
		if (strcmp(m->poll_error, ehttp_error(m->e)) != 0) {
			snprintf(m->poll_error, sizeof m->poll_error, "%s",
			    ehttp_error(m->e));
			MPD_WARN(m, "Cannot read the site database (will retry"
			    " at the next poll): %s", m->poll_error);
		}
		goto out;
	}
	if (m->poll_error[0] != '\0') {
		MPD_INFO(m, "The site database can be read again");
		m->poll_error[0] = '\0';
	}
	if (rc == 0) {
		if (cause != NULL) {
			xasprintf(cause, "%s (add it with 'ehttpctl system"
			    " add')", v.no_cert_reason);
			goto out;
		}
		mpd_unbind(m, v.no_cert_reason);
		m->system_id = 0;
		m->is_provider = 0;
		mpd_dp_poll(m, &v);	/* no role: nothing served */
		ret = 0;
		goto out;
	}
	if (cause != NULL && !v.is_mp && !v.is_dp && !v.is_provider)
		MPD_WARN(m, "%s has no management point role in the site"
		    " database; serving it anyway", m->fqdn);
	if (!v.has_cert && v.serving.can_fall_back && !m->fallback_tried &&
	    ehttp_enrolled(m->e)) {
		/* Issuing needs the master key, which an enrolled agent has
		 * not: the site server's next pass issues it. */
		m->fallback_tried = 1;
		MPD_WARN(m, "%s This agent cannot issue the site-issued"
		    " certificate to fall back on (it holds no master key):"
		    " the site server (ehttp-sited) issues it.",
		    v.serving.reason);
	} else if (!v.has_cert && v.serving.can_fall_back &&
	    !m->fallback_tried) {
		/* The PKI certificate went bad and enhanced HTTP is on: have
		 * the site issue the site-issued fallback, once per state. */
		m->fallback_tried = 1;
		MPD_WARN(m, "%s Issuing a site-issued certificate to fall back"
		    " on.", v.serving.reason);
		if (ehttp_site_reconcile(m->e, v.site.id) == -1)
			MPD_ERROR(m, "Cannot issue the fallback certificate: %s",
			    ehttp_error(m->e));
		else {
			agent_view_clear(&v);
			rc = agent_view_read(m->e, m->fqdn, &v);
			if (rc != 1) {
				ret = rc == 0 ? 0 : -1;
				goto out;
			}
		}
	} else if (v.has_cert)
		m->fallback_tried = 0;
	if (strcmp(m->mps_left_out, v.mps_left_out) != 0) {
		if (v.mps_left_out[0] != '\0')
			MPD_WARN(m, "%s", v.mps_left_out);
		else
			MPD_INFO(m, "The MP list names every management point"
			    " of the site again");
		snprintf(m->mps_left_out, sizeof m->mps_left_out, "%s",
		    v.mps_left_out);
	}
	mpd_take_view(m, &v);
	mpd_dp_poll(m, &v);
	mpd_serving_note(m);
	mpd_verifier(m);
	if (!v.has_cert)
		mpd_unbind(m, v.no_cert_reason);
	else if (mpd_enroll_waits(m, waits, sizeof waits))
		mpd_unbind(m, waits);
	else if (m->tls == NULL || m->bound_id != v.cert.id ||
	    strcmp(m->bound_tp, v.cert.thumbprint) != 0) {
		if (mpd_bind(m, &v, &why) == -1) {
			if (cause != NULL) {
				*cause = why;
				goto out;
			}
			if (strcmp(m->bind_error, why) != 0) {
				snprintf(m->bind_error, sizeof m->bind_error,
				    "%s", why);
				MPD_ERROR(m, "Cannot serve HTTPS with %s%s(will"
				    " retry at the next poll)", why, m->tls ?
				    "; the previous certificate stays bound " :
				    " ");
				mpd_event(m, "error", "ehttp-mpd on %s cannot"
				    " bind %s.", m->fqdn, why);
			}
			free(why);
		} else
			m->bind_error[0] = '\0';
	}
	ret = 0;
out:
	agent_view_clear(&v);
	if (cause == NULL)
		mpd_flush(m, 0);
	return ret;
}

static int
mpd_poll(struct mpd *m, char **cause)
{
	int rc;

	pthread_mutex_lock(&m->lock);
	rc = mpd_poll_locked(m, cause);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* ------------------------------------------------------------ event loop */

static void
mpd_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	mpd_poll(arg, NULL);
}

static void
mpd_check_cb(evutil_socket_t fd, short what, void *arg)
{
	mpd_check_start(arg);
}

/* The flush that found another program writing to the database. */
static void
mpd_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mpd *m = arg;

	pthread_mutex_lock(&m->lock);
	mpd_flush(m, 0);
	pthread_mutex_unlock(&m->lock);
}

static void
mpd_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct mpd *m = arg;

	if (sig == SIGHUP) {
		MPD_INFO(m, "SIGHUP: polling the site database now");
		mpd_poll(m, NULL);
		return;
	}
	MPD_INFO(m, "Received %s: stopping", sig == SIGTERM ? "SIGTERM" :
	    "SIGINT");
	m->stopping = 1;
	event_base_loopbreak(m->base);
}

static int	mpd_events(struct mpd *, char **);

/* ------------------------------------------------------------- privileges */

/* Act as cfg.user (effective ids only) while the files are opened, so
 * every file is opened and created as the user the agent will run as. */
static int
mpd_user_assume(struct mpd *m, char **cause)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(m->cfg.user)) == NULL) {
		xasprintf(cause, "--user %s: %s", m->cfg.user, errno ?
		    strerror(errno) : "no such user");
		return -1;
	}
	if (pw->pw_uid == 0) {
		xasprintf(cause, "--user %s: that user is root; name an"
		    " unprivileged user", m->cfg.user);
		return -1;
	}
	m->uid = pw->pw_uid;
	m->gid = pw->pw_gid;
	if (geteuid() != 0) {
		if (geteuid() == m->uid)
			return 0;	/* already that user */
		xasprintf(cause, "--user %s: only root can change user"
		    " (started as uid %d)", m->cfg.user, (int)geteuid());
		return -1;
	}
	if (initgroups(pw->pw_name, m->gid) == -1 || setegid(m->gid) == -1 ||
	    seteuid(m->uid) == -1) {
		xasprintf(cause, "--user %s: cannot change to uid %d gid %d:"
		    " %s", m->cfg.user, (int)m->uid, (int)m->gid,
		    strerror(errno));
		return -1;
	}
	m->user_assumed = 1;
	return 0;
}

/* /proc/self/status "Name:\t<hex>" as a number; -1 if absent. */
static long long
mpd_proc_caps(const char *name)
{
	char line[256];
	long long v = -1;
	size_t nl = strlen(name);
	FILE *f;

	if ((f = fopen("/proc/self/status", "re")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, name, nl) == 0 && line[nl] == ':') {
			v = strtoll(line + nl + 1, NULL, 16);
			break;
		}
	fclose(f);
	return v;
}

/* Root again for a moment (the ports), or for good to the user. */
static int
mpd_user_root(struct mpd *m, char **cause)
{
	if (!m->user_assumed || seteuid(0) == 0)
		return 0;
	xasprintf(cause, "cannot regain root to bind the ports: %s",
	    strerror(errno));
	return -1;
}

static int
mpd_user_drop(struct mpd *m, char **cause)
{
	long long eff, prm;

	if (!m->user_assumed)
		return 0;
	if (setresgid(m->gid, m->gid, m->gid) == -1 ||
	    setresuid(m->uid, m->uid, m->uid) == -1) {
		xasprintf(cause, "--user %s: cannot drop privileges: %s",
		    m->cfg.user, strerror(errno));
		return -1;
	}
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	/* Verify: no way back, no capability left. */
	eff = mpd_proc_caps("CapEff");
	prm = mpd_proc_caps("CapPrm");
	if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1 ||
	    getuid() != m->uid || geteuid() != m->uid || getgid() != m->gid ||
	    eff != 0 || prm != 0) {
		xasprintf(cause, "--user %s: the privilege drop did not hold"
		    " (uid %d euid %d, CapEff %llx CapPrm %llx)", m->cfg.user,
		    (int)getuid(), (int)geteuid(), eff, prm);
		return -1;
	}
	m->user_dropped = 1;
	MPD_INFO(m, "Bound the ports as root, then dropped privileges to user"
	    " %s (uid %d, gid %d): no capabilities left", m->cfg.user,
	    (int)m->uid, (int)m->gid);
	return 0;
}

/* A file error of a run as --user: say what that user needs. */
static void
mpd_user_hint(struct mpd *m, char **cause)
{
	char *s;

	if (!m->user_assumed || *cause == NULL || strstr(*cause,
	    "ermission denied") == NULL)
		return;
	xasprintf(&s, "%s (ehttp-mpd runs as user %s: it needs to read and"
	    " write the database and its directory and the log directory, and"
	    " to read the master key)", *cause, m->cfg.user);
	free(*cause);
	*cause = s;
}

struct mpd *
mpd_new(const struct mpd_config *cfg, char **cause)
{
	struct mpd *m;
	char *path = NULL, why[256];
	int rc;

	*cause = NULL;
	m = xcalloc(1, sizeof *m);
	if (pthread_mutex_init(&m->lock, NULL) != 0 ||
	    pthread_mutex_init(&m->tls_lock, NULL) != 0 ||
	    pthread_mutex_init(&m->admin_lock, NULL) != 0) {
		free(m);
		xasprintf(cause, "cannot make a lock");
		return NULL;
	}
	m->check.pipe[0] = m->check.pipe[1] = -1;
	m->http.fd = m->https.fd = -1;
	m->dp_noted = -1;
	m->cfg = *cfg;
	if (m->cfg.handshake_s <= 0)
		m->cfg.handshake_s = MPD_HANDSHAKE_DEFAULT;
	if (m->cfg.header_s <= 0)
		m->cfg.header_s = MPD_HEADER_DEFAULT;
	if (m->cfg.max_conns <= 0)
		m->cfg.max_conns = MPD_MAX_CONNS_DEFAULT;
	m->db_path = xstrdup(cfg->db_path);
	m->log_dir = xstrdup(cfg->log_dir);
	if (cfg->ca_file != NULL)
		m->ca_file = xstrdup(cfg->ca_file);
	if (cfg->user != NULL)
		m->user = xstrdup(cfg->user);
	m->cfg.db_path = m->db_path;
	m->cfg.log_dir = m->log_dir;
	m->cfg.ca_file = m->ca_file;
	m->cfg.user = m->user;
	m->cfg.fqdn = m->fqdn;
	m->https.addr = cfg->https;
	m->http.addr = cfg->http;
	m->started = time(NULL);
	if (gethostname(m->host, sizeof m->host) == -1)
		snprintf(m->host, sizeof m->host, "localhost");
	m->host[sizeof m->host - 1] = '\0';
	if (rules_fqdn(cfg->fqdn, m->fqdn, why, sizeof why) == -1) {
		xasprintf(cause, "%s", why);
		goto fail;
	}
	if (m->user != NULL && mpd_user_assume(m, cause) == -1)
		goto fail;

	if (daemon_mkdirs(m->log_dir, MPD_LOG_DIR_MODE, cause) == -1)
		goto fail;
	xasprintf(&path, "%s/%s", m->log_dir, MPD_LOG_NAME);
	if ((m->log = cmlog_open(path, cfg->log_max, cause)) == NULL)
		goto fail;
	MPD_INFO(m, "MP Control Manager (ehttp-mpd %s) is starting for %s,"
	    " pid %d", EHTTP_VERSION, m->fqdn, (int)getpid());
	for (int i = 0; i < MPD_MPLOG_MAX; i++) {
		free(path);
		xasprintf(&path, "%s/%s", m->log_dir, mpd_mplog_names[i]);
		if ((m->mplog[i] = cmlog_open(path, cfg->log_max, cause)) ==
		    NULL)
			goto fail_log;
	}

	if ((m->e = ehttp_open(m->db_path, EHTTP_AGENT, cause)) == NULL)
		goto fail_log;
	{
		char who[64], user[96];

		ehttp_acting_user(who, sizeof who);
		snprintf(user, sizeof user, "ehttp-mpd (%s)", who);
		ehttp_set_user(m->e, user);
	}
	if (cfg->enroll_key != NULL) {
		if (ehttp_enroll_use(m->e, m->fqdn, cfg->enroll_key,
		    m->enroll_fpr) == -1) {
			xasprintf(cause, "%s", ehttp_error(m->e));
			goto fail_log;
		}
		MPD_INFO(m, "Enrolled agent: the keys come sealed to the key"
		    " in %s (fingerprint SHA-256 %s); no master key is read",
		    cfg->enroll_key, m->enroll_fpr);
	}
	if (mpd_dp_open(m, cause) == -1)
		goto fail_log;
	/* One agent per site system, before taking any port. */
	if ((rc = mpd_lease_claim(m, cause)) != 1)
		goto fail_log;
	m->lease_claimed = 1;
	if ((m->base = event_base_new()) == NULL) {
		xasprintf(cause, "cannot create the event loop");
		goto fail_log;
	}
	if (mpd_http_init(m, cause) == -1 || mpd_check_init(m, cause) == -1 ||
	    mpd_events(m, cause) == -1)
		goto fail_log;
	if ((m->refuse = tls_server_new(NULL, NULL, 0, NULL, 0, cause)) ==
	    NULL)
		goto fail_log;
	/* Both ports now: a port in use is an error at start, not later.
	 * With --user they are bound as root, then root is gone for good. */
	if (mpd_user_root(m, cause) == -1 ||
	    mpd_listener_reserve(&m->http, cause) == -1 ||
	    mpd_listener_reserve(&m->https, cause) == -1 ||
	    mpd_user_drop(m, cause) == -1 ||
	    mpd_listener_start(&m->http, cause) == -1)
		goto fail_log;
	if (mpd_poll(m, cause) == -1 || mpd_commit_start(m, cause) == -1 ||
	    mpd_workers_start(m, cause) == -1)
		goto fail_log;
	MPD_INFO(m, "MP Control Manager started for %s (site %s): HTTP on %s,"
	    " HTTPS on %s (%s), poll every %d s, health check every %d s,"
	    " %d connection worker(s)", m->fqdn, m->site_code,
	    m->http.addr.text, m->https.addr.text, m->tls ? "serving TLS" :
	    "not serving TLS", cfg->poll_s, cfg->check_s, m->nworkers);
	mpd_event(m, "info", "ehttp-mpd started on %s: HTTP port %d, HTTPS"
	    " port %d%s.", m->fqdn, m->http.port, m->https.port,
	    m->tls ? "" : " (not serving TLS)");
	mpd_flush(m, 1);
	free(path);
	return m;
fail_log:
	mpd_user_hint(m, cause);
	MPD_ERROR(m, "MP Control Manager cannot start: %s", *cause);
	if (m->lease_claimed) {		/* give the lease back at once */
		m->stopping = 1;
		memset(&m->pend, 0, sizeof m->pend);
		mpd_flush(m, 1);
	}
	free(path);
	mpd_free(m);
	return NULL;
fail:
	mpd_user_hint(m, cause);
	free(path);
	mpd_free(m);
	return NULL;
}

/* Timers and signals, before the first poll: a signal that comes early
 * waits for the loop instead of killing the agent. */
static int
mpd_events(struct mpd *m, char **cause)
{
	static const int sigs[3] = { SIGTERM, SIGINT, SIGHUP };
	struct timeval poll_tv = { m->cfg.poll_s, 0 };
	struct timeval check_tv = { m->cfg.check_s, 0 };

	m->poll_ev = event_new(m->base, -1, EV_PERSIST, mpd_poll_cb, m);
	m->check_ev = event_new(m->base, -1, EV_PERSIST, mpd_check_cb, m);
	m->retry_ev = evtimer_new(m->base, mpd_retry_cb, m);
	if (m->poll_ev == NULL || m->check_ev == NULL || m->retry_ev == NULL ||
	    event_add(m->poll_ev, &poll_tv) == -1 ||
	    event_add(m->check_ev, &check_tv) == -1)
		goto fail;
	for (int i = 0; i < 3; i++)
		if ((m->sig_ev[i] = evsignal_new(m->base, sigs[i],
		    mpd_signal_cb, m)) == NULL ||
		    event_add(m->sig_ev[i], NULL) == -1)
			goto fail;
	return 0;
fail:
	xasprintf(cause, "cannot set up the timers and signals");
	return -1;
}

int
mpd_run(struct mpd *m)
{
	/* The first health check at once. */
	mpd_check_start(m);
	event_base_dispatch(m->base);

	/* Close the ports first: a check in flight then fails at once. */
	m->stopping = 1;
	mpd_http_free(m);
	mpd_check_wait(m);
	mpd_set_tls(m, NULL);
	m->bound_id = 0;
	m->bound_tp[0] = '\0';
	m->bound_since = time(NULL);
	if (m->lease_lost) {	/* the row is the other agent's now */
		MPD_INFO(m, "MP Control Manager stopped for %s: another agent"
		    " serves it", m->fqdn);
		return 1;
	}
	mpd_event(m, "info", "ehttp-mpd on %s stopped.", m->fqdn);
	mpd_flush(m, 1);
	MPD_INFO(m, "MP Control Manager stopped for %s", m->fqdn);
	return 0;
}

void
mpd_free(struct mpd *m)
{
	if (m == NULL)
		return;
	/* Failed between taking the user's ids and dropping root for good:
	 * root again, for the caller's clean-up (the pid file). */
	if (m->user_assumed && !m->user_dropped && seteuid(0) == 0)
		(void)!setegid(0);
	if (m->base != NULL)
		mpd_check_wait(m);
	mpd_http_free(m);
	mpd_check_free(m);
	if (m->poll_ev != NULL)
		event_free(m->poll_ev);
	if (m->check_ev != NULL)
		event_free(m->check_ev);
	if (m->retry_ev != NULL)
		event_free(m->retry_ev);
	for (int i = 0; i < 3; i++)
		if (m->sig_ev[i] != NULL)
			event_free(m->sig_ev[i]);
	tls_server_free(m->tls);
	tls_server_free(m->refuse);
	if (m->base != NULL)
		event_base_free(m->base);
	mp_verifier_free(m->verifier);
	dp_lib_free(m->dp);
	mpd_admin_free(m);
	ehttp_close(m->e);
	cmlog_close(m->log);
	for (int i = 0; i < MPD_MPLOG_MAX; i++)
		cmlog_close(m->mplog[i]);
	free(m->mplist);
	free(m->mplist1);
	free(m->mpkeyinfo);
	free(m->sitesigncert);
	free(m->root_pem);
	free(m->root_der);
	ehttp_der_list_free(m->anchors, m->nanchors);
	free(m->db_path);
	free(m->log_dir);
	free(m->ca_file);
	free(m->user);
	if (m->commit.set_up) {
		pthread_mutex_destroy(&m->commit.lock);
		pthread_mutex_destroy(&m->commit.db_lock);
		pthread_cond_destroy(&m->commit.cond);
	}
	pthread_mutex_destroy(&m->lock);
	pthread_mutex_destroy(&m->tls_lock);
	pthread_mutex_destroy(&m->admin_lock);
	free(m);
}
