/* ehttpctl: every ehttp operation from the command line. */
#include <stdio.h>

#include "cli.h"
#include "ehttp.h"

int
main(int argc, char **argv)
{
	ehttp_no_core_dumps();
	return cli_main(argc, argv, stdout, stderr);
}
