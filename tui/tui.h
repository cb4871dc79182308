/*
 * tui: the ehttp console (ehttp-console), an ncurses Administration
 * workspace over the backend (ehttp.h, cmlog.h). Only tui/ includes curses;
 * tui/ never includes sqlite3.h or OpenSSL.
 *
 * Structure (htop/ncdu/tmux models):
 *  - crt.c      owns curses: newterm, colours, styles, input, signals,
 *               teardown (also on SIGTERM/SIGINT and fatal signals);
 *  - keys.c     the one key table: lookup, key bar and help text;
 *  - text.c     UTF-8 safe drawing and string helpers;
 *  - list.c     list state (cursor/top), column layout and drawing;
 *  - rowbuf.c   a keyset-paged window of rows over the database;
 *  - pagelist.c a list view over rowbuf (certificates, clients);
 *  - form.c     a small form engine (tabs, radios, check boxes, text
 *               fields, buttons) for the dialogs; below dialog.c;
 *  - dialog.c   the dialog stack entries: message/confirm boxes, text
 *               viewer with tabs, prompt, menu, the form dialog skeleton;
 *  - dialog-site.c, dialog-role.c, dialog-cert.c: the property dialogs;
 *    dialog-dpcontent.c the packages list of a DP's Properties;
 *  - view-*.c   one view per tree node, each a const struct view_ops;
 *  - search.c   Find in a list view (sites, site systems);
 *  - logscan.c  the log viewer's model: filter and find over a reader;
 *  - app.c      the frame (tree, list, details, status, key bar), the main
 *               loop and the only drawing entry point (app_render).
 */
#ifndef TUI_H
#define TUI_H

#include <curses.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cmlog.h"
#include "cmlog-merge.h"
#include "ehttp.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

#define TUI_MIN_LINES	24
#define TUI_MIN_COLS	80

struct app;
struct view;
struct dialog;
struct search;
struct search_ops;

/* The tree's nodes, chosen by id (never by their label). Logs are nodes
 * too, found by their path. */
enum app_node { APP_NODE_NONE, APP_NODE_OVERVIEW, APP_NODE_SITES,
	APP_NODE_SYSTEMS, APP_NODE_CLIENTS, APP_NODE_CERTS, APP_NODE_AGENTS,
	APP_NODE_SITED };

/* crt.c: the curses owner. */
enum crt_style {
	CRT_NORMAL, CRT_TITLE, CRT_HEADER, CRT_HEADER_SORT, CRT_CURSOR,
	CRT_CURSOR_DIM, CRT_ERROR, CRT_WARNING, CRT_HIGHLIGHT, CRT_DIM,
	CRT_OK, CRT_BAR_KEY, CRT_BAR_LABEL, CRT_STATUS, CRT_STATUS_ERROR,
	CRT_DIALOG, CRT_DIALOG_TITLE, CRT_FOCUS, CRT_DISABLED, CRT_BORDER,
	CRT_TREE_GROUP,
	CRT_LOG_ERROR, CRT_LOG_WARNING,	/* CMTrace rows: red, yellow background */
	CRT_STYLE_MAX
};

enum crt_flags {
	CRT_COLOUR_AUTO = 0x0,	/* colour unless NO_COLOR or no support */
	CRT_NO_COLOUR	= 0x1,
	CRT_MOUSE	= 0x2,
	CRT_NO_INPUT	= 0x4,	/* tests: off-screen, never read keys */
};

int	 crt_open(const char *term, FILE *out, FILE *in, int flags, char **cause);
void	 crt_close(void);		/* endwin + delscreen; idempotent */
int	 crt_active(void);
int	 crt_has_colour(void);
attr_t	 crt_attr(enum crt_style);
/* A status message's style by its severity: error, warning or normal. */
enum crt_style crt_severity(const char *severity);
/* A key (curses code), ERR on timeout or signal. */
int	 crt_getch(int timeout_ms);
void	 crt_flush_input(void);	/* discard keys typed ahead */
int	 crt_get_mouse(int *y, int *x, int *button);	/* after KEY_MOUSE */
void	 crt_cursor(int visible);
/* Signals: SIGINT/SIGTERM/SIGHUP only set a flag; fatal signals reset the
 * terminal with async-signal-safe writes, then re-raise. */
void	 crt_signals_install(void);
int	 crt_signal_pending(void);	/* the signal number or 0 */
void	 crt_size(int *lines, int *cols);
/* The next update repaints the whole terminal (after a resize). */
void	 crt_repaint_all(void);
/* Test hook: a fixed screen size for an off-screen terminal. */
void	 crt_resize(int lines, int cols);

