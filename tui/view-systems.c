/*
 * view-systems: Servers and Site System Roles. One row per site system:
 * its roles and connection modes, the certificate it uses (site-issued or
 * PKI) with thumbprint and expiry, and what its agent last reported. The
 * details add the roles' settings and the status messages its agent
 * wrote, newest first. Enter lists the roles; a role's Enter opens its
 * Properties.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui.h"
#include "xmalloc.h"

struct sysrow {
	struct db_system sys;
	char		 roles[256];
	struct ehttp_serving sv;	/* ehttp_serving_list(): its cert */
	int		 has_agent;
	struct db_agent	 agent;
};

struct systems {
	struct sysrow	*v;
	size_t		 n;
	struct list	 list;
	struct search	 find;
	/* The details' roles line and status messages, read when the
	 * selection changes or after a reload, not on every repaint. */
	int64_t		 details_of;	/* system id; 0: to be read */
	char		 roles[1024];
	struct db_status *events;
	size_t		 nevents;
	char		 events_error[256];	/* "": they were read */
};

#define SYS_EVENTS	20	/* status messages read for the details */

enum { YC_NAME, YC_SITE, YC_ROLES, YC_CERT, YC_THUMB, YC_EXPIRY, YC_AGENT,
	YC_MAX };

static const struct list_col systems_cols[YC_MAX] = {
	[YC_NAME] = { "Name", NULL, 14, 24, 0, 0 },
	[YC_SITE] = { "Site", NULL, 4, 4, 0, 0 },
	[YC_ROLES] = { "Roles", NULL, 12, 30, 1, 0 },
	[YC_CERT] = { "Certificate", "Cert", 11, 11, 1, 0 },
	[YC_THUMB] = { "Thumbprint", "Thumb", 8, 40, 3, 0 },
	[YC_EXPIRY] = { "Expiration", "Expires", 10, 10, 1, 0 },
	[YC_AGENT] = { "Agent", NULL, 12, 24, 2, 0 },
};

static const struct list_field systems_fields[YC_MAX] = {
	[YC_NAME] = LIST_FIELD(TEXT, struct sysrow, sys.fqdn),
	[YC_SITE] = LIST_FIELD(TEXT, struct sysrow, sys.site_code),
	[YC_ROLES] = LIST_FIELD(TEXT, struct sysrow, roles),
};

/* Find: a site system by name, site or role. */
static int
systems_match(void *arg, size_t row, const char *needle)
{
	const struct sysrow *r = &((struct systems *)arg)->v[row];

	return text_casefind(r->sys.fqdn, strlen(r->sys.fqdn), needle) ||
	    text_casefind(r->roles, strlen(r->roles), needle) ||
	    text_casefind(r->sys.site_code, 3, needle);
}

static const char *
systems_name(void *arg, size_t row)
{
	return ((struct systems *)arg)->v[row].sys.fqdn;
}

/* Enter: the system's roles. */
static void
systems_enter(struct app *app, void *arg, size_t row)
{
	dialog_role_pick(app, ((struct systems *)arg)->v[row].sys.id);
}

static const struct search_ops systems_find = {
	systems_match, systems_name, systems_enter, "Name, site or role:"
};

static int
systems_open(struct view *v)
{
	struct systems *s;

	s = xcalloc(1, sizeof *s);
	view_list(v, &s->list, &s->find, &systems_find, s);
	v->data = s;
	return 0;
}

static void
systems_close(struct view *v)
{
	struct systems *s = v->data;

	free(s->v);
	free(s->events);
	free(s);
}

static void
agent_text(const struct sysrow *r, char *buf, size_t len)
{
	const struct db_agent *a = &r->agent;
	char t[32];

	if (!r->has_agent) {
		snprintf(buf, len, "no report");
		return;
	}
	if (ehttp_agent_silent(a, time(NULL))) {
		snprintf(buf, len, "silent since %s", text_time(a->updated > 0 ?
		    a->updated : a->health_time, t, sizeof t));
		return;
	}
	if (a->health_time == 0)
		snprintf(buf, len, "%s, not checked", a->https_port > 0 &&
		    a->cert_id != 0 ? "TLS bound" : "no TLS");
	else
		snprintf(buf, len, "%s %s", ehttp_health_name(a->health_ok),
		    text_time(a->health_time, t, sizeof t) + 11);
}

