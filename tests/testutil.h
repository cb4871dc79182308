/* Shared test fixtures: private temp dirs, running the real binaries. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stddef.h>

/* Runner: true when argv names suite m (`check_all db ca`). */
int	 tu_wants(int, char **, const char *);

/* A fresh private directory under $TMPDIR; removed by tu_tmpdir_free(). */
char	*tu_tmpdir(void);
void	 tu_tmpdir_free(char *);

/* A fresh private directory with the demo hierarchy in DIR/site.db (path
 * into db); returns the directory (tu_tmpdir_free), NULL if init failed. */
char	*tu_demo_db(char *db, size_t len);

/* Path of a built program ("ehttpctl") in the build dir; static buffer. */
const char *tu_bin(const char *);

/*
 * Run argv (argv[0] a full path) with stdin from /dev/null, capturing stdout
 * and stderr into malloc'ed strings (may be NULL). Returns the exit status,
 * or 128+signal.
 */
int	 tu_run(char *const argv[], char **out, char **err);

/* Run a shell command line, capturing as tu_run; "%s" formatting. */
int	 tu_sh(char **out, char **err, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* ehttpctl --db DB ARGS...: NULL-terminated varargs. */
int	 tu_ctl(const char *db, char **out, char **err, ...)
	    __attribute__((sentinel));

/* Whole file into a malloc'ed, NUL-terminated string; NULL if unreadable. */
char	*tu_read_file(const char *, size_t *);
int	 tu_write_file(const char *, const char *, size_t);

/* Count occurrences of needle in hay. */
int	 tu_count(const char *hay, const char *needle);

#endif
