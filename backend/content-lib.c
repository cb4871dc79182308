/*
 * content-lib: a content library on disk (layout and rules: content.h).
 * Only the one command holding the library's lock writes it; readers (the
 * agent) see a package exactly when its manifest is there.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca.h"
#include "content-int.h"
#include "fdio.h"
#include "xmalloc.h"

#define LIB_BUF		(1u << 20)	/* read and hash in 1 MiB pieces */
#define LIB_CHUNK	(8u << 20)	/* copy_file_range() per call */
#define LIB_DIR_MODE	0755
#define LIB_FILE_MODE	0644
#define TMP_PREFIX	".tmp-"

struct content_lib {
	struct ehttp	*e;
	char		*dir;
	int		 lockfd;
	unsigned char	*buf;			/* LIB_BUF bytes */
	unsigned char	 touched[65536 / 8];	/* FileLib/<4> folders changed */
	int		 filelib_touched;	/* FileLib got a new folder */
	const char	*what;
	uint64_t	 done, total;
};

static int
lib_errno(struct content_lib *l, const char *path, const char *doing)
{
	return ehttp_fail(l->e, "%s%s%s: %s", doing, *doing ? " " : "", path,
	    strerror(errno));
}

/* The caller's progress; a non-zero return cancels. */
static int
lib_advance(struct content_lib *l, uint64_t n)
{
	struct ehttp *e = l->e;

	l->done += n;
	if (l->done > l->total)
		l->total = l->done;
	if (e->progress != NULL && e->progress(l->what, (size_t)l->done,
	    (size_t)l->total, e->progress_arg) != 0) {
		e->cancelled = 1;
		return ehttp_fail(e, "cancelled");
	}
	return 0;
}

void
content_lib_progress(struct content_lib *l, const char *what, uint64_t total)
{
	l->what = what;
	l->done = 0;
	l->total = total;
}

const char *
content_lib_dir(const struct content_lib *l)
{
	return l->dir;
}

/* fsync a folder (a rename or a new name in it made durable). */
static int
dir_sync(struct content_lib *l, const char *dir)
{
	int fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return lib_errno(l, dir, "cannot open folder");
	rc = fsync(fd);
	close(fd);
	return rc == -1 ? lib_errno(l, dir, "cannot sync folder") : 0;
}

/* A folder and the missing ones above it, each new one 0755 whatever the
 * umask and made durable in its parent. 1 made, 0 it was there, -1. */
static int
dir_make(struct content_lib *l, const char *path)
{
	char *copy, *slash;
	struct stat sb;
	int rc = -1;

	if (stat(path, &sb) == 0) {
		if (S_ISDIR(sb.st_mode))
			return 0;
		errno = ENOTDIR;
		return lib_errno(l, path, "cannot use");
	}
	copy = xstrdup(path);
	if ((slash = strrchr(copy, '/')) != NULL && slash != copy) {
		*slash = '\0';
		if (dir_make(l, copy) == -1)
			goto out;
	}
	if (mkdir(path, LIB_DIR_MODE) == -1 && errno != EEXIST) {
		lib_errno(l, path, "cannot create folder");
		goto out;
	}
	if (chmod(path, LIB_DIR_MODE) == -1) {
		lib_errno(l, path, "cannot set the mode of");
		goto out;
	}
	rc = slash != NULL && slash != copy ? dir_sync(l, copy) : 0;
	if (rc == 0)
		rc = 1;
out:
	free(copy);
	return rc;
}

static char *
lib_path(const struct content_lib *l, const char *rel)
{
	char *p;

	xasprintf(&p, "%s/%s", l->dir, rel);
	return p;
}

