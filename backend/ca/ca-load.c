/*
 * ca-load.c: the functions of ca.h for a program that loads the CA when a
 * command first needs it (ca-api.h says why). Each opens the module on
 * its first call and passes the call on. The module is looked for beside
 * the program (a build: build/ehttp-ca.so) and then in ../lib/ehttp from
 * it (an install: /usr/bin -> /usr/lib/ehttp/ehttp-ca.so; `make install`
 * puts it there), from its resolved path and from the path it was started
 * by (module_path). When the module is missing, cut short or of another
 * build, every call returns the function's failure (-1 or NULL; its
 * outputs as the caller set them) with the reason in the handle: the
 * command stops as on any other failure of the CA, undoing what it began,
 * and the commands that need no certificate work on. (ca_issuer_index's
 * -1 is also "none of them": the certificate's next use says why.)
 */
#include <sys/auxv.h>
#include <sys/stat.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca-api.h"
#include "ca-int.h"
#include "safetext.h"

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const struct ca_api *loaded;
static char load_error[CA_ERR_MAX];	/* why loaded is NULL */
static int clear_wanted;	/* ca_clear_freed_memory() was asked for */

/*
 * The program's own path, links resolved: /proc/self/exe, or where there
 * is no /proc (a chroot) the path it was started by (AT_EXECFN). 0 or -1.
 */
static int
program_path(char exe[PATH_MAX], char *why, size_t whylen)
{
	const char *execfn;
	ssize_t n;

	if ((n = readlink("/proc/self/exe", exe, PATH_MAX)) > 0 &&
	    n < PATH_MAX) {
		exe[n] = '\0';
		return 0;
	}
	execfn = (const char *)getauxval(AT_EXECFN);
	if (execfn != NULL && realpath(execfn, exe) != NULL)
		return 0;
	snprintf(why, whylen, "the program's path: /proc/self/exe: %s",
	    n < 0 ? strerror(errno) : "too long");
	return -1;
}

/*
 * The folder above the one of the path the program was started by, taken
 * as text, into buf: "/home/u/.local" for /home/u/.local/bin/ehttpctl.
 * `make install` names the module's folder the same way, so it is found
 * when the program's folder is a link to another place (where ".." would
 * lead to that other place's parent). 0, or -1 where there is none.
 */
static int
started_parent(char *buf, size_t len)
{
	const char *fn = (const char *)getauxval(AT_EXECFN);
	const char *end, *up;
	size_t n;

	if (fn == NULL || (end = strrchr(fn, '/')) == NULL)
		return -1;
	while (end > fn && end[-1] == '/')	/* "bin//ehttpctl" */
		end--;
	for (up = end; up > fn && up[-1] != '/'; up--)
		;
	/* No folder ("/x"), or "." or "..": no parent to take as text. */
	if (up == end || (end - up == 1 && up[0] == '.') ||
	    (end - up == 2 && up[0] == '.' && up[1] == '.'))
		return -1;
	if (up == fn)		/* "bin/ehttpctl": "." */
		return snprintf(buf, len, ".") < (int)len ? 0 : -1;
	for (n = (size_t)(up - fn); n > 0 && fn[n - 1] == '/'; n--)
		;		/* "/bin/ehttpctl": "", for "/lib/ehttp" */
	if (n >= len)
		return -1;
	snprintf(buf, len, "%.*s", (int)n, fn);
	return 0;
}

/*
 * The module's path into buf: beside the program, else in lib/ehttp of
 * the folder above it, by the program's resolved path, then by the path
 * it was started by. The first that exists; 0, or -1 with why naming the
 * folders looked in.
 */
static int
module_path(char *buf, size_t len, char *why, size_t whylen)
{
	char exe[PATH_MAX], up[PATH_MAX], dir[3][PATH_MAX + 16];
	struct stat st;
	char *slash;
	int n = 0;

	if (program_path(exe, why, whylen) == -1)
		return -1;
	if ((slash = strrchr(exe, '/')) == NULL) {
		snprintf(why, whylen, "the program's path (%.800s) has no"
		    " folder", exe);
		return -1;
	}
	*slash = '\0';
	snprintf(dir[n++], sizeof dir[0], "%s", exe);
	snprintf(dir[n++], sizeof dir[0], "%s/../lib/ehttp", exe);
	if (started_parent(up, sizeof up) == 0)
		snprintf(dir[n++], sizeof dir[0], "%s/lib/ehttp", up);
	for (int i = 0; i < n; i++)
		if ((size_t)snprintf(buf, len, "%s/%s", dir[i],
		    CA_MODULE_NAME) < len && stat(buf, &st) == 0)
			return 0;
	snprintf(why, whylen, "not in %.280s%s%.280s or %.280s", dir[0],
	    n == 3 ? ", " : "", n == 3 ? dir[1] : "", dir[n - 1]);
	return -1;
}

