/* manifest: a content library's package manifest (rules: manifest.h). */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "manifest.h"
#include "safetext.h"
#include "xmalloc.h"

#define SHOWN_MAX	80	/* bytes of a bad name quoted in a message */

/* *cause = "WHAT 'S': WHY" with S escaped and cut (S NULL: "WHAT: WHY"). */
static int
refuse(char **cause, const char *what, const char *s, const char *why)
{
	char shown[SHOWN_MAX * SAFETEXT_CHAR_MAX + 4];
	size_t used;

	if (s == NULL) {
		xasprintf(cause, "%s: %s", what, why);
		return -1;
	}
	used = safetext_copy(shown, sizeof shown - 4, s, strnlen(s, SHOWN_MAX));
	if (s[used] != '\0')
		strcat(shown, "...");
	xasprintf(cause, "%s '%s': %s", what, shown, why);
	return -1;
}

int
manifest_id_check(const char *id, char **cause)
{
	size_t i;

	if (strlen(id) != MANIFEST_ID_LEN)
		return refuse(cause, "package id", id, "must be a site code and"
		    " 5 hexadecimal digits (e.g. P01000A3)");
	for (i = 0; i < 3; i++)
		if (!((id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= '0' && id[i] <= '9')))
			return refuse(cause, "package id", id, "must start"
			    " with a site code (A-Z, 0-9)");
	for (; i < MANIFEST_ID_LEN; i++)
		if (!((id[i] >= 'A' && id[i] <= 'F') ||
		    (id[i] >= '0' && id[i] <= '9')))
			return refuse(cause, "package id", id, "must end"
			    " with 5 upper-case hexadecimal digits");
	return 0;
}

/* Valid UTF-8 without an unsafe character (safetext.h); -1 if not. */
static int
text_clean(const char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	for (size_t i = 0; i < n; i += len)
		if (safetext_next(s + i, n - i, &len, &cp) != SAFETEXT_PRINT)
			return -1;
	return 0;
}

int
manifest_name_check(const char *name, char **cause)
{
	size_t n = strlen(name);

	if (n == 0)
		return refuse(cause, "package name", NULL, "missing");
	if (n > MANIFEST_NAME_MAX)
		return refuse(cause, "package name", name,
		    "longer than 256 bytes");
	if (text_clean(name, n) == -1)
		return refuse(cause, "package name", name, "not printable"
		    " UTF-8 (a control character or an invalid byte)");
	return 0;
}

int
manifest_path_check(const char *path, char **cause)
{
	size_t n = strlen(path), seg;
	const char *p, *slash;

	if (n == 0)
		return refuse(cause, "file path", NULL, "empty");
	if (n > MANIFEST_PATH_MAX)
		return refuse(cause, "file path", path,
		    "longer than 1024 bytes");
	if (text_clean(path, n) == -1)
		return refuse(cause, "file path", path, "not printable UTF-8"
		    " (a control character or an invalid byte)");
	if (path[0] == '/')
		return refuse(cause, "file path", path, "starts with '/'"
		    " (must be relative)");
	for (p = path; ; p = slash + 1) {
		slash = strchr(p, '/');
		seg = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (seg == 0)
			return refuse(cause, "file path", path, "an empty"
			    " segment ('//' or a trailing '/')");
		if ((seg == 1 && p[0] == '.') ||
		    (seg == 2 && p[0] == '.' && p[1] == '.'))
			return refuse(cause, "file path", path, "a '.' or"
			    " '..' segment");
		if (slash == NULL)
			return 0;
	}
}

int
manifest_sha256_check(const char *h, char **cause)
{
	size_t i;

	for (i = 0; h[i] != '\0' && i < 64; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' &&
		    h[i] <= 'f')))
			break;
	if (i != 64 || h[i] != '\0')
		return refuse(cause, "sha256", h, "must be 64 lower-case"
		    " hexadecimal digits");
	return 0;
}

void
manifest_add(struct manifest *m, const char *path, uint64_t size,
    const char *sha256)
{
	struct manifest_file *f;

	m->files = xreallocarray(m->files, m->nfiles + 1, sizeof *m->files);
	f = &m->files[m->nfiles++];
	f->path = xstrdup(path);
	f->size = size;
	snprintf(f->sha256, sizeof f->sha256, "%s", sha256);
}