int
content_lib_open(struct ehttp *e, const char *dir, struct content_lib **out)
{
	struct content_lib *l = xcalloc(1, sizeof *l);
	char *p = NULL;

	*out = NULL;
	l->e = e;
	l->dir = xstrdup(dir);
	l->lockfd = -1;
	if (dir_make(l, l->dir) == -1)
		goto fail;
	p = lib_path(l, ".lock");
	if ((l->lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    LIB_FILE_MODE)) == -1) {
		lib_errno(l, p, "cannot open the lock");
		goto fail;
	}
	if (flock(l->lockfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			ehttp_fail(e, "content library %s is being written by"
			    " another command (an add, update, distribute or"
			    " remove still running): try again when it ends",
			    l->dir);
		else
			lib_errno(l, p, "cannot lock");
		goto fail;
	}
	free(p);
	p = lib_path(l, "FileLib");
	if (dir_make(l, p) == -1)
		goto fail;
	free(p);
	p = lib_path(l, "PkgLib");
	if (dir_make(l, p) == -1)
		goto fail;
	free(p);
	l->buf = xmalloc(LIB_BUF);
	*out = l;
	return 0;
fail:
	free(p);
	content_lib_close(l);
	return -1;
}

int
content_lib_writing(const char *dir, int *fd)
{
	char *p;

	xasprintf(&p, "%s/.lock", dir);
	*fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(p);
	if (*fd == -1)
		return errno == ENOENT ? 0 : -1;
	if (flock(*fd, LOCK_SH | LOCK_NB) == 0)
		return 0;
	close(*fd);
	*fd = -1;
	return errno == EWOULDBLOCK ? 1 : -1;
}

void
content_lib_close(struct content_lib *l)
{
	if (l == NULL)
		return;
	if (l->lockfd != -1)
		close(l->lockfd);	/* the lock goes with it */
	free(l->buf);
	free(l->dir);
	free(l);
}

