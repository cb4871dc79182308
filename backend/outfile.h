/*
 * outfile: writing a file the user named (cert export, the console's
 * Export) without ever losing or removing what was there before.
 *
 * The rules, one place for every command:
 *  - a new file or a regular file: the data goes to a temporary file created
 *    O_EXCL|O_NOFOLLOW in the same directory (mode 0600 for OUTFILE_SECRET,
 *    else 0644, before the umask; a replaced file keeps its permission
 *    bits), is fsync'ed and renamed over the target only when complete. A
 *    failure removes only that temporary file: the target is unchanged.
 *  - OUTFILE_SECRET (private keys): the target must not exist at all, not
 *    even as a symbolic link or a device (a key is never overwritten, never
 *    written through a link, never to a terminal or a pipe); the file is
 *    created 0600 whatever the umask.
 *  - OUTFILE_NOREPLACE: an existing target is refused (the console asks for
 *    another name instead of overwriting).
 *  - a symbolic link (not SECRET) is followed: the file it points to is
 *    replaced the same way (the link stays).
 *  - an existing character device or FIFO (/dev/null, /dev/full, /dev/tty,
 *    a named pipe, /dev/stdout when it is one of those) is written straight
 *    through, without O_CREAT or O_TRUNC, and is never removed; a write
 *    error there (ENOSPC from /dev/full) is an error.
 *  - a directory, a block device or a socket is refused.
 */
#ifndef OUTFILE_H
#define OUTFILE_H

#include <stddef.h>
#include <sys/types.h>

enum outfile_flags {
	OUTFILE_SECRET    = 0x1,	/* private key: new file only, 0600 */
	OUTFILE_NOREPLACE = 0x2,	/* an existing target is refused */
};

/* What outfile_write() created (for outfile_undo()); zero if nothing new. */
struct outfile_made {
	int	 created;
	dev_t	 dev;
	ino_t	 ino;
};

/*
 * Write len bytes of data to path by the rules above. 0, or -1 with errno
 * set and "path: reason" in err. made (may be NULL) says whether a new
 * file was created at path.
 */
int	 outfile_write(const char *path, const void *data, size_t len,
	    int flags, struct outfile_made *made, char *err, size_t errlen);

/*
 * Where a certificate's private key goes when the certificate goes to
 * path: "path.key" in key. -1 with the reason in err when path names
 * something that is not a regular file (/dev/null, a FIFO), is in /dev,
 * /proc or /sys (/dev/stdout, even redirected to a file), or is too
 * long.
 */
int	 outfile_key_path(const char *path, char *key, size_t len, char *err,
	    size_t errlen);

/*
 * Remove the file outfile_write() created at path, when a later step of
 * the same command failed; only if path still names that very file.
 */
void	 outfile_undo(const char *path, const struct outfile_made *made);

#endif
