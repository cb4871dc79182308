/*
 * list: the state of a list (cursor, first row shown, horizontal column
 * scroll) as plain arithmetic, and the drawing of a header and rows whose
 * cells a view supplies. Rows are absolute indexes: a list may be a window
 * over millions of records (rowbuf.c, logscan.c).
 */
#include <stdio.h>
#include <string.h>

#include "tui.h"

static void
into_view(struct list *l)
{
	size_t h = l->height > 0 ? (size_t)l->height : 1;

	if (l->count == 0) {
		l->cursor = l->top = 0;
		return;
	}
	if (l->cursor >= l->count)
		l->cursor = l->count - 1;
	if (l->cursor < l->top)
		l->top = l->cursor;
	if (l->cursor >= l->top + h)
		l->top = l->cursor - h + 1;
	/* No empty rows at the bottom while there are rows above. */
	if (l->count >= h && l->top + h > l->count)
		l->top = l->count - h;
	if (l->count < h)
		l->top = 0;
}

void
list_set_count(struct list *l, size_t n)
{
	l->count = n;
	into_view(l);
}

void
list_set_height(struct list *l, int height)
{
	l->height = height > 0 ? height : 1;
	into_view(l);
}

void
list_move(struct list *l, long delta)
{
	if (l->count == 0)
		return;
	if (delta < 0 && (size_t)-delta > l->cursor)
		l->cursor = 0;
	else if (delta > 0 && l->cursor + (size_t)delta >= l->count)
		l->cursor = l->count - 1;
	else
		l->cursor += delta;
	into_view(l);
}

void
list_home(struct list *l)
{
	l->cursor = l->top = 0;
	into_view(l);
}

void
list_end(struct list *l)
{
	if (l->count > 0)
		l->cursor = l->count - 1;
	into_view(l);
}

void
list_page(struct list *l, int dir)
{
	size_t h = l->height > 1 ? (size_t)l->height - 1 : 1;

	if (l->count == 0)
		return;
	if (dir < 0) {
		l->top = l->top > h ? l->top - h : 0;
		l->cursor = l->cursor > h ? l->cursor - h : 0;
	} else {
		l->top += h;
		l->cursor += h;
		if (l->cursor >= l->count)
			l->cursor = l->count - 1;
	}
	into_view(l);
}

int
list_hscroll(struct list *l, enum keys_action a)
{
	if (a == KA_RIGHT) {
		if (l->hidden_right > 0)
			l->hcol++;
		return 1;
	}
	if (a == KA_LEFT && l->hcol > 0) {
		l->hcol--;
		return 1;
	}
	return 0;
}

void
list_click(struct list *l, int y, int wheel)
{
	if (wheel != 0)
		list_move(l, wheel * 3);
	else if (y > 0 && l->top + y - 1 < l->count) {
		l->cursor = l->top + y - 1;
		list_move(l, 0);
	}
}

int
list_key(struct list *l, enum keys_action a)
{
	switch (a) {
	case KA_UP:
	case KA_DOWN:
		list_move(l, a == KA_UP ? -1 : 1);
		return 1;
	case KA_PGUP:
	case KA_PGDN:
		list_page(l, a == KA_PGUP ? -1 : 1);
		return 1;
	case KA_HOME:
		list_home(l);
		return 1;
	case KA_END:
		list_end(l);
		return 1;
	default:
		return 0;
	}
}

int
list_layout(const struct list_col *cols, int ncols, int hcol, int width,
    int *widths)
{
	int used = 0, shown = 0, extra, need;

	if (hcol < 0 || hcol >= ncols)
		hcol = 0;
	for (int i = 0; i < ncols; i++)
		widths[i] = 0;
	for (int i = hcol; i < ncols; i++) {
		need = cols[i].min + (shown ? 1 : 0);
		if (used + need > width) {
			if (shown == 0) {
				widths[i] = width;
				return 1;
			}
			break;
		}
		widths[i] = cols[i].min;
		used += need;
		shown++;
	}
	/* Grow the columns shown towards their preferred width, in order of
	 * priority, then give what is left to the last one shown. */
	extra = width - used;
	for (int prio = 0; prio < 10 && extra > 0; prio++)
		for (int i = hcol; i < ncols && extra > 0; i++) {
			int add;

			if (widths[i] == 0 || cols[i].prio != prio ||
			    cols[i].pref <= widths[i])
				continue;
			add = cols[i].pref - widths[i];
			if (add > extra) {
				if (cols[i].flags & LIST_WHOLE)
					continue;
				add = extra;
			}
			widths[i] += add;
			extra -= add;
		}
	/* What is left goes to the elastic column, else the last one. */
	for (int i = hcol; i < ncols && extra > 0; i++)
		if (widths[i] > 0 && (cols[i].flags & LIST_ELASTIC)) {
			widths[i] += extra;
			extra = 0;
		}
	for (int i = ncols - 1; i >= hcol && extra > 0; i--)
		if (widths[i] > 0) {
			if (!(cols[i].flags & LIST_RIGHT))
				widths[i] += extra;
			break;
		}
	return shown;
}

