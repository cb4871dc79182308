/*
 * keys: the console's key bindings, in one table. The same rows decide
 * what a key does, draw the key bar and write the help screen, so the
 * three can never disagree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"
#include "xmalloc.h"

#define CTRL(c)		((c) & 0x1f)
#define KEY_ESC		27
#define KEY_RETURN	'\r'
#define KEY_NEWLINE	'\n'

#define S_FRAME		(KS_GLOBAL)
#define S_ALLVIEWS	(KS_SITES | KS_SYSTEMS | KS_CERTS | KS_LOG | KS_OVERVIEW | \
			KS_CLIENTS | KS_TOKENS | KS_AGENTS)
#define S_HELPABLE	(KS_GLOBAL | KS_DIALOG | KS_BOX | KS_MENU | KS_PROMPT)

const struct keys_binding keys_table[] = {
	/* Everywhere in the frame. */
	{ KEY_F(1), S_HELPABLE | KS_SMALL, KA_HELP, "Help", 0,
	  "Help: the keys of what is on screen" },
	{ '?', KS_GLOBAL | KS_BOX | KS_MENU, KA_HELP, NULL, 0, NULL },
	{ KEY_F(10), KS_GLOBAL | KS_SMALL, KA_QUIT, "Quit", 99,
	  "Quit the console" },
	{ 'q', KS_GLOBAL | KS_SMALL, KA_QUIT, NULL, 0, NULL },
	{ KEY_F(5), KS_GLOBAL, KA_REFRESH, "Refresh", 60,
	  "Refresh: read the database (or the log) again" },
	{ '\t', KS_GLOBAL, KA_PANE, "Pane", 70,
	  "Switch between the navigation tree and the list" },
	{ KEY_BTAB, KS_GLOBAL, KA_PANE, NULL, 0, NULL },
	{ 't', KS_GLOBAL, KA_TREE_TOGGLE, NULL, 0,
	  "Show or hide the navigation tree" },
	{ 'o', KS_GLOBAL, KA_OPEN_LOG, NULL, 0,
	  "Open a log file (any CMTrace log) by its path" },
	{ '1', KS_GLOBAL, KA_GO_OVERVIEW, NULL, 0, "Go to Overview" },
	{ '2', KS_GLOBAL, KA_GO_SITES, NULL, 0, "Go to Sites" },
	{ '3', KS_GLOBAL, KA_GO_SYSTEMS, NULL, 0,
	  "Go to Servers and Site System Roles" },
	{ '4', KS_GLOBAL, KA_GO_CERTS, NULL, 0, "Go to Certificates" },
	{ '5', KS_GLOBAL, KA_GO_LOG, NULL, 0, "Go to mpcontrol.log" },
	{ '6', KS_GLOBAL, KA_GO_CLIENTS, NULL, 0, "Go to Clients" },

	/* The navigation tree. */
	{ KEY_UP, KS_TREE, KA_UP, NULL, 0, "Previous node" },
	{ 'k', KS_TREE, KA_UP, NULL, 0, NULL },
	{ KEY_DOWN, KS_TREE, KA_DOWN, NULL, 0, "Next node" },
	{ 'j', KS_TREE, KA_DOWN, NULL, 0, NULL },
	{ KEY_HOME, KS_TREE, KA_HOME, NULL, 0, "First node" },
	{ KEY_END, KS_TREE, KA_END, NULL, 0, "Last node" },
	{ KEY_RETURN, KS_TREE, KA_OPEN, "Open", 10,
	  "Open the node: move to its list" },
	{ KEY_ENTER, KS_TREE, KA_OPEN, NULL, 0, NULL },
	{ KEY_NEWLINE, KS_TREE, KA_OPEN, NULL, 0, NULL },
	{ KEY_RIGHT, KS_TREE, KA_OPEN, NULL, 0, NULL },
	{ 'l', KS_TREE, KA_OPEN, NULL, 0, NULL },

	/* Any list. */
	{ KEY_UP, KS_LIST, KA_UP, NULL, 0, "Previous row" },
	{ 'k', KS_LIST, KA_UP, NULL, 0, NULL },
	{ KEY_DOWN, KS_LIST, KA_DOWN, NULL, 0, "Next row" },
	{ 'j', KS_LIST, KA_DOWN, NULL, 0, NULL },
	{ KEY_PPAGE, KS_LIST, KA_PGUP, NULL, 0, "Page up" },
	{ CTRL('b'), KS_LIST, KA_PGUP, NULL, 0, NULL },
	{ KEY_NPAGE, KS_LIST, KA_PGDN, NULL, 0, "Page down" },
	{ CTRL('f'), KS_LIST, KA_PGDN, NULL, 0, NULL },
	{ ' ', KS_LIST, KA_PGDN, NULL, 0, NULL },
	{ KEY_HOME, KS_LIST, KA_HOME, NULL, 0, "First row" },
	{ 'g', KS_LIST, KA_HOME, NULL, 0, NULL },
	{ KEY_END, KS_LIST, KA_END, NULL, 0, "Last row" },
	{ 'G', KS_LIST, KA_END, NULL, 0, NULL },
	{ KEY_LEFT, KS_LIST, KA_LEFT, NULL, 0,
	  "Scroll the columns (logs: the text) left; at the start, back to"
	  " the tree" },
	{ 'h', KS_LIST, KA_LEFT, NULL, 0, NULL },
	{ KEY_RIGHT, KS_LIST, KA_RIGHT, NULL, 0,
	  "Scroll the columns (logs: the text) right when cut off" },
	{ 'l', KS_LIST, KA_RIGHT, NULL, 0, NULL },
	/* Only views that implement find carry KS_FIND in their scope: the
	 * key is neither shown nor active anywhere else. */
	{ '/', KS_FIND, KA_FIND, "Find", 20,
	  "Find text (a new search; certificates: filter by text)" },
	{ 'n', KS_FIND, KA_FIND_NEXT, NULL, 0, "Find next" },
	{ 'N', KS_FIND, KA_FIND_PREV, NULL, 0, "Find previous" },

	/* Views. */
	{ KEY_RETURN, KS_SITES, KA_OPEN, "Properties", 10,
	  "Site Properties: General, Communication Security, Signing and"
	  " Encryption" },
	{ KEY_RETURN, KS_SYSTEMS, KA_OPEN, "Roles", 10,
	  "The site system's roles; Enter on a role opens its Properties" },
	{ KEY_RETURN, KS_CERTS, KA_OPEN, "Details", 10,
	  "Certificate: General, Details (every field), Certification Path" },
	{ KEY_RETURN, KS_LOG, KA_OPEN, "Details", 10,
	  "The whole log record" },
	{ KEY_RETURN, KS_CLIENTS, KA_OPEN, "Actions", 10,
	  "The client's actions (a menu): Approve, Block, Unblock, Delete" },
	{ KEY_RETURN, KS_TOKENS, KA_OPEN, "Actions", 10,
	  "The token's actions (a menu): Block, Unblock" },
	{ KEY_RETURN, KS_AGENTS, KA_OPEN, "Actions", 10,
	  "The agent's actions (a menu): Approve, Revoke" },
	{ KEY_RETURN, KS_OVERVIEW, KA_OPEN, "Go", 10,
	  "Go to the node the line is about" },
	{ KEY_ENTER, S_ALLVIEWS, KA_OPEN, NULL, 0, NULL },
	{ KEY_NEWLINE, S_ALLVIEWS, KA_OPEN, NULL, 0, NULL },
	{ KEY_F(4), KS_CERTS | KS_LOG, KA_FILTER, "Filter", 30,
	  "Filter the list" },
	{ 'c', KS_CERTS | KS_LOG, KA_CLEAR, NULL, 0,
	  "Clear the filter (and in logs the highlight)" },
	{ KEY_F(6), KS_CERTS, KA_SORT, "Sort", 40, "Sort by a column" },
	{ 'i', KS_CERTS, KA_INVERT, NULL, 0, "Invert the sort order" },
	{ 'b', KS_CERTS, KA_BLOCK, "Block", 41, "Block the certificate" },
	{ 'u', KS_CERTS, KA_UNBLOCK, "Unblock", 42,
	  "Unblock the certificate" },
	{ 'r', KS_CERTS, KA_RENEW, "Renew", 43,
	  "Renew the certificate (SMS Issuing: re-issues the site's role"
	  " certificates)" },
	{ 'e', KS_CERTS, KA_EXPORT, "Export", 44,
	  "Export the certificate (PEM or DER)" },
	{ KEY_F(8), KS_CERTS, KA_TOKENS, "Tokens", 35,
	  "Show the bulk registration tokens instead" },
	{ 'T', KS_CERTS, KA_TOKENS, NULL, 0, NULL },
	{ KEY_F(8), KS_TOKENS, KA_TOKENS, "Certificates", 35,
	  "Show the certificates again" },
	{ 'T', KS_TOKENS, KA_TOKENS, NULL, 0, NULL },
	{ 'a', KS_CLIENTS, KA_APPROVE, "Approve", 41,
	  "Approve the client (it can then get tokens)" },
	{ 'b', KS_CLIENTS, KA_BLOCK, "Block", 42,
	  "Block the client (asks first): its tokens are refused" },
	{ 'u', KS_CLIENTS, KA_UNBLOCK, "Unblock", 43, "Unblock the client" },
	{ KEY_DC, KS_CLIENTS, KA_DELETE, "Delete", 44,
	  "Delete the client's record (asks first)" },
	{ 'd', KS_CLIENTS, KA_DELETE, NULL, 0, NULL },
	{ 'b', KS_TOKENS, KA_BLOCK, "Block", 41,
	  "Block the token (asks first): it approves nobody" },
	{ 'u', KS_TOKENS, KA_UNBLOCK, "Unblock", 42, "Unblock the token" },
	{ 'n', KS_TOKENS, KA_NEW, "New", 43,
	  "New bulk registration token (shown once, never stored)" },
	{ 'a', KS_AGENTS, KA_APPROVE, "Approve", 41,
	  "Approve the agent: asks for the fingerprint it printed; the keys"
	  " its system serves are sealed to it" },
	{ KEY_DC, KS_AGENTS, KA_DELETE, "Revoke", 42,
	  "Revoke the agent (asks first): its keys go, what it could read is"
	  " renewed" },
	{ 'r', KS_AGENTS, KA_DELETE, NULL, 0, NULL },
	{ KEY_F(7), KS_LOG, KA_HIGHLIGHT, "Highlight", 40,
	  "Highlight the records that contain a text" },
	{ 'e', KS_LOG, KA_ERROR_LOOKUP, "Lookup", 42,
	  "Error Lookup: decode the error codes of the record" },
	{ 'f', KS_LOG, KA_FOLLOW, "Follow", 41,
	  "Follow new lines (tail) on or off" },
	{ ']', KS_LOG, KA_DETAILS_DOWN, NULL, 0,
	  "Scroll the details pane down (long records)" },
	{ KEY_SNEXT, KS_LOG, KA_DETAILS_DOWN, NULL, 0, NULL },
	{ '[', KS_LOG, KA_DETAILS_UP, NULL, 0, "Scroll the details pane up" },
	{ KEY_SPREVIOUS, KS_LOG, KA_DETAILS_UP, NULL, 0, NULL },

	/* Forms (properties, filter, export). */
	{ '\t', KS_DIALOG, KA_NEXT_FIELD, "Next", 20,
	  "Next control or button (the focus ring)" },
	{ KEY_BTAB, KS_DIALOG, KA_PREV_FIELD, NULL, 0,
	  "Previous control or button" },
	{ KEY_NPAGE, KS_DIALOG, KA_NEXT_TAB, "Next tab", 25, "Next tab" },
	{ KEY_PPAGE, KS_DIALOG, KA_PREV_TAB, NULL, 0, "Previous tab" },
	{ KEY_UP, KS_DIALOG, KA_UP, NULL, 0, "Previous control" },
	{ KEY_DOWN, KS_DIALOG, KA_DOWN, "Move", 30, "Next control" },
	{ KEY_LEFT, KS_DIALOG, KA_LEFT, NULL, 0,
	  "Previous button or choice" },
	{ KEY_RIGHT, KS_DIALOG, KA_RIGHT, NULL, 0, "Next button or choice" },
	/* A list on a tab (a distribution point's Content): Up and Down
	 * move in it, these go further (PgUp/PgDn stay the tabs'). */
	{ KEY_HOME, KS_DIALOG, KA_HOME, NULL, 0,
	  "First row of a list on the tab (Content)" },
	{ KEY_END, KS_DIALOG, KA_END, NULL, 0,
	  "Last row of a list on the tab (Content)" },
	{ CTRL('b'), KS_DIALOG, KA_PGUP, NULL, 0,
	  "A page up in a list on the tab (Content)" },
	{ CTRL('f'), KS_DIALOG, KA_PGDN, NULL, 0,
	  "A page down in a list on the tab (Content)" },
	{ KEY_F(5), KS_DIALOG, KA_REFRESH, NULL, 0,
	  "Read a list on the tab again (Content: a distribution follows)" },
	{ ' ', KS_DIALOG, KA_TOGGLE, "Toggle", 10,
	  "Tick or clear a check box, choose a radio button, press a button" },
	{ KEY_RETURN, KS_DIALOG, KA_OK, "OK", 40,
	  "OK (or the focused button)" },
	{ KEY_ENTER, KS_DIALOG, KA_OK, NULL, 0, NULL },
	{ KEY_NEWLINE, KS_DIALOG, KA_OK, NULL, 0, NULL },
	{ KEY_ESC, KS_DIALOG, KA_CANCEL, "Cancel", 50, "Cancel" },

	/* Message boxes and text. */
	{ KEY_UP, KS_BOX | KS_MENU, KA_UP, NULL, 0, "Up" },
	{ 'k', KS_BOX | KS_MENU, KA_UP, NULL, 0, NULL },
	{ KEY_DOWN, KS_BOX | KS_MENU, KA_DOWN, NULL, 0, "Down" },
	{ 'j', KS_BOX | KS_MENU, KA_DOWN, NULL, 0, NULL },
	{ KEY_PPAGE, KS_BOX | KS_MENU, KA_PGUP, NULL, 0, "Page up" },
	{ KEY_NPAGE, KS_BOX | KS_MENU, KA_PGDN, NULL, 0, "Page down" },
	{ KEY_HOME, KS_BOX | KS_MENU, KA_HOME, NULL, 0, "Top" },
	{ KEY_END, KS_BOX | KS_MENU, KA_END, NULL, 0, "Bottom" },
	{ '\t', KS_BOX, KA_NEXT_FIELD, "Next", 20,
	  "Next button (with one button: next tab)" },
	{ KEY_BTAB, KS_BOX, KA_PREV_FIELD, NULL, 0,
	  "Previous button (with one button: previous tab)" },
	{ KEY_LEFT, KS_BOX, KA_LEFT, NULL, 0, "Previous button" },
	{ KEY_RIGHT, KS_BOX, KA_RIGHT, NULL, 0, "Next button" },
	{ KEY_RETURN, KS_BOX | KS_MENU | KS_PROMPT, KA_OK, "OK", 40,
	  "OK (or the focused button)" },
	{ KEY_ENTER, KS_BOX | KS_MENU | KS_PROMPT, KA_OK, NULL, 0, NULL },
	{ KEY_NEWLINE, KS_BOX | KS_MENU | KS_PROMPT, KA_OK, NULL, 0, NULL },
	{ KEY_ESC, KS_BOX | KS_MENU | KS_PROMPT, KA_CANCEL, "Close", 50,
	  "Close or cancel" },
	{ 'q', KS_BOX | KS_MENU, KA_CANCEL, NULL, 0, NULL },

	/* Long work (the progress box): every other key is discarded. */
	{ KEY_ESC, KS_PROGRESS, KA_CANCEL, "Cancel", 50,
	  "Cancel the work (asks first; the site stays as it was)" },
	{ 'c', KS_PROGRESS, KA_CANCEL, NULL, 0, NULL },
};
const size_t keys_count = sizeof keys_table / sizeof keys_table[0];

