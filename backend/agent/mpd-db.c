/*
 * mpd-db: the agent's records in the site database: its row (pid, ports,
 * what is bound since when, the last health check) and status messages for
 * each change. A write that fails (a database busy beyond the busy timeout,
 * or locked) stays pending and goes with the next flush, i.e. at the next
 * poll or health check; only the oldest events beyond MPD_EVENTS_MAX are
 * dropped.
 *
 * The lease: one agent per site system. The agent row names the holder
 * (host, pid, since when) and the time its lease runs out; every flush
 * refreshes it to MPD_LEASE_POLLS polls ahead, in the same transaction
 * that checks nobody else holds it. An agent that finds a live lease of
 * another agent refuses to start, or stops if it finds one later; a lease
 * not refreshed in time, or held by a process gone from this host, is
 * taken over with a warning.
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
#include "timefmt.h"
#include "xmalloc.h"

/* ------------------------------------------------------------- the lease */

/* Who holds row (read just now) against us. */
enum mpd_lease_state {
	MPD_LEASE_FREE,		/* nobody, a clean stop, or us */
	MPD_LEASE_HELD,		/* another agent that refreshed it in time */
	MPD_LEASE_STALE,	/* another agent that stopped refreshing it */
	MPD_LEASE_DEAD,		/* another agent on this host that is gone */
};

static enum mpd_lease_state
mpd_lease_state(const struct mpd *m, const struct db_agent *row, time_t now)
{
	int same_host = strcmp(row->host, m->host) == 0;

	if (row->pid == 0 || (same_host && row->pid == (int)getpid()))
		return MPD_LEASE_FREE;
	if (same_host && kill(row->pid, 0) == -1 && errno == ESRCH)
		return MPD_LEASE_DEAD;
	return row->lease_until > now ? MPD_LEASE_HELD : MPD_LEASE_STALE;
}

static const char *
mpd_lease_date(time_t t, char *buf, size_t len)
{
	timefmt(buf, len, t, TIMEFMT_SECOND_UTC);
	return buf;
}

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
}

/*
 * Inside a write transaction: may we write our row? 1 yes (a stale or dead
 * holder is taken over, with a warning), 0 another agent holds the lease
 * (*cause says which), -1 database error.
 */
static int
mpd_lease_check(struct mpd *m, struct db *db, time_t now, char **cause)
{
	struct db_agent row;
	char since[32], until[32];
	int rc;

	if ((rc = db_agent_get(db, m->system_id, &row)) == -1)
		return -1;
	if (rc == 0)
		return 1;
	mpd_lease_date(row.started, since, sizeof since);
	mpd_lease_date(row.lease_until, until, sizeof until);
	switch (mpd_lease_state(m, &row, now)) {
	case MPD_LEASE_FREE:
		return 1;
	case MPD_LEASE_HELD:
		xasprintf(cause, "another agent (pid %d on %s) serves %s"
		    " since %s (its lease runs until %s)", row.pid,
		    row.host[0] ? row.host : "an unknown host", m->fqdn, since,
		    until);
		return 0;
	case MPD_LEASE_STALE:
		MPD_WARN(m, "Taking over %s from the agent pid %d on %s (serving"
		    " since %s): its lease ran out at %s without a refresh",
		    m->fqdn, row.pid, row.host[0] ? row.host : "an unknown host",
		    since, row.lease_until ? until : "(never leased)");
		return 1;
	case MPD_LEASE_DEAD:
		MPD_WARN(m, "Taking over %s from the agent pid %d on this host"
		    " (serving since %s): that process is gone", m->fqdn,
		    row.pid, since);
		return 1;
	}
	return 1;
}

int
mpd_lease_claim(struct mpd *m, char **cause)
{
	struct db *db = ehttp_db(m->e);
	struct db_system y;
	struct db_agent row;
	time_t now = time(NULL);
	int rc;

	*cause = NULL;
	if (db_begin(db) == -1)
		goto fail;
	if ((rc = db_system_get(db, m->fqdn, &y)) == -1)
		goto fail;
	if (rc == 0) {		/* the first poll says so */
		db_rollback(db);
		return 1;
	}
	m->system_id = y.id;
	if ((rc = mpd_lease_check(m, db, now, cause)) == -1)
		goto fail;
	if (rc == 0) {
		db_rollback(db);
		return 0;
	}
	mpd_row(m, &row, now);
	if (db_agent_bind(db, &row) == -1 || db_commit(db) == -1)
		goto fail;
	return 1;
fail:
	xasprintf(cause, "cannot claim %s in the site database: %s", m->fqdn,
	    db_error(db));
	db_rollback(db);
	return -1;
}

/* ------------------------------------------------------ a replaced file */

int
mpd_db_check(struct mpd *m)
{
	struct stat sb;
	char *cause = NULL, why[512];
	int moved, rc;

	if (m->e != NULL) {
		if ((moved = db_file_moved(ehttp_db(m->e))) != 1)
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
		 * would read it as its own and be corrupted. */
		if ((rc = db_checkpoint_all(ehttp_db(m->e))) != 0) {
			snprintf(why, sizeof why, "%s", rc == 1 ? "another"
			    " program still uses the old file (stop it)" :
			    db_error(ehttp_db(m->e)));
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
		ehttp_close(m->e);
		m->e = NULL;
		m->db_gone = 0;
	}
	if ((m->e = ehttp_open(m->db_path, 0, &cause)) == NULL) {
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
	m->reopen_error[0] = '\0';
	MPD_INFO(m, "Site database was replaced; reopened %s", m->db_path);
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

int
mpd_flush(struct mpd *m)
{
	struct mpd_pending *p = &m->pend;
	struct db *db;
	char *cause = NULL;
	time_t now = time(NULL);
	int rc;

	if (m->e == NULL || m->lease_lost)	/* reopening; not ours */
		return -1;
	db = ehttp_db(m->e);
	if (m->system_id == 0) {	/* the site system is gone */
		memset(p, 0, sizeof *p);
		return 0;
	}
	/* The row as it stands now, every time: it also refreshes "updated"
	 * and the lease, and carries a failed write forward. */
	mpd_row(m, &p->row, now);
	p->site_id = m->site_id;

	if (db_begin(db) == -1 ||
	    (rc = mpd_lease_check(m, db, now, &cause)) == -1)
		goto fail;
	if (rc == 0) {
		db_rollback(db);
		mpd_lease_lost(m, cause);
		free(cause);
		return -1;
	}
	if (db_agent_bind(db, &p->row) == -1)
		goto fail;
	for (size_t i = 0; i < p->nevents; i++)
		if (db_status_add(db, p->site_id, p->event_sev[i],
		    AGENT_COMPONENT, p->events[i]) == -1)
			goto fail;
	if (p->health && db_agent_health(db, p->row.system_id, p->health_time,
	    p->health_ok, p->health_status, p->health_text) == -1)
		goto fail;
	if (db_commit(db) == -1)
		goto fail;
	memset(p, 0, sizeof *p);
	if (m->db_error[0] != '\0') {
		MPD_INFO(m, "Recorded the agent state in the site database"
		    " again");
		m->db_error[0] = '\0';
	}
	return 0;
fail:
	if (strcmp(m->db_error, db_error(db)) != 0) {
		snprintf(m->db_error, sizeof m->db_error, "%s", db_error(db));
		MPD_WARN(m, "Cannot record the agent state in the site database"
		    " (will retry at the next poll): %s", m->db_error);
	}
	db_rollback(db);
	return -1;
}
