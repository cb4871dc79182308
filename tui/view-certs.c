/*
 * view-certs: the Certificates node. The list is a window over the
 * database: a count for the length, and the rows near the screen fetched
 * by keyset paging (rowbuf.c), so 100,000 certificates open and scroll as
 * fast as ten. Sort by any column, filter by type, site and text, details
 * with the certification path; Block, Unblock, Renew, Export. F8 shows
 * the bulk registration tokens instead (view-tokens.c), and back.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui.h"
#include "xmalloc.h"

/* The node's second list, the bulk registration tokens (KA_TOKENS
 * switches): shown or not. */
static void	view_certs_show_tokens(struct view *, int);

enum { CC_TYPE, CC_ISSUED_TO, CC_ISSUED_BY, CC_START, CC_EXPIRY, CC_BLOCKED,
	CC_SITE, CC_THUMB, CC_STATE, CC_MAX };
#define CC_SORTABLE	CC_STATE	/* columns the database sorts by */

static const struct list_col certs_cols[CC_MAX] = {
	[CC_TYPE] = { "Type", NULL, 12, 24, 1, LIST_WHOLE },
	[CC_ISSUED_TO] = { "Issued To", NULL, 11, 20, 0, 0 },
	[CC_ISSUED_BY] = { "Issued By", NULL, 5, 11, 2, 0 },
	[CC_START] = { "Start Date", "Start", 10, 10, 0, 0 },
	[CC_EXPIRY] = { "Expiration", "Expires", 10, 10, 0, 0 },
	[CC_BLOCKED] = { "Blocked", "Blk", 3, 7, 3, 0 },
	[CC_SITE] = { "Site", NULL, 4, 4, 0, 0 },
	[CC_THUMB] = { "Thumbprint", "Thumb", 8, 40, 4, 0 },
	[CC_STATE] = { "State", NULL, 10, 10, 5, LIST_ELASTIC },
};

#define CELL(kind, field)	LIST_FIELD(kind, struct db_cert, field)
static const struct list_field certs_cells[CC_MAX] = {
	[CC_TYPE] = { LIST_OWN, 0 },
	[CC_ISSUED_TO] = CELL(TEXT, issued_to),
	[CC_ISSUED_BY] = CELL(TEXT, issued_by),
	[CC_START] = CELL(DAY, not_before),
	[CC_EXPIRY] = CELL(DAY, not_after),
	[CC_BLOCKED] = CELL(YES_NO, blocked),
	[CC_SITE] = CELL(TEXT, site_code),
	[CC_THUMB] = CELL(TEXT, thumbprint),
	[CC_STATE] = { LIST_OWN, 0 },
};
#undef CELL

static const enum db_cert_sort col_sort[CC_SORTABLE] = {
	DB_CERT_SORT_TYPE, DB_CERT_SORT_ISSUED_TO, DB_CERT_SORT_ISSUED_BY,
	DB_CERT_SORT_START, DB_CERT_SORT_EXPIRATION, DB_CERT_SORT_BLOCKED,
	DB_CERT_SORT_SITE, DB_CERT_SORT_THUMBPRINT,
};

/* The filter's types (struct dialog_cert_filter's type indexes this). */
static const char *const type_names[] = { NULL, "root", "role", "pki",
    "token" };
#define N_TYPE_NAMES	((int)(sizeof type_names / sizeof type_names[0]))

struct certs {
	struct view		*view;
	struct pagelist		 pl;
	struct dialog_cert_filter uf;
	struct db_cert_filter	 f;
	enum db_cert_sort	 sort;
	int			 desc;
	/* The details' certification path, read when the selection changes
	 * or after a reload, not on every repaint. */
	int64_t			 path_of;	/* certificate id; 0: to be read */
	int			 path_ok;
	char			 path[1024];
	struct tokens		 tokens;	/* the second list */
	int			 show_tokens;
};

/* The Type column's text: the whole title when it fits the column's
 * width, else a short form (12 characters at most, the narrowest). */
static const char *
type_cell(const char *type, int width)
{
	const char *title = ehttp_cert_type_title(type);

	if ((int)strlen(title) <= width)
		return title;
	if (strcmp(type, "role") == 0)
		return "SMS Role SSL";
	if (strcmp(type, "token") == 0)
		return "SMS Token";
	return title;
}

static int
col_of_sort(enum db_cert_sort s)
{
	for (int i = 0; i < CC_SORTABLE; i++)
		if (col_sort[i] == s)
			return i;
	return -1;
}

