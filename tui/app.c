/*
 * app: the console's frame and main loop. The frame is a title line, the
 * Administration tree on the left, the current view's list and details
 * pane on the right, a status line and the key bar. Dialogs stack over it.
 *
 * Only app_render() draws: each window is erased, drawn and queued with
 * wnoutrefresh(), then one doupdate(). Keys come in through app_key() (the
 * main loop, or a test), background work through app_tick().
 *
 * The database is opened with EHTTP_NO_KEYS for everything the console
 * shows and for block/unblock/export of certificates. An action that may
 * issue certificates (applying Communication Security with enhanced HTTP,
 * a role change, a renewal) or an explicit private key export opens a
 * second handle without EHTTP_NO_KEYS for that one action and closes it at
 * once (app_key_handle); the backend loads the master key only if it has
 * to sign, and ehttp_close() wipes it.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "timefmt.h"
#include "tui.h"
#include "xmalloc.h"

#define APP_MAX_DIALOGS	16
#define APP_POLL_MS	1000	/* follow logs, re-read agent reports */
#define APP_REFRESH_S	5	/* check whether the database changed */
#define APP_STALE_S	60	/* re-read anyway (times shown get old) */

enum node_kind { NODE_GROUP, NODE_VIEW, NODE_OPEN_LOG };

struct node {
	enum node_kind		 kind;
	enum app_node		 id;		/* APP_NODE_NONE: groups, logs */
	int			 depth;
	char			 label[128];
	const struct view_ops	*ops;
	struct view		*view;
	char			*path;		/* a log's; NULL otherwise */
	int			 group;		/* index of its group */
};

struct app {
	struct ehttp	*e;
	char		 db_path[PATH_MAX];
	char		 db_shown[PATH_MAX];	/* db_path without a password */
	char		 log_dir[PATH_MAX];
	int		 crt_flags;

	struct node	*nodes;
	int		 nnodes;
	size_t		 capnodes;
	int		 sel;
	int		 tree_top;
	int		 focus;		/* 0 tree, 1 list */
	int		 tree_hidden;

	struct dialog	*dlg[APP_MAX_DIALOGS];
	int		 ndlg;

	char		 status[512];
	int		 status_error;

	int		 progress_active;
	char		 progress_what[128];
	size_t		 progress_done, progress_total;
	int		 progress_asking;	/* "Cancel?" shown */
	int		 progress_waiting;	/* for another program's write:
						   done and total are seconds */
	int		 progress_focus;	/* its button: 0 cancel, 1 go on */
	int		 progress_cancel;	/* confirmed: stop the work */
	WINDOW		*w_progress;

	WINDOW		*w_title, *w_tree, *w_list, *w_details, *w_body;
	WINDOW		*w_status, *w_bar, *w_small;
	int		 lines, cols, small;
	int		 tree_w, list_y, list_h;

	int		 dirty;
	int		 quit;
	int		 exit_code;
	time_t		 last_reload;	/* the view was read (the "as of" time) */
	time_t		 last_check;	/* ehttp_changed() was asked */
	int		 refresh_s;
};

static void	app_select_node(struct app *, int);

struct ehttp *
app_ehttp(struct app *app)
{
	return app->e;
}

int
app_quitting(const struct app *app)
{
	return app->quit;
}

void
app_dirty(struct app *app)
{
	app->dirty = 1;
}

void
app_status(struct app *app, int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(app->status, sizeof app->status, fmt, ap);
	va_end(ap);
	app->status_error = error;
	app->dirty = 1;
}

/* Tree. */

static struct node *
node_add(struct app *app, enum node_kind kind, enum app_node id, int depth,
    const char *label, const struct view_ops *ops)
{
	struct node *n;

	app->nodes = xgrowarray(app->nodes, &app->capnodes,
	    (size_t)app->nnodes, 16, sizeof *app->nodes);
	n = &app->nodes[app->nnodes++];
	*n = (struct node){ .kind = kind, .id = id, .depth = depth,
	    .ops = ops };
	snprintf(n->label, sizeof n->label, "%s", label);
	n->group = -1;
	for (int i = app->nnodes - 2; i >= 0 && depth > 0; i--)
		if (app->nodes[i].kind == NODE_GROUP &&
		    app->nodes[i].depth < depth) {
			n->group = i;
			break;
		}
	return n;
}

static int
node_find(struct app *app, enum app_node id)
{
	for (int i = 0; i < app->nnodes && id != APP_NODE_NONE; i++)
		if (app->nodes[i].id == id)
			return i;
	return -1;
}

const char *
app_node_label(struct app *app, enum app_node id)
{
	int i = node_find(app, id);

	return i == -1 ? "" : app->nodes[i].label;
}

static int
node_find_path(struct app *app, const char *path)
{
	for (int i = 0; i < app->nnodes; i++)
		if (app->nodes[i].path != NULL &&
		    strcmp(app->nodes[i].path, path) == 0)
			return i;
	return -1;
}

/* Insert a log node before "Open log file..." (the last node): a log
 * opened by its path, at the Monitoring group's own depth. */
static int
node_add_log(struct app *app, const char *path, const char *label)
{
	struct node tmp, *n;
	int at;

	if ((at = node_find_path(app, path)) != -1)
		return at;
	n = node_add(app, NODE_VIEW, APP_NODE_NONE, 1, label, &view_log_ops);
	n->path = xstrdup(path);
	at = app->nnodes - 1;
	/* Keep "Open log file..." last. */
	if (at > 0 && app->nodes[at - 1].kind == NODE_OPEN_LOG) {
		tmp = app->nodes[at - 1];
		app->nodes[at - 1] = app->nodes[at];
		app->nodes[at] = tmp;
		at--;
	}
	return at;
}

static int
is_mpcontrol(const char *path)
{
	const char *base = strrchr(path, '/');

	return strcmp(base != NULL ? base + 1 : path, "mpcontrol.log") == 0;
}

/* The first mpcontrol.log of the Monitoring group, else its first log, or
 * -1. */
static int
first_log_node(const struct app *app)
{
	int first = -1;

	for (int i = 0; i < app->nnodes; i++)
		if (app->nodes[i].path != NULL) {
			if (is_mpcontrol(app->nodes[i].path))
				return i;
			if (first == -1)
				first = i;
		}
	return first;
}

