/*
 * view-log: a CMTrace-like viewer for mpcontrol.log and any CMTrace log.
 * Columns Log Text, Component, Date/Time, Thread; errors red, warnings
 * yellow; find (incremental over the whole file), filter, highlight,
 * follow new lines (tail) and the details of the selected record. A huge
 * log opens at once: it is indexed in slices between key presses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errlookup.h"
#include "tui.h"
#include "utf8.h"
#include "xmalloc.h"

#define LOG_WORK_MS	30
#define LOG_FOLLOW_MS	1000

#define LOG_TEXT_MIN	40	/* the Log Text column never gets less */
#define LOG_HSTEP	10	/* Left/Right scroll the text this much */

/*
 * Columns: a marker (! error, W warning, ? not a record: readable without
 * colour), Log Text, then the narrow ones. The Log Text column gets what
 * is left after them; where that would be under LOG_TEXT_MIN, the narrow
 * layout shows the time of day only and a short Component, and drops
 * Thread (the details pane has them all).
 */
enum { LC_MARK, LC_TEXT, LC_COMPONENT, LC_TIME, LC_THREAD, LC_CLOCK,
	LC_LOG, LC_MAX };

static const struct list_col log_cols_wide[] = {
	{ "", NULL, 1, 1, 0, 0 },
	{ "Log Text", NULL, LOG_TEXT_MIN, 60, 0, LIST_ELASTIC },
	{ "Component", NULL, 10, 22, 1, 0 },
	{ "Date/Time", NULL, 23, 23, 0, 0 },
	{ "Thread", NULL, 6, 15, 2, 0 },
};
static const int log_map_wide[] = { LC_MARK, LC_TEXT, LC_COMPONENT, LC_TIME,
	LC_THREAD };

static const struct list_col log_cols_narrow[] = {
	{ "", NULL, 1, 1, 0, 0 },
	{ "Log Text", NULL, LOG_TEXT_MIN, 60, 0, LIST_ELASTIC },
	{ "Time", NULL, 8, 8, 0, 0 },
	{ "Component", "Comp", 4, 22, 1, 0 },
};
static const int log_map_narrow[] = { LC_MARK, LC_TEXT, LC_CLOCK,
	LC_COMPONENT };

/* Merged logs: the Log column tags each row with its file. */
static const struct list_col log_cols_merged[] = {
	{ "", NULL, 1, 1, 0, 0 },
	{ "Log Text", NULL, LOG_TEXT_MIN, 60, 0, LIST_ELASTIC },
	{ "Log", NULL, 6, 18, 1, 0 },
	{ "Component", "Comp", 4, 22, 1, 0 },
	{ "Date/Time", "Time", 8, 23, 0, 0 },
};
static const int log_map_merged[] = { LC_MARK, LC_TEXT, LC_LOG, LC_COMPONENT,
	LC_TIME };

#define NCOLS(a)	((int)(sizeof (a) / sizeof (a)[0]))
#define NELEM(a)	(sizeof (a) / sizeof (a)[0])
/* The narrow layout below this list width. */
#define LOG_WIDE_MIN	(1 + LOG_TEXT_MIN + 10 + 23 + 6 + 4)

struct logv {
	struct view		*view;
	struct logscan		 ls;
	int			 open;
	char			 cause[512];
	struct list		 list;
	int			 follow;
	int			 at_end;
	char			 highlight[128];
	char			 find[128];
	int			 find_backward;
	struct timespec		 last_follow;
	struct timespec		 last_try;
	int			 seeking;	/* put the cursor on seek_record */
	uint64_t		 seek_record;
	const int		*map;		/* shown column -> LC_* */
	int			 text_off;	/* Log Text scrolled (columns) */
	int			 text_w;	/* its width (last draw) */
	size_t			 det_row;	/* details: the record shown */
	int			 det_off;	/* details: first line shown */
	int			 det_more;	/* details: lines below */
};