const unsigned keys_contexts[] = {
	KS_GLOBAL | KS_TREE,
	KS_GLOBAL | KS_LIST | KS_OVERVIEW,
	KS_GLOBAL | KS_LIST | KS_FIND | KS_SITES,
	KS_GLOBAL | KS_LIST | KS_FIND | KS_SYSTEMS,
	KS_GLOBAL | KS_LIST | KS_FIND | KS_CERTS,
	KS_GLOBAL | KS_LIST | KS_TOKENS,
	KS_GLOBAL | KS_LIST | KS_CLIENTS,
	KS_GLOBAL | KS_LIST | KS_AGENTS,
	KS_GLOBAL | KS_LIST | KS_FIND | KS_LOG,
	KS_DIALOG, KS_BOX, KS_MENU, KS_PROMPT, KS_SMALL, KS_PROGRESS,
};
const size_t keys_ncontexts = sizeof keys_contexts / sizeof keys_contexts[0];

enum keys_action
keys_lookup(int key, unsigned scopes)
{
	for (size_t i = 0; i < keys_count; i++)
		if (keys_table[i].key == key && (keys_table[i].scope & scopes))
			return keys_table[i].action;
	return KA_NONE;
}

const char *
keys_name(int key, char *buf, size_t len)
{
	static const struct { int key; const char *name; } names[] = {
		{ KEY_RETURN, "Enter" }, { KEY_ENTER, "Enter" },
		{ KEY_NEWLINE, "Enter" }, { '\t', "Tab" },
		{ KEY_BTAB, "S-Tab" }, { KEY_ESC, "Esc" }, { ' ', "Space" },
		{ KEY_UP, "Up" }, { KEY_DOWN, "Down" }, { KEY_LEFT, "Left" },
		{ KEY_RIGHT, "Right" }, { KEY_PPAGE, "PgUp" }, { KEY_DC, "Del" },
		{ KEY_NPAGE, "PgDn" }, { KEY_HOME, "Home" }, { KEY_END, "End" },
		{ KEY_SPREVIOUS, "S-PgUp" }, { KEY_SNEXT, "S-PgDn" },
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].key == key) {
			snprintf(buf, len, "%s", names[i].name);
			return buf;
		}
	if (key >= KEY_F(1) && key <= KEY_F(12))
		snprintf(buf, len, "F%d", key - KEY_F(0));
	else if (key > 0 && key < 32)
		snprintf(buf, len, "^%c", key + '@');
	else if (key > 32 && key < 127)
		snprintf(buf, len, "%c", key);
	else
		snprintf(buf, len, "key %d", key);
	return buf;
}

