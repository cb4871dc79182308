/*
 * dp-lib: a DP's content library (dp.h): where it is, its manifests
 * cached, its files opened.
 *
 * The cache holds each package's manifest as last read with the identity
 * of the file it came from (device, inode, size, modification and change
 * times, from fstat of the descriptor read). A request stats the
 * manifest's path and uses the cached manifest while the identity is the
 * same; a manifest replaced (a rename: a new inode) or rewritten is read
 * again, a removed one drops the package. A refused manifest is cached too,
 * with its reason, so that it is parsed and logged once, not per request.
 * Reading and parsing happen outside the lock: requests for other packages
 * do not wait for a large manifest.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dp-int.h"
#include "xmalloc.h"

#define DP_CACHE_MAX	4096	/* packages; the least used go first */

struct dp_entry {
	char			 pkg[DP_PKGID_LEN + 1];
	dev_t			 dev;
	ino_t			 ino;
	off_t			 size;
	struct timespec		 mtime;
	struct timespec		 ctime;
	struct dp_manifest	*m;		/* NULL: refused */
	char			*cause;		/* why refused */
	uint64_t		 used;		/* the lookup it was last used by */
};

struct dp_lib {
	char			*dir;
	pthread_mutex_t		 lock;
	struct dp_entry		*ents;
	size_t			 n, cap;
	uint64_t		 clock;		/* lookups so far */
	uint64_t		 swept;		/* the clock at the last sweep */
};

struct dp_lib *
dp_lib_new(const char *dir)
{
	struct dp_lib *l = xcalloc(1, sizeof *l);

	if (pthread_mutex_init(&l->lock, NULL) != 0) {
		free(l);
		return NULL;
	}
	l->dir = xstrdup(dir);
	return l;
}

static void
dp_entry_clear(struct dp_entry *e)
{
	dp_manifest_free(e->m);
	free(e->cause);
}

void
dp_lib_free(struct dp_lib *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		dp_entry_clear(&l->ents[i]);
	free(l->ents);
	free(l->dir);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

const char *
dp_lib_dir(const struct dp_lib *l)
{
	return l->dir;
}

static int
dp_same_file(const struct dp_entry *e, const struct stat *st)
{
	return e->dev == st->st_dev && e->ino == st->st_ino &&
	    e->size == st->st_size &&
	    e->mtime.tv_sec == st->st_mtim.tv_sec &&
	    e->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	    e->ctime.tv_sec == st->st_ctim.tv_sec &&
	    e->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

/* With the lock held. */
static struct dp_entry *
dp_lib_find(struct dp_lib *l, const char *pkg)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->ents[i].pkg, pkg) == 0)
			return &l->ents[i];
	return NULL;
}

static void
dp_lib_drop(struct dp_lib *l, struct dp_entry *e)
{
	dp_entry_clear(e);
	*e = l->ents[--l->n];
}

/* A cached entry's answer (lock held); *first is left alone. */
static int
dp_entry_answer(struct dp_lib *l, struct dp_entry *e,
    struct dp_manifest **out, char **cause)
{
	e->used = ++l->clock;
	if (e->m == NULL) {
		*cause = xstrdup(e->cause);
		return -1;
	}
	*out = dp_manifest_ref(e->m);
	return 1;
}

/* Read the manifest of pkg: 0 with *m (or *m NULL and *why: refused)
 * and its file's identity in *st, -1 not there, -2 unreadable (*why). */
static int
dp_manifest_load(const char *dir, const char *pkg, struct stat *st,
    struct dp_manifest **m, char **why)
{
	struct manifest *read = xcalloc(1, sizeof *read);
	int rc;

	*m = NULL;
	rc = manifest_read(dir, pkg, read, st, why);
	if (rc == 1)
		*m = dp_manifest_of(read, st->st_mtim.tv_sec);
	else {
		manifest_clear(read);
		free(read);
	}
	return rc == 1 ? 0 : rc == 0 ? -1 : rc == -1 ? 0 : -2;
}

/* Keep what was read (lock held): a new entry, or the one another
 * request stored meanwhile. */
static struct dp_entry *
dp_lib_store(struct dp_lib *l, const char *pkg, const struct stat *st,
    struct dp_manifest *m, char *why)
{
	struct dp_entry *e = dp_lib_find(l, pkg);