/* keys.c: the one key table. */
enum keys_scope {
	KS_GLOBAL   = 0x0001,	/* the frame, any view */
	KS_TREE     = 0x0002,
	KS_LIST     = 0x0004,	/* any list view */
	KS_SITES    = 0x0008,
	KS_SYSTEMS  = 0x0010,
	KS_CERTS    = 0x0020,
	KS_LOG      = 0x0040,
	KS_OVERVIEW = 0x0080,
	KS_DIALOG   = 0x0100,	/* forms: properties, filter, export */
	KS_BOX      = 0x0200,	/* message, confirm and text viewer */
	KS_PROMPT   = 0x0400,	/* one text field */
	KS_MENU     = 0x0800,	/* pick one of a list */
	KS_SMALL    = 0x1000,	/* the terminal is too small */
	KS_FIND     = 0x2000,	/* a view that implements find */
	KS_PROGRESS = 0x4000,	/* long work is running */
	KS_CLIENTS  = 0x8000,
	KS_TOKENS   = 0x10000,	/* Certificates showing bulk tokens */
	KS_AGENTS   = 0x20000,
};

enum keys_action {
	KA_NONE, KA_QUIT, KA_HELP, KA_REFRESH, KA_PANE, KA_UP, KA_DOWN,
	KA_PGUP, KA_PGDN, KA_HOME, KA_END, KA_LEFT, KA_RIGHT, KA_OPEN,
	KA_FIND, KA_FIND_NEXT, KA_FIND_PREV, KA_FILTER, KA_CLEAR, KA_SORT,
	KA_INVERT, KA_BLOCK, KA_UNBLOCK, KA_RENEW, KA_EXPORT, KA_HIGHLIGHT,
	KA_FOLLOW, KA_OPEN_LOG, KA_TREE_TOGGLE, KA_GO_OVERVIEW, KA_GO_SITES,
	KA_GO_SYSTEMS, KA_GO_CERTS, KA_GO_LOG, KA_TOGGLE, KA_OK, KA_CANCEL,
	KA_NEXT_TAB, KA_PREV_TAB, KA_NEXT_FIELD, KA_PREV_FIELD,
	KA_DETAILS_UP, KA_DETAILS_DOWN, KA_ERROR_LOOKUP, KA_APPROVE, KA_DELETE,
	KA_GO_CLIENTS, KA_TOKENS, KA_NEW, KA_ACTION_MAX
};

struct keys_binding {
	int		 key;
	unsigned	 scope;
	enum keys_action action;
	const char	*bar;		/* label on the key bar; NULL: help only */
	int		 bar_order;	/* position on the bar (lower first) */
	const char	*help;		/* one line for the help screen */
};

extern const struct keys_binding keys_table[];
extern const size_t keys_count;
/* Scope sets that can be active together (for the uniqueness test). */
extern const unsigned keys_contexts[];
extern const size_t keys_ncontexts;

enum keys_action keys_lookup(int key, unsigned scopes);
const char	*keys_name(int key, char *buf, size_t len);
/* The key bar text for a context, for tests: "F1Help F10Quit". */
void		 keys_bar_text(unsigned scopes, int width, char *buf, size_t len);
void		 keys_draw_bar(WINDOW *, unsigned scopes);
/* Help lines for a context (malloc'ed array of malloc'ed strings). */
char		**keys_help(unsigned scopes, size_t *n);

/* text.c: UTF-8 aware drawing; control characters and invalid bytes are
 * shown as '?' (never sent to the terminal). */
extern int text_utf8;		/* the terminal's locale is UTF-8 */
int	 text_cols(const char *s, size_t len);
/* Draw at most maxw columns of s (len (size_t)-1: strlen); returns the
 * columns drawn. A cut string ends in an ellipsis. */
int	 text_put(WINDOW *, int y, int x, int maxw, const char *s, size_t len,
	    attr_t);
int	 text_putf(WINDOW *, int y, int x, int maxw, attr_t, const char *fmt,
	    ...) __attribute__((format(printf, 6, 7)));
void	 text_fill(WINDOW *, int y, int x, int n, attr_t);
/* The byte length of the next line of s that fits width columns (word
 * wrap); *next is where the line after it starts. */
size_t	 text_wrap(const char *s, size_t len, int width, size_t *next);
/* ASCII case-insensitive search in a buffer that need not end in NUL. */
const char *text_casefind(const char *hay, size_t hlen, const char *needle);
/* "2026-11-25 07:18" (UTC) or "-" for 0. */
const char *text_time(time_t, char *buf, size_t len);
const char *text_day(time_t, char *buf, size_t len);
/* Copy at most len bytes into a NUL-terminated buffer. */
void	 text_copy(char *dst, size_t dstlen, const char *src, size_t len);

/* list.c: list state and drawing. Rows are addressed by absolute index. */
struct list {
	size_t	 count;
	size_t	 cursor;
	size_t	 top;
	int	 height;	/* rows visible (set by the draw) */
	int	 hcol;		/* first column shown (horizontal scroll) */
	int	 hidden_right;	/* columns cut off on the right (last draw) */
};

enum list_col_flags {
	LIST_RIGHT	= 0x1,	/* right-aligned */
	LIST_ELASTIC	= 0x2,	/* takes the width left over */
	LIST_WHOLE	= 0x4,	/* grows to its preferred width or not at all */
};

