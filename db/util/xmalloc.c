/* xmalloc: allocation that cannot fail (see xmalloc.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

static void __attribute__((noreturn, format(printf, 1, 2)))
xmalloc_fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	fprintf(stderr, "%s: out of memory: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(saved));
	abort();
}

void *
xmalloc(size_t size)
{
	void *p;

	if ((p = malloc(size == 0 ? 1 : size)) == NULL)
		xmalloc_fatal("xmalloc: %zu bytes", size);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p;

	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	if ((p = calloc(nmemb, size)) == NULL)
		xmalloc_fatal("xcalloc: %zu * %zu bytes", nmemb, size);
	return p;
}

void *
xreallocarray(void *old, size_t nmemb, size_t size)
{
	void *p;

	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	if ((p = reallocarray(old, nmemb, size)) == NULL)
		xmalloc_fatal("xreallocarray: %zu * %zu bytes", nmemb, size);
	return p;
}

void *
xalignedarray(void *old, size_t keep, size_t nmemb, size_t size, size_t align)
{
	void *p;

	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	if (nmemb > SIZE_MAX / size || posix_memalign(&p, align,
	    nmemb * size) != 0)
		xmalloc_fatal("xalignedarray: %zu * %zu bytes", nmemb, size);
	if (keep > 0)
		memcpy(p, old, keep);
	free(old);
	return p;
}

char *
xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		xmalloc_fatal("xstrdup: %zu bytes", strlen(s) + 1);
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	const char *nul;
	char *p;

	if (n > 0 && (nul = memchr(s, '\0', n)) != NULL)
		n = (size_t)(nul - s);
	if (n == SIZE_MAX) {
		errno = ENOMEM;
		xmalloc_fatal("xstrndup: %zu bytes", n);
	}
	p = xmalloc(n + 1);
	if (n > 0)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int
xvasprintf(char **ret, const char *fmt, va_list ap)
{
	int n;

	if ((n = vasprintf(ret, fmt, ap)) == -1)
		xmalloc_fatal("xasprintf \"%s\"", fmt);
	return n;
}

int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = xvasprintf(ret, fmt, ap);
	va_end(ap);
	return n;
}

FILE *
xopen_memstream(char **buf, size_t *len)
{
	FILE *f;

	if ((f = open_memstream(buf, len)) == NULL)
		xmalloc_fatal("open_memstream");
	return f;
}

void *
xgrowarray(void *v, size_t *cap, size_t n, size_t first, size_t size)
{
	size_t want;

	if (n < *cap)
		return v;
	if (*cap == 0)
		want = first != 0 ? first : 1;
	else if (*cap > SIZE_MAX / 2) {
		errno = ENOMEM;
		xmalloc_fatal("xgrowarray: %zu elements", *cap);
	} else
		want = *cap * 2;
	v = xreallocarray(v, want, size);
	*cap = want;
	return v;
}

void
freezero(void *p, size_t size)
{
	if (p == NULL)
		return;
	explicit_bzero(p, size);
	free(p);
}

void
freezero_str(char *s)
{
	if (s != NULL)
		freezero(s, strlen(s));
}

void
strv_free(char **v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}
