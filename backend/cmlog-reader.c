/*
 * CMTrace log reader: the file is mmap'ed, records are found incrementally
 * (an array of start offsets, a type byte and a line step each, a line
 * number every 64 records; a UTF-8 file is read in windows for that) and
 * parsed again from the map on demand. Every scan is linear: the position
 * of the next line break and of the next "]LOG]!>" are cached, so long
 * lines holding many records or none cost one pass.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "cmlog.h"
#include "safetext.h"
#include "utf8.h"
#include "xmalloc.h"

#define CMLOG_OPEN_MARK		"<![LOG["
#define CMLOG_CLOSE_MARK	"]LOG]!>"
#define CMLOG_MARK_LEN		7
#define CMLOG_CK_SHIFT		6	/* a line checkpoint every 64 records */
#define CMLOG_INFO_MALFORMED	0x80
#define CMLOG_DLINE_FAR		255
#define CMLOG_HEAD_MAX		64	/* bytes kept to notice a rewrite */
#define CMLOG_PREFAULT		(4u << 20) /* map ahead of the indexer */
#define CMLOG_PAR_PART		(2u << 20) /* least bytes for one worker */
#define CMLOG_PAR_MAX		8	/* most threads */
#define CMLOG_PAR_CHUNKS	32	/* most chunks of a range */
#define CMLOG_AHEAD		2048	/* prefetch distance of the indexer */

enum cmlog_attr {
	CMLOG_A_TIME,
	CMLOG_A_DATE,
	CMLOG_A_COMPONENT,
	CMLOG_A_CONTEXT,
	CMLOG_A_TYPE,
	CMLOG_A_THREAD,
	CMLOG_A_FILE,
	CMLOG_A_COUNT
};

static const char *const cmlog_attr_names[CMLOG_A_COUNT] = {
	"time", "date", "component", "context", "type", "thread", "file"
};

/* What each attribute starts with, and its length. */
static const struct {
	char		 lead[16];	/* zero-padded: read a word at a time */
	size_t		 len;
} cmlog_attr_lead[CMLOG_A_COUNT] = {
#define CMLOG_LEAD(s)	{ s "=\"", sizeof s + 1 }
	CMLOG_LEAD("time"), CMLOG_LEAD("date"), CMLOG_LEAD("component"),
	CMLOG_LEAD("context"), CMLOG_LEAD("type"), CMLOG_LEAD("thread"),
	CMLOG_LEAD("file")
#undef CMLOG_LEAD
};

enum cmlog_err {
	CMLOG_E_NONE,
	CMLOG_E_JUNK,		/* text outside a record */
	CMLOG_E_UNTERMINATED,	/* no ]LOG]!> before EOF or the next record */
	CMLOG_E_EOF,		/* EOF inside the attribute block */
	CMLOG_E_LT,		/* no '<' after ]LOG]!> */
	CMLOG_E_NAME,		/* expected name=" */
	CMLOG_E_VALUE_OPEN,	/* line ends inside a value */
	CMLOG_E_GT,		/* no '>' after the attributes */
	CMLOG_E_BAD_VALUE	/* time, date, type or thread unparseable */
};

/* Next line break / terminator at or after a position, found once. */
struct cmlog_cache {
	size_t	 nl_from, nl;		/* valid for nl_from <= p <= nl */
	size_t	 rb_from, rb;
	int	 nl_ok, rb_ok;
};

struct cmlog_scan {
	size_t		 text, text_len;
	size_t		 next;		/* where the next record may start */
	uint64_t	 nl;		/* line breaks in [start, next) */
	int		 malformed;
	int		 partial;	/* ended by EOF: may change if it grows */
	enum cmlog_err	 err;
	int		 err_attr;
	size_t		 err_pos;
	size_t		 val[CMLOG_A_COUNT], vlen[CMLOG_A_COUNT];
	int		 type;
	unsigned long	 thread;
	int		 thread_num;
	int		 has_when;
	int		 tz_known, tz_bias;
	int		 hour, min, sec, msec, mon, mday, year;
};

/*
 * The attribute block of the last well-formed record the indexer read, as
 * a template: a record whose block has the same bytes but for its time
 * (in ehttp's form, HH:MM:SS.mmm+BBB) and a one-digit type is well-formed
 * too, and only those two are read again. Logs repeat their component,
 * thread and file from record to record. The index keeps a record's type
 * and where the next starts: that is all a match gives (a record got is
 * scanned in full).
 */
#define CMLOG_TPL_MAX		240	/* longest block kept (bytes) */
#define CMLOG_TPL_CHUNKS	(CMLOG_TPL_MAX / 16)

struct cmlog_tpl {
	size_t		 len;		/* '<' to '>'; 0: no template */
	uint16_t	 skip[CMLOG_TPL_CHUNKS];	/* bytes not compared */
	unsigned char	 b[CMLOG_TPL_MAX];
	size_t		 time;		/* its value, from '<' */
	size_t		 type_at;	/* the type's one digit, or 0 */
	int		 type;		/* else the type */
};

/* How the file is read: in place, or transcoded to UTF-8 with LF. */
enum cmlog_enc {
	CMLOG_ENC_UTF8,		/* read in place */
	CMLOG_ENC_UTF8_CR,	/* UTF-8, lines end with a lone CR */
	CMLOG_ENC_UTF16LE,
	CMLOG_ENC_UTF16BE
};

struct cmlog_reader {
	char			*path;
	int			 fd;
	dev_t			 dev;
	ino_t			 ino;
	const unsigned char	*map;		/* what is scanned: UTF-8 */
	size_t			 size;		/* its bytes */

	/* The file's own map, and the transcoding of it (not UTF-8). */
	const unsigned char	*src;
	size_t			 src_size;
	enum cmlog_enc		 enc;
	size_t			 src_skip;	/* its BOM */
	size_t			 src_done;	/* bytes transcoded */
	int			 src_end;	/* transcoded up to its end */
	unsigned char		*tbuf;		/* reserved for the worst case */
	size_t			 tcap;

	uint64_t		*off;		/* record start offsets */
	uint8_t			*info;		/* type + 1, or MALFORMED */
	uint64_t		*ckline;	/* line of record k << CK_SHIFT */
	uint8_t			*dline;		/* line - its checkpoint's, or
						   CMLOG_DLINE_FAR: count */
	uint64_t		*lines;		/* a worker's: every record's */
	size_t			 count, cap;

	size_t			 pos;		/* next byte to index */

	/*
	 * A UTF-8 file is indexed through pread(2) into wbuf, one window at
	 * a time, scanned as if it were the map: offsets in the window plus
	 * base are offsets in the file. bol0: the window starts a line.
	 */
	unsigned char		*wbuf;
	size_t			 wcap;
	/* The last window read, kept for cmlog_reader_get(): the file's
	 * bytes [iwbase, iwbase + iwlen) at wbuf + (iwbase > 0). iwok: the
	 * file was seen to still hold them (1), not (-1), not asked (0). */
	size_t			 iwbase, iwlen;
	int			 iwok;
	size_t			 base;
	int			 windowed;
	int			 bol0;
	size_t			 prefaulted;	/* map populated up to here */
	size_t			 fetched;	/* prefetched up to here */
	size_t			 page;		/* sysconf(_SC_PAGESIZE) */

	/*
	 * cmlog_reader_get() of a UTF-8 file reads records through gbuf, a
	 * window of the file read with pread(2), for the reason the index
	 * does; the text of the last record got points into it.
	 */
	unsigned char		*gbuf;
	size_t			 gcap;
	size_t			 gbase;		/* file offset of gbuf[0] */
	size_t			 glen;		/* bytes in it; 0: none */
	long			 cpus;		/* ..._NPROCESSORS_ONLN */
	uint64_t		 line;		/* line number at pos */
	int			 partial;	/* last record cut by EOF */
	uint64_t		 partial_line;
	int			 blank_tail;	/* EOF inside a line's blanks */
	size_t			 blank_start;	/* ...that line's start */
	uint64_t		 blank_line;
	struct cmlog_cache	 cache;
	struct cmlog_tpl	 tpl;		/* the indexer's */

	unsigned char		 head[CMLOG_HEAD_MAX];
	size_t			 head_len;
	char			 error[256];
};

static void __attribute__((format(printf, 2, 3)))
cmlog_reader_set_error(struct cmlog_reader *rd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rd->error, sizeof rd->error, fmt, ap);
	va_end(ap);
}

/* ---- scanning ---------------------------------------------------------- */

static size_t
cmlog_next_nl(const struct cmlog_reader *rd, struct cmlog_cache *c,
    size_t p)
{
	const unsigned char *q;

	if (c->nl_ok && c->nl_from <= p && p <= c->nl)
		return c->nl;
	q = p < rd->size ? memchr(rd->map + p, '\n', rd->size - p) : NULL;
	c->nl_from = p;
	c->nl = q == NULL ? rd->size : (size_t)(q - rd->map);
	c->nl_ok = 1;
	return c->nl;
}

static size_t
cmlog_next_close(const struct cmlog_reader *rd, struct cmlog_cache *c,
    size_t p)
{
	const unsigned char *m = rd->map, *q;
	size_t from = p;

	if (c->rb_ok && c->rb_from <= p && p <= c->rb)
		return c->rb;
	for (;;) {
		if (p >= rd->size ||
		    (q = memchr(m + p, ']', rd->size - p)) == NULL) {
			p = rd->size;
			break;
		}
		p = (size_t)(q - m);
		if (rd->size - p >= CMLOG_MARK_LEN &&
		    memcmp(q, CMLOG_CLOSE_MARK, CMLOG_MARK_LEN) == 0)
			break;
		p++;
	}
	c->rb_from = from;
	c->rb = p;
	c->rb_ok = 1;
	return p;
}

static int
cmlog_is_open(const struct cmlog_reader *rd, size_t p)
{
	return rd->size - p >= CMLOG_MARK_LEN &&
	    memcmp(rd->map + p, CMLOG_OPEN_MARK, CMLOG_MARK_LEN) == 0;
}

/* End of the text of a line ending at nl (a '\n' or EOF): drop a CR. */
static size_t
cmlog_line_end(const struct cmlog_reader *rd, size_t start, size_t nl)
{
	if (nl > start && rd->map[nl - 1] == '\r')
		nl--;
	return nl;
}

/* Digits at v[*i], between min and max of them, into *out. */
static inline int
cmlog_digits(const unsigned char *v, size_t n, size_t *i, int min, int max,
    int *out)
{
	size_t j = *i, lim = n - j < (size_t)max ? n : j + (size_t)max;
	int x = 0;

	for (; j < lim && (unsigned)(v[j] - '0') < 10; j++)
		x = x * 10 + (v[j] - '0');
	if (j - *i < (size_t)min)
		return -1;
	*i = j;
	*out = x;
	return 0;
}

/*
 * A placeholder for a value that is not given: empty, blanks only, or
 * "Empty" (a common script template writes context="Empty" thread="Empty").
 */
static int
cmlog_placeholder(const unsigned char *v, size_t n)
{
	size_t i = 0;

	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	if (i == n)
		return 1;
	return n - i >= 5 && (v[i] | 0x20) == 'e' &&
	    strncasecmp((const char *)v + i, "empty", 5) == 0 &&
	    cmlog_placeholder(v + i + 5, n - i - 5) && (i + 5 == n ||
	    v[i + 5] == ' ' || v[i + 5] == '\t');
}

/*
 * H:M:S[.fraction][offset], 1- or 2-digit parts, a fraction of any number
 * of digits (none after the dot too), an offset that is missing, +N, -N
 * or the doubled sign +-N (a script writing "+" + a negative bias), blanks
 * allowed before it. An offset beyond a day is kept unknown.
 */
