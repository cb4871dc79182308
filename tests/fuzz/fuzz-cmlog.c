/*
 * libFuzzer target: the CMTrace log reader (backend/cmlog-reader.c) on any
 * bytes. Input: 3 control bytes (where the file is cut for the first look,
 * two seeds for the index slice sizes), then the log itself.
 *
 * The first part of the log is written to a memfd, opened, indexed in
 * slices of varying size and every record read; then the rest is appended
 * and the reader refreshed (a record cut by the old end is parsed again).
 * Checked on every run, beyond "no crash":
 *  - every record can be read; malformed ones carry "line N col M: ..."
 *    with N at or after the record's line, good ones no cause;
 *  - the index's type agrees with the parsed record;
 *  - each record's text is bytes of the file (no read past its end);
 *  - nothing is dropped: every line holding anything but blanks (and a
 *    leading BOM) lies within some record's lines;
 *  - the reader that followed the growth sees exactly what a fresh reader
 *    of the whole file sees.
 * A file with a UTF-16 BOM is checked against its UTF-8 as iconv(3)
 * decodes it (lone CRs as LF); a file the reader may take for BOM-less
 * UTF-16 or CR-only lines gets every check but the two on its bytes.
 */
#include <sys/mman.h>

#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmlog.h"

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
	__FILE__, __LINE__, #x); abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
put(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		CHECK(w > 0);
		p += w;
		n -= (size_t)w;
	}
}

static size_t
count_nl(const char *p, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += p[i] == '\n';
	return k;
}

/* Index the rest in slices whose sizes follow a small generator. */
static void
index_slices(struct cmlog_reader *rd, unsigned seed)
{
	int r;

	do {
		seed = seed * 1103515245u + 12345u;
		r = cmlog_reader_index(rd, 1 + (seed >> 16) % 300);
		CHECK(r == 0 || r == 1);
	} while (r == 1);
}

/*
 * The UTF-8 the reader should see in d[0..n): d itself, its UTF-16 as
 * iconv(3) decodes it, or NULL when that is not clear (no BOM but NULs or
 * lone CRs, or bytes iconv refuses). Caller frees a copy (*own).
 */
static const uint8_t *
view_of(const uint8_t *d, size_t n, size_t *vlen, uint8_t **own)
{
	const char *enc = NULL;
	size_t lf = 0, cr = 0, m = n < 65536 ? n : 65536, in, out, o = 0;
	char *ip, *op;
	uint8_t *v;
	iconv_t cd;

	*own = NULL;
	if (n >= 2 && d[0] == 0xff && d[1] == 0xfe)
		enc = "UTF-16LE";
	else if (n >= 2 && d[0] == 0xfe && d[1] == 0xff)
		enc = "UTF-16BE";
	if (enc == NULL) {
		if (memchr(d, 0, n < 4096 ? n : 4096) != NULL)
			return NULL;
		for (size_t i = 0; i < m; i++) {
			lf += d[i] == '\n';
			cr += d[i] == '\r' && (i + 1 == m || d[i + 1] != '\n');
		}
		if (cr > 0 && lf == 0)
			return NULL;
		*vlen = n;
		return d;
	}
	in = (n - 2) & ~(size_t)1;
	out = in / 2 * 3 + 4;
	v = malloc(out);
	CHECK(v != NULL);
	cd = iconv_open("UTF-8", enc);
	CHECK(cd != (iconv_t)-1);
	ip = (char *)d + 2;
	op = (char *)v;
	if (iconv(cd, &ip, &in, &op, &out) == (size_t)-1) {
		iconv_close(cd);
		free(v);
		return NULL;
	}
	iconv_close(cd);
	/* Lone CR -> LF; a CR at the very end is held back. */
	for (size_t i = 0, len = (size_t)(op - (char *)v); i < len; i++) {
		if (v[i] == '\r' && i + 1 == len)
			break;
		v[o++] = v[i] == '\r' && v[i + 1] != '\n' ? '\n' : v[i];
	}
	*vlen = o;
	*own = v;
	return v;
}

/*
 * Every record against the invariants; data[0..len) is the file as the
 * reader should see it, or NULL (then its bytes are not compared).
 */
