/*
 * ehttpctl's JSON layer (backend/ctl/cli-json.c, on jansson): the form it
 * writes (unsafe characters escaped, invalid UTF-8 kept as U+FFFD, never
 * a value dropped), read back by python3; its strict reader; and the
 * reader on what ehttpctl writes, checked against the sqlite3 CLI.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "testutil.h"

/* What cj_print writes for v. */
static char *
printed(json_t *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	cj_print(f, v);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

/* Every class of character: quote, backslash, slash, C0 (with the two
 * jansson writes as \b and \f), ESC, DEL, C1, bidi, line separator,
 * invalid bytes (a lone 0xff, a truncated sequence), a real U+FFFD,
 * printable UTF-8 (2 and 4 bytes), tab, CR, LF. */
static const char poison[] = "q\"\\/\001\b\f\033\177\302\205\342\200\256"
    "\342\200\250\377\303(\357\277\275\303\234\360\237\230\200\t\r\n";

START_TEST(writer_form)
{
	char *out, *py;

	out = printed(json_pack("{s:o,s:o,s:I,s:b,s:o,s:o,s:o,s:[oo]}",
	    "t", cj_str(poison), "nul", cj_strn("a\0b", 3),
	    "n", (json_int_t)-42, "b", 1, "never", cj_time(0),
	    "day", cj_time(86400), "null", cj_str(NULL),
	    "list", cj_str("x"), cj_str("")));
	/* Byte for byte the form the hand-written writer had. */
	ck_assert_str_eq(out, "{\"t\":\"q\\\"\\\\/\\u0001\\u0008\\u000c"
	    "\\u001b\\u007f\\u0085\\u202e\\u2028\\ufffd\\ufffd(\\ufffd"
	    "\303\234\360\237\230\200\\t\\r\\n\",\"nul\":\"a\\u0000b\","
	    "\"n\":-42,\"b\":true,\"never\":null,"
	    "\"day\":\"1970-01-02T00:00:00Z\",\"null\":\"\","
	    "\"list\":[\"x\",\"\"]}\n");
	/* An independent parser reads the same text (invalid bytes as
	 * U+FFFD, nothing lost around them). */
	py = tu_py_json(out, "ascii(d[\"t\"])");
	ck_assert_str_eq(py, "'q\"\\\\/\\x01\\x08\\x0c\\x1b\\x7f\\x85\\u202e"
	    "\\u2028\\ufffd\\ufffd(\\ufffd\\xdc\\U0001f600\\t\\r\\n'");
	free(py);
	py = tu_py_json(out, "ascii([d[k] for k in d if k != \"t\"])");
	ck_assert_str_eq(py, "['a\\x00b', -42, True, None,"
	    " '1970-01-02T00:00:00Z', '', ['x', '']]");
	free(py);
	free(out);
}
END_TEST

/* A streamed array: the same glue for empty, one and many elements. */
START_TEST(array_glue)
{
	static const char head[] = "[]\n[{\"n\":1}]\n[{\"n\":0,\"s\":\"x\"},"
	    "{\"n\":1,";
	char *buf = NULL;
	size_t len = 0;
	struct cj_array a;
	FILE *f = open_memstream(&buf, &len);

	cj_array_open(&a, f);
	cj_array_close(&a);
	cj_array_open(&a, f);
	cj_array_add(&a, json_pack("{s:i}", "n", 1));
	cj_array_close(&a);
	cj_array_open(&a, f);
	for (int i = 0; i < 3000; i++)
		cj_array_add(&a, json_pack("{s:i,s:o}", "n", i,
		    "s", cj_str(i == 2999 ? poison : "x")));
	cj_array_close(&a);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(strncmp(buf, head, sizeof head - 1), 0);
	ck_assert_int_eq(tu_count(buf, "\n"), 3);
	ck_assert_int_eq(tu_count(buf, "},{"), 2999);
	free(buf);
}
END_TEST

static const struct tu_verdict loads[] = {
	{ "{\"a\":[1,{\"b\":\"\\u00dc\"}],\"c\":null}", NULL },
	{ " [ ] \n", NULL },
	{ "{\"a\":1,\"a\":2}", "line 1, column 10: duplicate object key" },
	{ "[1] x", "line 1, column 5: end of file expected" },
	{ "[\"\377\"]", "line 1, column" },
	{ "{\"a\":\n", "line 2, column 0: " },
	{ "", "line 1, column 0: " },
	{ "[\"\\ud800\"]", "line 1, column" },
};

START_TEST(reader_strict)
{
	const char *doc = loads[_i].in;
	char *cause = NULL;
	json_t *v = cj_load(doc, strlen(doc), &cause);

	if (loads[_i].why == NULL) {
		ck_assert_msg(v != NULL, "%s: %s", doc, cause);
		ck_assert_ptr_null(cause);
		json_decref(v);
		return;
	}
	ck_assert_msg(v == NULL, "accepted: %s", doc);
	ck_assert_ptr_nonnull(cause);
	ck_assert_msg(strncmp(cause, loads[_i].why,
	    strlen(loads[_i].why)) == 0, "%s: %s", doc, cause);
	free(cause);
}
END_TEST

START_TEST(reader_typed)
{
	static const char doc[] = "{\"a\":[7,{\"b\":\"\\u00dc\"}],\"c\":null}";
	char *cause = NULL;
	const char *b;
	json_int_t a;
	json_error_t e;
	json_t *v = cj_load(doc, strlen(doc), &cause);

	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(json_unpack_ex(v, &e, JSON_STRICT, "{s:[I{s:s}],s:n}",
	    "a", &a, "b", &b, "c"), 0);
	ck_assert_int_eq(a, 7);
	ck_assert_str_eq(b, "\303\234");
	/* JSON_STRICT: a key nobody reads is an error, not ignored. */
	ck_assert_int_eq(json_unpack_ex(v, &e, JSON_STRICT, "{s:[I{s:s}]}",
	    "a", &a, "b", &b), -1);
	json_decref(v);
}
END_TEST

/* Rows the sqlite3 CLI shows, one "id|thumbprint" a line. */
static char *
sql(const char *q)
{
	char *out = NULL;

	ck_assert_int_eq(tu_sh(&out, NULL, "sqlite3 '%s' \"%s\"", tu_db, q), 0);
	return out;
}

/* ehttpctl --json ARGS read back by cj_load_file. */
static json_t *
ctl_json(const char *a1, const char *a2, const char *a3)
{
	char path[4096], *out = NULL, *err = NULL, *cause = NULL;
	json_t *v;

	ck_assert_int_eq(tu_ctl(tu_db, &out, &err, "--json", a1, a2, a3, NULL), 0);
	snprintf(path, sizeof path, "%s/out.json", tu_dir);
	ck_assert_int_eq(tu_write_file(path, out, strlen(out)), 0);
	v = cj_load_file(path, &cause);
	ck_assert_msg(v != NULL, "%s\n%s", cause, out);
	free(out);
	free(err);
	return v;
}

/* What ehttpctl writes, read with the JSON layer's reader, holds what the
 * database holds: every certificate, and untrusted names whole. */
START_TEST(ctl_roundtrip)
{
	char *rows, line[256], *got = NULL, *sorted = NULL;
	size_t ngot = 0, i;
	json_t *v, *e;
	FILE *f;

	/* A site name with invalid UTF-8 and controls, as a foreign tool
	 * could leave it. */
	free(sql("UPDATE site SET name = CAST(X'45761b5bff2e0a7a' AS TEXT)"
	    " WHERE code = 'P01'"));
	v = ctl_json("site", "show", "P01");
	ck_assert_str_eq(json_string_value(json_object_get(v, "name")),
	    "Ev\033[\357\277\275.\nz");
	ck_assert_int_eq(json_integer_value(json_object_get(v,
	    "iisssl_state")), 224);
	json_decref(v);

	ck_assert_int_eq(tu_ctl(tu_db, NULL, NULL, "site", "set", "P01",
	    "--enhanced-http", "on", NULL), 0);
	v = ctl_json("cert", "list", NULL);
	rows = sql("SELECT id || '|' || thumbprint FROM cert"
	    " WHERE state != 'pending' ORDER BY id");
	f = open_memstream(&got, &ngot);
	ck_assert(json_is_array(v));
	ck_assert_int_gt(json_array_size(v), 3);
	json_array_foreach(v, i, e) {
		json_int_t id;
		const char *tp;

		ck_assert_int_eq(json_unpack(e, "{s:I,s:s}", "id", &id,
		    "thumbprint", &tp), 0);
		snprintf(line, sizeof line, "%lld|%s\n", (long long)id, tp);
		fputs(line, f);
	}
	fclose(f);
	/* Sorted the same way as the database rows. */
	ck_assert_int_eq(tu_sh(&sorted, NULL, "printf '%%s' '%s' | sort -n"
	    " -t'|' -k1,1", got), 0);
	ck_assert_str_eq(sorted, rows);
	free(sorted);
	free(got);
	free(rows);
	json_decref(v);
}
END_TEST

Suite *
json_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("json", tu_demo_fixture),
		TU_TEST(writer_form),
		TU_TEST(array_glue),
		TU_EACH(reader_strict, loads),
		TU_TEST(reader_typed),
		TU_TEST(ctl_roundtrip),
		{ 0 }
	};

	return tu_suite("json", tests);
}
