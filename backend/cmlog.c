/* CMTrace log writer: one write() per record, rolled to .lo_ at a size. */

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmlog.h"
#include "safetext.h"
#include "timefmt.h"
#include "xmalloc.h"

#define CMLOG_OPEN_MARK		"<![LOG["
#define CMLOG_CLOSE_MARK	"]LOG]!>"
#define CMLOG_MARK_LEN		7
#define CMLOG_OPEN_SUBST	"&lt;![LOG["
#define CMLOG_CLOSE_SUBST	"]LOG]!&gt;"
#define CMLOG_SUBST_LEN		10
#define CMLOG_MODE		0640

struct cmlog {
	pthread_mutex_t	 lock;
	int		 fd;
	char		*path;
	char		*rolled;
	size_t		 max_size;
	int		 torn;		/* the file may end inside a record */
	char		 error[256];
};

static void __attribute__((format(printf, 2, 3)))
cmlog_set_cause(char **cause, const char *fmt, ...)
{
	va_list ap;

	if (cause == NULL)
		return;
	va_start(ap, fmt);
	xvasprintf(cause, fmt, ap);
	va_end(ap);
}

const char *
cmlog_type_name(int type)
{
	switch (type) {
	case CMLOG_TYPE_INFO:
		return "info";
	case CMLOG_TYPE_WARNING:
		return "warning";
	case CMLOG_TYPE_ERROR:
		return "error";
	case CMLOG_TYPE_NONE:
		return "none";
	case CMLOG_TYPE_MALFORMED:
		return "malformed";
	default:
		return "other";
	}
}

/*
 * Copy message text into out (room for 4 * len bytes, see the header for
 * the rules) and return the length written.
 */
static size_t
cmlog_text_sanitise(const char *in, size_t len, char *out)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0, used;

	while (i < len) {
		if (s[i] == ']' && len - i >= CMLOG_MARK_LEN &&
		    memcmp(s + i, CMLOG_CLOSE_MARK, CMLOG_MARK_LEN) == 0) {
			memcpy(out + o, CMLOG_CLOSE_SUBST, CMLOG_SUBST_LEN);
			o += CMLOG_SUBST_LEN;
			i += CMLOG_MARK_LEN;
		} else if (s[i] == '<' && len - i >= CMLOG_MARK_LEN &&
		    memcmp(s + i, CMLOG_OPEN_MARK, CMLOG_MARK_LEN) == 0) {
			memcpy(out + o, CMLOG_OPEN_SUBST, CMLOG_SUBST_LEN);
			o += CMLOG_SUBST_LEN;
			i += CMLOG_MARK_LEN;
		} else if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0') {
			if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
				i++;
			out[o++] = ' ';
			i++;
		} else {
			/* Every other unsafe character escaped (safetext.h). */
			o += safetext_char(in + i, len - i, &used, out + o);
			i += used;
		}
	}
	return o;
}

/* An attribute value for component/file: see the header. */
static void
cmlog_field_sanitise(const char *in, char out[CMLOG_FIELD_MAX + 1])
{
	char e[SAFETEXT_CHAR_MAX];
	size_t i = 0, o = 0, len = strlen(in), used, k;

	while (i < len) {
		if (in[i] == '"' || in[i] == '\r' || in[i] == '\n') {
			i++;
			continue;
		}
		k = safetext_char(in + i, len - i, &used, e);
		if (o + k > CMLOG_FIELD_MAX)
			break;
		memcpy(out + o, e, k);
		o += k;
		i += used;
	}
	out[o] = '\0';
}

char *
cmlog_rolled_name(const char *path)
{
	const char *base, *dot;
	size_t len = strlen(path);
	char *name;

	base = strrchr(path, '/');
	base = base == NULL ? path : base + 1;
	dot = strrchr(base, '.');
	if (dot == NULL || dot[1] == '\0' || path[len - 1] == '_') {
		name = xmalloc(len + 2);
		memcpy(name, path, len);
		name[len] = '_';
		name[len + 1] = '\0';
	} else {
		name = xstrdup(path);
		name[len - 1] = '_';
	}
	return name;
}

/*
 * Open path for appending: never through a symbolic link (the agent runs as
 * root in a directory others may write), only a regular file (or a
 * character device such as /dev/null), not one linked elsewhere, and for
 * root only its own file. -1 with errno and the reason in err.
 */
