/*
 * dialog-dpcontent: the Content tab of a distribution point's Properties,
 * the packages the DP holds (ID, name, version, size, state, last change)
 * as Configuration Manager's DP Properties list them. The rows are a
 * window over the database (a count, and the rows near the screen by
 * keyset paging, rowbuf.c), read when the dialog opens and when the
 * cursor moves past what is held, never on a repaint. A package's name is
 * text from whoever added it: it reaches the screen only through
 * text_put(), which shows what is unsafe as '?'.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content.h"
#include "tui.h"
#include "xmalloc.h"

enum { PC_ID, PC_NAME, PC_VERSION, PC_SIZE, PC_STATE, PC_TIME, PC_MAX };

static const struct list_col dpcontent_cols[PC_MAX] = {
	[PC_ID] = { "Package ID", "ID", 8, 10, 0, 0 },
	[PC_NAME] = { "Name", NULL, 8, 24, 1, LIST_ELASTIC },
	[PC_VERSION] = { "Version", "Ver", 3, 7, 2, LIST_RIGHT },
	[PC_SIZE] = { "Size (bytes)", "Size", 10, 12, 2, LIST_RIGHT },
	[PC_STATE] = { "State", NULL, 12, 12, 0, 0 },
	[PC_TIME] = { "Last change (UTC)", "Changed", 16, 17, 1, 0 },
};

struct dpcontent {
	struct app	*app;
	int64_t		 system_id;
	char		 fqdn[256];
	struct rowbuf	 rb;
	struct list	 list;
	int		 error;		/* the last read failed: why */
	char		 why[256];
};

static int
dpcontent_fetch(void *arg, const void *after, int backward, size_t limit,
    void **rows, size_t *n)
{
	struct dpcontent *c = arg;
	struct ehttp *e = app_ehttp(c->app);
	const struct db_dp_package *a = after;
	struct db_dp_package *v = NULL;
	const char *key = a != NULL ? a->id : NULL;
	int rc;

	if (backward)
		rc = ehttp_dp_package_page_before(e, c->system_id, key, limit,
		    &v, n);
	else
		rc = ehttp_dp_package_page(e, c->system_id, key, limit, &v, n);
	*rows = v;
	if (rc == -1) {
		c->error = 1;
		snprintf(c->why, sizeof c->why, "%s", ehttp_error(e));
	}
	return rc;
}

struct dpcontent *
dialog_dpcontent_new(struct app *app, int64_t system_id, const char *fqdn)
{
	struct dpcontent *c;

	c = xcalloc(1, sizeof *c);
	c->app = app;
	c->system_id = system_id;
	snprintf(c->fqdn, sizeof c->fqdn, "%s", fqdn);
	rowbuf_init(&c->rb, sizeof(struct db_dp_package), dpcontent_fetch, c);
	dialog_dpcontent_reload(c);
	return c;
}

void
dialog_dpcontent_free(struct dpcontent *c)
{
	if (c == NULL)
		return;
	rowbuf_clear(&c->rb);
	free(c);
}

int
dialog_dpcontent_reload(struct dpcontent *c)
{
	struct ehttp *e = app_ehttp(c->app);
	size_t total;

	c->error = 0;
	if (ehttp_dp_package_count(e, c->system_id, &total) == -1) {
		c->error = 1;
		snprintf(c->why, sizeof c->why, "%s", ehttp_error(e));
		rowbuf_clear(&c->rb);
		list_set_count(&c->list, 0);
		return -1;
	}
	rowbuf_show(&c->rb, &c->list, total);
	return c->error ? -1 : 0;
}

size_t
dialog_dpcontent_count(const struct dpcontent *c)
{
	return c->list.count;
}

const struct rowbuf *
dialog_dpcontent_rows(const struct dpcontent *c)
{
	return &c->rb;
}

int
dialog_dpcontent_key(struct dpcontent *c, enum keys_action a)
{
	if (!list_key(&c->list, a))
		return 0;
	/* The rows the move shows, read now (the draw only shows them). */
	if (!c->error)
		rowbuf_ensure(&c->rb, c->list.top, c->list.height > 0 ?
		    (size_t)c->list.height : 20);
	return 1;
}

