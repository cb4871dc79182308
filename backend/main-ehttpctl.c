/* ehttpctl: every ehttp operation from the command line. */
#include <stdio.h>

#include "cli.h"

int
main(int argc, char **argv)
{
	return cli_main(argc, argv, stdout, stderr);
}
