/* daemon: pid file, detaching with a start-up report (daemon.h). */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "safetext.h"
#include "xmalloc.h"

int
daemon_pidfile_open(const char *prog, const char *path, char **cause)
{
	char buf[32];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0640)) == -1) {
		xasprintf(cause, "pid file %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		n = read(fd, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		xasprintf(cause, "another %s (pid %s) holds the pid file %s",
		    prog, buf[0] ? buf : "?", path);
		close(fd);
		return -1;
	}
	n = snprintf(buf, sizeof buf, "%d\n", (int)getpid());
	if (ftruncate(fd, 0) == -1 || write(fd, buf, n) != n) {
		xasprintf(cause, "pid file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void
daemon_pidfile_close(int fd, const char *path)
{
	if (fd == -1)
		return;
	unlink(path);
	close(fd);
}

static void
say(const char *prog, const char *msg)
{
	char *safe = safetext_message(msg);

	fprintf(stderr, "%s: %s\n", prog, safe);
	free(safe);
}

int
daemon_detach(const char *prog)
{
	char buf[1024];
	int p[2], status;
	ssize_t n, len = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		fprintf(stderr, "%s: detaching: %s\n", prog, strerror(errno));
		exit(1);
	}
	if (pid == 0) {
		close(p[0]);
		setsid();
		return p[1];
	}
	close(p[1]);
	while ((n = read(p[0], buf + len, sizeof buf - 1 - len)) > 0 ||
	    (n == -1 && errno == EINTR))
		if (n > 0)
			len += n;
	buf[len] = '\0';
	if (len > 0 && strncmp(buf, "OK ", 3) == 0) {
		printf("%s: started, pid %s\n", prog, buf + 3);
		exit(0);
	}
	if (len > 0) {
		say(prog, buf);
		exit(1);
	}
	waitpid(pid, &status, 0);
	fprintf(stderr, "%s: exited during start-up\n", prog);
	exit(1);
}

/* A short write: the parent reports a silent exit. */
static void
report(int fd, const char *msg)
{
	(void)!write(fd, msg, strlen(msg));
	close(fd);
}

void
daemon_started(int fd)
{
	char msg[32];
	int null;

	if (fd == -1)
		return;
	snprintf(msg, sizeof msg, "OK %d", (int)getpid());
	report(fd, msg);
	if ((null = open("/dev/null", O_RDWR)) == -1)
		return;
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	if (null > 2)
		close(null);
	(void)!chdir("/");
}

void
daemon_failed(int fd, const char *prog, const char *why)
{
	if (fd == -1)
		say(prog, why);
	else
		report(fd, why);
}

char *
daemon_absolute(const char *p)
{
	char cwd[PATH_MAX], *out;

	if (p[0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
		return xstrdup(p);
	xasprintf(&out, "%s/%s", cwd, p);
	return out;
}

char *
daemon_dir_of(const char *p)
{
	const char *slash = strrchr(p, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == p)
		return xstrdup("/");
	return xstrndup(p, (size_t)(slash - p));
}

int
daemon_mkdirs(const char *path, mode_t mode, char **cause)
{
	char *p, *s, c;
	int rc = 0;

	p = xstrdup(path);
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		c = *s;
		*s = '\0';
		if (mkdir(p, mode) == -1 && errno != EEXIST) {
			xasprintf(cause, "cannot create the directory %s: %s",
			    p, strerror(errno));
			rc = -1;
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}
