/*
 * form: the controls of a dialog (tabs, labels, check boxes, radio
 * buttons, choices, text fields and a row of buttons) with the keyboard
 * behaviour of a Windows property sheet: Tab and Shift-Tab go round the
 * focus ring (the controls of the tab, then the buttons), PgDn/PgUp change
 * tab, arrows move between controls (and within a radio group or between
 * buttons), Space toggles, Enter presses the focused or the default button
 * (never a destructive one), Esc cancels.
 * The model needs no terminal; form_draw() is the only curses part.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "tui.h"
#include "utf8.h"

#define CTRL(c)	((c) & 0x1f)

void
form_init(struct form *f, const char *title)
{
	memset(f, 0, sizeof *f);
	snprintf(f->title, sizeof f->title, "%s", title);
	f->changed_id = -1;
	f->pressed = -1;
}

struct form_item *
form_add(struct form *f, enum form_kind kind, int id, int tab, int indent,
    const char *label)
{
	struct form_item *it;

	if (f->nitems == FORM_MAX_ITEMS)
		return NULL;
	it = &f->items[f->nitems++];
	memset(it, 0, sizeof *it);
	it->kind = kind;
	it->id = id;
	it->tab = tab;
	it->indent = indent;
	it->enabled = 1;
	snprintf(it->label, sizeof it->label, "%s", label != NULL ? label : "");
	return it;
}

struct form_item *
form_item(struct form *f, int id)
{
	for (int i = 0; i < f->nitems; i++)
		if (f->items[i].id == id && id != 0)
			return &f->items[i];
	return NULL;
}

int
form_value(const struct form *f, int id)
{
	for (int i = 0; i < f->nitems; i++)
		if (f->items[i].id == id && id != 0)
			return f->items[i].value;
	return 0;
}

static void
radio_select(struct form *f, struct form_item *it)
{
	for (int i = 0; i < f->nitems; i++)
		if (f->items[i].kind == FORM_RADIO &&
		    f->items[i].group == it->group)
			f->items[i].value = 0;
	it->value = 1;
}

void
form_set(struct form *f, int id, int value)
{
	struct form_item *it = form_item(f, id);

	if (it == NULL)
		return;
	if (it->kind == FORM_RADIO && value)
		radio_select(f, it);
	else
		it->value = value;
}

void
form_enable(struct form *f, int id, int enabled)
{
	struct form_item *it = form_item(f, id);

	if (it != NULL)
		it->enabled = enabled;
}

/* A row of buttons, centred; the focused one stands out. */
void
form_buttons_draw(WINDOW *w, int y, const char *const *labels, int n,
    int focus, const int *enabled)
{
	int h, width, total = 0, x;

	getmaxyx(w, h, width);
	(void)h;
	for (int b = 0; b < n; b++)
		total += text_cols(labels[b], (size_t)-1) + 4 + (b ? 2 : 0);
	x = (width - total) / 2;
	if (x < 1)
		x = 1;
	for (int b = 0; b < n; b++) {
		attr_t a = crt_attr(CRT_DIALOG);

		if (enabled != NULL && !enabled[b])
			a = crt_attr(CRT_DISABLED);
		else if (b == focus)
			a = crt_attr(CRT_FOCUS) | A_BOLD;
		if (b > 0)
			x += 2;
		x += text_putf(w, y, x, width - 1 - x, a, "[ %s ]", labels[b]);
	}
}

int
form_safe_button(const int *flags, const int *enabled, int n, int preferred)
{
	if (preferred >= 0 && preferred < n &&
	    !(flags[preferred] & FORM_BTN_DESTRUCTIVE) &&
	    (enabled == NULL || enabled[preferred]))
		return preferred;
	for (int b = 0; b < n; b++)
		if (!(flags[b] & FORM_BTN_DESTRUCTIVE) &&
		    (enabled == NULL || enabled[b]))
			return b;
	return preferred;
}

