/* cli-log: reading CMTrace logs (ehttpctl log ...). */
#include "cli.h"

const struct cli_cmd cli_log_cmds[] = {
	{ NULL, NULL, NULL, NULL, NULL }
};
