#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

int
tu_wants(int argc, char **argv, const char *m)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], m) == 0)
			return 1;
	return 0;
}

char *
tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (asprintf(&p, "%s/ehttp-test.XXXXXX", base) == -1)
		abort();
	if (mkdtemp(p) == NULL)
		abort();
	return p;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

void
tu_tmpdir_free(char *dir)
{
	if (dir == NULL)
		return;
	if (getenv("EHTTP_KEEP_TMP") == NULL)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

char *
tu_demo_db(char *db, size_t len)
{
	char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
	int rc;

	snprintf(db, len, "%s/site.db", dir);
	rc = tu_ctl(db, &out, &err, "init", "--demo", NULL);
	if (rc != 0)
		fprintf(stderr, "tu_demo_db: ehttpctl init --demo: exit %d: %s",
		    rc, err);
	free(out);
	free(err);
	if (rc != 0) {
		tu_tmpdir_free(dir);
		return NULL;
	}
	return dir;
}

const char *
tu_bin(const char *name)
{
	static char buf[4096];

	snprintf(buf, sizeof buf, "%s/%s", EHTTP_BINDIR, name);
	return buf;
}

static char *
slurp_fd(int fd)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;

	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	return buf;
}

int
tu_run(char *const argv[], char **out, char **err)
{
	char tmpl_o[] = "/tmp/ehttp-out.XXXXXX", tmpl_e[] = "/tmp/ehttp-err.XXXXXX";
	int fo, fe, status;
	pid_t pid;

	if ((fo = mkstemp(tmpl_o)) == -1 || (fe = mkstemp(tmpl_e)) == -1)
		abort();
	unlink(tmpl_o);
	unlink(tmpl_e);
	if ((pid = fork()) == -1)
		abort();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		dup2(devnull, 0);
		dup2(fo, 1);
		dup2(fe, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			abort();
	lseek(fo, 0, SEEK_SET);
	lseek(fe, 0, SEEK_SET);
	if (out != NULL)
		*out = slurp_fd(fo);
	if (err != NULL)
		*err = slurp_fd(fe);
	close(fo);
	close(fe);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int
tu_sh(char **out, char **err, const char *fmt, ...)
{
	char *cmd;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) == -1)
		abort();
	va_end(ap);
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	rc = tu_run(argv, out, err);
	free(cmd);
	return rc;
}

int
tu_ctl(const char *db, char **out, char **err, ...)
{
	char *argv[64];
	int argc = 0, rc;
	va_list ap;
	char *a;

	argv[argc++] = strdup(tu_bin("ehttpctl"));
	argv[argc++] = "--db";
	argv[argc++] = (char *)db;
	va_start(ap, err);
	while ((a = va_arg(ap, char *)) != NULL && argc < 63)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	rc = tu_run(argv, out, err);
	free(argv[0]);
	return rc;
}

char *
tu_read_file(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if ((buf = malloc(n + 1)) == NULL)
		abort();
	if (fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	if (lenp != NULL)
		*lenp = n;
	return buf;
}

int
tu_write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return -1;
	if (fwrite(data, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

int
tu_count(const char *hay, const char *needle)
{
	int n = 0;
	size_t nl = strlen(needle);

	if (hay == NULL || nl == 0)
		return 0;
	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += nl;
	}
	return n;
}
