/*
 * view-overview: the Overview node and Monitoring > Site server, two
 * views of lines. The Overview is what an administrator checks first:
 * each site with its settings and counts, certificates expiring soon and
 * those nothing will renew, the site server, agents that are unhealthy or
 * silent, deprecated configurations, prerequisite warnings and the latest
 * status messages. The Site server view: its last pass (when, what it
 * did, what it could not do), the next one, and its status messages.
 * Enter on a line goes to the node it is about.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui.h"
#include "xmalloc.h"


#define OV_TEXT		512	/* a line's bytes at most, its NUL included */
#define OV_FIRST_PAGE	32	/* certificates read for the first screen */
#define OV_PAGE		256	/* and then at a time */
#define OV_WORK_MS	30	/* and of each tick after it */

struct ov_line {
	char			*text;
	char			*item;		/* its row there: code, FQDN */
	enum crt_style		 style;
	enum app_node		 target;	/* the node, or APP_NODE_NONE */
	int			 expiring;	/* certificates: the filter */
};

struct ov_lines {
	struct ov_line		*v;
	size_t			 n, cap;
};

/*
 * The certificates in use that end within 30 days and that nothing will
 * renew: as many lines as there are (a quarter of a million on a database
 * of a million certificates), read by a walk a page at a time so that no
 * screen waits for the whole list. The first read fills the lines shown
 * as it goes (the first page with the first screen, the rest at the
 * ticks after it: a line says more is coming); a re-read fills its own
 * lines and they replace those shown when it is whole.
 */
struct ov_alerts {
	struct ehttp_alert_walk	*walk;		/* a read running; NULL: none */
	struct ov_lines		 shown;
	struct ov_lines		 next;		/* a re-read's, until it ends */
	struct ov_lines		*into;		/* &shown or &next */
	size_t			 found;		/* alerts in *into */
	int			 read;		/* a read has ended */
};

/* Counts of active and blocked certificates come from the database's
 * tally (no scan): taken with the first screen and on explicit reloads,
 * not on the periodic re-read. The expiring ones are counted from an
 * index, as many entries as certificates expire: after the first screen
 * (tick). */
struct ov_counts {
	int		 valid;
	int		 expiring_valid;
	int64_t		 site_ids[64];
	size_t		 site_active[64];
	size_t		 nsites;
	size_t		 active, expiring, blocked;
};

enum ov_recount { OV_KEEP, OV_COUNT, OV_COUNT_EXPIRING };

/* The list: lines[0, at), the alert lines, then lines[at, n) (the alert
 * lines only where the build put them: has_alerts). */
struct overview {
	void		(*build)(struct view *, enum ov_recount);
	int		 sited;		/* the Site server view */
	struct ov_lines	 lines;
	size_t		 at;
	int		 has_alerts;
	struct ov_alerts al;
	struct list	 list;
	struct ov_counts c;
	int		 need_count;
};

static void
count_all(struct ehttp *e, const struct db_site *sites, size_t ns,
    struct ov_counts *c)
{
	struct db_cert_filter f;

	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < ns && i < 64; i++) {
		memset(&f, 0, sizeof f);
		f.site_id = sites[i].id;
		f.active_only = 1;
		f.expiring_days = -1;
		c->site_ids[i] = sites[i].id;
		ehttp_cert_count(e, &f, &c->site_active[i]);
		c->nsites++;
	}
	memset(&f, 0, sizeof f);
	f.expiring_days = -1;
	f.active_only = 1;
	ehttp_cert_count(e, &f, &c->active);
	memset(&f, 0, sizeof f);
	f.expiring_days = -1;
	f.blocked_only = 1;
	ehttp_cert_count(e, &f, &c->blocked);
	c->valid = 1;
}

static void
count_expiring(struct ehttp *e, struct ov_counts *c)
{
	struct db_cert_filter f;

	memset(&f, 0, sizeof f);
	f.active_only = 1;
	f.expiring_days = EHTTP_RENEW_DAYS;
	ehttp_cert_count(e, &f, &c->expiring);
	c->expiring_valid = 1;
}

static int
site_count(const struct ov_counts *c, int64_t id, char *buf, size_t len)
{
	for (size_t i = 0; i < c->nsites; i++)
		if (c->site_ids[i] == id) {
			snprintf(buf, len, "%4zu", c->site_active[i]);
			return c->site_active[i] == 1;
		}
	snprintf(buf, len, "   ?");
	return 0;
}

