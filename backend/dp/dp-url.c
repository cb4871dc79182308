/*
 * dp-url: what a request target names on the DP (dp.h). The target is
 * decoded once, here, and refused whole when any part of it could name
 * something outside the package: a client gets a 400, never a file the
 * manifest does not list (the path is only ever looked up in the manifest,
 * and the bytes come from FileLib by hash, so even an accepted path cannot
 * reach the file system).
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "dp.h"
#include "hex.h"
#include "utf8.h"

const char *const dp_vdir_names[DP_VDIR_MAX] = {
	[DP_VDIR_PKG] = "SMS_DP_SMSPKG$",
	[DP_VDIR_NOCERT] = "NOCERT_SMS_DP_SMSPKG$",
	[DP_VDIR_TOKEN_PKG] = "CCMTOKENAUTH_SMS_DP_SMSPKG$",
	[DP_VDIR_TOKEN_SIG] = "CCMTOKENAUTH_SMS_DP_SMSSIG$",
};

/* Decoded: the package segment, '/', the path, a trailing '/'. */
#define DP_DECODED_MAX	(DP_PKGID_LEN + 1 + DP_PATH_MAX + 1)

/* Percent-decode s (n bytes) into out (*olen): 0, or -1 and *cause. */
static int
dp_decode(const char *s, size_t n, char *out, size_t *olen,
    const char **cause)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int enc = c == '%', hi, lo;

		if (enc) {
			if (i + 2 >= n) {
				*cause = "a '%' escape cut short";
				return -1;
			}
			if ((hi = hex_digit(s[i + 1])) == -1 ||
			    (lo = hex_digit(s[i + 2])) == -1) {
				*cause = "a '%' escape that is not two hex"
				    " digits";
				return -1;
			}
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0') {
			*cause = "an encoded NUL";
			return -1;
		}
		if (c < 0x20 || c == 0x7f) {
			*cause = "a control character";
			return -1;
		}
		if (c == '\\') {
			*cause = "a backslash";
			return -1;
		}
		if (enc && c == '/') {
			*cause = "an encoded '/'";
			return -1;
		}
		if (o == DP_DECODED_MAX) {
			*cause = "a path longer than 1024 bytes";
			return -1;
		}
		out[o++] = (char)c;
	}
	*olen = o;
	return 0;
}

/* Every segment (but a last, empty one: a folder's '/') non-empty and
 * neither "." nor "..": 0, or -1 and *cause. */
static int
dp_segments_ok(const char *p, size_t n, const char **cause)
{
	size_t seg = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i] != '/')
			continue;
		if (i == seg && i == n && n > 0)
			break;		/* "pkg/dir/" */
		if (i == seg) {
			*cause = "an empty path segment";
			return -1;
		}
		if ((i - seg == 1 && p[seg] == '.') || (i - seg == 2 &&
		    p[seg] == '.' && p[seg + 1] == '.')) {
			*cause = "a '.' or '..' path segment";
			return -1;
		}
		seg = i + 1;
	}
	return 0;
}

static int
dp_utf8_ok(const char *p, size_t n)
{
	uint32_t cp;
	size_t k;

	for (size_t i = 0; i < n; i += k)
		if ((k = utf8_next(p + i, n - i, &cp)) == 0)
			return 0;
	return 1;
}

/* The package segment and the path of the decoded rest. */
static int
dp_split(char *d, size_t n, struct dp_target *t, const char **cause)
{
	size_t plen = strcspn(d, "/"), rest;

	if (n > 0 && d[n - 1] == '/')
		d[--n] = '\0';		/* a folder's '/' */
	if (plen > DP_PKGID_LEN || plen > n)
		t->pkg_bad = 1;
	else {
		for (size_t i = 0; i < plen; i++)
			t->pkg[i] = d[i] >= 'a' && d[i] <= 'z' ? d[i] - 'a' +
			    'A' : d[i];
		t->pkg[plen] = '\0';
		t->pkg_bad = !dp_pkgid_valid(t->pkg);
	}
	if (t->pkg_bad)
		t->pkg[0] = '\0';
	rest = plen < n ? n - plen - 1 : 0;
	if (rest > DP_PATH_MAX) {
		*cause = "a path longer than 1024 bytes";
		return -1;
	}
	memcpy(t->path, d + n - rest, rest);
	t->path[rest] = '\0';
	return 0;
}

int
dp_target_parse(const char *target, struct dp_target *t, const char **cause)
{
	char d[DP_DECODED_MAX + 1];
	size_t n = strcspn(target, "?"), vlen, dlen;
	int v;

	memset(t, 0, sizeof *t);
	*cause = NULL;
	if (n == 0 || target[0] != '/')
		return 0;
	vlen = strcspn(target + 1, "/?");
	for (v = 0; v < DP_VDIR_MAX; v++)
		if (strlen(dp_vdir_names[v]) == vlen &&
		    strncasecmp(target + 1, dp_vdir_names[v], vlen) == 0)
			break;
	if (v == DP_VDIR_MAX)
		return 0;
	t->vdir = (enum dp_vdir)v;
	target += 1 + vlen;
	n -= 1 + vlen;
	if (n > 0) {		/* skip the '/' after the folder */
		target++;
		n--;
	}
	if (dp_decode(target, n, d, &dlen, cause) == -1)
		return -1;
	d[dlen] = '\0';
	if (!dp_utf8_ok(d, dlen)) {
		*cause = "bytes that are not UTF-8";
		return -1;
	}
	if (dlen == 0)
		return 1;	/* the folder itself */
	if (dp_segments_ok(d, dlen, cause) == -1)
		return -1;
	return dp_split(d, dlen, t, cause) == -1 ? -1 : 1;
}