static int
cmlog_parse_time(const unsigned char *v, size_t n, struct cmlog_scan *s)
{
	size_t i = 0;
	int k = 0, ms = 0, off, neg;

	if (cmlog_digits(v, n, &i, 1, 2, &s->hour) == -1 ||
	    i >= n || v[i++] != ':' ||
	    cmlog_digits(v, n, &i, 1, 2, &s->min) == -1 ||
	    i >= n || v[i++] != ':' ||
	    cmlog_digits(v, n, &i, 1, 2, &s->sec) == -1)
		return -1;
	if (i < n && v[i] == '.') {
		i++;
		while (i < n && v[i] >= '0' && v[i] <= '9') {
			if (k < 3)
				ms = ms * 10 + (v[i] - '0');
			k++;
			i++;
		}
		for (; k < 3; k++)
			ms *= 10;
	}
	s->msec = ms;
	s->tz_known = 0;
	s->tz_bias = 0;
	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	if (i < n && (v[i] == '+' || v[i] == '-')) {
		neg = v[i++] == '-';
		if (i < n && v[i] == '-' && !neg) {
			neg = 1;
			i++;
		}
		if (cmlog_digits(v, n, &i, 1, 4, &off) == -1)
			return -1;
		if (off <= 24 * 60) {
			s->tz_known = 1;
			s->tz_bias = neg ? -off : off;
		}
	}
	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	if (i != n || s->hour > 23 || s->min > 59 || s->sec > 59)
		return -1;
	return 0;
}

static int
cmlog_days_in_month(int year, int mon)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (mon == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
		return 29;
	return days[mon - 1];
}

/* M-D-YYYY (or M/D/YYYY), 1- or 2-digit month and day. */
static int
cmlog_parse_date(const unsigned char *v, size_t n, struct cmlog_scan *s)
{
	size_t i = 0;
	unsigned char sep;

	if (cmlog_digits(v, n, &i, 1, 2, &s->mon) == -1 ||
	    i >= n || ((sep = v[i++]) != '-' && sep != '/') ||
	    cmlog_digits(v, n, &i, 1, 2, &s->mday) == -1 ||
	    i >= n || v[i++] != sep ||
	    cmlog_digits(v, n, &i, 4, 4, &s->year) == -1 || i != n)
		return -1;
	if (s->mon < 1 || s->mon > 12 || s->mday < 1 ||
	    s->mday > cmlog_days_in_month(s->year, s->mon))
		return -1;
	return 0;
}

/* A thread: decimal or 0x-hex without overflow; -1 if not a number. */
static int
cmlog_parse_thread(const unsigned char *v, size_t n, unsigned long *out)
{
	unsigned long th = 0;
	unsigned d;
	size_t i = 0;
	int hex = n > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X');

	if (hex)
		i = 2;
	if (i == n)
		return -1;
	for (; i < n; i++) {
		if ((unsigned)(v[i] - '0') < 10)
			d = v[i] - '0';
		else if (hex && (unsigned)((v[i] | 0x20) - 'a') < 6)
			d = (unsigned)((v[i] | 0x20) - 'a') + 10;
		else
			return -1;
		/* Not a division per digit: it was a tenth of the index. */
		if (__builtin_mul_overflow(th, hex ? 16ul : 10ul, &th) ||
		    __builtin_add_overflow(th, d, &th))
			return -1;
	}
	*out = th;
	return 0;
}

/*
 * The time and date in the form ehttp's writer gives them
 * ("HH:MM:SS.mmm+BBB", "MM-DD-YYYY"), checked and read 16 bytes at once
 * where 16 can be loaded from v (end: the end of the bytes): 0 with the
 * values cmlog_parse_time() and cmlog_parse_date() would give, or -1 to
 * read them with those (the only readers of any other form, and of a
 * value out of range).
 */
#ifdef __SSE2__
/* Bit i set where v[i] is an ASCII digit, for the 16 bytes at v. */
static inline unsigned
cmlog_digit_bits(const unsigned char *v)
{
	const __m128i nine = _mm_set1_epi8(9);
	__m128i d = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)
	    v), _mm_set1_epi8('0'));

	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(d,
	    nine), nine));
}
#endif

#define CMLOG_TIME_DIGITS	0xeedbu	/* HH:MM:SS.mmm+BBB */
#define CMLOG_DATE_DIGITS	0x3dbu	/* MM-DD-YYYY */
#define CMLOG_D(v, i)		((int)(v)[i] - '0')
#define CMLOG_D2(v, i)		(CMLOG_D(v, i) * 10 + CMLOG_D(v, (i) + 1))

static inline int
cmlog_parse_time_fixed(const unsigned char *v, size_t n,
    const unsigned char *end, struct cmlog_scan *s)
{
#ifdef __SSE2__
	int hour, min, sec, off;

	if (n != 16 || end - v < 16 || v[2] != ':' || v[5] != ':' ||
	    v[8] != '.' || (v[12] != '+' && v[12] != '-') ||
	    (cmlog_digit_bits(v) & CMLOG_TIME_DIGITS) != CMLOG_TIME_DIGITS)
		return -1;
	hour = CMLOG_D2(v, 0);
	min = CMLOG_D2(v, 3);
	sec = CMLOG_D2(v, 6);
	if (hour > 23 || min > 59 || sec > 59)
		return -1;
	s->hour = hour;
	s->min = min;
	s->sec = sec;
	s->msec = CMLOG_D(v, 9) * 100 + CMLOG_D2(v, 10);
	off = CMLOG_D(v, 13) * 100 + CMLOG_D2(v, 14);	/* < a day */
	s->tz_known = 1;
	s->tz_bias = v[12] == '-' ? -off : off;
	return 0;
#else
	return -1;
#endif
}

static inline int
cmlog_parse_date_fixed(const unsigned char *v, size_t n,
    const unsigned char *end, struct cmlog_scan *s)
{
#ifdef __SSE2__
	int mon, mday, year;

	if (n != 10 || end - v < 16 || (v[2] != '-' && v[2] != '/') ||
	    v[5] != v[2] ||
	    (cmlog_digit_bits(v) & CMLOG_DATE_DIGITS) != CMLOG_DATE_DIGITS)
		return -1;
	mon = CMLOG_D2(v, 0);
	mday = CMLOG_D2(v, 3);
	year = CMLOG_D2(v, 6) * 100 + CMLOG_D2(v, 8);
	if (mon < 1 || mon > 12 || mday < 1 ||
	    mday > cmlog_days_in_month(year, mon))
		return -1;
	s->mon = mon;
	s->mday = mday;
	s->year = year;
	return 0;
#else
	return -1;
#endif
}

static int
cmlog_parse_values(const struct cmlog_reader *rd, struct cmlog_scan *s)
{
	const unsigned char *v, *end = rd->map + rd->size;
	size_t n, i;

	v = rd->map + s->val[CMLOG_A_TIME];
	n = s->vlen[CMLOG_A_TIME];
	s->has_when = 0;
	s->tz_known = 0;
	if (n != 0 && (cmlog_parse_time_fixed(v, n, end, s) == 0 ||
	    cmlog_parse_time(v, n, s) == 0))
		s->has_when = 1;
	else if (n != 0 && !cmlog_placeholder(v, n)) {
		s->err_attr = CMLOG_A_TIME;
		return -1;
	}
	v = rd->map + s->val[CMLOG_A_DATE];
	n = s->vlen[CMLOG_A_DATE];
	if (n == 0 || (cmlog_parse_date_fixed(v, n, end, s) == -1 &&
	    cmlog_parse_date(v, n, s) == -1)) {
		s->has_when = 0;
		if (n != 0 && !cmlog_placeholder(v, n)) {
			s->err_attr = CMLOG_A_DATE;
			return -1;
		}
	}

	v = rd->map + s->val[CMLOG_A_TYPE];
	n = s->vlen[CMLOG_A_TYPE];
	s->type = CMLOG_TYPE_NONE;
	if (n != 0) {
		i = 0;
		if (cmlog_digits(v, n, &i, 1, 2, &s->type) == -1 || i != n) {
			s->type = CMLOG_TYPE_NONE;
			if (!cmlog_placeholder(v, n)) {
				s->err_attr = CMLOG_A_TYPE;
				return -1;
			}
		}
	}

	/* Any thread reads: a number, or text shown as written. */
	v = rd->map + s->val[CMLOG_A_THREAD];
	n = s->vlen[CMLOG_A_THREAD];
	s->thread = 0;
	s->thread_num = n != 0 && cmlog_parse_thread(v, n, &s->thread) == 0;
	return 0;
}

/*
 * Word-at-a-time helpers for the attribute block, the indexer's hot loop
 * (about half its instructions went to byte loops over the values). A
 * word is read only where 8 bytes remain in the map.
 */
#define CMLOG_ONES	0x0101010101010101ULL
#define CMLOG_HIGHS	0x8080808080808080ULL

static inline uint64_t
cmlog_load8(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof v);
	return v;
}

#if !defined(__SSE2__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* High bit set in each byte of v that is zero (exact for the first). */
static inline uint64_t
cmlog_zero_bytes(uint64_t v)
{
	return (v - CMLOG_ONES) & ~v & CMLOG_HIGHS;
}
#endif

/* First a or b in [p, end), or end; 16 bytes at a time where SSE2 is. */
static inline const unsigned char *
cmlog_find2(const unsigned char *p, const unsigned char *end, char a, char b)
{
#ifdef __SSE2__
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
	unsigned hit;

	for (; end - p >= 16; p += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);

		hit = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)));
		if (hit != 0)
			return p + __builtin_ctz(hit);
	}
#endif
	for (; p < end && *p != (unsigned char)a && *p != (unsigned char)b; p++)
		;
	return p;
}

/* First '"' or '\n' in [p, end), or end. */
static inline const unsigned char *
cmlog_find_quote_or_nl(const unsigned char *p, const unsigned char *end)
{
#ifdef __SSE2__
	return cmlog_find2(p, end, '"', '\n');
#elif __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t v, hit;

	for (; end - p >= 8; p += 8) {
		v = cmlog_load8(p);
		hit = cmlog_zero_bytes(v ^ (CMLOG_ONES * '"')) |
		    cmlog_zero_bytes(v ^ (CMLOG_ONES * '\n'));
		if (hit != 0)
			return p + (__builtin_ctzll(hit) >> 3);
	}
#endif
	for (; p < end && *p != '"' && *p != '\n'; p++)
		;
	return p;
}

/* Whether the len bytes at p (avail of them mapped) are lead (len 1-16). */
static inline int
cmlog_lead_at(const unsigned char *p, size_t avail, const unsigned char *lead,
    size_t len)
{
	if (avail < len)
		return 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (avail >= 16) {
		uint64_t m0 = len >= 8 ? ~0ULL : ~0ULL >> (8 * (8 - len));
		uint64_t m1 = len > 8 ? ~0ULL >> (8 * (16 - len)) : 0;

		return (((cmlog_load8(p) ^ cmlog_load8(lead)) & m0) |
		    ((cmlog_load8(p + 8) ^ cmlog_load8(lead + 8)) & m1)) == 0;
	}
#endif
	return memcmp(p, lead, len) == 0;
}

/*
 * The attribute block at p (just after "]LOG]!>"), which must end on its
 * line. On success returns 0 with s->next just past '>'; on error -1 with
 * s->err and s->err_pos.
 */
static int
cmlog_scan_attrs(const struct cmlog_reader *rd, size_t p,
    struct cmlog_scan *s)
{
	const unsigned char *m = rd->map, *q, *end = rd->map + rd->size;
	size_t size = rd->size, k, i, len;
	const char *lead;
	int ret = -1;

