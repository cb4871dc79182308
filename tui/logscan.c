/*
 * logscan: the log viewer's model over a merge of one or more logs
 * (backend cmlog-merge, filtered by the one log filter of cmlog-filter).
 * Everything that may take long on a 1 GB log (indexing, merging,
 * filtering, finding) is done in small time-bounded steps by
 * logscan_work(), which the viewer calls between key presses, so the first
 * screen shows at once and keys stay live.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui.h"
#include "xmalloc.h"

#define INDEX_SLICE	(4u << 20)	/* bytes per cmlog_reader_index() */
#define TEST_SLICE	2048		/* records between clock checks */
#define ID_FILE_SHIFT	48

long
work_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
logscan_open_many(struct logscan *ls, const char *const *paths, size_t n,
    char **cause)
{
	memset(ls, 0, sizeof *ls);
	snprintf(ls->path, sizeof ls->path, "%s", n > 0 ? paths[0] : "");
	if ((ls->m = cmlog_merge_open(paths, n, INDEX_SLICE, cause)) == NULL)
		return -1;
	cmlog_merge_set_filter(ls->m, NULL);
	return 0;
}

int
logscan_open(struct logscan *ls, const char *path, char **cause)
{
	struct stat st;
	char **paths = NULL;
	size_t n = 0;
	int rc;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		/* A folder: its logs merged (mpcontrol.log with its rolled
		 * mpcontrol.lo_ and the other components' logs). */
		if (cmlog_folder_logs(path, &paths, &n, cause) == -1)
			return -1;
		rc = logscan_open_many(ls, (const char *const *)paths, n,
		    cause);
		snprintf(ls->path, sizeof ls->path, "%s", path);
		strv_free(paths, n);
		return rc;
	}
	return logscan_open_many(ls, &path, 1, cause);
}

void
logscan_close(struct logscan *ls)
{
	cmlog_merge_close(ls->m);
	memset(ls, 0, sizeof *ls);
}

size_t
logscan_count(const struct logscan *ls)
{
	return ls->m != NULL ? cmlog_merge_count(ls->m) : 0;
}

int
logscan_get(struct logscan *ls, size_t row, struct cmlog_record *rec,
    size_t *file)
{
	size_t f, r;

	if (ls->m == NULL || cmlog_merge_at(ls->m, row, &f, &r) == -1)
		return -1;
	if (file != NULL)
		*file = f;
	return cmlog_reader_get(cmlog_merge_reader(ls->m, f), r, rec);
}

int
logscan_type_at(const struct logscan *ls, size_t row)
{
	size_t f, r;

	if (ls->m == NULL || cmlog_merge_at(ls->m, row, &f, &r) == -1)
		return CMLOG_TYPE_BADINDEX;
	return cmlog_reader_type_at(cmlog_merge_reader(ls->m, f), r);
}

uint64_t
logscan_id(const struct logscan *ls, size_t row)
{
	size_t f, r;

	if (ls->m == NULL || cmlog_merge_at(ls->m, row, &f, &r) == -1)
		return (uint64_t)-1;
	return (uint64_t)f << ID_FILE_SHIFT | r;
}

size_t
logscan_row_of(const struct logscan *ls, uint64_t id)
{
	if (ls->m == NULL || id == (uint64_t)-1)
		return 0;
	return cmlog_merge_row_of(ls->m, (size_t)(id >> ID_FILE_SHIFT),
	    (size_t)(id & (((uint64_t)1 << ID_FILE_SHIFT) - 1)));
}

size_t
logscan_files(const struct logscan *ls)
{
	return ls->m != NULL ? cmlog_merge_files(ls->m) : 0;
}

const char *
logscan_tag(const struct logscan *ls, size_t file)
{
	return ls->m != NULL ? cmlog_merge_tag(ls->m, file) : "";
}

const char *
logscan_path(const struct logscan *ls, size_t file)
{
	return ls->m != NULL ? cmlog_merge_path(ls->m, file) : "";
}

void
logscan_progress(const struct logscan *ls, uint64_t *done, uint64_t *total)
{
	*done = *total = 0;
	if (ls->m != NULL)
		cmlog_merge_progress(ls->m, done, total);
}