static int
log_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir: its *.log and *.lo_ files, or (dirs) its folders. */
static size_t
list_names(const char *dir, int dirs, char ***out)
{
	char path[PATH_MAX], **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;

	*out = NULL;
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (dirs) {
			if (de->d_name[0] == '.' || snprintf(path, sizeof path,
			    "%s/%s", dir, de->d_name) >= (int)sizeof path ||
			    stat(path, &st) == -1 || !S_ISDIR(st.st_mode))
				continue;
		} else if (len < 5 ||
		    (strcmp(de->d_name + len - 4, ".log") != 0 &&
		    strcmp(de->d_name + len - 4, ".lo_") != 0))
			continue;
		names = xgrowarray(names, &cap, n, 16, sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof *names, log_name_cmp);
	*out = names;
	return n;
}

static void
free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The distribution points' names (malloc'ed), to list their logs before
 * the agents write them; none if the database cannot say. */
static size_t
dp_names(struct app *app, char ***out)
{
	struct db_role *rs = NULL;
	char **names = NULL;
	size_t nr = 0, n = 0, cap = 0;

	*out = NULL;
	if (ehttp_role_list(app->e, 0, 0, &rs, &nr) == -1)
		return 0;
	for (size_t i = 0; i < nr; i++)
		if (strcmp(rs[i].role, "dp") == 0) {
			names = xgrowarray(names, &cap, n, 8, sizeof *names);
			names[n++] = xstrdup(rs[i].fqdn);
		}
	free(rs);
	*out = names;
	return n;
}

static int
is_dp(char *const *dps, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(dps[i], name) == 0)
			return 1;
	return 0;
}

/*
 * A scan of the log directory builds the Monitoring group's logs anew
 * (after "Site server"); a log it lists again keeps its node's view, and
 * so its place in the log. prev: the log nodes before the scan.
 */
struct log_scan {
	struct app	*app;
	struct node	*prev;
	int		 nprev;
	int		 at;		/* where the last one was found */
	int		 folder;	/* the first node of this folder */
	int		 left_out;	/* folders, or folders' logs, over */
};

#define LOGS_PER_FOLDER	64	/* logs listed of one folder, at most */
#define LOG_FOLDERS	256	/* folders listed, at most */

static void
scan_add(struct log_scan *sc, int depth, const char *path,
    const char *label)
{
	struct node *n;

	/* Listed already: mpcontrol.log and smsdpcontent.log, first, are
	 * among the folder's names too. */
	for (int i = sc->folder; i < sc->app->nnodes; i++)
		if (sc->app->nodes[i].path != NULL &&
		    strcmp(sc->app->nodes[i].path, path) == 0)
			return;
	n = node_add(sc->app, NODE_VIEW, APP_NODE_NONE, depth, label,
	    &view_log_ops);
	/* The last scan listed the logs in the same order: look from where
	 * the last one was found, so that a scan stays linear. */
	for (int k = 0; k < sc->nprev; k++) {
		int i = (sc->at + k) % sc->nprev;

		if (sc->prev[i].path != NULL &&
		    strcmp(sc->prev[i].path, path) == 0) {
			n->view = sc->prev[i].view;
			n->path = sc->prev[i].path;	/* taken */
			sc->prev[i].path = NULL;
			sc->at = i + 1;
			break;
		}
	}
	if (n->path == NULL)
		n->path = xstrdup(path);
}

/*
 * The logs of one folder at depth: mpcontrol.log first (with mp, even
 * before the agent writes it), a distribution point's smsdpcontent.log
 * right after it (also before it is written), every other *.log and
 * *.lo_, and with two logs or more a node showing them merged into one
 * timeline (the log view opens a folder that way). Returns how many nodes
 * it added.
 */
static int
scan_folder(struct log_scan *sc, const char *dir, int depth, int mp, int dp)
{
	char path[PATH_MAX], **names;
	size_t n = list_names(dir, 0, &names);
	int from = sc->app->nnodes;

	sc->folder = from;
	if (snprintf(path, sizeof path, "%s/mpcontrol.log", dir) <
	    (int)sizeof path && (mp || access(path, F_OK) == 0)) {
		scan_add(sc, depth, path, "mpcontrol.log");
		if (snprintf(path, sizeof path, "%s/smsdpcontent.log", dir) <
		    (int)sizeof path && (dp || access(path, F_OK) == 0))
			scan_add(sc, depth, path, "smsdpcontent.log");
	}
	for (size_t i = 0; i < n && i < LOGS_PER_FOLDER; i++)
		if (snprintf(path, sizeof path, "%s/%s", dir, names[i]) <
		    (int)sizeof path)
			scan_add(sc, depth, path, names[i]);
	if (n > LOGS_PER_FOLDER)
		sc->left_out++;
	if (n >= 2)
		scan_add(sc, depth, dir, "all logs merged");
	free_names(names, n);
	return sc->app->nnodes - from;
}

/*
 * The Monitoring group's logs: those of the log directory, then a group
 * of each folder's (agents on one machine each log to LOG_DIR/FQDN/, as
 * make run and the packaged services do), then the logs that were open
 * and are not listed again (opened by their path, or gone since), then
 * "Open log file...". The log directory's own mpcontrol.log is listed
 * before its agent writes it, unless the agents log into folders.
 * Returns how many folders were left out, or had logs left out, for
 * being over the limits.
 */
