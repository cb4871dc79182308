/*
 * mpd-workers: the agent's connection workers. The main loop accepts (it
 * keeps the count of open connections, the polls, the health check and the
 * signals) and hands each accepted socket to the next worker through that
 * worker's pipe; a worker is a thread with an event loop of its own that
 * serves its connections from the TLS handshake to the close (mpd-http.c).
 * One worker a CPU by default: the handshakes, the most expensive part of
 * a new client's visit, then use every core.
 *
 * Each event loop is touched by its own thread only, so libevent needs no
 * locking; what the workers share is the agent's state under mpd.lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "mpd-int.h"
#include "xmalloc.h"

/* Handed-over sockets, committed registrations, the stop: read them
 * all. */
static void
mpd_worker_pipe(evutil_socket_t fd, short what, void *arg)
{
	struct mpd_worker *w = arg;
	struct mpd *m = w->m;
	struct mpd_msg msg;
	ssize_t n;

	for (;;) {
		n = read(fd, &msg, sizeof msg);
		if (n == -1 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof msg)
			return;		/* EAGAIN: nothing more for now */
		switch (msg.type) {
		case MPD_MSG_HTTP:
		case MPD_MSG_HTTPS:
			mpd_conn_new(w, msg.type == MPD_MSG_HTTPS ? &m->https :
			    &m->http, msg.fd);
			break;
		case MPD_MSG_DONE:
			if (msg.p->conn != NULL)
				mpd_conn_registered(msg.p);
			mpd_pending_free(msg.p);
			break;
		case MPD_MSG_STOP:
			event_base_loopbreak(w->base);
			return;
		}
	}
}

void
mpd_worker_post(struct mpd_worker *w, const struct mpd_msg *msg)
{
	/* A full pipe empties: the worker is reading it. */
	while (write(w->pipe[1], msg, sizeof *msg) == -1 && (errno == EINTR ||
	    errno == EAGAIN))
		usleep(1000);
}

static void *
mpd_worker_main(void *arg)
{
	struct mpd_worker *w = arg;

	event_base_dispatch(w->base);
	mpd_conns_free(w);
	return NULL;
}

int
mpd_workers_default(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > MPD_WORKERS_MAX ? MPD_WORKERS_MAX : (int)n;
}

static int
mpd_worker_init(struct mpd *m, struct mpd_worker *w)
{
	w->m = m;
	if ((w->base = event_base_new()) == NULL ||
	    pipe2(w->pipe, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	w->pipe_ev = event_new(w->base, w->pipe[0], EV_READ | EV_PERSIST,
	    mpd_worker_pipe, w);
	if (w->pipe_ev == NULL || event_add(w->pipe_ev, NULL) == -1)
		return -1;
	return 0;
}

int
mpd_workers_start(struct mpd *m, char **cause)
{
	sigset_t all, old;
	int n = m->cfg.workers > 0 ? m->cfg.workers : mpd_workers_default();
	int err = 0;

	m->workers = xcalloc(n, sizeof *m->workers);
	m->nworkers = n;
	/* Every pipe "none" first: a worker set up after a failed one is
	 * freed too (mpd_workers_stop), and must not close descriptor 0. */
	for (int i = 0; i < n; i++)
		m->workers[i].pipe[0] = m->workers[i].pipe[1] = -1;
	for (int i = 0; i < n; i++)
		if (mpd_worker_init(m, &m->workers[i]) == -1) {
			xasprintf(cause, "cannot set up connection worker %d:"
			    " %s", i + 1, strerror(errno));
			return -1;
		}
	/* Signals stay the main loop's. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (int i = 0; i < n && err == 0; i++) {
		struct mpd_worker *w = &m->workers[i];

		if ((err = pthread_create(&w->thread, NULL, mpd_worker_main,
		    w)) == 0)
			w->started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		xasprintf(cause, "cannot start the connection workers: %s",
		    strerror(err));
		return -1;
	}
	return 0;
}

int
mpd_workers_hand(struct mpd *m, struct mpd_listener *l, int fd)
{
	struct mpd_msg msg = { l->tls ? MPD_MSG_HTTPS : MPD_MSG_HTTP, fd, NULL };
	struct mpd_worker *w;
	ssize_t n;

	if (m->nworkers > 0) {
		w = &m->workers[m->next_worker++ % (unsigned)m->nworkers];
		while ((n = write(w->pipe[1], &msg, sizeof msg)) == -1 &&
		    errno == EINTR)
			;
		if (n == (ssize_t)sizeof msg)
			return 0;
	}
	/* Not serving yet, or the worker's pipe is full (thousands of
	 * sockets not taken yet): closed, as beyond --max-connections. */
	close(fd);
	atomic_fetch_sub(&m->nconns, 1);
	return -1;
}

void
mpd_workers_stop(struct mpd *m)
{
	struct mpd_msg stop = { MPD_MSG_STOP, -1, NULL };

	for (int i = 0; i < m->nworkers; i++)
		if (m->workers[i].started)
			mpd_worker_post(&m->workers[i], &stop);
	for (int i = 0; i < m->nworkers; i++) {
		struct mpd_worker *w = &m->workers[i];

		if (w->started)		/* it closed its connections */
			pthread_join(w->thread, NULL);
		if (w->pipe_ev != NULL)
			event_free(w->pipe_ev);
		if (w->base != NULL)
			event_base_free(w->base);
		for (int j = 0; j < 2; j++)
			if (w->pipe[j] != -1)
				close(w->pipe[j]);
	}
	free(m->workers);
	m->workers = NULL;
	m->nworkers = 0;
}
