/*
 * ehttpctl log show: any CMTrace log, including foreign ones, printed as
 * text and as JSON (parsed back by python3), filters, malformed records
 * shown (never dropped), a log larger than one indexing slice.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmlog.h"
#include "errlookup.h"
#include "testutil.h"

static char logpath[4096];

/* Tolerant forms, a BOM and CRLF, a multi-line text, junk, a bad record,
 * type 0 and an invalid UTF-8 byte. */
static const char foreign[] =
    "\xef\xbb\xbf<![LOG[first]LOG]!><time=\"14:05:12.345+000\""
    " date=\"11-24-2026\" component=\"CompA\" context=\"\" type=\"1\""
    " thread=\"4321\" file=\"a.c:1\">\r\n"
    "<![LOG[warn text]LOG]!><time=\"1:2:3.4\" date=\"1-2-2026\"  component="
    "\"CompB\"   context=\"\" type=\"2\" thread=\"\" >\n"
    "<![LOG[multi\nline\ntext]LOG]!><time=\"14:05:13.000-060\""
    " date=\"11-24-2026\" component=\"CompA\" context=\"\" type=\"3\""
    " thread=\"7\" file=\"\">\n"
    "junk line here\n"
    "<![LOG[bad attrs]LOG]!><time=\"xx\" date=\"11-24-2026\" component="
    "\"CompA\" context=\"\" type=\"1\" thread=\"1\" file=\"\">\n"
    "<![LOG[type zero \xff invalid]LOG]!><time=\"14:05:14.000+000\""
    " date=\"11-24-2026\" component=\"Foreign\" context=\"\" type=\"0\""
    " thread=\"9\" file=\"f.c:9\">\n";

static void
setup(void)
{
	tu_dir_setup();
	snprintf(logpath, sizeof logpath, "%s/foreign.log", tu_dir);
	ck_assert_int_eq(tu_write_file(logpath, foreign, sizeof foreign - 1),
	    0);
}

static const struct tu_fixture log_show_fixture = { 60,
	.setup = setup, .teardown = tu_dir_teardown };

/* ehttpctl log show LOG ARGS...; no database is needed. */
static int
show(char **out, char **err, const char *a1, const char *a2, const char *a3,
    const char *a4)
{
	char nodb[4096];

	snprintf(nodb, sizeof nodb, "%s/none.db", tu_dir);
	return tu_ctl(nodb, out, err, "log", "show", logpath, a1, a2, a3, a4,
	    NULL);
}

START_TEST(test_json_foreign)
{
	char *out = NULL, *err = NULL;

	ck_assert_int_eq(show(&out, &err, "--json", NULL, NULL, NULL), 0);
	tu_py_check(out, "len(d) == 6 and"
	    " d[0] == {'line': 1, 'time': '2026-11-24T14:05:12.345Z',"
	    " 'time_str': '14:05:12.345+000', 'date_str': '11-24-2026',"
	    " 'component': 'CompA', 'context': '', 'type': 1, 'type_name':"
	    " 'info', 'thread': 4321, 'thread_str': '4321', 'file': 'a.c:1',"
	    " 'text': 'first',"
	    " 'malformed': False}");
	/* No offset: a local time, no "Z"; -060 is the bias: UTC = local
	 * + bias, one hour earlier. */
	tu_py_check(out, "d[1]['time'] == '2026-01-02T01:02:03.400' and"
	    " d[1]['type_name'] == 'warning' and d[1]['thread'] == 0 and"
	    " d[1]['file'] == '' and d[1]['line'] == 2");
	tu_py_check(out, "d[2]['text'] == 'multi\\nline\\ntext' and d[2]['type']"
	    " == 3 and d[2]['time'] == '2026-11-24T13:05:13.000Z'");
	tu_py_check(out, "d[3]['malformed'] and d[3]['text'] == 'junk line here'"
	    " and d[3]['cause'] == 'line 6 col 1: text outside a record' and"
	    " d[3]['time'] is None and d[3]['type_name'] == 'malformed'");
	tu_py_check(out, "d[4]['malformed'] and d[4]['cause'].startswith('line 7"
	    " col ') and d[4]['text'].startswith('<![LOG[bad attrs]')");
	tu_py_check(out, "d[5]['type'] == 0 and d[5]['type_name'] == 'info' and"
	    " d[5]['text'] == 'type zero \\ufffd invalid' and d[5]['line'] == 8");
	ck_assert_ptr_nonnull(strstr(err, "2 malformed records"));
	ck_assert_ptr_nonnull(strstr(err, "line 6 col 1: text outside a"
	    " record"));
	free(out);
	free(err);
}
END_TEST