static int
scan_logs(struct app *app)
{
	char sub[PATH_MAX], **dirs, **dps, sel[PATH_MAX];
	int from = node_find(app, APP_NODE_SITED) + 1, folders = 0, g;
	size_t n = list_names(app->log_dir, 1, &dirs);
	size_t ndps = dp_names(app, &dps);
	struct log_scan sc = { .app = app };

	sel[0] = '\0';
	if (app->sel >= from)
		snprintf(sel, sizeof sel, "%s", app->nodes[app->sel].path !=
		    NULL ? app->nodes[app->sel].path : "");
	sc.nprev = app->nnodes - from;
	sc.prev = xreallocarray(NULL, (size_t)sc.nprev + 1, sizeof *sc.prev);
	memcpy(sc.prev, &app->nodes[from], (size_t)sc.nprev *
	    sizeof *sc.prev);
	/* A folder's log the scan does not list again keeps its folder's
	 * name. */
	for (int i = 0; i < sc.nprev; i++)
		if (sc.prev[i].depth > 1 && sc.prev[i].group >= from) {
			char label[sizeof sc.prev[i].label];

			if (snprintf(label, sizeof label, "%s/%s",
			    app->nodes[sc.prev[i].group].label,
			    sc.prev[i].label) < (int)sizeof label)
				memcpy(sc.prev[i].label, label, sizeof label);
		}
	app->nnodes = from;

	for (size_t i = 0; i < n && !folders; i++)
		folders = snprintf(sub, sizeof sub, "%s/%s/mpcontrol.log",
		    app->log_dir, dirs[i]) < (int)sizeof sub &&
		    access(sub, F_OK) == 0;
	scan_folder(&sc, app->log_dir, 1, !folders, ndps > 0);
	if (n > LOG_FOLDERS)
		sc.left_out += (int)(n - LOG_FOLDERS);
	for (size_t i = 0; i < n && i < LOG_FOLDERS; i++) {
		if (snprintf(sub, sizeof sub, "%s/%s", app->log_dir, dirs[i]) >=
		    (int)sizeof sub)
			continue;
		g = app->nnodes;
		node_add(app, NODE_GROUP, APP_NODE_NONE, 1, dirs[i], NULL);
		if (scan_folder(&sc, sub, 2, 0, is_dp(dps, ndps, dirs[i])) == 0)
			app->nnodes = g;	/* no logs: no group */
	}
	/* Those not listed again that were open (by their path, or gone
	 * since) stay, and with them their place; the others go. */
	for (int i = 0; i < sc.nprev; i++)
		if (sc.prev[i].path != NULL && sc.prev[i].view != NULL) {
			struct node *m = node_add(app, NODE_VIEW, APP_NODE_NONE,
			    1, sc.prev[i].label, &view_log_ops);

			m->path = sc.prev[i].path;
			m->view = sc.prev[i].view;
		} else
			free(sc.prev[i].path);
	node_add(app, NODE_OPEN_LOG, APP_NODE_NONE, 1, "Open log file...",
	    NULL);
	/* The log shown is listed again, or carried over: it was open. */
	if (app->sel >= from && (sel[0] == '\0' ||
	    (app->sel = node_find_path(app, sel)) == -1))
		app->sel = app->nnodes - 1;
	free(sc.prev);
	free_names(dirs, n);
	free_names(dps, ndps);
	return sc.left_out;
}

/* The status line after a scan: what it did not list, if anything. */
static void
scan_said(struct app *app, int left_out, const char *done)
{
	if (left_out > 0)
		app_status(app, 0, "%s%sMonitoring lists at most %d folders"
		    " and %d logs a folder: %d folder%s left out or cut short"
		    " (o opens any log or folder).", done, *done ? " " : "",
		    LOG_FOLDERS, LOGS_PER_FOLDER, left_out, left_out == 1 ?
		    "" : "s");
	else if (*done != '\0')
		app_status(app, 0, "%s", done);
}

static void
build_tree(struct app *app)
{
	node_add(app, NODE_VIEW, APP_NODE_OVERVIEW, 0, "Overview",
	    &view_overview_ops);
	node_add(app, NODE_GROUP, APP_NODE_NONE, 0, "Site Configuration", NULL);
	node_add(app, NODE_VIEW, APP_NODE_SITES, 1, "Sites", &view_sites_ops);
	node_add(app, NODE_VIEW, APP_NODE_SYSTEMS, 1,
	    "Servers and Site System Roles", &view_systems_ops);
	node_add(app, NODE_VIEW, APP_NODE_CLIENTS, 1, "Clients",
	    &view_clients_ops);
	node_add(app, NODE_GROUP, APP_NODE_NONE, 0, "Security", NULL);
	node_add(app, NODE_VIEW, APP_NODE_CERTS, 1, "Certificates",
	    &view_certs_ops);
	node_add(app, NODE_VIEW, APP_NODE_AGENTS, 1, "Agents",
	    &view_agents_ops);
	node_add(app, NODE_GROUP, APP_NODE_NONE, 0, "Monitoring", NULL);
	node_add(app, NODE_VIEW, APP_NODE_SITED, 1, "Site server",
	    &view_sited_ops);
	scan_said(app, scan_logs(app), "");
}

static struct view *
node_view(struct app *app, int i)
{
	struct node *n = &app->nodes[i];
	struct view *v;

	if (n->kind != NODE_VIEW)
		return NULL;
	if (n->view != NULL)
		return n->view;
	v = xcalloc(1, sizeof *v);
	v->ops = n->ops;
	v->app = app;
	snprintf(v->title, sizeof v->title, "%s", n->label);
	snprintf(v->path, sizeof v->path, "%s", n->path != NULL ? n->path :
	    "");
	if (v->ops->open(v) == -1) {
		free(v);
		return NULL;
	}
	v->opened = 1;
	n->view = v;
	return v;
}

static struct view *
app_current_view(struct app *app)
{
	if (app->sel < 0 || app->sel >= app->nnodes)
		return NULL;
	return node_view(app, app->sel);
}

struct view *
app_view(struct app *app, enum app_node id)
{
	int i = node_find(app, id);

	return i == -1 ? NULL : node_view(app, i);
}

void
view_list(struct view *v, struct list *list, struct search *find,
    const struct search_ops *ops, void *arg)
{
	v->list = list;
	v->find = find;
	if (find != NULL) {
		find->list = list;
		find->ops = ops;
		find->arg = arg;
	}
}

static void
reload_view(struct app *app, struct view *v)
{
	if (v != NULL && v->ops->reload != NULL)
		v->ops->reload(v);
	app->last_reload = time(NULL);
	app->dirty = 1;
}

void
app_reload_all(struct app *app)
{
	reload_view(app, app_current_view(app));
}

static void
app_select_node(struct app *app, int i)
{
	if (i < 0 || i >= app->nnodes || app->nodes[i].kind == NODE_GROUP)
		return;
	app->sel = i;
	if (app->nodes[i].kind == NODE_VIEW) {
		struct view *v = node_view(app, i);

		/* Database views are read again when shown; a log keeps its
		 * place. */
		if (v != NULL && v->ops != &view_log_ops)
			reload_view(app, v);
	}
	app->dirty = 1;
}

int
app_select(struct app *app, enum app_node id)
{
	int i = node_find(app, id);

	if (i == -1)
		return -1;
	app_select_node(app, i);
	app->focus = 1;
	return 0;
}

int
app_select_item(struct app *app, enum app_node id, const char *key)
{
	struct view *v;

	if (app_select(app, id) == -1)
		return -1;
	if (key == NULL || key[0] == '\0')
		return 0;
	if ((v = app_current_view(app)) == NULL || v->find == NULL ||
	    search_select(v->find, key) == -1) {
		app_status(app, 1, "%s: not listed (any more).", key);
		return -1;
	}
	app->dirty = 1;
	return 0;
}

