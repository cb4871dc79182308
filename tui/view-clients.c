/*
 * view-clients: the Clients node, the clients registered at the
 * hierarchy's management points. The list is a window over the database
 * (a count, and the rows near the screen by keyset paging, rowbuf.c) in
 * the order they registered. Approve, Block, Unblock and Delete work on
 * the selected client, from keys or its menu (Enter); Block and Delete ask
 * first. Everything a client sent (its name above all) is untrusted: it
 * reaches the screen only through text_put(), which shows what is unsafe
 * as '?'.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui.h"
#include "xmalloc.h"

enum { KC_NAME, KC_SMSID, KC_APPROVAL, KC_BLOCKED, KC_SITE, KC_REGISTERED,
	KC_CONTACT, KC_MAX };

static const struct list_col clients_cols[KC_MAX] = {
	[KC_NAME] = { "Name", NULL, 10, 20, 0, 0 },
	[KC_SMSID] = { "SMSID", NULL, 13, 41, 2, 0 },
	[KC_APPROVAL] = { "Approval", "Appr", 8, 8, 0, 0 },
	[KC_BLOCKED] = { "Blocked", "Blk", 3, 7, 1, 0 },
	[KC_SITE] = { "Site", NULL, 4, 4, 0, 0 },
	[KC_REGISTERED] = { "Registered", "Reg", 10, 10, 0, 0 },
	[KC_CONTACT] = { "Last contact", "Contact", 16, 16, 0, LIST_ELASTIC },
};

#define CELL(kind, field)	LIST_FIELD(kind, struct db_client, field)
static const struct list_field clients_cells[KC_MAX] = {
	[KC_NAME] = CELL(TEXT, name),
	[KC_SMSID] = CELL(TEXT, smsid),
	[KC_APPROVAL] = { LIST_OWN, 0 },
	[KC_BLOCKED] = CELL(YES_NO, blocked),
	[KC_SITE] = CELL(TEXT, site_code),
	[KC_REGISTERED] = CELL(DAY, registered),
	[KC_CONTACT] = { LIST_OWN, 0 },
};
#undef CELL

/* The menu's actions, in the order offered. */
#define CLIENTS_MENU	4

struct clients {
	struct view		*view;
	struct pagelist		 pl;
	int			 automatic;	/* hierarchy approval, last read */
	/* The client a confirmation or the menu is about, by SMSID: the
	 * action goes to that client even if the list moved meanwhile. */
	char			 pending[48];
	enum ehttp_client_action menu[CLIENTS_MENU];
	int			 nmenu;
};

static int
clients_count(void *arg, size_t *total)
{
	struct clients *c = arg;

	return ehttp_client_count(app_ehttp(c->view->app), 0, total);
}

static int
clients_page(void *arg, const void *after, int backward, size_t limit,
    void **rows, size_t *n)
{
	struct clients *c = arg;
	struct ehttp *e = app_ehttp(c->view->app);
	const struct db_client *a = after;
	struct db_client *v = NULL;
	int64_t key = a != NULL ? a->id : 0;
	int rc;

	if (backward)
		rc = ehttp_client_page_before(e, 0, key, limit, &v, n);
	else
		rc = ehttp_client_page(e, 0, key, limit, &v, n);
	*rows = v;
	return rc;
}

static int
clients_reload(struct view *v)
{
	struct clients *c = v->data;

	if (ehttp_hierarchy_approval(app_ehttp(v->app), &c->automatic) == -1) {
		pagelist_fail(&c->pl);
		return -1;
	}
	return pagelist_reload(&c->pl);
}

/* Approval and Last contact (the others are fields: clients_cells). */
static void
clients_cell(void *arg, const void *row, int col, int width, char *buf,
    size_t len)
{
	const struct db_client *x = row;

	if (col == KC_APPROVAL)
		snprintf(buf, len, "%s", x->approved ? "Approved" : "Pending");
	else if (x->last_contact == 0)
		snprintf(buf, len, "never");
	else
		text_time(x->last_contact, buf, len);
}

