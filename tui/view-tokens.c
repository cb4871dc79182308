/*
 * view-tokens: the bulk registration tokens, the Certificates node's
 * second list (F8 switches). A token approves the clients that register
 * with it; the site keeps only its id, validity and state, so that is all
 * a list can show. Block (asks first), Unblock, and New: the token is
 * written once to a new 0600 file the user names, never shown on screen,
 * logged or kept (the same rule as `ehttpctl token new --out`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "outfile.h"
#include "tui.h"
#include "xmalloc.h"

enum { TC_ID, TC_SITE, TC_FROM, TC_UNTIL, TC_BLOCKED, TC_USED, TC_STATUS,
	TC_MAX };

static const struct list_col tokens_cols[TC_MAX] = {
	[TC_ID] = { "ID", NULL, 10, 36, 1, 0 },
	[TC_SITE] = { "Site", NULL, 4, 4, 0, 0 },
	[TC_FROM] = { "Valid from", "From", 16, 16, 0, 0 },
	[TC_UNTIL] = { "Valid to", "To", 16, 16, 0, 0 },
	[TC_BLOCKED] = { "Blocked", "Blk", 3, 7, 0, 0 },
	[TC_USED] = { "Used", NULL, 4, 6, 1, LIST_RIGHT },
	[TC_STATUS] = { "Status", NULL, 7, 8, 0, LIST_ELASTIC },
};

static const struct list_field tokens_fields[TC_MAX] = {
	[TC_ID] = LIST_FIELD(TEXT, struct db_bulk_token, id),
	[TC_SITE] = LIST_FIELD(TEXT, struct db_bulk_token, site_code),
	[TC_BLOCKED] = LIST_FIELD(YES_NO, struct db_bulk_token, blocked),
};

void
tokens_clear(struct tokens *t)
{
	free(t->v);
	free(t->sites);
}

int
tokens_reload(struct tokens *t)
{
	struct ehttp *e = app_ehttp(t->view->app);
	struct db_bulk_token *v = NULL;
	char keep[40] = "";
	size_t n;

	if (t->n > 0 && t->list.cursor < t->n)
		snprintf(keep, sizeof keep, "%s", t->v[t->list.cursor].id);
	if (ehttp_bulk_token_list(e, &v, &n) == -1) {
		app_status(t->view->app, 1, "Bulk registration tokens: %s",
		    ehttp_error(e));
		t->error = 1;
		return -1;
	}
	t->error = 0;
	free(t->v);
	t->v = v;
	t->n = n;
	for (size_t i = 0; i < n && keep[0] != '\0'; i++)
		if (strcmp(v[i].id, keep) == 0)
			t->list.cursor = i;
	list_set_count(&t->list, n);
	return 0;
}

static const struct db_bulk_token *
current(struct tokens *t)
{
	return t->n > 0 && t->list.cursor < t->n ? &t->v[t->list.cursor] :
	    NULL;
}

static void
tokens_cell(void *arg, size_t row, int col, char *buf, size_t len)
{
	struct tokens *t = arg;
	const struct db_bulk_token *b = &t->v[row];

	if (list_field(&tokens_fields[col], b, buf, len))
		return;
	switch (col) {
	case TC_FROM:
		text_time(b->not_before, buf, len);
		break;
	case TC_UNTIL:
		text_time(b->not_after, buf, len);
		break;
	case TC_USED:
		snprintf(buf, len, "%lld", (long long)b->used);
		break;
	case TC_STATUS:
		snprintf(buf, len, "%s", ehttp_bulk_token_state(b, time(NULL)));
		break;
	}
}

static attr_t
tokens_style(void *arg, size_t row)
{
	struct tokens *t = arg;
	const struct db_bulk_token *b = &t->v[row];

	if (b->blocked)
		return crt_attr(CRT_ERROR);
	if (time(NULL) >= b->not_after)
		return crt_attr(CRT_DIM);
	return crt_attr(CRT_NORMAL);
}

void
tokens_draw(struct tokens *t, WINDOW *list, WINDOW *details, int focused)
{
	const struct db_bulk_token *b;
	char t1[32], t2[32];
	int h, width, y = 0;

	getmaxyx(list, h, width);
	list_set_height(&t->list, h - 1);
	list_draw(list, &t->list, tokens_cols, TC_MAX, -1, 0, focused,
	    tokens_cell, tokens_style, t);
	if (t->n == 0)
		text_put(list, 2, 2, width - 4, "No bulk registration tokens:"
		    " n makes one (or ehttpctl token new); F8 shows the"
		    " certificates.", (size_t)-1, crt_attr(CRT_DIM));
	if ((b = current(t)) == NULL)
		return;
	getmaxyx(details, h, width);
	text_putf(details, y++, 1, width - 2, A_BOLD, "Bulk registration token"
	    " %s (site %s): %s", b->id, b->site_code,
	    ehttp_bulk_token_state(b, time(NULL)));
	if (y < h)
		text_putf(details, y++, 1, width - 2, A_NORMAL, "Valid from %s"
		    " to %s UTC.  Clients it approved: %lld.", text_time(
		    b->not_before, t1, sizeof t1), text_time(b->not_after, t2,
		    sizeof t2), (long long)b->used);
	if (y < h)
		text_put(details, y++, 1, width - 2, b->blocked ? "Blocked: it"
		    " approves nobody (u unblocks it)." : "The site keeps only"
		    " its id and validity: the token itself is not stored.",
		    (size_t)-1, b->blocked ? crt_attr(CRT_ERROR) : A_NORMAL);
}

/* Block or unblock the token named by t->pending. */
static void
set_blocked(struct tokens *t, int blocked)
{
	struct ehttp *e = app_ehttp(t->view->app);

	if (ehttp_bulk_token_block(e, t->pending, blocked) == -1)
		dialog_message(t->view->app, "Bulk registration token",
		    BOX_ERROR, "%s", ehttp_error(e));
	else
		app_status(t->view->app, 0, "%s bulk registration token %s.",
		    blocked ? "Blocked" : "Unblocked", t->pending);
	tokens_reload(t);
}