static int
app_open_log(struct app *app, const char *path)
{
	const char *base;
	struct stat sb;
	int i;

	if (stat(path, &sb) == -1) {
		app_status(app, 1, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode)) {
		app_status(app, 1, "%s: not a regular file or a folder", path);
		return -1;
	}
	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	if (S_ISDIR(sb.st_mode)) {
		/* A folder opens as its logs merged (as its tree node does). */
		char label[NAME_MAX + 32];

		snprintf(label, sizeof label, "%.*s/ all logs merged",
		    NAME_MAX, base);
		i = node_add_log(app, path, label);
	} else
		i = node_add_log(app, path, base);
	app_select_node(app, i);
	app->focus = 1;
	return 0;
}

/*
 * The key handle for actions that may issue certificates, and the long
 * work it does. The backend calls app_progress() on this thread while it
 * works: the console reads the keys itself then. Esc or c asks "Cancel?"
 * (the work waits for the answer; cancelling stops issuance before it
 * commits, so the site stays as it was); every other key is dropped, and
 * whatever was typed is flushed when the work ends, so nothing typed
 * during it acts on the result box.
 */
static const char *const progress_buttons[] = { "Cancel the work",
    "Continue" };
static const int progress_flags[] = { FORM_BTN_DESTRUCTIVE, 0 };

/* The question; 1: cancel. */
static int
progress_ask(struct app *app)
{
	enum keys_action a;
	int k;

	app->progress_asking = 1;
	app->progress_focus = form_safe_button(progress_flags, NULL, 2, 0);
	for (;;) {
		app->dirty = 1;
		app_render(app);
		if (crt_signal_pending() != 0) {
			k = 1;		/* quitting: stop the work, keep the site */
			break;
		}
		if ((k = crt_getch(250)) == ERR)
			continue;
		if (k == KEY_RESIZE) {
			app_resize(app);
			continue;
		}
		if (k == 'y' || k == 'Y') {
			k = 1;
			break;
		}
		if (k == 'n' || k == 'N') {
			k = 0;
			break;
		}
		a = keys_lookup(k, KS_BOX);
		if (a == KA_LEFT || a == KA_RIGHT || a == KA_NEXT_FIELD ||
		    a == KA_PREV_FIELD)
			app->progress_focus = !app->progress_focus;
		else if (a == KA_OK) {
			k = app->progress_focus == 0;
			break;
		} else if (a == KA_CANCEL) {
			k = 0;
			break;
		}
	}
	app->progress_asking = 0;
	app->dirty = 1;
	return k;
}

static int
app_progress(const char *what, size_t done, size_t total, void *arg)
{
	struct app *app = arg;
	int k;

	app->progress_active = 1;
	snprintf(app->progress_what, sizeof app->progress_what, "%s", what);
	app->progress_done = done;
	app->progress_total = total;
	app->dirty = 1;
	if (!crt_active())
		return app->progress_cancel;
	while (!app->progress_cancel && (k = crt_getch(0)) != ERR) {
		if (k == KEY_RESIZE)
			app_resize(app);
		else if (keys_lookup(k, KS_PROGRESS) == KA_CANCEL &&
		    progress_ask(app))
			app->progress_cancel = 1;
		/* Any other key: dropped. */
	}
	if (crt_signal_pending() != 0)
		app->progress_cancel = 1;
	app_render(app);
	return app->progress_cancel;
}

/* A write waits for another program's: the progress box says so, and
 * its cancel stops the wait (the action fails, nothing changed). The key
 * handle's box stays for the work that follows; the console's own
 * handle's goes when the wait is over, with the keys typed meanwhile. */
static int
app_waiting(void *arg, long waited_ms)
{
	struct app *app = arg;
	int rc;

	if (waited_ms < 0) {	/* over: the work goes on in the box */
		(void)app_progress("Working", 0, 0, app);
		return 0;
	}
	app->progress_waiting = 1;
	rc = app_progress("Another program is writing to the site database",
	    (size_t)(waited_ms / 1000), 10, app);
	app->progress_waiting = 0;
	return rc;
}

static int
app_waiting_main(void *arg, long waited_ms)
{
	struct app *app = arg;

	if (waited_ms >= 0) {
		if (!app->progress_active) {	/* the first call */
			app->progress_cancel = 0;
			crt_flush_input();
		}
		return app_waiting(arg, waited_ms);
	}
	app->progress_active = 0;
	app->progress_asking = 0;
	crt_flush_input();
	app->dirty = 1;
	return 0;
}

struct ehttp *
app_key_handle(struct app *app, char *err, size_t errlen)
{
	struct ehttp *k;
	char *cause = NULL;

	if ((k = ehttp_open(app->db_path, 0, &cause)) == NULL) {
		snprintf(err, errlen, "%s", cause != NULL ? cause :
		    "cannot open the database");
		free(cause);
		return NULL;
	}
	app->progress_cancel = 0;
	crt_flush_input();
	ehttp_set_progress(k, app_progress, app);
	ehttp_set_waiting(k, app_waiting, app);
	/* The progress box shows before the first key is generated. */
	app_progress("Working", 0, 0, app);
	return k;
}

void
app_key_handle_close(struct app *app, struct ehttp *k)
{
	ehttp_close(k);
	app->progress_active = 0;
	app->progress_asking = 0;
	crt_flush_input();	/* keys typed during the work: dropped */
	app->dirty = 1;
}

struct ehttp *
app_key_begin(struct app *app, const char *title)
{
	struct ehttp *k;
	char err[512];

	if ((k = app_key_handle(app, err, sizeof err)) == NULL)
		dialog_message(app, title, BOX_ERROR, "%s", err);
	return k;
}

int
app_key_end(struct app *app, struct ehttp *k, int rc, const char *title,
    const char *failed, const char *notes_title, const char *ok_text)
{
	char err[512];

	if (rc == -1) {
		snprintf(err, sizeof err, "%s", ehttp_error(k));
		app_key_handle_close(app, k);
		dialog_message(app, title, BOX_ERROR, "%s%s%s", failed != NULL ?
		    failed : "", failed != NULL ? ": " : "", err);
		return -1;
	}
	app_show_notes(app, k, notes_title, ok_text);
	app_key_handle_close(app, k);
	return rc;
}

void
app_show_notes(struct app *app, struct ehttp *e, const char *title,
    const char *ok_text)
{
	const struct ehttp_note *notes;
	size_t n, warnings = 0;
	struct box *b = box_new(title);

	notes = ehttp_notes(e, &n);
	for (size_t i = 0; i < n; i++) {
		box_text(b, notes[i].kind == EHTTP_NOTE_WARNING ? BOX_WARNING :
		    BOX_TEXT, notes[i].text);
		if (notes[i].kind == EHTTP_NOTE_WARNING)
			warnings++;
	}
	if (n == 0)
		box_text(b, BOX_TEXT, ok_text);
	box_dialog(app, b, NULL, NULL);
	if (warnings > 0)
		app_status(app, 0, "%s: done, with %zu warning%s.", title,
		    warnings, warnings == 1 ? "" : "s");
	else
		app_status(app, 0, "%s: done.", title);
}