#define BAR_MAX	64	/* entries on a bar at the most */

/* The bar entries of a context in bar order; returns how many. */
static size_t
bar_entries(unsigned scopes, const struct keys_binding **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < keys_count && n < max; i++) {
		const struct keys_binding *b = &keys_table[i];

		if (b->bar == NULL || !(b->scope & scopes))
			continue;
		/* A key claimed earlier in the table by this context wins. */
		if (keys_lookup(b->key, scopes) != b->action)
			continue;
		out[n++] = b;
	}
	/* Insertion sort by bar_order (stable). */
	for (size_t i = 1; i < n; i++) {
		const struct keys_binding *t = out[i];
		size_t j = i;

		while (j > 0 && out[j - 1]->bar_order > t->bar_order) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = t;
	}
	return n;
}

/*
 * Which entries fit in width: the first (Help) and the last (Quit or
 * Cancel) always, the others in order while they fit.
 */
static size_t
bar_fit(const struct keys_binding **v, size_t n, int width, int *keep)
{
	char name[32];
	int used = 0, w;
	size_t shown = 0;

	for (size_t i = 0; i < n; i++)
		keep[i] = 0;
	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			int must = (i == 0 || i == n - 1);

			if ((pass == 0) != must || keep[i])
				continue;
			keys_name(v[i]->key, name, sizeof name);
			w = (int)strlen(name) + (int)strlen(v[i]->bar) + 1;
			if (used + w > width)
				continue;
			keep[i] = 1;
			used += w;
			shown++;
		}
	}
	return shown;
}