	s->err_attr = -1;
	if (p >= size || m[p] != '<') {
		s->err = CMLOG_E_LT;
		goto out;
	}
	p++;
	for (k = 0; k < CMLOG_A_COUNT; k++) {
		if (k != 0)
			while (p < size && (m[p] == ' ' || m[p] == '\t'))
				p++;
		if (k == CMLOG_A_FILE && p < size && m[p] == '>') {
			s->val[k] = p;		/* no file attribute */
			s->vlen[k] = 0;
			break;
		}
		lead = cmlog_attr_lead[k].lead;
		len = cmlog_attr_lead[k].len;
		if (!cmlog_lead_at(m + p, size - p, (const unsigned char *)lead,
		    len)) {
			for (i = 0; i < len && p + i < size; i++)
				if (m[p + i] != (unsigned char)lead[i])
					break;
			s->err = CMLOG_E_NAME;
			s->err_attr = (int)k;
			/* At EOF, a good prefix is a record still being written. */
			if (p + i >= size)
				p = size;
			goto out;
		}
		p += len;
		s->val[k] = p;
		q = cmlog_find_quote_or_nl(m + p, end);
		if (q == end || *q == '\n') {
			s->err = CMLOG_E_VALUE_OPEN;
			s->err_attr = (int)k;
			p = q == end ? size : p - 1;	/* the opening quote */
			goto out;
		}
		p = (size_t)(q - m);
		s->vlen[k] = p - s->val[k];
		p++;
	}
	while (p < size && (m[p] == ' ' || m[p] == '\t'))
		p++;
	if (p >= size || m[p] != '>') {
		s->err = CMLOG_E_GT;
		goto out;
	}
	s->next = p + 1;
	if (cmlog_parse_values(rd, s) == -1) {
		s->err = CMLOG_E_BAD_VALUE;
		p = s->val[s->err_attr];
		goto out;
	}
	ret = 0;
out:
	if (ret == -1) {
		if (p >= size)
			s->err = CMLOG_E_EOF;
		s->err_pos = p;
	}
	return ret;
}

/*
 * The attribute block's common case without a byte loop per value: the
 * quotes and line breaks of the CMLOG_FAST_SPAN bytes from the '<' on are
 * taken as bit masks, 64 bytes at a time as far as the values reach, and
 * each value ends at the next quote bit. What it does not take (a block
 * longer than that, one that runs into a line break or near the end of
 * the bytes, any error) is scanned again from the start by
 * cmlog_scan_attrs(), which says what is wrong: this accepts only what
 * that accepts, with the same offsets. Branch mispredictions in the byte
 * loops over the values were most of the index time.
 */
#define CMLOG_FAST_CHUNKS	4
#define CMLOG_FAST_SPAN		(64 * CMLOG_FAST_CHUNKS)

struct cmlog_marks {
	const unsigned char	*base;
	uint64_t		 quote[CMLOG_FAST_CHUNKS];
	size_t			 have;	/* chunks taken */
	size_t			 nl;	/* first line break from base, or SPAN */
};

static inline __attribute__((always_inline)) void
cmlog_marks_chunk(struct cmlog_marks *mk)
{
	const unsigned char *p = mk->base + 64 * mk->have;
	uint64_t q = 0, n = 0;

#ifdef __SSE2__
	const __m128i vq = _mm_set1_epi8('"'), vn = _mm_set1_epi8('\n');

	for (int i = 0; i < 4; i++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)
		    (p + 16 * i));

		q |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v,
		    vq)) << (16 * i);
		n |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v,
		    vn)) << (16 * i);
	}
#else
	for (int i = 0; i < 64; i++) {
		q |= (uint64_t)(p[i] == '"') << i;
		n |= (uint64_t)(p[i] == '\n') << i;
	}
#endif
	if (n != 0 && mk->nl == CMLOG_FAST_SPAN)
		mk->nl = 64 * mk->have + (size_t)__builtin_ctzll(n);
	mk->quote[mk->have++] = q;
}

/* The first quote at or after o (from base), or CMLOG_FAST_SPAN. */
static inline __attribute__((always_inline)) size_t
cmlog_marks_quote(struct cmlog_marks *mk, size_t o)
{
	size_t w = o >> 6;
	uint64_t bits;

	if (w >= CMLOG_FAST_CHUNKS)
		return CMLOG_FAST_SPAN;
	while (mk->have <= w)
		cmlog_marks_chunk(mk);
	bits = mk->quote[w] & (~0ULL << (o & 63));
	while (bits == 0) {
		if (++w == CMLOG_FAST_CHUNKS)
			return CMLOG_FAST_SPAN;
		if (mk->have == w)
			cmlog_marks_chunk(mk);
		bits = mk->quote[w];
	}
	return 64 * w + (size_t)__builtin_ctzll(bits);
}

/* One attribute k of a well-formed block: its lead at *o (after blanks),
 * its value up to the next quote; *o past that quote. 0, or -1. */
static inline __attribute__((always_inline)) int
cmlog_fast_value(struct cmlog_marks *mk, size_t *o, size_t k, size_t p,
    struct cmlog_scan *s)
{
	const unsigned char *b = mk->base;
	size_t x = *o, q, len = cmlog_attr_lead[k].len;

	if (k != 0)
		while (x < CMLOG_FAST_SPAN && (b[x] == ' ' || b[x] == '\t'))
			x++;
	/* The lead is read 16 bytes wide: the span has 16 more. */
	if (x >= CMLOG_FAST_SPAN || !cmlog_lead_at(b + x, 16,
	    (const unsigned char *)cmlog_attr_lead[k].lead, len))
		return -1;
	x += len;
	if ((q = cmlog_marks_quote(mk, x)) >= mk->nl)
		return -1;	/* or no quote within the span */
	s->val[k] = p + x;
	s->vlen[k] = q - x;
	*o = q + 1;
	return 0;
}

/* cmlog_scan_attrs() of a well-formed block: 0, or -1 to scan it so. */
static int
cmlog_scan_attrs_fast(const struct cmlog_reader *rd, size_t p,
    struct cmlog_scan *s)
{
	const unsigned char *b = rd->map + p;
	struct cmlog_marks mk;
	size_t o = 1;

	if (rd->size - p < CMLOG_FAST_SPAN + 16 || b[0] != '<')
		return -1;
	mk.base = b;
	mk.have = 0;
	mk.nl = CMLOG_FAST_SPAN;
	cmlog_marks_chunk(&mk);
	if (cmlog_fast_value(&mk, &o, CMLOG_A_TIME, p, s) == -1 ||
	    cmlog_fast_value(&mk, &o, CMLOG_A_DATE, p, s) == -1 ||
	    cmlog_fast_value(&mk, &o, CMLOG_A_COMPONENT, p, s) == -1 ||
	    cmlog_fast_value(&mk, &o, CMLOG_A_CONTEXT, p, s) == -1 ||
	    cmlog_fast_value(&mk, &o, CMLOG_A_TYPE, p, s) == -1 ||
	    cmlog_fast_value(&mk, &o, CMLOG_A_THREAD, p, s) == -1)
		return -1;
	while (o < CMLOG_FAST_SPAN && (b[o] == ' ' || b[o] == '\t'))
		o++;
	if (o >= CMLOG_FAST_SPAN)
		return -1;
	if (b[o] == '>') {
		s->val[CMLOG_A_FILE] = p + o;	/* no file attribute */
		s->vlen[CMLOG_A_FILE] = 0;
	} else {
		if (cmlog_fast_value(&mk, &o, CMLOG_A_FILE, p, s) == -1)
			return -1;
		while (o < CMLOG_FAST_SPAN && (b[o] == ' ' || b[o] == '\t'))
			o++;
		if (o >= CMLOG_FAST_SPAN || b[o] != '>')
			return -1;
	}
	s->next = p + o + 1;
	return cmlog_parse_values(rd, s);
}

/*
 * The block at p (just after "]LOG]!>") by the template: 0 with s->type
 * and s->next as cmlog_scan_attrs() would set them, or -1 if it differs
 * from the template anywhere but its time and type, or those are not in
 * the template's form. The bytes compared are no quote and no line break
 * where the template's are none, and the time and type read are neither,
 * so every value ends where the template's does and parses as well.
 */
static int
cmlog_tpl_match(const struct cmlog_reader *rd, const struct cmlog_tpl *t,
    size_t p, struct cmlog_scan *s)
{
#ifdef __SSE2__
	const unsigned char *b = rd->map + p;
	size_t k, n = (t->len + 15) / 16;
	unsigned d;

	if (t->len == 0 || rd->size - p < n * 16 + 16)
		return -1;
	for (k = 0; k < n; k++) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)
		    (b + 16 * k));
		__m128i y = _mm_loadu_si128((const __m128i *)(const void *)
		    (t->b + 16 * k));

		if (((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) |
		    t->skip[k]) != 0xffff)
			return -1;
	}
	if (cmlog_parse_time_fixed(b + t->time, 16, rd->map + rd->size,
	    s) == -1)
		return -1;
	s->type = t->type;
	if (t->type_at != 0) {
		if ((d = (unsigned)b[t->type_at] - '0') > 9)
			return -1;
		s->type = (int)d;
	}
	s->next = p + t->len;
	return 0;
#else
	(void)rd;
	(void)t;
	(void)p;
	(void)s;
	return -1;
#endif
}

/* Keep the well-formed block at p (scanned into s) as the template, if
 * its time is in ehttp's form and it is short enough. */
static void
cmlog_tpl_keep(const struct cmlog_reader *rd, struct cmlog_tpl *t, size_t p,
    const struct cmlog_scan *s)
{
	size_t len = s->next - p, i;
	struct cmlog_scan x;

	t->len = 0;
	if (len > CMLOG_TPL_MAX || s->vlen[CMLOG_A_TIME] != 16 ||
	    cmlog_parse_time_fixed(rd->map + s->val[CMLOG_A_TIME], 16,
	    rd->map + rd->size, &x) == -1)
		return;
	memcpy(t->b, rd->map + p, len);
	memset(t->skip, 0, sizeof t->skip);
	for (i = len; i < CMLOG_TPL_MAX; i++)
		t->skip[i / 16] |= (uint16_t)(1u << (i % 16));
	t->time = s->val[CMLOG_A_TIME] - p;
	for (i = t->time; i < t->time + 16; i++)
		t->skip[i / 16] |= (uint16_t)(1u << (i % 16));
	t->type = s->type;
	t->type_at = 0;
	i = s->val[CMLOG_A_TYPE] - p;
	if (s->vlen[CMLOG_A_TYPE] == 1 && (unsigned)(t->b[i] - '0') <= 9) {
		t->type_at = i;		/* after '<': never 0 */
		t->skip[i / 16] |= (uint16_t)(1u << (i % 16));
	}
	t->len = len;
}

/* A malformed record from start to the end of the line holding pos. */
static void
cmlog_scan_to_eol(const struct cmlog_reader *rd, struct cmlog_cache *c,
    size_t start, size_t pos, struct cmlog_scan *s)
{
	size_t nl = cmlog_next_nl(rd, c, pos);

	s->malformed = 1;
	s->text = start;
	s->text_len = cmlog_line_end(rd, start, nl) - start;
	if (nl < rd->size) {
		s->next = nl + 1;
		s->nl++;
	} else {
		s->next = rd->size;
		s->partial = 1;
	}
}

static void
cmlog_scan_junk(const struct cmlog_reader *rd, struct cmlog_cache *c,
    size_t start, struct cmlog_scan *s)
{
	size_t nl = cmlog_next_nl(rd, c, start);
	const unsigned char *o;

	s->err = CMLOG_E_JUNK;
	s->err_pos = start;
	o = nl > start ? memmem(rd->map + start, nl - start, CMLOG_OPEN_MARK,
	    CMLOG_MARK_LEN) : NULL;
	if (o != NULL) {
		s->malformed = 1;
		s->text = start;
		s->text_len = (size_t)(o - rd->map) - start;
		s->next = (size_t)(o - rd->map);
		return;
	}
	cmlog_scan_to_eol(rd, c, start, start, s);
}

