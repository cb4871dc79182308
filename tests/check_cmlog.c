/* CMTrace log writer and reader. */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmlog.h"
#include "testutil.h"
#include "xmalloc.h"

static void
put(const char *path, const char *s)
{
	ck_assert_int_eq(tu_write_file(path, s, strlen(s)), 0);
}

static void
putn(const char *path, const char *s, size_t len)
{
	ck_assert_int_eq(tu_write_file(path, s, len), 0);
}

static void
append(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
}

static struct cmlog *
wopen(const char *path, size_t max)
{
	char *cause = NULL;
	struct cmlog *log = cmlog_open(path, max, &cause);

	ck_assert_msg(log != NULL, "cmlog_open: %s", cause);
	return log;
}

static struct cmlog_reader *
ropen(const char *path)
{
	char *cause = NULL;
	struct cmlog_reader *rd = cmlog_reader_open(path, &cause);

	ck_assert_msg(rd != NULL, "cmlog_reader_open: %s", cause);
	ck_assert_int_eq(cmlog_reader_index(rd, 0), 0);
	return rd;
}

/* ropen, asserted to hold n records. */
static struct cmlog_reader *
ropen_n(const char *path, size_t n)
{
	struct cmlog_reader *rd = ropen(path);

	ck_assert_uint_eq(cmlog_reader_count(rd), n);
	return rd;
}

/* put(path, s), then ropen_n(path, n). */
static struct cmlog_reader *
put_open(const char *path, const char *s, size_t n)
{
	put(path, s);
	return ropen_n(path, n);
}

/* Record i of rd into r, asserted malformed, with text (unless NULL) and
 * cause (unless NULL). */
static void
bad(struct cmlog_reader *rd, size_t i, struct cmlog_record *r,
    const char *text, const char *cause)
{
	tu_cmlog_get(rd, i, r);
	ck_assert_int_eq(r->malformed, 1);
	if (text != NULL)
		tu_cmlog_text(r, text);
	if (cause != NULL)
		ck_assert_str_eq(r->cause, cause);
}

/* buf: n bytes c and a NUL. */
static void
fill(char *buf, int c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
}

/* sscanf() of a record's text, which is not NUL-terminated. */
static int __attribute__((format(scanf, 2, 3)))
text_scanf(const struct cmlog_record *r, const char *fmt, ...)
{
	char *t = xstrndup(r->text, r->text_len);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsscanf(t, fmt, ap);
	va_end(ap);
	free(t);
	return n;
}

/* A well-formed record with fixed attributes around text. */
#define REC(text, comp, type) \
	"<![LOG[" text "]LOG]!><time=\"14:05:12.345+000\" date=\"11-24-2026\"" \
	" component=\"" comp "\" context=\"\" type=\"" type "\"" \
	" thread=\"4321\" file=\"x.c:1\">\n"

/* 2026-11-24 14:05:12 UTC */
#define REC_WHEN	((time_t)1795529112)

static int
count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static off_t
file_size(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_size;
}

/* ---- writer ------------------------------------------------------------ */

