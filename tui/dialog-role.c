/*
 * dialog-role: the roles of a site system (a menu) and the Properties of
 * a management point (General: client connections) and a distribution
 * point (Communication: HTTPS or HTTP, allow anonymous connections,
 * allow WebDAV listings).
 * Applying goes through ehttp_role_set(), which issues or retires the
 * system's certificate as the site's settings require. A distribution
 * point's Content tab lists the packages it holds (dialog-dpcontent.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"
#include "xmalloc.h"

static const char *const role_buttons[] = { "OK", "Cancel", "Apply" };

/* The Content tab: its area is a gap of the form that the list fills. */
static void
content_draw(struct form *f, WINDOW *w, int y, int x, int width, void *arg)
{
	struct dialog_role *dr = arg;
	int h, cols, top = 3, lines;

	if (f->tab != DR_TAB_CONTENT || dr->content == NULL)
		return;
	getmaxyx(w, h, cols);
	(void)cols;
	/* Under the tabs, above the buttons' line (a short screen cuts it). */
	lines = h - 3 - top;
	if (lines > DR_CONTENT_LINES)
		lines = DR_CONTENT_LINES;
	dialog_dpcontent_draw(dr->content, w, top, x, lines, width);
}

void
dialog_role_form_init(struct dialog_role *dr, const struct db_role *r)
{
	struct form *f = &dr->form;
	struct form_item *it;
	char buf[320];
	int dp = strcmp(r->role, "dp") == 0;
	struct dialog *self = dr->self;
	struct db_site site = dr->site;
	struct dpcontent *content = dr->content;

	memset(dr, 0, sizeof *dr);
	dr->self = self;
	dr->site = site;
	dr->content = content;
	dr->role = *r;
	snprintf(buf, sizeof buf, "%s Properties",
	    dp ? "Distribution point" : "Management point");
	form_init(f, buf);
	f->tabs[f->ntabs++] = dp ? "Communication" : "General";
	snprintf(buf, sizeof buf, "%s on %s", rules_role_title(r->role),
	    r->fqdn);
	form_add(f, FORM_LABEL, 0, 0, 0, buf)->value = 1;
	form_add(f, FORM_LABEL, 0, 0, 0, dp ? "Configure how client devices"
	    " communicate with the distribution point:" : "Client"
	    " connections:");
	it = form_add(f, FORM_RADIO, DR_HTTPS, 0, 2, "HTTPS");
	it->group = 1;
	it->value = strcmp(r->connection, "https") == 0;
	it = form_add(f, FORM_RADIO, DR_HTTP, 0, 2, "HTTP");
	it->group = 1;
	it->value = strcmp(r->connection, "https") != 0;
	if (dp) {
		form_add(f, FORM_CHECK, DR_ANON, 0, 2, "Allow clients to connect"
		    " anonymously")->value = r->allow_anonymous == 1;
		form_add(f, FORM_CHECK, DR_PROPFIND, 0, 2, "Allow clients to list"
		    " the content (WebDAV PROPFIND)")->value =
		    r->allow_propfind != 0;
	}
	form_add(f, FORM_GAP, 0, 0, 0, NULL);
	if (ehttp_site_enhanced(&dr->site.sec))
		snprintf(buf, sizeof buf, "Site %s uses enhanced HTTP: with HTTP,"
		    " clients reach this role over TLS with its SMS Role SSL"
		    " Certificate.", dr->site.code);
	else
		snprintf(buf, sizeof buf, "With HTTPS the site system needs a PKI"
		    " certificate; with HTTP and without enhanced HTTP, site %s"
		    " is a deprecated configuration.", dr->site.code[0] ?
		    dr->site.code : "the site");
	form_add(f, FORM_LABEL, DR_INFO, 0, 0, buf);
	if (dp) {
		f->tabs[f->ntabs++] = "Content";
		form_add(f, FORM_GAP, DR_CONTENT, DR_TAB_CONTENT, 0,
		    NULL)->value = DR_CONTENT_LINES;
		f->extra_draw = content_draw;
		f->arg = dr;
	}
	form_buttons(f, role_buttons, 3);
	f->button_enabled[2] = 0;
	form_focus_first(f);
}

/* A check box's value, or -1 when it is the role's (on: was == 1). */
static int
changed_check(const struct dialog_role *dr, int id, int was)
{
	int v = form_value(&dr->form, id);

	return v == was ? -1 : v;
}

int
dialog_role_form_changed(const struct dialog_role *dr,
    struct dialog_role_change *ch)
{
	const char *conn = form_value(&dr->form, DR_HTTPS) ? "https" : "http";