static int
agent_by_system(const void *a, const void *b)
{
	const struct db_agent *x = a, *y = b;

	return (x->system_id > y->system_id) - (x->system_id < y->system_id);
}

/* Read with a few queries, not a few per system: on a database server
 * each is a round trip, and this runs whenever the database changes. */
static int
systems_reload(struct view *v)
{
	struct systems *s = v->data;
	struct ehttp *e = app_ehttp(v->app);
	struct ehttp_serving_row *ys = NULL;
	struct db_role *rs = NULL;
	struct db_agent *ag = NULL, key, *a;
	int64_t keep = 0;
	size_t ny = 0, na = 0;

	if (s->n > 0 && s->list.cursor < s->n)
		keep = s->v[s->list.cursor].sys.id;
	/* The systems, what they serve and their roles in one snapshot; the
	 * agents' reports after it (they are of their own time anyway). */
	if (ehttp_serving_list(e, 0, &ys, &ny, &rs) == -1 ||
	    ehttp_agent_list(e, 0, &ag, &na) == -1) {
		app_status(v->app, 1, "Site systems: %s", ehttp_error(e));
		free(ys);
		free(rs);
		return -1;
	}
	if (na > 0)
		qsort(ag, na, sizeof *ag, agent_by_system);
	free(s->v);
	s->v = xcalloc(ny ? ny : 1, sizeof *s->v);
	s->n = ny;
	for (size_t i = 0; i < ny; i++) {
		struct sysrow *r = &s->v[i];
		size_t off = 0;

		r->sys = ys[i].sys;
		for (size_t j = 0; j < ys[i].nroles; j++) {
			const struct db_role *ro = &ys[i].roles[j];

			off += snprintf(r->roles + off, off < sizeof r->roles ?
			    sizeof r->roles - off : 0, "%s%s%s%s%s",
			    off ? ", " : "", ehttp_role_short(ro->role),
			    ro->connection[0] ? " (" : "",
			    strcmp(ro->connection, "https") == 0 ? "HTTPS" :
			    ro->connection[0] ? "HTTP" : "",
			    ro->connection[0] ? ")" : "");
		}
		r->sv = ys[i].sv;
		key.system_id = r->sys.id;
		if (na > 0 && (a = bsearch(&key, ag, na, sizeof *ag,
		    agent_by_system)) != NULL) {
			r->has_agent = 1;
			r->agent = *a;
		}
		if (r->sys.id == keep)
			s->list.cursor = i;
	}
	free(ys);
	free(rs);
	free(ag);
	list_set_count(&s->list, s->n);
	s->details_of = 0;
	return 0;
}

static void
systems_cell(void *arg, size_t row, int col, char *buf, size_t len)
{
	struct systems *s = arg;
	const struct sysrow *r = &s->v[row];

	if (list_field(&systems_fields[col], r, buf, len))
		return;
	switch (col) {
	case YC_CERT:
		snprintf(buf, len, "%s", r->sv.state == EHTTP_SERVE_PKI ? "PKI" :
		    r->sv.state == EHTTP_SERVE_SITE ? "Site-issued" :
		    r->sv.state == EHTTP_SERVE_FALLBACK ? "Fallback" :
		    r->sv.state == EHTTP_SERVE_NONE ? "NONE" : "-");
		break;
	case YC_THUMB:
		snprintf(buf, len, "%s", r->sv.has_cert ?
		    r->sv.cert.thumbprint : "");
		break;
	case YC_EXPIRY:
		if (r->sv.has_cert)
			text_day(r->sv.cert.not_after, buf, len);
		break;
	case YC_AGENT:
		agent_text(r, buf, len);
		break;
	}
}