/* The entries shown on a bar width columns wide, in bar order. */
static size_t
bar_shown(unsigned scopes, int width, const struct keys_binding **v)
{
	int keep[BAR_MAX];
	size_t n, shown = 0;

	n = bar_entries(scopes, v, BAR_MAX);
	bar_fit(v, n, width, keep);
	for (size_t i = 0; i < n; i++)
		if (keep[i])
			v[shown++] = v[i];
	return shown;
}

void
keys_bar_text(unsigned scopes, int width, char *buf, size_t len)
{
	const struct keys_binding *v[BAR_MAX];
	char name[32];
	size_t n, off = 0;

	buf[0] = '\0';
	n = bar_shown(scopes, width, v);
	for (size_t i = 0; i < n; i++) {
		keys_name(v[i]->key, name, sizeof name);
		off += snprintf(buf + off, off < len ? len - off : 0, "%s%s%s",
		    off ? " " : "", name, v[i]->bar);
		if (off >= len)
			break;
	}
}

void
keys_draw_bar(WINDOW *w, unsigned scopes)
{
	const struct keys_binding *v[BAR_MAX];
	int x = 0, width, h;
	char name[32];
	size_t n;

	getmaxyx(w, h, width);
	(void)h;
	n = bar_shown(scopes, width, v);
	for (size_t i = 0; i < n; i++) {
		keys_name(v[i]->key, name, sizeof name);
		x += text_put(w, 0, x, width - x, name, (size_t)-1,
		    crt_attr(CRT_BAR_KEY));
		x += text_put(w, 0, x, width - x, v[i]->bar, (size_t)-1,
		    crt_attr(CRT_BAR_LABEL));
		if (x < width)
			x += text_put(w, 0, x, width - x, " ", 1,
			    crt_attr(CRT_NORMAL));
	}
	if (x < width)
		text_fill(w, 0, x, width - x, crt_attr(CRT_BAR_LABEL));
}