static int
certs_count(void *arg, size_t *total)
{
	struct certs *c = arg;

	return ehttp_cert_count(app_ehttp(c->view->app), &c->f, total);
}

static int
certs_page(void *arg, const void *after, int backward, size_t limit,
    void **rows, size_t *n)
{
	struct certs *c = arg;
	struct db_cert *v = NULL;
	int rc;

	rc = ehttp_cert_page(app_ehttp(c->view->app), &c->f, c->sort, backward ?
	    !c->desc : c->desc, after, limit, &v, n);
	*rows = v;
	return rc;
}

static void
build_filter(struct certs *c)
{
	memset(&c->f, 0, sizeof c->f);
	c->f.type = type_names[c->uf.type >= 0 && c->uf.type < N_TYPE_NAMES ?
	    c->uf.type : 0];
	c->f.site_id = c->uf.site_id;
	c->f.expiring_days = c->uf.expiring ? EHTTP_RENEW_DAYS : -1;
	c->f.blocked_only = c->uf.blocked_only;
	c->f.active_only = c->uf.active_only;
	c->f.text = c->uf.text[0] ? c->uf.text : NULL;
}

static int
certs_reload(struct view *v)
{
	struct certs *c = v->data;

	if (c->show_tokens)
		return tokens_reload(&c->tokens);
	c->path_of = 0;
	return pagelist_reload(&c->pl);
}

/* After a new filter or sort: from the top. */
static void
restart(struct certs *c)
{
	rowbuf_clear(&c->pl.rb);
	c->pl.list.cursor = c->pl.list.top = 0;
	certs_reload(c->view);
}

int
view_certs_set_filter(struct view *v, const struct dialog_cert_filter *uf)
{
	struct certs *c = v->data;

	c->uf = *uf;
	build_filter(c);
	restart(c);
	return 0;
}

static void
view_certs_sort(struct view *v, enum db_cert_sort sort, int desc)
{
	struct certs *c = v->data;

	c->sort = sort;
	c->desc = desc;
	restart(c);
}

/* The Type and State columns (the others are fields: certs_cells). */
static void
certs_cell(void *arg, const void *row, int col, int width, char *buf,
    size_t len)
{
	const struct db_cert *x = row;

	if (col == CC_STATE)
		snprintf(buf, len, "%s", ehttp_cert_state(x, time(NULL)));
	else
		snprintf(buf, len, "%s", type_cell(x->type, width > 0 ?
		    width : 24));
}

static attr_t
certs_style(void *arg, const void *row)
{
	const struct db_cert *x = row;

	if (x->blocked)
		return crt_attr(CRT_ERROR);
	if (strcmp(x->state, "active") != 0)
		return crt_attr(CRT_DIM);
	if (strcmp(ehttp_cert_validity(x, time(NULL)), "valid") != 0)
		return crt_attr(CRT_ERROR);
	if (ehttp_cert_expiring(x, time(NULL)))
		return crt_attr(CRT_WARNING);
	return crt_attr(CRT_NORMAL);
}

/* "Certification path: SMS Issuing > h1.example.com" of x. */
static void
read_path(struct view *v, struct certs *c, const struct db_cert *x)
{
	struct db_cert *path = NULL;
	size_t np = 0, off;

	c->path_of = x->id;
	c->path_ok = ehttp_cert_path(app_ehttp(v->app), x, &path, &np) == 0;
	if (!c->path_ok)
		return;
	off = snprintf(c->path, sizeof c->path, "Certification path: ");
	for (size_t i = np; i-- > 0 && off < sizeof c->path;)
		off += snprintf(c->path + off, sizeof c->path - off, "%s%s",
		    path[i].issued_to, i > 0 ? " > " : "");
	free(path);
}

static void
certs_details(void *arg, const void *row, WINDOW *w)
{
	struct certs *c = arg;
	const struct db_cert *x = row;
	char t1[32], t2[32];
	int h, width, y = 0;

	getmaxyx(w, h, width);
	text_putf(w, y++, 1, width - 2, A_BOLD, "%s  %s  (ID %lld, %s%s)",
	    ehttp_cert_type_title(x->type), x->issued_to, (long long)x->id,
	    ehttp_cert_state(x, time(NULL)), x->blocked ? ", BLOCKED" : "");
	text_putf(w, y++, 1, width - 2, A_NORMAL, "Issued by %s.  Site %s."
	    "  Key %s.  Blocked: %s.", x->issued_by, x->site_code, x->key_alg,
	    x->blocked ? "Yes" : "No");
	text_putf(w, y++, 1, width - 2, A_NORMAL, "Valid from %s to %s UTC.",
	    text_time(x->not_before, t1, sizeof t1),
	    text_time(x->not_after, t2, sizeof t2));
	text_putf(w, y++, 1, width - 2, A_NORMAL, "Thumbprint %s", x->thumbprint);
	text_putf(w, y++, 1, width - 2, A_NORMAL, "Serial %s", x->serial);
	if (y < h && c->path_of != x->id)
		read_path(c->view, c, x);
	if (y < h && c->path_ok)
		text_put(w, y++, 1, width - 2, c->path, (size_t)-1, A_NORMAL);
}

