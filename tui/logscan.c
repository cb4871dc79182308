/*
 * logscan: the log viewer's model over a cmlog reader. Everything that may
 * take long on a 1 GB log (indexing, filtering, finding) is done in small
 * time-bounded steps by logscan_work(), which the viewer calls between key
 * presses, so the first screen shows at once and keys stay live.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui.h"
#include "xmalloc.h"

#define INDEX_SLICE	(4u << 20)	/* bytes per cmlog_reader_index() */
#define TEST_SLICE	2048		/* records between clock checks */

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
logscan_open(struct logscan *ls, const char *path, char **cause)
{
	memset(ls, 0, sizeof *ls);
	snprintf(ls->path, sizeof ls->path, "%s", path);
	if ((ls->rd = cmlog_reader_open(path, cause)) == NULL)
		return -1;
	ls->find_result = 0;
	return 0;
}

void
logscan_close(struct logscan *ls)
{
	cmlog_reader_close(ls->rd);
	free(ls->rows);
	memset(ls, 0, sizeof *ls);
}

size_t
logscan_count(const struct logscan *ls)
{
	if (ls->rd == NULL)
		return 0;
	return ls->filtering ? ls->nrows : cmlog_reader_count(ls->rd);
}

size_t
logscan_record(const struct logscan *ls, size_t row)
{
	if (!ls->filtering)
		return row;
	return row < ls->nrows ? ls->rows[row] : (size_t)-1;
}

size_t
logscan_row_of(const struct logscan *ls, size_t record)
{
	size_t lo = 0, hi;

	if (!ls->filtering)
		return record;
	/* The last row whose record is at or before record. */
	hi = ls->nrows;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ls->rows[mid] <= record)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 ? lo - 1 : 0;
}

int
logscan_matches(struct logscan *ls, size_t i, const struct logscan_filter *f)
{
	struct cmlog_record rec;
	int type = cmlog_reader_type_at(ls->rd, i);

	if (type == CMLOG_TYPE_BADINDEX)
		return 0;
	if (f->level == LOGSCAN_ERRORS && type != CMLOG_TYPE_ERROR)
		return 0;
	if (f->level == LOGSCAN_WARNINGS && type != CMLOG_TYPE_ERROR &&
	    type != CMLOG_TYPE_WARNING)
		return 0;
	if (f->text[0] == '\0' && f->component[0] == '\0')
		return 1;
	if (cmlog_reader_get(ls->rd, i, &rec) == -1)
		return 0;
	if (!cmlog_component_match(rec.component, f->component))
		return 0;
	if (f->text[0] != '\0' && text_casefind(rec.text, rec.text_len,
	    f->text) == NULL && text_casefind(rec.component,
	    strlen(rec.component), f->text) == NULL)
		return 0;
	return 1;
}

void
logscan_set_filter(struct logscan *ls, const struct logscan_filter *f)
{
	ls->filter = *f;
	ls->filtering = f->text[0] != '\0' || f->component[0] != '\0' ||
	    f->level != LOGSCAN_ALL;
	ls->nrows = 0;
	ls->scanned = 0;
}

void
logscan_clear_filter(struct logscan *ls)
{
	struct logscan_filter none;

	memset(&none, 0, sizeof none);
	logscan_set_filter(ls, &none);
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

static int
find_test(struct logscan *ls, size_t i)
{
	struct cmlog_record rec;

	if (ls->filtering && !logscan_matches(ls, i, &ls->filter))
		return 0;
	if (cmlog_reader_get(ls->rd, i, &rec) == -1)
		return 0;
	return text_casefind(rec.text, rec.text_len, ls->needle) != NULL ||
	    text_casefind(rec.component, strlen(rec.component), ls->needle) !=
	    NULL;
}

static void
find_done(struct logscan *ls, int found, size_t i)
{
	ls->finding = 0;
	ls->find_result = found;
	if (found)
		ls->found = i;
}

/* Some find work; 1 if it must wait for more of the index. */
static int
find_step(struct logscan *ls, size_t budget)
{
	size_t count = cmlog_reader_count(ls->rd);

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

static void
filter_step(struct logscan *ls, size_t budget)
{
	size_t count = cmlog_reader_count(ls->rd);

	while (budget-- > 0 && ls->scanned < count) {
		size_t i = ls->scanned++;

		if (!logscan_matches(ls, i, &ls->filter))
			continue;
		if (ls->nrows == ls->caprows) {
			ls->caprows = ls->caprows ? ls->caprows * 2 : 1024;
			ls->rows = xreallocarray(ls->rows, ls->caprows,
			    sizeof *ls->rows);
		}
		ls->rows[ls->nrows++] = i;
	}
}

int
logscan_work(struct logscan *ls, int budget_ms)
{
	long start = now_ms();
	int r;

	if (ls->rd == NULL)
		return 0;
	do {
		if (!ls->done) {
			r = cmlog_reader_index(ls->rd, INDEX_SLICE);
			if (r == -1) {
				snprintf(ls->error, sizeof ls->error, "%s",
				    cmlog_reader_error(ls->rd));
				ls->done = 1;
			} else if (r == 0)
				ls->done = 1;
		}
		if (ls->filtering)
			filter_step(ls, TEST_SLICE);
		if (ls->finding)
			find_step(ls, TEST_SLICE);
		if (ls->done && (!ls->filtering || ls->scanned >=
		    cmlog_reader_count(ls->rd)) && !ls->finding)
			return 0;
	} while (now_ms() - start < budget_ms);
	return 1;
}

int
logscan_refresh(struct logscan *ls)
{
	size_t before = ls->rd != NULL ? cmlog_reader_count(ls->rd) : 0;
	size_t last_line = 0;
	struct cmlog_record rec;
	int r;

	if (ls->rd == NULL || !ls->done)
		return 0;	/* still indexing: the growth is picked up */
	if (before > 0 && cmlog_reader_get(ls->rd, before - 1, &rec) == 0)
		last_line = rec.line;
	if ((r = cmlog_reader_refresh(ls->rd)) == -1) {
		snprintf(ls->error, sizeof ls->error, "%s",
		    cmlog_reader_error(ls->rd));
		return 0;
	}
	if (r == 0)
		return 0;
	/* Started over (rolled, truncated)? Then the filter restarts. */
	if (cmlog_reader_count(ls->rd) < before || (before > 0 &&
	    (cmlog_reader_get(ls->rd, before - 1, &rec) == -1 ||
	    rec.line != last_line))) {
		ls->nrows = 0;
		ls->scanned = 0;
		if (ls->finding)
			logscan_find_cancel(ls);
	}
	return 1;
}