static void
cmlog_scan_record(const struct cmlog_reader *rd, struct cmlog_cache *c,
    struct cmlog_tpl *tpl, size_t start, struct cmlog_scan *s)
{
	size_t p = start + CMLOG_MARK_LEN, rb, nl, q;
	const unsigned char *m = rd->map, *b, *end = rd->map + rd->size;

	/* The common case in one pass: a one-line text, no other ']'. */
	b = cmlog_find2(m + p, end, ']', '\n');
	if (b < end && *b == ']' && (size_t)(end - b) >= CMLOG_MARK_LEN &&
	    memcmp(b, CMLOG_CLOSE_MARK, CMLOG_MARK_LEN) == 0) {
		rb = (size_t)(b - m);
		goto attrs;
	}
	for (;;) {
		/*
		 * The text ends at the next terminator unless a line break
		 * comes first; memchr() stops at the first one, so each byte
		 * is looked at once however far the terminator is.
		 */
		rb = cmlog_next_close(rd, c, p);
		b = rb > p ? memchr(m + p, '\n', rb - p) : NULL;
		if (b == NULL && rb < rd->size)
			break;
		if (b == NULL) {
			/* EOF inside the text: it may still be written. */
			s->err = CMLOG_E_UNTERMINATED;
			s->err_pos = start;
			s->malformed = 1;
			s->partial = 1;
			s->text = start;
			q = rd->size;
			if (q > start && m[q - 1] == '\n') {
				q--;
				q = cmlog_line_end(rd, start, q);
			}
			s->text_len = q - start;
			s->next = rd->size;
			return;
		}
		nl = (size_t)(b - m);
		s->nl++;
		p = nl + 1;
		if (cmlog_is_open(rd, p)) {
			/* The next record starts: this one is cut. */
			s->err = CMLOG_E_UNTERMINATED;
			s->err_pos = start;
			s->malformed = 1;
			s->text = start;
			s->text_len = cmlog_line_end(rd, start, nl) - start;
			s->next = p;
			return;
		}
	}
attrs:
	s->text = start + CMLOG_MARK_LEN;
	s->text_len = rb - s->text;
	p = rb + CMLOG_MARK_LEN;
	if (tpl == NULL || cmlog_tpl_match(rd, tpl, p, s) == -1) {
		if (cmlog_scan_attrs_fast(rd, p, s) == -1 &&
		    cmlog_scan_attrs(rd, p, s) == -1) {
			cmlog_scan_to_eol(rd, c, start, s->err_pos, s);
			return;
		}
		if (tpl != NULL)
			cmlog_tpl_keep(rd, tpl, p, s);
	}
	/*
	 * Trailing blanks and the line break belong to this record. Blanks
	 * at the end of the file are left to the next step: text may follow
	 * them when the file grows (cmlog_reader_refresh()).
	 */
	p = s->next;
	while (p < rd->size && (m[p] == ' ' || m[p] == '\t' || m[p] == '\r'))
		p++;
	if (p < rd->size && m[p] == '\n') {
		s->next = p + 1;
		s->nl++;
	}
}

/* The record or junk starting at start. */
static void
cmlog_scan_at(const struct cmlog_reader *rd, struct cmlog_cache *c,
    struct cmlog_tpl *tpl, size_t start, struct cmlog_scan *s)
{
	/*
	 * Field by field, not memset(): clearing the whole struct (val[] and
	 * vlen[], written before they are read) was an eighth of the index
	 * time.
	 */
	s->text = s->text_len = s->next = s->err_pos = 0;
	s->nl = 0;
	s->malformed = s->partial = s->has_when = 0;
	s->err = CMLOG_E_NONE;
	s->err_attr = -1;
	s->type = CMLOG_TYPE_NONE;
	s->thread = 0;
	s->thread_num = 0;
	s->msec = 0;
	s->tz_known = s->tz_bias = 0;
	if (cmlog_is_open(rd, start))
		cmlog_scan_record(rd, c, tpl, start, s);
	else
		cmlog_scan_junk(rd, c, start, s);
}

/* ---- index ------------------------------------------------------------- */

static void
cmlog_reader_reset(struct cmlog_reader *rd)
{
	rd->count = 0;
	rd->pos = 0;
	rd->line = 1;
	rd->partial = 0;
	rd->blank_tail = 0;
	rd->prefaulted = 0;
	rd->fetched = 0;
	rd->glen = 0;
	rd->iwlen = 0;
	memset(&rd->cache, 0, sizeof rd->cache);
	if (rd->enc != CMLOG_ENC_UTF8) {
		rd->size = 0;
		rd->src_done = rd->src_skip;
		rd->src_end = 0;
	}
}

/*
 * The last record (or the blanks that start a line) was cut by the end of
 * what is readable: forget it, to read it again when there is more.
 * Returns 1 if a record was dropped.
 */
static int
cmlog_reader_unpartial(struct cmlog_reader *rd)
{
	int dropped = 0;

	if (rd->partial) {
		rd->count--;
		rd->pos = rd->off[rd->count];
		rd->line = rd->partial_line;
		rd->partial = 0;
		dropped = 1;
	} else if (rd->blank_tail && rd->pos >= rd->size) {
		rd->pos = rd->blank_start;
		rd->line = rd->blank_line;
	}
	rd->blank_tail = 0;
	return dropped;
}

/* ---- encodings --------------------------------------------------------- */

#define CMLOG_DETECT_MAX	65536	/* bytes cmlog_detect() looks at */
#define CMLOG_FEED_BLOCK	(4u << 20) /* transcoded output per block */

/*
 * The encoding of a file from its first bytes: a BOM, or (no BOM) UTF-16
 * when most of the first 2-byte units are an ASCII character and a NUL; a
 * UTF-8 file with lone CRs and no LF in its first 64 KiB ends its lines
 * with CR (CMLOG_DETECT_MAX). *skip is the BOM's length.
 */
static enum cmlog_enc
cmlog_detect(const unsigned char *p, size_t n, size_t *skip)
{
	size_t i, units, le = 0, be = 0, cr = 0, lf = 0;

	*skip = 0;
	if (n >= 2 && p[0] == 0xff && p[1] == 0xfe) {
		*skip = 2;
		return CMLOG_ENC_UTF16LE;
	}
	if (n >= 2 && p[0] == 0xfe && p[1] == 0xff) {
		*skip = 2;
		return CMLOG_ENC_UTF16BE;
	}
	units = (n < 4096 ? n : 4096) / 2;
	for (i = 0; i < units; i++) {
		le += p[2 * i] != 0 && p[2 * i] < 0x80 && p[2 * i + 1] == 0;
		be += p[2 * i] == 0 && p[2 * i + 1] != 0 && p[2 * i + 1] < 0x80;
	}
	if (units >= 2 && le * 4 >= units * 3)
		return CMLOG_ENC_UTF16LE;
	if (units >= 2 && be * 4 >= units * 3)
		return CMLOG_ENC_UTF16BE;
	n = n < CMLOG_DETECT_MAX ? n : CMLOG_DETECT_MAX;
	for (i = 0; i < n; i++) {
		lf += p[i] == '\n';
		cr += p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n');
	}
	return cr > 0 && lf == 0 ? CMLOG_ENC_UTF8_CR : CMLOG_ENC_UTF8;
}

/* Most output bytes for n source bytes (a 2-byte unit: up to 3). */
static size_t
cmlog_worst(const struct cmlog_reader *rd, size_t n)
{
	return rd->enc == CMLOG_ENC_UTF8_CR ? n : n / 2 * 3;
}

static inline unsigned
cmlog_unit(const unsigned char *p, int le)
{
	return le ? (unsigned)p[0] | (unsigned)p[1] << 8 :
	    (unsigned)p[0] << 8 | (unsigned)p[1];
}

/*
 * Transcode from *ip into *op until the output holds want bytes or the
 * file ends. A lone CR becomes LF; a CR, an odd byte or a high surrogate
 * at the end is held back (what follows may complete it). Returns 1 if it
 * stopped for want, 0 at the end of the file.
 */
static int
cmlog_feed_block(struct cmlog_reader *rd, size_t *ip, size_t *op,
    size_t want)
{
	const unsigned char *sp = rd->src;
	unsigned char *d = rd->tbuf;
	size_t i = *ip, n = rd->src_size, o = *op;
	int le = rd->enc == CMLOG_ENC_UTF16LE;
	unsigned u, lo, cp;

	if (rd->enc == CMLOG_ENC_UTF8_CR) {
		while (i < n && o < want) {
			if (sp[i] != '\r') {
				d[o++] = sp[i++];
				continue;
			}
			if (i + 1 >= n)
				break;		/* an LF may follow */
			if (sp[i + 1] == '\n') {
				d[o++] = '\r';
				d[o++] = '\n';
				i += 2;
			} else {
				d[o++] = '\n';
				i++;
			}
		}
		goto out;
	}
	while (n - i >= 2 && o < want) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		/* Four ASCII units but CR at a time, the common case. */
		if (le && n - i >= 8) {
			uint64_t w;

			memcpy(&w, sp + i, 8);
			if ((w & 0xff80ff80ff80ff80ULL) == 0 &&
			    ((w ^ 0x000d000d000d000dULL) & 0x00ff) != 0 &&
			    ((w ^ 0x000d000d000d000dULL) & 0xff0000) != 0 &&
			    ((w ^ 0x000d000d000d000dULL) & 0xff00000000ULL) !=
			    0 && ((w ^ 0x000d000d000d000dULL) &
			    0xff000000000000ULL) != 0) {
				d[o] = (unsigned char)w;
				d[o + 1] = (unsigned char)(w >> 16);
				d[o + 2] = (unsigned char)(w >> 32);
				d[o + 3] = (unsigned char)(w >> 48);
				o += 4;
				i += 8;
				continue;
			}
		}
#endif
		u = cmlog_unit(sp + i, le);
		if (u < 0x80) {
			if (u == '\r') {
				if (n - i < 4)
					break;	/* an LF may follow */
				if (cmlog_unit(sp + i + 2, le) != '\n')
					u = '\n';
			}
			d[o++] = (unsigned char)u;
			i += 2;
			continue;
		}
		cp = u;
		i += 2;
		if (u >= 0xd800 && u < 0xdc00) {
			if (n - i < 2) {
				i -= 2;
				break;	/* its low half may follow */
			}
			lo = cmlog_unit(sp + i, le);
			if (lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((u - 0xd800) << 10) +
				    (lo - 0xdc00);
				i += 2;
			} else
				cp = 0xfffd;
		} else if (u >= 0xdc00 && u < 0xe000)
			cp = 0xfffd;
		/* Never 0: no half of a pair is left, nothing is too large. */
		o += utf8_encode(cp, (char *)d + o);
	}
out:
	*ip = i;
	*op = o;
	return o >= want;
}

/*
 * Transcode more of the file until the output holds want bytes or the
 * file ends, a block at a time: each block's pages are allocated with one
 * call (a page fault per page was most of the transcoding time). Returns
 * 1 if it stopped for want (more to do), 0 at the end of the file.
 */
