/*
 * rowbuf: the rows of a long list that are near the screen, fetched by
 * keyset paging ("the rows after this one", "the rows before this one",
 * "the last rows") so moving through 100,000 certificates never loads them
 * all and never uses OFFSET. Absolute positions come from a count.
 */
#include <stdlib.h>
#include <string.h>

#include "tui.h"
#include "xmalloc.h"

#define ROWBUF_KEEP	512

void
rowbuf_init(struct rowbuf *rb, size_t size, rowbuf_fetch_fn fetch, void *arg)
{
	memset(rb, 0, sizeof *rb);
	rb->size = size;
	rb->fetch = fetch;
	rb->arg = arg;
	rb->keep = ROWBUF_KEEP;
}

void
rowbuf_clear(struct rowbuf *rb)
{
	free(rb->rows);
	rb->rows = NULL;
	rb->n = 0;
	rb->first = 0;
}

const void *
rowbuf_get(const struct rowbuf *rb, size_t abs)
{
	if (abs < rb->first || abs >= rb->first + rb->n)
		return NULL;
	return rb->rows + (abs - rb->first) * rb->size;
}

static int
fetch(struct rowbuf *rb, const void *after, int backward, size_t limit,
    unsigned char **rows, size_t *n)
{
	void *v = NULL;

	*rows = NULL;
	*n = 0;
	if (limit == 0)
		return 0;
	rb->fetches++;
	if (rb->fetch(rb->arg, after, backward, limit, &v, n) == -1)
		return -1;
	rb->fetched += *n;
	*rows = v;
	if (backward && *n > 1) {
		/* Nearest first: turn into list order. */
		unsigned char *tmp = xmalloc(rb->size);

		for (size_t i = 0, j = *n - 1; i < j; i++, j--) {
			memcpy(tmp, *rows + i * rb->size, rb->size);
			memcpy(*rows + i * rb->size, *rows + j * rb->size,
			    rb->size);
			memcpy(*rows + j * rb->size, tmp, rb->size);
		}
		free(tmp);
	}
	return 0;
}

/* Put rows (list order) before or after what is held. */
static void
join(struct rowbuf *rb, unsigned char *rows, size_t n, int before)
{
	unsigned char *v;

	if (n == 0) {
		free(rows);
		return;
	}
	v = xmalloc((rb->n + n) * rb->size);
	if (before) {
		memcpy(v, rows, n * rb->size);
		if (rb->n > 0)
			memcpy(v + n * rb->size, rb->rows, rb->n * rb->size);
		rb->first -= n;
	} else {
		if (rb->n > 0)
			memcpy(v, rb->rows, rb->n * rb->size);
		memcpy(v + rb->n * rb->size, rows, n * rb->size);
	}
	free(rb->rows);
	free(rows);
	rb->rows = v;
	rb->n += n;
}

/* Keep at most rb->keep rows, keeping [from, end): drop from the side
 * with more rows beyond the window first (the side we move away from). */
static void
trim(struct rowbuf *rb, size_t from, size_t end)
{
	size_t over, before, after, drop;

	if (rb->n <= rb->keep)
		return;
	over = rb->n - rb->keep;
	before = from > rb->first ? from - rb->first : 0;
	after = rb->first + rb->n > end ? rb->first + rb->n - end : 0;
	for (int pass = 0; pass < 2 && over > 0; pass++) {
		int front = (pass == 0) == (before >= after);

		if (front) {
			drop = before < over ? before : over;
			memmove(rb->rows, rb->rows + drop * rb->size,
			    (rb->n - drop) * rb->size);
			rb->n -= drop;
			rb->first += drop;
			before -= drop;
		} else {
			drop = after < over ? after : over;
			rb->n -= drop;
			after -= drop;
		}
		over -= drop;
	}
}

