/* outfile: write a user-named file safely (rules in outfile.h). */
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "outfile.h"
#include "xmalloc.h"

#define OUTFILE_TRIES	16

static int __attribute__((format(printf, 4, 5)))
outfile_fail(int saved, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

/* An existing character device or FIFO: write through, never remove. */
static int
outfile_write_through(const char *path, const void *data, size_t len,
    char *err, size_t errlen)
{
	struct stat sb;
	int fd, saved;

	if ((fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC)) == -1)
		return outfile_fail(errno, err, errlen, "%s: %s", path,
		    strerror(errno));
	if (fstat(fd, &sb) == -1 || !(S_ISCHR(sb.st_mode) ||
	    S_ISFIFO(sb.st_mode))) {
		/* Replaced by a file since the check: nothing was written to
		 * it (no O_TRUNC); do not start now. */
		saved = errno ? errno : EAGAIN;
		close(fd);
		return outfile_fail(saved, err, errlen, "%s: changed while it"
		    " was being opened; nothing written", path);
	}
	if (fd_write_all(fd, data, len) == -1) {
		saved = errno;
		close(fd);
		return outfile_fail(saved, err, errlen, "%s: %s", path,
		    strerror(saved));
	}
	if (close(fd) == -1 && errno != EINTR)
		return outfile_fail(errno, err, errlen, "%s: %s", path,
		    strerror(errno));
	return 0;
}

/* Best effort: make the new directory entry durable. */
static void
outfile_sync_dir(const char *dir)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	(void)fsync(fd);
	close(fd);
}

/* rename(2) that never replaces an existing target. */
static int
outfile_rename_new(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* A file system without RENAME_NOREPLACE: link() never replaces. */
	if (link(from, to) == -1)
		return -1;
	(void)unlink(from);
	return 0;
}

/*
 * Write data to target through a temporary file in its directory. old is
 * the target's stat (NULL: the target must not exist).
 */
static int
outfile_replace(const char *target, const void *data, size_t len, int flags,
    const struct stat *old, struct outfile_made *made, char *err,
    size_t errlen)
{
	char *copy = NULL, *dir, tmp[PATH_MAX];
	const char *base;
	mode_t mode = (flags & OUTFILE_SECRET) ? 0600 : 0644;
	struct stat sb;
	uint64_t rnd;
	int fd = -1, rc = -1, saved = 0, made_tmp = 0;

	copy = xstrdup(target);
	dir = dirname(copy);
	base = strrchr(target, '/');
	base = base == NULL ? target : base + 1;
	for (int i = 0; i < OUTFILE_TRIES && fd == -1; i++) {
		rnd = 0;
		if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
			rnd = (uint64_t)getpid() << 32 | (uint64_t)i;
		if (snprintf(tmp, sizeof tmp, "%s/.%s.%016llx.tmp", dir, base,
		    (unsigned long long)rnd) >= (int)sizeof tmp) {
			saved = ENAMETOOLONG;
			snprintf(err, errlen, "%s: %s", target,
			    strerror(saved));
			goto out;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC | O_NOCTTY, mode);
		if (fd == -1 && errno != EEXIST) {
			saved = errno;
			snprintf(err, errlen, "%s: cannot create a file in %s:"
			    " %s", target, dir, strerror(saved));
			goto out;
		}
	}
	if (fd == -1) {
		saved = EEXIST;
		snprintf(err, errlen, "%s: no free temporary name in %s", target,
		    dir);
		goto out;
	}
	made_tmp = 1;
	/* Exact modes: a key 0600 whatever the umask; a replaced file keeps
	 * its permissions (and, for root, its owner). */
	if (old != NULL) {
		if (geteuid() == 0 &&
		    fchown(fd, old->st_uid, old->st_gid) == -1) {
			saved = errno;
			snprintf(err, errlen, "%s: cannot keep its owner: %s",
			    target, strerror(saved));
			goto out;
		}
		mode = old->st_mode & 0777;
	}
	if (((flags & OUTFILE_SECRET) || old != NULL) &&
	    fchmod(fd, mode) == -1) {
		saved = errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(saved));
		goto out;
	}
	if (fd_write_all(fd, data, len) == -1 || fsync(fd) == -1 ||
	    fstat(fd, &sb) == -1) {
		saved = errno;
		snprintf(err, errlen, "%s: %s", target, strerror(saved));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		saved = errno;
		snprintf(err, errlen, "%s: %s", target, strerror(saved));
		goto out;
	}
	fd = -1;
	if ((old == NULL ? outfile_rename_new(tmp, target) :
	    rename(tmp, target)) == -1) {
		saved = errno;
		snprintf(err, errlen, "%s: %s%s", target, strerror(saved),
		    saved == EEXIST ? " (created by someone else meanwhile)" :
		    "");
		goto out;
	}
	made_tmp = 0;
	outfile_sync_dir(dir);
	if (made != NULL && old == NULL) {
		made->created = 1;
		made->dev = sb.st_dev;
		made->ino = sb.st_ino;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (made_tmp)
		unlink(tmp);	/* ours: created O_EXCL above */
	free(copy);
	if (rc == -1)
		errno = saved;
	return rc;
}