static int
cmlog_reader_feed(struct cmlog_reader *rd, size_t want)
{
	size_t i = rd->src_done, o = rd->size, lim;
	int more;

	do {
		lim = want - o > CMLOG_FEED_BLOCK ? o + CMLOG_FEED_BLOCK : want;
#ifdef MADV_POPULATE_WRITE
		{
			size_t from = o & ~(rd->page - 1);
			size_t to = lim + 8 < rd->tcap ? lim + 8 : rd->tcap;

			if (to > from)
				(void)madvise(rd->tbuf + from, to - from,
				    MADV_POPULATE_WRITE);
		}
#endif
#ifdef MADV_POPULATE_READ
		{
			size_t from = i & ~(rd->page - 1), len = 2 * (lim - o);

			if (from < rd->src_size)
				(void)madvise((void *)(rd->src + from),
				    rd->src_size - from < len ?
				    rd->src_size - from : len,
				    MADV_POPULATE_READ);
		}
#endif
		more = cmlog_feed_block(rd, &i, &o, lim);
	} while (more && o < want);
	rd->src_done = i;
	rd->size = o;
	memset(&rd->cache, 0, sizeof rd->cache);	/* the end moved */
	rd->src_end = !more;
	return more;
}

/*
 * Fault in the next window of the map before scanning it: one madvise()
 * instead of a page fault every few pages. Only a hint (needs Linux 5.14).
 */
static void
cmlog_reader_prefault(struct cmlog_reader *rd)
{
#ifdef MADV_POPULATE_READ
	size_t page = rd->page, from, len;

	if (rd->tbuf != NULL || rd->windowed || rd->pos + CMLOG_PREFAULT / 2 <
	    rd->prefaulted || rd->prefaulted >= rd->size)
		return;	/* a transcoded buffer was just written */
	from = rd->pos > rd->prefaulted ? rd->pos : rd->prefaulted;
	from &= ~(page - 1);
	len = rd->size - from < CMLOG_PREFAULT ? rd->size - from :
	    CMLOG_PREFAULT;
	(void)madvise((void *)(rd->map + from), len, MADV_POPULATE_READ);
	rd->prefaulted = from + len;
#else
	(void)rd;
#endif
}

#define CMLOG_HUGE	((size_t)2 << 20)	/* a huge page */
#define CMLOG_BUFFER_HUGE	((size_t)128 << 10) /* buffers from here */

/*
 * An index array of n elements keeping its first keep: one of a huge page
 * or more starts on a huge-page boundary and asks for huge pages. On a
 * virtual machine the first touch of each 4 KiB page of the index cost
 * about a tenth of the whole index time, and an array aligned only to
 * 4 KiB had its first 2 MiB (all of a one-byte array's, for a million
 * records) in small pages. Only a hint.
 */
static void *
cmlog_array(void *old, size_t keep, size_t n, size_t size)
{
	void *p;

	if (n * size < CMLOG_HUGE)
		return xreallocarray(old, n, size);
	p = xalignedarray(old, keep * size, n, size, CMLOG_HUGE);
#ifdef MADV_HUGEPAGE
	(void)madvise(p, n * size & ~(CMLOG_HUGE - 1), MADV_HUGEPAGE);
#endif
	return p;
}

/*
 * A read buffer for at least n bytes, its size in *cap: one for a window
 * or more is a huge page (a window faulted in 4 KiB pages cost a fault
 * per 4 KiB, about as much as reading the window 30 times).
 */
static unsigned char *
cmlog_buffer(unsigned char *old, size_t n, size_t *cap)
{
	free(old);
	*cap = n < CMLOG_BUFFER_HUGE ? n : (n + CMLOG_HUGE - 1) &
	    ~(CMLOG_HUGE - 1);
	return cmlog_array(NULL, 0, *cap, 1);
}

/* Room for need records in the index arrays. */
static void
cmlog_reader_reserve(struct cmlog_reader *rd, size_t need)
{
	size_t ncap;

	if (need <= rd->cap)
		return;
	/*
	 * The first size guesses a record per 64 bytes of the file: what is
	 * never touched costs address space only, and one large block takes
	 * huge pages at once.
	 */
	ncap = rd->cap != 0 ? rd->cap * 2 : rd->src_size / 64 > 1024 ?
	    rd->src_size / 64 : 1024;
	/* A first size of a sixteenth of a huge page or more is rounded up
	 * to a whole one, so that the one-byte arrays take huge pages too. */
	if (rd->cap == 0 && ncap >= CMLOG_HUGE / 16)
		ncap = (ncap + CMLOG_HUGE - 1) & ~(CMLOG_HUGE - 1);
	while (ncap < need)
		ncap *= 2;
	rd->off = cmlog_array(rd->off, rd->count, ncap, sizeof *rd->off);
	rd->info = cmlog_array(rd->info, rd->count, ncap, sizeof *rd->info);
	rd->dline = cmlog_array(rd->dline, rd->count, ncap, sizeof *rd->dline);
	rd->ckline = xreallocarray(rd->ckline, (ncap >> CMLOG_CK_SHIFT) + 1,
	    sizeof *rd->ckline);
	if (rd->lines != NULL)
		rd->lines = cmlog_array(rd->lines, rd->count, ncap,
		    sizeof *rd->lines);
	rd->cap = ncap;
}

/* The line of record i (reserved): a checkpoint or a step from one. */
static inline void
cmlog_reader_set_line(struct cmlog_reader *rd, size_t i, uint64_t line)
{
	uint64_t d;

	if (rd->lines != NULL)
		rd->lines[i] = line;
	if ((i & ((1u << CMLOG_CK_SHIFT) - 1)) == 0)
		rd->ckline[i >> CMLOG_CK_SHIFT] = line;
	d = line - rd->ckline[i >> CMLOG_CK_SHIFT];
	rd->dline[i] = d < CMLOG_DLINE_FAR ? (uint8_t)d : CMLOG_DLINE_FAR;
}

static void
cmlog_reader_append(struct cmlog_reader *rd, size_t start, uint8_t info,
    uint64_t line)
{
	cmlog_reader_reserve(rd, rd->count + 1);
	cmlog_reader_set_line(rd, rd->count, line);
	rd->off[rd->count] = rd->base + start;
	rd->info[rd->count] = info;
	rd->count++;
}

/* Index one record (or junk line); 0 at the end of the file. */
static int
cmlog_reader_step(struct cmlog_reader *rd)
{
	const unsigned char *m = rd->map;
	size_t pos = rd->pos, lstart = rd->pos, start;
	uint64_t line = rd->line;
	struct cmlog_scan s;
	uint8_t info;

	/* Blank lines and a BOM at a line start are not records. */
	for (;;) {
		if (pos >= rd->size) {
			/* If the file grows, the blanks may lead text: a
			 * refresh scans this line again from its start. */
			rd->blank_tail = lstart < pos;
			rd->blank_start = lstart;
			rd->blank_line = line;
			rd->pos = pos;
			rd->line = line;
			return 0;
		}
		if (m[pos] == '\n') {
			line++;
			lstart = ++pos;
		} else if (m[pos] == ' ' || m[pos] == '\t' || m[pos] == '\r')
			pos++;
		else if (pos == lstart && (pos == 0 ? rd->bol0 :
		    m[pos - 1] == '\n') &&
		    rd->size - pos >= 3 && memcmp(m + pos, "\xef\xbb\xbf", 3) == 0)
			lstart = pos += 3;
		else
			break;
	}
	start = cmlog_is_open(rd, pos) ? pos : lstart;
	/*
	 * Ask for the next records' cache lines of the map: waiting for its
	 * bytes, not parsing them, was most of the index time. A window was
	 * just read: it is in the cache already.
	 */
	if (!rd->windowed) {
		if (rd->fetched < pos)
			rd->fetched = pos;
		for (; rd->fetched < pos + CMLOG_AHEAD &&
		    rd->fetched < rd->size; rd->fetched += 64)
			__builtin_prefetch(m + rd->fetched);
	}
	cmlog_scan_at(rd, &rd->cache, &rd->tpl, start, &s);
	if (s.malformed)
		info = CMLOG_INFO_MALFORMED;
	else
		info = (uint8_t)(s.type + 1);
	cmlog_reader_append(rd, start, info, line);
	if (s.partial) {
		rd->partial = 1;
		rd->partial_line = line;
	}
	rd->pos = s.next;
	rd->line = line + s.nl;
	return 1;
}

/*
 * Read exactly len bytes of the file at off into buf: 0, or -1 with the
 * error set (a file that shrank says so: refresh).
 */
