/*
 * Foreign CMTrace logs: the records public writers of "CMTrace format"
 * produce, built here from their format strings and written by python3's
 * own codecs (not ehttp's) in every encoding the reader reads: Windows
 * PowerShell 5.1's Out-File default (UTF-16LE with a BOM, CRLF), UTF-16BE
 * with a BOM, UTF-16LE without a BOM, UTF-8 with a BOM, CR-only lines, no
 * line break after the last record. Every record's type, component,
 * thread and time is asserted.
 */
#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmlog.h"
#include "testutil.h"

/* 2026-11-24 00:00:00 as if UTC, and a time of that day. */
#define DAY		((time_t)1795478400)
#define AT(h, m, s)	(DAY + (h) * 3600 + (m) * 60 + (s))

static const struct frec {
	const char	*line;		/* the record as the writer wrote it */
	const char	*text;		/* its text, CRs left out */
	int		 type;
	const char	*component;
	const char	*context;
	const char	*thread_str;
	int		 thread_num;
	unsigned long	 thread;
	time_t		 when;
	int		 msec;
	int		 tz_known, tz_bias;
	size_t		 line_no;
} frecs[] = {
	/* A PowerShell CMTrace function: "HH:mm:ss.fff" + "+" + the
	 * TIME_ZONE_INFORMATION bias (420, US Mountain), $PID as thread,
	 * [Security.Principal.WindowsIdentity]::GetCurrent().Name. */
	{ "<![LOG[Gr\xc3\xb6\xc3\x9f" "e: \xf0\x9f\x98\x80 installed]LOG]!>"
	  "<time=\"14:05:12.345+420\" date=\"11-24-2026\" "
	  "component=\"Install-App\" context=\"CONTOSO\\admin\" type=\"1\" "
	  "thread=\"4321\" file=\"\">",
	  "Gr\xc3\xb6\xc3\x9f" "e: \xf0\x9f\x98\x80 installed", 1,
	  "Install-App", "CONTOSO\\admin", "4321", 1, 4321,
	  AT(14, 5, 12) + 420 * 60, 345, 1, 420, 1 },
	/* The script template: unpadded ".$((Get-Date).Millisecond)+000",
	 * context="Empty" thread="Empty" file="Empty". */
	{ "<![LOG[Template record]LOG]!><time=\"14:05:12.45+000\" "
	  "date=\"11-24-2026\" component=\"Script\" context=\"Empty\" "
	  "type=\"2\" thread=\"Empty\" file=\"Empty\">",
	  "Template record", 2, "Script", "Empty", "Empty", 0, 0,
	  AT(14, 5, 12), 450, 1, 0, 2 },
	/* "+" + a negative bias: "+-60" (UTC = local - 60 min). */
	{ "<![LOG[Bias minus]LOG]!><time=\"09:05:08.012+-60\" "
	  "date=\"11-24-2026\" component=\"Write-CMLog\" context=\"\" "
	  "type=\"3\" thread=\"12\" file=\"script.ps1:40\">",
	  "Bias minus", 3, "Write-CMLog", "", "12", 1, 12,
	  AT(9, 5, 8) - 3600, 12, 1, -60, 3 },
	/* "HH:mm:ss.ffff", no offset, a component of one space,
	 * thread="". */
	{ "<![LOG[Four digits]LOG]!><time=\"14:05:12.3456\" "
	  "date=\"11-24-2026\" component=\" \" context=\"\" type=\"1\" "
	  "thread=\"\" file=\"\">",
	  "Four digits", 1, " ", "", "", 0, 0, AT(14, 5, 12), 345, 0, 0, 4 },
	/* "HH:mm:ss.ffffff", type="" and the SYSTEM context. */
	{ "<![LOG[Six digits]LOG]!><time=\"14:05:12.123456\" "
	  "date=\"11-24-2026\" component=\"Svc\" "
	  "context=\"NT AUTHORITY\\SYSTEM\" type=\"\" thread=\"5\" file=\"\">",
	  "Six digits", CMLOG_TYPE_NONE, "Svc", "NT AUTHORITY\\SYSTEM", "5", 1,
	  5, AT(14, 5, 12), 123, 0, 0, 5 },
	/* .NET's "fffffff" (7 digits), a blank type, a hex thread. */
	{ "<![LOG[Seven digits]LOG]!><time=\"23:59:59.9999999\" "
	  "date=\"11-24-2026\" component=\"Net\" context=\"\" type=\" \" "
	  "thread=\"0x1A\" file=\"\">",
	  "Seven digits", CMLOG_TYPE_NONE, "Net", "", "0x1A", 1, 26,
	  AT(23, 59, 59), 999, 0, 0, 6 },
	/* Runs of blanks between attributes, type="Empty", a thread
	 * name. */
	{ "<![LOG[Blanks]LOG]!><time=\"1:2:3.4-120\"   date=\"11-24-2026\"\t "
	  "component=\"Blank Runs\"    context=\"\"  type=\"Empty\"   "
	  "thread=\"worker-3\"  file=\"a.ps1\" >",
	  "Blanks", CMLOG_TYPE_NONE, "Blank Runs", "", "worker-3", 0, 0,
	  AT(1, 2, 3) - 120 * 60, 400, 1, -120, 7 },
	/* A text over two lines (Out-String). */
	{ "<![LOG[line one\nline two]LOG]!><time=\"14:05:12.000+000\" "
	  "date=\"11-24-2026\" component=\"Multi\" context=\"\" type=\"2\" "
	  "thread=\"1\" file=\"\">",
	  "line one\nline two", 2, "Multi", "", "1", 1, 1, AT(14, 5, 12), 0,
	  1, 0, 8 },
	/* ConfigMgr's own record: the writer's local time, bias +480 (US
	 * Pacific), the last one. */
	{ "<![LOG[Call to HttpSendRequestSync succeeded for port 443 with "
	  "status code 200, text: OK]LOG]!><time=\"06:05:12.345+480\" "
	  "date=\"11-24-2026\" component=\"SMS_MP_CONTROL_MANAGER\" "
	  "context=\"\" type=\"1\" thread=\"4044\" file=\"mpcontrol.cpp:1254\">",
	  "Call to HttpSendRequestSync succeeded for port 443 with status "
	  "code 200, text: OK", 1, "SMS_MP_CONTROL_MANAGER", "", "4044", 1,
	  4044, AT(14, 5, 12), 345, 1, 480, 10 },
};
#define NFRECS	(sizeof frecs / sizeof frecs[0])