/* Temporary files of a killed command in folder dir. */
static int
sweep_dir(struct content_lib *l, const char *dir)
{
	struct dirent *d;
	DIR *dp;
	char *p;
	int rc = 0;

	if ((dp = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : lib_errno(l, dir, "cannot read");
	while ((d = readdir(dp)) != NULL) {
		if (strncmp(d->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) != 0)
			continue;
		xasprintf(&p, "%s/%s", dir, d->d_name);
		if (unlink(p) == -1 && errno != ENOENT)
			rc = lib_errno(l, p, "cannot remove");
		free(p);
	}
	closedir(dp);
	return rc;
}

/* Is name 4 (a FileLib folder) or 64 (a file) lower-case hex digits? */
static int
hex_name(const char *name, size_t len)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		    (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return i == len;
}

/* Call fn for each FileLib/<4> folder. */
static int
each_filelib_dir(struct content_lib *l, int (*fn)(struct content_lib *,
    const char *, void *), void *arg)
{
	struct dirent *d;
	DIR *dp;
	char *top = lib_path(l, "FileLib"), *p;
	int rc = 0;

	if ((dp = opendir(top)) == NULL) {
		rc = lib_errno(l, top, "cannot read");
		free(top);
		return rc;
	}
	while (rc == 0 && (d = readdir(dp)) != NULL) {
		if (!hex_name(d->d_name, 4))
			continue;
		xasprintf(&p, "%s/%s", top, d->d_name);
		rc = fn(l, p, arg);
		free(p);
	}
	closedir(dp);
	free(top);
	return rc;
}

static int
sweep_one(struct content_lib *l, const char *dir, void *arg)
{
	return sweep_dir(l, dir);
}

int
content_lib_sweep(struct content_lib *l)
{
	char *p = lib_path(l, "PkgLib");
	int rc;

	rc = sweep_dir(l, p);
	free(p);
	if (rc == 0)
		rc = each_filelib_dir(l, sweep_one, NULL);
	return rc;
}

/* The SHA-256 of what fd holds from its start (size bytes expected). */
static int
hash_fd(struct content_lib *l, int fd, const char *path, uint64_t *size,
    char sha256[65])
{
	struct ca *ca = ca_new();
	struct ca_sha256 *h = NULL;
	uint64_t n = 0;
	ssize_t r;
	int rc = -1;

	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if ((h = ca_sha256_new(ca)) == NULL) {
		ehttp_fail(l->e, "%s: %s", path, ca_error(ca));
		goto out;
	}
	for (;;) {
		if ((r = pread(fd, l->buf, LIB_BUF, (off_t)n)) == -1) {
			if (errno == EINTR)
				continue;
			lib_errno(l, path, "cannot read");
			goto out;
		}
		if (r == 0)
			break;
		if (ca_sha256_update(ca, h, l->buf, (size_t)r) == -1) {
			ehttp_fail(l->e, "%s: %s", path, ca_error(ca));
			goto out;
		}
		n += (uint64_t)r;
		if (lib_advance(l, (uint64_t)r) == -1)
			goto out;
	}
	if (ca_sha256_final(ca, h, sha256) == -1) {
		ehttp_fail(l->e, "%s: %s", path, ca_error(ca));
		goto out;
	}
	*size = n;
	rc = 0;
out:
	ca_sha256_free(h);
	ca_free(ca);
	return rc;
}

int
content_lib_hash(struct content_lib *l, const char *path, uint64_t *size,
    char sha256[65])
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return lib_errno(l, path, "cannot open");
	rc = hash_fd(l, fd, path, size, sha256);
	close(fd);
	return rc;
}

/* The rest of in to out by read and write (copy_file_range refused). */
static int
copy_rw(struct content_lib *l, int in, int out, const char *src,
    const char *dst, uint64_t *done)
{
	ssize_t r;

	for (;;) {
		if ((r = read(in, l->buf, LIB_BUF)) == -1) {
			if (errno == EINTR)
				continue;
			return lib_errno(l, src, "cannot read");
		}
		if (r == 0)
			return 0;
		if (fd_write_all(out, l->buf, (size_t)r) == -1)
			return lib_errno(l, dst, "cannot write");
		*done += (uint64_t)r;
		if (lib_advance(l, (uint64_t)r) == -1)
			return -1;
	}
}

/* All of in (size bytes) to out, in the kernel where it can. */
static int
copy_fd(struct content_lib *l, int in, int out, uint64_t size,
    const char *src, const char *dst)
{
	uint64_t done = 0, want;
	ssize_t r;

	while (done < size) {
		want = size - done < LIB_CHUNK ? size - done : LIB_CHUNK;
		r = copy_file_range(in, NULL, out, NULL, (size_t)want, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && done == 0 && (errno == EXDEV ||
		    errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL))
			break;		/* not between these files: by hand */
		if (r == -1)
			return lib_errno(l, dst, "cannot copy to");
		if (r == 0)
			return ehttp_fail(l->e, "%s: the file shrank while it"
			    " was copied", src);
		done += (uint64_t)r;
		if (lib_advance(l, (uint64_t)r) == -1)
			return -1;
	}
	if (done == 0 && size > 0 && copy_rw(l, in, out, src, dst, &done) == -1)
		return -1;
	if (done != size)
		return ehttp_fail(l->e, "%s: %s while it was copied", src,
		    done < size ? "the file shrank" : "the file grew");
	return 0;
}

static void
touch(struct content_lib *l, const char *sha256)
{
	unsigned v = (unsigned)strtoul((char [5]){ sha256[0], sha256[1],
	    sha256[2], sha256[3], '\0' }, NULL, 16);

	l->touched[v >> 3] |= (unsigned char)(1u << (v & 7));
}

/* Is the file of sha256 there with size bytes? 1, 0, -1. */
static int
lib_has(struct content_lib *l, const char *path, uint64_t size)
{
	struct stat sb;

	if (lstat(path, &sb) == -1)
		return errno == ENOENT ? 0 : lib_errno(l, path, "cannot stat");
	return S_ISREG(sb.st_mode) && (uint64_t)sb.st_size == size;
}

/* src copied to the temporary file fd (tmp), checked, made durable. */
static int
store_copy(struct content_lib *l, const char *src, int fd, const char *tmp,
    uint64_t size, const char *sha256)
{
	char got[65];
	uint64_t n = 0;
	int in, rc = -1;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1)
		return lib_errno(l, src, "cannot open");
	(void)posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (copy_fd(l, in, fd, size, src, tmp) == -1)
		goto out;
	if (fsync(fd) == -1) {
		lib_errno(l, tmp, "cannot write");
		goto out;
	}
	/* The copy itself, read back, must be what the manifest will name. */
	if (hash_fd(l, fd, tmp, &n, got) == -1)
		goto out;
	if (n != size || strcmp(got, sha256) != 0) {
		ehttp_fail(l->e, "%s: its copy does not match: %llu bytes of"
		    " SHA-256 %s, want %llu bytes of %s (the file changed"
		    " while it was copied, or is damaged)", src,
		    (unsigned long long)n, got, (unsigned long long)size,
		    sha256);
		goto out;
	}
	rc = 0;
out:
	close(in);
	return rc;
}