struct list_col {
	const char	*title;
	const char	*short_title;	/* when title does not fit */
	int		 min, pref;	/* widths */
	int		 prio;		/* lower grows first */
	int		 flags;
};

/*
 * A column that shows a field of the row as it is (a list_field a column,
 * beside the list_col; list_field() writes it), or what the owner's cell
 * hook writes (LIST_OWN).
 */
enum list_field_kind {
	LIST_OWN,		/* the owner's cell hook */
	LIST_TEXT,		/* a char array */
	LIST_DAY,		/* a time_t, as its UTC day */
	LIST_YES_NO,		/* an int: "Yes" or "No" */
};
struct list_field {
	enum list_field_kind	 kind;
	size_t			 off;		/* offsetof the field */
};
#define LIST_FIELD(kind, type, member)	{ LIST_##kind, offsetof(type, member) }
/* Field f of row into buf: 1, or 0 for LIST_OWN (the owner writes it). */
int	 list_field(const struct list_field *f, const void *row, char *buf,
	    size_t len);

#define LIST_CELL	512
typedef void	(*list_cell_fn)(void *arg, size_t row, int col, char *buf,
		    size_t len);
typedef attr_t	(*list_style_fn)(void *arg, size_t row);

void	 list_set_count(struct list *, size_t);
void	 list_move(struct list *, long delta);
void	 list_home(struct list *);
void	 list_end(struct list *);
void	 list_page(struct list *, int dir);
void	 list_set_height(struct list *, int height);	/* keeps cursor visible */
/* Handle a movement action; 1 if it was one. */
int	 list_key(struct list *, enum keys_action);
/* KA_RIGHT/KA_LEFT scroll the columns; 1 if handled (LEFT at the first
 * column is not: it goes back to the tree). */
int	 list_hscroll(struct list *, enum keys_action);
/* A mouse click on row y of the list (0 is the header) or a wheel turn. */
void	 list_click(struct list *, int y, int wheel);
/* Fit columns into width; widths[i] 0 means hidden. Returns columns shown. */
int	 list_layout(const struct list_col *, int ncols, int hcol, int width,
	    int *widths);
void	 list_draw(WINDOW *, struct list *, const struct list_col *, int ncols,
	    int sort_col, int desc, int focused, list_cell_fn, list_style_fn,
	    void *arg);
/* Which column a screen x in the header falls on (-1 none). */
int	 list_col_at(const struct list_col *, int ncols, int hcol, int width,
	    int x);

/* rowbuf.c: a window of rows kept around the visible part of a long list,
 * filled by keyset paging (never all rows). */
typedef int	(*rowbuf_fetch_fn)(void *arg, const void *after, int backward,
		    size_t limit, void **rows, size_t *n);
struct rowbuf {
	size_t		 size;		/* bytes per row */
	rowbuf_fetch_fn	 fetch;
	void		*arg;
	unsigned char	*rows;
	size_t		 n;		/* rows held */
	size_t		 first;		/* absolute index of rows[0] */
	size_t		 total;		/* rows in the whole list (count) */
	size_t		 keep;		/* rows kept at most */
	size_t		 fetches;	/* statistics, for tests */
	size_t		 fetched;
};
void	 rowbuf_init(struct rowbuf *, size_t size, rowbuf_fetch_fn, void *arg);
void	 rowbuf_clear(struct rowbuf *);		/* drops rows; keeps fetch */
/* Make rows [from, from + n) present (clamped to total): 0 or -1. */
int	 rowbuf_ensure(struct rowbuf *, size_t from, size_t n);
const void *rowbuf_get(const struct rowbuf *, size_t abs);
/* Read again keeping the row at abs in place (after a change). */
int	 rowbuf_reload(struct rowbuf *, size_t abs, size_t n);
/* A keyset list's rows as the list shows them: the count just read
 * (total) set on both, the visible page read (again, if rows are held),
 * the count corrected if the rows changed under it. */
void	 rowbuf_show(struct rowbuf *, struct list *, size_t total);
/* The row under the list's cursor, or NULL (an empty list). */
const void *rowbuf_cursor(const struct rowbuf *, const struct list *);

/*
 * pagelist.c: a list view over the database, its rows read a page at a
 * time (rowbuf) around the screen. The owner's hooks get arg; a row is
 * one of its records (row_size bytes). page reads up to limit rows after
 * the row after (backward: before it, nearest first; NULL: from the start,
 * or the end), count the rows in all: both 0, or -1 with ehttp_error set
 * (the status line then says "what: error"). A column shows a field of
 * the row (cells, beside cols) or what cell writes (LIST_OWN; it gets the
 * column's width at the last draw). find (may be NULL: no Find) takes
 * the text Find asked for (find_title, find_label, find_text the text
 * offered).
 */