static void
lines_clear(struct ov_lines *ls)
{
	for (size_t i = 0; i < ls->n; i++) {
		free(ls->v[i].text);
		free(ls->v[i].item);
	}
	ls->n = 0;
}

static void
lines_free(struct ov_lines *ls)
{
	lines_clear(ls);
	free(ls->v);
	ls->v = NULL;
	ls->cap = 0;
}

static struct ov_line * __attribute__((format(printf, 4, 0)))
lines_vadd(struct ov_lines *ls, enum crt_style style, enum app_node target,
    const char *fmt, va_list ap)
{
	struct ov_line *l;
	char text[OV_TEXT];

	vsnprintf(text, sizeof text, fmt, ap);
	ls->v = xgrowarray(ls->v, &ls->cap, ls->n, 32, sizeof *ls->v);
	l = &ls->v[ls->n++];
	*l = (struct ov_line){ .text = xstrdup(text), .style = style,
	    .target = target };
	return l;
}

static struct ov_line *
lines_add(struct ov_lines *, enum crt_style, enum app_node, const char *,
    ...) __attribute__((format(printf, 4, 5)));

static struct ov_line *
lines_add(struct ov_lines *ls, enum crt_style style, enum app_node target,
    const char *fmt, ...)
{
	struct ov_line *l;
	va_list ap;

	va_start(ap, fmt);
	l = lines_vadd(ls, style, target, fmt, ap);
	va_end(ap);
	return l;
}

