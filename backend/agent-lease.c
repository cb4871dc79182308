/*
 * agent-lease: the agent's writes to the site database (agent.h): its row,
 * the status messages of its changes, its health checks, and the lease
 * that keeps one agent per site system. Each write is one transaction that
 * first reads who holds the lease.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "ehttp-int.h"
#include "timefmt.h"

/* Who holds the lease (held, read just now) against us (ours). */
enum lease_state {
	LEASE_FREE,		/* nobody, a clean stop, or us */
	LEASE_HELD,		/* another agent that refreshed it in time */
	LEASE_STALE,		/* another agent that stopped refreshing it */
	LEASE_DEAD,		/* another agent on this host that is gone */
};

static enum lease_state
lease_state(const struct db_agent *ours, const struct db_agent *held,
    time_t now)
{
	int same_host = strcmp(held->host, ours->host) == 0;

	if (held->pid == 0 || (same_host && held->pid == (int)getpid()))
		return LEASE_FREE;
	if (same_host && kill(held->pid, 0) == -1 && errno == ESRCH)
		return LEASE_DEAD;
	return held->lease_until > now ? LEASE_HELD : LEASE_STALE;
}

static const char *
lease_date(time_t t, char *buf, size_t len)
{
	timefmt(buf, len, t, TIMEFMT_SECOND_UTC);
	return buf;
}

/*
 * Inside a write transaction: may we write our row? 1 yes (a stale or dead
 * holder is taken over, with a warning note), 0 another agent holds the
 * lease (ehttp_error() says which), -1 database error.
 */
static int
lease_check(struct ehttp *e, const char *fqdn, const struct db_agent *ours,
    time_t now)
{
	struct db_agent held;
	char since[32], until[32];
	const char *host;
	int rc;

	if ((rc = db_agent_get(e->db, ours->system_id, &held)) == -1)
		return ehttp_fail_db(e);
	if (rc == 0)
		return 1;
	lease_date(held.started, since, sizeof since);
	lease_date(held.lease_until, until, sizeof until);
	host = held.host[0] ? held.host : "an unknown host";
	switch (lease_state(ours, &held, now)) {
	case LEASE_FREE:
		return 1;
	case LEASE_HELD:
		ehttp_fail(e, "another agent (pid %d on %s) serves %s since %s"
		    " (its lease runs until %s)", held.pid, host, fqdn, since,
		    until);
		return 0;
	case LEASE_STALE:
		ehttp_note(e, EHTTP_NOTE_WARNING, "Taking over %s from the"
		    " agent pid %d on %s (serving since %s): its lease ran out"
		    " at %s without a refresh", fqdn, held.pid, host, since,
		    held.lease_until ? until : "(never leased)");
		return 1;
	case LEASE_DEAD:
		ehttp_note(e, EHTTP_NOTE_WARNING, "Taking over %s from the"
		    " agent pid %d on this host (serving since %s): that"
		    " process is gone", fqdn, held.pid, since);
		return 1;
	}
	return 1;
}

/* In the transaction: 1 claimed (or no such system), 0 held, -1 error. */
static int
claim(struct ehttp *e, const char *fqdn, struct db_agent *row, time_t now)
{
	struct db_system y;
	int rc;

	if ((rc = db_system_get(e->db, fqdn, &y)) != 1)
		return rc == 0 ? 1 : ehttp_fail_db(e);	/* 0: the first poll
							   says so */
	row->system_id = y.id;
	if ((rc = lease_check(e, fqdn, row, now)) != 1)
		return rc;
	if (db_agent_bind(e->db, row) == -1)
		return ehttp_fail_db(e);
	return 1;
}

/* In the transaction: 1 written, 0 held, -1 error. */
static int
report(struct ehttp *e, const char *fqdn, const struct agent_report *p,
    time_t now)
{
	int rc;

	if ((rc = lease_check(e, fqdn, &p->row, now)) != 1)
		return rc;
	if (db_agent_bind(e->db, &p->row) == -1)
		return ehttp_fail_db(e);
	for (size_t i = 0; i < p->nevents; i++)
		if (db_status_add(e->db, p->site_id,
		    p->row.system_id, p->event_sev[i],
		    AGENT_COMPONENT, p->events[i]) == -1)
			return ehttp_fail_db(e);
	if (p->health && db_agent_health(e->db, p->row.system_id,
	    p->health_time, p->health_ok, p->health_status,
	    p->health_text) == -1)
		return ehttp_fail_db(e);
	return 1;
}

/* Commit what returned 1, roll back anything else. */
static int
settle(struct ehttp *e, int rc)
{
	if (rc == 1 && db_commit(e->db) == -1)
		rc = ehttp_fail_db(e);
	if (rc != 1)
		db_rollback(e->db);
	return rc;
}

int
agent_lease_claim(struct ehttp *e, const char *fqdn, struct db_agent *row)
{
	ehttp_notes_clear(e);
	row->system_id = 0;
	if (db_begin(e->db) == -1)
		return ehttp_fail_db(e);
	return settle(e, claim(e, fqdn, row, time(NULL)));
}

int
agent_report_write(struct ehttp *e, const char *fqdn,
    const struct agent_report *p, int wait)
{
	int rc;

	ehttp_notes_clear(e);
	if ((rc = wait ? db_begin(e->db) : db_begin_try(e->db)) == -1)
		return ehttp_fail_db(e);
	if (rc == 1) {
		ehttp_fail(e, "another program is writing to the site"
		    " database");
		return 2;
	}
	return settle(e, report(e, fqdn, p, time(NULL)));
}
