/*
 * view-agents: the Security > Agents node, the agents on other hosts that
 * asked to be enrolled (ehttp-mpd --enroll). Approve asks for the
 * fingerprint the agent printed on its host and seals the keys its system
 * serves to it; Revoke (asks first) removes the enrollment and renews what
 * the agent could read. Both need the master key: they run on a handle
 * that may load it (app_key_begin). The host name is what the agent said:
 * untrusted, drawn through text_put().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"
#include "xmalloc.h"

struct agents {
	struct db_enroll *v;
	size_t		 n;
	struct list	 list;
	char		 pending[256];	/* the FQDN an action is about */
	int		 menu_approve;
};

enum { AC_SYSTEM, AC_STATE, AC_KEYS, AC_HOST, AC_FPR, AC_MAX };

static const struct list_col agents_cols[AC_MAX] = {
	[AC_SYSTEM] = { "Site system", "System", 10, 28, 0, 0 },
	[AC_STATE] = { "State", NULL, 8, 8, 0, 0 },
	[AC_KEYS] = { "Keys", NULL, 4, 4, 1, LIST_RIGHT },
	[AC_HOST] = { "Host", NULL, 4, 16, 2, 0 },
	[AC_FPR] = { "Fingerprint (SHA-256)", "Fingerprint", 11, 64, 1,
	    LIST_ELASTIC },
};

static const struct list_field agents_fields[AC_MAX] = {
	[AC_SYSTEM] = LIST_FIELD(TEXT, struct db_enroll, fqdn),
	[AC_HOST] = LIST_FIELD(TEXT, struct db_enroll, host),
	[AC_FPR] = LIST_FIELD(TEXT, struct db_enroll, fingerprint),
};

static const struct db_enroll *
current(struct agents *a)
{
	return a->n > 0 && a->list.cursor < a->n ? &a->v[a->list.cursor] :
	    NULL;
}

static int
agents_open(struct view *v)
{
	struct agents *a = xcalloc(1, sizeof *a);

	view_list(v, &a->list, NULL, NULL, a);
	v->data = a;
	return 0;
}

static void
agents_close(struct view *v)
{
	struct agents *a = v->data;

	free(a->v);
	free(a);
}

static int
agents_reload(struct view *v)
{
	struct agents *a = v->data;
	struct ehttp *e = app_ehttp(v->app);
	struct db_enroll *nv = NULL;
	char keep[256] = "";
	size_t n;

	if (current(a) != NULL)
		snprintf(keep, sizeof keep, "%s", current(a)->fqdn);
	if (ehttp_enroll_list(e, &nv, &n) == -1) {
		app_status(v->app, 1, "Agents: %s", ehttp_error(e));
		return -1;
	}
	free(a->v);
	a->v = nv;
	a->n = n;
	for (size_t i = 0; i < n && keep[0] != '\0'; i++)
		if (strcmp(nv[i].fqdn, keep) == 0)
			a->list.cursor = i;
	list_set_count(&a->list, n);
	return 0;
}

static void
agents_cell(void *arg, size_t row, int col, char *buf, size_t len)
{
	const struct db_enroll *x = &((struct agents *)arg)->v[row];

	if (list_field(&agents_fields[col], x, buf, len))
		return;
	if (col == AC_STATE)
		snprintf(buf, len, "%s", x->approved ? "Approved" : "Waiting");
	else if (col == AC_KEYS)
		snprintf(buf, len, "%zu", x->nkeys);
}

static attr_t
agents_style(void *arg, size_t row)
{
	return ((struct agents *)arg)->v[row].approved ? crt_attr(CRT_NORMAL) :
	    crt_attr(CRT_WARNING);
}

static void
agents_draw(struct view *v, WINDOW *list, WINDOW *details, int focused)
{
	struct agents *a = v->data;
	const struct db_enroll *x;
	char t1[32], t2[32];
	int h, width, y = 0;

	getmaxyx(list, h, width);
	list_draw(list, &a->list, agents_cols, AC_MAX, -1, 0, focused,
	    agents_cell, agents_style, a);
	if (a->n == 0)
		text_put(list, 2, 2, width - 4, "No agent has asked to be"
		    " enrolled: on an agent's host, ehttp-mpd --system FQDN"
		    " --enroll.", (size_t)-1, crt_attr(CRT_DIM));
	if ((x = current(a)) == NULL)
		return;
	getmaxyx(details, h, width);
	text_putf(details, y++, 1, width - 2, A_BOLD, "The agent of %s: %s",
	    x->fqdn, x->approved ? "approved" : "waiting for approval");
	if (y < h)
		text_putf(details, y++, 1, width - 2, A_NORMAL, "Key made on %s,"
		    " asked %s UTC.", x->host, text_time(x->requested, t1,
		    sizeof t1));
	/* In groups of 8, two lines: it fits 80 columns, and is compared
	 * by eye. */
	for (int i = 0; i < 2 && y < h; i++) {
		const char *f = x->fingerprint + 32 * i;

		text_putf(details, y++, 1, width - 2, A_BOLD, "%-8s %.8s %.8s"
		    " %.8s %.8s", i == 0 ? "SHA-256" : "", f, f + 8, f + 16,
		    f + 24);
	}
	if (y < h && x->approved)
		text_putf(details, y++, 1, width - 2, A_NORMAL, "Approved %s UTC"
		    " by %s: %zu key%s sealed to it.", text_time(x->approved, t2,
		    sizeof t2), x->approved_by, x->nkeys, x->nkeys == 1 ? "" :
		    "s");
	else if (y < h)
		text_put(details, y++, 1, width - 2, "Compare the fingerprint with"
		    " what the agent printed on its host, then a approves it.",
		    (size_t)-1, crt_attr(CRT_WARNING));
}

