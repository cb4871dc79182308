/*
 * libFuzzer target: what a distribution point reads from outside
 * (backend/dp/): the same bytes as a package's manifest
 * (dp_manifest_parse), as the path of a request target under
 * /SMS_DP_SMSPKG$/ (dp_target_parse), as a Range header, an entity-tag
 * list and an HTTP date.
 *
 * Checked beyond "no crash": a refusal always has a one-line reason; an
 * accepted manifest keeps its promises (files strictly sorted, every path
 * found again as a file, no "." or ".." segment or control character,
 * every hash 64 lower-case hex digits) and its WebDAV listing is one XML
 * document; an accepted
 * target's path has no "." or ".." segment, no backslash and no control
 * character; a range lies inside the file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp.h"

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
	__FILE__, __LINE__, #x); abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* No "." or ".." segment, no control character; no backslash in a
 * target (a manifest may name a file with one). */
static void
dp_fuzz_path_ok(const char *p, int target)
{
	const char *seg = p;

	for (const char *c = p; ; c++) {
		if (*c == '/' || *c == '\0') {
			size_t n = (size_t)(c - seg);

			CHECK(!(n == 1 && seg[0] == '.'));
			CHECK(!(n == 2 && seg[0] == '.' && seg[1] == '.'));
			if (*c == '\0')
				break;
			seg = c + 1;
		}
		CHECK((!target || *c != '\\') && (unsigned char)*c >= 0x20 &&
		    *c != 0x7f);
	}
}

static void
dp_fuzz_manifest(const uint8_t *p, size_t n)
{
	struct dp_manifest *m;
	struct dp_target t = { .vdir = DP_VDIR_PKG, .pkg = "P01000A3" };
	const struct dp_file *f;
	char *why = NULL, *xml;
	size_t len;

	if ((m = dp_manifest_parse((const char *)p, n, "P01000A3",
	    &why)) == NULL) {
		CHECK(why != NULL && why[0] != '\0' && strchr(why, '\n') ==
		    NULL);
		free(why);
		return;
	}
	for (size_t i = 0; i < m->nfiles; i++) {
		CHECK(i == 0 || strcmp(m->files[i - 1].path,
		    m->files[i].path) < 0);
		CHECK(dp_manifest_find(m, m->files[i].path, &f) ==
		    DP_KIND_FILE && f == &m->files[i]);
		CHECK(strlen(m->files[i].sha256) == 64 &&
		    strspn(m->files[i].sha256, "0123456789abcdef") == 64);
		CHECK(strlen(m->files[i].path) <= DP_PATH_MAX);
		dp_fuzz_path_ok(m->files[i].path, 0);
	}
	xml = dp_dav_multistatus(m, &t, DP_KIND_FOLDER, 1, &len);
	CHECK(len == strlen(xml) && strncmp(xml, "<?xml", 5) == 0 &&
	    strstr(xml, "</D:multistatus>\n") == xml + len - 17);
	free(xml);
	dp_manifest_free(m);
}

static void
dp_fuzz_text(const char *s)
{
	struct dp_target t;
	struct dp_range r;
	const char *why;
	char *target;
	size_t len = strlen(s);

	target = malloc(len + 32);
	CHECK(target != NULL);
	snprintf(target, len + 32, "/SMS_DP_SMSPKG$/%s", s);
	switch (dp_target_parse(target, &t, &why)) {
	case 1:
		dp_fuzz_path_ok(t.path, 1);
		CHECK(strlen(t.path) <= DP_PATH_MAX);
		CHECK(t.pkg[0] == '\0' || dp_pkgid_valid(t.pkg));
		break;
	case -1:
		CHECK(why != NULL && why[0] != '\0');
		break;
	default:
		CHECK(0);
	}
	free(target);
	if (dp_range_parse(s, 1000, &r) == DP_RANGE_ONE)
		CHECK(r.first <= r.last && r.last < 1000);
	(void)dp_etag_match(s, "\"abc\"", 1);
	(void)dp_http_date(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	CHECK(s != NULL);
	memcpy(s, p, n);
	s[n] = '\0';
	dp_fuzz_manifest(p, n);
	dp_fuzz_text(s);
	free(s);
	return 0;
}