	ch->connection = strcmp(conn, dr->role.connection) != 0 ? conn : NULL;
	ch->allow_anonymous = ch->allow_propfind = -1;
	if (strcmp(dr->role.role, "dp") == 0) {
		ch->allow_anonymous = changed_check(dr, DR_ANON,
		    dr->role.allow_anonymous == 1);
		ch->allow_propfind = changed_check(dr, DR_PROPFIND,
		    dr->role.allow_propfind != 0);
	}
	return ch->connection != NULL || ch->allow_anonymous != -1 ||
	    ch->allow_propfind != -1;
}

static int
reread(struct app *app, struct dialog_role *dr)
{
	struct db_role *v = NULL;
	size_t n;
	int rc = -1;

	if (ehttp_role_list(app_ehttp(app), 0, dr->role.system_id, &v,
	    &n) == -1)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].role, dr->role.role) == 0) {
			ehttp_site_get(app_ehttp(app), dr->site.id, &dr->site);
			dialog_role_form_init(dr, &v[i]);
			rc = 0;
		}
	free(v);
	return rc;
}

static void
apply_now(struct app *app, struct dialog_role *dr)
{
	struct dialog_role_change ch;
	char title[300];
	struct ehttp *k;

	if (!dialog_role_form_changed(dr, &ch)) {
		if (dr->closing)
			dialog_close(dr->self, 0, NULL);
		return;
	}
	/* Switching to HTTP in an enhanced HTTP site issues a certificate. */
	if ((k = app_key_begin(app, "Role Properties")) == NULL)
		return;
	snprintf(title, sizeof title, "%s on %s", rules_role_title(dr->role.role),
	    dr->role.fqdn);
	if (app_key_end(app, k, ehttp_role_set(k, dr->role.fqdn, dr->role.role,
	    ch.connection, ch.allow_anonymous, ch.allow_propfind),
	    "Role Properties", "The role was not changed", title,
	    "The role settings were saved.") == -1)
		return;
	app_reload_all(app);
	if (dr->closing)
		dialog_close(dr->self, 0, NULL);
	else
		reread(app, dr);
}

static void
confirm_done(struct app *app, int result, const char *text, void *arg)
{
	struct dialog_role *dr = arg;

	if (result == 0)
		apply_now(app, dr);
}

static void
role_apply(struct app *app, struct dialog_role *dr, int closing)
{
	static const char *const labels[] = { "Apply", "Cancel" };
	struct dialog_role_change ch;
	struct box *b;

	dr->closing = closing;
	if (!dialog_role_form_changed(dr, &ch)) {
		if (closing)
			dialog_close(dr->self, 0, NULL);
		return;
	}
	if (ch.allow_anonymous == 1 && dr->site.sec.enhanced_http) {
		b = box_new("Apply the role settings?");
		box_line(b, BOX_WARNING, "Distribution point %s allows anonymous"
		    " connections: turn it off for enhanced HTTP.",
		    dr->role.fqdn);
		box_buttons(b, labels, 2);
		box_dialog(app, b, confirm_done, dr);
		return;
	}
	if (ch.connection != NULL && strcmp(ch.connection, "https") == 0) {
		b = box_new("Apply the role settings?");
		box_line(b, BOX_WARNING, "HTTPS: clients trust %s only with a"
		    " PKI certificate bound on it (import it with ehttpctl cert"
		    " import-pki).", dr->role.fqdn);
		box_buttons(b, labels, 2);
		box_dialog(app, b, confirm_done, dr);
		return;
	}
	apply_now(app, dr);
}

static int
role_changed(struct dialog *d, int id)
{
	struct dialog_role *dr = d->data;
	struct dialog_role_change ch;

	dr->form.button_enabled[2] = dialog_role_form_changed(dr, &ch);
	return DLG_REDRAW;
}

static int
role_button(struct dialog *d, int pressed)
{
	role_apply(d->app, d->data, pressed == 0);
	return DLG_REDRAW;
}

/* The Content tab's list takes the moves (it has no control to focus). */
static int
role_key(struct dialog *d, enum keys_action a, int key)
{
	struct dialog_role *dr = d->data;

	if (dr->content == NULL || dr->form.tab != DR_TAB_CONTENT)
		return DLG_UNHANDLED;
	if (a == KA_REFRESH) {		/* a failure shows on the tab */
		dialog_dpcontent_reload(dr->content);
		return DLG_REDRAW;
	}
	return dialog_dpcontent_key(dr->content, a) ? DLG_REDRAW :
	    DLG_UNHANDLED;
}

