/*
 * errlookup: CMTrace's Error Lookup. Decodes the error codes a log record
 * holds: an HRESULT's severity, facility and code, the Win32 and WinHTTP
 * errors eHTTP logs show (12175, 0x80072F8F), HTTP status codes as the
 * agent's "status code N" messages write them, and the facility of
 * Configuration Manager's own 0x87Dxxxxx codes. Every table entry notes its
 * source (errlookup.c); a code not in the tables is still decoded as an
 * HRESULT, with no name.
 */
#ifndef ERRLOOKUP_H
#define ERRLOOKUP_H

#include <stddef.h>
#include <stdint.h>

enum errlookup_kind {
	ERRLOOKUP_HRESULT,	/* a 32-bit value with the severity bit */
	ERRLOOKUP_WIN32,	/* a Win32/WinHTTP error number */
	ERRLOOKUP_HTTP,		/* an HTTP status ("status code N") */
};

struct errlookup {
	char			 token[24];	/* as written */
	uint32_t		 value;
	enum errlookup_kind	 kind;
	/* HRESULT fields (kind HRESULT) */
	int			 severity;	/* bit 31: 1 failure */
	unsigned		 facility;	/* bits 16-26 */
	unsigned		 code;		/* bits 0-15 */
	const char		*facility_name;	/* NULL if unknown */
	/* the table entry, or NULL: */
	const char		*name;		/* ERROR_WINHTTP_SECURE_FAILURE */
	const char		*text;		/* what it means */
	const char		*source;	/* where the value is documented */
};

/*
 * One code as an administrator types it: "0x80072f8f", "80072F8F" (8 hex
 * digits), "12175", "-2147012721". 1 if it is in a table, 0 if it was only
 * decoded, -1 if token is not a number (nothing set).
 */
int		 errlookup_code(const char *token, struct errlookup *);

/*
 * The codes in n bytes of log text: hex numbers (0x and 1-8 digits, or 8
 * digits standing alone), decimal numbers that the Win32 table knows, and
 * "status code N" or "HTTP code N" (HTTP statuses, as this product's
 * messages write them). Up to max, in text order, each once; returns the count.
 */
size_t		 errlookup_scan(const char *text, size_t n, struct errlookup *,
		    size_t max);

#endif