	if (e != NULL) {
		dp_entry_clear(e);
	} else {
		if (l->n == DP_CACHE_MAX) {	/* the least used goes */
			size_t old = 0;

			for (size_t i = 1; i < l->n; i++)
				if (l->ents[i].used < l->ents[old].used)
					old = i;
			dp_lib_drop(l, &l->ents[old]);
		}
		l->ents = xgrowarray(l->ents, &l->cap, l->n, 16,
		    sizeof *l->ents);
		e = &l->ents[l->n++];
	}
	memset(e, 0, sizeof *e);
	snprintf(e->pkg, sizeof e->pkg, "%s", pkg);
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->size = st->st_size;
	e->mtime = st->st_mtim;
	e->ctime = st->st_ctim;
	e->m = m;
	e->cause = why;
	return e;
}

int
dp_lib_manifest(struct dp_lib *l, const char *pkg, struct dp_manifest **out,
    char **cause, int *first)
{
	struct dp_manifest *m;
	struct dp_entry *e;
	struct stat st;
	char *path, *why;
	int rc;

	*out = NULL;
	*cause = NULL;
	*first = 0;
	path = manifest_pkg_path(l->dir, pkg);
	if (stat(path, &st) == -1) {
		if (errno != ENOENT) {
			xasprintf(cause, "cannot read %s: %s", path,
			    strerror(errno));
			free(path);
			return -1;
		}
		pthread_mutex_lock(&l->lock);
		if ((e = dp_lib_find(l, pkg)) != NULL)
			dp_lib_drop(l, e);	/* removed from the DP */
		pthread_mutex_unlock(&l->lock);
		free(path);
		return 0;
	}
	pthread_mutex_lock(&l->lock);
	if ((e = dp_lib_find(l, pkg)) != NULL && dp_same_file(e, &st)) {
		rc = dp_entry_answer(l, e, out, cause);
		pthread_mutex_unlock(&l->lock);
		free(path);
		return rc;
	}
	pthread_mutex_unlock(&l->lock);

	free(path);
	rc = dp_manifest_load(l->dir, pkg, &st, &m, &why);
	if (rc == -1)
		return 0;
	if (rc == -2) {		/* unreadable now: not cached */
		*cause = why;
		return -1;
	}
	pthread_mutex_lock(&l->lock);
	if ((e = dp_lib_find(l, pkg)) != NULL && dp_same_file(e, &st)) {
		/* Another request read the same file meanwhile. */
		dp_manifest_free(m);
		free(why);
	} else {
		e = dp_lib_store(l, pkg, &st, m, why);
		*first = m == NULL;
	}
	rc = dp_entry_answer(l, e, out, cause);
	pthread_mutex_unlock(&l->lock);
	return rc;
}

int
dp_lib_open(struct dp_lib *l, const struct dp_file *f, char **cause)
{
	struct stat st;
	char *path;
	int fd;

	*cause = NULL;
	path = manifest_file_path(l->dir, f->sha256);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s (%s): %s", f->path, path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1)
		xasprintf(cause, "%s (%s): %s", f->path, path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		xasprintf(cause, "%s (%s): not a regular file", f->path, path);
	else if ((uint64_t)st.st_size != f->size)
		xasprintf(cause, "%s (%s): %lld bytes, the manifest says %llu",
		    f->path, path, (long long)st.st_size,
		    (unsigned long long)f->size);
	if (*cause != NULL) {
		close(fd);
		fd = -1;
	}
out:
	free(path);
	return fd;
}

void
dp_lib_sweep(struct dp_lib *l)
{
	pthread_mutex_lock(&l->lock);
	for (size_t i = 0; i < l->n; )
		if (l->ents[i].used <= l->swept)
			dp_lib_drop(l, &l->ents[i]);
		else
			i++;
	l->swept = l->clock;
	pthread_mutex_unlock(&l->lock);
}

size_t
dp_lib_cached(struct dp_lib *l)
{
	size_t n;

	pthread_mutex_lock(&l->lock);
	n = l->n;
	pthread_mutex_unlock(&l->lock);
	return n;
}
