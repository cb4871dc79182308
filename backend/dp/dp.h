/*
 * dp: what a distribution point serves, read from its content library. The
 * agent (ehttp-mpd) asks this room which file or folder a request names,
 * and gets back the bytes' file, the WebDAV listing and the answer to a
 * Range; it never reads the database here (a library is files only, so an
 * agent on another host needs nothing else).
 *
 * A DP's library is <root>/dp/<fqdn>/ (the agent asks the library,
 * ehttp_content_dp_lib, where), single-instance as Configuration
 * Manager's SCCMContentLib:
 *
 *   FileLib/<first 4 hex of sha256>/<sha256>   a file's bytes, once per hash
 *   PkgLib/<PKGID>.json                        a package's manifest
 *
 * A package is on the DP exactly when its manifest is there; the manifest
 * is written last (temporary file and rename), names only hashes already in
 * FileLib, and is removed first. Its rules, and the one reader that checks
 * them, are backend/manifest/'s (manifest.h): a manifest that breaks one
 * is refused with the reason, and the package is then not served.
 *
 * URLs: /<VDIR>/<PKGID> is the package's folder, /<VDIR>/<PKGID>/<path> a
 * file or a sub-folder (a collection), VDIR one of dp_vdir_names (any
 * case, as IIS). A file's ETag is "<sha256>"; its Last-Modified is the
 * time its package's manifest was written.
 *
 * Below: backend/manifest/ (the manifests, with jansson) and db/util.
 */
#ifndef DP_H
#define DP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The manifest's limits (manifest.h), for a request target. */
#define DP_PATH_MAX		1024		/* a file's path, bytes */
#define DP_PKGID_LEN		8

/* Is s a package id: 3 characters A-Z 0-9 then 5 upper-case hex digits? */
int	 dp_pkgid_valid(const char *s);

/* ---------------------------------------------------------------- URLs */

enum dp_vdir {
	DP_VDIR_PKG,		/* SMS_DP_SMSPKG$ */
	DP_VDIR_NOCERT,		/* NOCERT_SMS_DP_SMSPKG$ */
	DP_VDIR_TOKEN_PKG,	/* CCMTOKENAUTH_SMS_DP_SMSPKG$ */
	DP_VDIR_TOKEN_SIG,	/* CCMTOKENAUTH_SMS_DP_SMSSIG$ */
	DP_VDIR_MAX
};
extern const char *const dp_vdir_names[DP_VDIR_MAX];

/* What a request target names on the DP. */
struct dp_target {
	enum dp_vdir	 vdir;
	char		 pkg[DP_PKGID_LEN + 1];	/* upper case; "" the folder
						 * itself or not a package id */
	int		 pkg_bad;	/* a segment that is no package id */
	char		 path[DP_PATH_MAX + 1];	/* decoded; "" the package */
};

/*
 * Read a request target ("/SMS_DP_SMSPKG$/P01000A3/data/a%20b.cab?x"; the
 * query is ignored): 1 under a DP folder (t filled), 0 not a DP URL, -1
 * refused (400) with *cause a static sentence: a percent escape that is
 * not two hex digits, an encoded NUL or '/', a control character, a
 * backslash (raw or encoded), an empty, "." or ".." segment (raw or
 * encoded), bytes that are not UTF-8 (an overlong form included), or a
 * path over DP_PATH_MAX bytes. A folder may end with '/'.
 */
int	 dp_target_parse(const char *target, struct dp_target *t,
	    const char **cause);

/* ------------------------------------------------------------ manifests */

struct dp_file {
	const char	*path;
	uint64_t	 size;
	char		 sha256[65];
};

/* A package's manifest as read; shared (reference counted) and never
 * changed once made: take it with dp_manifest_ref, let go with
 * dp_manifest_free. */
struct manifest;
struct dp_manifest {
	char		 package[DP_PKGID_LEN + 1];
	long long	 version;
	const char	*name;
	struct dp_file	*files;		/* sorted by path */
	size_t		 nfiles;
	time_t		 mtime;		/* the manifest file's */
	struct manifest	*read;		/* private: what the reader made */
	int		 refs;		/* private */
};