/* Dialogs. */

void
app_dialog_push(struct app *app, struct dialog *d)
{
	if (app->ndlg == APP_MAX_DIALOGS) {
		dialog_free(d);
		return;
	}
	app->dlg[app->ndlg++] = d;
	app->dirty = 1;
}

struct dialog *
app_dialog_top(struct app *app)
{
	for (int i = app->ndlg - 1; i >= 0; i--)
		if (!app->dlg[i]->closed)
			return app->dlg[i];
	return NULL;
}

static void
sweep_dialogs(struct app *app)
{
	int j = 0;

	for (int i = 0; i < app->ndlg; i++) {
		if (app->dlg[i]->closed)
			dialog_free(app->dlg[i]);
		else
			app->dlg[j++] = app->dlg[i];
	}
	app->ndlg = j;
}

/* Layout. */

static void
del_windows(struct app *app)
{
	WINDOW **all[] = { &app->w_body, &app->w_title, &app->w_tree,
	    &app->w_list, &app->w_details, &app->w_status, &app->w_bar,
	    &app->w_small, &app->w_progress };

	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (*all[i] != NULL) {
			delwin(*all[i]);
			*all[i] = NULL;
		}
	for (int i = 0; i < app->ndlg; i++)
		if (app->dlg[i]->win != NULL) {
			delwin(app->dlg[i]->win);
			app->dlg[i]->win = NULL;
		}
}

static void
layout(struct app *app)
{
	int area, det, x;

	del_windows(app);
	crt_size(&app->lines, &app->cols);
	app->small = app->lines < TUI_MIN_LINES || app->cols < TUI_MIN_COLS;
	app->dirty = 1;
	if (app->small) {
		app->w_small = newwin(app->lines, app->cols, 0, 0);
		return;
	}
	if (app->tree_hidden)
		app->tree_w = 0;
	else if (app->cols >= 140)
		app->tree_w = 34;
	else if (app->cols >= 110)
		app->tree_w = 26;
	else
		app->tree_w = 20;
	x = app->tree_w;
	area = app->lines - 3;
	det = area >= 27 ? area / 3 : 7;
	app->list_y = 1;
	app->list_h = area - det;
	app->w_title = newwin(1, app->cols, 0, 0);
	if (app->tree_w > 0)
		app->w_tree = newwin(area, app->tree_w, 1, 0);
	app->w_list = newwin(app->list_h, app->cols - x, 1, x);
	app->w_details = newwin(det, app->cols - x, 1 + app->list_h, x);
	app->w_body = derwin(app->w_details, det - 1, app->cols - x, 1, 0);
	app->w_status = newwin(1, app->cols, app->lines - 2, 0);
	app->w_bar = newwin(1, app->cols, app->lines - 1, 0);
	if (app->focus == 0 && app->tree_hidden)
		app->focus = 1;
}

void
app_resize(struct app *app)
{
	layout(app);
	crt_repaint_all();
}

WINDOW *
app_window(struct app *app, const char *which)
{
	const struct {
		const char	*name;
		WINDOW		*w;
	} wins[] = {
		{ "list", app->w_list }, { "details", app->w_body },
		{ "tree", app->w_tree }, { "bar", app->w_bar },
		{ "status", app->w_status }, { "title", app->w_title },
	};

	for (size_t i = 0; i < sizeof wins / sizeof wins[0]; i++)
		if (strcmp(which, wins[i].name) == 0)
			return wins[i].w;
	return NULL;
}

/* The key context now. */
static unsigned
scopes(struct app *app)
{
	struct dialog *d;
	struct view *v;

	if (app->small)
		return KS_SMALL;
	if (app->progress_active)
		return app->progress_asking ? KS_BOX : KS_PROGRESS;
	if ((d = app_dialog_top(app)) != NULL)
		return d->ops->scope;
	if (app->focus == 0)
		return KS_GLOBAL | KS_TREE;
	if ((v = app_current_view(app)) == NULL)
		return KS_GLOBAL | KS_TREE;
	return KS_GLOBAL | KS_LIST | (v->ops->scopes != NULL ?
	    v->ops->scopes(v) : v->ops->scope);
}

/* Drawing. */

/* " ehttp console  Administration > GROUP > ... > LABEL" */
static void
title_path(struct app *app, const struct node *n, char *buf, size_t len)
{
	size_t at;

	if (n->group >= 0)
		title_path(app, &app->nodes[n->group], buf, len);
	else
		snprintf(buf, len, " ehttp console  Administration");
	at = strlen(buf);
	snprintf(buf + at, len - at, " > %s", n->label);
}

static void
draw_title(struct app *app)
{
	WINDOW *w = app->w_title;
	struct node *n = &app->nodes[app->sel];
	char buf[PATH_MAX + 64];
	int x;

	werase(w);
	text_fill(w, 0, 0, app->cols, crt_attr(CRT_TITLE));
	title_path(app, n, buf, sizeof buf);
	x = text_put(w, 0, 0, app->cols, buf, (size_t)-1, crt_attr(CRT_TITLE));
	snprintf(buf, sizeof buf, "%s (times UTC) ", app->db_shown);
	if (x + 4 < app->cols) {
		int bw = text_cols(buf, (size_t)-1);
		int room = app->cols - x - 2;

		if (bw > room)
			text_put(w, 0, x + 2, room, buf, (size_t)-1,
			    crt_attr(CRT_TITLE));
		else
			text_put(w, 0, app->cols - bw, bw, buf, (size_t)-1,
			    crt_attr(CRT_TITLE));
	}
	wnoutrefresh(w);
}

static void
draw_tree(struct app *app)
{
	WINDOW *w = app->w_tree;
	int h, width, row;

	if (w == NULL)
		return;
	werase(w);
	getmaxyx(w, h, width);
	if (app->sel < app->tree_top)
		app->tree_top = app->sel;
	if (app->sel >= app->tree_top + h)
		app->tree_top = app->sel - h + 1;
	for (row = 0; row < h; row++) {
		int i = app->tree_top + row, x;
		struct node *n;
		attr_t a;

		if (i >= app->nnodes)
			break;
		n = &app->nodes[i];
		a = n->kind == NODE_GROUP ? crt_attr(CRT_TREE_GROUP) :
		    crt_attr(CRT_NORMAL);
		if (i == app->sel)
			a = app->focus == 0 ? crt_attr(CRT_CURSOR) :
			    crt_attr(CRT_CURSOR_DIM);
		text_fill(w, row, 0, width - 1, a);
		x = 1 + n->depth * 2;
		if (n->kind == NODE_GROUP)
			x += text_put(w, row, x - 1 < 0 ? 0 : x, width - 1 - x,
			    text_utf8 ? "\u25be " : "- ", (size_t)-1, a);
		text_put(w, row, x, width - 1 - x, n->label, (size_t)-1, a);
	}
	wattrset(w, crt_attr(CRT_BORDER));
	mvwvline(w, 0, width - 1, ACS_VLINE, h);
	wattrset(w, A_NORMAL);
	wnoutrefresh(w);
}