/* Approve or revoke the agent named by a->pending; fpr: approve's. */
static void
act(struct view *v, const char *fpr)
{
	struct agents *a = v->data;
	const char *title = fpr != NULL ? "Approve agent" : "Revoke agent";
	struct ehttp *k;
	int rc;

	if ((k = app_key_begin(v->app, title)) == NULL)
		return;
	rc = fpr != NULL ? ehttp_agent_approve(k, a->pending, fpr) :
	    ehttp_agent_revoke(k, a->pending);
	app_key_end(v->app, k, rc, title, NULL, title, "Done.");
	app_reload_all(v->app);
}

static void
fingerprint_done(struct app *app, int result, const char *text, void *arg)
{
	if (result == 0 && text != NULL && *text != '\0')
		act(arg, text);
}

static void
revoke_done(struct app *app, int result, const char *text, void *arg)
{
	if (result == 0)
		act(arg, NULL);
}

static void
start(struct view *v, int approve)
{
	static const char *const labels[] = { "Revoke", "Cancel" };
	struct agents *a = v->data;
	const struct db_enroll *x = current(a);
	struct box *b;

	if (x == NULL)
		return;
	snprintf(a->pending, sizeof a->pending, "%s", x->fqdn);
	if (approve) {
		dialog_prompt(v->app, "Approve agent", "The fingerprint (SHA-256)"
		    " the agent printed on its host:", "", fingerprint_done, v);
		return;
	}
	b = box_new("Revoke agent?");
	box_line(b, BOX_TEXT, "Revoke the enrollment of the agent of %s?",
	    x->fqdn);
	box_text(b, BOX_WARNING, "The keys sealed to it are removed and the"
	    " certificates whose keys it could read are renewed; it stops"
	    " serving HTTPS at its next poll.");
	box_buttons(b, labels, 2);
	box_button_flags(b, 0, FORM_BTN_DESTRUCTIVE);
	box_dialog(v->app, b, revoke_done, v);
}

static void
menu_done(struct app *app, int result, const char *text, void *arg)
{
	struct view *v = arg;
	struct agents *a = v->data;
	const struct db_enroll *x = current(a);

	if (result < 0 || x == NULL || strcmp(x->fqdn, a->pending) != 0)
		return;
	start(v, result == 0 && a->menu_approve);
}

static void
open_menu(struct view *v)
{
	struct agents *a = v->data;
	const struct db_enroll *x = current(a);
	const char *items[2];
	char title[300];
	int n = 0;

	if (x == NULL)
		return;
	snprintf(a->pending, sizeof a->pending, "%s", x->fqdn);
	a->menu_approve = !x->approved;
	if (!x->approved)
		items[n++] = "Approve...";
	items[n++] = "Revoke...";
	snprintf(title, sizeof title, "Agent of %s", x->fqdn);
	dialog_menu(v->app, title, items, n, 0, menu_done, v);
}

static int
agents_key(struct view *v, enum keys_action k, int key)
{
	struct agents *a = v->data;

	if (list_key(&a->list, k))
		return VIEW_REDRAW;
	switch (k) {
	case KA_OPEN:
		open_menu(v);
		return VIEW_REDRAW;
	case KA_APPROVE:
		start(v, 1);
		return VIEW_REDRAW;
	case KA_DELETE:
		start(v, 0);
		return VIEW_REDRAW;
	case KA_RIGHT:
	case KA_LEFT:
		return list_hscroll(&a->list, k) ? VIEW_REDRAW : VIEW_UNHANDLED;
	default:
		return VIEW_UNHANDLED;
	}
}

const struct view_ops view_agents_ops = {
	.scope = KS_AGENTS,
	.open = agents_open,
	.close = agents_close,
	.reload = agents_reload,
	.draw = agents_draw,
	.key = agents_key,
	.poll = agents_reload,
	.row = "Agent",
};
