/*
 * cmlog-merge: several CMTrace logs as one filtered timeline
 * (cmlog-merge.h).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmlog-merge.h"
#include "timefmt.h"
#include "xmalloc.h"

#define MERGE_SLICE	((size_t)8 << 20)
#define ROW_FILE_SHIFT	48
#define ROW_RECORD_MASK	(((uint64_t)1 << ROW_FILE_SHIFT) - 1)
#define KEY_NONE	INT64_MIN

struct merge_file {
	char			*path;
	char			*tag;
	struct cmlog_reader	*rd;
	dev_t			 dev;
	ino_t			 ino;
	int			 indexed;	/* the reader is at its end */
	int			 stepped;	/* indexed more in this step */
	size_t			 pos;		/* next record to consider */
	int			 has_head;
	size_t			 head;		/* record of the head */
	int64_t			 head_key;
	int64_t			 last_key;	/* of the last kept record */
};

struct cmlog_merge {
	struct merge_file	*f;
	size_t			 n;
	size_t			 slice;
	struct cmlog_filter	 filter;
	int			 active;	/* filter keeps less than all */
	uint64_t		*rows;		/* file << 48 | record */
	size_t			 nrows, caprows;
	size_t			 base;		/* rows forgotten */
	struct cmlog_record	 rec;		/* scratch */
	char			 error[512];
};

static void
merge_err(struct cmlog_merge *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
merge_err(struct cmlog_merge *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->error, sizeof m->error, fmt, ap);
	va_end(ap);
}

/* "dir/name" of path, or name when dirs is 0. */
static char *
tag_of(const char *path, int dirs)
{
	const char *end = path + strlen(path), *p;

	while (end > path + 1 && end[-1] == '/')
		end--;
	p = end;
	for (int parts = dirs ? 2 : 1; p > path; p--)
		if (p[-1] == '/' && --parts == 0)
			break;
	return xstrndup(p, (size_t)(end - p));
}

/* Tags: the file names, or folder/name when two names are the same. */
static void
merge_tags(struct cmlog_merge *m)
{
	int dirs = 0;

	for (size_t i = 0; i < m->n; i++)
		m->f[i].tag = tag_of(m->f[i].path, 0);
	for (size_t i = 0; i < m->n && !dirs; i++)
		for (size_t j = i + 1; j < m->n && !dirs; j++)
			if (strcmp(m->f[i].tag, m->f[j].tag) == 0)
				dirs = 1;
	if (!dirs)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->f[i].tag);
		m->f[i].tag = tag_of(m->f[i].path, 1);
	}
}

static void
merge_restart(struct cmlog_merge *m)
{
	m->nrows = 0;
	m->base = 0;
	for (size_t i = 0; i < m->n; i++) {
		m->f[i].pos = 0;
		m->f[i].has_head = 0;
		m->f[i].last_key = KEY_NONE;
	}
}

struct cmlog_merge *
cmlog_merge_open(const char *const *paths, size_t n, size_t slice,
    char **cause)
{
	struct cmlog_merge *m = NULL;
	struct stat st;
	char *why = NULL;

	*cause = NULL;
	if (n == 0 || n > CMLOG_MERGE_MAX) {
		xasprintf(cause, "%zu logs given: merge 1 to %d at a time",
		    n, CMLOG_MERGE_MAX);
		return NULL;
	}
	m = xcalloc(1, sizeof *m);
	m->f = xcalloc(n, sizeof *m->f);
	m->slice = slice ? slice : MERGE_SLICE;
	for (size_t i = 0; i < n; i++) {
		struct merge_file *f = &m->f[i];

		m->n = i + 1;
		f->path = xstrdup(paths[i]);
		if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			xasprintf(cause, "%s: is a folder, not a log (name"
			    " its logs, e.g. %s/*.log)", paths[i],
			    paths[i]);
			goto fail;
		}
		if ((f->rd = cmlog_reader_open(paths[i], &why)) == NULL) {
			/* The reader's cause names the file already when it
			 * can; say which one anyway. */
			xasprintf(cause, "%s%s%s", strstr(why != NULL ? why :
			    "", paths[i]) != NULL ? "" : paths[i],
			    strstr(why != NULL ? why : "", paths[i]) != NULL ?
			    "" : ": ", why != NULL ? why : "cannot open");
			free(why);
			goto fail;
		}
		if (stat(paths[i], &st) == 0) {
			f->dev = st.st_dev;
			f->ino = st.st_ino;
			for (size_t j = 0; j < i; j++)
				if (m->f[j].dev == st.st_dev &&
				    m->f[j].ino == st.st_ino) {
					xasprintf(cause, "%s: given twice"
					    " (as %s before)", paths[i],
					    m->f[j].path);
					goto fail;
				}
		}
	}
	merge_tags(m);
	merge_restart(m);
	return m;
