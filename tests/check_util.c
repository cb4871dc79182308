/*
 * db/util: the allocation family, the UTF-8 decoder and the UTC time
 * formatter. The decoder and the formatter are checked against python3's
 * own UTF-8 decoder and datetime, which ehttp did not write.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <check.h>

#include "hex.h"
#include "testutil.h"
#include "timefmt.h"
#include "utf8.h"
#include "uuid.h"
#include "xmalloc.h"

static const struct tu_fixture util = { .timeout = 120 };

/* ------------------------------------------------------------------ xmalloc */

START_TEST(x_strings)
{
	char *s;

	s = xstrndup(NULL, 0);
	ck_assert_str_eq(s, "");
	free(s);
	s = xstrndup("abcdef", 3);
	ck_assert_str_eq(s, "abc");
	free(s);
	s = xstrndup("ab\0cd", 5);		/* stops at the NUL */
	ck_assert_str_eq(s, "ab");
	free(s);
	s = xstrdup("x\xc3\xa9");
	ck_assert_str_eq(s, "x\xc3\xa9");
	free(s);
	ck_assert_int_eq(xasprintf(&s, "%s-%d", "P01", 42), 6);
	ck_assert_str_eq(s, "P01-42");
	free(s);
}
END_TEST

START_TEST(x_zero_and_grow)
{
	unsigned char *z;
	int *v = NULL;
	size_t cap = 0, caps[8];

	/* Zero is a size like any other here: a valid, freeable block. */
	z = xcalloc(0, 0);
	ck_assert_ptr_nonnull(z);
	ck_assert_int_eq(z[0], 0);
	free(z);
	z = xmalloc(0);
	ck_assert_ptr_nonnull(z);
	free(z);
	z = xcalloc(3, 5);
	for (int i = 0; i < 15; i++)
		ck_assert_int_eq(z[i], 0);
	free(z);

	/* Grown from first, doubled, contents kept. */
	for (int i = 0; i < 40; i++) {
		v = xgrowarray(v, &cap, (size_t)i, 8, sizeof *v);
		v[i] = i * 3;
		caps[i / 8 < 4 ? i / 8 : 4] = cap;
	}
	ck_assert_uint_eq(caps[0], 8);
	ck_assert_uint_eq(caps[1], 16);
	ck_assert_uint_eq(caps[2], 32);
	ck_assert_uint_eq(caps[3], 32);
	ck_assert_uint_eq(caps[4], 64);
	for (int i = 0; i < 40; i++)
		ck_assert_int_eq(v[i], i * 3);
	v = xreallocarray(v, 2, sizeof *v);
	ck_assert_int_eq(v[1], 3);

	/* Aligned as asked, the first bytes kept, the old block freed
	 * (the sanitizer build would report it otherwise). */
	v = xalignedarray(v, 2 * sizeof *v, 1u << 20, sizeof *v, 2u << 20);
	ck_assert_uint_eq((uintptr_t)v % (2u << 20), 0);
	ck_assert_int_eq(v[0], 0);
	ck_assert_int_eq(v[1], 3);
	v[(1u << 20) - 1] = 7;
	v = xalignedarray(v, 2 * sizeof *v, 3, sizeof *v, 64);
	ck_assert_uint_eq((uintptr_t)v % 64, 0);
	ck_assert_int_eq(v[1], 3);
	free(v);
	free(xalignedarray(NULL, 0, 0, 0, 64));
}
END_TEST

#if !defined(__SANITIZE_ADDRESS__)
/* Out of memory: a message naming what could not be had, then SIGABRT.
 * (The sanitizer build's allocator reports the request itself.) */