static void
dpcontent_cell(void *arg, size_t row, int col, char *buf, size_t len)
{
	struct dpcontent *c = arg;
	const struct db_dp_package *p = rowbuf_get(&c->rb, row);

	if (p == NULL) {
		if (col == 0)
			snprintf(buf, len, "...");
		return;
	}
	switch (col) {
	case PC_ID:
		snprintf(buf, len, "%s", p->id);
		break;
	case PC_NAME:
		snprintf(buf, len, "%s", p->name);
		break;
	case PC_VERSION:
		snprintf(buf, len, "%lld", (long long)p->version);
		break;
	case PC_SIZE:
		snprintf(buf, len, "%lld", (long long)p->size);
		break;
	case PC_STATE:
		snprintf(buf, len, "%s", p->state);
		break;
	case PC_TIME:
		text_time(p->time, buf, len);
		break;
	}
}

static attr_t
dpcontent_style(void *arg, size_t row)
{
	struct dpcontent *c = arg;
	const struct db_dp_package *p = rowbuf_get(&c->rb, row);

	if (p == NULL)
		return crt_attr(CRT_DIM);
	if (strcmp(p->state, "failed") == 0)
		return crt_attr(CRT_ERROR);
	if (strcmp(p->state, "installed") != 0)
		return crt_attr(CRT_WARNING);
	return crt_attr(CRT_NORMAL);
}

/* The two lines under the list: the selected package's state in words
 * (why a distribution failed is often long). */
static void
dpcontent_detail(struct dpcontent *c, WINDOW *w, int y, int x, int width)
{
	const struct db_dp_package *p = rowbuf_cursor(&c->rb, &c->list);
	attr_t a = crt_attr(CRT_DIALOG);
	char buf[1024];
	size_t len, n, next;

	if (p == NULL)
		return;
	if (strcmp(p->state, "failed") == 0) {
		a = crt_attr(CRT_ERROR);
		snprintf(buf, sizeof buf, "%s: failed: %s", p->id, p->error[0] ?
		    p->error : "no reason recorded");
	} else if (p->version < p->latest) {
		a = crt_attr(CRT_WARNING);
		snprintf(buf, sizeof buf, "%s: %s, version %lld of %lld"
		    " (distribute it again for the latest)", p->id, p->state,
		    (long long)p->version, (long long)p->latest);
	} else
		snprintf(buf, sizeof buf, "%s: %s, version %lld (the latest),"
		    " %lld file%s: %s", p->id, p->state, (long long)p->version,
		    (long long)p->files, p->files == 1 ? "" : "s", p->name);
	len = strlen(buf);
	n = text_wrap(buf, len, width, &next);
	text_put(w, y, x, width, buf, n, a);
	if (next < len)
		text_put(w, y + 1, x, width, buf + next, len - next, a);
}

/*
 * The tab's area of w: a heading, the list (its header and rows) and two
 * lines about the selected package, in h lines from y.
 */
void
dialog_dpcontent_draw(struct dpcontent *c, WINDOW *w, int y, int x, int h,
    int width)
{
	WINDOW *lw;
	char pos[64] = "";

	if (h < 5 || width < 20)
		return;
	if (c->list.count > 0)
		snprintf(pos, sizeof pos, " (%zu of %zu)", c->list.cursor + 1,
		    c->list.count);
	text_putf(w, y, x, width, crt_attr(CRT_DIALOG) | A_BOLD, "Packages on"
	    " %s: %zu%s", c->fqdn, c->list.count, pos);
	if ((lw = derwin(w, h - 3, width, y + 1, x)) == NULL)
		return;
	wbkgdset(lw, ' ' | crt_attr(CRT_NORMAL));
	werase(lw);
	list_draw(lw, &c->list, dpcontent_cols, PC_MAX, -1, 0, 1,
	    dpcontent_cell, dpcontent_style, c);
	if (c->error)
		text_putf(lw, 2, 1, width - 2, crt_attr(CRT_ERROR), "The packages"
		    " could not be read: %s", c->why);
	else if (c->list.count == 0)
		text_put(lw, 2, 1, width - 2, "No package is on this distribution"
		    " point (ehttpctl package distribute ID --dp FQDN).",
		    (size_t)-1, crt_attr(CRT_DIM));
	delwin(lw);
	dpcontent_detail(c, w, y + h - 2, x, width);
}