void
logscan_set_filter(struct logscan *ls, const struct cmlog_filter *f)
{
	ls->filtering = cmlog_filter_set(&ls->filter, f);
	ls->done = 0;
	if (ls->m != NULL)
		cmlog_merge_set_filter(ls->m, &ls->filter);
}

void
logscan_clear_filter(struct logscan *ls)
{
	logscan_set_filter(ls, NULL);
}

void
logscan_find(struct logscan *ls, const char *needle, size_t from, int backward)
{
	snprintf(ls->needle, sizeof ls->needle, "%s", needle);
	ls->finding = 1;
	ls->backward = backward;
	ls->find_start = from;
	ls->find_wrapped = 0;
	ls->find_result = -1;
	if (backward)
		ls->find_pos = from;	/* tests find_pos - 1 first */
	else
		ls->find_pos = from + 1;
}

void
logscan_find_cancel(struct logscan *ls)
{
	ls->finding = 0;
	ls->find_result = 0;
}

/* Find looks at the text and the component (the filter's text part looks
 * at the text only). */
static int
find_test(struct logscan *ls, size_t row)
{
	struct cmlog_record rec;

	if (logscan_get(ls, row, &rec, NULL) == -1)
		return 0;
	return cmlog_text_match(rec.text, rec.text_len, ls->needle) ||
	    cmlog_text_match(rec.component, strlen(rec.component),
	    ls->needle);
}

static void
find_done(struct logscan *ls, int found, size_t i)
{
	ls->finding = 0;
	ls->find_result = found;
	if (found)
		ls->found = i;
}

/* Some find work over the rows; 1 if it must wait for more of them. */
static int
find_step(struct logscan *ls, size_t budget)
{
	size_t count = logscan_count(ls);

	while (budget-- > 0 && ls->finding) {
		if (!ls->backward) {
			if (ls->find_wrapped && ls->find_pos > ls->find_start) {
				find_done(ls, 0, 0);
				break;
			}
			if (ls->find_pos >= count) {
				if (!ls->done)
					return 1;
				ls->find_wrapped = 1;
				ls->find_pos = 0;
				if (ls->find_start >= count)
					ls->find_start = count ? count - 1 : 0;
				if (count == 0) {
					find_done(ls, 0, 0);
					break;
				}
				continue;
			}
			if (find_test(ls, ls->find_pos)) {
				find_done(ls, 1, ls->find_pos);
				break;
			}
			ls->find_pos++;
		} else {
			if (ls->find_pos == 0) {
				if (ls->find_wrapped || count == 0) {
					find_done(ls, 0, 0);
					break;
				}
				if (!ls->done)
					return 1;
				ls->find_wrapped = 1;
				ls->find_pos = count;
				continue;
			}
			if (ls->find_wrapped && ls->find_pos <= ls->find_start + 1) {
				find_done(ls, 0, 0);
				break;
			}
			ls->find_pos--;
			if (find_test(ls, ls->find_pos)) {
				find_done(ls, 1, ls->find_pos);
				break;
			}
		}
	}
	return ls->finding;
}

int
logscan_work(struct logscan *ls, int budget_ms)
{
	long start = work_clock_ms();
	int r;

	if (ls->m == NULL)
		return 0;
	do {
		if (!ls->done) {
			r = cmlog_merge_step(ls->m, TEST_SLICE);
			if (r == -1) {
				snprintf(ls->error, sizeof ls->error, "%s",
				    cmlog_merge_error(ls->m));
				ls->done = 1;
			} else if (r == 0)
				ls->done = 1;
		}
		if (ls->finding)
			find_step(ls, TEST_SLICE);
		if (ls->done && !ls->finding)
			return 0;
	} while (work_clock_ms() - start < budget_ms);
	return 1;
}

int
logscan_refresh(struct logscan *ls)
{
	int r;

	if (ls->m == NULL || !ls->done)
		return 0;	/* still working: the growth is picked up */
	if ((r = cmlog_merge_refresh(ls->m)) == -1) {
		snprintf(ls->error, sizeof ls->error, "%s",
		    cmlog_merge_error(ls->m));
		return 0;
	}
	if (r == 0)
		return 0;
	ls->done = 0;
	/* Started over (rolled, truncated)? Then a find restarts too. */
	if (r == 2 && ls->finding)
		logscan_find_cancel(ls);
	return 1;
}
