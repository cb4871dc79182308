/*
 * dp-http: the parts of HTTP a file download needs (RFC 9110): one byte
 * range, entity-tag lists and HTTP dates. Anything unusual is read the
 * safe way: a Range that is not exactly one well-formed byte range is
 * ignored (the whole file is sent, as RFC 9110 14.2 allows).
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dp.h"

/* Digits at *s as a number (saturating at UINT64_MAX): 1, or 0 if there
 * is no digit. */
static int
dp_digits(const char **s, uint64_t *v)
{
	const char *p = *s;

	*v = 0;
	if (*p < '0' || *p > '9')
		return 0;
	for (; *p >= '0' && *p <= '9'; p++)
		*v = *v > (UINT64_MAX - 9) / 10 ? UINT64_MAX : *v * 10 +
		    (uint64_t)(*p - '0');
	*s = p;
	return 1;
}

enum dp_range_rc
dp_range_parse(const char *hdr, uint64_t size, struct dp_range *r)
{
	const char *p = hdr;
	uint64_t a = 0, b = UINT64_MAX;
	int has_a, has_b;

	if (p == NULL)
		return DP_RANGE_WHOLE;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncasecmp(p, "bytes=", 6) != 0 || strchr(p, ',') != NULL)
		return DP_RANGE_WHOLE;
	p += 6;
	while (*p == ' ' || *p == '\t')
		p++;
	has_a = dp_digits(&p, &a);
	if (*p++ != '-')
		return DP_RANGE_WHOLE;
	has_b = dp_digits(&p, &b);
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0' || (!has_a && !has_b) || (has_a && has_b && b < a))
		return DP_RANGE_WHOLE;
	if (!has_a) {			/* the last b bytes */
		if (b == 0 || size == 0)
			return DP_RANGE_UNSATISFIABLE;
		r->first = b < size ? size - b : 0;
		r->last = size - 1;
		return DP_RANGE_ONE;
	}
	if (a >= size)
		return DP_RANGE_UNSATISFIABLE;
	r->first = a;
	r->last = has_b && b < size - 1 ? b : size - 1;
	return DP_RANGE_ONE;
}

int
dp_etag_match(const char *list, const char *etag, int weak)
{
	size_t elen = strlen(etag);
	const char *p = list;

	while (*p == ' ' || *p == '\t')
		p++;
	if (p[0] == '*' && p[1 + strspn(p + 1, " \t")] == '\0')
		return 1;
	while (*p != '\0') {
		int is_weak = 0;
		size_t n;

		p += strspn(p, " \t,");
		if (strncmp(p, "W/", 2) == 0) {
			is_weak = 1;
			p += 2;
		}
		if (*p != '"')
			return 0;	/* not an entity-tag list */
		n = strcspn(p + 1, "\"");
		if (p[1 + n] != '"')
			return 0;
		if ((weak || !is_weak) && n + 2 == elen &&
		    strncmp(p, etag, elen) == 0)
			return 1;
		p += n + 2;
		p += strspn(p, " \t");
		if (*p != ',' && *p != '\0')
			return 0;
	}
	return 0;
}

time_t
dp_http_date(const char *s)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed",
	    "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm = { 0 };
	int day = -1, mon = -1;
	char d[4], m[4];

	/* "Sun, 06 Nov 1994 08:49:37 GMT": 29 characters, fixed places. */
	if (strlen(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' ||
	    s[11] != ' ' || s[16] != ' ' || s[19] != ':' || s[22] != ':' ||
	    s[25] != ' ' || strcmp(s + 26, "GMT") != 0)
		return -1;
	memcpy(d, s, 3);
	d[3] = '\0';
	memcpy(m, s + 8, 3);
	m[3] = '\0';
	for (int i = 0; i < 7; i++)
		if (strcmp(d, days[i]) == 0)
			day = i;
	for (int i = 0; i < 12; i++)
		if (strcmp(m, months[i]) == 0)
			mon = i;
	for (int i = 5; i < 25; i++)
		if (i != 7 && i != 8 && i != 9 && i != 10 && i != 11 &&
		    i != 16 && i != 19 && i != 22 && (s[i] < '0' || s[i] > '9'))
			return -1;
	if (day == -1 || mon == -1)
		return -1;
	tm.tm_mday = (s[5] - '0') * 10 + (s[6] - '0');
	tm.tm_mon = mon;
	tm.tm_year = (s[12] - '0') * 1000 + (s[13] - '0') * 100 +
	    (s[14] - '0') * 10 + (s[15] - '0') - 1900;
	tm.tm_hour = (s[17] - '0') * 10 + (s[18] - '0');
	tm.tm_min = (s[20] - '0') * 10 + (s[21] - '0');
	tm.tm_sec = (s[23] - '0') * 10 + (s[24] - '0');
	if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	return timegm(&tm);
}