struct pagelist_ops {
	const char		*what;		/* "Certificates" */
	const struct list_col	*cols;
	const struct list_field	*cells;		/* one a column */
	int			 ncols;
	size_t			 row_size;
	int	(*count)(void *arg, size_t *total);
	int	(*page)(void *arg, const void *after, int backward,
		    size_t limit, void **rows, size_t *n);
	void	(*cell)(void *arg, const void *row, int col, int width,
		    char *buf, size_t len);
	attr_t	(*style)(void *arg, const void *row);
	void	(*details)(void *arg, const void *row, WINDOW *);
	/* What the list says when it has no row (error: the read failed). */
	void	(*empty)(void *arg, WINDOW *list, int width, int error);
	void	(*find)(void *arg, const char *text);
	const char		*find_title;
	const char		*find_label;
	const char	*(*find_text)(void *arg);
};
struct pagelist {
	const struct pagelist_ops *ops;
	void		*arg;
	struct view	*view;
	struct rowbuf	 rb;
	struct list	 list;
	int		 error;		/* the last read failed */
	int		 sort_col;	/* the header's mark (-1: none) */
	int		 desc;
	int		 widths[64];	/* the columns' (last draw) */
};
/* The list of view v (its view_list); no row read before a reload. */
void	 pagelist_init(struct pagelist *, struct view *,
	    const struct pagelist_ops *, void *arg);
void	 pagelist_free(struct pagelist *);
/* Count again and read the rows on the screen (after a change): 0 or -1. */
int	 pagelist_reload(struct pagelist *);
/* A read of the owner's own failed: the status line says so. */
void	 pagelist_fail(struct pagelist *);
/* The row under the cursor, or NULL; its position from 1 (0: none). */
const void *pagelist_current(const struct pagelist *);
size_t	 pagelist_row(const struct pagelist *);
void	 pagelist_draw(struct pagelist *, WINDOW *list, WINDOW *details,
	    int focused);
/* The rows a view of a pagelist holds (tests: how many were read). */
const struct rowbuf *view_rowbuf(struct view *);
/* Movement, column scroll and Find: VIEW_* flags, VIEW_UNHANDLED for any
 * other action. */
int	 pagelist_key(struct pagelist *, enum keys_action);

/* form.c: controls of a dialog and its row of buttons. form.c knows
 * nothing of the dialog stack (dialog.c uses it, not the other way). */
/*
 * Button flags. A destructive button (Block, Renew, Turn off) never has
 * the focus when a dialog opens, nor is it what Enter presses from a
 * field: the one rule for every box and form.
 */
enum form_button_flags { FORM_BTN_DESTRUCTIVE = 0x1 };
/* preferred, unless it is destructive or disabled: then the first button
 * that is neither (enabled NULL: all are). */
int	 form_safe_button(const int *flags, const int *enabled, int n,
	    int preferred);
void	 form_buttons_draw(WINDOW *, int y, const char *const *labels, int n,
	    int focus, const int *enabled);
enum form_kind { FORM_LABEL, FORM_CHECK, FORM_RADIO, FORM_TEXT, FORM_CHOICE,
	FORM_GAP };
#define FORM_MAX_ITEMS	32
#define FORM_MAX_TABS	4
#define FORM_MAX_BUTTONS 3

struct form_item {
	enum form_kind	 kind;
	int		 id;
	int		 tab;
	int		 indent;
	char		 label[160];
	int		 group;		/* radio group */
	int		 value;		/* on/off, choice index; a gap's lines
					 * (an area its owner draws) */
	int		 enabled;
	int		 hidden;
	char		 text[PATH_MAX];	/* text field */
	size_t		 pos;		/* cursor in text */
	int		 selected;	/* all text selected: typing replaces */
	const char	*const *choices;
	int		 nchoices;
};

enum form_result {
	FORM_NONE, FORM_CHANGED, FORM_MOVED, FORM_BUTTON, FORM_CANCEL,
	FORM_UNHANDLED
};

struct form {
	char		 title[128];
	const char	*tabs[FORM_MAX_TABS];
	int		 ntabs;
	int		 tab;
	struct form_item items[FORM_MAX_ITEMS];
	int		 nitems;
	const char	*buttons[FORM_MAX_BUTTONS];
	int		 button_enabled[FORM_MAX_BUTTONS];
	int		 button_flags[FORM_MAX_BUTTONS];	/* FORM_BTN_* */
	int		 nbuttons;
	int		 default_button;
	int		 focus;		/* item index, or nitems + button */
	int		 pressed;	/* the button pressed (FORM_BUTTON) */
	int		 changed_id;	/* the item changed (FORM_CHANGED) */
	/* Extra lines under the items (warnings, state): drawn by the owner. */
	int		(*extra_lines)(struct form *, int width, void *arg);
	void		(*extra_draw)(struct form *, WINDOW *, int y, int x,
			    int width, void *arg);
	void		*arg;
	int		 cursor_y, cursor_x;	/* text cursor (last draw) */
};

void	 form_init(struct form *, const char *title);
struct form_item *form_add(struct form *, enum form_kind, int id, int tab,
	    int indent, const char *label);