static long
since_ms(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 +
	    (now.tv_nsec - t->tv_nsec) / 1000000;
}

static void
try_open(struct logv *l)
{
	char *cause = NULL;

	clock_gettime(CLOCK_MONOTONIC, &l->last_try);
	if (logscan_open(&l->ls, l->view->path, &cause) == 0) {
		l->open = 1;
		l->cause[0] = '\0';
		/* Index the first slice now: the first screen has rows. */
		logscan_work(&l->ls, 5);
		list_set_count(&l->list, logscan_count(&l->ls));
		if (l->at_end)
			list_end(&l->list);
		return;
	}
	snprintf(l->cause, sizeof l->cause, "%s", cause != NULL ? cause :
	    "cannot open");
	free(cause);
}

static int
log_open(struct view *v)
{
	struct logv *l;

	l = xcalloc(1, sizeof *l);
	l->view = v;
	l->follow = 1;
	l->at_end = 1;
	l->map = log_map_wide;
	v->data = l;
	clock_gettime(CLOCK_MONOTONIC, &l->last_follow);
	try_open(l);
	return 0;
}

static void
log_close(struct view *v)
{
	struct logv *l = v->data;

	if (l->open)
		logscan_close(&l->ls);
	free(l);
}

static void
sync_count(struct logv *l)
{
	list_set_count(&l->list, logscan_count(&l->ls));
	if (l->at_end)
		list_end(&l->list);
}

/* Change the filter, keeping the cursor on the same record (or the
 * nearest one before it) once the filter has got that far: a filter is
 * built in the background, never while keys wait. */
enum { LOG_SET_FILTER, LOG_CLEAR_FILTER };

static void
seek_settle(struct logv *l)
{
	if (!l->seeking)
		return;
	if (!l->ls.done)
		return;
	l->seeking = 0;
	if (l->list.count > 0) {
		l->list.cursor = logscan_row_of(&l->ls, l->seek_record);
		list_move(&l->list, 0);
	}
}

static void
keep_place(struct logv *l, int what, const struct cmlog_filter *f)
{
	uint64_t rec = logscan_id(&l->ls, l->list.cursor);

	if (what == LOG_SET_FILTER)
		logscan_set_filter(&l->ls, f);
	else
		logscan_clear_filter(&l->ls);
	l->list.cursor = l->list.top = 0;
	if (!l->at_end && rec != (uint64_t)-1) {
		l->seeking = 1;
		l->seek_record = rec;
	}
	logscan_work(&l->ls, LOG_WORK_MS);
	sync_count(l);
	seek_settle(l);
}

static int
log_reload(struct view *v)
{
	struct logv *l = v->data;

	if (!l->open) {
		try_open(l);
		return 0;
	}
	if (logscan_refresh(&l->ls))
		sync_count(l);
	return 0;
}

static void
view_log_follow(struct view *v, int on)
{
	struct logv *l = v->data;

	l->follow = on;
	if (on) {
		l->at_end = 1;
		list_end(&l->list);
	}
}

static int
log_tick(struct view *v, int *wish)
{
	struct logv *l = v->data;
	int more, r = VIEW_NONE;
	size_t was = l->list.count;

	if (!l->open) {
		if (since_ms(&l->last_try) >= LOG_FOLLOW_MS) {
			try_open(l);
			r = VIEW_REDRAW;
		}
		*wish = LOG_FOLLOW_MS;
		return r;
	}
	more = logscan_work(&l->ls, LOG_WORK_MS);
	if (l->follow && since_ms(&l->last_follow) >= LOG_FOLLOW_MS) {
		clock_gettime(CLOCK_MONOTONIC, &l->last_follow);
		if (logscan_refresh(&l->ls))
			more = 1;
	}
	sync_count(l);
	seek_settle(l);
	if (l->list.count != was)
		r = VIEW_REDRAW;
	if (!l->ls.finding && l->ls.find_result != -1 && l->find[0] != '\0' &&
	    l->ls.find_result != 2) {
		if (l->ls.find_result == 1) {
			l->list.cursor = l->ls.found;
			l->at_end = 0;
			list_move(&l->list, 0);
			app_status(v->app, 0, "Found '%s'%s.", l->find,
			    l->ls.find_wrapped ? " (search wrapped)" : "");
		} else
			app_status(v->app, 1, "Not found: '%s'.", l->find);
		l->ls.find_result = 2;	/* reported */
		r = VIEW_REDRAW;
	}
	if (more || l->ls.finding)
		*wish = 0;
	else
		*wish = l->follow ? LOG_FOLLOW_MS : -1;
	if (more)
		r |= VIEW_REDRAW;
	return r;
}

