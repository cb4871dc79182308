/*
 * prog: how every ehttp program starts and answers a command line it
 * does not take (ehttpctl, ehttp-mpd, ehttp-console, and each program to
 * come): the same warning, the same --help and --version, one rule for a
 * number option, and "PROG: message" with the message escaped.
 */
#ifndef PROG_H
#define PROG_H

#include <stdio.h>

#define PROG_EXIT_USAGE	2

/* First thing in main(): freed memory is cleared from here on
 * (ehttp_protect_process); a warning on stderr if it cannot be. */
void	 prog_start(const char *prog);
/* "PROG: MSG" on stderr. msg may quote untrusted text (a name, a path, the
 * command line): it is escaped. */
void	 prog_say(const char *prog, const char *msg);
/* A usage error: prog_say() of the message, then "Try 'PROG --help'.";
 * returns PROG_EXIT_USAGE. */
int	 prog_usage(const char *prog, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* The options every program has: ch 'h' (--help) prints usage on out,
 * 'V' (--version) "PROG VERSION"; 1 then (main exits 0). Other ch: 0. */
int	 prog_help_version(int ch, const char *prog, void (*usage)(FILE *),
	    FILE *out);
/* The option getopt_long() just refused, as it was typed: "--name" (a long
 * one, or one missing its value), else "-x" (a short one, also inside a
 * cluster such as "-xyz", where argv[optind - 1] is another argument). */
const char *prog_badopt(char *const *argv);
/* A number option's value: decimal digits only (no sign, no space), from
 * lo to hi, into *out: 0; else -1. */
int	 prog_number(const char *s, unsigned long long lo,
	    unsigned long long hi, unsigned long long *out);
/* The same; else the usage error "NAME 'S': must be MUST" (S escaped and
 * cut short) and -1. */
int	 prog_number_option(const char *prog, const char *name, const char *s,
	    unsigned long long lo, unsigned long long hi, const char *must,
	    unsigned long long *out);

#endif