struct form_item *form_item(struct form *, int id);
int	 form_value(const struct form *, int id);
void	 form_set(struct form *, int id, int value);
void	 form_enable(struct form *, int id, int enabled);
/* The buttons (at most FORM_MAX_BUTTONS), all enabled, the first the
 * default. */
void	 form_buttons(struct form *, const char *const *labels, int n);
void	 form_focus_first(struct form *);
int	 form_focused_id(const struct form *);	/* -1 on a button */
enum form_result form_key(struct form *, enum keys_action, int key);
int	 form_height(struct form *, int width);
void	 form_draw(struct form *, WINDOW *);
int	 form_is_text_focus(const struct form *);

/* dialog.c: the dialog stack entries. */
enum dialog_reaction { DLG_NONE = 0, DLG_REDRAW = 0x1, DLG_CLOSE = 0x2,
	DLG_QUIT = 0x4, DLG_UNHANDLED = 0x8 };

struct dialog_ops {
	unsigned	 scope;
	void		(*size)(struct dialog *, int maxh, int maxw, int *h,
			    int *w);
	void		(*draw)(struct dialog *, WINDOW *);
	int		(*key)(struct dialog *, enum keys_action, int key);
	void		(*free)(struct dialog *);
	/* Timer work (a dialog that polls); may be NULL. */
	int		(*tick)(struct dialog *);
};

/* Called once when a dialog closes with its result (button index, -1 for
 * cancel) and text (prompt), before it is freed. */
typedef void	(*dialog_done_fn)(struct app *, int result, const char *text,
		    void *arg);

struct dialog {
	const struct dialog_ops	*ops;
	struct app		*app;
	void			*data;
	int			 closed;
	int			 result;
	WINDOW			*win;
	int			 y, x, h, w;
	dialog_done_fn		 done;
	void			*done_arg;
	void			(*free_arg)(void *);	/* owns done_arg */
	int			 cursor_y, cursor_x;	/* -1: hidden */
	/* A form dialog (dialog_form_push): its form and owner's ops. */
	struct form		*form;
	const struct dialog_form_ops *form_ops;
};

void	 dialog_free(struct dialog *);
void	 dialog_close(struct dialog *, int result, const char *text);
void	 dialog_frame(WINDOW *, const char *title);
/*
 * The form dialog skeleton: a dialog that is one form (the prompt, the
 * property sheets, the filters, export). It is sized (width columns: each
 * width fits the 80 columns the console needs before it draws a dialog;
 * the screen's width if narrower), drawn (frame, form, text cursor) and
 * freed for its owner; Esc and the Cancel button
 * (button 1) close it with -1. The owner handles the other buttons and,
 * if it wants, each change of a control; both return DLG_* flags.
 */
struct dialog_form_ops {
	int		 width;
	/* A key before the form sees it (may be NULL): DLG_UNHANDLED leaves
	 * it to the form. */
	int		(*key)(struct dialog *, enum keys_action, int key);
	int		(*button)(struct dialog *, int pressed);
	int		(*changed)(struct dialog *, int id);	/* may be NULL */
	void		(*free)(void *data);		/* NULL: free() */
};
#define DIALOG_FORM_CANCEL	1	/* the button that cancels */
/* A form dialog over form (inside data); the caller pushes it. */
struct dialog	*dialog_form_new(struct app *, const struct dialog_form_ops *,
		    struct form *, void *data);

enum box_line_style { BOX_TEXT, BOX_INFO, BOX_WARNING, BOX_ERROR, BOX_HEAD };
struct box;
/* A box: title, optional tabs, lines (wrapped), buttons. box_line adds
 * one line whatever its values hold (a line feed in one is drawn as '?');
 * box_text one per line of s. */
struct box	*box_new(const char *title);
void		 box_tab(struct box *, const char *name);	/* starts a tab */
void		 box_line(struct box *, enum box_line_style, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
void		 box_text(struct box *, enum box_line_style, const char *s);
void		 box_buttons(struct box *, const char *const *labels, int n);
void		 box_button_flags(struct box *, int button, int flags);
void		 box_wide(struct box *);	/* as wide as the screen allows */
struct dialog	*box_dialog(struct app *, struct box *, dialog_done_fn, void *);
/* Shorthands: a message (OK) and a question (labels[0] is the default). */
void		 dialog_message(struct app *, const char *title,
		    enum box_line_style, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));
struct dialog	*dialog_prompt(struct app *, const char *title,
		    const char *label, const char *initial, dialog_done_fn,
		    void *arg);
/* The same with the initial text selected, so typing starts a new term
 * (find: the last term offered, not appended to). */
struct dialog	*dialog_prompt_selected(struct app *, const char *title,
		    const char *label, const char *initial, dialog_done_fn,
		    void *arg);
struct dialog	*dialog_menu(struct app *, const char *title,
		    const char *const *items, int n, int selected,
		    dialog_done_fn, void *arg);

