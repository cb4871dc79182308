/*
 * bench-log: the CMTrace reader at scale.
 *   bench-log gen FILE N     write N records (about 200 bytes each, 1 in 20
 *                            an error, 1 in 10 a warning) with the writer
 *   bench-log index FILE     open, index everything, print the record count
 *   bench-log errors FILE    index and count the error records (type 3)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmlog.h"

int
main(int argc, char **argv)
{
	struct cmlog_reader *r;
	char *cause = NULL;
	size_t n, errors = 0;

	if (argc == 4 && strcmp(argv[1], "gen") == 0) {
		struct cmlog *w = cmlog_open(argv[2], 0, &cause);
		long count = atol(argv[3]);

		if (w == NULL) {
			fprintf(stderr, "bench-log: %s\n", cause);
			return 1;
		}
		for (long i = 0; i < count; i++) {
			int type = i % 20 == 7 ? 3 : i % 10 == 3 ? 2 : 1;
			if (cmlog_write(w, type, "SMS_MP_CONTROL_MANAGER",
			    "mpcontrol.c:212", "Call to HttpSendRequestSync %s for"
			    " port 443 with status code %d, text: %s (record %ld)",
			    type == 3 ? "failed" : "succeeded", type == 3 ? 500 :
			    200, type == 3 ? "Internal Server Error" : "OK", i) == -1) {
				fprintf(stderr, "bench-log: %s\n", cmlog_error(w));
				return 1;
			}
		}
		cmlog_close(w);
		return 0;
	}
	if (argc != 3 || (strcmp(argv[1], "index") != 0 &&
	    strcmp(argv[1], "errors") != 0)) {
		fprintf(stderr, "usage: bench-log gen FILE N | index FILE |"
		    " errors FILE\n");
		return 2;
	}
	if ((r = cmlog_reader_open(argv[2], &cause)) == NULL) {
		fprintf(stderr, "bench-log: %s\n", cause);
		return 1;
	}
	if (cmlog_reader_index(r, 0) == -1) {
		fprintf(stderr, "bench-log: %s\n", cmlog_reader_error(r));
		return 1;
	}
	n = cmlog_reader_count(r);
	if (strcmp(argv[1], "errors") == 0) {
		for (size_t i = 0; i < n; i++)
			errors += cmlog_reader_type_at(r, i) == 3;
		printf("%zu\n", errors);
	} else
		printf("%zu\n", n);
	cmlog_reader_close(r);
	return 0;
}
