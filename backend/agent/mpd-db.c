/*
 * mpd-db: the agent's records in the site database: its row (pid, ports,
 * what is bound since when, the last health check) and status messages for
 * each change. A write that fails stays pending and goes with the next
 * flush, i.e. at the next poll or health check; only the oldest events
 * beyond AGENT_EVENTS_MAX are dropped. The event loop's flush never
 * waits for another program's write: while one holds the database (an
 * ehttpctl, the site server, an sqlite3 shell), it is tried again
 * shortly, so that the connections, the polls and the requests served
 * under mpd.lock go on meanwhile.
 *
 * The lease: one agent per site system. The agent row names the holder
 * (host, pid, since when) and the time its lease runs out; every flush
 * refreshes it to MPD_LEASE_POLLS polls ahead, in the same transaction
 * that checks nobody else holds it; the library does the writing
 * (agent.h). An agent that finds a live lease of another agent refuses to
 * start, or stops if it finds one later; a lease not refreshed in time,
 * or held by a process gone from this host, is taken over with a warning.
 *
 * One connection only: a second one in this process would break SQLite's
 * locks (db_open() reads the file header with fopen/fclose, and closing any
 * descriptor of the file drops the process's POSIX locks, including the
 * shared lock that keeps another process from deleting the WAL).
 */
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "mpd-int.h"
#include "xmalloc.h"

/* ------------------------------------------------------------- the lease */

/* Our row as it stands now (pid 0 and no lease once stopping). */
static void
mpd_row(struct mpd *m, struct db_agent *row, time_t now)
{
	memset(row, 0, sizeof *row);
	row->system_id = m->system_id;
	row->pid = m->stopping ? 0 : (int)getpid();
	row->https_port = m->https.port;
	row->http_port = m->http.port;
	row->cert_id = m->bound_id;
	snprintf(row->thumbprint, sizeof row->thumbprint, "%s", m->bound_tp);
	row->bound_since = m->bound_since;
	snprintf(row->host, sizeof row->host, "%s", m->host);
	row->started = m->started;
	row->lease_until = m->stopping ? 0 : now + (time_t)MPD_LEASE_POLLS *
	    m->cfg.poll_s;
	row->poll_s = m->cfg.poll_s;
}

/* The backend's warnings of the last write (a lease taken over). */
static void
mpd_lease_notes(struct mpd *m)
{
	const struct ehttp_note *n;
	size_t nn;

	n = ehttp_notes(m->e, &nn);
	for (size_t i = 0; i < nn; i++)
		if (n[i].kind == EHTTP_NOTE_WARNING)
			MPD_WARN(m, "%s", n[i].text);
}

int
mpd_lease_claim(struct mpd *m, char **cause)
{
	struct db_agent row;
	int rc;

	*cause = NULL;
	mpd_row(m, &row, time(NULL));
	rc = agent_lease_claim(m->e, m->fqdn, &row);
	mpd_lease_notes(m);
	if (rc == 1) {
		m->system_id = row.system_id;	/* 0: the first poll says so */
		return 1;
	}
	if (rc == 0)
		xasprintf(cause, "%s", ehttp_error(m->e));
	else
		xasprintf(cause, "cannot claim %s in the site database: %s",
		    m->fqdn, ehttp_error(m->e));
	return rc;
}

/* ------------------------------------------------------ a replaced file */

int
mpd_db_check(struct mpd *m)
{
	struct stat sb;
	char *cause = NULL, why[512];
	int moved, rc;

	if (m->e != NULL) {
		if ((moved = ehttp_db_moved(m->e)) != 1)
			return 0;	/* -1: cannot tell; the poll goes on */
		if (stat(m->db_path, &sb) == -1) {
			if (!m->db_gone) {
				MPD_WARN(m, "The site database %s was deleted:"
				    " serving from the file still open until a"
				    " database is put back (%s)", m->db_path,
				    strerror(errno));
				m->db_gone = 1;
			}
			return 0;
		}
		/* The old file's write-ahead log stays at the path when its
		 * file has moved (SQLite does not checkpoint a moved file on
		 * close): empty it into the old file first, or the new file
		 * would read it as its own and be corrupted. The committer
		 * waits meanwhile and lets the old file go with the agent. */
		mpd_admin_close(m);
		mpd_commit_pause(m);
		if ((rc = ehttp_db_checkpoint(m->e)) != 0) {
			mpd_commit_resume(m, 0);
			snprintf(why, sizeof why, "%s", rc == 1 ? "another"
			    " program still uses the old file (stop it)" :
			    ehttp_error(m->e));
			if (strcmp(m->reopen_error, why) != 0) {
				snprintf(m->reopen_error, sizeof
				    m->reopen_error, "%s", why);
				MPD_WARN(m, "The site database %s was replaced;"
				    " keeping the old file open until its"
				    " write-ahead log can be emptied: %s",
				    m->db_path, why);
			}
			return 0;
		}
		mpd_commit_resume(m, 1);
		ehttp_close(m->e);
		m->e = NULL;
		m->db_gone = 0;
	}
	if ((m->e = ehttp_open(m->db_path, EHTTP_AGENT, &cause)) == NULL) {
		if (strcmp(m->reopen_error, cause) != 0) {
			snprintf(m->reopen_error, sizeof m->reopen_error, "%s",
			    cause);
			MPD_ERROR(m, "The site database was replaced but cannot"
			    " be opened (will retry at the next poll; the"
			    " certificate bound stays served): %s", cause);
		}
		free(cause);
		return -1;
	}
	ehttp_set_user(m->e, "ehttp-mpd");
	if (mpd_commit_open_db(m, &cause) == -1) {
		MPD_ERROR(m, "The site database was reopened but the"
		    " registration committer cannot open it (registrations"
		    " fail until the next poll): %s", cause);
		free(cause);
	}
	m->reopen_error[0] = '\0';
	MPD_INFO(m, "Site database was replaced; reopened %s", ehttp_db_path(m->e));
	mpd_event(m, "info", "ehttp-mpd on %s reopened the site database: the"
	    " file was replaced.", m->fqdn);
	/* The new file may name another holder: the next flush checks. */
	return 0;
}

