/*
 * libFuzzer target: ehttpctl's argument parsing and commands, in process
 * (cli_main), on a demo database in a private directory.
 *
 * Input: the arguments, separated by NUL bytes (argv[0] is added). An
 * argument holding '/' is not run: every path the commands get is then a
 * name inside the private directory, so the fuzzer cannot write anywhere
 * else (--db, --out, import-pki files). EHTTP_DB names the demo database.
 * Each run has the private directory as its working directory. The sites
 * use EC P-256 keys so enabling enhanced HTTP stays fast. The
 * directory is put back to its first state every RESET_EVERY runs.
 *
 * Checked beyond "no crash": the exit code is 0, 1 or 2; failures say
 * something on stderr; "PRIVATE KEY" never reaches stdout or stderr unless
 * the arguments hold it (keys only go to files, with --with-key).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
	__FILE__, __LINE__, #x); abort(); } } while (0)

#define MAX_ARGS	24
#define RESET_EVERY	400

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char sandbox[256], pristine[256];
static unsigned long runs;
static int sandbox_fd = -1, home_fd = -1;

static int
run(int argc, char **argv, char **out, char **err)
{
	size_t olen = 0, elen = 0;
	FILE *fo, *fe;
	int rc;

	*out = *err = NULL;
	fo = open_memstream(out, &olen);
	fe = open_memstream(err, &elen);
	CHECK(fo != NULL && fe != NULL);
	rc = cli_main(argc, argv, fo, fe);
	CHECK(fclose(fo) == 0 && fclose(fe) == 0);
	return rc;
}

static void
run_ok(const char *a1, const char *a2, const char *a3, const char *a4,
    const char *a5)
{
	char *argv[] = { "ehttpctl", (char *)a1, (char *)a2, (char *)a3,
	    (char *)a4, (char *)a5, NULL };
	char *out, *err;
	int argc = 1;

	while (argv[argc] != NULL)
		argc++;
	if (run(argc, argv, &out, &err) != 0) {
		fprintf(stderr, "fuzz-cli setup: %s %s: %s\n", a1, a2, err);
		abort();
	}
	free(out);
	free(err);
}

static void
copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	int in, o;
	ssize_t n;

	CHECK((in = open(from, O_RDONLY)) != -1);
	CHECK((o = open(to, O_WRONLY | O_CREAT | O_TRUNC, mode)) != -1);
	while ((n = read(in, buf, sizeof buf)) > 0)
		CHECK(write(o, buf, (size_t)n) == n);
	CHECK(n == 0);
	close(in);
	close(o);
}

/* Remove every entry of a directory (files only: no argument holds '/'). */
static void
empty_dir(const char *path)
{
	char a[512];
	struct dirent *d;
	DIR *dir;

	if ((dir = opendir(path)) == NULL)
		return;
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		snprintf(a, sizeof a, "%s/%s", path, d->d_name);
		if (unlink(a) == -1)
			rmdir(a);
	}
	closedir(dir);
}

/* Empty the sandbox and put the demo database and its key back. */
static void
reset(void)
{
	char a[512], b[512];

	empty_dir(sandbox);
	snprintf(a, sizeof a, "%s/site.db", pristine);
	snprintf(b, sizeof b, "%s/site.db", sandbox);
	copy_file(a, b, 0600);
	snprintf(a, sizeof a, "%s/site.db.master-key", pristine);
	snprintf(b, sizeof b, "%s/site.db.master-key", sandbox);
	copy_file(a, b, 0600);
}

/* At the end of a run (libFuzzer exits normally): leave nothing behind. */
static void
cleanup(void)
{
	empty_dir(sandbox);
	rmdir(sandbox);
	empty_dir(pristine);
	rmdir(pristine);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	char db[512];
	static const char *const sites[] = { "CAS", "P01", "P02", "S01" };

	snprintf(pristine, sizeof pristine, "%s/ehttp-fuzz-cli.XXXXXX", base);
	CHECK(mkdtemp(pristine) != NULL);
	snprintf(sandbox, sizeof sandbox, "%s/run", pristine);
	CHECK(mkdir(sandbox, 0700) == 0);
	atexit(cleanup);
	snprintf(db, sizeof db, "%s/site.db", pristine);
	CHECK(setenv("EHTTP_DB", db, 1) == 0);
	CHECK(setenv("SUDO_USER", "fuzz", 1) == 0);
	run_ok("init", "--demo", NULL, NULL, NULL);
	for (size_t i = 0; i < sizeof sites / sizeof *sites; i++)
		run_ok("site", "set", sites[i], "--key-alg", "ec-p256");
	snprintf(db, sizeof db, "%s/site.db", sandbox);
	CHECK(setenv("EHTTP_DB", db, 1) == 0);
	reset();
	/* Each run is in the sandbox; libFuzzer's own paths stay relative
	 * to where it was started. */
	CHECK((sandbox_fd = open(sandbox, O_RDONLY | O_DIRECTORY)) != -1);
	CHECK((home_fd = open(".", O_RDONLY | O_DIRECTORY)) != -1);
	fprintf(stderr, "fuzz-cli: sandbox %s\n", sandbox);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[MAX_ARGS + 2], *out, *err;
	int argc = 0, rc;
	size_t i, start;

	if (size == 0 || size > 16384 || memchr(data, '/', size) != NULL)
		return 0;
	if ((buf = malloc(size + 1)) == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = "ehttpctl";
	for (i = 0, start = 0; i <= size && argc <= MAX_ARGS; i++)
		if (buf[i] == '\0') {
			argv[argc++] = buf + start;
			start = i + 1;
		}
	argv[argc] = NULL;

	if (++runs % RESET_EVERY == 0)
		reset();
	CHECK(fchdir(sandbox_fd) == 0);
	rc = run(argc, argv, &out, &err);
	CHECK(fchdir(home_fd) == 0);
	CHECK(rc == 0 || rc == 1 || rc == 2);
	if (rc != 0)
		CHECK(err[0] != '\0');
	if (memmem(data, size, "PRIVATE KEY", 11) == NULL) {
		CHECK(strstr(out, "PRIVATE KEY") == NULL);
		CHECK(strstr(err, "PRIVATE KEY") == NULL);
	}
	free(out);
	free(err);
	free(buf);
	return 0;
}
