/* ehttpctl: every ehttp operation from the command line. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "prog.h"

/*
 * A closed standard descriptor would be taken by the next open() (the
 * database, an exported file) and our output would land there. Hold each
 * closed one with /dev/null opened for reading only: writes to it fail
 * (EBADF), so a closed standard output is still reported as a write error.
 */
static void
hold_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 &&
		    open("/dev/null", O_RDONLY) == -1)
			break;	/* opens take the lowest free number: fd */
}

int
main(int argc, char **argv)
{
	hold_std_fds();
	prog_start("ehttpctl");
	return cli_main(argc, argv, stdout, stderr);
}