int
list_col_at(const struct list_col *cols, int ncols, int hcol, int width, int x)
{
	int widths[64], pos = 0;

	if (ncols > 64)
		return -1;
	list_layout(cols, ncols, hcol, width, widths);
	for (int i = 0; i < ncols; i++) {
		if (widths[i] == 0)
			continue;
		if (x >= pos && x < pos + widths[i])
			return i;
		pos += widths[i] + 1;
	}
	return -1;
}

static void
draw_cell(WINDOW *w, int y, int x, int width, const char *s, int flags,
    attr_t attr)
{
	int cols = text_cols(s, (size_t)-1);

	if ((flags & LIST_RIGHT) && cols < width)
		x += width - cols;
	text_put(w, y, x, width, s, (size_t)-1, attr);
}

void
list_draw(WINDOW *w, struct list *l, const struct list_col *cols, int ncols,
    int sort_col, int desc, int focused, list_cell_fn cell,
    list_style_fn style, void *arg)
{
	int widths[64], h, width, x, shown;
	char buf[LIST_CELL];

	getmaxyx(w, h, width);
	if (ncols > 64)
		ncols = 64;
	list_set_height(l, h - 1);
	if (l->hcol >= ncols)
		l->hcol = ncols - 1;
	if (l->hcol < 0)
		l->hcol = 0;
	shown = list_layout(cols, ncols, l->hcol, width, widths);
	l->hidden_right = ncols - l->hcol - shown;

	/* Header. */
	text_fill(w, 0, 0, width, crt_attr(CRT_HEADER));
	x = 0;
	for (int i = 0; i < ncols; i++) {
		const char *t = cols[i].title;
		attr_t a = crt_attr(i == sort_col ? CRT_HEADER_SORT : CRT_HEADER);

		if (widths[i] == 0)
			continue;
		if (text_cols(t, (size_t)-1) + (i == sort_col) > widths[i] &&
		    cols[i].short_title != NULL)
			t = cols[i].short_title;
		if (i == sort_col) {
			snprintf(buf, sizeof buf, "%s%s", t, text_utf8 ?
			    (desc ? "\u25bc" : "\u25b2") : (desc ? "v" : "^"));
			t = buf;
		}
		draw_cell(w, 0, x, widths[i], t, cols[i].flags, a);
		x += widths[i] + 1;
	}
	if (l->hcol > 0)
		text_put(w, 0, 0, 1, text_utf8 ? "\u00ab" : "<", (size_t)-1,
		    crt_attr(CRT_HEADER_SORT));
	if (l->hidden_right > 0)
		text_put(w, 0, width - 1, 1, text_utf8 ? "\u00bb" : ">",
		    (size_t)-1, crt_attr(CRT_HEADER_SORT));

	/* Rows. */
	for (int r = 0; r < h - 1; r++) {
		size_t idx = l->top + r;
		attr_t a;

		if (idx >= l->count)
			break;
		a = style != NULL ? style(arg, idx) : crt_attr(CRT_NORMAL);
		if (idx == l->cursor)
			a = focused ? (a | crt_attr(CRT_CURSOR)) :
			    crt_attr(CRT_CURSOR_DIM);
		text_fill(w, r + 1, 0, width, a);
		x = 0;
		for (int i = 0; i < ncols; i++) {
			if (widths[i] == 0)
				continue;
			buf[0] = '\0';
			cell(arg, idx, i, buf, sizeof buf);
			draw_cell(w, r + 1, x, widths[i], buf, cols[i].flags, a);
			x += widths[i] + 1;
		}
	}
}

int
list_field(const struct list_field *f, const void *row, char *buf, size_t len)
{
	const char *x = (const char *)row + f->off;
	time_t t;
	int yes;

	switch (f->kind) {
	case LIST_TEXT:
		snprintf(buf, len, "%s", x);
		return 1;
	case LIST_DAY:
		memcpy(&t, x, sizeof t);
		text_day(t, buf, len);
		return 1;
	case LIST_YES_NO:
		memcpy(&yes, x, sizeof yes);
		snprintf(buf, len, "%s", yes ? "Yes" : "No");
		return 1;
	default:
		return 0;
	}
}
