/*
 * dialog: entries of the dialog stack. A dialog is data plus a const
 * struct dialog_ops; the app draws the stack over the frame and sends keys
 * to the top. A dialog that closes calls its done callback once, with the
 * button chosen (-1: cancelled) and, for a prompt, the text.
 *
 * Shared pieces: frames, button rows, the box (message, question, text
 * with tabs: help, certificate), the prompt and the menu.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"
#include "xmalloc.h"

static struct dialog *
dialog_new(struct app *app, const struct dialog_ops *ops, void *data)
{
	struct dialog *d;

	d = xcalloc(1, sizeof *d);
	d->ops = ops;
	d->app = app;
	d->data = data;
	d->result = -1;
	d->cursor_y = d->cursor_x = -1;
	return d;
}

void
dialog_free(struct dialog *d)
{
	if (d == NULL)
		return;
	if (d->ops->free != NULL)
		d->ops->free(d);
	if (d->free_arg != NULL)
		d->free_arg(d->done_arg);
	if (d->win != NULL)
		delwin(d->win);
	free(d);
}

void
dialog_close(struct dialog *d, int result, const char *text)
{
	dialog_done_fn done = d->done;

	if (d->closed)
		return;
	d->closed = 1;
	d->result = result;
	d->done = NULL;
	if (done != NULL)
		done(d->app, result, text, d->done_arg);
	app_dirty(d->app);
}

void
dialog_frame(WINDOW *w, const char *title)
{
	int h, width;

	getmaxyx(w, h, width);
	(void)h;
	wbkgdset(w, ' ' | crt_attr(CRT_DIALOG));
	werase(w);
	wattrset(w, crt_attr(CRT_BORDER));
	box(w, 0, 0);
	if (title != NULL && *title != '\0') {
		int tw = text_cols(title, (size_t)-1) + 2;
		int x = (width - tw) / 2;

		if (x < 1)
			x = 1;
		text_putf(w, 0, x, width - 2, crt_attr(CRT_DIALOG_TITLE) | A_BOLD,
		    " %s ", title);
	}
	wattrset(w, crt_attr(CRT_DIALOG));
}

/* The box: lines of text (wrapped), optional tabs, buttons. */
struct box_line {
	enum box_line_style	 style;
	char			*text;
	int			 tab;
};

struct box {
	char		 title[128];
	char		*tabs[FORM_MAX_TABS];
	int		 ntabs;
	int		 tab;
	struct box_line	*lines;
	size_t		 n, cap;
	const char	*buttons[FORM_MAX_BUTTONS];
	int		 button_flags[FORM_MAX_BUTTONS];
	int		 nbuttons;
	int		 focus;
	size_t		 scroll;
	int		 wide;
	int		 view_h;	/* text lines visible (last draw) */
	size_t		 total;		/* wrapped lines of the tab */
};

struct box *
box_new(const char *title)
{
	struct box *b;

	b = xcalloc(1, sizeof *b);
	snprintf(b->title, sizeof b->title, "%s", title);
	b->buttons[0] = "OK";
	b->nbuttons = 1;
	return b;
}

void
box_tab(struct box *b, const char *name)
{
	if (b->ntabs == FORM_MAX_TABS)
		return;
	b->tabs[b->ntabs++] = xstrdup(name);
}

/* One entry: len bytes of s. */
static void
box_add(struct box *b, enum box_line_style style, const char *s, size_t len)
{
	b->lines = xgrowarray(b->lines, &b->cap, b->n, 32, sizeof *b->lines);
	b->lines[b->n].style = style;
	b->lines[b->n].tab = b->ntabs > 0 ? b->ntabs - 1 : 0;
	b->lines[b->n].text = xstrndup(s, len);
	b->n++;
}

void
box_text(struct box *b, enum box_line_style style, const char *s)
{
	const char *p = s, *nl;

	/* One entry per physical line (a final line break adds none). */
	for (;;) {
		nl = strchr(p, '\n');
		box_add(b, style, p, nl != NULL ? (size_t)(nl - p) : strlen(p));
		if (nl == NULL || nl[1] == '\0')
			break;
		p = nl + 1;
	}
}

