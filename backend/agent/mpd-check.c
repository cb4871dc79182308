/*
 * mpd-check: the agent's health check. The blocking TLS client runs in a
 * thread of its own so the event loop keeps serving (the check connects to
 * this very process); the thread touches nothing but its own copies and
 * writes one byte to a pipe when done; the loop then joins it, logs the
 * result and records it in the database.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "mpd-int.h"
#include "xmalloc.h"

#define MPD_CHECK_PATH	"/SMS_MP/.sms_aut?MPLIST"

/*
 * The check's socket, before it connects: bound to the address it
 * connects to (this host's) and a port of its own, so that the listener
 * knows its connection by its whole source address. That one connection
 * is accepted even while --max-connections are open (mpd_accept): clients
 * that hold every connection do not make the system's health an error.
 */
static int
mpd_check_socket(void *arg, int fd)
{
	struct mpd *m = arg;
	struct mpd_check *c = &m->check;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;

	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, c->addr,
	    &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, c->addr,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		sl = sizeof(struct sockaddr_in6);
	} else {
		errno = EINVAL;
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		return -1;
	m->check_src = ss;
	atomic_store(&m->check_port, ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port));
	return 0;
}

static void *
mpd_check_thread(void *arg)
{
	struct mpd_check *c = arg;
	char byte = 'x';

	c->rc = tls_get(&c->req, &c->res);
	while (write(c->pipe[1], &byte, 1) == -1 && errno == EINTR)
		;
	return NULL;
}

static void
mpd_check_anchors_free(struct mpd_check *c)
{
	for (size_t i = 0; i < c->nanchors; i++)
		free((void *)c->anchors[i].data);
	free(c->anchors);
	c->anchors = NULL;
	c->nanchors = 0;
}

static void
mpd_check_reap(struct mpd_check *c)
{
	pthread_join(c->thread, NULL);
	c->running = 0;
	free(c->root);
	c->root = NULL;
	free(c->ca_file);
	c->ca_file = NULL;
	mpd_check_anchors_free(c);
}

static void
mpd_check_done(evutil_socket_t fd, short what, void *arg)
{
	struct mpd *m = arg;
	struct mpd_check *c = &m->check;
	struct agent_report *p = &m->pend;
	char buf[16], text[256];
	int ok, level;

	while (read(fd, buf, sizeof buf) > 0)
		;
	if (!c->running)
		return;
	mpd_check_reap(c);
	atomic_store(&m->check_port, 0);
	ok = c->rc == 0 && c->res.status == 200;
	if (!ok && strcmp(c->bound_tp, m->bound_tp) != 0) {
		/* A poll bound another certificate while the check ran (it
		 * trusted the old root, or met the new certificate midway):
		 * the failure says nothing about what is served now. */
		MPD_INFO(m, "The certificate on port %d changed during the"
		    " health check (thumbprint %s -> %s): checking again",
		    c->port, c->bound_tp[0] ? c->bound_tp : "none",
		    m->bound_tp[0] ? m->bound_tp : "none");
		mpd_check_start(m);
		return;
	}
	if (ok) {
		MPD_INFO(m, "Call to HttpSendRequestSync succeeded for port %d"
		    " with status code %d, text: %s", c->port, c->res.status,
		    c->res.reason);
		snprintf(text, sizeof text, "%s", c->res.reason);
	} else if (c->rc == 0) {
		MPD_ERROR(m, "Call to HttpSendRequestSync failed for port %d"
		    " with status code %d, text: %s", c->port, c->res.status,
		    c->res.reason);
		snprintf(text, sizeof text, "%s", c->res.reason);
	} else {
		MPD_ERROR(m, "Call to HttpSendRequestSync failed for port %d:"
		    " %s", c->port, c->res.error);
		snprintf(text, sizeof text, "%.*s", (int)sizeof text - 1,
		    c->res.error);
	}
	/*
	 * Health is "a client can reach it securely": an answer over HTTP
	 * from a system that should serve TLS is an error, a certificate other
	 * than the expected one is an error, a fallback is a warning.
	 */
	level = ok ? EHTTP_HEALTH_OK : EHTTP_HEALTH_ERROR;
	if (ok && !c->req.use_tls && m->serving.needs_tls) {
		level = EHTTP_HEALTH_ERROR;
		snprintf(text, sizeof text, "no TLS: %.*s", (int)sizeof text - 10,
		    m->serving.state_text);
		MPD_ERROR(m, "Health check: %s answers over HTTP only but should"
		    " serve TLS: %s", m->fqdn, m->serving.reason);
	} else if (ok && c->req.use_tls && c->expect_tp[0] != '\0' &&
	    strcasecmp(c->res.thumbprint, c->expect_tp) != 0) {
		level = EHTTP_HEALTH_ERROR;
		snprintf(text, sizeof text, "serves thumbprint %s, expected %s",
		    c->res.thumbprint, c->expect_tp);
		MPD_ERROR(m, "Health check: port %d serves certificate"
		    " thumbprint %s, expected %s", c->port, c->res.thumbprint,
		    c->expect_tp);
	} else if (ok && m->serving.health == EHTTP_HEALTH_WARNING) {
		level = EHTTP_HEALTH_WARNING;
		snprintf(text, sizeof text, "OK, %.*s", (int)sizeof text - 5,
		    m->serving.state_text);
		MPD_WARN(m, "Health check: %s is reachable over TLS with a"
		    " fallback certificate: %s", m->fqdn, m->serving.reason);
	}
	/* A change of health is also a status message for the console. */
	if (!m->health_known || m->health_ok != level)
		mpd_event(m, level == EHTTP_HEALTH_OK ? "info" :
		    level == EHTTP_HEALTH_WARNING ? "warning" : "error",
		    "The health check of %s over %s on port %d %s: %s", m->fqdn,
		    c->req.use_tls ? "HTTPS" : "HTTP", c->port,
		    level == EHTTP_HEALTH_OK ? "succeeded" :
		    level == EHTTP_HEALTH_WARNING ? "succeeded with a warning" :
		    "failed", text);
	m->health_known = 1;
	m->health_ok = level;
	p->health = 1;
	p->health_time = time(NULL);
	p->health_ok = level;
	p->health_status = c->res.status;
	snprintf(p->health_text, sizeof p->health_text, "%s", text);
	pthread_mutex_lock(&m->lock);
	mpd_flush(m, 0);
	pthread_mutex_unlock(&m->lock);
}

