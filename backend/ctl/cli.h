/* cli: ehttpctl, every operation from the command line. */
#ifndef CLI_H
#define CLI_H

#include <getopt.h>
#include <stdio.h>

#include "cli-json.h"
#include "ehttp.h"
#include "prog.h"
#include "safetext.h"

/*
 * Exit codes, one rule for every command (README "Exit status"):
 *  0 success;
 *  1 the command ran and was refused (a rule, a name the database does not
 *    hold, a bad name or certificate) or failed at run time (database, file,
 *    a write error on standard output): cli_fail() and friends;
 *  2 the command line is wrong and nothing was done: an unknown command or
 *    option, a missing or extra argument, a missing option value or one that
 *    is not among those listed (on/off, a number, an enumeration), a change
 *    command given nothing to change: cli_usage().
 */
#define CLI_OK		0
#define CLI_FAIL	1
#define CLI_USAGE	2

/* Run ehttpctl with argv; output on out/err. Returns the exit code. */
int	 cli_main(int argc, char **argv, FILE *out, FILE *err);

/*
 * Shared by the cli-*.c files. out and err escape every control character
 * except line feeds (safetext_stream): nothing written to them reaches the
 * terminal raw. Fields of untrusted text (names, subjects, log text, error
 * messages that quote them) also go through cli_safe() so that a line feed
 * in them is escaped too and cannot fake a line.
 */
struct cli {
	FILE		*out;
	FILE		*err;
	FILE		*out_raw;	/* only for bytes that are not text (export) */
	FILE		*err_raw;	/* only for the progress line (uses CR) */
	char		**safe;		/* cli_safe() copies, freed at the end */
	size_t		 nsafe, capsafe;
	const char	*db_path;
	const char	*content_path;	/* --content; NULL: the default */
	int		 json;
	const char	*prog;		/* "ehttpctl site add" for messages */
	struct ehttp	*e;
	int		 said_waiting;	/* for another program's write */
};

struct cli_cmd {
	const char	*group;		/* "site", or NULL for top level */
	const char	*name;
	int		(*run)(struct cli *, int, char **);
	const char	*args;
	const char	*help;
};

extern const struct cli_cmd cli_cert_cmds[];
extern const struct cli_cmd cli_client_cmds[];
extern const struct cli_cmd cli_content_cmds[];
extern const struct cli_cmd cli_db_cmds[];
extern const struct cli_cmd cli_log_cmds[];
extern const struct cli_cmd cli_trust_cmds[];
extern const struct cli_cmd cli_agent_cmds[];
extern const struct cli_cmd cli_admin_cmds[];

int	 cli_open(struct cli *, int flags);
/* After a command's options: exactly n operands, else a usage error (why;
 * for n 0 the first extra one is named); then the database opened with
 * flags. 0 to go on, else the exit code. */
int	 cli_begin(struct cli *, int argc, char **argv, int n, const char *why,
	    int flags);
/* Untrusted text escaped for output (safetext_dup); valid until the command
 * ends or cli_safe_release(). */
const char *cli_safe(struct cli *, const char *);
/* The same for a whole message (safetext_message): an error or a note. */
const char *cli_safe_msg(struct cli *, const char *);
void	 cli_safe_release(struct cli *);
int	 cli_fail(struct cli *);		/* prints ehttp_error; 1 */
/* An optional --site CODE and FQDN resolved once to their ids (NULL: 0,
 * all; system_id may be NULL when there is no FQDN); -1 with ehttp_error():
 * no such one, or the database's error. */
int	 cli_scope(struct cli *, const char *code, const char *fqdn,
	    int64_t *site_id, int64_t *system_id);
/* An option value that must be one of the words (NULL-terminated); else a
 * usage error (2) "OPT 'V': must be LIST". */
int	 cli_word(struct cli *, const char *opt, const char *v,
	    const char *list, const char *const *words);
/* An option's number from lo (>= 0) to hi, by the rule of prog_number(),
 * into *out; else a usage error (2) "OPT 'V': must be MUST". */
int	 cli_number(struct cli *, const char *opt, const char *v, long lo,
	    long hi, const char *must, long *out);
/* Untrusted input for a message (printable, at most ~60 bytes); four
 * buffers in rotation, so up to four may be used in one call. */
const char *cli_arg(const char *in);
int	 cli_usage(struct cli *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));	/* 2 */
void	 cli_notes(struct cli *);
/* --content has no short form: its value is not a character. */
#define CLI_OPT_CONTENT	0x100
#define CLI_COMMON_OPTS \
	{ "json", no_argument, NULL, 'j' }, \
	{ "db", required_argument, NULL, 'D' }, \
	{ "content", required_argument, NULL, CLI_OPT_CONTENT }, \
	{ "help", no_argument, NULL, 'h' }

/* getopt_long over a subcommand's argv with the common --json, --db,
 * --content and --help.
 * Returns the option, -1 at the end; 'h' for help, '?' for an error. */
int	 cli_getopt(struct cli *, int, char **, const char *,
	    const struct option *);
int	 cli_help(struct cli *, const struct cli_cmd *);

/* The command table: every command, in --help order; NULL-terminated
 * tables, *n of them. */
const struct cli_cmd *const *cli_tables(size_t *n);

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
				    " option '%s'", cli_arg(prog_badopt(argv))); \
			}						\
		}							\
	} while (0)

const struct cli_cmd *cli_current(void);

/* Tables: cells added row by row (ncols strings, escaped), printed with
 * aligned columns; made and printed by cli_list_begin/end. */
struct table;
void		 table_add(struct table *, ...);
/* Columns escaped text takes (a character each), and a cell of it in a
 * column w wide: padded, then the two spaces between columns; the row's
 * last cell instead ends the line. */
size_t		 cli_width(const char *);
void		 cli_cell(FILE *, const char *, size_t w, int last);
/* A column is as wide as its widest value up to CLI_COL_MAX: w widened
 * for cell s. A longer value (a 253-character FQDN, a hostile
 * certificate's name) sticks out of its row rather than pad every other
 * row of the table. */
#define CLI_COL_MAX	64
void		 cli_col_widen(size_t *w, const char *s);

/*
 * A list command's rows: with --json an array written row by row
 * (cli_list_json), else a table with these column heads (table_add(l.t,
 * ...)), printed by cli_list_end().
 */
struct cli_list {
	struct cli	*c;
	struct cj_array	 ja;
	struct table	*t;		/* NULL with --json */
};
void		 cli_list_begin(struct cli *, struct cli_list *, int ncols,
		    ...);
void		 cli_list_json(struct cli_list *, json_t *);	/* frees it */
void		 cli_list_end(struct cli_list *);
/* A list that failed part way: the table is dropped unprinted (no head
 * over nothing) and a JSON array is left open, so that no JSON reader
 * takes the rows written so far for the whole list. */
void		 cli_list_abort(struct cli_list *);

/* "2026-11-24 14:05" in UTC; static buffer rotation of 4. */
const char	*cli_time(time_t);

#endif