static attr_t
systems_style(void *arg, size_t row)
{
	struct systems *s = arg;
	const struct sysrow *r = &s->v[row];

	if (r->sv.health == EHTTP_HEALTH_ERROR || (r->has_agent &&
	    r->agent.health_time != 0 && r->agent.health_ok ==
	    EHTTP_HEALTH_ERROR))
		return crt_attr(CRT_ERROR);
	if (r->sv.health == EHTTP_HEALTH_WARNING || (r->has_agent &&
	    r->agent.health_time != 0 && r->agent.health_ok !=
	    EHTTP_HEALTH_OK))
		return crt_attr(CRT_WARNING);
	return crt_attr(CRT_NORMAL);
}

/* The roles of the selected system, with their settings, and the status
 * messages its agent wrote. */
static void
read_details(struct view *v, struct systems *s, const struct sysrow *r)
{
	struct ehttp *e = app_ehttp(v->app);
	struct db_role *rs = NULL;
	char *roles = s->roles;
	size_t nr = 0, off = 0, len = sizeof s->roles;

	s->details_of = r->sys.id;
	free(s->events);
	s->events = NULL;
	s->nevents = 0;
	s->events_error[0] = '\0';
	if (ehttp_status_list(e, 0, r->sys.id, SYS_EVENTS, &s->events,
	    &s->nevents) == -1)
		snprintf(s->events_error, sizeof s->events_error, "%s",
		    ehttp_error(e));
	roles[0] = '\0';
	if (ehttp_role_list(e, 0, r->sys.id, &rs, &nr) == -1)
		return;
	for (size_t i = 0; i < nr && off < len; i++) {
		const struct db_role *x = &rs[i];

		off += snprintf(roles + off, len - off, "%s%s", i ? "; " : "",
		    rules_role_title(x->role));
		if (off >= len)
			break;
		if (strcmp(x->role, "dp") == 0)
			off += snprintf(roles + off, len - off, " (%s, anonymous"
			    " %s)", x->connection, x->allow_anonymous ?
			    "allowed" : "not allowed");
		else if (x->connection[0])
			off += snprintf(roles + off, len - off, " (%s)",
			    x->connection);
		else if (ehttp_role_stays_http(x->role))
			off += snprintf(roles + off, len - off, " (stays HTTP:"
			    " enhanced HTTP does not secure it)");
	}
	free(rs);
}

/* The agent's lines of the details from line y; returns the next. */
static int
agent_details(const struct sysrow *r, WINDOW *w, int y, int h, int width)
{
	char t1[32];

	if (!r->has_agent) {
		text_put(w, y++, 1, width - 2, "Agent: no report yet (ehttp-mpd"
		    " has not run for this site system).", (size_t)-1,
		    crt_attr(CRT_DIM));
		return y;
	}
	if (r->agent.cert_id == 0)
		text_putf(w, y++, 1, width - 2, A_NORMAL, "Agent (pid %d): not"
		    " serving TLS; HTTP port %d", r->agent.pid,
		    r->agent.http_port);
	else if (!ehttp_agent_current(&r->sv, &r->agent))
		text_putf(w, y++, 1, width - 2, crt_attr(CRT_WARNING), "Agent"
		    " (pid %d): HTTPS port %d serves %.8s..., not the certificate"
		    " in use yet (next poll)", r->agent.pid, r->agent.https_port,
		    r->agent.thumbprint);
	else
		text_putf(w, y++, 1, width - 2, A_NORMAL, "Agent (pid %d): TLS"
		    " on port %d since %s, HTTP on %d", r->agent.pid,
		    r->agent.https_port, text_time(r->agent.bound_since, t1,
		    sizeof t1), r->agent.http_port);
	if (y >= h)
		return y;
	if (r->agent.health_time == 0)
		text_put(w, y++, 1, width - 2, "Last health check: none yet",
		    (size_t)-1, A_NORMAL);
	else
		text_putf(w, y++, 1, width - 2, r->agent.health_ok ==
		    EHTTP_HEALTH_OK ? crt_attr(CRT_OK) : r->agent.health_ok ==
		    EHTTP_HEALTH_WARNING ? crt_attr(CRT_WARNING) :
		    crt_attr(CRT_ERROR), "Last health check %s: %s, status %d,"
		    " %s", text_time(r->agent.health_time, t1, sizeof t1),
		    ehttp_health_name(r->agent.health_ok),
		    r->agent.health_status, r->agent.health_text);
	return y;
}