static void
certs_empty(void *arg, WINDOW *list, int width, int error)
{
	struct certs *c = arg;

	text_put(list, 2, 2, width - 4, c->uf.text[0] || c->uf.type ||
	    c->uf.site_id || c->uf.active_only || c->uf.blocked_only ||
	    c->uf.expiring ? "No certificate matches the filter (c clears"
	    " it)." : "No certificates yet: turn on enhanced HTTP for a"
	    " site (Sites, Enter).", (size_t)-1, crt_attr(CRT_DIM));
}

static void
certs_find(void *arg, const char *text)
{
	struct certs *c = arg;
	struct dialog_cert_filter f = c->uf;

	snprintf(f.text, sizeof f.text, "%s", text);
	view_certs_set_filter(c->view, &f);
}

static const char *
certs_find_text(void *arg)
{
	struct certs *c = arg;

	return c->uf.text;
}

static const struct pagelist_ops certs_list = {
	.what = "Certificates",
	.cols = certs_cols,
	.cells = certs_cells,
	.ncols = CC_MAX,
	.row_size = sizeof(struct db_cert),
	.count = certs_count,
	.page = certs_page,
	.cell = certs_cell,
	.style = certs_style,
	.details = certs_details,
	.empty = certs_empty,
	.find = certs_find,
	.find_title = "Filter certificates",
	.find_label = "Issued to, issued by or thumbprint contains:",
	.find_text = certs_find_text,
};

static int
certs_open(struct view *v)
{
	struct certs *c;

	c = xcalloc(1, sizeof *c);
	c->view = v;
	c->sort = DB_CERT_SORT_EXPIRATION;
	c->desc = 0;
	pagelist_init(&c->pl, v, &certs_list, c);
	c->tokens.view = v;
	build_filter(c);
	v->data = c;
	return 0;
}

static void
certs_close(struct view *v)
{
	struct certs *c = v->data;

	pagelist_free(&c->pl);
	tokens_clear(&c->tokens);
	free(c);
}

static void
certs_draw(struct view *v, WINDOW *list, WINDOW *details, int focused)
{
	struct certs *c = v->data;

	if (c->show_tokens) {
		tokens_draw(&c->tokens, list, details, focused);
		return;
	}
	c->pl.sort_col = col_of_sort(c->sort);
	c->pl.desc = c->desc;
	pagelist_draw(&c->pl, list, details, focused);
}

/* Actions on the selected certificate, re-read by ID first. */
static int
selected(struct view *v, struct db_cert *out)
{
	struct certs *c = v->data;
	const struct db_cert *x = pagelist_current(&c->pl);

	if (x == NULL)
		return -1;
	if (ehttp_cert_get(app_ehttp(v->app), x->id, out) == -1) {
		app_status(v->app, 1, "%s", ehttp_error(app_ehttp(v->app)));
		return -1;
	}
	return 0;
}

static void
block_done(struct app *app, int result, const char *text, void *arg)
{
	struct view *v = arg;
	struct db_cert x;
	struct ehttp *e = app_ehttp(app);

	if (result != 0 || selected(v, &x) == -1)
		return;
	if (ehttp_cert_block(e, x.id, 1) == -1) {
		dialog_message(app, "Block", BOX_ERROR, "%s", ehttp_error(e));
		return;
	}
	app_status(app, 0, "Blocked %s %s.", ehttp_cert_type_title(x.type),
	    x.issued_to);
	certs_reload(v);
}

static void
renew_done(struct app *app, int result, const char *text, void *arg)
{
	struct view *v = arg;
	struct ehttp *k;
	struct db_cert x;

	if (result != 0 || selected(v, &x) == -1)
		return;
	if ((k = app_key_begin(app, "Renew")) == NULL)
		return;
	if (app_key_end(app, k, ehttp_cert_renew(k, x.id), "Renew", NULL,
	    "Renew", "The certificate was renewed.") == -1)
		return;
	certs_reload(v);
}