/* How a writer stores the records (python3 codec names). */
static const struct variant {
	const char	*name;
	const char	*codec;
	int		 bom;
	const char	*nl;		/* lf, crlf, cr */
	int		 trailing;	/* a line break after the last record */
} variants[] = {
	{ "Windows PowerShell 5.1 Out-File (UTF-16LE BOM, CRLF)",
	  "utf-16-le", 1, "crlf", 1 },
	{ "UTF-16BE with a BOM", "utf-16-be", 1, "lf", 1 },
	{ "UTF-16LE without a BOM, no final line break", "utf-16-le", 0,
	  "crlf", 0 },
	{ "UTF-16LE with a BOM, CR-only lines", "utf-16-le", 1, "cr", 0 },
	{ "UTF-8 with a BOM, CRLF", "utf-8", 1, "crlf", 1 },
	{ "UTF-8, CR-only lines, no final line break", "utf-8", 0, "cr", 0 },
	{ "UTF-8, LF, no final line break", "utf-8", 0, "lf", 0 },
};
#define NVARIANTS	(sizeof variants / sizeof variants[0])

/* Write text (UTF-8, LF) to path as the variant says, with python3. */
static void
py_write(const char *path, const char *text, const char *codec, int bom,
    const char *nl, int trailing)
{
	const char *in = tu_path("in.txt"), *py = tu_path("w.py");
	static const char script[] =
	    "import sys\n"
	    "src, dst, codec, bom, nl, trail = sys.argv[1:]\n"
	    "t = open(src, encoding='utf-8', newline='').read()\n"
	    "if trail == '0':\n"
	    "    t = t.rstrip('\\n')\n"
	    "t = t.replace('\\n', {'lf': '\\n', 'crlf': '\\r\\n',"
	    " 'cr': '\\r'}[nl])\n"
	    "if bom == '1':\n"
	    "    t = '\\ufeff' + t\n"
	    "open(dst, 'wb').write(t.encode(codec))\n";
	char *out = NULL, *err = NULL;

	ck_assert_int_eq(tu_write_file(in, text, strlen(text)), 0);
	ck_assert_int_eq(tu_write_file(py, script, strlen(script)), 0);
	ck_assert_msg(tu_sh(&out, &err, "python3 '%s' '%s' '%s' %s %d %s %d",
	    py, in, path, codec, bom, nl, trailing) == 0, "python3: %s", err);
	free(out);
	free(err);
}

