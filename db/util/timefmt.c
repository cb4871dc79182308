/* timefmt: the one UTC time formatter (see timefmt.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"

int
timefmt(char *buf, size_t len, time_t t, enum timefmt f)
{
	return timefmt_ms(buf, len, t, 0, f);
}

int
timefmt_ms(char *buf, size_t len, time_t t, int ms, enum timefmt f)
{
	/* English names whatever the locale: HTTP dates are not localised. */
	static const char days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	const char *fmt = NULL;
	char day[32];
	struct tm tm;
	int n = -1;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	switch (f) {
	case TIMEFMT_DAY:
		fmt = "%Y-%m-%d";
		break;
	case TIMEFMT_MINUTE:
		fmt = "%Y-%m-%d %H:%M";
		break;
	case TIMEFMT_MINUTE_UTC:
		fmt = "%Y-%m-%d %H:%M UTC";
		break;
	case TIMEFMT_SECOND:
	case TIMEFMT_MSEC:
		fmt = "%Y-%m-%d %H:%M:%S";
		break;
	case TIMEFMT_SECOND_UTC:
		fmt = "%Y-%m-%d %H:%M:%S UTC";
		break;
	case TIMEFMT_ISO:
		fmt = "%Y-%m-%dT%H:%M:%SZ";
		break;
	case TIMEFMT_ISO_MSEC:
		fmt = "%Y-%m-%dT%H:%M:%S";
		break;
	case TIMEFMT_CLOCK:
		fmt = "%H:%M:%S";
		break;
	case TIMEFMT_HTTP:
		n = snprintf(buf, len, "%s, %02d %s %d %02d:%02d:%02d GMT",
		    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
		break;
	case TIMEFMT_CMTRACE_TIME:
		n = snprintf(buf, len, "%02d:%02d:%02d.%03d+000", tm.tm_hour,
		    tm.tm_min, tm.tm_sec, ms);
		break;
	case TIMEFMT_CMTRACE_DATE:
		n = snprintf(buf, len, "%02d-%02d-%04d", tm.tm_mon + 1,
		    tm.tm_mday, tm.tm_year + 1900);
		break;
	}
	if (fmt != NULL) {
		/* Only the literals above: strftime's %Y as every caller had. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		n = (int)strftime(day, sizeof day, fmt, &tm);
#pragma GCC diagnostic pop
		if (n == 0)
			n = -1;
		else if (f == TIMEFMT_MSEC)
			n = snprintf(buf, len, "%s.%03d", day, ms);
		else if (f == TIMEFMT_ISO_MSEC)
			n = snprintf(buf, len, "%s.%03dZ", day, ms);
		else
			n = snprintf(buf, len, "%s", day);
	}
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return -1;
	}
	return n;
}
