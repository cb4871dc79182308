/* manifest: a content library's layout and manifests (rules: manifest.h). */
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

/* ---------------------------------------------------------------- where */

char *
manifest_content_root(const char *opt, const char *dir)
{
	const char *env = getenv("EHTTP_CONTENT");
	char *root;

	if (opt != NULL)
		return xstrdup(opt);
	if (env != NULL && *env != '\0')
		return xstrdup(env);
	xasprintf(&root, "%s/content", dir);
	return root;
}

char *
manifest_lib_dir(const char *root, enum manifest_lib kind, const char *name)
{
	char *p;

	xasprintf(&p, "%s/%s/%s", root, kind == MANIFEST_LIB_DP ? "dp" :
	    "site", name);
	return p;
}

char *
manifest_pkg_path(const char *lib, const char *id)
{
	char *p;

	xasprintf(&p, "%s/PkgLib/%s.json", lib, id);
	return p;
}

char *
manifest_file_path(const char *lib, const char *sha256)
{
	char *p;

	xasprintf(&p, "%s/FileLib/%.4s/%s", lib, sha256, sha256);
	return p;
}

/* ---------------------------------------------------------------- rules */

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

const char *
manifest_id_fault(const char *id)
{
	size_t i;

	if (strlen(id) != MANIFEST_ID_LEN)
		return "must be a site code and 5 hexadecimal digits (e.g."
		    " P01000A3)";
	for (i = 0; i < 3; i++)
		if (!((id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= '0' && id[i] <= '9')))
			return "must start with a site code (A-Z, 0-9)";
	for (; i < MANIFEST_ID_LEN; i++)
		if (!((id[i] >= 'A' && id[i] <= 'F') ||
		    (id[i] >= '0' && id[i] <= '9')))
			return "must end with 5 upper-case hexadecimal digits";
	return NULL;
}

int
manifest_id_check(const char *id, char **cause)
{
	const char *why = manifest_id_fault(id);

	return why == NULL ? 0 : refuse(cause, "package id", id, why);
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

/* Why path breaks its rule (a static sentence), or NULL. */
static const char *
manifest_path_fault(const char *path)
{
	size_t n = strlen(path), seg;
	const char *p, *slash;

	if (n == 0)
		return "empty";
	if (n > MANIFEST_PATH_MAX)
		return "longer than 1024 bytes";
	if (text_clean(path, n) == -1)
		return "not printable UTF-8 (a control character or an invalid"
		    " byte)";
	if (path[0] == '/')
		return "starts with '/' (must be relative)";
	for (p = path; ; p = slash + 1) {
		slash = strchr(p, '/');
		seg = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (seg == 0)
			return "an empty segment ('//' or a trailing '/')";
		if (seg == 1 && p[0] == '.')
			return "a '.' segment";
		if (seg == 2 && p[0] == '.' && p[1] == '.')
			return "a '..' segment";
		if (slash == NULL)
			return NULL;
	}
}

int
manifest_path_check(const char *path, char **cause)
{
	const char *why = manifest_path_fault(path);

	return why == NULL ? 0 : refuse(cause, "file path", *path ? path :
	    NULL, why);
}

/* Why h is no SHA-256 in lower-case hex (a static sentence), or NULL. */
static const char *
manifest_sha256_fault(const char *h)
{
	size_t i;

	for (i = 0; h[i] != '\0' && i < 64; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' &&
		    h[i] <= 'f')))
			break;
	if (i != 64 || h[i] != '\0')
		return "must be 64 lower-case hexadecimal digits";
	return NULL;
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

/* The first file whose path is >= key (files sorted). */
static size_t
lower_bound(const struct manifest *m, const char *key)
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

/* Does folder path hold files (the first in *at)? Files sorted. */
static int
folder_has_files(const struct manifest *m, const char *path, size_t *at)
{
	char *folder;
	size_t i;
	int found;

	xasprintf(&folder, "%s/", path);
	i = lower_bound(m, folder);
	found = i < m->nfiles && strncmp(m->files[i].path, folder,
	    strlen(folder)) == 0;
	free(folder);
	*at = i;
	return found;
}

enum manifest_kind
manifest_find(const struct manifest *m, const char *path, size_t *at)
{
	size_t i;

	*at = 0;
	if (*path == '\0')
		return MANIFEST_FOLDER;
	i = lower_bound(m, path);
	if (i < m->nfiles && strcmp(m->files[i].path, path) == 0) {
		*at = i;
		return MANIFEST_FILE;
	}
	return folder_has_files(m, path, &i) ? MANIFEST_FOLDER : MANIFEST_NONE;
}

