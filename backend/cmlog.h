/*
 * CMTrace log records: a writer for ehttp's own component
 * logs and a tolerant, incremental reader for any CMTrace log.
 *
 *   <![LOG[text]LOG]!><time="HH:MM:SS.mmm+000" date="MM-DD-YYYY"
 *       component="C" context="" type="N" thread="TID" file="F">
 *
 * Writer choices (what cmlog_write() does to its input):
 *  - the record is built in memory and written with ONE write() on an
 *    O_APPEND descriptor under flock(2), so concurrent threads and
 *    processes never interleave; a new file is created 0640 (before the
 *    umask);
 *  - the log is opened O_NOFOLLOW: a path whose last component is a
 *    symbolic link is refused, and so is a file with other hard links, a
 *    file not owned by root when running as root, and anything but a
 *    regular file or a character device (/dev/null); the same on every
 *    reopen after a roll;
 *  - a failed or short write (disk full, file size limit) is cut back with
 *    ftruncate() to where the record started, so the file never keeps a
 *    torn record; if that cut fails, the next record starts with a line
 *    break so it is not glued to the torn one;
 *  - times are UTC with offset "+000"; thread is gettid();
 *  - text: "]LOG]!>" becomes "]LOG]!&gt;" and "<![LOG[" becomes
 *    "&lt;![LOG[" (there is no escaping in the format; this is lossy by
 *    design); CR, LF, CRLF and NUL become one space each, so every record is
 *    one physical line; every other unsafe character (other controls, C1,
 *    bidi controls, invalid UTF-8) and the backslash are escaped as
 *    safetext.h says ("\x1b", "\u202e", "\xff", "\\");
 *  - component and file: '"', CR and LF are removed, the rest escaped as
 *    the text is, then the value is cut to at most
 *    100 bytes before a character or escape that would not fit; an empty
 *    component is written as "ehttp"; context is "";
 *  - rolling (max_size > 0): before a write that would make the file larger
 *    than max_size (and the file is not empty), the file is renamed to its
 *    name with the last character replaced by '_' (mpcontrol.log ->
 *    mpcontrol.lo_, replacing an older one) and a new file is started.  A
 *    name without an extension, or ending in '_', gets '_' appended.
 *    Writers in several processes coordinate the roll with flock(2) on the
 *    log file.
 *
 * A struct cmlog is safe to share between threads.
 */
#ifndef CMLOG_H
#define CMLOG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CMLOG_FIELD_MAX		100	/* component, context, file (bytes) */

/* Record types as written in type="N", plus the reader's special values. */
#define CMLOG_TYPE_INFO		1
#define CMLOG_TYPE_WARNING	2
#define CMLOG_TYPE_ERROR	3
#define CMLOG_TYPE_NONE		(-1)	/* type="" */
#define CMLOG_TYPE_MALFORMED	(-2)	/* junk or unparseable record */
#define CMLOG_TYPE_BADINDEX	(-3)	/* cmlog_reader_type_at(): i >= count */

/* "info", "warning", "error", "none" (-1), "malformed" (-2), else "other". */
const char	*cmlog_type_name(int);

/* Writer. */
struct cmlog;

/* Open (create 0640) path for appending by the rules above; NULL and
 * *cause (caller frees). */
struct cmlog	*cmlog_open(const char *path, size_t max_size, char **cause);
void		 cmlog_close(struct cmlog *);	/* NULL is fine */

/*
 * Append one record. type is CMLOG_TYPE_INFO/WARNING/ERROR; component may
 * be NULL ("ehttp"), file_line ("mpcontrol.c:212") may be NULL (""). Returns
 * 0, or -1 with errno set and the message in cmlog_error().
 */
int		 cmlog_write(struct cmlog *, int type, const char *component,
		    const char *file_line, const char *fmt, ...)
		    __attribute__((format(printf, 5, 6)));

/* The last error of this handle ("" if none); borrowed. */
const char	*cmlog_error(const struct cmlog *);

