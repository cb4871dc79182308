/* One runner for every suite: tests/check_<m>.c exports <m>_suite(). */
#include <stdio.h>
#include <stdlib.h>
#include <check.h>

#include "testutil.h"

int
main(int argc, char **argv)
{
	SRunner *sr = NULL;
	int failed;

#define SUITE(m)						\
	if (argc < 2 || tu_wants(argc, argv, #m)) {		\
		if (sr == NULL)					\
			sr = srunner_create(m##_suite());	\
		else						\
			srunner_add_suite(sr, m##_suite());	\
	}
#include "suites.h"
#undef SUITE
	if (sr == NULL) {
		fprintf(stderr, "check_all: no such suite (the suites are the"
		    " names of tests/check_*.c)\n");
		return 2;
	}
	/* CK_VERBOSITY=verbose lists every check; normal by default. */
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
