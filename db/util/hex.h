/*
 * hex: the value of a hexadecimal digit, for the decoders of hex text
 * (certificates and signatures in client messages) and of percent-escapes
 * (URLs, WebDAV hrefs); and bytes as hex text.
 */
#ifndef HEX_H
#define HEX_H

#include <stddef.h>

/* 0 to 15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for anything else. */
int	 hex_value(int c);
/* The n bytes at p as hex, into out (2 * n + 1 bytes, ended by a NUL):
 * lowercase, as in passwords, keys and SHA-256 sums; upper case, as
 * Windows shows thumbprints and fingerprints. */
void	 hex_encode(const void *p, size_t n, char *out);
void	 hex_encode_upper(const void *p, size_t n, char *out);
/* The same upper-case hex in a new string (free it); never NULL. */
char	*hex_upper_dup(const void *p, size_t n);

#endif