void
form_buttons(struct form *f, const char *const *labels, int n)
{
	if (n > FORM_MAX_BUTTONS)
		n = FORM_MAX_BUTTONS;
	for (int b = 0; b < n; b++) {
		f->buttons[b] = labels[b];
		f->button_enabled[b] = 1;
	}
	f->nbuttons = n;
	f->default_button = 0;
}

static int
focusable(const struct form *f, int i)
{
	const struct form_item *it = &f->items[i];

	if (it->tab != f->tab || it->hidden)
		return 0;
	switch (it->kind) {
	case FORM_CHECK:
	case FORM_RADIO:
	case FORM_TEXT:
	case FORM_CHOICE:
		return 1;	/* disabled ones too: they can be read */
	default:
		return 0;
	}
}

static int
first_button(const struct form *f)
{
	return f->nitems + form_safe_button(f->button_flags,
	    f->button_enabled, f->nbuttons, 0);
}

/* The focus ring: controls of the tab, then enabled buttons, around. */
static enum form_result
ring_step(struct form *f, int dir)
{
	int n = f->nitems + f->nbuttons, i = f->focus;

	for (int k = 0; k < n; k++) {
		i = (i + dir + n) % n;
		if (i < f->nitems ? focusable(f, i) :
		    f->button_enabled[i - f->nitems]) {
			f->focus = i;
			return FORM_MOVED;
		}
	}
	return FORM_NONE;
}

void
form_focus_first(struct form *f)
{
	for (int i = 0; i < f->nitems; i++)
		if (focusable(f, i)) {
			f->focus = i;
			return;
		}
	f->focus = first_button(f);
}

int
form_focused_id(const struct form *f)
{
	if (f->focus < f->nitems)
		return f->items[f->focus].id;
	return -1;
}

int
form_is_text_focus(const struct form *f)
{
	return f->focus < f->nitems && f->items[f->focus].kind == FORM_TEXT;
}

static enum form_result
move_focus(struct form *f, int dir)
{
	int i = f->focus;

	if (f->focus >= f->nitems) {
		if (dir > 0)
			return FORM_NONE;
		/* From the buttons up to the last control. */
		for (i = f->nitems - 1; i >= 0; i--)
			if (focusable(f, i)) {
				f->focus = i;
				return FORM_MOVED;
			}
		return FORM_NONE;
	}
	for (i += dir; i >= 0 && i < f->nitems; i += dir)
		if (focusable(f, i)) {
			f->focus = i;
			return FORM_MOVED;
		}
	if (dir > 0) {
		f->focus = first_button(f);
		return FORM_MOVED;
	}
	return FORM_NONE;
}

static enum form_result
move_button(struct form *f, int dir)
{
	int b = f->focus - f->nitems;

	for (b += dir; b >= 0 && b < f->nbuttons; b += dir)
		if (f->button_enabled[b]) {
			f->focus = f->nitems + b;
			return FORM_MOVED;
		}
	return FORM_NONE;
}

static enum form_result
changed(struct form *f, struct form_item *it)
{
	f->changed_id = it->id;
	return FORM_CHANGED;
}

/* Arrow keys in a radio group choose the next or previous radio. */
static enum form_result
radio_step(struct form *f, struct form_item *it, int dir)
{
	for (int i = (int)(it - f->items) + dir; i >= 0 && i < f->nitems;
	    i += dir) {
		struct form_item *o = &f->items[i];

		if (o->kind != FORM_RADIO || o->group != it->group ||
		    o->tab != it->tab)
			continue;
		if (!o->enabled || o->hidden)
			continue;
		f->focus = i;
		if (!it->enabled)
			return FORM_MOVED;
		radio_select(f, o);
		return changed(f, o);
	}
	return FORM_NONE;
}