static void
draw_view(struct app *app)
{
	struct view *v = app_current_view(app);
	struct node *n = &app->nodes[app->sel];
	int h, width;

	werase(app->w_list);
	werase(app->w_details);
	getmaxyx(app->w_details, h, width);
	(void)h;
	wattrset(app->w_details, crt_attr(CRT_BORDER));
	mvwhline(app->w_details, 0, 0, ACS_HLINE, width);
	text_put(app->w_details, 0, 2, width - 4, " Details ", (size_t)-1,
	    crt_attr(CRT_BORDER) | A_BOLD);
	wattrset(app->w_details, A_NORMAL);
	if (v != NULL)
		v->ops->draw(v, app->w_list, app->w_body, app->focus == 1);
	else if (n->kind == NODE_OPEN_LOG) {
		text_put(app->w_list, 1, 2, width - 4, "Open any CMTrace log by"
		    " its path: press Enter (or o anywhere).", (size_t)-1,
		    crt_attr(CRT_NORMAL));
		text_put(app->w_list, 3, 2, width - 4, "Logs in the log"
		    " directory are listed above this node:", (size_t)-1,
		    crt_attr(CRT_NORMAL));
		text_put(app->w_list, 4, 4, width - 6, app->log_dir, (size_t)-1,
		    crt_attr(CRT_DIM));
	}
	wnoutrefresh(app->w_list);
	wnoutrefresh(app->w_details);
}

static void
draw_status(struct app *app)
{
	WINDOW *w = app->w_status;
	struct view *v = app_current_view(app);
	char where[256] = "";
	int x = 0, ww = 0;

	werase(w);
	if (v != NULL && v->ops->where != NULL && app_dialog_top(app) == NULL)
		v->ops->where(v, where, sizeof where);
	else if (v != NULL && v->ops->row != NULL && v->list != NULL &&
	    v->list->count > 0 && app_dialog_top(app) == NULL)
		snprintf(where, sizeof where, "%s %zu of %zu", v->ops->row,
		    v->list->cursor + 1, v->list->count);
	/* Database views: when they were read (they re-read on a timer when
	 * the database changes, and on F5). */
	if (v != NULL && v->ops != &view_log_ops && app->last_reload != 0) {
		char clock[TIMEFMT_LEN];
		size_t len = strlen(where);

		timefmt(clock, sizeof clock, app->last_reload, TIMEFMT_CLOCK);
		snprintf(where + len, sizeof where - len, "%sas of %s",
		    len ? ", " : "", clock);
	}
	if (where[0] != '\0')
		ww = text_cols(where, (size_t)-1) + 1;
	if (app->status[0] != '\0') {
		attr_t a = crt_attr(app->status_error ? CRT_STATUS_ERROR :
		    CRT_STATUS);
		int room = app->cols - ww - 1;

		if (room < app->cols / 2)
			room = app->cols - 1, ww = 0;
		x = text_put(w, 0, 0, room, app->status, (size_t)-1, a);
	}
	if (ww > 0 && x + ww < app->cols)
		text_put(w, 0, app->cols - ww, ww - 1, where, (size_t)-1,
		    crt_attr(CRT_DIM));
	wnoutrefresh(w);
}

static void
draw_bar(struct app *app)
{
	werase(app->w_bar);
	keys_draw_bar(app->w_bar, scopes(app));
	wnoutrefresh(app->w_bar);
}

static void
draw_dialogs(struct app *app)
{
	int maxh = app->lines - 2, maxw = app->cols;
	struct dialog *top = app_dialog_top(app);

	for (int i = 0; i < app->ndlg; i++) {
		struct dialog *d = app->dlg[i];
		int h, w, y, x;

		if (d->closed)
			continue;
		d->ops->size(d, maxh, maxw, &h, &w);
		if (h > maxh)
			h = maxh;
		if (w > maxw)
			w = maxw;
		if (h < 3)
			h = 3;
		if (w < 10)
			w = 10;
		y = (maxh - h) / 2;
		x = (maxw - w) / 2;
		if (d->win == NULL || d->h != h || d->w != w || d->y != y ||
		    d->x != x) {
			if (d->win != NULL)
				delwin(d->win);
			d->win = newwin(h, w, y, x);
			d->h = h, d->w = w, d->y = y, d->x = x;
		}
		if (d->win == NULL)
			continue;
		d->cursor_y = d->cursor_x = -1;
		d->ops->draw(d, d->win);
		touchwin(d->win);
		wnoutrefresh(d->win);
	}
	if (top != NULL && top->win != NULL && top->cursor_y >= 0) {
		crt_cursor(1);
		wmove(top->win, top->cursor_y, top->cursor_x);
		wnoutrefresh(top->win);
	} else
		crt_cursor(0);
}

static void
draw_progress(struct app *app)
{
	int w = app->cols - 10 < 64 ? app->cols - 10 : 64, h = 7, bar;
	WINDOW *win;
	char buf[64];

	if (app->w_progress == NULL)
		app->w_progress = newwin(h, w, (app->lines - h) / 2,
		    (app->cols - w) / 2);
	if ((win = app->w_progress) == NULL)
		return;
	dialog_frame(win, "Please wait");
	text_put(win, 1, 2, w - 4, app->progress_what, (size_t)-1,
	    crt_attr(CRT_DIALOG));
	bar = w - 4;
	text_fill(win, 3, 2, bar, crt_attr(CRT_CURSOR_DIM));
	if (app->progress_total > 0) {
		int fill = (int)((double)bar * app->progress_done /
		    app->progress_total);

		text_fill(win, 3, 2, fill, crt_attr(CRT_FOCUS) | A_REVERSE);
		if (app->progress_waiting)
			snprintf(buf, sizeof buf, "waiting for it: %zu s of at"
			    " most %zu s", app->progress_done,
			    app->progress_total);
		else
			snprintf(buf, sizeof buf, " %zu of %zu ",
			    app->progress_done, app->progress_total);
		text_put(win, 2, 2, w - 4, buf, (size_t)-1, crt_attr(CRT_DIALOG));
	} else
		text_put(win, 2, 2, w - 4, "Preparing...", (size_t)-1,
		    crt_attr(CRT_DIALOG));
	if (app->progress_asking) {
		text_put(win, 4, 2, w - 4, "Cancel? The site stays as it was.",
		    (size_t)-1, crt_attr(CRT_WARNING) | A_BOLD);
		form_buttons_draw(win, 5, progress_buttons, 2,
		    app->progress_focus, NULL);
	} else
		text_put(win, 4, 2, w - 4, "Esc: cancel", (size_t)-1,
		    crt_attr(CRT_DIM));
	touchwin(win);
	wnoutrefresh(win);
}

