/*
 * wire-int.h: what the wire-*.c files share. Internal to backend/wire/.
 *
 *   wire-util.c  causes, byte buffers, hex, UTF-16, zlib (bounded)
 *   wire-xml.c   a small element tree over expat, with offsets
 *   wire-reg.c   multipart, the <Msg> header, registration and its reply
 *   wire-cloc.c  the content location request and reply (same framing)
 *   wire-dav.c   a distribution point's WebDAV listing (PROPFIND)
 *   wire-jwt.c   a token's JOSE header (jansson)
 */
#ifndef WIRE_INT_H
#define WIRE_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "wire.h"
#include "xmalloc.h"

/* *cause = the formatted sentence (cause may be NULL); returns -1. */
int		 wire_fail(char **cause, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* A growing byte buffer (xmalloc: aborts only on OOM). */
struct wbuf {
	unsigned char	*d;
	size_t		 len, cap;
};
void		 wbuf_add(struct wbuf *, const void *, size_t);
void		 wbuf_str(struct wbuf *, const char *);
void		 wbuf_printf(struct wbuf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/* Hand the bytes over (the buffer is empty afterwards). */
void		 wbuf_take(struct wbuf *, struct wire_bytes *);
void		 wbuf_free(struct wbuf *);

/*
 * UTF-16: n bytes, little-endian unless be, checked to be whole code units
 * with every surrogate paired ("odd length", "unpaired surrogate at byte
 * N"). what names the text in the cause.
 */
int		 wire_utf16_check(const unsigned char *, size_t, int be,
		    const char *what, char **cause);
/* UTF-8 text (checked with db/util's decoder) appended as UTF-16LE. */
int		 wire_utf16_put(struct wbuf *, const char *utf8, char **cause);

/* zlib stream inflated, refused if it would pass max bytes. */
int		 wire_inflate(const unsigned char *, size_t, size_t max,
		    struct wire_bytes *, const char *what, char **cause);
void		 wire_deflate(const unsigned char *, size_t, struct wire_bytes *);

/* "yyyy-mm-ddThh:mm:ssZ" (timefmt's TIMEFMT_ISO, which writes it) back
 * to a time; -1 if it is not exactly that form or not a real date. */
int		 wire_time_parse(const char *, time_t *);

/* -------------------------------------------- framing (wire-reg.c) */

/* One part of a multipart body: its content, headers skipped. */
struct wire_part {
	const unsigned char	*data;
	size_t			 len;
};
struct wbuf;
/* The two parts of a client message (header, body) of Content-Type ct. */
int		 wire_multipart(const char *ct, const unsigned char *body,
		    size_t len, struct wire_part *parts, char **cause);
int		 wire_msg_decode(const struct wire_part *, struct wire_msg *,
		    char **cause);
/* A reply: at most WIRE_BODY_MAX bytes, a compressed UTF-16LE XML body
 * (+ NUL) inflated, checked and parsed, then its root element must be
 * elem; "what" names it in errors. On failure nothing is left to free. */
struct wx_node;
int		 wire_reply_parse(const unsigned char *z, size_t zlen,
		    const char *what, const char *elem, struct wire_bytes *xml,
		    struct wx_node **root, char **cause);
/*
 * A client message: u (the UTF-16LE body with its NUL) compressed under the
 * <Msg> header m, as multipart/mixed; and back: the two parts of Content-
 * Type ct, the header for endpoint (its TargetEndpoint, the zlib hook), the
 * body ("what" names it in errors) inflated and parsed into *root.
 */
struct wire_msg;
int		 wire_msg_pack(const struct wire_msg *, const struct wbuf *u,
		    struct wire_bytes *out, char **cause);
int		 wire_msg_unpack(const char *ct, const unsigned char *body,
		    size_t len, const char *endpoint, const char *what,
		    struct wire_msg *, struct wire_bytes *xml,
		    struct wx_node **root, char **cause);
/* Compressed UTF-16LE of xml (UTF-8) followed by a UTF-16 NUL. */
int		 wire_body_make(const char *xml, struct wire_bytes *out,
		    char **cause);
/* name="escaped value", with a leading space. */
int		 wire_xattr(struct wbuf *, const char *name, const char *v,
		    char **cause);

/* ------------------------------------------------------------------ XML */

#define WX_DEPTH_MAX	32
#define WX_NODES_MAX	4096

struct wx_node {
	char		*name;		/* UTF-8 */
	char		**attr;		/* name, value, ..., NULL */
	char		*text;		/* direct character data, UTF-8 */
	size_t		 textlen;
	size_t		 start;		/* byte offset of '<' in the input */
	size_t		 end;		/* byte offset just past the end tag */
	struct wx_node	*parent, *child, *last, *next;
};

/*
 * Parse n bytes of XML in encoding ("UTF-16LE"; NULL: from the BOM or
 * declaration). A DOCTYPE is refused. *root is the tree (wx_free).
 */
int		 wx_parse(const unsigned char *, size_t, const char *encoding,
		    const char *what, struct wx_node **root, char **cause);
/* The same with namespaces: each name that has one is
 * "<namespace URI>|<local name>" ("DAV:|response"); at most max_nodes
 * elements and max_bytes of input. */
int		 wx_parse_ns(const unsigned char *, size_t, const char *encoding,
		    const char *what, size_t max_nodes, size_t max_bytes,
		    struct wx_node **root, char **cause);
void		 wx_free(struct wx_node *);
/* First child called name; NULL if none. */
struct wx_node	*wx_child(const struct wx_node *, const char *name);
/* Attribute value, borrowed; NULL if absent. */
const char	*wx_attr(const struct wx_node *, const char *name);

/* XML-escaped UTF-8 text appended (& < > " ' and nothing below U+0020 but
 * tab, CR, LF: those are refused, XML 1.0 cannot carry them). */
int		 wx_escape(struct wbuf *, const char *, char **cause);

#endif