static void
block_done(struct app *app, int result, const char *text, void *arg)
{
	if (result == 0)
		set_blocked(arg, 1);
}

static void
start_block(struct tokens *t, const struct db_bulk_token *b)
{
	static const char *const labels[] = { "Block", "Cancel" };
	struct box *x;

	snprintf(t->pending, sizeof t->pending, "%s", b->id);
	x = box_new("Block bulk registration token?");
	box_line(x, BOX_TEXT, "Block bulk registration token %s (site %s)?",
	    b->id, b->site_code);
	box_text(x, BOX_WARNING, "A blocked token approves nobody: clients"
	    " registering with it wait for approval.");
	box_buttons(x, labels, 2);
	box_button_flags(x, 0, FORM_BTN_DESTRUCTIVE);
	box_dialog(t->view->app, x, block_done, t);
}

static void
block_key(struct tokens *t, int blocked)
{
	const struct db_bulk_token *b = current(t);

	if (b == NULL)
		return;
	if (b->blocked == blocked) {
		app_status(t->view->app, 1, "The token is %s already.",
		    blocked ? "blocked" : "not blocked");
		return;
	}
	if (blocked) {
		start_block(t, b);
		return;
	}
	snprintf(t->pending, sizeof t->pending, "%s", b->id);
	set_blocked(t, 0);
}

static void
menu_done(struct app *app, int result, const char *text, void *arg)
{
	struct tokens *t = arg;
	const struct db_bulk_token *b = current(t);

	if (result != 0 || b == NULL || strcmp(b->id, t->pending) != 0)
		return;
	block_key(t, t->menu_block);
}

static void
open_menu(struct tokens *t)
{
	const struct db_bulk_token *b = current(t);
	const char *items[1];
	char title[64];

	if (b == NULL)
		return;
	snprintf(t->pending, sizeof t->pending, "%s", b->id);
	t->menu_block = !b->blocked;
	items[0] = b->blocked ? "Unblock" : "Block...";
	snprintf(title, sizeof title, "Token %s", b->id);
	dialog_menu(t->view->app, title, items, 1, 0, menu_done, t);
}

/* New, last step: sign it, write it, forget it. */
static void
path_done(struct app *app, int result, const char *path, void *arg)
{
	struct tokens *t = arg;
	struct db_bulk_token b;
	char err[PATH_MAX + 256], *tok = NULL, *text;
	struct ehttp *k;
	int rc;

	if (result != 0 || path == NULL || *path == '\0')
		return;
	if ((k = app_key_begin(app, "New bulk registration token")) == NULL)
		return;
	if (ehttp_bulk_token_new(k, t->new_site, t->new_minutes, &tok, &b) ==
	    -1) {
		app_key_end(app, k, -1, "New bulk registration token", NULL,
		    NULL, NULL);
		return;
	}
	xasprintf(&text, "%s\n", tok);
	rc = outfile_write(path, text, strlen(text), OUTFILE_SECRET, NULL, err,
	    sizeof err);
	explicit_bzero(text, strlen(text));
	explicit_bzero(tok, strlen(tok));
	free(text);
	free(tok);
	if (rc == -1) {
		/* Nobody has the token: it must approve nobody. */
		rc = ehttp_bulk_token_block(k, b.id, 1);
		dialog_message(app, "New bulk registration token", BOX_ERROR,
		    "%s. The token (%s) was not written anywhere: %s", err,
		    b.id, rc == 0 ? "it is blocked." : ehttp_error(k));
	} else
		dialog_message(app, "New bulk registration token", BOX_INFO,
		    "Bulk registration token %s for site %s, valid until %s"
		    " UTC, written to %s (0600). It is written there once:"
		    " the site keeps only its id. Give it to clients with"
		    " ehttp-client register --bulk-token FILE.", b.id,
		    b.site_code, text_time(b.not_after, err, sizeof err), path);
	app_key_handle_close(app, k);
	tokens_reload(t);
}

