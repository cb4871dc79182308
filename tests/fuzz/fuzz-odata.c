/*
 * libFuzzer target: the administration service's query language
 * (backend/admin/odata.c), what any caller with a token sends: the bytes
 * as a $filter over a class's properties, and as a whole query string.
 *
 * Checked beyond "no crash": a refusal names a position inside the text
 * (1 to its length + 1) and is one printable line; an accepted filter
 * evaluates to 0 or 1 on rows of every kind (nulls included); an accepted
 * query's numbers are not negative and its selections are properties; a
 * refused query's option name is still readable after the parse.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "odata.h"

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
	__FILE__, __LINE__, #x); abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct od_prop odata_fuzz_props[] = {
	{ "Name", OD_STRING }, { "ID", OD_INT }, { "IsBlocked", OD_BOOL },
	{ "ValidUntil", OD_TIME }, { "Note", OD_STRING },
};

static void
odata_fuzz_error(const struct od_error *err, size_t len)
{
	const char *p = strstr(err->text, "position ");

	for (const char *c = err->text; *c; c++)
		CHECK(*c != '\n');
	if (err->option != NULL && strcmp(err->option, "$filter") == 0) {
		unsigned long at;

		CHECK(p != NULL);
		at = strtoul(p + 9, NULL, 10);
		CHECK(at >= 1 && at <= len + 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct od_val rows[][5] = {
		{ { OD_STRING, 0, "dp1.P01" }, { OD_INT, 7, NULL },
		  { OD_BOOL, 1, NULL }, { OD_TIME, 1798761600000, NULL },
		  { OD_NULL, 0, NULL } },
		{ { OD_STRING, 0, "" }, { OD_INT, INT64_MIN, NULL },
		  { OD_BOOL, 0, NULL }, { OD_TIME, 0, NULL },
		  { OD_STRING, 0, "'\x01\xff" } },
		{ { OD_NULL, 0, NULL }, { OD_NULL, 0, NULL },
		  { OD_NULL, 0, NULL }, { OD_NULL, 0, NULL },
		  { OD_NULL, 0, NULL } },
	};
	char *text = malloc(size + 1);
	struct od_node *n;
	struct od_error err;
	struct od_query q;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&err, 0, sizeof err);
	if (od_filter_parse(text, odata_fuzz_props, 5, &n, &err) == 0) {
		CHECK(n != NULL);
		for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
			int v = od_filter_eval(n, rows[i]);

			CHECK(v == 0 || v == 1);
		}
		od_filter_free(n);
	} else {
		CHECK(n == NULL);
		odata_fuzz_error(&err, strlen(text));
	}
	if (od_query_parse(text, odata_fuzz_props, 5, &q, &err) == 0) {
		CHECK(q.top >= -1 && q.skip >= 0);
		for (size_t i = 0; i < q.nselect; i++)
			CHECK(q.select[i] < 5);
		for (size_t i = 0; i < q.norder; i++)
			CHECK(q.order[i].prop < 5);
		od_query_free(&q);
	} else {
		for (const char *c = err.text; *c; c++)
			CHECK(*c != '\n');
		/* The option named lives on (a static string), never the
		 * request's own bytes, freed by then. */
		CHECK(err.option == NULL || err.option[0] == '$');
	}
	free(text);
	return 0;
}
