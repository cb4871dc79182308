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
#include "testutil.h"

Suite	*logshow_suite(void);

static char *dir;
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
	dir = tu_tmpdir();
	snprintf(logpath, sizeof logpath, "%s/foreign.log", dir);
	ck_assert_int_eq(tu_write_file(logpath, foreign, sizeof foreign - 1),
	    0);
}

static void
teardown(void)
{
	tu_tmpdir_free(dir);
	dir = NULL;
}

static const char *
python(void)
{
	return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" :
	    "python3";
}

/* python3 evaluates expr over the JSON d; it must print True. */
static void
py_check(const char *json, const char *expr)
{
	char in[4096], py[4096], *prog = NULL, *out = NULL, *err = NULL;

	snprintf(in, sizeof in, "%s/in.json", dir);
	snprintf(py, sizeof py, "%s/eval.py", dir);
	ck_assert_int_eq(tu_write_file(in, json, strlen(json)), 0);
	if (asprintf(&prog, "import json, sys\nd = json.load(open(sys.argv[1],"
	    " encoding='utf-8'))\nprint(%s)\n", expr) == -1)
		abort();
	ck_assert_int_eq(tu_write_file(py, prog, strlen(prog)), 0);
	free(prog);
	ck_assert_msg(tu_sh(&out, &err, "%s '%s' '%s'", python(), py, in) == 0,
	    "python: %s", err);
	out[strcspn(out, "\n")] = '\0';
	ck_assert_msg(strcmp(out, "True") == 0, "%s: %s", expr, out);
	free(out);
	free(err);
}

/* ehttpctl log show LOG ARGS...; no database is needed. */
static int
show(char **out, char **err, const char *a1, const char *a2, const char *a3,
    const char *a4)
{
	char nodb[4096];

	snprintf(nodb, sizeof nodb, "%s/none.db", dir);
	return tu_ctl(nodb, out, err, "log", "show", logpath, a1, a2, a3, a4,
	    NULL);
}

START_TEST(test_json_foreign)
{
	char *out = NULL, *err = NULL;

	ck_assert_int_eq(show(&out, &err, "--json", NULL, NULL, NULL), 0);
	py_check(out, "len(d) == 6 and"
	    " d[0] == {'line': 1, 'time': '2026-11-24T14:05:12.345Z',"
	    " 'time_str': '14:05:12.345+000', 'date_str': '11-24-2026',"
	    " 'component': 'CompA', 'context': '', 'type': 1, 'type_name':"
	    " 'info', 'thread': 4321, 'file': 'a.c:1', 'text': 'first',"
	    " 'malformed': False}");
	py_check(out, "d[1]['time'] == '2026-01-02T01:02:03.400Z' and"
	    " d[1]['type_name'] == 'warning' and d[1]['thread'] == 0 and"
	    " d[1]['file'] == '' and d[1]['line'] == 2");
	py_check(out, "d[2]['text'] == 'multi\\nline\\ntext' and d[2]['type']"
	    " == 3 and d[2]['time'] == '2026-11-24T14:05:13.000Z'");
	py_check(out, "d[3]['malformed'] and d[3]['text'] == 'junk line here'"
	    " and d[3]['cause'] == 'line 6 col 1: text outside a record' and"
	    " d[3]['time'] is None and d[3]['type_name'] == 'malformed'");
	py_check(out, "d[4]['malformed'] and d[4]['cause'].startswith('line 7"
	    " col ') and d[4]['text'].startswith('<![LOG[bad attrs]')");
	py_check(out, "d[5]['type'] == 0 and d[5]['type_name'] == 'info' and"
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
	ck_assert_ptr_nonnull(strstr(out, "Date/Time (UTC)          Type       "
	    "Component                 Thread    Log Text\n"));
	ck_assert_ptr_nonnull(strstr(out, "2026-11-24 14:05:12.345  info       "
	    "CompA                     4321      first\n"));
	ck_assert_ptr_nonnull(strstr(out, "  error      CompA               "
	    "      7         multi line text\n"));
	ck_assert_ptr_nonnull(strstr(out, "  malformed  -                    "
	    "     -         junk line here  [line 6 col 1: text outside a"
	    " record]\n"));
	ck_assert_ptr_nonnull(strstr(out, "type zero \\xff invalid\n"));
	ck_assert_ptr_null(strstr(out, "\xff"));
	ck_assert_ptr_null(strstr(out, "\r"));
	free(out);
	free(err);
}
END_TEST

static const struct {
	const char	*opt, *val;
	int		 n;
} filters[] = {
	{ "--type", "info", 2 },	/* type 1 and type 0 */
	{ "--type", "warning", 1 },
	{ "--type", "error", 1 },
	{ "--type", "malformed", 2 },
	{ "--component", "compa", 2 },	/* any case; not the bad record */
	{ "--component", "Foreign", 1 },
	{ "--component", "OMP", 3 },	/* CompA twice, CompB: a part */
	{ "--grep", "MULTI LINE", 1 },	/* line breaks read as spaces */
	{ "--grep", "line", 2 },	/* junk lines are searched too */
	{ "--grep", "nothing like this", 0 },
};

START_TEST(test_filters)
{
	char *out = NULL, *err = NULL, expr[64];

	ck_assert_int_eq(show(&out, &err, filters[_i].opt, filters[_i].val,
	    "--json", NULL), 0);
	snprintf(expr, sizeof expr, "len(d) == %d", filters[_i].n);
	py_check(out, expr);
	free(out);
	free(err);
	ck_assert_int_eq(show(&out, &err, filters[_i].opt, filters[_i].val,
	    NULL, NULL), 0);
	ck_assert_int_eq(tu_count(out, "\n"), filters[_i].n + 1);
	free(out);
	free(err);
}
END_TEST

START_TEST(test_filters_combined)
{
	char *out = NULL, *err = NULL;

	ck_assert_int_eq(show(&out, &err, "--component", "CompA", "--type",
	    "error"), 0);
	ck_assert_int_eq(tu_count(out, "\n"), 2);
	ck_assert_ptr_nonnull(strstr(out, "multi line text"));
	free(out);
	free(err);
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

	snprintf(nodb, sizeof nodb, "%s/none.db", dir);
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
	py_check(out, expr);
	ck_assert_str_eq(err, "");
	free(out);
	free(err);
	ck_assert_int_eq(show(&out, &err, "--type", "error", NULL, NULL), 0);
	ck_assert_int_eq(tu_count(out, "\n"), N / 3 + 1);
	free(out);
	free(err);
}
END_TEST

Suite *
logshow_suite(void)
{
	Suite *s = suite_create("logshow");
	TCase *tc = tcase_create("log show");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_json_foreign);
	tcase_add_test(tc, test_text_foreign);
	tcase_add_loop_test(tc, test_filters, 0,
	    (int)(sizeof filters / sizeof filters[0]));
	tcase_add_test(tc, test_filters_combined);
	tcase_add_test(tc, test_filter_warns_malformed);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_large_log);
	suite_add_tcase(s, tc);
	return s;
}