START_TEST(x_abort_with_message)
{
	int fds[2], status;
	char buf[512];
	ssize_t n;
	size_t got = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		xreallocarray(NULL, SIZE_MAX / 4, 8);
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	close(fds[1]);
	while (got < sizeof buf - 1 &&
	    (n = read(fds[0], buf + got, sizeof buf - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
	    "status %d", status);
	ck_assert_msg(strstr(buf, "out of memory: xreallocarray: ") != NULL &&
	    strstr(buf, " * 8 bytes: ") != NULL, "stderr: %s", buf);
}
END_TEST
#endif

/* ------------------------------------------------------------------ python3 */

/* Cases written to a file in a private directory for a python3 script that
 * checks each and prints "checked N bad M" (and the first mismatches). */
struct pycheck {
	char	*dir;
	char	 path[512];
	FILE	*f;
	long	 cases;
};

static void
pycheck_open(struct pycheck *pc)
{
	memset(pc, 0, sizeof *pc);
	pc->dir = tu_tmpdir();
	snprintf(pc->path, sizeof pc->path, "%s/cases", pc->dir);
	ck_assert_ptr_nonnull(pc->f = fopen(pc->path, "w"));
}

static void
pycheck_run(struct pycheck *pc, const char *script)
{
	char *out = NULL, *err = NULL, py[600], want[64];

	ck_assert_int_eq(fclose(pc->f), 0);
	snprintf(py, sizeof py, "%s/check.py", pc->dir);
	ck_assert_int_eq(tu_write_file(py, script, strlen(script)), 0);
	ck_assert_int_eq(tu_sh(&out, &err, "python3 '%s' < '%s'", py,
	    pc->path), 0);
	snprintf(want, sizeof want, "checked %ld bad 0\n", pc->cases);
	ck_assert_msg(strcmp(out, want) == 0, "%s%s", out, err ? err : "");
	free(out);
	free(err);
	tu_tmpdir_free(pc->dir);
}

/* --------------------------------------------------------------------- utf8 */

/*
 * python3 reads "HEX LEN CP PARTIAL" lines (the C results) and checks each
 * against its own decoder: the first character of the bytes is valid with
 * that length and code point exactly when some prefix of 1-4 bytes decodes
 * to one character; the bytes are a cut-short start exactly when the
 * incremental decoder takes them without a character or an error and
 * some continuation bytes make them one character (its incremental decoder
 * waits after ED A0..BF, the start of a surrogate, for its surrogatepass
 * handler).
 */
static const char utf8_py[] =
    "import codecs, sys\n"
    "def one(b):\n"
    "    try:\n"
    "        return len(b.decode('utf-8')) == 1\n"
    "    except UnicodeDecodeError:\n"
    "        return False\n"
    "bad = 0\n"
    "n = 0\n"
    "for line in sys.stdin:\n"
    "    h, ln, cp, part = line.split()\n"
    "    b = bytes.fromhex(h)\n"
    "    want = (0, b[0])\n"
    "    for k in range(1, min(4, len(b)) + 1):\n"
    "        try:\n"
    "            s = b[:k].decode('utf-8')\n"
    "        except UnicodeDecodeError:\n"
    "            continue\n"
    "        if len(s) == 1:\n"
    "            want = (k, ord(s))\n"
    "        break\n"
    "    d = codecs.getincrementaldecoder('utf-8')()\n"
    "    try:\n"
    "        wpart = int(d.decode(b, False) == '')\n"
    "    except UnicodeDecodeError:\n"
    "        wpart = 0\n"
    "    if wpart:\n"
    "        wpart = int(any(one(b + bytes([c]) + b'\\x80' * (k - 1))\n"
    "            for k in range(1, 4) for c in range(0x80, 0xc0)))\n"
    "    n += 1\n"
    "    if (int(ln), int(cp)) != want or int(part) != wpart:\n"
    "        bad += 1\n"
    "        if bad <= 5:\n"
    "            print('mismatch', h, ln, cp, part, 'python', want, wpart)\n"
    "print('checked', n, 'bad', bad)\n";

static void
utf8_case(FILE *f, const unsigned char *b, size_t n)
{
	uint32_t cp;
	size_t len = utf8_next((const char *)b, n, &cp);

	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
	fprintf(f, " %zu %u %d\n", len, (unsigned)cp,
	    utf8_partial((const char *)b, n));
}

/*
 * Every 1- and 2-byte string; for 3 and 4 bytes every first two bytes from
 * a lead byte up (what makes a sequence overlong, a surrogate or too large
 * is decided by them) with the later bytes from each class: the lowest
 * and highest continuation byte, ASCII, a lead byte (for 4 bytes: pairs of
 * them, each class in the third and in the fourth place).
 */
START_TEST(utf8_against_python)
{
	static const unsigned char later[] = { 0x80, 0xbf, 0x41, 0xc3 };
	static const unsigned char later4[][2] = {
		{ 0x80, 0xbf }, { 0xbf, 0x80 }, { 0x80, 0x41 }, { 0x41, 0x80 },
		{ 0xc3, 0xa9 },
	};
	struct pycheck pc;
	unsigned char b[4];

	pycheck_open(&pc);
	for (int x = 0; x < 256; x++) {
		b[0] = (unsigned char)x;
		utf8_case(pc.f, b, 1);
		pc.cases++;
		for (int y = 0; y < 256; y++) {
			b[1] = (unsigned char)y;
			utf8_case(pc.f, b, 2);
			pc.cases++;
			if (x < 0xc0 && x != 0x41 && x != 0x80)
				continue;
			for (size_t i = 0; i < sizeof later; i++) {
				b[2] = later[i];
				utf8_case(pc.f, b, 3);
				pc.cases++;
			}
			for (size_t i = 0; i < sizeof later4 / sizeof later4[0]; i++) {
				b[2] = later4[i][0];
				b[3] = later4[i][1];
				utf8_case(pc.f, b, 4);
				pc.cases++;
			}
		}
	}
	pycheck_run(&pc, utf8_py);
}
END_TEST

/* The edge cases by name (what python3 checks above, readable here). */
START_TEST(utf8_edges)
{
	static const struct {
		const char	*s;
		size_t		 len;
		uint32_t	 cp;
	} t[] = {
		{ "A", 1, 'A' },
		{ "\x7f", 1, 0x7f },
		{ "\xc2\x80", 2, 0x80 },
		{ "\xdf\xbf", 2, 0x7ff },
		{ "\xe0\xa0\x80", 3, 0x800 },
		{ "\xed\x9f\xbf", 3, 0xd7ff },
		{ "\xee\x80\x80", 3, 0xe000 },
		{ "\xef\xbf\xbf", 3, 0xffff },
		{ "\xf0\x90\x80\x80", 4, 0x10000 },
		{ "\xf4\x8f\xbf\xbf", 4, 0x10ffff },
		{ "\xc0\xaf", 0, 0xc0 },		/* overlong '/' */
		{ "\xc1\xbf", 0, 0xc1 },		/* overlong */
		{ "\xe0\x9f\xbf", 0, 0xe0 },		/* overlong U+07FF */
		{ "\xf0\x8f\xbf\xbf", 0, 0xf0 },	/* overlong U+FFFF */
		{ "\xed\xa0\x80", 0, 0xed },		/* surrogate U+D800 */
		{ "\xed\xbf\xbf", 0, 0xed },		/* surrogate U+DFFF */
		{ "\xf4\x90\x80\x80", 0, 0xf4 },	/* U+110000 */
		{ "\xf5\x80\x80\x80", 0, 0xf5 },
		{ "\xff", 0, 0xff },
		{ "\x80", 0, 0x80 },			/* lone continuation */
		{ "\xe2\x82", 0, 0xe2 },		/* truncated */
		{ "\xf0\x9f\x98", 0, 0xf0 },		/* truncated */
		{ "\xe2\x28\xa1", 0, 0xe2 },		/* bad continuation */
	};
	char enc[UTF8_CHAR_MAX];
	uint32_t cp;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		size_t n = strlen(t[i].s);

		ck_assert_msg(utf8_next(t[i].s, n, &cp) == t[i].len &&
		    cp == t[i].cp, "case %zu", i);
	}
	ck_assert_int_eq(utf8_partial("\xe2\x82", 2), 1);
	ck_assert_int_eq(utf8_partial("\xf0\x9f\x98", 3), 1);
	ck_assert_int_eq(utf8_partial("\xe0\x80", 2), 0);	/* overlong */
	ck_assert_int_eq(utf8_partial("\xed\xa0", 2), 0);	/* surrogate */
	ck_assert_int_eq(utf8_partial("A", 1), 0);
	ck_assert_int_eq(utf8_cont(0x80), 1);
	ck_assert_int_eq(utf8_cont(0xc3), 0);

	/* Every code point encodes to what the decoder reads back; the ones
	 * without a UTF-8 form do not encode. */
	for (uint32_t c = 0; c <= 0x110100; c++) {
		size_t n = utf8_encode(c, enc);

		if ((c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff) {
			ck_assert_msg(n == 0, "U+%04X", c);
			continue;
		}
		ck_assert_msg(n > 0 && utf8_next(enc, n, &cp) == n && cp == c,
		    "U+%04X", c);
	}
}
END_TEST

/* Each byte that starts no valid sequence becomes U+FFFD; valid text is
 * left alone (NULL: no copy). */
START_TEST(utf8_repaired)
{
	static const char bad[] = "a\xff\xc3\xa9\xe2\x82z\xed\xa0\x80";
	size_t len = 0;
	char *r;

	ck_assert_ptr_null(utf8_repair("caf\xc3\xa9 \xf0\x9f\x98\x80", 10,
	    &len));
	r = utf8_repair(bad, sizeof bad - 1, &len);
	ck_assert_ptr_nonnull(r);
	/* a, FFFD, e-acute, FFFD FFFD (a cut sequence: each byte), z, and a
	 * surrogate's three bytes, each FFFD */
	ck_assert_str_eq(r, "a\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd"
	    "z\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert_uint_eq(len, strlen(r));
	free(r);
}
END_TEST

/* ------------------------------------------------------------------ timefmt */

static const struct {
	enum timefmt	 f;
	const char	*name;
} forms[] = {
	{ TIMEFMT_DAY, "day" },
	{ TIMEFMT_MINUTE, "minute" },
	{ TIMEFMT_MINUTE_UTC, "minute_utc" },
	{ TIMEFMT_SECOND, "second" },
	{ TIMEFMT_SECOND_UTC, "second_utc" },
	{ TIMEFMT_ISO, "iso" },
	{ TIMEFMT_CLOCK, "clock" },
	{ TIMEFMT_HTTP, "http" },
	{ TIMEFMT_MSEC, "msec" },
	{ TIMEFMT_ISO_MSEC, "iso_msec" },
	{ TIMEFMT_CMTRACE_TIME, "cmtrace_time" },
	{ TIMEFMT_CMTRACE_DATE, "cmtrace_date" },
};

/* python3's datetime, with the English names spelled out (not strftime's
 * locale-dependent %a %b). */
static const char time_py[] =
    "import datetime, sys\n"
    "E = datetime.datetime(1970, 1, 1)\n"
    "DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']\n"
    "MONS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug',"
    " 'Sep', 'Oct', 'Nov', 'Dec']\n"
    "bad = n = 0\n"
    "for line in sys.stdin:\n"
    "    t, ms, name, got = line.rstrip('\\n').split('|')\n"
    "    d = E + datetime.timedelta(seconds=int(t))\n"
    "    ms = int(ms)\n"
    "    day = '%04d-%02d-%02d' % (d.year, d.month, d.day)\n"
    "    hm = '%02d:%02d' % (d.hour, d.minute)\n"
    "    hms = hm + ':%02d' % d.second\n"
    "    want = {\n"
    "        'day': day, 'minute': day + ' ' + hm,\n"
    "        'minute_utc': day + ' ' + hm + ' UTC',\n"
    "        'second': day + ' ' + hms, 'second_utc': day + ' ' + hms + ' UTC',\n"
    "        'iso': day + 'T' + hms + 'Z', 'clock': hms,\n"
    "        'http': '%s, %02d %s %04d %s GMT' % (DAYS[d.weekday()], d.day,"
    " MONS[d.month - 1], d.year, hms),\n"
    "        'msec': '%s %s.%03d' % (day, hms, ms),\n"
    "        'iso_msec': '%sT%s.%03dZ' % (day, hms, ms),\n"
    "        'cmtrace_time': '%s.%03d+000' % (hms, ms),\n"
    "        'cmtrace_date': '%02d-%02d-%04d' % (d.month, d.day, d.year),\n"
    "    }[name]\n"
    "    n += 1\n"
    "    if got != want:\n"
    "        bad += 1\n"
    "        if bad <= 5:\n"
    "            print('mismatch', t, name, repr(got), 'python', repr(want))\n"
    "print('checked', n, 'bad', bad)\n";

/* uuid_v4: python3's uuid module reads each as a version-4, RFC 4122
 * UUID printed the same way; 2,000 of them are all different. */
START_TEST(uuid_against_python)
{
	char u[UUID_LEN + 1], path[4096], *out, *d = tu_tmpdir();
	FILE *f;

	snprintf(path, sizeof path, "%s/uuids", d);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	for (int i = 0; i < 2000; i++) {
		uuid_v4(u);
		ck_assert_uint_eq(strlen(u), UUID_LEN);
		fprintf(f, "%s\n", u);
	}
	fclose(f);
	out = tu_sh_ok("%s -c 'import uuid,sys\n"
	    "l = open(sys.argv[1]).read().split()\n"
	    "us = [uuid.UUID(x) for x in l]\n"
	    "print(len(set(l)), all(u.version == 4 and u.variant =="
	    " uuid.RFC_4122 and str(u) == x for u, x in zip(us, l)))' '%s'",
	    tu_python(), path);
	ck_assert_str_eq(tu_line1(out), "2000 True");
	free(out);
	tu_tmpdir_free(d);
}
END_TEST

START_TEST(time_against_python)
{
	/* Edges: the epoch, day and leap-day boundaries, 2038, 2100 (not a
	 * leap year), the last second of 9999, before the epoch. */
	static const long long edges[] = {
		0, 1, 59, 60, 3599, 86399, 86400, 951782400, 951868799,
		1078012800, 1764000000, 2147483647, 2147483648LL,
		4107456000LL, 4107542399LL, 253402300799LL, -1, -86400,
		-2208988800LL, -2203891200LL,
	};
	unsigned long long x = 88172645463325252ULL;
	char buf[TIMEFMT_LEN];
	struct pycheck pc;

	pycheck_open(&pc);
	for (int i = 0; i < 2000 + (int)(sizeof edges / sizeof edges[0]);
	    i++) {
		long long t;
		int ms;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (i < (int)(sizeof edges / sizeof edges[0]))
			t = edges[i];
		else	/* 1900-01-01 .. 9999-12-31 */
			t = -2208988800LL + (long long)(x % 255611289600ULL);
		ms = (int)(x >> 40) % 1000;
		for (size_t k = 0; k < sizeof forms / sizeof forms[0]; k++) {
			ck_assert_int_gt(timefmt_ms(buf, sizeof buf, (time_t)t,
			    ms, forms[k].f), 0);
			fprintf(pc.f, "%lld|%d|%s|%s\n", t, ms, forms[k].name,
			    buf);
			pc.cases++;
		}
	}
	pycheck_run(&pc, time_py);
}
END_TEST

START_TEST(time_literal_and_limits)
{
	char buf[TIMEFMT_LEN], small[8];

	ck_assert_int_eq(timefmt(buf, sizeof buf, 1764000000, TIMEFMT_HTTP),
	    29);
	ck_assert_str_eq(buf, "Mon, 24 Nov 2025 16:00:00 GMT");
	ck_assert_int_eq(timefmt(buf, sizeof buf, 1764000000, TIMEFMT_MINUTE),
	    16);
	ck_assert_str_eq(buf, "2025-11-24 16:00");
	/* Too short a buffer, a time with no calendar date: "" and -1. */
	ck_assert_int_eq(timefmt(small, sizeof small, 1764000000,
	    TIMEFMT_DAY), -1);
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(timefmt(buf, sizeof buf, (time_t)INT64_MAX,
	    TIMEFMT_SECOND), -1);
	ck_assert_str_eq(buf, "");
}
END_TEST

/*
 * hex_encode and hex_encode_upper against python3's bytes.hex() on every
 * byte value, alone and in a run of all 256 (each ends with NUL where the
 * length says; hex_upper_dup the same); hex_value against int(c, 16) on
 * every character. No bytes: "".
 */
static const char hex_py[] =
    "import string, sys\n"
    "bad = 0\n"
    "n = 0\n"
    "for line in sys.stdin:\n"
    "    f = line.split()\n"
    "    if f[0] == 'v':\n"
    "        c = chr(int(f[1]))\n"
    "        want = int(c, 16) if c in string.hexdigits else -1\n"
    "        got = int(f[2])\n"
    "    else:\n"
    "        b = bytes(int(x) for x in f[1].split(','))\n"
    "        want = (b.hex(), b.hex().upper())\n"
    "        got = (f[2], f[3])\n"
    "    n += 1\n"
    "    if got != want:\n"
    "        bad += 1\n"
    "        if bad <= 5:\n"
    "            print('mismatch', f, 'python', want)\n"
    "print('checked', n, 'bad', bad)\n";

static void
hex_case(struct pycheck *pc, const unsigned char *b, size_t n)
{
	char lo[2 * 256 + 1], up[2 * 256 + 1], *d;

	memset(lo, 'x', sizeof lo);
	memset(up, 'x', sizeof up);
	hex_encode(b, n, lo);
	hex_encode_upper(b, n, up);
	ck_assert_uint_eq(strlen(lo), 2 * n);
	ck_assert_uint_eq(strlen(up), 2 * n);
	d = hex_upper_dup(b, n);
	ck_assert_str_eq(d, up);
	free(d);
	fprintf(pc->f, "b ");
	for (size_t i = 0; i < n; i++)
		fprintf(pc->f, "%s%u", i ? "," : "", b[i]);
	fprintf(pc->f, " %s %s\n", lo, up);
	pc->cases++;
}

START_TEST(hex_against_python)
{
	unsigned char all[256];
	struct pycheck pc;
	char lo[1], *d;

	pycheck_open(&pc);
	for (int c = 0; c < 256; c++) {
		all[c] = (unsigned char)(255 - c);
		hex_case(&pc, all + c, 1);
		fprintf(pc.f, "v %d %d\n", c, hex_value(c));
		pc.cases++;
	}
	hex_case(&pc, all, sizeof all);
	pycheck_run(&pc, hex_py);
	hex_encode_upper(all, 0, lo);
	ck_assert_str_eq(lo, "");
	d = hex_upper_dup(all, 0);
	ck_assert_str_eq(d, "");
	free(d);
}
END_TEST

Suite *
util_suite(void)
{
	const struct tu_test tests[] = {
		TU_CASE("util", util),
		TU_TEST(x_strings),
		TU_TEST(x_zero_and_grow),
#if !defined(__SANITIZE_ADDRESS__)
		TU_TEST(x_abort_with_message),
#endif
		TU_TEST(utf8_against_python),
		TU_TEST(utf8_edges),
		TU_TEST(utf8_repaired),
		TU_TEST(time_against_python),
		TU_TEST(time_literal_and_limits),
		TU_TEST(uuid_against_python),
		TU_TEST(hex_against_python),
		{ 0 }
	};

	return tu_suite("util", tests);
}