static attr_t
clients_style(void *arg, const void *row)
{
	const struct db_client *x = row;

	if (x->blocked)
		return crt_attr(CRT_ERROR);
	if (!x->approved)
		return crt_attr(CRT_WARNING);
	return crt_attr(CRT_NORMAL);
}

/* Who approved it, in words. */
static void
approved_by(const struct db_client *x, char *buf, size_t len)
{
	if (!x->approved)
		snprintf(buf, len, "Pending: approve it (a) before it can get"
		    " tokens");
	else if (strcmp(x->approved_by, "auto") == 0)
		snprintf(buf, len, "Approved automatically (hierarchy setting)");
	else if (strncmp(x->approved_by, "bulk ", 5) == 0)
		snprintf(buf, len, "Approved by bulk registration token %s",
		    x->approved_by + 5);
	else if (x->approved_by[0] != '\0')
		snprintf(buf, len, "Approved by %s", x->approved_by);
	else
		snprintf(buf, len, "Approved");
}

static void
clients_details(void *arg, const void *row, WINDOW *w)
{
	const struct db_client *x = row;
	char t1[32], t2[32], by[160];
	int h, width, y = 0;

	getmaxyx(w, h, width);
	text_putf(w, y++, 1, width - 2, A_BOLD, "%s  %s%s", x->name, x->smsid,
	    x->blocked ? "  BLOCKED" : "");
	approved_by(x, by, sizeof by);
	if (y < h)
		text_putf(w, y++, 1, width - 2, x->approved ? A_NORMAL :
		    crt_attr(CRT_WARNING), "%s.  Blocked: %s.  Site %s.", by,
		    x->blocked ? "Yes (its tokens are refused)" : "No",
		    x->site_code);
	if (y < h)
		text_putf(w, y++, 1, width - 2, A_NORMAL, "Registered %s UTC,"
		    " last contact %s%s.", text_time(x->registered, t1,
		    sizeof t1), x->last_contact == 0 ? "never" :
		    text_time(x->last_contact, t2, sizeof t2),
		    x->last_contact == 0 ? "" : " UTC");
	if (y < h)
		text_putf(w, y++, 1, width - 2, A_NORMAL, "Certificate"
		    " thumbprint %s", x->thumbprint);
}

/* An empty list says how clients get there. */
static void
clients_empty(void *arg, WINDOW *list, int width, int error)
{
	struct clients *c = arg;
	static const char *const lines[] = {
		"No clients have registered yet.",
		"",
		"A client registers with a management point (ehttp-mpd) of a",
		"site with enhanced HTTP on, e.g.:",
		"  ehttp-client register --mp FQDN:PORT --root ROOT.pem \\",
		"      --state DIR --name NAME",
		"",
	};
	int y = 2;

	if (error) {
		text_put(list, y, 2, width - 4, "The clients could not be read"
		    " (see the status line; F5 tries again).", (size_t)-1,
		    crt_attr(CRT_ERROR));
		return;
	}
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		text_put(list, y++, 2, width - 4, lines[i], (size_t)-1,
		    crt_attr(CRT_DIM));
	text_put(list, y++, 2, width - 4, c->automatic ? "Client approval is"
	    " auto: new clients are approved at once." : "Client approval is"
	    " manual: new clients wait here", (size_t)-1, crt_attr(CRT_DIM));
	if (!c->automatic)
		text_put(list, y, 2, width - 4, "as Pending until approved (a).",
		    (size_t)-1, crt_attr(CRT_DIM));
}

static const struct pagelist_ops clients_list = {
	.what = "Clients",
	.cols = clients_cols,
	.cells = clients_cells,
	.ncols = KC_MAX,
	.row_size = sizeof(struct db_client),
	.count = clients_count,
	.page = clients_page,
	.cell = clients_cell,
	.style = clients_style,
	.details = clients_details,
	.empty = clients_empty,
};

static int
clients_open(struct view *v)
{
	struct clients *c;

	c = xcalloc(1, sizeof *c);
	c->view = v;
	pagelist_init(&c->pl, v, &clients_list, c);
	v->data = c;
	return 0;
}