static void
filter_done(struct app *app, const struct dialog_cert_filter *f, void *arg)
{
	view_certs_set_filter(arg, f);
}

static void
sort_done(struct app *app, int result, const char *text, void *arg)
{
	struct view *v = arg;
	struct certs *c = v->data;

	if (result < 0 || result >= CC_SORTABLE)
		return;
	if (col_sort[result] == c->sort)
		view_certs_sort(v, c->sort, !c->desc);
	else
		view_certs_sort(v, col_sort[result], 0);
}

static int
certs_key(struct view *v, enum keys_action a, int key)
{
	static const char *const yes_no[] = { "Block", "Cancel" };
	static const char *const renew_labels[] = { "Renew", "Cancel" };
	struct certs *c = v->data;
	struct ehttp_plan plan;
	struct db_cert x;
	const char *items[CC_MAX];
	char labels[CC_MAX][48];
	struct box *b;
	int r;

	if (a == KA_TOKENS) {
		view_certs_show_tokens(v, !c->show_tokens);
		return VIEW_REDRAW;
	}
	if (c->show_tokens)
		return tokens_key(&c->tokens, a, key);
	if ((r = pagelist_key(&c->pl, a)) != VIEW_UNHANDLED)
		return r;
	switch (a) {
	case KA_OPEN:
		if (selected(v, &x) == 0)
			dialog_cert_show(v->app, x.id);
		return VIEW_REDRAW;
	case KA_FILTER:
		dialog_cert_filter(v->app, &c->uf, filter_done, v);
		return VIEW_REDRAW;
	case KA_CLEAR: {
		struct dialog_cert_filter none;

		memset(&none, 0, sizeof none);
		view_certs_set_filter(v, &none);
		app_status(v->app, 0, "Filter cleared.");
		return VIEW_REDRAW;
	}
	case KA_SORT:
		for (int i = 0; i < CC_SORTABLE; i++) {
			snprintf(labels[i], sizeof labels[i], "%-12s%s",
			    certs_cols[i].title, i != col_of_sort(c->sort) ? "" :
			    c->desc ? " (now, descending)" : " (now, ascending)");
			items[i] = labels[i];
		}
		dialog_menu(v->app, "Sort by", items, CC_SORTABLE,
		    col_of_sort(c->sort), sort_done, v);
		return VIEW_REDRAW;
	case KA_INVERT:
		view_certs_sort(v, c->sort, !c->desc);
		return VIEW_REDRAW;
	case KA_BLOCK:
		if (selected(v, &x) == -1)
			return VIEW_REDRAW;
		if (x.blocked) {
			app_status(v->app, 1, "The certificate is already"
			    " blocked.");
			return VIEW_REDRAW;
		}
		b = box_new("Block certificate?");
		box_line(b, BOX_TEXT, "Block %s %s (thumbprint %s)?",
		    ehttp_cert_type_title(x.type), x.issued_to, x.thumbprint);
		box_text(b, BOX_WARNING, ehttp_block_effect(x.type));
		box_buttons(b, yes_no, 2);
		box_button_flags(b, 0, FORM_BTN_DESTRUCTIVE);
		box_dialog(v->app, b, block_done, v);
		return VIEW_REDRAW;
	case KA_UNBLOCK:
		if (selected(v, &x) == -1)
			return VIEW_REDRAW;
		if (ehttp_cert_block(app_ehttp(v->app), x.id, 0) == -1)
			app_status(v->app, 1, "%s",
			    ehttp_error(app_ehttp(v->app)));
		else {
			app_status(v->app, 0, "Unblocked %s %s.",
			    ehttp_cert_type_title(x.type), x.issued_to);
			certs_reload(v);
		}
		return VIEW_REDRAW;
	case KA_RENEW:
		if (selected(v, &x) == -1)
			return VIEW_REDRAW;
		/* Only the certificate in use is renewed: the backend's rule,
		 * the same refusal as `ehttpctl cert renew`. */
		if (ehttp_cert_renewable(app_ehttp(v->app), &x) != 1) {
			app_status(v->app, 1, "%s",
			    ehttp_error(app_ehttp(v->app)));
			return VIEW_REDRAW;
		}
		b = box_new("Renew certificate?");
		if (strcmp(x.type, "root") == 0) {
			box_line(b, BOX_TEXT, "Renew the SMS Issuing root of site"
			    " %s (thumbprint %s)?", x.site_code, x.thumbprint);
			box_line(b, BOX_INFO, "A new SMS Issuing becomes current"
			    " and every role certificate of the site is"
			    " re-issued under it; the old root stays in the"
			    " inventory, superseded.");
		} else
			box_line(b, BOX_TEXT, "Renew %s %s (thumbprint %s)? A"
			    " fresh certificate replaces it.",
			    ehttp_cert_type_title(x.type), x.issued_to,
			    x.thumbprint);
		if (strcmp(x.type, "token") == 0)
			box_line(b, BOX_WARNING, "Tokens it signed are no longer"
			    " accepted: clients get new ones.");
		if (ehttp_cert_renew_plan(app_ehttp(v->app), x.id, &plan) == 0 &&
		    (plan.issue > 0 || plan.new_root)) {
			box_line(b, BOX_HEAD, "Certificates to issue: %zu SMS"
			    " Role SSL Certificate%s%s; %zu superseded.",
			    plan.issue, plan.issue == 1 ? "" : "s",
			    plan.new_root ? " and a new SMS Issuing root" : "",
			    plan.retire);
			if (plan.issue > 1)
				box_text(b, BOX_TEXT, "This can take a while;"
				    " Esc cancels it and leaves the site as it"
				    " was.");
		}
		box_buttons(b, renew_labels, 2);
		box_button_flags(b, 0, FORM_BTN_DESTRUCTIVE);
		box_dialog(v->app, b, renew_done, v);
		return VIEW_REDRAW;
	case KA_EXPORT:
		if (selected(v, &x) == 0)
			dialog_cert_export(v->app, x.id);
		return VIEW_REDRAW;
	default:
		return VIEW_UNHANDLED;
	}
}

