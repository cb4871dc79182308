/*
 * The build itself: the README's first run on a machine without the build
 * libraries (scripts/first-run-test.sh hides them from pkg-config until its
 * stand-in apt-get has run). Once per `make test`: the sanitizer pass
 * builds the same Makefile again and would prove nothing new.
 */
#include <stdlib.h>
#include <string.h>
#include <check.h>

#include "testutil.h"

#if !defined(__SANITIZE_ADDRESS__)
START_TEST(first_run_without_libraries)
{
	char *out = NULL, *err = NULL;
	int rc;

	rc = tu_sh(&out, &err, "sh '%s/scripts/first-run-test.sh' '%s'",
	    EHTTP_SRCDIR, EHTTP_SRCDIR);
	ck_assert_msg(rc == 0, "first run failed (%d): %s%s", rc,
	    out ? out : "", err ? err : "");
	ck_assert_ptr_nonnull(strstr(out, "first run: ok"));
	free(out);
	free(err);
}
END_TEST
#endif

Suite *build_suite(void);

Suite *
build_suite(void)
{
	Suite *s = suite_create("build");
	TCase *tc = tcase_create("first-run");

#if !defined(__SANITIZE_ADDRESS__)
	tcase_add_test(tc, first_run_without_libraries);
#endif
	tcase_set_timeout(tc, 900);
	suite_add_tcase(s, tc);
	return s;
}
