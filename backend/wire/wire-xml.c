/*
 * wire-xml.c: a small element tree over expat. Each element keeps its
 * name, attributes, direct character data and the byte offsets of its
 * start tag and of the end of its end tag in the input, so that the exact
 * bytes a client signed can be cut out of the body. Bounded: at most
 * WX_DEPTH_MAX levels and WX_NODES_MAX elements; a DOCTYPE stops the parse
 * (no entity can be declared, none expanded, nothing is loaded).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "wire-int.h"

struct wx_parse {
	XML_Parser	 p;
	struct wx_node	*root, *cur;
	size_t		 nodes, depth, max_nodes;
	char		*why;		/* our reason for stopping */
};

static void
wx_stop(struct wx_parse *w, const char *why)
{
	if (w->why == NULL)
		w->why = xstrdup(why);
	XML_StopParser(w->p, XML_FALSE);
}

static void XMLCALL
wx_start(void *arg, const XML_Char *name, const XML_Char **atts)
{
	struct wx_parse *w = arg;
	struct wx_node *n;
	size_t na = 0;

	if (w->why != NULL)
		return;
	if (++w->nodes > w->max_nodes) {
		wx_stop(w, "more elements than allowed");
		return;
	}
	if (w->depth >= WX_DEPTH_MAX) {
		wx_stop(w, "elements nested too deep");
		return;
	}
	while (atts[na] != NULL)
		na++;
	n = xcalloc(1, sizeof *n);
	n->name = xstrdup(name);
	n->attr = xcalloc(na + 1, sizeof *n->attr);
	for (size_t i = 0; i < na; i++)
		n->attr[i] = xstrdup(atts[i]);
	n->start = (size_t)XML_GetCurrentByteIndex(w->p);
	n->parent = w->cur;
	if (w->cur == NULL)
		w->root = n;
	else if (w->cur->last == NULL)
		w->cur->child = w->cur->last = n;
	else
		w->cur->last = w->cur->last->next = n;
	w->cur = n;
	w->depth++;
}

static void XMLCALL
wx_end(void *arg, const XML_Char *name)
{
	struct wx_parse *w = arg;

	if (w->why != NULL || w->cur == NULL)
		return;
	w->cur->end = (size_t)XML_GetCurrentByteIndex(w->p) +
	    (size_t)XML_GetCurrentByteCount(w->p);
	if (w->cur->end < w->cur->start)	/* <x/>: no end tag of its own */
		w->cur->end = w->cur->start;
	w->cur = w->cur->parent;
	w->depth--;
}

static void XMLCALL
wx_text(void *arg, const XML_Char *s, int len)
{
	struct wx_parse *w = arg;
	struct wx_node *n = w->cur;

	if (w->why != NULL || n == NULL || len <= 0)
		return;
	n->text = xreallocarray(n->text, n->textlen + (size_t)len + 1, 1);
	memcpy(n->text + n->textlen, s, (size_t)len);
	n->textlen += (size_t)len;
	n->text[n->textlen] = '\0';
}

static void XMLCALL
wx_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	wx_stop(arg, "a DOCTYPE is not allowed");
}

static void XMLCALL
wx_entity(void *arg, const XML_Char *name, int pe, const XML_Char *value,
    int len, const XML_Char *base, const XML_Char *sysid,
    const XML_Char *pubid, const XML_Char *notation)
{
	wx_stop(arg, "an entity declaration is not allowed");
}

void
wx_free(struct wx_node *n)
{
	struct wx_node *next;

	while (n != NULL) {
		next = n->next;
		wx_free(n->child);
		free(n->name);
		for (size_t i = 0; n->attr != NULL && n->attr[i] != NULL; i++)
			free(n->attr[i]);
		free(n->attr);
		free(n->text);
		free(n);
		n = next;
	}
}

static int
wx_parse_x(const unsigned char *in, size_t n, const char *encoding,
    const char *what, int ns, size_t max_nodes, size_t max_bytes,
    struct wx_node **root, char **cause)
{
	struct wx_parse w;
	int rc = -1;

	*root = NULL;
	memset(&w, 0, sizeof w);
	w.max_nodes = max_nodes;
	if (n > max_bytes || n > INT32_MAX)
		return wire_fail(cause, "%s: XML too large", what);
	if ((w.p = ns ? XML_ParserCreateNS(encoding, '|') :
	    XML_ParserCreate(encoding)) == NULL)
		return wire_fail(cause, "%s: cannot start the XML parser", what);
	XML_SetUserData(w.p, &w);
	XML_SetElementHandler(w.p, wx_start, wx_end);
	XML_SetCharacterDataHandler(w.p, wx_text);
	XML_SetStartDoctypeDeclHandler(w.p, wx_doctype);
	XML_SetEntityDeclHandler(w.p, wx_entity);
	if (XML_Parse(w.p, (const char *)in, (int)n, XML_TRUE) !=
	    XML_STATUS_OK) {
		if (w.why != NULL)
			wire_fail(cause, "%s: %s", what, w.why);
		else
			wire_fail(cause, "%s: XML error at line %lu column %lu: "
			    "%s", what, XML_GetCurrentLineNumber(w.p),
			    XML_GetCurrentColumnNumber(w.p) + 1,
			    XML_ErrorString(XML_GetErrorCode(w.p)));
		goto out;
	}
	if (w.root == NULL) {
		wire_fail(cause, "%s: no XML element", what);
		goto out;
	}
	*root = w.root;
	w.root = NULL;
	rc = 0;
out:
	wx_free(w.root);
	free(w.why);
	XML_ParserFree(w.p);
	return rc;
}

int
wx_parse(const unsigned char *in, size_t n, const char *encoding,
    const char *what, struct wx_node **root, char **cause)
{
	return wx_parse_x(in, n, encoding, what, 0, WX_NODES_MAX,
	    WIRE_INFLATE_MAX, root, cause);
}

int
wx_parse_ns(const unsigned char *in, size_t n, const char *encoding,
    const char *what, size_t max_nodes, size_t max_bytes,
    struct wx_node **root, char **cause)
{
	return wx_parse_x(in, n, encoding, what, 1, max_nodes, max_bytes, root,
	    cause);
}

struct wx_node *
wx_child(const struct wx_node *n, const char *name)
{
	if (n == NULL)
		return NULL;
	for (struct wx_node *c = n->child; c != NULL; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const char *
wx_attr(const struct wx_node *n, const char *name)
{
	if (n == NULL)
		return NULL;
	for (size_t i = 0; n->attr[i] != NULL; i += 2)
		if (strcmp(n->attr[i], name) == 0)
			return n->attr[i + 1];
	return NULL;
}

int
wx_escape(struct wbuf *b, const char *s, char **cause)
{
	static const char *const entity[128] = {
		['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;",
		['"'] = "&quot;", ['\''] = "&apos;",
		['\t'] = "&#9;", ['\n'] = "&#10;", ['\r'] = "&#13;",
	};
	unsigned char ch;

	for (; (ch = (unsigned char)*s) != '\0'; s++) {
		if (ch < 128 && entity[ch] != NULL)
			wbuf_str(b, entity[ch]);
		else if (ch < 0x20 || ch == 0x7f)
			return wire_fail(cause, "a control character (0x%02x)"
			    " cannot be sent in XML", ch);
		else
			wbuf_add(b, s, 1);
	}
	return 0;
}
