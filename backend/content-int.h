/*
 * content internals: a library on disk (content-lib.c) and a package's
 * source folder (content-walk.c), for content.c. Layout: content.h.
 */
#ifndef CONTENT_INT_H
#define CONTENT_INT_H

#include <stdint.h>

#include "content.h"
#include "ehttp-int.h"
#include "manifest.h"

/*
 * A library opened for writing: its folders made (0755), its lock held.
 * Errors go to the ehttp handle; progress to its progress function, with
 * what as the text and the work counted in bytes read or copied.
 */
struct content_lib;
int	 content_lib_open(struct ehttp *, const char *dir,
	    struct content_lib **);
void	 content_lib_close(struct content_lib *);	/* NULL ok */
/* Is a command writing the library at dir (its lock held)? 1 yes, 0 no:
 * then *fd (unless -1, no lock file) holds a shared lock, so that none
 * starts until the caller closes it; -1 cannot tell (errno). */
int	 content_lib_writing(const char *dir, int *fd);
const char *content_lib_dir(const struct content_lib *);
/* The progress text and the work ahead (bytes), counted from 0. */
void	 content_lib_progress(struct content_lib *, const char *what,
	    uint64_t total);
/* Remove the temporary files a killed command left (.tmp-*). */
int	 content_lib_sweep(struct content_lib *);
/* The SHA-256 and size of a file read in pieces (progress counted). */
int	 content_lib_hash(struct content_lib *, const char *path,
	    uint64_t *size, char sha256[65]);
/*
 * The file at src (size bytes, SHA-256 sha256) into FileLib, unless a file
 * of that hash and size is there (r->present): else copied to a temporary
 * file in its folder, verified by reading the copy back, fsync'ed and
 * renamed (r->copied). A copy that does not hash to sha256 is removed and
 * refused (the source changed, or was damaged).
 */
int	 content_lib_store(struct content_lib *, const char *src,
	    uint64_t size, const char *sha256, struct ehttp_content_result *r);
/* FileLib's folders the stores changed, fsync'ed: before a manifest. */
int	 content_lib_sync(struct content_lib *);
/* The manifest of m (checked), written last: temporary file, fsync,
 * rename, fsync of PkgLib. */
int	 content_lib_manifest_write(struct content_lib *, struct manifest *);
/* 1 removed (and PkgLib fsync'ed), 0 there was none, -1 error. */
int	 content_lib_manifest_remove(struct content_lib *, const char *id);
/* The ids of the manifests there (sorted; each and the array malloc'ed). */
int	 content_lib_ids(struct content_lib *, char ***ids, size_t *n);
/* Remove the FileLib files no manifest names (r->removed). A manifest that
 * cannot be read keeps every file (a warning note). */
int	 content_lib_gc(struct content_lib *, struct ehttp_content_result *r);

/*
 * A package's source folder: its regular files (a symbolic link that
 * stays inside the folder and names a regular file counts as that file),
 * each path by the manifest rules, sorted by path. Refused with the reason
 * in the handle: anything else.
 */
struct content_src_file {
	char		*path;		/* relative, '/'-separated */
	char		*abs;		/* to open */
	uint64_t	 size;
};
struct content_src {
	char			*root;		/* realpath of the folder */
	struct content_src_file	*files;
	size_t			 n;
	uint64_t		 bytes;
};
int	 content_walk(struct ehttp *, const char *source, const char *croot,
	    struct content_src *);
void	 content_src_clear(struct content_src *);

#endif
