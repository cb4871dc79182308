/*
 * timefmt: the one way ehttp writes a time (always UTC). Each form the
 * product shows has a name here; a caller picks one, never a format
 * string of its own.
 */
#ifndef TIMEFMT_H
#define TIMEFMT_H

#include <stddef.h>
#include <time.h>

enum timefmt {
	TIMEFMT_DAY,		/* 2026-11-24 */
	TIMEFMT_MINUTE,		/* 2026-11-24 14:05 */
	TIMEFMT_MINUTE_UTC,	/* 2026-11-24 14:05 UTC */
	TIMEFMT_SECOND,		/* 2026-11-24 14:05:09 */
	TIMEFMT_SECOND_UTC,	/* 2026-11-24 14:05:09 UTC */
	TIMEFMT_ISO,		/* 2026-11-24T14:05:09Z */
	TIMEFMT_CLOCK,		/* 14:05:09 */
	TIMEFMT_HTTP,		/* Tue, 24 Nov 2026 14:05:09 GMT (RFC 9110) */
	TIMEFMT_MSEC,		/* 2026-11-24 14:05:09.123 */
	TIMEFMT_ISO_MSEC,	/* 2026-11-24T14:05:09.123Z */
	TIMEFMT_CMTRACE_TIME,	/* 14:05:09.123+000 (CMTrace time="") */
	TIMEFMT_CMTRACE_DATE,	/* 11-24-2026 (CMTrace date="") */
};

/* Room for every form (a year of up to 11 digits included). */
#define TIMEFMT_LEN	48

/*
 * t in form f into buf (len bytes, TIMEFMT_LEN is always enough). Returns
 * the length written, or -1 with buf "" if t has no calendar date
 * (gmtime_r fails) or buf is too short.
 */
int		 timefmt(char *buf, size_t len, time_t t, enum timefmt f);

/* The same with milliseconds (0-999) for the forms that show them. */
int		 timefmt_ms(char *buf, size_t len, time_t t, int ms,
		    enum timefmt f);

#endif