static void
draw_small(struct app *app)
{
	WINDOW *w = app->w_small;
	char buf[160];
	int y = app->lines / 2 - 1;

	if (w == NULL)
		return;
	werase(w);
	snprintf(buf, sizeof buf, "The ehttp console needs at least %dx%d;"
	    " this terminal is %dx%d.", TUI_MIN_COLS, TUI_MIN_LINES, app->cols,
	    app->lines);
	if (y < 0)
		y = 0;
	for (size_t off = 0, len = strlen(buf), next, n; off < len &&
	    y < app->lines; y++) {
		n = text_wrap(buf + off, len - off, app->cols, &next);
		text_put(w, y, 0, app->cols, buf + off, n, A_BOLD);
		off += next;
	}
	if (y < app->lines)
		text_put(w, y, 0, app->cols, "Enlarge the window, or press q"
		    " to quit.", (size_t)-1, A_NORMAL);
	wnoutrefresh(w);
}

void
app_render(struct app *app)
{
	if (!app->dirty)
		return;
	app->dirty = 0;
	if (app->small) {
		crt_cursor(0);
		draw_small(app);
		doupdate();
		return;
	}
	draw_title(app);
	draw_tree(app);
	draw_view(app);
	draw_status(app);
	draw_bar(app);
	draw_dialogs(app);
	if (app->progress_active) {
		crt_cursor(0);
		draw_progress(app);
	} else if (app->w_progress != NULL) {
		delwin(app->w_progress);
		app->w_progress = NULL;
	}
	doupdate();
}

/* Keys. */

static void
open_log_done(struct app *app, int result, const char *text, void *arg)
{
	if (result != 0 || text == NULL || *text == '\0')
		return;
	app_open_log(app, text);
}

static void
prompt_open_log(struct app *app)
{
	char dir[PATH_MAX + 1];

	snprintf(dir, sizeof dir, "%s/", app->log_dir);
	dialog_prompt(app, "Open log file", "Path:", dir, open_log_done, NULL);
}

static void
show_help(struct app *app)
{
	struct box *b = box_new("Help: ehttp console");
	char **lines;
	size_t n;

	box_wide(b);
	box_text(b, BOX_HEAD, "The Administration workspace of an enhanced"
	    " HTTP site hierarchy.");
	box_text(b, BOX_TEXT, "Pick a node in the tree on the left; its list"
	    " and details show on the right. The key bar at the bottom shows"
	    " the main keys of what has focus.");
	box_text(b, BOX_TEXT, "");
	lines = keys_help(~0u & ~KS_SMALL, &n);
	for (size_t i = 0; i < n; i++) {
		box_text(b, lines[i][0] != ' ' && lines[i][0] != '\0' ?
		    BOX_HEAD : BOX_TEXT, lines[i]);
		free(lines[i]);
	}
	free(lines);
	box_dialog(app, b, NULL, NULL);
}

static int
next_node(struct app *app, int from, int dir)
{
	for (int i = from + dir; i >= 0 && i < app->nnodes; i += dir)
		if (app->nodes[i].kind != NODE_GROUP)
			return i;
	return from;
}

static void
tree_key(struct app *app, enum keys_action a)
{
	switch (a) {
	case KA_UP:
		app_select_node(app, next_node(app, app->sel, -1));
		break;
	case KA_DOWN:
		app_select_node(app, next_node(app, app->sel, 1));
		break;
	case KA_HOME:
		app_select_node(app, next_node(app, -1, 1));
		break;
	case KA_END:
		app_select_node(app, next_node(app, app->nnodes, -1));
		break;
	case KA_OPEN:
		if (app->nodes[app->sel].kind == NODE_OPEN_LOG)
			prompt_open_log(app);
		else
			app->focus = 1;
		break;
	default:
		break;
	}
	app->dirty = 1;
}

static void
mouse_key(struct app *app)
{
	struct view *v;
	int y, x, button, ly, lx, wheel = 0;

	if (crt_get_mouse(&y, &x, &button) == -1 || app->small ||
	    app_dialog_top(app) != NULL)
		return;
	if (button == 4)
		wheel = -1;
	else if (button == 5)
		wheel = 1;
	if (x < app->tree_w && y >= 1 && y < app->lines - 2) {
		int i = app->tree_top + y - 1;

		if (wheel != 0)
			app_select_node(app, next_node(app, app->sel, wheel));
		else if (i < app->nnodes && app->nodes[i].kind != NODE_GROUP) {
			app_select_node(app, i);
			if (app->nodes[i].kind == NODE_OPEN_LOG)
				prompt_open_log(app);
		}
		app->focus = 0;
		app->dirty = 1;
		return;
	}
	ly = y - app->list_y;
	lx = x - app->tree_w;
	if (ly >= 0 && ly < app->list_h && (v = app_current_view(app)) != NULL &&
	    (v->ops->click != NULL || v->list != NULL)) {
		app->focus = 1;
		if (v->ops->click != NULL)
			v->ops->click(v, ly, lx, wheel);
		else
			list_click(v->list, ly, wheel);
		if (button == 2)
			v->ops->key(v, KA_OPEN, '\r');
		app->dirty = 1;
	}
}

/* The keys that go to a node of the tree (the log key goes to the first
 * log, whichever it is). */
static const struct {
	enum keys_action action;
	enum app_node	 node;
} go_keys[] = {
	{ KA_GO_OVERVIEW, APP_NODE_OVERVIEW },
	{ KA_GO_SITES, APP_NODE_SITES },
	{ KA_GO_SYSTEMS, APP_NODE_SYSTEMS },
	{ KA_GO_CERTS, APP_NODE_CERTS },
	{ KA_GO_CLIENTS, APP_NODE_CLIENTS },
};

