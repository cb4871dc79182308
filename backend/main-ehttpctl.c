/* ehttpctl: every ehttp operation from the command line. */
#include <stdio.h>

#include "cli.h"
#include "ehttp.h"

int
main(int argc, char **argv)
{
	if (ehttp_protect_process() == -1)
		fputs("ehttpctl: warning: OpenSSL's freed memory is not cleared\n",
		    stderr);
	return cli_main(argc, argv, stdout, stderr);
}