/* The name a log is rolled to ("x.log" -> "x.lo_"); caller frees. */
char		*cmlog_rolled_name(const char *path);

/*
 * Reader. The file is mmap'ed read-only; nothing is read until
 * cmlog_reader_index() is called, which records where each record starts
 * (8 bytes of offset + 1 byte of type + 1 byte of line step per record,
 * plus a line-number checkpoint every 64 records) so a viewer can start on
 * a huge file at once and index the rest in slices. A UTF-8 file is
 * indexed by reading it (pread) in windows of 256 KiB, not through the map
 * (the first touch of a mapped page can cost more than reading it), and
 * cmlog_reader_get() reads its records the same way, a window at a time,
 * or from the last window the index read when it holds them (a malformed
 * record, and a file in another encoding, from the map).
 *
 * Encodings: UTF-8 with or without a BOM is read in place. UTF-16LE and
 * UTF-16BE with a BOM, UTF-16 without one when the first bytes say so (an
 * ASCII character and a NUL in most 2-byte units), and a UTF-8 file whose
 * lines end with a lone CR are transcoded once, slice by slice as they are
 * indexed, into UTF-8 with LF (a lone CR becomes LF; an unpaired surrogate
 * becomes U+FFFD). Records are always handed out as UTF-8.
 *
 * What counts as a record (lenient, as the reference viewer reads the logs
 * that script writers produce):
 *  - "<![LOG[" text "]LOG]!>" then an attribute block in the order time,
 *    date, component, context, type, thread, file; attributes are
 *    separated by runs of spaces/tabs; file may be missing; time
 *    "H:M:S[.fraction][offset]" with 1- or 2-digit parts, a fraction of any
 *    number of digits (0-7 seen; ".4" is 400 ms) and an offset that is
 *    missing, "+N", "-N" or "+-N" (N minutes, the Windows bias: UTC = local
 *    + bias; see tz_known below); date "M-D-YYYY" (or "M/D/YYYY"); type a
 *    number 0-99.  Placeholders: a time, date, type or thread that is
 *    empty, blanks or "Empty" means "not given"; a thread that is not a
 *    number is kept as written (thread_str).  Values longer than 100 bytes
 *    are cut (on a UTF-8 character boundary).  The attribute block must be
 *    on one line.
 *  - the text ends at the first "]LOG]!>"; it may span lines (it is
 *    returned raw, CRLF included), but a line that starts with "<![LOG["
 *    before the terminator starts a new record and makes the unterminated
 *    one malformed.
 *  - blank lines and a UTF-8 BOM at a line start are skipped; any other
 *    text outside a record is returned line by line as malformed records
 *    (text = the raw line without its line break), so nothing is dropped;
 *    a record whose attribute block cannot be parsed (a missing or
 *    misplaced attribute, an unterminated value, a time, date or type that
 *    is neither a placeholder nor readable) is one malformed record
 *    covering its lines up to the end of the line holding the error.
 *  - bytes are passed through untouched (NUL, invalid UTF-8 in a UTF-8
 *    file): sanitise before display.
 * Causes are "line N col M: what"; N and M are 1-based, M counts bytes of
 * the UTF-8 text (a BOM on line 1 is not counted).
 *
 * A reader is not thread-safe. If another program truncates the file in
 * place, getting a well-formed record of a UTF-8 file fails with an error;
 * anything read through the map (a malformed record's cause, a file in
 * another encoding) touches the lost pages, which raises SIGBUS (mmap
 * semantics): call cmlog_reader_refresh() before use when following a log
 * that may be truncated. Logs rolled by rename (as cmlog_write() does) are
 * safe.
 */
struct cmlog_reader;