/* Start over: the first rows, or the last ones. */
static int
load_fresh(struct rowbuf *rb, size_t from, size_t end, size_t margin)
{
	unsigned char *rows;
	size_t n;

	rowbuf_clear(rb);
	if (rb->total - from < end) {
		/* Nearer the end: the last rows, read backwards. */
		size_t want = rb->total - from + margin;

		if (want > rb->total)
			want = rb->total;
		if (fetch(rb, NULL, 1, want, &rows, &n) == -1)
			return -1;
		rb->first = rb->total >= n ? rb->total - n : 0;
		join(rb, rows, n, 0);
		if (n < want)
			rb->total = n;	/* fewer rows than counted */
	} else {
		if (fetch(rb, NULL, 0, end + margin, &rows, &n) == -1)
			return -1;
		rb->first = 0;
		join(rb, rows, n, 0);
		if (n < end)
			rb->total = n;
	}
	return 0;
}

int
rowbuf_ensure(struct rowbuf *rb, size_t from, size_t n)
{
	unsigned char *rows;
	size_t end, got, margin = n > 16 ? n : 16;

	if (rb->total == 0) {
		rowbuf_clear(rb);
		return 0;
	}
	if (from >= rb->total)
		from = rb->total > n ? rb->total - n : 0;
	end = from + n;
	if (end > rb->total)
		end = rb->total;
	if (rb->n > 0 && from >= rb->first && end <= rb->first + rb->n)
		return 0;
	if (rb->n == 0 || end + rb->keep < rb->first ||
	    from > rb->first + rb->n + rb->keep) {
		/* Nothing near: start from whichever end is nearer. */
		if (load_fresh(rb, from, end, margin) == -1)
			return -1;
		trim(rb, from, end);
		return 0;
	}
	if (end > rb->first + rb->n) {
		size_t want = end - (rb->first + rb->n) + margin;

		if (fetch(rb, rb->rows + (rb->n - 1) * rb->size, 0, want,
		    &rows, &got) == -1)
			return -1;
		join(rb, rows, got, 0);
		if (got < want && rb->first + rb->n < rb->total)
			rb->total = rb->first + rb->n;
	}
	if (from < rb->first) {
		size_t want = rb->first - from + margin;

		if (want > rb->first)
			want = rb->first;
		if (fetch(rb, rb->rows, 1, want, &rows, &got) == -1)
			return -1;
		join(rb, rows, got, 1);
		if (got < want) {
			/* The start came sooner than counted. */
			rb->total -= rb->first;
			rb->first = 0;
		}
	}
	trim(rb, from, end);
	return 0;
}

/*
 * Read again after a change, keeping the row at absolute position at where
 * it was: fetch the row before it, then a page after that one. The caller
 * has set total from a fresh count.
 */
int
rowbuf_reload(struct rowbuf *rb, size_t at, size_t n)
{
	unsigned char *anchor = NULL, *pred = NULL, *rows;
	size_t got, npred = 0;
	const void *a;
	int rc = -1;

	if ((a = rowbuf_get(rb, at)) == NULL || rb->total == 0) {
		rowbuf_clear(rb);
		return rowbuf_ensure(rb, at, n);
	}
	anchor = xmalloc(rb->size);
	memcpy(anchor, a, rb->size);
	if (fetch(rb, anchor, 1, 1, &pred, &npred) == -1)
		goto out;
	rowbuf_clear(rb);
	if (fetch(rb, npred ? pred : NULL, 0, n + (n > 16 ? n : 16), &rows,
	    &got) == -1)
		goto out;
	rb->first = npred ? (at < rb->total ? at : 0) : 0;
	join(rb, rows, got, 0);
	if (rb->first + rb->n > rb->total)
		rb->total = rb->first + rb->n;
	rc = 0;
out:
	free(anchor);
	free(pred);
	return rc;
}

void
rowbuf_show(struct rowbuf *rb, struct list *l, size_t total)
{
	size_t page = l->height > 0 ? (size_t)l->height : 20;

	rb->total = total;
	list_set_count(l, total);
	if (rb->n > 0)
		rowbuf_reload(rb, l->top, page);
	else
		rowbuf_ensure(rb, l->top, page);
	if (rb->total != total)		/* the rows changed under the count */
		list_set_count(l, rb->total);
}

const void *
rowbuf_cursor(const struct rowbuf *rb, const struct list *l)
{
	return l->count == 0 ? NULL : rowbuf_get(rb, l->cursor);
}