/*
 * A module cut short (a copy stopped by a full disk) would be mapped past
 * its end by dlopen, and the program killed by SIGBUS when it reads
 * there: its ELF header and each loaded segment must lie inside the file.
 * Opened without waiting (a FIFO there would hold the program), and only
 * a regular file. 0, or -1 with the reason in why. (A file replaced in
 * place between this and dlopen is not caught: `make install` and the
 * package put a new one in by a rename.)
 */
static int
module_whole(const char *path, char *why, size_t whylen)
{
	ElfW(Ehdr) eh;
	ElfW(Phdr) ph;
	struct stat st;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return 0;	/* dlopen says why */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%.800s: not a file", path);
		goto out;
	}
	if (st.st_size < (off_t)sizeof eh)
		goto short_file;
	if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_phentsize != sizeof ph) {
		snprintf(why, whylen, "%.800s: not a shared library of this"
		    " machine", path);
		goto out;
	}
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (ElfW(Off))i *
		    sizeof ph)) != (ssize_t)sizeof ph)
			goto short_file;
		if (ph.p_type == PT_LOAD && (ph.p_offset > (ElfW(Off))st.st_size ||
		    ph.p_filesz > (ElfW(Off))st.st_size - ph.p_offset))
			goto short_file;
	}
	rc = 0;
	goto out;
short_file:
	snprintf(why, whylen, "%.800s: cut short (%lld bytes): install ehttp"
	    " again", path, (long long)st.st_size);
out:
	close(fd);
	return rc;
}

static void
load(void)
{
	char path[PATH_MAX + 64], why[CA_ERR_MAX - 128];
	const struct ca_api *api;
	void *h;

	why[0] = '\0';
	if (module_path(path, sizeof path, why, sizeof why) == 0 &&
	    module_whole(path, why, sizeof why) == 0) {
		if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL)
			snprintf(why, sizeof why, "%.880s", dlerror());
		else if ((api = dlsym(h, CA_API_SYMBOL)) == NULL)
			snprintf(why, sizeof why, "%.800s: no %s", path,
			    CA_API_SYMBOL);
		else if (api->size != sizeof *api ||
		    strcmp(api->version, CA_API_SUM) != 0)
			snprintf(why, sizeof why, "%.800s: of another build of"
			    " ehttp (%.31s, this program %s)", path,
			    api->version, CA_API_SUM);
		else
			loaded = api;
	}
	if (loaded == NULL) {
		snprintf(load_error, sizeof load_error, "cannot load the"
		    " certificate functions (%s): %s", CA_MODULE_NAME, why);
		return;
	}
	if (loaded->start(clear_wanted, ca_plain) == -1) {
		/* The name the program was started by is anyone's text. */
		char *prog = safetext_dup(program_invocation_short_name,
		    (size_t)-1);

		fprintf(stderr, "%s: warning: OpenSSL's freed memory is not"
		    " cleared\n", prog);
		free(prog);
	}
}

/* The module, or NULL with the reason in ca's error. */
static const struct ca_api *
api(struct ca *ca)
{
	pthread_once(&load_once, load);
	if (loaded == NULL && ca != NULL)
		snprintf(ca->err, sizeof ca->err, "%s", load_error);
	return loaded;
}

/* Before another library brings OpenSSL in (ca.h). */
void
ca_preload(void)
{
	(void)api(NULL);
}

/* Asked at the program's start: kept for the module, which starts with it. */
int
ca_clear_freed_memory(void)
{
	if (loaded != NULL)
		return -1;	/* too late: OpenSSL has run */
	clear_wanted = 1;
	return 0;
}

#define CA_LOAD_INT(name, params, args) \
	int name params { return api(a) != NULL ? loaded->name args : -1; }
#define CA_LOAD_PTR(type, name, params, args) \
	type name params { return api(a) != NULL ? loaded->name args : NULL; }
#define CA_LOAD_GET(type, name, params, args) \
	type name params { return api(NULL)->name args; }
#define CA_LOAD_FREE(name, type) \
	void name(type *p) { if (p != NULL) api(NULL)->name(p); }
CA_API(CA_LOAD_INT, CA_LOAD_PTR, CA_LOAD_GET, CA_LOAD_FREE)