static void
push_line(char ***v, size_t *n, size_t *cap, char *s)
{
	*v = xgrowarray(*v, cap, *n, 32, sizeof **v);
	(*v)[(*n)++] = s;
}

/* Is name already one of the ", "-separated names in list? */
static int
seen(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list;

	while (*p != '\0') {
		if (strncmp(p, name, len) == 0 && (p[len] == '\0' ||
		    p[len] == ','))
			return 1;
		if ((p = strchr(p, ',')) == NULL)
			break;
		p += 2;
	}
	return 0;
}

char **
keys_help(unsigned scopes, size_t *n)
{
	static const struct { unsigned scope; const char *title; } parts[] = {
		{ KS_GLOBAL, "Everywhere" },
		{ KS_TREE, "Navigation tree" },
		{ KS_LIST, "Lists" },
		{ KS_FIND, "Lists with find" },
		{ KS_OVERVIEW, "Overview" },
		{ KS_SITES, "Sites" },
		{ KS_SYSTEMS, "Servers and Site System Roles" },
		{ KS_CERTS, "Certificates" },
		{ KS_TOKENS, "Certificates: bulk registration tokens" },
		{ KS_CLIENTS, "Clients" },
		{ KS_AGENTS, "Agents" },
		{ KS_LOG, "Log viewer" },
		{ KS_DIALOG, "Dialogs" },
		{ KS_BOX, "Messages and text" },
		{ KS_MENU, "Menus" },
		{ KS_PROMPT, "Text fields" },
		{ KS_PROGRESS, "Long work" },
	};
	char **v = NULL, *s, keys[96], name[32];
	unsigned char *done;
	size_t cap = 0;

	*n = 0;
	done = xcalloc(keys_count, 1);
	for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++) {
		int header = 0;

		if (!(parts[p].scope & scopes))
			continue;
		for (size_t i = 0; i < keys_count; i++) {
			const struct keys_binding *b = &keys_table[i];
			size_t off = 0;

			if (b->help == NULL || done[i] ||
			    !(b->scope & parts[p].scope))
				continue;
			done[i] = 1;
			keys[0] = '\0';
			/* Every key of this action in this part; the other
			 * keys' rows carry no help of their own. */
			for (size_t j = 0; j < keys_count; j++) {
				const struct keys_binding *c = &keys_table[j];

				if (c->action != b->action ||
				    !(c->scope & parts[p].scope) ||
				    (j != i && c->help != NULL))
					continue;
				keys_name(c->key, name, sizeof name);
				if (seen(keys, name))
					continue;
				off += snprintf(keys + off, sizeof keys - off,
				    "%s%s", off ? ", " : "", name);
				if (off >= sizeof keys)
					break;
			}
			if (!header) {
				if (*n > 0)
					push_line(&v, n, &cap, xstrdup(""));
				push_line(&v, n, &cap, xstrdup(parts[p].title));
				header = 1;
			}
			xasprintf(&s, "  %-18s %s", keys, b->help);
			push_line(&v, n, &cap, s);
		}
	}
	free(done);
	return v;
}