static void
minutes_done(struct app *app, int result, const char *text, void *arg)
{
	struct tokens *t = arg;
	char path[PATH_MAX], *end, *slash;
	long m;

	if (result != 0 || text == NULL)
		return;
	m = strtol(text, &end, 10);
	if (end == text || *end != '\0' || m < EHTTP_BULK_MIN ||
	    m > EHTTP_BULK_MAX) {
		dialog_message(app, "New bulk registration token", BOX_ERROR,
		    "Lifetime '%s': a number of minutes from %d to %d (7"
		    " days).", text, EHTTP_BULK_MIN, EHTTP_BULK_MAX);
		return;
	}
	t->new_minutes = m;
	/* Next to the database (its folder is private): a new file. */
	snprintf(path, sizeof path, "%s", ehttp_db_path(app_ehttp(app)));
	if ((slash = strrchr(path, '/')) != NULL)
		slash[1] = '\0';
	else
		path[0] = '\0';
	snprintf(path + strlen(path), sizeof path - strlen(path),
	    "bulk-%s-%lld.jwt", t->new_code, (long long)time(NULL));
	dialog_prompt(app, "New bulk registration token", "Write the token"
	    " to (a new file, 0600):", path, path_done, t);
}

static void
ask_minutes(struct tokens *t)
{
	char def[16];

	snprintf(def, sizeof def, "%d", EHTTP_BULK_DEFAULT);
	dialog_prompt_selected(t->view->app, "New bulk registration token",
	    "Valid for how many minutes (1 to 10080)?", def, minutes_done, t);
}

static void
site_done(struct app *app, int result, const char *text, void *arg)
{
	struct tokens *t = arg;
	struct db_site s;

	if (result < 0 || (size_t)result >= t->nsites)
		return;
	if (ehttp_site_get(app_ehttp(app), t->sites[result], &s) == -1) {
		app_status(app, 1, "%s", ehttp_error(app_ehttp(app)));
		return;
	}
	t->new_site = s.id;
	snprintf(t->new_code, sizeof t->new_code, "%s", s.code);
	ask_minutes(t);
}

/* New: which site signs it (one with enhanced HTTP on). */
static void
start_new(struct tokens *t)
{
	struct ehttp *e = app_ehttp(t->view->app);
	struct db_site *v = NULL;
	char **labels;
	size_t n;

	if (ehttp_site_list(e, &v, &n) == -1) {
		app_status(t->view->app, 1, "%s", ehttp_error(e));
		return;
	}
	free(t->sites);
	t->sites = xcalloc(n ? n : 1, sizeof *t->sites);
	labels = xcalloc(n ? n : 1, sizeof *labels);
	t->nsites = 0;
	for (size_t i = 0; i < n; i++)
		if (ehttp_site_enhanced(&v[i].sec)) {
			xasprintf(&labels[t->nsites], "%s  %s", v[i].code,
			    v[i].name);
			t->sites[t->nsites++] = v[i].id;
		}
	if (t->nsites == 0)
		dialog_message(t->view->app, "New bulk registration token",
		    BOX_ERROR, "No site has enhanced HTTP on: a token is signed"
		    " by its site's SMS Token Signing certificate.");
	else if (t->nsites == 1)
		site_done(t->view->app, 0, NULL, t);
	else
		dialog_menu(t->view->app, "Which site's clients?",
		    (const char *const *)labels, (int)t->nsites, 0, site_done,
		    t);
	for (size_t i = 0; i < t->nsites; i++)
		free(labels[i]);
	free(labels);
	free(v);
}

int
tokens_key(struct tokens *t, enum keys_action a, int key)
{
	if (list_key(&t->list, a))
		return VIEW_REDRAW;
	switch (a) {
	case KA_OPEN:
		open_menu(t);
		return VIEW_REDRAW;
	case KA_BLOCK:
		block_key(t, 1);
		return VIEW_REDRAW;
	case KA_UNBLOCK:
		block_key(t, 0);
		return VIEW_REDRAW;
	case KA_NEW:
		start_new(t);
		return VIEW_REDRAW;
	case KA_RIGHT:
	case KA_LEFT:
		return list_hscroll(&t->list, a) ? VIEW_REDRAW : VIEW_UNHANDLED;
	default:
		return VIEW_UNHANDLED;
	}
}

int
tokens_click(struct tokens *t, int y, int wheel)
{
	list_click(&t->list, y, wheel);
	return VIEW_REDRAW;
}

void
tokens_where(struct tokens *t, char *buf, size_t len)
{
	snprintf(buf, len, "Bulk token %zu of %zu (F8: certificates)",
	    t->n ? t->list.cursor + 1 : 0, t->n);
}