static void
check_records(struct cmlog_reader *rd, const uint8_t *data, size_t len)
{
	size_t n = cmlog_reader_count(rd), lines = 1, prev_line = 0;
	struct cmlog_record r;

	if (data == NULL) {
		for (size_t i = 0; i < n; i++) {
			CHECK(cmlog_reader_get(rd, i, &r) == 0);
			CHECK(r.line >= 1 && r.line >= prev_line);
			prev_line = r.line;
			CHECK(r.malformed ? r.type == CMLOG_TYPE_NONE &&
			    cmlog_reader_type_at(rd, i) == CMLOG_TYPE_MALFORMED &&
			    strncmp(r.cause, "line ", 5) == 0 :
			    cmlog_reader_type_at(rd, i) == r.type &&
			    r.cause[0] == '\0');
			CHECK(memchr(r.thread_str, '\0', sizeof r.thread_str));
		}
		CHECK(cmlog_reader_get(rd, n, &r) == -1);
		return;
	}

	unsigned char *covered;

	for (size_t i = 0; i < len; i++)
		lines += data[i] == '\n';
	covered = calloc(lines + 2, 1);
	CHECK(covered != NULL);
	for (size_t i = 0; i < n; i++) {
		CHECK(cmlog_reader_get(rd, i, &r) == 0);
		CHECK(r.line >= 1 && r.line <= lines);
		CHECK(r.line >= prev_line);
		prev_line = r.line;
		CHECK(r.text_len <= len);
		CHECK(r.text_len == 0 ||
		    memmem(data, len, r.text, r.text_len) != NULL);
		if (r.malformed) {
			size_t cl = 0, cc = 0;
			int used = 0;

			CHECK(r.type == CMLOG_TYPE_NONE);
			CHECK(cmlog_reader_type_at(rd, i) == CMLOG_TYPE_MALFORMED);
			CHECK(sscanf(r.cause, "line %zu col %zu: %n", &cl, &cc,
			    &used) == 2 && used > 0);
			CHECK(cl >= r.line && cl <= lines && cc >= 1);
		} else {
			CHECK(r.cause[0] == '\0');
			CHECK(r.type >= -1 && r.type <= 99);
			CHECK(cmlog_reader_type_at(rd, i) == r.type);
			CHECK(r.msec >= 0 && r.msec <= 999);
			CHECK(r.tz_known || r.tz_bias == 0);
			CHECK(r.tz_bias >= -1440 && r.tz_bias <= 1440);
			CHECK(r.thread_num || r.thread == 0);
		}
		CHECK(memchr(r.component, '\0', sizeof r.component) != NULL);
		CHECK(memchr(r.time_str, '\0', sizeof r.time_str) != NULL);
		for (size_t l = r.line; l <= r.line + count_nl(r.text,
		    r.text_len) && l <= lines; l++)
			covered[l] = 1;
	}
	CHECK(cmlog_reader_get(rd, n, &r) == -1);
	CHECK(cmlog_reader_type_at(rd, n) == CMLOG_TYPE_BADINDEX);

	/* Nothing dropped: each line with content is some record's. */
	for (size_t i = 0, l = 1, ls = 0; i <= len; i++) {
		if (i < len && data[i] != '\n')
			continue;
		size_t p = ls;
		if (len - p >= 3 && memcmp(data + p, "\xef\xbb\xbf", 3) == 0 &&
		    p + 3 <= i)
			p += 3;
		while (p < i && (data[p] == ' ' || data[p] == '\t' ||
		    data[p] == '\r'))
			p++;
		if (p < i && !covered[l]) {
			fprintf(stderr, "line %zu dropped\n", l);
			abort();
		}
		l++;
		ls = i + 1;
	}
	free(covered);
}

static void
same_records(struct cmlog_reader *a, struct cmlog_reader *b)
{
	struct cmlog_record x, y;

	CHECK(cmlog_reader_count(a) == cmlog_reader_count(b));
	for (size_t i = 0; i < cmlog_reader_count(a); i++) {
		CHECK(cmlog_reader_get(a, i, &x) == 0);
		CHECK(cmlog_reader_get(b, i, &y) == 0);
		CHECK(x.line == y.line && x.malformed == y.malformed);
		CHECK(x.type == y.type && x.thread == y.thread);
		CHECK(strcmp(x.thread_str, y.thread_str) == 0);
		CHECK(x.tz_known == y.tz_known && x.tz_bias == y.tz_bias);
		CHECK(x.when == y.when && x.msec == y.msec);
		CHECK(x.text_len == y.text_len);
		CHECK(memcmp(x.text, y.text, x.text_len) == 0);
		CHECK(strcmp(x.cause, y.cause) == 0);
		CHECK(memcmp(x.component, y.component, sizeof x.component) == 0);
		CHECK(memcmp(x.context, y.context, sizeof x.context) == 0);
		CHECK(memcmp(x.file, y.file, sizeof x.file) == 0);
		CHECK(strcmp(x.time_str, y.time_str) == 0);
		CHECK(strcmp(x.date_str, y.date_str) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmlog_reader *rd, *fresh;
	char path[64], *cause = NULL;
	const uint8_t *view;
	uint8_t *own;
	size_t vlen = 0;
	size_t cut;
	unsigned s1, s2;
	int fd, r;

	if (size < 3)
		return 0;
	cut = (size - 3) * data[0] / 255;
	s1 = data[1];
	s2 = data[2];
	data += 3;
	size -= 3;

	fd = memfd_create("fuzz.log", MFD_CLOEXEC);
	CHECK(fd != -1);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	put(fd, data, cut);

	rd = cmlog_reader_open(path, &cause);
	CHECK(rd != NULL);
	index_slices(rd, s1);
	view = view_of(data, cut, &vlen, &own);
	check_records(rd, view, vlen);
	free(own);
	CHECK(cmlog_reader_refresh(rd) == 0);	/* nothing new */

	put(fd, data + cut, size - cut);
	r = cmlog_reader_refresh(rd);
	CHECK(r == 0 || r == 1);
	index_slices(rd, s2);
	view = view_of(data, size, &vlen, &own);
	check_records(rd, view, vlen);
	free(own);

	fresh = cmlog_reader_open(path, &cause);
	CHECK(fresh != NULL);
	CHECK(cmlog_reader_index(fresh, 0) == 0);
	same_records(rd, fresh);

	cmlog_reader_close(fresh);
	cmlog_reader_close(rd);
	close(fd);
	return 0;
}