fail:
	cmlog_merge_close(m);
	return NULL;
}

void
cmlog_merge_close(struct cmlog_merge *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++) {
		cmlog_reader_close(m->f[i].rd);
		free(m->f[i].path);
		free(m->f[i].tag);
	}
	free(m->f);
	free(m->rows);
	free(m);
}

void
cmlog_merge_set_filter(struct cmlog_merge *m, const struct cmlog_filter *f)
{
	m->active = cmlog_filter_set(&m->filter, f);
	merge_restart(m);
}

/* One file and every record of it kept: rows are its records. */
static int
identity(const struct cmlog_merge *m)
{
	return m->n == 1 && !m->active;
}

static void
row_add(struct cmlog_merge *m, size_t file, size_t record)
{
	m->rows = xgrowarray(m->rows, &m->caprows, m->nrows, 4096,
	    sizeof *m->rows);
	m->rows[m->nrows++] = (uint64_t)file << ROW_FILE_SHIFT |
	    ((uint64_t)record & ROW_RECORD_MASK);
}

/* Index more of file f; -1 on error. */
static int
index_more(struct cmlog_merge *m, struct merge_file *f)
{
	int r;

	if (f->indexed)
		return 0;
	if ((r = cmlog_reader_index(f->rd, m->slice)) == -1) {
		merge_err(m, "%s", cmlog_reader_error(f->rd));
		return -1;
	}
	if (r == 0)
		f->indexed = 1;
	return 0;
}

/*
 * Find file f's next kept record, using up *budget. 1: it has a head (or
 * is at its end: has_head 0), 0: out of budget, -1: error.
 */
static int
advance(struct cmlog_merge *m, struct merge_file *f, size_t *budget)
{
	int need_time = m->n > 1;

	while (!f->has_head) {
		if (f->pos >= cmlog_reader_count(f->rd)) {
			if (f->indexed)
				return 1;	/* at its end */
			/* One slice a step: its records are got while the
			 * reader still holds what it read for them. */
			if (f->stepped)
				return 0;
			if (index_more(m, f) == -1)
				return -1;
			f->stepped = 1;
			continue;
		}
		if (*budget == 0)
			return 0;
		(*budget)--;
		if (!cmlog_filter_type_ok(&m->filter,
		    cmlog_reader_type_at(f->rd, f->pos))) {
			f->pos++;
			continue;
		}
		if (need_time || cmlog_filter_needs_record(&m->filter)) {
			/* Only a file cut short fails here: say so. */
			if (cmlog_reader_get(f->rd, f->pos, &m->rec) == -1) {
				merge_err(m, "%s", cmlog_reader_error(f->rd));
				return -1;
			}
			if (!cmlog_filter_match(&m->filter, &m->rec)) {
				f->pos++;
				continue;
			}
			if (!m->rec.malformed && m->rec.when != 0)
				f->last_key = (int64_t)m->rec.when * 1000 +
				    m->rec.msec;
		}
		f->head = f->pos++;
		f->head_key = f->last_key;
		f->has_head = 1;
	}
	return 1;
}