/* The status messages its agent wrote, newest first, as many as fit. */
static void
events_details(const struct systems *s, WINDOW *w, int y, int h, int width)
{
	char t[32];

	if (y + 1 >= h)
		return;
	y++;
	if (s->events_error[0] != '\0') {
		text_putf(w, y, 1, width - 2, crt_attr(CRT_ERROR), "Status"
		    " messages: cannot be read: %s", s->events_error);
		return;
	}
	if (s->nevents == 0) {
		text_put(w, y, 1, width - 2, "Status messages: none.",
		    (size_t)-1, crt_attr(CRT_DIM));
		return;
	}
	text_put(w, y++, 1, width - 2, "Status messages (newest first):",
	    (size_t)-1, A_BOLD);
	for (size_t i = 0; i < s->nevents && y < h; i++) {
		const struct db_status *m = &s->events[i];

		text_putf(w, y++, 3, width - 4, crt_attr(crt_severity(
		    m->severity)), "%s  %-7s  %s",
		    text_time(m->time, t, sizeof t), m->severity, m->message);
	}
}

static void
systems_details(struct view *v, struct systems *s, WINDOW *w)
{
	const struct sysrow *r;
	const char *roles = s->roles;
	char t1[32], t2[32];
	int h, width, y = 0;

	getmaxyx(w, h, width);
	if (s->n == 0)
		return;
	r = &s->v[s->list.cursor];
	text_putf(w, y++, 1, width - 2, A_BOLD, "%s (site %s)", r->sys.fqdn,
	    r->sys.site_code);
	if (s->details_of != r->sys.id)
		read_details(v, s, r);
	text_putf(w, y++, 1, width - 2, A_NORMAL, "Roles: %s", roles[0] ?
	    roles : "none");
	if (y < h)
		text_putf(w, y++, 1, width - 2, r->sv.health ==
		    EHTTP_HEALTH_ERROR ? crt_attr(CRT_ERROR) : r->sv.health ==
		    EHTTP_HEALTH_WARNING ? crt_attr(CRT_WARNING) : A_NORMAL,
		    "Certificate: %s. %s", r->sv.state_text, r->sv.reason);
	if (y < h && r->sv.has_cert)
		text_putf(w, y++, 3, width - 4, A_NORMAL, "%s issued by %s,"
		    " valid %s to %s", ehttp_cert_type_title(r->sv.cert.type),
		    r->sv.cert.issued_by, text_day(r->sv.cert.not_before, t1,
		    sizeof t1), text_day(r->sv.cert.not_after, t2, sizeof t2));
	if (y < h)
		text_putf(w, y++, 3, width - 4, r->has_agent &&
		    !ehttp_agent_current(&r->sv, &r->agent) ?
		    crt_attr(CRT_WARNING) : A_NORMAL, "Thumbprint"
		    " expected %s, served %s", r->sv.has_cert ?
		    r->sv.cert.thumbprint : "none (no TLS)", !r->has_agent ?
		    "unknown (no agent report)" : r->agent.cert_id != 0 ?
		    r->agent.thumbprint : "none (no TLS)");
	if (y < h)
		y = agent_details(r, w, y, h, width);
	events_details(s, w, y, h, width);
}

static void
systems_draw(struct view *v, WINDOW *list, WINDOW *details, int focused)
{
	struct systems *s = v->data;

	list_draw(list, &s->list, systems_cols, YC_MAX, -1, 0, focused,
	    systems_cell, systems_style, s);
	if (s->n == 0)
		text_put(list, 2, 2, 60, "There are no site systems.", (size_t)-1,
		    crt_attr(CRT_DIM));
	systems_details(v, s, details);
}

const struct view_ops view_systems_ops = {
	.scope = KS_SYSTEMS | KS_FIND,
	.open = systems_open,
	.close = systems_close,
	.reload = systems_reload,
	.draw = systems_draw,
	.key = search_view_key,
	.row = "Site system",
};
