/*
 * manifest: a content library's layout and its package manifests
 * (PkgLib/<ID>.json), written and read with jansson, and the rules their
 * fields obey. One place for them: the library that fills content
 * libraries (backend/content.c) and the distribution point that serves
 * one (backend/dp/) both call these.
 *
 * Where content lives: the content root is the folder given (--content),
 * else $EHTTP_CONTENT if set and not empty, else "content" beside the
 * database file (/x/site.db: /x/content). Under it a site's library is
 * site/<SITECODE>/ and a distribution point's dp/<fqdn>/ (the FQDN checked
 * and lower-cased by the caller, as site systems' names are). In a
 * library: FileLib/<first 4 hex of sha256>/<sha256> (a file's bytes, once
 * per hash) and PkgLib/<PKGID>.json (a package's manifest).
 *
 *   {"package":"P01000A3","version":2,"name":"Office 2024","files":[
 *     {"path":"data/cab1.cab","size":4567,"sha256":"<64 hex>"},
 *     {"path":"setup.exe","size":123,"sha256":"<64 hex>"}]}
 *
 * package: a site code (3 characters A-Z, 0-9) and 5 upper-case hex
 * digits, the manifest's file name. version: 1 and up. name: 1 to 256
 * bytes of printable UTF-8 when written (a reader takes any string: it is
 * shown escaped). path: relative, '/'-separated, valid UTF-8 without a
 * control character (safetext.h's unsafe characters: C0, DEL, C1,
 * bidirectional controls, line separators), no empty, '.' or '..'
 * segment, no leading '/', at most 1024 bytes, and not both a file and
 * the folder of another file. Files sorted by path (byte order), no path
 * twice. sha256: 64 lower-case hex digits.
 *
 * Depends on db/util only. Errors: 0 / -1 with *cause (malloc'ed, the
 * caller frees, one line) naming what is wrong; names in it are escaped.
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

/* ---------------------------------------------------------------- where */

enum manifest_lib { MANIFEST_LIB_SITE, MANIFEST_LIB_DP };

/* The content root (malloc'ed): opt if not NULL, else $EHTTP_CONTENT if
 * set and not empty, else dir/content (dir: the site's files' directory,
 * ehttp_home_dir()). */
char	*manifest_content_root(const char *opt, const char *dir);
/* A library's folder under root (malloc'ed): a site's (name its code) or
 * a distribution point's (name its checked, lower-case FQDN). */
char	*manifest_lib_dir(const char *root, enum manifest_lib,
	    const char *name);
/* "<lib>/PkgLib/<id>.json" and "<lib>/FileLib/<4>/<sha256>" (malloc'ed). */
char	*manifest_pkg_path(const char *lib, const char *id);
char	*manifest_file_path(const char *lib, const char *sha256);

/* ---------------------------------------------------------------- rules */

/* Why a field breaks its rule (a static sentence), or NULL. */
const char *manifest_id_fault(const char *);
/* The same as a message: "file path 'a/../b': a '..' segment". */
int	 manifest_id_check(const char *, char **cause);
int	 manifest_name_check(const char *, char **cause);
int	 manifest_path_check(const char *, char **cause);

/* Add a file (path and name copied); manifest_format sorts the files. */
void	 manifest_add(struct manifest *, const char *path, uint64_t size,
	    const char *sha256);
/* The files sorted by path and every rule checked, then the JSON text
 * (malloc'ed, *len bytes, ending in a line feed). NULL with *cause if a
 * rule is broken. */
char	*manifest_format(struct manifest *, size_t *len, char **cause);
/* Parse and check the JSON text of a manifest into m (cleared first;
 * manifest_clear() it either way): 0, or -1 and *cause, e.g.
 * "files[0].path 'a/../b': a '..' segment". id not NULL: the package must
 * be that one (the file's name). Unknown members are ignored. */
int	 manifest_parse(const char *buf, size_t len, const char *id,
	    struct manifest *m, char **cause);
/* What path ("" the package's folder) names in m: a file (MANIFEST_FILE,
 * its index in *at), a folder holding files, or nothing. */
enum manifest_kind { MANIFEST_NONE, MANIFEST_FILE, MANIFEST_FOLDER };
enum manifest_kind manifest_find(const struct manifest *, const char *path,
	    size_t *at);
/*
 * Read the manifest of package id (a valid id) in the library at lib: 1
 * read (m, and in *st, if not NULL, the identity of the file read), 0 not
 * there, -1 refused (a rule broken, not a regular file, larger than
 * MANIFEST_BYTES_MAX: the same file is refused again), -2 cannot be read
 * now (an I/O error, the file changed while read). *cause on -1 and -2;
 * a broken rule's cause does not name the file.
 */
struct stat;
int	 manifest_read(const char *lib, const char *id, struct manifest *m,
	    struct stat *st, char **cause);
/* Free what m holds and zero it. */
void	 manifest_clear(struct manifest *);

#endif