static enum form_result
text_edit(struct form *f, struct form_item *it, int key)
{
	size_t len = strlen(it->text);

	if (it->pos > len)
		it->pos = len;
	if (it->selected) {
		/* A selected text: an edit replaces it, a move keeps it. */
		it->selected = 0;
		if (key == KEY_BACKSPACE || key == 127 || key == CTRL('h') ||
		    key == KEY_DC || key == CTRL('d') || (key >= 32 &&
		    key < 256)) {
			it->text[0] = '\0';
			it->pos = len = 0;
			if (!(key >= 32 && key < 256 && key != 127))
				return changed(f, it);
		}
	}
	switch (key) {
	case KEY_BACKSPACE:
	case 127:
	case CTRL('h'):
		if (it->pos == 0)
			return FORM_NONE;
		do {
			memmove(it->text + it->pos - 1, it->text + it->pos,
			    len - it->pos + 1);
			it->pos--;
			len--;
		} while (it->pos > 0 &&
		    utf8_cont(it->text[it->pos]));
		return changed(f, it);
	case KEY_DC:
	case CTRL('d'):
		if (it->pos >= len)
			return FORM_NONE;
		do {
			memmove(it->text + it->pos, it->text + it->pos + 1,
			    len - it->pos);
			len--;
		} while (it->pos < len &&
		    utf8_cont(it->text[it->pos]));
		return changed(f, it);
	case KEY_LEFT:
	case CTRL('b'):
		while (it->pos > 0) {
			it->pos--;
			if (!utf8_cont(it->text[it->pos]))
				break;
		}
		return FORM_MOVED;
	case KEY_RIGHT:
	case CTRL('f'):
		while (it->pos < len) {
			it->pos++;
			if (!utf8_cont(it->text[it->pos]))
				break;
		}
		return FORM_MOVED;
	case KEY_HOME:
	case CTRL('a'):
		it->pos = 0;
		return FORM_MOVED;
	case KEY_END:
	case CTRL('e'):
		it->pos = len;
		return FORM_MOVED;
	case CTRL('u'):
		it->text[0] = '\0';
		it->pos = 0;
		return changed(f, it);
	case CTRL('k'):
		it->text[it->pos] = '\0';
		return changed(f, it);
	case CTRL('w'):
		while (it->pos > 0 && it->text[it->pos - 1] == ' ')
			text_edit(f, it, KEY_BACKSPACE);
		while (it->pos > 0 && it->text[it->pos - 1] != ' ')
			text_edit(f, it, KEY_BACKSPACE);
		return changed(f, it);
	}
	if (key >= 32 && key < 256 && key != 127) {
		if (len + 1 >= sizeof it->text)
			return FORM_NONE;
		memmove(it->text + it->pos + 1, it->text + it->pos,
		    len - it->pos + 1);
		it->text[it->pos++] = (char)key;
		return changed(f, it);
	}
	return FORM_UNHANDLED;
}

static enum form_result
press(struct form *f, int b)
{
	if (b < 0 || b >= f->nbuttons || !f->button_enabled[b])
		return FORM_NONE;
	f->pressed = b;
	return FORM_BUTTON;
}

static enum form_result
switch_tab(struct form *f, int dir)
{
	if (f->ntabs <= 1)
		return move_focus(f, dir);
	f->tab = (f->tab + dir + f->ntabs) % f->ntabs;
	form_focus_first(f);
	return FORM_MOVED;
}