/* dialog-site.c: Site Properties. The form model works without curses. */
enum dialog_site_ctl {
	DS_KEYALG = 1, DS_HTTPS_ONLY, DS_HTTPS_OR_HTTP, DS_EHTTP, DS_PKI,
	DS_CRL, DS_ROOTS, DS_SIGNING, DS_SHA256, DS_ENCRYPTION, DS_RENEW
};
enum dialog_site_tab { DS_TAB_GENERAL, DS_TAB_COMM, DS_TAB_SIGNING };
enum { DS_BTN_OK, DS_BTN_CANCEL, DS_BTN_APPLY };

struct dialog_site {
	struct db_site	 site;		/* as last read */
	int		 renew_days;	/* the renewal window, as last read */
	struct form	 form;
	int		 pki_saved;	/* the PKI option before HTTPS only */
	struct ehttp_note *warnings;	/* of the settings as edited */
	size_t		 nwarnings;
	int		 closing;	/* OK: close after the apply */
	struct dialog	*self;
};

/* ds zeroed (or after dialog_site_form_free); keeps self and the form's
 * owner hooks. renew_days: the site's renewal window
 * (ehttp_site_renew_days). */
void	 dialog_site_form_init(struct dialog_site *, const struct db_site *,
	    int renew_days);
/* The renewal window as typed: 1 to EHTTP_RENEW_DAYS_MAX days, or -1 if
 * the field holds anything else. */
int	 dialog_site_form_renew(const struct dialog_site *);
/* Apply the dialog's rules after a control changed. */
void	 dialog_site_form_rules(struct dialog_site *, int changed_id);
int	 dialog_site_form_changed(const struct dialog_site *);
void	 dialog_site_form_change(const struct dialog_site *,
	    struct ehttp_security_change *);
void	 dialog_site_form_free(struct dialog_site *);
int	 dialog_site_open(struct app *, const char *code);
/* The trusted root CAs list of the Communication Security tab: "Add ..."
 * then "Remove <subject> (thumbprint <40 hex>)" per root; items and each
 * string malloc'ed. */
int	 dialog_site_roots_items(struct ehttp *, const char *code,
	    char ***items, int *n);

/* dialog-dpcontent.c: the packages on a distribution point (the Content
 * tab of its Properties), read a page at a time (rowbuf). new reads the
 * count and the first rows; key moves (Up, Down, Home, End, a page) and
 * reads the rows it brings on screen: 1 if it was such a key. */
struct dpcontent;
struct dpcontent *dialog_dpcontent_new(struct app *, int64_t system_id,
	    const char *fqdn);
void	 dialog_dpcontent_free(struct dpcontent *);
int	 dialog_dpcontent_reload(struct dpcontent *);
int	 dialog_dpcontent_key(struct dpcontent *, enum keys_action);
/* Its heading, list and the selected package's lines in h lines at y. */
void	 dialog_dpcontent_draw(struct dpcontent *, WINDOW *, int y, int x,
	    int h, int width);
size_t	 dialog_dpcontent_count(const struct dpcontent *);
const struct rowbuf *dialog_dpcontent_rows(const struct dpcontent *);

/* dialog-role.c: role properties (MP General; DP Communication and
 * Content, its packages). */
enum dialog_role_ctl { DR_HTTPS = 1, DR_HTTP, DR_ANON, DR_PROPFIND, DR_INFO,
	DR_CONTENT };
enum dialog_role_tab { DR_TAB_MAIN, DR_TAB_CONTENT };
#define DR_CONTENT_LINES	14	/* the Content tab's area */
struct dialog_role {
	struct db_role	 role;
	struct db_site	 site;
	struct form	 form;
	int		 closing;
	struct dialog	*self;
	struct dpcontent *content;	/* a DP's packages (NULL: none read) */
};
/* What the form changes: connection NULL, the others -1 when unchanged
 * (ehttp_role_set()'s arguments). */
struct dialog_role_change {
	const char	*connection;
	int		 allow_anonymous;
	int		 allow_propfind;
};
void	 dialog_role_form_init(struct dialog_role *, const struct db_role *);
/* 1 if the form changes something (in *ch), else 0. */
int	 dialog_role_form_changed(const struct dialog_role *,
	    struct dialog_role_change *ch);
int	 dialog_role_open(struct app *, const char *fqdn, const char *role);
int	 dialog_role_pick(struct app *, int64_t system_id);

/* dialog-cert.c: certificate viewer, filter and export. */
struct dialog_cert_filter {
	int	 type;		/* 0 any, 1 root, 2 role, 3 pki, 4 token */
	int64_t	 site_id;	/* 0 any */
	char	 site_code[4];
	char	 text[128];
	int	 active_only;
	int	 blocked_only;
	int	 expiring;	/* within 30 days */
};
int	 dialog_cert_show(struct app *, int64_t id);
typedef void (*dialog_cert_filter_fn)(struct app *,
	    const struct dialog_cert_filter *, void *);
