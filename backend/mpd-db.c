/*
 * mpd-db: the agent's records in the site database: its row (pid, ports,
 * what is bound since when, the last health check) and status messages for
 * each change. A write that fails (a database busy beyond the busy timeout,
 * or locked) stays pending and goes with the next flush, i.e. at the next
 * poll or health check; only the oldest events beyond MPD_EVENTS_MAX are
 * dropped.
 *
 * One connection only: a second one in this process would break SQLite's
 * locks (db_open() reads the file header with fopen/fclose, and closing any
 * descriptor of the file drops the process's POSIX locks, including the
 * shared lock that keeps another process from deleting the WAL).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mpd-int.h"

int
mpd_flush(struct mpd *m)
{
	struct mpd_pending *p = &m->pend;
	struct db *db = ehttp_db(m->e);

	if (m->system_id == 0) {	/* the site system is gone */
		memset(p, 0, sizeof *p);
		return 0;
	}
	/* The row as it stands now, every time: it also refreshes "updated"
	 * and carries a failed write forward. */
	memset(&p->row, 0, sizeof p->row);
	p->row.system_id = m->system_id;
	p->row.pid = m->stopping ? 0 : (int)getpid();
	p->row.https_port = m->https.port;
	p->row.http_port = m->http.port;
	p->row.cert_id = m->bound_id;
	snprintf(p->row.thumbprint, sizeof p->row.thumbprint, "%s",
	    m->bound_tp);
	p->row.bound_since = m->bound_since;
	p->site_id = m->site_id;

	if (db_begin(db) == -1 || db_agent_bind(db, &p->row) == -1)
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