enum form_result
form_key(struct form *f, enum keys_action a, int key)
{
	struct form_item *it = f->focus < f->nitems ? &f->items[f->focus] :
	    NULL;
	enum form_result r;

	f->changed_id = -1;
	f->pressed = -1;
	if (it != NULL && it->kind == FORM_TEXT && a != KA_OK &&
	    a != KA_CANCEL && a != KA_UP && a != KA_DOWN &&
	    a != KA_NEXT_TAB && a != KA_PREV_TAB && a != KA_NEXT_FIELD &&
	    a != KA_PREV_FIELD && it->enabled) {
		if ((r = text_edit(f, it, key)) != FORM_UNHANDLED)
			return r;
	}
	switch (a) {
	case KA_UP:
		return move_focus(f, -1);
	case KA_DOWN:
		return move_focus(f, 1);
	case KA_NEXT_FIELD:
		return ring_step(f, 1);
	case KA_PREV_FIELD:
		return ring_step(f, -1);
	case KA_NEXT_TAB:
		return switch_tab(f, 1);
	case KA_PREV_TAB:
		return switch_tab(f, -1);
	case KA_LEFT:
	case KA_RIGHT: {
		int dir = a == KA_LEFT ? -1 : 1;

		if (it == NULL)
			return move_button(f, dir);
		if (it->kind == FORM_RADIO)
			return radio_step(f, it, dir);
		if (it->kind == FORM_CHOICE && it->enabled && it->nchoices > 0) {
			it->value = (it->value + dir + it->nchoices) %
			    it->nchoices;
			return changed(f, it);
		}
		return FORM_NONE;
	}
	case KA_TOGGLE:
		if (it == NULL)
			return press(f, f->focus - f->nitems);
		if (!it->enabled)
			return FORM_NONE;
		switch (it->kind) {
		case FORM_CHECK:
			it->value = !it->value;
			return changed(f, it);
		case FORM_RADIO:
			if (it->value)
				return FORM_NONE;
			radio_select(f, it);
			return changed(f, it);
		case FORM_CHOICE:
			if (it->nchoices > 0)
				it->value = (it->value + 1) % it->nchoices;
			return changed(f, it);
		default:
			return FORM_NONE;
		}
	case KA_OK:
		if (it == NULL)
			return press(f, f->focus - f->nitems);
		return press(f, form_safe_button(f->button_flags,
		    f->button_enabled, f->nbuttons, f->default_button));
	case KA_CANCEL:
		return FORM_CANCEL;
	default:
		return FORM_UNHANDLED;
	}
}

/* Lines an item takes at this width. */
static int
item_lines(const struct form_item *it, int width)
{
	int avail, lines = 0;
	size_t off = 0, next, len = strlen(it->label);

	switch (it->kind) {
	case FORM_GAP:
		return it->value > 1 ? it->value : 1;
	case FORM_TEXT:
	case FORM_CHOICE:
		return 1;
	case FORM_LABEL:
		avail = width - it->indent;
		break;
	default:
		avail = width - it->indent - 4;
		break;
	}
	if (avail < 8)
		avail = 8;
	if (len == 0)
		return 1;
	while (off < len) {
		text_wrap(it->label + off, len - off, avail, &next);
		off += next;
		lines++;
	}
	return lines;
}

/* The lines of the tallest tab's items (the whole form without tabs). */
static int
tallest_tab(const struct form *f, int width)
{
	int tallest = 0;

	for (int t = 0; t < (f->ntabs > 0 ? f->ntabs : 1); t++) {
		int th = 0;

		for (int i = 0; i < f->nitems; i++)
			if (f->items[i].tab == t && !f->items[i].hidden)
				th += item_lines(&f->items[i], width);
		if (th > tallest)
			tallest = th;
	}
	return tallest;
}

/* Inner width: the window minus the frame and a margin of one. */
static int
inner_width(int w)
{
	return w - 4;
}

int
form_height(struct form *f, int width)
{
	int h = 2, iw = inner_width(width);

	if (f->ntabs > 0)
		h += 2;
	/* The tallest tab decides, so switching tabs never resizes. */
	h += tallest_tab(f, iw);
	if (f->extra_lines != NULL)
		h += f->extra_lines(f, iw, f->arg);
	if (f->nbuttons > 0)
		h += 2;
	return h;
}

static int
draw_wrapped(WINDOW *w, int y, int x, int width, const char *s, attr_t a,
    int maxy)
{
	size_t off = 0, next, len = strlen(s), n;
	int lines = 0;

	do {
		n = text_wrap(s + off, len - off, width, &next);
		if (y + lines < maxy)
			text_put(w, y + lines, x, width, s + off, n, a);
		off += next;
		lines++;
	} while (off < len);
	return lines;
}