int
cmlog_merge_step(struct cmlog_merge *m, size_t budget)
{
	if (identity(m)) {
		struct merge_file *f = &m->f[0];

		if (index_more(m, f) == -1)
			return -1;
		return f->indexed ? 0 : 1;
	}
	for (size_t i = 0; i < m->n; i++)
		m->f[i].stepped = 0;
	for (;;) {
		size_t best = (size_t)-1;

		for (size_t i = 0; i < m->n; i++) {
			int r = advance(m, &m->f[i], &budget);

			if (r <= 0)
				return r == 0 ? 1 : -1;
		}
		for (size_t i = 0; i < m->n; i++)
			if (m->f[i].has_head && (best == (size_t)-1 ||
			    m->f[i].head_key < m->f[best].head_key))
				best = i;
		if (best == (size_t)-1)
			return 0;	/* every file at its end */
		row_add(m, best, m->f[best].head);
		m->f[best].has_head = 0;
		if (budget == 0)
			return 1;
		budget--;
	}
}

size_t
cmlog_merge_count(const struct cmlog_merge *m)
{
	if (identity(m))
		return cmlog_reader_count(m->f[0].rd);
	return m->base + m->nrows;
}

int
cmlog_merge_at(const struct cmlog_merge *m, size_t row, size_t *file,
    size_t *record)
{
	uint64_t v;

	if (identity(m)) {
		if (row >= cmlog_reader_count(m->f[0].rd))
			return -1;
		*file = 0;
		*record = row;
		return 0;
	}
	if (row < m->base || row - m->base >= m->nrows)
		return -1;
	v = m->rows[row - m->base];
	*file = (size_t)(v >> ROW_FILE_SHIFT);
	*record = (size_t)(v & ROW_RECORD_MASK);
	return 0;
}

size_t
cmlog_merge_row_of(const struct cmlog_merge *m, size_t file, size_t record)
{
	size_t lo = 0, hi = m->nrows, best = 0;

	if (identity(m))
		return record;
	if (m->n == 1) {
		/* One file: rows are in record order. */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if ((m->rows[mid] & ROW_RECORD_MASK) <= record)
				lo = mid + 1;
			else
				hi = mid;
		}
		return m->base + (lo > 0 ? lo - 1 : 0);
	}
	/* A file's rows are in its record order among the others'. */
	for (size_t i = 0; i < m->nrows; i++) {
		uint64_t v = m->rows[i];

		if ((size_t)(v >> ROW_FILE_SHIFT) != file)
			continue;
		if ((size_t)(v & ROW_RECORD_MASK) > record)
			break;
		best = i;
	}
	return m->base + best;
}

void
cmlog_merge_forget(struct cmlog_merge *m)
{
	m->base += m->nrows;
	m->nrows = 0;
}

size_t
cmlog_merge_files(const struct cmlog_merge *m)
{
	return m->n;
}

struct cmlog_reader *
cmlog_merge_reader(const struct cmlog_merge *m, size_t i)
{
	return i < m->n ? m->f[i].rd : NULL;
}

const char *
cmlog_merge_path(const struct cmlog_merge *m, size_t i)
{
	return i < m->n ? m->f[i].path : "";
}

const char *
cmlog_merge_tag(const struct cmlog_merge *m, size_t i)
{
	return i < m->n ? m->f[i].tag : "";
}

void
cmlog_merge_progress(const struct cmlog_merge *m, uint64_t *done,
    uint64_t *total)
{
	*done = *total = 0;
	for (size_t i = 0; i < m->n; i++) {
		uint64_t d, t;

		cmlog_reader_progress(m->f[i].rd, &d, &t);
		*done += d;
		*total += t;
	}
}

int
cmlog_merge_refresh(struct cmlog_merge *m)
{
	int changed = 0, over = 0;

	for (size_t i = 0; i < m->n; i++) {
		struct merge_file *f = &m->f[i];
		size_t before = cmlog_reader_count(f->rd), last_line = 0;
		int r;

		if (before > 0 && cmlog_reader_get(f->rd, before - 1,
		    &m->rec) == 0)
			last_line = m->rec.line;
		if ((r = cmlog_reader_refresh(f->rd)) == -1) {
			merge_err(m, "%s", cmlog_reader_error(f->rd));
			return -1;
		}
		if (r == 0)
			continue;
		changed = 1;
		f->indexed = 0;
		/* Started over (rolled, truncated)? */
		if (cmlog_reader_count(f->rd) < before || (before > 0 &&
		    (cmlog_reader_get(f->rd, before - 1, &m->rec) == -1 ||
		    m->rec.line != last_line)))
			over = 1;
	}
	if (over) {
		merge_restart(m);
		return 2;
	}
	return changed;
}