/* A temporary file (TMP_PREFIX) in dir: its descriptor and *tmp (its
 * name, malloc'ed), or -1. */
static int
tmp_open(struct content_lib *l, const char *dir, char **tmp)
{
	int fd;

	xasprintf(tmp, "%s/" TMP_PREFIX "XXXXXX", dir);
	if ((fd = mkostemp(*tmp, O_CLOEXEC)) == -1)
		lib_errno(l, dir, "cannot create a file in");
	return fd;
}

/* A temporary file's end, closed either way: written (ok), it is made
 * 0644 and renamed to final (0); else, or if that fails, removed (-1). */
static int
tmp_commit(struct content_lib *l, int fd, const char *tmp, const char *final,
    int ok)
{
	if (ok && fchmod(fd, LIB_FILE_MODE) == -1) {
		lib_errno(l, tmp, "cannot set the mode of");
		ok = 0;
	} else if (ok && rename(tmp, final) == -1) {
		lib_errno(l, final, "cannot rename into place");
		ok = 0;
	}
	close(fd);
	if (!ok)
		unlink(tmp);
	return ok ? 0 : -1;
}

int
content_lib_store(struct content_lib *l, const char *src, uint64_t size,
    const char *sha256, struct ehttp_content_result *r)
{
	char *final = manifest_file_path(l->dir, sha256), *dir = NULL;
	char *tmp = NULL;
	int fd, rc = -1, has, made;

	if ((has = lib_has(l, final, size)) == -1)
		goto out;
	if (has) {
		r->present++;
		rc = lib_advance(l, 2 * size);
		goto out;
	}
	xasprintf(&dir, "%s/FileLib/%.4s", l->dir, sha256);
	if ((made = dir_make(l, dir)) == -1)
		goto out;
	if (made)
		l->filelib_touched = 1;
	if ((fd = tmp_open(l, dir, &tmp)) == -1 || tmp_commit(l, fd, tmp,
	    final, store_copy(l, src, fd, tmp, size, sha256) == 0) == -1)
		goto out;
	touch(l, sha256);
	r->copied++;
	r->copied_bytes += (int64_t)size;
	rc = 0;
out:
	free(tmp);
	free(dir);
	free(final);
	return rc;
}

int
content_lib_sync(struct content_lib *l)
{
	char *p;
	int rc = 0;

	for (unsigned v = 0; v < 65536 && rc == 0; v++) {
		if (!(l->touched[v >> 3] & (1u << (v & 7))))
			continue;
		xasprintf(&p, "%s/FileLib/%04x", l->dir, v);
		rc = dir_sync(l, p);
		free(p);
	}
	if (rc == 0 && l->filelib_touched) {
		p = lib_path(l, "FileLib");
		rc = dir_sync(l, p);
		free(p);
	}
	if (rc == 0) {
		memset(l->touched, 0, sizeof l->touched);
		l->filelib_touched = 0;
	}
	return rc;
}

int
content_lib_manifest_write(struct content_lib *l, struct manifest *m)
{
	char *text = NULL, *cause = NULL, *tmp = NULL, *final = NULL;
	char *dir = lib_path(l, "PkgLib");
	size_t len = 0;
	int fd, ok, rc = -1;

	if ((text = manifest_format(m, &len, &cause)) == NULL) {
		ehttp_fail(l->e, "manifest of %s: %s", m->package, cause);
		goto out;
	}
	final = manifest_pkg_path(l->dir, m->package);
	if ((fd = tmp_open(l, dir, &tmp)) == -1)
		goto out;
	if ((ok = fd_write_all(fd, text, len) == 0 && fsync(fd) == 0) == 0)
		lib_errno(l, tmp, "cannot write");
	if (tmp_commit(l, fd, tmp, final, ok) == 0)
		rc = dir_sync(l, dir);
out:
	free(text);
	free(cause);
	free(tmp);
	free(final);
	free(dir);
	return rc;
}