static int
certs_click(struct view *v, int y, int x, int wheel)
{
	struct certs *c = v->data;
	WINDOW *w = app_window(v->app, "list");
	int h, width, col;

	if (c->show_tokens)
		return tokens_click(&c->tokens, y, wheel);
	if (wheel == 0 && y == 0 && w != NULL) {
		getmaxyx(w, h, width);
		(void)h;
		col = list_col_at(certs_cols, CC_MAX, c->pl.list.hcol, width,
		    x);
		if (col >= 0 && col < CC_SORTABLE)
			sort_done(v->app, col, NULL, v);
		return VIEW_REDRAW;
	}
	list_click(&c->pl.list, y, wheel);
	return VIEW_REDRAW;
}

static void
certs_where(struct view *v, char *buf, size_t len)
{
	struct certs *c = v->data;
	char filt[200] = "";
	size_t off = 0;
	int col = col_of_sort(c->sort);

	if (c->show_tokens) {
		tokens_where(&c->tokens, buf, len);
		return;
	}
	if (c->f.type != NULL)
		off += snprintf(filt + off, sizeof filt - off, " type %s",
		    ehttp_cert_type_title(c->f.type));
	if (c->uf.site_id && off < sizeof filt)
		off += snprintf(filt + off, sizeof filt - off, " site %s",
		    c->uf.site_code);
	if (c->uf.text[0] && off < sizeof filt)
		off += snprintf(filt + off, sizeof filt - off, " text '%s'",
		    c->uf.text);
	if (c->uf.active_only && off < sizeof filt)
		off += snprintf(filt + off, sizeof filt - off, " active");
	if (c->uf.blocked_only && off < sizeof filt)
		off += snprintf(filt + off, sizeof filt - off, " blocked");
	if (c->uf.expiring && off < sizeof filt)
		snprintf(filt + off, sizeof filt - off, " expiring");
	snprintf(buf, len, "%zu of %zu, by %s %s%s%s",
	    pagelist_row(&c->pl), c->pl.list.count,
	    col >= 0 ? certs_cols[col].title : "?", c->desc ? "desc" : "asc",
	    filt[0] ? ", filter:" : "", filt);
}

static void
view_certs_show_tokens(struct view *v, int on)
{
	struct certs *c = v->data;

	c->show_tokens = on;
	certs_reload(v);
	app_status(v->app, 0, "%s (F8: %s).", on ? "Bulk registration tokens" :
	    "Certificates", on ? "certificates" : "bulk registration tokens");
}

static unsigned
certs_scopes(struct view *v)
{
	struct certs *c = v->data;

	return c->show_tokens ? KS_TOKENS : KS_CERTS | KS_FIND;
}

const struct view_ops view_certs_ops = {
	.scope = KS_CERTS | KS_FIND,
	.scopes = certs_scopes,
	.open = certs_open,
	.close = certs_close,
	.reload = certs_reload,
	.draw = certs_draw,
	.key = certs_key,
	.click = certs_click,
	.where = certs_where,
};
