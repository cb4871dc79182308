/*
 * view-sites: the Sites node. One row per site with its Communication
 * Security at a glance; Enter opens Site Properties. Rows are re-read on
 * every reload; the cursor follows the site's ID.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"
#include "xmalloc.h"

struct sites {
	struct db_site	*v;
	struct ehttp_note **warn;	/* each site's, as of the reload */
	size_t		*nwarn;
	size_t		 n;
	struct list	 list;
	struct search	 find;
};

enum { SC_CODE, SC_NAME, SC_TYPE, SC_PARENT, SC_COMM, SC_EHTTP, SC_IISSSL,
	SC_WARN, SC_MAX };

static const struct list_col sites_cols[SC_MAX] = {
	[SC_CODE] = { "Code", NULL, 4, 4, 0, 0 },
	[SC_NAME] = { "Name", NULL, 8, 20, 0, 0 },
	[SC_TYPE] = { "Type", NULL, 9, 9, 1, 0 },
	[SC_PARENT] = { "Parent", NULL, 6, 6, 1, 0 },
	[SC_COMM] = { "Client Communication", "Client comm.", 13, 20, 1, 0 },
	[SC_EHTTP] = { "Enhanced HTTP", "eHTTP", 5, 13, 2, 0 },
	[SC_IISSSL] = { "IISSSLState", "IISSSL", 6, 11, 2, LIST_RIGHT },
	[SC_WARN] = { "Warnings", "Warn", 4, 8, 2, LIST_RIGHT },
};

static const struct list_field sites_fields[SC_MAX] = {
	[SC_CODE] = LIST_FIELD(TEXT, struct db_site, code),
	[SC_NAME] = LIST_FIELD(TEXT, struct db_site, name),
};

const char *
view_sites_comm(const struct db_security *x)
{
	return x->https_only ? "HTTPS only" : "HTTPS or HTTP";
}

static const char *
site_type(enum db_site_type t)
{
	switch (t) {
	case DB_SITE_CAS:
		return "CAS";
	case DB_SITE_PRIMARY:
		return "Primary";
	default:
		return "Secondary";
	}
}

static const char *
site_type_long(enum db_site_type t)
{
	switch (t) {
	case DB_SITE_CAS:
		return "central administration site";
	case DB_SITE_PRIMARY:
		return "primary site";
	default:
		return "secondary site";
	}
}

/* Find: a site by code or name. */
static int
sites_match(void *arg, size_t row, const char *needle)
{
	const struct db_site *x = &((struct sites *)arg)->v[row];

	return text_casefind(x->code, strlen(x->code), needle) != NULL ||
	    text_casefind(x->name, strlen(x->name), needle) != NULL;
}

static const char *
sites_name(void *arg, size_t row)
{
	return ((struct sites *)arg)->v[row].code;
}

/* Enter: the site's properties. */
static void
sites_enter(struct app *app, void *arg, size_t row)
{
	dialog_site_open(app, ((struct sites *)arg)->v[row].code);
}

static const struct search_ops sites_find = {
	sites_match, sites_name, sites_enter, "Site code or name:"
};

static int
sites_open(struct view *v)
{
	struct sites *s;

	s = xcalloc(1, sizeof *s);
	view_list(v, &s->list, &s->find, &sites_find, s);
	v->data = s;
	return 0;
}

static void
free_warnings(struct sites *s)
{
	for (size_t i = 0; s->warn != NULL && i < s->n; i++)
		free(s->warn[i]);
	free(s->warn);
	free(s->nwarn);
	s->warn = NULL;
	s->nwarn = NULL;
}

static void
sites_close(struct view *v)
{
	struct sites *s = v->data;

	free_warnings(s);
	free(s->v);
	free(s);
}

static int
sites_reload(struct view *v)
{
	struct sites *s = v->data;
	struct ehttp *e = app_ehttp(v->app);
	struct db_site *nv = NULL;
	int64_t keep = 0;
	size_t n = 0;

	if (s->n > 0 && s->list.cursor < s->n)
		keep = s->v[s->list.cursor].id;
	if (ehttp_site_list(e, &nv, &n) == -1) {
		app_status(v->app, 1, "Sites: %s", ehttp_error(e));
		return -1;
	}
	free_warnings(s);
	free(s->v);
	s->v = nv;
	s->n = n;
	s->warn = xcalloc(n ? n : 1, sizeof *s->warn);
	s->nwarn = xcalloc(n ? n : 1, sizeof *s->nwarn);
	for (size_t i = 0; i < n; i++) {
		if (ehttp_site_warnings(e, &s->v[i], &s->warn[i],
		    &s->nwarn[i]) == -1) {
			s->warn[i] = NULL;	/* shown as "No warnings." */
			s->nwarn[i] = 0;
		}
		if (s->v[i].id == keep)
			s->list.cursor = i;
	}
	list_set_count(&s->list, n);
	return 0;
}