START_TEST(test_text_foreign)
{
	char *out = NULL, *err = NULL;

	ck_assert_int_eq(show(&out, &err, NULL, NULL, NULL, NULL), 0);
	ck_assert_int_eq(tu_count(out, "\n"), 7);
	ck_assert_ptr_nonnull(strstr(out, "Date/Time (UTC)                Type       "
	    "Component                 Thread    Log Text\n"));
	ck_assert_ptr_nonnull(strstr(out, "2026-11-24 14:05:12.345        info       "
	    "CompA                     4321      first\n"));
	/* Written without an offset: as written, marked local, and the
	 * columns after it where every other row has them. */
	ck_assert_ptr_nonnull(strstr(out, "\n2026-01-02 01:02:03.400 local  "
	    "warning    CompB                     0         warn text\n"));
	ck_assert_ptr_nonnull(strstr(out, "  error      CompA               "
	    "      7         multi line text\n"));
	ck_assert_ptr_nonnull(strstr(out, "\n-                              "
	    "malformed  -                         -         junk line here  "
	    "[line 6 col 1: text outside a record]\n"));
	for (const char *l = out; *l != '\0'; l = strchr(l, '\n') + 1) {
		ck_assert_msg(strlen(l) > 31 && l[29] == ' ' && l[30] == ' ' &&
		    l[31] != ' ', "the Type column starts at 31: %.60s", l);
		if (strchr(l, '\n') == NULL)
			break;
	}
	ck_assert_ptr_nonnull(strstr(out, "type zero \\xff invalid\n"));
	ck_assert_ptr_null(strstr(out, "\xff"));
	ck_assert_ptr_null(strstr(out, "\r"));
	free(out);
	free(err);
}
END_TEST

static const struct {
	const char	*args;		/* the filter, as sh reads it */
	int		 n;		/* the records it keeps */
	const char	*has;		/* in the text shown, or NULL */
} filters[] = {
	{ "--type info", 2, NULL },		/* type 1 and type 0 */
	{ "--type warning", 1, NULL },
	{ "--type error", 1, NULL },
	{ "--type malformed", 2, NULL },
	{ "--component compa", 2, NULL },	/* any case; not the bad record */
	{ "--component Foreign", 1, NULL },
	{ "--component OMP", 3, NULL },	/* CompA twice, CompB: a part */
	{ "--grep 'MULTI LINE'", 1, NULL },	/* line breaks read as spaces */
	{ "--grep line", 2, NULL },		/* junk lines are searched too */
	{ "--grep 'nothing like this'", 0, NULL },
	{ "--component CompA --type error", 1, "multi line text" },
};

/* log show of the test's log with args (as sh reads them), asserted to
 * exit 0: its standard output. */
static char *
shown(const char *args)
{
	return tu_sh_ok("'%s' --db '%s/none.db' log show '%s' %s",
	    tu_bin("ehttpctl"), tu_dir, logpath, args);
}

START_TEST(test_filters)
{
	char *out, args[128], expr[64];

	snprintf(args, sizeof args, "%s --json", filters[_i].args);
	out = shown(args);
	snprintf(expr, sizeof expr, "len(d) == %d", filters[_i].n);
	tu_py_check(out, expr);
	free(out);
	out = shown(filters[_i].args);
	ck_assert_int_eq(tu_count(out, "\n"), filters[_i].n + 1);
	if (filters[_i].has != NULL)
		ck_assert_ptr_nonnull(strstr(out, filters[_i].has));
	free(out);
}
END_TEST

/* --type skips records by the index without parsing them; the malformed
 * ones it leaves out still count in the warning, the first with its cause. */
START_TEST(test_filter_warns_malformed)
{
	char *out = NULL, *err = NULL;

	ck_assert_int_eq(show(&out, &err, "--type", "warning", NULL, NULL), 0);
	ck_assert_int_eq(tu_count(out, "\n"), 2);
	ck_assert_ptr_null(strstr(out, "malformed"));
	ck_assert_ptr_nonnull(strstr(err, ": 2 malformed records (shown as type"
	    " malformed); the first at line 6 col 1: text outside a record"));
	free(out);
	free(err);
}
END_TEST