static int
file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct manifest_file *)a)->path,
	    ((const struct manifest_file *)b)->path);
}

/* The files as they are (sorted or not): every rule but the order. */
static int
files_check(const struct manifest *m, char **cause)
{
	char *why = NULL;

	for (size_t i = 0; i < m->nfiles; i++) {
		const struct manifest_file *f = &m->files[i];

		if (manifest_path_check(f->path, &why) == -1 ||
		    manifest_sha256_check(f->sha256, &why) == -1) {
			xasprintf(cause, "file %zu: %s", i + 1, why);
			free(why);
			return -1;
		}
		if (f->size > INT64_MAX)
			return refuse(cause, "file", f->path,
			    "size out of range");
		if (i > 0 && strcmp(m->files[i - 1].path, f->path) >= 0)
			return refuse(cause, "file", f->path,
			    strcmp(m->files[i - 1].path, f->path) == 0 ?
			    "listed twice" : "files not sorted by path");
	}
	return 0;
}

static int
head_check(const struct manifest *m, char **cause)
{
	if (manifest_id_check(m->package, cause) == -1 ||
	    manifest_name_check(m->name != NULL ? m->name : "", cause) == -1)
		return -1;
	if (m->version < 1) {
		xasprintf(cause, "version %lld: must be 1 or more",
		    (long long)m->version);
		return -1;
	}
	return 0;
}

int
manifest_check(struct manifest *m, char **cause)
{
	*cause = NULL;
	if (m->nfiles > 1)
		qsort(m->files, m->nfiles, sizeof *m->files, file_cmp);
	if (head_check(m, cause) == -1)
		return -1;
	return files_check(m, cause);
}

/* jansson returns NULL only when it could not allocate. */
static json_t *
must(json_t *v)
{
	if (v == NULL) {
		fputs("out of memory: jansson\n", stderr);
		abort();
	}
	return v;
}

char *
manifest_format(struct manifest *m, size_t *len, char **cause)
{
	json_t *root, *files;
	char *text, *out;

	if (manifest_check(m, cause) == -1)
		return NULL;
	files = must(json_array());
	for (size_t i = 0; i < m->nfiles; i++)
		if (json_array_append_new(files, must(json_pack("{s:s,s:I,s:s}",
		    "path", m->files[i].path, "size",
		    (json_int_t)m->files[i].size, "sha256",
		    m->files[i].sha256))) == -1)
			abort();
	root = must(json_pack("{s:s,s:I,s:s,s:o}", "package", m->package,
	    "version", (json_int_t)m->version, "name", m->name, "files",
	    files));
	/* Checked above: every string is valid UTF-8, so only memory can
	 * make the dump fail. */
	if ((text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER)) ==
	    NULL) {
		fputs("out of memory: jansson\n", stderr);
		abort();
	}
	json_decref(root);
	*len = strlen(text) + 1;
	out = xmalloc(*len + 1);
	memcpy(out, text, *len - 1);
	out[*len - 1] = '\n';
	out[*len] = '\0';
	free(text);
	return out;
}

/* A string member of o into a new copy; -1 if it is missing or not one. */
static int
member_str(json_t *o, const char *key, char **out, char **cause)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v)) {
		xasprintf(cause, "member \"%s\": %s", key, v == NULL ?
		    "missing" : "not a string");
		return -1;
	}
	*out = xstrndup(json_string_value(v), json_string_length(v));
	if (strlen(*out) != json_string_length(v)) {
		xasprintf(cause, "member \"%s\": holds a NUL character", key);
		return -1;
	}
	return 0;
}