int	 dialog_cert_filter(struct app *, const struct dialog_cert_filter *,
	    dialog_cert_filter_fn, void *);
int	 dialog_cert_export(struct app *, int64_t id);

/* Views. */
enum view_reaction { VIEW_NONE = 0, VIEW_REDRAW = 0x1, VIEW_RELOAD = 0x2,
	VIEW_QUIT = 0x4, VIEW_UNHANDLED = 0x8 };

struct view_ops {
	unsigned	 scope;
	/* The scope now, for a view whose keys change with what it shows;
	 * NULL: scope. */
	unsigned	(*scopes)(struct view *);
	int		(*open)(struct view *);
	void		(*close)(struct view *);
	int		(*reload)(struct view *);
	void		(*draw)(struct view *, WINDOW *list, WINDOW *details,
			    int focused);
	int		(*key)(struct view *, enum keys_action, int key);
	/* Background work between keys; sets *timeout_ms when it wants to
	 * be called again soon (-1: no wish). */
	int		(*tick)(struct view *, int *timeout_ms);
	/* A click in the list window (y, x relative; wheel -1/+1/0); NULL:
	 * the view's list takes it (view_list). */
	int		(*click)(struct view *, int y, int x, int wheel);
	/* Periodic re-read (agents report into the database); may be NULL. */
	int		(*poll)(struct view *);
	/* Position for the status line: "row 3 of 5"; NULL: "ROW 3 of 5"
	 * from row and the view's list (view_list), when it has rows. */
	void		(*where)(struct view *, char *buf, size_t len);
	const char	*row;
};

struct view {
	const struct view_ops	*ops;
	struct app		*app;
	void			*data;
	char			 title[128];
	char			 path[PATH_MAX];	/* log views */
	int			 opened;
	struct list		*list;		/* view_list(); NULL: none */
	struct search		*find;		/* the same */
	struct pagelist		*pages;		/* pagelist_init(), or NULL */
};

/* A view's list and, if it finds rows by key, its search: the app then
 * sends the list the clicks and puts the cursor on an item
 * (app_select_item: sites by code, systems by FQDN) without the view's
 * help. */
void	 view_list(struct view *, struct list *, struct search *,
	    const struct search_ops *, void *arg);

extern const struct view_ops view_overview_ops;
extern const struct view_ops view_sited_ops;	/* Monitoring > Site server */
extern const struct view_ops view_sites_ops;
extern const struct view_ops view_systems_ops;
extern const struct view_ops view_certs_ops;
extern const struct view_ops view_clients_ops;
extern const struct view_ops view_agents_ops;	/* Security > Agents */
extern const struct view_ops view_log_ops;

/* view-sites.c, view-systems.c, view-certs.c, view-log.c helpers. */
const char *view_sites_comm(const struct db_security *);
int	 view_certs_set_filter(struct view *, const struct dialog_cert_filter *);

/* view-tokens.c: the bulk registration tokens, a list inside the
 * Certificates node (all of them: a few per site, never many). The node
 * holds it: zeroed, with view set; tokens_clear frees what it read. */
struct tokens {
	struct view		*view;
	struct db_bulk_token	*v;
	size_t			 n;
	struct list		 list;
	int			 error;
	char			 pending[40];	/* the token asked about */
	int			 menu_block;	/* the menu's first item */
	/* New: the site and lifetime chosen so far. */
	int64_t			 new_site;
	char			 new_code[4];
	long			 new_minutes;
	int64_t			*sites;		/* the menu's sites */
	size_t			 nsites;
};
void		 tokens_clear(struct tokens *);
int		 tokens_reload(struct tokens *);
void		 tokens_draw(struct tokens *, WINDOW *list, WINDOW *details,
		    int focused);
int		 tokens_key(struct tokens *, enum keys_action, int key);
int		 tokens_click(struct tokens *, int y, int wheel);
void		 tokens_where(struct tokens *, char *buf, size_t len);

/* logscan.c: the log viewer's model over one log or several merged
 * (cmlog_merge), filtered by the backend's one log filter. Rows are the
 * merged, filtered timeline; a record is named by its file and index. */
struct logscan {
	struct cmlog_merge	*m;
	char			 path[PATH_MAX];	/* as opened */
	int			 done;		/* every file indexed, merged */
	int			 filtering;
	struct cmlog_filter	 filter;
	/* Find: an incremental search over the rows. */
	int			 finding;
	char			 needle[128];
	int			 backward;
	size_t			 find_pos;	/* next row to test */
	size_t			 find_start;
	int			 find_wrapped;
	size_t			 found;		/* row, when done */
	int			 find_result;	/* 1 found, 0 not, -1 running */
	char			 error[256];
};
/* Open a log, or a folder: its *.log and *.lo_ merged. */
int	 logscan_open(struct logscan *, const char *path, char **cause);
void	 logscan_close(struct logscan *);
/* Work for about budget_ms: index, merge, filter, find. 1 if more remains. */
int	 logscan_work(struct logscan *, int budget_ms);
/* The monotonic clock in milliseconds: what a work budget counts (the
 * log's logscan_work, the overview's alerts). */
