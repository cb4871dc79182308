/* prog: the start and the command-line errors every program shares. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ehttp.h"
#include "prog.h"
#include "safetext.h"
#include "xmalloc.h"

void
prog_start(const char *prog)
{
	if (ehttp_protect_process() == -1)
		fprintf(stderr, "%s: warning: OpenSSL's freed memory is not"
		    " cleared\n", prog);
}

void
prog_say(const char *prog, const char *msg)
{
	char *safe = safetext_message(msg);

	fprintf(stderr, "%s: %s\n", prog, safe);
	free(safe);
}

int
prog_usage(const char *prog, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	prog_say(prog, msg);
	fprintf(stderr, "Try '%s --help'.\n", prog);
	free(msg);
	return PROG_EXIT_USAGE;
}

int
prog_help_version(int ch, const char *prog, void (*usage)(FILE *), FILE *out)
{
	if (ch == 'h')
		usage(out);
	else if (ch == 'V')
		fprintf(out, "%s %s\n", prog, EHTTP_VERSION);
	else
		return 0;
	return 1;
}

int
prog_number(const char *s, unsigned long long lo, unsigned long long hi,
    unsigned long long *out)
{
	char *end;

	/* strtoull alone would take a sign or leading spaces (" -1" wraps
	 * round to the largest value). */
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (*end != '\0' || errno != 0 || *out < lo || *out > hi)
		return -1;
	return 0;
}

int
prog_number_option(const char *prog, const char *name, const char *s,
    unsigned long long lo, unsigned long long hi, const char *must,
    unsigned long long *out)
{
	char b[64];

	if (prog_number(s, lo, hi, out) == 0)
		return 0;
	prog_usage(prog, "%s '%s': must be %s", name,
	    rules_shown(s, b, sizeof b), must);
	return -1;
}

const char *
prog_badopt(char *const *argv)
{
	static char s[3];
	const char *a = optind > 0 ? argv[optind - 1] : NULL, *next;

	next = a != NULL ? argv[optind] : NULL;
	/* Inside a cluster getopt has not moved past it: the cluster is
	 * next, after whatever came before it. */
	if (a != NULL && strncmp(a, "--", 2) == 0 && !(optopt > 0 &&
	    next != NULL && next[0] == '-' && next[1] != '-' &&
	    strchr(next + 1, optopt) != NULL))
		return a;
	if (optopt > ' ' && optopt < 0x7f) {
		s[0] = '-';
		s[1] = (char)optopt;
		s[2] = '\0';
		return s;
	}
	return a != NULL ? a : "";
}