static int
member_int(json_t *o, const char *key, json_int_t lo, json_int_t *out,
    char **cause)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < lo) {
		xasprintf(cause, "member \"%s\": %s", key, v == NULL ?
		    "missing" : json_is_integer(v) ? "out of range" :
		    "not an integer");
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

static int
parse_file(json_t *o, size_t i, struct manifest_file *f, char **cause)
{
	char *why = NULL, *hash = NULL;
	json_int_t size;
	int rc = -1;

	if (!json_is_object(o)) {
		xasprintf(cause, "file %zu: not an object", i + 1);
		return -1;
	}
	if (member_str(o, "path", &f->path, &why) == -1 ||
	    member_int(o, "size", 0, &size, &why) == -1 ||
	    member_str(o, "sha256", &hash, &why) == -1 ||
	    manifest_sha256_check(hash, &why) == -1)
		goto out;
	f->size = (uint64_t)size;
	memcpy(f->sha256, hash, sizeof f->sha256);
	rc = 0;
out:
	if (rc == -1)
		xasprintf(cause, "file %zu: %s", i + 1, why);
	free(why);
	free(hash);
	return rc;
}

static int
parse_root(json_t *root, struct manifest *m, char **cause)
{
	json_t *files;
	json_int_t version;
	char *id = NULL;
	int rc = -1;

	if (!json_is_object(root)) {
		xasprintf(cause, "not a JSON object");
		return -1;
	}
	if (member_str(root, "package", &id, cause) == -1 ||
	    member_int(root, "version", 1, &version, cause) == -1 ||
	    member_str(root, "name", &m->name, cause) == -1)
		goto out;
	if (strlen(id) != MANIFEST_ID_LEN) {
		manifest_id_check(id, cause);
		goto out;
	}
	memcpy(m->package, id, sizeof m->package);
	m->version = version;
	if (!json_is_array(files = json_object_get(root, "files"))) {
		xasprintf(cause, "member \"files\": %s", files == NULL ?
		    "missing" : "not an array");
		goto out;
	}
	m->nfiles = json_array_size(files);
	m->files = xcalloc(m->nfiles ? m->nfiles : 1, sizeof *m->files);
	for (size_t i = 0; i < m->nfiles; i++)
		if (parse_file(json_array_get(files, i), i, &m->files[i],
		    cause) == -1)
			goto out;
	if (head_check(m, cause) == -1 || files_check(m, cause) == -1)
		goto out;
	rc = 0;
out:
	free(id);
	return rc;
}

int
manifest_parse(const char *buf, size_t len, struct manifest *m, char **cause)
{
	json_error_t e;
	json_t *root;
	int rc;

	*cause = NULL;
	memset(m, 0, sizeof *m);
	if ((root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e)) == NULL) {
		xasprintf(cause, "line %d, column %d: %s", e.line, e.column,
		    e.text);
		return -1;
	}
	rc = parse_root(root, m, cause);
	json_decref(root);
	return rc;
}

/* The whole file (at most MANIFEST_BYTES_MAX) into *buf; errno on -1. */
static int
read_small(const char *path, char **buf, size_t *len, char **cause)
{
	struct stat sb;
	ssize_t r;
	int fd;

	*buf = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 ||
	    fstat(fd, &sb) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > MANIFEST_BYTES_MAX) {
		xasprintf(cause, "%s: %s", path, !S_ISREG(sb.st_mode) ?
		    "not a regular file" : "larger than 256 MiB");
		goto fail;
	}
	*buf = xmalloc((size_t)sb.st_size + 1);
	for (*len = 0; *len < (size_t)sb.st_size; *len += (size_t)r)
		if ((r = read(fd, *buf + *len, (size_t)sb.st_size - *len)) <= 0) {
			if (r == -1 && errno == EINTR) {
				r = 0;
				continue;
			}
			xasprintf(cause, "%s: %s", path, r == 0 ? "the file"
			    " shrank while it was read" : strerror(errno));
			goto fail;
		}
	close(fd);
	return 0;
fail:
	if (fd != -1)
		close(fd);
	free(*buf);
	*buf = NULL;
	return -1;
}

int
manifest_load(const char *path, struct manifest *m, char **cause)
{
	char *buf = NULL, *why = NULL;
	size_t len = 0;
	int rc;

	*cause = NULL;
	memset(m, 0, sizeof *m);
	if (read_small(path, &buf, &len, cause) == -1)
		return -1;
	if ((rc = manifest_parse(buf, len, m, &why)) == -1) {
		xasprintf(cause, "%s: %s", path, why);
		free(why);
	}
	free(buf);
	return rc;
}

void
manifest_clear(struct manifest *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nfiles; i++)
		free(m->files[i].path);
	free(m->files);
	free(m->name);
	memset(m, 0, sizeof *m);
}