static int
cmlog_reader_pread(struct cmlog_reader *rd, void *buf, size_t len, size_t off)
{
	size_t got;
	ssize_t r;

	for (got = 0; got < len; got += (size_t)r) {
		r = pread(rd->fd, (char *)buf + got, len - got,
		    (off_t)(off + got));
		if (r == -1 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r <= 0) {
			cmlog_reader_set_error(rd, "read %s: %s", rd->path,
			    r == 0 ? "the file shrank while it was read"
			    " (refresh)" : strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * Parallel indexing. A line that starts with "<![LOG[" always starts a
 * record: a record's text ends at such a line, junk and malformed records
 * end at their line break, and blanks are skipped only up to it. So the
 * range is cut at such lines into chunks, and the reader's own thread
 * takes chunks from the front, indexing them in place, while helpers (a
 * copy of the reader each, with its own arrays and line numbers counted
 * from 1 in each chunk) take chunks from the back: a UTF-8 file through
 * its own pread(2) windows, a transcoded one in its buffer. When the two
 * meet, the helpers' chunks are merged in order. A helper that the
 * scheduler leaves waiting (a loaded machine) costs little: the reader
 * does the chunks it has not taken, without copying them. Each chunk must
 * end exactly where the next begins, and be read without error; one that
 * does not (it cannot happen with the rules above but for a read error,
 * and the check is cheap) is indexed again in place.
 */
struct cmlog_chunk {
	size_t		 first, n;	/* the helper's records */
	int		 ok;		/* read through to the next cut */
	size_t		 pos;		/* where it stopped */
	uint64_t	 line;		/* the helper's line there */
	int		 partial;
	uint64_t	 partial_line;
	int		 blank_tail;
	size_t		 blank_start;
	uint64_t	 blank_line;
	struct cmlog_reader *by;	/* NULL: the reader's own thread */
};

struct cmlog_par {
	pthread_mutex_t		 mu;
	size_t			 cut[CMLOG_PAR_CHUNKS + 1];
	struct cmlog_chunk	 ch[CMLOG_PAR_CHUNKS];
	size_t			 nch;
	size_t			 front, back;	/* [front, back) not taken */
};

struct cmlog_part {
	struct cmlog_reader	 rd;
	struct cmlog_par	*par;
	pthread_t		 tid;
	int			 started;
};

static int cmlog_reader_index_read(struct cmlog_reader *, size_t);

/* What a reader (or a worker's copy of one) allocated to index and read. */
static void
cmlog_reader_free_index(struct cmlog_reader *rd)
{
	free(rd->off);
	free(rd->info);
	free(rd->ckline);
	free(rd->dline);
	free(rd->lines);
	free(rd->wbuf);
	free(rd->gbuf);
}

/* Index [rd->pos, end) in this thread; -1 on a read error. */
static int
cmlog_reader_run(struct cmlog_reader *rd, size_t end)
{
	if (rd->pos >= end)
		return 0;
	if (rd->enc == CMLOG_ENC_UTF8)
		return cmlog_reader_index_read(rd, end - rd->pos) == -1 ? -1 : 0;
	while (rd->pos < end && rd->pos < rd->size) {
		cmlog_reader_prefault(rd);
		if (cmlog_reader_step(rd) == 0)
			break;
	}
	return 0;
}

/* The next chunk from the front (the reader) or the back (a helper). */
static int
cmlog_par_take(struct cmlog_par *par, int back, size_t *c)
{
	int got;

	pthread_mutex_lock(&par->mu);
	got = par->front < par->back;
	if (got)
		*c = back ? --par->back : par->front++;
	pthread_mutex_unlock(&par->mu);
	return got;
}

static void *
cmlog_part_main(void *arg)
{
	struct cmlog_part *pt = arg;
	struct cmlog_reader *w = &pt->rd;
	struct cmlog_par *par = pt->par;
	struct cmlog_chunk *ch;
	size_t c;

	while (cmlog_par_take(par, 1, &c)) {
		ch = &par->ch[c];
		w->pos = par->cut[c];
		w->line = 1;
		w->partial = w->blank_tail = 0;
		ch->first = w->count;
		/* The last chunk may end inside a record (a slice). */
		ch->ok = cmlog_reader_run(w, par->cut[c + 1]) == 0 &&
		    (w->pos == par->cut[c + 1] || c + 1 == par->nch);
		ch->n = w->count - ch->first;
		ch->pos = w->pos;
		ch->line = w->line;
		ch->partial = w->partial;
		ch->partial_line = w->partial_line;
		ch->blank_tail = w->blank_tail;
		ch->blank_start = w->blank_start;
		ch->blank_line = w->blank_line;
		ch->by = w;
	}
	return NULL;
}

#define CMLOG_CUT_PROBE	(256u << 10)	/* most bytes read to find a cut */

/*
 * Where the first line starting with "<![LOG[" in [from, to) starts, or
 * 0: in the transcoding buffer, or in the first CMLOG_CUT_PROBE bytes
 * read from a UTF-8 file (16 KiB first: records are short).
 */
static size_t
cmlog_cut_at(struct cmlog_reader *rd, size_t from, size_t to)
{
	unsigned char *buf;
	const unsigned char *q;
	size_t len = to - from + 1, cut = 0, probe;

	if (from == 0 || to <= from)
		return 0;
	if (rd->enc != CMLOG_ENC_UTF8) {
		q = memmem(rd->map + from - 1, len, "\n" CMLOG_OPEN_MARK,
		    CMLOG_MARK_LEN + 1);
		return q == NULL ? 0 : (size_t)(q - rd->map) + 1;
	}
	if (len > CMLOG_CUT_PROBE)
		len = CMLOG_CUT_PROBE;
	buf = xmalloc(len);
	for (probe = 16u << 10; cut == 0; probe *= 4) {
		if (probe > len)
			probe = len;
		if (cmlog_reader_pread(rd, buf, probe, from - 1) == -1)
			break;
		if ((q = memmem(buf, probe, "\n" CMLOG_OPEN_MARK,
		    CMLOG_MARK_LEN + 1)) != NULL)
			cut = from + (size_t)(q - buf);
		if (probe == len)
			break;
	}
	free(buf);
	return cut;
}

/* Take a helper's chunk of records, shifting its line numbers. */
static void
cmlog_reader_merge(struct cmlog_reader *rd, const struct cmlog_chunk *ch)
{
	const struct cmlog_reader *w = ch->by;
	uint64_t base = rd->line - 1;

	/* Offsets are the file's already: copied as they are. */
	cmlog_reader_reserve(rd, rd->count + ch->n);
	if (ch->n > 0) {
		memcpy(rd->off + rd->count, w->off + ch->first, ch->n *
		    sizeof *w->off);
		memcpy(rd->info + rd->count, w->info + ch->first, ch->n *
		    sizeof *w->info);
	}
	for (size_t j = 0; j < ch->n; j++)
		cmlog_reader_set_line(rd, rd->count + j, base +
		    w->lines[ch->first + j]);
	rd->count += ch->n;
	rd->pos = ch->pos;
	rd->line = base + ch->line;
	rd->partial = ch->partial;
	rd->partial_line = base + ch->partial_line;
	rd->blank_tail = ch->blank_tail;
	rd->blank_start = ch->blank_start;
	rd->blank_line = base + ch->blank_line;
	memset(&rd->cache, 0, sizeof rd->cache);
}

/* Cut [rd->pos, end) into chunks of about the same size. */
static void
cmlog_par_cut(struct cmlog_reader *rd, struct cmlog_par *par, size_t end)
{
	size_t len = end - rd->pos, n, c, k;

	n = len / CMLOG_PAR_PART;
	if (n > CMLOG_PAR_CHUNKS)
		n = CMLOG_PAR_CHUNKS;
	par->cut[0] = rd->pos;
	par->nch = 1;
	for (k = 1; k < n; k++) {
		c = cmlog_cut_at(rd, rd->pos + len / n * k, end);
		if (c == 0 || c >= end || c <= par->cut[par->nch - 1])
			continue;
		par->cut[par->nch++] = c;
	}
	par->cut[par->nch] = end;
	par->front = 0;
	par->back = par->nch;
}

static void
cmlog_reader_index_parallel(struct cmlog_reader *rd, size_t end, int n)
{
	struct cmlog_part pt[CMLOG_PAR_MAX];
	struct cmlog_par *par;
	size_t c;
	int k, made;

	par = xcalloc(1, sizeof *par);
	pthread_mutex_init(&par->mu, NULL);
	cmlog_par_cut(rd, par, end);
	for (k = 1; k < n && par->nch > 1; k++) {
		struct cmlog_reader *w = &pt[k].rd;

		memset(w, 0, sizeof *w);
		w->path = rd->path;
		w->fd = rd->fd;
		w->enc = rd->enc;
		w->map = rd->map;
		w->src = rd->src;
		w->size = rd->size;
		/* First capacity: its share of the range. */
		w->src_size = (end - rd->pos) / (size_t)n;
		w->page = rd->page;
		w->bol0 = 1;
		/* A transcoded buffer is in memory already. */
		w->prefaulted = rd->tbuf != NULL ? rd->size : 0;
		w->lines = xmalloc(sizeof *w->lines);
		pt[k].par = par;
		pt[k].started = pthread_create(&pt[k].tid, NULL,
		    cmlog_part_main, &pt[k]) == 0;
	}
	made = k;
	while (cmlog_par_take(par, 0, &c))
		(void)cmlog_reader_run(rd, par->cut[c + 1]);
	for (k = 1; k < made; k++)
		if (pt[k].started)
			pthread_join(pt[k].tid, NULL);
	/* Chunks a helper took and read through, in order; any other is
	 * indexed here (so that the ones after it can still be merged). */
	for (c = par->front; c < par->nch; c++) {
		struct cmlog_chunk *ch = &par->ch[c];

		if (ch->by != NULL && ch->ok && rd->pos == par->cut[c])
			cmlog_reader_merge(rd, ch);
		else
			(void)cmlog_reader_run(rd, par->cut[c + 1]);
	}
	for (k = 1; k < made; k++)
		cmlog_reader_free_index(&pt[k].rd);
	pthread_mutex_destroy(&par->mu);
	free(par);
}

/*
 * Index [rd->pos, end) by chunks at once where it is large enough and
 * there is more than one core; 1 if it did (the caller goes on
 * sequentially from rd->pos in any case).
 */
static int
cmlog_reader_maybe_parallel(struct cmlog_reader *rd, size_t end)
{
	long cpus = rd->cpus;

	if (rd->pos >= end || end - rd->pos < 2 * CMLOG_PAR_PART || cpus < 2)
		return 0;
	if (cpus > CMLOG_PAR_MAX)
		cpus = CMLOG_PAR_MAX;
	cmlog_reader_index_parallel(rd, end, (int)cpus);
	return 1;
}

/* Index what is readable (rd->size), from from, about max_bytes of it. */
static int
cmlog_reader_index_map(struct cmlog_reader *rd, size_t from, size_t max_bytes)
{
	size_t end;

	end = max_bytes == 0 || rd->size - from < max_bytes ? rd->size :
	    from + max_bytes;
	(void)cmlog_reader_maybe_parallel(rd, end);

	while (rd->pos < rd->size) {
		if (max_bytes != 0 && rd->pos - from >= max_bytes)
			return 1;
		cmlog_reader_prefault(rd);
		if (cmlog_reader_step(rd) == 0)
			break;
	}
	return 0;
}

/*
 * Point the scanner at a window (size bytes, the file's from offset base;
 * bol: they start a line), or at the map again (window NULL).
 */
static void
cmlog_reader_scan_in(struct cmlog_reader *rd, const unsigned char *window,
    size_t size, size_t base, int bol)
{
	rd->windowed = window != NULL;
	rd->map = window != NULL ? window : rd->src;
	rd->size = size;
	rd->base = base;
	rd->bol0 = bol;
	memset(&rd->cache, 0, sizeof rd->cache);
}

#define CMLOG_FEED_MIN	(1u << 20)	/* least transcoded per round */
#define CMLOG_WINDOW	(1u << 18)	/* bytes read per window */
/* A slice's window runs this far past it: the record that crosses the
 * slice's end is read with it, not again in a window of its own. */
#define CMLOG_WINDOW_OVER	(CMLOG_WINDOW - CMLOG_READ_SLICE)

/*
 * Index a UTF-8 file by reading it (pread) into one reused window and
 * scanning that, not the map: on a virtual machine the first touch of
 * each mapped page cost more than reading and scanning it. The end of a
 * window is read like the end of the file: a record or blank tail cut by
 * it is dropped and read again at the start of the next window (which
 * grows if one record fills it). The map stays for cmlog_reader_get().
 */
static int
cmlog_reader_index_read(struct cmlog_reader *rd, size_t max_bytes)
{
	size_t from = rd->pos, size = rd->size, base, len;
	size_t wmin = max_bytes != 0 && max_bytes < CMLOG_WINDOW -
	    CMLOG_WINDOW_OVER ? max_bytes + CMLOG_WINDOW_OVER : CMLOG_WINDOW;
	size_t win = wmin;
	int eof, bol, stopped;

	while (rd->pos < size) {
		if (max_bytes != 0 && rd->pos - from >= max_bytes)
			return 1;
		base = rd->pos;
		len = size - base < win ? size - base : win;
		rd->iwlen = 0;
		if (rd->wcap < len + 1)
			rd->wbuf = cmlog_buffer(rd->wbuf, len + 1, &rd->wcap);
		/* The byte before the window tells whether it starts a line. */
		if (cmlog_reader_pread(rd, rd->wbuf, len + (base > 0),
		    base - (base > 0)) == -1)
			return -1;
		rd->iwbase = base;
		rd->iwlen = len;
		rd->iwok = 0;
		bol = base == 0 || rd->wbuf[0] == '\n';
		eof = base + len >= size;
		cmlog_reader_scan_in(rd, rd->wbuf + (base > 0), len, base, bol);
		rd->pos = 0;
		rd->fetched = 0;
		while (rd->pos < rd->size && (max_bytes == 0 ||
		    base + rd->pos - from < max_bytes) &&
		    cmlog_reader_step(rd) != 0)
			;
		stopped = rd->pos < rd->size;	/* at max_bytes */
		cmlog_reader_scan_in(rd, NULL, size, 0, 1);
		if (stopped) {
			rd->pos += base;
			continue;
		}
		if (eof) {
			/* The end of the file: kept as the map would be. */
			rd->pos += base;
			rd->blank_start += base;
			break;
		}
		if (rd->partial) {
			rd->count--;
			rd->pos = rd->off[rd->count];
			rd->line = rd->partial_line;
			rd->partial = 0;
		} else if (rd->blank_tail) {
			rd->pos = base + rd->blank_start;
			rd->line = rd->blank_line;
		} else
			rd->pos += base;
		rd->blank_tail = 0;
		/* One record filled the window: read a larger one. */
		win = rd->pos == base ? win * 2 : wmin;
	}
	return 0;
}

int
cmlog_reader_index(struct cmlog_reader *rd, size_t max_bytes)
{
	size_t from = rd->pos, want, grow, end;
	int more;

	if (rd->enc == CMLOG_ENC_UTF8) {
		end = max_bytes == 0 || rd->size - from < max_bytes ?
		    rd->size : from + max_bytes;
		if (cmlog_reader_maybe_parallel(rd, end) && max_bytes != 0) {
			if (rd->pos - from >= max_bytes)
				return rd->pos < rd->size;
			max_bytes -= rd->pos - from;
		}
		return cmlog_reader_index_read(rd, max_bytes);
	}
	/*
	 * Transcode a slice ahead of the indexer, index it; a record cut by
	 * the end of the slice is read again with the next one, which is at
	 * least as long as that record so far (a huge record costs a few
	 * rounds, not one per megabyte).
	 */
	for (;;) {
		grow = rd->size - rd->pos > CMLOG_FEED_MIN ?
		    rd->size - rd->pos : CMLOG_FEED_MIN;
		want = max_bytes == 0 ? SIZE_MAX : from + max_bytes + grow;
		if (want < rd->size + grow)
			want = rd->size + grow;
		more = rd->src_end ? 0 : cmlog_reader_feed(rd, want);
		if (cmlog_reader_index_map(rd, from, max_bytes) == 1)
			return 1;
		if (!more)
			return 0;
		(void)cmlog_reader_unpartial(rd);
		if (max_bytes != 0 && rd->pos - from >= max_bytes)
			return 1;
	}
}

size_t
cmlog_reader_count(const struct cmlog_reader *rd)
{
	return rd->count;
}

void
cmlog_reader_progress(const struct cmlog_reader *rd, uint64_t *done,
    uint64_t *total)
{
	uint64_t d = rd->pos;

	/* Transcoded: the share of the file behind what is indexed. */
	if (rd->enc != CMLOG_ENC_UTF8 && rd->src_end && rd->pos >= rd->size)
		d = rd->src_size;	/* a held-back odd byte is done too */
	else if (rd->enc != CMLOG_ENC_UTF8)
		d = rd->size == 0 ? rd->src_skip : rd->src_skip +
		    (uint64_t)((double)(rd->src_done - rd->src_skip) *
		    ((double)rd->pos / (double)rd->size));
	if (done != NULL)
		*done = d;
	if (total != NULL)
		*total = rd->src_size;
}

int
cmlog_reader_type_at(const struct cmlog_reader *rd, size_t i)
{
	if (i >= rd->count)
		return CMLOG_TYPE_BADINDEX;
	if (rd->info[i] & CMLOG_INFO_MALFORMED)
		return CMLOG_TYPE_MALFORMED;
	return (int)rd->info[i] - 1;
}

/* ---- records ----------------------------------------------------------- */

static uint64_t
cmlog_count_nl(const unsigned char *m, size_t from, size_t to)
{
	const unsigned char *p = m + from, *end = m + to;
	uint64_t n = 0;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* Copy at most CMLOG_FIELD_MAX bytes, not splitting a UTF-8 character. */
static void
cmlog_copy_field(char *dst, const unsigned char *src, size_t n)
{
	size_t back = 0;

	if (n > CMLOG_FIELD_MAX) {
		n = CMLOG_FIELD_MAX;
		while (back < 3 && n > 0 && utf8_cont(src[n])) {
			n--;
			back++;
		}
		if (back == 3 && utf8_cont(src[n]))
			n += back;	/* not UTF-8 anyway: plain cut */
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void
cmlog_copy_str(char *dst, size_t dstsz, const unsigned char *src, size_t n)
{
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
cmlog_days_from_civil(int y, int mon, int d)
{
	int64_t era, yoe, doy, doe;

	y -= mon <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (mon > 2 ? mon - 3 : mon + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
cmlog_format_cause(const struct cmlog_reader *rd, const struct cmlog_scan *s,
    size_t start, uint64_t line, struct cmlog_record *rec)
{
	const unsigned char *m = rd->map, *ls;
	char what[96], val[40];
	size_t col, lstart, n;
	const char *an;

	line += cmlog_count_nl(m, start, s->err_pos);
	ls = s->err_pos > 0 ? memrchr(m, '\n', s->err_pos) : NULL;
	lstart = ls == NULL ? 0 : (size_t)(ls - m) + 1;
	col = s->err_pos - lstart + 1;
	if (lstart == 0 && s->err_pos >= 3 && rd->size >= 3 &&
	    memcmp(m, "\xef\xbb\xbf", 3) == 0)
		col -= 3;
	an = s->err_attr >= 0 ? cmlog_attr_names[s->err_attr] : "";
	switch (s->err) {
	case CMLOG_E_JUNK:
		snprintf(what, sizeof what, "text outside a record");
		break;
	case CMLOG_E_UNTERMINATED:
		snprintf(what, sizeof what,
		    "record has no ']LOG]!>' terminator");
		break;
	case CMLOG_E_EOF:
		snprintf(what, sizeof what,
		    "end of file inside the attribute block");
		break;
	case CMLOG_E_LT:
		snprintf(what, sizeof what, "expected '<' after ']LOG]!>'");
		break;
	case CMLOG_E_NAME:
		snprintf(what, sizeof what, "expected '%s=\"'", an);
		break;
	case CMLOG_E_VALUE_OPEN:
		snprintf(what, sizeof what, "unterminated %s value", an);
		break;
	case CMLOG_E_GT:
		snprintf(what, sizeof what, "expected '>' after the attributes");
		break;
	case CMLOG_E_BAD_VALUE:
		/* The value as written, escaped (it is the file's text). */
		n = s->vlen[s->err_attr];
		if (safetext_copy(val, sizeof val - 3, (const char *)m +
		    s->val[s->err_attr], n) < n)
			strcat(val, "...");
		snprintf(what, sizeof what, "bad %s \"%s\"", an, val);
		break;
	default:
		snprintf(what, sizeof what, "malformed record");
		break;
	}
	snprintf(rec->cause, sizeof rec->cause, "line %llu col %zu: %s",
	    (unsigned long long)line, col, what);
}

#define CMLOG_GET_WINDOW	(1u << 20)	/* bytes read per get window */

/*
 * Have the bytes [start, end) of a UTF-8 file in the get window, read
 * with pread(2): reading a megabyte costs less than faulting in the pages
 * of the map that hold it, and records are mostly got in runs (a screen,
 * a listing). A window runs forward from start, or back from end when
 * the reader moves backwards. -1 (and the error set) if it cannot be
 * read: a file truncated by another program is reported, not read
 * through the map (which would raise SIGBUS).
 */
static int
cmlog_reader_fetch(struct cmlog_reader *rd, size_t start, size_t end)
{
	size_t base, len;

	if (rd->glen != 0 && start >= rd->gbase && end <= rd->gbase + rd->glen)
		return 0;
	len = end - start > CMLOG_GET_WINDOW ? end - start : CMLOG_GET_WINDOW;
	base = start;
	if (rd->glen != 0 && start < rd->gbase && len == CMLOG_GET_WINDOW)
		base = end > len ? end - len : 0;
	if (len > rd->size - base)
		len = rd->size - base;
	/* A NUL after the bytes, as the map's zero fill gave a reader that
	 * (wrongly) took a text for a C string. */
	if (rd->gcap < len + 1)
		rd->gbuf = cmlog_buffer(rd->gbuf, len + 1, &rd->gcap);
	rd->glen = 0;
	if (cmlog_reader_pread(rd, rd->gbuf, len, base) == -1)
		return -1;
	rd->gbuf[len] = '\0';
	rd->gbase = base;
	rd->glen = len;
	return 0;
}

/*
 * Does the index's last window hold [start, end) of the file, and does
 * the file still hold the window? Asked of the file once per window (a
 * file cut short since is read, and the read says so).
 */
static int
cmlog_reader_in_index_window(struct cmlog_reader *rd, size_t start,
    size_t end)
{
	struct stat st;

	if (rd->iwlen == 0 || start < rd->iwbase ||
	    end > rd->iwbase + rd->iwlen)
		return 0;
	if (rd->iwok == 0)
		rd->iwok = fstat(rd->fd, &st) == 0 && (uint64_t)st.st_size >=
		    (uint64_t)(rd->iwbase + rd->iwlen) ? 1 : -1;
	return rd->iwok == 1;
}

/*
 * Scan record i (starting at start) in the index's last window, where it
 * is (a viewer showing records as it indexes them reads the file once),
 * or in the get window: 0 with s filled in, its offsets in *win; 1 where
 * it must be read from the map (not UTF-8, or not a well-formed record: a
 * malformed one's cause looks back to its line's start, which the window
 * may not hold); -1 if the file could not be read.
 */
static int
cmlog_reader_scan_window(struct cmlog_reader *rd, size_t i, size_t start,
    struct cmlog_cache *cache, struct cmlog_scan *s,
    const unsigned char **win)
{
	const unsigned char *w;
	size_t size = rd->size, end, wbase, wlen;

	if (rd->enc != CMLOG_ENC_UTF8)
		return 1;
	end = i + 1 < rd->count ? rd->off[i + 1] : rd->size;
	if (end <= start)
		return 1;
	if (cmlog_reader_in_index_window(rd, start, end)) {
		w = rd->wbuf + (rd->iwbase > 0);
		wbase = rd->iwbase;
		wlen = rd->iwlen;
	} else {
		if (cmlog_reader_fetch(rd, start, end) == -1)
			return -1;
		w = rd->gbuf;
		wbase = rd->gbase;
		wlen = rd->glen;
	}
	cmlog_reader_scan_in(rd, w, wlen, wbase, 1);
	cmlog_scan_at(rd, cache, NULL, start - wbase, s);
	cmlog_reader_scan_in(rd, NULL, size, 0, 1);
	if (s->malformed)
		return 1;
	*win = w;
	return 0;
}

/* The text of a record got from the index's window, into the get buffer
 * (the window is read again by the next index call). */
static const char *
cmlog_reader_keep_text(struct cmlog_reader *rd, const unsigned char *text,
    size_t len)
{
	if (rd->gcap < len + 1) {
		free(rd->gbuf);
		rd->gbuf = xmalloc(len + 1);
		rd->gcap = len + 1;
	}
	rd->glen = 0;		/* it holds no window of the file now */
	memcpy(rd->gbuf, text, len);
	rd->gbuf[len] = '\0';
	return (const char *)rd->gbuf;
}

int
cmlog_reader_get(struct cmlog_reader *rd, size_t i, struct cmlog_record *rec)
{
	struct cmlog_cache cache;
	struct cmlog_scan s;
	const unsigned char *m = rd->map;
	size_t start, base;
	uint64_t line;

	memset(rec, 0, sizeof *rec);
	if (i >= rd->count) {
		cmlog_reader_set_error(rd, "record %zu out of range (%zu)",
		    i, rd->count);
		return -1;
	}
	start = rd->off[i];
	base = i & ~(((size_t)1 << CMLOG_CK_SHIFT) - 1);
	line = rd->ckline[i >> CMLOG_CK_SHIFT];
	if (rd->dline[i] != CMLOG_DLINE_FAR)
		line += rd->dline[i];
	else
		line += cmlog_count_nl(m, rd->off[base], start);
	memset(&cache, 0, sizeof cache);
	switch (cmlog_reader_scan_window(rd, i, start, &cache, &s, &m)) {
	case -1:
		return -1;
	case 0:
		break;
	default:
		memset(&cache, 0, sizeof cache);
		cmlog_scan_at(rd, &cache, NULL, start, &s);
		break;
	}

	rec->line = (size_t)line;
	rec->text = (const char *)m + s.text;
	rec->text_len = s.text_len;
	if (s.malformed) {
		rec->malformed = 1;
		rec->type = CMLOG_TYPE_NONE;
		cmlog_format_cause(rd, &s, start, line, rec);
		return 0;
	}
	cmlog_copy_field(rec->component, m + s.val[CMLOG_A_COMPONENT],
	    s.vlen[CMLOG_A_COMPONENT]);
	cmlog_copy_field(rec->context, m + s.val[CMLOG_A_CONTEXT],
	    s.vlen[CMLOG_A_CONTEXT]);
	cmlog_copy_field(rec->file, m + s.val[CMLOG_A_FILE],
	    s.vlen[CMLOG_A_FILE]);
	cmlog_copy_str(rec->time_str, sizeof rec->time_str,
	    m + s.val[CMLOG_A_TIME], s.vlen[CMLOG_A_TIME]);
	cmlog_copy_str(rec->date_str, sizeof rec->date_str,
	    m + s.val[CMLOG_A_DATE], s.vlen[CMLOG_A_DATE]);
	cmlog_copy_field(rec->thread_str, m + s.val[CMLOG_A_THREAD],
	    s.vlen[CMLOG_A_THREAD]);
	if (rd->wbuf != NULL && m == rd->wbuf + (rd->iwbase > 0))
		rec->text = cmlog_reader_keep_text(rd, m + s.text, s.text_len);
	rec->type = s.type;
	rec->thread = s.thread;
	rec->thread_num = s.thread_num;
	if (s.has_when) {
		/* UTC = local + bias, when the offset is known. */
		rec->when = (time_t)(cmlog_days_from_civil(s.year, s.mon,
		    s.mday) * 86400 + s.hour * 3600 + s.min * 60 + s.sec +
		    (int64_t)s.tz_bias * 60);
		rec->msec = s.msec;
		rec->tz_known = s.tz_known;
		rec->tz_bias = s.tz_bias;
	}
	return 0;
}

/* ---- open, map, follow ------------------------------------------------- */

/*
 * Point the scanner at the file's map (UTF-8) or at the transcoding
 * buffer, reserved (not committed) for the worst case of the whole file;
 * it grows, and may move, only here.
 */
static int
cmlog_reader_view(struct cmlog_reader *rd)
{
	size_t need;
	void *p;

	if (rd->enc == CMLOG_ENC_UTF8) {
		if (rd->tbuf != NULL)
			munmap(rd->tbuf, rd->tcap);
		rd->tbuf = NULL;
		rd->tcap = 0;
		rd->map = rd->src;
		rd->size = rd->src_size;
		return 0;
	}
	need = (cmlog_worst(rd, rd->src_size) + rd->page) & ~(rd->page - 1);
	if (need > rd->tcap) {
		p = rd->tbuf == NULL ? mmap(NULL, need, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) :
		    mremap(rd->tbuf, rd->tcap, need, MREMAP_MAYMOVE);
		if (p == MAP_FAILED) {
			cmlog_reader_set_error(rd, "%s: no memory to transcode"
			    " it: %s", rd->path, strerror(errno));
			return -1;
		}
		rd->tbuf = p;
		rd->tcap = need;
#ifdef MADV_HUGEPAGE
		(void)madvise(p, need, MADV_HUGEPAGE);	/* fewer faults */
#endif
	}
	rd->map = rd->tbuf;
	if (rd->size > rd->tcap)
		rd->size = 0;
	return 0;
}

/* Map size bytes of rd->fd (none if 0). */
static int
cmlog_reader_map(struct cmlog_reader *rd, size_t size)
{
	void *p;

	if (rd->src != NULL)
		munmap((void *)rd->src, rd->src_size);
	rd->src = NULL;
	rd->src_size = 0;
	rd->prefaulted = 0;
	rd->glen = 0;
	memset(&rd->cache, 0, sizeof rd->cache);
	if (size != 0) {
		p = mmap(NULL, size, PROT_READ, MAP_SHARED, rd->fd, 0);
		if (p == MAP_FAILED) {
			cmlog_reader_set_error(rd, "mmap %s: %s", rd->path,
			    strerror(errno));
			rd->map = NULL;
			rd->size = 0;
			cmlog_reader_reset(rd);	/* nothing to point into */
			return -1;
		}
		rd->src = p;
		rd->src_size = size;
	}
	if (cmlog_reader_view(rd) == -1) {
		rd->map = NULL;
		rd->size = 0;
		cmlog_reader_reset(rd);
		return -1;
	}
	return 0;
}

/* Remember the first bytes, to notice a file rewritten in place. */
static void
cmlog_reader_keep_head(struct cmlog_reader *rd)
{
	rd->head_len = rd->src_size < CMLOG_HEAD_MAX ? rd->src_size :
	    CMLOG_HEAD_MAX;
	if (rd->head_len != 0)
		memcpy(rd->head, rd->src, rd->head_len);
}

/* Map size bytes of the file and read it from the start, in its encoding. */
static int
cmlog_reader_start(struct cmlog_reader *rd, size_t size)
{
	rd->enc = CMLOG_ENC_UTF8;
	rd->src_skip = 0;
	cmlog_reader_reset(rd);
	if (cmlog_reader_map(rd, size) == -1)
		return -1;
	rd->enc = cmlog_detect(rd->src, rd->src_size, &rd->src_skip);
	cmlog_reader_reset(rd);
	if (cmlog_reader_view(rd) == -1) {
		rd->map = NULL;
		rd->size = 0;
		return -1;
	}
	cmlog_reader_keep_head(rd);
	return 0;
}

/* Open path as rd's file (replacing the current one) and map it. */
static int
cmlog_reader_attach(struct cmlog_reader *rd)
{
	struct stat st;
	int fd = -1, ret = -1;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer; the type
	 * is decided on the descriptor, never by a stat() before. */
	if ((fd = open(rd->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
	    O_NOCTTY)) == -1) {
		cmlog_reader_set_error(rd, "%s: %s", rd->path,
		    strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		cmlog_reader_set_error(rd, "fstat %s: %s", rd->path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		cmlog_reader_set_error(rd, "%s: not a regular file (%s); a log"
		    " is read only from a regular file", rd->path,
		    S_ISFIFO(st.st_mode) ? "a named pipe" : S_ISSOCK(st.st_mode) ?
		    "a socket" : S_ISDIR(st.st_mode) ? "a directory" :
		    S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" :
		    "a special file");
		goto out;
	}
	if ((uint64_t)st.st_size > SIZE_MAX) {
		cmlog_reader_set_error(rd, "%s: too large to map", rd->path);
		goto out;
	}
	if (rd->src != NULL)
		munmap((void *)rd->src, rd->src_size);
	rd->src = rd->map = NULL;
	rd->src_size = rd->size = 0;
	if (rd->fd != -1)
		close(rd->fd);
	rd->fd = fd;
	fd = -1;
	rd->dev = st.st_dev;
	rd->ino = st.st_ino;
	if (cmlog_reader_start(rd, (size_t)st.st_size) == -1)
		goto out;
	ret = 0;
out:
	if (fd != -1)
		close(fd);
	return ret;
}

struct cmlog_reader *
cmlog_reader_open(const char *path, char **cause)
{
	struct cmlog_reader *rd = NULL;

	if (cause != NULL)
		*cause = NULL;
	rd = xcalloc(1, sizeof *rd);
	rd->fd = -1;
	rd->bol0 = 1;
	rd->page = (size_t)sysconf(_SC_PAGESIZE);
	rd->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	rd->path = xstrdup(path);
	cmlog_reader_reset(rd);
	if (cmlog_reader_attach(rd) == -1) {
		if (cause != NULL)
			*cause = xstrdup(rd->error);
		cmlog_reader_close(rd);
		rd = NULL;
		goto out;
	}
out:
	return rd;
}

void
cmlog_reader_close(struct cmlog_reader *rd)
{
	if (rd == NULL)
		return;
	if (rd->src != NULL)
		munmap((void *)rd->src, rd->src_size);
	if (rd->tbuf != NULL)
		munmap(rd->tbuf, rd->tcap);
	if (rd->fd != -1)
		close(rd->fd);
	cmlog_reader_free_index(rd);
	free(rd->path);
	free(rd);
}

const char *
cmlog_reader_error(const struct cmlog_reader *rd)
{
	return rd->error;
}

/*
 * Would the file, grown to size, be read in another encoding? Asked only
 * while it was shorter than what cmlog_detect() looks at.
 */
static int
cmlog_reader_enc_changed(struct cmlog_reader *rd, size_t size)
{
	unsigned char *buf;
	size_t skip;
	ssize_t n;
	int changed;

	if (rd->src_size >= CMLOG_DETECT_MAX)
		return 0;
	if (size > CMLOG_DETECT_MAX)
		size = CMLOG_DETECT_MAX;
	buf = xmalloc(size);
	do
		n = pread(rd->fd, buf, size, 0);
	while (n == -1 && errno == EINTR);
	changed = n > 0 && (cmlog_detect(buf, (size_t)n, &skip) != rd->enc ||
	    skip != rd->src_skip);
	free(buf);
	return changed;
}

/* Do the first bytes still match what was mapped? */
static int
cmlog_reader_same_head(struct cmlog_reader *rd)
{
	unsigned char buf[CMLOG_HEAD_MAX];
	ssize_t n;

	if (rd->head_len == 0)
		return 1;
	do
		n = pread(rd->fd, buf, rd->head_len, 0);
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)rd->head_len &&
	    memcmp(buf, rd->head, rd->head_len) == 0;
}

int
cmlog_reader_refresh(struct cmlog_reader *rd)
{
	struct stat sp, sf;
	size_t old_count = rd->count;
	int at_end, dropped = 0, ret = -1;

	if (stat(rd->path, &sp) == -1) {
		if (errno == ENOENT) {
			ret = 0;	/* rolled, not yet recreated */
			goto out;
		}
		cmlog_reader_set_error(rd, "%s: %s", rd->path, strerror(errno));
		goto out;
	}
	if (sp.st_dev != rd->dev || sp.st_ino != rd->ino) {
		/* Rolled or replaced: start over on the new file. */
		if (cmlog_reader_attach(rd) == -1)
			goto out;
		if (cmlog_reader_index(rd, 0) == -1)
			goto out;
		ret = 1;
		goto out;
	}
	if (fstat(rd->fd, &sf) == -1) {
		cmlog_reader_set_error(rd, "fstat %s: %s", rd->path,
		    strerror(errno));
		goto out;
	}
	if ((uint64_t)sf.st_size > SIZE_MAX) {
		cmlog_reader_set_error(rd, "%s: too large to map", rd->path);
		goto out;
	}
	if ((size_t)sf.st_size < rd->src_size || !cmlog_reader_same_head(rd) ||
	    ((size_t)sf.st_size > rd->src_size &&
	    cmlog_reader_enc_changed(rd, (size_t)sf.st_size))) {
		/* Truncated, rewritten in place, or only now long enough to
		 * tell its encoding: start over. */
		if (cmlog_reader_start(rd, (size_t)sf.st_size) == -1)
			goto out;
		if (cmlog_reader_index(rd, 0) == -1)
			goto out;
		ret = 1;
		goto out;
	}
	if ((size_t)sf.st_size == rd->src_size) {
		ret = 0;
		goto out;
	}
	/* Grown. */
	at_end = rd->pos >= rd->size && (rd->enc == CMLOG_ENC_UTF8 ||
	    rd->src_end);
	dropped = cmlog_reader_unpartial(rd);
	rd->src_end = 0;
	if (cmlog_reader_map(rd, (size_t)sf.st_size) == -1)
		goto out;
	if (rd->head_len < CMLOG_HEAD_MAX)
		cmlog_reader_keep_head(rd);
	if (at_end && cmlog_reader_index(rd, 0) == -1)
		goto out;
	ret = rd->count != old_count || dropped;
out:
	return ret;
}

int
cmlog_component_match(const char *component, const char *pattern)
{
	if (pattern == NULL || *pattern == '\0')
		return 1;
	return component != NULL && strcasestr(component, pattern) != NULL;
}