static int
get_row(struct logv *l, size_t row, struct cmlog_record *rec)
{
	return logscan_get(&l->ls, row, rec, NULL);
}

/* The byte offset of column cols in s (UTF-8: one column a character). */
static size_t
skip_cols(const char *s, size_t len, int cols)
{
	size_t i = 0;

	while (i < len && cols > 0) {
		i++;
		while (i < len && utf8_cont(s[i]))
			i++;
		cols--;
	}
	return i;
}

/* The thread: as written when it is not a number ("Main"), else decimal
 * and hex; nothing for a junk line. */
static void
thread_text(const struct cmlog_record *rec, char *buf, size_t len)
{
	if (len > 0)
		buf[0] = '\0';
	if (!rec->thread_num && !rec->malformed)
		snprintf(buf, len, "%s", rec->thread_str);
	else if (rec->thread != 0 || !rec->malformed)
		snprintf(buf, len, "%lu (0x%lX)", rec->thread, rec->thread);
}

static void
log_cell(void *arg, size_t row, int col, char *buf, size_t len)
{
	struct logv *l = arg;
	struct cmlog_record rec;
	size_t off, file = 0;
	int type;

	if (logscan_get(&l->ls, row, &rec, &file) == -1)
		return;
	switch (l->map[col]) {
	case LC_MARK:
		type = rec.malformed ? CMLOG_TYPE_MALFORMED : rec.type;
		snprintf(buf, len, "%s", type == CMLOG_TYPE_ERROR ? "!" :
		    type == CMLOG_TYPE_WARNING ? "W" :
		    type == CMLOG_TYPE_MALFORMED ? "?" : "");
		break;
	case LC_TEXT:
		off = skip_cols(rec.text, rec.text_len, l->text_off);
		text_copy(buf, len, rec.text + off, rec.text_len - off);
		/* One line per row: line breaks in the text become spaces. */
		for (char *p = buf; *p != '\0'; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		break;
	case LC_CLOCK:
		cmlog_merge_when(&rec, buf, len, CMLOG_WHEN_CLOCK);
		break;
	case LC_COMPONENT:
		snprintf(buf, len, "%s", rec.component);
		break;
	case LC_LOG:
		snprintf(buf, len, "%s", logscan_tag(&l->ls, file));
		break;
	case LC_TIME:
		/* As ehttpctl log show prints it: UTC, or "local". */
		if (!rec.malformed)
			cmlog_merge_when(&rec, buf, len, CMLOG_WHEN_TEXT);
		break;
	case LC_THREAD:
		thread_text(&rec, buf, len);
		break;
	}
}

static attr_t
log_style(void *arg, size_t row)
{
	struct logv *l = arg;
	struct cmlog_record rec;
	int type;

	if (row >= logscan_count(&l->ls))
		return crt_attr(CRT_NORMAL);
	if (l->highlight[0] != '\0' && get_row(l, row, &rec) == 0 &&
	    (text_casefind(rec.text, rec.text_len, l->highlight) != NULL ||
	    text_casefind(rec.component, strlen(rec.component),
	    l->highlight) != NULL))
		return crt_attr(CRT_HIGHLIGHT);
	type = logscan_type_at(&l->ls, row);
	if (type == CMLOG_TYPE_ERROR)
		return crt_attr(CRT_LOG_ERROR);
	if (type == CMLOG_TYPE_WARNING)
		return crt_attr(CRT_LOG_WARNING);
	if (type == CMLOG_TYPE_MALFORMED)
		return crt_attr(CRT_DIM);
	return crt_attr(CRT_NORMAL);
}

static const char *
type_title(int type)
{
	switch (type) {
	case CMLOG_TYPE_INFO:
		return "Information";
	case CMLOG_TYPE_WARNING:
		return "Warning";
	case CMLOG_TYPE_ERROR:
		return "Error";
	default:
		return cmlog_type_name(type);
	}
}

/* The details of the selected record: every line wrapped to the pane
 * (never cut), scrolled with [ and ]. */
static void
log_details(struct logv *l, WINDOW *w)
{
	struct cmlog_record rec;
	char when[CMLOG_WHEN_LEN], th[CMLOG_FIELD_MAX + 32];
	char *head[3] = { NULL, NULL, NULL };
	size_t off, next, n;
	int h, width, y = 0, line = 0;

	getmaxyx(w, h, width);
	l->det_more = 0;
	if (l->list.count == 0 || get_row(l, l->list.cursor, &rec) == -1)
		return;
	if (l->det_row != l->list.cursor) {
		l->det_row = l->list.cursor;
		l->det_off = 0;
	}
	cmlog_merge_when(&rec, when, sizeof when, CMLOG_WHEN_TEXT);
	thread_text(&rec, th, sizeof th);
	xasprintf(&head[0], "Date/Time: %s%s  Thread: %s  Type: %s", when,
	    rec.tz_known ? " UTC" : "", th[0] ? th : "-",
	    type_title(rec.malformed ? CMLOG_TYPE_MALFORMED : rec.type));
	xasprintf(&head[1], "Component: %s  Source: %s  Line: %zu",
	    rec.component, rec.file[0] ? rec.file : "-", rec.line);
	if (rec.malformed)
		xasprintf(&head[2], "Not a well-formed record: %s", rec.cause);
	for (int part = 0; part < 4; part++) {
		const char *s = part < 3 ? head[part] : rec.text;
		size_t len;
		attr_t a = part == 0 ? A_BOLD : part == 2 ?
		    crt_attr(CRT_WARNING) : A_NORMAL;

		if (s == NULL)
			continue;
		len = part < 3 ? strlen(s) : rec.text_len;
		for (off = 0; off < len; off += next) {
			n = text_wrap(s + off, len - off, width - 2, &next);
			if (line++ >= l->det_off) {
				if (y < h)
					text_put(w, y, 1, width - 2, s + off, n,
					    a);
				else
					l->det_more++;
				y++;
			}
			if (next == 0)
				break;
		}
	}
	if (l->det_more > 0 && h > 0)
		text_putf(w, h - 1, width - 16, 15, crt_attr(CRT_DIM) | A_REVERSE,
		    " ] %d more ", l->det_more);
	for (int i = 0; i < 3; i++)
		free(head[i]);
}

/*
 * Does a row that may be on screen hold a time written without an offset?
 * Then the time column must not say UTC: its title drops "(UTC)" and
 * those rows say "local". The screen shows h rows around the cursor (top
 * is settled only by the draw), so look h rows either side of it.
 */
static int
local_times_shown(struct logv *l, int h)
{
	struct cmlog_record rec;
	size_t span = (size_t)(h > 0 ? h : 1);
	size_t from = l->list.cursor > span ? l->list.cursor - span : 0;
	size_t to = l->list.cursor + span + 1;

	if (!l->open)
		return 0;
	for (size_t row = from; row < to && row < l->list.count; row++)
		if (get_row(l, row, &rec) == 0 && !rec.malformed &&
		    rec.when != 0 && !rec.tz_known)
			return 1;
	return 0;
}

static void
log_draw(struct view *v, WINDOW *list, WINDOW *details, int focused)
{
	struct logv *l = v->data;
	const struct list_col *layout = log_cols_wide;
	struct list_col cols[LC_MAX];
	int h, width, ncols = NCOLS(log_cols_wide), widths[8], local;

	getmaxyx(list, h, width);
	l->map = log_map_wide;
	if (l->open && logscan_files(&l->ls) > 1) {
		layout = log_cols_merged;
		ncols = NCOLS(log_cols_merged);
		l->map = log_map_merged;
	} else if (width < LOG_WIDE_MIN) {
		layout = log_cols_narrow;
		ncols = NCOLS(log_cols_narrow);
		l->map = log_map_narrow;
	}
	/* The time column says UTC only over UTC times (as log show does:
	 * a time written without an offset is "local"). */
	local = local_times_shown(l, h);
	memcpy(cols, layout, (size_t)ncols * sizeof cols[0]);
	for (int i = 0; i < ncols; i++) {
		if (l->map[i] == LC_TIME) {
			cols[i].title = local ? "Date/Time" : "Date/Time (UTC)";
			cols[i].short_title = local ? "Time" : "UTC";
			if (local)	/* room for " local" */
				cols[i].pref = 29;
			if (local && cols[i].min == 23)
				cols[i].min = 29;
		} else if (l->map[i] == LC_CLOCK)
			cols[i].title = local ? "Time" : "Time UTC";
	}
	l->list.hcol = 0;	/* Left/Right scroll the text instead */
	list_layout(cols, ncols, 0, width, widths);
	l->text_w = widths[1];
	if (!l->open) {
		list_draw(list, &l->list, cols, ncols, -1, 0, focused,
		    log_cell, log_style, l);
		text_putf(list, 2, 2, width - 4, A_BOLD, "%s", v->path);
		text_put(list, 3, 2, width - 4, l->cause, (size_t)-1,
		    crt_attr(CRT_WARNING));
		if (strstr(v->path, "mpcontrol.log") != NULL)
			text_put(list, 5, 2, width - 4, "The management point"
			    " agent (ehttp-mpd) writes this log when it runs;"
			    " it opens here as soon as it exists.", (size_t)-1,
			    crt_attr(CRT_DIM));
		return;
	}
	list_draw(list, &l->list, cols, ncols, -1, 0, focused, log_cell,
	    log_style, l);
	if (l->list.count == 0)
		text_put(list, 2, 2, width - 4, l->ls.filtering ? "No record"
		    " matches the filter (c clears it)." : l->ls.done ?
		    "The log is empty." : "Reading...", (size_t)-1,
		    crt_attr(CRT_DIM));
	log_details(l, details);
}

static void
find_done(struct app *app, int result, const char *text, void *arg)
{
	struct view *v = arg;
	struct logv *l = v->data;

	if (result != 0 || text == NULL || *text == '\0' || !l->open)
		return;
	snprintf(l->find, sizeof l->find, "%s", text);
	logscan_find(&l->ls, l->find, l->list.cursor, 0);
	app_status(app, 0, "Searching for '%s'... (c cancels)", l->find);
}

static void
highlight_done(struct app *app, int result, const char *text, void *arg)
{
	struct view *v = arg;
	struct logv *l = v->data;

	if (result != 0 || text == NULL)
		return;
	snprintf(l->highlight, sizeof l->highlight, "%s", text);
}

/* The filter dialog. */
enum { LF_TEXT = 1, LF_COMPONENT, LF_INFO, LF_WARN, LF_ERR, LF_BAD };

/* The type boxes and the classes of the one log filter they stand for. */
static const struct {
	int		 id;
	unsigned	 class;
	const char	*title;
} lf_types[] = {
	{ LF_INFO, CMLOG_CLASS_INFO, "Information (and type 0, empty)" },
	{ LF_WARN, CMLOG_CLASS_WARNING, "Warning" },
	{ LF_ERR, CMLOG_CLASS_ERROR, "Error" },
	{ LF_BAD, CMLOG_CLASS_MALFORMED, "Not a record (malformed)" },
};

struct log_filter {
	struct form	 form;
	struct view	*view;
};

/* OK: the boxes and fields become the one log filter (the skeleton
 * handles Cancel and Esc). */
static int
lf_button(struct dialog *d, int pressed)
{
	struct log_filter *lf = d->data;
	struct logv *l = lf->view->data;
	struct cmlog_filter f;

	(void)pressed;
	if (l->open) {
		memset(&f, 0, sizeof f);
		text_copy(f.text, sizeof f.text, form_item(&lf->form,
		    LF_TEXT)->text, strlen(form_item(&lf->form, LF_TEXT)->text));
		text_copy(f.component, sizeof f.component,
		    form_item(&lf->form, LF_COMPONENT)->text,
		    strlen(form_item(&lf->form, LF_COMPONENT)->text));
		for (size_t i = 0; i < NELEM(lf_types); i++)
			if (form_value(&lf->form, lf_types[i].id))
				f.classes |= lf_types[i].class;
		/* No box ticked keeps nothing; all ticked, all. */
		if (f.classes == 0)
			f.classes = CMLOG_CLASS_NONE;
		keep_place(l, LOG_SET_FILTER, &f);
	}
	dialog_close(d, 0, NULL);
	return DLG_CLOSE;
}

static const struct dialog_form_ops lf_ops = {
	.width = 64,
	.button = lf_button,
};

static void
filter_dialog(struct view *v)
{
	struct logv *l = v->data;
	struct log_filter *lf;
	struct form_item *it;
	static const char *const buttons[] = { "OK", "Cancel" };

	lf = xcalloc(1, sizeof *lf);
	lf->view = v;
	form_init(&lf->form, "Filter Log");
	it = form_add(&lf->form, FORM_TEXT, LF_TEXT, 0, 0,
	    "Log text contains (any case):");
	snprintf(it->text, sizeof it->text, "%s", l->ls.filter.text);
	it->pos = strlen(it->text);
	it = form_add(&lf->form, FORM_TEXT, LF_COMPONENT, 0, 0,
	    "Component contains (any case):");
	snprintf(it->text, sizeof it->text, "%s", l->ls.filter.component);
	it->pos = strlen(it->text);
	form_add(&lf->form, FORM_LABEL, 0, 0, 0, "Types shown (ehttpctl log"
	    " show --type means the same):");
	for (size_t i = 0; i < NELEM(lf_types); i++) {
		it = form_add(&lf->form, FORM_CHECK, lf_types[i].id, 0, 0,
		    lf_types[i].title);
		it->value = l->ls.filter.classes == 0 ||
		    (l->ls.filter.classes & lf_types[i].class) != 0;
	}
	form_buttons(&lf->form, buttons, 2);
	form_focus_first(&lf->form);
	app_dialog_push(v->app, dialog_form_new(v->app, &lf_ops, &lf->form,
	    lf));
}

static void
record_box(struct view *v, struct logv *l)
{
	struct cmlog_record rec;
	struct box *b;
	char when[CMLOG_WHEN_LEN], th[CMLOG_FIELD_MAX + 32], *text;
	size_t file = 0;

	if (l->list.count == 0 || logscan_get(&l->ls, l->list.cursor, &rec,
	    &file) == -1)
		return;
	b = box_new("Log record");
	box_wide(b);
	cmlog_merge_when(&rec, when, sizeof when, CMLOG_WHEN_TEXT);
	thread_text(&rec, th, sizeof th);
	box_line(b, BOX_TEXT, "Date/Time:  %s%s (as written: %s %s)", when,
	    rec.tz_known ? " UTC" : "", rec.date_str, rec.time_str);
	box_line(b, BOX_TEXT, "Component:  %s", rec.component);
	box_line(b, BOX_TEXT, "Thread:     %s", th[0] ? th : "-");
	box_line(b, rec.type == CMLOG_TYPE_ERROR ? BOX_ERROR :
	    rec.type == CMLOG_TYPE_WARNING ? BOX_WARNING : BOX_TEXT,
	    "Type:       %s", type_title(rec.malformed ? CMLOG_TYPE_MALFORMED :
	    rec.type));
	box_line(b, BOX_TEXT, "Source:     %s", rec.file[0] ? rec.file : "-");
	box_line(b, BOX_TEXT, "File:       %s, line %zu", logscan_path(&l->ls,
	    file), rec.line);
	if (rec.malformed)
		box_line(b, BOX_WARNING, "Not a well-formed record: %s",
		    rec.cause);
	box_text(b, BOX_TEXT, "");
	text = xstrndup(rec.text, rec.text_len);
	box_text(b, BOX_TEXT, text);
	free(text);
	box_dialog(v->app, b, NULL, NULL);
}

/* Error Lookup (CMTrace's): the codes of the selected record decoded by
 * the backend's table (ehttpctl log lookup gives the same). */
static void
lookup_box(struct view *v, struct logv *l)
{
	struct cmlog_record rec;
	struct errlookup e[16];
	struct box *b;
	size_t n;

	if (l->list.count == 0 || get_row(l, l->list.cursor, &rec) == -1)
		return;
	n = errlookup_scan(rec.text, rec.text_len, e, sizeof e / sizeof e[0]);
	b = box_new("Error Lookup");
	box_wide(b);
	if (n == 0)
		box_text(b, BOX_TEXT, "The record holds no error code.");
	for (size_t i = 0; i < n; i++) {
		if (e[i].kind == ERRLOOKUP_HTTP)
			box_line(b, BOX_HEAD, "%s: HTTP status %u", e[i].token,
			    e[i].value);
		else if (e[i].kind == ERRLOOKUP_WIN32)
			box_line(b, BOX_HEAD, "%s: Win32 error %u (0x%X)",
			    e[i].token, e[i].value, e[i].value);
		else
			box_line(b, BOX_HEAD, "%s: HRESULT 0x%08X, severity %s,"
			    " facility %u%s%s, code %u (0x%X)", e[i].token,
			    e[i].value, e[i].severity ? "failure" : "success",
			    e[i].facility, e[i].facility_name ? " " : "",
			    e[i].facility_name ? e[i].facility_name : "",
			    e[i].code, e[i].code);
		if (e[i].name != NULL)
			box_line(b, BOX_TEXT, "  %s: %s", e[i].name, e[i].text);
		else
			box_text(b, BOX_TEXT, "  not in the table");
		if (e[i].source != NULL)
			box_line(b, BOX_INFO, "  source: %s", e[i].source);
	}
	box_dialog(v->app, b, NULL, NULL);
}

static int
log_key(struct view *v, enum keys_action a, int key)
{
	struct logv *l = v->data;

	if (list_key(&l->list, a)) {
		l->at_end = l->list.count > 0 &&
		    l->list.cursor == l->list.count - 1;
		return VIEW_REDRAW;
	}
	switch (a) {
	case KA_OPEN:
		record_box(v, l);
		return VIEW_REDRAW;
	case KA_ERROR_LOOKUP:
		lookup_box(v, l);
		return VIEW_REDRAW;
	case KA_FIND:
		dialog_prompt_selected(v->app, "Find", "Find what:", l->find,
		    find_done, v);
		return VIEW_REDRAW;
	case KA_FIND_NEXT:
	case KA_FIND_PREV:
		if (l->find[0] == '\0' || !l->open) {
			dialog_prompt_selected(v->app, "Find", "Find what:",
			    l->find, find_done, v);
			return VIEW_REDRAW;
		}
		logscan_find(&l->ls, l->find, l->list.cursor,
		    a == KA_FIND_PREV);
		return VIEW_REDRAW;
	case KA_FILTER:
		filter_dialog(v);
		return VIEW_REDRAW;
	case KA_HIGHLIGHT:
		dialog_prompt(v->app, "Highlight", "Highlight records"
		    " containing:", l->highlight, highlight_done, v);
		return VIEW_REDRAW;
	case KA_FOLLOW:
		view_log_follow(v, !l->follow);
		app_status(v->app, 0, "Follow new lines: %s.", l->follow ? "on" :
		    "off");
		return VIEW_REDRAW;
	case KA_CLEAR:
		if (l->open) {
			keep_place(l, LOG_CLEAR_FILTER, NULL);
			if (l->ls.finding) {
				logscan_find_cancel(&l->ls);
				l->ls.find_result = 2;
			}
		}
		l->highlight[0] = '\0';
		sync_count(l);
		app_status(v->app, 0, "Filter and highlight cleared.");
		return VIEW_REDRAW;
	case KA_RIGHT: {
		struct cmlog_record rec;

		/* As far as the longest text on screen needs. */
		if (l->list.count > 0 && get_row(l, l->list.cursor, &rec) == 0 &&
		    text_cols(rec.text, rec.text_len) > l->text_off + l->text_w)
			l->text_off += LOG_HSTEP;
		else
			for (size_t r = l->list.top; r < l->list.count &&
			    r < l->list.top + (size_t)l->list.height; r++)
				if (get_row(l, r, &rec) == 0 &&
				    text_cols(rec.text, rec.text_len) >
				    l->text_off + l->text_w) {
					l->text_off += LOG_HSTEP;
					break;
				}
		return VIEW_REDRAW;
	}
	case KA_LEFT:
		if (l->text_off > 0) {
			l->text_off = l->text_off > LOG_HSTEP ?
			    l->text_off - LOG_HSTEP : 0;
			return VIEW_REDRAW;
		}
		return VIEW_UNHANDLED;
	case KA_DETAILS_DOWN:
		if (l->det_more > 0)
			l->det_off++;
		return VIEW_REDRAW;
	case KA_DETAILS_UP:
		if (l->det_off > 0)
			l->det_off--;
		return VIEW_REDRAW;
	default:
		return VIEW_UNHANDLED;
	}
}

static int
log_click(struct view *v, int y, int x, int wheel)
{
	struct logv *l = v->data;

	if (wheel != 0)
		list_move(&l->list, wheel * 3);
	else if (y > 0 && l->list.top + y - 1 < l->list.count) {
		l->list.cursor = l->list.top + y - 1;
		list_move(&l->list, 0);
	}
	l->at_end = l->list.count > 0 && l->list.cursor == l->list.count - 1;
	return VIEW_REDRAW;
}

static void
log_where(struct view *v, char *buf, size_t len)
{
	struct logv *l = v->data;
	uint64_t done = 0, total = 0;
	char idx[48] = "";

	if (!l->open) {
		snprintf(buf, len, "waiting for the file");
		return;
	}
	if (!l->ls.done) {
		logscan_progress(&l->ls, &done, &total);
		snprintf(idx, sizeof idx, ", reading %d%%", total ?
		    (int)(done * 100 / total) : 100);
	}
	if (l->text_off > 0)
		snprintf(idx + strlen(idx), sizeof idx - strlen(idx),
		    ", text from column %d", l->text_off + 1);
	snprintf(buf, len, "%zu of %zu%s%s%s%s%s", l->list.count ?
	    l->list.cursor + 1 : 0, l->list.count, idx,
	    l->ls.filtering ? ", filtered" : "",
	    l->ls.finding ? ", searching" : "",
	    l->highlight[0] ? ", highlight" : "",
	    l->follow ? ", following" : "");
}

const struct view_ops view_log_ops = {
	.scope = KS_LOG | KS_FIND,
	.open = log_open,
	.close = log_close,
	.reload = log_reload,
	.draw = log_draw,
	.key = log_key,
	.tick = log_tick,
	.click = log_click,
	.where = log_where,
};
