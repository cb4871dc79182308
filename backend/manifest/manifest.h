/*
 * manifest: a package's manifest in a content library (PkgLib/<ID>.json),
 * written and read with jansson, and the rules its fields obey. One
 * place for them: the library that fills a content library
 * (backend/content.c) and every reader check names with these.
 *
 *   {"package":"P01000A3","version":2,"name":"Office 2024","files":[
 *     {"path":"data/cab1.cab","size":4567,"sha256":"<64 hex>"},
 *     {"path":"setup.exe","size":123,"sha256":"<64 hex>"}]}
 *
 * package: a site code (3 characters A-Z, 0-9) and 5 upper-case hex
 * digits. version: 1 and up. name: 1 to 256 bytes of printable UTF-8.
 * path: relative, '/'-separated, valid UTF-8 without a control character
 * (safetext.h's unsafe characters: C0, DEL, C1, bidirectional controls,
 * line separators), no empty, '.' or '..' segment, no leading '/', at most
 * 1024 bytes. Files sorted by path (byte order), no path twice. sha256: 64
 * lower-case hex digits.
 *
 * Depends on db/util only. Errors: 0 / -1 with *cause (malloc'ed, the
 * caller frees) naming what is wrong; names in it are escaped.
 */
#ifndef MANIFEST_H
#define MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#define MANIFEST_ID_LEN		8
#define MANIFEST_PATH_MAX	1024
#define MANIFEST_NAME_MAX	256
/* A manifest file larger than this is refused unread. */
#define MANIFEST_BYTES_MAX	(256u << 20)

struct manifest_file {
	char		*path;
	uint64_t	 size;
	char		 sha256[65];
};

struct manifest {
	char			 package[MANIFEST_ID_LEN + 1];
	int64_t			 version;
	char			*name;
	struct manifest_file	*files;
	size_t			 nfiles;
};

/* The rules, one field at a time. */
int	 manifest_id_check(const char *, char **cause);
int	 manifest_name_check(const char *, char **cause);
int	 manifest_path_check(const char *, char **cause);
int	 manifest_sha256_check(const char *, char **cause);

/* Add a file (path and name copied); files are sorted by manifest_check. */
void	 manifest_add(struct manifest *, const char *path, uint64_t size,
	    const char *sha256);
/* Sort the files by path, then check every rule. */
int	 manifest_check(struct manifest *, char **cause);
/* Checked (manifest_check), then the JSON text (malloc'ed, *len bytes,
 * ending in a line feed). NULL with *cause if a rule is broken. */
char	*manifest_format(struct manifest *, size_t *len, char **cause);
/* Parse and check the JSON text of a manifest into m (cleared first;
 * manifest_clear() it either way). Unknown members are ignored. */
int	 manifest_parse(const char *buf, size_t len, struct manifest *m,
	    char **cause);
/* Read a manifest file (at most MANIFEST_BYTES_MAX) and parse it; cause
 * names the file. */
int	 manifest_load(const char *path, struct manifest *m, char **cause);
/* Free what m holds and zero it. */
void	 manifest_clear(struct manifest *);

#endif