int
mpd_check_init(struct mpd *m, char **cause)
{
	struct mpd_check *c = &m->check;

	if (pipe2(c->pipe, O_CLOEXEC | O_NONBLOCK) == -1) {
		c->pipe[0] = c->pipe[1] = -1;
		xasprintf(cause, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((c->done_ev = event_new(m->base, c->pipe[0], EV_READ | EV_PERSIST,
	    mpd_check_done, m)) == NULL || event_add(c->done_ev, NULL) == -1) {
		xasprintf(cause, "cannot watch the health check");
		return -1;
	}
	return 0;
}

void
mpd_check_start(struct mpd *m)
{
	struct mpd_check *c = &m->check;
	struct mpd_listener *l = m->tls != NULL ? &m->https : &m->http;
	sigset_t all, old;
	int err;

	if (c->running)
		return;		/* the previous one is still waiting */
	memset(&c->req, 0, sizeof c->req);
	snprintf(c->addr, sizeof c->addr, "%s", l->check_addr);
	snprintf(c->host, sizeof c->host, "%s", m->fqdn);
	c->port = l->port;
	c->req.addr = c->addr;
	c->req.port = l->port;
	c->req.host = c->host;
	c->req.path = MPD_CHECK_PATH;
	c->req.use_tls = m->tls != NULL;
	c->req.timeout_ms = MPD_CHECK_TIMEOUT_MS;
	c->req.on_socket = mpd_check_socket;
	c->req.on_socket_arg = m;
	snprintf(c->bound_tp, sizeof c->bound_tp, "%s", m->bound_tp);
	snprintf(c->expect_tp, sizeof c->expect_tp, "%s",
	    m->serving.has_cert ? m->serving.cert.thumbprint : "");
	/* The site's trust store (ehttp_trust_anchors), as the console's
	 * Certification Path uses it. */
	if (c->req.use_tls && m->nanchors > 0) {
		c->anchors = xcalloc(m->nanchors, sizeof *c->anchors);
		for (size_t i = 0; i < m->nanchors; i++) {
			unsigned char *d;

			d = xmalloc(m->anchors[i].len);
			memcpy(d, m->anchors[i].data, m->anchors[i].len);
			c->anchors[i].data = d;
			c->anchors[i].len = m->anchors[i].len;
		}
		c->nanchors = m->nanchors;
		c->req.anchors = c->anchors;
		c->req.nanchors = c->nanchors;
	}
	if (c->req.use_tls && m->ca_file != NULL) {
		c->ca_file = xstrdup(m->ca_file);
		c->req.ca_file = c->ca_file;
	}
	/* Signals stay with the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&c->thread, NULL, mpd_check_thread, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		MPD_ERROR(m, "Cannot start the health check: %s", strerror(err));
		free(c->root);
		c->root = NULL;
		free(c->ca_file);
		c->ca_file = NULL;
		mpd_check_anchors_free(c);
		return;
	}
	c->running = 1;
}

void
mpd_check_wait(struct mpd *m)
{
	if (m->check.running)
		mpd_check_reap(&m->check);
}

void
mpd_check_free(struct mpd *m)
{
	struct mpd_check *c = &m->check;

	mpd_check_wait(m);
	if (c->done_ev != NULL)
		event_free(c->done_ev);
	c->done_ev = NULL;
	for (int i = 0; i < 2; i++)
		if (c->pipe[i] != -1)
			close(c->pipe[i]);
	c->pipe[0] = c->pipe[1] = -1;
}