static void
mpd_lease_lost(struct mpd *m, const char *why)
{
	MPD_ERROR(m, "Stopping: %s", why);
	m->lease_lost = 1;
	m->stopping = 1;
	if (m->base != NULL)
		event_base_loopbreak(m->base);
}

/* How long the database has been busy for the event loop's writes. */
static long
mpd_busy_ms(struct mpd *m)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (m->busy_since.tv_sec == 0 && m->busy_since.tv_nsec == 0) {
		m->busy_since = now;
		return 0;
	}
	return (now.tv_sec - m->busy_since.tv_sec) * 1000 +
	    (now.tv_nsec - m->busy_since.tv_nsec) / 1000000;
}

int
mpd_flush(struct mpd *m, int wait)
{
	struct agent_report *p = &m->pend;
	struct timeval again;
	long ms;
	int rc;

	if (m->e == NULL || m->lease_lost)	/* reopening; not ours */
		return -1;
	if (m->system_id == 0) {	/* the site system is gone */
		memset(p, 0, sizeof *p);
		return 0;
	}
	/* The row as it stands now, every time: it also refreshes "updated"
	 * and the lease, and carries a failed write forward. */
	mpd_row(m, &p->row, time(NULL));
	p->site_id = m->site_id;

	rc = agent_report_write(m->e, m->fqdn, p, wait);
	mpd_lease_notes(m);
	if (rc == 0) {
		mpd_lease_lost(m, ehttp_error(m->e));
		return -1;
	}
	if (rc == 2) {		/* another program writes: soon again */
		if ((ms = mpd_busy_ms(m)) == 0)
			m->busy_retry_ms = MPD_BUSY_RETRY_MS;
		if (m->retry_ev != NULL && !evtimer_pending(m->retry_ev,
		    NULL)) {
			again.tv_sec = m->busy_retry_ms / 1000;
			again.tv_usec = m->busy_retry_ms % 1000 * 1000;
			event_add(m->retry_ev, &again);
			if ((m->busy_retry_ms *= 2) > MPD_BUSY_RETRY_MAX_MS)
				m->busy_retry_ms = MPD_BUSY_RETRY_MAX_MS;
		}
		if (ms >= MPD_BUSY_WARN_S * 1000 &&
		    strncmp(m->db_error, ehttp_error(m->e),
		    strlen(ehttp_error(m->e))) != 0) {
			snprintf(m->db_error, sizeof m->db_error, "%s (for"
			    " %ld s so far)", ehttp_error(m->e), ms / 1000);
			MPD_WARN(m, "Cannot record the agent state in the site"
			    " database (trying again, serving meanwhile): %s",
			    m->db_error);
		}
		return -1;
	}
	m->busy_since.tv_sec = m->busy_since.tv_nsec = 0;
	if (rc == -1) {
		if (strcmp(m->db_error, ehttp_error(m->e)) != 0) {
			snprintf(m->db_error, sizeof m->db_error, "%s",
			    ehttp_error(m->e));
			MPD_WARN(m, "Cannot record the agent state in the site"
			    " database (will retry at the next poll): %s",
			    m->db_error);
		}
		return -1;
	}
	if (m->retry_ev != NULL)
		event_del(m->retry_ev);
	memset(p, 0, sizeof *p);
	if (m->db_error[0] != '\0') {
		MPD_INFO(m, "Recorded the agent state in the site database"
		    " again");
		m->db_error[0] = '\0';
	}
	return 0;
}
