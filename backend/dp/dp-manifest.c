/* dp-manifest: a package's manifest read and checked (dp.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dp.h"
#include "safetext.h"
#include "utf8.h"
#include "xmalloc.h"

int
dp_pkgid_valid(const char *s)
{
	if (strlen(s) != DP_PKGID_LEN)
		return 0;
	for (int i = 0; i < 3; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' &&
		    s[i] <= '9')))
			return 0;
	for (int i = 3; i < DP_PKGID_LEN; i++)
		if (!((s[i] >= 'A' && s[i] <= 'F') || (s[i] >= '0' &&
		    s[i] <= '9')))
			return 0;
	return 1;
}

static int
dp_hex64(const char *s)
{
	if (strlen(s) != 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

/* Why path breaks a rule, or NULL. */
static const char *
dp_path_fault(const char *p)
{
	size_t n = strlen(p), seg = 0, i, k;
	uint32_t cp;

	if (n == 0)
		return "empty";
	if (n > DP_PATH_MAX)
		return "longer than 1024 bytes";
	if (p[0] == '/')
		return "starts with '/'";
	for (i = 0; i < n; i += k) {
		if ((k = utf8_next(p + i, n - i, &cp)) == 0)
			return "not UTF-8";
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
			return "a control character";
	}
	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != '/')
			continue;
		if (i == seg)
			return "an empty segment";
		if (i - seg == 1 && p[seg] == '.')
			return "a '.' segment";
		if (i - seg == 2 && p[seg] == '.' && p[seg + 1] == '.')
			return "a '..' segment";
		seg = i + 1;
	}
	return NULL;
}