void
form_draw(struct form *f, WINDOW *w)
{
	int h, width, iw, y = 1, x0 = 2, maxy;
	attr_t base = crt_attr(CRT_DIALOG);

	getmaxyx(w, h, width);
	iw = inner_width(width);
	maxy = h - 1 - (f->nbuttons > 0 ? 2 : 0);
	f->cursor_y = f->cursor_x = -1;

	if (f->ntabs > 0) {
		int x = x0;

		for (int t = 0; t < f->ntabs; t++) {
			attr_t a = t == f->tab ? crt_attr(CRT_FOCUS) | A_BOLD :
			    base;

			x += text_put(w, y, x, width - 1 - x, " ", 1, base);
			x += text_putf(w, y, x, width - 1 - x, a, " %s ",
			    f->tabs[t]);
		}
		wattrset(w, crt_attr(CRT_DIALOG));
		mvwhline(w, y + 1, 1, ACS_HLINE, width - 2);
		y += 2;
	}
	for (int i = 0; i < f->nitems; i++) {
		struct form_item *it = &f->items[i];
		int focus = (i == f->focus), x = x0 + it->indent;
		attr_t a = it->enabled ? base : crt_attr(CRT_DISABLED);
		attr_t fa = focus ? crt_attr(CRT_FOCUS) : a;
		const char *mark;
		char buf[64];

		if (it->tab != f->tab || it->hidden)
			continue;
		if (y >= maxy)
			break;
		switch (it->kind) {
		case FORM_GAP:
			y += it->value > 1 ? it->value : 1;
			break;
		case FORM_LABEL:
			y += draw_wrapped(w, y, x, iw - it->indent, it->label,
			    it->value ? base | A_BOLD : a, maxy);
			break;
		case FORM_CHECK:
		case FORM_RADIO:
			if (it->kind == FORM_CHECK)
				mark = it->value ? "[x]" : "[ ]";
			else
				mark = it->value ? "(*)" : "( )";
			text_put(w, y, x, 3, mark, 3, fa);
			y += draw_wrapped(w, y, x + 4, iw - it->indent - 4,
			    it->label, fa, maxy);
			break;
		case FORM_CHOICE: {
			int lx = x + text_put(w, y, x, iw - it->indent,
			    it->label, (size_t)-1, a);
			const char *v = it->nchoices > 0 ?
			    it->choices[it->value] : "";

			snprintf(buf, sizeof buf, " < %s >", v);
			text_put(w, y, lx, x0 + iw - lx, buf, (size_t)-1, fa);
			y++;
			break;
		}
		case FORM_TEXT: {
			int lx = x + text_put(w, y, x, iw - it->indent,
			    it->label, (size_t)-1, a) + 1;
			int fw = x0 + iw - lx;
			size_t len = strlen(it->text), start = 0;
			int pos_cols;

			if (fw < 4)
				fw = 4;
			/* Scroll so the cursor is visible. */
			while (text_cols(it->text + start, it->pos - start) >=
			    fw - 1 && start < it->pos)
				start++;
			text_fill(w, y, lx, fw, focus ? crt_attr(CRT_FOCUS) :
			    crt_attr(CRT_CURSOR_DIM));
			text_put(w, y, lx, fw, it->text + start, len - start,
			    it->selected && len > 0 ? crt_attr(CRT_HIGHLIGHT) |
			    A_REVERSE : focus ? crt_attr(CRT_FOCUS) :
			    crt_attr(CRT_CURSOR_DIM));
			pos_cols = text_cols(it->text + start, it->pos - start);
			if (focus) {
				f->cursor_y = y;
				f->cursor_x = lx + pos_cols;
			}
			y++;
			break;
		}
		}
	}
	if (f->extra_draw != NULL) {
		/* Extra lines go under the tallest tab's items. */
		int top = 1 + (f->ntabs > 0 ? 2 : 0);

		f->extra_draw(f, w, top + tallest_tab(f, iw), x0, iw, f->arg);
	}
	if (f->nbuttons > 0) {
		int foc = f->focus >= f->nitems ? f->focus - f->nitems : -1;

		wattrset(w, base);
		mvwhline(w, h - 3, 1, ACS_HLINE, width - 2);
		form_buttons_draw(w, h - 2, f->buttons, f->nbuttons, foc,
		    f->button_enabled);
	}
}
