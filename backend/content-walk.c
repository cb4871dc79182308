/*
 * content-walk: a package's source folder, read before anything is
 * copied: its regular files with their paths by the manifest rules, or a
 * clear refusal naming what does not fit.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content-int.h"
#include "xmalloc.h"

struct walk {
	struct ehttp		*e;
	struct content_src	*src;
	size_t			 cap;
};

/* The kind of a file that is not regular, for a refusal. */
static const char *
kind(mode_t m)
{
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

static int
walk_refuse(struct walk *w, const char *rel, const char *why)
{
	return ehttp_fail(w->e, "source %s: %s: %s", w->src->root, rel, why);
}

/* Is path (a realpath) root itself or inside it? */
static int
inside(const char *path, const char *root)
{
	size_t n = strlen(root);

	return strncmp(path, root, n) == 0 && (path[n] == '\0' ||
	    path[n] == '/' || (n == 1 && root[0] == '/'));
}

/* A symbolic link: the regular file it names inside the folder, or a
 * refusal. *sb gets the file's stat. */
static int
walk_link(struct walk *w, const char *abs, const char *rel, struct stat *sb)
{
	char *target = realpath(abs, NULL), *why = NULL;
	int rc = -1;

	if (target == NULL)
		return walk_refuse(w, rel, errno == ENOENT ? "a symbolic link"
		    " to nothing" : strerror(errno));
	if (!inside(target, w->src->root)) {
		xasprintf(&why, "a symbolic link to %s, outside the source"
		    " folder", target);
		walk_refuse(w, rel, why);
	} else if (stat(target, sb) == -1)
		walk_refuse(w, rel, strerror(errno));
	else if (S_ISDIR(sb->st_mode))
		walk_refuse(w, rel, "a symbolic link to a folder (links to"
		    " folders are not followed)");
	else if (!S_ISREG(sb->st_mode))
		walk_refuse(w, rel, kind(sb->st_mode));
	else
		rc = 0;
	free(why);
	free(target);
	return rc;
}

static void
walk_add(struct walk *w, const char *rel, const char *abs, uint64_t size)
{
	struct content_src *s = w->src;

	s->files = xgrowarray(s->files, &w->cap, s->n, 64, sizeof *s->files);
	s->files[s->n].path = xstrdup(rel);
	s->files[s->n].abs = xstrdup(abs);
	s->files[s->n].size = size;
	s->n++;
	s->bytes += size;
}

static int	walk_dir(struct walk *, const char *abs, const char *rel);

/* One entry of a folder: a file added, a folder walked, or a refusal. */
static int
walk_entry(struct walk *w, const char *abs, const char *rel)
{
	char *cause = NULL;
	struct stat sb;

	if (manifest_path_check(rel, &cause) == -1) {
		ehttp_fail(w->e, "source %s: %s", w->src->root, cause);
		free(cause);
		return -1;
	}
	if (lstat(abs, &sb) == -1)
		return walk_refuse(w, rel, strerror(errno));
	if (S_ISDIR(sb.st_mode))
		return walk_dir(w, abs, rel);
	if (S_ISLNK(sb.st_mode) && walk_link(w, abs, rel, &sb) == -1)
		return -1;
	if (!S_ISREG(sb.st_mode))
		return walk_refuse(w, rel, kind(sb.st_mode));
	walk_add(w, rel, abs, (uint64_t)sb.st_size);
	return 0;
}

static int
walk_dir(struct walk *w, const char *abs, const char *rel)
{
	struct dirent *d;
	DIR *dp;
	char *a, *r;
	int rc = 0;

	if ((dp = opendir(abs)) == NULL)
		return walk_refuse(w, *rel ? rel : ".", strerror(errno));
	while (rc == 0 && (d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		xasprintf(&a, "%s/%s", abs, d->d_name);
		xasprintf(&r, "%s%s%s", rel, *rel ? "/" : "", d->d_name);
		rc = walk_entry(w, a, r);
		free(a);
		free(r);
	}
	closedir(dp);
	return rc;
}

static int
src_cmp(const void *a, const void *b)
{
	return strcmp(((const struct content_src_file *)a)->path,
	    ((const struct content_src_file *)b)->path);
}

/* Neither may hold the other: the library is no source, and a source
 * holding the library would copy it into itself. */
static int
walk_apart(struct walk *w, const char *croot)
{
	char *real;
	int rc = 0;

	if ((real = realpath(croot, NULL)) == NULL)
		return 0;	/* not made yet: it holds nothing */
	if (inside(w->src->root, real))
		rc = ehttp_fail(w->e, "source %s: inside the content root %s",
		    w->src->root, real);
	else if (inside(real, w->src->root))
		rc = ehttp_fail(w->e, "source %s: holds the content root %s",
		    w->src->root, real);
	free(real);
	return rc;
}

int
content_walk(struct ehttp *e, const char *source, const char *croot,
    struct content_src *src)
{
	struct walk w = { .e = e, .src = src };
	struct stat sb;

	memset(src, 0, sizeof *src);
	if ((src->root = realpath(source, NULL)) == NULL ||
	    stat(src->root, &sb) == -1)
		return ehttp_fail(e, "source folder %s: %s", source,
		    strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return ehttp_fail(e, "source %s: not a folder", source);
	if (strlen(src->root) >= sizeof ((struct db_package *)0)->source)
		return ehttp_fail(e, "source %s: a path longer than %zu bytes",
		    source, sizeof ((struct db_package *)0)->source - 1);
	if (walk_apart(&w, croot) == -1 || walk_dir(&w, src->root, "") == -1)
		return -1;
	if (src->n == 0)
		return ehttp_fail(e, "source %s: no files (a package needs at"
		    " least one)", src->root);
	qsort(src->files, src->n, sizeof *src->files, src_cmp);
	return 0;
}

void
content_src_clear(struct content_src *src)
{
	for (size_t i = 0; i < src->n; i++) {
		free(src->files[i].path);
		free(src->files[i].abs);
	}
	free(src->files);
	free(src->root);
	memset(src, 0, sizeof *src);
}
