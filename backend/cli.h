/* cli: ehttpctl, every operation from the command line. */
#ifndef CLI_H
#define CLI_H

#include <getopt.h>
#include <stdio.h>

#include "ehttp.h"

/* Exit codes. */
#define CLI_OK		0
#define CLI_FAIL	1
#define CLI_USAGE	2

/* Run ehttpctl with argv; output on out/err. Returns the exit code. */
int	 cli_main(int argc, char **argv, FILE *out, FILE *err);

/* Shared by the cli-*.c files. */
struct cli {
	FILE		*out;
	FILE		*err;
	const char	*db_path;
	int		 json;
	const char	*prog;		/* "ehttpctl site add" for messages */
	struct ehttp	*e;
};

struct cli_cmd {
	const char	*group;		/* "site", or NULL for top level */
	const char	*name;
	int		(*run)(struct cli *, int, char **);
	const char	*args;
	const char	*help;
};

extern const struct cli_cmd cli_cert_cmds[];
extern const struct cli_cmd cli_log_cmds[];
extern const struct cli_cmd cli_trust_cmds[];

int	 cli_open(struct cli *, int flags);
int	 cli_fail(struct cli *);		/* prints ehttp_error; 1 */
/* Untrusted input for a message (printable, at most ~60 bytes); four
 * buffers in rotation, so up to four may be used in one call. */
const char *cli_arg(const char *in);
int	 cli_usage(struct cli *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));	/* 2 */
void	 cli_notes(struct cli *);
#define CLI_COMMON_OPTS \
	{ "json", no_argument, NULL, 'j' }, \
	{ "db", required_argument, NULL, 'D' }, \
	{ "help", no_argument, NULL, 'h' }

/* getopt_long over a subcommand's argv with the common --json/--db/--help.
 * Returns the option, -1 at the end; 'h' for help, '?' for an error. */
int	 cli_getopt(struct cli *, int, char **, const char *,
	    const struct option *);
int	 cli_help(struct cli *, const struct cli_cmd *);

/* Parse a subcommand's options; returns -1 to continue, else an exit code. */
#define OPTS_LOOP(c, argc, argv, so, lo, body)				\
	do {								\
		int ch_;						\
		optind = 0;						\
		while ((ch_ = cli_getopt(c, argc, argv, so, lo)) != -1) { \
			switch (ch_) {					\
			case 'h':					\
				return cli_help(c, cli_current());		\
			body						\
			default:					\
				return cli_usage(c, "unknown or incomplete" \
				    " option '%s'", argv[optind - 1]);	\
			}						\
		}							\
	} while (0)

const struct cli_cmd *cli_current(void);

/* JSON output. */
void	 json_str(FILE *, const char *);
void	 json_kv_str(FILE *, const char *key, const char *v, int comma);
void	 json_kv_int(FILE *, const char *key, long long v, int comma);
void	 json_kv_bool(FILE *, const char *key, int v, int comma);
void	 json_kv_time(FILE *, const char *key, time_t v, int comma);

/* Tables: add cells row by row, then print with aligned columns. */
struct table;
struct table	*table_new(int ncols, ...);	/* column headers */
void		 table_add(struct table *, ...)	/* ncols strings */;
void		 table_print(struct table *, FILE *);
void		 table_free(struct table *);

/* "2026-11-24 14:05" in UTC; static buffer rotation of 4. */
const char	*cli_time(time_t);

#endif