static void __attribute__((format(printf, 3, 0)))
box_vline(struct box *b, enum box_line_style style, const char *fmt,
    va_list ap)
{
	char *s;

	xvasprintf(&s, fmt, ap);
	box_text(b, style, s);
	free(s);
}

/* One line however its values read: a line break in a name from the
 * database is a '?' on it (as text_put draws any other control), not a
 * line of the name's choosing; the box still wraps it to its width. */
void
box_line(struct box *b, enum box_line_style style, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	for (char *p = s; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = '?';
	box_add(b, style, s, strlen(s));
	free(s);
}

void
box_buttons(struct box *b, const char *const *labels, int n)
{
	if (n > FORM_MAX_BUTTONS)
		n = FORM_MAX_BUTTONS;
	for (int i = 0; i < n; i++) {
		b->buttons[i] = labels[i];
		b->button_flags[i] = 0;
	}
	b->nbuttons = n;
	b->focus = 0;
}

void
box_button_flags(struct box *b, int button, int flags)
{
	if (button >= 0 && button < b->nbuttons)
		b->button_flags[button] = flags;
}

void
box_wide(struct box *b)
{
	b->wide = 1;
}

/* The keys a box and a menu read alike: Cancel closes it (-1). */
static int
dialog_key_rest(struct dialog *d, enum keys_action a)
{
	if (a != KA_CANCEL)
		return DLG_UNHANDLED;
	dialog_close(d, -1, NULL);
	return DLG_CLOSE;
}

static void
box_free(struct dialog *d)
{
	struct box *b = d->data;

	for (size_t i = 0; i < b->n; i++)
		free(b->lines[i].text);
	for (int t = 0; t < b->ntabs; t++)
		free(b->tabs[t]);
	free(b->lines);
	free(b);
}

static const char *
box_prefix(enum box_line_style s)
{
	switch (s) {
	case BOX_WARNING:
		return "Warning: ";
	case BOX_ERROR:
		return "Error: ";
	default:
		return "";
	}
}

/* Wrapped lines of the current tab at width: count, and draw if w. */
static size_t
box_render(struct box *b, WINDOW *w, int y0, int x0, int width, int height)
{
	size_t row = 0;

	for (size_t i = 0; i < b->n; i++) {
		struct box_line *l = &b->lines[i];
		attr_t a;
		char *s;
		size_t off = 0, len, next, n;

		if (l->tab != b->tab)
			continue;
		switch (l->style) {
		case BOX_WARNING:
			a = crt_attr(CRT_WARNING);
			break;
		case BOX_ERROR:
			a = crt_attr(CRT_ERROR);
			break;
		case BOX_HEAD:
			a = crt_attr(CRT_DIALOG) | A_BOLD;
			break;
		default:
			a = crt_attr(CRT_DIALOG);
			break;
		}
		xasprintf(&s, "%s%s", box_prefix(l->style), l->text);
		len = strlen(s);
		do {
			n = text_wrap(s + off, len - off, width, &next);
			if (w != NULL && row >= b->scroll &&
			    row < b->scroll + (size_t)height)
				text_put(w, y0 + (int)(row - b->scroll), x0, width,
				    s + off, n, a);
			row++;
			off += next;
		} while (off < len);
		free(s);
	}
	return row;
}

static void
box_size(struct dialog *d, int maxh, int maxw, int *h, int *w)
{
	struct box *b = d->data;
	int want = 40, lines;

	for (size_t i = 0; i < b->n; i++) {
		int c = text_cols(b->lines[i].text, (size_t)-1) +
		    (int)strlen(box_prefix(b->lines[i].style)) + 4;

		if (c > want)
			want = c;
	}
	if (text_cols(b->title, (size_t)-1) + 8 > want)
		want = text_cols(b->title, (size_t)-1) + 8;
	if (b->wide || want > maxw - 4)
		want = maxw - 4;
	if (want > 100 && !b->wide)
		want = 100;
	*w = want;
	lines = 0;
	for (int t = 0; t < (b->ntabs ? b->ntabs : 1); t++) {
		int save = b->tab, n;

		b->tab = t;
		n = (int)box_render(b, NULL, 0, 0, want - 4, 0);
		b->tab = save;
		if (n > lines)
			lines = n;
	}
	*h = lines + 2 + (b->ntabs > 1 ? 2 : 0) + 2;
	if (*h > maxh - 2)
		*h = maxh - 2;
}

static void
box_draw(struct dialog *d, WINDOW *w)
{
	struct box *b = d->data;
	int h, width, y = 1;
	char pos[48];

	getmaxyx(w, h, width);
	dialog_frame(w, b->title);
	if (b->ntabs > 1) {
		int x = 2;

		for (int t = 0; t < b->ntabs; t++) {
			attr_t a = t == b->tab ? crt_attr(CRT_FOCUS) | A_BOLD :
			    crt_attr(CRT_DIALOG);

			x += 1 + text_putf(w, y, x, width - 1 - x, a, " %s ",
			    b->tabs[t]);
		}
		wattrset(w, crt_attr(CRT_DIALOG));
		mvwhline(w, y + 1, 1, ACS_HLINE, width - 2);
		y += 2;
	}
	b->view_h = h - y - 3;
	if (b->view_h < 1)
		b->view_h = 1;
	b->total = box_render(b, NULL, 0, 0, width - 4, 0);
	if (b->scroll + (size_t)b->view_h > b->total)
		b->scroll = b->total > (size_t)b->view_h ?
		    b->total - b->view_h : 0;
	box_render(b, w, y, 2, width - 4, b->view_h);
	if (b->total > (size_t)b->view_h) {
		snprintf(pos, sizeof pos, " %zu-%zu of %zu ", b->scroll + 1,
		    b->scroll + b->view_h < b->total ? b->scroll + b->view_h :
		    b->total, b->total);
		text_put(w, h - 3, width - 2 - (int)strlen(pos), (int)strlen(pos),
		    pos, (size_t)-1, crt_attr(CRT_BORDER));
	}
	wattrset(w, crt_attr(CRT_DIALOG));
	mvwhline(w, h - 3, 1, ACS_HLINE, width - 2 -
	    (b->total > (size_t)b->view_h ? (int)strlen(pos) + 1 : 0));
	form_buttons_draw(w, h - 2, b->buttons, b->nbuttons, b->focus, NULL);
}

static int
box_key(struct dialog *d, enum keys_action a, int key)
{
	struct box *b = d->data;
	size_t page = b->view_h > 1 ? (size_t)b->view_h - 1 : 1;

	switch (a) {
	case KA_UP:
		if (b->scroll > 0)
			b->scroll--;
		return DLG_REDRAW;
	case KA_DOWN:
		if (b->scroll + b->view_h < b->total)
			b->scroll++;
		return DLG_REDRAW;
	case KA_PGUP:
		b->scroll = b->scroll > page ? b->scroll - page : 0;
		return DLG_REDRAW;
	case KA_PGDN:
		b->scroll += page;
		return DLG_REDRAW;	/* clamped by the draw */
	case KA_HOME:
		b->scroll = 0;
		return DLG_REDRAW;
	case KA_END:
		b->scroll = b->total;
		return DLG_REDRAW;
	case KA_NEXT_FIELD:
	case KA_PREV_FIELD:
		/* The focus ring of a box is its buttons; with one button,
		 * Tab goes through the tabs. */
		if (b->nbuttons > 1) {
			b->focus = (b->focus + (a == KA_NEXT_FIELD ? 1 : -1) +
			    b->nbuttons) % b->nbuttons;
			return DLG_REDRAW;
		}
		a = a == KA_NEXT_FIELD ? KA_NEXT_TAB : KA_PREV_TAB;
		/* FALLTHROUGH */
	case KA_NEXT_TAB:
	case KA_PREV_TAB:
		if (b->ntabs > 1) {
			b->tab = (b->tab + (a == KA_NEXT_TAB ? 1 : -1) +
			    b->ntabs) % b->ntabs;
			b->scroll = 0;
		}
		return DLG_REDRAW;
	case KA_LEFT:
		if (b->focus > 0)
			b->focus--;
		return DLG_REDRAW;
	case KA_RIGHT:
		if (b->focus + 1 < b->nbuttons)
			b->focus++;
		return DLG_REDRAW;
	case KA_OK:
		dialog_close(d, b->focus, NULL);
		return DLG_CLOSE;
	default:
		return dialog_key_rest(d, a);
	}
}

static const struct dialog_ops box_ops = {
	.scope = KS_BOX,
	.size = box_size,
	.draw = box_draw,
	.key = box_key,
	.free = box_free,
};

/* Push d with the function called when it closes. */
static struct dialog *
dialog_push_done(struct app *app, struct dialog *d, dialog_done_fn done,
    void *arg)
{
	d->done = done;
	d->done_arg = arg;
	app_dialog_push(app, d);
	return d;
}

struct dialog *
box_dialog(struct app *app, struct box *b, dialog_done_fn done, void *arg)
{
	struct dialog *d = dialog_new(app, &box_ops, b);

	b->focus = form_safe_button(b->button_flags, NULL, b->nbuttons,
	    b->focus);
	return dialog_push_done(app, d, done, arg);
}

void
dialog_message(struct app *app, const char *title, enum box_line_style style,
    const char *fmt, ...)
{
	struct box *b = box_new(title);
	va_list ap;

	va_start(ap, fmt);
	box_vline(b, style, fmt, ap);
	va_end(ap);
	box_dialog(app, b, NULL, NULL);
}

/* A dialog that is one form: its frame, the form, the cursor. */
static void
dialog_form_draw(struct dialog *d, WINDOW *w, struct form *f)
{
	dialog_frame(w, f->title);
	form_draw(f, w);
	d->cursor_y = f->cursor_y;
	d->cursor_x = f->cursor_x;
}

/* The form dialog skeleton. */
static void
form_dialog_size(struct dialog *d, int maxh, int maxw, int *h, int *w)
{
	*w = d->form_ops->width < maxw ? d->form_ops->width : maxw;
	*h = form_height(d->form, *w);
}

static void
form_dialog_draw(struct dialog *d, WINDOW *w)
{
	dialog_form_draw(d, w, d->form);
}

static int
form_dialog_key(struct dialog *d, enum keys_action a, int key)
{
	const struct dialog_form_ops *fo = d->form_ops;
	int r;

	if (fo->key != NULL && (r = fo->key(d, a, key)) != DLG_UNHANDLED)
		return r;
	switch (form_key(d->form, a, key)) {
	case FORM_CHANGED:
		return fo->changed != NULL ? fo->changed(d,
		    d->form->changed_id) : DLG_REDRAW;
	case FORM_BUTTON:
		if (d->form->pressed != DIALOG_FORM_CANCEL)
			return fo->button(d, d->form->pressed);
		/* FALLTHROUGH */
	case FORM_CANCEL:
		dialog_close(d, -1, NULL);
		return DLG_CLOSE;
	case FORM_UNHANDLED:
		return DLG_UNHANDLED;
	default:
		return DLG_REDRAW;
	}
}

static void
form_dialog_free(struct dialog *d)
{
	if (d->form_ops->free != NULL)
		d->form_ops->free(d->data);
	else
		free(d->data);
}

static const struct dialog_ops form_dialog_ops = {
	.scope = KS_DIALOG,
	.size = form_dialog_size,
	.draw = form_dialog_draw,
	.key = form_dialog_key,
	.free = form_dialog_free,
};

struct dialog *
dialog_form_new(struct app *app, const struct dialog_form_ops *fo,
    struct form *f, void *data)
{
	struct dialog *d = dialog_new(app, &form_dialog_ops, data);

	d->form = f;
	d->form_ops = fo;
	return d;
}

/* The prompt: a form with one text field. */
static int
prompt_button(struct dialog *d, int pressed)
{
	struct form *f = d->data;

	dialog_close(d, 0, f->items[0].text);
	return DLG_CLOSE;
}

static const struct dialog_form_ops prompt_ops = {
	.width = 72,
	.button = prompt_button,
};

static struct dialog *
prompt_new(struct app *app, const char *title, const char *label,
    const char *initial, int selected, dialog_done_fn done, void *arg)
{
	static const char *const buttons[] = { "OK", "Cancel" };
	struct form *f;
	struct form_item *it;
	struct dialog *d;

	f = xcalloc(1, sizeof *f);
	form_init(f, title);
	it = form_add(f, FORM_TEXT, 1, 0, 0, label);
	snprintf(it->text, sizeof it->text, "%s", initial != NULL ? initial : "");
	it->pos = strlen(it->text);
	it->selected = selected && it->text[0] != '\0';
	form_buttons(f, buttons, 2);
	form_focus_first(f);
	d = dialog_form_new(app, &prompt_ops, f, f);
	return dialog_push_done(app, d, done, arg);
}

struct dialog *
dialog_prompt(struct app *app, const char *title, const char *label,
    const char *initial, dialog_done_fn done, void *arg)
{
	return prompt_new(app, title, label, initial, 0, done, arg);
}

struct dialog *
dialog_prompt_selected(struct app *app, const char *title, const char *label,
    const char *initial, dialog_done_fn done, void *arg)
{
	return prompt_new(app, title, label, initial, 1, done, arg);
}

/* The menu: pick one line. */
struct menu {
	char		 title[128];
	char		**items;
	int		 n;
	struct list	 list;
};

static void
menu_size(struct dialog *d, int maxh, int maxw, int *h, int *w)
{
	struct menu *m = d->data;
	int want = text_cols(m->title, (size_t)-1) + 8;

	for (int i = 0; i < m->n; i++) {
		int c = text_cols(m->items[i], (size_t)-1) + 6;

		if (c > want)
			want = c;
	}
	*w = want < maxw - 4 ? want : maxw - 4;
	*h = m->n + 2 < maxh - 2 ? m->n + 2 : maxh - 2;
}

static void
menu_draw(struct dialog *d, WINDOW *w)
{
	struct menu *m = d->data;
	int h, width;

	getmaxyx(w, h, width);
	dialog_frame(w, m->title);
	list_set_height(&m->list, h - 2);
	for (int r = 0; r < h - 2; r++) {
		size_t i = m->list.top + r;
		attr_t a;

		if (i >= (size_t)m->n)
			break;
		a = i == m->list.cursor ? crt_attr(CRT_FOCUS) :
		    crt_attr(CRT_DIALOG);
		text_fill(w, r + 1, 1, width - 2, a);
		text_put(w, r + 1, 2, width - 4, m->items[i], (size_t)-1, a);
	}
}

static int
menu_key(struct dialog *d, enum keys_action a, int key)
{
	struct menu *m = d->data;

	if (list_key(&m->list, a))
		return DLG_REDRAW;
	switch (a) {
	case KA_OK:
		if (m->n > 0) {
			dialog_close(d, (int)m->list.cursor,
			    m->items[m->list.cursor]);
			return DLG_CLOSE;
		}
		return DLG_NONE;
	default:
		return dialog_key_rest(d, a);
	}
}

static void
menu_free(struct dialog *d)
{
	struct menu *m = d->data;

	for (int i = 0; i < m->n; i++)
		free(m->items[i]);
	free(m->items);
	free(m);
}

static const struct dialog_ops menu_ops = {
	.scope = KS_MENU,
	.size = menu_size,
	.draw = menu_draw,
	.key = menu_key,
	.free = menu_free,
};

struct dialog *
dialog_menu(struct app *app, const char *title, const char *const *items,
    int n, int selected, dialog_done_fn done, void *arg)
{
	struct menu *m;
	struct dialog *d;

	m = xcalloc(1, sizeof *m);
	snprintf(m->title, sizeof m->title, "%s", title);
	m->items = xcalloc(n > 0 ? n : 1, sizeof *m->items);
	for (int i = 0; i < n; i++)
		m->items[i] = xstrdup(items[i]);
	m->n = n;
	m->list.height = 10;
	list_set_count(&m->list, n);
	if (selected >= 0 && selected < n)
		m->list.cursor = selected;
	d = dialog_new(app, &menu_ops, m);
	return dialog_push_done(app, d, done, arg);
}