/* The first file whose path is >= key. */
static size_t
dp_lower_bound(const struct dp_manifest *m, const char *key)
{
	size_t lo = 0, hi = m->nfiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(m->files[mid].path, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Does folder path hold files (the first in *at)? */
static int
dp_folder_has_files(const struct dp_manifest *m, const char *path, size_t *at)
{
	char *folder;
	size_t i;
	int found;

	xasprintf(&folder, "%s/", path);
	i = dp_lower_bound(m, folder);
	found = i < m->nfiles && strncmp(m->files[i].path, folder,
	    strlen(folder)) == 0;
	free(folder);
	*at = i;
	return found;
}

static int
dp_file_read(json_t *o, size_t i, struct dp_file *f, char **cause)
{
	json_t *path = json_object_get(o, "path");
	json_t *size = json_object_get(o, "size");
	json_t *hash = json_object_get(o, "sha256");
	const char *fault;

	if (!json_is_object(o)) {
		xasprintf(cause, "files[%zu]: not an object", i);
		return -1;
	}
	if (!json_is_string(path)) {
		xasprintf(cause, "files[%zu].path: missing or not a string", i);
		return -1;
	}
	if (strlen(json_string_value(path)) != json_string_length(path)) {
		xasprintf(cause, "files[%zu].path: holds a NUL", i);
		return -1;
	}
	if ((fault = dp_path_fault(json_string_value(path))) != NULL) {
		/* A reason is one line: a path with a control character is
		 * not quoted. */
		if (strcmp(fault, "a control character") == 0)
			xasprintf(cause, "files[%zu].path: %s", i, fault);
		else
			xasprintf(cause, "files[%zu].path '%.200s': %s", i,
			    json_string_value(path), fault);
		return -1;
	}
	if (!json_is_integer(size) || json_integer_value(size) < 0) {
		xasprintf(cause, "files[%zu].size: missing or not a whole"
		    " number >= 0", i);
		return -1;
	}
	if (!json_is_string(hash) || !dp_hex64(json_string_value(hash))) {
		xasprintf(cause, "files[%zu].sha256: not 64 lower-case hex"
		    " digits", i);
		return -1;
	}
	f->path = xstrdup(json_string_value(path));
	f->size = (uint64_t)json_integer_value(size);
	memcpy(f->sha256, json_string_value(hash), 65);
	return 0;
}

static int
dp_files_read(json_t *files, struct dp_manifest *m, char **cause)
{
	size_t n = json_array_size(files);

	m->files = xcalloc(n > 0 ? n : 1, sizeof *m->files);
	for (size_t i = 0; i < n; i++) {
		struct dp_file *f = &m->files[i];

		if (dp_file_read(json_array_get(files, i), i, f, cause) == -1)
			return -1;
		m->nfiles++;
		if (i == 0)
			continue;
		if (strcmp(f[-1].path, f->path) >= 0) {
			xasprintf(cause, "files[%zu].path '%.200s': %s", i,
			    f->path, strcmp(f[-1].path, f->path) == 0 ?
			    "listed twice" : "not sorted (files are sorted by"
			    " path)");
			return -1;
		}
	}
	/* A name is a file or a folder, not both. */
	for (size_t i = 0; i < m->nfiles; i++) {
		size_t j;

		if (dp_folder_has_files(m, m->files[i].path, &j)) {
			xasprintf(cause, "files[%zu].path '%.200s': a file and the"
			    " folder of files[%zu]", i, m->files[i].path, j);
			return -1;
		}
	}
	return 0;
}

struct dp_manifest *
dp_manifest_parse(const char *json, size_t len, const char *pkgid,
    char **cause)
{
	struct dp_manifest *m = xcalloc(1, sizeof *m);
	json_error_t je;
	json_t *root, *pkg, *ver, *name, *files;

	*cause = NULL;
	m->refs = 1;
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		char text[256];

		/* jansson quotes the input near the error: escaped. */
		safetext_copy(text, sizeof text, je.text, (size_t)-1);
		xasprintf(cause, "not JSON: line %d column %d: %s", je.line,
		    je.column, text);
		goto fail;
	}
	if (!json_is_object(root)) {
		xasprintf(cause, "not a JSON object");
		goto fail;
	}
	pkg = json_object_get(root, "package");
	ver = json_object_get(root, "version");
	name = json_object_get(root, "name");
	files = json_object_get(root, "files");
	if (!json_is_string(pkg) || strcmp(json_string_value(pkg), pkgid) != 0) {
		char shown[64] = "missing or not a string";

		if (json_is_string(pkg))
			safetext_copy(shown, sizeof shown, json_string_value(pkg),
			    (size_t)-1);
		xasprintf(cause, "package: %s%s%s, not %s (the manifest's file"
		    " name)", json_is_string(pkg) ? "'" : "", shown,
		    json_is_string(pkg) ? "'" : "", pkgid);
		goto fail;
	}
	if (!json_is_integer(ver) || json_integer_value(ver) < 1) {
		xasprintf(cause, "version: missing or not a whole number"
		    " >= 1");
		goto fail;
	}
	if (!json_is_string(name)) {
		xasprintf(cause, "name: missing or not a string");
		goto fail;
	}
	if (!json_is_array(files)) {
		xasprintf(cause, "files: missing or not an array");
		goto fail;
	}
	snprintf(m->package, sizeof m->package, "%s", pkgid);
	m->version = json_integer_value(ver);
	m->name = xstrdup(json_string_value(name));
	if (dp_files_read(files, m, cause) == -1)
		goto fail;
	json_decref(root);
	return m;
fail:
	json_decref(root);
	dp_manifest_free(m);
	return NULL;
}

struct dp_manifest *
dp_manifest_ref(struct dp_manifest *m)
{
	__atomic_fetch_add(&m->refs, 1, __ATOMIC_RELAXED);
	return m;
}

void
dp_manifest_free(struct dp_manifest *m)
{
	if (m == NULL || __atomic_fetch_sub(&m->refs, 1,
	    __ATOMIC_ACQ_REL) > 1)
		return;
	for (size_t i = 0; i < m->nfiles; i++)
		free(m->files[i].path);
	free(m->files);
	free(m->name);
	free(m);
}

enum dp_kind
dp_manifest_find(const struct dp_manifest *m, const char *path,
    const struct dp_file **f)
{
	size_t i;

	if (f != NULL)
		*f = NULL;
	if (*path == '\0')
		return DP_KIND_FOLDER;
	i = dp_lower_bound(m, path);
	if (i < m->nfiles && strcmp(m->files[i].path, path) == 0) {
		if (f != NULL)
			*f = &m->files[i];
		return DP_KIND_FILE;
	}
	return dp_folder_has_files(m, path, &i) ? DP_KIND_FOLDER :
	    DP_KIND_NONE;
}
