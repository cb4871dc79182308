/*
 * pagelist: a list view over the database that never holds all its rows:
 * a count for its length, and the rows near the screen read by keyset
 * paging (rowbuf.c). Its owner gives the columns, the count and a page
 * after (or before) a row, each row's cells and style, the details of the
 * row under the cursor, what an empty list says and, if it has one, the
 * text search (Find sets it, the list starts over). The Certificates and
 * Clients views are two.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tui.h"

/* The status line says why a read failed; the list says it failed. */
static void
failed(struct pagelist *pl)
{
	app_status(pl->view->app, 1, "%s: %s", pl->ops->what,
	    ehttp_error(app_ehttp(pl->view->app)));
	pl->error = 1;
}

static int
fetch(void *arg, const void *after, int backward, size_t limit, void **rows,
    size_t *n)
{
	struct pagelist *pl = arg;

	if (pl->ops->page(pl->arg, after, backward, limit, rows, n) == -1) {
		failed(pl);
		return -1;
	}
	return 0;
}

void
pagelist_init(struct pagelist *pl, struct view *v,
    const struct pagelist_ops *ops, void *arg)
{
	memset(pl, 0, sizeof *pl);
	pl->ops = ops;
	pl->arg = arg;
	pl->view = v;
	pl->sort_col = -1;
	rowbuf_init(&pl->rb, ops->row_size, fetch, pl);
	view_list(v, &pl->list, NULL, NULL, NULL);	/* clicks and wheel */
	v->pages = pl;
}

const struct rowbuf *
view_rowbuf(struct view *v)
{
	return v->pages != NULL ? &v->pages->rb : NULL;
}

void
pagelist_free(struct pagelist *pl)
{
	rowbuf_clear(&pl->rb);
}

int
pagelist_reload(struct pagelist *pl)
{
	size_t total;

	pl->error = 0;
	if (pl->ops->count(pl->arg, &total) == -1) {
		failed(pl);
		return -1;
	}
	rowbuf_show(&pl->rb, &pl->list, total);
	return 0;
}

void
pagelist_fail(struct pagelist *pl)
{
	failed(pl);
}

const void *
pagelist_current(const struct pagelist *pl)
{
	return rowbuf_cursor(&pl->rb, &pl->list);
}

size_t
pagelist_row(const struct pagelist *pl)
{
	return pl->list.count ? pl->list.cursor + 1 : 0;
}

/* A row not read (yet): "..." in its first column, dimmed. */
static void
cell(void *arg, size_t row, int col, char *buf, size_t len)
{
	struct pagelist *pl = arg;
	const char *x = rowbuf_get(&pl->rb, row);

	if (x == NULL) {
		if (col == 0)
			snprintf(buf, len, "...");
		return;
	}
	if (!list_field(&pl->ops->cells[col], x, buf, len))
		pl->ops->cell(pl->arg, x, col, pl->widths[col], buf, len);
}

static attr_t
style(void *arg, size_t row)
{
	struct pagelist *pl = arg;
	const void *x = rowbuf_get(&pl->rb, row);

	return x == NULL ? crt_attr(CRT_DIM) : pl->ops->style(pl->arg, x);
}

void
pagelist_draw(struct pagelist *pl, WINDOW *list, WINDOW *details, int focused)
{
	const void *x;
	int h, width;

	getmaxyx(list, h, width);
	list_set_height(&pl->list, h - 1);
	list_layout(pl->ops->cols, pl->ops->ncols, pl->list.hcol, width,
	    pl->widths);
	if (!pl->error)
		rowbuf_ensure(&pl->rb, pl->list.top, (size_t)(h - 1));
	list_draw(list, &pl->list, pl->ops->cols, pl->ops->ncols, pl->sort_col,
	    pl->desc, focused, cell, style, pl);
	if (pl->list.count == 0)
		pl->ops->empty(pl->arg, list, width, pl->error);
	if ((x = pagelist_current(pl)) != NULL)
		pl->ops->details(pl->arg, x, details);
}

static void
find_done(struct app *app, int result, const char *text, void *arg)
{
	struct pagelist *pl = arg;

	if (result != 0 || text == NULL)
		return;
	pl->ops->find(pl->arg, text);
}

int
pagelist_key(struct pagelist *pl, enum keys_action a)
{
	const struct pagelist_ops *ops = pl->ops;

	if (list_key(&pl->list, a))
		return VIEW_REDRAW;
	switch (a) {
	case KA_FIND:
		if (ops->find == NULL)
			return VIEW_UNHANDLED;
		dialog_prompt_selected(pl->view->app, ops->find_title,
		    ops->find_label, ops->find_text(pl->arg), find_done, pl);
		return VIEW_REDRAW;
	case KA_RIGHT:
	case KA_LEFT:
		return list_hscroll(&pl->list, a) ? VIEW_REDRAW :
		    VIEW_UNHANDLED;
	default:
		return VIEW_UNHANDLED;
	}
}
