/*
 * hex: the value of a hexadecimal digit, for the decoders of hex text
 * (certificates and signatures in client messages) and of percent-escapes
 * (URLs, WebDAV hrefs).
 */
#ifndef HEX_H
#define HEX_H

/* 0 to 15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for anything else. */
int	 hex_value(int c);

#endif