struct cmlog_record {
	const char	*text;		/* UTF-8; NOT NUL-terminated */
	size_t		 text_len;
	char		 component[CMLOG_FIELD_MAX + 1];
	char		 context[CMLOG_FIELD_MAX + 1];
	char		 file[CMLOG_FIELD_MAX + 1];
	int		 type;		/* 0-99 as written, -1 empty/malformed */
	unsigned long	 thread;	/* 0 if empty or not a number */
	int		 thread_num;	/* 1 if thread was a number */
	char		 thread_str[CMLOG_FIELD_MAX + 1]; /* as written */
	/*
	 * when + msec: the record's time in seconds since the epoch. If
	 * tz_known, it is UTC (the time as written plus tz_bias minutes);
	 * if not (no offset, as many scripts write), it is the time as
	 * written, a local time of unknown zone: never label it UTC. 0 if
	 * time or date is not given. Sort and merge on when + msec.
	 */
	time_t		 when;
	int		 msec;		/* 0-999 */
	int		 tz_known;	/* the offset was written and readable */
	int		 tz_bias;	/* minutes as written: UTC = local + bias
					   ("+480" US Pacific, "+-60" = -60) */
	char		 time_str[32];	/* as written (cut to 31 bytes) */
	char		 date_str[16];	/* as written (cut to 15 bytes) */
	size_t		 line;		/* 1-based line where the record starts */
	int		 malformed;	/* junk line or unparseable record */
	char		 cause[128];	/* "line N col M: what" if malformed */
};

/* Open and map path (nothing is indexed yet); NULL and *cause on error. */
struct cmlog_reader *cmlog_reader_open(const char *path, char **cause);
void		 cmlog_reader_close(struct cmlog_reader *);	/* NULL ok */

/*
 * Index about max_bytes more of the file (0 = all; a record is never split,
 * so a slice may run past max_bytes). Returns 1 if more remains, 0 at the
 * end, -1 on error.
 */
int		 cmlog_reader_index(struct cmlog_reader *, size_t max_bytes);

/*
 * A slice of at most this many bytes of a UTF-8 file is read at once, and
 * the records of the last one are got from what was read: a viewer that
 * indexes a slice, then shows its records, reads the file once.
 */
#define CMLOG_READ_SLICE	((size_t)252 << 10)

/* Records indexed so far. */
size_t		 cmlog_reader_count(const struct cmlog_reader *);

/* Bytes of the file indexed so far and its size (for a progress bar). */
void		 cmlog_reader_progress(const struct cmlog_reader *,
		    uint64_t *done, uint64_t *total);

/*
 * Parse record i (< count) into *rec: 0, or -1 if i is out of range or
 * the file can no longer be read there (truncated by another program:
 * cmlog_reader_error() says so; refresh). A malformed record is still 0,
 * with rec->malformed and rec->cause set.
 * rec->text stays valid until the next cmlog_reader_get(),
 * cmlog_reader_refresh() or close on the same reader (cmlog_reader_index()
 * calls keep it valid): use or copy it before getting another record.
 */
int		 cmlog_reader_get(struct cmlog_reader *, size_t i,
		    struct cmlog_record *rec);

/*
 * The type of record i from the index, without parsing: 0-99,
 * CMLOG_TYPE_NONE, CMLOG_TYPE_MALFORMED or CMLOG_TYPE_BADINDEX.
 */
int		 cmlog_reader_type_at(const struct cmlog_reader *, size_t i);
/*
 * The component filter of every log viewer (ehttpctl log show --component,
 * the console's Filter): pattern found anywhere in component, ignoring
 * ASCII case; an empty pattern matches all. 1 or 0.
 */
int		 cmlog_component_match(const char *component,
		    const char *pattern);

/*
 * Follow the file: if it grew, remap and index the new part (a record cut
 * by the old end of file is parsed again); if it shrank or path now names
 * another file (rolled), start over on the file at path. Returns 1 if the
 * records changed (then indexes and record pointers from before are stale
 * if it started over), 0 if not, -1 on error. If path is gone, keeps the
 * old file and returns 0.
 */
int		 cmlog_reader_refresh(struct cmlog_reader *);

/* The last error of this reader ("" if none); borrowed. */
const char	*cmlog_reader_error(const struct cmlog_reader *);

#endif