static void
role_free(void *data)
{
	struct dialog_role *dr = data;

	dialog_dpcontent_free(dr->content);
	free(dr);
}

static const struct dialog_form_ops role_ops = {
	.width = 72,
	.key = role_key,
	.button = role_button,
	.changed = role_changed,
	.free = role_free,
};

/* A distribution point's: wider where the screen is, for the packages. */
static const struct dialog_form_ops dp_ops = {
	.width = 100,
	.key = role_key,
	.button = role_button,
	.changed = role_changed,
	.free = role_free,
};

int
dialog_role_open(struct app *app, const char *fqdn, const char *role)
{
	struct ehttp *e = app_ehttp(app);
	struct dialog_role *dr;
	struct db_system y;
	struct db_role *v = NULL;
	struct dialog *d;
	size_t n;
	int found = -1, dp;

	if (ehttp_system_resolve(e, fqdn, &y) != 1 ||
	    ehttp_role_list(e, 0, y.id, &v, &n) == -1) {
		app_status(app, 1, "%s", ehttp_error(e));
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].role, role) == 0)
			found = (int)i;
	if (found == -1) {
		free(v);
		app_status(app, 1, "%s has no %s.", fqdn, rules_role_title(role));
		return -1;
	}
	dr = xcalloc(1, sizeof *dr);
	ehttp_site_get(e, y.site_id, &dr->site);
	dp = strcmp(role, "dp") == 0;
	if (dp)
		dr->content = dialog_dpcontent_new(app, y.id, y.fqdn);
	dialog_role_form_init(dr, &v[found]);
	free(v);
	d = dialog_form_new(app, dp ? &dp_ops : &role_ops, &dr->form, dr);
	dr->self = d;
	app_dialog_push(app, d);
	return 0;
}

/* The roles of a system: pick one to see its Properties. */
struct pick {
	char	 fqdn[256];
	char	 roles[8][12];
	int	 n;
};

static void
pick_done(struct app *app, int result, const char *text, void *arg)
{
	struct pick *p = arg;
	const char *r;

	if (result < 0 || result >= p->n)
		return;
	r = p->roles[result];
	if (ehttp_role_info(r) != NULL && ehttp_role_info(r)->connection)
		dialog_role_open(app, p->fqdn, r);
	else
		dialog_message(app, rules_role_title(r), BOX_INFO, "The %s on %s"
		    " has no client connection settings. %s",
		    rules_role_title(r), p->fqdn, !ehttp_role_stays_http(r) ?
		    "With enhanced HTTP on, it gets an SMS Role SSL Certificate." :
		    "Enhanced HTTP does not secure it: it stays HTTP.");
}

int
dialog_role_pick(struct app *app, int64_t system_id)
{
	struct ehttp *e = app_ehttp(app);
	struct db_system y;
	struct db_role *v = NULL;
	struct pick *p;
	struct dialog *d;
	char *items[8], title[300];
	size_t n;

	/* A database error is said as such, not as "gone". */
	if (ehttp_system_get(e, system_id, &y) != 1 ||
	    ehttp_role_list(e, 0, system_id, &v, &n) == -1) {
		app_status(app, 1, "%s", ehttp_error(e));
		return -1;
	}
	p = xcalloc(1, sizeof *p);
	snprintf(p->fqdn, sizeof p->fqdn, "%s", y.fqdn);
	for (size_t i = 0; i < n && p->n < 8; i++) {
		const struct db_role *r = &v[i];
		char *s = NULL;

		if (r->allow_anonymous != -1)
			xasprintf(&s, "%-26s %s, anonymous %s",
			    rules_role_title(r->role), r->connection,
			    r->allow_anonymous ? "allowed" : "not allowed");
		else if (r->connection[0])
			xasprintf(&s, "%-26s %s", rules_role_title(r->role),
			    r->connection);
		else
			xasprintf(&s, "%s", rules_role_title(r->role));
		items[p->n] = s;
		snprintf(p->roles[p->n], sizeof p->roles[0], "%s", r->role);
		p->n++;
	}
	free(v);
	if (p->n == 0) {
		free(p);
		app_status(app, 0, "The site system has no roles.");
		return 0;
	}
	snprintf(title, sizeof title, "Site System Roles: %s", p->fqdn);
	d = dialog_menu(app, title, (const char *const *)items, p->n, 0,
	    pick_done, p);
	d->free_arg = free;
	for (int i = 0; i < p->n; i++)
		free(items[i]);
	return 0;
}