static void
clients_close(struct view *v)
{
	struct clients *c = v->data;

	pagelist_free(&c->pl);
	free(c);
}

static void
clients_draw(struct view *v, WINDOW *list, WINDOW *details, int focused)
{
	struct clients *c = v->data;

	pagelist_draw(&c->pl, list, details, focused);
}

/* The client named by c->pending as it is now; -1 (status says why). */
static int
pending_client(struct view *v, struct db_client *out)
{
	struct clients *c = v->data;
	struct ehttp *e = app_ehttp(v->app);
	int rc;

	if ((rc = ehttp_client_by_smsid(e, c->pending, out)) == 1)
		return 0;
	if (rc == 0)
		app_status(v->app, 1, "Client %s: no longer registered"
		    " (deleted?).", c->pending);
	else
		app_status(v->app, 1, "%s", ehttp_error(e));
	clients_reload(v);
	return -1;
}

static void
act(struct view *v, enum ehttp_client_action a)
{
	static const char *const done[] = {
		[EHTTP_CLIENT_APPROVE] = "Approved",
		[EHTTP_CLIENT_BLOCK] = "Blocked",
		[EHTTP_CLIENT_UNBLOCK] = "Unblocked",
		[EHTTP_CLIENT_DELETE] = "Deleted",
	};
	struct ehttp *e = app_ehttp(v->app);
	const struct ehttp_note *notes;
	struct db_client x;
	size_t n;

	if (pending_client(v, &x) == -1)
		return;
	if (ehttp_client_act(e, x.id, a) == -1) {
		dialog_message(v->app, "Clients", BOX_ERROR, "%s",
		    ehttp_error(e));
		return;
	}
	/* "already approved" and the like: the backend's note says so. */
	notes = ehttp_notes(e, &n);
	if (n > 0 && strstr(notes[0].text, " already.") != NULL)
		app_status(v->app, 0, "%s", notes[0].text);
	else
		app_status(v->app, 0, "%s client %s (%s).", done[a], x.name,
		    x.smsid);
	clients_reload(v);
}

static void
confirm_done(struct app *app, int result, const char *text, void *arg)
{
	struct view *v = arg;
	struct clients *c = v->data;

	/* The box's first button is the action, stored with the SMSID. */
	if (result == 0)
		act(v, c->menu[0]);
}

/* Block and Delete ask first (the action's button is never the default). */
static void
confirm(struct view *v, const struct db_client *x, enum ehttp_client_action a)
{
	static const char *const block_labels[] = { "Block", "Cancel" };
	static const char *const delete_labels[] = { "Delete", "Cancel" };
	struct clients *c = v->data;
	struct box *b;

	snprintf(c->pending, sizeof c->pending, "%s", x->smsid);
	c->menu[0] = a;
	b = box_new(a == EHTTP_CLIENT_BLOCK ? "Block client?" :
	    "Delete client?");
	box_line(b, BOX_TEXT, "%s client %s (%s, site %s)?", a ==
	    EHTTP_CLIENT_BLOCK ? "Block" : "Delete", x->name, x->smsid,
	    x->site_code);
	if (a == EHTTP_CLIENT_BLOCK)
		box_text(b, BOX_WARNING, "Its tokens are refused from the"
		    " management point's next poll, and it gets no new ones"
		    " until it is unblocked.");
	else
		box_text(b, BOX_WARNING, "Its record goes: it is unknown to the"
		    " site until it registers again (and, under manual"
		    " approval, is approved again).");
	box_buttons(b, a == EHTTP_CLIENT_BLOCK ? block_labels : delete_labels,
	    2);
	box_button_flags(b, 0, FORM_BTN_DESTRUCTIVE);
	box_dialog(v->app, b, confirm_done, v);
}