/* Read a manifest (len bytes of JSON) of package pkgid with the
 * manifests' reader (manifest.h): NULL and *cause (malloc'ed,
 * "files[3].path 'a/../b': a '..' segment") if it breaks a rule. */
struct dp_manifest *dp_manifest_parse(const char *json, size_t len,
	    const char *pkgid, char **cause);
struct dp_manifest *dp_manifest_ref(struct dp_manifest *);
void	 dp_manifest_free(struct dp_manifest *);	/* NULL is fine */

enum dp_kind { DP_KIND_NONE, DP_KIND_FILE, DP_KIND_FOLDER };
/* What path ("" the package folder, no trailing '/') is in m; a file
 * sets *f (may be NULL). */
enum dp_kind dp_manifest_find(const struct dp_manifest *m, const char *path,
	    const struct dp_file **f);

/* ------------------------------------------------------------ libraries */

/*
 * One DP library, its manifests cached: each request stats the manifest
 * (one system call) and reads it again only when it changed (another
 * inode, size, modification or change time) or was removed, so a package
 * distributed again, updated or removed is seen by the next request. Safe
 * to share between threads.
 */
struct dp_lib;
struct dp_lib	*dp_lib_new(const char *dir);
void		 dp_lib_free(struct dp_lib *);		/* NULL is fine */
const char	*dp_lib_dir(const struct dp_lib *);

/*
 * The manifest of package pkgid (a valid id): 1 and *out (a reference,
 * dp_manifest_free), 0 not on this DP, -1 its manifest is refused or
 * cannot be read: *cause (malloc'ed) says why, and *first is 1 the first
 * time that version of the file is refused (to log it once as an error).
 */
int	 dp_lib_manifest(struct dp_lib *, const char *pkgid,
	    struct dp_manifest **out, char **cause, int *first);
/* Open f's bytes (FileLib) read-only: a descriptor, or -1 and *cause
 * (malloc'ed): missing, not a regular file, or not f->size bytes. A file
 * open keeps its bytes when the library removes or replaces it. */
int	 dp_lib_open(struct dp_lib *, const struct dp_file *f, char **cause);
/* Forget the manifests nobody asked for since the last sweep (the agent
 * sweeps at each poll). */
void	 dp_lib_sweep(struct dp_lib *);
/* Manifests held (for tests and the log). */
size_t	 dp_lib_cached(struct dp_lib *);

/* --------------------------------------------------------------- WebDAV */

/*
 * A PROPFIND's 207 Multi-Status body (XML, UTF-8) for what t names in m
 * (kind as dp_manifest_find said), with depth 1 its children too: for each
 * resource its href (the path percent-encoded), displayname, resourcetype
 * (a collection for a folder), getcontentlength, getcontenttype,
 * getlastmodified and creationdate; a file also getetag and its hash,
 * <E:sha256 xmlns:E="urn:ehttp:dp">. Names are escaped for XML. Returns
 * the body (malloc'ed, *len bytes).
 */
char	*dp_dav_multistatus(const struct dp_manifest *m,
	    const struct dp_target *t, enum dp_kind kind, int depth,
	    size_t *len);

/* ----------------------------------------------------- ranges and dates */

struct dp_range {
	uint64_t	 first;
	uint64_t	 last;		/* inclusive */
};
enum dp_range_rc {
	DP_RANGE_WHOLE,		/* no Range, not "bytes=", malformed, or
				 * several ranges: send the whole file */
	DP_RANGE_ONE,		/* one satisfiable range: *r */
	DP_RANGE_UNSATISFIABLE,	/* 416 */
};
/* A Range header (NULL: none) over a file of size bytes. */
enum dp_range_rc dp_range_parse(const char *hdr, uint64_t size,
	    struct dp_range *r);

/* Does an If-None-Match / If-Range list ("*", or entity tags separated by
 * commas) name etag (quoted, "\"...\"")? weak: W/ tags match too (weak
 * comparison), else only strong ones. */
int	 dp_etag_match(const char *list, const char *etag, int weak);

/* An HTTP date (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT"): the time,
 * or -1 if it is not one. */
time_t	 dp_http_date(const char *s);

#endif