static char *
corpus_text(void)
{
	size_t len = 0, i;
	char *t;

	for (i = 0; i < NFRECS; i++)
		len += strlen(frecs[i].line) + 1;
	t = calloc(1, len + 1);
	ck_assert_ptr_nonnull(t);
	for (i = 0; i < NFRECS; i++) {
		strcat(t, frecs[i].line);
		strcat(t, "\n");
	}
	return t;
}

static uint64_t
fsize(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

static struct cmlog_reader *
ropen(const char *path)
{
	char *cause = NULL;
	struct cmlog_reader *rd = cmlog_reader_open(path, &cause);

	ck_assert_msg(rd != NULL, "open: %s", cause);
	return rd;
}

/* The bytes of file src appended to path (the shell's cat), then rd
 * refreshed: it found more (1) and holds n records. */
static void
append_refresh(struct cmlog_reader *rd, const char *src, const char *path,
    size_t n)
{
	ck_assert_int_eq(tu_sh(NULL, NULL, "cat '%s' >> '%s'", src, path), 0);
	tu_cmlog_refreshed(rd, 1, n);
}

/* The record's text with CRs left out (CRLF is returned raw). */
static void
text_eq(const struct cmlog_record *r, const char *want, const char *what)
{
	char buf[512];
	size_t n = 0;

	for (size_t i = 0; i < r->text_len && n < sizeof buf - 1; i++)
		if (r->text[i] != '\r')
			buf[n++] = r->text[i];
	buf[n] = '\0';
	ck_assert_msg(strcmp(buf, want) == 0, "%s: text \"%s\", want \"%s\"",
	    what, buf, want);
}

static void
check_corpus(struct cmlog_reader *rd, const char *what)
{
	struct cmlog_record r;

	ck_assert_msg(cmlog_reader_count(rd) == NFRECS, "%s: %zu records",
	    what, cmlog_reader_count(rd));
	for (size_t i = 0; i < NFRECS; i++) {
		const struct frec *f = &frecs[i];

		tu_cmlog_get(rd, i, &r);
		ck_assert_msg(!r.malformed, "%s: record %zu malformed: %s",
		    what, i, r.cause);
		text_eq(&r, f->text, what);
		ck_assert_msg(r.type == f->type && cmlog_reader_type_at(rd, i)
		    == f->type, "%s: record %zu type %d", what, i, r.type);
		ck_assert_str_eq(r.component, f->component);
		ck_assert_str_eq(r.context, f->context);
		ck_assert_str_eq(r.thread_str, f->thread_str);
		ck_assert_int_eq(r.thread_num, f->thread_num);
		ck_assert_uint_eq(r.thread, f->thread);
		ck_assert_msg(r.when == f->when && r.msec == f->msec,
		    "%s: record %zu at %lld.%03d, want %lld.%03d", what, i,
		    (long long)r.when, r.msec, (long long)f->when, f->msec);
		ck_assert_int_eq(r.tz_known, f->tz_known);
		ck_assert_int_eq(r.tz_bias, f->tz_bias);
		ck_assert_msg(r.line == f->line_no, "%s: record %zu on line %zu",
		    what, i, r.line);
	}
}

START_TEST(test_foreign_corpus)
{
	const struct variant *v = &variants[_i];
	const char *path = tu_path("foreign.log");
	struct cmlog_reader *rd;
	char *text = corpus_text();
	uint64_t done, total;

	py_write(path, text, v->codec, v->bom, v->nl, v->trailing);
	free(text);

	/* All at once. */
	rd = ropen(path);
	ck_assert_int_eq(cmlog_reader_index(rd, 0), 0);
	check_corpus(rd, v->name);
	cmlog_reader_progress(rd, &done, &total);
	ck_assert_uint_eq(total, fsize(path));
	cmlog_reader_close(rd);

	/* In slices of a few bytes: every slice boundary cuts a record. */
	rd = ropen(path);
	for (int k = 0; cmlog_reader_index(rd, 7) == 1; k++)
		ck_assert_int_lt(k, 10000);
	check_corpus(rd, v->name);
	cmlog_reader_close(rd);
}
END_TEST

/* Cross-check with iconv: as many records as a line-based tool sees. */
START_TEST(test_foreign_iconv_count)
{
	const char *path = tu_path("ps.log");
	struct cmlog_reader *rd;
	char *text = corpus_text(), *out = NULL, *err = NULL;

	py_write(path, text, "utf-16-le", 1, "crlf", 1);
	free(text);
	ck_assert_int_eq(tu_sh(&out, &err, "iconv -f UTF-16 -t UTF-8 '%s' |"
	    " grep -c '^<!\\[LOG\\['", path), 0);
	rd = ropen(path);
	ck_assert_int_eq(cmlog_reader_index(rd, 0), 0);
	ck_assert_uint_eq(cmlog_reader_count(rd), strtoul(out, NULL, 10));
	cmlog_reader_close(rd);
	free(out);
	free(err);
}
END_TEST

/* What no lenient reader reads keeps its line and column (UTF-8 bytes). */
START_TEST(test_foreign_malformed_utf16)
{
	const char *path = tu_path("bad.log");
	struct cmlog_reader *rd;
	struct cmlog_record r;

	py_write(path, "<![LOG[ok]LOG]!><time=\"1:2:3\" date=\"1-2-2026\" "
	    "component=\"A\" context=\"\" type=\"1\" thread=\"1\" file=\"\">\n"
	    "<![LOG[\xc3\xa9]LOG]!><time=\"late\" date=\"1-2-2026\" "
	    "component=\"A\" context=\"\" type=\"1\" thread=\"1\" file=\"\">\n"
	    "plain text\n"
	    "<![LOG[t]LOG]!><time=\"1:2:3\" date=\"1-2-2026\" component=\"A\" "
	    "context=\"\" type=\"x\" thread=\"1\" file=\"\">\n",
	    "utf-16-be", 1, "crlf", 1);
	rd = ropen(path);
	ck_assert_int_eq(cmlog_reader_index(rd, 0), 0);
	ck_assert_uint_eq(cmlog_reader_count(rd), 4);
	tu_cmlog_get(rd, 0, &r);
	ck_assert_int_eq(r.malformed, 0);
	tu_cmlog_get(rd, 1, &r);
	ck_assert_int_eq(r.malformed, 1);
	ck_assert_str_eq(r.cause, "line 2 col 24: bad time \"late\"");
	ck_assert_int_eq(cmlog_reader_type_at(rd, 1), CMLOG_TYPE_MALFORMED);
	tu_cmlog_get(rd, 2, &r);
	ck_assert_str_eq(r.cause, "line 3 col 1: text outside a record");
	tu_cmlog_get(rd, 3, &r);
	ck_assert_str_eq(r.cause, "line 4 col 77: bad type \"x\"");
	cmlog_reader_close(rd);
}
END_TEST

/* Lone surrogates and an odd last byte do not stop the reader. */
START_TEST(test_foreign_utf16_broken)
{
	const char *path = tu_path("broken.log");
	static const char rec[] = "<![LOG[ab]LOG]!><time=\"1:2:3\" "
	    "date=\"1-2-2026\" component=\"A\" context=\"\" type=\"3\" "
	    "thread=\"1\" file=\"\">\r\n";
	unsigned char buf[1024];
	struct cmlog_reader *rd;
	struct cmlog_record r;
	uint64_t done, total;
	size_t n = 0, i, at;

	buf[n++] = 0xff;
	buf[n++] = 0xfe;
	for (i = 0; rec[i] != '\0'; i++) {
		buf[n++] = (unsigned char)rec[i];
		buf[n++] = 0;
		if (i == 7) {		/* after the 'a': a lone high surrogate */
			buf[n++] = 0x3d;
			buf[n++] = 0xd8;
		}
	}
	at = n;
	memcpy(buf + n, buf + 2, at - 2);	/* the record again, */
	n += at - 2;
	buf[n++] = 0x41;			/* then an odd byte */
	ck_assert_int_eq(tu_write_file(path, (char *)buf, n), 0);
	rd = ropen(path);
	ck_assert_int_eq(cmlog_reader_index(rd, 0), 0);
	ck_assert_uint_eq(cmlog_reader_count(rd), 2);
	cmlog_reader_progress(rd, &done, &total);
	ck_assert_uint_eq(done, n);
	ck_assert_uint_eq(total, n);
	for (i = 0; i < 2; i++) {
		tu_cmlog_get(rd, i, &r);
		ck_assert_int_eq(r.malformed, 0);
		ck_assert_int_eq(r.type, 3);
		ck_assert_uint_eq(r.text_len, 5);
		ck_assert_int_eq(memcmp(r.text, "a\xef\xbf\xbd" "b", 5), 0);
	}
	cmlog_reader_close(rd);
}
END_TEST

/* A UTF-16 log that grows (and one that starts empty) is followed. */
START_TEST(test_foreign_utf16_refresh)
{
	struct cmlog_reader *rd;
	struct cmlog_record r;
	char path[4096], a[4096], b[4096];

	/* tu_path() rotates 4 buffers: keep the names. */
	snprintf(path, sizeof path, "%s", tu_path("grow.log"));
	snprintf(a, sizeof a, "%s", tu_path("a.bin"));
	snprintf(b, sizeof b, "%s", tu_path("b.bin"));

	ck_assert_int_eq(tu_write_file(path, "", 0), 0);
	rd = ropen(path);
	ck_assert_int_eq(cmlog_reader_index(rd, 0), 0);
	ck_assert_uint_eq(cmlog_reader_count(rd), 0);

	/* The first records, with a BOM, then the third cut in half. */
	py_write(a, "<![LOG[one]LOG]!><time=\"1:2:3+000\" "
	    "date=\"1-2-2026\" component=\"A\" context=\"\" type=\"1\" "
	    "thread=\"1\" file=\"\">\n<![LOG[two]LOG]!><time=\"1:2:4+000\" "
	    "date=\"1-2-2026\" component=\"B\" context=\"\" type=\"2\" "
	    "thread=\"2\" file=\"\">\n<![LOG[thr", "utf-16-le", 1, "crlf", 0);
	py_write(b, "ee]LOG]!><time=\"1:2:5+000\" date=\"1-2-2026\" "
	    "component=\"C\" context=\"\" type=\"3\" thread=\"3\" file=\"\">\n",
	    "utf-16-le", 0, "crlf", 1);
	append_refresh(rd, a, path, 3);
	tu_cmlog_get(rd, 1, &r);
	ck_assert_str_eq(r.component, "B");
	ck_assert_int_eq(cmlog_reader_type_at(rd, 2), CMLOG_TYPE_MALFORMED);

	append_refresh(rd, b, path, 3);
	tu_cmlog_good(rd, 2, &r, "three", "C", 3, 3);
	ck_assert_int_eq(r.when, 1767315725);	/* 2026-01-02 01:02:05 UTC */
	tu_cmlog_refreshed(rd, 0, 3);
	cmlog_reader_close(rd);
}
END_TEST

/*
 * A large UTF-16 log shows its first records after transcoding only the
 * first slice: the progress after one slice is a small share of the file.
 */
START_TEST(test_foreign_utf16_slices)
{
	const char *path = tu_path("big.log");
	static const char rec[] =
	    "<![LOG[record %zu \xc3\xa9\xf0\x9f\x98\x80]LOG]!>"
	    "<time=\"1:2:3.4+-60\" date=\"1-2-2026\" component=\"Big\""
	    " context=\"\" type=\"%d\" thread=\"%zu\" file=\"\">\n";
	struct cmlog_reader *rd;
	struct cmlog_record r;
	uint64_t done, total;
	size_t errors = 0, i, len = 0, cap = 40000 * (sizeof rec + 16);
	char *text = malloc(cap);

	/* 40,000 records, one in ten an error, as UTF-16LE with a BOM and
	 * CRLF. */
	ck_assert_ptr_nonnull(text);
	for (i = 0; i < 40000; i++)
		len += (size_t)snprintf(text + len, cap - len, rec, i,
		    i % 10 == 0 ? 3 : 1, i);
	py_write(path, text, "utf-16-le", 1, "crlf", 1);
	free(text);
	rd = ropen(path);
	ck_assert_int_eq(cmlog_reader_index(rd, 1u << 20), 1);
	cmlog_reader_progress(rd, &done, &total);
	ck_assert_uint_gt(done, 0);
	ck_assert_uint_lt(done, total / 2);
	ck_assert_uint_gt(cmlog_reader_count(rd), 1000);
	tu_cmlog_get(rd, 0, &r);
	ck_assert_int_eq(r.malformed, 0);
	ck_assert_uint_eq(r.thread, 0);
	while (cmlog_reader_index(rd, 1u << 20) == 1)
		;
	cmlog_reader_progress(rd, &done, &total);
	ck_assert_uint_eq(done, total);
	ck_assert_uint_eq(cmlog_reader_count(rd), 40000);
	for (i = 0; i < 40000; i++)
		errors += cmlog_reader_type_at(rd, i) == 3;
	ck_assert_uint_eq(errors, 4000);
	tu_cmlog_get(rd, 39999, &r);
	ck_assert_int_eq(r.malformed, 0);
	ck_assert_uint_eq(r.thread, 39999);
	ck_assert_uint_eq(r.line, 40000);
	ck_assert_int_eq(r.tz_bias, -60);
	ck_assert_uint_eq(r.text_len, strlen("record 39999 \xc3\xa9\xf0\x9f\x98\x80"));
	ck_assert_int_eq(memcmp(r.text, "record 39999 \xc3\xa9\xf0\x9f\x98\x80",
	    r.text_len), 0);
	cmlog_reader_close(rd);
}
END_TEST

Suite *
cmlogforeign_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("foreign", tu_dir_fixture),
		TU_LOOP(test_foreign_corpus, NVARIANTS),
		TU_TEST(test_foreign_iconv_count),
		TU_TEST(test_foreign_malformed_utf16),
		TU_TEST(test_foreign_utf16_broken),
		TU_TEST(test_foreign_utf16_refresh),
		TU_TEST(test_foreign_utf16_slices),
		{ 0 }
	};

	return tu_suite("cmlogforeign", tests);
}