/* "files[i].<key>" for a message. */
static const char *
file_what(char *buf, size_t len, size_t i, const char *key)
{
	snprintf(buf, len, "files[%zu]%s%s", i, *key ? "." : "", key);
	return buf;
}

/* The files as they are (sorted or not): every rule but the order. */
static int
files_check(const struct manifest *m, char **cause)
{
	const char *why;
	char what[48];
	size_t j;

	for (size_t i = 0; i < m->nfiles; i++) {
		const struct manifest_file *f = &m->files[i];

		if ((why = manifest_path_fault(f->path)) != NULL)
			return refuse(cause, file_what(what, sizeof what, i,
			    "path"), *f->path ? f->path : NULL, why);
		if ((why = manifest_sha256_fault(f->sha256)) != NULL)
			return refuse(cause, file_what(what, sizeof what, i,
			    "sha256"), f->sha256, why);
		if (f->size > INT64_MAX)
			return refuse(cause, file_what(what, sizeof what, i,
			    "size"), NULL, "out of range");
		if (i > 0 && strcmp(m->files[i - 1].path, f->path) >= 0)
			return refuse(cause, file_what(what, sizeof what, i,
			    "path"), f->path, strcmp(m->files[i - 1].path,
			    f->path) == 0 ? "listed twice" : "not sorted by"
			    " path");
	}
	/* A name is a file or a folder, not both. */
	for (size_t i = 0; i < m->nfiles; i++)
		if (folder_has_files(m, m->files[i].path, &j)) {
			char *why2;

			xasprintf(&why2, "a file and the folder of files[%zu]",
			    j);
			refuse(cause, file_what(what, sizeof what, i, "path"),
			    m->files[i].path, why2);
			free(why2);
			return -1;
		}
	return 0;
}

static int
head_check(const struct manifest *m, char **cause)
{
	if (manifest_id_check(m->package, cause) == -1)
		return -1;
	if (m->version < 1) {
		xasprintf(cause, "version: %lld is out of range (\"version\""
		    " is a whole number from 1)", (long long)m->version);
		return -1;
	}
	return 0;
}

