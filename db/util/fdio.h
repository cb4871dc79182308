/* fdio: descriptor I/O that the short-write and EINTR rules make long. */
#ifndef FDIO_H
#define FDIO_H

#include <stddef.h>

/*
 * All len bytes of data to fd, again after EINTR and after a short write.
 * 0, or -1 with errno (ENOSPC when write(2) wrote nothing).
 */
int	 fd_write_all(int fd, const void *data, size_t len);

#endif