/* An action on the selected client: at once, or after its question. */
static void
start(struct view *v, enum ehttp_client_action a)
{
	struct clients *c = v->data;
	const struct db_client *x = pagelist_current(&c->pl);

	if (x == NULL) {
		app_status(v->app, 1, "No client selected.");
		return;
	}
	if ((a == EHTTP_CLIENT_APPROVE && x->approved) ||
	    (a == EHTTP_CLIENT_BLOCK && x->blocked) ||
	    (a == EHTTP_CLIENT_UNBLOCK && !x->blocked)) {
		app_status(v->app, 1, "The client is %s already.", a ==
		    EHTTP_CLIENT_APPROVE ? "approved" : x->blocked ? "blocked" :
		    "not blocked");
		return;
	}
	if (a == EHTTP_CLIENT_BLOCK || a == EHTTP_CLIENT_DELETE) {
		confirm(v, x, a);
		return;
	}
	snprintf(c->pending, sizeof c->pending, "%s", x->smsid);
	act(v, a);
}

static void
menu_done(struct app *app, int result, const char *text, void *arg)
{
	struct view *v = arg;
	struct clients *c = v->data;
	struct db_client x;

	if (result < 0 || result >= c->nmenu || pending_client(v, &x) == -1)
		return;
	if (c->menu[result] == EHTTP_CLIENT_BLOCK ||
	    c->menu[result] == EHTTP_CLIENT_DELETE)
		confirm(v, &x, c->menu[result]);
	else
		act(v, c->menu[result]);
}

/* The selected client's menu: the actions that apply to it. */
static void
open_menu(struct view *v)
{
	static const char *const names[] = {
		[EHTTP_CLIENT_APPROVE] = "Approve",
		[EHTTP_CLIENT_BLOCK] = "Block...",
		[EHTTP_CLIENT_UNBLOCK] = "Unblock",
		[EHTTP_CLIENT_DELETE] = "Delete...",
	};
	struct clients *c = v->data;
	const struct db_client *x = pagelist_current(&c->pl);
	const char *items[CLIENTS_MENU];
	char title[300];

	if (x == NULL)
		return;
	snprintf(c->pending, sizeof c->pending, "%s", x->smsid);
	c->nmenu = 0;
	if (!x->approved)
		c->menu[c->nmenu++] = EHTTP_CLIENT_APPROVE;
	c->menu[c->nmenu++] = x->blocked ? EHTTP_CLIENT_UNBLOCK :
	    EHTTP_CLIENT_BLOCK;
	c->menu[c->nmenu++] = EHTTP_CLIENT_DELETE;
	for (int i = 0; i < c->nmenu; i++)
		items[i] = names[c->menu[i]];
	/* The title holds the name: the menu draws it safely. */
	snprintf(title, sizeof title, "Client %s", x->name);
	dialog_menu(v->app, title, items, c->nmenu, 0, menu_done, v);
}

static int
clients_key(struct view *v, enum keys_action a, int key)
{
	/* The keys of the actions (keys.c binds them). */
	static const struct {
		enum keys_action		 key;
		enum ehttp_client_action	 act;
	} acts[] = {
		{ KA_APPROVE, EHTTP_CLIENT_APPROVE },
		{ KA_BLOCK, EHTTP_CLIENT_BLOCK },
		{ KA_UNBLOCK, EHTTP_CLIENT_UNBLOCK },
		{ KA_DELETE, EHTTP_CLIENT_DELETE },
	};
	struct clients *c = v->data;
	int r;

	if ((r = pagelist_key(&c->pl, a)) != VIEW_UNHANDLED)
		return r;
	if (a == KA_OPEN) {
		open_menu(v);
		return VIEW_REDRAW;
	}
	for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
		if (acts[i].key == a) {
			start(v, acts[i].act);
			return VIEW_REDRAW;
		}
	return VIEW_UNHANDLED;
}

static void
clients_where(struct view *v, char *buf, size_t len)
{
	struct clients *c = v->data;

	snprintf(buf, len, "Client %zu of %zu, approval %s",
	    pagelist_row(&c->pl), c->pl.list.count,
	    c->automatic ? "auto" : "manual");
}

const struct view_ops view_clients_ops = {
	.scope = KS_CLIENTS,
	.open = clients_open,
	.close = clients_close,
	.reload = clients_reload,
	.draw = clients_draw,
	.key = clients_key,
	.where = clients_where,
};