START_TEST(test_errors)
{
	char *out = NULL, *err = NULL, nodb[4096];

	snprintf(nodb, sizeof nodb, "%s/none.db", tu_dir);
	ck_assert_int_eq(show(&out, &err, "--type", "verbose", NULL, NULL), 2);
	ck_assert_ptr_nonnull(strstr(err, "type 'verbose': must be info,"
	    " warning, error or malformed"));
	free(out);
	free(err);
	ck_assert_int_eq(tu_ctl(nodb, &out, &err, "log", "show", NULL), 2);
	ck_assert_ptr_nonnull(strstr(err, "expected a log FILE"));
	free(out);
	free(err);
	ck_assert_int_eq(tu_ctl(nodb, &out, &err, "log", "show", "/nonexistent/"
	    "x.log", NULL), 1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.log"));
	free(out);
	free(err);
	ck_assert_int_eq(tu_ctl(nodb, &out, &err, "log", "show", "--help",
	    NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "usage: ehttpctl log show FILE"));
	free(out);
	free(err);
	/* An empty log: no records, no complaint. */
	ck_assert_int_eq(tu_write_file(logpath, "", 0), 0);
	ck_assert_int_eq(show(&out, &err, "--json", NULL, NULL, NULL), 0);
	ck_assert_str_eq(out, "[]\n");
	ck_assert_str_eq(err, "");
	free(out);
	free(err);
}
END_TEST

/* More than one 8 MiB indexing slice, written by our writer: every record
 * comes out once, in order. */
START_TEST(test_large_log)
{
	enum { N = 40000 };
	struct cmlog *w;
	char *cause = NULL, *out = NULL, *err = NULL, expr[256], pad[201];

	unlink(logpath);
	ck_assert_ptr_nonnull(w = cmlog_open(logpath, 0, &cause));
	memset(pad, 'x', sizeof pad - 1);
	pad[sizeof pad - 1] = '\0';
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(cmlog_write(w, i % 3 + 1, "BULK", "bulk.c:1",
		    "record %d %s", i, pad), 0);
	cmlog_close(w);
	ck_assert_int_eq(show(&out, &err, "--json", NULL, NULL, NULL), 0);
	snprintf(expr, sizeof expr, "len(d) == %d and all(r['line'] == i + 1"
	    " and r['text'].startswith('record %%d ' %% i) and r['type'] =="
	    " i %% 3 + 1 for i, r in enumerate(d))", N);
	tu_py_check(out, expr);
	ck_assert_str_eq(err, "");
	free(out);
	free(err);
	ck_assert_int_eq(show(&out, &err, "--type", "error", NULL, NULL), 0);
	ck_assert_int_eq(tu_count(out, "\n"), N / 3 + 1);
	free(out);
	free(err);
}
END_TEST

/* A record of component comp at 11-24-2026 hh:mm:ss.ms. */
static void
rec_line(char *buf, size_t len, const char *text, const char *t, int type)
{
	snprintf(buf, len, "<![LOG[%s]LOG]!><time=\"%s+000\" date=\"11-24-2026\""
	    " component=\"C\" context=\"\" type=\"%d\" thread=\"1\""
	    " file=\"\">\n", text, t, type);
}

static void
write_log(const char *name, const char *const *texts, const char *const *times,
    int n, char *path, size_t len)
{
	char all[4096] = "", line[512];

	for (int i = 0; i < n; i++) {
		rec_line(line, sizeof line, texts[i], times[i], i % 3 + 1);
		strncat(all, line, sizeof all - strlen(all) - 1);
	}
	snprintf(path, len, "%s/%s", tu_dir, name);
	ck_assert_int_eq(tu_write_file(path, all, strlen(all)), 0);
}

/* Two logs (the live one and its rolled .lo_) interleaved in time: one
 * timeline in time order, ties in the order of the FILEs, each record
 * tagged; python3 reads the JSON and checks the order itself. */
START_TEST(test_merge)
{
	static const char *const at[] = { "a1", "a2", "a3" };
	static const char *const att[] = { "10:00:01.000", "10:00:03.000",
	    "10:00:05.500" };
	static const char *const bt[] = { "b1", "b2", "b3" };
	static const char *const btt[] = { "10:00:02.000", "10:00:03.000",
	    "10:00:05.250" };
	char a[4096], b[4096], nodb[4096], *out = NULL, *err = NULL;

	write_log("mpcontrol.log", at, att, 3, a, sizeof a);
	write_log("mpcontrol.lo_", bt, btt, 3, b, sizeof b);
	snprintf(nodb, sizeof nodb, "%s/none.db", tu_dir);
	ck_assert_int_eq(tu_ctl(nodb, &out, &err, "log", "show", "--json", a,
	    b, NULL), 0);
	tu_py_check(out, "[r['text'] for r in d] == ['a1', 'b1', 'a2', 'b2',"
	    " 'b3', 'a3']");
	tu_py_check(out, "all(d[i]['time'] <= d[i + 1]['time'] for i in"
	    " range(len(d) - 1))");
	tu_py_check(out, "[r['log'] for r in d] == ['mpcontrol.log',"
	    " 'mpcontrol.lo_', 'mpcontrol.log', 'mpcontrol.lo_',"
	    " 'mpcontrol.lo_', 'mpcontrol.log'] and d[1]['log_path'].endswith("
	    "'/mpcontrol.lo_')");
	/* The log is named first, then the record as for one log. */
	tu_py_check(out, "list(d[0])[:4] == ['log', 'log_path', 'line', 'time']"
	    " and list(d[0])[-3:] == ['file', 'text', 'malformed']");
	free(out);
	free(err);
	/* The other order of FILEs: the tie goes the other way. */
	ck_assert_int_eq(tu_ctl(nodb, &out, &err, "log", "show", "--json", b,
	    a, NULL), 0);
	tu_py_check(out, "[r['text'] for r in d] == ['a1', 'b1', 'b2', 'a2',"
	    " 'b3', 'a3']");
	free(out);
	free(err);
	/* Text: a Log column; the filter applies to the merge. */
	ck_assert_int_eq(tu_ctl(nodb, &out, &err, "log", "show", "--type",
	    "warning,error", a, b, NULL), 0);
	/* The same Date/Time column as one log: UTC (every record here has
	 * its offset; one without would say "local"). */
	ck_assert_ptr_nonnull(strstr(out, "Date/Time (UTC)                Type     "
	    "  Component                 Thread    Log            Log Text\n"));
	ck_assert_ptr_nonnull(strstr(out, "2026-11-24 10:00:03.000        warning  "
	    "  C                         1         mpcontrol.lo_  b2\n"));
	ck_assert_ptr_nonnull(strstr(out, "  mpcontrol.lo_  b2\n"));
	ck_assert_int_eq(tu_count(out, "\n"), 5);
	ck_assert_ptr_null(strstr(out, " local"));
	free(out);
	free(err);
}
END_TEST

/* Logs written in other zones merge on the converted time: 03:00:02.5
 * written with bias +420 (UTC = local + 420 min) is 10:00:02.5 UTC, so
 * it goes between 10:00:02 and 10:00:03 written at +000, although its
 * time as written is the earliest. */
START_TEST(test_merge_zones)
{
	static const char other[] =
	    "<![LOG[z1]LOG]!><time=\"03:00:02.500+420\" date=\"11-24-2026\""
	    " component=\"Z\" context=\"\" type=\"1\" thread=\"2\" file=\"\">\n"
	    "<![LOG[z2]LOG]!><time=\"11:00:04.000+-60\" date=\"11-24-2026\""
	    " component=\"Z\" context=\"\" type=\"1\" thread=\"2\" file=\"\">\n";
	static const char *const at[] = { "a1", "a2", "a3" };
	static const char *const att[] = { "10:00:01.000", "10:00:03.000",
	    "10:00:05.500" };
	char a[4096], z[4096], nodb[4096], *out = NULL, *err = NULL;

	write_log("mpcontrol.log", at, att, 3, a, sizeof a);
	snprintf(z, sizeof z, "%s/script.log", tu_dir);
	ck_assert_int_eq(tu_write_file(z, other, sizeof other - 1), 0);
	snprintf(nodb, sizeof nodb, "%s/none.db", tu_dir);
	ck_assert_int_eq(tu_ctl(nodb, &out, &err, "log", "show", "--json", a,
	    z, NULL), 0);
	tu_py_check(out, "[r['text'] for r in d] == ['a1', 'z1', 'a2', 'z2',"
	    " 'a3'] and d[1]['time'] == '2026-11-24T10:00:02.500Z' and"
	    " d[3]['time'] == '2026-11-24T10:00:04.000Z'");
	free(out);
	free(err);
}
END_TEST

/* A thread that is not a number is shown as written: JSON thread_str and
 * the Thread column (escaped: it is log text). */
START_TEST(test_thread_as_written)
{
	static const char log[] =
	    "<![LOG[scripted]LOG]!><time=\"10:00:01.000+000\" date=\"11-24-2026\""
	    " component=\"S\" context=\"\" type=\"1\" thread=\"Main\x1b[2J\""
	    " file=\"\">\n";
	char path[4096], nodb[4096], *out = NULL, *err = NULL;

	snprintf(path, sizeof path, "%s/script.log", tu_dir);
	snprintf(nodb, sizeof nodb, "%s/none.db", tu_dir);
	ck_assert_int_eq(tu_write_file(path, log, sizeof log - 1), 0);
	ck_assert_int_eq(tu_ctl(nodb, &out, &err, "log", "show", "--json", path,
	    NULL), 0);
	tu_py_check(out, "d[0]['thread'] == 0 and d[0]['thread_str'] =="
	    " 'Main\\x1b[2J'");
	free(out);
	free(err);
	ck_assert_int_eq(tu_ctl(nodb, &out, &err, "log", "show", path, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "  S                         "
	    "Main\\x1b[2J  scripted\n"));
	ck_assert_ptr_null(strchr(out, 0x1b));
	free(out);
	free(err);
}
END_TEST

/* Bad sets of FILEs: each refused with a message naming the file. */
START_TEST(test_merge_errors)
{
	char nodb[4096], missing[4096], *out = NULL, *err = NULL;
	char *argv200 = NULL;

	snprintf(nodb, sizeof nodb, "%s/none.db", tu_dir);
	snprintf(missing, sizeof missing, "%s/gone.log", tu_dir);
	ck_assert_int_eq(tu_ctl(nodb, &out, &err, "log", "show", logpath,
	    missing, NULL), 1);
	ck_assert_ptr_nonnull(strstr(err, "gone.log"));
	ck_assert_str_eq(out, "");
	free(out);
	free(err);
	ck_assert_int_eq(tu_ctl(nodb, &out, &err, "log", "show", logpath,
	    tu_dir, NULL), 1);
	ck_assert_ptr_nonnull(strstr(err, ": is a folder, not a log"));
	free(out);
	free(err);
	ck_assert_int_eq(tu_ctl(nodb, &out, &err, "log", "show", logpath,
	    logpath, NULL), 1);
	ck_assert_ptr_nonnull(strstr(err, ": given twice"));
	free(out);
	free(err);
	/* 200 FILEs: more than one merge takes. */
	for (int i = 0; i < 200; i++) {
		char *next = NULL;

		if (asprintf(&next, "%s '%s'", argv200 ? argv200 : "",
		    logpath) == -1)
			abort();
		free(argv200);
		argv200 = next;
	}
	ck_assert_int_eq(tu_sh(&out, &err, "%s --db '%s' log show %s",
	    tu_bin("ehttpctl"), nodb, argv200), 1);
	ck_assert_ptr_nonnull(strstr(err, "200 logs given: merge 1 to 100 at"
	    " a time"));
	free(argv200);
	free(out);
	free(err);
}
END_TEST

/* Error Lookup against the documented values: WinHTTP's Error Messages
 * page (12175 ERROR_WINHTTP_SECURE_FAILURE), the HRESULT layout (severity
 * bit 31, facility bits 16-26, FACILITY_WIN32 = 7), Common HRESULT Values
 * (E_FAIL = 0x80004005). */
START_TEST(test_lookup)
{
	char nodb[4096], *out = NULL, *err = NULL;

	snprintf(nodb, sizeof nodb, "%s/none.db", tu_dir);
	ck_assert_int_eq(tu_ctl(nodb, &out, &err, "log", "lookup", "--json",
	    "0x80072f8f", "12175", "80004005", "--", "-2147012721", NULL), 0);
	tu_py_check(out, "d[0]['kind'] == 'hresult' and d[0]['value'] =="
	    " 0x80072F8F and d[0]['severity'] == 1 and d[0]['facility'] == 7"
	    " and d[0]['facility_name'] == 'FACILITY_WIN32' and d[0]['code'] =="
	    " 12175 and d[0]['name'] == 'ERROR_WINHTTP_SECURE_FAILURE'");
	tu_py_check(out, "d[1]['kind'] == 'win32' and d[1]['value'] == 12175 and"
	    " d[1]['name'] == 'ERROR_WINHTTP_SECURE_FAILURE' and"
	    " 'Winhttp.h' in d[1]['source']");
	tu_py_check(out, "d[2]['name'] == 'E_FAIL' and d[2]['value'] =="
	    " 0x80004005 and d[2]['facility'] == 0");
	tu_py_check(out, "d[3]['value'] == 0x80072F8F and d[3]['name'] =="
	    " d[0]['name']");
	tu_py_check(out, "all(((r['value'] >> 16) & 0x7ff) == r['facility'] and"
	    " (r['value'] & 0xffff) == r['code'] for r in d if r['kind'] =="
	    " 'hresult')");
	free(out);
	free(err);
	/* A negative decimal without "--" is a code, in its place. */
	ck_assert_int_eq(tu_ctl(nodb, &out, &err, "log", "lookup", "12175",
	    "-2147012721", "--json", "0x80004005", NULL), 0);
	tu_py_check(out, "[r['input'] for r in d] == ['12175', '-2147012721',"
	    " '0x80004005'] and d[1]['value'] == 0x80072F8F");
	free(out);
	free(err);
	ck_assert_int_eq(tu_ctl(nodb, &out, &err, "log", "lookup", "-x", NULL),
	    2);
	ck_assert_ptr_nonnull(strstr(err, "unknown or incomplete option '-x'"));
	free(out);
	free(err);
	ck_assert_int_eq(tu_ctl(nodb, &out, &err, "log", "lookup", "0x87d01106",
	    NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "facility 2000 (0x7D0) Configuration"
	    " Manager, code 4358 (0x1106)"));
	ck_assert_ptr_nonnull(strstr(out, "(-2016407290)"));
	free(out);
	free(err);
	/* The console's key scans a record's text with the same table. */
	{
		static const char t[] = "Call to HttpSendRequestSync failed for"
		    " port 443: 0x80072f8f (12175), status code 405; 12175";
		struct errlookup e[8];

		ck_assert_uint_eq(errlookup_scan(t, sizeof t - 1, e, 8), 3);
		ck_assert_uint_eq(e[0].value, 0x80072F8F);
		ck_assert_str_eq(e[0].name, "ERROR_WINHTTP_SECURE_FAILURE");
		ck_assert_int_eq(e[1].kind, ERRLOOKUP_WIN32);
		ck_assert_uint_eq(e[1].value, 12175);
		ck_assert_int_eq(e[2].kind, ERRLOOKUP_HTTP);
		ck_assert_str_eq(e[2].name, "Method Not Allowed");
	}
	/* The DP's form of an HTTP status. */
	{
		static const char t[] = "GetDirectoryList_HTTP Error sending"
		    " DAV request. HTTP code 405";
		struct errlookup e[4];

		ck_assert_uint_eq(errlookup_scan(t, sizeof t - 1, e, 4), 1);
		ck_assert_int_eq(e[0].kind, ERRLOOKUP_HTTP);
		ck_assert_uint_eq(e[0].value, 405);
		ck_assert_str_eq(e[0].source, "RFC 9110, section 15");
	}
	ck_assert_int_eq(tu_ctl(nodb, &out, &err, "log", "lookup", "port443",
	    NULL), 2);
	ck_assert_ptr_nonnull(strstr(err, "'port443' is not an error code"));
	free(out);
	free(err);
}
END_TEST

Suite *
logshow_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("log show", log_show_fixture),
		TU_TEST(test_json_foreign),
		TU_TEST(test_text_foreign),
		TU_EACH(test_filters, filters),
		TU_TEST(test_filter_warns_malformed),
		TU_TEST(test_errors),
		TU_TEST(test_large_log),
		TU_TEST(test_merge),
		TU_TEST(test_merge_errors),
		TU_TEST(test_thread_as_written),
		TU_TEST(test_merge_zones),
		TU_TEST(test_lookup),
		{ 0 }
	};

	return tu_suite("logshow", tests);
}
