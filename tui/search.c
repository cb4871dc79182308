/*
 * search: Find in a list view (F3, n, N). The view says what a row
 * matches; search asks for the text, moves the cursor to the next row
 * that matches (wrapping) and says when none does. Above list.c and
 * dialog.c: neither knows about it.
 */
#include <stdio.h>
#include <strings.h>

#include "tui.h"

/* From row from going dir (+1 or -1), around the list: the cursor to the
 * first row that matches; -1 if none does. */
static int
search_from(struct search *s, size_t from, int dir)
{
	size_t n = s->list->count;

	for (size_t k = 0; k < n; k++) {
		size_t i = (from + n + (dir > 0 ? k : -k)) % n;

		if (s->ops->match(s->arg, i, s->needle)) {
			s->list->cursor = i;
			list_move(s->list, 0);
			return 0;
		}
	}
	return -1;
}

static void
search_done(struct app *app, int result, const char *text, void *arg)
{
	struct search *s = arg;

	if (result != 0 || text == NULL)
		return;
	snprintf(s->needle, sizeof s->needle, "%s", text);
	if (s->list->count > 0 && search_from(s, s->list->cursor, 1) == -1)
		app_status(app, 1, "Not found: %s", s->needle);
}

/* KA_FIND asks for the text, KA_FIND_NEXT/PREV go on: VIEW_* flags;
 * VIEW_UNHANDLED for any other action. */
static int
search_key(struct search *s, struct app *app, enum keys_action a)
{
	size_t n = s->list->count;

	switch (a) {
	case KA_FIND:
		dialog_prompt_selected(app, "Find", s->ops->label, s->needle,
		    search_done, s);
		return VIEW_REDRAW;
	case KA_FIND_NEXT:
	case KA_FIND_PREV:
		if (s->needle[0] == '\0' || n == 0)
			return VIEW_NONE;
		if (search_from(s, s->list->cursor + (a == KA_FIND_NEXT ? 1 :
		    n - 1), a == KA_FIND_NEXT ? 1 : -1) == -1)
			app_status(app, 1, "Not found: %s", s->needle);
		return VIEW_REDRAW;
	default:
		return VIEW_UNHANDLED;
	}
}

/* The keys every list view with Find shares: movement, Find, column
 * scroll, Enter (open, on a row); VIEW_UNHANDLED for the view's own. */
static int
search_list_key(struct search *s, struct app *app, enum keys_action a)
{
	if (list_key(s->list, a))
		return VIEW_REDRAW;
	switch (a) {
	case KA_FIND:
	case KA_FIND_NEXT:
	case KA_FIND_PREV:
		return search_key(s, app, a);
	case KA_RIGHT:
	case KA_LEFT:
		return list_hscroll(s->list, a) ? VIEW_REDRAW : VIEW_UNHANDLED;
	case KA_OPEN:
		if (s->ops->open == NULL)
			return VIEW_UNHANDLED;
		if (s->list->count > 0)
			s->ops->open(app, s->arg, s->list->cursor);
		return VIEW_REDRAW;
	default:
		return VIEW_UNHANDLED;
	}
}

int
search_view_key(struct view *v, enum keys_action a, int key)
{
	return search_list_key(v->find, v->app, a);
}

int
search_select(struct search *s, const char *key)
{
	for (size_t i = 0; i < s->list->count; i++)
		if (strcasecmp(s->ops->key(s->arg, i), key) == 0) {
			s->list->cursor = i;
			list_move(s->list, 0);
			return 0;
		}
	return -1;
}