long	 work_clock_ms(void);
/* Rows shown (filtered or all). */
size_t	 logscan_count(const struct logscan *);
/* Row's record parsed (rec.text into the map); *file its log. 0 or -1. */
int	 logscan_get(struct logscan *, size_t row, struct cmlog_record *,
	    size_t *file);
/* Row's type from the index (CMLOG_TYPE_BADINDEX past the end). */
int	 logscan_type_at(const struct logscan *, size_t row);
/* A row's record as one number (to find it again after a filter change),
 * or (uint64_t)-1; and the row of such a number (the nearest before). */
uint64_t logscan_id(const struct logscan *, size_t row);
size_t	 logscan_row_of(const struct logscan *, uint64_t id);
/* Logs: how many, and the tag and path of one. */
size_t	 logscan_files(const struct logscan *);
const char *logscan_tag(const struct logscan *, size_t file);
const char *logscan_path(const struct logscan *, size_t file);
void	 logscan_progress(const struct logscan *, uint64_t *done,
	    uint64_t *total);
void	 logscan_set_filter(struct logscan *, const struct cmlog_filter *);
void	 logscan_clear_filter(struct logscan *);
void	 logscan_find(struct logscan *, const char *needle, size_t from_row,
	    int backward);
void	 logscan_find_cancel(struct logscan *);
/* Follow: pick up new records; 1 if anything changed. */
int	 logscan_refresh(struct logscan *);

/* search.c: Find in a list view (F3, n, N). A view's rows as Find sees
 * them: match (1 if row has needle, ASCII case-insensitive), key (the
 * row's name for app_select_item), open (Enter on a row; may be NULL) and
 * the prompt's label; arg is the view's data. view_list() sets it up. */
struct search_ops {
	int		(*match)(void *arg, size_t row, const char *needle);
	const char	*(*key)(void *arg, size_t row);
	void		(*open)(struct app *, void *arg, size_t row);
	const char	*label;
};
struct search {
	struct list		*list;
	const struct search_ops	*ops;
	void			*arg;
	char			 needle[128];	/* the last text searched for */
};
/* view_ops.key of a list view with Find (v->find): movement, Find, column
 * scroll, Enter (open, on a row); VIEW_UNHANDLED for any other action. */
int	 search_view_key(struct view *, enum keys_action, int key);
/* The cursor to the row whose key is key (ASCII case-insensitive); -1 if
 * none is. */
int	 search_select(struct search *, const char *key);

/* app.c: the frame and the main loop. */
struct app_config {
	const char	*db_path;
	const char	*log_dir;
	const char	*log_file;	/* --log FILE: open it at start */
	int		 crt_flags;
	int		 refresh_s;	/* --refresh: check for changes (0: 5 s) */
};

struct app	*app_new(const struct app_config *, char **cause);
void		 app_free(struct app *);
/* The main loop; returns the exit status. */
int		 app_run(struct app *);
/* Draw everything that is dirty and update the screen (the only place
 * that draws). */
void		 app_render(struct app *);
/* One key, as the main loop would handle it (tests feed keys here). */
void		 app_key(struct app *, int key);
/* Background work once (tests: until idle). */
void		 app_tick(struct app *);
void		 app_resize(struct app *);
int		 app_quitting(const struct app *);

struct ehttp	*app_ehttp(struct app *);
/* A handle that may load the master key, for one action that issues
 * certificates (progress is shown); close it with app_key_handle_close. */
struct ehttp	*app_key_handle(struct app *, char *err, size_t errlen);
void		 app_key_handle_close(struct app *, struct ehttp *);
/* The same for an action the user asked for: a handle, or NULL after a box
 * titled title says why; and its end with the action's rc: the handle
 * closed, then a failure box ("failed: reason"; failed NULL: the reason
 * alone) or the notes under notes_title (ok_text when there are none).
 * Returns rc. */
struct ehttp	*app_key_begin(struct app *, const char *title);
int		 app_key_end(struct app *, struct ehttp *, int rc,
		    const char *title, const char *failed,
		    const char *notes_title, const char *ok_text);
void		 app_status(struct app *, int error, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
void		 app_dialog_push(struct app *, struct dialog *);
struct dialog	*app_dialog_top(struct app *);
void		 app_dirty(struct app *);
/* Re-read every view (after an action changed the database). */
void		 app_reload_all(struct app *);
int		 app_select(struct app *, enum app_node);
/* Go to a node and, key not NULL, to that item's row in it. */
int		 app_select_item(struct app *, enum app_node, const char *key);
struct view	*app_view(struct app *, enum app_node);
const char	*app_node_label(struct app *, enum app_node);
void		 app_show_notes(struct app *, struct ehttp *, const char *title,
		    const char *ok_text);
/* Where the list and details windows are (tests). */
WINDOW		*app_window(struct app *, const char *which);

#endif
