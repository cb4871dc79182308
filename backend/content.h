/*
 * content: packages and the content library (issue #15), the site side.
 *
 * Where content lives. The content root is the folder given by --content
 * (ehttp_content_set_root), else $EHTTP_CONTENT, else "content" beside the
 * database (for /x/site.db: /x/content). Under it:
 *   site/<SITECODE>/   the site's library: what package add copies in
 *   dp/<fqdn>/         a distribution point's library: what package
 *                      distribute fills and the agent serves (read only)
 *
 * A library is single-instance, like Configuration Manager's
 * SCCMContentLib:
 *   FileLib/<first 4 hex of sha256>/<sha256>   a file's bytes, once per
 *       hash, 0644; written as a temporary file (.tmp-*) in that folder,
 *       verified by its hash, fsync'ed, renamed into place
 *   PkgLib/<PKGID>.json   a package's manifest (backend/manifest/), written
 *       last (temporary file, fsync, rename, fsync of the folder): a
 *       package is on a library exactly when its manifest is there, and a
 *       manifest names only files already in FileLib. Removal: the
 *       manifest first, then the files no remaining manifest names.
 *   .lock                 held (flock) by the one command writing the
 *       library; a second one is refused while it runs
 * Folders are 0755 and files 0644 whatever the umask; nothing is
 * world-writable. A temporary file a killed command left behind is removed
 * by the next command that writes the library.
 *
 * Every change is audited (ehttp_record) and returns 0, or -1 with
 * ehttp_error(); progress of the copies goes to the handle's progress
 * function (ehttp_set_progress), whose non-zero return cancels.
 */
#ifndef CONTENT_H
#define CONTENT_H

#include <stddef.h>
#include <stdint.h>

#include "db-types.h"
#include "ehttp.h"

/* The content root (above); set_root(NULL) goes back to the default. */
void		 ehttp_content_set_root(struct ehttp *, const char *dir);
/* A site's and a distribution point's library folder (malloc'ed); the
 * fqdn is checked and lower-cased as site systems' names are (NULL with
 * ehttp_error() if it is not one). */
char		*ehttp_content_site_lib(struct ehttp *, const char *code);
char		*ehttp_content_dp_lib(struct ehttp *, const char *fqdn);

/* What a change did to a library. */
struct ehttp_content_result {
	int64_t	 files;		/* files of the version */
	int64_t	 bytes;		/* their bytes */
	int64_t	 copied;	/* files copied into FileLib */
	int64_t	 copied_bytes;
	int64_t	 present;	/* already there (single instance) */
	int64_t	 removed;	/* FileLib files no manifest names, removed */
};

/*
 * package add: a new package of site (NULL: the only CAS or primary site)
 * named name, version 1, from the regular files under source (a folder):
 * each is hashed and copied into the site's library, the manifest written
 * last, then the package recorded. Refused: a symbolic link that leaves
 * the folder or names a folder, a device, FIFO or socket, a name the
 * manifest rules refuse (manifest.h), a folder without files.
 * update: the same from source (NULL: the folder it was last read from)
 * as the next version, then distributed to every distribution point that
 * holds the package (as distribute; each serves its old version until the
 * new manifest replaces it). A DP that does not take it keeps its version
 * (a warning note each); update still returns 0: the rows say where the
 * new version is (ehttp_package_dps).
 */
int	 ehttp_package_add(struct ehttp *, const char *site, const char *name,
	    const char *source, struct db_package *out,
	    struct ehttp_content_result *);
int	 ehttp_package_update(struct ehttp *, const char *id,
	    const char *source, struct db_package *out,
	    struct ehttp_content_result *);
/* Refused while the package is on a distribution point, unless force:
 * then it is undistributed from each first. */
int	 ehttp_package_remove(struct ehttp *, const char *id, int force,
	    struct ehttp_content_result *);
/*
 * distribute: the package's current version from the site's library to
 * the library of fqdn, a site system with the distribution point role in
 * the package's site or a site below it. The state is "distributing"
 * while files are copied (a hash already there is not copied again; each
 * copy is verified by its hash), then "installed" once the manifest is
 * written, or "failed" with the reason (out->error); -1 then too.
 * undistribute: the manifest removed, then the files nothing names.
 */
int	 ehttp_package_distribute(struct ehttp *, const char *id,
	    const char *fqdn, struct db_package_dp *out,
	    struct ehttp_content_result *);
int	 ehttp_package_undistribute(struct ehttp *, const char *id,
	    const char *fqdn, struct ehttp_content_result *);

/* A package by id (any case): 1, 0 no such package or not an id (the
 * error says which), -1 the database. */
int	 ehttp_package_resolve(struct ehttp *, const char *id,
	    struct db_package *);
/* site_id 0: all sites. */
int	 ehttp_package_list(struct ehttp *, int64_t site_id,
	    struct db_package **, size_t *);
int	 ehttp_package_files(struct ehttp *, const struct db_package *,
	    struct db_package_file **, size_t *);
/* Where a package is (id) or what a system holds (id NULL, system_id).
 * A row "distributing" or "removing" that no command is working on (its
 * command was killed) is given as "failed", "interrupted while ...", with
 * the command that finishes it (or "installed" if the version's manifest
 * was written); the database is not changed. */
int	 ehttp_package_dps(struct ehttp *, const char *id, int64_t system_id,
	    struct db_package_dp **, size_t *);

/*
 * A manifest as a library holds it, read and checked by the rules of
 * manifest.h (for a program that serves a library): the package's id,
 * version and name into p (the other fields zero), its files into *files
 * (malloc'ed, sorted by path). 1 read, 0 the library has no such
 * package, -1 refused or unreadable with the reason in *cause
 * (malloc'ed). No database, no lock: the manifest is whole or absent.
 */
int	 ehttp_content_manifest(const char *lib, const char *id,
	    struct db_package *p, struct db_package_file **files, size_t *n,
	    char **cause);


/*
 * A distribution point's packages (the console's Content list), by id a
 * page at a time: ids after after (NULL or "": from the first), or before
 * before (NULL or "": from the last, nearest first); and how many it has.
 * Each row has the version the DP was given, its files and bytes, the
 * state and when it last changed. 0, or -1 with ehttp_error().
 */
int	 ehttp_dp_package_page(struct ehttp *, int64_t system_id,
	    const char *after, size_t limit, struct db_dp_package **, size_t *);
int	 ehttp_dp_package_page_before(struct ehttp *, int64_t system_id,
	    const char *before, size_t limit, struct db_dp_package **,
	    size_t *);
int	 ehttp_dp_package_count(struct ehttp *, int64_t system_id, size_t *);

#endif
