/*
 * xmalloc: allocation that cannot fail. Out of memory is not an error a
 * caller can handle in ehttp (STYLE: abort only on bugs and out of
 * memory): these print what could not be allocated and abort().
 * Modelled on tmux's xmalloc.c, with one difference: a size of zero is
 * not a bug here (an empty blob, an empty list) and gets a valid block of
 * one byte, as every private copy before it did.
 */
#ifndef XMALLOC_H
#define XMALLOC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t nmemb, size_t size);
void	*xreallocarray(void *, size_t nmemb, size_t size);
/*
 * A new block of nmemb * size bytes aligned to align (a power of two, a
 * multiple of sizeof(void *)) holding the first keep bytes of old, which
 * is freed (NULL: nothing to keep). Free the result with free().
 */
void	*xalignedarray(void *old, size_t keep, size_t nmemb, size_t size,
	    size_t align);
char	*xstrdup(const char *);
/* At most n bytes of s (up to its NUL), NUL-terminated; s may be NULL if
 * n is 0 (an empty OpenSSL buffer). */
char	*xstrndup(const char *s, size_t n);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 xvasprintf(char **, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));

/* open_memstream(3) that cannot fail (it fails only for want of memory). */
FILE	*xopen_memstream(char **, size_t *);

/*
 * An array v of *cap elements of size bytes that must hold n + 1: grown
 * (doubled, from first) when n == *cap. Returns the array.
 */
void	*xgrowarray(void *v, size_t *cap, size_t n, size_t first, size_t size);

/* A secret's memory cleared, then freed (OpenBSD's freezero(3)); NULL:
 * nothing. freezero_str() clears a string up to its NUL. */
void	 freezero(void *, size_t);
void	 freezero_str(char *);

/* An array of n strings freed, each and the array (NULL: nothing). */
void	 strv_free(char **, size_t n);

#endif