START_TEST(test_write_roundtrip)
{
	const char *path = tu_path("mpcontrol.log");
	struct cmlog *log = wopen(path, 0);
	struct cmlog_reader *rd;
	struct cmlog_record r;
	char *data, *want, buf[32];
	time_t t0, t1;
	struct tm tm;
	regex_t re;
	char *line, *save = NULL;
	int n = 0;

	t0 = time(NULL);
	ck_assert_int_eq(cmlog_write(log, 1, "SMS_MP_CONTROL_MANAGER",
	    "mpcontrol.c:212", "Call to HttpSendRequestSync succeeded for "
	    "port %d with status code %d, text: %s", 443, 200, "OK"), 0);
	ck_assert_int_eq(cmlog_write(log, 2, "B", "b.c:2", "warn %s", "w"), 0);
	ck_assert_int_eq(cmlog_write(log, 3, "C", "", "err"), 0);
	t1 = time(NULL);
	cmlog_close(log);

	/* The writer's strict grammar, line by line. */
	data = tu_read_file(path, NULL);
	ck_assert_ptr_nonnull(data);
	ck_assert_int_eq(regcomp(&re, "^<!\\[LOG\\[[^]]*\\]LOG\\]!>"
	    "<time=\"[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\\.[0-9]{3}\\+000\" "
	    "date=\"[01][0-9]-[0-3][0-9]-[0-9]{4}\" component=\"[^\"]{1,100}\" "
	    "context=\"\" type=\"[123]\" thread=\"[0-9]+\" "
	    "file=\"[^\"]{0,100}\">$", REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_int_eq(tu_count(data, "\n"), 3);
	for (line = strtok_r(data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save), n++)
		ck_assert_msg(regexec(&re, line, 0, NULL, 0) == 0,
		    "not CMTrace: %s", line);
	ck_assert_int_eq(n, 3);
	regfree(&re);
	free(data);

	rd = ropen_n(path, 3);
	tu_cmlog_good(rd, 0, &r, "Call to HttpSendRequestSync succeeded for port"
	    " 443 with status code 200, text: OK", "SMS_MP_CONTROL_MANAGER", 1,
	    1);
	ck_assert_str_eq(r.context, "");
	ck_assert_str_eq(r.file, "mpcontrol.c:212");
	ck_assert_uint_eq(r.thread, (unsigned long)gettid());
	ck_assert_int_ge(r.when, t0);
	ck_assert_int_le(r.when, t1);
	ck_assert_int_eq(r.msec, atoi(r.time_str + 9));
	ck_assert_uint_eq(strlen(r.time_str), 16);
	ck_assert_str_eq(r.time_str + 12, "+000");
	gmtime_r(&r.when, &tm);
	strftime(buf, sizeof buf, "%H:%M:%S", &tm);
	ck_assert(strncmp(r.time_str, buf, 8) == 0);
	strftime(buf, sizeof buf, "%m-%d-%Y", &tm);
	ck_assert_str_eq(r.date_str, buf);

	/* The whole first line, byte for byte. */
	data = tu_read_file(path, NULL);
	ck_assert_int_ne(asprintf(&want, "<![LOG[Call to HttpSendRequestSync "
	    "succeeded for port 443 with status code 200, text: OK]LOG]!>"
	    "<time=\"%s\" date=\"%s\" component=\"SMS_MP_CONTROL_MANAGER\" "
	    "context=\"\" type=\"1\" thread=\"%lu\" file=\"mpcontrol.c:212\">\n",
	    r.time_str, r.date_str, r.thread), -1);
	ck_assert(strncmp(data, want, strlen(want)) == 0);
	free(want);
	free(data);

	tu_cmlog_good(rd, 1, &r, "warn w", "B", 2, 2);
	ck_assert_str_eq(r.file, "b.c:2");
	tu_cmlog_good(rd, 2, &r, "err", "C", 3, 3);
	ck_assert_str_eq(r.file, "");
	cmlog_reader_close(rd);
}
END_TEST

START_TEST(test_write_mode)
{
	const char *path = tu_path("m.log");
	mode_t old = umask(022);
	struct cmlog *log = wopen(path, 0);
	struct stat st;

	umask(old);
	ck_assert_int_eq(cmlog_write(log, 1, "c", "f", "x"), 0);
	cmlog_close(log);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
}
END_TEST

START_TEST(test_write_errors)
{
	const char *path = tu_path("e.log");
	struct cmlog *log = wopen(path, 0);
	char *cause = NULL;

	errno = 0;
	ck_assert_int_eq(cmlog_write(log, 0, "c", "f", "x"), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(cmlog_error(log), "bad record type 0");
	ck_assert_int_eq(cmlog_write(log, 4, "c", "f", "x"), -1);
	ck_assert_str_eq(cmlog_error(log), "bad record type 4");
	cmlog_close(log);
	ck_assert_int_eq(file_size(path), 0);

	ck_assert_ptr_null(cmlog_open(tu_path("no/such/dir.log"), 0, &cause));
	ck_assert_ptr_nonnull(cause);
	ck_assert_ptr_nonnull(strstr(cause, "No such file or directory"));
	free(cause);
	cause = NULL;
	ck_assert_ptr_null(cmlog_open("", 0, &cause));
	ck_assert_str_eq(cause, "empty log path");
	free(cause);
	cmlog_close(NULL);
}
END_TEST

/* What the writer makes of a message's text: the record's markers
 * neutralised, line breaks and bytes that are not UTF-8 escaped, one line
 * a record. */
static const struct {
	const char	*msg;
	const char	*text;		/* as read back */
} written[] = {
	{ "a]LOG]!>b<![LOG[c]LOG]!><time=\"x\">",
	  "a]LOG]!&gt;b&lt;![LOG[c]LOG]!&gt;<time=\"x\">" },
	{ "ends ]LOG]!", "ends ]LOG]!" },
	{ "]LOG]!>", "]LOG]!&gt;" },
	{ "a\nb\r\nc\rd\n", "a b c d " },
	/* invalid byte, truncated sequence, surrogate, overlong; then valid */
	{ "\xff|\xc3|\xed\xa0\x80|\xc0\xaf|\xc3\xa9\xe2\x82\xac"
	  "\xf0\x9f\x98\x80", "\\xff|\\xc3|\\xed\\xa0\\x80|\\xc0\\xaf|"
	  "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" },
};

/* A message of written[], then one with a NUL byte the format made. */
START_TEST(test_write_text)
{
	const char *path = tu_path("t.log");
	struct cmlog *log = wopen(path, 0);
	struct cmlog_reader *rd;
	struct cmlog_record r;
	char *data;

	ck_assert_int_eq(cmlog_write(log, 1, "c", "f", "%s", written[_i].msg),
	    0);
	ck_assert_int_eq(cmlog_write(log, 1, "c", "f", "nul:%c:end", 0), 0);
	cmlog_close(log);
	data = tu_read_file(path, NULL);
	ck_assert_int_eq(tu_count(data, "\n"), 2);	/* one line each */
	free(data);

	rd = ropen_n(path, 2);
	tu_cmlog_good(rd, 0, &r, written[_i].text, "c", 1, 1);
	tu_cmlog_good(rd, 1, &r, "nul: :end", "c", 1, 2);
	cmlog_reader_close(rd);
}
END_TEST

START_TEST(test_write_fields)
{
	const char *path = tu_path("f.log");
	struct cmlog *log = wopen(path, 0);
	struct cmlog_reader *rd;
	struct cmlog_record r;
	char x150[151], x99e[102], want[101];

	fill(x150, 'x', 150);
	memset(x99e, 'x', 99);
	memcpy(x99e + 99, "\xc3\xa9", 3);	/* é would be bytes 100-101 */
	fill(want, 'x', 100);

	ck_assert_int_eq(cmlog_write(log, 1, x150, x150, "cap"), 0);
	ck_assert_int_eq(cmlog_write(log, 2, x99e, "a\"b\rc\nd:1", "utf8"), 0);
	ck_assert_int_eq(cmlog_write(log, 3, NULL, NULL, "nulls"), 0);
	ck_assert_int_eq(cmlog_write(log, 1, "\"\r\n", "", "empty"), 0);
	ck_assert_int_eq(cmlog_write(log, 1, "bad\xff" "byte", "f", "bad"), 0);
	cmlog_close(log);

	rd = ropen_n(path, 5);
	tu_cmlog_good(rd, 0, &r, "cap", want, 1, 1);
	ck_assert_str_eq(r.file, want);
	want[99] = '\0';
	tu_cmlog_good(rd, 1, &r, "utf8", want, 2, 2);
	ck_assert_str_eq(r.file, "abcd:1");
	tu_cmlog_good(rd, 2, &r, "nulls", "ehttp", 3, 3);
	ck_assert_str_eq(r.file, "");
	tu_cmlog_good(rd, 3, &r, "empty", "ehttp", 1, 4);
	tu_cmlog_good(rd, 4, &r, "bad", "bad\\xffbyte", 1, 5);
	cmlog_reader_close(rd);
}
END_TEST

START_TEST(test_write_long_message)
{
	const char *path = tu_path("l.log");
	struct cmlog *log = wopen(path, 0);
	struct cmlog_reader *rd;
	struct cmlog_record r;
	size_t n = 100000;
	char *big = malloc(n + 1);

	fill(big, 'q', n);
	ck_assert_int_eq(cmlog_write(log, 2, "c", "f", "<%s>", big), 0);
	cmlog_close(log);
	rd = ropen_n(path, 1);
	tu_cmlog_get(rd, 0, &r);
	ck_assert_int_eq(r.malformed, 0);
	ck_assert_uint_eq(r.text_len, n + 2);
	ck_assert_int_eq(r.text[0], '<');
	ck_assert(memcmp(r.text + 1, big, n) == 0);
	ck_assert_int_eq(r.text[n + 1], '>');
	cmlog_reader_close(rd);
	free(big);
}
END_TEST

#define CONC_RECORDS	1000
#define CONC_PAD	3000

struct conc_arg {
	struct cmlog	*log;
	int		 id;
};

static char conc_pad[CONC_PAD + 1];

static void *
conc_thread(void *p)
{
	struct conc_arg *a = p;

	for (int i = 0; i < CONC_RECORDS; i++)
		if (cmlog_write(a->log, 1 + i % 3, "conc", "conc.c:1",
		    "w%d r%d %s", a->id, i, conc_pad) == -1)
			return (void *)1;
	return NULL;
}

/* Every record parses, each writer's records are all there, in order. */
static void
conc_check(const char *path, int writers, int per_writer)
{
	struct cmlog_reader *rd = ropen(path);
	struct cmlog_record r;
	int next[16] = { 0 }, w, i, used;
	size_t k;

	ck_assert_uint_eq(cmlog_reader_count(rd),
	    (size_t)writers * per_writer);
	for (k = 0; k < cmlog_reader_count(rd); k++) {
		tu_cmlog_get(rd, k, &r);
		ck_assert_msg(r.malformed == 0, "record %zu: %s", k, r.cause);
		ck_assert_uint_eq(r.line, k + 1);
		ck_assert_int_eq(text_scanf(&r, "w%d r%d %n", &w, &i, &used), 2);
		ck_assert(w >= 0 && w < writers);
		ck_assert_int_eq(i, next[w]);
		next[w]++;
		ck_assert_int_eq(r.type, 1 + i % 3);
		ck_assert_uint_eq(r.text_len, (size_t)used + CONC_PAD);
		ck_assert(memcmp(r.text + used, conc_pad, CONC_PAD) == 0);
	}
	for (w = 0; w < writers; w++)
		ck_assert_int_eq(next[w], per_writer);
	cmlog_reader_close(rd);
}

START_TEST(test_write_threads)
{
	const char *path = tu_path("c.log");
	struct cmlog *log = wopen(path, 0);
	pthread_t th[4];
	struct conc_arg a[4];
	void *rv;

	memset(conc_pad, 'p', CONC_PAD);
	for (int t = 0; t < 4; t++) {
		a[t].log = log;
		a[t].id = t;
		ck_assert_int_eq(pthread_create(&th[t], NULL, conc_thread,
		    &a[t]), 0);
	}
	for (int t = 0; t < 4; t++) {
		ck_assert_int_eq(pthread_join(th[t], &rv), 0);
		ck_assert_ptr_null(rv);
	}
	cmlog_close(log);
	conc_check(path, 4, CONC_RECORDS);
}
END_TEST

/* Children each open the log and write; returns when all are done. */
static void
conc_processes(const char *path, int n, int records, size_t max)
{
	pid_t pids[8];
	int status;

	memset(conc_pad, 'p', CONC_PAD);
	for (int p = 0; p < n; p++) {
		pids[p] = fork();
		ck_assert_int_ne(pids[p], -1);
		if (pids[p] == 0) {
			struct cmlog *log = cmlog_open(path, max, NULL);
			int bad = log == NULL;

			for (int i = 0; !bad && i < records; i++)
				bad = cmlog_write(log, 1 + i % 3, "conc", "c:1",
				    "w%d r%d %s", p, i, conc_pad) == -1;
			cmlog_close(log);
			_exit(bad);
		}
	}
	for (int p = 0; p < n; p++) {
		ck_assert_int_eq(waitpid(pids[p], &status, 0), pids[p]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
}

START_TEST(test_write_processes)
{
	const char *path = tu_path("p.log");

	conc_processes(path, 3, CONC_RECORDS, 0);
	conc_check(path, 3, CONC_RECORDS);
}
END_TEST

START_TEST(test_rolled_name)
{
	const char *in[] = { "mpcontrol.log", "/var/log/ehttp/x.log",
	    "/a.b/noext", "x.lo_", "dir/file.", "a.b.txt" };
	const char *out[] = { "mpcontrol.lo_", "/var/log/ehttp/x.lo_",
	    "/a.b/noext_", "x.lo__", "dir/file._", "a.b.tx_" };

	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
		char *s = cmlog_rolled_name(in[i]);

		ck_assert_str_eq(s, out[i]);
		free(s);
	}
}
END_TEST

/* Texts "record N" of a file, N checked consecutive; returns first N. */
static int
roll_file_check(const char *path, int *count)
{
	struct cmlog_reader *rd = ropen(path);
	struct cmlog_record r;
	int first = -1, v;

	*count = (int)cmlog_reader_count(rd);
	for (int k = 0; k < *count; k++) {
		tu_cmlog_get(rd, (size_t)k, &r);
		ck_assert_int_eq(r.malformed, 0);
		ck_assert_int_eq(text_scanf(&r, "record %d", &v), 1);
		if (first == -1)
			first = v;
		ck_assert_int_eq(v, first + k);
	}
	cmlog_reader_close(rd);
	return first;
}

START_TEST(test_write_roll)
{
	const char *path = tu_path("mpcontrol.log");
	const char *old = tu_path("mpcontrol.lo_");
	struct cmlog *log;
	char pad[151];
	int first_old, n_old, first, n, per_file;
	off_t reclen;

	put(old, "stale previous roll\n");
	fill(pad, '.', 150);
	log = wopen(path, 2000);
	for (int i = 0; i < 30; i++)
		ck_assert_int_eq(cmlog_write(log, 1, "roll", "r.c:1",
		    "record %03d %s", i, pad), 0);
	cmlog_close(log);

	ck_assert_int_eq(count_files(tu_dir), 2);
	ck_assert_int_le(file_size(path), 2000);
	ck_assert_int_le(file_size(old), 2000);
	first = roll_file_check(path, &n);
	first_old = roll_file_check(old, &n_old);
	/* All records have one length (~290 bytes): files hold floor(2000/len). */
	reclen = file_size(path) / n;
	ck_assert_int_eq(file_size(path), reclen * n);
	per_file = (int)(2000 / reclen);
	ck_assert_int_ge(per_file, 5);
	ck_assert_int_eq(n_old, per_file);
	ck_assert_int_eq(n, 30 % per_file == 0 ? per_file : 30 % per_file);
	ck_assert_int_eq(first + n, 30);
	ck_assert_int_eq(first_old + n_old, first);
}
END_TEST

START_TEST(test_write_roll_big_record)
{
	const char *path = tu_path("b.log"), *old = tu_path("b.lo_");
	struct cmlog *log = wopen(path, 100);
	char big[501];
	int n;

	fill(big, 'b', 500);
	/* Larger than max_size: written to the empty file, not rolled. */
	ck_assert_int_eq(cmlog_write(log, 1, "c", "f", "record 0 %s", big), 0);
	ck_assert_int_eq(count_files(tu_dir), 1);
	ck_assert_int_eq(cmlog_write(log, 1, "c", "f", "record 1"), 0);
	cmlog_close(log);
	ck_assert_int_eq(count_files(tu_dir), 2);
	ck_assert_int_eq(roll_file_check(old, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(roll_file_check(path, &n), 1);
	ck_assert_int_eq(n, 1);
}
END_TEST

/* Per file: every record parses and each writer's records are in order. */
static int
roll_conc_check(const char *path)
{
	struct cmlog_reader *rd = ropen(path);
	struct cmlog_record r;
	int last[8], w, i;
	size_t k, n = cmlog_reader_count(rd);

	for (w = 0; w < 8; w++)
		last[w] = -1;
	for (k = 0; k < n; k++) {
		tu_cmlog_get(rd, k, &r);
		ck_assert_msg(r.malformed == 0, "%s record %zu: %s", path, k,
		    r.cause);
		ck_assert_int_eq(text_scanf(&r, "w%d r%d", &w, &i), 2);
		ck_assert_int_gt(i, last[w]);
		last[w] = i;
	}
	cmlog_reader_close(rd);
	return (int)n;
}

START_TEST(test_write_roll_processes)
{
	const char *path = tu_path("x.log"), *old = tu_path("x.lo_");
	size_t max = 40000;

	conc_processes(path, 3, 300, max);
	ck_assert_int_eq(count_files(tu_dir), 2);
	ck_assert_int_le(file_size(path), (off_t)max);
	ck_assert_int_le(file_size(old), (off_t)max);
	/* ~3030 bytes a record: 13 fit; a roll leaves the old file full. */
	ck_assert_int_ge(roll_conc_check(path), 1);
	ck_assert_int_ge(roll_conc_check(old), 12);
}
END_TEST

/* ---- reader: tolerant forms -------------------------------------------- */

START_TEST(test_read_canonical)
{
	const char *path = tu_path("c.log");
	struct cmlog_reader *rd;
	struct cmlog_record r;

	rd = put_open(path, "<![LOG[Call to HttpSendRequestSync succeeded for"
	    " port 443 with status code 200, text: OK]LOG]!>"
	    "<time=\"14:05:12.345+000\" date=\"11-24-2026\" "
	    "component=\"SMS_MP_CONTROL_MANAGER\" context=\"ctx\" type=\"1\" "
	    "thread=\"4321\" file=\"mpcontrol.c:212\">\n", 1);
	tu_cmlog_good(rd, 0, &r, "Call to HttpSendRequestSync succeeded for port"
	    " 443 with status code 200, text: OK", "SMS_MP_CONTROL_MANAGER", 1,
	    1);
	ck_assert_str_eq(r.context, "ctx");
	ck_assert_str_eq(r.file, "mpcontrol.c:212");
	ck_assert_uint_eq(r.thread, 4321);
	ck_assert_int_eq(r.when, REC_WHEN);
	ck_assert_int_eq(r.msec, 345);
	ck_assert_str_eq(r.time_str, "14:05:12.345+000");
	ck_assert_str_eq(r.date_str, "11-24-2026");
	ck_assert_str_eq(r.cause, "");
	ck_assert_int_eq(cmlog_reader_type_at(rd, 0), 1);
	cmlog_reader_close(rd);
}
END_TEST

START_TEST(test_read_tolerant_fields)
{
	const char *path = tu_path("t.log");
	struct cmlog_reader *rd;
	struct cmlog_record r;

	put(path,
	    /* 1: runs of whitespace, 1-digit fields */
	    "<![LOG[a]LOG]!><time=\"1:2:3.4\"   date=\"1-2-2026\"\t"
	    "component=\"A\"  context=\"\" type=\"2\" thread=\"7\"    "
	    "file=\"a.c:1\"  >\n"
	    /* 2: no offset, empty type/thread/file */
	    "<![LOG[b]LOG]!><time=\"23:59:59.999\" date=\"12-31-2025\" "
	    "component=\"B\" context=\"\" type=\"\" thread=\"\" file=\"\">\n"
	    /* 3: no file attribute, negative offset (ignored), type 0 */
	    "<![LOG[c]LOG]!><time=\"14:05:12.345-060\" date=\"11-24-2026\" "
	    "component=\"C\" context=\"\" type=\"0\" thread=\"1\">\n"
	    /* 4: long fraction, no fraction digits cut, 02-29 leap day */
	    "<![LOG[d]LOG]!><time=\"00:00:00.123456+300\" date=\"02-29-2024\" "
	    "component=\"D\" context=\"\" type=\"3\" thread=\"18446744073709551615\" "
	    "file=\"\">\n"
	    /* 5: no fraction, 2-digit fraction, empty time and date */
	    "<![LOG[e]LOG]!><time=\"1:02:03\" date=\"\" component=\"\" "
	    "context=\"\" type=\"1\" thread=\"0\" file=\"\">\n"
	    "<![LOG[f]LOG]!><time=\"10:00:00.45\" date=\"01-01-2026\" "
	    "component=\"F\" context=\"\" type=\"1\" thread=\"1\" file=\"\">");
	rd = ropen_n(path, 6);

	tu_cmlog_good(rd, 0, &r, "a", "A", 2, 1);
	ck_assert_str_eq(r.time_str, "1:2:3.4");
	ck_assert_str_eq(r.date_str, "1-2-2026");
	ck_assert_int_eq(r.when, 1767315723);	/* 2026-01-02 01:02:03 */
	ck_assert_int_eq(r.tz_known, 0);	/* no offset: local time */
	ck_assert_int_eq(r.msec, 400);
	ck_assert_uint_eq(r.thread, 7);
	ck_assert_str_eq(r.file, "a.c:1");

	tu_cmlog_good(rd, 1, &r, "b", "B", -1, 2);
	ck_assert_uint_eq(r.thread, 0);
	ck_assert_str_eq(r.file, "");
	ck_assert_int_eq(r.when, 1767225599);	/* 2025-12-31 23:59:59 */
	ck_assert_int_eq(r.msec, 999);
	ck_assert_int_eq(cmlog_reader_type_at(rd, 1), CMLOG_TYPE_NONE);

	tu_cmlog_good(rd, 2, &r, "c", "C", 0, 3);
	ck_assert_str_eq(r.file, "");
	/* -060: the bias, UTC = local + bias, so 1 hour earlier */
	ck_assert_int_eq(r.when, REC_WHEN - 3600);
	ck_assert_int_eq(r.tz_known, 1);
	ck_assert_int_eq(r.tz_bias, -60);
	ck_assert_int_eq(cmlog_reader_type_at(rd, 2), 0);

	tu_cmlog_good(rd, 3, &r, "d", "D", 3, 4);
	/* 2024-02-29 00:00:00 local, +300: 05:00 UTC */
	ck_assert_int_eq(r.when, 1709164800 + 300 * 60);
	ck_assert_int_eq(r.tz_known, 1);
	ck_assert_int_eq(r.tz_bias, 300);
	ck_assert_int_eq(r.msec, 123);
	ck_assert_uint_eq(r.thread, 18446744073709551615UL);

	tu_cmlog_good(rd, 4, &r, "e", "", 1, 5);
	ck_assert_int_eq(r.when, 0);
	ck_assert_int_eq(r.msec, 0);
	ck_assert_str_eq(r.time_str, "1:02:03");
	ck_assert_str_eq(r.date_str, "");

	/* The last record, no final line break. */
	tu_cmlog_good(rd, 5, &r, "f", "F", 1, 6);
	ck_assert_int_eq(r.msec, 450);
	cmlog_reader_close(rd);
}
END_TEST

START_TEST(test_read_bom_crlf)
{
	const char *path = tu_path("b.log");
	struct cmlog_reader *rd;
	struct cmlog_record r;

	rd = put_open(path, "\xef\xbb\xbf" REC("one", "A", "1")
	    "<![LOG[two]LOG]!><time=\"14:05:12.345+000\" date=\"11-24-2026\" "
	    "component=\"B\" context=\"\" type=\"2\" thread=\"1\" "
	    "file=\"b.c:2\">\r\n"
	    "junk\r\n\r\n"
	    "<![LOG[three]LOG]!><time=\"14:05:12.345+000\" date=\"11-24-2026\" "
	    "component=\"C\" context=\"\" type=\"3\" thread=\"1\" "
	    "file=\"c\">\r\n", 4);
	tu_cmlog_good(rd, 0, &r, "one", "A", 1, 1);
	tu_cmlog_good(rd, 1, &r, "two", "B", 2, 2);
	ck_assert_str_eq(r.file, "b.c:2");
	bad(rd, 2, &r, "junk", NULL);
	ck_assert_uint_eq(r.line, 3);
	ck_assert_str_eq(r.cause, "line 3 col 1: text outside a record");
	tu_cmlog_good(rd, 3, &r, "three", "C", 3, 5);
	ck_assert_str_eq(r.file, "c");
	cmlog_reader_close(rd);

	/* Columns on line 1 do not count the BOM. */
	rd = put_open(path, "\xef\xbb\xbf<![LOG[x]LOG]!><tim", 1);
	bad(rd, 0, &r, "<![LOG[x]LOG]!><tim",
	    "line 1 col 20: end of file inside the attribute block");
	cmlog_reader_close(rd);
}
END_TEST

START_TEST(test_read_multiline)
{
	const char *path = tu_path("m.log");
	struct cmlog_reader *rd;
	struct cmlog_record r;

	rd = put_open(path, REC("first", "A", "1")
	    REC("line one\nline two\r\n\nline four", "B", "2")
	    REC("after", "C", "3"), 3);
	tu_cmlog_good(rd, 0, &r, "first", "A", 1, 1);
	tu_cmlog_good(rd, 1, &r, "line one\nline two\r\n\nline four", "B", 2, 2);
	ck_assert_int_eq(r.when, REC_WHEN);
	tu_cmlog_good(rd, 2, &r, "after", "C", 3, 6);
	cmlog_reader_close(rd);
}
END_TEST

START_TEST(test_read_junk)
{
	const char *path = tu_path("j.log");
	struct cmlog_reader *rd;
	struct cmlog_record r;

	rd = put_open(path, "plain text first\n"
	    REC("a", "A", "1")
	    "\n   \n\t\n"
	    "  indented junk  \n"
	    "before <![LOG[b]LOG]!><time=\"1:2:3.4\" date=\"1-2-2026\" "
	    "component=\"B\" context=\"\" type=\"2\" thread=\"1\" file=\"\">"
	    " after\n"
	    "<![LOG[c]LOG]!><time=\"1:2:3.4\" date=\"1-2-2026\" "
	    "component=\"C\" context=\"\" type=\"3\" thread=\"1\" file=\"\">"
	    "<![LOG[d]LOG]!><time=\"1:2:3.4\" date=\"1-2-2026\" "
	    "component=\"D\" context=\"\" type=\"1\" thread=\"1\" file=\"\">\n"
	    "tail without newline", 9);
	bad(rd, 0, &r, "plain text first",
	    "line 1 col 1: text outside a record");
	ck_assert_int_eq(r.type, -1);
	ck_assert_int_eq(cmlog_reader_type_at(rd, 0), CMLOG_TYPE_MALFORMED);
	tu_cmlog_good(rd, 1, &r, "a", "A", 1, 2);
	bad(rd, 2, &r, "  indented junk  ", NULL);
	ck_assert_uint_eq(r.line, 6);
	bad(rd, 3, &r, "before ", "line 7 col 1: text outside a record");
	tu_cmlog_good(rd, 4, &r, "b", "B", 2, 7);
	bad(rd, 5, &r, " after", "line 7 col 108: text outside a record");
	tu_cmlog_good(rd, 6, &r, "c", "C", 3, 8);
	tu_cmlog_good(rd, 7, &r, "d", "D", 1, 8);
	bad(rd, 8, &r, "tail without newline", NULL);
	ck_assert_uint_eq(r.line, 9);
	cmlog_reader_close(rd);
}
END_TEST

/* ---- reader: malformed records ----------------------------------------- */

static const struct {
	const char	*rec;		/* line 2 (and on) of the file */
	const char	*cause;
	const char	*text;		/* raw text of the malformed record */
	size_t		 after;		/* line of the record after it */
} malformed_cases[] = {
	{ "<![LOG[x]LOG]!>time=\"1:2:3\">\n",
	  "line 2 col 16: expected '<' after ']LOG]!>'",
	  "<![LOG[x]LOG]!>time=\"1:2:3\">", 3 },
	{ "<![LOG[x]LOG]!><date=\"1-1-2026\" time=\"1:2:3\">\n",
	  "line 2 col 17: expected 'time=\"'",
	  "<![LOG[x]LOG]!><date=\"1-1-2026\" time=\"1:2:3\">", 3 },
	{ "<![LOG[x]LOG]!><time=\"1:2:3\" date=\"1-1-2026\" component=\"c\" "
	  "context=\"\" type=\"1\" thread=\"1\" file=\"f\"\n",
	  "line 2 col 99: expected '>' after the attributes",
	  "<![LOG[x]LOG]!><time=\"1:2:3\" date=\"1-1-2026\" component=\"c\" "
	  "context=\"\" type=\"1\" thread=\"1\" file=\"f\"", 3 },
	{ "<![LOG[x]LOG]!><time=\"1:2:3\" date=\"1-1-2026\" component=\"abc\r\n",
	  "line 2 col 56: unterminated component value",
	  "<![LOG[x]LOG]!><time=\"1:2:3\" date=\"1-1-2026\" component=\"abc", 3 },
	{ "<![LOG[x]LOG]!><time=\"25:00:00.000\" date=\"1-1-2026\" "
	  "component=\"c\" context=\"\" type=\"1\" thread=\"1\" file=\"f\">\n",
	  "line 2 col 23: bad time \"25:00:00.000\"",
	  "<![LOG[x]LOG]!><time=\"25:00:00.000\" date=\"1-1-2026\" "
	  "component=\"c\" context=\"\" type=\"1\" thread=\"1\" file=\"f\">", 3 },
	{ "<![LOG[x]LOG]!><time=\"1:2:3\" date=\"13-01-2026\" component=\"c\" "
	  "context=\"\" type=\"1\" thread=\"1\" file=\"f\">\n",
	  "line 2 col 36: bad date \"13-01-2026\"",
	  "<![LOG[x]LOG]!><time=\"1:2:3\" date=\"13-01-2026\" component=\"c\" "
	  "context=\"\" type=\"1\" thread=\"1\" file=\"f\">", 3 },
	{ "<![LOG[x]LOG]!><time=\"1:2:3\" date=\"02-29-2026\" component=\"c\" "
	  "context=\"\" type=\"1\" thread=\"1\" file=\"f\">\n",
	  "line 2 col 36: bad date \"02-29-2026\"",
	  "<![LOG[x]LOG]!><time=\"1:2:3\" date=\"02-29-2026\" component=\"c\" "
	  "context=\"\" type=\"1\" thread=\"1\" file=\"f\">", 3 },
	{ "<![LOG[x]LOG]!><time=\"1:2:3\" date=\"1-1-2026\" component=\"c\" "
	  "context=\"\" type=\"100\" thread=\"1\" file=\"f\">\n",
	  "line 2 col 77: bad type \"100\"",
	  "<![LOG[x]LOG]!><time=\"1:2:3\" date=\"1-1-2026\" component=\"c\" "
	  "context=\"\" type=\"100\" thread=\"1\" file=\"f\">", 3 },
	/* A bad value is quoted escaped as all untrusted text (printable
	 * UTF-8 as written), cut with "..." only between characters. */
	{ "<![LOG[x]LOG]!><time=\"1:2:3\" date=\"1-1-2026\" component=\"c\" "
	  "context=\"\" type=\"\x1b[31m\xc3\xa9\" thread=\"1\" file=\"f\">\n",
	  "line 2 col 77: bad type \"\\x1b[31m\xc3\xa9\"",
	  "<![LOG[x]LOG]!><time=\"1:2:3\" date=\"1-1-2026\" component=\"c\" "
	  "context=\"\" type=\"\x1b[31m\xc3\xa9\" thread=\"1\" file=\"f\">", 3 },
	{ "<![LOG[x]LOG]!><time=\"1:2:3\" date=\"1-1-2026\" component=\"c\" "
	  "context=\"\" type=\"\xe2\x80\xae" "1234567890123456789012345678901234567890"
	  "\" thread=\"1\" file=\"f\">\n",
	  "line 2 col 77: bad type \"\\u202e123456789012345678901234567890...\"",
	  "<![LOG[x]LOG]!><time=\"1:2:3\" date=\"1-1-2026\" component=\"c\" "
	  "context=\"\" type=\"\xe2\x80\xae" "1234567890123456789012345678901234567890"
	  "\" thread=\"1\" file=\"f\">", 3 },
	/* Text over two lines, the attribute block broken on the second. */
	{ "<![LOG[multi\nline]LOG]!><time=\"x\">\n",
	  "line 3 col 21: expected 'date=\"'",
	  "<![LOG[multi\nline]LOG]!><time=\"x\">", 4 },
	{ "<![LOG[multi\nline]LOG]!><time=\"x\" date=\"1-1-2026\" "
	  "component=\"c\" context=\"\" type=\"1\" thread=\"1\" file=\"f\">\n",
	  "line 3 col 19: bad time \"x\"",
	  "<![LOG[multi\nline]LOG]!><time=\"x\" date=\"1-1-2026\" "
	  "component=\"c\" context=\"\" type=\"1\" thread=\"1\" file=\"f\">", 4 },
	/* Unterminated text: the next line starting a record cuts it. */
	{ "<![LOG[no end\nstill text\n",
	  "line 2 col 1: record has no ']LOG]!>' terminator",
	  "<![LOG[no end\nstill text", 4 },
};

START_TEST(test_read_malformed)
{
	const char *path = tu_path("m.log");
	const char *c = malformed_cases[_i].rec;
	struct cmlog_reader *rd;
	struct cmlog_record r;
	char *data;

	ck_assert_int_ne(asprintf(&data, "%s%s%s", REC("before", "A", "1"), c,
	    REC("after", "B", "2")), -1);
	put(path, data);
	free(data);
	rd = ropen_n(path, 3);
	tu_cmlog_good(rd, 0, &r, "before", "A", 1, 1);
	tu_cmlog_get(rd, 1, &r);
	ck_assert_int_eq(r.malformed, 1);
	ck_assert_uint_eq(r.line, 2);
	ck_assert_int_eq(r.type, -1);
	ck_assert_str_eq(r.cause, malformed_cases[_i].cause);
	tu_cmlog_text(&r, malformed_cases[_i].text);
	ck_assert_int_eq(cmlog_reader_type_at(rd, 1), CMLOG_TYPE_MALFORMED);
	tu_cmlog_good(rd, 2, &r, "after", "B", 2, malformed_cases[_i].after);
	cmlog_reader_close(rd);
}
END_TEST

/* A log cut by its end inside a record: the cut record is kept, malformed. */
static const struct {
	const char	*tail;		/* what follows a whole first record */
	const char	*cause;
	const char	*text;
} cut_cases[] = {
	/* Inside the attribute block. */
	{ "<![LOG[cut]LOG]!><time=\"10:00:00.000+000\" date=\"01-0",
	    "line 2 col 53: end of file inside the attribute block",
	    "<![LOG[cut]LOG]!><time=\"10:00:00.000+000\" date=\"01-0" },
	/* Inside the text, which spans lines. */
	{ "<![LOG[cut\nin the text\n",
	    "line 2 col 1: record has no ']LOG]!>' terminator",
	    "<![LOG[cut\nin the text" },
	/* Inside the marker. */
	{ "<![LO", "line 2 col 1: text outside a record", "<![LO" },
};

START_TEST(test_read_cut_at_eof)
{
	const char *path = tu_path("e.log");
	struct cmlog_reader *rd;
	struct cmlog_record r;
	char *data;

	ck_assert_int_ne(asprintf(&data, "%s%s", REC("a", "A", "1"),
	    cut_cases[_i].tail), -1);
	put(path, data);
	free(data);
	rd = ropen_n(path, 2);
	bad(rd, 1, &r, cut_cases[_i].text, cut_cases[_i].cause);
	cmlog_reader_close(rd);
}
END_TEST

START_TEST(test_read_big_line)
{
	const char *path = tu_path("big.log");
	size_t n = 10 * 1024 * 1024, len;
	const char *head = "<![LOG[", *tail = "]LOG]!><time=\"1:2:3\" "
	    "date=\"1-2-2026\" component=\"big\" context=\"\" type=\"2\" "
	    "thread=\"1\" file=\"\">\n";
	struct cmlog_reader *rd;
	struct cmlog_record r;
	char *buf, *p, *junk;

	/* A 10 MB record, a 10 MB junk line, then a normal record. */
	buf = malloc(2 * n + 1000);
	ck_assert_ptr_nonnull(buf);
	p = buf;
	p = stpcpy(p, head);
	memset(p, 't', n);
	p[0] = '<';
	p[n - 1] = '>';
	p += n;
	p = stpcpy(p, tail);
	junk = p;
	memset(p, 'j', n);
	p += n;
	*p++ = '\n';
	p = stpcpy(p, REC("small", "S", "3"));
	len = (size_t)(p - buf);
	putn(path, buf, len);

	rd = ropen_n(path, 3);
	tu_cmlog_get(rd, 0, &r);
	ck_assert_int_eq(r.malformed, 0);
	ck_assert_uint_eq(r.text_len, n);
	ck_assert(memcmp(r.text, buf + 7, n) == 0);
	ck_assert_str_eq(r.component, "big");
	bad(rd, 1, &r, NULL, NULL);
	ck_assert_uint_eq(r.text_len, n);
	ck_assert_uint_eq(r.line, 2);
	ck_assert(memcmp(r.text, junk, n) == 0);
	tu_cmlog_good(rd, 2, &r, "small", "S", 3, 3);
	cmlog_reader_close(rd);
	free(buf);
}
END_TEST

START_TEST(test_read_nul_bytes)
{
	const char *path = tu_path("nul.log");
	static const char data[] =
	    "<![LOG[a\0b\xff\xfe]LOG]!><time=\"1:2:3\" date=\"1-2-2026\" "
	    "component=\"c\xc3\0x\" context=\"\" type=\"1\" thread=\"1\" "
	    "file=\"\">\n"
	    "junk\0with nul \xc0\n"
	    "<![LOG[\0]LOG]!><time=\"1:2:3\" date=\"1-2-2026\" component=\"d\" "
	    "context=\"\" type=\"2\" thread=\"2\" file=\"\">\n";
	struct cmlog_reader *rd;
	struct cmlog_record r;

	putn(path, data, sizeof data - 1);
	rd = ropen_n(path, 3);
	tu_cmlog_get(rd, 0, &r);
	ck_assert_int_eq(r.malformed, 0);
	ck_assert_uint_eq(r.text_len, 5);
	ck_assert(memcmp(r.text, "a\0b\xff\xfe", 5) == 0);
	ck_assert(memcmp(r.component, "c\xc3\0", 3) == 0);
	tu_cmlog_get(rd, 1, &r);
	ck_assert_int_eq(r.malformed, 1);
	ck_assert_uint_eq(r.text_len, 15);
	ck_assert(memcmp(r.text, "junk\0with nul \xc0", 15) == 0);
	tu_cmlog_get(rd, 2, &r);
	ck_assert_int_eq(r.malformed, 0);
	ck_assert_uint_eq(r.text_len, 1);
	ck_assert_int_eq(r.text[0], '\0');
	ck_assert_int_eq(r.type, 2);
	cmlog_reader_close(rd);
}
END_TEST

START_TEST(test_read_long_fields)
{
	const char *path = tu_path("lf.log");
	struct cmlog_reader *rd;
	struct cmlog_record r;
	char comp[201], want[101], *data;

	/* 99 'x' then 'é' across the 100-byte limit, then more. */
	fill(comp, 'x', 200);
	memcpy(comp + 99, "\xc3\xa9", 2);
	ck_assert_int_ne(asprintf(&data, "<![LOG[t]LOG]!><time=\"1:2:3\" "
	    "date=\"1-2-2026\" component=\"%s\" context=\"%s\" type=\"1\" "
	    "thread=\"1\" file=\"%s\">\n", comp, comp + 50, comp + 101), -1);
	put(path, data);
	free(data);
	rd = ropen(path);
	tu_cmlog_get(rd, 0, &r);
	ck_assert_int_eq(r.malformed, 0);
	fill(want, 'x', 99);
	ck_assert_str_eq(r.component, want);	/* é does not fit */
	ck_assert_uint_eq(strlen(r.context), 100);	/* é fits */
	ck_assert(memcmp(r.context + 49, "\xc3\xa9", 2) == 0);
	ck_assert_str_eq(r.file, want);		/* 99 bytes: untouched */
	cmlog_reader_close(rd);
}
END_TEST

/* ---- reader: index, follow --------------------------------------------- */

START_TEST(test_read_open_errors)
{
	struct cmlog_reader *rd;
	struct cmlog_record r;
	char *cause = NULL;

	ck_assert_ptr_null(cmlog_reader_open(tu_path("missing.log"), &cause));
	ck_assert_ptr_nonnull(cause);
	ck_assert_ptr_nonnull(strstr(cause, "missing.log: No such file"));
	free(cause);
	cause = NULL;
	ck_assert_ptr_null(cmlog_reader_open(tu_dir, &cause));
	ck_assert_ptr_nonnull(strstr(cause, ": not a regular file"));
	free(cause);

	put(tu_path("empty.log"), "");
	rd = ropen(tu_path("empty.log"));
	ck_assert_uint_eq(cmlog_reader_count(rd), 0);
	ck_assert_int_eq(cmlog_reader_get(rd, 0, &r), -1);
	ck_assert_str_eq(cmlog_reader_error(rd), "record 0 out of range (0)");
	ck_assert_int_eq(cmlog_reader_type_at(rd, 0), CMLOG_TYPE_BADINDEX);
	ck_assert_int_eq(cmlog_reader_refresh(rd), 0);
	cmlog_reader_close(rd);
	cmlog_reader_close(NULL);

	put(tu_path("blank.log"), "\xef\xbb\xbf\n\r\n  \n");
	rd = ropen(tu_path("blank.log"));
	ck_assert_uint_eq(cmlog_reader_count(rd), 0);
	cmlog_reader_close(rd);
}
END_TEST

START_TEST(test_type_name)
{
	ck_assert_str_eq(cmlog_type_name(1), "info");
	ck_assert_str_eq(cmlog_type_name(2), "warning");
	ck_assert_str_eq(cmlog_type_name(3), "error");
	ck_assert_str_eq(cmlog_type_name(CMLOG_TYPE_NONE), "none");
	ck_assert_str_eq(cmlog_type_name(CMLOG_TYPE_MALFORMED), "malformed");
	ck_assert_str_eq(cmlog_type_name(0), "other");
	ck_assert_str_eq(cmlog_type_name(7), "other");
}
END_TEST

/*
 * A deterministic mix of everything: records, multi-line texts, CRLF,
 * junk, blank lines, broken blocks, records sharing a line, long texts.
 * Returns the expected line of each record start in lines[] (if not NULL).
 */
static size_t
mixed_file(const char *path, size_t *lines, size_t max)
{
	FILE *f = fopen(path, "wb");
	unsigned int seed = 12345;
	size_t n = 0, line = 1, i, k;

	ck_assert_ptr_nonnull(f);
	for (i = 0; n + 3 < max; i++) {
		seed = seed * 1103515245 + 12345;
		switch ((seed >> 16) % 9) {
		case 0:
			lines[n++] = line;
			fprintf(f, "<![LOG[r%zu]LOG]!><time=\"1:2:3\" "
			    "date=\"1-2-2026\" component=\"c\" context=\"\" "
			    "type=\"%zu\" thread=\"%zu\" file=\"f\">\n", i,
			    i % 4, i);
			line++;
			break;
		case 1:
			k = i % 5 + 1;
			lines[n++] = line;
			fprintf(f, "<![LOG[m%zu", i);
			for (size_t j = 0; j < k; j++)
				fprintf(f, "\nmore %zu", j);
			fprintf(f, "]LOG]!><time=\"10:00:00.000+000\" "
			    "date=\"01-01-2026\" component=\"m\" context=\"\" "
			    "type=\"2\" thread=\"1\" file=\"\">\r\n");
			line += k + 1;
			break;
		case 2:
			lines[n++] = line;
			fprintf(f, "junk %zu\n", i);
			line++;
			break;
		case 3:
			fprintf(f, "\n \r\n");
			line += 2;
			break;
		case 4:
			lines[n++] = line;
			fprintf(f, "<![LOG[b%zu]LOG]!><time=\"%zu:00\">\n", i, i);
			line++;
			break;
		case 5:
			lines[n++] = line;
			lines[n++] = line;
			lines[n++] = line;
			fprintf(f, "pre<![LOG[s%zu]LOG]!><time=\"\" date=\"\" "
			    "component=\"s\" context=\"\" type=\"\" thread=\"\">"
			    "<![LOG[t]LOG]!><time=\"\" date=\"\" component=\"\" "
			    "context=\"\" type=\"3\" thread=\"\" file=\"\">\n", i);
			line++;
			break;
		case 6:
			lines[n++] = line;
			fprintf(f, "<![LOG[long %zu ", i);
			for (k = 0; k < 2000 + i; k++)
				fputc('a' + (int)(k % 26), f);
			fprintf(f, "]LOG]!><time=\"1:2:3\" date=\"1-2-2026\" "
			    "component=\"l\" context=\"\" type=\"1\" thread=\"1\" "
			    "file=\"\">\n");
			line++;
			break;
		case 7:
			/* Unterminated: cut by the record on the next line. */
			lines[n++] = line;
			fprintf(f, "<![LOG[open %zu\n", i);
			line++;
			lines[n++] = line;
			fprintf(f, "<![LOG[cut]LOG]!><time=\"1:2:3\" "
			    "date=\"1-2-2026\" component=\"c\" context=\"\" "
			    "type=\"3\" thread=\"3\" file=\"f\">\n");
			line++;
			break;
		default:
			lines[n++] = line;
			fprintf(f, "<![LOG[ws%zu]LOG]!><time=\"1:2:3.4\"  "
			    "date=\"1-2-2026\"\tcomponent=\"w\" context=\"\" "
			    "type=\"1\" thread=\"1\"   file=\"\"  >  \n", i);
			line++;
			break;
		}
	}
	fclose(f);
	return n;
}

/* Record i of x and of y read (into a and b) and asserted the same. */
static void
record_eq(struct cmlog_reader *x, struct cmlog_reader *y, size_t i,
    struct cmlog_record *a, struct cmlog_record *b)
{
	tu_cmlog_get(x, i, a);
	tu_cmlog_get(y, i, b);
	ck_assert_uint_eq(a->text_len, b->text_len);
	ck_assert(memcmp(a->text, b->text, a->text_len) == 0);
	ck_assert_str_eq(a->component, b->component);
	ck_assert_str_eq(a->context, b->context);
	ck_assert_str_eq(a->file, b->file);
	ck_assert_int_eq(a->type, b->type);
	ck_assert_uint_eq(a->thread, b->thread);
	ck_assert_int_eq(a->when, b->when);
	ck_assert_int_eq(a->msec, b->msec);
	ck_assert_str_eq(a->time_str, b->time_str);
	ck_assert_str_eq(a->date_str, b->date_str);
	ck_assert_uint_eq(a->line, b->line);
	ck_assert_int_eq(a->malformed, b->malformed);
	ck_assert_str_eq(a->cause, b->cause);
}

/* rd holds the same records as all, with the same types in its index. */
static void
readers_eq(struct cmlog_reader *all, struct cmlog_reader *rd)
{
	struct cmlog_record a, b;
	size_t n = cmlog_reader_count(all);

	ck_assert_uint_eq(cmlog_reader_count(rd), n);
	for (size_t i = 0; i < n; i++) {
		record_eq(all, rd, i, &a, &b);
		ck_assert_int_eq(cmlog_reader_type_at(rd, i),
		    cmlog_reader_type_at(all, i));
	}
}

START_TEST(test_read_incremental)
{
	const char *path = tu_path("mix.log");
	static size_t lines[2000];
	size_t n = mixed_file(path, lines, 2000), chunks[] = { 1, 97, 4096 };
	struct cmlog_reader *all = ropen(path), *rd;
	struct cmlog_record a;
	uint64_t done, total, last;
	char *cause = NULL;
	int rc, steps;

	ck_assert_uint_eq(cmlog_reader_count(all), n);
	for (size_t i = 0; i < n; i++) {
		tu_cmlog_get(all, i, &a);
		ck_assert_msg(a.line == lines[i], "record %zu line %zu want %zu",
		    i, a.line, lines[i]);
		ck_assert_int_eq(cmlog_reader_type_at(all, i),
		    a.malformed ? CMLOG_TYPE_MALFORMED : a.type);
	}
	for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
		rd = cmlog_reader_open(path, &cause);
		ck_assert_ptr_nonnull(rd);
		ck_assert_uint_eq(cmlog_reader_count(rd), 0);	/* lazy */
		last = 0;
		steps = 0;
		while ((rc = cmlog_reader_index(rd, chunks[c])) == 1) {
			cmlog_reader_progress(rd, &done, &total);
			ck_assert_uint_gt(done, last);
			ck_assert_uint_lt(done, total);
			last = done;
			steps++;
		}
		ck_assert_int_eq(rc, 0);
		cmlog_reader_progress(rd, &done, &total);
		ck_assert_uint_eq(done, total);
		ck_assert_uint_eq((uint64_t)file_size(path), total);
		ck_assert_int_gt(steps, chunks[c] == 1 ? (int)n - 2 : 1);
		readers_eq(all, rd);
		cmlog_reader_close(rd);
	}
	cmlog_reader_close(all);
}
END_TEST

/* Index path in slices of slice bytes: the same records as all. */
static void
slices_eq(struct cmlog_reader *all, const char *path, size_t slice)
{
	struct cmlog_reader *rd;
	char *cause = NULL;
	int rc;

	rd = cmlog_reader_open(path, &cause);
	ck_assert_ptr_nonnull(rd);
	while ((rc = cmlog_reader_index(rd, slice)) == 1)
		;
	ck_assert_int_eq(rc, 0);
	readers_eq(all, rd);
	cmlog_reader_close(rd);
}

/* buf (len bytes) with its big record cut to 50 bytes, read whole. */
static struct cmlog_reader *
ropen_small(const char *buf, size_t len, size_t big)
{
	const char *small = tu_path("win-small.log");
	const char *x = strstr(buf, "xxxx");

	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(tu_write_file(small, buf, (size_t)(x - buf) + 50), 0);
	append(small, x + big);
	ck_assert_uint_eq((size_t)(x - buf) + 50 + strlen(x + big), len - big + 50);
	return ropen(small);
}

/*
 * The index reads a UTF-8 file in windows; the end of a window must read
 * like the end of a file that may still grow. Every slice size (a slice
 * smaller than the window makes the window that small) against one read
 * of the whole, on the places where a cut changes what a scanner sees: a
 * record whose '>' ends a window, blanks after it, a BOM right after '>'
 * (not at a line start: part of the junk), a BOM at a line start
 * (skipped), a text over lines, a cut marker, and a record longer than
 * the window (it grows).
 */
START_TEST(test_read_windows)
{
	char path[4096];
	static const char head[] =
	    "\xef\xbb\xbf<![LOG[a]LOG]!><time=\"01:02:03.004+000\" date=\"01-02-2026\""
	    " component=\"c\" context=\"\" type=\"1\" thread=\"7\" file=\"f\">  \r\n"
	    "<![LOG[b]LOG]!><time=\"\" date=\"\" component=\"c\" context=\"\""
	    " type=\"3\" thread=\"x\">\xef\xbb\xbfjunk\n"
	    "\xef\xbb\xbf<![LOG[two\nlines]LOG]!><time=\"\" date=\"\" component=\"\""
	    " context=\"\" type=\"2\" thread=\"\">   \n"
	    "\n  \t\n<![LOG[cut <![LO\n"
	    "<![LOG[c]LOG]!><time=\"25:00:00\" date=\"\" component=\"\""
	    " context=\"\" type=\"1\" thread=\"\">tail\n";
	static const char tail[] =
	    "]LOG]!><time=\"\" date=\"\" component=\"\" context=\"\" type=\"1\""
	    " thread=\"\">\n<![LOG[end]LOG]!><time=\"\" date=\"\" component=\"\""
	    " context=\"\" type=\"2\" thread=\"\">";
	size_t big = (1u << 20) + 4321, len = strlen(head) + 7 + big +
	    strlen(tail), n, slice;
	char *buf = malloc(len + 1);
	struct cmlog_reader *all, *small;
	struct cmlog_record a;

	ck_assert_ptr_nonnull(buf);
	snprintf(path, sizeof path, "%s", tu_path("win.log"));
	n = strlen(head);
	memcpy(buf, head, n);
	memcpy(buf + n, "<![LOG[", 7);
	memset(buf + n + 7, 'x', big);
	memcpy(buf + n + 7 + big, tail, strlen(tail));
	buf[len] = '\0';
	putn(path, buf, len);
	all = ropen(path);
	n = cmlog_reader_count(all);
	/* What one read of the whole file sees. */
	ck_assert_uint_eq(n, 8);
	tu_cmlog_get(all, 0, &a);
	tu_cmlog_text(&a, "a");
	ck_assert_int_eq(a.type, 1);
	ck_assert_int_eq(cmlog_reader_type_at(all, 1), 3);
	tu_cmlog_get(all, 2, &a);
	ck_assert(a.malformed);
	tu_cmlog_text(&a, "\xef\xbb\xbfjunk");
	ck_assert_str_eq(a.cause, "line 2 col 78: text outside a record");
	tu_cmlog_get(all, 3, &a);
	tu_cmlog_text(&a, "two\nlines");
	ck_assert_uint_eq(a.line, 3);
	tu_cmlog_get(all, 4, &a);
	ck_assert(a.malformed);
	ck_assert_uint_eq(a.line, 7);
	tu_cmlog_get(all, 5, &a);
	ck_assert(a.malformed);
	ck_assert_str_eq(a.cause, "line 8 col 23: bad time \"25:00:00\"");
	tu_cmlog_get(all, 6, &a);
	ck_assert(!a.malformed);
	ck_assert_uint_eq(a.text_len, big);
	ck_assert_uint_eq(a.line, 9);
	tu_cmlog_get(all, 7, &a);
	tu_cmlog_text(&a, "end");
	ck_assert_uint_eq(a.line, 10);
	/* The same in slices of every size up to a few records (without
	 * the big record: quick), then cutting the big record. */
	small = ropen_small(buf, len, big);
	for (slice = 1; slice < 400; slice++)
		slices_eq(small, tu_path("win-small.log"), slice);
	cmlog_reader_close(small);
	slices_eq(all, path, 1);
	slices_eq(all, path, 5000);
	slices_eq(all, path, 700000);
	cmlog_reader_close(all);
	free(buf);
}
END_TEST

START_TEST(test_read_refresh_append)
{
	const char *path = tu_path("f.log");
	struct cmlog_reader *rd;
	struct cmlog_record r;

	rd = put_open(path, REC("one", "A", "1") REC("two", "A", "2"), 2);
	ck_assert_int_eq(cmlog_reader_refresh(rd), 0);

	append(path, REC("three", "B", "3") REC("four", "B", "1")
	    REC("five", "B", "2"));
	tu_cmlog_refreshed(rd, 1, 5);
	tu_cmlog_good(rd, 2, &r, "three", "B", 3, 3);
	tu_cmlog_good(rd, 4, &r, "five", "B", 2, 5);
	ck_assert_int_eq(cmlog_reader_refresh(rd), 0);

	/* A record arriving in pieces is shown, then parsed again. */
	append(path, "<![LOG[partial te");
	tu_cmlog_refreshed(rd, 1, 6);
	bad(rd, 5, &r, NULL,
	    "line 6 col 1: record has no ']LOG]!>' terminator");
	append(path, "xt]LOG]!><time=\"1:2:3\" date=\"1-2-2026\" "
	    "component=\"P\" context=\"\" type=\"2\" thr");
	tu_cmlog_refreshed(rd, 1, 6);
	bad(rd, 5, &r, NULL,
	    "line 6 col 94: end of file inside the attribute block");
	append(path, "ead=\"5\" file=\"p.c:9\">\n");
	tu_cmlog_refreshed(rd, 1, 6);
	tu_cmlog_good(rd, 5, &r, "partial text", "P", 2, 6);
	ck_assert_uint_eq(r.thread, 5);
	ck_assert_str_eq(r.file, "p.c:9");
	ck_assert_int_eq(cmlog_reader_refresh(rd), 0);

	/* A junk line without its line break yet. */
	append(path, "abc");
	ck_assert_int_eq(cmlog_reader_refresh(rd), 1);
	tu_cmlog_get(rd, 6, &r);
	tu_cmlog_text(&r, "abc");
	append(path, "def\n");
	tu_cmlog_refreshed(rd, 1, 7);
	tu_cmlog_get(rd, 6, &r);
	tu_cmlog_text(&r, "abcdef");
	ck_assert_uint_eq(r.line, 7);

	/* Multi-line text growing line by line. */
	append(path, "<![LOG[first\n");
	ck_assert_int_eq(cmlog_reader_refresh(rd), 1);
	append(path, "second]LOG]!><time=\"1:2:3\" date=\"1-2-2026\" "
	    "component=\"M\" context=\"\" type=\"3\" thread=\"1\" file=\"\">\n");
	tu_cmlog_refreshed(rd, 1, 8);
	tu_cmlog_good(rd, 7, &r, "first\nsecond", "M", 3, 8);
	cmlog_reader_close(rd);
}
END_TEST

START_TEST(test_read_refresh_truncate)
{
	const char *path = tu_path("t.log");
	struct cmlog_reader *rd;
	struct cmlog_record r;

	rd = put_open(path, REC("old 1", "A", "1") REC("old 2", "A", "1")
	    REC("old 3", "A", "1"), 3);

	/* Truncated in place (same inode), shorter. */
	ck_assert_int_eq(truncate(path, 0), 0);
	append(path, REC("new 1", "B", "2"));
	tu_cmlog_refreshed(rd, 1, 1);
	tu_cmlog_good(rd, 0, &r, "new 1", "B", 2, 1);

	/* Truncated and rewritten longer than before. */
	ck_assert_int_eq(truncate(path, 0), 0);
	append(path, REC("newer 1", "C", "3") REC("newer 2", "C", "3"));
	tu_cmlog_refreshed(rd, 1, 2);
	tu_cmlog_good(rd, 1, &r, "newer 2", "C", 3, 2);

	/* Emptied. */
	ck_assert_int_eq(truncate(path, 0), 0);
	tu_cmlog_refreshed(rd, 1, 0);
	ck_assert_int_eq(cmlog_reader_refresh(rd), 0);
	append(path, REC("again", "D", "1"));
	tu_cmlog_refreshed(rd, 1, 1);
	cmlog_reader_close(rd);
}
END_TEST

START_TEST(test_read_refresh_roll)
{
	const char *path = tu_path("r.log");
	struct cmlog *log = wopen(path, 1000);
	struct cmlog_reader *rd;
	struct cmlog_record r;
	int i;

	for (i = 0; i < 3; i++)
		ck_assert_int_eq(cmlog_write(log, 1, "r", "f", "record %d "
		    "%0200d", i, 0), 0);
	rd = ropen_n(path, 3);
	ck_assert_int_le(file_size(path) / 3 * 4, 1000 + 400);
	ck_assert_int_gt(file_size(path) / 3 * 4, 1000);
	for (; i < 5; i++)	/* ~320 bytes each: the 4th rolls the log */
		ck_assert_int_eq(cmlog_write(log, 2, "r", "f", "record %d "
		    "%0200d", i, 0), 0);
	tu_cmlog_refreshed(rd, 1, 2);
	tu_cmlog_get(rd, 0, &r);
	ck_assert_int_eq(r.malformed, 0);
	ck_assert(strncmp(r.text, "record 3 ", 9) == 0);
	ck_assert_int_eq(r.type, 2);
	tu_cmlog_get(rd, 1, &r);
	ck_assert(strncmp(r.text, "record 4 ", 9) == 0);
	cmlog_close(log);

	/* Gone (rolled, not recreated yet): keep the old one. */
	ck_assert_int_eq(rename(path, tu_path("elsewhere")), 0);
	tu_cmlog_refreshed(rd, 0, 2);
	cmlog_reader_close(rd);
}
END_TEST

START_TEST(test_read_lines_many)
{
	const char *path = tu_path("lines.log");
	FILE *f = fopen(path, "wb");
	struct cmlog_reader *rd;
	struct cmlog_record r;
	size_t want[1000], line = 1, i, k;

	ck_assert_ptr_nonnull(f);
	for (i = 0; i < 1000; i++) {
		want[i] = line;
		if (i % 7 == 3) {
			fprintf(f, "junk %zu\n\n", i);
			line += 2;
			continue;
		}
		fprintf(f, "<![LOG[%zu", i);
		for (k = 0; k < i % 4; k++)
			fprintf(f, "\r\n.");
		fprintf(f, "]LOG]!><time=\"1:2:3\" date=\"1-2-2026\" "
		    "component=\"c\" context=\"\" type=\"%zu\" thread=\"%zu\" "
		    "file=\"\">\n", i % 4, i);
		line += i % 4 + 1;
	}
	fclose(f);
	rd = ropen_n(path, 1000);
	/* Backwards, as a viewer scrolling up would. */
	for (i = 1000; i-- > 0;) {
		tu_cmlog_get(rd, i, &r);
		ck_assert_uint_eq(r.line, want[i]);
		ck_assert_int_eq(r.malformed, i % 7 == 3);
		if (!r.malformed) {
			ck_assert_uint_eq(r.thread, i);
			ck_assert_int_eq(cmlog_reader_type_at(rd, i),
			    (int)(i % 4));
		}
	}
	cmlog_reader_close(rd);
}
END_TEST

/*
 * A file of several megabytes is indexed by parts at once (one per core,
 * cut at lines starting with "<![LOG["): the records, their lines and the
 * state at a cut end of file must equal a sequential index in small slices.
 */
START_TEST(test_read_parallel)
{
	const char *one = tu_path("one.log"), *path = tu_path("big.log");
	static const char trick[] =
	    "<![LOG[a\n <![LOG[b\n\t<![LOG[c]LOG]!><time=\"1:2:3\" "
	    "date=\"1-2-2026\" component=\"c\" context=\"\" type=\"1\" "
	    "thread=\"1\" file=\"\">\n\xef\xbb\xbf<![LOG[bom]LOG]!><time=\"\" "
	    "date=\"\" component=\"\" context=\"\" type=\"3\" thread=\"\">\n";
	static size_t lines[2000];
	size_t n = mixed_file(one, lines, 2000), len, L = 0, copies, i, c;
	char *data = tu_read_file(one, &len);
	struct cmlog_reader *seq, *par;
	struct cmlog_record a, b;
	FILE *f = fopen(path, "wb");
	char *cause = NULL;
	int rc;

	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(f);
	for (i = 0; i < len; i++)
		L += data[i] == '\n';
	copies = (9u << 20) / (len + sizeof trick) + 1;
	for (c = 0; c < copies; c++) {
		ck_assert_uint_eq(fwrite(trick, 1, sizeof trick - 1, f),
		    sizeof trick - 1);
		ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	}
	fputs("<![LOG[cut by the end of the file", f);
	ck_assert_int_eq(fclose(f), 0);
	free(data);

	par = cmlog_reader_open(path, &cause);
	ck_assert_ptr_nonnull(par);
	ck_assert_int_eq(cmlog_reader_index(par, 0), 0);
	seq = cmlog_reader_open(path, &cause);
	ck_assert_ptr_nonnull(seq);
	while ((rc = cmlog_reader_index(seq, 1u << 20)) == 1)
		;
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(cmlog_reader_count(par), copies * (n + 2) + 1);
	ck_assert_uint_eq(cmlog_reader_count(seq), cmlog_reader_count(par));
	for (i = 0; i < cmlog_reader_count(par); i++) {
		record_eq(par, seq, i, &a, &b);
		ck_assert_int_eq(cmlog_reader_type_at(par, i),
		    cmlog_reader_type_at(seq, i));
		c = i / (n + 2);
		if (i + 1 < cmlog_reader_count(par) && i % (n + 2) >= 2)
			ck_assert_msg(a.line == lines[i % (n + 2) - 2] +
			    c * (L + 4) + 4, "record %zu line %zu", i, a.line);
	}
	ck_assert_int_eq(a.malformed, 1);	/* cut by the end */
	ck_assert_uint_eq(a.line, copies * (L + 4) + 1);

	/* The cut record is finished: both see it whole. */
	append(path, "]LOG]!><time=\"1:2:3\" date=\"1-2-2026\" component=\"e\" "
	    "context=\"\" type=\"2\" thread=\"9\" file=\"\">\n");
	ck_assert_int_eq(cmlog_reader_refresh(par), 1);
	ck_assert_int_eq(cmlog_reader_refresh(seq), 1);
	i = cmlog_reader_count(par);
	ck_assert_uint_eq(i, copies * (n + 2) + 1);
	ck_assert_uint_eq(cmlog_reader_count(seq), i);
	record_eq(par, seq, i - 1, &a, &b);
	tu_cmlog_good(par, i - 1, &a, "cut by the end of the file", "e", 2,
	    copies * (L + 4) + 1);
	ck_assert_uint_eq(a.thread, 9);
	cmlog_reader_close(par);
	cmlog_reader_close(seq);
}
END_TEST

/* Truncated in place by another program after it was indexed: getting a
 * record past the new end is an error that says so (the map would have
 * raised SIGBUS), and a refresh starts over. */
START_TEST(test_read_get_truncated)
{
	const char *path = tu_path("trunc.log");
	struct cmlog_reader *rd;
	struct cmlog_record a;
	FILE *f = fopen(path, "wb");
	size_t n;

	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 30000; i++)
		fprintf(f, "<![LOG[record %d]LOG]!><time=\"1:2:3\" date=\"1-2-2026\""
		    " component=\"c\" context=\"\" type=\"1\" thread=\"1\" "
		    "file=\"\">\n", i);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_uint_gt(file_size(path), 3u << 20);
	rd = ropen(path);
	n = cmlog_reader_count(rd);
	ck_assert_uint_eq(n, 30000);
	tu_cmlog_get(rd, 0, &a);
	tu_cmlog_text(&a, "record 0");
	ck_assert_int_eq(truncate(path, 1u << 20), 0);
	ck_assert_int_eq(cmlog_reader_get(rd, n - 1, &a), -1);
	ck_assert_msg(strstr(cmlog_reader_error(rd), "shrank") != NULL, "%s",
	    cmlog_reader_error(rd));
	ck_assert_int_eq(cmlog_reader_refresh(rd), 1);
	ck_assert_uint_lt(cmlog_reader_count(rd), n);
	tu_cmlog_get(rd, 0, &a);
	tu_cmlog_text(&a, "record 0");
	cmlog_reader_close(rd);
}
END_TEST

/* A thread past 64 bits is not a number (shown as written), one at the
 * limit is, in decimal and in hex. */
START_TEST(test_read_thread_limits)
{
	const char *path = tu_path("th.log");
	static const char *th[] = { "18446744073709551615",
	    "18446744073709551616", "0xffffffffffffffff", "0x10000000000000000",
	    "99999999999999999999" };
	static const int num[] = { 1, 0, 1, 0, 0 };
	struct cmlog_reader *rd;
	struct cmlog_record a;
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < sizeof th / sizeof th[0]; i++)
		fprintf(f, "<![LOG[t]LOG]!><time=\"1:2:3\" date=\"1-2-2026\" "
		    "component=\"c\" context=\"\" type=\"1\" thread=\"%s\" "
		    "file=\"\">\n", th[i]);
	ck_assert_int_eq(fclose(f), 0);
	rd = ropen(path);
	ck_assert_uint_eq(cmlog_reader_count(rd), 5);
	for (size_t i = 0; i < 5; i++) {
		tu_cmlog_get(rd, i, &a);
		ck_assert_int_eq(a.malformed, 0);
		ck_assert_msg(a.thread_num == num[i], "%s", th[i]);
		ck_assert_uint_eq(a.thread, num[i] ? ULONG_MAX : 0);
		ck_assert_str_eq(a.thread_str, th[i]);
	}
	cmlog_reader_close(rd);
}
END_TEST

/* A record's content in 64 bits (FNV-1a over every field). */
static uint64_t
record_hash(const struct cmlog_record *r)
{
	uint64_t h = 14695981039346656037ULL;
	const unsigned char *parts[] = { (const unsigned char *)r->text,
	    (const unsigned char *)r->component,
	    (const unsigned char *)r->context, (const unsigned char *)r->file,
	    (const unsigned char *)r->thread_str,
	    (const unsigned char *)r->time_str,
	    (const unsigned char *)r->date_str,
	    (const unsigned char *)r->cause };
	long long nums[] = { r->type, (long long)r->thread, (long long)r->when,
	    r->msec, r->tz_known, r->tz_bias, (long long)r->line, r->malformed };

	for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
		size_t len = k == 0 ? r->text_len : strlen((const char *)parts[k]);

		for (size_t i = 0; i < len; i++)
			h = (h ^ parts[k][i]) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;
	}
	for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++)
		h = (h ^ (uint64_t)nums[k]) * 1099511628211ULL;
	return h;
}

/*
 * Records are got through a window of the file read with pread(2): in
 * any order (backwards, jumping, around a record larger than the window)
 * each must read as the same record, and as a UTF-16 copy of the file
 * (got from its transcoding, not through windows) reads it.
 */
START_TEST(test_read_get_any_order)
{
	const char *one = tu_path("one.log"), *path = tu_path("get.log");
	const char *p16 = tu_path("get16.log");
	static size_t lines[2000];
	size_t len, n, i, copies = 6, big = (1u << 20) + 99;
	char *data, *x;
	struct cmlog_reader *rd, *r16;
	struct cmlog_record a;
	uint64_t *h;
	FILE *f;
	unsigned int seed = 7;

	mixed_file(one, lines, 2000);
	data = tu_read_file(one, &len);
	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(f = fopen(path, "wb"));
	for (i = 0; i < copies; i++) {
		ck_assert_uint_eq(fwrite(data, 1, len, f), len);
		if (i == copies / 2) {
			/* A record larger than a window, in the middle. */
			x = xmalloc(big);
			memset(x, 'x', big);
			fputs("<![LOG[", f);
			ck_assert_uint_eq(fwrite(x, 1, big, f), big);
			fputs("]LOG]!><time=\"1:2:3\" date=\"1-2-2026\" "
			    "component=\"big\" context=\"\" type=\"3\" "
			    "thread=\"5\" file=\"\">\n", f);
			free(x);
		}
	}
	ck_assert_int_eq(fclose(f), 0);
	free(data);
	free(tu_sh_ok("{ printf '\\377\\376'; iconv -f UTF-8 -t UTF-16LE '%s'; }"
	    " > '%s'", path, p16));

	rd = ropen(path);
	r16 = ropen(p16);
	n = cmlog_reader_count(rd);
	ck_assert_uint_gt(n, copies * 1000);
	ck_assert_uint_eq(cmlog_reader_count(r16), n);
	h = xcalloc(n, sizeof *h);
	for (i = 0; i < n; i++) {
		tu_cmlog_get(r16, i, &a);
		h[i] = record_hash(&a);
	}
	for (i = 0; i < n; i++) {		/* forwards */
		tu_cmlog_get(rd, i, &a);
		ck_assert_msg(record_hash(&a) == h[i], "forwards: record %zu", i);
	}
	for (i = n; i-- > 0;) {			/* backwards */
		tu_cmlog_get(rd, i, &a);
		ck_assert_msg(record_hash(&a) == h[i], "backwards: record %zu",
		    i);
	}
	for (int k = 0; k < 5000; k++) {	/* jumping */
		seed = seed * 1103515245 + 12345;
		i = (seed >> 4) % n;
		tu_cmlog_get(rd, i, &a);
		ck_assert_msg(record_hash(&a) == h[i], "jump: record %zu", i);
	}
	free(h);
	cmlog_reader_close(rd);
	cmlog_reader_close(r16);
}
END_TEST

/*
 * A file rolled or rewritten in place: what a get read before (its
 * window) is never shown for the new content. (A record that grows past
 * the window's end is read again: test_read_refresh_append.)
 */
START_TEST(test_read_get_after_rewrite)
{
	const char *path = tu_path("rw.log"), *old = tu_path("rw.lo_");
	static const char rec[] = "<![LOG[%s]LOG]!><time=\"1:2:3\" "
	    "date=\"1-2-2026\" component=\"c\" context=\"\" type=\"1\" "
	    "thread=\"1\" file=\"\">\n";
	char buf[512];
	struct cmlog_reader *rd;
	struct cmlog_record a;

	snprintf(buf, sizeof buf, rec, "first");
	putn(path, buf, strlen(buf));
	rd = ropen(path);
	tu_cmlog_get(rd, 0, &a);
	tu_cmlog_text(&a, "first");

	/* Rewritten in place, same size: started over. */
	snprintf(buf, sizeof buf, rec, "FIRST");
	putn(path, buf, strlen(buf));
	ck_assert_int_eq(cmlog_reader_refresh(rd), 1);
	tu_cmlog_get(rd, 0, &a);
	tu_cmlog_text(&a, "FIRST");

	/* Rolled: a new file under the name. */
	ck_assert_int_eq(rename(path, old), 0);
	snprintf(buf, sizeof buf, rec, "second");
	putn(path, buf, strlen(buf));
	ck_assert_int_eq(cmlog_reader_refresh(rd), 1);
	tu_cmlog_get(rd, 0, &a);
	tu_cmlog_text(&a, "second");

	cmlog_reader_close(rd);
}
END_TEST

Suite *
cmlog_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("writer", tu_dir_fixture),
		TU_TEST(test_write_roundtrip),
		TU_TEST(test_write_mode),
		TU_TEST(test_write_errors),
		TU_EACH(test_write_text, written),
		TU_TEST(test_write_fields),
		TU_TEST(test_write_long_message),
		TU_TEST(test_write_threads),
		TU_TEST(test_write_processes),
		TU_TEST(test_rolled_name),
		TU_TEST(test_write_roll),
		TU_TEST(test_write_roll_big_record),
		TU_TEST(test_write_roll_processes),
		TU_CASE("reader", tu_dir_fixture),
		TU_TEST(test_read_canonical),
		TU_TEST(test_read_tolerant_fields),
		TU_TEST(test_read_bom_crlf),
		TU_TEST(test_read_multiline),
		TU_TEST(test_read_junk),
		TU_EACH(test_read_malformed, malformed_cases),
		TU_EACH(test_read_cut_at_eof, cut_cases),
		TU_TEST(test_read_big_line),
		TU_TEST(test_read_nul_bytes),
		TU_TEST(test_read_long_fields),
		TU_TEST(test_read_open_errors),
		TU_TEST(test_type_name),
		TU_TEST(test_read_incremental),
		TU_TEST(test_read_windows),
		TU_TEST(test_read_refresh_append),
		TU_TEST(test_read_refresh_truncate),
		TU_TEST(test_read_refresh_roll),
		TU_TEST(test_read_lines_many),
		TU_TEST(test_read_parallel),
		TU_TEST(test_read_get_any_order),
		TU_TEST(test_read_get_after_rewrite),
		TU_TEST(test_read_thread_limits),
		TU_TEST(test_read_get_truncated),
		{ 0 }
	};

	return tu_suite("cmlog", tests);
}