int
outfile_write(const char *path, const void *data, size_t len, int flags,
    struct outfile_made *made, char *err, size_t errlen)
{
	struct stat lsb, sb;
	char *real = NULL;
	int rc, secret = (flags & OUTFILE_SECRET) != 0;

	if (made != NULL)
		memset(made, 0, sizeof *made);
	if (path == NULL || *path == '\0')
		return outfile_fail(EINVAL, err, errlen, "empty file name");
	if (lstat(path, &lsb) == -1) {
		if (errno != ENOENT)
			return outfile_fail(errno, err, errlen, "%s: %s", path,
			    strerror(errno));
		return outfile_replace(path, data, len, flags, NULL, made,
		    err, errlen);
	}
	if (S_ISLNK(lsb.st_mode) && secret)
		return outfile_fail(EEXIST, err, errlen, "%s: is a symbolic"
		    " link (a private key is never written through a link)",
		    path);
	if (secret)
		return outfile_fail(EEXIST, err, errlen, "%s: %s (a key is"
		    " never overwritten; remove it first)", path,
		    strerror(EEXIST));
	if (stat(path, &sb) == -1)
		return outfile_fail(errno, err, errlen, "%s: %s%s", path,
		    strerror(errno), errno == ENOENT ? " (a symbolic link to a"
		    " missing file)" : "");
	if (S_ISCHR(sb.st_mode) || S_ISFIFO(sb.st_mode))
		return outfile_write_through(path, data, len, err, errlen);
	if (!S_ISREG(sb.st_mode))
		return outfile_fail(S_ISDIR(sb.st_mode) ? EISDIR : EINVAL, err,
		    errlen, "%s: is %s; refusing to write it", path,
		    S_ISDIR(sb.st_mode) ? "a directory" : S_ISBLK(sb.st_mode) ?
		    "a block device" : "not a regular file");
	if (flags & OUTFILE_NOREPLACE)
		return outfile_fail(EEXIST, err, errlen, "%s: %s", path,
		    strerror(EEXIST));
	if (!S_ISLNK(lsb.st_mode))
		return outfile_replace(path, data, len, flags, &sb, made, err,
		    errlen);
	/* Through a link: replace the file it names; the link stays. */
	if ((real = realpath(path, NULL)) == NULL)
		return outfile_fail(errno, err, errlen, "%s: %s", path,
		    strerror(errno));
	rc = outfile_replace(real, data, len, flags, &sb, made, err, errlen);
	free(real);
	return rc;
}

int
outfile_key_path(const char *path, char *key, size_t len, char *err,
    size_t errlen)
{
	static const char *const system[] = { "/dev", "/proc", "/sys" };
	struct stat st;
	char *copy, dir[PATH_MAX];
	int found;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file: the private"
		    " key goes beside the certificate's file (FILE.key), so"
		    " the certificate must go to a file", path);
		return -1;
	}
	if (snprintf(key, len, "%s.key", path) >= (int)len) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	/* /dev/stdout redirected to a file is a regular file: its key would
	 * still be /dev/stdout.key. */
	copy = xstrdup(path);
	found = realpath(dirname(copy), dir) != NULL;
	free(copy);
	/* A folder that is not there: the write fails and says so. */
	for (size_t i = 0; found && i < sizeof system / sizeof *system; i++) {
		size_t n = strlen(system[i]);

		if (strncmp(dir, system[i], n) == 0 && (dir[n] == '\0' ||
		    dir[n] == '/')) {
			snprintf(err, errlen, "%s: the private key would go to"
			    " %s, beside it (FILE.key): give a file elsewhere",
			    path, key);
			return -1;
		}
	}
	return 0;
}

void
outfile_undo(const char *path, const struct outfile_made *made)
{
	struct stat sb;

	if (made == NULL || !made->created)
		return;
	if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    sb.st_dev == made->dev && sb.st_ino == made->ino)
		(void)unlink(path);
}