static void
sites_cell(void *arg, size_t row, int col, char *buf, size_t len)
{
	struct sites *s = arg;
	const struct db_site *x = &s->v[row];

	if (list_field(&sites_fields[col], x, buf, len))
		return;
	switch (col) {
	case SC_TYPE:
		snprintf(buf, len, "%s", site_type(x->type));
		break;
	case SC_PARENT:
		snprintf(buf, len, "%s", x->parent_code[0] ? x->parent_code :
		    "-");
		break;
	case SC_COMM:
		snprintf(buf, len, "%s", view_sites_comm(&x->sec));
		break;
	case SC_EHTTP:
		snprintf(buf, len, "%s", x->sec.enhanced_http ? "On" : "Off");
		break;
	case SC_IISSSL:
		snprintf(buf, len, "%d", ehttp_iisssl_state(&x->sec));
		break;
	case SC_WARN:
		snprintf(buf, len, "%zu", s->nwarn[row]);
		break;
	}
}

static attr_t
sites_style(void *arg, size_t row)
{
	struct sites *s = arg;

	return s->nwarn[row] > 0 ? crt_attr(CRT_WARNING) : crt_attr(CRT_NORMAL);
}

/* The selected site as of the last reload: no SQL on a repaint. */
static void
sites_details(struct view *v, struct sites *s, WINDOW *w)
{
	const struct db_site *x;
	const struct ehttp_note *warn;
	size_t nw;
	int h, width, y = 0;

	getmaxyx(w, h, width);
	if (s->n == 0)
		return;
	x = &s->v[s->list.cursor];
	text_putf(w, y++, 1, width - 2, A_BOLD, "%s %s: %s%s%s", x->code,
	    x->name, site_type_long(x->type), x->parent_code[0] ?
	    ", parent " : "", x->parent_code);
	text_putf(w, y++, 1, width - 2, A_NORMAL, "Client communication: %s."
	    "  Enhanced HTTP: %s.  IISSSLState: %d.", view_sites_comm(&x->sec),
	    x->sec.enhanced_http ? "on" : "off", ehttp_iisssl_state(&x->sec));
	text_putf(w, y++, 1, width - 2, A_NORMAL, "Client PKI certificate: %s."
	    "  CRL check: %s.  Key algorithm: %s.",
	    x->sec.pki_client_cert ? "on" : "off",
	    x->sec.crl_check ? "on" : "off", x->sec.key_alg);
	if (x->type == DB_SITE_PRIMARY)
		text_putf(w, y++, 1, width - 2, A_NORMAL, "Require signing: %s."
		    "  Require SHA-256: %s.  Use encryption: %s.",
		    x->sec.require_signing ? "on" : "off",
		    x->sec.require_sha256 ? "on" : "off",
		    x->sec.use_encryption ? "on" : "off");
	warn = s->warn[s->list.cursor];
	nw = s->nwarn[s->list.cursor];
	for (size_t i = 0; i < nw && y < h; i++)
		text_putf(w, y++, 1, width - 2, crt_attr(CRT_WARNING),
		    "Warning: %s", warn[i].text);
	if (nw == 0 && y < h)
		text_put(w, y++, 1, width - 2, "No warnings.", (size_t)-1,
		    crt_attr(CRT_OK));
}

static void
sites_draw(struct view *v, WINDOW *list, WINDOW *details, int focused)
{
	struct sites *s = v->data;

	list_draw(list, &s->list, sites_cols, SC_MAX, -1, 0, focused,
	    sites_cell, sites_style, s);
	if (s->n == 0)
		text_put(list, 2, 2, 60, "There are no sites: create them with"
		    " ehttpctl site add.", (size_t)-1, crt_attr(CRT_DIM));
	sites_details(v, s, details);
}

const struct view_ops view_sites_ops = {
	.scope = KS_SITES | KS_FIND,
	.open = sites_open,
	.close = sites_close,
	.reload = sites_reload,
	.draw = sites_draw,
	.key = search_view_key,
	.row = "Site",
};