static void
add(struct overview *o, enum crt_style style, enum app_node target,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
add(struct overview *o, enum crt_style style, enum app_node target,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lines_vadd(&o->lines, style, target, fmt, ap);
	va_end(ap);
}

/* The item the last line is about (its row in the target view). */
static void
item(struct overview *o, const char *key)
{
	char buf[256];

	snprintf(buf, sizeof buf, "%s", key);
	if (buf[0] != '\0')
		o->lines.v[o->lines.n - 1].item = xstrdup(buf);
}

static size_t
rows(const struct overview *o)
{
	return o->lines.n + (o->has_alerts ? o->al.shown.n : 0);
}

/* Row r of the list. */
static const struct ov_line *
line(const struct overview *o, size_t r)
{
	if (!o->has_alerts || r < o->at)
		return &o->lines.v[r];
	if (r - o->at < o->al.shown.n)
		return &o->al.shown.v[r - o->at];
	return &o->lines.v[r - o->al.shown.n];
}

static void build(struct view *, enum ov_recount);
static void sited_build(struct view *, enum ov_recount);

static int
ov_open(struct view *v)
{
	struct overview *o;

	o = xcalloc(1, sizeof *o);
	o->sited = v->ops == &view_sited_ops;
	o->build = o->sited ? sited_build : build;
	view_list(v, &o->list, NULL, NULL, NULL);
	v->data = o;
	return 0;
}

static enum crt_style
health_style(int health)
{
	return health == EHTTP_HEALTH_OK ? CRT_OK :
	    health == EHTTP_HEALTH_WARNING ? CRT_WARNING : CRT_ERROR;
}

/* ----------------------------------------------------------- alerts */

/* The alert lines went from was to as many as shown now: a line after
 * them keeps the cursor. */
static void
alerts_moved(struct overview *o, size_t was)
{
	if (o->has_alerts && o->list.cursor >= o->at + was)
		o->list.cursor = o->list.cursor - was + o->al.shown.n;
	list_set_count(&o->list, rows(o));
}

/* The read ended: its lines are shown (the Site server view says when
 * there are none). */
static void
alerts_end(struct overview *o)
{
	ehttp_alert_walk_free(o->al.walk);
	o->al.walk = NULL;
	if (o->sited && o->al.found == 0)
		lines_add(o->al.into, CRT_OK, APP_NODE_NONE, "  None.");
	if (o->al.into == &o->al.next) {
		lines_free(&o->al.shown);
		o->al.shown = o->al.next;
		memset(&o->al.next, 0, sizeof o->al.next);
	}
	o->al.into = NULL;
	o->al.read = 1;
}

/* The line a first read ends with until it is whole. */
static void
alerts_pending(struct overview *o, int on)
{
	struct ov_lines *ls = &o->al.shown;

	if (o->al.into != ls)
		return;
	if (on)
		lines_add(ls, CRT_DIM, APP_NODE_NONE, "  Reading the"
		    " certificates it cannot renew...");
	else if (ls->n > o->al.found) {
		ls->n--;
		free(ls->v[ls->n].text);
		free(ls->v[ls->n].item);
	}
}

/* One page of the walk: 1 more to read, 0 the read ended (an error
 * too: its line says it). */
static int
alerts_page(struct overview *o, struct ehttp *e, size_t max)
{
	struct ehttp_alert *a = NULL;
	struct ov_line *l;
	size_t n = 0, was = o->al.shown.n;
	int rc;

	alerts_pending(o, 0);
	if ((rc = ehttp_alert_walk_next(o->al.walk, max, &a, &n)) == -1) {
		lines_clear(o->al.into);
		o->al.found = 0;
		lines_add(o->al.into, CRT_ERROR, APP_NODE_NONE, "  Cannot read"
		    " the expiring certificates: %s", ehttp_error(e));
	}
	for (size_t i = 0; i < n; i++) {
		l = lines_add(o->al.into, a[i].level == 0 ? CRT_ERROR :
		    CRT_WARNING, APP_NODE_CERTS, "  %s", a[i].text);
		l->expiring = 1;
	}
	o->al.found += n;
	free(a);
	if (rc == 1)
		alerts_pending(o, 1);
	else
		alerts_end(o);
	alerts_moved(o, was);
	return rc == 1;
}

/* Pages for about budget_ms (one at least): 1 if more remain. */
static int
alerts_work(struct overview *o, struct ehttp *e, size_t first, int budget_ms)
{
	long start = work_clock_ms();
	int more;

	if (o->al.walk == NULL)
		return 0;
	more = alerts_page(o, e, first);
	while (more && work_clock_ms() - start < budget_ms)
		more = alerts_page(o, e, OV_PAGE);
	return more;
}

/* Read the alerts again (the first time into the lines shown); a read
 * already running goes on unless restart. Its first page now, small
 * enough for the first screen (on a small database it is the whole
 * list); the rest at the ticks. */
static void
alerts_read(struct overview *o, struct ehttp *e, int restart)
{
	size_t was = o->al.shown.n;

	if (o->al.walk != NULL) {
		if (!restart)
			return;
		ehttp_alert_walk_free(o->al.walk);
		lines_clear(o->al.into);
		alerts_moved(o, was);
	}
	o->al.walk = ehttp_alert_walk_new(e, 0);
	o->al.into = o->al.read ? &o->al.next : &o->al.shown;
	o->al.found = 0;
	alerts_work(o, e, OV_FIRST_PAGE, 0);
}

/* The site server's state: one line; its newest pass in rec. */
static void
add_sited(struct overview *o, struct ehttp *e, struct db_pass *rec)
{
	char text[512];
	int health;

	if (ehttp_pass_state(e, rec, &health, text, sizeof text) == -1)
		add(o, CRT_ERROR, APP_NODE_SITED, "  Cannot read the site"
		    " server's passes: %s", ehttp_error(e));
	else
		add(o, health_style(health), APP_NODE_SITED, "  %s", text);
}

static void
sited_build(struct view *v, enum ov_recount recount)
{
	struct overview *o = v->data;
	struct ehttp *e = app_ehttp(v->app);
	struct db_status *st = NULL;
	struct db_pass rec;
	size_t cursor = o->list.cursor, nst = 0, shown = 0;
	char t[32];

	(void)recount;
	lines_clear(&o->lines);
	o->has_alerts = 0;
	add(o, CRT_TREE_GROUP, APP_NODE_NONE, "Site server (ehttp-sited)");
	add_sited(o, e, &rec);
	if (rec.id != 0) {
		add(o, CRT_NORMAL, APP_NODE_NONE, "  Pass %lld started %s,"
		    " %s.", (long long)rec.id, text_time(rec.started, t,
		    sizeof t), rec.finished ? "finished" : "not finished");
		add(o, rec.failed > 0 ? CRT_WARNING : CRT_NORMAL,
		    APP_NODE_NONE, "  What it did: %s", rec.summary[0] ?
		    rec.summary : "(the pass has not finished)");
	}
	add(o, CRT_NORMAL, APP_NODE_NONE, "%s", "");
	add(o, CRT_TREE_GROUP, APP_NODE_CERTS, "What it cannot fix: certificates"
	    " in use that end within 30 days");
	o->at = o->lines.n;	/* the alerts, or "None." */
	o->has_alerts = 1;
	add(o, CRT_NORMAL, APP_NODE_NONE, "%s", "");
	add(o, CRT_TREE_GROUP, APP_NODE_NONE, "Its status messages (details:"
	    " certmgr.log)");
	if (ehttp_status_list(e, 0, 0, 200, &st, &nst) == 0) {
		for (size_t i = 0; i < nst && shown < 20; i++) {
			/* In its component, and not an agent's. */
			if (strcmp(st[i].component, DB_SITED_COMPONENT) != 0 ||
			    st[i].system_id != 0)
				continue;
			shown++;
			add(o, crt_severity(st[i].severity), APP_NODE_NONE,
			    "  %s %-3s %s", text_time(st[i].time, t, sizeof t),
			    st[i].site_code[0] ? st[i].site_code : "-",
			    st[i].message);
		}
		free(st);
	}
	if (shown == 0)
		add(o, CRT_DIM, APP_NODE_NONE, "  None.");
	o->list.cursor = cursor;
	list_set_count(&o->list, rows(o));
}

static void
ov_close(struct view *v)
{
	struct overview *o = v->data;

	ehttp_alert_walk_free(o->al.walk);
	lines_free(&o->lines);
	lines_free(&o->al.shown);
	lines_free(&o->al.next);
	free(o);
}

static void
build(struct view *v, enum ov_recount recount)
{
	struct overview *o = v->data;
	struct ehttp *e = app_ehttp(v->app);
	struct db_site *sites = NULL;
	struct db_agent *agents = NULL;
	struct db_status *st = NULL;
	struct ehttp_serving_row *ys = NULL;
	size_t ns = 0, na = 0, nst = 0, deprecated = 0, prereq = 0, bad = 0;
	size_t ny = 0;
	size_t cursor = o->list.cursor;
	time_t now = time(NULL);
	char t[32], num[16], nsys[16], yerr[512] = "";

	lines_clear(&o->lines);
	o->has_alerts = 0;
	if (ehttp_site_list(e, &sites, &ns) == -1) {
		add(o, CRT_ERROR, APP_NODE_NONE, "Cannot read the sites: %s",
		    ehttp_error(e));
		goto out;
	}
	/* Every system and what it serves, in a few queries (not a few per
	 * system: on a database server each is a round trip). */
	if (ehttp_serving_list(e, 0, &ys, &ny, NULL) == -1)
		snprintf(yerr, sizeof yerr, "%s", ehttp_error(e));
	if (recount == OV_COUNT)
		count_all(e, sites, ns, &o->c);
	else if (recount == OV_COUNT_EXPIRING)
		count_expiring(e, &o->c);
	add(o, CRT_TREE_GROUP, APP_NODE_SITES, "Sites");
	for (size_t i = 0; i < ns; i++) {
		struct db_site *s = &sites[i];
		size_t nys = 0;
		int one;

		for (size_t k = 0; k < ny; k++)
			nys += ys[k].sys.site_id == s->id;
		if (yerr[0] != '\0')
			snprintf(nsys, sizeof nsys, " ?");	/* not read */
		else
			snprintf(nsys, sizeof nsys, "%2zu", nys);
		one = site_count(&o->c, s->id, num, sizeof num);
		add(o, CRT_NORMAL, APP_NODE_SITES, "  %-3s %-9s %-13s eHTTP"
		    " %-3s  %s system%s %s certificate%s  %s", s->code,
		    rules_site_type_name(s->type), view_sites_comm(&s->sec),
		    s->sec.enhanced_http ? "on" : "off", nsys, nys == 1 ? " " :
		    "s", num, one ? " " : "s", s->name);
		item(o, s->code);
	}

	add(o, CRT_NORMAL, APP_NODE_NONE, "%s", "");
	add(o, CRT_TREE_GROUP, APP_NODE_CERTS, "Certificates");
	if (!o->c.valid)
		add(o, CRT_DIM, APP_NODE_CERTS, "  Counting...");
	else {
		add(o, CRT_NORMAL, APP_NODE_CERTS, "  %zu active certificate%s.",
		    o->c.active, o->c.active == 1 ? "" : "s");
		if (!o->c.expiring_valid)
			add(o, CRT_DIM, APP_NODE_CERTS, "  Counting those that"
			    " expire within %d days...", EHTTP_RENEW_DAYS);
		else
			add(o, o->c.expiring > 0 ? CRT_WARNING : CRT_OK,
			    APP_NODE_CERTS, "  %zu expire%s within %d days.",
			    o->c.expiring, o->c.expiring == 1 ? "s" : "",
			    EHTTP_RENEW_DAYS);
		o->lines.v[o->lines.n - 1].expiring = 1;
		if (o->c.blocked > 0)
			add(o, CRT_ERROR, APP_NODE_CERTS, "  %zu blocked.",
			    o->c.blocked);
	}


	add(o, CRT_NORMAL, APP_NODE_NONE, "%s", "");
	add(o, CRT_TREE_GROUP, APP_NODE_SYSTEMS, "Agents");
	if (ehttp_agent_list(e, 0, &agents, &na) == 0) {
		for (size_t i = 0; i < na; i++) {
			struct db_agent *a = &agents[i];
			time_t last = a->health_time > a->updated ?
			    a->health_time : a->updated;	/* shown */

			/* Only OK is healthy: a warning (a fallback) is not. */
			if (a->health_time != 0 && a->health_ok !=
			    EHTTP_HEALTH_OK) {
				bad++;
				add(o, a->health_ok == EHTTP_HEALTH_WARNING ?
				    CRT_WARNING : CRT_ERROR, APP_NODE_SYSTEMS,
				    "  %s: health %s at %s"
				    " (status %d, %s).", a->fqdn,
				    ehttp_health_name(a->health_ok),
				    text_time(a->health_time, t, sizeof t),
				    a->health_status, a->health_text);
				item(o, a->fqdn);
			} else if (ehttp_agent_silent(a, now)) {
				bad++;
				add(o, CRT_WARNING, APP_NODE_SYSTEMS, "  %s: no"
				    " report since %s.", a->fqdn,
				    text_time(last, t, sizeof t));
				item(o, a->fqdn);
			}
		}
		free(agents);
	}
	/* What each system should serve, whether or not its agent reported:
	 * one that cannot be reached securely is listed. */
	if (yerr[0] != '\0')
		add(o, CRT_ERROR, APP_NODE_SYSTEMS, "  Cannot read the site"
		    " systems: %s", yerr);
	for (size_t i = 0; i < ny; i++) {
		if (ys[i].sv.health == EHTTP_HEALTH_OK)
			continue;
		add(o, ys[i].sv.health == EHTTP_HEALTH_WARNING ? CRT_WARNING :
		    CRT_ERROR, APP_NODE_SYSTEMS, "  %s: %s.", ys[i].sys.fqdn,
		    ys[i].sv.state_text);
	}
	if (na == 0)
		add(o, CRT_DIM, APP_NODE_SYSTEMS, "  No agent has"
		    " reported yet (ehttp-mpd).");
	else
		add(o, bad ? CRT_WARNING : CRT_OK, APP_NODE_SYSTEMS,
		    "  %zu agent%s reporting, %zu unhealthy or"
		    " silent.", na, na == 1 ? "" : "s", bad);

	add(o, CRT_NORMAL, APP_NODE_NONE, "%s", "");
	add(o, CRT_TREE_GROUP, APP_NODE_SITES, "Deprecated configurations and"
	    " prerequisite warnings");
	for (size_t i = 0; i < ns; i++) {
		struct ehttp_note *w = NULL;
		size_t nw = 0;

		if (ehttp_site_warnings(e, &sites[i], &w, &nw) == -1)
			continue;
		for (size_t k = 0; k < nw; k++) {
			int dep = strncmp(w[k].text, "Deprecated", 10) == 0;

			add(o, CRT_WARNING, APP_NODE_SITES, "  %s%s", dep ? "" :
			    "Prerequisite: ", w[k].text);
			item(o, sites[i].code);
			if (dep)
				deprecated++;
			else
				prereq++;
		}
		free(w);
	}
	if (deprecated + prereq == 0)
		add(o, CRT_OK, APP_NODE_SITES, "  None.");
	add(o, CRT_NORMAL, APP_NODE_NONE, "%s", "");
	add(o, CRT_TREE_GROUP, APP_NODE_SITED, "Site server and what it cannot"
	    " renew");
	{
		struct db_pass rec;

		add_sited(o, e, &rec);
		o->at = o->lines.n;	/* the alerts */
		o->has_alerts = 1;
	}

	add(o, CRT_NORMAL, APP_NODE_NONE, "%s", "");
	add(o, CRT_TREE_GROUP, APP_NODE_NONE, "Latest status messages");
	if (ehttp_status_list(e, 0, 0, 8, &st, &nst) == 0) {
		for (size_t i = 0; i < nst; i++)
			add(o, crt_severity(st[i].severity), APP_NODE_NONE,
			    "  %s %-3s %s%s%s",
			    text_time(st[i].time, t, sizeof t),
			    st[i].site_code[0] ? st[i].site_code : "-",
			    st[i].system_fqdn,	/* whose agent wrote it */
			    st[i].system_fqdn[0] ? ": " : "", st[i].message);
		free(st);
	}
	if (nst == 0)
		add(o, CRT_DIM, APP_NODE_NONE, "  None.");
out:
	free(sites);
	free(ys);
	o->list.cursor = cursor;
	list_set_count(&o->list, rows(o));
}

/* Shown or refreshed on purpose: now with the counts the tally gives,
 * then the expiring ones at the next tick (the first screen does not wait
 * for them); the alerts read again from the start. */
static int
ov_reload(struct view *v)
{
	struct overview *o = v->data;

	alerts_read(o, app_ehttp(v->app), 1);
	o->build(v, OV_COUNT);
	o->need_count = !o->sited;
	return 0;
}

/* The periodic re-read: the alerts too, unless a read is still running. */
static int
ov_poll(struct view *v)
{
	struct overview *o = v->data;

	alerts_read(o, app_ehttp(v->app), 0);
	o->build(v, OV_KEEP);
	return 0;
}

static int
ov_tick(struct view *v, int *wish)
{
	struct overview *o = v->data;
	int r = VIEW_NONE;

	if (o->need_count) {
		o->need_count = 0;
		o->build(v, OV_COUNT_EXPIRING);
		r = VIEW_REDRAW;
	}
	if (o->al.walk != NULL) {
		if (alerts_work(o, app_ehttp(v->app), OV_PAGE, OV_WORK_MS))
			*wish = 0;
		r = VIEW_REDRAW;
	}
	return r;
}

static void
ov_cell(void *arg, size_t row, int col, char *buf, size_t len)
{
	struct overview *o = arg;

	snprintf(buf, len, "%s", line(o, row)->text);
}

static attr_t
ov_style(void *arg, size_t row)
{
	struct overview *o = arg;

	return crt_attr(line(o, row)->style);
}

static const struct list_col ov_cols[] = {
	{ "Overview", NULL, 20, 400, 0, 0 },
};

static void
ov_draw(struct view *v, WINDOW *list, WINDOW *details, int focused)
{
	struct overview *o = v->data;
	const struct ov_line *l;
	int h, width;

	list_draw(list, &o->list, ov_cols, 1, -1, 0, focused, ov_cell, ov_style,
	    o);
	getmaxyx(details, h, width);
	(void)h;
	if (rows(o) == 0)
		return;
	l = line(o, o->list.cursor);
	text_put(details, 0, 1, width - 2, l->text[0] == ' ' ? l->text + 2 :
	    l->text, (size_t)-1, crt_attr(l->style));
	if (l->target != APP_NODE_NONE)
		text_putf(details, 2, 1, width - 2, crt_attr(CRT_DIM), "Enter:"
		    " go to %s%s%s.", app_node_label(v->app, l->target),
		    l->item != NULL ? ", " : "",
		    l->item != NULL ? l->item : "");
}

static int
ov_key(struct view *v, enum keys_action a, int key)
{
	struct overview *o = v->data;
	const struct ov_line *l;

	if (list_key(&o->list, a))
		return VIEW_REDRAW;
	if (a == KA_OPEN && rows(o) > 0) {
		l = line(o, o->list.cursor);
		if (l->target == APP_NODE_NONE)
			return VIEW_NONE;
		if (l->expiring) {
			struct view *c = app_view(v->app, APP_NODE_CERTS);
			struct dialog_cert_filter f;

			memset(&f, 0, sizeof f);
			f.expiring = 1;
			if (c != NULL)
				view_certs_set_filter(c, &f);
		}
		app_select_item(v->app, l->target, l->item);
		return VIEW_REDRAW;
	}
	return VIEW_UNHANDLED;
}

/* Both views show the same lines; the Site server view has nothing to
 * count after the first screen, only the alerts to read. */
#define OVERVIEW_OPS \
	.scope = KS_OVERVIEW, .open = ov_open, .close = ov_close, \
	.reload = ov_reload, .draw = ov_draw, .key = ov_key, .poll = ov_poll, \
	.tick = ov_tick

const struct view_ops view_overview_ops = { OVERVIEW_OPS };
const struct view_ops view_sited_ops = { OVERVIEW_OPS };