void
app_key(struct app *app, int key)
{
	enum keys_action a;
	struct dialog *d;
	struct view *v;
	int r, left_out;

	if (key == KEY_RESIZE) {
		app_resize(app);
		return;
	}
	if (app->small) {
		if (keys_lookup(key, KS_SMALL) == KA_QUIT)
			app->quit = 1;
		return;
	}
	if (key == KEY_MOUSE) {
		mouse_key(app);
		return;
	}
	if (app->progress_active)
		return;
	app->dirty = 1;
	if ((d = app_dialog_top(app)) != NULL) {
		a = keys_lookup(key, d->ops->scope);
		if (a == KA_HELP) {
			show_help(app);
			return;
		}
		r = d->ops->key(d, a, key);
		if (r & DLG_QUIT)
			app->quit = 1;
		sweep_dialogs(app);
		return;
	}
	app->status[0] = '\0';
	a = keys_lookup(key, scopes(app));
	for (size_t i = 0; i < sizeof go_keys / sizeof go_keys[0]; i++)
		if (go_keys[i].action == a) {
			app_select(app, go_keys[i].node);
			return;
		}
	switch (a) {
	case KA_QUIT:
		app->quit = 1;
		return;
	case KA_HELP:
		show_help(app);
		return;
	case KA_REFRESH:
		left_out = scan_logs(app);
		reload_view(app, app_current_view(app));
		scan_said(app, left_out, "Refreshed.");
		return;
	case KA_PANE:
		if (!app->tree_hidden)
			app->focus = !app->focus;
		return;
	case KA_TREE_TOGGLE:
		app->tree_hidden = !app->tree_hidden;
		app->focus = app->tree_hidden ? 1 : app->focus;
		layout(app);
		return;
	case KA_OPEN_LOG:
		prompt_open_log(app);
		return;
	case KA_GO_LOG:
		if ((r = first_log_node(app)) != -1) {
			app_select_node(app, r);
			app->focus = 1;
		}
		return;
	default:
		break;
	}
	if (app->focus == 0) {
		tree_key(app, a);
		return;
	}
	if ((v = app_current_view(app)) == NULL) {
		if (a == KA_OPEN && app->nodes[app->sel].kind == NODE_OPEN_LOG)
			prompt_open_log(app);
		else if (a == KA_LEFT && !app->tree_hidden)
			app->focus = 0;
		return;
	}
	r = v->ops->key(v, a, key);
	if ((r & VIEW_UNHANDLED) && a == KA_LEFT && !app->tree_hidden)
		app->focus = 0;
	if (r & VIEW_RELOAD)
		reload_view(app, v);
	if (r & VIEW_QUIT)
		app->quit = 1;
	sweep_dialogs(app);
}

/*
 * Background work: the current view's, and the re-read of a database view
 * when someone changed the database (agents report, ehttpctl, another
 * console): every refresh_s seconds one cheap question (PRAGMA
 * data_version), a re-read only when the answer changed (or the times
 * shown are a minute old). Never SQL on a repaint. Returns how soon it
 * wants to run again (ms).
 */
static int
tick(struct app *app)
{
	struct view *v = app_current_view(app);
	time_t now = time(NULL);
	int wish = -1, changed;

	if (v != NULL && v->ops->tick != NULL &&
	    (v->ops->tick(v, &wish) & VIEW_REDRAW))
		app->dirty = 1;
	if (v != NULL && v->ops != &view_log_ops && app_dialog_top(app) ==
	    NULL && now - app->last_check >= app->refresh_s) {
		app->last_check = now;
		changed = ehttp_changed(app->e);
		if (changed == 1 || now - app->last_reload >= APP_STALE_S) {
			if (v->ops->poll != NULL)
				v->ops->poll(v);
			else if (v->ops->reload != NULL)
				v->ops->reload(v);
			app->last_reload = now;
			app->dirty = 1;
		}
	}
	if (wish < 0 || wish > APP_POLL_MS)
		wish = APP_POLL_MS;
	return wish;
}

void
app_tick(struct app *app)
{
	tick(app);
}

int
app_run(struct app *app)
{
	int key, sig, wish;

	app_render(app);	/* the first screen before any background work */
	while (!app->quit) {
		if ((sig = crt_signal_pending()) != 0) {
			app->exit_code = 128 + sig;
			break;
		}
		wish = tick(app);
		app_render(app);
		if ((key = crt_getch(wish)) != ERR)
			app_key(app, key);
	}
	return app->exit_code;
}

struct app *
app_new(const struct app_config *cf, char **cause)
{
	struct app *app;
	char *home;

	*cause = NULL;
	app = xcalloc(1, sizeof *app);
	snprintf(app->db_path, sizeof app->db_path, "%s", cf->db_path != NULL ?
	    cf->db_path : ehttp_default_db());
	ehttp_db_display(app->db_path, app->db_shown, sizeof app->db_shown);
	if (cf->log_dir != NULL)
		snprintf(app->log_dir, sizeof app->log_dir, "%s", cf->log_dir);
	else {
		/* logs in the site's files' directory (a server's database:
		 * ehttp's data directory, as the agents use) */
		home = ehttp_home_dir(app->db_path);
		if (strcmp(home, ".") == 0)
			snprintf(app->log_dir, sizeof app->log_dir, "logs");
		else
			snprintf(app->log_dir, sizeof app->log_dir, "%s/logs",
			    home);
		free(home);
	}
	app->crt_flags = cf->crt_flags;
	app->refresh_s = cf->refresh_s > 0 ? cf->refresh_s : APP_REFRESH_S;
	/* The console never loads private keys for what it shows. */
	if ((app->e = ehttp_open(app->db_path, EHTTP_NO_KEYS, cause)) == NULL) {
		free(app);
		return NULL;
	}
	ehttp_set_waiting(app->e, app_waiting_main, app);
	ehttp_changed(app->e);		/* the version the first read sees */
	app->last_check = time(NULL);
	build_tree(app);
	app->sel = 0;
	if (crt_active())
		layout(app);
	app_select_node(app, 0);
	app->focus = 0;
	if (cf->log_file != NULL)
		app_open_log(app, cf->log_file);
	return app;
}

void
app_free(struct app *app)
{
	if (app == NULL)
		return;
	if (crt_active())
		del_windows(app);
	for (int i = 0; i < app->ndlg; i++)
		dialog_free(app->dlg[i]);
	app->ndlg = 0;
	for (int i = 0; i < app->nnodes; i++)
		if (app->nodes[i].view != NULL) {
			struct view *v = app->nodes[i].view;

			if (v->ops->close != NULL)
				v->ops->close(v);
			free(v);
		}
	for (int i = 0; i < app->nnodes; i++)
		free(app->nodes[i].path);
	free(app->nodes);
	ehttp_close(app->e);
	free(app);
}