int
content_lib_manifest_remove(struct content_lib *l, const char *id)
{
	char *p = manifest_pkg_path(l->dir, id), *dir;
	int rc;

	if (unlink(p) == -1) {
		rc = errno == ENOENT ? 0 : lib_errno(l, p, "cannot remove");
		free(p);
		return rc;
	}
	free(p);
	dir = lib_path(l, "PkgLib");
	rc = dir_sync(l, dir) == -1 ? -1 : 1;
	free(dir);
	return rc;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
content_lib_ids(struct content_lib *l, char ***ids, size_t *n)
{
	char *dir = lib_path(l, "PkgLib"), **v = NULL, *why = NULL;
	struct dirent *d;
	size_t cap = 0, len;
	DIR *dp;

	*ids = NULL;
	*n = 0;
	if ((dp = opendir(dir)) == NULL) {
		lib_errno(l, dir, "cannot read");
		free(dir);
		return -1;
	}
	while ((d = readdir(dp)) != NULL) {
		len = strlen(d->d_name);
		if (len != MANIFEST_ID_LEN + 5 ||
		    strcmp(d->d_name + MANIFEST_ID_LEN, ".json") != 0)
			continue;
		v = xgrowarray(v, &cap, *n, 16, sizeof *v);
		v[*n] = xstrndup(d->d_name, MANIFEST_ID_LEN);
		if (manifest_id_check(v[*n], &why) == -1) {
			free(why);
			why = NULL;
			free(v[*n]);
			continue;
		}
		(*n)++;
	}
	closedir(dp);
	free(dir);
	if (*n > 1)
		qsort(v, *n, sizeof *v, str_cmp);
	*ids = v;
	return 0;
}

/* The hashes every manifest names, sorted (GC). */
struct refs {
	char	(*v)[65];
	size_t	 n, cap;
};

static int
hash_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int
gc_refs(struct content_lib *l, struct refs *refs)
{
	struct manifest m;
	char **ids = NULL, *cause = NULL;
	size_t n = 0;
	int rc = 0;

	if (content_lib_ids(l, &ids, &n) == -1)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (manifest_read(l->dir, ids[i], &m, NULL, &cause) < 0) {
			ehttp_note(l->e, EHTTP_NOTE_WARNING, "%s: every file of"
			    " the library was kept: the manifest of %s: %s",
			    l->dir, ids[i], cause);
			rc = 1;
		}
		for (size_t k = 0; rc == 0 && k < m.nfiles; k++) {
			refs->v = xgrowarray(refs->v, &refs->cap, refs->n, 64,
			    sizeof *refs->v);
			memcpy(refs->v[refs->n++], m.files[k].sha256, 65);
		}
		manifest_clear(&m);
		free(cause);
		cause = NULL;
	}
	strv_free(ids, n);
	if (rc == 0 && refs->n > 1)
		qsort(refs->v, refs->n, sizeof *refs->v, hash_cmp);
	return rc;
}

struct gc {
	struct refs			 refs;
	struct ehttp_content_result	*r;
};

static int
gc_dir(struct content_lib *l, const char *dir, void *arg)
{
	struct gc *g = arg;
	struct dirent *d;
	DIR *dp;
	char *p;
	int rc = 0;

	if ((dp = opendir(dir)) == NULL)
		return lib_errno(l, dir, "cannot read");
	while (rc == 0 && (d = readdir(dp)) != NULL) {
		if (!hex_name(d->d_name, 64) || (g->refs.n > 0 &&
		    bsearch(d->d_name, g->refs.v, g->refs.n, sizeof *g->refs.v,
		    hash_cmp) != NULL))
			continue;
		xasprintf(&p, "%s/%s", dir, d->d_name);
		if (unlink(p) == -1 && errno != ENOENT)
			rc = lib_errno(l, p, "cannot remove");
		else
			g->r->removed++;
		free(p);
	}
	closedir(dp);
	(void)rmdir(dir);	/* only when empty */
	return rc;
}

int
content_lib_gc(struct content_lib *l, struct ehttp_content_result *r)
{
	struct gc g = { .r = r };
	int rc;

	if ((rc = gc_refs(l, &g.refs)) == 0)
		rc = each_filelib_dir(l, gc_dir, &g);
	free(g.refs.v);
	return rc == 1 ? 0 : rc;
}
