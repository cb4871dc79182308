/*
 * cmlog-merge: several CMTrace logs as one timeline (CMTrace's "merge
 * selected files"), filtered by the one log filter (cmlog-filter.h); used
 * by ehttpctl log show FILE... and the console's log view (one file is a
 * merge of one).
 *
 * Order: a k-way merge over the files' own record order. The next row is
 * the head of the file whose head is earliest by its record's time (when
 * and msec of struct cmlog_record); ties go to the file given first, and a
 * file's own records never change their order, so the merge is stable. A
 * record without a time (a junk line, a record with an empty time) takes
 * the time of the record before it in its file, so it stays next to its
 * neighbour. Only the records the filter keeps take part.
 *
 * Memory: each file keeps its reader's index (9 bytes a record) and the
 * merge keeps one 8-byte row per record kept (none for one file without
 * a filter: row = record); a streaming caller drops the rows it has used
 * with cmlog_merge_forget(). Nothing is parsed ahead of the merge.
 *
 * Work is done in steps (cmlog_merge_step), so a viewer stays live on
 * huge logs: a row is known once every file has its next record indexed.
 */
#ifndef CMLOG_MERGE_H
#define CMLOG_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "cmlog-filter.h"

#define CMLOG_MERGE_MAX		100	/* files in one merge */

struct cmlog_merge;

/*
 * Open n logs (1 <= n <= CMLOG_MERGE_MAX). Refused, with *cause naming the
 * file (caller frees): a file that cannot be opened, a directory, and the
 * same file given twice. slice: bytes indexed at a time (0: 8 MiB).
 */
struct cmlog_merge *cmlog_merge_open(const char *const *paths, size_t n,
		    size_t slice, char **cause);
void		 cmlog_merge_close(struct cmlog_merge *);	/* NULL ok */

/* Start over with filter f (NULL: none); the indexes are kept. */
void		 cmlog_merge_set_filter(struct cmlog_merge *,
		    const struct cmlog_filter *);

/*
 * Merge about budget more records (indexing as needed, one slice of a file
 * at most, so that a caller showing the rows gets their records while the
 * reader holds what it read for them). 1 if more remains, 0 when every
 * file is indexed and merged, -1 on error (cmlog_merge_error).
 */
int		 cmlog_merge_step(struct cmlog_merge *, size_t budget);

/* Rows merged so far (including forgotten ones). */
size_t		 cmlog_merge_count(const struct cmlog_merge *);

/* The file and record of row (< count, not forgotten): 0, or -1. */
int		 cmlog_merge_at(const struct cmlog_merge *, size_t row,
		    size_t *file, size_t *record);

/* The last row of file at or before record (the nearest before), or 0. */
size_t		 cmlog_merge_row_of(const struct cmlog_merge *, size_t file,
		    size_t record);

/* Drop the rows merged so far (a streaming reader has shown them). */
void		 cmlog_merge_forget(struct cmlog_merge *);

/* The files: count, reader (borrowed), path as given, and the tag shown
 * for its rows: the file name, or "folder/name" when two files given have
 * the same name. */
size_t		 cmlog_merge_files(const struct cmlog_merge *);
struct cmlog_reader *cmlog_merge_reader(const struct cmlog_merge *, size_t);
const char	*cmlog_merge_path(const struct cmlog_merge *, size_t);
const char	*cmlog_merge_tag(const struct cmlog_merge *, size_t);

/* Indexing progress over all files. */
void		 cmlog_merge_progress(const struct cmlog_merge *,
		    uint64_t *done, uint64_t *total);

/*
 * Follow: refresh every file (cmlog_reader_refresh). Returns 2 if a file
 * started over (rolled or truncated: the merge starts over too), 1 if
 * records were added, 0 if nothing changed, -1 on error.
 */
int		 cmlog_merge_refresh(struct cmlog_merge *);

/* Malformed records of file (all of them, filtered or not) and the cause
 * of the first one into first (len bytes). Walks the index: call once. */
size_t		 cmlog_merge_malformed(struct cmlog_merge *, size_t file,
		    char *first, size_t len);

const char	*cmlog_merge_error(const struct cmlog_merge *);	/* borrowed */

/*
 * A record's time as every log viewer shows it (ehttpctl log show, the
 * console), from when + msec: UTC where the offset was written
 * (tz_known); a time written without one is local to an unknown zone and
 * is never labelled UTC: TEXT appends " local", ISO drops the "Z". A
 * record without a time: "-" (CLOCK: ""). Returns buf.
 *   CMLOG_WHEN_TEXT   2026-11-24 14:05:12.345 | 2026-11-24 14:05:12.345 local
 *   CMLOG_WHEN_ISO    2026-11-24T14:05:12.345Z | 2026-11-24T14:05:12.345
 *   CMLOG_WHEN_CLOCK  14:05:12 (UTC or local as above: say which apart)
 */
enum cmlog_when_form { CMLOG_WHEN_TEXT, CMLOG_WHEN_ISO, CMLOG_WHEN_CLOCK };
#define CMLOG_WHEN_LEN	64
const char	*cmlog_merge_when(const struct cmlog_record *, char *buf,
		    size_t len, enum cmlog_when_form);

/*
 * The logs of a folder (names ending .log or .lo_, sorted by name, at most
 * CMLOG_MERGE_MAX) as paths (the caller frees them with strv_free,
 * xmalloc.h). 0, or -1 with *cause.
 */
int		 cmlog_folder_logs(const char *dir, char ***paths, size_t *n,
		    char **cause);

#endif