static int
cmlog_open_fd(const char *path, char *err, size_t errsz)
{
	struct stat sb;
	const char *why = NULL;
	int fd, saved;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    O_NOCTTY | O_NONBLOCK, CMLOG_MODE);
	if (fd == -1) {
		saved = errno;
		snprintf(err, errsz, "%s: %s", path, saved == ELOOP ?
		    "is a symbolic link; a log is never written through a link" :
		    strerror(saved));
		errno = saved;
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		saved = errno;
		snprintf(err, errsz, "fstat %s: %s", path, strerror(saved));
		close(fd);
		errno = saved;
		return -1;
	}
	if (S_ISREG(sb.st_mode)) {
		if (sb.st_nlink > 1)
			why = "has other hard links; refusing to write it";
		else if (geteuid() == 0 && sb.st_uid != 0)
			why = "is not owned by root; refusing to write it as root";
	} else if (!S_ISCHR(sb.st_mode))
		why = "is not a regular file; refusing to write it";
	if (why != NULL) {
		snprintf(err, errsz, "%s: %s", path, why);
		close(fd);
		errno = EPERM;
		return -1;
	}
	/* Blocking writes from here on (O_NONBLOCK only kept open() of a
	 * FIFO from waiting for a reader). */
	if (fcntl(fd, F_SETFL, O_APPEND) == -1) {
		saved = errno;
		snprintf(err, errsz, "%s: %s", path, strerror(saved));
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

struct cmlog *
cmlog_open(const char *path, size_t max_size, char **cause)
{
	struct cmlog *log = NULL;
	char err[PATH_MAX + 128];
	int fd = -1;

	if (cause != NULL)
		*cause = NULL;
	if (path == NULL || *path == '\0') {
		cmlog_set_cause(cause, "empty log path");
		errno = EINVAL;
		goto out;
	}
	if ((fd = cmlog_open_fd(path, err, sizeof err)) == -1) {
		cmlog_set_cause(cause, "%s", err);
		goto out;
	}
	log = xmalloc(sizeof *log);
	memset(log, 0, sizeof *log);
	if (pthread_mutex_init(&log->lock, NULL) != 0)
		abort();
	log->fd = fd;
	fd = -1;
	log->path = xstrdup(path);
	log->rolled = cmlog_rolled_name(path);
	log->max_size = max_size;
out:
	if (fd != -1)
		close(fd);
	return log;
}

void
cmlog_close(struct cmlog *log)
{
	if (log == NULL)
		return;
	if (log->fd != -1)
		close(log->fd);
	pthread_mutex_destroy(&log->lock);
	free(log->path);
	free(log->rolled);
	free(log);
}

const char *
cmlog_error(const struct cmlog *log)
{
	return log->error;
}

/* Replace log->fd by a fresh descriptor for log->path. Mutex held. */
static int
cmlog_reopen(struct cmlog *log, char *err, size_t errsz)
{
	int fd;

	if ((fd = cmlog_open_fd(log->path, err, errsz)) == -1)
		return -1;
	close(log->fd);
	log->fd = fd;
	return 0;
}

/*
 * With rolling on: take flock() on the current file, following a roll done
 * by another process, and roll first if len more bytes would not fit. On
 * success the caller holds flock() on log->fd. Mutex held.
 */
static int
cmlog_roll_lock(struct cmlog *log, size_t len, char *err, size_t errsz)
{
	struct stat sp, sf;
	int ret = -1, flocked = 0, saved = 0;

	for (;;) {
		if (flock(log->fd, LOCK_EX) == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			snprintf(err, errsz, "flock %s: %s", log->path,
			    strerror(saved));
			goto out;
		}
		flocked = 1;
		if (fstat(log->fd, &sf) == -1) {
			saved = errno;
			snprintf(err, errsz, "fstat %s: %s", log->path,
			    strerror(saved));
			goto out;
		}
		if (!S_ISREG(sf.st_mode))
			break;		/* /dev/null and the like: no roll */
		if (lstat(log->path, &sp) == -1 || sp.st_dev != sf.st_dev ||
		    sp.st_ino != sf.st_ino) {
			/* Rolled (or removed) by someone else: follow it. */
			flock(log->fd, LOCK_UN);
			flocked = 0;
			if (cmlog_reopen(log, err, errsz) == -1) {
				saved = errno;
				goto out;
			}
			continue;
		}
		if (sf.st_size == 0 ||
		    (uint64_t)sf.st_size + len <= (uint64_t)log->max_size)
			break;
		if (rename(log->path, log->rolled) == -1) {
			saved = errno;
			snprintf(err, errsz, "rename %s to %s: %s", log->path,
			    log->rolled, strerror(saved));
			goto out;
		}
		flock(log->fd, LOCK_UN);
		flocked = 0;
		if (cmlog_reopen(log, err, errsz) == -1) {
			saved = errno;
			goto out;
		}
	}
	ret = 0;
out:
	if (ret == -1) {
		if (flocked)
			flock(log->fd, LOCK_UN);
		errno = saved;
	}
	return ret;
}

static int __attribute__((format(printf, 5, 0)))
cmlog_vwrite(struct cmlog *log, int type, const char *component,
    const char *file_line, const char *fmt, va_list ap)
{
	char small[512], *msg = small, *rec = NULL, err[256];
	char comp[CMLOG_FIELD_MAX + 1], file[CMLOG_FIELD_MAX + 1];
	const char *start;
	struct timespec ts;
	struct stat sf;
	char when[TIMEFMT_LEN], date[TIMEFMT_LEN];
	va_list ap2;
	size_t len, cap, o, want;
	ssize_t n;
	int ret = -1, saved = 0, locked = 0, flocked = 0, regular, m;

	err[0] = '\0';
	va_copy(ap2, ap);
	if (type < CMLOG_TYPE_INFO || type > CMLOG_TYPE_ERROR) {
		saved = EINVAL;
		snprintf(err, sizeof err, "bad record type %d", type);
		goto out;
	}
	if ((m = vsnprintf(small, sizeof small, fmt, ap)) < 0) {
		saved = errno;
		snprintf(err, sizeof err, "bad log format: %s",
		    strerror(saved));
		goto out;
	}
	if ((size_t)m >= sizeof small) {
		msg = xmalloc((size_t)m + 1);
		vsnprintf(msg, (size_t)m + 1, fmt, ap2);
	}
	len = (size_t)m;

	cmlog_field_sanitise(component == NULL ? "" : component, comp);
	if (comp[0] == '\0')
		strcpy(comp, "ehttp");
	cmlog_field_sanitise(file_line == NULL ? "" : file_line, file);

	clock_gettime(CLOCK_REALTIME, &ts);
	timefmt_ms(when, sizeof when, ts.tv_sec, (int)(ts.tv_nsec / 1000000L),
	    TIMEFMT_CMTRACE_TIME);
	timefmt(date, sizeof date, ts.tv_sec, TIMEFMT_CMTRACE_DATE);

	/* Text may grow 4x ("\\xNN"); the attribute block is bounded. */
	/* rec[0] is room for a line break ending a torn record (below). */
	cap = 4 * len + 513;
	rec = xmalloc(cap);
	rec[0] = '\n';
	memcpy(rec + 1, CMLOG_OPEN_MARK, CMLOG_MARK_LEN);
	o = 1 + CMLOG_MARK_LEN;
	o += cmlog_text_sanitise(msg, len, rec + o);
	m = snprintf(rec + o, cap - o, CMLOG_CLOSE_MARK
	    "<time=\"%s\" date=\"%s\""
	    " component=\"%s\" context=\"\" type=\"%d\" thread=\"%ld\""
	    " file=\"%s\">\n", when, date, comp, type, (long)gettid(), file);
	if (m < 0 || (size_t)m >= cap - o)
		abort();	/* cap is computed above: a bug */
	o += (size_t)m;

	pthread_mutex_lock(&log->lock);
	locked = 1;
	if (log->max_size != 0) {
		if (cmlog_roll_lock(log, o, err, sizeof err) == -1) {
			saved = errno;
			goto out;
		}
		flocked = 1;
	} else {
		while ((m = flock(log->fd, LOCK_EX)) == -1 && errno == EINTR)
			;
		flocked = m == 0;
	}
	/*
	 * Where this record starts: a failed or short write (disk full) is
	 * cut back to it, so no torn record stays in the file and the next
	 * one starts on a line of its own. Writers of this log in other
	 * processes wait on flock(), so the end cannot move under us.
	 */
	regular = fstat(log->fd, &sf) == 0 && S_ISREG(sf.st_mode);
	start = log->torn ? rec : rec + 1;
	want = log->torn ? o : o - 1;
	do
		n = write(log->fd, start, want);
	while (n == -1 && errno == EINTR);
	if (n == -1 || (size_t)n != want) {
		saved = n == -1 ? errno : ENOSPC;
		if (n == -1)
			snprintf(err, sizeof err, "write %s: %s", log->path,
			    strerror(saved));
		else
			snprintf(err, sizeof err, "write %s: short write (%zd of"
			    " %zu bytes)", log->path, n, want);
		if (n > 0 && (!regular || ftruncate(log->fd, sf.st_size) == -1))
			log->torn = 1;	/* the next record starts a line */
		goto out;
	}
	log->torn = 0;
	ret = 0;
out:
	va_end(ap2);
	if (flocked)
		flock(log->fd, LOCK_UN);
	if (ret == -1) {
		if (!locked)
			pthread_mutex_lock(&log->lock);
		locked = 1;
		memcpy(log->error, err, sizeof log->error);
	}
	if (locked)
		pthread_mutex_unlock(&log->lock);
	if (msg != small)
		free(msg);
	free(rec);
	if (ret == -1)
		errno = saved;
	return ret;
}

int
cmlog_write(struct cmlog *log, int type, const char *component,
    const char *file_line, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = cmlog_vwrite(log, type, component, file_line, fmt, ap);
	va_end(ap);
	return ret;
}