size_t
cmlog_merge_malformed(struct cmlog_merge *m, size_t file, char *first,
    size_t len)
{
	struct cmlog_reader *rd = cmlog_merge_reader(m, file);
	size_t count = 0, n;

	if (len > 0)
		first[0] = '\0';
	if (rd == NULL)
		return 0;
	n = cmlog_reader_count(rd);
	for (size_t i = 0; i < n; i++) {
		if (cmlog_reader_type_at(rd, i) != CMLOG_TYPE_MALFORMED)
			continue;
		if (count++ == 0 && len > 0 &&
		    cmlog_reader_get(rd, i, &m->rec) == 0)
			snprintf(first, len, "%s", m->rec.cause);
	}
	return count;
}

const char *
cmlog_merge_error(const struct cmlog_merge *m)
{
	return m->error;
}

const char *
cmlog_merge_when(const struct cmlog_record *r, char *buf, size_t len,
    enum cmlog_when_form form)
{
	size_t n;
	int rc;

	if (len == 0)
		return buf;
	if (form == CMLOG_WHEN_CLOCK)
		rc = r->when == 0 ? -1 : timefmt(buf, len, r->when,
		    TIMEFMT_CLOCK);
	else
		rc = r->when == 0 ? -1 : timefmt_ms(buf, len, r->when, r->msec,
		    form == CMLOG_WHEN_ISO ? TIMEFMT_ISO_MSEC : TIMEFMT_MSEC);
	if (rc == -1) {
		snprintf(buf, len, "%s", form == CMLOG_WHEN_CLOCK ? "" : "-");
		return buf;
	}
	if (r->tz_known || form == CMLOG_WHEN_CLOCK)
		return buf;
	/* Written without an offset: a local time of unknown zone. */
	n = strlen(buf);
	if (form == CMLOG_WHEN_ISO && n > 0 && buf[n - 1] == 'Z')
		buf[n - 1] = '\0';
	else if (form == CMLOG_WHEN_TEXT)
		snprintf(buf + n, len - n, " local");
	return buf;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
cmlog_folder_logs(const char *dir, char ***paths, size_t *n, char **cause)
{
	DIR *d = NULL;
	struct dirent *de;
	char **out = NULL;
	size_t count = 0, cap = 0;
	int rc = -1;

	*paths = NULL;
	*n = 0;
	*cause = NULL;
	if ((d = opendir(dir)) == NULL) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		struct stat st;
		char *p;

		if (len < 5 || (strcmp(de->d_name + len - 4, ".log") != 0 &&
		    strcmp(de->d_name + len - 4, ".lo_") != 0))
			continue;
		xasprintf(&p, "%s/%s", dir, de->d_name);
		if (stat(p, &st) == -1 || !S_ISREG(st.st_mode)) {
			free(p);
			continue;
		}
		out = xgrowarray(out, &cap, count, 16, sizeof *out);
		out[count++] = p;
	}
	if (count > 0)
		qsort(out, count, sizeof *out, name_cmp);
	if (count > CMLOG_MERGE_MAX) {
		xasprintf(cause, "%s: %zu logs (merge at most %d)", dir,
		    count, CMLOG_MERGE_MAX);
		goto out;
	}
	if (count == 0) {
		xasprintf(cause, "%s: no *.log or *.lo_ file", dir);
		goto out;
	}
	*paths = out;
	*n = count;
	out = NULL;
	count = 0;
	rc = 0;
out:
	if (d != NULL)
		closedir(d);
	strv_free(out, count);
	return rc;
}