/* Sort the files by path, then check every rule. */
static int
manifest_check(struct manifest *m, char **cause)
{
	*cause = NULL;
	if (m->nfiles > 1)
		qsort(m->files, m->nfiles, sizeof *m->files, file_cmp);
	if (head_check(m, cause) == -1 ||
	    manifest_name_check(m->name != NULL ? m->name : "", cause) == -1)
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

/* A string member of o (at: "" or "files[3]." for the message); -1 if it
 * is missing, not a string or holds a NUL. */
static int
member_str(json_t *o, const char *at, const char *key, const char **out,
    char **cause)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v)) {
		xasprintf(cause, "%s%s: %s", at, key, v == NULL ? "missing" :
		    "not a string");
		return -1;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		xasprintf(cause, "%s%s: holds a NUL character", at, key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

static int
member_int(json_t *o, const char *at, const char *key, json_int_t lo,
    json_int_t *out, char **cause)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v)) {
		xasprintf(cause, "%s%s: %s", at, key, v == NULL ? "missing" :
		    "not a whole number");
		return -1;
	}
	if (json_integer_value(v) < lo) {
		xasprintf(cause, "%s%s: %lld is out of range (\"%s\" is a whole"
		    " number from %lld)", at, key,
		    (long long)json_integer_value(v), key, (long long)lo);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

static int
parse_file(json_t *o, size_t i, struct manifest_file *f, char **cause)
{
	const char *path, *hash, *why;
	char at[48];
	json_int_t size;

	file_what(at, sizeof at - 1, i, "");
	if (!json_is_object(o)) {
		xasprintf(cause, "%s: not an object", at);
		return -1;
	}
	strcat(at, ".");
	if (member_str(o, at, "path", &path, cause) == -1 ||
	    member_int(o, at, "size", 0, &size, cause) == -1 ||
	    member_str(o, at, "sha256", &hash, cause) == -1)
		return -1;
	if ((why = manifest_sha256_fault(hash)) != NULL)
		return refuse(cause, file_what(at, sizeof at, i, "sha256"),
		    hash, why);
	f->path = xstrdup(path);
	f->size = (uint64_t)size;
	memcpy(f->sha256, hash, sizeof f->sha256);
	return 0;
}

/* The package member, checked against id (not NULL). */
static int
parse_package(json_t *root, const char *id, struct manifest *m,
    char **cause)
{
	const char *pkg;

	if (member_str(root, "", "package", &pkg, cause) == -1 ||
	    manifest_id_check(pkg, cause) == -1)
		return -1;
	if (id != NULL && strcmp(pkg, id) != 0) {
		xasprintf(cause, "package: the manifest of package %s, not %s"
		    " (the file's name)", pkg, id);
		return -1;
	}
	memcpy(m->package, pkg, sizeof m->package);
	return 0;
}

static int
parse_root(json_t *root, const char *id, struct manifest *m, char **cause)
{
	json_t *files;
	json_int_t version;
	const char *name;

	if (!json_is_object(root)) {
		xasprintf(cause, "not a JSON object");
		return -1;
	}
	if (parse_package(root, id, m, cause) == -1 ||
	    member_int(root, "", "version", 1, &version, cause) == -1 ||
	    member_str(root, "", "name", &name, cause) == -1)
		return -1;
	m->version = version;
	m->name = xstrdup(name);
	if (!json_is_array(files = json_object_get(root, "files"))) {
		xasprintf(cause, "files: %s", files == NULL ? "missing" :
		    "not an array");
		return -1;
	}
	m->files = xcalloc(json_array_size(files) + 1, sizeof *m->files);
	for (size_t i = 0; i < json_array_size(files); i++, m->nfiles++)
		if (parse_file(json_array_get(files, i), i, &m->files[i],
		    cause) == -1)
			return -1;
	return files_check(m, cause);
}

int
manifest_parse(const char *buf, size_t len, const char *id,
    struct manifest *m, char **cause)
{
	json_error_t e;
	json_t *root;
	char text[256];
	int rc;

	*cause = NULL;
	memset(m, 0, sizeof *m);
	if ((root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e)) == NULL) {
		/* jansson quotes the input near the error: escaped. */
		safetext_copy(text, sizeof text, e.text, (size_t)-1);
		xasprintf(cause, "not JSON: line %d, column %d: %s", e.line,
		    e.column, text);
		return -1;
	}
	rc = parse_root(root, id, m, cause);
	json_decref(root);
	return rc;
}

/* The whole file (at most MANIFEST_BYTES_MAX) into *buf: 0, -1 refused,
 * -2 unreadable now. */
static int
read_small(int fd, const char *path, struct stat *sb, char **buf,
    size_t *len, char **cause)
{
	ssize_t r;

	*buf = NULL;
	if (fstat(fd, sb) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -2;
	}
	if (!S_ISREG(sb->st_mode) || sb->st_size > MANIFEST_BYTES_MAX) {
		xasprintf(cause, "%s: %s", path, !S_ISREG(sb->st_mode) ?
		    "not a regular file" : "larger than 256 MiB");
		return -1;
	}
	*buf = xmalloc((size_t)sb->st_size + 1);
	for (*len = 0; *len < (size_t)sb->st_size; *len += (size_t)r)
		if ((r = read(fd, *buf + *len, (size_t)sb->st_size - *len)) <= 0) {
			if (r == -1 && errno == EINTR) {
				r = 0;
				continue;
			}
			xasprintf(cause, "%s: %s", path, r == 0 ? "the file"
			    " shrank while it was read" : strerror(errno));
			free(*buf);
			*buf = NULL;
			return -2;
		}
	return 0;
}

int
manifest_read(const char *lib, const char *id, struct manifest *m,
    struct stat *st, char **cause)
{
	struct stat sb = { 0 };
	char *path, *buf = NULL;
	size_t len = 0;
	int fd, rc;

	*cause = NULL;
	memset(m, 0, sizeof *m);
	path = manifest_pkg_path(lib, id);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		rc = errno == ENOENT ? 0 : -2;
		if (rc == -2)
			xasprintf(cause, "%s: %s", path, strerror(errno));
		free(path);
		return rc;
	}
	if ((rc = read_small(fd, path, &sb, &buf, &len, cause)) == 0)
		rc = manifest_parse(buf, len, id, m, cause) == 0 ? 1 : -1;
	if (st != NULL)
		*st = sb;
	close(fd);
	free(buf);
	free(path);
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
